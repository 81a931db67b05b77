/* test-push.c — a shoald that is pushed: a PUSH naming its servent GUID
 * makes it connect to the downloader, say GIV, and serve the GET that the
 * downloader sends on that connection, as gtk-gnutella's firewalled
 * uploaders do. Then the whole way round: a source behind a NAT, found
 * by a search, is downloaded from through PUSH and GIV. */
#include "shoal-push.h"
#include "shoal-servent.h"
#include "shoal-sha1.h"
#include "shoal-test-nat.h"
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
  shoal_test_node_wait_hashed (node, 1, TIMEOUT_MS);
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

/* The whole way round --------------------------------------------------- */

#define UP_ADDRESS "127.0.13.11"
#define SOURCE_ADDRESS "127.0.13.12"
#define SERVENT_ADDRESS "127.0.13.13"
#define NAT_INSIDE "127.0.13.20"
#define NAT_OUTSIDE "127.0.13.21"
#define HIDDEN_NAME "walled_garden_quasar_notes.txt"
#define HIDDEN_TEXT "Reached through a push: its owner cannot be dialled."

static gboolean
leaf_table_in (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);
  JsonArray *links = json_object_get_array_member (status, "links");

  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonObject *link = json_array_get_object_element (links, i);

      if (g_str_equal (json_object_get_string_member (link, "role"), "leaf") &&
          json_object_get_boolean_member (link, "has_qrp_table"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
servent_linked (gpointer data)
{
  return shoal_node_manager_get_link_count (shoal_servent_get_node_manager (data)) > 0;
}

static gboolean
has_row (gpointer data)
{
  return g_list_model_get_n_items (shoal_search_get_results (data)) > 0;
}

static gboolean
download_over (gpointer data)
{
  ShoalDownloadStatus state = shoal_download_get_state (data);

  return state == SHOAL_DOWNLOAD_STATUS_COMPLETED || state == SHOAL_DOWNLOAD_STATUS_FAILED;
}

static ShoalServent *
start_servent (const char *data_dir)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;
  ShoalServent *servent;

  g_free (config->data_dir);
  config->data_dir = g_strdup (data_dir);
  config->download_dir = g_build_filename (data_dir, "complete", NULL);
  config->listen_address = g_strdup (SERVENT_ADDRESS);
  config->port = 0;
  config->role_mode = SHOAL_ROLE_MODE_LEAF;
  config->allow_private = TRUE;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;
  g_assert_true (shoal_node_config_add_anchor (config, UP_ADDRESS ":6346", NULL));
  servent = shoal_servent_new (config, NULL);
  g_assert_true (shoal_servent_start (servent, &error));
  g_assert_no_error (error);
  return servent;
}

static void
test_download_through_push (void)
{
  g_autoptr(ShoalTestNode) ultrapeer = shoal_test_node_new (UP_ADDRESS);
  g_autoptr(ShoalTestNode) source = shoal_test_node_new (SOURCE_ADDRESS);
  g_autoptr(ShoalTestNat) nat = NULL;
  g_autoptr(ShoalServent) servent = NULL;
  g_autoptr(ShoalSearchResult) row = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("shoal-push-servent-XXXXXX", &error);
  g_autofree char *contents = NULL;
  const char *ultrapeer_args[] = { "--role=ultrapeer", NULL };
  const char *source_args[] = { "--role=leaf", "--anchors-only", "--anchor", NAT_INSIDE ":6346",
                                NULL };
  ShoalSearch *search;

  g_assert_no_error (error);
  shoal_test_node_start (ultrapeer, ultrapeer_args);
  nat = shoal_test_nat_new (NAT_INSIDE, NAT_OUTSIDE, UP_ADDRESS);
  shoal_test_node_share_file (source, HIDDEN_NAME, HIDDEN_TEXT);
  shoal_test_node_start (source, source_args);
  shoal_test_node_wait_hashed (source, 1, TIMEOUT_MS);
  shoal_test_poll_until (leaf_table_in, ultrapeer, POLL_MS, TIMEOUT_MS,
                         "the source's QRP table at its ultrapeer");

  servent = start_servent (data_dir);
  shoal_test_wait_until (servent_linked, servent, TIMEOUT_MS, "the servent's link");
  search = shoal_servent_search (servent, "walled quasar", &error);
  g_assert_no_error (error);
  shoal_test_wait_until (has_row, search, TIMEOUT_MS, "the source's hit");
  row = g_list_model_get_item (shoal_search_get_results (search), 0);
  /* Its connect-back never got through the NAT: its hit says push. */
  g_assert_true (shoal_search_result_get_source (row, 0)->push_needed);

  download = shoal_servent_download (servent, row, &error);
  g_assert_no_error (error);
  shoal_test_wait_until (download_over, download, TIMEOUT_MS, "the pushed download");
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_COMPLETED);
  g_assert_true (g_file_get_contents (shoal_download_get_path (download), &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, HIDDEN_TEXT);

  shoal_servent_shutdown (servent);
  g_object_run_dispose (G_OBJECT (servent));
  g_clear_object (&servent);
  shoal_test_remove_tree (data_dir);
  shoal_test_node_stop (source);
  g_clear_pointer (&nat, shoal_test_nat_free);
  shoal_test_node_stop (ultrapeer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/pushed-upload", test_pushed_upload);
  g_test_add_func ("/push/download-through-push", test_download_through_push);
  return g_test_run ();
}
