/* shoal-node-manager.c — keeps this node inside the network. */
#include "shoal-node-manager.h"

#include "shoal-bootstrap.h"
#include "shoal-bytes.h"
#include "shoal-gnutella-handshake.h"
#include "shoal-link.h"
#include "shoal-listener.h"
#include "shoal-message.h"
#include "shoal-pong-cache.h"
#include "shoal-role-policy.h"

#include <glib/gi18n.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

/* Pongs we answer a discovery ping with also pack this many hosts in GGEP
 * IPP when the ping asked with SCP: 120 bytes, well inside a pong's GGEP. */
#define IPP_HOSTS 20
/* Below this many known hosts a new outgoing link asks for more with a
 * TTL 4 ping carrying SCP; above it a TTL 1 ping is enough. */
#define FEW_HOSTS 20
#define DISCOVERY_TTL 4
/* While the host cache is short, a random peer is asked for hosts this
 * often (gtk-gnutella pings part of its neighbours to refresh its cache). */
#define DISCOVERY_INTERVAL_USEC (5 * G_USEC_PER_SEC)
/* Highest TTL we give our pongs (gtk-gnutella's max_ttl). */
#define MAX_PONG_TTL 4
/* While no link is up, anchors are dialled again after this delay, which
 * doubles after each fruitless round up to the cap; a link resets it. */
#define ANCHOR_RETRY_MIN_USEC (5 * G_USEC_PER_SEC)
#define ANCHOR_RETRY_MAX_USEC (300 * G_USEC_PER_SEC)
/* How long the connect-back probe to a leaf may take to connect. */
#define CONNECT_BACK_TIMEOUT_S 10
/* Our version byte in GGEP "VC", and the QRP version in "UP". */
#define VENDOR_VERSION 0x01
#define UP_QRP_VERSION 0x02
/* Manual and LAN peers are dialled again this long after a failed
 * attempt, doubling up to the cap; a link resets it. They are few and
 * the user wants them: a short wait. */
#define PREFERRED_RETRY_MIN_USEC (2 * G_USEC_PER_SEC)
#define PREFERRED_RETRY_MAX_USEC (120 * G_USEC_PER_SEC)
/* Why the role is what it is when the settings fix it; marked for
 * translation like the policy's sentences (shoal-role-policy.h). */
#define ROLE_REASON_FIXED N_("fixed in the settings")

/* Manual and LAN peers: dialled before anything else, and again
 * whenever there is no link to them. */
typedef enum
{
  PREFERRED_MANUAL,   /* keyed by its "host:port" */
  PREFERRED_LAN,      /* keyed by its service name */
} PreferredKind;

typedef struct
{
  PreferredKind      kind;
  char              *name;
  ShoalIpv4Endpoint  endpoint;        /* 0.0.0.0:0 until a host name resolves */
  ShoalGuid          guid;
  gboolean           has_guid;
  ShoalPeerRole      role;            /* as a LAN peer announces it */
  gboolean           dialing;
  gboolean           refused;         /* never to be dialled (LAN-only mode...) */
  gint64             next_dial_usec;  /* monotonic */
  gint64             retry_usec;
} Preferred;

typedef struct
{
  ShoalNodeManager  *manager;     /* borrowed: peers die with it */
  guint64            id;
  ShoalLink         *link;
  ShoalIpv4Endpoint  remote;
  ShoalIpv4Endpoint  listen;
  ShoalGuid          guid;
  gboolean           has_guid;
  ShoalPeerRole      role;
  gboolean           outgoing;
  char              *user_agent;
  gboolean           last_hop_qrp;
  guint8             max_ttl;
  guint              degree;
  gboolean           connect_back_done;  /* we probed it once already */
  gboolean           preferred;          /* we dialled it as a manual or LAN peer */
  gint64             connected_usec;     /* monotonic: when it became a link */
} Peer;

struct _ShoalNodeManager
{
  GObject               parent_instance;

  ShoalNodeConfig      *config;
  ShoalGuid             guid;
  ShoalPeerRole         role;
  gint64                started_usec;
  ShoalIpv4Endpoint     advertised;     /* our address as peers see it */
  gboolean              reachable;      /* an incoming link or a connect-back came */
  gint64                started_mono_usec;
  gint64                last_switch_usec;     /* role change, or start */
  guint                 role_switches;
  guint64               refused_transfers; /* HTTP and GIV refused by LAN-only mode */
  const char           *role_reason;    /* the last role decision's why (static) */
  gint64                leafless_since_usec;  /* as an ultrapeer; 0: has leaves */
  gint64                ultrapeers_wanted_usec; /* last X-Ultrapeer-Needed: True */
  guint32               shared_files;
  guint32               shared_kbytes;

  ShoalListener        *listener;
  ShoalHostCache       *hosts;
  ShoalPongCache       *pongs;
  ShoalHandshakePolicy  policy;
  GCancellable         *cancellable;
  guint                 tick;

  GHashTable           *peers;          /* id → Peer* */
  ShoalLinkStats        closed_traffic; /* what the links gone had counted */
  guint64               next_peer_id;
  GHashTable           *dialing;        /* endpoint keys being dialled */
  guint                 dials_in_flight;
  GQueue                anchors;        /* "host:port" still to dial this round */
  gint64                anchors_queued_usec;
  gint64                anchor_retry_usec;
  gint64                last_discovery_usec;
  GSocket              *udp;            /* our port, for UDP host caches */
  ShoalBootstrap       *bootstrap;

  ShoalLanDiscovery    *lan;            /* NULL while LAN discovery is off */
  const char           *lan_off_reason; /* on, but not started: why (static) */
  GHashTable           *lan_peers;      /* service name → Preferred* */
  GHashTable           *manual_peers;   /* "host:port" → Preferred* */
  guint                 lan_review;     /* idle source: the LAN changed */
  GHashTable           *refusals_said;  /* names refused once in the log */
};

enum
{
  PROP_0,
  PROP_LINK_COUNT,
  PROP_ROLE,
  PROP_REACHABLE,
  PROP_ROLE_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_LINK_ADDED,
  SIGNAL_LINK_REMOVED,
  SIGNAL_MESSAGE_RECEIVED,
  SIGNAL_LAN_PEERS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalNodeManager, shoal_node_manager, G_TYPE_OBJECT)

/* Helpers ------------------------------------------------------------------ */

static ShoalNodeState policy_get_state (gpointer user_data);
static gboolean       peer_is_lan      (ShoalNodeManager *self,
                                        const Peer       *peer);

void
shoal_peer_info_free (ShoalPeerInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->user_agent);
  g_free (info);
}

static gint64 *
endpoint_key (const ShoalIpv4Endpoint *endpoint)
{
  gint64 *key = g_new (gint64, 1);

  *key = ((gint64) endpoint->address << 16) | endpoint->port;
  return key;
}

static gboolean
endpoint_is_set (const ShoalIpv4Endpoint *endpoint)
{
  return endpoint->address != 0 && endpoint->port != 0;
}

static gboolean
same_endpoint (const ShoalIpv4Endpoint *a,
               const ShoalIpv4Endpoint *b)
{
  return a->address == b->address && a->port == b->port;
}

static Preferred *
preferred_new (PreferredKind  kind,
               const char    *name)
{
  Preferred *preferred = g_new0 (Preferred, 1);

  preferred->kind = kind;
  preferred->name = g_strdup (name);
  return preferred;
}

static void
preferred_free (gpointer pointer)
{
  Preferred *preferred = pointer;

  g_free (preferred->name);
  g_free (preferred);
}

static void
peer_free (gpointer pointer)
{
  Peer *peer = pointer;

  if (peer->link != NULL)
    g_signal_handlers_disconnect_by_data (peer->link, peer);
  g_clear_object (&peer->link);
  g_free (peer->user_agent);
  g_free (peer);
}

static guint
count_peers (ShoalNodeManager *self,
             ShoalPeerRole     role)
{
  GHashTableIter iter;
  gpointer value;
  guint count = 0;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    count += ((Peer *) value)->role == role;
  return count;
}

static gboolean
is_connected_to (ShoalNodeManager        *self,
                 const ShoalIpv4Endpoint *endpoint,
                 const ShoalGuid         *guid)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *peer = value;

      if (endpoint != NULL &&
          (same_endpoint (&peer->remote, endpoint) || same_endpoint (&peer->listen, endpoint)))
        return TRUE;
      if (guid != NULL && peer->has_guid && shoal_guid_equal (&peer->guid, guid))
        return TRUE;
    }
  return FALSE;
}

/* Addresses ----------------------------------------------------------------- */

static gboolean
is_loopback (const ShoalIpv4Endpoint *endpoint)
{
  /* shoal_host_is_lan() takes loopback only when told to. */
  return shoal_host_is_lan (endpoint, TRUE) && !shoal_host_is_lan (endpoint, FALSE);
}

/* What LAN-only mode allows of everything we dial, and of whom it lets
 * fetch our files or connect back with a GIV. */
static gboolean
may_dial (ShoalNodeManager        *self,
          const ShoalIpv4Endpoint *endpoint)
{
  return !self->config->lan_only || shoal_host_is_lan (endpoint, self->config->allow_private);
}

/* A peer found on the LAN is dialled at whatever address it has, a
 * private one too: it was found there. Loopback only in test mode. */
static gboolean
may_dial_found (ShoalNodeManager        *self,
                const ShoalIpv4Endpoint *endpoint)
{
  if (self->config->lan_only)
    return shoal_host_is_lan (endpoint, self->config->allow_private);
  if (is_loopback (endpoint))
    return self->config->allow_private;
  return shoal_host_is_dialable (endpoint, TRUE);
}

static gboolean
has_address_in (GHashTable *preferred_peers,
                guint32     address)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, preferred_peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Preferred *) value)->endpoint.address == address)
      return TRUE;
  return FALSE;
}

/* The LAN peer announced as @peer's node: by its GUID, or where it
 * listens. */
static Preferred *
find_lan_peer_of (ShoalNodeManager *self,
                  const Peer       *peer)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->lan_peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Preferred *announced = value;

      if (announced->has_guid && peer->has_guid && shoal_guid_equal (&announced->guid, &peer->guid))
        return announced;
      if (same_endpoint (&announced->endpoint, &peer->listen) ||
          same_endpoint (&announced->endpoint, &peer->remote))
        return announced;
    }
  return NULL;
}

/* Found on the LAN, or at a LAN address while the node looks for LAN
 * peers or keeps to the LAN (where loopback counts in test mode). */
static gboolean
peer_is_lan (ShoalNodeManager *self,
             const Peer       *peer)
{
  const ShoalNodeConfig *config = self->config;

  if (find_lan_peer_of (self, peer) != NULL)
    return TRUE;
  if (config->lan_only)
    return shoal_host_is_lan (&peer->remote, config->allow_private);
  return config->lan_discovery && shoal_host_is_lan (&peer->remote, FALSE);
}

/* Whom we take an incoming link from. The internet, unless LAN-only; a
 * LAN address with allow_private, LAN rules, or from a manual peer's
 * address (their VPN may carry no multicast); loopback and other special
 * addresses with allow_private. An IPv6 peer has no IPv4 address to
 * judge: never a LAN one. */
