/* shoal-node-manager.h — keeps this node inside the network: accepts and
 * dials links, keeps the slots of its role filled, answers pings from the
 * pong cache and learns hosts from everything peers say. */
#pragma once

#include <gio/gio.h>

#include "shoal-host-cache.h"
#include "shoal-net-types.h"
#include "shoal-node-config.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_NODE_MANAGER (shoal_node_manager_get_type ())
G_DECLARE_FINAL_TYPE (ShoalNodeManager, shoal_node_manager, SHOAL, NODE_MANAGER, GObject)

/* How often the manager looks at its slots and dials what is missing. */
#define SHOAL_NODE_MANAGER_TICK_MS 1000
/* A dial that has not connected and handshaked by then is given up. */
#define SHOAL_NODE_MANAGER_CONNECT_TIMEOUT_S 10
/* An ultrapeer dials this share of its peer slots itself; the rest come
 * to it (gtk-gnutella dials until up_connections are up). */
#define SHOAL_NODE_MANAGER_DIAL_SHARE 4

/* One link as the manager reports it. */
typedef struct
{
  ShoalIpv4Endpoint remote;     /* where it is connected */
  ShoalIpv4Endpoint listen;     /* where it says it accepts connections */
  ShoalPeerRole     role;       /* the peer's role */
  gboolean          outgoing;
  char             *user_agent;
} ShoalPeerInfo;

void              shoal_peer_info_free             (ShoalPeerInfo *info);

ShoalNodeManager *shoal_node_manager_new           (const ShoalNodeConfig *config);
/* Opens the host cache, starts listening and dialling. */
gboolean          shoal_node_manager_start         (ShoalNodeManager  *self,
                                                    GError           **error);
/* Says BYE 200 to every peer, stops listening and saves the host cache. */
void              shoal_node_manager_shutdown      (ShoalNodeManager *self);

guint16           shoal_node_manager_get_port      (ShoalNodeManager *self);
const ShoalGuid  *shoal_node_manager_get_guid      (ShoalNodeManager *self);
ShoalPeerRole     shoal_node_manager_get_role      (ShoalNodeManager *self);
guint             shoal_node_manager_get_link_count (ShoalNodeManager *self);
ShoalHostCache   *shoal_node_manager_get_host_cache (ShoalNodeManager *self);
/* GPtrArray of ShoalPeerInfo*, one per established link. */
GPtrArray        *shoal_node_manager_list_peers    (ShoalNodeManager *self);
/* What our pongs say we share (the library's totals). */
void              shoal_node_manager_set_shared    (ShoalNodeManager *self,
                                                    guint32           files,
                                                    guint32           kbytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalPeerInfo, shoal_peer_info_free)

G_END_DECLS
