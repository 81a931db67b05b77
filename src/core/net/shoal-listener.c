/* shoal-listener.c — the one TCP port: every connection is accepted here,
 * its first line read without blocking, and it is handed to the Gnutella
 * handshake, the HTTP server or the download manager (protocol reference
 * §1). */
#include "shoal-listener.h"

#include "shoal-net-types.h"

#include <string.h>

#define GNUTELLA_CONNECT_PREFIX "GNUTELLA CONNECT/"
#define HTTP_GET_PREFIX "GET "
#define HTTP_HEAD_PREFIX "HEAD "
#define GIV_PREFIX "GIV "
/* gtk-gnutella answers 501 to an unknown first line that names HTTP. */
#define HTTP_MARKER "HTTP"
#define LINGER_CHUNK_SIZE 4096
#define HTTP_STATUS_NOT_IMPLEMENTED 501
#define HTTP_STATUS_UNAVAILABLE 503

struct _ShoalListener
{
  GObject         parent_instance;

  GStrv           addresses;       /* NULL: every address */
  guint16         port;            /* the setting; 0 until a port is picked */
  guint16         bound_port;      /* while listening */
  guint           first_line_timeout_ms;
  guint           max_pending;
  GSocketService *service;         /* NULL when not listening */
  GHashTable     *pending;         /* PendingConnection*, owing a first line */
  guint64         counts[SHOAL_LISTENER_N_OUTCOMES];
};

enum
{
  PROP_0,
  PROP_ADDRESSES,
  PROP_PORT,
  PROP_FIRST_LINE_TIMEOUT,
  PROP_MAX_PENDING,
  PROP_LISTENING,
  PROP_FIRST_COUNT,
  N_PROPS = PROP_FIRST_COUNT + SHOAL_LISTENER_N_OUTCOMES
};

enum
{
  SIGNAL_GNUTELLA_CONNECTION,
  SIGNAL_HTTP_REQUEST,
  SIGNAL_GIV,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Property names of the counts, in ShoalListenerOutcome order. */
static const char * const count_names[SHOAL_LISTENER_N_OUTCOMES] = {
  "gnutella-count",
  "http-count",
  "giv-count",
  "unhandled-count",
  "unrecognized-count",
  "oversized-count",
  "timed-out-count",
  "aborted-count",
  "overflow-count",
  "connect-back-count",
};

G_DEFINE_FINAL_TYPE (ShoalListener, shoal_listener, G_TYPE_OBJECT)

/* Closing with an answer ------------------------------------------------------ */

typedef struct
{
  GIOStream    *stream;
  GBytes       *answer;
  GCancellable *cancellable;       /* the linger timeout */
  GSource      *timeout;
  gsize         drained;
  guint8        chunk[LINGER_CHUNK_SIZE];
} Closing;

static void
closing_free (Closing *closing)
{
  if (closing->timeout != NULL)
    {
      g_source_destroy (closing->timeout);
      g_source_unref (closing->timeout);
    }
  g_clear_pointer (&closing->answer, g_bytes_unref);
  g_object_unref (closing->cancellable);
  g_object_unref (closing->stream);
  g_free (closing);
}

static void
on_closed (GObject      *source,
           GAsyncResult *res,
           gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (source), res, &error))
    g_debug ("closing a connection: %s", error->message);
  closing_free (data);
}

static void
close_now (Closing *closing)
{
  g_io_stream_close_async (closing->stream, G_PRIORITY_DEFAULT, NULL,
                           on_closed, closing);
}

static void drain (Closing *closing);

static void
on_drained (GObject      *source,
            GAsyncResult *res,
            gpointer      data)
{
  Closing *closing = data;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  if (n_read <= 0)
    {
      close_now (closing);
      return;
    }
  closing->drained += (gsize) n_read;
  if (closing->drained >= SHOAL_LISTENER_LINGER_MAX_BYTES)
    close_now (closing);
  else
    drain (closing);
}

static void
drain (Closing *closing)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (closing->stream),
                             closing->chunk, sizeof closing->chunk,
                             G_PRIORITY_DEFAULT, closing->cancellable,
                             on_drained, closing);
}

/* Our FIN tells the peer the answer is whole; its own data we still read
 * until it closes. */
