/* shoal-gwebcache.c — one GWebCache query: a minimal HTTP/1.1 GET over
 * GSocketClient (redirects, Content-Length, chunked bodies, limits) and
 * the reply's v2 and v1 lines. */
#include "shoal-gwebcache.h"

#include "shoal-handshake.h"
#include "shoal-net-types.h"
#include "shoal-proto-error.h"

#include <string.h>

/* How much one read asks for. */
#define READ_CHUNK_SIZE 8192
/* A chunk-size line or trailer line longer than this is not HTTP. */
#define CHUNK_LINE_MAX SHOAL_HEADER_MAX_LINE_LENGTH
#define CHUNK_TRAILER_MAX_LINES SHOAL_HEADER_MAX_LINES
#define HTTP_DEFAULT_PORT 80
/* How much of an ERROR line an error message quotes. */
#define ERROR_QUOTE_MAX 200

/* The reply ------------------------------------------------------------------ */

void
shoal_gwebcache_reply_free (ShoalGwebcacheReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->hosts, g_array_unref);
  g_clear_pointer (&reply->caches, g_ptr_array_unref);
  g_free (reply);
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Printable ASCII without blanks: what a URL in a reply may hold. */
static gboolean
is_url_text (const char *text,
             gsize       length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (text[i] <= ' ' || text[i] > '~')
        return FALSE;
    }
  return TRUE;
}

/* The field of a "X|field|…" line that starts at @field. */
static gsize
field_length (const char *field,
              gsize       available)
{
  const char *bar = memchr (field, '|', available);

  return bar != NULL ? (gsize) (bar - field) : available;
}

static gboolean
parse_host_field (const char          *field,
                  gsize                length,
                  ShoalGwebcacheReply *reply)
{
  ShoalIpv4Endpoint endpoint;

  if (!shoal_ipv4_endpoint_parse (field, length, &endpoint) || endpoint.port == 0)
    return FALSE;
  g_array_append_val (reply->hosts, endpoint);
  return TRUE;
}

static gboolean
parse_url_field (const char          *field,
                 gsize                length,
                 ShoalGwebcacheReply *reply)
{
  if (length > SHOAL_GWEBCACHE_MAX_URL_LENGTH || length <= strlen ("http://") ||
      g_ascii_strncasecmp (field, "http://", strlen ("http://")) != 0 ||
      !is_url_text (field, length))
    return FALSE;
  g_ptr_array_add (reply->caches, g_strndup (field, length));
  return TRUE;
}

/* One line without its end and surrounding blanks. FALSE with @error for
 * an ERROR line; otherwise the line was used or counted as skipped. */
static gboolean
parse_line (const char           *line,
            gsize                 length,
            ShoalGwebcacheReply  *reply,
            GError              **error)
{
  gboolean used;

  if (length == 0)
    return TRUE;
  if (length >= 5 && g_ascii_strncasecmp (line, "ERROR", 5) == 0)
    {
      g_autofree char *text = g_strndup (line, MIN (length, ERROR_QUOTE_MAX));

      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                   "the GWebCache answered '%s'", g_strcanon (text, G_CSET_a_2_z G_CSET_A_2_Z
                                                              G_CSET_DIGITS " :|._-/", '?'));
      return FALSE;
    }
  if (length >= 2 && line[1] == '|')
    {
      const char *field = line + 2;
      gsize available = length - 2;

      switch (g_ascii_tolower (line[0]))
        {
        case 'h':
          used = parse_host_field (field, field_length (field, available), reply);
          break;
        case 'u':
          used = parse_url_field (field, field_length (field, available), reply);
          break;
        case 'i':
          used = TRUE;
          break;
        default:
          used = FALSE;
          break;
        }
    }
  else
    used = parse_host_field (line, length, reply);  /* v1: a bare ip:port */
  if (!used)
    reply->skipped++;
  return TRUE;
}

