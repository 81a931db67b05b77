/* shoal-lan-discovery.h — Shoal peers on the local network through
 * mDNS/DNS-SD (Avahi): we publish a _gnutella._tcp service on our port
 * with TXT records, browse for the same type, resolve what appears (IPv4)
 * and report each peer. Runs in the GLib main loop (avahi-glib). Without
 * a system bus or avahi-daemon it says why, once, and keeps waiting for
 * the daemon; a daemon that appears later is picked up. */
#pragma once

#include <gio/gio.h>

#include "shoal-guid.h"
#include "shoal-ipv4.h"
#include "shoal-net-types.h"

G_BEGIN_DECLS

#define SHOAL_LAN_SERVICE_TYPE "_gnutella._tcp"
/* TXT record keys ("guid=<32 hex>", "vendor=SHOL", "role=leaf",
 * "version=0.1.0"). */
#define SHOAL_LAN_TXT_GUID "guid"
#define SHOAL_LAN_TXT_VENDOR "vendor"
#define SHOAL_LAN_TXT_ROLE "role"
#define SHOAL_LAN_TXT_VERSION "version"
/* Without a system bus, how often we look for one again. */
#define SHOAL_LAN_RETRY_S 10

typedef enum
{
  SHOAL_LAN_STATE_OFF,          /* not started, or stopped */
  SHOAL_LAN_STATE_STARTING,     /* connected to avahi-daemon, registering */
  SHOAL_LAN_STATE_RUNNING,      /* published and browsing */
  SHOAL_LAN_STATE_UNAVAILABLE,  /* no bus, no daemon, or built without
                                 * Avahi: get_reason() says which */
} ShoalLanState;

#define SHOAL_TYPE_LAN_STATE (shoal_lan_state_get_type ())
GType shoal_lan_state_get_type (void) G_GNUC_CONST;

/* A peer as its service announces it. */
typedef struct
{
  char              *name;       /* the service name, unique on the LAN */
  ShoalIpv4Endpoint  endpoint;   /* resolved IPv4 address and port */
  ShoalGuid          guid;       /* zero when its TXT had none */
  gboolean           has_guid;
  ShoalPeerRole      role;       /* SHOAL_PEER_ROLE_LEAF unless TXT says ultrapeer */
  char              *vendor;     /* may be NULL */
  char              *version;    /* may be NULL */
} ShoalLanPeer;

ShoalLanPeer *shoal_lan_peer_copy (const ShoalLanPeer *peer);
void          shoal_lan_peer_free (ShoalLanPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalLanPeer, shoal_lan_peer_free)

#define SHOAL_TYPE_LAN_DISCOVERY (shoal_lan_discovery_get_type ())
G_DECLARE_FINAL_TYPE (ShoalLanDiscovery, shoal_lan_discovery, SHOAL, LAN_DISCOVERY, GObject)

/* @service_name: NULL for "Shoal on <host name>"; renamed as Avahi asks
 * on a collision ("Shoal on host #2"). */
ShoalLanDiscovery *shoal_lan_discovery_new          (const ShoalGuid *guid,
                                                     guint16          port,
                                                     ShoalPeerRole    role,
                                                     const char      *service_name);
/* Connects to avahi-daemon on the thread-default main context; what
 * happens is told by ::notify::state and the signals. */
void               shoal_lan_discovery_start        (ShoalLanDiscovery *self);
/* Withdraws the service and forgets the peers (no ::peer-lost). */
void               shoal_lan_discovery_stop         (ShoalLanDiscovery *self);
/* Our role changed: the TXT record follows. */
void               shoal_lan_discovery_set_role     (ShoalLanDiscovery *self,
                                                     ShoalPeerRole      role);

/* Seconds between looks for a system bus (SHOAL_LAN_RETRY_S unless
 * set); tests shorten it. */
void               shoal_lan_discovery_set_retry_interval (ShoalLanDiscovery *self,
                                                           guint              seconds);

ShoalLanState      shoal_lan_discovery_get_state    (ShoalLanDiscovery *self);
/* Why it is UNAVAILABLE ("no system D-Bus", "avahi-daemon is not
 * running", "built without Avahi"...); NULL otherwise. */
const char        *shoal_lan_discovery_get_reason   (ShoalLanDiscovery *self);
/* The name published, after any renaming; NULL before it is. */
const char        *shoal_lan_discovery_get_service_name (ShoalLanDiscovery *self);
/* The peers resolved now, ours excluded (a new array of ShoalLanPeer). */
GPtrArray         *shoal_lan_discovery_list_peers   (ShoalLanDiscovery *self);

/* Signals:
 *   ::peer-found (const ShoalLanPeer *peer): resolved, or resolved again
 *     with new data (address, port or TXT changed);
 *   ::peer-lost (const char *name): its service went away, or we lost
 *     sight of the LAN (avahi-daemon or the bus went away; the peers are
 *     found again when it is back), or the name turned out to be ours.
 * Our own service (by GUID) is never reported. */

G_END_DECLS
