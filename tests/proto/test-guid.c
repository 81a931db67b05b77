/* test-guid.c — GUID minting, hex and the OOB return address. */
#include "shoal-guid.h"
#include "shoal-proto-error.h"

static void
test_modern (void)
{
  ShoalGuid a, b;

  shoal_guid_init_modern (&a);
  shoal_guid_init_modern (&b);
  g_assert_true (shoal_guid_is_modern (&a));
  g_assert_cmphex (a.bytes[8], ==, 0xff);
  g_assert_cmphex (a.bytes[15], ==, 0x00);
  g_assert_false (shoal_guid_equal (&a, &b));
  g_assert_false (shoal_guid_is_zero (&a));
}

static void
test_hex (void)
{
  static const char hex[] = "200b310283b9bf20b5d3d27ba19a6bd2";
  g_autoptr(GError) error = NULL;
  g_autofree char *back = NULL;
  char buffer[SHOAL_GUID_HEX_LENGTH + 1];
  ShoalGuid guid, upper;

  g_assert_true (shoal_guid_from_hex (hex, -1, &guid, &error));
  g_assert_cmphex (guid.bytes[0], ==, 0x20);
  g_assert_cmphex (guid.bytes[15], ==, 0xd2);
  back = shoal_guid_to_hex (&guid);
  g_assert_cmpstr (back, ==, hex);
  g_assert_cmpstr (shoal_guid_format (&guid, buffer), ==, hex);
  g_assert_true (shoal_guid_from_hex ("200B310283B9BF20B5D3D27BA19A6BD2", 32, &upper, &error));
  g_assert_true (shoal_guid_equal (&guid, &upper));
  g_assert_cmpuint (shoal_guid_hash (&guid), ==, shoal_guid_hash (&upper));

  g_assert_false (shoal_guid_from_hex ("200b", -1, &guid, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (shoal_guid_from_hex ("200b310283b9bf20b5d3d27ba19a6bdz", -1, &guid, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_oob (void)
{
  ShoalGuid guid = { { 0 } };
  ShoalIpv4Endpoint in = { 0xc0a80102, 6346 }, out;

  shoal_guid_set_oob_endpoint (&guid, &in);
  g_assert_cmphex (guid.bytes[0], ==, 192);
  g_assert_cmphex (guid.bytes[3], ==, 2);
  g_assert_cmphex (guid.bytes[13], ==, 6346 & 0xff);
  g_assert_cmphex (guid.bytes[14], ==, 6346 >> 8);
  shoal_guid_get_oob_endpoint (&guid, &out);
  g_assert_cmphex (out.address, ==, in.address);
  g_assert_cmpuint (out.port, ==, in.port);
}

/* Unsigned bytes, first byte first: 0x80 sorts after 0x7f. */
static void
test_compare (void)
{
  ShoalGuid low = { { 0x7f, 0xff } }, high = { { 0x80 } }, same = low;

  g_assert_cmpint (shoal_guid_compare (&low, &high), <, 0);
  g_assert_cmpint (shoal_guid_compare (&high, &low), >, 0);
  g_assert_cmpint (shoal_guid_compare (&low, &same), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guid/modern", test_modern);
  g_test_add_func ("/guid/hex", test_hex);
  g_test_add_func ("/guid/oob", test_oob);
  g_test_add_func ("/guid/compare", test_compare);
  return g_test_run ();
}
