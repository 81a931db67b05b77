/* test-dynamic-query.c — the probe, one ultrapeer at a time, and every way
 * a dynamic query ends, on a clock the test moves by hand. */
#include "shoal-dynamic-query.h"

#define START (1000 * G_USEC_PER_SEC)
#define WAIT SHOAL_DQ_WAIT_PER_HOP_USEC
/* Far below any threshold: the order of links is decided by load only. */
#define LIGHT 10
#define HEAVY 100000

static ShoalDqLink
make_link (guint64  link_id,
           guint    degree,
           guint8   max_ttl,
           gboolean has_qrp_table,
           gboolean qrp_matches,
           gsize    queued_bytes)
{
  ShoalDqLink link = {
    .link_id = link_id,
    .degree = degree,
    .max_ttl = max_ttl,
    .has_qrp_table = has_qrp_table,
    .qrp_matches = qrp_matches,
    .queued_bytes = queued_bytes,
  };

  return link;
}

/* Plain links: no QRP table, @degree, loads in id order. */
static GArray *
plain_links (guint first_id,
             guint count,
             guint degree)
{
  GArray *links = g_array_new (FALSE, FALSE, sizeof (ShoalDqLink));

  for (guint i = 0; i < count; i++)
    {
      ShoalDqLink link = make_link (first_id + i, degree, 0, FALSE, FALSE, LIGHT + i);

      g_array_append_val (links, link);
    }
  return links;
}

static GArray *
step (ShoalDynamicQuery *query,
      GArray            *links,
      gint64             now,
      gint64            *next)
{
  GArray *sends = shoal_dynamic_query_step (query, (const ShoalDqLink *) (gpointer) links->data,
                                            links->len, now, next);

  g_assert_nonnull (sends);
  return sends;
}

static const ShoalDqSend *
send_at (GArray *sends,
         guint   i)
{
  g_assert_cmpuint (i, <, sends->len);
  return &g_array_index (sends, ShoalDqSend, i);
}

static gboolean
was_sent (GArray  *sends,
          guint64  link_id)
{
  for (guint i = 0; i < sends->len; i++)
    {
      if (send_at (sends, i)->link_id == link_id)
        return TRUE;
    }
  return FALSE;
}

/* Σ_{i<ttl} (degree−1)^i, the long way. */
static guint64
hosts (guint64 degree,
       guint   ttl)
{
  guint64 total = 0, layer = 1;

  for (guint i = 0; i < ttl; i++)
    {
      total += layer;
      layer *= degree - 1;
    }
  return total;
}

/* The query is over with @state at @now: it sends nothing, ever. */
static void
assert_over (ShoalDynamicQuery *query,
             GArray            *links,
             gint64             now,
             ShoalDqState       state)
{
  gint64 next = 0;

  /* Twice: the step that finds it over, and any step after. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GArray) sends = step (query, links, now, &next);

      g_assert_cmpuint (sends->len, ==, 0);
      g_assert_cmpint (next, ==, G_MAXINT64);
      g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, state);
    }
}

static void
test_probe_prefers_matching (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_LEAF_RESULTS, 4, START);
  g_autoptr(GArray) links = g_array_new (FALSE, FALSE, sizeof (ShoalDqLink));
  g_autoptr(GArray) sends = NULL;
  const ShoalDqLink all[] = {
    make_link (1, 0, 0, TRUE, FALSE, 100),   /* table, no match */
    make_link (2, 0, 0, TRUE, TRUE, 5000),   /* matches, loaded */
    make_link (3, 0, 0, FALSE, FALSE, 10),   /* no table, least loaded */
    make_link (4, 0, 0, FALSE, FALSE, 50),
    make_link (5, 0, 0, TRUE, TRUE, 9000),   /* matches, more loaded */
    make_link (6, 0, 0, FALSE, TRUE, 20),    /* "matches" without a table */
  };
  gint64 next = 0;

  g_array_append_vals (links, all, G_N_ELEMENTS (all));
  sends = step (query, links, START, &next);

  g_assert_cmpuint (sends->len, ==, SHOAL_DQ_PROBE_ULTRAPEERS);
  /* Matching tables first, the less loaded of them first, then load. */
  g_assert_cmpuint (send_at (sends, 0)->link_id, ==, 2);
  g_assert_cmpuint (send_at (sends, 1)->link_id, ==, 5);
  g_assert_cmpuint (send_at (sends, 2)->link_id, ==, 3);
  for (guint i = 0; i < sends->len; i++)
    g_assert_cmpuint (send_at (sends, i)->ttl, ==, SHOAL_DQ_PROBE_TTL);
  g_assert_cmpint (next, ==, START + SHOAL_DQ_PROBE_TTL * WAIT);
  g_assert_cmpuint (shoal_dynamic_query_get_ultrapeers_queried (query), ==, 3);
  /* Degree 0 counts as the legacy 8. */
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), ==,
                    3 * hosts (SHOAL_DQ_LEGACY_DEGREE, SHOAL_DQ_PROBE_TTL));
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_RUNNING);
}