ShoalGwebcacheReply *
shoal_gwebcache_parse_reply (const char  *body,
                             gsize        length,
                             GError     **error)
{
  g_autoptr(ShoalGwebcacheReply) reply = g_new0 (ShoalGwebcacheReply, 1);
  gsize start = 0;

  g_return_val_if_fail (body != NULL || length == 0, NULL);

  reply->hosts = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  reply->caches = g_ptr_array_new_with_free_func (g_free);
  while (start < length)
    {
      gsize end = start;
      gsize first = start;
      gsize last;

      while (end < length && body[end] != '\n' && body[end] != '\r')
        end++;
      last = end;
      while (first < last && is_blank (body[first]))
        first++;
      while (last > first && is_blank (body[last - 1]))
        last--;
      if (!parse_line (body + first, last - first, reply, error))
        return NULL;
      /* CR LF is one line end. */
      if (end + 1 < length && body[end] == '\r' && body[end + 1] == '\n')
        end++;
      start = end + 1;
    }
  return g_steal_pointer (&reply);
}

/* Chunked bodies ---------------------------------------------------------------- */

typedef enum
{
  CHUNK_SIZE,      /* reading "hex-size[;extensions]" */
  CHUNK_DATA,
  CHUNK_DATA_END,  /* the line end after a chunk's data */
  CHUNK_TRAILER,   /* after the last chunk, up to a blank line */
  CHUNK_DONE,
} ChunkState;

typedef struct
{
  ChunkState  state;
  guint64     remaining;      /* CHUNK_DATA: bytes left in this chunk */
  GByteArray *line;
  guint       trailer_lines;
} ChunkDecoder;

static gboolean
chunk_parse_size (const GByteArray  *line,
                  gsize              body_length,
                  guint64           *size,
                  GError           **error)
{
  g_autofree char *text = g_strndup ((const char *) line->data, line->len);
  char *extensions = strchr (text, ';');

  if (extensions != NULL)
    *extensions = '\0';
  g_strstrip (text);
  if (!g_ascii_string_to_unsigned (text, 16, 0, G_MAXUINT64, size, NULL))
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "bad chunk size line in the chunked body");
      return FALSE;
    }
  if (*size > SHOAL_GWEBCACHE_MAX_BODY_SIZE - body_length)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE,
                   "the body is larger than %d bytes", SHOAL_GWEBCACHE_MAX_BODY_SIZE);
      return FALSE;
    }
  return TRUE;
}

/* A whole line (its LF dropped) arrived in a state that reads lines. */
static gboolean
chunk_end_line (ChunkDecoder  *decoder,
                gsize          body_length,
                GError       **error)
{
  GByteArray *line = decoder->line;

  if (line->len > 0 && line->data[line->len - 1] == '\r')
    g_byte_array_set_size (line, line->len - 1);
  switch (decoder->state)
    {
    case CHUNK_SIZE:
      if (!chunk_parse_size (line, body_length, &decoder->remaining, error))
        return FALSE;
      decoder->state = decoder->remaining == 0 ? CHUNK_TRAILER : CHUNK_DATA;
      break;
    case CHUNK_DATA_END:
      if (line->len != 0)
        {
          g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                       "a chunk holds more data than its size says");
          return FALSE;
        }
      decoder->state = CHUNK_SIZE;
      break;
    case CHUNK_TRAILER:
      if (line->len == 0)
        decoder->state = CHUNK_DONE;
      else if (++decoder->trailer_lines > CHUNK_TRAILER_MAX_LINES)
        {
          g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE,
                       "more than %d trailer lines after the chunked body",
                       CHUNK_TRAILER_MAX_LINES);
          return FALSE;
        }
      break;
    case CHUNK_DATA:
    case CHUNK_DONE:
      g_assert_not_reached ();
    }
  g_byte_array_set_size (line, 0);
  return TRUE;
}

/* Decodes @length bytes of chunked body into @body; bytes after the last
 * chunk's trailer are ignored. */
static gboolean
chunk_feed (ChunkDecoder  *decoder,
            const guint8  *data,
            gsize          length,
            GByteArray    *body,
            GError       **error)
{
  gsize i = 0;

  while (i < length && decoder->state != CHUNK_DONE)
    {
      if (decoder->state == CHUNK_DATA)
        {
          gsize take = (gsize) MIN (decoder->remaining, (guint64) (length - i));

          g_byte_array_append (body, data + i, (guint) take);
          i += take;
          decoder->remaining -= take;
          if (decoder->remaining == 0)
            decoder->state = CHUNK_DATA_END;
          continue;
        }
      if (data[i] == '\n')
        {
          i++;
          if (!chunk_end_line (decoder, body->len, error))
            return FALSE;
          continue;
        }
      if (decoder->line->len >= CHUNK_LINE_MAX)
        {
          g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                       "a chunked body line is longer than %d bytes", CHUNK_LINE_MAX);
          return FALSE;
        }
      g_byte_array_append (decoder->line, data + i, 1);
      i++;
    }
  return TRUE;
}

