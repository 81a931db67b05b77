/* shoald-api-server.c — the control API's HTTP side: libmicrohttpd's
 * thread checks and reads each request, then hands it to its handler on
 * the main context and waits, suspended, for the answer. */
#include "shoald-api-server.h"

#include <microhttpd.h>
#include <string.h>

#define CONTENT_TYPE_JSON "application/json"
#define CACHE_CONTROL_VALUE "no-store"
#define AUTH_CHALLENGE "Bearer"
/* How long stop() gives the 503s to requests still waiting for their
 * handler to reach the clients before the connections are cut. */
#define STOP_GRACE_MS 1000
/* A body that turns out too large only while it arrives (chunked) is
 * read and dropped up to this much more so that its sender gets a 413;
 * past it the connection is cut. */
#define MAX_DISCARDED_BODY (4 * SHOALD_API_MAX_BODY)

G_DEFINE_QUARK (shoald-api-error-quark, shoald_api_error)

typedef struct
{
  char              *method;
  char             **segments;   /* the pattern split on '/' */
  ShoaldApiHandler   handler;
  gpointer           user_data;
} Route;

/* What libmicrohttpd's thread and the main thread share. Requests keep
 * it alive: one may be answered after its server is gone. */
typedef struct
{
  gatomicrefcount       ref_count;
  GMutex                mutex;       /* guards everything below but token */
  GCond                 settled;     /* in_flight went down */
  char                 *token;
  GPtrArray            *routes;      /* of Route* */
  GMainContext         *context;     /* handlers run here; NULL when stopped */
  GHashTable           *waiting;     /* ShoaldApiRequest*: suspended for a handler */
  guint                 in_flight;   /* handed to a handler, not completed yet */
  gboolean              stopping;
  ShoaldApiServerStats  stats;
  char                 *last_log;    /* libmicrohttpd's latest complaint */
} Hub;

typedef enum
{
  PHASE_NEW,          /* only the request line is known */
  PHASE_RECEIVING,    /* accepted, the body arrives */
  PHASE_WAITING,      /* with its handler */
  PHASE_DONE,         /* an answer is queued */
} RequestPhase;

struct _ShoaldApiRequest
{
  gatomicrefcount         ref_count;
  Hub                    *hub;
  RequestPhase            phase;       /* libmicrohttpd's thread only */
  char                   *target;      /* as the request line had it */
  char                   *method;
  char                   *path;        /* decoded */
  GHashTable             *params;      /* name -> decoded segment */
  GHashTable             *query;       /* name -> decoded value */
  GByteArray             *upload;
  gsize                   discarded;   /* bytes of a too large body dropped */
  JsonNode               *body;
  ShoaldApiHandler        handler;
  gpointer                handler_data;

  /* Under hub->mutex: */
  struct MHD_Connection  *connection;  /* NULL once the request is over */
  gboolean                suspended;
  gboolean                in_flight;
  GSource                *dispatch;    /* the idle that will run the handler */
  gboolean                answered;
  gboolean                answered_by_server;
  guint                   status;
  struct MHD_Response    *response;    /* to queue once resumed */
};

struct _ShoaldApiServer
{
  GObject             parent_instance;

  Hub                *hub;
  struct MHD_Daemon  *daemon;    /* NULL when stopped */
  guint16             port;
};

G_DEFINE_FINAL_TYPE (ShoaldApiServer, shoald_api_server, G_TYPE_OBJECT)

/* Routes and the shared state --------------------------------------------- */

static void
route_free (gpointer pointer)
{
  Route *route = pointer;

  g_free (route->method);
  g_strfreev (route->segments);
  g_free (route);
}

static Hub *
hub_new (const char *token)
{
  Hub *hub = g_new0 (Hub, 1);

  g_atomic_ref_count_init (&hub->ref_count);
  g_mutex_init (&hub->mutex);
  g_cond_init (&hub->settled);
  hub->token = g_strdup (token);
  hub->routes = g_ptr_array_new_with_free_func (route_free);
  hub->waiting = g_hash_table_new (NULL, NULL);
  return hub;
}

