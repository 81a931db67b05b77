/* test-library-crash.c — killing the servent while it scans and hashes
 * loses nothing: the database stays whole and the next start finishes the
 * work without hashing again what was done.
 *
 * The test runs itself as a child ("--child DATA TREE"): the child shares
 * TREE and runs until idle, then prints how many files it hashed. The
 * parent kills it with SIGKILL at random moments, checks the database after
 * each kill, and finally lets one child finish. */
#include "library-test-util.h"
#include "shoal-library-db.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

/* Each round adds this much work: new files, and rewritten large ones that
 * must be hashed again. */
#define SMALL_FILES 200
#define LARGE_FILES 12
#define REWRITTEN_FILES 3
#define LARGE_FILE_SIZE (4 * 1024 * 1024)
#define ROUND_FILES (SMALL_FILES + LARGE_FILES)
#define KILLS 6

/* Tells the parent that the scan is committed and hashing has begun. */
static void
on_hash_total (GObject    *library,
               GParamSpec *pspec,
               gpointer    user_data)
{
  gboolean *announced = user_data;
  guint64 total = 0;

  g_object_get (library, "hash-files-total", &total, NULL);
  if (total > 0 && !*announced)
    {
      *announced = TRUE;
      g_print ("hashing\n");
      fflush (stdout);
    }
}

static int
run_child (const char *data_dir,
           const char *tree)
{
  g_autoptr(ShoalLibrary) library = shoal_library_new (data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = NULL;
  gboolean announced = FALSE;

  g_signal_connect (library, "notify::hash-files-total", G_CALLBACK (on_hash_total), &announced);
  library_test_wait_idle (library);
  root = library_test_add_root (library, tree, &error);
  if (root == NULL)
    g_error ("child: %s", error->message);
  library_test_wait_idle (library);
  if (!announced)
    g_print ("hashing\n");
  g_print ("hashed %" G_GUINT64_FORMAT "\n", shoal_library_get_files_hashed (library));
  return 0;
}

static char *
file_relpath (guint round,
              guint i)
{
  return g_strdup_printf ("round%u/folder%02u/crash_file_%04u.bin", round, i % 17, i);
}

/* Small files are short text; large ones a pattern that @version changes. */
static void
write_file (const char *tree,
            guint       round,
            guint       i,
            guint       version)
{
  g_autofree char *relpath = file_relpath (round, i);

  if (i < SMALL_FILES)
    {
      g_autofree char *text = g_strdup_printf ("small file %u of round %u\n", i, round);

      library_test_write_file (tree, relpath, text, strlen (text));
    }
  else
    {
      g_autofree char *data = g_malloc (LARGE_FILE_SIZE);
      g_autofree char *label = g_strdup_printf ("round %u file %u version %u", round, i, version);

      for (gsize j = 0; j < LARGE_FILE_SIZE; j++)
        data[j] = (char) ((i * 131 + j * 7) & 0xff);
      /* Unique contents: the test finds each file by its hash. */
      memcpy (data, label, strlen (label));
      library_test_write_file (tree, relpath, data, LARGE_FILE_SIZE);
    }
}

/* Fresh work for one run: a new batch of files, and some large files of
 * the previous batch rewritten. */
static void
add_round_of_work (const char *tree,
                   guint       round)
{
  for (guint i = 0; i < ROUND_FILES; i++)
    write_file (tree, round, i, 0);
  for (guint i = 0; round > 0 && i < REWRITTEN_FILES; i++)
    write_file (tree, round - 1, SMALL_FILES + i, round);
}

static char *
read_child_line (GIOChannel *channel)
{
  char *line = NULL;

  g_assert_cmpint (g_io_channel_read_line (channel, &line, NULL, NULL, NULL), ==, G_IO_STATUS_NORMAL);
  return line;
}

static GPid
spawn_child (const char *data_dir,
             const char *tree,
             int        *stdout_fd)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self_exe, "--child", data_dir, tree, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_assert_nonnull (self_exe);
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, NULL, stdout_fd, NULL, &error);
  g_assert_no_error (error);
  return pid;
}

static ShoalLibraryTotals
check_database (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "library.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryDb) db = NULL;
  ShoalLibraryTotals totals = { 0 };

  /* Read-write, as the next start opens it: this replays the WAL. */
  db = shoal_library_db_open (path, SHOAL_LIBRARY_DB_READ_WRITE, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_library_db_check_integrity (db, &error));
  g_assert_no_error (error);
  g_assert_true (shoal_library_db_get_totals (db, &totals, &error));
  g_assert_no_error (error);
  return totals;
}

/* Returns whether the child was still working when killed. With
 * @during_hashing the window starts when the child says it is hashing. */
static gboolean
kill_at_random_moment (const char *data_dir,
                       const char *tree,
                       gint64      window_usec,
                       gboolean    during_hashing)
{
  int out = -1;
  GPid pid = spawn_child (data_dir, tree, &out);
  g_autoptr(GIOChannel) channel = g_io_channel_unix_new (out);
  int status;
  gint64 delay = g_test_rand_int_range (1, (gint32) MAX (window_usec, 2));

  g_io_channel_set_close_on_unref (channel, TRUE);
  if (during_hashing)
    g_free (read_child_line (channel));
  /* Not a sleep for luck: the moment of the kill is the random input,
   * drawn within how long that part of a run takes. */
  g_usleep (delay);
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_test_message ("killed %" G_GINT64_FORMAT " ms after %s (%s)", delay / 1000,
                  during_hashing ? "hashing began" : "start",
                  WIFSIGNALED (status) ? "mid-work" : "had already finished");
  return WIFSIGNALED (status);
}

