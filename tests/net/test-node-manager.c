/* test-node-manager.c — nodes on loopback find each other from one anchor;
 * manual peers are redialled; LAN-only mode keeps to LAN addresses, for
 * links and for HTTP and GIV on the node's port. */
#include "shoal-message.h"
#include "shoal-node-manager.h"
#include "shoal-role-policy.h"

#include <glib/gstdio.h>
#include <string.h>

#define WAIT_TIMEOUT_MS 30000
/* Internet addresses nothing here may dial in LAN-only mode. */
#define PUBLIC_PEER "8.8.8.8:6346"
#define PUBLIC_ANCHOR "9.9.9.9:6346"

typedef struct
{
  char             *data_dir;
  ShoalNodeManager *manager;
} Node;

static void
node_free (Node *node)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", node->data_dir);

  if (node->manager != NULL)
    shoal_node_manager_shutdown (node->manager);
  g_clear_object (&node->manager);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (node->data_dir);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Node, node_free)

/* The outcome of shoal_node_manager_dial_async(). */
typedef struct
{
  guint64   link_id;
  GError   *error;
  gboolean  done;
} Dial;

/* A node not started yet, with its data folder, and the settings every
 * test node starts from: an ultrapeer on @address, test mode, no
 * bootstrap. */
static Node *
node_new (const char       *address,
          ShoalNodeConfig **config)
{
  g_autoptr(GError) error = NULL;
  Node *node = g_new0 (Node, 1);

  node->data_dir = g_dir_make_tmp ("shoal-node-XXXXXX", &error);
  g_assert_no_error (error);
  *config = shoal_node_config_new_default ();
  g_free ((*config)->data_dir);
  (*config)->data_dir = g_strdup (node->data_dir);
  (*config)->listen_address = g_strdup (address);
  (*config)->port = 0;
  (*config)->role_mode = SHOAL_ROLE_MODE_ULTRAPEER;
  (*config)->allow_private = TRUE;
  (*config)->default_bootstrap = FALSE;
  return node;
}

static Node *
node_run (Node                  *node,
          const ShoalNodeConfig *config)
{
  g_autoptr(GError) error = NULL;

  node->manager = shoal_node_manager_new (config);
  g_assert_true (shoal_node_manager_start (node->manager, &error));
  g_assert_no_error (error);
  return node;
}

static Node *
node_start_with (const char  *address,
                 const char  *anchor,
                 const char **udp_host_caches)
{
  g_autoptr(ShoalNodeConfig) config = NULL;
  Node *node = node_new (address, &config);

  if (anchor != NULL)
    g_assert_true (shoal_node_config_add_anchor (config, anchor, NULL));
  config->udp_host_caches = g_strdupv ((GStrv) udp_host_caches);
  return node_run (node, config);
}

static Node *
node_start (const char *address,
            const char *anchor)
{
  return node_start_with (address, anchor, NULL);
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Links a duplicate being dropped is not among. */
static guint
open_link_count (Node *node)
{
  g_autoptr(GPtrArray) peers = shoal_node_manager_list_peers (node->manager);

  return peers->len;
}

static void
wait_for_links (Node      **nodes,
                guint       count,
                guint       wanted)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);
  gboolean all;

  do
    {
      all = TRUE;
      for (guint i = 0; i < count; i++)
        all &= open_link_count (nodes[i]) >= wanted;
      if (!all)
        g_main_context_iteration (NULL, TRUE);
    }
  while (!all && !timed_out);
  if (timed_out)
    g_error ("nodes did not reach %u links each within %d ms", wanted, WAIT_TIMEOUT_MS);
  g_source_remove (timeout);  /* still pending: it did not fire */
}

static void
test_triangle_from_one_anchor (void)
{
  g_autoptr(Node) a = node_start ("127.0.0.1", NULL);
  g_autofree char *anchor = g_strdup_printf ("127.0.0.1:%u", shoal_node_manager_get_port (a->manager));
  g_autoptr(Node) b = node_start ("127.0.0.2", anchor);
  g_autoptr(Node) c = node_start ("127.0.0.3", anchor);
  Node *nodes[] = { a, b, c };
  g_autoptr(GPtrArray) peers = NULL;
  ShoalHostInfo info;
  ShoalIpv4Endpoint c_listen = { 0x7f000003u, shoal_node_manager_get_port (c->manager) };

  /* B and C only know A; they learn of each other from A (pongs, headers)
   * and link up: every node ends with two links. */
  wait_for_links (nodes, G_N_ELEMENTS (nodes), 2);
  g_assert_true (shoal_host_cache_lookup (shoal_node_manager_get_host_cache (b->manager),
                                          &c_listen, &info));
  peers = shoal_node_manager_list_peers (b->manager);
  g_assert_cmpuint (peers->len, ==, 2);
  for (guint i = 0; i < peers->len; i++)
    {
      ShoalPeerInfo *peer = g_ptr_array_index (peers, i);

      g_assert_cmpint (peer->role, ==, SHOAL_PEER_ROLE_ULTRAPEER);
      g_assert_true (g_str_has_prefix (peer->user_agent, "Shoal/"));
    }
}

