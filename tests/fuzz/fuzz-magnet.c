/* fuzz-magnet.c — libFuzzer target: a magnet URI, parsed and rebuilt. A
 * magnet we build must parse back and rebuild to the same text. */
#include "shoal-magnet.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_parse ((const char *) data, size, NULL);
  g_autoptr(ShoalMagnet) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  if (magnet == NULL)
    return 0;
  text = shoal_magnet_to_string (magnet);
  again = shoal_magnet_parse (text, strlen (text), NULL);
  g_assert (again != NULL);
  text_again = shoal_magnet_to_string (again);
  g_assert (strcmp (text, text_again) == 0);
  return 0;
}
