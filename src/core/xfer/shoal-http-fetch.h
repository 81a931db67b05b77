/* shoal-http-fetch.h — the downloading side of HTTP/1.1: ranges of one
 * file fetched from one source, one request after another on one kept-alive
 * connection (gnutella-0.6.md §10). */
#pragma once

#include <gio/gio.h>

#include "shoal-handshake.h"
#include "shoal-ipv4.h"
#include "shoal-rate-limit.h"
#include "shoal-urn.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_HTTP_FETCH (shoal_http_fetch_get_type ())
G_DECLARE_FINAL_TYPE (ShoalHttpFetch, shoal_http_fetch, SHOAL, HTTP_FETCH, GObject)

/* Dialling a source that does not answer within this is given up. */
#define SHOAL_HTTP_FETCH_DEFAULT_CONNECT_TIMEOUT_MS 10000
/* A source silent this long while a request is in flight is dead
 * (gtk-gnutella's download_connected_timeout is 60 s as well). */
#define SHOAL_HTTP_FETCH_DEFAULT_IDLE_TIMEOUT_MS 60000
/* The largest response head we read, as the handshake codec allows. */
#define SHOAL_HTTP_FETCH_MAX_HEAD_SIZE SHOAL_HEADER_MAX_BLOCK_SIZE
/* Alternate sources kept from one response (X-Alt and alt-locations); the
 * rest are dropped. gtk-gnutella sends about fifteen. */
#define SHOAL_HTTP_FETCH_MAX_ALT_LOCATIONS 64
/* Alternate sources we tell the uploader about in one request's X-Alt:
 * they fit in one header line. */
#define SHOAL_HTTP_FETCH_MAX_SENT_ALT_LOCATIONS 32
/* An error response's body (a 503 page) up to this size is read and
 * dropped so the connection can carry the next request; a longer one
 * closes the connection instead. */
#define SHOAL_HTTP_FETCH_MAX_DISCARDED_BODY 65536
/* X-Alt entries without a port mean the Gnutella default. */
#define SHOAL_HTTP_FETCH_DEFAULT_GNUTELLA_PORT 6346

#define SHOAL_HTTP_FETCH_ERROR (shoal_http_fetch_error_quark ())

/**
 * ShoalHttpFetchError:
 * @SHOAL_HTTP_FETCH_ERROR_CONNECT: the source could not be reached
 * @SHOAL_HTTP_FETCH_ERROR_TIMEOUT: connecting, or waiting for the source
 *   while a request was in flight, took too long
 * @SHOAL_HTTP_FETCH_ERROR_BUSY: 503 or 429: try again later (see
 *   ShoalHttpFetchResult.retry_after_s and .queue_position)
 * @SHOAL_HTTP_FETCH_ERROR_NOT_FOUND: 404 or 410: the source lacks the file
 * @SHOAL_HTTP_FETCH_ERROR_RANGE: 416, or a 206 for bytes we did not ask for
 * @SHOAL_HTTP_FETCH_ERROR_WRONG_FILE: the source names another SHA-1 in
 *   X-Gnutella-Content-URN, or another file size: it lies or has another
 *   file; nothing of its body was written
 * @SHOAL_HTTP_FETCH_ERROR_PROTOCOL: a response that is not HTTP we read: a
 *   head over SHOAL_HTTP_FETCH_MAX_HEAD_SIZE, malformed headers, a
 *   chunked or encoded body, a missing length
 * @SHOAL_HTTP_FETCH_ERROR_IO: writing into the file failed
 * @SHOAL_HTTP_FETCH_ERROR_CLOSED: the connection ended before the whole
 *   response arrived, or this fetch object was closed
 * @SHOAL_HTTP_FETCH_ERROR_REFUSED: any other status (400, 403, 500…); the
 *   message holds it
 */
typedef enum
{
  SHOAL_HTTP_FETCH_ERROR_CONNECT,
  SHOAL_HTTP_FETCH_ERROR_TIMEOUT,
  SHOAL_HTTP_FETCH_ERROR_BUSY,
  SHOAL_HTTP_FETCH_ERROR_NOT_FOUND,
  SHOAL_HTTP_FETCH_ERROR_RANGE,
  SHOAL_HTTP_FETCH_ERROR_WRONG_FILE,
  SHOAL_HTTP_FETCH_ERROR_PROTOCOL,
  SHOAL_HTTP_FETCH_ERROR_IO,
  SHOAL_HTTP_FETCH_ERROR_CLOSED,
  SHOAL_HTTP_FETCH_ERROR_REFUSED,
} ShoalHttpFetchError;

GQuark shoal_http_fetch_error_quark (void);

/**
 * ShoalHttpFetchRequest:
 * @sha1: (nullable): the file's SHA-1 (SHOAL_SHA1_SIZE bytes): asks
 *   `/uri-res/N2R?urn:sha1:…` and makes any X-Gnutella-Content-URN naming
 *   another SHA-1 a WRONG_FILE
 * @file_index: without @sha1, the legacy `/get/<index>/<name>` request
 * @file_name: without @sha1, the name for it (URL-escaped by us)
 * @start: the first byte wanted
 * @end: the last byte wanted, inclusive
 * @file_size: the whole file's size, 0 when unknown; a source stating
 *   another size gets WRONG_FILE
 * @alt_locations: (nullable): other sources of the file, of
 *   @n_alt_locations ShoalIpv4Endpoint, sent in X-Alt
 * @n_alt_locations: how many; at most SHOAL_HTTP_FETCH_MAX_SENT_ALT_LOCATIONS
 *   are sent
 *
 * One range to fetch; borrowed during the call only.
 */
