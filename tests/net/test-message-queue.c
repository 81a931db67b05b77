/* test-message-queue.c — every rule of the send queue's drop policy: order,
 * byte and count limits, the CONTROL reserve, eviction of the least
 * valuable traffic, and the drop counters. */
#include "shoal-message-queue.h"

#include <string.h>

/* A message of @size bytes whose first byte tells it apart. */
static GBytes *
make_message (gsize  size,
              guint8 tag)
{
  guint8 *data = g_malloc0 (size);

  data[0] = tag;
  return g_bytes_new_take (data, size);
}

static ShoalMessageQueue *
make_queue (gsize max_bytes,
            gsize reserve_bytes,
            guint max_messages,
            guint reserve_messages)
{
  ShoalMessageQueueLimits limits = {
    .max_bytes = max_bytes,
    .control_reserve_bytes = reserve_bytes,
    .max_messages = max_messages,
    .control_reserve_messages = reserve_messages,
  };

  return shoal_message_queue_new (&limits);
}

static gboolean
push (ShoalMessageQueue *queue,
      gsize              size,
      guint8             tag,
      ShoalLinkPriority  priority)
{
  g_autoptr(GBytes) message = make_message (size, tag);

  return shoal_message_queue_push (queue, message, priority);
}

/* Pops everything and returns the tags in pop order as a string. */
static char *
drain_tags (ShoalMessageQueue *queue)
{
  GString *tags = g_string_new (NULL);
  GBytes *message;

  while ((message = shoal_message_queue_pop (queue, NULL)) != NULL)
    {
      g_string_append_c (tags, ((const char *) g_bytes_get_data (message, NULL))[0]);
      g_bytes_unref (message);
    }
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 0);
  g_assert_true (shoal_message_queue_is_empty (queue));
  return g_string_free (tags, FALSE);
}

static void
test_defaults (void)
{
  ShoalMessageQueueLimits limits;
  g_autoptr(ShoalMessageQueue) queue = NULL;

  shoal_message_queue_limits_init_default (&limits);
  g_assert_cmpuint (limits.max_bytes, ==, 256 * 1024);
  g_assert_cmpuint (limits.control_reserve_bytes, <, limits.max_bytes);
  g_assert_cmpuint (limits.control_reserve_messages, <, limits.max_messages);
  queue = shoal_message_queue_new (&limits);
  g_assert_cmpuint (shoal_message_queue_get_limits (queue)->max_messages, ==, limits.max_messages);
  g_assert_true (shoal_message_queue_is_empty (queue));
  g_assert_null (shoal_message_queue_pop (queue, NULL));
}

static void
test_priority_then_fifo (void)
{
  g_autoptr(ShoalMessageQueue) queue = make_queue (1000, 100, 100, 10);
  g_autofree char *order = NULL;
  GBytes *first;
  ShoalLinkPriority priority;

  g_assert_true (push (queue, 30, 'p', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 30, 'q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 30, 'r', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_true (push (queue, 30, 'c', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_true (push (queue, 30, 'Q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 30, 'C', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_message_queue_get_length (queue), ==, 6);
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 180);

  first = shoal_message_queue_pop (queue, &priority);
  g_assert_cmpint (priority, ==, SHOAL_LINK_PRIORITY_CONTROL);
  g_assert_cmpint (((const char *) g_bytes_get_data (first, NULL))[0], ==, 'c');
  g_bytes_unref (first);
  order = drain_tags (queue);
  g_assert_cmpstr (order, ==, "CrqQp");
  g_assert_cmpuint (shoal_message_queue_get_total_dropped (queue), ==, 0);
}

static void
test_full_refuses_lower_and_equal (void)
{
  /* 100 bytes for ordinary traffic, 20 more for CONTROL. */
  g_autoptr(ShoalMessageQueue) queue = make_queue (120, 20, 100, 10);
  g_autofree char *order = NULL;

  g_assert_true (push (queue, 50, 'a', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_true (push (queue, 50, 'b', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_false (push (queue, 10, 'c', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_false (push (queue, 10, 'd', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_false (push (queue, 23, 'e', SHOAL_LINK_PRIORITY_BROADCAST_PING));

  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 100);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_REPLY), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_REPLY), ==, 10);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 10);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 23);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_CONTROL), ==, 0);
  g_assert_cmpuint (shoal_message_queue_get_total_dropped (queue), ==, 3);
  order = drain_tags (queue);
  g_assert_cmpstr (order, ==, "ab");
}

