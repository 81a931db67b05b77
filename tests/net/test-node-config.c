/* test-node-config.c — the overlay's settings and their defaults. */
#include "shoal-net-types.h"
#include "shoal-node-config.h"

#include <string.h>

static void
test_defaults (void)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();

  g_assert_cmpuint (config->port, ==, SHOAL_DEFAULT_PORT);
  g_assert_cmpint (config->role_mode, ==, SHOAL_ROLE_MODE_AUTO);
  g_assert_cmpuint (config->anchors->len, ==, 0);
  g_assert_false (config->allow_private);
  g_assert_true (config->lan_discovery);
  g_assert_false (config->lan_only);
  g_assert_cmpuint (config->manual_peers->len, ==, 0);
  g_assert_true (config->default_bootstrap);
  g_assert_cmpuint (config->leaf_ultrapeer_slots, ==, SHOAL_DEFAULT_LEAF_ULTRAPEER_SLOTS);
  g_assert_true (g_str_has_suffix (config->data_dir, "/shoal"));
}

static void
test_anchors (void)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(ShoalNodeConfig) copy = NULL;
  g_autoptr(GError) error = NULL;
  const char *bad[] = { "", "host", ":6346", "host:", "host:0", "host:65536", "host:63x", NULL };

  g_assert_true (shoal_node_config_add_anchor (config, "127.0.0.10:16346", &error));
  g_assert_true (shoal_node_config_add_anchor (config, "anchor.example.org:6346", &error));
  g_assert_no_error (error);
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_assert_false (shoal_node_config_add_anchor (config, bad[i], &error));
      g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
      g_clear_error (&error);
    }
  g_assert_cmpuint (config->anchors->len, ==, 2);

  copy = shoal_node_config_copy (config);
  g_assert_cmpuint (copy->anchors->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (copy->anchors, 1), ==, "anchor.example.org:6346");
  g_assert_true (g_ptr_array_index (copy->anchors, 0) != g_ptr_array_index (config->anchors, 0));
  g_assert_cmpstr (copy->data_dir, ==, config->data_dir);
}

static void
test_manual_peers (void)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(ShoalNodeConfig) copy = NULL;
  g_autoptr(GError) error = NULL;
  const char *bad[] = { "", "10.0.0.2", ":6346", "10.0.0.2:", "10.0.0.2:0", "peer:70000", NULL };

  g_assert_true (shoal_node_config_add_manual_peer (config, "10.0.0.2:6346", &error));
  g_assert_true (shoal_node_config_add_manual_peer (config, "nas.local:6347", &error));
  g_assert_no_error (error);
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_assert_false (shoal_node_config_add_manual_peer (config, bad[i], &error));
      g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
      g_assert_nonnull (strstr (error->message, "peer"));
      g_clear_error (&error);
    }
  g_assert_cmpuint (config->manual_peers->len, ==, 2);
  g_assert_true (shoal_node_config_has_manual_peer (config, "nas.local:6347"));
  g_assert_false (shoal_node_config_has_manual_peer (config, "nas.local:6346"));
  /* Manual peers are not anchors. */
  g_assert_cmpuint (config->anchors->len, ==, 0);

  config->lan_only = TRUE;
  config->lan_discovery = FALSE;
  copy = shoal_node_config_copy (config);
  g_assert_true (copy->lan_only);
  g_assert_false (copy->lan_discovery);
  g_assert_cmpuint (copy->manual_peers->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (copy->manual_peers, 0), ==, "10.0.0.2:6346");
  g_assert_true (g_ptr_array_index (copy->manual_peers, 0) != g_ptr_array_index (config->manual_peers, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node-config/defaults", test_defaults);
  g_test_add_func ("/node-config/anchors", test_anchors);
  g_test_add_func ("/node-config/manual-peers", test_manual_peers);
  return g_test_run ();
}
