/* test-ggep.c — GGEP blocks, COBS and vlints against the spec's bytes. */
#include "shoal-ggep.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"

#include <string.h>
#include <zlib.h>

static ShoalGgep *
parse_all (const guint8 *data,
           gsize         length,
           GError      **error)
{
  gsize consumed = 0;
  ShoalGgep *ggep = shoal_ggep_parse (data, length, &consumed, error);

  if (ggep != NULL)
    g_assert_cmpuint (consumed, ==, length);
  return ggep;
}

static void
assert_rewrites_to (const ShoalGgep *ggep,
                    const guint8    *expected,
                    gsize            length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_ggep_write (ggep, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len, expected, length);
}

static void
test_empty_bh (void)
{
  /* Appendix A: one empty "BH", last. */
  static const guint8 wire[] = { 0xc3, 0x82, 'B', 'H', 0x40 };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGgep) ggep = parse_all (wire, sizeof wire, &error);
  const ShoalGgepExtension *bh;

  g_assert_no_error (error);
  g_assert_cmpuint (shoal_ggep_count (ggep), ==, 1);
  bh = shoal_ggep_find (ggep, "BH");
  g_assert_nonnull (bh);
  g_assert_cmpuint (g_bytes_get_size (bh->data), ==, 0);
  g_assert_cmpuint (bh->encoding, ==, SHOAL_GGEP_ENCODING_NONE);
  g_assert_null (shoal_ggep_find (ggep, "bh"));  /* IDs are case-sensitive */
  assert_rewrites_to (ggep, wire, sizeof wire);
}

static void
test_hash_plain_and_cobs (void)
{
  guint8 sha1[20];
  guint8 raw[21];
  g_autoptr(ShoalGgep) plain = shoal_ggep_new ();
  g_autoptr(ShoalGgep) cobs = shoal_ggep_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGgep) back = NULL;

  for (guint i = 0; i < sizeof sha1; i++)
    sha1[i] = (guint8) (0x11 + i);
  raw[0] = 0x01;
  memcpy (raw + 1, sha1, sizeof sha1);

  /* Appendix A: no 0x00 in the digest → C3 81 48 55 01 <sha1> */
  shoal_ggep_add_nul_free (plain, "H", raw, sizeof raw);
  g_assert_true (shoal_ggep_write (plain, out, &error));
  g_assert_cmpuint (out->len, ==, 4 + 21);
  g_assert_cmpmem (out->data, 4, "\xc3\x81\x48\x55", 4);
  g_assert_cmpmem (out->data + 4, 21, raw, 21);

  /* With a 0x00 in the digest → C3 C1 48 56 <22 COBS bytes> */
  raw[5] = 0x00;
  g_byte_array_set_size (out, 0);
  shoal_ggep_add_nul_free (cobs, "H", raw, sizeof raw);
  g_assert_true (shoal_ggep_write (cobs, out, &error));
  g_assert_cmpuint (out->len, ==, 4 + 22);
  g_assert_cmpmem (out->data, 4, "\xc3\xc1\x48\x56", 4);
  g_assert_null (memchr (out->data, 0, out->len));

  back = parse_all (out->data, out->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_ggep_get (back, 0)->encoding, ==, SHOAL_GGEP_ENCODING_COBS);
  g_assert_cmpmem (g_bytes_get_data (shoal_ggep_get (back, 0)->data, NULL),
                   g_bytes_get_size (shoal_ggep_get (back, 0)->data), raw, sizeof raw);
}

