/* shoal-vendor.c — vendor messages: header, capability lists, small bodies. */
#include "shoal-vendor.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

/* Sizes on the wire of one list entry. */
#define MESSAGES_SUPPORTED_ENTRY_SIZE 8  /* vendor + selector + version */
#define FEATURES_SUPPORTED_ENTRY_SIZE 6  /* name + version */
#define LIST_COUNT_SIZE 2
#define PORT_SIZE 2

/* Versions gtk-gnutella sends (src/core/vmsg.c). */
#define STANDARD_VERSION 0
#define BEAR_VERSION 1
#define PUSH_PROXY_REQUEST_VERSION 1
#define PUSH_PROXY_ACK_ADDRESS_VERSION 2  /* from v2 on the IPv4 is present */
#define UDP_CONNECT_BACK_GUID_VERSION 1   /* only v1 carries the GUID */
#define UDP_CONNECT_BACK_MAX_VERSION 2

ShoalVendorMessage *
shoal_vendor_message_new (guint32       vendor,
                          guint16       selector,
                          guint16       version,
                          const guint8 *body,
                          gsize         length)
{
  ShoalVendorMessage *message;

  g_return_val_if_fail (body != NULL || length == 0, NULL);

  message = g_new0 (ShoalVendorMessage, 1);
  message->type.vendor = vendor;
  message->type.selector = selector;
  message->type.version = version;
  message->body = g_bytes_new (body, length);
  return message;
}

void
shoal_vendor_message_free (ShoalVendorMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->body, g_bytes_unref);
  g_free (message);
}

ShoalVendorMessage *
shoal_vendor_message_parse (const guint8 *data,
                            gsize         length,
                            GError      **error)
{
  ShoalByteReader reader;
  ShoalVendorType type;

  if (length < SHOAL_VENDOR_HEADER_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "vendor message payload is %" G_GSIZE_FORMAT
                   " bytes, needs at least %d", length,
                   SHOAL_VENDOR_HEADER_SIZE);
      return NULL;
    }
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_be32 (&reader, &type.vendor);
  shoal_byte_reader_read_le16 (&reader, &type.selector);
  shoal_byte_reader_read_le16 (&reader, &type.version);
  return shoal_vendor_message_new (type.vendor, type.selector, type.version,
                                   shoal_byte_reader_current (&reader),
                                   shoal_byte_reader_remaining (&reader));
}

/* The vendor header and each "Messages Supported" entry share this layout. */
static void
append_type (GByteArray *out,
             guint32     vendor,
             guint16     selector,
             guint16     version)
{
  shoal_bytes_append_be32 (out, vendor);
  shoal_bytes_append_le16 (out, selector);
  shoal_bytes_append_le16 (out, version);
}

void
shoal_vendor_message_write (const ShoalVendorMessage *message,
                            GByteArray               *out)
{
  gsize length;
  const guint8 *body = g_bytes_get_data (message->body, &length);

  append_type (out, message->type.vendor, message->type.selector,
               message->type.version);
  shoal_bytes_append (out, body, length);
}

gboolean
shoal_vendor_message_is (const ShoalVendorMessage *message,
                         guint32                   vendor,
                         guint16                   selector)
{
  return message->type.vendor == vendor && message->type.selector == selector;
}

char *
shoal_vendor_code_format (guint32 code,
                          char    buffer[SHOAL_VENDOR_CODE_STRLEN])
{
  const guint length = SHOAL_VENDOR_CODE_STRLEN - 1;

  for (guint i = 0; i < length; i++)
    {
      char c = (char) ((code >> (8 * (length - 1 - i))) & 0xff);

      buffer[i] = g_ascii_isprint (c) ? c : '.';
    }
  buffer[length] = '\0';
  return buffer;
}

