/* test-magnet.c — magnet URIs: parsing, building, round trips, malformed input. */
#include "shoal-magnet.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"

#include <string.h>

static const char doc_magnet[] =
  "magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
  "&dn=GnutellaProtocol04.pdf&xl=123456";
static const char doc_urn[] = "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
static const guint8 doc_sha1[SHOAL_SHA1_SIZE] = {
  0x7a, 0xe5, 0x33, 0xa1, 0xf0, 0x34, 0xa5, 0x99, 0xcb, 0xa5,
  0x4d, 0x1e, 0x05, 0x53, 0x36, 0xa1, 0xb1, 0x0c, 0x3c, 0xa1,
};
static const char bitprint[] =
  "urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
  "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA";

static ShoalMagnet *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  ShoalMagnet *magnet = shoal_magnet_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (magnet);
  return magnet;
}

static void
assert_parse_fails (const char *text,
                    gsize       length,
                    gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_parse (text, length, &error);

  g_assert_null (magnet);
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
  g_test_message ("%s", error->message);
}

static void
assert_malformed (const char *text)
{
  assert_parse_fails (text, strlen (text), SHOAL_PROTO_ERROR_MALFORMED);
}

/* Building what was parsed gives the same text back. */
static void
assert_round_trip (const char *text)
{
  g_autoptr(ShoalMagnet) magnet = parse_ok (text);
  g_autofree char *built = shoal_magnet_to_string (magnet);

  g_assert_cmpstr (built, ==, text);
}

static void
assert_strv (GPtrArray         *array,
             const char *const *expected)
{
  guint n = g_strv_length ((char **) expected);

  g_assert_cmpuint (array->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (array, i), ==, expected[i]);
}

