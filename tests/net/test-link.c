/* test-link.c — links over real loopback TCP: framing, compression in each
 * direction, the handshake's leftover bytes, keep-alive, idle timeout, byes,
 * hostile input, a peer that never reads, exact counters, and gtk-gnutella's
 * captured deflated stream replayed through a link. */
#include "shoal-test-loop.h"
#include "shoal-handshake.h"
#include "shoal-link.h"
#include "shoal-net-types.h"
#include "shoal-test-vectors.h"

#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

/* Every wait fails the test after this long; the conditions waited for
 * take milliseconds. */
#define WAIT_TIMEOUT_MS 10000

/* Waiting ----------------------------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

static void
wait_until (Condition   done,
            gpointer    data,
            const char *what)
{
  shoal_test_wait_until (done, data, WAIT_TIMEOUT_MS, what);
}

/* Runs whatever is ready, so that sources the test just caused finish. */
static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Loopback connections ----------------------------------------------------- */

typedef struct
{
  GSocketConnection *accepted;
  GSocketConnection *connected;
} SocketPair;

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  SocketPair *pair = user_data;

  pair->accepted = g_object_ref (connection);
  return TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SocketPair *pair = user_data;
  g_autoptr(GError) error = NULL;

  pair->connected = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
pair_is_connected (gpointer data)
{
  SocketPair *pair = data;

  return pair->accepted != NULL && pair->connected != NULL;
}

/* A TCP connection on 127.0.0.1. With @small_buffers both ends keep tiny
 * kernel buffers, so a peer that does not read stops the sender quickly. */
static void
connect_pair (SocketPair *pair,
              gboolean    small_buffers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) listening = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  g_assert_no_error (error);
  if (small_buffers)
    g_assert_true (g_socket_set_option (listening, SOL_SOCKET, SO_RCVBUF, 4096, &error));
  g_assert_true (g_socket_bind (listening, any_port, TRUE, &error));
  g_assert_true (g_socket_listen (listening, &error));
  bound = g_socket_get_local_address (listening, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), >, 0);
  g_assert_true (g_socket_listener_add_socket (G_SOCKET_LISTENER (service), listening, NULL, &error));

  memset (pair, 0, sizeof *pair);
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), pair);
  g_socket_service_start (service);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (bound), NULL, on_connected, pair);
  wait_until (pair_is_connected, pair, "the loopback connection");
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  if (small_buffers)
    {
      GSocket *socket = g_socket_connection_get_socket (pair->connected);

      g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, 4096, &error));
    }
}

static void
socket_pair_clear (SocketPair *pair)
{
  g_clear_object (&pair->accepted);
  g_clear_object (&pair->connected);
}

/* A link and what it reported ---------------------------------------------- */

typedef struct
{
  ShoalLink *link;
  GPtrArray *received;     /* GBytes: each message as header + payload */
  GArray    *types;        /* guint8 */
  GError    *closed;       /* the first reason */
  guint      closed_count;
  gboolean   answer_pings; /* reply to alive pings like a router would */
  guint      pings;
  guint      pongs;
  gboolean   saw_flow_control;
} Peer;

static GBytes *
message_to_wire (const ShoalMessage *message)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  shoal_message_header_append (&message->header, out);
  g_byte_array_append (out, g_bytes_get_data (message->payload, NULL),
                       g_bytes_get_size (message->payload));
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* A pong answering @guid with an empty 14-byte body, TTL 1, hops 0. */
static GBytes *
make_pong (const ShoalGuid *guid)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  ShoalMessageHeader header = { .guid = *guid, .type = SHOAL_MESSAGE_PONG, .ttl = 1, .payload_length = 14 };
  static const guint8 body[14] = { 0 };

  shoal_message_header_append (&header, out);
  g_byte_array_append (out, body, sizeof body);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
on_message_received (ShoalLink    *link,
                     ShoalMessage *message,
                     Peer         *peer)
{
  guint8 type = message->header.type;

  g_ptr_array_add (peer->received, message_to_wire (message));
  g_array_append_val (peer->types, type);
  if (type == SHOAL_MESSAGE_PONG)
    peer->pongs++;
  if (type != SHOAL_MESSAGE_PING)
    return;
  peer->pings++;
  if (peer->answer_pings)
    {
      g_autoptr(GBytes) pong = make_pong (&message->header.guid);

      g_assert_true (shoal_link_send_bytes (link, pong, SHOAL_LINK_PRIORITY_CONTROL));
    }
}

static void
on_closed (ShoalLink    *link,
           const GError *reason,
           Peer         *peer)
{
  g_assert_nonnull (reason);
  g_assert_true (reason->domain == SHOAL_NET_ERROR);
  if (peer->closed == NULL)
    peer->closed = g_error_copy (reason);
  peer->closed_count++;
}

static void
on_flow_controlled (ShoalLink  *link,
                    GParamSpec *pspec,
                    Peer       *peer)
{
  if (shoal_link_get_flow_controlled (link))
    peer->saw_flow_control = TRUE;
}

/* Links in tests send nothing on their own unless a test asks. */
static void
quiet_config (ShoalLinkConfig *config)
{
  shoal_link_config_init_default (config);
  config->keepalive_period_ms = 0;
  config->idle_timeout_ms = 0;
}

