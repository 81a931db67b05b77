/* test-listener.c — one port on loopback: each kind of first line handed
 * to its handler, answers when nobody takes it, garbage, silent, slow and
 * oversized clients, and IPv4 with IPv6. */
#include "shoal-test-loop.h"
#include "shoal-gnutella-handshake.h"
#include "shoal-listener.h"

#include <string.h>

#define TEST_TIMEOUT_MS 10000
#define READ_CHUNK 4096
#define SHORT_TIMEOUT_MS 100
#define DRIBBLE_PAUSE_MS 2
#define HUGE_SIZE (1024 * 1024)
#define FILLER_LINE_LENGTH 1000

static const char busy_answer[] =
  "HTTP/1.1 503 Service Unavailable\r\n"
  "Server: " SHOAL_USER_AGENT "\r\n"
  "Retry-After: 60\r\n"
  "Content-Length: 0\r\n"
  "Connection: close\r\n"
  "\r\n";

static const char not_implemented_answer[] =
  "HTTP/1.1 501 Not Implemented\r\n"
  "Server: " SHOAL_USER_AGENT "\r\n"
  "Content-Length: 0\r\n"
  "Connection: close\r\n"
  "\r\n";

/* Waiting --------------------------------------------------------------- */

static void
wait_for (const gboolean *flag,
          const char     *what)
{
  shoal_test_wait_flag (flag, TEST_TIMEOUT_MS, what);
}

static gboolean
on_pause_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Paces a client that sends slowly on purpose. */
static void
pause_ms (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, on_pause_over, &over);
  wait_for (&over, "a pause");
}

static guint64
get_count (ShoalListener        *listener,
           ShoalListenerOutcome  outcome)
{
  return shoal_listener_get_count (listener, outcome);
}

typedef struct
{
  ShoalListener        *listener;
  ShoalListenerOutcome  outcome;
  guint64               expected;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *wait = data;

  return get_count (wait->listener, wait->outcome) >= wait->expected;
}

static void
wait_for_count (ShoalListener        *listener,
                ShoalListenerOutcome  outcome,
                guint64               expected)
{
  CountWait wait = { listener, outcome, expected };

  shoal_test_wait_until (count_reached, &wait, TEST_TIMEOUT_MS, "a count");
  g_assert_cmpuint (get_count (listener, outcome), ==, expected);
}

/* Clients ----------------------------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GByteArray        *input;
  guint8             chunk[READ_CHUNK];
  gboolean           done;
  gboolean           eof;
} Client;

static void
on_client_connected (GObject      *source,
                     GAsyncResult *res,
                     gpointer      data)
{
  Client *client = data;
  g_autoptr(GError) error = NULL;

  client->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  g_assert_no_error (error);
  client->done = TRUE;
}

static void
client_connect (Client     *client,
                const char *address,
                guint16     port)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new (inet, port);

  memset (client, 0, sizeof *client);
  client->input = g_byte_array_new ();
  g_socket_client_connect_async (socket_client, G_SOCKET_CONNECTABLE (remote), NULL,
                                 on_client_connected, client);
  wait_for (&client->done, "a connection");
}

static guint16
client_local_port (Client *client)
{
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (client->connection, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static void
client_close (Client *client)
{
  g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  g_clear_object (&client->connection);
  g_byte_array_unref (client->input);
}

static void
on_client_written (GObject      *source,
                   GAsyncResult *res,
                   gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error);
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static void
client_send (Client     *client,
             const void *data,
             gsize       length)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));
  gboolean done = FALSE;

  g_output_stream_write_all_async (output, data, length, G_PRIORITY_DEFAULT, NULL,
                                   on_client_written, &done);
  wait_for (&done, "a client write");
}

static void
client_send_text (Client     *client,
                  const char *text)
{
  client_send (client, text, strlen (text));
}

/* A write the server may cut short by closing. */
typedef struct
{
  GBytes   *bytes;
  gboolean  done;
  gboolean  failed;
} BigWrite;

static void
on_big_written (GObject      *source,
                GAsyncResult *res,
                gpointer      data)
{
  BigWrite *write = data;

  write->failed = !g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  write->done = TRUE;
}

static void
client_start_big_write (Client   *client,
                        BigWrite *write,
                        GBytes   *bytes)
{
  write->bytes = bytes;
  write->done = FALSE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (client->connection)),
                                   g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, NULL, on_big_written, write);
}

