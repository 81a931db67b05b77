/* test-upload-server.c — the upload server behind a real listener on
 * loopback, driven by raw HTTP clients: files by hash and by index, HEAD,
 * ranges, keep-alive, gtk-gnutella's headers, slots, alternate sources,
 * browse host, the upload cap (its pace, slots under it, a stop while
 * bodies wait for tokens, lifting it), and hostile requests that must get
 * an error or a closed socket and never a byte from outside the library. */
#define _GNU_SOURCE  /* nftw() */
#include "shoal-library-db.h"
#include "shoal-library.h"
#include "shoal-listener.h"
#include "shoal-message.h"
#include "shoal-net-types.h"
#include "shoal-test-loop.h"
#include "shoal-test-vectors.h"
#include "shoal-upload-server.h"
#include "shoal-urn.h"

#include <fcntl.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define TEST_TIMEOUT_MS 30000
#define POLL_INTERVAL_MS 5
#define CLIENT_TIMEOUT_SECONDS 15
#define READ_CHUNK 65536
#define BIG_FILE_SIZE (8 * 1024 * 1024)
#define SMALL_FILE_SIZE 1000
#define HUGE_HEADER_SIZE (100 * 1024)
#define MANY_CONNECTIONS 1000
/* Fewer than the listener's SHOAL_LISTENER_DEFAULT_MAX_PENDING: the
 * listener's own flood rule is tested with the listener. */
#define MANY_SILENT_CONNECTIONS 200
#define FLOOD_SETTLE_MS 300
#define FLOOD_PACE_US 1000
/* A request line cut short: handed over by the listener, never ended. */
#define PARTIAL_REQUEST "GET /uri-res/N2R?urn:sha1:"
#define SLOW_READERS 5
#define ALT_LOCATIONS_ADDED 12
#define SECRET "TOP SECRET, outside the shared folder"
#define PASSWD_MARK "root:x:0:0"
#define HTML_NAME "<script>alert('x')&\".txt"
#define UNSHARED_URN "urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
/* 256 KiB at 512 kbit/s (64000 B/s): 4.1 s, 3.85 s after the first
 * quarter second's burst; only a lower bound is checked. */
#define CAPPED_KBPS 512
#define CAPPED_SIZE (256 * 1024)
#define CAPPED_MIN_MS 3500
/* So slow that a body always waits for tokens after its first burst. */
#define CRAWL_KBPS 8
/* Long enough for a crawling body to be waiting for tokens. */
#define PAUSE_SETTLE_MS 200

/* Every file written into the share, and what the index made of it. */
typedef struct
{
  const char       *relpath;
  GBytes           *contents;
  ShoalLibraryFile *indexed;   /* NULL when the scanner left it out */
} SharedFile;

enum
{
  FILE_SMALL,
  FILE_BIG,
  FILE_NESTED,
  FILE_HTML_NAME,
  FILE_VICTIM,
  FILE_CHANGED,
  FILE_SWAPPED,
  FILE_COPY_A,
  FILE_COPY_B,
  FILE_ALIAS,
  FILE_ESCAPE_LINK,
  N_FILES
};

static struct
{
  char              *dir;
  char              *root;
  char              *outside;
  char              *data_dir;
  SharedFile         files[N_FILES];
  ShoalListener     *listener;
  ShoalUploadServer *server;
  guint16            port;
} fixture = {
  .files = {
    [FILE_SMALL] = { "small.txt", NULL, NULL },
    [FILE_BIG] = { "big.bin", NULL, NULL },
    [FILE_NESTED] = { "folder/nested file.txt", NULL, NULL },
    [FILE_HTML_NAME] = { HTML_NAME, NULL, NULL },
    [FILE_VICTIM] = { "victim.txt", NULL, NULL },
    [FILE_CHANGED] = { "changed.txt", NULL, NULL },
    [FILE_SWAPPED] = { "swapdir/inner.txt", NULL, NULL },
    [FILE_COPY_A] = { "copy-a.txt", NULL, NULL },
    [FILE_COPY_B] = { "copy-b.txt", NULL, NULL },
    [FILE_ALIAS] = { "linked/inside.txt", NULL, NULL },
    [FILE_ESCAPE_LINK] = { "escape-link.txt", NULL, NULL },
  },
};

static const ShoalLibraryFile *
indexed (guint which)
{
  g_assert_nonnull (fixture.files[which].indexed);
  return fixture.files[which].indexed;
}

static char *
urn_of (guint which)
{
  return shoal_urn_format_sha1 (indexed (which)->sha1);
}

/* Waiting on the server ------------------------------------------------------ */

static ShoalUploadStats
get_stats (void)
{
  ShoalUploadStats stats;

  shoal_upload_server_get_stats (fixture.server, &stats);
  return stats;
}

static gboolean
server_is_quiet (gpointer data)
{
  ShoalUploadStats stats = get_stats ();

  return stats.connections == 0 && stats.uploads == 0;
}

/* Connections closed by a client close on the server's thread a moment
 * later; slots are counted per connection, so tests wait for that. */
static void
wait_server_quiet (void)
{
  shoal_test_poll_until (server_is_quiet, NULL, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the server to close its connections");
}

typedef struct
{
  guint count;
} CountWait;

static gboolean
connections_at_most (gpointer data)
{
  return get_stats ().connections <= ((CountWait *) data)->count;
}

static void
wait_connections_at_most (guint count)
{
  CountWait wait = { count };

  shoal_test_poll_until (connections_at_most, &wait, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the server to close a connection");
}

static gboolean
uploads_are (gpointer data)
{
  return get_stats ().uploads == ((CountWait *) data)->count;
}

static void
wait_uploads (guint count)
{
  CountWait wait = { count };

  shoal_test_poll_until (uploads_are, &wait, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "a number of upload slots held");
}

typedef struct
{
  guint64 bytes;
} BytesWait;

static gboolean
bytes_served_reached (gpointer data)
{
  return get_stats ().bytes_served >= ((BytesWait *) data)->bytes;
}

static void
wait_bytes_served (guint64 bytes)
{
  BytesWait wait = { bytes };

  shoal_test_poll_until (bytes_served_reached, &wait, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "bytes served to be counted");
  g_assert_cmpuint (get_stats ().bytes_served, ==, bytes);
}

/* Clients, on a worker thread while the main loop runs the listener ------- */

typedef gpointer (*ClientFunc) (gpointer data);

typedef struct
{
  ClientFunc func;
  gpointer   data;
  gpointer   result;
  gint       done;
} ClientJob;

static gpointer
client_job_main (gpointer data)
{
  ClientJob *job = data;

  job->result = job->func (job->data);
  g_atomic_int_set (&job->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
client_job_done (gpointer data)
{
  return g_atomic_int_get (&((ClientJob *) data)->done);
}

static gpointer
run_client (ClientFunc func,
            gpointer   data)
{
  ClientJob job = { func, data, NULL, FALSE };
  GThread *thread = g_thread_new ("client", client_job_main, &job);

  shoal_test_wait_until (client_job_done, &job, TEST_TIMEOUT_MS, "a client");
  g_thread_join (thread);
  return job.result;
}

typedef struct
{
  GSocketConnection *connection;
  GByteArray        *input;  /* received, not yet consumed */
} Client;

static Client *
client_connect_from (const char *local_address)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new_from_string ("127.0.0.1", fixture.port);
  g_autoptr(GError) error = NULL;
  Client *client = g_new0 (Client, 1);

  g_socket_client_set_timeout (socket_client, CLIENT_TIMEOUT_SECONDS);
  if (local_address != NULL)
    {
      g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string (local_address, 0);

      g_socket_client_set_local_address (socket_client, local);
    }
  client->connection = g_socket_client_connect (socket_client, G_SOCKET_CONNECTABLE (server), NULL, &error);
  g_assert_no_error (error);
  client->input = g_byte_array_new ();
  return client;
}

static Client *
client_connect (void)
{
  return client_connect_from (NULL);
}

static void
client_free (Client *client)
{
  g_object_unref (client->connection);
  g_byte_array_unref (client->input);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

/* FALSE when the server closed or reset the connection first. */
static gboolean
client_send_bytes (Client     *client,
                   const void *data,
                   gsize       length)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));

  return g_output_stream_write_all (output, data, length, NULL, NULL, NULL);
}

static void
client_send (Client     *client,
             const char *text)
{
  g_assert_true (client_send_bytes (client, text, strlen (text)));
}

/* Reads more; FALSE at the end of the stream or on an error. */
static gboolean
client_fill (Client *client)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (client->connection));
  guint8 chunk[READ_CHUNK];
  gssize n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, NULL);

  if (n_read <= 0)
    return FALSE;
  g_byte_array_append (client->input, chunk, (guint) n_read);
  return TRUE;
}

static gboolean
client_ensure (Client *client,
               gsize   length)
{
  while (client->input->len < length)
    if (!client_fill (client))
      return FALSE;
  return TRUE;
}

static void
client_consume (Client     *client,
                gsize       length,
                GByteArray *into)
{
  if (into != NULL)
    g_byte_array_append (into, client->input->data, (guint) length);
  g_byte_array_remove_range (client->input, 0, (guint) length);
}

