/* test-urn.c — HUGE URNs: urn:sha1 and urn:bitprint from the doc and the vectors. */
#include "shoal-base32.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"
#include "shoal-urn.h"

#include <string.h>

static const char doc_urn[] = "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
static const guint8 doc_sha1[SHOAL_SHA1_SIZE] = {
  0x7a, 0xe5, 0x33, 0xa1, 0xf0, 0x34, 0xa5, 0x99, 0xcb, 0xa5,
  0x4d, 0x1e, 0x05, 0x53, 0x36, 0xa1, 0xb1, 0x0c, 0x3c, 0xa1,
};
/* From http_download_headers_full_range.txt (checked in the test below). */
static const char vector_urn[] = "urn:sha1:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4";
static const char vector_bitprint[] =
  "urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
  "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA";

static void
parse_ok (const char *text,
          guint8      sha1[SHOAL_SHA1_SIZE])
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_urn_parse_sha1 (text, strlen (text), sha1, &error));
  g_assert_no_error (error);
}

static void
assert_parse_fails (const char *text)
{
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_assert_false (shoal_urn_parse_sha1 (text, strlen (text), sha1, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_test_message ("%s: %s", text, error->message);
}

static void
test_doc_example (void)
{
  g_autofree char *formatted = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  parse_ok (doc_urn, sha1);
  g_assert_cmpmem (sha1, sizeof sha1, doc_sha1, sizeof doc_sha1);
  formatted = shoal_urn_format_sha1 (sha1);
  g_assert_cmpstr (formatted, ==, doc_urn);
  g_assert_cmpuint (strlen (formatted), ==, SHOAL_URN_SHA1_LENGTH);
}

static void
test_any_case (void)
{
  g_autofree char *lower = g_ascii_strdown (doc_urn, -1);
  g_autofree char *upper = g_ascii_strup (doc_urn, -1);
  g_autofree char *formatted = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  parse_ok (lower, sha1);
  g_assert_cmpmem (sha1, sizeof sha1, doc_sha1, sizeof doc_sha1);
  parse_ok (upper, sha1);
  g_assert_cmpmem (sha1, sizeof sha1, doc_sha1, sizeof doc_sha1);
  /* Output is always the canonical spelling. */
  formatted = shoal_urn_format_sha1 (sha1);
  g_assert_cmpstr (formatted, ==, doc_urn);
}

static void
test_length_bounds_the_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *longer = g_strconcat (doc_urn, "XYZ", NULL);
  guint8 sha1[SHOAL_SHA1_SIZE];

  /* Only @length bytes count: what follows is not looked at. */
  g_assert_true (shoal_urn_parse_sha1 (longer, SHOAL_URN_SHA1_LENGTH, sha1,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpmem (sha1, sizeof sha1, doc_sha1, sizeof doc_sha1);
}

/* The first line of @section that contains @needle, without its CRLF. */
static char *
find_line (ShoalTestTranscriptSection *section,
           const char                 *needle)
{
  gsize size;
  const char *data = g_bytes_get_data (section->bytes, &size);
  g_autofree char *text = g_strndup (data, size);
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return g_strdup (lines[i]);
  g_assert_not_reached ();
}

/* GET /uri-res/N2R?urn:sha1:… and the uploader's X-Thex-URI (SHA-1 URN and
 * TTH) name the same file: the bitprint built from them yields its SHA-1. */
static void
test_vector_http_download (void)
{
  g_autoptr(GPtrArray) sections =
    shoal_test_load_transcript ("http_download_headers_full_range.txt");
  g_autofree char *request = NULL;
  g_autofree char *content_urn = NULL;
  g_autofree char *thex = NULL;
  g_autofree char *bitprint = NULL;
  g_autofree char *formatted = NULL;
  const char *urn, *tth;
  guint8 sha1[SHOAL_SHA1_SIZE], from_bitprint[SHOAL_SHA1_SIZE];

  g_assert_cmpuint (sections->len, ==, 2);
  request = find_line (g_ptr_array_index (sections, 0), "N2R?");
  content_urn = find_line (g_ptr_array_index (sections, 1),
                           "X-Gnutella-Content-URN: ");
  thex = find_line (g_ptr_array_index (sections, 1), "X-Thex-URI: ");

  urn = strstr (request, "urn:sha1:");
  g_assert_nonnull (urn);
  g_assert_true (shoal_urn_is_urn (urn, strlen (urn)));
  g_assert_true (shoal_urn_parse_sha1 (urn, SHOAL_URN_SHA1_LENGTH, sha1, NULL));
  g_assert_cmpint (urn[SHOAL_URN_SHA1_LENGTH], ==, ' ');
  formatted = shoal_urn_format_sha1 (sha1);
  g_assert_cmpmem (formatted, SHOAL_URN_SHA1_LENGTH, urn, SHOAL_URN_SHA1_LENGTH);
  g_assert_cmpstr (formatted, ==, vector_urn);
  g_assert_cmpstr (strstr (content_urn, "urn:"), ==, vector_urn);

  tth = strchr (thex, ';');
  g_assert_nonnull (tth);
  g_assert_cmpuint (strlen (tth + 1), ==, SHOAL_TTH_BASE32_LENGTH);
  bitprint = g_strdup_printf ("urn:bitprint:%s.%s",
                              vector_urn + strlen ("urn:sha1:"), tth + 1);
  g_assert_cmpstr (bitprint, ==, vector_bitprint);
  g_assert_cmpuint (strlen (bitprint), ==, SHOAL_URN_BITPRINT_LENGTH);
  parse_ok (bitprint, from_bitprint);
  g_assert_cmpmem (from_bitprint, sizeof from_bitprint, sha1, sizeof sha1);
}

/* A hit's text URN (0x1C-terminated HUGE extension) formats back to itself. */
static void
test_vector_query_hit_urn (void)
{
  g_autoptr(GBytes) hit = shoal_test_load_vector ("queryhit_marmalade_via_up_to_probe.bin");
  gsize size;
  const guint8 *data = g_bytes_get_data (hit, &size);
  /* After "marmalade_harpsichord_sonata.txt" NUL, at 0x4b. */
  const char *urn = (const char *) data + 0x4b;
  g_autofree char *formatted = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (size, >, 0x4b + SHOAL_URN_SHA1_LENGTH);
  g_assert_cmpint (urn[SHOAL_URN_SHA1_LENGTH], ==, 0x1c);
  g_assert_true (shoal_urn_parse_sha1 (urn, SHOAL_URN_SHA1_LENGTH, sha1, &error));
  g_assert_no_error (error);
  formatted = shoal_urn_format_sha1 (sha1);
  g_assert_cmpmem (formatted, SHOAL_URN_SHA1_LENGTH, urn, SHOAL_URN_SHA1_LENGTH);
}

/* The browse-host record gives the obsidian file as urn:sha1 text plus a
 * GGEP "TT" root; the query hit gives the same file as a GGEP "H" bitprint.
 * A bitprint URN built from the first yields the SHA-1 bytes of the second. */
static void
test_vector_bitprint_matches_ggep_h (void)
{
  g_autoptr(GBytes) browse = shoal_test_load_vector ("browse-host/browse_rx_00_QUERYHIT.bin");
  g_autoptr(GBytes) hit = shoal_test_load_vector ("queryhit_gtkg_leaf_obsidian_to_up.bin");
  gsize browse_size, hit_size;
  const guint8 *browse_data = g_bytes_get_data (browse, &browse_size);
  const guint8 *hit_data = g_bytes_get_data (hit, &hit_size);
  const guint8 *urn = browse_data + 0xc1;
  const guint8 *tt = browse_data + 0xea;   /* 1C C3 02 'T' 'T' len root */
  const guint8 *ggep_h = hit_data + 0x4a;  /* 'H' len 0x02 sha1 tiger */
  g_autofree char *tth_text = NULL;
  g_autofree char *bitprint = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_assert_cmpuint (browse_size, >=, 0xea + 6 + SHOAL_TTH_SIZE);
  g_assert_cmpuint (hit_size, >=, 0x4a + 3 + SHOAL_SHA1_SIZE + SHOAL_TTH_SIZE);
  g_assert_cmpmem (tt, 5, "\x1c\xc3\x02TT", 5);
  g_assert_cmpint (ggep_h[0], ==, 'H');
  g_assert_cmpint (ggep_h[2], ==, 0x02);
  /* Both carry the same tiger root. */
  g_assert_cmpmem (tt + 6, SHOAL_TTH_SIZE,
                   ggep_h + 3 + SHOAL_SHA1_SIZE, SHOAL_TTH_SIZE);

  tth_text = shoal_base32_encode (tt + 6, SHOAL_TTH_SIZE);
  bitprint = g_strdup_printf ("urn:bitprint:%.32s.%s",
                              (const char *) urn + strlen ("urn:sha1:"),
                              tth_text);
  parse_ok (bitprint, sha1);
  g_assert_cmpmem (sha1, sizeof sha1, ggep_h + 3, SHOAL_SHA1_SIZE);
}

static void
test_bitprint_any_case (void)
{
  g_autofree char *lower = g_ascii_strdown (vector_bitprint, -1);
  guint8 expected[SHOAL_SHA1_SIZE], sha1[SHOAL_SHA1_SIZE];

  parse_ok (vector_urn, expected);
  parse_ok (lower, sha1);
  g_assert_cmpmem (sha1, sizeof sha1, expected, sizeof expected);
}

static void
test_is_urn (void)
{
  g_assert_true (shoal_urn_is_urn (doc_urn, strlen (doc_urn)));
  g_assert_true (shoal_urn_is_urn ("urn:", 4));
  g_assert_true (shoal_urn_is_urn ("URN:", 4));
  g_assert_true (shoal_urn_is_urn ("Urn:btih:abc", 12));
  g_assert_false (shoal_urn_is_urn ("urn:", 3));
  g_assert_false (shoal_urn_is_urn ("urn", 3));
  g_assert_false (shoal_urn_is_urn ("", 0));
  g_assert_false (shoal_urn_is_urn ("\\", 1));
  g_assert_false (shoal_urn_is_urn ("sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB", 37));
  g_assert_false (shoal_urn_is_urn ("http://1.2.3.4/", 15));
}

static void
test_reject_wrong_length (void)
{
  assert_parse_fails ("urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF");
  assert_parse_fails ("urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFBA");
  assert_parse_fails ("urn:sha1:");
  assert_parse_fails ("urn:sha1: PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
}

static void
test_reject_bad_prefix (void)
{
  assert_parse_fails ("");
  assert_parse_fails ("urn:");
  assert_parse_fails ("urn:sha1");
  assert_parse_fails ("sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_parse_fails ("urn:sha2:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_parse_fails ("urn:md5:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_parse_fails ("urn:ttroot:MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA");
  assert_parse_fails ("urn:btih:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_parse_fails ("urn:sha1;PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
}

static void
test_reject_bad_characters (void)
{
  assert_parse_fails ("urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF1");
  assert_parse_fails ("urn:sha1:0LSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_parse_fails ("urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF=");
  assert_parse_fails ("urn:sha1:PLSTHIPQGSSZTS5F-UPAKUZWUGYQYPFB");
}

static void
test_reject_nul_in_urn (void)
{
  static const char text[] = "urn:sha1:PLSTHIPQGSSZTS5F\0UPAKUZWUGYQYPFB";
  static const char prefix[] = "urn:sh\0a1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) prefix_error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_assert_false (shoal_urn_parse_sha1 (text, sizeof text - 1, sha1, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_false (shoal_urn_parse_sha1 (prefix, sizeof prefix - 1, sha1,
                                        &prefix_error));
  g_assert_error (prefix_error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_reject_bad_bitprint (void)
{
  /* Tiger root one short, one long. */
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVR");
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRAA");
  /* The 40-character padded-to-5 spelling some tools print. */
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA=");
  /* No tiger root, empty tiger root, no separator. */
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4");
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4.");
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4"
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA");
  /* SHA-1 part one short. */
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA");
  /* Bad characters in either half. */
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR1."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA");
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVR0");
  /* Tiger root with its 3 spare bits not zero. */
  assert_parse_fails ("urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                      "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRB");
}

static void
test_error_messages_say_what (void)
{
  g_autoptr(GError) short_error = NULL;
  g_autoptr(GError) tiger_error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  const char *short_urn = "urn:sha1:PLSTH";
  const char *bad_tiger = "urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                          "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVR";

  shoal_urn_parse_sha1 (short_urn, strlen (short_urn), sha1, &short_error);
  g_assert_cmpstr (short_error->message, ==,
                   "urn:sha1 needs 32 base32 characters, got 5");
  shoal_urn_parse_sha1 (bad_tiger, strlen (bad_tiger), sha1, &tiger_error);
  g_assert_cmpstr (tiger_error->message, ==,
                   "urn:bitprint needs 32.39 base32 characters, got 32.38");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/urn/sha1/doc-example", test_doc_example);
  g_test_add_func ("/urn/sha1/any-case", test_any_case);
  g_test_add_func ("/urn/sha1/length-bounds-input", test_length_bounds_the_input);
  g_test_add_func ("/urn/bitprint/any-case", test_bitprint_any_case);
  g_test_add_func ("/urn/vector/http-download", test_vector_http_download);
  g_test_add_func ("/urn/vector/query-hit-urn", test_vector_query_hit_urn);
  g_test_add_func ("/urn/vector/bitprint-matches-ggep-h",
                   test_vector_bitprint_matches_ggep_h);
  g_test_add_func ("/urn/is-urn", test_is_urn);
  g_test_add_func ("/urn/malformed/wrong-length", test_reject_wrong_length);
  g_test_add_func ("/urn/malformed/bad-prefix", test_reject_bad_prefix);
  g_test_add_func ("/urn/malformed/bad-characters", test_reject_bad_characters);
  g_test_add_func ("/urn/malformed/nul", test_reject_nul_in_urn);
  g_test_add_func ("/urn/malformed/bitprint", test_reject_bad_bitprint);
  g_test_add_func ("/urn/malformed/messages", test_error_messages_say_what);

  return g_test_run ();
}
