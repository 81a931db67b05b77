/* test-bootstrap.c — where hosts come from when the cache is empty: the
 * UDP host cache client, the GWebCache client and ShoalBootstrap, each
 * against loopback servers of the test's own. Nothing here contacts the
 * built-in lists. */
#include "shoal-bootstrap.h"
#include "shoal-gwebcache.h"
#include "shoal-message.h"
#include "shoal-net-types.h"
#include "shoal-udp-host-cache.h"

#include <string.h>

/* How long any wait may take before the test fails. */
#define TEST_TIMEOUT_MS 30000
/* For queries meant to time out: long enough for loopback to answer. */
#define SHORT_TIMEOUT_MS 300
#define SECOND ((gint64) G_USEC_PER_SEC)
#define START_USEC (G_GINT64_CONSTANT (1700000000) * SECOND)

/* Waiting ----------------------------------------------------------------- */

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Check) (gpointer data);

static void
wait_until (Check       check,
            gpointer    data,
            const char *what)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (TEST_TIMEOUT_MS, on_timeout, &timed_out);

  while (!check (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %d ms waiting for %s", TEST_TIMEOUT_MS, what);
  g_source_remove (timeout);
}

typedef struct
{
  GAsyncResult *result;
} Pending;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ((Pending *) user_data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return ((Pending *) data)->result != NULL;
}

/* The result the operation completed with; the caller owns it. */
static GAsyncResult *
wait_result (Pending *pending)
{
  wait_until (has_result, pending, "an operation to complete");
  return g_steal_pointer (&pending->result);
}

typedef struct
{
  gint64 now;
} FakeClock;

static gint64
fake_clock_now (gpointer user_data)
{
  return ((FakeClock *) user_data)->now;
}

static ShoalIpv4Endpoint
endpoint (const char *text)
{
  ShoalIpv4Endpoint result;

  g_assert_true (shoal_ipv4_endpoint_parse (text, strlen (text), &result));
  return result;
}

static char *
format_endpoint (const ShoalIpv4Endpoint *host)
{
  char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];

  return g_strdup (shoal_ipv4_endpoint_format (host, TRUE, buffer));
}

static GInetAddress *
loopback (void)
{
  return g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
}

/* A loopback UDP host cache ------------------------------------------------ */

typedef enum
{
  UHC_ANSWER_IPP,        /* a pong with IPP (and UP, PHC) */
  UHC_ANSWER_STRAY,      /* noise from elsewhere and a foreign pong first */
  UHC_ANSWER_GARBAGE,    /* bytes that are no message */
  UHC_ANSWER_NOTHING,
} UhcBehaviour;

typedef struct
{
  GSocket      *socket;
  GSocket      *stray_socket;  /* another sender, for UHC_ANSWER_STRAY */
  GSource      *source;
  UhcBehaviour  behaviour;
  const char  **hosts;         /* for IPP, NULL-terminated */
  const char   *responder;     /* the pong's own address */
  const char   *phc;           /* PHC text, or NULL */
  char         *address;       /* "127.0.0.1:port" */
  guint16       port;
  guint         pings;
  gboolean      pings_well_formed;  /* every ping: SCP, TTL 1, hops 0, modern GUID */
} UhcServer;

static GSocket *
bind_udp_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = loopback ();
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (address, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, local, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static guint16
socket_port (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, &error);

  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static void
send_datagram (GSocket        *socket,
               GSocketAddress *to,
               const void     *data,
               gsize           length)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send_to (socket, to, data, length, NULL, &error), ==, (gssize) length);
  g_assert_no_error (error);
}

static GBytes *
build_pong (UhcServer       *server,
            const ShoalGuid *guid)
{
  ShoalIpv4Endpoint own = endpoint (server->responder);
  g_autoptr(ShoalPong) pong = shoal_pong_new (&own, 10, 1000);
  g_autoptr(GArray) hosts = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  ShoalPongUltrapeer ultrapeer = { 0x02, 10, 5 };
  ShoalMessage message = { 0 };
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  for (guint i = 0; server->hosts != NULL && server->hosts[i] != NULL; i++)
    {
      ShoalIpv4Endpoint host = endpoint (server->hosts[i]);

      g_array_append_val (hosts, host);
    }
  shoal_pong_add_ultrapeer (pong, &ultrapeer);
  shoal_pong_add_packed_hosts (pong, (ShoalIpv4Endpoint *) (gpointer) hosts->data, hosts->len);
  if (server->phc != NULL)
    shoal_ggep_add (pong->ggep, "PHC", (const guint8 *) server->phc, strlen (server->phc),
                    SHOAL_GGEP_ENCODING_DEFLATE);
  message.header.guid = *guid;
  message.header.type = SHOAL_MESSAGE_PONG;
  message.header.ttl = 1;
  message.pong = pong;
  bytes = shoal_message_write (&message, &error);
  g_assert_no_error (error);
  return bytes;
}

static void
answer_ping (UhcServer       *server,
             GSocketAddress  *sender,
             const ShoalGuid *guid)
{
  static const char garbage[] = "GNUTELLA? no, just some bytes";
  g_autoptr(GBytes) pong = NULL;

  switch (server->behaviour)
    {
    case UHC_ANSWER_NOTHING:
      return;
    case UHC_ANSWER_GARBAGE:
      send_datagram (server->socket, sender, garbage, sizeof garbage);
      return;
    case UHC_ANSWER_STRAY:
      {
        ShoalGuid other;
        g_autoptr(GBytes) foreign = NULL;

        send_datagram (server->stray_socket, sender, garbage, sizeof garbage);
        shoal_guid_init_modern (&other);
        foreign = build_pong (server, &other);
        send_datagram (server->socket, sender, g_bytes_get_data (foreign, NULL),
                       g_bytes_get_size (foreign));
      }
      break;
    case UHC_ANSWER_IPP:
      break;
    }
  pong = build_pong (server, guid);
  send_datagram (server->socket, sender, g_bytes_get_data (pong, NULL), g_bytes_get_size (pong));
}

