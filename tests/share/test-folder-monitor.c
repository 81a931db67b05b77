/* test-folder-monitor.c — real files changed under a watched tree, a real
 * main loop, and the folders the monitor names for a rescan. */
#define _GNU_SOURCE  /* unshare() */

#include "library-test-util.h"
#include "shoal-folder-monitor.h"
#include "shoal-library-db.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Generous: the machines running the tests are shared and slow under the
 * sanitizers; a wait only takes this long when something is broken. */
#define WAIT_TIMEOUT_MS 30000
/* Short enough to keep the tests quick, long enough that one burst of
 * writes from a test lands in one window. */
#define TEST_SETTLE_MS 250
#define TEST_MAX_DELAY_MS 10000
#define BURST_FILES 1000
/* A tree big enough that watching it takes many main loop iterations. */
#define BIG_TREE_FOLDERS 40
#define BIG_TREE_SUBFOLDERS 50
/* Folders the watch-limit test lets the monitor watch. */
#define WATCH_LIMIT 3

typedef struct
{
  char               *root;
  ShoalFolderMonitor *monitor;
  GPtrArray          *signals;  /* of GStrv, one per emission, in order */
} Fixture;

static char *
path_in (const Fixture *fixture,
         const char    *relpath)
{
  return g_build_filename (fixture->root, relpath, NULL);
}

static void
make_folder (const Fixture *fixture,
             const char    *relpath)
{
  g_autofree char *path = path_in (fixture, relpath);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

/* Written in place (no temporary file and rename), as a download or a
 * copy would. */
static void
write_file (const Fixture *fixture,
            const char    *relpath,
            const char    *contents)
{
  g_autofree char *path = path_in (fixture, relpath);
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);
}

static void
rename_in (const Fixture *fixture,
           const char    *from,
           const char    *to)
{
  g_autofree char *from_path = path_in (fixture, from);
  g_autofree char *to_path = path_in (fixture, to);

  g_assert_cmpint (rename (from_path, to_path), ==, 0);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->root = g_dir_make_tmp ("shoal-monitor-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->signals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->monitor);
  g_ptr_array_unref (fixture->signals);
  library_test_remove_tree (fixture->root);
  g_free (fixture->root);
}

static void
on_changed (ShoalFolderMonitor *monitor,
            GStrv               folders,
            gpointer            user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->signals, g_strdupv (folders));
}

static gboolean
set_flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (Fixture      *fixture,
                               gconstpointer data);

/* Runs the main loop until @condition holds; fails the test after
 * WAIT_TIMEOUT_MS. */
static void
wait_until (Fixture       *fixture,
            Condition      condition,
            gconstpointer  data,
            const char    *what)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add (WAIT_TIMEOUT_MS, set_flag_cb, &timed_out);

  while (!condition (fixture, data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out waiting for %s", what);
  g_source_remove (timeout_id);
}

/* @data: the monitor. */
static gboolean
is_ready (Fixture      *fixture,
          gconstpointer data)
{
  return shoal_folder_monitor_get_ready ((ShoalFolderMonitor *) data);
}

/* @data: the monitor; TRUE once it watches more than the root and "sub". */
static gboolean
watches_new_folder (Fixture      *fixture,
                    gconstpointer data)
{
  return shoal_folder_monitor_get_watch_count ((ShoalFolderMonitor *) data) > 2;
}

static gboolean
has_signals (Fixture      *fixture,
             gconstpointer data)
{
  return fixture->signals->len >= GPOINTER_TO_UINT (data);
}

static gboolean
has_watch_count (Fixture      *fixture,
                 gconstpointer data)
{
  return shoal_folder_monitor_get_watch_count (fixture->monitor) == GPOINTER_TO_UINT (data);
}

static gboolean
is_inside (const char *folder,
           const char *relpath)
{
  gsize length = strlen (folder);

  return length == 0 || (strncmp (relpath, folder, length) == 0
                         && (relpath[length] == '\0' || relpath[length] == '/'));
}

/* Some signal so far names @data's folder or one above it: a rescan of
 * what was named would find the change. */
static gboolean
is_covered (Fixture      *fixture,
            gconstpointer data)
{
  for (guint i = 0; i < fixture->signals->len; i++)
    {
      GStrv folders = g_ptr_array_index (fixture->signals, i);

      for (guint j = 0; folders[j] != NULL; j++)
        if (is_inside (folders[j], data))
          return TRUE;
    }
  return FALSE;
}

static void
start_monitor (Fixture *fixture)
{
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;

  fixture->monitor = shoal_folder_monitor_new (fixture->root, options, &error);
  g_assert_no_error (error);
  g_object_set (fixture->monitor,
                "settle-ms", TEST_SETTLE_MS,
                "max-delay-ms", TEST_MAX_DELAY_MS,
                NULL);
  g_signal_connect (fixture->monitor, "changed", G_CALLBACK (on_changed), fixture);
  wait_until (fixture, is_ready, fixture->monitor, "the watches to be set up");
  g_assert_false (shoal_folder_monitor_get_degraded (fixture->monitor));
}

/* Waits for one more signal and checks it names exactly @expected
 * (comma-separated, sorted; "" stands for the root alone). */
static void
assert_next_signal (Fixture    *fixture,
                    const char *expected)
{
  guint index = fixture->signals->len;
  g_autofree char *joined = NULL;

  wait_until (fixture, has_signals, GUINT_TO_POINTER (index + 1), expected);
  joined = g_strjoinv (",", g_ptr_array_index (fixture->signals, index));
  g_assert_cmpstr (joined, ==, expected);
}

static void
assert_watch_count (Fixture *fixture,
                    guint    expected)
{
  wait_until (fixture, has_watch_count, GUINT_TO_POINTER (expected), "the watch count");
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture->monitor), ==, expected);
}