/* Runs the main loop for @ms: a window in which something must NOT happen. */
static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_no_duplicate_links (void)
{
  g_autoptr(Node) a = node_start ("127.0.0.5", NULL);
  g_autoptr(Node) b = node_start ("127.0.0.6", NULL);
  ShoalIpv4Endpoint a_listen = { 0x7f000005u, shoal_node_manager_get_port (a->manager) };
  ShoalIpv4Endpoint b_listen = { 0x7f000006u, shoal_node_manager_get_port (b->manager) };
  Node *pair[] = { a, b };

  /* Each learns of the other at once, so both dial at the same moment. */
  shoal_host_cache_add (shoal_node_manager_get_host_cache (a->manager), &b_listen,
                        SHOAL_HOST_SOURCE_ANCHOR, SHOAL_HOST_ROLE_ULTRAPEER);
  shoal_host_cache_add (shoal_node_manager_get_host_cache (b->manager), &a_listen,
                        SHOAL_HOST_SOURCE_ANCHOR, SHOAL_HOST_ROLE_ULTRAPEER);
  wait_for_links (pair, G_N_ELEMENTS (pair), 1);
  /* Several dialling rounds later there is still one link each way. */
  run_for (3 * SHOAL_NODE_MANAGER_TICK_MS);
  g_assert_cmpuint (shoal_node_manager_get_link_count (a->manager), ==, 1);
  g_assert_cmpuint (shoal_node_manager_get_link_count (b->manager), ==, 1);
}

static void
wait_for_no_links (Node *node)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);

  while (shoal_node_manager_get_link_count (node->manager) > 0 && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("the link did not close within %d ms", WAIT_TIMEOUT_MS);
  g_source_remove (timeout);
}

/* The node's traffic is its links' added up, and what a closed link had
 * counted stays in it. */
static void
test_traffic_outlives_links (void)
{
  g_autoptr(Node) a = node_start ("127.0.0.9", NULL);
  g_autofree char *anchor = g_strdup_printf ("127.0.0.9:%u", shoal_node_manager_get_port (a->manager));
  g_autoptr(Node) b = node_start ("127.0.0.10", anchor);
  Node *pair[] = { a, b };
  g_autoptr(GPtrArray) peers = NULL;
  ShoalLinkStats link = { 0 };
  ShoalLinkStats before = { 0 };
  ShoalLinkStats after = { 0 };

  shoal_node_manager_get_traffic (a->manager, &before);
  g_assert_cmpuint (before.bytes_in, ==, 0);
  wait_for_links (pair, G_N_ELEMENTS (pair), 1);
  /* A few keep-alive rounds put messages on the link. */
  run_for (2 * SHOAL_NODE_MANAGER_TICK_MS);
  peers = shoal_node_manager_list_peers (a->manager);
  g_assert_cmpuint (peers->len, ==, 1);
  g_assert_true (shoal_node_manager_get_link_stats (a->manager,
                                                    ((ShoalPeerInfo *) g_ptr_array_index (peers, 0))->id,
                                                    &link));
  shoal_node_manager_get_traffic (a->manager, &before);
  g_assert_cmpuint (before.bytes_in, ==, link.bytes_in);
  g_assert_cmpuint (before.messages_out, ==, link.messages_out);
  g_assert_cmpuint (before.bytes_in, >, 0);

  shoal_node_manager_close_link (a->manager, ((ShoalPeerInfo *) g_ptr_array_index (peers, 0))->id,
                                 201, "Test over");
  wait_for_no_links (a);
  shoal_node_manager_get_traffic (a->manager, &after);
  g_assert_cmpuint (after.bytes_in, >=, before.bytes_in);
  g_assert_cmpuint (after.bytes_out, >=, before.bytes_out);
  g_assert_cmpuint (after.messages_out, >=, before.messages_out);
}

static void
on_dialled (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Dial *dial = user_data;

  dial->link_id = shoal_node_manager_dial_finish (SHOAL_NODE_MANAGER (source), result, &dial->error);
  dial->done = TRUE;
}

/* Dials @endpoint on request and waits for the outcome. */
static guint64
dial_and_wait (Node                    *node,
               const ShoalIpv4Endpoint *endpoint,
               GError                 **error)
{
  Dial dial = { 0, NULL, FALSE };
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);

  shoal_node_manager_dial_async (node->manager, endpoint, on_dialled, &dial);
  while (!dial.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("the dial did not finish within %d ms", WAIT_TIMEOUT_MS);
  g_source_remove (timeout);
  if (dial.error != NULL)
    g_propagate_error (error, dial.error);
  return dial.link_id;
}

