/* shoald-api-search.c — the control API's searches: start them, list them,
 * page through their rows, stop and forget them. */
#include "shoald-api.h"

#include "shoal-magnet.h"

#define SEARCHES_PATH SHOALD_API_PREFIX "/searches"
#define SEARCH_PATH SEARCHES_PATH "/{id}"

/* Helpers ------------------------------------------------------------------- */

static const char *
search_state_nick (ShoalSearchState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SHOAL_TYPE_SEARCH_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  /* The nick is static data of a static type: it outlives the class ref. */
  return value != NULL ? value->value_nick : "unknown";
}

/* The row as a magnet link a user can paste elsewhere; NULL without a
 * SHA-1, since a magnet needs an exact topic. */
static char *
result_dup_magnet (ShoalSearchResult *result)
{
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();

  if (!shoal_search_result_get_sha1 (result, magnet->sha1))
    return NULL;
  magnet->has_sha1 = TRUE;
  magnet->display_name = g_strdup (shoal_search_result_get_name (result));
  magnet->has_exact_length = TRUE;
  magnet->exact_length = shoal_search_result_get_size (result);
  return shoal_magnet_to_string (magnet);
}

/* S of the spec, as the value of the member being built. */
static void
builder_add_search (JsonBuilder *builder,
                    guint        id,
                    ShoalSearch *search)
{
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "id", id);
  shoald_api_add_string (builder, "text", shoal_search_get_text (search));
  shoald_api_add_string (builder, "title", shoal_search_get_title (search));
  shoald_api_add_string (builder, "state", search_state_nick (shoal_search_get_state (search)));
  shoald_api_add_int (builder, "hits", (gint64) shoal_search_get_hits (search));
  shoald_api_add_int (builder, "results",
                      g_list_model_get_n_items (shoal_search_get_results (search)));
  shoald_api_add_int (builder, "sources", shoal_search_get_sources (search));
  shoald_api_add_int (builder, "ultrapeers_queried",
                      shoal_search_get_ultrapeers_queried (search));
  json_builder_end_object (builder);
}

/* R of the spec: the row at @index. */
static void
builder_add_result (JsonBuilder       *builder,
                    guint              index,
                    ShoalSearchResult *result)
{
  g_autofree char *magnet = result_dup_magnet (result);

  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "index", index);
  shoald_api_add_string (builder, "name", shoal_search_result_get_name (result));
  shoald_api_add_int (builder, "size", (gint64) shoal_search_result_get_size (result));
  shoald_api_add_string (builder, "urn", shoal_search_result_get_urn (result));
  shoald_api_add_int (builder, "sources", shoal_search_result_get_source_count (result));
  shoald_api_add_string (builder, "magnet", magnet);
  json_builder_end_object (builder);
}

/* {"search": S} */
static void
respond_search (ShoaldApiRequest *request,
                guint             status,
                guint             id,
                ShoalSearch      *search)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "search");
  builder_add_search (builder, id, search);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, status, body);
}

/* The search the path's {id} names, and its id; NULL (and a 404 answered)
 * when there is none, a text that is no id included: such a path names
 * no resource either. */
static ShoalSearch *
lookup_search (ShoaldApiContext *context,
               ShoaldApiRequest *request,
               guint            *id)
{
  const char *text = shoald_api_request_get_param (request, "id");
  ShoalSearch *search = NULL;
  guint64 number = 0;

  if (g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &number, NULL))
    search = g_hash_table_lookup (context->searches, GUINT_TO_POINTER ((guint) number));
  if (search == NULL)
    {
      shoald_api_request_respond_error (request, 404, "not_found", "No search %s", text);
      return NULL;
    }
  *id = (guint) number;
  return search;
}

/* Handlers ------------------------------------------------------------------ */

