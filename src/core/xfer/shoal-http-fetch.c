/* shoal-http-fetch.c — downloading ranges of one file over one HTTP/1.1
 * connection: the requests, the response heads, the bodies written into
 * the file with pwrite(). */
#include "shoal-http-fetch.h"

#include "shoal-net-types.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* How much one read asks for. */
/* Big reads: fewer wake-ups per file, and pwrite() in large pieces. */
#define READ_CHUNK_SIZE (256 * 1024)
#define HTTP_MAJOR 1
#define HTTP_MINOR 1
#define HTTP_DEFAULT_PORT 80
/* Offsets go to pwrite() as off_t: larger numbers are not file offsets. */
#define MAX_FILE_OFFSET ((guint64) G_MAXINT64)

#define STATUS_OK 200
#define STATUS_PARTIAL_CONTENT 206
#define STATUS_NOT_FOUND 404
#define STATUS_GONE 410
#define STATUS_RANGE_NOT_SATISFIABLE 416
#define STATUS_TOO_MANY_REQUESTS 429
#define STATUS_SERVICE_UNAVAILABLE 503

G_DEFINE_QUARK (shoal-http-fetch-error-quark, shoal_http_fetch_error)

typedef enum
{
  STATE_UNCONNECTED,  /* dials at the first fetch */
  STATE_OPEN,         /* connected, no request in flight */
  STATE_BUSY,         /* a fetch in flight */
  STATE_CLOSED,       /* the connection is gone for good */
} State;

struct _ShoalHttpFetch
{
  GObject            parent_instance;
  ShoalIpv4Endpoint  source;
  char              *host;               /* Host header; NULL when unknown */
  GIOStream         *stream;
  State              state;
  guint              connect_timeout_ms;
  guint              idle_timeout_ms;
  ShoalRateLimit    *rate_limit;         /* NULL: reads as fast as they come */
};

G_DEFINE_FINAL_TYPE (ShoalHttpFetch, shoal_http_fetch, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CONNECT_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  BODY_TO_FILE,    /* a 200 or 206: the file's bytes */
  BODY_DISCARDED,  /* an error page: read so the connection stays usable */
} BodySink;

/* One fetch in flight: the task's data. */
typedef struct
{
  GBytes                 *request;          /* being written */
  gboolean                has_sha1;
  guint8                  sha1[SHOAL_SHA1_SIZE];
  guint64                 start;
  guint64                 end;
  guint64                 file_size;        /* 0: unknown */
  int                     fd;
  ShoalHttpFetchProgress  progress;
  gpointer                progress_data;
  GCancellable           *cancellable;      /* the caller's and the timer's */
  GCancellable           *caller_cancellable;
  gulong                  caller_handler;
  GSource                *timer;            /* re-armed on every sign of life */
  guint                   timer_ms;
  gboolean                timed_out;
  GByteArray             *input;            /* read, not used yet */
  guint8                 *chunk;
  gsize                   granted;          /* for the read in flight, by granted_by */
  ShoalRateLimit         *granted_by;       /* the limit then; it may change meanwhile */
  GSource                *token_wait;       /* while the rate limit has nothing to grant;
                                             * it holds the task */
  gsize                   wait_wanted;      /* the read to retry after it */
  GAsyncReadyCallback     wait_callback;
  BodySink                sink;
  guint64                 body_offset;      /* where the body goes in the file */
  guint64                 body_length;
  guint64                 body_received;
  gboolean                response_whole;   /* head and body read, nothing left */
  GError                 *response_error;   /* an error status, returned after its body */
  ShoalHttpFetchResult    result;
} Fetch;

/* Header values -------------------------------------------------------------- */

/* Digits only, at most @max: the numbers in Content-Length, Content-Range,
 * Retry-After and X-Queued. */
static gboolean
parse_decimal (const char *text,
               gsize       length,
               guint64     max,
               guint64    *value)
{
  guint64 number = 0;

  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      guint digit;

      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      digit = (guint) (text[i] - '0');
      if (number > (max - digit) / 10)
        return FALSE;
      number = number * 10 + digit;
    }
  *value = number;
  return TRUE;
}

static gboolean
parse_decimal_string (const char *text,
                      guint64     max,
                      guint64    *value)
{
  return parse_decimal (text, strlen (text), max, value);
}

/* Whether the comma list @value holds @token, in any case (Connection). */
static gboolean
value_has_token (const char *value,
                 const char *token)
{
  g_auto(GStrv) items = NULL;

  if (value == NULL)
    return FALSE;
  items = g_strsplit (value, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (g_strstrip (items[i]), token) == 0)
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  gboolean has_bytes;  /* FALSE when the range is "*" */
  guint64  first;
  guint64  last;       /* inclusive */
  gboolean has_total;  /* FALSE when the total is "*" */
  guint64  total;
} ContentRange;

/* "bytes a-b/total", or with "*" for the range (a 416) or for the total;
 * some old servents write "bytes=". */