/* Refuses a message that is not @vendor/@selector, naming both. */
static gboolean
check_type (const ShoalVendorMessage *message,
            guint32                   vendor,
            guint16                   selector,
            const char               *name,
            GError                  **error)
{
  char got[SHOAL_VENDOR_CODE_STRLEN], want[SHOAL_VENDOR_CODE_STRLEN];

  if (shoal_vendor_message_is (message, vendor, selector))
    return TRUE;
  g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
               "vendor message %s/%uv%u is not %s (%s/%u)",
               shoal_vendor_code_format (message->type.vendor, got),
               message->type.selector, message->type.version, name,
               shoal_vendor_code_format (vendor, want), selector);
  return FALSE;
}

/* Starts reading @message's body, which must hold at least @needed bytes. */
static gboolean
open_body (const ShoalVendorMessage *message,
           gsize                     needed,
           const char               *name,
           ShoalByteReader          *reader,
           GError                  **error)
{
  gsize length;
  const guint8 *body = g_bytes_get_data (message->body, &length);

  if (length < needed)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "%s body is %" G_GSIZE_FORMAT " bytes, needs %"
                   G_GSIZE_FORMAT, name, length, needed);
      return FALSE;
    }
  shoal_byte_reader_init (reader, body, length);
  return TRUE;
}

/* Reads a list's le16 count and checks that @entry_size × count bytes
 * follow before anyone allocates for them. */
static gboolean
read_list_count (const ShoalVendorMessage *message,
                 gsize                     entry_size,
                 const char               *name,
                 ShoalByteReader          *reader,
                 guint16                  *count,
                 GError                  **error)
{
  if (!open_body (message, LIST_COUNT_SIZE, name, reader, error))
    return FALSE;
  shoal_byte_reader_read_le16 (reader, count);
  if (shoal_byte_reader_remaining (reader) < *count * entry_size)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "%s announces %u entries (%" G_GSIZE_FORMAT " bytes), "
                   "only %" G_GSIZE_FORMAT " bytes follow", name, *count,
                   *count * entry_size, shoal_byte_reader_remaining (reader));
      return FALSE;
    }
  return TRUE;
}

/* Messages Supported ------------------------------------------------------ */

ShoalVendorMessagesSupported *
shoal_vendor_messages_supported_new (void)
{
  ShoalVendorMessagesSupported *supported = g_new0 (ShoalVendorMessagesSupported, 1);

  supported->types = g_array_new (FALSE, FALSE, sizeof (ShoalVendorType));
  return supported;
}

void
shoal_vendor_messages_supported_free (ShoalVendorMessagesSupported *supported)
{
  if (supported == NULL)
    return;
  g_array_unref (supported->types);
  g_free (supported);
}

ShoalVendorMessagesSupported *
shoal_vendor_messages_supported_parse (const ShoalVendorMessage *message,
                                       GError                  **error)
{
  static const char name[] = "Messages Supported";
  g_autoptr(ShoalVendorMessagesSupported) supported = NULL;
  ShoalByteReader reader;
  guint16 count;

  if (!check_type (message, SHOAL_VENDOR_STANDARD,
                   SHOAL_VENDOR_MESSAGES_SUPPORTED, name, error) ||
      !read_list_count (message, MESSAGES_SUPPORTED_ENTRY_SIZE, name,
                        &reader, &count, error))
    return NULL;

  supported = shoal_vendor_messages_supported_new ();
  g_array_set_size (supported->types, count);
  for (guint i = 0; i < count; i++)
    {
      ShoalVendorType *type = &g_array_index (supported->types, ShoalVendorType, i);

      shoal_byte_reader_read_be32 (&reader, &type->vendor);
      shoal_byte_reader_read_le16 (&reader, &type->selector);
      shoal_byte_reader_read_le16 (&reader, &type->version);
    }
  return g_steal_pointer (&supported);
}