static gboolean
may_accept (ShoalNodeManager        *self,
            const ShoalIpv4Endpoint *remote)
{
  const ShoalNodeConfig *config = self->config;

  if (remote->address == 0)
    return !config->lan_only;
  if (config->lan_only)
    return shoal_host_is_lan (remote, config->allow_private);
  if (shoal_host_is_dialable (remote, config->allow_private))
    return TRUE;
  return shoal_host_is_lan (remote, FALSE) &&
         (config->lan_discovery || has_address_in (self->manual_peers, remote->address));
}

/* Sending ------------------------------------------------------------------- */

static void
send_payload (Peer              *peer,
              const ShoalGuid   *guid,
              ShoalMessageType   type,
              guint8             ttl,
              guint8             hops,
              GBytes            *payload,
              ShoalLinkPriority  priority)
{
  g_autoptr(GByteArray) message = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  ShoalMessageHeader header = { .guid = *guid, .type = type, .ttl = ttl, .hops = hops };

  header.payload_length = (guint32) g_bytes_get_size (payload);
  shoal_message_header_append (&header, message);
  shoal_bytes_append (message, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&message));
  shoal_link_send_bytes (peer->link, bytes, priority);
}

static void
send_ping (Peer   *peer,
           guint8  ttl)
{
  g_autoptr(ShoalPing) ping = shoal_ping_new ();
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  ShoalGuid guid;

  /* A discovery ping asks for packed hosts too. */
  if (ttl > 1)
    shoal_ping_add_scp (ping, 0);
  if (!shoal_ping_write (ping, payload, NULL))
    return;
  shoal_guid_init_modern (&guid);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  send_payload (peer, &guid, SHOAL_MESSAGE_PING, ttl, 0, bytes, SHOAL_LINK_PRIORITY_CONTROL);
}

/* Our own pong: where we listen, what we share, who we are; packed hosts
 * when the ping asked for them. */
static GBytes *
build_own_pong (ShoalNodeManager *self,
                gboolean          with_hosts)
{
  g_autoptr(ShoalPong) pong = shoal_pong_new (&self->advertised, self->shared_files,
                                              self->shared_kbytes);
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  shoal_pong_add_vendor (pong, SHOAL_VENDOR_CODE ('S', 'H', 'O', 'L'), VENDOR_VERSION);
  if (self->role == SHOAL_PEER_ROLE_ULTRAPEER)
    {
      guint leaves = count_peers (self, SHOAL_PEER_ROLE_LEAF);
      guint ultrapeers = count_peers (self, SHOAL_PEER_ROLE_ULTRAPEER);
      ShoalPongUltrapeer up = {
        UP_QRP_VERSION,
        (guint8) MIN (G_MAXUINT8, self->config->ultrapeer_leaf_slots - MIN (leaves, self->config->ultrapeer_leaf_slots)),
        (guint8) MIN (G_MAXUINT8, self->config->ultrapeer_peer_slots - MIN (ultrapeers, self->config->ultrapeer_peer_slots)),
      };

      shoal_pong_add_ultrapeer (pong, &up);
    }
  if (with_hosts)
    {
      g_autoptr(GArray) hosts = shoal_host_cache_get_recent (self->hosts, IPP_HOSTS, TRUE);

      if (hosts->len > 0)
        shoal_pong_add_packed_hosts (pong, (ShoalIpv4Endpoint *) (gpointer) hosts->data, hosts->len);
    }
  if (!shoal_pong_write (pong, payload, NULL))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&payload));
}

/* Pings and pongs --------------------------------------------------------------- */

/* An alive ping (TTL 1, hops 0) gets our pong with its GUID, which is what
 * keeps gtk-gnutella from closing the link (BYE 406). A discovery ping is
 * answered from the pong cache, never flooded on (ping/pong reduction). */
static void
answer_ping (Peer               *peer,
             const ShoalMessage *message)
{
  ShoalNodeManager *self = peer->manager;
  guint8 ttl = (guint8) MIN (message->header.hops + 1, MAX_PONG_TTL);
  guint8 scp_flags;
  gboolean wants_hosts = shoal_ping_get_scp (message->ping, &scp_flags);
  g_autoptr(GBytes) own = NULL;
  g_autoptr(GPtrArray) cached = NULL;

  if (endpoint_is_set (&self->advertised))
    {
      own = build_own_pong (self, wants_hosts);
      if (own != NULL)
        send_payload (peer, &message->header.guid, SHOAL_MESSAGE_PONG, ttl, 0, own,
                      SHOAL_LINK_PRIORITY_CONTROL);
    }
  if (message->header.ttl <= 1 || self->role != SHOAL_PEER_ROLE_ULTRAPEER)
    return;
  cached = shoal_pong_cache_select (self->pongs, peer->id,
                                    SHOAL_PONG_CACHE_MAX_PONGS_PER_PING - (own != NULL),
                                    g_get_monotonic_time ());
  for (guint i = 0; i < cached->len; i++)
    {
      ShoalCachedPong *pong = g_ptr_array_index (cached, i);

      send_payload (peer, &message->header.guid, SHOAL_MESSAGE_PONG, ttl,
                    (guint8) MIN (pong->hops + 1, SHOAL_MESSAGE_MAX_HOPS), pong->payload,
                    SHOAL_LINK_PRIORITY_REPLY);
    }
}

static void
learn_from_pong (Peer               *peer,
                 const ShoalMessage *message)
{
  ShoalNodeManager *self = peer->manager;
  const ShoalPong *pong = message->pong;
  g_autoptr(GArray) packed = NULL;
  ShoalPongUltrapeer up;
  ShoalHostRole role;

  role = shoal_pong_get_ultrapeer (pong, &up, NULL) ? SHOAL_HOST_ROLE_ULTRAPEER : SHOAL_HOST_ROLE_UNKNOWN;
  shoal_host_cache_add (self->hosts, &pong->endpoint, SHOAL_HOST_SOURCE_PONG, role);
  if (shoal_pong_get_packed_hosts (pong, &packed, NULL))
    for (guint i = 0; i < packed->len; i++)
      shoal_host_cache_add (self->hosts, &g_array_index (packed, ShoalIpv4Endpoint, i),
                            SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER);
  if (self->role == SHOAL_PEER_ROLE_ULTRAPEER)
    shoal_pong_cache_add (self->pongs, pong, message->header.hops, peer->id,
                          g_get_monotonic_time ());
}

/* Connect-back ------------------------------------------------------------------- */

/* A leaf that does not know whether it can be reached asks its ultrapeer
 * to try (BEAR/7, gtk-gnutella's TCP connect-back). */
static void
ask_connect_back (Peer *peer)
{
  ShoalNodeManager *self = peer->manager;
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  ShoalGuid guid;

  if (self->reachable || self->advertised.port == 0)
    return;
  shoal_vendor_tcp_connect_back_write (self->advertised.port, payload);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  shoal_guid_init_modern (&guid);
  send_payload (peer, &guid, SHOAL_MESSAGE_VENDOR, 1, 0, bytes, SHOAL_LINK_PRIORITY_CONTROL);
}

static void
on_probe_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GSocketConnection) connection = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close_async (G_IO_STREAM (connection), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

static void
on_probe_connected (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  static const char probe[] = "\n\n";

  if (connection == NULL)
    {
      g_debug ("connect-back probe: %s", error->message);
      return;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                   probe, sizeof probe - 1, G_PRIORITY_DEFAULT, NULL,
                                   on_probe_written, connection);
}

/* Connects to where the peer says it listens, from its own address, and
 * sends nothing but an empty line: reaching it is the whole answer. Once
 * per link, so a peer cannot make us dial at will. */
static void
answer_connect_back (Peer               *peer,
                     const ShoalMessage *message)
{
  ShoalIpv4Endpoint probed = { peer->remote.address, 0 };

  if (peer->connect_back_done || peer->remote.address == 0 ||
      !shoal_vendor_tcp_connect_back_parse (message->vendor, &probed.port, NULL))
    return;
  peer->connect_back_done = TRUE;
  shoal_node_manager_connect_async (peer->manager, &probed, CONNECT_BACK_TIMEOUT_S, on_probe_connected,
                                    NULL);
}

static gboolean
is_connect_back_request (const ShoalMessage *message)
{
  return message->vendor != NULL &&
         shoal_vendor_message_is (message->vendor, SHOAL_VENDOR_BEAR, SHOAL_VENDOR_TCP_CONNECT_BACK);
}

static void
on_link_message (ShoalLink   *link,
                 ShoalMessage *message,
                 gpointer     user_data)
{
  Peer *peer = user_data;

  if (message->ping != NULL)
    answer_ping (peer, message);
  else if (message->pong != NULL)
    learn_from_pong (peer, message);
  else if (is_connect_back_request (message))
    answer_connect_back (peer, message);
  else if (message->bye == NULL)
    g_signal_emit (peer->manager, signals[SIGNAL_MESSAGE_RECEIVED], 0, peer->id, message);
}

static void
add_link_stats (ShoalLinkStats       *totals,
                const ShoalLinkStats *more)
{
  totals->messages_in += more->messages_in;
  totals->messages_out += more->messages_out;
  totals->bytes_in += more->bytes_in;
  totals->bytes_out += more->bytes_out;
  totals->payload_bytes_in += more->payload_bytes_in;
  totals->payload_bytes_out += more->payload_bytes_out;
  totals->dropped += more->dropped;
  totals->bad += more->bad;
}

static void
on_link_closed (ShoalLink    *link,
                const GError *error,
                gpointer      user_data)
{
  Peer *peer = user_data;
  ShoalNodeManager *self = peer->manager;
  ShoalLinkStats stats;

  g_debug ("link to %s closed: %s", peer->user_agent ? peer->user_agent : "peer",
           error ? error->message : "no reason");
  /* Kept so that the node's traffic counters never go backwards. */
  shoal_link_get_stats (link, &stats);
  add_link_stats (&self->closed_traffic, &stats);
  if (endpoint_is_set (&peer->listen))
    shoal_host_cache_set_in_use (self->hosts, &peer->listen, FALSE);
  shoal_pong_cache_forget_link (self->pongs, peer->id);
  g_signal_emit (self, signals[SIGNAL_LINK_REMOVED], 0, peer->id);
  g_hash_table_remove (self->peers, &peer->id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINK_COUNT]);
}

/* Links --------------------------------------------------------------------------- */

static void
learn_from_handshake (ShoalNodeManager           *self,
                      const ShoalHandshakeResult *result)
{
  /* An ultrapeer that wants more ultrapeers: what lets a capable leaf
   * promote itself. */
  if (result->ultrapeers_wanted)
    self->ultrapeers_wanted_usec = g_get_monotonic_time ();
  for (guint i = 0; result->try_hosts != NULL && i < result->try_hosts->len; i++)
    shoal_host_cache_add (self->hosts, &g_array_index (result->try_hosts, ShoalIpv4Endpoint, i),
                          SHOAL_HOST_SOURCE_X_TRY, SHOAL_HOST_ROLE_ULTRAPEER);
  if (endpoint_is_set (&result->peer_listen))
    shoal_host_cache_add (self->hosts, &result->peer_listen, SHOAL_HOST_SOURCE_HEADER,
                          result->peer_role == SHOAL_PEER_ROLE_ULTRAPEER
                          ? SHOAL_HOST_ROLE_ULTRAPEER : SHOAL_HOST_ROLE_LEAF);
  /* Peers tell us the address they see: what our pongs advertise. */
  if (self->advertised.address == 0 && result->our_address.address != 0)
    {
      self->advertised.address = result->our_address.address;
      shoal_host_cache_set_own_endpoint (self->hosts, &self->advertised);
    }
}

