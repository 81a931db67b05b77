/* library.c — how fast the library hashes, indexes and answers, on trees it
 * generates. Not a test: it prints figures and ratios against a reference
 * run in the same process (sha1sum over the same files) and never fails on
 * a timing.
 *
 *   bench/library [--quick]
 */
#include "shoal-library.h"
#include "shoal-library-db.h"
#include "shoal-sha1.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define HASH_FILES 8
#define HASH_FILE_SIZE (64 * 1024 * 1024)
#define INDEX_FILES 100000
#define INDEX_FOLDERS 1000
#define LOOKUP_NAMES 1000000
#define LOOKUP_QUERIES 10000
#define VOCABULARY 4000

static gboolean quick;

/* Helpers ------------------------------------------------------------------- */

static char *
make_work_dir (const char *name)
{
  const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
  g_autofree char *template = g_strdup_printf ("shoal-bench-%s-XXXXXX", name);
  char *path = g_build_filename (base, template, NULL);

  if (g_mkdtemp (path) == NULL)
    g_error ("cannot create %s: %s", path, g_strerror (errno));
  return path;
}

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
}

static guint64
rss_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  return line ? g_ascii_strtoull (line + strlen (field) + 1, NULL, 10) : 0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Hashing ------------------------------------------------------------------- */

static void
bench_hashing (void)
{
  g_autofree char *dir = make_work_dir ("hash");
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *pattern = g_malloc (HASH_FILE_SIZE);
  guint files = quick ? 2 : HASH_FILES;
  double ours, reference;
  gint64 start;

  for (gsize i = 0; i < HASH_FILE_SIZE; i++)
    pattern[i] = (char) g_random_int ();
  for (guint i = 0; i < files; i++)
    {
      char *path = g_strdup_printf ("%s/file%u.bin", dir, i);

      pattern[0] = (char) i;
      g_file_set_contents (path, pattern, HASH_FILE_SIZE, NULL);
      g_ptr_array_add (paths, path);
    }

  start = g_get_monotonic_time ();
  for (guint i = 0; i < paths->len; i++)
    {
      guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
      ShoalFileStat stat;
      g_autoptr(GError) error = NULL;

      if (!shoal_sha1_file (g_ptr_array_index (paths, i), sha1, &stat, NULL, NULL, NULL, &error))
        g_error ("%s", error->message);
    }
  ours = (g_get_monotonic_time () - start) / 1e6;

  {
    g_autoptr(GPtrArray) argv = g_ptr_array_new ();
    gint status;

    g_ptr_array_add (argv, "sha1sum");
    for (guint i = 0; i < paths->len; i++)
      g_ptr_array_add (argv, g_ptr_array_index (paths, i));
    g_ptr_array_add (argv, NULL);
    start = g_get_monotonic_time ();
    g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, NULL);
    reference = (g_get_monotonic_time () - start) / 1e6;
  }

  {
    double mib = (double) files * HASH_FILE_SIZE / (1024 * 1024);

    g_print ("hashing %u x %d MiB (%s):\n", files, HASH_FILE_SIZE >> 20, dir);
    g_print ("  shoal_sha1_file  %7.0f MiB/s\n", mib / ours);
    g_print ("  sha1sum          %7.0f MiB/s\n", mib / reference);
    g_print ("  ratio            %7.2fx  (target >= 1.5x)\n", reference / ours);
  }
  remove_tree (dir);
}

/* Indexing -------------------------------------------------------------------- */

static gboolean
on_timeout_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_idle (ShoalLibrary *library)
{
  guint tick = g_timeout_add (50, on_timeout_tick, NULL);

  while (!shoal_library_get_ready (library) || shoal_library_get_busy (library))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source), result, &error);

  if (root == NULL)
    g_error ("%s", error->message);
}

static void
make_small_tree (const char *tree,
                 guint       count)
{
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *folder = g_strdup_printf ("%s/folder%04u", tree, i % INDEX_FOLDERS);
      g_autofree char *path = g_strdup_printf ("%s/track_%06u_of_the_bench.mp3", folder, i);
      g_autofree char *contents = g_strdup_printf ("file %u\n", i);

      if (i < INDEX_FOLDERS)
        g_mkdir_with_parents (folder, 0755);
      g_file_set_contents (path, contents, -1, NULL);
    }
}

