/* shoald-api-server.h — the control API's HTTP side: libmicrohttpd on a
 * loopback address, the bearer token and CSRF header checks, request
 * bodies parsed as JSON, and requests dispatched to handlers on the main
 * context by method and path. The handlers (shoald-api-*.c) only see a
 * ShoaldApiRequest and answer it, now or later. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Every request names the token so: "Authorization: Bearer <token>". */
#define SHOALD_API_AUTH_SCHEME "Bearer "
/* POST, PUT, PATCH and DELETE must also carry this header (any value): a
 * web page in the user's browser cannot add it to a cross-site request
 * without a CORS preflight, which we never answer. */
#define SHOALD_API_CSRF_HEADER "X-Shoal-Request"
/* Bodies larger than this are refused with 413. */
#define SHOALD_API_MAX_BODY (64 * 1024)
/* Connections open at once; API clients are a few scripts and a GUI. */
#define SHOALD_API_MAX_CONNECTIONS 32
/* An idle connection is closed after this long. */
#define SHOALD_API_CONNECTION_TIMEOUT_S 30

#define SHOALD_API_ERROR (shoald_api_error_quark ())
typedef enum
{
  SHOALD_API_ERROR_ADDRESS,   /* not an IP address */
  SHOALD_API_ERROR_START,     /* libmicrohttpd refused (port in use...) */
} ShoaldApiError;
GQuark shoald_api_error_quark (void);

typedef struct _ShoaldApiRequest ShoaldApiRequest;

/* Runs on the server's main context, in the thread that started it.
 * Must answer @request once with one of the shoald_api_request_respond*
 * calls, before returning or later (keeping a reference meanwhile). */
typedef void (*ShoaldApiHandler) (ShoaldApiRequest *request,
                                  gpointer          user_data);

ShoaldApiRequest *shoald_api_request_ref        (ShoaldApiRequest *request);
void              shoald_api_request_unref      (ShoaldApiRequest *request);

/* "GET", "POST"... */
const char       *shoald_api_request_get_method (ShoaldApiRequest *request);
/* The path, decoded, without the query: "/api/v1/links/12". */
const char       *shoald_api_request_get_path   (ShoaldApiRequest *request);
/* A "{name}" segment of the route's pattern, as the path had it. */
const char       *shoald_api_request_get_param  (ShoaldApiRequest *request,
                                                 const char       *name);
/* A query argument ("?offset=10"), decoded; NULL when absent. */
const char       *shoald_api_request_get_query  (ShoaldApiRequest *request,
                                                 const char       *name);
/* The body parsed as JSON; NULL when the request had none. A body that is
 * not JSON never reaches a handler (400). */
JsonNode         *shoald_api_request_get_body   (ShoaldApiRequest *request);

/* Answers with @body (NULL: no body) as application/json. @body stays
 * the caller's: it is serialized at once. */
void              shoald_api_request_respond    (ShoaldApiRequest *request,
                                                 guint             status,
                                                 JsonNode         *body);
/* Answers with text of the given type (metrics). */
void              shoald_api_request_respond_text (ShoaldApiRequest *request,
                                                   guint             status,
                                                   const char       *content_type,
                                                   const char       *text);
/* {"error": {"code": @code, "message": "..."}}, @code a short stable word
 * for scripts ("not_found", "bad_request", "conflict"...). */
void              shoald_api_request_respond_error (ShoaldApiRequest *request,
                                                    guint             status,
                                                    const char       *code,
                                                    const char       *format,
                                                    ...) G_GNUC_PRINTF (4, 5);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoaldApiRequest, shoald_api_request_unref)

#define SHOALD_TYPE_API_SERVER (shoald_api_server_get_type ())
G_DECLARE_FINAL_TYPE (ShoaldApiServer, shoald_api_server, SHOALD, API_SERVER, GObject)

/* @token: what requests must present. */
ShoaldApiServer  *shoald_api_server_new         (const char *token);

/* @pattern: a path whose segments are literal or "{name}":
 * "/api/v1/links/{id}". An unknown path gets 404, a known path with
 * another method 405. */
void              shoald_api_server_add_route   (ShoaldApiServer  *self,
                                                 const char       *method,
                                                 const char       *pattern,
                                                 ShoaldApiHandler  handler,
                                                 gpointer          user_data);

/* "GET /api/v1/links/{id}"...: every route, in the order added. */
GStrv             shoald_api_server_list_routes (ShoaldApiServer  *self);

/* Listens on @address ("127.0.0.1", "::1"...) and @port (0 picks one).
 * Handlers run on the thread-default main context of the caller. */
gboolean          shoald_api_server_start       (ShoaldApiServer  *self,
                                                 const char       *address,
                                                 guint16           port,
                                                 GError          **error);
/* The port listened on, 0 when stopped. */
guint16           shoald_api_server_get_port    (ShoaldApiServer  *self);
/* Stops listening; requests still waiting for a handler get 503. */
void              shoald_api_server_stop        (ShoaldApiServer  *self);

/* Requests refused, by reason (for the tests and /metrics). */
typedef struct
{
  guint64 requests;       /* every request that reached a handler or a refusal */
  guint64 unauthorized;   /* 401 */
  guint64 csrf_refused;   /* 403 */
  guint64 bad_bodies;     /* 400: not JSON */
  guint64 too_large;      /* 413 */
} ShoaldApiServerStats;

void              shoald_api_server_get_stats   (ShoaldApiServer      *self,
                                                 ShoaldApiServerStats *stats);

G_END_DECLS