void
shoal_vendor_messages_supported_write (const ShoalVendorMessagesSupported *supported,
                                       GByteArray                         *out)
{
  g_return_if_fail (supported->types->len <= G_MAXUINT16);

  append_type (out, SHOAL_VENDOR_STANDARD,
               SHOAL_VENDOR_MESSAGES_SUPPORTED, STANDARD_VERSION);
  shoal_bytes_append_le16 (out, (guint16) supported->types->len);
  for (guint i = 0; i < supported->types->len; i++)
    {
      const ShoalVendorType *type = &g_array_index (supported->types, ShoalVendorType, i);

      append_type (out, type->vendor, type->selector, type->version);
    }
}

void
shoal_vendor_messages_supported_add (ShoalVendorMessagesSupported *supported,
                                     guint32                       vendor,
                                     guint16                       selector,
                                     guint16                       version)
{
  ShoalVendorType type = { vendor, selector, version };

  g_array_append_val (supported->types, type);
}

gboolean
shoal_vendor_messages_supported_contains (const ShoalVendorMessagesSupported *supported,
                                          guint32                             vendor,
                                          guint16                             selector,
                                          guint16                             version)
{
  for (guint i = 0; i < supported->types->len; i++)
    {
      const ShoalVendorType *type = &g_array_index (supported->types, ShoalVendorType, i);

      if (type->vendor == vendor && type->selector == selector &&
          type->version == version)
        return TRUE;
    }
  return FALSE;
}

/* Features Supported ------------------------------------------------------ */

ShoalVendorFeaturesSupported *
shoal_vendor_features_supported_new (void)
{
  ShoalVendorFeaturesSupported *supported = g_new0 (ShoalVendorFeaturesSupported, 1);

  supported->features = g_array_new (FALSE, FALSE, sizeof (ShoalVendorFeature));
  return supported;
}

void
shoal_vendor_features_supported_free (ShoalVendorFeaturesSupported *supported)
{
  if (supported == NULL)
    return;
  g_array_unref (supported->features);
  g_free (supported);
}

ShoalVendorFeaturesSupported *
shoal_vendor_features_supported_parse (const ShoalVendorMessage *message,
                                       GError                  **error)
{
  static const char name[] = "Features Supported";
  g_autoptr(ShoalVendorFeaturesSupported) supported = NULL;
  ShoalByteReader reader;
  guint16 count;

  if (!check_type (message, SHOAL_VENDOR_STANDARD,
                   SHOAL_VENDOR_FEATURES_SUPPORTED, name, error) ||
      !read_list_count (message, FEATURES_SUPPORTED_ENTRY_SIZE, name,
                        &reader, &count, error))
    return NULL;

  supported = shoal_vendor_features_supported_new ();
  g_array_set_size (supported->features, count);
  for (guint i = 0; i < count; i++)
    {
      ShoalVendorFeature *feature = &g_array_index (supported->features, ShoalVendorFeature, i);

      shoal_byte_reader_read_be32 (&reader, &feature->name);
      shoal_byte_reader_read_le16 (&reader, &feature->version);
    }
  return g_steal_pointer (&supported);
}

void
shoal_vendor_features_supported_write (const ShoalVendorFeaturesSupported *supported,
                                       GByteArray                         *out)
{
  g_return_if_fail (supported->features->len <= G_MAXUINT16);

  append_type (out, SHOAL_VENDOR_STANDARD,
               SHOAL_VENDOR_FEATURES_SUPPORTED, STANDARD_VERSION);
  shoal_bytes_append_le16 (out, (guint16) supported->features->len);
  for (guint i = 0; i < supported->features->len; i++)
    {
      const ShoalVendorFeature *feature = &g_array_index (supported->features, ShoalVendorFeature, i);

      shoal_bytes_append_be32 (out, feature->name);
      shoal_bytes_append_le16 (out, feature->version);
    }
}

void
shoal_vendor_features_supported_add (ShoalVendorFeaturesSupported *supported,
                                     guint32                       name,
                                     guint16                       version)
{
  ShoalVendorFeature feature = { name, version };

  g_array_append_val (supported->features, feature);
}

