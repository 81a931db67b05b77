/* test-vendor.c — every captured vendor message, typed and rebuilt byte for
 * byte, the capability lists, and every way a body can be wrong. */
#include "shoal-message-header.h"
#include "shoal-proto-error.h"
#include "shoal-test-vectors.h"
#include "shoal-vendor.h"

#include <string.h>

#define ENTRY_SIZE_MESSAGES 8
#define ENTRY_SIZE_FEATURES 6

/* The payload after the 23-byte header of vector @name. */
static GBytes *
load_payload (const char         *name,
              ShoalMessageHeader *header)
{
  GBytes *payload = shoal_test_load_payload (name, SHOAL_MESSAGE_VENDOR, header);

  /* Link-local: TTL 1, hops 0. */
  g_assert_cmpuint (header->ttl, ==, 1);
  g_assert_cmpuint (header->hops, ==, 0);
  return payload;
}

static ShoalVendorMessage *
parse_bytes (const guint8 *data,
             gsize         length)
{
  g_autoptr(GError) error = NULL;
  ShoalVendorMessage *message = shoal_vendor_message_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static ShoalVendorMessage *
parse_payload (GBytes *payload)
{
  return parse_bytes (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
assert_bytes (const GByteArray *out,
              GBytes           *expected)
{
  g_assert_cmpmem (out->data, out->len,
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
assert_messages_supported_round_trip (const ShoalVendorMessage *message,
                                      GBytes                   *payload,
                                      guint                     count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalVendorMessagesSupported) supported = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();

  supported = shoal_vendor_messages_supported_parse (message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (supported->types->len, ==, count);
  /* What a leaf needs from its ultrapeer, and what GTKG also knows. */
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_HOPS_FLOW, 1));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_TCP_CONNECT_BACK, 1));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_QUERY_STATUS_REQUEST, 1));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_QUERY_STATUS_RESPONSE, 1));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_REQUEST, 1));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_REQUEST, 2));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_ACK, 2));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_GTKG, SHOAL_VENDOR_UDP_CONNECT_BACK, 2));
  g_assert_false (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_REQUEST, 3));
  shoal_vendor_messages_supported_write (supported, out);
  assert_bytes (out, payload);
}

static void
test_vector_messages_supported (void)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = load_payload ("vendor_messages_supported_gtkg_up.bin", &header);
  g_autoptr(ShoalVendorMessage) message = parse_payload (payload);
  g_autoptr(ShoalVendorMessagesSupported) supported = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const ShoalVendorType *first, *last;

  g_assert_true (shoal_guid_is_zero (&header.guid));
  g_assert_cmphex (message->type.vendor, ==, SHOAL_VENDOR_STANDARD);
  g_assert_cmpuint (message->type.selector, ==, SHOAL_VENDOR_MESSAGES_SUPPORTED);
  g_assert_cmpuint (message->type.version, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (message->body), ==, 2 + 26 * ENTRY_SIZE_MESSAGES);
  shoal_vendor_message_write (message, out);
  assert_bytes (out, payload);

  assert_messages_supported_round_trip (message, payload, 26);
  supported = shoal_vendor_messages_supported_parse (message, NULL);
  first = &g_array_index (supported->types, ShoalVendorType, 0);
  last = &g_array_index (supported->types, ShoalVendorType, 25);
  g_assert_cmphex (first->vendor, ==, SHOAL_VENDOR_BEAR);
  g_assert_cmpuint (first->selector, ==, 4);
  g_assert_cmpuint (first->version, ==, 1);
  g_assert_cmphex (last->vendor, ==, SHOAL_VENDOR_LIME);
  g_assert_cmpuint (last->selector, ==, 24);
  g_assert_cmpuint (last->version, ==, 2);
}