static void
handle_start (ShoaldApiRequest *request,
              gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  const char *text = shoald_api_body_string (request, "text", TRUE);
  g_autoptr(GError) error = NULL;
  ShoalSearch *search;
  guint id;

  if (text == NULL)
    return;
  search = shoal_servent_search (context->servent, text, &error);
  if (search == NULL)
    {
      if (g_error_matches (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID))
        shoald_api_request_respond_error (request, 400, "bad_request", "%s", error->message);
      else
        shoald_api_request_respond_error (request, 500, "failed", "%s", error->message);
      return;
    }
  id = ++context->last_search_id;
  g_hash_table_insert (context->searches, GUINT_TO_POINTER (id), g_object_ref (search));
  respond_search (request, 201, id, search);
}

static void
handle_list (ShoaldApiRequest *request,
             gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "searches");
  json_builder_begin_array (builder);
  /* Oldest first, as they were started; the ids of deleted ones are gaps. */
  for (guint id = 1; id <= context->last_search_id; id++)
    {
      ShoalSearch *search = g_hash_table_lookup (context->searches, GUINT_TO_POINTER (id));

      if (search != NULL)
        builder_add_search (builder, id, search);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}

static void
handle_get (ShoaldApiRequest *request,
            gpointer          user_data)
{
  guint id;
  ShoalSearch *search = lookup_search (user_data, request, &id);

  if (search != NULL)
    respond_search (request, 200, id, search);
}

/* A limit over SHOALD_API_MAX_PAGE is served as SHOALD_API_MAX_PAGE rather
 * than refused: a client pages on from offset + the rows it got. */
static void
handle_results (ShoaldApiRequest *request,
                gpointer          user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GListModel *results;
  guint offset, limit, total, first, count, id;
  ShoalSearch *search = lookup_search (user_data, request, &id);

  if (search == NULL ||
      !shoald_api_query_uint (request, "offset", 0, G_MAXUINT, &offset) ||
      !shoald_api_query_uint (request, "limit", SHOALD_API_DEFAULT_PAGE, G_MAXUINT, &limit))
    return;
  results = shoal_search_get_results (search);
  total = g_list_model_get_n_items (results);
  first = MIN (offset, total);
  count = MIN (MIN (limit, SHOALD_API_MAX_PAGE), total - first);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "search");
  builder_add_search (builder, id, search);
  shoald_api_add_int (builder, "offset", offset);
  shoald_api_add_int (builder, "total", total);
  json_builder_set_member_name (builder, "results");
  json_builder_begin_array (builder);
  for (guint i = first; i < first + count; i++)
    {
      g_autoptr(ShoalSearchResult) result = g_list_model_get_item (results, i);

      builder_add_result (builder, i, result);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}

static void
handle_stop (ShoaldApiRequest *request,
             gpointer          user_data)
{
  guint id;
  ShoalSearch *search = lookup_search (user_data, request, &id);

  if (search == NULL)
    return;
  shoal_search_stop (search);
  respond_search (request, 200, id, search);
}

static void
handle_delete (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  guint id;
  ShoalSearch *search = lookup_search (context, request, &id);

  if (search == NULL)
    return;
  shoal_search_stop (search);
  shoal_servent_remove_search (context->servent, search);
  /* Drops the table's reference, the last one now. */
  g_hash_table_remove (context->searches, GUINT_TO_POINTER (id));
  shoald_api_request_respond (request, 204, NULL);
}

void
shoald_api_search_register (ShoaldApiContext *context)
{
  ShoaldApiServer *server = context->server;

  shoald_api_server_add_route (server, "POST", SEARCHES_PATH, handle_start, context);
  shoald_api_server_add_route (server, "GET", SEARCHES_PATH, handle_list, context);
  shoald_api_server_add_route (server, "GET", SEARCH_PATH, handle_get, context);
  shoald_api_server_add_route (server, "GET", SEARCH_PATH "/results", handle_results, context);
  shoald_api_server_add_route (server, "POST", SEARCH_PATH "/stop", handle_stop, context);
  shoald_api_server_add_route (server, "DELETE", SEARCH_PATH, handle_delete, context);
}