static Hub *
hub_ref (Hub *hub)
{
  g_atomic_ref_count_inc (&hub->ref_count);
  return hub;
}

static void
hub_unref (Hub *hub)
{
  if (!g_atomic_ref_count_dec (&hub->ref_count))
    return;
  g_mutex_clear (&hub->mutex);
  g_cond_clear (&hub->settled);
  g_free (hub->token);
  g_ptr_array_unref (hub->routes);
  g_clear_pointer (&hub->context, g_main_context_unref);
  g_hash_table_unref (hub->waiting);
  g_free (hub->last_log);
  g_free (hub);
}

/* Requests ------------------------------------------------------------------ */

static ShoaldApiRequest *
request_new (Hub                   *hub,
             struct MHD_Connection *connection,
             const char            *target)
{
  ShoaldApiRequest *request = g_new0 (ShoaldApiRequest, 1);

  g_atomic_ref_count_init (&request->ref_count);
  request->hub = hub_ref (hub);
  request->connection = connection;
  request->target = g_strdup (target != NULL ? target : "");
  request->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  request->upload = g_byte_array_new ();
  return request;
}

ShoaldApiRequest *
shoald_api_request_ref (ShoaldApiRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  g_atomic_ref_count_inc (&request->ref_count);
  return request;
}

void
shoald_api_request_unref (ShoaldApiRequest *request)
{
  g_return_if_fail (request != NULL);
  if (!g_atomic_ref_count_dec (&request->ref_count))
    return;
  /* An answer stored but never queued: the connection was cut first. */
  g_clear_pointer (&request->response, MHD_destroy_response);
  g_free (request->target);
  g_free (request->method);
  g_free (request->path);
  g_hash_table_unref (request->params);
  g_clear_pointer (&request->query, g_hash_table_unref);
  g_clear_pointer (&request->upload, g_byte_array_unref);
  g_clear_pointer (&request->body, json_node_unref);
  hub_unref (request->hub);
  g_free (request);
}

const char *
shoald_api_request_get_method (ShoaldApiRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return request->method;
}

const char *
shoald_api_request_get_path (ShoaldApiRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return request->path;
}

const char *
shoald_api_request_get_param (ShoaldApiRequest *request,
                              const char       *name)
{
  g_return_val_if_fail (request != NULL && name != NULL, NULL);
  return g_hash_table_lookup (request->params, name);
}

const char *
shoald_api_request_get_query (ShoaldApiRequest *request,
                              const char       *name)
{
  g_return_val_if_fail (request != NULL && name != NULL, NULL);
  if (request->query == NULL)
    return NULL;
  return g_hash_table_lookup (request->query, name);
}

JsonNode *
shoald_api_request_get_body (ShoaldApiRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return request->body;
}

/* Responses ------------------------------------------------------------------ */

/* Takes @text (NULL: no body). Nothing the API says is to be cached. */
static struct MHD_Response *
response_new (const char *content_type,
              char       *text,
              gsize       length)
{
  struct MHD_Response *response;

  if (text == NULL)
    {
      response = MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
    }
  else
    {
      response = MHD_create_response_from_buffer_with_free_callback (length, text, g_free);
      MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    }
  MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_CONTROL_VALUE);
  return response;
}

static struct MHD_Response *
json_response_new (JsonNode *body)
{
  g_autoptr(JsonGenerator) generator = NULL;
  char *text;
  gsize length;

  if (body == NULL)
    return response_new (NULL, NULL, 0);
  generator = json_generator_new ();
  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &length);
  return response_new (CONTENT_TYPE_JSON, text, length);
}

static struct MHD_Response *
error_response_new (const char *code,
                    const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_response_new (root);
}

/* Stores @response for the request's connection and wakes it up; the
 * connection queues it from libmicrohttpd's thread. Called with the
 * hub's mutex held. */
static void
answer_locked (ShoaldApiRequest    *request,
               guint                status,
               struct MHD_Response *response,
               gboolean             by_server)
{
  if (request->answered)
    {
      MHD_destroy_response (response);
      /* The server answers what it stops; the handler may still answer. */
      if (!request->answered_by_server)
        g_critical ("%s %s answered twice", request->method, request->path);
      return;
    }
  request->answered = TRUE;
  request->answered_by_server = by_server;
  request->status = status;
  request->response = response;
  if (request->suspended)
    {
      request->suspended = FALSE;
      g_hash_table_remove (request->hub->waiting, request);
      MHD_resume_connection (request->connection);
    }
}

