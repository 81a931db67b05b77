/* test-api-transfer.c — the control API's downloads and uploads over an
 * in-process servent: adding by URN, magnet and search row, listing,
 * pausing, resuming, cancelling; uploads from a loopback client listed
 * with their ids and stopped. */
#include "shoald-api.h"

#include "shoal-base32.h"
#include "shoal-test-api.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <string.h>
#include <sys/socket.h>

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
/* Hashing the shared files may take a while under the sanitizers. */
#define SHARE_TIMEOUT_MS 30000
#define POLL_MS 50
/* Served whole to a client that reads it all. */
#define SMALL_NAME "small.bin"
#define SMALL_SIZE 1000
/* Larger than what the kernel buffers on loopback between the server and
 * a client that reads nothing (its receive buffer kept at
 * CLIENT_RECEIVE_BUFFER): still going out when stopped. */
#define BIG_NAME "big.bin"
#define BIG_SIZE (16 * 1024 * 1024)
#define CLIENT_RECEIVE_BUFFER 4096
#define CLIENT_TIMEOUT_S 15
#define READ_CHUNK 65536
#define UPLOAD_ID_DIGITS 16

static const ShoalTestApiOptions transfer_api = {
  .areas = SHOAL_TEST_API_SEARCH | SHOAL_TEST_API_TRANSFER,
};
static const ShoalTestApiOptions upload_api = {
  .areas = SHOAL_TEST_API_TRANSFER | SHOAL_TEST_API_LIBRARY,
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

/* Uploads -------------------------------------------------------------------- */

/* A file of @size bytes that differ from one another's; its urn. */
static char *
share_file (const char *folder,
            const char *name,
            gsize       size)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize length = sizeof sha1;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + i / 251);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, &error));
  g_assert_no_error (error);
  g_checksum_update (checksum, data, (gssize) size);
  g_checksum_get_digest (checksum, sha1, &length);
  return shoal_urn_format_sha1 (sha1);
}

/* {"path": @path} */
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

static void
wait_hashed (ShoalTestApi *api,
             gint64        files)
{
  gint64 deadline = g_get_monotonic_time () + SHARE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) library = shoal_test_api_call (api, "GET", "/api/v1/library", NULL, 200);

      if (json_object_get_int_member (library, "hashed") == files &&
          !json_object_get_boolean_member (library, "busy"))
        return;
      shoal_test_wait_ms (POLL_MS);
    }
  g_error ("timed out waiting for the shared files' hashes");
}

/* The upload of @name that GET /uploads lists in one of @states (a
 * reference), once it does. */
static JsonObject *
wait_upload (ShoalTestApi       *api,
             const char         *name,
             const char * const *states)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) list = shoal_test_api_call (api, "GET", "/api/v1/uploads", NULL, 200);
      JsonArray *uploads = json_object_get_array_member (list, "uploads");

      for (guint i = 0; i < json_array_get_length (uploads); i++)
        {
          JsonObject *upload = json_array_get_object_element (uploads, i);

          if (g_strcmp0 (json_object_get_string_member (upload, "name"), name) == 0 &&
              g_strv_contains (states, json_object_get_string_member (upload, "state")))
            return json_object_ref (upload);
        }
      shoal_test_wait_ms (POLL_MS);
    }
  g_error ("timed out waiting for an upload of %s", name);
}

static const char * const running_states[] = { "sending", "waiting", NULL };
static const char * const done_states[] = { "done", NULL };

static void
assert_upload_id (JsonObject *upload)
{
  const char *id = json_object_get_string_member (upload, "id");

  g_assert_cmpuint (strlen (id), ==, UPLOAD_ID_DIGITS);
  g_assert_cmpuint (strspn (id, "0123456789abcdef"), ==, UPLOAD_ID_DIGITS);
}

static char *
stop_path (const char *id)
{
  return g_strconcat ("/api/v1/uploads/", id, "/stop", NULL);
}

/* A loopback client on a thread of its own, as the servent's listener
 * and upload server answer while the test's thread runs the main
 * context. */
typedef struct
{
  guint16  port;
  char    *urn;
  gboolean whole;          /* read all of it; else only once let go */
  gint     let_go;         /* set by the test */
  guint64  received;       /* what came, head included */
  gint     done;
} Client;

static GSocketConnection *
client_connect (Client *client)
{
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new_from_string ("127.0.0.1", client->port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (socket);
  g_socket_set_timeout (socket, CLIENT_TIMEOUT_S);
  /* Set before connecting, so that the window the server sees is small. */
  if (!client->whole)
    {
      g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, CLIENT_RECEIVE_BUFFER, &error);
      g_assert_no_error (error);
    }
  g_socket_connect (socket, server, NULL, &error);
  g_assert_no_error (error);
  return g_socket_connection_factory_create_connection (socket);
}