/* Tests ------------------------------------------------------------------ */

static void
test_setup (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *file = path_in (fixture, "file.txt");
  g_autofree char *missing = path_in (fixture, "missing");
  g_autofree char *link = path_in (fixture, "link-to-a");
  g_autoptr(ShoalFolderMonitor) shallow = NULL;
  g_autofree char *root_path = NULL;
  guint settle_ms = 0;

  make_folder (fixture, "a/b/c/d");
  make_folder (fixture, "e");
  make_folder (fixture, ".hidden/inner");
  make_folder (fixture, "downloads.part");
  write_file (fixture, "file.txt", "");
  g_assert_cmpint (symlink ("a", link), ==, 0);
  start_monitor (fixture);
  /* The root, a, a/b, a/b/c, a/b/c/d, e: not hidden, ignored or linked
   * folders. */
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture->monitor), ==, 6);
  g_object_get (fixture->monitor, "root-path", &root_path, "settle-ms", &settle_ms, NULL);
  g_assert_cmpstr (root_path, ==, fixture->root);
  g_assert_cmpuint (settle_ms, ==, TEST_SETTLE_MS);
  g_assert_cmpuint (shoal_folder_monitor_get_max_delay_ms (fixture->monitor), ==, TEST_MAX_DELAY_MS);

  /* Folders deeper than a scan walks are not watched. */
  options->max_depth = 2;
  shallow = shoal_folder_monitor_new (fixture->root, options, &error);
  g_assert_no_error (error);
  g_assert_false (shoal_folder_monitor_get_ready (shallow));
  wait_until (fixture, is_ready, shallow, "the shallow monitor");
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (shallow), ==, 4);
  g_assert_cmpuint (shoal_folder_monitor_get_settle_ms (shallow), ==,
                    SHOAL_FOLDER_MONITOR_DEFAULT_SETTLE_MS);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) bad_error = NULL;
      ShoalFolderMonitor *bad = shoal_folder_monitor_new (i == 0 ? file : missing, options, &bad_error);

      g_assert_error (bad_error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
      g_assert_null (bad);
    }
}

