/* test-uploads.c — the upload server's uploads list: a ShoalUpload per
 * connection and file, its progress and end, the signals on the thread
 * that made the server, the cap on finished uploads, uploads stopped on
 * purpose, and the list as ShoalTransfers hands it to front ends. */
#include "shoal-library.h"
#include "shoal-listener.h"
#include "shoal-test-loop.h"
#include "shoal-transfers.h"
#include "shoal-upload-server.h"
#include "shoal-urn.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>

#define TEST_TIMEOUT_MS 30000
#define POLL_INTERVAL_MS 5
#define CLIENT_TIMEOUT_SECONDS 15
#define READ_CHUNK 65536
#define SMALL_FILE_SIZE 1000
#define OTHER_FILE_SIZE 500
/* Larger than what the kernel buffers on loopback between the server's
 * sendfile() and a client that reads nothing (its receive buffer kept
 * at CLIENT_RECEIVE_BUFFER): the body is still going out when it leaves. */
#define BIG_FILE_SIZE (16 * 1024 * 1024)
#define CLIENT_RECEIVE_BUFFER 4096
/* Slots are not what these tests are about. */
#define TEST_MAX_UPLOADS 100
#define USER_AGENT "gtk-gnutella/1.2.2 (2022-02-25; GTK2; Linux x86_64)"

enum
{
  FILE_SMALL,
  FILE_OTHER,
  FILE_BIG,
  N_FILES
};

static const char * const file_names[N_FILES] = { "small.txt", "other.txt", "big.bin" };
static const gsize file_sizes[N_FILES] = { SMALL_FILE_SIZE, OTHER_FILE_SIZE, BIG_FILE_SIZE };

/* What a server's signals delivered, and where they must be emitted. */
typedef struct
{
  GMainContext *context;
  GPtrArray    *started;   /* of ShoalUpload */
  GPtrArray    *finished;  /* of ShoalUpload */
} Events;

static struct
{
  char              *dir;
  char              *root;
  char              *data_dir;
  char              *urns[N_FILES];
  GThread           *main_thread;
  ShoalListener     *listener;
  ShoalUploadServer *server;       /* the one connections go to */
  Events             events;       /* of fixture.server's default one */
  guint16            port;
} fixture;

/* Signals ---------------------------------------------------------------------- */

static void
assert_on_owner (Events *events)
{
  g_assert_true (g_thread_self () == fixture.main_thread);
  g_assert_true (g_main_context_is_owner (events->context));
}

static void
on_upload_started (ShoalUploadServer *server,
                   ShoalUpload       *upload,
                   gpointer           data)
{
  Events *events = data;
  guint position;

  assert_on_owner (events);
  /* Listed before it is announced. */
  g_assert_true (g_list_store_find (G_LIST_STORE (shoal_upload_server_get_uploads (server)),
                                    upload, &position));
  g_ptr_array_add (events->started, g_object_ref (upload));
}

static void
on_upload_finished (ShoalUploadServer *server,
                    ShoalUpload       *upload,
                    gpointer           data)
{
  Events *events = data;
  ShoalUploadState state = shoal_upload_get_state (upload);

  assert_on_owner (events);
  g_assert_true (state == SHOAL_UPLOAD_STATE_DONE || state == SHOAL_UPLOAD_STATE_FAILED ||
                 state == SHOAL_UPLOAD_STATE_STOPPED);
  g_ptr_array_add (events->finished, g_object_ref (upload));
}

static void
events_init (Events            *events,
             GMainContext      *context,
             ShoalUploadServer *server)
{
  events->context = context;
  events->started = g_ptr_array_new_with_free_func (g_object_unref);
  events->finished = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (server, "upload-started", G_CALLBACK (on_upload_started), events);
  g_signal_connect (server, "upload-finished", G_CALLBACK (on_upload_finished), events);
}

static void
events_clear (Events *events)
{
  g_clear_pointer (&events->started, g_ptr_array_unref);
  g_clear_pointer (&events->finished, g_ptr_array_unref);
}

typedef struct
{
  Events *events;
  guint   count;
} FinishedWait;

static gboolean
finished_reached (gpointer data)
{
  FinishedWait *wait = data;

  return wait->events->finished->len >= wait->count;
}

/* Connections closed by a client close on the server's thread a moment
 * later, and are reported a moment after that. */
static void
wait_finished (guint count)
{
  FinishedWait wait = { &fixture.events, count };

  shoal_test_poll_until (finished_reached, &wait, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "uploads to finish");
  g_assert_cmpuint (fixture.events.finished->len, ==, count);
}

