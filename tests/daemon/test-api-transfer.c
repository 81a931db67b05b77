/* test-api-transfer.c — the control API's downloads and uploads over an
 * in-process servent: adding by URN, magnet and search row, listing,
 * pausing, resuming, cancelling. */
#include "shoald-api.h"

#include "shoal-base32.h"
#include "shoal-test-http.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <string.h>

#define TOKEN "5ea4c4e5a1b0c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabb"
/* Fails the test rather than hanging it. */
#define TIMEOUT_MS 10000
/* What of each answer the test's log shows. */
#define MESSAGE_BODY_MAX 300
#define LINK_ID 7
#define HIT_SIZE 4096
/* Files named by SHA-1 only: nothing ever serves them here. */
#define SHA1_A "PLSTHIPQQ2JBLPAM6MDR7JNKVBR47S6E"
#define SHA1_B "GDZE2YV6FA5UBXQRBZF7Z4VKDYFXKNNT"
#define SHA1_C "WQ7N6TFSLQZFCLVBPMJKE5UAKNT4N2XB"
/* A source on loopback where nothing listens: refused at once. */
#define DEAD_SOURCE_ADDRESS 0x7f000001u
#define DEAD_SOURCE_PORT 1

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

  fixture->data_dir = g_dir_make_tmp ("shoal-api-transfer-XXXXXX", &error);
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
  fixture->library = shoal_library_new (fixture->data_dir);
  fixture->servent = shoal_servent_new (node, fixture->library);
  g_assert_true (shoal_servent_start (fixture->servent, &error));
  g_assert_no_error (error);
  shoal_test_wait_until (library_ready, fixture->library, TIMEOUT_MS, "the library's index");

  fixture->server = shoald_api_server_new (TOKEN);
  fixture->context = shoald_api_context_new (fixture->servent, fixture->server, fixture->config,
                                             fixture->config_path);
  shoald_api_search_register (fixture->context);
  shoald_api_transfer_register (fixture->context);
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

static JsonObject *
download_of (JsonObject *answer)
{
  return json_object_get_object_member (answer, "download");
}

/* Tests --------------------------------------------------------------------- */

