/* test-scanner.c — walking real folder trees: names, links, rules,
 * unreadable folders and change detection against what the index knows. */
#define _GNU_SOURCE  /* utimensat() with AT_FDCWD */

#include "library-test-util.h"
#include "shoal-library-db.h"
#include "shoal-scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* Large enough that a per-file cost shows, small enough for CI. */
#define LARGE_TREE_FOLDERS 100
#define LARGE_TREE_FILES_PER_FOLDER 1000

/* Helpers ---------------------------------------------------------------- */

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("shoal-scanner-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

static char *
path_in (const char *root,
         const char *relpath)
{
  return g_build_filename (root, relpath, NULL);
}

static void
make_folder (const char *root,
             const char *relpath)
{
  g_autofree char *path = path_in (root, relpath);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

static void
write_file (const char *root,
            const char *relpath,
            const char *contents)
{
  g_autofree char *path = path_in (root, relpath);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
make_link (const char *root,
           const char *relpath,
           const char *target)
{
  g_autofree char *path = path_in (root, relpath);

  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
set_mtime (const char *root,
           const char *relpath,
           gint64      mtime_usec)
{
  g_autofree char *path = path_in (root, relpath);
  struct timespec times[2] = {
    { .tv_sec = 0, .tv_nsec = UTIME_OMIT },
    { .tv_sec = mtime_usec / G_USEC_PER_SEC, .tv_nsec = (mtime_usec % G_USEC_PER_SEC) * 1000 },
  };

  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
}

static ShoalScanResult *
scan (const char             *root,
      const char             *subdir,
      GHashTable             *known,
      const ShoalScanOptions *options)
{
  g_autoptr(ShoalScanOptions) defaults = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  ShoalScanResult *result = shoal_scanner_scan (root, subdir, known,
                                                options != NULL ? options : defaults,
                                                NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static GHashTable *
known_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) shoal_library_file_free);
}

static void
remember_entries (GHashTable *known,
                  GPtrArray  *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const ShoalScanEntry *entry = g_ptr_array_index (entries, i);
      ShoalLibraryFile *file = shoal_library_file_new ();

      file->index = g_hash_table_size (known) + 1;
      file->relpath = g_strdup (entry->relpath);
      file->name = g_path_get_basename (entry->relpath);
      file->stat = entry->stat;
      g_hash_table_replace (known, g_strdup (entry->relpath), file);
    }
}

/* Updates @known the way the library applies a result to its index. */
static void
remember (GHashTable            *known,
          const ShoalScanResult *result)
{
  remember_entries (known, result->added);
  remember_entries (known, result->changed);
  for (guint i = 0; i < result->removed->len; i++)
    g_assert_true (g_hash_table_remove (known, g_ptr_array_index (result->removed, i)));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* "a,b,c": the relpaths of @array (entries, or strings when
 * @are_strings), sorted, for one readable assertion. */
static char *
relpaths_of (GPtrArray *array,
             gboolean   are_strings)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < array->len; i++)
    {
      gpointer item = g_ptr_array_index (array, i);

      g_ptr_array_add (names, are_strings ? item : ((ShoalScanEntry *) item)->relpath);
    }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (GStrv) names->pdata);
}

#define assert_added(result, expected) \
  G_STMT_START { g_autofree char *_got = relpaths_of ((result)->added, FALSE); \
                 g_assert_cmpstr (_got, ==, (expected)); } G_STMT_END
#define assert_changed(result, expected) \
  G_STMT_START { g_autofree char *_got = relpaths_of ((result)->changed, FALSE); \
                 g_assert_cmpstr (_got, ==, (expected)); } G_STMT_END
#define assert_removed(result, expected) \
  G_STMT_START { g_autofree char *_got = relpaths_of ((result)->removed, TRUE); \
                 g_assert_cmpstr (_got, ==, (expected)); } G_STMT_END

/* "relpath=CODE" for each problem, sorted. */
static char *
problems_of (const ShoalScanResult *result)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < result->problems->len; i++)
    {
      const ShoalScanProblem *problem = g_ptr_array_index (result->problems, i);

      g_assert_true (problem->error->domain == SHOAL_LIBRARY_ERROR);
      g_ptr_array_add (lines, g_strdup_printf ("%s=%d", problem->relpath, problem->error->code));
    }
  g_ptr_array_sort (lines, compare_strings);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv (",", (GStrv) lines->pdata);
}

