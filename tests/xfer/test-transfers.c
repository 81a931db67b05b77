/* test-transfers.c — the download manager against sources on loopback:
 * scripted HTTP servers (which can corrupt, die, stall or be busy) and
 * the real upload server; many sources, a dying one, a lying one, a
 * restart, a name clash, a magnet, pause and cancel, a push, two
 * downloads sharing the download cap, and a source filter keeping some
 * sources out. */
#define _GNU_SOURCE  /* nftw() */
#include "shoal-download-plan.h"
#include "shoal-download-store.h"
#include "shoal-handshake.h"
#include "shoal-library.h"
#include "shoal-listener.h"
#include "shoal-test-loop.h"
#include "shoal-transfers.h"
#include "shoal-upload-server.h"
#include "shoal-urn.h"

#include <errno.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Generous: a loaded machine under ASan; every wait ends far sooner. */
#define WAIT_TIMEOUT_MS 30000
#define POLL_INTERVAL_MS 10
#define MIB (1024 * 1024)
#define BIG_FILE_SIZE (16 * MIB)
/* Answers of the scripted server: at most what gtk-gnutella sends, in
 * blocks, with a pause after each block to pace it. */
#define SERVER_MAX_ANSWER (512 * 1024)
#define SERVER_BLOCK_SIZE (64 * 1024)
#define SERVER_READ_SIZE 4096
/* A corrupting server flips one byte in every this many. */
#define CORRUPT_EVERY 1024
/* Two files of 128 KiB under 512 kbit/s (64000 B/s) in all: 4.1 s, 3.85 s
 * after the first quarter second's burst; only a lower bound is checked. */
#define CAPPED_KBPS 512
#define CAPPED_FILE_SIZE (128 * 1024)
#define CAPPED_MIN_MS 3500

/* The scripted server -------------------------------------------------------------- */

/* Bytes one answer sent, [start, end). */
typedef struct
{
  guint64 start;
  guint64 end;
} Served;

typedef struct
{
  GBytes          *content;
  guint8           sha1[SHOAL_SHA1_SIZE];
  GSocketListener *listener;
  GCancellable    *cancellable;   /* stops accepting */
  guint16          port;
  GThread         *accept_thread;

  GMutex           lock;          /* guards everything below */
  GPtrArray       *threads;       /* of GThread, one per connection */
  GPtrArray       *sockets;       /* of GSocket, the open connections */
  GArray          *served;        /* of Served */
  GArray          *request_times; /* of gint64, monotonic */
  guint            requests;
  guint64          bytes_served;
  guint            open_connections;
  guint            accepted;          /* connections ever accepted */
  gboolean         killed;

  /* Behaviour, set before the first request. */
  gboolean         corrupt;
  guint            busy_answers;      /* the first ones are 503 */
  guint            retry_after_s;
  guint64          kill_after_bytes;  /* 0: never dies */
  guint            block_delay_us;
  char            *x_alt;
} Server;

typedef struct
{
  Server    *server;
  GIOStream *stream;
} ConnectionArgs;

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

      if (shoal_header_block_find_end (buffer->data, buffer->len, &end, NULL) ==
          SHOAL_HEADER_SCAN_COMPLETE)
        {
          block = shoal_header_block_parse (buffer->data, end, NULL);
          g_assert_nonnull (block);
          g_byte_array_remove_range (buffer, 0, (guint) end);
          return block;
        }
      n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, NULL);
      if (n_read <= 0)
        return NULL;
      g_byte_array_append (buffer, chunk, (guint) n_read);
    }
}

/* Called with the lock held: no new connection, every open one cut. */
static void
server_kill_locked (Server *server)
{
  server->killed = TRUE;
  g_cancellable_cancel (server->cancellable);
  for (guint i = 0; i < server->sockets->len; i++)
    g_socket_shutdown (g_ptr_array_index (server->sockets, i), TRUE, TRUE, NULL);
}

static gboolean
server_write (GOutputStream *output,
              const void    *data,
              gsize          length)
{
  return g_output_stream_write_all (output, data, length, NULL, NULL, NULL);
}

static gboolean
server_send_head (GOutputStream *output,
                  const char    *head)
{
  return server_write (output, head, strlen (head));
}

/* "bytes=a-b" → [a, b]; b past the end means the end. */
static gboolean
parse_range (const char *value,
             guint64     size,
             guint64    *first,
             guint64    *last)
{
  char *end;

  if (value == NULL || !g_str_has_prefix (value, "bytes="))
    return FALSE;
  *first = g_ascii_strtoull (value + strlen ("bytes="), &end, 10);
  if (*end != '-')
    return FALSE;
  *last = MIN (g_ascii_strtoull (end + 1, NULL, 10), size - 1);
  return *first <= *last;
}

/* Sends [first, last] block by block, noting each block as served. */
static gboolean
server_send_body (Server        *server,
                  GOutputStream *output,
                  guint64        first,
                  guint64        last)
{
  gsize size;
  const guint8 *content = g_bytes_get_data (server->content, &size);
  g_autofree guint8 *block = g_malloc (SERVER_BLOCK_SIZE);
  guint entry;

  g_mutex_lock (&server->lock);
  g_array_append_val (server->served, ((Served) { first, first }));
  entry = server->served->len - 1;
  g_mutex_unlock (&server->lock);
  for (guint64 offset = first; offset <= last; offset += SERVER_BLOCK_SIZE)
    {
      gsize length = (gsize) MIN (SERVER_BLOCK_SIZE, last + 1 - offset);
      gboolean dead;

      memcpy (block, content + offset, length);
      if (server->corrupt)
        for (gsize i = 0; i < length; i++)
          if ((offset + i) % CORRUPT_EVERY == 0)
            block[i] ^= 0xFF;
      if (!server_write (output, block, length))
        return FALSE;
      g_mutex_lock (&server->lock);
      g_array_index (server->served, Served, entry).end = offset + length;
      server->bytes_served += length;
      if (server->kill_after_bytes > 0 && server->bytes_served >= server->kill_after_bytes)
        server_kill_locked (server);
      dead = server->killed;
      g_mutex_unlock (&server->lock);
      if (dead)
        return FALSE;
      if (server->block_delay_us > 0)
        g_usleep (server->block_delay_us);
    }
  return TRUE;
}

/* One request: 404 for another file, 503 while busy, else a 206 of at
 * most SERVER_MAX_ANSWER bytes. FALSE when the connection must end. */
