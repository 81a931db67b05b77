/* test-gnutella-handshake.c — the 0.6 handshake on loopback connections:
 * recorded gtk-gnutella peers in both directions, refusals, leaf guidance,
 * crawlers, connections to self, limits and timeouts. */
#include "shoal-test-loop.h"
#include "shoal-gnutella-handshake.h"
#include "shoal-test-vectors.h"

#include <string.h>

#define TEST_TIMEOUT_MS 10000
#define READ_CHUNK 4096
/* 2024-04-01 12:00:00 UTC, a Monday. */
#define TEST_STARTED_USEC (G_GINT64_CONSTANT (1711972800) * G_USEC_PER_SEC)
#define TEST_LIVE_SINCE "Mon, 01 Apr 2024 12:00:00 +0000"
#define TEST_GUID_HEX "5a01c0ffee0000000000ff0000000100"
#define TEST_TRY_HOSTS 12

/* Waiting --------------------------------------------------------------- */

static void
wait_for (const gboolean *flag,
          const char     *what)
{
  shoal_test_wait_flag (flag, TEST_TIMEOUT_MS, what);
}

/* A loopback connection ------------------------------------------------- */

typedef struct
{
  GSocketConnection *server;
  GSocketConnection *client;
  gboolean           accepted;
  gboolean           connected;
} Pair;

static void
on_accepted (GObject      *source,
             GAsyncResult *res,
             gpointer      data)
{
  Pair *pair = data;
  g_autoptr(GError) error = NULL;

  pair->server = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), res, NULL, &error);
  g_assert_no_error (error);
  pair->accepted = TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *res,
              gpointer      data)
{
  Pair *pair = data;
  g_autoptr(GError) error = NULL;

  pair->client = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  g_assert_no_error (error);
  pair->connected = TRUE;
}

static void
pair_open (Pair *pair)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  memset (pair, 0, sizeof *pair);
  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_socket_listener_accept_async (listener, NULL, on_accepted, pair);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (effective), NULL,
                                 on_connected, pair);
  wait_for (&pair->accepted, "accept");
  wait_for (&pair->connected, "connect");
  g_socket_listener_close (listener);
}

static void
pair_close (Pair *pair)
{
  g_io_stream_close (G_IO_STREAM (pair->client), NULL, NULL);
  g_clear_object (&pair->client);
  g_clear_object (&pair->server);
}

/* The scripted peer's side ---------------------------------------------- */

typedef struct
{
  GIOStream  *stream;
  GByteArray *input;
  guint8      chunk[READ_CHUNK];
  gboolean    done;
  gboolean    eof;      /* end of stream, or an error such as a reset */
} Peer;

static void
peer_init (Peer      *peer,
           GIOStream *stream)
{
  memset (peer, 0, sizeof *peer);
  peer->stream = stream;
  peer->input = g_byte_array_new ();
}

static void
peer_clear (Peer *peer)
{
  g_byte_array_unref (peer->input);
}

static void
on_peer_written (GObject      *source,
                 GAsyncResult *res,
                 gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error);
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static void
peer_send (Peer       *peer,
           const void *data,
           gsize       length)
{
  gboolean done = FALSE;

  g_output_stream_write_all_async (g_io_stream_get_output_stream (peer->stream),
                                   data, length, G_PRIORITY_DEFAULT, NULL,
                                   on_peer_written, &done);
  wait_for (&done, "the peer's write");
}

static void
peer_send_text (Peer       *peer,
                const char *text)
{
  peer_send (peer, text, strlen (text));
}

static void
peer_send_bytes (Peer   *peer,
                 GBytes *bytes)
{
  peer_send (peer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
on_peer_read (GObject      *source,
              GAsyncResult *res,
              gpointer      data)
{
  Peer *peer = data;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  if (n_read <= 0)
    peer->eof = TRUE;
  else
    g_byte_array_append (peer->input, peer->chunk, (guint) n_read);
  peer->done = TRUE;
}

/* One read; FALSE at the end of the stream. */
static gboolean
peer_fill (Peer *peer)
{
  peer->done = FALSE;
  g_input_stream_read_async (g_io_stream_get_input_stream (peer->stream),
                             peer->chunk, sizeof peer->chunk, G_PRIORITY_DEFAULT,
                             NULL, on_peer_read, peer);
  wait_for (&peer->done, "the peer's read");
  return !peer->eof;
}

static ShoalHeaderBlock *
peer_read_block (Peer *peer)
{
  g_autoptr(GError) error = NULL;
  ShoalHeaderBlock *block;
  gsize end = 0;

  while (shoal_header_block_find_end (peer->input->data, peer->input->len, &end, &error)
         == SHOAL_HEADER_SCAN_NEED_MORE)
    if (!peer_fill (peer))
      g_error ("connection closed before a whole header block (%u bytes read)",
               peer->input->len);
  g_assert_no_error (error);
  block = shoal_header_block_parse (peer->input->data, end, &error);
  g_assert_no_error (error);
  g_byte_array_remove_range (peer->input, 0, (guint) end);
  return block;
}

/* Reads until the connection ends; returns everything left. */
static GBytes *
peer_read_to_end (Peer *peer)
{
  while (peer_fill (peer))
    ;
  return g_bytes_new (peer->input->data, peer->input->len);
}

/* The node under test ----------------------------------------------------- */

typedef struct
{
  ShoalNodeState state;
  GArray        *try_hosts;
  GArray        *peers;
  GArray        *leaves;
  gboolean       forced_ultrapeer;  /* our own judge refuses leaf guidance */
  guint          judged;
} TestNode;

static ShoalNodeState
node_get_state (gpointer data)
{
  return ((TestNode *) data)->state;
}

static GArray *
copy_endpoints (GArray *endpoints,
                guint   max)
{
  GArray *copy = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));

  g_array_append_vals (copy, endpoints->data, MIN (max, endpoints->len));
  return copy;
}

