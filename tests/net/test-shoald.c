/* test-shoald.c — one real shoald per test, probed from outside over
 * loopback with plain sockets: gtk-gnutella's recorded handshakes, the
 * other first lines the port serves, and hostile input that must neither
 * crash the daemon nor stall it. */
#include "shoal-gnutella-handshake.h"
#include "shoal-handshake.h"
#include "shoal-listener.h"
#include "shoal-message.h"
#include "shoal-test-vectors.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define ZLIB_CONST
#include <zlib.h>

/* Each test's daemon listens on 127.0.4.<test number>:PORT, so tests
 * never meet each other's daemon. */
#define PORT 6346
#define ADDRESS_FORMAT "127.0.4.%u"
/* From spawning to the port accepting, and from learning of ultrapeers
 * to dialling them (the daemon dials once a second). */
#define STARTUP_TIMEOUT_S 30
#define CONNECT_RETRY_INTERVAL_US (50 * 1000)
/* Any one answer, message or end of a connection. */
#define REPLY_TIMEOUT_S 10
/* A new link is pinged at once (the node manager's first ping). */
#define FIRST_PING_TIMEOUT_S 5
/* SIGTERM to exit; the daemon gives its peers 3 s to read a bye. */
#define STOP_TIMEOUT_S 15
/* The first-line timeout of the daemon's listener, in seconds. */
#define FIRST_LINE_TIMEOUT_S (SHOAL_LISTENER_DEFAULT_FIRST_LINE_TIMEOUT_MS / 1000)
/* Ultrapeers the daemon learns of before each test, from a peer's
 * X-Try-Ultrapeers: it offers them to others. They are listening sockets
 * that never accept, so the daemon's dials wait in its handshake instead
 * of failing (a host that failed is no longer offered). */
#define KNOWN_ULTRAPEERS 2
#define RECEIVE_CHUNK_SIZE 16384

#define LEAF_TRANSCRIPT "handshake_gtkg_leaf_to_gtkg_up_noTLS.txt"
#define NO_DEFLATE_TRANSCRIPT "handshake_probe_no_deflate_refused_403.txt"
/* Sections of a three-step transcript. */
#define STEP_CONNECT 0
#define STEP_ANSWER 1
#define STEP_ACK 2

/* Hostile input. A header block far beyond the daemon's 16 KiB limit,
 * sent through a small send buffer so that the kernel cannot take it all
 * on the daemon's behalf. */
#define HEADER_FLOOD_SIZE (1024 * 1024)
#define HEADER_FLOOD_LINE_SIZE 100
#define PROBE_SEND_BUFFER_SIZE 65536
/* Short header lines, far beyond the daemon's 128 lines, yet fewer bytes
 * than it drains after its answer: the answer is never lost to a reset. */
#define ENDLESS_HEADER_LINES (SHOAL_HEADER_MAX_LINES * 40)
#define LONG_FIRST_LINE_SIZE (SHOAL_LISTENER_MAX_FIRST_LINE + 512)
/* A query header announcing this much, far over the query kick size. */
#define OVERSIZED_QUERY_LENGTH (60 * 1024)
#define CORRUPT_ZLIB_SIZE 4096
#define CORRUPT_ZLIB_SEED 0x5140a1d
#define TRUNCATED_PINGS 8
/* The peer that never reads: this much in pings, and the daemon's RSS may
 * grow by less than the bound meanwhile. */
#define FLOOD_SIZE (20 * 1024 * 1024)
#define FLOOD_CHUNK_PINGS 2849  /* about 64 KiB of 23-byte pings */
#define FLOOD_TIMEOUT_S 90
#define RSS_GROWTH_MAX_KIB (64 * 1024)
/* AddressSanitizer keeps freed memory in a quarantine, 256 MiB by default,
 * to catch uses after free; a flood of short-lived messages fills it and
 * the RSS shows the quarantine, not the daemon. The flooded daemon gets a
 * smaller one: recent frees are still caught. */
#define FLOOD_ASAN_QUARANTINE "quarantine_size_mb=16"

/* Waiting on the main context ------------------------------------------- */

static gint64
deadline_in (guint seconds)
{
  return g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (gpointer data);

/* Runs the default main context until @done or @timeout_s elapse. */
static gboolean
iterate_until (Condition done,
               gpointer  data,
               guint     timeout_s)
{
  gboolean expired = FALSE;
  guint timer = g_timeout_add_seconds (timeout_s, on_deadline, &expired);

  while (!done (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
  return done (data);
}

/* Sockets --------------------------------------------------------------- */

/* Waits until @socket is ready for @condition; FALSE at @deadline. */
static gboolean
socket_ready_by (GSocket      *socket,
                 GIOCondition  condition,
                 gint64        deadline)
{
  g_autoptr(GError) error = NULL;
  gint64 remaining = MAX (deadline - g_get_monotonic_time (), 0);

  if (g_socket_condition_timed_wait (socket, condition, remaining, NULL, &error))
    return TRUE;
  g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  return FALSE;
}

/* Fails the test at @deadline; returns what of @condition (and hang-up
 * or error) the socket is ready for. */
static GIOCondition
wait_for_socket (GSocket      *socket,
                 GIOCondition  condition,
                 gint64        deadline)
{
  g_assert_true (socket_ready_by (socket, condition, deadline));
  return g_socket_condition_check (socket, condition | G_IO_HUP | G_IO_ERR);
}

/* A reset or a broken pipe: the daemon closed the connection. */
static gboolean
is_connection_lost (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
}

/* A listening socket on @address that never accepts: the kernel completes
 * connections to it, and they wait in its backlog. */
static GSocket *
listen_without_accepting (const char        *address,
                          ShoalIpv4Endpoint *endpoint)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (inet, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_ipv4_endpoint_parse (address, strlen (address), endpoint));
  endpoint->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return g_steal_pointer (&socket);
}

/* The daemon ------------------------------------------------------------ */

typedef struct
{
  char      *address;        /* 127.0.4.N */
  char      *directory;      /* temporary: its data dir and its stderr */
  char      *stderr_path;
  GPid       pid;
  GPtrArray *ultrapeers;     /* GSocket*: ultrapeers it knows, listening */
  GArray    *ultrapeer_endpoints;
} Daemon;

typedef struct
{
  gboolean exited;
  gint     status;
} ChildExit;

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
        g_unlink (child);
    }
  g_rmdir (path);
}