static void
end_our_direction (GIOStream *stream)
{
  g_autoptr(GError) error = NULL;

  if (G_IS_SOCKET_CONNECTION (stream) &&
      !g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)),
                          FALSE, TRUE, &error))
    g_debug ("shutting down a connection: %s", error->message);
}

static void
on_answer_written (GObject      *source,
                   GAsyncResult *res,
                   gpointer      data)
{
  Closing *closing = data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      g_debug ("writing a last answer: %s", error->message);
      close_now (closing);
      return;
    }
  end_our_direction (closing->stream);
  drain (closing);
}

static gboolean
on_linger_timeout (gpointer data)
{
  Closing *closing = data;

  g_cancellable_cancel (closing->cancellable);
  return G_SOURCE_REMOVE;
}

void
shoal_listener_close_stream (GIOStream *stream,
                             GBytes    *answer)
{
  Closing *closing;
  gsize length;
  const void *data;

  g_return_if_fail (G_IS_IO_STREAM (stream));

  closing = g_new0 (Closing, 1);
  closing->stream = g_object_ref (stream);
  closing->cancellable = g_cancellable_new ();
  if (answer == NULL || g_bytes_get_size (answer) == 0)
    {
      close_now (closing);
      return;
    }
  closing->answer = g_bytes_ref (answer);
  closing->timeout = g_timeout_source_new (SHOAL_LISTENER_LINGER_TIMEOUT_MS);
  g_source_set_callback (closing->timeout, on_linger_timeout, closing, NULL);
  g_source_attach (closing->timeout, g_main_context_get_thread_default ());
  data = g_bytes_get_data (closing->answer, &length);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                   data, length, G_PRIORITY_DEFAULT,
                                   closing->cancellable, on_answer_written,
                                   closing);
}

/* Addresses ------------------------------------------------------------------ */

/* ::ffff:a.b.c.d */
static gboolean
is_ipv4_mapped (const guint8 *bytes)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return memcmp (bytes, prefix, sizeof prefix) == 0;
}

void
shoal_listener_endpoint_from_address (GSocketAddress    *address,
                                      ShoalIpv4Endpoint *endpoint)
{
  GInetAddress *inet;
  const guint8 *bytes;

  g_return_if_fail (endpoint != NULL);

  endpoint->address = 0;
  endpoint->port = 0;
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return;
  endpoint->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  bytes = g_inet_address_to_bytes (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    endpoint->address = shoal_ipv4_from_wire (bytes);
  else if (is_ipv4_mapped (bytes))
    endpoint->address = shoal_ipv4_from_wire (bytes + 12);
}

/* Connections owing their first line ---------------------------------------- */

typedef struct
{
  ShoalListener     *listener;     /* NULL once the listener let go */
  GSocketConnection *connection;
  GCancellable      *cancellable;  /* the timeout, or the listener stopping */
  GSource           *timeout;
  gboolean           timed_out;
  GByteArray        *input;
  guint8             chunk[SHOAL_LISTENER_MAX_FIRST_LINE];
  ShoalIpv4Endpoint  remote;
  GSource           *peek_source;  /* waiting to peek at the first bytes */
} PendingConnection;

typedef enum
{
  FIRST_LINE_GNUTELLA,
  FIRST_LINE_HTTP,
  FIRST_LINE_GIV,
  FIRST_LINE_UNKNOWN,
} FirstLineKind;

static const char * const kind_names[] = {
  [FIRST_LINE_GNUTELLA] = "Gnutella",
  [FIRST_LINE_HTTP] = "HTTP",
  [FIRST_LINE_GIV] = "GIV",
  [FIRST_LINE_UNKNOWN] = "unrecognized",
};

static void
pending_stop_timer (PendingConnection *pending)
{
  if (pending->timeout == NULL)
    return;
  g_source_destroy (pending->timeout);
  g_clear_pointer (&pending->timeout, g_source_unref);
}

static void
pending_free (PendingConnection *pending)
{
  pending_stop_timer (pending);
  if (pending->peek_source != NULL)
    {
      g_source_destroy (pending->peek_source);
      g_source_unref (pending->peek_source);
    }
  g_object_unref (pending->cancellable);
  g_object_unref (pending->connection);
  g_byte_array_unref (pending->input);
  g_free (pending);
}

static void
count_outcome (ShoalListener        *self,
               ShoalListenerOutcome  outcome)
{
  self->counts[outcome]++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRST_COUNT + outcome]);
}