static void
test_add_by_urn_and_magnet (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) added = NULL, again = NULL, by_magnet = NULL, bare = NULL, list = NULL;
  g_autoptr(JsonObject) got = NULL, got_lower = NULL, unknown = NULL;
  g_autofree char *lower = g_ascii_strdown (SHA1_B, -1);
  g_autofree char *lower_path = g_strconcat ("/api/v1/downloads/", lower, NULL);
  const char *refused[] = {
    "{\"urn\": \"urn:sha1:NOTBASE32\"}",
    "{\"urn\": 5}",
    "{\"urn\": \"urn:sha1:" SHA1_A "\", \"size\": -1}",
    "{\"magnet\": \"magnet:?dn=nothing.ogg\"}",
    "{\"magnet\": \"http://example.org/\"}",
    "{}",
    "{\"urn\": \"urn:sha1:" SHA1_A "\", \"magnet\": \"magnet:?xt=urn:sha1:" SHA1_B "\"}",
  };
  JsonObject *download;
  JsonArray *downloads;

  added = api (fixture, "POST", "/api/v1/downloads",
               "{\"urn\": \"urn:sha1:" SHA1_A "\", \"name\": \"song.ogg\", \"size\": 1234}", 201);
  download = download_of (added);
  g_assert_cmpstr (json_object_get_string_member (download, "id"), ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (download, "urn"), ==, "urn:sha1:" SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (download, "name"), ==, "song.ogg");
  g_assert_cmpint (json_object_get_int_member (download, "size"), ==, 1234);
  g_assert_cmpint (json_object_get_int_member (download, "done"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (download, "state"), ==, "queued");
  g_assert_cmpint (json_object_get_int_member (download, "rate"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (download, "sources"), ==, 0);
  g_assert_true (json_object_get_null_member (download, "eta"));
  g_assert_true (json_object_get_null_member (download, "error"));
  g_assert_true (json_object_get_null_member (download, "path"));

  /* Known already: the same download, 200. */
  again = api (fixture, "POST", "/api/v1/downloads", "{\"urn\": \"urn:sha1:" SHA1_A "\"}", 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (again), "id"), ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (download_of (again), "name"), ==, "song.ogg");

  by_magnet = api (fixture, "POST", "/api/v1/downloads",
                   "{\"magnet\": \"magnet:?xt=urn:sha1:" SHA1_B "&dn=Other%20file.ogg&xl=99\"}", 201);
  download = download_of (by_magnet);
  g_assert_cmpstr (json_object_get_string_member (download, "id"), ==, SHA1_B);
  g_assert_cmpstr (json_object_get_string_member (download, "name"), ==, "Other file.ogg");
  g_assert_cmpint (json_object_get_int_member (download, "size"), ==, 99);

  /* Without a size it is unknown: null. */
  bare = api (fixture, "POST", "/api/v1/downloads", "{\"urn\": \"urn:sha1:" SHA1_C "\"}", 201);
  g_assert_true (json_object_get_null_member (download_of (bare), "size"));
  g_assert_cmpstr (json_object_get_string_member (download_of (bare), "name"), ==, SHA1_C);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonObject) answer = api (fixture, "POST", "/api/v1/downloads", refused[i], 400);

      assert_error (answer, "bad_request");
    }

  list = api (fixture, "GET", "/api/v1/downloads", NULL, 200);
  downloads = json_object_get_array_member (list, "downloads");
  g_assert_cmpuint (json_array_get_length (downloads), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (downloads, 0), "id"),
                   ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (downloads, 2), "id"),
                   ==, SHA1_C);

  got = api (fixture, "GET", "/api/v1/downloads/" SHA1_B, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (got), "name"), ==, "Other file.ogg");
  /* Base32 in either case names it. */
  got_lower = api (fixture, "GET", lower_path, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (got_lower), "id"), ==, SHA1_B);
  unknown = api (fixture, "GET", "/api/v1/downloads/NOTASHA1", NULL, 404);
  assert_error (unknown, "not_found");
}

static void
test_pause_resume_cancel (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) added = NULL, paused = NULL, paused_again = NULL, resumed = NULL;
  g_autoptr(JsonObject) resumed_again = NULL, cancelled = NULL, gone = NULL, cancelled_again = NULL;
  g_autoptr(JsonObject) pause_unknown = NULL, list = NULL;

  added = api (fixture, "POST", "/api/v1/downloads",
               "{\"urn\": \"urn:sha1:" SHA1_A "\", \"name\": \"song.ogg\"}", 201);
  paused = api (fixture, "POST", "/api/v1/downloads/" SHA1_A "/pause", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (paused), "state"), ==, "paused");
  /* Transfers say what cannot be done now: 409. */
  paused_again = api (fixture, "POST", "/api/v1/downloads/" SHA1_A "/pause", NULL, 409);
  assert_error (paused_again, "conflict");
  resumed = api (fixture, "POST", "/api/v1/downloads/" SHA1_A "/resume", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (resumed), "state"), ==, "queued");
  resumed_again = api (fixture, "POST", "/api/v1/downloads/" SHA1_A "/resume", NULL, 409);
  assert_error (resumed_again, "conflict");

  cancelled = api (fixture, "DELETE", "/api/v1/downloads/" SHA1_A, NULL, 204);
  g_assert_null (cancelled);
  gone = api (fixture, "GET", "/api/v1/downloads/" SHA1_A, NULL, 404);
  assert_error (gone, "not_found");
  cancelled_again = api (fixture, "DELETE", "/api/v1/downloads/" SHA1_A, NULL, 404);
  assert_error (cancelled_again, "not_found");
  pause_unknown = api (fixture, "POST", "/api/v1/downloads/" SHA1_B "/pause", NULL, 404);
  assert_error (pause_unknown, "not_found");
  list = api (fixture, "GET", "/api/v1/downloads", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "downloads")), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (
                      shoal_servent_get_transfers (fixture->servent))), ==, 0);
  g_assert_nonnull (added);
}

