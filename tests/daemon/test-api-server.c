/* test-api-server.c — the control API's HTTP side: token and CSRF checks,
 * bodies, routes, answers now and later, and stopping with requests in
 * flight, over real connections on loopback. */
#include "shoald-api-server.h"
#include "shoal-test-http.h"
#include "shoal-test-loop.h"

#include <string.h>

#define TEST_TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define AUTH_LINE "Authorization: Bearer " TEST_TOKEN
#define CSRF_LINE SHOALD_API_CSRF_HEADER ": 1"
#define LOOPBACK "127.0.0.1"
#define CALL_TIMEOUT_MS 10000
#define LATER_DELAY_MS 50
#define STATS_POLL_US 1000
#define QUIET_MS 100
#define MANY_REQUESTS 200
#define CONCURRENT_REQUESTS 16
#define CHUNK_SIZE 4096
#define JSON_TYPE "application/json"
#define METRICS_TYPE "text/plain; version=0.0.4"
#define METRICS_TEXT "shoal_up 1\n"

static const char * const authorized[] = { AUTH_LINE, NULL };
static const char * const authorized_csrf[] = { AUTH_LINE, CSRF_LINE, NULL };

typedef struct
{
  ShoaldApiServer   *server;
  guint16            port;
  guint              handled;   /* handler runs */
  ShoaldApiRequest  *held;      /* taken by the handler that never answers */
} Fixture;

/* A client call on its own thread ------------------------------------------- */

/* The client blocks, so it runs on a thread while the test iterates the
 * main context on which the handlers answer. */
typedef struct
{
  guint16               port;
  GString              *raw;
  ShoalTestHttpAnswer  *answer;
  GThread              *thread;
  gboolean              done;     /* set on the main context */
} Call;