static GArray *
node_get_try_hosts (guint    max,
                    gpointer data)
{
  return copy_endpoints (((TestNode *) data)->try_hosts, max);
}

static void
node_get_crawler_lists (GArray  **peers,
                        GArray  **leaves,
                        gpointer  data)
{
  TestNode *node = data;

  *peers = copy_endpoints (node->peers, G_MAXUINT);
  *leaves = copy_endpoints (node->leaves, G_MAXUINT);
}

/* A node manager's judge: the default rules plus its own. */
static ShoalHandshakeVerdict
node_judge (const ShoalHeaderBlock *peer_headers,
            gboolean                incoming,
            gpointer                data)
{
  TestNode *node = data;
  ShoalHandshakeVerdict verdict = shoal_handshake_judge_default (&node->state, peer_headers, incoming);

  node->judged++;
  if (node->forced_ultrapeer && verdict.decision == SHOAL_HANDSHAKE_ACCEPT_GUIDANCE)
    return shoal_handshake_verdict_refuse (403, "Not becoming a leaf node");
  return verdict;
}

static GArray *
make_endpoints (guint8 third_octet,
                guint  count)
{
  GArray *endpoints = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));

  for (guint i = 1; i <= count; i++)
    {
      ShoalIpv4Endpoint endpoint = { (127u << 24) | ((guint32) third_octet << 8) | i, 6346 };

      g_array_append_val (endpoints, endpoint);
    }
  return endpoints;
}

static void
node_init (TestNode      *node,
           ShoalPeerRole  role)
{
  g_autoptr(GError) error = NULL;

  memset (node, 0, sizeof *node);
  shoal_guid_from_hex (TEST_GUID_HEX, -1, &node->state.servent_guid, &error);
  g_assert_no_error (error);
  node->state.role = role;
  node->state.listen.address = 0x7f000001;
  node->state.listen.port = 6346;
  node->state.started_usec = TEST_STARTED_USEC;
  node->state.ultrapeer_slots = role == SHOAL_PEER_ROLE_ULTRAPEER ? 32 : 3;
  node->state.leaf_slots = role == SHOAL_PEER_ROLE_ULTRAPEER ? 300 : 0;
  node->state.allow_private = TRUE;
  node->try_hosts = make_endpoints (1, TEST_TRY_HOSTS);
  node->peers = make_endpoints (2, 2);
  node->leaves = make_endpoints (3, 3);
}

static void
node_clear (TestNode *node)
{
  g_array_unref (node->try_hosts);
  g_array_unref (node->peers);
  g_array_unref (node->leaves);
}

static ShoalHandshakePolicy
node_policy (TestNode *node)
{
  ShoalHandshakePolicy policy = {
    .get_state = node_get_state,
    .judge = node_judge,
    .get_try_hosts = node_get_try_hosts,
    .get_crawler_lists = node_get_crawler_lists,
    .user_data = node,
  };

  return policy;
}

/* Running handshakes ------------------------------------------------------ */

typedef struct
{
  gboolean              done;
  ShoalHandshakeResult *result;
  ShoalHandshakeResult *failed;
  GError               *error;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->result, shoal_handshake_result_free);
  g_clear_pointer (&outcome->failed, shoal_handshake_result_free);
  g_clear_error (&outcome->error);
}

static void
on_incoming_done (GObject      *source,
                  GAsyncResult *res,
                  gpointer      data)
{
  Outcome *outcome = data;

  outcome->result = shoal_gnutella_handshake_incoming_finish (res, &outcome->failed,
                                                              &outcome->error);
  outcome->done = TRUE;
}

static void
on_outgoing_done (GObject      *source,
                  GAsyncResult *res,
                  gpointer      data)
{
  Outcome *outcome = data;

  outcome->result = shoal_gnutella_handshake_outgoing_finish (res, &outcome->failed,
                                                              &outcome->error);
  outcome->done = TRUE;
}

static const ShoalIpv4Endpoint loopback_peer = { 0x7f000001, 40000 };

/* An incoming handshake on @pair's server side, as the listener hands it
 * over: @already_read holds what it read. */
static void
start_incoming (Pair                       *pair,
                GBytes                     *already_read,
                const ShoalHandshakePolicy *policy,
                Outcome                    *outcome)
{
  memset (outcome, 0, sizeof *outcome);
  shoal_gnutella_handshake_incoming_async (G_IO_STREAM (pair->server), already_read,
                                           &loopback_peer, policy, NULL,
                                           on_incoming_done, outcome);
}

static void
start_outgoing (Pair                       *pair,
                const ShoalHandshakePolicy *policy,
                Outcome                    *outcome)
{
  memset (outcome, 0, sizeof *outcome);
  shoal_gnutella_handshake_outgoing_async (G_IO_STREAM (pair->client), &loopback_peer,
                                           policy, NULL, on_outgoing_done, outcome);
}

/* The first line of @bytes, its line end included: what the listener
 * reads before dispatching. */
static gsize
first_line_length (GBytes *bytes)
{
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);
  const char *end = memchr (data, '\n', length);

  g_assert_nonnull (end);
  return (gsize) (end - data) + 1;
}

/* The peer sends @step1: the listener's part as already_read, the rest on
 * the wire. */
static void
connect_incoming (Pair                       *pair,
                  Peer                       *peer,
                  GBytes                     *step1,
                  const ShoalHandshakePolicy *policy,
                  Outcome                    *outcome)
{
  gsize split = first_line_length (step1);
  g_autoptr(GBytes) first_line = g_bytes_new_from_bytes (step1, 0, split);

  start_incoming (pair, first_line, policy, outcome);
  peer_send (peer, (const guint8 *) g_bytes_get_data (step1, NULL) + split,
             g_bytes_get_size (step1) - split);
}

