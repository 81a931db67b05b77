/* shoald-api-metrics.c — GET /metrics: the servent's counters and gauges
 * in the Prometheus text exposition format 0.0.4. */
#include "shoald-api.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define COUNTER "counter"
#define GAUGE "gauge"

/* The text being written, and the family its last sample belonged to:
 * a family's HELP and TYPE lines come once, before its first sample. */
typedef struct
{
  GString    *text;
  const char *family;
} Metrics;

/* One sample: "name{labels} value". @labels: NULL or 'key="value"'. */
static void
add_metric (Metrics    *metrics,
            const char *name,
            const char *type,
            const char *help,
            const char *labels,
            guint64     value)
{
  if (metrics->family == NULL || g_strcmp0 (metrics->family, name) != 0)
    {
      g_string_append_printf (metrics->text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
      metrics->family = name;
    }
  if (labels != NULL)
    g_string_append_printf (metrics->text, "%s{%s} %" G_GUINT64_FORMAT "\n", name, labels, value);
  else
    g_string_append_printf (metrics->text, "%s %" G_GUINT64_FORMAT "\n", name, value);
}

static void
add_network (Metrics          *metrics,
             ShoaldApiContext *context)
{
  ShoalNodeManager *node = shoal_servent_get_node_manager (context->servent);
  ShoalHostCache *hosts = shoal_node_manager_get_host_cache (node);
  g_autoptr(GPtrArray) peers = shoal_node_manager_list_peers (node);
  gboolean ultrapeer = shoal_node_manager_get_role (node) == SHOAL_PEER_ROLE_ULTRAPEER;
  const char *links = "Links to peers, by the peer's role";
  const char *role = "This node's role (1 for the current one)";
  const char *bytes = "Gnutella link bytes on the wire since start";
  const char *messages = "Gnutella messages over links since start";
  ShoalLinkStats traffic;
  guint up_links = 0;

  for (guint i = 0; i < peers->len; i++)
    up_links += ((ShoalPeerInfo *) g_ptr_array_index (peers, i))->role == SHOAL_PEER_ROLE_ULTRAPEER;
  shoal_node_manager_get_traffic (node, &traffic);

  add_metric (metrics, "shoal_links", GAUGE, links, "role=\"leaf\"", peers->len - up_links);
  add_metric (metrics, "shoal_links", GAUGE, links, "role=\"ultrapeer\"", up_links);
  add_metric (metrics, "shoal_role", GAUGE, role, "role=\"leaf\"", !ultrapeer);
  add_metric (metrics, "shoal_role", GAUGE, role, "role=\"ultrapeer\"", ultrapeer);
  add_metric (metrics, "shoal_uptime_seconds", GAUGE, "Seconds since the daemon started", NULL,
              (guint64) (g_get_monotonic_time () - context->started_us) / G_USEC_PER_SEC);
  add_metric (metrics, "shoal_hosts_known", GAUGE, "Hosts in the host cache", NULL,
              hosts ? shoal_host_cache_get_count (hosts) : 0);
  add_metric (metrics, "shoal_gnutella_bytes_total", COUNTER, bytes, "direction=\"in\"", traffic.bytes_in);
  add_metric (metrics, "shoal_gnutella_bytes_total", COUNTER, bytes, "direction=\"out\"", traffic.bytes_out);
  add_metric (metrics, "shoal_gnutella_messages_total", COUNTER, messages, "direction=\"in\"",
              traffic.messages_in);
  add_metric (metrics, "shoal_gnutella_messages_total", COUNTER, messages, "direction=\"out\"",
              traffic.messages_out);
}

static void
add_lan (Metrics          *metrics,
         ShoalNodeManager *node)
{
  ShoalNodeLanStatus lan;

  shoal_node_manager_get_lan_status (node, &lan);
  add_metric (metrics, "shoal_lan_peers", GAUGE, "Shoal peers announced on the LAN (mDNS)", NULL,
              lan.peers);
  add_metric (metrics, "shoal_lan_discovery_up", GAUGE,
              "Whether LAN discovery runs (published and browsing)", NULL,
              lan.state == SHOAL_LAN_STATE_RUNNING);
}

static void
add_routing (Metrics      *metrics,
             ShoalServent *servent)
{
  const char *received = "Queries, query hits and pushes received";
  const char *routed = "Queries, query hits and pushes sent (ours and relayed)";
  const char *dropped = "Messages dropped for a rule (TTL, size, no route)";
  ShoalRouterStats stats;

  shoal_router_get_stats (shoal_servent_get_router (servent), &stats);
  add_metric (metrics, "shoal_messages_received_total", COUNTER, received, "type=\"query\"", stats.queries_in);
  add_metric (metrics, "shoal_messages_received_total", COUNTER, received, "type=\"query_hit\"", stats.hits_in);
  add_metric (metrics, "shoal_messages_received_total", COUNTER, received, "type=\"push\"", stats.pushes_in);
  add_metric (metrics, "shoal_messages_routed_total", COUNTER, routed, "type=\"query\"", stats.queries_out);
  add_metric (metrics, "shoal_messages_routed_total", COUNTER, routed, "type=\"query_hit\"", stats.hits_out);
  add_metric (metrics, "shoal_messages_routed_total", COUNTER, routed, "type=\"push\"", stats.pushes_out);
  add_metric (metrics, "shoal_messages_dropped_total", COUNTER, dropped, "type=\"query\"", stats.dropped_queries);
  add_metric (metrics, "shoal_messages_dropped_total", COUNTER, dropped, "type=\"query_hit\"", stats.dropped_hits);
  add_metric (metrics, "shoal_messages_dropped_total", COUNTER, dropped, "type=\"push\"", stats.dropped_pushes);
  add_metric (metrics, "shoal_messages_dropped_total", COUNTER, dropped, "type=\"other\"", stats.dropped_other);
  add_metric (metrics, "shoal_messages_duplicate_total", COUNTER, "Messages dropped as already seen", NULL,
              stats.duplicates);
  add_metric (metrics, "shoal_queries_seen_total", COUNTER, "Well-formed queries received", NULL,
              stats.queries_in);
  add_metric (metrics, "shoal_queries_answered_total", COUNTER, "Queries handed to the library", NULL,
              stats.queries_answered);
  add_metric (metrics, "shoal_qrp_updates_total", COUNTER, "QRP messages applied", NULL, stats.qrp_updates);
}

static void
add_downloads (Metrics        *metrics,
               ShoalTransfers *transfers)
{
  GListModel *downloads = transfers ? shoal_transfers_get_downloads (transfers) : NULL;
  g_autoptr(GEnumClass) states = g_type_class_ref (SHOAL_TYPE_DOWNLOAD_STATUS);
  g_autofree guint *counts = g_new0 (guint, states->n_values);
  guint count = downloads ? g_list_model_get_n_items (downloads) : 0;

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(ShoalDownload) download = g_list_model_get_item (downloads, i);
      GEnumValue *state = g_enum_get_value (states, shoal_download_get_state (download));

      if (state != NULL)
        counts[state - states->values]++;
    }
  /* Every state, the empty ones too: a series should not vanish. */
  for (guint i = 0; i < states->n_values; i++)
    {
      g_autofree char *labels = g_strdup_printf ("state=\"%s\"", states->values[i].value_nick);

      add_metric (metrics, "shoal_downloads", GAUGE, "Downloads in the list, by state", labels, counts[i]);
    }
}