static guint8
probe_ttl_with_matches (guint matching)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS,
                                                                SHOAL_DQ_MAX_TTL, START);
  g_autoptr(GArray) links = g_array_new (FALSE, FALSE, sizeof (ShoalDqLink));
  g_autoptr(GArray) sends = NULL;
  gint64 next = 0;
  guint8 ttl;

  for (guint i = 0; i < matching + 5; i++)
    {
      ShoalDqLink link = make_link (i + 1, 30, 0, TRUE, i < matching, LIGHT);

      g_array_append_val (links, link);
    }
  sends = step (query, links, START, &next);
  g_assert_cmpuint (sends->len, ==, SHOAL_DQ_PROBE_ULTRAPEERS);
  ttl = send_at (sends, 0)->ttl;
  for (guint i = 0; i < sends->len; i++)
    g_assert_cmpuint (send_at (sends, i)->ttl, ==, ttl);
  g_assert_cmpint (next, ==, START + ttl * WAIT);
  return ttl;
}

static void
test_probe_ttl_lowered (void)
{
  g_assert_cmpuint (probe_ttl_with_matches (0), ==, 2);
  g_assert_cmpuint (probe_ttl_with_matches (9), ==, 2);
  g_assert_cmpuint (probe_ttl_with_matches (10), ==, 1);
  g_assert_cmpuint (probe_ttl_with_matches (18), ==, 1);
  /* Two less would be 0: never below 1. */
  g_assert_cmpuint (probe_ttl_with_matches (19), ==, 1);
}

/* TTL 1 only reaches the link's leaves: only a matching table is worth it. */
static void
test_ttl_one_only_to_matching (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_LEAF_RESULTS, 1, START);
  g_autoptr(GArray) links = g_array_new (FALSE, FALSE, sizeof (ShoalDqLink));
  g_autoptr(GArray) sends = NULL;
  g_autoptr(GArray) later = NULL;
  const ShoalDqLink all[] = {
    make_link (1, 0, 0, TRUE, FALSE, 1),
    make_link (2, 0, 0, FALSE, FALSE, 2),
    make_link (3, 0, 0, TRUE, TRUE, 3),
  };
  gint64 next = 0;

  g_array_append_vals (links, all, G_N_ELEMENTS (all));
  sends = step (query, links, START, &next);
  g_assert_cmpuint (sends->len, ==, 1);
  g_assert_cmpuint (send_at (sends, 0)->link_id, ==, 3);
  g_assert_cmpuint (send_at (sends, 0)->ttl, ==, 1);

  /* The others can never take it at TTL 1: nothing left to do. */
  later = step (query, links, next, &next);
  g_assert_cmpuint (later->len, ==, 0);
  assert_over (query, links, next, SHOAL_DQ_NO_MORE_LINKS);
}

/* A non-matching table is still worth a TTL 2 probe, within each link's
 * and the query's ceiling. */
