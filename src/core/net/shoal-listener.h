/* shoal-listener.h — the one TCP port: accepts connections, reads their
 * first line and hands each to whoever speaks its protocol. */
#pragma once

#include <gio/gio.h>

#include "shoal-handshake.h"
#include "shoal-ipv4.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_LISTENER (shoal_listener_get_type ())
G_DECLARE_FINAL_TYPE (ShoalListener, shoal_listener, SHOAL, LISTENER, GObject)

/* Connections the kernel queues for us before we accept them (SOMAXCONN
 * on Linux caps what it really takes). */
#define SHOAL_LISTENER_BACKLOG 512
/* How long an accepted connection may take to send its first line before
 * it is closed. gtk-gnutella gives a whole incoming handshake 60 s; a
 * first line fits in one segment. */
#define SHOAL_LISTENER_DEFAULT_FIRST_LINE_TIMEOUT_MS 20000
/* Longest first line we wait for, its line end included: gtk-gnutella's
 * getline() limit, which it applies to HTTP request lines too. */
#define SHOAL_LISTENER_MAX_FIRST_LINE SHOAL_HEADER_MAX_LINE_LENGTH
/* Connections still owing their first line, at most; more are closed at
 * once, so a flood of silent clients cannot pile up descriptors. */
#define SHOAL_LISTENER_DEFAULT_MAX_PENDING 256
/* Retry-After of the 503 answered when nobody serves HTTP. */
#define SHOAL_LISTENER_BUSY_RETRY_AFTER_SECONDS 60
/* After an answer we read and drop what the peer still sends, for this
 * long and this much at most, before closing: closing a socket with
 * unread input makes the kernel reset the connection, and the peer could
 * lose the answer. */
#define SHOAL_LISTENER_LINGER_TIMEOUT_MS 2000
#define SHOAL_LISTENER_LINGER_MAX_BYTES 65536

/**
 * ShoalListenerOutcome:
 * @SHOAL_LISTENER_OUTCOME_GNUTELLA: `GNUTELLA CONNECT/`, taken by a handler
 * @SHOAL_LISTENER_OUTCOME_HTTP: `GET ` or `HEAD `, taken by a handler
 * @SHOAL_LISTENER_OUTCOME_GIV: `GIV `, taken by a handler
 * @SHOAL_LISTENER_OUTCOME_UNHANDLED: one of the above that no handler took
 *   (HTTP is answered 503, the others are closed)
 * @SHOAL_LISTENER_OUTCOME_UNRECOGNIZED: a first line of no kind we serve
 *   (answered 501 when it names HTTP, as gtk-gnutella does)
 * @SHOAL_LISTENER_OUTCOME_OVERSIZED: no line end within the first
 *   %SHOAL_LISTENER_MAX_FIRST_LINE bytes
 * @SHOAL_LISTENER_OUTCOME_TIMED_OUT: no first line within the timeout
 * @SHOAL_LISTENER_OUTCOME_ABORTED: the peer closed, or reading failed,
 *   before a first line
 * @SHOAL_LISTENER_OUTCOME_OVERFLOW: closed on arrival, too many
 *   connections were still owing their first line
 * @SHOAL_LISTENER_OUTCOME_CONNECT_BACK: an empty first line: the probe a
 *   peer sends when we asked it to test that we can be reached
 *   (gtk-gnutella's TCP connect-back); closed, and proof we are reachable
 *
 * What became of an accepted connection; each one is counted once, in the
 * listener's `*-count` properties.
 */
typedef enum
{
  SHOAL_LISTENER_OUTCOME_GNUTELLA,
  SHOAL_LISTENER_OUTCOME_HTTP,
  SHOAL_LISTENER_OUTCOME_GIV,
  SHOAL_LISTENER_OUTCOME_UNHANDLED,
  SHOAL_LISTENER_OUTCOME_UNRECOGNIZED,
  SHOAL_LISTENER_OUTCOME_OVERSIZED,
  SHOAL_LISTENER_OUTCOME_TIMED_OUT,
  SHOAL_LISTENER_OUTCOME_ABORTED,
  SHOAL_LISTENER_OUTCOME_OVERFLOW,
  SHOAL_LISTENER_OUTCOME_CONNECT_BACK,
  SHOAL_LISTENER_N_OUTCOMES,
} ShoalListenerOutcome;

/* @addresses: numeric addresses to listen on, all on the same port; NULL
 * or empty means every IPv4 and IPv6 address. @port 0 picks a free one,
 * readable back once started. */
ShoalListener *shoal_listener_new          (const char * const *addresses,
                                            guint16             port);
gboolean       shoal_listener_start        (ShoalListener  *self,
                                            GError        **error);
/* Stops accepting and closes connections still owing their first line;
 * connections already handed over are theirs. start() may follow. */
void           shoal_listener_stop         (ShoalListener *self);
gboolean       shoal_listener_get_listening (ShoalListener *self);
guint16        shoal_listener_get_port     (ShoalListener *self);
guint64        shoal_listener_get_count    (ShoalListener        *self,
                                            ShoalListenerOutcome  outcome);

/* The remote address of an accepted connection as the Gnutella codec
 * holds addresses: IPv4, and IPv4-mapped IPv6 (::ffff:a.b.c.d, what a
 * dual-stack socket reports for IPv4 peers) as IPv4. Any other IPv6
 * address gives 0.0.0.0 with the real port; the full address stays
 * available from g_socket_connection_get_remote_address(). */
void           shoal_listener_endpoint_from_address (GSocketAddress    *address,
                                                     ShoalIpv4Endpoint *endpoint);

/* Writes @answer (may be NULL), ends our direction and, when there was an
 * answer, reads and drops what the peer still sends (see
 * SHOAL_LISTENER_LINGER_*) before closing @stream. Runs on its own in the
 * thread-default main context and keeps @stream alive until done; the
 * caller must have no operation pending on @stream. */
void           shoal_listener_close_stream (GIOStream *stream,
                                            GBytes    *answer);

G_END_DECLS
