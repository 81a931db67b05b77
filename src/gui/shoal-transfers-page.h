/* shoal-transfers-page.h — the Transfers page: downloads and uploads with
 * progress, speed, ETA, sources, state and actions. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_TRANSFERS_PAGE (shoal_transfers_page_get_type ())
G_DECLARE_FINAL_TYPE (ShoalTransfersPage, shoal_transfers_page, SHOAL, TRANSFERS_PAGE, AdwBin)

/* The "Download complete" notification, sent while the window is not the
 * active one, goes back to the application's actions: clicking it shows
 * the Transfers page; its Open button opens the file, whose path is the
 * target, a bytestring. */
#define SHOAL_TRANSFERS_PAGE_NOTIFICATION_ACTION "app.show-transfers"
#define SHOAL_TRANSFERS_PAGE_NOTIFICATION_OPEN_ACTION "app.open-download"

GtkWidget *shoal_transfers_page_new (ShoalServent *servent);

G_END_DECLS
