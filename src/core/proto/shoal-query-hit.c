/* shoal-query-hit.c — the query hit payload (0x81): records, trailer, GUID. */
#include "shoal-query-hit.h"

#include "shoal-bytes.h"
#include "shoal-message-header.h"
#include "shoal-proto-error.h"

#include <string.h>

/* Index, size and the two NULs of an empty name and extension area. */
#define RECORD_MIN_SIZE 10
/* Vendor code and the open data size byte. */
#define TRAILER_HEADER_SIZE 5
#define TRAILER_FLAG_BYTES 2
/* gtk-gnutella's trailer (qhit.c flush_match): byte 1 marks busy, uploaded
 * and GGEP meaningful; byte 2 marks the push bit meaningful. */
#define GTKG_FLAGS_BYTE1 (SHOAL_QUERY_HIT_FLAG_BUSY | SHOAL_QUERY_HIT_FLAG_UPLOADED | \
                          SHOAL_QUERY_HIT_FLAG_GGEP)
#define GTKG_FLAGS_BYTE2 SHOAL_QUERY_HIT_FLAG_PUSH

/* GGEP "H" hash types (§5.3) and sizes with the type byte. */
#define HASH_TYPE_SHA1 0x01
#define HASH_TYPE_BITPRINT 0x02
#define HASH_SHA1_LENGTH (1 + SHOAL_SHA1_SIZE)
#define HASH_BITPRINT_LENGTH (1 + SHOAL_SHA1_SIZE + SHOAL_TTH_SIZE)
#define VLINT_MAX_LENGTH 8

/* ---- records ---- */

static ShoalQueryHitRecord *
record_new (guint32  index,
            guint32  size,
            char    *name)
{
  ShoalQueryHitRecord *record = g_new0 (ShoalQueryHitRecord, 1);

  record->index = index;
  record->size = size;
  record->name = name;
  record->extensions = shoal_extensions_new ();
  return record;
}

void
shoal_query_hit_record_free (ShoalQueryHitRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  shoal_extensions_free (record->extensions);
  g_free (record);
}

static void
add_sha1_urn (ShoalQueryHitRecord *record,
              const guint8         sha1[SHOAL_SHA1_SIZE])
{
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);
  ShoalExtensionItem *item;

  shoal_extensions_add_text (record->extensions, urn);
  /* gtk-gnutella ends the URN with 0x1C even when nothing follows. */
  item = g_ptr_array_index (record->extensions->items,
                            record->extensions->items->len - 1);
  item->separator = SHOAL_EXTENSION_SEPARATOR;
}

static void
add_sha1_ggep_h (ShoalGgep    *ggep,
                 const guint8  sha1[SHOAL_SHA1_SIZE])
{
  guint8 hash[HASH_SHA1_LENGTH];

  hash[0] = HASH_TYPE_SHA1;
  memcpy (hash + 1, sha1, SHOAL_SHA1_SIZE);
  shoal_ggep_add_nul_free (ggep, "H", hash, sizeof hash);
}

static void
add_large_file_size (ShoalGgep *ggep,
                     guint64    size)
{
  guint8 vlint[VLINT_MAX_LENGTH];
  guint length = shoal_vlint_encode (size, vlint);

  shoal_ggep_add_nul_free (ggep, "LF", vlint, length);
}

ShoalQueryHitRecord *
shoal_query_hit_record_new (guint32                index,
                            guint64                size,
                            const char            *name,
                            const guint8          *sha1,
                            ShoalQueryHitSha1Form  sha1_form)
{
  gboolean large = size >= SHOAL_QUERY_HIT_LF_THRESHOLD;
  gboolean ggep_h = sha1 != NULL && sha1_form == SHOAL_QUERY_HIT_SHA1_GGEP_H;
  ShoalQueryHitRecord *record;

  record = record_new (index, large ? SHOAL_QUERY_HIT_SIZE_IN_LF : (guint32) size,
                       g_strdup (name));
  if (sha1 != NULL && !ggep_h)
    add_sha1_urn (record, sha1);
  if (ggep_h)
    add_sha1_ggep_h (shoal_query_hit_record_ensure_ggep (record), sha1);
  if (large)
    add_large_file_size (shoal_query_hit_record_ensure_ggep (record), size);
  return record;
}