/* The request ----------------------------------------------------------------- */

typedef enum
{
  BODY_LENGTH,   /* Content-Length bytes */
  BODY_CHUNKED,
  BODY_TO_EOF,   /* until the server closes */
} BodyMode;

typedef struct
{
  char              *url;             /* the URL asked now */
  gboolean           add_parameters;  /* append get=1&net=gnutella… to @url */
  guint              redirects;
  guint              timeout_ms;
  GSocketClient     *client;
  GSocketConnection *connection;
  GBytes            *request;         /* the request head being written */
  GCancellable      *cancellable;     /* cancelled by the timeout and by the caller's */
  GCancellable      *caller_cancellable;
  gulong             caller_handler;
  GSource           *timeout_source;
  gboolean           timed_out;
  guint8            *read_buffer;
  GByteArray        *head;            /* reply bytes until the head is complete */
  gboolean           head_done;
  BodyMode           body_mode;
  guint64            content_length;
  ChunkDecoder       chunks;
  GByteArray        *body;
} Fetch;

static void
reset_response (Fetch *fetch)
{
  g_clear_object (&fetch->connection);
  g_byte_array_set_size (fetch->head, 0);
  g_byte_array_set_size (fetch->body, 0);
  g_byte_array_set_size (fetch->chunks.line, 0);
  fetch->head_done = FALSE;
  fetch->chunks.state = CHUNK_SIZE;
  fetch->chunks.remaining = 0;
  fetch->chunks.trailer_lines = 0;
}

static void
stop_timeout (Fetch *fetch)
{
  if (fetch->timeout_source == NULL)
    return;
  g_source_destroy (fetch->timeout_source);
  g_clear_pointer (&fetch->timeout_source, g_source_unref);
}

static void
fetch_free (gpointer pointer)
{
  Fetch *fetch = pointer;

  stop_timeout (fetch);
  if (fetch->caller_cancellable != NULL)
    g_cancellable_disconnect (fetch->caller_cancellable, fetch->caller_handler);
  g_clear_object (&fetch->caller_cancellable);
  g_free (fetch->url);
  g_clear_object (&fetch->client);
  g_clear_object (&fetch->connection);
  g_clear_pointer (&fetch->request, g_bytes_unref);
  g_clear_object (&fetch->cancellable);
  g_free (fetch->read_buffer);
  g_byte_array_unref (fetch->head);
  g_byte_array_unref (fetch->chunks.line);
  g_byte_array_unref (fetch->body);
  g_free (fetch);
}

/* Ends the query with @error, said in terms of the URL; a cancellation our
 * timer caused is a TIMEOUT. */
static void
fetch_fail (GTask  *task,
            GError *error)
{
  Fetch *fetch = g_task_get_task_data (task);

  stop_timeout (fetch);
  if (fetch->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT,
                           "no whole reply in %u ms", fetch->timeout_ms);
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, "GWebCache %s: ", fetch->url);
  g_task_return_error (task, error);
}

static void
fetch_fail_with (GTask        *task,
                 ShoalNetError code,
                 const GError *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    fetch_fail (task, g_error_copy (cause));
  else
    fetch_fail (task, g_error_new_literal (SHOAL_NET_ERROR, code, cause->message));
}

static void
fetch_succeed (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  ShoalGwebcacheReply *reply = shoal_gwebcache_parse_reply ((const char *) fetch->body->data,
                                                            fetch->body->len, &error);

  if (reply == NULL)
    {
      fetch_fail (task, error);
      return;
    }
  g_debug ("GWebCache %s gave %u hosts and %u caches (%u lines skipped)",
           fetch->url, reply->hosts->len, reply->caches->len, reply->skipped);
  stop_timeout (fetch);
  g_task_return_pointer (task, reply, (GDestroyNotify) shoal_gwebcache_reply_free);
}

static void start_request (GTask *task);
static void read_more (GTask *task);

/* The head -------------------------------------------------------------------- */

/* A coding other than none: we send no Accept-Encoding, so one we cannot
 * undo (gzip, chunked after gzip) is refused rather than misread. */