/* Counts @outcome, closes the connection after @answer (may be NULL) and
 * frees @pending. */
static void
pending_finish (PendingConnection    *pending,
                ShoalListenerOutcome  outcome,
                GBytes               *answer)
{
  if (pending->listener != NULL)
    {
      g_hash_table_remove (pending->listener->pending, pending);
      count_outcome (pending->listener, outcome);
    }
  shoal_listener_close_stream (G_IO_STREAM (pending->connection), answer);
  pending_free (pending);
}

static gboolean
has_prefix (const char *line,
            gsize       length,
            const char *prefix)
{
  gsize prefix_length = strlen (prefix);

  return length >= prefix_length && memcmp (line, prefix, prefix_length) == 0;
}

static gboolean
contains (const char *line,
          gsize       length,
          const char *text)
{
  for (gsize i = 0; i < length; i++)
    if (has_prefix (line + i, length - i, text))
      return TRUE;
  return FALSE;
}

/* A connect-back probe is nothing but a line end. */
static gboolean
is_blank (const char *line,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (line[i] != '\r' && line[i] != '\n')
      return FALSE;
  return TRUE;
}

static FirstLineKind
classify_first_line (const char *line,
                     gsize       length)
{
  if (has_prefix (line, length, GNUTELLA_CONNECT_PREFIX))
    return FIRST_LINE_GNUTELLA;
  if (has_prefix (line, length, HTTP_GET_PREFIX) ||
      has_prefix (line, length, HTTP_HEAD_PREFIX))
    return FIRST_LINE_HTTP;
  if (has_prefix (line, length, GIV_PREFIX))
    return FIRST_LINE_GIV;
  return FIRST_LINE_UNKNOWN;
}

