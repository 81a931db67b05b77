/* shoal-bytes.c — bounds-checked reading and appending of wire integers. */
#include "shoal-bytes.h"

#include <string.h>

void
shoal_byte_reader_init (ShoalByteReader *reader,
                        const guint8    *data,
                        gsize            length)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (data != NULL || length == 0);

  static const guint8 empty[1];

  /* Never keep NULL: even NULL + 0 is undefined pointer arithmetic. */
  reader->data = data != NULL ? data : empty;
  reader->length = length;
  reader->offset = 0;
}

gsize
shoal_byte_reader_remaining (const ShoalByteReader *reader)
{
  return reader->length - reader->offset;
}

const guint8 *
shoal_byte_reader_current (const ShoalByteReader *reader)
{
  return reader->data + reader->offset;
}

gboolean
shoal_byte_reader_skip (ShoalByteReader *reader,
                        gsize            count)
{
  if (count > shoal_byte_reader_remaining (reader))
    return FALSE;
  reader->offset += count;
  return TRUE;
}

gboolean
shoal_byte_reader_read_bytes (ShoalByteReader *reader,
                              gsize            count,
                              const guint8   **bytes)
{
  if (count > shoal_byte_reader_remaining (reader))
    return FALSE;
  *bytes = reader->data + reader->offset;
  reader->offset += count;
  return TRUE;
}

gboolean
shoal_byte_reader_peek_u8 (const ShoalByteReader *reader,
                           guint8                *value)
{
  if (shoal_byte_reader_remaining (reader) < 1)
    return FALSE;
  *value = reader->data[reader->offset];
  return TRUE;
}

gboolean
shoal_byte_reader_read_u8 (ShoalByteReader *reader,
                           guint8          *value)
{
  if (!shoal_byte_reader_peek_u8 (reader, value))
    return FALSE;
  reader->offset++;
  return TRUE;
}

gboolean
shoal_byte_reader_read_le16 (ShoalByteReader *reader,
                             guint16         *value)
{
  const guint8 *p;

  if (!shoal_byte_reader_read_bytes (reader, 2, &p))
    return FALSE;
  *value = (guint16) (p[0] | (p[1] << 8));
  return TRUE;
}

gboolean
shoal_byte_reader_read_le32 (ShoalByteReader *reader,
                             guint32         *value)
{
  const guint8 *p;

  if (!shoal_byte_reader_read_bytes (reader, 4, &p))
    return FALSE;
  *value = (guint32) p[0] | ((guint32) p[1] << 8) |
           ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
  return TRUE;
}

gboolean
shoal_byte_reader_read_be16 (ShoalByteReader *reader,
                             guint16         *value)
{
  const guint8 *p;

  if (!shoal_byte_reader_read_bytes (reader, 2, &p))
    return FALSE;
  *value = (guint16) ((p[0] << 8) | p[1]);
  return TRUE;
}

gboolean
shoal_byte_reader_read_be32 (ShoalByteReader *reader,
                             guint32         *value)
{
  const guint8 *p;

  if (!shoal_byte_reader_read_bytes (reader, 4, &p))
    return FALSE;
  *value = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
           ((guint32) p[2] << 8) | (guint32) p[3];
  return TRUE;
}

gboolean
shoal_byte_reader_skip_prefix (ShoalByteReader *reader,
                               const char      *prefix)
{
  gsize length = strlen (prefix);

  if (length > shoal_byte_reader_remaining (reader) ||
      g_ascii_strncasecmp ((const char *) shoal_byte_reader_current (reader),
                           prefix, length) != 0)
    return FALSE;
  reader->offset += length;
  return TRUE;
}

gboolean
shoal_byte_reader_read_until (ShoalByteReader *reader,
                              guint8           delimiter,
                              const guint8   **bytes,
                              gsize           *length)
{
  const guint8 *start = shoal_byte_reader_current (reader);
  const guint8 *found;

  found = memchr (start, delimiter, shoal_byte_reader_remaining (reader));
  if (found == NULL)
    return FALSE;
  *bytes = start;
  *length = (gsize) (found - start);
  reader->offset += *length + 1;
  return TRUE;
}

void
shoal_bytes_append_u8 (GByteArray *out,
                       guint8      value)
{
  g_byte_array_append (out, &value, 1);
}

void
shoal_bytes_append_le16 (GByteArray *out,
                         guint16     value)
{
  guint8 b[2] = { value & 0xff, value >> 8 };

  g_byte_array_append (out, b, sizeof b);
}

void
shoal_bytes_append_le32 (GByteArray *out,
                         guint32     value)
{
  guint8 b[4] = { value & 0xff, (value >> 8) & 0xff,
                  (value >> 16) & 0xff, value >> 24 };

  g_byte_array_append (out, b, sizeof b);
}

void
shoal_bytes_append_be16 (GByteArray *out,
                         guint16     value)
{
  guint8 b[2] = { value >> 8, value & 0xff };

  g_byte_array_append (out, b, sizeof b);
}

void
shoal_bytes_append_be32 (GByteArray *out,
                         guint32     value)
{
  guint8 b[4] = { value >> 24, (value >> 16) & 0xff,
                  (value >> 8) & 0xff, value & 0xff };

  g_byte_array_append (out, b, sizeof b);
}

void
shoal_bytes_append (GByteArray   *out,
                    const guint8 *data,
                    gsize         length)
{
  g_return_if_fail (length <= G_MAXUINT);
  if (length > 0)
    g_byte_array_append (out, data, (guint) length);
}

char *
shoal_bytes_to_hex (const guint8 *data,
                    gsize         length)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0x0f];
    }
  hex[length * 2] = '\0';
  return hex;
}
