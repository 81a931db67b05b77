/* shoal-role-policy.c — promotion to ultrapeer and demotion to leaf, and
 * the election of ultrapeers on a LAN. */
#include "shoal-role-policy.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

/* The sentences saying why are marked for translation: the desktop app
 * shows them, translated, as "Leaf: %s" and "Ultrapeer: %s". */

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

/* Switching drops every link: not more often than the switch interval
 * (counted from the start when the node never switched). */
static gboolean
switched_too_recently (const ShoalRoleThresholds *thresholds,
                       const ShoalRoleFacts      *facts,
                       const char               **why)
{
  if (facts->since_switch_s >= thresholds->switch_interval_s)
    return FALSE;
  if (why != NULL)
    *why = facts->since_switch_s < facts->uptime_s ? N_("switched roles too recently")
                                                   : N_("started too recently to switch roles");
  return TRUE;
}

/* Every condition, cheapest to check first: the first one missing is the
 * reason a leaf stays a leaf. The switch interval comes last: it only
 * matters once the leaf could promote. */
static ShoalRoleDecision
decide_as_leaf (const ShoalRoleThresholds *thresholds,
                const ShoalRoleFacts      *facts,
                const char               **why)
{
  if (!facts->reachable)
    return keep (why, N_("not reachable from outside (no incoming link, no connect-back)"));
  if (facts->uptime_s < thresholds->min_uptime_s)
    return keep (why, N_("not up long enough"));
  if (facts->descriptors < thresholds->min_descriptors)
    return keep (why, N_("too few file descriptors"));
  if (facts->upload_kbps < thresholds->min_upload_kbps)
    return keep (why, N_("too little upload bandwidth"));
  if (!facts->ultrapeers_wanted)
    return keep (why, N_("no ultrapeer asked for more ultrapeers"));
  if (switched_too_recently (thresholds, facts, why))
    return SHOAL_ROLE_KEEP;
  if (why != NULL)
    *why = N_("capable, and the network wants ultrapeers");
  return SHOAL_ROLE_PROMOTE;
}

static ShoalRoleDecision
decide_as_ultrapeer (const ShoalRoleThresholds *thresholds,
                     const ShoalRoleFacts      *facts,
                     const char               **why)
{
  if (facts->leafless_s < thresholds->demote_after_s)
    return keep (why, N_("has leaves, or has not been without them for long"));
  if (switched_too_recently (thresholds, facts, why))
    return SHOAL_ROLE_KEEP;
  if (why != NULL)
    *why = N_("had no leaf for too long as an ultrapeer");
  return SHOAL_ROLE_DEMOTE;
}

/* The decision is the same whichever condition is checked first; the
 * order only chooses the reason given, the one that tells the most. */
ShoalRoleDecision
shoal_role_policy_decide (const ShoalRoleThresholds *thresholds,
                          const ShoalRoleFacts      *facts,
                          const char               **why)
{
  g_return_val_if_fail (thresholds != NULL && facts != NULL, SHOAL_ROLE_KEEP);

  if (facts->ultrapeer)
    return decide_as_ultrapeer (thresholds, facts, why);
  return decide_as_leaf (thresholds, facts, why);
}

/* LAN election ---------------------------------------------------------------- */

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
    return elected (why, SHOAL_LAN_ROLE_NONE, N_("linked to ultrapeers beyond the LAN"));
  /* Sorted, each GUID is counted once, and those before ours are the
   * nodes that rank before us. */
  sorted = g_memdup2 (peers, (gsize) n_peers * sizeof *peers);
  if (n_peers > 0)
    qsort (sorted, n_peers, sizeof *sorted, shoal_guid_compare);
  for (guint i = 0; i < n_peers; i++)
    {
      gint order = shoal_guid_compare (&sorted[i], self);

      if (order == 0 || (i > 0 && shoal_guid_compare (&sorted[i], &sorted[i - 1]) == 0))
        continue;
      others++;
      smaller += order < 0;
    }
  if (others == 0)
    return elected (why, SHOAL_LAN_ROLE_NONE, N_("no other Shoal node on the LAN"));
  nodes = others + 1;
  if (nodes <= SHOAL_LAN_MESH_MAX)
    return elected (why, SHOAL_LAN_ROLE_ULTRAPEER,
                    N_("on a small LAN every node is an ultrapeer"));
  ultrapeers = MAX (SHOAL_LAN_MIN_ULTRAPEERS,
                    (nodes + SHOAL_LAN_LEAVES_PER_ULTRAPEER - 1) / SHOAL_LAN_LEAVES_PER_ULTRAPEER);
  if (smaller < ultrapeers)
    return elected (why, SHOAL_LAN_ROLE_ULTRAPEER,
                    N_("elected by the LAN: one of its smallest GUIDs"));
  return elected (why, SHOAL_LAN_ROLE_LEAF,
                  N_("on a large LAN the nodes with the smallest GUIDs are the ultrapeers"));
}