static void
add_transfers (Metrics      *metrics,
               ShoalServent *servent)
{
  ShoalUploadServer *server = shoal_servent_get_upload_server (servent);
  ShoalTransfers *transfers = shoal_servent_get_transfers (servent);
  ShoalUploadStats uploads = { 0 };

  if (server != NULL)
    shoal_upload_server_get_stats (server, &uploads);
  add_metric (metrics, "shoal_upload_bytes_total", COUNTER, "File bytes served to downloaders", NULL,
              uploads.bytes_served);
  add_metric (metrics, "shoal_download_bytes_total", COUNTER, "File bytes received from sources", NULL,
              transfers ? shoal_transfers_get_bytes_downloaded (transfers) : 0);
  add_metric (metrics, "shoal_upload_requests_total", COUNTER, "HTTP requests to the upload server",
              NULL, uploads.requests);
  add_metric (metrics, "shoal_uploads_refused_total", COUNTER, "Upload requests refused (busy, not ready)",
              NULL, uploads.refused);
  add_metric (metrics, "shoal_uploads_active", GAUGE, "Upload slots held now", NULL, uploads.uploads);
  add_downloads (metrics, transfers);
}

static guint
count_running_searches (ShoalServent *servent)
{
  GListModel *searches = shoal_servent_get_searches (servent);
  guint running = 0;

  for (guint i = 0; i < g_list_model_get_n_items (searches); i++)
    {
      g_autoptr(ShoalSearch) search = g_list_model_get_item (searches, i);

      running += shoal_search_get_state (search) == SHOAL_SEARCH_RUNNING;
    }
  return running;
}

static void
add_library (Metrics      *metrics,
             ShoalServent *servent)
{
  ShoalLibrary *library = shoal_servent_get_library (servent);

  add_metric (metrics, "shoal_library_files", GAUGE, "Files in the shared library", NULL,
              library ? shoal_library_get_file_count (library) : 0);
  add_metric (metrics, "shoal_library_hashed_files", GAUGE, "Shared files with their SHA-1 known", NULL,
              library ? shoal_library_get_hashed_count (library) : 0);
  add_metric (metrics, "shoal_library_bytes", GAUGE, "Bytes of the shared files", NULL,
              library ? shoal_library_get_shared_bytes (library) : 0);
  add_metric (metrics, "shoal_searches_active", GAUGE, "Searches still running", NULL,
              count_running_searches (servent));
}

static void
add_api (Metrics         *metrics,
         ShoaldApiServer *server)
{
  const char *refused = "Control API requests refused, by reason";
  ShoaldApiServerStats stats;

  shoald_api_server_get_stats (server, &stats);
  add_metric (metrics, "shoal_api_requests_total", COUNTER, "Control API requests", NULL, stats.requests);
  add_metric (metrics, "shoal_api_refused_total", COUNTER, refused, "reason=\"unauthorized\"",
              stats.unauthorized);
  add_metric (metrics, "shoal_api_refused_total", COUNTER, refused, "reason=\"csrf\"", stats.csrf_refused);
  add_metric (metrics, "shoal_api_refused_total", COUNTER, refused, "reason=\"bad_body\"", stats.bad_bodies);
  add_metric (metrics, "shoal_api_refused_total", COUNTER, refused, "reason=\"too_large\"", stats.too_large);
}

static void
on_metrics (ShoaldApiRequest *request,
            gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  g_autoptr(GString) text = g_string_new (NULL);
  Metrics metrics = { text, NULL };

  add_network (&metrics, context);
  add_lan (&metrics, shoal_servent_get_node_manager (context->servent));
  add_routing (&metrics, context->servent);
  add_transfers (&metrics, context->servent);
  add_library (&metrics, context->servent);
  add_api (&metrics, context->server);
  shoald_api_request_respond_text (request, 200, METRICS_CONTENT_TYPE, text->str);
}

void
shoald_api_metrics_register (ShoaldApiContext *context)
{
  shoald_api_server_add_route (context->server, "GET", "/metrics", on_metrics, context);
}