ShoalGgep *
shoal_query_hit_record_ensure_ggep (ShoalQueryHitRecord *record)
{
  GPtrArray *items = record->extensions->items;

  for (guint i = items->len; i > 0; i--)
    {
      ShoalExtensionItem *item = g_ptr_array_index (items, i - 1);

      if (item->kind == SHOAL_EXTENSION_GGEP)
        return item->ggep;
    }
  shoal_extensions_add_ggep (record->extensions, shoal_ggep_new ());
  return ((ShoalExtensionItem *) g_ptr_array_index (items, items->len - 1))->ggep;
}

gboolean
shoal_query_hit_record_get_sha1 (const ShoalQueryHitRecord *record,
                                 guint8                     sha1[SHOAL_SHA1_SIZE])
{
  g_autoptr(GPtrArray) sha1s =
    g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  shoal_extensions_collect_sha1 (record->extensions, sha1s);
  if (sha1s->len == 0)
    return FALSE;
  memcpy (sha1, g_bytes_get_data (g_ptr_array_index (sha1s, 0), NULL),
          SHOAL_SHA1_SIZE);
  return TRUE;
}

gboolean
shoal_query_hit_record_get_tth (const ShoalQueryHitRecord *record,
                                guint8                     tth[SHOAL_TTH_SIZE])
{
  const ShoalGgepExtension *extension;
  const guint8 *data;
  gsize length;

  extension = shoal_extensions_find_ggep (record->extensions, "H");
  if (extension != NULL)
    {
      data = g_bytes_get_data (extension->data, &length);
      if (length == HASH_BITPRINT_LENGTH && data[0] == HASH_TYPE_BITPRINT)
        {
          memcpy (tth, data + HASH_SHA1_LENGTH, SHOAL_TTH_SIZE);
          return TRUE;
        }
    }
  extension = shoal_extensions_find_ggep (record->extensions, "TT");
  if (extension == NULL)
    return FALSE;
  data = g_bytes_get_data (extension->data, &length);
  if (length != SHOAL_TTH_SIZE)
    return FALSE;
  memcpy (tth, data, SHOAL_TTH_SIZE);
  return TRUE;
}

gboolean
shoal_query_hit_record_get_file_size (const ShoalQueryHitRecord *record,
                                      guint64                   *size,
                                      GError                   **error)
{
  const ShoalGgepExtension *lf = shoal_extensions_find_ggep (record->extensions, "LF");
  const guint8 *data;
  gsize length;

  if (lf == NULL)
    {
      *size = record->size;
      return TRUE;
    }
  data = g_bytes_get_data (lf->data, &length);
  if (length == 0 || length > VLINT_MAX_LENGTH
      || !shoal_vlint_decode (data, length, size))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "GGEP LF is %" G_GSIZE_FORMAT " bytes, needs 1 to %d",
                   length, VLINT_MAX_LENGTH);
      return FALSE;
    }
  if (*size == 0)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "GGEP LF gives a file size of 0");
      return FALSE;
    }
  return TRUE;
}

static GArray *
unpack_endpoints (const ShoalGgepExtension *extension,
                  GError                  **error)
{
  const guint8 *data;
  gsize length;
  GArray *endpoints;

  if (extension == NULL)
    return g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  data = g_bytes_get_data (extension->data, &length);
  endpoints = shoal_ipv4_endpoints_unpack (data, length, error);
  if (endpoints == NULL)
    g_prefix_error (error, "GGEP %s: ", extension->id);
  return endpoints;
}