static void
test_incremental_setup (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(ShoalFolderMonitor) monitor = NULL;
  guint iterations = 0;
  gdouble longest = 0;
  gboolean timed_out = FALSE;
  guint timeout_id;

  for (guint i = 0; i < BIG_TREE_FOLDERS; i++)
    for (guint j = 0; j < BIG_TREE_SUBFOLDERS; j++)
      {
        g_autofree char *relpath = g_strdup_printf ("artist %02u/album %02u", i, j);

        make_folder (fixture, relpath);
      }

  g_timer_start (timer);
  monitor = shoal_folder_monitor_new (fixture->root, options, &error);
  g_assert_no_error (error);
  timeout_id = g_timeout_add (WAIT_TIMEOUT_MS, set_flag_cb, &timed_out);
  while (!shoal_folder_monitor_get_ready (monitor) && !timed_out)
    {
      g_autoptr(GTimer) iteration = g_timer_new ();

      g_main_context_iteration (NULL, TRUE);
      longest = MAX (longest, g_timer_elapsed (iteration, NULL));
      iterations++;
    }
  g_assert_false (timed_out);
  g_source_remove (timeout_id);
  g_test_message ("watched %u folders in %.3f s over %u main loop iterations, longest %.1f ms",
                  shoal_folder_monitor_get_watch_count (monitor), g_timer_elapsed (timer, NULL),
                  iterations, longest * 1000);
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (monitor), ==,
                    1 + BIG_TREE_FOLDERS * (1 + BIG_TREE_SUBFOLDERS));
  g_assert_cmpuint (iterations, >, 1);
}

static void
test_create (Fixture       *fixture,
             gconstpointer  data)
{
  make_folder (fixture, "sub");
  start_monitor (fixture);

  write_file (fixture, "sub/new.mp3", "new");
  assert_next_signal (fixture, "sub");
  write_file (fixture, "top.mp3", "top");
  assert_next_signal (fixture, "");
}

static void
test_delete (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *old = path_in (fixture, "sub/old.mp3");

  make_folder (fixture, "sub");
  write_file (fixture, "sub/old.mp3", "old");
  start_monitor (fixture);

  g_assert_cmpint (unlink (old), ==, 0);
  assert_next_signal (fixture, "sub");
}

static void
test_modify (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "sub/song.mp3");
  struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 1234567890 } };
  FILE *file;

  make_folder (fixture, "sub");
  write_file (fixture, "sub/song.mp3", "v1");
  start_monitor (fixture);

  file = fopen (path, "a");
  g_assert_nonnull (file);
  g_assert_cmpint (fputs ("more", file), >=, 0);
  g_assert_cmpint (fclose (file), ==, 0);
  assert_next_signal (fixture, "sub");

  /* touch: only the mtime changes. */
  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
  assert_next_signal (fixture, "sub");
}

static void
test_rename_within_folder (Fixture       *fixture,
                           gconstpointer  data)
{
  make_folder (fixture, "sub");
  write_file (fixture, "sub/a.mp3", "a");
  write_file (fixture, "sub/movie.avi.part", "partial");
  start_monitor (fixture);

  rename_in (fixture, "sub/a.mp3", "sub/b.mp3");
  assert_next_signal (fixture, "sub");
  /* A download finishing: from an ignored name to a shared one. */
  rename_in (fixture, "sub/movie.avi.part", "sub/movie.avi");
  assert_next_signal (fixture, "sub");
}

static void
test_rename_across_folders (Fixture       *fixture,
                            gconstpointer  data)
{
  make_folder (fixture, "one/inner");
  make_folder (fixture, "two");
  write_file (fixture, "one/a.mp3", "a");
  write_file (fixture, "one/inner/b.mp3", "b");
  start_monitor (fixture);
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture->monitor), ==, 4);

  rename_in (fixture, "one/a.mp3", "two/a.mp3");
  assert_next_signal (fixture, "one,two");

  /* A folder moved: its watch follows it. */
  rename_in (fixture, "one/inner", "two/inner");
  assert_next_signal (fixture, "one,two");
  assert_watch_count (fixture, 4);
  write_file (fixture, "two/inner/after.mp3", "after");
  assert_next_signal (fixture, "two/inner");
}

static void
test_new_subfolder (Fixture       *fixture,
                    gconstpointer  data)
{
  start_monitor (fixture);

  /* The file lands before the new folder can be watched: the rescan of
   * its parent finds it. */
  make_folder (fixture, "fresh");
  write_file (fixture, "fresh/first.mp3", "1");
  assert_next_signal (fixture, "");
  assert_watch_count (fixture, 2);

  write_file (fixture, "fresh/second.mp3", "2");
  assert_next_signal (fixture, "fresh");

  /* A whole chain at once: each level gets its watch. */
  make_folder (fixture, "fresh/a/b/c");
  assert_next_signal (fixture, "fresh");
  assert_watch_count (fixture, 5);
  write_file (fixture, "fresh/a/b/c/deep.mp3", "d");
  assert_next_signal (fixture, "fresh/a/b/c");
}

