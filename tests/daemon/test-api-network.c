/* test-api-network.c — the control API's status, links (remembered as
 * manual peers too), hosts and metrics endpoints over a servent on
 * loopback, asked over HTTP as a client would. */
#include "shoald-api.h"

#include "shoal-test-api.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <string.h>

/* Where the servent of shoal-test-api listens. */
#define SERVENT_ADDRESS "127.0.0.1"
#define PEER_ADDRESS "127.0.0.2"
#define HOSTS_ADDED 5
#define HOSTS_PAGE 3
/* How far apart the hosts added to the cache were seen. */
#define HOST_SIGHTING_USEC (10 * G_USEC_PER_SEC)
/* A manual peer's link comes back within a few of the manager's ticks. */
#define REDIAL_TIMEOUT_MS 10000

static const ShoalTestApiOptions network_api = {
  .areas = SHOAL_TEST_API_NETWORK | SHOAL_TEST_API_METRICS,
  .ultrapeer = TRUE,
};

/* The host cache's clock in test_hosts(). */
static gint64 host_clock_usec;

/* A bare ultrapeer for the servent to link to. */
typedef struct
{
  char             *data_dir;
  ShoalNodeManager *manager;
} Peer;

static Peer *
peer_start (void)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;
  Peer *peer = g_new0 (Peer, 1);

  peer->data_dir = g_dir_make_tmp ("shoal-api-peer-XXXXXX", &error);
  g_assert_no_error (error);
  g_free (config->data_dir);
  config->data_dir = g_strdup (peer->data_dir);
  config->listen_address = g_strdup (PEER_ADDRESS);
  config->port = 0;
  config->role_mode = SHOAL_ROLE_MODE_ULTRAPEER;
  config->allow_private = TRUE;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;
  peer->manager = shoal_node_manager_new (config);
  g_assert_true (shoal_node_manager_start (peer->manager, &error));
  g_assert_no_error (error);
  return peer;
}

static void
peer_free (Peer *peer)
{
  shoal_node_manager_shutdown (peer->manager);
  g_object_unref (peer->manager);
  shoal_test_remove_tree (peer->data_dir);
  g_free (peer->data_dir);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* An error answer with that status and code, and a message. */
static void
expect_error (ShoalTestApi *api,
              const char   *method,
              const char   *path,
              const char   *body,
              guint         status,
              const char   *code)
{
  g_autoptr(JsonObject) answer = shoal_test_api_call (api, method, path, body, status);

  shoal_test_api_assert_error (answer, code);
}

/* JSON checks -------------------------------------------------------------------- */

static void
assert_member_type (JsonObject *object,
                    const char *member,
                    GType       type)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    g_error ("member “%s” is missing or not a %s", member, g_type_name (type));
}

static void
assert_ints (JsonObject         *object,
             const char * const *members)
{
  for (guint i = 0; members[i] != NULL; i++)
    {
      assert_member_type (object, members[i], G_TYPE_INT64);
      g_assert_cmpint (json_object_get_int_member (object, members[i]), >=, 0);
    }
}

static gint64
int_at (JsonObject *object,
        const char *child,
        const char *member)
{
  return json_object_get_int_member (json_object_get_object_member (object, child), member);
}

static void
assert_is_link (JsonObject *link)
{
  const char *ints[] = { "id", "bytes_in", "bytes_out", "messages_in", "messages_out",
                         "queries_in", "hits_in", NULL };
  const char *texts[] = { "address", "listen", "role", "direction", "user_agent", "guid", NULL };

  assert_ints (link, ints);
  for (guint i = 0; texts[i] != NULL; i++)
    assert_member_type (link, texts[i], G_TYPE_STRING);
  assert_member_type (link, "has_qrp_table", G_TYPE_BOOLEAN);
  assert_member_type (link, "lan", G_TYPE_BOOLEAN);
}

static guint
count_links (ShoalTestApi *api)
{
  g_autoptr(JsonObject) answer = shoal_test_api_call (api, "GET", "/api/v1/links", NULL, 200);

  return json_array_get_length (json_object_get_array_member (answer, "links"));
}

