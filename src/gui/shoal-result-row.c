/* shoal-result-row.c — a network result or a local file, as one row. */
#include "shoal-result-row.h"

#include <glib/gi18n.h>
#include <string.h>

#include "shoal-magnet.h"

struct _ShoalResultRow
{
  GObject            parent_instance;

  ShoalSearchResult *result;     /* NULL for a local row */
  char              *name;
  guint64            size;
  char              *size_text;
  ShoalFileKind      kind;
  gboolean           has_sha1;
  guint8             sha1[SHOAL_SHA1_SIZE];
  char              *relpath;    /* below its shared folder; local rows only */
};

enum
{
  PROP_0,
  PROP_NAME,
  PROP_SIZE,
  PROP_SIZE_TEXT,
  PROP_KIND,
  PROP_KIND_LABEL,
  PROP_ICON_NAME,
  PROP_SOURCES,
  PROP_SOURCES_TEXT,
  PROP_LOCAL,
  PROP_TOOLTIP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalResultRow, shoal_result_row, G_TYPE_OBJECT)

/* Helpers ------------------------------------------------------------------ */

static void
set_file (ShoalResultRow *self,
          const char     *name,
          guint64         size)
{
  self->name = g_strdup (name);
  self->size = size;
  self->size_text = g_format_size (size);
  self->kind = shoal_file_kind_from_name (name);
}

static char *
dup_sources_text (ShoalResultRow *self)
{
  if (self->result == NULL)
    /* TRANSLATORS: what the Sources column says of a file the user shares. */
    return g_strdup (C_("sources", "yours"));
  return g_strdup_printf ("%u", shoal_search_result_get_source_count (self->result));
}

static char *
dup_tooltip (ShoalResultRow *self)
{
  if (self->result == NULL)
    return g_strdup_printf (_("In your library: %s"), self->relpath);
  return g_strdup (self->name);
}

/* Signal callbacks --------------------------------------------------------- */

static void
on_result_source_count (ShoalResultRow *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCES_TEXT]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Overrides ---------------------------------------------------------------- */

static void
shoal_result_row_dispose (GObject *object)
{
  ShoalResultRow *self = SHOAL_RESULT_ROW (object);

  if (self->result != NULL)
    g_signal_handlers_disconnect_by_data (self->result, self);
  g_clear_object (&self->result);

  G_OBJECT_CLASS (shoal_result_row_parent_class)->dispose (object);
}

static void
shoal_result_row_finalize (GObject *object)
{
  ShoalResultRow *self = SHOAL_RESULT_ROW (object);

  g_free (self->name);
  g_free (self->size_text);
  g_free (self->relpath);

  G_OBJECT_CLASS (shoal_result_row_parent_class)->finalize (object);
}

