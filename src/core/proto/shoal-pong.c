/* shoal-pong.c — pong (0x01) and its GGEP metadata. */
#include "shoal-pong.h"

#include "shoal-bytes.h"
#include "shoal-ping.h"
#include "shoal-proto-error.h"

#include <string.h>

#define DAILY_UPTIME_ID "DU"
#define ULTRAPEER_ID "UP"
#define VENDOR_ID "VC"
#define LOCALE_ID "LOC"
#define GUESS_ID "GUE"
#define PACKED_HOSTS_ID "IPP"

/* Sizes gtk-gnutella requires before it uses an extension
 * (pong_extract_metadata, src/core/pcache.c). */
#define ULTRAPEER_MIN_SIZE 3
#define VENDOR_CODE_SIZE 4
#define LANGUAGE_SIZE 2
#define LOCALE_SEPARATOR '_'

ShoalPong *
shoal_pong_new (const ShoalIpv4Endpoint *endpoint,
                guint32                  files,
                guint32                  kbytes)
{
  ShoalPong *pong = g_new0 (ShoalPong, 1);

  pong->endpoint = *endpoint;
  pong->files = files;
  pong->kbytes = kbytes;
  return pong;
}

void
shoal_pong_free (ShoalPong *pong)
{
  if (pong == NULL)
    return;
  g_clear_pointer (&pong->ggep, shoal_ggep_free);
  g_free (pong);
}

ShoalPong *
shoal_pong_parse (const guint8 *data,
                  gsize         length,
                  GError      **error)
{
  g_autoptr(ShoalPong) pong = g_new0 (ShoalPong, 1);
  ShoalByteReader reader;
  const guint8 *address;

  if (length < SHOAL_PONG_FIXED_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "pong payload is %" G_GSIZE_FORMAT " bytes, needs at "
                   "least %d", length, SHOAL_PONG_FIXED_SIZE);
      return NULL;
    }
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_le16 (&reader, &pong->endpoint.port);
  shoal_byte_reader_read_bytes (&reader, 4, &address);
  pong->endpoint.address = shoal_ipv4_from_wire (address);
  shoal_byte_reader_read_le32 (&reader, &pong->files);
  shoal_byte_reader_read_le32 (&reader, &pong->kbytes);
  if (!shoal_trailing_ggep_parse (shoal_byte_reader_current (&reader),
                                  shoal_byte_reader_remaining (&reader),
                                  "pong", &pong->ggep, error))
    return NULL;
  return g_steal_pointer (&pong);
}

gboolean
shoal_pong_write (const ShoalPong *pong,
                  GByteArray      *out,
                  GError         **error)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  guint8 address[4];

  shoal_bytes_append_le16 (payload, pong->endpoint.port);
  shoal_ipv4_to_wire (pong->endpoint.address, address);
  shoal_bytes_append (payload, address, sizeof address);
  shoal_bytes_append_le32 (payload, pong->files);
  shoal_bytes_append_le32 (payload, pong->kbytes);
  if (!shoal_trailing_ggep_write (pong->ggep, "pong", payload, error))
    return FALSE;
  shoal_bytes_append (out, payload->data, payload->len);
  return TRUE;
}

/* Readers ----------------------------------------------------------------- */

/* Starts reading extension @id, which must hold at least @needed bytes.
 * FALSE without an error when the pong does not carry it. */
static gboolean
open_extension (const ShoalPong *pong,
                const char      *id,
                gsize            needed,
                ShoalByteReader *reader,
                GError         **error)
{
  const ShoalGgepExtension *extension;
  const guint8 *data;
  gsize length;

  if (pong->ggep == NULL)
    return FALSE;
  extension = shoal_ggep_find (pong->ggep, id);
  if (extension == NULL)
    return FALSE;
  data = g_bytes_get_data (extension->data, &length);
  if (length < needed)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "pong GGEP \"%s\" is %" G_GSIZE_FORMAT " bytes, needs at "
                   "least %" G_GSIZE_FORMAT, id, length, needed);
      return FALSE;
    }
  shoal_byte_reader_init (reader, data, length);
  return TRUE;
}

gboolean
shoal_pong_get_daily_uptime (const ShoalPong *pong,
                             guint32         *seconds,
                             GError         **error)
{
  ShoalByteReader reader;
  gsize length;
  const guint8 *bytes;
  guint64 value = 0;

  if (!open_extension (pong, DAILY_UPTIME_ID, 0, &reader, error))
    return FALSE;
  length = shoal_byte_reader_remaining (&reader);
  if (length > SHOAL_PONG_DAILY_UPTIME_MAX_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "pong GGEP \"DU\" is %" G_GSIZE_FORMAT " bytes, at most %d",
                   length, SHOAL_PONG_DAILY_UPTIME_MAX_SIZE);
      return FALSE;
    }
  /* gtk-gnutella writes an uptime of 0 as empty data. */
  shoal_byte_reader_read_bytes (&reader, length, &bytes);
  if (length > 0)
    shoal_vlint_decode (bytes, length, &value);
  *seconds = (guint32) value;
  return TRUE;
}

gboolean
shoal_pong_get_ultrapeer (const ShoalPong    *pong,
                          ShoalPongUltrapeer *ultrapeer,
                          GError            **error)
{
  ShoalByteReader reader;

  if (!open_extension (pong, ULTRAPEER_ID, ULTRAPEER_MIN_SIZE, &reader, error))
    return FALSE;
  shoal_byte_reader_read_u8 (&reader, &ultrapeer->version);
  shoal_byte_reader_read_u8 (&reader, &ultrapeer->free_leaf_slots);
  shoal_byte_reader_read_u8 (&reader, &ultrapeer->free_ultrapeer_slots);
  return TRUE;
}