static gboolean
on_call_done (gpointer data)
{
  ((Call *) data)->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
run_call (gpointer data)
{
  Call *call = data;

  call->answer = shoal_test_http_raw (call->port, call->raw->str, call->raw->len);
  g_idle_add (on_call_done, call);
  return NULL;
}

static Call *
call_start_raw (guint16     port,
                const char *raw,
                gsize       length)
{
  Call *call = g_new0 (Call, 1);

  call->port = port;
  call->raw = g_string_new_len (raw, length);
  call->thread = g_thread_new ("api-client", run_call, call);
  return call;
}

static Call *
call_start (guint16             port,
            const char         *method,
            const char         *path,
            const char * const *headers,
            const char         *body)
{
  g_autoptr(GString) raw = g_string_new (NULL);

  g_string_append_printf (raw, "%s %s HTTP/1.1\r\nHost: " LOOPBACK "\r\nConnection: close\r\n",
                          method, path);
  if (body != NULL)
    g_string_append_printf (raw, "Content-Length: %" G_GSIZE_FORMAT "\r\n", strlen (body));
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    g_string_append_printf (raw, "%s\r\n", headers[i]);
  g_string_append (raw, "\r\n");
  if (body != NULL)
    g_string_append (raw, body);
  return call_start_raw (port, raw->str, raw->len);
}

static ShoalTestHttpAnswer *
call_finish (Call *call)
{
  ShoalTestHttpAnswer *answer;

  shoal_test_wait_flag (&call->done, CALL_TIMEOUT_MS, "the API's answer");
  g_thread_join (call->thread);
  answer = call->answer;
  g_string_free (call->raw, TRUE);
  g_free (call);
  return answer;
}

static ShoalTestHttpAnswer *
fetch (Fixture            *fixture,
       const char         *method,
       const char         *path,
       const char * const *headers,
       const char         *body)
{
  return call_finish (call_start (fixture->port, method, path, headers, body));
}

static ShoalTestHttpAnswer *
fetch_raw (Fixture    *fixture,
           const char *raw,
           gsize       length)
{
  return call_finish (call_start_raw (fixture->port, raw, length));
}

/* Reading answers --------------------------------------------------------------- */

static const char *
header (ShoalTestHttpAnswer *answer,
        const char          *name)
{
  return g_hash_table_lookup (answer->headers, name);
}

static JsonNode *
answer_json (ShoalTestHttpAnswer *answer)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_assert_cmpstr (header (answer, "content-type"), ==, JSON_TYPE);
  g_assert_cmpstr (header (answer, "cache-control"), ==, "no-store");
  root = json_from_string (shoal_test_http_answer_text (answer), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return root;
}

static const char *
member_string (JsonNode   *root,
               const char *name)
{
  return json_object_get_string_member_with_default (json_node_get_object (root), name, NULL);
}

static void
assert_error (ShoalTestHttpAnswer *answer,
              guint                status,
              const char          *code)
{
  g_autoptr(JsonNode) root = answer_json (answer);
  JsonObject *error;

  g_assert_cmpuint (answer->status, ==, status);
  error = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}

static void
assert_echo (ShoalTestHttpAnswer *answer,
             const char          *method)
{
  g_autoptr(JsonNode) root = answer_json (answer);

  g_assert_cmpuint (answer->status, ==, 200);
  g_assert_cmpstr (member_string (root, "method"), ==, method);
}

/* Handlers ------------------------------------------------------------------------ */

static void
add_optional_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* Tells what the handler saw of the request. */
static void
on_echo (ShoaldApiRequest *request,
         gpointer          data)
{
  Fixture *fixture = data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonNode *body = shoald_api_request_get_body (request);

  fixture->handled++;
  json_builder_begin_object (builder);
  add_optional_string (builder, "method", shoald_api_request_get_method (request));
  add_optional_string (builder, "path", shoald_api_request_get_path (request));
  add_optional_string (builder, "id", shoald_api_request_get_param (request, "id"));
  add_optional_string (builder, "part", shoald_api_request_get_param (request, "part"));
  add_optional_string (builder, "q", shoald_api_request_get_query (request, "q"));
  add_optional_string (builder, "dir", shoald_api_request_get_query (request, "dir"));
  json_builder_set_member_name (builder, "body");
  if (body != NULL)
    json_builder_add_value (builder, json_node_copy (body));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  shoald_api_request_respond (request, 200, root);
}

static void
on_delete (ShoaldApiRequest *request,
           gpointer          data)
{
  Fixture *fixture = data;

  fixture->handled++;
  shoald_api_request_respond (request, 204, NULL);
}

static gboolean
answer_later (gpointer data)
{
  g_autoptr(ShoaldApiRequest) request = data;
  g_autoptr(JsonNode) root = json_from_string ("{\"later\": true}", NULL);

  shoald_api_request_respond (request, 200, root);
  return G_SOURCE_REMOVE;
}

static void
on_later (ShoaldApiRequest *request,
          gpointer          data)
{
  Fixture *fixture = data;

  fixture->handled++;
  g_timeout_add (LATER_DELAY_MS, answer_later, shoald_api_request_ref (request));
}

static void
on_metrics (ShoaldApiRequest *request,
            gpointer          data)
{
  Fixture *fixture = data;

  fixture->handled++;
  shoald_api_request_respond_text (request, 200, METRICS_TYPE, METRICS_TEXT);
}

static void
on_never (ShoaldApiRequest *request,
          gpointer          data)
{
  Fixture *fixture = data;

  fixture->handled++;
  fixture->held = shoald_api_request_ref (request);
}

/* Fixture ---------------------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = shoald_api_server_new (TEST_TOKEN);
  shoald_api_server_add_route (fixture->server, "GET", "/api/v1/echo", on_echo, fixture);
  shoald_api_server_add_route (fixture->server, "POST", "/api/v1/echo", on_echo, fixture);
  shoald_api_server_add_route (fixture->server, "GET", "/api/v1/items/{id}/parts/{part}",
                               on_echo, fixture);
  shoald_api_server_add_route (fixture->server, "DELETE", "/api/v1/items/{id}", on_delete, fixture);
  shoald_api_server_add_route (fixture->server, "GET", "/api/v1/later", on_later, fixture);
  shoald_api_server_add_route (fixture->server, "GET", "/api/v1/never", on_never, fixture);
  shoald_api_server_add_route (fixture->server, "GET", "/metrics", on_metrics, fixture);
  g_assert_true (shoald_api_server_start (fixture->server, LOOPBACK, 0, &error));
  g_assert_no_error (error);
  fixture->port = shoald_api_server_get_port (fixture->server);
  g_assert_cmpuint (fixture->port, !=, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  shoald_api_server_stop (fixture->server);
  g_assert_cmpuint (shoald_api_server_get_port (fixture->server), ==, 0);
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->held, shoald_api_request_unref);
}

static void
get_stats (Fixture              *fixture,
           ShoaldApiServerStats *stats)
{
  shoald_api_server_get_stats (fixture->server, stats);
}

/* {"pad": "xxx..."} of exactly @length bytes. */
static char *
padded_object (gsize length)
{
  const char *head = "{\"pad\": \"";
  const char *tail = "\"}";
  GString *text = g_string_new (head);

  while (text->len < length - strlen (tail))
    g_string_append_c (text, 'x');
  g_string_append (text, tail);
  return g_string_free (text, FALSE);
}

/* The token ----------------------------------------------------------------------------- */

static void
test_no_token (Fixture       *fixture,
               gconstpointer  data)
{
  const char * const csrf_only[] = { CSRF_LINE, NULL };
  g_autofree char *large = padded_object (SHOALD_API_MAX_BODY);
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/api/v1/echo", NULL, NULL);
  g_autoptr(ShoalTestHttpAnswer) with_body = NULL;

  assert_error (answer, 401, "unauthorized");
  g_assert_cmpstr (header (answer, "www-authenticate"), ==, "Bearer");
  /* Refused on the headers, with a body on its way that is never read. */
  with_body = fetch (fixture, "POST", "/api/v1/echo", csrf_only, large);
  assert_error (with_body, 401, "unauthorized");
  g_assert_cmpuint (fixture->handled, ==, 0);
}

static void
assert_refused_authorization (Fixture    *fixture,
                              const char *authorization)
{
  const char * const headers[] = { authorization, NULL };
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/api/v1/echo", headers, NULL);

  assert_error (answer, 401, "unauthorized");
  g_assert_cmpstr (header (answer, "www-authenticate"), ==, "Bearer");
}

static void
test_wrong_token (Fixture       *fixture,
                  gconstpointer  data)
{
  ShoaldApiServerStats stats;

  /* Same length, one digit off at the end. */
  assert_refused_authorization (fixture, "Authorization: Bearer "
                                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee");
  assert_refused_authorization (fixture, "Authorization: Bearer 0123456789abcdef");
  assert_refused_authorization (fixture, "Authorization: Bearer " TEST_TOKEN "0");
  assert_refused_authorization (fixture, "Authorization: Bearer ");
  /* The token without its scheme, or under another one. */
  assert_refused_authorization (fixture, "Authorization: " TEST_TOKEN);
  assert_refused_authorization (fixture, "Authorization: Basic " TEST_TOKEN);
  g_assert_cmpuint (fixture->handled, ==, 0);
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.unauthorized, ==, 6);
}

static void
test_right_token (Fixture       *fixture,
                  gconstpointer  data)
{
  const char * const lower_case_scheme[] = { "Authorization: bearer " TEST_TOKEN, NULL };
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) lower = NULL;

  assert_echo (answer, "GET");
  /* Schemes are case-insensitive (RFC 9110 §11.1). */
  lower = fetch (fixture, "GET", "/api/v1/echo", lower_case_scheme, NULL);
  assert_echo (lower, "GET");
  g_assert_cmpuint (fixture->handled, ==, 2);
}

