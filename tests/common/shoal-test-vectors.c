/* shoal-test-vectors.c — finding and loading the captured gtk-gnutella traffic. */
#include "shoal-test-vectors.h"

#include <string.h>

const char *
shoal_test_vectors_dir (void)
{
  const char *dir = g_getenv ("SHOAL_VECTORS_DIR");

  if (dir == NULL || *dir == '\0')
    dir = g_getenv ("SHOAL_VECTORS_DIR_DEFAULT");
  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_error ("gtk-gnutella vectors not found (SHOAL_VECTORS_DIR=%s): "
             "the interop tests need ../shared/vectors/gtk-gnutella",
             dir ? dir : "(unset)");
  return dir;
}

char *
shoal_test_vector_path (const char *relative)
{
  return g_build_filename (shoal_test_vectors_dir (), relative, NULL);
}

GBytes *
shoal_test_load_vector (const char *relative)
{
  g_autofree char *path = shoal_test_vector_path (relative);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("cannot read vector %s: %s", path, error->message);
  return g_bytes_new_take (contents, length);
}

GBytes *
shoal_test_load_payload (const char         *relative,
                         guint8              type,
                         ShoalMessageHeader *header)
{
  g_autoptr(GBytes) message = shoal_test_load_vector (relative);
  g_autoptr(GError) error = NULL;
  ShoalMessageHeader parsed;
  gsize length;
  const guint8 *data = g_bytes_get_data (message, &length);

  if (!shoal_message_header_parse (data, length, &parsed, &error))
    g_error ("vector %s: %s", relative, error->message);
  g_assert_cmphex (parsed.type, ==, type);
  g_assert_cmpuint (parsed.payload_length, ==, length - SHOAL_MESSAGE_HEADER_SIZE);
  if (header != NULL)
    *header = parsed;
  return g_bytes_new_from_bytes (message, SHOAL_MESSAGE_HEADER_SIZE,
                                 length - SHOAL_MESSAGE_HEADER_SIZE);
}

static void
transcript_section_free (gpointer data)
{
  ShoalTestTranscriptSection *section = data;

  g_free (section->direction);
  g_bytes_unref (section->bytes);
  g_free (section);
}

/* "----- client -> server (579 bytes) -----" → direction, byte count. */
static gboolean
parse_separator (const char *line,
                 char      **direction,
                 gint64     *expected)
{
  const char *start, *end, *paren;

  if (!g_str_has_prefix (line, "----- ") || !g_str_has_suffix (line, " -----"))
    return FALSE;
  start = line + 6;
  end = line + strlen (line) - 6;
  paren = g_strstr_len (start, end - start, " (");
  *expected = -1;
  if (paren != NULL)
    {
      *expected = g_ascii_strtoll (paren + 2, NULL, 10);
      end = paren;
    }
  *direction = g_strndup (start, end - start);
  return TRUE;
}

static void
finish_section (GPtrArray  *sections,
                char       *direction,
                GString    *block,
                gint64      expected,
                const char *relative)
{
  ShoalTestTranscriptSection *section;

  /* The transcripts end each block with its blank line and then one more
   * empty line before the next separator; the wire had only the first. */
  while (block->len >= 4 &&
         g_str_has_suffix (block->str, "\r\n\r\n\r\n"))
    g_string_truncate (block, block->len - 2);
  if (expected >= 0 && (gint64) block->len != expected)
    g_error ("%s: section \"%s\" is %" G_GSIZE_FORMAT " bytes with CRLF, "
             "its separator says %" G_GINT64_FORMAT,
             relative, direction, block->len, expected);
  section = g_new0 (ShoalTestTranscriptSection, 1);
  section->direction = direction;
  section->bytes = g_bytes_new (block->str, block->len);
  g_ptr_array_add (sections, section);
}

GPtrArray *
shoal_test_load_transcript (const char *relative)
{
  g_autoptr(GBytes) bytes = shoal_test_load_vector (relative);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL),
                                     g_bytes_get_size (bytes));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *sections = g_ptr_array_new_with_free_func (transcript_section_free);
  g_autoptr(GString) block = NULL;
  char *direction = NULL;
  gint64 expected = -1;
  guint n_lines = g_strv_length (lines);

  /* A trailing "\n" leaves one empty string at the end: not a line. */
  if (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    n_lines--;
  for (guint i = 0; i < n_lines; i++)
    {
      char *next_direction;
      gint64 next_expected;

      if (parse_separator (lines[i], &next_direction, &next_expected))
        {
          if (direction != NULL)
            finish_section (sections, direction, block, expected, relative);
          direction = next_direction;
          expected = next_expected;
          if (block != NULL)
            g_string_free (block, TRUE);
          block = g_string_new (NULL);
          continue;
        }
      if (block == NULL)
        continue;
      g_string_append (block, lines[i]);
      g_string_append (block, "\r\n");
    }
  if (direction != NULL)
    finish_section (sections, direction, block, expected, relative);
  return sections;
}

/* Every file below the vectors folder whose name ends with @suffix, as
 * paths relative to it, sorted. */
static void
collect_files (const char *dir,
               const char *relative,
               const char *suffix,
               GPtrArray  *found)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autoptr(GDir) handle = g_dir_open (path, 0, NULL);
  const char *name;

  g_assert_nonnull (handle);
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *child = *relative ? g_build_filename (relative, name, NULL)
                                         : g_strdup (name);
      g_autofree char *child_path = g_build_filename (dir, child, NULL);

      if (g_file_test (child_path, G_FILE_TEST_IS_DIR))
        collect_files (dir, child, suffix, found);
      else if (g_str_has_suffix (name, suffix))
        g_ptr_array_add (found, g_steal_pointer (&child));
    }
}

static gint
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
shoal_test_list_vectors (const char *suffix)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  collect_files (shoal_test_vectors_dir (), "", suffix, found);
  g_ptr_array_sort (found, compare_paths);
  return found;
}