gboolean
shoal_vendor_features_supported_find (const ShoalVendorFeaturesSupported *supported,
                                      guint32                             name,
                                      guint16                            *version)
{
  for (guint i = 0; i < supported->features->len; i++)
    {
      const ShoalVendorFeature *feature = &g_array_index (supported->features, ShoalVendorFeature, i);

      if (feature->name == name)
        {
          *version = feature->version;
          return TRUE;
        }
    }
  return FALSE;
}

/* Small bodies ------------------------------------------------------------ */

/* gtk-gnutella ignores BEAR messages of a version above the one it knows. */
static gboolean
check_bear_version (const ShoalVendorMessage *message,
                    const char               *name,
                    GError                  **error)
{
  if (message->type.version <= BEAR_VERSION)
    return TRUE;
  g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
               "%s version %u is not supported (only %d)",
               name, message->type.version, BEAR_VERSION);
  return FALSE;
}

/* A connect-back or push-proxy port of 0 cannot be connected to. */
static gboolean
check_port (guint16      port,
            const char  *name,
            GError     **error)
{
  if (port != 0)
    return TRUE;
  g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
               "%s names port 0", name);
  return FALSE;
}

gboolean
shoal_vendor_hops_flow_parse (const ShoalVendorMessage *message,
                              guint8                   *max_hops,
                              GError                  **error)
{
  static const char name[] = "Hops Flow";
  ShoalByteReader reader;

  if (!check_type (message, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_HOPS_FLOW,
                   name, error) ||
      !check_bear_version (message, name, error) ||
      !open_body (message, 1, name, &reader, error))
    return FALSE;
  shoal_byte_reader_read_u8 (&reader, max_hops);
  return TRUE;
}

void
shoal_vendor_hops_flow_write (guint8      max_hops,
                              GByteArray *out)
{
  append_type (out, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_HOPS_FLOW,
               BEAR_VERSION);
  shoal_bytes_append_u8 (out, max_hops);
}

gboolean
shoal_vendor_tcp_connect_back_parse (const ShoalVendorMessage *message,
                                     guint16                  *port,
                                     GError                  **error)
{
  static const char name[] = "TCP Connect Back";
  ShoalByteReader reader;

  if (!check_type (message, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_TCP_CONNECT_BACK,
                   name, error) ||
      !check_bear_version (message, name, error) ||
      !open_body (message, PORT_SIZE, name, &reader, error))
    return FALSE;
  shoal_byte_reader_read_le16 (&reader, port);
  return check_port (*port, name, error);
}

void
shoal_vendor_tcp_connect_back_write (guint16     port,
                                     GByteArray *out)
{
  g_return_if_fail (port != 0);

  append_type (out, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_TCP_CONNECT_BACK,
               BEAR_VERSION);
  shoal_bytes_append_le16 (out, port);
}

void
shoal_vendor_query_status_request_write (GByteArray *out)
{
  append_type (out, SHOAL_VENDOR_BEAR,
               SHOAL_VENDOR_QUERY_STATUS_REQUEST, BEAR_VERSION);
}

gboolean
shoal_vendor_query_status_response_parse (const ShoalVendorMessage *message,
                                          guint16                  *hits,
                                          GError                  **error)
{
  static const char name[] = "Query Status Response";
  ShoalByteReader reader;

  if (!check_type (message, SHOAL_VENDOR_BEAR,
                   SHOAL_VENDOR_QUERY_STATUS_RESPONSE, name, error) ||
      !open_body (message, PORT_SIZE, name, &reader, error))
    return FALSE;
  shoal_byte_reader_read_le16 (&reader, hits);
  return TRUE;
}

void
shoal_vendor_query_status_response_write (guint16     hits,
                                          GByteArray *out)
{
  append_type (out, SHOAL_VENDOR_BEAR,
               SHOAL_VENDOR_QUERY_STATUS_RESPONSE, BEAR_VERSION);
  shoal_bytes_append_le16 (out, hits);
}