static void
test_uploads_empty (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) uploads = api (fixture, "GET", "/api/v1/uploads", NULL, 200);

  g_assert_cmpuint (json_object_get_size (uploads), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (uploads, "uploads")), ==, 0);
}

/* A one-record hit from a source where nothing listens; @sha1 may be NULL. */
static void
give_hit (ShoalSearch  *search,
          const char   *name,
          const guint8 *sha1)
{
  ShoalIpv4Endpoint endpoint = { DEAD_SOURCE_ADDRESS, DEAD_SOURCE_PORT };
  ShoalGuid guid = { { 0x5e } };
  g_autoptr(ShoalQueryHit) hit = shoal_query_hit_new (&endpoint, 1000, &guid);

  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (1, HIT_SIZE, name, sha1,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  shoal_search_add_hit (search, hit, LINK_ID);
}

static gboolean
has_two_rows (gpointer data)
{
  return g_list_model_get_n_items (shoal_search_get_results (data)) >= 2;
}

static void
test_add_from_search (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) started = NULL, added = NULL, again = NULL, no_sha1 = NULL;
  g_autoptr(JsonObject) no_row = NULL, no_search = NULL, no_result = NULL, not_paused = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalSearch *search;
  JsonObject *download;

  g_assert_true (shoal_base32_decode (SHA1_A, strlen (SHA1_A), sha1, sizeof sha1, NULL));
  started = api (fixture, "POST", "/api/v1/searches", "{\"text\": \"free jazz\"}", 201);
  search = g_hash_table_lookup (fixture->context->searches, GUINT_TO_POINTER (1));
  g_assert_nonnull (search);
  give_hit (search, "free jazz.ogg", sha1);
  give_hit (search, "free jazz unhashed.ogg", NULL);
  shoal_test_wait_until (has_two_rows, search, TIMEOUT_MS, "the search's rows");

  added = api (fixture, "POST", "/api/v1/downloads", "{\"search\": 1, \"result\": 0}", 201);
  download = download_of (added);
  g_assert_cmpstr (json_object_get_string_member (download, "id"), ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (download, "name"), ==, "free jazz.ogg");
  g_assert_cmpint (json_object_get_int_member (download, "size"), ==, HIT_SIZE);
  g_assert_cmpint (json_object_get_int_member (download, "sources"), ==, 1);
  again = api (fixture, "POST", "/api/v1/downloads", "{\"search\": 1, \"result\": 0}", 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (again), "id"), ==, SHA1_A);
  /* It has a source to try, so it runs (or waits for that source again):
   * either way only a paused download resumes. */
  not_paused = api (fixture, "POST", "/api/v1/downloads/" SHA1_A "/resume", NULL, 409);
  assert_error (not_paused, "conflict");

  /* A file without SHA-1 could not be checked once downloaded. */
  no_sha1 = api (fixture, "POST", "/api/v1/downloads", "{\"search\": 1, \"result\": 1}", 400);
  assert_error (no_sha1, "bad_request");
  no_row = api (fixture, "POST", "/api/v1/downloads", "{\"search\": 1, \"result\": 2}", 404);
  assert_error (no_row, "not_found");
  no_search = api (fixture, "POST", "/api/v1/downloads", "{\"search\": 9, \"result\": 0}", 404);
  assert_error (no_search, "not_found");
  no_result = api (fixture, "POST", "/api/v1/downloads", "{\"search\": 1}", 400);
  assert_error (no_result, "bad_request");
  g_assert_nonnull (started);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/api-transfer/add-by-urn-and-magnet", Fixture, NULL,
              fixture_set_up, test_add_by_urn_and_magnet, fixture_tear_down);
  g_test_add ("/api-transfer/pause-resume-cancel", Fixture, NULL,
              fixture_set_up, test_pause_resume_cancel, fixture_tear_down);
  g_test_add ("/api-transfer/uploads-empty", Fixture, NULL,
              fixture_set_up, test_uploads_empty, fixture_tear_down);
  g_test_add ("/api-transfer/add-from-search", Fixture, NULL,
              fixture_set_up, test_add_from_search, fixture_tear_down);
  return g_test_run ();
}