static void
on_client_read (GObject      *source,
                GAsyncResult *res,
                gpointer      data)
{
  Client *client = data;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  if (n_read <= 0)
    client->eof = TRUE;
  else
    g_byte_array_append (client->input, client->chunk, (guint) n_read);
  client->done = TRUE;
}

/* Reads until the server ends the connection (or resets it). */
static void
client_read_to_end (Client *client)
{
  while (!client->eof)
    {
      client->done = FALSE;
      g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (client->connection)),
                                 client->chunk, sizeof client->chunk, G_PRIORITY_DEFAULT,
                                 NULL, on_client_read, client);
      wait_for (&client->done, "a client read");
    }
}

static void
assert_received (Client     *client,
                 const char *expected)
{
  g_assert_cmpmem (client->input->data, client->input->len, expected, strlen (expected));
}

/* The listener and what it handed over ----------------------------------- */

typedef struct
{
  const char        *kind;
  GIOStream         *stream;
  GBytes            *already_read;
  ShoalIpv4Endpoint  remote;
} Handed;

typedef struct
{
  ShoalListener *listener;
  GPtrArray     *handed;      /* of Handed* */
  gboolean       use_handshake;
  ShoalNodeState state;
  gboolean       handshake_done;
  GError        *handshake_error;
} Fixture;

static void
handed_free (gpointer data)
{
  Handed *handed = data;

  g_io_stream_close (handed->stream, NULL, NULL);
  g_object_unref (handed->stream);
  g_bytes_unref (handed->already_read);
  g_free (handed);
}

static gboolean
take_connection (Fixture                 *fixture,
                 const char              *kind,
                 GIOStream               *stream,
                 GBytes                  *already_read,
                 const ShoalIpv4Endpoint *remote)
{
  Handed *handed = g_new0 (Handed, 1);

  handed->kind = kind;
  handed->stream = g_object_ref (stream);
  handed->already_read = g_bytes_ref (already_read);
  handed->remote = *remote;
  g_ptr_array_add (fixture->handed, handed);
  return TRUE;
}

static gboolean
on_http_request (ShoalListener *listener,
                 GIOStream     *stream,
                 GBytes        *already_read,
                 gpointer       remote,
                 Fixture       *fixture)
{
  return take_connection (fixture, "http", stream, already_read, remote);
}

static gboolean
on_giv (ShoalListener *listener,
        GIOStream     *stream,
        GBytes        *already_read,
        gpointer       remote,
        Fixture       *fixture)
{
  return take_connection (fixture, "giv", stream, already_read, remote);
}

static ShoalNodeState
fixture_get_state (gpointer data)
{
  return ((Fixture *) data)->state;
}

static void
on_handshake_done (GObject      *source,
                   GAsyncResult *res,
                   gpointer      data)
{
  Fixture *fixture = data;
  g_autoptr(ShoalHandshakeResult) result = NULL;

  result = shoal_gnutella_handshake_incoming_finish (res, NULL, &fixture->handshake_error);
  fixture->handshake_done = TRUE;
}

static gboolean
on_gnutella_connection (ShoalListener *listener,
                        GIOStream     *stream,
                        GBytes        *already_read,
                        gpointer       remote,
                        Fixture       *fixture)
{
  ShoalHandshakePolicy policy = {
    .get_state = fixture_get_state,
    .user_data = fixture,
  };

  if (!fixture->use_handshake)
    return take_connection (fixture, "gnutella", stream, already_read, remote);
  shoal_gnutella_handshake_incoming_async (stream, already_read, remote, &policy, NULL,
                                           on_handshake_done, fixture);
  return TRUE;
}

static void
fixture_connect_handlers (Fixture *fixture)
{
  g_signal_connect (fixture->listener, "gnutella-connection",
                    G_CALLBACK (on_gnutella_connection), fixture);
  g_signal_connect (fixture->listener, "http-request", G_CALLBACK (on_http_request), fixture);
  g_signal_connect (fixture->listener, "giv", G_CALLBACK (on_giv), fixture);
}

static void
fixture_start (Fixture            *fixture,
               const char * const *addresses)
{
  g_autoptr(GError) error = NULL;
  guint port = 0;

  memset (fixture, 0, sizeof *fixture);
  fixture->handed = g_ptr_array_new_with_free_func (handed_free);
  fixture->listener = shoal_listener_new (addresses, 0);
  fixture->state.role = SHOAL_PEER_ROLE_ULTRAPEER;
  fixture->state.ultrapeer_slots = 32;
  fixture->state.leaf_slots = 300;
  g_assert_true (shoal_listener_start (fixture->listener, &error));
  g_assert_no_error (error);
  g_assert_true (shoal_listener_get_listening (fixture->listener));
  g_object_get (fixture->listener, "port", &port, NULL);
  g_assert_cmpuint (port, !=, 0);
  g_assert_cmpuint (port, ==, shoal_listener_get_port (fixture->listener));
}

