/* shoal-link.c — a handshaked Gnutella connection that frames messages.
 *
 * Reading: wire bytes (the handshake's leftover first) are inflated when
 * the peer compresses, into a framing buffer that never holds more than
 * one maximal message and one read chunk; each header is checked before
 * its payload is waited for. Writing: messages wait in a bounded priority
 * queue; a writer takes batches off it, deflates them when we compress and
 * flushes the zlib stream after each batch so the peer never waits for a
 * message we sent.
 *
 * Every asynchronous operation shares one cancellable. A callback whose
 * operation was cancelled returns without touching the link: the link may
 * be gone by then.
 */
#include "shoal-link.h"

#include "shoal-net-types.h"
#include "shoal-proto-error.h"

#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

/* One read asks the stream for at most this many bytes. */
#define READ_CHUNK_SIZE (16 * 1024)
/* The framing buffer's bound: one maximal message plus one read chunk, so
 * that neither a long message nor a compression bomb grows it further. */
#define RX_BUFFER_MAX_SIZE (SHOAL_MESSAGE_HEADER_SIZE + SHOAL_MESSAGE_MAX_PAYLOAD + READ_CHUNK_SIZE)
/* The writer takes messages off the queue until a batch holds this many
 * bytes; each batch ends with a zlib sync flush. Messages queued in the
 * same main loop iteration travel together. */
#define WRITE_BATCH_SIZE (16 * 1024)
/* Deflate's output grows by this much at a time. */
#define DEFLATE_OUTPUT_STEP 4096
/* gtk-gnutella compresses ultrapeer links at level 9 and leaf links at 6;
 * the default level costs less CPU for nearly the same ratio on messages
 * this small. */
#define DEFLATE_LEVEL Z_DEFAULT_COMPRESSION
/* zlib's defaults (a 32 KiB window, memLevel 8) cost 256 KiB per link,
 * the most of what a link costs an ultrapeer with 300 leaves. Messages
 * are a few hundred bytes and each batch is flushed: a 4 KiB window and
 * memLevel 6 (48 KiB in all) compress them nearly as well. Any inflater
 * reads a stream made with a smaller window; ours keeps the full one,
 * since peers use the default. */
#define DEFLATE_WINDOW_BITS 12
#define DEFLATE_MEM_LEVEL 6
/* :flow-controlled turns on when the send queue holds more than this share
 * of its limit, and off once it has drained below the lower one; the gap
 * keeps it from flickering with every message. */
#define FLOW_CONTROL_HIGH_PERCENT 50
#define FLOW_CONTROL_LOW_PERCENT 25
/* The timers check the link this many times per shortest period (idle
 * timeout, keep-alive period), within these bounds. */
#define TICKS_PER_PERIOD 4
#define TICK_MIN_MS 10
#define TICK_MAX_MS 1000
/* zlib's inflate data_type bit: waiting for the next block header, so the
 * stream stopped at a clean boundary (a sync flush point). */
#define INFLATE_AT_BLOCK_BOUNDARY 128

typedef enum
{
  LINK_OPEN,
  LINK_CLOSING,  /* our bye is queued; the peer's traffic is ignored */
  LINK_CLOSED,
} LinkState;

struct _ShoalLink
{
  GObject            parent_instance;

  GIOStream         *stream;
  GSocketAddress    *remote_address;
  char              *peer_name;        /* for logs */
  GMainContext      *context;
  GCancellable      *cancellable;
  ShoalLinkConfig    config;
  LinkState          state;
  gboolean           started;
  GError            *close_error;      /* what ::closed reports once closing ends */

  /* Reading. */
  GBytes            *leftover;
  gboolean           inflate_input;
  z_stream           inflater;
  gboolean           inflater_ended;   /* the peer ended its zlib stream */
  guint8            *rx_buffer;        /* message bytes (inflated) not framed yet */
  gsize              rx_length;
  gsize              rx_capacity;

  /* Writing. */
  ShoalMessageQueue *queue;
  gboolean           deflate_output;
  z_stream           deflater;
  GBytes            *tx_batch;         /* wire bytes being written */
  gsize              tx_offset;
  gboolean           flow_controlled;
  gsize              queued_bytes;

  /* Main loop sources and the clocks the timers read. */
  GSource           *start_source;
  GSource           *write_source;
  GSource           *tick_source;
  GSource           *grace_source;
  gint64             last_rx_usec;
  gint64             last_tx_usec;
  gint64             last_keepalive_usec;
  GArray            *pending_keepalives;  /* of ShoalGuid, oldest first */

  ShoalLinkStats     stats;
  guint64            dropped_unqueued;    /* refused before reaching the queue */
};

enum
{
  PROP_0,
  PROP_REMOTE_ADDRESS,
  PROP_FLOW_CONTROLLED,
  PROP_QUEUED_BYTES,
  PROP_PENDING_KEEPALIVES,
  PROP_MESSAGES_IN,
  PROP_MESSAGES_OUT,
  PROP_BYTES_IN,
  PROP_BYTES_OUT,
  PROP_PAYLOAD_BYTES_IN,
  PROP_PAYLOAD_BYTES_OUT,
  PROP_DROPPED,
  PROP_BAD,
  N_PROPS
};