/* Until the server closes. */
static void
client_read_to_end (Client *client)
{
  while (client_fill (client))
    ;
}

typedef struct
{
  guint       status;
  GPtrArray  *names;    /* header names as sent, in order */
  GHashTable *headers;  /* lower-case name → value */
  GByteArray *body;
} Response;

static void
response_free (Response *response)
{
  g_ptr_array_unref (response->names);
  g_hash_table_unref (response->headers);
  g_byte_array_unref (response->body);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static const char *
header (const Response *response,
        const char     *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (response->headers, key);
}

static gssize
find_bytes (const GByteArray *haystack,
            gsize             from,
            const char       *needle)
{
  gsize length = strlen (needle);

  for (gsize i = from; i + length <= haystack->len; i++)
    if (memcmp (haystack->data + i, needle, length) == 0)
      return (gssize) i;
  return -1;
}

/* The status line and headers; NULL when the connection ends first. */
static Response *
client_read_head (Client *client)
{
  Response *response;
  g_auto(GStrv) lines = NULL;
  gssize end;

  while ((end = find_bytes (client->input, 0, "\r\n\r\n")) < 0)
    if (!client_fill (client))
      return NULL;
  response = g_new0 (Response, 1);
  response->names = g_ptr_array_new_with_free_func (g_free);
  response->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  response->body = g_byte_array_new ();
  {
    g_autofree char *text = g_strndup ((const char *) client->input->data, (gsize) end);

    lines = g_strsplit (text, "\r\n", -1);
  }
  client_consume (client, (gsize) end + 4, NULL);
  g_assert_true (g_str_has_prefix (lines[0], "HTTP/1."));
  response->status = (guint) g_ascii_strtoull (lines[0] + strlen ("HTTP/1.x "), NULL, 10);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');

      g_assert_nonnull (colon);
      g_ptr_array_add (response->names, g_strndup (lines[i], (gsize) (colon - lines[i])));
      g_hash_table_insert (response->headers, g_ascii_strdown (lines[i], colon - lines[i]),
                           g_strdup (g_strstrip (colon + 1)));
    }
  return response;
}

static gboolean
client_read_chunked (Client   *client,
                     Response *response)
{
  for (;;)
    {
      gssize line_end;
      guint64 size;

      while ((line_end = find_bytes (client->input, 0, "\r\n")) < 0)
        if (!client_fill (client))
          return FALSE;
      size = g_ascii_strtoull ((const char *) client->input->data, NULL, 16);
      client_consume (client, (gsize) line_end + 2, NULL);
      if (size == 0)
        {
          /* No trailers from us: the final empty line. */
          if (!client_ensure (client, 2))
            return FALSE;
          client_consume (client, 2, NULL);
          return TRUE;
        }
      if (!client_ensure (client, size + 2))
        return FALSE;
      client_consume (client, size, response->body);
      client_consume (client, 2, NULL);
    }
}

static gboolean
client_read_body (Client   *client,
                  Response *response,
                  gboolean  head)
{
  const char *length = header (response, "Content-Length");
  const char *encoding = header (response, "Transfer-Encoding");

  if (head)
    return TRUE;
  if (encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") == 0)
    return client_read_chunked (client, response);
  if (length != NULL)
    {
      guint64 size = g_ascii_strtoull (length, NULL, 10);

      if (!client_ensure (client, size))
        return FALSE;
      client_consume (client, size, response->body);
      return TRUE;
    }
  client_read_to_end (client);
  client_consume (client, client->input->len, response->body);
  return TRUE;
}

/* A whole answer; NULL when the connection ends before its head. */
static Response *
client_read_response (Client   *client,
                      gboolean  head)
{
  Response *response = client_read_head (client);

  if (response != NULL)
    g_assert_true (client_read_body (client, response, head));
  return response;
}

/* One request on a connection of its own, from @local_address. */
typedef struct
{
  const char *local_address;
  const char *request;
  gboolean    head;
} Exchange;

static gpointer
exchange_main (gpointer data)
{
  Exchange *exchange = data;
  g_autoptr(Client) client = client_connect_from (exchange->local_address);

  client_send (client, exchange->request);
  return client_read_response (client, exchange->head);
}

/* Returns once the server closed the connection too, so that the slot
 * it may have held is free for the next request. */
static Response *
exchange_from (const char *local_address,
               const char *request)
{
  Exchange exchange = { local_address, request, g_str_has_prefix (request, "HEAD ") };
  guint connections = get_stats ().connections;
  Response *response = run_client (exchange_main, &exchange);

  g_assert_nonnull (response);
  wait_connections_at_most (connections);
  return response;
}

static Response *
exchange (const char *request)
{
  return exchange_from (NULL, request);
}

static char *
request_for (const char *method,
             const char *target,
             const char *extra_headers)
{
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n%s"
                          "Connection: close\r\n\r\n",
                          method, target, extra_headers ? extra_headers : "");
}

static Response *
get (const char *target,
     const char *extra_headers)
{
  g_autofree char *request = request_for ("GET", target, extra_headers);

  return exchange (request);
}

static char *
index_target (guint which)
{
  const ShoalLibraryFile *file = indexed (which);
  g_autofree char *escaped = g_uri_escape_string (file->name, NULL, FALSE);

  return g_strdup_printf ("/get/%u/%s", file->index, escaped);
}

static char *
urn_target (guint which)
{
  g_autofree char *urn = urn_of (which);

  return g_strconcat ("/uri-res/N2R?", urn, NULL);
}

static void
assert_body_is (const Response *response,
                guint           which,
                guint64         first,
                guint64         length)
{
  gsize size;
  const guint8 *contents = g_bytes_get_data (fixture.files[which].contents, &size);

  g_assert_cmpuint (first + length, <=, size);
  g_assert_cmpmem (response->body->data, response->body->len, contents + first, length);
}

/* Nothing from outside the share, nor the system's files. */
static void
assert_no_leak (const Response *response)
{
  g_assert_cmpint (find_bytes (response->body, 0, SECRET), <, 0);
  g_assert_cmpint (find_bytes (response->body, 0, PASSWD_MARK), <, 0);
}

/* Files by hash and by index ------------------------------------------------ */

static void
assert_file_headers (const Response *response,
                     guint           which)
{
  const ShoalLibraryFile *file = indexed (which);
  g_autofree char *urn = urn_of (which);
  g_autofree char *escaped = g_uri_escape_string (file->name, "!#$&+^`|", FALSE);
  g_autofree char *disposition = g_strdup_printf ("inline; filename*=\"utf-8'en'%s\"", escaped);
  g_autoptr(GRegex) date = g_regex_new ("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d "
                                        "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                                        "\\d{4} \\d\\d:\\d\\d:\\d\\d GMT$", 0, 0, NULL);

  g_assert_cmpstr (header (response, "Server"), ==, SHOAL_USER_AGENT);
  g_assert_cmpstr (header (response, "X-Features"), ==, "browse/1.0");
  g_assert_cmpstr (header (response, "X-Gnutella-Content-URN"), ==, urn);
  g_assert_cmpstr (header (response, "Content-Type"), ==, "application/octet-stream");
  g_assert_cmpstr (header (response, "Content-Disposition"), ==, disposition);
  g_assert_cmpstr (header (response, "Accept-Ranges"), ==, "bytes");
  g_assert_nonnull (header (response, "Last-Modified"));
  g_assert_true (g_regex_match (date, header (response, "Last-Modified"), 0, NULL));
}

static void
test_get_by_urn (void)
{
  static const guint files[] = { FILE_SMALL, FILE_BIG, FILE_NESTED, FILE_HTML_NAME };
  ShoalUploadStats before = get_stats ();
  guint64 served = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *target = urn_target (files[i]);
      g_autoptr(Response) response = get (target, NULL);
      g_autofree char *length = g_strdup_printf ("%" G_GUINT64_FORMAT, indexed (files[i])->stat.size);

      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpstr (header (response, "Content-Length"), ==, length);
      g_assert_null (header (response, "Content-Range"));
      assert_file_headers (response, files[i]);
      assert_body_is (response, files[i], 0, indexed (files[i])->stat.size);
      served += indexed (files[i])->stat.size;
    }
  wait_bytes_served (before.bytes_served + served);
  g_assert_cmpuint (get_stats ().requests, ==, before.requests + G_N_ELEMENTS (files));
}

/* Lower-case base32 and a percent-escaped query name the same file. */
static void
test_get_by_urn_spellings (void)
{
  g_autofree char *urn = urn_of (FILE_SMALL);
  g_autofree char *lower = g_ascii_strdown (urn, -1);
  g_autofree char *lower_target = g_strconcat ("/uri-res/N2R?urn:sha1:", lower + strlen ("urn:sha1:"), NULL);
  g_autofree char *escaped_target = g_strconcat ("/uri-res/N2R?urn%3Asha1%3A",
                                                 urn + strlen ("urn:sha1:"), NULL);
  g_autoptr(Response) from_lower = get (lower_target, NULL);
  g_autoptr(Response) from_escaped = get (escaped_target, NULL);

  g_assert_cmpuint (from_lower->status, ==, 200);
  assert_body_is (from_lower, FILE_SMALL, 0, SMALL_FILE_SIZE);
  g_assert_cmpuint (from_escaped->status, ==, 200);
  assert_body_is (from_escaped, FILE_SMALL, 0, SMALL_FILE_SIZE);
}