static void
assert_header (const ShoalHeaderBlock *block,
               const char             *name,
               const char             *expected)
{
  const char *value = shoal_header_block_get (block, name);

  if (expected == NULL)
    g_assert_null (value);
  else
    g_assert_cmpstr (value, ==, expected);
}

static void
assert_endpoint (const ShoalIpv4Endpoint *endpoint,
                 const char              *expected)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_assert_cmpstr (shoal_ipv4_endpoint_format (endpoint, FALSE, text), ==, expected);
}

static void
assert_try_hosts (const ShoalHeaderBlock *block,
                  guint                   expected_count)
{
  const char *value = shoal_header_block_get (block, "X-Try-Ultrapeers");
  g_autoptr(GArray) hosts = NULL;
  guint skipped = 0;

  g_assert_nonnull (value);
  hosts = shoal_header_value_parse_endpoints (value, &skipped);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_cmpuint (hosts->len, ==, expected_count);
  assert_endpoint (&g_array_index (hosts, ShoalIpv4Endpoint, 0), "127.0.1.1:6346");
}

static void
assert_refused (const Outcome *outcome,
                const char    *message,
                gboolean       by_peer)
{
  g_assert_true (outcome->done);
  g_assert_null (outcome->result);
  g_assert_error (outcome->error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED);
  g_assert_cmpstr (outcome->error->message, ==, message);
  g_assert_nonnull (outcome->failed);
  g_assert_cmpuint (outcome->failed->refusal_code, ==, g_ascii_strtoull (message, NULL, 10));
  g_assert_cmpstr (outcome->failed->refusal_reason, ==, strchr (message, ' ') + 1);
  g_assert_cmpint (outcome->failed->refused_by_peer, ==, by_peer);
}

static GBytes *
section_bytes (GPtrArray *sections,
               guint      i)
{
  return ((ShoalTestTranscriptSection *) g_ptr_array_index (sections, i))->bytes;
}

static ShoalHeaderBlock *
parse_bytes (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  ShoalHeaderBlock *block = shoal_header_block_parse (g_bytes_get_data (bytes, NULL),
                                                      g_bytes_get_size (bytes), &error);

  g_assert_no_error (error);
  return block;
}

static GBytes *
text_bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

/* Incoming: gtk-gnutella leaves and the probe, replayed ------------------- */

typedef struct
{
  const char *file;
  const char *peer_guid;     /* NULL: the peer sent none */
  const char *peer_listen;   /* NULL: the peer did not say */
} Recording;

static const Recording accepted_recordings[] = {
  { "handshake_gtkg_leaf_to_gtkg_up_noTLS.txt",
    "200b310283b9bf20b5d3d27ba19a6bd2", "127.0.0.2:16342" },
  { "handshake_gtkg_leaf_to_gtkg_up_both_TLS_upgraded.txt",
    "46c6310270ea507585c18df3d7169d4f", "127.0.0.2:16342" },
  { "handshake_gtkg_gui_leaf_TLScapable_to_gtkg_up_noTLS.txt",
    "6e3e31023731da4815d1fbd023fa5fc3", "127.0.0.3:16343" },
  { "handshake_probe_leaf_to_gtkg_up.txt", NULL, NULL },
};

/* What an ultrapeer answers a compressed leaf, header by header. */
static void
assert_ultrapeer_answer (const ShoalHeaderBlock *answer,
                         const ShoalHeaderBlock *gtkg_answer)
{
  g_assert_cmpint (answer->kind, ==, SHOAL_HEADER_BLOCK_GNUTELLA_STATUS);
  g_assert_cmpuint (answer->version.major, ==, 0);
  g_assert_cmpuint (answer->version.minor, ==, 6);
  g_assert_cmpuint (answer->status_code, ==, gtkg_answer->status_code);
  g_assert_cmpstr (answer->reason, ==, gtkg_answer->reason);
  assert_header (answer, "User-Agent", SHOAL_USER_AGENT);
  assert_header (answer, "GUID", TEST_GUID_HEX);
  assert_header (answer, "Remote-IP", "127.0.0.1");
  assert_header (answer, "Node", "127.0.0.1:6346");
  assert_header (answer, "X-Degree", "32");
  assert_header (answer, "X-Live-Since", TEST_LIVE_SINCE);
  /* The headers gtk-gnutella's ultrapeer sent to the same leaf, with the
   * same values. */
  const char *same[] = {
    "Pong-Caching", "Bye-Packet", "GGEP", "Vendor-Message", "X-Ultrapeer",
    "Accept-Encoding", "Content-Encoding", "X-Ultrapeer-Needed",
    "X-Query-Routing", "X-Ultrapeer-Query-Routing", "X-Max-TTL",
    "X-Dynamic-Querying",
  };
  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    assert_header (answer, same[i], shoal_header_block_get (gtkg_answer, same[i]));
  assert_try_hosts (answer, SHOAL_HANDSHAKE_MAX_TRY_HOSTS);
}

