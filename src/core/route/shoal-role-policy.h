/* shoal-role-policy.h — when a node in automatic mode should become an
 * ultrapeer, and when it should go back to being a leaf (gnutella-0.6.md
 * §13, gtk-gnutella's can_become_ultra()). Pure logic over the facts the
 * node manager gathers; every threshold is a setting. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"

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
 * (what is missing for a leaf that stays one, too). The sentences of
 * this file are English marked with N_(): show them through _(). */
ShoalRoleDecision shoal_role_policy_decide (const ShoalRoleThresholds *thresholds,
                                            const ShoalRoleFacts      *facts,
                                            const char               **why);

/* Roles on a LAN. Two leaves cannot link, so Shoal nodes that find each
 * other on a LAN and have no ultrapeer on the internet elect their own.
 * Up to SHOAL_LAN_MESH_MAX nodes every one is an ultrapeer: a full mesh,
 * where a query with any TTL reaches every node. Beyond it, the nodes
 * with the smallest GUIDs are ultrapeers, one per
 * SHOAL_LAN_LEAVES_PER_ULTRAPEER nodes and at least
 * SHOAL_LAN_MIN_ULTRAPEERS; every node computes the same answer from the
 * same announcements, so no vote is needed. */
#define SHOAL_LAN_MESH_MAX 8
#define SHOAL_LAN_LEAVES_PER_ULTRAPEER 30
#define SHOAL_LAN_MIN_ULTRAPEERS 2

typedef enum
{
  SHOAL_LAN_ROLE_NONE,       /* no say: the usual policy decides */
  SHOAL_LAN_ROLE_ULTRAPEER,
  SHOAL_LAN_ROLE_LEAF,
} ShoalLanRole;

/* @peers: the GUIDs the LAN peers announce (duplicates and our own are
 * ignored); @wan_ultrapeer_links: we have links to ultrapeers that are
 * not on the LAN, so the LAN is already joined to a network and has no
 * say. *@why (may be NULL) gets a static sentence. */
ShoalLanRole      shoal_role_policy_elect_lan (const ShoalGuid  *self,
                                               const ShoalGuid  *peers,
                                               guint             n_peers,
                                               gboolean          wan_ultrapeer_links,
                                               const char      **why);

G_END_DECLS
