/* test-api-library.c — the control API's library over an in-process
 * servent: shared folders added, hashed, searched, rescanned and removed. */
#include "shoald-api.h"

#include "shoal-test-http.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <string.h>

#define TOKEN "5ea4c4e5a1b0c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabb"
/* Fails the test rather than hanging it; hashing may take a while under
 * the sanitizers. */
#define TIMEOUT_MS 30000
/* What of each answer the test's log shows. */
#define MESSAGE_BODY_MAX 300
/* How often the library's state is asked while waiting on it. */
#define POLL_MS 100

/* Fixture: a servent on loopback and the API over it ------------------------ */

typedef struct
{
  char             *data_dir;
  char             *config_path;
  ShoaldConfig     *config;
  ShoalLibrary     *library;
  ShoalServent     *servent;
  ShoaldApiServer  *server;
  ShoaldApiContext *context;
} Fixture;

static gboolean
library_ready (gpointer data)
{
  return shoal_library_get_ready (data);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  ShoalNodeConfig *node;
  g_autoptr(GError) error = NULL;

  fixture->data_dir = g_dir_make_tmp ("shoal-api-library-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->config_path = g_build_filename (fixture->data_dir, "shoald.conf", NULL);
  fixture->config = shoald_config_new_default ();
  node = fixture->config->node;
  g_free (node->data_dir);
  node->data_dir = g_strdup (fixture->data_dir);
  node->download_dir = g_build_filename (fixture->data_dir, "complete", NULL);
  node->listen_address = g_strdup ("127.0.0.1");
  node->port = 0;
  node->allow_private = TRUE;
  node->default_bootstrap = FALSE;
  node->anchors_only = TRUE;
  /* @data: whether the servent shares a library. */
  if (GPOINTER_TO_INT (data))
    fixture->library = shoal_library_new (fixture->data_dir);
  fixture->servent = shoal_servent_new (node, fixture->library);
  g_assert_true (shoal_servent_start (fixture->servent, &error));
  g_assert_no_error (error);
  if (fixture->library != NULL)
    shoal_test_wait_until (library_ready, fixture->library, TIMEOUT_MS, "the library's index");

  fixture->server = shoald_api_server_new (TOKEN);
  fixture->context = shoald_api_context_new (fixture->servent, fixture->server, fixture->config,
                                             fixture->config_path);
  shoald_api_library_register (fixture->context);
  g_assert_true (shoald_api_server_start (fixture->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  shoald_api_server_stop (fixture->server);
  g_clear_pointer (&fixture->context, shoald_api_context_free);
  g_clear_object (&fixture->server);
  shoal_servent_shutdown (fixture->servent);
  g_object_run_dispose (G_OBJECT (fixture->servent));
  g_clear_object (&fixture->servent);
  g_clear_object (&fixture->library);
  g_clear_pointer (&fixture->config, shoald_config_free);
  shoal_test_remove_tree (fixture->data_dir);
  g_free (fixture->data_dir);
  g_free (fixture->config_path);
}

/* Requests: sent from a thread while this one serves them ------------------- */

typedef struct
{
  guint16              port;
  const char          *method;
  const char          *path;
  const char          *body;
  ShoalTestHttpAnswer *answer;
} Call;

static gpointer
send_call (gpointer data)
{
  Call *call = data;
  const char *headers[] = { "Authorization: " SHOALD_API_AUTH_SCHEME TOKEN,
                            SHOALD_API_CSRF_HEADER ": 1", NULL };
  ShoalTestHttpAnswer *answer = shoal_test_http_request (call->port, call->method, call->path,
                                                         headers, call->body,
                                                         call->body != NULL ? strlen (call->body) : 0);

  g_atomic_pointer_set (&call->answer, answer);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
call_answered (gpointer data)
{
  Call *call = data;

  return g_atomic_pointer_get (&call->answer) != NULL;
}

/* Requires @status and returns the JSON object answered (NULL for none). */
static JsonObject *
api (Fixture    *fixture,
     const char *method,
     const char *path,
     const char *body,
     guint       status)
{
  Call call = { shoald_api_server_get_port (fixture->server), method, path, body, NULL };
  GThread *thread = g_thread_new ("api-call", send_call, &call);
  g_autoptr(ShoalTestHttpAnswer) answer = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;

  shoal_test_wait_until (call_answered, &call, TIMEOUT_MS, "the API's answer");
  g_thread_join (thread);
  answer = call.answer;
  text = shoal_test_http_answer_text (answer);
  g_test_message ("%s %s -> %u %.*s", method, path, answer->status, MESSAGE_BODY_MAX, text);
  g_assert_cmpuint (answer->status, ==, status);
  if (*text == '\0')
    return NULL;
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_dup_object (node);
}

static void
assert_error (JsonObject *answer,
              const char *code)
{
  JsonObject *error = json_object_get_object_member (answer, "error");

  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}

/* The library as GET /library tells it --------------------------------------- */

typedef gboolean (*SummaryCheck) (JsonObject *summary);

/* Asks for the library until @check holds; returns that answer. */
static JsonObject *
poll_summary (Fixture      *fixture,
              SummaryCheck  check,
              const char   *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) summary = api (fixture, "GET", "/api/v1/library", NULL, 200);

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
test_share_search_remove (Fixture       *fixture,
                          gconstpointer  data)
{
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

  added = api (fixture, "POST", "/api/v1/library/roots", body, 201);
  root = json_object_get_object_member (added, "root");
  g_assert_cmpstr (json_object_get_string_member (root, "path"), ==, canonical);
  g_assert_true (json_object_has_member (root, "files"));
  g_assert_true (json_object_has_member (root, "scanning"));

  summary = poll_summary (fixture, all_hashed, "three files hashed");
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

  found = api (fixture, "GET", "/api/v1/library/search?q=quasar", NULL, 200);
  files = json_object_get_array_member (found, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 1);
  file = json_array_get_object_element (files, 0);
  g_assert_cmpstr (json_object_get_string_member (file, "name"), ==, "alpha quasar.txt");
  g_assert_cmpstr (json_object_get_string_member (file, "path"), ==, found_path);
  g_assert_cmpint (json_object_get_int_member (file, "size"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (file, "urn"), ==, found_urn);
  missing = api (fixture, "GET", "/api/v1/library/search?q=zebra&limit=5", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (missing, "files")), ==, 0);
  no_words = api (fixture, "GET", "/api/v1/library/search", NULL, 400);
  assert_error (no_words, "bad_request");

  rescan = api (fixture, "POST", "/api/v1/library/rescan", NULL, 202);
  g_assert_cmpuint (json_object_get_size (rescan), ==, 0);

  removed = api (fixture, "DELETE", remove_path, NULL, 204);
  g_assert_null (removed);
  emptied = poll_summary (fixture, all_gone, "the folder's files to leave");
  g_assert_cmpint (json_object_get_int_member (emptied, "hashed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (emptied, "bytes"), ==, 0);
  removed_again = api (fixture, "DELETE", remove_path, NULL, 404);
  assert_error (removed_again, "not_found");
  shoal_test_remove_tree (share_dir);
}

static void
test_bad_roots (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *nowhere = g_build_filename (fixture->data_dir, "nowhere", NULL);
  g_autofree char *nowhere_body = path_body (nowhere);
  g_autofree char *file_path = g_build_filename (fixture->data_dir, "plain.txt", NULL);
  g_autofree char *file_body = path_body (file_path);
  const char *bodies[] = { "{\"path\": \"relative/dir\"}", "{}", "{\"path\": 3}",
                           nowhere_body, file_body };
  g_autoptr(JsonObject) unknown = NULL, no_path = NULL, summary = NULL;

  write_file (fixture->data_dir, "plain.txt", "not a folder");
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonObject) answer = api (fixture, "POST", "/api/v1/library/roots", bodies[i], 400);

      assert_error (answer, "bad_request");
    }
  unknown = api (fixture, "DELETE", "/api/v1/library/roots?path=%2Fno%2Fsuch%2Fdir", NULL, 404);
  assert_error (unknown, "not_found");
  no_path = api (fixture, "DELETE", "/api/v1/library/roots", NULL, 400);
  assert_error (no_path, "bad_request");
  summary = api (fixture, "GET", "/api/v1/library", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (summary, "roots")), ==, 0);
}

/* A node that shares nothing has no library to show. */
static void
test_no_library (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) summary = api (fixture, "GET", "/api/v1/library", NULL, 503);
  g_autoptr(JsonObject) rescan = api (fixture, "POST", "/api/v1/library/rescan", NULL, 503);
  g_autoptr(JsonObject) search = api (fixture, "GET", "/api/v1/library/search?q=x", NULL, 503);

  assert_error (summary, "unavailable");
  assert_error (rescan, "unavailable");
  assert_error (search, "unavailable");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/api-library/share-search-remove", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_share_search_remove, fixture_tear_down);
  g_test_add ("/api-library/bad-roots", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_bad_roots, fixture_tear_down);
  g_test_add ("/api-library/no-library", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_no_library, fixture_tear_down);
  return g_test_run ();
}
