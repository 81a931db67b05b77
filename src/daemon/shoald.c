/* shoald.c — the headless servent: joins the Gnutella network, shares
 * folders, routes and answers queries, and stops cleanly on SIGINT or
 * SIGTERM; SIGUSR1 writes its state to status.json in the data dir;
 * SIGHUP reads the settings again and reopens the log file. Settings
 * come from shoal.conf, under the command line. Never forks: systemd
 * (Type=notify) or a shell runs it. Links no GTK. */
#include <glib-unix.h>
#include <gio/gio.h>
#include <locale.h>

#include "shoal-data-lock.h"
#include "shoal-servent.h"
#include "shoald-config.h"
#include "shoald-control.h"
#include "shoald-log.h"
#include "shoald-status.h"

/* How often the daemon logs a line of status. */
#define STATUS_INTERVAL_S 30
/* On shutdown, how long peers get to receive our BYE before we exit. */
#define SHUTDOWN_GRACE_MS 3000

#define HELP_DESCRIPTION \
  "shoald never forks into the background: run it under systemd (Type=notify;\n" \
  "it says READY=1 once listening) or from a shell. Signals: SIGTERM or SIGINT\n" \
  "stop it cleanly; SIGHUP reads the settings file again (under the options\n" \
  "given), applies what can change while it runs and reopens the log file;\n" \
  "SIGUSR1 writes status.json into the data folder."

typedef struct
{
  GMainLoop        *loop;
  ShoalServent     *servent;
  ShoalNodeManager *node;       /* the servent's */
  ShoalLibrary     *library;
  char             *status_path;
  gboolean          stopping;
  ShoaldConfig        *settings;     /* in effect; SIGHUP updates it */
  const char          *config_path;  /* --config; NULL: the default file */
  const ShoaldOptions *options;      /* the command line, over the file */
} Daemon;

/* Once a scan settles: what is shared, and how much had to be hashed
 * since start (after a restart, only what changed meanwhile). */
