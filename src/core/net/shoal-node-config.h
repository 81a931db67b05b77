/* shoal-node-config.h — every setting of the overlay in one place, with its
 * default: what the daemon's options and (later) the preferences set. */
#pragma once

#include <glib.h>

#include "shoal-ipv4.h"
#include "shoal-role-policy.h"

G_BEGIN_DECLS

typedef enum
{
  SHOAL_ROLE_MODE_AUTO,       /* leaf, promoted when capable, demoted when useless */
  SHOAL_ROLE_MODE_LEAF,
  SHOAL_ROLE_MODE_ULTRAPEER,
} ShoalRoleMode;

/* gtk-gnutella's defaults scaled to a small servent: a leaf keeps a few
 * ultrapeers (GTKG max_ultrapeers = 4, the dynamic-query spec ~3); an
 * ultrapeer keeps a few dozen peers and a few hundred leaves. */
#define SHOAL_DEFAULT_PORT 6346
#define SHOAL_DEFAULT_LEAF_ULTRAPEER_SLOTS 3
#define SHOAL_DEFAULT_ULTRAPEER_PEER_SLOTS 32
#define SHOAL_DEFAULT_ULTRAPEER_LEAF_SLOTS 300
/* Outgoing connection attempts under way at once. */
#define SHOAL_DEFAULT_MAX_DIALS 4
/* Uploads served at once: gtk-gnutella's default; a few dozen at most,
 * each one a share of the upstream. */
#define SHOAL_DEFAULT_UPLOAD_SLOTS 4
#define SHOAL_MIN_UPLOAD_SLOTS 1
#define SHOAL_MAX_UPLOAD_SLOTS 64

typedef struct
{
  char          *listen_address;   /* NULL: every address, IPv4 and IPv6 */
  guint16        port;             /* 0: pick one */
  char          *data_dir;         /* hosts.db lives here */
  char          *download_dir;     /* finished downloads; NULL: the user's
                                    * Downloads folder */
  gboolean       browse_host;      /* others may list our shared files */
  ShoalRoleMode  role_mode;
  GPtrArray     *anchors;          /* "host:port" texts, resolved when dialled first */
  gboolean       allow_private;    /* LAN and loopback tests */
  /* Find Shoal peers on the local network with mDNS/DNS-SD (Avahi) and
   * publish ourselves there; they are dialled first. */
  gboolean       lan_discovery;
  /* Private addresses only (RFC 1918, link-local, 100.64/10; loopback
   * too with allow_private), dialled and accepted: no internet host, no
   * bootstrap cache. */
  gboolean       lan_only;
  /* "host:port" texts the user added: dialled first and redialled for as
   * long as they stay here, private addresses too. */
  GPtrArray     *manual_peers;
  gboolean       default_bootstrap;
  /* Dial nothing but the anchors: a fixed topology (private networks,
   * tests); incoming links are still accepted. */
  gboolean       anchors_only;
  /* Bootstrap sources replacing the built-in lists when non-NULL:
   * "host:port" UDP host caches and http:// GWebCache URLs. */
  GStrv          udp_host_caches;
  GStrv          gwebcaches;
  guint          leaf_ultrapeer_slots;
  guint          ultrapeer_peer_slots;
  guint          ultrapeer_leaf_slots;
  guint          max_dials;
  /* How often an ultrapeer patches its peers' copy of its merged QRP
   * table when it changed; 0: the router's default (about a minute). */
  guint          qrp_period_ms;
  /* Automatic mode: when to promote and demote (shoal-role-policy.h),
   * and the upstream the user says we have. */
  ShoalRoleThresholds role_thresholds;
  guint          upload_kbps;
  /* Uploads at once (SHOAL_MIN_UPLOAD_SLOTS to SHOAL_MAX_UPLOAD_SLOTS). */
  guint          upload_slots;
  /* Caps on all uploads and on all downloads together, in kbit/s; 0: no
   * cap. Unlike upload_kbps, which only says what the line can do. */
  guint          upload_limit_kbps;
  guint          download_limit_kbps;
} ShoalNodeConfig;

ShoalNodeConfig *shoal_node_config_new_default (void);
ShoalNodeConfig *shoal_node_config_copy        (const ShoalNodeConfig *config);
void             shoal_node_config_free        (ShoalNodeConfig *config);
/* "host:port" (a name or an IPv4 address, a port 1–65535); FALSE with a
 * clear error on anything else. */
gboolean         shoal_node_config_add_anchor  (ShoalNodeConfig *config,
                                                const char      *text,
                                                GError         **error);

/* The same rule for a manual peer. */
gboolean         shoal_node_config_add_manual_peer (ShoalNodeConfig *config,
                                                    const char      *text,
                                                    GError         **error);
/* Whether @text is one of the manual peers already. */
gboolean         shoal_node_config_has_manual_peer (const ShoalNodeConfig *config,
                                                    const char            *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalNodeConfig, shoal_node_config_free)

G_END_DECLS
