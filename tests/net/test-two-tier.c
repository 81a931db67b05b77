/* test-two-tier.c — ten shoald ultrapeers and forty leaves, a distinctive
 * file on two of the leaves. A search from a leaf of ours finds both; the
 * leaves whose QRP tables do not match never see the query (their own
 * counters say so); the hits come back along the path the query took. */
#include "shoal-query.h"
#include "shoal-servent.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-test-peer.h"

#include <string.h>

#define ULTRAPEERS 10
#define LEAVES 40
#define LEAF_UPLINKS 2
#define FORM_TIMEOUT_MS 90000
#define HITS_TIMEOUT_MS 30000
#define POLL_MS 250
/* Ultrapeers patch each other's copy of their merged table this often. */
#define QRP_PERIOD_S "2"
/* Room for the last merged tables to go out once every leaf's is in. */
#define TABLES_SETTLE_MS 5000
/* After both hits, how long a stray one would have had to show up. */
#define QUIET_MS 3000

static const guint holders[] = { 7, 29 };

typedef struct
{
  ShoalTestNode *ultrapeers[ULTRAPEERS];
  ShoalTestNode *leaves[LEAVES];
} Network;

static gboolean
is_holder (guint leaf)
{
  for (guint i = 0; i < G_N_ELEMENTS (holders); i++)
    if (holders[i] == leaf)
      return TRUE;
  return FALSE;
}

static char *
anchor_of (ShoalTestNode *node)
{
  return g_strdup_printf ("%s:%d", node->address, SHOAL_TEST_NODE_PORT);
}

/* Ultrapeer i dials one or two earlier ones: a connected mesh with
 * several paths, not a star. */
static void
start_ultrapeers (Network *network)
{
  for (guint i = 0; i < ULTRAPEERS; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.8.%u", i + 1);
      g_autofree char *file = g_strdup_printf ("ultrapeer_%02u_readme.txt", i);
      g_autofree char *first = i > 0 ? anchor_of (network->ultrapeers[(i - 1) / 2]) : NULL;
      g_autofree char *second = i > 2 ? anchor_of (network->ultrapeers[i - 1]) : NULL;
      const char *args[] = { "--role=ultrapeer", "--anchors-only", "--qrp-period", QRP_PERIOD_S,
                             first ? "--anchor" : NULL, first, second ? "--anchor" : NULL, second,
                             NULL };

      network->ultrapeers[i] = shoal_test_node_new (address);
      shoal_test_node_share_file (network->ultrapeers[i], file, address);
      shoal_test_node_start (network->ultrapeers[i], args);
    }
}

static void
start_leaves (Network *network)
{
  for (guint i = 0; i < LEAVES; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.9.%u", i + 1);
      g_autofree char *file = g_strdup_printf ("leaf_%02u_notes.txt", i);
      g_autofree char *first = anchor_of (network->ultrapeers[i % ULTRAPEERS]);
      g_autofree char *second = anchor_of (network->ultrapeers[(i * 3 + 1) % ULTRAPEERS]);
      const char *args[] = { "--role=leaf", "--anchors-only", "--anchor", first, "--anchor",
                             second, NULL };

      network->leaves[i] = shoal_test_node_new (address);
      shoal_test_node_share_file (network->leaves[i], file, address);
      if (is_holder (i))
        shoal_test_node_share_file (network->leaves[i], "zanzibar_quasar_expedition.ogg", address);
      shoal_test_node_start (network->leaves[i], args);
    }
}

static gboolean
every_leaf_table_in (JsonObject *status)
{
  JsonArray *links = json_object_get_array_member (status, "links");

  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonObject *link = json_array_get_object_element (links, i);

      if (g_str_equal (json_object_get_string_member (link, "role"), "leaf") &&
          !json_object_get_boolean_member (link, "has_qrp_table"))
        return FALSE;
    }
  return TRUE;
}