static void
test_vector_features_supported (void)
{
  /* The bytes: le16 count 5, then 5 × {4-char name, le16 version}. */
  static const struct { const char *name; guint16 version; } expected[] = {
    { "HSEP", 1 }, { "WHAT", 1 }, { "QRP1", 1 }, { "F2FT", 0xffff }, { "TCPI", 1 },
  };
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = load_payload ("vendor_features_supported_gtkg_up.bin", &header);
  g_autoptr(ShoalVendorMessage) message = parse_payload (payload);
  g_autoptr(ShoalVendorFeaturesSupported) supported = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint16 version;

  g_assert_cmpuint (message->type.selector, ==, SHOAL_VENDOR_FEATURES_SUPPORTED);
  g_assert_cmpuint (g_bytes_get_size (message->body), ==, 2 + 5 * ENTRY_SIZE_FEATURES);
  supported = shoal_vendor_features_supported_parse (message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (supported->features->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const ShoalVendorFeature *feature = &g_array_index (supported->features, ShoalVendorFeature, i);
      char name[SHOAL_VENDOR_CODE_STRLEN];

      g_assert_cmpstr (shoal_vendor_code_format (feature->name, name), ==, expected[i].name);
      g_assert_cmpuint (feature->version, ==, expected[i].version);
    }
  g_assert_true (shoal_vendor_features_supported_find (supported, SHOAL_VENDOR_CODE ('Q', 'R', 'P', '1'), &version));
  g_assert_cmpuint (version, ==, 1);
  g_assert_false (shoal_vendor_features_supported_find (supported, SHOAL_VENDOR_CODE ('T', 'L', 'S', '!'), &version));
  shoal_vendor_features_supported_write (supported, out);
  assert_bytes (out, payload);
}

/* Parses the typed body of one captured message, rebuilds it with the
 * typed writer and checks the bytes. */
static void
check_session_message (const char               *name,
                       const ShoalMessageHeader *header,
                       const ShoalVendorMessage *message,
                       GBytes                   *payload)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const ShoalVendorType *type = &message->type;
  /* Leaf B listens on 16342, leaf C on 16343, the ultrapeer on 16341. */
  guint16 leaf_port = g_str_has_prefix (name, "s00_") ? 16342 : 16343;

  if (shoal_vendor_message_is (message, SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_MESSAGES_SUPPORTED))
    {
      /* Leaf C also lists GTKG/24. */
      assert_messages_supported_round_trip (message, payload,
                                            g_str_has_prefix (name, "s01_c2s") ? 27 : 26);
      return;
    }
  if (shoal_vendor_message_is (message, SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_FEATURES_SUPPORTED))
    {
      g_autoptr(ShoalVendorFeaturesSupported) features = NULL;
      guint16 version = 0xffff;

      features = shoal_vendor_features_supported_parse (message, &error);
      g_assert_no_error (error);
      g_assert_true (shoal_vendor_features_supported_find (features, SHOAL_VENDOR_CODE ('T', 'C', 'P', 'I'), &version));
      /* The leaves say TCPI/0, the ultrapeer TCPI/1. */
      g_assert_cmpuint (version, ==, strstr (name, "_c2s_") != NULL ? 0 : 1);
      shoal_vendor_features_supported_write (features, out);
    }
  else if (shoal_vendor_message_is (message, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_TCP_CONNECT_BACK))
    {
      guint16 port;

      g_assert_true (shoal_vendor_tcp_connect_back_parse (message, &port, &error));
      g_assert_cmpuint (port, ==, leaf_port);
      shoal_vendor_tcp_connect_back_write (port, out);
    }
  else if (shoal_vendor_message_is (message, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_REQUEST))
    {
      /* The GUID is the leaf's servent GUID; the body is empty. */
      g_assert_false (shoal_guid_is_zero (&header->guid));
      g_assert_cmpuint (type->version, ==, 1);
      g_assert_cmpuint (g_bytes_get_size (message->body), ==, 0);
      shoal_vendor_push_proxy_request_write (out);
    }
  else if (shoal_vendor_message_is (message, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_QUERY_STATUS_RESPONSE))
    {
      guint16 hits;

      g_assert_true (shoal_vendor_query_status_response_parse (message, &hits, &error));
      g_assert_cmpuint (hits, ==, 1);
      shoal_vendor_query_status_response_write (hits, out);
    }
  else if (shoal_vendor_message_is (message, SHOAL_VENDOR_GTKG, SHOAL_VENDOR_UDP_CONNECT_BACK))
    {
      g_autofree char *hex = NULL;
      ShoalGuid guid;
      gboolean has_guid;
      guint16 port;

      g_assert_true (shoal_vendor_udp_connect_back_parse (message, &port, &guid, &has_guid, &error));
      g_assert_cmpuint (type->version, ==, 1);
      g_assert_cmpuint (port, ==, 16341);
      g_assert_true (has_guid);
      hex = shoal_guid_to_hex (&guid);
      g_assert_cmpstr (hex, ==, "2e7e3102415f794bdac331ea6aae61d8");
      shoal_vendor_udp_connect_back_write (type->version, port, &guid, out);
    }
  else
    {
      char code[SHOAL_VENDOR_CODE_STRLEN];

      g_error ("%s: vendor message %s/%u not covered", name,
               shoal_vendor_code_format (type->vendor, code), type->selector);
    }
  g_assert_no_error (error);
  assert_bytes (out, payload);
}

