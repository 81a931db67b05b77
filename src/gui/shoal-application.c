/* shoal-application.c — the desktop app: settings, the data folder lock and
 * the servent in-process, the app-wide actions, magnet links opened. */
#include "shoal-application.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "shoal-data-lock.h"
#include "shoal-preferences-window.h"
#include "shoal-transfers-page.h"
#include "shoal-window.h"

/* On quit, how long peers get to receive our BYE: shoald waits longer, but
 * a window closing must not seem to hang. */
#define QUIT_GRACE_MS 1000
#define MAGNET_SCHEME "magnet"
#define TRANSFERS_PAGE "transfers"
#define WEBSITE "https://github.com/shoal/shoal"

struct _ShoalApplication
{
  AdwApplication  parent_instance;

  char           *data_dir_option;  /* --data-dir; NULL: the settings' */
  char           *config_option;    /* --config; NULL: the default file */
  char           *config_path;      /* where the settings are read and saved */
  ShoaldConfig   *settings;         /* NULL when the file does not read */
  ShoalDataLock  *lock;
  ShoalLibrary   *library;
  ShoalServent   *servent;          /* NULL until started, or when it could not */
  GError         *start_error;
  GtkWidget      *preferences;      /* weak: while it is open */
  guint           sigint_id;
  guint           sigterm_id;
};

enum
{
  PROP_0,
  PROP_SERVENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalApplication, shoal_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Where the library, the host cache and unfinished downloads live "
       "(default: $XDG_DATA_HOME/shoal)"), N_("DIR") },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Settings file, shared with shoald (default: $XDG_CONFIG_HOME/shoal/shoal.conf)"), N_("FILE") },
  { NULL }
};

/* Starting the servent ----------------------------------------------------- */

/* As shoald reads them: the defaults, under the settings file, under the
 * options given. A missing default file is no error; a missing --config
 * file is. */
static ShoaldConfig *
load_settings (ShoalApplication  *self,
               GError           **error)
{
  ShoaldOptions options = { NULL };
  g_autoptr(ShoaldConfig) settings = NULL;
  g_autoptr(GError) load_error = NULL;

  settings = shoald_config_load_file (self->config_path, &load_error);
  if (settings == NULL && self->config_option == NULL &&
      g_error_matches (load_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    settings = shoald_config_new_default ();
  else if (settings == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&load_error));
      return NULL;
    }
  /* Borrowed, not freed: the only option the app takes over the file. */
  options.data_dir = self->data_dir_option;
  if (!shoald_config_apply_options (settings, &options, error))
    return NULL;
  return g_steal_pointer (&settings);
}

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source), result, &error);

  if (root == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("cannot share: %s", error->message);
}

static void
share_configured_folders (ShoalApplication *self)
{
  for (guint i = 0; self->settings->shares != NULL && self->settings->shares[i] != NULL; i++)
    shoal_library_add_root_async (self->library, self->settings->shares[i], NULL, on_root_added, NULL);
}

/* The lock is taken before anything in the data folder is opened: a
 * shoald already running there keeps it, and the window says so. */
static gboolean
start_servent (ShoalApplication  *self,
               GError           **error)
{
  const ShoalNodeConfig *config;

  self->settings = load_settings (self, error);
  if (self->settings == NULL)
    return FALSE;
  config = self->settings->node;
  self->lock = shoal_data_lock_acquire (config->data_dir, error);
  if (self->lock == NULL)
    return FALSE;
  self->library = shoal_library_new (config->data_dir);
  self->servent = shoal_servent_new (config, self->library);
  if (!shoal_servent_start (self->servent, error))
    {
      g_object_run_dispose (G_OBJECT (self->servent));
      g_clear_object (&self->servent);
      return FALSE;
    }
  share_configured_folders (self);
  return TRUE;
}