#define assert_problems(result, expected) \
  G_STMT_START { g_autofree char *_got = problems_of (result); \
                 g_assert_cmpstr (_got, ==, (expected)); } G_STMT_END

static const ShoalScanEntry *
find_entry (GPtrArray  *entries,
            const char *relpath)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const ShoalScanEntry *entry = g_ptr_array_index (entries, i);

      if (strcmp (entry->relpath, relpath) == 0)
        return entry;
    }
  return NULL;
}

static const ShoalScanProblem *
find_problem (const ShoalScanResult *result,
              const char            *relpath)
{
  for (guint i = 0; i < result->problems->len; i++)
    {
      const ShoalScanProblem *problem = g_ptr_array_index (result->problems, i);

      if (strcmp (problem->relpath, relpath) == 0)
        return problem;
    }
  return NULL;
}

/* Tests ------------------------------------------------------------------ */

static void
test_unicode_names (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanResult) result = NULL;
  const ShoalScanEntry *entry;

  write_file (root, "café crème.txt", "12345");
  write_file (root, "日本語/歌.mp3", "abc");
  write_file (root, "emoji 🎵🐟/fish 🐠.ogg", "");
  write_file (root, "Ünïcödé/ñandú/Ωμέγα.flac", "x");

  result = scan (root, NULL, NULL, NULL);
  /* Sorted by bytes, as strcmp() does. */
  assert_added (result, "café crème.txt,emoji 🎵🐟/fish 🐠.ogg,Ünïcödé/ñandú/Ωμέγα.flac,日本語/歌.mp3");
  assert_problems (result, "");
  g_assert_cmpuint (result->files_seen, ==, 4);
  g_assert_cmpuint (result->bytes_seen, ==, 9);
  entry = find_entry (result->added, "café crème.txt");
  g_assert_cmpuint (entry->stat.size, ==, 5);
  g_assert_cmpuint (entry->stat.inode, !=, 0);
  g_assert_cmpint (entry->stat.mtime_usec, >, 0);

  library_test_remove_tree (root);
}

static void
test_deep_nesting (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(ShoalScanResult) result = NULL;
  g_autoptr(ShoalScanResult) shallower = NULL;
  g_autoptr(GHashTable) known = known_new ();
  g_autoptr(GString) deep = g_string_new ("d");
  g_autoptr(GString) expected_problem = NULL;
  g_autofree char *deepest_file = NULL;
  g_autofree char *last_seen_file = NULL;
  g_autofree char *problems = NULL;

  /* Default limit: a chain two levels deeper than allowed. */
  for (guint depth = 2; depth <= SHOAL_SCAN_DEFAULT_MAX_DEPTH + 2; depth++)
    {
      g_string_append (deep, "/d");
      if (depth == SHOAL_SCAN_DEFAULT_MAX_DEPTH)
        last_seen_file = g_strconcat (deep->str, "/seen.txt", NULL);
      if (depth == SHOAL_SCAN_DEFAULT_MAX_DEPTH + 1)
        expected_problem = g_string_new (deep->str);
    }
  deepest_file = g_strconcat (deep->str, "/lost.txt", NULL);
  write_file (root, last_seen_file, "");
  write_file (root, deepest_file, "");
  result = scan (root, NULL, NULL, NULL);
  assert_added (result, last_seen_file);
  problems = g_strdup_printf ("%s=%d", expected_problem->str, SHOAL_LIBRARY_ERROR_INVALID);
  assert_problems (result, problems);

  /* A tighter limit: the files it puts out of reach leave the index. */
  write_file (root, "1/f1", "");
  write_file (root, "1/2/f2", "");
  write_file (root, "1/2/3/f3", "");
  write_file (root, "1/2/3/4/f4", "");
  write_file (root, "1/2/3/4/5/f5", "");
  options->max_depth = 10;
  g_clear_pointer (&result, shoal_scan_result_free);
  result = scan (root, NULL, known, options);
  assert_added (result, "1/2/3/4/5/f5,1/2/3/4/f4,1/2/3/f3,1/2/f2,1/f1");
  remember (known, result);

  options->max_depth = 3;
  shallower = scan (root, NULL, known, options);
  assert_added (shallower, "");
  assert_removed (shallower, "1/2/3/4/5/f5,1/2/3/4/f4");
  g_assert_cmpuint (shallower->unchanged_count, ==, 3);
  g_assert_nonnull (find_problem (shallower, "1/2/3/4"));
  g_assert_null (find_problem (shallower, "1/2/3/4/5"));

  library_test_remove_tree (root);
}