static void
test_get_by_index (void)
{
  const ShoalLibraryFile *nested = indexed (FILE_NESTED);
  g_autofree char *target = index_target (FILE_NESTED);
  g_autofree char *mismatch = g_strdup_printf ("/get/%u/small.txt", nested->index);
  g_autofree char *unescaped_space = g_strdup_printf ("/get/%u/nested file.txt", nested->index);
  g_autoptr(Response) response = get (target, NULL);
  g_autoptr(Response) wrong_name = get (mismatch, NULL);
  g_autoptr(Response) unknown = get ("/get/999999/small.txt", NULL);
  ShoalUploadStats stats;

  /* The path inside the share is not part of the name. */
  g_assert_true (g_str_has_suffix (target, "/nested%20file.txt"));
  g_assert_cmpuint (response->status, ==, 200);
  assert_file_headers (response, FILE_NESTED);
  assert_body_is (response, FILE_NESTED, 0, nested->stat.size);
  /* A name that is not the file's: the index may have been reused. */
  g_assert_cmpuint (wrong_name->status, ==, 404);
  g_assert_cmpuint (wrong_name->body->len, <, SMALL_FILE_SIZE);
  g_assert_cmpstr (header (wrong_name, "X-Features"), ==, "browse/1.0");
  g_assert_cmpuint (unknown->status, ==, 404);
  stats = get_stats ();
  g_assert_cmpuint (stats.not_found, >=, 2);
  /* Old servents leave spaces unescaped; libmicrohttpd takes the last
   * space of the request line as the end of the target. */
  {
    g_autoptr(Response) spaced = get (unescaped_space, NULL);

    g_assert_cmpuint (spaced->status, ==, 200);
    assert_body_is (spaced, FILE_NESTED, 0, nested->stat.size);
  }
}

typedef struct
{
  char     *first;
  char     *second;
  Response *responses[2];
  guint     uploads_between;
} KeepAlive;

static gpointer
keep_alive_main (gpointer data)
{
  KeepAlive *keep_alive = data;
  g_autoptr(Client) client = client_connect ();
  ShoalUploadStats stats;

  client_send (client, keep_alive->first);
  keep_alive->responses[0] = client_read_response (client, g_str_has_prefix (keep_alive->first, "HEAD "));
  shoal_upload_server_get_stats (fixture.server, &stats);
  keep_alive->uploads_between = stats.uploads;
  client_send (client, keep_alive->second);
  keep_alive->responses[1] = client_read_response (client, FALSE);
  return NULL;
}

static char *
keep_alive_request (const char *method,
                    const char *target,
                    const char *extra_headers)
{
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                          method, target, extra_headers ? extra_headers : "");
}

static void
keep_alive_free (KeepAlive *keep_alive)
{
  g_free (keep_alive->first);
  g_free (keep_alive->second);
  for (guint i = 0; i < G_N_ELEMENTS (keep_alive->responses); i++)
    g_clear_pointer (&keep_alive->responses[i], response_free);
}

/* A HEAD sends no body: the next answer on the connection starts right
 * after its headers. */
static void
test_head (void)
{
  g_autofree char *big = urn_target (FILE_BIG);
  g_autofree char *small = urn_target (FILE_SMALL);
  g_autofree char *big_length = g_strdup_printf ("%d", BIG_FILE_SIZE);
  KeepAlive keep_alive = {
    keep_alive_request ("HEAD", big, NULL),
    keep_alive_request ("GET", small, NULL),
    { NULL, NULL }, 0,
  };

  run_client (keep_alive_main, &keep_alive);
  g_assert_cmpuint (keep_alive.responses[0]->status, ==, 200);
  g_assert_cmpstr (header (keep_alive.responses[0], "Content-Length"), ==, big_length);
  assert_file_headers (keep_alive.responses[0], FILE_BIG);
  /* HEAD takes no upload slot. */
  g_assert_cmpuint (keep_alive.uploads_between, ==, 0);
  g_assert_cmpuint (keep_alive.responses[1]->status, ==, 200);
  assert_body_is (keep_alive.responses[1], FILE_SMALL, 0, SMALL_FILE_SIZE);
  keep_alive_free (&keep_alive);
  wait_server_quiet ();
}

/* Two downloads on one connection, one slot for both. */
static void
test_keep_alive (void)
{
  g_autofree char *big = urn_target (FILE_BIG);
  KeepAlive keep_alive = {
    keep_alive_request ("GET", big, "Range: bytes=0-65535\r\n"),
    keep_alive_request ("GET", big, "Range: bytes=65536-\r\n"),
    { NULL, NULL }, 0,
  };
  g_autofree char *second_range = g_strdup_printf ("bytes 65536-%d/%d", BIG_FILE_SIZE - 1, BIG_FILE_SIZE);

  run_client (keep_alive_main, &keep_alive);
  g_assert_cmpuint (keep_alive.responses[0]->status, ==, 206);
  g_assert_cmpstr (header (keep_alive.responses[0], "Content-Range"), ==, "bytes 0-65535/8388608");
  assert_body_is (keep_alive.responses[0], FILE_BIG, 0, 65536);
  g_assert_cmpuint (keep_alive.uploads_between, ==, 1);
  g_assert_cmpuint (keep_alive.responses[1]->status, ==, 206);
  g_assert_cmpstr (header (keep_alive.responses[1], "Content-Range"), ==, second_range);
  assert_body_is (keep_alive.responses[1], FILE_BIG, 65536, BIG_FILE_SIZE - 65536);
  keep_alive_free (&keep_alive);
  wait_server_quiet ();
}

/* Ranges -------------------------------------------------------------------- */

typedef struct
{
  const char *range;
  guint       status;
  const char *content_range;  /* NULL: none expected */
  guint64     first;
  guint64     length;
} RangeCase;

static void
test_ranges (void)
{
  static const RangeCase cases[] = {
    { "bytes=0-99", 206, "bytes 0-99/8388608", 0, 100 },
    { "bytes=-100", 206, "bytes 8388508-8388607/8388608", BIG_FILE_SIZE - 100, 100 },
    { "bytes=8388600-", 206, "bytes 8388600-8388607/8388608", BIG_FILE_SIZE - 8, 8 },
    { "bytes=1000000-2999999", 206, "bytes 1000000-2999999/8388608", 1000000, 2000000 },
    /* gtk-gnutella's own request: we serve all of it, not 512 KiB. */
    { "bytes=0-5242879", 206, "bytes 0-5242879/8388608", 0, 5242880 },
    /* Several: the first satisfiable one, alone. */
    { "bytes=9000000-,10-19", 206, "bytes 10-19/8388608", 10, 10 },
    /* Malformed: ignored, the whole file. */
    { "bytes=9-0", 200, NULL, 0, BIG_FILE_SIZE },
    { "lines=1-2", 200, NULL, 0, BIG_FILE_SIZE },
    /* Past the end. */
    { "bytes=8388608-", 416, "bytes */8388608", 0, 0 },
    { "bytes=-0", 416, "bytes */8388608", 0, 0 },
  };
  g_autofree char *target = urn_target (FILE_BIG);
  g_autofree char *urn = urn_of (FILE_BIG);
  ShoalUploadStats before = get_stats ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *range = g_strdup_printf ("Range: %s\r\n", cases[i].range);
      g_autoptr(Response) response = get (target, range);

      g_test_message ("%s", cases[i].range);
      g_assert_cmpuint (response->status, ==, cases[i].status);
      g_assert_cmpstr (header (response, "Content-Range"), ==, cases[i].content_range);
      /* The URN is there on a 416 too. */
      g_assert_cmpstr (header (response, "X-Gnutella-Content-URN"), ==, urn);
      if (cases[i].status != 416)
        assert_body_is (response, FILE_BIG, cases[i].first, cases[i].length);
      else
        assert_no_leak (response);
    }
  g_assert_cmpuint (get_stats ().range_errors, ==, before.range_errors + 2);
}

/* gtk-gnutella's answers, header for header ------------------------------------ */

static GPtrArray *
vector_header_names (const char *relative,
                     char      **status_line)
{
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript (relative);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < sections->len; i++)
    {
      ShoalTestTranscriptSection *section = g_ptr_array_index (sections, i);
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_str_has_prefix (section->direction, "server"))
        continue;
      text = g_strndup (g_bytes_get_data (section->bytes, NULL), g_bytes_get_size (section->bytes));
      lines = g_strsplit (text, "\r\n", -1);
      *status_line = g_strdup (lines[0]);
      for (guint j = 1; lines[j] != NULL && lines[j][0] != '\0'; j++)
        g_ptr_array_add (names, g_strndup (lines[j], (gsize) (strchr (lines[j], ':') - lines[j])));
      break;
    }
  g_assert_cmpuint (names->len, >, 0);
  return names;
}

static gboolean
has_name (GPtrArray  *names,
          const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (names, i), name) == 0)
      return TRUE;
  return FALSE;
}

