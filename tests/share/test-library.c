/* test-library.c — ShoalLibrary end to end: sharing a folder, searching it,
 * following it live, reopening without hashing again. */
#include "library-test-util.h"
#include "shoal-library-db.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define OBSIDIAN "obsidian_tortoise_almanac.txt"
#define OBSIDIAN_TEXT "The tortoise keeps an almanac of obsidian."

typedef struct
{
  char         *data_dir;
  char         *tree;
  ShoalLibrary *library;
  ShoalSharedRoot *root;
} Fixture;

/* A small library: names in several scripts, a hidden file and a partial
 * download that must not be shared, a deep folder. */
static void
make_tree (const char *tree)
{
  library_test_write_file (tree, OBSIDIAN, OBSIDIAN_TEXT, strlen (OBSIDIAN_TEXT));
  library_test_write_file (tree, "Café del Mar.ogg", "music", 5);
  library_test_write_file (tree, "日本語のファイル.txt", "nihongo", 7);
  library_test_write_file (tree, "a/b/c/d/e/zebrafish_quantum_lattice.bin", "zebra", 5);
  library_test_write_file (tree, ".hidden_notes.txt", "secret", 6);
  library_test_write_file (tree, "movie.avi.part", "partial", 7);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->data_dir = g_dir_make_tmp ("shoal-library-data-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->tree = g_dir_make_tmp ("shoal-library-tree-XXXXXX", &error);
  g_assert_no_error (error);
  make_tree (fixture->tree);
  fixture->library = shoal_library_new (fixture->data_dir);
  library_test_wait_idle (fixture->library);
  fixture->root = library_test_add_root (fixture->library, fixture->tree, &error);
  g_assert_no_error (error);
  library_test_wait_idle (fixture->library);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->root);
  g_clear_object (&fixture->library);
  library_test_remove_tree (fixture->tree);
  library_test_remove_tree (fixture->data_dir);
  g_free (fixture->tree);
  g_free (fixture->data_dir);
}

static guint
count_results (ShoalLibrary *library,
               const char   *text)
{
  g_autoptr(GPtrArray) results = library_test_search (library, text);

  return results->len;
}

static void
test_share_and_search (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) by_hash = NULL;
  ShoalLibraryFile *file;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  /* Four shared: the hidden file and the partial download are left out. */
  g_assert_cmpuint (shoal_library_get_file_count (fixture->library), ==, 4);
  g_assert_cmpuint (shoal_library_get_hashed_count (fixture->library), ==, 4);
  g_assert_cmpuint (shoal_library_get_files_hashed (fixture->library), ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_library_get_roots (fixture->library)), ==, 1);
  g_assert_cmpuint (shoal_shared_root_get_file_count (fixture->root), ==, 4);
  g_assert_cmpfloat (shoal_library_get_qrp_fill_ratio (fixture->library), >, 0.0);
  /* Its scan is over: the folder no longer says it is being scanned. */
  g_assert_false (shoal_shared_root_get_scanning (fixture->root));

  results = library_test_search (fixture->library, "tortoise almanac");
  g_assert_cmpuint (results->len, ==, 1);
  file = g_ptr_array_index (results, 0);
  g_assert_cmpstr (file->name, ==, OBSIDIAN);
  g_assert_true (file->has_sha1);
  library_test_sha1_of (OBSIDIAN_TEXT, strlen (OBSIDIAN_TEXT), sha1);
  g_assert_cmpmem (file->sha1, sizeof sha1, sha1, sizeof sha1);
  g_assert_cmpuint (file->index, >, 0);

  g_assert_cmpuint (count_results (fixture->library, "OBSID"), ==, 1);
  g_assert_cmpuint (count_results (fixture->library, "cafe"), ==, 1);
  g_assert_cmpuint (count_results (fixture->library, "日本語"), ==, 1);
  g_assert_cmpuint (count_results (fixture->library, "zebrafish"), ==, 1);
  g_assert_cmpuint (count_results (fixture->library, "tortoise zebrafish"), ==, 0);
  g_assert_cmpuint (count_results (fixture->library, "hidden"), ==, 0);
  g_assert_cmpuint (count_results (fixture->library, "movie"), ==, 0);
  g_assert_cmpuint (count_results (fixture->library, "\"NEAR(* -:^"), ==, 0);

  by_hash = library_test_search_sha1 (fixture->library, sha1);
  g_assert_cmpuint (by_hash->len, ==, 1);
  g_assert_cmpuint (((ShoalLibraryFile *) g_ptr_array_index (by_hash, 0))->index, ==, file->index);
}

typedef struct
{
  ShoalLibrary *library;
  const char   *text;
  guint         expected;
} SearchWait;

static gboolean
search_gives (gpointer data)
{
  SearchWait *wait = data;

  return !shoal_library_get_busy (wait->library) &&
         count_results (wait->library, wait->text) == wait->expected;
}