/* A dial on request (the operator's) finishes with the new link, or says
 * why there is none. */
static void
test_dial_on_request (void)
{
  g_autoptr(Node) a = node_start ("127.0.0.11", NULL);
  g_autoptr(Node) b = node_start ("127.0.0.12", NULL);
  ShoalIpv4Endpoint b_listen = { 0x7f00000cu, shoal_node_manager_get_port (b->manager) };
  ShoalIpv4Endpoint nobody = { 0x7f00000du, shoal_node_manager_get_port (b->manager) };
  g_autoptr(GPtrArray) peers = NULL;
  g_autoptr(GError) again = NULL;
  g_autoptr(GError) refused = NULL;
  guint64 link_id = dial_and_wait (a, &b_listen, NULL);

  g_assert_cmpuint (link_id, >, 0);
  peers = shoal_node_manager_list_peers (a->manager);
  g_assert_cmpuint (peers->len, ==, 1);
  g_assert_cmpuint (((ShoalPeerInfo *) g_ptr_array_index (peers, 0))->id, ==, link_id);
  g_assert_true (((ShoalPeerInfo *) g_ptr_array_index (peers, 0))->outgoing);

  g_assert_cmpuint (dial_and_wait (a, &b_listen, &again), ==, 0);
  g_assert_error (again, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED);
  /* Nobody listens on 127.0.0.13. */
  g_assert_cmpuint (dial_and_wait (a, &nobody, &refused), ==, 0);
  g_assert_nonnull (refused);
  g_assert_cmpuint (shoal_node_manager_get_link_count (a->manager), ==, 1);
}

/* A UDP host cache on loopback: answers a ping with a pong whose GGEP IPP
 * names @known. */
typedef struct
{
  GSocket           *socket;
  ShoalIpv4Endpoint  known;
  guint              pings;
} UdpHostCache;