static gboolean
parse_content_range (const char   *value,
                     ContentRange *range)
{
  const char *unit = "bytes";
  const char *spec;
  const char *slash;
  const char *dash;

  memset (range, 0, sizeof *range);
  if (g_ascii_strncasecmp (value, unit, strlen (unit)) != 0)
    return FALSE;
  spec = value + strlen (unit);
  if (*spec != ' ' && *spec != '=')
    return FALSE;
  while (*spec == ' ' || *spec == '=')
    spec++;
  slash = strchr (spec, '/');
  if (slash == NULL)
    return FALSE;
  if (strcmp (slash + 1, "*") != 0)
    {
      if (!parse_decimal_string (slash + 1, MAX_FILE_OFFSET, &range->total))
        return FALSE;
      range->has_total = TRUE;
    }
  if (slash - spec == 1 && *spec == '*')
    return range->has_total;
  dash = memchr (spec, '-', (gsize) (slash - spec));
  if (dash == NULL ||
      !parse_decimal (spec, (gsize) (dash - spec), MAX_FILE_OFFSET, &range->first) ||
      !parse_decimal (dash + 1, (gsize) (slash - dash - 1), MAX_FILE_OFFSET, &range->last) ||
      range->first > range->last ||
      (range->has_total && range->last >= range->total))
    return FALSE;
  range->has_bytes = TRUE;
  return TRUE;
}

/* Alternate locations ---------------------------------------------------------- */

static void
add_alt_location (GArray                  *alt_locations,
                  const ShoalIpv4Endpoint *endpoint)
{
  if (alt_locations->len >= SHOAL_HTTP_FETCH_MAX_ALT_LOCATIONS ||
      endpoint->address == 0 || endpoint->port == 0)
    return;
  for (guint i = 0; i < alt_locations->len; i++)
    {
      const ShoalIpv4Endpoint *known = &g_array_index (alt_locations, ShoalIpv4Endpoint, i);

      if (known->address == endpoint->address && known->port == endpoint->port)
        return;
    }
  g_array_append_val (alt_locations, *endpoint);
}

/* X-Alt: "1.2.3.4:6346, 5.6.7.8" (no port: 6346). gtk-gnutella may put a
 * "tls=<hex>" item first and IPv6 "[…]:port" items among them: neither
 * is an IPv4 endpoint, both are skipped. */
void
shoal_http_parse_x_alt (const char *value,
                        GArray     *alt_locations)
{
  g_auto(GStrv) items = g_strsplit (value, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);
      ShoalIpv4Endpoint endpoint;

      if (!shoal_ipv4_endpoint_parse (item, strlen (item), &endpoint))
        continue;
      if (endpoint.port == 0)
        endpoint.port = SHOAL_HTTP_FETCH_DEFAULT_GNUTELLA_PORT;
      add_alt_location (alt_locations, &endpoint);
    }
}

/* The HUGE mesh's older form: "http://1.2.3.4:6346/uri-res/N2R?urn:sha1:…
 * 2002-04-30T08:30Z, …". Only URLs naming an IPv4 host are kept. */
static void
read_alt_location_urls (const char *value,
                        GArray     *alt_locations)
{
  const char *scheme = "http://";
  g_auto(GStrv) items = g_strsplit (value, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);
      const char *host;
      ShoalIpv4Endpoint endpoint;

      if (g_ascii_strncasecmp (item, scheme, strlen (scheme)) != 0)
        continue;
      host = item + strlen (scheme);
      if (!shoal_ipv4_endpoint_parse (host, strcspn (host, "/ \t"), &endpoint))
        continue;
      if (endpoint.port == 0)
        endpoint.port = HTTP_DEFAULT_PORT;
      add_alt_location (alt_locations, &endpoint);
    }
}

/* What a response head tells ------------------------------------------------------- */

/* HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes it
 * unless told to keep it. */
static gboolean
head_keeps_alive (const ShoalHeaderBlock *head)
{
  const char *connection = shoal_header_block_get (head, "Connection");

  if (value_has_token (connection, "close"))
    return FALSE;
  if (head->version.major == 1 && head->version.minor == 0)
    return value_has_token (connection, "keep-alive");
  return head->version.major >= 1;
}

/* X-Gnutella-Content-URN may list several URNs (a TTH among them); the
 * first SHA-1 counts. */
static gboolean
read_content_sha1 (const char *value,
                   guint8      sha1[SHOAL_SHA1_SIZE])
{
  g_auto(GStrv) items = g_strsplit (value, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);

      if (shoal_urn_parse_sha1 (item, strlen (item), sha1, NULL))
        return TRUE;
    }
  return FALSE;
}

/* PARQ: "X-Queued: position=3; length=10; ETA=60; ID=…". */
static guint
read_queue_position (const char *value)
{
  const char *key = "position=";
  g_auto(GStrv) items = g_strsplit (value, ";", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);
      guint64 position;

      if (g_ascii_strncasecmp (item, key, strlen (key)) == 0 &&
          parse_decimal_string (item + strlen (key), G_MAXUINT, &position))
        return (guint) position;
    }
  return 0;
}