static gboolean
is_well_formed_ping (const ShoalMessage *message)
{
  guint8 flags = 0;

  return message->ping != NULL && message->header.ttl == 1 && message->header.hops == 0 &&
         shoal_guid_is_modern (&message->header.guid) &&
         shoal_ping_get_scp (message->ping, &flags) && (flags & SHOAL_PING_SCP_ULTRA);
}

static gboolean
on_uhc_readable (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  UhcServer *server = user_data;
  g_autoptr(GSocketAddress) sender = NULL;
  g_autoptr(ShoalMessage) message = NULL;
  guint8 buffer[65536];
  gssize length = g_socket_receive_from (socket, &sender, (char *) buffer, sizeof buffer, NULL, NULL);

  if (length <= 0)
    return G_SOURCE_CONTINUE;
  message = shoal_message_parse (buffer, (gsize) length, NULL);
  server->pings++;
  if (message == NULL || !is_well_formed_ping (message))
    {
      server->pings_well_formed = FALSE;
      return G_SOURCE_CONTINUE;
    }
  answer_ping (server, sender, &message->header.guid);
  return G_SOURCE_CONTINUE;
}

static UhcServer *
uhc_server_new (UhcBehaviour  behaviour,
                const char  **hosts,
                const char   *responder)
{
  UhcServer *server = g_new0 (UhcServer, 1);

  server->behaviour = behaviour;
  server->hosts = hosts;
  server->responder = responder;
  server->pings_well_formed = TRUE;
  server->socket = bind_udp_socket ();
  server->stray_socket = bind_udp_socket ();
  server->port = socket_port (server->socket);
  server->address = g_strdup_printf ("127.0.0.1:%u", server->port);
  server->source = g_socket_create_source (server->socket, G_IO_IN, NULL);
  g_source_set_callback (server->source, G_SOURCE_FUNC (on_uhc_readable), server, NULL);
  g_source_attach (server->source, NULL);
  return server;
}

static void
uhc_server_free (UhcServer *server)
{
  g_source_destroy (server->source);
  g_source_unref (server->source);
  g_object_unref (server->socket);
  g_object_unref (server->stray_socket);
  g_free (server->address);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UhcServer, uhc_server_free)

/* A loopback HTTP server ----------------------------------------------------- */

typedef struct
{
  GSocketService *service;
  guint16         port;
  GPtrArray      *requests;      /* request heads received, as text */
  GPtrArray      *connections;   /* kept open: "/silent" never answers */
} HttpServer;

typedef struct
{
  HttpServer        *server;
  GSocketConnection *connection;
  GByteArray        *received;
  guint8             buffer[4096];
  GBytes            *response;
} HttpExchange;

static void
http_exchange_free (HttpExchange *exchange)
{
  g_object_unref (exchange->connection);
  g_byte_array_unref (exchange->received);
  g_clear_pointer (&exchange->response, g_bytes_unref);
  g_free (exchange);
}

static GBytes *
text_response (const char *status,
               const char *headers,
               const char *body)
{
  char *text = g_strdup_printf ("HTTP/1.1 %s\r\n%s\r\n%s", status, headers, body);

  return g_bytes_new_take (text, strlen (text));
}

static GBytes *
sized_response (const char *body)
{
  g_autofree char *headers = g_strdup_printf ("Content-Type: text/plain\r\n"
                                              "Content-Length: %zu\r\n", strlen (body));

  return text_response ("200 OK", headers, body);
}

/* @size bytes of v1 host lines. */
static char *
long_body (gsize size)
{
  GString *body = g_string_new (NULL);

  while (body->len < size)
    g_string_append (body, "1.2.3.4:6346\n");
  return g_string_free (body, FALSE);
}

#define V2_BODY \
  "H|1.2.3.4:6346|100\r\n" \
  "h|5.6.7.8:6347|200|extra\r\n" \
  "U|http://cache.invalid/gwc.php|300\r\n" \
  "u|ftp://not-http.invalid/|300\r\n" \
  "I|pong|SomeCache 1.0|gnutella\r\n" \
  "H|999.1.1.1:6346|1\r\n" \
  "garbage line\r\n"

#define V1_BODY "9.9.9.1:6346\n9.9.9.2:6346\r\n\n9.9.9.3:6346"

/* "H|2.2.2.1:6346|5\nH|2.2.2.2:6346|5\n" in three chunks, split inside
 * lines, with an extension, an upper-case size and a trailer. */
#define CHUNKED_BODY \
  "6;name=value\r\nH|2.2.\r\n" \
  "d\r\n2.1:6346|5\nH|\r\n" \
  "F\r\n2.2.2.2:6346|5\n\r\n" \
  "0\r\nX-Trailer: yes\r\n\r\n"

