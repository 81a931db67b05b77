/* test-push.c — a shoald that is pushed: a PUSH naming its servent GUID
 * makes it connect to the downloader, say GIV, and serve the GET that the
 * downloader sends on that connection, as gtk-gnutella's firewalled
 * uploaders do. */
#include "shoal-push.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-test-peer.h"

#include <gio/gio.h>
#include <string.h>

#define NODE_ADDRESS "127.0.13.1"
#define DOWNLOADER_ADDRESS "127.0.13.2"
#define FILE_NAME "pushed_tortoise_almanac.txt"
#define FILE_TEXT "Sent over a connection the uploader opened itself."
#define TIMEOUT_MS 30000
#define POLL_MS 250

static gboolean
has_hashed_file (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return json_object_get_int_member (status, "files") == 1;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  GSocketConnection **taken = user_data;

  *taken = g_object_ref (connection);
  return TRUE;
}

static gboolean
connection_came (gpointer data)
{
  return *(GSocketConnection **) data != NULL;
}

/* Reads up to and including the blank line that ends the GIV. */
static char *
read_giv (GInputStream *input)
{
  GString *line = g_string_new (NULL);
  char c;

  while (!g_str_has_suffix (line->str, "\n\n"))
    {
      g_assert_cmpint (g_input_stream_read (input, &c, 1, NULL, NULL), ==, 1);
      g_string_append_c (line, c);
      g_assert_cmpuint (line->len, <, 256);
    }
  return g_string_free (line, FALSE);
}

static char *
read_to_end (GInputStream *input)
{
  GString *all = g_string_new (NULL);
  char buffer[4096];
  gssize got;

  while ((got = g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (all, buffer, got);
  return g_string_free (all, FALSE);
}

static void
test_pushed_upload (void)
{
  g_autoptr(ShoalTestNode) node = shoal_test_node_new (NODE_ADDRESS);
  g_autoptr(ShoalTestPeer) peer = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string (DOWNLOADER_ADDRESS, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GSocketConnection) pushed = NULL;
  g_autoptr(ShoalPush) push = NULL;
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *giv = NULL;
  g_autofree char *expected_giv = NULL;
  g_autofree char *upper_guid = NULL;
  g_autofree char *answer = NULL;
  const char *args[] = { "--role=ultrapeer", NULL };
  static const char get[] = "GET /get/1/" FILE_NAME " HTTP/1.1\r\nHost: " NODE_ADDRESS
                            "\r\nConnection: close\r\n\r\n";
  ShoalIpv4Endpoint downloader = { 0, 0 };
  ShoalGuid guid, push_guid;

  shoal_test_node_share_file (node, FILE_NAME, FILE_TEXT);
  shoal_test_node_start (node, args);
  shoal_test_poll_until (has_hashed_file, node, POLL_MS, TIMEOUT_MS, "the shared file's hash");
  status = shoal_test_node_status (node);
  g_assert_true (shoal_guid_from_hex (json_object_get_string_member (status, "guid"), -1,
                                      &guid, NULL));

  /* Where we, the downloader, wait for the GIV. */
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), &pushed);
  g_socket_service_start (service);
  g_assert_true (shoal_ipv4_endpoint_parse (DOWNLOADER_ADDRESS, strlen (DOWNLOADER_ADDRESS),
                                            &downloader));
  downloader.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

  peer = shoal_test_peer_connect (NODE_ADDRESS, SHOAL_TEST_NODE_PORT, SHOAL_PEER_ROLE_ULTRAPEER);
  push = shoal_push_new (&guid, 1, &downloader);
  g_assert_true (shoal_push_write (push, payload, NULL));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  shoal_guid_init_modern (&push_guid);
  shoal_test_peer_send (peer, &push_guid, 0x40, 3, 0, bytes);
  shoal_test_wait_until (connection_came, &pushed, TIMEOUT_MS, "the pushed servent's connection");

  /* "GIV <index>:<GUID>/<name>", the GUID in upper case as gtk-gnutella
   * writes it, then our GET on that same connection. */
  giv = read_giv (g_io_stream_get_input_stream (G_IO_STREAM (pushed)));
  upper_guid = g_ascii_strup (json_object_get_string_member (status, "guid"), -1);
  expected_giv = g_strdup_printf ("GIV 1:%s/file\n\n", upper_guid);
  g_assert_cmpstr (giv, ==, expected_giv);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (pushed)),
                                            get, sizeof get - 1, NULL, NULL, NULL));
  answer = read_to_end (g_io_stream_get_input_stream (G_IO_STREAM (pushed)));
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));
  g_assert_true (g_str_has_suffix (answer, "\r\n\r\n" FILE_TEXT));

  g_socket_service_stop (service);
  g_clear_pointer (&peer, shoal_test_peer_free);
  shoal_test_node_stop (node);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/pushed-upload", test_pushed_upload);
  return g_test_run ();
}