static void
test_doc_example_parse (void)
{
  g_autoptr(ShoalMagnet) magnet = parse_ok (doc_magnet);
  const char *const topics[] = { doc_urn, NULL };

  assert_strv (magnet->exact_topics, topics);
  g_assert_true (magnet->has_sha1);
  g_assert_cmpmem (magnet->sha1, SHOAL_SHA1_SIZE, doc_sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpstr (magnet->display_name, ==, "GnutellaProtocol04.pdf");
  g_assert_true (magnet->has_exact_length);
  g_assert_cmpuint (magnet->exact_length, ==, 123456);
  g_assert_cmpuint (magnet->exact_sources->len, ==, 0);
  g_assert_cmpuint (magnet->acceptable_sources->len, ==, 0);
  g_assert_null (magnet->keyword_topic);
  g_assert_cmpuint (magnet->params->len, ==, 0);
}

static void
test_doc_example_round_trip (void)
{
  assert_round_trip (doc_magnet);
}

static void
test_doc_example_build (void)
{
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();
  g_autofree char *built = NULL;

  magnet->has_sha1 = TRUE;
  memcpy (magnet->sha1, doc_sha1, SHOAL_SHA1_SIZE);
  magnet->display_name = g_strdup ("GnutellaProtocol04.pdf");
  magnet->has_exact_length = TRUE;
  magnet->exact_length = 123456;
  /* No xt given: the builder writes one for the SHA-1. */
  built = shoal_magnet_to_string (magnet);
  g_assert_cmpstr (built, ==, doc_magnet);
}

static void
test_empty_magnet (void)
{
  g_autoptr(ShoalMagnet) magnet = parse_ok ("magnet:?");
  g_autoptr(ShoalMagnet) fresh = shoal_magnet_new ();
  g_autofree char *built = shoal_magnet_to_string (fresh);

  g_assert_cmpuint (magnet->exact_topics->len, ==, 0);
  g_assert_false (magnet->has_sha1);
  g_assert_false (magnet->has_exact_length);
  g_assert_null (magnet->display_name);
  g_assert_cmpstr (built, ==, "magnet:?");
}

/* An exact source pointing at the N2R URI: '?' is escaped (it would start
 * a query inside ours), ':' and '/' stay readable as gtk-gnutella writes
 * them with url_escape_query(). */
static void
test_exact_source (void)
{
  static const char url[] =
    "http://1.2.3.4:6346/uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
  static const char text[] =
    "magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&xs=http://1.2.3.4:6346/uri-res/N2R%3Furn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();
  g_autoptr(ShoalMagnet) parsed = NULL;
  g_autofree char *built = NULL;
  const char *const sources[] = { url, NULL };

  g_ptr_array_add (magnet->exact_topics, g_strdup (doc_urn));
  g_ptr_array_add (magnet->exact_sources, g_strdup (url));
  built = shoal_magnet_to_string (magnet);
  g_assert_cmpstr (built, ==, text);

  parsed = parse_ok (text);
  assert_strv (parsed->exact_sources, sources);
  g_assert_true (parsed->has_sha1);
  g_assert_cmpmem (parsed->sha1, SHOAL_SHA1_SIZE, doc_sha1, SHOAL_SHA1_SIZE);
  assert_round_trip (text);
}

static void
test_unescaped_source_accepted (void)
{
  /* Many writers leave '?' raw inside xs: a query may contain it. */
  g_autoptr(ShoalMagnet) magnet = parse_ok (
    "magnet:?xs=http://1.2.3.4:6346/uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&as=http://example.com/a%20file.pdf");
  const char *const exact[] = {
    "http://1.2.3.4:6346/uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB",
    NULL
  };
  const char *const acceptable[] = { "http://example.com/a file.pdf", NULL };

  assert_strv (magnet->exact_sources, exact);
  assert_strv (magnet->acceptable_sources, acceptable);
  g_assert_false (magnet->has_sha1);
}

static void
test_names_with_spaces_and_utf8 (void)
{
  static const char name[] = "Caf\xc3\xa9 \xc3\x9cnicode \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac.mp3";
  static const char text[] =
    "magnet:?dn=Caf%C3%A9%20%C3%9Cnicode%20%E2%80%93%20%E6%97%A5%E6%9C%AC.mp3"
    "&kt=jazz%20caf%C3%A9";
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();
  g_autoptr(ShoalMagnet) parsed = NULL;
  g_autofree char *built = NULL;

  magnet->display_name = g_strdup (name);
  magnet->keyword_topic = g_strdup ("jazz caf\xc3\xa9");
  built = shoal_magnet_to_string (magnet);
  g_assert_cmpstr (built, ==, text);

  parsed = parse_ok (text);
  g_assert_cmpstr (parsed->display_name, ==, name);
  g_assert_cmpstr (parsed->keyword_topic, ==, "jazz caf\xc3\xa9");
}

/* '+' means a space on input; we always write %20, so these spellings
 * parse to the same magnet but build to the canonical text. */
static void
test_decoding_variants (void)
{
  g_autoptr(ShoalMagnet) plus = parse_ok ("magnet:?dn=Gnutella+Protocol+0.4.pdf");
  g_autoptr(ShoalMagnet) escaped_plus = parse_ok ("magnet:?dn=1%2B1%3d2");
  g_autoptr(ShoalMagnet) raw_utf8 = parse_ok ("magnet:?dn=Caf\xc3\xa9 au lait");
  g_autofree char *plus_built = shoal_magnet_to_string (plus);
  g_autofree char *escaped_built = shoal_magnet_to_string (escaped_plus);
  g_autofree char *raw_built = shoal_magnet_to_string (raw_utf8);

  g_assert_cmpstr (plus->display_name, ==, "Gnutella Protocol 0.4.pdf");
  g_assert_cmpstr (plus_built, ==, "magnet:?dn=Gnutella%20Protocol%200.4.pdf");
  g_assert_cmpstr (escaped_plus->display_name, ==, "1+1=2");
  g_assert_cmpstr (escaped_built, ==, "magnet:?dn=1%2B1%3D2");
  g_assert_cmpstr (raw_utf8->display_name, ==, "Caf\xc3\xa9 au lait");
  g_assert_cmpstr (raw_built, ==, "magnet:?dn=Caf%C3%A9%20au%20lait");
}

static void
test_encoding_reserved_characters (void)
{
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();
  g_autoptr(ShoalMagnet) parsed = NULL;
  g_autofree char *built = NULL;
  static const char name[] = "a&b=c?d#e%f+g h/i:j~k_l-m.n[o]@'\"\\";

  magnet->display_name = g_strdup (name);
  built = shoal_magnet_to_string (magnet);
  g_assert_cmpstr (built, ==,
                   "magnet:?dn=a%26b%3Dc%3Fd%23e%25f%2Bg%20h/i:j~k_l-m.n"
                   "%5Bo%5D%40%27%22%5C");
  parsed = parse_ok (built);
  g_assert_cmpstr (parsed->display_name, ==, name);
}

static void
test_scheme_any_case (void)
{
  g_autoptr(ShoalMagnet) magnet = parse_ok (
    "MAGNET:?XT=urn:sha1:plsthipqgsszts5fjupakuzwugyqypfb&DN=x&XL=7");
  g_autofree char *built = shoal_magnet_to_string (magnet);

  g_assert_true (magnet->has_sha1);
  g_assert_cmpmem (magnet->sha1, SHOAL_SHA1_SIZE, doc_sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpstr (magnet->display_name, ==, "x");
  g_assert_cmpuint (magnet->exact_length, ==, 7);
  /* The topic is kept as written; keys are written in lower case. */
  g_assert_cmpstr (built, ==,
                   "magnet:?xt=urn:sha1:plsthipqgsszts5fjupakuzwugyqypfb"
                   "&dn=x&xl=7");
}

static void
test_indexed_keys (void)
{
  g_autoptr(ShoalMagnet) magnet = parse_ok (
    "magnet:?xt.1=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
    "&xt.2=" "urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
    "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA"
    "&xt.10=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&dn.1=first&xs.1=http://h/&as.2=http://a/&kt.1=k"
    "&xt.=bad-index&xt.x=not-an-index&xtx=neither");
  const char *const topics[] = {
    "urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a", bitprint,
    doc_urn, NULL
  };
  g_autoptr(GError) error = NULL;
  guint8 expected[SHOAL_SHA1_SIZE];

  assert_strv (magnet->exact_topics, topics);
  /* The first SHA-1-bearing topic wins: the bitprint's, not doc_urn's. */
  g_assert_true (magnet->has_sha1);
  g_assert_true (shoal_urn_parse_sha1 (bitprint, strlen (bitprint), expected,
                                       &error));
  g_assert_cmpmem (magnet->sha1, SHOAL_SHA1_SIZE, expected, SHOAL_SHA1_SIZE);
  g_assert_cmpstr (magnet->display_name, ==, "first");
  g_assert_cmpuint (magnet->exact_sources->len, ==, 1);
  g_assert_cmpuint (magnet->acceptable_sources->len, ==, 1);
  g_assert_cmpstr (magnet->keyword_topic, ==, "k");
  g_assert_cmpuint (magnet->params->len, ==, 3);
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "xt."), ==, "bad-index");
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "xt.x"), ==, "not-an-index");
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "xtx"), ==, "neither");
}

