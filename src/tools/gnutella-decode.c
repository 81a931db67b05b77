/* gnutella-decode.c — prints captured Gnutella messages as JSON.
 *
 * Each FILE holds one message (23-byte header + payload), as the captured
 * vectors do; "-" reads standard input. One JSON object per message, one
 * per line (or indented with --pretty). A malformed message is reported on
 * standard error with its file name and the tool exits 1.
 */
#include <json-glib/json-glib.h>
#include <errno.h>
#include <stdio.h>

#include "message-json.h"
#include "shoal-message.h"

/* A message is at most a header and a 64 KiB payload: refuse to read more,
 * so a wrong file (or a pipe that never ends) cannot eat memory. */
#define MAX_INPUT_SIZE (SHOAL_MESSAGE_HEADER_SIZE + SHOAL_MESSAGE_MAX_PAYLOAD + 1)

static gboolean pretty;

static GBytes *
read_stream (FILE    *stream,
             GError **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[8192];
  size_t got;

  while ((got = fread (buffer, 1, sizeof buffer, stream)) > 0)
    {
      g_byte_array_append (data, buffer, (guint) got);
      if (data->len > MAX_INPUT_SIZE)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       "more than %d bytes: not a single message", MAX_INPUT_SIZE);
          return NULL;
        }
    }
  if (ferror (stream))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_IO, "read error");
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static GBytes *
read_input (const char *path,
            GError    **error)
{
  FILE *stream;
  GBytes *bytes;

  if (g_strcmp0 (path, "-") == 0)
    return read_stream (stdin, error);
  stream = fopen (path, "rb");
  if (stream == NULL)
    {
      int saved = errno;

      g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                           g_strerror (saved));
      return NULL;
    }
  bytes = read_stream (stream, error);
  fclose (stream);
  return bytes;
}

static gboolean
decode_one (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(ShoalMessage) message = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  const char *name = g_strcmp0 (path, "-") == 0 ? "(standard input)" : path;
  gsize length;
  const guint8 *data;

  bytes = read_input (path, &error);
  if (bytes == NULL)
    {
      g_printerr ("gnutella-decode: %s: %s\n", name, error->message);
      return FALSE;
    }
  data = g_bytes_get_data (bytes, &length);
  message = shoal_message_parse (data, length, &error);
  if (message == NULL)
    {
      g_printerr ("gnutella-decode: %s: %s\n", name, error->message);
      return FALSE;
    }

  json = message_to_json (message);
  json_object_set_string_member (json_node_get_object (json), "file", name);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, pretty);
  json_generator_set_root (generator, json);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  return TRUE;
}

int
main (int argc, char **argv)
{
  static const GOptionEntry entries[] = {
    { "pretty", 'p', 0, G_OPTION_ARG_NONE, &pretty, "Indent the JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean all_decoded = TRUE;

  context = g_option_context_new ("FILE... - print Gnutella messages as JSON");
  g_option_context_set_description (context,
    "Each FILE holds one message: the 23-byte header and its payload.\n"
    "\"-\" reads one message from standard input. Exits 1 if any message\n"
    "cannot be read or decoded.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("gnutella-decode: %s\n", error->message);
      return 2;
    }
  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return 2;
    }
  for (int i = 1; i < argc; i++)
    all_decoded &= decode_one (argv[i]);
  return all_decoded ? 0 : 1;
}
