/* shoald-status.c — the daemon's state as a JSON file. */
#include "shoald-status.h"

#include <json-glib/json-glib.h>

static void
add_router_stats (JsonBuilder            *builder,
                  const ShoalRouterStats *stats)
{
  json_builder_set_member_name (builder, "queries_in");
  json_builder_add_int_value (builder, (gint64) stats->queries_in);
  json_builder_set_member_name (builder, "queries_out");
  json_builder_add_int_value (builder, (gint64) stats->queries_out);
  json_builder_set_member_name (builder, "queries_answered");
  json_builder_add_int_value (builder, (gint64) stats->queries_answered);
  json_builder_set_member_name (builder, "hits_in");
  json_builder_add_int_value (builder, (gint64) stats->hits_in);
  json_builder_set_member_name (builder, "hits_out");
  json_builder_add_int_value (builder, (gint64) stats->hits_out);
  json_builder_set_member_name (builder, "duplicates");
  json_builder_add_int_value (builder, (gint64) stats->duplicates);
  json_builder_set_member_name (builder, "dropped");
  json_builder_add_int_value (builder, (gint64) stats->dropped);
  json_builder_set_member_name (builder, "qrp_updates");
  json_builder_add_int_value (builder, (gint64) stats->qrp_updates);
}

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
  json_builder_set_member_name (builder, "requests");
  json_builder_add_int_value (builder, (gint64) stats.requests);
  json_builder_set_member_name (builder, "bytes_served");
  json_builder_add_int_value (builder, (gint64) stats.bytes_served);
  json_builder_set_member_name (builder, "refused");
  json_builder_add_int_value (builder, (gint64) stats.refused);
  json_builder_set_member_name (builder, "not_found");
  json_builder_add_int_value (builder, (gint64) stats.not_found);
  json_builder_set_member_name (builder, "bad_requests");
  json_builder_add_int_value (builder, (gint64) stats.bad_requests);
  json_builder_set_member_name (builder, "range_errors");
  json_builder_add_int_value (builder, (gint64) stats.range_errors);
  json_builder_set_member_name (builder, "active");
  json_builder_add_int_value (builder, stats.uploads);
  json_builder_end_object (builder);
}

static const char *
role_name (ShoalPeerRole role)
{
  return role == SHOAL_PEER_ROLE_ULTRAPEER ? "ultrapeer" : "leaf";
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
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) info->id);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, role_name (info->role));
  json_builder_set_member_name (builder, "remote");
  json_builder_add_string_value (builder, shoal_ipv4_endpoint_format (&info->remote, TRUE, remote));
  json_builder_set_member_name (builder, "guid");
  json_builder_add_string_value (builder, guid);
  json_builder_set_member_name (builder, "has_qrp_table");
  json_builder_add_boolean_value (builder, shoal_router_link_has_table (router, info->id));
  shoal_router_get_link_stats (router, info->id, &stats);
  add_router_stats (builder, &stats);
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
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, role_name (shoal_node_manager_get_role (node)));
  json_builder_set_member_name (builder, "guid");
  json_builder_add_string_value (builder, guid);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, shoal_node_manager_get_port (node));
  json_builder_set_member_name (builder, "role_switches");
  json_builder_add_int_value (builder, shoal_node_manager_get_role_switches (node));
  json_builder_set_member_name (builder, "reachable");
  json_builder_add_boolean_value (builder, shoal_node_manager_get_reachable (node));
  json_builder_set_member_name (builder, "files");
  json_builder_add_int_value (builder, library ? (gint64) shoal_library_get_hashed_count (library) : 0);
  shoal_router_get_stats (router, &stats);
  add_router_stats (builder, &stats);
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