static GBytes *
response_for (HttpServer *server,
              const char *path)
{
  if (g_str_equal (path, "/v2"))
    return sized_response (V2_BODY);
  if (g_str_equal (path, "/v1"))
    return text_response ("200 OK", "Connection: close\r\n", V1_BODY);
  if (g_str_equal (path, "/chunked"))
    return text_response ("200 OK", "Transfer-Encoding: chunked\r\n", CHUNKED_BODY);
  if (g_str_equal (path, "/redirect"))
    return text_response ("302 Found", "Location: /v2\r\nContent-Length: 0\r\n", "");
  if (g_str_equal (path, "/loop"))
    return text_response ("301 Moved", "Location: /loop?again=1\r\nContent-Length: 0\r\n", "");
  if (g_str_equal (path, "/error"))
    return sized_response ("ERROR: Network not supported\r\n");
  if (g_str_equal (path, "/huge"))
    return text_response ("200 OK", "Content-Length: 100000\r\n", "1.2.3.4:6346\n");
  if (g_str_equal (path, "/huge-eof"))
    {
      g_autofree char *body = long_body (SHOAL_GWEBCACHE_MAX_BODY_SIZE + 1000);

      return text_response ("200 OK", "Connection: close\r\n", body);
    }
  if (g_str_equal (path, "/huge-chunked"))
    return text_response ("200 OK", "Transfer-Encoding: chunked\r\n", "20000\r\n1.2.3.4");
  if (g_str_equal (path, "/truncated"))
    return text_response ("200 OK", "Content-Length: 100\r\n", "1.2.3.4:6346\n");
  if (g_str_equal (path, "/gzip"))
    return text_response ("200 OK", "Content-Encoding: gzip\r\nContent-Length: 3\r\n", "abc");
  if (g_str_equal (path, "/silent"))
    return NULL;
  return text_response ("404 Not Found", "Content-Length: 9\r\n", "not found");
}

static void
on_http_closed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  http_exchange_free (user_data);
}

static void
on_http_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HttpExchange *exchange = user_data;

  /* The client may hang up first (a body it refused). */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close_async (G_IO_STREAM (exchange->connection), G_PRIORITY_DEFAULT, NULL,
                           on_http_closed, exchange);
}

static void
answer_request (HttpExchange *exchange,
                gsize         head_length)
{
  g_autofree char *head = g_strndup ((const char *) exchange->received->data, head_length);
  g_auto(GStrv) words = g_strsplit (head, " ", 3);
  g_autofree char *path = g_strdup (words[1] != NULL ? words[1] : "/");
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (exchange->connection));

  g_ptr_array_add (exchange->server->requests, g_strdup (head));
  if (strchr (path, '?') != NULL)
    *strchr (path, '?') = '\0';
  exchange->response = response_for (exchange->server, path);
  if (exchange->response == NULL)
    {
      g_ptr_array_add (exchange->server->connections, g_object_ref (exchange->connection));
      http_exchange_free (exchange);
      return;
    }
  g_output_stream_write_all_async (output, g_bytes_get_data (exchange->response, NULL),
                                   g_bytes_get_size (exchange->response), G_PRIORITY_DEFAULT,
                                   NULL, on_http_written, exchange);
}

static void read_request (HttpExchange *exchange);

static void
on_http_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HttpExchange *exchange = user_data;
  gssize length = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);
  const char *end;

  if (length <= 0)
    {
      http_exchange_free (exchange);
      return;
    }
  g_byte_array_append (exchange->received, exchange->buffer, (guint) length);
  end = g_strstr_len ((const char *) exchange->received->data, exchange->received->len,
                      "\r\n\r\n");
  if (end == NULL)
    read_request (exchange);
  else
    answer_request (exchange, end + 4 - (const char *) exchange->received->data);
}

static void
read_request (HttpExchange *exchange)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (exchange->connection));

  g_input_stream_read_async (input, exchange->buffer, sizeof exchange->buffer,
                             G_PRIORITY_DEFAULT, NULL, on_http_read, exchange);
}

static gboolean
on_http_incoming (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source_object,
                  gpointer           user_data)
{
  HttpExchange *exchange = g_new0 (HttpExchange, 1);

  exchange->server = user_data;
  exchange->connection = g_object_ref (connection);
  exchange->received = g_byte_array_new ();
  read_request (exchange);
  return TRUE;
}

static HttpServer *
http_server_new (void)
{
  HttpServer *server = g_new0 (HttpServer, 1);
  g_autoptr(GInetAddress) address = loopback ();
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (address, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  server->service = g_socket_service_new ();
  server->requests = g_ptr_array_new_with_free_func (g_free);
  server->connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), any_port,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &effective, &error));
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (server->service, "incoming", G_CALLBACK (on_http_incoming), server);
  g_socket_service_start (server->service);
  return server;
}

static void
http_server_free (HttpServer *server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_object_unref (server->service);
  g_ptr_array_unref (server->requests);
  g_ptr_array_unref (server->connections);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpServer, http_server_free)

static char *
http_url (HttpServer *server,
          const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", server->port, path);
}

/* UDP host cache client -------------------------------------------------------- */

static ShoalUdpHostCacheReply *
query_uhc (const char  *address,
           GSocket     *socket,
           guint        timeout_ms,
           GError     **error)
{
  Pending pending = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  shoal_udp_host_cache_query_async (address, socket, timeout_ms, NULL, on_done, &pending);
  result = wait_result (&pending);
  return shoal_udp_host_cache_query_finish (result, error);
}

static const char *uhc_hosts[] = { "1.1.1.1:6346", "2.2.2.2:6347", "3.3.3.3:6348", NULL };

static void
assert_hosts (GArray             *hosts,
              const char * const *expected)
{
  guint count = g_strv_length ((char **) expected);

  g_assert_cmpuint (hosts->len, ==, count);
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *text = format_endpoint (&g_array_index (hosts, ShoalIpv4Endpoint, i));

      g_assert_cmpstr (text, ==, expected[i]);
    }
}

static void
test_uhc_answers_with_ipp (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_IPP, uhc_hosts, "4.4.4.4:6346");
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalUdpHostCacheReply) reply = NULL;
  g_autofree char *cache = NULL;
  g_autofree char *responder = NULL;

  server->phc = "uhc.example.invalid:1234\n  spaced.invalid:99 \nno-port.invalid\nbad host:1\n"
                "port.invalid:0\n";
  reply = query_uhc (server->address, NULL, 0, &error);
  g_assert_no_error (error);
  assert_hosts (reply->hosts, uhc_hosts);
  cache = format_endpoint (&reply->cache);
  g_assert_cmpstr (cache, ==, server->address);
  responder = format_endpoint (&reply->responder);
  g_assert_cmpstr (responder, ==, "4.4.4.4:6346");
  g_assert_true (reply->responder_is_ultrapeer);
  g_assert_cmpuint (reply->udp_host_caches->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (reply->udp_host_caches, 0), ==, "uhc.example.invalid:1234");
  g_assert_cmpstr (g_ptr_array_index (reply->udp_host_caches, 1), ==, "spaced.invalid:99");
  g_assert_cmpstr (g_ptr_array_index (reply->udp_host_caches, 2), ==, "no-port.invalid:6346");
  g_assert_cmpuint (server->pings, ==, 1);
  g_assert_true (server->pings_well_formed);
}