static gpointer
client_main (gpointer data)
{
  Client *client = data;
  g_autoptr(GSocketConnection) connection = client_connect (client);
  g_autofree char *request = g_strdup_printf ("GET /uri-res/N2R?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                                              client->urn, client->whole ? "Connection: close\r\n" : "");
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  guint8 chunk[READ_CHUNK];
  gssize n_read;

  g_assert_true (g_output_stream_write_all (output, request, strlen (request), NULL, NULL, NULL));
  while (!client->whole && !g_atomic_int_get (&client->let_go))
    g_usleep (POLL_MS * G_TIME_SPAN_MILLISECOND);
  /* Up to the end: the server closes the connection. */
  do
    {
      g_autoptr(GError) error = NULL;

      n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, &error);
      g_assert_no_error (error);
      client->received += (guint64) MAX (n_read, 0);
    }
  while (n_read > 0);
  g_atomic_int_set (&client->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
client_done (gpointer data)
{
  Client *client = data;

  return g_atomic_int_get (&client->done);
}

static void
client_finish (Client  *client,
               GThread *thread)
{
  g_atomic_int_set (&client->let_go, TRUE);
  shoal_test_wait_until (client_done, client, TIMEOUT_MS, "the client to see the connection close");
  g_thread_join (thread);
}

/* A finished upload cannot be stopped (409); a running one, sending a
 * body its client does not read, is stopped (200, "stopped", its
 * connection closed before the body is out), then cannot be stopped
 * again; ids that name no upload get 404. */
static void
test_stop_upload (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&upload_api);
  g_autoptr(GError) error = NULL;
  g_autofree char *share_dir = g_dir_make_tmp ("shoal-api-upload-XXXXXX", &error);
  g_autofree char *small_urn = share_file (share_dir, SMALL_NAME, SMALL_SIZE);
  g_autofree char *big_urn = share_file (share_dir, BIG_NAME, BIG_SIZE);
  g_autofree char *body = path_body (share_dir);
  guint16 port = shoal_node_manager_get_port (shoal_servent_get_node_manager (api->servent));
  Client small = { port, small_urn, TRUE, FALSE, 0, FALSE };
  Client big = { port, big_urn, FALSE, FALSE, 0, FALSE };
  g_autoptr(JsonObject) added = NULL, done = NULL, done_refused = NULL, running = NULL;
  g_autoptr(JsonObject) stopped = NULL, stopped_again = NULL, listed = NULL;
  g_autoptr(JsonObject) unknown = NULL, not_hex = NULL, too_short = NULL;
  g_autofree char *done_path = NULL, *running_path = NULL, *upper_path = NULL;
  g_autofree char *upper_id = NULL;
  const char * const stopped_states[] = { "stopped", NULL };
  JsonObject *upload;
  GThread *thread;

  g_assert_no_error (error);
  added = shoal_test_api_call (api, "POST", "/api/v1/library/roots", body, 201);
  wait_hashed (api, 2);

  /* Read in full, the connection closed: done. */
  thread = g_thread_new ("small-client", client_main, &small);
  client_finish (&small, thread);
  g_assert_cmpuint (small.received, >, SMALL_SIZE);
  done = wait_upload (api, SMALL_NAME, done_states);
  assert_upload_id (done);
  done_path = stop_path (json_object_get_string_member (done, "id"));
  done_refused = shoal_test_api_call (api, "POST", done_path, NULL, 409);
  shoal_test_api_assert_error (done_refused, "conflict");

  thread = g_thread_new ("big-client", client_main, &big);
  running = wait_upload (api, BIG_NAME, running_states);
  assert_upload_id (running);
  g_assert_cmpstr (json_object_get_string_member (running, "id"), !=,
                   json_object_get_string_member (done, "id"));
  running_path = stop_path (json_object_get_string_member (running, "id"));
  stopped = shoal_test_api_call (api, "POST", running_path, NULL, 200);
  upload = json_object_get_object_member (stopped, "upload");
  g_assert_cmpstr (json_object_get_string_member (upload, "id"), ==,
                   json_object_get_string_member (running, "id"));
  g_assert_cmpstr (json_object_get_string_member (upload, "state"), ==, "stopped");
  g_assert_cmpstr (json_object_get_string_member (upload, "urn"), ==, big_urn);
  g_assert_cmpint (json_object_get_int_member (upload, "done"), <, BIG_SIZE);
  /* Listed as stopped; either case names it, and it is over. */
  listed = wait_upload (api, BIG_NAME, stopped_states);
  upper_id = g_ascii_strup (json_object_get_string_member (running, "id"), -1);
  upper_path = stop_path (upper_id);
  stopped_again = shoal_test_api_call (api, "POST", upper_path, NULL, 409);
  shoal_test_api_assert_error (stopped_again, "conflict");
  client_finish (&big, thread);
  g_assert_cmpuint (big.received, <, BIG_SIZE);

  unknown = shoal_test_api_call (api, "POST", "/api/v1/uploads/0000000000000000/stop", NULL, 404);
  shoal_test_api_assert_error (unknown, "not_found");
  not_hex = shoal_test_api_call (api, "POST", "/api/v1/uploads/zzzzzzzzzzzzzzzz/stop", NULL, 404);
  shoal_test_api_assert_error (not_hex, "not_found");
  too_short = shoal_test_api_call (api, "POST", "/api/v1/uploads/1/stop", NULL, 404);
  shoal_test_api_assert_error (too_short, "not_found");
  g_assert_nonnull (added);
  g_assert_nonnull (listed);
  shoal_test_remove_tree (share_dir);
}

/* Without a library nothing is uploaded: every id is unknown. */
static void
test_stop_upload_without_library (void)
{
  const ShoalTestApiOptions options = { .areas = SHOAL_TEST_API_TRANSFER, .without_library = TRUE };
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&options);
  g_autoptr(JsonObject) unknown = shoal_test_api_call (api, "POST", "/api/v1/uploads/0123456789abcdef/stop",
                                                       NULL, 404);

  shoal_test_api_assert_error (unknown, "not_found");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-transfer/add-by-urn-and-magnet", test_add_by_urn_and_magnet);
  g_test_add_func ("/api-transfer/pause-resume-cancel", test_pause_resume_cancel);
  g_test_add_func ("/api-transfer/uploads-empty", test_uploads_empty);
  g_test_add_func ("/api-transfer/add-from-search", test_add_from_search);
  g_test_add_func ("/api-transfer/stop-upload", test_stop_upload);
  g_test_add_func ("/api-transfer/stop-upload-without-library", test_stop_upload_without_library);
  return g_test_run ();
}