static void
on_library_busy (ShoalLibrary *library,
                 GParamSpec   *pspec,
                 gpointer      user_data)
{
  if (shoal_library_get_busy (library))
    return;
  g_message ("library: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT " hashed (%"
             G_GUINT64_FORMAT " since start)", shoal_library_get_file_count (library),
             shoal_library_get_hashed_count (library), shoal_library_get_files_hashed (library));
}

static gboolean
log_status (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_message ("%u links, %u known hosts, %" G_GUINT64_FORMAT " files shared",
             shoal_node_manager_get_link_count (daemon->node),
             shoal_host_cache_get_count (shoal_node_manager_get_host_cache (daemon->node)),
             shoal_library_get_file_count (daemon->library));
  return G_SOURCE_CONTINUE;
}

static gboolean
finish_shutdown (gpointer user_data)
{
  g_main_loop_quit (((Daemon *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static void
on_link_count (GObject    *node,
               GParamSpec *pspec,
               gpointer    user_data)
{
  Daemon *daemon = user_data;

  if (daemon->stopping && shoal_node_manager_get_link_count (daemon->node) == 0)
    g_main_loop_quit (daemon->loop);
}

static gboolean
on_status_signal (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  if (!shoald_status_write (daemon->servent, daemon->status_path, &error))
    g_warning ("cannot write the status: %s", error->message);
  return G_SOURCE_CONTINUE;
}

/* BYE to every peer, then exit once they are gone or the grace is over. */
static gboolean
on_stop_signal (gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->stopping)
    return G_SOURCE_CONTINUE;
  g_message ("shutting down");
  shoald_notify ("STOPPING=1");
  daemon->stopping = TRUE;
  shoal_servent_shutdown (daemon->servent);
  if (shoal_node_manager_get_link_count (daemon->node) == 0)
    g_main_loop_quit (daemon->loop);
  else
    g_timeout_add (SHUTDOWN_GRACE_MS, finish_shutdown, daemon);
  return G_SOURCE_CONTINUE;
}

/* The defaults, under the settings file, under the options given. A
 * missing default file is no error; a missing --config file is. */
static ShoaldConfig *
load_config (const char           *config_path,
             const ShoaldOptions  *options,
             GError              **error)
{
  g_autofree char *default_path = shoald_config_get_default_path ();
  g_autoptr(GError) load_error = NULL;
  g_autoptr(ShoaldConfig) config = NULL;

  config = shoald_config_load_file (config_path != NULL ? config_path : default_path, &load_error);
  if (config == NULL && config_path == NULL &&
      g_error_matches (load_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    config = shoald_config_new_default ();
  else if (config == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&load_error));
      return NULL;
    }
  if (!shoald_config_apply_options (config, options, error))
    return NULL;
  return g_steal_pointer (&config);
}

static char *
join_names (GPtrArray *names)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (text, i > 0 ? ", %s" : "%s", (const char *) g_ptr_array_index (names, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
apply_reloaded (Daemon             *daemon,
                const ShoaldConfig *wanted)
{
  g_autoptr(GPtrArray) changed = shoald_config_diff (daemon->settings, wanted);
  g_autoptr(GPtrArray) restart = shoald_config_apply_live (daemon->settings, wanted, daemon->servent);
  g_autofree char *restart_names = join_names (restart);

  for (guint i = 0; i < restart->len; i++)
    g_ptr_array_remove (changed, g_ptr_array_index (restart, i));
  if (changed->len > 0)
    {
      g_autofree char *names = join_names (changed);

      g_message ("settings reloaded: applied %s", names);
    }
  else if (restart->len == 0)
    g_message ("settings reloaded: nothing changed");
  if (restart->len > 0)
    g_message ("settings reloaded: restart to apply %s", restart_names);
}

/* SIGHUP: the log file is opened again (logrotate renamed it), then the
 * settings are read again; a file that does not read changes nothing. */
static gboolean
on_reload_signal (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(ShoaldConfig) wanted = NULL;
  g_autoptr(GError) error = NULL;

  shoald_notify_reloading ();
  if (!shoald_log_reopen (&error))
    {
      g_warning ("%s", error->message);
      g_clear_error (&error);
    }
  wanted = load_config (daemon->config_path, daemon->options, &error);
  if (wanted == NULL)
    g_warning ("settings not reloaded, the ones in effect stay: %s", error->message);
  else
    apply_reloaded (daemon, wanted);
  shoald_notify ("READY=1");
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_auto(ShoaldOptions) options = { NULL };
  g_autofree char *config_path = NULL;
  gboolean print_config = FALSE;
  gboolean foreground = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Settings file (default: $XDG_CONFIG_HOME/shoal/shoal.conf)", "FILE" },
    { "print-config", 0, 0, G_OPTION_ARG_NONE, &print_config, "Print a shoal.conf with every setting, its default and what it does, and exit", NULL },
    { "foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground, "Stay in the foreground (always so: shoald never daemonizes itself)", NULL },
    { "log-file", 0, 0, G_OPTION_ARG_FILENAME, &options.log_file, "Append the log to FILE, reopened on SIGHUP (default: the journal, or stderr)", "FILE" },
    { "api-address", 0, 0, G_OPTION_ARG_STRING, &options.api_address, "Address the control API listens on (default 127.0.0.1)", "ADDRESS" },
    { "api-port", 0, 0, G_OPTION_ARG_STRING, &options.api_port, "TCP port of the control API; 0 picks one (default 6348)", "PORT" },
    { "port", 'p', 0, G_OPTION_ARG_STRING, &options.port, "TCP (and UDP) port to listen on; 0 picks one", "PORT" },
    { "listen-address", 0, 0, G_OPTION_ARG_STRING, &options.listen_address, "Address to listen on (default: all)", "ADDRESS" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.data_dir, "Where the library and host cache live", "DIR" },
    { "download-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.download_dir, "Where finished downloads go (default: your Downloads folder)", "DIR" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &options.role, "auto, leaf or ultrapeer", "ROLE" },
    { "anchor", 'a', 0, G_OPTION_ARG_STRING_ARRAY, &options.anchors, "A node to join through first (repeatable)", "HOST:PORT" },
    { "no-default-bootstrap", 0, 0, G_OPTION_ARG_NONE, &options.no_default_bootstrap, "Never contact the built-in host caches", NULL },
    { "no-browse-host", 0, 0, G_OPTION_ARG_NONE, &options.no_browse_host, "Refuse to list our shared files to other servents", NULL },
    { "anchors-only", 0, 0, G_OPTION_ARG_NONE, &options.anchors_only, "Dial only the anchors, never hosts learned from the network", NULL },
    { "qrp-period", 0, 0, G_OPTION_ARG_STRING, &options.qrp_period_s, "Seconds between QRP patches to ultrapeer peers (default 60)", "SECONDS" },
    { "promote-after", 0, 0, G_OPTION_ARG_STRING, &options.promote_after_s, "Automatic role: seconds up before becoming an ultrapeer (default 3600)", "SECONDS" },
    { "demote-after", 0, 0, G_OPTION_ARG_STRING, &options.demote_after_s, "Automatic role: seconds without leaves before becoming a leaf again (default 3600)", "SECONDS" },
    { "role-switch-interval", 0, 0, G_OPTION_ARG_STRING, &options.switch_interval_s, "Automatic role: seconds at least between two role changes (default 1800)", "SECONDS" },
    { "upload-kbps", 0, 0, G_OPTION_ARG_STRING, &options.upload_kbps, "Upload bandwidth this host has, in kbit/s (default 1024)", "KBPS" },
    { "upload-slots", 0, 0, G_OPTION_ARG_STRING, &options.upload_slots, "Uploads served at once, 1 to 64 (default 4)", "N" },
    { "upload-limit-kbps", 0, 0, G_OPTION_ARG_STRING, &options.upload_limit_kbps, "Cap on all uploads together, in kbit/s; 0: no cap (default)", "KBPS" },
    { "download-limit-kbps", 0, 0, G_OPTION_ARG_STRING, &options.download_limit_kbps, "Cap on all downloads together, in kbit/s; 0: no cap (default)", "KBPS" },
    { "allow-private", 0, 0, G_OPTION_ARG_NONE, &options.allow_private, "Accept and dial private and loopback addresses (LANs, tests)", NULL },
    { "no-lan-discovery", 0, 0, G_OPTION_ARG_NONE, &options.no_lan_discovery, "Do not look for Shoal peers on the local network (mDNS)", NULL },
    { "lan-only", 0, 0, G_OPTION_ARG_NONE, &options.lan_only, "Link within the LAN only: private addresses, no bootstrap caches", NULL },
    { "peer", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.manual_peers, "A peer to dial first and redial whenever its link drops (repeatable)", "HOST:PORT" },
    { "share", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &options.shares, "A folder to share (repeatable)", "DIR" },
    { "uhc", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.udp_host_caches, "A UDP host cache to bootstrap from, replacing the built-in list (repeatable)", "HOST:PORT" },
    { "gwc", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.gwebcaches, "A GWebCache to bootstrap from, replacing the built-in list (repeatable)", "URL" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the Shoal Gnutella servent, headless");
  g_autoptr(ShoaldConfig) settings = NULL;
  g_autofree char *default_config_path = shoald_config_get_default_path ();
  ShoaldControl *control = NULL;
  g_autoptr(ShoalDataLock) lock = NULL;
  g_autoptr(GError) error = NULL;
  const ShoalNodeConfig *config;
  Daemon daemon = { NULL };
  gboolean started;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, HELP_DESCRIPTION);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("shoald: %s\n", error->message);
      return 2;
    }
  if (print_config)
    {
      g_autofree char *text = shoald_config_print_default ();

      g_print ("%s", text);
      return 0;
    }
  settings = load_config (config_path, &options, &error);
  if (settings == NULL)
    {
      g_printerr ("shoald: %s\n", error->message);
      return 2;
    }
  shoald_log_install ();
  if (!shoald_log_set_file (settings->log_file, &error))
    {
      g_printerr ("shoald: %s\n", error->message);
      return 1;
    }
  config = settings->node;
  /* Before anything in the data folder is opened. */
  lock = shoal_data_lock_acquire (config->data_dir, &error);
  if (lock == NULL)
    {
      g_printerr ("shoald: %s\n", error->message);
      return 1;
    }

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.library = shoal_library_new (config->data_dir);
  g_signal_connect (daemon.library, "notify::busy", G_CALLBACK (on_library_busy), NULL);
  daemon.servent = shoal_servent_new (config, daemon.library);
  daemon.node = shoal_servent_get_node_manager (daemon.servent);
  daemon.status_path = g_build_filename (config->data_dir, "status.json", NULL);
  daemon.settings = settings;
  daemon.config_path = config_path;
  daemon.options = &options;
  /* Before the port opens: whoever sees it open may signal us. */
  g_unix_signal_add (SIGINT, on_stop_signal, &daemon);
  g_unix_signal_add (SIGTERM, on_stop_signal, &daemon);
  g_unix_signal_add (SIGUSR1, on_status_signal, &daemon);
  g_unix_signal_add (SIGHUP, on_reload_signal, &daemon);
  /* The API first: once the Gnutella port answers, so does the API. It
   * changes the same settings SIGHUP does, saved in the same file. */
  control = shoald_control_start (daemon.servent, settings,
                                  config_path != NULL ? config_path : default_config_path, &error);
  started = control != NULL && shoal_servent_start (daemon.servent, &error);
  if (started)
    {
      g_autofree char *ready = NULL;

      g_message ("listening on port %u", shoal_node_manager_get_port (daemon.node));
      ready = g_strdup_printf ("READY=1\nSTATUS=listening on port %u",
                               shoal_node_manager_get_port (daemon.node));
      shoald_notify (ready);
      g_signal_connect (daemon.node, "notify::link-count", G_CALLBACK (on_link_count), &daemon);
      for (guint i = 0; settings->shares != NULL && settings->shares[i] != NULL; i++)
        shoald_config_share (daemon.library, settings->shares[i]);
      g_timeout_add_seconds (STATUS_INTERVAL_S, log_status, &daemon);
      g_main_loop_run (daemon.loop);
    }
  else
    g_printerr ("shoald: cannot start: %s\n", error->message);

  /* Also after a failed start: nothing is left for the leak checker. */
  g_clear_pointer (&control, shoald_control_stop);
  g_object_run_dispose (G_OBJECT (daemon.servent));
  g_object_unref (daemon.servent);
  g_object_unref (daemon.library);
  g_free (daemon.status_path);
  g_main_loop_unref (daemon.loop);
  return started ? 0 : 1;
}