static ShoalUpload *
upload_at (guint position)
{
  g_autoptr(ShoalUpload) upload = g_list_model_get_item (shoal_upload_server_get_uploads (fixture.server),
                                                         position);

  return upload;  /* the list keeps it */
}

static gboolean
is_listed (ShoalUpload *upload)
{
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);

  for (guint i = 0; i < g_list_model_get_n_items (uploads); i++)
    if (upload_at (i) == upload)
      return TRUE;
  return FALSE;
}

static void
assert_upload (ShoalUpload      *upload,
               guint             which,
               guint64           range_start,
               guint64           range_end,
               guint64           done,
               ShoalUploadState  state)
{
  g_assert_cmpstr (shoal_upload_get_peer (upload), ==, "127.0.0.1");
  g_assert_cmpstr (shoal_upload_get_name (upload), ==, file_names[which]);
  g_assert_cmpstr (shoal_upload_get_urn (upload), ==, fixture.urns[which]);
  g_assert_cmpuint (shoal_upload_get_size (upload), ==, file_sizes[which]);
  g_assert_cmpuint (shoal_upload_get_range_start (upload), ==, range_start);
  g_assert_cmpuint (shoal_upload_get_range_end (upload), ==, range_end);
  g_assert_cmpuint (shoal_upload_get_done (upload), ==, done);
  g_assert_cmpint (shoal_upload_get_state (upload), ==, state);
}

/* Clients, on a worker thread while the main loop runs the listener ------- */

typedef gpointer (*ClientFunc) (gpointer data);

typedef struct
{
  ClientFunc func;
  gpointer   data;
  gint       done;
} ClientJob;

static gpointer
client_job_main (gpointer data)
{
  ClientJob *job = data;

  job->func (job->data);
  g_atomic_int_set (&job->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
client_job_done (gpointer data)
{
  return g_atomic_int_get (&((ClientJob *) data)->done);
}

static gboolean
flag_is_set (gpointer data)
{
  return g_atomic_int_get ((gint *) data);
}

/* Until the other thread sets *@flag. */
static void
client_wait_flag (gint *flag)
{
  while (!g_atomic_int_get (flag))
    g_usleep (POLL_INTERVAL_MS * 1000);
}

static void
run_client (ClientFunc func,
            gpointer   data)
{
  ClientJob job = { func, data, FALSE };
  GThread *thread = g_thread_new ("client", client_job_main, &job);

  shoal_test_wait_until (client_job_done, &job, TEST_TIMEOUT_MS, "a client");
  g_thread_join (thread);
}

typedef struct
{
  GSocketConnection *connection;
  GByteArray        *input;  /* received, not yet consumed */
} Client;

/* @receive_buffer: 0 for the system's. Set before connecting, so that
 * the window the server sees is that small. */
static Client *
client_connect_with_buffer (int receive_buffer)
{
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new_from_string ("127.0.0.1", fixture.port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GError) error = NULL;
  Client *client = g_new0 (Client, 1);

  g_assert_nonnull (socket);
  g_socket_set_timeout (socket, CLIENT_TIMEOUT_SECONDS);
  if (receive_buffer > 0)
    {
      g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, receive_buffer, &error);
      g_assert_no_error (error);
    }
  g_socket_connect (socket, server, NULL, &error);
  g_assert_no_error (error);
  client->connection = g_socket_connection_factory_create_connection (socket);
  client->input = g_byte_array_new ();
  return client;
}

static Client *
client_connect (void)
{
  return client_connect_with_buffer (0);
}

static void
client_free (Client *client)
{
  g_object_unref (client->connection);
  g_byte_array_unref (client->input);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static void
client_send (Client     *client,
             const char *text)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));

  g_assert_true (g_output_stream_write_all (output, text, strlen (text), NULL, NULL, NULL));
}

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

/* Bytes received until the server closed the connection, those already
 * in @client's input included; an error (a timeout) fails the test. */
static guint64
client_read_to_end (Client *client)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (client->connection));
  guint64 total = client->input->len;
  guint8 chunk[READ_CHUNK];
  gssize n_read;

  g_byte_array_set_size (client->input, 0);
  do
    {
      g_autoptr(GError) error = NULL;

      n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, &error);
      g_assert_no_error (error);
      total += (guint64) MAX (n_read, 0);
    }
  while (n_read > 0);
  return total;
}

