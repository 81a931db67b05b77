/* test-rate-limit.c — the token bucket on an injected clock: burst, refill,
 * the smallest grant, delays, live rate changes, a long run's average and
 * threads sharing one bucket. */
#include "shoal-rate-limit.h"

/* 512 kbit/s: the cap the transfer tests use. */
#define RATE (512 * SHOAL_RATE_LIMIT_BYTES_PER_KBIT)
#define BURST (RATE / SHOAL_RATE_LIMIT_BURST_DIVISOR)
#define BIG_READ (256 * 1024)
#define N_THREADS 4

typedef struct
{
  gint64 now_usec;
} FakeClock;

static gint64
read_fake_clock (gpointer data)
{
  FakeClock *clock = data;

  return clock->now_usec;
}

static void
advance_ms (FakeClock *clock,
            guint      ms)
{
  clock->now_usec += (gint64) ms * G_TIME_SPAN_MILLISECOND;
}

static ShoalRateLimit *
limit_on (FakeClock *clock,
          guint64    rate)
{
  clock->now_usec = 1000 * G_TIME_SPAN_SECOND;
  return shoal_rate_limit_new_with_clock (rate, read_fake_clock, clock);
}

static void
test_unlimited (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, 0);

  g_assert_cmpuint (shoal_rate_limit_get_rate (limit), ==, 0);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BIG_READ);
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, BIG_READ), ==, 0);
  shoal_rate_limit_give_back (limit, BIG_READ);
  g_assert_cmpuint (shoal_rate_limit_take (limit, G_MAXSIZE), ==, G_MAXSIZE);
}

static void
test_kbps (void)
{
  g_assert_cmpuint (shoal_rate_limit_bytes_for_kbps (0), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_bytes_for_kbps (512), ==, 64000);
  g_assert_cmpuint (shoal_rate_limit_bytes_for_kbps (G_MAXUINT), ==,
                    (guint64) G_MAXUINT * 125);
}

/* A full bucket is a quarter second of the rate, then the clock alone
 * lets bytes through. */
static void
test_burst_and_refill (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, RATE);

  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, BIG_READ), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BURST);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 1), ==, 0);
  /* 4096 bytes at 64000 B/s: 64 ms. */
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, BIG_READ), ==, 64);
  advance_ms (&clock, 63);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, BIG_READ), ==, 1);
  advance_ms (&clock, 1);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 4096);
  /* A pause of an hour fills the bucket and no more. */
  advance_ms (&clock, 3600 * 1000);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BURST);
  /* A clock that went back earns nothing and breaks nothing. */
  clock.now_usec -= G_TIME_SPAN_SECOND;
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 0);
  advance_ms (&clock, 64);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 4096);
}

/* A slow cap still has a bucket worth one read. */
static void
test_min_burst (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, 1000);

  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, SHOAL_RATE_LIMIT_MIN_BURST);
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, BIG_READ), ==, 4096);
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, 100), ==, 100);
}

/* Crumbs are not granted to a big read; a small one gets what it asks. */
static void
test_smallest_grant (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, RATE);

  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BURST);
  advance_ms (&clock, 10);  /* 640 bytes */
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 1000), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 500), ==, 500);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 500), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 140), ==, 140);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 0), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, 0), ==, 0);
}

static void
test_give_back (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, RATE);

  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BURST);
  shoal_rate_limit_give_back (limit, 6000);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 6000);
  /* More than was taken does not overfill the bucket. */
  shoal_rate_limit_give_back (limit, G_MAXSIZE);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BURST);
}