static gboolean
server_answer (Server                 *server,
               GOutputStream          *output,
               const ShoalHeaderBlock *request)
{
  gsize size;
  g_autofree char *urn = NULL;
  g_autofree char *head = NULL;
  guint8 asked[SHOAL_SHA1_SIZE];
  const char *prefix = "/uri-res/N2R?";
  guint64 first, last;
  gboolean busy;

  g_bytes_get_data (server->content, &size);
  g_mutex_lock (&server->lock);
  server->requests++;
  g_array_append_val (server->request_times, ((gint64) { g_get_monotonic_time () }));
  busy = server->busy_answers > 0;
  if (busy)
    server->busy_answers--;
  g_mutex_unlock (&server->lock);

  if (!g_str_has_prefix (request->target, prefix) ||
      !shoal_urn_parse_sha1 (request->target + strlen (prefix),
                             strlen (request->target + strlen (prefix)), asked, NULL) ||
      memcmp (asked, server->sha1, SHOAL_SHA1_SIZE) != 0)
    return server_send_head (output, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  if (busy)
    {
      head = g_strdup_printf ("HTTP/1.1 503 Busy\r\nRetry-After: %u\r\nContent-Length: 0\r\n\r\n",
                              server->retry_after_s);
      return server_send_head (output, head);
    }
  if (!parse_range (shoal_header_block_get (request, "Range"), size, &first, &last))
    return server_send_head (output, "HTTP/1.1 416 Bad Range\r\nContent-Length: 0\r\n\r\n");
  last = MIN (last, first + SERVER_MAX_ANSWER - 1);
  urn = shoal_urn_format_sha1 (server->sha1);
  head = g_strdup_printf ("HTTP/1.1 206 Partial Content\r\n"
                          "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                          "/%" G_GSIZE_FORMAT "\r\n"
                          "Content-Length: %" G_GUINT64_FORMAT "\r\n"
                          "X-Gnutella-Content-URN: %s\r\n"
                          "%s%s%s"
                          "\r\n",
                          first, last, size, last - first + 1, urn,
                          server->x_alt != NULL ? "X-Alt: " : "",
                          server->x_alt != NULL ? server->x_alt : "",
                          server->x_alt != NULL ? "\r\n" : "");
  return server_send_head (output, head) && server_send_body (server, output, first, last);
}

static gpointer
server_serve_connection (gpointer data)
{
  ConnectionArgs *args = data;
  Server *server = args->server;
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (args->stream));
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  GInputStream *input = g_io_stream_get_input_stream (args->stream);
  GOutputStream *output = g_io_stream_get_output_stream (args->stream);

  for (;;)
    {
      g_autoptr(ShoalHeaderBlock) request = server_read_request (input, buffer);

      if (request == NULL || !server_answer (server, output, request))
        break;
    }
  g_mutex_lock (&server->lock);
  g_ptr_array_remove (server->sockets, socket);
  server->open_connections--;
  g_mutex_unlock (&server->lock);
  g_io_stream_close (args->stream, NULL, NULL);
  g_object_unref (args->stream);
  g_free (args);
  return NULL;
}

static gpointer
server_accept (gpointer data)
{
  Server *server = data;

  for (;;)
    {
      GSocketConnection *connection =
        g_socket_listener_accept (server->listener, NULL, server->cancellable, NULL);
      ConnectionArgs *args;

      if (connection == NULL)
        break;
      args = g_new0 (ConnectionArgs, 1);
      args->server = server;
      args->stream = G_IO_STREAM (connection);
      g_mutex_lock (&server->lock);
      if (server->killed)
        {
          g_mutex_unlock (&server->lock);
          g_object_unref (connection);
          g_free (args);
          break;
        }
      server->open_connections++;
      server->accepted++;
      g_ptr_array_add (server->sockets, g_object_ref (g_socket_connection_get_socket (connection)));
      g_ptr_array_add (server->threads,
                       g_thread_new ("test-source", server_serve_connection, args));
      g_mutex_unlock (&server->lock);
    }
  /* A dead source refuses connections from now on. */
  g_socket_listener_close (server->listener);
  return NULL;
}

static Server *
server_new (GBytes *content)
{
  Server *server = g_new0 (Server, 1);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  gsize length = SHOAL_SHA1_SIZE;

  server->content = g_bytes_ref (content);
  g_checksum_update (checksum, g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  g_checksum_get_digest (checksum, server->sha1, &length);
  g_mutex_init (&server->lock);
  server->threads = g_ptr_array_new ();
  server->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  server->served = g_array_new (FALSE, FALSE, sizeof (Served));
  server->request_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  server->cancellable = g_cancellable_new ();
  server->retry_after_s = 1;
  return server;
}

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
  server->accept_thread = g_thread_new ("test-accept", server_accept, server);
}

static void
server_free (Server *server)
{
  g_mutex_lock (&server->lock);
  server_kill_locked (server);
  g_mutex_unlock (&server->lock);
  g_thread_join (server->accept_thread);
  /* No thread is added once the accepting one has ended. */
  for (guint i = 0; i < server->threads->len; i++)
    g_thread_join (g_ptr_array_index (server->threads, i));
  g_ptr_array_unref (server->threads);
  g_ptr_array_unref (server->sockets);
  g_array_unref (server->served);
  g_array_unref (server->request_times);
  g_object_unref (server->listener);
  g_object_unref (server->cancellable);
  g_bytes_unref (server->content);
  g_free (server->x_alt);
  g_mutex_clear (&server->lock);
  g_free (server);
}

static guint64
server_bytes_served (Server *server)
{
  guint64 bytes;

  g_mutex_lock (&server->lock);
  bytes = server->bytes_served;
  g_mutex_unlock (&server->lock);
  return bytes;
}

static guint
server_requests (Server *server)
{
  guint requests;

  g_mutex_lock (&server->lock);
  requests = server->requests;
  g_mutex_unlock (&server->lock);
  return requests;
}

static guint
server_accepted (Server *server)
{
  guint accepted;

  g_mutex_lock (&server->lock);
  accepted = server->accepted;
  g_mutex_unlock (&server->lock);
  return accepted;
}

static gboolean
server_is_idle (gpointer data)
{
  Server *server = data;
  gboolean idle;

  g_mutex_lock (&server->lock);
  idle = server->open_connections == 0;
  g_mutex_unlock (&server->lock);
  return idle;
}

static ShoalIpv4Endpoint
server_endpoint (Server *server)
{
  ShoalIpv4Endpoint endpoint = { .address = 0x7f000001, .port = server->port };

  return endpoint;
}

static char *
server_address (Server *server)
{
  return g_strdup_printf ("127.0.0.1:%u", server->port);
}

/* A port nothing listens on: bound, then closed again. */
static guint16
closed_port (void)
{
  g_autoptr(GBytes) nothing = g_bytes_new_static ("", 0);
  Server *probe = server_new (nothing);
  guint16 port;

  server_start (probe);
  port = probe->port;
  server_free (probe);
  return port;
}

/* Content and fixture -------------------------------------------------------------- */

static GBytes *
make_content (gsize   size,
              guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i += 4)
    {
      guint32 word = g_rand_int (rand);

      memcpy (data + i, &word, MIN (4, size - i));
    }
  return g_bytes_new_take (data, size);
}

static char *
urn_of (Server *server)
{
  return shoal_urn_format_sha1 (server->sha1);
}

