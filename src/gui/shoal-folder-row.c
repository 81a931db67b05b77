/* shoal-folder-row.c — one shared folder in the Library page's list. */
#include "shoal-folder-row.h"

#include <glib/gi18n.h>

struct _ShoalFolderRow
{
  AdwActionRow     parent_instance;

  ShoalSharedRoot *root;

  GtkWidget       *scanning_spinner;
  GtkWidget       *remove_button;
};

G_DEFINE_FINAL_TYPE (ShoalFolderRow, shoal_folder_row, ADW_TYPE_ACTION_ROW)

enum
{
  PROP_0,
  PROP_ROOT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* "1,234 files · 5.6 GB", with what could not be shared when anything. */
static char *
describe_contents (ShoalSharedRoot *root)
{
  guint64 files = shoal_shared_root_get_file_count (root);
  guint problems = shoal_shared_root_get_problem_count (root);
  g_autofree char *count = g_strdup_printf ("%'" G_GUINT64_FORMAT, files);
  g_autofree char *size = g_format_size (shoal_shared_root_get_size (root));
  g_autofree char *file_text = g_strdup_printf (ngettext ("%s file", "%s files", (gulong) files),
                                                count);

  if (problems == 0)
    /* TRANSLATORS: a file count and a size: "3 files · 12.3 kB" */
    return g_strdup_printf (_("%s · %s"), file_text, size);
  /* TRANSLATORS: a file count, a size and how many entries were skipped */
  return g_strdup_printf (ngettext ("%s · %s · %u item could not be shared",
                                    "%s · %s · %u items could not be shared", problems),
                          file_text, size, problems);
}

static void
show_root (ShoalFolderRow *self)
{
  gboolean scanning = shoal_shared_root_get_scanning (self->root);
  g_autofree char *subtitle = NULL;

  if (scanning)
    subtitle = g_strdup (_("Looking for files…"));
  else
    subtitle = describe_contents (self->root);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_widget_set_visible (self->scanning_spinner, scanning);
  gtk_spinner_set_spinning (GTK_SPINNER (self->scanning_spinner), scanning);
}

static void
set_root (ShoalFolderRow  *self,
          ShoalSharedRoot *root)
{
  const char *path = shoal_shared_root_get_path (root);
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *display_path = g_filename_display_name (path);
  g_autofree char *remove_label = g_strdup_printf (_("Stop Sharing “%s”"), name);

  self->root = g_object_ref (root);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), display_path);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->remove_button), "x",
                                    shoal_shared_root_get_id (root));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->remove_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  g_signal_connect_object (root, "notify", G_CALLBACK (show_root), self, G_CONNECT_SWAPPED);
  show_root (self);
}

static void
shoal_folder_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ShoalFolderRow *self = SHOAL_FOLDER_ROW (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      set_root (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_folder_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ShoalFolderRow *self = SHOAL_FOLDER_ROW (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_object (value, self->root);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_folder_row_dispose (GObject *object)
{
  ShoalFolderRow *self = SHOAL_FOLDER_ROW (object);

  if (self->root != NULL)
    g_signal_handlers_disconnect_by_data (self->root, self);
  g_clear_object (&self->root);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_FOLDER_ROW);
  G_OBJECT_CLASS (shoal_folder_row_parent_class)->dispose (object);
}

static void
shoal_folder_row_class_init (ShoalFolderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = shoal_folder_row_set_property;
  object_class->get_property = shoal_folder_row_get_property;
  object_class->dispose = shoal_folder_row_dispose;

  properties[PROP_ROOT] =
    g_param_spec_object ("root", NULL, "The shared folder shown",
                         SHOAL_TYPE_SHARED_ROOT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-folder-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalFolderRow, scanning_spinner);
  gtk_widget_class_bind_template_child (widget_class, ShoalFolderRow, remove_button);
}

static void
shoal_folder_row_init (ShoalFolderRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
shoal_folder_row_new (ShoalSharedRoot *root)
{
  g_return_val_if_fail (SHOAL_IS_SHARED_ROOT (root), NULL);
  return g_object_new (SHOAL_TYPE_FOLDER_ROW, "root", root, NULL);
}

ShoalSharedRoot *
shoal_folder_row_get_root (ShoalFolderRow *self)
{
  g_return_val_if_fail (SHOAL_IS_FOLDER_ROW (self), NULL);
  return self->root;
}
