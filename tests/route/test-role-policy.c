/* test-role-policy.c — when a node promotes itself and when it demotes. */
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/role-policy/capable-leaf-promotes", test_capable_leaf_promotes);
  g_test_add_func ("/role-policy/each-condition-blocks", test_each_condition_blocks);
  g_test_add_func ("/role-policy/leafless-ultrapeer-demotes", test_leafless_ultrapeer_demotes);
  g_test_add_func ("/role-policy/shortened-thresholds", test_shortened_thresholds);
  return g_test_run ();
}
