/* shoal-upload.h — one upload as front ends see it: a GObject of read-only
 * properties that ShoalUploadServer keeps up to date. */
#pragma once

#include <glib-object.h>

#include "shoal-urn.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_UPLOAD (shoal_upload_get_type ())
G_DECLARE_FINAL_TYPE (ShoalUpload, shoal_upload, SHOAL, UPLOAD, GObject)

/* done, rate and the range change with every request; a front end
 * redraws at most this often per upload. */
#define SHOAL_UPLOAD_NOTIFY_INTERVAL_MS 250

/**
 * ShoalUploadState:
 * @SHOAL_UPLOAD_STATE_SENDING: a body is being sent
 * @SHOAL_UPLOAD_STATE_WAITING: every body asked for so far was sent; the
 *   connection is kept alive for the downloader's next range
 * @SHOAL_UPLOAD_STATE_DONE: the connection closed (or went on with
 *   another file) after every body was sent in full
 * @SHOAL_UPLOAD_STATE_FAILED: a body was cut short: the downloader went
 *   away, the connection timed out, or the server stopped
 * @SHOAL_UPLOAD_STATE_STOPPED: we closed its connection on purpose
 *   (shoal_upload_server_cancel()), whatever it was sending
 *
 * DONE, FAILED and STOPPED are final.
 */
typedef enum
{
  SHOAL_UPLOAD_STATE_SENDING,
  SHOAL_UPLOAD_STATE_WAITING,
  SHOAL_UPLOAD_STATE_DONE,
  SHOAL_UPLOAD_STATE_FAILED,
  SHOAL_UPLOAD_STATE_STOPPED,
} ShoalUploadState;

#define SHOAL_TYPE_UPLOAD_STATE (shoal_upload_state_get_type ())
GType shoal_upload_state_get_type (void) G_GNUC_CONST;

/* One upload is one connection's series of GETs of one file, as
 * gtk-gnutella shows them: a downloader fetching range after range over
 * keep-alive is one row, not one per range.
 *
 * Properties (all read-only, all notified; range-start, range-end, done
 * and rate at most once per SHOAL_UPLOAD_NOTIFY_INTERVAL_MS):
 * - id: what names the upload for as long as it is listed, never 0 and
 *   never another listed upload's (the server draws it at random, see
 *   shoal-upload-server.h); it never changes
 * - peer: the downloader's address, as text ("192.0.2.1", "2001:db8::1")
 * - name: the file's name (UTF-8)
 * - urn: "urn:sha1:BASE32"
 * - size: the file's size in bytes
 * - range-start, range-end: the bytes the latest request asked for, both
 *   inclusive (0 and size - 1 for the whole file)
 * - done: body bytes sent, over every request; libmicrohttpd sends files
 *   with sendfile() and tells nothing until a body is out, so it grows
 *   when each body has been sent in full (a body cut short adds nothing)
 * - rate: bytes per second, smoothed over a few seconds (so also in
 *   steps of whole bodies)
 * - state: a ShoalUploadState
 * - user-agent: what the downloader said it is, or NULL */
guint64           shoal_upload_get_id          (ShoalUpload *self);
const char       *shoal_upload_get_peer        (ShoalUpload *self);
const char       *shoal_upload_get_name        (ShoalUpload *self);
const char       *shoal_upload_get_urn         (ShoalUpload *self);
guint64           shoal_upload_get_size        (ShoalUpload *self);
guint64           shoal_upload_get_range_start (ShoalUpload *self);
guint64           shoal_upload_get_range_end   (ShoalUpload *self);
guint64           shoal_upload_get_done        (ShoalUpload *self);
guint64           shoal_upload_get_rate        (ShoalUpload *self);
ShoalUploadState  shoal_upload_get_state       (ShoalUpload *self);
const char       *shoal_upload_get_user_agent  (ShoalUpload *self);

/* The engine's side: only ShoalUploadServer calls these. --------------- */

/* Starts SENDING. @id is not 0. Names that are not UTF-8 are made so;
 * @user_agent may be NULL. Notifications go to the caller's
 * thread-default context. */
ShoalUpload      *shoal_upload_new             (guint64       id,
                                                const char   *peer,
                                                const char   *name,
                                                const guint8  sha1[SHOAL_SHA1_SIZE],
                                                guint64       size,
                                                const char   *user_agent);
/* Throttled: the values are readable at once, their notifications follow
 * within SHOAL_UPLOAD_NOTIFY_INTERVAL_MS. */
void              shoal_upload_set_progress    (ShoalUpload *self,
                                                guint64      range_start,
                                                guint64      range_end,
                                                guint64      done,
                                                guint64      rate);
/* Pending progress notifications go out first, so a front end sees the
 * last progress before the new state. */
void              shoal_upload_set_state       (ShoalUpload      *self,
                                                ShoalUploadState  state);

G_END_DECLS