static void
replay_leaf (const Recording *recording)
{
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript (recording->file);
  g_autoptr(ShoalHeaderBlock) gtkg_answer = parse_bytes (section_bytes (sections, 1));
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  ShoalHandshakePolicy policy;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  g_test_message ("%s", recording->file);
  g_assert_cmpuint (sections->len, ==, 3);
  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));

  connect_incoming (&pair, &peer, section_bytes (sections, 0), &policy, &outcome);
  answer = peer_read_block (&peer);
  assert_ultrapeer_answer (answer, gtkg_answer);
  g_assert_false (outcome.done);
  peer_send_bytes (&peer, section_bytes (sections, 2));
  wait_for (&outcome.done, "the incoming handshake");

  g_assert_no_error (outcome.error);
  g_assert_nonnull (outcome.result);
  g_assert_cmpint (outcome.result->peer_role, ==, SHOAL_PEER_ROLE_LEAF);
  g_assert_cmpint (outcome.result->our_role, ==, SHOAL_PEER_ROLE_ULTRAPEER);
  g_assert_true (outcome.result->deflate_input);
  g_assert_true (outcome.result->deflate_output);
  g_assert_false (outcome.result->crawler);
  g_assert_cmpuint (outcome.result->peer_blocks->len, ==, 2);
  g_assert_cmpuint (outcome.result->query_routing.major, ==, 0);
  g_assert_cmpuint (outcome.result->query_routing.minor, ==, 2);
  g_assert_cmpuint (g_bytes_get_size (outcome.result->leftover), ==, 0);
  g_assert_true (g_str_has_prefix (outcome.result->user_agent,
                                   recording->peer_guid != NULL ? "gtk-gnutella/" : "PyProbe/"));
  g_assert_cmpint (outcome.result->has_peer_guid, ==, recording->peer_guid != NULL);
  if (recording->peer_guid != NULL)
    {
      char hex[SHOAL_GUID_HEX_LENGTH + 1];

      g_assert_cmpstr (shoal_guid_format (&outcome.result->peer_guid, hex), ==,
                       recording->peer_guid);
      assert_endpoint (&outcome.result->our_address, "127.0.0.1");
    }
  assert_endpoint (&outcome.result->peer_listen,
                   recording->peer_listen != NULL ? recording->peer_listen : "0.0.0.0");
  g_assert_cmpuint (node.judged, ==, 1);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

static void
test_incoming_replays_gtkg_leaves (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (accepted_recordings); i++)
    replay_leaf (&accepted_recordings[i]);
}

/* Incoming refusals ------------------------------------------------------- */

/* Sends @step1, reads our refusal and checks the connection then ends. */
static ShoalHeaderBlock *
refuse_incoming (TestNode *node,
                 GBytes   *step1,
                 Outcome  *outcome)
{
  ShoalHandshakePolicy policy = node_policy (node);
  g_autoptr(GBytes) rest = NULL;
  ShoalHeaderBlock *answer;
  Pair pair;
  Peer peer;

  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  connect_incoming (&pair, &peer, step1, &policy, outcome);
  answer = peer_read_block (&peer);
  rest = peer_read_to_end (&peer);
  g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);
  wait_for (&outcome->done, "the refused handshake");
  peer_clear (&peer);
  pair_close (&pair);
  return answer;
}

static void
test_incoming_refuses_uncompressed_leaf (void)
{
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript ("handshake_probe_no_deflate_refused_403.txt");
  g_autoptr(ShoalHeaderBlock) gtkg_answer = parse_bytes (section_bytes (sections, 1));
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  TestNode node;
  Outcome outcome;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  answer = refuse_incoming (&node, section_bytes (sections, 0), &outcome);

  g_assert_cmpuint (answer->status_code, ==, 403);
  g_assert_cmpstr (answer->reason, ==, "Gnet connection not compressed");
  g_assert_cmpuint (answer->status_code, ==, gtkg_answer->status_code);
  g_assert_cmpstr (answer->reason, ==, gtkg_answer->reason);
  assert_header (answer, "User-Agent", SHOAL_USER_AGENT);
  assert_header (answer, "Remote-IP", "127.0.0.1");
  /* gtk-gnutella leaves X-Ultrapeer out of 4xx answers. */
  assert_header (answer, "X-Ultrapeer", NULL);
  assert_try_hosts (answer, SHOAL_HANDSHAKE_MAX_TRY_HOSTS);
  assert_refused (&outcome, "403 Gnet connection not compressed", FALSE);
  g_assert_cmpstr (outcome.failed->user_agent, ==, "PyProbe/0.1");

  outcome_clear (&outcome);
  node_clear (&node);
}

static void
test_incoming_refuses_normal_node (void)
{
  g_autoptr(GBytes) step1 = text_bytes ("GNUTELLA CONNECT/0.6\r\n"
                                        "User-Agent: PyProbe/0.1\r\n"
                                        "X-Query-Routing: 0.2\r\n"
                                        "Accept-Encoding: deflate\r\n"
                                        "\r\n");
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  TestNode node;
  Outcome outcome;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  answer = refuse_incoming (&node, step1, &outcome);
  g_assert_cmpuint (answer->status_code, ==, 403);
  g_assert_cmpstr (answer->reason, ==, "Normal nodes refused");
  assert_refused (&outcome, "403 Normal nodes refused", FALSE);

  outcome_clear (&outcome);
  node_clear (&node);
}

