/* shoal-udp-host-cache.h — asking a UDP host cache (UHC) for Gnutella
 * hosts: a ping with GGEP "SCP" goes out, a pong with packed hosts
 * ("IPP") comes back (gnutella-0.6.md §11). */
#pragma once

#include <gio/gio.h>

#include "shoal-ipv4.h"

G_BEGIN_DECLS

/* gtk-gnutella's UHC_TIMEOUT (src/core/uhc.c). */
#define SHOAL_UDP_HOST_CACHE_DEFAULT_TIMEOUT_MS 20000
/* A "PHC" line without a port names a servent on the Gnutella default. */
#define SHOAL_UDP_HOST_CACHE_DEFAULT_PORT 6346
/* Host caches kept from one "PHC": more than a bootstrap ever contacts. */
#define SHOAL_UDP_HOST_CACHE_MAX_PHC_ENTRIES 32
/* RFC 1035's limit on a host name. */
#define SHOAL_UDP_HOST_CACHE_MAX_NAME_LENGTH 253

/* What one cache answered. */
typedef struct
{
  ShoalIpv4Endpoint  cache;                   /* where the ping went */
  ShoalIpv4Endpoint  responder;               /* the pong's own address */
  gboolean           responder_is_ultrapeer;  /* the pong carried "UP" */
  GArray            *hosts;                   /* ShoalIpv4Endpoint from "IPP" */
  GPtrArray         *udp_host_caches;         /* "host:port" from "PHC" */
} ShoalUdpHostCacheReply;

void     shoal_udp_host_cache_reply_free (ShoalUdpHostCacheReply *reply);

/* Splits "host:port" (a name or an IPv4 address, a port 1–65535).
 * Anything else is SHOAL_NET_ERROR_UNREACHABLE. */
gboolean shoal_udp_host_cache_parse_address (const char  *address,
                                             char       **host,
                                             guint16     *port,
                                             GError     **error);

/* Resolves @address ("host:port") asynchronously, sends it one ping (TTL
 * 1, hops 0, a fresh modern GUID, GGEP "SCP" asking for ultrapeers) and
 * completes with the first pong bearing that GUID, from any sender, as
 * gtk-gnutella matches them. Other datagrams are ignored, except garbage
 * from the cache's own address, which is a PROTOCOL error. No answer in
 * @timeout_ms (0: the default) is TIMEOUT.
 *
 * @socket, when given, is the caller's bound IPv4 UDP socket (the
 * servent's own port): it should be non-blocking, and the caller must not
 * read from it until the query completes. NULL makes a private socket. */
void     shoal_udp_host_cache_query_async  (const char          *address,
                                            GSocket             *socket,
                                            guint                timeout_ms,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
ShoalUdpHostCacheReply *
         shoal_udp_host_cache_query_finish (GAsyncResult  *result,
                                            GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalUdpHostCacheReply, shoal_udp_host_cache_reply_free)

G_END_DECLS