/* In the child: a test that fails mid-way must not leave a daemon behind. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
spawn_daemon (Daemon   *daemon,
              gboolean  small_quarantine)
{
  const char *shoald = g_getenv ("SHOALD");
  g_autofree char *port = g_strdup_printf ("%d", PORT);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  int stderr_fd;

  g_assert_nonnull (shoald);
  g_ptr_array_add (argv, (gpointer) shoald);
  g_ptr_array_add (argv, "--role=ultrapeer");
  g_ptr_array_add (argv, "--allow-private");
  g_ptr_array_add (argv, "--no-default-bootstrap");
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, port);
  g_ptr_array_add (argv, "--listen-address");
  g_ptr_array_add (argv, daemon->address);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, daemon->directory);
  g_ptr_array_add (argv, NULL);
  if (small_quarantine)
    {
      const char *asan = g_environ_getenv (envp, "ASAN_OPTIONS");
      g_autofree char *options = asan != NULL ? g_strconcat (asan, ":", FLOOD_ASAN_QUARANTINE, NULL)
                                              : g_strdup (FLOOD_ASAN_QUARANTINE);

      envp = g_environ_setenv (g_steal_pointer (&envp), "ASAN_OPTIONS", options, TRUE);
    }
  stderr_fd = g_open (daemon->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (stderr_fd, >=, 0);
  g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, (const char * const *) envp,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                    die_with_test, NULL, -1, -1, stderr_fd, NULL, NULL, 0,
                                    &daemon->pid, NULL, NULL, NULL, &error);
  g_close (stderr_fd, NULL);
  g_assert_no_error (error);
}

static char *
read_daemon_stderr (const Daemon *daemon)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (daemon->stderr_path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
daemon_fail_if_dead (const Daemon *daemon)
{
  int status;

  if (waitpid (daemon->pid, &status, WNOHANG) != 0)
    {
      g_autofree char *text = read_daemon_stderr (daemon);

      g_test_message ("shoald exited early; its stderr:\n%s", text);
      g_assert_not_reached ();
    }
}

static gboolean
daemon_accepts (const Daemon *daemon)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  g_socket_client_set_timeout (client, REPLY_TIMEOUT_S);
  connection = g_socket_client_connect_to_host (client, daemon->address, PORT, NULL, NULL);
  return connection != NULL;
}

static void
on_child_exited (GPid     pid,
                 gint     status,
                 gpointer user_data)
{
  ChildExit *exit_info = user_data;

  exit_info->exited = TRUE;
  exit_info->status = status;
}

static gboolean
child_exited (gpointer exit_info)
{
  return ((ChildExit *) exit_info)->exited;
}

static void
assert_no_sanitizer_report (const Daemon *daemon)
{
  static const char * const reports[] = {
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error",
  };
  g_autofree char *text = read_daemon_stderr (daemon);

  for (guint i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      if (strstr (text, reports[i]) != NULL)
        g_test_message ("shoald's stderr:\n%s", text);
      g_assert_null (strstr (text, reports[i]));
    }
}

/* SIGTERM: the daemon must exit 0, with nothing to report. */
static void
daemon_stop (Daemon *daemon)
{
  ChildExit exit_info = { FALSE, 0 };

  g_child_watch_add (daemon->pid, on_child_exited, &exit_info);
  g_assert_cmpint (kill (daemon->pid, SIGTERM), ==, 0);
  if (!iterate_until (child_exited, &exit_info, STOP_TIMEOUT_S))
    kill (daemon->pid, SIGKILL);
  g_assert_true (exit_info.exited);
  g_spawn_close_pid (daemon->pid);
  if (!WIFEXITED (exit_info.status) || WEXITSTATUS (exit_info.status) != 0)
    {
      g_autofree char *text = read_daemon_stderr (daemon);

      g_test_message ("shoald's wait status %d, its stderr:\n%s", exit_info.status, text);
    }
  g_assert_true (WIFEXITED (exit_info.status));
  g_assert_cmpint (WEXITSTATUS (exit_info.status), ==, 0);
  assert_no_sanitizer_report (daemon);

  g_ptr_array_unref (daemon->ultrapeers);
  g_array_unref (daemon->ultrapeer_endpoints);
  remove_tree (daemon->directory);
  g_free (daemon->directory);
  g_free (daemon->stderr_path);
  g_free (daemon->address);
}

static guint64
daemon_rss_kib (const Daemon *daemon)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", daemon->pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "\nVmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

static ShoalIpv4Endpoint
daemon_endpoint (const Daemon *daemon)
{
  ShoalIpv4Endpoint endpoint;

  g_assert_true (shoal_ipv4_endpoint_parse (daemon->address, strlen (daemon->address), &endpoint));
  endpoint.port = PORT;
  return endpoint;
}

/* A connection to the daemon -------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GSocket           *socket;      /* @connection's, non-blocking */
  GByteArray        *input;       /* received, not consumed yet */
  gboolean           ended;       /* the daemon closed or reset the connection */
  gboolean           inflating;   /* the daemon's direction is a zlib stream */
  z_stream           inflater;
  GByteArray        *messages;    /* inflated, not parsed yet */
  gboolean           deflating;   /* ours is */
  z_stream           deflater;
} Probe;

static void
probe_free (Probe *probe)
{
  if (probe->inflating)
    inflateEnd (&probe->inflater);
  if (probe->deflating)
    deflateEnd (&probe->deflater);
  g_io_stream_close (G_IO_STREAM (probe->connection), NULL, NULL);
  g_object_unref (probe->connection);
  g_byte_array_unref (probe->input);
  g_byte_array_unref (probe->messages);
  g_free (probe);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Probe, probe_free)

static Probe *
probe_connect (const Daemon *daemon)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Probe *probe = g_new0 (Probe, 1);

  g_socket_client_set_timeout (client, REPLY_TIMEOUT_S);
  probe->connection = g_socket_client_connect_to_host (client, daemon->address, PORT, NULL, &error);
  g_assert_no_error (error);
  probe->socket = g_socket_connection_get_socket (probe->connection);
  /* Each wait has its own deadline; the client's timeout would cut it. */
  g_socket_set_timeout (probe->socket, 0);
  g_socket_set_blocking (probe->socket, FALSE);
  probe->input = g_byte_array_new ();
  probe->messages = g_byte_array_new ();
  return probe;
}

/* Reads what arrived into probe->input; sets probe->ended when the daemon
 * closed or reset the connection. */
static void
probe_receive (Probe  *probe,
               gint64  deadline)
{
  guint8 buffer[RECEIVE_CHUNK_SIZE];
  g_autoptr(GError) error = NULL;
  gssize got;

  wait_for_socket (probe->socket, G_IO_IN, deadline);
  got = g_socket_receive (probe->socket, (char *) buffer, sizeof buffer, NULL, &error);
  if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return;
  if (got < 0 && is_connection_lost (error))
    got = 0;
  else
    g_assert_no_error (error);
  if (got == 0)
    probe->ended = TRUE;
  g_byte_array_append (probe->input, buffer, (guint) got);
}

/* FALSE when the daemon closed the connection before taking it all. */
static gboolean
probe_send_raw (Probe        *probe,
                const guint8 *data,
                gsize         length,
                gint64        deadline)
{
  while (length > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize sent;

      wait_for_socket (probe->socket, G_IO_OUT, deadline);
      sent = g_socket_send (probe->socket, (const char *) data, length, NULL, &error);
      if (sent < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (sent < 0 && is_connection_lost (error))
        return FALSE;
      g_assert_no_error (error);
      data += sent;
      length -= (gsize) sent;
    }
  return TRUE;
}

static void
probe_send_bytes (Probe  *probe,
                  GBytes *bytes)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  g_assert_true (probe_send_raw (probe, data, length, deadline_in (REPLY_TIMEOUT_S)));
}

/* Message bytes as our direction carries them: deflated once we said so
 * in step 3, each send ending with a sync flush. */
static void
probe_send_message_bytes (Probe        *probe,
                          const guint8 *data,
                          gsize         length)
{
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  z_stream *z = &probe->deflater;

  if (!probe->deflating)
    {
      g_assert_true (probe_send_raw (probe, data, length, deadline_in (REPLY_TIMEOUT_S)));
      return;
    }
  z->next_in = data;
  z->avail_in = (uInt) length;
  do
    {
      guint8 out[RECEIVE_CHUNK_SIZE];
      int ret;

      z->next_out = out;
      z->avail_out = sizeof out;
      ret = deflate (z, Z_SYNC_FLUSH);
      /* Z_BUF_ERROR: the flush had ended exactly at the previous buffer's end. */
      g_assert_true (ret == Z_OK || ret == Z_BUF_ERROR);
      g_byte_array_append (wire, out, (guint) (sizeof out - z->avail_out));
    }
  while (z->avail_out == 0);
  g_assert_true (probe_send_raw (probe, wire->data, wire->len, deadline_in (REPLY_TIMEOUT_S)));
}

