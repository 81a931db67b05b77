/* test-http-fetch.c — ShoalHttpFetch against a scripted HTTP server on
 * loopback: keep-alive, gtk-gnutella's captured short 206, a 200 ignoring
 * Range, 503, 404, 416, a lying source, a body cut short, a stall, a
 * cancel, surplus body bytes, a huge head, a chunked body, an unreachable
 * source, a GIV stream handed over, and reading under a rate limit:
 * alone, shared by two fetches, lifted, cancelled while waiting and
 * slower than the idle timeout. */
#include "shoal-handshake.h"
#include "shoal-http-fetch.h"
#include "shoal-test-loop.h"
#include "shoal-test-vectors.h"
#include "shoal-urn.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Every wait fails the test after this long; what is waited for takes
 * milliseconds, the stall test half a second. */
#define WAIT_TIMEOUT_MS 10000
#define STALL_IDLE_TIMEOUT_MS 500
#define SERVER_READ_SIZE 4096
/* The rate limit tests: 256 KiB at 512 kbit/s (64000 B/s) is 4.1 s, 3.85 s
 * after the first quarter second's burst; only a lower bound is checked. */
#define CAPPED_KBPS 512
#define CAPPED_SIZE (256 * 1024)
#define CAPPED_MIN_MS 3500
/* A tick of the main loop while capped reads wait: it must keep running. */
#define TICK_MS 100
#define MIN_TICKS 10
/* So slow that only a lifted cap or a cancel ends the fetch in time. */
#define CRAWL_BYTES_PER_S 125
/* Four min-size bursts at this rate: waits of about a second each,
 * twice the idle timeout. */
#define SLOW_BYTES_PER_S 4000
#define SLOW_SIZE (4 * SHOAL_RATE_LIMIT_MIN_BURST)

/* The file of the captured gtk-gnutella download. */
#define VECTOR_URN "urn:sha1:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4"
#define VECTOR_FILE_SIZE 5242880
/* gtk-gnutella's largest answer to one request. */
#define GTKG_CHUNK_SIZE 524288
#define OTHER_URN "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"

/* The scripted server -------------------------------------------------------- */

/* Answers the requests of one connection, in a thread of its own with
 * blocking I/O: answer i, byte for byte, goes out once request i has
 * arrived. After the last answer it closes, or waits for the client to. */
typedef struct
{
  GSocketListener *listener;        /* accepts the one connection; NULL for GIV */
  GIOStream       *stream;          /* GIV: the uploader's end, already connected */
  guint16          port;
  GPtrArray       *answers;         /* of GBytes */
  gboolean         close_after_last;
  GPtrArray       *requests;        /* of ShoalHeaderBlock, read by the test after the end */
  GThread         *thread;
  gboolean         finished;        /* set on the main context */
} Server;

/* The next request head, or NULL when the client went away. */
static ShoalHeaderBlock *
server_read_request (GInputStream *input,
                     GByteArray   *buffer)
{
  guint8 chunk[SERVER_READ_SIZE];

  for (;;)
    {
      gsize end;
      gssize n_read;
      ShoalHeaderBlock *block;

      switch (shoal_header_block_find_end (buffer->data, buffer->len, &end, NULL))
        {
        case SHOAL_HEADER_SCAN_COMPLETE:
          block = shoal_header_block_parse (buffer->data, end, NULL);
          g_assert_nonnull (block);
          g_byte_array_remove_range (buffer, 0, (guint) end);
          return block;
        case SHOAL_HEADER_SCAN_ERROR:
          g_assert_not_reached ();
        case SHOAL_HEADER_SCAN_NEED_MORE:
          break;
        }
      n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, NULL);
      if (n_read <= 0)
        return NULL;
      g_byte_array_append (buffer, chunk, (guint) n_read);
    }
}

static void
server_wait_for_hang_up (GInputStream *input)
{
  guint8 chunk[SERVER_READ_SIZE];

  while (g_input_stream_read (input, chunk, sizeof chunk, NULL, NULL) > 0)
    ;
}

static gboolean
server_mark_finished (gpointer data)
{
  Server *server = data;

  server->finished = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
server_run (gpointer data)
{
  Server *server = data;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  GInputStream *input;
  GOutputStream *output;

  if (server->stream != NULL)
    stream = g_object_ref (server->stream);
  else
    stream = G_IO_STREAM (g_socket_listener_accept (server->listener, NULL, NULL, NULL));
  g_assert_nonnull (stream);
  input = g_io_stream_get_input_stream (stream);
  output = g_io_stream_get_output_stream (stream);
  for (guint i = 0; i < server->answers->len; i++)
    {
      ShoalHeaderBlock *request = server_read_request (input, buffer);
      GBytes *answer = g_ptr_array_index (server->answers, i);

      if (request == NULL)
        break;
      g_ptr_array_add (server->requests, request);
      /* A client that gave up early makes this fail: it is told by what
       * the client reports. */
      g_output_stream_write_all (output, g_bytes_get_data (answer, NULL),
                                 g_bytes_get_size (answer), NULL, NULL, NULL);
    }
  if (!server->close_after_last)
    server_wait_for_hang_up (input);
  g_io_stream_close (stream, NULL, NULL);
  /* Through the main context: this also wakes up the test waiting on it. */
  g_main_context_invoke (NULL, server_mark_finished, server);
  return NULL;
}

static Server *
server_new (gboolean close_after_last)
{
  Server *server = g_new0 (Server, 1);

  server->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  server->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_header_block_free);
  server->close_after_last = close_after_last;
  return server;
}

