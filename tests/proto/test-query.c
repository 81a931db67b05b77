/* test-query.c — the query payload: captured gtk-gnutella queries, flag
 * accessors, the extension area, builders and every malformed-input rule. */
#include "shoal-base32.h"
#include "shoal-message-header.h"
#include "shoal-proto-error.h"
#include "shoal-query.h"
#include "shoal-test-vectors.h"

#include <string.h>

/* The SHA-1 of obsidian_tortoise_almanac.txt, from the browse-host hit. */
#define OBSIDIAN_SHA1_BASE32 "E52FITICBTOLIVR6RSIJENLBISDDVFCS"
#define OBSIDIAN_URN "urn:sha1:" OBSIDIAN_SHA1_BASE32

/* The payload of a captured message, checked against its header. */
static ShoalQuery *
parse_bytes (GBytes *payload)
{
  g_autoptr(GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (payload, &length);
  ShoalQuery *query = shoal_query_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (query);
  return query;
}

static void
assert_writes (const ShoalQuery *query,
               const guint8     *expected,
               gsize             expected_length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_query_write (query, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len, expected, expected_length);
}

/* Parses @payload, checks that writing it back gives the same bytes. */
static ShoalQuery *
parse_round_trip (GBytes *payload)
{
  ShoalQuery *query = parse_bytes (payload);
  gsize length;
  const guint8 *data = g_bytes_get_data (payload, &length);

  assert_writes (query, data, length);
  return query;
}

static void
assert_parse_fails (const guint8 *data,
                    gsize         length,
                    gint          code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_parse (data, length, &error);

  g_assert_null (query);
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
  g_test_message ("refused as expected: %s", error->message);
}

static void
obsidian_sha1 (guint8 sha1[SHOAL_SHA1_SIZE])
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_base32_decode (OBSIDIAN_SHA1_BASE32, SHOAL_SHA1_BASE32_LENGTH,
                                      sha1, SHOAL_SHA1_SIZE, &error));
  g_assert_no_error (error);
}

static void
assert_single_ggep (const ShoalQuery *query,
                    const char       *id)
{
  const ShoalExtensionItem *item;

  g_assert_cmpuint (query->extensions->items->len, ==, 1);
  item = g_ptr_array_index (query->extensions->items, 0);
  g_assert_cmpint (item->kind, ==, SHOAL_EXTENSION_GGEP);
  g_assert_cmpint (item->separator, ==, SHOAL_EXTENSION_NO_SEPARATOR);
  g_assert_cmpuint (shoal_ggep_count (item->ggep), ==, 1);
  g_assert_cmpstr (shoal_ggep_get (item->ggep, 0)->id, ==, id);
}

/* ---- captured queries ---- */

static void
test_vector_obsidian_leaf (void)
{
  g_autoptr(GBytes) payload =
    shoal_test_load_payload ("query_gtkg_originated_obsidian_leaf_to_up.bin",
                             SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(ShoalQuery) query = parse_round_trip (payload);
  g_autoptr(GPtrArray) sha1s = shoal_query_get_sha1s (query);
  const ShoalGgepExtension *pr;

  g_assert_cmphex (query->flags, ==, 0xb900);
  g_assert_cmphex (query->flags, ==, SHOAL_QUERY_FLAGS_GTKG);
  g_assert_true (shoal_query_is_marked (query));
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_XML));
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_LEAF_GUIDED));
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_GGEP_H));
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_SEMI_RELIABLE_UDP));
  g_assert_false (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_FIREWALLED));
  g_assert_false (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_OOB));
  g_assert_false (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_FW2FW));
  g_assert_cmpuint (shoal_query_max_hits (query), ==, 0);
  g_assert_cmpstr (query->text, ==, "obsidian");
  g_assert_false (query->trailing_nul);

  assert_single_ggep (query, "PR");
  pr = shoal_query_find_ggep (query, "PR");
  g_assert_nonnull (pr);
  g_assert_cmpuint (g_bytes_get_size (pr->data), ==, 0);
  g_assert_null (shoal_query_find_ggep (query, "H"));
  g_assert_cmpuint (sha1s->len, ==, 0);
  g_assert_false (shoal_query_wants_urns (query));
}

