/* shoal-transfers.h — the download manager: the queue restored from
 * downloads.db, the connections that fill each file from its sources, and
 * the check of every finished file against its SHA-1. */
#pragma once

#include <gio/gio.h>

#include "shoal-download.h"
#include "shoal-guid.h"
#include "shoal-ipv4.h"
#include "shoal-rate-limit.h"
#include "shoal-upload-server.h"

G_BEGIN_DECLS

/* The search layer's row type; declared here so this header does not
 * pull in the layer above. */
typedef struct _ShoalSearchResult ShoalSearchResult;

#define SHOAL_TYPE_TRANSFERS (shoal_transfers_get_type ())
G_DECLARE_FINAL_TYPE (ShoalTransfers, shoal_transfers, SHOAL, TRANSFERS, GObject)

/* Connections to different sources one download uses at once. */
#define SHOAL_TRANSFERS_SOURCES_PER_DOWNLOAD 4
/* Connections all downloads use at once. */
#define SHOAL_TRANSFERS_MAX_CONNECTIONS 16
/* Failed attempts in a row (no connection, 404, timeout, cut short) after
 * which a source is no longer tried; a range it serves whole clears them. */
#define SHOAL_TRANSFERS_MAX_SOURCE_FAILURES 3
/* After a failure a source waits this long times its failure count. */
#define SHOAL_TRANSFERS_FAILURE_BACKOFF_MS 1000
/* A 503 without Retry-After, and the longest Retry-After we obey. */
#define SHOAL_TRANSFERS_DEFAULT_RETRY_AFTER_S 60
#define SHOAL_TRANSFERS_MAX_RETRY_AFTER_S 3600
/* Written bytes are synced and the progress record saved when this much
 * was written, or this long after the last save, whichever comes first. */
#define SHOAL_TRANSFERS_SYNC_BYTES (4 * 1024 * 1024)
/* The most one request asks of a source (see claim_size()). */
#define SHOAL_TRANSFERS_MAX_CLAIM (4 * 1024 * 1024)
#define SHOAL_TRANSFERS_SYNC_INTERVAL_MS 1000
/* How often rates, retries and pending syncs are looked at. */
#define SHOAL_TRANSFERS_TICK_MS 250
/* Seconds over which the rate is smoothed. */
#define SHOAL_TRANSFERS_RATE_WINDOW_S 2
/* How long a GIV may take after we asked for a push; then the push
 * counts as a failure and is asked again. */
#define SHOAL_TRANSFERS_PUSH_TIMEOUT_MS 30000
/* After a SHA-1 mismatch: bytes re-fetched from other sources per sample
 * of a suspect's ranges, samples per suspect, and witnesses asked. */
#define SHOAL_TRANSFERS_SAMPLE_SIZE (64 * 1024)
#define SHOAL_TRANSFERS_SAMPLES_PER_SOURCE 4
#define SHOAL_TRANSFERS_WITNESSES 2
/* "name (1).ext" … "name (N).ext" are tried before giving up. */
#define SHOAL_TRANSFERS_MAX_NAME_SUFFIX 9999
/* Partial files live in <data_dir>/downloads/<BASE32>.part. */
#define SHOAL_TRANSFERS_PART_FOLDER "downloads"
#define SHOAL_TRANSFERS_PART_SUFFIX ".part"

#define SHOAL_TRANSFERS_ERROR (shoal_transfers_error_quark ())

/**
 * ShoalTransfersError:
 * @SHOAL_TRANSFERS_ERROR_INVALID: a URN, magnet or search result that
 *   names no SHA-1, or a name that is not UTF-8
 * @SHOAL_TRANSFERS_ERROR_NOT_FOUND: no download of this SHA-1, or a
 *   download that is not ours
 * @SHOAL_TRANSFERS_ERROR_STATE: the download cannot do that now (resume a
 *   completed one, retry a running one…)
 * @SHOAL_TRANSFERS_ERROR_IO: a folder or partial file could not be made
 * @SHOAL_TRANSFERS_ERROR_STORE: downloads.db failed; the message says why
 */
