/* test-qrp-match.c — routing queries by QRP tables: gtk-gnutella's word
 * rule, urn slots, merging tables of other sizes, and a real leaf's table. */
#include "shoal-library-qrp.h"
#include "shoal-message-header.h"
#include "shoal-qrp-keywords.h"
#include "shoal-qrp-match.h"
#include "shoal-test-vectors.h"
#include "shoal-urn.h"

#include <string.h>

/* What leaf B shared when the gtk-gnutella vectors were captured. */
static const char *const leaf_b_files[] = {
  "marmalade_harpsichord_sonata.txt", "obsidian_tortoise_almanac.txt",
  "zebrafish_quantum_lattice.txt", "xylophone_nebula_5MB.bin",
};
static const char obsidian_urn[] = "urn:sha1:E52FITICBTOLIVR6RSIJENLBISDDVFCS";
static const char other_urn[] = "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";

/* Words in none of the names above, and in no slot of the tables built
 * from them (checked by test_unrelated_words_absent). */
static const char *const unrelated_words[] = {
  "giraffe", "pelican", "trombone", "cathedral", "volcano",
};

static void
sha1_of (const char *urn,
         guint8      sha1[SHOAL_SHA1_SIZE])
{
  g_assert_true (shoal_urn_parse_sha1 (urn, strlen (urn), sha1, NULL));
}

/* A table built the way our library builds its own, from @names; the
 * obsidian file also gets its SHA-1 when @with_urn. */
static ShoalQrpTable *
library_table (const char *const *names,
               guint              count,
               guint              bits,
               gboolean           with_urn)
{
  g_autoptr(ShoalLibraryQrp) qrp = shoal_library_qrp_new (bits);
  guint8 sha1[SHOAL_SHA1_SIZE];

  sha1_of (obsidian_urn, sha1);
  for (guint i = 0; i < count; i++)
    {
      gboolean is_obsidian = g_str_has_prefix (names[i], "obsidian");

      shoal_library_qrp_add_file (qrp, names[i], with_urn && is_obsidian ? sha1 : NULL);
    }
  return shoal_library_qrp_build_table (qrp, SHOAL_QRP_GTKG_INFINITY);
}

static ShoalQrpTable *
leaf_b_table (gboolean with_urn)
{
  return library_table (leaf_b_files, G_N_ELEMENTS (leaf_b_files), 14, with_urn);
}

static gboolean
text_matches (const ShoalQrpTable *table,
              const char          *text)
{
  g_autoptr(ShoalQrpQueryKeys) keys = shoal_qrp_query_keys_new_text (text, NULL);

  return shoal_qrp_table_matches (table, keys);
}

static void
test_unrelated_words_absent (void)
{
  g_autoptr(ShoalQrpTable) table = leaf_b_table (TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (unrelated_words); i++)
    g_assert_false (text_matches (table, unrelated_words[i]));
}

static void
test_word_rule (void)
{
  g_autoptr(ShoalQrpTable) table = leaf_b_table (FALSE);

  g_assert_true (text_matches (table, "obsidian"));
  g_assert_true (text_matches (table, "Obsidian Tortoise"));
  /* Fewer than three words: every one must be there. */
  g_assert_false (text_matches (table, "obsidian giraffe"));
  g_assert_false (text_matches (table, "giraffe"));
  /* Three or more: two thirds. */
  g_assert_true (text_matches (table, "obsidian tortoise giraffe"));
  g_assert_true (text_matches (table, "giraffe obsidian tortoise"));
  g_assert_false (text_matches (table, "obsidian giraffe pelican"));
  g_assert_true (text_matches (table, "obsidian tortoise almanac giraffe"));
  g_assert_false (text_matches (table, "obsidian tortoise giraffe pelican"));
  g_assert_true (text_matches (table, "obsidian tortoise almanac zebrafish giraffe pelican"));
  g_assert_false (text_matches (table, "obsidian tortoise almanac giraffe pelican trombone"));
  /* The words of different files may combine: QRP knows no files. */
  g_assert_true (text_matches (table, "obsidian zebrafish"));
  /* gtk-gnutella's table holds prefixes of four bytes or more. */
  g_assert_true (text_matches (table, "obsi tort"));
}