static gboolean
network_formed (gpointer data)
{
  Network *network = data;
  guint leaf_links = 0;

  for (guint i = 0; i < LEAVES; i++)
    {
      g_autoptr(JsonObject) status = shoal_test_node_status (network->leaves[i]);

      if (shoal_test_status_count_links (status, "ultrapeer") != LEAF_UPLINKS ||
          json_object_get_int_member (status, "files") != (is_holder (i) ? 2 : 1))
        return FALSE;
    }
  for (guint i = 0; i < ULTRAPEERS; i++)
    {
      g_autoptr(JsonObject) status = shoal_test_node_status (network->ultrapeers[i]);

      if (shoal_test_status_count_links (status, "ultrapeer") == 0 || !every_leaf_table_in (status))
        return FALSE;
      leaf_links += shoal_test_status_count_links (status, "leaf");
    }
  return leaf_links == LEAVES * LEAF_UPLINKS;
}

typedef struct
{
  ShoalTestPeer   *peer;
  const ShoalGuid *guid;
} HitWait;

static guint
count_hits (ShoalTestPeer   *peer,
            const ShoalGuid *guid,
            GHashTable      *servents)
{
  g_autoptr(GPtrArray) hits = shoal_test_peer_get_received (peer, 0x81);
  guint count = 0;

  for (guint i = 0; i < hits->len; i++)
    {
      ShoalMessage *message = g_ptr_array_index (hits, i);

      if (!shoal_guid_equal (&message->header.guid, guid))
        continue;
      count++;
      if (servents != NULL)
        g_hash_table_add (servents, g_bytes_new (message->query_hit->servent_guid.bytes,
                                                 SHOAL_GUID_SIZE));
    }
  return count;
}

static gboolean
both_found (gpointer data)
{
  HitWait *wait = data;
  g_autoptr(GHashTable) servents = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                          (GDestroyNotify) g_bytes_unref, NULL);

  count_hits (wait->peer, wait->guid, servents);
  return g_hash_table_size (servents) >= G_N_ELEMENTS (holders);
}

/* The ultrapeers' own per-link counters: no query copy went down the
 * link of a leaf that does not hold the file. */
static void
check_leaf_links (JsonObject *status)
{
  JsonArray *links = json_object_get_array_member (status, "links");

  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonObject *link = json_array_get_object_element (links, i);
      g_auto(GStrv) remote = g_strsplit (json_object_get_string_member (link, "remote"), ":", 2);
      gboolean holder = FALSE;

      if (!g_str_equal (json_object_get_string_member (link, "role"), "leaf"))
        continue;
      for (guint j = 0; j < G_N_ELEMENTS (holders); j++)
        {
          g_autofree char *address = g_strdup_printf ("127.0.9.%u", holders[j] + 1);

          holder |= g_str_equal (remote[0], address);
        }
      if (!holder)
        g_assert_cmpint (json_object_get_int_member (link, "queries_out"), ==, 0);
    }
}

static void
check_who_saw_it (Network *network)
{
  gint64 relayed_hits = 0;

  for (guint i = 0; i < LEAVES; i++)
    {
      g_autoptr(JsonObject) status = shoal_test_node_status (network->leaves[i]);
      gint64 seen = json_object_get_int_member (status, "queries_in");

      if (is_holder (i))
        g_assert_cmpint (seen, >=, 1);
      else
        g_assert_cmpint (seen, ==, 0);
    }
  for (guint i = 0; i < ULTRAPEERS; i++)
    {
      g_autoptr(JsonObject) status = shoal_test_node_status (network->ultrapeers[i]);

      relayed_hits += json_object_get_int_member (status, "hits_out");
      check_leaf_links (status);
    }
  /* Each hit went from its leaf's ultrapeer, maybe through others, to the
   * ultrapeer we are a leaf of, which handed it to us. */
  g_assert_cmpint (relayed_hits, >=, G_N_ELEMENTS (holders));
}

static gboolean
servent_linked (gpointer data)
{
  return shoal_node_manager_get_link_count (shoal_servent_get_node_manager (data)) > 0;
}

static gboolean
both_rows (gpointer data)
{
  return g_list_model_get_n_items (shoal_search_get_results (data)) >= G_N_ELEMENTS (holders);
}

/* The same search through the API front ends use: an in-process leaf
 * servent, its ShoalSearch filled with one row per file found. */
