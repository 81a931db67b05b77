/* test-bytes.c — the bounded reader never reads past its buffer. */
#include "shoal-bytes.h"
#include "shoal-ipv4.h"
#include "shoal-proto-error.h"

static void
test_integers (void)
{
  static const guint8 data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
  ShoalByteReader reader;
  guint16 u16;
  guint32 u32;
  guint8 u8;

  shoal_byte_reader_init (&reader, data, sizeof data);
  g_assert_true (shoal_byte_reader_read_le16 (&reader, &u16));
  g_assert_cmphex (u16, ==, 0x0201);
  g_assert_true (shoal_byte_reader_read_be16 (&reader, &u16));
  g_assert_cmphex (u16, ==, 0x0304);
  g_assert_false (shoal_byte_reader_read_le32 (&reader, &u32));  /* 3 left */
  g_assert_cmpuint (shoal_byte_reader_remaining (&reader), ==, 3);
  g_assert_true (shoal_byte_reader_read_u8 (&reader, &u8));
  g_assert_true (shoal_byte_reader_read_be16 (&reader, &u16));
  g_assert_cmphex (u16, ==, 0x0607);
  g_assert_false (shoal_byte_reader_read_u8 (&reader, &u8));
  g_assert_false (shoal_byte_reader_skip (&reader, 1));

  shoal_byte_reader_init (&reader, data, sizeof data);
  g_assert_true (shoal_byte_reader_read_le32 (&reader, &u32));
  g_assert_cmphex (u32, ==, 0x04030201);
  shoal_byte_reader_init (&reader, data, sizeof data);
  g_assert_true (shoal_byte_reader_read_be32 (&reader, &u32));
  g_assert_cmphex (u32, ==, 0x01020304);
}

static void
test_read_until (void)
{
  static const guint8 data[] = { 'a', 'b', 0, 'c' };
  ShoalByteReader reader;
  const guint8 *bytes;
  gsize length;

  shoal_byte_reader_init (&reader, data, sizeof data);
  g_assert_true (shoal_byte_reader_read_until (&reader, 0, &bytes, &length));
  g_assert_cmpmem (bytes, length, "ab", 2);
  g_assert_false (shoal_byte_reader_read_until (&reader, 0, &bytes, &length));
  g_assert_cmpuint (shoal_byte_reader_remaining (&reader), ==, 1);

  /* An empty reader, even over a NULL buffer, finds nothing. */
  shoal_byte_reader_init (&reader, NULL, 0);
  g_assert_false (shoal_byte_reader_read_until (&reader, 0, &bytes, &length));
}

static void
test_skip_prefix (void)
{
  static const guint8 data[] = "URN:sha1:X";
  ShoalByteReader reader;

  shoal_byte_reader_init (&reader, data, sizeof data - 1);
  g_assert_false (shoal_byte_reader_skip_prefix (&reader, "urn:bitprint:"));
  g_assert_cmpuint (reader.offset, ==, 0);
  g_assert_true (shoal_byte_reader_skip_prefix (&reader, "urn:SHA1:"));
  g_assert_cmpuint (shoal_byte_reader_remaining (&reader), ==, 1);
  g_assert_false (shoal_byte_reader_skip_prefix (&reader, "XY"));
}

static void
test_append (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *hex = NULL;

  shoal_bytes_append_u8 (out, 0xab);
  shoal_bytes_append_le16 (out, 0x1234);
  shoal_bytes_append_be16 (out, 0x1234);
  shoal_bytes_append_le32 (out, 0xdeadbeef);
  shoal_bytes_append_be32 (out, 0xdeadbeef);
  hex = shoal_bytes_to_hex (out->data, out->len);
  g_assert_cmpstr (hex, ==, "ab34121234efbeaddedeadbeef");
}

static void
test_ipv4 (void)
{
  static const guint8 packed[] = { 127, 0, 0, 1, 0xd5, 0x3f, 10, 1, 2, 3, 0xaa, 0x18 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) endpoints = shoal_ipv4_endpoints_unpack (packed, sizeof packed, &error);
  g_autoptr(GArray) refused = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];
  ShoalIpv4Endpoint endpoint;

  g_assert_no_error (error);
  g_assert_cmpuint (endpoints->len, ==, 2);
  g_assert_cmpstr (shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, 0),
                                               TRUE, buffer), ==, "127.0.0.1:16341");
  g_assert_cmpstr (shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, 1),
                                               TRUE, buffer), ==, "10.1.2.3:6314");
  shoal_ipv4_endpoints_pack ((ShoalIpv4Endpoint *) (gpointer) endpoints->data, endpoints->len, out);
  g_assert_cmpmem (out->data, out->len, packed, sizeof packed);

  refused = shoal_ipv4_endpoints_unpack (packed, 7, &error);
  g_assert_null (refused);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);

  g_assert_true (shoal_ipv4_endpoint_parse ("81.103.192.245:6346", 19, &endpoint));
  g_assert_cmphex (endpoint.address, ==, 0x5167c0f5);
  g_assert_cmpuint (endpoint.port, ==, 6346);
  g_assert_true (shoal_ipv4_endpoint_parse ("1.2.3.4", 7, &endpoint));
  g_assert_cmpuint (endpoint.port, ==, 0);
  g_assert_cmpstr (shoal_ipv4_endpoint_format (&endpoint, FALSE, buffer), ==, "1.2.3.4");
  g_assert_false (shoal_ipv4_endpoint_parse ("1.2.3", 5, &endpoint));
  g_assert_false (shoal_ipv4_endpoint_parse ("1.2.3.256", 9, &endpoint));
  g_assert_false (shoal_ipv4_endpoint_parse ("1.2.3.4:65536", 13, &endpoint));
  g_assert_false (shoal_ipv4_endpoint_parse ("1.2.3.4:", 8, &endpoint));
  g_assert_false (shoal_ipv4_endpoint_parse ("1.2.3.4 ", 8, &endpoint));
  g_assert_false (shoal_ipv4_endpoint_parse ("1.2.3.0004", 10, &endpoint));
  g_assert_false (shoal_ipv4_endpoint_parse ("", 0, &endpoint));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bytes/integers", test_integers);
  g_test_add_func ("/bytes/read-until", test_read_until);
  g_test_add_func ("/bytes/skip-prefix", test_skip_prefix);
  g_test_add_func ("/bytes/append", test_append);
  g_test_add_func ("/bytes/ipv4", test_ipv4);
  return g_test_run ();
}