static gboolean
on_uhc_datagram (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  UdpHostCache *uhc = user_data;
  guint8 buffer[2048];
  GSocketAddress *from = NULL;
  gssize got = g_socket_receive_from (socket, &from, (gchar *) buffer, sizeof buffer, NULL, NULL);
  g_autoptr(GSocketAddress) sender = from;
  g_autoptr(ShoalMessage) ping = got > 0 ? shoal_message_parse (buffer, (gsize) got, NULL) : NULL;
  ShoalIpv4Endpoint self_endpoint = { 0x7f000008u, 1 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&self_endpoint, 0, 0);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GByteArray) message = g_byte_array_new ();
  ShoalMessageHeader header = { 0 };

  if (ping == NULL || ping->ping == NULL)
    return G_SOURCE_CONTINUE;
  uhc->pings++;
  shoal_pong_add_packed_hosts (pong, &uhc->known, 1);
  g_assert_true (shoal_pong_write (pong, payload, NULL));
  header.guid = ping->header.guid;
  header.type = SHOAL_MESSAGE_PONG;
  header.ttl = 1;
  header.payload_length = payload->len;
  shoal_message_header_append (&header, message);
  g_byte_array_append (message, payload->data, payload->len);
  g_socket_send_to (socket, sender, (const gchar *) message->data, message->len, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
test_bootstrap_from_udp_host_cache (void)
{
  g_autoptr(Node) known = node_start ("127.0.0.7", NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.8");
  g_autoptr(GSocketAddress) bind_address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSource) source = NULL;
  g_autofree char *uhc_text = NULL;
  const char *caches[2] = { NULL, NULL };
  UdpHostCache uhc = { NULL, { 0x7f000007u, shoal_node_manager_get_port (known->manager) }, 0 };
  g_autoptr(Node) stranded = NULL;

  uhc.socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_true (g_socket_bind (uhc.socket, bind_address, FALSE, NULL));
  bound = g_socket_get_local_address (uhc.socket, NULL);
  uhc_text = g_strdup_printf ("127.0.0.8:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  caches[0] = uhc_text;
  source = g_socket_create_source (uhc.socket, G_IO_IN, NULL);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_uhc_datagram, &uhc, NULL);
  g_source_attach (source, NULL);

  /* No anchor, an empty host cache: only the UDP host cache can help. */
  stranded = node_start_with ("127.0.0.9", NULL, caches);
  {
    Node *pair[] = { known, stranded };

    wait_for_links (pair, G_N_ELEMENTS (pair), 1);
  }
  g_assert_cmpuint (uhc.pings, >=, 1);
  g_source_destroy (source);
  g_object_unref (uhc.socket);
}

/* Manual peers and LAN-only mode ------------------------------------------------- */

/* The one link @node has now. */
static ShoalPeerInfo *
only_link (Node *node)
{
  g_autoptr(GPtrArray) peers = shoal_node_manager_list_peers (node->manager);

  g_assert_cmpuint (peers->len, ==, 1);
  return g_ptr_array_steal_index (peers, 0);
}

static char *
listen_text (Node       *node,
             const char *address)
{
  return g_strdup_printf ("%s:%u", address, shoal_node_manager_get_port (node->manager));
}

/* A manual peer given while the node runs is dialled; its link, closed
 * by the other end, is dialled again; once no longer a manual peer, it
 * is not. */
static void
test_manual_peer_redialled (void)
{
  g_autoptr(Node) a = node_start ("127.0.0.21", NULL);
  g_autoptr(ShoalNodeConfig) config = NULL;
  g_autoptr(Node) b = node_new ("127.0.0.22", &config);
  g_autofree char *a_text = listen_text (a, "127.0.0.21");
  Node *pair[] = { a, b };
  g_autoptr(ShoalPeerInfo) first = NULL;
  g_autoptr(ShoalPeerInfo) second = NULL;
  g_autoptr(ShoalPeerInfo) on_a = NULL;

  node_run (b, config);
  /* No anchor, nothing cached: B stays alone. */
  run_for (2 * SHOAL_NODE_MANAGER_TICK_MS);
  g_assert_cmpuint (shoal_node_manager_get_link_count (b->manager), ==, 0);

  g_assert_true (shoal_node_config_add_manual_peer (config, a_text, NULL));
  shoal_node_manager_update_config (b->manager, config);
  wait_for_links (pair, G_N_ELEMENTS (pair), 1);
  first = only_link (b);
  g_assert_true (first->outgoing);
  g_assert_false (first->lan);  /* loopback, and not LAN-only */

  on_a = only_link (a);
  shoal_node_manager_close_link (a->manager, on_a->id, 200, "Dropped by the test");
  wait_for_no_links (b);
  wait_for_links (pair, G_N_ELEMENTS (pair), 1);
  second = only_link (b);
  g_assert_cmpuint (second->id, !=, first->id);
  g_assert_true (second->outgoing);
  g_assert_true (shoal_guid_equal (&second->guid, shoal_node_manager_get_guid (a->manager)));

  /* Removed from the settings: not dialled again. */
  g_ptr_array_set_size (config->manual_peers, 0);
  shoal_node_manager_update_config (b->manager, config);
  shoal_node_manager_close_link (b->manager, second->id, 200, "Dropped by the test");
  wait_for_no_links (b);
  run_for (3 * SHOAL_NODE_MANAGER_TICK_MS);
  g_assert_cmpuint (shoal_node_manager_get_link_count (b->manager), ==, 0);
}

static void
on_net_message (const char     *domain,
                GLogLevelFlags  level,
                const char     *message,
                gpointer        user_data)
{
  g_ptr_array_add (user_data, g_strdup (message));
}

static guint
count_containing (GPtrArray  *lines,
                  const char *text)
{
  guint count = 0;

  for (guint i = 0; i < lines->len; i++)
    count += strstr (g_ptr_array_index (lines, i), text) != NULL;
  return count;
}

/* LAN-only: public anchors and manual peers are never dialled, each
 * refused with one log line however often its turn comes; a public
 * address asked for is refused too. */
static void
test_lan_only_refuses_public_peers (void)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  guint handler = g_log_set_handler ("Shoal-net", G_LOG_LEVEL_MESSAGE, on_net_message, lines);
  g_autoptr(ShoalNodeConfig) config = NULL;
  g_autoptr(Node) node = node_new ("127.0.0.23", &config);
  ShoalIpv4Endpoint public_endpoint = { 0x08080404u, 6346 };   /* 8.8.4.4 */
  g_autoptr(GError) error = NULL;
  ShoalNodeLanStatus lan;

  config->lan_only = TRUE;
  config->default_bootstrap = TRUE;   /* LAN-only mode still uses none */
  g_assert_true (shoal_node_config_add_manual_peer (config, PUBLIC_PEER, NULL));
  g_assert_true (shoal_node_config_add_anchor (config, PUBLIC_ANCHOR, NULL));
  node_run (node, config);
  /* Past the anchors' first retry (5 s): still one line each. */
  run_for (6 * SHOAL_NODE_MANAGER_TICK_MS);
  g_log_remove_handler ("Shoal-net", handler);

  g_assert_cmpuint (count_containing (lines, "manual peer " PUBLIC_PEER " refused"), ==, 1);
  g_assert_cmpuint (count_containing (lines, "anchor " PUBLIC_ANCHOR " refused"), ==, 1);
  g_assert_cmpuint (count_containing (lines, "bootstrap"), ==, 0);
  g_assert_cmpuint (shoal_node_manager_get_link_count (node->manager), ==, 0);
  shoal_node_manager_get_lan_status (node->manager, &lan);
  g_assert_true (lan.lan_only);

  g_assert_cmpuint (dial_and_wait (node, &public_endpoint, &error), ==, 0);
  g_assert_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "LAN-only"));
}