static void
set_reachable (ShoalNodeManager *self)
{
  if (self->reachable)
    return;
  g_message ("reachable from outside: incoming connections work");
  self->reachable = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REACHABLE]);
}

static ShoalPeerInfo *
peer_info_new (Peer *peer)
{
  ShoalPeerInfo *info = g_new0 (ShoalPeerInfo, 1);

  info->id = peer->id;
  info->remote = peer->remote;
  info->listen = peer->listen;
  info->role = peer->role;
  info->outgoing = peer->outgoing;
  info->user_agent = g_strdup (peer->user_agent);
  if (peer->has_guid)
    info->guid = peer->guid;
  info->last_hop_qrp = peer->last_hop_qrp;
  info->max_ttl = peer->max_ttl;
  info->degree = peer->degree;
  info->lan = peer_is_lan (peer->manager, peer);
  info->connected_usec = peer->connected_usec;
  return info;
}

static gboolean
has_free_slot (ShoalNodeManager *self,
               ShoalPeerRole     role)
{
  ShoalNodeState state = policy_get_state (self);

  return role == SHOAL_PEER_ROLE_ULTRAPEER ? state.ultrapeer_links < state.ultrapeer_slots
                                           : state.leaf_links < state.leaf_slots;
}

static Peer *
find_peer_by_guid (ShoalNodeManager *self,
                   const ShoalGuid  *guid)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Peer *) value)->has_guid && shoal_guid_equal (&((Peer *) value)->guid, guid))
      return value;
  return NULL;
}

/* Two nodes that dial each other at once both accept, then each holds two
 * links to the other. Both ends must drop the same one: the link kept is
 * the one opened by the node with the smaller GUID, which both can tell.
 * FALSE: drop the new link; TRUE: keep it (an older duplicate is closed). */
static gboolean
keep_new_duplicate (ShoalNodeManager           *self,
                    const ShoalHandshakeResult *result,
                    gboolean                    outgoing)
{
  Peer *existing = find_peer_by_guid (self, &result->peer_guid);
  const ShoalGuid *new_opener, *old_opener;

  if (existing == NULL)
    return TRUE;
  new_opener = outgoing ? &self->guid : &result->peer_guid;
  old_opener = existing->outgoing ? &self->guid : &existing->guid;
  if (shoal_guid_compare (new_opener, old_opener) >= 0)
    return FALSE;
  shoal_link_close (existing->link, 409, "Already connected to this GUID");
  existing->has_guid = FALSE;  /* no longer counts as the link to that node */
  return TRUE;
}

/* Returns the new link's id, or 0 (and why in @error) when the
 * connection is not kept as a link. */
static guint64
add_peer (ShoalNodeManager           *self,
          GIOStream                  *stream,
          ShoalHandshakeResult       *result,
          const ShoalIpv4Endpoint    *remote,
          gboolean                    outgoing,
          gboolean                    preferred,
          GError                    **error)
{
  ShoalLinkConfig config;
  Peer *peer;
  guint64 id;

  learn_from_handshake (self, result);
  if (result->crawler)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED, "A crawler, not a peer");
      return 0;
    }
  if (result->has_peer_guid && shoal_guid_equal (&result->peer_guid, &self->guid))
    {
      /* We dialled ourselves: forget that address. */
      shoal_host_cache_remove (self->hosts, remote);
      g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED, "That is this node");
      return 0;
    }
  if (result->has_peer_guid && !keep_new_duplicate (self, result, outgoing))
    {
      g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                   "Already linked to that servent");
      return 0;
    }
  /* Handshakes run side by side and each checked the slots at its step 2:
   * only now is it known whether this one still fits. */
  if (!has_free_slot (self, result->peer_role))
    {
      const char *role = result->peer_role == SHOAL_PEER_ROLE_ULTRAPEER ? "ultrapeer" : "leaf";

      g_debug ("no free %s slot left for a finished handshake", role);
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED, "No free %s slot left", role);
      g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      return 0;
    }
  /* Messages are small and a hit waits on nobody: no Nagle delay. */
  if (G_IS_SOCKET_CONNECTION (stream))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)),
                         IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  shoal_link_config_init_default (&config);
  config.keepalive_period_ms = result->peer_role == SHOAL_PEER_ROLE_ULTRAPEER &&
                               self->role == SHOAL_PEER_ROLE_ULTRAPEER
    ? SHOAL_LINK_KEEPALIVE_PERIOD_ULTRAPEER_MS : SHOAL_LINK_KEEPALIVE_PERIOD_LEAF_MS;

  peer = g_new0 (Peer, 1);
  peer->manager = self;
  peer->id = id = ++self->next_peer_id;
  peer->remote = *remote;
  peer->listen = endpoint_is_set (&result->peer_listen) ? result->peer_listen
                                                        : (outgoing ? *remote : (ShoalIpv4Endpoint) { 0, 0 });
  peer->guid = result->peer_guid;
  peer->has_guid = result->has_peer_guid;
  peer->role = result->peer_role;
  peer->outgoing = outgoing;
  peer->preferred = preferred;
  peer->user_agent = g_strdup (result->user_agent);
  peer->last_hop_qrp = result->last_hop_qrp;
  peer->max_ttl = result->max_ttl;
  peer->degree = result->degree;
  peer->connected_usec = g_get_monotonic_time ();
  if (!outgoing)
    set_reachable (self);
  peer->link = shoal_link_new (stream, result->leftover, result->deflate_input,
                               result->deflate_output, &config);
  g_signal_connect (peer->link, "message-received", G_CALLBACK (on_link_message), peer);
  g_signal_connect (peer->link, "closed", G_CALLBACK (on_link_closed), peer);
  g_hash_table_insert (self->peers, &peer->id, peer);
  if (endpoint_is_set (&peer->listen))
    {
      shoal_host_cache_report_success (self->hosts, &peer->listen);
      shoal_host_cache_set_in_use (self->hosts, &peer->listen, TRUE);
    }
  shoal_link_start (peer->link);
  send_ping (peer, outgoing && shoal_host_cache_get_count (self->hosts) < FEW_HOSTS
                   ? DISCOVERY_TTL : 1);
  /* On a LAN every node may be an ultrapeer: any peer there can say
   * whether we are reachable, which our hits then tell. */
  if ((self->role == SHOAL_PEER_ROLE_LEAF && peer->role == SHOAL_PEER_ROLE_ULTRAPEER) ||
      peer_is_lan (self, peer))
    ask_connect_back (peer);
  {
    g_autoptr(ShoalPeerInfo) info = peer_info_new (peer);

    g_signal_emit (self, signals[SIGNAL_LINK_ADDED], 0, info);
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINK_COUNT]);
  return id;
}

/* Incoming --------------------------------------------------------------------------- */

typedef struct
{
  ShoalNodeManager  *self;
  GIOStream         *stream;
  ShoalIpv4Endpoint  remote;
  gboolean           outgoing;
  gint64            *dial_key;   /* outgoing: our entry in self->dialing */
  GTask             *task;       /* a dial someone waits for; else NULL */
  char              *name;       /* dialled by this "host:port"; else NULL */
  gboolean           preferred;  /* a manual or LAN peer, ... */
  PreferredKind      kind;
  char              *preferred_name;  /* ... found again by this key */
} Connection;

static void
connection_free (Connection *connection)
{
  g_clear_object (&connection->stream);
  g_clear_object (&connection->task);
  g_free (connection->dial_key);
  g_free (connection->name);
  g_free (connection->preferred_name);
  g_object_unref (connection->self);
  g_free (connection);
}

static void
on_incoming_handshake (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Connection *connection = user_data;
  g_autoptr(ShoalHandshakeResult) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHandshakeResult) done =
    shoal_gnutella_handshake_incoming_finish (result, &failed, &error);

  if (done == NULL)
    g_debug ("incoming handshake failed: %s", error->message);
  else if (add_peer (connection->self, connection->stream, done, &connection->remote, FALSE, FALSE,
                     &error) == 0)
    g_debug ("incoming link not kept: %s", error->message);
  connection_free (connection);
}

static gboolean
on_gnutella_connection (ShoalListener *listener,
                        GIOStream     *stream,
                        GBytes        *already_read,
                        gpointer       remote,
                        gpointer       user_data)
{
  ShoalNodeManager *self = user_data;
  Connection *connection;

  if (!may_accept (self, remote))
    {
      char text[SHOAL_IPV4_ENDPOINT_STRLEN];

      g_debug ("connection from %s refused: not an address we take links from",
               shoal_ipv4_endpoint_format (remote, TRUE, text));
      g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      return TRUE;
    }
  connection = g_new0 (Connection, 1);
  connection->self = g_object_ref (self);
  connection->stream = g_object_ref (stream);
  connection->remote = *(ShoalIpv4Endpoint *) remote;
  shoal_gnutella_handshake_incoming_async (stream, already_read, &connection->remote,
                                           &self->policy, self->cancellable,
                                           on_incoming_handshake, connection);
  return TRUE;
}

/* HTTP and GIV on our port are others' to serve (the upload server, the
 * downloads), but LAN-only mode is ours: refused here as links are. The
 * manager connects to the listener when it starts, before anyone else
 * can, so this handler runs first and a refused connection reaches
 * nobody. */
static gboolean
on_transfer_connection (ShoalListener *listener,
                        GIOStream     *stream,
                        GBytes        *already_read,
                        gpointer       remote,
                        gpointer       user_data)
{
  ShoalNodeManager *self = user_data;
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  if (may_dial (self, remote))
    return FALSE;
  self->refused_transfers++;
  g_debug ("transfer connection from %s refused: not a LAN address (LAN-only mode)",
           shoal_ipv4_endpoint_format (remote, TRUE, text));
  shoal_listener_close_stream (stream, NULL);
  return TRUE;
}

/* Dialling ------------------------------------------------------------------------------ */

static Preferred *
find_preferred (ShoalNodeManager *self,
                PreferredKind     kind,
                const char       *name)
{
  return g_hash_table_lookup (kind == PREFERRED_MANUAL ? self->manual_peers : self->lan_peers, name);
}

/* A failed dial waits its turn again, longer each time; a link clears
 * the wait. A host name's address, and a manual peer's GUID, are kept to
 * recognise its links, its incoming ones too. */
static void
preferred_dial_done (ShoalNodeManager *self,
                     Connection       *connection,
                     guint64           link_id)
{
  Preferred *preferred = find_preferred (self, connection->kind, connection->preferred_name);
  Peer *peer = link_id != 0 ? g_hash_table_lookup (self->peers, &link_id) : NULL;

  if (preferred == NULL)
    return;  /* lost, or no longer in the settings, meanwhile */
  preferred->dialing = FALSE;
  if (endpoint_is_set (&connection->remote))
    preferred->endpoint = connection->remote;
  if (link_id != 0)
    {
      if (preferred->kind == PREFERRED_MANUAL && peer != NULL && peer->has_guid)
        {
          preferred->guid = peer->guid;
          preferred->has_guid = TRUE;
        }
      preferred->retry_usec = 0;
      preferred->next_dial_usec = 0;
      return;
    }
  preferred->retry_usec = CLAMP (preferred->retry_usec * 2, PREFERRED_RETRY_MIN_USEC,
                                 PREFERRED_RETRY_MAX_USEC);
  preferred->next_dial_usec = g_get_monotonic_time () + preferred->retry_usec;
}

