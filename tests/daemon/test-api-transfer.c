/* test-api-transfer.c — the control API's downloads and uploads over an
 * in-process servent: adding by URN, magnet and search row, listing,
 * pausing, resuming, cancelling. */
#include "shoald-api.h"

#include "shoal-base32.h"
#include "shoal-test-api.h"
#include "shoal-test-loop.h"

#include <string.h>

/* Fails the test rather than hanging it. */
#define TIMEOUT_MS 10000
#define LINK_ID 7
#define HIT_SIZE 4096
/* Files named by SHA-1 only: nothing ever serves them here. */
#define SHA1_A "PLSTHIPQQ2JBLPAM6MDR7JNKVBR47S6E"
#define SHA1_B "GDZE2YV6FA5UBXQRBZF7Z4VKDYFXKNNT"
#define SHA1_C "WQ7N6TFSLQZFCLVBPMJKE5UAKNT4N2XB"
/* A source on loopback where nothing listens: refused at once. */
#define DEAD_SOURCE_ADDRESS 0x7f000001u
#define DEAD_SOURCE_PORT 1

static const ShoalTestApiOptions transfer_api = {
  .areas = SHOAL_TEST_API_SEARCH | SHOAL_TEST_API_TRANSFER,
};

static JsonObject *
download_of (JsonObject *answer)
{
  return json_object_get_object_member (answer, "download");
}

/* Tests --------------------------------------------------------------------- */

static void
test_add_by_urn_and_magnet (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&transfer_api);
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

  added = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                               "{\"urn\": \"urn:sha1:" SHA1_A "\", \"name\": \"song.ogg\", "
                               "\"size\": 1234}", 201);
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
  again = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                               "{\"urn\": \"urn:sha1:" SHA1_A "\"}", 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (again), "id"), ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (download_of (again), "name"), ==, "song.ogg");

  by_magnet = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                                   "{\"magnet\": \"magnet:?xt=urn:sha1:" SHA1_B
                                   "&dn=Other%20file.ogg&xl=99\"}", 201);
  download = download_of (by_magnet);
  g_assert_cmpstr (json_object_get_string_member (download, "id"), ==, SHA1_B);
  g_assert_cmpstr (json_object_get_string_member (download, "name"), ==, "Other file.ogg");
  g_assert_cmpint (json_object_get_int_member (download, "size"), ==, 99);

  /* Without a size it is unknown: null. */
  bare = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                              "{\"urn\": \"urn:sha1:" SHA1_C "\"}", 201);
  g_assert_true (json_object_get_null_member (download_of (bare), "size"));
  g_assert_cmpstr (json_object_get_string_member (download_of (bare), "name"), ==, SHA1_C);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonObject) answer = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                                                          refused[i], 400);

      shoal_test_api_assert_error (answer, "bad_request");
    }

  list = shoal_test_api_call (api, "GET", "/api/v1/downloads", NULL, 200);
  downloads = json_object_get_array_member (list, "downloads");
  g_assert_cmpuint (json_array_get_length (downloads), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (downloads, 0), "id"),
                   ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (downloads, 2), "id"),
                   ==, SHA1_C);

  got = shoal_test_api_call (api, "GET", "/api/v1/downloads/" SHA1_B, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (got), "name"), ==, "Other file.ogg");
  /* Base32 in either case names it. */
  got_lower = shoal_test_api_call (api, "GET", lower_path, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (got_lower), "id"), ==, SHA1_B);
  unknown = shoal_test_api_call (api, "GET", "/api/v1/downloads/NOTASHA1", NULL, 404);
  shoal_test_api_assert_error (unknown, "not_found");
}