static gssize
find_head_end (const GByteArray *input)
{
  for (guint i = 0; i + 4 <= input->len; i++)
    if (memcmp (input->data + i, "\r\n\r\n", 4) == 0)
      return (gssize) i;
  return -1;
}

/* The status of the next answer; its head consumed. */
static guint
client_read_head (Client  *client,
                  guint64 *content_length)
{
  g_autofree char *head = NULL;
  const char *length;
  gssize end;
  guint status;

  while ((end = find_head_end (client->input)) < 0)
    g_assert_true (client_fill (client));
  head = g_ascii_strdown ((const char *) client->input->data, end);
  g_byte_array_remove_range (client->input, 0, (guint) end + 4);
  g_assert_true (g_str_has_prefix (head, "http/1.1 "));
  status = (guint) g_ascii_strtoull (head + strlen ("http/1.1 "), NULL, 10);
  length = strstr (head, "\r\ncontent-length:");
  g_assert_nonnull (length);
  *content_length = g_ascii_strtoull (length + strlen ("\r\ncontent-length:"), NULL, 10);
  return status;
}

/* One whole answer; returns its status, the body is checked for size. */
static guint
client_get (Client     *client,
            const char *method,
            guint       which,
            const char *range)
{
  g_autofree char *request = g_strdup_printf ("%s /uri-res/N2R?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "User-Agent: " USER_AGENT "\r\n%s%s%s\r\n",
                                              method, fixture.urns[which],
                                              range != NULL ? "Range: bytes=" : "",
                                              range != NULL ? range : "",
                                              range != NULL ? "\r\n" : "");
  guint64 length;
  guint status;

  client_send (client, request);
  status = client_read_head (client, &length);
  if (strcmp (method, "HEAD") == 0)
    return status;
  while (client->input->len < length)
    g_assert_true (client_fill (client));
  g_byte_array_remove_range (client->input, 0, (guint) length);
  return status;
}

typedef struct
{
  const char *method;
  guint       which;
  const char *range;
} Get;

static gpointer
single_get_main (gpointer data)
{
  Get *get = data;
  g_autoptr(Client) client = client_connect ();
  guint status = client_get (client, get->method, get->which, get->range);

  g_assert_cmpuint (status, ==, get->range != NULL ? 206 : 200);
  return NULL;
}

/* One request on a connection of its own, closed by the client once the
 * answer is in. */
static void
single_get (const char *method,
            guint       which)
{
  Get get = { method, which, NULL };

  run_client (single_get_main, &get);
}

/* Tests ----------------------------------------------------------------------------- */

static void
test_get_by_urn (void)
{
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);
  guint listed = g_list_model_get_n_items (uploads);
  guint finished = fixture.events.finished->len;
  ShoalUpload *upload;

  /* HEAD sends no body: no upload. */
  single_get ("HEAD", FILE_SMALL);
  single_get ("GET", FILE_SMALL);
  wait_finished (finished + 1);
  g_assert_cmpuint (g_list_model_get_n_items (uploads), ==, listed + 1);
  upload = upload_at (listed);
  g_assert_true (g_ptr_array_index (fixture.events.started, fixture.events.started->len - 1) == upload);
  g_assert_true (g_ptr_array_index (fixture.events.finished, finished) == upload);
  assert_upload (upload, FILE_SMALL, 0, SMALL_FILE_SIZE - 1, SMALL_FILE_SIZE, SHOAL_UPLOAD_STATE_DONE);
  g_assert_cmpstr (shoal_upload_get_user_agent (upload), ==, USER_AGENT);
  g_assert_cmpuint (shoal_upload_get_rate (upload), ==, 0);
}

/* Ranges of one file over one connection are one upload, which waits
 * between them; another file on the same connection is another. */
typedef struct
{
  gint ranges_read;
  gint may_go_on;
} KeepAlive;

static gpointer
keep_alive_main (gpointer data)
{
  KeepAlive *keep_alive = data;
  g_autoptr(Client) client = client_connect ();

  g_assert_cmpuint (client_get (client, "GET", FILE_SMALL, "0-99"), ==, 206);
  g_assert_cmpuint (client_get (client, "GET", FILE_SMALL, "100-299"), ==, 206);
  g_atomic_int_set (&keep_alive->ranges_read, TRUE);
  g_main_context_wakeup (NULL);
  client_wait_flag (&keep_alive->may_go_on);
  g_assert_cmpuint (client_get (client, "GET", FILE_OTHER, NULL), ==, 200);
  return NULL;
}

