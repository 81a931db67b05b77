/* test-api-search.c — the control API's searches over an in-process
 * servent: starting, listing, paging through rows, stopping, deleting. */
#include "shoald-api.h"

#include "shoal-magnet.h"
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

  fixture->data_dir = g_dir_make_tmp ("shoal-api-search-XXXXXX", &error);
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

/* Hits, as the router would hand them to a search --------------------------- */

/* A one-record hit from 10.0.0.@host; @sha1_seed 0 gives no SHA-1, else
 * a SHA-1 made of @sha1_seed's bytes. */
static void
give_hit (ShoalSearch *search,
          guint32      host,
          const char  *name,
          guint32      sha1_seed)
{
  ShoalIpv4Endpoint endpoint = { 0x0a000000u | host, 6346 };
  ShoalGuid guid = { { 0 } };
  guint8 sha1[SHOAL_SHA1_SIZE] = { 0 };
  g_autoptr(ShoalQueryHit) hit = NULL;

  memcpy (guid.bytes, &host, sizeof host);
  memcpy (sha1, &sha1_seed, sizeof sha1_seed);
  hit = shoal_query_hit_new (&endpoint, 1000, &guid);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (host, HIT_SIZE, name,
                                                               sha1_seed != 0 ? sha1 : NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  shoal_search_add_hit (search, hit, LINK_ID);
}

typedef struct
{
  ShoalSearch *search;
  guint        rows;
} RowWait;

static gboolean
has_rows (gpointer data)
{
  RowWait *wait = data;

  return g_list_model_get_n_items (shoal_search_get_results (wait->search)) >= wait->rows;
}

static void
wait_rows (ShoalSearch *search,
           guint        rows)
{
  RowWait wait = { search, rows };

  shoal_test_wait_until (has_rows, &wait, TIMEOUT_MS, "the search's rows");
}

static ShoalSearch *
search_of (Fixture *fixture,
           guint    id)
{
  ShoalSearch *search = g_hash_table_lookup (fixture->context->searches, GUINT_TO_POINTER (id));

  g_assert_nonnull (search);
  return search;
}

/* Tests --------------------------------------------------------------------- */

static void
test_start_list_get (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) started = api (fixture, "POST", "/api/v1/searches",
                                       "{\"text\": \"free jazz\"}", 201);
  g_autoptr(JsonObject) refused = api (fixture, "POST", "/api/v1/searches", "{\"text\": \"a\"}", 400);
  g_autoptr(JsonObject) no_text = api (fixture, "POST", "/api/v1/searches", "{}", 400);
  g_autoptr(JsonObject) second = api (fixture, "POST", "/api/v1/searches",
                                      "{\"text\": \"urn:sha1:PLSTHIPQQ2JBLPAM6MDR7JNKVBR47S6E\"}", 201);
  g_autoptr(JsonObject) list = api (fixture, "GET", "/api/v1/searches", NULL, 200);
  g_autoptr(JsonObject) got = api (fixture, "GET", "/api/v1/searches/1", NULL, 200);
  g_autoptr(JsonObject) page = api (fixture, "GET", "/api/v1/searches/1/results", NULL, 200);
  g_autoptr(JsonObject) unknown = api (fixture, "GET", "/api/v1/searches/3", NULL, 404);
  g_autoptr(JsonObject) not_a_number = api (fixture, "GET", "/api/v1/searches/abc", NULL, 404);
  g_autoptr(JsonObject) zero = api (fixture, "GET", "/api/v1/searches/0/results", NULL, 404);
  JsonObject *search = json_object_get_object_member (started, "search");
  JsonArray *searches = json_object_get_array_member (list, "searches");

  g_assert_cmpint (json_object_get_int_member (search, "id"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (search, "text"), ==, "free jazz");
  g_assert_cmpstr (json_object_get_string_member (search, "title"), ==, "free jazz");
  g_assert_cmpstr (json_object_get_string_member (search, "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (search, "hits"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (search, "results"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (search, "sources"), ==, 0);
  g_assert_true (json_object_has_member (search, "ultrapeers_queried"));
  assert_error (refused, "bad_request");
  assert_error (no_text, "bad_request");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (second, "search"),
                                               "id"), ==, 2);
  /* The servent runs them: the API adds no searches of its own. */
  g_assert_cmpuint (g_list_model_get_n_items (shoal_servent_get_searches (fixture->servent)), ==, 2);

  g_assert_cmpuint (json_array_get_length (searches), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (searches, 0), "id"),
                   ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (searches, 1), "id"),
                   ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (searches, 1),
                                                  "title"),
                   ==, "urn:sha1:PLSTHIPQQ2JBLPAM6MDR7JNKVBR47S6E");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (got, "search"), "id"),
                   ==, 1);

  g_assert_cmpint (json_object_get_int_member (page, "total"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (page, "offset"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "results")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (page, "search"), "id"),
                   ==, 1);
  assert_error (unknown, "not_found");
  assert_error (not_a_number, "not_found");
  assert_error (zero, "not_found");
}