/* Status ----------------------------------------------------------------------- */

static void
test_status (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  ShoalNodeManager *node = shoal_servent_get_node_manager (api->servent);
  g_autoptr(JsonObject) status = shoal_test_api_call (api, "GET", "/api/v1/status", NULL, 200);
  g_autofree char *guid = shoal_guid_to_hex (shoal_node_manager_get_guid (node));
  const char *top[] = { "uptime", "port", "role_switches", "hosts_known", NULL };
  const char *links[] = { "total", "leaf", "ultrapeer", NULL };
  const char *traffic[] = { "bytes_in", "bytes_out", "messages_in", "messages_out",
                            "upload_bytes", "download_bytes", NULL };
  const char *router[] = { "queries_in", "queries_out", "queries_answered", "hits_in", "hits_out",
                           "pushes_in", "pushes_out", "duplicates", "dropped", "qrp_updates", NULL };
  const char *library[] = { "files", "hashed", "bytes", "roots", NULL };
  const char *transfers[] = { "downloads", "downloads_active", "uploads_active", NULL };
  JsonObject *lan;

  g_assert_cmpstr (json_object_get_string_member (status, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (json_object_get_string_member (status, "guid"), ==, guid);
  g_assert_cmpuint (strlen (guid), ==, 32);
  g_assert_cmpstr (json_object_get_string_member (status, "role"), ==, "ultrapeer");
  g_assert_cmpstr (json_object_get_string_member (status, "role_mode"), ==, "ultrapeer");
  assert_ints (status, top);
  g_assert_cmpint (json_object_get_int_member (status, "port"), ==, shoal_node_manager_get_port (node));
  g_assert_cmpint (json_object_get_int_member (status, "role_switches"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "hosts_known"), ==, 0);
  assert_member_type (status, "reachable", G_TYPE_BOOLEAN);
  g_assert_false (json_object_get_boolean_member (status, "reachable"));

  assert_ints (json_object_get_object_member (status, "links"), links);
  g_assert_cmpint (int_at (status, "links", "total"), ==, 0);
  assert_ints (json_object_get_object_member (status, "traffic"), traffic);
  g_assert_cmpint (int_at (status, "traffic", "bytes_in"), ==, 0);
  assert_ints (json_object_get_object_member (status, "router"), router);
  assert_ints (json_object_get_object_member (status, "library"), library);
  assert_member_type (json_object_get_object_member (status, "library"), "busy", G_TYPE_BOOLEAN);
  g_assert_cmpint (int_at (status, "library", "roots"), ==, 0);
  assert_ints (json_object_get_object_member (status, "transfers"), transfers);
  g_assert_cmpint (int_at (status, "transfers", "downloads"), ==, 0);

  /* A servent on loopback publishes nothing on the LAN, and says why. */
  lan = json_object_get_object_member (status, "lan");
  g_assert_nonnull (lan);
  g_assert_cmpstr (json_object_get_string_member (lan, "discovery"), ==, "unavailable");
  g_assert_cmpstr (json_object_get_string_member (lan, "reason"), ==, "listening on a loopback address only");
  g_assert_true (json_object_has_member (lan, "service_name"));
  g_assert_true (json_object_get_null_member (lan, "service_name"));
  g_assert_cmpint (json_object_get_int_member (lan, "peers"), ==, 0);
  assert_member_type (lan, "lan_only", G_TYPE_BOOLEAN);
  g_assert_false (json_object_get_boolean_member (lan, "lan_only"));
}

/* Links -------------------------------------------------------------------------- */

static void
test_links_empty (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  g_autoptr(JsonObject) answer = shoal_test_api_call (api, "GET", "/api/v1/links", NULL, 200);

  g_assert_true (json_object_has_member (answer, "links"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (answer, "links")), ==, 0);
}

static void
test_link_added_and_closed (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  g_autoptr(Peer) peer = peer_start ();
  guint16 peer_port = shoal_node_manager_get_port (peer->manager);
  g_autofree char *address = g_strdup_printf (PEER_ADDRESS ":%u", peer_port);
  g_autofree char *body = g_strdup_printf ("{\"address\": \"%s\"}", address);
  g_autofree char *peer_guid = shoal_guid_to_hex (shoal_node_manager_get_guid (peer->manager));
  g_autofree char *link_path = NULL;
  g_autoptr(JsonObject) added = shoal_test_api_call (api, "POST", "/api/v1/links", body, 201);
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) status = NULL;
  JsonObject *link = json_object_get_object_member (added, "link");
  JsonObject *first;
  gint64 link_id;

  g_assert_nonnull (link);
  assert_is_link (link);
  link_id = json_object_get_int_member (link, "id");
  g_assert_cmpint (link_id, >, 0);
  g_assert_cmpstr (json_object_get_string_member (link, "address"), ==, address);
  g_assert_cmpstr (json_object_get_string_member (link, "listen"), ==, address);
  g_assert_cmpstr (json_object_get_string_member (link, "role"), ==, "ultrapeer");
  g_assert_cmpstr (json_object_get_string_member (link, "direction"), ==, "out");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (link, "user_agent"), "Shoal/"));
  g_assert_cmpstr (json_object_get_string_member (link, "guid"), ==, peer_guid);
  g_assert_false (json_object_get_boolean_member (link, "lan"));  /* loopback, no LAN peer */
  g_assert_false (json_object_get_boolean_member (added, "remembered"));
  g_assert_cmpuint (api->config->node->manual_peers->len, ==, 0);
  g_assert_false (g_file_test (api->config_path, G_FILE_TEST_EXISTS));

  listed = shoal_test_api_call (api, "GET", "/api/v1/links", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (listed, "links")), ==, 1);
  first = json_array_get_object_element (json_object_get_array_member (listed, "links"), 0);
  assert_is_link (first);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, link_id);
  status = shoal_test_api_call (api, "GET", "/api/v1/status", NULL, 200);
  g_assert_cmpint (int_at (status, "links", "total"), ==, 1);
  g_assert_cmpint (int_at (status, "links", "ultrapeer"), ==, 1);
  g_assert_cmpint (int_at (status, "links", "leaf"), ==, 0);

  /* The same peer twice is one link. */
  expect_error (api, "POST", "/api/v1/links", body, 502, "failed");

  link_path = g_strdup_printf ("/api/v1/links/%" G_GINT64_FORMAT, link_id);
  {
    g_autoptr(ShoalTestHttpAnswer) closed = shoal_test_api_request (api, "DELETE", link_path, NULL);

    g_assert_cmpuint (closed->status, ==, 204);
  }
  /* Answered once the link is gone. */
  g_assert_cmpuint (shoal_node_manager_get_link_count (shoal_servent_get_node_manager (api->servent)),
                    ==, 0);
  g_assert_cmpuint (count_links (api), ==, 0);
  expect_error (api, "DELETE", link_path, NULL, 404, "not_found");
}