static void
test_short_words_ignored (void)
{
  g_autoptr(ShoalQrpTable) table = leaf_b_table (FALSE);
  g_autoptr(ShoalQrpQueryKeys) keys = shoal_qrp_query_keys_new_text ("the obsidian of a tortoise", NULL);
  g_autoptr(ShoalQrpQueryKeys) only_short = shoal_qrp_query_keys_new_text ("of a xy", NULL);

  g_assert_cmpuint (shoal_qrp_query_keys_get_word_count (keys), ==, 3);
  /* "the" is absent, and counts: two of three. */
  g_assert_true (shoal_qrp_table_matches (table, keys));
  g_assert_true (text_matches (table, "obsidian of tortoise"));
  g_assert_true (text_matches (table, "ob obsidian"));
  g_assert_cmpuint (shoal_qrp_query_keys_get_word_count (only_short), ==, 0);
  g_assert_false (shoal_qrp_table_matches (table, only_short));
}

static void
test_duplicate_words_count_once (void)
{
  g_autoptr(ShoalQrpTable) table = leaf_b_table (FALSE);
  g_autoptr(ShoalQrpQueryKeys) keys = shoal_qrp_query_keys_new_text ("obsidian OBSIDIAN giraffe", NULL);

  /* Counted twice, obsidian would make two of three. */
  g_assert_cmpuint (shoal_qrp_query_keys_get_word_count (keys), ==, 2);
  g_assert_false (shoal_qrp_table_matches (table, keys));
  g_assert_true (text_matches (table, "tortoise Tortoise TORTOISE"));
}

static void
test_urn (void)
{
  g_autoptr(ShoalQrpTable) with_urn = leaf_b_table (TRUE);
  g_autoptr(ShoalQrpTable) without_urn = leaf_b_table (FALSE);
  g_autoptr(ShoalQrpTable) only_urn = shoal_qrp_table_new (1u << 14, SHOAL_QRP_GTKG_INFINITY, NULL);
  guint8 obsidian_sha1[SHOAL_SHA1_SIZE], other_sha1[SHOAL_SHA1_SIZE];
  g_autoptr(ShoalQrpQueryKeys) by_urn = NULL;
  g_autoptr(ShoalQrpQueryKeys) by_other_urn = NULL;
  g_autoptr(ShoalQrpQueryKeys) other_urn_good_words = NULL;
  g_autoptr(ShoalQrpQueryKeys) urn_bad_words = NULL;
  g_autoptr(ShoalQuery) query = NULL;
  g_autoptr(ShoalQrpQueryKeys) from_query = NULL;
  guint32 code;

  sha1_of (obsidian_urn, obsidian_sha1);
  sha1_of (other_urn, other_sha1);
  by_urn = shoal_qrp_query_keys_new_text (SHOAL_QUERY_SHA1_TEXT, obsidian_sha1);
  g_assert_cmpuint (shoal_qrp_query_keys_get_word_count (by_urn), ==, 0);
  g_assert_cmpuint (shoal_qrp_query_keys_get_urn_count (by_urn), ==, 1);
  g_assert_true (shoal_qrp_table_matches (with_urn, by_urn));
  g_assert_false (shoal_qrp_table_matches (without_urn, by_urn));

  by_other_urn = shoal_qrp_query_keys_new_text (NULL, other_sha1);
  g_assert_false (shoal_qrp_table_matches (with_urn, by_other_urn));
  /* An urn that misses falls back on the words, as gtk-gnutella does. */
  other_urn_good_words = shoal_qrp_query_keys_new_text ("obsidian tortoise", other_sha1);
  g_assert_true (shoal_qrp_table_matches (with_urn, other_urn_good_words));
  urn_bad_words = shoal_qrp_query_keys_new_text ("giraffe pelican", obsidian_sha1);
  g_assert_true (shoal_qrp_table_matches (with_urn, urn_bad_words));

  /* The slot is that of the whole "urn:sha1:BASE32" string, and that slot
   * alone is enough. */
  g_assert_true (shoal_qrp_urn_hash_code (obsidian_urn, -1, &code, NULL));
  shoal_qrp_table_set_present (only_urn, shoal_qrp_hash_restrict (code, 14));
  g_assert_true (shoal_qrp_table_matches (only_urn, by_urn));
  g_assert_false (shoal_qrp_table_matches (only_urn, by_other_urn));

  /* A parsed SHA-1 query, in gtk-gnutella's layout. */
  query = shoal_query_new_sha1 (SHOAL_QUERY_FLAGS_GTKG, obsidian_sha1, NULL);
  from_query = shoal_qrp_query_keys_new (query);
  g_assert_cmpuint (shoal_qrp_query_keys_get_word_count (from_query), ==, 0);
  g_assert_cmpuint (shoal_qrp_query_keys_get_urn_count (from_query), ==, 1);
  g_assert_true (shoal_qrp_table_matches (with_urn, from_query));
  g_assert_true (shoal_qrp_table_matches (only_urn, from_query));
  g_assert_false (shoal_qrp_table_matches (without_urn, from_query));
}

