/* shoal-test-api.c — the control API in-process for tests. */
#include "shoal-test-api.h"

#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <string.h>

#define LOOPBACK "127.0.0.1"
/* Fails the test rather than hanging it: long enough for hashing under
 * the sanitizers and for a POST /links waiting out a whole dial. */
#define TIMEOUT_MS 30000
G_STATIC_ASSERT (TIMEOUT_MS > SHOAL_NODE_MANAGER_CONNECT_TIMEOUT_S * 1000);
/* What of each answer the test's log shows. */
#define MESSAGE_BODY_MAX 300
#define HTTP_NO_CONTENT 204

static const struct
{
  ShoalTestApiAreas   area;
  void              (*register_routes) (ShoaldApiContext *context);
} area_routes[] = {
  { SHOAL_TEST_API_NETWORK,  shoald_api_network_register },
  { SHOAL_TEST_API_SEARCH,   shoald_api_search_register },
  { SHOAL_TEST_API_TRANSFER, shoald_api_transfer_register },
  { SHOAL_TEST_API_LIBRARY,  shoald_api_library_register },
  { SHOAL_TEST_API_SETTINGS, shoald_api_settings_register },
  { SHOAL_TEST_API_METRICS,  shoald_api_metrics_register },
};

/* Setup ------------------------------------------------------------------------ */

/* Reachable on loopback only, and linked to nothing but what the test
 * asks for. */
static void
configure_node (ShoalNodeConfig *node,
                const char      *data_dir,
                gboolean         ultrapeer)
{
  g_free (node->data_dir);
  node->data_dir = g_strdup (data_dir);
  g_free (node->download_dir);
  node->download_dir = g_build_filename (data_dir, "complete", NULL);
  g_free (node->listen_address);
  node->listen_address = g_strdup (LOOPBACK);
  node->port = 0;
  if (ultrapeer)
    node->role_mode = SHOAL_ROLE_MODE_ULTRAPEER;
  node->allow_private = TRUE;
  node->default_bootstrap = FALSE;
  node->anchors_only = TRUE;
}

static gboolean
library_ready (gpointer data)
{
  return shoal_library_get_ready (data);
}

static void
register_areas (ShoaldApiContext  *context,
                ShoalTestApiAreas  areas)
{
  for (guint i = 0; i < G_N_ELEMENTS (area_routes); i++)
    if (areas & area_routes[i].area)
      area_routes[i].register_routes (context);
}

ShoalTestApi *
shoal_test_api_new (const ShoalTestApiOptions *options)
{
  ShoalTestApi *api;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (options != NULL, NULL);
  api = g_new0 (ShoalTestApi, 1);
  api->data_dir = g_dir_make_tmp ("shoal-test-api-XXXXXX", &error);
  g_assert_no_error (error);
  api->config_path = g_build_filename (api->data_dir, "config", "shoal.conf", NULL);
  api->config = shoald_config_new_default ();
  configure_node (api->config->node, api->data_dir, options->ultrapeer);
  if (!options->without_library)
    api->library = shoal_library_new (api->data_dir);
  api->servent = shoal_servent_new (api->config->node, api->library);
  g_assert_true (shoal_servent_start (api->servent, &error));
  g_assert_no_error (error);
  if (api->library != NULL)
    shoal_test_wait_until (library_ready, api->library, TIMEOUT_MS, "the library's index");

  api->server = shoald_api_server_new (SHOAL_TEST_API_TOKEN);
  api->context = shoald_api_context_new (api->servent, api->server, api->config, api->config_path);
  register_areas (api->context, options->areas);
  g_assert_true (shoald_api_server_start (api->server, LOOPBACK, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (shoald_api_server_get_port (api->server), >, 0);
  return api;
}

void
shoal_test_api_free (ShoalTestApi *api)
{
  if (api == NULL)
    return;
  shoald_api_server_stop (api->server);
  g_clear_pointer (&api->context, shoald_api_context_free);
  g_clear_object (&api->server);
  shoal_servent_shutdown (api->servent);
  g_object_run_dispose (G_OBJECT (api->servent));
  g_clear_object (&api->servent);
  g_clear_object (&api->library);
  g_clear_pointer (&api->config, shoald_config_free);
  shoal_test_remove_tree (api->data_dir);
  g_free (api->data_dir);
  g_free (api->config_path);
  g_free (api);
}

/* Requests ------------------------------------------------------------------------
 *
 * The test client blocks until the answer is in, and the server answers
 * on this thread's main context: the request goes from a worker thread
 * while the main context runs here. */

typedef struct
{
  guint16              port;
  const char          *method;
  const char          *path;
  const char * const  *headers;
  const char          *body;
  ShoalTestHttpAnswer *answer;   /* set by the worker when it is in */
} Request;

static gpointer
send_request (gpointer data)
{
  Request *request = data;
  gsize body_length = request->body != NULL ? strlen (request->body) : 0;
  ShoalTestHttpAnswer *answer = shoal_test_http_request (request->port, request->method,
                                                         request->path, request->headers,
                                                         request->body, body_length);

  g_atomic_pointer_set (&request->answer, answer);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
request_answered (gpointer data)
{
  Request *request = data;

  return g_atomic_pointer_get (&request->answer) != NULL;
}

ShoalTestHttpAnswer *
shoal_test_api_request_with_headers (ShoalTestApi       *api,
                                     const char         *method,
                                     const char         *path,
                                     const char * const *headers,
                                     const char         *body)
{
  Request request = { shoald_api_server_get_port (api->server), method, path, headers, body, NULL };
  GThread *thread = g_thread_new ("api-request", send_request, &request);
  g_autofree char *what = g_strdup_printf ("the answer to %s %s", method, path);

  shoal_test_wait_until (request_answered, &request, TIMEOUT_MS, what);
  g_thread_join (thread);
  return request.answer;
}

ShoalTestHttpAnswer *
shoal_test_api_request (ShoalTestApi *api,
                        const char   *method,
                        const char   *path,
                        const char   *body)
{
  const char *headers[] = { "Authorization: " SHOALD_API_AUTH_SCHEME SHOAL_TEST_API_TOKEN,
                            SHOALD_API_CSRF_HEADER ": 1",
                            body != NULL ? "Content-Type: application/json" : NULL,
                            NULL };

  return shoal_test_api_request_with_headers (api, method, path, headers, body);
}

JsonObject *
shoal_test_api_call (ShoalTestApi *api,
                     const char   *method,
                     const char   *path,
                     const char   *body,
                     guint         status)
{
  g_autoptr(ShoalTestHttpAnswer) answer = shoal_test_api_request (api, method, path, body);
  const char *text = shoal_test_http_answer_text (answer);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  g_test_message ("%s %s %s -> %u %.*s", method, path, body != NULL ? body : "", answer->status,
                  MESSAGE_BODY_MAX, text);
  g_assert_cmpuint (answer->status, ==, status);
  if (status == HTTP_NO_CONTENT)
    {
      g_assert_cmpstr (text, ==, "");
      return NULL;
    }
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_dup_object (node);
}

void
shoal_test_api_assert_error (JsonObject *answer,
                             const char *code)
{
  JsonObject *error = json_object_get_object_member (answer, "error");

  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}