static void
test_uhc_ignores_strays (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_STRAY, uhc_hosts, "4.4.4.4:6346");
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalUdpHostCacheReply) reply = query_uhc (server->address, NULL, 0, &error);

  g_assert_no_error (error);
  assert_hosts (reply->hosts, uhc_hosts);
  g_assert_cmpuint (reply->udp_host_caches->len, ==, 0);
}

static void
test_uhc_on_callers_socket (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_IPP, uhc_hosts, "4.4.4.4:6346");
  g_autoptr(GSocket) own = bind_udp_socket ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalUdpHostCacheReply) reply = query_uhc (server->address, own, 0, &error);

  g_assert_no_error (error);
  assert_hosts (reply->hosts, uhc_hosts);
  /* The caller's socket stays open for the caller. */
  g_assert_false (g_socket_is_closed (own));
}

static void
test_uhc_resolves_names (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_IPP, uhc_hosts, "4.4.4.4:6346");
  g_autofree char *address = g_strdup_printf ("localhost:%u", server->port);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalUdpHostCacheReply) reply = query_uhc (address, NULL, 0, &error);

  g_assert_no_error (error);
  assert_hosts (reply->hosts, uhc_hosts);
}

static void
test_uhc_garbage_is_an_error (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_GARBAGE, NULL, "4.4.4.4:6346");
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalUdpHostCacheReply) reply = query_uhc (server->address, NULL, 0, &error);

  g_assert_null (reply);
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, server->address));
}

static void
test_uhc_silence_times_out (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_NOTHING, NULL, "4.4.4.4:6346");
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  g_autoptr(ShoalUdpHostCacheReply) reply = query_uhc (server->address, NULL, SHORT_TIMEOUT_MS,
                                                       &error);

  g_assert_null (reply);
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, SHORT_TIMEOUT_MS * 1000);
  g_assert_cmpuint (server->pings, ==, 1);
}

static void
test_uhc_bad_addresses (void)
{
  static const char *const bad[] = {
    "no-port", "host:0", "host:65536", "host:", ":6346", "[::1]:6346", "bad host:6346",
    "host:12x",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalUdpHostCacheReply) reply = query_uhc (bad[i], NULL, 0, &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (reply);
      g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
    }
}

static void
test_uhc_cancelled (void)
{
  g_autoptr(UhcServer) server = uhc_server_new (UHC_ANSWER_NOTHING, NULL, "4.4.4.4:6346");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL };

  shoal_udp_host_cache_query_async (server->address, NULL, 0, cancellable, on_done, &pending);
  g_cancellable_cancel (cancellable);
  result = wait_result (&pending);
  g_assert_null (shoal_udp_host_cache_query_finish (result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* GWebCache client ------------------------------------------------------------- */

static void
test_gwc_parse_reply (void)
{
  static const char body[] = "h|1.2.3.4:6346|1\rH|5.6.7.8:1|2\r\n  i|update|OK  \n"
                             "10.0.0.1:6346\nX|what\nH|1.2.3.4|3\nH|1.2.3.4:0|3\n"
                             "U|HTTP://Upper.invalid/x|1\nU|http://with space.invalid/|1\n";
  static const char refused_body[] = "H|1.2.3.4:6346|1\nerror: no \x01 hosts\n";
  const char *expected[] = { "1.2.3.4:6346", "5.6.7.8:1", "10.0.0.1:6346", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = shoal_gwebcache_parse_reply (body, strlen (body), &error);
  g_autoptr(ShoalGwebcacheReply) empty = shoal_gwebcache_parse_reply ("", 0, &error);
  g_autoptr(ShoalGwebcacheReply) refused = NULL;
  g_autofree char *long_url = g_strdup_printf ("U|http://%0*d/|1\n", SHOAL_GWEBCACHE_MAX_URL_LENGTH, 0);
  g_autoptr(ShoalGwebcacheReply) too_long = shoal_gwebcache_parse_reply (long_url, strlen (long_url),
                                                                          &error);

  g_assert_no_error (error);
  /* The parser keeps private addresses: the host cache filters them. */
  assert_hosts (reply->hosts, expected);
  g_assert_cmpuint (reply->caches->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (reply->caches, 0), ==, "HTTP://Upper.invalid/x");
  g_assert_cmpuint (reply->skipped, ==, 4);
  g_assert_cmpuint (empty->hosts->len, ==, 0);
  g_assert_cmpuint (too_long->caches->len, ==, 0);
  g_assert_cmpuint (too_long->skipped, ==, 1);

  refused = shoal_gwebcache_parse_reply (refused_body, strlen (refused_body), &error);
  g_assert_null (refused);
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "error: no ? hosts"));
}

static ShoalGwebcacheReply *
query_gwc (HttpServer  *server,
           const char  *path,
           guint        timeout_ms,
           GError     **error)
{
  g_autofree char *url = http_url (server, path);
  Pending pending = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  shoal_gwebcache_query_async (url, timeout_ms, NULL, on_done, &pending);
  result = wait_result (&pending);
  return shoal_gwebcache_query_finish (result, error);
}

static void
test_gwc_v2 (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, "/v2", 0, &error);
  const char *expected[] = { "1.2.3.4:6346", "5.6.7.8:6347", NULL };
  g_autofree char *request_line = g_strdup_printf ("GET /v2?get=1&net=gnutella&client=SHOL"
                                                   "&version=%s HTTP/1.1\r\n", PACKAGE_VERSION);
  g_autofree char *host_line = g_strdup_printf ("\r\nHost: 127.0.0.1:%u\r\n", server->port);
  const char *request;

  g_assert_no_error (error);
  assert_hosts (reply->hosts, expected);
  g_assert_cmpuint (reply->caches->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (reply->caches, 0), ==, "http://cache.invalid/gwc.php");
  g_assert_cmpuint (reply->skipped, ==, 3);

  g_assert_cmpuint (server->requests->len, ==, 1);
  request = g_ptr_array_index (server->requests, 0);
  g_assert_true (g_str_has_prefix (request, request_line));
  g_assert_nonnull (strstr (request, host_line));
  g_assert_nonnull (strstr (request, "\r\nUser-Agent: " SHOAL_USER_AGENT "\r\n"));
}