static void
test_ttl_ceilings (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 9, START);
  g_autoptr(GArray) links = g_array_new (FALSE, FALSE, sizeof (ShoalDqLink));
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) first = NULL;
  g_autoptr(GArray) second = NULL;
  const ShoalDqLink all[] = {
    make_link (1, 10, 1, TRUE, FALSE, 1),   /* X-Max-TTL 1, no match: useless */
    make_link (2, 10, 1, TRUE, TRUE, 2),    /* X-Max-TTL 1, matches */
    make_link (3, 10, 0, TRUE, FALSE, 3),   /* table without a match */
    make_link (4, 10, 0, FALSE, FALSE, 4),
    make_link (5, 10, 3, FALSE, FALSE, 5),  /* X-Max-TTL 3 */
    make_link (6, 10, 0, FALSE, FALSE, 6),  /* unknown X-Max-TTL: 7 */
  };
  gint64 next = 0;

  g_array_append_vals (links, all, G_N_ELEMENTS (all));
  probe = step (query, links, START, &next);
  g_assert_cmpuint (probe->len, ==, 3);
  g_assert_cmpuint (send_at (probe, 0)->link_id, ==, 2);
  g_assert_cmpuint (send_at (probe, 0)->ttl, ==, 1);
  g_assert_cmpuint (send_at (probe, 1)->link_id, ==, 3);
  g_assert_cmpuint (send_at (probe, 1)->ttl, ==, 2);
  g_assert_cmpuint (send_at (probe, 2)->link_id, ==, 4);
  g_assert_cmpint (next, ==, START + 2 * WAIT);

  /* No result yet: as far as allowed. The query's 9 is cut to DQ_MAX_TTL. */
  first = step (query, links, next, &next);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpuint (send_at (first, 0)->link_id, ==, 5);
  g_assert_cmpuint (send_at (first, 0)->ttl, ==, 3);
  second = step (query, links, next, &next);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_cmpuint (send_at (second, 0)->link_id, ==, 6);
  g_assert_cmpuint (send_at (second, 0)->ttl, ==, SHOAL_DQ_MAX_TTL);
  g_assert_false (was_sent (second, 1));
}

static void
test_sequential (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 6, 20);
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) early = NULL;
  g_autoptr(GArray) first = NULL;
  g_autoptr(GArray) second = NULL;
  g_autoptr(GArray) third = NULL;
  g_autoptr(GArray) done = NULL;
  gint64 next = 0, probe_end;
  guint64 horizon;

  probe = step (query, links, START, &next);
  g_assert_cmpuint (probe->len, ==, 3);
  probe_end = next;
  g_assert_cmpint (probe_end, ==, START + 2 * WAIT);

  /* Before its time: nothing, and the same time to come back. */
  early = step (query, links, probe_end - 1, &next);
  g_assert_cmpuint (early->len, ==, 0);
  g_assert_cmpint (next, ==, probe_end);

  /* 30 results from 3 × 20 ultrapeers: 120 more need ~240, TTL 3 (381). */
  shoal_dynamic_query_add_results (query, 30);
  first = step (query, links, probe_end, &next);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpuint (send_at (first, 0)->link_id, ==, 4);
  g_assert_cmpuint (send_at (first, 0)->ttl, ==, 3);
  g_assert_cmpint (next, ==, probe_end + 3 * WAIT);
  horizon = 3 * hosts (20, 2) + hosts (20, 3);
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), ==, horizon);

  /* Two short of 150 from 441 reached: a few more hosts, TTL 2 does. */
  shoal_dynamic_query_set_results (query, 148);
  second = step (query, links, next, &next);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_cmpuint (send_at (second, 0)->link_id, ==, 5);
  g_assert_cmpuint (send_at (second, 0)->ttl, ==, 2);

  /* The wait follows the TTL just sent. */
  third = step (query, links, next, &next);
  g_assert_cmpuint (third->len, ==, 1);
  g_assert_cmpuint (send_at (third, 0)->link_id, ==, 6);
  g_assert_cmpuint (shoal_dynamic_query_get_ultrapeers_queried (query), ==, 6);

  /* Every link queried: over once the last wait ran out, not before. */
  done = step (query, links, next - 1, &next);
  g_assert_cmpuint (done->len, ==, 0);
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_RUNNING);
  assert_over (query, links, next, SHOAL_DQ_NO_MORE_LINKS);
}

static void
test_no_results_means_max_ttl (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 4, 30);
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) first = NULL;
  gint64 next = 0, sent_at;

  probe = step (query, links, START, &next);
  sent_at = next;
  first = step (query, links, sent_at, &next);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpuint (send_at (first, 0)->ttl, ==, 4);
  g_assert_cmpint (next, ==, sent_at + 4 * WAIT);
}

static void
test_enough_results (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(ShoalDynamicQuery) leaf = shoal_dynamic_query_new (SHOAL_DQ_LEAF_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 10, 20);
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) leaf_probe = NULL;
  gint64 next = 0;

  probe = step (query, links, START, &next);
  g_assert_cmpuint (probe->len, ==, 3);
  shoal_dynamic_query_add_results (query, 100);
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_RUNNING);
  shoal_dynamic_query_add_results (query, 60);
  g_assert_cmpuint (shoal_dynamic_query_get_results (query), ==, 160);
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_ENOUGH_RESULTS);
  /* No more sends, however long we wait. */
  assert_over (query, links, next, SHOAL_DQ_ENOUGH_RESULTS);
  assert_over (query, links, next + 100 * WAIT, SHOAL_DQ_ENOUGH_RESULTS);
  g_assert_cmpuint (shoal_dynamic_query_get_ultrapeers_queried (query), ==, 3);

  /* A leaf's status report gives the total it kept. */
  leaf_probe = step (leaf, links, START, &next);
  shoal_dynamic_query_set_results (leaf, SHOAL_DQ_LEAF_RESULTS);
  assert_over (leaf, links, next, SHOAL_DQ_ENOUGH_RESULTS);
}

