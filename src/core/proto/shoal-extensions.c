/* shoal-extensions.c — the extension area of queries and query-hit records. */
#include "shoal-extensions.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"
#include "shoal-urn.h"

#include <string.h>

/* GGEP "H" hash types that begin with a SHA-1 (doc/GGEP, §5.3). */
#define HASH_TYPE_SHA1 0x01
#define HASH_TYPE_BITPRINT 0x02
#define HASH_SHA1_LENGTH (1 + SHOAL_SHA1_SIZE)
#define HASH_BITPRINT_LENGTH (1 + SHOAL_SHA1_SIZE + 24)

static void
extension_item_free (gpointer data)
{
  ShoalExtensionItem *item = data;

  g_clear_pointer (&item->text, g_bytes_unref);
  g_clear_pointer (&item->ggep, shoal_ggep_free);
  g_free (item);
}

ShoalExtensions *
shoal_extensions_new (void)
{
  ShoalExtensions *extensions = g_new0 (ShoalExtensions, 1);

  extensions->items = g_ptr_array_new_with_free_func (extension_item_free);
  return extensions;
}

void
shoal_extensions_free (ShoalExtensions *extensions)
{
  if (extensions == NULL)
    return;
  g_ptr_array_unref (extensions->items);
  g_free (extensions);
}

static gboolean
is_separator (guint8   byte,
              gboolean allow_nul)
{
  return byte == SHOAL_EXTENSION_SEPARATOR || (allow_nul && byte == 0);
}

static ShoalExtensionItem *
read_ggep_item (ShoalByteReader *reader,
                GError         **error)
{
  ShoalExtensionItem *item;
  ShoalGgep *ggep;
  gsize consumed;

  ggep = shoal_ggep_parse (shoal_byte_reader_current (reader),
                           shoal_byte_reader_remaining (reader),
                           &consumed, error);
  if (ggep == NULL)
    return NULL;
  shoal_byte_reader_skip (reader, consumed);
  item = g_new0 (ShoalExtensionItem, 1);
  item->kind = SHOAL_EXTENSION_GGEP;
  item->ggep = ggep;
  return item;
}

static ShoalExtensionItem *
read_text_item (ShoalByteReader *reader,
                gboolean         allow_nul,
                GError         **error)
{
  const guint8 *start = shoal_byte_reader_current (reader);
  gsize length = 0;
  ShoalExtensionItem *item;
  guint8 byte;

  while (shoal_byte_reader_peek_u8 (reader, &byte) && !is_separator (byte, allow_nul))
    {
      if (byte == 0)
        {
          g_set_error_literal (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                               "extension area holds a NUL byte");
          return NULL;
        }
      shoal_byte_reader_skip (reader, 1);
      length++;
    }
  item = g_new0 (ShoalExtensionItem, 1);
  item->kind = SHOAL_EXTENSION_TEXT;
  item->text = g_bytes_new (start, length);
  return item;
}

ShoalExtensions *
shoal_extensions_parse (const guint8 *data,
                        gsize         length,
                        gboolean      allow_nul,
                        GError      **error)
{
  g_autoptr(ShoalExtensions) extensions = shoal_extensions_new ();
  ShoalByteReader reader;

  shoal_byte_reader_init (&reader, data, length);
  while (shoal_byte_reader_remaining (&reader) > 0)
    {
      ShoalExtensionItem *item;
      guint8 byte;

      shoal_byte_reader_peek_u8 (&reader, &byte);
      if (byte == SHOAL_GGEP_MAGIC)
        item = read_ggep_item (&reader, error);
      else
        item = read_text_item (&reader, allow_nul, error);
      if (item == NULL)
        return NULL;
      item->separator = SHOAL_EXTENSION_NO_SEPARATOR;
      if (shoal_byte_reader_peek_u8 (&reader, &byte) && is_separator (byte, allow_nul))
        {
          item->separator = byte;
          shoal_byte_reader_skip (&reader, 1);
        }
      g_ptr_array_add (extensions->items, item);
    }
  return g_steal_pointer (&extensions);
}