static void
test_vector_session_vendor (void)
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
      g_autoptr(ShoalVendorMessage) message = NULL;
      g_autoptr(GByteArray) out = g_byte_array_new ();
      ShoalMessageHeader header;

      if (!g_str_has_suffix (name, "_vendor.bin"))
        continue;
      relative = g_build_filename ("session-plain", name, NULL);
      payload = load_payload (relative, &header);
      message = parse_payload (payload);
      shoal_vendor_message_write (message, out);
      assert_bytes (out, payload);
      check_session_message (name, &header, message, payload);
      seen++;
    }
  g_assert_cmpuint (seen, ==, 18);
}

static void
test_build_small_bodies (void)
{
  static const guint8 hops_flow[] = { 'B', 'E', 'A', 'R', 4, 0, 1, 0, 3 };
  static const guint8 status_request[] = { 'B', 'E', 'A', 'R', 11, 0, 1, 0 };
  static const guint8 status_stop[] = { 'B', 'E', 'A', 'R', 12, 0, 1, 0, 0xff, 0xff };
  static const guint8 ack_v1[] = { 'L', 'I', 'M', 'E', 22, 0, 1, 0, 0xd5, 0x3f };
  static const guint8 ack_v2[] = { 'L', 'I', 'M', 'E', 22, 0, 2, 0, 127, 0, 0, 1, 0xd5, 0x3f };
  static const guint8 udp_v2[] = { 'G', 'T', 'K', 'G', 7, 0, 2, 0, 0xd6, 0x3f };
  ShoalIpv4Endpoint proxy = { 0x7f000001, 16341 };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(ShoalVendorMessage) message = NULL;
  ShoalIpv4Endpoint parsed_proxy;
  ShoalGuid guid = { { 0 } };
  gboolean has_guid = TRUE;
  guint16 port, hits;
  guint8 max_hops;

  shoal_vendor_hops_flow_write (3, out);
  g_assert_cmpmem (out->data, out->len, hops_flow, sizeof hops_flow);
  message = parse_bytes (out->data, out->len);
  g_assert_true (shoal_vendor_hops_flow_parse (message, &max_hops, NULL));
  g_assert_cmpuint (max_hops, ==, 3);

  g_byte_array_set_size (out, 0);
  shoal_vendor_query_status_request_write (out);
  g_assert_cmpmem (out->data, out->len, status_request, sizeof status_request);

  g_byte_array_set_size (out, 0);
  shoal_vendor_query_status_response_write (SHOAL_VENDOR_QUERY_STATUS_STOP, out);
  g_assert_cmpmem (out->data, out->len, status_stop, sizeof status_stop);
  g_clear_pointer (&message, shoal_vendor_message_free);
  message = parse_bytes (out->data, out->len);
  g_assert_true (shoal_vendor_query_status_response_parse (message, &hits, NULL));
  g_assert_cmphex (hits, ==, SHOAL_VENDOR_QUERY_STATUS_STOP);

  g_byte_array_set_size (out, 0);
  shoal_vendor_push_proxy_ack_write (1, &proxy, out);
  g_assert_cmpmem (out->data, out->len, ack_v1, sizeof ack_v1);
  g_clear_pointer (&message, shoal_vendor_message_free);
  message = parse_bytes (out->data, out->len);
  g_assert_true (shoal_vendor_push_proxy_ack_parse (message, &parsed_proxy, NULL));
  /* v1 has no address: the link's own applies. */
  g_assert_cmphex (parsed_proxy.address, ==, 0);
  g_assert_cmpuint (parsed_proxy.port, ==, 16341);

  g_byte_array_set_size (out, 0);
  shoal_vendor_push_proxy_ack_write (2, &proxy, out);
  g_assert_cmpmem (out->data, out->len, ack_v2, sizeof ack_v2);
  g_clear_pointer (&message, shoal_vendor_message_free);
  message = parse_bytes (out->data, out->len);
  g_assert_true (shoal_vendor_push_proxy_ack_parse (message, &parsed_proxy, NULL));
  g_assert_cmphex (parsed_proxy.address, ==, 0x7f000001);
  g_assert_cmpuint (parsed_proxy.port, ==, 16341);

  g_byte_array_set_size (out, 0);
  shoal_vendor_udp_connect_back_write (2, 16342, NULL, out);
  g_assert_cmpmem (out->data, out->len, udp_v2, sizeof udp_v2);
  g_clear_pointer (&message, shoal_vendor_message_free);
  message = parse_bytes (out->data, out->len);
  g_assert_true (shoal_vendor_udp_connect_back_parse (message, &port, &guid, &has_guid, NULL));
  g_assert_cmpuint (port, ==, 16342);
  g_assert_false (has_guid);
}

