/* shoal-download.h — one file being downloaded, as front ends see it: a
 * GObject of read-only properties that ShoalTransfers keeps up to date. */
#pragma once

#include <glib-object.h>

#include "shoal-urn.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_DOWNLOAD (shoal_download_get_type ())
G_DECLARE_FINAL_TYPE (ShoalDownload, shoal_download, SHOAL, DOWNLOAD, GObject)

/* done, rate and eta change with every chunk; a front end redraws at most
 * this often per download. */
#define SHOAL_DOWNLOAD_NOTIFY_INTERVAL_MS 250

/**
 * ShoalDownloadStatus:
 * @SHOAL_DOWNLOAD_STATUS_QUEUED: wanted, but no connection right now:
 *   waiting for a connection slot, a source's Retry-After, a GIV, or for
 *   sources at all
 * @SHOAL_DOWNLOAD_STATUS_RUNNING: at least one source is sending
 * @SHOAL_DOWNLOAD_STATUS_PAUSED: stopped by the user, resumable
 * @SHOAL_DOWNLOAD_STATUS_VERIFYING: every byte is in; the SHA-1 is being
 *   checked (or, after a mismatch, the lying source looked for)
 * @SHOAL_DOWNLOAD_STATUS_COMPLETED: verified and moved to the download
 *   folder (see the path property)
 * @SHOAL_DOWNLOAD_STATUS_FAILED: given up; the error property says why
 * @SHOAL_DOWNLOAD_STATUS_CANCELLED: removed by the user; the object is no
 *   longer in ShoalTransfers' list
 *
 * The store keeps all of these but CANCELLED (a cancelled download is
 * deleted from it); QUEUED and RUNNING are both restored as QUEUED.
 */
typedef enum
{
  SHOAL_DOWNLOAD_STATUS_QUEUED,
  SHOAL_DOWNLOAD_STATUS_RUNNING,
  SHOAL_DOWNLOAD_STATUS_PAUSED,
  SHOAL_DOWNLOAD_STATUS_VERIFYING,
  SHOAL_DOWNLOAD_STATUS_COMPLETED,
  SHOAL_DOWNLOAD_STATUS_FAILED,
  SHOAL_DOWNLOAD_STATUS_CANCELLED,
} ShoalDownloadStatus;

#define SHOAL_TYPE_DOWNLOAD_STATUS (shoal_download_status_get_type ())
GType shoal_download_status_get_type (void) G_GNUC_CONST;

/* Properties (all read-only, all notified; done, rate and eta at most
 * once per SHOAL_DOWNLOAD_NOTIFY_INTERVAL_MS):
 * - name: the file name it will get (UTF-8)
 * - size: bytes, 0 while unknown (a magnet without xl)
 * - urn: "urn:sha1:BASE32"
 * - state: a ShoalDownloadStatus
 * - done: bytes written and synced to disk (what survives a crash)
 * - rate: bytes per second received, smoothed over a few seconds
 * - sources: sources still worth trying (not banned, not given up)
 * - eta: seconds to completion at the current rate, -1 when unknown
 * - error: why it failed, or NULL
 * - path: where the verified file is, once completed (NULL before, and
 *   for a download completed before a restart: the store keeps no path) */
const char          *shoal_download_get_name    (ShoalDownload *self);
guint64              shoal_download_get_size    (ShoalDownload *self);
const char          *shoal_download_get_urn     (ShoalDownload *self);
void                 shoal_download_get_sha1    (ShoalDownload *self,
                                                 guint8         sha1[SHOAL_SHA1_SIZE]);
ShoalDownloadStatus  shoal_download_get_state   (ShoalDownload *self);
guint64              shoal_download_get_done    (ShoalDownload *self);
guint64              shoal_download_get_rate    (ShoalDownload *self);
guint                shoal_download_get_sources (ShoalDownload *self);
gint64               shoal_download_get_eta     (ShoalDownload *self);
const char          *shoal_download_get_error   (ShoalDownload *self);
const char          *shoal_download_get_path    (ShoalDownload *self);

/* The engine's side: only ShoalTransfers calls these. ------------------ */

ShoalDownload       *shoal_download_new         (const guint8  sha1[SHOAL_SHA1_SIZE],
                                                 const char   *name,
                                                 guint64       size);
void                 shoal_download_set_size    (ShoalDownload *self,
                                                 guint64        size);
/* @error: NULL unless @state is FAILED. Pending done/rate/eta
 * notifications go out first, so a front end sees the last progress
 * before the new state. */
void                 shoal_download_set_state   (ShoalDownload       *self,
                                                 ShoalDownloadStatus  state,
                                                 const char          *error);
/* Throttled: the values are readable at once, their notifications follow
 * within SHOAL_DOWNLOAD_NOTIFY_INTERVAL_MS. */
void                 shoal_download_set_progress (ShoalDownload *self,
                                                  guint64        done,
                                                  guint64        rate,
                                                  gint64         eta);
void                 shoal_download_set_sources (ShoalDownload *self,
                                                 guint          sources);
void                 shoal_download_set_path    (ShoalDownload *self,
                                                 const char    *path);

G_END_DECLS
