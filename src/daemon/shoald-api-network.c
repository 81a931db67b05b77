/* shoald-api-network.c — the control API's network endpoints: the
 * servent's status, its links (listed, dialled and remembered as manual
 * peers, closed) and the hosts it knows. */
#include "shoald-api.h"

#include <string.h>

/* What a link closed through the API says in its BYE. */
#define CLOSE_CODE 200
#define CLOSE_REASON "Closed by the operator"
/* The setting a remembered peer joins. */
#define MANUAL_PEERS_KEY "network.manual-peers"

/* JSON pieces -------------------------------------------------------------- */

static void
add_endpoint (JsonBuilder             *builder,
              const char              *name,
              const ShoalIpv4Endpoint *endpoint)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  shoald_api_add_string (builder, name,
                         endpoint->address != 0
                         ? shoal_ipv4_endpoint_format (endpoint, TRUE, text) : NULL);
}

static void
add_link (JsonBuilder   *builder,
          ShoalServent  *servent,
          ShoalPeerInfo *info)
{
  ShoalNodeManager *node = shoal_servent_get_node_manager (servent);
  ShoalRouter *router = shoal_servent_get_router (servent);
  g_autofree char *guid = shoal_guid_is_zero (&info->guid) ? NULL : shoal_guid_to_hex (&info->guid);
  ShoalLinkStats traffic = { 0 };
  ShoalRouterStats routed = { 0 };

  shoal_node_manager_get_link_stats (node, info->id, &traffic);
  shoal_router_get_link_stats (router, info->id, &routed);
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "id", (gint64) info->id);
  add_endpoint (builder, "address", &info->remote);
  add_endpoint (builder, "listen", &info->listen);
  shoald_api_add_string (builder, "role", shoald_api_role_name (info->role));
  shoald_api_add_string (builder, "direction", info->outgoing ? "out" : "in");
  shoald_api_add_string (builder, "user_agent", info->user_agent);
  shoald_api_add_string (builder, "guid", guid);
  shoald_api_add_boolean (builder, "lan", info->lan);
  shoald_api_add_int (builder, "bytes_in", (gint64) traffic.bytes_in);
  shoald_api_add_int (builder, "bytes_out", (gint64) traffic.bytes_out);
  shoald_api_add_int (builder, "messages_in", (gint64) traffic.messages_in);
  shoald_api_add_int (builder, "messages_out", (gint64) traffic.messages_out);
  shoald_api_add_int (builder, "queries_in", (gint64) routed.queries_in);
  shoald_api_add_int (builder, "hits_in", (gint64) routed.hits_in);
  shoald_api_add_boolean (builder, "has_qrp_table", shoal_router_link_has_table (router, info->id));
  json_builder_end_object (builder);
}

static gint
compare_peer_ids (gconstpointer a,
                  gconstpointer b)
{
  const ShoalPeerInfo *first = *(ShoalPeerInfo * const *) a;
  const ShoalPeerInfo *second = *(ShoalPeerInfo * const *) b;

  return first->id < second->id ? -1 : first->id > second->id;
}

/* The links, oldest first. */
static GPtrArray *
list_peers (ShoalServent *servent)
{
  GPtrArray *peers = shoal_node_manager_list_peers (shoal_servent_get_node_manager (servent));

  g_ptr_array_sort (peers, compare_peer_ids);
  return peers;
}

static ShoalPeerInfo *
find_peer (GPtrArray *peers,
           guint64    link_id)
{
  for (guint i = 0; i < peers->len; i++)
    {
      ShoalPeerInfo *info = g_ptr_array_index (peers, i);

      if (info->id == link_id)
        return info;
    }
  return NULL;
}

/* Status ------------------------------------------------------------------- */

static const char *
role_mode_name (ShoaldApiContext *context)
{
  if (context->config == NULL)
    return NULL;
  switch (context->config->node->role_mode)
    {
    case SHOAL_ROLE_MODE_LEAF:
      return "leaf";
    case SHOAL_ROLE_MODE_ULTRAPEER:
      return "ultrapeer";
    case SHOAL_ROLE_MODE_AUTO:
    default:
      return "auto";
    }
}

static void
add_link_counts (JsonBuilder *builder,
                 GPtrArray   *peers)
{
  guint ultrapeers = 0;

  for (guint i = 0; i < peers->len; i++)
    ultrapeers += ((ShoalPeerInfo *) g_ptr_array_index (peers, i))->role == SHOAL_PEER_ROLE_ULTRAPEER;
  json_builder_set_member_name (builder, "links");
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "total", peers->len);
  shoald_api_add_int (builder, "leaf", peers->len - ultrapeers);
  shoald_api_add_int (builder, "ultrapeer", ultrapeers);
  json_builder_end_object (builder);
}