static void
wait_for_count (ShoalLibrary *library,
                const char   *text,
                guint         expected)
{
  SearchWait wait = { library, text, expected };
  g_autofree char *what = g_strdup_printf ("\"%s\" to give %u results", text, expected);

  library_test_wait (search_gives, &wait, what);
}

static void
test_live_updates (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *old_path = g_build_filename (fixture->tree, "a/b/c/d/e/zebrafish_quantum_lattice.bin", NULL);
  g_autofree char *new_path = g_build_filename (fixture->tree, "moved_zebrafish_lattice.bin", NULL);
  g_autofree char *walrus = g_build_filename (fixture->tree, "new/walrus_song.txt", NULL);
  guint64 hashed_before;

  /* Created, in a folder that did not exist yet. */
  library_test_write_file (fixture->tree, "new/walrus_song.txt", "coo", 3);
  wait_for_count (fixture->library, "walrus", 1);

  /* Renamed across folders: found by its new name, not hashed again. */
  library_test_wait_idle (fixture->library);
  hashed_before = shoal_library_get_files_hashed (fixture->library);
  g_assert_cmpint (g_rename (old_path, new_path), ==, 0);
  wait_for_count (fixture->library, "moved zebrafish", 1);
  library_test_wait_idle (fixture->library);
  g_assert_cmpuint (shoal_library_get_files_hashed (fixture->library), ==, hashed_before);
  g_assert_cmpuint (shoal_library_get_file_count (fixture->library), ==, 5);

  /* Deleted. */
  g_assert_cmpint (g_unlink (walrus), ==, 0);
  wait_for_count (fixture->library, "walrus", 0);
  library_test_wait_idle (fixture->library);
  g_assert_cmpuint (shoal_library_get_file_count (fixture->library), ==, 4);
}

static gboolean
hashed_more_than (gpointer data)
{
  ShoalLibrary *library = ((gpointer *) data)[0];
  guint64 before = GPOINTER_TO_SIZE (((gpointer *) data)[1]);

  return shoal_library_get_files_hashed (library) > before && !shoal_library_get_busy (library);
}

static void
test_modified_is_rehashed (Fixture       *fixture,
                           gconstpointer  data)
{
  static const char new_text[] = "The almanac was rewritten.";
  g_autoptr(GPtrArray) old_hits = NULL;
  g_autoptr(GPtrArray) new_hits = NULL;
  guint8 old_sha1[SHOAL_SHARE_SHA1_SIZE], new_sha1[SHOAL_SHARE_SHA1_SIZE];
  gpointer wait[2] = { fixture->library,
                       GSIZE_TO_POINTER (shoal_library_get_files_hashed (fixture->library)) };

  library_test_sha1_of (OBSIDIAN_TEXT, strlen (OBSIDIAN_TEXT), old_sha1);
  library_test_sha1_of (new_text, strlen (new_text), new_sha1);
  library_test_write_file (fixture->tree, OBSIDIAN, new_text, strlen (new_text));
  library_test_wait (hashed_more_than, wait, "the modified file to be hashed");

  old_hits = library_test_search_sha1 (fixture->library, old_sha1);
  new_hits = library_test_search_sha1 (fixture->library, new_sha1);
  g_assert_cmpuint (old_hits->len, ==, 0);
  g_assert_cmpuint (new_hits->len, ==, 1);
}

static void
test_reopen_does_not_rehash (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(ShoalLibrary) again = NULL;

  g_clear_object (&fixture->root);
  g_clear_object (&fixture->library);
  again = shoal_library_new (fixture->data_dir);
  library_test_wait_idle (again);
  /* Reopening rescans every root, and so does an explicit rescan: nothing
   * changed, so nothing is hashed again. */
  shoal_library_rescan (again);
  library_test_wait_idle (again);
  g_assert_cmpuint (shoal_library_get_file_count (again), ==, 4);
  g_assert_cmpuint (shoal_library_get_hashed_count (again), ==, 4);
  g_assert_cmpuint (shoal_library_get_files_hashed (again), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_library_get_roots (again)), ==, 1);
  g_assert_cmpuint (count_results (again, "almanac"), ==, 1);
  g_assert_cmpfloat (shoal_library_get_qrp_fill_ratio (again), >, 0.0);
}

/* Makes the file with @contents wait for a hash, as a crash between its
 * scan and its hashing leaves it; with @stale_stat its stored stat is also
 * not what is on disk, as when it changed while we were not running. */
static void
make_pending (ShoalLibraryDb *db,
              const char     *contents,
              gboolean        stale_stat)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryFile) file = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  ShoalFileStat other;
  guint32 index;

  library_test_sha1_of (contents, strlen (contents), sha1);
  file = shoal_library_db_lookup_sha1 (db, sha1, &error);
  g_assert_no_error (error);
  other = file->stat;
  other.size++;
  g_assert_true (shoal_library_db_upsert_file (db, file->root_id, file->relpath, &other, &index, &error));
  if (!stale_stat)
    g_assert_true (shoal_library_db_upsert_file (db, file->root_id, file->relpath, &file->stat, &index, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, file->index);
}