static gboolean
is_coded (const char *value)
{
  return value != NULL && g_ascii_strcasecmp (value, "identity") != 0;
}

static gboolean
choose_body_mode (Fetch                   *fetch,
                  const ShoalHeaderBlock  *head,
                  GError                 **error)
{
  const char *transfer_coding = shoal_header_block_get (head, "Transfer-Encoding");
  const char *content_coding = shoal_header_block_get (head, "Content-Encoding");
  const char *length = shoal_header_block_get (head, "Content-Length");

  if (is_coded (content_coding) ||
      (is_coded (transfer_coding) && g_ascii_strcasecmp (transfer_coding, "chunked") != 0))
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "unsupported encoding '%s'",
                   is_coded (content_coding) ? content_coding : transfer_coding);
      return FALSE;
    }
  if (is_coded (transfer_coding))
    {
      fetch->body_mode = BODY_CHUNKED;
      return TRUE;
    }
  if (length == NULL)
    {
      fetch->body_mode = BODY_TO_EOF;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (length, 10, 0, G_MAXUINT64, &fetch->content_length, NULL))
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "bad Content-Length '%s'", length);
      return FALSE;
    }
  if (fetch->content_length > SHOAL_GWEBCACHE_MAX_BODY_SIZE)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE,
                   "a body of %" G_GUINT64_FORMAT " bytes is larger than %d",
                   fetch->content_length, SHOAL_GWEBCACHE_MAX_BODY_SIZE);
      return FALSE;
    }
  fetch->body_mode = BODY_LENGTH;
  return TRUE;
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Points @fetch at the Location of a redirect. */
static gboolean
follow_redirect (Fetch                   *fetch,
                 const ShoalHeaderBlock  *head,
                 GError                 **error)
{
  const char *location = shoal_header_block_get (head, "Location");
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) target = NULL;

  if (location == NULL)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "HTTP %u redirect without a Location", head->status_code);
      return FALSE;
    }
  if (fetch->redirects >= SHOAL_GWEBCACHE_MAX_REDIRECTS)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "more than %d redirects", SHOAL_GWEBCACHE_MAX_REDIRECTS);
      return FALSE;
    }
  base = g_uri_parse (fetch->url, G_URI_FLAGS_ENCODED, NULL);
  target = base != NULL ? g_uri_parse_relative (base, location, G_URI_FLAGS_ENCODED, NULL) : NULL;
  if (target == NULL)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "redirect to an unusable Location '%s'", location);
      return FALSE;
    }
  g_debug ("GWebCache %s redirects to %s", fetch->url, location);
  g_free (fetch->url);
  fetch->url = g_uri_to_string (target);
  fetch->add_parameters = g_uri_get_query (target) == NULL;
  fetch->redirects++;
  return TRUE;
}

/* FALSE with @error when the query ends here; *restarted when it goes on
 * at a redirect's Location. */
static gboolean
handle_head (Fetch                   *fetch,
             const ShoalHeaderBlock  *head,
             gboolean                *restarted,
             GError                 **error)
{
  *restarted = FALSE;
  if (head->kind != SHOAL_HEADER_BLOCK_HTTP_STATUS)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL, "the reply is not HTTP");
      return FALSE;
    }
  if (is_redirect (head->status_code))
    {
      *restarted = follow_redirect (fetch, head, error);
      return *restarted;
    }
  if (head->status_code < 200 || head->status_code > 299)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                   "HTTP %u %s", head->status_code, head->reason);
      return FALSE;
    }
  return choose_body_mode (fetch, head, error);
}

/* The body ------------------------------------------------------------------- */

static gboolean
append_body (Fetch         *fetch,
             const guint8  *data,
             gsize          length,
             GError       **error)
{
  if (fetch->body_mode == BODY_CHUNKED)
    return chunk_feed (&fetch->chunks, data, length, fetch->body, error);
  if (fetch->body_mode == BODY_LENGTH)
    length = (gsize) MIN ((guint64) length, fetch->content_length - fetch->body->len);
  if (length > SHOAL_GWEBCACHE_MAX_BODY_SIZE - fetch->body->len)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE,
                   "the body is larger than %d bytes", SHOAL_GWEBCACHE_MAX_BODY_SIZE);
      return FALSE;
    }
  g_byte_array_append (fetch->body, data, (guint) length);
  return TRUE;
}