static void
add_traffic (JsonBuilder  *builder,
             ShoalServent *servent)
{
  ShoalUploadServer *uploads = shoal_servent_get_upload_server (servent);
  ShoalTransfers *transfers = shoal_servent_get_transfers (servent);
  ShoalLinkStats gnutella = { 0 };
  ShoalUploadStats served = { 0 };

  shoal_node_manager_get_traffic (shoal_servent_get_node_manager (servent), &gnutella);
  if (uploads != NULL)
    shoal_upload_server_get_stats (uploads, &served);
  json_builder_set_member_name (builder, "traffic");
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "bytes_in", (gint64) gnutella.bytes_in);
  shoald_api_add_int (builder, "bytes_out", (gint64) gnutella.bytes_out);
  shoald_api_add_int (builder, "messages_in", (gint64) gnutella.messages_in);
  shoald_api_add_int (builder, "messages_out", (gint64) gnutella.messages_out);
  shoald_api_add_int (builder, "upload_bytes", (gint64) served.bytes_served);
  shoald_api_add_int (builder, "download_bytes",
                      transfers != NULL ? (gint64) shoal_transfers_get_bytes_downloaded (transfers) : 0);
  json_builder_end_object (builder);
}

static void
add_library (JsonBuilder  *builder,
             ShoalLibrary *library)
{
  json_builder_set_member_name (builder, "library");
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "files", library ? (gint64) shoal_library_get_file_count (library) : 0);
  shoald_api_add_int (builder, "hashed", library ? (gint64) shoal_library_get_hashed_count (library) : 0);
  shoald_api_add_int (builder, "bytes", library ? (gint64) shoal_library_get_shared_bytes (library) : 0);
  shoald_api_add_boolean (builder, "busy", library && shoal_library_get_busy (library));
  shoald_api_add_int (builder, "roots",
                      library ? g_list_model_get_n_items (shoal_library_get_roots (library)) : 0);
  json_builder_end_object (builder);
}

static void
add_transfers (JsonBuilder  *builder,
               ShoalServent *servent)
{
  ShoalTransfers *transfers = shoal_servent_get_transfers (servent);
  ShoalUploadServer *uploads = shoal_servent_get_upload_server (servent);
  GListModel *downloads = transfers ? shoal_transfers_get_downloads (transfers) : NULL;
  guint count = downloads ? g_list_model_get_n_items (downloads) : 0;
  ShoalUploadStats served = { 0 };
  guint running = 0;

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(ShoalDownload) download = g_list_model_get_item (downloads, i);

      running += shoal_download_get_state (download) == SHOAL_DOWNLOAD_STATUS_RUNNING;
    }
  if (uploads != NULL)
    shoal_upload_server_get_stats (uploads, &served);
  json_builder_set_member_name (builder, "transfers");
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "downloads", count);
  shoald_api_add_int (builder, "downloads_active", running);
  shoald_api_add_int (builder, "uploads_active", served.uploads);
  json_builder_end_object (builder);
}

static void
on_status (ShoaldApiRequest *request,
           gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  ShoalServent *servent = context->servent;
  ShoalNodeManager *node = shoal_servent_get_node_manager (servent);
  ShoalHostCache *hosts = shoal_node_manager_get_host_cache (node);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) peers = list_peers (servent);
  g_autofree char *guid = shoal_guid_to_hex (shoal_node_manager_get_guid (node));
  ShoalRouterStats routed;

  shoal_router_get_stats (shoal_servent_get_router (servent), &routed);
  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "version", PACKAGE_VERSION);
  shoald_api_add_string (builder, "guid", guid);
  shoald_api_add_string (builder, "role", shoald_api_role_name (shoal_node_manager_get_role (node)));
  shoald_api_add_string (builder, "role_mode", role_mode_name (context));
  shoald_api_add_int (builder, "uptime",
                      (g_get_monotonic_time () - context->started_us) / G_USEC_PER_SEC);
  shoald_api_add_int (builder, "port", shoal_node_manager_get_port (node));
  shoald_api_add_boolean (builder, "reachable", shoal_node_manager_get_reachable (node));
  shoald_api_add_int (builder, "role_switches", shoal_node_manager_get_role_switches (node));
  add_link_counts (builder, peers);
  shoald_api_add_lan (builder, node);
  shoald_api_add_int (builder, "hosts_known", hosts ? shoal_host_cache_get_count (hosts) : 0);
  add_traffic (builder, servent);
  json_builder_set_member_name (builder, "router");
  json_builder_begin_object (builder);
  shoald_api_add_router_stats (builder, &routed);
  json_builder_end_object (builder);
  add_library (builder, shoal_servent_get_library (servent));
  add_transfers (builder, servent);
  json_builder_end_object (builder);
  answer = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, answer);
}