enum
{
  SIGNAL_MESSAGE_RECEIVED,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalLink, shoal_link, G_TYPE_OBJECT)

static void read_next     (ShoalLink *self);
static void write_pending (ShoalLink *self);

/* Helpers ----------------------------------------------------------------- */

static void
add_to_counter (ShoalLink *self,
                guint64   *counter,
                guint64    amount,
                guint      prop)
{
  *counter += amount;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
attach_source (ShoalLink   *self,
               GSource     *source,
               GSourceFunc  func)
{
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static gpointer
zlib_alloc (gpointer opaque,
            guint    items,
            guint    size)
{
  return g_malloc_n (items, size);
}

static void
zlib_free (gpointer opaque,
           gpointer address)
{
  g_free (address);
}

static char *
describe_peer (GSocketAddress *address)
{
  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
      g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));

      return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (inet));
    }
  return g_strdup ("peer");
}

/* "query", or "type 0x41" for what we have no name for. */
static char *
describe_type (guint8 type)
{
  const char *name = shoal_message_type_to_string (type);

  return name != NULL ? g_strdup (name) : g_strdup_printf ("type 0x%02x", type);
}

/* A header and its payload on the wire format, ready to queue. */
static GBytes *
build_message (guint8            type,
               const GByteArray *payload)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  ShoalMessageHeader header = {
    .type = type,
    .ttl = 1,
    .hops = 0,
    .payload_length = payload != NULL ? payload->len : 0,
  };

  shoal_guid_init_modern (&header.guid);
  shoal_message_header_append (&header, out);
  if (payload != NULL)
    g_byte_array_append (out, payload->data, payload->len);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
is_whole_message (GBytes *message)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (message, &size);
  guint32 length;

  if (size < SHOAL_MESSAGE_HEADER_SIZE)
    return FALSE;
  length = data[19] | (data[20] << 8) | (data[21] << 16) | ((guint32) data[22] << 24);
  return length == size - SHOAL_MESSAGE_HEADER_SIZE;
}

/* The send queue ---------------------------------------------------------- */

static void
update_flow_control (ShoalLink *self)
{
  gsize limit = shoal_message_queue_get_limits (self->queue)->max_bytes;
  gboolean flow_controlled = self->flow_controlled;

  if (!flow_controlled && self->queued_bytes > limit / 100 * FLOW_CONTROL_HIGH_PERCENT)
    flow_controlled = TRUE;
  else if (flow_controlled && self->queued_bytes <= limit / 100 * FLOW_CONTROL_LOW_PERCENT)
    flow_controlled = FALSE;
  if (flow_controlled == self->flow_controlled)
    return;
  self->flow_controlled = flow_controlled;
  g_debug ("%s: %s", self->peer_name,
           flow_controlled ? "flow control on, the peer reads slowly" : "flow control off");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLOW_CONTROLLED]);
}

/* Brings :queued-bytes, :dropped and :flow-controlled in step with the
 * queue after it changed. */
static void
sync_queue_state (ShoalLink *self)
{
  guint64 dropped = shoal_message_queue_get_total_dropped (self->queue) + self->dropped_unqueued;
  gsize queued = shoal_message_queue_get_bytes (self->queue);

  if (dropped != self->stats.dropped)
    add_to_counter (self, &self->stats.dropped, dropped - self->stats.dropped, PROP_DROPPED);
  if (queued != self->queued_bytes)
    {
      self->queued_bytes = queued;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUEUED_BYTES]);
    }
  update_flow_control (self);
}

static void
count_unqueued_drop (ShoalLink *self)
{
  self->dropped_unqueued++;
  sync_queue_state (self);
}

static gboolean
on_write_ready (gpointer user_data);

static void
schedule_write (ShoalLink *self)
{
  if (self->state == LINK_CLOSED || self->tx_batch != NULL || self->write_source != NULL
      || shoal_message_queue_is_empty (self->queue))
    return;
  self->write_source = attach_source (self, g_idle_source_new (), on_write_ready);
  g_source_set_priority (self->write_source, G_PRIORITY_DEFAULT);
}

static gboolean
enqueue (ShoalLink         *self,
         GBytes            *message,
         ShoalLinkPriority  priority)
{
  gboolean queued = shoal_message_queue_push (self->queue, message, priority);

  sync_queue_state (self);
  if (queued)
    schedule_write (self);
  return queued;
}

/* Ending ------------------------------------------------------------------ */