static GBytes *
build_http_answer (guint16     code,
                   const char *reason,
                   gboolean    retry_later)
{
  g_autoptr(ShoalHeaderBlock) block = shoal_header_block_new_http_status (1, 1, code, reason);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *retry_after = NULL;

  shoal_header_block_add (block, "Server", SHOAL_USER_AGENT);
  if (retry_later)
    {
      retry_after = g_strdup_printf ("%d", SHOAL_LISTENER_BUSY_RETRY_AFTER_SECONDS);
      shoal_header_block_add (block, "Retry-After", retry_after);
    }
  shoal_header_block_add (block, "Content-Length", "0");
  shoal_header_block_add (block, "Connection", "close");
  /* A fixed block well within the limits. */
  shoal_header_block_write (block, out, NULL);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
reject_unknown (PendingConnection *pending,
                const char        *line,
                gsize              length)
{
  g_autoptr(GBytes) answer = NULL;

  if (contains (line, length, HTTP_MARKER))
    answer = build_http_answer (HTTP_STATUS_NOT_IMPLEMENTED, "Not Implemented", FALSE);
  pending_finish (pending, SHOAL_LISTENER_OUTCOME_UNRECOGNIZED, answer);
}

/* Offers the connection to the handlers of @kind; the first that returns
 * TRUE owns it. */
static void
hand_over (PendingConnection *pending,
           FirstLineKind      kind)
{
  static const guint kind_signals[] = {
    [FIRST_LINE_GNUTELLA] = SIGNAL_GNUTELLA_CONNECTION,
    [FIRST_LINE_HTTP] = SIGNAL_HTTP_REQUEST,
    [FIRST_LINE_GIV] = SIGNAL_GIV,
  };
  static const ShoalListenerOutcome kind_outcomes[] = {
    [FIRST_LINE_GNUTELLA] = SHOAL_LISTENER_OUTCOME_GNUTELLA,
    [FIRST_LINE_HTTP] = SHOAL_LISTENER_OUTCOME_HTTP,
    [FIRST_LINE_GIV] = SHOAL_LISTENER_OUTCOME_GIV,
  };
  g_autoptr(ShoalListener) self = g_object_ref (pending->listener);
  /* HTTP is peeked at, never read: the upload server gets the socket as
   * the client left it (it cannot take bytes read already). */
  g_autoptr(GBytes) already_read = kind == FIRST_LINE_HTTP
    ? g_bytes_new (NULL, 0) : g_bytes_new (pending->input->data, pending->input->len);
  g_autoptr(GBytes) answer = NULL;
  gboolean handled = FALSE;

  /* A handler may stop the listener: the connection is no longer its. */
  g_hash_table_remove (self->pending, pending);
  pending->listener = NULL;
  pending_stop_timer (pending);
  g_signal_emit (self, signals[kind_signals[kind]], 0, pending->connection,
                 already_read, &pending->remote, &handled);
  if (handled)
    {
      count_outcome (self, kind_outcomes[kind]);
      pending_free (pending);
      return;
    }
  /* The upload server is busy or absent: come back later. */
  if (kind == FIRST_LINE_HTTP)
    answer = build_http_answer (HTTP_STATUS_UNAVAILABLE, "Service Unavailable", TRUE);
  count_outcome (self, SHOAL_LISTENER_OUTCOME_UNHANDLED);
  shoal_listener_close_stream (G_IO_STREAM (pending->connection), answer);
  pending_free (pending);
}

static void
dispatch (PendingConnection *pending,
          gsize              line_length)
{
  const char *line = (const char *) pending->input->data;
  FirstLineKind kind = classify_first_line (line, line_length);

  if (is_blank (line, line_length))
    {
      g_debug ("connect-back probe");
      pending_finish (pending, SHOAL_LISTENER_OUTCOME_CONNECT_BACK, NULL);
      return;
    }
  g_debug ("%s first line of %" G_GSIZE_FORMAT " bytes", kind_names[kind], line_length);
  if (kind == FIRST_LINE_UNKNOWN)
    reject_unknown (pending, line, line_length);
  else
    hand_over (pending, kind);
}

static void read_first_line (PendingConnection *pending);

static void
on_first_line_read (GObject      *source,
                    GAsyncResult *res,
                    gpointer      data)
{
  PendingConnection *pending = data;
  g_autoptr(GError) error = NULL;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);
  const guint8 *line_end;

  if (pending->listener == NULL)
    {
      /* The listener stopped: the connection goes with it. */
      pending_finish (pending, SHOAL_LISTENER_OUTCOME_ABORTED, NULL);
      return;
    }
  if (n_read <= 0)
    {
      if (n_read < 0)
        g_debug ("reading a first line: %s", error->message);
      pending_finish (pending, pending->timed_out
                               ? SHOAL_LISTENER_OUTCOME_TIMED_OUT
                               : SHOAL_LISTENER_OUTCOME_ABORTED, NULL);
      return;
    }
  g_byte_array_append (pending->input, pending->chunk, (guint) n_read);
  line_end = memchr (pending->input->data, '\n', pending->input->len);
  if (line_end != NULL)
    dispatch (pending, (gsize) (line_end - pending->input->data));
  else if (pending->input->len >= SHOAL_LISTENER_MAX_FIRST_LINE)
    pending_finish (pending, SHOAL_LISTENER_OUTCOME_OVERSIZED, NULL);
  else
    read_first_line (pending);
}

/* Never more than the longest first line is buffered. */
static void
read_first_line (PendingConnection *pending)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (pending->connection)),
                             pending->chunk,
                             SHOAL_LISTENER_MAX_FIRST_LINE - pending->input->len,
                             G_PRIORITY_DEFAULT, pending->cancellable,
                             on_first_line_read, pending);
}

/* Peeking ------------------------------------------------------------------- */

static gboolean on_peekable (GSocket *socket, GIOCondition condition, gpointer data);
static gboolean on_peek_retry (gpointer data);

static void
stop_peeking (PendingConnection *pending)
{
  if (pending->peek_source == NULL)
    return;
  g_source_destroy (pending->peek_source);
  g_clear_pointer (&pending->peek_source, g_source_unref);
}

static void read_first_line (PendingConnection *pending);

/* Waits until the socket is readable, or (@delay_ms > 0) for a moment:
 * peeked bytes stay in the socket, which stays readable, so waiting for
 * more of them must not spin. */
