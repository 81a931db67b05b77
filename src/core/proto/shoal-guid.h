/* shoal-guid.h — 16-byte GUIDs: message IDs and servent identities. */
#pragma once

#include <glib.h>

#include "shoal-ipv4.h"

G_BEGIN_DECLS

#define SHOAL_GUID_SIZE 16
#define SHOAL_GUID_HEX_LENGTH 32

typedef struct
{
  guint8 bytes[SHOAL_GUID_SIZE];
} ShoalGuid;

/* Random GUID marked "modern" (byte 8 = 0xFF, byte 15 = 0), as servents
 * since LimeWire 2 mint them. */
void     shoal_guid_init_modern      (ShoalGuid *guid);
gboolean shoal_guid_is_modern        (const ShoalGuid *guid);
gboolean shoal_guid_is_zero          (const ShoalGuid *guid);
gboolean shoal_guid_equal            (gconstpointer a,
                                      gconstpointer b);
guint    shoal_guid_hash             (gconstpointer guid);
/* Byte by byte, as unsigned numbers: the order two nodes agree on when
 * they must choose between them (a duplicate link, a LAN election). A
 * GCompareFunc. */
gint     shoal_guid_compare          (gconstpointer a,
                                      gconstpointer b);

/* 32 lower-case hex digits and a NUL into @buffer; returns @buffer. */
char    *shoal_guid_format           (const ShoalGuid *guid,
                                      char             buffer[SHOAL_GUID_HEX_LENGTH + 1]);
char    *shoal_guid_to_hex           (const ShoalGuid *guid);
/* Exactly 32 hex digits, either case (@length -1: NUL-terminated). */
gboolean shoal_guid_from_hex         (const char *hex,
                                      gssize      length,
                                      ShoalGuid  *guid,
                                      GError    **error);

/* Out-of-band queries (flag 0x0400) carry the querier's return address in
 * their GUID: bytes 0–3 the IPv4 address, bytes 13–14 the le16 UDP port. */
void     shoal_guid_get_oob_endpoint (const ShoalGuid   *guid,
                                      ShoalIpv4Endpoint *endpoint);
void     shoal_guid_set_oob_endpoint (ShoalGuid               *guid,
                                      const ShoalIpv4Endpoint *endpoint);

G_END_DECLS