static gboolean
body_complete (Fetch *fetch)
{
  return (fetch->body_mode == BODY_LENGTH && fetch->body->len == fetch->content_length) ||
         (fetch->body_mode == BODY_CHUNKED && fetch->chunks.state == CHUNK_DONE);
}

/* The head is complete once its blank line arrived: the bytes after it
 * start the body. */
static gboolean
take_head (Fetch     *fetch,
           gboolean  *restarted,
           GError   **error)
{
  g_autoptr(GError) scan_error = NULL;
  g_autoptr(ShoalHeaderBlock) head = NULL;
  gsize end = 0;

  *restarted = FALSE;
  switch (shoal_header_block_find_end (fetch->head->data, fetch->head->len, &end, &scan_error))
    {
    case SHOAL_HEADER_SCAN_NEED_MORE:
      return TRUE;
    case SHOAL_HEADER_SCAN_ERROR:
      g_set_error (error, SHOAL_NET_ERROR,
                   g_error_matches (scan_error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE)
                   ? SHOAL_NET_ERROR_TOO_LARGE : SHOAL_NET_ERROR_PROTOCOL,
                   "bad reply head: %s", scan_error->message);
      return FALSE;
    case SHOAL_HEADER_SCAN_COMPLETE:
      break;
    }
  head = shoal_header_block_parse (fetch->head->data, end, &scan_error);
  if (head == NULL)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                   "bad reply head: %s", scan_error->message);
      return FALSE;
    }
  if (!handle_head (fetch, head, restarted, error))
    return FALSE;
  if (*restarted)
    return TRUE;
  fetch->head_done = TRUE;
  return append_body (fetch, fetch->head->data + end, fetch->head->len - end, error);
}

static void
handle_end_of_stream (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);

  if (fetch->head_done && (fetch->body_mode == BODY_TO_EOF || body_complete (fetch)))
    {
      fetch_succeed (task);
      return;
    }
  if (!fetch->head_done)
    fetch_fail (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                                   "closed before the end of the reply head"));
  else
    fetch_fail (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                                   "closed after %u bytes of the body, before its end",
                                   fetch->body->len));
}

static void
handle_bytes (GTask *task,
              gsize  length)
{
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean restarted = FALSE;
  gboolean ok;

  if (fetch->head_done)
    ok = append_body (fetch, fetch->read_buffer, length, &error);
  else
    {
      g_byte_array_append (fetch->head, fetch->read_buffer, (guint) length);
      ok = take_head (fetch, &restarted, &error);
    }
  if (!ok)
    fetch_fail (task, error);
  else if (restarted)
    start_request (task);
  else if (fetch->head_done && body_complete (fetch))
    fetch_succeed (task);
  else
    read_more (task);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gssize length = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (length < 0)
    fetch_fail_with (task, SHOAL_NET_ERROR_CLOSED, error);
  else if (length == 0)
    handle_end_of_stream (task);
  else
    handle_bytes (task, (gsize) length);
}

static void
read_more (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (fetch->connection));

  g_input_stream_read_async (input, fetch->read_buffer, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                             fetch->cancellable, on_read, g_object_ref (task));
}

/* Connecting and asking --------------------------------------------------------- */

