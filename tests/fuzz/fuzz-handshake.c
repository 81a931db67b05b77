/* fuzz-handshake.c — libFuzzer target: a handshake or HTTP header block,
 * found in a stream, parsed, its values read, and written back. */
#include "shoal-handshake.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
read_values (const ShoalHeaderBlock *block)
{
  for (guint i = 0; i < block->fields->len; i++)
    {
      const ShoalHeaderField *field = g_ptr_array_index (block->fields, i);
      const char *joined = shoal_header_block_get (block, field->name);
      g_autoptr(GArray) endpoints = NULL;
      ShoalProtocolVersion version;
      gboolean flag;
      guint skipped = 0;

      g_assert (joined != NULL);
      shoal_header_value_parse_boolean (joined, &flag, NULL);
      shoal_header_value_parse_version (joined, &version, NULL);
      endpoints = shoal_header_value_parse_endpoints (joined, &skipped);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ShoalHeaderBlock) block = NULL;
  g_autoptr(ShoalHeaderBlock) again = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) out_again = g_byte_array_new ();
  gsize end = 0;

  if (shoal_header_block_find_end (data, size, &end, NULL) != SHOAL_HEADER_SCAN_COMPLETE)
    return 0;
  g_assert (end <= size);
  block = shoal_header_block_parse (data, end, NULL);
  if (block == NULL)
    return 0;
  read_values (block);

  /* Bare LF and folded lines are written as CRLF, one line each: what we
   * write must parse again to the same block and write identically. */
  if (!shoal_header_block_write (block, out, NULL))
    return 0;
  again = shoal_header_block_parse (out->data, out->len, NULL);
  g_assert (again != NULL);
  g_assert (again->fields->len == block->fields->len);
  g_assert (shoal_header_block_write (again, out_again, NULL));
  g_assert (out_again->len == out->len);
  g_assert (memcmp (out_again->data, out->data, out->len) == 0);
  return 0;
}
