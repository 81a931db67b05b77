/* shoal-bytes.h — bounds-checked reading and appending of wire integers.
 *
 * Every parser in proto/ walks its input through a ShoalByteReader, so no
 * parser indexes a buffer by hand and no read can run past the end: each
 * read either succeeds whole or returns FALSE and leaves the reader where
 * it was.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const guint8 *data;
  gsize         length;
  gsize         offset;
} ShoalByteReader;

void          shoal_byte_reader_init        (ShoalByteReader *reader,
                                             const guint8    *data,
                                             gsize            length);
gsize         shoal_byte_reader_remaining   (const ShoalByteReader *reader);
const guint8 *shoal_byte_reader_current     (const ShoalByteReader *reader);
gboolean      shoal_byte_reader_skip        (ShoalByteReader *reader,
                                             gsize            count);
gboolean      shoal_byte_reader_read_u8     (ShoalByteReader *reader,
                                             guint8          *value);
gboolean      shoal_byte_reader_peek_u8     (const ShoalByteReader *reader,
                                             guint8          *value);
gboolean      shoal_byte_reader_read_le16   (ShoalByteReader *reader,
                                             guint16         *value);
gboolean      shoal_byte_reader_read_le32   (ShoalByteReader *reader,
                                             guint32         *value);
gboolean      shoal_byte_reader_read_be16   (ShoalByteReader *reader,
                                             guint16         *value);
gboolean      shoal_byte_reader_read_be32   (ShoalByteReader *reader,
                                             guint32         *value);
/* Borrows @count bytes: *bytes points into the reader's buffer. */
gboolean      shoal_byte_reader_read_bytes  (ShoalByteReader *reader,
                                             gsize            count,
                                             const guint8   **bytes);
/* Consumes @prefix when the input starts with it, comparing ASCII letters
 * in any case ("URN:SHA1:", "Magnet:?"); otherwise leaves the reader. */
gboolean      shoal_byte_reader_skip_prefix (ShoalByteReader *reader,
                                             const char      *prefix);
/* Borrows the bytes up to (not including) the next @delimiter and consumes
 * the delimiter too. FALSE, reader unmoved, when no delimiter remains. */
gboolean      shoal_byte_reader_read_until  (ShoalByteReader *reader,
                                             guint8           delimiter,
                                             const guint8   **bytes,
                                             gsize           *length);

void shoal_bytes_append_u8   (GByteArray *out, guint8 value);
void shoal_bytes_append_le16 (GByteArray *out, guint16 value);
void shoal_bytes_append_le32 (GByteArray *out, guint32 value);
void shoal_bytes_append_be16 (GByteArray *out, guint16 value);
void shoal_bytes_append_be32 (GByteArray *out, guint32 value);
void shoal_bytes_append      (GByteArray *out, const guint8 *data, gsize length);

/* Lower-case hex of @length bytes, for logs and JSON. */
char *shoal_bytes_to_hex (const guint8 *data, gsize length);

G_END_DECLS
