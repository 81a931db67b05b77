/* shoal-test-http.h — a blocking HTTP/1.1 client for tests: one request
 * per connection ("Connection: close"), any method, headers and body,
 * and the whole answer back. Enough to poke the control API with what a
 * well-behaved client sends and with what a hostile one does. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint        status;       /* 0 when no status line came */
  GHashTable  *headers;      /* lower-cased name -> value */
  GBytes      *body;
} ShoalTestHttpAnswer;

void                 shoal_test_http_answer_free (ShoalTestHttpAnswer *answer);
/* The body as a NUL-terminated text (owned by the answer). */
const char          *shoal_test_http_answer_text (ShoalTestHttpAnswer *answer);

/* Sends "@method @path HTTP/1.1" to 127.0.0.1:@port with Host,
 * Connection: close, Content-Length when @body is not NULL, and
 * @headers: a NULL-terminated list of "Name: value" lines (may be NULL).
 * Fails the test on a connection error. */
ShoalTestHttpAnswer *shoal_test_http_request     (guint16             port,
                                                  const char         *method,
                                                  const char         *path,
                                                  const char * const *headers,
                                                  const char         *body,
                                                  gsize               body_length);

/* Sends @raw as is (a request line, headers and maybe a body written by
 * the test) and reads the answer. */
ShoalTestHttpAnswer *shoal_test_http_raw         (guint16     port,
                                                  const char *raw,
                                                  gsize       length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalTestHttpAnswer, shoal_test_http_answer_free)

G_END_DECLS
