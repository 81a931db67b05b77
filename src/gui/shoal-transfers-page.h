/* shoal-transfers-page.h — the Transfers page: downloads and uploads with
 * progress, speed, ETA, sources, state and actions. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_TRANSFERS_PAGE (shoal_transfers_page_get_type ())
G_DECLARE_FINAL_TYPE (ShoalTransfersPage, shoal_transfers_page, SHOAL, TRANSFERS_PAGE, AdwBin)

GtkWidget *shoal_transfers_page_new (ShoalServent *servent);

G_END_DECLS
