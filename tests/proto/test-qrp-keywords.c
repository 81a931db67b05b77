/* test-qrp-keywords.c — the QRP hash, canonical words, table keywords. */
#include <glib.h>

#include "shoal-message-header.h"
#include "shoal-proto-error.h"
#include "shoal-qrp-keywords.h"
#include "shoal-qrp.h"
#include "shoal-test-vectors.h"

#include <string.h>

/* The four files leaf B shared when qrp_*_gtkg_leaf.bin were captured. */
static const char *const leaf_b_names[] = {
  "marmalade_harpsichord_sonata.txt",
  "obsidian_tortoise_almanac.txt",
  "zebrafish_quantum_lattice.txt",
  "xylophone_nebula_5MB.bin",
};

static void
test_hash_reference_values (void)
{
  /* doc/QRP's check values, and those gtk-gnutella asserts at start-up. */
  g_assert_cmpuint (shoal_qrp_hash ("eb", -1, 13), ==, 6791);
  g_assert_cmpuint (shoal_qrp_hash ("ebckl", -1, 13), ==, 3179);
  g_assert_cmpuint (shoal_qrp_hash ("n", -1, 16), ==, 65003);
  g_assert_cmpuint (shoal_qrp_hash ("ndflalem", -1, 16), ==, 37658);
  g_assert_cmpuint (shoal_qrp_hash ("NDFLalem", -1, 16), ==, 37658);
  g_assert_cmpuint (shoal_qrp_hash ("3NJA9", -1, 10), ==, 581);
  g_assert_cmpuint (shoal_qrp_hash ("3nja9", -1, 10), ==, 581);
  g_assert_cmpuint (shoal_qrp_hash ("ebcklmenq", -1, 13), ==, 3527);
  g_assert_cmpuint (shoal_qrp_hash ("7777a88a8a8a8", -1, 10), ==, 342);
  g_assert_cmpuint (shoal_qrp_hash ("", -1, 1), ==, 0);
  g_assert_cmpuint (shoal_qrp_hash ("", -1, 13), ==, 0);
  g_assert_cmpuint (shoal_qrp_hash ("", 0, 32), ==, 0);
  /* Appendix A: "test" lands in slot 2 of an 8-slot table. */
  g_assert_cmpuint (shoal_qrp_hash ("test", -1, 3), ==, 2);
}

static void
test_hash_length_argument (void)
{
  g_assert_cmpuint (shoal_qrp_hash_code ("ebckl-ignored", 5), ==,
                    shoal_qrp_hash_code ("ebckl", -1));
}

static void
test_hash_restrict (void)
{
  guint32 code = shoal_qrp_hash_code ("ndflalem", -1);

  g_assert_cmpuint (shoal_qrp_hash_restrict (code, 32), ==, code);
  g_assert_cmpuint (shoal_qrp_hash_restrict (code, 16), ==, 37658);
  g_assert_cmpuint (shoal_qrp_hash_restrict (code, 1), ==, code >> 31);
}