static void
test_gwc_v1_until_close (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, "/v1", 0, &error);
  const char *expected[] = { "9.9.9.1:6346", "9.9.9.2:6346", "9.9.9.3:6346", NULL };

  g_assert_no_error (error);
  assert_hosts (reply->hosts, expected);
  g_assert_cmpuint (reply->skipped, ==, 0);
}

static void
test_gwc_chunked (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, "/chunked", 0, &error);
  const char *expected[] = { "2.2.2.1:6346", "2.2.2.2:6346", NULL };

  g_assert_no_error (error);
  assert_hosts (reply->hosts, expected);
}

static void
test_gwc_redirect (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, "/redirect", 0, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (reply->hosts->len, ==, 2);
  g_assert_cmpuint (server->requests->len, ==, 2);
  /* A Location without a query gets our parameters. */
  g_assert_true (g_str_has_prefix (g_ptr_array_index (server->requests, 1),
                                   "GET /v2?get=1&net=gnutella&client=SHOL&version="));
}

static void
test_gwc_redirect_loop (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, "/loop", 0, &error);

  g_assert_null (reply);
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "redirects"));
  g_assert_cmpuint (server->requests->len, ==, SHOAL_GWEBCACHE_MAX_REDIRECTS + 1);
  /* A Location with a query is taken as it is. */
  g_assert_true (g_str_has_prefix (g_ptr_array_index (server->requests, 1),
                                   "GET /loop?again=1 HTTP/1.1\r\n"));
}

typedef struct
{
  const char *path;
  int         code;
  const char *message_part;
} GwcFailure;

static void
test_gwc_failures (void)
{
  static const GwcFailure failures[] = {
    { "/error", SHOAL_NET_ERROR_REFUSED, "ERROR: Network not supported" },
    { "/missing", SHOAL_NET_ERROR_REFUSED, "HTTP 404 Not Found" },
    { "/huge", SHOAL_NET_ERROR_TOO_LARGE, "100000" },
    { "/huge-eof", SHOAL_NET_ERROR_TOO_LARGE, "larger than" },
    { "/huge-chunked", SHOAL_NET_ERROR_TOO_LARGE, "larger than" },
    { "/truncated", SHOAL_NET_ERROR_CLOSED, "before its end" },
    { "/gzip", SHOAL_NET_ERROR_PROTOCOL, "gzip" },
  };
  g_autoptr(HttpServer) server = http_server_new ();

  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, failures[i].path, 0, &error);

      g_test_message ("%s", failures[i].path);
      g_assert_null (reply);
      g_assert_error (error, SHOAL_NET_ERROR, failures[i].code);
      g_assert_nonnull (strstr (error->message, failures[i].message_part));
      g_assert_nonnull (strstr (error->message, failures[i].path));
    }
}

static void
test_gwc_silence_times_out (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = query_gwc (server, "/silent", SHORT_TIMEOUT_MS, &error);

  g_assert_null (reply);
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT);
  g_assert_cmpuint (server->requests->len, ==, 1);
}

static void
test_gwc_unreachable (void)
{
  static const char *const urls[] = {
    "https://127.0.0.1/gwc.php", "not a url", "http:///nohost", "ftp://127.0.0.1/",
  };
  g_autoptr(GSocket) closed = bind_udp_socket ();
  g_autofree char *refused_url = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      Pending pending = { NULL };
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", urls[i]);
      shoal_gwebcache_query_async (urls[i], 0, NULL, on_done, &pending);
      result = wait_result (&pending);
      g_assert_null (shoal_gwebcache_query_finish (result, &error));
      g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
    }

  /* A loopback TCP port nobody listens on (the port of a UDP socket). */
  {
    Pending pending = { NULL };
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    refused_url = g_strdup_printf ("http://127.0.0.1:%u/", socket_port (closed));
    shoal_gwebcache_query_async (refused_url, 0, NULL, on_done, &pending);
    result = wait_result (&pending);
    g_assert_null (shoal_gwebcache_query_finish (result, &error));
    g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
  }
}