static void
stop_everything (ShoalLink *self)
{
  g_cancellable_cancel (self->cancellable);
  clear_source (&self->start_source);
  clear_source (&self->write_source);
  clear_source (&self->tick_source);
  clear_source (&self->grace_source);
  /* Closing a socket connection never blocks; other streams (TLS) may
   * want to say goodbye in their own way, so do it asynchronously. */
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* Ends the link for good and reports why: the reason given when closing
 * began, else @error. */
static void
finish (ShoalLink *self,
        GError    *error)
{
  g_autoptr(GError) reason = error;

  if (self->state == LINK_CLOSED)
    return;
  if (self->close_error != NULL)
    {
      g_clear_error (&reason);
      reason = g_steal_pointer (&self->close_error);
    }
  self->state = LINK_CLOSED;
  stop_everything (self);
  g_debug ("%s: closed: %s", self->peer_name, reason->message);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
}

static gboolean
on_grace_elapsed (gpointer user_data)
{
  ShoalLink *self = user_data;
  g_autoptr(ShoalLink) hold G_GNUC_UNUSED = g_object_ref (self);  /* alive through the callbacks */

  g_clear_pointer (&self->grace_source, g_source_unref);
  finish (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
queue_bye (ShoalLink  *self,
           guint16     bye_code,
           const char *reason)
{
  g_autoptr(ShoalBye) bye = shoal_bye_new (bye_code, reason, NULL);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) message = NULL;

  if (!shoal_bye_write (bye, payload, NULL))
    return;
  message = build_message (SHOAL_MESSAGE_BYE, payload);
  enqueue (self, message, SHOAL_LINK_PRIORITY_CONTROL);
}

/* Our side hangs up: what was queued will not be read by anyone, so only
 * the bye goes out; then we wait for the peer to close, at most the grace
 * delay. Takes @error, what ::closed will report. */
static void
begin_close (ShoalLink  *self,
             guint16     bye_code,
             const char *reason,
             GError     *error)
{
  if (self->state != LINK_OPEN)
    {
      g_error_free (error);
      return;
    }
  g_debug ("%s: saying bye %u \"%s\": %s", self->peer_name, bye_code, reason, error->message);
  self->state = LINK_CLOSING;
  self->close_error = error;
  clear_source (&self->tick_source);
  shoal_message_queue_clear (self->queue);
  queue_bye (self, bye_code, reason);
  self->grace_source = attach_source (self, g_timeout_source_new (self->config.bye_grace_ms),
                                      on_grace_elapsed);
}

/* Our bye is out: tell the peer we are done writing, so it sees the end of
 * the stream even if it never parses the bye. */
static void
shut_write_side (ShoalLink *self)
{
  GSocket *socket;

  if (!G_IS_SOCKET_CONNECTION (self->stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream));
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
}

/* Writing ----------------------------------------------------------------- */

/* Our own stream cannot be inconsistent, so deflate cannot fail (zlib's
 * own example asserts the same); it only reports "no progress", which the
 * loop's end condition covers. */
static void
deflate_into (ShoalLink    *self,
              const guint8 *data,
              gsize         length,
              int           flush,
              GByteArray   *out)
{
  z_stream *z = &self->deflater;

  z->next_in = data;
  z->avail_in = length;
  do
    {
      guint old_length = out->len;
      int ret;

      g_byte_array_set_size (out, old_length + DEFLATE_OUTPUT_STEP);
      z->next_out = out->data + old_length;
      z->avail_out = DEFLATE_OUTPUT_STEP;
      ret = deflate (z, flush);
      g_assert (ret != Z_STREAM_ERROR);
      g_byte_array_set_size (out, old_length + DEFLATE_OUTPUT_STEP - z->avail_out);
    }
  while (z->avail_out == 0);
}

/* Takes messages off the queue into one batch of wire bytes. */
static GBytes *
take_batch (ShoalLink *self)
{
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  gsize batched = 0;
  GBytes *next;

  while (batched < WRITE_BATCH_SIZE && (next = shoal_message_queue_pop (self->queue, NULL)) != NULL)
    {
      g_autoptr(GBytes) message = next;
      gsize size;
      const guint8 *data = g_bytes_get_data (message, &size);

      if (self->deflate_output)
        deflate_into (self, data, size, Z_NO_FLUSH, wire);
      else
        g_byte_array_append (wire, data, size);
      batched += size;
      add_to_counter (self, &self->stats.messages_out, 1, PROP_MESSAGES_OUT);
      add_to_counter (self, &self->stats.payload_bytes_out, size, PROP_PAYLOAD_BYTES_OUT);
    }
  if (self->deflate_output)
    deflate_into (self, NULL, 0, Z_SYNC_FLUSH, wire);
  return g_byte_array_free_to_bytes (g_steal_pointer (&wire));
}

/* The batch is out: on to the next one, or, once our bye has left,
 * done writing. */
static void
end_batch (ShoalLink *self)
{
  g_clear_pointer (&self->tx_batch, g_bytes_unref);
  if (self->state == LINK_CLOSING && shoal_message_queue_is_empty (self->queue))
    shut_write_side (self);
  else
    schedule_write (self);
}

static gboolean
on_write_ready (gpointer user_data)
{
  ShoalLink *self = user_data;
  g_autoptr(ShoalLink) hold G_GNUC_UNUSED = g_object_ref (self);  /* alive through the callbacks */

  g_clear_pointer (&self->write_source, g_source_unref);
  g_object_freeze_notify (G_OBJECT (self));
  self->tx_batch = take_batch (self);
  self->tx_offset = 0;
  sync_queue_state (self);
  g_object_thaw_notify (G_OBJECT (self));
  if (g_bytes_get_size (self->tx_batch) == 0)
    end_batch (self);
  else
    write_pending (self);
  return G_SOURCE_REMOVE;
}

static void
on_write_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gssize written = g_output_stream_write_bytes_finish (G_OUTPUT_STREAM (source), result, &error);
  ShoalLink *self;
  g_autoptr(ShoalLink) hold = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  hold = g_object_ref (self);
  if (written < 0)
    {
      finish (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                                 "Writing to the peer failed: %s", error->message));
      return;
    }
  self->last_tx_usec = g_get_monotonic_time ();
  add_to_counter (self, &self->stats.bytes_out, written, PROP_BYTES_OUT);
  self->tx_offset += written;
  if (self->tx_offset < g_bytes_get_size (self->tx_batch))
    write_pending (self);
  else
    end_batch (self);
}