static void
test_length_chunks (void)
{
  /* The spec's examples: 0→40 63→7F 64→81 40 4095→BF 7F 4096→81 80 40 */
  static const struct { gsize length; const char *prefix; gsize prefix_length; } cases[] = {
    { 0, "\x40", 1 },
    { 63, "\x7f", 1 },
    { 64, "\x81\x40", 2 },
    { 4095, "\xbf\x7f", 2 },
    { 4096, "\x81\x80\x40", 3 },
    { 70000, "\x91\x85\x70", 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree guint8 *data = g_malloc0 (cases[i].length + 1);
      g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
      g_autoptr(ShoalGgep) back = NULL;
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autoptr(GError) error = NULL;

      memset (data, 'x', cases[i].length);
      shoal_ggep_add (ggep, "X", data, cases[i].length, SHOAL_GGEP_ENCODING_NONE);
      g_assert_true (shoal_ggep_write (ggep, out, &error));
      g_assert_cmpmem (out->data + 3, cases[i].prefix_length,
                       cases[i].prefix, cases[i].prefix_length);
      g_assert_cmpuint (out->len, ==, 3 + cases[i].prefix_length + cases[i].length);
      back = parse_all (out->data, out->len, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (shoal_ggep_get (back, 0)->data), ==,
                        cases[i].length);
    }
}

static void
test_several_and_deflate (void)
{
  static const char text[] = "1.2.3.4:6346\n5.6.7.8:6346\n1.2.3.4:6346\n5.6.7.8:6346\n";
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autoptr(ShoalGgep) back = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) again = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const ShoalGgepExtension *phc;
  gsize consumed;

  shoal_ggep_add (ggep, "VC", (const guint8 *) "SHOL\x01", 5, 0);
  shoal_ggep_add (ggep, "PHC", (const guint8 *) text, strlen (text),
                  SHOAL_GGEP_ENCODING_DEFLATE | SHOAL_GGEP_ENCODING_COBS);
  shoal_ggep_add (ggep, "GTKG.IPV6", NULL, 0, 0);
  g_assert_true (shoal_ggep_write (ggep, out, &error));
  /* Bytes after the block are not the block's. */
  g_byte_array_append (out, (const guint8 *) "tail", 4);

  back = shoal_ggep_parse (out->data, out->len, &consumed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, out->len - 4);
  g_assert_cmpuint (shoal_ggep_count (back), ==, 3);
  g_assert_cmpstr (shoal_ggep_get (back, 2)->id, ==, "GTKG.IPV6");
  phc = shoal_ggep_find (back, "PHC");
  g_assert_cmpuint (phc->encoding, ==,
                    SHOAL_GGEP_ENCODING_DEFLATE | SHOAL_GGEP_ENCODING_COBS);
  g_assert_cmpmem (g_bytes_get_data (phc->data, NULL), g_bytes_get_size (phc->data),
                   text, strlen (text));

  /* A parsed block rewrites to the same bytes, stored data and all. */
  g_assert_true (shoal_ggep_write (back, again, &error));
  g_assert_cmpmem (again->data, again->len, out->data, out->len - 4);
}

static void
assert_refused (const guint8 *wire,
                gsize         length,
                gint          code)
{
  g_autoptr(GError) error = NULL;
  gsize consumed = 0;
  g_autoptr(ShoalGgep) ggep = shoal_ggep_parse (wire, length, &consumed, &error);

  g_assert_null (ggep);
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
  g_assert_nonnull (error->message);
}

static void
test_long_length_kept (void)
{
  /* A length with leading zero chunks is legal; it is kept on rewrite. */
  static const guint8 wire[] = { 0xc3, 0x81, 'X', 0x80, 0x80, 0x42, 'a', 'b' };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGgep) ggep = parse_all (wire, sizeof wire, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (shoal_ggep_get (ggep, 0)->data), ==, 2);
  assert_rewrites_to (ggep, wire, sizeof wire);
}

