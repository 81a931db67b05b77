/* shoal-network-page.h — the Network page: our role and why, the links,
 * hosts known, messages routed, connect by hand, a live traffic graph. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_NETWORK_PAGE (shoal_network_page_get_type ())
G_DECLARE_FINAL_TYPE (ShoalNetworkPage, shoal_network_page, SHOAL, NETWORK_PAGE, AdwBin)

/* How often counters, uptimes and the traffic graph are refreshed. */
#define SHOAL_NETWORK_PAGE_REFRESH_MS 1000
/* Without any link this long, "Connecting…" gives way to "No
 * connection" and a hint to connect by hand. */
#define SHOAL_NETWORK_PAGE_DEFAULT_OFFLINE_DELAY_S 20
/* Linked this long without anybody reaching us: the port is taken to be
 * closed (before, we may still be waiting for a connect-back). */
#define SHOAL_NETWORK_PAGE_REACHABILITY_GRACE_S 15

GtkWidget *shoal_network_page_new               (ShoalServent *servent);
/* How long "Connecting…" shows before "No connection" (tests shorten it). */
void       shoal_network_page_set_offline_delay (ShoalNetworkPage *self,
                                                 guint             seconds);

G_END_DECLS