/* @link_id: the new link, or 0 and @error says why there is none. */
static void
dial_done (Connection   *connection,
           guint64       link_id,
           const GError *error)
{
  ShoalNodeManager *self = connection->self;

  self->dials_in_flight--;
  if (connection->dial_key != NULL)
    g_hash_table_remove (self->dialing, connection->dial_key);
  if (connection->preferred)
    preferred_dial_done (self, connection, link_id);
  if (link_id == 0 && endpoint_is_set (&connection->remote))
    {
      shoal_host_cache_report_failure (self->hosts, &connection->remote);
      shoal_host_cache_set_in_use (self->hosts, &connection->remote, FALSE);
    }
  if (connection->task != NULL && link_id != 0)
    g_task_return_pointer (connection->task, g_memdup2 (&link_id, sizeof link_id), g_free);
  else if (connection->task != NULL)
    g_task_return_error (connection->task, g_error_copy (error));
  connection_free (connection);
}

static void
on_outgoing_handshake (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Connection *connection = user_data;
  g_autoptr(ShoalHandshakeResult) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHandshakeResult) done =
    shoal_gnutella_handshake_outgoing_finish (result, &failed, &error);
  guint64 link_id = 0;

  if (failed != NULL)
    learn_from_handshake (connection->self, failed);
  if (done != NULL)
    link_id = add_peer (connection->self, connection->stream, done, &connection->remote, TRUE,
                        connection->preferred, &error);
  if (link_id == 0)
    g_debug ("outgoing link failed: %s", error->message);
  dial_done (connection, link_id, error);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connection *connection = user_data;
  ShoalNodeManager *self = connection->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) socket =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  g_autoptr(GSocketAddress) address = NULL;

  if (socket == NULL)
    {
      g_debug ("cannot connect: %s", error->message);
      dial_done (connection, 0, error);
      return;
    }
  /* The client's connect timeout stays on the socket: a link that reads
   * nothing for that long would fail. The link keeps its own timers. */
  g_socket_set_timeout (g_socket_connection_get_socket (socket), 0);
  /* Anchors are dialled by name: now we know where they are. */
  address = g_socket_connection_get_remote_address (socket, NULL);
  if (address != NULL && !endpoint_is_set (&connection->remote))
    shoal_listener_endpoint_from_address (address, &connection->remote);
  connection->stream = G_IO_STREAM (g_steal_pointer (&socket));
  shoal_gnutella_handshake_outgoing_async (connection->stream, &connection->remote, &self->policy,
                                           self->cancellable, on_outgoing_handshake, connection);
}

/* A node given one address speaks from it too (a host with several
 * addresses, or many nodes on one machine in tests). */
static GSocketClient *
new_client (ShoalNodeManager *self,
            guint             timeout_s)
{
  GSocketClient *client = g_socket_client_new ();

  g_socket_client_set_timeout (client, timeout_s);
  /* Peers are dialled directly: a desktop's HTTP proxy is for the web,
   * and asking libproxy would block a thread per dial. */
  g_socket_client_set_enable_proxy (client, FALSE);
  if (self->config->listen_address != NULL)
    {
      g_autoptr(GSocketAddress) local =
        g_inet_socket_address_new_from_string (self->config->listen_address, 0);

      if (local != NULL)
        g_socket_client_set_local_address (client, local);
    }
  return client;
}

static GSocketAddress *
endpoint_address (const ShoalIpv4Endpoint *endpoint)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];
  ShoalIpv4Endpoint address_only = { endpoint->address, 0 };

  return g_inet_socket_address_new_from_string (shoal_ipv4_endpoint_format (&address_only, FALSE, text),
                                                endpoint->port);
}

/* Marks @endpoint as being dialled by @connection. */
static void
claim_endpoint (Connection              *connection,
                const ShoalIpv4Endpoint *endpoint)
{
  ShoalNodeManager *self = connection->self;

  connection->remote = *endpoint;
  connection->dial_key = endpoint_key (endpoint);
  g_hash_table_add (self->dialing, g_memdup2 (connection->dial_key, sizeof (gint64)));
  shoal_host_cache_set_in_use (self->hosts, endpoint, TRUE);
}

/* A dial counts as under way from here, its address still to be
 * claimed (claim_endpoint()). */
static Connection *
connection_new_dial (ShoalNodeManager *self,
                     const char       *name)
{
  Connection *connection = g_new0 (Connection, 1);

  connection->self = g_object_ref (self);
  connection->outgoing = TRUE;
  connection->name = g_strdup (name);
  self->dials_in_flight++;
  return connection;
}

static void
connect_to (Connection         *connection,
            GSocketConnectable *target)
{
  ShoalNodeManager *self = connection->self;
  g_autoptr(GSocketClient) client = new_client (self, SHOAL_NODE_MANAGER_CONNECT_TIMEOUT_S);

  g_socket_client_connect_async (client, target, self->cancellable, on_connected, connection);
}

/* Claims @endpoint for @connection and connects there. */
static void
connect_to_endpoint (Connection              *connection,
                     const ShoalIpv4Endpoint *endpoint)
{
  g_autoptr(GSocketAddress) address = endpoint_address (endpoint);

  claim_endpoint (connection, endpoint);
  connect_to (connection, G_SOCKET_CONNECTABLE (address));
}

static Connection *
dial_endpoint (ShoalNodeManager        *self,
               const ShoalIpv4Endpoint *endpoint)
{
  Connection *connection = connection_new_dial (self, NULL);

  connect_to_endpoint (connection, endpoint);
  return connection;
}

/* Says once per name why it is not dialled. */
static void
say_refused_once (ShoalNodeManager *self,
                  const char       *what,
                  const char       *name,
                  const char       *why)
{
  if (g_hash_table_contains (self->refusals_said, name))
    return;
  g_hash_table_add (self->refusals_said, g_strdup (name));
  g_message ("%s %s refused: %s", what, name, why);
}

/* LAN-only mode resolves a host name itself, IPv4 only, so that no
 * connection ever starts towards an internet address. */
static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Connection *connection = user_data;
  ShoalNodeManager *self = connection->self;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_with_flags_finish (G_RESOLVER (source), result, &error);
  ShoalIpv4Endpoint endpoint = { 0, connection->remote.port };

  for (GList *item = addresses; item != NULL && endpoint.address == 0; item = item->next)
    {
      ShoalIpv4Endpoint candidate = { shoal_ipv4_from_wire (g_inet_address_to_bytes (item->data)),
                                      connection->remote.port };

      if (may_dial (self, &candidate))
        endpoint = candidate;
    }
  g_resolver_free_addresses (addresses);
  if (error == NULL && endpoint.address == 0)
    {
      say_refused_once (self, "host", connection->name, "not a LAN address (LAN-only mode)");
      g_set_error (&error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                   "%s is not on the LAN (LAN-only mode)", connection->name);
    }
  if (error != NULL)
    {
      g_debug ("%s: %s", connection->name, error->message);
      dial_done (connection, 0, error);
      return;
    }
  connect_to_endpoint (connection, &endpoint);
}

/* Anchors and manual peers, "host:port" with a name or an address. NULL
 * when the text is no such thing or names an address we may not dial. */
static Connection *
dial_name (ShoalNodeManager *self,
           const char       *what,
           const char       *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) address = g_network_address_parse (text, SHOAL_DEFAULT_PORT, &error);
  ShoalIpv4Endpoint endpoint;
  Connection *connection;

  if (address == NULL)
    {
      g_message ("%s %s: %s", what, text, error->message);
      return NULL;
    }
  if (shoal_ipv4_endpoint_parse (text, strlen (text), &endpoint))
    {
      if (!may_dial (self, &endpoint))
        {
          say_refused_once (self, what, text, "not a LAN address (LAN-only mode)");
          return NULL;
        }
      return dial_endpoint (self, &endpoint);
    }
  connection = connection_new_dial (self, text);
  if (!self->config->lan_only)
    {
      connect_to (connection, address);
      return connection;
    }
  connection->remote.port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  {
    g_autoptr(GResolver) resolver = g_resolver_get_default ();

    g_resolver_lookup_by_name_with_flags_async (resolver,
                                                g_network_address_get_hostname (G_NETWORK_ADDRESS (address)),
                                                G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY, self->cancellable,
                                                on_resolved, connection);
  }
  return connection;
}

static guint
dial_target (ShoalNodeManager *self)
{
  if (self->role == SHOAL_PEER_ROLE_LEAF)
    return self->config->leaf_ultrapeer_slots;
  return MAX (1, self->config->ultrapeer_peer_slots / SHOAL_NODE_MANAGER_DIAL_SHARE);
}

static gboolean
is_dialing (ShoalNodeManager        *self,
            const ShoalIpv4Endpoint *endpoint)
{
  g_autofree gint64 *key = endpoint_key (endpoint);

  return g_hash_table_contains (self->dialing, key);
}

/* With only anchors to dial, each one we are not linked to is dialled
 * again (with the same backoff), however many other links we have. */
static gboolean
anchors_missing (ShoalNodeManager *self)
{
  GHashTableIter iter;
  gpointer value;
  guint outgoing = 0;

  if (!self->config->anchors_only)
    return FALSE;
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    outgoing += ((Peer *) value)->outgoing && !((Peer *) value)->preferred;
  return outgoing < self->config->anchors->len;
}

/* Manual and LAN peers --------------------------------------------------------------------- */

/* A peer that dialled us from its address but has not said where it
 * listens (a node that does not know its address yet) is taken for the
 * manual peer at that address. */
static gboolean
has_link_from_address (ShoalNodeManager        *self,
                       const ShoalIpv4Endpoint *endpoint)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *peer = value;

      if (peer->remote.address == endpoint->address &&
          (!endpoint_is_set (&peer->listen) || peer->listen.port == endpoint->port))
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_linked_to_preferred (ShoalNodeManager *self,
                        const Preferred  *preferred)
{
  if (is_connected_to (self, endpoint_is_set (&preferred->endpoint) ? &preferred->endpoint : NULL,
                       preferred->has_guid ? &preferred->guid : NULL))
    return TRUE;
  return preferred->kind == PREFERRED_MANUAL && endpoint_is_set (&preferred->endpoint) &&
         has_link_from_address (self, &preferred->endpoint);
}

/* LAN peers announce their role: leaves dial ultrapeers, and ultrapeers
 * each other. On a LAN small enough to be a mesh an ultrapeer dials the
 * leaves too: each should be an ultrapeer, and one still a leaf may not
 * have seen the others yet (mDNS does not reach every node at once);
 * linked, it is not left out meanwhile. A large LAN's leaves come to its
 * ultrapeers. A fixed topology dials nothing it was not given. */