static void
learn_from_head (ShoalHttpFetchResult   *result,
                 const ShoalHeaderBlock *head)
{
  const char *server = shoal_header_block_get (head, "Server");
  const char *urn = shoal_header_block_get (head, "X-Gnutella-Content-URN");
  const char *retry_after = shoal_header_block_get (head, "Retry-After");
  const char *queued = shoal_header_block_get (head, "X-Queued");
  const char *x_alt = shoal_header_block_get (head, "X-Alt");
  const char *alt_urls = shoal_header_block_get (head, "X-Gnutella-Alternate-Location");
  const char *short_alt_urls = shoal_header_block_get (head, "Alt-Location");
  guint64 seconds;

  result->status = head->status_code;
  result->reason = g_strdup (head->reason);
  result->keep_alive = head_keeps_alive (head);
  if (server == NULL)
    server = shoal_header_block_get (head, "User-Agent");
  result->server = g_strdup (server);
  if (urn == NULL)
    urn = shoal_header_block_get (head, "X-Content-URN");
  if (urn != NULL)
    result->has_content_sha1 = read_content_sha1 (urn, result->content_sha1);
  /* An HTTP date instead of seconds is rare among servents: ignored. */
  if (retry_after != NULL && parse_decimal_string (retry_after, G_MAXUINT, &seconds))
    result->retry_after_s = (guint) seconds;
  if (queued != NULL)
    result->queue_position = read_queue_position (queued);
  if (x_alt != NULL)
    shoal_http_parse_x_alt (x_alt, result->alt_locations);
  if (alt_urls != NULL)
    read_alt_location_urls (alt_urls, result->alt_locations);
  if (short_alt_urls != NULL)
    read_alt_location_urls (short_alt_urls, result->alt_locations);
}

/* The request ---------------------------------------------------------------------- */

static char *
request_target (const ShoalHttpFetchRequest *request)
{
  g_autofree char *escaped = NULL;

  if (request->sha1 != NULL)
    {
      g_autofree char *urn = shoal_urn_format_sha1 (request->sha1);

      return g_strconcat ("/uri-res/N2R?", urn, NULL);
    }
  escaped = g_uri_escape_string (request->file_name, NULL, FALSE);
  return g_strdup_printf ("/get/%u/%s", request->file_index, escaped);
}

static char *
format_alt_locations (const ShoalIpv4Endpoint *endpoints,
                      guint                    count)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < MIN (count, SHOAL_HTTP_FETCH_MAX_SENT_ALT_LOCATIONS); i++)
    {
      char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append (text, shoal_ipv4_endpoint_format (&endpoints[i], TRUE, buffer));
    }
  return g_string_free (text, FALSE);
}

