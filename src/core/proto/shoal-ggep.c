/* shoal-ggep.c — GGEP 0.5 extension blocks, COBS and vlints. */
#include "shoal-ggep.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>
#include <zlib.h>

#define FLAG_LAST 0x80
#define FLAG_COBS 0x40
#define FLAG_DEFLATE 0x20
#define FLAG_RESERVED 0x10
#define FLAG_ID_LENGTH_MASK 0x0f

#define LENGTH_MORE 0x80
#define LENGTH_LAST 0x40
#define LENGTH_CHUNK_MASK 0x3f
#define LENGTH_MAX_CHUNKS 3

/* A deflated payload shorter than a zlib header plus the smallest deflate
 * block and checksum cannot be valid (gtk-gnutella's own threshold). */
#define MIN_DEFLATED_LENGTH 6

#define COBS_MAX_RUN 0xff

static void
ggep_extension_free (gpointer data)
{
  ShoalGgepExtension *extension = data;

  g_clear_pointer (&extension->data, g_bytes_unref);
  g_clear_pointer (&extension->stored, g_bytes_unref);
  g_free (extension);
}

ShoalGgep *
shoal_ggep_new (void)
{
  ShoalGgep *ggep = g_new0 (ShoalGgep, 1);

  ggep->extensions = g_ptr_array_new_with_free_func (ggep_extension_free);
  return ggep;
}

void
shoal_ggep_free (ShoalGgep *ggep)
{
  if (ggep == NULL)
    return;
  g_ptr_array_unref (ggep->extensions);
  g_free (ggep);
}

ShoalGgep *
shoal_ggep_copy (const ShoalGgep *ggep)
{
  ShoalGgep *copy = shoal_ggep_new ();

  for (guint i = 0; i < ggep->extensions->len; i++)
    {
      const ShoalGgepExtension *source = g_ptr_array_index (ggep->extensions, i);
      ShoalGgepExtension *extension = g_new0 (ShoalGgepExtension, 1);

      memcpy (extension->id, source->id, sizeof extension->id);
      extension->encoding = source->encoding;
      extension->data = g_bytes_ref (source->data);
      extension->stored = source->stored ? g_bytes_ref (source->stored) : NULL;
      extension->length_bytes = source->length_bytes;
      g_ptr_array_add (copy->extensions, extension);
    }
  return copy;
}

static gboolean
is_valid_id_byte (guint8 c)
{
  /* gtk-gnutella refuses NUL, control characters and non-ASCII bytes. */
  return c >= 0x20 && c < 0x7f;
}

static gboolean
is_valid_id (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > SHOAL_GGEP_MAX_ID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!is_valid_id_byte ((guint8) id[i]))
      return FALSE;
  return TRUE;
}

/* COBS ------------------------------------------------------------------ */

void
shoal_cobs_encode (const guint8 *data,
                   gsize         length,
                   GByteArray   *out)
{
  gsize code_at = out->len;
  guint8 code = 1;

  shoal_bytes_append_u8 (out, 0);  /* placeholder for the first code */
  for (gsize i = 0; i < length; i++)
    {
      if (data[i] == 0)
        {
          out->data[code_at] = code;
          code_at = out->len;
          shoal_bytes_append_u8 (out, 0);
          code = 1;
          continue;
        }
      shoal_bytes_append_u8 (out, data[i]);
      code++;
      if (code == COBS_MAX_RUN && i + 1 < length)
        {
          out->data[code_at] = code;
          code_at = out->len;
          shoal_bytes_append_u8 (out, 0);
          code = 1;
        }
    }
  out->data[code_at] = code;
}

gboolean
shoal_cobs_decode (const guint8 *data,
                   gsize         length,
                   GByteArray   *out,
                   GError      **error)
{
  ShoalByteReader reader;

  if (length == 0)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "COBS data is empty");
      return FALSE;
    }
  shoal_byte_reader_init (&reader, data, length);
  while (shoal_byte_reader_remaining (&reader) > 0)
    {
      const guint8 *run;
      guint8 code;

      shoal_byte_reader_read_u8 (&reader, &code);
      if (code == 0)
        {
          g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                               "COBS data holds a 0x00 byte");
          return FALSE;
        }
      if (!shoal_byte_reader_read_bytes (&reader, code - 1u, &run))
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                       "COBS run of %u bytes passes the end of the data",
                       code - 1u);
          return FALSE;
        }
      if (memchr (run, 0, code - 1u) != NULL)
        {
          g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                               "COBS data holds a 0x00 byte");
          return FALSE;
        }
      shoal_bytes_append (out, run, code - 1u);
      /* The zero a run stands for is implied, except after a full run and
       * at the very end (COBS drops the final zero). */
      if (code != COBS_MAX_RUN && shoal_byte_reader_remaining (&reader) > 0)
        shoal_bytes_append_u8 (out, 0);
    }
  return TRUE;
}