/* gtk-gnutella's private keys survive, in order; its own writer puts them
 * after dn, xl and xt (magnet_to_string), ours after the standard keys:
 * the order is free, so the text changes but the magnet does not. */
static void
test_gtkg_private_keys (void)
{
  static const char gtkg[] =
    "magnet:?dn=GnutellaProtocol04.pdf&xl=123456"
    "&xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&x.parq-id=0123ABCD&x.vndr=GTKG&x.guid=8DAEAC0931029213"
    "&xs=http://1.2.3.4:6346/uri-res/N2R%3Furn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
  static const char canonical[] =
    "magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&dn=GnutellaProtocol04.pdf&xl=123456"
    "&xs=http://1.2.3.4:6346/uri-res/N2R%3Furn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&x.parq-id=0123ABCD&x.vndr=GTKG&x.guid=8DAEAC0931029213";
  g_autoptr(ShoalMagnet) magnet = parse_ok (gtkg);
  g_autofree char *built = shoal_magnet_to_string (magnet);
  const ShoalMagnetParam *first;

  g_assert_cmpuint (magnet->params->len, ==, 3);
  first = g_ptr_array_index (magnet->params, 0);
  g_assert_cmpstr (first->key, ==, "x.parq-id");
  g_assert_cmpstr (first->value, ==, "0123ABCD");
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "x.vndr"), ==, "GTKG");
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "X.GUID"), ==, "8DAEAC0931029213");
  g_assert_null (shoal_magnet_get_param (magnet, "x.dht"));
  g_assert_cmpstr (built, ==, canonical);
  assert_round_trip (canonical);
}

/* A second dn, xl or kt has no field: it is kept as a param, so nothing is
 * lost; a second xl is not interpreted. */
static void
test_repeated_single_keys (void)
{
  static const char text[] =
    "magnet:?dn=one&xl=1&kt=a&dn=two&xl=not-a-number&kt=b";
  g_autoptr(ShoalMagnet) magnet = parse_ok (text);

  g_assert_cmpstr (magnet->display_name, ==, "one");
  g_assert_cmpuint (magnet->exact_length, ==, 1);
  g_assert_cmpstr (magnet->keyword_topic, ==, "a");
  g_assert_cmpuint (magnet->params->len, ==, 3);
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "dn"), ==, "two");
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "xl"), ==, "not-a-number");
  assert_round_trip (text);
}