static gboolean
host_is_cached (ShoalHostCache          *hosts,
                const ShoalIpv4Endpoint *endpoint)
{
  ShoalHostInfo info;

  return shoal_host_cache_lookup (hosts, endpoint, &info);
}

/* A pong naming a public address and packing public and private hosts. */
static GBytes *
build_pong (const ShoalIpv4Endpoint *own,
            const ShoalIpv4Endpoint *packed,
            guint                    n_packed)
{
  g_autoptr(ShoalPong) pong = shoal_pong_new (own, 0, 0);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GByteArray) message = g_byte_array_new ();
  ShoalMessageHeader header = { 0 };

  shoal_pong_add_packed_hosts (pong, packed, n_packed);
  g_assert_true (shoal_pong_write (pong, payload, NULL));
  shoal_guid_init_modern (&header.guid);
  header.type = SHOAL_MESSAGE_PONG;
  header.ttl = 1;
  header.payload_length = payload->len;
  shoal_message_header_append (&header, message);
  g_byte_array_append (message, payload->data, payload->len);
  return g_byte_array_free_to_bytes (g_steal_pointer (&message));
}

typedef struct
{
  ShoalHostCache          *hosts;
  const ShoalIpv4Endpoint *endpoint;
} CacheWait;

/* LAN-only nodes on loopback (allowed in test mode) link as a LAN; the
 * hosts a pong names are kept only when they are LAN addresses. */
static void
test_lan_only_keeps_lan_hosts (void)
{
  g_autoptr(ShoalNodeConfig) a_config = NULL;
  g_autoptr(ShoalNodeConfig) b_config = NULL;
  g_autoptr(Node) a = node_new ("127.0.0.24", &a_config);
  g_autoptr(Node) b = node_new ("127.0.0.25", &b_config);
  g_autofree char *a_text = NULL;
  Node *pair[] = { a, b };
  ShoalIpv4Endpoint own = { 0x09090909u, 6346 };              /* 9.9.9.9 */
  const ShoalIpv4Endpoint packed[] = {
    { 0x08080404u, 6346 },                                     /* 8.8.4.4 */
    { 0x0a010203u, 6346 },                                     /* 10.1.2.3 */
    { 0xc0a80707u, 6346 },                                     /* 192.168.7.7 */
  };
  g_autoptr(ShoalPeerInfo) on_a = NULL;
  g_autoptr(ShoalPeerInfo) on_b = NULL;
  g_autoptr(GBytes) pong = build_pong (&own, packed, G_N_ELEMENTS (packed));
  ShoalHostCache *b_hosts;
  gboolean timed_out = FALSE;
  guint timeout;

  a_config->lan_only = TRUE;
  b_config->lan_only = TRUE;
  node_run (a, a_config);
  a_text = listen_text (a, "127.0.0.24");
  g_assert_true (shoal_node_config_add_manual_peer (b_config, a_text, NULL));
  node_run (b, b_config);
  wait_for_links (pair, G_N_ELEMENTS (pair), 1);
  on_a = only_link (a);
  on_b = only_link (b);
  g_assert_true (on_a->lan);
  g_assert_true (on_b->lan);

  b_hosts = shoal_node_manager_get_host_cache (b->manager);
  g_assert_true (shoal_node_manager_send (a->manager, on_a->id, pong, SHOAL_LINK_PRIORITY_CONTROL));
  timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);
  while (!(host_is_cached (b_hosts, &packed[1]) && host_is_cached (b_hosts, &packed[2])) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("the pong's LAN hosts were not cached within %d ms", WAIT_TIMEOUT_MS);
  g_source_remove (timeout);
  g_assert_false (host_is_cached (b_hosts, &own));
  g_assert_false (host_is_cached (b_hosts, &packed[0]));
  g_assert_cmpuint (shoal_host_cache_get_refused (b_hosts), >=, 2);
}

/* Loopback is a LAN address only in test mode: without allow_private, a
 * LAN-only node refuses a link from there, and so does a node that is
 * not LAN-only (private addresses need LAN rules, loopback test mode). */