static GBytes *
build_request (ShoalHttpFetch               *self,
               const ShoalHttpFetchRequest  *request,
               GError                      **error)
{
  g_autofree char *target = request_target (request);
  g_autoptr(ShoalHeaderBlock) block =
    shoal_header_block_new_http_request ("GET", target, HTTP_MAJOR, HTTP_MINOR);
  g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                                            request->start, request->end);
  g_autoptr(GByteArray) out = g_byte_array_new ();

  /* gtk-gnutella answers an HTTP/1.1 request without Host with a 400. */
  if (self->host != NULL)
    shoal_header_block_add (block, "Host", self->host);
  shoal_header_block_add (block, "User-Agent", SHOAL_USER_AGENT);
  shoal_header_block_add (block, "Range", range);
  shoal_header_block_add (block, "Connection", "Keep-Alive");
  if (request->alt_locations != NULL && request->n_alt_locations > 0)
    {
      g_autofree char *alt = format_alt_locations (request->alt_locations,
                                                   request->n_alt_locations);

      shoal_header_block_add (block, "X-Alt", alt);
    }
  if (!shoal_header_block_write (block, out, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The timer ------------------------------------------------------------------------ */

/* One source per fetch, pushed back by setting its ready time: cheaper
 * than a new timeout source after every read. */
static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs timer_funcs = {
  NULL, NULL, timer_dispatch, NULL, NULL, NULL,
};

static gboolean
on_timer (gpointer data)
{
  Fetch *fetch = data;

  fetch->timed_out = TRUE;
  g_cancellable_cancel (fetch->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
arm_timer (Fetch *fetch,
           guint  ms)
{
  fetch->timer_ms = ms;
  g_source_set_ready_time (fetch->timer,
                           g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND);
}

static void
stop_timer (Fetch *fetch)
{
  if (fetch->timer == NULL)
    return;
  g_source_destroy (fetch->timer);
  g_clear_pointer (&fetch->timer, g_source_unref);
}

/* The task -------------------------------------------------------------------------- */

static void
fetch_free (gpointer data)
{
  Fetch *fetch = data;

  stop_timer (fetch);
  if (fetch->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (fetch->caller_cancellable, fetch->caller_handler);
      g_object_unref (fetch->caller_cancellable);
    }
  g_clear_object (&fetch->cancellable);
  g_clear_pointer (&fetch->request, g_bytes_unref);
  g_byte_array_unref (fetch->input);
  g_free (fetch->chunk);
  g_clear_pointer (&fetch->granted_by, shoal_rate_limit_unref);
  g_clear_error (&fetch->response_error);
  shoal_http_fetch_result_clear (&fetch->result);
  g_free (fetch);
}

static void
on_caller_cancelled (GCancellable *caller,
                     gpointer      ours)
{
  g_cancellable_cancel (ours);
}

static Fetch *
fetch_new (void)
{
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->fd = -1;
  fetch->input = g_byte_array_new ();
  fetch->result.alt_locations = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  return fetch;
}

static void
fetch_start_watch (Fetch        *fetch,
                   GCancellable *caller_cancellable,
                   GMainContext *context)
{
  fetch->cancellable = g_cancellable_new ();
  if (caller_cancellable != NULL)
    {
      fetch->caller_cancellable = g_object_ref (caller_cancellable);
      fetch->caller_handler = g_cancellable_connect (caller_cancellable,
                                                     G_CALLBACK (on_caller_cancelled),
                                                     g_object_ref (fetch->cancellable),
                                                     g_object_unref);
    }
  fetch->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (fetch->timer, on_timer, fetch, NULL);
  g_source_attach (fetch->timer, context);
}

static void
drop_connection (ShoalHttpFetch *self)
{
  self->state = STATE_CLOSED;
  if (self->stream == NULL)
    return;
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&self->stream);
}

/* Ends the fetch with @error (taken; NULL on success). The connection
 * carries the next request only after a whole response that kept it. */
static void
complete (GTask  *task,
          GError *error)
{
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);

  stop_timer (fetch);
  fetch->result.keep_alive = fetch->result.keep_alive && fetch->response_whole &&
                             fetch->input->len == 0;
  if (fetch->result.keep_alive)
    self->state = STATE_OPEN;
  else
    drop_connection (self);
  if (error != NULL)
    {
      g_debug ("fetch failed: %s", error->message);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void fail (GTask               *task,
                  ShoalHttpFetchError  code,
                  const char          *format,
                  ...) G_GNUC_PRINTF (3, 4);

static void
fail (GTask               *task,
      ShoalHttpFetchError  code,
      const char          *format,
      ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (SHOAL_HTTP_FETCH_ERROR, code, format, args);
  va_end (args);
  complete (task, error);
}

/* An I/O operation failed with @error (taken): our timer, the caller's
 * cancellation, or the connection itself (@code). An error status whose
 * page was being read says more than how the reading ended. */
static void
fail_io (GTask               *task,
         GError              *error,
         ShoalHttpFetchError  code,
         const char          *doing)
{
  Fetch *fetch = g_task_get_task_data (task);

  if (fetch->response_error != NULL)
    {
      g_error_free (error);
      complete (task, g_steal_pointer (&fetch->response_error));
    }
  else if (fetch->timed_out)
    {
      g_error_free (error);
      fail (task, SHOAL_HTTP_FETCH_ERROR_TIMEOUT, "%s: nothing for %u ms", doing, fetch->timer_ms);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    complete (task, error);
  else
    {
      fail (task, code, "%s: %s", doing, error->message);
      g_error_free (error);
    }
}

/* Reading under the rate limit ------------------------------------------------------------ */

static void read_chunk (GTask               *task,
                        gsize                wanted,
                        GAsyncReadyCallback  callback);

/* The tokens have come, or the fetch was cancelled (the read then fails
 * at once and says which). */
static gboolean
on_tokens_due (GCancellable *cancellable,
               gpointer      data)
{
  GTask *task = data;
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);

  g_clear_pointer (&fetch->token_wait, g_source_unref);
  /* Waiting for our own cap is not the source being silent. */
  arm_timer (fetch, self->idle_timeout_ms);
  read_chunk (task, fetch->wait_wanted, fetch->wait_callback);
  return G_SOURCE_REMOVE;
}

/* Nothing is read until the rate limit has tokens again: a timer, never a
 * busy loop, and the main loop runs on. The idle timer stops meanwhile. */
static void
wait_for_tokens (GTask               *task,
                 gsize                wanted,
                 GAsyncReadyCallback  callback)
{
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  guint delay_ms = MAX (shoal_rate_limit_get_delay_ms (self->rate_limit, wanted), 1);

  g_source_set_ready_time (fetch->timer, -1);
  fetch->wait_wanted = wanted;
  fetch->wait_callback = callback;
  /* One source for both ends of the wait: the deadline or a cancel. */
  fetch->token_wait = g_cancellable_source_new (fetch->cancellable);
  g_source_set_callback (fetch->token_wait, G_SOURCE_FUNC (on_tokens_due),
                         g_object_ref (task), g_object_unref);
  g_source_set_ready_time (fetch->token_wait,
                           g_get_monotonic_time () + (gint64) delay_ms * G_TIME_SPAN_MILLISECOND);
  g_source_attach (fetch->token_wait, g_task_get_context (task));
}

/* Reads into the chunk up to @wanted bytes, as many as the rate limit
 * grants; @callback hands the count to return_unused_tokens(). */
static void
read_chunk (GTask               *task,
            gsize                wanted,
            GAsyncReadyCallback  callback)
{
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  gsize size = wanted;

  if (self->rate_limit != NULL && !g_cancellable_is_cancelled (fetch->cancellable))
    {
      size = shoal_rate_limit_take (self->rate_limit, wanted);
      if (size == 0)
        {
          wait_for_tokens (task, wanted, callback);
          return;
        }
      fetch->granted = size;
      fetch->granted_by = shoal_rate_limit_ref (self->rate_limit);
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (self->stream), fetch->chunk, size,
                             G_PRIORITY_DEFAULT, fetch->cancellable, callback,
                             g_object_ref (task));
}

/* A read that returned less than granted gives the rest back to the
 * other transfers. */
static void
return_unused_tokens (Fetch  *fetch,
                      gssize  n_read)
{
  gsize used = n_read > 0 ? (gsize) n_read : 0;

  if (fetch->granted_by == NULL)
    return;
  if (fetch->granted > used)
    shoal_rate_limit_give_back (fetch->granted_by, fetch->granted - used);
  fetch->granted = 0;
  g_clear_pointer (&fetch->granted_by, shoal_rate_limit_unref);
}

/* The body ----------------------------------------------------------------------------- */

static gboolean
write_at (int            fd,
          const guint8  *data,
          gsize          length,
          guint64        offset,
          GError       **error)
{
  while (length > 0)
    {
      ssize_t written = pwrite (fd, data, length, (off_t) offset);

      if (written < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_IO,
                       "cannot write at offset %" G_GUINT64_FORMAT ": %s",
                       offset, g_strerror (saved_errno));
          return FALSE;
        }
      data += written;
      length -= (gsize) written;
      offset += (guint64) written;
    }
  return TRUE;
}

/* Takes @length body bytes: into the file, or nowhere for an error page. */
static gboolean
take_body_bytes (ShoalHttpFetch  *self,
                 Fetch           *fetch,
                 const guint8    *data,
                 gsize            length,
                 GError         **error)
{
  if (length == 0)
    return TRUE;
  if (fetch->sink == BODY_TO_FILE &&
      !write_at (fetch->fd, data, length, fetch->body_offset + fetch->body_received, error))
    return FALSE;
  fetch->body_received += length;
  if (fetch->sink != BODY_TO_FILE)
    return TRUE;
  fetch->result.written_length = fetch->body_received;
  if (fetch->progress != NULL)
    fetch->progress (self, fetch->body_offset, fetch->body_received, fetch->body_length,
                     fetch->progress_data);
  return TRUE;
}

static void on_body_read (GObject      *source,
                          GAsyncResult *res,
                          gpointer      data);

static void
continue_body (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  guint64 remaining = fetch->body_length - fetch->body_received;

  if (remaining == 0)
    {
      fetch->response_whole = TRUE;
      complete (task, g_steal_pointer (&fetch->response_error));
      return;
    }
  read_chunk (task, (gsize) MIN (remaining, READ_CHUNK_SIZE), on_body_read);
}

static void
on_body_read (GObject      *source,
              GAsyncResult *res,
              gpointer      data)
{
  g_autoptr(GTask) task = data;
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);

  return_unused_tokens (fetch, n_read);
  if (n_read < 0)
    {
      fail_io (task, error, SHOAL_HTTP_FETCH_ERROR_CLOSED, "reading the body");
      return;
    }
  if (n_read == 0)
    {
      if (fetch->response_error != NULL)
        complete (task, g_steal_pointer (&fetch->response_error));
      else
        fail (task, SHOAL_HTTP_FETCH_ERROR_CLOSED,
              "the source closed the connection after %" G_GUINT64_FORMAT " of %"
              G_GUINT64_FORMAT " body bytes", fetch->body_received, fetch->body_length);
      return;
    }
  if (!take_body_bytes (self, fetch, fetch->chunk, (gsize) n_read, &error))
    {
      complete (task, error);
      return;
    }
  arm_timer (fetch, self->idle_timeout_ms);
  continue_body (task);
}

/* Reads a body of @length bytes that belongs at @offset, starting with
 * what came with the head. Bytes past it are not ours: they leave the
 * connection unusable (complete() sees them in the input). */
static void
begin_body (GTask    *task,
            BodySink  sink,
            guint64   offset,
            guint64   length)
{
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  gsize early = (gsize) MIN (length, fetch->input->len);

  fetch->sink = sink;
  fetch->body_offset = offset;
  fetch->body_length = length;
  fetch->body_received = 0;
  if (sink == BODY_TO_FILE)
    fetch->result.written_start = offset;
  if (!take_body_bytes (self, fetch, fetch->input->data, early, &error))
    {
      complete (task, error);
      return;
    }
  g_byte_array_remove_range (fetch->input, 0, (guint) early);
  continue_body (task);
}

/* Responses ------------------------------------------------------------------------------ */

/* Content-Length, when present; FALSE after failing the task on a bad one. */
static gboolean
read_content_length (GTask                  *task,
                     const ShoalHeaderBlock *head,
                     gboolean               *present,
                     guint64                *length)
{
  const char *value = shoal_header_block_get (head, "Content-Length");

  *present = value != NULL;
  if (value == NULL || parse_decimal_string (value, MAX_FILE_OFFSET, length))
    return TRUE;
  fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL, "malformed Content-Length '%s'", value);
  return FALSE;
}

/* Whether the body is plain bytes we can write; fails the task if not. */
static gboolean
check_body_encoding (GTask                  *task,
                     const ShoalHeaderBlock *head)
{
  const char *transfer = shoal_header_block_get (head, "Transfer-Encoding");
  const char *content = shoal_header_block_get (head, "Content-Encoding");

  if (transfer != NULL && g_ascii_strcasecmp (transfer, "identity") != 0)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL,
            "Transfer-Encoding '%s': chunked file bodies are not supported", transfer);
      return FALSE;
    }
  /* We never send Accept-Encoding. */
  if (content != NULL && g_ascii_strcasecmp (content, "identity") != 0)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL,
            "Content-Encoding '%s' was not asked for", content);
      return FALSE;
    }
  return TRUE;
}