gboolean
shoal_extensions_write (const ShoalExtensions *extensions,
                        GByteArray            *out,
                        GError               **error)
{
  for (guint i = 0; i < extensions->items->len; i++)
    {
      const ShoalExtensionItem *item = g_ptr_array_index (extensions->items, i);

      if (item->kind == SHOAL_EXTENSION_GGEP)
        {
          if (!shoal_ggep_write (item->ggep, out, error))
            return FALSE;
        }
      else
        {
          shoal_bytes_append (out, g_bytes_get_data (item->text, NULL),
                              g_bytes_get_size (item->text));
        }
      if (item->separator != SHOAL_EXTENSION_NO_SEPARATOR)
        shoal_bytes_append_u8 (out, (guint8) item->separator);
    }
  return TRUE;
}

/* A built item is followed by a separator only once another item comes. */
static void
append_item (ShoalExtensions    *extensions,
             ShoalExtensionItem *item)
{
  guint count = extensions->items->len;

  if (count > 0)
    {
      ShoalExtensionItem *previous = g_ptr_array_index (extensions->items, count - 1);

      if (previous->separator == SHOAL_EXTENSION_NO_SEPARATOR)
        previous->separator = SHOAL_EXTENSION_SEPARATOR;
    }
  item->separator = SHOAL_EXTENSION_NO_SEPARATOR;
  g_ptr_array_add (extensions->items, item);
}

void
shoal_extensions_add_text (ShoalExtensions *extensions,
                           const char      *text)
{
  ShoalExtensionItem *item = g_new0 (ShoalExtensionItem, 1);

  item->kind = SHOAL_EXTENSION_TEXT;
  item->text = g_bytes_new (text, strlen (text));
  append_item (extensions, item);
}

void
shoal_extensions_add_ggep (ShoalExtensions *extensions,
                           ShoalGgep       *ggep)
{
  ShoalExtensionItem *item = g_new0 (ShoalExtensionItem, 1);

  item->kind = SHOAL_EXTENSION_GGEP;
  item->ggep = ggep;
  append_item (extensions, item);
}

const ShoalGgepExtension *
shoal_extensions_find_ggep (const ShoalExtensions *extensions,
                            const char            *id)
{
  for (guint i = 0; i < extensions->items->len; i++)
    {
      const ShoalExtensionItem *item = g_ptr_array_index (extensions->items, i);
      const ShoalGgepExtension *found;

      if (item->kind != SHOAL_EXTENSION_GGEP)
        continue;
      found = shoal_ggep_find (item->ggep, id);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
add_sha1 (GPtrArray    *sha1s,
          const guint8  sha1[SHOAL_SHA1_SIZE])
{
  g_ptr_array_add (sha1s, g_bytes_new (sha1, SHOAL_SHA1_SIZE));
}

static void
collect_text_sha1 (GBytes    *text,
                   GPtrArray *sha1s)
{
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize length;
  const char *data = g_bytes_get_data (text, &length);

  if (shoal_urn_parse_sha1 (data, length, sha1, NULL))
    add_sha1 (sha1s, sha1);
}

static void
collect_ggep_sha1 (const ShoalGgep *ggep,
                   GPtrArray       *sha1s)
{
  for (guint i = 0; i < shoal_ggep_count (ggep); i++)
    {
      const ShoalGgepExtension *extension = shoal_ggep_get (ggep, i);
      gsize length;
      const guint8 *data = g_bytes_get_data (extension->data, &length);

      if (strcmp (extension->id, "H") == 0 &&
          ((length == HASH_SHA1_LENGTH && data[0] == HASH_TYPE_SHA1) ||
           (length == HASH_BITPRINT_LENGTH && data[0] == HASH_TYPE_BITPRINT)))
        add_sha1 (sha1s, data + 1);
      else if (strcmp (extension->id, "u") == 0 && length > 0)
        {
          /* GGEP "u" carries a HUGE URN without its "urn:" prefix. */
          g_autofree char *urn = g_strdup_printf ("urn:%.*s", (int) length,
                                                  (const char *) data);
          guint8 sha1[SHOAL_SHA1_SIZE];

          if (shoal_urn_parse_sha1 (urn, strlen (urn), sha1, NULL))
            add_sha1 (sha1s, sha1);
        }
    }
}

void
shoal_extensions_collect_sha1 (const ShoalExtensions *extensions,
                               GPtrArray             *sha1s)
{
  for (guint i = 0; i < extensions->items->len; i++)
    {
      const ShoalExtensionItem *item = g_ptr_array_index (extensions->items, i);

      if (item->kind == SHOAL_EXTENSION_TEXT)
        collect_text_sha1 (item->text, sha1s);
      else
        collect_ggep_sha1 (item->ggep, sha1s);
    }
}