static gboolean
on_grace_over (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* BYE to every peer, and the main loop runs on until they are gone or
 * the grace is over, so that the BYEs leave before the sockets close. */
static void
stop_servent (ShoalApplication *self)
{
  ShoalNodeManager *node;
  gboolean grace_over = FALSE;
  guint grace_id;

  if (self->servent != NULL)
    {
      node = shoal_servent_get_node_manager (self->servent);
      shoal_servent_shutdown (self->servent);
      grace_id = g_timeout_add (QUIT_GRACE_MS, on_grace_over, &grace_over);
      while (!grace_over && shoal_node_manager_get_link_count (node) > 0)
        g_main_context_iteration (NULL, TRUE);
      if (!grace_over)
        g_source_remove (grace_id);
      g_object_run_dispose (G_OBJECT (self->servent));
      g_clear_object (&self->servent);
    }
  g_clear_object (&self->library);
  g_clear_pointer (&self->lock, shoal_data_lock_release);
}

/* The window ----------------------------------------------------------------- */

static ShoalWindow *
find_window (ShoalApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (SHOAL_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static ShoalWindow *
ensure_window (ShoalApplication *self)
{
  ShoalWindow *window = find_window (self);

  return window != NULL ? window : shoal_window_new (self);
}

static gboolean
add_magnet (ShoalApplication *self,
            ShoalWindow      *window,
            const char       *uri)
{
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;

  if (self->servent == NULL)
    {
      shoal_window_show_toast (window, _("Cannot download the link: Shoal is not running"));
      return FALSE;
    }
  download = shoal_transfers_add_magnet (shoal_servent_get_transfers (self->servent), uri, &error);
  if (download == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot download the link: %s"), error->message);

      shoal_window_show_toast (window, text);
      return FALSE;
    }
  return TRUE;
}

/* Actions --------------------------------------------------------------------- */

static void
on_preferences (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ShoalApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  g_return_if_fail (self->servent != NULL);
  /* One at a time: two would each save their own view of the file. */
  if (self->preferences == NULL)
    {
      self->preferences = shoal_preferences_window_new (parent, self->servent, self->settings,
                                                        self->config_path);
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
    }
  gtk_window_present (GTK_WINDOW (self->preferences));
}

static void
on_about (GSimpleAction *action,
          GVariant      *parameter,
          gpointer       user_data)
{
  ShoalApplication *self = user_data;

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Shoal"),
                         "application-icon", SHOAL_APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Search and share files on the Gnutella network"),
                         "developer-name", _("The Shoal developers"),
                         "website", WEBSITE,
                         "issue-url", WEBSITE "/issues",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

/* Windows are closed rather than destroyed: each saves its size on its
 * way out. The servent stops in shutdown, once the main loop ends. */
static void
on_quit (GSimpleAction *action,
         GVariant      *parameter,
         gpointer       user_data)
{
  ShoalApplication *self = user_data;
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_application_quit (G_APPLICATION (self));
}

/* A completed download's notification (SHOAL_TRANSFERS_PAGE_NOTIFICATION_ACTION):
 * the window, on the Transfers page. */
static void
on_show_transfers (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  ShoalWindow *window = ensure_window (user_data);

  shoal_window_show_page (window, TRANSFERS_PAGE);
  gtk_window_present (GTK_WINDOW (window));
}

/* Said in the window, which comes forward: the notification the user
 * clicked is gone. */
static void
show_open_error (ShoalApplication *self,
                 const char       *path,
                 const char       *reason)
{
  ShoalWindow *window = ensure_window (self);
  g_autofree char *name = g_filename_display_basename (path);
  /* TRANSLATORS: the first %s is a file's name, the second why it could not be opened */
  g_autofree char *text = g_strdup_printf (_("Could not open “%s”: %s"), name, reason);

  shoal_window_show_toast (window, text);
  gtk_window_present (GTK_WINDOW (window));
}

typedef struct
{
  ShoalApplication *application;
  char             *path;
} OpenDownload;

static void
open_download_free (OpenDownload *open)
{
  g_object_unref (open->application);
  g_free (open->path);
  g_free (open);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenDownload, open_download_free)

static void
on_download_shown (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(OpenDownload) open = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    show_open_error (open->application, open->path, error->message);
}

/* The Open button of a completed download's notification
 * (SHOAL_TRANSFERS_PAGE_NOTIFICATION_OPEN_ACTION): its path, as a
 * bytestring. Anyone on the session bus may activate it: only a file
 * that is there, a regular one, goes to the desktop's default app. */
static void
on_open_download (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  ShoalApplication *self = user_data;
  const char *path = g_variant_get_bytestring (parameter);
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;
  OpenDownload *open;

  if (!g_path_is_absolute (path))
    {
      show_open_error (self, path, _("it is not a file of this computer"));
      return;
    }
  file = g_file_new_for_path (path);
  /* One stat, so that the desktop is never asked to open what is gone
   * or is not a plain file. */
  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_REGULAR)
    {
      show_open_error (self, path, _("it is no longer there"));
      return;
    }
  uri = g_file_get_uri (file);
  open = g_new0 (OpenDownload, 1);
  open->application = g_object_ref (self);
  open->path = g_strdup (path);
  gtk_show_uri_full (GTK_WINDOW (find_window (self)), uri, GDK_CURRENT_TIME, NULL,
                     on_download_shown, open);
}

static void
update_action_states (ShoalApplication *self)
{
  GAction *preferences = g_action_map_lookup_action (G_ACTION_MAP (self), "preferences");
  GAction *start = g_action_map_lookup_action (G_ACTION_MAP (self), "start-again");

  /* Nothing to change while nothing runs, nothing to start once it does. */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (preferences), self->servent != NULL);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (start), self->servent == NULL);
}

/* "Try Again" on the error state: the other Shoal was stopped, or the
 * settings file was fixed. Everything is read again. */
static void
on_start_again (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ShoalApplication *self = user_data;

  if (self->servent != NULL)
    return;
  stop_servent (self);
  g_clear_pointer (&self->settings, shoald_config_free);
  g_clear_error (&self->start_error);
  if (!start_servent (self, &self->start_error))
    g_message ("the servent is not running: %s", self->start_error->message);
  update_action_states (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVENT]);
}