static void
peer_start (Peer                  *peer,
            GSocketConnection     *connection,
            GBytes                *leftover,
            gboolean               inflate_input,
            gboolean               deflate_output,
            const ShoalLinkConfig *config)
{
  ShoalLinkConfig defaults;

  if (config == NULL)
    {
      quiet_config (&defaults);
      config = &defaults;
    }
  memset (peer, 0, sizeof *peer);
  peer->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  peer->types = g_array_new (FALSE, FALSE, sizeof (guint8));
  peer->link = shoal_link_new (G_IO_STREAM (connection), leftover, inflate_input, deflate_output, config);
  g_signal_connect (peer->link, "message-received", G_CALLBACK (on_message_received), peer);
  g_signal_connect (peer->link, "closed", G_CALLBACK (on_closed), peer);
  g_signal_connect (peer->link, "notify::flow-controlled", G_CALLBACK (on_flow_controlled), peer);
  shoal_link_start (peer->link);
}

static void
peer_clear (Peer *peer)
{
  g_clear_object (&peer->link);
  g_clear_pointer (&peer->received, g_ptr_array_unref);
  g_clear_pointer (&peer->types, g_array_unref);
  g_clear_error (&peer->closed);
  /* Lets the stream's asynchronous close finish. */
  drain_main_context ();
}

static gboolean
peer_is_closed (gpointer data)
{
  return ((Peer *) data)->closed_count > 0;
}

static ShoalLinkStats
peer_stats (Peer *peer)
{
  ShoalLinkStats stats;

  shoal_link_get_stats (peer->link, &stats);
  return stats;
}

typedef struct
{
  Peer *peer;
  guint count;
} ReceivedCount;

static gboolean
has_received (gpointer data)
{
  ReceivedCount *wanted = data;

  return wanted->peer->received->len >= wanted->count;
}

static void
wait_for_messages (Peer *peer,
                   guint count)
{
  ReceivedCount wanted = { peer, count };

  wait_until (has_received, &wanted, "messages");
}

static void
assert_received (Peer   *peer,
                 guint   index,
                 GBytes *expected)
{
  GBytes *got;

  g_assert_cmpuint (index, <, peer->received->len);
  got = g_ptr_array_index (peer->received, index);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got),
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

/* A raw peer: plain bytes over a socket, no link ----------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GCancellable      *cancellable;
  GByteArray        *read;
  gboolean           reading;
  gboolean           eof;
  guint              writes_pending;
} RawPeer;

static void
raw_init (RawPeer           *raw,
          GSocketConnection *connection)
{
  memset (raw, 0, sizeof *raw);
  raw->connection = g_object_ref (connection);
  raw->cancellable = g_cancellable_new ();
  raw->read = g_byte_array_new ();
}

static gboolean
raw_stopped_reading (gpointer data)
{
  return !((RawPeer *) data)->reading;
}

static void
raw_clear (RawPeer *raw)
{
  g_cancellable_cancel (raw->cancellable);
  wait_until (raw_stopped_reading, raw, "the raw peer's read to stop");
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, NULL);
  g_clear_object (&raw->connection);
  g_clear_object (&raw->cancellable);
  g_clear_pointer (&raw->read, g_byte_array_unref);
}

static void
on_raw_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RawPeer *raw = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
  raw->writes_pending--;
}

static gboolean
raw_writes_done (gpointer data)
{
  return ((RawPeer *) data)->writes_pending == 0;
}

/* Writes @data and waits until the kernel took it all. */
static void
raw_write (RawPeer    *raw,
           const void *data,
           gsize       length)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));

  raw->writes_pending++;
  g_output_stream_write_all_async (output, data, length, G_PRIORITY_DEFAULT, NULL,
                                   on_raw_written, raw);
  wait_until (raw_writes_done, raw, "the raw peer's write");
}

static void
raw_shutdown_write (RawPeer *raw)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (raw->connection),
                                    FALSE, TRUE, &error));
  g_assert_no_error (error);
}

static void raw_read_next (RawPeer *raw);

/* Reads until the end of the stream, then hangs up as a polite peer does
 * after a bye. */
static void
on_raw_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RawPeer *raw = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  raw->reading = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_assert_no_error (error);
  if (g_bytes_get_size (bytes) == 0)
    {
      raw->eof = TRUE;
      g_io_stream_close (G_IO_STREAM (raw->connection), NULL, NULL);
      return;
    }
  g_byte_array_append (raw->read, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  raw_read_next (raw);
}

static void
raw_read_next (RawPeer *raw)
{
  raw->reading = TRUE;
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (raw->connection)),
                                   4096, G_PRIORITY_DEFAULT, raw->cancellable, on_raw_read, raw);
}

/* The raw peer read exactly one message, a plain bye with @code. */
static void
assert_raw_got_bye (RawPeer *raw,
                    guint16  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalMessage) message = shoal_message_parse (raw->read->data, raw->read->len, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (message->header.type, ==, SHOAL_MESSAGE_BYE);
  g_assert_cmpuint (message->header.ttl, ==, 1);
  g_assert_cmpuint (message->header.hops, ==, 0);
  g_assert_cmpuint (message->bye->code, ==, code);
  g_assert_true (message->bye->terminated);
}

/* Messages ---------------------------------------------------------------- */

static GBytes *
make_message (guint8       type,
              guint8       ttl,
              guint8       hops,
              const void  *payload,
              gsize        length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  ShoalMessageHeader header = { .type = type, .ttl = ttl, .hops = hops, .payload_length = length };

  shoal_guid_init_modern (&header.guid);
  shoal_message_header_append (&header, out);
  g_byte_array_append (out, payload, length);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static GBytes *
make_ping (void)
{
  return make_message (SHOAL_MESSAGE_PING, 1, 0, "", 0);
}

/* Messages captured from gtk-gnutella, one direction of session s00. */
static GPtrArray *
load_session_messages (const char *prefix)
{
  g_autoptr(GPtrArray) paths = shoal_test_list_vectors (".bin");
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < paths->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (paths, i), prefix))
      g_ptr_array_add (messages, shoal_test_load_vector (g_ptr_array_index (paths, i)));
  g_assert_cmpuint (messages->len, >, 0);
  return messages;
}