static gboolean
wants_lan_dial (ShoalNodeManager *self,
                const Preferred  *preferred)
{
  if (self->config->anchors_only)
    return FALSE;
  if (preferred->role == SHOAL_PEER_ROLE_ULTRAPEER)
    return TRUE;
  return self->role == SHOAL_PEER_ROLE_ULTRAPEER &&
         g_hash_table_size (self->lan_peers) + 1 <= SHOAL_LAN_MESH_MAX;
}

static gboolean
wants_dial (ShoalNodeManager *self,
            const Preferred  *preferred,
            gint64            now)
{
  if (preferred->dialing || preferred->refused || now < preferred->next_dial_usec)
    return FALSE;
  if (preferred->kind == PREFERRED_LAN && !wants_lan_dial (self, preferred))
    return FALSE;
  if (endpoint_is_set (&preferred->endpoint) && is_dialing (self, &preferred->endpoint))
    return FALSE;
  return !is_linked_to_preferred (self, preferred);
}

/* A dial of ours fits when the ultrapeer slots of our role are not all
 * taken or being dialled. */
static gboolean
has_room_for_preferred (ShoalNodeManager *self)
{
  guint slots = self->role == SHOAL_PEER_ROLE_LEAF ? self->config->leaf_ultrapeer_slots
                                                   : self->config->ultrapeer_peer_slots;

  return self->dials_in_flight < self->config->max_dials &&
         count_peers (self, SHOAL_PEER_ROLE_ULTRAPEER) + self->dials_in_flight < slots;
}

static void
dial_preferred (ShoalNodeManager *self,
                Preferred        *preferred)
{
  const char *what = preferred->kind == PREFERRED_MANUAL ? "manual peer" : "LAN peer";
  Connection *connection;

  if (preferred->kind == PREFERRED_LAN && !may_dial_found (self, &preferred->endpoint))
    {
      char text[SHOAL_IPV4_ENDPOINT_STRLEN];

      preferred->refused = TRUE;
      g_message ("LAN peer “%s” at %s not dialled: %s", preferred->name,
                 shoal_ipv4_endpoint_format (&preferred->endpoint, TRUE, text),
                 self->config->lan_only ? "not a LAN address (LAN-only mode)"
                                        : "loopback needs allow-private");
      return;
    }
  connection = preferred->kind == PREFERRED_LAN ? dial_endpoint (self, &preferred->endpoint)
                                                : dial_name (self, what, preferred->name);
  if (connection == NULL)
    {
      preferred->refused = TRUE;
      return;
    }
  connection->preferred = TRUE;
  connection->kind = preferred->kind;
  connection->preferred_name = g_strdup (preferred->name);
  preferred->dialing = TRUE;
}

static void
dial_preferred_in (ShoalNodeManager *self,
                   GHashTable       *table,
                   gint64            now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value) && has_room_for_preferred (self))
    if (wants_dial (self, value, now))
      dial_preferred (self, value);
}

/* Manual peers first (the user named them), then the LAN's. */
static void
dial_preferred_peers (ShoalNodeManager *self)
{
  gint64 now = g_get_monotonic_time ();

  dial_preferred_in (self, self->manual_peers, now);
  dial_preferred_in (self, self->lan_peers, now);
}

/* Manual and LAN peers first, then anchors, then the best hosts of the
 * cache, until the slots of our role that we fill ourselves are taken or
 * being dialled. */
static void
fill_slots (ShoalNodeManager *self)
{
  guint links;
  gint64 now = g_get_monotonic_time ();

  dial_preferred_peers (self);
  links = count_peers (self, SHOAL_PEER_ROLE_ULTRAPEER);
  if (g_hash_table_size (self->peers) > 0 && !anchors_missing (self))
    self->anchor_retry_usec = 0;
  else if (self->dials_in_flight == 0 && g_queue_is_empty (&self->anchors) &&
           now - self->anchors_queued_usec >= self->anchor_retry_usec)
    {
      for (guint i = 0; i < self->config->anchors->len; i++)
        g_queue_push_tail (&self->anchors, g_strdup (g_ptr_array_index (self->config->anchors, i)));
      self->anchors_queued_usec = now;
      self->anchor_retry_usec = CLAMP (self->anchor_retry_usec * 2, ANCHOR_RETRY_MIN_USEC,
                                       ANCHOR_RETRY_MAX_USEC);
    }
  while (links + self->dials_in_flight < dial_target (self) &&
         self->dials_in_flight < self->config->max_dials)
    {
      g_autofree char *anchor = g_queue_pop_head (&self->anchors);
      ShoalIpv4Endpoint endpoint;

      if (anchor != NULL)
        {
          dial_name (self, "anchor", anchor);
          continue;
        }
      if (self->config->anchors_only)
        break;
      if (!shoal_host_cache_pick_next (self->hosts, &endpoint))
        break;
      if (is_connected_to (self, &endpoint, NULL) || is_dialing (self, &endpoint) ||
          same_endpoint (&endpoint, &self->advertised) || !may_dial (self, &endpoint))
        {
          shoal_host_cache_set_in_use (self->hosts, &endpoint, TRUE);
          continue;
        }
      dial_endpoint (self, &endpoint);
    }
}

/* Asks one random peer for hosts while we know too few. */
static void
discover_hosts (ShoalNodeManager *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GList) peers = NULL;

  if (shoal_host_cache_get_count (self->hosts) >= FEW_HOSTS ||
      g_hash_table_size (self->peers) == 0 ||
      now - self->last_discovery_usec < DISCOVERY_INTERVAL_USEC)
    return;
  self->last_discovery_usec = now;
  peers = g_hash_table_get_values (self->peers);
  send_ping (g_list_nth_data (peers, g_random_int_range (0, (gint32) g_list_length (peers))),
             DISCOVERY_TTL);
}

static void
on_bootstrap_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalNodeManager) self = user_data;

  if (!shoal_bootstrap_run_finish (SHOAL_BOOTSTRAP (source), result, &error))
    g_message ("bootstrap: %s", error->message);
  else
    g_message ("bootstrap: the host cache holds %u hosts", shoal_host_cache_get_count (self->hosts));
}

/* The last resort, as real servents do: no link, no dial under way, no
 * anchor left to try and nothing in the host cache. */
static void
bootstrap_if_stranded (ShoalNodeManager *self)
{
  if (self->bootstrap == NULL || shoal_bootstrap_get_running (self->bootstrap) ||
      g_hash_table_size (self->peers) > 0 || self->dials_in_flight > 0 ||
      !g_queue_is_empty (&self->anchors) || shoal_host_cache_get_count (self->hosts) > 0)
    return;
  g_message ("no host to join through: asking the bootstrap caches");
  shoal_bootstrap_run_async (self->bootstrap, FEW_HOSTS, self->cancellable,
                             on_bootstrap_done, g_object_ref (self));
}

/* Roles ------------------------------------------------------------------------------ */

static guint
descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur == RLIM_INFINITY)
    return G_MAXUINT;
  return (guint) MIN (limit.rlim_cur, G_MAXUINT);
}

/* Links just closed by us: their manual and LAN peers are dialled again
 * at once. */
static void
reset_preferred_waits (ShoalNodeManager *self)
{
  GHashTable *tables[] = { self->manual_peers, self->lan_peers };

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, tables[i]);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          ((Preferred *) value)->next_dial_usec = 0;
          ((Preferred *) value)->retry_usec = 0;
        }
    }
}

/* Each decision keeps its reason, a role kept as well as a switch. */
static void
set_role_reason (ShoalNodeManager *self,
                 const char       *why)
{
  if (g_strcmp0 (self->role_reason, why) == 0)
    return;
  self->role_reason = why;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE_REASON]);
}

/* Every link goes (each was agreed for the old role) and the slots of
 * the new role are filled again from the anchors and the host cache. */
static void
switch_role (ShoalNodeManager *self,
             ShoalPeerRole     role,
             const char       *why)
{
  const char *reason = role == SHOAL_PEER_ROLE_ULTRAPEER ? "Becoming an ultrapeer"
                                                          : "Becoming a leaf node";
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_message ("%s: %s", reason, why);
  g_object_freeze_notify (G_OBJECT (self));
  set_role_reason (self, why);
  self->role = role;
  self->role_switches++;
  self->last_switch_usec = now;
  self->leafless_since_usec = now;
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    shoal_link_close (((Peer *) value)->link, 200, reason);
  shoal_pong_cache_free (self->pongs);
  self->pongs = shoal_pong_cache_new (role == SHOAL_PEER_ROLE_ULTRAPEER
                                      ? SHOAL_PONG_CACHE_LIFETIME_ULTRAPEER_USEC
                                      : SHOAL_PONG_CACHE_LIFETIME_LEAF_USEC,
                                      SHOAL_PONG_CACHE_DEFAULT_CAPACITY);
  self->anchor_retry_usec = 0;
  self->anchors_queued_usec = G_MININT64 / 2;
  reset_preferred_waits (self);
  if (self->lan != NULL)
    shoal_lan_discovery_set_role (self->lan, role);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  g_object_thaw_notify (G_OBJECT (self));
}

static guint64
seconds_since (gint64 then_usec,
               gint64 now_usec)
{
  return then_usec == 0 ? 0 : (guint64) MAX (0, now_usec - then_usec) / G_USEC_PER_SEC;
}

static gboolean
has_wan_ultrapeer_links (ShoalNodeManager *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Peer *) value)->role == SHOAL_PEER_ROLE_ULTRAPEER && !peer_is_lan (self, value))
      return TRUE;
  return FALSE;
}

/* The LAN's election (shoal_role_policy_elect_lan()) in automatic mode,
 * at once: LAN peers reach us, no uptime needs proving. TRUE when it
 * decided, and the usual policy keeps out. */
static gboolean
review_lan_role (ShoalNodeManager *self)
{
  g_autoptr(GArray) guids = g_array_new (FALSE, FALSE, sizeof (ShoalGuid));
  GHashTableIter iter;
  gpointer value;
  const char *why = NULL;
  ShoalLanRole elected;
  ShoalPeerRole role;

  if (self->config->role_mode != SHOAL_ROLE_MODE_AUTO || g_hash_table_size (self->lan_peers) == 0)
    return FALSE;
  g_hash_table_iter_init (&iter, self->lan_peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Preferred *) value)->has_guid)
      g_array_append_val (guids, ((Preferred *) value)->guid);
  elected = shoal_role_policy_elect_lan (&self->guid, (const ShoalGuid *) (gpointer) guids->data,
                                         guids->len, has_wan_ultrapeer_links (self), &why);
  if (elected == SHOAL_LAN_ROLE_NONE)
    return FALSE;
  role = elected == SHOAL_LAN_ROLE_ULTRAPEER ? SHOAL_PEER_ROLE_ULTRAPEER : SHOAL_PEER_ROLE_LEAF;
  if (self->role != role)
    switch_role (self, role, why);
  else
    set_role_reason (self, why);
  return TRUE;
}