/* The next header block, or NULL when the connection ended first. */
static ShoalHeaderBlock *
probe_read_block (Probe  *probe,
                  gint64  deadline)
{
  g_autoptr(GError) error = NULL;
  ShoalHeaderBlock *block;
  ShoalHeaderScan scan;
  gsize end = 0;

  while ((scan = shoal_header_block_find_end (probe->input->data, probe->input->len, &end, &error))
         == SHOAL_HEADER_SCAN_NEED_MORE && !probe->ended)
    probe_receive (probe, deadline);
  g_assert_no_error (error);
  if (scan != SHOAL_HEADER_SCAN_COMPLETE)
    return NULL;
  block = shoal_header_block_parse (probe->input->data, end, &error);
  g_assert_no_error (error);
  g_byte_array_remove_range (probe->input, 0, (guint) end);
  return block;
}

/* Reads until the daemon ends the connection; returns how many bytes it
 * sent until then. */
static gsize
probe_read_to_end (Probe  *probe,
                   gint64  deadline)
{
  gsize total = probe->input->len;

  g_byte_array_set_size (probe->input, 0);
  while (!probe->ended)
    {
      probe_receive (probe, deadline);
      total += probe->input->len;
      g_byte_array_set_size (probe->input, 0);
    }
  return total;
}

/* From here on the daemon's bytes are one zlib stream. */
static void
probe_start_inflating (Probe *probe)
{
  g_assert_cmpint (inflateInit (&probe->inflater), ==, Z_OK);
  probe->inflating = TRUE;
}

static void
probe_start_deflating (Probe *probe)
{
  g_assert_cmpint (deflateInit (&probe->deflater, Z_DEFAULT_COMPRESSION), ==, Z_OK);
  probe->deflating = TRUE;
}

static void
probe_inflate_input (Probe *probe)
{
  z_stream *z = &probe->inflater;

  z->next_in = probe->input->data;
  z->avail_in = probe->input->len;
  while (z->avail_in > 0)
    {
      guint8 out[RECEIVE_CHUNK_SIZE];
      int ret;

      z->next_out = out;
      z->avail_out = sizeof out;
      ret = inflate (z, Z_SYNC_FLUSH);
      /* The daemon's stream is one that never ends while the link lives. */
      g_assert_cmpint (ret, ==, Z_OK);
      g_byte_array_append (probe->messages, out, (guint) (sizeof out - z->avail_out));
    }
  g_byte_array_set_size (probe->input, 0);
}

/* The next message the daemon sent, or NULL when the connection ended
 * between messages. */
static ShoalMessage *
probe_read_message (Probe  *probe,
                    gint64  deadline)
{
  g_assert_true (probe->inflating);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize consumed = 0;
      ShoalMessage *message = shoal_message_parse_next (probe->messages->data, probe->messages->len,
                                                        &consumed, &error);

      g_assert_no_error (error);
      if (message != NULL)
        {
          g_byte_array_remove_range (probe->messages, 0, (guint) consumed);
          return message;
        }
      if (probe->ended)
        {
          g_assert_cmpuint (probe->messages->len, ==, 0);
          return NULL;
        }
      probe_receive (probe, deadline);
      probe_inflate_input (probe);
    }
}

/* Skips what else the daemon sends (its discovery pings among them). */
static ShoalMessage *
probe_read_message_of_type (Probe  *probe,
                            guint8  type,
                            gint64  deadline)
{
  for (;;)
    {
      g_autoptr(ShoalMessage) message = probe_read_message (probe, deadline);

      g_assert_nonnull (message);
      if (message->header.type == type)
        return g_steal_pointer (&message);
    }
}

/* Messages we send ------------------------------------------------------ */

static GByteArray *
build_message (const ShoalGuid  *guid,
               guint8            type,
               guint8            ttl,
               guint8            hops,
               const GByteArray *payload)
{
  GByteArray *message = g_byte_array_new ();
  ShoalMessageHeader header = {
    .guid = *guid,
    .type = type,
    .ttl = ttl,
    .hops = hops,
    .payload_length = payload != NULL ? payload->len : 0,
  };

  shoal_message_header_append (&header, message);
  if (payload != NULL)
    g_byte_array_append (message, payload->data, payload->len);
  return message;
}

/* What gtk-gnutella's leaf answered its ultrapeer's alive ping with: a
 * pong with the ping's GUID and the leaf's own address. */
static void
send_pong (Probe           *probe,
           const ShoalGuid *guid)
{
  ShoalIpv4Endpoint leaf = { 0 };
  g_autoptr(ShoalPong) pong = NULL;
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GByteArray) message = NULL;
  g_autoptr(GError) error = NULL;
  static const char leaf_address[] = "127.0.0.2:16342";

  g_assert_true (shoal_ipv4_endpoint_parse (leaf_address, strlen (leaf_address), &leaf));
  pong = shoal_pong_new (&leaf, 4, 5 * 1024);
  shoal_pong_write (pong, payload, &error);
  g_assert_no_error (error);
  message = build_message (guid, SHOAL_MESSAGE_PONG, 1, 0, payload);
  probe_send_message_bytes (probe, message->data, message->len);
}

/* An alive ping: TTL 1, hops 0, no payload. */
static void
send_alive_ping (Probe     *probe,
                 ShoalGuid *guid)
{
  g_autoptr(GByteArray) message = NULL;

  shoal_guid_init_modern (guid);
  message = build_message (guid, SHOAL_MESSAGE_PING, 1, 0, NULL);
  probe_send_message_bytes (probe, message->data, message->len);
}

/* Handshake blocks ------------------------------------------------------ */

static GBytes *
transcript_step (const char *relative,
                 guint       step)
{
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript (relative);
  ShoalTestTranscriptSection *section;

  g_assert_cmpuint (sections->len, >, step);
  section = g_ptr_array_index (sections, step);
  return g_bytes_ref (section->bytes);
}

static ShoalHeaderBlock *
parse_block (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  ShoalHeaderBlock *block = shoal_header_block_parse (data, length, &error);

  g_assert_no_error (error);
  return block;
}

static GBytes *
write_block (const ShoalHeaderBlock *block)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  shoal_header_block_write (block, out, &error);
  g_assert_no_error (error);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The recorded gtk-gnutella leaf's step 1 with headers changed: pairs of
 * name and value, then NULL. A header keeps its place; a NULL value drops
 * it; a name the leaf did not send is appended. */
static GBytes *
recorded_connect_with (const char *name,
                       ...) G_GNUC_NULL_TERMINATED;

static GBytes *
recorded_connect_with (const char *name,
                       ...)
{
  g_autoptr(GBytes) recorded = transcript_step (LEAF_TRANSCRIPT, STEP_CONNECT);
  g_autoptr(ShoalHeaderBlock) original = parse_block (recorded);
  g_autoptr(ShoalHeaderBlock) changed = shoal_header_block_new_gnutella_connect (0, 6);
  g_autoptr(GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) placed = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;
  va_list args;

  va_start (args, name);
  for (const char *n = name; n != NULL; n = va_arg (args, const char *))
    g_hash_table_insert (overrides, (gpointer) n, va_arg (args, char *));
  va_end (args);

  for (guint i = 0; i < original->fields->len; i++)
    {
      ShoalHeaderField *field = g_ptr_array_index (original->fields, i);

      if (!g_hash_table_lookup_extended (overrides, field->name, &key, &value))
        shoal_header_block_add (changed, field->name, field->value);
      else if (value != NULL)
        shoal_header_block_add (changed, field->name, value);
      g_hash_table_add (placed, field->name);
    }
  g_hash_table_iter_init (&iter, overrides);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value != NULL && !g_hash_table_contains (placed, key))
      shoal_header_block_add (changed, key, value);
  return write_block (changed);
}