static void
test_incoming_full_offers_hosts (void)
{
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript ("handshake_gtkg_leaf_to_gtkg_up_noTLS.txt");
  g_autoptr(GBytes) ultrapeer = text_bytes ("GNUTELLA CONNECT/0.6\r\n"
                                            "User-Agent: PyProbe/0.1\r\n"
                                            "X-Ultrapeer: True\r\n"
                                            "X-Degree: 32\r\n"
                                            "X-Dynamic-Querying: 0.1\r\n"
                                            "Accept-Encoding: deflate\r\n"
                                            "\r\n");
  g_autoptr(ShoalHeaderBlock) leaf_answer = NULL;
  g_autoptr(ShoalHeaderBlock) ultrapeer_answer = NULL;
  TestNode node;
  Outcome outcome;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  node.state.leaf_slots = 2;
  node.state.leaf_links = 2;
  leaf_answer = refuse_incoming (&node, section_bytes (sections, 0), &outcome);
  g_assert_cmpuint (leaf_answer->status_code, ==, 503);
  g_assert_cmpstr (leaf_answer->reason, ==, "Too many leaf connections (2 max)");
  assert_header (leaf_answer, "X-Ultrapeer", "True");
  assert_try_hosts (leaf_answer, SHOAL_HANDSHAKE_MAX_TRY_HOSTS);
  assert_refused (&outcome, "503 Too many leaf connections (2 max)", FALSE);
  /* What a refused peer said is kept. */
  assert_endpoint (&outcome.failed->peer_listen, "127.0.0.2:16342");
  outcome_clear (&outcome);

  node.state.ultrapeer_links = node.state.ultrapeer_slots;
  ultrapeer_answer = refuse_incoming (&node, ultrapeer, &outcome);
  g_assert_cmpuint (ultrapeer_answer->status_code, ==, 503);
  g_assert_cmpstr (ultrapeer_answer->reason, ==, "Too many ultra connections (32 max)");
  assert_try_hosts (ultrapeer_answer, SHOAL_HANDSHAKE_MAX_TRY_HOSTS);
  assert_refused (&outcome, "503 Too many ultra connections (32 max)", FALSE);

  outcome_clear (&outcome);
  node_clear (&node);
}

static void
test_incoming_refuses_newer_query_routing (void)
{
  g_autoptr(GBytes) step1 = text_bytes ("GNUTELLA CONNECT/0.6\r\n"
                                        "X-Ultrapeer: False\r\n"
                                        "X-Query-Routing: 0.3\r\n"
                                        "Accept-Encoding: deflate\r\n"
                                        "\r\n");
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  TestNode node;
  Outcome outcome;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  answer = refuse_incoming (&node, step1, &outcome);
  g_assert_cmpuint (answer->status_code, ==, 505);
  assert_refused (&outcome, "505 Query Routing protocol 0.3 not supported", FALSE);

  outcome_clear (&outcome);
  node_clear (&node);
}

/* gtk-gnutella closes on a 0.4 servent without answering. */
static void
test_incoming_closes_legacy_silently (void)
{
  ShoalHandshakePolicy policy;
  g_autoptr(GBytes) step1 = text_bytes ("GNUTELLA CONNECT/0.4\n\n");
  g_autoptr(GBytes) answer = NULL;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  connect_incoming (&pair, &peer, step1, &policy, &outcome);
  answer = peer_read_to_end (&peer);
  g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
  wait_for (&outcome.done, "the legacy handshake");
  g_assert_error (outcome.error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED);
  g_assert_cmpuint (node.judged, ==, 0);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

/* Outgoing ----------------------------------------------------------------- */

/* We are a leaf dialling a gtk-gnutella ultrapeer that answers as recorded. */
static void
test_outgoing_leaf_to_gtkg_ultrapeer (void)
{
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript ("handshake_gtkg_leaf_to_gtkg_up_noTLS.txt");
  g_autoptr(ShoalHeaderBlock) gtkg_leaf = parse_bytes (section_bytes (sections, 0));
  g_autoptr(ShoalHeaderBlock) connect = NULL;
  g_autoptr(ShoalHeaderBlock) ack = NULL;
  ShoalHandshakePolicy policy;
  char hex[SHOAL_GUID_HEX_LENGTH + 1];
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_LEAF);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.server));
  start_outgoing (&pair, &policy, &outcome);

  connect = peer_read_block (&peer);
  g_assert_cmpint (connect->kind, ==, SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT);
  g_assert_cmpuint (connect->version.minor, ==, 6);
  assert_header (connect, "User-Agent", SHOAL_USER_AGENT);
  assert_header (connect, "Node", "127.0.0.1:6346");
  assert_header (connect, "Remote-IP", "127.0.0.1");
  assert_header (connect, "GUID", TEST_GUID_HEX);
  assert_header (connect, "X-Live-Since", TEST_LIVE_SINCE);
  /* What gtk-gnutella's own leaf sends, with the same values. */
  const char *same[] = {
    "Pong-Caching", "Bye-Packet", "GGEP", "Vendor-Message", "X-Query-Routing",
    "Accept-Encoding", "X-Ultrapeer", "X-Dynamic-Querying",
    "X-Ultrapeer-Query-Routing", "X-Degree", "X-Max-TTL",
  };
  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    assert_header (connect, same[i], shoal_header_block_get (gtkg_leaf, same[i]));

  peer_send_bytes (&peer, section_bytes (sections, 1));
  ack = peer_read_block (&peer);
  wait_for (&outcome.done, "the outgoing handshake");
  g_assert_cmpuint (ack->status_code, ==, 200);
  assert_header (ack, "Content-Encoding", "deflate");
  assert_header (ack, "X-Ultrapeer", NULL);

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result->peer_role, ==, SHOAL_PEER_ROLE_ULTRAPEER);
  g_assert_cmpint (outcome.result->our_role, ==, SHOAL_PEER_ROLE_LEAF);
  g_assert_true (outcome.result->deflate_input);
  g_assert_true (outcome.result->deflate_output);
  g_assert_cmpuint (outcome.result->peer_blocks->len, ==, 1);
  g_assert_true (outcome.result->has_peer_guid);
  g_assert_cmpstr (shoal_guid_format (&outcome.result->peer_guid, hex), ==,
                   "2e7e3102415f794bdac331ea6aae61d8");
  assert_endpoint (&outcome.result->our_address, "127.0.0.2");
  g_assert_true (g_str_has_prefix (outcome.result->user_agent, "gtk-gnutella/1.2.3"));
  g_assert_cmpuint (g_bytes_get_size (outcome.result->leftover), ==, 0);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

