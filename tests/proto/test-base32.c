/* test-base32.c — RFC 4648 base32: vectors, round trips, malformed text. */
#include "shoal-base32.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"

#include <string.h>

typedef struct
{
  const char *data;
  const char *text;
} Rfc4648Vector;

/* RFC 4648 §10, without the '=' padding we never send. */
static const Rfc4648Vector rfc4648_vectors[] = {
  { "", "" },
  { "f", "MY" },
  { "fo", "MZXQ" },
  { "foo", "MZXW6" },
  { "foob", "MZXW6YQ" },
  { "fooba", "MZXW6YTB" },
  { "foobar", "MZXW6YTBOI" },
};

static const char doc_sha1_base32[] = "PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
static const guint8 doc_sha1[20] = {
  0x7a, 0xe5, 0x33, 0xa1, 0xf0, 0x34, 0xa5, 0x99, 0xcb, 0xa5,
  0x4d, 0x1e, 0x05, 0x53, 0x36, 0xa1, 0xb1, 0x0c, 0x3c, 0xa1,
};
/* The tiger tree root in X-Thex-URI of http_download_headers_full_range.txt. */
static const char vector_tth_base32[] = "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA";

/* @length bytes at @offset of a vector, checked to lie inside it. */
static const guint8 *
vector_slice (GBytes *vector,
              gsize   offset,
              gsize   length)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (vector, &size);

  g_assert_cmpuint (offset + length, <=, size);
  return data + offset;
}

static void
test_encoded_length (void)
{
  g_assert_cmpuint (shoal_base32_encoded_length (0), ==, 0);
  g_assert_cmpuint (shoal_base32_encoded_length (1), ==, 2);
  g_assert_cmpuint (shoal_base32_encoded_length (5), ==, 8);
  g_assert_cmpuint (shoal_base32_encoded_length (16), ==, 26);
  g_assert_cmpuint (shoal_base32_encoded_length (20), ==, 32);
  g_assert_cmpuint (shoal_base32_encoded_length (24), ==, 39);
}

static void
test_rfc4648_encode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rfc4648_vectors); i++)
    {
      const Rfc4648Vector *v = &rfc4648_vectors[i];
      g_autofree char *text = shoal_base32_encode ((const guint8 *) v->data,
                                                   strlen (v->data));

      g_assert_cmpstr (text, ==, v->text);
    }
}

static void
test_rfc4648_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rfc4648_vectors); i++)
    {
      const Rfc4648Vector *v = &rfc4648_vectors[i];
      g_autoptr(GError) error = NULL;
      guint8 out[8] = { 0 };

      g_assert_true (shoal_base32_decode (v->text, strlen (v->text), out,
                                          strlen (v->data), &error));
      g_assert_no_error (error);
      g_assert_cmpmem (out, strlen (v->data), v->data, strlen (v->data));
    }
}

