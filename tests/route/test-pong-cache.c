/* test-pong-cache.c — answering pings from cache: spread, exclusion, expiry. */
#include "shoal-pong-cache.h"

#define SECOND G_USEC_PER_SEC

static void
add_host (ShoalPongCache *cache,
          guint8          last_octet,
          guint8          hops,
          guint64         link_id,
          gint64          now)
{
  ShoalIpv4Endpoint endpoint = { 0x0a000000u | last_octet, 6346 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&endpoint, last_octet, last_octet * 10u);

  shoal_pong_cache_add (cache, pong, hops, link_id, now);
}

static void
test_spread_over_hops (void)
{
  g_autoptr(ShoalPongCache) cache = shoal_pong_cache_new (SHOAL_PONG_CACHE_LIFETIME_ULTRAPEER_USEC, 64);
  g_autoptr(GPtrArray) selected = NULL;

  /* Five hosts one hop away, two at three hops, one at two hops. */
  for (guint i = 1; i <= 5; i++)
    add_host (cache, i, 1, 7, 0);
  add_host (cache, 21, 3, 7, 0);
  add_host (cache, 22, 3, 7, 0);
  add_host (cache, 31, 2, 7, 0);

  selected = shoal_pong_cache_select (cache, 99, 4, SECOND);
  g_assert_cmpuint (selected->len, ==, 4);
  /* First round: one of each hop count, nearest first, newest first. */
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[0])->hops, ==, 1);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[0])->endpoint.address & 0xff, ==, 5);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[1])->hops, ==, 2);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[2])->hops, ==, 3);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[2])->endpoint.address & 0xff, ==, 22);
  /* Second round starts again from the nearest. */
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[3])->hops, ==, 1);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[3])->endpoint.address & 0xff, ==, 4);
}

static void
test_never_back_to_sender (void)
{
  g_autoptr(ShoalPongCache) cache = shoal_pong_cache_new (SHOAL_PONG_CACHE_LIFETIME_ULTRAPEER_USEC, 64);
  g_autoptr(GPtrArray) to_link_1 = NULL;
  g_autoptr(GPtrArray) to_link_3 = NULL;

  add_host (cache, 1, 1, 1, 0);
  add_host (cache, 2, 1, 2, 0);
  to_link_1 = shoal_pong_cache_select (cache, 1, SHOAL_PONG_CACHE_MAX_PONGS_PER_PING, 0);
  g_assert_cmpuint (to_link_1->len, ==, 1);
  g_assert_cmpuint (((ShoalCachedPong *) to_link_1->pdata[0])->endpoint.address & 0xff, ==, 2);

  shoal_pong_cache_forget_link (cache, 2);
  to_link_3 = shoal_pong_cache_select (cache, 3, SHOAL_PONG_CACHE_MAX_PONGS_PER_PING, 0);
  g_assert_cmpuint (to_link_3->len, ==, 1);
  g_assert_cmpuint (((ShoalCachedPong *) to_link_3->pdata[0])->endpoint.address & 0xff, ==, 1);
}

static void
test_expiry_and_capacity (void)
{
  g_autoptr(ShoalPongCache) cache = shoal_pong_cache_new (20 * SECOND, 3);
  g_autoptr(GPtrArray) selected = NULL;

  add_host (cache, 1, 1, 1, 0);
  add_host (cache, 2, 1, 1, 10 * SECOND);
  g_assert_cmpuint (shoal_pong_cache_count (cache, 15 * SECOND), ==, 2);
  g_assert_cmpuint (shoal_pong_cache_count (cache, 25 * SECOND), ==, 1);
  g_assert_cmpuint (shoal_pong_cache_count (cache, 31 * SECOND), ==, 0);

  /* Capacity: the oldest go first. */
  for (guint i = 1; i <= 5; i++)
    add_host (cache, i, 1, 1, 40 * SECOND + i);
  g_assert_cmpuint (shoal_pong_cache_count (cache, 41 * SECOND), ==, 3);
  selected = shoal_pong_cache_select (cache, 9, 10, 41 * SECOND);
  g_assert_cmpuint (selected->len, ==, 3);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[0])->endpoint.address & 0xff, ==, 5);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[2])->endpoint.address & 0xff, ==, 3);
}

static void
test_newer_pong_replaces (void)
{
  g_autoptr(ShoalPongCache) cache = shoal_pong_cache_new (20 * SECOND, 8);
  g_autoptr(GPtrArray) selected = NULL;
  g_autoptr(ShoalPong) parsed = NULL;
  gsize length;
  const guint8 *payload;

  add_host (cache, 1, 3, 1, 0);
  add_host (cache, 1, 1, 2, SECOND);
  g_assert_cmpuint (shoal_pong_cache_count (cache, SECOND), ==, 1);
  selected = shoal_pong_cache_select (cache, 9, 10, SECOND);
  g_assert_cmpuint (((ShoalCachedPong *) selected->pdata[0])->hops, ==, 1);
  /* The payload is the pong as received, ready to send again. */
  payload = g_bytes_get_data (((ShoalCachedPong *) selected->pdata[0])->payload, &length);
  parsed = shoal_pong_parse (payload, length, NULL);
  g_assert_nonnull (parsed);
  g_assert_cmpuint (parsed->files, ==, 1);
  g_assert_cmpuint (parsed->endpoint.port, ==, 6346);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pong-cache/spread-over-hops", test_spread_over_hops);
  g_test_add_func ("/pong-cache/never-back-to-sender", test_never_back_to_sender);
  g_test_add_func ("/pong-cache/expiry-and-capacity", test_expiry_and_capacity);
  g_test_add_func ("/pong-cache/newer-pong-replaces", test_newer_pong_replaces);
  return g_test_run ();
}
