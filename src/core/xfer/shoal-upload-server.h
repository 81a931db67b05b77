/* shoal-upload-server.h — the HTTP server peers download our shared files
 * from, and browse our library through (protocol reference §10), on
 * libmicrohttpd behind the shared listener. */
#pragma once

#include <gio/gio.h>

#include "shoal-hit-builder.h"
#include "shoal-ipv4.h"
#include "shoal-rate-limit.h"
#include "shoal-upload.h"

G_BEGIN_DECLS

/* What is served, and how it departs from gtk-gnutella:
 * - GET and HEAD of /uri-res/N2R?urn:sha1:<base32> and /get/<index>/<name>
 *   (the name must be the file's own, else 404 "File Index/Name
 *   Mismatch"); only files of the index, never a path from the request,
 *   and only when what stands at the file's path is still what was hashed
 *   (else 404). Files not hashed yet get 503.
 * - A Range is served whole, however long: gtk-gnutella cuts every answer
 *   to 512 KiB, even without a Range (206), which downloaders handle, but
 *   nothing requires it. No Range is 200 with the whole file; several
 *   ranges serve the first satisfiable one (see shoal-http-range.h).
 * - GET / is browse host: query hits for Accept:
 *   application/x-gnutella-packets, a small HTML page otherwise; 403 when
 *   the browse-host property is FALSE. */

#define SHOAL_TYPE_UPLOAD_SERVER (shoal_upload_server_get_type ())
G_DECLARE_FINAL_TYPE (ShoalUploadServer, shoal_upload_server, SHOAL, UPLOAD_SERVER, GObject)

/* gtk-gnutella's defaults: four uploads at once, one per address. An
 * upload slot is taken by a GET of a file or of the browse listing (HEAD
 * and errors take none) and stays with its connection until it closes:
 * a downloader fetching range after range over keep-alive keeps its
 * slot between requests. A request that finds none free gets 503 with
 * Retry-After. */
#define SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS 4
#define SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS_PER_IP 1
/* Connections libmicrohttpd holds at once, in all and per address; more
 * are refused when handed over (the listener then answers 503). */
#define SHOAL_UPLOAD_SERVER_DEFAULT_MAX_CONNECTIONS 256
#define SHOAL_UPLOAD_SERVER_DEFAULT_MAX_CONNECTIONS_PER_IP 8
/* Seconds a connection may stay without progress, like gtk-gnutella's
 * upload idle timeout. */
#define SHOAL_UPLOAD_SERVER_DEFAULT_CONNECTION_TIMEOUT 60
/* Retry-After of every 503. */
#define SHOAL_UPLOAD_SERVER_RETRY_AFTER_SECONDS 60
/* Memory for one connection's request and response headers: a request
 * whose headers do not fit is refused by libmicrohttpd (431 or 414). */
#define SHOAL_UPLOAD_SERVER_CONNECTION_MEMORY (16 * 1024)
/* Alternate sources named in X-Alt per answer, and kept per file. */
#define SHOAL_UPLOAD_SERVER_MAX_ALT_LOCATIONS 10
/* Files whose alternate sources are kept at most; more are not recorded. */
#define SHOAL_UPLOAD_SERVER_MAX_ALT_FILES 65536
/* Finished uploads kept in the uploads list, the most recent ones; older
 * ones drop off. */
#define SHOAL_UPLOAD_SERVER_KEEP_FINISHED 20
/* How often the progress of running uploads is read, and the seconds
 * over which their rates are smoothed. */
#define SHOAL_UPLOAD_SERVER_TICK_MS 250
#define SHOAL_UPLOAD_SERVER_RATE_WINDOW_S 2

/* Counts since the server was created; a snapshot, consistent as a whole. */
typedef struct
{
  guint64 requests;       /* every request the handler saw */
  guint64 bytes_served;   /* body bytes of file answers sent in full, and
                           * of browse-host streams as produced */
  guint64 refused;        /* 503: no slot, library or hash not ready;
                           * and connections refused by take() */
  guint64 bad_requests;   /* 400 */
  guint64 not_found;      /* 404 */
  guint64 range_errors;   /* 416 */
  guint   uploads;        /* upload slots held right now */
  guint   connections;    /* connections libmicrohttpd holds right now */
} ShoalUploadStats;

/* @data_dir holds the library's library.db, as for shoal_library_new()
 * (NULL: $XDG_DATA_HOME/shoal). The server only reads it. */
ShoalUploadServer *shoal_upload_server_new         (const char *data_dir);

/* start, stop, take and the uploads list belong to the thread that made
 * the server (the main loop's); requests are served on libmicrohttpd's
 * own thread, which reads the library's database through a read-only
 * connection of its own.
 *
 * Starts libmicrohttpd's thread; the connection limits and timeout are
 * read now. */
