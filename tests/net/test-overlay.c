/* test-overlay.c — thirty shoald processes, each on its own loopback
 * address, given one anchor: they must form a connected overlay on their
 * own and stay connected when the anchor leaves. A crawler (the handshake
 * gtk-gnutella answers with Peers: and Leaves:) reads each node's links. */
#include "shoal-handshake.h"
#include "shoal-host-cache.h"
#include "shoal-test-node.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define NODES 30
#define PORT SHOAL_TEST_NODE_PORT
#define JOIN_TIMEOUT_S 60
#define MIN_LINKS 3
#define MIN_KNOWN_HOSTS 10
#define CRAWL_TIMEOUT_S 5

static char *
node_address (guint i)
{
  return g_strdup_printf ("127.0.2.%u", i + 1);
}

static void
start_node (ShoalTestNode *node,
            const char    *anchor)
{
  const char *args[] = { "--role=ultrapeer", anchor ? "--anchor" : NULL, anchor, NULL };

  shoal_test_node_start (node, args);
}

/* The node's ultrapeer links as its crawler answer lists them; NULL when
 * it does not answer. */
static GStrv
crawl (const char *address)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(ShoalHeaderBlock) block = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  static const char request[] =
    "GNUTELLA CONNECT/0.6\r\nUser-Agent: ShoalTestCrawler\r\nCrawler: 0.1\r\nX-Ultrapeer: False\r\n\r\n";
  GInputStream *input;
  gsize end = 0;
  const char *peers;

  g_socket_client_set_timeout (client, CRAWL_TIMEOUT_S);
  connection = g_socket_client_connect_to_host (client, address, PORT, NULL, NULL);
  if (connection == NULL)
    return NULL;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, sizeof request - 1, NULL, NULL, NULL))
    return NULL;
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (shoal_header_block_find_end (data->data, data->len, &end, NULL) == SHOAL_HEADER_SCAN_NEED_MORE)
    {
      guint8 buffer[1024];
      gssize got = g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL);

      if (got <= 0)
        return NULL;
      g_byte_array_append (data, buffer, (guint) got);
    }
  block = shoal_header_block_parse (data->data, end, NULL);
  if (block == NULL || block->status_code != 200)
    return NULL;
  peers = shoal_header_block_get (block, "Peers");
  return g_strsplit_set (peers ? peers : "", ", ", -1);
}

static guint
count_links (GStrv peers)
{
  guint count = 0;

  for (guint i = 0; peers[i] != NULL; i++)
    count += peers[i][0] != '\0';
  return count;
}

static gboolean
every_node_linked (ShoalTestNode **nodes)
{
  for (guint i = 0; i < NODES; i++)
    {
      g_auto(GStrv) peers = crawl (nodes[i]->address);

      if (peers == NULL || count_links (peers) < MIN_LINKS)
        return FALSE;
    }
  return TRUE;
}

/* Breadth-first over crawler answers from @start: how many nodes answer. */
static guint
walk_overlay (const char *start)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GQueue) queue = g_queue_new ();
  char *address;

  g_hash_table_add (seen, g_strdup (start));
  g_queue_push_tail (queue, g_strdup (start));
  while ((address = g_queue_pop_head (queue)) != NULL)
    {
      g_auto(GStrv) peers = crawl (address);

      for (guint i = 0; peers != NULL && peers[i] != NULL; i++)
        {
          g_autofree char *host = g_strndup (peers[i], strcspn (peers[i], ":"));

          if (host[0] != '\0' && !g_hash_table_contains (seen, host))
            {
              g_hash_table_add (seen, g_strdup (host));
              g_queue_push_tail (queue, g_steal_pointer (&host));
            }
        }
      g_free (address);
    }
  return g_hash_table_size (seen);
}

/* Lets the overlay run for @seconds: a protocol period to elapse. */
static void
run_for (guint seconds)
{
  g_usleep (seconds * G_USEC_PER_SEC);
}

static void
test_thirty_nodes_one_anchor (void)
{
  ShoalTestNode *nodes[NODES] = { NULL };
  g_autofree char *anchor = NULL;
  gint64 deadline;
  gboolean linked = FALSE;

  for (guint i = 0; i < NODES; i++)
    {
      g_autofree char *address = node_address (i);

      nodes[i] = shoal_test_node_new (address);
    }
  anchor = g_strdup_printf ("%s:%d", nodes[0]->address, PORT);
  start_node (nodes[0], NULL);
  for (guint i = 1; i < NODES; i++)
    start_node (nodes[i], anchor);

  deadline = g_get_monotonic_time () + JOIN_TIMEOUT_S * G_USEC_PER_SEC;
  while (!linked && g_get_monotonic_time () < deadline)
    {
      linked = every_node_linked (nodes);
      if (!linked)
        g_usleep (G_USEC_PER_SEC / 2);  /* polling interval, not a wait for luck */
    }
  g_assert_true (linked);
  g_test_message ("every node had %d links within %" G_GINT64_FORMAT " s", MIN_LINKS,
                  JOIN_TIMEOUT_S - (deadline - g_get_monotonic_time ()) / G_USEC_PER_SEC);

  /* Nodes that joined early saw a small network: they ask peers for
   * hosts every 5 s while they know fewer than 20. Two such periods. */
  run_for (10);

  /* The anchor leaves; the others stay one overlay. */
  shoal_test_node_stop (nodes[0]);
  g_assert_cmpuint (walk_overlay (nodes[1]->address), ==, NODES - 1);

  for (guint i = 1; i < NODES; i++)
    shoal_test_node_stop (nodes[i]);
  /* Each saved a host cache that knows the network. */
  for (guint i = 0; i < NODES; i++)
    {
      g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (nodes[i]->data_dir);
      gint64 load_deadline = g_get_monotonic_time () + CRAWL_TIMEOUT_S * G_USEC_PER_SEC;

      /* Loopback hosts count only in the mode the nodes ran in; the cache
       * loads on its own thread and reports on this one. */
      g_object_set (cache, "allow-private", TRUE, NULL);
      while (!shoal_host_cache_get_loaded (cache) && g_get_monotonic_time () < load_deadline)
        g_main_context_iteration (NULL, FALSE);
      g_assert_true (shoal_host_cache_get_loaded (cache));
      g_assert_cmpuint (shoal_host_cache_get_count (cache), >=, i == 0 ? 1 : MIN_KNOWN_HOSTS);
      g_clear_object (&cache);
      shoal_test_node_free (nodes[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/overlay/thirty-nodes-one-anchor", test_thirty_nodes_one_anchor);
  return g_test_run ();
}