static void
test_loopback_needs_allow_private (void)
{
  g_autoptr(Node) dialler = node_start ("127.0.0.26", NULL);
  g_autoptr(ShoalNodeConfig) lan_config = NULL;
  g_autoptr(Node) lan_only = node_new ("127.0.0.27", &lan_config);
  g_autoptr(ShoalNodeConfig) plain_config = NULL;
  g_autoptr(Node) plain = node_new ("127.0.0.28", &plain_config);
  ShoalIpv4Endpoint lan_listen = { 0x7f00001bu, 0 };
  ShoalIpv4Endpoint plain_listen = { 0x7f00001cu, 0 };
  g_autoptr(GError) refused_lan = NULL;
  g_autoptr(GError) refused_plain = NULL;

  lan_config->lan_only = TRUE;
  lan_config->allow_private = FALSE;
  plain_config->allow_private = FALSE;
  node_run (lan_only, lan_config);
  node_run (plain, plain_config);
  lan_listen.port = shoal_node_manager_get_port (lan_only->manager);
  plain_listen.port = shoal_node_manager_get_port (plain->manager);

  g_assert_cmpuint (dial_and_wait (dialler, &lan_listen, &refused_lan), ==, 0);
  g_assert_nonnull (refused_lan);
  g_assert_cmpuint (dial_and_wait (dialler, &plain_listen, &refused_plain), ==, 0);
  g_assert_nonnull (refused_plain);
  g_assert_cmpuint (shoal_node_manager_get_link_count (lan_only->manager), ==, 0);
  g_assert_cmpuint (shoal_node_manager_get_link_count (plain->manager), ==, 0);
}

/* One connection to a node's port from loopback, in a thread of its own:
 * the node answers on this one's main loop. */
typedef struct
{
  char     *to;        /* "address:port" */
  char     *request;
  GString  *answer;    /* what the node sent before closing */
  gint      done;      /* atomic */
} Client;