static void
test_vector_zebrafish_firewalled (void)
{
  g_autoptr(GBytes) payload =
    shoal_test_load_payload ("query_gtkg_originated_zebrafish_leaf_to_up_FWbit.bin",
                             SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(ShoalQuery) query = parse_round_trip (payload);

  g_assert_cmphex (query->flags, ==, 0xf900);
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_FIREWALLED));
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_GGEP_H));
  g_assert_cmpstr (query->text, ==, "zebrafish");
  assert_single_ggep (query, "PR");
}

/* Forwarding changes the header only: the payload is the leaf's. */
static void
test_vector_obsidian_forwarded (void)
{
  g_autoptr(GBytes) original =
    shoal_test_load_payload ("query_gtkg_originated_obsidian_leaf_to_up.bin",
                             SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(GBytes) forwarded =
    shoal_test_load_payload ("query_gtkg_up_forwarded_obsidian_to_leaf.bin",
                             SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(ShoalQuery) query = parse_round_trip (forwarded);

  g_assert_true (g_bytes_equal (original, forwarded));
  g_assert_cmphex (query->flags, ==, 0xb900);
  g_assert_cmpstr (query->text, ==, "obsidian");
  assert_single_ggep (query, "PR");
}

/* The probe wrote its flags little-endian: the be16 word reads 0x0088,
 * bit 15 clear, so it is an old "minimum speed" and no flag applies. */
static void
test_vector_marmalade_swapped_flags (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("query_probe_marmalade.bin",
                                                       SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(ShoalQuery) query = parse_round_trip (payload);

  g_assert_cmphex (query->flags, ==, 0x0088);
  g_assert_false (shoal_query_is_marked (query));
  g_assert_false (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_GGEP_H));
  g_assert_false (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_MARKED));
  g_assert_cmpuint (shoal_query_max_hits (query), ==, 0);
  g_assert_cmpstr (query->text, ==, "marmalade");
  g_assert_cmpuint (query->extensions->items->len, ==, 0);
  g_assert_false (query->trailing_nul);
}

static void
test_vector_probe_session (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("probe-session/tx_02_QUERY.bin",
                                                       SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(ShoalQuery) query = parse_round_trip (payload);

  g_assert_cmphex (query->flags, ==, 0x8800);
  g_assert_true (shoal_query_is_marked (query));
  g_assert_true (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_GGEP_H));
  g_assert_false (shoal_query_has_flag (query, SHOAL_QUERY_FLAG_XML));
  g_assert_cmpstr (query->text, ==, "zebrafish");
  g_assert_cmpuint (query->extensions->items->len, ==, 0);
}

static void
test_vector_session_plain (void)
{
  g_autofree char *path = shoal_test_vector_path ("session-plain");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  const char *name;
  guint count = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *relative = NULL;
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(ShoalQuery) query = NULL;

      if (!g_str_has_suffix (name, "_query.bin"))
        continue;
      relative = g_build_filename ("session-plain", name, NULL);
      payload = shoal_test_load_payload (relative, SHOAL_MESSAGE_QUERY, NULL);
      query = parse_round_trip (payload);
      g_assert_true (g_str_equal (query->text, "marmalade")
                     || g_str_equal (query->text, "zebrafish")
                     || g_str_equal (query->text, "obsidian"));
      /* gtk-gnutella's own queries carry GGEP "PR"; the probe's none. */
      if (shoal_query_is_marked (query))
        assert_single_ggep (query, "PR");
      else
        g_assert_cmpuint (query->extensions->items->len, ==, 0);
      count++;
    }
  g_assert_cmpuint (count, ==, 6);
}

/* ---- flags ---- */

