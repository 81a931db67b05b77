/* shoal-role-policy.c — promotion to ultrapeer and demotion to leaf, and
 * the election of ultrapeers on a LAN. */
#include "shoal-role-policy.h"

#include <stdlib.h>
#include <string.h>

void
shoal_role_thresholds_init_default (ShoalRoleThresholds *thresholds)
{
  thresholds->min_uptime_s = SHOAL_ROLE_DEFAULT_MIN_UPTIME_S;
  thresholds->switch_interval_s = SHOAL_ROLE_DEFAULT_SWITCH_INTERVAL_S;
  thresholds->demote_after_s = SHOAL_ROLE_DEFAULT_DEMOTE_AFTER_S;
  thresholds->min_descriptors = SHOAL_ROLE_DEFAULT_MIN_DESCRIPTORS;
  thresholds->min_upload_kbps = SHOAL_ROLE_DEFAULT_MIN_UPLOAD_KBPS;
}

static ShoalRoleDecision
keep (const char **why,
      const char  *reason)
{
  if (why != NULL)
    *why = reason;
  return SHOAL_ROLE_KEEP;
}

/* Every condition, cheapest to check first: the first one missing is the
 * reason a leaf stays a leaf. */
static ShoalRoleDecision
decide_as_leaf (const ShoalRoleThresholds *thresholds,
                const ShoalRoleFacts      *facts,
                const char               **why)
{
  if (!facts->reachable)
    return keep (why, "not reachable from outside (no incoming link, no connect-back)");
  if (facts->uptime_s < thresholds->min_uptime_s)
    return keep (why, "not up long enough");
  if (facts->descriptors < thresholds->min_descriptors)
    return keep (why, "too few file descriptors");
  if (facts->upload_kbps < thresholds->min_upload_kbps)
    return keep (why, "too little upload bandwidth");
  if (!facts->ultrapeers_wanted)
    return keep (why, "no ultrapeer asked for more ultrapeers");
  if (why != NULL)
    *why = "capable, and the network wants ultrapeers";
  return SHOAL_ROLE_PROMOTE;
}

ShoalRoleDecision
shoal_role_policy_decide (const ShoalRoleThresholds *thresholds,
                          const ShoalRoleFacts      *facts,
                          const char               **why)
{
  g_return_val_if_fail (thresholds != NULL && facts != NULL, SHOAL_ROLE_KEEP);

  /* Switching drops every link: not more often than this. */
  if (facts->since_switch_s < thresholds->switch_interval_s)
    return keep (why, "switched roles too recently");
  if (!facts->ultrapeer)
    return decide_as_leaf (thresholds, facts, why);
  if (facts->leafless_s >= thresholds->demote_after_s)
    {
      if (why != NULL)
        *why = "no leaf for too long";
      return SHOAL_ROLE_DEMOTE;
    }
  return keep (why, "an ultrapeer with leaves, or not leafless long enough");
}

/* LAN election ---------------------------------------------------------------- */

static gint
compare_guids (gconstpointer a,
               gconstpointer b)
{
  return memcmp (((const ShoalGuid *) a)->bytes, ((const ShoalGuid *) b)->bytes, SHOAL_GUID_SIZE);
}

static ShoalLanRole
elected (const char   **why,
         ShoalLanRole   role,
         const char    *reason)
{
  if (why != NULL)
    *why = reason;
  return role;
}

ShoalLanRole
shoal_role_policy_elect_lan (const ShoalGuid  *self,
                             const ShoalGuid  *peers,
                             guint             n_peers,
                             gboolean          wan_ultrapeer_links,
                             const char      **why)
{
  g_autofree ShoalGuid *sorted = NULL;
  guint others = 0;
  guint smaller = 0;
  guint nodes, ultrapeers;

  g_return_val_if_fail (self != NULL, SHOAL_LAN_ROLE_NONE);
  g_return_val_if_fail (peers != NULL || n_peers == 0, SHOAL_LAN_ROLE_NONE);

  if (wan_ultrapeer_links)
    return elected (why, SHOAL_LAN_ROLE_NONE, "linked to ultrapeers beyond the LAN");
  /* Sorted, each GUID is counted once, and those before ours are the
   * nodes that rank before us. */
  sorted = g_memdup2 (peers, (gsize) n_peers * sizeof *peers);
  if (n_peers > 0)
    qsort (sorted, n_peers, sizeof *sorted, compare_guids);
  for (guint i = 0; i < n_peers; i++)
    {
      gint order = compare_guids (&sorted[i], self);

      if (order == 0 || (i > 0 && compare_guids (&sorted[i], &sorted[i - 1]) == 0))
        continue;
      others++;
      smaller += order < 0;
    }
  if (others == 0)
    return elected (why, SHOAL_LAN_ROLE_NONE, "no other Shoal on the LAN");
  nodes = others + 1;
  if (nodes <= SHOAL_LAN_MESH_MAX)
    return elected (why, SHOAL_LAN_ROLE_ULTRAPEER, "a small LAN: every node is an ultrapeer");
  ultrapeers = MAX (SHOAL_LAN_MIN_ULTRAPEERS,
                    (nodes + SHOAL_LAN_LEAVES_PER_ULTRAPEER - 1) / SHOAL_LAN_LEAVES_PER_ULTRAPEER);
  if (smaller < ultrapeers)
    return elected (why, SHOAL_LAN_ROLE_ULTRAPEER, "one of the LAN's smallest GUIDs");
  return elected (why, SHOAL_LAN_ROLE_LEAF, "a large LAN: its smallest GUIDs are its ultrapeers");
}
