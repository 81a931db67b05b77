/* shoal-gnutella-handshake.h — the Gnutella 0.6 three-step handshake on a
 * connection, both ways, and the rules that decide who may link to us and
 * as what. */
#pragma once

#include <gio/gio.h>

#include "shoal-guid.h"
#include "shoal-handshake.h"
#include "shoal-ipv4.h"
#include "shoal-net-types.h"

G_BEGIN_DECLS

/* gtk-gnutella's incoming_connecting_timeout: the whole incoming
 * handshake, from the listener's hand-over to the peer's step 3. */
#define SHOAL_HANDSHAKE_INCOMING_TIMEOUT_MS 60000
/* From our step 1 to our step 3. gtk-gnutella's node_connecting_timeout
 * (90 s) also covers the TCP connect, which is not ours to time. */
#define SHOAL_HANDSHAKE_OUTGOING_TIMEOUT_MS 60000
/* Hosts offered in X-Try-Ultrapeers: gtk-gnutella's CONNECT_PONGS_COUNT. */
#define SHOAL_HANDSHAKE_MAX_TRY_HOSTS 10
/* QRP versions: what we offer, and the highest we accept (gtk-gnutella
 * says BYE 505 to a link that settles above 0.2). */
#define SHOAL_HANDSHAKE_QRP_MAJOR 0
#define SHOAL_HANDSHAKE_QRP_MINOR 2
/* X-Max-TTL we advertise: gtk-gnutella's max_ttl. */
#define SHOAL_HANDSHAKE_MAX_TTL 4
/* A gtk-gnutella leaf only takes ultrapeers of at least this X-Degree
 * that also send X-Dynamic-Querying. */
#define SHOAL_HANDSHAKE_MIN_ULTRAPEER_DEGREE 16
/* What a leaf advertises as X-Degree (gtk-gnutella's fixed value, sent
 * because LimeWire ultrapeers judge leaves by it). */
#define SHOAL_HANDSHAKE_LEAF_DEGREE 32
/* Room for a refusal reason in a verdict, its NUL included. */
#define SHOAL_HANDSHAKE_REASON_SIZE 128

/**
 * ShoalHandshakeDecision:
 * @SHOAL_HANDSHAKE_ACCEPT_LEAF: the peer becomes our leaf
 * @SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER: the peer is an ultrapeer to us: a
 *   peer when we are one, our ultrapeer when we are a leaf. Incoming, a
 *   peer may still take our leaf guidance in step 3 and become our leaf.
 * @SHOAL_HANDSHAKE_ACCEPT_GUIDANCE: we become the peer's leaf on this link
 *   (outgoing: we take its `X-Ultrapeer-Needed: False`)
 * @SHOAL_HANDSHAKE_REFUSE: the verdict's code and reason go to the peer
 */
typedef enum
{
  SHOAL_HANDSHAKE_ACCEPT_LEAF,
  SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER,
  SHOAL_HANDSHAKE_ACCEPT_GUIDANCE,
  SHOAL_HANDSHAKE_REFUSE,
} ShoalHandshakeDecision;

typedef struct
{
  ShoalHandshakeDecision decision;
  guint16                code;                                 /* REFUSE */
  char                   reason[SHOAL_HANDSHAKE_REASON_SIZE];  /* REFUSE */
} ShoalHandshakeVerdict;

/**
 * ShoalHandshakePolicy:
 * @get_state: this node as it is now; asked when a handshake starts
 * @judge: (nullable): decides on the peer's headers (its step 1 when
 *   @incoming, its step 2 otherwise); NULL means
 *   shoal_handshake_judge_default() on get_state()
 * @get_try_hosts: (nullable): at most @max ultrapeers likely to have free
 *   slots, an array of ShoalIpv4Endpoint (transfer full), for
 *   X-Try-Ultrapeers
 * @get_crawler_lists: (nullable): our ultrapeer peers and our leaves,
 *   arrays of ShoalIpv4Endpoint (transfer full), for a crawler; NULL
 *   refuses crawlers
 * @timeout_ms: the whole handshake; 0 means
 *   SHOAL_HANDSHAKE_INCOMING_TIMEOUT_MS or _OUTGOING_TIMEOUT_MS
 * @user_data: passed to every callback; must outlive the handshakes
 *
 * What a handshake asks of the node manager. Handshakes run concurrently,
 * so a verdict reflects the links of the moment: the node manager checks
 * its slots again when it adds a finished link.
 */
typedef struct
{
  ShoalNodeState        (*get_state)         (gpointer user_data);
  ShoalHandshakeVerdict (*judge)             (const ShoalHeaderBlock *peer_headers,
                                              gboolean                incoming,
                                              gpointer                user_data);
  GArray               *(*get_try_hosts)     (guint    max,
                                              gpointer user_data);
  void                  (*get_crawler_lists) (GArray  **peers,
                                              GArray  **leaves,
                                              gpointer  user_data);
  guint                   timeout_ms;
  gpointer                user_data;
} ShoalHandshakePolicy;