typedef enum
{
  SHOAL_TRANSFERS_ERROR_INVALID,
  SHOAL_TRANSFERS_ERROR_NOT_FOUND,
  SHOAL_TRANSFERS_ERROR_STATE,
  SHOAL_TRANSFERS_ERROR_IO,
  SHOAL_TRANSFERS_ERROR_STORE,
} ShoalTransfersError;

GQuark shoal_transfers_error_quark (void);

/* Whether @endpoint may be a source: FALSE keeps it out of every
 * download (see shoal_transfers_set_source_filter()). @push_needed: the
 * source is firewalled, so it is reached by a PUSH and connects to us;
 * its address is never dialled. An answer that follows live state is
 * asked again for the sources kept with
 * shoal_transfers_refilter_sources(). */
typedef gboolean (*ShoalTransfersSourceFilter) (const ShoalIpv4Endpoint *endpoint,
                                                gboolean                 push_needed,
                                                gpointer                 data);

/* Opens <data_dir>/downloads.db and restores every download in it: those
 * that were queued or running start again from their progress record
 * (bytes recorded as done are never fetched again) once the main loop
 * runs, so that a source filter set right after this call applies before
 * any source is dialled. Completed files go to @download_dir (created if
 * missing). Works on the caller's thread-default main context, which must
 * be the one it is used from. */
ShoalTransfers *shoal_transfers_new              (const char  *data_dir,
                                                  const char  *download_dir,
                                                  GError     **error);

/* Every download, oldest first: a GListModel of ShoalDownload (transfer
 * none). A cancelled download leaves it. */
GListModel     *shoal_transfers_get_downloads    (ShoalTransfers *self);
/* Running and recently finished uploads: a GListModel of ShoalUpload
 * (transfer none), the attached upload server's list (see
 * shoal_upload_server_get_uploads()), or an empty one while none is
 * attached. Also the "uploads" property, notified when a server is
 * attached or detached. */
GListModel     *shoal_transfers_get_uploads      (ShoalTransfers *self);
/* File bytes received from sources since the transfers started. */
guint64         shoal_transfers_get_bytes_downloaded (ShoalTransfers *self);
/* Whose uploads get_uploads() lists; NULL detaches. Only the list is
 * kept, not the server. */
void            shoal_transfers_set_upload_server (ShoalTransfers    *self,
                                                   ShoalUploadServer *server);
/* Every connection, open or opened later, reads its responses under
 * @limit (may be NULL: none; a reference is taken), all of them
 * together keeping to its rate, which may change at any time (see
 * shoal_http_fetch_set_rate_limit()). */
void            shoal_transfers_set_rate_limit   (ShoalTransfers *self,
                                                  ShoalRateLimit *limit);
/* The limit set, or NULL (transfer none). */
ShoalRateLimit *shoal_transfers_get_rate_limit   (ShoalTransfers *self);
/* Every source must pass @filter (NULL: every source passes): one it
 * refuses, from a magnet, a search hit, shoal_transfers_add_source() or
 * an answer's X-Alt, is dropped (never stored, dialled nor pushed) and
 * counted; one stored already (restored, or added before) is set aside
 * for as long as the filter refuses it: its connections close, and it
 * stays in the store for a run with another filter. @destroy frees @data
 * when the filter is replaced or the transfers go. May change at any
 * time. */
void            shoal_transfers_set_source_filter (ShoalTransfers             *self,
                                                   ShoalTransfersSourceFilter  filter,
                                                   gpointer                    data,
                                                   GDestroyNotify              destroy);
/* Asks the filter again about every source kept: for a filter whose
 * answers changed (the LAN peers it lets in came or went). */
void            shoal_transfers_refilter_sources  (ShoalTransfers *self);
/* Sources the filter refused since the transfers started: every offer
 * refused (the same X-Alt entry in two answers counts twice) and every
 * stored source set aside. */
guint64         shoal_transfers_get_refused_sources (ShoalTransfers *self);
/* The download of @sha1, or NULL (transfer none). */
ShoalDownload  *shoal_transfers_find             (ShoalTransfers *self,
                                                  const guint8    sha1[SHOAL_SHA1_SIZE]);

