/* shoal-host-cache.h — the Gnutella hosts this node knows of: where each
 * came from, how dialing it went, which to dial next; kept across runs. */
#pragma once

#include <gio/gio.h>

#include "shoal-ipv4.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_HOST_CACHE (shoal_host_cache_get_type ())
G_DECLARE_FINAL_TYPE (ShoalHostCache, shoal_host_cache, SHOAL, HOST_CACHE, GObject)

/* Plenty to rejoin after weeks offline, few enough that a linear scan per
 * pick or eviction costs microseconds. */
#define SHOAL_HOST_CACHE_DEFAULT_MAX_HOSTS 4096
/* Hosts learned are written in one transaction at most this often (and
 * when the cache goes away), never on every call. */
#define SHOAL_HOST_CACHE_DEFAULT_FLUSH_INTERVAL_SECONDS 60
/* gtk-gnutella's etiquette (gnutella-0.6.md §7.2): a host is dialed at
 * most about once a minute, whatever happened last time. */
#define SHOAL_HOST_CACHE_MIN_RETRY_SECONDS 60
/* Each consecutive failure doubles the wait from the minimum up to this:
 * a host that was down for a day is still tried once an hour. */
#define SHOAL_HOST_CACHE_MAX_BACKOFF_SECONDS 3600
/* A host that failed this many times in a row is forgotten, anchors
 * excepted (the user configured them). */
#define SHOAL_HOST_CACHE_MAX_FAILURES 10

/* Where a host was learned; a host keeps every source that named it. */
typedef enum
{
  SHOAL_HOST_SOURCE_ANCHOR = 1 << 0,  /* configured by the user */
  SHOAL_HOST_SOURCE_PONG = 1 << 1,    /* a pong's own address */
  SHOAL_HOST_SOURCE_IPP = 1 << 2,     /* packed in a pong's GGEP "IPP" */
  SHOAL_HOST_SOURCE_X_TRY = 1 << 3,   /* X-Try-Ultrapeers / X-Try */
  SHOAL_HOST_SOURCE_HEADER = 1 << 4,  /* a peer's Node / Listen-IP header */
  SHOAL_HOST_SOURCE_UHC = 1 << 5,     /* a UDP host cache */
  SHOAL_HOST_SOURCE_GWC = 1 << 6,     /* a GWebCache */
  SHOAL_HOST_SOURCE_LAN = 1 << 7,     /* mDNS on the local network */
} ShoalHostSource;

/* What the host is, as far as we know. */
typedef enum
{
  SHOAL_HOST_ROLE_UNKNOWN,
  SHOAL_HOST_ROLE_LEAF,
  SHOAL_HOST_ROLE_ULTRAPEER,
} ShoalHostRole;

/* A snapshot of one host. Times are microseconds on the cache's clock
 * (the wall clock unless a test set another), 0 for never. */
typedef struct
{
  ShoalIpv4Endpoint endpoint;
  ShoalHostRole     role;
  guint             sources;          /* ShoalHostSource bits */
  gint64            last_seen_usec;   /* last named by any source */
  gint64            last_success_usec;
  guint             failures;         /* consecutive */
  gint64            next_attempt_usec;
  gboolean          in_use;
} ShoalHostInfo;

/* Returns the current time in microseconds since the epoch. */
typedef gint64 (*ShoalHostClockFunc) (gpointer user_data);

/* TRUE when @endpoint may be dialed: never port 0, 0.0.0.0/8, multicast or
 * 240/4 (broadcast included); unless @allow_private (LAN and loopback test
 * mode) also never loopback, RFC 1918, shared (100.64/10), link-local,
 * benchmarking or documentation addresses. */
gboolean        shoal_host_is_dialable           (const ShoalIpv4Endpoint *endpoint,
                                                  gboolean                 allow_private);
/* TRUE when @endpoint is on a LAN: RFC 1918, link-local or the shared
 * space 100.64/10 (VPNs), loopback only with @allow_loopback; never port
 * 0. With :lan-only set, the cache keeps nothing else (saved hosts
 * elsewhere stay on disk for a run without it). */
gboolean        shoal_host_is_lan                (const ShoalIpv4Endpoint *endpoint,
                                                  gboolean                 allow_loopback);

