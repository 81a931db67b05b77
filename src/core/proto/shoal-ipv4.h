/* shoal-ipv4.h — IPv4 endpoints as Gnutella packs them (address in network
 * order, port little-endian) and as people write them ("a.b.c.d:port"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Room for "255.255.255.255:65535" and its NUL. */
#define SHOAL_IPV4_ENDPOINT_STRLEN 22
/* One packed endpoint on the wire: 4 address bytes + le16 port. */
#define SHOAL_IPV4_PACKED_SIZE 6

/* @address holds a.b.c.d as (a << 24 | b << 16 | c << 8 | d). */
typedef struct
{
  guint32 address;
  guint16 port;
} ShoalIpv4Endpoint;

guint32  shoal_ipv4_from_wire          (const guint8 bytes[4]);
void     shoal_ipv4_to_wire            (guint32 address,
                                        guint8  bytes[4]);
/* Writes "a.b.c.d" or "a.b.c.d:port" (port > 0 or @with_port) into @buffer. */
char    *shoal_ipv4_endpoint_format    (const ShoalIpv4Endpoint *endpoint,
                                        gboolean                 with_port,
                                        char                     buffer[SHOAL_IPV4_ENDPOINT_STRLEN]);
/* Parses "a.b.c.d" or "a.b.c.d:port" (no port → 0); strict dotted quad. */
gboolean shoal_ipv4_endpoint_parse     (const char        *text,
                                        gsize              length,
                                        ShoalIpv4Endpoint *endpoint);

/* n × 6-byte packed endpoints (GGEP IPP, ALT, PUSH). Fails when @length is
 * not a multiple of 6. Returns an array of ShoalIpv4Endpoint. */
GArray  *shoal_ipv4_endpoints_unpack   (const guint8 *data,
                                        gsize         length,
                                        GError      **error);
void     shoal_ipv4_endpoints_pack     (const ShoalIpv4Endpoint *endpoints,
                                        gsize                    count,
                                        GByteArray              *out);

G_END_DECLS