static void
test_outgoing_refused_by_peer_keeps_hosts (void)
{
  ShoalHandshakePolicy policy;
  g_autoptr(ShoalHeaderBlock) connect = NULL;
  g_autoptr(GBytes) rest = NULL;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_LEAF);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.server));
  start_outgoing (&pair, &policy, &outcome);
  connect = peer_read_block (&peer);
  peer_send_text (&peer, "GNUTELLA/0.6 503 Too many leaf connections (300 max)\r\n"
                         "User-Agent: gtk-gnutella/1.2.3\r\n"
                         "Remote-IP: 127.0.0.9\r\n"
                         "X-Try-Ultrapeers: 127.0.4.1:6346, 127.0.4.2:6347 1711972800,\r\n"
                         "\t127.0.4.3:6348\r\n"
                         "X-Try: 127.0.4.4:6349\r\n"
                         "\r\n");
  rest = peer_read_to_end (&peer);
  wait_for (&outcome.done, "the refused handshake");

  /* A refusal is not answered. */
  g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);
  assert_refused (&outcome, "503 Too many leaf connections (300 max)", TRUE);
  g_assert_cmpuint (outcome.failed->try_hosts->len, ==, 4);
  assert_endpoint (&g_array_index (outcome.failed->try_hosts, ShoalIpv4Endpoint, 2),
                   "127.0.4.3:6348");
  assert_endpoint (&g_array_index (outcome.failed->try_hosts, ShoalIpv4Endpoint, 3),
                   "127.0.4.4:6349");
  assert_endpoint (&outcome.failed->our_address, "127.0.0.9");

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

/* Leaf guidance -------------------------------------------------------------- */

static const char guiding_answer[] =
  "GNUTELLA/0.6 200 OK\r\n"
  "User-Agent: gtk-gnutella/1.2.3\r\n"
  "X-Ultrapeer: True\r\n"
  "X-Ultrapeer-Needed: False\r\n"
  "X-Degree: 46\r\n"
  "X-Dynamic-Querying: 0.1\r\n"
  "Accept-Encoding: deflate\r\n"
  "Content-Encoding: deflate\r\n"
  "\r\n";

/* We are an ultrapeer dialling one that has no room for ultrapeers. */
static ShoalHeaderBlock *
dial_guiding_ultrapeer (TestNode *node,
                        Outcome  *outcome)
{
  ShoalHandshakePolicy policy = node_policy (node);
  g_autoptr(ShoalHeaderBlock) connect = NULL;
  ShoalHeaderBlock *ack;
  Pair pair;
  Peer peer;

  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.server));
  start_outgoing (&pair, &policy, outcome);
  connect = peer_read_block (&peer);
  assert_header (connect, "X-Ultrapeer", "True");
  assert_header (connect, "X-Degree", "32");
  peer_send_text (&peer, guiding_answer);
  ack = peer_read_block (&peer);
  wait_for (&outcome->done, "the guided handshake");
  peer_clear (&peer);
  pair_close (&pair);
  return ack;
}

static void
test_guidance_accepted (void)
{
  g_autoptr(ShoalHeaderBlock) ack = NULL;
  TestNode node;
  Outcome outcome;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  ack = dial_guiding_ultrapeer (&node, &outcome);
  g_assert_cmpuint (ack->status_code, ==, 200);
  assert_header (ack, "X-Ultrapeer", "False");
  assert_header (ack, "Content-Encoding", "deflate");
  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result->our_role, ==, SHOAL_PEER_ROLE_LEAF);
  g_assert_cmpint (outcome.result->peer_role, ==, SHOAL_PEER_ROLE_ULTRAPEER);

  outcome_clear (&outcome);
  node_clear (&node);
}

static void
test_guidance_refused (void)
{
  g_autoptr(ShoalHeaderBlock) with_leaves = NULL;
  g_autoptr(ShoalHeaderBlock) forced = NULL;
  TestNode node;
  Outcome outcome;

  /* The default rules: not while leaves depend on us. */
  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  node.state.leaf_links = 3;
  with_leaves = dial_guiding_ultrapeer (&node, &outcome);
  g_assert_cmpuint (with_leaves->status_code, ==, 403);
  g_assert_cmpstr (with_leaves->reason, ==, "Not becoming a leaf node");
  assert_try_hosts (with_leaves, SHOAL_HANDSHAKE_MAX_TRY_HOSTS);
  assert_refused (&outcome, "403 Not becoming a leaf node", FALSE);
  outcome_clear (&outcome);

  /* The node manager's own rule: an ultrapeer by configuration. */
  node.state.leaf_links = 0;
  node.forced_ultrapeer = TRUE;
  forced = dial_guiding_ultrapeer (&node, &outcome);
  g_assert_cmpuint (forced->status_code, ==, 403);
  assert_refused (&outcome, "403 Not becoming a leaf node", FALSE);

  outcome_clear (&outcome);
  node_clear (&node);
}

/* Incoming, our ultrapeer slots are full: we guide the peer, it becomes
 * our leaf in its step 3. */
