/* test-browse.c — browse host against running shoald processes: the
 * daemon lists its shared files as query hits signed with its servent
 * GUID, and one started with --no-browse-host refuses. */
#include "shoal-handshake.h"
#include "shoal-message.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <gio/gio.h>
#include <string.h>

#define OPEN_ADDRESS "127.0.17.1"
#define CLOSED_ADDRESS "127.0.17.2"
#define SHARED_NAME "browsable_marmalade_recipe.txt"
#define TIMEOUT_MS 30000

/* Sends a browse request and returns the whole answer. */
static GByteArray *
browse (const char *address)
{
  static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\nAccept: application/x-gnutella-packets\r\n"
                                "Connection: close\r\n\r\n";
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GByteArray *answer = g_byte_array_new ();
  guint8 buffer[4096];
  gssize got;

  connection = g_socket_client_connect_to_host (client, address, SHOAL_TEST_NODE_PORT, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            request, sizeof request - 1, NULL, NULL, &error));
  while ((got = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                     buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (answer, buffer, (guint) got);
  g_assert_no_error (error);
  return answer;
}

/* The body of a chunked answer, its chunks joined. */
static GByteArray *
dechunk (const guint8 *data,
         gsize         length)
{
  GByteArray *body = g_byte_array_new ();
  gsize at = 0;

  for (;;)
    {
      const guint8 *line_end = memchr (data + at, '\n', length - at);
      guint64 size;

      g_assert_nonnull (line_end);
      size = g_ascii_strtoull ((const char *) data + at, NULL, 16);
      at = (gsize) (line_end - data) + 1;
      if (size == 0)
        return body;
      g_assert_cmpuint (at + size + 2, <=, length);
      g_byte_array_append (body, data + at, (guint) size);
      at += size + 2;
    }
}

static void
test_browse_host (void)
{
  g_autoptr(ShoalTestNode) open_node = shoal_test_node_new (OPEN_ADDRESS);
  g_autoptr(ShoalTestNode) closed_node = shoal_test_node_new (CLOSED_ADDRESS);
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(GByteArray) answer = NULL;
  g_autoptr(GByteArray) refused = NULL;
  g_autoptr(GByteArray) body = NULL;
  g_autoptr(ShoalHeaderBlock) head = NULL;
  g_autoptr(ShoalHeaderBlock) refused_head = NULL;
  const char *open_args[] = { "--role=ultrapeer", NULL };
  const char *closed_args[] = { "--role=ultrapeer", "--no-browse-host", NULL };
  ShoalGuid guid;
  gsize end = 0;
  gsize at = 0;
  guint records = 0;

  shoal_test_node_share_file (open_node, SHARED_NAME, "marmalade");
  shoal_test_node_share_file (closed_node, SHARED_NAME, "marmalade");
  shoal_test_node_start (open_node, open_args);
  shoal_test_node_start (closed_node, closed_args);
  shoal_test_node_wait_hashed (open_node, 1, TIMEOUT_MS);
  shoal_test_node_wait_hashed (closed_node, 1, TIMEOUT_MS);
  status = shoal_test_node_status (open_node);
  g_assert_true (shoal_guid_from_hex (json_object_get_string_member (status, "guid"), -1, &guid, NULL));

  answer = browse (OPEN_ADDRESS);
  g_assert_cmpint (shoal_header_block_find_end (answer->data, answer->len, &end, NULL), ==,
                   SHOAL_HEADER_SCAN_COMPLETE);
  head = shoal_header_block_parse (answer->data, end, NULL);
  g_assert_nonnull (head);
  g_assert_cmpuint (head->status_code, ==, 200);
  g_assert_cmpstr (shoal_header_block_get (head, "Content-Type"), ==, "application/x-gnutella-packets");
  body = dechunk (answer->data + end, answer->len - end);
  while (at < body->len)
    {
      g_autoptr(GError) error = NULL;
      gsize consumed = 0;
      g_autoptr(ShoalMessage) message = shoal_message_parse_next (body->data + at, body->len - at,
                                                                  &consumed, &error);

      g_assert_no_error (error);
      g_assert_nonnull (message);
      g_assert_nonnull (message->query_hit);
      g_assert_true (shoal_guid_equal (&message->query_hit->servent_guid, &guid));
      for (guint i = 0; i < message->query_hit->records->len; i++)
        {
          ShoalQueryHitRecord *record = g_ptr_array_index (message->query_hit->records, i);

          g_assert_cmpstr (record->name, ==, SHARED_NAME);
          records++;
        }
      at += consumed;
    }
  g_assert_cmpuint (records, ==, 1);

  refused = browse (CLOSED_ADDRESS);
  g_assert_cmpint (shoal_header_block_find_end (refused->data, refused->len, &end, NULL), ==,
                   SHOAL_HEADER_SCAN_COMPLETE);
  refused_head = shoal_header_block_parse (refused->data, end, NULL);
  g_assert_nonnull (refused_head);
  g_assert_cmpuint (refused_head->status_code, ==, 403);

  shoal_test_node_stop (open_node);
  shoal_test_node_stop (closed_node);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/browse/host", test_browse_host);
  return g_test_run ();
}
