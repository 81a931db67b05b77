/* gui-test-util.c — what the desktop app's tests share: servent, the
 * real application, window, finding widgets, waiting on them. */
#include "gui-test-util.h"

#include "shoal-resources.h"
#include "shoal-test-node.h"

#include <string.h>

#define LOOPBACK "127.0.0.1"

void
shoal_gui_test_init (int    *argc,
                     char ***argv)
{
  g_test_init (argc, argv, NULL);
  gtk_init ();
  adw_init ();
  /* Links the resources in, whose constructor registers them. */
  g_assert_nonnull (shoal_get_resource ());
}

/* A servent and its data folder -------------------------------------------- */

void
shoal_gui_servent_init (ShoalGuiServent *servent,
                        const char      *name_template)
{
  ShoalNodeConfig *config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;

  servent->data_dir = g_dir_make_tmp (name_template, &error);
  g_assert_no_error (error);
  g_free (config->data_dir);
  config->data_dir = g_strdup (servent->data_dir);
  g_free (config->download_dir);
  config->download_dir = g_build_filename (servent->data_dir, "complete", NULL);
  g_free (config->listen_address);
  config->listen_address = g_strdup (LOOPBACK);
  config->port = 0;
  config->allow_private = TRUE;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;
  servent->config = config;
}

void
shoal_gui_servent_start (ShoalGuiServent *servent,
                         gboolean         with_library)
{
  g_autoptr(GError) error = NULL;

  if (with_library)
    servent->library = shoal_library_new (servent->data_dir);
  servent->servent = shoal_servent_new (servent->config, servent->library);
  g_assert_true (shoal_servent_start (servent->servent, &error));
  g_assert_no_error (error);
}

void
shoal_gui_servent_clear (ShoalGuiServent *servent)
{
  if (servent->servent != NULL)
    {
      shoal_servent_shutdown (servent->servent);
      g_object_run_dispose (G_OBJECT (servent->servent));
      g_clear_object (&servent->servent);
    }
  g_clear_object (&servent->library);
  g_clear_pointer (&servent->config, shoal_node_config_free);
  shoal_test_remove_tree (servent->data_dir);
  g_clear_pointer (&servent->data_dir, g_free);
}

/* Files ------------------------------------------------------------------------ */

void
shoal_gui_write_file (const char *folder,
                      const char *name,
                      const char *contents,
                      gssize      length)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);
}

typedef struct
{
  ShoalSharedRoot *root;
  GError          *error;
  gboolean         done;
} RootAdded;

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  RootAdded *added = data;

  added->root = shoal_library_add_root_finish (SHOAL_LIBRARY (source), result, &added->error);
  added->done = TRUE;
}

void
shoal_gui_share_folder (ShoalLibrary *library,
                        const char   *folder)
{
  RootAdded added = { 0 };

  shoal_library_add_root_async (library, folder, NULL, on_root_added, &added);
  shoal_test_wait_flag (&added.done, SHOAL_GUI_TEST_TIMEOUT_MS, "the shared folder to be added");
  g_assert_no_error (added.error);
  g_assert_nonnull (added.root);
  g_object_unref (added.root);
}

/* The real application --------------------------------------------------------- */

GKeyFile *
shoal_gui_app_config_new (const char *download_dir)
{
  GKeyFile *config = g_key_file_new ();

  g_key_file_set_integer (config, "network", "port", 0);
  g_key_file_set_string (config, "network", "listen-address", LOOPBACK);
  g_key_file_set_boolean (config, "network", "allow-private", TRUE);
  g_key_file_set_boolean (config, "network", "lan-discovery", FALSE);
  g_key_file_set_boolean (config, "bootstrap", "default-bootstrap", FALSE);
  g_key_file_set_boolean (config, "bootstrap", "anchors-only", TRUE);
  g_key_file_set_string (config, "transfers", "download-dir", download_dir);
  return config;
}

void
shoal_gui_app_config_save (GKeyFile   *config,
                           const char *path)
{
  g_autoptr(GError) error = NULL;
  gboolean saved = g_key_file_save_to_file (config, path, &error);

  g_assert_no_error (error);
  g_assert_true (saved);
}