static void
write_pending (ShoalLink *self)
{
  gsize size = g_bytes_get_size (self->tx_batch);
  g_autoptr(GBytes) rest = g_bytes_new_from_bytes (self->tx_batch, self->tx_offset,
                                                   size - self->tx_offset);

  g_output_stream_write_bytes_async (g_io_stream_get_output_stream (self->stream), rest,
                                     G_PRIORITY_DEFAULT, self->cancellable,
                                     on_write_done, self);
}

/* Keep-alive -------------------------------------------------------------- */

static void
send_keepalive (ShoalLink *self,
                gint64     now)
{
  g_autoptr(GBytes) ping = build_message (SHOAL_MESSAGE_PING, NULL);
  ShoalGuid guid;

  memcpy (guid.bytes, g_bytes_get_data (ping, NULL), SHOAL_GUID_SIZE);
  self->last_keepalive_usec = now;
  if (!enqueue (self, ping, SHOAL_LINK_PRIORITY_CONTROL))
    return;
  g_array_append_val (self->pending_keepalives, guid);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING_KEEPALIVES]);
}

/* A pong answering one of our alive pings answers the older ones too:
 * the peer is there. */
static void
acknowledge_keepalive (ShoalLink       *self,
                       const ShoalGuid *guid)
{
  for (guint i = 0; i < self->pending_keepalives->len; i++)
    if (shoal_guid_equal (&g_array_index (self->pending_keepalives, ShoalGuid, i), guid))
      {
        g_array_remove_range (self->pending_keepalives, 0, i + 1);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING_KEEPALIVES]);
        return;
      }
}

static gboolean
on_tick (gpointer user_data)
{
  ShoalLink *self = user_data;
  g_autoptr(ShoalLink) hold G_GNUC_UNUSED = g_object_ref (self);  /* alive through the callbacks */
  const ShoalLinkConfig *config = &self->config;
  gint64 now = g_get_monotonic_time ();
  gint64 idle_usec = now - MAX (self->last_rx_usec, self->last_tx_usec);
  gint64 quiet_usec = now - MAX (self->last_tx_usec, self->last_keepalive_usec);

  if (config->idle_timeout_ms > 0 && idle_usec >= (gint64) config->idle_timeout_ms * 1000)
    begin_close (self, 405, "Activity timeout",
                 g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT,
                              "No traffic either way for %u ms", config->idle_timeout_ms));
  else if (config->keepalive_period_ms > 0 && quiet_usec >= (gint64) config->keepalive_period_ms * 1000)
    {
      if (self->pending_keepalives->len < config->max_pending_keepalives)
        send_keepalive (self, now);
      else
        begin_close (self, 406, "No reply to alive pings",
                     g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT,
                                  "No reply to %u alive pings", self->pending_keepalives->len));
    }
  return G_SOURCE_CONTINUE;
}

static guint
tick_interval_ms (const ShoalLinkConfig *config)
{
  guint shortest = G_MAXUINT;

  if (config->idle_timeout_ms > 0)
    shortest = MIN (shortest, config->idle_timeout_ms);
  if (config->keepalive_period_ms > 0)
    shortest = MIN (shortest, config->keepalive_period_ms);
  if (shortest == G_MAXUINT)
    return 0;
  return CLAMP (shortest / TICKS_PER_PERIOD, TICK_MIN_MS, TICK_MAX_MS);
}

/* Reading ----------------------------------------------------------------- */

static void
count_bad (ShoalLink *self)
{
  add_to_counter (self, &self->stats.bad, 1, PROP_BAD);
}

/* A message that does not parse is dropped; the stream stays in step, so
 * the link goes on, up to a limit. */
static void
reject_message (ShoalLink  *self,
                const char *why)
{
  count_bad (self);
  g_debug ("%s: dropped a malformed message: %s", self->peer_name, why);
  if (self->stats.bad > self->config.max_bad_messages)
    begin_close (self, 400, "Too many malformed messages",
                 g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                              "The peer sent %" G_GUINT64_FORMAT " malformed messages, the last: %s",
                              self->stats.bad, why));
}