/* Ctrl-C in the terminal that started us, or a session ending: quit as
 * Ctrl+Q does, saying BYE to the peers. */
static gboolean
on_stop_signal (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static const GActionEntry app_actions[] = {
  { "preferences", on_preferences, NULL, NULL, NULL, { 0 } },
  { "about", on_about, NULL, NULL, NULL, { 0 } },
  { "quit", on_quit, NULL, NULL, NULL, { 0 } },
  { "start-again", on_start_again, NULL, NULL, NULL, { 0 } },
  /* For the notifications of the Transfers page: see shoal-transfers-page.h. */
  { "show-transfers", on_show_transfers, NULL, NULL, NULL, { 0 } },
  { "open-download", on_open_download, "ay", NULL, NULL, { 0 } },
};

static const struct
{
  const char *action;
  const char *accels[2];
} app_accels[] = {
  { "app.preferences", { "<Primary>comma", NULL } },
  { "app.quit", { "<Primary>q", NULL } },
  { "win.search-focus", { "<Primary>f", NULL } },
  { "win.new-search-tab", { "<Primary>t", NULL } },
  { "win.close-search-tab", { "<Primary>w", NULL } },
  { "win.show-page::search", { "<Primary>1", NULL } },
  { "win.show-page::transfers", { "<Primary>2", NULL } },
  { "win.show-page::network", { "<Primary>3", NULL } },
  { "win.show-page::library", { "<Primary>4", NULL } },
};

static void
add_actions (ShoalApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), app_accels[i].action,
                                           app_accels[i].accels);
  update_action_states (self);
}

/* GApplication ----------------------------------------------------------------- */

static int
shoal_application_handle_local_options (GApplication *application,
                                        GVariantDict *options)
{
  ShoalApplication *self = SHOAL_APPLICATION (application);

  g_clear_pointer (&self->data_dir_option, g_free);
  g_clear_pointer (&self->config_option, g_free);
  g_variant_dict_lookup (options, "data-dir", "^ay", &self->data_dir_option);
  g_variant_dict_lookup (options, "config", "^ay", &self->config_option);
  if (self->config_option != NULL)
    {
      g_free (self->config_path);
      self->config_path = g_strdup (self->config_option);
    }
  /* Go on: activate, or open what was given, here or in the running
   * instance. */
  return -1;
}

/* Only in the instance that runs: a second one hands its arguments over. */
static void
shoal_application_startup (GApplication *application)
{
  ShoalApplication *self = SHOAL_APPLICATION (application);

  G_APPLICATION_CLASS (shoal_application_parent_class)->startup (application);
  /* The installed icon, named as the desktop file names it, for every
   * window where the desktop shows one (X11 window lists, the About). */
  gtk_window_set_default_icon_name (SHOAL_APPLICATION_ID);
  if (!start_servent (self, &self->start_error))
    g_message ("the servent is not running: %s", self->start_error->message);
  add_actions (self);
  self->sigint_id = g_unix_signal_add (SIGINT, on_stop_signal, self);
  self->sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal, self);
}