gboolean           shoal_upload_server_start       (ShoalUploadServer  *self,
                                                    GError            **error);
/* Closes every connection and waits for libmicrohttpd's thread to end. */
void               shoal_upload_server_stop        (ShoalUploadServer *self);
gboolean           shoal_upload_server_get_running (ShoalUploadServer *self);

/* Takes @connection, as the listener's ::http-request hands it over: its
 * descriptor is duplicated for libmicrohttpd, which reads the request
 * from the start; the caller drops @connection as usual, which closes
 * only its own descriptor. The peer's address is the connection's own
 * (IPv6 included). FALSE when the server is stopped or libmicrohttpd
 * refuses the connection (limits above): the caller answers 503. */
gboolean           shoal_upload_server_take        (ShoalUploadServer *self,
                                                    GSocketConnection *connection);

/* Who we are in the query hits browse-host answers with; the server has a
 * random servent GUID and no address until told. Any thread. */
void               shoal_upload_server_set_hit_self (ShoalUploadServer  *self,
                                                     const ShoalHitSelf *hit_self);

/* Other sources of the file with this SHA-1, named in X-Alt (newest
 * first, at most SHOAL_UPLOAD_SERVER_MAX_ALT_LOCATIONS kept per file, the
 * oldest dropped). Any thread. */
void               shoal_upload_server_add_alt_location    (ShoalUploadServer       *self,
                                                            const guint8             sha1[20],
                                                            const ShoalIpv4Endpoint *endpoint);
void               shoal_upload_server_remove_alt_location (ShoalUploadServer       *self,
                                                            const guint8             sha1[20],
                                                            const ShoalIpv4Endpoint *endpoint);

void               shoal_upload_server_get_stats   (ShoalUploadServer *self,
                                                    ShoalUploadStats  *stats);

/* File bodies take their bytes from @limit (may be NULL: none; a
 * reference is taken), shared with whatever else uses it; changing its
 * rate applies at once. A body answered while the limit has a rate is
 * read at its pace, its connection suspended while it waits for tokens
 * (a timer on a thread of the server's resumes it); without a rate,
 * bodies go out with sendfile(), and keep doing so until their request
 * ends even if a rate is set meanwhile. Browse-host streams are not
 * capped. Any thread. */
void               shoal_upload_server_set_rate_limit (ShoalUploadServer *self,
                                                       ShoalRateLimit    *limit);
/* The limit set, or NULL (transfer none). */
ShoalRateLimit    *shoal_upload_server_get_rate_limit (ShoalUploadServer *self);

/* Uploads --------------------------------------------------------------------
 *
 * Every GET of a file body (not HEAD, not browse host, not an empty
 * body) belongs to a ShoalUpload: one per connection and file, so a
 * downloader fetching range after range over keep-alive is one upload
 * (see shoal-upload.h). libmicrohttpd's thread only posts to the
 * thread-default main context of the thread that called
 * shoal_upload_server_new(); the ShoalUploads, the list and the signals
 * live there:
 * - ::upload-started (ShoalUpload *upload): it was added to the list;
 * - ::upload-finished (ShoalUpload *upload): it is DONE or FAILED, which
 *   it becomes when its connection closes (or asks for another file);
 *   stopping the server finishes every upload before it returns; or
 *   STOPPED, at once, by shoal_upload_server_cancel().
 * Each upload's id (shoal_upload_get_id()) is 64 random bits, drawn
 * again when 0 or another listed upload's, so that the start of it
 * names it as the start of a SHA-1 names a download.
 * Progress is read every SHOAL_UPLOAD_SERVER_TICK_MS while an upload
 * runs. A ShoalUpload's throttled notifications go to the thread-default
 * context when it is made, which is that context as long as its loop
 * runs it as the default (g_main_context_push_thread_default()).
 * The cost on libmicrohttpd's thread: one allocation and one post when
 * an upload starts, one post when it ends, a lock per request. */

/* Running uploads and the SHOAL_UPLOAD_SERVER_KEEP_FINISHED most recent
 * finished ones, in the order they started: a GListModel of ShoalUpload
 * (transfer none), for as long as the server lives. */
GListModel        *shoal_upload_server_get_uploads (ShoalUploadServer *self);

/* On the thread that made the server, as the list.
 *
 * Stops @upload, one of the list's SENDING or WAITING ones: its
 * connection is shut down (libmicrohttpd closes it a moment later, which
 * frees its slot) and, before this returns, @upload turns STOPPED and
 * ::upload-finished is emitted. Its done stays at the bodies sent in
 * full. FALSE, and nothing done, when @upload is not running on this
 * server (finished already, or another server's). Nothing keeps the
 * downloader from asking again: that is a new upload. */
gboolean           shoal_upload_server_cancel      (ShoalUploadServer *self,
                                                    ShoalUpload       *upload);

G_END_DECLS