static void
fixture_start_loopback (Fixture *fixture)
{
  const char * const loopback[] = { "127.0.0.1", NULL };

  fixture_start (fixture, loopback);
}

static void
fixture_stop (Fixture *fixture)
{
  g_clear_object (&fixture->listener);
  g_ptr_array_unref (fixture->handed);
  g_clear_error (&fixture->handshake_error);
}

typedef struct
{
  Fixture *fixture;
  guint    count;
} HandedWait;

static gboolean
handed_reached (gpointer data)
{
  HandedWait *wait = data;

  return wait->fixture->handed->len >= wait->count;
}

static void
wait_for_handed (Fixture *fixture,
                 guint    count)
{
  HandedWait wait = { fixture, count };

  shoal_test_wait_until (handed_reached, &wait, TEST_TIMEOUT_MS, "a hand-over");
}

static Handed *
handed_at (Fixture *fixture,
           guint    i)
{
  return g_ptr_array_index (fixture->handed, i);
}

static void
assert_loopback_remote (const Handed *handed,
                        Client       *client)
{
  g_assert_cmpuint (handed->remote.address, ==, 0x7f000001);
  g_assert_cmpuint (handed->remote.port, ==, client_local_port (client));
}

static guint16
fixture_port (Fixture *fixture)
{
  return shoal_listener_get_port (fixture->listener);
}

/* Tests ------------------------------------------------------------------- */

/* HTTP is only peeked at: the upload server must find the request whole
 * in the socket (libmicrohttpd cannot take bytes read already). */
static void
assert_nothing_read (Handed     *handed,
                     const char *first_line,
                     gsize       already_read_length)
{
  gsize length = strlen (first_line);
  g_autofree char *data = g_malloc (length);
  gsize got = 0;

  g_assert_cmpuint (already_read_length, ==, 0);
  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (handed->stream), data,
                                          length, &got, NULL, NULL));
  g_assert_cmpmem (data, got, first_line, length);
}

static void
test_dispatches_each_kind (void)
{
  static const struct
  {
    const char *sent;
    const char *first_line;
    const char *kind;
    ShoalListenerOutcome outcome;
  } cases[] = {
    { "GNUTELLA CONNECT/0.6\r\n", "GNUTELLA CONNECT/0.6\r\n", "gnutella",
      SHOAL_LISTENER_OUTCOME_GNUTELLA },
    { "GET /uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB HTTP/1.1\r\n", "http",
      SHOAL_LISTENER_OUTCOME_HTTP },
    { "HEAD / HTTP/1.1\r\n", "HEAD / HTTP/1.1\r\n", "http",
      SHOAL_LISTENER_OUTCOME_HTTP },
    { "GIV 0:0A1B2C3D4E5F60718293A4B5C6D7E8F9/file\n\n",
      "GIV 0:0A1B2C3D4E5F60718293A4B5C6D7E8F9/file\n", "giv",
      SHOAL_LISTENER_OUTCOME_GIV },
  };
  Fixture fixture;

  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Handed *handed;
      Client client;
      gsize length;
      const char *already_read;

      client_connect (&client, "127.0.0.1", fixture_port (&fixture));
      client_send_text (&client, cases[i].sent);
      wait_for_handed (&fixture, i + 1);
      handed = handed_at (&fixture, i);
      g_assert_cmpstr (handed->kind, ==, cases[i].kind);
      already_read = g_bytes_get_data (handed->already_read, &length);
      if (g_str_equal (cases[i].kind, "http"))
        assert_nothing_read (handed, cases[i].first_line, length);
      else
        {
          g_assert_cmpuint (length, >=, strlen (cases[i].first_line));
          g_assert_cmpmem (already_read, strlen (cases[i].first_line),
                           cases[i].first_line, strlen (cases[i].first_line));
        }
      assert_loopback_remote (handed, &client);
      client_close (&client);
    }
  g_assert_cmpuint (get_count (fixture.listener, SHOAL_LISTENER_OUTCOME_GNUTELLA), ==, 1);
  g_assert_cmpuint (get_count (fixture.listener, SHOAL_LISTENER_OUTCOME_HTTP), ==, 2);
  g_assert_cmpuint (get_count (fixture.listener, SHOAL_LISTENER_OUTCOME_GIV), ==, 1);
  g_assert_cmpuint (get_count (fixture.listener, SHOAL_LISTENER_OUTCOME_UNHANDLED), ==, 0);
  fixture_stop (&fixture);
}