GArray *
shoal_query_hit_record_get_alt_locations (const ShoalQueryHitRecord *record,
                                          GError                   **error)
{
  return unpack_endpoints (shoal_extensions_find_ggep (record->extensions, "ALT"),
                           error);
}

static ShoalQueryHitRecord *
parse_record (ShoalByteReader *reader,
              guint            number,
              guint            count,
              GError         **error)
{
  g_autoptr(ShoalQueryHitRecord) record = NULL;
  const guint8 *name, *area;
  gsize name_length, area_length;
  guint32 index, size;

  if (shoal_byte_reader_remaining (reader) < RECORD_MIN_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "query hit announces %u records but holds only %u",
                   count, number - 1);
      return NULL;
    }
  shoal_byte_reader_read_le32 (reader, &index);
  shoal_byte_reader_read_le32 (reader, &size);
  if (!shoal_byte_reader_read_until (reader, 0, &name, &name_length))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "query hit record %u: file name has no NUL", number);
      return NULL;
    }
  if (!shoal_byte_reader_read_until (reader, 0, &area, &area_length))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "query hit record %u: extension area has no NUL", number);
      return NULL;
    }
  record = record_new (index, size, g_strndup ((const char *) name, name_length));
  if (area_length > 0)
    {
      shoal_extensions_free (record->extensions);
      record->extensions = shoal_extensions_parse (area, area_length, FALSE, error);
      if (record->extensions == NULL)
        {
          g_prefix_error (error, "query hit record %u: ", number);
          return NULL;
        }
    }
  return g_steal_pointer (&record);
}

static gboolean
write_record (const ShoalQueryHitRecord *record,
              guint                      number,
              GByteArray                *out,
              GError                   **error)
{
  guint area_start;

  shoal_bytes_append_le32 (out, record->index);
  shoal_bytes_append_le32 (out, record->size);
  shoal_bytes_append (out, (const guint8 *) record->name, strlen (record->name) + 1);
  area_start = out->len;
  if (!shoal_extensions_write (record->extensions, out, error))
    return FALSE;
  if (memchr (out->data + area_start, 0, out->len - area_start) != NULL)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "query hit record %u: extension area holds a NUL byte", number);
      return FALSE;
    }
  shoal_bytes_append_u8 (out, 0);
  return TRUE;
}

/* ---- trailer ---- */

void
shoal_query_hit_trailer_free (ShoalQueryHitTrailer *trailer)
{
  if (trailer == NULL)
    return;
  g_clear_pointer (&trailer->open_data, g_bytes_unref);
  g_clear_pointer (&trailer->private_data, g_bytes_unref);
  g_clear_pointer (&trailer->ggep, shoal_ggep_free);
  g_free (trailer);
}

ShoalQueryHitTrailer *
shoal_query_hit_trailer_new (const char  *vendor,
                             guint        flags,
                             ShoalGgep   *ggep,
                             GError     **error)
{
  g_autoptr(ShoalQueryHitTrailer) trailer = NULL;
  g_autoptr(GByteArray) private_data = NULL;
  guint8 open[TRAILER_FLAG_BYTES];

  if (vendor == NULL)
    vendor = SHOAL_QUERY_HIT_VENDOR;
  g_return_val_if_fail (strlen (vendor) == SHOAL_QUERY_HIT_VENDOR_SIZE, NULL);

  trailer = g_new0 (ShoalQueryHitTrailer, 1);
  private_data = g_byte_array_new ();
  memcpy (trailer->vendor, vendor, SHOAL_QUERY_HIT_VENDOR_SIZE);
  trailer->ggep = ggep;
  if (ggep != NULL && shoal_ggep_count (ggep) == 0)
    g_clear_pointer (&trailer->ggep, shoal_ggep_free);
  if (trailer->ggep != NULL && !shoal_ggep_write (trailer->ggep, private_data, error))
    {
      g_prefix_error (error, "query hit trailer GGEP: ");
      return NULL;
    }
  open[0] = GTKG_FLAGS_BYTE1 | (flags & SHOAL_QUERY_HIT_FLAG_PUSH);
  open[1] = GTKG_FLAGS_BYTE2
    | (flags & (SHOAL_QUERY_HIT_FLAG_BUSY | SHOAL_QUERY_HIT_FLAG_UPLOADED))
    | (trailer->ggep != NULL ? SHOAL_QUERY_HIT_FLAG_GGEP : 0);
  trailer->open_data = g_bytes_new (open, sizeof open);
  trailer->private_data = g_byte_array_free_to_bytes (g_steal_pointer (&private_data));
  return g_steal_pointer (&trailer);
}