static gsize
kick_size (guint8 type)
{
  switch (type)
    {
    case SHOAL_MESSAGE_QUERY:
      return SHOAL_LINK_QUERY_KICK_SIZE;
    case SHOAL_MESSAGE_QUERY_HIT:
      return SHOAL_MESSAGE_MAX_PAYLOAD;
    case SHOAL_MESSAGE_BYE:
      return SHOAL_BYE_MAX_SIZE;
    default:
      return SHOAL_LINK_OTHER_KICK_SIZE;
    }
}

/* Checks a header before its payload is awaited. A header that does not
 * parse means the stream lost step with message boundaries: nothing after
 * it can be trusted. */
static gboolean
check_header (ShoalLink          *self,
              const guint8       *data,
              ShoalMessageHeader *header)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *type = NULL;
  g_autofree char *reason = NULL;

  if (!shoal_message_header_parse (data, SHOAL_MESSAGE_HEADER_SIZE, header, &error))
    {
      count_bad (self);
      begin_close (self, 501, "Desynchronised message stream",
                   g_error_new (SHOAL_NET_ERROR,
                                error->code == SHOAL_PROTO_ERROR_TOO_LARGE ? SHOAL_NET_ERROR_TOO_LARGE
                                                                           : SHOAL_NET_ERROR_PROTOCOL,
                                "Desynchronised message stream: %s", error->message));
      return FALSE;
    }
  if (header->payload_length <= kick_size (header->type))
    return TRUE;
  type = describe_type (header->type);
  reason = g_strdup_printf ("Too large %s message (%u bytes)", type, header->payload_length);
  count_bad (self);
  begin_close (self, 400, reason,
               g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE,
                            "%s, the limit is %" G_GSIZE_FORMAT, reason, kick_size (header->type)));
  return FALSE;
}

static void
deliver_message (ShoalLink    *self,
                 const guint8 *data,
                 gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalMessage) message = NULL;
  gsize consumed;

  add_to_counter (self, &self->stats.payload_bytes_in, size, PROP_PAYLOAD_BYTES_IN);
  message = shoal_message_parse_next (data, size, &consumed, &error);
  if (message == NULL)
    {
      reject_message (self, error != NULL ? error->message : "incomplete message");
      return;
    }
  /* A bye only ever comes straight from the neighbour (§3.4). */
  if (message->header.type == SHOAL_MESSAGE_BYE && (message->header.hops != 0 || message->header.ttl > 1))
    {
      reject_message (self, "bye with hops or TTL above 1");
      return;
    }
  add_to_counter (self, &self->stats.messages_in, 1, PROP_MESSAGES_IN);
  if (message->header.type == SHOAL_MESSAGE_PONG)
    acknowledge_keepalive (self, &message->header.guid);
  g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0, message);
  if (message->header.type == SHOAL_MESSAGE_BYE)
    finish (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED, "The peer said bye: %u %s",
                               message->bye->code, message->bye->reason));
}

/* Delivers every whole message at the start of the framing buffer and
 * keeps the incomplete rest, which is then shorter than one message. */
static void
frame_messages (ShoalLink *self)
{
  gsize offset = 0;

  while (self->state == LINK_OPEN && self->rx_length - offset >= SHOAL_MESSAGE_HEADER_SIZE)
    {
      const guint8 *start = self->rx_buffer + offset;
      ShoalMessageHeader header;
      gsize size;

      if (!check_header (self, start, &header))
        break;
      size = SHOAL_MESSAGE_HEADER_SIZE + header.payload_length;
      if (self->rx_length - offset < size)
        break;
      offset += size;
      deliver_message (self, start, size);
    }
  if (self->state != LINK_OPEN)
    {
      self->rx_length = 0;
      return;
    }
  memmove (self->rx_buffer, self->rx_buffer + offset, self->rx_length - offset);
  self->rx_length -= offset;
}

/* Free room at the end of the framing buffer: at most one read chunk, and
 * never past RX_BUFFER_MAX_SIZE. */
static guint8 *
reserve_rx_space (ShoalLink *self,
                  gsize     *space)
{
  gsize wanted = MIN (READ_CHUNK_SIZE, RX_BUFFER_MAX_SIZE - self->rx_length);

  if (self->rx_length + wanted > self->rx_capacity)
    {
      self->rx_capacity = MIN (MAX (self->rx_length + wanted, self->rx_capacity * 2), RX_BUFFER_MAX_SIZE);
      self->rx_buffer = g_realloc (self->rx_buffer, self->rx_capacity);
    }
  *space = wanted;
  return self->rx_buffer + self->rx_length;
}

static void
frame_plain (ShoalLink    *self,
             const guint8 *data,
             gsize         length)
{
  while (length > 0 && self->state == LINK_OPEN)
    {
      gsize space;
      guint8 *free_area = reserve_rx_space (self, &space);
      gsize piece = MIN (length, space);

      memcpy (free_area, data, piece);
      self->rx_length += piece;
      data += piece;
      length -= piece;
      frame_messages (self);
    }
}

static void
close_for_bad_compression (ShoalLink  *self,
                           const char *why)
{
  count_bad (self);
  begin_close (self, 501, "Decompression failed",
               g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                            "The peer's compressed stream is corrupt: %s", why));
}