static void
test_http_without_server_busy (void)
{
  const char *requests[] = {
    "GET /get/1/file.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-\r\n\r\n",
    "HEAD /uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB HTTP/1.0\r\n\r\n",
  };
  Fixture fixture;
  guint64 count = 0;

  fixture_start_loopback (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      Client client;

      client_connect (&client, "127.0.0.1", fixture_port (&fixture));
      client_send_text (&client, requests[i]);
      client_read_to_end (&client);
      assert_received (&client, busy_answer);
      client_close (&client);
    }
  g_object_get (fixture.listener, "unhandled-count", &count, NULL);
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpuint (get_count (fixture.listener, SHOAL_LISTENER_OUTCOME_HTTP), ==, 0);
  fixture_stop (&fixture);
}

static void
test_garbage_closed (void)
{
  static const struct
  {
    const char *sent;
    const char *answer;
  } cases[] = {
    { "HELLO THERE\r\n", "" },
    /* gtk-gnutella says 501 to what names HTTP. */
    { "BREW /pot HTTP/1.1\r\n\r\n", not_implemented_answer },
    /* An ultrapeer's connect-back probe: counted apart, it proves we
     * can be reached. */
    { "\n\n", "" },
    { "get / http/1.1\r\n", "" },
  };
  Fixture fixture;

  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Client client;

      client_connect (&client, "127.0.0.1", fixture_port (&fixture));
      client_send_text (&client, cases[i].sent);
      client_read_to_end (&client);
      assert_received (&client, cases[i].answer);
      client_close (&client);
    }
  wait_for_count (fixture.listener, SHOAL_LISTENER_OUTCOME_UNRECOGNIZED, G_N_ELEMENTS (cases) - 1);
  wait_for_count (fixture.listener, SHOAL_LISTENER_OUTCOME_CONNECT_BACK, 1);
  g_assert_cmpuint (fixture.handed->len, ==, 0);
  fixture_stop (&fixture);
}

/* Nobody takes GIV or Gnutella connections: closed without a word. */
static void
test_unhandled_closed (void)
{
  const char *lines[] = {
    "GIV 0:0A1B2C3D4E5F60718293A4B5C6D7E8F9/file\n\n",
    "GNUTELLA CONNECT/0.6\r\n\r\n",
  };
  Fixture fixture;

  fixture_start_loopback (&fixture);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      Client client;

      client_connect (&client, "127.0.0.1", fixture_port (&fixture));
      client_send_text (&client, lines[i]);
      client_read_to_end (&client);
      g_assert_cmpuint (client.input->len, ==, 0);
      client_close (&client);
    }
  wait_for_count (fixture.listener, SHOAL_LISTENER_OUTCOME_UNHANDLED, G_N_ELEMENTS (lines));
  fixture_stop (&fixture);
}

static void
test_silent_client_dropped (void)
{
  Fixture fixture;
  Client client;

  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  g_object_set (fixture.listener, "first-line-timeout", SHORT_TIMEOUT_MS, NULL);
  client_connect (&client, "127.0.0.1", fixture_port (&fixture));
  /* Half a first line, then nothing. */
  client_send_text (&client, "GNUTELLA CONN");
  client_read_to_end (&client);
  g_assert_cmpuint (client.input->len, ==, 0);
  wait_for_count (fixture.listener, SHOAL_LISTENER_OUTCOME_TIMED_OUT, 1);
  g_assert_cmpuint (fixture.handed->len, ==, 0);
  client_close (&client);
  fixture_stop (&fixture);
}