typedef struct
{
  char *dir;
  char *data_dir;
  char *download_dir;
} Fixture;

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                type,
              struct FTW        *ftw)
{
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

static void
fixture_init (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("shoal-transfers-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->data_dir = g_build_filename (fixture->dir, "data", NULL);
  fixture->download_dir = g_build_filename (fixture->dir, "downloads", NULL);
}

static void
fixture_clear (Fixture *fixture)
{
  g_assert_cmpint (nftw (fixture->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
  g_free (fixture->dir);
  g_free (fixture->data_dir);
  g_free (fixture->download_dir);
}

static ShoalTransfers *
transfers_new (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  ShoalTransfers *transfers = shoal_transfers_new (fixture->data_dir, fixture->download_dir,
                                                   &error);

  g_assert_no_error (error);
  g_assert_nonnull (transfers);
  return transfers;
}

/* Drops the manager; it must be gone at once (nothing in flight keeps it),
 * and what it left in flight finishes on the main loop. */
static void
transfers_destroy (ShoalTransfers *transfers)
{
  GObject *object = G_OBJECT (transfers);

  g_object_add_weak_pointer (object, (gpointer *) &object);
  g_object_unref (transfers);
  g_assert_null (object);
  shoal_test_wait_ms (100);
}

static char *
part_path_of (Fixture      *fixture,
              const guint8  sha1[SHOAL_SHA1_SIZE])
{
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);
  g_autofree char *name = g_strconcat (urn + strlen ("urn:sha1:"), ".part", NULL);

  return g_build_filename (fixture->data_dir, "downloads", name, NULL);
}

static void
add_source (ShoalTransfers *transfers,
            Server         *server,
            const guint8    sha1[SHOAL_SHA1_SIZE])
{
  ShoalIpv4Endpoint endpoint = server_endpoint (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_transfers_add_source (transfers, sha1, &endpoint, NULL, -1, FALSE, &error));
  g_assert_no_error (error);
}

/* Waiting on a download -------------------------------------------------------------- */

typedef struct
{
  ShoalDownload       *download;
  ShoalDownloadStatus  state;
} StateWait;

static gboolean
download_in_state (gpointer data)
{
  StateWait *wait = data;
  ShoalDownloadStatus state = shoal_download_get_state (wait->download);

  if (state == SHOAL_DOWNLOAD_STATUS_FAILED && wait->state != SHOAL_DOWNLOAD_STATUS_FAILED)
    g_error ("the download failed: %s", shoal_download_get_error (wait->download));
  return state == wait->state;
}

static void
wait_for_state (ShoalDownload       *download,
                ShoalDownloadStatus  state,
                const char          *what)
{
  StateWait wait = { download, state };

  shoal_test_wait_until (download_in_state, &wait, WAIT_TIMEOUT_MS, what);
}

typedef struct
{
  ShoalDownload *download;
  guint64        bytes;
} DoneWait;

static gboolean
download_done_reached (gpointer data)
{
  DoneWait *wait = data;

  return shoal_download_get_done (wait->download) >= wait->bytes;
}

static void
wait_for_done (ShoalDownload *download,
               guint64        bytes)
{
  DoneWait wait = { download, bytes };

  shoal_test_wait_until (download_done_reached, &wait, WAIT_TIMEOUT_MS, "bytes to be synced");
}

static void
assert_file_is (const char *path,
                GBytes     *content)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, g_bytes_get_size (content));
  g_assert_true (memcmp (data, g_bytes_get_data (content, NULL), length) == 0);
}

static void
assert_completed_as (ShoalDownload *download,
                     const char    *expected_path,
                     GBytes        *content)
{
  g_assert_cmpstr (shoal_download_get_path (download), ==, expected_path);
  g_assert_cmpuint (shoal_download_get_size (download), ==, g_bytes_get_size (content));
  g_assert_cmpuint (shoal_download_get_done (download), ==, g_bytes_get_size (content));
  g_assert_null (shoal_download_get_error (download));
  assert_file_is (expected_path, content);
}

static void
count_notification (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    data)
{
  (*(guint *) data)++;
}

/* The download object ----------------------------------------------------------------- */

/* A burst of progress makes one notification at once and one with the
 * last values when the interval is over; a state change sends what is
 * pending first. */
static void
test_notifications_throttled (void)
{
  guint8 sha1[SHOAL_SHA1_SIZE] = { 1, 2, 3 };
  g_autoptr(ShoalDownload) download = shoal_download_new (sha1, "a.bin", 1000);
  guint done_notifications = 0;
  guint rate_notifications = 0;

  g_signal_connect (download, "notify::done", G_CALLBACK (count_notification), &done_notifications);
  g_signal_connect (download, "notify::rate", G_CALLBACK (count_notification), &rate_notifications);
  for (guint i = 1; i <= 100; i++)
    shoal_download_set_progress (download, i, i * 10, 5);
  g_assert_cmpuint (done_notifications, ==, 1);
  g_assert_cmpuint (rate_notifications, ==, 1);
  g_assert_cmpuint (shoal_download_get_done (download), ==, 100);
  shoal_test_wait_ms (SHOAL_DOWNLOAD_NOTIFY_INTERVAL_MS + 100);
  g_assert_cmpuint (done_notifications, ==, 2);
  g_assert_cmpuint (rate_notifications, ==, 2);

  /* Within the interval of the last one: held back, until the state
   * changes. */
  shoal_download_set_progress (download, 200, 10, 5);
  shoal_download_set_progress (download, 300, 10, 5);
  g_assert_cmpuint (done_notifications, ==, 2);
  shoal_download_set_state (download, SHOAL_DOWNLOAD_STATUS_PAUSED, NULL);
  g_assert_cmpuint (done_notifications, ==, 3);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_PAUSED);
  shoal_test_wait_ms (SHOAL_DOWNLOAD_NOTIFY_INTERVAL_MS + 100);
  g_assert_cmpuint (done_notifications, ==, 3);
  g_assert_cmpstr (shoal_download_get_urn (download), ==,
                   "urn:sha1:AEBAGAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

/* Many sources ----------------------------------------------------------------------- */

/* 16 MiB from three sources: every one serves a share, the file is
 * right, the partial file is gone, done notifications are throttled. */
static void
test_three_sources (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (BIG_FILE_SIZE, 1);
  Server *servers[3];
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *part = NULL;
  guint done_notifications = 0;

  fixture_init (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i] = server_new (content);
      servers[i]->block_delay_us = 2000;
      server_start (servers[i]);
    }
  transfers = transfers_new (&fixture);
  urn = urn_of (servers[0]);
  download = shoal_transfers_add_urn (transfers, urn, "big.bin", BIG_FILE_SIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (transfers)), ==, 1);
  g_assert_cmpstr (shoal_download_get_urn (download), ==, urn);
  g_signal_connect (download, "notify::done", G_CALLBACK (count_notification), &done_notifications);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    add_source (transfers, servers[i], servers[0]->sha1);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 3);

  g_assert_cmpuint (shoal_transfers_get_bytes_downloaded (transfers), ==, 0);
  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "big.bin", NULL);
  assert_completed_as (download, expected, content);
  /* Every byte came from a source; endgame duplicates may add some. */
  g_assert_cmpuint (shoal_transfers_get_bytes_downloaded (transfers), >=, BIG_FILE_SIZE);
  part = part_path_of (&fixture, servers[0]->sha1);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    g_assert_cmpuint (server_bytes_served (servers[i]), >=, SHOAL_DOWNLOAD_CHUNK_SIZE);
  g_assert_cmpuint (done_notifications, >, 0);
  g_assert_cmpint (shoal_download_get_eta (download), ==, 0);

  transfers_destroy (g_steal_pointer (&transfers));
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    server_free (servers[i]);
  fixture_clear (&fixture);
}