/* A source stating another size has another file. */
static gboolean
check_file_size (GTask   *task,
                 guint64  stated)
{
  Fetch *fetch = g_task_get_task_data (task);

  fetch->result.file_size = stated;
  if (fetch->file_size == 0 || stated == fetch->file_size)
    return TRUE;
  fail (task, SHOAL_HTTP_FETCH_ERROR_WRONG_FILE,
        "the source's file has %" G_GUINT64_FORMAT " bytes, ours %" G_GUINT64_FORMAT,
        stated, fetch->file_size);
  return FALSE;
}

/* 206: the body must start where we asked and end no later; it may end
 * earlier (gtk-gnutella sends at most 512 KiB at a time). */
static void
take_partial_content (GTask                  *task,
                      const ShoalHeaderBlock *head)
{
  Fetch *fetch = g_task_get_task_data (task);
  const char *value = shoal_header_block_get (head, "Content-Range");
  ContentRange range;
  gboolean has_length;
  guint64 length = 0;

  if (!check_body_encoding (task, head) ||
      !read_content_length (task, head, &has_length, &length))
    return;
  if (value == NULL || !parse_content_range (value, &range) || !range.has_bytes)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL, "206 with a missing or malformed "
            "Content-Range '%s'", value != NULL ? value : "");
      return;
    }
  if (range.has_total && !check_file_size (task, range.total))
    return;
  if (range.first != fetch->start || range.last > fetch->end)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_RANGE,
            "asked bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ", the source sends %"
            G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
            fetch->start, fetch->end, range.first, range.last);
      return;
    }
  if (has_length && length != range.last - range.first + 1)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL,
            "Content-Length %" G_GUINT64_FORMAT " does not match Content-Range '%s'",
            length, value);
      return;
    }
  begin_body (task, BODY_TO_FILE, range.first, range.last - range.first + 1);
}

