/* test-role-policy.c — when a node promotes itself and when it demotes,
 * and which nodes of a LAN are its ultrapeers. */
#include "shoal-role-policy.h"

static ShoalRoleFacts
capable_leaf (void)
{
  ShoalRoleFacts facts = { 0 };

  facts.uptime_s = 7200;
  facts.since_switch_s = 7200;
  facts.reachable = TRUE;
  facts.descriptors = 4096;
  facts.upload_kbps = 2048;
  facts.ultrapeers_wanted = TRUE;
  return facts;
}

static void
test_capable_leaf_promotes (void)
{
  ShoalRoleThresholds thresholds;
  ShoalRoleFacts facts = capable_leaf ();
  const char *why = NULL;

  shoal_role_thresholds_init_default (&thresholds);
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_PROMOTE);
  g_assert_nonnull (why);
}

/* Each condition alone keeps the leaf a leaf, and says which it is. */
static void
test_each_condition_blocks (void)
{
  ShoalRoleThresholds thresholds;
  ShoalRoleFacts facts;
  const char *why;

  shoal_role_thresholds_init_default (&thresholds);

  facts = capable_leaf ();
  facts.reachable = FALSE;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "reachable"));

  facts = capable_leaf ();
  facts.uptime_s = thresholds.min_uptime_s - 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "long enough"));

  facts = capable_leaf ();
  facts.descriptors = thresholds.min_descriptors - 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "descriptors"));

  facts = capable_leaf ();
  facts.upload_kbps = thresholds.min_upload_kbps - 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "bandwidth"));

  facts = capable_leaf ();
  facts.ultrapeers_wanted = FALSE;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "asked"));

  facts = capable_leaf ();
  facts.since_switch_s = thresholds.switch_interval_s - 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "recently"));
}

static void
test_leafless_ultrapeer_demotes (void)
{
  ShoalRoleThresholds thresholds;
  ShoalRoleFacts facts = capable_leaf ();

  shoal_role_thresholds_init_default (&thresholds);
  facts.ultrapeer = TRUE;
  facts.leafless_s = thresholds.demote_after_s - 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, NULL), ==, SHOAL_ROLE_KEEP);
  facts.leafless_s = thresholds.demote_after_s;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, NULL), ==, SHOAL_ROLE_DEMOTE);
  /* Not straight after a promotion, however long it had no leaf. */
  facts.since_switch_s = 10;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, NULL), ==, SHOAL_ROLE_KEEP);
}

/* The reason given is the one that tells the most: what a leaf lacks
 * before the switch interval, which only holds back a node that could
 * switch; and a node that never switched was not "switched" recently. */
static void
test_reason_tells_the_most (void)
{
  ShoalRoleThresholds thresholds;
  ShoalRoleFacts facts = capable_leaf ();
  const char *why = NULL;

  shoal_role_thresholds_init_default (&thresholds);
  /* Just started, and nobody reached it yet. */
  facts.uptime_s = 10;
  facts.since_switch_s = 10;
  facts.reachable = FALSE;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "reachable"));

  /* Capable, but up for less than the switch interval. */
  facts = capable_leaf ();
  thresholds.min_uptime_s = 0;
  facts.uptime_s = thresholds.switch_interval_s - 1;
  facts.since_switch_s = facts.uptime_s;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "started too recently"));
  facts.uptime_s = 7200;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "switched roles too recently"));

  /* An ultrapeer with leaves says so, even straight after promotion. */
  facts.ultrapeer = TRUE;
  facts.leafless_s = 0;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, &why), ==, SHOAL_ROLE_KEEP);
  g_assert_nonnull (g_strstr_len (why, -1, "has leaves"));
}

/* Shortened thresholds, as tests and small networks set them. */
static void
test_shortened_thresholds (void)
{
  ShoalRoleThresholds thresholds = { .min_uptime_s = 2, .switch_interval_s = 0,
                                     .demote_after_s = 5, .min_descriptors = 64,
                                     .min_upload_kbps = 1 };
  ShoalRoleFacts facts = capable_leaf ();

  facts.uptime_s = 2;
  facts.since_switch_s = 2;
  facts.descriptors = 64;
  facts.upload_kbps = 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, NULL), ==, SHOAL_ROLE_PROMOTE);
  facts.uptime_s = 1;
  g_assert_cmpint (shoal_role_policy_decide (&thresholds, &facts, NULL), ==, SHOAL_ROLE_KEEP);
}

/* LAN election ---------------------------------------------------------------- */

/* A GUID that sorts as @rank does: rank 0 is the smallest. */
static ShoalGuid
guid_of_rank (guint rank)
{
  ShoalGuid guid = { { 0 } };

  guid.bytes[0] = (guint8) (rank >> 8);
  guid.bytes[1] = (guint8) rank;
  guid.bytes[15] = 0xaa;
  return guid;
}

/* Every node of a LAN of @nodes, as node @rank sees it. */
static ShoalLanRole
elect_in_lan (guint        nodes,
              guint        rank,
              gboolean     wan,
              const char **why)
{
  g_autofree ShoalGuid *peers = g_new (ShoalGuid, nodes);
  ShoalGuid self = guid_of_rank (rank);
  guint count = 0;

  for (guint i = 0; i < nodes; i++)
    if (i != rank)
      peers[count++] = guid_of_rank (i);
  return shoal_role_policy_elect_lan (&self, peers, count, wan, why);
}

