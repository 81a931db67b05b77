/* test-api-search.c — the control API's searches over an in-process
 * servent: starting, listing, paging through rows, stopping, deleting. */
#include "shoald-api.h"

#include "shoal-magnet.h"
#include "shoal-test-api.h"
#include "shoal-test-loop.h"

#include <string.h>

/* Fails the test rather than hanging it. */
#define TIMEOUT_MS 10000
#define LINK_ID 7
#define HIT_SIZE 4096

static const ShoalTestApiOptions search_api = { .areas = SHOAL_TEST_API_SEARCH };

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
search_of (ShoalTestApi *api,
           guint         id)
{
  ShoalSearch *search = g_hash_table_lookup (api->context->searches, GUINT_TO_POINTER (id));

  g_assert_nonnull (search);
  return search;
}

/* Tests --------------------------------------------------------------------- */

static void
test_start_list_get (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&search_api);
  g_autoptr(JsonObject) started = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                       "{\"text\": \"free jazz\"}", 201);
  g_autoptr(JsonObject) refused = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                       "{\"text\": \"a\"}", 400);
  g_autoptr(JsonObject) no_text = shoal_test_api_call (api, "POST", "/api/v1/searches", "{}", 400);
  g_autoptr(JsonObject) second = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                      "{\"text\": "
                                                      "\"urn:sha1:PLSTHIPQQ2JBLPAM6MDR7JNKVBR47S6E\"}", 201);
  g_autoptr(JsonObject) list = shoal_test_api_call (api, "GET", "/api/v1/searches", NULL, 200);
  g_autoptr(JsonObject) got = shoal_test_api_call (api, "GET", "/api/v1/searches/1", NULL, 200);
  g_autoptr(JsonObject) page = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results",
                                                    NULL, 200);
  g_autoptr(JsonObject) unknown = shoal_test_api_call (api, "GET", "/api/v1/searches/3", NULL, 404);
  g_autoptr(JsonObject) not_a_number = shoal_test_api_call (api, "GET", "/api/v1/searches/abc",
                                                            NULL, 404);
  g_autoptr(JsonObject) zero = shoal_test_api_call (api, "GET", "/api/v1/searches/0/results",
                                                    NULL, 404);
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
  shoal_test_api_assert_error (refused, "bad_request");
  shoal_test_api_assert_error (no_text, "bad_request");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (second, "search"),
                                               "id"), ==, 2);
  /* The servent runs them: the API adds no searches of its own. */
  g_assert_cmpuint (g_list_model_get_n_items (shoal_servent_get_searches (api->servent)), ==, 2);

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
  shoal_test_api_assert_error (unknown, "not_found");
  shoal_test_api_assert_error (not_a_number, "not_found");
  shoal_test_api_assert_error (zero, "not_found");
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
test_results_page (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&search_api);
  g_autoptr(JsonObject) started = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                       "{\"text\": \"free jazz\"}", 201);
  ShoalSearch *search = search_of (api, 1);
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

  page = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results?offset=1&limit=2", NULL, 200);
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
  last = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results?offset=3", NULL, 200);
  rows = json_object_get_array_member (last, "results");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpint (json_object_get_int_member (row, "index"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (row, "name"), ==, "free jazz unhashed.ogg");
  g_assert_true (json_object_get_null_member (row, "urn"));
  g_assert_true (json_object_get_null_member (row, "magnet"));

  beyond = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results?offset=10", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (beyond, "total"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (beyond, "offset"), ==, 10);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (beyond, "results")), ==, 0);
  bad_limit = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results?limit=many", NULL, 400);
  shoal_test_api_assert_error (bad_limit, "bad_request");
  g_assert_nonnull (started);
}

/* A page asked larger than SHOALD_API_MAX_PAGE is served at that size,
 * not refused; the default page is SHOALD_API_DEFAULT_PAGE. */
static void
test_results_page_limits (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&search_api);
  g_autoptr(JsonObject) started = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                       "{\"text\": \"free jazz\"}", 201);
  ShoalSearch *search = search_of (api, 1);
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

  default_page = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (default_page, "results")),
                    ==, SHOALD_API_DEFAULT_PAGE);
  clamped = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results?limit=5000", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (clamped, "total"), ==, rows);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (clamped, "results")),
                    ==, SHOALD_API_MAX_PAGE);
  rest = shoal_test_api_call (api, "GET", "/api/v1/searches/1/results?offset=1000&limit=5000",
                              NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rest, "results")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                     json_object_get_array_member (rest, "results"), 0), "index"), ==, 1000);
  g_assert_nonnull (started);
}

static void
test_stop_and_delete (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&search_api);
  g_autoptr(JsonObject) started = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                       "{\"text\": \"free jazz\"}", 201);
  g_autoptr(JsonObject) stopped = shoal_test_api_call (api, "POST", "/api/v1/searches/1/stop",
                                                       NULL, 200);
  g_autoptr(JsonObject) got = shoal_test_api_call (api, "GET", "/api/v1/searches/1", NULL, 200);
  g_autoptr(JsonObject) deleted = shoal_test_api_call (api, "DELETE", "/api/v1/searches/1", NULL, 204);
  g_autoptr(JsonObject) gone = shoal_test_api_call (api, "GET", "/api/v1/searches/1", NULL, 404);
  g_autoptr(JsonObject) deleted_again = shoal_test_api_call (api, "DELETE", "/api/v1/searches/1",
                                                             NULL, 404);
  g_autoptr(JsonObject) stop_unknown = shoal_test_api_call (api, "POST", "/api/v1/searches/9/stop",
                                                            NULL, 404);
  g_autoptr(JsonObject) list = shoal_test_api_call (api, "GET", "/api/v1/searches", NULL, 200);
  g_autoptr(JsonObject) next = shoal_test_api_call (api, "POST", "/api/v1/searches",
                                                    "{\"text\": \"cool jazz\"}", 201);

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (stopped, "search"),
                                                  "state"), ==, "stopped");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (got, "search"),
                                                  "state"), ==, "stopped");
  g_assert_null (deleted);
  shoal_test_api_assert_error (gone, "not_found");
  shoal_test_api_assert_error (deleted_again, "not_found");
  shoal_test_api_assert_error (stop_unknown, "not_found");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "searches")), ==, 0);
  /* Ids are not reused within a run. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (next, "search"), "id"),
                   ==, 2);
  /* The servent forgot it as well: only the new one is left. */
  g_assert_cmpuint (g_list_model_get_n_items (shoal_servent_get_searches (api->servent)), ==, 1);
  g_assert_nonnull (started);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-search/start-list-get", test_start_list_get);
  g_test_add_func ("/api-search/results-page", test_results_page);
  g_test_add_func ("/api-search/results-page-limits", test_results_page_limits);
  g_test_add_func ("/api-search/stop-and-delete", test_stop_and_delete);
  return g_test_run ();
}