/* The recorded step 1 under a GUID of its own, so that the daemon does
 * not take it for a second link to a node it already has (409). */
static GBytes *
leaf_connect_with_new_guid (void)
{
  ShoalGuid guid;
  g_autofree char *hex = NULL;

  shoal_guid_init_modern (&guid);
  hex = shoal_guid_to_hex (&guid);
  return recorded_connect_with ("GUID", hex, NULL);
}

static GBytes *
plain_ack (void)
{
  static const char ack[] = "GNUTELLA/0.6 200 OK\r\n\r\n";

  return g_bytes_new_static (ack, sizeof ack - 1);
}

/* Sends @request and returns the daemon's answer. */
static ShoalHeaderBlock *
request_block (Probe  *probe,
               GBytes *request)
{
  g_autoptr(ShoalHeaderBlock) answer = NULL;

  probe_send_bytes (probe, request);
  answer = probe_read_block (probe, deadline_in (REPLY_TIMEOUT_S));
  g_assert_nonnull (answer);
  return g_steal_pointer (&answer);
}

static void
assert_gnutella_status (const ShoalHeaderBlock *block,
                        guint16                 code,
                        const char             *reason)
{
  g_assert_cmpint (block->kind, ==, SHOAL_HEADER_BLOCK_GNUTELLA_STATUS);
  g_assert_cmpuint (block->version.major, ==, 0);
  g_assert_cmpuint (block->version.minor, ==, 6);
  g_assert_cmpuint (block->status_code, ==, code);
  if (reason != NULL)
    g_assert_cmpstr (block->reason, ==, reason);
}

/* A whole handshake: @connect, the daemon's 200, then @ack. The daemon's
 * direction is compressed from then on, ours when @ack says so. */
static Probe *
establish_link (const Daemon       *daemon,
                GBytes             *connect,
                GBytes             *ack,
                ShoalHeaderBlock  **answer_out)
{
  g_autoptr(Probe) probe = probe_connect (daemon);
  g_autoptr(ShoalHeaderBlock) answer = request_block (probe, connect);
  g_autoptr(ShoalHeaderBlock) ack_block = parse_block (ack);

  assert_gnutella_status (answer, 200, NULL);
  g_assert_cmpstr (shoal_header_block_get (answer, "Content-Encoding"), ==, "deflate");
  probe_send_bytes (probe, ack);
  probe_start_inflating (probe);
  /* Bytes read past the answer are already the compressed stream. */
  probe_inflate_input (probe);
  if (g_strcmp0 (shoal_header_block_get (ack_block, "Content-Encoding"), "deflate") == 0)
    probe_start_deflating (probe);
  if (answer_out != NULL)
    *answer_out = g_steal_pointer (&answer);
  return g_steal_pointer (&probe);
}

/* What the daemon says to a new link first: a ping. Reading it also
 * proves the daemon took the link (it pings as it adds a peer). */
static void
assert_pinged (Probe *probe)
{
  g_autoptr(ShoalMessage) ping = probe_read_message_of_type (probe, SHOAL_MESSAGE_PING,
                                                             deadline_in (FIRST_PING_TIMEOUT_S));

  g_assert_cmpuint (ping->header.hops, ==, 0);
  g_assert_cmpuint (ping->header.ttl, >=, 1);
}

/* Starting a daemon --------------------------------------------------- */

/* A leaf tells the daemon of @daemon's ultrapeers in its step 1, then
 * leaves once the daemon dialled them all. Learned at run time, as from
 * any peer: the daemon then offers them in X-Try-Ultrapeers. */
static void
introduce_ultrapeers (const Daemon *daemon)
{
  g_autoptr(GString) list = g_string_new (NULL);
  g_autoptr(GBytes) connect = NULL;
  g_autoptr(GBytes) ack = transcript_step (LEAF_TRANSCRIPT, STEP_ACK);
  g_autoptr(Probe) probe = NULL;
  gint64 deadline = deadline_in (STARTUP_TIMEOUT_S);
  ShoalGuid guid;
  g_autofree char *hex = NULL;

  for (guint i = 0; i < daemon->ultrapeer_endpoints->len; i++)
    {
      char text[SHOAL_IPV4_ENDPOINT_STRLEN];

      shoal_ipv4_endpoint_format (&g_array_index (daemon->ultrapeer_endpoints, ShoalIpv4Endpoint, i),
                                  TRUE, text);
      g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", text);
    }
  shoal_guid_init_modern (&guid);
  hex = shoal_guid_to_hex (&guid);
  connect = recorded_connect_with ("GUID", hex, "Node", NULL, "X-Try-Ultrapeers", list->str, NULL);
  probe = establish_link (daemon, connect, ack, NULL);
  assert_pinged (probe);
  for (guint i = 0; i < daemon->ultrapeers->len; i++)
    if (!socket_ready_by (g_ptr_array_index (daemon->ultrapeers, i), G_IO_IN, deadline))
      {
        g_autofree char *text = read_daemon_stderr (daemon);

        g_test_message ("ultrapeer %u not dialled; shoald's stderr:\n%s", i, text);
        g_assert_not_reached ();
      }
}

/* Starts a daemon on 127.0.4.@index and returns once it accepts
 * connections and knows (and has dialled) KNOWN_ULTRAPEERS ultrapeers. */
static void
daemon_start (Daemon   *daemon,
              guint     index,
              gboolean  small_quarantine)
{
  g_autoptr(GError) error = NULL;
  gint64 deadline = deadline_in (STARTUP_TIMEOUT_S);

  memset (daemon, 0, sizeof *daemon);
  daemon->address = g_strdup_printf (ADDRESS_FORMAT, index);
  daemon->directory = g_dir_make_tmp ("shoal-shoald-XXXXXX", &error);
  g_assert_no_error (error);
  daemon->stderr_path = g_build_filename (daemon->directory, "shoald.stderr", NULL);
  daemon->ultrapeers = g_ptr_array_new_with_free_func (g_object_unref);
  daemon->ultrapeer_endpoints = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  for (guint i = 0; i < KNOWN_ULTRAPEERS; i++)
    {
      ShoalIpv4Endpoint endpoint;

      g_ptr_array_add (daemon->ultrapeers, listen_without_accepting (daemon->address, &endpoint));
      g_array_append_val (daemon->ultrapeer_endpoints, endpoint);
    }
  spawn_daemon (daemon, small_quarantine);
  while (!daemon_accepts (daemon))
    {
      daemon_fail_if_dead (daemon);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (CONNECT_RETRY_INTERVAL_US);  /* polling interval, not a wait for luck */
    }
  /* A daemon that could not bind (another run holds the address) has
   * exited: its stderr says why. */
  daemon_fail_if_dead (daemon);
  introduce_ultrapeers (daemon);
}

/* Assertions on answers ------------------------------------------------- */

static void
assert_header (const ShoalHeaderBlock *block,
               const char             *name,
               const char             *value)
{
  const char *got = shoal_header_block_get (block, name);

  if (got == NULL)
    g_test_message ("no %s header", name);
  g_assert_nonnull (got);
  if (value != NULL)
    g_assert_cmpstr (got, ==, value);
}

static void
assert_boolean_header (const ShoalHeaderBlock *block,
                       const char             *name,
                       gboolean                expected)
{
  g_autoptr(GError) error = NULL;
  gboolean value = !expected;

  assert_header (block, name, NULL);
  shoal_header_value_parse_boolean (shoal_header_block_get (block, name), &value, &error);
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, expected);
}

