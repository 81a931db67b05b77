/* shoal-rate-limit.c — a token bucket on the monotonic clock, shared by
 * the transfers of one direction. */
#include "shoal-rate-limit.h"

/* Tokens are counted in byte-microseconds: a rate of R bytes per second
 * adds R of them every microsecond, so refilling needs no division and
 * loses nothing to rounding. */
#define TOKENS_PER_BYTE ((guint64) G_USEC_PER_SEC)
#define USEC_PER_MS 1000

struct _ShoalRateLimit
{
  gatomicrefcount      ref_count;
  GMutex               lock;
  ShoalRateLimitClock  clock;
  gpointer             clock_data;
  guint64              rate;         /* bytes per second; 0: no limit */
  guint64              tokens;       /* byte-microseconds in the bucket */
  gint64               refilled_at;  /* the clock's time of the last refill */
};

static gint64
monotonic_clock (gpointer unused)
{
  return g_get_monotonic_time ();
}

static guint64
burst_bytes (guint64 rate)
{
  return MAX (rate / SHOAL_RATE_LIMIT_BURST_DIVISOR, SHOAL_RATE_LIMIT_MIN_BURST);
}

static guint64
capacity (guint64 rate)
{
  return burst_bytes (rate) * TOKENS_PER_BYTE;
}

/* Adds what the time since the last refill earned, up to a full bucket.
 * A long pause fills it without multiplying the pause by the rate, which
 * could overflow. */
static void
refill (ShoalRateLimit *self)
{
  gint64 now = self->clock (self->clock_data);
  gint64 elapsed = now - self->refilled_at;
  guint64 missing;

  self->refilled_at = now;
  if (self->rate == 0 || elapsed <= 0)
    return;
  missing = capacity (self->rate) - MIN (self->tokens, capacity (self->rate));
  if ((guint64) elapsed > missing / self->rate)
    self->tokens = capacity (self->rate);
  else
    self->tokens += (guint64) elapsed * self->rate;
}

/* The least worth granting for @wanted. */
static guint64
smallest_grant (gsize wanted)
{
  return MIN ((guint64) wanted, SHOAL_RATE_LIMIT_MIN_GRANT);
}

ShoalRateLimit *
shoal_rate_limit_new_with_clock (guint64              bytes_per_second,
                                 ShoalRateLimitClock  clock,
                                 gpointer             clock_data)
{
  ShoalRateLimit *self;

  g_return_val_if_fail (bytes_per_second <= SHOAL_RATE_LIMIT_MAX_RATE, NULL);
  g_return_val_if_fail (clock != NULL, NULL);

  self = g_new0 (ShoalRateLimit, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  self->clock = clock;
  self->clock_data = clock_data;
  self->rate = bytes_per_second;
  self->tokens = capacity (bytes_per_second);
  self->refilled_at = clock (clock_data);
  return self;
}

ShoalRateLimit *
shoal_rate_limit_new (guint64 bytes_per_second)
{
  return shoal_rate_limit_new_with_clock (bytes_per_second, monotonic_clock, NULL);
}

ShoalRateLimit *
shoal_rate_limit_ref (ShoalRateLimit *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
shoal_rate_limit_unref (ShoalRateLimit *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
shoal_rate_limit_set_rate (ShoalRateLimit *self,
                           guint64         bytes_per_second)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes_per_second <= SHOAL_RATE_LIMIT_MAX_RATE);

  g_mutex_lock (&self->lock);
  /* What the old rate earned until now is kept. */
  refill (self);
  if (self->rate == 0)
    self->tokens = capacity (bytes_per_second);
  self->rate = bytes_per_second;
  self->tokens = MIN (self->tokens, capacity (bytes_per_second));
  g_mutex_unlock (&self->lock);
}

guint64
shoal_rate_limit_get_rate (ShoalRateLimit *self)
{
  guint64 rate;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  rate = self->rate;
  g_mutex_unlock (&self->lock);
  return rate;
}

guint64
shoal_rate_limit_bytes_for_kbps (guint kbps)
{
  return (guint64) kbps * SHOAL_RATE_LIMIT_BYTES_PER_KBIT;
}

gsize
shoal_rate_limit_take (ShoalRateLimit *self,
                       gsize           wanted)
{
  guint64 available;
  gsize granted = 0;

  g_return_val_if_fail (self != NULL, 0);

  g_mutex_lock (&self->lock);
  if (self->rate == 0)
    granted = wanted;
  else
    {
      refill (self);
      available = self->tokens / TOKENS_PER_BYTE;
      if (wanted > 0 && available >= smallest_grant (wanted))
        {
          granted = (gsize) MIN ((guint64) wanted, available);
          self->tokens -= (guint64) granted * TOKENS_PER_BYTE;
        }
    }
  g_mutex_unlock (&self->lock);
  return granted;
}

void
shoal_rate_limit_give_back (ShoalRateLimit *self,
                            gsize           unused)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  if (self->rate != 0)
    {
      guint64 full = capacity (self->rate);
      /* Never more than a bucket: the product cannot overflow. */
      guint64 returned = MIN ((guint64) unused, burst_bytes (self->rate)) * TOKENS_PER_BYTE;

      self->tokens = MIN (self->tokens + returned, full);
    }
  g_mutex_unlock (&self->lock);
}

guint
shoal_rate_limit_get_delay_ms (ShoalRateLimit *self,
                               gsize           wanted)
{
  guint64 needed;
  guint64 wait_usec;
  guint delay_ms = 0;

  g_return_val_if_fail (self != NULL, 0);

  g_mutex_lock (&self->lock);
  if (self->rate != 0 && wanted > 0)
    {
      refill (self);
      needed = smallest_grant (wanted) * TOKENS_PER_BYTE;
      if (self->tokens < needed)
        {
          wait_usec = (needed - self->tokens + self->rate - 1) / self->rate;
          delay_ms = (guint) MAX ((wait_usec + USEC_PER_MS - 1) / USEC_PER_MS, 1);
        }
    }
  g_mutex_unlock (&self->lock);
  return delay_ms;
}