static void
test_never_twice (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 3, 20);
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) newcomer = NULL;
  g_autoptr(GArray) nothing = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  ShoalDqLink arriving = make_link (4, 20, 0, FALSE, FALSE, HEAVY);
  gint64 next = 0;

  probe = step (query, links, START, &next);
  g_assert_cmpuint (probe->len, ==, 3);

  /* A link that comes up during the wait is queried next, even loaded,
   * since the others already have the query. */
  g_array_append_val (links, arriving);
  newcomer = step (query, links, next, &next);
  g_assert_cmpuint (newcomer->len, ==, 1);
  g_assert_cmpuint (send_at (newcomer, 0)->link_id, ==, 4);

  /* The least loaded link went away: no harm, still no repeat. */
  g_array_remove_index (links, 0);
  nothing = step (query, links, next, &next);
  g_assert_cmpuint (nothing->len, ==, 0);
  for (guint i = 0; i < probe->len; i++)
    g_assert_true (g_hash_table_add (seen, (gpointer) &send_at (probe, i)->link_id));
  g_assert_true (g_hash_table_add (seen, (gpointer) &send_at (newcomer, 0)->link_id));
  g_assert_cmpuint (shoal_dynamic_query_get_ultrapeers_queried (query), ==, 4);
  assert_over (query, links, next, SHOAL_DQ_NO_MORE_LINKS);
}

static void
test_stop (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 10, 20);
  g_autoptr(GArray) probe = NULL;
  gint64 next = 0;

  probe = step (query, links, START, &next);
  shoal_dynamic_query_stop (query);
  assert_over (query, links, next, SHOAL_DQ_STOPPED);
  /* Results after the end are counted but change nothing. */
  shoal_dynamic_query_add_results (query, SHOAL_DQ_OWN_RESULTS);
  g_assert_cmpuint (shoal_dynamic_query_get_results (query), ==, SHOAL_DQ_OWN_RESULTS);
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_STOPPED);
  g_assert_cmpuint (shoal_dynamic_query_get_ultrapeers_queried (query), ==, 3);
}

static void
test_lifetime (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 500, 2);
  gint64 deadline = START + SHOAL_DQ_MAX_LIFETIME_USEC;
  gint64 now = START, next = 0;
  guint steps = 0;

  /* Degree 2 reaches a host per hop: the horizon never ends it. Each
   * step is taken exactly when asked, until the lifetime runs out. */
  while (shoal_dynamic_query_get_state (query) == SHOAL_DQ_RUNNING)
    {
      g_autoptr(GArray) sends = step (query, links, now, &next);

      if (shoal_dynamic_query_get_state (query) != SHOAL_DQ_RUNNING)
        break;
      g_assert_cmpuint (sends->len, >, 0);
      /* Never asked to come back after the query is over. */
      g_assert_cmpint (next, <=, deadline);
      g_assert_cmpint (next, >, now);
      now = next;
      steps++;
    }
  g_assert_cmpint (now, ==, deadline);
  g_assert_cmpint (next, ==, G_MAXINT64);
  g_assert_cmpuint (steps, >, 10);
  g_assert_cmpuint (shoal_dynamic_query_get_ultrapeers_queried (query), <, 500);
  assert_over (query, links, now, SHOAL_DQ_LIFETIME);
}

static void
test_horizon (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) links = plain_links (1, 10, 1000);
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) big = NULL;
  gint64 next = 0;

  probe = step (query, links, START, &next);
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), ==, 3 * hosts (1000, 2));
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_RUNNING);

  /* No results: TTL 4 to a degree-1000 ultrapeer "reaches" a billion. The
   * send goes out, and the query is over with it. */
  big = step (query, links, next, &next);
  g_assert_cmpuint (big->len, ==, 1);
  g_assert_cmpuint (send_at (big, 0)->ttl, ==, 4);
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), ==,
                    3 * hosts (1000, 2) + hosts (1000, 4));
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), >=, SHOAL_DQ_MAX_HORIZON);
  g_assert_cmpint (next, ==, G_MAXINT64);
  assert_over (query, links, START + 60 * G_USEC_PER_SEC, SHOAL_DQ_HORIZON);
}