static void
test_empty_table (void)
{
  g_autoptr(ShoalQrpTable) empty = shoal_qrp_table_new (1u << 14, SHOAL_QRP_GTKG_INFINITY, NULL);
  g_autoptr(ShoalQrpTable) full = shoal_qrp_table_new (1u << 14, SHOAL_QRP_LIMEWIRE_INFINITY, NULL);
  g_autoptr(ShoalQrpTable) single_slot = shoal_qrp_table_new (1, SHOAL_QRP_GTKG_INFINITY, NULL);
  g_autoptr(ShoalQrpQueryKeys) nothing = shoal_qrp_query_keys_new_text ("", NULL);
  g_autoptr(ShoalQrpQueryKeys) by_urn = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  sha1_of (obsidian_urn, sha1);
  by_urn = shoal_qrp_query_keys_new_text (NULL, sha1);
  g_assert_false (text_matches (empty, "obsidian"));
  g_assert_false (text_matches (empty, "obsidian tortoise almanac"));
  g_assert_false (shoal_qrp_table_matches (empty, by_urn));

  for (guint32 slot = 0; slot < full->slots; slot++)
    shoal_qrp_table_set_present (full, slot);
  g_assert_true (text_matches (full, "giraffe pelican"));
  g_assert_true (shoal_qrp_table_matches (full, by_urn));
  /* A query with nothing to hash reaches no one, even a table full. */
  g_assert_false (shoal_qrp_table_matches (full, nothing));

  /* A RESET may announce a single slot: every word lands in it. */
  g_assert_false (text_matches (single_slot, "giraffe"));
  shoal_qrp_table_set_present (single_slot, 0);
  g_assert_true (text_matches (single_slot, "giraffe"));
}

/* Many names, so that folding has slots to collide in. */
static ShoalQrpTable *
big_library_table (guint bits)
{
  static const char *const animals[] = {
    "otter", "heron", "badger", "lynx", "walrus", "ibis", "marten",
  };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (leaf_b_files); i++)
    g_ptr_array_add (names, g_strdup (leaf_b_files[i]));
  for (guint i = 0; i < 400; i++)
    g_ptr_array_add (names, g_strdup_printf ("track%u_%s_live.ogg", i * 7, animals[i % G_N_ELEMENTS (animals)]));
  return library_table ((const char *const *) names->pdata, names->len, bits, TRUE);
}

/* Queries that match some tables and not others: words of the names,
 * words close to them, and words of no name. */
static GPtrArray *
probe_queries (void)
{
  GPtrArray *queries = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_qrp_query_keys_free);
  guint8 sha1[SHOAL_SHA1_SIZE];

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *one = g_strdup_printf ("track%u", i);
      g_autofree char *two = g_strdup_printf ("track%u otter", i);
      g_autofree char *three = g_strdup_printf ("track%u heron live", i);
      g_autofree char *none = g_strdup_printf ("quokka%u nightjar", i);

      g_ptr_array_add (queries, shoal_qrp_query_keys_new_text (one, NULL));
      g_ptr_array_add (queries, shoal_qrp_query_keys_new_text (two, NULL));
      g_ptr_array_add (queries, shoal_qrp_query_keys_new_text (three, NULL));
      g_ptr_array_add (queries, shoal_qrp_query_keys_new_text (none, NULL));
    }
  sha1_of (obsidian_urn, sha1);
  g_ptr_array_add (queries, shoal_qrp_query_keys_new_text (NULL, sha1));
  sha1_of (other_urn, sha1);
  g_ptr_array_add (queries, shoal_qrp_query_keys_new_text (NULL, sha1));
  g_ptr_array_add (queries, shoal_qrp_query_keys_new_text ("obsidian tortoise", NULL));
  return queries;
}

static void
assert_merge_keeps_matches (guint source_bits,
                            guint target_bits)
{
  g_autoptr(ShoalQrpTable) source = big_library_table (source_bits);
  g_autoptr(ShoalQrpTable) target = shoal_qrp_table_new (1u << target_bits, SHOAL_QRP_GTKG_INFINITY, NULL);
  g_autoptr(ShoalQrpTable) other = library_table (unrelated_words, G_N_ELEMENTS (unrelated_words),
                                                  target_bits, FALSE);
  g_autoptr(GPtrArray) queries = probe_queries ();
  guint source_matches = 0, target_matches = 0;

  /* Merging ORs: what @target already routed, it still routes. */
  shoal_qrp_table_merge_into (target, other);
  shoal_qrp_table_merge_into (target, source);
  for (guint i = 0; i < queries->len; i++)
    {
      const ShoalQrpQueryKeys *keys = g_ptr_array_index (queries, i);
      gboolean in_source = shoal_qrp_table_matches (source, keys);
      gboolean in_target = shoal_qrp_table_matches (target, keys);

      if (in_source)
        g_assert_true (in_target);
      source_matches += in_source;
      target_matches += in_target;
    }
  for (guint i = 0; i < G_N_ELEMENTS (unrelated_words); i++)
    g_assert_true (text_matches (target, unrelated_words[i]));
  /* Not vacuous: some queries match, and the merged table is not full. */
  g_assert_cmpuint (source_matches, >, 400);
  g_assert_cmpuint (target_matches, <, queries->len);
  g_assert_cmpuint (shoal_qrp_table_count_present (target), <, target->slots);
}

