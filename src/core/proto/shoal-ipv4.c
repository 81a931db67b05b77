/* shoal-ipv4.c — IPv4 endpoints in packed wire form and in text. */
#include "shoal-ipv4.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <stdio.h>

guint32
shoal_ipv4_from_wire (const guint8 bytes[4])
{
  return ((guint32) bytes[0] << 24) | ((guint32) bytes[1] << 16) |
         ((guint32) bytes[2] << 8) | (guint32) bytes[3];
}

void
shoal_ipv4_to_wire (guint32 address,
                    guint8  bytes[4])
{
  bytes[0] = address >> 24;
  bytes[1] = (address >> 16) & 0xff;
  bytes[2] = (address >> 8) & 0xff;
  bytes[3] = address & 0xff;
}

char *
shoal_ipv4_endpoint_format (const ShoalIpv4Endpoint *endpoint,
                            gboolean                 with_port,
                            char                     buffer[SHOAL_IPV4_ENDPOINT_STRLEN])
{
  guint32 a = endpoint->address;

  if (with_port || endpoint->port != 0)
    g_snprintf (buffer, SHOAL_IPV4_ENDPOINT_STRLEN, "%u.%u.%u.%u:%u",
                a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
                endpoint->port);
  else
    g_snprintf (buffer, SHOAL_IPV4_ENDPOINT_STRLEN, "%u.%u.%u.%u",
                a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  return buffer;
}

/* Reads a decimal number of at most @max_digits digits, no sign, no spaces. */
static gboolean
read_decimal (const char **cursor,
              const char  *end,
              guint        max_digits,
              guint32      max_value,
              guint32     *value)
{
  const char *p = *cursor;
  guint32 v = 0;
  guint digits = 0;

  while (p < end && g_ascii_isdigit (*p) && digits < max_digits)
    {
      v = v * 10 + (guint32) (*p - '0');
      p++;
      digits++;
    }
  if (digits == 0 || v > max_value || (p < end && g_ascii_isdigit (*p)))
    return FALSE;
  *cursor = p;
  *value = v;
  return TRUE;
}

gboolean
shoal_ipv4_endpoint_parse (const char        *text,
                           gsize              length,
                           ShoalIpv4Endpoint *endpoint)
{
  const char *p = text;
  const char *end = text + length;
  guint32 address = 0;
  guint32 port = 0;

  for (guint i = 0; i < 4; i++)
    {
      guint32 octet;

      if (i > 0)
        {
          if (p >= end || *p != '.')
            return FALSE;
          p++;
        }
      if (!read_decimal (&p, end, 3, 255, &octet))
        return FALSE;
      address = (address << 8) | octet;
    }
  if (p < end)
    {
      if (*p != ':')
        return FALSE;
      p++;
      if (!read_decimal (&p, end, 5, 65535, &port))
        return FALSE;
    }
  if (p != end)
    return FALSE;
  endpoint->address = address;
  endpoint->port = (guint16) port;
  return TRUE;
}

GArray *
shoal_ipv4_endpoints_unpack (const guint8 *data,
                             gsize         length,
                             GError      **error)
{
  g_autoptr(GArray) endpoints = NULL;
  ShoalByteReader reader;

  if (length % SHOAL_IPV4_PACKED_SIZE != 0)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "packed endpoint list of %" G_GSIZE_FORMAT
                   " bytes is not a multiple of %d",
                   length, SHOAL_IPV4_PACKED_SIZE);
      return NULL;
    }
  endpoints = g_array_sized_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint),
                                 (guint) (length / SHOAL_IPV4_PACKED_SIZE));
  shoal_byte_reader_init (&reader, data, length);
  while (shoal_byte_reader_remaining (&reader) > 0)
    {
      const guint8 *address;
      ShoalIpv4Endpoint endpoint;

      shoal_byte_reader_read_bytes (&reader, 4, &address);
      shoal_byte_reader_read_le16 (&reader, &endpoint.port);
      endpoint.address = shoal_ipv4_from_wire (address);
      g_array_append_val (endpoints, endpoint);
    }
  return g_steal_pointer (&endpoints);
}

void
shoal_ipv4_endpoints_pack (const ShoalIpv4Endpoint *endpoints,
                           gsize                    count,
                           GByteArray              *out)
{
  for (gsize i = 0; i < count; i++)
    {
      guint8 address[4];

      shoal_ipv4_to_wire (endpoints[i].address, address);
      shoal_bytes_append (out, address, sizeof address);
      shoal_bytes_append_le16 (out, endpoints[i].port);
    }
}