/* Huge degrees must not wrap the horizon into a small number. */
static void
test_horizon_saturates (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS,
                                                                SHOAL_DQ_MAX_TTL, START);
  g_autoptr(GArray) links = plain_links (1, 3, 2);
  g_autoptr(GArray) probe = NULL;
  g_autoptr(GArray) huge = NULL;
  ShoalDqLink boasting = make_link (4, G_MAXUINT, 0, FALSE, FALSE, HEAVY);
  gint64 next = 0;

  g_array_append_val (links, boasting);
  probe = step (query, links, START, &next);
  g_assert_false (was_sent (probe, 4));
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), ==, 3 * hosts (2, 2));

  /* (2^32 − 2)^4 does not fit in 64 bits. */
  huge = step (query, links, next, &next);
  g_assert_true (was_sent (huge, 4));
  g_assert_cmpuint (send_at (huge, 0)->ttl, ==, SHOAL_DQ_MAX_TTL);
  g_assert_cmpuint (shoal_dynamic_query_get_horizon (query), ==, G_MAXUINT64);
  assert_over (query, links, next, SHOAL_DQ_HORIZON);
}

/* With no link at all the query waits for one, until its lifetime. */
static void
test_no_links (void)
{
  g_autoptr(ShoalDynamicQuery) query = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(ShoalDynamicQuery) waiting = shoal_dynamic_query_new (SHOAL_DQ_OWN_RESULTS, 4, START);
  g_autoptr(GArray) none = g_array_new (FALSE, FALSE, sizeof (ShoalDqLink));
  g_autoptr(GArray) links = plain_links (1, 5, 20);
  g_autoptr(GArray) first = NULL;
  g_autoptr(GArray) later = NULL;
  g_autoptr(GArray) probe = NULL;
  gint64 next = 0, retry;

  first = step (query, none, START, &next);
  g_assert_cmpuint (first->len, ==, 0);
  g_assert_cmpint (shoal_dynamic_query_get_state (query), ==, SHOAL_DQ_RUNNING);
  g_assert_cmpint (next, >, START);
  g_assert_cmpint (next, <, START + SHOAL_DQ_MAX_LIFETIME_USEC);
  retry = next;

  /* Links come: the probe goes out then. */
  probe = step (query, links, retry, &next);
  g_assert_cmpuint (probe->len, ==, SHOAL_DQ_PROBE_ULTRAPEERS);
  g_assert_cmpuint (send_at (probe, 0)->ttl, ==, SHOAL_DQ_PROBE_TTL);

  /* Links never come: the lifetime ends it. */
  later = step (waiting, none, START + SHOAL_DQ_MAX_LIFETIME_USEC - 1, &next);
  g_assert_cmpuint (later->len, ==, 0);
  g_assert_cmpint (shoal_dynamic_query_get_state (waiting), ==, SHOAL_DQ_RUNNING);
  g_assert_cmpint (next, ==, START + SHOAL_DQ_MAX_LIFETIME_USEC);
  assert_over (waiting, none, next, SHOAL_DQ_LIFETIME);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dynamic-query/probe-prefers-matching", test_probe_prefers_matching);
  g_test_add_func ("/dynamic-query/probe-ttl-lowered", test_probe_ttl_lowered);
  g_test_add_func ("/dynamic-query/ttl-one-only-to-matching", test_ttl_one_only_to_matching);
  g_test_add_func ("/dynamic-query/ttl-ceilings", test_ttl_ceilings);
  g_test_add_func ("/dynamic-query/sequential", test_sequential);
  g_test_add_func ("/dynamic-query/no-results-means-max-ttl", test_no_results_means_max_ttl);
  g_test_add_func ("/dynamic-query/enough-results", test_enough_results);
  g_test_add_func ("/dynamic-query/never-twice", test_never_twice);
  g_test_add_func ("/dynamic-query/stop", test_stop);
  g_test_add_func ("/dynamic-query/lifetime", test_lifetime);
  g_test_add_func ("/dynamic-query/horizon", test_horizon);
  g_test_add_func ("/dynamic-query/horizon-saturates", test_horizon_saturates);
  g_test_add_func ("/dynamic-query/no-links", test_no_links);
  return g_test_run ();
}