/* One zlib stream holding @messages, sync-flushed after each, as
 * gtk-gnutella writes them. */
static GByteArray *
deflate_messages (GBytes **messages,
                  guint    count)
{
  GByteArray *out = g_byte_array_new ();
  z_stream z = { 0 };
  guint8 chunk[4096];

  g_assert_cmpint (deflateInit (&z, Z_BEST_COMPRESSION), ==, Z_OK);
  for (guint i = 0; i < count; i++)
    {
      z.next_in = (Bytef *) g_bytes_get_data (messages[i], NULL);
      z.avail_in = g_bytes_get_size (messages[i]);
      do
        {
          z.next_out = chunk;
          z.avail_out = sizeof chunk;
          g_assert_cmpint (deflate (&z, Z_SYNC_FLUSH), !=, Z_STREAM_ERROR);
          g_byte_array_append (out, chunk, sizeof chunk - z.avail_out);
        }
      while (z.avail_out == 0);
    }
  deflateEnd (&z);
  return out;
}

/* Two links talking ------------------------------------------------------- */

typedef struct
{
  gboolean a_inflates;   /* B deflates what it sends to A */
  gboolean a_deflates;
} Compression;

typedef struct
{
  Peer *a;
  Peer *b;
} PeerPair;

static gboolean
counters_settled (gpointer data)
{
  PeerPair *pair = data;
  ShoalLinkStats a = peer_stats (pair->a), b = peer_stats (pair->b);

  return a.bytes_out == b.bytes_in && b.bytes_out == a.bytes_in;
}

static gboolean
both_closed (gpointer data)
{
  PeerPair *pair = data;

  return pair->a->closed_count > 0 && pair->b->closed_count > 0;
}

/* Sends @messages @rounds times from @from; returns their total size. */
static guint64
send_rounds (Peer      *from,
             GPtrArray *messages,
             guint      rounds)
{
  guint64 total = 0;

  for (guint round = 0; round < rounds; round++)
    for (guint i = 0; i < messages->len; i++)
      {
        GBytes *message = g_ptr_array_index (messages, i);

        g_assert_true (shoal_link_send_bytes (from->link, message, SHOAL_LINK_PRIORITY_REPLY));
        total += g_bytes_get_size (message);
      }
  return total;
}

static void
assert_direction (Peer      *from,
                  Peer      *to,
                  GPtrArray *messages,
                  guint      rounds,
                  guint64    total,
                  gboolean   deflated)
{
  ShoalLinkStats sent = peer_stats (from), got = peer_stats (to);

  for (guint i = 0; i < messages->len * rounds; i++)
    assert_received (to, i, g_ptr_array_index (messages, i % messages->len));
  g_assert_cmpuint (sent.messages_out, ==, messages->len * rounds);
  g_assert_cmpuint (got.messages_in, ==, messages->len * rounds);
  g_assert_cmpuint (sent.payload_bytes_out, ==, total);
  g_assert_cmpuint (got.payload_bytes_in, ==, total);
  g_assert_cmpuint (sent.bytes_out, ==, got.bytes_in);
  if (deflated)
    /* The same messages again and again compress well. */
    g_assert_cmpuint (sent.bytes_out, <, total / 2);
  else
    g_assert_cmpuint (sent.bytes_out, ==, total);
  g_assert_cmpuint (sent.dropped, ==, 0);
  g_assert_cmpuint (got.bad, ==, 0);
}

static void
test_exchange (gconstpointer data)
{
  const Compression *compression = data;
  g_autoptr(GPtrArray) a_messages = load_session_messages ("session-plain/s00_c2s_");
  g_autoptr(GPtrArray) b_messages = load_session_messages ("session-plain/s00_s2c_");
  const guint rounds = 5;
  SocketPair sockets;
  Peer a, b;
  PeerPair both = { &a, &b };
  guint64 a_total, b_total;
  ShoalLinkStats b_before_bye;

  g_assert_cmpuint (a_messages->len, ==, 13);
  g_assert_cmpuint (b_messages->len, ==, 9);
  connect_pair (&sockets, FALSE);
  peer_start (&a, sockets.connected, NULL, compression->a_inflates, compression->a_deflates, NULL);
  peer_start (&b, sockets.accepted, NULL, compression->a_deflates, compression->a_inflates, NULL);
  g_assert_nonnull (shoal_link_get_remote_address (a.link));
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (shoal_link_get_remote_address (a.link)));

  a_total = send_rounds (&a, a_messages, rounds);
  b_total = send_rounds (&b, b_messages, rounds);
  wait_for_messages (&b, a_messages->len * rounds);
  wait_for_messages (&a, b_messages->len * rounds);
  wait_until (counters_settled, &both, "both directions' bytes to arrive");
  assert_direction (&a, &b, a_messages, rounds, a_total, compression->a_deflates);
  assert_direction (&b, &a, b_messages, rounds, b_total, compression->a_inflates);
  g_assert_cmpuint (shoal_link_get_queued_bytes (a.link), ==, 0);

  /* A says bye: B gets it as a message, closes at once without answering,
   * and each side reports its reason exactly once. */
  b_before_bye = peer_stats (&b);
  shoal_link_close (a.link, 200, "Test over");
  g_assert_false (shoal_link_send_bytes (a.link, g_ptr_array_index (a_messages, 0),
                                         SHOAL_LINK_PRIORITY_CONTROL));
  wait_until (both_closed, &both, "both links to close");
  g_assert_cmpuint (b.types->len, ==, a_messages->len * rounds + 1);
  g_assert_cmpuint (g_array_index (b.types, guint8, b.types->len - 1), ==, SHOAL_MESSAGE_BYE);
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_nonnull (strstr (a.closed->message, "200 Test over"));
  g_assert_error (b.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_nonnull (strstr (b.closed->message, "200 Test over"));
  g_assert_cmpuint (peer_stats (&b).messages_out, ==, b_before_bye.messages_out);
  g_assert_cmpuint (peer_stats (&a).dropped, ==, 1);
  drain_main_context ();
  g_assert_cmpuint (a.closed_count, ==, 1);
  g_assert_cmpuint (b.closed_count, ==, 1);

  peer_clear (&a);
  peer_clear (&b);
  socket_pair_clear (&sockets);
}