/* The magnet of a row names its SHA-1, name and size. */
static void
assert_row_magnet (JsonObject  *row,
                   guint32      sha1_seed)
{
  const char *text = json_object_get_string_member (row, "magnet");
  g_autoptr(ShoalMagnet) magnet = NULL;
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE] = { 0 };
  g_autofree char *urn = NULL;

  memcpy (sha1, &sha1_seed, sizeof sha1_seed);
  urn = shoal_urn_format_sha1 (sha1);
  g_assert_cmpstr (json_object_get_string_member (row, "urn"), ==, urn);
  magnet = shoal_magnet_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_true (magnet->has_sha1);
  g_assert_cmpmem (magnet->sha1, SHOAL_SHA1_SIZE, sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpstr (magnet->display_name, ==, json_object_get_string_member (row, "name"));
  g_assert_true (magnet->has_exact_length);
  g_assert_cmpuint (magnet->exact_length, ==, HIT_SIZE);
}

static void
test_results_page (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) started = api (fixture, "POST", "/api/v1/searches",
                                       "{\"text\": \"free jazz\"}", 201);
  ShoalSearch *search = search_of (fixture, 1);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(JsonObject) beyond = NULL;
  g_autoptr(JsonObject) bad_limit = NULL;
  JsonArray *rows;
  JsonObject *row;

  give_hit (search, 1, "free jazz one.ogg", 1);
  give_hit (search, 2, "free jazz two.ogg", 2);
  /* The same file from another source joins its row. */
  give_hit (search, 3, "free jazz two.ogg", 2);
  give_hit (search, 4, "free jazz & friends 100%.ogg", 3);
  give_hit (search, 5, "free jazz unhashed.ogg", 0);
  wait_rows (search, 4);

  page = api (fixture, "GET", "/api/v1/searches/1/results?offset=1&limit=2", NULL, 200);
  rows = json_object_get_array_member (page, "results");
  g_assert_cmpint (json_object_get_int_member (page, "total"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (page, "offset"), ==, 1);
  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpint (json_object_get_int_member (row, "index"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (row, "name"), ==, "free jazz two.ogg");
  g_assert_cmpint (json_object_get_int_member (row, "size"), ==, HIT_SIZE);
  g_assert_cmpint (json_object_get_int_member (row, "sources"), ==, 2);
  assert_row_magnet (row, 2);
  row = json_array_get_object_element (rows, 1);
  g_assert_cmpint (json_object_get_int_member (row, "index"), ==, 2);
  /* The name is escaped in the magnet and comes back whole. */
  g_assert_cmpstr (json_object_get_string_member (row, "name"), ==, "free jazz & friends 100%.ogg");
  assert_row_magnet (row, 3);
  row = json_object_get_object_member (page, "search");
  g_assert_cmpint (json_object_get_int_member (row, "hits"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (row, "results"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (row, "sources"), ==, 5);

  /* The default page reaches the end; a row without SHA-1 has no magnet. */
  last = api (fixture, "GET", "/api/v1/searches/1/results?offset=3", NULL, 200);
  rows = json_object_get_array_member (last, "results");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpint (json_object_get_int_member (row, "index"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (row, "name"), ==, "free jazz unhashed.ogg");
  g_assert_true (json_object_get_null_member (row, "urn"));
  g_assert_true (json_object_get_null_member (row, "magnet"));

  beyond = api (fixture, "GET", "/api/v1/searches/1/results?offset=10", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (beyond, "total"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (beyond, "offset"), ==, 10);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (beyond, "results")), ==, 0);
  bad_limit = api (fixture, "GET", "/api/v1/searches/1/results?limit=many", NULL, 400);
  assert_error (bad_limit, "bad_request");
  g_assert_nonnull (started);
}

/* A page asked larger than SHOALD_API_MAX_PAGE is served at that size,
 * not refused; the default page is SHOALD_API_DEFAULT_PAGE. */
static void
test_results_page_limits (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) started = api (fixture, "POST", "/api/v1/searches",
                                       "{\"text\": \"free jazz\"}", 201);
  ShoalSearch *search = search_of (fixture, 1);
  g_autoptr(JsonObject) default_page = NULL;
  g_autoptr(JsonObject) clamped = NULL;
  g_autoptr(JsonObject) rest = NULL;
  guint rows = SHOALD_API_MAX_PAGE + 1;

  for (guint i = 1; i <= rows; i++)
    {
      g_autofree char *name = g_strdup_printf ("free jazz %u.ogg", i);

      give_hit (search, i, name, i);
    }
  wait_rows (search, rows);

  default_page = api (fixture, "GET", "/api/v1/searches/1/results", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (default_page, "results")),
                    ==, SHOALD_API_DEFAULT_PAGE);
  clamped = api (fixture, "GET", "/api/v1/searches/1/results?limit=5000", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (clamped, "total"), ==, rows);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (clamped, "results")),
                    ==, SHOALD_API_MAX_PAGE);
  rest = api (fixture, "GET", "/api/v1/searches/1/results?offset=1000&limit=5000", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rest, "results")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                     json_object_get_array_member (rest, "results"), 0), "index"), ==, 1000);
  g_assert_nonnull (started);
}