/* Keeps its hosts in @data_dir/hosts.db; NULL means $XDG_DATA_HOME/shoal.
 * The file is read and written on the cache's own thread: hosts already
 * saved join the cache when :loaded turns TRUE. A file that cannot be used
 * is reported by ::error (the cache then runs from memory, leaving the
 * file as it is). Signals and timers run in the caller's thread-default
 * main context. */
ShoalHostCache *shoal_host_cache_new             (const char *data_dir);
/* A cache that persists nothing (a one-off session, tests). */
ShoalHostCache *shoal_host_cache_new_in_memory   (void);

/* Replaces the wall clock, for tests of backoff and ranking. */
void            shoal_host_cache_set_clock       (ShoalHostCache     *self,
                                                  ShoalHostClockFunc  clock,
                                                  gpointer            user_data);
/* Our own listening address: never added, and dropped if present. */
void            shoal_host_cache_set_own_endpoint (ShoalHostCache          *self,
                                                   const ShoalIpv4Endpoint *endpoint);

/* Records that @source named @endpoint (again). A known @role replaces
 * what was known; SHOAL_HOST_ROLE_UNKNOWN keeps it. A full cache evicts
 * its least valuable host (most failures, then leaves, then the oldest
 * success and sighting), never one in use nor an anchor. Returns FALSE
 * when the host is refused: not dialable (counted in :refused), our own
 * address, or worth less than every host that could make room. */
gboolean        shoal_host_cache_add             (ShoalHostCache          *self,
                                                  const ShoalIpv4Endpoint *endpoint,
                                                  ShoalHostSource          source,
                                                  ShoalHostRole            role);
gboolean        shoal_host_cache_remove          (ShoalHostCache          *self,
                                                  const ShoalIpv4Endpoint *endpoint);
/* A handshake with the host succeeded: its failures are cleared. Returns
 * FALSE for a host the cache does not hold. */
gboolean        shoal_host_cache_report_success  (ShoalHostCache          *self,
                                                  const ShoalIpv4Endpoint *endpoint);
/* Dialing or the handshake failed: the next attempt waits
 * SHOAL_HOST_CACHE_MIN_RETRY_SECONDS, doubled per consecutive failure up
 * to SHOAL_HOST_CACHE_MAX_BACKOFF_SECONDS. */
gboolean        shoal_host_cache_report_failure  (ShoalHostCache          *self,
                                                  const ShoalIpv4Endpoint *endpoint);
/* The node manager marks the hosts it has a link to or is dialing; they
 * are never picked nor evicted. Hosts not (yet) cached can be marked. */
void            shoal_host_cache_set_in_use      (ShoalHostCache          *self,
                                                  const ShoalIpv4Endpoint *endpoint,
                                                  gboolean                 in_use);
/* The best host to dial now: not in use, its wait over; ultrapeers first,
 * then fewer failures, then the latest success, then the latest sighting.
 * Picking counts as an attempt: the host waits the minimum retry time
 * before it can be picked again. FALSE when no host is ready. */
gboolean        shoal_host_cache_pick_next       (ShoalHostCache    *self,
                                                  ShoalIpv4Endpoint *endpoint);
/* Up to @max hosts without failures, freshest first (X-Try-Ultrapeers,
 * pongs). Returns an array of ShoalIpv4Endpoint. */
GArray         *shoal_host_cache_get_recent      (ShoalHostCache *self,
                                                  guint           max,
                                                  gboolean        ultrapeers_only);
gboolean        shoal_host_cache_lookup          (ShoalHostCache          *self,
                                                  const ShoalIpv4Endpoint *endpoint,
                                                  ShoalHostInfo           *info);
guint           shoal_host_cache_get_count       (ShoalHostCache *self);
/* Hosts refused by the dialable filter since the cache was made. */
guint           shoal_host_cache_get_refused     (ShoalHostCache *self);
gboolean        shoal_host_cache_get_loaded      (ShoalHostCache *self);
/* Hands the changes made since the last write to the cache's thread now,
 * instead of waiting for the timer. */
void            shoal_host_cache_flush           (ShoalHostCache *self);

G_END_DECLS
