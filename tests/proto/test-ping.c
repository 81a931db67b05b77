/* test-ping.c — pings from the capture, the GGEP tail rule they share with
 * pongs and pushes, and every way a ping payload can be wrong. */
#include "shoal-message-header.h"
#include "shoal-ping.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"

#include <string.h>

/* The payload after the 23-byte header of vector @name. */
static void
assert_round_trip (const ShoalPing *ping,
                   GBytes          *payload)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_ping_write (ping, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static ShoalPing *
parse_payload (GBytes *payload)
{
  g_autoptr(GError) error = NULL;
  ShoalPing *ping;

  ping = shoal_ping_parse (g_bytes_get_data (payload, NULL),
                           g_bytes_get_size (payload), &error);
  g_assert_no_error (error);
  g_assert_nonnull (ping);
  return ping;
}

/* A GGEP block of exactly @size bytes: one extension "X" of filler. */
static GByteArray *
ggep_block_of_size (gsize size)
{
  /* magic + flags + 1-byte ID + 2-byte length (data ≥ 64 bytes) */
  const gsize overhead = 5;
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autofree guint8 *filler = g_malloc (size - overhead);
  GByteArray *block = g_byte_array_new ();

  memset (filler, 'a', size - overhead);
  shoal_ggep_add (ggep, "X", filler, size - overhead, SHOAL_GGEP_ENCODING_NONE);
  g_assert_true (shoal_ggep_write (ggep, block, NULL));
  g_assert_cmpuint (block->len, ==, size);
  return block;
}

static void
test_vector_leaf_scp (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("ping_gtkg_leaf_ttl4_with_ggep.bin",
                                                       SHOAL_MESSAGE_PING, &header);
  g_autoptr(ShoalPing) ping = parse_payload (payload);
  const ShoalGgepExtension *scp;
  guint8 flags = 0xff;

  g_assert_cmpuint (header.ttl, ==, 4);
  g_assert_cmpuint (header.hops, ==, 0);
  g_assert_nonnull (ping->ggep);
  g_assert_cmpuint (shoal_ggep_count (ping->ggep), ==, 1);
  scp = shoal_ggep_get (ping->ggep, 0);
  g_assert_cmpstr (scp->id, ==, "SCP");
  g_assert_true (shoal_ping_get_scp (ping, &flags));
  /* A leaf without TLS: no SCP flag at all, but the byte is there. */
  g_assert_cmpuint (g_bytes_get_size (scp->data), ==, 1);
  g_assert_cmphex (flags, ==, 0);
  assert_round_trip (ping, payload);
}

static void
test_vector_probe_empty (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("ping_probe_ttl1_empty.bin",
                                                       SHOAL_MESSAGE_PING, &header);
  g_autoptr(ShoalPing) ping = parse_payload (payload);
  guint8 flags;

  g_assert_cmpuint (header.ttl, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (payload), ==, 0);
  g_assert_null (ping->ggep);
  g_assert_false (shoal_ping_get_scp (ping, &flags));
  assert_round_trip (ping, payload);
}

static void
test_vector_session_pings (void)
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
      g_autoptr(ShoalPing) ping = NULL;
      ShoalMessageHeader header;
      guint8 flags;

      if (!g_str_has_suffix (name, "_ping.bin"))
        continue;
      relative = g_build_filename ("session-plain", name, NULL);
      payload = shoal_test_load_payload (relative, SHOAL_MESSAGE_PING, &header);
      ping = parse_payload (payload);
      assert_round_trip (ping, payload);
      /* The leaves ping with TTL 4 and SCP; the probe with TTL 1, empty. */
      g_assert_cmpuint (shoal_ping_get_scp (ping, &flags), ==, header.ttl > 1);
      if (g_str_has_prefix (name, "s01_"))
        g_assert_cmphex (flags, ==, SHOAL_PING_SCP_TLS);
      seen++;
    }
  g_assert_cmpuint (seen, ==, 3);
}

static void
test_build_scp (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = shoal_test_load_payload ("ping_gtkg_leaf_ttl4_with_ggep.bin",
                                                       SHOAL_MESSAGE_PING, &header);
  g_autoptr(ShoalPing) ping = shoal_ping_new ();
  g_autoptr(ShoalPing) empty = shoal_ping_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 flags;

  /* What gtk-gnutella's leaf writes, byte for byte. */
  shoal_ping_add_scp (ping, 0);
  assert_round_trip (ping, payload);

  g_assert_true (shoal_ping_write (empty, out, NULL));
  g_assert_cmpuint (out->len, ==, 0);

  g_clear_pointer (&ping, shoal_ping_free);
  ping = shoal_ping_new ();
  shoal_ping_add_scp (ping, SHOAL_PING_SCP_ULTRA | SHOAL_PING_SCP_TLS);
  g_assert_true (shoal_ping_get_scp (ping, &flags));
  g_assert_cmphex (flags, ==, 0x03);
}