gboolean
shoal_query_hit_trailer_has_flag (const ShoalQueryHitTrailer *trailer,
                                  guint8                      flag)
{
  gsize length;
  const guint8 *open = g_bytes_get_data (trailer->open_data, &length);

  if (length < TRAILER_FLAG_BYTES)
    return FALSE;
  return (open[0] & open[1] & flag) == flag;
}

const ShoalGgepExtension *
shoal_query_hit_trailer_find_ggep (const ShoalQueryHitTrailer *trailer,
                                   const char                 *id)
{
  if (trailer->ggep == NULL)
    return NULL;
  return shoal_ggep_find (trailer->ggep, id);
}

gboolean
shoal_query_hit_trailer_is_browsable (const ShoalQueryHitTrailer *trailer)
{
  return shoal_query_hit_trailer_find_ggep (trailer, "BH") != NULL;
}

GArray *
shoal_query_hit_trailer_get_push_proxies (const ShoalQueryHitTrailer *trailer,
                                          GError                    **error)
{
  return unpack_endpoints (shoal_query_hit_trailer_find_ggep (trailer, "PUSH"),
                           error);
}

GBytes *
shoal_query_hit_trailer_get_gtkg_version (const ShoalQueryHitTrailer *trailer)
{
  const ShoalGgepExtension *gtkgv = shoal_query_hit_trailer_find_ggep (trailer, "GTKGV");

  return gtkgv != NULL ? g_bytes_ref (gtkgv->data) : NULL;
}

char *
shoal_query_hit_trailer_get_hostname (const ShoalQueryHitTrailer *trailer)
{
  const ShoalGgepExtension *hname = shoal_query_hit_trailer_find_ggep (trailer, "HNAME");
  const char *data;
  gsize length;

  if (hname == NULL)
    return NULL;
  data = g_bytes_get_data (hname->data, &length);
  if (length > 0 && memchr (data, 0, length) != NULL)
    return NULL;
  return g_strndup (data, length);
}

/* gtk-gnutella looks for the block at the first 0xC3 of the private area:
 * vendors may put other bytes in front of it. */
static gboolean
parse_trailer_ggep (ShoalQueryHitTrailer *trailer,
                    GError              **error)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (trailer->private_data, &length);
  const guint8 *magic = length > 0 ? memchr (data, SHOAL_GGEP_MAGIC, length) : NULL;
  gsize consumed;

  if (magic == NULL)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query hit trailer says it has GGEP but holds no GGEP block");
      return FALSE;
    }
  trailer->ggep = shoal_ggep_parse (magic, length - (gsize) (magic - data),
                                    &consumed, error);
  if (trailer->ggep == NULL)
    {
      g_prefix_error (error, "query hit trailer GGEP: ");
      return FALSE;
    }
  return TRUE;
}

