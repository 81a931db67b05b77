/* shoal-dynamic-query.c — when, where and how far to send a query so that
 * it finds enough results without flooding the network. */
#include "shoal-dynamic-query.h"

/* What a link that did not say X-Max-TTL accepts (NODE_LEGACY_TTL). */
#define LEGACY_MAX_TTL 7
/* Above this many matching last-hop tables the probe loses a hop, above
 * the second it loses two (gtk-gnutella dq.c). */
#define PROBE_MANY_MATCHES 9
#define PROBE_VERY_MANY_MATCHES 18
/* A TTL of 1 only reaches the ultrapeer and its leaves: worth it only
 * when its last-hop table says some leaf has a match. */
#define LAST_HOP_TTL 1
/* "As many ultrapeers as the TTL allows": no result tells us better. */
#define ALL_REACHABLE G_MAXUINT64
/* While no link is up, how often to look again. */
#define NO_LINK_RETRY_USEC SHOAL_DQ_WAIT_PER_HOP_USEC

struct _ShoalDynamicQuery
{
  guint         wanted;
  guint8        max_ttl;
  gint64        deadline_usec;   /* start + SHOAL_DQ_MAX_LIFETIME_USEC */
  gint64        next_step_usec;
  gboolean      probed;
  ShoalDqState  state;
  guint         results;
  guint64       horizon;
  GHashTable   *queried;         /* link ids (guint64*) sent the query */
};

ShoalDynamicQuery *
shoal_dynamic_query_new (guint   wanted,
                         guint8  max_ttl,
                         gint64  now_usec)
{
  ShoalDynamicQuery *query = g_new0 (ShoalDynamicQuery, 1);

  query->wanted = wanted;
  /* A TTL of 0 says nothing: send what we send by default. */
  query->max_ttl = max_ttl == 0 ? SHOAL_DQ_DEFAULT_TTL : MIN (max_ttl, SHOAL_DQ_MAX_TTL);
  query->deadline_usec = now_usec + SHOAL_DQ_MAX_LIFETIME_USEC;
  query->next_step_usec = now_usec;
  query->state = SHOAL_DQ_RUNNING;
  query->queried = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  return query;
}

void
shoal_dynamic_query_free (ShoalDynamicQuery *query)
{
  if (query == NULL)
    return;
  g_hash_table_unref (query->queried);
  g_free (query);
}

/* ---- the network as a link promises it ---- */

static guint
link_degree (const ShoalDqLink *link)
{
  return link->degree != 0 ? link->degree : SHOAL_DQ_LEGACY_DEGREE;
}

static gboolean
link_matches (const ShoalDqLink *link)
{
  return link->has_qrp_table && link->qrp_matches;
}

static guint8
link_max_ttl (const ShoalDynamicQuery *query,
              const ShoalDqLink       *link)
{
  guint8 accepted = link->max_ttl != 0 ? link->max_ttl : LEGACY_MAX_TTL;

  return MIN (query->max_ttl, accepted);
}

static guint8
link_min_ttl (const ShoalDqLink *link)
{
  return link_matches (link) ? LAST_HOP_TTL : LAST_HOP_TTL + 1;
}