/* The automatic policy's answer now (shoal_role_policy_decide()). */
static ShoalRoleDecision
consult_policy (ShoalNodeManager  *self,
                const char       **why)
{
  gint64 now = g_get_monotonic_time ();
  ShoalRoleFacts facts = { 0 };

  facts.ultrapeer = self->role == SHOAL_PEER_ROLE_ULTRAPEER;
  facts.uptime_s = seconds_since (self->started_mono_usec, now);
  facts.since_switch_s = seconds_since (self->last_switch_usec, now);
  facts.reachable = self->reachable;
  facts.descriptors = descriptor_limit ();
  facts.upload_kbps = self->config->upload_kbps;
  facts.ultrapeers_wanted = self->ultrapeers_wanted_usec != 0 &&
    now - self->ultrapeers_wanted_usec < SHOAL_ROLE_WANTED_VALID_S * G_USEC_PER_SEC;
  facts.leafless_s = seconds_since (self->leafless_since_usec, now);
  return shoal_role_policy_decide (&self->config->role_thresholds, &facts, why);
}

static void
review_role (ShoalNodeManager *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean ultrapeer = self->role == SHOAL_PEER_ROLE_ULTRAPEER;
  ShoalRoleDecision decision;
  const char *why = NULL;

  if (self->config->role_mode != SHOAL_ROLE_MODE_AUTO)
    return;
  if (ultrapeer && count_peers (self, SHOAL_PEER_ROLE_LEAF) > 0)
    self->leafless_since_usec = 0;
  else if (ultrapeer && self->leafless_since_usec == 0)
    self->leafless_since_usec = now;
  if (review_lan_role (self))
    return;
  decision = consult_policy (self, &why);
  if (decision == SHOAL_ROLE_PROMOTE)
    switch_role (self, SHOAL_PEER_ROLE_ULTRAPEER, why);
  else if (decision == SHOAL_ROLE_DEMOTE)
    switch_role (self, SHOAL_PEER_ROLE_LEAF, why);
  else
    set_role_reason (self, why);
}

static void
on_connect_back (ShoalListener *listener,
                 GParamSpec    *pspec,
                 gpointer       user_data)
{
  set_reachable (user_data);
}

static gboolean
on_tick (gpointer user_data)
{
  review_role (user_data);
  fill_slots (user_data);
  discover_hosts (user_data);
  bootstrap_if_stranded (user_data);
  return G_SOURCE_CONTINUE;
}

/* LAN discovery ------------------------------------------------------------------------ */

/* The LAN changed: the election and the dials follow once the discovery
 * is out of its callback. */
static gboolean
on_lan_review (gpointer user_data)
{
  ShoalNodeManager *self = user_data;

  self->lan_review = 0;
  review_lan_role (self);
  fill_slots (self);
  g_signal_emit (self, signals[SIGNAL_LAN_PEERS_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
schedule_lan_review (ShoalNodeManager *self)
{
  if (self->lan_review == 0 && self->tick != 0)
    self->lan_review = g_idle_add (on_lan_review, self);
}

static const char *
role_name (ShoalPeerRole role)
{
  return role == SHOAL_PEER_ROLE_ULTRAPEER ? "ultrapeer" : "leaf";
}

/* Found, or found again with something new: what changed is dialled
 * afresh. */
static void
on_lan_peer_found (ShoalLanDiscovery  *discovery,
                   const ShoalLanPeer *found,
                   gpointer            user_data)
{
  ShoalNodeManager *self = user_data;
  Preferred *known = g_hash_table_lookup (self->lan_peers, found->name);
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  if (known == NULL)
    {
      known = preferred_new (PREFERRED_LAN, found->name);
      g_hash_table_insert (self->lan_peers, known->name, known);
      g_message ("LAN peer “%s” at %s (%s)", found->name,
                 shoal_ipv4_endpoint_format (&found->endpoint, TRUE, text), role_name (found->role));
    }
  else if (!same_endpoint (&known->endpoint, &found->endpoint) || known->role != found->role)
    {
      known->refused = FALSE;
      known->retry_usec = 0;
      known->next_dial_usec = 0;
    }
  known->endpoint = found->endpoint;
  known->guid = found->guid;
  known->has_guid = found->has_guid;
  known->role = found->role;
  schedule_lan_review (self);
}

/* Gone from the LAN: no longer redialled (a link to it stays while it
 * lasts). */
static void
on_lan_peer_lost (ShoalLanDiscovery *discovery,
                  const char        *name,
                  gpointer           user_data)
{
  ShoalNodeManager *self = user_data;

  if (g_hash_table_remove (self->lan_peers, name))
    {
      g_message ("LAN peer “%s” gone", name);
      schedule_lan_review (self);
    }
}

/* Without avahi-daemon nobody is announced: what we knew is not redialled. */
static void
on_lan_state (ShoalLanDiscovery *discovery,
              GParamSpec        *pspec,
              gpointer           user_data)
{
  ShoalNodeManager *self = user_data;

  if (shoal_lan_discovery_get_state (discovery) != SHOAL_LAN_STATE_RUNNING &&
      g_hash_table_size (self->lan_peers) > 0)
    {
      g_hash_table_remove_all (self->lan_peers);
      schedule_lan_review (self);
    }
}

static gboolean
is_loopback_text (const char *address)
{
  g_autoptr(GInetAddress) parsed = g_inet_address_new_from_string (address);

  return parsed != NULL && g_inet_address_get_is_loopback (parsed);
}

static void
start_lan_discovery (ShoalNodeManager *self)
{
  if (!self->config->lan_discovery || self->lan != NULL || self->listener == NULL)
    return;
  /* mDNS does not go over loopback: what we would publish there nobody
   * could dial (tests run many nodes on loopback addresses). */
  if (self->config->listen_address != NULL && is_loopback_text (self->config->listen_address))
    {
      self->lan_off_reason = "listening on a loopback address only";
      g_message ("LAN discovery unavailable: %s", self->lan_off_reason);
      return;
    }
  self->lan_off_reason = NULL;
  self->lan = shoal_lan_discovery_new (&self->guid, shoal_listener_get_port (self->listener),
                                       self->role, NULL);
  g_signal_connect (self->lan, "peer-found", G_CALLBACK (on_lan_peer_found), self);
  g_signal_connect (self->lan, "peer-lost", G_CALLBACK (on_lan_peer_lost), self);
  g_signal_connect (self->lan, "notify::state", G_CALLBACK (on_lan_state), self);
  shoal_lan_discovery_start (self->lan);
}

/* Withdraws our service; the LAN peers are forgotten, their links stay. */
static void
stop_lan_discovery (ShoalNodeManager *self)
{
  self->lan_off_reason = NULL;
  g_clear_handle_id (&self->lan_review, g_source_remove);
  if (self->lan != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->lan, self);
      shoal_lan_discovery_stop (self->lan);
      g_clear_object (&self->lan);
    }
  if (self->lan_peers != NULL)
    g_hash_table_remove_all (self->lan_peers);
}

/* Lists of "host:port" (anchors, manual peers) ----------------------------------------- */

static gboolean
has_string (const GPtrArray *strings,
            const char      *string)
{
  for (guint i = 0; i < strings->len; i++)
    if (strcmp (g_ptr_array_index (strings, i), string) == 0)
      return TRUE;
  return FALSE;
}

/* @into (of g_free()d strings) becomes a copy of @from. */
static void
copy_strings (GPtrArray       *into,
              const GPtrArray *from)
{
  if (into == from)
    return;
  g_ptr_array_set_size (into, 0);
  for (guint i = 0; i < from->len; i++)
    g_ptr_array_add (into, g_strdup (g_ptr_array_index (from, i)));
}

/* Manual peers ------------------------------------------------------------------------- */

/* A numeric one is known by its address from the start; a host name's
 * address is learned when it is dialled. */
static void
add_manual_peer (ShoalNodeManager *self,
                 const char       *text)
{
  Preferred *preferred = preferred_new (PREFERRED_MANUAL, text);

  if (!shoal_ipv4_endpoint_parse (text, strlen (text), &preferred->endpoint))
    preferred->endpoint = (ShoalIpv4Endpoint) { 0, 0 };
  g_hash_table_insert (self->manual_peers, preferred->name, preferred);
}

/* The ones removed are no longer redialled (links to them stay); new
 * ones are dialled at the next chance. */
static void
set_manual_peers (ShoalNodeManager *self,
                  const GPtrArray  *texts)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->manual_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!has_string (texts, key))
      g_hash_table_iter_remove (&iter);
  for (guint i = 0; i < texts->len; i++)
    if (!g_hash_table_contains (self->manual_peers, g_ptr_array_index (texts, i)))
      add_manual_peer (self, g_ptr_array_index (texts, i));
  copy_strings (self->config->manual_peers, texts);
}

/* Handshake policy ----------------------------------------------------------------------- */

static ShoalNodeState
policy_get_state (gpointer user_data)
{
  ShoalNodeManager *self = user_data;
  ShoalNodeState state = { 0 };

  state.servent_guid = self->guid;
  state.role = self->role;
  state.listen = self->advertised;
  state.started_usec = self->started_usec;
  state.ultrapeer_links = count_peers (self, SHOAL_PEER_ROLE_ULTRAPEER);
  state.leaf_links = count_peers (self, SHOAL_PEER_ROLE_LEAF);
  state.ultrapeer_slots = self->role == SHOAL_PEER_ROLE_ULTRAPEER
    ? self->config->ultrapeer_peer_slots : self->config->leaf_ultrapeer_slots;
  state.leaf_slots = self->role == SHOAL_PEER_ROLE_ULTRAPEER ? self->config->ultrapeer_leaf_slots : 0;
  state.allow_private = self->config->allow_private;
  return state;
}

static ShoalHandshakeVerdict
policy_judge (const ShoalHeaderBlock *peer_headers,
              gboolean                incoming,
              gpointer                user_data)
{
  ShoalNodeManager *self = user_data;
  ShoalNodeState state = policy_get_state (self);
  ShoalHandshakeVerdict verdict = shoal_handshake_judge_default (&state, peer_headers, incoming);
  const char *guid_text = shoal_header_block_get (peer_headers, "GUID");
  ShoalGuid guid;

  if (verdict.decision != SHOAL_HANDSHAKE_REFUSE && guid_text != NULL &&
      shoal_guid_from_hex (guid_text, -1, &guid, NULL) && is_connected_to (self, NULL, &guid))
    return shoal_handshake_verdict_refuse (409, "Already connected to this GUID");
  /* Changing roles is ultrapeer promotion and demotion, not done yet: a
   * node never turns into another's leaf behind its own back (gtk-gnutella
   * too only takes guidance in automatic mode). */
  if (verdict.decision == SHOAL_HANDSHAKE_ACCEPT_GUIDANCE)
    return shoal_handshake_verdict_refuse (403, "Not becoming a leaf node");
  return verdict;
}

static GArray *
policy_get_try_hosts (guint    max,
                      gpointer user_data)
{
  ShoalNodeManager *self = user_data;

  return shoal_host_cache_get_recent (self->hosts, max, TRUE);
}

static void
policy_get_crawler_lists (GArray  **peers,
                          GArray  **leaves,
                          gpointer  user_data)
{
  ShoalNodeManager *self = user_data;
  GHashTableIter iter;
  gpointer value;

  *peers = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  *leaves = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *peer = value;
      const ShoalIpv4Endpoint *where = endpoint_is_set (&peer->listen) ? &peer->listen : &peer->remote;

      g_array_append_val (peer->role == SHOAL_PEER_ROLE_ULTRAPEER ? *peers : *leaves, *where);
    }
}

/* GObject ----------------------------------------------------------------------------------- */

