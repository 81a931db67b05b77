/* shoal-node-manager.h — keeps this node inside the network: accepts and
 * dials links, keeps the slots of its role filled, answers pings from the
 * pong cache and learns hosts from everything peers say. */
#pragma once

#include <gio/gio.h>

#include "shoal-host-cache.h"
#include "shoal-lan-discovery.h"
#include "shoal-link.h"
#include "shoal-listener.h"
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
  guint64           id;         /* the link's id, never 0 */
  ShoalIpv4Endpoint remote;     /* where it is connected */
  ShoalIpv4Endpoint listen;     /* where it says it accepts connections */
  ShoalPeerRole     role;       /* the peer's role */
  gboolean          outgoing;
  char             *user_agent;
  ShoalGuid         guid;       /* its servent GUID, zero if it sent none */
  /* What its handshake said it does: last-hop QRP
   * (X-Ultrapeer-Query-Routing), X-Max-TTL and X-Degree (0 unknown). */
  gboolean          last_hop_qrp;
  guint8            max_ttl;
  guint             degree;
  /* A link on the LAN: to a peer found by LAN discovery, or from a LAN
   * address (shoal_host_is_lan()) while LAN discovery or LAN-only mode is
   * on. */
  gboolean          lan;
  /* When the handshake finished (monotonic clock, g_get_monotonic_time()):
   * how long the link has been up. */
  gint64            connected_usec;
} ShoalPeerInfo;

/* LAN discovery as the manager runs it. */
typedef struct
{
  ShoalLanState  state;         /* OFF when the setting is off */
  const char    *reason;        /* why it is UNAVAILABLE; NULL otherwise */
  const char    *service_name;  /* what we publish as; NULL before it is */
  guint          peers;         /* Shoal peers announced on the LAN now */
  gboolean       lan_only;
} ShoalNodeLanStatus;

void              shoal_peer_info_free             (ShoalPeerInfo *info);

ShoalNodeManager *shoal_node_manager_new           (const ShoalNodeConfig *config);
/* Opens the host cache, starts listening and dialling. */
gboolean          shoal_node_manager_start         (ShoalNodeManager  *self,
                                                    GError           **error);
/* Says BYE 200 to every peer, stops listening and saves the host cache. */
void              shoal_node_manager_shutdown      (ShoalNodeManager *self);

/* Takes what of @config can change while the node runs: role mode
 * (a fixed role at once, its links closed), slots, max dials, role
 * thresholds, upload bandwidth, anchors (new ones dialled first),
 * anchors-only, the bootstrap sources, LAN discovery (started or
 * stopped) and the manual peers (new ones dialled at once, the ones
 * removed no longer redialled). Listen address, port, folders,
 * allow_private and lan_only stay as they were. */
void              shoal_node_manager_update_config (ShoalNodeManager      *self,
                                                    const ShoalNodeConfig *config);
/* The settings in effect (transfer none). */
const ShoalNodeConfig *shoal_node_manager_get_config (ShoalNodeManager *self);

guint16           shoal_node_manager_get_port      (ShoalNodeManager *self);
const ShoalGuid  *shoal_node_manager_get_guid      (ShoalNodeManager *self);
ShoalPeerRole     shoal_node_manager_get_role      (ShoalNodeManager *self);
guint             shoal_node_manager_get_link_count (ShoalNodeManager *self);
ShoalHostCache   *shoal_node_manager_get_host_cache (ShoalNodeManager *self);
/* The one port's listener, for the other protocols on it (HTTP, GIV);
 * NULL before start (transfer none). */
ShoalListener    *shoal_node_manager_get_listener  (ShoalNodeManager *self);
/* GPtrArray of ShoalPeerInfo*, one per established link that is not
 * closing. */
GPtrArray        *shoal_node_manager_list_peers    (ShoalNodeManager *self);
/* What our pongs say we share (the library's totals). */
void              shoal_node_manager_set_shared    (ShoalNodeManager *self,
                                                    guint32           files,
                                                    guint32           kbytes);
/* Our address as peers see it (port included); 0.0.0.0:0 until a peer
 * told us. */
ShoalIpv4Endpoint shoal_node_manager_get_advertised (ShoalNodeManager *self);
/* Whether a peer ever reached us: an incoming link proves we are not
 * firewalled. */