/* The peer's bye closes our link at once; we never answer it with a bye of
 * our own, and our grace delay plays no part. */
static void
test_bye_from_peer (void)
{
  SocketPair sockets;
  ShoalLinkConfig patient;
  Peer a, b;
  PeerPair both = { &a, &b };

  quiet_config (&patient);
  patient.bye_grace_ms = 60 * 1000;
  connect_pair (&sockets, FALSE);
  peer_start (&a, sockets.connected, NULL, TRUE, TRUE, &patient);
  peer_start (&b, sockets.accepted, NULL, TRUE, TRUE, &patient);

  shoal_link_close (b.link, 202, "Going offline");
  shoal_link_close (b.link, 500, "Ignored: already closing");
  wait_until (both_closed, &both, "both links to close");
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_nonnull (strstr (a.closed->message, "202 Going offline"));
  g_assert_error (b.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_nonnull (strstr (b.closed->message, "202 Going offline"));
  g_assert_cmpuint (peer_stats (&a).messages_in, ==, 1);
  g_assert_cmpuint (peer_stats (&a).messages_out, ==, 0);
  g_assert_cmpuint (peer_stats (&a).dropped, ==, 0);
  g_assert_cmpuint (peer_stats (&b).messages_out, ==, 1);
  drain_main_context ();
  g_assert_cmpuint (a.closed_count, ==, 1);
  g_assert_cmpuint (b.closed_count, ==, 1);

  peer_clear (&a);
  peer_clear (&b);
  socket_pair_clear (&sockets);
}

/* Leftover bytes ----------------------------------------------------------- */

static void
test_leftover_plain (void)
{
  g_autoptr(GBytes) first = make_ping ();
  g_autoptr(GBytes) second = shoal_test_load_vector ("session-plain/s00_c2s_007_queryhit.bin");
  g_autoptr(GBytes) third = shoal_test_load_vector ("session-plain/s00_s2c_004_query.bin");
  g_autoptr(GByteArray) head = g_byte_array_new ();
  g_autoptr(GBytes) leftover = NULL;
  gsize second_size = g_bytes_get_size (second), split = second_size / 2;
  const guint8 *second_data = g_bytes_get_data (second, NULL);
  SocketPair sockets;
  RawPeer raw;
  Peer a;

  /* The handshake read a whole ping and half a query hit past its end. */
  g_byte_array_append (head, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_byte_array_append (head, second_data, split);
  leftover = g_bytes_new (head->data, head->len);

  connect_pair (&sockets, FALSE);
  raw_init (&raw, sockets.connected);
  peer_start (&a, sockets.accepted, leftover, FALSE, FALSE, NULL);
  wait_for_messages (&a, 1);
  g_assert_cmpuint (a.received->len, ==, 1);
  raw_write (&raw, second_data + split, second_size - split);
  raw_write (&raw, g_bytes_get_data (third, NULL), g_bytes_get_size (third));
  wait_for_messages (&a, 3);
  assert_received (&a, 0, first);
  assert_received (&a, 1, second);
  assert_received (&a, 2, third);
  g_assert_cmpuint (peer_stats (&a).bytes_in, ==,
                    g_bytes_get_size (first) + second_size + g_bytes_get_size (third));

  raw_shutdown_write (&raw);
  wait_until (peer_is_closed, &a, "the link to see the end of the stream");
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);

  peer_clear (&a);
  raw_clear (&raw);
  socket_pair_clear (&sockets);
}

/* The leftover holds the first bytes of the zlib stream: its header and
 * the start of the first block. */
static void
test_leftover_zlib_start (void)
{
  GBytes *messages[3];
  g_autoptr(GByteArray) stream = NULL;
  g_autoptr(GBytes) leftover = NULL;
  const gsize split = 5;
  SocketPair sockets;
  RawPeer raw;
  Peer a;

  messages[0] = shoal_test_load_vector ("session-plain/s00_s2c_002_pong.bin");
  messages[1] = shoal_test_load_vector ("session-plain/s00_s2c_000_vendor.bin");
  messages[2] = make_ping ();
  stream = deflate_messages (messages, G_N_ELEMENTS (messages));
  leftover = g_bytes_new (stream->data, split);

  connect_pair (&sockets, FALSE);
  raw_init (&raw, sockets.connected);
  peer_start (&a, sockets.accepted, leftover, TRUE, FALSE, NULL);
  raw_write (&raw, stream->data + split, stream->len - split);
  wait_for_messages (&a, 3);
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    assert_received (&a, i, messages[i]);

  /* The stream ended on a sync flush: a clean end. */
  raw_shutdown_write (&raw);
  wait_until (peer_is_closed, &a, "the link to see the end of the stream");
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_cmpuint (peer_stats (&a).bytes_in, ==, stream->len);

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    g_bytes_unref (messages[i]);
  peer_clear (&a);
  raw_clear (&raw);
  socket_pair_clear (&sockets);
}

/* Keep-alive and idle timeout ---------------------------------------------- */

typedef struct
{
  Peer *pinger;
  Peer *answerer;
  guint rounds;
} KeepaliveProgress;

static gboolean
keepalives_answered (gpointer data)
{
  KeepaliveProgress *progress = data;

  return progress->pinger->pongs >= progress->rounds
         && shoal_link_get_pending_keepalives (progress->pinger->link) == 0;
}

static void
assert_keepalive_ping (GBytes *message)
{
  const guint8 *data = g_bytes_get_data (message, NULL);
  ShoalMessageHeader header;

  g_assert_true (shoal_message_header_parse (data, g_bytes_get_size (message), &header, NULL));
  g_assert_cmpuint (header.type, ==, SHOAL_MESSAGE_PING);
  g_assert_cmpuint (header.ttl, ==, 1);
  g_assert_cmpuint (header.hops, ==, 0);
  g_assert_cmpuint (header.payload_length, ==, 0);
  g_assert_true (shoal_guid_is_modern (&header.guid));
}

static void
test_keepalive_answered (void)
{
  SocketPair sockets;
  ShoalLinkConfig config;
  Peer a, b;
  KeepaliveProgress progress = { &a, &b, 6 };

  quiet_config (&config);
  config.keepalive_period_ms = 40;
  config.max_pending_keepalives = 2;
  connect_pair (&sockets, FALSE);
  peer_start (&a, sockets.connected, NULL, FALSE, TRUE, &config);
  peer_start (&b, sockets.accepted, NULL, TRUE, FALSE, NULL);
  b.answer_pings = TRUE;

  /* Six periods with at most two pings unanswered: only the pongs keep A
   * open, and each clears its ping. */
  wait_until (keepalives_answered, &progress, "answered alive pings");
  g_assert_cmpuint (a.closed_count, ==, 0);
  g_assert_cmpuint (b.pings, >=, progress.rounds);
  for (guint i = 0; i < b.received->len; i++)
    assert_keepalive_ping (g_ptr_array_index (b.received, i));
  /* The pongs are still handed on. */
  g_assert_cmpuint (a.received->len, ==, a.pongs);
  g_assert_cmpuint (peer_stats (&a).messages_in, ==, a.pongs);

  peer_clear (&a);
  peer_clear (&b);
  socket_pair_clear (&sockets);
}

static void
test_keepalive_unanswered (void)
{
  SocketPair sockets;
  ShoalLinkConfig config;
  Peer a, b;
  PeerPair both = { &a, &b };
  GBytes *bye;
  g_autoptr(ShoalMessage) parsed = NULL;

  quiet_config (&config);
  config.keepalive_period_ms = 30;
  config.max_pending_keepalives = 2;
  connect_pair (&sockets, FALSE);
  peer_start (&a, sockets.connected, NULL, FALSE, FALSE, &config);
  peer_start (&b, sockets.accepted, NULL, FALSE, FALSE, NULL);

  wait_until (both_closed, &both, "the link to give up on its alive pings");
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (a.closed->message, "No reply to 2 alive pings"));
  g_assert_cmpuint (b.pings, ==, 2);
  g_assert_cmpuint (b.received->len, ==, 3);
  bye = g_ptr_array_index (b.received, 2);
  parsed = shoal_message_parse (g_bytes_get_data (bye, NULL), g_bytes_get_size (bye), NULL);
  g_assert_cmpuint (parsed->bye->code, ==, 406);
  g_assert_cmpstr (parsed->bye->reason, ==, "No reply to alive pings");
  g_assert_nonnull (strstr (b.closed->message, "406 No reply to alive pings"));

  peer_clear (&a);
  peer_clear (&b);
  socket_pair_clear (&sockets);
}

