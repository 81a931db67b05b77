/* shoal-role-policy.c — promotion to ultrapeer and demotion to leaf. */
#include "shoal-role-policy.h"

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