static void
shoal_node_manager_dispose (GObject *object)
{
  ShoalNodeManager *self = SHOAL_NODE_MANAGER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick, g_source_remove);
  stop_lan_discovery (self);
  g_clear_pointer (&self->peers, g_hash_table_unref);
  if (self->listener != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->listener, self);
      shoal_listener_stop (self->listener);
      g_clear_object (&self->listener);
    }
  g_clear_object (&self->bootstrap);
  g_clear_object (&self->udp);
  g_clear_object (&self->hosts);
  G_OBJECT_CLASS (shoal_node_manager_parent_class)->dispose (object);
}

static void
shoal_node_manager_finalize (GObject *object)
{
  ShoalNodeManager *self = SHOAL_NODE_MANAGER (object);

  g_queue_clear_full (&self->anchors, g_free);
  g_clear_pointer (&self->dialing, g_hash_table_unref);
  g_clear_pointer (&self->lan_peers, g_hash_table_unref);
  g_clear_pointer (&self->manual_peers, g_hash_table_unref);
  g_clear_pointer (&self->refusals_said, g_hash_table_unref);
  g_clear_pointer (&self->pongs, shoal_pong_cache_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, shoal_node_config_free);
  G_OBJECT_CLASS (shoal_node_manager_parent_class)->finalize (object);
}

static void
shoal_node_manager_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ShoalNodeManager *self = SHOAL_NODE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_LINK_COUNT:
      g_value_set_uint (value, shoal_node_manager_get_link_count (self));
      break;
    case PROP_ROLE:
      g_value_set_uint (value, self->role);
      break;
    case PROP_REACHABLE:
      g_value_set_boolean (value, self->reachable);
      break;
    case PROP_ROLE_REASON:
      g_value_set_string (value, self->role_reason);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_node_manager_class_init (ShoalNodeManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_node_manager_dispose;
  object_class->finalize = shoal_node_manager_finalize;
  object_class->get_property = shoal_node_manager_get_property;

  properties[PROP_LINK_COUNT] =
    g_param_spec_uint ("link-count", NULL, "Established Gnutella links",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ROLE] =
    g_param_spec_uint ("role", NULL, "What this node is now (a ShoalPeerRole)",
                       0, G_MAXUINT, SHOAL_PEER_ROLE_LEAF,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REACHABLE] =
    g_param_spec_boolean ("reachable", NULL, "A peer reached us from outside",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ROLE_REASON] =
    g_param_spec_string ("role-reason", NULL, "Why the role is what it is (English, N_())",
                         NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalNodeManager::link-added:
   * @info: (type gpointer): the ShoalPeerInfo of the new link, borrowed
   */
  signals[SIGNAL_LINK_ADDED] =
    g_signal_new ("link-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /**
   * ShoalNodeManager::link-removed:
   * @id: the link that closed
   */
  signals[SIGNAL_LINK_REMOVED] =
    g_signal_new ("link-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * ShoalNodeManager::message-received:
   * @id: the link it came by
   * @message: (type gpointer): the ShoalMessage, borrowed
   *
   * A message that is not the manager's own business (pings, pongs and
   * byes are): queries, hits, pushes, QRP, vendor messages.
   */
  signals[SIGNAL_MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_POINTER);
  /**
   * ShoalNodeManager::lan-peers-changed:
   *
   * Peers were announced on the LAN, or went: what
   * shoal_node_manager_is_lan_peer() says may have changed. Once per
   * burst of announcements.
   */
  signals[SIGNAL_LAN_PEERS_CHANGED] =
    g_signal_new ("lan-peers-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
shoal_node_manager_init (ShoalNodeManager *self)
{
  self->peers = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, peer_free);
  self->dialing = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->lan_peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, preferred_free);
  self->manual_peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, preferred_free);
  self->refusals_said = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->anchors);
  self->anchors_queued_usec = G_MININT64 / 2;
  shoal_guid_init_modern (&self->guid);
  self->started_usec = g_get_real_time ();
  self->started_mono_usec = g_get_monotonic_time ();
  self->last_switch_usec = self->started_mono_usec;
}

/* Public API ----------------------------------------------------------------------------------- */

ShoalNodeManager *
shoal_node_manager_new (const ShoalNodeConfig *config)
{
  ShoalNodeManager *self = g_object_new (SHOAL_TYPE_NODE_MANAGER, NULL);

  self->config = shoal_node_config_copy (config);
  /* Automatic mode starts as a leaf; promotion is the search issue's. */
  self->role = config->role_mode == SHOAL_ROLE_MODE_ULTRAPEER ? SHOAL_PEER_ROLE_ULTRAPEER
                                                              : SHOAL_PEER_ROLE_LEAF;
  self->pongs = shoal_pong_cache_new (self->role == SHOAL_PEER_ROLE_ULTRAPEER
                                      ? SHOAL_PONG_CACHE_LIFETIME_ULTRAPEER_USEC
                                      : SHOAL_PONG_CACHE_LIFETIME_LEAF_USEC,
                                      SHOAL_PONG_CACHE_DEFAULT_CAPACITY);
  if (config->role_mode == SHOAL_ROLE_MODE_AUTO)
    consult_policy (self, &self->role_reason);
  else
    self->role_reason = ROLE_REASON_FIXED;
  self->policy.get_state = policy_get_state;
  self->policy.judge = policy_judge;
  self->policy.get_try_hosts = policy_get_try_hosts;
  self->policy.get_crawler_lists = policy_get_crawler_lists;
  self->policy.user_data = self;
  set_manual_peers (self, self->config->manual_peers);
  return self;
}

/* UDP host caches answer on our port, as they do for any servent. */
static GSocket *
bind_udp (ShoalNodeManager *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                         G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) given = self->config->listen_address
    ? g_inet_address_new_from_string (self->config->listen_address) : NULL;
  g_autoptr(GSocketAddress) address = NULL;

  if (udp == NULL)
    {
      g_message ("no UDP socket: %s", error->message);
      return NULL;
    }
  address = g_inet_socket_address_new (given && g_inet_address_get_family (given) == G_SOCKET_FAMILY_IPV4
                                       ? given : any, shoal_listener_get_port (self->listener));
  /* Never SO_REUSEADDR on UDP: two servents would share the port. */
  if (!g_socket_bind (udp, address, FALSE, &error))
    {
      g_message ("cannot bind UDP port %u: %s", shoal_listener_get_port (self->listener), error->message);
      return NULL;
    }
  return g_steal_pointer (&udp);
}

static gboolean
is_empty_list (const char *const *list)
{
  return list == NULL || list[0] == NULL;
}

/* The sources the settings name: the built-in lists unless default
 * bootstrap is off, both replaced when either list is given. The
 * bootstrap is made when the first source appears and dropped when none
 * is left (the UDP socket stays: the port is ours). */
static void
configure_bootstrap (ShoalNodeManager *self)
{
  const char *const *udp_host_caches = self->config->default_bootstrap
    ? shoal_bootstrap_get_default_udp_host_caches () : NULL;
  const char *const *gwebcaches = self->config->default_bootstrap
    ? shoal_bootstrap_get_default_gwebcaches () : NULL;
  const char *const none[] = { NULL };

  /* The caches are on the internet. */
  if (self->config->lan_only)
    {
      g_clear_object (&self->bootstrap);
      return;
    }
  if (self->config->udp_host_caches != NULL || self->config->gwebcaches != NULL)
    {
      udp_host_caches = (const char *const *) self->config->udp_host_caches;
      gwebcaches = (const char *const *) self->config->gwebcaches;
    }
  if (is_empty_list (udp_host_caches) && is_empty_list (gwebcaches))
    {
      g_clear_object (&self->bootstrap);
      return;
    }
  if (self->bootstrap == NULL)
    {
      self->bootstrap = shoal_bootstrap_new (self->hosts);
      if (self->udp == NULL)
        self->udp = bind_udp (self);
      if (self->udp != NULL)
        shoal_bootstrap_set_udp_socket (self->bootstrap, self->udp);
    }
  shoal_bootstrap_set_sources (self->bootstrap, udp_host_caches ? udp_host_caches : none,
                               gwebcaches ? gwebcaches : none);
}

gboolean
shoal_node_manager_start (ShoalNodeManager  *self,
                          GError           **error)
{
  const char *addresses[] = { self->config->listen_address, NULL };
  ShoalIpv4Endpoint listen_endpoint;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), FALSE);

  self->hosts = shoal_host_cache_new (self->config->data_dir);
  g_object_set (self->hosts, "allow-private", self->config->allow_private,
                "lan-only", self->config->lan_only, NULL);
  self->listener = shoal_listener_new (self->config->listen_address ? addresses : NULL,
                                       self->config->port);
  g_signal_connect (self->listener, "gnutella-connection", G_CALLBACK (on_gnutella_connection), self);
  g_signal_connect (self->listener, "http-request", G_CALLBACK (on_transfer_connection), self);
  g_signal_connect (self->listener, "giv", G_CALLBACK (on_transfer_connection), self);
  g_signal_connect (self->listener, "notify::connect-back-count", G_CALLBACK (on_connect_back), self);
  if (!shoal_listener_start (self->listener, error))
    return FALSE;
  /* A numeric listen address is what we advertise until peers tell us. */
  self->advertised.port = shoal_listener_get_port (self->listener);
  if (self->config->listen_address != NULL &&
      shoal_ipv4_endpoint_parse (self->config->listen_address, strlen (self->config->listen_address),
                                 &listen_endpoint))
    self->advertised.address = listen_endpoint.address;
  if (self->advertised.address != 0)
    shoal_host_cache_set_own_endpoint (self->hosts, &self->advertised);
  configure_bootstrap (self);
  if (self->config->lan_only)
    g_message ("LAN-only mode: no link beyond the LAN's addresses");
  self->tick = g_timeout_add (SHOAL_NODE_MANAGER_TICK_MS, on_tick, self);
  start_lan_discovery (self);
  fill_slots (self);
  return TRUE;
}

void
shoal_node_manager_shutdown (ShoalNodeManager *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick, g_source_remove);
  stop_lan_discovery (self);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    shoal_link_close (((Peer *) value)->link, 200, "Servent shutdown");
  if (self->listener != NULL)
    shoal_listener_stop (self->listener);
  /* Save the host cache now, synchronously: the process may exit while
   * cancelled dials still hold the manager. Disposing it writes the last
   * changes and stops its thread; the object stays safe to call. */
  if (self->hosts != NULL)
    g_object_run_dispose (G_OBJECT (self->hosts));
}

static gboolean
same_lists (const char *const *a,
            const char *const *b)
{
  if (is_empty_list (a) || is_empty_list (b))
    return is_empty_list (a) == is_empty_list (b);
  return g_strv_equal (a, b);
}

/* Anchors no longer wanted are not dialled again (links to them stay);
 * new ones go first in the queue, dialled as soon as a slot of our role
 * is free. */
static void
update_anchors (ShoalNodeManager *self,
                const GPtrArray  *anchors)
{
  GList *next;

  for (GList *item = self->anchors.head; item != NULL; item = next)
    {
      next = item->next;
      if (!has_string (anchors, item->data))
        {
          g_free (item->data);
          g_queue_delete_link (&self->anchors, item);
        }
    }
  for (guint i = anchors->len; i > 0; i--)
    if (!has_string (self->config->anchors, g_ptr_array_index (anchors, i - 1)))
      g_queue_push_head (&self->anchors, g_strdup (g_ptr_array_index (anchors, i - 1)));
  copy_strings (self->config->anchors, anchors);
}