static void
test_stop_and_delete (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) started = api (fixture, "POST", "/api/v1/searches",
                                       "{\"text\": \"free jazz\"}", 201);
  g_autoptr(JsonObject) stopped = api (fixture, "POST", "/api/v1/searches/1/stop", NULL, 200);
  g_autoptr(JsonObject) got = api (fixture, "GET", "/api/v1/searches/1", NULL, 200);
  g_autoptr(JsonObject) deleted = api (fixture, "DELETE", "/api/v1/searches/1", NULL, 204);
  g_autoptr(JsonObject) gone = api (fixture, "GET", "/api/v1/searches/1", NULL, 404);
  g_autoptr(JsonObject) deleted_again = api (fixture, "DELETE", "/api/v1/searches/1", NULL, 404);
  g_autoptr(JsonObject) stop_unknown = api (fixture, "POST", "/api/v1/searches/9/stop", NULL, 404);
  g_autoptr(JsonObject) list = api (fixture, "GET", "/api/v1/searches", NULL, 200);
  g_autoptr(JsonObject) next = api (fixture, "POST", "/api/v1/searches",
                                    "{\"text\": \"cool jazz\"}", 201);

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (stopped, "search"),
                                                  "state"), ==, "stopped");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (got, "search"),
                                                  "state"), ==, "stopped");
  g_assert_null (deleted);
  assert_error (gone, "not_found");
  assert_error (deleted_again, "not_found");
  assert_error (stop_unknown, "not_found");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "searches")), ==, 0);
  /* Ids are not reused within a run. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (next, "search"), "id"),
                   ==, 2);
  /* The servent forgot it as well: only the new one is left. */
  g_assert_cmpuint (g_list_model_get_n_items (shoal_servent_get_searches (fixture->servent)), ==, 1);
  g_assert_nonnull (started);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/api-search/start-list-get", Fixture, NULL,
              fixture_set_up, test_start_list_get, fixture_tear_down);
  g_test_add ("/api-search/results-page", Fixture, NULL,
              fixture_set_up, test_results_page, fixture_tear_down);
  g_test_add ("/api-search/results-page-limits", Fixture, NULL,
              fixture_set_up, test_results_page_limits, fixture_tear_down);
  g_test_add ("/api-search/stop-and-delete", Fixture, NULL,
              fixture_set_up, test_stop_and_delete, fixture_tear_down);
  return g_test_run ();
}