/* Every header gtk-gnutella sends is ours too, but those naming what we
 * do not have; and we send none it does not, but @extra. */
static void
assert_same_header_names (GPtrArray          *theirs,
                          GPtrArray          *ours,
                          const char * const *missing,
                          const char * const *extra)
{
  for (guint i = 0; i < theirs->len; i++)
    {
      const char *name = g_ptr_array_index (theirs, i);

      g_test_message ("gtk-gnutella sends %s", name);
      if (!g_strv_contains (missing, name))
        g_assert_true (has_name (ours, name));
    }
  for (guint i = 0; i < ours->len; i++)
    {
      const char *name = g_ptr_array_index (ours, i);

      if (!g_strv_contains (extra, name))
        g_assert_true (has_name (theirs, name));
    }
}

static void
test_vector_headers (void)
{
  /* No tiger tree (THEX) here; Accept-Ranges is standard HTTP. */
  static const char * const file_missing[] = { "X-Thex-URI", NULL };
  static const char * const file_extra[] = { "Accept-Ranges", NULL };
  /* gtk-gnutella dates its library; we would need a pass over it. */
  static const char * const browse_missing[] = { "Last-Modified", NULL };
  static const char * const none[] = { NULL };
  g_autofree char *file_status = NULL;
  g_autofree char *browse_status = NULL;
  g_autoptr(GPtrArray) file_names = vector_header_names ("http_download_headers_full_range.txt", &file_status);
  g_autoptr(GPtrArray) browse_names = vector_header_names ("http_browse_host_headers.txt", &browse_status);
  g_autofree char *target = urn_target (FILE_BIG);
  g_autoptr(Response) file = get (target, "Range: bytes=0-5242879\r\n");
  g_autoptr(Response) browse = get ("/", "Accept: application/x-gnutella-packets\r\n");

  g_assert_cmpstr (file_status, ==, "HTTP/1.1 206 Partial Content");
  g_assert_cmpuint (file->status, ==, 206);
  assert_same_header_names (file_names, file->names, file_missing, file_extra);
  g_assert_cmpstr (header (file, "Connection"), ==, "close");
  g_assert_cmpstr (browse_status, ==, "HTTP/1.1 200 OK");
  g_assert_cmpuint (browse->status, ==, 200);
  assert_same_header_names (browse_names, browse->names, browse_missing, none);
  g_assert_cmpstr (header (browse, "Transfer-Encoding"), ==, "chunked");
  g_assert_cmpstr (header (browse, "Content-Type"), ==, "application/x-gnutella-packets");
}

/* Slots ------------------------------------------------------------------------ */

/* Downloads that read their headers and then nothing: each keeps its
 * slot while its connection lives. */
typedef struct
{
  guint       count;
  const char *addresses[SLOW_READERS];
  char       *target;
  Client     *clients[SLOW_READERS];
  Response   *responses[SLOW_READERS];
} SlowReaders;

static gpointer
slow_readers_main (gpointer data)
{
  SlowReaders *readers = data;
  g_autofree char *request = keep_alive_request ("GET", readers->target, NULL);

  for (guint i = 0; i < readers->count; i++)
    {
      readers->clients[i] = client_connect_from (readers->addresses[i]);
      client_send (readers->clients[i], request);
      readers->responses[i] = client_read_head (readers->clients[i]);
      g_assert_nonnull (readers->responses[i]);
    }
  return NULL;
}

static void
slow_readers_close (SlowReaders *readers)
{
  for (guint i = 0; i < SLOW_READERS; i++)
    {
      g_clear_pointer (&readers->clients[i], client_free);
      g_clear_pointer (&readers->responses[i], response_free);
    }
  g_free (readers->target);
  wait_server_quiet ();
}