static void
test_oversized_first_line_closed (void)
{
  g_autoptr(GByteArray) line = g_byte_array_sized_new (HUGE_SIZE);
  g_autoptr(GBytes) bytes = NULL;
  BigWrite write = { 0 };
  Fixture fixture;
  Client client;

  /* Not HTTP: HTTP goes to the upload server unread, and its limits on
   * request lines are the server's. */
  g_byte_array_append (line, (const guint8 *) "BREW /", 6);
  g_byte_array_set_size (line, HUGE_SIZE);
  memset (line->data + 6, 'a', HUGE_SIZE - 6);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&line));
  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  client_connect (&client, "127.0.0.1", fixture_port (&fixture));
  client_start_big_write (&client, &write, bytes);
  client_read_to_end (&client);
  g_assert_cmpuint (client.input->len, ==, 0);
  wait_for_count (fixture.listener, SHOAL_LISTENER_OUTCOME_OVERSIZED, 1);
  wait_for (&write.done, "the big write to end");
  g_assert_cmpuint (fixture.handed->len, ==, 0);
  client_close (&client);
  fixture_stop (&fixture);
}

/* A Gnutella connection goes on to the handshake; @body follows its first
 * line and never ends the header block. */
static void
send_endless_handshake (Fixture  *fixture,
                        GBytes   *body,
                        Client   *client)
{
  BigWrite write = { 0 };

  fixture->use_handshake = TRUE;
  client_connect (client, "127.0.0.1", fixture_port (fixture));
  client_send_text (client, "GNUTELLA CONNECT/0.6\r\n");
  client_start_big_write (client, &write, body);
  /* The connection stays open: only a limit can end the handshake. */
  wait_for (&fixture->handshake_done, "the handshake to give up");
  client_read_to_end (client);
  wait_for (&write.done, "the big write to end");
}

/* A 1 MiB header block of long lines: refused once past 16 KiB. */
static void
test_huge_header_block_refused (void)
{
  g_autoptr(GString) body = g_string_sized_new (HUGE_SIZE + FILLER_LINE_LENGTH);
  g_autoptr(GBytes) bytes = NULL;
  Fixture fixture;
  Client client;

  while (body->len < HUGE_SIZE)
    {
      g_string_append (body, "X-Filler: ");
      for (guint i = 0; i < FILLER_LINE_LENGTH - 12; i++)
        g_string_append_c (body, 'f');
      g_string_append (body, "\r\n");
    }
  bytes = g_bytes_new (body->str, body->len);
  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  send_endless_handshake (&fixture, bytes, &client);

  g_assert_error (fixture.handshake_error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (fixture.handshake_error->message, "16384"));
  /* The 413 is sent; unread input may make the kernel reset the
   * connection before the client reads it. */
  if (client.input->len > 0)
    g_assert_true (g_str_has_prefix ((const char *) client.input->data,
                                     "GNUTELLA/0.6 413 Header too large\r\n"));
  g_assert_cmpuint (get_count (fixture.listener, SHOAL_LISTENER_OUTCOME_GNUTELLA), ==, 1);
  client_close (&client);
  fixture_stop (&fixture);
}

static void
test_endless_header_lines_refused (void)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GBytes) bytes = NULL;
  Fixture fixture;
  Client client;

  for (guint i = 0; i < 10 * SHOAL_HEADER_MAX_LINES; i++)
    g_string_append (body, "X-A: b\r\n");
  bytes = g_bytes_new (body->str, body->len);
  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  send_endless_handshake (&fixture, bytes, &client);

  g_assert_error (fixture.handshake_error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix ((const char *) client.input->data,
                                   "GNUTELLA/0.6 413 Header too large\r\n"));
  client_close (&client);
  fixture_stop (&fixture);
}

static void
test_dribbled_first_line_dispatched (void)
{
  static const char line[] = "GNUTELLA CONNECT/0.6\r\n";
  Fixture fixture;
  Client client;
  gsize length;
  const char *already_read;

  fixture_start_loopback (&fixture);
  fixture_connect_handlers (&fixture);
  client_connect (&client, "127.0.0.1", fixture_port (&fixture));
  for (gsize i = 0; i < strlen (line); i++)
    {
      g_assert_cmpuint (fixture.handed->len, ==, 0);
      client_send (&client, line + i, 1);
      pause_ms (DRIBBLE_PAUSE_MS);
    }
  wait_for_handed (&fixture, 1);
  already_read = g_bytes_get_data (handed_at (&fixture, 0)->already_read, &length);
  g_assert_cmpmem (already_read, length, line, strlen (line));
  g_assert_cmpstr (handed_at (&fixture, 0)->kind, ==, "gnutella");
  client_close (&client);
  fixture_stop (&fixture);
}