static void
test_idle_timeout (void)
{
  SocketPair sockets;
  ShoalLinkConfig config;
  Peer a, b;
  PeerPair both = { &a, &b };
  gint64 started = g_get_monotonic_time ();

  quiet_config (&config);
  config.idle_timeout_ms = 150;
  connect_pair (&sockets, FALSE);
  peer_start (&a, sockets.connected, NULL, TRUE, TRUE, &config);
  peer_start (&b, sockets.accepted, NULL, TRUE, TRUE, NULL);

  wait_until (both_closed, &both, "the idle link to close");
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 150 * 1000);
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT);
  g_assert_cmpuint (b.types->len, ==, 1);
  g_assert_nonnull (strstr (b.closed->message, "405 Activity timeout"));

  peer_clear (&a);
  peer_clear (&b);
  socket_pair_clear (&sockets);
}

/* Hostile input -------------------------------------------------------------- */

typedef struct
{
  SocketPair sockets;
  RawPeer    raw;
  Peer       link;
} RawSession;

static void
raw_session_start (RawSession            *session,
                   gboolean               inflate_input,
                   const ShoalLinkConfig *config)
{
  connect_pair (&session->sockets, FALSE);
  raw_init (&session->raw, session->sockets.connected);
  peer_start (&session->link, session->sockets.accepted, NULL, inflate_input, FALSE, config);
  raw_read_next (&session->raw);
}

static gboolean
raw_session_over (gpointer data)
{
  RawSession *session = data;

  return session->raw.eof && session->link.closed_count > 0;
}

/* Waits until the link said bye and the raw peer hung up in return. */
static void
raw_session_wait_closed (RawSession *session)
{
  wait_until (raw_session_over, session, "the link to say bye and close");
}

static void
raw_session_clear (RawSession *session)
{
  peer_clear (&session->link);
  raw_clear (&session->raw);
  socket_pair_clear (&session->sockets);
}