/* vlint ----------------------------------------------------------------- */

gboolean
shoal_vlint_decode (const guint8 *data,
                    gsize         length,
                    guint64      *value)
{
  guint64 v = 0;

  if (length < 1 || length > 8)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    v |= (guint64) data[i] << (8 * i);
  *value = v;
  return TRUE;
}

guint
shoal_vlint_encode (guint64 value,
                    guint8  out[8])
{
  guint length = 0;

  do
    {
      out[length++] = value & 0xff;
      value >>= 8;
    }
  while (value != 0);
  return length;
}

/* Parsing ---------------------------------------------------------------- */

static gboolean
read_data_length (ShoalByteReader *reader,
                  gsize           *length,
                  guint           *length_bytes,
                  GError         **error)
{
  gsize value = 0;

  for (guint i = 0; i < LENGTH_MAX_CHUNKS; i++)
    {
      guint8 chunk;
      gboolean more, last;

      if (!shoal_byte_reader_read_u8 (reader, &chunk))
        {
          g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                               "GGEP length ends early");
          return FALSE;
        }
      more = (chunk & LENGTH_MORE) != 0;
      last = (chunk & LENGTH_LAST) != 0;
      if (more == last)
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       "GGEP length byte 0x%02x must have exactly one of "
                       "the more/last bits", chunk);
          return FALSE;
        }
      value = (value << 6) | (chunk & LENGTH_CHUNK_MASK);
      if (last)
        {
          *length = value;
          *length_bytes = i + 1;
          return TRUE;
        }
    }
  g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
               "GGEP length is not terminated within %d bytes",
               LENGTH_MAX_CHUNKS);
  return FALSE;
}

static GBytes *
inflate_data (const guint8 *data,
              gsize         length,
              gsize         budget,
              GError      **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  z_stream stream = { 0 };
  guint8 buffer[4096];
  int status;

  if (length < MIN_DEFLATED_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                   "GGEP deflated data of %" G_GSIZE_FORMAT
                   " bytes is too short to be a zlib stream", length);
      return NULL;
    }
  if (inflateInit (&stream) != Z_OK)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                           "cannot start a zlib inflater");
      return NULL;
    }
  stream.next_in = (Bytef *) data;
  stream.avail_in = (uInt) length;
  do
    {
      stream.next_out = buffer;
      stream.avail_out = sizeof buffer;
      status = inflate (&stream, Z_NO_FLUSH);
      if (status != Z_OK && status != Z_STREAM_END)
        break;
      shoal_bytes_append (out, buffer, sizeof buffer - stream.avail_out);
      if (out->len > budget)
        {
          inflateEnd (&stream);
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                       "GGEP deflated data inflates past %" G_GSIZE_FORMAT
                       " bytes", budget);
          return NULL;
        }
    }
  while (status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0));
  inflateEnd (&stream);
  if (status != Z_STREAM_END)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                   "GGEP deflated data is not a complete zlib stream (%s)",
                   stream.msg ? stream.msg : zError (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Undoes the wire encoding of one extension's data. */
static GBytes *
decode_data (const guint8 *stored,
             gsize         length,
             guint         encoding,
             gsize        *inflate_budget,
             GError      **error)
{
  g_autoptr(GByteArray) uncobsed = NULL;
  GBytes *inflated;

  if (encoding & SHOAL_GGEP_ENCODING_COBS)
    {
      uncobsed = g_byte_array_new ();
      if (!shoal_cobs_decode (stored, length, uncobsed, error))
        return NULL;
      stored = uncobsed->data;
      length = uncobsed->len;
    }
  if (!(encoding & SHOAL_GGEP_ENCODING_DEFLATE))
    return g_bytes_new (stored, length);

  inflated = inflate_data (stored, length, *inflate_budget, error);
  if (inflated != NULL)
    *inflate_budget -= g_bytes_get_size (inflated);
  return inflated;
}

static ShoalGgepExtension *
read_extension (ShoalByteReader *reader,
                gboolean        *last,
                gsize           *inflate_budget,
                GError         **error)
{
  g_autoptr(GError) data_error = NULL;
  ShoalGgepExtension *extension;
  const guint8 *id, *stored;
  guint8 flags;
  guint id_length, length_bytes;
  gsize length;

  if (!shoal_byte_reader_read_u8 (reader, &flags))
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                           "GGEP block ends before its last extension");
      return NULL;
    }
  if (flags & FLAG_RESERVED)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "GGEP flags 0x%02x set the reserved bit", flags);
      return NULL;
    }
  id_length = flags & FLAG_ID_LENGTH_MASK;
  if (id_length == 0)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "GGEP extension has an empty ID");
      return NULL;
    }
  if (!shoal_byte_reader_read_bytes (reader, id_length, &id))
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                           "GGEP extension ID passes the end of the block");
      return NULL;
    }
  for (guint i = 0; i < id_length; i++)
    if (!is_valid_id_byte (id[i]))
      {
        g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                     "GGEP extension ID holds byte 0x%02x", id[i]);
        return NULL;
      }
  if (!read_data_length (reader, &length, &length_bytes, error))
    return NULL;
  if (!shoal_byte_reader_read_bytes (reader, length, &stored))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "GGEP extension \"%.*s\" claims %" G_GSIZE_FORMAT
                   " bytes, %" G_GSIZE_FORMAT " remain",
                   (int) id_length, (const char *) id, length,
                   shoal_byte_reader_remaining (reader));
      return NULL;
    }

  extension = g_new0 (ShoalGgepExtension, 1);
  memcpy (extension->id, id, id_length);
  extension->encoding = ((flags & FLAG_COBS) ? SHOAL_GGEP_ENCODING_COBS : 0) |
                        ((flags & FLAG_DEFLATE) ? SHOAL_GGEP_ENCODING_DEFLATE : 0);
  extension->stored = g_bytes_new (stored, length);
  extension->length_bytes = length_bytes;
  extension->data = decode_data (stored, length, extension->encoding,
                                 inflate_budget, &data_error);
  if (extension->data == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&data_error),
                                  "GGEP extension \"%s\": ", extension->id);
      ggep_extension_free (extension);
      return NULL;
    }
  *last = (flags & FLAG_LAST) != 0;
  return extension;
}

