/* library-test-util.c — driving a ShoalLibrary from a test. */
#include "library-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
library_test_wait (LibraryTestCheck check,
                   gpointer         data,
                   const char      *what)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (LIBRARY_TEST_TIMEOUT_MS, on_timeout, &timed_out);

  while (!check (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %d ms waiting for %s", LIBRARY_TEST_TIMEOUT_MS, what);
  g_source_remove (timeout);
}

static gboolean
is_idle (gpointer data)
{
  ShoalLibrary *library = data;

  return shoal_library_get_ready (library) && !shoal_library_get_busy (library);
}

void
library_test_wait_idle (ShoalLibrary *library)
{
  library_test_wait (is_idle, library, "the library to be idle");
}

typedef struct
{
  GAsyncResult *result;
} Pending;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ((Pending *) user_data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return ((Pending *) data)->result != NULL;
}

ShoalSharedRoot *
library_test_add_root (ShoalLibrary *library,
                       const char   *path,
                       GError      **error)
{
  Pending pending = { NULL };
  ShoalSharedRoot *root;

  shoal_library_add_root_async (library, path, NULL, on_done, &pending);
  library_test_wait (has_result, &pending, "add_root to finish");
  root = shoal_library_add_root_finish (library, pending.result, error);
  g_object_unref (pending.result);
  return root;
}

GPtrArray *
library_test_search (ShoalLibrary *library,
                     const char   *text)
{
  Pending pending = { NULL };
  g_autoptr(GError) error = NULL;
  GPtrArray *results;

  shoal_library_search_async (library, text, 0, NULL, on_done, &pending);
  library_test_wait (has_result, &pending, "a search to finish");
  results = shoal_library_search_finish (library, pending.result, &error);
  g_assert_no_error (error);
  g_object_unref (pending.result);
  return results;
}

GPtrArray *
library_test_search_sha1 (ShoalLibrary *library,
                          const guint8 *sha1)
{
  Pending pending = { NULL };
  g_autoptr(GError) error = NULL;
  GPtrArray *results;

  shoal_library_search_sha1_async (library, sha1, NULL, on_done, &pending);
  library_test_wait (has_result, &pending, "a SHA-1 search to finish");
  results = shoal_library_search_sha1_finish (library, pending.result, &error);
  g_assert_no_error (error);
  g_object_unref (pending.result);
  return results;
}

void
library_test_write_file (const char *root,
                         const char *relpath,
                         const char *contents,
                         gsize       length)
{
  g_autofree char *path = g_build_filename (root, relpath, NULL);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_file_set_contents (path, contents, (gssize) length, &error);
  g_assert_no_error (error);
}

void
library_test_sha1_of (const char *contents,
                      gsize       length,
                      guint8      sha1[SHOAL_SHARE_SHA1_SIZE])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  gsize digest_length = SHOAL_SHARE_SHA1_SIZE;

  g_checksum_update (checksum, (const guchar *) contents, (gssize) length);
  g_checksum_get_digest (checksum, sha1, &digest_length);
}

void
library_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        library_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