static void
test_slots_total (void)
{
  SlowReaders readers = { SLOW_READERS, { NULL }, urn_target (FILE_BIG), { NULL }, { NULL } };
  ShoalUploadStats before = get_stats ();
  g_autofree char *urn = urn_of (FILE_BIG);
  g_autofree char *small = urn_target (FILE_SMALL);

  g_object_set (fixture.server, "max-uploads-per-ip", SLOW_READERS, NULL);
  run_client (slow_readers_main, &readers);
  for (guint i = 0; i + 1 < SLOW_READERS; i++)
    g_assert_cmpuint (readers.responses[i]->status, ==, 200);
  g_assert_cmpuint (get_stats ().uploads, ==, SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS);
  g_assert_cmpuint (readers.responses[SLOW_READERS - 1]->status, ==, 503);
  g_assert_cmpstr (header (readers.responses[SLOW_READERS - 1], "Retry-After"), ==, "60");
  g_assert_cmpstr (header (readers.responses[SLOW_READERS - 1], "X-Features"), ==, "browse/1.0");
  g_assert_cmpstr (header (readers.responses[SLOW_READERS - 1], "X-Gnutella-Content-URN"), ==, urn);
  g_assert_cmpuint (get_stats ().refused, ==, before.refused + 1);

  /* One reader leaves: its slot is free again. */
  g_clear_pointer (&readers.clients[0], client_free);
  {
    g_autoptr(Response) response = NULL;

    wait_uploads (SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS - 1);
    response = get (small, NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
  slow_readers_close (&readers);
  g_object_set (fixture.server, "max-uploads-per-ip", SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS_PER_IP, NULL);
}

static void
test_slots_per_ip (void)
{
  SlowReaders readers = {
    3, { "127.0.0.2", "127.0.0.2", "127.0.0.3" }, urn_target (FILE_BIG), { NULL }, { NULL },
  };

  run_client (slow_readers_main, &readers);
  g_assert_cmpuint (readers.responses[0]->status, ==, 200);
  g_assert_cmpuint (readers.responses[1]->status, ==, 503);
  g_assert_cmpstr (header (readers.responses[1], "Retry-After"), ==, "60");
  g_assert_cmpuint (readers.responses[2]->status, ==, 200);
  g_assert_cmpuint (get_stats ().uploads, ==, 2);
  {
    g_autofree char *head = request_for ("HEAD", readers.target, NULL);
    g_autoptr(Response) response = exchange_from ("127.0.0.2", head);

    g_assert_cmpuint (response->status, ==, 200);
  }
  slow_readers_close (&readers);
}

/* The upload cap ------------------------------------------------------------------- */

/* One capped GET read as it comes, on a thread of its own. */
typedef struct
{
  const char *local_address;
  char       *request;
  Response   *response;
  gint        receiving;     /* atomic: body bytes came */
  gint        done;          /* atomic */
  gint64      elapsed_usec;
  GThread    *thread;
} CappedDownload;

static gpointer
capped_download_main (gpointer data)
{
  CappedDownload *download = data;
  g_autoptr(Client) client = client_connect_from (download->local_address);
  gint64 started = g_get_monotonic_time ();
  GByteArray *body;
  guint64 length;

  client_send (client, download->request);
  download->response = client_read_head (client);
  g_assert_nonnull (download->response);
  body = download->response->body;
  length = g_ascii_strtoull (header (download->response, "Content-Length"), NULL, 10);
  while (body->len < length && (client->input->len > 0 || client_fill (client)))
    {
      client_consume (client, (gsize) MIN (client->input->len, length - body->len), body);
      g_atomic_int_set (&download->receiving, TRUE);
    }
  download->elapsed_usec = g_get_monotonic_time () - started;
  g_atomic_int_set (&download->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
capped_download_start (CappedDownload *download,
                       const char     *local_address,
                       const char     *range)
{
  g_autofree char *target = urn_target (FILE_BIG);
  g_autofree char *extra = g_strdup_printf ("Range: bytes=%s\r\n", range);

  memset (download, 0, sizeof *download);
  download->local_address = local_address;
  download->request = request_for ("GET", target, extra);
  download->thread = g_thread_new ("capped-client", capped_download_main, download);
}

static gboolean
capped_download_done (gpointer data)
{
  return g_atomic_int_get (&((CappedDownload *) data)->done);
}

static gboolean
capped_download_receiving (gpointer data)
{
  return g_atomic_int_get (&((CappedDownload *) data)->receiving);
}

static void
capped_download_finish (CappedDownload *download)
{
  shoal_test_wait_until (capped_download_done, download, TEST_TIMEOUT_MS, "a capped download");
  g_thread_join (download->thread);
  g_free (download->request);
}

static ShoalRateLimit *
cap_uploads (guint kbps)
{
  ShoalRateLimit *limit = shoal_rate_limit_new (shoal_rate_limit_bytes_for_kbps (kbps));

  shoal_upload_server_set_rate_limit (fixture.server, limit);
  g_assert_true (shoal_upload_server_get_rate_limit (fixture.server) == limit);
  return limit;
}

static void
uncap_uploads (ShoalRateLimit *limit)
{
  shoal_upload_server_set_rate_limit (fixture.server, NULL);
  g_assert_null (shoal_upload_server_get_rate_limit (fixture.server));
  shoal_rate_limit_unref (limit);
  wait_server_quiet ();
}

/* 256 KiB at 512 kbit/s take their time and arrive whole; then a small
 * file goes out at once, the cap's burst being enough for it. */
static void
test_capped (void)
{
  ShoalRateLimit *limit = cap_uploads (CAPPED_KBPS);
  g_autofree char *range = g_strdup_printf ("0-%d", CAPPED_SIZE - 1);
  CappedDownload download;
  gint64 elapsed_ms;

  capped_download_start (&download, NULL, range);
  capped_download_finish (&download);
  elapsed_ms = download.elapsed_usec / G_TIME_SPAN_MILLISECOND;
  g_test_message ("%d KiB at %d kbit/s: %" G_GINT64_FORMAT " ms",
                  CAPPED_SIZE / 1024, CAPPED_KBPS, elapsed_ms);
  g_assert_cmpuint (download.response->status, ==, 206);
  assert_body_is (download.response, FILE_BIG, 0, CAPPED_SIZE);
  g_assert_cmpint (elapsed_ms, >=, CAPPED_MIN_MS);
  g_clear_pointer (&download.response, response_free);
  uncap_uploads (limit);
}

/* Lifted while a body crawls, the cap lets the rest go at once (at
 * 8 kbit/s, 256 KiB would take four minutes). */
static void
test_cap_lifted (void)
{
  ShoalRateLimit *limit = cap_uploads (CRAWL_KBPS);
  g_autofree char *range = g_strdup_printf ("0-%d", CAPPED_SIZE - 1);
  CappedDownload download;

  capped_download_start (&download, NULL, range);
  shoal_test_wait_until (capped_download_receiving, &download, TEST_TIMEOUT_MS,
                         "the first capped bytes");
  shoal_test_wait_ms (PAUSE_SETTLE_MS);
  shoal_rate_limit_set_rate (limit, 0);
  capped_download_finish (&download);
  assert_body_is (download.response, FILE_BIG, 0, CAPPED_SIZE);
  g_clear_pointer (&download.response, response_free);
  uncap_uploads (limit);
}

/* Slots count under a cap as without one: a body held back by it keeps
 * its slot, the next downloader gets 503; one more slot, set live,
 * serves the one after. */
static void
test_capped_slots (void)
{
  ShoalRateLimit *limit = cap_uploads (CAPPED_KBPS);
  SlowReaders readers = { 1, { "127.0.0.7" }, urn_target (FILE_BIG), { NULL }, { NULL } };
  g_autofree char *request = request_for ("GET", readers.target, NULL);
  g_autofree char *small = urn_target (FILE_SMALL);
  g_autofree char *small_request = request_for ("GET", small, NULL);

  g_object_set (fixture.server, "max-uploads", 1, NULL);
  run_client (slow_readers_main, &readers);
  g_assert_cmpuint (readers.responses[0]->status, ==, 200);
  {
    g_autoptr(Response) refused = exchange_from ("127.0.0.8", request);

    g_assert_cmpuint (refused->status, ==, 503);
    g_assert_cmpstr (header (refused, "Retry-After"), ==, "60");
  }
  g_object_set (fixture.server, "max-uploads", 2, NULL);
  {
    g_autoptr(Response) served = exchange_from ("127.0.0.9", small_request);

    g_assert_cmpuint (served->status, ==, 200);
    assert_body_is (served, FILE_SMALL, 0, SMALL_FILE_SIZE);
  }
  slow_readers_close (&readers);
  g_object_set (fixture.server, "max-uploads", SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS, NULL);
  uncap_uploads (limit);
}

/* Stopping with a body waiting for tokens: its connection is resumed
 * and closed with the rest, and the server starts again. */
static void
test_stop_while_capped (void)
{
  ShoalRateLimit *limit = cap_uploads (CRAWL_KBPS);
  g_autofree char *range = g_strdup_printf ("0-%d", CAPPED_SIZE - 1);
  g_autofree char *small = urn_target (FILE_SMALL);
  g_autoptr(GError) error = NULL;
  CappedDownload download;

  capped_download_start (&download, "127.0.0.10", range);
  shoal_test_wait_until (capped_download_receiving, &download, TEST_TIMEOUT_MS,
                         "the first capped bytes");
  shoal_test_wait_ms (PAUSE_SETTLE_MS);
  shoal_upload_server_stop (fixture.server);
  capped_download_finish (&download);
  g_assert_cmpuint (download.response->body->len, <, CAPPED_SIZE);
  g_clear_pointer (&download.response, response_free);

  g_assert_true (shoal_upload_server_start (fixture.server, &error));
  g_assert_no_error (error);
  {
    g_autoptr(Response) response = get (small, NULL);

    g_assert_cmpuint (response->status, ==, 200);
    assert_body_is (response, FILE_SMALL, 0, SMALL_FILE_SIZE);
  }
  uncap_uploads (limit);
}

/* Hostile requests ---------------------------------------------------------------- */

typedef struct
{
  const char *target;
  guint       status;
} HostileCase;

static void
test_hostile_paths (void)
{
  static const HostileCase cases[] = {
    { "/get/../../etc/passwd", 400 },
    { "/get/%2e%2e/%2e%2e/etc/passwd", 400 },
    { "/get/1/../../../../etc/passwd", 404 },
    { "/get/1/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404 },
    { "/%2e%2e/%2e%2e/etc/passwd", 404 },
    { "/../../etc/passwd", 404 },
    { "/etc/passwd", 404 },
    { "//etc/passwd", 404 },
    { "http://127.0.0.1/etc/passwd", 404 },
    { "/get/0/small.txt", 400 },
    { "/get/-1/small.txt", 400 },
    { "/get/4294967296/small.txt", 400 },
    { "/get/0x1/small.txt", 400 },
    { "/get/1", 400 },
    { "/get/1/small.txt%00.jpg", 400 },
    { "/get/1/small.txt%zz", 400 },
    { "/uri-res/N2R?" UNSHARED_URN, 404 },
    { "/uri-res/N2R?urn:sha1:!!!!", 400 },
    { "/uri-res/N2R?urn:sha1:AAAA", 400 },
    { "/uri-res/N2R?/etc/passwd", 400 },
    { "/uri-res/N2R?file:///etc/passwd", 400 },
    { "/uri-res/N2X?" UNSHARED_URN, 404 },
  };
  ShoalUploadStats before = get_stats ();
  guint bad = 0;
  guint not_found = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Response) response = get (cases[i].target, NULL);

      g_test_message ("GET %s", cases[i].target);
      g_assert_cmpuint (response->status, ==, cases[i].status);
      g_assert_null (header (response, "X-Gnutella-Content-URN"));
      assert_no_leak (response);
      if (cases[i].status == 400)
        bad++;
      else
        not_found++;
    }
  g_assert_cmpuint (get_stats ().bad_requests, ==, before.bad_requests + bad);
  g_assert_cmpuint (get_stats ().not_found, ==, before.not_found + not_found);
}

/* Requests libmicrohttpd refuses before our handler sees them, and a
 * method we do not serve, after a good request on the same connection. */
static void
test_malformed_requests (void)
{
  g_autofree char *small = urn_target (FILE_SMALL);
  g_autofree char *no_host = g_strdup_printf ("GET %s HTTP/1.1\r\nConnection: close\r\n\r\n", small);
  g_autoptr(Response) without_host = exchange (no_host);
  g_autoptr(Response) garbage = exchange ("GET \x01\x02\x03 HTTP/1.1\r\nHost: x\r\n\r\n");
  KeepAlive keep_alive = {
    keep_alive_request ("GET", small, NULL),
    keep_alive_request ("DELETE", small, "Content-Length: 0\r\n"),
    { NULL, NULL }, 0,
  };

  g_assert_cmpuint (without_host->status, ==, 400);
  assert_no_leak (without_host);
  g_assert_cmpuint (garbage->status, >=, 400);
  g_assert_cmpuint (garbage->status, <, 500);
  run_client (keep_alive_main, &keep_alive);
  g_assert_cmpuint (keep_alive.responses[0]->status, ==, 200);
  g_assert_cmpuint (keep_alive.responses[1]->status, ==, 501);
  keep_alive_free (&keep_alive);
  wait_server_quiet ();
}

/* A link in the share pointing out of it was never indexed; a file
 * indexed through a link inside it is served. */
static void
test_links (void)
{
  const ShoalLibraryFile *alias = indexed (FILE_ALIAS);
  g_autofree char *alias_target = urn_target (FILE_ALIAS);
  g_autoptr(Response) response = get (alias_target, NULL);
  g_autoptr(Response) browse = get ("/", NULL);

  g_assert_null (fixture.files[FILE_ESCAPE_LINK].indexed);
  g_assert_cmpstr (alias->relpath, ==, "linked/inside.txt");
  g_assert_cmpuint (response->status, ==, 200);
  assert_body_is (response, FILE_ALIAS, 0, alias->stat.size);
  g_assert_cmpint (find_bytes (browse->body, 0, "escape-link"), <, 0);
  /* The link's name with every index: never its target. */
  for (guint which = 0; which < N_FILES; which++)
    {
      g_autofree char *target = NULL;
      g_autoptr(Response) by_name = NULL;

      if (fixture.files[which].indexed == NULL)
        continue;
      target = g_strdup_printf ("/get/%u/escape-link.txt", fixture.files[which].indexed->index);
      by_name = get (target, NULL);
      g_assert_cmpuint (by_name->status, ==, 404);
      assert_no_leak (by_name);
    }
}

static void
assert_not_served (guint which)
{
  g_autofree char *by_urn = urn_target (which);
  g_autofree char *by_index = index_target (which);
  g_autoptr(Response) from_urn = get (by_urn, NULL);
  g_autoptr(Response) from_index = get (by_index, NULL);
  g_autoptr(Response) from_range = get (by_urn, "Range: bytes=0-\r\n");

  g_assert_cmpuint (from_urn->status, ==, 404);
  assert_no_leak (from_urn);
  g_assert_cmpuint (from_index->status, ==, 404);
  assert_no_leak (from_index);
  g_assert_cmpuint (from_range->status, ==, 404);
  assert_no_leak (from_range);
}

/* A shared file replaced by a link to a file outside the share. */
static void
test_file_swapped_for_link (void)
{
  g_autofree char *path = g_build_filename (fixture.root, fixture.files[FILE_VICTIM].relpath, NULL);
  g_autofree char *secret = g_build_filename (fixture.outside, "secret.txt", NULL);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (symlink (secret, path), ==, 0);
  assert_not_served (FILE_VICTIM);
}

/* A shared folder moved out of the share and linked back: the very file
 * that was hashed, but outside the folder the user shares now. */
static void
test_folder_swapped_for_link (void)
{
  g_autofree char *folder = g_build_filename (fixture.root, "swapdir", NULL);
  g_autofree char *moved = g_build_filename (fixture.outside, "swapdir-moved", NULL);

  g_assert_cmpint (g_rename (folder, moved), ==, 0);
  g_assert_cmpint (symlink (moved, folder), ==, 0);
  assert_not_served (FILE_SWAPPED);
}

/* Rewritten in place, same size and inode: its hash is no longer known. */
static void
test_changed_file (void)
{
  g_autofree char *path = g_build_filename (fixture.root, fixture.files[FILE_CHANGED].relpath, NULL);
  gsize size = g_bytes_get_size (fixture.files[FILE_CHANGED].contents);
  g_autofree char *other = g_strnfill (size, 'Z');
  struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
  int fd = open (path, O_WRONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, other, size), ==, (gssize) size);
  /* The write changed the mtime already; made sure of, whatever the
   * file system's clock granularity. */
  g_assert_cmpint (futimens (fd, times), ==, 0);
  close (fd);
  assert_not_served (FILE_CHANGED);
}

/* Two files with one hash: the one changed since is skipped for the other. */
static void
test_changed_copy (void)
{
  guint first = indexed (FILE_COPY_A)->index < indexed (FILE_COPY_B)->index ? FILE_COPY_A : FILE_COPY_B;
  guint second = first == FILE_COPY_A ? FILE_COPY_B : FILE_COPY_A;
  g_autofree char *path = g_build_filename (fixture.root, fixture.files[first].relpath, NULL);
  g_autofree char *target = urn_target (first);
  g_autoptr(Response) response = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpmem (indexed (first)->sha1, SHOAL_SHA1_SIZE, indexed (second)->sha1, SHOAL_SHA1_SIZE);
  g_file_set_contents (path, "changed\n", -1, &error);
  g_assert_no_error (error);
  response = get (target, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  assert_body_is (response, second, 0, indexed (second)->stat.size);
}

typedef struct
{
  char     *request;
  Response *response;
  gboolean  closed;
} HugeHeader;

static gpointer
huge_header_main (gpointer data)
{
  HugeHeader *huge = data;
  g_autoptr(Client) client = client_connect ();

  /* The server may answer and close before all of it is sent. */
  client_send_bytes (client, huge->request, strlen (huge->request));
  huge->response = client_read_head (client);
  huge->closed = huge->response == NULL;
  return NULL;
}

static void
test_huge_header (void)
{
  g_autofree char *small = urn_target (FILE_SMALL);
  g_autofree char *filler = g_strnfill (HUGE_HEADER_SIZE, 'a');
  HugeHeader huge = {
    g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\nX-Filler: %s\r\n\r\n", small, filler),
    NULL, FALSE,
  };

  run_client (huge_header_main, &huge);
  g_assert_true (huge.closed || (huge.response->status >= 400 && huge.response->status < 500));
  if (huge.response != NULL)
    {
      g_test_message ("answered %u", huge.response->status);
      g_assert_cmpuint (huge.response->status, ==, 431);
    }
  g_clear_pointer (&huge.response, response_free);
  g_free (huge.request);
  wait_server_quiet ();
  {
    g_autoptr(Response) response = get (small, NULL);

    g_assert_cmpuint (response->status, ==, 200);
  }
}

/* A downloader that never reads what it asked for holds its own slot
 * and nothing else. */
typedef struct
{
  Client   *stuck;
  Response *other;
} NeverReads;

static gpointer
never_reads_main (gpointer data)
{
  NeverReads *never_reads = data;
  g_autofree char *target = urn_target (FILE_BIG);
  g_autofree char *request = request_for ("GET", target, NULL);
  g_autoptr(Client) other = NULL;

  never_reads->stuck = client_connect_from ("127.0.0.4");
  client_send (never_reads->stuck, request);
  /* Let the server fill the socket buffers. */
  g_usleep (100 * 1000);
  other = client_connect_from ("127.0.0.5");
  client_send (other, request);
  never_reads->other = client_read_response (other, FALSE);
  return NULL;
}

static void
test_client_never_reads (void)
{
  NeverReads never_reads = { NULL, NULL };

  run_client (never_reads_main, &never_reads);
  g_assert_cmpuint (never_reads.other->status, ==, 200);
  assert_body_is (never_reads.other, FILE_BIG, 0, BIG_FILE_SIZE);
  /* The stuck one still holds its slot. */
  g_assert_cmpuint (get_stats ().uploads, ==, 1);
  client_free (never_reads.stuck);
  response_free (never_reads.other);
  wait_server_quiet ();
}

/* A thousand connections, silent or with half a request line, at once. */
typedef struct
{
  Client   *clients[MANY_CONNECTIONS];
  Response *during;
} Flood;

static gpointer
flood_main (gpointer data)
{
  Flood *flood = data;
  g_autofree char *target = urn_target (FILE_SMALL);
  g_autofree char *request = request_for ("GET", target, NULL);
  g_autoptr(Client) other = NULL;

  for (guint i = 0; i < MANY_CONNECTIONS; i++)
    {
      flood->clients[i] = client_connect ();
      if (i >= MANY_SILENT_CONNECTIONS)
        client_send_bytes (flood->clients[i], PARTIAL_REQUEST, strlen (PARTIAL_REQUEST));
      /* A thousand connections in one burst would overflow the kernel's
       * accept queue (the listener asks for 512): a client whose SYN is
       * dropped waits a second before it retries. */
      g_usleep (FLOOD_PACE_US);
    }
  g_usleep (FLOOD_SETTLE_MS * 1000);
  /* Someone else meanwhile. */
  other = client_connect_from ("127.0.0.6");
  client_send (other, request);
  flood->during = client_read_response (other, FALSE);
  return NULL;
}

static void
test_many_connections (void)
{
  g_autofree char *target = urn_target (FILE_SMALL);
  Flood *flood = g_new0 (Flood, 1);
  ShoalUploadStats before = get_stats ();
  ShoalUploadStats stats;

  run_client (flood_main, flood);
  g_assert_nonnull (flood->during);
  g_assert_cmpuint (flood->during->status, ==, 200);
  assert_body_is (flood->during, FILE_SMALL, 0, SMALL_FILE_SIZE);
  stats = get_stats ();
  g_assert_true (shoal_upload_server_get_running (fixture.server));
  /* libmicrohttpd held what one address may hold; the rest were refused. */
  g_assert_cmpuint (stats.connections, <=, SHOAL_UPLOAD_SERVER_DEFAULT_MAX_CONNECTIONS_PER_IP);
  g_assert_cmpuint (stats.refused, >, before.refused);
  for (guint i = 0; i < MANY_CONNECTIONS; i++)
    client_free (flood->clients[i]);
  response_free (flood->during);
  g_free (flood);
  wait_server_quiet ();
  {
    g_autoptr(Response) response = get (target, NULL);

    g_assert_cmpuint (response->status, ==, 200);
    assert_body_is (response, FILE_SMALL, 0, SMALL_FILE_SIZE);
  }
}

/* The listener answers 503 when the server does not take a connection. */
static void
test_stopped (void)
{
  g_autofree char *target = urn_target (FILE_SMALL);
  g_autoptr(GError) error = NULL;

  shoal_upload_server_stop (fixture.server);
  g_assert_false (shoal_upload_server_get_running (fixture.server));
  {
    g_autoptr(Response) response = get (target, NULL);

    g_assert_cmpuint (response->status, ==, 503);
    g_assert_nonnull (header (response, "Retry-After"));
  }
  g_assert_true (shoal_upload_server_start (fixture.server, &error));
  g_assert_no_error (error);
  {
    g_autoptr(Response) response = get (target, NULL);

    g_assert_cmpuint (response->status, ==, 200);
    assert_body_is (response, FILE_SMALL, 0, SMALL_FILE_SIZE);
  }
}

/* Alternate sources ---------------------------------------------------------------- */

static void
test_alt_locations (void)
{
  const ShoalLibraryFile *small = indexed (FILE_SMALL);
  g_autofree char *target = urn_target (FILE_SMALL);
  g_autofree char *big = urn_target (FILE_BIG);
  ShoalIpv4Endpoint newest = { 0x0a000000 + ALT_LOCATIONS_ADDED, 6346 };
  g_autoptr(GString) expected = g_string_new (NULL);

  for (guint i = 1; i <= ALT_LOCATIONS_ADDED; i++)
    {
      ShoalIpv4Endpoint endpoint = { 0x0a000000 + i, (guint16) (6346 + i % 2) };

      shoal_upload_server_add_alt_location (fixture.server, small->sha1, &endpoint);
    }
  /* The newest ten, newest first. */
  for (guint i = ALT_LOCATIONS_ADDED; i > ALT_LOCATIONS_ADDED - SHOAL_UPLOAD_SERVER_MAX_ALT_LOCATIONS; i--)
    g_string_append_printf (expected, "%s10.0.0.%u:%u", expected->len > 0 ? ", " : "", i, 6346 + i % 2);
  {
    g_autoptr(Response) response = get (target, NULL);
    g_autoptr(Response) other_file = get (big, "Range: bytes=0-0\r\n");

    g_assert_cmpstr (header (response, "X-Alt"), ==, expected->str);
    g_assert_null (header (other_file, "X-Alt"));
  }
  shoal_upload_server_remove_alt_location (fixture.server, small->sha1, &newest);
  {
    g_autoptr(Response) response = get (target, NULL);

    g_assert_true (g_str_has_prefix (header (response, "X-Alt"), "10.0.0.11:6347, "));
  }
  for (guint i = 1; i <= ALT_LOCATIONS_ADDED; i++)
    {
      ShoalIpv4Endpoint endpoint = { 0x0a000000 + i, (guint16) (6346 + i % 2) };

      shoal_upload_server_remove_alt_location (fixture.server, small->sha1, &endpoint);
    }
  {
    g_autoptr(Response) response = get (target, NULL);

    g_assert_null (header (response, "X-Alt"));
  }
}

/* A downloader's X-Alt is remembered and passed on to the next ones. */
static void
test_alt_locations_learnt (void)
{
  const ShoalLibraryFile *small = indexed (FILE_SMALL);
  g_autofree char *target = urn_target (FILE_SMALL);
  ShoalIpv4Endpoint learnt[] = { { 0x0a010203, 6346 }, { 0x0a040506, 6346 } };

  {
    g_autoptr(Response) response = get (target, "X-Alt: 10.1.2.3:6346, 10.4.5.6, tls=8\r\n");

    g_assert_cmpuint (response->status, ==, 200);
  }
  {
    g_autoptr(Response) response = get (target, NULL);
    const char *x_alt = header (response, "X-Alt");

    g_assert_nonnull (x_alt);
    g_assert_nonnull (strstr (x_alt, "10.1.2.3:6346"));
    g_assert_nonnull (strstr (x_alt, "10.4.5.6:6346"));
  }
  for (guint i = 0; i < G_N_ELEMENTS (learnt); i++)
    shoal_upload_server_remove_alt_location (fixture.server, small->sha1, &learnt[i]);
}

/* Browse host ------------------------------------------------------------------------ */

static void
check_browse_hits (const GByteArray        *body,
                   const ShoalHitSelf      *hit_self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  gsize offset = 0;
  guint expected = 0;

  while (offset < body->len)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalMessage) message = NULL;
      gsize consumed = 0;

      message = shoal_message_parse_next (body->data + offset, body->len - offset, &consumed, &error);
      g_assert_no_error (error);
      g_assert_nonnull (message);
      g_assert_cmpuint (message->header.type, ==, SHOAL_MESSAGE_QUERY_HIT);
      g_assert_cmpuint (message->header.hops, ==, 0);
      g_assert_nonnull (message->query_hit);
      g_assert_true (shoal_guid_equal (&message->query_hit->servent_guid, &hit_self->servent_guid));
      g_assert_cmpuint (message->query_hit->endpoint.address, ==, hit_self->endpoint.address);
      g_assert_cmpuint (message->query_hit->endpoint.port, ==, hit_self->endpoint.port);
      g_assert_true (shoal_query_hit_trailer_is_browsable (message->query_hit->trailer));
      for (guint i = 0; i < message->query_hit->records->len; i++)
        {
          const ShoalQueryHitRecord *record = g_ptr_array_index (message->query_hit->records, i);
          guint8 sha1[SHOAL_SHA1_SIZE];
          gboolean found = FALSE;

          g_assert_true (shoal_query_hit_record_get_sha1 (record, sha1));
          for (guint which = 0; which < N_FILES; which++)
            {
              const ShoalLibraryFile *file = fixture.files[which].indexed;

              if (file == NULL || file->index != record->index)
                continue;
              g_assert_cmpstr (record->name, ==, file->name);
              g_assert_cmpmem (sha1, sizeof sha1, file->sha1, sizeof file->sha1);
              found = TRUE;
            }
          g_assert_true (found);
          g_assert_true (g_hash_table_add (seen, GUINT_TO_POINTER (record->index)));
        }
      offset += consumed;
    }
  for (guint which = 0; which < N_FILES; which++)
    if (fixture.files[which].indexed != NULL)
      {
        expected++;
        g_assert_true (g_hash_table_contains (seen, GUINT_TO_POINTER (fixture.files[which].indexed->index)));
      }
  g_assert_cmpuint (g_hash_table_size (seen), ==, expected);
}

static void
test_browse_packets (void)
{
  ShoalHitSelf hit_self = { .endpoint = { 0x7f000001, 6346 }, .speed_kbps = 1000, .browsable = TRUE };
  g_autoptr(Response) chunked = NULL;
  g_autoptr(Response) http_1_0 = NULL;

  shoal_guid_init_modern (&hit_self.servent_guid);
  shoal_upload_server_set_hit_self (fixture.server, &hit_self);
  chunked = get ("/", "Accept: text/html;q=0.5, application/x-gnutella-packets\r\n");
  g_assert_cmpuint (chunked->status, ==, 200);
  g_assert_cmpstr (header (chunked, "Transfer-Encoding"), ==, "chunked");
  g_assert_cmpstr (header (chunked, "Content-Type"), ==, "application/x-gnutella-packets");
  g_assert_cmpstr (header (chunked, "X-Features"), ==, "browse/1.0");
  check_browse_hits (chunked->body, &hit_self);

  /* HTTP/1.0 cannot be chunked: the end of the stream is the close. */
  http_1_0 = exchange ("GET / HTTP/1.0\r\nAccept: application/x-gnutella-packets\r\n\r\n");
  g_assert_cmpuint (http_1_0->status, ==, 200);
  g_assert_null (header (http_1_0, "Transfer-Encoding"));
  check_browse_hits (http_1_0->body, &hit_self);
}

static void
test_browse_html (void)
{
  const ShoalLibraryFile *html_file = indexed (FILE_HTML_NAME);
  g_autoptr(Response) response = get ("/", "Accept: text/html\r\n");
  g_autofree char *href = g_strdup_printf ("href=\"/get/%u/%%3Cscript%%3Ealert%%28%%27x%%27%%29%%26%%22.txt\"",
                                           html_file->index);
  g_autofree char *text = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "Content-Type"), ==, "text/html; charset=utf-8");
  text = g_strndup ((const char *) response->body->data, response->body->len);
  g_assert_nonnull (strstr (text, "&lt;script&gt;alert(&apos;x&apos;)&amp;&quot;.txt"));
  g_assert_null (strstr (text, "<script"));
  g_assert_nonnull (strstr (text, href));
  g_assert_nonnull (strstr (text, "/nested%20file.txt\">nested file.txt</a>"));
  g_assert_true (g_str_has_suffix (text, "</html>\n"));
}

