/* shoal-test-http.c — a blocking HTTP/1.1 client for tests. */
#include "shoal-test-http.h"

#include <string.h>

#define TEST_HTTP_HOST "127.0.0.1"
/* A server that neither answers nor closes fails the test instead of
 * hanging it. */
#define TEST_HTTP_IO_TIMEOUT_S 30
#define TEST_HTTP_READ_CHUNK 4096
#define HEADER_END "\r\n\r\n"
#define LINE_END "\r\n"

void
shoal_test_http_answer_free (ShoalTestHttpAnswer *answer)
{
  if (answer == NULL)
    return;
  g_hash_table_unref (answer->headers);
  g_bytes_unref (answer->body);
  g_free (answer);
}

const char *
shoal_test_http_answer_text (ShoalTestHttpAnswer *answer)
{
  const char *text;

  g_return_val_if_fail (answer != NULL, NULL);
  /* The body's buffer has a NUL past its end (see body_new). */
  text = g_bytes_get_data (answer->body, NULL);
  return text != NULL ? text : "";
}

static GBytes *
body_new (const char *data,
          gsize       length)
{
  char *copy = g_malloc (length + 1);

  memcpy (copy, data, length);
  copy[length] = '\0';
  return g_bytes_new_take (copy, length);
}

/* A server that refuses a request early may close before the whole of it
 * is written; what it answered can still be read. */
static gboolean
is_cut (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
}

static void
send_all (GOutputStream *output,
          const char    *data,
          gsize          length)
{
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (output, data, length, NULL, NULL, &error) && !is_cut (error))
    g_assert_no_error (error);
}

static GByteArray *
receive_all (GInputStream *input)
{
  GByteArray *received = g_byte_array_new ();
  guint8 chunk[TEST_HTTP_READ_CHUNK];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, &error);

      if (n_read == 0 || (n_read < 0 && received->len > 0 && is_cut (error)))
        break;
      g_assert_no_error (error);
      g_byte_array_append (received, chunk, (guint) n_read);
    }
  return received;
}

static guint
parse_status_line (const char *line)
{
  g_auto(GStrv) parts = g_strsplit (line, " ", 3);
  guint64 status = 0;

  if (g_strv_length (parts) < 2 || !g_str_has_prefix (parts[0], "HTTP/"))
    return 0;
  if (!g_ascii_string_to_unsigned (parts[1], 10, 100, 999, &status, NULL))
    return 0;
  return (guint) status;
}

static void
parse_header_lines (GHashTable         *headers,
                    const char * const *lines)
{
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_autofree char *name = NULL;

      if (colon == NULL)
        continue;
      name = g_ascii_strdown (lines[i], colon - lines[i]);
      g_hash_table_replace (headers, g_steal_pointer (&name), g_strstrip (g_strdup (colon + 1)));
    }
}

/* The body is what follows the head, cut to Content-Length when the
 * server gave one. */
static ShoalTestHttpAnswer *
parse_answer (GByteArray *received)
{
  ShoalTestHttpAnswer *answer = g_new0 (ShoalTestHttpAnswer, 1);
  const char *data = (const char *) received->data;
  const char *head_end = g_strstr_len (data, received->len, HEADER_END);
  g_autofree char *head = NULL;
  g_auto(GStrv) lines = NULL;
  const char *body_start;
  gsize body_length;
  const char *content_length;
  guint64 declared;

  answer->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (head_end == NULL)
    {
      answer->body = body_new ("", 0);
      return answer;
    }
  head = g_strndup (data, head_end - data);
  lines = g_strsplit (head, LINE_END, -1);
  answer->status = parse_status_line (lines[0]);
  parse_header_lines (answer->headers, (const char * const *) lines + 1);

  body_start = head_end + strlen (HEADER_END);
  body_length = received->len - (gsize) (body_start - data);
  content_length = g_hash_table_lookup (answer->headers, "content-length");
  if (content_length != NULL &&
      g_ascii_string_to_unsigned (content_length, 10, 0, G_MAXUINT64, &declared, NULL) &&
      declared < body_length)
    body_length = declared;
  answer->body = body_new (body_start, body_length);
  return answer;
}

ShoalTestHttpAnswer *
shoal_test_http_raw (guint16     port,
                     const char *raw,
                     gsize       length)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GByteArray) received = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (raw != NULL, NULL);
  g_socket_client_set_timeout (client, TEST_HTTP_IO_TIMEOUT_S);
  connection = g_socket_client_connect_to_host (client, TEST_HTTP_HOST, port, NULL, &error);
  g_assert_no_error (error);
  send_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), raw, length);
  received = receive_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return parse_answer (received);
}

ShoalTestHttpAnswer *
shoal_test_http_request (guint16             port,
                         const char         *method,
                         const char         *path,
                         const char * const *headers,
                         const char         *body,
                         gsize               body_length)
{
  g_autoptr(GString) raw = g_string_new (NULL);

  g_return_val_if_fail (method != NULL && path != NULL, NULL);
  g_string_append_printf (raw, "%s %s HTTP/1.1" LINE_END, method, path);
  g_string_append_printf (raw, "Host: " TEST_HTTP_HOST ":%u" LINE_END, port);
  g_string_append (raw, "Connection: close" LINE_END);
  if (body != NULL)
    g_string_append_printf (raw, "Content-Length: %" G_GSIZE_FORMAT LINE_END, body_length);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    g_string_append_printf (raw, "%s" LINE_END, headers[i]);
  g_string_append (raw, LINE_END);
  if (body != NULL)
    g_string_append_len (raw, body, body_length);
  return shoal_test_http_raw (port, raw->str, raw->len);
}