static void
test_incoming_guidance_taken (void)
{
  ShoalHandshakePolicy policy;
  g_autoptr(GBytes) step1 = text_bytes ("GNUTELLA CONNECT/0.6\r\n"
                                        "X-Ultrapeer: True\r\n"
                                        "Accept-Encoding: deflate\r\n"
                                        "\r\n");
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  node.state.ultrapeer_links = node.state.ultrapeer_slots;
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  connect_incoming (&pair, &peer, step1, &policy, &outcome);
  answer = peer_read_block (&peer);
  g_assert_cmpuint (answer->status_code, ==, 200);
  assert_header (answer, "X-Ultrapeer", "True");
  assert_header (answer, "X-Ultrapeer-Needed", "False");
  peer_send_text (&peer, "GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: False\r\n\r\n");
  wait_for (&outcome.done, "the guided handshake");

  g_assert_no_error (outcome.error);
  g_assert_cmpint (outcome.result->peer_role, ==, SHOAL_PEER_ROLE_LEAF);
  g_assert_cmpint (outcome.result->our_role, ==, SHOAL_PEER_ROLE_ULTRAPEER);
  g_assert_true (outcome.result->deflate_output);
  g_assert_false (outcome.result->deflate_input);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

/* Crawlers, self, leftovers, limits, time ----------------------------------- */

static void
test_crawler_answered_then_closed (void)
{
  ShoalHandshakePolicy policy;
  g_autoptr(GBytes) step1 = text_bytes ("GNUTELLA CONNECT/0.6\r\n"
                                        "User-Agent: LimeWire Crawler\r\n"
                                        "Crawler: 0.1\r\n"
                                        "\r\n");
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  g_autoptr(GBytes) rest = NULL;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  connect_incoming (&pair, &peer, step1, &policy, &outcome);
  answer = peer_read_block (&peer);
  g_assert_cmpuint (answer->status_code, ==, 200);
  assert_header (answer, "Peers", "127.0.2.1:6346, 127.0.2.2:6346");
  assert_header (answer, "Leaves", "127.0.3.1:6346, 127.0.3.2:6346, 127.0.3.3:6346");
  assert_header (answer, "User-Agent", SHOAL_USER_AGENT);
  rest = peer_read_to_end (&peer);
  g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);
  wait_for (&outcome.done, "the crawler handshake");

  g_assert_no_error (outcome.error);
  g_assert_true (outcome.result->crawler);
  g_assert_cmpuint (node.judged, ==, 0);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

/* The node dials its own listening port: both ends carry the same GUID. */
static void
test_connection_to_self (void)
{
  ShoalHandshakePolicy policy;
  TestNode node;
  Outcome incoming;
  Outcome outgoing;
  Pair pair;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  pair_open (&pair);
  start_incoming (&pair, NULL, &policy, &incoming);
  start_outgoing (&pair, &policy, &outgoing);
  wait_for (&incoming.done, "the incoming half");
  wait_for (&outgoing.done, "the outgoing half");

  assert_refused (&incoming, "409 Connection to self", FALSE);
  assert_refused (&outgoing, "409 Connection to self", TRUE);
  g_assert_cmpstr (outgoing.failed->user_agent, ==, SHOAL_USER_AGENT);

  outcome_clear (&incoming);
  outcome_clear (&outgoing);
  pair_close (&pair);
  node_clear (&node);
}

/* Step 3 and the first messages arrive in one segment; the listener also
 * read the whole of step 1. */
static void
test_leftover_kept (void)
{
  static const guint8 ping[] = {
    0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 0xff, 5, 6, 7, 8, 9, 10, 0,
    0x00, 1, 0, 0, 0, 0, 0,
  };
  g_autoptr(GPtrArray) sections = shoal_test_load_transcript ("handshake_probe_leaf_to_gtkg_up.txt");
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  g_autoptr(GByteArray) step3 = g_byte_array_new ();
  ShoalHandshakePolicy policy;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  start_incoming (&pair, section_bytes (sections, 0), &policy, &outcome);
  answer = peer_read_block (&peer);
  g_assert_cmpuint (answer->status_code, ==, 200);
  g_byte_array_append (step3, g_bytes_get_data (section_bytes (sections, 2), NULL),
                       (guint) g_bytes_get_size (section_bytes (sections, 2)));
  g_byte_array_append (step3, ping, sizeof ping);
  peer_send (&peer, step3->data, step3->len);
  wait_for (&outcome.done, "the incoming handshake");

  g_assert_no_error (outcome.error);
  g_assert_cmpmem (g_bytes_get_data (outcome.result->leftover, NULL),
                   g_bytes_get_size (outcome.result->leftover), ping, sizeof ping);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

/* More header lines than gtk-gnutella's 128: refused with 413 as soon as
 * the limit is crossed, the rest never awaited. */
static void
test_endless_header_lines_refused (void)
{
  g_autoptr(GString) step1 = g_string_new ("GNUTELLA CONNECT/0.6\r\n");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  TestNode node;
  Outcome outcome;

  for (guint i = 0; i < SHOAL_HEADER_MAX_LINES + 10; i++)
    g_string_append_printf (step1, "X-Line-%u: %u\r\n", i, i);
  bytes = text_bytes (step1->str);
  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  answer = refuse_incoming (&node, bytes, &outcome);
  g_assert_cmpuint (answer->status_code, ==, 413);
  g_assert_error (outcome.error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE);

  outcome_clear (&outcome);
  node_clear (&node);
}

static void
test_silent_peer_times_out (void)
{
  ShoalHandshakePolicy policy;
  g_autoptr(GBytes) first_line = text_bytes ("GNUTELLA CONNECT/0.6\r\n");
  g_autoptr(GBytes) rest = NULL;
  TestNode node;
  Outcome outcome;
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  policy.timeout_ms = 100;
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  start_incoming (&pair, first_line, &policy, &outcome);
  wait_for (&outcome.done, "the timeout");
  g_assert_error (outcome.error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT);
  g_assert_null (outcome.failed);
  rest = peer_read_to_end (&peer);
  g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

static void
test_cancelled_closes (void)
{
  ShoalHandshakePolicy policy;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) first_line = text_bytes ("GNUTELLA CONNECT/0.6\r\n");
  g_autoptr(GBytes) rest = NULL;
  TestNode node;
  Outcome outcome = { 0 };
  Pair pair;
  Peer peer;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  policy = node_policy (&node);
  pair_open (&pair);
  peer_init (&peer, G_IO_STREAM (pair.client));
  shoal_gnutella_handshake_incoming_async (G_IO_STREAM (pair.server), first_line,
                                           &loopback_peer, &policy, cancellable,
                                           on_incoming_done, &outcome);
  g_cancellable_cancel (cancellable);
  wait_for (&outcome.done, "the cancelled handshake");
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  rest = peer_read_to_end (&peer);
  g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);

  outcome_clear (&outcome);
  peer_clear (&peer);
  pair_close (&pair);
  node_clear (&node);
}

/* The default judge alone ------------------------------------------------------ */

static ShoalHandshakeVerdict
judge_text (const ShoalNodeState *state,
            const char           *text,
            gboolean              incoming)
{
  g_autoptr(GBytes) bytes = text_bytes (text);
  g_autoptr(ShoalHeaderBlock) block = parse_bytes (bytes);

  return shoal_handshake_judge_default (state, block, incoming);
}

static void
test_default_judge_as_leaf (void)
{
  TestNode node;
  ShoalHandshakeVerdict verdict;

  node_init (&node, SHOAL_PEER_ROLE_LEAF);
  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: True\r\n"
                                     "X-Degree: 15\r\nX-Dynamic-Querying: 0.1\r\n\r\n", TRUE);
  g_assert_cmpint (verdict.decision, ==, SHOAL_HANDSHAKE_REFUSE);
  g_assert_cmpuint (verdict.code, ==, 403);
  g_assert_cmpstr (verdict.reason, ==, "High Outdegree and Dynamic Querying Required");

  verdict = judge_text (&node.state, "GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\n"
                                     "X-Degree: 46\r\n\r\n", FALSE);
  g_assert_cmpstr (verdict.reason, ==, "High Outdegree and Dynamic Querying Required");

  verdict = judge_text (&node.state, "GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\n"
                                     "X-Degree: 46\r\nX-Dynamic-Querying: 0.1\r\n\r\n", FALSE);
  g_assert_cmpint (verdict.decision, ==, SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER);

  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: False\r\n\r\n", TRUE);
  g_assert_cmpuint (verdict.code, ==, 503);
  g_assert_cmpstr (verdict.reason, ==, "Shielded leaf node (3 ultrapeers max)");

  node.state.ultrapeer_links = 3;
  verdict = judge_text (&node.state, "GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\n"
                                     "X-Degree: 46\r\nX-Dynamic-Querying: 0.1\r\n\r\n", FALSE);
  g_assert_cmpuint (verdict.code, ==, 503);
  g_assert_cmpstr (verdict.reason, ==, "Too many ultra connections (3 max)");
  node_clear (&node);
}

