/* shoalctl-client.c — one request to shoald's control API: plain HTTP/1.1
 * over a blocking GIO connection, answered as parsed JSON or a GError. */
#include "shoalctl-client.h"

#include <stdlib.h>
#include <string.h>

#include "shoald-api-token.h"

#define DEFAULT_TIMEOUT_S 10
#define HTTP_SCHEME "http"
#define HTTP_DEFAULT_PORT 80
#define USER_AGENT "shoalctl/" PACKAGE_VERSION
#define STATUS_NO_CONTENT 204
#define STATUS_NOT_MODIFIED 304
#define STATUS_SUCCESS_MIN 200
#define STATUS_SUCCESS_MAX 299
#define STATUS_CODE_DIGITS 3
/* The API's answers are small; beyond these limits whoever answers is
 * not shoald, or is broken, and we stop reading. */
#define MAX_HEAD_BYTES (64 * 1024)
#define MAX_BODY_BYTES (64 * 1024 * 1024)
#define READ_CHUNK_BYTES 16384
#define CHUNK_SIZE_BASE 16

struct _ShoalctlClient
{
  char    *url;          /* the base URL, for messages */
  char    *host;
  guint16  port;
  char    *host_header;  /* host:port as the Host header writes it */
  char    *path_prefix;  /* the base URL's path, without a final "/" */
  char    *token;
  guint    timeout_s;
};

typedef struct
{
  guint       status;
  char       *reason;
  GByteArray *body;
} Response;

/* How the body of an answer is delimited. */
typedef struct
{
  gboolean chunked;
  gint64   content_length;  /* -1: up to the end of the stream */
} BodyFraming;

G_DEFINE_QUARK (shoalctl-client-error-quark, shoalctl_client_error)

static void
response_free (Response *response)
{
  g_free (response->reason);
  g_byte_array_unref (response->body);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

/* Setup ---------------------------------------------------------------------- */

static char *
read_endpoint (const char  *data_dir,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *url = shoald_api_endpoint_read (data_dir, &local_error);

  if (url != NULL)
    return url;
  if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_set_error (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_NOT_RUNNING,
                 "shoald is not running (no API at %s)", data_dir);
  else
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot read where the API is: ");
  return NULL;
}

static gboolean
parse_url (ShoalctlClient  *client,
           const char      *url,
           GError         **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (uri == NULL || g_ascii_strcasecmp (g_uri_get_scheme (uri), HTTP_SCHEME) != 0 ||
      host == NULL || *host == '\0' || g_uri_get_query (uri) != NULL)
    {
      g_set_error (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_PROTOCOL,
                   "“%s” is not an " HTTP_SCHEME ":// URL of the API", url);
      return FALSE;
    }
  client->url = g_strdup (url);
  client->host = g_strdup (host);
  client->port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : HTTP_DEFAULT_PORT;
  /* An IPv6 address is written in brackets, where a port may follow. */
  client->host_header = strchr (host, ':') != NULL ?
                        g_strdup_printf ("[%s]:%u", host, client->port) :
                        g_strdup_printf ("%s:%u", host, client->port);
  client->path_prefix = g_strdup (g_uri_get_path (uri));
  if (g_str_has_suffix (client->path_prefix, "/"))
    client->path_prefix[strlen (client->path_prefix) - 1] = '\0';
  return TRUE;
}

static gboolean
load_token (ShoalctlClient  *client,
            const char      *data_dir,
            GError         **error)
{
  g_autoptr(GError) local_error = NULL;

  client->token = shoald_api_token_load (data_dir, &local_error);
  if (client->token != NULL)
    return TRUE;
  g_set_error (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_NO_TOKEN,
               "cannot read the API token: %s", local_error->message);
  return FALSE;
}

ShoalctlClient *
shoalctl_client_new (const char  *data_dir,
                     const char  *url,
                     GError     **error)
{
  g_autoptr(ShoalctlClient) client = g_new0 (ShoalctlClient, 1);
  g_autofree char *endpoint = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  client->timeout_s = DEFAULT_TIMEOUT_S;
  if (url == NULL)
    {
      endpoint = read_endpoint (data_dir, error);
      if (endpoint == NULL)
        return NULL;
      url = endpoint;
    }
  if (!parse_url (client, url, error) || !load_token (client, data_dir, error))
    return NULL;
  return g_steal_pointer (&client);
}

void
shoalctl_client_free (ShoalctlClient *client)
{
  if (client == NULL)
    return;
  g_free (client->url);
  g_free (client->host);
  g_free (client->host_header);
  g_free (client->path_prefix);
  /* The token is a secret: it should not linger in freed memory. */
  if (client->token != NULL)
    explicit_bzero (client->token, strlen (client->token));
  g_free (client->token);
  g_free (client);
}

void
shoalctl_client_set_timeout (ShoalctlClient *client,
                             guint           seconds)
{
  g_return_if_fail (seconds > 0);
  client->timeout_s = seconds;
}

/* Sending ---------------------------------------------------------------------- */

static GSocketConnection *
connect_to_api (ShoalctlClient  *client,
                GError         **error)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = g_network_address_new (client->host, client->port);
  g_autoptr(GError) local_error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (socket_client, client->timeout_s);
  /* The API is local: a proxy from the environment would only leak the token. */
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  connection = g_socket_client_connect (socket_client, address, NULL, &local_error);
  if (connection != NULL)
    return connection;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    g_set_error (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_NOT_RUNNING,
                 "shoald is not running: cannot connect to %s: %s", client->url, local_error->message);
  else
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "cannot connect to %s: ", client->url);
  return NULL;
}

