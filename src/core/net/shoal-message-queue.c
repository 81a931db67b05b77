/* shoal-message-queue.c — a link's bounded send queue with priorities. */
#include "shoal-message-queue.h"

struct _ShoalMessageQueue
{
  ShoalMessageQueueLimits limits;
  GQueue  messages[SHOAL_LINK_N_PRIORITIES];   /* of GBytes*, oldest first */
  gsize   bytes_by_priority[SHOAL_LINK_N_PRIORITIES];
  gsize   bytes;
  guint   length;
  guint64 dropped_messages[SHOAL_LINK_N_PRIORITIES];
  guint64 dropped_bytes[SHOAL_LINK_N_PRIORITIES];
};

void
shoal_message_queue_limits_init_default (ShoalMessageQueueLimits *limits)
{
  limits->max_bytes = SHOAL_MESSAGE_QUEUE_DEFAULT_MAX_BYTES;
  limits->control_reserve_bytes = SHOAL_MESSAGE_QUEUE_DEFAULT_CONTROL_RESERVE_BYTES;
  limits->max_messages = SHOAL_MESSAGE_QUEUE_DEFAULT_MAX_MESSAGES;
  limits->control_reserve_messages = SHOAL_MESSAGE_QUEUE_DEFAULT_CONTROL_RESERVE_MESSAGES;
}

ShoalMessageQueue *
shoal_message_queue_new (const ShoalMessageQueueLimits *limits)
{
  ShoalMessageQueue *queue;

  g_return_val_if_fail (limits->control_reserve_bytes < limits->max_bytes, NULL);
  g_return_val_if_fail (limits->control_reserve_messages < limits->max_messages, NULL);

  queue = g_new0 (ShoalMessageQueue, 1);
  queue->limits = *limits;
  for (guint i = 0; i < SHOAL_LINK_N_PRIORITIES; i++)
    g_queue_init (&queue->messages[i]);
  return queue;
}

void
shoal_message_queue_free (ShoalMessageQueue *queue)
{
  if (queue == NULL)
    return;
  for (guint i = 0; i < SHOAL_LINK_N_PRIORITIES; i++)
    g_queue_clear_full (&queue->messages[i], (GDestroyNotify) g_bytes_unref);
  g_free (queue);
}

static void
count_dropped (ShoalMessageQueue *queue,
               ShoalLinkPriority  priority,
               gsize              size)
{
  queue->dropped_messages[priority]++;
  queue->dropped_bytes[priority] += size;
}

/* Removes the oldest message of @priority, counted as dropped. */
static void
evict_oldest (ShoalMessageQueue *queue,
              ShoalLinkPriority  priority)
{
  g_autoptr(GBytes) message = g_queue_pop_head (&queue->messages[priority]);
  gsize size = g_bytes_get_size (message);

  queue->bytes_by_priority[priority] -= size;
  queue->bytes -= size;
  queue->length--;
  count_dropped (queue, priority, size);
}

/* Only CONTROL may use the reserves. */
static void
get_budget (const ShoalMessageQueue *queue,
            ShoalLinkPriority        priority,
            gsize                   *max_bytes,
            guint                   *max_messages)
{
  const ShoalMessageQueueLimits *limits = &queue->limits;
  gboolean control = priority == SHOAL_LINK_PRIORITY_CONTROL;

  *max_bytes = limits->max_bytes - (control ? 0 : limits->control_reserve_bytes);
  *max_messages = limits->max_messages - (control ? 0 : limits->control_reserve_messages);
}

/* Evicts lower-priority messages until @size more bytes fit in
 * @priority's budget; evicts nothing when even all of them would not make
 * room. */