static void
test_set_rate_live (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, RATE);

  /* A lower cap keeps only its own bucket's worth. */
  shoal_rate_limit_set_rate (limit, 8000);
  g_assert_cmpuint (shoal_rate_limit_get_rate (limit), ==, 8000);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, SHOAL_RATE_LIMIT_MIN_BURST);
  g_assert_cmpuint (shoal_rate_limit_get_delay_ms (limit, BIG_READ), ==, 512);
  /* A higher one refills faster from then on, keeping what was there. */
  advance_ms (&clock, 256);  /* 2048 bytes at 8000 B/s */
  shoal_rate_limit_set_rate (limit, RATE);
  advance_ms (&clock, 32);   /* 2048 more at 64000 B/s */
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, 4096);
  /* Lifted, then capped again: a full bucket to start with. */
  shoal_rate_limit_set_rate (limit, 0);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BIG_READ);
  shoal_rate_limit_set_rate (limit, RATE);
  g_assert_cmpuint (shoal_rate_limit_take (limit, BIG_READ), ==, BURST);
}

/* A reader that always waits as told moves, over a minute, the rate times
 * the time plus the first bucket, less at most one grant. */
static void
test_long_run (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, RATE);
  gint64 start = clock.now_usec;
  guint64 moved = 0;
  guint wake_ups = 0;

  while (clock.now_usec - start < 60 * G_TIME_SPAN_SECOND)
    {
      gsize granted = shoal_rate_limit_take (limit, BIG_READ);
      guint delay_ms;

      moved += granted;
      delay_ms = shoal_rate_limit_get_delay_ms (limit, BIG_READ);
      g_assert_true (granted > 0 || delay_ms > 0);
      advance_ms (&clock, MAX (delay_ms, 1));
      wake_ups++;
    }
  g_test_message ("%" G_GUINT64_FORMAT " bytes in %u wake-ups", moved, wake_ups);
  g_assert_cmpuint (moved, <=, (guint64) RATE * 60 + BURST);
  g_assert_cmpuint (moved, >=, (guint64) RATE * 60 + BURST - SHOAL_RATE_LIMIT_MIN_GRANT);
  /* One wake-up per smallest grant, not per millisecond. */
  g_assert_cmpuint (wake_ups, <=, RATE * 60 / SHOAL_RATE_LIMIT_MIN_GRANT + 2);
}

static gpointer
drain (gpointer data)
{
  ShoalRateLimit *limit = data;
  guint64 taken = 0;

  for (guint i = 0; i < 10000; i++)
    taken += shoal_rate_limit_take (limit, 7);
  return g_memdup2 (&taken, sizeof taken);
}

/* Threads sharing a bucket on a stopped clock share its burst exactly. */
static void
test_threads (void)
{
  FakeClock clock;
  g_autoptr(ShoalRateLimit) limit = limit_on (&clock, RATE);
  GThread *threads[N_THREADS];
  guint64 total = 0;

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("drain", drain, limit);
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_autofree guint64 *taken = g_thread_join (threads[i]);

      total += *taken;
    }
  /* 16000 is not a multiple of 7: the last 5 bytes stay. */
  g_assert_cmpuint (total, ==, BURST - BURST % 7);
}

static void
test_refs (void)
{
  ShoalRateLimit *limit = shoal_rate_limit_new (RATE);

  g_assert_true (shoal_rate_limit_ref (limit) == limit);
  shoal_rate_limit_unref (limit);
  g_assert_cmpuint (shoal_rate_limit_get_rate (limit), ==, RATE);
  g_assert_cmpuint (shoal_rate_limit_take (limit, 100), ==, 100);
  shoal_rate_limit_unref (limit);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rate-limit/unlimited", test_unlimited);
  g_test_add_func ("/rate-limit/kbps", test_kbps);
  g_test_add_func ("/rate-limit/burst-and-refill", test_burst_and_refill);
  g_test_add_func ("/rate-limit/min-burst", test_min_burst);
  g_test_add_func ("/rate-limit/smallest-grant", test_smallest_grant);
  g_test_add_func ("/rate-limit/give-back", test_give_back);
  g_test_add_func ("/rate-limit/set-rate-live", test_set_rate_live);
  g_test_add_func ("/rate-limit/long-run", test_long_run);
  g_test_add_func ("/rate-limit/threads", test_threads);
  g_test_add_func ("/rate-limit/refs", test_refs);
  return g_test_run ();
}
