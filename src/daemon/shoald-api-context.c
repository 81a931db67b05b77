/* shoald-api-context.c — what the control API's areas share: the context
 * they act on and the small JSON and request helpers they all use. */
#include "shoald-api.h"

ShoaldApiContext *
shoald_api_context_new (ShoalServent    *servent,
                        ShoaldApiServer *server,
                        ShoaldConfig    *config,
                        const char      *config_path)
{
  ShoaldApiContext *context;

  g_return_val_if_fail (SHOAL_IS_SERVENT (servent), NULL);
  g_return_val_if_fail (SHOALD_IS_API_SERVER (server), NULL);
  context = g_new0 (ShoaldApiContext, 1);
  context->servent = g_object_ref (servent);
  context->server = g_object_ref (server);
  context->config = config;
  context->config_path = config_path;
  context->started_us = g_get_monotonic_time ();
  context->searches = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  return context;
}

void
shoald_api_context_free (ShoaldApiContext *context)
{
  if (context == NULL)
    return;
  g_clear_pointer (&context->searches, g_hash_table_unref);
  g_clear_object (&context->server);
  g_clear_object (&context->servent);
  g_free (context);
}

JsonNode *
shoald_api_object_new_from_builder (JsonBuilder *builder)
{
  return json_builder_get_root (builder);
}

gboolean
shoald_api_query_uint (ShoaldApiRequest *request,
                       const char       *name,
                       guint             fallback,
                       guint             max,
                       guint            *value)
{
  const char *text = shoald_api_request_get_query (request, name);
  guint64 number;

  if (text == NULL)
    {
      *value = fallback;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &number, NULL))
    {
      shoald_api_request_respond_error (request, 400, "bad_request",
                                        "?%s must be a number from 0 to %u, not “%s”",
                                        name, max, text);
      return FALSE;
    }
  *value = (guint) number;
  return TRUE;
}

const char *
shoald_api_body_string (ShoaldApiRequest *request,
                        const char       *member,
                        gboolean          required)
{
  JsonNode *body = shoald_api_request_get_body (request);
  JsonNode *node = NULL;

  if (body != NULL && JSON_NODE_HOLDS_OBJECT (body))
    node = json_object_get_member (json_node_get_object (body), member);
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  if (required)
    shoald_api_request_respond_error (request, 400, "bad_request",
                                      "The body must be an object with a string “%s”", member);
  return NULL;
}

const char *
shoald_api_role_name (ShoalPeerRole role)
{
  return role == SHOAL_PEER_ROLE_ULTRAPEER ? "ultrapeer" : "leaf";
}

void
shoald_api_add_int (JsonBuilder *builder,
                    const char  *name,
                    gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* A NULL @value is JSON null: "not known". */
void
shoald_api_add_string (JsonBuilder *builder,
                       const char  *name,
                       const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
shoald_api_add_boolean (JsonBuilder *builder,
                        const char  *name,
                        gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

void
shoald_api_add_router_stats (JsonBuilder            *builder,
                             const ShoalRouterStats *stats)
{
  shoald_api_add_int (builder, "queries_in", (gint64) stats->queries_in);
  shoald_api_add_int (builder, "queries_out", (gint64) stats->queries_out);
  shoald_api_add_int (builder, "queries_answered", (gint64) stats->queries_answered);
  shoald_api_add_int (builder, "hits_in", (gint64) stats->hits_in);
  shoald_api_add_int (builder, "hits_out", (gint64) stats->hits_out);
  shoald_api_add_int (builder, "pushes_in", (gint64) stats->pushes_in);
  shoald_api_add_int (builder, "pushes_out", (gint64) stats->pushes_out);
  shoald_api_add_int (builder, "duplicates", (gint64) stats->duplicates);
  shoald_api_add_int (builder, "dropped", (gint64) stats->dropped);
  shoald_api_add_int (builder, "qrp_updates", (gint64) stats->qrp_updates);
}

void
shoald_api_add_lan (JsonBuilder      *builder,
                    ShoalNodeManager *node)
{
  g_autoptr(GEnumClass) states = g_type_class_ref (SHOAL_TYPE_LAN_STATE);
  ShoalNodeLanStatus lan;
  GEnumValue *state;

  shoal_node_manager_get_lan_status (node, &lan);
  state = g_enum_get_value (states, lan.state);
  json_builder_set_member_name (builder, "lan");
  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "discovery", state != NULL ? state->value_nick : NULL);
  shoald_api_add_string (builder, "reason", lan.reason);
  shoald_api_add_string (builder, "service_name", lan.service_name);
  shoald_api_add_int (builder, "peers", lan.peers);
  shoald_api_add_boolean (builder, "lan_only", lan.lan_only);
  json_builder_end_object (builder);
}

void
shoald_api_add_model (JsonBuilder      *builder,
                      const char       *member,
                      GListModel       *model,
                      ShoaldApiAddItem  add_item)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      add_item (builder, item);
    }
  json_builder_end_array (builder);
}

void
shoald_api_respond_model (ShoaldApiRequest *request,
                          const char       *member,
                          GListModel       *model,
                          ShoaldApiAddItem  add_item)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  shoald_api_add_model (builder, member, model, add_item);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}