/* Two downloads from two sources keep to the cap together, set after
 * their connections opened, and arrive whole. */
static void
test_download_cap_shared (void)
{
  Fixture fixture;
  GBytes *contents[2] = { make_content (CAPPED_FILE_SIZE, 11),
                          make_content (CAPPED_FILE_SIZE, 12) };
  g_autoptr(ShoalRateLimit) limit =
    shoal_rate_limit_new (shoal_rate_limit_bytes_for_kbps (CAPPED_KBPS));
  g_autoptr(ShoalTransfers) transfers = NULL;
  ShoalDownload *downloads[2];
  Server *servers[2];
  gint64 started;
  gint64 elapsed_ms;

  fixture_init (&fixture);
  transfers = transfers_new (&fixture);
  started = g_get_monotonic_time ();
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *urn = NULL;
      g_autofree char *name = g_strdup_printf ("capped-%u.bin", i);
      g_autoptr(GError) error = NULL;

      servers[i] = server_new (contents[i]);
      server_start (servers[i]);
      urn = urn_of (servers[i]);
      downloads[i] = shoal_transfers_add_urn (transfers, urn, name, CAPPED_FILE_SIZE, &error);
      g_assert_no_error (error);
      add_source (transfers, servers[i], servers[i]->sha1);
    }
  shoal_transfers_set_rate_limit (transfers, limit);
  g_assert_true (shoal_transfers_get_rate_limit (transfers) == limit);
  for (guint i = 0; i < 2; i++)
    wait_for_state (downloads[i], SHOAL_DOWNLOAD_STATUS_COMPLETED, "a capped download to complete");
  elapsed_ms = (g_get_monotonic_time () - started) / G_TIME_SPAN_MILLISECOND;
  g_test_message ("2 files of %d KiB at %d kbit/s in all: %" G_GINT64_FORMAT " ms",
                  CAPPED_FILE_SIZE / 1024, CAPPED_KBPS, elapsed_ms);
  g_assert_cmpint (elapsed_ms, >=, CAPPED_MIN_MS);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("capped-%u.bin", i);
      g_autofree char *expected = g_build_filename (fixture.download_dir, name, NULL);

      assert_completed_as (downloads[i], expected, contents[i]);
      g_object_unref (downloads[i]);
    }

  transfers_destroy (g_steal_pointer (&transfers));
  for (guint i = 0; i < 2; i++)
    {
      server_free (servers[i]);
      g_bytes_unref (contents[i]);
    }
  fixture_clear (&fixture);
}

/* A source that dies halfway: the others finish the file. */
static void
test_source_dies (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (8 * MIB, 2);
  Server *servers[3];
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;

  fixture_init (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i] = server_new (content);
      servers[i]->block_delay_us = 5000;
      server_start (servers[i]);
    }
  servers[0]->kill_after_bytes = 2 * MIB;
  transfers = transfers_new (&fixture);
  urn = urn_of (servers[0]);
  download = shoal_transfers_add_urn (transfers, urn, "dies.bin", 8 * MIB, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    add_source (transfers, servers[i], servers[0]->sha1);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "dies.bin", NULL);
  assert_completed_as (download, expected, content);
  g_assert_cmpuint (server_bytes_served (servers[0]), >=, 2 * MIB);
  g_assert_cmpuint (server_bytes_served (servers[0]), <, 8 * MIB);
  g_assert_cmpuint (server_bytes_served (servers[1]) + server_bytes_served (servers[2]), >=,
                    6 * MIB);

  transfers_destroy (g_steal_pointer (&transfers));
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    server_free (servers[i]);
  fixture_clear (&fixture);
}

static const ShoalStoredSource *
find_stored_source (GPtrArray *sources,
                    guint16    port)
{
  for (guint i = 0; i < sources->len; i++)
    {
      const ShoalStoredSource *source = g_ptr_array_index (sources, i);

      if (source->endpoint.port == port)
        return source;
    }
  g_assert_not_reached ();
  return NULL;
}

/* A source that corrupts every answer: the mismatch is traced to it, it
 * is banned (in the store too), and the file completes right. */
static void
test_liar_is_banned (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (4 * MIB, 3);
  Server *servers[3];
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  g_autoptr(ShoalStoredDownload) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  guint64 liar_served_before;

  fixture_init (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i] = server_new (content);
      servers[i]->block_delay_us = 5000;
      server_start (servers[i]);
    }
  servers[2]->corrupt = TRUE;
  transfers = transfers_new (&fixture);
  urn = urn_of (servers[0]);
  download = shoal_transfers_add_urn (transfers, urn, "liar.bin", 4 * MIB, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    add_source (transfers, servers[i], servers[0]->sha1);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_VERIFYING, "the first verification");
  liar_served_before = server_bytes_served (servers[2]);
  g_assert_cmpuint (liar_served_before, >=, SHOAL_DOWNLOAD_CHUNK_SIZE);
  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "liar.bin", NULL);
  assert_completed_as (download, expected, content);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 2);
  transfers_destroy (g_steal_pointer (&transfers));

  store = shoal_download_store_open (fixture.data_dir, &error);
  g_assert_no_error (error);
  stored = shoal_download_store_find_sha1 (store, servers[0]->sha1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->state, ==, SHOAL_DOWNLOAD_STATE_COMPLETE);
  sources = shoal_download_store_list_sources (store, stored->id, &error);
  g_assert_no_error (error);
  g_assert_true (find_stored_source (sources, servers[2]->port)->banned);
  g_assert_false (find_stored_source (sources, servers[0]->port)->banned);
  g_assert_false (find_stored_source (sources, servers[1]->port)->banned);

  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    server_free (servers[i]);
  fixture_clear (&fixture);
}

/* Restart ----------------------------------------------------------------------------- */

static GArray *
served_since (Server *server,
              guint   mark)
{
  GArray *served = g_array_new (FALSE, FALSE, sizeof (Served));

  g_mutex_lock (&server->lock);
  g_array_append_vals (served, &g_array_index (server->served, Served, mark),
                       server->served->len - mark);
  g_mutex_unlock (&server->lock);
  return served;
}

/* The manager goes away mid-download and a new one starts on the same
 * folders: it resumes, and no byte the record held is fetched again. */