void
shoal_vendor_push_proxy_request_write (GByteArray *out)
{
  append_type (out, SHOAL_VENDOR_LIME,
               SHOAL_VENDOR_PUSH_PROXY_REQUEST,
               PUSH_PROXY_REQUEST_VERSION);
}

gboolean
shoal_vendor_push_proxy_ack_parse (const ShoalVendorMessage *message,
                                   ShoalIpv4Endpoint        *proxy,
                                   GError                  **error)
{
  static const char name[] = "Push-Proxy Ack";
  gboolean has_address = message->type.version >= PUSH_PROXY_ACK_ADDRESS_VERSION;
  ShoalByteReader reader;
  const guint8 *address;

  if (!check_type (message, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_ACK,
                   name, error) ||
      !open_body (message, has_address ? SHOAL_IPV4_PACKED_SIZE : PORT_SIZE, name,
                  &reader, error))
    return FALSE;
  proxy->address = 0;
  if (has_address)
    {
      shoal_byte_reader_read_bytes (&reader, 4, &address);
      proxy->address = shoal_ipv4_from_wire (address);
    }
  shoal_byte_reader_read_le16 (&reader, &proxy->port);
  return check_port (proxy->port, name, error);
}

void
shoal_vendor_push_proxy_ack_write (guint16                  version,
                                   const ShoalIpv4Endpoint *proxy,
                                   GByteArray              *out)
{
  g_return_if_fail (version >= 1);
  g_return_if_fail (proxy->port != 0);

  append_type (out, SHOAL_VENDOR_LIME, SHOAL_VENDOR_PUSH_PROXY_ACK,
               version);
  if (version >= PUSH_PROXY_ACK_ADDRESS_VERSION)
    shoal_ipv4_endpoints_pack (proxy, 1, out);
  else
    shoal_bytes_append_le16 (out, proxy->port);
}

gboolean
shoal_vendor_udp_connect_back_parse (const ShoalVendorMessage *message,
                                     guint16                  *port,
                                     ShoalGuid                *guid,
                                     gboolean                 *has_guid,
                                     GError                  **error)
{
  static const char name[] = "UDP Connect Back";
  guint16 version = message->type.version;
  ShoalByteReader reader;
  const guint8 *bytes;

  if (!check_type (message, SHOAL_VENDOR_GTKG, SHOAL_VENDOR_UDP_CONNECT_BACK,
                   name, error))
    return FALSE;
  if (version < 1 || version > UDP_CONNECT_BACK_MAX_VERSION)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
                   "%s version %u is not supported (only 1 and %d)",
                   name, version, UDP_CONNECT_BACK_MAX_VERSION);
      return FALSE;
    }
  *has_guid = version == UDP_CONNECT_BACK_GUID_VERSION;
  if (!open_body (message, PORT_SIZE + (*has_guid ? SHOAL_GUID_SIZE : 0), name,
                  &reader, error))
    return FALSE;
  shoal_byte_reader_read_le16 (&reader, port);
  if (*has_guid)
    {
      shoal_byte_reader_read_bytes (&reader, SHOAL_GUID_SIZE, &bytes);
      memcpy (guid->bytes, bytes, SHOAL_GUID_SIZE);
    }
  return check_port (*port, name, error);
}

void
shoal_vendor_udp_connect_back_write (guint16          version,
                                     guint16          port,
                                     const ShoalGuid *guid,
                                     GByteArray      *out)
{
  g_return_if_fail (version >= 1 && version <= UDP_CONNECT_BACK_MAX_VERSION);
  g_return_if_fail ((guid != NULL) == (version == UDP_CONNECT_BACK_GUID_VERSION));
  g_return_if_fail (port != 0);

  append_type (out, SHOAL_VENDOR_GTKG, SHOAL_VENDOR_UDP_CONNECT_BACK,
               version);
  shoal_bytes_append_le16 (out, port);
  if (guid != NULL)
    shoal_bytes_append (out, guid->bytes, SHOAL_GUID_SIZE);
}
