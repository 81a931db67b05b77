/* fuzz-ggep.c — libFuzzer target: one GGEP block, parsed and rewritten. */
#include "shoal-ggep.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ShoalGgep) ggep = NULL;
  g_autoptr(GByteArray) out = NULL;
  gsize consumed = 0;

  ggep = shoal_ggep_parse (data, size, &consumed, NULL);
  if (ggep == NULL)
    return 0;
  g_assert (consumed <= size);

  /* A parsed block must write back to exactly the bytes it came from. */
  out = g_byte_array_new ();
  g_assert (shoal_ggep_write (ggep, out, NULL));
  g_assert (out->len == consumed);
  g_assert (memcmp (out->data, data, consumed) == 0);
  return 0;
}
