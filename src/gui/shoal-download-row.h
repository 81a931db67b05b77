/* shoal-download-row.h — one download in the Transfers page: its name,
 * progress, speed, time left, sources and state in words, and the actions
 * that fit its state (pause, resume, retry, cancel, open). */
#pragma once

#include <adwaita.h>

#include "shoal-transfers.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_DOWNLOAD_ROW (shoal_download_row_get_type ())
G_DECLARE_FINAL_TYPE (ShoalDownloadRow, shoal_download_row, SHOAL, DOWNLOAD_ROW, GtkListBoxRow)

/* Actions of the row, each on a button of it (the "download." group). */
#define SHOAL_DOWNLOAD_ROW_ACTION_PAUSE "download.pause"
#define SHOAL_DOWNLOAD_ROW_ACTION_RESUME "download.resume"
#define SHOAL_DOWNLOAD_ROW_ACTION_RETRY "download.retry"
#define SHOAL_DOWNLOAD_ROW_ACTION_CANCEL "download.cancel"
#define SHOAL_DOWNLOAD_ROW_ACTION_OPEN "download.open"
#define SHOAL_DOWNLOAD_ROW_ACTION_OPEN_FOLDER "download.open-folder"
/* The responses of the dialog asking whether to cancel. */
#define SHOAL_DOWNLOAD_ROW_RESPONSE_KEEP "keep"
#define SHOAL_DOWNLOAD_ROW_RESPONSE_CANCEL "cancel-download"

/* Signals:
 *   ::completed (): the download was verified and moved to the download
 *     folder while this row showed it (not for one restored completed). */
GtkWidget     *shoal_download_row_new            (ShoalTransfers *transfers,
                                                  ShoalDownload  *download);
ShoalDownload *shoal_download_row_get_download   (ShoalDownloadRow *self);
/* What the row says of the state now ("Waiting for a source", "Done"…). */
const char    *shoal_download_row_get_state_text (ShoalDownloadRow *self);

/* A download's state as a person reads it (transfer full). */
char          *shoal_download_describe_state     (ShoalDownload *download);

G_END_DECLS