static void
answer (ShoaldApiRequest    *request,
        guint                status,
        struct MHD_Response *response)
{
  g_mutex_lock (&request->hub->mutex);
  answer_locked (request, status, response, FALSE);
  g_mutex_unlock (&request->hub->mutex);
}

void
shoald_api_request_respond (ShoaldApiRequest *request,
                            guint             status,
                            JsonNode         *body)
{
  g_return_if_fail (request != NULL);
  answer (request, status, json_response_new (body));
}

void
shoald_api_request_respond_text (ShoaldApiRequest *request,
                                 guint             status,
                                 const char       *content_type,
                                 const char       *text)
{
  g_return_if_fail (request != NULL && content_type != NULL && text != NULL);
  answer (request, status, response_new (content_type, g_strdup (text), strlen (text)));
}

void
shoald_api_request_respond_error (ShoaldApiRequest *request,
                                  guint             status,
                                  const char       *code,
                                  const char       *format,
                                  ...)
{
  g_autofree char *message = NULL;
  va_list args;

  g_return_if_fail (request != NULL && code != NULL && format != NULL);
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  answer (request, status, error_response_new (code, message));
}

/* Refusals, from libmicrohttpd's thread -------------------------------------- */

typedef enum
{
  COUNT_NONE,
  COUNT_UNAUTHORIZED,
  COUNT_CSRF,
  COUNT_BAD_BODY,
  COUNT_TOO_LARGE,
} RefusalCount;

static void
count_refusal (Hub          *hub,
               RefusalCount  count)
{
  g_mutex_lock (&hub->mutex);
  hub->stats.requests++;
  switch (count)
    {
    case COUNT_UNAUTHORIZED:
      hub->stats.unauthorized++;
      break;
    case COUNT_CSRF:
      hub->stats.csrf_refused++;
      break;
    case COUNT_BAD_BODY:
      hub->stats.bad_bodies++;
      break;
    case COUNT_TOO_LARGE:
      hub->stats.too_large++;
      break;
    case COUNT_NONE:
      break;
    }
  g_mutex_unlock (&hub->mutex);
}

/* Answers at once with an error; @header_name (may be NULL) is added
 * with @header_value. */
static enum MHD_Result
refuse_with_header (ShoaldApiRequest      *request,
                    struct MHD_Connection *connection,
                    guint                  status,
                    const char            *code,
                    const char            *message,
                    RefusalCount           count,
                    const char            *header_name,
                    const char            *header_value)
{
  struct MHD_Response *response = error_response_new (code, message);
  enum MHD_Result queued;

  g_debug ("%s %s refused: %u %s", request->method, request->target, status, message);
  count_refusal (request->hub, count);
  if (header_name != NULL)
    MHD_add_response_header (response, header_name, header_value);
  request->phase = PHASE_DONE;
  queued = MHD_queue_response (connection, status, response);
  MHD_destroy_response (response);
  return queued;
}

static enum MHD_Result
refuse (ShoaldApiRequest      *request,
        struct MHD_Connection *connection,
        guint                  status,
        const char            *code,
        const char            *message,
        RefusalCount           count)
{
  return refuse_with_header (request, connection, status, code, message, count, NULL, NULL);
}

static enum MHD_Result
refuse_too_large (ShoaldApiRequest      *request,
                  struct MHD_Connection *connection)
{
  g_autofree char *message = g_strdup_printf ("The body is over %d bytes", SHOALD_API_MAX_BODY);

  return refuse (request, connection, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", message,
                 COUNT_TOO_LARGE);
}

/* Checks on the headers -------------------------------------------------------- */

/* Takes as long for every token of the right length, wherever the first
 * difference is, so that timing does not reveal a prefix. */