static void
test_restart_resumes (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (BIG_FILE_SIZE, 4);
  Server *servers[3];
  guint marks[3];
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(ShoalDownloadPlan) before = NULL;
  g_autoptr(GArray) done_before = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  guint64 served_after = 0;
  ShoalDownload *restored;

  fixture_init (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i] = server_new (content);
      servers[i]->block_delay_us = 20000;
      server_start (servers[i]);
    }
  transfers = transfers_new (&fixture);
  urn = urn_of (servers[0]);
  download = shoal_transfers_add_urn (transfers, urn, "restart.bin", BIG_FILE_SIZE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    add_source (transfers, servers[i], servers[0]->sha1);
  wait_for_done (download, 4 * MIB);
  transfers_destroy (g_steal_pointer (&transfers));
  g_assert_cmpint (shoal_download_get_state (download), !=, SHOAL_DOWNLOAD_STATUS_COMPLETED);
  g_clear_object (&download);

  /* What the record holds is what must never be fetched again. */
  {
    g_autoptr(ShoalDownloadStore) store = shoal_download_store_open (fixture.data_dir, &error);
    g_autoptr(ShoalStoredDownload) stored = NULL;

    g_assert_no_error (error);
    stored = shoal_download_store_find_sha1 (store, servers[0]->sha1, &error);
    g_assert_no_error (error);
    before = shoal_download_plan_new_from_record (BIG_FILE_SIZE, stored->done_ranges, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (shoal_download_plan_bytes_done (before), >=, 4 * MIB);
  g_assert_cmpuint (shoal_download_plan_bytes_done (before), <, BIG_FILE_SIZE);
  done_before = shoal_download_plan_get_done (before);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      shoal_test_poll_until (server_is_idle, servers[i], POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                             "the old connections to close");
      marks[i] = servers[i]->served->len;
    }

  transfers = transfers_new (&fixture);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (transfers)), ==, 1);
  restored = shoal_transfers_find (transfers, servers[0]->sha1);
  g_assert_nonnull (restored);
  g_assert_cmpuint (shoal_download_get_done (restored), ==,
                    shoal_download_plan_bytes_done (before));
  g_assert_cmpuint (shoal_download_get_sources (restored), ==, 3);
  wait_for_state (restored, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the resumed download to complete");
  expected = g_build_filename (fixture.download_dir, "restart.bin", NULL);
  assert_completed_as (restored, expected, content);

  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      g_autoptr(GArray) served = served_since (servers[i], marks[i]);

      for (guint s = 0; s < served->len; s++)
        {
          const Served *answer = &g_array_index (served, Served, s);

          served_after += answer->end - answer->start;
          for (guint d = 0; d < done_before->len; d++)
            {
              const ShoalDownloadRange *done = &g_array_index (done_before, ShoalDownloadRange, d);

              g_assert_true (answer->end <= done->start || done->end <= answer->start);
            }
        }
    }
  g_assert_cmpuint (served_after, >=, BIG_FILE_SIZE - shoal_download_plan_bytes_done (before));

  transfers_destroy (g_steal_pointer (&transfers));
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    server_free (servers[i]);
  fixture_clear (&fixture);
}

/* The real upload server, and a name clash ------------------------------------------------ */

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

static gboolean
library_is_hashed (gpointer data)
{
  ShoalLibrary *library = data;

  return shoal_library_get_ready (library) && !shoal_library_get_busy (library) &&
         shoal_library_get_file_count (library) > 0 &&
         shoal_library_get_hashed_count (library) == shoal_library_get_file_count (library);
}

static gboolean
on_http_request (ShoalListener *listener,
                 GIOStream     *stream,
                 GBytes        *already_read,
                 gpointer       remote,
                 gpointer       data)
{
  return shoal_upload_server_take (data, G_SOCKET_CONNECTION (stream));
}

static void
index_share (const char *library_dir,
             const char *share_dir)
{
  g_autoptr(ShoalLibrary) library = shoal_library_new (library_dir);
  g_autoptr(ShoalSharedRoot) root = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL };

  shoal_library_add_root_async (library, share_dir, NULL, on_root_added, &pending);
  shoal_test_wait_until (has_result, &pending, WAIT_TIMEOUT_MS, "the share to be added");
  root = shoal_library_add_root_finish (library, pending.result, &error);
  g_assert_no_error (error);
  g_object_unref (pending.result);
  shoal_test_poll_until (library_is_hashed, library, POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                         "the share to be hashed");
}

static void
write_file (const char *dir,
            const char *name,
            GBytes     *content)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (content, NULL),
                                      (gssize) g_bytes_get_size (content), &error));
  g_assert_no_error (error);
}

/* From a library shared by the real upload server, into a download
 * folder that already holds "song.ogg" and "song (1).ogg": the new file
 * is "song (2).ogg" and the others are untouched. */
static void
test_name_clash_with_upload_server (void)
{
  static const char * const addresses[] = { "127.0.0.1", NULL };
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (MIB + 123, 5);
  g_autoptr(GBytes) other = make_content (1000, 6);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autoptr(ShoalUploadServer) upload_server = NULL;
  g_autoptr(ShoalListener) listener = NULL;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *share_dir = NULL;
  g_autofree char *library_dir = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize sha1_length = sizeof sha1;
  ShoalIpv4Endpoint endpoint = { .address = 0x7f000001 };

  fixture_init (&fixture);
  share_dir = g_build_filename (fixture.dir, "share", NULL);
  library_dir = g_build_filename (fixture.dir, "library", NULL);
  write_file (share_dir, "song.ogg", content);
  index_share (library_dir, share_dir);
  upload_server = shoal_upload_server_new (library_dir);
  g_assert_true (shoal_upload_server_start (upload_server, &error));
  g_assert_no_error (error);
  listener = shoal_listener_new (addresses, 0);
  g_signal_connect (listener, "http-request", G_CALLBACK (on_http_request), upload_server);
  g_assert_true (shoal_listener_start (listener, &error));
  g_assert_no_error (error);
  endpoint.port = shoal_listener_get_port (listener);

  write_file (fixture.download_dir, "song.ogg", other);
  write_file (fixture.download_dir, "song (1).ogg", other);
  g_checksum_update (checksum, g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  g_checksum_get_digest (checksum, sha1, &sha1_length);
  urn = shoal_urn_format_sha1 (sha1);
  transfers = transfers_new (&fixture);
  download = shoal_transfers_add_urn (transfers, urn, "song.ogg", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_download_get_size (download), ==, 0);
  g_assert_true (shoal_transfers_add_source (transfers, sha1, &endpoint, NULL, -1, FALSE, &error));
  g_assert_no_error (error);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "song (2).ogg", NULL);
  assert_completed_as (download, expected, content);
  first = g_build_filename (fixture.download_dir, "song.ogg", NULL);
  second = g_build_filename (fixture.download_dir, "song (1).ogg", NULL);
  assert_file_is (first, other);
  assert_file_is (second, other);

  transfers_destroy (g_steal_pointer (&transfers));
  shoal_listener_stop (listener);
  shoal_upload_server_stop (upload_server);
  shoal_test_wait_ms (50);
  fixture_clear (&fixture);
}