typedef struct
{
  const guint8            *sha1;
  guint32                  file_index;
  const char              *file_name;
  guint64                  start;
  guint64                  end;
  guint64                  file_size;
  const ShoalIpv4Endpoint *alt_locations;
  guint                    n_alt_locations;
} ShoalHttpFetchRequest;

/**
 * ShoalHttpFetchResult:
 * @status: the response's status code, 0 when none arrived
 * @reason: (nullable): its reason phrase
 * @written_start: where the bytes written into the file start
 * @written_length: how many were written there, 0 for none. A 206 may
 *   cover less than asked (gtk-gnutella sends at most 512 KiB); a 200 is
 *   the whole file, written from offset 0. After an error, the bytes that
 *   arrived before it.
 * @file_size: the whole file's size as the source states it (Content-Range
 *   total, a 200's length), 0 when it did not
 * @has_content_sha1: the source sent X-Gnutella-Content-URN with a SHA-1
 * @content_sha1: that SHA-1
 * @retry_after_s: Retry-After in seconds, 0 when absent
 * @queue_position: the position in X-Queued (PARQ), 0 when absent
 * @alt_locations: other sources from X-Alt, X-Gnutella-Alternate-Location
 *   and Alt-Location, of ShoalIpv4Endpoint, without duplicates, at most
 *   SHOAL_HTTP_FETCH_MAX_ALT_LOCATIONS; maybe empty, never NULL once
 *   filled in
 * @server: (nullable): the Server header (else User-Agent)
 * @keep_alive: the connection may carry another request
 *
 * What one fetch learnt; filled in on success and on failure alike.
 * Release with shoal_http_fetch_result_clear().
 */
typedef struct
{
  guint16   status;
  char     *reason;
  guint64   written_start;
  guint64   written_length;
  guint64   file_size;
  gboolean  has_content_sha1;
  guint8    content_sha1[SHOAL_SHA1_SIZE];
  guint     retry_after_s;
  guint     queue_position;
  GArray   *alt_locations;
  char     *server;
  gboolean  keep_alive;
} ShoalHttpFetchResult;

void shoal_http_fetch_result_clear (ShoalHttpFetchResult *result);

/* Called after every write into the file: bytes @start to @start +
 * @written - 1 are there, out of @expected the response carries. */
typedef void (*ShoalHttpFetchProgress) (ShoalHttpFetch *fetch,
                                        guint64         start,
                                        guint64         written,
                                        guint64         expected,
                                        gpointer        user_data);

/* Dials @source at the first fetch. */
ShoalHttpFetch *shoal_http_fetch_new_for_endpoint (const ShoalIpv4Endpoint *source);
/* Fetches over @stream, already connected: a firewalled uploader's GIV
 * connection, its "GIV …\n\n" line already read. @source (may be NULL) is
 * the uploader's address for the Host header; without it the socket's
 * peer address is used. Takes a reference on @stream; dropping the fetch
 * object's last reference closes it. */
ShoalHttpFetch *shoal_http_fetch_new_for_stream   (GIOStream               *stream,
                                                   const ShoalIpv4Endpoint *source);

/* Requests @request's range and writes the body into @fd at its offset in
 * the file (pwrite(), the file position untouched), calling @progress (may
 * be NULL) as it goes. One fetch at a time (else G_IO_ERROR_PENDING). The
 * work runs on the caller's thread-default main context; @fd and
 * @progress_data must stay valid until @callback. */
void     shoal_http_fetch_fetch_range_async  (ShoalHttpFetch              *self,
                                              const ShoalHttpFetchRequest *request,
                                              int                          fd,
                                              GCancellable                *cancellable,
                                              ShoalHttpFetchProgress       progress,
                                              gpointer                     progress_data,
                                              GAsyncReadyCallback          callback,
                                              gpointer                     user_data);
/* Errors: SHOAL_HTTP_FETCH_ERROR, or G_IO_ERROR_CANCELLED. @out (may be
 * NULL) receives what was learnt either way; the caller clears it. After
 * a failure the connection is closed unless the response was a whole
 * error (BUSY, NOT_FOUND, RANGE, REFUSED) on a kept-alive connection. */
gboolean shoal_http_fetch_fetch_range_finish (ShoalHttpFetch        *self,
                                              GAsyncResult          *result,
                                              ShoalHttpFetchResult  *out,
                                              GError               **error);

/* Every read of the responses (heads, bodies, error pages) takes its
 * bytes from @limit (may be NULL: none), shared with other fetches so
 * that all of them together keep to its rate; out of tokens, reading
 * pauses on a timer (the idle timeout stops meanwhile). Takes a
 * reference. At any time: the next read takes from the new limit. */
void     shoal_http_fetch_set_rate_limit     (ShoalHttpFetch *self,
                                              ShoalRateLimit *limit);

/* Whether another fetch may be started: no fetch in flight and the
 * connection (or the one still to dial) is usable. */
gboolean shoal_http_fetch_get_reusable       (ShoalHttpFetch *self);

/* Closes the connection; later fetches fail with CLOSED. While a fetch is
 * in flight it fails with G_IO_ERROR_PENDING: cancel the fetch first. */
void     shoal_http_fetch_close_async        (ShoalHttpFetch      *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean shoal_http_fetch_close_finish       (ShoalHttpFetch  *self,
                                              GAsyncResult    *result,
                                              GError         **error);

/* Appends the IPv4 sources an X-Alt value names ("1.2.3.4:6346, 5.6.7.8",
 * no port meaning 6346) to @alt_locations (of ShoalIpv4Endpoint), skipping
 * duplicates, tls= and IPv6 items. For either side of a transfer. */
void     shoal_http_parse_x_alt (const char *value,
                                 GArray     *alt_locations);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ShoalHttpFetchResult, shoal_http_fetch_result_clear)

G_END_DECLS