static void
test_flag_accessors (void)
{
  static const guint16 flags[] = {
    SHOAL_QUERY_FLAG_FIREWALLED,
    SHOAL_QUERY_FLAG_XML,
    SHOAL_QUERY_FLAG_LEAF_GUIDED,
    SHOAL_QUERY_FLAG_GGEP_H,
    SHOAL_QUERY_FLAG_OOB,
    SHOAL_QUERY_FLAG_FW2FW,
    SHOAL_QUERY_FLAG_SEMI_RELIABLE_UDP,
  };
  ShoalQuery query = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      query.flags = SHOAL_QUERY_FLAG_MARKED | flags[i];
      g_assert_true (shoal_query_has_flag (&query, flags[i]));
      for (guint j = 0; j < G_N_ELEMENTS (flags); j++)
        if (j != i)
          g_assert_false (shoal_query_has_flag (&query, flags[j]));
      /* The same bit without 0x8000 is part of a speed, not a flag. */
      query.flags = flags[i];
      g_assert_false (shoal_query_has_flag (&query, flags[i]));
    }
}

static void
test_max_hits (void)
{
  ShoalQuery query = { 0 };

  query.flags = SHOAL_QUERY_FLAG_MARKED | 25;
  g_assert_cmpuint (shoal_query_max_hits (&query), ==, 25);
  query.flags = SHOAL_QUERY_FLAG_MARKED | SHOAL_QUERY_FLAG_SEMI_RELIABLE_UDP | 0xff;
  g_assert_cmpuint (shoal_query_max_hits (&query), ==, 255);
  query.flags = 25;
  g_assert_cmpuint (shoal_query_max_hits (&query), ==, 0);
}

/* ---- extension area ---- */

static void
test_sha1_query_layout (void)
{
  static const guint8 payload[] =
    "\xb9\x00" "\\\0" OBSIDIAN_URN "\0" "\xc3\x82PR\x40";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload - 1);
  g_autoptr(ShoalQuery) query = parse_round_trip (bytes);
  g_autoptr(GPtrArray) sha1s = shoal_query_get_sha1s (query);
  const ShoalExtensionItem *urn;
  guint8 expected[SHOAL_SHA1_SIZE];

  g_assert_cmpstr (query->text, ==, SHOAL_QUERY_SHA1_TEXT);
  g_assert_cmpuint (query->extensions->items->len, ==, 2);
  urn = g_ptr_array_index (query->extensions->items, 0);
  g_assert_cmpint (urn->kind, ==, SHOAL_EXTENSION_TEXT);
  g_assert_cmpint (urn->separator, ==, 0);
  g_assert_false (query->trailing_nul);
  obsidian_sha1 (expected);
  g_assert_cmpuint (sha1s->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (sha1s, 0), NULL), SHOAL_SHA1_SIZE,
                   expected, SHOAL_SHA1_SIZE);
  g_assert_true (shoal_query_wants_urns (query));
  g_assert_nonnull (shoal_query_find_ggep (query, "PR"));
}

static void
test_trailing_nul_after_urn (void)
{
  static const guint8 payload[] = "\x80\x00" "abc\0" OBSIDIAN_URN "\0";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload - 1);
  g_autoptr(ShoalQuery) query = parse_round_trip (bytes);
  g_autoptr(GPtrArray) sha1s = shoal_query_get_sha1s (query);
  const ShoalExtensionItem *urn;

  g_assert_true (query->trailing_nul);
  g_assert_cmpuint (query->extensions->items->len, ==, 1);
  urn = g_ptr_array_index (query->extensions->items, 0);
  g_assert_cmpint (urn->separator, ==, SHOAL_EXTENSION_NO_SEPARATOR);
  g_assert_cmpuint (sha1s->len, ==, 1);
}

static void
test_trailing_nul_after_ggep (void)
{
  static const guint8 payload[] = "\x80\x00" "abc\0" "\xc3\x82PR\x40" "\0";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload - 1);
  g_autoptr(ShoalQuery) query = parse_round_trip (bytes);

  g_assert_true (query->trailing_nul);
  assert_single_ggep (query, "PR");
}