static gboolean
changes_state (const char *method)
{
  return g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0;
}

static GString *
format_request (ShoalctlClient *client,
                const char     *method,
                const char     *path,
                const char     *body)
{
  GString *request = g_string_new (NULL);

  g_string_append_printf (request, "%s %s%s HTTP/1.1\r\n", method, client->path_prefix, path);
  g_string_append_printf (request, "Host: %s\r\n", client->host_header);
  g_string_append_printf (request, "Authorization: Bearer %s\r\n", client->token);
  g_string_append (request, "User-Agent: " USER_AGENT "\r\n");
  g_string_append (request, "Accept: application/json\r\n");
  g_string_append (request, "Connection: close\r\n");
  if (changes_state (method))
    g_string_append (request, "X-Shoal-Request: 1\r\n");
  if (body != NULL)
    {
      g_string_append (request, "Content-Type: application/json\r\n");
      g_string_append_printf (request, "Content-Length: %" G_GSIZE_FORMAT "\r\n", strlen (body));
    }
  g_string_append (request, "\r\n");
  if (body != NULL)
    g_string_append (request, body);
  return request;
}

/* Receiving -------------------------------------------------------------------- */

static void
set_protocol_error (GError         **error,
                    ShoalctlClient  *client,
                    const char      *what)
{
  g_set_error (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_PROTOCOL,
               "%s does not answer as shoald's API: %s", client->url, what);
}

/* One line of the head, without its CR LF; NULL at the end of the
 * stream (an error then) or past the head's limit. */