static void
wait_to_peek (PendingConnection *pending,
              guint              delay_ms)
{
  GSocket *socket = g_socket_connection_get_socket (pending->connection);

  stop_peeking (pending);
  if (delay_ms > 0)
    {
      pending->peek_source = g_timeout_source_new (delay_ms);
      g_source_set_callback (pending->peek_source, on_peek_retry, pending, NULL);
    }
  else
    {
      pending->peek_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (pending->peek_source, (GSourceFunc) (void (*) (void)) on_peekable,
                             pending, NULL);
    }
  g_source_attach (pending->peek_source, g_main_context_get_thread_default ());
}

/* Enough to tell HTTP from the rest: "HEAD " is the longest prefix. */
#define PEEK_SIZE (sizeof HTTP_HEAD_PREFIX - 1)
#define PEEK_RETRY_MS 10

static gboolean
on_peekable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  PendingConnection *pending = data;
  char peeked[PEEK_SIZE];
  GInputVector vector = { peeked, sizeof peeked };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize got = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags,
                                         NULL, NULL);

  /* Errors, an early close or a timeout: the reading path reports them. */
  if (got <= 0 && !g_cancellable_is_cancelled (pending->cancellable) &&
      (condition & G_IO_IN) && got < 0)
    {
      wait_to_peek (pending, PEEK_RETRY_MS);
      return G_SOURCE_REMOVE;
    }
  if (got > 0 && (gsize) got < PEEK_SIZE && memchr (peeked, '\n', (gsize) got) == NULL &&
      !g_cancellable_is_cancelled (pending->cancellable))
    {
      wait_to_peek (pending, PEEK_RETRY_MS);
      return G_SOURCE_REMOVE;
    }
  g_clear_pointer (&pending->peek_source, g_source_unref);
  if (got > 0 && classify_first_line (peeked, (gsize) got) == FIRST_LINE_HTTP)
    hand_over (pending, FIRST_LINE_HTTP);
  else
    read_first_line (pending);
  return G_SOURCE_REMOVE;
}

static gboolean
on_peek_retry (gpointer data)
{
  PendingConnection *pending = data;

  g_clear_pointer (&pending->peek_source, g_source_unref);
  wait_to_peek (pending, 0);
  return G_SOURCE_REMOVE;
}

/* Ends the wait for a first line: a read under way fails as cancelled; a
 * connection still waiting to be peeked at starts that read now, which
 * fails the same way (a socket source does not wake on cancellation). */
static void
pending_cancel (PendingConnection *pending)
{
  g_cancellable_cancel (pending->cancellable);
  if (pending->peek_source != NULL)
    {
      stop_peeking (pending);
      read_first_line (pending);
    }
}

static gboolean
on_first_line_timeout (gpointer data)
{
  PendingConnection *pending = data;

  pending->timed_out = TRUE;
  pending_cancel (pending);
  return G_SOURCE_REMOVE;
}

static PendingConnection *
pending_new (ShoalListener     *self,
             GSocketConnection *connection)
{
  PendingConnection *pending = g_new0 (PendingConnection, 1);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  pending->listener = self;
  pending->connection = g_object_ref (connection);
  pending->cancellable = g_cancellable_new ();
  pending->input = g_byte_array_new ();
  shoal_listener_endpoint_from_address (remote, &pending->remote);
  pending->timeout = g_timeout_source_new (self->first_line_timeout_ms);
  g_source_set_callback (pending->timeout, on_first_line_timeout, pending, NULL);
  g_source_attach (pending->timeout, g_main_context_get_thread_default ());
  return pending;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  ShoalListener *self = user_data;
  PendingConnection *pending;

  if (g_hash_table_size (self->pending) >= self->max_pending)
    {
      count_outcome (self, SHOAL_LISTENER_OUTCOME_OVERFLOW);
      shoal_listener_close_stream (G_IO_STREAM (connection), NULL);
      return TRUE;
    }
  pending = pending_new (self, connection);
  g_hash_table_add (self->pending, pending);
  wait_to_peek (pending, 0);
  return TRUE;
}

