/* test-message-header.c — the 23-byte header, from captured bytes. */
#include "shoal-message-header.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"

static void
test_vector_query (void)
{
  g_autoptr(GBytes) bytes = shoal_test_load_vector ("query_gtkg_originated_obsidian_leaf_to_up.bin");
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;
  guint8 out[SHOAL_MESSAGE_HEADER_SIZE];
  ShoalMessageHeader header;

  g_assert_true (shoal_message_header_parse (data, length, &header, &error));
  g_assert_no_error (error);
  hex = shoal_guid_to_hex (&header.guid);
  g_assert_cmpstr (hex, ==, "8daeac09310292130ff861efc0a6a531");
  g_assert_cmphex (header.type, ==, SHOAL_MESSAGE_QUERY);
  g_assert_cmpuint (header.ttl, ==, 4);
  g_assert_cmpuint (header.hops, ==, 0);
  g_assert_cmpuint (header.payload_length, ==, length - SHOAL_MESSAGE_HEADER_SIZE);
  g_assert_cmpstr (shoal_message_type_to_string (header.type), ==, "query");
  shoal_message_header_write (&header, out);
  g_assert_cmpmem (out, sizeof out, data, SHOAL_MESSAGE_HEADER_SIZE);
}

static void
test_malformed (void)
{
  guint8 data[SHOAL_MESSAGE_HEADER_SIZE] = { 0 };
  g_autoptr(GError) error = NULL;
  ShoalMessageHeader header;

  g_assert_false (shoal_message_header_parse (data, 22, &header, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);

  /* 0x00010000: more than 16 bits, or gtk-gnutella's "sflag" marking. */
  data[21] = 0x01;
  g_assert_false (shoal_message_header_parse (data, sizeof data, &header, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_clear_error (&error);
  data[21] = 0;
  data[22] = 0x80;
  g_assert_false (shoal_message_header_parse (data, sizeof data, &header, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_clear_error (&error);
  data[22] = 0;

  data[18] = 255;
  g_assert_false (shoal_message_header_parse (data, sizeof data, &header, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);

  /* 65535 is the largest payload; unknown types parse (a router drops them). */
  data[18] = 254;
  data[16] = 0x99;
  data[19] = 0xff;
  data[20] = 0xff;
  g_assert_true (shoal_message_header_parse (data, sizeof data, &header, &error));
  g_assert_cmpuint (header.payload_length, ==, 65535);
  g_assert_null (shoal_message_type_to_string (header.type));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/message-header/vector-query", test_vector_query);
  g_test_add_func ("/message-header/malformed", test_malformed);
  return g_test_run ();
}