static guint64
number_header (const ShoalHeaderBlock *block,
               const char             *name)
{
  g_autoptr(GError) error = NULL;
  guint64 number = 0;

  assert_header (block, name, NULL);
  g_ascii_string_to_unsigned (shoal_header_block_get (block, name), 10, 0, G_MAXUINT32, &number, &error);
  g_assert_no_error (error);
  return number;
}

static gboolean
endpoints_contain (const char              *list,
                   const ShoalIpv4Endpoint *wanted)
{
  guint skipped = 0;
  g_autoptr(GArray) endpoints = shoal_header_value_parse_endpoints (list != NULL ? list : "", &skipped);

  for (guint i = 0; i < endpoints->len; i++)
    {
      const ShoalIpv4Endpoint *endpoint = &g_array_index (endpoints, ShoalIpv4Endpoint, i);

      if (endpoint->address == wanted->address && endpoint->port == wanted->port)
        return TRUE;
    }
  return FALSE;
}

static void
assert_lists_endpoint (const ShoalHeaderBlock *block,
                       const char             *name,
                       const char             *endpoint_text)
{
  ShoalIpv4Endpoint endpoint;

  g_assert_true (shoal_ipv4_endpoint_parse (endpoint_text, strlen (endpoint_text), &endpoint));
  if (!endpoints_contain (shoal_header_block_get (block, name), &endpoint))
    g_test_message ("%s: %s lacks %s", name, shoal_header_block_get (block, name), endpoint_text);
  g_assert_true (endpoints_contain (shoal_header_block_get (block, name), &endpoint));
}

/* gnutella-0.6.md §2.3–2.4: an ultrapeer's welcome, as a gtk-gnutella
 * leaf requires it (X-Degree ≥ 16 and X-Dynamic-Querying), compressed
 * both ways, offering the ultrapeers it knows. */
static void
assert_ultrapeer_welcome (const ShoalHeaderBlock *answer,
                          const Daemon           *daemon)
{
  static const char * const present[] = {
    "Pong-Caching", "GGEP", "Vendor-Message", "Bye-Packet", "X-Dynamic-Querying",
  };
  g_autoptr(GError) error = NULL;
  ShoalGuid guid;

  assert_gnutella_status (answer, 200, NULL);
  assert_boolean_header (answer, "X-Ultrapeer", TRUE);
  assert_header (answer, "Accept-Encoding", "deflate");
  assert_header (answer, "Content-Encoding", "deflate");
  assert_header (answer, "X-Query-Routing", "0.2");
  for (guint i = 0; i < G_N_ELEMENTS (present); i++)
    assert_header (answer, present[i], NULL);
  g_assert_cmpuint (number_header (answer, "X-Degree"), >=, SHOAL_HANDSHAKE_MIN_ULTRAPEER_DEGREE);
  g_assert_cmpuint (number_header (answer, "X-Max-TTL"), >=, 1);
  assert_header (answer, "User-Agent", NULL);
  g_assert_true (g_str_has_prefix (shoal_header_block_get (answer, "User-Agent"), "Shoal/"));
  assert_header (answer, "GUID", NULL);
  g_assert_cmpuint (strlen (shoal_header_block_get (answer, "GUID")), ==, SHOAL_GUID_HEX_LENGTH);
  shoal_guid_from_hex (shoal_header_block_get (answer, "GUID"), -1, &guid, &error);
  g_assert_no_error (error);
  assert_header (answer, "X-Try-Ultrapeers", NULL);
  for (guint i = 0; i < daemon->ultrapeer_endpoints->len; i++)
    {
      char text[SHOAL_IPV4_ENDPOINT_STRLEN];

      shoal_ipv4_endpoint_format (&g_array_index (daemon->ultrapeer_endpoints, ShoalIpv4Endpoint, i),
                                  TRUE, text);
      assert_lists_endpoint (answer, "X-Try-Ultrapeers", text);
    }
}

/* The keep-alive both ways over the real link: the daemon's ping gets our
 * pong, and our alive ping gets the daemon's own pong with its GUID. */
static void
exchange_keepalives (Probe        *probe,
                     const Daemon *daemon)
{
  g_autoptr(ShoalMessage) ping = probe_read_message_of_type (probe, SHOAL_MESSAGE_PING,
                                                             deadline_in (FIRST_PING_TIMEOUT_S));
  ShoalIpv4Endpoint expected = daemon_endpoint (daemon);
  gint64 deadline = deadline_in (REPLY_TIMEOUT_S);
  ShoalPongUltrapeer ultrapeer;
  guint32 vendor = 0;
  guint8 version = 0;
  ShoalGuid guid;

  g_assert_cmpuint (ping->header.hops, ==, 0);
  send_pong (probe, &ping->header.guid);
  send_alive_ping (probe, &guid);
  for (;;)
    {
      g_autoptr(ShoalMessage) pong = probe_read_message_of_type (probe, SHOAL_MESSAGE_PONG, deadline);

      if (!shoal_guid_equal (&pong->header.guid, &guid))
        continue;
      g_assert_cmpuint (pong->header.ttl, ==, 1);
      g_assert_cmpuint (pong->header.hops, ==, 0);
      g_assert_cmpuint (pong->pong->endpoint.address, ==, expected.address);
      g_assert_cmpuint (pong->pong->endpoint.port, ==, expected.port);
      g_assert_true (shoal_pong_get_vendor (pong->pong, &vendor, &version, NULL));
      g_assert_cmpuint (vendor, ==, SHOAL_VENDOR_CODE ('S', 'H', 'O', 'L'));
      g_assert_true (shoal_pong_get_ultrapeer (pong->pong, &ultrapeer, NULL));
      return;
    }
}

/* The test cases -------------------------------------------------------- */

/* gtk-gnutella's leaf, replayed: its step 1 and step 3 as recorded. */
static void
test_recorded_leaf (void)
{
  Daemon daemon;
  g_autoptr(GBytes) connect = transcript_step (LEAF_TRANSCRIPT, STEP_CONNECT);
  g_autoptr(GBytes) ack = transcript_step (LEAF_TRANSCRIPT, STEP_ACK);
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  g_autoptr(Probe) probe = NULL;

  daemon_start (&daemon, 1, FALSE);
  probe = establish_link (&daemon, connect, ack, &answer);
  assert_ultrapeer_welcome (answer, &daemon);
  exchange_keepalives (probe, &daemon);
  g_clear_pointer (&probe, probe_free);
  daemon_stop (&daemon);
}

/* The same leaf claiming to be an ultrapeer: two ultrapeers link. */
static void
test_ultrapeer_peer (void)
{
  Daemon daemon;
  g_autoptr(GBytes) connect = recorded_connect_with ("X-Ultrapeer", "True", NULL);
  g_autoptr(GBytes) ack = transcript_step (LEAF_TRANSCRIPT, STEP_ACK);
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  g_autoptr(Probe) probe = NULL;

  daemon_start (&daemon, 2, FALSE);
  probe = establish_link (&daemon, connect, ack, &answer);
  assert_ultrapeer_welcome (answer, &daemon);
  /* Free ultrapeer slots: no leaf guidance. */
  assert_boolean_header (answer, "X-Ultrapeer-Needed", TRUE);
  exchange_keepalives (probe, &daemon);
  g_clear_pointer (&probe, probe_free);
  daemon_stop (&daemon);
}

/* Sends @connect on a fresh connection: the daemon refuses with @code and
 * @reason, then closes. Returns the refusal. */
