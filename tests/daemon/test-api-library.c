/* test-api-library.c — the control API's library over an in-process
 * servent: shared folders added, hashed, searched, rescanned and removed. */
#include "shoald-api.h"

#include "shoal-test-api.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <string.h>

/* Fails the test rather than hanging it; hashing may take a while under
 * the sanitizers. */
#define TIMEOUT_MS 30000
/* How often the library's state is asked while waiting on it. */
#define POLL_MS 100

static const ShoalTestApiOptions library_api = { .areas = SHOAL_TEST_API_LIBRARY };
/* A node that shares nothing. */
static const ShoalTestApiOptions no_library_api = {
  .areas = SHOAL_TEST_API_LIBRARY,
  .without_library = TRUE,
};

/* The library as GET /library tells it --------------------------------------- */

typedef gboolean (*SummaryCheck) (JsonObject *summary);

/* Asks for the library until @check holds; returns that answer. */
static JsonObject *
poll_summary (ShoalTestApi *api,
              SummaryCheck  check,
              const char   *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) summary = shoal_test_api_call (api, "GET", "/api/v1/library", NULL, 200);

      if (check (summary))
        return g_steal_pointer (&summary);
      shoal_test_wait_ms (POLL_MS);
    }
  g_error ("timed out waiting for %s", what);
}

static gboolean
all_hashed (JsonObject *summary)
{
  return json_object_get_int_member (summary, "hashed") == 3 &&
         !json_object_get_boolean_member (summary, "busy");
}

static gboolean
all_gone (JsonObject *summary)
{
  return json_object_get_int_member (summary, "files") == 0 &&
         json_array_get_length (json_object_get_array_member (summary, "roots")) == 0;
}

/* {"path": @path}, whatever characters it holds. */
static char *
path_body (const char *path)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char *
urn_of (const char *contents)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize length = sizeof sha1;

  g_checksum_update (checksum, (const guchar *) contents, (gssize) strlen (contents));
  g_checksum_get_digest (checksum, sha1, &length);
  return shoal_urn_format_sha1 (sha1);
}

