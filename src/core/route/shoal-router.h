/* shoal-router.h — where every query, query hit, push and QRP message
 * goes (gnutella-0.6.md §3.3, §6): duplicate suppression, TTL and hops,
 * flooding among ultrapeers, QRP-filtered delivery to leaves, last-hop
 * QRP between ultrapeers, reverse-path routing of hits and pushes, and
 * dynamic querying for our own queries and our leaves'. Pure logic over
 * link ids: the caller hands it messages and gives it a way to send, so
 * tests drive it without sockets. */
#pragma once

#include <glib-object.h>

#include "shoal-guid.h"
#include "shoal-message.h"
#include "shoal-qrp.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_ROUTER (shoal_router_get_type ())
G_DECLARE_FINAL_TYPE (ShoalRouter, shoal_router, SHOAL, ROUTER, GObject)

/* gtk-gnutella's max_ttl: a relayed broadcast never travels further than
 * this many hops in all, and the TTL our leaves' queries get. */
#define SHOAL_ROUTER_MAX_TTL 4
/* gtk-gnutella's hard_ttl_limit: TTL + hops above this is dropped. */
#define SHOAL_ROUTER_HARD_TTL_LIMIT 15
/* The TTL of our pushes: enough to go back along a hit's route. */
#define SHOAL_ROUTER_PUSH_TTL 6
/* The TTL a leaf gives its own queries (gtk-gnutella leaves use 4). */
#define SHOAL_ROUTER_LEAF_QUERY_TTL 4
/* How often an ultrapeer checks whether its last-hop QRP table changed
 * and patches its peers (the spec asks for about a minute). */
#define SHOAL_ROUTER_DEFAULT_QRP_PERIOD_MS 60000
/* How often running dynamic queries are stepped. */
#define SHOAL_ROUTER_DQ_TICK_MS 200

/* What the router needs from the links: sending a whole message (header
 * included) with a priority that maps to the link's queue, and closing a
 * link that broke the rules. */
typedef enum
{
  SHOAL_ROUTER_PRIORITY_CONTROL,   /* QRP */
  SHOAL_ROUTER_PRIORITY_REPLY,     /* hits, pushes */
  SHOAL_ROUTER_PRIORITY_QUERY,
} ShoalRouterPriority;

typedef struct
{
  void  (*send)        (guint64              link_id,
                        GBytes              *message,
                        ShoalRouterPriority  priority,
                        gpointer             user_data);
  void  (*close_link)  (guint64     link_id,
                        guint16     bye_code,
                        const char *reason,
                        gpointer    user_data);
  /* Bytes waiting in the link's send queue (dynamic querying prefers the
   * least loaded); may be NULL. */
  gsize (*queued_bytes) (guint64  link_id,
                         gpointer user_data);
} ShoalRouterLinkOps;

/* A link as the router sees it. */
typedef struct
{
  gboolean peer_is_leaf;         /* our leaf (we are an ultrapeer) */
  gboolean last_hop_qrp;         /* an ultrapeer that sent
                                  * X-Ultrapeer-Query-Routing: 0.1 */
  guint8   max_ttl;              /* its X-Max-TTL, 0 unknown */
  guint    degree;               /* its X-Degree, 0 unknown */
} ShoalRouterLinkInfo;

/* Counters, over the whole router or one link. */
typedef struct
{
  guint64 queries_in;          /* well-formed queries received */
  guint64 queries_out;         /* query copies sent */
  guint64 queries_answered;    /* queries handed to ::query */
  guint64 hits_in;
  guint64 hits_out;            /* hit messages sent (ours and relayed) */
  guint64 pushes_in;
  guint64 pushes_out;
  guint64 duplicates;          /* dropped as already seen */
  guint64 dropped;             /* dropped for a rule: TTL, size, no route */
  guint64 dropped_queries;     /* ...of which queries */
  guint64 dropped_hits;        /* ...query hits */
  guint64 dropped_pushes;      /* ...pushes */
  guint64 dropped_other;       /* ...QRP and vendor messages */
  guint64 qrp_updates;         /* QRP messages applied */
} ShoalRouterStats;

ShoalRouter      *shoal_router_new            (const ShoalGuid          *servent_guid,
                                               const ShoalRouterLinkOps *ops,
                                               gpointer                  user_data);

/* Our role: leaves only answer and send their own queries; ultrapeers
 * route. Changing it does not touch the links (the node manager re-forms
 * them). */
void              shoal_router_set_ultrapeer  (ShoalRouter *self,
                                               gboolean     ultrapeer);
gboolean          shoal_router_get_ultrapeer  (ShoalRouter *self);
/* Whether our hits should say "push needed" and whether we may answer a
 * query from a firewalled querier. */
void              shoal_router_set_firewalled (ShoalRouter *self,
                                               gboolean     firewalled);
void              shoal_router_set_qrp_period (ShoalRouter *self,
                                               guint        period_ms);

void              shoal_router_add_link       (ShoalRouter               *self,
                                               guint64                    link_id,
                                               const ShoalRouterLinkInfo *info);
void              shoal_router_remove_link    (ShoalRouter *self,
                                               guint64      link_id);
/* A message arrived on @link_id. Pings, pongs and byes are not the
 * router's; everything else is routed, answered or dropped (counted). */
void              shoal_router_handle_message (ShoalRouter        *self,
                                               guint64             link_id,
                                               const ShoalMessage *message);

/* Our library's QRP table (copied). A leaf sends it to its ultrapeers
 * (RESET + PATCHes at once, patches when it changes); an ultrapeer merges
 * it with its leaves' into the last-hop table for its peers. */
void              shoal_router_set_local_table (ShoalRouter         *self,
                                                const ShoalQrpTable *table);

/* Sends our own query (@payload written by shoal_query_write) with
 * @guid: to every ultrapeer as a leaf, dynamically as an ultrapeer (and
 * to our matching leaves). Hits for it come out of ::query-hit. */
void              shoal_router_start_query    (ShoalRouter     *self,
                                               const ShoalGuid *guid,
                                               GBytes          *payload,
                                               guint            wanted_results);
/* Our own query has enough results, or the user stopped it: an
 * ultrapeer stops querying, a leaf tells its ultrapeers (BEAR/12 with
 * 0xFFFF, leaf-guided querying). A leaf's BEAR/12 for its own query
 * likewise sets or stops the dynamic query we run for it. */
void              shoal_router_stop_query     (ShoalRouter     *self,
                                               const ShoalGuid *guid);
/* Sends our answers (whole hit messages from shoal_hit_builder_build) to
 * the query with @guid back the way it came. FALSE when the route is
 * gone. */
gboolean          shoal_router_send_hits      (ShoalRouter     *self,
                                               const ShoalGuid *query_guid,
                                               GPtrArray       *messages);

/* Asks servent @servent_guid to connect to us (@payload: a PUSH written
 * by shoal_push_write) through the link a hit of that servent came by.
 * FALSE when we know no route to it. */
gboolean          shoal_router_send_push      (ShoalRouter     *self,
                                               const ShoalGuid *servent_guid,
                                               GBytes          *payload);

void              shoal_router_get_stats      (ShoalRouter      *self,
                                               ShoalRouterStats *stats);
/* FALSE when there is no such link. */
gboolean          shoal_router_get_link_stats (ShoalRouter      *self,
                                               guint64           link_id,
                                               ShoalRouterStats *stats);
/* Whether a leaf link has sent a complete QRP table. */
gboolean          shoal_router_link_has_table (ShoalRouter *self,
                                               guint64      link_id);

G_END_DECLS