static guint64
saturating_add (guint64 a,
                guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

/* Σ_{i=0}^{ttl−1} (degree−1)^i, saturating: huge degrees must not wrap
 * into a small horizon. */
static guint64
hosts_reached (guint  degree,
               guint8 ttl)
{
  guint64 total = 0, layer = 1;

  for (guint8 hop = 0; hop < ttl; hop++)
    {
      total = saturating_add (total, layer);
      if (!g_uint64_checked_mul (&layer, layer, degree - 1))
        layer = G_MAXUINT64;
    }
  return total;
}

static gboolean
was_queried (const ShoalDynamicQuery *query,
             const ShoalDqLink       *link)
{
  return g_hash_table_contains (query->queried, &link->link_id);
}

static gboolean
can_query (const ShoalDynamicQuery *query,
           const ShoalDqLink       *link)
{
  return !was_queried (query, link) && link_min_ttl (link) <= link_max_ttl (query, link);
}

/* ---- choosing links ---- */

static gint
compare_load (const ShoalDqLink *a,
              const ShoalDqLink *b)
{
  if (a->queued_bytes != b->queued_bytes)
    return a->queued_bytes < b->queued_bytes ? -1 : 1;
  if (link_matches (a) != link_matches (b))
    return link_matches (a) ? -1 : 1;
  return a->link_id < b->link_id ? -1 : a->link_id > b->link_id;
}

static gint
compare_for_probe (gconstpointer pa,
                   gconstpointer pb)
{
  const ShoalDqLink *a = *(const ShoalDqLink * const *) pa;
  const ShoalDqLink *b = *(const ShoalDqLink * const *) pb;

  if (link_matches (a) != link_matches (b))
    return link_matches (a) ? -1 : 1;
  return compare_load (a, b);
}

/* The links that may still be sent the query, best first by @compare. */
static GPtrArray *
candidates (const ShoalDynamicQuery *query,
            const ShoalDqLink       *links,
            guint                    n_links,
            GCompareFunc             compare)
{
  GPtrArray *usable = g_ptr_array_new ();

  for (guint i = 0; i < n_links; i++)
    {
      if (can_query (query, &links[i]))
        g_ptr_array_add (usable, (gpointer) &links[i]);
    }
  g_ptr_array_sort (usable, compare);
  return usable;
}

static void
send_to (ShoalDynamicQuery *query,
         const ShoalDqLink *link,
         guint8             ttl,
         GArray            *sends)
{
  ShoalDqSend send = { .link_id = link->link_id, .ttl = ttl };

  g_array_append_val (sends, send);
  g_hash_table_add (query->queried, g_memdup2 (&link->link_id, sizeof link->link_id));
  query->horizon = saturating_add (query->horizon, hosts_reached (link_degree (link), ttl));
}

/* ---- the probe ---- */

static guint8
probe_ttl (const ShoalDqLink *links,
           guint              n_links)
{
  guint matching = 0;

  for (guint i = 0; i < n_links; i++)
    {
      if (link_matches (&links[i]))
        matching++;
    }
  /* Many matching tables: a short probe already finds plenty. */
  if (matching > PROBE_VERY_MANY_MATCHES)
    return MAX (SHOAL_DQ_PROBE_TTL - 2, LAST_HOP_TTL);
  if (matching > PROBE_MANY_MATCHES)
    return MAX (SHOAL_DQ_PROBE_TTL - 1, LAST_HOP_TTL);
  return SHOAL_DQ_PROBE_TTL;
}

/* Returns the largest TTL sent, 0 when no link could take the probe. */
static guint8
probe (ShoalDynamicQuery *query,
       const ShoalDqLink *links,
       guint              n_links,
       GArray            *sends)
{
  g_autoptr(GPtrArray) usable = candidates (query, links, n_links, compare_for_probe);
  guint8 wanted_ttl = probe_ttl (links, n_links);
  guint8 longest = 0;

  for (guint i = 0; i < usable->len && sends->len < SHOAL_DQ_PROBE_ULTRAPEERS; i++)
    {
      const ShoalDqLink *link = g_ptr_array_index (usable, i);
      guint8 ttl = MIN (wanted_ttl, link_max_ttl (query, link));

      /* A table that does not match is worth a probe only past its leaves;
       * a link listed twice still gets the query once. */
      if (ttl < link_min_ttl (link) || was_queried (query, link))
        continue;
      send_to (query, link, ttl, sends);
      longest = MAX (longest, ttl);
    }
  return longest;
}

/* ---- one ultrapeer at a time ---- */

/* How many more ultrapeers must see the query, judging by the results
 * per ultrapeer reached so far; ALL_REACHABLE without any result yet. */
static guint64
hosts_needed (const ShoalDynamicQuery *query)
{
  guint64 missing;

  if (query->results >= query->wanted)
    return 0;
  missing = query->wanted - query->results;
  if (query->results == 0 || query->horizon == 0)
    return ALL_REACHABLE;
  if (missing > (G_MAXUINT64 - query->results) / query->horizon)
    return ALL_REACHABLE;
  /* Rounded up: one result short is still short. */
  return (missing * query->horizon + query->results - 1) / query->results;
}

static guint8
sequential_ttl (const ShoalDynamicQuery *query,
                const ShoalDqLink       *link)
{
  guint64 needed = hosts_needed (query);
  guint8 ceiling = link_max_ttl (query, link);
  guint8 ttl = link_min_ttl (link);

  /* Settled first: a saturated hosts_reached () would never pass it. */
  if (needed == ALL_REACHABLE)
    return ceiling;
  while (ttl < ceiling && hosts_reached (link_degree (link), ttl) < needed)
    ttl++;
  return ttl;
}

static gint
compare_for_sequence (gconstpointer pa,
                      gconstpointer pb)
{
  return compare_load (*(const ShoalDqLink * const *) pa,
                       *(const ShoalDqLink * const *) pb);
}

/* Returns the TTL sent, 0 when no link is left to query. */
static guint8
send_next (ShoalDynamicQuery *query,
           const ShoalDqLink *links,
           guint              n_links,
           GArray            *sends)
{
  g_autoptr(GPtrArray) usable = candidates (query, links, n_links, compare_for_sequence);
  const ShoalDqLink *link;
  guint8 ttl;

  if (usable->len == 0)
    return 0;
  link = g_ptr_array_index (usable, 0);
  ttl = sequential_ttl (query, link);
  send_to (query, link, ttl, sends);
  return ttl;
}

/* ---- the run ---- */

static void
finish (ShoalDynamicQuery *query,
        ShoalDqState       state)
{
  query->state = state;
  query->next_step_usec = G_MAXINT64;
}

static void
check_results (ShoalDynamicQuery *query)
{
  if (query->state == SHOAL_DQ_RUNNING && query->results >= query->wanted)
    finish (query, SHOAL_DQ_ENOUGH_RESULTS);
}

/* The reasons to stop that do not depend on the links. */
static void
check_limits (ShoalDynamicQuery *query,
              gint64             now_usec)
{
  check_results (query);
  if (query->state != SHOAL_DQ_RUNNING)
    return;
  if (now_usec >= query->deadline_usec)
    finish (query, SHOAL_DQ_LIFETIME);
  else if (query->horizon >= SHOAL_DQ_MAX_HORIZON)
    finish (query, SHOAL_DQ_HORIZON);
}

/* The caller comes back when the results of @ttl hops had time to
 * arrive, and at the latest when the query has lived its life. */
static void
wait_for (ShoalDynamicQuery *query,
          gint64             now_usec,
          gint64             delay_usec)
{
  query->next_step_usec = MIN (now_usec + delay_usec, query->deadline_usec);
}

static void
advance (ShoalDynamicQuery *query,
         const ShoalDqLink *links,
         guint              n_links,
         gint64             now_usec,
         GArray            *sends)
{
  guint8 ttl;

  if (!query->probed)
    {
      ttl = probe (query, links, n_links, sends);
      query->probed = ttl > 0;
    }
  else
    ttl = send_next (query, links, n_links, sends);

  if (ttl > 0)
    wait_for (query, now_usec, ttl * SHOAL_DQ_WAIT_PER_HOP_USEC);
  else if (g_hash_table_size (query->queried) > 0)
    finish (query, SHOAL_DQ_NO_MORE_LINKS);
  else
    wait_for (query, now_usec, NO_LINK_RETRY_USEC);
  /* A send that completes the horizon ends the query at once: waiting
   * would not change the answer. */
  check_limits (query, now_usec);
}

GArray *
shoal_dynamic_query_step (ShoalDynamicQuery *query,
                          const ShoalDqLink *links,
                          guint              n_links,
                          gint64             now_usec,
                          gint64            *next_step_usec)
{
  GArray *sends = g_array_new (FALSE, FALSE, sizeof (ShoalDqSend));

  g_return_val_if_fail (query != NULL && next_step_usec != NULL, sends);
  g_return_val_if_fail (links != NULL || n_links == 0, sends);

  check_limits (query, now_usec);
  if (query->state == SHOAL_DQ_RUNNING && now_usec >= query->next_step_usec)
    advance (query, links, n_links, now_usec, sends);
  *next_step_usec = query->next_step_usec;
  return sends;
}

void
shoal_dynamic_query_add_results (ShoalDynamicQuery *query,
                                 guint              count)
{
  g_return_if_fail (query != NULL);
  query->results = count > G_MAXUINT - query->results ? G_MAXUINT : query->results + count;
  check_results (query);
}

void
shoal_dynamic_query_set_results (ShoalDynamicQuery *query,
                                 guint              total)
{
  g_return_if_fail (query != NULL);
  query->results = total;
  check_results (query);
}

void
shoal_dynamic_query_stop (ShoalDynamicQuery *query)
{
  g_return_if_fail (query != NULL);
  if (query->state == SHOAL_DQ_RUNNING)
    finish (query, SHOAL_DQ_STOPPED);
}

ShoalDqState
shoal_dynamic_query_get_state (ShoalDynamicQuery *query)
{
  g_return_val_if_fail (query != NULL, SHOAL_DQ_STOPPED);
  return query->state;
}

guint
shoal_dynamic_query_get_results (ShoalDynamicQuery *query)
{
  g_return_val_if_fail (query != NULL, 0);
  return query->results;
}

guint
shoal_dynamic_query_get_ultrapeers_queried (ShoalDynamicQuery *query)
{
  g_return_val_if_fail (query != NULL, 0);
  return g_hash_table_size (query->queried);
}

guint64
shoal_dynamic_query_get_horizon (ShoalDynamicQuery *query)
{
  g_return_val_if_fail (query != NULL, 0);
  return query->horizon;
}