static void
test_decode_lower_case (void)
{
  g_autofree char *lower = g_ascii_strdown (doc_sha1_base32, -1);
  g_autoptr(GError) error = NULL;
  guint8 out[20];

  g_assert_true (shoal_base32_decode ("mzxw6ytboi", 10, out, 6, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, 6, "foobar", 6);

  g_assert_true (shoal_base32_decode (lower, strlen (lower), out, 20, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, 20, doc_sha1, 20);
}

static void
test_doc_sha1_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint8 out[20];

  g_assert_true (shoal_base32_decode (doc_sha1_base32, 32, out, 20, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, 20, doc_sha1, 20);
  text = shoal_base32_encode (out, 20);
  g_assert_cmpstr (text, ==, doc_sha1_base32);
}

static void
test_vector_tth_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint8 tth[24];

  g_assert_true (shoal_base32_decode (vector_tth_base32, 39, tth, 24, &error));
  g_assert_no_error (error);
  text = shoal_base32_encode (tth, 24);
  g_assert_cmpstr (text, ==, vector_tth_base32);
}

/* The obsidian file's SHA-1 travels as raw bytes in the hit's GGEP "H"
 * (bitprint form) and as text in the browse-host record: the two agree. */
static void
test_vector_ggep_h_matches_urn_text (void)
{
  g_autoptr(GBytes) hit = shoal_test_load_vector ("queryhit_gtkg_leaf_obsidian_to_up.bin");
  g_autoptr(GBytes) browse = shoal_test_load_vector ("browse-host/browse_rx_00_QUERYHIT.bin");
  /* GGEP "H": ID at 0x4a, length byte, type 0x02 (bitprint), SHA-1. */
  const guint8 *ggep_h = vector_slice (hit, 0x4a, 3 + 20);
  const guint8 *urn = vector_slice (browse, 0xc1, 41);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  guint8 decoded[20];

  g_assert_cmpint (ggep_h[0], ==, 'H');
  g_assert_cmpint (ggep_h[2], ==, 0x02);
  g_assert_cmpmem (urn, 9, "urn:sha1:", 9);

  text = shoal_base32_encode (ggep_h + 3, 20);
  g_assert_cmpmem (text, 32, urn + 9, 32);
  g_assert_true (shoal_base32_decode ((const char *) urn + 9, 32, decoded, 20,
                                      &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, 20, ggep_h + 3, 20);
}

static void
assert_decode_fails (const char *text,
                     gsize       text_length,
                     gsize       out_length)
{
  g_autoptr(GError) error = NULL;
  guint8 out[24];

  g_assert_cmpuint (out_length, <=, sizeof out);
  g_assert_false (shoal_base32_decode (text, text_length, out, out_length,
                                       &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_test_message ("%s", error->message);
}

static void
test_reject_bad_characters (void)
{
  /* '0', '1', '8', '9' are left out of the alphabet; '=' is padding we
   * do not take; '@' and '[' sit just beside 'A' and 'Z'. */
  static const char *const bad[] = {
    "0LSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB",
    "P1STHIPQGSSZTS5FJUPAKUZWUGYQYPFB",
    "PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF8",
    "PLSTHIPQGSSZTS9FJUPAKUZWUGYQYPFB",
    "PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF=",
    "@LSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB",
    "PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF[",
    "PLSTHIPQGSSZ S5FJUPAKUZWUGYQYPFB",
    "PLSTHIPQGSSZ\x80S5FJUPAKUZWUGYQYPFB",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_decode_fails (bad[i], 32, 20);
}

static void
test_reject_nul_inside_length (void)
{
  static const char text[] = "PLSTHIPQGSSZTS5F\0UPAKUZWUGYQYPFB";

  assert_decode_fails (text, sizeof text - 1, 20);
}

static void
test_reject_wrong_length (void)
{
  g_autoptr(GError) error = NULL;
  guint8 out[20];

  assert_decode_fails (doc_sha1_base32, 31, 20);
  assert_decode_fails ("PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFBA", 33, 20);
  assert_decode_fails ("", 0, 20);
  /* Padded form of "f": we speak the unpadded one only. */
  assert_decode_fails ("MY======", 8, 1);

  g_assert_false (shoal_base32_decode (doc_sha1_base32, 31, out, 20, &error));
  g_assert_nonnull (strstr (error->message, "31 characters"));
}

static void
test_reject_nonzero_trailing_bits (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *odd_tth = g_strdup (vector_tth_base32);
  guint8 out[24];

  /* "f" is 01100110: "MY" leaves the last two bits zero, "MZ" sets one. */
  assert_decode_fails ("MZ", 2, 1);
  /* 4 bytes take 7 characters with 3 bits spare: "foob" ends in Q. */
  assert_decode_fails ("MZXW6YR", 7, 4);
  /* A TTH (24 bytes, 39 characters) has 3 spare bits: 'B' sets one. */
  odd_tth[38] = 'B';
  assert_decode_fails (odd_tth, 39, 24);
  /* 'I' (01000) only changes used bits: a valid, different value. */
  odd_tth[38] = 'I';
  g_assert_true (shoal_base32_decode (odd_tth, 39, out, 24, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/base32/encoded-length", test_encoded_length);
  g_test_add_func ("/base32/rfc4648/encode", test_rfc4648_encode);
  g_test_add_func ("/base32/rfc4648/decode", test_rfc4648_decode);
  g_test_add_func ("/base32/decode/lower-case", test_decode_lower_case);
  g_test_add_func ("/base32/round-trip/doc-sha1", test_doc_sha1_round_trip);
  g_test_add_func ("/base32/round-trip/vector-tth", test_vector_tth_round_trip);
  g_test_add_func ("/base32/vector/ggep-h-matches-urn-text",
                   test_vector_ggep_h_matches_urn_text);
  g_test_add_func ("/base32/malformed/bad-characters", test_reject_bad_characters);
  g_test_add_func ("/base32/malformed/nul", test_reject_nul_inside_length);
  g_test_add_func ("/base32/malformed/wrong-length", test_reject_wrong_length);
  g_test_add_func ("/base32/malformed/trailing-bits",
                   test_reject_nonzero_trailing_bits);

  return g_test_run ();
}
