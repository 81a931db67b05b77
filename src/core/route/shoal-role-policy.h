/* shoal-role-policy.h — when a node in automatic mode should become an
 * ultrapeer, and when it should go back to being a leaf (gnutella-0.6.md
 * §13, gtk-gnutella's can_become_ultra()). Pure logic over the facts the
 * node manager gathers; every threshold is a setting. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* gtk-gnutella's values: an hour up before promotion (NODE_MIN_UPTIME),
 * half an hour between switches (NODE_AUTO_SWITCH_MIN), demotion after an
 * hour without leaves (NODE_UP_NO_LEAF_MAX). */
#define SHOAL_ROLE_DEFAULT_MIN_UPTIME_S 3600
#define SHOAL_ROLE_DEFAULT_SWITCH_INTERVAL_S 1800
#define SHOAL_ROLE_DEFAULT_DEMOTE_AFTER_S 3600
/* Descriptors an ultrapeer needs: its peer and leaf slots, uploads,
 * downloads and the files it reads, with room to spare. */
#define SHOAL_ROLE_DEFAULT_MIN_DESCRIPTORS 1024
/* Upstream an ultrapeer needs to route for 300 leaves and 32 peers. */
#define SHOAL_ROLE_DEFAULT_MIN_UPLOAD_KBPS 256
/* What a node assumes of its upstream when the user did not say. */
#define SHOAL_ROLE_DEFAULT_UPLOAD_KBPS 1024
/* How long an "X-Ultrapeer-Needed: True" from a peer stays news. */
#define SHOAL_ROLE_WANTED_VALID_S 600

typedef struct
{
  guint min_uptime_s;
  guint switch_interval_s;
  guint demote_after_s;
  guint min_descriptors;
  guint min_upload_kbps;
} ShoalRoleThresholds;

typedef struct
{
  gboolean ultrapeer;            /* what the node is now */
  guint64  uptime_s;
  guint64  since_switch_s;       /* since start when it never switched */
  gboolean reachable;            /* an incoming link or a connect-back came */
  guint    descriptors;          /* the soft RLIMIT_NOFILE */
  guint    upload_kbps;          /* as the user declared it */
  gboolean ultrapeers_wanted;    /* a peer said X-Ultrapeer-Needed: True lately */
  guint64  leafless_s;           /* as an ultrapeer: how long without a leaf */
} ShoalRoleFacts;

typedef enum
{
  SHOAL_ROLE_KEEP,
  SHOAL_ROLE_PROMOTE,
  SHOAL_ROLE_DEMOTE,
} ShoalRoleDecision;

void              shoal_role_thresholds_init_default (ShoalRoleThresholds *thresholds);

/* What to do now; *@why (may be NULL) gets a static sentence saying why
 * (what is missing for a leaf that stays one, too). */
ShoalRoleDecision shoal_role_policy_decide (const ShoalRoleThresholds *thresholds,
                                            const ShoalRoleFacts      *facts,
                                            const char               **why);

G_END_DECLS