/* 200: the whole file, whatever range we asked for; it goes from 0. */
static void
take_whole_content (GTask                  *task,
                    const ShoalHeaderBlock *head)
{
  gboolean has_length;
  guint64 length;

  if (!check_body_encoding (task, head) ||
      !read_content_length (task, head, &has_length, &length))
    return;
  if (!has_length)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL, "200 without Content-Length");
      return;
    }
  if (!check_file_size (task, length))
    return;
  begin_body (task, BODY_TO_FILE, 0, length);
}

static GError *
error_for_status (const ShoalHttpFetchResult *result)
{
  switch (result->status)
    {
    case STATUS_SERVICE_UNAVAILABLE:
    case STATUS_TOO_MANY_REQUESTS:
      if (result->retry_after_s > 0)
        return g_error_new (SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_BUSY,
                            "busy (%u %s), retry after %u s",
                            result->status, result->reason, result->retry_after_s);
      return g_error_new (SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_BUSY,
                          "busy (%u %s)", result->status, result->reason);
    case STATUS_NOT_FOUND:
    case STATUS_GONE:
      return g_error_new (SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_NOT_FOUND,
                          "%u %s", result->status, result->reason);
    case STATUS_RANGE_NOT_SATISFIABLE:
      return g_error_new (SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_RANGE,
                          "%u %s", result->status, result->reason);
    default:
      return g_error_new (SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_REFUSED,
                          "%u %s", result->status, result->reason);
    }
}

/* Any other status: an error. Its page is read and dropped when that
 * keeps the connection usable, else the connection goes. */
static void
take_error_status (GTask                  *task,
                   const ShoalHeaderBlock *head)
{
  Fetch *fetch = g_task_get_task_data (task);
  const char *range_value = shoal_header_block_get (head, "Content-Range");
  const char *length_value = shoal_header_block_get (head, "Content-Length");
  ContentRange range;
  guint64 length;

  /* A 416 says how large the file really is, in its Content-Range. */
  if (range_value != NULL && parse_content_range (range_value, &range) && range.has_total)
    fetch->result.file_size = range.total;
  fetch->response_error = error_for_status (&fetch->result);
  if (fetch->result.keep_alive &&
      shoal_header_block_get (head, "Transfer-Encoding") == NULL &&
      length_value != NULL &&
      parse_decimal_string (length_value, SHOAL_HTTP_FETCH_MAX_DISCARDED_BODY, &length))
    {
      begin_body (task, BODY_DISCARDED, 0, length);
      return;
    }
  complete (task, g_steal_pointer (&fetch->response_error));
}

static void
take_head (GTask *task,
           gsize  end)
{
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHeaderBlock) head = shoal_header_block_parse (fetch->input->data, end, &error);

  if (head == NULL)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL, "malformed response head: %s",
            error->message);
      return;
    }
  if (head->kind != SHOAL_HEADER_BLOCK_HTTP_STATUS)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL, "the answer is not an HTTP status line");
      return;
    }
  g_byte_array_remove_range (fetch->input, 0, (guint) end);
  learn_from_head (&fetch->result, head);
  /* Checked before a byte of the body is written: a source serving
   * another file must not touch ours. */
  if (fetch->has_sha1 && fetch->result.has_content_sha1 &&
      memcmp (fetch->sha1, fetch->result.content_sha1, SHOAL_SHA1_SIZE) != 0)
    {
      g_autofree char *ours = shoal_urn_format_sha1 (fetch->sha1);
      g_autofree char *theirs = shoal_urn_format_sha1 (fetch->result.content_sha1);

      fail (task, SHOAL_HTTP_FETCH_ERROR_WRONG_FILE, "asked for %s, the source serves %s",
            ours, theirs);
      return;
    }
  switch (head->status_code)
    {
    case STATUS_PARTIAL_CONTENT:
      take_partial_content (task, head);
      break;
    case STATUS_OK:
      take_whole_content (task, head);
      break;
    default:
      take_error_status (task, head);
      break;
    }
}

static void read_head (GTask *task);