static void
test_malformed (void)
{
#define REFUSED(bytes, code) assert_refused ((const guint8 *) bytes, sizeof bytes - 1, code)
  REFUSED ("", SHOAL_PROTO_ERROR_MALFORMED);                 /* no magic */
  REFUSED ("\xc4\x82" "BH\x40", SHOAL_PROTO_ERROR_MALFORMED); /* wrong magic */
  REFUSED ("\xc3", SHOAL_PROTO_ERROR_TRUNCATED);             /* no extension */
  REFUSED ("\xc3\x92" "BH\x40", SHOAL_PROTO_ERROR_MALFORMED); /* reserved bit */
  REFUSED ("\xc3\x80\x40", SHOAL_PROTO_ERROR_MALFORMED);     /* ID length 0 */
  REFUSED ("\xc3\x82" "B", SHOAL_PROTO_ERROR_TRUNCATED);     /* ID cut */
  REFUSED ("\xc3\x82" "B\x01\x40", SHOAL_PROTO_ERROR_MALFORMED); /* control in ID */
  REFUSED ("\xc3\x82" "B\xe9\x40", SHOAL_PROTO_ERROR_MALFORMED); /* non-ASCII ID */
  REFUSED ("\xc3\x82" "BH", SHOAL_PROTO_ERROR_TRUNCATED);    /* no length */
  REFUSED ("\xc3\x82" "BH\xc1", SHOAL_PROTO_ERROR_MALFORMED); /* both bits */
  REFUSED ("\xc3\x82" "BH\x01", SHOAL_PROTO_ERROR_MALFORMED); /* neither bit */
  REFUSED ("\xc3\x82" "BH\x81\x81\x81\x40", SHOAL_PROTO_ERROR_MALFORMED); /* 4 chunks */
  REFUSED ("\xc3\x82" "BH\x81", SHOAL_PROTO_ERROR_TRUNCATED); /* length cut */
  REFUSED ("\xc3\x82" "BH\x45" "abc", SHOAL_PROTO_ERROR_TRUNCATED); /* data cut */
  REFUSED ("\xc3\x02" "BH\x40", SHOAL_PROTO_ERROR_TRUNCATED); /* never last */
  REFUSED ("\xc3\xc2" "BH\x40", SHOAL_PROTO_ERROR_MALFORMED); /* empty COBS */
  REFUSED ("\xc3\xc2" "BH\x42\x05" "a", SHOAL_PROTO_ERROR_TRUNCATED); /* COBS run cut */
  REFUSED ("\xc3\xa2" "BH\x43" "abc", SHOAL_PROTO_ERROR_COMPRESSION); /* < 6 bytes */
  REFUSED ("\xc3\xa2" "BH\x46" "abcdef", SHOAL_PROTO_ERROR_COMPRESSION); /* no zlib header */
#undef REFUSED
}

static void
test_inflate_bomb (void)
{
  /* 1 MiB of zeros deflates to about 1 KiB: it must be refused, not
   * inflated, because it would be larger than any message. */
  gsize big = 1024 * 1024;
  g_autofree guint8 *zeros = g_malloc0 (big);
  uLongf deflated_length = compressBound (big);
  g_autofree guint8 *deflated = g_malloc (deflated_length);
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGgep) ggep = NULL;
  guint8 header[] = { 0xc3, 0xa1, 'Z', 0, 0, 0 };

  g_assert_cmpint (compress2 (deflated, &deflated_length, zeros, big, 9), ==, Z_OK);
  g_assert_cmpuint (deflated_length, <, 4096);
  header[3] = 0x80 | (deflated_length >> 6);
  header[4] = 0x40 | (deflated_length & 0x3f);
  g_byte_array_append (wire, header, 5);
  g_byte_array_append (wire, deflated, deflated_length);
  ggep = shoal_ggep_parse (wire->data, wire->len, NULL, &error);
  g_assert_null (ggep);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
}