static void
test_close_unknown_link (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  expect_error (api, "DELETE", "/api/v1/links/9999", NULL, 404, "not_found");
  expect_error (api, "DELETE", "/api/v1/links/0", NULL, 404, "not_found");
  expect_error (api, "DELETE", "/api/v1/links/five", NULL, 404, "not_found");
}

static void
test_add_link_bad_address (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  const char *bodies[] = {
    "{\"address\": \"not an address\"}",
    "{\"address\": \"peer.example.org:6346\"}",
    "{\"address\": \"127.0.0.1\"}",           /* no port */
    "{\"address\": \"127.0.0.1:0\"}",
    "{\"address\": \"127.0.0.1:65536\"}",
    "{\"address\": \"0.0.0.0:6346\"}",
    "{\"address\": \"224.0.0.1:6346\"}",      /* multicast */
    "{\"address\": 6346}",
    "{\"host\": \"127.0.0.1:6346\"}",
    "[\"127.0.0.1:6346\"]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    expect_error (api, "POST", "/api/v1/links", bodies[i], 400, "bad_request");
  g_assert_cmpuint (count_links (api), ==, 0);
}

/* A port on loopback that nobody listens on: one just closed. */
static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string (SERVENT_ADDRESS, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_add_link_unreachable (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  g_autofree char *body = g_strdup_printf ("{\"address\": \"" SERVENT_ADDRESS ":%u\"}", closed_port ());

  expect_error (api, "POST", "/api/v1/links", body, 502, "failed");
  g_assert_cmpuint (count_links (api), ==, 0);
}

static gboolean
has_one_link (gpointer data)
{
  return shoal_node_manager_get_link_count (data) == 1;
}

static void
assert_manual_peers (ShoalTestApi *api,
                     const char   *expected_line)
{
  g_autoptr(ShoaldConfig) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (api->config_path, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, expected_line));
  saved = shoald_config_load_file (api->config_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->node->manual_peers->len, ==, api->config->node->manual_peers->len);
}

/* "remember": the address joins network.manual-peers, in the file and in
 * the settings in effect, and the node redials it when its link drops. */
static void
test_link_remembered (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  g_autoptr(Peer) peer = peer_start ();
  ShoalNodeManager *node = shoal_servent_get_node_manager (api->servent);
  g_autofree char *address = g_strdup_printf (PEER_ADDRESS ":%u", shoal_node_manager_get_port (peer->manager));
  g_autofree char *body = g_strdup_printf ("{\"address\": \"%s\", \"remember\": true}", address);
  g_autofree char *line = g_strdup_printf ("manual-peers=%s;", address);
  g_autofree char *unreachable = g_strdup_printf (SERVENT_ADDRESS ":%u", closed_port ());
  g_autofree char *unreachable_body = g_strdup_printf ("{\"address\": \"%s\", \"remember\": true}",
                                                       unreachable);
  g_autoptr(JsonObject) added = shoal_test_api_call (api, "POST", "/api/v1/links", body, 201);
  g_autoptr(GPtrArray) links = NULL;
  guint64 first_id;

  g_assert_true (json_object_get_boolean_member (added, "remembered"));
  first_id = (guint64) json_object_get_int_member (json_object_get_object_member (added, "link"), "id");
  g_assert_cmpuint (api->config->node->manual_peers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (api->config->node->manual_peers, 0), ==, address);
  g_assert_true (shoal_node_config_has_manual_peer (shoal_node_manager_get_config (node), address));
  assert_manual_peers (api, line);

  /* Dropped by the peer: dialled again. */
  links = shoal_node_manager_list_peers (peer->manager);
  g_assert_cmpuint (links->len, ==, 1);
  shoal_node_manager_close_link (peer->manager, ((ShoalPeerInfo *) g_ptr_array_index (links, 0))->id,
                                 200, "Dropped by the test");
  while (shoal_node_manager_get_link_count (node) > 0)
    g_main_context_iteration (NULL, TRUE);
  shoal_test_wait_until (has_one_link, node, REDIAL_TIMEOUT_MS, "the manual peer's link again");
  g_clear_pointer (&links, g_ptr_array_unref);
  links = shoal_node_manager_list_peers (node);
  g_assert_cmpuint (((ShoalPeerInfo *) g_ptr_array_index (links, 0))->id, !=, first_id);

  /* Asked again: linked already, and remembered once. */
  expect_error (api, "POST", "/api/v1/links", body, 502, "failed");
  g_assert_cmpuint (api->config->node->manual_peers->len, ==, 1);

  /* One that does not answer now is remembered all the same. */
  expect_error (api, "POST", "/api/v1/links", unreachable_body, 502, "failed");
  g_assert_cmpuint (api->config->node->manual_peers->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (api->config->node->manual_peers, 1), ==, unreachable);
  assert_manual_peers (api, unreachable);

  expect_error (api, "POST", "/api/v1/links", "{\"address\": \"127.0.0.2:6346\", \"remember\": 1}",
                400, "bad_request");
  g_assert_cmpuint (api->config->node->manual_peers->len, ==, 2);
}

/* Hosts -------------------------------------------------------------------------- */

static gint64
fake_clock (gpointer user_data)
{
  return host_clock_usec;
}

static void
test_hosts (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  ShoalHostCache *hosts =
    shoal_node_manager_get_host_cache (shoal_servent_get_node_manager (api->servent));
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonObject) all = NULL;
  JsonArray *listed;

  host_clock_usec = g_get_real_time ();
  shoal_host_cache_set_clock (hosts, fake_clock, NULL);
  for (guint i = 1; i <= HOSTS_ADDED; i++)
    {
      ShoalIpv4Endpoint endpoint = { 0x0b000000u | i, 6346 };   /* 11.0.0.i */

      host_clock_usec += HOST_SIGHTING_USEC;
      g_assert_true (shoal_host_cache_add (hosts, &endpoint, SHOAL_HOST_SOURCE_PONG,
                                           SHOAL_HOST_ROLE_ULTRAPEER));
    }

  page = shoal_test_api_call (api, "GET", "/api/v1/hosts?limit=3", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (page, "count"), ==, HOSTS_ADDED);
  listed = json_object_get_array_member (page, "hosts");
  g_assert_cmpuint (json_array_get_length (listed), ==, HOSTS_PAGE);
  /* Most recently seen first. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, 0), "address"),
                   ==, "11.0.0.5:6346");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, 2), "address"),
                   ==, "11.0.0.3:6346");

  all = shoal_test_api_call (api, "GET", "/api/v1/hosts", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (all, "count"), ==, HOSTS_ADDED);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (all, "hosts")), ==,
                    HOSTS_ADDED);

  expect_error (api, "GET", "/api/v1/hosts?limit=many", NULL, 400, "bad_request");
  expect_error (api, "GET", "/api/v1/hosts?limit=-1", NULL, 400, "bad_request");
  expect_error (api, "GET", "/api/v1/hosts?limit=1001", NULL, 400, "bad_request");
}

/* Metrics -------------------------------------------------------------------------- */

/* What the exposition said: family -> "counter"/"gauge", family -> help,
 * "name{labels}" -> value. */
typedef struct
{
  GHashTable *types;
  GHashTable *helps;
  GHashTable *samples;
} Exposition;

static void
exposition_clear (Exposition *exposition)
{
  g_clear_pointer (&exposition->types, g_hash_table_unref);
  g_clear_pointer (&exposition->helps, g_hash_table_unref);
  g_clear_pointer (&exposition->samples, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Exposition, exposition_clear)

static gboolean
is_metric_name (const char *name,
                gsize       length)
{
  if (length == 0 || !(g_ascii_isalpha (name[0]) || name[0] == '_' || name[0] == ':'))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!(g_ascii_isalnum (name[i]) || name[i] == '_' || name[i] == ':'))
      return FALSE;
  return TRUE;
}

/* 'key="value"' pairs separated by commas, values without escapes. */
static gboolean
are_labels (const char *labels)
{
  g_auto(GStrv) pairs = g_strsplit (labels, ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *equals = strchr (pairs[i], '=');
      gsize value_length;

      if (equals == NULL || !is_metric_name (pairs[i], equals - pairs[i]))
        return FALSE;
      value_length = strlen (equals + 1);
      if (value_length < 2 || equals[1] != '"' || equals[value_length] != '"' ||
          memchr (equals + 2, '"', value_length - 2) != NULL)
        return FALSE;
    }
  return TRUE;
}

/* "# HELP name text" or "# TYPE name counter|gauge". */
static void
parse_comment (Exposition *exposition,
               const char *line)
{
  g_auto(GStrv) words = g_strsplit (line, " ", 4);

  g_assert_cmpuint (g_strv_length (words), >=, 4);
  g_assert_cmpstr (words[0], ==, "#");
  g_assert_true (is_metric_name (words[2], strlen (words[2])));
  if (g_str_equal (words[1], "HELP"))
    {
      g_assert_false (g_hash_table_contains (exposition->helps, words[2]));
      g_hash_table_insert (exposition->helps, g_strdup (words[2]), g_strdup (words[3]));
    }
  else
    {
      g_assert_cmpstr (words[1], ==, "TYPE");
      g_assert_true (g_str_equal (words[3], "counter") || g_str_equal (words[3], "gauge"));
      g_assert_false (g_hash_table_contains (exposition->types, words[2]));
      g_hash_table_insert (exposition->types, g_strdup (words[2]), g_strdup (words[3]));
    }
}

/* "name{labels} value" or "name value", its family described before. */
static void
parse_sample (Exposition *exposition,
              const char *line)
{
  const char *space = strrchr (line, ' ');
  const char *brace = strchr (line, '{');
  gsize name_length = (brace != NULL && brace < space ? brace : space) - line;
  g_autofree char *name = g_strndup (line, name_length);
  const char *type = g_hash_table_lookup (exposition->types, name);
  char *end = NULL;
  double value;

  g_assert_nonnull (space);
  g_assert_true (is_metric_name (name, name_length));
  if (brace != NULL && brace < space)
    {
      g_autofree char *labels = NULL;

      g_assert_true (space[-1] == '}');
      labels = g_strndup (brace + 1, space - 1 - (brace + 1));
      g_assert_true (are_labels (labels));
    }
  value = g_ascii_strtod (space + 1, &end);
  g_assert_true (end != space + 1 && *end == '\0');
  g_assert_cmpfloat (value, >=, 0);
  if (type == NULL || !g_hash_table_contains (exposition->helps, name))
    g_error ("sample of “%s” without HELP and TYPE before it", name);
  g_assert_cmpint (g_str_has_suffix (name, "_total"), ==, g_str_equal (type, "counter"));
  g_hash_table_insert (exposition->samples, g_strndup (line, space - line), g_memdup2 (&value, sizeof value));
}

static void
parse_exposition (Exposition *exposition,
                  const char *text)
{
  g_auto(GStrv) lines = NULL;

  exposition->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  exposition->helps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  exposition->samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        g_assert_null (lines[i + 1]);   /* only after the last newline */
      else if (lines[i][0] == '#')
        parse_comment (exposition, lines[i]);
      else
        parse_sample (exposition, lines[i]);
    }
}

