/* shoal-link.h — a handshaked Gnutella connection: frames the messages it
 * reads (optionally inflated), sends queued messages (optionally deflated)
 * with flow control, keeps itself alive and says goodbye. */
#pragma once

#include <gio/gio.h>

#include "shoal-message.h"
#include "shoal-message-queue.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_LINK (shoal_link_get_type ())
G_DECLARE_FINAL_TYPE (ShoalLink, shoal_link, SHOAL, LINK, GObject)

/* Alive pings (gnutella-0.6.md §7.3, gtk-gnutella ALIVE_PERIOD*,
 * ALIVE_MAX_PENDING*): every 20 s between ultrapeers, 120 s between a
 * leaf and its ultrapeer; the link gives up after 6 (4) unanswered. */
#define SHOAL_LINK_KEEPALIVE_PERIOD_ULTRAPEER_MS 20000
#define SHOAL_LINK_KEEPALIVE_PERIOD_LEAF_MS      120000
#define SHOAL_LINK_MAX_PENDING_KEEPALIVES_ULTRAPEER 6
#define SHOAL_LINK_MAX_PENDING_KEEPALIVES_LEAF      4
/* gtk-gnutella's node_connected_timeout: a link silent both ways this
 * long is dead. */
#define SHOAL_LINK_DEFAULT_IDLE_TIMEOUT_MS 180000
/* Malformed messages a peer may send before we hang up. Each one is
 * dropped and counted; a few are normal between servents of different
 * vintages, a stream of them is not. */
#define SHOAL_LINK_DEFAULT_MAX_BAD_MESSAGES 50
/* How long a closing link waits for its bye to leave and for the peer to
 * hang up. gtk-gnutella waits 30 s (BYE_GRACE_DELAY); a link slot is worth
 * more to us than the peer reading our reason. */
#define SHOAL_LINK_DEFAULT_BYE_GRACE_MS 2000

/* The largest payloads a link accepts by type (gnutella-0.6.md §3.4,
 * gtk-gnutella's *_kick_size properties); a header announcing more closes
 * the link before its payload is read. Query hits may use the whole 16-bit
 * length (SHOAL_MESSAGE_MAX_PAYLOAD). */
#define SHOAL_LINK_QUERY_KICK_SIZE 1024
#define SHOAL_LINK_OTHER_KICK_SIZE 40960

typedef struct
{
  ShoalMessageQueueLimits queue;   /* the send queue */
  guint idle_timeout_ms;           /* nothing read nor written this long: close; 0 never */
  guint keepalive_period_ms;       /* nothing written this long: alive ping; 0 never */
  guint max_pending_keepalives;    /* unanswered alive pings before BYE 406; ≥ 1 */
  guint max_bad_messages;          /* malformed messages tolerated; one more closes */
  guint bye_grace_ms;              /* after our bye, wait at most this for the peer */
} ShoalLinkConfig;

/* Ultrapeer-to-ultrapeer values: the ones every link uses unless the node
 * manager knows better (a leaf link takes the _LEAF keep-alive values). */
void              shoal_link_config_init_default (ShoalLinkConfig *config);

/* Takes over @stream, whose handshake just ended. @leftover (may be NULL)
 * holds the bytes the handshake read past its final blank line: they are
 * the start of the message stream, compressed when @inflate_input.
 * @deflate_output compresses what we write. The link lives on the
 * thread-default main context of the caller; nothing happens until
 * shoal_link_start(). Dropping the last reference shuts the stream without
 * a bye and without emitting ::closed. */
ShoalLink        *shoal_link_new              (GIOStream             *stream,
                                               GBytes                *leftover,
                                               gboolean               inflate_input,
                                               gboolean               deflate_output,
                                               const ShoalLinkConfig *config);
/* Starts reading (the leftover first, from the main loop, never inside
 * this call), writing and the timers. */
void              shoal_link_start            (ShoalLink *self);

/* Queues a whole message for sending. FALSE, counted in :dropped, when the
 * send queue's policy refuses it, when the link is closing, or when
 * @message cannot be encoded. */
gboolean          shoal_link_send             (ShoalLink          *self,
                                               const ShoalMessage *message,
                                               ShoalLinkPriority   priority);
/* The same for a message already on the wire format (header included, its
 * length field matching), such as one being forwarded. */
gboolean          shoal_link_send_bytes       (ShoalLink          *self,
                                               GBytes             *message,
                                               ShoalLinkPriority   priority);

/* Says goodbye: drops what is still queued, sends a bye with @bye_code and
 * the one-line @reason, stops handling what the peer sends, and closes once
 * the peer hung up or the grace delay ran out. Does nothing when the link
 * is already closing. */
void              shoal_link_close            (ShoalLink  *self,
                                               guint16     bye_code,
                                               const char *reason);

/* FALSE once closing has begun (a bye said or heard, an error). */
gboolean          shoal_link_is_open          (ShoalLink  *self);
/* The peer's address, or NULL when @stream was not a socket connection. */
GSocketAddress   *shoal_link_get_remote_address (ShoalLink *self);
/* TRUE from when the send queue passes half its byte limit until it has
 * drained to a quarter: the peer reads slower than we send. */
gboolean          shoal_link_get_flow_controlled (ShoalLink *self);
gsize             shoal_link_get_queued_bytes   (ShoalLink *self);
guint             shoal_link_get_pending_keepalives (ShoalLink *self);

/* Every counter at once (the same values as the properties). */
typedef struct
{
  guint64 messages_in;        /* well-formed messages received */
  guint64 messages_out;       /* messages handed to the wire */
  guint64 bytes_in;           /* wire bytes read, compressed or not */
  guint64 bytes_out;          /* wire bytes written */
  guint64 payload_bytes_in;   /* message bytes (headers included) framed, after inflating */
  guint64 payload_bytes_out;  /* message bytes handed to the wire, before deflating */
  guint64 dropped;            /* messages we did not send */
  guint64 bad;                /* messages from the peer dropped as malformed */
} ShoalLinkStats;

void              shoal_link_get_stats        (ShoalLink      *self,
                                               ShoalLinkStats *stats);

G_END_DECLS