static void
test_scp_without_flags (void)
{
  /* "SCP" with no data: the flags byte is optional. */
  static const guint8 data[] = { 0xc3, 0x83, 'S', 'C', 'P', 0x40 };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalPing) ping = shoal_ping_parse (data, sizeof data, &error);
  guint8 flags = 0xff;

  g_assert_no_error (error);
  g_assert_true (shoal_ping_get_scp (ping, &flags));
  g_assert_cmphex (flags, ==, 0);
}

static void
test_other_extension_only (void)
{
  /* GUESS "QK" request: a GGEP ping without SCP. */
  static const guint8 data[] = { 0xc3, 0x82, 'Q', 'K', 0x40 };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalPing) ping = shoal_ping_parse (data, sizeof data, &error);
  guint8 flags;

  g_assert_no_error (error);
  g_assert_nonnull (shoal_ggep_find (ping->ggep, "QK"));
  g_assert_false (shoal_ping_get_scp (ping, &flags));
}

static void
test_malformed_not_ggep (void)
{
  static const guint8 data[] = { 0x00 };
  g_autoptr(GError) error = NULL;

  g_assert_null (shoal_ping_parse (data, sizeof data, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_malformed_truncated_ggep (void)
{
  static const guint8 data[] = { 0xc3, 0x83, 'S', 'C', 'P', 0x41, 0x00 };

  /* Cut after the magic, inside the flags/ID, inside the length and
   * before the data byte. */
  for (gsize length = 1; length < sizeof data; length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_ping_parse (data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
}

static void
test_malformed_bytes_after_ggep (void)
{
  static const guint8 junk[] = { 0xc3, 0x83, 'S', 'C', 'P', 0x41, 0x00, 0x00 };
  static const guint8 two_blocks[] = {
    0xc3, 0x83, 'S', 'C', 'P', 0x41, 0x00,
    0xc3, 0x82, 'Q', 'K', 0x40,
  };
  g_autoptr(GError) error = NULL;

  g_assert_null (shoal_ping_parse (junk, sizeof junk, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "1 bytes after"));
  g_clear_error (&error);

  /* A ping carries one block, not a sequence of them. */
  g_assert_null (shoal_ping_parse (two_blocks, sizeof two_blocks, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_ggep_size_limit (void)
{
  g_autoptr(GByteArray) largest = ggep_block_of_size (SHOAL_TRAILING_GGEP_MAX_SIZE);
  g_autoptr(GByteArray) too_large = ggep_block_of_size (SHOAL_TRAILING_GGEP_MAX_SIZE + 1);
  g_autoptr(ShoalPing) ping = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  ping = shoal_ping_parse (largest->data, largest->len, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_ping_write (ping, out, &error));
  g_assert_cmpmem (out->data, out->len, largest->data, largest->len);
  g_clear_pointer (&ping, shoal_ping_free);

  g_assert_null (shoal_ping_parse (too_large->data, too_large->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* The writer refuses to build what gtk-gnutella would drop. */
  ping = shoal_ping_new ();
  ping->ggep = shoal_ggep_parse (too_large->data, too_large->len, NULL, NULL);
  g_assert_nonnull (ping->ggep);
  g_byte_array_set_size (out, 0);
  g_assert_false (shoal_ping_write (ping, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (out->len, ==, 0);
}

static void
test_write_empty_block (void)
{
  g_autoptr(ShoalPing) ping = shoal_ping_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  /* A block needs at least one extension: a program error surfaces. */
  ping->ggep = shoal_ggep_new ();
  g_assert_false (shoal_ping_write (ping, out, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_assert_cmpuint (out->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ping/vector/leaf-scp", test_vector_leaf_scp);
  g_test_add_func ("/ping/vector/probe-empty", test_vector_probe_empty);
  g_test_add_func ("/ping/vector/session-plain", test_vector_session_pings);
  g_test_add_func ("/ping/build/scp", test_build_scp);
  g_test_add_func ("/ping/scp-without-flags", test_scp_without_flags);
  g_test_add_func ("/ping/other-extension-only", test_other_extension_only);
  g_test_add_func ("/ping/malformed/not-ggep", test_malformed_not_ggep);
  g_test_add_func ("/ping/malformed/truncated-ggep", test_malformed_truncated_ggep);
  g_test_add_func ("/ping/malformed/bytes-after-ggep", test_malformed_bytes_after_ggep);
  g_test_add_func ("/ping/ggep-size-limit", test_ggep_size_limit);
  g_test_add_func ("/ping/write-empty-block", test_write_empty_block);
  return g_test_run ();
}