ShoalWindow *
shoal_gui_find_app_window (ShoalApplication *application)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (application)); l != NULL; l = l->next)
    if (SHOAL_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

typedef struct
{
  ShoalApplication *application;
  ShoalGuiAppBody   body;
  gpointer          data;
  gboolean          scheduled;
  gboolean          ran;
} AppRun;

static gboolean
run_app_body (gpointer data)
{
  AppRun *run = data;
  ShoalWindow *window = shoal_gui_find_app_window (run->application);

  g_assert_nonnull (window);
  shoal_test_wait_until (shoal_gui_widget_mapped, window, SHOAL_GUI_TEST_TIMEOUT_MS, "the window on screen");
  run->body (run->application, window, run->data);
  run->ran = TRUE;
  /* Ctrl+Q; harmless when the body quit already. */
  g_action_group_activate_action (G_ACTION_GROUP (run->application), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* After the app's own handler, so that its window exists. Once only: a
 * body that hands the running app a link makes it emit "open" again. */
static void
on_app_started (GApplication *application,
                AppRun       *run)
{
  if (run->scheduled)
    return;
  run->scheduled = TRUE;
  g_idle_add (run_app_body, run);
}

static void
on_app_opened (GApplication  *application,
               GFile        **files,
               int            n_files,
               const char    *hint,
               AppRun        *run)
{
  on_app_started (application, run);
}

void
shoal_gui_run_application (const char      *data_dir,
                           const char      *config_path,
                           const char      *uri,
                           ShoalGuiAppBody  body,
                           gpointer         data)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  AppRun run = { shoal_application_new (), body, data, FALSE, FALSE };
  int status;

  g_ptr_array_add (args, (char *) "shoal");
  g_ptr_array_add (args, (char *) "--data-dir");
  g_ptr_array_add (args, (char *) data_dir);
  g_ptr_array_add (args, (char *) "--config");
  g_ptr_array_add (args, (char *) config_path);
  if (uri != NULL)
    g_ptr_array_add (args, (char *) uri);
  g_ptr_array_add (args, NULL);

  g_signal_connect_after (run.application, "activate", G_CALLBACK (on_app_started), &run);
  g_signal_connect_after (run.application, "open", G_CALLBACK (on_app_opened), &run);
  status = g_application_run (G_APPLICATION (run.application), (int) args->len - 1, (char **) args->pdata);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.ran);
  g_assert_null (shoal_gui_find_app_window (run.application));
  /* Nothing keeps it: the next test's app takes the bus name again. */
  g_object_add_weak_pointer (G_OBJECT (run.application), (gpointer *) &run.application);
  g_object_unref (run.application);
  g_assert_null (run.application);
}

/* Windows ---------------------------------------------------------------------- */

GtkWindow *
shoal_gui_show_in_window (GtkWidget *child,
                          GtkWidget *widget_to_map,
                          int        width,
                          int        height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  if (width > 0 && height > 0)
    gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, child);
  gtk_window_present (window);
  shoal_test_wait_until (shoal_gui_widget_mapped, widget_to_map, SHOAL_GUI_TEST_TIMEOUT_MS,
                         "the page on screen");
  return window;
}

GtkWindow *
shoal_gui_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

AdwMessageDialog *
shoal_gui_find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

/* Finding widgets -------------------------------------------------------------- */

GtkWidget *
shoal_gui_find_descendant (GtkWidget     *root,
                           ShoalGuiMatch  match,
                           gconstpointer  data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = shoal_gui_find_descendant (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
has_id (GtkWidget     *widget,
        gconstpointer  id)
{
  return g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0;
}

GtkWidget *
shoal_gui_find_by_id (GtkWidget  *root,
                      const char *id)
{
  return shoal_gui_find_descendant (root, has_id, id);
}

GtkWidget *
shoal_gui_require_by_id (GtkWidget  *root,
                         const char *id)
{
  GtkWidget *widget = shoal_gui_find_by_id (root, id);

  g_assert_nonnull (widget);
  return widget;
}

gboolean
shoal_gui_is_button_labelled (GtkWidget     *widget,
                              gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

gboolean
shoal_gui_is_shown_label_with (GtkWidget     *widget,
                               gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

/* Conditions ------------------------------------------------------------------- */

gboolean
shoal_gui_widget_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

gboolean
shoal_gui_widget_unmapped (gpointer widget)
{
  return !gtk_widget_get_mapped (widget);
}

gboolean
shoal_gui_label_shown (GtkWidget  *root,
                       const char *text)
{
  return shoal_gui_find_descendant (root, shoal_gui_is_shown_label_with, text) != NULL;
}

typedef struct
{
  GtkWidget  *root;
  const char *text;
  gboolean    shown;
} LabelWanted;

static gboolean
label_as_wanted (gpointer data)
{
  LabelWanted *wanted = data;

  return shoal_gui_label_shown (wanted->root, wanted->text) == wanted->shown;
}

void
shoal_gui_wait_label (GtkWidget  *root,
                      const char *text,
                      gboolean    shown)
{
  LabelWanted wanted = { root, text, shown };
  g_autofree char *what = g_strdup_printf ("“%s” to be %s", text, shown ? "shown" : "hidden");

  shoal_test_wait_until (label_as_wanted, &wanted, SHOAL_GUI_TEST_TIMEOUT_MS, what);
}
