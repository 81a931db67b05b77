/* shoal-test-api.h — the control API in-process for tests: a servent on
 * loopback with a data folder of its own, the API server over it with a
 * known token, and requests sent from a worker thread while the test's
 * thread runs the main context that serves them. */
#pragma once

#include "shoald-api.h"
#include "shoal-test-http.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The bearer token the server takes. */
#define SHOAL_TEST_API_TOKEN "5ea4c4e5a1b0c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabb"

/* The areas whose routes the server serves. */
typedef enum
{
  SHOAL_TEST_API_NETWORK  = 1 << 0,
  SHOAL_TEST_API_SEARCH   = 1 << 1,
  SHOAL_TEST_API_TRANSFER = 1 << 2,
  SHOAL_TEST_API_LIBRARY  = 1 << 3,
  SHOAL_TEST_API_SETTINGS = 1 << 4,
  SHOAL_TEST_API_METRICS  = 1 << 5,
  SHOAL_TEST_API_ALL      = (1 << 6) - 1,
} ShoalTestApiAreas;

typedef struct
{
  ShoalTestApiAreas areas;
  gboolean          without_library;  /* the servent shares nothing */
  gboolean          ultrapeer;        /* started as an ultrapeer, not in the default mode */
} ShoalTestApiOptions;

typedef struct
{
  char             *data_dir;     /* removed, with all in it, by _free() */
  char             *config_path;  /* DATA_DIR/config/shoal.conf: neither made yet */
  ShoaldConfig     *config;       /* the settings in effect */
  ShoalLibrary     *library;      /* NULL without a library */
  ShoalServent     *servent;
  ShoaldApiServer  *server;
  ShoaldApiContext *context;
} ShoalTestApi;

/* The servent started on 127.0.0.1, port 0, allowed private addresses,
 * dialling nothing by itself; its library, if any, indexed; the server
 * listening on 127.0.0.1 with @options->areas registered. */
ShoalTestApi        *shoal_test_api_new                  (const ShoalTestApiOptions *options);
void                 shoal_test_api_free                 (ShoalTestApi              *api);

/* Sends @method @path with exactly @headers ("Name: value" lines,
 * NULL-terminated; NULL: none) and @body (may be NULL); returns the
 * answer. */
ShoalTestHttpAnswer *shoal_test_api_request_with_headers (ShoalTestApi       *api,
                                                          const char         *method,
                                                          const char         *path,
                                                          const char * const *headers,
                                                          const char         *body);
/* The same as a client holding the token sends it: the Authorization and
 * CSRF headers, and a JSON Content-Type with a body. */
ShoalTestHttpAnswer *shoal_test_api_request              (ShoalTestApi *api,
                                                          const char   *method,
                                                          const char   *path,
                                                          const char   *body);
/* shoal_test_api_request() requiring @status; returns the JSON object
 * answered, or NULL for 204, which requires an empty body. */
JsonObject          *shoal_test_api_call                 (ShoalTestApi *api,
                                                          const char   *method,
                                                          const char   *path,
                                                          const char   *body,
                                                          guint         status);

/* Requires @answer to be an error answer with @code and a message. */
void                 shoal_test_api_assert_error         (JsonObject *answer,
                                                          const char *code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalTestApi, shoal_test_api_free)

G_END_DECLS
