/* shoal-message-queue.h — a link's bounded send queue: whole messages by
 * priority, the least valuable traffic dropped first when it fills. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a message is worth to the network when a link cannot send it all,
 * most valuable first (gtk-gnutella drops the lowest-value traffic first). */
typedef enum
{
  SHOAL_LINK_PRIORITY_CONTROL,         /* bye, QRP, vendor, keep-alive ping/pong */
  SHOAL_LINK_PRIORITY_REPLY,           /* pongs, query hits, pushes */
  SHOAL_LINK_PRIORITY_QUERY,
  SHOAL_LINK_PRIORITY_BROADCAST_PING,
} ShoalLinkPriority;

#define SHOAL_LINK_N_PRIORITIES (SHOAL_LINK_PRIORITY_BROADCAST_PING + 1)

/* A link holds at most this many queued bytes; a slow peer costs us no
 * more memory than that. */
#define SHOAL_MESSAGE_QUEUE_DEFAULT_MAX_BYTES (256 * 1024)
/* The part of it only CONTROL messages may fill, so a bye or a QRP update
 * still fits when ordinary traffic has filled the rest. Four maximal byes. */
#define SHOAL_MESSAGE_QUEUE_DEFAULT_CONTROL_RESERVE_BYTES (16 * 1024)
/* Each queued message costs a little bookkeeping beyond its bytes, so the
 * count is bounded too: a flood of 23-byte pings stays cheap. */
#define SHOAL_MESSAGE_QUEUE_DEFAULT_MAX_MESSAGES 4096
#define SHOAL_MESSAGE_QUEUE_DEFAULT_CONTROL_RESERVE_MESSAGES 64

typedef struct
{
  gsize max_bytes;                  /* everything queued, reserve included */
  gsize control_reserve_bytes;      /* part of max_bytes only CONTROL may use */
  guint max_messages;               /* everything queued, reserve included */
  guint control_reserve_messages;   /* part of max_messages only CONTROL may use */
} ShoalMessageQueueLimits;

typedef struct _ShoalMessageQueue ShoalMessageQueue;

void               shoal_message_queue_limits_init_default (ShoalMessageQueueLimits *limits);

/* The reserves must be smaller than their maximums. */
ShoalMessageQueue *shoal_message_queue_new      (const ShoalMessageQueueLimits *limits);
void               shoal_message_queue_free     (ShoalMessageQueue *queue);

/* Queues @message (a whole message, header included; a reference is
 * taken). When it does not fit, messages of lower priority are evicted,
 * oldest of the lowest priority first, but only if that makes room; else
 * @message is refused. Equal or higher priority is never evicted. Refused
 * and evicted messages are counted as dropped. */
gboolean           shoal_message_queue_push     (ShoalMessageQueue *queue,
                                                 GBytes            *message,
                                                 ShoalLinkPriority  priority);
/* The oldest message of the highest priority (caller owns it), or NULL
 * when the queue is empty. @priority may be NULL. */
GBytes            *shoal_message_queue_pop      (ShoalMessageQueue *queue,
                                                 ShoalLinkPriority *priority);
/* Drops everything queued (counted as dropped): a closing link sends its
 * bye without waiting for traffic nobody will read. */
void               shoal_message_queue_clear    (ShoalMessageQueue *queue);

gsize              shoal_message_queue_get_bytes  (const ShoalMessageQueue *queue);
guint              shoal_message_queue_get_length (const ShoalMessageQueue *queue);
gboolean           shoal_message_queue_is_empty   (const ShoalMessageQueue *queue);
const ShoalMessageQueueLimits *
                   shoal_message_queue_get_limits (const ShoalMessageQueue *queue);

/* Messages and bytes of @priority dropped since the queue was made. */
guint64            shoal_message_queue_get_dropped_messages (const ShoalMessageQueue *queue,
                                                             ShoalLinkPriority        priority);
guint64            shoal_message_queue_get_dropped_bytes    (const ShoalMessageQueue *queue,
                                                             ShoalLinkPriority        priority);
/* All priorities together. */
guint64            shoal_message_queue_get_total_dropped    (const ShoalMessageQueue *queue);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalMessageQueue, shoal_message_queue_free)

G_END_DECLS