static void
test_write_refusals (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGgep) empty = shoal_ggep_new ();
  g_autoptr(ShoalGgep) bad_id = shoal_ggep_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_assert_false (shoal_ggep_write (empty, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);
  shoal_ggep_add (bad_id, "", NULL, 0, 0);
  g_assert_false (shoal_ggep_write (bad_id, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_cmpuint (out->len, ==, 0);
}

static void
test_cobs (void)
{
  static const struct { const char *raw; gsize raw_length; const char *cobs; gsize cobs_length; } cases[] = {
    { "", 0, "\x01", 1 },
    { "\x00", 1, "\x01\x01", 2 },
    { "\x00\x00", 2, "\x01\x01\x01", 3 },
    { "\x11\x22\x00\x33", 4, "\x03\x11\x22\x02\x33", 5 },
    { "\x11\x22\x33\x44", 4, "\x05\x11\x22\x33\x44", 5 },
    { "\x11\x00\x00\x00", 4, "\x02\x11\x01\x01\x01", 5 },
  };
  g_autofree guint8 *long_run = g_malloc (600);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) encoded = g_byte_array_new ();
      g_autoptr(GByteArray) decoded = g_byte_array_new ();
      g_autoptr(GError) error = NULL;

      shoal_cobs_encode ((const guint8 *) cases[i].raw, cases[i].raw_length, encoded);
      g_assert_cmpmem (encoded->data, encoded->len, cases[i].cobs, cases[i].cobs_length);
      g_assert_true (shoal_cobs_decode (encoded->data, encoded->len, decoded, &error));
      g_assert_cmpmem (decoded->data, decoded->len, cases[i].raw, cases[i].raw_length);
    }

  /* Runs longer than 254 bytes split at 0xFF codes and still round-trip. */
  for (guint length = 250; length <= 600; length++)
    {
      g_autoptr(GByteArray) encoded = g_byte_array_new ();
      g_autoptr(GByteArray) decoded = g_byte_array_new ();
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < length; i++)
        long_run[i] = (i % 300 == 299) ? 0 : (guint8) (1 + i % 250);
      shoal_cobs_encode (long_run, length, encoded);
      g_assert_null (memchr (encoded->data, 0, encoded->len));
      g_assert_true (shoal_cobs_decode (encoded->data, encoded->len, decoded, &error));
      g_assert_cmpmem (decoded->data, decoded->len, long_run, length);
    }
}

static void
test_vlint (void)
{
  guint8 out[8];
  guint64 value = 0;
  static const guint8 du[] = { 0x80, 0x51, 0x01 };

  /* The doc's example: 86400 = 0x015180 → 80 51 01 */
  g_assert_cmpuint (shoal_vlint_encode (86400, out), ==, 3);
  g_assert_cmpmem (out, 3, du, 3);
  g_assert_true (shoal_vlint_decode (du, 3, &value));
  g_assert_cmpuint (value, ==, 86400);
  g_assert_cmpuint (shoal_vlint_encode (0, out), ==, 1);
  g_assert_cmpuint (shoal_vlint_encode (G_MAXUINT64, out), ==, 8);
  g_assert_true (shoal_vlint_decode (out, 8, &value));
  g_assert_cmpuint (value, ==, G_MAXUINT64);
  g_assert_cmpuint (shoal_vlint_encode (G_GUINT64_CONSTANT (5) << 32, out), ==, 5);
  g_assert_false (shoal_vlint_decode (out, 0, &value));
  g_assert_false (shoal_vlint_decode (out, 9, &value));
}

static void
test_vector_pong_ggep (void)
{
  /* The ultrapeer's pong carries GGEP from byte 23 + 14 on. */
  g_autoptr(GBytes) pong = shoal_test_load_vector ("pong_gtkg_up_reply_to_leaf.bin");
  gsize length;
  const guint8 *data = g_bytes_get_data (pong, &length);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGgep) ggep = parse_all (data + 37, length - 37, &error);
  const ShoalGgepExtension *vc;

  g_assert_no_error (error);
  vc = shoal_ggep_find (ggep, "VC");
  g_assert_nonnull (vc);
  g_assert_cmpmem (g_bytes_get_data (vc->data, NULL), 4, "GTKG", 4);
  g_assert_nonnull (shoal_ggep_find (ggep, "UP"));
  g_assert_nonnull (shoal_ggep_find (ggep, "DU"));
  assert_rewrites_to (ggep, data + 37, length - 37);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ggep/empty-bh", test_empty_bh);
  g_test_add_func ("/ggep/hash-plain-and-cobs", test_hash_plain_and_cobs);
  g_test_add_func ("/ggep/length-chunks", test_length_chunks);
  g_test_add_func ("/ggep/several-and-deflate", test_several_and_deflate);
  g_test_add_func ("/ggep/long-length-kept", test_long_length_kept);
  g_test_add_func ("/ggep/malformed", test_malformed);
  g_test_add_func ("/ggep/inflate-bomb", test_inflate_bomb);
  g_test_add_func ("/ggep/write-refusals", test_write_refusals);
  g_test_add_func ("/ggep/cobs", test_cobs);
  g_test_add_func ("/ggep/vlint", test_vlint);
  g_test_add_func ("/ggep/vector-pong", test_vector_pong_ggep);
  return g_test_run ();
}