static gpointer
client_run (gpointer data)
{
  Client *client = data;
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[1024];
  gssize got;

  connection = g_socket_client_connect_to_host (socket_client, client->to, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            client->request, strlen (client->request), NULL,
                                            NULL, &error));
  g_assert_no_error (error);
  /* A refusal may reset the connection (our request stays unread): the
   * end either way. */
  while ((got = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                     buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (client->answer, buffer, got);
  g_atomic_int_set (&client->done, 1);
  /* A wakeup made before the loop blocks still ends its wait. */
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
client_is_done (gpointer data)
{
  return g_atomic_int_get (&((Client *) data)->done) != 0;
}

/* Sends @request to @node on @address and returns what came back before
 * the node closed. */
static char *
send_to_node (Node       *node,
              const char *address,
              const char *request)
{
  Client client = { listen_text (node, address), g_strdup (request), g_string_new (NULL), 0 };
  GThread *thread = g_thread_new ("test-client", client_run, &client);
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);

  while (!client_is_done (&client) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("the node did not close within %d ms", WAIT_TIMEOUT_MS);
  g_source_remove (timeout);
  g_thread_join (thread);
  g_free (client.to);
  g_free (client.request);
  return g_string_free (client.answer, FALSE);
}

static gboolean
on_handed_over (ShoalListener *listener,
                GIOStream     *stream,
                GBytes        *already_read,
                gpointer       remote,
                gpointer       data)
{
  (*(guint *) data)++;
  shoal_listener_close_stream (stream, NULL);
  return TRUE;
}

#define TEST_GET "GET /uri-res/N2R?urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB HTTP/1.1\r\n" \
                 "Host: 127.0.0.1\r\n\r\n"
#define TEST_GIV "GIV 0:0A1B2C3D4E5F60718293A4B5C6D7E8F9/file\n\n"

/* Whether HTTP and GIV from loopback reach the handlers the servent
 * connects after start (the upload server, the downloads): counts the
 * handovers of each, and checks a refused one got no answer. */
static void
send_transfers (Node       *node,
                const char *address,
                guint      *http,
                guint      *giv)
{
  ShoalListener *listener = shoal_node_manager_get_listener (node->manager);
  g_autofree char *http_answer = NULL;
  g_autofree char *giv_answer = NULL;

  *http = 0;
  *giv = 0;
  g_signal_connect (listener, "http-request", G_CALLBACK (on_handed_over), http);
  g_signal_connect (listener, "giv", G_CALLBACK (on_handed_over), giv);
  http_answer = send_to_node (node, address, TEST_GET);
  giv_answer = send_to_node (node, address, TEST_GIV);
  g_signal_handlers_disconnect_by_func (listener, on_handed_over, http);
  g_signal_handlers_disconnect_by_func (listener, on_handed_over, giv);
  /* Neither taken nor answered 503 as unserved HTTP would be. */
  g_assert_cmpstr (http_answer, ==, "");
  g_assert_cmpstr (giv_answer, ==, "");
}

/* LAN-only mode without test mode takes loopback for the internet: HTTP
 * (an upload, a browse) and GIV from there are refused as links are,
 * before the upload server or the downloads see them, and counted. With
 * test mode, or outside LAN-only mode, they are handed over. */
static void
test_lan_only_refuses_public_transfers (void)
{
  g_autoptr(ShoalNodeConfig) strict_config = NULL;
  g_autoptr(Node) strict = node_new ("127.0.0.31", &strict_config);
  g_autoptr(ShoalNodeConfig) test_mode_config = NULL;
  g_autoptr(Node) test_mode = node_new ("127.0.0.32", &test_mode_config);
  g_autoptr(ShoalNodeConfig) plain_config = NULL;
  g_autoptr(Node) plain = node_new ("127.0.0.33", &plain_config);
  guint http, giv;

  strict_config->lan_only = TRUE;
  strict_config->allow_private = FALSE;
  test_mode_config->lan_only = TRUE;
  plain_config->allow_private = FALSE;
  node_run (strict, strict_config);
  node_run (test_mode, test_mode_config);
  node_run (plain, plain_config);

  send_transfers (strict, "127.0.0.31", &http, &giv);
  g_assert_cmpuint (http, ==, 0);
  g_assert_cmpuint (giv, ==, 0);
  g_assert_cmpuint (shoal_node_manager_get_refused_transfers (strict->manager), ==, 2);
  g_assert_cmpuint (shoal_listener_get_count (shoal_node_manager_get_listener (strict->manager),
                                              SHOAL_LISTENER_OUTCOME_UNHANDLED), ==, 0);

  send_transfers (test_mode, "127.0.0.32", &http, &giv);
  g_assert_cmpuint (http, ==, 1);
  g_assert_cmpuint (giv, ==, 1);
  g_assert_cmpuint (shoal_node_manager_get_refused_transfers (test_mode->manager), ==, 0);

  send_transfers (plain, "127.0.0.33", &http, &giv);
  g_assert_cmpuint (http, ==, 1);
  g_assert_cmpuint (giv, ==, 1);
  g_assert_cmpuint (shoal_node_manager_get_refused_transfers (plain->manager), ==, 0);
}

/* A node listening on loopback publishes nothing (mDNS does not go
 * there) and says why; turned off and on while running, discovery
 * follows. */
static void
test_lan_status (void)
{
  g_autoptr(ShoalNodeConfig) config = NULL;
  g_autoptr(Node) node = node_new ("127.0.0.29", &config);
  ShoalNodeLanStatus lan;

  node_run (node, config);
  shoal_node_manager_get_lan_status (node->manager, &lan);
  g_assert_cmpint (lan.state, ==, SHOAL_LAN_STATE_UNAVAILABLE);
  g_assert_cmpstr (lan.reason, ==, "listening on a loopback address only");
  g_assert_null (lan.service_name);
  g_assert_cmpuint (lan.peers, ==, 0);
  g_assert_false (lan.lan_only);

  config->lan_discovery = FALSE;
  shoal_node_manager_update_config (node->manager, config);
  shoal_node_manager_get_lan_status (node->manager, &lan);
  g_assert_cmpint (lan.state, ==, SHOAL_LAN_STATE_OFF);
  g_assert_null (lan.reason);
  g_assert_false (shoal_node_manager_get_config (node->manager)->lan_discovery);

  config->lan_discovery = TRUE;
  shoal_node_manager_update_config (node->manager, config);
  shoal_node_manager_get_lan_status (node->manager, &lan);
  g_assert_cmpint (lan.state, ==, SHOAL_LAN_STATE_UNAVAILABLE);
}

/* Only what mDNS announces now is a LAN peer: with nobody announced
 * (discovery cannot run on loopback), neither a LAN address, nor a peer
 * linked to us, nor ourselves, nor the unresolved 0.0.0.0:0 is one. */
static void
test_lan_peer_only_when_announced (void)
{
  g_autoptr(ShoalNodeConfig) config = NULL;
  g_autoptr(Node) node = node_new ("127.0.0.34", &config);
  g_autoptr(Node) linked = NULL;
  g_autofree char *anchor = NULL;
  const ShoalIpv4Endpoint lan_address = { 0x0a010203u, 6346 };
  const ShoalIpv4Endpoint unresolved = { 0, 0 };
  ShoalIpv4Endpoint own = { 0x7f000022u, 0 };
  ShoalNodeLanStatus lan;
  Node *nodes[2];

  node_run (node, config);
  own.port = shoal_node_manager_get_port (node->manager);
  anchor = listen_text (node, "127.0.0.34");
  linked = node_start ("127.0.0.35", anchor);
  nodes[0] = node;
  nodes[1] = linked;
  wait_for_links (nodes, G_N_ELEMENTS (nodes), 1);

  shoal_node_manager_get_lan_status (node->manager, &lan);
  g_assert_cmpuint (lan.peers, ==, 0);
  g_assert_false (shoal_node_manager_is_lan_peer (node->manager, &lan_address));
  g_assert_false (shoal_node_manager_is_lan_peer (node->manager, &own));
  g_assert_false (shoal_node_manager_is_lan_peer (node->manager, &unresolved));
  g_assert_false (shoal_node_manager_is_lan_peer (linked->manager, &own));
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    data)
{
  (*(guint *) data)++;
}

/* The sentence the automatic policy gives for @facts, as the manager
 * should keep it. */
static const char *
policy_reason (const ShoalRoleFacts *facts)
{
  ShoalRoleThresholds thresholds;
  const char *why = NULL;

  shoal_role_thresholds_init_default (&thresholds);
  shoal_role_policy_decide (&thresholds, facts, &why);
  return why;
}

/* The manager keeps why its role is what it is: the policy's reason in
 * automatic mode (a role kept as well as a switch), the settings when
 * they fix it; each change notified once. */
static void
test_role_reason (void)
{
  g_autoptr(ShoalNodeConfig) config = NULL;
  g_autoptr(Node) node = node_new ("127.0.0.30", &config);
  ShoalRoleFacts fresh_leaf = { .uptime_s = 0, .reachable = FALSE };
  ShoalRoleFacts ultrapeer_with_time = { .ultrapeer = TRUE, .leafless_s = 0 };
  guint notified = 0;

  config->role_mode = SHOAL_ROLE_MODE_AUTO;
  node_run (node, config);
  /* Nobody reached it yet: that is why it is a leaf. */
  g_assert_cmpint (shoal_node_manager_get_role (node->manager), ==, SHOAL_PEER_ROLE_LEAF);
  g_assert_cmpstr (shoal_node_manager_get_role_reason (node->manager), ==,
                   policy_reason (&fresh_leaf));
  g_signal_connect (node->manager, "notify::role-reason", G_CALLBACK (count_notify), &notified);

  /* Fixed to the role it has: no switch, a new reason. */
  config->role_mode = SHOAL_ROLE_MODE_LEAF;
  shoal_node_manager_update_config (node->manager, config);
  g_assert_cmpstr (shoal_node_manager_get_role_reason (node->manager), ==, "fixed in the settings");
  g_assert_cmpuint (shoal_node_manager_get_role_switches (node->manager), ==, 0);
  g_assert_cmpuint (notified, ==, 1);

  /* Fixed to the other: a switch, for the same reason. */
  config->role_mode = SHOAL_ROLE_MODE_ULTRAPEER;
  shoal_node_manager_update_config (node->manager, config);
  g_assert_cmpint (shoal_node_manager_get_role (node->manager), ==, SHOAL_PEER_ROLE_ULTRAPEER);
  g_assert_cmpuint (shoal_node_manager_get_role_switches (node->manager), ==, 1);
  g_assert_cmpstr (shoal_node_manager_get_role_reason (node->manager), ==, "fixed in the settings");
  g_assert_cmpuint (notified, ==, 1);

  /* Automatic again: the policy is asked at once and keeps the new
   * ultrapeer, not long without leaves, saying so. */
  config->role_mode = SHOAL_ROLE_MODE_AUTO;
  shoal_node_manager_update_config (node->manager, config);
  g_assert_cmpint (shoal_node_manager_get_role (node->manager), ==, SHOAL_PEER_ROLE_ULTRAPEER);
  g_assert_cmpstr (shoal_node_manager_get_role_reason (node->manager), ==,
                   policy_reason (&ultrapeer_with_time));
  g_assert_cmpuint (notified, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node-manager/triangle-from-one-anchor", test_triangle_from_one_anchor);
  g_test_add_func ("/node-manager/no-duplicate-links", test_no_duplicate_links);
  g_test_add_func ("/node-manager/traffic-outlives-links", test_traffic_outlives_links);
  g_test_add_func ("/node-manager/dial-on-request", test_dial_on_request);
  g_test_add_func ("/node-manager/bootstrap-from-udp-host-cache", test_bootstrap_from_udp_host_cache);
  g_test_add_func ("/node-manager/manual-peer-redialled", test_manual_peer_redialled);
  g_test_add_func ("/node-manager/lan-only-refuses-public-peers", test_lan_only_refuses_public_peers);
  g_test_add_func ("/node-manager/lan-only-keeps-lan-hosts", test_lan_only_keeps_lan_hosts);
  g_test_add_func ("/node-manager/loopback-needs-allow-private", test_loopback_needs_allow_private);
  g_test_add_func ("/node-manager/lan-only-refuses-public-transfers",
                   test_lan_only_refuses_public_transfers);
  g_test_add_func ("/node-manager/lan-status", test_lan_status);
  g_test_add_func ("/node-manager/lan-peer-only-when-announced", test_lan_peer_only_when_announced);
  g_test_add_func ("/node-manager/role-reason", test_role_reason);
  return g_test_run ();
}