static gboolean
keep_alive_waiting (gpointer data)
{
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);
  guint listed = GPOINTER_TO_UINT (data);
  ShoalUpload *upload;

  if (g_list_model_get_n_items (uploads) <= listed)
    return FALSE;
  upload = upload_at (listed);
  return shoal_upload_get_state (upload) == SHOAL_UPLOAD_STATE_WAITING &&
         shoal_upload_get_done (upload) == 300;
}

static void
test_keep_alive (void)
{
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);
  guint listed = g_list_model_get_n_items (uploads);
  guint finished = fixture.events.finished->len;
  KeepAlive keep_alive = { FALSE, FALSE };
  ClientJob job = { keep_alive_main, &keep_alive, FALSE };
  GThread *thread = g_thread_new ("client", client_job_main, &job);

  shoal_test_wait_until (flag_is_set, &keep_alive.ranges_read, TEST_TIMEOUT_MS, "two ranges");
  shoal_test_poll_until (keep_alive_waiting, GUINT_TO_POINTER (listed), POLL_INTERVAL_MS,
                         TEST_TIMEOUT_MS, "the upload to wait for the next range");
  g_assert_cmpuint (g_list_model_get_n_items (uploads), ==, listed + 1);
  assert_upload (upload_at (listed), FILE_SMALL, 100, 299, 300, SHOAL_UPLOAD_STATE_WAITING);
  g_assert_cmpuint (fixture.events.finished->len, ==, finished);

  g_atomic_int_set (&keep_alive.may_go_on, TRUE);
  shoal_test_wait_until (client_job_done, &job, TEST_TIMEOUT_MS, "a client");
  g_thread_join (thread);
  wait_finished (finished + 2);
  g_assert_cmpuint (g_list_model_get_n_items (uploads), ==, listed + 2);
  assert_upload (upload_at (listed), FILE_SMALL, 100, 299, 300, SHOAL_UPLOAD_STATE_DONE);
  assert_upload (upload_at (listed + 1), FILE_OTHER, 0, OTHER_FILE_SIZE - 1, OTHER_FILE_SIZE,
                 SHOAL_UPLOAD_STATE_DONE);
}

/* A client that leaves with most of the body unsent. */
static gpointer
client_gone_main (gpointer data)
{
  g_autoptr(Client) client = client_connect_with_buffer (CLIENT_RECEIVE_BUFFER);
  guint64 length;

  client_send (client, data);
  g_assert_cmpuint (client_read_head (client, &length), ==, 200);
  g_assert_cmpuint (length, ==, BIG_FILE_SIZE);
  return NULL;
}

static void
test_client_gone (void)
{
  g_autofree char *request = g_strdup_printf ("GET /uri-res/N2R?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                                              fixture.urns[FILE_BIG]);
  guint finished = fixture.events.finished->len;
  ShoalUpload *upload;

  run_client (client_gone_main, request);
  wait_finished (finished + 1);
  upload = g_ptr_array_index (fixture.events.finished, finished);
  assert_upload (upload, FILE_BIG, 0, BIG_FILE_SIZE - 1, 0, SHOAL_UPLOAD_STATE_FAILED);
  g_assert_null (shoal_upload_get_user_agent (upload));
}

/* Only the most recent finished uploads stay listed. */
static void
test_keep_finished (void)
{
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);
  guint finished = fixture.events.finished->len;
  guint extra = 2;

  for (guint i = 0; i < SHOAL_UPLOAD_SERVER_KEEP_FINISHED + extra; i++)
    {
      single_get ("GET", FILE_OTHER);
      wait_finished (finished + i + 1);
    }
  g_assert_cmpuint (g_list_model_get_n_items (uploads), ==, SHOAL_UPLOAD_SERVER_KEEP_FINISHED);
  for (guint i = 0; i < SHOAL_UPLOAD_SERVER_KEEP_FINISHED; i++)
    g_assert_true (upload_at (i) == g_ptr_array_index (fixture.events.finished, finished + extra + i));
  g_assert_false (is_listed (g_ptr_array_index (fixture.events.finished, finished + extra - 1)));
}

/* A server made under another thread-default context reports there, and
 * only there. */
typedef struct
{
  ShoalUploadServer *server;
} ServerQuiet;

static gboolean
server_quiet (gpointer data)
{
  ShoalUploadStats stats;

  shoal_upload_server_get_stats (((ServerQuiet *) data)->server, &stats);
  return stats.connections == 0 && stats.requests > 0;
}

static gboolean
on_owner_deadline (gpointer data)
{
  g_error ("timed out waiting for the owner's context");
  return G_SOURCE_REMOVE;
}