/* Adding a file. A SHA-1 already in the list (whatever its state, a
 * completed one too) is not an error: the existing download is returned
 * and the new sources join it. All return a new reference. */

/* @urn: "urn:sha1:…" (or a bitprint); @name: NULL for the base32 SHA-1;
 * @size: 0 when unknown (learnt from the first answer). No source: add
 * some with shoal_transfers_add_source(). */
ShoalDownload  *shoal_transfers_add_urn          (ShoalTransfers  *self,
                                                  const char      *urn,
                                                  const char      *name,
                                                  guint64          size,
                                                  GError         **error);
/* A magnet with an xt urn:sha1 (required); dn names it, xl sizes it; each
 * xs and as that is "http://a.b.c.d:port/…" (port 80 when absent) or
 * "a.b.c.d:port" (6346 when absent) becomes a source; other ones
 * (host names, push:// proxies) are ignored. */
ShoalDownload  *shoal_transfers_add_magnet       (ShoalTransfers  *self,
                                                  const char      *magnet,
                                                  GError         **error);
/* A new source of a download we have: a later search hit (@guid,
 * @file_index ≥ 0 and @push_needed as it said) or an alternate location
 * (@guid NULL, @file_index -1, not pushed). A host known already keeps
 * its failure count and ban. NOT_FOUND when no download has @sha1; a
 * source the filter refuses is no error: it is dropped and counted. */
gboolean        shoal_transfers_add_source       (ShoalTransfers           *self,
                                                  const guint8              sha1[SHOAL_SHA1_SIZE],
                                                  const ShoalIpv4Endpoint  *endpoint,
                                                  const ShoalGuid          *guid,
                                                  gint64                    file_index,
                                                  gboolean                  push_needed,
                                                  GError                  **error);

/* Closes the download's connections; what they wrote is synced and
 * recorded. Only from queued or running. */
gboolean        shoal_transfers_pause            (ShoalTransfers  *self,
                                                  ShoalDownload   *download,
                                                  GError         **error);
/* Back to queued; only from paused. */
gboolean        shoal_transfers_resume           (ShoalTransfers  *self,
                                                  ShoalDownload   *download,
                                                  GError         **error);
/* A failed download starts again: its sources are tried afresh (banned
 * ones stay banned); what it had done stays done. Only from failed. */
gboolean        shoal_transfers_retry            (ShoalTransfers  *self,
                                                  ShoalDownload   *download,
                                                  GError         **error);
/* Forgets the download in any state: it leaves the list and the store
 * and turns CANCELLED. With @delete_data its partial file is deleted;
 * without, <data_dir>/downloads/<BASE32>.part stays for the user to
 * rescue (adding the file again overwrites it). A completed file in the
 * download folder is never deleted. */
gboolean        shoal_transfers_cancel           (ShoalTransfers  *self,
                                                  ShoalDownload   *download,
                                                  gboolean         delete_data,
                                                  GError         **error);

/* Firewalled sources --------------------------------------------------------
 *
 * A source whose hit said push_needed cannot be dialled. For it the
 * download emits ShoalTransfers::push-needed (again every
 * SHOAL_TRANSFERS_PUSH_TIMEOUT_MS while no GIV comes); whoever routes
 * PUSH messages sends one. When the source connects back and says GIV,
 * the listener's handler passes the connection here. */

/* @stream: the connection, its "GIV …\n\n" already read; @servent_guid,
 * @file_index and @name as the GIV line told. Taken (TRUE, a reference is
 * kept) when a queued or running download has an idle source with that
 * servent GUID (the one whose hit gave @file_index, if several) and a
 * connection to spare; else FALSE and the caller closes it. */
gboolean        shoal_transfers_take_giv         (ShoalTransfers   *self,
                                                  GIOStream        *stream,
                                                  const ShoalGuid  *servent_guid,
                                                  guint32           file_index,
                                                  const char       *name);

G_END_DECLS