static double
sample (Exposition *exposition,
        const char *series)
{
  const double *value = g_hash_table_lookup (exposition->samples, series);

  if (value == NULL)
    g_error ("no sample “%s”", series);
  return *value;
}

static void
test_metrics (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  const char *families[] = {
    "shoal_links", "shoal_role", "shoal_uptime_seconds", "shoal_hosts_known",
    "shoal_messages_received_total", "shoal_messages_routed_total", "shoal_messages_dropped_total",
    "shoal_messages_duplicate_total", "shoal_queries_seen_total", "shoal_queries_answered_total",
    "shoal_qrp_updates_total", "shoal_gnutella_bytes_total", "shoal_gnutella_messages_total",
    "shoal_upload_bytes_total", "shoal_download_bytes_total", "shoal_upload_requests_total",
    "shoal_uploads_refused_total", "shoal_uploads_active", "shoal_downloads", "shoal_library_files",
    "shoal_library_hashed_files", "shoal_library_bytes", "shoal_searches_active",
    "shoal_api_requests_total", "shoal_api_refused_total", "shoal_lan_peers", "shoal_lan_discovery_up",
  };
  const char *wrong_token[] = { "Authorization: " SHOALD_API_AUTH_SCHEME "0000", NULL };
  g_autoptr(ShoalTestHttpAnswer) refused =
    shoal_test_api_request_with_headers (api, "GET", "/metrics", NULL, NULL);
  g_autoptr(ShoalTestHttpAnswer) refused_again =
    shoal_test_api_request_with_headers (api, "GET", "/metrics", wrong_token, NULL);
  g_autoptr(ShoalTestHttpAnswer) answer = shoal_test_api_request (api, "GET", "/metrics", NULL);
  g_auto(Exposition) exposition = { NULL, NULL, NULL };
  const char *type = g_hash_table_lookup (answer->headers, "content-type");

  g_assert_cmpuint (refused->status, ==, 401);
  g_assert_cmpuint (refused_again->status, ==, 401);
  g_assert_cmpuint (answer->status, ==, 200);
  g_assert_nonnull (type);
  g_assert_true (g_str_has_prefix (type, "text/plain; version=0.0.4"));

  parse_exposition (&exposition, shoal_test_http_answer_text (answer));
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    if (!g_hash_table_contains (exposition.types, families[i]))
      g_error ("no metric family “%s”", families[i]);
  g_assert_cmpuint (g_hash_table_size (exposition.types), ==, G_N_ELEMENTS (families));

  g_assert_cmpfloat (sample (&exposition, "shoal_role{role=\"ultrapeer\"}"), ==, 1);
  g_assert_cmpfloat (sample (&exposition, "shoal_role{role=\"leaf\"}"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_links{role=\"ultrapeer\"}"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_links{role=\"leaf\"}"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_messages_dropped_total{type=\"other\"}"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_gnutella_bytes_total{direction=\"in\"}"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_downloads{state=\"running\"}"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_searches_active"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_lan_peers"), ==, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_lan_discovery_up"), ==, 0);
  /* The two refusals and this request. */
  g_assert_cmpfloat (sample (&exposition, "shoal_api_requests_total"), ==, 3);
  g_assert_cmpfloat (sample (&exposition, "shoal_api_refused_total{reason=\"unauthorized\"}"), ==, 2);
  g_assert_cmpfloat (sample (&exposition, "shoal_api_refused_total{reason=\"csrf\"}"), ==, 0);
}

/* Traffic over a link shows in the status and the metrics. */
static void
test_metrics_count_link_traffic (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&network_api);
  g_autoptr(Peer) peer = peer_start ();
  g_autofree char *body = g_strdup_printf ("{\"address\": \"" PEER_ADDRESS ":%u\"}",
                                           shoal_node_manager_get_port (peer->manager));
  g_autoptr(JsonObject) added = shoal_test_api_call (api, "POST", "/api/v1/links", body, 201);
  g_autoptr(JsonObject) status = shoal_test_api_call (api, "GET", "/api/v1/status", NULL, 200);
  g_autoptr(ShoalTestHttpAnswer) answer = shoal_test_api_request (api, "GET", "/metrics", NULL);
  g_auto(Exposition) exposition = { NULL, NULL, NULL };

  g_assert_true (json_object_has_member (added, "link"));
  parse_exposition (&exposition, shoal_test_http_answer_text (answer));
  g_assert_cmpfloat (sample (&exposition, "shoal_links{role=\"ultrapeer\"}"), ==, 1);
  /* A new link sends a ping at once. */
  g_assert_cmpint (int_at (status, "traffic", "messages_out"), >, 0);
  g_assert_cmpfloat (sample (&exposition, "shoal_gnutella_messages_total{direction=\"out\"}"), >=,
                     int_at (status, "traffic", "messages_out"));
  g_assert_cmpfloat (sample (&exposition, "shoal_gnutella_bytes_total{direction=\"out\"}"), >, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-network/status", test_status);
  g_test_add_func ("/api-network/links-empty", test_links_empty);
  g_test_add_func ("/api-network/link-added-and-closed", test_link_added_and_closed);
  g_test_add_func ("/api-network/link-remembered", test_link_remembered);
  g_test_add_func ("/api-network/close-unknown-link", test_close_unknown_link);
  g_test_add_func ("/api-network/add-link-bad-address", test_add_link_bad_address);
  g_test_add_func ("/api-network/add-link-unreachable", test_add_link_unreachable);
  g_test_add_func ("/api-network/hosts", test_hosts);
  g_test_add_func ("/api-network/metrics", test_metrics);
  g_test_add_func ("/api-network/metrics-count-link-traffic", test_metrics_count_link_traffic);
  return g_test_run ();
}