static void
test_owner_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(ShoalUploadServer) server = NULL;
  g_autoptr(GSource) deadline = g_timeout_source_new (TEST_TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  ShoalUploadServer *default_server = fixture.server;
  ServerQuiet quiet;
  Events events;

  g_main_context_push_thread_default (context);
  server = shoal_upload_server_new (fixture.data_dir);
  g_main_context_pop_thread_default (context);
  events_init (&events, context, server);
  g_assert_true (shoal_upload_server_start (server, &error));
  g_assert_no_error (error);
  quiet.server = server;

  fixture.server = server;
  single_get ("GET", FILE_SMALL);
  shoal_test_poll_until (server_quiet, &quiet, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the connection to close");
  fixture.server = default_server;
  /* The default context ran all along: nothing came to it. */
  shoal_test_wait_ms (POLL_INTERVAL_MS);
  g_assert_cmpuint (events.started->len, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_upload_server_get_uploads (server)), ==, 0);

  g_source_set_callback (deadline, on_owner_deadline, NULL, NULL);
  g_source_attach (deadline, context);
  g_main_context_push_thread_default (context);
  while (events.finished->len == 0)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_source_destroy (deadline);
  g_assert_cmpuint (events.started->len, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_upload_server_get_uploads (server)), ==, 1);
  g_assert_cmpint (shoal_upload_get_state (g_ptr_array_index (events.finished, 0)), ==,
                   SHOAL_UPLOAD_STATE_DONE);

  g_main_context_push_thread_default (context);
  g_clear_object (&server);
  events_clear (&events);
  g_main_context_pop_thread_default (context);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  (*(guint *) data)++;
}

static void
test_transfers (void)
{
  g_autofree char *downloads = g_build_filename (fixture.dir, "downloads", NULL);
  g_autoptr(ShoalTransfers) transfers = NULL;
  g_autoptr(GListModel) property = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *detached;
  guint notified = 0;

  transfers = shoal_transfers_new (fixture.data_dir, downloads, &error);
  g_assert_no_error (error);
  g_signal_connect (transfers, "notify::uploads", G_CALLBACK (on_notify), &notified);
  detached = shoal_transfers_get_uploads (transfers);
  g_assert_cmpuint (g_list_model_get_n_items (detached), ==, 0);
  g_assert_true (g_list_model_get_item_type (detached) == SHOAL_TYPE_UPLOAD);

  shoal_transfers_set_upload_server (transfers, fixture.server);
  g_assert_true (shoal_transfers_get_uploads (transfers) == shoal_upload_server_get_uploads (fixture.server));
  g_object_get (transfers, "uploads", &property, NULL);
  g_assert_true (property == shoal_upload_server_get_uploads (fixture.server));
  g_assert_cmpuint (notified, ==, 1);
  shoal_transfers_set_upload_server (transfers, fixture.server);
  g_assert_cmpuint (notified, ==, 1);

  shoal_transfers_set_upload_server (transfers, NULL);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_uploads (transfers)), ==, 0);
}

/* Stopping finishes what is still going: failed, at once. The client
 * reads nothing of the body until the server stopped. */
typedef struct
{
  char *request;
  gint  head_read;
  gint  stopped;
} Stop;

static gpointer
stopped_main (gpointer data)
{
  Stop *stop = data;
  g_autoptr(Client) client = client_connect_with_buffer (CLIENT_RECEIVE_BUFFER);
  guint64 length;

  client_send (client, stop->request);
  g_assert_cmpuint (client_read_head (client, &length), ==, 200);
  g_atomic_int_set (&stop->head_read, TRUE);
  g_main_context_wakeup (NULL);
  client_wait_flag (&stop->stopped);
  return NULL;
}

static gboolean
upload_listed (gpointer data)
{
  return g_list_model_get_n_items (shoal_upload_server_get_uploads (fixture.server)) > GPOINTER_TO_UINT (data);
}