gboolean          shoal_node_manager_get_reachable (ShoalNodeManager *self);
/* Promotions and demotions since start. */
guint             shoal_node_manager_get_role_switches (ShoalNodeManager *self);
/* HTTP requests (uploads, browses) and GIVs refused since start because
 * they came from beyond the LAN in LAN-only mode: closed unanswered
 * before the listener's other handlers see them, as links from there
 * are. */
guint64           shoal_node_manager_get_refused_transfers (ShoalNodeManager *self);
/* Why the role is what it is: the reason of the last role decision, a
 * role kept as well as a switch — the settings fixing it, the LAN's
 * election (shoal_role_policy_elect_lan()) or the automatic policy's
 * (shoal_role_policy_decide()), which automatic mode asks every tick.
 * A static English sentence marked with N_(): show it through _().
 * Changes are notified as "role-reason". */
const char       *shoal_node_manager_get_role_reason (ShoalNodeManager *self);
/* LAN discovery now; the texts are borrowed until the main loop runs. */
void              shoal_node_manager_get_lan_status (ShoalNodeManager   *self,
                                                     ShoalNodeLanStatus *status);
/* Whether this node may connect to @endpoint for anything but a link it
 * chose itself (a push's GIV): dialable by the settings, or on the LAN
 * and announced there or a manual peer; in LAN-only mode, a LAN address. */
gboolean          shoal_node_manager_may_connect   (ShoalNodeManager        *self,
                                                    const ShoalIpv4Endpoint *endpoint);
/* Whether a Shoal peer is announced on the LAN (mDNS) at @endpoint right
 * now: FALSE once it is gone, or while LAN discovery is off or without
 * avahi-daemon. ::lan-peers-changed says when the answer may change. */
gboolean          shoal_node_manager_is_lan_peer   (ShoalNodeManager        *self,
                                                    const ShoalIpv4Endpoint *endpoint);
/* Connects to @endpoint as our own dials do (from our listen address
 * when one is set), giving up after @timeout_s and at shutdown; the
 * callback finishes with g_socket_client_connect_finish() on its source
 * object. For connections that are not links: connect-backs, GIVs. */
void              shoal_node_manager_connect_async (ShoalNodeManager        *self,
                                                    const ShoalIpv4Endpoint *endpoint,
                                                    guint                    timeout_s,
                                                    GAsyncReadyCallback      callback,
                                                    gpointer                 user_data);
/* Dials @endpoint as a link now, whatever the slots say (the user asked
 * for it); finishes once the connection and handshake are over, with the
 * new link's id from dial_finish(), or 0 and an error saying why not
 * (already linked or dialling, not a LAN address in LAN-only mode, no
 * answer, the handshake refused...). */
void              shoal_node_manager_dial_async    (ShoalNodeManager        *self,
                                                    const ShoalIpv4Endpoint *endpoint,
                                                    GAsyncReadyCallback      callback,
                                                    gpointer                 user_data);
guint64           shoal_node_manager_dial_finish   (ShoalNodeManager  *self,
                                                    GAsyncResult      *result,
                                                    GError           **error);
/* Queues a whole message on link @link_id; FALSE when there is no such
 * link or its queue refused it. */
gboolean          shoal_node_manager_send          (ShoalNodeManager  *self,
                                                    guint64            link_id,
                                                    GBytes            *message,
                                                    ShoalLinkPriority  priority);
/* Says BYE @code with @reason on link @link_id. */
void              shoal_node_manager_close_link    (ShoalNodeManager *self,
                                                    guint64           link_id,
                                                    guint16           code,
                                                    const char       *reason);
gsize             shoal_node_manager_get_queued_bytes (ShoalNodeManager *self,
                                                       guint64           link_id);
/* Every link's traffic counters added up, the closed ones' included:
 * the node's traffic since it started. */
void              shoal_node_manager_get_traffic   (ShoalNodeManager *self,
                                                    ShoalLinkStats   *totals);
/* The link's traffic counters; FALSE when there is no such link. */
gboolean          shoal_node_manager_get_link_stats (ShoalNodeManager *self,
                                                     guint64           link_id,
                                                     ShoalLinkStats   *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalPeerInfo, shoal_peer_info_free)

G_END_DECLS
