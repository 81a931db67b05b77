/* fuzz-query-hit-trailer.c — libFuzzer target: a query-hit trailer (QHD):
 * vendor, open data, flags, private area and its GGEP. */
#include "shoal-query-hit.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ShoalQueryHitTrailer) trailer = shoal_query_hit_trailer_parse (data, size, NULL);
  g_autoptr(GArray) proxies = NULL;
  g_autoptr(GBytes) version = NULL;
  g_autoptr(GByteArray) out = NULL;
  g_autofree char *hostname = NULL;

  if (trailer == NULL)
    return 0;
  for (guint flag = 1; flag <= 0x80; flag <<= 1)
    shoal_query_hit_trailer_has_flag (trailer, flag);
  shoal_query_hit_trailer_is_browsable (trailer);
  proxies = shoal_query_hit_trailer_get_push_proxies (trailer, NULL);
  version = shoal_query_hit_trailer_get_gtkg_version (trailer);
  hostname = shoal_query_hit_trailer_get_hostname (trailer);

  out = g_byte_array_new ();
  g_assert (shoal_query_hit_trailer_write (trailer, out, NULL));
  g_assert (out->len == size);
  g_assert (memcmp (out->data, data, size) == 0);
  return 0;
}