/* The CSRF header ---------------------------------------------------------------------- */

static void
test_csrf (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) post = fetch (fixture, "POST", "/api/v1/echo", authorized, "{}");
  g_autoptr(ShoalTestHttpAnswer) delete = fetch (fixture, "DELETE", "/api/v1/items/3",
                                                 authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) post_ok = NULL;
  g_autoptr(ShoalTestHttpAnswer) delete_ok = NULL;
  g_autoptr(ShoalTestHttpAnswer) get = NULL;
  ShoaldApiServerStats stats;

  assert_error (post, 403, "csrf");
  assert_error (delete, 403, "csrf");
  g_assert_cmpuint (fixture->handled, ==, 0);
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.csrf_refused, ==, 2);

  post_ok = fetch (fixture, "POST", "/api/v1/echo", authorized_csrf, "{}");
  assert_echo (post_ok, "POST");
  delete_ok = fetch (fixture, "DELETE", "/api/v1/items/3", authorized_csrf, NULL);
  g_assert_cmpuint (delete_ok->status, ==, 204);
  g_assert_cmpuint (g_bytes_get_size (delete_ok->body), ==, 0);
  /* Reading needs no such header. */
  get = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);
  assert_echo (get, "GET");
  g_assert_cmpuint (fixture->handled, ==, 3);
}