/**
 * ShoalHandshakeResult:
 * @peer_role: what the peer is on this link
 * @our_role: what we are on this link (a leaf once we took guidance)
 * @deflate_input: the peer compresses what it sends (zlib stream)
 * @deflate_output: we compress what we send
 * @crawler: an incoming crawler was answered and the stream closed; the
 *   role and deflate fields mean nothing then
 * @query_routing: the QRP version the peer stated last, 0.0 if none
 * @peer_blocks: the peer's header blocks in wire order, of
 *   ShoalHeaderBlock* (incoming: steps 1 and 3; outgoing: step 2)
 * @user_agent: (nullable): the peer's User-Agent
 * @has_peer_guid: the peer sent a valid GUID header
 * @peer_guid: its servent GUID
 * @peer_listen: where the peer accepts connections (Node, Listen-IP,
 *   X-My-Address); 0.0.0.0:0 when it did not say
 * @our_address: our address as the peer sees it (Remote-IP), port 0;
 *   0.0.0.0 when it did not say
 * @try_hosts: hosts offered in X-Try-Ultrapeers and X-Try, of
 *   ShoalIpv4Endpoint, maybe empty
 * @leftover: bytes read past the peer's last header block: the start of
 *   its messages (compressed when @deflate_input)
 * @refusal_code: on a refusal, its status code, else 0
 * @refusal_reason: (nullable): on a refusal, its reason
 * @refused_by_peer: the refusal came from the peer, not from us
 * @last_hop_qrp: the peer sent X-Ultrapeer-Query-Routing
 * @max_ttl: its X-Max-TTL, 0 when it did not say
 * @degree: its X-Degree, 0 when it did not say
 * @ultrapeers_wanted: it said X-Ultrapeer-Needed: True
 *
 * What a handshake established. A failed handshake also yields one when
 * the peer said anything (see the _finish() functions): the headers of a
 * refusal are worth keeping (X-Try-Ultrapeers, Remote-IP).
 */
typedef struct
{
  ShoalPeerRole         peer_role;
  ShoalPeerRole         our_role;
  gboolean              deflate_input;
  gboolean              deflate_output;
  gboolean              crawler;
  ShoalProtocolVersion  query_routing;
  GPtrArray            *peer_blocks;
  char                 *user_agent;
  gboolean              has_peer_guid;
  ShoalGuid             peer_guid;
  ShoalIpv4Endpoint     peer_listen;
  ShoalIpv4Endpoint     our_address;
  GArray               *try_hosts;
  GBytes               *leftover;
  guint16               refusal_code;
  char                 *refusal_reason;
  gboolean              refused_by_peer;
  gboolean              last_hop_qrp;
  guint8                max_ttl;
  guint                 degree;
  gboolean              ultrapeers_wanted;
} ShoalHandshakeResult;

void                  shoal_handshake_result_free (ShoalHandshakeResult *result);

ShoalHandshakeVerdict shoal_handshake_verdict_accept (ShoalHandshakeDecision decision);
ShoalHandshakeVerdict shoal_handshake_verdict_refuse (guint16     code,
                                                      const char *format,
                                                      ...) G_GNUC_PRINTF (2, 3);

/* The rules of gtk-gnutella (protocol reference §2.4), for a node in
 * @state judging the peer's step 1 (@incoming) or step 2: refuses a GUID
 * equal to ours (409), a node that is neither leaf nor ultrapeer (403
 * "Normal nodes refused"), X-Query-Routing above 0.2 (505), a leaf
 * without Accept-Encoding: deflate (403 "Gnet connection not
 * compressed"), full slots (503 "Too many leaf/ultra connections (N
 * max)"), a leaf meeting a leaf (503 "Shielded leaf node"), and, as a
 * leaf, ultrapeers without X-Degree >= 16 and X-Dynamic-Querying (403).
 * An ultrapeer whose ultrapeer slots are full still accepts ultrapeers
 * while it has leaf slots: its answer carries X-Ultrapeer-Needed: False
 * and the peer may become its leaf. Outgoing, it takes leaf guidance only
 * while it has no leaves (else 403 "Not becoming a leaf node"). A node
 * manager wraps it to add its own checks (409 "Already connected"). */
ShoalHandshakeVerdict shoal_handshake_judge_default (const ShoalNodeState   *state,
                                                     const ShoalHeaderBlock *peer_headers,
                                                     gboolean                incoming);

/* We dialled @remote and speak first. @stream is ours until the callback;
 * on success it is left open for the link, on failure it is closed (after
 * our refusal, if we refused). */
void                  shoal_gnutella_handshake_outgoing_async  (GIOStream                  *stream,
                                                                const ShoalIpv4Endpoint    *remote,
                                                                const ShoalHandshakePolicy *policy,
                                                                GCancellable               *cancellable,
                                                                GAsyncReadyCallback         callback,
                                                                gpointer                    user_data);
/* Errors in SHOAL_NET_ERROR: REFUSED ("503 Too many ultra connections (32
 * max)"), TIMEOUT, TOO_LARGE, PROTOCOL, CLOSED; G_IO_ERROR_CANCELLED when
 * @cancellable was. On failure, @failed_result (may be NULL) receives
 * what the peer said, or NULL when it said nothing. */
ShoalHandshakeResult *shoal_gnutella_handshake_outgoing_finish (GAsyncResult          *result,
                                                                ShoalHandshakeResult **failed_result,
                                                                GError               **error);

/* A peer connected: @already_read holds what the listener read from
 * @stream while dispatching (its first line, maybe more). @remote is the
 * peer's address; 0.0.0.0 when it has none in IPv4. A `GNUTELLA
 * CONNECT/0.4` is closed without a word, as gtk-gnutella does. */
void                  shoal_gnutella_handshake_incoming_async  (GIOStream                  *stream,
                                                                GBytes                     *already_read,
                                                                const ShoalIpv4Endpoint    *remote,
                                                                const ShoalHandshakePolicy *policy,
                                                                GCancellable               *cancellable,
                                                                GAsyncReadyCallback         callback,
                                                                gpointer                    user_data);
ShoalHandshakeResult *shoal_gnutella_handshake_incoming_finish (GAsyncResult          *result,
                                                                ShoalHandshakeResult **failed_result,
                                                                GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalHandshakeResult, shoal_handshake_result_free)

G_END_DECLS