static void
server_add_answer (Server       *server,
                   const char   *head,
                   const guint8 *body,
                   gsize         body_length)
{
  GByteArray *answer = g_byte_array_new ();

  g_byte_array_append (answer, (const guint8 *) head, (guint) strlen (head));
  if (body_length > 0)
    g_byte_array_append (answer, body, (guint) body_length);
  g_ptr_array_add (server->answers, g_byte_array_free_to_bytes (answer));
}

/* Listens on 127.0.0.1 and serves the first connection. */
static void
server_start (Server *server)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  server->listener = g_socket_listener_new ();
  g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  server->thread = g_thread_new ("scripted-server", server_run, server);
}

/* Serves @stream, the connected end of a firewalled uploader. */
static void
server_start_on_stream (Server    *server,
                        GIOStream *stream)
{
  server->stream = g_object_ref (stream);
  server->thread = g_thread_new ("scripted-uploader", server_run, server);
}

/* Waits for the server to see the client hang up; the client's own
 * closing may need the main loop. */
static void
server_free (Server *server)
{
  shoal_test_wait_flag (&server->finished, WAIT_TIMEOUT_MS, "the scripted server to finish");
  g_thread_join (server->thread);
  if (server->listener != NULL)
    g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);
  g_clear_object (&server->stream);
  g_ptr_array_unref (server->answers);
  g_ptr_array_unref (server->requests);
  g_free (server);
}

static const ShoalHeaderBlock *
server_request (Server *server,
                guint   index)
{
  g_assert_cmpuint (index, <, server->requests->len);
  return g_ptr_array_index (server->requests, index);
}

/* The file being downloaded ---------------------------------------------------- */

typedef struct
{
  char *path;
  int   fd;
} TempFile;

static void
temp_file_open (TempFile *file)
{
  g_autoptr(GError) error = NULL;

  file->fd = g_file_open_tmp ("shoal-http-fetch-XXXXXX", &file->path, &error);
  g_assert_no_error (error);
}

static void
temp_file_close (TempFile *file)
{
  close (file->fd);
  g_unlink (file->path);
  g_free (file->path);
}

static GBytes *
temp_file_contents (const TempFile *file)
{
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize length;

  g_file_get_contents (file->path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

/* The byte the test file holds at @offset: no two nearby ranges alike. */
static guint8
file_byte (guint64 offset)
{
  return (guint8) ((offset * 7 + offset / 251) & 0xff);
}

static guint8 *
file_bytes (guint64 offset,
            gsize   length)
{
  guint8 *bytes = g_malloc (MAX (length, 1));

  for (gsize i = 0; i < length; i++)
    bytes[i] = file_byte (offset + i);
  return bytes;
}

static void
assert_file_holds (const TempFile *file,
                   guint64         offset,
                   gsize           length)
{
  g_autoptr(GBytes) contents = temp_file_contents (file);
  g_autofree guint8 *expected = file_bytes (offset, length);
  gsize size;
  const guint8 *data = g_bytes_get_data (contents, &size);

  g_assert_cmpuint (size, >=, offset + length);
  g_assert_cmpmem (data + offset, length, expected, length);
}

static gsize
file_size (const TempFile *file)
{
  g_autoptr(GBytes) contents = temp_file_contents (file);

  return g_bytes_get_size (contents);
}

/* Fetching ------------------------------------------------------------------------ */

typedef struct
{
  gboolean              done;
  gboolean              ok;
  GError               *error;
  ShoalHttpFetchResult  result;
  guint                 progress_calls;
  guint64               progress_start;
  guint64               progress_written;
  GCancellable         *cancel_on_progress;  /* (nullable) borrowed */
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_error (&outcome->error);
  shoal_http_fetch_result_clear (&outcome->result);
}

static void
on_progress (ShoalHttpFetch *fetch,
             guint64         start,
             guint64         written,
             guint64         expected,
             gpointer        user_data)
{
  Outcome *outcome = user_data;

  g_assert_cmpuint (written, <=, expected);
  g_assert_cmpuint (written, >, outcome->progress_written);
  outcome->progress_calls++;
  outcome->progress_start = start;
  outcome->progress_written = written;
  if (outcome->cancel_on_progress != NULL)
    g_cancellable_cancel (outcome->cancel_on_progress);
}

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = shoal_http_fetch_fetch_range_finish (SHOAL_HTTP_FETCH (source), result,
                                                     &outcome->result, &outcome->error);
  outcome->done = TRUE;
}

/* With @cancellable (may be NULL), cancelled at the first progress. */
static void
run_fetch_cancelled (ShoalHttpFetch              *fetch,
                     const ShoalHttpFetchRequest *request,
                     const TempFile              *file,
                     GCancellable                *cancellable,
                     Outcome                     *outcome)
{
  memset (outcome, 0, sizeof *outcome);
  outcome->cancel_on_progress = cancellable;
  shoal_http_fetch_fetch_range_async (fetch, request, file->fd, cancellable,
                                      on_progress, outcome, on_fetched, outcome);
  g_assert_false (shoal_http_fetch_get_reusable (fetch));
  shoal_test_wait_flag (&outcome->done, WAIT_TIMEOUT_MS, "the fetch to end");
}

static void
run_fetch (ShoalHttpFetch              *fetch,
           const ShoalHttpFetchRequest *request,
           const TempFile              *file,
           Outcome                     *outcome)
{
  run_fetch_cancelled (fetch, request, file, NULL, outcome);
}

static ShoalHttpFetch *
fetch_from (const Server *server)
{
  ShoalIpv4Endpoint source = { .address = 0x7f000001, .port = server->port };

  return shoal_http_fetch_new_for_endpoint (&source);
}

static void
vector_sha1 (guint8 sha1[SHOAL_SHA1_SIZE])
{
  g_autoptr(GError) error = NULL;

  shoal_urn_parse_sha1 (VECTOR_URN, strlen (VECTOR_URN), sha1, &error);
  g_assert_no_error (error);
}

static ShoalHttpFetchRequest
range_request (const guint8 *sha1,
               guint64       start,
               guint64       end)
{
  ShoalHttpFetchRequest request = {
    .sha1 = sha1,
    .start = start,
    .end = end,
  };

  return request;
}

static void
assert_endpoint (GArray     *endpoints,
                 guint       index,
                 const char *expected)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_assert_cmpuint (index, <, endpoints->len);
  g_assert_cmpstr (shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, index),
                                               TRUE, text), ==, expected);
}