static void
test_gwc_cancelled (void)
{
  g_autoptr(HttpServer) server = http_server_new ();
  g_autofree char *url = http_url (server, "/silent");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL };

  shoal_gwebcache_query_async (url, 0, cancellable, on_done, &pending);
  g_cancellable_cancel (cancellable);
  result = wait_result (&pending);
  g_assert_null (shoal_gwebcache_query_finish (result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ShoalBootstrap -------------------------------------------------------------------- */

typedef struct
{
  GPtrArray *addresses;  /* every contact, in order */
  GPtrArray *errors;     /* GError* or NULL per contact */
  GArray    *hosts;      /* guint per contact */
} Contacts;

static void
on_contacted (ShoalBootstrap *bootstrap,
              const char     *address,
              guint           hosts,
              const GError   *error,
              gpointer        user_data)
{
  Contacts *contacts = user_data;

  g_ptr_array_add (contacts->addresses, g_strdup (address));
  g_ptr_array_add (contacts->errors, error != NULL ? g_error_copy (error) : NULL);
  g_array_append_val (contacts->hosts, hosts);
}

/* Successful contacts leave NULL in Contacts.errors. */
static void
free_error_if_any (gpointer error)
{
  if (error != NULL)
    g_error_free (error);
}

static Contacts *
watch_contacts (ShoalBootstrap *bootstrap)
{
  Contacts *contacts = g_new0 (Contacts, 1);

  contacts->addresses = g_ptr_array_new_with_free_func (g_free);
  contacts->errors = g_ptr_array_new_with_free_func (free_error_if_any);
  contacts->hosts = g_array_new (FALSE, FALSE, sizeof (guint));
  g_signal_connect (bootstrap, "contacted", G_CALLBACK (on_contacted), contacts);
  return contacts;
}

static void
contacts_free (Contacts *contacts)
{
  g_ptr_array_unref (contacts->addresses);
  g_ptr_array_unref (contacts->errors);
  g_array_unref (contacts->hosts);
  g_free (contacts);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Contacts, contacts_free)

static const GError *
contact_error (Contacts *contacts,
               guint     index)
{
  return g_ptr_array_index (contacts->errors, index);
}

static gboolean
run_bootstrap (ShoalBootstrap  *bootstrap,
               guint            target,
               GError         **error)
{
  Pending pending = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  shoal_bootstrap_run_async (bootstrap, target, NULL, on_done, &pending);
  result = wait_result (&pending);
  return shoal_bootstrap_run_finish (bootstrap, result, error);
}

static ShoalBootstrap *
new_bootstrap (ShoalHostCache     *cache,
               const char * const *udp_host_caches,
               const char * const *gwebcaches)
{
  ShoalBootstrap *bootstrap = shoal_bootstrap_new (cache);

  /* Never the built-in lists. */
  shoal_bootstrap_set_sources (bootstrap, udp_host_caches, gwebcaches);
  g_object_set (bootstrap, "contact-interval", 0, "query-timeout", SHORT_TIMEOUT_MS, NULL);
  return bootstrap;
}

static void
test_bootstrap_default_lists (void)
{
  const char * const *uhcs = shoal_bootstrap_get_default_udp_host_caches ();
  const char * const *gwcs = shoal_bootstrap_get_default_gwebcaches ();

  g_assert_cmpuint (g_strv_length ((char **) uhcs), >=, 3);
  g_assert_cmpuint (g_strv_length ((char **) gwcs), >=, 1);
  for (guint i = 0; uhcs[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      guint16 port = 0;

      g_assert_true (shoal_udp_host_cache_parse_address (uhcs[i], &host, &port, NULL));
      g_assert_cmpuint (port, >, 0);
    }
  for (guint i = 0; gwcs[i] != NULL; i++)
    g_assert_true (g_str_has_prefix (gwcs[i], "http://"));
}

static void
test_bootstrap_fills_cache_from_uhc (void)
{
  g_autoptr(UhcServer) first = uhc_server_new (UHC_ANSWER_IPP, uhc_hosts, "4.4.4.4:6346");
  g_autoptr(UhcServer) second = uhc_server_new (UHC_ANSWER_IPP, uhc_hosts, "5.5.5.5:6346");
  const char *uhcs[] = { first->address, second->address, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, uhcs, NULL);
  g_autoptr(Contacts) contacts = watch_contacts (bootstrap);
  g_autoptr(GError) error = NULL;
  ShoalIpv4Endpoint responder = endpoint ("4.4.4.4:6346");
  ShoalHostInfo info;

  g_assert_true (run_bootstrap (bootstrap, 3, &error));
  g_assert_no_error (error);
  /* Three IPP hosts and the cache's own address; the second cache was
   * never needed. */
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 4);
  g_assert_cmpuint (second->pings, ==, 0);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 1);
  g_assert_cmpuint (contacts->addresses->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (contacts->addresses, 0), ==, first->address);
  g_assert_cmpuint (g_array_index (contacts->hosts, guint, 0), ==, 4);
  g_assert_null (contact_error (contacts, 0));

  for (guint i = 0; uhc_hosts[i] != NULL; i++)
    {
      ShoalIpv4Endpoint host = endpoint (uhc_hosts[i]);

      g_assert_true (shoal_host_cache_lookup (cache, &host, &info));
      g_assert_cmpuint (info.sources, ==, SHOAL_HOST_SOURCE_UHC);
      g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_ULTRAPEER);
    }
  g_assert_true (shoal_host_cache_lookup (cache, &responder, &info));
  g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_ULTRAPEER);
  g_assert_false (shoal_bootstrap_get_running (bootstrap));
}

static gboolean
is_waiting (gpointer data)
{
  return shoal_bootstrap_get_next_contact (SHOAL_BOOTSTRAP (data)) != 0;
}

