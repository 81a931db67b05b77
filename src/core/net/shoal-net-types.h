/* shoal-net-types.h — what the net layer's parts share about this node and
 * its peers: roles, the node's own state, and named limits. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"
#include "shoal-ipv4.h"

G_BEGIN_DECLS

#define SHOAL_USER_AGENT "Shoal/" PACKAGE_VERSION
/* Vendor code in pongs and query hits (DESIGN.md). */
#define SHOAL_VENDOR_CODE_STRING "SHOL"

#define SHOAL_NET_ERROR (shoal_net_error_quark ())

/**
 * ShoalNetError:
 * @SHOAL_NET_ERROR_REFUSED: the peer (or we) refused the connection; the
 *   message holds the handshake status and reason
 * @SHOAL_NET_ERROR_TIMEOUT: a connect, handshake or read took too long
 * @SHOAL_NET_ERROR_PROTOCOL: the peer broke the protocol (malformed input)
 * @SHOAL_NET_ERROR_TOO_LARGE: the peer sent more than a limit allows
 * @SHOAL_NET_ERROR_CLOSED: the link was closed (by either side)
 * @SHOAL_NET_ERROR_UNREACHABLE: no route, connection refused, bad address
 */
typedef enum
{
  SHOAL_NET_ERROR_REFUSED,
  SHOAL_NET_ERROR_TIMEOUT,
  SHOAL_NET_ERROR_PROTOCOL,
  SHOAL_NET_ERROR_TOO_LARGE,
  SHOAL_NET_ERROR_CLOSED,
  SHOAL_NET_ERROR_UNREACHABLE,
} ShoalNetError;

GQuark shoal_net_error_quark (void);

typedef enum
{
  SHOAL_PEER_ROLE_LEAF,
  SHOAL_PEER_ROLE_ULTRAPEER,
} ShoalPeerRole;

/* What a handshake needs to know about this node to speak for it. The
 * node manager keeps it current. */
typedef struct
{
  ShoalGuid         servent_guid;
  ShoalPeerRole     role;               /* what we are now */
  ShoalIpv4Endpoint listen;             /* our advertised address; 0.0.0.0:0 if unknown */
  gint64            started_usec;       /* wall clock, for X-Live-Since */
  guint             ultrapeer_links;
  guint             ultrapeer_slots;    /* links to ultrapeers we keep at most */
  guint             leaf_links;
  guint             leaf_slots;         /* leaves we accept at most (ultrapeer mode) */
  gboolean          allow_private;      /* LAN / loopback test mode */
} ShoalNodeState;

G_END_DECLS