static void
test_symlink_loops (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanResult) result = NULL;
  g_autofree char *expected = NULL;
  const ShoalScanProblem *problem;

  write_file (root, "a/x.mp3", "x");
  write_file (root, "a/b/y.mp3", "y");
  make_link (root, "a/b/up", "..");
  make_link (root, "a/self", ".");
  make_link (root, "a/b/top", "../..");
  make_link (root, "ring1", "ring2");
  make_link (root, "ring2", "ring1");

  result = scan (root, NULL, NULL, NULL);
  assert_added (result, "a/b/y.mp3,a/x.mp3");
  expected = g_strdup_printf ("a/b/top=%d,a/b/up=%d,a/self=%d,ring1=%d,ring2=%d",
                              SHOAL_LIBRARY_ERROR_INVALID, SHOAL_LIBRARY_ERROR_INVALID,
                              SHOAL_LIBRARY_ERROR_INVALID, SHOAL_LIBRARY_ERROR_INVALID,
                              SHOAL_LIBRARY_ERROR_INVALID);
  assert_problems (result, expected);
  problem = find_problem (result, "a/b/up");
  g_assert_nonnull (strstr (problem->error->message, "loop"));

  library_test_remove_tree (root);
}

static void
test_links_escaping_root (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *outside = make_temp_dir ();
  g_autofree char *secret = path_in (outside, "secret.txt");
  g_autofree char *outside_name = g_path_get_basename (outside);
  g_autofree char *relative_escape = g_strconcat ("../", outside_name, "/secret.txt", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(ShoalScanResult) result = NULL;
  g_autoptr(GHashTable) known = known_new ();
  g_autoptr(ShoalScanResult) after = NULL;

  write_file (outside, "secret.txt", "hostname");
  write_file (outside, "dir/z.txt", "z");
  write_file (root, "mine.txt", "ok");
  make_link (root, "leak.txt", secret);
  make_link (root, "leakdir", outside);
  make_link (root, "sneaky.txt", relative_escape);
  make_link (root, "dangling.txt", "nowhere");

  result = scan (root, NULL, NULL, NULL);
  assert_added (result, "mine.txt");
  expected = g_strdup_printf ("dangling.txt=%d,leak.txt=%d,leakdir=%d,sneaky.txt=%d",
                              SHOAL_LIBRARY_ERROR_NOT_FOUND, SHOAL_LIBRARY_ERROR_INVALID,
                              SHOAL_LIBRARY_ERROR_INVALID, SHOAL_LIBRARY_ERROR_INVALID);
  assert_problems (result, expected);

  /* A file the index had that a link now replaces leaves the index. */
  remember (known, result);
  write_file (root, "was-real.txt", "r");
  g_clear_pointer (&result, shoal_scan_result_free);
  result = scan (root, NULL, known, NULL);
  remember (known, result);
  {
    g_autofree char *path = path_in (root, "was-real.txt");

    g_assert_cmpint (unlink (path), ==, 0);
    g_assert_cmpint (symlink (secret, path), ==, 0);
  }
  after = scan (root, NULL, known, NULL);
  assert_removed (after, "was-real.txt");
  assert_added (after, "");

  library_test_remove_tree (root);
  library_test_remove_tree (outside);
}

static void
test_links_inside_root (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *elsewhere = make_temp_dir ();
  g_autofree char *root_alias = path_in (elsewhere, "alias-of-root");
  g_autofree char *absolute_target = path_in (root, "real/song.mp3");
  g_autoptr(ShoalScanResult) result = NULL;
  g_autoptr(ShoalScanResult) again = NULL;
  g_autoptr(GHashTable) known = known_new ();
  g_autofree char *expected = NULL;
  const ShoalScanEntry *song;
  const ShoalScanEntry *alias;

  write_file (root, "real/song.mp3", "song");
  write_file (root, "real/sub/b.mp3", "b");
  write_file (root, ".hidden/h.mp3", "h");
  make_link (root, "alias.mp3", "real/song.mp3");
  make_link (root, "absolute.mp3", absolute_target);
  make_link (root, "linkdir", "real");
  make_link (root, "shown", ".hidden");
  make_link (root, "real/sub/back-to-shown", "../../shown");
  /* The root itself given through a link: resolved once, so links
   * inside still count as inside. */
  g_assert_cmpint (symlink (root, root_alias), ==, 0);

  result = scan (root_alias, NULL, known, NULL);
  assert_added (result, "absolute.mp3,alias.mp3,real/song.mp3,real/sub/b.mp3,shown/h.mp3");
  expected = g_strdup_printf ("linkdir=%d,real/sub/back-to-shown=%d",
                              SHOAL_LIBRARY_ERROR_INVALID, SHOAL_LIBRARY_ERROR_INVALID);
  assert_problems (result, expected);
  song = find_entry (result->added, "real/song.mp3");
  alias = find_entry (result->added, "alias.mp3");
  g_assert_cmpuint (alias->stat.inode, ==, song->stat.inode);
  g_assert_cmpuint (alias->stat.size, ==, 4);

  /* The same tree scanned again names the same files the same way. */
  remember (known, result);
  again = scan (root, NULL, known, NULL);
  assert_added (again, "");
  assert_changed (again, "");
  assert_removed (again, "");
  g_assert_cmpuint (again->unchanged_count, ==, 5);

  library_test_remove_tree (root);
  library_test_remove_tree (elsewhere);
}

static void
test_hidden_names (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(ShoalScanResult) result = NULL;
  g_autoptr(ShoalScanResult) shown = NULL;

  write_file (root, ".hidden.mp3", "");
  write_file (root, ".hdir/a.mp3", "");
  write_file (root, "v/.x", "");
  write_file (root, "v/seen.mp3", "");

  result = scan (root, NULL, NULL, options);
  assert_added (result, "v/seen.mp3");
  g_assert_cmpuint (result->excluded_count, ==, 3);

  options->skip_hidden = FALSE;
  shown = scan (root, NULL, NULL, options);
  assert_added (shown, ".hdir/a.mp3,.hidden.mp3,v/.x,v/seen.mp3");
  g_assert_cmpuint (shown->excluded_count, ==, 0);

  library_test_remove_tree (root);
}

static void
test_default_ignore_patterns (void)
{
  /* One name per default pattern, in the same order. */
  const char * const patterns[] = {
    "*.part", "*.partial", "*.crdownload", "*.download", "*.tmp", "*.temp", "*~",
    "*.swp", "*.swx", "#*#", ".#*", "~$*", "Thumbs.db", "desktop.ini", ".DS_Store", NULL
  };
  const char * const names[] = {
    "movie.avi.part", "song.partial", "iso.crdownload", "a.download", "x.tmp", "y.temp",
    "notes.txt~", ".notes.txt.swp", ".notes.txt.swx", "#draft#", ".#lock", "~$report.docx",
    "Thumbs.db", "desktop.ini", ".DS_Store", NULL
  };
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(ShoalScanFilter) filter = NULL;
  g_autoptr(ShoalScanResult) result = NULL;

  g_assert_cmpuint (g_strv_length (options->ignore_patterns), ==, G_N_ELEMENTS (patterns) - 1);
  for (guint i = 0; patterns[i] != NULL; i++)
    g_assert_true (g_strv_contains ((const char * const *) options->ignore_patterns, patterns[i]));
  g_assert_true (options->skip_hidden);
  g_assert_cmpuint (options->max_depth, ==, SHOAL_SCAN_DEFAULT_MAX_DEPTH);

  /* Hidden names shown, so that each pattern alone must leave its name
   * out. */
  options->skip_hidden = FALSE;
  filter = shoal_scan_filter_new (options);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(ShoalScanOptions) single = shoal_scan_options_new_default ();
      g_autoptr(ShoalScanFilter) single_filter = NULL;
      const char * const one[] = { patterns[i], NULL };

      single->skip_hidden = FALSE;
      g_strfreev (single->ignore_patterns);
      single->ignore_patterns = g_strdupv ((GStrv) one);
      single_filter = shoal_scan_filter_new (single);
      g_assert_true (shoal_scan_filter_excludes (single_filter, names[i]));
      write_file (root, names[i], "junk");
    }
  g_assert_true (shoal_scan_filter_excludes (filter, "THUMBS.DB"));
  g_assert_true (shoal_scan_filter_excludes (filter, "Film.PART"));
  g_assert_false (shoal_scan_filter_excludes (filter, "party.mp3"));
  g_assert_false (shoal_scan_filter_excludes (filter, "temp"));
  write_file (root, "Film.PART", "junk");
  write_file (root, "downloads.tmp/inside.mp3", "junk");
  write_file (root, "keep.mp3", "keep");
  write_file (root, "party/temp.mp3", "keep");

  result = scan (root, NULL, NULL, options);
  assert_added (result, "keep.mp3,party/temp.mp3");
  g_assert_cmpuint (result->excluded_count, ==, G_N_ELEMENTS (names) - 1 + 2);

  library_test_remove_tree (root);
}