static void
write_file (const char *folder,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

/* Tests --------------------------------------------------------------------- */

static void
test_share_search_remove (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&library_api);
  g_autoptr(GError) error = NULL;
  g_autofree char *share_dir = g_dir_make_tmp ("shoal-api-share-XXXXXX", &error);
  g_autofree char *canonical = g_canonicalize_filename (share_dir, NULL);
  g_autofree char *body = path_body (share_dir);
  g_autofree char *escaped = g_uri_escape_string (share_dir, NULL, FALSE);
  g_autofree char *remove_path = g_strconcat ("/api/v1/library/roots?path=", escaped, NULL);
  g_autofree char *found_path = g_build_filename (canonical, "alpha quasar.txt", NULL);
  g_autofree char *found_urn = urn_of ("alpha");
  g_autoptr(JsonObject) added = NULL, summary = NULL, found = NULL, missing = NULL;
  g_autoptr(JsonObject) no_words = NULL, rescan = NULL, removed = NULL, removed_again = NULL;
  g_autoptr(JsonObject) emptied = NULL;
  JsonObject *root, *file;
  JsonArray *files;

  g_assert_no_error (error);
  write_file (share_dir, "alpha quasar.txt", "alpha");
  write_file (share_dir, "beta.txt", "bb");
  write_file (share_dir, "gamma.txt", "ccc");

  added = shoal_test_api_call (api, "POST", "/api/v1/library/roots", body, 201);
  root = json_object_get_object_member (added, "root");
  g_assert_cmpstr (json_object_get_string_member (root, "path"), ==, canonical);
  g_assert_true (json_object_has_member (root, "files"));
  g_assert_true (json_object_has_member (root, "scanning"));

  summary = poll_summary (api, all_hashed, "three files hashed");
  g_assert_cmpint (json_object_get_int_member (summary, "files"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (summary, "bytes"), ==, 10);
  g_assert_true (json_object_get_boolean_member (summary, "ready"));
  g_assert_cmpint (json_object_get_int_member (summary, "files_hashed"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (summary, "roots")), ==, 1);
  root = json_array_get_object_element (json_object_get_array_member (summary, "roots"), 0);
  g_assert_cmpstr (json_object_get_string_member (root, "path"), ==, canonical);
  g_assert_cmpint (json_object_get_int_member (root, "files"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (root, "bytes"), ==, 10);
  /* Whatever the root says: ShoalLibrary never clears it yet. */
  g_assert_true (json_node_get_value_type (json_object_get_member (root, "scanning"))
                 == G_TYPE_BOOLEAN);
  g_assert_cmpint (json_object_get_int_member (root, "problems"), ==, 0);

  found = shoal_test_api_call (api, "GET", "/api/v1/library/search?q=quasar", NULL, 200);
  files = json_object_get_array_member (found, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 1);
  file = json_array_get_object_element (files, 0);
  g_assert_cmpstr (json_object_get_string_member (file, "name"), ==, "alpha quasar.txt");
  g_assert_cmpstr (json_object_get_string_member (file, "path"), ==, found_path);
  g_assert_cmpint (json_object_get_int_member (file, "size"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (file, "urn"), ==, found_urn);
  missing = shoal_test_api_call (api, "GET", "/api/v1/library/search?q=zebra&limit=5", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (missing, "files")), ==, 0);
  no_words = shoal_test_api_call (api, "GET", "/api/v1/library/search", NULL, 400);
  shoal_test_api_assert_error (no_words, "bad_request");

  rescan = shoal_test_api_call (api, "POST", "/api/v1/library/rescan", NULL, 202);
  g_assert_cmpuint (json_object_get_size (rescan), ==, 0);

  removed = shoal_test_api_call (api, "DELETE", remove_path, NULL, 204);
  g_assert_null (removed);
  emptied = poll_summary (api, all_gone, "the folder's files to leave");
  g_assert_cmpint (json_object_get_int_member (emptied, "hashed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (emptied, "bytes"), ==, 0);
  removed_again = shoal_test_api_call (api, "DELETE", remove_path, NULL, 404);
  shoal_test_api_assert_error (removed_again, "not_found");
  shoal_test_remove_tree (share_dir);
}

static void
test_bad_roots (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&library_api);
  g_autofree char *nowhere = g_build_filename (api->data_dir, "nowhere", NULL);
  g_autofree char *nowhere_body = path_body (nowhere);
  g_autofree char *file_path = g_build_filename (api->data_dir, "plain.txt", NULL);
  g_autofree char *file_body = path_body (file_path);
  const char *bodies[] = { "{\"path\": \"relative/dir\"}", "{}", "{\"path\": 3}",
                           nowhere_body, file_body };
  g_autoptr(JsonObject) unknown = NULL, no_path = NULL, summary = NULL;

  write_file (api->data_dir, "plain.txt", "not a folder");
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonObject) answer = shoal_test_api_call (api, "POST", "/api/v1/library/roots",
                                                          bodies[i], 400);

      shoal_test_api_assert_error (answer, "bad_request");
    }
  unknown = shoal_test_api_call (api, "DELETE", "/api/v1/library/roots?path=%2Fno%2Fsuch%2Fdir",
                                 NULL, 404);
  shoal_test_api_assert_error (unknown, "not_found");
  no_path = shoal_test_api_call (api, "DELETE", "/api/v1/library/roots", NULL, 400);
  shoal_test_api_assert_error (no_path, "bad_request");
  summary = shoal_test_api_call (api, "GET", "/api/v1/library", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (summary, "roots")), ==, 0);
}

/* A node that shares nothing has no library to show. */
static void
test_no_library (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&no_library_api);
  g_autoptr(JsonObject) summary = shoal_test_api_call (api, "GET", "/api/v1/library", NULL, 503);
  g_autoptr(JsonObject) rescan = shoal_test_api_call (api, "POST", "/api/v1/library/rescan", NULL, 503);
  g_autoptr(JsonObject) search = shoal_test_api_call (api, "GET", "/api/v1/library/search?q=x",
                                                      NULL, 503);

  shoal_test_api_assert_error (summary, "unavailable");
  shoal_test_api_assert_error (rescan, "unavailable");
  shoal_test_api_assert_error (search, "unavailable");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-library/share-search-remove", test_share_search_remove);
  g_test_add_func ("/api-library/bad-roots", test_bad_roots);
  g_test_add_func ("/api-library/no-library", test_no_library);
  return g_test_run ();
}