static gboolean
token_matches (const char *expected,
               const char *given)
{
  gsize expected_length = strlen (expected);
  gsize given_length = strlen (given);
  guint8 difference = expected_length != given_length;

  for (gsize i = 0; i < expected_length; i++)
    difference |= (guint8) (expected[i] ^ (i < given_length ? given[i] : 0));
  return difference == 0;
}

static gboolean
is_authorized (Hub                   *hub,
               struct MHD_Connection *connection)
{
  const char *authorization = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                           MHD_HTTP_HEADER_AUTHORIZATION);
  gsize scheme_length = strlen (SHOALD_API_AUTH_SCHEME);

  if (authorization == NULL ||
      g_ascii_strncasecmp (authorization, SHOALD_API_AUTH_SCHEME, scheme_length) != 0)
    return FALSE;
  return token_matches (hub->token, authorization + scheme_length);
}

/* The methods a cross-site form or script could send with side effects. */
static gboolean
method_changes_state (const char *method)
{
  return g_str_equal (method, MHD_HTTP_METHOD_POST) ||
         g_str_equal (method, MHD_HTTP_METHOD_PUT) ||
         g_str_equal (method, MHD_HTTP_METHOD_PATCH) ||
         g_str_equal (method, MHD_HTTP_METHOD_DELETE);
}

static gboolean
declares_too_large_body (struct MHD_Connection *connection)
{
  const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_LENGTH);
  guint64 value;

  return length != NULL &&
         g_ascii_string_to_unsigned (length, 10, 0, G_MAXUINT64, &value, NULL) &&
         value > SHOALD_API_MAX_BODY;
}

/* Splits the request target into the decoded path and query. */
static gboolean
decode_target (ShoaldApiRequest  *request,
               GError           **error)
{
  const char *question = strchr (request->target, '?');
  g_autofree char *raw_path = g_strndup (request->target,
                                         question != NULL ? (gsize) (question - request->target)
                                                          : strlen (request->target));

  request->path = g_uri_unescape_string (raw_path, NULL);
  if (request->path == NULL || request->path[0] != '/')
    {
      g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_PATH, "Malformed path");
      return FALSE;
    }
  if (question == NULL || question[1] == '\0')
    return TRUE;
  request->query = g_uri_parse_params (question + 1, -1, "&", G_URI_PARAMS_WWW_FORM, error);
  return request->query != NULL;
}

/* Route matching --------------------------------------------------------------- */

static gboolean
is_param (const char *segment)
{
  gsize length = strlen (segment);

  return length > 2 && segment[0] == '{' && segment[length - 1] == '}';
}

/* Decoded segment by segment, so that an escaped '/' stays in its
 * segment. NULL when a segment does not decode. */
static GStrv
split_path (const char *target)
{
  gsize path_length = strcspn (target, "?");
  g_autofree char *raw_path = g_strndup (target, path_length);
  g_auto(GStrv) segments = g_strsplit (raw_path, "/", -1);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      char *decoded = g_uri_unescape_string (segments[i], NULL);

      if (decoded == NULL)
        return NULL;
      g_free (segments[i]);
      segments[i] = decoded;
    }
  return g_steal_pointer (&segments);
}

static gboolean
route_fits_path (const Route        *route,
                 const char * const *segments)
{
  if (g_strv_length (route->segments) != g_strv_length ((GStrv) segments))
    return FALSE;
  for (guint i = 0; segments[i] != NULL; i++)
    {
      if (is_param (route->segments[i]) ? segments[i][0] == '\0'
                                        : !g_str_equal (route->segments[i], segments[i]))
        return FALSE;
    }
  return TRUE;
}

static void
take_params (ShoaldApiRequest   *request,
             const Route        *route,
             const char * const *segments)
{
  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *pattern = route->segments[i];

      if (is_param (pattern))
        g_hash_table_insert (request->params,
                             g_strndup (pattern + 1, strlen (pattern) - 2),
                             g_strdup (segments[i]));
    }
}

static gboolean
methods_contain (GPtrArray  *methods,
                         const char *method)
{
  return g_ptr_array_find_with_equal_func (methods, method, g_str_equal, NULL);
}

/* Finds the request's route and takes its params; when there is none,
 * @allowed gets the methods the path has (empty: unknown path), as the
 * routes own them. */
