/* shoald-api-library.c — the control API's shared library: its counts and
 * folders, adding and removing a folder, a rescan, and a local search. */
#include "shoald-api.h"

#include "shoal-library-db.h"
#include "shoal-urn.h"

#define LIBRARY_PATH SHOALD_API_PREFIX "/library"
#define ROOTS_PATH LIBRARY_PATH "/roots"

/* Helpers ------------------------------------------------------------------- */

/* Everything a shared folder tells about itself. */
static void
builder_add_root (JsonBuilder *builder,
                  gpointer     item)
{
  ShoalSharedRoot *root = item;
  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "path", shoal_shared_root_get_path (root));
  shoald_api_add_int (builder, "id", shoal_shared_root_get_id (root));
  shoald_api_add_int (builder, "files", (gint64) shoal_shared_root_get_file_count (root));
  shoald_api_add_int (builder, "bytes", (gint64) shoal_shared_root_get_size (root));
  shoald_api_add_boolean (builder, "scanning", shoal_shared_root_get_scanning (root));
  /* Files its last scan could not share (unreadable...). */
  shoald_api_add_int (builder, "problems", (gint64) shoal_shared_root_get_problem_count (root));
  json_builder_end_object (builder);
}

/* The servent's library; NULL (and a 503 answered) when it shares nothing. */
static ShoalLibrary *
get_library (ShoaldApiContext *context,
             ShoaldApiRequest *request)
{
  ShoalLibrary *library = shoal_servent_get_library (context->servent);

  if (library == NULL)
    shoald_api_request_respond_error (request, 503, "unavailable", "This node has no library");
  return library;
}

/* Root id -> its path, to make each found file's path whole. */
static GHashTable *
map_root_paths (ShoalLibrary *library)
{
  GListModel *roots = shoal_library_get_roots (library);
  GHashTable *paths = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);

  for (guint i = 0; i < g_list_model_get_n_items (roots); i++)
    {
      g_autoptr(ShoalSharedRoot) root = g_list_model_get_item (roots, i);
      gint64 *id = g_new (gint64, 1);

      *id = shoal_shared_root_get_id (root);
      g_hash_table_insert (paths, id, g_strdup (shoal_shared_root_get_path (root)));
    }
  return paths;
}

/* Handlers ------------------------------------------------------------------ */

static void
handle_summary (ShoaldApiRequest *request,
                gpointer          user_data)
{
  ShoalLibrary *library = get_library (user_data, request);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GListModel *roots;

  if (library == NULL)
    return;
  roots = shoal_library_get_roots (library);
  json_builder_begin_object (builder);
  shoald_api_add_int (builder, "files", (gint64) shoal_library_get_file_count (library));
  shoald_api_add_int (builder, "hashed", (gint64) shoal_library_get_hashed_count (library));
  shoald_api_add_int (builder, "bytes", (gint64) shoal_library_get_shared_bytes (library));
  shoald_api_add_boolean (builder, "busy", shoal_library_get_busy (library));
  shoald_api_add_boolean (builder, "ready", shoal_library_get_ready (library));
  shoald_api_add_int (builder, "files_hashed", (gint64) shoal_library_get_files_hashed (library));
  shoald_api_add_model (builder, "roots", roots, builder_add_root);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ShoaldApiRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source),
                                                                   result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (root == NULL)
    {
      if (g_error_matches (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID))
        shoald_api_request_respond_error (request, 400, "bad_request", "%s", error->message);
      else
        shoald_api_request_respond_error (request, 500, "failed", "%s", error->message);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "root");
  builder_add_root (builder, root);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 201, body);
}

/* Answers once the folder is in the library's list, its scan started. */
static void
handle_add_root (ShoaldApiRequest *request,
                 gpointer          user_data)
{
  ShoalLibrary *library = get_library (user_data, request);
  const char *path;

  if (library == NULL)
    return;
  path = shoald_api_body_string (request, "path", TRUE);
  if (path == NULL)
    return;
  /* The daemon's working folder is no business of an API client. */
  if (!g_path_is_absolute (path))
    {
      shoald_api_request_respond_error (request, 400, "bad_request",
                                        "%s is not an absolute path", path);
      return;
    }
  shoal_library_add_root_async (library, path, NULL, on_root_added,
                                shoald_api_request_ref (request));
}