ShoalGgep *
shoal_ggep_parse (const guint8 *data,
                  gsize         length,
                  gsize        *consumed,
                  GError      **error)
{
  g_autoptr(ShoalGgep) ggep = NULL;
  ShoalByteReader reader;
  gsize inflate_budget = SHOAL_GGEP_MAX_INFLATED_LENGTH;
  gboolean last = FALSE;
  guint8 magic;

  shoal_byte_reader_init (&reader, data, length);
  if (!shoal_byte_reader_read_u8 (&reader, &magic) || magic != SHOAL_GGEP_MAGIC)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "GGEP block does not start with 0xC3");
      return NULL;
    }
  ggep = shoal_ggep_new ();
  while (!last)
    {
      ShoalGgepExtension *extension;

      extension = read_extension (&reader, &last, &inflate_budget, error);
      if (extension == NULL)
        return NULL;
      g_ptr_array_add (ggep->extensions, extension);
    }
  if (consumed != NULL)
    *consumed = reader.offset;
  return g_steal_pointer (&ggep);
}

/* Writing ---------------------------------------------------------------- */

/* Shortest form, or @at_least bytes when a parsed length was longer. */
static void
append_data_length (GByteArray *out,
                    gsize       length,
                    guint       at_least)
{
  if (length >= 1u << 12 || at_least >= 3)
    shoal_bytes_append_u8 (out, LENGTH_MORE | ((length >> 12) & LENGTH_CHUNK_MASK));
  if (length >= 1u << 6 || at_least >= 2)
    shoal_bytes_append_u8 (out, LENGTH_MORE | ((length >> 6) & LENGTH_CHUNK_MASK));
  shoal_bytes_append_u8 (out, LENGTH_LAST | (length & LENGTH_CHUNK_MASK));
}

static GBytes *
deflate_data (GBytes  *data,
              GError **error)
{
  gsize length = g_bytes_get_size (data);
  uLongf bound = compressBound ((uLong) length);
  g_autofree guint8 *buffer = g_malloc (bound);

  if (compress (buffer, &bound, g_bytes_get_data (data, NULL), (uLong) length) != Z_OK)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                           "zlib could not compress GGEP data");
      return NULL;
    }
  return g_bytes_new (buffer, bound);
}

