/* shoal-test-peer.h — a bare Gnutella peer for tests: connects to a node
 * with the real handshake, sends messages as built by the test and keeps
 * every message the node sends back. */
#pragma once

#include "shoal-guid.h"
#include "shoal-message.h"
#include "shoal-net-types.h"

G_BEGIN_DECLS

typedef struct _ShoalTestPeer ShoalTestPeer;

/* Connects to @address:@port as @role, running the default main context
 * until the handshake is over; fails the test when it does not succeed. */
ShoalTestPeer *shoal_test_peer_connect   (const char    *address,
                                          guint16        port,
                                          ShoalPeerRole  role);
void           shoal_test_peer_free      (ShoalTestPeer *peer);
const ShoalGuid *shoal_test_peer_get_guid (ShoalTestPeer *peer);
/* Sends a message with that header and @payload. */
void           shoal_test_peer_send      (ShoalTestPeer   *peer,
                                          const ShoalGuid *guid,
                                          guint8           type,
                                          guint8           ttl,
                                          guint8           hops,
                                          GBytes          *payload);
/* Messages received so far, of type @type (ShoalMessage*, owned by the
 * peer). */
GPtrArray     *shoal_test_peer_get_received (ShoalTestPeer *peer,
                                             guint8         type);
gboolean       shoal_test_peer_is_closed (ShoalTestPeer *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalTestPeer, shoal_test_peer_free)

G_END_DECLS