/* Their reads end cancelled and free them. */
static void
abandon_pending (ShoalListener *self)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      PendingConnection *pending = key;

      pending->listener = NULL;
      pending_stop_timer (pending);
      pending_cancel (pending);
      g_hash_table_iter_remove (&iter);
    }
}

/* Binding ------------------------------------------------------------------- */

static gboolean
add_address (GSocketListener  *listener,
             const char       *text,
             guint16          *port,
             GError          **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (text);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a numeric IPv4 or IPv6 address", text);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, *port);
  if (!g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                      error))
    return FALSE;
  /* Port 0: the first address picks, the others follow it. */
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return TRUE;
}

static gboolean
bind_every_address (GSocketListener  *listener,
                    guint16          *port,
                    GError          **error)
{
  if (*port != 0)
    return g_socket_listener_add_inet_port (listener, *port, NULL, error);
  *port = g_socket_listener_add_any_inet_port (listener, NULL, error);
  return *port != 0;
}

/* GObject ------------------------------------------------------------------- */

static void
shoal_listener_dispose (GObject *object)
{
  shoal_listener_stop (SHOAL_LISTENER (object));
  G_OBJECT_CLASS (shoal_listener_parent_class)->dispose (object);
}

static void
shoal_listener_finalize (GObject *object)
{
  ShoalListener *self = SHOAL_LISTENER (object);

  g_strfreev (self->addresses);
  g_hash_table_unref (self->pending);
  G_OBJECT_CLASS (shoal_listener_parent_class)->finalize (object);
}