static char *
read_head_line (ShoalctlClient    *client,
                GDataInputStream  *input,
                gsize             *head_bytes,
                GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  char *line = g_data_input_stream_read_line (input, &length, NULL, &local_error);

  if (line == NULL && local_error != NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot read the answer of %s: ", client->url);
  else if (line == NULL)
    set_protocol_error (error, client, "the answer ends early");
  else if ((*head_bytes += length) > MAX_HEAD_BYTES)
    {
      set_protocol_error (error, client, "the answer's head is too long");
      g_clear_pointer (&line, g_free);
    }
  if (line != NULL && length > 0 && line[length - 1] == '\r')
    line[length - 1] = '\0';
  return line;
}

/* "HTTP/1.1 200 OK" */
static gboolean
parse_status_line (ShoalctlClient  *client,
                   const char      *line,
                   Response        *response,
                   GError         **error)
{
  const char *code = line + strlen ("HTTP/1.x ");

  if (!g_str_has_prefix (line, "HTTP/1.") || strlen (line) < strlen ("HTTP/1.x 200") ||
      line[strlen ("HTTP/1.x")] != ' ' || !g_ascii_isdigit (code[0]) ||
      !g_ascii_isdigit (code[1]) || !g_ascii_isdigit (code[2]))
    {
      set_protocol_error (error, client, "no HTTP status line");
      return FALSE;
    }
  response->status = (guint) g_ascii_strtoull (code, NULL, 10);
  response->reason = g_strstrip (g_strdup (code + STATUS_CODE_DIGITS));
  return TRUE;
}

static gboolean
parse_header (ShoalctlClient  *client,
              const char      *line,
              BodyFraming     *framing,
              GError         **error)
{
  const char *colon = strchr (line, ':');
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;

  if (colon == NULL)
    {
      set_protocol_error (error, client, "a header line without a colon");
      return FALSE;
    }
  name = g_strndup (line, colon - line);
  value = g_strstrip (g_strdup (colon + 1));
  if (g_ascii_strcasecmp (name, "Content-Length") == 0)
    {
      guint64 length;

      if (!g_ascii_string_to_unsigned (value, 10, 0, MAX_BODY_BYTES, &length, NULL))
        {
          set_protocol_error (error, client, "a bad or too large Content-Length");
          return FALSE;
        }
      framing->content_length = (gint64) length;
    }
  else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
    framing->chunked = g_ascii_strcasecmp (value, "chunked") == 0;
  return TRUE;
}

static gboolean
read_head (ShoalctlClient    *client,
           GDataInputStream  *input,
           Response          *response,
           BodyFraming       *framing,
           GError           **error)
{
  gsize head_bytes = 0;
  g_autofree char *status_line = read_head_line (client, input, &head_bytes, error);

  if (status_line == NULL || !parse_status_line (client, status_line, response, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *line = read_head_line (client, input, &head_bytes, error);

      if (line == NULL)
        return FALSE;
      if (*line == '\0')
        return TRUE;
      if (!parse_header (client, line, framing, error))
        return FALSE;
    }
}

static gboolean
read_exactly (ShoalctlClient  *client,
              GInputStream    *input,
              gsize            length,
              GByteArray      *body,
              GError         **error)
{
  guint old_length = body->len;
  gsize got = 0;

  if (body->len + length > MAX_BODY_BYTES)
    {
      set_protocol_error (error, client, "the answer is too large");
      return FALSE;
    }
  g_byte_array_set_size (body, old_length + length);
  if (!g_input_stream_read_all (input, body->data + old_length, length, &got, NULL, error))
    {
      g_prefix_error (error, "cannot read the answer of %s: ", client->url);
      return FALSE;
    }
  if (got < length)
    {
      set_protocol_error (error, client, "the answer ends early");
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_to_end (ShoalctlClient  *client,
             GInputStream    *input,
             GByteArray      *body,
             GError         **error)
{
  guint8 chunk[READ_CHUNK_BYTES];
  gssize got;

  while ((got = g_input_stream_read (input, chunk, sizeof chunk, NULL, error)) > 0)
    {
      if (body->len + got > MAX_BODY_BYTES)
        {
          set_protocol_error (error, client, "the answer is too large");
          return FALSE;
        }
      g_byte_array_append (body, chunk, got);
    }
  if (got < 0)
    g_prefix_error (error, "cannot read the answer of %s: ", client->url);
  return got == 0;
}

/* Chunks: a hexadecimal size line, that many bytes and CR LF, until a
 * size of 0; then trailer lines up to an empty one. */
static gboolean
read_chunked (ShoalctlClient    *client,
              GDataInputStream  *input,
              GByteArray        *body,
              GError           **error)
{
  gsize head_bytes = 0;

  for (;;)
    {
      g_autofree char *size_line = read_head_line (client, input, &head_bytes, error);
      g_autofree char *end_line = NULL;
      guint64 size;

      if (size_line == NULL)
        return FALSE;
      /* Chunk extensions follow a ";": none is ours to read. */
      size_line[strcspn (size_line, "; \t")] = '\0';
      if (!g_ascii_string_to_unsigned (size_line, CHUNK_SIZE_BASE, 0, MAX_BODY_BYTES, &size, NULL))
        {
          set_protocol_error (error, client, "a bad chunk size");
          return FALSE;
        }
      if (size == 0)
        break;
      if (!read_exactly (client, G_INPUT_STREAM (input), size, body, error))
        return FALSE;
      end_line = read_head_line (client, input, &head_bytes, error);
      if (end_line == NULL)
        return FALSE;
    }
  for (;;)
    {
      g_autofree char *trailer = read_head_line (client, input, &head_bytes, error);

      if (trailer == NULL)
        return FALSE;
      if (*trailer == '\0')
        return TRUE;
    }
}

static gboolean
has_body (guint status)
{
  return status >= STATUS_SUCCESS_MIN && status != STATUS_NO_CONTENT && status != STATUS_NOT_MODIFIED;
}

static Response *
read_response (ShoalctlClient  *client,
               GInputStream    *stream,
               GError         **error)
{
  g_autoptr(GDataInputStream) input = g_data_input_stream_new (stream);
  g_autoptr(Response) response = g_new0 (Response, 1);
  BodyFraming framing = { FALSE, -1 };
  gboolean ok;

  g_data_input_stream_set_newline_type (input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  response->body = g_byte_array_new ();
  if (!read_head (client, input, response, &framing, error))
    return NULL;
  if (!has_body (response->status))
    ok = TRUE;
  else if (framing.chunked)
    ok = read_chunked (client, input, response->body, error);
  else if (framing.content_length >= 0)
    ok = read_exactly (client, G_INPUT_STREAM (input), framing.content_length, response->body, error);
  else
    ok = read_to_end (client, G_INPUT_STREAM (input), response->body, error);
  return ok ? g_steal_pointer (&response) : NULL;
}

static Response *
exchange (ShoalctlClient  *client,
          const char      *method,
          const char      *path,
          const char      *body,
          GError         **error)
{
  g_autoptr(GSocketConnection) connection = connect_to_api (client, error);
  g_autoptr(GString) request = NULL;
  GOutputStream *output;

  if (connection == NULL)
    return NULL;
  request = format_request (client, method, path, body);
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  if (!g_output_stream_write_all (output, request->str, request->len, NULL, NULL, error))
    {
      g_prefix_error (error, "cannot send a request to %s: ", client->url);
      return NULL;
    }
  return read_response (client, g_io_stream_get_input_stream (G_IO_STREAM (connection)), error);
}

/* Answers ---------------------------------------------------------------------- */

static JsonNode *
parse_json (const GByteArray *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, (const char *) body->data, body->len, NULL))
    return NULL;
  return json_parser_steal_root (parser);
}

/* {"error": {"code": "...", "message": "..."}}, or the status when the
 * body is no API error. */
static void
set_api_error (ShoalctlClient  *client,
               const Response  *response,
               GError         **error)
{
  g_autoptr(JsonNode) root = parse_json (response->body);
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *api_error = object != NULL ? json_object_get_member (object, "error") : NULL;
  JsonNode *message = api_error != NULL && JSON_NODE_HOLDS_OBJECT (api_error) ?
                      json_object_get_member (json_node_get_object (api_error), "message") : NULL;

  if (message != NULL && json_node_get_value_type (message) == G_TYPE_STRING)
    g_set_error_literal (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_API,
                         json_node_get_string (message));
  else
    g_set_error (error, SHOALCTL_CLIENT_ERROR, SHOALCTL_CLIENT_ERROR_API,
                 "%s answered %u %s", client->url, response->status, response->reason);
}

static gboolean
is_success (const Response *response)
{
  return response->status >= STATUS_SUCCESS_MIN && response->status <= STATUS_SUCCESS_MAX;
}

JsonNode *
shoalctl_client_call (ShoalctlClient  *client,
                      const char      *method,
                      const char      *path,
                      JsonNode        *body,
                      guint           *status,
                      GError         **error)
{
  g_autofree char *body_text = NULL;
  g_autoptr(Response) response = NULL;
  JsonNode *answer;

  if (body != NULL)
    body_text = json_to_string (body, FALSE);
  else if (changes_state (method) && g_strcmp0 (method, "DELETE") != 0)
    body_text = g_strdup ("{}");  /* bodies are JSON objects, even empty ones */
  response = exchange (client, method, path, body_text, error);
  if (response == NULL)
    return NULL;
  if (status != NULL)
    *status = response->status;
  if (!is_success (response))
    {
      set_api_error (client, response, error);
      return NULL;
    }
  if (response->body->len == 0)
    return json_node_new (JSON_NODE_NULL);
  answer = parse_json (response->body);
  if (answer == NULL)
    set_protocol_error (error, client, "the answer is not JSON");
  return answer;
}

char *
shoalctl_client_get_text (ShoalctlClient  *client,
                          const char      *path,
                          GError         **error)
{
  g_autoptr(Response) response = exchange (client, "GET", path, NULL, error);

  if (response == NULL)
    return NULL;
  if (!is_success (response))
    {
      set_api_error (client, response, error);
      return NULL;
    }
  return g_utf8_make_valid ((const char *) response->body->data, response->body->len);
}
