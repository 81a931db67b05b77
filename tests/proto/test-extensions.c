/* test-extensions.c — the HUGE/GGEP extension area of queries and hits. */
#include "shoal-extensions.h"
#include "shoal-proto-error.h"
#include "shoal-urn.h"

#include <string.h>

#define SHA1_URN "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"

static ShoalExtensions *
parse_and_rewrite (const char *wire,
                   gsize       length,
                   gboolean    allow_nul)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  ShoalExtensions *extensions;

  extensions = shoal_extensions_parse ((const guint8 *) wire, length, allow_nul, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_extensions_write (extensions, out, &error));
  g_assert_cmpmem (out->data, out->len, wire, length);
  return extensions;
}

static void
test_huge_then_ggep (void)
{
  static const char wire[] = SHA1_URN "\x1c" "\xc3\x82" "BH\x40";
  g_autoptr(ShoalExtensions) area = parse_and_rewrite (wire, sizeof wire - 1, FALSE);
  g_autoptr(GPtrArray) sha1s = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const ShoalExtensionItem *first, *second;
  guint8 expected[SHOAL_SHA1_SIZE];

  g_assert_cmpuint (area->items->len, ==, 2);
  first = g_ptr_array_index (area->items, 0);
  second = g_ptr_array_index (area->items, 1);
  g_assert_cmpint (first->kind, ==, SHOAL_EXTENSION_TEXT);
  g_assert_cmpint (first->separator, ==, 0x1c);
  g_assert_cmpint (second->kind, ==, SHOAL_EXTENSION_GGEP);
  g_assert_cmpint (second->separator, ==, SHOAL_EXTENSION_NO_SEPARATOR);
  g_assert_nonnull (shoal_extensions_find_ggep (area, "BH"));
  g_assert_null (shoal_extensions_find_ggep (area, "H"));

  shoal_extensions_collect_sha1 (area, sha1s);
  g_assert_cmpuint (sha1s->len, ==, 1);
  g_assert_true (shoal_urn_parse_sha1 (SHA1_URN, strlen (SHA1_URN), expected, NULL));
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (sha1s, 0), NULL), 20, expected, 20);
}

static void
test_query_nul_separators (void)
{
  /* gtk-gnutella's SHA-1 query: "urn:sha1:…" NUL GGEP, after the text's NUL. */
  static const char wire[] = SHA1_URN "\x00" "\xc3\x82" "NP\x40";
  g_autoptr(ShoalExtensions) area = parse_and_rewrite (wire, sizeof wire - 1, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalExtensions) refused = NULL;

  g_assert_cmpuint (area->items->len, ==, 2);
  g_assert_cmpint (((ShoalExtensionItem *) g_ptr_array_index (area->items, 0))->separator, ==, 0);

  /* A hit record's area may not hold a NUL. */
  refused = shoal_extensions_parse ((const guint8 *) wire, sizeof wire - 1, FALSE, &error);
  g_assert_null (refused);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_ggep_hash_and_u (void)
{
  guint8 h[21] = { 0x01 };
  g_autoptr(ShoalExtensions) area = shoal_extensions_new ();
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalExtensions) back = NULL;
  g_autoptr(GPtrArray) sha1s = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 1; i < sizeof h; i++)
    h[i] = (guint8) i;  /* no 0x00 byte: stored without COBS */
  shoal_ggep_add_nul_free (ggep, "H", h, sizeof h);
  shoal_ggep_add (ggep, "u", (const guint8 *) SHA1_URN + 4, strlen (SHA1_URN) - 4, 0);
  shoal_extensions_add_text (area, "urn:");
  shoal_extensions_add_ggep (area, g_steal_pointer (&ggep));
  g_assert_true (shoal_extensions_write (area, out, &error));
  g_assert_cmpmem (out->data, 5, "urn:\x1c", 5);
  g_assert_null (memchr (out->data, 0, out->len));

  back = shoal_extensions_parse (out->data, out->len, FALSE, &error);
  g_assert_no_error (error);
  shoal_extensions_collect_sha1 (back, sha1s);
  g_assert_cmpuint (sha1s->len, ==, 2);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (sha1s, 0), NULL), 20, h + 1, 20);
}

static void
test_empty_and_bad (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalExtensions) empty = NULL;
  g_autoptr(ShoalExtensions) bad = NULL;

  empty = shoal_extensions_parse ((const guint8 *) "", 0, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->items->len, ==, 0);

  /* A 0xC3 starts a GGEP block; a broken one fails the whole area. */
  bad = shoal_extensions_parse ((const guint8 *) "urn:\x1c\xc3\x82" "BH", 8, FALSE, &error);
  g_assert_null (bad);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_unknown_text_kept (void)
{
  static const char wire[] = "<?xml version=\"1.0\"?>\x1c" "urn:bitprint:x\x1c\x1c";
  g_autoptr(ShoalExtensions) area = parse_and_rewrite (wire, sizeof wire - 1, FALSE);
  g_autoptr(GPtrArray) sha1s = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_cmpuint (area->items->len, ==, 3);
  shoal_extensions_collect_sha1 (area, sha1s);
  g_assert_cmpuint (sha1s->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/extensions/huge-then-ggep", test_huge_then_ggep);
  g_test_add_func ("/extensions/query-nul-separators", test_query_nul_separators);
  g_test_add_func ("/extensions/ggep-hash-and-u", test_ggep_hash_and_u);
  g_test_add_func ("/extensions/empty-and-bad", test_empty_and_bad);
  g_test_add_func ("/extensions/unknown-text-kept", test_unknown_text_kept);
  return g_test_run ();
}
