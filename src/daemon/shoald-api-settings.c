/* shoald-api-settings.c — GET and PATCH /api/v1/settings: every key with
 * its value, default and whether it applies live; a change is checked as
 * a whole, saved to the settings file, then applied to the servent. */
#include "shoald-api.h"

#define SETTINGS_PATH SHOALD_API_PREFIX "/settings"

static void
add_setting (JsonBuilder               *builder,
             const ShoaldConfig        *config,
             const ShoaldConfigKeyInfo *info)
{
  g_autofree char *value = shoald_config_get_text (config, info->name, NULL);

  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "key", info->name);
  shoald_api_add_string (builder, "value", value);
  shoald_api_add_string (builder, "default", info->default_text);
  shoald_api_add_string (builder, "description", info->description);
  shoald_api_add_boolean (builder, "live", info->live);
  json_builder_end_object (builder);
}

static void
on_get_settings (ShoaldApiRequest *request,
                 gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  ShoaldConfigKeyInfo info;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "settings");
  json_builder_begin_array (builder);
  for (guint i = 0; shoald_config_get_key_info (i, &info); i++)
    add_setting (builder, context->config, &info);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}

/* A JSON value as the settings file would write it; NULL for what no
 * key takes (objects, arrays, null). */
static char *
value_to_text (JsonNode *node)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup (g_ascii_dtostr (number, sizeof number, json_node_get_double (node)));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    default:
      return NULL;
    }
}

/* Sets every member on @wanted; FALSE (answered 400) at the first bad
 * one. @names gets the keys set. */
static gboolean
set_members (ShoaldApiRequest *request,
             JsonObject       *changes,
             ShoaldConfig     *wanted,
             GPtrArray        *names)
{
  g_autoptr(GList) members = json_object_get_members (changes);

  for (GList *member = members; member != NULL; member = member->next)
    {
      const char *name = member->data;
      g_autofree char *text = value_to_text (json_object_get_member (changes, name));
      g_autoptr(GError) error = NULL;

      if (text == NULL)
        {
          shoald_api_request_respond_error (request, 400, "bad_request",
                                            "%s: expected a string, a number or a boolean", name);
          return FALSE;
        }
      if (!shoald_config_set_text (wanted, name, text, &error))
        {
          shoald_api_request_respond_error (request, 400, "bad_request", "%s", error->message);
          return FALSE;
        }
      g_ptr_array_add (names, g_strdup (name));
    }
  return TRUE;
}

static void
add_names (JsonBuilder *builder,
           const char  *member,
           GPtrArray   *names,
           GPtrArray   *restart,
           gboolean     restarting)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (g_ptr_array_find_with_equal_func (restart, name, g_str_equal, NULL) == restarting)
        json_builder_add_string_value (builder, name);
    }
  json_builder_end_array (builder);
}

/* Nothing changes unless every value is good: they are all set on a copy
 * first. The file is written before the servent changes, so that what
 * runs is never what a restart would lose. */
static void
on_patch_settings (ShoaldApiRequest *request,
                   gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  JsonNode *changes = shoald_api_request_get_body (request);
  g_autoptr(ShoaldConfig) wanted = shoald_config_copy (context->config);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) restart = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;

  if (changes == NULL || !JSON_NODE_HOLDS_OBJECT (changes))
    {
      shoald_api_request_respond_error (request, 400, "bad_request",
                                        "The body must be an object of settings, "
                                        "as in {\"network.port\": 6346}");
      return;
    }
  if (!set_members (request, json_node_get_object (changes), wanted, names))
    return;
  g_ptr_array_add (names, NULL);
  if (names->len > 1 && context->config_path != NULL &&
      !shoald_config_save_keys (wanted, context->config_path,
                                (const char * const *) names->pdata, &error))
    {
      shoald_api_request_respond_error (request, 500, "failed", "Cannot save the settings: %s",
                                        error->message);
      return;
    }
  g_ptr_array_remove_index (names, names->len - 1);
  restart = shoald_config_apply_live (context->config, wanted, context->servent);
  json_builder_begin_object (builder);
  add_names (builder, "applied", names, restart, FALSE);
  add_names (builder, "restart_required", names, restart, TRUE);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}

void
shoald_api_settings_register (ShoaldApiContext *context)
{
  g_return_if_fail (context != NULL);

  shoald_api_server_add_route (context->server, "GET", SETTINGS_PATH, on_get_settings, context);
  shoald_api_server_add_route (context->server, "PATCH", SETTINGS_PATH, on_patch_settings, context);
}