static void
test_browse_disabled (void)
{
  g_autofree char *target = urn_target (FILE_SMALL);

  g_object_set (fixture.server, "browse-host", FALSE, NULL);
  {
    g_autoptr(Response) browse = get ("/", "Accept: application/x-gnutella-packets\r\n");
    g_autoptr(Response) file = get (target, NULL);

    g_assert_cmpuint (browse->status, ==, 403);
    g_assert_cmpuint (file->status, ==, 200);
    g_assert_null (header (file, "X-Features"));
  }
  g_object_set (fixture.server, "browse-host", TRUE, NULL);
}

/* The fixture: a library, indexed once, then served ------------------------------ */

static void
write_file (const char *folder,
            const char *relpath,
            GBytes     *contents)
{
  g_autofree char *path = g_build_filename (folder, relpath, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, g_bytes_get_data (contents, NULL), (gssize) g_bytes_get_size (contents), &error);
  g_assert_no_error (error);
}

static GBytes *
pattern_bytes (gsize   size,
               guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  return g_bytes_new_take (data, size);
}

static GBytes *
text_bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static void
make_share (void)
{
  g_autofree char *secret = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GBytes) secret_bytes = text_bytes (SECRET "\n");

  fixture.files[FILE_SMALL].contents = pattern_bytes (SMALL_FILE_SIZE, 1);
  fixture.files[FILE_BIG].contents = pattern_bytes (BIG_FILE_SIZE, 2);
  fixture.files[FILE_NESTED].contents = text_bytes ("nested\n");
  fixture.files[FILE_HTML_NAME].contents = text_bytes ("a name to escape\n");
  fixture.files[FILE_VICTIM].contents = text_bytes ("to be swapped for a link\n");
  fixture.files[FILE_CHANGED].contents = text_bytes ("to be changed in place\n");
  fixture.files[FILE_SWAPPED].contents = text_bytes ("in a folder to be moved\n");
  fixture.files[FILE_COPY_A].contents = text_bytes ("shared twice\n");
  fixture.files[FILE_COPY_B].contents = text_bytes ("shared twice\n");
  for (guint which = 0; which < FILE_ALIAS; which++)
    write_file (fixture.root, fixture.files[which].relpath, fixture.files[which].contents);
  /* Both links name what they lead to. "linked" leads to a hidden
   * folder, which the scanner does not walk as itself: its file is
   * indexed under the link's name. */
  fixture.files[FILE_ALIAS].contents = text_bytes ("reached through a link\n");
  fixture.files[FILE_ESCAPE_LINK].contents = g_bytes_ref (secret_bytes);
  write_file (fixture.root, ".real/inside.txt", fixture.files[FILE_ALIAS].contents);
  link = g_build_filename (fixture.root, "linked", NULL);
  g_assert_cmpint (symlink (".real", link), ==, 0);

  write_file (fixture.outside, "secret.txt", secret_bytes);
  secret = g_build_filename (fixture.outside, "secret.txt", NULL);
  g_free (link);
  link = g_build_filename (fixture.root, fixture.files[FILE_ESCAPE_LINK].relpath, NULL);
  g_assert_cmpint (symlink (secret, link), ==, 0);
}