static void
test_stop (void)
{
  g_autofree char *request = g_strdup_printf ("GET /uri-res/N2R?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                                              fixture.urns[FILE_BIG]);
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);
  /* Finished ones only are capped: a running one is listed on top. */
  guint listed = g_list_model_get_n_items (uploads);
  guint finished = fixture.events.finished->len;
  Stop stop = { request, FALSE, FALSE };
  ClientJob job = { stopped_main, &stop, FALSE };
  GThread *thread = g_thread_new ("client", client_job_main, &job);
  g_autoptr(GError) error = NULL;
  ShoalUpload *upload;

  shoal_test_wait_until (flag_is_set, &stop.head_read, TEST_TIMEOUT_MS, "the answer's head");
  shoal_test_poll_until (upload_listed, GUINT_TO_POINTER (listed), POLL_INTERVAL_MS,
                         TEST_TIMEOUT_MS, "the upload to start");
  upload = upload_at (listed);
  g_assert_cmpint (shoal_upload_get_state (upload), ==, SHOAL_UPLOAD_STATE_SENDING);
  /* As from a callback of the main loop, which owns its context. */
  g_assert_true (g_main_context_acquire (NULL));
  shoal_upload_server_stop (fixture.server);
  g_main_context_release (NULL);
  g_assert_cmpuint (fixture.events.finished->len, ==, finished + 1);
  g_assert_true (g_ptr_array_index (fixture.events.finished, finished) == upload);
  g_assert_cmpint (shoal_upload_get_state (upload), ==, SHOAL_UPLOAD_STATE_FAILED);
  g_assert_cmpuint (shoal_upload_get_done (upload), ==, 0);
  g_atomic_int_set (&stop.stopped, TRUE);
  shoal_test_wait_until (client_job_done, &job, TEST_TIMEOUT_MS, "a client");
  g_thread_join (thread);
  g_assert_true (shoal_upload_server_start (fixture.server, &error));
  g_assert_no_error (error);
}

/* Cancelling: the connection closes under the downloader, the upload is
 * STOPPED at once and finished once, its slot and connection go. The
 * client tells when it is in place, then reads until the server closes. */
typedef struct
{
  const char *request;
  gint        in_place;
  gint        cancelled;
  guint64     received;    /* body bytes, once the server closed */
} Cancel;

static void
cancel_client_in_place (Cancel *cancel)
{
  g_atomic_int_set (&cancel->in_place, TRUE);
  g_main_context_wakeup (NULL);
  client_wait_flag (&cancel->cancelled);
}

/* A big body the client does not read: sending when cancelled. */
static gpointer
cancel_sending_main (gpointer data)
{
  Cancel *cancel = data;
  g_autoptr(Client) client = client_connect_with_buffer (CLIENT_RECEIVE_BUFFER);
  guint64 length;

  client_send (client, cancel->request);
  g_assert_cmpuint (client_read_head (client, &length), ==, 200);
  g_assert_cmpuint (length, ==, BIG_FILE_SIZE);
  cancel_client_in_place (cancel);
  cancel->received = client_read_to_end (client);
  return NULL;
}

/* A range read in full over keep-alive: waiting when cancelled. */
static gpointer
cancel_waiting_main (gpointer data)
{
  Cancel *cancel = data;
  g_autoptr(Client) client = client_connect ();

  g_assert_cmpuint (client_get (client, "GET", FILE_SMALL, "0-99"), ==, 206);
  cancel_client_in_place (cancel);
  cancel->received = client_read_to_end (client);
  return NULL;
}

typedef struct
{
  guint            position;
  ShoalUploadState state;
} Listed;

static gboolean
upload_listed_in_state (gpointer data)
{
  Listed *listed = data;

  return g_list_model_get_n_items (shoal_upload_server_get_uploads (fixture.server)) > listed->position &&
         shoal_upload_get_state (upload_at (listed->position)) == listed->state;
}

static gboolean
server_let_go (gpointer data)
{
  const ShoalUploadStats *before = data;
  ShoalUploadStats stats;

  shoal_upload_server_get_stats (fixture.server, &stats);
  return stats.connections == before->connections && stats.uploads == before->uploads;
}