/* Inflates a piece at a time into the framing buffer, framing as it goes,
 * so a small compressed input cannot grow the buffer past its bound. */
static void
frame_inflated (ShoalLink    *self,
                const guint8 *data,
                gsize         length)
{
  z_stream *z = &self->inflater;
  gboolean progress;

  if (self->inflater_ended)
    {
      close_for_bad_compression (self, "bytes after the end of the stream");
      return;
    }
  z->next_in = data;
  z->avail_in = length;
  do
    {
      gsize space;
      guint available_before = z->avail_in;
      int ret;

      z->next_out = reserve_rx_space (self, &space);
      z->avail_out = space;
      ret = inflate (z, Z_SYNC_FLUSH);
      self->rx_length += space - z->avail_out;
      progress = z->avail_in != available_before || z->avail_out != space;
      if (ret == Z_STREAM_END)
        self->inflater_ended = TRUE;
      else if (ret != Z_OK && ret != Z_BUF_ERROR)
        {
          close_for_bad_compression (self, z->msg != NULL ? z->msg : "zlib error");
          return;
        }
      frame_messages (self);
    }
  while (self->state == LINK_OPEN && progress && !self->inflater_ended
         && (z->avail_in > 0 || z->avail_out == 0));
  /* Input left over is never silently lost. */
  if (self->state == LINK_OPEN && z->avail_in > 0)
    close_for_bad_compression (self, self->inflater_ended ? "bytes after the end of the stream"
                                                          : "inflating made no progress");
}

static void
receive_wire_bytes (ShoalLink    *self,
                    const guint8 *data,
                    gsize         length)
{
  self->last_rx_usec = g_get_monotonic_time ();
  add_to_counter (self, &self->stats.bytes_in, length, PROP_BYTES_IN);
  /* A closing link only waits for the peer to hang up. */
  if (self->state != LINK_OPEN)
    return;
  if (self->inflate_input)
    frame_inflated (self, data, length);
  else
    frame_plain (self, data, length);
}

/* The peer hung up: fine between messages, not in the middle of one nor
 * of a compressed block. */
static void
handle_end_of_stream (ShoalLink *self)
{
  const z_stream *z = &self->inflater;

  if (self->state == LINK_CLOSING)
    finish (self, NULL);
  else if (self->rx_length > 0)
    finish (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                               "The peer closed the connection in the middle of a message "
                               "(%" G_GSIZE_FORMAT " bytes of it received)", self->rx_length));
  else if (self->inflate_input && z->total_in > 0 && !self->inflater_ended
           && (z->data_type & INFLATE_AT_BLOCK_BOUNDARY) == 0)
    finish (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                               "The peer's compressed stream is truncated"));
  else
    finish (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                               "The peer closed the connection"));
}

static void
on_read_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  ShoalLink *self;
  g_autoptr(ShoalLink) hold = NULL;
  gsize length;
  const guint8 *data;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  hold = g_object_ref (self);
  if (bytes == NULL)
    {
      finish (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                                 "Reading from the peer failed: %s", error->message));
      return;
    }
  data = g_bytes_get_data (bytes, &length);
  if (length == 0)
    {
      handle_end_of_stream (self);
      return;
    }
  g_object_freeze_notify (G_OBJECT (self));
  receive_wire_bytes (self, data, length);
  g_object_thaw_notify (G_OBJECT (self));
  if (self->state != LINK_CLOSED)
    read_next (self);
}

static void
read_next (ShoalLink *self)
{
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (self->stream), READ_CHUNK_SIZE,
                                   G_PRIORITY_DEFAULT, self->cancellable, on_read_done, self);
}

static gboolean
on_start (gpointer user_data)
{
  ShoalLink *self = user_data;
  g_autoptr(ShoalLink) hold G_GNUC_UNUSED = g_object_ref (self);  /* alive through the callbacks */
  g_autoptr(GBytes) leftover = g_steal_pointer (&self->leftover);

  g_clear_pointer (&self->start_source, g_source_unref);
  if (leftover != NULL && g_bytes_get_size (leftover) > 0)
    {
      g_object_freeze_notify (G_OBJECT (self));
      receive_wire_bytes (self, g_bytes_get_data (leftover, NULL), g_bytes_get_size (leftover));
      g_object_thaw_notify (G_OBJECT (self));
    }
  if (self->state != LINK_CLOSED)
    read_next (self);
  return G_SOURCE_REMOVE;
}

/* GObject ----------------------------------------------------------------- */

static void
shoal_link_dispose (GObject *object)
{
  ShoalLink *self = SHOAL_LINK (object);

  if (self->state != LINK_CLOSED)
    {
      self->state = LINK_CLOSED;
      stop_everything (self);
    }
  g_clear_object (&self->stream);
  g_clear_object (&self->remote_address);
  g_clear_pointer (&self->leftover, g_bytes_unref);
  g_clear_pointer (&self->tx_batch, g_bytes_unref);

  G_OBJECT_CLASS (shoal_link_parent_class)->dispose (object);
}

