/* test-sha1.c — shoal_sha1_file against known digests, GChecksum, bad files
 * and cancellation. */
#include "library-test-util.h"
#include "shoal-library-db.h"
#include "shoal-sha1.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("shoal-sha1-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  library_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static char *
write_file (Fixture      *fixture,
            const char   *name,
            const guint8 *data,
            gsize         length)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, (const char *) data, (gssize) length, &error);
  g_assert_no_error (error);
  return path;
}

static guint8 *
make_pattern (gsize length)
{
  guint8 *data = g_malloc (length);

  /* Not periodic in the block size, so a dropped or repeated buffer shows. */
  for (gsize i = 0; i < length; i++)
    data[i] = (guint8) ((i * 131 + i / 977) & 0xff);
  return data;
}

static void
checksum_of (const guint8 *data,
             gsize         length,
             guint8        sha1[SHOAL_SHARE_SHA1_SIZE])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  gsize digest_length = SHOAL_SHARE_SHA1_SIZE;

  g_checksum_update (checksum, data, (gssize) length);
  g_checksum_get_digest (checksum, sha1, &digest_length);
  g_assert_cmpuint (digest_length, ==, SHOAL_SHARE_SHA1_SIZE);
}

static char *
hex_of (const guint8 sha1[SHOAL_SHARE_SHA1_SIZE])
{
  GString *hex = g_string_new (NULL);

  for (guint i = 0; i < SHOAL_SHARE_SHA1_SIZE; i++)
    g_string_append_printf (hex, "%02x", sha1[i]);
  return g_string_free (hex, FALSE);
}

