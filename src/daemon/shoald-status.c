/* shoald-status.c — the daemon's state as a JSON file. */
#include "shoald-status.h"

#include "shoald-api.h"

/* The upload server's counters, under "uploads". */
static void
add_upload_stats (JsonBuilder       *builder,
                  ShoalUploadServer *server)
{
  ShoalUploadStats stats = { 0 };

  if (server != NULL)
    shoal_upload_server_get_stats (server, &stats);
  json_builder_set_member_name (builder, "uploads");
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "requests", (gint64) stats.requests);
  shoald_api_add_int (builder, "bytes_served", (gint64) stats.bytes_served);
  shoald_api_add_int (builder, "refused", (gint64) stats.refused);
  shoald_api_add_int (builder, "not_found", (gint64) stats.not_found);
  shoald_api_add_int (builder, "bad_requests", (gint64) stats.bad_requests);
  shoald_api_add_int (builder, "range_errors", (gint64) stats.range_errors);
  shoald_api_add_int (builder, "active", stats.uploads);
  json_builder_end_object (builder);
}

static void
add_link (JsonBuilder   *builder,
          ShoalRouter   *router,
          ShoalPeerInfo *info)
{
  char remote[SHOAL_IPV4_ENDPOINT_STRLEN];
  g_autofree char *guid = shoal_guid_to_hex (&info->guid);
  ShoalRouterStats stats = { 0 };

  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "id", (gint64) info->id);
  shoald_api_add_string (builder, "role", shoald_api_role_name (info->role));
  shoald_api_add_string (builder, "remote", shoal_ipv4_endpoint_format (&info->remote, TRUE, remote));
  shoald_api_add_string (builder, "guid", guid);
  shoald_api_add_boolean (builder, "lan", info->lan);
  shoald_api_add_boolean (builder, "has_qrp_table", shoal_router_link_has_table (router, info->id));
  shoal_router_get_link_stats (router, info->id, &stats);
  shoald_api_add_router_stats (builder, &stats);
  json_builder_end_object (builder);
}

gboolean
shoald_status_write (ShoalServent  *servent,
                     const char    *path,
                     GError       **error)
{
  ShoalNodeManager *node = shoal_servent_get_node_manager (servent);
  ShoalRouter *router = shoal_servent_get_router (servent);
  ShoalLibrary *library = shoal_servent_get_library (servent);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) peers = shoal_node_manager_list_peers (node);
  g_autofree char *guid = shoal_guid_to_hex (shoal_node_manager_get_guid (node));
  g_autofree char *text = NULL;
  ShoalRouterStats stats;

  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "role", shoald_api_role_name (shoal_node_manager_get_role (node)));
  shoald_api_add_string (builder, "guid", guid);
  shoald_api_add_int (builder, "port", shoal_node_manager_get_port (node));
  shoald_api_add_int (builder, "role_switches", shoal_node_manager_get_role_switches (node));
  shoald_api_add_boolean (builder, "reachable", shoal_node_manager_get_reachable (node));
  shoald_api_add_int (builder, "files", library ? (gint64) shoal_library_get_hashed_count (library) : 0);
  shoald_api_add_lan (builder, node);
  shoal_router_get_stats (router, &stats);
  shoald_api_add_router_stats (builder, &stats);
  add_upload_stats (builder, shoal_servent_get_upload_server (servent));
  json_builder_set_member_name (builder, "links");
  json_builder_begin_array (builder);
  for (guint i = 0; i < peers->len; i++)
    add_link (builder, router, g_ptr_array_index (peers, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_file_set_contents (path, text, -1, error);
}
