/* shoal-gwebcache.h — asking a GWebCache for Gnutella hosts over plain
 * HTTP/1.1: the v2 request, v2 replies and the v1 fallback
 * (gnutella-0.6.md §11). */
#pragma once

#include <gio/gio.h>

#include "shoal-ipv4.h"

G_BEGIN_DECLS

/* A cache answers in well under this, or is not worth waiting for. */
#define SHOAL_GWEBCACHE_DEFAULT_TIMEOUT_MS 20000
/* A GWebCache reply lists a few dozen hosts in a few KiB; a longer body is
 * refused rather than read. */
#define SHOAL_GWEBCACHE_MAX_BODY_SIZE 65536
/* The GWebCache spec asks clients to follow redirects; more than a few
 * is a loop. */
#define SHOAL_GWEBCACHE_MAX_REDIRECTS 3
/* Cache URLs ("U|" lines) longer than this are skipped. */
#define SHOAL_GWEBCACHE_MAX_URL_LENGTH 512
/* "client=" in requests: our vendor code. */
#define SHOAL_GWEBCACHE_CLIENT "SHOL"

typedef struct
{
  GArray    *hosts;    /* ShoalIpv4Endpoint: "H|ip:port|…" and v1 "ip:port" lines */
  GPtrArray *caches;   /* other caches' http:// URLs, from "U|url|…" */
  guint      skipped;  /* lines that were none of these, nor "I|…" */
} ShoalGwebcacheReply;

void                 shoal_gwebcache_reply_free   (ShoalGwebcacheReply *reply);

/* Reads a reply body: lines end in LF, CR LF or CR; the type letter may be
 * either case. An "ERROR…" line is SHOAL_NET_ERROR_REFUSED holding it. */
ShoalGwebcacheReply *shoal_gwebcache_parse_reply  (const char  *body,
                                                   gsize        length,
                                                   GError     **error);

/* GET @url?get=1&net=gnutella&client=SHOL&version=<ours>, following up to
 * SHOAL_GWEBCACHE_MAX_REDIRECTS redirects (a Location without a query is
 * given our parameters; one with a query is taken as it is). Bodies may
 * be sized by Content-Length, chunked, or end with the connection. Errors
 * (SHOAL_NET_ERROR): a URL that is not http:// or a connection refused is
 * UNREACHABLE, a status other than 2xx or an ERROR line REFUSED, a body
 * over SHOAL_GWEBCACHE_MAX_BODY_SIZE TOO_LARGE, a broken reply PROTOCOL,
 * one cut short CLOSED, no whole reply in @timeout_ms (0: the default)
 * TIMEOUT. */
void                 shoal_gwebcache_query_async  (const char          *url,
                                                   guint                timeout_ms,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
ShoalGwebcacheReply *shoal_gwebcache_query_finish (GAsyncResult  *result,
                                                   GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalGwebcacheReply, shoal_gwebcache_reply_free)

G_END_DECLS