/* The bytes to store for @extension: kept from parsing, or encoded now. */
static GBytes *
encode_data (const ShoalGgepExtension *extension,
             GError                  **error)
{
  g_autoptr(GBytes) deflated = NULL;
  GBytes *plain = extension->data;
  GByteArray *cobs;

  if (extension->stored != NULL)
    return g_bytes_ref (extension->stored);
  if (extension->encoding & SHOAL_GGEP_ENCODING_DEFLATE)
    {
      deflated = deflate_data (extension->data, error);
      if (deflated == NULL)
        return NULL;
      plain = deflated;
    }
  if (!(extension->encoding & SHOAL_GGEP_ENCODING_COBS))
    return g_bytes_ref (plain);
  cobs = g_byte_array_new ();
  shoal_cobs_encode (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), cobs);
  return g_byte_array_free_to_bytes (cobs);
}

gboolean
shoal_ggep_write (const ShoalGgep *ggep,
                  GByteArray      *out,
                  GError         **error)
{
  g_autoptr(GByteArray) block = g_byte_array_new ();
  guint count = shoal_ggep_count (ggep);

  if (count == 0)
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "a GGEP block needs at least one extension");
      return FALSE;
    }
  shoal_bytes_append_u8 (block, SHOAL_GGEP_MAGIC);
  for (guint i = 0; i < count; i++)
    {
      const ShoalGgepExtension *extension = shoal_ggep_get (ggep, i);
      g_autoptr(GBytes) stored = NULL;
      gsize id_length = strlen (extension->id);
      guint8 flags;

      if (!is_valid_id (extension->id))
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       "GGEP ID \"%s\" must be 1–15 printable ASCII bytes",
                       extension->id);
          return FALSE;
        }
      stored = encode_data (extension, error);
      if (stored == NULL)
        return FALSE;
      if (g_bytes_get_size (stored) > SHOAL_GGEP_MAX_DATA_LENGTH)
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                       "GGEP extension \"%s\" stores %" G_GSIZE_FORMAT
                       " bytes, more than %d", extension->id,
                       g_bytes_get_size (stored), SHOAL_GGEP_MAX_DATA_LENGTH);
          return FALSE;
        }
      flags = (guint8) id_length;
      if (i + 1 == count)
        flags |= FLAG_LAST;
      if (extension->encoding & SHOAL_GGEP_ENCODING_COBS)
        flags |= FLAG_COBS;
      if (extension->encoding & SHOAL_GGEP_ENCODING_DEFLATE)
        flags |= FLAG_DEFLATE;
      shoal_bytes_append_u8 (block, flags);
      shoal_bytes_append (block, (const guint8 *) extension->id, id_length);
      append_data_length (block, g_bytes_get_size (stored),
                          extension->stored != NULL ? extension->length_bytes : 0);
      shoal_bytes_append (block, g_bytes_get_data (stored, NULL),
                          g_bytes_get_size (stored));
    }
  shoal_bytes_append (out, block->data, block->len);
  return TRUE;
}

void
shoal_ggep_add (ShoalGgep    *ggep,
                const char   *id,
                const guint8 *data,
                gsize         length,
                guint         encoding)
{
  ShoalGgepExtension *extension;

  g_return_if_fail (ggep != NULL);
  g_return_if_fail (id != NULL && strlen (id) <= SHOAL_GGEP_MAX_ID_LENGTH);
  g_return_if_fail (data != NULL || length == 0);

  extension = g_new0 (ShoalGgepExtension, 1);
  g_strlcpy (extension->id, id, sizeof extension->id);
  extension->encoding = encoding;
  extension->data = g_bytes_new (data, length);
  g_ptr_array_add (ggep->extensions, extension);
}

void
shoal_ggep_add_nul_free (ShoalGgep    *ggep,
                         const char   *id,
                         const guint8 *data,
                         gsize         length)
{
  gboolean has_nul = length > 0 && memchr (data, 0, length) != NULL;

  shoal_ggep_add (ggep, id, data, length,
                  has_nul ? SHOAL_GGEP_ENCODING_COBS : SHOAL_GGEP_ENCODING_NONE);
}

const ShoalGgepExtension *
shoal_ggep_find (const ShoalGgep *ggep,
                 const char      *id)
{
  for (guint i = 0; i < ggep->extensions->len; i++)
    {
      const ShoalGgepExtension *extension = g_ptr_array_index (ggep->extensions, i);

      if (strcmp (extension->id, id) == 0)
        return extension;
    }
  return NULL;
}

guint
shoal_ggep_count (const ShoalGgep *ggep)
{
  return ggep->extensions->len;
}

const ShoalGgepExtension *
shoal_ggep_get (const ShoalGgep *ggep,
                guint            index)
{
  g_return_val_if_fail (index < ggep->extensions->len, NULL);
  return g_ptr_array_index (ggep->extensions, index);
}