/* Magnets, busy sources ------------------------------------------------------------------ */

/* A magnet without xl: an xs URL and an as address are its sources, the
 * size comes with the first answer, and the third source is learnt from
 * the first one's X-Alt. The same magnet again gives the same download. */
static void
test_magnet_sources (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (4 * MIB, 7);
  Server *servers[3];
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(ShoalDownload) again = NULL;
  g_autoptr(ShoalDownload) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *magnet = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *as_address = NULL;
  guint size_notifications = 0;

  fixture_init (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i] = server_new (content);
      servers[i]->block_delay_us = 10000;
    }
  /* The first source names the third, which must listen by then. */
  server_start (servers[2]);
  servers[0]->x_alt = server_address (servers[2]);
  server_start (servers[0]);
  server_start (servers[1]);
  urn = urn_of (servers[0]);
  as_address = server_address (servers[1]);
  magnet = g_strdup_printf ("magnet:?xt=%s&dn=magnet%%20file.bin"
                            "&xs=http://127.0.0.1:%u/uri-res/N2R?%s&as=%s&xs=push://nowhere",
                            urn, servers[0]->port, urn, as_address);
  transfers = transfers_new (&fixture);

  refused = shoal_transfers_add_magnet (transfers, "magnet:?dn=no-hash.bin", &error);
  g_assert_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID);
  g_assert_null (refused);
  g_clear_error (&error);

  download = shoal_transfers_add_magnet (transfers, magnet, &error);
  g_assert_no_error (error);
  g_signal_connect (download, "notify::size", G_CALLBACK (count_notification), &size_notifications);
  g_assert_cmpstr (shoal_download_get_name (download), ==, "magnet file.bin");
  g_assert_cmpuint (shoal_download_get_size (download), ==, 0);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 2);
  again = shoal_transfers_add_magnet (transfers, magnet, &error);
  g_assert_no_error (error);
  g_assert_true (again == download);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (transfers)), ==, 1);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "magnet file.bin", NULL);
  assert_completed_as (download, expected, content);
  g_assert_cmpuint (size_notifications, ==, 1);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    g_assert_cmpuint (server_bytes_served (servers[i]), >, 0);

  transfers_destroy (g_steal_pointer (&transfers));
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    server_free (servers[i]);
  fixture_clear (&fixture);
}

/* A 503 with Retry-After: 1 parks the source for a second, no longer,
 * and counts as no failure. */
static void
test_busy_source_waits (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (MIB, 8);
  Server *server;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  gint64 first, second;

  fixture_init (&fixture);
  server = server_new (content);
  server->busy_answers = 2;
  server_start (server);
  transfers = transfers_new (&fixture);
  urn = urn_of (server);
  download = shoal_transfers_add_urn (transfers, urn, "busy.bin", MIB, &error);
  g_assert_no_error (error);
  add_source (transfers, server, server->sha1);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "busy.bin", NULL);
  assert_completed_as (download, expected, content);
  g_assert_cmpuint (server_requests (server), >=, 4);
  for (guint i = 0; i < 2; i++)
    {
      first = g_array_index (server->request_times, gint64, i);
      second = g_array_index (server->request_times, gint64, i + 1);
      g_assert_cmpint (second - first, >=, G_USEC_PER_SEC);
      g_assert_cmpint (second - first, <, 3 * G_USEC_PER_SEC);
    }
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 1);

  transfers_destroy (g_steal_pointer (&transfers));
  server_free (server);
  fixture_clear (&fixture);
}

/* Pause, resume, cancel ------------------------------------------------------------------- */

static gboolean
server_has_served (gpointer data)
{
  return server_bytes_served (data) > 0;
}

/* The partial file is created sparse at its size; pausing stops the
 * traffic, resuming restarts it; cancelling with delete removes the
 * partial file, the row and the list entry. */
static void
test_pause_and_cancel (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (4 * MIB, 9);
  Server *server;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(ShoalStoredDownload) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *part = NULL;
  guint64 served;
  struct stat st;

  fixture_init (&fixture);
  server = server_new (content);
  server->block_delay_us = 50000;
  server_start (server);
  transfers = transfers_new (&fixture);
  urn = urn_of (server);
  download = shoal_transfers_add_urn (transfers, urn, "cancel.bin", 4 * MIB, &error);
  g_assert_no_error (error);
  part = part_path_of (&fixture, server->sha1);
  g_assert_cmpint (g_stat (part, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 4 * MIB);
  g_assert_cmpint ((gint64) st.st_blocks * 512, <, 4 * MIB);
  add_source (transfers, server, server->sha1);
  shoal_test_poll_until (server_has_served, server, POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                         "the first bytes");
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_RUNNING);

  g_assert_true (shoal_transfers_pause (transfers, download, &error));
  g_assert_no_error (error);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_PAUSED);
  g_assert_false (shoal_transfers_pause (transfers, download, &error));
  g_assert_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_STATE);
  g_clear_error (&error);
  shoal_test_poll_until (server_is_idle, server, POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                         "the paused connection to close");
  served = server_bytes_served (server);
  shoal_test_wait_ms (300);
  g_assert_cmpuint (server_bytes_served (server), ==, served);
  g_assert_true (shoal_transfers_resume (transfers, download, &error));
  g_assert_no_error (error);
  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_RUNNING, "the download to run again");

  g_assert_true (shoal_transfers_cancel (transfers, download, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_CANCELLED);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (transfers)), ==, 0);
  g_assert_null (shoal_transfers_find (transfers, server->sha1));
  shoal_test_poll_until (server_is_idle, server, POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                         "the cancelled connection to close");
  store = shoal_download_store_open (fixture.data_dir, &error);
  g_assert_no_error (error);
  stored = shoal_download_store_find_sha1 (store, server->sha1, &error);
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_assert_null (stored);

  transfers_destroy (g_steal_pointer (&transfers));
  server_free (server);
  fixture_clear (&fixture);
}

/* Push ------------------------------------------------------------------------------------- */

typedef struct
{
  gboolean       emitted;
  ShoalDownload *download;
  ShoalGuid      guid;
  guint          file_index;
} PushSeen;

static void
on_push_needed (ShoalTransfers *transfers,
                ShoalDownload  *download,
                gpointer        guid,
                guint           file_index,
                gpointer        data)
{
  PushSeen *seen = data;

  seen->emitted = TRUE;
  seen->download = download;
  seen->guid = *(const ShoalGuid *) guid;
  seen->file_index = file_index;
}

/* A firewalled source from a search hit is never dialled: push-needed
 * names it, and the connection handed over by take_giv() fetches the
 * whole file. */