static gboolean
match_route (ShoaldApiRequest *request,
             GPtrArray        *allowed)
{
  Hub *hub = request->hub;
  g_auto(GStrv) segments = split_path (request->target);
  gboolean found = FALSE;

  g_mutex_lock (&hub->mutex);
  for (guint i = 0; segments != NULL && i < hub->routes->len && !found; i++)
    {
      const Route *route = g_ptr_array_index (hub->routes, i);

      if (!route_fits_path (route, (const char * const *) segments))
        continue;
      if (g_str_equal (route->method, request->method))
        {
          take_params (request, route, (const char * const *) segments);
          request->handler = route->handler;
          request->handler_data = route->user_data;
          found = TRUE;
        }
      else if (!methods_contain (allowed, route->method))
        g_ptr_array_add (allowed, route->method);
    }
  g_mutex_unlock (&hub->mutex);
  return found;
}

/* The request's life in libmicrohttpd's thread ---------------------------------- */

static void *
on_request_line (void                  *cls,
                 const char            *target,
                 struct MHD_Connection *connection)
{
  return request_new (cls, connection, target);
}

static enum MHD_Result
begin_request (ShoaldApiRequest      *request,
               struct MHD_Connection *connection,
               const char            *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();

  request->method = g_strdup (method);
  if (!is_authorized (request->hub, connection))
    return refuse_with_header (request, connection, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                               "Missing or wrong bearer token", COUNT_UNAUTHORIZED,
                               MHD_HTTP_HEADER_WWW_AUTHENTICATE, AUTH_CHALLENGE);
  if (method_changes_state (method) &&
      MHD_lookup_connection_value (connection, MHD_HEADER_KIND, SHOALD_API_CSRF_HEADER) == NULL)
    return refuse (request, connection, MHD_HTTP_FORBIDDEN, "csrf",
                   "Missing the " SHOALD_API_CSRF_HEADER " header", COUNT_CSRF);
  if (declares_too_large_body (connection))
    return refuse_too_large (request, connection);
  if (!decode_target (request, &error))
    return refuse (request, connection, MHD_HTTP_BAD_REQUEST, "bad_request",
                   error->message, COUNT_NONE);
  if (!match_route (request, allowed))
    {
      g_autofree char *message = g_strdup_printf ("No %s %s", method, request->path);
      g_autofree char *allow = NULL;

      if (allowed->len == 0)
        return refuse (request, connection, MHD_HTTP_NOT_FOUND, "not_found", message, COUNT_NONE);
      g_ptr_array_add (allowed, NULL);
      allow = g_strjoinv (", ", (char **) allowed->pdata);
      return refuse_with_header (request, connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                                 "method_not_allowed", message, COUNT_NONE,
                                 MHD_HTTP_HEADER_ALLOW, allow);
    }
  request->phase = PHASE_RECEIVING;
  return MHD_YES;
}

static enum MHD_Result
take_upload (ShoaldApiRequest *request,
             const char       *data,
             gsize             length)
{
  if (request->upload != NULL && request->upload->len + length <= SHOALD_API_MAX_BODY)
    {
      g_byte_array_append (request->upload, (const guint8 *) data, length);
      return MHD_YES;
    }
  /* libmicrohttpd takes no answer while a body arrives: drop the rest,
   * and answer 413 at its end. */
  g_clear_pointer (&request->upload, g_byte_array_unref);
  request->discarded += length;
  return request->discarded <= MAX_DISCARDED_BODY ? MHD_YES : MHD_NO;
}

static gboolean
parse_body (ShoaldApiRequest  *request,
            GError           **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (request->upload->len == 0)
    return TRUE;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) request->upload->data,
                                   request->upload->len, error))
    return FALSE;
  root = json_parser_steal_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   "The body must be a JSON object");
      return FALSE;
    }
  request->body = g_steal_pointer (&root);
  return TRUE;
}