static gboolean
make_room (ShoalMessageQueue *queue,
           ShoalLinkPriority  priority,
           gsize              size)
{
  gsize max_bytes, excess_bytes, evictable_bytes = 0;
  guint max_messages, excess_messages, evictable_messages = 0;

  get_budget (queue, priority, &max_bytes, &max_messages);
  if (size > max_bytes)
    return FALSE;
  excess_bytes = queue->bytes + size > max_bytes ? queue->bytes + size - max_bytes : 0;
  excess_messages = queue->length + 1 > max_messages ? queue->length + 1 - max_messages : 0;
  if (excess_bytes == 0 && excess_messages == 0)
    return TRUE;

  for (guint lower = priority + 1; lower < SHOAL_LINK_N_PRIORITIES; lower++)
    {
      evictable_bytes += queue->bytes_by_priority[lower];
      evictable_messages += queue->messages[lower].length;
    }
  if (evictable_bytes < excess_bytes || evictable_messages < excess_messages)
    return FALSE;

  for (guint lowest = SHOAL_LINK_N_PRIORITIES - 1; lowest > priority; lowest--)
    while (!g_queue_is_empty (&queue->messages[lowest])
           && (queue->bytes + size > max_bytes || queue->length + 1 > max_messages))
      evict_oldest (queue, lowest);
  return TRUE;
}

gboolean
shoal_message_queue_push (ShoalMessageQueue *queue,
                          GBytes            *message,
                          ShoalLinkPriority  priority)
{
  gsize size;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (priority < SHOAL_LINK_N_PRIORITIES, FALSE);

  size = g_bytes_get_size (message);
  if (!make_room (queue, priority, size))
    {
      count_dropped (queue, priority, size);
      return FALSE;
    }
  g_queue_push_tail (&queue->messages[priority], g_bytes_ref (message));
  queue->bytes_by_priority[priority] += size;
  queue->bytes += size;
  queue->length++;
  return TRUE;
}

GBytes *
shoal_message_queue_pop (ShoalMessageQueue *queue,
                         ShoalLinkPriority *priority)
{
  for (guint i = 0; i < SHOAL_LINK_N_PRIORITIES; i++)
    {
      GBytes *message = g_queue_pop_head (&queue->messages[i]);
      gsize size;

      if (message == NULL)
        continue;
      size = g_bytes_get_size (message);
      queue->bytes_by_priority[i] -= size;
      queue->bytes -= size;
      queue->length--;
      if (priority != NULL)
        *priority = i;
      return message;
    }
  return NULL;
}

void
shoal_message_queue_clear (ShoalMessageQueue *queue)
{
  for (guint i = 0; i < SHOAL_LINK_N_PRIORITIES; i++)
    while (!g_queue_is_empty (&queue->messages[i]))
      evict_oldest (queue, i);
}

gsize
shoal_message_queue_get_bytes (const ShoalMessageQueue *queue)
{
  return queue->bytes;
}

guint
shoal_message_queue_get_length (const ShoalMessageQueue *queue)
{
  return queue->length;
}

gboolean
shoal_message_queue_is_empty (const ShoalMessageQueue *queue)
{
  return queue->length == 0;
}

const ShoalMessageQueueLimits *
shoal_message_queue_get_limits (const ShoalMessageQueue *queue)
{
  return &queue->limits;
}

guint64
shoal_message_queue_get_dropped_messages (const ShoalMessageQueue *queue,
                                          ShoalLinkPriority        priority)
{
  g_return_val_if_fail (priority < SHOAL_LINK_N_PRIORITIES, 0);
  return queue->dropped_messages[priority];
}

guint64
shoal_message_queue_get_dropped_bytes (const ShoalMessageQueue *queue,
                                       ShoalLinkPriority        priority)
{
  g_return_val_if_fail (priority < SHOAL_LINK_N_PRIORITIES, 0);
  return queue->dropped_bytes[priority];
}

guint64
shoal_message_queue_get_total_dropped (const ShoalMessageQueue *queue)
{
  guint64 total = 0;

  for (guint i = 0; i < SHOAL_LINK_N_PRIORITIES; i++)
    total += queue->dropped_messages[i];
  return total;
}