/* Answers with a body of the test file's bytes. */
static void
add_partial_answer (Server     *server,
                    const char *extra_headers,
                    guint64     first,
                    guint64     last,
                    guint64     total,
                    gsize       sent)
{
  g_autofree char *head =
    g_strdup_printf ("HTTP/1.1 206 Partial Content\r\n"
                     "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                     "/%" G_GUINT64_FORMAT "\r\n"
                     "Content-Length: %" G_GUINT64_FORMAT "\r\n"
                     "%s\r\n",
                     first, last, total, last - first + 1, extra_headers);
  g_autofree guint8 *body = file_bytes (first, sent);

  server_add_answer (server, head, body, sent);
}

/* The tests ------------------------------------------------------------------------- */

/* Starts a fetch of @request without waiting for it. */
static void
begin_fetch (ShoalHttpFetch              *fetch,
             const ShoalHttpFetchRequest *request,
             const TempFile              *file,
             GCancellable                *cancellable,
             Outcome                     *outcome)
{
  memset (outcome, 0, sizeof *outcome);
  shoal_http_fetch_fetch_range_async (fetch, request, file->fd, cancellable,
                                      on_progress, outcome, on_fetched, outcome);
}

static gboolean
count_tick (gpointer data)
{
  guint *ticks = data;

  (*ticks)++;
  return G_SOURCE_CONTINUE;
}

static gint64
elapsed_ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
}

/* Two ranges on one connection (the server accepts only one), each at
 * its offset; what the requests say and what the first answer tells. */
static void
test_keep_alive (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalIpv4Endpoint known = { .address = 0xc0a80105, .port = 6346 };
  ShoalHttpFetchRequest request;
  Outcome first, second;
  const ShoalHeaderBlock *sent;
  g_autofree char *host = NULL;

  vector_sha1 (sha1);
  add_partial_answer (server,
                      "Server: TestServent/1.0\r\n"
                      "X-Gnutella-Content-URN: " VECTOR_URN "\r\n"
                      "X-Alt: tls=c0, 10.0.0.1:6347, 10.0.0.2, [2001:db8::1]:6346, 10.0.0.1:6347\r\n"
                      "X-Gnutella-Alternate-Location: http://10.0.0.3:6348/uri-res/N2R?"
                      VECTOR_URN " 2024-04-01T12:00:00Z\r\n",
                      1000, 1099, 5000, 100);
  add_partial_answer (server, "", 0, 99, 5000, 100);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));

  request = range_request (sha1, 1000, 1099);
  request.file_size = 5000;
  request.alt_locations = &known;
  request.n_alt_locations = 1;
  run_fetch (fetch, &request, &file, &first);
  g_assert_no_error (first.error);
  g_assert_true (first.ok);
  g_assert_cmpuint (first.result.status, ==, 206);
  g_assert_cmpuint (first.result.written_start, ==, 1000);
  g_assert_cmpuint (first.result.written_length, ==, 100);
  g_assert_cmpuint (first.result.file_size, ==, 5000);
  g_assert_cmpstr (first.result.server, ==, "TestServent/1.0");
  g_assert_true (first.result.has_content_sha1);
  g_assert_cmpmem (first.result.content_sha1, SHOAL_SHA1_SIZE, sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpuint (first.result.alt_locations->len, ==, 3);
  assert_endpoint (first.result.alt_locations, 0, "10.0.0.1:6347");
  assert_endpoint (first.result.alt_locations, 1, "10.0.0.2:6346");
  assert_endpoint (first.result.alt_locations, 2, "10.0.0.3:6348");
  g_assert_true (first.result.keep_alive);
  g_assert_cmpuint (first.progress_calls, >=, 1);
  g_assert_cmpuint (first.progress_start, ==, 1000);
  g_assert_cmpuint (first.progress_written, ==, 100);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));

  request = range_request (sha1, 0, 99);
  run_fetch (fetch, &request, &file, &second);
  g_assert_no_error (second.error);
  g_assert_cmpuint (second.result.written_start, ==, 0);
  g_assert_cmpuint (second.result.written_length, ==, 100);
  g_assert_cmpuint (second.result.alt_locations->len, ==, 0);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));

  assert_file_holds (&file, 0, 100);
  assert_file_holds (&file, 1000, 100);
  g_assert_cmpuint (file_size (&file), ==, 1100);

  g_clear_object (&fetch);
  g_assert_cmpuint (server->requests->len, ==, 2);
  sent = server_request (server, 0);
  g_assert_cmpstr (sent->method, ==, "GET");
  g_assert_cmpstr (sent->target, ==, "/uri-res/N2R?" VECTOR_URN);
  g_assert_cmpuint (sent->version.major, ==, 1);
  g_assert_cmpuint (sent->version.minor, ==, 1);
  host = g_strdup_printf ("127.0.0.1:%u", server->port);
  g_assert_cmpstr (shoal_header_block_get (sent, "Host"), ==, host);
  g_assert_true (g_str_has_prefix (shoal_header_block_get (sent, "User-Agent"), "Shoal/"));
  g_assert_cmpstr (shoal_header_block_get (sent, "Range"), ==, "bytes=1000-1099");
  g_assert_cmpstr (shoal_header_block_get (sent, "Connection"), ==, "Keep-Alive");
  g_assert_cmpstr (shoal_header_block_get (sent, "X-Alt"), ==, "192.168.1.5:6346");
  sent = server_request (server, 1);
  g_assert_cmpstr (shoal_header_block_get (sent, "Range"), ==, "bytes=0-99");
  g_assert_null (shoal_header_block_get (sent, "X-Alt"));

  outcome_clear (&first);
  outcome_clear (&second);
  temp_file_close (&file);
  server_free (server);
}