static void
test_build_capability_lists (void)
{
  g_autoptr(ShoalVendorMessagesSupported) messages = shoal_vendor_messages_supported_new ();
  g_autoptr(ShoalVendorFeaturesSupported) features = shoal_vendor_features_supported_new ();
  static const guint8 expected_messages[] = {
    0, 0, 0, 0, 0, 0, 0, 0,  1, 0,
    'L', 'I', 'M', 'E', 21, 0, 1, 0,
  };
  static const guint8 expected_features[] = {
    0, 0, 0, 0, 10, 0, 0, 0,  1, 0,
    'T', 'L', 'S', '!', 1, 0,
  };
  g_autoptr(GByteArray) out = g_byte_array_new ();

  shoal_vendor_messages_supported_add (messages, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_REQUEST, 1);
  shoal_vendor_messages_supported_write (messages, out);
  g_assert_cmpmem (out->data, out->len, expected_messages, sizeof expected_messages);
  g_byte_array_set_size (out, 0);
  shoal_vendor_features_supported_add (features, SHOAL_VENDOR_CODE ('T', 'L', 'S', '!'), 1);
  shoal_vendor_features_supported_write (features, out);
  g_assert_cmpmem (out->data, out->len, expected_features, sizeof expected_features);
}

static void
test_code_format (void)
{
  char buffer[SHOAL_VENDOR_CODE_STRLEN];

  g_assert_cmpstr (shoal_vendor_code_format (SHOAL_VENDOR_GTKG, buffer), ==, "GTKG");
  g_assert_cmpstr (shoal_vendor_code_format (SHOAL_VENDOR_STANDARD, buffer), ==, "....");
}