static void
raw_send (RawSession *session,
          GBytes     *message)
{
  raw_write (&session->raw, g_bytes_get_data (message, NULL), g_bytes_get_size (message));
}

static void
test_malformed_payload_skipped (void)
{
  static const guint8 short_pong[5] = { 1, 2, 3, 4, 5 };
  static const guint8 bye_body[] = "\xc8\x00Relayed";
  g_autoptr(GBytes) bad_pong = make_message (SHOAL_MESSAGE_PONG, 1, 0, short_pong, sizeof short_pong);
  g_autoptr(GBytes) relayed_bye = make_message (SHOAL_MESSAGE_BYE, 1, 1, bye_body, sizeof bye_body);
  g_autoptr(GBytes) bad_query = make_message (SHOAL_MESSAGE_QUERY, 3, 0, "\x00", 1);
  g_autoptr(GBytes) ping = make_ping ();
  g_autoptr(GBytes) unknown = make_message (0x44, 1, 0, "dht", 3);
  RawSession session;
  ShoalLinkStats stats;

  raw_session_start (&session, FALSE, NULL);
  raw_send (&session, bad_pong);
  raw_send (&session, ping);
  raw_send (&session, relayed_bye);
  raw_send (&session, bad_query);
  raw_send (&session, unknown);
  wait_for_messages (&session.link, 2);
  assert_received (&session.link, 0, ping);
  /* Types without a codec are the router's business: handed on. */
  assert_received (&session.link, 1, unknown);
  stats = peer_stats (&session.link);
  g_assert_cmpuint (stats.bad, ==, 3);
  g_assert_cmpuint (stats.messages_in, ==, 2);
  g_assert_cmpuint (stats.payload_bytes_in, ==,
                    g_bytes_get_size (bad_pong) + g_bytes_get_size (ping) + g_bytes_get_size (relayed_bye)
                    + g_bytes_get_size (bad_query) + g_bytes_get_size (unknown));
  g_assert_cmpuint (session.link.closed_count, ==, 0);

  shoal_link_close (session.link.link, 200, "Done");
  raw_session_wait_closed (&session);
  assert_raw_got_bye (&session.raw, 200);
  raw_session_clear (&session);
}

static void
test_too_many_malformed (void)
{
  static const guint8 short_pong[3] = { 0 };
  g_autoptr(GBytes) bad_pong = make_message (SHOAL_MESSAGE_PONG, 1, 0, short_pong, sizeof short_pong);
  ShoalLinkConfig config;
  RawSession session;

  quiet_config (&config);
  config.max_bad_messages = 3;
  raw_session_start (&session, FALSE, &config);
  for (guint i = 0; i < 4; i++)
    raw_send (&session, bad_pong);
  raw_session_wait_closed (&session);
  g_assert_error (session.link.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (session.link.closed->message, "4 malformed messages"));
  g_assert_cmpuint (peer_stats (&session.link).bad, ==, 4);
  assert_raw_got_bye (&session.raw, 400);
  raw_session_clear (&session);
}

/* A header that does not parse ends the link: after it, nothing says where
 * the next message starts. */
static void
test_garbage_header (void)
{
  static const struct
  {
    const char *bytes;
    gint        code;  /* ShoalNetError */
  } cases[] = {
    /* Hops 255, a small length. */
    { "0123456789abcdef\x00\x01\xff\x00\x00\x00\x00", SHOAL_NET_ERROR_PROTOCOL },
    /* A ping announcing 65536 bytes, one more than a 16-bit length. */
    { "0123456789abcdef\x00\x01\x00\x00\x00\x01\x00", SHOAL_NET_ERROR_TOO_LARGE },
    /* Text where a header should be: its "length" is gigabytes. */
    { "GET / HTTP/1.1\r\nHost: x", SHOAL_NET_ERROR_TOO_LARGE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) ping = make_ping ();
      RawSession session;

      raw_session_start (&session, FALSE, NULL);
      raw_send (&session, ping);
      raw_write (&session.raw, cases[i].bytes, SHOAL_MESSAGE_HEADER_SIZE);
      raw_session_wait_closed (&session);
      g_assert_error (session.link.closed, SHOAL_NET_ERROR, cases[i].code);
      g_assert_nonnull (strstr (session.link.closed->message, "Desynchronised"));
      g_assert_cmpuint (session.link.received->len, ==, 1);
      g_assert_cmpuint (peer_stats (&session.link).bad, ==, 1);
      assert_raw_got_bye (&session.raw, 501);
      raw_session_clear (&session);
    }
}

/* A header announcing more than the type's limit closes the link before
 * its payload arrives. */