gboolean
shoal_pong_get_vendor (const ShoalPong *pong,
                       guint32         *vendor,
                       guint8          *version,
                       GError         **error)
{
  ShoalByteReader reader;

  if (!open_extension (pong, VENDOR_ID, VENDOR_CODE_SIZE, &reader, error))
    return FALSE;
  shoal_byte_reader_read_be32 (&reader, vendor);
  *version = 0;
  shoal_byte_reader_read_u8 (&reader, version);
  return TRUE;
}

gboolean
shoal_pong_get_locale (const ShoalPong *pong,
                       char           **locale,
                       GError         **error)
{
  ShoalByteReader reader;
  const guint8 *text;
  guint8 c;

  if (!open_extension (pong, LOCALE_ID, LANGUAGE_SIZE, &reader, error))
    return FALSE;
  text = shoal_byte_reader_current (&reader);
  while (shoal_byte_reader_read_u8 (&reader, &c))
    if (!g_ascii_isprint (c))
      {
        g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                     "pong GGEP \"LOC\" holds byte 0x%02x at offset %"
                     G_GSIZE_FORMAT, c, reader.offset - 1);
        return FALSE;
      }
  *locale = g_strndup ((const char *) text, reader.offset);
  return TRUE;
}

gboolean
shoal_pong_get_guess (const ShoalPong *pong,
                      guint8          *version,
                      GError         **error)
{
  ShoalByteReader reader;

  if (!open_extension (pong, GUESS_ID, 0, &reader, error))
    return FALSE;
  *version = SHOAL_PONG_GUESS_EMPTY_VERSION;
  shoal_byte_reader_read_u8 (&reader, version);
  return TRUE;
}

gboolean
shoal_pong_get_packed_hosts (const ShoalPong *pong,
                             GArray         **hosts,
                             GError         **error)
{
  g_autoptr(GError) unpack_error = NULL;
  ShoalByteReader reader;

  if (!open_extension (pong, PACKED_HOSTS_ID, 0, &reader, error))
    return FALSE;
  *hosts = shoal_ipv4_endpoints_unpack (shoal_byte_reader_current (&reader),
                                        shoal_byte_reader_remaining (&reader),
                                        &unpack_error);
  if (*hosts == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&unpack_error),
                                  "pong GGEP \"IPP\": ");
      return FALSE;
    }
  return TRUE;
}

/* Builders ---------------------------------------------------------------- */

/* gtk-gnutella packs pong extensions plain (no COBS, no deflate). */
static void
add_extension (ShoalPong        *pong,
               const char       *id,
               const GByteArray *data)
{
  if (pong->ggep == NULL)
    pong->ggep = shoal_ggep_new ();
  shoal_ggep_add (pong->ggep, id, data->data, data->len,
                  SHOAL_GGEP_ENCODING_NONE);
}

void
shoal_pong_add_vendor (ShoalPong *pong,
                       guint32    vendor,
                       guint8     version)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();

  shoal_bytes_append_be32 (data, vendor);
  shoal_bytes_append_u8 (data, version);
  add_extension (pong, VENDOR_ID, data);
}

void
shoal_pong_add_guess (ShoalPong *pong,
                      guint8     version)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();

  shoal_bytes_append_u8 (data, version);
  add_extension (pong, GUESS_ID, data);
}

void
shoal_pong_add_ultrapeer (ShoalPong                *pong,
                          const ShoalPongUltrapeer *ultrapeer)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();

  shoal_bytes_append_u8 (data, ultrapeer->version);
  shoal_bytes_append_u8 (data, ultrapeer->free_leaf_slots);
  shoal_bytes_append_u8 (data, ultrapeer->free_ultrapeer_slots);
  add_extension (pong, ULTRAPEER_ID, data);
}

void
shoal_pong_add_locale (ShoalPong  *pong,
                       const char *language,
                       const char *country)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();

  g_return_if_fail (language != NULL && strlen (language) == LANGUAGE_SIZE);
  g_return_if_fail (country == NULL || strlen (country) == LANGUAGE_SIZE);

  shoal_bytes_append (data, (const guint8 *) language, LANGUAGE_SIZE);
  if (country != NULL)
    {
      shoal_bytes_append_u8 (data, LOCALE_SEPARATOR);
      shoal_bytes_append (data, (const guint8 *) country, LANGUAGE_SIZE);
    }
  add_extension (pong, LOCALE_ID, data);
}

void
shoal_pong_add_daily_uptime (ShoalPong *pong,
                             guint32    seconds)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 vlint[8];
  guint length;

  seconds = MIN (seconds, SHOAL_PONG_MAX_DAILY_UPTIME);
  length = shoal_vlint_encode (seconds, vlint);
  /* gtk-gnutella's vlint of 0 has no bytes at all. */
  if (seconds > 0)
    shoal_bytes_append (data, vlint, length);
  add_extension (pong, DAILY_UPTIME_ID, data);
}

void
shoal_pong_add_packed_hosts (ShoalPong               *pong,
                             const ShoalIpv4Endpoint *hosts,
                             gsize                    count)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();

  shoal_ipv4_endpoints_pack (hosts, count, data);
  add_extension (pong, PACKED_HOSTS_ID, data);
}
