/* test-pong.c — the ultrapeer's captured pongs, the GGEP metadata readers
 * and builders, and every way a pong payload can be wrong. */
#include "shoal-message-header.h"
#include "shoal-ping.h"
#include "shoal-pong.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"
#include "shoal-vendor.h"

#include <string.h>

#define LOCALHOST 0x7f000001u
#define ULTRAPEER_A_PORT 16341

/* The payload after the 23-byte header of vector @name. */
static ShoalPong *
parse_bytes (const guint8 *data,
             gsize         length)
{
  g_autoptr(GError) error = NULL;
  ShoalPong *pong = shoal_pong_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (pong);
  return pong;
}

static void
assert_writes (const ShoalPong *pong,
               const guint8    *expected,
               gsize            length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_pong_write (pong, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len, expected, length);
}

/* A pong whose GGEP block is exactly @block (14 fixed bytes first). */
static ShoalPong *
pong_with_block (const guint8 *block,
                 gsize         length)
{
  static const guint8 fixed[SHOAL_PONG_FIXED_SIZE] = { 0 };
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  g_byte_array_append (payload, fixed, sizeof fixed);
  g_byte_array_append (payload, block, (guint) length);
  return parse_bytes (payload->data, payload->len);
}

/* Checks what the ultrapeer A says of itself in every captured pong:
 * 127.0.0.1:16341, 1 file of 8 KiB, VC GTKG, UP 2/255 leaves/50 UPs, and
 * the daily uptime @uptime. */
static void
assert_ultrapeer_a (const ShoalPong *pong,
                    guint32          uptime)
{
  g_autoptr(GError) error = NULL;
  ShoalPongUltrapeer ultrapeer;
  guint32 vendor, seconds;
  guint8 version;
  g_autoptr(GArray) hosts = NULL;
  g_autofree char *locale = NULL;
  guint8 guess;

  g_assert_cmphex (pong->endpoint.address, ==, LOCALHOST);
  g_assert_cmpuint (pong->endpoint.port, ==, ULTRAPEER_A_PORT);
  g_assert_cmpuint (pong->files, ==, 1);
  g_assert_cmpuint (pong->kbytes, ==, 8);

  g_assert_nonnull (pong->ggep);
  g_assert_cmpuint (shoal_ggep_count (pong->ggep), ==, 3);
  g_assert_cmpstr (shoal_ggep_get (pong->ggep, 0)->id, ==, "VC");
  g_assert_cmpstr (shoal_ggep_get (pong->ggep, 1)->id, ==, "UP");
  g_assert_cmpstr (shoal_ggep_get (pong->ggep, 2)->id, ==, "DU");

  g_assert_true (shoal_pong_get_vendor (pong, &vendor, &version, &error));
  g_assert_cmphex (vendor, ==, SHOAL_VENDOR_GTKG);
  g_assert_cmphex (version, ==, 0x83);
  g_assert_true (shoal_pong_get_ultrapeer (pong, &ultrapeer, &error));
  g_assert_cmpuint (ultrapeer.version, ==, 2);
  g_assert_cmpuint (ultrapeer.free_leaf_slots, ==, 255);
  g_assert_cmpuint (ultrapeer.free_ultrapeer_slots, ==, 50);
  g_assert_true (shoal_pong_get_daily_uptime (pong, &seconds, &error));
  g_assert_cmpuint (seconds, ==, uptime);

  /* Absent extensions: FALSE and no error. */
  g_assert_false (shoal_pong_get_locale (pong, &locale, &error));
  g_assert_false (shoal_pong_get_guess (pong, &guess, &error));
  g_assert_false (shoal_pong_get_packed_hosts (pong, &hosts, &error));
  g_assert_no_error (error);
  g_assert_null (locale);
  g_assert_null (hosts);
}