/* Links -------------------------------------------------------------------- */

static void
on_list_links (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) peers = list_peers (context->servent);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "links");
  json_builder_begin_array (builder);
  for (guint i = 0; i < peers->len; i++)
    add_link (builder, context->servent, g_ptr_array_index (peers, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  answer = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, answer);
}

/* {"link": {...}, "remembered": bool}, or 502 when the link closed
 * before we could say so. */
static void
respond_link (ShoaldApiRequest *request,
              ShoalServent     *servent,
              guint64           link_id,
              gboolean          remembered)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) peers = list_peers (servent);
  ShoalPeerInfo *info = find_peer (peers, link_id);

  if (info == NULL)
    {
      shoald_api_request_respond_error (request, 502, "failed", "The link closed at once");
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "link");
  add_link (builder, servent, info);
  shoald_api_add_boolean (builder, "remembered", remembered);
  json_builder_end_object (builder);
  answer = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 201, answer);
}

/* The servent, not the context: a dial cut short by the daemon's
 * shutdown finishes after the context is gone. */
typedef struct
{
  ShoaldApiRequest *request;
  ShoalServent     *servent;
  gboolean          remembered;
} Dial;

static void
on_dialled (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Dial *dial = user_data;
  g_autoptr(ShoaldApiRequest) request = dial->request;
  g_autoptr(ShoalServent) servent = dial->servent;
  g_autoptr(GError) error = NULL;
  guint64 link_id = shoal_node_manager_dial_finish (SHOAL_NODE_MANAGER (source), result, &error);

  if (link_id != 0)
    respond_link (request, servent, link_id, dial->remembered);
  else
    shoald_api_request_respond_error (request, 502, "failed", "%s", error->message);
  g_free (dial);
}

/* "remember": absent is false; anything but a boolean is refused (400
 * answered, FALSE). */
static gboolean
body_remember (ShoaldApiRequest *request,
               gboolean         *remember)
{
  JsonObject *body = json_node_get_object (shoald_api_request_get_body (request));
  JsonNode *node = json_object_get_member (body, "remember");

  *remember = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      shoald_api_request_respond_error (request, 400, "bad_request", "“remember” must be true or false");
      return FALSE;
    }
  *remember = json_node_get_boolean (node);
  return TRUE;
}

/* The settings with @address among the manual peers, saved in the
 * settings file (NULL when it is there already); an error when the file
 * cannot take it. */
static ShoaldConfig *
save_manual_peer (ShoaldApiContext  *context,
                  const char        *address,
                  GError           **error)
{
  const char *names[] = { MANUAL_PEERS_KEY, NULL };
  g_autoptr(ShoaldConfig) wanted = NULL;

  if (shoal_node_config_has_manual_peer (context->config->node, address))
    return NULL;
  wanted = shoald_config_copy (context->config);
  g_ptr_array_add (wanted->node->manual_peers, g_strdup (address));
  if (context->config_path != NULL &&
      !shoald_config_save_keys (wanted, context->config_path, names, error))
    return NULL;
  return g_steal_pointer (&wanted);
}

/* The file first: what runs is never what a restart would lose. The
 * peer is remembered whether or not this dial succeeds: it is redialled
 * until it answers. */