/* gtk-gnutella's captured answer to a 5 MiB range: 512 KiB, then
 * Connection: close. */
static void
test_gtk_gnutella_short_answer (void)
{
  g_autoptr(GPtrArray) transcript =
    shoal_test_load_transcript ("http_download_headers_full_range.txt");
  const ShoalTestTranscriptSection *answer = g_ptr_array_index (transcript, 1);
  g_autofree char *head = g_strndup (g_bytes_get_data (answer->bytes, NULL),
                                     g_bytes_get_size (answer->bytes));
  g_autofree guint8 *body = file_bytes (0, GTKG_CHUNK_SIZE);
  Server *server = server_new (TRUE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome, again;

  g_assert_cmpstr (answer->direction, ==, "server -> client");
  vector_sha1 (sha1);
  server_add_answer (server, head, body, GTKG_CHUNK_SIZE);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);

  request = range_request (sha1, 0, VECTOR_FILE_SIZE - 1);
  request.file_size = VECTOR_FILE_SIZE;
  run_fetch (fetch, &request, &file, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_cmpuint (outcome.result.status, ==, 206);
  g_assert_cmpuint (outcome.result.written_start, ==, 0);
  g_assert_cmpuint (outcome.result.written_length, ==, GTKG_CHUNK_SIZE);
  g_assert_cmpuint (outcome.result.file_size, ==, VECTOR_FILE_SIZE);
  g_assert_true (g_str_has_prefix (outcome.result.server, "gtk-gnutella/1.2.3"));
  g_assert_true (outcome.result.has_content_sha1);
  g_assert_false (outcome.result.keep_alive);
  g_assert_cmpuint (outcome.progress_written, ==, GTKG_CHUNK_SIZE);
  g_assert_false (shoal_http_fetch_get_reusable (fetch));
  assert_file_holds (&file, 0, GTKG_CHUNK_SIZE);
  g_assert_cmpuint (file_size (&file), ==, GTKG_CHUNK_SIZE);

  /* The connection is gone: nothing more goes through this object. */
  request = range_request (sha1, GTKG_CHUNK_SIZE, VECTOR_FILE_SIZE - 1);
  run_fetch (fetch, &request, &file, &again);
  g_assert_error (again.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_CLOSED);

  g_clear_object (&fetch);
  g_assert_cmpstr (shoal_header_block_get (server_request (server, 0), "Range"), ==,
                   "bytes=0-5242879");
  outcome_clear (&outcome);
  outcome_clear (&again);
  temp_file_close (&file);
  server_free (server);
}

static void
on_closed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_http_fetch_close_finish (SHOAL_HTTP_FETCH (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* A legacy /get/ request for a middle range, answered with the whole
 * file: written from offset 0, its SHA-1 learnt. Then we hang up. */
static void
test_whole_file_ignoring_range (void)
{
  Server *server = server_new (FALSE);
  g_autofree guint8 *body = file_bytes (0, 300);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request = {
    .file_index = 42,
    .file_name = "My Song.mp3",
    .start = 100,
    .end = 199,
  };
  Outcome outcome;
  gboolean closed = FALSE;

  vector_sha1 (sha1);
  server_add_answer (server, "HTTP/1.1 200 OK\r\n"
                     "Content-Length: 300\r\n"
                     "X-Gnutella-Content-URN: " VECTOR_URN "\r\n"
                     "\r\n", body, 300);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);

  run_fetch (fetch, &request, &file, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.result.status, ==, 200);
  g_assert_cmpuint (outcome.result.written_start, ==, 0);
  g_assert_cmpuint (outcome.result.written_length, ==, 300);
  g_assert_cmpuint (outcome.result.file_size, ==, 300);
  g_assert_true (outcome.result.has_content_sha1);
  g_assert_cmpmem (outcome.result.content_sha1, SHOAL_SHA1_SIZE, sha1, SHOAL_SHA1_SIZE);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));
  assert_file_holds (&file, 0, 300);

  shoal_http_fetch_close_async (fetch, NULL, on_closed, &closed);
  shoal_test_wait_flag (&closed, WAIT_TIMEOUT_MS, "the connection to close");
  g_assert_false (shoal_http_fetch_get_reusable (fetch));

  g_clear_object (&fetch);
  g_assert_cmpstr (server_request (server, 0)->target, ==, "/get/42/My%20Song.mp3");
  g_assert_cmpstr (shoal_header_block_get (server_request (server, 0), "Range"), ==,
                   "bytes=100-199");
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

/* 503 with Retry-After and PARQ headers: busy, and the connection carries
 * the next request once the page is read. */
static void
test_busy (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome busy, later;

  vector_sha1 (sha1);
  server_add_answer (server, "HTTP/1.1 503 Queued\r\n"
                     "Retry-After: 30\r\n"
                     "X-Queue: 1.1\r\n"
                     "X-Queued: ID=0123abcd; position=3; length=10; ETA=60; lifetime=300\r\n"
                     "Content-Length: 5\r\n"
                     "\r\nbusy!", NULL, 0);
  add_partial_answer (server, "", 0, 9, 5000, 10);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);

  request = range_request (sha1, 0, 9);
  run_fetch (fetch, &request, &file, &busy);
  g_assert_error (busy.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_BUSY);
  g_assert_nonnull (strstr (busy.error->message, "retry after 30 s"));
  g_assert_cmpuint (busy.result.status, ==, 503);
  g_assert_cmpuint (busy.result.retry_after_s, ==, 30);
  g_assert_cmpuint (busy.result.queue_position, ==, 3);
  g_assert_cmpuint (busy.result.written_length, ==, 0);
  g_assert_cmpuint (busy.progress_calls, ==, 0);
  g_assert_true (busy.result.keep_alive);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));
  g_assert_cmpuint (file_size (&file), ==, 0);

  run_fetch (fetch, &request, &file, &later);
  g_assert_no_error (later.error);
  g_assert_cmpuint (later.result.written_length, ==, 10);
  assert_file_holds (&file, 0, 10);

  g_clear_object (&fetch);
  outcome_clear (&busy);
  outcome_clear (&later);
  temp_file_close (&file);
  server_free (server);
}

