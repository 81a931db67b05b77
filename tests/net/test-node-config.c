/* test-node-config.c — the overlay's settings and their defaults. */
#include "shoal-net-types.h"
#include "shoal-node-config.h"

static void
test_defaults (void)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();

  g_assert_cmpuint (config->port, ==, SHOAL_DEFAULT_PORT);
  g_assert_cmpint (config->role_mode, ==, SHOAL_ROLE_MODE_AUTO);
  g_assert_cmpuint (config->anchors->len, ==, 0);
  g_assert_false (config->allow_private);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node-config/defaults", test_defaults);
  g_test_add_func ("/node-config/anchors", test_anchors);
  return g_test_run ();
}
