/* test-push.c — push payloads built here (the capture has none), checked
 * byte by byte against the layout of gnutella-0.6.md §4.5. */
#include "shoal-ping.h"
#include "shoal-proto-error.h"
#include "shoal-push.h"

#include <string.h>

#define DOWNLOADER_ADDRESS 0xc0a80102u  /* 192.168.1.2 */
#define DOWNLOADER_PORT 6346

static void
make_guid (ShoalGuid *guid)
{
  for (guint i = 0; i < SHOAL_GUID_SIZE; i++)
    guid->bytes[i] = (guint8) (0xa0 + i);
}

static ShoalPush *
make_push (guint32 file_index)
{
  ShoalIpv4Endpoint endpoint = { DOWNLOADER_ADDRESS, DOWNLOADER_PORT };
  ShoalGuid guid;

  make_guid (&guid);
  return shoal_push_new (&guid, file_index, &endpoint);
}

static GByteArray *
write_push (const ShoalPush *push)
{
  g_autoptr(GError) error = NULL;
  GByteArray *out = g_byte_array_new ();

  g_assert_true (shoal_push_write (push, out, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_layout (void)
{
  static const guint8 expected[SHOAL_PUSH_FIXED_SIZE] = {
    /* 0: servent GUID */
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    /* 16: le32 file index 0x04030201 */
    0x01, 0x02, 0x03, 0x04,
    /* 20: IPv4 in network order */
    0xc0, 0xa8, 0x01, 0x02,
    /* 24: le16 port 6346 = 0x18ca */
    0xca, 0x18,
  };
  g_autoptr(ShoalPush) push = make_push (0x04030201);
  g_autoptr(GByteArray) out = write_push (push);
  g_autoptr(ShoalPush) parsed = NULL;
  g_autoptr(GByteArray) again = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpmem (out->data, out->len, expected, sizeof expected);

  parsed = shoal_push_parse (out->data, out->len, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_guid_equal (&parsed->servent_guid, &push->servent_guid));
  g_assert_cmphex (parsed->file_index, ==, 0x04030201);
  g_assert_cmphex (parsed->endpoint.address, ==, DOWNLOADER_ADDRESS);
  g_assert_cmpuint (parsed->endpoint.port, ==, DOWNLOADER_PORT);
  g_assert_null (parsed->ggep);
  g_assert_false (shoal_push_supports_tls (parsed));
  again = write_push (parsed);
  g_assert_cmpmem (again->data, again->len, out->data, out->len);
}

static void
test_tls (void)
{
  /* "TLS", empty, last: flags 0x83, length byte 0x40. */
  static const guint8 tls_block[] = { 0xc3, 0x83, 'T', 'L', 'S', 0x40 };
  g_autoptr(ShoalPush) push = make_push (SHOAL_PUSH_FILE_INDEX_F2F);
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(ShoalPush) parsed = NULL;
  g_autoptr(GByteArray) again = NULL;
  g_autoptr(GError) error = NULL;

  shoal_push_add_tls (push);
  out = write_push (push);
  g_assert_cmpuint (out->len, ==, SHOAL_PUSH_FIXED_SIZE + sizeof tls_block);
  /* 0x7FFFFFFD little-endian at offset 16. */
  g_assert_cmpmem (out->data + 16, 4, "\xfd\xff\xff\x7f", 4);
  g_assert_cmpmem (out->data + SHOAL_PUSH_FIXED_SIZE, sizeof tls_block,
                   tls_block, sizeof tls_block);

  parsed = shoal_push_parse (out->data, out->len, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_push_supports_tls (parsed));
  g_assert_cmphex (parsed->file_index, ==, SHOAL_PUSH_FILE_INDEX_F2F);
  again = write_push (parsed);
  g_assert_cmpmem (again->data, again->len, out->data, out->len);
}

static void
test_ipv6_extension (void)
{
  /* GGEP "6" (IPv6 of the downloader) rides along untouched. */
  static const guint8 ipv6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
  g_autoptr(ShoalPush) push = make_push (0);
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(ShoalPush) parsed = NULL;
  const ShoalGgepExtension *six;
  g_autoptr(GError) error = NULL;

  push->ggep = shoal_ggep_new ();
  shoal_ggep_add (push->ggep, "6", ipv6, sizeof ipv6, SHOAL_GGEP_ENCODING_NONE);
  shoal_push_add_tls (push);
  out = write_push (push);
  parsed = shoal_push_parse (out->data, out->len, &error);
  g_assert_no_error (error);
  six = shoal_ggep_find (parsed->ggep, "6");
  g_assert_nonnull (six);
  g_assert_cmpmem (g_bytes_get_data (six->data, NULL), g_bytes_get_size (six->data),
                   ipv6, sizeof ipv6);
  g_assert_true (shoal_push_supports_tls (parsed));
}

static void
test_malformed_truncated (void)
{
  g_autoptr(ShoalPush) push = make_push (7);
  g_autoptr(GByteArray) out = NULL;

  shoal_push_add_tls (push);
  out = write_push (push);
  /* Inside the GUID, the index, the address, the port: TRUNCATED. */
  for (gsize length = 0; length < SHOAL_PUSH_FIXED_SIZE; length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_push_parse (out->data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
  /* Inside the GGEP block. */
  for (gsize length = SHOAL_PUSH_FIXED_SIZE + 1; length < out->len; length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_push_parse (out->data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
}

static void
test_malformed_extra_bytes (void)
{
  g_autoptr(ShoalPush) push = make_push (7);
  g_autoptr(GByteArray) plain = write_push (push);
  g_autoptr(GByteArray) with_tls = NULL;
  g_autoptr(GError) error = NULL;

  /* 27 bytes whose extra byte is no GGEP block. */
  g_byte_array_append (plain, (const guint8 *) "\x00", 1);
  g_assert_null (shoal_push_parse (plain->data, plain->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);

  shoal_push_add_tls (push);
  with_tls = write_push (push);
  g_byte_array_append (with_tls, (const guint8 *) "x", 1);
  g_assert_null (shoal_push_parse (with_tls->data, with_tls->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_ggep_size_limit (void)
{
  const gsize overhead = 5;  /* magic, flags, "X", 2 length bytes */
  g_autofree guint8 *filler = g_malloc0 (SHOAL_TRAILING_GGEP_MAX_SIZE);
  g_autoptr(ShoalPush) push = make_push (1);
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(ShoalPush) largest = NULL;
  g_autoptr(GByteArray) refused = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  push->ggep = shoal_ggep_new ();
  shoal_ggep_add (push->ggep, "X", filler, SHOAL_TRAILING_GGEP_MAX_SIZE - overhead,
                  SHOAL_GGEP_ENCODING_NONE);
  out = write_push (push);
  g_assert_cmpuint (out->len, ==, SHOAL_PUSH_FIXED_SIZE + SHOAL_TRAILING_GGEP_MAX_SIZE);
  largest = shoal_push_parse (out->data, out->len, &error);
  g_assert_no_error (error);

  shoal_push_add_tls (push);
  g_assert_false (shoal_push_write (push, refused, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_assert_cmpuint (refused->len, ==, 0);
  g_clear_error (&error);
  g_byte_array_append (out, (const guint8 *) "\x00", 1);
  g_assert_null (shoal_push_parse (out->data, out->len, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/layout", test_layout);
  g_test_add_func ("/push/tls", test_tls);
  g_test_add_func ("/push/ipv6-extension", test_ipv6_extension);
  g_test_add_func ("/push/malformed/truncated", test_malformed_truncated);
  g_test_add_func ("/push/malformed/extra-bytes", test_malformed_extra_bytes);
  g_test_add_func ("/push/ggep-size-limit", test_ggep_size_limit);
  return g_test_run ();
}