/* Runs one request for bytes 0–99 of the vector's file against one
 * scripted answer; the server closes after it. */
static void
fetch_once (const char   *head,
            const guint8 *body,
            gsize         body_length,
            guint         idle_timeout_ms,
            Outcome      *outcome,
            TempFile     *file,
            gboolean     *reusable)
{
  Server *server = server_new (TRUE);
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;

  vector_sha1 (sha1);
  server_add_answer (server, head, body, body_length);
  server_start (server);
  fetch = fetch_from (server);
  if (idle_timeout_ms > 0)
    g_object_set (fetch, "idle-timeout", idle_timeout_ms, NULL);
  request = range_request (sha1, 0, 99);
  run_fetch (fetch, &request, file, outcome);
  *reusable = shoal_http_fetch_get_reusable (fetch);
  g_clear_object (&fetch);
  server_free (server);
}

static void
test_not_found (void)
{
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot Found", NULL, 0, 0,
              &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_NOT_FOUND);
  g_assert_cmpuint (outcome.result.status, ==, 404);
  g_assert_cmpstr (outcome.result.reason, ==, "Not Found");
  g_assert_true (reusable);
  g_assert_cmpuint (file_size (&file), ==, 0);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

static void
test_range_not_satisfiable (void)
{
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 416 Requested range not satisfiable\r\n"
              "Content-Range: bytes */5000\r\n"
              "Content-Length: 0\r\n"
              "\r\n", NULL, 0, 0, &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_RANGE);
  g_assert_cmpuint (outcome.result.status, ==, 416);
  g_assert_cmpuint (outcome.result.file_size, ==, 5000);
  g_assert_true (reusable);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* A 206 for bytes we did not ask for is refused before anything is
 * written. */
static void
test_other_range (void)
{
  g_autofree guint8 *body = file_bytes (50, 50);
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 206 Partial Content\r\n"
              "Content-Range: bytes 50-99/5000\r\n"
              "Content-Length: 50\r\n"
              "\r\n", body, 50, 0, &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_RANGE);
  g_assert_cmpuint (outcome.result.written_length, ==, 0);
  g_assert_false (reusable);
  g_assert_cmpuint (file_size (&file), ==, 0);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* A source naming another SHA-1 does not get a byte into the file. */
static void
test_wrong_file (void)
{
  g_autofree guint8 *body = file_bytes (0, 100);
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 206 Partial Content\r\n"
              "Content-Range: bytes 0-99/5000\r\n"
              "Content-Length: 100\r\n"
              "X-Gnutella-Content-URN: " OTHER_URN "\r\n"
              "\r\n", body, 100, 0, &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_WRONG_FILE);
  g_assert_true (outcome.result.has_content_sha1);
  g_assert_cmpuint (outcome.result.written_length, ==, 0);
  g_assert_cmpuint (outcome.progress_calls, ==, 0);
  g_assert_false (reusable);
  g_assert_cmpuint (file_size (&file), ==, 0);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* Content-Length promises 100 bytes, 40 arrive, the server hangs up: an
 * error that still reports the 40 written. */
