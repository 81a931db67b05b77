/* library-test-util.c — driving a ShoalLibrary from a test. */
#define _GNU_SOURCE  /* nftw() */
#include "library-test-util.h"

#include "shoal-test-loop.h"

#include <ftw.h>
#include <glib/gstdio.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void
library_test_wait (LibraryTestCheck check,
                   gpointer         data,
                   const char      *what)
{
  shoal_test_wait_until (check, data, LIBRARY_TEST_TIMEOUT_MS, what);
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

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                type,
              struct FTW        *ftw)
{
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

void
library_test_remove_tree (const char *path)
{
  g_assert_cmpint (nftw (path, remove_entry, 32, FTW_DEPTH | FTW_PHYS), ==, 0);
}

void
library_test_set_file_read_override (gboolean enabled)
{
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
  const guint32 mask = CAP_TO_MASK (CAP_DAC_OVERRIDE) | CAP_TO_MASK (CAP_DAC_READ_SEARCH);

  G_STATIC_ASSERT (CAP_DAC_OVERRIDE < 32 && CAP_DAC_READ_SEARCH < 32);
  g_assert_cmpint (syscall (SYS_capget, &header, caps), ==, 0);
  if (enabled)
    caps[0].effective |= caps[0].permitted & mask;
  else
    caps[0].effective &= ~mask;
  g_assert_cmpint (syscall (SYS_capset, &header, caps), ==, 0);
}