static void
test_bootstrap_respects_contact_interval (void)
{
  const char *first_hosts[] = { "1.1.1.1:6346", "1.1.1.2:6346", NULL };
  const char *second_hosts[] = { "2.2.2.1:6346", "2.2.2.2:6346", "2.2.2.3:6346", NULL };
  g_autoptr(UhcServer) first = uhc_server_new (UHC_ANSWER_IPP, first_hosts, "0.0.0.0:0");
  g_autoptr(UhcServer) second = uhc_server_new (UHC_ANSWER_IPP, second_hosts, "0.0.0.0:0");
  const char *uhcs[] = { first->address, second->address, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, uhcs, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  FakeClock clock = { START_USEC };
  Pending pending = { NULL };

  g_object_set (bootstrap, "contact-interval", 60, NULL);
  shoal_bootstrap_set_clock (bootstrap, fake_clock_now, &clock);
  shoal_bootstrap_run_async (bootstrap, 5, NULL, on_done, &pending);
  wait_until (is_waiting, bootstrap, "the bootstrap to wait for its next turn");

  g_assert_cmpint (shoal_bootstrap_get_next_contact (bootstrap), ==, START_USEC + 60 * SECOND);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 1);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 2);
  g_assert_cmpuint (second->pings, ==, 0);

  /* A second short of the interval: still waiting. */
  clock.now = START_USEC + 59 * SECOND;
  shoal_bootstrap_set_clock (bootstrap, fake_clock_now, &clock);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 1);
  g_assert_cmpint (shoal_bootstrap_get_next_contact (bootstrap), ==, START_USEC + 60 * SECOND);

  clock.now = START_USEC + 60 * SECOND;
  shoal_bootstrap_set_clock (bootstrap, fake_clock_now, &clock);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 2);
  g_assert_cmpint (shoal_bootstrap_get_next_contact (bootstrap), ==, 0);

  result = wait_result (&pending);
  g_assert_true (shoal_bootstrap_run_finish (bootstrap, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 5);
  g_assert_cmpuint (first->pings, ==, 1);
  g_assert_cmpuint (second->pings, ==, 1);
}

static void
test_bootstrap_exhausts_list (void)
{
  g_autoptr(UhcServer) garbage = uhc_server_new (UHC_ANSWER_GARBAGE, NULL, "0.0.0.0:0");
  g_autoptr(UhcServer) silent = uhc_server_new (UHC_ANSWER_NOTHING, NULL, "0.0.0.0:0");
  g_autoptr(HttpServer) http = http_server_new ();
  g_autofree char *missing = http_url (http, "/missing");
  const char *uhcs[] = { garbage->address, silent->address, NULL };
  const char *gwcs[] = { missing, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, uhcs, gwcs);
  g_autoptr(Contacts) contacts = watch_contacts (bootstrap);
  g_autoptr(GError) error = NULL;
  FakeClock clock = { START_USEC };

  shoal_bootstrap_set_clock (bootstrap, fake_clock_now, &clock);
  g_assert_false (run_bootstrap (bootstrap, 10, &error));
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
  g_clear_error (&error);

  /* UDP host caches first, then the GWebCache; each contact reported. */
  g_assert_cmpuint (contacts->addresses->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (contacts->addresses, 0), ==, garbage->address);
  g_assert_cmpstr (g_ptr_array_index (contacts->addresses, 1), ==, silent->address);
  g_assert_cmpstr (g_ptr_array_index (contacts->addresses, 2), ==, missing);
  g_assert_error (contact_error (contacts, 0), SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL);
  g_assert_error (contact_error (contacts, 1), SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT);
  g_assert_error (contact_error (contacts, 2), SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED);

  /* Asked within the hour: not again. */
  clock.now += (SHOAL_BOOTSTRAP_SOURCE_RETRY_SECONDS - 1) * SECOND;
  g_assert_false (run_bootstrap (bootstrap, 10, &error));
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
  g_clear_error (&error);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 3);
  g_assert_cmpuint (garbage->pings, ==, 1);

  /* An hour later they may be asked again. */
  clock.now += SECOND;
  g_assert_false (run_bootstrap (bootstrap, 10, &error));
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 6);
  g_assert_cmpuint (garbage->pings, ==, 2);
  g_assert_cmpuint (http->requests->len, ==, 2);
}

static void
test_bootstrap_session_caps (void)
{
  g_autoptr(UhcServer) one = uhc_server_new (UHC_ANSWER_GARBAGE, NULL, "0.0.0.0:0");
  g_autoptr(UhcServer) two = uhc_server_new (UHC_ANSWER_GARBAGE, NULL, "0.0.0.0:0");
  g_autoptr(UhcServer) three = uhc_server_new (UHC_ANSWER_GARBAGE, NULL, "0.0.0.0:0");
  g_autoptr(HttpServer) http = http_server_new ();
  g_autofree char *gwc1 = http_url (http, "/missing1");
  g_autofree char *gwc2 = http_url (http, "/missing2");
  g_autofree char *gwc3 = http_url (http, "/missing3");
  const char *uhcs[] = { one->address, two->address, three->address, NULL };
  const char *gwcs[] = { gwc1, gwc2, gwc3, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, uhcs, NULL);
  g_autoptr(GError) error = NULL;

  g_object_set (bootstrap, "max-contacts", 2, NULL);
  g_assert_false (run_bootstrap (bootstrap, 1, &error));
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
  g_clear_error (&error);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 2);
  g_assert_cmpuint (three->pings, ==, 0);

  /* GWebCaches: at most two a session, whatever the overall cap. */
  g_object_set (bootstrap, "max-contacts", 100, NULL);
  shoal_bootstrap_set_sources (bootstrap, NULL, gwcs);
  g_assert_false (run_bootstrap (bootstrap, 1, &error));
  g_assert_cmpuint (http->requests->len, ==, SHOAL_BOOTSTRAP_MAX_GWEBCACHE_CONTACTS);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 4);
}

static void
test_bootstrap_from_gwebcaches (void)
{
  g_autoptr(HttpServer) http = http_server_new ();
  g_autofree char *v2 = http_url (http, "/v2");
  g_autofree char *v1 = http_url (http, "/v1");
  const char *gwcs[] = { v2, v1, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, NULL, gwcs);
  g_autoptr(Contacts) contacts = watch_contacts (bootstrap);
  g_autoptr(GError) error = NULL;
  ShoalIpv4Endpoint v1_host = endpoint ("9.9.9.3:6346");
  ShoalHostInfo info;

  g_assert_true (run_bootstrap (bootstrap, 5, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 5);
  g_assert_cmpuint (contacts->addresses->len, ==, 2);
  g_assert_cmpuint (g_array_index (contacts->hosts, guint, 0), ==, 2);
  g_assert_cmpuint (g_array_index (contacts->hosts, guint, 1), ==, 3);
  g_assert_true (shoal_host_cache_lookup (cache, &v1_host, &info));
  g_assert_cmpuint (info.sources, ==, SHOAL_HOST_SOURCE_GWC);
  g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_UNKNOWN);
}