static void
bench_indexing (void)
{
  g_autofree char *tree = make_work_dir ("tree");
  g_autofree char *data = make_work_dir ("data");
  g_autoptr(ShoalLibrary) library = NULL;
  guint count = quick ? INDEX_FILES / 10 : INDEX_FILES;
  double initial, rescan;
  gint64 start;

  make_small_tree (tree, count);
  library = shoal_library_new (data);
  wait_idle (library);

  start = g_get_monotonic_time ();
  shoal_library_add_root_async (library, tree, NULL, on_root_added, NULL);
  while (shoal_library_get_file_count (library) < count || shoal_library_get_busy (library)
         || shoal_library_get_hashed_count (library) < count)
    g_main_context_iteration (NULL, TRUE);
  initial = (g_get_monotonic_time () - start) / 1e6;

  start = g_get_monotonic_time ();
  shoal_library_rescan (library);
  wait_idle (library);
  rescan = (g_get_monotonic_time () - start) / 1e6;

  g_print ("indexing %u small files in %d folders:\n", count, INDEX_FOLDERS);
  g_print ("  initial scan + hash + index  %6.2f s  (target <= 15 s for 100,000)\n", initial);
  g_print ("  unchanged rescan             %6.2f s  (target <= 2 s for 100,000), %"
           G_GUINT64_FORMAT " files hashed again\n", rescan,
           shoal_library_get_files_hashed (library) - count);
  g_clear_object (&library);
  remove_tree (tree);
  remove_tree (data);
}

/* Lookups ----------------------------------------------------------------------- */

static char **
make_vocabulary (void)
{
  static const char syllables[][4] = { "ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "do",
                                       "pa", "ze", "qu", "ba", "fe", "go", "hu" };
  char **words = g_new0 (char *, VOCABULARY + 1);

  for (guint i = 0; i < VOCABULARY; i++)
    {
      GString *word = g_string_new (NULL);
      guint parts = 2 + i % 3;

      for (guint p = 0; p < parts; p++)
        g_string_append (word, syllables[(i >> (p * 2) ^ (i * 7 + p)) % G_N_ELEMENTS (syllables)]);
      g_string_append_printf (word, "%u", i % 10);
      words[i] = g_string_free (word, FALSE);
    }
  return words;
}

static void
bench_lookups (void)
{
  g_autofree char *data = make_work_dir ("lookup");
  g_autofree char *db_path = g_build_filename (data, "library.db", NULL);
  g_auto(GStrv) words = make_vocabulary ();
  g_autoptr(ShoalLibraryDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *latencies = NULL;
  guint names = quick ? LOOKUP_NAMES / 10 : LOOKUP_NAMES;
  guint queries = quick ? LOOKUP_QUERIES / 10 : LOOKUP_QUERIES;
  guint64 hits = 0;
  gint64 root_id, start;
  GStatBuf st;
  double fill;

  db = shoal_library_db_open (db_path, SHOAL_LIBRARY_DB_READ_WRITE, &error);
  if (db == NULL || !shoal_library_db_add_root (db, data, &root_id, &error))
    g_error ("%s", error->message);
  start = g_get_monotonic_time ();
  shoal_library_db_begin (db, &error);
  for (guint i = 0; i < names; i++)
    {
      g_autofree char *relpath = g_strdup_printf ("%s/%s_%s_%s.mp3", words[i % 97],
                                                  words[g_random_int_range (0, VOCABULARY)],
                                                  words[g_random_int_range (0, VOCABULARY)],
                                                  words[i % VOCABULARY]);
      ShoalFileStat stat = { 1000 + i, 0, i };
      guint32 index;

      if (!shoal_library_db_upsert_file (db, root_id, relpath, &stat, &index, &error))
        g_error ("%s", error->message);
    }
  shoal_library_db_commit (db, &error);
  fill = (g_get_monotonic_time () - start) / 1e6;

  latencies = g_new (double, queries);
  for (guint q = 0; q < queries; q++)
    {
      const char *word = words[g_random_int_range (0, VOCABULARY)];
      g_autofree char *text = q % 2 ? g_strndup (word, 4)
                                    : g_strdup_printf ("%s %s", word, words[g_random_int_range (0, 97)]);
      g_autoptr(GPtrArray) results = NULL;
      gint64 t = g_get_monotonic_time ();

      results = shoal_library_db_search (db, text, SHOAL_LIBRARY_DEFAULT_MAX_RESULTS, &error);
      latencies[q] = (g_get_monotonic_time () - t) / 1e3;
      if (results == NULL)
        g_error ("%s", error->message);
      hits += results->len;
    }
  qsort (latencies, queries, sizeof (double), compare_doubles);
  g_stat (db_path, &st);

  g_print ("lookups over %u indexed names (%.1f s to insert them):\n", names, fill);
  g_print ("  keyword search p50 %6.3f ms, p99 %6.3f ms, max %6.3f ms  (target p99 <= 2 ms), "
           "%.1f results per query, cap %d\n",
           latencies[queries / 2], latencies[queries * 99 / 100], latencies[queries - 1],
           (double) hits / queries, SHOAL_LIBRARY_DEFAULT_MAX_RESULTS);
  g_print ("  database %.0f MiB, RSS %" G_GUINT64_FORMAT " MiB (peak %" G_GUINT64_FORMAT " MiB)\n",
           st.st_size / (1024.0 * 1024.0), rss_kib ("VmRSS:") / 1024, rss_kib ("VmHWM:") / 1024);
  g_clear_pointer (&db, shoal_library_db_close);
  remove_tree (data);
}

int
main (int argc, char **argv)
{
  quick = argc > 1 && g_str_equal (argv[1], "--quick");
  bench_hashing ();
  bench_indexing ();
  bench_lookups ();
  return 0;
}