static void
test_push_and_giv (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (MIB + 5, 10);
  Server *server;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *address = NULL;
  ShoalIpv4Endpoint pushed = { 0x7f000001, 0 };
  ShoalGuid pushed_guid;
  ShoalGuid stranger;
  PushSeen seen = { FALSE };

  fixture_init (&fixture);
  server = server_new (content);
  server_start (server);
  /* As a search hit from a firewalled servent names it. */
  pushed.port = closed_port ();
  shoal_guid_init_modern (&pushed_guid);
  transfers = transfers_new (&fixture);
  g_signal_connect (transfers, "push-needed", G_CALLBACK (on_push_needed), &seen);

  {
    g_autofree char *urn = urn_of (server);

    download = shoal_transfers_add_urn (transfers, urn, "pushed.bin", MIB + 5, &error);
    g_assert_no_error (error);
  }
  g_assert_true (shoal_transfers_add_source (transfers, server->sha1, &pushed, &pushed_guid, 7,
                                             TRUE, &error));
  g_assert_no_error (error);
  shoal_test_wait_flag (&seen.emitted, WAIT_TIMEOUT_MS, "push-needed");
  g_assert_true (seen.download == download);
  g_assert_true (shoal_guid_equal (&seen.guid, &pushed_guid));
  g_assert_cmpuint (seen.file_index, ==, 7);
  shoal_test_wait_ms (300);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_QUEUED);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 1);

  /* The uploader's connection back: here simply one to the server. */
  address = server_address (server);
  connection = g_socket_client_connect_to_host (client, address, 0, NULL, &error);
  g_assert_no_error (error);
  shoal_guid_init_modern (&stranger);
  g_assert_false (shoal_transfers_take_giv (transfers, G_IO_STREAM (connection), &stranger, 7,
                                            "pushed.bin"));
  g_assert_true (shoal_transfers_take_giv (transfers, G_IO_STREAM (connection), &seen.guid, 7,
                                           "pushed.bin"));
  g_clear_object (&connection);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the pushed download to complete");
  expected = g_build_filename (fixture.download_dir, "pushed.bin", NULL);
  assert_completed_as (download, expected, content);
  g_assert_cmpuint (server_requests (server), >=, 3);

  transfers_destroy (g_steal_pointer (&transfers));
  server_free (server);
  fixture_clear (&fixture);
}

/* Source filter ---------------------------------------------------------------------- */

typedef struct
{
  guint16 port;       /* refused */
  guint   destroyed;  /* times the filter let go of it */
} RefusedPort;

/* Lets in loopback sources but the one at @data's port, firewalled or
 * not: nothing a test names elsewhere (8.8.8.8…) could be dialled even by
 * mistake. */
static gboolean
refuse_port (const ShoalIpv4Endpoint *endpoint,
             gboolean                 push_needed,
             gpointer                 data)
{
  const RefusedPort *refused = data;

  return endpoint->address == 0x7f000001 && endpoint->port != refused->port;
}

static void
count_destroyed (gpointer data)
{
  ((RefusedPort *) data)->destroyed++;
}

/* A magnet naming a refused and an allowed source, the allowed one's
 * X-Alt naming the refused one and an internet host, and a refused
 * firewalled source: only the allowed source is ever connected to, no
 * push is asked for, and every refusal is counted. */
static void
test_filter_keeps_sources_out (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (MIB, 13);
  Server *allowed;
  Server *refused;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(ShoalStoredDownload) stored = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *magnet = NULL;
  g_autofree char *expected = NULL;
  ShoalIpv4Endpoint pushed = { 0x7f000001, 0 };
  ShoalGuid pushed_guid;
  PushSeen seen = { FALSE };
  RefusedPort filter = { 0 };

  fixture_init (&fixture);
  allowed = server_new (content);
  refused = server_new (content);
  server_start (refused);
  allowed->x_alt = g_strdup_printf ("127.0.0.1:%u, 8.8.8.8:6346", refused->port);
  server_start (allowed);
  urn = urn_of (allowed);
  magnet = g_strdup_printf ("magnet:?xt=%s&dn=filtered.bin"
                            "&xs=http://127.0.0.1:%u/uri-res/N2R?%s&as=127.0.0.1:%u",
                            urn, refused->port, urn, allowed->port);
  transfers = transfers_new (&fixture);
  filter.port = refused->port;
  /* The data of a filter replaced is let go of at once, the last one's
   * when the transfers go. */
  shoal_transfers_set_source_filter (transfers, refuse_port, &filter, count_destroyed);
  shoal_transfers_set_source_filter (transfers, refuse_port, &filter, count_destroyed);
  g_assert_cmpuint (filter.destroyed, ==, 1);
  g_signal_connect (transfers, "push-needed", G_CALLBACK (on_push_needed), &seen);

  download = shoal_transfers_add_magnet (transfers, magnet, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 1);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);
  /* A firewalled source there is never pushed either. */
  pushed.port = refused->port;
  shoal_guid_init_modern (&pushed_guid);
  g_assert_true (shoal_transfers_add_source (transfers, allowed->sha1, &pushed, &pushed_guid, 3,
                                             TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 2);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 1);

  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "filtered.bin", NULL);
  assert_completed_as (download, expected, content);
  /* Each answer's X-Alt offered both again: two more refusals per answer
   * (an answer cut short by the end may not be read). */
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), >=, 2 + 2);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), <=,
                    2 + 2 * (guint64) server_requests (allowed));
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 1);
  g_assert_cmpuint (server_accepted (refused), ==, 0);
  g_assert_false (seen.emitted);

  /* Nothing refused reached the store. */
  store = shoal_download_store_open (fixture.data_dir, &error);
  g_assert_no_error (error);
  stored = shoal_download_store_find_sha1 (store, allowed->sha1, &error);
  g_assert_no_error (error);
  sources = shoal_download_store_list_sources (store, stored->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sources->len, ==, 1);
  g_assert_cmpuint (((ShoalStoredSource *) g_ptr_array_index (sources, 0))->endpoint.port, ==,
                    allowed->port);

  g_assert_cmpuint (filter.destroyed, ==, 1);
  transfers_destroy (g_steal_pointer (&transfers));
  g_assert_cmpuint (filter.destroyed, ==, 2);
  server_free (allowed);
  server_free (refused);
  fixture_clear (&fixture);
}

/* Sources stored by a run without the filter: the next run, filtered
 * right after it starts, never dials the refused one; lifting the filter
 * takes it back, and it stayed in the store all along. */