static gboolean
run_handler (gpointer data)
{
  ShoaldApiRequest *request = data;
  gboolean answered;

  g_mutex_lock (&request->hub->mutex);
  g_clear_pointer (&request->dispatch, g_source_unref);
  answered = request->answered;
  g_mutex_unlock (&request->hub->mutex);
  if (!answered)
    request->handler (request, request->handler_data);
  return G_SOURCE_REMOVE;
}

/* Suspends the connection and has the handler run on the main context
 * (an idle rather than g_main_context_invoke(): that would run it here,
 * in libmicrohttpd's thread, should this thread own the context). */
static enum MHD_Result
dispatch (ShoaldApiRequest      *request,
          struct MHD_Connection *connection)
{
  Hub *hub = request->hub;

  g_mutex_lock (&hub->mutex);
  if (hub->stopping || hub->context == NULL)
    {
      g_mutex_unlock (&hub->mutex);
      return refuse (request, connection, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                     "The API is stopping", COUNT_NONE);
    }
  hub->stats.requests++;
  hub->in_flight++;
  request->in_flight = TRUE;
  request->phase = PHASE_WAITING;
  request->suspended = TRUE;
  MHD_suspend_connection (connection);
  g_hash_table_add (hub->waiting, request);
  request->dispatch = g_idle_source_new ();
  g_source_set_static_name (request->dispatch, "[shoald] API handler");
  g_source_set_callback (request->dispatch, run_handler, shoald_api_request_ref (request),
                         (GDestroyNotify) shoald_api_request_unref);
  g_source_attach (request->dispatch, hub->context);
  g_mutex_unlock (&hub->mutex);
  return MHD_YES;
}

static enum MHD_Result
end_upload (ShoaldApiRequest      *request,
            struct MHD_Connection *connection)
{
  g_autoptr(GError) error = NULL;

  if (request->upload == NULL)
    return refuse_too_large (request, connection);
  if (!parse_body (request, &error))
    return refuse (request, connection, MHD_HTTP_BAD_REQUEST, "bad_request", error->message,
                   COUNT_BAD_BODY);
  g_clear_pointer (&request->upload, g_byte_array_unref);
  return dispatch (request, connection);
}

/* Back from suspension: queues what the handler (or stop) answered. */
static enum MHD_Result
queue_answer (ShoaldApiRequest      *request,
              struct MHD_Connection *connection)
{
  struct MHD_Response *response;
  guint status;
  enum MHD_Result queued;

  g_mutex_lock (&request->hub->mutex);
  response = g_steal_pointer (&request->response);
  status = request->status;
  g_mutex_unlock (&request->hub->mutex);
  if (response == NULL)
    return MHD_YES;
  request->phase = PHASE_DONE;
  queued = MHD_queue_response (connection, status, response);
  MHD_destroy_response (response);
  return queued;
}

static enum MHD_Result
on_access (void                   *cls,
           struct MHD_Connection  *connection,
           const char             *url,
           const char             *method,
           const char             *version,
           const char             *upload_data,
           size_t                 *upload_data_size,
           void                  **con_cls)
{
  ShoaldApiRequest *request = *con_cls;
  gsize length = *upload_data_size;

  g_return_val_if_fail (request != NULL, MHD_NO);
  *upload_data_size = 0;
  switch (request->phase)
    {
    case PHASE_NEW:
      return begin_request (request, connection, method);
    case PHASE_RECEIVING:
      if (length > 0)
        return take_upload (request, upload_data, length);
      return end_upload (request, connection);
    case PHASE_WAITING:
      return queue_answer (request, connection);
    case PHASE_DONE:
      break;
    }
  return MHD_YES;
}

static void
on_completed (void                            *cls,
              struct MHD_Connection           *connection,
              void                           **con_cls,
              enum MHD_RequestTerminationCode  termination)
{
  Hub *hub = cls;
  ShoaldApiRequest *request = g_steal_pointer (con_cls);

  if (request == NULL)
    return;
  g_mutex_lock (&hub->mutex);
  request->connection = NULL;
  if (request->in_flight)
    {
      request->in_flight = FALSE;
      hub->in_flight--;
      g_cond_broadcast (&hub->settled);
    }
  g_mutex_unlock (&hub->mutex);
  shoald_api_request_unref (request);
}