static void
search_through_servent (Network *network)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("shoal-two-tier-servent-XXXXXX", &error);
  g_autofree char *anchor = anchor_of (network->ultrapeers[ULTRAPEERS / 2]);
  g_autoptr(ShoalServent) servent = NULL;
  ShoalSearch *search;

  g_assert_no_error (error);
  g_free (config->data_dir);
  config->data_dir = g_strdup (data_dir);
  config->download_dir = g_build_filename (data_dir, "complete", NULL);
  config->listen_address = g_strdup ("127.0.10.1");
  config->port = 0;
  config->role_mode = SHOAL_ROLE_MODE_LEAF;
  config->allow_private = TRUE;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;
  g_assert_true (shoal_node_config_add_anchor (config, anchor, NULL));
  servent = shoal_servent_new (config, NULL);
  g_assert_true (shoal_servent_start (servent, &error));
  g_assert_no_error (error);
  shoal_test_wait_until (servent_linked, servent, HITS_TIMEOUT_MS, "the servent's link");

  search = shoal_servent_search (servent, "zanzibar quasar", &error);
  g_assert_no_error (error);
  shoal_test_wait_until (both_rows, search, HITS_TIMEOUT_MS, "two rows of results");
  for (guint i = 0; i < G_N_ELEMENTS (holders); i++)
    {
      g_autoptr(ShoalSearchResult) row = g_list_model_get_item (shoal_search_get_results (search), i);

      g_assert_cmpstr (shoal_search_result_get_name (row), ==, "zanzibar_quasar_expedition.ogg");
      g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 1);
      g_assert_nonnull (shoal_search_result_get_urn (row));
    }
  g_assert_cmpuint (shoal_search_get_sources (search), ==, G_N_ELEMENTS (holders));
  shoal_search_stop (search);
  shoal_servent_shutdown (servent);
  g_object_run_dispose (G_OBJECT (servent));
  g_clear_object (&servent);
  shoal_test_remove_tree (data_dir);
}

static void
test_two_tier_search (void)
{
  Network network = { { NULL } };
  g_autoptr(ShoalTestPeer) searcher = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_new_words (SHOAL_QUERY_FLAG_MARKED, "zanzibar quasar",
                                                       NULL, NULL);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GHashTable) servents = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                          (GDestroyNotify) g_bytes_unref, NULL);
  ShoalGuid guid;
  HitWait wait = { NULL, &guid };
  guint hits;

  start_ultrapeers (&network);
  start_leaves (&network);
  shoal_test_poll_until (network_formed, &network, POLL_MS, FORM_TIMEOUT_MS,
                         "every leaf linked to two ultrapeers with its table in");
  shoal_test_wait_ms (TABLES_SETTLE_MS);

  /* We are a leaf of the last ultrapeer, far from most holders' ones. */
  searcher = shoal_test_peer_connect (network.ultrapeers[ULTRAPEERS - 1]->address,
                                      SHOAL_TEST_NODE_PORT, SHOAL_PEER_ROLE_LEAF);
  g_assert_true (shoal_query_write (query, payload, NULL));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  shoal_guid_init_modern (&guid);
  wait.peer = searcher;
  shoal_test_peer_send (searcher, &guid, 0x80, 4, 0, bytes);
  shoal_test_wait_until (both_found, &wait, HITS_TIMEOUT_MS, "hits from both holders");
  shoal_test_wait_ms (QUIET_MS);

  hits = count_hits (searcher, &guid, servents);
  g_test_message ("%u hits from %u servents", hits, g_hash_table_size (servents));
  g_assert_cmpuint (g_hash_table_size (servents), ==, G_N_ELEMENTS (holders));
  check_who_saw_it (&network);
  search_through_servent (&network);

  g_clear_pointer (&searcher, shoal_test_peer_free);
  for (guint i = 0; i < LEAVES; i++)
    {
      shoal_test_node_stop (network.leaves[i]);
      shoal_test_node_free (network.leaves[i]);
    }
  for (guint i = 0; i < ULTRAPEERS; i++)
    {
      shoal_test_node_stop (network.ultrapeers[i]);
      shoal_test_node_free (network.ultrapeers[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/two-tier/search", test_two_tier_search);
  return g_test_run ();
}
