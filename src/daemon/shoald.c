/* shoald.c — the headless servent: joins the Gnutella network, shares
 * folders, routes and answers queries, and stops cleanly on SIGINT or
 * SIGTERM; SIGUSR1 writes its state to status.json in the data dir.
 * Links no GTK. */
#include <glib-unix.h>
#include <gio/gio.h>
#include <locale.h>

#include "shoal-servent.h"
#include "shoald-status.h"

/* How often the daemon logs a line of status. */
#define STATUS_INTERVAL_S 30
/* On shutdown, how long peers get to receive our BYE before we exit. */
#define SHUTDOWN_GRACE_MS 3000

typedef struct
{
  GMainLoop        *loop;
  ShoalServent     *servent;
  ShoalNodeManager *node;       /* the servent's */
  ShoalLibrary     *library;
  char             *status_path;
  gboolean          stopping;
} Daemon;

static gboolean
parse_role (const char    *text,
            ShoalRoleMode *mode,
            GError       **error)
{
  if (g_strcmp0 (text, "auto") == 0)
    *mode = SHOAL_ROLE_MODE_AUTO;
  else if (g_strcmp0 (text, "leaf") == 0)
    *mode = SHOAL_ROLE_MODE_LEAF;
  else if (g_strcmp0 (text, "ultrapeer") == 0)
    *mode = SHOAL_ROLE_MODE_ULTRAPEER;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--role must be auto, leaf or ultrapeer, not \"%s\"", text);
      return FALSE;
    }
  return TRUE;
}

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source), result, &error);

  if (root == NULL)
    g_warning ("cannot share: %s", error->message);
  else
    g_message ("sharing %s", shoal_shared_root_get_path (root));
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
  daemon->stopping = TRUE;
  shoal_servent_shutdown (daemon->servent);
  if (shoal_node_manager_get_link_count (daemon->node) == 0)
    g_main_loop_quit (daemon->loop);
  else
    g_timeout_add (SHUTDOWN_GRACE_MS, finish_shutdown, daemon);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *listen_address = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *download_dir = NULL;
  g_autofree char *role = NULL;
  g_auto(GStrv) anchors = NULL;
  g_auto(GStrv) shares = NULL;
  g_auto(GStrv) udp_host_caches = NULL;
  g_auto(GStrv) gwebcaches = NULL;
  gint port = SHOAL_DEFAULT_PORT;
  gint qrp_period = 0;
  gint promote_after = -1;
  gint demote_after = -1;
  gint switch_interval = -1;
  gint upload_kbps = -1;
  gboolean no_default_bootstrap = FALSE;
  gboolean allow_private = FALSE;
  gboolean anchors_only = FALSE;
  gboolean no_browse_host = FALSE;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "TCP (and UDP) port to listen on; 0 picks one", "PORT" },
    { "listen-address", 0, 0, G_OPTION_ARG_STRING, &listen_address, "Address to listen on (default: all)", "ADDRESS" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Where the library and host cache live", "DIR" },
    { "download-dir", 0, 0, G_OPTION_ARG_FILENAME, &download_dir, "Where finished downloads go (default: your Downloads folder)", "DIR" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "auto, leaf or ultrapeer", "ROLE" },
    { "anchor", 'a', 0, G_OPTION_ARG_STRING_ARRAY, &anchors, "A node to join through first (repeatable)", "HOST:PORT" },
    { "no-default-bootstrap", 0, 0, G_OPTION_ARG_NONE, &no_default_bootstrap, "Never contact the built-in host caches", NULL },
    { "no-browse-host", 0, 0, G_OPTION_ARG_NONE, &no_browse_host, "Refuse to list our shared files to other servents", NULL },
    { "anchors-only", 0, 0, G_OPTION_ARG_NONE, &anchors_only, "Dial only the anchors, never hosts learned from the network", NULL },
    { "qrp-period", 0, 0, G_OPTION_ARG_INT, &qrp_period, "Seconds between QRP patches to ultrapeer peers (default 60)", "SECONDS" },
    { "promote-after", 0, 0, G_OPTION_ARG_INT, &promote_after, "Automatic role: seconds up before becoming an ultrapeer (default 3600)", "SECONDS" },
    { "demote-after", 0, 0, G_OPTION_ARG_INT, &demote_after, "Automatic role: seconds without leaves before becoming a leaf again (default 3600)", "SECONDS" },
    { "role-switch-interval", 0, 0, G_OPTION_ARG_INT, &switch_interval, "Automatic role: seconds at least between two role changes (default 1800)", "SECONDS" },
    { "upload-kbps", 0, 0, G_OPTION_ARG_INT, &upload_kbps, "Upload bandwidth this host has, in kbit/s (default 1024)", "KBPS" },
    { "allow-private", 0, 0, G_OPTION_ARG_NONE, &allow_private, "Accept and dial private and loopback addresses (LANs, tests)", NULL },
    { "share", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &shares, "A folder to share (repeatable)", "DIR" },
    { "uhc", 0, 0, G_OPTION_ARG_STRING_ARRAY, &udp_host_caches, "A UDP host cache to bootstrap from, replacing the built-in list (repeatable)", "HOST:PORT" },
    { "gwc", 0, 0, G_OPTION_ARG_STRING_ARRAY, &gwebcaches, "A GWebCache to bootstrap from, replacing the built-in list (repeatable)", "URL" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the Shoal Gnutella servent, headless");
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;
  Daemon daemon = { NULL };
  gboolean started;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("shoald: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > G_MAXUINT16)
    {
      g_printerr ("shoald: --port must be 0 to 65535\n");
      return 2;
    }
  config->port = (guint16) port;
  config->listen_address = g_strdup (listen_address);
  config->allow_private = allow_private;
  config->download_dir = g_strdup (download_dir);
  config->anchors_only = anchors_only;
  config->browse_host = !no_browse_host;
  if (qrp_period < 0 || qrp_period > 3600)
    {
      g_printerr ("shoald: --qrp-period must be 1 to 3600 seconds\n");
      return 2;
    }
  config->qrp_period_ms = (guint) qrp_period * 1000;
  if (promote_after >= 0)
    config->role_thresholds.min_uptime_s = (guint) promote_after;
  if (demote_after >= 0)
    config->role_thresholds.demote_after_s = (guint) demote_after;
  if (switch_interval >= 0)
    config->role_thresholds.switch_interval_s = (guint) switch_interval;
  if (upload_kbps >= 0)
    config->upload_kbps = (guint) upload_kbps;
  config->default_bootstrap = !no_default_bootstrap;
  config->udp_host_caches = g_strdupv (udp_host_caches);
  config->gwebcaches = g_strdupv (gwebcaches);
  if (data_dir != NULL)
    {
      g_free (config->data_dir);
      config->data_dir = g_strdup (data_dir);
    }
  if (role != NULL && !parse_role (role, &config->role_mode, &error))
    {
      g_printerr ("shoald: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; anchors != NULL && anchors[i] != NULL; i++)
    if (!shoal_node_config_add_anchor (config, anchors[i], &error))
      {
        g_printerr ("shoald: %s\n", error->message);
        return 2;
      }

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.library = shoal_library_new (config->data_dir);
  daemon.servent = shoal_servent_new (config, daemon.library);
  daemon.node = shoal_servent_get_node_manager (daemon.servent);
  daemon.status_path = g_build_filename (config->data_dir, "status.json", NULL);
  /* Before the port opens: whoever sees it open may signal us. */
  g_unix_signal_add (SIGINT, on_stop_signal, &daemon);
  g_unix_signal_add (SIGTERM, on_stop_signal, &daemon);
  g_unix_signal_add (SIGUSR1, on_status_signal, &daemon);
  started = shoal_servent_start (daemon.servent, &error);
  if (started)
    {
      g_message ("listening on port %u", shoal_node_manager_get_port (daemon.node));
      g_signal_connect (daemon.node, "notify::link-count", G_CALLBACK (on_link_count), &daemon);
      for (guint i = 0; shares != NULL && shares[i] != NULL; i++)
        shoal_library_add_root_async (daemon.library, shares[i], NULL, on_root_added, NULL);
      g_timeout_add_seconds (STATUS_INTERVAL_S, log_status, &daemon);
      g_main_loop_run (daemon.loop);
    }
  else
    g_printerr ("shoald: cannot start: %s\n", error->message);

  /* Also after a failed start: nothing is left for the leak checker. */
  g_object_run_dispose (G_OBJECT (daemon.servent));
  g_object_unref (daemon.servent);
  g_object_unref (daemon.library);
  g_free (daemon.status_path);
  g_main_loop_unref (daemon.loop);
  return started ? 0 : 1;
}