static void
on_add_link (ShoaldApiRequest *request,
             gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  ShoalNodeManager *node = shoal_servent_get_node_manager (context->servent);
  const char *text = shoald_api_body_string (request, "address", TRUE);
  char address[SHOAL_IPV4_ENDPOINT_STRLEN];
  g_autoptr(ShoaldConfig) wanted = NULL;
  g_autoptr(GError) error = NULL;
  ShoalIpv4Endpoint endpoint;
  gboolean remember;
  Dial *dial;

  if (text == NULL || !body_remember (request, &remember))
    return;
  /* Any dialable address, a private one too: the operator asked. */
  if (!shoal_ipv4_endpoint_parse (text, strlen (text), &endpoint) ||
      !shoal_host_is_dialable (&endpoint, TRUE))
    {
      shoald_api_request_respond_error (request, 400, "bad_request",
                                        "“%s” is not an address to dial (a.b.c.d:port)", text);
      return;
    }
  if (shoal_node_manager_get_config (node)->lan_only &&
      !shoal_host_is_lan (&endpoint, shoal_node_manager_get_config (node)->allow_private))
    {
      shoald_api_request_respond_error (request, 400, "bad_request",
                                        "%s is not a LAN address, and this node is in LAN-only mode", text);
      return;
    }
  shoal_ipv4_endpoint_format (&endpoint, TRUE, address);
  if (remember && context->config == NULL)
    {
      shoald_api_request_respond_error (request, 500, "failed", "No settings to remember %s in", address);
      return;
    }
  if (remember)
    {
      wanted = save_manual_peer (context, address, &error);
      if (error != NULL)
        {
          shoald_api_request_respond_error (request, 500, "failed", "Cannot save the settings: %s",
                                            error->message);
          return;
        }
    }
  dial = g_new0 (Dial, 1);
  dial->request = shoald_api_request_ref (request);
  dial->servent = g_object_ref (context->servent);
  dial->remembered = remember;
  shoal_node_manager_dial_async (node, &endpoint, on_dialled, dial);
  /* After the dial began: the manual peer finds it under way. */
  if (wanted != NULL)
    {
      g_autoptr(GPtrArray) restart G_GNUC_UNUSED =
        shoald_config_apply_live (context->config, wanted, context->servent);

      g_message ("%s joins the manual peers", address);
    }
}

static gboolean
parse_link_id (ShoaldApiRequest *request,
               guint64          *link_id)
{
  const char *text = shoald_api_request_get_param (request, "id");

  return text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT64, link_id, NULL);
}

/* A DELETE answered once its link is gone, so that the links listed next
 * no longer show it: the BYE's grace delay bounds the wait. */
typedef struct
{
  ShoaldApiRequest *request;
  guint64           link_id;
  gulong            handler;
} Closing;

static void
closing_free (gpointer  data,
              GClosure *closure)
{
  Closing *closing = data;

  shoald_api_request_unref (closing->request);
  g_free (closing);
}

static void
on_link_removed (ShoalNodeManager *node,
                 guint64           link_id,
                 gpointer          user_data)
{
  Closing *closing = user_data;

  if (link_id != closing->link_id)
    return;
  shoald_api_request_respond (closing->request, 204, NULL);
  /* Frees @closing. */
  g_signal_handler_disconnect (node, closing->handler);
}

static void
on_close_link (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  ShoalNodeManager *node = shoal_servent_get_node_manager (context->servent);
  ShoalLinkStats unused;
  Closing *closing;
  guint64 link_id;

  if (!parse_link_id (request, &link_id) || !shoal_node_manager_get_link_stats (node, link_id, &unused))
    {
      shoald_api_request_respond_error (request, 404, "not_found", "No link %s",
                                        shoald_api_request_get_param (request, "id"));
      return;
    }
  closing = g_new0 (Closing, 1);
  closing->request = shoald_api_request_ref (request);
  closing->link_id = link_id;
  closing->handler = g_signal_connect_data (node, "link-removed", G_CALLBACK (on_link_removed),
                                            closing, closing_free, 0);
  shoal_node_manager_close_link (node, link_id, CLOSE_CODE, CLOSE_REASON);
}

/* Hosts -------------------------------------------------------------------- */

static void
on_list_hosts (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  ShoalHostCache *hosts =
    shoal_node_manager_get_host_cache (shoal_servent_get_node_manager (context->servent));
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GArray) recent = NULL;
  guint limit;

  if (!shoald_api_query_uint (request, "limit", SHOALD_API_DEFAULT_PAGE, SHOALD_API_MAX_PAGE, &limit))
    return;
  recent = hosts ? shoal_host_cache_get_recent (hosts, limit, FALSE)
                 : g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "count", hosts ? shoal_host_cache_get_count (hosts) : 0);
  json_builder_set_member_name (builder, "hosts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < recent->len; i++)
    {
      json_builder_begin_object (builder);
      add_endpoint (builder, "address", &g_array_index (recent, ShoalIpv4Endpoint, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  answer = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, answer);
}

void
shoald_api_network_register (ShoaldApiContext *context)
{
  ShoaldApiServer *server = context->server;

  shoald_api_server_add_route (server, "GET", SHOALD_API_PREFIX "/status", on_status, context);
  shoald_api_server_add_route (server, "GET", SHOALD_API_PREFIX "/links", on_list_links, context);
  shoald_api_server_add_route (server, "POST", SHOALD_API_PREFIX "/links", on_add_link, context);
  shoald_api_server_add_route (server, "DELETE", SHOALD_API_PREFIX "/links/{id}", on_close_link,
                               context);
  shoald_api_server_add_route (server, "GET", SHOALD_API_PREFIX "/hosts", on_list_hosts, context);
}