static ShoalHeaderBlock *
assert_refused (const Daemon *daemon,
                GBytes       *connect,
                guint16       code,
                const char   *reason)
{
  g_autoptr(Probe) probe = probe_connect (daemon);
  g_autoptr(ShoalHeaderBlock) answer = request_block (probe, connect);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (probe->socket, NULL);
  GInetAddress *our_address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  g_autofree char *our_ip = g_inet_address_to_string (our_address);

  assert_gnutella_status (answer, code, reason);
  /* As gtk-gnutella's send_error(): who we are and who we seem to be. */
  assert_header (answer, "User-Agent", NULL);
  assert_header (answer, "Remote-IP", our_ip);
  probe_read_to_end (probe, deadline_in (REPLY_TIMEOUT_S));
  return g_steal_pointer (&answer);
}

/* A leaf that cannot inflate: refused as gtk-gnutella refused it. */
static void
test_uncompressed_leaf_refused (void)
{
  Daemon daemon;
  g_autoptr(GBytes) connect = transcript_step (NO_DEFLATE_TRANSCRIPT, STEP_CONNECT);
  g_autoptr(GBytes) recorded_bytes = transcript_step (NO_DEFLATE_TRANSCRIPT, STEP_ANSWER);
  g_autoptr(ShoalHeaderBlock) recorded = parse_block (recorded_bytes);
  g_autoptr(ShoalHeaderBlock) answer = NULL;

  daemon_start (&daemon, 3, FALSE);
  answer = assert_refused (&daemon, connect, recorded->status_code, recorded->reason);
  g_assert_cmpuint (recorded->status_code, ==, 403);
  /* Neither names a role in a 4xx refusal. */
  g_assert_null (shoal_header_block_get (recorded, "X-Ultrapeer"));
  g_assert_null (shoal_header_block_get (answer, "X-Ultrapeer"));
  daemon_stop (&daemon);
}

/* A node that is neither leaf nor ultrapeer (no X-Ultrapeer at all). */
static void
test_normal_node_refused (void)
{
  Daemon daemon;
  g_autoptr(GBytes) connect = recorded_connect_with ("X-Ultrapeer", NULL, NULL);
  g_autoptr(ShoalHeaderBlock) answer = NULL;

  daemon_start (&daemon, 4, FALSE);
  answer = assert_refused (&daemon, connect, 403, "Normal nodes refused");
  g_assert_null (shoal_header_block_get (answer, "X-Ultrapeer"));
  daemon_stop (&daemon);
}

/* The crawler's answer: the daemon's links, then the end. */
static ShoalHeaderBlock *
crawl (const Daemon *daemon)
{
  g_autoptr(GBytes) connect = recorded_connect_with ("Crawler", "0.1", NULL);
  g_autoptr(Probe) probe = probe_connect (daemon);
  g_autoptr(ShoalHeaderBlock) answer = request_block (probe, connect);

  assert_gnutella_status (answer, 200, NULL);
  assert_header (answer, "Peers", NULL);
  assert_header (answer, "Leaves", NULL);
  probe_read_to_end (probe, deadline_in (REPLY_TIMEOUT_S));
  return g_steal_pointer (&answer);
}

static void
test_crawler (void)
{
  Daemon daemon;
  g_autoptr(GBytes) leaf_connect = transcript_step (LEAF_TRANSCRIPT, STEP_CONNECT);
  g_autoptr(GBytes) ack = transcript_step (LEAF_TRANSCRIPT, STEP_ACK);
  ShoalGuid guid;
  g_autofree char *hex = NULL;
  g_autoptr(GBytes) peer_connect = NULL;
  g_autoptr(Probe) leaf = NULL;
  g_autoptr(Probe) peer = NULL;
  g_autoptr(ShoalHeaderBlock) answer = NULL;

  shoal_guid_init_modern (&guid);
  hex = shoal_guid_to_hex (&guid);
  peer_connect = recorded_connect_with ("X-Ultrapeer", "True", "GUID", hex,
                                        "Node", "127.0.0.3:16343", NULL);
  daemon_start (&daemon, 5, FALSE);
  leaf = establish_link (&daemon, leaf_connect, ack, NULL);
  peer = establish_link (&daemon, peer_connect, ack, NULL);
  assert_pinged (leaf);
  assert_pinged (peer);

  answer = crawl (&daemon);
  assert_lists_endpoint (answer, "Peers", "127.0.0.3:16343");
  assert_lists_endpoint (answer, "Leaves", "127.0.0.2:16342");
  g_clear_pointer (&leaf, probe_free);
  g_clear_pointer (&peer, probe_free);
  daemon_stop (&daemon);
}

/* Paths out of the shares, and a bogus range, against the daemon's own
 * upload server: refused, never a byte of anything. The exhaustive list
 * is tests/xfer/test-upload-server.c's, in process. */