static void on_library_log (void       *cls,
                            const char *format,
                            va_list     args) G_GNUC_PRINTF (2, 0);

static void
on_library_log (void       *cls,
                const char *format,
                va_list     args)
{
  Hub *hub = cls;
  g_autofree char *message = g_strchomp (g_strdup_vprintf (format, args));

  g_debug ("libmicrohttpd: %s", message);
  g_mutex_lock (&hub->mutex);
  g_free (hub->last_log);
  hub->last_log = g_steal_pointer (&message);
  g_mutex_unlock (&hub->mutex);
}

/* Stopping ------------------------------------------------------------------------ */

/* libmicrohttpd must not be stopped with a connection suspended: each
 * one still with its handler is answered now. Their idles go too, or the
 * handlers would run for a server that is gone. */
static void
answer_waiting (Hub *hub)
{
  g_autoptr(GPtrArray) dispatches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  GList *waiting;

  g_mutex_lock (&hub->mutex);
  hub->stopping = TRUE;
  waiting = g_hash_table_get_keys (hub->waiting);
  for (GList *link = waiting; link != NULL; link = link->next)
    {
      ShoaldApiRequest *request = link->data;

      if (request->dispatch != NULL)
        {
          g_source_destroy (request->dispatch);
          g_ptr_array_add (dispatches, g_steal_pointer (&request->dispatch));
        }
      answer_locked (request, MHD_HTTP_SERVICE_UNAVAILABLE,
                     error_response_new ("unavailable", "The API is stopping"), TRUE);
    }
  g_list_free (waiting);
  g_mutex_unlock (&hub->mutex);
}

/* Lets the answers reach their clients, for a while. */
static void
wait_in_flight (Hub *hub)
{
  gint64 deadline = g_get_monotonic_time () + STOP_GRACE_MS * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&hub->mutex);
  while (hub->in_flight > 0)
    if (!g_cond_wait_until (&hub->settled, &hub->mutex, deadline))
      break;
  g_mutex_unlock (&hub->mutex);
}

/* The object ----------------------------------------------------------------------- */

static void
shoald_api_server_dispose (GObject *object)
{
  shoald_api_server_stop (SHOALD_API_SERVER (object));
  G_OBJECT_CLASS (shoald_api_server_parent_class)->dispose (object);
}

static void
shoald_api_server_finalize (GObject *object)
{
  ShoaldApiServer *self = SHOALD_API_SERVER (object);

  hub_unref (self->hub);
  G_OBJECT_CLASS (shoald_api_server_parent_class)->finalize (object);
}

static void
shoald_api_server_class_init (ShoaldApiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoald_api_server_dispose;
  object_class->finalize = shoald_api_server_finalize;
}

static void
shoald_api_server_init (ShoaldApiServer *self)
{
}

ShoaldApiServer *
shoald_api_server_new (const char *token)
{
  ShoaldApiServer *self;

  g_return_val_if_fail (token != NULL && token[0] != '\0', NULL);
  self = g_object_new (SHOALD_TYPE_API_SERVER, NULL);
  self->hub = hub_new (token);
  return self;
}

void
shoald_api_server_add_route (ShoaldApiServer  *self,
                             const char       *method,
                             const char       *pattern,
                             ShoaldApiHandler  handler,
                             gpointer          user_data)
{
  Route *route;

  g_return_if_fail (SHOALD_IS_API_SERVER (self));
  g_return_if_fail (method != NULL && pattern != NULL && pattern[0] == '/' && handler != NULL);
  route = g_new0 (Route, 1);
  route->method = g_strdup (method);
  route->segments = g_strsplit (pattern, "/", -1);
  route->handler = handler;
  route->user_data = user_data;
  g_mutex_lock (&self->hub->mutex);
  g_ptr_array_add (self->hub->routes, route);
  g_mutex_unlock (&self->hub->mutex);
}

