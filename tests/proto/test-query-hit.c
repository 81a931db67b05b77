/* test-query-hit.c — the query hit payload: captured gtk-gnutella hits,
 * record and trailer accessors, builders against gtk-gnutella's bytes and
 * every malformed-input rule. */
#include "shoal-base32.h"
#include "shoal-message-header.h"
#include "shoal-proto-error.h"
#include "shoal-query-hit.h"
#include "shoal-test-vectors.h"

#include <string.h>

/* Leaf B's servent GUID, from its handshake; every captured hit is B's. */
#define LEAF_B_GUID "200b310283b9bf20b5d3d27ba19a6bd2"
#define LEAF_B_ADDRESS 0x7f000002  /* 127.0.0.2 */
#define LEAF_B_PORT 16342

#define MARMALADE_SHA1 "YUBFLJ445UUEWICOR4IDG5CUYWN5LFHR"
#define MARMALADE_TTH "51d9f72e3120f573cdc786d5c2db8e17e03958422d83f619"
#define OBSIDIAN_SHA1 "E52FITICBTOLIVR6RSIJENLBISDDVFCS"
#define OBSIDIAN_TTH "58dcf211083621160d2c7583ce5bb67aef4adca1a42827c7"
#define XYLOPHONE_SHA1 "NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4"
#define XYLOPHONE_TTH "6121dcab811b3115b9a59381411c7ad39ba58d221fa36ac4"
#define ZEBRAFISH_SHA1 "GJE2UZAXHDUIJYN6IVYM5CEJU3DRJI3Y"
#define ZEBRAFISH_TTH "a1ee032f67478ce992e4d1bdeafddf5807722bea72770e1e"
/* gtk-gnutella 1.2.3's GGEP "GTKGV" and record "CT" in the capture. */
#define GTKGV_BYTES "\x01\x01\x02\x03\x00\x65\xe3\xbd\x80\x00\x00\x00\x0e\x07\x05\xa3\x31\x00\x03"
#define CT_BYTES "\xbb\xa0\x0a\x66"

/* ---- helpers ---- */

static void
assert_writes (const ShoalQueryHit *hit,
               const guint8        *expected,
               gsize                expected_length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_query_hit_write (hit, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len, expected, expected_length);
}

static ShoalQueryHit *
parse_round_trip (const guint8 *data,
                  gsize         length)
{
  g_autoptr(GError) error = NULL;
  ShoalQueryHit *hit = shoal_query_hit_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hit);
  assert_writes (hit, data, length);
  return hit;
}

static ShoalQueryHit *
parse_vector (GBytes *payload)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (payload, &length);

  return parse_round_trip (data, length);
}

static void
assert_parse_fails (const guint8 *data,
                    gsize         length,
                    gint          code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQueryHit) hit = shoal_query_hit_parse (data, length, &error);

  g_assert_null (hit);
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
  g_test_message ("refused as expected: %s", error->message);
}

static void
hex_decode (const char *hex,
            guint8     *out,
            gsize       length)
{
  g_assert_cmpuint (strlen (hex), ==, 2 * length);
  for (gsize i = 0; i < length; i++)
    {
      char pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

      g_assert_true (g_ascii_isxdigit (pair[0]) && g_ascii_isxdigit (pair[1]));
      out[i] = (guint8) g_ascii_strtoull (pair, NULL, 16);
    }
}

static void
assert_record (const ShoalQueryHitRecord *record,
               guint32                    index,
               guint64                    size,
               const char                *name,
               const char                *sha1_base32,
               const char                *tth_hex)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) alts = NULL;
  g_autofree char *base32 = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  guint8 tth[SHOAL_TTH_SIZE], expected_tth[SHOAL_TTH_SIZE];
  guint64 file_size;

  g_assert_cmpuint (record->index, ==, index);
  g_assert_cmpstr (record->name, ==, name);
  g_assert_true (shoal_query_hit_record_get_file_size (record, &file_size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_size, ==, size);
  g_assert_true (shoal_query_hit_record_get_sha1 (record, sha1));
  base32 = shoal_base32_encode (sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpstr (base32, ==, sha1_base32);
  g_assert_true (shoal_query_hit_record_get_tth (record, tth));
  hex_decode (tth_hex, expected_tth, SHOAL_TTH_SIZE);
  g_assert_cmpmem (tth, sizeof tth, expected_tth, sizeof expected_tth);
  alts = shoal_query_hit_record_get_alt_locations (record, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alts->len, ==, 0);
}

/* What leaf B puts in every hit: its address, the GTKG trailer with
 * GTKGV and BH, its servent GUID. */
static void
assert_from_leaf_b (const ShoalQueryHit *hit)
{
  g_autofree char *guid = shoal_guid_to_hex (&hit->servent_guid);
  g_autoptr(GBytes) version = NULL;
  g_autoptr(GArray) proxies = NULL;
  g_autoptr(GError) error = NULL;
  const ShoalQueryHitTrailer *trailer = hit->trailer;

  g_assert_cmphex (hit->endpoint.address, ==, LEAF_B_ADDRESS);
  g_assert_cmpuint (hit->endpoint.port, ==, LEAF_B_PORT);
  g_assert_cmpstr (guid, ==, LEAF_B_GUID);
  g_assert_nonnull (trailer);
  g_assert_cmpstr (trailer->vendor, ==, "GTKG");
  g_assert_cmpuint (g_bytes_get_size (trailer->open_data), ==, 2);
  g_assert_true (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_GGEP));
  g_assert_false (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_BUSY));
  g_assert_nonnull (trailer->ggep);
  g_assert_cmpuint (shoal_ggep_count (trailer->ggep), ==, 2);
  g_assert_cmpstr (shoal_ggep_get (trailer->ggep, 0)->id, ==, "GTKGV");
  g_assert_cmpstr (shoal_ggep_get (trailer->ggep, 1)->id, ==, "BH");
  g_assert_true (shoal_query_hit_trailer_is_browsable (trailer));
  version = shoal_query_hit_trailer_get_gtkg_version (trailer);
  g_assert_nonnull (version);
  g_assert_cmpmem (g_bytes_get_data (version, NULL), g_bytes_get_size (version),
                   GTKGV_BYTES, sizeof GTKGV_BYTES - 1);
  proxies = shoal_query_hit_trailer_get_push_proxies (trailer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (proxies->len, ==, 0);
  g_assert_null (shoal_query_hit_trailer_get_hostname (trailer));
}