/* Bodies --------------------------------------------------------------------------------- */

static void
test_body_parsed (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "POST", "/api/v1/echo", authorized_csrf,
                                                 "{\"text\": \"caf\\u00e9\", \"n\": 3}");
  g_autoptr(ShoalTestHttpAnswer) empty = NULL;
  g_autoptr(JsonNode) root = answer_json (answer);
  g_autoptr(JsonNode) empty_root = NULL;
  JsonObject *body;

  g_assert_cmpuint (answer->status, ==, 200);
  body = json_object_get_object_member (json_node_get_object (root), "body");
  g_assert_cmpstr (json_object_get_string_member (body, "text"), ==, "café");
  g_assert_cmpint (json_object_get_int_member (body, "n"), ==, 3);

  /* No body at all reaches the handler as NULL. */
  empty = fetch (fixture, "POST", "/api/v1/echo", authorized_csrf, "");
  empty_root = answer_json (empty);
  g_assert_cmpuint (empty->status, ==, 200);
  g_assert_true (json_object_get_null_member (json_node_get_object (empty_root), "body"));
}

static void
test_body_not_json (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) malformed = fetch (fixture, "POST", "/api/v1/echo",
                                                    authorized_csrf, "{\"text\": ");
  g_autoptr(ShoalTestHttpAnswer) array = fetch (fixture, "POST", "/api/v1/echo",
                                                authorized_csrf, "[1, 2]");
  g_autoptr(ShoalTestHttpAnswer) number = fetch (fixture, "POST", "/api/v1/echo",
                                                 authorized_csrf, "12");
  ShoaldApiServerStats stats;

  assert_error (malformed, 400, "bad_request");
  assert_error (array, 400, "bad_request");
  assert_error (number, 400, "bad_request");
  g_assert_cmpuint (fixture->handled, ==, 0);
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.bad_bodies, ==, 3);
}

static void
test_body_too_large (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *raw = g_strdup_printf ("POST /api/v1/echo HTTP/1.1\r\nHost: " LOOPBACK "\r\n"
                                          AUTH_LINE "\r\n" CSRF_LINE "\r\n"
                                          "Content-Length: %d\r\n\r\n", SHOALD_API_MAX_BODY + 1);
  g_autofree char *largest = padded_object (SHOALD_API_MAX_BODY);
  g_autoptr(ShoalTestHttpAnswer) refused = NULL;
  g_autoptr(ShoalTestHttpAnswer) accepted = NULL;
  g_autoptr(ShoalTestHttpAnswer) after = NULL;
  ShoaldApiServerStats stats;

  /* Refused on the headers, before any of the body is sent. */
  refused = fetch_raw (fixture, raw, strlen (raw));
  assert_error (refused, 413, "too_large");
  g_assert_cmpuint (fixture->handled, ==, 0);
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.too_large, ==, 1);

  g_assert_cmpuint (strlen (largest), ==, SHOALD_API_MAX_BODY);
  accepted = fetch (fixture, "POST", "/api/v1/echo", authorized_csrf, largest);
  assert_echo (accepted, "POST");
  after = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);
  assert_echo (after, "GET");
}

