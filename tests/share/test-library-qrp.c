/* test-library-qrp.c — the library's QRP table against gtk-gnutella's own. */
#include "shoal-library-qrp.h"
#include "shoal-message-header.h"
#include "shoal-qrp-keywords.h"
#include "shoal-test-vectors.h"
#include "shoal-urn.h"

static const char *const leaf_b_files[] = {
  "marmalade_harpsichord_sonata.txt", "obsidian_tortoise_almanac.txt",
  "zebrafish_quantum_lattice.txt", "xylophone_nebula_5MB.bin",
};

/* Leaf B's table as its ultrapeer received it. */
static ShoalQrpTable *
captured_leaf_b_table (void)
{
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  const char *vectors[] = { "qrp_reset_gtkg_leaf.bin", "qrp_patch_gtkg_leaf.bin" };
  gboolean complete = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr(GBytes) payload = shoal_test_load_payload (vectors[i], SHOAL_MESSAGE_QRP, NULL);
      g_autoptr(GError) error = NULL;

      g_assert_true (shoal_qrp_receiver_feed (receiver, g_bytes_get_data (payload, NULL),
                                              g_bytes_get_size (payload), &complete, &error));
      g_assert_no_error (error);
    }
  g_assert_true (complete);
  return shoal_qrp_table_copy (shoal_qrp_receiver_get_table (receiver));
}

static void
assert_same_presence (const ShoalQrpTable *a,
                      const ShoalQrpTable *b)
{
  g_assert_cmpuint (a->slots, ==, b->slots);
  for (guint32 slot = 0; slot < a->slots; slot++)
    g_assert_cmpint (shoal_qrp_table_is_present (a, slot), ==,
                     shoal_qrp_table_is_present (b, slot));
}

static void
test_matches_gtk_gnutella (void)
{
  g_autoptr(ShoalQrpTable) captured = captured_leaf_b_table ();
  g_autoptr(ShoalLibraryQrp) qrp = shoal_library_qrp_new (shoal_qrp_table_get_bits (captured));
  g_autoptr(ShoalQrpTable) ours = NULL;

  /* gtk-gnutella puts no URNs in its table: names only. */
  for (guint i = 0; i < G_N_ELEMENTS (leaf_b_files); i++)
    shoal_library_qrp_add_file (qrp, leaf_b_files[i], NULL);
  g_assert_cmpuint (shoal_library_qrp_count_present (qrp), ==, 55);
  g_assert_cmpfloat_with_epsilon (shoal_library_qrp_get_fill_ratio (qrp), 55.0 / 16384, 1e-9);
  ours = shoal_library_qrp_build_table (qrp, SHOAL_QRP_GTKG_INFINITY);
  assert_same_presence (ours, captured);
}

static void
test_remove_is_exact (void)
{
  g_autoptr(ShoalLibraryQrp) all = shoal_library_qrp_new (14);
  g_autoptr(ShoalLibraryQrp) half = shoal_library_qrp_new (14);
  g_autoptr(ShoalQrpTable) all_table = NULL;
  g_autoptr(ShoalQrpTable) half_table = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (leaf_b_files); i++)
    shoal_library_qrp_add_file (all, leaf_b_files[i], NULL);
  /* "tortoise" and "marmalade" share no slot: a slot claimed by two files
   * must survive the removal of one of them. */
  shoal_library_qrp_add_file (all, "tortoise_shell.txt", NULL);
  shoal_library_qrp_remove_file (all, leaf_b_files[0], NULL);
  shoal_library_qrp_remove_file (all, leaf_b_files[1], NULL);

  shoal_library_qrp_add_file (half, leaf_b_files[2], NULL);
  shoal_library_qrp_add_file (half, leaf_b_files[3], NULL);
  shoal_library_qrp_add_file (half, "tortoise_shell.txt", NULL);

  all_table = shoal_library_qrp_build_table (all, SHOAL_QRP_GTKG_INFINITY);
  half_table = shoal_library_qrp_build_table (half, SHOAL_QRP_GTKG_INFINITY);
  assert_same_presence (all_table, half_table);
  g_assert_cmpuint (shoal_library_qrp_count_present (all), ==,
                    shoal_library_qrp_count_present (half));

  shoal_library_qrp_remove_file (half, leaf_b_files[2], NULL);
  shoal_library_qrp_remove_file (half, leaf_b_files[3], NULL);
  shoal_library_qrp_remove_file (half, "tortoise_shell.txt", NULL);
  g_assert_cmpuint (shoal_library_qrp_count_present (half), ==, 0);
}

static void
test_sha1_slot (void)
{
  static const char urn[] = "urn:sha1:E52FITICBTOLIVR6RSIJENLBISDDVFCS";
  g_autoptr(ShoalLibraryQrp) qrp = shoal_library_qrp_new (SHOAL_LIBRARY_QRP_BITS);
  g_autoptr(ShoalQrpTable) table = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  guint32 code;

  g_assert_true (shoal_urn_parse_sha1 (urn, sizeof urn - 1, sha1, NULL));
  shoal_library_qrp_add_file (qrp, "obsidian_tortoise_almanac.txt", NULL);
  g_assert_true (shoal_qrp_urn_hash_code (urn, -1, &code, NULL));
  table = shoal_library_qrp_build_table (qrp, 7);
  g_assert_false (shoal_qrp_table_is_present (table, shoal_qrp_hash_restrict (code, SHOAL_LIBRARY_QRP_BITS)));
  g_clear_pointer (&table, shoal_qrp_table_free);

  /* Once hashed, a search by urn:sha1 routes to us. */
  shoal_library_qrp_remove_file (qrp, "obsidian_tortoise_almanac.txt", NULL);
  shoal_library_qrp_add_file (qrp, "obsidian_tortoise_almanac.txt", sha1);
  table = shoal_library_qrp_build_table (qrp, 7);
  g_assert_true (shoal_qrp_table_is_present (table, shoal_qrp_hash_restrict (code, SHOAL_LIBRARY_QRP_BITS)));
  g_assert_cmpuint (table->slots, ==, 65536);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/library-qrp/matches-gtk-gnutella", test_matches_gtk_gnutella);
  g_test_add_func ("/library-qrp/remove-is-exact", test_remove_is_exact);
  g_test_add_func ("/library-qrp/sha1-slot", test_sha1_slot);
  return g_test_run ();
}