static void
assert_file_hashes_to_hex (const char *path,
                           const char *expected_hex)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  ShoalFileStat file_stat;

  g_assert_true (shoal_sha1_file (path, sha1, &file_stat, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  hex = hex_of (sha1);
  g_assert_cmpstr (hex, ==, expected_hex);
}

static void
assert_pattern_file_matches (Fixture *fixture,
                             gsize    length)
{
  g_autofree guint8 *data = make_pattern (length);
  g_autofree char *name = g_strdup_printf ("pattern-%" G_GSIZE_FORMAT, length);
  g_autofree char *path = write_file (fixture, name, data, length);
  g_autoptr(GError) error = NULL;
  guint8 expected[SHOAL_SHARE_SHA1_SIZE];
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  ShoalFileStat file_stat;

  checksum_of (data, length, expected);
  g_assert_true (shoal_sha1_file (path, sha1, &file_stat, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (sha1, sizeof sha1, expected, sizeof expected);
  g_assert_cmpuint (file_stat.size, ==, length);
}

static void
assert_error_names_path (const GError *error,
                         const char   *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_assert_nonnull (strstr (error->message, display));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_empty_file (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, "empty", NULL, 0);

  assert_file_hashes_to_hex (path, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void
test_abc (Fixture       *fixture,
          gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, "abc", (const guint8 *) "abc", 3);

  /* FIPS 180-2, appendix A.1. */
  assert_file_hashes_to_hex (path, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void
test_two_blocks (Fixture       *fixture,
                 gconstpointer  data)
{
  static const char message[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  g_autofree char *path = write_file (fixture, "two-blocks",
                                      (const guint8 *) message, strlen (message));

  /* FIPS 180-2, appendix A.2: the padding spills into a second block. */
  assert_file_hashes_to_hex (path, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void
test_one_mebibyte_pattern (Fixture       *fixture,
                           gconstpointer  data)
{
  assert_pattern_file_matches (fixture, 1024 * 1024);
}

static void
test_buffer_boundaries (Fixture       *fixture,
                        gconstpointer  data)
{
  static const gssize offsets[] = { -65, -64, -1, 0, 1, 63, 64, 65 };

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      assert_pattern_file_matches (fixture, (gsize) (SHOAL_SHA1_BUFFER_SIZE + offsets[i]));
      assert_pattern_file_matches (fixture, (gsize) (2 * SHOAL_SHA1_BUFFER_SIZE + offsets[i]));
    }
}

static void
test_larger_than_buffer (Fixture       *fixture,
                         gconstpointer  data)
{
  assert_pattern_file_matches (fixture, 5 * SHOAL_SHA1_BUFFER_SIZE + 12345);
}

static void
test_stat_matches_file (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, "stat", (const guint8 *) "some bytes", 10);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  ShoalFileStat file_stat;
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_true (shoal_sha1_file (path, sha1, &file_stat, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_stat.size, ==, 10);
  g_assert_cmpuint (file_stat.inode, ==, st.st_ino);
  g_assert_cmpint (file_stat.mtime_usec, ==,
                   (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000);
}

static void
test_non_utf8_name (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, "caf\xe9-\xff.txt", (const guint8 *) "abc", 3);
  g_autofree char *missing = g_build_filename (fixture->dir, "gone-\xe9", NULL);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  assert_file_hashes_to_hex (path, "a9993e364706816aba3e25717850c26c9cd0d89d");
  g_assert_false (shoal_sha1_file (missing, sha1, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO);
  assert_error_names_path (error, missing);
}

static void
test_missing_file (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "never-there", NULL);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  ShoalFileStat file_stat;

  g_assert_false (shoal_sha1_file (path, sha1, &file_stat, NULL, NULL, NULL, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO);
  assert_error_names_path (error, path);
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
}

static void
test_directory_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  g_assert_false (shoal_sha1_file (fixture->dir, sha1, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
  assert_error_names_path (error, fixture->dir);
}

static void
test_symlink_refused (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *target = write_file (fixture, "target", (const guint8 *) "abc", 3);
  g_autofree char *link = g_build_filename (fixture->dir, "link", NULL);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_false (shoal_sha1_file (link, sha1, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
  assert_error_names_path (error, link);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
}

static void
test_symlinked_folder_followed (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *real_dir = g_build_filename (fixture->dir, "real", NULL);
  g_autofree char *link_dir = g_build_filename (fixture->dir, "linked", NULL);
  g_autofree char *real_file = g_build_filename (real_dir, "file", NULL);
  g_autofree char *via_link = g_build_filename (link_dir, "file", NULL);
  g_autoptr(GError) error = NULL;

  /* Only the last component is refused: folders are the scanner's call. */
  g_assert_cmpint (g_mkdir (real_dir, 0700), ==, 0);
  g_file_set_contents (real_file, "abc", 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink (real_dir, link_dir), ==, 0);
  assert_file_hashes_to_hex (via_link, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void
test_fifo_refused_without_blocking (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "fifo", NULL);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  /* With no writer, a blocking open() would never return. */
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_assert_false (shoal_sha1_file (path, sha1, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
  assert_error_names_path (error, path);
}

static void
test_unreadable_file (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, "secret", (const guint8 *) "abc", 3);
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  gboolean hashed;
  int probe;

  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  library_test_set_file_read_override (FALSE);
  probe = open (path, O_RDONLY);
  hashed = shoal_sha1_file (path, sha1, NULL, NULL, NULL, NULL, &error);
  library_test_set_file_read_override (TRUE);

  g_assert_cmpint (probe, ==, -1);  /* the setup really locks us out */
  g_assert_false (hashed);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO);
  assert_error_names_path (error, path);
  g_assert_nonnull (strstr (error->message, g_strerror (EACCES)));
}

static void
test_cancelled_before (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, "abc", (const guint8 *) "abc", 3);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  g_cancellable_cancel (cancellable);
  g_assert_false (shoal_sha1_file (path, sha1, NULL, cancellable, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

typedef struct
{
  GArray       *reports;      /* of guint64 */
  GCancellable *cancel_at_first;
  const char   *append_to;
} ProgressLog;

static void
log_progress (guint64  bytes_done,
              gpointer user_data)
{
  ProgressLog *log = user_data;

  g_array_append_val (log->reports, bytes_done);
  if (log->cancel_at_first != NULL)
    g_cancellable_cancel (log->cancel_at_first);
  if (log->append_to != NULL)
    {
      FILE *file = fopen (log->append_to, "a");

      g_assert_nonnull (file);
      g_assert_cmpint (fputs ("more", file), >=, 0);
      g_assert_cmpint (fclose (file), ==, 0);
      log->append_to = NULL;
    }
}

static char *
write_big_pattern_file (Fixture *fixture,
                        gsize    length)
{
  g_autofree guint8 *data = make_pattern (length);

  return write_file (fixture, "big", data, length);
}

static void
test_progress_reports (Fixture       *fixture,
                       gconstpointer  data)
{
  const gsize length = 3 * SHOAL_SHA1_PROGRESS_BYTES + 5;
  g_autofree char *path = write_big_pattern_file (fixture, length);
  g_autoptr(GArray) reports = g_array_new (FALSE, FALSE, sizeof (guint64));
  ProgressLog log = { reports, NULL, NULL };
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  guint64 previous = 0;

  g_assert_true (shoal_sha1_file (path, sha1, NULL, NULL, log_progress, &log, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reports->len, ==, 3);
  for (guint i = 0; i < reports->len; i++)
    {
      guint64 bytes = g_array_index (reports, guint64, i);

      g_assert_cmpuint (bytes - previous, >=, SHOAL_SHA1_PROGRESS_BYTES);
      g_assert_cmpuint (bytes, <=, length);
      previous = bytes;
    }
}

static void
test_cancelled_during (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *path = write_big_pattern_file (fixture, 3 * SHOAL_SHA1_PROGRESS_BYTES);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GArray) reports = g_array_new (FALSE, FALSE, sizeof (guint64));
  ProgressLog log = { reports, cancellable, NULL };
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  g_assert_false (shoal_sha1_file (path, sha1, NULL, cancellable, log_progress, &log, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (reports->len, ==, 1);  /* stopped at the next read */
}

static void
test_changed_while_hashed (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *path = write_big_pattern_file (fixture, 2 * SHOAL_SHA1_PROGRESS_BYTES);
  g_autoptr(GArray) reports = g_array_new (FALSE, FALSE, sizeof (guint64));
  ProgressLog log = { reports, NULL, path };
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  g_assert_false (shoal_sha1_file (path, sha1, NULL, NULL, log_progress, &log, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO);
  assert_error_names_path (error, path);
}

static guint
count_resident_pages (const char *path,
                      gsize       length)
{
  gsize page_size = (gsize) sysconf (_SC_PAGESIZE);
  gsize pages = (length + page_size - 1) / page_size;
  g_autofree unsigned char *vector = g_malloc (pages);
  guint resident = 0;
  void *map;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  map = mmap (NULL, length, PROT_READ, MAP_SHARED, fd, 0);
  g_assert_true (map != MAP_FAILED);
  g_assert_cmpint (mincore (map, length, vector), ==, 0);
  for (gsize i = 0; i < pages; i++)
    resident += vector[i] & 1;
  g_assert_cmpint (munmap (map, length), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  return resident;
}

static void
test_page_cache_released (Fixture       *fixture,
                          gconstpointer  data)
{
  const gsize length = 4 * SHOAL_SHA1_BUFFER_SIZE;
  g_autofree guint8 *pattern = make_pattern (length);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  struct statfs fs;
  int fd;

  /* tmpfs keeps its pages whatever the advice: use the build tree, which
   * lives on a disk, when the temporary folder is tmpfs. */
  g_assert_cmpint (statfs (fixture->dir, &fs), ==, 0);
  path = fs.f_type == TMPFS_MAGIC
    ? g_build_filename (g_test_get_dir (G_TEST_BUILT), "page-cache-test.bin", NULL)
    : g_build_filename (fixture->dir, "big", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) pattern, length, NULL));
  g_assert_cmpint (statfs (path, &fs), ==, 0);
  g_assert_cmpint (fs.f_type, !=, TMPFS_MAGIC);
  /* Dirty pages cannot be dropped: write them back first. */
  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fsync (fd), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  g_assert_cmpuint (count_resident_pages (path, length), >, 0);

  g_assert_true (shoal_sha1_file (path, sha1, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_resident_pages (path, length), ==, 0);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/sha1/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("empty-file", test_empty_file);
  ADD ("abc", test_abc);
  ADD ("two-blocks", test_two_blocks);
  ADD ("one-mebibyte-pattern", test_one_mebibyte_pattern);
  ADD ("buffer-boundaries", test_buffer_boundaries);
  ADD ("larger-than-buffer", test_larger_than_buffer);
  ADD ("stat-matches-file", test_stat_matches_file);
  ADD ("non-utf8-name", test_non_utf8_name);
  ADD ("missing-file", test_missing_file);
  ADD ("directory-refused", test_directory_refused);
  ADD ("symlink-refused", test_symlink_refused);
  ADD ("symlinked-folder-followed", test_symlinked_folder_followed);
  ADD ("fifo-refused-without-blocking", test_fifo_refused_without_blocking);
  ADD ("unreadable-file", test_unreadable_file);
  ADD ("cancelled-before", test_cancelled_before);
  ADD ("progress-reports", test_progress_reports);
  ADD ("cancelled-during", test_cancelled_during);
  ADD ("changed-while-hashed", test_changed_while_hashed);
  ADD ("page-cache-released", test_page_cache_released);
#undef ADD

  return g_test_run ();
}