static void
run_cancel (ClientFunc        client_main,
            const char       *request,
            ShoalUploadState  running_state,
            ShoalUpload     **upload_out,
            guint64          *received)
{
  GListModel *uploads = shoal_upload_server_get_uploads (fixture.server);
  Listed listed = { g_list_model_get_n_items (uploads), running_state };
  guint finished = fixture.events.finished->len;
  Cancel cancel = { request, FALSE, FALSE, 0 };
  ClientJob job = { client_main, &cancel, FALSE };
  ShoalUploadStats before;
  ShoalUploadStats after;
  ShoalUpload *upload;
  GThread *thread;

  shoal_upload_server_get_stats (fixture.server, &before);
  thread = g_thread_new ("client", client_job_main, &job);
  shoal_test_wait_until (flag_is_set, &cancel.in_place, TEST_TIMEOUT_MS, "the client in place");
  shoal_test_poll_until (upload_listed_in_state, &listed, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the upload to run");
  upload = upload_at (listed.position);
  shoal_upload_server_get_stats (fixture.server, &after);
  g_assert_cmpuint (after.uploads, ==, before.uploads + 1);
  g_assert_cmpuint (after.connections, ==, before.connections + 1);

  /* As from a callback of the main loop, which owns its context. */
  g_assert_true (g_main_context_acquire (NULL));
  g_assert_true (shoal_upload_server_cancel (fixture.server, upload));
  /* Final before the call returns, and announced once. */
  g_assert_cmpint (shoal_upload_get_state (upload), ==, SHOAL_UPLOAD_STATE_STOPPED);
  g_assert_cmpuint (fixture.events.finished->len, ==, finished + 1);
  g_assert_true (g_ptr_array_index (fixture.events.finished, finished) == upload);
  g_assert_false (shoal_upload_server_cancel (fixture.server, upload));
  g_main_context_release (NULL);
  g_atomic_int_set (&cancel.cancelled, TRUE);

  /* The client sees the connection close; the slot and the connection
   * are given back, and the close, reported late, changes nothing. */
  shoal_test_wait_until (client_job_done, &job, TEST_TIMEOUT_MS, "the client to see the close");
  g_thread_join (thread);
  shoal_test_poll_until (server_let_go, &before, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the slot and the connection to go");
  shoal_test_wait_ms (POLL_INTERVAL_MS);
  g_assert_cmpint (shoal_upload_get_state (upload), ==, SHOAL_UPLOAD_STATE_STOPPED);
  g_assert_cmpuint (fixture.events.finished->len, ==, finished + 1);
  g_assert_true (is_listed (upload));
  *upload_out = upload;
  *received = cancel.received;
}

static void
test_cancel_sending (void)
{
  g_autofree char *request = g_strdup_printf ("GET /uri-res/N2R?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                                              fixture.urns[FILE_BIG]);
  ShoalUploadStats before;
  ShoalUploadStats after;
  ShoalUpload *upload;
  guint64 received;

  shoal_upload_server_get_stats (fixture.server, &before);
  run_cancel (cancel_sending_main, request, SHOAL_UPLOAD_STATE_SENDING, &upload, &received);
  g_assert_cmpuint (received, <, BIG_FILE_SIZE);
  /* Nothing was sent in full. */
  assert_upload (upload, FILE_BIG, 0, BIG_FILE_SIZE - 1, 0, SHOAL_UPLOAD_STATE_STOPPED);
  shoal_upload_server_get_stats (fixture.server, &after);
  g_assert_cmpuint (after.requests, ==, before.requests + 1);
  g_assert_cmpuint (after.bytes_served, ==, before.bytes_served);
}

static void
test_cancel_waiting (void)
{
  ShoalUploadStats before;
  ShoalUploadStats after;
  ShoalUpload *upload;
  guint64 received;

  shoal_upload_server_get_stats (fixture.server, &before);
  run_cancel (cancel_waiting_main, NULL, SHOAL_UPLOAD_STATE_WAITING, &upload, &received);
  g_assert_cmpuint (received, ==, 0);
  assert_upload (upload, FILE_SMALL, 0, 99, 100, SHOAL_UPLOAD_STATE_STOPPED);
  shoal_upload_server_get_stats (fixture.server, &after);
  g_assert_cmpuint (after.bytes_served, ==, before.bytes_served + 100);
}

/* Finished ones, and another server's, are not this server's to stop. */
static void
test_cancel_finished (void)
{
  g_autoptr(ShoalUploadServer) other = shoal_upload_server_new (fixture.data_dir);
  guint finished = fixture.events.finished->len;
  ShoalUpload *upload;

  single_get ("GET", FILE_SMALL);
  wait_finished (finished + 1);
  upload = g_ptr_array_index (fixture.events.finished, finished);
  g_assert_false (shoal_upload_server_cancel (fixture.server, upload));
  g_assert_false (shoal_upload_server_cancel (other, upload));
  g_assert_cmpint (shoal_upload_get_state (upload), ==, SHOAL_UPLOAD_STATE_DONE);
  g_assert_cmpuint (fixture.events.finished->len, ==, finished + 1);
}

/* The fixture: a library, indexed once, then served ------------------------------ */

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

static char *
urn_of_bytes (GBytes *contents)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize length = sizeof sha1;

  g_checksum_update (checksum, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
  g_checksum_get_digest (checksum, sha1, &length);
  return shoal_urn_format_sha1 (sha1);
}

static void
make_share (void)
{
  for (guint which = 0; which < N_FILES; which++)
    {
      g_autoptr(GBytes) contents = pattern_bytes (file_sizes[which], which + 1);
      g_autofree char *path = g_build_filename (fixture.root, file_names[which], NULL);
      g_autoptr(GError) error = NULL;

      g_file_set_contents (path, g_bytes_get_data (contents, NULL), (gssize) file_sizes[which], &error);
      g_assert_no_error (error);
      fixture.urns[which] = urn_of_bytes (contents);
    }
}

static gboolean
library_is_done (gpointer data)
{
  ShoalLibrary *library = data;

  return shoal_library_get_ready (library) && !shoal_library_get_busy (library) &&
         shoal_library_get_hashed_count (library) == N_FILES;
}

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* Indexed and hashed, then the library goes; the server reads the index. */
static void
index_share (void)
{
  g_autoptr(ShoalLibrary) library = shoal_library_new (fixture.data_dir);
  g_autoptr(ShoalSharedRoot) root = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  shoal_library_add_root_async (library, fixture.root, NULL, on_root_added, &result);
  shoal_test_wait_until (has_result, &result, TEST_TIMEOUT_MS, "the share to be added");
  root = shoal_library_add_root_finish (library, result, &error);
  g_assert_no_error (error);
  shoal_test_poll_until (library_is_done, library, POLL_INTERVAL_MS, TEST_TIMEOUT_MS,
                         "the share to be hashed");
}

static gboolean
on_http_request (ShoalListener *listener,
                 GIOStream     *stream,
                 GBytes        *already_read,
                 gpointer       remote,
                 gpointer       data)
{
  return shoal_upload_server_take (fixture.server, G_SOCKET_CONNECTION (stream));
}

static void
start_serving (void)
{
  static const char * const addresses[] = { "127.0.0.1", NULL };
  g_autoptr(GError) error = NULL;

  fixture.server = shoal_upload_server_new (fixture.data_dir);
  g_object_set (fixture.server, "max-uploads", TEST_MAX_UPLOADS,
                "max-uploads-per-ip", TEST_MAX_UPLOADS, NULL);
  events_init (&fixture.events, g_main_context_default (), fixture.server);
  g_assert_true (shoal_upload_server_start (fixture.server, &error));
  g_assert_no_error (error);
  fixture.listener = shoal_listener_new (addresses, 0);
  g_signal_connect (fixture.listener, "http-request", G_CALLBACK (on_http_request), NULL);
  g_assert_true (shoal_listener_start (fixture.listener, &error));
  g_assert_no_error (error);
  fixture.port = shoal_listener_get_port (fixture.listener);
}

static void
setup_fixture (void)
{
  g_autoptr(GError) error = NULL;

  fixture.main_thread = g_thread_self ();
  fixture.dir = g_dir_make_tmp ("shoal-uploads-XXXXXX", &error);
  g_assert_no_error (error);
  fixture.root = g_build_filename (fixture.dir, "share", NULL);
  fixture.data_dir = g_build_filename (fixture.dir, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture.root, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (fixture.data_dir, 0755), ==, 0);
  make_share ();
  index_share ();
  start_serving ();
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
teardown_fixture (void)
{
  shoal_listener_stop (fixture.listener);
  g_clear_object (&fixture.listener);
  g_clear_object (&fixture.server);
  events_clear (&fixture.events);
  /* Closed connections finish closing on the main loop. */
  shoal_test_wait_ms (50);
  remove_tree (fixture.dir);
  for (guint which = 0; which < N_FILES; which++)
    g_free (fixture.urns[which]);
  g_free (fixture.dir);
  g_free (fixture.root);
  g_free (fixture.data_dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  setup_fixture ();
  g_test_add_func ("/uploads/get-by-urn", test_get_by_urn);
  g_test_add_func ("/uploads/keep-alive", test_keep_alive);
  g_test_add_func ("/uploads/client-gone", test_client_gone);
  g_test_add_func ("/uploads/keep-finished", test_keep_finished);
  g_test_add_func ("/uploads/owner-context", test_owner_context);
  g_test_add_func ("/uploads/transfers", test_transfers);
  g_test_add_func ("/uploads/stop", test_stop);
  g_test_add_func ("/uploads/cancel-sending", test_cancel_sending);
  g_test_add_func ("/uploads/cancel-waiting", test_cancel_waiting);
  g_test_add_func ("/uploads/cancel-finished", test_cancel_finished);
  status = g_test_run ();
  teardown_fixture ();
  return status;
}