/* "abc" NUL NUL: an empty area, then the terminator. */
static void
test_trailing_nul_alone (void)
{
  static const guint8 payload[] = "\x80\x00" "abc\0\0";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload - 1);
  g_autoptr(ShoalQuery) query = parse_round_trip (bytes);

  g_assert_true (query->trailing_nul);
  g_assert_cmpstr (query->text, ==, "abc");
}

static void
test_separators_kept (void)
{
  static const guint8 payload[] =
    "\x80\x00" "abc\0" "urn:\x1c" OBSIDIAN_URN "\x1c" "\xc3\x82PR\x40";
  g_autoptr(GBytes) bytes = g_bytes_new_static (payload, sizeof payload - 1);
  g_autoptr(ShoalQuery) query = parse_round_trip (bytes);
  g_autoptr(GPtrArray) sha1s = shoal_query_get_sha1s (query);

  g_assert_cmpuint (query->extensions->items->len, ==, 3);
  g_assert_cmpint (((ShoalExtensionItem *) g_ptr_array_index (query->extensions->items, 0))->separator,
                   ==, SHOAL_EXTENSION_SEPARATOR);
  g_assert_cmpuint (sha1s->len, ==, 1);
  g_assert_true (shoal_query_wants_urns (query));
  g_assert_false (query->trailing_nul);
}

static void
test_wants_urns (void)
{
  static const guint8 plain_urn[] = "\x80\x00" "abc\0urn:";
  static const guint8 ggep_u[] = "\x80\x00" "abc\0" "\xc3\x81u\x40";
  static const guint8 neither[] = "\x80\x00" "abc\0" "\xc3\x82PR\x40";
  g_autoptr(GBytes) b1 = g_bytes_new_static (plain_urn, sizeof plain_urn - 1);
  g_autoptr(GBytes) b2 = g_bytes_new_static (ggep_u, sizeof ggep_u - 1);
  g_autoptr(GBytes) b3 = g_bytes_new_static (neither, sizeof neither - 1);
  g_autoptr(ShoalQuery) q1 = parse_round_trip (b1);
  g_autoptr(ShoalQuery) q2 = parse_round_trip (b2);
  g_autoptr(ShoalQuery) q3 = parse_round_trip (b3);

  g_assert_true (shoal_query_wants_urns (q1));
  g_assert_true (shoal_query_wants_urns (q2));
  g_assert_false (shoal_query_wants_urns (q3));
}

/* ---- builders ---- */

static void
test_build_words_matches_gtkg (void)
{
  g_autoptr(GBytes) expected =
    shoal_test_load_payload ("query_gtkg_originated_obsidian_leaf_to_up.bin",
                             SHOAL_MESSAGE_QUERY, NULL);
  g_autoptr(GError) error = NULL;
  ShoalGgep *ggep = shoal_ggep_new ();
  g_autoptr(ShoalQuery) query = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (expected, &length);

  shoal_ggep_add (ggep, "PR", NULL, 0, SHOAL_GGEP_ENCODING_NONE);
  query = shoal_query_new_words (SHOAL_QUERY_FLAGS_GTKG, "obsidian", ggep, &error);
  g_assert_no_error (error);
  assert_writes (query, data, length);
}

