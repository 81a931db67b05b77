/* shoal-dynamic-query.h — one query run the dynamic way (gnutella-0.6.md
 * §8.1, gtk-gnutella's dq.c): a probe to a few ultrapeers, then one
 * ultrapeer at a time with a TTL chosen from the results so far and the
 * horizon still to reach, until enough results, no ultrapeer left, the
 * horizon or the lifetime is reached, or someone stops it. Pure logic:
 * the caller passes the time and the links, and sends what it is told. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Results wanted: our own searches, and a leaf's query (a leaf asks
 * about three ultrapeers). gtk-gnutella SEARCH_MAX_RESULTS, DQ_LEAF_RESULTS. */
#define SHOAL_DQ_OWN_RESULTS 150
#define SHOAL_DQ_LEAF_RESULTS 50
/* TTL ceiling (DQ_MAX_TTL) and what is sent when nothing says otherwise. */
#define SHOAL_DQ_MAX_TTL 5
#define SHOAL_DQ_DEFAULT_TTL 4
/* Probe: this many ultrapeers (least loaded first, QRP-matching ones
 * preferred) at TTL 2; 1 less above 9 matching tables, 2 less above 18. */
#define SHOAL_DQ_PROBE_ULTRAPEERS 3
#define SHOAL_DQ_PROBE_TTL 2
/* Waiting for results: per hop of the TTL just sent (spec 2.4 s). */
/* 64-bit: 2400 × G_USEC_PER_SEC does not fit in an int. */
#define SHOAL_DQ_WAIT_PER_HOP_USEC (G_GINT64_CONSTANT (2400) * G_USEC_PER_SEC / 1000)
/* Stop once this many ultrapeers could have been reached (spec 200 000;
 * gtk-gnutella 500 000), or after this long. */
#define SHOAL_DQ_MAX_HORIZON 200000
#define SHOAL_DQ_MAX_LIFETIME_USEC (600 * G_USEC_PER_SEC)
/* X-Degree assumed for a peer that did not say (NODE_LEGACY_DEGREE). */
#define SHOAL_DQ_LEGACY_DEGREE 8

typedef struct _ShoalDynamicQuery ShoalDynamicQuery;

/* An ultrapeer link as the query sees it at this step. */
typedef struct
{
  guint64  link_id;
  guint    degree;           /* its X-Degree, 0 if unknown */
  guint8   max_ttl;          /* its X-Max-TTL, 0 if unknown (then 7) */
  gboolean has_qrp_table;    /* it sent us a last-hop QRP table */
  gboolean qrp_matches;      /* ... and the query matches it */
  gsize    queued_bytes;     /* its send queue: the least loaded go first */
} ShoalDqLink;

/* One copy of the query to send: to @link_id, with @ttl. */
typedef struct
{
  guint64 link_id;
  guint8  ttl;
} ShoalDqSend;

typedef enum
{
  SHOAL_DQ_RUNNING,
  SHOAL_DQ_ENOUGH_RESULTS,
  SHOAL_DQ_NO_MORE_LINKS,   /* every ultrapeer was queried */
  SHOAL_DQ_HORIZON,
  SHOAL_DQ_LIFETIME,
  SHOAL_DQ_STOPPED,         /* shoal_dynamic_query_stop() */
} ShoalDqState;

/* @wanted results; @max_ttl the ceiling (the leaf's TTL, at most
 * SHOAL_DQ_MAX_TTL). */
ShoalDynamicQuery *shoal_dynamic_query_new      (guint   wanted,
                                                 guint8  max_ttl,
                                                 gint64  now_usec);
void               shoal_dynamic_query_free     (ShoalDynamicQuery *query);

/* What to send now, given the ultrapeer links up at @now_usec (a link is
 * never sent the query twice; links that went away are simply not in
 * @links any more). Returns an array of ShoalDqSend, empty when it is not
 * time yet; *@next_step_usec says when to call again (G_MAXINT64 once the
 * query is over). The first call sends the probe. While no ultrapeer
 * has ever been sent the query (none up yet, or none that can take it)
 * the query keeps RUNNING and asks to be called again a little later:
 * links may still come; the lifetime or the router ends it. Once one was
 * sent the query, running out of links ends it (NO_MORE_LINKS) when the
 * last wait runs out. */
GArray            *shoal_dynamic_query_step     (ShoalDynamicQuery *query,
                                                 const ShoalDqLink *links,
                                                 guint              n_links,
                                                 gint64             now_usec,
                                                 gint64            *next_step_usec);
/* Results came back (hits' records, or a leaf's status report as a
 * total with shoal_dynamic_query_set_results()). */
void               shoal_dynamic_query_add_results (ShoalDynamicQuery *query,
                                                    guint              count);
void               shoal_dynamic_query_set_results (ShoalDynamicQuery *query,
                                                    guint              total);
void               shoal_dynamic_query_stop     (ShoalDynamicQuery *query);
ShoalDqState       shoal_dynamic_query_get_state (ShoalDynamicQuery *query);
guint              shoal_dynamic_query_get_results (ShoalDynamicQuery *query);
guint              shoal_dynamic_query_get_ultrapeers_queried (ShoalDynamicQuery *query);
/* The theoretical number of ultrapeers reached so far:
 * Σ over sends of hosts(degree, ttl) = Σ_{i=0}^{ttl−1} (degree−1)^i. */
guint64            shoal_dynamic_query_get_horizon (ShoalDynamicQuery *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalDynamicQuery, shoal_dynamic_query_free)

G_END_DECLS