static guint
count_elected (guint nodes)
{
  guint ultrapeers = 0;

  for (guint rank = 0; rank < nodes; rank++)
    {
      ShoalLanRole role = elect_in_lan (nodes, rank, FALSE, NULL);

      g_assert_cmpint (role, !=, SHOAL_LAN_ROLE_NONE);
      ultrapeers += role == SHOAL_LAN_ROLE_ULTRAPEER;
    }
  return ultrapeers;
}

static void
test_lan_alone (void)
{
  ShoalGuid self = guid_of_rank (3);
  ShoalGuid echoes[] = { guid_of_rank (3), guid_of_rank (3) };
  const char *why = NULL;

  g_assert_cmpint (shoal_role_policy_elect_lan (&self, NULL, 0, FALSE, &why), ==, SHOAL_LAN_ROLE_NONE);
  g_assert_nonnull (why);
  /* Our own announcement, seen back, is nobody else. */
  g_assert_cmpint (shoal_role_policy_elect_lan (&self, echoes, G_N_ELEMENTS (echoes), FALSE, NULL),
                   ==, SHOAL_LAN_ROLE_NONE);
}

/* Up to the mesh size, everyone is an ultrapeer: two nodes as well as
 * eight, the largest GUID as well as the smallest. */
static void
test_lan_mesh (void)
{
  const char *why = NULL;

  g_assert_cmpint (elect_in_lan (2, 1, FALSE, &why), ==, SHOAL_LAN_ROLE_ULTRAPEER);
  g_assert_nonnull (g_strstr_len (why, -1, "every node"));
  g_assert_cmpuint (count_elected (2), ==, 2);
  g_assert_cmpuint (count_elected (SHOAL_LAN_MESH_MAX), ==, SHOAL_LAN_MESH_MAX);
}

/* Beyond the mesh: the smallest GUIDs, one per 30 nodes, at least two. */
static void
test_lan_large (void)
{
  const char *why = NULL;

  g_assert_cmpuint (count_elected (SHOAL_LAN_MESH_MAX + 1), ==, SHOAL_LAN_MIN_ULTRAPEERS);
  g_assert_cmpint (elect_in_lan (SHOAL_LAN_MESH_MAX + 1, 0, FALSE, NULL), ==, SHOAL_LAN_ROLE_ULTRAPEER);
  g_assert_cmpint (elect_in_lan (SHOAL_LAN_MESH_MAX + 1, 1, FALSE, NULL), ==, SHOAL_LAN_ROLE_ULTRAPEER);
  g_assert_cmpint (elect_in_lan (SHOAL_LAN_MESH_MAX + 1, 2, FALSE, &why), ==, SHOAL_LAN_ROLE_LEAF);
  g_assert_nonnull (g_strstr_len (why, -1, "smallest"));
  g_assert_cmpuint (count_elected (60), ==, 2);
  g_assert_cmpuint (count_elected (61), ==, 3);
  g_assert_cmpuint (count_elected (300), ==, 10);
  g_assert_cmpint (elect_in_lan (300, 9, FALSE, NULL), ==, SHOAL_LAN_ROLE_ULTRAPEER);
  g_assert_cmpint (elect_in_lan (300, 10, FALSE, NULL), ==, SHOAL_LAN_ROLE_LEAF);
}

/* A node announced twice (two interfaces) counts once: with the
 * duplicates, nine announcements are still a mesh of eight. */
static void
test_lan_duplicates (void)
{
  ShoalGuid self = guid_of_rank (7);
  ShoalGuid peers[SHOAL_LAN_MESH_MAX + 1];

  for (guint i = 0; i < SHOAL_LAN_MESH_MAX - 1; i++)
    peers[i] = guid_of_rank (i);
  peers[SHOAL_LAN_MESH_MAX - 1] = guid_of_rank (0);
  peers[SHOAL_LAN_MESH_MAX] = guid_of_rank (7);
  g_assert_cmpint (shoal_role_policy_elect_lan (&self, peers, G_N_ELEMENTS (peers), FALSE, NULL),
                   ==, SHOAL_LAN_ROLE_ULTRAPEER);
}

/* Linked to ultrapeers on the internet, the LAN has no say, whatever its
 * size. */
static void
test_lan_with_wan_links (void)
{
  const char *why = NULL;

  g_assert_cmpint (elect_in_lan (3, 0, TRUE, &why), ==, SHOAL_LAN_ROLE_NONE);
  g_assert_nonnull (g_strstr_len (why, -1, "beyond the LAN"));
  g_assert_cmpint (elect_in_lan (100, 50, TRUE, NULL), ==, SHOAL_LAN_ROLE_NONE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/role-policy/capable-leaf-promotes", test_capable_leaf_promotes);
  g_test_add_func ("/role-policy/each-condition-blocks", test_each_condition_blocks);
  g_test_add_func ("/role-policy/leafless-ultrapeer-demotes", test_leafless_ultrapeer_demotes);
  g_test_add_func ("/role-policy/reason-tells-the-most", test_reason_tells_the_most);
  g_test_add_func ("/role-policy/shortened-thresholds", test_shortened_thresholds);
  g_test_add_func ("/role-policy/lan-alone", test_lan_alone);
  g_test_add_func ("/role-policy/lan-mesh", test_lan_mesh);
  g_test_add_func ("/role-policy/lan-large", test_lan_large);
  g_test_add_func ("/role-policy/lan-duplicates", test_lan_duplicates);
  g_test_add_func ("/role-policy/lan-with-wan-links", test_lan_with_wan_links);
  return g_test_run ();
}