static void
test_many_topics_and_sources (void)
{
  static const char text[] =
    "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
    "&xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&xs=http://1.2.3.4:6346/uri-res/N2R%3Furn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&xs=http://5.6.7.8:6347/uri-res/N2R%3Furn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
    "&as=http://example.com/GnutellaProtocol04.pdf"
    "&as=ftp://example.org/pub/g.pdf";
  g_autoptr(ShoalMagnet) magnet = parse_ok (text);

  g_assert_cmpuint (magnet->exact_topics->len, ==, 2);
  g_assert_true (magnet->has_sha1);
  g_assert_cmpmem (magnet->sha1, SHOAL_SHA1_SIZE, doc_sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpuint (magnet->exact_sources->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (magnet->acceptable_sources, 1), ==,
                   "ftp://example.org/pub/g.pdf");
  assert_round_trip (text);
}

/* A SHA-1 set beside a topic that already names it is not written twice;
 * one naming another SHA-1 does not hide it. */
static void
test_build_sha1_topic_once (void)
{
  g_autoptr(ShoalMagnet) named = shoal_magnet_new ();
  g_autoptr(ShoalMagnet) other = shoal_magnet_new ();
  g_autofree char *named_built = NULL;
  g_autofree char *other_built = NULL;

  named->has_sha1 = TRUE;
  memcpy (named->sha1, doc_sha1, SHOAL_SHA1_SIZE);
  g_ptr_array_add (named->exact_topics,
                   g_strdup ("urn:sha1:plsthipqgsszts5fjupakuzwugyqypfb"));
  named_built = shoal_magnet_to_string (named);
  g_assert_cmpstr (named_built, ==,
                   "magnet:?xt=urn:sha1:plsthipqgsszts5fjupakuzwugyqypfb");

  other->has_sha1 = TRUE;
  memcpy (other->sha1, doc_sha1, SHOAL_SHA1_SIZE);
  g_ptr_array_add (other->exact_topics, g_strdup (bitprint));
  other_built = shoal_magnet_to_string (other);
  g_assert_cmpstr (other_built, ==,
                   "magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
                   "&xt=urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                   "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVRA");
}

static void
test_add_param (void)
{
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();
  g_autofree char *built = NULL;

  shoal_magnet_add_param (magnet, "x.guid", "8DAEAC0931029213");
  shoal_magnet_add_param (magnet, "x.dht", "1");
  built = shoal_magnet_to_string (magnet);
  g_assert_cmpstr (built, ==, "magnet:?x.guid=8DAEAC0931029213&x.dht=1");
  g_assert_cmpstr (shoal_magnet_get_param (magnet, "x.dht"), ==, "1");
}

static void
test_empty_pieces_skipped (void)
{
  g_autoptr(ShoalMagnet) magnet = parse_ok (
    "magnet:?&&xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB&&dn=&xl=0&");
  g_autofree char *built = shoal_magnet_to_string (magnet);

  g_assert_true (magnet->has_sha1);
  g_assert_cmpstr (magnet->display_name, ==, "");
  g_assert_true (magnet->has_exact_length);
  g_assert_cmpuint (magnet->exact_length, ==, 0);
  g_assert_cmpstr (built, ==,
                   "magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB&dn=&xl=0");
}

static void
test_exact_length_limits (void)
{
  g_autoptr(ShoalMagnet) largest = parse_ok ("magnet:?xl=18446744073709551615");
  g_autoptr(ShoalMagnet) zeros = parse_ok ("magnet:?xl=000123");

  g_assert_cmpuint (largest->exact_length, ==, G_MAXUINT64);
  assert_round_trip ("magnet:?xl=18446744073709551615");
  g_assert_cmpuint (zeros->exact_length, ==, 123);
}

/* The file a captured query hit offers, as a magnet: name, size and SHA-1
 * come from queryhit_marmalade_via_up_to_probe.bin. */
static void
test_vector_query_hit_magnet (void)
{
  g_autoptr(GBytes) hit = shoal_test_load_vector ("queryhit_marmalade_via_up_to_probe.bin");
  gsize size;
  const guint8 *data = g_bytes_get_data (hit, &size);
  /* Record at 0x22: le32 index, le32 size, name NUL, URN 0x1C. */
  const guint8 *record = data + 0x22;
  const char *name = (const char *) record + 8;
  const char *urn = name + strlen ("marmalade_harpsichord_sonata.txt") + 1;
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();
  g_autoptr(ShoalMagnet) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *built = NULL;

  g_assert_cmpuint (size, >, 0x22 + 8 + 33 + SHOAL_URN_SHA1_LENGTH);
  g_assert_cmpmem (name, 33, "marmalade_harpsichord_sonata.txt", 33);
  g_assert_cmpint (urn[SHOAL_URN_SHA1_LENGTH], ==, 0x1c);

  magnet->display_name = g_strdup (name);
  magnet->has_exact_length = TRUE;
  magnet->exact_length = record[4] | record[5] << 8 | record[6] << 16
                         | (guint32) record[7] << 24;
  g_assert_true (shoal_urn_parse_sha1 (urn, SHOAL_URN_SHA1_LENGTH,
                                       magnet->sha1, &error));
  g_assert_no_error (error);
  magnet->has_sha1 = TRUE;

  built = shoal_magnet_to_string (magnet);
  g_assert_cmpstr (built, ==,
                   "magnet:?xt=urn:sha1:YUBFLJ445UUEWICOR4IDG5CUYWN5LFHR"
                   "&dn=marmalade_harpsichord_sonata.txt&xl=2200");
  parsed = parse_ok (built);
  g_assert_cmpmem (parsed->sha1, SHOAL_SHA1_SIZE, magnet->sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpuint (parsed->exact_length, ==, 2200);
}

static void
test_reject_wrong_scheme (void)
{
  assert_malformed ("");
  assert_malformed ("magnet");
  assert_malformed ("magnet:");
  assert_malformed ("magnet:xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_malformed ("magnet?:xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_malformed (" magnet:?dn=x");
  assert_malformed ("http://1.2.3.4:6346/uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
  assert_malformed ("urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
}

static void
test_reject_bad_percent_escape (void)
{
  assert_malformed ("magnet:?dn=50%");
  assert_malformed ("magnet:?dn=50%4");
  assert_malformed ("magnet:?dn=%G1");
  assert_malformed ("magnet:?dn=%1G");
  assert_malformed ("magnet:?dn=%%41");
  assert_malformed ("magnet:?dn=% 41");
  assert_malformed ("magnet:?d%n=x");
}

static void
test_reject_nul (void)
{
  static const char raw[] = "magnet:?dn=a\0b";

  assert_malformed ("magnet:?dn=a%00b");
  assert_malformed ("magnet:?x%00=1");
  assert_parse_fails (raw, sizeof raw - 1, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_reject_invalid_utf8 (void)
{
  assert_malformed ("magnet:?dn=%C3");          /* truncated sequence */
  assert_malformed ("magnet:?dn=%FF%FE");       /* never valid */
  assert_malformed ("magnet:?dn=%C0%AF");       /* overlong '/' */
  assert_malformed ("magnet:?dn=%ED%A0%80");    /* UTF-16 surrogate */
  assert_malformed ("magnet:?dn=Caf\xe9");      /* raw Latin-1 */
  assert_malformed ("magnet:?x.vndr=%E9");      /* in an unknown key's value */
  assert_malformed ("magnet:?%E9=1");           /* in a key */
}

static void
test_reject_bad_exact_length (void)
{
  assert_malformed ("magnet:?xl=");
  assert_malformed ("magnet:?xl=12a");
  assert_malformed ("magnet:?xl=-1");
  assert_malformed ("magnet:?xl=%2B1");
  assert_malformed ("magnet:?xl=+1");
  assert_malformed ("magnet:?xl=1.5");
  assert_malformed ("magnet:?xl=0x10");
  assert_malformed ("magnet:?xl=18446744073709551616");
  assert_malformed ("magnet:?xl=99999999999999999999999");
  assert_malformed ("magnet:?xl.1=abc");
}

static void
test_reject_bad_sha1_topic (void)
{
  assert_malformed ("magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF");
  assert_malformed ("magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFBA");
  assert_malformed ("magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPF1");
  assert_malformed ("magnet:?xt=URN:SHA1:");
  assert_malformed ("magnet:?xt=urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4."
                    "MEQ5ZK4BDMYRLONFSOAUCHD22ON2LDJCD6RWVR");
  assert_malformed ("magnet:?xt=urn:bitprint:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4");
  /* A good SHA-1 first does not excuse a bad one later. */
  assert_malformed ("magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
                    "&xt.2=urn:sha1:PLSTH");
}

static void
test_reject_pair_without_equals (void)
{
  assert_malformed ("magnet:?xt");
  assert_malformed ("magnet:?dn=x&urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB");
}

static void
test_length_limit (void)
{
  g_autoptr(GString) text = g_string_new ("magnet:?dn=");
  g_autoptr(ShoalMagnet) magnet = NULL;
  g_autoptr(GError) error = NULL;

  while (text->len < SHOAL_MAGNET_MAX_LENGTH)
    g_string_append_c (text, 'a');
  magnet = shoal_magnet_parse (text->str, text->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (magnet->display_name), ==,
                    SHOAL_MAGNET_MAX_LENGTH - strlen ("magnet:?dn="));

  g_string_append_c (text, 'a');
  assert_parse_fails (text->str, text->len, SHOAL_PROTO_ERROR_TOO_LARGE);
}

static void
test_error_messages_say_where (void)
{
  static const char text[] = "magnet:?dn=ok&xl=12a";
  static const char escape[] = "magnet:?dn=50%4";
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) escape_error = NULL;
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_parse (text, strlen (text), &error);
  g_autoptr(ShoalMagnet) escaped = shoal_magnet_parse (escape, strlen (escape),
                                                       &escape_error);

  g_assert_null (magnet);
  g_assert_cmpstr (error->message, ==,
                   "magnet parameter at byte 14: xl is not a decimal number: "
                   "byte 2 is not a digit");
  g_assert_null (escaped);
  g_assert_cmpstr (escape_error->message, ==,
                   "magnet parameter at byte 8: value has a bad percent escape "
                   "at byte 2 (needs %XX with two hex digits)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/magnet/doc-example/parse", test_doc_example_parse);
  g_test_add_func ("/magnet/doc-example/round-trip", test_doc_example_round_trip);
  g_test_add_func ("/magnet/doc-example/build", test_doc_example_build);
  g_test_add_func ("/magnet/empty", test_empty_magnet);
  g_test_add_func ("/magnet/exact-source", test_exact_source);
  g_test_add_func ("/magnet/unescaped-source", test_unescaped_source_accepted);
  g_test_add_func ("/magnet/names/utf8-and-spaces", test_names_with_spaces_and_utf8);
  g_test_add_func ("/magnet/names/decoding-variants", test_decoding_variants);
  g_test_add_func ("/magnet/names/reserved-characters",
                   test_encoding_reserved_characters);
  g_test_add_func ("/magnet/scheme-any-case", test_scheme_any_case);
  g_test_add_func ("/magnet/indexed-keys", test_indexed_keys);
  g_test_add_func ("/magnet/gtkg-private-keys", test_gtkg_private_keys);
  g_test_add_func ("/magnet/repeated-single-keys", test_repeated_single_keys);
  g_test_add_func ("/magnet/many-topics-and-sources", test_many_topics_and_sources);
  g_test_add_func ("/magnet/build/sha1-topic-once", test_build_sha1_topic_once);
  g_test_add_func ("/magnet/build/add-param", test_add_param);
  g_test_add_func ("/magnet/empty-pieces", test_empty_pieces_skipped);
  g_test_add_func ("/magnet/exact-length-limits", test_exact_length_limits);
  g_test_add_func ("/magnet/vector/query-hit", test_vector_query_hit_magnet);
  g_test_add_func ("/magnet/malformed/scheme", test_reject_wrong_scheme);
  g_test_add_func ("/magnet/malformed/percent-escape", test_reject_bad_percent_escape);
  g_test_add_func ("/magnet/malformed/nul", test_reject_nul);
  g_test_add_func ("/magnet/malformed/utf8", test_reject_invalid_utf8);
  g_test_add_func ("/magnet/malformed/exact-length", test_reject_bad_exact_length);
  g_test_add_func ("/magnet/malformed/sha1-topic", test_reject_bad_sha1_topic);
  g_test_add_func ("/magnet/malformed/no-equals", test_reject_pair_without_equals);
  g_test_add_func ("/magnet/malformed/too-long", test_length_limit);
  g_test_add_func ("/magnet/malformed/messages", test_error_messages_say_where);

  return g_test_run ();
}
