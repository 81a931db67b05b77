/* shoal-test-peer.c — a bare Gnutella peer for tests. */
#include "shoal-test-peer.h"

#include "shoal-gnutella-handshake.h"
#include "shoal-link.h"
#include "shoal-test-loop.h"

#include <string.h>

#define CONNECT_TIMEOUT_MS 20000

struct _ShoalTestPeer
{
  ShoalNodeState        state;
  ShoalHandshakePolicy  policy;
  GSocketConnection    *connection;
  ShoalHandshakeResult *result;
  GError               *error;
  gboolean              handshake_done;
  ShoalLink            *link;
  GPtrArray            *received;      /* of ShoalMessage* */
  gboolean              closed;
};

static ShoalNodeState
peer_get_state (gpointer user_data)
{
  return ((ShoalTestPeer *) user_data)->state;
}

static void
on_handshake (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ShoalTestPeer *peer = user_data;

  peer->result = shoal_gnutella_handshake_outgoing_finish (result, NULL, &peer->error);
  peer->handshake_done = TRUE;
}

/* The link lends the message for the emission: keep a copy. */
static void
on_message (ShoalLink    *link,
            ShoalMessage *message,
            gpointer      user_data)
{
  ShoalTestPeer *peer = user_data;
  g_autoptr(GBytes) bytes = shoal_message_write (message, NULL);
  ShoalMessage *copy;

  g_assert_nonnull (bytes);
  copy = shoal_message_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  g_assert_nonnull (copy);
  /* Alive pings must be answered, or the node hangs up on us. */
  if (message->ping != NULL && message->header.hops == 0)
    {
      ShoalIpv4Endpoint nowhere = { 0, 0 };
      g_autoptr(ShoalPong) pong = shoal_pong_new (&nowhere, 0, 0);
      g_autoptr(GByteArray) payload = g_byte_array_new ();
      g_autoptr(GBytes) pong_bytes = NULL;

      g_assert_true (shoal_pong_write (pong, payload, NULL));
      pong_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
      shoal_test_peer_send (peer, &message->header.guid, SHOAL_MESSAGE_PONG, 1, 0, pong_bytes);
    }
  g_ptr_array_add (peer->received, copy);
}

static void
on_closed (ShoalLink    *link,
           const GError *error,
           gpointer      user_data)
{
  ((ShoalTestPeer *) user_data)->closed = TRUE;
}

ShoalTestPeer *
shoal_test_peer_connect (const char    *address,
                         guint16        port,
                         ShoalPeerRole  role)
{
  ShoalTestPeer *peer = g_new0 (ShoalTestPeer, 1);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  ShoalLinkConfig config;
  ShoalIpv4Endpoint remote = { 0, port };

  g_assert_true (shoal_ipv4_endpoint_parse (address, strlen (address), &remote));
  remote.port = port;
  shoal_guid_init_modern (&peer->state.servent_guid);
  peer->state.role = role;
  peer->state.ultrapeer_slots = 32;
  peer->state.leaf_slots = role == SHOAL_PEER_ROLE_ULTRAPEER ? 32 : 0;
  peer->state.allow_private = TRUE;
  peer->state.started_usec = g_get_real_time ();
  peer->policy.get_state = peer_get_state;
  peer->policy.user_data = peer;
  peer->received = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_message_free);

  peer->connection = g_socket_client_connect_to_host (client, address, port, NULL, &error);
  g_assert_no_error (error);
  shoal_gnutella_handshake_outgoing_async (G_IO_STREAM (peer->connection), &remote, &peer->policy,
                                           NULL, on_handshake, peer);
  shoal_test_wait_flag (&peer->handshake_done, CONNECT_TIMEOUT_MS, "the test peer's handshake");
  g_assert_no_error (peer->error);
  g_assert_nonnull (peer->result);

  shoal_link_config_init_default (&config);
  peer->link = shoal_link_new (G_IO_STREAM (peer->connection), peer->result->leftover,
                               peer->result->deflate_input, peer->result->deflate_output, &config);
  g_signal_connect (peer->link, "message-received", G_CALLBACK (on_message), peer);
  g_signal_connect (peer->link, "closed", G_CALLBACK (on_closed), peer);
  shoal_link_start (peer->link);
  return peer;
}

void
shoal_test_peer_free (ShoalTestPeer *peer)
{
  if (peer == NULL)
    return;
  if (peer->link != NULL)
    g_signal_handlers_disconnect_by_data (peer->link, peer);
  g_clear_object (&peer->link);
  g_clear_object (&peer->connection);
  g_clear_pointer (&peer->result, shoal_handshake_result_free);
  g_clear_error (&peer->error);
  g_ptr_array_unref (peer->received);
  g_free (peer);
}

const ShoalGuid *
shoal_test_peer_get_guid (ShoalTestPeer *peer)
{
  return &peer->state.servent_guid;
}

void
shoal_test_peer_send (ShoalTestPeer   *peer,
                      const ShoalGuid *guid,
                      guint8           type,
                      guint8           ttl,
                      guint8           hops,
                      GBytes          *payload)
{
  g_autoptr(GByteArray) message = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  ShoalMessageHeader header = { .guid = *guid, .type = type, .ttl = ttl, .hops = hops };

  header.payload_length = (guint32) g_bytes_get_size (payload);
  shoal_message_header_append (&header, message);
  g_byte_array_append (message, g_bytes_get_data (payload, NULL), (guint) g_bytes_get_size (payload));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&message));
  g_assert_true (shoal_link_send_bytes (peer->link, bytes, SHOAL_LINK_PRIORITY_QUERY));
}

GPtrArray *
shoal_test_peer_get_received (ShoalTestPeer *peer,
                              guint8         type)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < peer->received->len; i++)
    {
      ShoalMessage *message = g_ptr_array_index (peer->received, i);

      if (message->header.type == type)
        g_ptr_array_add (found, message);
    }
  return found;
}

gboolean
shoal_test_peer_is_closed (ShoalTestPeer *peer)
{
  return peer->closed;
}