ShoalQueryHitTrailer *
shoal_query_hit_trailer_parse (const guint8 *data,
                               gsize         length,
                               GError      **error)
{
  g_autoptr(ShoalQueryHitTrailer) trailer = NULL;
  ShoalByteReader reader;
  const guint8 *vendor, *open;
  guint8 open_size;

  if (length < SHOAL_QUERY_HIT_MIN_TRAILER)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "query hit trailer is %" G_GSIZE_FORMAT " bytes, needs at least %d",
                   length, SHOAL_QUERY_HIT_MIN_TRAILER);
      return NULL;
    }
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_bytes (&reader, SHOAL_QUERY_HIT_VENDOR_SIZE, &vendor);
  shoal_byte_reader_read_u8 (&reader, &open_size);
  if (!shoal_byte_reader_read_bytes (&reader, open_size, &open))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "query hit trailer announces %u bytes of open data, only %"
                   G_GSIZE_FORMAT " follow", open_size, length - TRAILER_HEADER_SIZE);
      return NULL;
    }
  trailer = g_new0 (ShoalQueryHitTrailer, 1);
  memcpy (trailer->vendor, vendor, SHOAL_QUERY_HIT_VENDOR_SIZE);
  trailer->open_data = g_bytes_new (open, open_size);
  trailer->private_data = g_bytes_new (shoal_byte_reader_current (&reader),
                                       shoal_byte_reader_remaining (&reader));
  if (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_GGEP)
      && !parse_trailer_ggep (trailer, error))
    return NULL;
  return g_steal_pointer (&trailer);
}

gboolean
shoal_query_hit_trailer_write (const ShoalQueryHitTrailer *trailer,
                               GByteArray                 *out,
                               GError                    **error)
{
  gsize open_size = g_bytes_get_size (trailer->open_data);

  if (open_size > G_MAXUINT8)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "query hit trailer open data is %" G_GSIZE_FORMAT
                   " bytes, at most %d fit", open_size, G_MAXUINT8);
      return FALSE;
    }
  shoal_bytes_append (out, (const guint8 *) trailer->vendor, SHOAL_QUERY_HIT_VENDOR_SIZE);
  shoal_bytes_append_u8 (out, (guint8) open_size);
  shoal_bytes_append (out, g_bytes_get_data (trailer->open_data, NULL), open_size);
  shoal_bytes_append (out, g_bytes_get_data (trailer->private_data, NULL),
                      g_bytes_get_size (trailer->private_data));
  return TRUE;
}

/* ---- whole hits ---- */

ShoalQueryHit *
shoal_query_hit_new (const ShoalIpv4Endpoint *endpoint,
                     guint32                  speed,
                     const ShoalGuid         *servent_guid)
{
  ShoalQueryHit *hit = g_new0 (ShoalQueryHit, 1);

  hit->endpoint = *endpoint;
  hit->speed = speed;
  hit->servent_guid = *servent_guid;
  hit->records = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_query_hit_record_free);
  return hit;
}

void
shoal_query_hit_free (ShoalQueryHit *hit)
{
  if (hit == NULL)
    return;
  g_ptr_array_unref (hit->records);
  shoal_query_hit_trailer_free (hit->trailer);
  g_free (hit);
}

void
shoal_query_hit_add_record (ShoalQueryHit       *hit,
                            ShoalQueryHitRecord *record)
{
  g_ptr_array_add (hit->records, record);
}

void
shoal_query_hit_set_trailer (ShoalQueryHit        *hit,
                             ShoalQueryHitTrailer *trailer)
{
  shoal_query_hit_trailer_free (hit->trailer);
  hit->trailer = trailer;
}

static gboolean
parse_records (ShoalQueryHit   *hit,
               ShoalByteReader *reader,
               guint            count,
               GError         **error)
{
  for (guint number = 1; number <= count; number++)
    {
      ShoalQueryHitRecord *record = parse_record (reader, number, count, error);

      if (record == NULL)
        return FALSE;
      g_ptr_array_add (hit->records, record);
    }
  return TRUE;
}