static void
check_hostile_http (const Daemon *daemon)
{
  static const struct
  {
    const char *request;
    guint16     lowest_status;
  } cases[] = {
    { "GET /get/1/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400 },
    { "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400 },
    { "GET /etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400 },
    { "GET /uri-res/N2R?urn:sha1:not-base32 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) request = g_bytes_new_static (cases[i].request, strlen (cases[i].request));
      g_autoptr(Probe) probe = probe_connect (daemon);
      g_autoptr(ShoalHeaderBlock) answer = request_block (probe, request);

      g_assert_cmpuint (answer->status_code, >=, cases[i].lowest_status);
      g_assert_cmpuint (answer->status_code, <, 500);
      probe_read_to_end (probe, deadline_in (REPLY_TIMEOUT_S));
    }
}

static void
test_http_and_giv (void)
{
  static const char get[] = "GET / HTTP/1.1\r\nHost: 127.0.4.6:6346\r\nUser-Agent: ShoalTest\r\n"
                            "Connection: close\r\n\r\n";
  static const char missing[] = "GET /uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB HTTP/1.1\r\n"
                                "Host: 127.0.4.6:6346\r\nConnection: close\r\n\r\n";
  g_autoptr(GBytes) missing_bytes = g_bytes_new_static (missing, sizeof missing - 1);
  static const char giv[] = "GIV 0:200b310283b9bf20b5d3d27ba19a6bd2/file\n\n";
  g_autoptr(GBytes) get_bytes = g_bytes_new_static (get, sizeof get - 1);
  g_autoptr(GBytes) giv_bytes = g_bytes_new_static (giv, sizeof giv - 1);
  Daemon daemon;
  g_autoptr(Probe) http = NULL;
  g_autoptr(Probe) push = NULL;
  g_autoptr(ShoalHeaderBlock) answer = NULL;

  daemon_start (&daemon, 6, FALSE);
  /* The upload server answers on the same port: a browser gets the
   * listing of what is shared (nothing here), a file we do not have is
   * not found. */
  http = probe_connect (&daemon);
  answer = request_block (http, get_bytes);
  g_assert_cmpint (answer->kind, ==, SHOAL_HEADER_BLOCK_HTTP_STATUS);
  g_assert_cmpuint (answer->version.major, ==, 1);
  g_assert_cmpuint (answer->version.minor, ==, 1);
  g_assert_cmpuint (answer->status_code, ==, 200);
  g_assert_true (g_str_has_prefix (shoal_header_block_get (answer, "Server"), "Shoal/"));
  g_assert_true (g_str_has_prefix (shoal_header_block_get (answer, "Content-Type"), "text/html"));
  probe_read_to_end (http, deadline_in (REPLY_TIMEOUT_S));
  g_clear_pointer (&http, probe_free);
  g_clear_pointer (&answer, shoal_header_block_free);
  http = probe_connect (&daemon);
  answer = request_block (http, missing_bytes);
  g_assert_cmpuint (answer->status_code, ==, 404);
  probe_read_to_end (http, deadline_in (REPLY_TIMEOUT_S));
  check_hostile_http (&daemon);

  /* No download waits for a push: closed without a word. */
  push = probe_connect (&daemon);
  probe_send_bytes (push, giv_bytes);
  g_assert_cmpuint (probe_read_to_end (push, deadline_in (REPLY_TIMEOUT_S)), ==, 0);
  g_clear_pointer (&http, probe_free);
  g_clear_pointer (&push, probe_free);
  daemon_stop (&daemon);
}

/* Bad input ------------------------------------------------------------- */

/* First lines the daemon serves nothing for: closed without a word. */
static void
check_garbage_first_lines (const Daemon *daemon)
{
  static const guint8 binary[] = { 0x00, 0xff, 0x13, 0x37, 0x80, 0x01, 0xfe, 'G', 0x7f, '\r', '\n' };
  static const char empty[] = "\r\n";
  static const char legacy[] = "GNUTELLA CONNECT/0.4\r\n\r\n";
  g_autofree guint8 *long_line = g_malloc (LONG_FIRST_LINE_SIZE);
  struct
  {
    const char   *what;
    const guint8 *data;
    gsize         length;
  } lines[] = {
    { "binary bytes", binary, sizeof binary },
    { "a line without end", long_line, LONG_FIRST_LINE_SIZE },
    { "an empty line", (const guint8 *) empty, sizeof empty - 1 },
    { "a Gnutella 0.4 handshake", (const guint8 *) legacy, sizeof legacy - 1 },
  };

  memset (long_line, 'A', LONG_FIRST_LINE_SIZE);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(Probe) probe = probe_connect (daemon);
      gint64 deadline = deadline_in (REPLY_TIMEOUT_S);

      g_test_message ("first line: %s", lines[i].what);
      /* The daemon may hang up before it took a line it has seen enough of. */
      probe_send_raw (probe, lines[i].data, lines[i].length, deadline);
      g_assert_cmpuint (probe_read_to_end (probe, deadline), ==, 0);
    }
}

/* A valid first line, which hands the connection to the handshake. */
static GByteArray *
build_connect_line (void)
{
  static const char first[] = "GNUTELLA CONNECT/0.6\r\n";
  GByteArray *line = g_byte_array_new ();

  g_byte_array_append (line, (const guint8 *) first, sizeof first - 1);
  return line;
}

/* A first line, then header lines of @line_size bytes up to @size. */
static GByteArray *
build_header_flood (gsize size,
                    gsize line_size)
{
  GByteArray *flood = build_connect_line ();
  g_autofree char *filler = g_strnfill (line_size, 'a');
  guint number = 0;

  while (flood->len + line_size <= size)
    {
      g_autofree char *line = g_strdup_printf ("X-%06u: %s", number++, filler);

      /* Cut to leave room for CR LF. */
      line[line_size - 2] = '\0';
      g_byte_array_append (flood, (const guint8 *) line, (guint) strlen (line));
      g_byte_array_append (flood, (const guint8 *) "\r\n", 2);
    }
  return flood;
}

/* A 1 MiB header block: the daemon answers 413 or hangs up long before it
 * took it all. We stop sending once it answered or closed. */
static void
check_header_flood (const Daemon *daemon)
{
  g_autoptr(GByteArray) flood = build_header_flood (HEADER_FLOOD_SIZE, HEADER_FLOOD_LINE_SIZE);
  g_autoptr(Probe) probe = probe_connect (daemon);
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = deadline_in (REPLY_TIMEOUT_S);
  gsize offset = 0;

  g_socket_set_option (probe->socket, SOL_SOCKET, SO_SNDBUF, PROBE_SEND_BUFFER_SIZE, &error);
  g_assert_no_error (error);
  while (offset < flood->len)
    {
      GIOCondition ready = wait_for_socket (probe->socket, G_IO_OUT | G_IO_IN, deadline);
      gssize sent;

      if (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR))
        break;
      sent = g_socket_send (probe->socket, (const char *) flood->data + offset,
                            flood->len - offset, NULL, &error);
      if (sent < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          continue;
        }
      if (sent < 0 && is_connection_lost (error))
        break;
      g_assert_no_error (error);
      offset += (gsize) sent;
    }
  /* The answer may be lost to the reset of a close with unread input. */
  answer = probe_read_block (probe, deadline);
  g_test_message ("header flood: the daemon's end took %" G_GSIZE_FORMAT " of %u bytes, then %s",
                  offset, flood->len, answer != NULL ? "answered" : "reset the connection");
  g_assert_cmpuint (offset, <, flood->len);
  if (answer != NULL)
    assert_gnutella_status (answer, 413, NULL);
  probe_read_to_end (probe, deadline);
}

/* Thousands of short header lines: 413 once the 128th is passed. */
static void
check_endless_header_lines (const Daemon *daemon)
{
  static const char line[] = "A: b\r\n";
  g_autoptr(GByteArray) lines = build_connect_line ();
  g_autoptr(Probe) probe = probe_connect (daemon);
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  gint64 deadline = deadline_in (REPLY_TIMEOUT_S);

  for (guint i = 0; i < ENDLESS_HEADER_LINES; i++)
    g_byte_array_append (lines, (const guint8 *) line, sizeof line - 1);
  probe_send_raw (probe, lines->data, lines->len, deadline);
  answer = probe_read_block (probe, deadline);
  g_assert_nonnull (answer);
  assert_gnutella_status (answer, 413, NULL);
  probe_read_to_end (probe, deadline);
}

/* After a completed handshake: the daemon says bye with a 4xx or 5xx code,
 * then closes. */
static void
assert_bye_then_end (Probe *probe)
{
  gint64 deadline = deadline_in (REPLY_TIMEOUT_S);
  g_autoptr(ShoalMessage) bye = probe_read_message_of_type (probe, SHOAL_MESSAGE_BYE, deadline);
  g_autoptr(ShoalMessage) after = NULL;

  g_test_message ("bye %u %s", bye->bye->code, bye->bye->reason);
  g_assert_cmpuint (bye->bye->code, >=, 400);
  g_assert_cmpuint (bye->header.hops, ==, 0);
  after = probe_read_message (probe, deadline);
  g_assert_null (after);
}

static Probe *
establish_fresh_link (const Daemon *daemon,
                      GBytes       *ack)
{
  g_autoptr(GBytes) connect = leaf_connect_with_new_guid ();

  return establish_link (daemon, connect, ack, NULL);
}

/* A query header announcing 60 KiB: the link ends before the payload. */
static void
check_oversized_message (const Daemon *daemon,
                         GBytes       *ack)
{
  g_autoptr(Probe) probe = establish_fresh_link (daemon, ack);
  ShoalMessageHeader header = {
    .type = SHOAL_MESSAGE_QUERY,
    .ttl = 4,
    .hops = 0,
    .payload_length = OVERSIZED_QUERY_LENGTH,
  };
  guint8 bytes[SHOAL_MESSAGE_HEADER_SIZE];

  shoal_guid_init_modern (&header.guid);
  shoal_message_header_write (&header, bytes);
  probe_send_message_bytes (probe, bytes, sizeof bytes);
  assert_bye_then_end (probe);
}

/* Hops 255, which no message can reach: the stream is out of step. */
static void
check_desynchronised_header (const Daemon *daemon,
                             GBytes       *ack)
{
  g_autoptr(Probe) probe = establish_fresh_link (daemon, ack);
  ShoalMessageHeader header = { .type = SHOAL_MESSAGE_PING, .ttl = 1, .hops = 255 };
  guint8 bytes[SHOAL_MESSAGE_HEADER_SIZE];

  shoal_guid_init_modern (&header.guid);
  shoal_message_header_write (&header, bytes);
  probe_send_message_bytes (probe, bytes, sizeof bytes);
  assert_bye_then_end (probe);
}

/* Content-Encoding: deflate, then bytes that are no zlib stream. */
static void
check_corrupt_compression (const Daemon *daemon,
                           GBytes       *ack)
{
  /* A valid zlib header, then a final block of the reserved type 3. */
  static const guint8 bad_block[] = { 0x78, 0x9c, 0xff, 0xff, 0xff, 0xff };
  g_autoptr(GRand) generator = g_rand_new_with_seed (CORRUPT_ZLIB_SEED);
  guint8 random_bytes[CORRUPT_ZLIB_SIZE];
  struct
  {
    const char   *what;
    const guint8 *data;
    gsize         length;
  } streams[] = {
    { "random bytes", random_bytes, sizeof random_bytes },
    { "an invalid block type", bad_block, sizeof bad_block },
  };

  for (guint i = 0; i < sizeof random_bytes; i++)
    random_bytes[i] = (guint8) g_rand_int_range (generator, 0, 256);
  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    {
      g_autoptr(Probe) probe = establish_fresh_link (daemon, ack);

      g_test_message ("compressed stream: %s", streams[i].what);
      g_assert_true (probe_send_raw (probe, streams[i].data, streams[i].length,
                                     deadline_in (REPLY_TIMEOUT_S)));
      assert_bye_then_end (probe);
    }
}

/* The zlib stream stops in the middle of a block, and we hang up. */
static void
check_truncated_compression (const Daemon *daemon,
                             GBytes       *ack)
{
  g_autoptr(Probe) probe = establish_fresh_link (daemon, ack);
  g_autoptr(GByteArray) pings = g_byte_array_new ();
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  z_stream *z = &probe->deflater;
  guint8 out[RECEIVE_CHUNK_SIZE];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < TRUNCATED_PINGS; i++)
    {
      ShoalGuid guid;
      g_autoptr(GByteArray) ping = NULL;

      shoal_guid_init_modern (&guid);
      ping = build_message (&guid, SHOAL_MESSAGE_PING, 1, 0, NULL);
      g_byte_array_append (pings, ping->data, ping->len);
    }
  z->next_in = pings->data;
  z->avail_in = pings->len;
  z->next_out = out;
  z->avail_out = sizeof out;
  g_assert_cmpint (deflate (z, Z_SYNC_FLUSH), ==, Z_OK);
  g_byte_array_append (wire, out, (guint) (sizeof out - z->avail_out) / 2);
  g_assert_true (probe_send_raw (probe, wire->data, wire->len, deadline_in (REPLY_TIMEOUT_S)));
  g_socket_shutdown (probe->socket, FALSE, TRUE, &error);
  g_assert_no_error (error);
  probe_read_to_end (probe, deadline_in (REPLY_TIMEOUT_S));
}

/* About 64 KiB of alive pings, each with its own GUID. */
static GByteArray *
build_ping_chunk (guint32 round)
{
  GByteArray *chunk = g_byte_array_new ();

  for (guint32 i = 0; i < FLOOD_CHUNK_PINGS; i++)
    {
      ShoalMessageHeader header = { .type = SHOAL_MESSAGE_PING, .ttl = 1, .hops = 0 };

      memcpy (header.guid.bytes, &round, sizeof round);
      memcpy (header.guid.bytes + sizeof round, &i, sizeof i);
      header.guid.bytes[8] = 0xff;  /* a modern GUID */
      shoal_message_header_append (&header, chunk);
    }
  return chunk;
}

/* A peer that sends pings and never reads the pongs: the daemon must keep
 * reading it (dropping what it cannot send, as gtk-gnutella does), stay
 * within bounded memory, and go on serving others meanwhile. */
static void
check_reader_that_never_reads (const Daemon *daemon)
{
  g_autoptr(GBytes) ack = plain_ack ();
  g_autoptr(Probe) probe = establish_fresh_link (daemon, ack);
  gint64 deadline = deadline_in (FLOOD_TIMEOUT_S);
  gint64 started = g_get_monotonic_time ();
  guint64 rss_start = daemon_rss_kib (daemon);
  guint64 rss_peak = rss_start;
  gboolean crawled = FALSE;
  gsize sent = 0;

  for (guint32 round = 0; sent < FLOOD_SIZE; round++)
    {
      g_autoptr(GByteArray) chunk = build_ping_chunk (round);

      g_assert_true (probe_send_raw (probe, chunk->data, chunk->len, deadline));
      sent += chunk->len;
      rss_peak = MAX (rss_peak, daemon_rss_kib (daemon));
      if (!crawled && sent >= FLOOD_SIZE / 2)
        {
          shoal_header_block_free (crawl (daemon));
          crawled = TRUE;
        }
    }
  g_test_message ("%" G_GSIZE_FORMAT " bytes of pings taken in %.1f s; the daemon's RSS went "
                  "from %" G_GUINT64_FORMAT " KiB to at most %" G_GUINT64_FORMAT " KiB",
                  sent, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC,
                  rss_start, rss_peak);
  g_assert_true (crawled);
  g_assert_cmpuint (rss_peak - rss_start, <, RSS_GROWTH_MAX_KIB);
}

static void
test_bad_input (void)
{
  Daemon daemon;
  g_autoptr(GBytes) connect = transcript_step (LEAF_TRANSCRIPT, STEP_CONNECT);
  g_autoptr(GBytes) ack = transcript_step (LEAF_TRANSCRIPT, STEP_ACK);
  g_autoptr(Probe) silent = NULL;
  g_autoptr(Probe) probe = NULL;
  gint64 silent_connected;
  gint64 silent_deadline;

  daemon_start (&daemon, 7, TRUE);
  /* A client that never speaks: it is closed by the first-line timeout,
   * while every check below is served meanwhile. */
  silent = probe_connect (&daemon);
  silent_connected = g_get_monotonic_time ();
  silent_deadline = deadline_in (FIRST_LINE_TIMEOUT_S + REPLY_TIMEOUT_S);

  check_garbage_first_lines (&daemon);
  check_header_flood (&daemon);
  check_endless_header_lines (&daemon);
  check_oversized_message (&daemon, ack);
  check_desynchronised_header (&daemon, ack);
  check_corrupt_compression (&daemon, ack);
  check_truncated_compression (&daemon, ack);
  check_reader_that_never_reads (&daemon);

  g_assert_cmpuint (probe_read_to_end (silent, silent_deadline), ==, 0);
  /* Closed by that timeout, not before it (the daemon's clock starts at
   * its accept, a moment before ours). */
  g_assert_cmpint (g_get_monotonic_time () - silent_connected, >=,
                   (gint64) (FIRST_LINE_TIMEOUT_S - 1) * G_USEC_PER_SEC);
  /* After all that, gtk-gnutella's leaf is still welcome. */
  probe = establish_link (&daemon, connect, ack, NULL);
  assert_pinged (probe);
  g_clear_pointer (&probe, probe_free);
  g_clear_pointer (&silent, probe_free);
  daemon_stop (&daemon);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shoald/recorded-leaf", test_recorded_leaf);
  g_test_add_func ("/shoald/ultrapeer-peer", test_ultrapeer_peer);
  g_test_add_func ("/shoald/uncompressed-leaf-refused", test_uncompressed_leaf_refused);
  g_test_add_func ("/shoald/normal-node-refused", test_normal_node_refused);
  g_test_add_func ("/shoald/crawler", test_crawler);
  g_test_add_func ("/shoald/http-and-giv", test_http_and_giv);
  g_test_add_func ("/shoald/bad-input", test_bad_input);
  return g_test_run ();
}
