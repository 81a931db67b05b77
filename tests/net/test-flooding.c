/* test-flooding.c — queries flooded among shoald ultrapeers: in a chain, a
 * query with TTL t reaches exactly the t nearest nodes; in a ring, every
 * node handles it once and answers once, the second copies being counted
 * as duplicates. The test is itself a peer of the first node, speaking
 * the real protocol. */
#include "shoal-query.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-test-peer.h"

#include <string.h>

#define CHAIN_NODES 6
#define RING_NODES 5
#define FORM_TIMEOUT_MS 60000
#define HITS_TIMEOUT_MS 15000
#define POLL_MS 250
/* After the expected hits arrived, how long an extra one would have had
 * to show up: many times a loopback round trip through 4 nodes. */
#define QUIET_MS 1500
/* The servent publishes its QRP table this long after its library
 * settled (SHOAL_SERVENT_LIBRARY_SETTLE_MS), plus room to send it. */
#define TABLES_SETTLE_MS 2500

typedef struct
{
  ShoalTestNode **nodes;
  guint           n_nodes;
  guint          *want_links;     /* ultrapeer links each must have */
} Topology;

static char *
node_address (guint block,
              guint i)
{
  return g_strdup_printf ("127.0.%u.%u", block, i + 1);
}

static ShoalTestNode **
start_nodes (guint       block,
             guint       count,
             gboolean    ring)
{
  ShoalTestNode **nodes = g_new0 (ShoalTestNode *, count);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *address = node_address (block, i);
      g_autofree char *file = g_strdup_printf ("flooding_marmalade_%u.txt", i);

      nodes[i] = shoal_test_node_new (address);
      shoal_test_node_share_file (nodes[i], file, address);
    }
  for (guint i = 0; i < count; i++)
    {
      /* Each node dials only the one before it: the topology is fixed. */
      guint previous = i > 0 ? i - 1 : count - 1;
      g_autofree char *anchor = g_strdup_printf ("%s:%d", nodes[previous]->address,
                                                 SHOAL_TEST_NODE_PORT);
      const char *args[] = { "--role=ultrapeer", "--anchors-only", "--anchor", anchor, NULL };

      if (i == 0 && !ring)
        args[2] = NULL;
      shoal_test_node_start (nodes[i], args);
    }
  return nodes;
}

static gboolean
topology_formed (gpointer data)
{
  Topology *topology = data;

  for (guint i = 0; i < topology->n_nodes; i++)
    {
      g_autoptr(JsonObject) status = shoal_test_node_status (topology->nodes[i]);

      if (shoal_test_status_count_links (status, "ultrapeer") != topology->want_links[i] ||
          json_object_get_int_member (status, "files") != 1)
        return FALSE;
    }
  return TRUE;
}

static void
wait_formed (ShoalTestNode **nodes,
             guint           count,
             gboolean        ring)
{
  g_autofree guint *want = g_new0 (guint, count);
  Topology topology = { nodes, count, want };

  for (guint i = 0; i < count; i++)
    want[i] = ring || (i > 0 && i < count - 1) ? 2 : 1;
  shoal_test_poll_until (topology_formed, &topology, POLL_MS, FORM_TIMEOUT_MS,
                         "the topology to form");
}

static void
stop_nodes (ShoalTestNode **nodes,
            guint           count)
{
  for (guint i = 0; i < count; i++)
    {
      shoal_test_node_stop (nodes[i]);
      shoal_test_node_free (nodes[i]);
    }
  g_free (nodes);
}

/* Distinct servents that answered the query with @guid. */
static guint
count_answering (ShoalTestPeer   *peer,
                 const ShoalGuid *guid,
                 guint           *hits)
{
  g_autoptr(GPtrArray) received = shoal_test_peer_get_received (peer, 0x81);
  g_autoptr(GHashTable) servents = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                          (GDestroyNotify) g_bytes_unref, NULL);

  *hits = 0;
  for (guint i = 0; i < received->len; i++)
    {
      ShoalMessage *message = g_ptr_array_index (received, i);

      if (!shoal_guid_equal (&message->header.guid, guid))
        continue;
      (*hits)++;
      g_hash_table_add (servents, g_bytes_new (message->query_hit->servent_guid.bytes,
                                               SHOAL_GUID_SIZE));
    }
  return g_hash_table_size (servents);
}

typedef struct
{
  ShoalTestPeer   *peer;
  const ShoalGuid *guid;
  guint            want;
} HitWait;