static void
on_head_read (GObject      *source,
              GAsyncResult *res,
              gpointer      data)
{
  g_autoptr(GTask) task = data;
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);

  return_unused_tokens (fetch, n_read);
  if (n_read < 0)
    {
      fail_io (task, error, SHOAL_HTTP_FETCH_ERROR_CLOSED, "reading the response");
      return;
    }
  if (n_read == 0)
    {
      fail (task, SHOAL_HTTP_FETCH_ERROR_CLOSED, fetch->input->len == 0 ?
            "the source closed the connection without answering" :
            "the source closed the connection within the response head");
      return;
    }
  g_byte_array_append (fetch->input, fetch->chunk, (guint) n_read);
  arm_timer (fetch, self->idle_timeout_ms);
  read_head (task);
}

static void
read_head (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gsize end;

  switch (shoal_header_block_find_end (fetch->input->data, fetch->input->len, &end, &error))
    {
    case SHOAL_HEADER_SCAN_NEED_MORE:
      read_chunk (task, READ_CHUNK_SIZE, on_head_read);
      break;
    case SHOAL_HEADER_SCAN_ERROR:
      fail (task, SHOAL_HTTP_FETCH_ERROR_PROTOCOL, "response head too large: %s",
            error->message);
      break;
    case SHOAL_HEADER_SCAN_COMPLETE:
      take_head (task, end);
      break;
    }
}

/* Connecting and asking --------------------------------------------------------------------- */

static void
on_request_written (GObject      *source,
                    GAsyncResult *res,
                    gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      fail_io (task, error, SHOAL_HTTP_FETCH_ERROR_CLOSED, "sending the request");
      return;
    }
  read_head (task);
}

static void
send_request (GTask *task)
{
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  gsize length;
  const void *data = g_bytes_get_data (fetch->request, &length);

  arm_timer (fetch, self->idle_timeout_ms);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream), data, length,
                                   G_PRIORITY_DEFAULT, fetch->cancellable, on_request_written,
                                   g_object_ref (task));
}

static void
on_connected (GObject      *source,
              GAsyncResult *res,
              gpointer      data)
{
  g_autoptr(GTask) task = data;
  ShoalHttpFetch *self = g_task_get_source_object (task);
  GError *error = NULL;
  GSocketConnection *connection =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);

  if (connection == NULL)
    {
      fail_io (task, error, SHOAL_HTTP_FETCH_ERROR_CONNECT, "connecting");
      return;
    }
  self->stream = G_IO_STREAM (connection);
  send_request (task);
}

static void
dial (GTask *task)
{
  ShoalHttpFetch *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  ShoalIpv4Endpoint address_only = { .address = self->source.address };
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];
  g_autoptr(GSocketAddress) target =
    g_inet_socket_address_new_from_string (shoal_ipv4_endpoint_format (&address_only, FALSE, text),
                                           self->source.port);

  /* A proxy from the environment would see every download. */
  g_socket_client_set_enable_proxy (client, FALSE);
  arm_timer (fetch, self->connect_timeout_ms);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (target), fetch->cancellable,
                                 on_connected, g_object_ref (task));
}

/* Overrides ----------------------------------------------------------------------------------- */

