/* shoal-guid.c — 16-byte GUIDs: message IDs and servent identities. */
#include "shoal-guid.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

#define MODERN_MARK_OFFSET 8
#define MODERN_MARK 0xff
#define VERSION_OFFSET 15

void
shoal_guid_init_modern (ShoalGuid *guid)
{
  for (guint i = 0; i < SHOAL_GUID_SIZE; i += 4)
    {
      guint32 r = g_random_int ();

      memcpy (guid->bytes + i, &r, 4);
    }
  guid->bytes[MODERN_MARK_OFFSET] = MODERN_MARK;
  guid->bytes[VERSION_OFFSET] = 0;
}

gboolean
shoal_guid_is_modern (const ShoalGuid *guid)
{
  return guid->bytes[MODERN_MARK_OFFSET] == MODERN_MARK;
}

gboolean
shoal_guid_is_zero (const ShoalGuid *guid)
{
  static const ShoalGuid zero;

  return memcmp (guid->bytes, zero.bytes, SHOAL_GUID_SIZE) == 0;
}

gboolean
shoal_guid_equal (gconstpointer a,
                  gconstpointer b)
{
  return memcmp (((const ShoalGuid *) a)->bytes,
                 ((const ShoalGuid *) b)->bytes, SHOAL_GUID_SIZE) == 0;
}

gint
shoal_guid_compare (gconstpointer a,
                    gconstpointer b)
{
  return memcmp (((const ShoalGuid *) a)->bytes,
                 ((const ShoalGuid *) b)->bytes, SHOAL_GUID_SIZE);
}

guint
shoal_guid_hash (gconstpointer guid)
{
  const guint8 *b = ((const ShoalGuid *) guid)->bytes;
  guint h = 0;

  /* GUIDs are random, but servents put fixed marks in some bytes (8, 15,
   * GTKG's 2–5): mix them all rather than trusting any one word. */
  for (guint i = 0; i < SHOAL_GUID_SIZE; i++)
    h = h * 31 + b[i];
  return h;
}

char *
shoal_guid_format (const ShoalGuid *guid,
                   char             buffer[SHOAL_GUID_HEX_LENGTH + 1])
{
  g_autofree char *hex = shoal_bytes_to_hex (guid->bytes, SHOAL_GUID_SIZE);

  memcpy (buffer, hex, SHOAL_GUID_HEX_LENGTH + 1);
  return buffer;
}

char *
shoal_guid_to_hex (const ShoalGuid *guid)
{
  return shoal_bytes_to_hex (guid->bytes, SHOAL_GUID_SIZE);
}

gboolean
shoal_guid_from_hex (const char *hex,
                     gssize      length,
                     ShoalGuid  *guid,
                     GError    **error)
{
  gsize len = length < 0 ? strlen (hex) : (gsize) length;

  if (len != SHOAL_GUID_HEX_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "GUID must be %d hex digits, got %" G_GSIZE_FORMAT,
                   SHOAL_GUID_HEX_LENGTH, len);
      return FALSE;
    }
  for (guint i = 0; i < SHOAL_GUID_SIZE; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       "GUID has a non-hex character at position %u",
                       hi < 0 ? 2 * i : 2 * i + 1);
          return FALSE;
        }
      guid->bytes[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

void
shoal_guid_get_oob_endpoint (const ShoalGuid   *guid,
                             ShoalIpv4Endpoint *endpoint)
{
  endpoint->address = shoal_ipv4_from_wire (guid->bytes);
  endpoint->port = (guint16) (guid->bytes[13] | (guid->bytes[14] << 8));
}

void
shoal_guid_set_oob_endpoint (ShoalGuid               *guid,
                             const ShoalIpv4Endpoint *endpoint)
{
  shoal_ipv4_to_wire (endpoint->address, guid->bytes);
  guid->bytes[13] = endpoint->port & 0xff;
  guid->bytes[14] = endpoint->port >> 8;
}
