/* shoal-test-nat.c — a NAT in a test. */
#include "shoal-test-nat.h"

#include "shoal-test-node.h"

#include <gio/gio.h>

struct _ShoalTestNat
{
  GSocketService *service;
  char           *outside_address;
  char           *target_address;
};

typedef struct
{
  GSocketConnection *inside;
  GSocketConnection *outside;
} NatPair;

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  NatPair *pair = user_data;

  g_io_stream_splice_finish (result, NULL);
  g_object_unref (pair->inside);
  g_object_unref (pair->outside);
  g_free (pair);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  ShoalTestNat *nat = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) outside = g_inet_socket_address_new_from_string (nat->outside_address, 0);
  NatPair *pair;

  g_socket_client_set_local_address (client, outside);
  pair = g_new0 (NatPair, 1);
  pair->outside = g_socket_client_connect_to_host (client, nat->target_address,
                                                   SHOAL_TEST_NODE_PORT, NULL, NULL);
  if (pair->outside == NULL)
    {
      g_free (pair);
      return FALSE;
    }
  pair->inside = g_object_ref (connection);
  g_io_stream_splice_async (G_IO_STREAM (pair->inside), G_IO_STREAM (pair->outside),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, on_spliced, pair);
  return TRUE;
}

ShoalTestNat *
shoal_test_nat_new (const char *inside_address,
                    const char *outside_address,
                    const char *target_address)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string (inside_address,
                                                                             SHOAL_TEST_NODE_PORT);
  g_autoptr(GError) error = NULL;
  ShoalTestNat *nat = g_new0 (ShoalTestNat, 1);

  nat->outside_address = g_strdup (outside_address);
  nat->target_address = g_strdup (target_address);
  nat->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (nat->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (nat->service, "incoming", G_CALLBACK (on_incoming), nat);
  g_socket_service_start (nat->service);
  return nat;
}

void
shoal_test_nat_free (ShoalTestNat *nat)
{
  if (nat == NULL)
    return;
  g_socket_service_stop (nat->service);
  g_socket_listener_close (G_SOCKET_LISTENER (nat->service));
  g_clear_object (&nat->service);
  g_free (nat->outside_address);
  g_free (nat->target_address);
  g_free (nat);
}