static void
test_body_cut_short (void)
{
  g_autofree guint8 *body = file_bytes (0, 40);
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 206 Partial Content\r\n"
              "Content-Range: bytes 0-99/5000\r\n"
              "Content-Length: 100\r\n"
              "\r\n", body, 40, 0, &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_CLOSED);
  g_assert_cmpuint (outcome.result.written_start, ==, 0);
  g_assert_cmpuint (outcome.result.written_length, ==, 40);
  g_assert_false (reusable);
  g_assert_cmpuint (file_size (&file), ==, 40);
  assert_file_holds (&file, 0, 40);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* The server sends the head and 10 bytes, then nothing: the idle timer
 * ends the fetch. */
static void
test_stall (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome;
  gint64 started;
  gint64 elapsed_ms;

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, 99, 5000, 10);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);
  g_object_set (fetch, "idle-timeout", STALL_IDLE_TIMEOUT_MS, NULL);

  request = range_request (sha1, 0, 99);
  started = g_get_monotonic_time ();
  run_fetch (fetch, &request, &file, &outcome);
  elapsed_ms = (g_get_monotonic_time () - started) / G_TIME_SPAN_MILLISECOND;
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed_ms, >=, STALL_IDLE_TIMEOUT_MS);
  g_assert_cmpint (elapsed_ms, <, WAIT_TIMEOUT_MS);
  g_assert_cmpuint (outcome.result.written_length, ==, 10);
  g_assert_false (shoal_http_fetch_get_reusable (fetch));
  assert_file_holds (&file, 0, 10);

  g_clear_object (&fetch);
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

/* The caller cancels once the first bytes are in: the fetch ends at once,
 * reporting them, and the connection goes. */
static void
test_cancel (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome;

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, 99, 5000, 10);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);

  request = range_request (sha1, 0, 99);
  run_fetch_cancelled (fetch, &request, &file, cancellable, &outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (outcome.result.written_length, ==, 10);
  g_assert_false (shoal_http_fetch_get_reusable (fetch));

  g_clear_object (&fetch);
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

/* A server sending more than its Content-Length: the surplus never
 * reaches the file. */
static void
test_surplus_body (void)
{
  g_autofree guint8 *body = file_bytes (0, 30);
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 206 Partial Content\r\n"
              "Content-Range: bytes 0-9/5000\r\n"
              "Content-Length: 10\r\n"
              "\r\n", body, 30, 0, &outcome, &file, &reusable);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.result.written_length, ==, 10);
  g_assert_cmpuint (file_size (&file), ==, 10);
  assert_file_holds (&file, 0, 10);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* A head over 16 KiB is refused before it ends. */
static void
test_huge_head (void)
{
  g_autoptr(GString) head = g_string_new ("HTTP/1.1 200 OK\r\n");
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  while (head->len <= SHOAL_HTTP_FETCH_MAX_HEAD_SIZE)
    {
      g_string_append (head, "X-Padding: ");
      for (guint i = 0; i < 1000; i++)
        g_string_append_c (head, 'a');
      g_string_append (head, "\r\n");
    }
  g_string_append (head, "Content-Length: 0\r\n\r\n");
  temp_file_open (&file);
  fetch_once (head->str, NULL, 0, 0, &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_PROTOCOL);
  g_assert_false (reusable);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

static void
test_chunked_body (void)
{
  TempFile file;
  Outcome outcome;
  gboolean reusable;

  temp_file_open (&file);
  fetch_once ("HTTP/1.1 200 OK\r\n"
              "Transfer-Encoding: chunked\r\n"
              "\r\n"
              "5\r\nhello\r\n0\r\n\r\n", NULL, 0, 0, &outcome, &file, &reusable);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (outcome.error->message, "chunked"));
  g_assert_false (reusable);
  g_assert_cmpuint (file_size (&file), ==, 0);
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* A port nobody listens on. */
static void
test_unreachable (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  ShoalIpv4Endpoint source = { .address = 0x7f000001 };
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  TempFile file;
  Outcome outcome;

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  source.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_listener_close (listener);

  vector_sha1 (sha1);
  temp_file_open (&file);
  fetch = shoal_http_fetch_new_for_endpoint (&source);
  request = range_request (sha1, 0, 99);
  run_fetch (fetch, &request, &file, &outcome);
  g_assert_error (outcome.error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_CONNECT);
  g_assert_cmpuint (outcome.result.status, ==, 0);
  g_assert_false (shoal_http_fetch_get_reusable (fetch));
  outcome_clear (&outcome);
  temp_file_close (&file);
}

/* A firewalled uploader connected to us (its GIV line already read): the
 * accepted end is handed over, the requests go out on it. */
static void
test_giv_stream (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) uploader_address = NULL;
  g_autoptr(GSocketConnection) uploader = NULL;
  g_autoptr(GSocketConnection) accepted = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  g_autofree char *host = NULL;
  Server *server = server_new (FALSE);
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  TempFile file;
  Outcome first, second;

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  /* Loopback completes the connection in the kernel's backlog: both
   * calls return at once. */
  uploader = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (bound), NULL, &error);
  g_assert_no_error (error);
  accepted = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
  uploader_address = g_socket_connection_get_local_address (uploader, &error);
  g_assert_no_error (error);

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, 99, 5000, 100);
  add_partial_answer (server, "", 100, 199, 5000, 100);
  server_start_on_stream (server, G_IO_STREAM (uploader));
  temp_file_open (&file);
  fetch = shoal_http_fetch_new_for_stream (G_IO_STREAM (accepted), NULL);
  g_clear_object (&accepted);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));

  request = range_request (sha1, 0, 99);
  run_fetch (fetch, &request, &file, &first);
  g_assert_no_error (first.error);
  request = range_request (sha1, 100, 199);
  run_fetch (fetch, &request, &file, &second);
  g_assert_no_error (second.error);
  g_assert_cmpuint (second.result.written_start, ==, 100);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));
  assert_file_holds (&file, 0, 200);

  g_clear_object (&fetch);
  host = g_strdup_printf ("127.0.0.1:%u",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (uploader_address)));
  g_assert_cmpstr (shoal_header_block_get (server_request (server, 0), "Host"), ==, host);
  g_assert_cmpstr (shoal_header_block_get (server_request (server, 1), "Range"), ==,
                   "bytes=100-199");
  outcome_clear (&first);
  outcome_clear (&second);
  temp_file_close (&file);
  server_free (server);
  g_socket_listener_close (listener);
}