static gboolean
enough_answers (gpointer data)
{
  HitWait *wait = data;
  guint hits;

  return count_answering (wait->peer, wait->guid, &hits) >= wait->want;
}

static void
send_query (ShoalTestPeer   *peer,
            const ShoalGuid *guid,
            guint8           ttl)
{
  g_autoptr(ShoalQuery) query = shoal_query_new_words (SHOAL_QUERY_FLAG_MARKED, "marmalade", NULL, NULL);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (shoal_query_write (query, payload, NULL));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  shoal_test_peer_send (peer, guid, 0x80, ttl, 0, bytes);
}

/* Sends a query with @ttl and returns how many nodes answered, once the
 * expected ones did and a quiet period passed; *hits gets the messages. */
static guint
query_and_count (ShoalTestPeer *peer,
                 guint8         ttl,
                 guint          want,
                 guint         *hits)
{
  ShoalGuid guid;
  HitWait wait = { peer, &guid, want };

  shoal_guid_init_modern (&guid);
  send_query (peer, &guid, ttl);
  shoal_test_wait_until (enough_answers, &wait, HITS_TIMEOUT_MS, "the answers");
  shoal_test_wait_ms (QUIET_MS);
  return count_answering (peer, &guid, hits);
}

static gint64
status_counter (ShoalTestNode *node,
                const char    *name)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (node);

  return json_object_get_int_member (status, name);
}

static void
test_chain_ttl (void)
{
  ShoalTestNode **nodes = start_nodes (4, CHAIN_NODES, FALSE);
  g_autoptr(ShoalTestPeer) peer = NULL;

  wait_formed (nodes, CHAIN_NODES, FALSE);
  shoal_test_wait_ms (TABLES_SETTLE_MS);
  peer = shoal_test_peer_connect (nodes[0]->address, SHOAL_TEST_NODE_PORT,
                                  SHOAL_PEER_ROLE_ULTRAPEER);
  /* Node i is i + 1 hops away from us. */
  for (guint8 ttl = 1; ttl <= 4; ttl++)
    {
      guint hits;
      guint answering = query_and_count (peer, ttl, ttl, &hits);

      g_test_message ("TTL %u: %u nodes answered, %u hits", ttl, answering, hits);
      g_assert_cmpuint (answering, ==, ttl);
      g_assert_cmpuint (hits, ==, ttl);
    }
  /* The nodes out of reach never saw any of the four queries. */
  g_assert_cmpint (status_counter (nodes[4], "queries_in"), ==, 0);
  g_assert_cmpint (status_counter (nodes[5], "queries_in"), ==, 0);
  g_assert_cmpint (status_counter (nodes[3], "queries_in"), ==, 1);
  g_assert_cmpint (status_counter (nodes[0], "queries_in"), ==, 4);
  g_clear_pointer (&peer, shoal_test_peer_free);
  stop_nodes (nodes, CHAIN_NODES);
}

static void
test_ring_once (void)
{
  ShoalTestNode **nodes = start_nodes (5, RING_NODES, TRUE);
  g_autoptr(ShoalTestPeer) peer = NULL;
  gint64 duplicates = 0;
  guint hits;

  wait_formed (nodes, RING_NODES, TRUE);
  shoal_test_wait_ms (TABLES_SETTLE_MS);
  peer = shoal_test_peer_connect (nodes[0]->address, SHOAL_TEST_NODE_PORT,
                                  SHOAL_PEER_ROLE_ULTRAPEER);
  /* Every node is within 3 hops; copies meet on the far side. */
  g_assert_cmpuint (query_and_count (peer, 4, RING_NODES, &hits), ==, RING_NODES);
  g_assert_cmpuint (hits, ==, RING_NODES);
  for (guint i = 0; i < RING_NODES; i++)
    {
      g_autoptr(JsonObject) status = shoal_test_node_status (nodes[i]);

      g_assert_cmpint (json_object_get_int_member (status, "queries_answered"), ==, 1);
      duplicates += json_object_get_int_member (status, "duplicates");
    }
  g_assert_cmpint (duplicates, >, 0);
  g_clear_pointer (&peer, shoal_test_peer_free);
  stop_nodes (nodes, RING_NODES);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flooding/chain-ttl", test_chain_ttl);
  g_test_add_func ("/flooding/ring-once", test_ring_once);
  return g_test_run ();
}