static void
test_reopen_resumes_hashing_once (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (fixture->data_dir, "library.db", NULL);
  g_autoptr(ShoalLibrary) again = NULL;
  g_autoptr(GError) error = NULL;
  ShoalLibraryDb *db;

  g_clear_object (&fixture->root);
  g_clear_object (&fixture->library);
  db = shoal_library_db_open (db_path, SHOAL_LIBRARY_DB_READ_WRITE, &error);
  g_assert_no_error (error);
  make_pending (db, OBSIDIAN_TEXT, FALSE);
  make_pending (db, "music", TRUE);
  shoal_library_db_close (db);

  /* The second file is both pending and changed on disk: the start must
   * hash it once, not once for each reason. */
  again = shoal_library_new (fixture->data_dir);
  library_test_wait_idle (again);
  g_assert_cmpuint (shoal_library_get_files_hashed (again), ==, 2);
  g_assert_cmpuint (shoal_library_get_hashed_count (again), ==, 4);
}

/* A link to a file inside the share is shared as that file, and gets its
 * hash like any other (the hasher itself never opens through a link). */
static void
test_linked_file_hashed (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *link_path = g_build_filename (fixture->tree, "almanac_alias.txt", NULL);
  g_autoptr(GPtrArray) hits = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  g_assert_cmpint (symlink (OBSIDIAN, link_path), ==, 0);
  shoal_library_rescan (fixture->library);
  library_test_wait_idle (fixture->library);
  g_assert_cmpuint (shoal_library_get_file_count (fixture->library), ==, 5);
  g_assert_cmpuint (shoal_library_get_hashed_count (fixture->library), ==, 5);
  library_test_sha1_of (OBSIDIAN_TEXT, strlen (OBSIDIAN_TEXT), sha1);
  hits = library_test_search_sha1 (fixture->library, sha1);
  g_assert_cmpuint (hits->len, ==, 2);
}

static void
test_remove_root (Fixture       *fixture,
                  gconstpointer  data)
{
  shoal_library_remove_root (fixture->library, fixture->root);
  library_test_wait_idle (fixture->library);
  g_assert_cmpuint (shoal_library_get_file_count (fixture->library), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_library_get_roots (fixture->library)), ==, 0);
  g_assert_cmpuint (count_results (fixture->library, "almanac"), ==, 0);
  g_assert_cmpfloat (shoal_library_get_qrp_fill_ratio (fixture->library), ==, 0.0);
}

/* By id, and by path however it is spelled: the library keeps it
 * canonical. */
static void
test_find_root (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *spelled = g_strconcat (fixture->tree, "/./a/..//", NULL);
  g_autofree char *elsewhere = g_build_filename (fixture->tree, "a", NULL);

  g_assert_true (shoal_library_find_root (fixture->library,
                                          shoal_shared_root_get_id (fixture->root)) == fixture->root);
  g_assert_null (shoal_library_find_root (fixture->library,
                                          shoal_shared_root_get_id (fixture->root) + 1));
  g_assert_true (shoal_library_find_root_by_path (fixture->library, fixture->tree) == fixture->root);
  g_assert_true (shoal_library_find_root_by_path (fixture->library, spelled) == fixture->root);
  /* A folder inside a shared one is not a shared folder of its own. */
  g_assert_null (shoal_library_find_root_by_path (fixture->library, elsewhere));

  shoal_library_remove_root (fixture->library, fixture->root);
  library_test_wait_idle (fixture->library);
  g_assert_null (shoal_library_find_root_by_path (fixture->library, fixture->tree));
}

static void
test_bad_root (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = NULL;

  root = library_test_add_root (fixture->library, "/nonexistent/shoal/folder", &error);
  g_assert_null (root);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
  library_test_wait_idle (fixture->library);
  g_assert_cmpuint (g_list_model_get_n_items (shoal_library_get_roots (fixture->library)), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/library/share-and-search", test_share_and_search);
  ADD ("/library/live-updates", test_live_updates);
  ADD ("/library/modified-is-rehashed", test_modified_is_rehashed);
  ADD ("/library/reopen-does-not-rehash", test_reopen_does_not_rehash);
  ADD ("/library/reopen-resumes-hashing-once", test_reopen_resumes_hashing_once);
  ADD ("/library/linked-file-hashed", test_linked_file_hashed);
  ADD ("/library/remove-root", test_remove_root);
  ADD ("/library/find-root", test_find_root);
  ADD ("/library/bad-root", test_bad_root);
#undef ADD
  return g_test_run ();
}