static void
test_bootstrap_learns_caches (void)
{
  g_autoptr(UhcServer) learned = uhc_server_new (UHC_ANSWER_IPP, uhc_hosts, "0.0.0.0:0");
  const char *first_hosts[] = { "7.1.1.1:6346", NULL };
  g_autoptr(UhcServer) first = uhc_server_new (UHC_ANSWER_IPP, first_hosts, "0.0.0.0:0");
  g_autofree char *phc = g_strdup_printf ("localhost:%u\n", learned->port);
  const char *uhcs[] = { first->address, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, uhcs, NULL);
  g_autoptr(GError) error = NULL;

  first->phc = phc;
  g_assert_true (run_bootstrap (bootstrap, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (learned->pings, ==, 1);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 4);
}

static void
test_bootstrap_cancel_and_pending (void)
{
  g_autoptr(UhcServer) silent = uhc_server_new (UHC_ANSWER_NOTHING, NULL, "0.0.0.0:0");
  g_autoptr(UhcServer) other = uhc_server_new (UHC_ANSWER_NOTHING, NULL, "0.0.0.0:0");
  const char *uhcs[] = { silent->address, other->address, NULL };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, uhcs, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) second_result = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { NULL };
  Pending second = { NULL };

  /* Cancelled while a contact is under way. */
  g_object_set (bootstrap, "query-timeout", TEST_TIMEOUT_MS, NULL);
  shoal_bootstrap_run_async (bootstrap, 1, cancellable, on_done, &pending);
  g_assert_true (shoal_bootstrap_get_running (bootstrap));
  shoal_bootstrap_run_async (bootstrap, 1, NULL, on_done, &second);
  second_result = wait_result (&second);
  g_assert_false (shoal_bootstrap_run_finish (bootstrap, second_result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  result = wait_result (&pending);
  g_assert_false (shoal_bootstrap_run_finish (bootstrap, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);
  g_assert_false (shoal_bootstrap_get_running (bootstrap));

  /* Cancelled while waiting for the next turn. */
  g_object_set (bootstrap, "contact-interval", 3600, NULL);
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  shoal_bootstrap_run_async (bootstrap, 1, cancellable, on_done, &pending);
  g_assert_cmpint (shoal_bootstrap_get_next_contact (bootstrap), >, 0);
  g_cancellable_cancel (cancellable);
  result = wait_result (&pending);
  g_assert_false (shoal_bootstrap_run_finish (bootstrap, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (other->pings, ==, 0);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 1);
}

static void
test_bootstrap_disabled (void)
{
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  g_autoptr(ShoalBootstrap) bootstrap = new_bootstrap (cache, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (run_bootstrap (bootstrap, 1, &error));
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE);
  g_assert_cmpuint (shoal_bootstrap_get_contacts (bootstrap), ==, 0);
  /* A cache that already holds enough needs nothing. */
  g_clear_error (&error);
  g_assert_true (run_bootstrap (bootstrap, 0, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/uhc/answers-with-ipp", test_uhc_answers_with_ipp);
  g_test_add_func ("/uhc/ignores-strays", test_uhc_ignores_strays);
  g_test_add_func ("/uhc/on-callers-socket", test_uhc_on_callers_socket);
  g_test_add_func ("/uhc/resolves-names", test_uhc_resolves_names);
  g_test_add_func ("/uhc/garbage-is-an-error", test_uhc_garbage_is_an_error);
  g_test_add_func ("/uhc/silence-times-out", test_uhc_silence_times_out);
  g_test_add_func ("/uhc/bad-addresses", test_uhc_bad_addresses);
  g_test_add_func ("/uhc/cancelled", test_uhc_cancelled);
  g_test_add_func ("/gwebcache/parse-reply", test_gwc_parse_reply);
  g_test_add_func ("/gwebcache/v2", test_gwc_v2);
  g_test_add_func ("/gwebcache/v1-until-close", test_gwc_v1_until_close);
  g_test_add_func ("/gwebcache/chunked", test_gwc_chunked);
  g_test_add_func ("/gwebcache/redirect", test_gwc_redirect);
  g_test_add_func ("/gwebcache/redirect-loop", test_gwc_redirect_loop);
  g_test_add_func ("/gwebcache/failures", test_gwc_failures);
  g_test_add_func ("/gwebcache/silence-times-out", test_gwc_silence_times_out);
  g_test_add_func ("/gwebcache/unreachable", test_gwc_unreachable);
  g_test_add_func ("/gwebcache/cancelled", test_gwc_cancelled);
  g_test_add_func ("/bootstrap/default-lists", test_bootstrap_default_lists);
  g_test_add_func ("/bootstrap/fills-cache-from-uhc", test_bootstrap_fills_cache_from_uhc);
  g_test_add_func ("/bootstrap/respects-contact-interval", test_bootstrap_respects_contact_interval);
  g_test_add_func ("/bootstrap/exhausts-list", test_bootstrap_exhausts_list);
  g_test_add_func ("/bootstrap/session-caps", test_bootstrap_session_caps);
  g_test_add_func ("/bootstrap/from-gwebcaches", test_bootstrap_from_gwebcaches);
  g_test_add_func ("/bootstrap/learns-caches", test_bootstrap_learns_caches);
  g_test_add_func ("/bootstrap/cancel-and-pending", test_bootstrap_cancel_and_pending);
  g_test_add_func ("/bootstrap/disabled", test_bootstrap_disabled);
  return g_test_run ();
}