static GString *
chunked_post (gsize body_length)
{
  GString *raw = g_string_new ("POST /api/v1/echo HTTP/1.1\r\nHost: " LOOPBACK "\r\n"
                               AUTH_LINE "\r\n" CSRF_LINE "\r\n"
                               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  g_autofree char *body = padded_object (body_length);

  for (gsize sent = 0; sent < body_length; sent += CHUNK_SIZE)
    {
      gsize size = MIN (CHUNK_SIZE, body_length - sent);

      g_string_append_printf (raw, "%" G_GSIZE_MODIFIER "x\r\n", size);
      g_string_append_len (raw, body + sent, size);
      g_string_append (raw, "\r\n");
    }
  g_string_append (raw, "0\r\n\r\n");
  return raw;
}

static void
test_chunked_body (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GString) small = chunked_post (3 * CHUNK_SIZE / 2);
  g_autoptr(GString) large = chunked_post (SHOALD_API_MAX_BODY + 2 * CHUNK_SIZE);
  g_autoptr(ShoalTestHttpAnswer) accepted = fetch_raw (fixture, small->str, small->len);
  g_autoptr(ShoalTestHttpAnswer) refused = fetch_raw (fixture, large->str, large->len);
  g_autoptr(ShoalTestHttpAnswer) after = NULL;
  ShoaldApiServerStats stats;

  assert_echo (accepted, "POST");
  assert_error (refused, 413, "too_large");
  g_assert_cmpuint (fixture->handled, ==, 1);
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.too_large, ==, 1);
  after = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);
  assert_echo (after, "GET");
}

/* Routes ---------------------------------------------------------------------------------- */

static void
test_not_found (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) unknown = fetch (fixture, "GET", "/api/v1/nothing", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) longer = fetch (fixture, "GET", "/api/v1/echo/more", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) empty_param = fetch (fixture, "GET", "/api/v1/items//parts/x",
                                                      authorized, NULL);

  assert_error (unknown, 404, "not_found");
  assert_error (longer, 404, "not_found");
  assert_error (empty_param, 404, "not_found");
  g_assert_cmpuint (fixture->handled, ==, 0);
}

static void
test_method_not_allowed (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) put = fetch (fixture, "PUT", "/api/v1/echo", authorized_csrf, "{}");
  g_autoptr(ShoalTestHttpAnswer) options = fetch (fixture, "OPTIONS", "/api/v1/echo",
                                                  authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) get = fetch (fixture, "GET", "/api/v1/items/4", authorized, NULL);

  assert_error (put, 405, "method_not_allowed");
  g_assert_cmpstr (header (put, "allow"), ==, "GET, POST");
  /* No preflight is ever answered: browsers keep cross-site requests out. */
  assert_error (options, 405, "method_not_allowed");
  g_assert_null (header (options, "access-control-allow-origin"));
  assert_error (get, 405, "method_not_allowed");
  g_assert_cmpstr (header (get, "allow"), ==, "DELETE");
  g_assert_cmpuint (fixture->handled, ==, 0);
}

static void
test_params_and_query (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) answer =
    fetch (fixture, "GET", "/api/v1/items/a%20b/parts/x%2Fy?q=caf%C3%A9+ok&dir=%2Fhome%2Fme",
           authorized, NULL);
  g_autoptr(JsonNode) root = answer_json (answer);

  g_assert_cmpuint (answer->status, ==, 200);
  g_assert_cmpstr (member_string (root, "id"), ==, "a b");
  /* An escaped '/' stays inside its segment. */
  g_assert_cmpstr (member_string (root, "part"), ==, "x/y");
  g_assert_cmpstr (member_string (root, "path"), ==, "/api/v1/items/a b/parts/x/y");
  g_assert_cmpstr (member_string (root, "q"), ==, "café ok");
  g_assert_cmpstr (member_string (root, "dir"), ==, "/home/me");
}

static void
test_no_query (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/api/v1/echo?", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) bad = fetch (fixture, "GET", "/api/v1/echo?q=%zz", authorized, NULL);
  g_autoptr(JsonNode) root = answer_json (answer);

  g_assert_cmpuint (answer->status, ==, 200);
  g_assert_null (member_string (root, "q"));
  g_assert_null (member_string (root, "id"));
  assert_error (bad, 400, "bad_request");
}

/* Answers ---------------------------------------------------------------------------------- */

static void
test_answer_later (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/api/v1/later", authorized, NULL);
  g_autoptr(JsonNode) root = answer_json (answer);

  g_assert_cmpuint (answer->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (root), "later"));
  /* Compact JSON. */
  g_assert_cmpstr (shoal_test_http_answer_text (answer), ==, "{\"later\":true}");
  g_assert_cmpuint (fixture->handled, ==, 1);
}