static void
test_merge_fold_14_into_13 (void)
{
  assert_merge_keeps_matches (14, 13);
}

static void
test_merge_fold_16_into_14 (void)
{
  assert_merge_keeps_matches (16, 14);
}

static void
test_merge_spread_13_into_16 (void)
{
  assert_merge_keeps_matches (13, 16);
}

static void
test_merge_same_size (void)
{
  g_autoptr(ShoalQrpTable) source = leaf_b_table (TRUE);
  g_autoptr(ShoalQrpTable) target = shoal_qrp_table_new (source->slots, SHOAL_QRP_LIMEWIRE_INFINITY, NULL);

  shoal_qrp_table_merge_into (target, source);
  g_assert_cmpuint (shoal_qrp_table_count_present (target), ==, shoal_qrp_table_count_present (source));
  for (guint32 slot = 0; slot < source->slots; slot++)
    g_assert_cmpint (shoal_qrp_table_is_present (target, slot), ==,
                     shoal_qrp_table_is_present (source, slot));
}

/* Leaf B's table as its gtk-gnutella ultrapeer received it. */
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

static ShoalQrpQueryKeys *
captured_query_keys (const char *vector)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload (vector, SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_parse (g_bytes_get_data (payload, NULL),
                                                   g_bytes_get_size (payload), &error);

  g_assert_no_error (error);
  return shoal_qrp_query_keys_new (query);
}

static void
test_captured_gtk_gnutella_leaf (void)
{
  g_autoptr(ShoalQrpTable) table = captured_leaf_b_table ();
  g_autoptr(ShoalQrpQueryKeys) obsidian = captured_query_keys ("query_gtkg_originated_obsidian_leaf_to_up.bin");
  g_autoptr(ShoalQrpQueryKeys) zebrafish = captured_query_keys ("query_gtkg_originated_zebrafish_leaf_to_up_FWbit.bin");

  g_assert_cmpuint (table->slots, ==, 16384);
  /* The searches leaf C made, which its ultrapeer passed on to B. */
  g_assert_cmpuint (shoal_qrp_query_keys_get_word_count (obsidian), ==, 1);
  g_assert_true (shoal_qrp_table_matches (table, obsidian));
  g_assert_true (shoal_qrp_table_matches (table, zebrafish));

  g_assert_true (text_matches (table, "obsidian tortoise almanac"));
  g_assert_true (text_matches (table, "marmalade harpsichord"));
  g_assert_true (text_matches (table, "xylophone nebula 5MB"));
  g_assert_true (text_matches (table, "zebrafish_quantum"));
  g_assert_true (text_matches (table, "Zebrafish lattice giraffe"));
  g_assert_true (text_matches (table, "harpsi"));
  for (guint i = 0; i < G_N_ELEMENTS (unrelated_words); i++)
    g_assert_false (text_matches (table, unrelated_words[i]));
  g_assert_false (text_matches (table, "giraffe obsidian"));
  g_assert_false (text_matches (table, "marmalade giraffe pelican"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qrp-match/unrelated-words-absent", test_unrelated_words_absent);
  g_test_add_func ("/qrp-match/word-rule", test_word_rule);
  g_test_add_func ("/qrp-match/short-words-ignored", test_short_words_ignored);
  g_test_add_func ("/qrp-match/duplicate-words-count-once", test_duplicate_words_count_once);
  g_test_add_func ("/qrp-match/urn", test_urn);
  g_test_add_func ("/qrp-match/empty-table", test_empty_table);
  g_test_add_func ("/qrp-match/merge-fold-14-into-13", test_merge_fold_14_into_13);
  g_test_add_func ("/qrp-match/merge-fold-16-into-14", test_merge_fold_16_into_14);
  g_test_add_func ("/qrp-match/merge-spread-13-into-16", test_merge_spread_13_into_16);
  g_test_add_func ("/qrp-match/merge-same-size", test_merge_same_size);
  g_test_add_func ("/qrp-match/captured-gtk-gnutella-leaf", test_captured_gtk_gnutella_leaf);
  return g_test_run ();
}
