/* shoal-bye.c — bye (0x02). */
#include "shoal-bye.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

#define LINE_END "\r\n"

/* The reason is the first line; gtk-gnutella ends it only at CRLF. */
static char *
first_line (const char *text)
{
  const char *end = strstr (text, LINE_END);

  return end != NULL ? g_strndup (text, (gsize) (end - text)) : g_strdup (text);
}

static ShoalBye *
bye_new_take_text (guint16  code,
                   char    *text,
                   gboolean terminated)
{
  ShoalBye *bye = g_new0 (ShoalBye, 1);

  bye->code = code;
  bye->text = text;
  bye->reason = first_line (text);
  bye->terminated = terminated;
  return bye;
}

ShoalBye *
shoal_bye_new (guint16     code,
               const char *reason,
               const char *server)
{
  char *text;

  g_return_val_if_fail (reason != NULL && strpbrk (reason, LINE_END) == NULL, NULL);

  if (server != NULL)
    text = g_strconcat (reason, LINE_END "Server: ", server,
                        LINE_END LINE_END, NULL);
  else
    text = g_strdup (reason);
  return bye_new_take_text (code, text, TRUE);
}

void
shoal_bye_free (ShoalBye *bye)
{
  if (bye == NULL)
    return;
  g_free (bye->text);
  g_free (bye->reason);
  g_clear_pointer (&bye->trailer, g_bytes_unref);
  g_free (bye);
}

ShoalBye *
shoal_bye_parse (const guint8 *data,
                 gsize         length,
                 GError      **error)
{
  ShoalByteReader reader;
  ShoalBye *bye;
  guint16 code;
  const guint8 *text;
  gsize text_length;
  gboolean terminated;

  if (length < SHOAL_BYE_MIN_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "bye payload is %" G_GSIZE_FORMAT " bytes, needs at "
                   "least %d", length, SHOAL_BYE_MIN_SIZE);
      return NULL;
    }
  if (length > SHOAL_BYE_MAX_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "bye payload is %" G_GSIZE_FORMAT " bytes, at most %d",
                   length, SHOAL_BYE_MAX_SIZE);
      return NULL;
    }
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_le16 (&reader, &code);
  terminated = shoal_byte_reader_read_until (&reader, 0, &text, &text_length);
  if (!terminated)
    {
      text_length = shoal_byte_reader_remaining (&reader);
      shoal_byte_reader_read_bytes (&reader, text_length, &text);
    }
  bye = bye_new_take_text (code, g_strndup ((const char *) text, text_length),
                           terminated);
  if (shoal_byte_reader_remaining (&reader) > 0)
    bye->trailer = g_bytes_new (shoal_byte_reader_current (&reader),
                                shoal_byte_reader_remaining (&reader));
  return bye;
}

gboolean
shoal_bye_write (const ShoalBye *bye,
                 GByteArray     *out,
                 GError        **error)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  shoal_bytes_append_le16 (payload, bye->code);
  shoal_bytes_append (payload, (const guint8 *) bye->text, strlen (bye->text));
  if (bye->terminated)
    shoal_bytes_append_u8 (payload, 0);
  if (bye->trailer != NULL)
    shoal_bytes_append (payload, g_bytes_get_data (bye->trailer, NULL),
                        g_bytes_get_size (bye->trailer));
  if (payload->len > SHOAL_BYE_MAX_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "bye would be %u bytes, at most %d",
                   payload->len, SHOAL_BYE_MAX_SIZE);
      return FALSE;
    }
  shoal_bytes_append (out, payload->data, payload->len);
  return TRUE;
}