static void
test_oversized_message (void)
{
  static const struct
  {
    guint8      type;
    guint32     length;
    const char *reason;
  } cases[] = {
    { SHOAL_MESSAGE_QUERY, SHOAL_LINK_QUERY_KICK_SIZE + 1, "Too large query message (1025 bytes)" },
    { SHOAL_MESSAGE_VENDOR, SHOAL_LINK_OTHER_KICK_SIZE + 1, "Too large vendor message (40961 bytes)" },
    { SHOAL_MESSAGE_BYE, 5000, "Too large bye message (5000 bytes)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ShoalMessageHeader header = { .type = cases[i].type, .ttl = 1, .payload_length = cases[i].length };
      guint8 bytes[SHOAL_MESSAGE_HEADER_SIZE];
      RawSession session;

      shoal_guid_init_modern (&header.guid);
      shoal_message_header_write (&header, bytes);
      raw_session_start (&session, FALSE, NULL);
      raw_write (&session.raw, bytes, sizeof bytes);
      raw_session_wait_closed (&session);
      g_assert_error (session.link.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE);
      g_assert_nonnull (strstr (session.link.closed->message, cases[i].reason));
      g_assert_cmpuint (peer_stats (&session.link).bad, ==, 1);
      assert_raw_got_bye (&session.raw, 400);
      raw_session_clear (&session);
    }
}

static void
test_corrupt_zlib (void)
{
  /* A zlib header, then a block of the reserved type 3. */
  static const guint8 corrupt[] = { 0x78, 0x9c, 0xff, 0xff, 0xff, 0xff };
  RawSession session;

  raw_session_start (&session, TRUE, NULL);
  raw_write (&session.raw, corrupt, sizeof corrupt);
  raw_session_wait_closed (&session);
  g_assert_error (session.link.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (session.link.closed->message, "compressed stream is corrupt"));
  assert_raw_got_bye (&session.raw, 501);
  raw_session_clear (&session);
}

/* The peer hangs up inside the zlib stream: in the middle of a message, or
 * after its last message but inside the flush that ends it. */
static void
test_truncated_zlib (void)
{
  g_autoptr(GBytes) hit = shoal_test_load_vector ("session-plain/s00_c2s_007_queryhit.bin");
  GBytes *messages[] = { hit };
  g_autoptr(GByteArray) stream = deflate_messages (messages, 1);
  const struct
  {
    gsize       length;
    guint       delivered;
    const char *reason;
  } cases[] = {
    { stream->len / 2, 0, "middle of a message" },
    { stream->len - 2, 1, "compressed stream is truncated" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      RawSession session;

      raw_session_start (&session, TRUE, NULL);
      raw_write (&session.raw, stream->data, cases[i].length);
      raw_shutdown_write (&session.raw);
      wait_until (peer_is_closed, &session.link, "the link to see the truncated stream");
      g_assert_error (session.link.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (session.link.closed->message, cases[i].reason));
      g_assert_cmpuint (session.link.received->len, ==, cases[i].delivered);
      raw_session_clear (&session);
    }
}

/* A peer that never reads --------------------------------------------------- */

static void
test_peer_never_reads (void)
{
  ShoalLinkConfig config;
  SocketPair sockets;
  RawPeer raw;
  Peer a;
  guint8 payload[1000];
  g_autoptr(GBytes) hit = NULL;
  g_autoptr(GBytes) ping = make_ping ();
  guint64 offered = 0, refused = 0;
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_MS * 1000;
  ShoalLinkStats stats;

  for (gsize i = 0; i < sizeof payload; i++)
    payload[i] = g_test_rand_int_range (0, 256);
  hit = make_message (SHOAL_MESSAGE_QUERY_HIT, 5, 1, payload, sizeof payload);
  quiet_config (&config);
  config.queue.max_bytes = 64 * 1024;
  config.queue.control_reserve_bytes = 4 * 1024;
  config.bye_grace_ms = 50;
  connect_pair (&sockets, TRUE);
  raw_init (&raw, sockets.accepted);
  peer_start (&a, sockets.connected, NULL, FALSE, FALSE, &config);

  /* Offer replies as fast as the main loop turns until the queue has
   * refused a good many of them. */
  while (refused < 200)
    {
      for (guint i = 0; i < 16; i++)
        {
          offered++;
          if (!shoal_link_send_bytes (a.link, hit, SHOAL_LINK_PRIORITY_REPLY))
            refused++;
          g_assert_cmpuint (shoal_link_get_queued_bytes (a.link), <=, config.queue.max_bytes);
        }
      drain_main_context ();
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  stats = peer_stats (&a);
  g_assert_true (a.saw_flow_control);
  g_assert_true (shoal_link_get_flow_controlled (a.link));
  g_assert_cmpuint (stats.dropped, ==, refused);
  g_assert_cmpuint (stats.messages_out + refused + shoal_link_get_queued_bytes (a.link) / g_bytes_get_size (hit),
                    ==, offered);
  /* Our whole output is what the kernel buffers took: far less than was
   * offered. */
  g_assert_cmpuint (stats.bytes_out, <, offered * g_bytes_get_size (hit) / 2);
  /* The reserve still takes control traffic. */
  g_assert_true (shoal_link_send_bytes (a.link, ping, SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_link_get_queued_bytes (a.link), <=, config.queue.max_bytes);

  /* Our bye cannot leave either: the grace delay ends the link. */
  shoal_link_close (a.link, 502, "Send queue full");
  g_assert_cmpuint (shoal_link_get_queued_bytes (a.link), <, 100);
  wait_until (peer_is_closed, &a, "the grace delay");
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_nonnull (strstr (a.closed->message, "502 Send queue full"));

  peer_clear (&a);
  raw_clear (&raw);
  socket_pair_clear (&sockets);
}

/* gtk-gnutella's own bytes ------------------------------------------------- */

typedef struct
{
  guint8      type;
  guint8      ttl;
  guint8      hops;
  guint32     length;
  const char *guid;
} ExpectedMessage;

/* session-plain/SUMMARY.txt, stream 0, s2c. */
static const ExpectedMessage session_s00_s2c[] = {
  { SHOAL_MESSAGE_VENDOR, 1, 0, 218, "00000000000000000000000000000000" },
  { SHOAL_MESSAGE_VENDOR, 1, 0, 40, "00000000000000000000000000000000" },
  { SHOAL_MESSAGE_PONG, 1, 0, 36, "126b310281b8c975ff7fb922e746c203" },
  { SHOAL_MESSAGE_PONG, 1, 0, 36, "126b310281b8c975ff7fb922e746c203" },
  { SHOAL_MESSAGE_QUERY, 3, 1, 12, "2a5f8ccc06b6ced1ff76ef665c373700" },
  { SHOAL_MESSAGE_QUERY, 4, 1, 17, "e2b7cb0b3102b51d7587d29d36b7b443" },
  { SHOAL_MESSAGE_HSEP, 1, 0, 48, "cdbf31020a4ca16130e7bb782f3661c5" },
  { SHOAL_MESSAGE_QUERY, 4, 1, 16, "8daeac09310292130ff861efc0a6a531" },
  { SHOAL_MESSAGE_HSEP, 1, 0, 48, "b5263102087bea0ace8d0a121c077c3b" },
};

static void
test_replay_gtkg_session (void)
{
  g_autoptr(GBytes) capture = shoal_test_load_vector ("session-plain/s00_s2c.raw");
  g_autoptr(GPtrArray) singles = load_session_messages ("session-plain/s00_s2c_");
  g_autoptr(GError) error = NULL;
  gsize length, end = 0;
  const guint8 *data = g_bytes_get_data (capture, &length);
  SocketPair sockets;
  RawPeer raw;
  Peer a;

  g_assert_cmpint (shoal_header_block_find_end (data, length, &end, &error), ==,
                   SHOAL_HEADER_SCAN_COMPLETE);
  g_assert_no_error (error);
  g_assert_cmpuint (end, <, length);

  connect_pair (&sockets, FALSE);
  raw_init (&raw, sockets.accepted);
  peer_start (&a, sockets.connected, NULL, TRUE, FALSE, NULL);
  raw_write (&raw, data + end, length - end);
  raw_shutdown_write (&raw);
  wait_until (peer_is_closed, &a, "the replayed stream to end");

  g_assert_cmpuint (a.received->len, ==, G_N_ELEMENTS (session_s00_s2c));
  g_assert_cmpuint (singles->len, ==, G_N_ELEMENTS (session_s00_s2c));
  for (guint i = 0; i < G_N_ELEMENTS (session_s00_s2c); i++)
    {
      const ExpectedMessage *expected = &session_s00_s2c[i];
      GBytes *got = g_ptr_array_index (a.received, i);
      ShoalMessageHeader header;
      char guid[SHOAL_GUID_HEX_LENGTH + 1];

      g_assert_true (shoal_message_header_parse (g_bytes_get_data (got, NULL), g_bytes_get_size (got),
                                                 &header, NULL));
      g_assert_cmpuint (header.type, ==, expected->type);
      g_assert_cmpuint (header.ttl, ==, expected->ttl);
      g_assert_cmpuint (header.hops, ==, expected->hops);
      g_assert_cmpuint (header.payload_length, ==, expected->length);
      g_assert_cmpstr (shoal_guid_format (&header.guid, guid), ==, expected->guid);
      assert_received (&a, i, g_ptr_array_index (singles, i));
    }
  /* The capture ends on a flush point, between messages. */
  g_assert_error (a.closed, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED);
  g_assert_cmpuint (peer_stats (&a).bytes_in, ==, length - end);
  g_assert_cmpuint (peer_stats (&a).bad, ==, 0);

  peer_clear (&a);
  raw_clear (&raw);
  socket_pair_clear (&sockets);
}

static void
test_config_defaults (void)
{
  ShoalLinkConfig config;

  shoal_link_config_init_default (&config);
  g_assert_cmpuint (config.keepalive_period_ms, ==, 20000);
  g_assert_cmpuint (config.max_pending_keepalives, ==, 6);
  g_assert_cmpuint (config.idle_timeout_ms, ==, 180000);
  g_assert_cmpuint (config.bye_grace_ms, ==, SHOAL_LINK_DEFAULT_BYE_GRACE_MS);
  g_assert_cmpuint (config.queue.max_bytes, ==, 256 * 1024);
  g_assert_cmpuint (config.max_bad_messages, >, 0);
}

int
main (int    argc,
      char **argv)
{
  static const Compression plain_plain = { FALSE, FALSE };
  static const Compression plain_deflate = { FALSE, TRUE };
  static const Compression deflate_plain = { TRUE, FALSE };
  static const Compression deflate_deflate = { TRUE, TRUE };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/link/config-defaults", test_config_defaults);
  g_test_add_data_func ("/link/exchange/plain-both-ways", &plain_plain, test_exchange);
  g_test_add_data_func ("/link/exchange/deflate-a-to-b", &plain_deflate, test_exchange);
  g_test_add_data_func ("/link/exchange/deflate-b-to-a", &deflate_plain, test_exchange);
  g_test_add_data_func ("/link/exchange/deflate-both-ways", &deflate_deflate, test_exchange);
  g_test_add_func ("/link/bye-from-peer", test_bye_from_peer);
  g_test_add_func ("/link/leftover/plain", test_leftover_plain);
  g_test_add_func ("/link/leftover/zlib-start", test_leftover_zlib_start);
  g_test_add_func ("/link/keepalive/answered", test_keepalive_answered);
  g_test_add_func ("/link/keepalive/unanswered", test_keepalive_unanswered);
  g_test_add_func ("/link/idle-timeout", test_idle_timeout);
  g_test_add_func ("/link/malformed/skipped", test_malformed_payload_skipped);
  g_test_add_func ("/link/malformed/too-many", test_too_many_malformed);
  g_test_add_func ("/link/garbage-header", test_garbage_header);
  g_test_add_func ("/link/oversized-message", test_oversized_message);
  g_test_add_func ("/link/zlib/corrupt", test_corrupt_zlib);
  g_test_add_func ("/link/zlib/truncated", test_truncated_zlib);
  g_test_add_func ("/link/peer-never-reads", test_peer_never_reads);
  g_test_add_func ("/link/replay-gtkg-session", test_replay_gtkg_session);

  return g_test_run ();
}