static GBytes *
build_request (GUri    *uri,
               gboolean add_parameters,
               GError **error)
{
  g_autofree char *version = g_uri_escape_string (PACKAGE_VERSION, NULL, FALSE);
  g_autofree char *parameters = g_strdup_printf ("get=1&net=gnutella&client=%s&version=%s",
                                                 SHOAL_GWEBCACHE_CLIENT, version);
  const char *path = *g_uri_get_path (uri) != '\0' ? g_uri_get_path (uri) : "/";
  const char *query = g_uri_get_query (uri);
  const char *host = g_uri_get_host (uri);
  g_autofree char *target = NULL;
  g_autofree char *host_header = NULL;
  g_autoptr(ShoalHeaderBlock) request = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  if (add_parameters)
    target = g_strdup_printf ("%s?%s%s%s", path, query != NULL ? query : "",
                              query != NULL ? "&" : "", parameters);
  else
    target = query != NULL ? g_strdup_printf ("%s?%s", path, query) : g_strdup (path);
  host_header = g_strdup_printf (strchr (host, ':') != NULL ? "[%s]" : "%s", host);
  if (g_uri_get_port (uri) > 0 && g_uri_get_port (uri) != HTTP_DEFAULT_PORT)
    {
      char *with_port = g_strdup_printf ("%s:%d", host_header, g_uri_get_port (uri));

      g_free (host_header);
      host_header = with_port;
    }
  request = shoal_header_block_new_http_request ("GET", target, 1, 1);
  shoal_header_block_add (request, "Host", host_header);
  shoal_header_block_add (request, "User-Agent", SHOAL_USER_AGENT);
  shoal_header_block_add (request, "Connection", "close");
  if (!shoal_header_block_write (request, bytes, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

static void
on_request_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fetch_fail_with (task, SHOAL_NET_ERROR_CLOSED, error);
      return;
    }
  read_more (task);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (fetch->url, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GBytes) request = NULL;
  GOutputStream *output;
  gsize length;
  const void *data;

  fetch->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (fetch->connection == NULL)
    {
      fetch_fail_with (task, SHOAL_NET_ERROR_UNREACHABLE, error);
      return;
    }
  request = build_request (uri, fetch->add_parameters, &error);
  if (request == NULL)
    {
      fetch_fail_with (task, SHOAL_NET_ERROR_UNREACHABLE, error);
      return;
    }
  /* Written from there: it must live until the write completes. */
  g_clear_pointer (&fetch->request, g_bytes_unref);
  fetch->request = g_steal_pointer (&request);
  data = g_bytes_get_data (fetch->request, &length);
  output = g_io_stream_get_output_stream (G_IO_STREAM (fetch->connection));
  g_output_stream_write_all_async (output, data, length, G_PRIORITY_DEFAULT, fetch->cancellable,
                                   on_request_written, g_object_ref (task));
}

/* The URL parts a request needs, or an UNREACHABLE error. */
static GSocketConnectable *
connectable_for (const char  *url,
                 GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE, "not a usable URL");
      return NULL;
    }
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0)
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                   "only http:// GWebCaches are supported");
      return NULL;
    }
  return g_network_address_new (g_uri_get_host (uri),
                                g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : HTTP_DEFAULT_PORT);
}

static void
start_request (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GSocketConnectable) connectable = connectable_for (fetch->url, &error);

  if (connectable == NULL)
    {
      fetch_fail (task, error);
      return;
    }
  reset_response (fetch);
  g_socket_client_connect_async (fetch->client, connectable, fetch->cancellable,
                                 on_connected, g_object_ref (task));
}

static gboolean
on_timeout (gpointer user_data)
{
  Fetch *fetch = user_data;

  fetch->timed_out = TRUE;
  g_cancellable_cancel (fetch->cancellable);
  g_clear_pointer (&fetch->timeout_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Public API --------------------------------------------------------------------- */

void
shoal_gwebcache_query_async (const char          *url,
                             guint                timeout_ms,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Fetch *fetch;

  g_return_if_fail (url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, shoal_gwebcache_query_async);
  fetch = g_new0 (Fetch, 1);
  g_task_set_task_data (task, fetch, fetch_free);
  fetch->url = g_strdup (url);
  fetch->add_parameters = TRUE;
  fetch->timeout_ms = timeout_ms != 0 ? timeout_ms : SHOAL_GWEBCACHE_DEFAULT_TIMEOUT_MS;
  fetch->client = g_socket_client_new ();
  /* A proxy from the environment would see every cache we ask. */
  g_socket_client_set_enable_proxy (fetch->client, FALSE);
  fetch->cancellable = g_cancellable_new ();
  fetch->read_buffer = g_malloc (READ_CHUNK_SIZE);
  fetch->head = g_byte_array_new ();
  fetch->body = g_byte_array_new ();
  fetch->chunks.line = g_byte_array_new ();
  if (cancellable != NULL)
    {
      fetch->caller_cancellable = g_object_ref (cancellable);
      fetch->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                     g_object_ref (fetch->cancellable),
                                                     g_object_unref);
    }
  fetch->timeout_source = g_timeout_source_new (fetch->timeout_ms);
  g_source_set_callback (fetch->timeout_source, on_timeout, fetch, NULL);
  g_source_attach (fetch->timeout_source, g_task_get_context (task));
  start_request (task);
}

ShoalGwebcacheReply *
shoal_gwebcache_query_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
