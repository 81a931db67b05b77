/* shoal-query.c — the query payload (0x80): flags, text, extension area. */
#include "shoal-query.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

/* GGEP "u" in a query: a HUGE URN without "urn:", or empty for "send
 * URNs" (§5.3). */
#define GGEP_URN "u"

void
shoal_query_free (ShoalQuery *query)
{
  if (query == NULL)
    return;
  g_free (query->text);
  shoal_extensions_free (query->extensions);
  g_free (query);
}

/* Takes ownership of @text. */
static ShoalQuery *
query_new (guint16  flags,
           char    *text)
{
  ShoalQuery *query = g_new0 (ShoalQuery, 1);

  query->flags = flags;
  query->text = text;
  query->extensions = shoal_extensions_new ();
  return query;
}

static gboolean
check_payload_length (gsize    length,
                      GError **error)
{
  if (length < SHOAL_QUERY_MIN_PAYLOAD)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "query payload is %" G_GSIZE_FORMAT " bytes, needs at least %d",
                   length, SHOAL_QUERY_MIN_PAYLOAD);
      return FALSE;
    }
  if (length > SHOAL_QUERY_KICK_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "query payload is %" G_GSIZE_FORMAT " bytes, at most %d allowed",
                   length, SHOAL_QUERY_KICK_SIZE);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_text (const char *text,
            gsize       length,
            GError    **error)
{
  /* gtk-gnutella drops a query whose text is not UTF-8. */
  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query text is not valid UTF-8");
      return FALSE;
    }
  return TRUE;
}

/* The NUL that may end the payload reaches us as the last item's
 * separator; it is the area's terminator, so keep it as such. */
static void
take_trailing_nul (ShoalQuery *query)
{
  GPtrArray *items = query->extensions->items;
  ShoalExtensionItem *last;

  if (items->len == 0)
    return;
  last = g_ptr_array_index (items, items->len - 1);
  if (last->separator == 0)
    {
      last->separator = SHOAL_EXTENSION_NO_SEPARATOR;
      query->trailing_nul = TRUE;
    }
}

static gboolean
parse_extension_area (ShoalQuery      *query,
                      ShoalByteReader *reader,
                      GError         **error)
{
  gsize length = shoal_byte_reader_remaining (reader);
  ShoalExtensions *extensions;

  if (length == 0)
    return TRUE;
  extensions = shoal_extensions_parse (shoal_byte_reader_current (reader),
                                       length, TRUE, error);
  if (extensions == NULL)
    {
      g_prefix_error (error, "query extension area: ");
      return FALSE;
    }
  shoal_extensions_free (query->extensions);
  query->extensions = extensions;
  take_trailing_nul (query);
  return TRUE;
}

ShoalQuery *
shoal_query_parse (const guint8 *data,
                   gsize         length,
                   GError      **error)
{
  g_autoptr(ShoalQuery) query = NULL;
  ShoalByteReader reader;
  const guint8 *text;
  gsize text_length;
  guint16 flags;

  if (!check_payload_length (length, error))
    return NULL;
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_be16 (&reader, &flags);
  if (!shoal_byte_reader_read_until (&reader, 0, &text, &text_length))
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query text has no NUL terminator");
      return NULL;
    }
  if (!check_text ((const char *) text, text_length, error))
    return NULL;

  query = query_new (flags, g_strndup ((const char *) text, text_length));
  if (!parse_extension_area (query, &reader, error))
    return NULL;
  return g_steal_pointer (&query);
}

gboolean
shoal_query_write (const ShoalQuery *query,
                   GByteArray       *out,
                   GError          **error)
{
  guint start = out->len;
  gsize text_length = strlen (query->text);

  if (!check_text (query->text, text_length, error))
    return FALSE;
  shoal_bytes_append_be16 (out, query->flags);
  shoal_bytes_append (out, (const guint8 *) query->text, text_length + 1);
  if (!shoal_extensions_write (query->extensions, out, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  if (query->trailing_nul)
    shoal_bytes_append_u8 (out, 0);
  if (!check_payload_length (out->len - start, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  return TRUE;
}

/* Takes ownership of @ggep; an empty block is no block (and could not be
 * written). */
static void
add_ggep (ShoalQuery *query,
          ShoalGgep  *ggep)
{
  if (ggep != NULL && shoal_ggep_count (ggep) == 0)
    g_clear_pointer (&ggep, shoal_ggep_free);
  if (ggep != NULL)
    shoal_extensions_add_ggep (query->extensions, ggep);
}

ShoalQuery *
shoal_query_new_words (guint16     flags,
                       const char *text,
                       ShoalGgep  *ggep,
                       GError    **error)
{
  g_autoptr(ShoalGgep) owned_ggep = ggep;
  ShoalQuery *query;

  if (*text == '\0')
    {
      g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                           "query text is empty");
      return NULL;
    }
  if (!check_text (text, strlen (text), error))
    return NULL;
  query = query_new (flags, g_strdup (text));
  add_ggep (query, g_steal_pointer (&owned_ggep));
  return query;
}

ShoalQuery *
shoal_query_new_sha1 (guint16       flags,
                      const guint8  sha1[SHOAL_SHA1_SIZE],
                      ShoalGgep    *ggep)
{
  ShoalQuery *query = query_new (flags, g_strdup (SHOAL_QUERY_SHA1_TEXT));
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);
  ShoalExtensionItem *urn_item;
  gboolean has_ggep;

  shoal_extensions_add_text (query->extensions, urn);
  add_ggep (query, ggep);
  has_ggep = query->extensions->items->len > 1;
  /* gtk-gnutella ends the URN with a NUL, not 0x1C, whether a GGEP block
   * follows it or it ends the payload. */
  urn_item = g_ptr_array_index (query->extensions->items, 0);
  urn_item->separator = has_ggep ? 0 : SHOAL_EXTENSION_NO_SEPARATOR;
  query->trailing_nul = !has_ggep;
  return query;
}

gboolean
shoal_query_is_marked (const ShoalQuery *query)
{
  return (query->flags & SHOAL_QUERY_FLAG_MARKED) != 0;
}

gboolean
shoal_query_has_flag (const ShoalQuery *query,
                      guint16           flag)
{
  return shoal_query_is_marked (query) && (query->flags & flag) == flag;
}

guint
shoal_query_max_hits (const ShoalQuery *query)
{
  if (!shoal_query_is_marked (query))
    return 0;
  return query->flags & SHOAL_QUERY_MAX_HITS_MASK;
}

GPtrArray *
shoal_query_get_sha1s (const ShoalQuery *query)
{
  GPtrArray *sha1s = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  shoal_extensions_collect_sha1 (query->extensions, sha1s);
  return sha1s;
}

gboolean
shoal_query_wants_urns (const ShoalQuery *query)
{
  GPtrArray *items = query->extensions->items;

  /* "urn:" asks outright; "urn:sha1:…" and a non-empty "u" name a hash,
   * which per §9 asks for URNs too. */
  for (guint i = 0; i < items->len; i++)
    {
      const ShoalExtensionItem *item = g_ptr_array_index (items, i);
      gsize length;
      const char *text;

      if (item->kind != SHOAL_EXTENSION_TEXT)
        continue;
      text = g_bytes_get_data (item->text, &length);
      if (shoal_urn_is_urn (text, length))
        return TRUE;
    }
  return shoal_query_find_ggep (query, GGEP_URN) != NULL;
}

const ShoalGgepExtension *
shoal_query_find_ggep (const ShoalQuery *query,
                       const char       *id)
{
  return shoal_extensions_find_ggep (query->extensions, id);
}