static void
shoal_result_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ShoalResultRow *self = SHOAL_RESULT_ROW (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_SIZE_TEXT:
      g_value_set_string (value, self->size_text);
      break;
    case PROP_KIND:
      g_value_set_uint (value, self->kind);
      break;
    case PROP_KIND_LABEL:
      g_value_set_string (value, shoal_file_kind_get_label (self->kind));
      break;
    case PROP_ICON_NAME:
      g_value_set_string (value, shoal_file_kind_get_icon_name (self->kind));
      break;
    case PROP_SOURCES:
      g_value_set_uint (value, shoal_result_row_get_sources (self));
      break;
    case PROP_SOURCES_TEXT:
      g_value_take_string (value, dup_sources_text (self));
      break;
    case PROP_LOCAL:
      g_value_set_boolean (value, self->result == NULL);
      break;
    case PROP_TOOLTIP:
      g_value_take_string (value, dup_tooltip (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_result_row_class_init (ShoalResultRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = shoal_result_row_dispose;
  object_class->finalize = shoal_result_row_finalize;
  object_class->get_property = shoal_result_row_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "The file name", NULL, read_only);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, "The file size in bytes", 0, G_MAXUINT64, 0, read_only);
  properties[PROP_SIZE_TEXT] =
    g_param_spec_string ("size-text", NULL, "The size for people, \"1.2 MB\"", NULL, read_only);
  properties[PROP_KIND] =
    g_param_spec_uint ("kind", NULL, "The ShoalFileKind its extension says",
                       0, SHOAL_FILE_N_KINDS - 1, SHOAL_FILE_KIND_OTHER, read_only);
  properties[PROP_KIND_LABEL] =
    g_param_spec_string ("kind-label", NULL, "The kind in words", NULL, read_only);
  properties[PROP_ICON_NAME] =
    g_param_spec_string ("icon-name", NULL, "An icon for the kind", NULL, read_only);
  properties[PROP_SOURCES] =
    g_param_spec_uint ("sources", NULL, "Servents offering it; 0 for a file of ours",
                       0, G_MAXUINT, 0, read_only);
  properties[PROP_SOURCES_TEXT] =
    g_param_spec_string ("sources-text", NULL, "The count, or \"yours\"", NULL, read_only);
  properties[PROP_LOCAL] =
    g_param_spec_boolean ("local", NULL, "Whether the file is in the user's own library",
                          FALSE, read_only);
  properties[PROP_TOOLTIP] =
    g_param_spec_string ("tooltip", NULL, "The full name, or where the file of ours is",
                         NULL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_result_row_init (ShoalResultRow *self)
{
  (void) self;
}

/* Public API --------------------------------------------------------------- */

ShoalResultRow *
shoal_result_row_new_network (ShoalSearchResult *result)
{
  ShoalResultRow *self;

  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (result), NULL);

  self = g_object_new (SHOAL_TYPE_RESULT_ROW, NULL);
  self->result = g_object_ref (result);
  set_file (self, shoal_search_result_get_name (result), shoal_search_result_get_size (result));
  self->has_sha1 = shoal_search_result_get_sha1 (result, self->sha1);
  g_signal_connect_swapped (result, "notify::source-count",
                            G_CALLBACK (on_result_source_count), self);
  return self;
}

ShoalResultRow *
shoal_result_row_new_local (const ShoalLibraryFile *file)
{
  ShoalResultRow *self;

  g_return_val_if_fail (file != NULL, NULL);

  self = g_object_new (SHOAL_TYPE_RESULT_ROW, NULL);
  set_file (self, file->name, file->stat.size);
  self->relpath = g_strdup (file->relpath);
  self->has_sha1 = file->has_sha1;
  if (file->has_sha1)
    memcpy (self->sha1, file->sha1, SHOAL_SHA1_SIZE);
  return self;
}

const char *
shoal_result_row_get_name (ShoalResultRow *self)
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), NULL);
  return self->name;
}

guint64
shoal_result_row_get_size (ShoalResultRow *self)
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), 0);
  return self->size;
}

ShoalFileKind
shoal_result_row_get_kind (ShoalResultRow *self)
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), SHOAL_FILE_KIND_OTHER);
  return self->kind;
}

guint
shoal_result_row_get_sources (ShoalResultRow *self)
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), 0);
  return self->result != NULL ? shoal_search_result_get_source_count (self->result) : 0;
}

gboolean
shoal_result_row_get_local (ShoalResultRow *self)
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), FALSE);
  return self->result == NULL;
}

ShoalSearchResult *
shoal_result_row_get_result (ShoalResultRow *self)
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), NULL);
  return self->result;
}

gboolean
shoal_result_row_get_sha1 (ShoalResultRow *self,
                           guint8          sha1[SHOAL_SHA1_SIZE])
{
  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), FALSE);
  if (self->has_sha1 && sha1 != NULL)
    memcpy (sha1, self->sha1, SHOAL_SHA1_SIZE);
  return self->has_sha1;
}

char *
shoal_result_row_dup_magnet (ShoalResultRow *self)
{
  g_autoptr(ShoalMagnet) magnet = NULL;

  g_return_val_if_fail (SHOAL_IS_RESULT_ROW (self), NULL);

  if (!self->has_sha1)
    return NULL;
  magnet = shoal_magnet_new ();
  magnet->has_sha1 = TRUE;
  memcpy (magnet->sha1, self->sha1, SHOAL_SHA1_SIZE);
  magnet->display_name = g_strdup (self->name);
  magnet->has_exact_length = TRUE;
  magnet->exact_length = self->size;
  return shoal_magnet_to_string (magnet);
}