static void
shoal_http_fetch_dispose (GObject *object)
{
  ShoalHttpFetch *self = SHOAL_HTTP_FETCH (object);

  /* No fetch is in flight: it would hold a reference. Closing a socket
   * does not block. */
  if (self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (shoal_http_fetch_parent_class)->dispose (object);
}

static void
shoal_http_fetch_finalize (GObject *object)
{
  ShoalHttpFetch *self = SHOAL_HTTP_FETCH (object);

  g_free (self->host);
  g_clear_pointer (&self->rate_limit, shoal_rate_limit_unref);

  G_OBJECT_CLASS (shoal_http_fetch_parent_class)->finalize (object);
}

static void
shoal_http_fetch_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ShoalHttpFetch *self = SHOAL_HTTP_FETCH (object);

  switch (prop_id)
    {
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout_ms);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_http_fetch_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ShoalHttpFetch *self = SHOAL_HTTP_FETCH (object);

  switch (prop_id)
    {
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_http_fetch_class_init (ShoalHttpFetchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_http_fetch_dispose;
  object_class->finalize = shoal_http_fetch_finalize;
  object_class->get_property = shoal_http_fetch_get_property;
  object_class->set_property = shoal_http_fetch_set_property;

  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", NULL,
                       "Milliseconds a source has to accept our connection",
                       1, G_MAXUINT, SHOAL_HTTP_FETCH_DEFAULT_CONNECT_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL,
                       "Milliseconds a source may stay silent while a request is in flight",
                       1, G_MAXUINT, SHOAL_HTTP_FETCH_DEFAULT_IDLE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_http_fetch_init (ShoalHttpFetch *self)
{
  self->connect_timeout_ms = SHOAL_HTTP_FETCH_DEFAULT_CONNECT_TIMEOUT_MS;
  self->idle_timeout_ms = SHOAL_HTTP_FETCH_DEFAULT_IDLE_TIMEOUT_MS;
}

/* Public API ------------------------------------------------------------------------------------ */

void
shoal_http_fetch_result_clear (ShoalHttpFetchResult *result)
{
  g_clear_pointer (&result->reason, g_free);
  g_clear_pointer (&result->server, g_free);
  g_clear_pointer (&result->alt_locations, g_array_unref);
  memset (result, 0, sizeof *result);
}

ShoalHttpFetch *
shoal_http_fetch_new_for_endpoint (const ShoalIpv4Endpoint *source)
{
  ShoalHttpFetch *self;
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (source->port != 0, NULL);

  self = g_object_new (SHOAL_TYPE_HTTP_FETCH, NULL);
  self->source = *source;
  self->host = g_strdup (shoal_ipv4_endpoint_format (source, TRUE, text));
  self->state = STATE_UNCONNECTED;
  return self;
}

/* "a.b.c.d:port" or "[v6]:port" of the socket's peer, else NULL. */
static char *
host_of_peer (GIOStream *stream)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *text = NULL;
  GInetAddress *inet;
  guint16 port;

  if (!G_IS_SOCKET_CONNECTION (stream))
    return NULL;
  address = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (stream), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  text = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", text, port);
  return g_strdup_printf ("%s:%u", text, port);
}

ShoalHttpFetch *
shoal_http_fetch_new_for_stream (GIOStream               *stream,
                                 const ShoalIpv4Endpoint *source)
{
  ShoalHttpFetch *self;
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  self = g_object_new (SHOAL_TYPE_HTTP_FETCH, NULL);
  self->stream = g_object_ref (stream);
  if (source != NULL)
    {
      self->source = *source;
      self->host = g_strdup (shoal_ipv4_endpoint_format (source, TRUE, text));
    }
  else
    self->host = host_of_peer (stream);
  self->state = STATE_OPEN;
  return self;
}

void
shoal_http_fetch_fetch_range_async (ShoalHttpFetch              *self,
                                    const ShoalHttpFetchRequest *request,
                                    int                          fd,
                                    GCancellable                *cancellable,
                                    ShoalHttpFetchProgress       progress,
                                    gpointer                     progress_data,
                                    GAsyncReadyCallback          callback,
                                    gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Fetch *fetch;

  g_return_if_fail (SHOAL_IS_HTTP_FETCH (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (request->sha1 != NULL || request->file_name != NULL);
  g_return_if_fail (request->start <= request->end && request->end <= MAX_FILE_OFFSET);
  g_return_if_fail (request->file_size == 0 || request->end < request->file_size);
  g_return_if_fail (fd >= 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, shoal_http_fetch_fetch_range_async);
  /* The caller learns what reached the file even when it cancelled too
   * late to stop it. */
  g_task_set_check_cancellable (task, FALSE);
  fetch = fetch_new ();
  g_task_set_task_data (task, fetch, fetch_free);
  if (self->state == STATE_BUSY)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "a fetch is already in flight on this connection");
      return;
    }
  if (self->state == STATE_CLOSED)
    {
      g_task_return_new_error (task, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_CLOSED,
                               "the connection to this source is closed");
      return;
    }
  fetch->request = build_request (self, request, &error);
  if (fetch->request == NULL)
    {
      g_task_return_new_error (task, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_PROTOCOL,
                               "cannot write the request: %s", error->message);
      return;
    }
  fetch->has_sha1 = request->sha1 != NULL;
  if (fetch->has_sha1)
    memcpy (fetch->sha1, request->sha1, SHOAL_SHA1_SIZE);
  fetch->start = request->start;
  fetch->end = request->end;
  fetch->file_size = request->file_size;
  fetch->fd = fd;
  fetch->progress = progress;
  fetch->progress_data = progress_data;
  fetch->chunk = g_malloc (READ_CHUNK_SIZE);
  fetch_start_watch (fetch, cancellable, g_task_get_context (task));

  if (self->state == STATE_UNCONNECTED)
    {
      self->state = STATE_BUSY;
      dial (task);
    }
  else
    {
      self->state = STATE_BUSY;
      send_request (task);
    }
}

gboolean
shoal_http_fetch_fetch_range_finish (ShoalHttpFetch        *self,
                                     GAsyncResult          *result,
                                     ShoalHttpFetchResult  *out,
                                     GError               **error)
{
  Fetch *fetch;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        shoal_http_fetch_fetch_range_async, FALSE);

  fetch = g_task_get_task_data (G_TASK (result));
  if (out != NULL)
    {
      *out = fetch->result;
      memset (&fetch->result, 0, sizeof fetch->result);
    }
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
shoal_http_fetch_set_rate_limit (ShoalHttpFetch *self,
                                 ShoalRateLimit *limit)
{
  g_return_if_fail (SHOAL_IS_HTTP_FETCH (self));

  if (limit != NULL)
    shoal_rate_limit_ref (limit);
  g_clear_pointer (&self->rate_limit, shoal_rate_limit_unref);
  self->rate_limit = limit;
}

gboolean
shoal_http_fetch_get_reusable (ShoalHttpFetch *self)
{
  g_return_val_if_fail (SHOAL_IS_HTTP_FETCH (self), FALSE);

  return self->state == STATE_UNCONNECTED || self->state == STATE_OPEN;
}

static void
on_stream_closed (GObject      *source,
                  GAsyncResult *res,
                  gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (source), res, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
shoal_http_fetch_close_async (ShoalHttpFetch      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GIOStream) stream = NULL;

  g_return_if_fail (SHOAL_IS_HTTP_FETCH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, shoal_http_fetch_close_async);
  if (self->state == STATE_BUSY)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "a fetch is in flight on this connection");
      return;
    }
  self->state = STATE_CLOSED;
  stream = g_steal_pointer (&self->stream);
  if (stream == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, cancellable, on_stream_closed,
                           g_steal_pointer (&task));
}

gboolean
shoal_http_fetch_close_finish (ShoalHttpFetch  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
