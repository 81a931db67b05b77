/* shoal-base32.c — RFC 4648 base32, the text form of SHA-1s and GUIDs. */
#include "shoal-base32.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#define BITS_PER_CHAR 5
#define CHAR_MASK 0x1f

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

gsize
shoal_base32_encoded_length (gsize length)
{
  /* Every 5 bytes make 8 characters; a partial group rounds up. Split so
   * that length * 8 cannot overflow. */
  return length / 5 * 8 + (length % 5 * 8 + BITS_PER_CHAR - 1) / BITS_PER_CHAR;
}

char *
shoal_base32_encode (const guint8 *data,
                     gsize         length)
{
  GString *text = g_string_sized_new (shoal_base32_encoded_length (length));
  guint32 pending = 0;
  guint bits = 0;

  for (gsize i = 0; i < length; i++)
    {
      pending = (pending << 8) | data[i];
      bits += 8;
      while (bits >= BITS_PER_CHAR)
        {
          bits -= BITS_PER_CHAR;
          g_string_append_c (text, alphabet[(pending >> bits) & CHAR_MASK]);
        }
      pending &= (1u << bits) - 1;
    }
  if (bits > 0)
    {
      pending <<= BITS_PER_CHAR - bits;
      g_string_append_c (text, alphabet[pending & CHAR_MASK]);
    }
  return g_string_free (text, FALSE);
}

static int
char_value (guint8 c)
{
  if (g_ascii_isalpha (c))
    return g_ascii_toupper (c) - 'A';
  if (c >= '2' && c <= '7')
    return c - '2' + 26;
  return -1;
}

static void
set_bad_char_error (GError **error,
                    guint8   c,
                    gsize    position)
{
  if (g_ascii_isprint (c))
    g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                 "base32 character '%c' at position %" G_GSIZE_FORMAT
                 " is outside A-Z 2-7", c, position);
  else
    g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                 "byte 0x%02x at position %" G_GSIZE_FORMAT
                 " is not a base32 character", c, position);
}

gboolean
shoal_base32_decode (const char *text,
                     gsize       text_length,
                     guint8     *out,
                     gsize       out_length,
                     GError    **error)
{
  gsize expected = shoal_base32_encoded_length (out_length);
  ShoalByteReader reader;
  guint32 pending = 0;
  guint bits = 0;
  gsize written = 0;
  guint8 c;

  if (text_length != expected)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "base32 text is %" G_GSIZE_FORMAT " characters, %"
                   G_GSIZE_FORMAT " bytes need %" G_GSIZE_FORMAT,
                   text_length, out_length, expected);
      return FALSE;
    }
  shoal_byte_reader_init (&reader, (const guint8 *) text, text_length);
  while (shoal_byte_reader_read_u8 (&reader, &c))
    {
      int value = char_value (c);

      if (value < 0)
        {
          set_bad_char_error (error, c, reader.offset - 1);
          return FALSE;
        }
      pending = (pending << BITS_PER_CHAR) | (guint32) value;
      bits += BITS_PER_CHAR;
      if (bits >= 8)
        {
          bits -= 8;
          out[written++] = (guint8) (pending >> bits);
          pending &= (1u << bits) - 1;
        }
    }
  /* Only the all-zero padding bits give one spelling per value: a digest
   * compared as text must not have two. */
  if (pending != 0)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "the %u unused low bits of the last base32 character "
                   "are not zero", bits);
      return FALSE;
    }
  return TRUE;
}