static void
test_custom_patterns (void)
{
  const char * const custom[] = { "*.iso", "private", NULL };
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(ShoalScanOptions) copy = NULL;
  g_autoptr(ShoalScanResult) result = NULL;

  g_strfreev (options->ignore_patterns);
  options->ignore_patterns = g_strdupv ((GStrv) custom);
  copy = shoal_scan_options_copy (options);
  g_assert_cmpstrv (copy->ignore_patterns, custom);

  write_file (root, "disc.iso", "");
  write_file (root, "DISC2.ISO", "");
  write_file (root, "private/diary.txt", "");
  write_file (root, "public/private", "");
  write_file (root, "public/song.mp3", "");
  write_file (root, "b.part", "");

  result = scan (root, NULL, NULL, copy);
  assert_added (result, "b.part,public/song.mp3");
  g_assert_cmpuint (result->excluded_count, ==, 4);

  library_test_remove_tree (root);
}

static void
test_unreadable_folders (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *locked = path_in (root, "locked");
  g_autofree char *expected = NULL;
  g_autoptr(GHashTable) known = known_new ();
  g_autoptr(ShoalScanResult) first = NULL;
  g_autoptr(ShoalScanResult) result = NULL;
  g_autoptr(ShoalScanResult) subdir_result = NULL;
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  ShoalScanResult *failed;

  write_file (root, "open.mp3", "o");
  write_file (root, "locked/a.mp3", "a");
  write_file (root, "locked/deeper/b.mp3", "b");
  first = scan (root, NULL, known, NULL);
  remember (known, first);
  g_assert_cmpuint (g_hash_table_size (known), ==, 3);

  g_assert_cmpint (chmod (locked, 0), ==, 0);
  library_test_set_file_read_override (FALSE);

  /* Files below a folder we cannot read are kept, not removed. */
  result = scan (root, NULL, known, NULL);
  expected = g_strdup_printf ("locked=%d", SHOAL_LIBRARY_ERROR_IO);
  assert_problems (result, expected);
  assert_removed (result, "");
  assert_added (result, "");
  g_assert_cmpuint (result->unchanged_count, ==, 1);
  subdir_result = scan (root, "locked/deeper", known, NULL);
  assert_problems (subdir_result, expected);
  assert_removed (subdir_result, "");

  /* An unreadable root is an error: nothing could be compared. */
  g_assert_cmpint (chmod (root, 0), ==, 0);
  failed = shoal_scanner_scan (root, NULL, known, options, NULL, &error);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO);
  g_assert_null (failed);

  library_test_set_file_read_override (TRUE);
  g_assert_cmpint (chmod (root, 0700), ==, 0);
  g_assert_cmpint (chmod (locked, 0700), ==, 0);
  library_test_remove_tree (root);
}