GStrv
shoald_api_server_list_routes (ShoaldApiServer *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (SHOALD_IS_API_SERVER (self), NULL);
  g_mutex_lock (&self->hub->mutex);
  for (guint i = 0; i < self->hub->routes->len; i++)
    {
      Route *route = g_ptr_array_index (self->hub->routes, i);
      g_autofree char *pattern = g_strjoinv ("/", route->segments);
      g_autofree char *line = g_strdup_printf ("%s %s", route->method, pattern);

      g_strv_builder_add (builder, line);
    }
  g_mutex_unlock (&self->hub->mutex);
  return g_strv_builder_end (builder);
}

static gboolean
to_native_address (const char              *address,
                   guint16                  port,
                   struct sockaddr_storage *native,
                   GError                 **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) socket_address = NULL;

  if (inet == NULL)
    {
      g_set_error (error, SHOALD_API_ERROR, SHOALD_API_ERROR_ADDRESS,
                   "The API address “%s” is not an IP address", address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, port);
  if (!g_socket_address_to_native (socket_address, native, sizeof *native, NULL))
    {
      g_set_error (error, SHOALD_API_ERROR, SHOALD_API_ERROR_ADDRESS,
                   "The API address “%s” cannot be bound", address);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoald_api_server_start (ShoaldApiServer  *self,
                         const char       *address,
                         guint16           port,
                         GError          **error)
{
  Hub *hub;
  struct sockaddr_storage native = { 0 };
  unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                       MHD_USE_ITC | MHD_USE_ERROR_LOG;
  const union MHD_DaemonInfo *info;

  g_return_val_if_fail (SHOALD_IS_API_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (self->daemon == NULL, FALSE);
  hub = self->hub;
  if (!to_native_address (address, port, &native, error))
    return FALSE;
  if (native.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;

  g_mutex_lock (&hub->mutex);
  hub->stopping = FALSE;
  hub->context = g_main_context_ref_thread_default ();
  g_clear_pointer (&hub->last_log, g_free);
  g_mutex_unlock (&hub->mutex);
  /* The logger first, or the options' own complaints go to stderr. */
  self->daemon = MHD_start_daemon (flags, port, NULL, NULL, on_access, hub,
                                   MHD_OPTION_EXTERNAL_LOGGER, on_library_log, hub,
                                   MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &native,
                                   MHD_OPTION_URI_LOG_CALLBACK, on_request_line, hub,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, hub,
                                   MHD_OPTION_CONNECTION_LIMIT,
                                   (unsigned int) SHOALD_API_MAX_CONNECTIONS,
                                   MHD_OPTION_CONNECTION_TIMEOUT,
                                   (unsigned int) SHOALD_API_CONNECTION_TIMEOUT_S,
                                   MHD_OPTION_END);
  if (self->daemon == NULL)
    {
      g_mutex_lock (&hub->mutex);
      g_clear_pointer (&hub->context, g_main_context_unref);
      g_set_error (error, SHOALD_API_ERROR, SHOALD_API_ERROR_START,
                   "Could not serve the API on %s port %u: %s", address, port,
                   hub->last_log != NULL ? hub->last_log : "libmicrohttpd refused");
      g_mutex_unlock (&hub->mutex);
      return FALSE;
    }
  info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
  self->port = info != NULL ? info->port : port;
  return TRUE;
}

guint16
shoald_api_server_get_port (ShoaldApiServer *self)
{
  g_return_val_if_fail (SHOALD_IS_API_SERVER (self), 0);
  return self->port;
}

void
shoald_api_server_stop (ShoaldApiServer *self)
{
  g_return_if_fail (SHOALD_IS_API_SERVER (self));
  if (self->daemon == NULL)
    return;
  answer_waiting (self->hub);
  wait_in_flight (self->hub);
  g_clear_pointer (&self->daemon, MHD_stop_daemon);
  self->port = 0;
  g_mutex_lock (&self->hub->mutex);
  g_clear_pointer (&self->hub->context, g_main_context_unref);
  g_mutex_unlock (&self->hub->mutex);
}

void
shoald_api_server_get_stats (ShoaldApiServer      *self,
                             ShoaldApiServerStats *stats)
{
  g_return_if_fail (SHOALD_IS_API_SERVER (self) && stats != NULL);
  g_mutex_lock (&self->hub->mutex);
  *stats = self->hub->stats;
  g_mutex_unlock (&self->hub->mutex);
}