static gboolean
library_is_done (gpointer data)
{
  ShoalLibrary *library = data;

  return shoal_library_get_ready (library) && !shoal_library_get_busy (library) &&
         shoal_library_get_file_count (library) > 0 &&
         shoal_library_get_hashed_count (library) == shoal_library_get_file_count (library);
}

typedef struct
{
  GAsyncResult *result;
} Pending;

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  ((Pending *) data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return ((Pending *) data)->result != NULL;
}

/* Indexed and hashed, then the library goes: nothing rescans behind the
 * tests' back when they change files; the server reads the index alone. */
static void
index_share (void)
{
  g_autoptr(ShoalLibrary) library = shoal_library_new (fixture.data_dir);
  g_autoptr(ShoalSharedRoot) root = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL };

  shoal_library_add_root_async (library, fixture.root, NULL, on_root_added, &pending);
  shoal_test_wait_until (has_result, &pending, TEST_TIMEOUT_MS, "the share to be added");
  root = shoal_library_add_root_finish (library, pending.result, &error);
  g_assert_no_error (error);
  g_object_unref (pending.result);
  shoal_test_poll_until (library_is_done, library, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the share to be hashed");
}

static gboolean
remember_file (const ShoalLibraryFile *file,
               gpointer                data)
{
  for (guint which = 0; which < N_FILES; which++)
    if (strcmp (file->relpath, fixture.files[which].relpath) == 0)
      {
        g_assert_null (fixture.files[which].indexed);
        fixture.files[which].indexed = shoal_library_file_copy (file);
        return TRUE;
      }
  g_error ("unexpected file in the index: %s", file->relpath);
  return FALSE;
}