ShoalQueryHit *
shoal_query_hit_parse (const guint8 *data,
                       gsize         length,
                       GError      **error)
{
  g_autoptr(ShoalQueryHit) hit = NULL;
  ShoalByteReader reader, records;
  ShoalIpv4Endpoint endpoint;
  ShoalGuid guid;
  const guint8 *address, *guid_bytes;
  guint8 count;
  guint32 speed;

  if (length < SHOAL_QUERY_HIT_FIXED_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "query hit payload is %" G_GSIZE_FORMAT " bytes, needs at least %d",
                   length, SHOAL_QUERY_HIT_FIXED_SIZE);
      return NULL;
    }
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_u8 (&reader, &count);
  shoal_byte_reader_read_le16 (&reader, &endpoint.port);
  shoal_byte_reader_read_bytes (&reader, 4, &address);
  shoal_byte_reader_read_le32 (&reader, &speed);
  endpoint.address = shoal_ipv4_from_wire (address);
  if (count == 0)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query hit has no records");
      return NULL;
    }
  if (shoal_byte_reader_remaining (&reader) < SHOAL_GUID_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "query hit payload is %" G_GSIZE_FORMAT " bytes, leaving no room "
                   "for the %d-byte servent GUID", length, SHOAL_GUID_SIZE);
      return NULL;
    }

  /* Records and trailer live between the fixed part and the GUID. */
  shoal_byte_reader_init (&records, shoal_byte_reader_current (&reader),
                          shoal_byte_reader_remaining (&reader) - SHOAL_GUID_SIZE);
  shoal_byte_reader_skip (&reader, shoal_byte_reader_remaining (&records));
  shoal_byte_reader_read_bytes (&reader, SHOAL_GUID_SIZE, &guid_bytes);
  memcpy (guid.bytes, guid_bytes, SHOAL_GUID_SIZE);

  hit = shoal_query_hit_new (&endpoint, speed, &guid);
  if (!parse_records (hit, &records, count, error))
    return NULL;
  if (shoal_byte_reader_remaining (&records) > 0)
    {
      hit->trailer = shoal_query_hit_trailer_parse (shoal_byte_reader_current (&records),
                                    shoal_byte_reader_remaining (&records), error);
      if (hit->trailer == NULL)
        return NULL;
    }
  if (shoal_guid_is_zero (&hit->servent_guid))
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query hit servent GUID is all zero");
      return NULL;
    }
  return g_steal_pointer (&hit);
}

static gboolean
check_record_count (guint    count,
                    GError **error)
{
  if (count == 0)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query hit has no records");
      return FALSE;
    }
  if (count > SHOAL_QUERY_HIT_MAX_RECORDS)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "query hit has %u records, at most %d fit",
                   count, SHOAL_QUERY_HIT_MAX_RECORDS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_body (const ShoalQueryHit *hit,
            GByteArray          *out,
            GError             **error)
{
  guint8 address[4];

  shoal_bytes_append_u8 (out, (guint8) hit->records->len);
  shoal_bytes_append_le16 (out, hit->endpoint.port);
  shoal_ipv4_to_wire (hit->endpoint.address, address);
  shoal_bytes_append (out, address, sizeof address);
  shoal_bytes_append_le32 (out, hit->speed);
  for (guint i = 0; i < hit->records->len; i++)
    {
      if (!write_record (g_ptr_array_index (hit->records, i), i + 1, out, error))
        return FALSE;
    }
  if (hit->trailer != NULL && !shoal_query_hit_trailer_write (hit->trailer, out, error))
    return FALSE;
  shoal_bytes_append (out, hit->servent_guid.bytes, SHOAL_GUID_SIZE);
  return TRUE;
}

gboolean
shoal_query_hit_write (const ShoalQueryHit *hit,
                       GByteArray          *out,
                       GError             **error)
{
  guint start = out->len;

  if (!check_record_count (hit->records->len, error))
    return FALSE;
  if (!write_body (hit, out, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  if (out->len - start > SHOAL_MESSAGE_MAX_PAYLOAD)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "query hit payload is %u bytes, at most %d fit in a message",
                   out->len - start, SHOAL_MESSAGE_MAX_PAYLOAD);
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  return TRUE;
}