/* 256 KiB at 512 kbit/s takes its time, with the main loop running all
 * along, and arrives whole. */
static void
test_rate_limited (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  g_autoptr(ShoalRateLimit) limit =
    shoal_rate_limit_new (shoal_rate_limit_bytes_for_kbps (CAPPED_KBPS));
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome;
  guint ticks = 0;
  guint tick_source;
  gint64 started;
  gint64 elapsed_ms;

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, CAPPED_SIZE - 1, CAPPED_SIZE, CAPPED_SIZE);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);
  shoal_http_fetch_set_rate_limit (fetch, limit);

  request = range_request (sha1, 0, CAPPED_SIZE - 1);
  tick_source = g_timeout_add (TICK_MS, count_tick, &ticks);
  started = g_get_monotonic_time ();
  run_fetch (fetch, &request, &file, &outcome);
  elapsed_ms = elapsed_ms_since (started);
  g_source_remove (tick_source);
  g_test_message ("%d KiB at %d kbit/s: %" G_GINT64_FORMAT " ms, %u ticks, %u writes",
                  CAPPED_SIZE / 1024, CAPPED_KBPS, elapsed_ms, ticks, outcome.progress_calls);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.result.written_length, ==, CAPPED_SIZE);
  g_assert_cmpint (elapsed_ms, >=, CAPPED_MIN_MS);
  g_assert_cmpuint (ticks, >=, MIN_TICKS);
  g_assert_true (shoal_http_fetch_get_reusable (fetch));
  assert_file_holds (&file, 0, CAPPED_SIZE);

  g_clear_object (&fetch);
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

/* Two fetches sharing one limit keep to it together: half the bytes each
 * take as long as the whole did alone. */
static void
test_rate_limit_shared (void)
{
  g_autoptr(ShoalRateLimit) limit =
    shoal_rate_limit_new (shoal_rate_limit_bytes_for_kbps (CAPPED_KBPS));
  Server *servers[2];
  ShoalHttpFetch *fetches[2];
  TempFile files[2];
  Outcome outcomes[2];
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  gint64 started;
  gint64 elapsed_ms;

  vector_sha1 (sha1);
  request = range_request (sha1, 0, CAPPED_SIZE / 2 - 1);
  started = g_get_monotonic_time ();
  for (guint i = 0; i < 2; i++)
    {
      servers[i] = server_new (FALSE);
      add_partial_answer (servers[i], "", 0, CAPPED_SIZE / 2 - 1, CAPPED_SIZE, CAPPED_SIZE / 2);
      server_start (servers[i]);
      temp_file_open (&files[i]);
      fetches[i] = fetch_from (servers[i]);
      shoal_http_fetch_set_rate_limit (fetches[i], limit);
      begin_fetch (fetches[i], &request, &files[i], NULL, &outcomes[i]);
    }
  for (guint i = 0; i < 2; i++)
    shoal_test_wait_flag (&outcomes[i].done, WAIT_TIMEOUT_MS, "a shared-limit fetch to end");
  elapsed_ms = elapsed_ms_since (started);
  g_test_message ("2 fetches of %d KiB at %d kbit/s in all: %" G_GINT64_FORMAT " ms",
                  CAPPED_SIZE / 2 / 1024, CAPPED_KBPS, elapsed_ms);
  g_assert_cmpint (elapsed_ms, >=, CAPPED_MIN_MS);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_no_error (outcomes[i].error);
      g_assert_cmpuint (outcomes[i].result.written_length, ==, CAPPED_SIZE / 2);
      assert_file_holds (&files[i], 0, CAPPED_SIZE / 2);
      g_object_unref (fetches[i]);
      outcome_clear (&outcomes[i]);
      temp_file_close (&files[i]);
      server_free (servers[i]);
    }
}

static void
lift_limit (ShoalHttpFetch *fetch,
            guint64         start,
            guint64         written,
            guint64         expected,
            gpointer        user_data)
{
  shoal_rate_limit_set_rate (user_data, 0);
}

/* A crawling cap lifted once the first bytes are in: the rest comes at
 * once (at 1 kbit/s it would take half an hour). */