static void
update_bootstrap_sources (ShoalNodeManager      *self,
                          const ShoalNodeConfig *config)
{
  if (self->config->default_bootstrap == config->default_bootstrap &&
      same_lists ((const char *const *) self->config->udp_host_caches,
                  (const char *const *) config->udp_host_caches) &&
      same_lists ((const char *const *) self->config->gwebcaches,
                  (const char *const *) config->gwebcaches))
    return;
  self->config->default_bootstrap = config->default_bootstrap;
  g_strfreev (self->config->udp_host_caches);
  self->config->udp_host_caches = g_strdupv (config->udp_host_caches);
  g_strfreev (self->config->gwebcaches);
  self->config->gwebcaches = g_strdupv (config->gwebcaches);
  if (self->tick != 0)
    configure_bootstrap (self);
}

/* A fixed role takes effect at once (the links, agreed for the old role,
 * go); the automatic one decides at once too, as a tick would. */
static void
update_role_mode (ShoalNodeManager *self,
                  ShoalRoleMode     mode)
{
  ShoalPeerRole fixed = mode == SHOAL_ROLE_MODE_ULTRAPEER ? SHOAL_PEER_ROLE_ULTRAPEER
                                                          : SHOAL_PEER_ROLE_LEAF;

  if (self->config->role_mode == mode)
    return;
  self->config->role_mode = mode;
  if (mode == SHOAL_ROLE_MODE_AUTO)
    review_role (self);
  else if (self->role != fixed)
    switch_role (self, fixed, ROLE_REASON_FIXED);
  else
    set_role_reason (self, ROLE_REASON_FIXED);
}

/* On: started now if the node runs. Off: our service withdrawn. */
static void
update_lan_discovery (ShoalNodeManager *self,
                      gboolean          enabled)
{
  if (self->config->lan_discovery == enabled)
    return;
  self->config->lan_discovery = enabled;
  if (!enabled)
    stop_lan_discovery (self);
  else if (self->tick != 0)
    start_lan_discovery (self);
}

/* Slots, thresholds and limits are read where they are used: the next
 * tick fills (or stops filling) slots by the new counts. Links beyond a
 * smaller count stay until they close; no new one is taken meanwhile. */
void
shoal_node_manager_update_config (ShoalNodeManager      *self,
                                  const ShoalNodeConfig *config)
{
  ShoalNodeConfig *mine;

  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  g_return_if_fail (config != NULL);

  mine = self->config;
  mine->leaf_ultrapeer_slots = config->leaf_ultrapeer_slots;
  mine->ultrapeer_peer_slots = config->ultrapeer_peer_slots;
  mine->ultrapeer_leaf_slots = config->ultrapeer_leaf_slots;
  mine->max_dials = config->max_dials;
  mine->qrp_period_ms = config->qrp_period_ms;
  mine->role_thresholds = config->role_thresholds;
  mine->upload_kbps = config->upload_kbps;
  mine->upload_slots = config->upload_slots;
  mine->upload_limit_kbps = config->upload_limit_kbps;
  mine->download_limit_kbps = config->download_limit_kbps;
  mine->browse_host = config->browse_host;
  mine->anchors_only = config->anchors_only;
  update_anchors (self, config->anchors);
  update_bootstrap_sources (self, config);
  set_manual_peers (self, config->manual_peers);
  update_lan_discovery (self, config->lan_discovery);
  update_role_mode (self, config->role_mode);
  if (self->tick != 0)
    fill_slots (self);
}

const ShoalNodeConfig *
shoal_node_manager_get_config (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), NULL);
  return self->config;
}

guint16
shoal_node_manager_get_port (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), 0);
  return self->listener ? shoal_listener_get_port (self->listener) : 0;
}

const ShoalGuid *
shoal_node_manager_get_guid (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), NULL);
  return &self->guid;
}

ShoalPeerRole
shoal_node_manager_get_role (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), SHOAL_PEER_ROLE_LEAF);
  return self->role;
}

guint
shoal_node_manager_get_link_count (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), 0);
  return self->peers ? g_hash_table_size (self->peers) : 0;
}

ShoalHostCache *
shoal_node_manager_get_host_cache (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), NULL);
  return self->hosts;
}

GPtrArray *
shoal_node_manager_list_peers (ShoalNodeManager *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_peer_info_free);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), list);
  g_hash_table_iter_init (&iter, self->peers);
  /* A link being closed (a duplicate dropped, a bye said) is on its way
   * out: it carries no traffic and is no longer listed. */
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (shoal_link_is_open (((Peer *) value)->link))
      g_ptr_array_add (list, peer_info_new (value));
  return list;
}

void
shoal_node_manager_set_shared (ShoalNodeManager *self,
                               guint32           files,
                               guint32           kbytes)
{
  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  self->shared_files = files;
  self->shared_kbytes = kbytes;
}

gboolean
shoal_node_manager_send (ShoalNodeManager  *self,
                         guint64            link_id,
                         GBytes            *message,
                         ShoalLinkPriority  priority)
{
  Peer *peer;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), FALSE);
  peer = self->peers ? g_hash_table_lookup (self->peers, &link_id) : NULL;
  return peer != NULL && shoal_link_send_bytes (peer->link, message, priority);
}

void
shoal_node_manager_close_link (ShoalNodeManager *self,
                               guint64           link_id,
                               guint16           code,
                               const char       *reason)
{
  Peer *peer;

  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  peer = self->peers ? g_hash_table_lookup (self->peers, &link_id) : NULL;
  if (peer != NULL)
    shoal_link_close (peer->link, code, reason);
}

gsize
shoal_node_manager_get_queued_bytes (ShoalNodeManager *self,
                                     guint64           link_id)
{
  Peer *peer;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), 0);
  peer = self->peers ? g_hash_table_lookup (self->peers, &link_id) : NULL;
  return peer != NULL ? shoal_link_get_queued_bytes (peer->link) : 0;
}

gboolean
shoal_node_manager_get_link_stats (ShoalNodeManager *self,
                                   guint64           link_id,
                                   ShoalLinkStats   *stats)
{
  Peer *peer;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), FALSE);
  peer = self->peers ? g_hash_table_lookup (self->peers, &link_id) : NULL;
  if (peer == NULL)
    return FALSE;
  shoal_link_get_stats (peer->link, stats);
  return TRUE;
}

void
shoal_node_manager_get_traffic (ShoalNodeManager *self,
                                ShoalLinkStats   *totals)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  *totals = self->closed_traffic;
  if (self->peers == NULL)
    return;
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ShoalLinkStats stats;

      shoal_link_get_stats (((Peer *) value)->link, &stats);
      add_link_stats (totals, &stats);
    }
}

ShoalIpv4Endpoint
shoal_node_manager_get_advertised (ShoalNodeManager *self)
{
  ShoalIpv4Endpoint none = { 0, 0 };

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), none);
  return self->advertised;
}

gboolean
shoal_node_manager_get_reachable (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), FALSE);
  return self->reachable;
}

guint
shoal_node_manager_get_role_switches (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), 0);
  return self->role_switches;
}

guint64
shoal_node_manager_get_refused_transfers (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), 0);
  return self->refused_transfers;
}

const char *
shoal_node_manager_get_role_reason (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), NULL);
  return self->role_reason;
}

void
shoal_node_manager_get_lan_status (ShoalNodeManager   *self,
                                   ShoalNodeLanStatus *status)
{
  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  g_return_if_fail (status != NULL);

  status->lan_only = self->config->lan_only;
  status->peers = g_hash_table_size (self->lan_peers);
  status->service_name = self->lan ? shoal_lan_discovery_get_service_name (self->lan) : NULL;
  if (self->lan != NULL)
    {
      status->state = shoal_lan_discovery_get_state (self->lan);
      status->reason = shoal_lan_discovery_get_reason (self->lan);
    }
  else
    {
      status->state = self->lan_off_reason != NULL ? SHOAL_LAN_STATE_UNAVAILABLE : SHOAL_LAN_STATE_OFF;
      status->reason = self->lan_off_reason;
    }
}

gboolean
shoal_node_manager_may_connect (ShoalNodeManager        *self,
                                const ShoalIpv4Endpoint *endpoint)
{
  const ShoalNodeConfig *config;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  config = self->config;
  if (config->lan_only)
    return shoal_host_is_lan (endpoint, config->allow_private);
  if (shoal_host_is_dialable (endpoint, config->allow_private))
    return TRUE;
  return shoal_host_is_lan (endpoint, FALSE) &&
         (has_address_in (self->lan_peers, endpoint->address) ||
          has_address_in (self->manual_peers, endpoint->address));
}

gboolean
shoal_node_manager_is_lan_peer (ShoalNodeManager        *self,
                                const ShoalIpv4Endpoint *endpoint)
{
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  /* An announced peer not yet resolved is 0.0.0.0:0: it matches nobody. */
  if (endpoint->address == 0 || endpoint->port == 0)
    return FALSE;
  g_hash_table_iter_init (&iter, self->lan_peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (same_endpoint (&((Preferred *) value)->endpoint, endpoint))
      return TRUE;
  return FALSE;
}

ShoalListener *
shoal_node_manager_get_listener (ShoalNodeManager *self)
{
  g_return_val_if_fail (SHOAL_IS_NODE_MANAGER (self), NULL);
  return self->listener;
}

void
shoal_node_manager_connect_async (ShoalNodeManager        *self,
                                  const ShoalIpv4Endpoint *endpoint,
                                  guint                    timeout_s,
                                  GAsyncReadyCallback      callback,
                                  gpointer                 user_data)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) target = NULL;

  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  g_return_if_fail (endpoint != NULL);

  client = new_client (self, timeout_s);
  target = endpoint_address (endpoint);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (target), self->cancellable,
                                 callback, user_data);
}

void
shoal_node_manager_dial_async (ShoalNodeManager        *self,
                               const ShoalIpv4Endpoint *endpoint,
                               GAsyncReadyCallback      callback,
                               gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_return_if_fail (SHOAL_IS_NODE_MANAGER (self));
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, shoal_node_manager_dial_async);
  shoal_ipv4_endpoint_format (endpoint, TRUE, text);
  if (self->hosts == NULL || g_cancellable_is_cancelled (self->cancellable))
    g_task_return_new_error (task, SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED, "Not running");
  else if (is_connected_to (self, endpoint, NULL))
    g_task_return_new_error (task, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                             "Already linked to %s", text);
  else if (is_dialing (self, endpoint))
    g_task_return_new_error (task, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                             "Already dialling %s", text);
  else if (!may_dial (self, endpoint))
    g_task_return_new_error (task, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                             "%s is not on the LAN (LAN-only mode)", text);
  else
    dial_endpoint (self, endpoint)->task = g_steal_pointer (&task);
}

guint64
shoal_node_manager_dial_finish (ShoalNodeManager  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_autofree guint64 *link_id = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  link_id = g_task_propagate_pointer (G_TASK (result), error);
  return link_id != NULL ? *link_id : 0;
}
