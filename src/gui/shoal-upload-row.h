/* shoal-upload-row.h — one upload in the Transfers page: the file, who
 * fetches it, progress, speed and state in words, and a button that
 * stops it while it runs. */
#pragma once

#include <adwaita.h>

#include "shoal-upload-server.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_UPLOAD_ROW (shoal_upload_row_get_type ())
G_DECLARE_FINAL_TYPE (ShoalUploadRow, shoal_upload_row, SHOAL, UPLOAD_ROW, GtkListBoxRow)

/* The row's action, on its stop button (the "upload." group): enabled
 * while the upload is sending or waiting. */
#define SHOAL_UPLOAD_ROW_ACTION_STOP "upload.stop"

/* @server: whose upload it is, which stops it; NULL: no stop button. */
GtkWidget   *shoal_upload_row_new            (ShoalUploadServer *server,
                                              ShoalUpload       *upload);
ShoalUpload *shoal_upload_row_get_upload     (ShoalUploadRow *self);
/* What the row says of the state now ("Sending to 192.0.2.1"…). */
const char  *shoal_upload_row_get_state_text (ShoalUploadRow *self);

G_END_DECLS
