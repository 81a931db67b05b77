/* shoal-link-row.h — one link in the Network page: the peer's address,
 * what software it runs, its role, whether it is on the LAN, how long it
 * has been up and the traffic it carried. */
#pragma once

#include <adwaita.h>

#include "shoal-node-manager.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_LINK_ROW (shoal_link_row_get_type ())
G_DECLARE_FINAL_TYPE (ShoalLinkRow, shoal_link_row, SHOAL, LINK_ROW, AdwActionRow)

GtkWidget   *shoal_link_row_new         (const ShoalPeerInfo *info);
guint64      shoal_link_row_get_id      (ShoalLinkRow *self);
ShoalPeerRole shoal_link_row_get_role   (ShoalLinkRow *self);
/* "a.b.c.d:port": where the peer accepts connections when it said so,
 * else where it is connected from. */
const char  *shoal_link_row_get_address (ShoalLinkRow *self);
/* Shows the uptime at @now_usec (monotonic) and the link's counters. */
void         shoal_link_row_update      (ShoalLinkRow         *self,
                                         const ShoalLinkStats *stats,
                                         gint64                now_usec);

G_END_DECLS
