/* test-promotion.c — automatic roles with shortened thresholds: a leaf
 * that can be reached (the ultrapeer's connect-back gets through) becomes
 * an ultrapeer when an ultrapeer asks for more, then takes a leaf, and
 * goes back to being a leaf once it has had none for a while; a leaf
 * behind a NAT (the test relays its connection from another address, so
 * the connect-back finds nobody) never promotes. */
#include "shoal-test-loop.h"
#include "shoal-test-nat.h"
#include "shoal-test-node.h"

#include <gio/gio.h>
#include <string.h>

#define PROMOTE_AFTER_S "2"
#define SWITCH_INTERVAL_S "2"
/* Long enough for the new leaf to come, short enough to watch. */
#define DEMOTE_AFTER_S "6"
#define PROMOTION_TIMEOUT_MS 60000
#define POLL_MS 250
/* The NAT: where the hidden leaf dials, and the address it seems to come
 * from, where nothing listens. */
#define NAT_ADDRESS "127.0.12.1"
#define NAT_OUTSIDE_ADDRESS "127.0.12.2"

static gboolean
is_ultrapeer_with_a_leaf (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return g_str_equal (json_object_get_string_member (status, "role"), "ultrapeer") &&
         shoal_test_status_count_links (status, "leaf") > 0;
}

static gboolean
is_ultrapeer (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return g_str_equal (json_object_get_string_member (status, "role"), "ultrapeer");
}

/* Promoted, then demoted (with thresholds this short it may well be
 * promoted again soon after: the switch count tells the story). */
static gboolean
was_demoted (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return json_object_get_int_member (status, "role_switches") >= 2;
}

static gboolean
has_link (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return shoal_test_status_count_links (status, "ultrapeer") > 0;
}

static void
test_promotion (void)
{
  g_autoptr(ShoalTestNode) ultrapeer = shoal_test_node_new ("127.0.11.1");
  g_autoptr(ShoalTestNode) open_leaf = shoal_test_node_new ("127.0.11.2");
  g_autoptr(ShoalTestNode) hidden_leaf = shoal_test_node_new ("127.0.11.3");
  g_autoptr(ShoalTestNode) new_leaf = shoal_test_node_new ("127.0.11.4");
  g_autoptr(JsonObject) hidden_status = NULL;
  const char *ultrapeer_args[] = { "--role=ultrapeer", NULL };
  const char *open_args[] = { "--role=auto", "--promote-after", PROMOTE_AFTER_S,
                              "--role-switch-interval", SWITCH_INTERVAL_S, "--demote-after", DEMOTE_AFTER_S,
                              "--anchors-only",
                              "--anchor", "127.0.11.1:6346", NULL };
  const char *hidden_args[] = { "--role=auto", "--promote-after", PROMOTE_AFTER_S,
                                "--role-switch-interval", SWITCH_INTERVAL_S, "--anchors-only",
                                "--anchor", NAT_ADDRESS ":6346", NULL };
  const char *new_leaf_args[] = { "--role=leaf", "--anchors-only", "--anchor", "127.0.11.2:6346",
                                  NULL };
  g_autoptr(ShoalTestNat) nat = NULL;

  shoal_test_node_start (ultrapeer, ultrapeer_args);
  nat = shoal_test_nat_new (NAT_ADDRESS, NAT_OUTSIDE_ADDRESS, ultrapeer->address);
  shoal_test_node_start (hidden_leaf, hidden_args);
  shoal_test_node_start (open_leaf, open_args);
  shoal_test_poll_until (has_link, hidden_leaf, POLL_MS, PROMOTION_TIMEOUT_MS,
                         "the hidden leaf's link through the NAT");

  /* The reachable leaf promotes itself; a leaf that dials it then is
   * taken as its leaf. */
  shoal_test_poll_until (is_ultrapeer, open_leaf, POLL_MS, PROMOTION_TIMEOUT_MS,
                         "the reachable leaf's promotion");
  shoal_test_node_start (new_leaf, new_leaf_args);
  shoal_test_poll_until (is_ultrapeer_with_a_leaf, open_leaf, POLL_MS, PROMOTION_TIMEOUT_MS,
                         "the new ultrapeer's first leaf");

  /* The hidden leaf had as long and the same invitation: it stays. */
  hidden_status = shoal_test_node_status (hidden_leaf);
  g_assert_cmpstr (json_object_get_string_member (hidden_status, "role"), ==, "leaf");
  g_assert_false (json_object_get_boolean_member (hidden_status, "reachable"));
  g_assert_cmpuint (shoal_test_status_count_links (hidden_status, "ultrapeer"), ==, 1);

  /* Its only leaf gone, the new ultrapeer goes back to being a leaf and
   * links to its anchor again as one. */
  shoal_test_node_stop (new_leaf);
  shoal_test_poll_until (was_demoted, open_leaf, POLL_MS, PROMOTION_TIMEOUT_MS,
                         "the leafless ultrapeer's demotion");
  /* Its links were dropped and formed again for the new role. */
  shoal_test_poll_until (has_link, open_leaf, POLL_MS, PROMOTION_TIMEOUT_MS,
                         "the demoted node's link to its anchor");
  shoal_test_node_stop (open_leaf);
  shoal_test_node_stop (hidden_leaf);
  g_clear_pointer (&nat, shoal_test_nat_free);
  shoal_test_node_stop (ultrapeer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/promotion/reachable-only", test_promotion);
  return g_test_run ();
}