static void
test_burst_coalesced (Fixture       *fixture,
                      gconstpointer  data)
{
  make_folder (fixture, "burst");
  make_folder (fixture, "sentinel");
  start_monitor (fixture);

  for (guint i = 0; i < BURST_FILES; i++)
    {
      g_autofree char *relpath = g_strdup_printf ("burst/track %04u.mp3", i);

      write_file (fixture, relpath, "music");
    }
  assert_next_signal (fixture, "burst");

  /* Anything left over from the burst would come before, or with, the
   * sentinel's change. */
  write_file (fixture, "sentinel/s.mp3", "s");
  assert_next_signal (fixture, "sentinel");
  g_assert_cmpuint (fixture->signals->len, ==, 2);
}

static void
test_ignored_names (Fixture       *fixture,
                    gconstpointer  data)
{
  make_folder (fixture, "quiet");
  make_folder (fixture, "loud");
  make_folder (fixture, ".cache");
  start_monitor (fixture);
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture->monitor), ==, 3);

  write_file (fixture, "quiet/movie.part", "p");
  write_file (fixture, "quiet/.hidden", "h");
  write_file (fixture, "quiet/~$report.docx", "l");
  write_file (fixture, "quiet/Thumbs.db", "t");
  write_file (fixture, "quiet/notes.txt~", "b");
  write_file (fixture, ".cache/blob", "c");
  make_folder (fixture, "quiet/.git/objects");
  write_file (fixture, "quiet/.git/objects/pack", "g");
  rename_in (fixture, "quiet/movie.part", "quiet/movie.tmp");

  write_file (fixture, "loud/ok.mp3", "ok");
  assert_next_signal (fixture, "loud");
  g_assert_cmpuint (fixture->signals->len, ==, 1);
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture->monitor), ==, 3);
}

static void
test_remove_folder (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *gone = path_in (fixture, "gone");
  g_autofree char *inner = path_in (fixture, "keep/inner");

  make_folder (fixture, "gone/a/b");
  make_folder (fixture, "keep/inner");
  write_file (fixture, "gone/x.mp3", "x");
  write_file (fixture, "gone/a/b/y.mp3", "y");
  start_monitor (fixture);
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture->monitor), ==, 6);

  library_test_remove_tree (gone);
  /* Changes seen inside gone/ and below are covered by the root. */
  assert_next_signal (fixture, "");
  assert_watch_count (fixture, 3);

  g_assert_cmpint (rmdir (inner), ==, 0);
  assert_next_signal (fixture, "keep");
  assert_watch_count (fixture, 2);
}

static void
test_constant_stream (Fixture       *fixture,
                      gconstpointer  data)
{
  guint written = 0;

  make_folder (fixture, "stream");
  start_monitor (fixture);
  shoal_folder_monitor_set_settle_ms (fixture->monitor, 1000);
  shoal_folder_monitor_set_max_delay_ms (fixture->monitor, 1500);

  /* Writes closer together than the settle period never let the tree go
   * quiet: only the maximum delay gets a signal out. */
  while (fixture->signals->len == 0)
    {
      g_autofree char *relpath = g_strdup_printf ("stream/part %u.mp3", written++);
      gboolean tick = FALSE;

      write_file (fixture, relpath, "chunk");
      g_timeout_add (50, set_flag_cb, &tick);
      while (!tick)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (written, <, WAIT_TIMEOUT_MS / 50);
    }
  g_assert_cmpstr (((GStrv) g_ptr_array_index (fixture->signals, 0))[0], ==, "stream");
  g_test_message ("first signal after %u writes", written);
}

