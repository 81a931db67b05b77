/* shoal-urn.c — HUGE URNs (urn:sha1, urn:bitprint) naming a file by SHA-1. */
#include "shoal-urn.h"

#include "shoal-base32.h"
#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

#define URN_PREFIX "urn:"
#define SHA1_PREFIX "urn:sha1:"
#define BITPRINT_PREFIX "urn:bitprint:"
#define BITPRINT_SEPARATOR '.'

static gboolean
decode_part (const guint8 *text,
             gsize         text_length,
             guint8       *out,
             gsize         out_length,
             const char   *what,
             GError      **error)
{
  if (!shoal_base32_decode ((const char *) text, text_length,
                            out, out_length, error))
    {
      g_prefix_error (error, "%s: ", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_sha1_urn (ShoalByteReader *reader,
                guint8           sha1[SHOAL_SHA1_SIZE],
                GError         **error)
{
  gsize length = shoal_byte_reader_remaining (reader);
  const guint8 *text;

  if (length != SHOAL_SHA1_BASE32_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "urn:sha1 needs %d base32 characters, got %" G_GSIZE_FORMAT,
                   SHOAL_SHA1_BASE32_LENGTH, length);
      return FALSE;
    }
  shoal_byte_reader_read_bytes (reader, length, &text);
  return decode_part (text, length, sha1, SHOAL_SHA1_SIZE, "urn:sha1", error);
}

static gboolean
parse_bitprint_urn (ShoalByteReader *reader,
                    guint8           sha1[SHOAL_SHA1_SIZE],
                    GError         **error)
{
  guint8 tth[SHOAL_TTH_SIZE];
  const guint8 *sha1_text, *tth_text;
  gsize sha1_length, tth_length;

  if (!shoal_byte_reader_read_until (reader, BITPRINT_SEPARATOR,
                                     &sha1_text, &sha1_length))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "urn:bitprint has no '%c' between SHA-1 and tiger root",
                   BITPRINT_SEPARATOR);
      return FALSE;
    }
  tth_length = shoal_byte_reader_remaining (reader);
  if (sha1_length != SHOAL_SHA1_BASE32_LENGTH
      || tth_length != SHOAL_TTH_BASE32_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "urn:bitprint needs %d.%d base32 characters, got %"
                   G_GSIZE_FORMAT ".%" G_GSIZE_FORMAT,
                   SHOAL_SHA1_BASE32_LENGTH, SHOAL_TTH_BASE32_LENGTH,
                   sha1_length, tth_length);
      return FALSE;
    }
  shoal_byte_reader_read_bytes (reader, tth_length, &tth_text);
  /* The tiger root is checked too, so that a bitprint we accept is one we
   * could hand on without relaying garbage. */
  return decode_part (sha1_text, sha1_length, sha1, SHOAL_SHA1_SIZE,
                      "urn:bitprint SHA-1", error)
         && decode_part (tth_text, tth_length, tth, SHOAL_TTH_SIZE,
                         "urn:bitprint tiger root", error);
}

gboolean
shoal_urn_parse_sha1 (const char *text,
                      gsize       length,
                      guint8      sha1[SHOAL_SHA1_SIZE],
                      GError    **error)
{
  ShoalByteReader reader;

  shoal_byte_reader_init (&reader, (const guint8 *) text, length);
  if (shoal_byte_reader_skip_prefix (&reader, SHA1_PREFIX))
    return parse_sha1_urn (&reader, sha1, error);
  if (shoal_byte_reader_skip_prefix (&reader, BITPRINT_PREFIX))
    return parse_bitprint_urn (&reader, sha1, error);
  g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
               "URN does not start with " SHA1_PREFIX " or " BITPRINT_PREFIX);
  return FALSE;
}

char *
shoal_urn_format_sha1 (const guint8 sha1[SHOAL_SHA1_SIZE])
{
  g_autofree char *base32 = shoal_base32_encode (sha1, SHOAL_SHA1_SIZE);

  return g_strconcat (SHA1_PREFIX, base32, NULL);
}

gboolean
shoal_urn_is_urn (const char *text,
                  gsize       length)
{
  ShoalByteReader reader;

  shoal_byte_reader_init (&reader, (const guint8 *) text, length);
  return shoal_byte_reader_skip_prefix (&reader, URN_PREFIX);
}