static void
shoal_listener_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ShoalListener *self = SHOAL_LISTENER (object);

  if (prop_id >= PROP_FIRST_COUNT && prop_id < N_PROPS)
    {
      g_value_set_uint64 (value, self->counts[prop_id - PROP_FIRST_COUNT]);
      return;
    }
  switch (prop_id)
    {
    case PROP_ADDRESSES:
      g_value_set_boxed (value, self->addresses);
      break;
    case PROP_PORT:
      g_value_set_uint (value, shoal_listener_get_port (self));
      break;
    case PROP_FIRST_LINE_TIMEOUT:
      g_value_set_uint (value, self->first_line_timeout_ms);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_LISTENING:
      g_value_set_boolean (value, self->service != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_listener_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ShoalListener *self = SHOAL_LISTENER (object);

  switch (prop_id)
    {
    case PROP_ADDRESSES:
      g_strfreev (self->addresses);
      self->addresses = g_value_dup_boxed (value);
      break;
    case PROP_PORT:
      self->port = (guint16) g_value_get_uint (value);
      break;
    case PROP_FIRST_LINE_TIMEOUT:
      self->first_line_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static guint
add_connection_signal (GObjectClass *object_class,
                       const char   *name)
{
  return g_signal_new (name, G_TYPE_FROM_CLASS (object_class),
                       G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled,
                       NULL, NULL, G_TYPE_BOOLEAN, 3, G_TYPE_IO_STREAM,
                       G_TYPE_BYTES, G_TYPE_POINTER);
}

static void
shoal_listener_class_init (ShoalListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_listener_dispose;
  object_class->finalize = shoal_listener_finalize;
  object_class->get_property = shoal_listener_get_property;
  object_class->set_property = shoal_listener_set_property;

  /* Numeric addresses, all on one port; NULL or empty: every IPv4 and
   * IPv6 address. Applies at the next start(). */
  properties[PROP_ADDRESSES] =
    g_param_spec_boxed ("addresses", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /* 0 picks a free port at start(), which is kept for later starts.
   * While listening it reads the port bound; a new value applies at the
   * next start(). The same port serves UDP elsewhere. */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Milliseconds a new connection has to send its first line; applies to
   * connections accepted afterwards. */
  properties[PROP_FIRST_LINE_TIMEOUT] =
    g_param_spec_uint ("first-line-timeout", NULL, NULL, 1, G_MAXUINT,
                       SHOAL_LISTENER_DEFAULT_FIRST_LINE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /* Connections owing their first line, at most. */
  properties[PROP_MAX_PENDING] =
    g_param_spec_uint ("max-pending", NULL, NULL, 1, G_MAXUINT,
                       SHOAL_LISTENER_DEFAULT_MAX_PENDING,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_LISTENING] =
    g_param_spec_boolean ("listening", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* One count per ShoalListenerOutcome. */
  for (guint i = 0; i < SHOAL_LISTENER_N_OUTCOMES; i++)
    properties[PROP_FIRST_COUNT + i] =
      g_param_spec_uint64 (count_names[i], NULL, NULL, 0, G_MAXUINT64, 0,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalListener::gnutella-connection:
   * @stream: the connection (a GSocketConnection)
   * @already_read: what was read while dispatching: the first line, maybe
   *   more; to be fed to the handshake
   * @remote: (type gpointer): the peer's ShoalIpv4Endpoint, valid during
   *   the emission; 0.0.0.0 with the port for an IPv6 peer
   *
   * A connection opened with `GNUTELLA CONNECT/`. A handler that takes it
   * (refs @stream) returns TRUE; when none does it is closed.
   */
  signals[SIGNAL_GNUTELLA_CONNECTION] = add_connection_signal (object_class, "gnutella-connection");
  /**
   * ShoalListener::http-request:
   *
   * A connection opened with `GET ` or `HEAD `, arguments as for
   * ::gnutella-connection. When no handler returns TRUE the listener
   * answers `503 Service Unavailable` with Retry-After and closes.
   */
  signals[SIGNAL_HTTP_REQUEST] = add_connection_signal (object_class, "http-request");
  /**
   * ShoalListener::giv:
   *
   * A connection opened with `GIV ` (a firewalled servent answering our
   * push), arguments as for ::gnutella-connection. Closed when no handler
   * returns TRUE.
   */
  signals[SIGNAL_GIV] = add_connection_signal (object_class, "giv");
}

static void
shoal_listener_init (ShoalListener *self)
{
  self->pending = g_hash_table_new (NULL, NULL);
}

/* Public API ---------------------------------------------------------------- */

ShoalListener *
shoal_listener_new (const char * const *addresses,
                    guint16             port)
{
  return g_object_new (SHOAL_TYPE_LISTENER,
                       "addresses", addresses,
                       "port", (guint) port,
                       NULL);
}

gboolean
shoal_listener_start (ShoalListener  *self,
                      GError        **error)
{
  g_autoptr(GSocketService) service = NULL;
  guint16 port;

  g_return_val_if_fail (SHOAL_IS_LISTENER (self), FALSE);

  if (self->service != NULL)
    return TRUE;
  service = g_socket_service_new ();
  /* GLib's default of 10 drops connections that come faster than the
   * main loop accepts them (a burst of leaves, a swarm of downloaders),
   * and each retries only a second later. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (service), SHOAL_LISTENER_BACKLOG);
  port = self->port;
  if (self->addresses == NULL || self->addresses[0] == NULL)
    {
      if (!bind_every_address (G_SOCKET_LISTENER (service), &port, error))
        return FALSE;
    }
  else
    {
      for (guint i = 0; self->addresses[i] != NULL; i++)
        if (!add_address (G_SOCKET_LISTENER (service), self->addresses[i], &port, error))
          return FALSE;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (service);
  self->service = g_steal_pointer (&service);
  self->bound_port = port;
  if (self->port == 0)
    self->port = port;
  g_debug ("listening on port %u", port);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
  return TRUE;
}

void
shoal_listener_stop (ShoalListener *self)
{
  g_return_if_fail (SHOAL_IS_LISTENER (self));

  if (self->service == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_clear_object (&self->service);
  self->bound_port = 0;
  abandon_pending (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
}

gboolean
shoal_listener_get_listening (ShoalListener *self)
{
  g_return_val_if_fail (SHOAL_IS_LISTENER (self), FALSE);

  return self->service != NULL;
}

guint16
shoal_listener_get_port (ShoalListener *self)
{
  g_return_val_if_fail (SHOAL_IS_LISTENER (self), 0);

  return self->service != NULL ? self->bound_port : self->port;
}

guint64
shoal_listener_get_count (ShoalListener        *self,
                          ShoalListenerOutcome  outcome)
{
  g_return_val_if_fail (SHOAL_IS_LISTENER (self), 0);
  g_return_val_if_fail (outcome < SHOAL_LISTENER_N_OUTCOMES, 0);

  return self->counts[outcome];
}