static void
count_signal (ShoalFolderMonitor *monitor,
              GStrv               folders,
              gpointer            user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_dispose_with_pending_events (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  ShoalFolderMonitor *doomed;
  guint doomed_signals = 0;

  make_folder (fixture, "sub");
  doomed = shoal_folder_monitor_new (fixture->root, options, &error);
  g_assert_no_error (error);
  g_signal_connect (doomed, "changed", G_CALLBACK (count_signal), &doomed_signals);
  g_object_add_weak_pointer (G_OBJECT (doomed), (gpointer *) &doomed);
  wait_until (fixture, is_ready, doomed, "the first monitor");

  /* Once the new folder is watched, its events were seen: a flush is
   * pending (settling for a second), and more events are on their way. */
  write_file (fixture, "sub/a.mp3", "a");
  make_folder (fixture, "new/deeper");
  wait_until (fixture, watches_new_folder, doomed, "the new folder's watch");
  write_file (fixture, "new/deeper/late.mp3", "late");
  g_object_unref (doomed);
  g_assert_null (doomed);

  /* A second monitor on the same tree: by the time it reports, whatever
   * the first had pending would have fired. */
  start_monitor (fixture);
  write_file (fixture, "sub/b.mp3", "b");
  wait_until (fixture, is_covered, "sub/b.mp3", "the second monitor's signal");
  g_assert_cmpuint (doomed_signals, ==, 0);
}

/* Runs in a child process: a user namespace of its own lets it lower the
 * inotify watch limit for itself alone, without touching the machine's. */
static void
run_with_watch_limit (void)
{
  Fixture fixture = { 0 };
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autofree char *limit = g_strdup_printf ("%d\n", WATCH_LIMIT);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (unshare (CLONE_NEWUSER), ==, 0);
  g_file_set_contents_full ("/proc/sys/user/max_inotify_watches", limit, -1,
                            G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);

  fixture_set_up (&fixture, NULL);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *relpath = g_strdup_printf ("folder %u", i);

      make_folder (&fixture, relpath);
    }
  g_test_expect_message ("Shoal-share", G_LOG_LEVEL_WARNING, "Out of inotify watches*");
  fixture.monitor = shoal_folder_monitor_new (fixture.root, options, &error);
  g_assert_no_error (error);
  shoal_folder_monitor_set_settle_ms (fixture.monitor, TEST_SETTLE_MS);
  g_signal_connect (fixture.monitor, "changed", G_CALLBACK (on_changed), &fixture);
  wait_until (&fixture, is_ready, fixture.monitor, "the watches to be set up");
  g_test_assert_expected_messages ();
  g_assert_true (shoal_folder_monitor_get_degraded (fixture.monitor));
  g_assert_cmpuint (shoal_folder_monitor_get_watch_count (fixture.monitor), ==, WATCH_LIMIT);

  /* Degraded, not dead: the watched root still reports. */
  write_file (&fixture, "top.mp3", "t");
  assert_next_signal (&fixture, "");
  fixture_tear_down (&fixture, NULL);
}

static void
test_watch_limit (void)
{
  if (g_test_subprocess ())
    {
      run_with_watch_limit ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD_TEST(path, function) \
  g_test_add (path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)

  ADD_TEST ("/folder-monitor/setup", test_setup);
  ADD_TEST ("/folder-monitor/incremental-setup", test_incremental_setup);
  ADD_TEST ("/folder-monitor/create", test_create);
  ADD_TEST ("/folder-monitor/delete", test_delete);
  ADD_TEST ("/folder-monitor/modify", test_modify);
  ADD_TEST ("/folder-monitor/rename-within-folder", test_rename_within_folder);
  ADD_TEST ("/folder-monitor/rename-across-folders", test_rename_across_folders);
  ADD_TEST ("/folder-monitor/new-subfolder", test_new_subfolder);
  ADD_TEST ("/folder-monitor/burst-coalesced", test_burst_coalesced);
  ADD_TEST ("/folder-monitor/ignored-names", test_ignored_names);
  ADD_TEST ("/folder-monitor/remove-folder", test_remove_folder);
  ADD_TEST ("/folder-monitor/constant-stream", test_constant_stream);
  ADD_TEST ("/folder-monitor/dispose-with-pending-events", test_dispose_with_pending_events);
  g_test_add_func ("/folder-monitor/watch-limit", test_watch_limit);

#undef ADD_TEST

  return g_test_run ();
}