static void
shoal_application_activate (GApplication *application)
{
  ShoalWindow *window = ensure_window (SHOAL_APPLICATION (application));

  gtk_window_present (GTK_WINDOW (window));
}

static void
shoal_application_open (GApplication  *application,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  ShoalApplication *self = SHOAL_APPLICATION (application);
  ShoalWindow *window = ensure_window (self);
  gboolean added = FALSE;

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      const char *scheme = g_uri_peek_scheme (uri);

      if (g_strcmp0 (scheme, MAGNET_SCHEME) != 0)
        g_warning ("ignoring %s: Shoal opens magnet: links only", uri);
      else if (add_magnet (self, window, uri))
        added = TRUE;
    }
  if (added)
    shoal_window_show_page (window, TRANSFERS_PAGE);
  gtk_window_present (GTK_WINDOW (window));
}

/* The pages let go of the servent before it is disposed. */
static void
shoal_application_shutdown (GApplication *application)
{
  ShoalApplication *self = SHOAL_APPLICATION (application);
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  if (self->preferences != NULL)
    {
      GtkWidget *preferences = g_steal_pointer (&self->preferences);

      g_object_remove_weak_pointer (G_OBJECT (preferences), (gpointer *) &self->preferences);
      gtk_window_destroy (GTK_WINDOW (preferences));
    }
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  stop_servent (self);
  G_APPLICATION_CLASS (shoal_application_parent_class)->shutdown (application);
}

static void
shoal_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ShoalApplication *self = SHOAL_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_SERVENT:
      g_value_set_object (value, self->servent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_application_finalize (GObject *object)
{
  ShoalApplication *self = SHOAL_APPLICATION (object);

  stop_servent (self);
  g_clear_pointer (&self->settings, shoald_config_free);
  g_clear_error (&self->start_error);
  g_free (self->data_dir_option);
  g_free (self->config_option);
  g_free (self->config_path);
  G_OBJECT_CLASS (shoal_application_parent_class)->finalize (object);
}

static void
shoal_application_class_init (ShoalApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = shoal_application_get_property;
  object_class->finalize = shoal_application_finalize;
  application_class->handle_local_options = shoal_application_handle_local_options;
  application_class->startup = shoal_application_startup;
  application_class->activate = shoal_application_activate;
  application_class->open = shoal_application_open;
  application_class->shutdown = shoal_application_shutdown;

  properties[PROP_SERVENT] =
    g_param_spec_object ("servent", NULL, "The servent, once it runs",
                         SHOAL_TYPE_SERVENT, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_application_init (ShoalApplication *self)
{
  self->config_path = shoald_config_get_default_path ();
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[MAGNET-LINK…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Search and share files on the Gnutella network."));
}

/* Public API -------------------------------------------------------------------- */

ShoalApplication *
shoal_application_new (void)
{
  return g_object_new (SHOAL_TYPE_APPLICATION,
                       "application-id", SHOAL_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}

ShoalServent *
shoal_application_get_servent (ShoalApplication *self)
{
  g_return_val_if_fail (SHOAL_IS_APPLICATION (self), NULL);
  return self->servent;
}

ShoaldConfig *
shoal_application_get_settings (ShoalApplication *self)
{
  g_return_val_if_fail (SHOAL_IS_APPLICATION (self), NULL);
  return self->settings;
}

const char *
shoal_application_get_config_path (ShoalApplication *self)
{
  g_return_val_if_fail (SHOAL_IS_APPLICATION (self), NULL);
  return self->config_path;
}

const GError *
shoal_application_get_start_error (ShoalApplication *self)
{
  g_return_val_if_fail (SHOAL_IS_APPLICATION (self), NULL);
  return self->start_error;
}

const char *
shoal_application_get_data_dir (ShoalApplication *self)
{
  g_return_val_if_fail (SHOAL_IS_APPLICATION (self), NULL);
  return self->settings != NULL ? self->settings->node->data_dir : NULL;
}