static void
test_answer_text (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/metrics", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) refused = fetch (fixture, "GET", "/metrics", NULL, NULL);

  g_assert_cmpuint (answer->status, ==, 200);
  g_assert_cmpstr (header (answer, "content-type"), ==, METRICS_TYPE);
  g_assert_cmpstr (header (answer, "cache-control"), ==, "no-store");
  g_assert_cmpstr (shoal_test_http_answer_text (answer), ==, METRICS_TEXT);
  assert_error (refused, 401, "unauthorized");
}

static void
test_many_in_a_row (Fixture       *fixture,
                    gconstpointer  data)
{
  ShoaldApiServerStats stats;

  for (guint i = 0; i < MANY_REQUESTS; i++)
    {
      g_autoptr(ShoalTestHttpAnswer) answer = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);

      assert_echo (answer, "GET");
    }
  g_assert_cmpuint (fixture->handled, ==, MANY_REQUESTS);
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.requests, ==, MANY_REQUESTS);
}

static void
test_many_at_once (Fixture       *fixture,
                   gconstpointer  data)
{
  Call *calls[CONCURRENT_REQUESTS];

  for (guint i = 0; i < CONCURRENT_REQUESTS; i++)
    calls[i] = call_start (fixture->port, "GET", "/api/v1/later", authorized, NULL);
  for (guint i = 0; i < CONCURRENT_REQUESTS; i++)
    {
      g_autoptr(ShoalTestHttpAnswer) answer = call_finish (calls[i]);

      g_assert_cmpuint (answer->status, ==, 200);
      g_assert_cmpstr (shoal_test_http_answer_text (answer), ==, "{\"later\":true}");
    }
  g_assert_cmpuint (fixture->handled, ==, CONCURRENT_REQUESTS);
}

/* Counting --------------------------------------------------------------------------------- */

static void
test_stats (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *too_large = g_strdup_printf ("POST /api/v1/echo HTTP/1.1\r\nHost: " LOOPBACK
                                                "\r\n" AUTH_LINE "\r\n" CSRF_LINE "\r\n"
                                                "Content-Length: %d\r\n\r\n",
                                                SHOALD_API_MAX_BODY * 2);
  ShoalTestHttpAnswer *answers[] = {
    fetch (fixture, "GET", "/api/v1/echo", NULL, NULL),
    fetch (fixture, "POST", "/api/v1/echo", authorized, "{}"),
    fetch (fixture, "POST", "/api/v1/echo", authorized_csrf, "nope"),
    fetch_raw (fixture, too_large, strlen (too_large)),
    fetch (fixture, "GET", "/api/v1/nothing", authorized, NULL),
    fetch (fixture, "GET", "/api/v1/echo", authorized, NULL),
  };
  const guint expected_status[] = { 401, 403, 400, 413, 404, 200 };
  ShoaldApiServerStats stats;

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_assert_cmpuint (answers[i]->status, ==, expected_status[i]);
      shoal_test_http_answer_free (answers[i]);
    }
  get_stats (fixture, &stats);
  g_assert_cmpuint (stats.requests, ==, G_N_ELEMENTS (answers));
  g_assert_cmpuint (stats.unauthorized, ==, 1);
  g_assert_cmpuint (stats.csrf_refused, ==, 1);
  g_assert_cmpuint (stats.bad_bodies, ==, 1);
  g_assert_cmpuint (stats.too_large, ==, 1);
}

/* Stopping ----------------------------------------------------------------------------------- */

static gboolean
holds_request (gpointer data)
{
  return ((Fixture *) data)->held != NULL;
}

static void
test_stop_with_handler_pending (Fixture       *fixture,
                                gconstpointer  data)
{
  Call *call = call_start (fixture->port, "GET", "/api/v1/never", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) answer = NULL;
  g_autoptr(JsonNode) late = json_from_string ("{}", NULL);

  shoal_test_wait_until (holds_request, fixture, CALL_TIMEOUT_MS, "the handler");
  shoald_api_server_stop (fixture->server);
  answer = call_finish (call);
  assert_error (answer, 503, "unavailable");
  /* The handler answers after all, to a request whose connection is gone. */
  shoald_api_request_respond (fixture->held, 200, late);
  g_clear_pointer (&fixture->held, shoald_api_request_unref);
}