static void
shoal_link_finalize (GObject *object)
{
  ShoalLink *self = SHOAL_LINK (object);

  if (self->inflate_input)
    inflateEnd (&self->inflater);
  if (self->deflate_output)
    deflateEnd (&self->deflater);
  g_free (self->rx_buffer);
  g_clear_pointer (&self->queue, shoal_message_queue_free);
  g_array_unref (self->pending_keepalives);
  g_clear_error (&self->close_error);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->peer_name);

  G_OBJECT_CLASS (shoal_link_parent_class)->finalize (object);
}

static void
shoal_link_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  ShoalLink *self = SHOAL_LINK (object);

  switch (prop_id)
    {
    case PROP_REMOTE_ADDRESS:
      g_value_set_object (value, self->remote_address);
      break;
    case PROP_FLOW_CONTROLLED:
      g_value_set_boolean (value, self->flow_controlled);
      break;
    case PROP_QUEUED_BYTES:
      g_value_set_uint64 (value, self->queued_bytes);
      break;
    case PROP_PENDING_KEEPALIVES:
      g_value_set_uint (value, self->pending_keepalives->len);
      break;
    case PROP_MESSAGES_IN:
      g_value_set_uint64 (value, self->stats.messages_in);
      break;
    case PROP_MESSAGES_OUT:
      g_value_set_uint64 (value, self->stats.messages_out);
      break;
    case PROP_BYTES_IN:
      g_value_set_uint64 (value, self->stats.bytes_in);
      break;
    case PROP_BYTES_OUT:
      g_value_set_uint64 (value, self->stats.bytes_out);
      break;
    case PROP_PAYLOAD_BYTES_IN:
      g_value_set_uint64 (value, self->stats.payload_bytes_in);
      break;
    case PROP_PAYLOAD_BYTES_OUT:
      g_value_set_uint64 (value, self->stats.payload_bytes_out);
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value, self->stats.dropped);
      break;
    case PROP_BAD:
      g_value_set_uint64 (value, self->stats.bad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
counter_pspec (const char *name,
               const char *blurb)
{
  return g_param_spec_uint64 (name, NULL, blurb, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
shoal_link_class_init (ShoalLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_link_dispose;
  object_class->finalize = shoal_link_finalize;
  object_class->get_property = shoal_link_get_property;

  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_object ("remote-address", NULL, "The peer's address, if the stream is a socket",
                         G_TYPE_SOCKET_ADDRESS,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FLOW_CONTROLLED] =
    g_param_spec_boolean ("flow-controlled", NULL,
                          "The peer reads slower than we send: the send queue is over its high-water mark",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_QUEUED_BYTES] = counter_pspec ("queued-bytes", "Bytes waiting in the send queue");
  properties[PROP_PENDING_KEEPALIVES] =
    g_param_spec_uint ("pending-keepalives", NULL, "Alive pings the peer has not answered yet",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MESSAGES_IN] = counter_pspec ("messages-in", "Well-formed messages received");
  properties[PROP_MESSAGES_OUT] = counter_pspec ("messages-out", "Messages handed to the wire");
  properties[PROP_BYTES_IN] = counter_pspec ("bytes-in", "Wire bytes read, compressed or not");
  properties[PROP_BYTES_OUT] = counter_pspec ("bytes-out", "Wire bytes written, compressed or not");
  properties[PROP_PAYLOAD_BYTES_IN] =
    counter_pspec ("payload-bytes-in", "Message bytes received, headers included, after inflating");
  properties[PROP_PAYLOAD_BYTES_OUT] =
    counter_pspec ("payload-bytes-out", "Message bytes sent, headers included, before deflating");
  properties[PROP_DROPPED] = counter_pspec ("dropped", "Messages we did not send: refused or evicted");
  properties[PROP_BAD] = counter_pspec ("bad", "Messages from the peer dropped as malformed");
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalLink::message-received:
   * @link: the link
   * @message: (type gpointer): the ShoalMessage, borrowed for the emission
   *
   * A well-formed message arrived; messages arrive in wire order. The link
   * neither answers nor routes anything; it only notes the pongs answering
   * its own alive pings (they are emitted too). A bye is emitted, then the
   * link closes.
   */
  signals[SIGNAL_MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /**
   * ShoalLink::closed:
   * @link: the link
   * @reason: a SHOAL_NET_ERROR saying why: CLOSED (a bye either way, or
   *   the peer hung up), TIMEOUT, PROTOCOL or TOO_LARGE
   *
   * The link ended, whatever ended it; emitted exactly once, and never
   * after the last reference is dropped.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
shoal_link_init (ShoalLink *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending_keepalives = g_array_new (FALSE, FALSE, sizeof (ShoalGuid));
}

/* Public API -------------------------------------------------------------- */

void
shoal_link_config_init_default (ShoalLinkConfig *config)
{
  shoal_message_queue_limits_init_default (&config->queue);
  config->idle_timeout_ms = SHOAL_LINK_DEFAULT_IDLE_TIMEOUT_MS;
  config->keepalive_period_ms = SHOAL_LINK_KEEPALIVE_PERIOD_ULTRAPEER_MS;
  config->max_pending_keepalives = SHOAL_LINK_MAX_PENDING_KEEPALIVES_ULTRAPEER;
  config->max_bad_messages = SHOAL_LINK_DEFAULT_MAX_BAD_MESSAGES;
  config->bye_grace_ms = SHOAL_LINK_DEFAULT_BYE_GRACE_MS;
}

static void
init_zlib_stream (z_stream *z)
{
  memset (z, 0, sizeof *z);
  z->zalloc = zlib_alloc;
  z->zfree = zlib_free;
}

ShoalLink *
shoal_link_new (GIOStream             *stream,
                GBytes                *leftover,
                gboolean               inflate_input,
                gboolean               deflate_output,
                const ShoalLinkConfig *config)
{
  ShoalLink *self;
  int ret;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->queue.control_reserve_bytes < config->queue.max_bytes, NULL);
  g_return_val_if_fail (config->queue.control_reserve_messages < config->queue.max_messages, NULL);

  self = g_object_new (SHOAL_TYPE_LINK, NULL);
  self->stream = g_object_ref (stream);
  self->leftover = leftover != NULL ? g_bytes_ref (leftover) : NULL;
  self->config = *config;
  self->context = g_main_context_ref_thread_default ();
  self->queue = shoal_message_queue_new (&config->queue);
  if (G_IS_SOCKET_CONNECTION (stream))
    self->remote_address = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (stream), NULL);
  self->peer_name = describe_peer (self->remote_address);

  self->inflate_input = inflate_input;
  if (inflate_input)
    {
      init_zlib_stream (&self->inflater);
      ret = inflateInit (&self->inflater);
      g_assert (ret == Z_OK);
    }
  self->deflate_output = deflate_output;
  if (deflate_output)
    {
      init_zlib_stream (&self->deflater);
      ret = deflateInit2 (&self->deflater, DEFLATE_LEVEL, Z_DEFLATED, DEFLATE_WINDOW_BITS,
                          DEFLATE_MEM_LEVEL, Z_DEFAULT_STRATEGY);
      g_assert (ret == Z_OK);
    }
  return self;
}

void
shoal_link_start (ShoalLink *self)
{
  guint tick_ms;

  g_return_if_fail (SHOAL_IS_LINK (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  self->last_rx_usec = self->last_tx_usec = self->last_keepalive_usec = g_get_monotonic_time ();
  if (self->state == LINK_CLOSED)
    return;
  self->start_source = attach_source (self, g_idle_source_new (), on_start);
  g_source_set_priority (self->start_source, G_PRIORITY_DEFAULT);
  tick_ms = tick_interval_ms (&self->config);
  if (self->state == LINK_OPEN && tick_ms > 0)
    self->tick_source = attach_source (self, g_timeout_source_new (tick_ms), on_tick);
}

gboolean
shoal_link_send_bytes (ShoalLink         *self,
                       GBytes            *message,
                       ShoalLinkPriority  priority)
{
  g_return_val_if_fail (SHOAL_IS_LINK (self), FALSE);
  g_return_val_if_fail (message != NULL && is_whole_message (message), FALSE);
  g_return_val_if_fail (priority < SHOAL_LINK_N_PRIORITIES, FALSE);

  if (self->state != LINK_OPEN)
    {
      count_unqueued_drop (self);
      return FALSE;
    }
  return enqueue (self, message, priority);
}

gboolean
shoal_link_send (ShoalLink          *self,
                 const ShoalMessage *message,
                 ShoalLinkPriority   priority)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (SHOAL_IS_LINK (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  bytes = shoal_message_write (message, &error);
  if (bytes == NULL)
    {
      g_autofree char *type = describe_type (message->header.type);

      g_warning ("%s: cannot send a %s message: %s", self->peer_name, type, error->message);
      count_unqueued_drop (self);
      return FALSE;
    }
  return shoal_link_send_bytes (self, bytes, priority);
}

void
shoal_link_close (ShoalLink  *self,
                  guint16     bye_code,
                  const char *reason)
{
  g_return_if_fail (SHOAL_IS_LINK (self));
  g_return_if_fail (reason != NULL && strpbrk (reason, "\r\n") == NULL);

  begin_close (self, bye_code, reason,
               g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED, "We said bye: %u %s",
                            bye_code, reason));
}

gboolean
shoal_link_is_open (ShoalLink *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK (self), FALSE);
  return self->state == LINK_OPEN;
}

GSocketAddress *
shoal_link_get_remote_address (ShoalLink *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK (self), NULL);
  return self->remote_address;
}

gboolean
shoal_link_get_flow_controlled (ShoalLink *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK (self), FALSE);
  return self->flow_controlled;
}

gsize
shoal_link_get_queued_bytes (ShoalLink *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK (self), 0);
  return self->queued_bytes;
}

guint
shoal_link_get_pending_keepalives (ShoalLink *self)
{
  g_return_val_if_fail (SHOAL_IS_LINK (self), 0);
  return self->pending_keepalives->len;
}

void
shoal_link_get_stats (ShoalLink      *self,
                      ShoalLinkStats *stats)
{
  g_return_if_fail (SHOAL_IS_LINK (self));
  *stats = self->stats;
}