static ShoalGuid
leaf_b_guid (void)
{
  g_autoptr(GError) error = NULL;
  ShoalGuid guid;

  g_assert_true (shoal_guid_from_hex (LEAF_B_GUID, -1, &guid, &error));
  g_assert_no_error (error);
  return guid;
}

static void
sha1_from_base32 (const char *base32,
                  guint8      sha1[SHOAL_SHA1_SIZE])
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_base32_decode (base32, SHOAL_SHA1_BASE32_LENGTH,
                                      sha1, SHOAL_SHA1_SIZE, &error));
  g_assert_no_error (error);
}

/* ---- captured hits ---- */

static void
test_vector_obsidian_leaf (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("queryhit_gtkg_leaf_obsidian_to_up.bin",
                                                       SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = parse_vector (payload);
  const ShoalQueryHitRecord *record;
  const ShoalExtensionItem *item;

  g_assert_cmpuint (hit->records->len, ==, 1);
  g_assert_cmpuint (hit->speed, ==, 16);
  record = g_ptr_array_index (hit->records, 0);
  assert_record (record, 2, 31, "obsidian_tortoise_almanac.txt", OBSIDIAN_SHA1, OBSIDIAN_TTH);
  /* The query had flag 0x0800: one GGEP block, "H" as a bitprint, "CT". */
  g_assert_cmpuint (record->extensions->items->len, ==, 1);
  item = g_ptr_array_index (record->extensions->items, 0);
  g_assert_cmpint (item->kind, ==, SHOAL_EXTENSION_GGEP);
  g_assert_cmpuint (shoal_ggep_count (item->ggep), ==, 2);
  g_assert_cmpstr (shoal_ggep_get (item->ggep, 0)->id, ==, "H");
  g_assert_cmpuint (g_bytes_get_size (shoal_ggep_get (item->ggep, 0)->data), ==, 45);
  g_assert_cmpstr (shoal_ggep_get (item->ggep, 1)->id, ==, "CT");
  assert_from_leaf_b (hit);
  g_assert_false (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
  g_assert_false (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_UPLOADED));
}

static void
test_vector_obsidian_forwarded (void)
{
  g_autoptr(GBytes) original = shoal_test_load_payload ("queryhit_gtkg_leaf_obsidian_to_up.bin",
                                                        SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(GBytes) forwarded =
    shoal_test_load_payload ("queryhit_gtkg_up_forwarded_obsidian_to_leaf.bin",
                             SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = parse_vector (forwarded);

  g_assert_true (g_bytes_equal (original, forwarded));
  assert_record (g_ptr_array_index (hit->records, 0), 2, 31,
                 "obsidian_tortoise_almanac.txt", OBSIDIAN_SHA1, OBSIDIAN_TTH);
  assert_from_leaf_b (hit);
}

static void
test_vector_marmalade (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("queryhit_marmalade_via_up_to_probe.bin",
                                                       SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = parse_vector (payload);
  const ShoalQueryHitRecord *record;
  const ShoalExtensionItem *urn;

  g_assert_cmpuint (hit->records->len, ==, 1);
  record = g_ptr_array_index (hit->records, 0);
  assert_record (record, 1, 2200, "marmalade_harpsichord_sonata.txt",
                 MARMALADE_SHA1, MARMALADE_TTH);
  /* The probe's query lacked 0x0800: URN text, 0x1C, GGEP "TT" and "CT". */
  g_assert_cmpuint (record->extensions->items->len, ==, 2);
  urn = g_ptr_array_index (record->extensions->items, 0);
  g_assert_cmpint (urn->kind, ==, SHOAL_EXTENSION_TEXT);
  g_assert_cmpint (urn->separator, ==, SHOAL_EXTENSION_SEPARATOR);
  assert_from_leaf_b (hit);
  /* Flag bytes 0x2D 0x21: leaf B was firewalled when it answered. */
  g_assert_true (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
}

static void
test_vector_probe_session (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("probe-session/rx_03_QUERYHIT.bin",
                                                       SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = parse_vector (payload);

  g_assert_cmpuint (hit->records->len, ==, 1);
  assert_record (g_ptr_array_index (hit->records, 0), 4, 76,
                 "zebrafish_quantum_lattice.txt", ZEBRAFISH_SHA1, ZEBRAFISH_TTH);
  assert_from_leaf_b (hit);
  /* Flag bytes 0x2C 0x29: not firewalled, has uploaded. */
  g_assert_false (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
  g_assert_true (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_UPLOADED));
}

static void
test_vector_browse_host (void)
{
  g_autoptr(GBytes) message = shoal_test_load_vector ("browse-host/browse_rx_00_QUERYHIT.bin");
  g_autoptr(GBytes) payload = shoal_test_load_payload ("browse-host/browse_rx_00_QUERYHIT.bin",
                                                       SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = parse_vector (payload);
  ShoalMessageHeader header;

  /* Browse-host hits answer no query: the message GUID is zero, the
   * servent GUID is not. */
  g_assert_true (shoal_message_header_parse (g_bytes_get_data (message, NULL),
                                             g_bytes_get_size (message), &header, NULL));
  g_assert_true (shoal_guid_is_zero (&header.guid));
  g_assert_cmpuint (hit->records->len, ==, 4);
  g_assert_cmpuint (hit->speed, ==, 256);
  assert_record (g_ptr_array_index (hit->records, 0), 1, 2200,
                 "marmalade_harpsichord_sonata.txt", MARMALADE_SHA1, MARMALADE_TTH);
  assert_record (g_ptr_array_index (hit->records, 1), 2, 31,
                 "obsidian_tortoise_almanac.txt", OBSIDIAN_SHA1, OBSIDIAN_TTH);
  /* This record's "TT" holds a 0x1C byte, which must not split the GGEP. */
  assert_record (g_ptr_array_index (hit->records, 2), 3, 5242880,
                 "xylophone_nebula_5MB.bin", XYLOPHONE_SHA1, XYLOPHONE_TTH);
  assert_record (g_ptr_array_index (hit->records, 3), 4, 76,
                 "zebrafish_quantum_lattice.txt", ZEBRAFISH_SHA1, ZEBRAFISH_TTH);
  assert_from_leaf_b (hit);
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
      g_autoptr(ShoalQueryHit) hit = NULL;
      const ShoalQueryHitRecord *record;
      guint8 sha1[SHOAL_SHA1_SIZE];

      if (!g_str_has_suffix (name, "_queryhit.bin"))
        continue;
      relative = g_build_filename ("session-plain", name, NULL);
      payload = shoal_test_load_payload (relative, SHOAL_MESSAGE_QUERY_HIT, NULL);
      hit = parse_vector (payload);
      g_assert_cmpuint (hit->records->len, ==, 1);
      record = g_ptr_array_index (hit->records, 0);
      g_assert_true (shoal_query_hit_record_get_sha1 (record, sha1));
      if (g_str_equal (record->name, "marmalade_harpsichord_sonata.txt"))
        assert_record (record, 1, 2200, record->name, MARMALADE_SHA1, MARMALADE_TTH);
      else
        assert_record (record, 2, 31, "obsidian_tortoise_almanac.txt",
                       OBSIDIAN_SHA1, OBSIDIAN_TTH);
      assert_from_leaf_b (hit);
      count++;
    }
  g_assert_cmpuint (count, ==, 4);
}

/* ---- trailer flags ---- */

/* Byte 1 says which bits are meaningful, byte 2 holds their values, but
 * for the push bit (0x01) the roles are swapped. Both readings come down
 * to: set only when the bit is set in both bytes. */
static void
test_trailer_flags (void)
{
  static const struct
  {
    guint8      byte1;
    guint8      byte2;
    guint8      flag;
    gboolean    set;
    const char *why;
  } rows[] = {
    { 0x01, 0x01, SHOAL_QUERY_HIT_FLAG_PUSH, TRUE, "push needed, and meaningful" },
    { 0x01, 0x00, SHOAL_QUERY_HIT_FLAG_PUSH, FALSE, "push value set, not meaningful" },
    { 0x00, 0x01, SHOAL_QUERY_HIT_FLAG_PUSH, FALSE, "push meaningful, value clear" },
    { 0x2c, 0x21, SHOAL_QUERY_HIT_FLAG_PUSH, FALSE, "gtk-gnutella, reachable" },
    { 0x2d, 0x21, SHOAL_QUERY_HIT_FLAG_PUSH, TRUE, "gtk-gnutella, firewalled" },
    { 0x04, 0x04, SHOAL_QUERY_HIT_FLAG_BUSY, TRUE, "busy, and meaningful" },
    { 0x04, 0x00, SHOAL_QUERY_HIT_FLAG_BUSY, FALSE, "busy meaningful, value clear" },
    { 0x00, 0x04, SHOAL_QUERY_HIT_FLAG_BUSY, FALSE, "busy value set, not meaningful" },
    { 0x2c, 0x25, SHOAL_QUERY_HIT_FLAG_BUSY, TRUE, "gtk-gnutella, busy" },
    { 0x08, 0x08, SHOAL_QUERY_HIT_FLAG_UPLOADED, TRUE, "has uploaded" },
    { 0x2c, 0x29, SHOAL_QUERY_HIT_FLAG_UPLOADED, TRUE, "gtk-gnutella, has uploaded" },
    { 0x2c, 0x21, SHOAL_QUERY_HIT_FLAG_UPLOADED, FALSE, "gtk-gnutella, no upload yet" },
    { 0x10, 0x10, SHOAL_QUERY_HIT_FLAG_MEASURED_SPEED, TRUE, "measured speed" },
    { 0x2c, 0x31, SHOAL_QUERY_HIT_FLAG_MEASURED_SPEED, FALSE, "speed bit not meaningful" },
    { 0x20, 0x20, SHOAL_QUERY_HIT_FLAG_GGEP, TRUE, "GGEP in the private area" },
    { 0x2c, 0x01, SHOAL_QUERY_HIT_FLAG_GGEP, FALSE, "GGEP meaningful, none" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      guint8 open[] = { rows[i].byte1, rows[i].byte2 };
      ShoalQueryHitTrailer trailer = { .open_data = g_bytes_new (open, sizeof open) };

      g_test_message ("%s: 0x%02x 0x%02x", rows[i].why, rows[i].byte1, rows[i].byte2);
      g_assert_cmpint (shoal_query_hit_trailer_has_flag (&trailer, rows[i].flag),
                       ==, rows[i].set);
      g_bytes_unref (trailer.open_data);
    }
}

/* An open area shorter than the two flag bytes carries no flags. */
static void
test_trailer_flags_short_open_area (void)
{
  static const guint8 open[] = { 0xff };
  ShoalQueryHitTrailer trailer = { .open_data = g_bytes_new_static (open, sizeof open) };

  g_assert_false (shoal_query_hit_trailer_has_flag (&trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
  g_assert_false (shoal_query_hit_trailer_has_flag (&trailer, SHOAL_QUERY_HIT_FLAG_GGEP));
  g_bytes_unref (trailer.open_data);
}

/* ---- hand-made hits ---- */

#define FIXED_PART "\x01" "\xd6\x3f" "\x7f\x00\x00\x02" "\x10\x00\x00\x00"
#define RECORD_ONE "\x02\x00\x00\x00" "\x1f\x00\x00\x00" "a.txt\0\0"
/* A GUID with a 0x00 inside: records must never read into it. */
#define GUID_BYTES "\x20\x0b\x31\x00\x83\xb9\xbf\x20\xb5\xd3\xd2\x7b\xa1\x9a\x6b\xd2"

#define HIT(bytes) (const guint8 *) (bytes), sizeof (bytes) - 1

static void
test_no_trailer (void)
{
  g_autoptr(ShoalQueryHit) hit = parse_round_trip (HIT (FIXED_PART RECORD_ONE GUID_BYTES));
  const ShoalQueryHitRecord *record = g_ptr_array_index (hit->records, 0);
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_assert_null (hit->trailer);
  g_assert_cmpstr (record->name, ==, "a.txt");
  g_assert_cmpuint (record->extensions->items->len, ==, 0);
  g_assert_false (shoal_query_hit_record_get_sha1 (record, sha1));
  g_assert_cmpuint (hit->servent_guid.bytes[3], ==, 0);
}

static void
test_trailer_ggep_after_other_bytes (void)
{
  /* Private area: two vendor bytes, then the GGEP block. */
  g_autoptr(ShoalQueryHit) hit =
    parse_round_trip (HIT (FIXED_PART RECORD_ONE "LIME\x02\x20\x20" "xy" "\xc3\x82" "BH\x40"
                           GUID_BYTES));

  g_assert_nonnull (hit->trailer->ggep);
  g_assert_true (shoal_query_hit_trailer_is_browsable (hit->trailer));
  g_assert_cmpuint (g_bytes_get_size (hit->trailer->private_data), ==, 7);
}

static void
test_trailer_private_without_ggep_flag (void)
{
  g_autoptr(ShoalQueryHit) hit =
    parse_round_trip (HIT (FIXED_PART RECORD_ONE "BEAR\x02\x2c\x01" "\xc3\x99junk"
                           GUID_BYTES));

  g_assert_null (hit->trailer->ggep);
  g_assert_false (shoal_query_hit_trailer_is_browsable (hit->trailer));
  g_assert_cmpuint (g_bytes_get_size (hit->trailer->private_data), ==, 6);
}

/* LimeWire's open size 4: the flag bytes, then a le16 XML size. */
static void
test_trailer_open_size_four (void)
{
  g_autoptr(ShoalQueryHit) hit =
    parse_round_trip (HIT (FIXED_PART RECORD_ONE "LIME\x04\x1c\x19\x00\x00" GUID_BYTES));

  g_assert_cmpstr (hit->trailer->vendor, ==, "LIME");
  g_assert_cmpuint (g_bytes_get_size (hit->trailer->open_data), ==, 4);
  g_assert_true (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_UPLOADED));
  g_assert_false (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
}

static void
test_trailer_push_proxies_and_hostname (void)
{
  static const ShoalIpv4Endpoint expected[] = {
    { 0x0a000001, 6346 }, { 0xc0a80102, 16341 },
  };
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autoptr(GByteArray) packed = g_byte_array_new ();
  g_autoptr(ShoalQueryHitTrailer) trailer = NULL;
  g_autoptr(GArray) proxies = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hostname = NULL;

  shoal_ipv4_endpoints_pack (expected, G_N_ELEMENTS (expected), packed);
  shoal_ggep_add (ggep, "PUSH", packed->data, packed->len, SHOAL_GGEP_ENCODING_NONE);
  shoal_ggep_add (ggep, "HNAME", (const guint8 *) "shoal.example.org", 17,
                  SHOAL_GGEP_ENCODING_NONE);
  trailer = shoal_query_hit_trailer_new (SHOAL_QUERY_HIT_VENDOR, SHOAL_QUERY_HIT_FLAG_PUSH,
                                         g_steal_pointer (&ggep), &error);
  g_assert_no_error (error);
  proxies = shoal_query_hit_trailer_get_push_proxies (trailer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (proxies->len, ==, 2);
  for (guint i = 0; i < proxies->len; i++)
    {
      g_assert_cmphex (g_array_index (proxies, ShoalIpv4Endpoint, i).address, ==,
                       expected[i].address);
      g_assert_cmpuint (g_array_index (proxies, ShoalIpv4Endpoint, i).port, ==,
                        expected[i].port);
    }
  hostname = shoal_query_hit_trailer_get_hostname (trailer);
  g_assert_cmpstr (hostname, ==, "shoal.example.org");
  g_assert_null (shoal_query_hit_trailer_get_gtkg_version (trailer));
}

static void
test_trailer_bad_push_proxies (void)
{
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autoptr(ShoalQueryHitTrailer) trailer = NULL;
  g_autoptr(GArray) proxies = NULL;
  g_autoptr(GError) error = NULL;

  shoal_ggep_add (ggep, "PUSH", (const guint8 *) "\x0a\x00\x00\x01\xca", 5,
                  SHOAL_GGEP_ENCODING_NONE);
  trailer = shoal_query_hit_trailer_new (SHOAL_QUERY_HIT_VENDOR, 0,
                                         g_steal_pointer (&ggep), &error);
  g_assert_no_error (error);
  proxies = shoal_query_hit_trailer_get_push_proxies (trailer, &error);
  g_assert_null (proxies);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

/* ---- malformed input, one rule each ---- */

static void
test_malformed_fixed_part_short (void)
{
  assert_parse_fails (HIT ("\x01\xd6\x3f\x7f\x00\x00\x02\x10\x00\x00"),
                      SHOAL_PROTO_ERROR_TRUNCATED);
  assert_parse_fails (NULL, 0, SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_malformed_no_records (void)
{
  assert_parse_fails (HIT ("\x00\xd6\x3f\x7f\x00\x00\x02\x10\x00\x00\x00" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_no_room_for_guid (void)
{
  /* The fixed part and 15 bytes: one short of a GUID. */
  assert_parse_fails (HIT (FIXED_PART "\x20\x0b\x31\x02\x83\xb9\xbf\x20\xb5\xd3\xd2\x7b\xa1\x9a\x6b"),
                      SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_malformed_name_without_nul (void)
{
  assert_parse_fails (HIT (FIXED_PART "\x02\x00\x00\x00" "\x1f\x00\x00\x00" "abcdefgh" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_area_without_nul (void)
{
  assert_parse_fails (HIT (FIXED_PART "\x02\x00\x00\x00" "\x1f\x00\x00\x00" "a\0urn:xy"
                           GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_bad_record_ggep (void)
{
  /* Reserved flag bit 0x10 set in the record's GGEP. */
  assert_parse_fails (HIT (FIXED_PART "\x02\x00\x00\x00" "\x1f\x00\x00\x00" "a\0"
                           "\xc3\x92" "CT\x40" "\0" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_fewer_records (void)
{
  /* Announces 2, holds 1 and nothing else before the GUID. */
  assert_parse_fails (HIT ("\x02\xd6\x3f\x7f\x00\x00\x02\x10\x00\x00\x00" RECORD_ONE GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
  /* Announces 2, and the 9 bytes after the first cannot be a record. */
  assert_parse_fails (HIT ("\x02\xd6\x3f\x7f\x00\x00\x02\x10\x00\x00\x00" RECORD_ONE
                           "\x03\x00\x00\x00\x04\x00\x00\x00\0" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_trailer_short (void)
{
  assert_parse_fails (HIT (FIXED_PART RECORD_ONE "GTKG\x02\x2c" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_open_size_past_end (void)
{
  assert_parse_fails (HIT (FIXED_PART RECORD_ONE "GTKG\x05\x2c\x21" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_ggep_flag_without_ggep (void)
{
  assert_parse_fails (HIT (FIXED_PART RECORD_ONE "GTKG\x02\x2c\x21" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
  assert_parse_fails (HIT (FIXED_PART RECORD_ONE "GTKG\x02\x2c\x21" "xyz" GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_ggep_flag_invalid_ggep (void)
{
  assert_parse_fails (HIT (FIXED_PART RECORD_ONE "GTKG\x02\x2c\x21" "\xc3\x92" "BH\x40"
                           GUID_BYTES),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_zero_guid (void)
{
  assert_parse_fails (HIT (FIXED_PART RECORD_ONE
                           "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
                      SHOAL_PROTO_ERROR_MALFORMED);
}

/* ---- builders ---- */

static GByteArray *
write_area (const ShoalQueryHitRecord *record)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_extensions_write (record->extensions, out, &error));
  g_assert_no_error (error);
  return out;
}

/* Appendix A: GGEP "H" without COBS when the 21 bytes hold no 0x00. */
static void
test_build_ggep_h_plain (void)
{
  static const guint8 expected[] =
    "\xc3\x81H\x55\x01" "\x27\x74\x54\x4d\x02\x0c\xdc\xb4\x56\x3e"
    "\x8c\x90\x92\x35\x61\x44\x86\x3a\x94\x52";
  g_autoptr(ShoalQueryHitRecord) record = NULL;
  g_autoptr(GByteArray) area = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  sha1_from_base32 (OBSIDIAN_SHA1, sha1);
  g_assert_cmpmem (sha1, sizeof sha1, expected + 5, SHOAL_SHA1_SIZE);
  record = shoal_query_hit_record_new (2, 31, "obsidian_tortoise_almanac.txt", sha1,
                                       SHOAL_QUERY_HIT_SHA1_GGEP_H);
  area = write_area (record);
  g_assert_cmpmem (area->data, area->len, expected, sizeof expected - 1);
}

/* Appendix A: with a 0x00 in the digest, COBS turns 21 bytes into 22. */
static void
test_build_ggep_h_cobs (void)
{
  static const guint8 sha1[SHOAL_SHA1_SIZE] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x00,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
  };
  static const guint8 expected[] = {
    0xc3, 0xc1, 'H', 0x56,
    0x0b, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
    0x0b, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
  };
  g_autoptr(ShoalQueryHitRecord) record = NULL;
  g_autoptr(GByteArray) area = NULL;
  guint8 read_back[SHOAL_SHA1_SIZE];

  record = shoal_query_hit_record_new (7, 1000, "zero.bin", sha1,
                                       SHOAL_QUERY_HIT_SHA1_GGEP_H);
  area = write_area (record);
  g_assert_cmpmem (area->data, area->len, expected, sizeof expected);
  g_assert_true (shoal_query_hit_record_get_sha1 (record, read_back));
  g_assert_cmpmem (read_back, sizeof read_back, sha1, sizeof sha1);
}

static void
test_build_urn_record (void)
{
  static const guint8 expected[] =
    "\x01\x00\x00\x00" "\x98\x08\x00\x00" "marmalade_harpsichord_sonata.txt\0"
    "urn:sha1:" MARMALADE_SHA1 "\x1c" "\0";
  g_autoptr(ShoalQueryHit) hit = NULL;
  ShoalIpv4Endpoint endpoint = { LEAF_B_ADDRESS, LEAF_B_PORT };
  ShoalGuid guid = leaf_b_guid ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  sha1_from_base32 (MARMALADE_SHA1, sha1);
  hit = shoal_query_hit_new (&endpoint, 16, &guid);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (1, 2200,
                                                               "marmalade_harpsichord_sonata.txt",
                                                               sha1, SHOAL_QUERY_HIT_SHA1_URN));
  g_assert_true (shoal_query_hit_write (hit, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, SHOAL_QUERY_HIT_FIXED_SIZE + sizeof expected - 1
                    + SHOAL_GUID_SIZE);
  g_assert_cmpmem (out->data + SHOAL_QUERY_HIT_FIXED_SIZE, sizeof expected - 1,
                   expected, sizeof expected - 1);
}

static ShoalQueryHitTrailer *
gtkg_trailer (guint flags)
{
  g_autoptr(GError) error = NULL;
  ShoalGgep *ggep = shoal_ggep_new ();
  ShoalQueryHitTrailer *trailer;

  shoal_ggep_add (ggep, "GTKGV", (const guint8 *) GTKGV_BYTES, sizeof GTKGV_BYTES - 1,
                  SHOAL_GGEP_ENCODING_NONE);
  shoal_ggep_add (ggep, "BH", NULL, 0, SHOAL_GGEP_ENCODING_NONE);
  trailer = shoal_query_hit_trailer_new ("GTKG", flags, ggep, &error);
  g_assert_no_error (error);
  return trailer;
}

static ShoalQueryHit *
leaf_b_hit (guint32 speed)
{
  ShoalIpv4Endpoint endpoint = { LEAF_B_ADDRESS, LEAF_B_PORT };
  ShoalGuid guid = leaf_b_guid ();

  return shoal_query_hit_new (&endpoint, speed, &guid);
}

/* Built from its parts, the obsidian hit is gtk-gnutella's byte for byte. */
static void
test_build_matches_obsidian_vector (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("queryhit_gtkg_leaf_obsidian_to_up.bin",
                                                       SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (16);
  ShoalQueryHitRecord *record;
  ShoalGgep *ggep;
  guint8 hash[45];

  record = shoal_query_hit_record_new (2, 31, "obsidian_tortoise_almanac.txt", NULL,
                                       SHOAL_QUERY_HIT_SHA1_GGEP_H);
  hash[0] = 0x02;
  sha1_from_base32 (OBSIDIAN_SHA1, hash + 1);
  hex_decode (OBSIDIAN_TTH, hash + 1 + SHOAL_SHA1_SIZE, SHOAL_TTH_SIZE);
  ggep = shoal_query_hit_record_ensure_ggep (record);
  shoal_ggep_add_nul_free (ggep, "H", hash, sizeof hash);
  shoal_ggep_add_nul_free (ggep, "CT", (const guint8 *) CT_BYTES, 4);
  shoal_query_hit_add_record (hit, record);
  shoal_query_hit_set_trailer (hit, gtkg_trailer (0));
  assert_writes (hit, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
test_build_matches_marmalade_vector (void)
{
  g_autoptr(GBytes) payload = shoal_test_load_payload ("queryhit_marmalade_via_up_to_probe.bin",
                                                       SHOAL_MESSAGE_QUERY_HIT, NULL);
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (16);
  ShoalQueryHitRecord *record;
  ShoalGgep *ggep;
  guint8 sha1[SHOAL_SHA1_SIZE], tth[SHOAL_TTH_SIZE];

  sha1_from_base32 (MARMALADE_SHA1, sha1);
  hex_decode (MARMALADE_TTH, tth, sizeof tth);
  record = shoal_query_hit_record_new (1, 2200, "marmalade_harpsichord_sonata.txt", sha1,
                                       SHOAL_QUERY_HIT_SHA1_URN);
  ggep = shoal_query_hit_record_ensure_ggep (record);
  shoal_ggep_add_nul_free (ggep, "TT", tth, sizeof tth);
  shoal_ggep_add_nul_free (ggep, "CT", (const guint8 *) CT_BYTES, 4);
  shoal_query_hit_add_record (hit, record);
  shoal_query_hit_set_trailer (hit, gtkg_trailer (SHOAL_QUERY_HIT_FLAG_PUSH));
  assert_writes (hit, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

/* Appendix A: "GTKG", open size 2, 0x2C, 0x21, then the GGEP block. */
static void
test_build_trailer_gtkg_layout (void)
{
  static const guint8 expected[] = "GTKG\x02\x2c\x21" "\xc3\x82" "BH\x40";
  g_autoptr(GError) error = NULL;
  ShoalGgep *ggep = shoal_ggep_new ();
  g_autoptr(ShoalQueryHitTrailer) trailer = NULL;
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (0);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize trailer_start;

  shoal_ggep_add (ggep, "BH", NULL, 0, SHOAL_GGEP_ENCODING_NONE);
  trailer = shoal_query_hit_trailer_new ("GTKG", 0, ggep, &error);
  g_assert_no_error (error);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (1, 1, "x", NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  shoal_query_hit_set_trailer (hit, g_steal_pointer (&trailer));
  g_assert_true (shoal_query_hit_write (hit, out, &error));
  g_assert_no_error (error);
  trailer_start = out->len - SHOAL_GUID_SIZE - (sizeof expected - 1);
  g_assert_cmpmem (out->data + trailer_start, sizeof expected - 1,
                   expected, sizeof expected - 1);
}

static void
test_build_trailer_our_vendor (void)
{
  static const guint8 expected_open[] = { 0x2d, 0x0d };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQueryHitTrailer) trailer =
    shoal_query_hit_trailer_new (NULL,
                                 SHOAL_QUERY_HIT_FLAG_PUSH | SHOAL_QUERY_HIT_FLAG_BUSY
                                 | SHOAL_QUERY_HIT_FLAG_UPLOADED,
                                 shoal_ggep_new (), &error);

  g_assert_no_error (error);
  /* No vendor given: ours. */
  g_assert_cmpstr (trailer->vendor, ==, "SHOL");
  g_assert_cmpmem (g_bytes_get_data (trailer->open_data, NULL),
                   g_bytes_get_size (trailer->open_data),
                   expected_open, sizeof expected_open);
  /* An empty GGEP block is no GGEP: nothing private, flag clear. */
  g_assert_null (trailer->ggep);
  g_assert_cmpuint (g_bytes_get_size (trailer->private_data), ==, 0);
  g_assert_true (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
  g_assert_true (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_BUSY));
  g_assert_true (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_UPLOADED));
  g_assert_false (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_GGEP));
}

/* Built, written, parsed back: every field survives. */
static void
test_build_round_trip (void)
{
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (320);
  g_autoptr(ShoalQueryHit) parsed = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  sha1_from_base32 (ZEBRAFISH_SHA1, sha1);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (4, 76, "zebrafish.txt", sha1,
                                                               SHOAL_QUERY_HIT_SHA1_GGEP_H));
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (9, 5, "n\xc3\xa9.txt", NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  shoal_query_hit_set_trailer (hit, gtkg_trailer (SHOAL_QUERY_HIT_FLAG_BUSY));
  g_assert_true (shoal_query_hit_write (hit, out, &error));
  g_assert_no_error (error);
  parsed = parse_round_trip (out->data, out->len);
  g_assert_cmpuint (parsed->records->len, ==, 2);
  g_assert_cmpuint (parsed->speed, ==, 320);
  g_assert_cmpstr (((ShoalQueryHitRecord *) g_ptr_array_index (parsed->records, 1))->name,
                   ==, "n\xc3\xa9.txt");
  g_assert_true (shoal_query_hit_trailer_has_flag (parsed->trailer, SHOAL_QUERY_HIT_FLAG_BUSY));
  g_assert_true (shoal_query_hit_trailer_is_browsable (parsed->trailer));
  g_assert_true (shoal_guid_equal (&parsed->servent_guid, &hit->servent_guid));
}

static void
assert_large_size (guint64  size,
                   gboolean in_lf)
{
  g_autoptr(ShoalQueryHitRecord) record =
    shoal_query_hit_record_new (1, size, "big.iso", NULL, SHOAL_QUERY_HIT_SHA1_URN);
  g_autoptr(GError) error = NULL;
  guint64 read_back = 0;

  g_assert_cmpuint (record->size, ==, in_lf ? SHOAL_QUERY_HIT_SIZE_IN_LF : size);
  g_assert_cmpint (shoal_extensions_find_ggep (record->extensions, "LF") != NULL, ==, in_lf);
  g_assert_true (shoal_query_hit_record_get_file_size (record, &read_back, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (read_back, ==, size);
}

static void
test_build_large_file (void)
{
  assert_large_size (G_GUINT64_CONSTANT (0x7fffffff), FALSE);
  assert_large_size (G_GUINT64_CONSTANT (0x80000000), TRUE);
  assert_large_size (G_GUINT64_CONSTANT (0xffffffff), TRUE);
  /* 5 GiB: vlint 00 00 00 40 01, so "LF" needs COBS inside the record. */
  assert_large_size (G_GUINT64_CONSTANT (5) << 30, TRUE);
}

static void
test_large_file_round_trip (void)
{
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (0);
  g_autoptr(ShoalQueryHit) parsed = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint64 size = 0;

  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (1, G_GUINT64_CONSTANT (5) << 30,
                                                               "big.iso", NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  g_assert_true (shoal_query_hit_write (hit, out, &error));
  g_assert_no_error (error);
  parsed = parse_round_trip (out->data, out->len);
  g_assert_true (shoal_query_hit_record_get_file_size (g_ptr_array_index (parsed->records, 0),
                                                       &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (5) << 30);
}

static void
test_bad_lf (void)
{
  static const guint8 zero[] = { 0x00 };
  static const guint8 nine[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  g_autoptr(ShoalQueryHitRecord) with_zero =
    shoal_query_hit_record_new (1, 10, "a", NULL, SHOAL_QUERY_HIT_SHA1_URN);
  g_autoptr(ShoalQueryHitRecord) with_nine =
    shoal_query_hit_record_new (1, 10, "a", NULL, SHOAL_QUERY_HIT_SHA1_URN);
  g_autoptr(GError) zero_error = NULL;
  g_autoptr(GError) nine_error = NULL;
  guint64 size;

  shoal_ggep_add_nul_free (shoal_query_hit_record_ensure_ggep (with_zero), "LF",
                           zero, sizeof zero);
  g_assert_false (shoal_query_hit_record_get_file_size (with_zero, &size, &zero_error));
  g_assert_error (zero_error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  shoal_ggep_add_nul_free (shoal_query_hit_record_ensure_ggep (with_nine), "LF",
                           nine, sizeof nine);
  g_assert_false (shoal_query_hit_record_get_file_size (with_nine, &size, &nine_error));
  g_assert_error (nine_error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_alt_locations (void)
{
  static const ShoalIpv4Endpoint expected[] = {
    { 0x01020304, 6346 }, { 0x7f000003, 16343 },
  };
  g_autoptr(ShoalQueryHitRecord) record =
    shoal_query_hit_record_new (1, 10, "a", NULL, SHOAL_QUERY_HIT_SHA1_URN);
  g_autoptr(GByteArray) packed = g_byte_array_new ();
  g_autoptr(GArray) alts = NULL;
  g_autoptr(GError) error = NULL;

  shoal_ipv4_endpoints_pack (expected, G_N_ELEMENTS (expected), packed);
  shoal_ggep_add_nul_free (shoal_query_hit_record_ensure_ggep (record), "ALT",
                           packed->data, packed->len);
  alts = shoal_query_hit_record_get_alt_locations (record, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alts->len, ==, 2);
  for (guint i = 0; i < alts->len; i++)
    {
      g_assert_cmphex (g_array_index (alts, ShoalIpv4Endpoint, i).address, ==,
                       expected[i].address);
      g_assert_cmpuint (g_array_index (alts, ShoalIpv4Endpoint, i).port, ==,
                        expected[i].port);
    }
}

static void
test_bad_alt_locations (void)
{
  g_autoptr(ShoalQueryHitRecord) record =
    shoal_query_hit_record_new (1, 10, "a", NULL, SHOAL_QUERY_HIT_SHA1_URN);
  g_autoptr(GArray) alts = NULL;
  g_autoptr(GError) error = NULL;

  shoal_ggep_add_nul_free (shoal_query_hit_record_ensure_ggep (record), "ALT",
                           (const guint8 *) "\x01\x02\x03\x04\xca\x18\x05", 7);
  alts = shoal_query_hit_record_get_alt_locations (record, &error);
  g_assert_null (alts);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_write_refuses_no_records (void)
{
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (0);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (shoal_query_hit_write (hit, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_cmpuint (out->len, ==, 0);
}

static void
test_write_refuses_too_many_records (void)
{
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (0);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i <= SHOAL_QUERY_HIT_MAX_RECORDS; i++)
    shoal_query_hit_add_record (hit, shoal_query_hit_record_new (i, 1, "f", NULL,
                                                                 SHOAL_QUERY_HIT_SHA1_URN));
  g_assert_false (shoal_query_hit_write (hit, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (out->len, ==, 0);
}

/* Record GGEP written without COBS around a 0x00 would end the area. */
static void
test_write_refuses_nul_in_area (void)
{
  g_autoptr(ShoalQueryHit) hit = leaf_b_hit (0);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  ShoalQueryHitRecord *record =
    shoal_query_hit_record_new (1, 10, "a", NULL, SHOAL_QUERY_HIT_SHA1_URN);

  shoal_ggep_add (shoal_query_hit_record_ensure_ggep (record), "CT",
                  (const guint8 *) "\x00\x01", 2, SHOAL_GGEP_ENCODING_NONE);
  shoal_query_hit_add_record (hit, record);
  g_byte_array_append (out, (const guint8 *) "keep", 4);
  g_assert_false (shoal_query_hit_write (hit, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_cmpmem (out->data, out->len, "keep", 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/query-hit/vector/obsidian-leaf", test_vector_obsidian_leaf);
  g_test_add_func ("/query-hit/vector/obsidian-forwarded", test_vector_obsidian_forwarded);
  g_test_add_func ("/query-hit/vector/marmalade", test_vector_marmalade);
  g_test_add_func ("/query-hit/vector/probe-session", test_vector_probe_session);
  g_test_add_func ("/query-hit/vector/browse-host", test_vector_browse_host);
  g_test_add_func ("/query-hit/vector/session-plain", test_vector_session_plain);
  g_test_add_func ("/query-hit/trailer/flags", test_trailer_flags);
  g_test_add_func ("/query-hit/trailer/flags-short-open-area", test_trailer_flags_short_open_area);
  g_test_add_func ("/query-hit/trailer/none", test_no_trailer);
  g_test_add_func ("/query-hit/trailer/ggep-after-other-bytes", test_trailer_ggep_after_other_bytes);
  g_test_add_func ("/query-hit/trailer/private-without-ggep-flag",
                   test_trailer_private_without_ggep_flag);
  g_test_add_func ("/query-hit/trailer/open-size-four", test_trailer_open_size_four);
  g_test_add_func ("/query-hit/trailer/push-proxies-and-hostname",
                   test_trailer_push_proxies_and_hostname);
  g_test_add_func ("/query-hit/trailer/bad-push-proxies", test_trailer_bad_push_proxies);
  g_test_add_func ("/query-hit/malformed/fixed-part-short", test_malformed_fixed_part_short);
  g_test_add_func ("/query-hit/malformed/no-records", test_malformed_no_records);
  g_test_add_func ("/query-hit/malformed/no-room-for-guid", test_malformed_no_room_for_guid);
  g_test_add_func ("/query-hit/malformed/name-without-nul", test_malformed_name_without_nul);
  g_test_add_func ("/query-hit/malformed/area-without-nul", test_malformed_area_without_nul);
  g_test_add_func ("/query-hit/malformed/bad-record-ggep", test_malformed_bad_record_ggep);
  g_test_add_func ("/query-hit/malformed/fewer-records", test_malformed_fewer_records);
  g_test_add_func ("/query-hit/malformed/trailer-short", test_malformed_trailer_short);
  g_test_add_func ("/query-hit/malformed/open-size-past-end", test_malformed_open_size_past_end);
  g_test_add_func ("/query-hit/malformed/ggep-flag-without-ggep",
                   test_malformed_ggep_flag_without_ggep);
  g_test_add_func ("/query-hit/malformed/ggep-flag-invalid-ggep",
                   test_malformed_ggep_flag_invalid_ggep);
  g_test_add_func ("/query-hit/malformed/zero-guid", test_malformed_zero_guid);
  g_test_add_func ("/query-hit/build/ggep-h-plain", test_build_ggep_h_plain);
  g_test_add_func ("/query-hit/build/ggep-h-cobs", test_build_ggep_h_cobs);
  g_test_add_func ("/query-hit/build/urn-record", test_build_urn_record);
  g_test_add_func ("/query-hit/build/matches-obsidian-vector", test_build_matches_obsidian_vector);
  g_test_add_func ("/query-hit/build/matches-marmalade-vector", test_build_matches_marmalade_vector);
  g_test_add_func ("/query-hit/build/trailer-gtkg-layout", test_build_trailer_gtkg_layout);
  g_test_add_func ("/query-hit/build/trailer-our-vendor", test_build_trailer_our_vendor);
  g_test_add_func ("/query-hit/build/round-trip", test_build_round_trip);
  g_test_add_func ("/query-hit/build/large-file", test_build_large_file);
  g_test_add_func ("/query-hit/build/large-file-round-trip", test_large_file_round_trip);
  g_test_add_func ("/query-hit/record/bad-lf", test_bad_lf);
  g_test_add_func ("/query-hit/record/alt-locations", test_alt_locations);
  g_test_add_func ("/query-hit/record/bad-alt-locations", test_bad_alt_locations);
  g_test_add_func ("/query-hit/write/no-records", test_write_refuses_no_records);
  g_test_add_func ("/query-hit/write/too-many-records", test_write_refuses_too_many_records);
  g_test_add_func ("/query-hit/write/nul-in-area", test_write_refuses_nul_in_area);

  return g_test_run ();
}