static void
test_ipv4_and_ipv6_on_one_port (void)
{
  const char * const addresses[] = { "127.0.0.1", "::1", NULL };
  Fixture fixture;
  Client ipv4;
  Client ipv6;

  fixture_start (&fixture, addresses);
  fixture_connect_handlers (&fixture);
  client_connect (&ipv4, "127.0.0.1", fixture_port (&fixture));
  client_send_text (&ipv4, "GET / HTTP/1.1\r\n");
  wait_for_handed (&fixture, 1);
  assert_loopback_remote (handed_at (&fixture, 0), &ipv4);

  client_connect (&ipv6, "::1", fixture_port (&fixture));
  client_send_text (&ipv6, "GET / HTTP/1.1\r\n");
  wait_for_handed (&fixture, 2);
  /* No IPv4 address: 0.0.0.0 with the real port. */
  g_assert_cmpuint (handed_at (&fixture, 1)->remote.address, ==, 0);
  g_assert_cmpuint (handed_at (&fixture, 1)->remote.port, ==, client_local_port (&ipv6));

  client_close (&ipv4);
  client_close (&ipv6);
  fixture_stop (&fixture);
}

static void
test_endpoint_from_address (void)
{
  const struct
  {
    const char *address;
    guint32     expected;
  } cases[] = {
    { "192.0.2.7", 0xc0000207 },
    { "::ffff:192.0.2.7", 0xc0000207 },
    { "2001:db8::7", 0 },
    { "::1", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (cases[i].address);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, 6346);
      ShoalIpv4Endpoint endpoint;

      shoal_listener_endpoint_from_address (address, &endpoint);
      g_assert_cmpuint (endpoint.address, ==, cases[i].expected);
      g_assert_cmpuint (endpoint.port, ==, 6346);
    }
}

/* Silent clients beyond max-pending are closed on arrival. */
static void
test_overflow_closed (void)
{
  Fixture fixture;
  Client first;
  Client second;

  fixture_start_loopback (&fixture);
  g_object_set (fixture.listener, "max-pending", 1, NULL);
  client_connect (&first, "127.0.0.1", fixture_port (&fixture));
  client_connect (&second, "127.0.0.1", fixture_port (&fixture));
  client_read_to_end (&second);
  wait_for_count (fixture.listener, SHOAL_LISTENER_OUTCOME_OVERFLOW, 1);
  client_close (&second);
  client_close (&first);
  fixture_stop (&fixture);
}

/* Stopping closes the connections still owing a first line; start()
 * binds the same port again. */
static void
test_stop_and_restart (void)
{
  g_autoptr(GError) error = NULL;
  Fixture fixture;
  Client client;
  guint16 port;

  fixture_start_loopback (&fixture);
  port = fixture_port (&fixture);
  client_connect (&client, "127.0.0.1", port);
  client_send_text (&client, "GNUTELLA");
  shoal_listener_stop (fixture.listener);
  g_assert_false (shoal_listener_get_listening (fixture.listener));
  client_read_to_end (&client);
  g_assert_cmpuint (client.input->len, ==, 0);
  client_close (&client);

  g_assert_true (shoal_listener_start (fixture.listener, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture_port (&fixture), ==, port);
  fixture_connect_handlers (&fixture);
  client_connect (&client, "127.0.0.1", port);
  client_send_text (&client, "GIV 1:0A1B2C3D4E5F60718293A4B5C6D7E8F9/x\n\n");
  wait_for_handed (&fixture, 1);
  client_close (&client);
  fixture_stop (&fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/net/listener/dispatch", test_dispatches_each_kind);
  g_test_add_func ("/net/listener/http-busy", test_http_without_server_busy);
  g_test_add_func ("/net/listener/garbage", test_garbage_closed);
  g_test_add_func ("/net/listener/unhandled", test_unhandled_closed);
  g_test_add_func ("/net/listener/silent", test_silent_client_dropped);
  g_test_add_func ("/net/listener/oversized-first-line", test_oversized_first_line_closed);
  g_test_add_func ("/net/listener/huge-header-block", test_huge_header_block_refused);
  g_test_add_func ("/net/listener/endless-header-lines", test_endless_header_lines_refused);
  g_test_add_func ("/net/listener/dribble", test_dribbled_first_line_dispatched);
  g_test_add_func ("/net/listener/ipv4-ipv6", test_ipv4_and_ipv6_on_one_port);
  g_test_add_func ("/net/listener/endpoint", test_endpoint_from_address);
  g_test_add_func ("/net/listener/overflow", test_overflow_closed);
  g_test_add_func ("/net/listener/stop-restart", test_stop_and_restart);

  return g_test_run ();
}