static void
test_build_words_plain (void)
{
  static const guint8 expected[] = "\x80\x00" "h\xc3\xa9llo world\0";
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query =
    shoal_query_new_words (SHOAL_QUERY_FLAG_MARKED, "h\xc3\xa9llo world", NULL, &error);
  g_autoptr(ShoalQuery) empty_ggep = NULL;

  g_assert_no_error (error);
  assert_writes (query, expected, sizeof expected - 1);
  empty_ggep = shoal_query_new_words (SHOAL_QUERY_FLAG_MARKED, "h\xc3\xa9llo world",
                                      shoal_ggep_new (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty_ggep->extensions->items->len, ==, 0);
  assert_writes (empty_ggep, expected, sizeof expected - 1);
}

static void
test_build_words_refused (void)
{
  g_autoptr(GError) empty_error = NULL;
  g_autoptr(GError) utf8_error = NULL;
  ShoalQuery *query;

  query = shoal_query_new_words (SHOAL_QUERY_FLAGS_GTKG, "", NULL, &empty_error);
  g_assert_null (query);
  g_assert_error (empty_error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  query = shoal_query_new_words (SHOAL_QUERY_FLAGS_GTKG, "bad \xff text",
                                 shoal_ggep_new (), &utf8_error);
  g_assert_null (query);
  g_assert_error (utf8_error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_build_sha1 (void)
{
  static const guint8 expected[] = "\xb9\x00" "\\\0" OBSIDIAN_URN "\0";
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autoptr(ShoalQuery) query = NULL;
  g_autoptr(ShoalQuery) empty_ggep = NULL;
  g_autoptr(ShoalQuery) reparsed = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static (expected, sizeof expected - 1);

  obsidian_sha1 (sha1);
  query = shoal_query_new_sha1 (SHOAL_QUERY_FLAGS_GTKG, sha1, NULL);
  assert_writes (query, expected, sizeof expected - 1);
  /* An empty GGEP block is no block: same bytes. */
  empty_ggep = shoal_query_new_sha1 (SHOAL_QUERY_FLAGS_GTKG, sha1, shoal_ggep_new ());
  assert_writes (empty_ggep, expected, sizeof expected - 1);
  reparsed = parse_round_trip (bytes);
  g_assert_true (reparsed->trailing_nul);
}

static void
test_build_sha1_with_ggep (void)
{
  static const guint8 expected[] =
    "\xb9\x00" "\\\0" OBSIDIAN_URN "\0" "\xc3\x82PR\x40";
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalGgep *ggep = shoal_ggep_new ();
  g_autoptr(ShoalQuery) query = NULL;
  g_autoptr(GPtrArray) sha1s = NULL;

  obsidian_sha1 (sha1);
  shoal_ggep_add (ggep, "PR", NULL, 0, SHOAL_GGEP_ENCODING_NONE);
  query = shoal_query_new_sha1 (SHOAL_QUERY_FLAGS_GTKG, sha1, ggep);
  assert_writes (query, expected, sizeof expected - 1);
  sha1s = shoal_query_get_sha1s (query);
  g_assert_cmpuint (sha1s->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (sha1s, 0), NULL), SHOAL_SHA1_SIZE,
                   sha1, SHOAL_SHA1_SIZE);
}

static void
test_write_refuses_over_kick_size (void)
{
  g_autofree char *text = g_strnfill (SHOAL_QUERY_KICK_SIZE, 'a');
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_new_words (SHOAL_QUERY_FLAGS_GTKG, text,
                                                       NULL, &error);
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_assert_no_error (error);
  g_byte_array_append (out, (const guint8 *) "xy", 2);
  g_assert_false (shoal_query_write (query, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (out->len, ==, 2);
}

static void
test_write_refuses_bad_utf8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_new_words (SHOAL_QUERY_FLAGS_GTKG, "ok",
                                                       NULL, &error);
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_assert_no_error (error);
  g_free (query->text);
  query->text = g_strdup ("bad \xc3");
  g_assert_false (shoal_query_write (query, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_cmpuint (out->len, ==, 0);
}

/* ---- malformed input ---- */

static void
test_too_short (void)
{
  static const guint8 data[] = { 0x80, 0x00, 'a', 0x00 };

  /* 4 bytes is the smallest query: flags, one character, NUL. */
  for (gsize length = 0; length < SHOAL_QUERY_MIN_PAYLOAD; length++)
    assert_parse_fails (data, length, SHOAL_PROTO_ERROR_TRUNCATED);
  g_assert_cmpuint (sizeof data, ==, SHOAL_QUERY_MIN_PAYLOAD);
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static (data, sizeof data);
    g_autoptr(ShoalQuery) query = parse_round_trip (bytes);

    g_assert_cmpstr (query->text, ==, "a");
  }
}

static void
test_too_large (void)
{
  g_autofree guint8 *data = g_malloc (SHOAL_QUERY_KICK_SIZE + 1);

  data[0] = 0x80;
  data[1] = 0x00;
  memset (data + 2, 'a', SHOAL_QUERY_KICK_SIZE - 3);
  data[SHOAL_QUERY_KICK_SIZE - 1] = 0;
  data[SHOAL_QUERY_KICK_SIZE] = 0;
  {
    g_autoptr(GBytes) at_limit = g_bytes_new_static (data, SHOAL_QUERY_KICK_SIZE);
    g_autoptr(ShoalQuery) query = parse_round_trip (at_limit);

    g_assert_cmpuint (strlen (query->text), ==, SHOAL_QUERY_KICK_SIZE - 3);
  }
  assert_parse_fails (data, SHOAL_QUERY_KICK_SIZE + 1, SHOAL_PROTO_ERROR_TOO_LARGE);
}

static void
test_text_without_nul (void)
{
  static const guint8 data[] = { 0x80, 0x00, 'a', 'b', 'c' };

  assert_parse_fails (data, sizeof data, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_text_not_utf8 (void)
{
  static const guint8 data[] = { 0x80, 0x00, 'a', 0xc3, 0x28, 'b', 0x00 };

  assert_parse_fails (data, sizeof data, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_bad_ggep (void)
{
  /* Reserved flag bit 0x10 set: gtk-gnutella refuses the whole block. */
  static const guint8 data[] = { 0x80, 0x00, 'a', 'b', 0x00, 0xc3, 0x92, 'P', 'R', 0x40 };

  assert_parse_fails (data, sizeof data, SHOAL_PROTO_ERROR_MALFORMED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/query/vector/obsidian-leaf", test_vector_obsidian_leaf);
  g_test_add_func ("/query/vector/zebrafish-firewalled", test_vector_zebrafish_firewalled);
  g_test_add_func ("/query/vector/obsidian-forwarded", test_vector_obsidian_forwarded);
  g_test_add_func ("/query/vector/marmalade-swapped-flags", test_vector_marmalade_swapped_flags);
  g_test_add_func ("/query/vector/probe-session", test_vector_probe_session);
  g_test_add_func ("/query/vector/session-plain", test_vector_session_plain);
  g_test_add_func ("/query/flags/accessors", test_flag_accessors);
  g_test_add_func ("/query/flags/max-hits", test_max_hits);
  g_test_add_func ("/query/extensions/sha1-layout", test_sha1_query_layout);
  g_test_add_func ("/query/extensions/trailing-nul-after-urn", test_trailing_nul_after_urn);
  g_test_add_func ("/query/extensions/trailing-nul-after-ggep", test_trailing_nul_after_ggep);
  g_test_add_func ("/query/extensions/trailing-nul-alone", test_trailing_nul_alone);
  g_test_add_func ("/query/extensions/separators-kept", test_separators_kept);
  g_test_add_func ("/query/extensions/wants-urns", test_wants_urns);
  g_test_add_func ("/query/build/words-matches-gtkg", test_build_words_matches_gtkg);
  g_test_add_func ("/query/build/words-plain", test_build_words_plain);
  g_test_add_func ("/query/build/words-refused", test_build_words_refused);
  g_test_add_func ("/query/build/sha1", test_build_sha1);
  g_test_add_func ("/query/build/sha1-with-ggep", test_build_sha1_with_ggep);
  g_test_add_func ("/query/write/over-kick-size", test_write_refuses_over_kick_size);
  g_test_add_func ("/query/write/bad-utf8", test_write_refuses_bad_utf8);
  g_test_add_func ("/query/malformed/too-short", test_too_short);
  g_test_add_func ("/query/malformed/too-large", test_too_large);
  g_test_add_func ("/query/malformed/text-without-nul", test_text_without_nul);
  g_test_add_func ("/query/malformed/text-not-utf8", test_text_not_utf8);
  g_test_add_func ("/query/malformed/bad-ggep", test_bad_ggep);

  return g_test_run ();
}