static void
test_default_judge_as_ultrapeer (void)
{
  TestNode node;
  ShoalHandshakeVerdict verdict;

  node_init (&node, SHOAL_PEER_ROLE_ULTRAPEER);
  /* BearShare 4.3's ultrapeers send X-Ultrapeer-Needed alone. */
  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer-Needed: True\r\n\r\n", TRUE);
  g_assert_cmpint (verdict.decision, ==, SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER);

  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: maybe\r\n\r\n", TRUE);
  g_assert_cmpstr (verdict.reason, ==, "Normal nodes refused");

  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: false\r\n"
                                     "Accept-Encoding: gzip, Deflate;q=1\r\n\r\n", TRUE);
  g_assert_cmpint (verdict.decision, ==, SHOAL_HANDSHAKE_ACCEPT_LEAF);

  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: False\r\n"
                                     "GUID: " TEST_GUID_HEX "\r\n\r\n", TRUE);
  g_assert_cmpuint (verdict.code, ==, 409);

  /* Both kinds of slots full: no guidance left to offer. */
  node.state.ultrapeer_links = node.state.ultrapeer_slots;
  node.state.leaf_links = node.state.leaf_slots;
  verdict = judge_text (&node.state, "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: True\r\n\r\n", TRUE);
  g_assert_cmpuint (verdict.code, ==, 503);
  g_assert_cmpstr (verdict.reason, ==, "Too many ultra connections (32 max)");
  node_clear (&node);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/net/handshake/incoming/gtkg-leaves", test_incoming_replays_gtkg_leaves);
  g_test_add_func ("/net/handshake/incoming/uncompressed-leaf", test_incoming_refuses_uncompressed_leaf);
  g_test_add_func ("/net/handshake/incoming/normal-node", test_incoming_refuses_normal_node);
  g_test_add_func ("/net/handshake/incoming/full", test_incoming_full_offers_hosts);
  g_test_add_func ("/net/handshake/incoming/query-routing", test_incoming_refuses_newer_query_routing);
  g_test_add_func ("/net/handshake/incoming/legacy", test_incoming_closes_legacy_silently);
  g_test_add_func ("/net/handshake/incoming/guidance-taken", test_incoming_guidance_taken);
  g_test_add_func ("/net/handshake/outgoing/leaf-to-gtkg", test_outgoing_leaf_to_gtkg_ultrapeer);
  g_test_add_func ("/net/handshake/outgoing/refused", test_outgoing_refused_by_peer_keeps_hosts);
  g_test_add_func ("/net/handshake/outgoing/guidance-accepted", test_guidance_accepted);
  g_test_add_func ("/net/handshake/outgoing/guidance-refused", test_guidance_refused);
  g_test_add_func ("/net/handshake/crawler", test_crawler_answered_then_closed);
  g_test_add_func ("/net/handshake/self", test_connection_to_self);
  g_test_add_func ("/net/handshake/leftover", test_leftover_kept);
  g_test_add_func ("/net/handshake/endless-lines", test_endless_header_lines_refused);
  g_test_add_func ("/net/handshake/timeout", test_silent_peer_times_out);
  g_test_add_func ("/net/handshake/cancelled", test_cancelled_closes);
  g_test_add_func ("/net/handshake/judge/leaf", test_default_judge_as_leaf);
  g_test_add_func ("/net/handshake/judge/ultrapeer", test_default_judge_as_ultrapeer);

  return g_test_run ();
}