static void
test_pause_resume_cancel (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&transfer_api);
  g_autoptr(JsonObject) added = NULL, paused = NULL, paused_again = NULL, resumed = NULL;
  g_autoptr(JsonObject) resumed_again = NULL, cancelled = NULL, gone = NULL, cancelled_again = NULL;
  g_autoptr(JsonObject) pause_unknown = NULL, list = NULL;

  added = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                               "{\"urn\": \"urn:sha1:" SHA1_A "\", \"name\": \"song.ogg\"}", 201);
  paused = shoal_test_api_call (api, "POST", "/api/v1/downloads/" SHA1_A "/pause", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (paused), "state"), ==, "paused");
  /* Transfers say what cannot be done now: 409. */
  paused_again = shoal_test_api_call (api, "POST", "/api/v1/downloads/" SHA1_A "/pause", NULL, 409);
  shoal_test_api_assert_error (paused_again, "conflict");
  resumed = shoal_test_api_call (api, "POST", "/api/v1/downloads/" SHA1_A "/resume", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (resumed), "state"), ==, "queued");
  resumed_again = shoal_test_api_call (api, "POST", "/api/v1/downloads/" SHA1_A "/resume", NULL, 409);
  shoal_test_api_assert_error (resumed_again, "conflict");

  cancelled = shoal_test_api_call (api, "DELETE", "/api/v1/downloads/" SHA1_A, NULL, 204);
  g_assert_null (cancelled);
  gone = shoal_test_api_call (api, "GET", "/api/v1/downloads/" SHA1_A, NULL, 404);
  shoal_test_api_assert_error (gone, "not_found");
  cancelled_again = shoal_test_api_call (api, "DELETE", "/api/v1/downloads/" SHA1_A, NULL, 404);
  shoal_test_api_assert_error (cancelled_again, "not_found");
  pause_unknown = shoal_test_api_call (api, "POST", "/api/v1/downloads/" SHA1_B "/pause", NULL, 404);
  shoal_test_api_assert_error (pause_unknown, "not_found");
  list = shoal_test_api_call (api, "GET", "/api/v1/downloads", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "downloads")), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (
                      shoal_servent_get_transfers (api->servent))), ==, 0);
  g_assert_nonnull (added);
}

static void
test_uploads_empty (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&transfer_api);
  g_autoptr(JsonObject) uploads = shoal_test_api_call (api, "GET", "/api/v1/uploads", NULL, 200);

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
test_add_from_search (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&transfer_api);
  g_autoptr(JsonObject) started = NULL, added = NULL, again = NULL, no_sha1 = NULL;
  g_autoptr(JsonObject) no_row = NULL, no_search = NULL, no_result = NULL, not_paused = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalSearch *search;
  JsonObject *download;

  g_assert_true (shoal_base32_decode (SHA1_A, strlen (SHA1_A), sha1, sizeof sha1, NULL));
  started = shoal_test_api_call (api, "POST", "/api/v1/searches", "{\"text\": \"free jazz\"}", 201);
  search = g_hash_table_lookup (api->context->searches, GUINT_TO_POINTER (1));
  g_assert_nonnull (search);
  give_hit (search, "free jazz.ogg", sha1);
  give_hit (search, "free jazz unhashed.ogg", NULL);
  shoal_test_wait_until (has_two_rows, search, TIMEOUT_MS, "the search's rows");

  added = shoal_test_api_call (api, "POST", "/api/v1/downloads", "{\"search\": 1, \"result\": 0}", 201);
  download = download_of (added);
  g_assert_cmpstr (json_object_get_string_member (download, "id"), ==, SHA1_A);
  g_assert_cmpstr (json_object_get_string_member (download, "name"), ==, "free jazz.ogg");
  g_assert_cmpint (json_object_get_int_member (download, "size"), ==, HIT_SIZE);
  g_assert_cmpint (json_object_get_int_member (download, "sources"), ==, 1);
  again = shoal_test_api_call (api, "POST", "/api/v1/downloads", "{\"search\": 1, \"result\": 0}", 200);
  g_assert_cmpstr (json_object_get_string_member (download_of (again), "id"), ==, SHA1_A);
  /* It has a source to try, so it runs (or waits for that source again):
   * either way only a paused download resumes. */
  not_paused = shoal_test_api_call (api, "POST", "/api/v1/downloads/" SHA1_A "/resume", NULL, 409);
  shoal_test_api_assert_error (not_paused, "conflict");

  /* A file without SHA-1 could not be checked once downloaded. */
  no_sha1 = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                                 "{\"search\": 1, \"result\": 1}", 400);
  shoal_test_api_assert_error (no_sha1, "bad_request");
  no_row = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                                "{\"search\": 1, \"result\": 2}", 404);
  shoal_test_api_assert_error (no_row, "not_found");
  no_search = shoal_test_api_call (api, "POST", "/api/v1/downloads",
                                   "{\"search\": 9, \"result\": 0}", 404);
  shoal_test_api_assert_error (no_search, "not_found");
  no_result = shoal_test_api_call (api, "POST", "/api/v1/downloads", "{\"search\": 1}", 400);
  shoal_test_api_assert_error (no_result, "bad_request");
  g_assert_nonnull (started);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-transfer/add-by-urn-and-magnet", test_add_by_urn_and_magnet);
  g_test_add_func ("/api-transfer/pause-resume-cancel", test_pause_resume_cancel);
  g_test_add_func ("/api-transfer/uploads-empty", test_uploads_empty);
  g_test_add_func ("/api-transfer/add-from-search", test_add_from_search);
  return g_test_run ();
}
