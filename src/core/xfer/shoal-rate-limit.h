/* shoal-rate-limit.h — a token bucket shared by transfers that together
 * must not exceed a rate in bytes per second (the upload and download
 * caps). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The bucket holds a quarter second of the rate: short bursts pass, and
 * the rate over any second stays within about 25 % of the cap. */
#define SHOAL_RATE_LIMIT_BURST_DIVISOR 4
/* A low cap still gets a bucket worth one read: a network packet or a few
 * are not split across wake-ups. */
#define SHOAL_RATE_LIMIT_MIN_BURST 4096
/* Nothing smaller than this (or than what was asked, if less) is granted:
 * a transfer waits for a worthwhile piece instead of waking up for a few
 * bytes at a time. Never more than SHOAL_RATE_LIMIT_MIN_BURST. */
#define SHOAL_RATE_LIMIT_MIN_GRANT 4096
/* The highest rate taken, in bytes per second (8 Tbit/s): keeps the
 * arithmetic in 64 bits. */
#define SHOAL_RATE_LIMIT_MAX_RATE G_GUINT64_CONSTANT (1000000000000)
/* Settings give caps in kbit/s (1000 bits): this many bytes per second
 * each. */
#define SHOAL_RATE_LIMIT_BYTES_PER_KBIT 125

G_STATIC_ASSERT (SHOAL_RATE_LIMIT_MIN_GRANT <= SHOAL_RATE_LIMIT_MIN_BURST);

/* Reference counted; every call is safe from any thread (the upload
 * server takes tokens on libmicrohttpd's thread while the main thread
 * changes the rate). */
typedef struct _ShoalRateLimit ShoalRateLimit;

/* Monotonic microseconds; g_get_monotonic_time() unless a test injects
 * its own clock. */
typedef gint64 (*ShoalRateLimitClock) (gpointer user_data);

/* @bytes_per_second: 0 for no limit. The bucket starts full. */
ShoalRateLimit *shoal_rate_limit_new            (guint64              bytes_per_second);
/* The same on @clock, called with @clock_data (which must outlive the
 * limit) under the limit's lock. */
ShoalRateLimit *shoal_rate_limit_new_with_clock (guint64              bytes_per_second,
                                                 ShoalRateLimitClock  clock,
                                                 gpointer             clock_data);
ShoalRateLimit *shoal_rate_limit_ref            (ShoalRateLimit      *self);
void            shoal_rate_limit_unref          (ShoalRateLimit      *self);

/* Takes effect at once for every user: the tokens gathered so far are
 * kept, up to the new rate's burst; going from unlimited to limited
 * starts with a full bucket. 0 lifts the limit. */
void            shoal_rate_limit_set_rate       (ShoalRateLimit      *self,
                                                 guint64              bytes_per_second);
/* 0: no limit. */
guint64         shoal_rate_limit_get_rate       (ShoalRateLimit      *self);
/* Bytes per second of a cap given in kbit/s (0 stays 0: no limit). */
guint64         shoal_rate_limit_bytes_for_kbps (guint                kbps);

/* Grants up to @wanted bytes now and removes them from the bucket: all of
 * them without a limit; 0 when fewer than SHOAL_RATE_LIMIT_MIN_GRANT (or
 * @wanted, if less) are there, then wait get_delay_ms() and ask again. */
gsize           shoal_rate_limit_take           (ShoalRateLimit      *self,
                                                 gsize                wanted);
/* Puts back the part of a grant that was not used (a read that returned
 * less than asked). */
void            shoal_rate_limit_give_back      (ShoalRateLimit      *self,
                                                 gsize                unused);
/* Milliseconds until take(@wanted) grants something, rounded up; 0 when
 * it would now. */
guint           shoal_rate_limit_get_delay_ms   (ShoalRateLimit      *self,
                                                 gsize                wanted);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalRateLimit, shoal_rate_limit_unref)

G_END_DECLS