static void
load_index (void)
{
  g_autofree char *path = g_build_filename (fixture.data_dir, "library.db", NULL);
  g_autoptr(ShoalLibraryDb) db = shoal_library_db_open (path, SHOAL_LIBRARY_DB_READ_ONLY, NULL);

  g_assert_nonnull (db);
  g_assert_true (shoal_library_db_foreach_file (db, remember_file, NULL, NULL));
  for (guint which = 0; which < N_FILES; which++)
    if (fixture.files[which].indexed != NULL)
      g_assert_true (fixture.files[which].indexed->has_sha1);
}

static gboolean
on_http_request (ShoalListener *listener,
                 GIOStream     *stream,
                 GBytes        *already_read,
                 gpointer       remote,
                 gpointer       data)
{
  g_assert_cmpuint (g_bytes_get_size (already_read), ==, 0);
  return shoal_upload_server_take (data, G_SOCKET_CONNECTION (stream));
}

static void
start_serving (void)
{
  static const char * const addresses[] = { "127.0.0.1", NULL };
  g_autoptr(GError) error = NULL;

  fixture.server = shoal_upload_server_new (fixture.data_dir);
  g_assert_true (shoal_upload_server_start (fixture.server, &error));
  g_assert_no_error (error);
  fixture.listener = shoal_listener_new (addresses, 0);
  g_signal_connect (fixture.listener, "http-request", G_CALLBACK (on_http_request), fixture.server);
  g_assert_true (shoal_listener_start (fixture.listener, &error));
  g_assert_no_error (error);
  fixture.port = shoal_listener_get_port (fixture.listener);
}

/* The flood test holds two descriptors per connection in this process. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  g_assert_cmpuint (limit.rlim_cur, >, 3 * MANY_CONNECTIONS);
}

static void
setup_fixture (void)
{
  g_autoptr(GError) error = NULL;

  raise_descriptor_limit ();
  fixture.dir = g_dir_make_tmp ("shoal-upload-XXXXXX", &error);
  g_assert_no_error (error);
  fixture.root = g_build_filename (fixture.dir, "share", NULL);
  fixture.outside = g_build_filename (fixture.dir, "outside", NULL);
  fixture.data_dir = g_build_filename (fixture.dir, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture.root, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (fixture.data_dir, 0755), ==, 0);
  make_share ();
  index_share ();
  load_index ();
  start_serving ();
}

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                type,
              struct FTW        *ftw)
{
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

static void
teardown_fixture (void)
{
  shoal_listener_stop (fixture.listener);
  g_clear_object (&fixture.listener);
  g_clear_object (&fixture.server);
  /* Closed connections finish closing on the main loop. */
  shoal_test_wait_ms (50);
  g_assert_cmpint (nftw (fixture.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
  for (guint which = 0; which < N_FILES; which++)
    {
      g_clear_pointer (&fixture.files[which].contents, g_bytes_unref);
      g_clear_pointer (&fixture.files[which].indexed, shoal_library_file_free);
    }
  g_free (fixture.dir);
  g_free (fixture.root);
  g_free (fixture.outside);
  g_free (fixture.data_dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  setup_fixture ();
  g_test_add_func ("/upload-server/get-by-urn", test_get_by_urn);
  g_test_add_func ("/upload-server/get-by-urn-spellings", test_get_by_urn_spellings);
  g_test_add_func ("/upload-server/get-by-index", test_get_by_index);
  g_test_add_func ("/upload-server/head", test_head);
  g_test_add_func ("/upload-server/keep-alive", test_keep_alive);
  g_test_add_func ("/upload-server/ranges", test_ranges);
  g_test_add_func ("/upload-server/vector-headers", test_vector_headers);
  g_test_add_func ("/upload-server/alt-locations", test_alt_locations);
  g_test_add_func ("/upload-server/alt-locations-learnt", test_alt_locations_learnt);
  g_test_add_func ("/upload-server/slots-total", test_slots_total);
  g_test_add_func ("/upload-server/slots-per-ip", test_slots_per_ip);
  g_test_add_func ("/upload-server/capped", test_capped);
  g_test_add_func ("/upload-server/cap-lifted", test_cap_lifted);
  g_test_add_func ("/upload-server/capped-slots", test_capped_slots);
  g_test_add_func ("/upload-server/stop-while-capped", test_stop_while_capped);
  g_test_add_func ("/upload-server/browse-packets", test_browse_packets);
  g_test_add_func ("/upload-server/browse-html", test_browse_html);
  g_test_add_func ("/upload-server/browse-disabled", test_browse_disabled);
  g_test_add_func ("/upload-server/hostile-paths", test_hostile_paths);
  g_test_add_func ("/upload-server/malformed-requests", test_malformed_requests);
  g_test_add_func ("/upload-server/links", test_links);
  g_test_add_func ("/upload-server/file-swapped-for-link", test_file_swapped_for_link);
  g_test_add_func ("/upload-server/folder-swapped-for-link", test_folder_swapped_for_link);
  g_test_add_func ("/upload-server/changed-file", test_changed_file);
  g_test_add_func ("/upload-server/changed-copy", test_changed_copy);
  g_test_add_func ("/upload-server/huge-header", test_huge_header);
  g_test_add_func ("/upload-server/client-never-reads", test_client_never_reads);
  g_test_add_func ("/upload-server/many-connections", test_many_connections);
  g_test_add_func ("/upload-server/stopped", test_stopped);
  status = g_test_run ();
  teardown_fixture ();
  return status;
}