static void
test_higher_evicts_oldest_lowest (void)
{
  g_autoptr(ShoalMessageQueue) queue = make_queue (120, 20, 100, 10);
  g_autofree char *order = NULL;

  g_assert_true (push (queue, 20, 'q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 20, '1', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 20, '2', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 20, '3', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 20, 'Q', SHOAL_LINK_PRIORITY_QUERY));

  /* 30 bytes need two 20-byte pings to go, the oldest ones. */
  g_assert_true (push (queue, 30, 'r', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 90);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 2);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 40);

  /* Then the last ping, then the oldest query: lowest priority first. */
  g_assert_true (push (queue, 40, 'R', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 3);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 20);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_REPLY), ==, 0);
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 90);
  order = drain_tags (queue);
  g_assert_cmpstr (order, ==, "rRQ");
}

static void
test_no_eviction_without_enough_room (void)
{
  g_autoptr(ShoalMessageQueue) queue = make_queue (120, 20, 100, 10);
  g_autofree char *order = NULL;

  g_assert_true (push (queue, 70, 'r', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_true (push (queue, 20, 'q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 10, 'p', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  /* Evicting both lower messages frees 30 bytes, 40 are missing: the
   * newcomer is refused and the queue left as it was. */
  g_assert_false (push (queue, 40, 'R', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_REPLY), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 0);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 0);
  /* Bigger than the whole budget: refused even on an empty queue. */
  order = drain_tags (queue);
  g_assert_cmpstr (order, ==, "rqp");
  g_assert_false (push (queue, 101, 'B', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_true (push (queue, 101, 'C', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_false (push (queue, 121, 'D', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_CONTROL), ==, 1);
}

static void
test_control_reserve (void)
{
  g_autoptr(ShoalMessageQueue) queue = make_queue (120, 20, 100, 10);
  g_autofree char *order = NULL;

  g_assert_true (push (queue, 50, 'q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 50, 'p', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  /* Ordinary traffic filled its 100 bytes; CONTROL takes the reserve
   * without evicting anything. */
  g_assert_true (push (queue, 20, 'c', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_message_queue_get_total_dropped (queue), ==, 0);
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 120);
  /* The reserve is full too: CONTROL now evicts the lowest priority. */
  g_assert_true (push (queue, 30, 'd', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 100);
  /* Ordinary traffic sees CONTROL's bytes count against it: a reply must
   * evict the query to fit. */
  g_assert_true (push (queue, 20, 'r', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 70);
  /* Only CONTROL is left to evict for CONTROL: nothing is evicted, the
   * newcomer is refused. */
  g_assert_true (push (queue, 50, 'e', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_false (push (queue, 30, 'f', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_CONTROL), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_REPLY), ==, 0);
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 120);
  order = drain_tags (queue);
  g_assert_cmpstr (order, ==, "cder");
}

static void
test_count_limit (void)
{
  /* Bytes are plentiful: only the count binds (4 ordinary + 1 reserve). */
  g_autoptr(ShoalMessageQueue) queue = make_queue (100000, 100, 5, 1);
  g_autofree char *order = NULL;

  g_assert_true (push (queue, 23, '1', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 23, '2', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 23, 'q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 23, 'r', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_false (push (queue, 23, '3', SHOAL_LINK_PRIORITY_BROADCAST_PING));
  g_assert_true (push (queue, 23, 'c', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_cmpuint (shoal_message_queue_get_length (queue), ==, 5);
  g_assert_true (push (queue, 23, 'R', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_cmpuint (shoal_message_queue_get_length (queue), ==, 4);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_BROADCAST_PING), ==, 3);
  order = drain_tags (queue);
  g_assert_cmpstr (order, ==, "crRq");
}

static void
test_clear_counts_drops (void)
{
  g_autoptr(ShoalMessageQueue) queue = make_queue (1000, 100, 100, 10);

  g_assert_true (push (queue, 40, 'c', SHOAL_LINK_PRIORITY_CONTROL));
  g_assert_true (push (queue, 30, 'q', SHOAL_LINK_PRIORITY_QUERY));
  g_assert_true (push (queue, 30, 'Q', SHOAL_LINK_PRIORITY_QUERY));
  shoal_message_queue_clear (queue);
  g_assert_true (shoal_message_queue_is_empty (queue));
  g_assert_cmpuint (shoal_message_queue_get_bytes (queue), ==, 0);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_CONTROL), ==, 1);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_CONTROL), ==, 40);
  g_assert_cmpuint (shoal_message_queue_get_dropped_messages (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 2);
  g_assert_cmpuint (shoal_message_queue_get_dropped_bytes (queue, SHOAL_LINK_PRIORITY_QUERY), ==, 60);
  g_assert_cmpuint (shoal_message_queue_get_total_dropped (queue), ==, 3);
  /* Still usable afterwards. */
  g_assert_true (push (queue, 40, 'r', SHOAL_LINK_PRIORITY_REPLY));
  g_assert_cmpuint (shoal_message_queue_get_length (queue), ==, 1);
}

/* Random traffic never takes the queue past its limits, and every message
 * offered is either popped or counted as dropped. */
static void
test_bounded_under_random_traffic (void)
{
  ShoalMessageQueueLimits limits;
  g_autoptr(ShoalMessageQueue) queue = NULL;
  guint64 offered = 0, offered_bytes = 0, popped = 0, popped_bytes = 0;
  guint64 dropped = 0, dropped_bytes = 0;

  shoal_message_queue_limits_init_default (&limits);
  queue = shoal_message_queue_new (&limits);
  for (guint round = 0; round < 50000; round++)
    {
      if (g_test_rand_int_range (0, 4) != 0)
        {
          gsize size = 23 + g_test_rand_int_range (0, 4096);

          push (queue, size, 0, g_test_rand_int_range (0, SHOAL_LINK_N_PRIORITIES));
          offered++;
          offered_bytes += size;
        }
      else
        {
          g_autoptr(GBytes) message = shoal_message_queue_pop (queue, NULL);

          if (message != NULL)
            {
              popped++;
              popped_bytes += g_bytes_get_size (message);
            }
        }
      g_assert_cmpuint (shoal_message_queue_get_bytes (queue), <=, limits.max_bytes);
      g_assert_cmpuint (shoal_message_queue_get_length (queue), <=, limits.max_messages);
    }
  for (guint i = 0; i < SHOAL_LINK_N_PRIORITIES; i++)
    {
      dropped += shoal_message_queue_get_dropped_messages (queue, i);
      dropped_bytes += shoal_message_queue_get_dropped_bytes (queue, i);
    }
  g_assert_cmpuint (dropped, ==, shoal_message_queue_get_total_dropped (queue));
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (offered, ==, popped + dropped + shoal_message_queue_get_length (queue));
  g_assert_cmpuint (offered_bytes, ==, popped_bytes + dropped_bytes + shoal_message_queue_get_bytes (queue));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message-queue/defaults", test_defaults);
  g_test_add_func ("/message-queue/priority-then-fifo", test_priority_then_fifo);
  g_test_add_func ("/message-queue/full-refuses-lower-and-equal", test_full_refuses_lower_and_equal);
  g_test_add_func ("/message-queue/higher-evicts-oldest-lowest", test_higher_evicts_oldest_lowest);
  g_test_add_func ("/message-queue/no-eviction-without-enough-room", test_no_eviction_without_enough_room);
  g_test_add_func ("/message-queue/control-reserve", test_control_reserve);
  g_test_add_func ("/message-queue/count-limit", test_count_limit);
  g_test_add_func ("/message-queue/clear-counts-drops", test_clear_counts_drops);
  g_test_add_func ("/message-queue/bounded-under-random-traffic", test_bounded_under_random_traffic);

  return g_test_run ();
}