static void
test_vector_reply_to_leaf (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("pong_gtkg_up_reply_to_leaf.bin",
                                                       SHOAL_MESSAGE_PONG, &header);
  g_autoptr(ShoalPong) pong = parse_bytes (g_bytes_get_data (payload, NULL),
                                           g_bytes_get_size (payload));

  g_assert_cmpuint (g_bytes_get_size (payload), ==, 36);
  assert_ultrapeer_a (pong, 2);
  assert_writes (pong, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
test_vector_reply_to_probe (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("pong_gtkg_up_reply_to_probe_ping_ttl1.bin",
                                                       SHOAL_MESSAGE_PONG, &header);
  g_autoptr(ShoalPong) pong = parse_bytes (g_bytes_get_data (payload, NULL),
                                           g_bytes_get_size (payload));
  g_autoptr(GBytes) ping = shoal_test_load_vector ("ping_probe_ttl1_empty.bin");

  /* The alive ping's answer carries the ping's GUID. */
  g_assert_cmpmem (header.guid.bytes, SHOAL_GUID_SIZE,
                   g_bytes_get_data (ping, NULL), SHOAL_GUID_SIZE);
  assert_ultrapeer_a (pong, 4);
  assert_writes (pong, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
test_vector_probe_session (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("probe-session/rx_01_PONG.bin",
                                                       SHOAL_MESSAGE_PONG, &header);
  g_autoptr(ShoalPong) pong = parse_bytes (g_bytes_get_data (payload, NULL),
                                           g_bytes_get_size (payload));

  assert_ultrapeer_a (pong, 28);
  assert_writes (pong, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
test_vector_session_pongs (void)
{
  g_autofree char *dir_path = shoal_test_vector_path ("session-plain");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint seen = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *relative = NULL;
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(ShoalPong) pong = NULL;
      ShoalMessageHeader header;

      if (!g_str_has_suffix (name, "_pong.bin"))
        continue;
      relative = g_build_filename ("session-plain", name, NULL);
      payload = shoal_test_load_payload (relative, SHOAL_MESSAGE_PONG, &header);
      pong = parse_bytes (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
      /* s04 is the probe's link: its pong came later, uptime 4 s. */
      assert_ultrapeer_a (pong, g_str_has_prefix (name, "s04_") ? 4 : 2);
      assert_writes (pong, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
      seen++;
    }
  g_assert_cmpuint (seen, ==, 5);
}

static void
test_build_like_gtkg (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("pong_gtkg_up_reply_to_leaf.bin",
                                                       SHOAL_MESSAGE_PONG, &header);
  ShoalIpv4Endpoint endpoint = { LOCALHOST, ULTRAPEER_A_PORT };
  ShoalPongUltrapeer ultrapeer = { 2, 255, 50 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 1, 8);

  shoal_pong_add_vendor (pong, SHOAL_VENDOR_GTKG, 0x83);
  shoal_pong_add_ultrapeer (pong, &ultrapeer);
  shoal_pong_add_daily_uptime (pong, 2);
  assert_writes (pong, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
test_build_fixed_only (void)
{
  static const guint8 expected[] = {
    0xca, 0x18,              /* port 6346 */
    0xc0, 0xa8, 0x01, 0x02,  /* 192.168.1.2 */
    0x10, 0x00, 0x00, 0x00,  /* 16 files */
    0x00, 0x04, 0x00, 0x00,  /* 1024 KiB */
  };
  ShoalIpv4Endpoint endpoint = { 0xc0a80102, 6346 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 16, 1024);
  g_autoptr(ShoalPong) parsed = NULL;

  assert_writes (pong, expected, sizeof expected);
  parsed = parse_bytes (expected, sizeof expected);
  g_assert_null (parsed->ggep);
  g_assert_cmphex (parsed->endpoint.address, ==, 0xc0a80102);
  g_assert_cmpuint (parsed->endpoint.port, ==, 6346);
  g_assert_cmpuint (parsed->files, ==, 16);
  g_assert_cmpuint (parsed->kbytes, ==, 1024);
}

/* Writes @pong and parses the bytes back. */
static ShoalPong *
reparse (const ShoalPong *pong)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_assert_true (shoal_pong_write (pong, out, NULL));
  return parse_bytes (out->data, out->len);
}

static void
test_daily_uptime (void)
{
  ShoalIpv4Endpoint endpoint = { LOCALHOST, 1 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 0, 0);
  g_autoptr(ShoalPong) parsed = NULL;
  const ShoalGgepExtension *du;
  static const guint8 capped[] = { 0x80, 0x51, 0x01 };  /* 86400 */
  guint32 seconds;

  shoal_pong_add_daily_uptime (pong, 100000);
  parsed = reparse (pong);
  du = shoal_ggep_find (parsed->ggep, "DU");
  g_assert_cmpmem (g_bytes_get_data (du->data, NULL), g_bytes_get_size (du->data),
                   capped, sizeof capped);
  g_assert_true (shoal_pong_get_daily_uptime (parsed, &seconds, NULL));
  g_assert_cmpuint (seconds, ==, SHOAL_PONG_MAX_DAILY_UPTIME);

  /* gtk-gnutella's vlint of 0 is no bytes at all. */
  g_clear_pointer (&pong, shoal_pong_free);
  g_clear_pointer (&parsed, shoal_pong_free);
  pong = shoal_pong_new (&endpoint, 0, 0);
  shoal_pong_add_daily_uptime (pong, 0);
  parsed = reparse (pong);
  du = shoal_ggep_find (parsed->ggep, "DU");
  g_assert_cmpuint (g_bytes_get_size (du->data), ==, 0);
  seconds = 1;
  g_assert_true (shoal_pong_get_daily_uptime (parsed, &seconds, NULL));
  g_assert_cmpuint (seconds, ==, 0);
}

static void
test_daily_uptime_too_long (void)
{
  static const guint8 block[] = { 0xc3, 0x82, 'D', 'U', 0x45, 1, 2, 3, 4, 5 };
  g_autoptr(ShoalPong) pong = pong_with_block (block, sizeof block);
  g_autoptr(GError) error = NULL;
  guint32 seconds;

  g_assert_false (shoal_pong_get_daily_uptime (pong, &seconds, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_ultrapeer_short (void)
{
  static const guint8 block[] = { 0xc3, 0x82, 'U', 'P', 0x42, 2, 10 };
  g_autoptr(ShoalPong) pong = pong_with_block (block, sizeof block);
  g_autoptr(GError) error = NULL;
  ShoalPongUltrapeer ultrapeer;

  g_assert_false (shoal_pong_get_ultrapeer (pong, &ultrapeer, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_vendor_code_only (void)
{
  /* The version byte is optional; 3 bytes are not a vendor code. */
  static const guint8 four[] = { 0xc3, 0x82, 'V', 'C', 0x44, 'L', 'I', 'M', 'E' };
  static const guint8 three[] = { 0xc3, 0x82, 'V', 'C', 0x43, 'L', 'I', 'M' };
  g_autoptr(ShoalPong) pong = pong_with_block (four, sizeof four);
  g_autoptr(ShoalPong) short_pong = pong_with_block (three, sizeof three);
  g_autoptr(GError) error = NULL;
  guint32 vendor;
  guint8 version = 0xff;

  g_assert_true (shoal_pong_get_vendor (pong, &vendor, &version, &error));
  g_assert_cmphex (vendor, ==, SHOAL_VENDOR_LIME);
  g_assert_cmpuint (version, ==, 0);
  g_assert_false (shoal_pong_get_vendor (short_pong, &vendor, &version, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_locale (void)
{
  static const guint8 with_country[] = { 'e', 'n', '_', 'U', 'S' };
  ShoalIpv4Endpoint endpoint = { LOCALHOST, 1 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 0, 0);
  g_autoptr(ShoalPong) parsed = NULL;
  g_autofree char *locale = NULL;
  g_autofree char *language = NULL;
  const ShoalGgepExtension *loc;

  shoal_pong_add_locale (pong, "en", "US");
  parsed = reparse (pong);
  loc = shoal_ggep_find (parsed->ggep, "LOC");
  g_assert_cmpmem (g_bytes_get_data (loc->data, NULL), g_bytes_get_size (loc->data),
                   with_country, sizeof with_country);
  g_assert_true (shoal_pong_get_locale (parsed, &locale, NULL));
  g_assert_cmpstr (locale, ==, "en_US");

  g_clear_pointer (&pong, shoal_pong_free);
  g_clear_pointer (&parsed, shoal_pong_free);
  pong = shoal_pong_new (&endpoint, 0, 0);
  shoal_pong_add_locale (pong, "fr", NULL);
  parsed = reparse (pong);
  g_assert_true (shoal_pong_get_locale (parsed, &language, NULL));
  g_assert_cmpstr (language, ==, "fr");
}

static void
test_locale_malformed (void)
{
  static const guint8 one_letter[] = { 0xc3, 0x83, 'L', 'O', 'C', 0x41, 'e' };
  static const guint8 control[] = { 0xc3, 0x83, 'L', 'O', 'C', 0x43, 'e', 'n', '\n' };
  g_autoptr(ShoalPong) short_pong = pong_with_block (one_letter, sizeof one_letter);
  g_autoptr(ShoalPong) control_pong = pong_with_block (control, sizeof control);
  g_autoptr(GError) error = NULL;
  char *locale = NULL;

  g_assert_false (shoal_pong_get_locale (short_pong, &locale, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_false (shoal_pong_get_locale (control_pong, &locale, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_null (locale);
}

static void
test_guess (void)
{
  static const guint8 empty[] = { 0xc3, 0x83, 'G', 'U', 'E', 0x40 };
  ShoalIpv4Endpoint endpoint = { LOCALHOST, 1 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 0, 0);
  g_autoptr(ShoalPong) parsed = NULL;
  g_autoptr(ShoalPong) empty_pong = pong_with_block (empty, sizeof empty);
  guint8 version = 0;

  shoal_pong_add_guess (pong, 0x02);
  parsed = reparse (pong);
  g_assert_true (shoal_pong_get_guess (parsed, &version, NULL));
  g_assert_cmphex (version, ==, 0x02);
  /* No data: GUESS 0.1. */
  g_assert_true (shoal_pong_get_guess (empty_pong, &version, NULL));
  g_assert_cmphex (version, ==, SHOAL_PONG_GUESS_EMPTY_VERSION);
}

static void
test_packed_hosts (void)
{
  const ShoalIpv4Endpoint hosts[] = {
    { 0x7f000002, 16342 },
    { 0x0a000001, 6346 },
  };
  static const guint8 expected[] = {
    0x7f, 0x00, 0x00, 0x02, 0xd6, 0x3f,
    0x0a, 0x00, 0x00, 0x01, 0xca, 0x18,
  };
  ShoalIpv4Endpoint endpoint = { LOCALHOST, 1 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 0, 0);
  g_autoptr(ShoalPong) parsed = NULL;
  g_autoptr(GArray) unpacked = NULL;
  const ShoalGgepExtension *ipp;

  shoal_pong_add_packed_hosts (pong, hosts, G_N_ELEMENTS (hosts));
  parsed = reparse (pong);
  ipp = shoal_ggep_find (parsed->ggep, "IPP");
  /* Written plain even though the addresses hold NUL bytes. */
  g_assert_cmpuint (ipp->encoding, ==, SHOAL_GGEP_ENCODING_NONE);
  g_assert_cmpmem (g_bytes_get_data (ipp->data, NULL), g_bytes_get_size (ipp->data),
                   expected, sizeof expected);
  g_assert_true (shoal_pong_get_packed_hosts (parsed, &unpacked, NULL));
  g_assert_cmpuint (unpacked->len, ==, 2);
  g_assert_cmphex (g_array_index (unpacked, ShoalIpv4Endpoint, 0).address, ==, 0x7f000002);
  g_assert_cmpuint (g_array_index (unpacked, ShoalIpv4Endpoint, 0).port, ==, 16342);
  g_assert_cmphex (g_array_index (unpacked, ShoalIpv4Endpoint, 1).address, ==, 0x0a000001);
  g_assert_cmpuint (g_array_index (unpacked, ShoalIpv4Endpoint, 1).port, ==, 6346);
}

static void
test_packed_hosts_ragged (void)
{
  static const guint8 block[] = { 0xc3, 0x83, 'I', 'P', 'P', 0x47, 1, 2, 3, 4, 5, 6, 7 };
  g_autoptr(ShoalPong) pong = pong_with_block (block, sizeof block);
  g_autoptr(GError) error = NULL;
  GArray *hosts = NULL;

  g_assert_false (shoal_pong_get_packed_hosts (pong, &hosts, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_null (hosts);
}

static void
test_malformed_truncated (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("pong_gtkg_up_reply_to_leaf.bin",
                                                       SHOAL_MESSAGE_PONG, &header);
  const guint8 *data = g_bytes_get_data (payload, NULL);

  /* Every cut inside the fixed part: port, address, files, KiB. */
  for (gsize length = 0; length < SHOAL_PONG_FIXED_SIZE; length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_pong_parse (data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
  /* Every cut inside the GGEP block. */
  for (gsize length = SHOAL_PONG_FIXED_SIZE + 1; length < g_bytes_get_size (payload); length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_pong_parse (data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
}

static void
test_malformed_extra_bytes (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("pong_gtkg_up_reply_to_leaf.bin",
                                                       SHOAL_MESSAGE_PONG, &header);
  g_autoptr(GByteArray) junk = g_byte_array_new ();
  g_autoptr(GByteArray) after = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  /* 15 bytes: the extra byte is not a GGEP block. */
  g_byte_array_append (junk, g_bytes_get_data (payload, NULL), SHOAL_PONG_FIXED_SIZE);
  g_byte_array_append (junk, (const guint8 *) "\x00", 1);
  g_assert_null (shoal_pong_parse (junk->data, junk->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A valid block with a stray byte after it. */
  g_byte_array_append (after, g_bytes_get_data (payload, NULL),
                       (guint) g_bytes_get_size (payload));
  g_byte_array_append (after, (const guint8 *) "\x1c", 1);
  g_assert_null (shoal_pong_parse (after->data, after->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_ggep_size_limit (void)
{
  const gsize overhead = 5;  /* magic, flags, "X", 2 length bytes */
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autofree guint8 *filler = g_malloc0 (SHOAL_TRAILING_GGEP_MAX_SIZE);
  ShoalIpv4Endpoint endpoint = { LOCALHOST, 1 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, 0, 0);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) too_large = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalPong) largest = NULL;

  /* 1536 bytes of GGEP after the 14: accepted. */
  shoal_ggep_add (ggep, "X", filler, SHOAL_TRAILING_GGEP_MAX_SIZE - overhead,
                  SHOAL_GGEP_ENCODING_NONE);
  pong->ggep = g_steal_pointer (&ggep);
  g_assert_true (shoal_pong_write (pong, out, &error));
  g_assert_cmpuint (out->len, ==, SHOAL_PONG_FIXED_SIZE + SHOAL_TRAILING_GGEP_MAX_SIZE);
  largest = parse_bytes (out->data, out->len);

  /* One more byte: refused both ways. */
  shoal_ggep_add (pong->ggep, "Y", NULL, 0, SHOAL_GGEP_ENCODING_NONE);
  g_assert_false (shoal_pong_write (pong, too_large, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (too_large->len, ==, 0);
  g_clear_error (&error);
  g_byte_array_append (out, (const guint8 *) "\x00", 1);
  g_assert_null (shoal_pong_parse (out->data, out->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pong/vector/reply-to-leaf", test_vector_reply_to_leaf);
  g_test_add_func ("/pong/vector/reply-to-probe", test_vector_reply_to_probe);
  g_test_add_func ("/pong/vector/probe-session", test_vector_probe_session);
  g_test_add_func ("/pong/vector/session-plain", test_vector_session_pongs);
  g_test_add_func ("/pong/build/like-gtkg", test_build_like_gtkg);
  g_test_add_func ("/pong/build/fixed-only", test_build_fixed_only);
  g_test_add_func ("/pong/daily-uptime", test_daily_uptime);
  g_test_add_func ("/pong/daily-uptime-too-long", test_daily_uptime_too_long);
  g_test_add_func ("/pong/ultrapeer-short", test_ultrapeer_short);
  g_test_add_func ("/pong/vendor-code-only", test_vendor_code_only);
  g_test_add_func ("/pong/locale", test_locale);
  g_test_add_func ("/pong/locale-malformed", test_locale_malformed);
  g_test_add_func ("/pong/guess", test_guess);
  g_test_add_func ("/pong/packed-hosts", test_packed_hosts);
  g_test_add_func ("/pong/packed-hosts-ragged", test_packed_hosts_ragged);
  g_test_add_func ("/pong/malformed/truncated", test_malformed_truncated);
  g_test_add_func ("/pong/malformed/extra-bytes", test_malformed_extra_bytes);
  g_test_add_func ("/pong/ggep-size-limit", test_ggep_size_limit);
  return g_test_run ();
}
