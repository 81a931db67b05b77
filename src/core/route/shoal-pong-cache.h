/* shoal-pong-cache.h — recent pongs kept to answer pings without flooding
 * them (ping/pong reduction, gnutella-0.6.md §7.1). Pure logic: the caller
 * passes the time, so tests need no clock. */
#pragma once

#include <glib.h>

#include "shoal-ipv4.h"
#include "shoal-pong.h"

G_BEGIN_DECLS

/* gtk-gnutella answers a ping with at most this many pongs (MAX_PONGS). */
#define SHOAL_PONG_CACHE_MAX_PONGS_PER_PING 10
/* How long a cached pong may be handed out (gtk-gnutella's pcache.c). */
#define SHOAL_PONG_CACHE_LIFETIME_ULTRAPEER_USEC (20 * G_USEC_PER_SEC)
#define SHOAL_PONG_CACHE_LIFETIME_LEAF_USEC (120 * G_USEC_PER_SEC)
/* Pongs kept at most; the oldest go first. */
#define SHOAL_PONG_CACHE_DEFAULT_CAPACITY 256

typedef struct _ShoalPongCache ShoalPongCache;

/* One pong ready to send again: its payload unchanged, the hops it had
 * travelled to reach us (its new header counts from there). */
typedef struct
{
  GBytes            *payload;
  guint8             hops;
  ShoalIpv4Endpoint  endpoint;
} ShoalCachedPong;

void             shoal_cached_pong_free     (ShoalCachedPong *pong);

ShoalPongCache  *shoal_pong_cache_new       (gint64 lifetime_usec,
                                             guint  capacity);
void             shoal_pong_cache_free      (ShoalPongCache *cache);

/* Keeps @pong (received with @hops from link @link_id at @now_usec); a
 * newer pong from the same host replaces the older one. */
void             shoal_pong_cache_add       (ShoalPongCache  *cache,
                                             const ShoalPong *pong,
                                             guint8           hops,
                                             guint64          link_id,
                                             gint64           now_usec);
/* Drops everything learned from a link that closed. */
void             shoal_pong_cache_forget_link (ShoalPongCache *cache,
                                               guint64         link_id);
/* Up to @max live pongs for a ping that came from @asking_link_id: never
 * one learned from that same link, spread over hop counts (one of each
 * hop count in turn, nearest first) so the asker learns near and far
 * hosts. GPtrArray of ShoalCachedPong*. */
GPtrArray       *shoal_pong_cache_select    (ShoalPongCache *cache,
                                             guint64         asking_link_id,
                                             guint           max,
                                             gint64          now_usec);
/* Live pongs (expired ones are dropped on the way). */
guint            shoal_pong_cache_count     (ShoalPongCache *cache,
                                             gint64          now_usec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalPongCache, shoal_pong_cache_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalCachedPong, shoal_cached_pong_free)

G_END_DECLS