static void
test_filter_sets_aside_stored_sources (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (MIB, 14);
  Server *allowed;
  Server *refused;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  ShoalDownload *restored;
  RefusedPort filter = { 0 };

  fixture_init (&fixture);
  allowed = server_new (content);
  refused = server_new (content);
  server_start (allowed);
  server_start (refused);
  urn = urn_of (allowed);

  /* Paused while its sources are added: nothing is dialled; then
   * recorded as queued, as a run stopped mid-download leaves it. */
  transfers = transfers_new (&fixture);
  download = shoal_transfers_add_urn (transfers, urn, "stored.bin", MIB, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_transfers_pause (transfers, download, &error));
  g_assert_no_error (error);
  add_source (transfers, refused, allowed->sha1);
  add_source (transfers, allowed, allowed->sha1);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 2);
  transfers_destroy (g_steal_pointer (&transfers));
  g_clear_object (&download);
  {
    g_autoptr(ShoalDownloadStore) store = shoal_download_store_open (fixture.data_dir, &error);
    g_autoptr(ShoalStoredDownload) stored = NULL;

    g_assert_no_error (error);
    stored = shoal_download_store_find_sha1 (store, allowed->sha1, &error);
    g_assert_no_error (error);
    g_assert_true (shoal_download_store_set_state (store, stored->id, SHOAL_DOWNLOAD_STATE_QUEUED,
                                                   NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (server_accepted (allowed) + server_accepted (refused), ==, 0);

  transfers = transfers_new (&fixture);
  filter.port = refused->port;
  shoal_transfers_set_source_filter (transfers, refuse_port, &filter, NULL);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);
  restored = shoal_transfers_find (transfers, allowed->sha1);
  g_assert_nonnull (restored);
  g_assert_cmpuint (shoal_download_get_sources (restored), ==, 1);
  wait_for_state (restored, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the restored download to complete");
  expected = g_build_filename (fixture.download_dir, "stored.bin", NULL);
  assert_completed_as (restored, expected, content);
  g_assert_cmpuint (server_accepted (allowed), >=, 1);
  g_assert_cmpuint (server_accepted (refused), ==, 0);
  /* Set aside once, however often the filter is set again. */
  shoal_transfers_set_source_filter (transfers, refuse_port, &filter, NULL);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);

  shoal_transfers_set_source_filter (transfers, NULL, NULL, NULL);
  g_assert_cmpuint (shoal_download_get_sources (restored), ==, 2);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);

  transfers_destroy (g_steal_pointer (&transfers));
  server_free (allowed);
  server_free (refused);
  fixture_clear (&fixture);
}

/* A filter whose answer changes while it stays set (LAN peers come and
 * go): the @refusing flag, for the source at @port. */
typedef struct
{
  guint16  port;
  gboolean refusing;
} LiveFilter;

static gboolean
refuse_while_flagged (const ShoalIpv4Endpoint *endpoint,
                      gboolean                 push_needed,
                      gpointer                 data)
{
  const LiveFilter *filter = data;

  return endpoint->address == 0x7f000001 && !(filter->refusing && endpoint->port == filter->port);
}

static gboolean
has_no_source (gpointer download)
{
  return shoal_download_get_sources (download) == 0;
}

/* Asked again (as the servent does when LAN peers come or go), the
 * filter sets aside a source it stops letting in, and takes it back once
 * it does again, without being set anew. */
static void
test_filter_followed_live (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (MIB, 16);
  Server *server;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  g_autofree char *expected = NULL;
  LiveFilter filter = { 0 };

  fixture_init (&fixture);
  server = server_new (content);
  server_start (server);
  urn = urn_of (server);
  transfers = transfers_new (&fixture);
  filter.port = server->port;
  shoal_transfers_set_source_filter (transfers, refuse_while_flagged, &filter, NULL);

  download = shoal_transfers_add_urn (transfers, urn, "live.bin", MIB, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_transfers_pause (transfers, download, &error));
  g_assert_no_error (error);
  add_source (transfers, server, server->sha1);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 1);

  filter.refusing = TRUE;
  shoal_transfers_refilter_sources (transfers);
  g_assert_true (shoal_transfers_resume (transfers, download, &error));
  g_assert_no_error (error);
  shoal_test_wait_until (has_no_source, download, WAIT_TIMEOUT_MS, "the source set aside");
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);
  g_assert_cmpuint (server_accepted (server), ==, 0);

  filter.refusing = FALSE;
  shoal_transfers_refilter_sources (transfers);
  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_COMPLETED, "the download to complete");
  expected = g_build_filename (fixture.download_dir, "live.bin", NULL);
  assert_completed_as (download, expected, content);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);

  transfers_destroy (g_steal_pointer (&transfers));
  server_free (server);
  fixture_clear (&fixture);
}

/* A filter set while a source is being fetched from closes its
 * connection, and the download waits for a source it lets in. */
static void
test_filter_closes_running_source (void)
{
  Fixture fixture;
  g_autoptr(GBytes) content = make_content (4 * MIB, 15);
  Server *server;
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  guint64 served;
  RefusedPort filter = { 0 };

  fixture_init (&fixture);
  server = server_new (content);
  server->block_delay_us = 50000;
  server_start (server);
  transfers = transfers_new (&fixture);
  urn = urn_of (server);
  download = shoal_transfers_add_urn (transfers, urn, "closed.bin", 4 * MIB, &error);
  g_assert_no_error (error);
  add_source (transfers, server, server->sha1);
  shoal_test_poll_until (server_has_served, server, POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                         "the first bytes");

  filter.port = server->port;
  shoal_transfers_set_source_filter (transfers, refuse_port, &filter, NULL);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 1);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, 0);
  shoal_test_poll_until (server_is_idle, server, POLL_INTERVAL_MS, WAIT_TIMEOUT_MS,
                         "the refused source's connection to close");
  wait_for_state (download, SHOAL_DOWNLOAD_STATUS_QUEUED, "the download to wait");
  served = server_bytes_served (server);
  shoal_test_wait_ms (300);
  g_assert_cmpuint (server_bytes_served (server), ==, served);
  g_assert_cmpuint (server_accepted (server), ==, 1);

  transfers_destroy (g_steal_pointer (&transfers));
  server_free (server);
  fixture_clear (&fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/download/notifications-throttled", test_notifications_throttled);
  g_test_add_func ("/transfers/three-sources", test_three_sources);
  g_test_add_func ("/transfers/download-cap-shared", test_download_cap_shared);
  g_test_add_func ("/transfers/source-dies", test_source_dies);
  g_test_add_func ("/transfers/liar-is-banned", test_liar_is_banned);
  g_test_add_func ("/transfers/restart-resumes", test_restart_resumes);
  g_test_add_func ("/transfers/name-clash-with-upload-server", test_name_clash_with_upload_server);
  g_test_add_func ("/transfers/magnet-sources", test_magnet_sources);
  g_test_add_func ("/transfers/busy-source-waits", test_busy_source_waits);
  g_test_add_func ("/transfers/pause-and-cancel", test_pause_and_cancel);
  g_test_add_func ("/transfers/push-and-giv", test_push_and_giv);
  g_test_add_func ("/transfers/filter-keeps-sources-out", test_filter_keeps_sources_out);
  g_test_add_func ("/transfers/filter-sets-aside-stored-sources",
                   test_filter_sets_aside_stored_sources);
  g_test_add_func ("/transfers/filter-closes-running-source", test_filter_closes_running_source);
  g_test_add_func ("/transfers/filter-followed-live", test_filter_followed_live);

  return g_test_run ();
}