static void
test_hash_utf16_units (void)
{
  /* 'é' is one UTF-16 unit 0x00E9 but the UTF-8 bytes C3 A9: LimeWire and
   * gtk-gnutella hash the unit, giving 0xE9 * multiplier. */
  g_assert_cmphex (shoal_qrp_hash_code ("\xc3\xa9", -1), ==, 0x003ee43c);
  g_assert_cmphex (shoal_qrp_hash_code ("\xc3\xa9", -1), !=, 0x91ce1794);
  g_assert_cmphex (shoal_qrp_hash_code ("caf\xc3\xa9", -1), ==, 0x95f16514);
  g_assert_cmphex (shoal_qrp_hash_code ("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                        -1), ==, 0x180dc0cc);
  /* U+1D11E outside the BMP counts as two units, D834 and DD1E. */
  g_assert_cmphex (shoal_qrp_hash_code ("\xf0\x9d\x84\x9e" "a", -1), ==,
                   0xe12024b0);
}

static void
test_hash_lowercases_non_ascii (void)
{
  g_assert_cmphex (shoal_qrp_hash_code ("CAF\xc3\x89", -1), ==,
                   shoal_qrp_hash_code ("caf\xc3\xa9", -1));
}

static void
test_hash_stops_at_invalid_utf8 (void)
{
  g_assert_cmphex (shoal_qrp_hash_code ("ab\xff" "cd", -1), ==,
                   shoal_qrp_hash_code ("ab", -1));
  g_assert_cmphex (shoal_qrp_hash_code ("ab\xc3", 3), ==,
                   shoal_qrp_hash_code ("ab", -1));
}

static void
assert_canonical (const char *text,
                  const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = shoal_qrp_canonize (text, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (canonical, ==, expected);
}

static void
test_canonize_ascii (void)
{
  assert_canonical ("Marmalade_Harpsichord_Sonata.txt",
                    "marmalade harpsichord sonata txt");
  assert_canonical ("xylophone_nebula_5MB.bin", "xylophone nebula 5mb bin");
  assert_canonical ("__a--b..", "a b");
  assert_canonical ("a-\n-b", "a \nb");
  assert_canonical ("", "");
}

static void
test_canonize_apostrophe_and_star_separate (void)
{
  /* gtk-gnutella's utf32_filter_char() (the ICU path that kept them is
   * compiled out) turns every "other punctuation" into a separator. */
  assert_canonical ("Don't*Stop", "don t stop");
}

static void
test_canonize_drops_accents (void)
{
  assert_canonical ("Caf\xc3\xa9 D\xc3\xa9j\xc3\xa0-Vu", "cafe deja vu");
}

static void
test_canonize_folds_case_fully (void)
{
  /* Case folding turns ß into ss. */
  assert_canonical ("Stra\xc3\x9f" "e", "strasse");
}

static void
test_canonize_compatibility_forms (void)
{
  /* Fullwidth "ＡＢＣ１２３" decomposes to ASCII. */
  assert_canonical ("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"
                    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", "abc123");
}

static void
test_canonize_keeps_voicing_marks (void)
{
  /* "ガ" decomposes to カ + U+3099; the mark is kept and recomposed. */
  assert_canonical ("\xe3\x82\xac", "\xe3\x82\xac");
}

static void
test_canonize_splits_blocks (void)
{
  /* "abc日本" and katakana "ラブ" next to hiragana "ひな". */
  assert_canonical ("abc\xe6\x97\xa5\xe6\x9c\xac",
                    "abc \xe6\x97\xa5\xe6\x9c\xac");
  assert_canonical ("\xe3\x83\xa9\xe3\x83\x96\xe3\x81\xb2\xe3\x81\xaa",
                    "\xe3\x83\xa9\xe3\x83\x96 \xe3\x81\xb2\xe3\x81\xaa");
}

static void
test_canonize_drops_controls (void)
{
  /* Controls other than newline vanish without separating; newline is
   * kept inside a word, as gtk-gnutella keeps it. */
  assert_canonical ("ab\tcd", "abcd");
  assert_canonical ("ab\ncd", "ab\ncd");
}

static void
test_canonize_noncharacters_separate (void)
{
  /* U+FDD0 is a non-character: gtk-gnutella treats it as private use. */
  assert_canonical ("ab\xef\xb7\x90" "cd", "ab cd");
}

static void
test_canonize_invalid_utf8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = shoal_qrp_canonize ("abc\xff", -1, &error);

  g_assert_null (canonical);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "byte 3"));
}

static void
test_canonize_embedded_nul (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *canonical = shoal_qrp_canonize ("ab\0cd", 5, &error);

  g_assert_null (canonical);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_canonize_too_long (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (SHOAL_QRP_MAX_TEXT_LENGTH + 1, 'a');
  g_autofree char *canonical = shoal_qrp_canonize (text, -1, &error);

  g_assert_null (canonical);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
}

static void
test_canonize_longest_text (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (SHOAL_QRP_MAX_TEXT_LENGTH, 'a');
  g_autofree char *canonical = shoal_qrp_canonize (text, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (canonical, ==, text);
}

static GHashTable *
keywords_of (const char *const *names,
             gsize               count)
{
  GHashTable *keywords = shoal_qrp_keyword_set_new ();

  for (gsize i = 0; i < count; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (shoal_qrp_add_name_keywords (keywords, names[i], -1,
                                                  &error));
      g_assert_no_error (error);
    }
  return keywords;
}

static void
assert_keywords (const char        *name,
                 const char *const *expected)
{
  g_autoptr(GHashTable) keywords = keywords_of (&name, 1);

  g_assert_cmpuint (g_hash_table_size (keywords), ==,
                    g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_true (g_hash_table_contains (keywords, expected[i]));
}

static void
test_name_keywords_prefixes (void)
{
  const char *const long_word[] = {
    "abcdefghij", "abcdefghi", "abcdefgh", "abcdefg", "abcdef", "abcde", NULL
  };
  const char *const five[] = { "abcde", "abcd", NULL };
  const char *const short_words[] = { "abc", NULL };

  assert_keywords ("abcdefghij", long_word);
  assert_keywords ("abcde", five);
  assert_keywords ("abc ab a", short_words);
}

static void
test_name_keywords_multibyte_prefixes (void)
{
  /* Prefixes end on a character and count bytes: "αβ" is 4 bytes and
   * kept, "α" is 2 and not; "日本" is 6 bytes, "日" only 3. */
  const char *const greek[] = {
    "\xce\xb1\xce\xb2\xce\xb3\xce\xb4", "\xce\xb1\xce\xb2\xce\xb3",
    "\xce\xb1\xce\xb2", NULL
  };
  const char *const japanese[] = {
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac", NULL
  };

  assert_keywords ("\xce\xb1\xce\xb2\xce\xb3\xce\xb4", greek);
  assert_keywords ("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", japanese);
}

static void
test_name_keywords_invalid (void)
{
  g_autoptr(GHashTable) keywords = shoal_qrp_keyword_set_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *too_long = g_strnfill (SHOAL_QRP_MAX_TEXT_LENGTH + 1, 'a');

  g_assert_false (shoal_qrp_add_name_keywords (keywords, "\xc3(", -1, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (shoal_qrp_add_name_keywords (keywords, too_long, -1, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (g_hash_table_size (keywords), ==, 0);
}

static void
test_leaf_b_keywords (void)
{
  g_autoptr(GHashTable) keywords =
    keywords_of (leaf_b_names, G_N_ELEMENTS (leaf_b_names));

  g_assert_cmpuint (g_hash_table_size (keywords), ==, 55);
  g_assert_true (g_hash_table_contains (keywords, "obsidian"));
  g_assert_true (g_hash_table_contains (keywords, "obsidia"));
  g_assert_true (g_hash_table_contains (keywords, "obsi"));
  g_assert_false (g_hash_table_contains (keywords, "obs"));
  g_assert_true (g_hash_table_contains (keywords, "harpsi"));
  g_assert_false (g_hash_table_contains (keywords, "harps"));
  g_assert_true (g_hash_table_contains (keywords, "txt"));
  g_assert_true (g_hash_table_contains (keywords, "bin"));
  g_assert_true (g_hash_table_contains (keywords, "5mb"));
}

/* Leaf B's table as the captured RESET and PATCH build it. */
static ShoalQrpTable *
leaf_b_table (void)
{
  const char *files[] = { "qrp_reset_gtkg_leaf.bin", "qrp_patch_gtkg_leaf.bin" };
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  gboolean complete = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GBytes) message = shoal_test_load_vector (files[i]);
      g_autoptr(GError) error = NULL;
      gsize length;
      const guint8 *data = g_bytes_get_data (message, &length);

      g_assert_cmpuint (length, >, SHOAL_MESSAGE_HEADER_SIZE);
      g_assert_true (shoal_qrp_receiver_feed (receiver,
                                              data + SHOAL_MESSAGE_HEADER_SIZE,
                                              length - SHOAL_MESSAGE_HEADER_SIZE,
                                              &complete, &error));
      g_assert_no_error (error);
    }
  g_assert_true (complete);
  return shoal_qrp_table_copy (shoal_qrp_receiver_get_table (receiver));
}

static void
test_leaf_b_keywords_match_captured_table (void)
{
  g_autoptr(GHashTable) keywords =
    keywords_of (leaf_b_names, G_N_ELEMENTS (leaf_b_names));
  g_autoptr(ShoalQrpTable) captured = leaf_b_table ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQrpTable) ours = shoal_qrp_table_new (captured->slots,
                                                       captured->infinity,
                                                       &error);
  GHashTableIter iter;
  gpointer word;

  g_assert_no_error (error);
  g_assert_cmpuint (captured->slots, ==, 16384);
  g_hash_table_iter_init (&iter, keywords);
  while (g_hash_table_iter_next (&iter, &word, NULL))
    shoal_qrp_table_set_present (ours, shoal_qrp_hash (word, -1,
                                 shoal_qrp_table_get_bits (ours)));
  g_assert_cmpuint (shoal_qrp_table_count_present (ours), ==, 55);
  g_assert_true (shoal_qrp_table_equal (ours, captured));
}

static void
assert_query_words (const char        *text,
                    const char *const *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) words = shoal_qrp_query_words (text, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (words->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; i < words->len; i++)
    g_assert_cmpstr (g_ptr_array_index (words, i), ==, expected[i]);
}

static void
test_query_words (void)
{
  const char *const obsidian[] = { "obsidian", "tortoise", "the", NULL };
  const char *const japanese[] = { "\xe6\x97\xa5\xe6\x9c\xac", NULL };
  const char *const none[] = { NULL };

  assert_query_words ("Obsidian  OBSIDIAN tortoise a an the", obsidian);
  /* Two characters, six bytes: long enough for gtk-gnutella. */
  assert_query_words ("\xe6\x97\xa5\xe6\x9c\xac", japanese);
  assert_query_words ("a an", none);
}

static void
test_query_words_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) words = shoal_qrp_query_words ("\xed\xa0\x80", -1,
                                                      &error);

  /* An encoded surrogate is not valid UTF-8. */
  g_assert_null (words);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_urn_hash_code (void)
{
  const char *upper = "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
  const char *mixed = "URN:SHA1:plsthipqgsszts5fjupakuzwugyqypfb";
  const char *bitprint = "urn:bitprint:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB."
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  g_autoptr(GError) error = NULL;
  guint32 code = 0;
  guint32 other = 0;

  g_assert_true (shoal_qrp_urn_hash_code (upper, -1, &code, &error));
  g_assert_no_error (error);
  /* One keyword: the whole string, lower-cased. */
  g_assert_cmphex (code, ==, shoal_qrp_hash_code (
                     "urn:sha1:plsthipqgsszts5fjupakuzwugyqypfb", -1));
  g_assert_true (shoal_qrp_urn_hash_code (mixed, -1, &other, &error));
  g_assert_cmphex (other, ==, code);
  g_assert_true (shoal_qrp_urn_hash_code (bitprint, -1, &other, &error));
  g_assert_no_error (error);
  g_assert_cmphex (other, ==, code);
}

static void
test_urn_hash_code_invalid (void)
{
  g_autoptr(GError) error = NULL;
  guint32 code = 0;

  g_assert_false (shoal_qrp_urn_hash_code ("urn:sha1:TOOSHORT", -1, &code,
                                           &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qrp-keywords/hash/reference-values",
                   test_hash_reference_values);
  g_test_add_func ("/qrp-keywords/hash/length-argument",
                   test_hash_length_argument);
  g_test_add_func ("/qrp-keywords/hash/restrict", test_hash_restrict);
  g_test_add_func ("/qrp-keywords/hash/utf16-units", test_hash_utf16_units);
  g_test_add_func ("/qrp-keywords/hash/lowercases-non-ascii",
                   test_hash_lowercases_non_ascii);
  g_test_add_func ("/qrp-keywords/hash/stops-at-invalid-utf8",
                   test_hash_stops_at_invalid_utf8);
  g_test_add_func ("/qrp-keywords/canonize/ascii", test_canonize_ascii);
  g_test_add_func ("/qrp-keywords/canonize/apostrophe-and-star-separate",
                   test_canonize_apostrophe_and_star_separate);
  g_test_add_func ("/qrp-keywords/canonize/drops-accents",
                   test_canonize_drops_accents);
  g_test_add_func ("/qrp-keywords/canonize/folds-case-fully",
                   test_canonize_folds_case_fully);
  g_test_add_func ("/qrp-keywords/canonize/compatibility-forms",
                   test_canonize_compatibility_forms);
  g_test_add_func ("/qrp-keywords/canonize/keeps-voicing-marks",
                   test_canonize_keeps_voicing_marks);
  g_test_add_func ("/qrp-keywords/canonize/splits-blocks",
                   test_canonize_splits_blocks);
  g_test_add_func ("/qrp-keywords/canonize/drops-controls",
                   test_canonize_drops_controls);
  g_test_add_func ("/qrp-keywords/canonize/noncharacters-separate",
                   test_canonize_noncharacters_separate);
  g_test_add_func ("/qrp-keywords/canonize/invalid-utf8",
                   test_canonize_invalid_utf8);
  g_test_add_func ("/qrp-keywords/canonize/embedded-nul",
                   test_canonize_embedded_nul);
  g_test_add_func ("/qrp-keywords/canonize/too-long", test_canonize_too_long);
  g_test_add_func ("/qrp-keywords/canonize/longest-text",
                   test_canonize_longest_text);
  g_test_add_func ("/qrp-keywords/name/prefixes", test_name_keywords_prefixes);
  g_test_add_func ("/qrp-keywords/name/multibyte-prefixes",
                   test_name_keywords_multibyte_prefixes);
  g_test_add_func ("/qrp-keywords/name/invalid", test_name_keywords_invalid);
  g_test_add_func ("/qrp-keywords/name/leaf-b-55-words", test_leaf_b_keywords);
  g_test_add_func ("/qrp-keywords/name/leaf-b-matches-captured-table",
                   test_leaf_b_keywords_match_captured_table);
  g_test_add_func ("/qrp-keywords/query/words", test_query_words);
  g_test_add_func ("/qrp-keywords/query/invalid", test_query_words_invalid);
  g_test_add_func ("/qrp-keywords/urn/hash-code", test_urn_hash_code);
  g_test_add_func ("/qrp-keywords/urn/invalid", test_urn_hash_code_invalid);

  return g_test_run ();
}