static void
handle_remove_root (ShoaldApiRequest *request,
                    gpointer          user_data)
{
  ShoalLibrary *library = get_library (user_data, request);
  const char *path = shoald_api_request_get_query (request, "path");
  ShoalSharedRoot *root;

  if (library == NULL)
    return;
  if (path == NULL || *path == '\0')
    {
      shoald_api_request_respond_error (request, 400, "bad_request",
                                        "Name the folder: ?path=/abs/dir");
      return;
    }
  root = shoal_library_find_root_by_path (library, path);
  if (root == NULL)
    {
      shoald_api_request_respond_error (request, 404, "not_found", "No shared folder %s", path);
      return;
    }
  shoal_library_remove_root (library, root);
  shoald_api_request_respond (request, 204, NULL);
}

static void
handle_rescan (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoalLibrary *library = get_library (user_data, request);
  g_autoptr(JsonNode) body = NULL;

  if (library == NULL)
    return;
  shoal_library_rescan (library);
  body = json_node_init_object (json_node_alloc (), json_object_new ());
  shoald_api_request_respond (request, 202, body);
}

static void
builder_add_file (JsonBuilder            *builder,
                  const ShoalLibraryFile *file,
                  const char             *root_path)
{
  g_autofree char *path = g_build_filename (root_path, file->relpath, NULL);
  g_autofree char *urn = file->has_sha1 ? shoal_urn_format_sha1 (file->sha1) : NULL;

  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "name", file->name);
  shoald_api_add_string (builder, "path", path);
  shoald_api_add_int (builder, "size", (gint64) file->stat.size);
  shoald_api_add_string (builder, "urn", urn);
  json_builder_end_object (builder);
}

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ShoaldApiRequest) request = user_data;
  ShoalLibrary *library = SHOAL_LIBRARY (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = shoal_library_search_finish (library, result, &error);
  g_autoptr(GHashTable) root_paths = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (files == NULL)
    {
      shoald_api_request_respond_error (request, 500, "failed", "%s", error->message);
      return;
    }
  root_paths = map_root_paths (library);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < files->len; i++)
    {
      const ShoalLibraryFile *file = files->pdata[i];
      const char *root_path = g_hash_table_lookup (root_paths, &file->root_id);

      /* Its folder was removed while the search ran. */
      if (root_path != NULL)
        builder_add_file (builder, file, root_path);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, 200, body);
}

/* As with search results, a limit over SHOALD_API_MAX_PAGE is served as
 * SHOALD_API_MAX_PAGE rather than refused. */
static void
handle_search (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoalLibrary *library = get_library (user_data, request);
  const char *text = shoald_api_request_get_query (request, "q");
  guint limit;

  if (library == NULL)
    return;
  if (text == NULL || *text == '\0')
    {
      shoald_api_request_respond_error (request, 400, "bad_request", "Give words to find: ?q=");
      return;
    }
  if (!shoald_api_query_uint (request, "limit", SHOALD_API_DEFAULT_PAGE, G_MAXUINT, &limit))
    return;
  shoal_library_search_async (library, text, MIN (limit, SHOALD_API_MAX_PAGE), NULL,
                              on_search_done, shoald_api_request_ref (request));
}

void
shoald_api_library_register (ShoaldApiContext *context)
{
  ShoaldApiServer *server = context->server;

  shoald_api_server_add_route (server, "GET", LIBRARY_PATH, handle_summary, context);
  shoald_api_server_add_route (server, "POST", ROOTS_PATH, handle_add_root, context);
  shoald_api_server_add_route (server, "DELETE", ROOTS_PATH, handle_remove_root, context);
  shoald_api_server_add_route (server, "POST", LIBRARY_PATH "/rescan", handle_rescan, context);
  shoald_api_server_add_route (server, "GET", LIBRARY_PATH "/search", handle_search, context);
}
