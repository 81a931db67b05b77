/* shoal-route-table.h — where replies go back to: the messages seen
 * recently, by (GUID, type), with the link each came from and the highest
 * TTL it had; and the servent GUIDs seen in query hits, for pushes
 * (gnutella-0.6.md §3.3). Pure logic: the caller passes the time. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"

G_BEGIN_DECLS

/* How long a route is remembered. gtk-gnutella keeps routes for about
 * ten minutes (routing.c); hits later than that find no way back. */
#define SHOAL_ROUTE_TABLE_DEFAULT_WINDOW_USEC (600 * G_USEC_PER_SEC)
/* Routes kept at most: what a busy ultrapeer sees in a window, about
 * 100 bytes each. The oldest generation goes first when full. */
#define SHOAL_ROUTE_TABLE_DEFAULT_CAPACITY 262144
/* Link id meaning "this node": our own queries and pings. */
#define SHOAL_ROUTE_LOCAL 0

typedef struct _ShoalRouteTable ShoalRouteTable;

typedef enum
{
  SHOAL_ROUTE_NEW,            /* first time seen: process and forward */
  SHOAL_ROUTE_DUPLICATE,      /* seen with this TTL or more: drop */
  SHOAL_ROUTE_HIGHER_TTL,     /* seen, but now with more TTL left: forward
                               * again, do not process again */
} ShoalRouteVerdict;

/* Entries live between @window_usec and twice that (two generations that
 * rotate); at most @capacity entries of each kind are kept. */
ShoalRouteTable  *shoal_route_table_new          (gint64 window_usec,
                                                  guint  capacity);
void              shoal_route_table_free         (ShoalRouteTable *table);

/* Records a message of @type with @guid that arrived on @link_id with
 * @ttl left, and tells whether it is new. A duplicate keeps the first
 * link as the route back; a HIGHER_TTL one raises the TTL remembered. */
ShoalRouteVerdict shoal_route_table_record       (ShoalRouteTable *table,
                                                  const ShoalGuid *guid,
                                                  guint8           type,
                                                  guint64          link_id,
                                                  guint8           ttl,
                                                  gint64           now_usec);
/* The link a message of @type with @guid came from: where its replies
 * go. FALSE when unknown or expired. */
gboolean          shoal_route_table_lookup       (ShoalRouteTable *table,
                                                  const ShoalGuid *guid,
                                                  guint8           type,
                                                  gint64           now_usec,
                                                  guint64         *link_id);
/* A query hit from servent @servent_guid came through @link_id: pushes
 * to that servent go there. The latest link wins. */
void              shoal_route_table_record_servent (ShoalRouteTable *table,
                                                    const ShoalGuid *servent_guid,
                                                    guint64          link_id,
                                                    gint64           now_usec);
gboolean          shoal_route_table_lookup_servent (ShoalRouteTable *table,
                                                    const ShoalGuid *servent_guid,
                                                    gint64           now_usec,
                                                    guint64         *link_id);
/* A link closed: its routes lead nowhere now and lookups stop
 * returning it. */
void              shoal_route_table_forget_link  (ShoalRouteTable *table,
                                                  guint64          link_id);
/* Entries of both kinds held now (expired ones may still count until the
 * next rotation). */
guint             shoal_route_table_get_size     (ShoalRouteTable *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalRouteTable, shoal_route_table_free)

G_END_DECLS