/* Runs a child to the end; *hashing_usec (may be NULL) gets how long it
 * spent from "hashing" to its end. */
static guint64
finish_in_child (const char *data_dir,
                 const char *tree,
                 gint64     *hashing_usec)
{
  int out = -1;
  GPid pid = spawn_child (data_dir, tree, &out);
  g_autoptr(GIOChannel) channel = g_io_channel_unix_new (out);
  g_autofree char *announce = NULL;
  g_autofree char *line = NULL;
  guint64 hashed = 0;
  gint64 hashing_start;
  int status;

  g_io_channel_set_close_on_unref (channel, TRUE);
  announce = read_child_line (channel);
  g_assert_cmpstr (announce, ==, "hashing\n");
  hashing_start = g_get_monotonic_time ();
  line = read_child_line (channel);
  if (hashing_usec != NULL)
    *hashing_usec = g_get_monotonic_time () - hashing_start;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  g_assert_true (g_str_has_prefix (line, "hashed "));
  hashed = g_ascii_strtoull (line + strlen ("hashed "), NULL, 10);
  return hashed;
}

/* How many files of the tree the index holds under the SHA-1 of what is
 * on disk now: the work a start does not have to do again. A stored hash
 * of content rewritten since does not count. */
static guint
count_current_hashes (const char *data_dir,
                      const char *tree,
                      guint       rounds)
{
  g_autofree char *path = g_build_filename (data_dir, "library.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryDb) db = shoal_library_db_open (path, SHOAL_LIBRARY_DB_READ_ONLY, &error);
  guint current = 0;

  g_assert_no_error (error);
  for (guint round = 0; round < rounds; round++)
    for (guint i = 0; i < ROUND_FILES; i++)
      {
        g_autofree char *relpath = file_relpath (round, i);
        g_autofree char *file_path = g_build_filename (tree, relpath, NULL);
        g_autofree char *contents = NULL;
        g_autoptr(ShoalLibraryFile) file = NULL;
        guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
        gsize length;

        g_assert_true (g_file_get_contents (file_path, &contents, &length, NULL));
        library_test_sha1_of (contents, length, sha1);
        file = shoal_library_db_lookup_sha1 (db, sha1, NULL);
        current += file != NULL && g_strcmp0 (file->relpath, relpath) == 0;
      }
  return current;
}

/* How long one whole run and its hashing take here: the windows the kills
 * are drawn in. */
static void
calibrate (const char *tree,
           gint64     *run_usec,
           gint64     *hashing_usec)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *scratch = g_dir_make_tmp ("shoal-crash-calibrate-XXXXXX", &error);
  gint64 start = g_get_monotonic_time ();

  g_assert_no_error (error);
  g_assert_cmpuint (finish_in_child (scratch, tree, hashing_usec), ==, ROUND_FILES);
  *run_usec = g_get_monotonic_time () - start;
  library_test_remove_tree (scratch);
}

static void
test_kill_and_resume (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("shoal-crash-data-XXXXXX", &error);
  g_autofree char *tree = g_dir_make_tmp ("shoal-crash-tree-XXXXXX", &error);
  ShoalLibraryTotals totals;
  guint64 hashed_by_last;
  guint done_before;
  guint mid_work = 0;
  gint64 window, hashing_window;

  g_assert_no_error (error);
  add_round_of_work (tree, 0);
  calibrate (tree, &window, &hashing_window);
  g_test_message ("a whole run takes %" G_GINT64_FORMAT " ms, its hashing %"
                  G_GINT64_FORMAT " ms", window / 1000, hashing_window / 1000);
  for (guint round = 1; round <= KILLS; round++)
    {
      gboolean during_hashing = round % 2 == 0;

      add_round_of_work (tree, round);
      /* Odd rounds: anywhere in a run, which from nothing takes at most
       * (round + 1) windows. Even rounds: inside the hashing. */
      mid_work += kill_at_random_moment (data_dir, tree,
                                         during_hashing ? hashing_window : window * (round + 1),
                                         during_hashing);
      totals = check_database (data_dir);
      g_test_message ("after kill %u: %" G_GUINT64_FORMAT " files indexed, %"
                      G_GUINT64_FORMAT " hashed", round, totals.files, totals.hashed_files);
      g_assert_cmpuint (totals.hashed_files, <=, totals.files);
    }
  g_assert_cmpuint (mid_work, >, 0);

  /* The last start hashes exactly what no earlier run finished: every
   * file without a stored hash of its current content. */
  check_database (data_dir);
  done_before = count_current_hashes (data_dir, tree, KILLS + 1);
  hashed_by_last = finish_in_child (data_dir, tree, NULL);
  g_assert_cmpuint (hashed_by_last, ==, (KILLS + 1) * ROUND_FILES - done_before);
  totals = check_database (data_dir);
  g_assert_cmpuint (totals.files, ==, (KILLS + 1) * ROUND_FILES);
  g_assert_cmpuint (totals.hashed_files, ==, totals.files);
  g_assert_cmpuint (count_current_hashes (data_dir, tree, KILLS + 1), ==, (KILLS + 1) * ROUND_FILES);

  library_test_remove_tree (tree);
  library_test_remove_tree (data_dir);
}

int
main (int argc, char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--child"))
    return run_child (argv[2], argv[3]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/library-crash/kill-and-resume", test_kill_and_resume);
  return g_test_run ();
}