/* Waits without iterating the main context, so that the handler cannot
 * run meanwhile. */
static void
wait_for_requests (Fixture *fixture,
                   guint64  count)
{
  gint64 deadline = g_get_monotonic_time () + CALL_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  ShoaldApiServerStats stats;

  for (get_stats (fixture, &stats); stats.requests < count; get_stats (fixture, &stats))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (STATS_POLL_US);
    }
}

static void
test_stop_before_handler_ran (Fixture       *fixture,
                              gconstpointer  data)
{
  Call *call = call_start (fixture->port, "GET", "/api/v1/echo", authorized, NULL);
  g_autoptr(ShoalTestHttpAnswer) answer = NULL;

  wait_for_requests (fixture, 1);
  shoald_api_server_stop (fixture->server);
  answer = call_finish (call);
  assert_error (answer, 503, "unavailable");
  shoal_test_wait_ms (QUIET_MS);
  g_assert_cmpuint (fixture->handled, ==, 0);
}

static void
test_restart (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalTestHttpAnswer) answer = NULL;

  shoald_api_server_stop (fixture->server);
  g_assert_cmpuint (shoald_api_server_get_port (fixture->server), ==, 0);
  g_assert_true (shoald_api_server_start (fixture->server, LOOPBACK, 0, &error));
  g_assert_no_error (error);
  fixture->port = shoald_api_server_get_port (fixture->server);
  answer = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);
  assert_echo (answer, "GET");
}

/* Starting ------------------------------------------------------------------------------------- */

static void
test_start_bad_address (void)
{
  g_autoptr(ShoaldApiServer) server = shoald_api_server_new (TEST_TOKEN);
  g_autoptr(GError) error = NULL;

  g_assert_false (shoald_api_server_start (server, "not-an-address", 0, &error));
  g_assert_error (error, SHOALD_API_ERROR, SHOALD_API_ERROR_ADDRESS);
  g_assert_nonnull (strstr (error->message, "not-an-address"));
  g_assert_cmpuint (shoald_api_server_get_port (server), ==, 0);
}

static void
test_start_port_in_use (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(ShoaldApiServer) second = shoald_api_server_new (TEST_TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalTestHttpAnswer) answer = NULL;

  g_assert_false (shoald_api_server_start (second, LOOPBACK, fixture->port, &error));
  g_assert_error (error, SHOALD_API_ERROR, SHOALD_API_ERROR_START);
  g_assert_cmpuint (shoald_api_server_get_port (second), ==, 0);
  /* The first one serves on. */
  answer = fetch (fixture, "GET", "/api/v1/echo", authorized, NULL);
  assert_echo (answer, "GET");
}

static void
add_test (const char *path,
          void      (*test) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add_test ("/api-server/token/missing", test_no_token);
  add_test ("/api-server/token/wrong", test_wrong_token);
  add_test ("/api-server/token/right", test_right_token);
  add_test ("/api-server/csrf", test_csrf);
  add_test ("/api-server/body/parsed", test_body_parsed);
  add_test ("/api-server/body/not-json", test_body_not_json);
  add_test ("/api-server/body/too-large", test_body_too_large);
  add_test ("/api-server/body/chunked", test_chunked_body);
  add_test ("/api-server/route/not-found", test_not_found);
  add_test ("/api-server/route/method-not-allowed", test_method_not_allowed);
  add_test ("/api-server/route/params-and-query", test_params_and_query);
  add_test ("/api-server/route/no-query", test_no_query);
  add_test ("/api-server/answer/later", test_answer_later);
  add_test ("/api-server/answer/text", test_answer_text);
  add_test ("/api-server/answer/many-in-a-row", test_many_in_a_row);
  add_test ("/api-server/answer/many-at-once", test_many_at_once);
  add_test ("/api-server/stats", test_stats);
  add_test ("/api-server/stop/handler-pending", test_stop_with_handler_pending);
  add_test ("/api-server/stop/before-handler", test_stop_before_handler_ran);
  add_test ("/api-server/stop/restart", test_restart);
  add_test ("/api-server/start/port-in-use", test_start_port_in_use);
  g_test_add_func ("/api-server/start/bad-address", test_start_bad_address);
  return g_test_run ();
}