static void
test_bad_roots (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autofree char *missing = path_in (root, "missing");
  g_autofree char *file = path_in (root, "file.txt");
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  const char * const bad_subdirs[] = { "../x", "/abs", "a//b", "a/", "a/./b", "a/..", "bad\xff", NULL };

  write_file (root, "file.txt", "");
  make_folder (root, "a/b");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      ShoalScanResult *result = shoal_scanner_scan (i == 0 ? missing : file, NULL, NULL,
                                                    options, NULL, &error);

      g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
      g_assert_null (result);
    }
  for (guint i = 0; bad_subdirs[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      ShoalScanResult *result = shoal_scanner_scan (root, bad_subdirs[i], NULL, options, NULL, &error);

      g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
      g_assert_null (result);
    }

  library_test_remove_tree (root);
}

static void
test_non_utf8_names (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(ShoalScanResult) result = NULL;

  write_file (root, "good.mp3", "");
  write_file (root, "bad\xff.mp3", "");
  write_file (root, "dir\xfe\xfe/inside.mp3", "");
  write_file (root, "ok/also\xc3.mp3", "");

  result = scan (root, NULL, NULL, NULL);
  assert_added (result, "good.mp3");
  /* g_utf8_make_valid() puts one U+FFFD for each bad byte. */
  g_assert_nonnull (find_problem (result, "dir\xef\xbf\xbd\xef\xbf\xbd"));
  g_assert_nonnull (find_problem (result, "bad\xef\xbf\xbd.mp3"));
  g_assert_nonnull (find_problem (result, "ok/also\xef\xbf\xbd.mp3"));
  g_assert_cmpuint (result->problems->len, ==, 3);
  for (guint i = 0; i < result->problems->len; i++)
    {
      const ShoalScanProblem *problem = g_ptr_array_index (result->problems, i);

      g_assert_error (problem->error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
      g_assert_true (g_utf8_validate (problem->relpath, -1, NULL));
    }

  library_test_remove_tree (root);
}

static void
test_change_detection (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(GHashTable) known = known_new ();
  g_autoptr(ShoalScanResult) first = NULL;
  g_autoptr(ShoalScanResult) second = NULL;
  g_autoptr(ShoalScanResult) third = NULL;
  g_autoptr(ShoalScanResult) fourth = NULL;
  g_autoptr(ShoalScanOptions) stricter = shoal_scan_options_new_default ();
  const ShoalLibraryFile *renamed_before;
  const char * const more_patterns[] = { "later.*", NULL };
  gint64 base_usec = G_GINT64_CONSTANT (1700000000123456);

  write_file (root, "touched.mp3", "0123456789");
  write_file (root, "rewritten.mp3", "aaaaaaaaaa");
  write_file (root, "replaced.mp3", "bbbbbbbbbb");
  write_file (root, "same.mp3", "cccccccccc");
  write_file (root, "deleted.mp3", "d");
  write_file (root, "becomes-folder", "e");
  write_file (root, "becomes-fifo", "f");
  write_file (root, "later.mp3", "g");
  set_mtime (root, "touched.mp3", base_usec);
  set_mtime (root, "rewritten.mp3", base_usec);
  set_mtime (root, "replaced.mp3", base_usec);

  first = scan (root, NULL, known, NULL);
  g_assert_cmpuint (first->added->len, ==, 8);
  g_assert_cmpint (find_entry (first->added, "touched.mp3")->stat.mtime_usec, ==, base_usec);
  remember (known, first);

  /* Unchanged: reported as nothing at all, however often. */
  second = scan (root, NULL, known, NULL);
  assert_added (second, "");
  assert_changed (second, "");
  assert_removed (second, "");
  g_assert_cmpuint (second->unchanged_count, ==, 8);

  /* One microsecond later is a change. */
  set_mtime (root, "touched.mp3", base_usec + 1);
  /* Same size, new bytes, new mtime. */
  write_file (root, "rewritten.mp3", "AAAAAAAAAA");
  /* Same size and mtime, new inode: only the inode tells. */
  renamed_before = g_hash_table_lookup (known, "replaced.mp3");
  write_file (root, "replacement.new", "BBBBBBBBBB");
  set_mtime (root, "replacement.new", base_usec);
  {
    g_autofree char *from = path_in (root, "replacement.new");
    g_autofree char *to = path_in (root, "replaced.mp3");
    g_autofree char *folder_file = path_in (root, "becomes-folder");
    g_autofree char *fifo = path_in (root, "becomes-fifo");
    g_autofree char *deleted = path_in (root, "deleted.mp3");

    g_assert_cmpint (rename (from, to), ==, 0);
    g_assert_cmpint (unlink (deleted), ==, 0);
    g_assert_cmpint (unlink (folder_file), ==, 0);
    write_file (root, "becomes-folder/inner.mp3", "i");
    g_assert_cmpint (unlink (fifo), ==, 0);
    g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  }
  write_file (root, "new.mp3", "n");

  third = scan (root, NULL, known, NULL);
  assert_changed (third, "replaced.mp3,rewritten.mp3,touched.mp3");
  assert_added (third, "becomes-folder/inner.mp3,new.mp3");
  assert_removed (third, "becomes-fifo,becomes-folder,deleted.mp3");
  g_assert_cmpuint (third->unchanged_count, ==, 2);
  g_assert_cmpuint (find_entry (third->changed, "replaced.mp3")->stat.inode, !=,
                    renamed_before->stat.inode);
  g_assert_cmpint (find_entry (third->changed, "replaced.mp3")->stat.mtime_usec, ==, base_usec);
  remember (known, third);

  /* A file the rules now leave out leaves the index. */
  g_strfreev (stricter->ignore_patterns);
  stricter->ignore_patterns = g_strdupv ((GStrv) more_patterns);
  fourth = scan (root, NULL, known, stricter);
  assert_removed (fourth, "later.mp3");
  assert_added (fourth, "");
  assert_changed (fourth, "");

  library_test_remove_tree (root);
}

static void
test_subdir_rescans (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(GHashTable) known = known_new ();
  g_autoptr(ShoalScanOptions) show_hidden = shoal_scan_options_new_default ();
  g_autoptr(ShoalScanResult) first = NULL;
  g_autoptr(ShoalScanResult) part = NULL;
  g_autoptr(ShoalScanResult) deep = NULL;
  g_autoptr(ShoalScanResult) gone = NULL;
  g_autoptr(ShoalScanResult) hidden = NULL;
  g_autoptr(ShoalScanResult) through_link = NULL;
  g_autofree char *b = path_in (root, "b");
  g_autofree char *y = path_in (root, "a/y.mp3");
  g_autofree char *b_file = path_in (root, "b/z.mp3");

  write_file (root, "a/x.mp3", "x");
  write_file (root, "a/y.mp3", "y");
  write_file (root, "a/deep/w.mp3", "w");
  write_file (root, "ab/v.mp3", "v");
  write_file (root, "b/z.mp3", "z");
  write_file (root, ".h/secret.mp3", "s");
  /* The index as it was while hidden files were shared. */
  show_hidden->skip_hidden = FALSE;
  first = scan (root, NULL, known, show_hidden);
  g_assert_cmpuint (first->added->len, ==, 6);
  remember (known, first);

  write_file (root, "a/x.mp3", "xx");
  g_assert_cmpint (unlink (y), ==, 0);
  write_file (root, "a/new.mp3", "n");
  write_file (root, "b/z.mp3", "zz");
  write_file (root, "ab/v.mp3", "vv");

  /* Only "a" is looked at: "ab" (same prefix) and "b" are not. */
  part = scan (root, "a", known, NULL);
  assert_changed (part, "a/x.mp3");
  assert_added (part, "a/new.mp3");
  assert_removed (part, "a/y.mp3");
  g_assert_cmpuint (part->unchanged_count, ==, 1);
  remember (known, part);

  deep = scan (root, "a/deep", known, NULL);
  assert_added (deep, "");
  assert_changed (deep, "");
  assert_removed (deep, "");
  g_assert_cmpuint (deep->unchanged_count, ==, 1);

  /* A folder that went away: its files come back as removed. */
  g_assert_cmpint (unlink (b_file), ==, 0);
  g_assert_cmpint (rmdir (b), ==, 0);
  gone = scan (root, "b", known, NULL);
  assert_removed (gone, "b/z.mp3");
  assert_problems (gone, "");

  /* A folder the rules now leave out: the same. */
  hidden = scan (root, ".h", known, NULL);
  assert_removed (hidden, ".h/secret.mp3");
  assert_added (hidden, "");

  /* A link to a folder inside the root works as a subdir. */
  make_link (root, "shortcut", "a/deep");
  through_link = scan (root, "shortcut", known, NULL);
  assert_added (through_link, "shortcut/w.mp3");
  assert_problems (through_link, "");

  library_test_remove_tree (root);
}

static void
test_cancellation (void)
{
  g_autofree char *root = make_temp_dir ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  ShoalScanResult *result;

  write_file (root, "a/x.mp3", "x");
  g_cancellable_cancel (cancellable);
  result = shoal_scanner_scan (root, NULL, NULL, options, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (result);

  library_test_remove_tree (root);
}

static void
make_large_tree (const char *root)
{
  for (guint folder = 0; folder < LARGE_TREE_FOLDERS; folder++)
    {
      g_autofree char *name = g_strdup_printf ("folder %03u", folder);
      g_autofree char *path = path_in (root, name);
      int dir_fd;

      g_assert_cmpint (mkdir (path, 0755), ==, 0);
      dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      g_assert_cmpint (dir_fd, >=, 0);
      for (guint file = 0; file < LARGE_TREE_FILES_PER_FOLDER; file++)
        {
          char file_name[64];
          int fd;

          g_snprintf (file_name, sizeof file_name, "track %04u.mp3", file);
          fd = openat (dir_fd, file_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
          g_assert_cmpint (fd, >=, 0);
          close (fd);
        }
      close (dir_fd);
    }
}

/* Cancels a scan from another thread as soon as the scanner opens the
 * root: the walk has work left for a long while then, and no timing
 * decides when the cancel lands. */
typedef struct
{
  int           inotify_fd;
  GCancellable *cancellable;
} CancelOnOpen;

static gpointer
cancel_on_open_thread (gpointer data)
{
  CancelOnOpen *cancel = data;
  char events[sizeof (struct inotify_event) + NAME_MAX + 1];

  g_assert_cmpint (read (cancel->inotify_fd, events, sizeof events), >, 0);
  g_cancellable_cancel (cancel->cancellable);
  return NULL;
}

static void
assert_cancelled_midway (const char *root)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(ShoalScanOptions) options = shoal_scan_options_new_default ();
  g_autoptr(GError) error = NULL;
  CancelOnOpen cancel = { .inotify_fd = inotify_init1 (IN_CLOEXEC), .cancellable = cancellable };
  GThread *thread;
  ShoalScanResult *result;

  g_assert_cmpint (cancel.inotify_fd, >=, 0);
  g_assert_cmpint (inotify_add_watch (cancel.inotify_fd, root, IN_OPEN), >=, 0);
  thread = g_thread_new ("cancel-on-open", cancel_on_open_thread, &cancel);
  result = shoal_scanner_scan (root, NULL, NULL, options, cancellable, &error);
  g_thread_join (thread);
  close (cancel.inotify_fd);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (result);
}

static void
test_large_tree (void)
{
  const guint total = LARGE_TREE_FOLDERS * LARGE_TREE_FILES_PER_FOLDER;
  g_autofree char *root = make_temp_dir ();
  g_autoptr(GHashTable) known = known_new ();
  g_autoptr(ShoalScanResult) cold = NULL;
  g_autoptr(ShoalScanResult) rescan = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();

  make_large_tree (root);
  g_test_message ("created %u files in %.2f s", total, g_timer_elapsed (timer, NULL));

  g_timer_start (timer);
  cold = scan (root, NULL, known, NULL);
  g_test_message ("cold scan of %u files: %.3f s", total, g_timer_elapsed (timer, NULL));
  g_assert_cmpuint (cold->added->len, ==, total);
  g_assert_cmpuint (cold->files_seen, ==, total);
  g_assert_nonnull (find_entry (cold->added, "folder 042/track 0999.mp3"));
  remember (known, cold);

  g_timer_start (timer);
  rescan = scan (root, NULL, known, NULL);
  g_test_message ("unchanged rescan of %u files: %.3f s", total, g_timer_elapsed (timer, NULL));
  g_assert_cmpuint (rescan->unchanged_count, ==, total);
  assert_added (rescan, "");
  assert_changed (rescan, "");
  assert_removed (rescan, "");

  assert_cancelled_midway (root);

  library_test_remove_tree (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/scanner/unicode-names", test_unicode_names);
  g_test_add_func ("/scanner/deep-nesting", test_deep_nesting);
  g_test_add_func ("/scanner/symlink-loops", test_symlink_loops);
  g_test_add_func ("/scanner/links-escaping-root", test_links_escaping_root);
  g_test_add_func ("/scanner/links-inside-root", test_links_inside_root);
  g_test_add_func ("/scanner/hidden-names", test_hidden_names);
  g_test_add_func ("/scanner/default-ignore-patterns", test_default_ignore_patterns);
  g_test_add_func ("/scanner/custom-patterns", test_custom_patterns);
  g_test_add_func ("/scanner/unreadable-folders", test_unreadable_folders);
  g_test_add_func ("/scanner/bad-roots", test_bad_roots);
  g_test_add_func ("/scanner/non-utf8-names", test_non_utf8_names);
  g_test_add_func ("/scanner/change-detection", test_change_detection);
  g_test_add_func ("/scanner/subdir-rescans", test_subdir_rescans);
  g_test_add_func ("/scanner/cancellation", test_cancellation);
  g_test_add_func ("/scanner/large-tree", test_large_tree);

  return g_test_run ();
}