static void
test_rate_limit_lifted (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  g_autoptr(ShoalRateLimit) limit = shoal_rate_limit_new (CRAWL_BYTES_PER_S);
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome = { 0 };

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, CAPPED_SIZE - 1, CAPPED_SIZE, CAPPED_SIZE);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);
  shoal_http_fetch_set_rate_limit (fetch, limit);

  request = range_request (sha1, 0, CAPPED_SIZE - 1);
  shoal_http_fetch_fetch_range_async (fetch, &request, file.fd, NULL, lift_limit, limit,
                                      on_fetched, &outcome);
  shoal_test_wait_flag (&outcome.done, WAIT_TIMEOUT_MS, "the fetch to end once the cap is lifted");
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.result.written_length, ==, CAPPED_SIZE);
  assert_file_holds (&file, 0, CAPPED_SIZE);

  g_clear_object (&fetch);
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

static gboolean
has_progress (gpointer data)
{
  Outcome *outcome = data;

  return outcome->progress_calls > 0;
}

static gboolean
cancel_soon (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* A fetch waiting half a minute for tokens ends as soon as it is
 * cancelled, with what it had. */
static void
test_rate_limit_cancel_while_waiting (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  g_autoptr(ShoalRateLimit) limit = shoal_rate_limit_new (CRAWL_BYTES_PER_S);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome;

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, CAPPED_SIZE - 1, CAPPED_SIZE, CAPPED_SIZE);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);
  shoal_http_fetch_set_rate_limit (fetch, limit);

  request = range_request (sha1, 0, CAPPED_SIZE - 1);
  begin_fetch (fetch, &request, &file, cancellable, &outcome);
  shoal_test_wait_until (has_progress, &outcome, WAIT_TIMEOUT_MS, "the first capped bytes");
  /* Past the first burst, the next tokens are half a minute away. */
  g_timeout_add (TICK_MS, cancel_soon, cancellable);
  shoal_test_wait_flag (&outcome.done, WAIT_TIMEOUT_MS, "the cancelled fetch to end");
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (outcome.result.written_length, >, 0);
  g_assert_cmpuint (outcome.result.written_length, <=, SHOAL_RATE_LIMIT_MIN_BURST);
  g_assert_false (shoal_http_fetch_get_reusable (fetch));

  g_clear_object (&fetch);
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

/* Waiting for tokens longer than the idle timeout is not the source
 * falling silent. */
static void
test_rate_limit_slower_than_idle_timeout (void)
{
  Server *server = server_new (FALSE);
  TempFile file;
  g_autoptr(ShoalHttpFetch) fetch = NULL;
  g_autoptr(ShoalRateLimit) limit = shoal_rate_limit_new (SLOW_BYTES_PER_S);
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalHttpFetchRequest request;
  Outcome outcome;
  gint64 started;
  gint64 elapsed_ms;

  vector_sha1 (sha1);
  add_partial_answer (server, "", 0, SLOW_SIZE - 1, SLOW_SIZE, SLOW_SIZE);
  server_start (server);
  temp_file_open (&file);
  fetch = fetch_from (server);
  g_object_set (fetch, "idle-timeout", STALL_IDLE_TIMEOUT_MS, NULL);
  shoal_http_fetch_set_rate_limit (fetch, limit);

  request = range_request (sha1, 0, SLOW_SIZE - 1);
  started = g_get_monotonic_time ();
  run_fetch (fetch, &request, &file, &outcome);
  elapsed_ms = elapsed_ms_since (started);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.result.written_length, ==, SLOW_SIZE);
  /* At least one wait for tokens outlasted the idle timeout. */
  g_assert_cmpint (elapsed_ms, >=, 2 * STALL_IDLE_TIMEOUT_MS);
  assert_file_holds (&file, 0, SLOW_SIZE);

  g_clear_object (&fetch);
  outcome_clear (&outcome);
  temp_file_close (&file);
  server_free (server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http-fetch/keep-alive", test_keep_alive);
  g_test_add_func ("/http-fetch/gtk-gnutella-short-answer", test_gtk_gnutella_short_answer);
  g_test_add_func ("/http-fetch/whole-file-ignoring-range", test_whole_file_ignoring_range);
  g_test_add_func ("/http-fetch/busy", test_busy);
  g_test_add_func ("/http-fetch/not-found", test_not_found);
  g_test_add_func ("/http-fetch/range-not-satisfiable", test_range_not_satisfiable);
  g_test_add_func ("/http-fetch/other-range", test_other_range);
  g_test_add_func ("/http-fetch/wrong-file", test_wrong_file);
  g_test_add_func ("/http-fetch/body-cut-short", test_body_cut_short);
  g_test_add_func ("/http-fetch/stall", test_stall);
  g_test_add_func ("/http-fetch/cancel", test_cancel);
  g_test_add_func ("/http-fetch/surplus-body", test_surplus_body);
  g_test_add_func ("/http-fetch/huge-head", test_huge_head);
  g_test_add_func ("/http-fetch/chunked-body", test_chunked_body);
  g_test_add_func ("/http-fetch/unreachable", test_unreachable);
  g_test_add_func ("/http-fetch/giv-stream", test_giv_stream);
  g_test_add_func ("/http-fetch/rate-limited", test_rate_limited);
  g_test_add_func ("/http-fetch/rate-limit-shared", test_rate_limit_shared);
  g_test_add_func ("/http-fetch/rate-limit-lifted", test_rate_limit_lifted);
  g_test_add_func ("/http-fetch/rate-limit-cancel-while-waiting",
                   test_rate_limit_cancel_while_waiting);
  g_test_add_func ("/http-fetch/rate-limit-slower-than-idle-timeout",
                   test_rate_limit_slower_than_idle_timeout);

  return g_test_run ();
}