static void
test_malformed_header (void)
{
  static const guint8 data[SHOAL_VENDOR_HEADER_SIZE] = { 'B', 'E', 'A', 'R', 4, 0, 1, 0 };

  for (gsize length = 0; length < sizeof data; length++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (shoal_vendor_message_parse (data, length, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
}

/* Cuts the body of captured list @name at every length short of the
 * whole: the count still announces every entry, so each cut is TRUNCATED. */
static void
assert_list_truncations (const char *name,
                         gsize       entry_size,
                         gboolean    messages)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) payload = load_payload (name, &header);
  g_autoptr(ShoalVendorMessage) whole = parse_payload (payload);
  gsize body_length;
  const guint8 *body = g_bytes_get_data (whole->body, &body_length);

  for (gsize length = 0; length < body_length; length++)
    {
      g_autoptr(ShoalVendorMessage) cut = NULL;
      g_autoptr(GError) error = NULL;
      gpointer parsed;

      cut = shoal_vendor_message_new (whole->type.vendor, whole->type.selector,
                                      whole->type.version, body, length);
      if (messages)
        parsed = shoal_vendor_messages_supported_parse (cut, &error);
      else
        parsed = shoal_vendor_features_supported_parse (cut, &error);
      g_assert_null (parsed);
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
    }
  g_assert_cmpuint ((body_length - 2) % entry_size, ==, 0);
}

static void
test_malformed_lists_truncated (void)
{
  assert_list_truncations ("vendor_messages_supported_gtkg_up.bin", ENTRY_SIZE_MESSAGES, TRUE);
  assert_list_truncations ("vendor_features_supported_gtkg_up.bin", ENTRY_SIZE_FEATURES, FALSE);
}

static void
test_malformed_counts_lie (void)
{
  /* 65535 entries announced, one present: refused before allocating. */
  static const guint8 huge[] = { 0xff, 0xff, 'B', 'E', 'A', 'R', 4, 0, 1, 0 };
  /* 2 announced, 1 present. */
  static const guint8 one_short[] = { 2, 0, 'H', 'S', 'E', 'P', 1, 0 };
  /* 1 announced, 2 present: the extra entry is ignored, as gtk-gnutella
   * ignores bytes after what the count covers. */
  static const guint8 one_extra[] = { 1, 0, 'H', 'S', 'E', 'P', 1, 0, 'W', 'H', 'A', 'T', 1, 0 };
  g_autoptr(ShoalVendorMessage) huge_message =
    shoal_vendor_message_new (SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_MESSAGES_SUPPORTED, 0, huge, sizeof huge);
  g_autoptr(ShoalVendorMessage) short_message =
    shoal_vendor_message_new (SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_FEATURES_SUPPORTED, 0, one_short, sizeof one_short);
  g_autoptr(ShoalVendorMessage) extra_message =
    shoal_vendor_message_new (SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_FEATURES_SUPPORTED, 0, one_extra, sizeof one_extra);
  g_autoptr(ShoalVendorFeaturesSupported) features = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (shoal_vendor_messages_supported_parse (huge_message, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_null (shoal_vendor_features_supported_parse (short_message, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);

  features = shoal_vendor_features_supported_parse (extra_message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (features->features->len, ==, 1);
  g_assert_cmphex (g_array_index (features->features, ShoalVendorFeature, 0).name, ==,
                   SHOAL_VENDOR_CODE ('H', 'S', 'E', 'P'));
}

static void
test_malformed_wrong_type (void)
{
  g_autoptr(ShoalVendorMessage) lime = shoal_vendor_message_new (SHOAL_VENDOR_LIME, 21, 1, NULL, 0);
  g_autoptr(GError) error = NULL;
  guint8 max_hops;
  guint16 port;

  g_assert_false (shoal_vendor_hops_flow_parse (lime, &max_hops, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "LIME/21v1"));
  g_clear_error (&error);
  g_assert_null (shoal_vendor_messages_supported_parse (lime, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_tcp_connect_back_parse (lime, &port, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
}

static const guint8 port_bytes[] = { 0xd6, 0x3f, 0xee };
static const guint8 zero_port[] = { 0, 0 };

static void
test_malformed_hops_flow (void)
{
  g_autoptr(ShoalVendorMessage) empty = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 4, 1, NULL, 0);
  g_autoptr(ShoalVendorMessage) v2 = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 4, 2, port_bytes, 1);
  g_autoptr(ShoalVendorMessage) longer = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 4, 1, port_bytes, 2);
  g_autoptr(GError) error = NULL;
  guint8 max_hops;

  g_assert_false (shoal_vendor_hops_flow_parse (empty, &max_hops, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_hops_flow_parse (v2, &max_hops, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  /* A longer body is read for what it must hold. */
  g_assert_true (shoal_vendor_hops_flow_parse (longer, &max_hops, &error));
  g_assert_cmphex (max_hops, ==, 0xd6);
}

static void
test_malformed_tcp_connect_back (void)
{
  g_autoptr(ShoalVendorMessage) one = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 7, 1, port_bytes, 1);
  g_autoptr(ShoalVendorMessage) zero = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 7, 1, zero_port, 2);
  g_autoptr(ShoalVendorMessage) v2 = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 7, 2, port_bytes, 2);
  g_autoptr(GError) error = NULL;
  guint16 port;

  g_assert_false (shoal_vendor_tcp_connect_back_parse (one, &port, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_tcp_connect_back_parse (zero, &port, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_tcp_connect_back_parse (v2, &port, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
}

static void
test_malformed_query_status (void)
{
  g_autoptr(ShoalVendorMessage) one = shoal_vendor_message_new (SHOAL_VENDOR_BEAR, 12, 1, port_bytes, 1);
  g_autoptr(GError) error = NULL;
  guint16 hits;

  g_assert_false (shoal_vendor_query_status_response_parse (one, &hits, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_malformed_push_proxy_ack (void)
{
  static const guint8 v2_body[] = { 127, 0, 0, 1, 0xd5, 0x3f };
  g_autoptr(ShoalVendorMessage) v1_short = shoal_vendor_message_new (SHOAL_VENDOR_LIME, 22, 1, port_bytes, 1);
  g_autoptr(ShoalVendorMessage) v1_zero = shoal_vendor_message_new (SHOAL_VENDOR_LIME, 22, 1, zero_port, 2);
  g_autoptr(GError) error = NULL;
  ShoalIpv4Endpoint proxy;

  g_assert_false (shoal_vendor_push_proxy_ack_parse (v1_short, &proxy, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_push_proxy_ack_parse (v1_zero, &proxy, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);
  /* v2 cut inside the address and inside the port. */
  for (gsize length = 0; length < sizeof v2_body; length++)
    {
      g_autoptr(ShoalVendorMessage) cut = shoal_vendor_message_new (SHOAL_VENDOR_LIME, 22, 2, v2_body, length);

      g_assert_false (shoal_vendor_push_proxy_ack_parse (cut, &proxy, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
      g_clear_error (&error);
    }
}

static void
test_malformed_udp_connect_back (void)
{
  static const guint8 v1_body[2 + SHOAL_GUID_SIZE] = { 0xd5, 0x3f };
  g_autoptr(ShoalVendorMessage) v3 = shoal_vendor_message_new (SHOAL_VENDOR_GTKG, 7, 3, v1_body, sizeof v1_body);
  g_autoptr(ShoalVendorMessage) v0 = shoal_vendor_message_new (SHOAL_VENDOR_GTKG, 7, 0, v1_body, sizeof v1_body);
  g_autoptr(ShoalVendorMessage) v2_zero = shoal_vendor_message_new (SHOAL_VENDOR_GTKG, 7, 2, zero_port, 2);
  g_autoptr(GError) error = NULL;
  ShoalGuid guid;
  gboolean has_guid;
  guint16 port;

  /* v1 cut inside the port and inside the GUID. */
  for (gsize length = 0; length < sizeof v1_body; length++)
    {
      g_autoptr(ShoalVendorMessage) cut = shoal_vendor_message_new (SHOAL_VENDOR_GTKG, 7, 1, v1_body, length);

      g_assert_false (shoal_vendor_udp_connect_back_parse (cut, &port, &guid, &has_guid, &error));
      g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
      g_clear_error (&error);
    }
  g_assert_false (shoal_vendor_udp_connect_back_parse (v3, &port, &guid, &has_guid, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_udp_connect_back_parse (v0, &port, &guid, &has_guid, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (shoal_vendor_udp_connect_back_parse (v2_zero, &port, &guid, &has_guid, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vendor/vector/messages-supported", test_vector_messages_supported);
  g_test_add_func ("/vendor/vector/features-supported", test_vector_features_supported);
  g_test_add_func ("/vendor/vector/session-plain", test_vector_session_vendor);
  g_test_add_func ("/vendor/build/small-bodies", test_build_small_bodies);
  g_test_add_func ("/vendor/build/capability-lists", test_build_capability_lists);
  g_test_add_func ("/vendor/code-format", test_code_format);
  g_test_add_func ("/vendor/malformed/header", test_malformed_header);
  g_test_add_func ("/vendor/malformed/lists-truncated", test_malformed_lists_truncated);
  g_test_add_func ("/vendor/malformed/counts-lie", test_malformed_counts_lie);
  g_test_add_func ("/vendor/malformed/wrong-type", test_malformed_wrong_type);
  g_test_add_func ("/vendor/malformed/hops-flow", test_malformed_hops_flow);
  g_test_add_func ("/vendor/malformed/tcp-connect-back", test_malformed_tcp_connect_back);
  g_test_add_func ("/vendor/malformed/query-status", test_malformed_query_status);
  g_test_add_func ("/vendor/malformed/push-proxy-ack", test_malformed_push_proxy_ack);
  g_test_add_func ("/vendor/malformed/udp-connect-back", test_malformed_udp_connect_back);
  return g_test_run ();
}
