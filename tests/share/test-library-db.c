/* test-library-db.c — the library's SQLite store: schema, migrations, roots,
 * files and hashes, keyword search and its hostile inputs, WAL readers. */
#include "library-test-util.h"
#include "shoal-library-db.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define MANY_FILES 100000
#define MANY_FILES_PER_FOLDER 1000

typedef struct
{
  char           *dir;
  char           *db_path;
  char           *root_path;
  ShoalLibraryDb *db;
  gint64          root_id;
  guint64         next_inode;
} Fixture;

static char *
make_folder (const char *parent,
             const char *name)
{
  char *path = g_build_filename (parent, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

static ShoalLibraryDb *
open_db (const char         *path,
         ShoalLibraryDbMode  mode)
{
  g_autoptr(GError) error = NULL;
  ShoalLibraryDb *db = shoal_library_db_open (path, mode, &error);

  g_assert_no_error (error);
  g_assert_nonnull (db);
  return db;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("shoal-library-db-XXXXXX", &error);
  g_assert_no_error (error);
  /* Two folders that do not exist yet: open must create them. */
  fixture->db_path = g_build_filename (fixture->dir, "data", "shoal", "library.db", NULL);
  fixture->root_path = make_folder (fixture->dir, "shared");
  fixture->db = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE);
  g_assert_true (shoal_library_db_add_root (fixture->db, fixture->root_path,
                                            &fixture->root_id, &error));
  g_assert_no_error (error);
  fixture->next_inode = 1000;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->db, shoal_library_db_close);
  library_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->db_path);
  g_free (fixture->root_path);
}

static ShoalFileStat
make_stat (guint64 size,
           gint64  mtime_usec,
           guint64 inode)
{
  ShoalFileStat stat = { size, mtime_usec, inode };

  return stat;
}

static guint32
add_file_with_stat (Fixture             *fixture,
                    const char          *relpath,
                    const ShoalFileStat *stat)
{
  g_autoptr(GError) error = NULL;
  guint32 index = 0;

  g_assert_true (shoal_library_db_upsert_file (fixture->db, fixture->root_id, relpath,
                                               stat, &index, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (index, >, 0);
  return index;
}

static guint32
add_file (Fixture    *fixture,
          const char *relpath,
          guint64     size)
{
  ShoalFileStat stat = make_stat (size, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC, fixture->next_inode++);

  return add_file_with_stat (fixture, relpath, &stat);
}

static void
fake_sha1 (guint32 index,
           guint8  sha1[SHOAL_SHARE_SHA1_SIZE])
{
  for (guint i = 0; i < SHOAL_SHARE_SHA1_SIZE; i++)
    sha1[i] = (guint8) (index * 7 + i + 1);
}

static void
hash_file (Fixture *fixture,
           guint32  index)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryFile) file = shoal_library_db_lookup_index (fixture->db, index, &error);
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  gboolean stored = FALSE;

  g_assert_no_error (error);
  fake_sha1 (index, sha1);
  g_assert_true (shoal_library_db_set_sha1 (fixture->db, index, &file->stat, sha1,
                                            &stored, &error));
  g_assert_no_error (error);
  g_assert_true (stored);
}

static ShoalLibraryFile *
lookup (Fixture *fixture,
        guint32  index)
{
  g_autoptr(GError) error = NULL;
  ShoalLibraryFile *file = shoal_library_db_lookup_index (fixture->db, index, &error);

  g_assert_no_error (error);
  g_assert_nonnull (file);
  return file;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names a search finds, sorted and joined with '|', for comparing
 * against one expected string. */
static char *
search_names (ShoalLibraryDb *db,
              const char     *text,
              guint           max_results)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = shoal_library_db_search (db, text, max_results, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_assert_no_error (error);
  g_assert_nonnull (files);
  g_assert_cmpuint (files->len, <=, max_results);
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (names, ((ShoalLibraryFile *) files->pdata[i])->name);
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv ("|", (char **) names->pdata);
}

static void
assert_search (ShoalLibraryDb *db,
               const char     *text,
               const char     *expected)
{
  g_autofree char *found = search_names (db, text, 100);
  g_autofree char *printable = g_strescape (text, NULL);

  g_test_message ("search '%s' -> '%s'", printable, found);
  g_assert_cmpstr (found, ==, expected);
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  if (sqlite3_exec (raw, sql, NULL, NULL, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (raw));
  g_assert_cmpint (sqlite3_close (raw), ==, SQLITE_OK);
}

static char *
raw_query_text (const char *path,
                const char *sql)
{
  sqlite3 *raw = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (raw, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_close (raw), ==, SQLITE_OK);
  return text;
}

static void
assert_integrity (ShoalLibraryDb *db)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_library_db_check_integrity (db, &error));
  g_assert_no_error (error);
}

static void
assert_open_fails (const char         *path,
                   ShoalLibraryDbMode  mode,
                   int                 code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryDb) db = shoal_library_db_open (path, mode, &error);

  g_assert_null (db);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, code);
  g_test_message ("open refused: %s", error->message);
}

/* Opening and migrations ---------------------------------------------- */

static void
test_open_creates_schema (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *version = NULL;
  g_autofree char *journal = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GError) error = NULL;
  ShoalLibraryDbRoot *root;
  guint32 index;

  g_assert_true (g_file_test (fixture->db_path, G_FILE_TEST_IS_REGULAR));
  index = add_file (fixture, "kept.txt", 12);
  hash_file (fixture, index);
  g_clear_pointer (&fixture->db, shoal_library_db_close);

  version = raw_query_text (fixture->db_path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, SHOAL_LIBRARY_DB_SCHEMA_VERSION);
  journal = raw_query_text (fixture->db_path, "PRAGMA journal_mode");
  g_assert_cmpstr (journal, ==, "wal");

  fixture->db = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE);
  roots = shoal_library_db_list_roots (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roots->len, ==, 1);
  root = roots->pdata[0];
  g_assert_cmpint (root->id, ==, fixture->root_id);
  g_assert_cmpstr (root->path, ==, fixture->root_path);
  g_assert_cmpint (root->added_usec, >, 0);
  g_assert_cmpint (root->added_usec, <=, g_get_real_time ());
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_cmpstr (file->relpath, ==, "kept.txt");
    g_assert_true (file->has_sha1);
  }
  assert_search (fixture->db, "kept", "kept.txt");
  assert_integrity (fixture->db);
}

static void
test_open_read_only_missing (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "absent.db", NULL);

  assert_open_fails (path, SHOAL_LIBRARY_DB_READ_ONLY, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_migrate_empty_file (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "empty.db", NULL);
  g_autofree char *version = NULL;
  g_autoptr(ShoalLibraryDb) db = NULL;

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  /* A reader never migrates: it asks for a writer first. */
  assert_open_fails (path, SHOAL_LIBRARY_DB_READ_ONLY, SHOAL_LIBRARY_ERROR_DATABASE);
  db = open_db (path, SHOAL_LIBRARY_DB_READ_WRITE);
  assert_integrity (db);
  version = raw_query_text (path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, SHOAL_LIBRARY_DB_SCHEMA_VERSION);
}

static void
test_migrate_from_version_1 (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *version = NULL;
  guint32 index;

  index = add_file (fixture, "Old Folder/older_than_the_index.ogg", 5);
  g_clear_pointer (&fixture->db, shoal_library_db_close);
  /* Back to what version 1 had: tables and data, no search index. */
  raw_exec (fixture->db_path,
            "DROP TRIGGER files_fts_insert; DROP TRIGGER files_fts_delete;"
            "DROP TRIGGER files_fts_update; DROP TABLE files_fts;"
            "PRAGMA user_version = 1;");

  fixture->db = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE);
  version = raw_query_text (fixture->db_path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, SHOAL_LIBRARY_DB_SCHEMA_VERSION);
  /* The new index covers the rows that were there before it. */
  assert_search (fixture->db, "older index", "older_than_the_index.ogg");
  assert_search (fixture->db, "old folder ogg", "older_than_the_index.ogg");
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_cmpuint (file->stat.size, ==, 5);
  }
  assert_integrity (fixture->db);
}

static void
test_newer_schema_refused (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d",
                                          SHOAL_LIBRARY_DB_SCHEMA_VERSION + 1);
  g_autofree char *version = NULL;

  g_clear_pointer (&fixture->db, shoal_library_db_close);
  raw_exec (fixture->db_path, sql);
  assert_open_fails (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE, SHOAL_LIBRARY_ERROR_CORRUPT);
  assert_open_fails (fixture->db_path, SHOAL_LIBRARY_DB_READ_ONLY, SHOAL_LIBRARY_ERROR_CORRUPT);
  /* Refusing must not touch it. */
  version = raw_query_text (fixture->db_path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, SHOAL_LIBRARY_DB_SCHEMA_VERSION + 1);
}

static void
test_not_a_database (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "garbage.db", NULL);
  g_autofree char *garbage = g_strnfill (8192, 'x');

  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));
  assert_open_fails (path, SHOAL_LIBRARY_DB_READ_WRITE, SHOAL_LIBRARY_ERROR_CORRUPT);
  assert_open_fails (path, SHOAL_LIBRARY_DB_READ_ONLY, SHOAL_LIBRARY_ERROR_CORRUPT);
}

/* Transactions -------------------------------------------------------- */

static void
test_transactions (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryFile) missing = NULL;
  ShoalLibraryTotals totals;
  guint32 index;

  /* Outside a transaction rollback does nothing. */
  shoal_library_db_rollback (fixture->db);

  g_assert_true (shoal_library_db_begin (fixture->db, &error));
  index = add_file (fixture, "rolled back.txt", 1);
  shoal_library_db_rollback (fixture->db);
  missing = shoal_library_db_lookup_index (fixture->db, index, &error);
  g_assert_null (missing);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_search (fixture->db, "rolled", "");

  g_assert_true (shoal_library_db_begin (fixture->db, &error));
  add_file (fixture, "committed.txt", 1);
  add_file (fixture, "committed too.txt", 2);
  g_assert_true (shoal_library_db_commit (fixture->db, &error));
  g_assert_no_error (error);
  g_assert_true (shoal_library_db_get_totals (fixture->db, &totals, &error));
  g_assert_cmpuint (totals.files, ==, 2);
  assert_search (fixture->db, "committed", "committed too.txt|committed.txt");

  /* A commit without a transaction is an error, not a crash. */
  g_assert_false (shoal_library_db_commit (fixture->db, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_DATABASE);
}

/* Roots --------------------------------------------------------------- */

static void
assert_add_root_fails (Fixture    *fixture,
                       const char *path)
{
  g_autoptr(GError) error = NULL;
  gint64 id = -1;

  g_assert_false (shoal_library_db_add_root (fixture->db, path, &id, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
  g_assert_cmpint (id, ==, -1);
}

static void
test_roots_add (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *second = make_folder (fixture->dir, "second");
  g_autofree char *trailing = g_strconcat (fixture->root_path, "/", NULL);
  g_autofree char *dotted = g_build_filename (fixture->dir, ".", "second", "..", "shared", NULL);
  g_autofree char *a_file = g_build_filename (fixture->dir, "plain.txt", NULL);
  g_autofree char *absent = g_build_filename (fixture->dir, "absent", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = 0, second_id = 0;

  g_assert_true (shoal_library_db_add_root (fixture->db, fixture->root_path, &id, &error));
  g_assert_cmpint (id, ==, fixture->root_id);
  g_assert_true (shoal_library_db_add_root (fixture->db, trailing, &id, &error));
  g_assert_cmpint (id, ==, fixture->root_id);
  g_assert_true (shoal_library_db_add_root (fixture->db, dotted, &id, &error));
  g_assert_cmpint (id, ==, fixture->root_id);
  g_assert_true (shoal_library_db_add_root (fixture->db, second, &second_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (second_id, !=, fixture->root_id);

  g_assert_true (g_file_set_contents (a_file, "x", 1, NULL));
  assert_add_root_fails (fixture, "relative/folder");
  assert_add_root_fails (fixture, "");
  assert_add_root_fails (fixture, absent);
  assert_add_root_fails (fixture, a_file);
  assert_add_root_fails (fixture, "/tmp/\xff\xfe");

  roots = shoal_library_db_list_roots (fixture->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roots->len, ==, 2);
  g_assert_cmpstr (((ShoalLibraryDbRoot *) roots->pdata[1])->path, ==, second);
  path = shoal_library_db_get_root_path (fixture->db, second_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, second);
}

static void
test_roots_remove_cascades (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *second = make_folder (fixture->dir, "second");
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryFile) gone = NULL;
  ShoalLibraryTotals totals;
  gint64 second_id = 0;
  guint32 kept, removed;

  g_assert_true (shoal_library_db_add_root (fixture->db, second, &second_id, &error));
  kept = add_file (fixture, "zebra in the first root.txt", 10);
  fixture->root_id = second_id;
  removed = add_file (fixture, "zebra in the second root.txt", 20);
  add_file (fixture, "sub/folder/another zebra.txt", 30);
  hash_file (fixture, removed);
  assert_search (fixture->db, "zebra",
                 "another zebra.txt|zebra in the first root.txt|zebra in the second root.txt");

  g_assert_true (shoal_library_db_remove_root (fixture->db, second_id, &error));
  g_assert_no_error (error);
  assert_search (fixture->db, "zebra", "zebra in the first root.txt");
  gone = shoal_library_db_lookup_index (fixture->db, removed, &error);
  g_assert_null (gone);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  files = shoal_library_db_load_root_files (fixture->db, second_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (files), ==, 0);
  g_assert_true (shoal_library_db_get_totals (fixture->db, &totals, &error));
  g_assert_cmpuint (totals.files, ==, 1);
  g_assert_cmpuint (totals.bytes, ==, 10);
  g_assert_cmpuint (totals.hashed_files, ==, 0);
  /* The cascade's deletes went through the index triggers too. */
  assert_integrity (fixture->db);
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, kept);

    g_assert_cmpstr (file->name, ==, "zebra in the first root.txt");
  }

  roots = shoal_library_db_list_roots (fixture->db, &error);
  g_assert_cmpuint (roots->len, ==, 1);
  g_assert_false (shoal_library_db_remove_root (fixture->db, second_id, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  path = shoal_library_db_get_root_path (fixture->db, second_id, &error);
  g_assert_null (path);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
}

/* Files --------------------------------------------------------------- */

static void
test_upsert_semantics (Fixture       *fixture,
                       gconstpointer  data)
{
  ShoalFileStat stat = make_stat (100, 5 * G_USEC_PER_SEC, 77);
  ShoalFileStat changed;
  guint32 index, again;

  index = add_file_with_stat (fixture, "music/song.ogg", &stat);
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_cmpuint (file->index, ==, index);
    g_assert_cmpint (file->root_id, ==, fixture->root_id);
    g_assert_cmpstr (file->relpath, ==, "music/song.ogg");
    g_assert_cmpstr (file->name, ==, "song.ogg");
    g_assert_true (shoal_file_stat_equal (&file->stat, &stat));
    g_assert_false (file->has_sha1);
  }
  hash_file (fixture, index);

  /* Same stat: same index, hash kept. */
  again = add_file_with_stat (fixture, "music/song.ogg", &stat);
  g_assert_cmpuint (again, ==, index);
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_true (file->has_sha1);
  }

  /* Any of size, mtime, inode changed: same index, hash forgotten. */
  for (guint field = 0; field < 3; field++)
    {
      g_autoptr(ShoalLibraryFile) file = NULL;

      changed = stat;
      if (field == 0)
        changed.size++;
      else if (field == 1)
        changed.mtime_usec++;
      else
        changed.inode++;
      again = add_file_with_stat (fixture, "music/song.ogg", &changed);
      g_assert_cmpuint (again, ==, index);
      file = lookup (fixture, index);
      g_assert_false (file->has_sha1);
      g_assert_true (shoal_file_stat_equal (&file->stat, &changed));
      hash_file (fixture, index);
    }
  assert_integrity (fixture->db);
}

static void
test_upsert_large_values (Fixture       *fixture,
                          gconstpointer  data)
{
  /* Values past the signed 64-bit range must come back unchanged. */
  ShoalFileStat stat = make_stat (G_MAXUINT64 - 1, -5, G_MAXUINT64);
  guint32 index = add_file_with_stat (fixture, "huge.bin", &stat);
  g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

  g_assert_true (shoal_file_stat_equal (&file->stat, &stat));
}

static void
test_index_never_reused (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint32 first, last, fresh, back;

  first = add_file (fixture, "a.txt", 1);
  last = add_file (fixture, "b.txt", 1);
  g_assert_cmpuint (last, >, first);
  g_assert_true (shoal_library_db_delete_file (fixture->db, last, &error));
  g_assert_no_error (error);
  fresh = add_file (fixture, "c.txt", 1);
  g_assert_cmpuint (fresh, >, last);
  /* The same path coming back is a new file with a new index. */
  back = add_file (fixture, "b.txt", 1);
  g_assert_cmpuint (back, >, fresh);

  /* Even after a reopen (the sequence is stored, not the max rowid). */
  g_assert_true (shoal_library_db_delete_file (fixture->db, back, &error));
  g_clear_pointer (&fixture->db, shoal_library_db_close);
  fixture->db = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE);
  g_assert_cmpuint (add_file (fixture, "d.txt", 1), >, back);

  g_assert_false (shoal_library_db_delete_file (fixture->db, back, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  assert_integrity (fixture->db);
}

static void
test_index_space_exhausted (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ShoalFileStat stat = make_stat (1, 1, 1);
  guint32 index = 0;

  g_clear_pointer (&fixture->db, shoal_library_db_close);
  raw_exec (fixture->db_path,
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('files', 4294967294)");
  fixture->db = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE);
  g_assert_cmpuint (add_file (fixture, "last.txt", 1), ==, G_MAXUINT32);
  /* Index 2^32 would be truncated in a query hit: refused, not wrapped. */
  g_assert_false (shoal_library_db_upsert_file (fixture->db, fixture->root_id, "one more.txt",
                                                &stat, &index, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_DATABASE);
  g_test_message ("%s", error->message);
  g_assert_cmpuint (index, ==, 0);
}

static void
test_upsert_rejects_bad_input (Fixture       *fixture,
                               gconstpointer  data)
{
  static const char *const bad_relpaths[] = {
    "", "/absolute.txt", "a//b.txt", "a/./b.txt", "./a.txt", "../escape.txt",
    "a/../b.txt", "folder/", "..", ".", "not utf-8 \xff\xfe.txt",
  };
  ShoalFileStat stat = make_stat (1, 1, 1);
  ShoalLibraryTotals totals;

  for (guint i = 0; i < G_N_ELEMENTS (bad_relpaths); i++)
    {
      g_autoptr(GError) error = NULL;
      guint32 index = 0;

      g_assert_false (shoal_library_db_upsert_file (fixture->db, fixture->root_id,
                                                    bad_relpaths[i], &stat, &index, &error));
      g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
    }
  {
    g_autoptr(GError) error = NULL;
    guint32 index = 0;

    g_assert_false (shoal_library_db_upsert_file (fixture->db, fixture->root_id + 42,
                                                  "orphan.txt", &stat, &index, &error));
    g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
    g_assert_true (shoal_library_db_get_totals (fixture->db, &totals, NULL));
    g_assert_cmpuint (totals.files, ==, 0);
  }
  /* Odd but valid names are fine. */
  add_file (fixture, "..hidden/...txt", 1);
  add_file (fixture, " spaces \t and\nnewline ", 1);
  add_file (fixture, "quote\"'`$(rm).txt", 1);
  assert_search (fixture->db, "newline", " spaces \t and\nnewline ");
  assert_search (fixture->db, "rm", "quote\"'`$(rm).txt");
}

static void
test_set_sha1_refuses_stale_stat (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ShoalFileStat hashed = make_stat (10, 10, 10);
  ShoalFileStat modified = make_stat (11, 20, 10);
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  gboolean stored = TRUE;
  guint32 index;

  index = add_file_with_stat (fixture, "growing.log", &hashed);
  fake_sha1 (index, sha1);
  /* The file changed (and was rescanned) while it was being hashed. */
  add_file_with_stat (fixture, "growing.log", &modified);
  g_assert_true (shoal_library_db_set_sha1 (fixture->db, index, &hashed, sha1,
                                            &stored, &error));
  g_assert_no_error (error);
  g_assert_false (stored);
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_false (file->has_sha1);
  }

  g_assert_true (shoal_library_db_set_sha1 (fixture->db, index, &modified, sha1,
                                            &stored, &error));
  g_assert_true (stored);
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_true (file->has_sha1);
    g_assert_cmpmem (file->sha1, sizeof sha1, sha1, sizeof sha1);
  }

  /* A file deleted while it was hashed: nothing stored, no error. */
  g_assert_true (shoal_library_db_delete_file (fixture->db, index, &error));
  stored = TRUE;
  g_assert_true (shoal_library_db_set_sha1 (fixture->db, index, &modified, sha1,
                                            &stored, &error));
  g_assert_no_error (error);
  g_assert_false (stored);
}

static void
test_rename (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint32 index, victim, other;

  index = add_file (fixture, "inbox/draft_manuscript.odt", 300);
  hash_file (fixture, index);
  victim = add_file (fixture, "books/final.odt", 10);
  other = add_file (fixture, "books/other.odt", 10);

  g_assert_true (shoal_library_db_rename_file (fixture->db, index, "books/novel.odt", &error));
  g_assert_no_error (error);
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_cmpstr (file->relpath, ==, "books/novel.odt");
    g_assert_cmpstr (file->name, ==, "novel.odt");
    g_assert_cmpuint (file->stat.size, ==, 300);
    g_assert_true (file->has_sha1);
  }
  assert_search (fixture->db, "draft", "");
  assert_search (fixture->db, "inbox", "");
  assert_search (fixture->db, "novel books", "novel.odt");

  /* Onto an existing file: that one is replaced, as rename(2) does. */
  g_assert_true (shoal_library_db_rename_file (fixture->db, index, "books/final.odt", &error));
  g_assert_no_error (error);
  {
    g_autoptr(ShoalLibraryFile) gone = shoal_library_db_lookup_index (fixture->db, victim, &error);

    g_assert_null (gone);
    g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  {
    g_autoptr(ShoalLibraryFile) file = lookup (fixture, index);

    g_assert_cmpuint (file->stat.size, ==, 300);
    g_assert_true (file->has_sha1);
  }
  assert_search (fixture->db, "odt", "final.odt|other.odt");
  assert_integrity (fixture->db);

  g_assert_false (shoal_library_db_rename_file (fixture->db, victim, "x.odt", &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (shoal_library_db_rename_file (fixture->db, other, "../x.odt", &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
}

/* Reads --------------------------------------------------------------- */

static void
test_pending_hashes (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) first_two = NULL;
  g_autoptr(GPtrArray) after = NULL;
  guint32 index[5];

  for (guint i = 0; i < G_N_ELEMENTS (index); i++)
    {
      g_autofree char *name = g_strdup_printf ("file %u.bin", i);

      index[i] = add_file (fixture, name, i + 1);
    }
  hash_file (fixture, index[1]);
  hash_file (fixture, index[3]);

  pending = shoal_library_db_pending_hashes (fixture->db, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 3);
  g_assert_cmpuint (((ShoalLibraryFile *) pending->pdata[0])->index, ==, index[0]);
  g_assert_cmpuint (((ShoalLibraryFile *) pending->pdata[1])->index, ==, index[2]);
  g_assert_cmpuint (((ShoalLibraryFile *) pending->pdata[2])->index, ==, index[4]);
  g_assert_false (((ShoalLibraryFile *) pending->pdata[1])->has_sha1);
  g_assert_cmpuint (((ShoalLibraryFile *) pending->pdata[1])->stat.size, ==, 3);

  first_two = shoal_library_db_pending_hashes (fixture->db, 2, &error);
  g_assert_cmpuint (first_two->len, ==, 2);
  after = shoal_library_db_pending_hashes_after (fixture->db, index[0], 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 2);
  g_assert_cmpuint (((ShoalLibraryFile *) after->pdata[0])->index, ==, index[2]);
}

static void
test_lookups (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalLibraryFile) by_sha1 = NULL;
  g_autoptr(ShoalLibraryFile) none = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GPtrArray) capped = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  guint8 zero[SHOAL_SHARE_SHA1_SIZE] = { 0 };
  guint32 a, b, pending;
  gboolean stored;

  a = add_file (fixture, "copy one/same.iso", 9);
  b = add_file (fixture, "copy two/same.iso", 9);
  pending = add_file (fixture, "pending.iso", 9);
  hash_file (fixture, a);
  fake_sha1 (a, sha1);
  {
    g_autoptr(ShoalLibraryFile) file_b = lookup (fixture, b);

    g_assert_true (shoal_library_db_set_sha1 (fixture->db, b, &file_b->stat, sha1,
                                              &stored, &error));
    g_assert_true (stored);
  }

  by_sha1 = shoal_library_db_lookup_sha1 (fixture->db, sha1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (by_sha1->index, ==, a);
  copies = shoal_library_db_search_sha1 (fixture->db, sha1, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 2);
  g_assert_cmpuint (((ShoalLibraryFile *) copies->pdata[1])->index, ==, b);
  capped = shoal_library_db_search_sha1 (fixture->db, sha1, 1, &error);
  g_assert_cmpuint (capped->len, ==, 1);

  /* A pending file has no hash: an all-zero one finds nothing. */
  none = shoal_library_db_lookup_sha1 (fixture->db, zero, &error);
  g_assert_null (none);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    g_autoptr(GPtrArray) empty = shoal_library_db_search_sha1 (fixture->db, zero, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (empty->len, ==, 0);
  }
  {
    g_autoptr(ShoalLibraryFile) unknown = shoal_library_db_lookup_index (fixture->db,
                                                                         pending + 1000, &error);

    g_assert_null (unknown);
    g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND);
  }
}

static void
test_totals (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ShoalLibraryTotals totals = { 99, 99, 99, 99 };
  guint32 big;

  g_assert_true (shoal_library_db_get_totals (fixture->db, &totals, &error));
  g_assert_cmpuint (totals.files, ==, 0);
  g_assert_cmpuint (totals.bytes, ==, 0);
  g_assert_cmpuint (totals.hashed_files, ==, 0);
  g_assert_cmpuint (totals.hashed_bytes, ==, 0);

  big = add_file (fixture, "big.mkv", G_GUINT64_CONSTANT (5000000000));
  add_file (fixture, "small.txt", 7);
  add_file (fixture, "empty", 0);
  hash_file (fixture, big);
  g_assert_true (shoal_library_db_get_totals (fixture->db, &totals, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (totals.files, ==, 3);
  g_assert_cmpuint (totals.bytes, ==, G_GUINT64_CONSTANT (5000000007));
  g_assert_cmpuint (totals.hashed_files, ==, 1);
  g_assert_cmpuint (totals.hashed_bytes, ==, G_GUINT64_CONSTANT (5000000000));
}

typedef struct
{
  guint    seen;
  guint    hashed;
  guint    stop_after;
  guint32  last_index;
  gboolean in_order;
} ForeachState;

static gboolean
count_file (const ShoalLibraryFile *file,
            gpointer                user_data)
{
  ForeachState *state = user_data;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];

  state->seen++;
  state->in_order = state->in_order && file->index > state->last_index;
  state->last_index = file->index;
  g_assert_cmpstr (file->name, ==, strrchr (file->relpath, '/') + 1);
  if (file->has_sha1)
    {
      fake_sha1 (file->index, sha1);
      g_assert_cmpmem (file->sha1, sizeof sha1, sha1, sizeof sha1);
      state->hashed++;
    }
  return state->stop_after == 0 || state->seen < state->stop_after;
}

static void
test_foreach_file (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ForeachState all = { 0, 0, 0, 0, TRUE };
  ForeachState some = { 0, 0, 3, 0, TRUE };

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *relpath = g_strdup_printf ("dir %u/file %u.dat", i % 3, i);
      guint32 index = add_file (fixture, relpath, i);

      if (i % 2 == 0)
        hash_file (fixture, index);
    }
  g_assert_true (shoal_library_db_foreach_file (fixture->db, count_file, &all, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (all.seen, ==, 10);
  g_assert_cmpuint (all.hashed, ==, 5);
  g_assert_true (all.in_order);
  g_assert_true (shoal_library_db_foreach_file (fixture->db, count_file, &some, &error));
  g_assert_cmpuint (some.seen, ==, 3);
}

static void
test_load_root_files (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *second = make_folder (fixture->dir, "second");
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GError) error = NULL;
  ShoalLibraryFile *file;
  gint64 first_id = fixture->root_id;
  gint64 second_id = 0;
  guint32 index;

  index = add_file (fixture, "a/b/c.txt", 3);
  hash_file (fixture, index);
  add_file (fixture, "d.txt", 4);
  g_assert_true (shoal_library_db_add_root (fixture->db, second, &second_id, &error));
  fixture->root_id = second_id;
  add_file (fixture, "a/b/c.txt", 5);

  files = shoal_library_db_load_root_files (fixture->db, first_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (files), ==, 2);
  file = g_hash_table_lookup (files, "a/b/c.txt");
  g_assert_nonnull (file);
  g_assert_cmpuint (file->index, ==, index);
  g_assert_cmpint (file->root_id, ==, first_id);
  g_assert_cmpuint (file->stat.size, ==, 3);
  g_assert_true (file->has_sha1);
  file = g_hash_table_lookup (files, "d.txt");
  g_assert_false (file->has_sha1);
  /* Keys belong to their values: removing one frees both, cleanly. */
  g_assert_true (g_hash_table_remove (files, "d.txt"));
}

/* Search -------------------------------------------------------------- */

static void
add_search_files (Fixture *fixture)
{
  static const char *const relpaths[] = {
    "Books/obsidian_tortoise_almanac.txt",
    "Music/Beatles/help_me-now.mp3",
    "Misc/the_beatles_anthology.txt",
    "café au lait.txt",
    "Cafe Racer.avi",
    "cafe\xcc\x81 nfd.txt",  /* "café" decomposed, as macOS names it */
    "Αθήνα.jpg",
    "Re\xcc\x81sume\xcc\x81 2024.pdf",  /* decomposed inside the word */
    "ＦＵＬＬ ｗｉｄｔｈ.txt",
    "\xef\xac\x81nal cut.mov",  /* "fi" ligature */
    "日本語.txt",
    "\xf0\x9f\x90\xa2turtle\xf0\x9f\x90\xa2 race.png",
    "one_two-three.four(five)[six]{seven}+eight,nine;ten~eleven.txt",
    "not and or near.txt",
  };

  for (guint i = 0; i < G_N_ELEMENTS (relpaths); i++)
    {
      guint32 index = add_file (fixture, relpaths[i], i + 1);

      /* Half of them hashed: pending files must match by name too. */
      if (i % 2 == 0)
        hash_file (fixture, index);
    }
}

static void
test_search_semantics (Fixture       *fixture,
                       gconstpointer  data)
{
  add_search_files (fixture);

  /* AND of prefixes, in any order, across name and folders. */
  assert_search (fixture->db, "obsid", "obsidian_tortoise_almanac.txt");
  assert_search (fixture->db, "tortoise almanac", "obsidian_tortoise_almanac.txt");
  assert_search (fixture->db, "almanac obsidian", "obsidian_tortoise_almanac.txt");
  assert_search (fixture->db, "tort alm obs", "obsidian_tortoise_almanac.txt");
  assert_search (fixture->db, "tortoise zebra", "");
  assert_search (fixture->db, "books almanac", "obsidian_tortoise_almanac.txt");
  assert_search (fixture->db, "beatles help", "help_me-now.mp3");
  assert_search (fixture->db, "beatles", "help_me-now.mp3|the_beatles_anthology.txt");
  /* Prefixes start at word starts only. */
  assert_search (fixture->db, "sidian", "");
  /* Case. */
  assert_search (fixture->db, "OBSIDIAN TorToise", "obsidian_tortoise_almanac.txt");
  /* Diacritics both ways, precomposed and decomposed. */
  assert_search (fixture->db, "cafe", "Cafe Racer.avi|cafe\xcc\x81 nfd.txt|café au lait.txt");
  assert_search (fixture->db, "café", "Cafe Racer.avi|cafe\xcc\x81 nfd.txt|café au lait.txt");
  assert_search (fixture->db, "CAFÉ au", "café au lait.txt");
  assert_search (fixture->db, "cafe\xcc\x81 nfd", "cafe\xcc\x81 nfd.txt");
  assert_search (fixture->db, "αθηνα", "Αθήνα.jpg");
  assert_search (fixture->db, "ΑΘΉΝΑ", "Αθήνα.jpg");
  assert_search (fixture->db, "αθη\xcc\x81να", "Αθήνα.jpg");
  assert_search (fixture->db, "résumé", "Re\xcc\x81sume\xcc\x81 2024.pdf");
  assert_search (fixture->db, "resu 2024", "Re\xcc\x81sume\xcc\x81 2024.pdf");
  assert_search (fixture->db, "re\xcc\x81su", "Re\xcc\x81sume\xcc\x81 2024.pdf");
  /* Compatibility forms match their plain letters, both ways. */
  assert_search (fixture->db, "full width", "ＦＵＬＬ ｗｉｄｔｈ.txt");
  assert_search (fixture->db, "ｆｕｌ", "ＦＵＬＬ ｗｉｄｔｈ.txt");
  assert_search (fixture->db, "final", "\xef\xac\x81nal cut.mov");
  /* Scripts without spaces are one word each: the prefix still works. */
  assert_search (fixture->db, "日本語", "日本語.txt");
  assert_search (fixture->db, "日本", "日本語.txt");
  /* Emoji separate words; alone they are no word at all. */
  assert_search (fixture->db, "turtle race", "\xf0\x9f\x90\xa2turtle\xf0\x9f\x90\xa2 race.png");
  assert_search (fixture->db, "\xf0\x9f\x90\xa2", "");
  assert_search (fixture->db, "\xf0\x9f\x90\xa2turtle", "\xf0\x9f\x90\xa2turtle\xf0\x9f\x90\xa2 race.png");
  /* Punctuation separates words in names and in queries. */
  for (guint i = 0; i < 11; i++)
    {
      static const char *const words[] = {
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
      };

      assert_search (fixture->db, words[i],
                     "one_two-three.four(five)[six]{seven}+eight,nine;ten~eleven.txt");
    }
  assert_search (fixture->db, "two-three.four",
                 "one_two-three.four(five)[six]{seven}+eight,nine;ten~eleven.txt");
  assert_search (fixture->db, "mp3", "help_me-now.mp3");
}

static void
test_search_ranking_and_cap (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ranked = NULL;
  g_autoptr(GPtrArray) capped = NULL;
  g_autoptr(GPtrArray) none = NULL;

  add_search_files (fixture);
  /* The file named after the word before the one in a folder named so. */
  ranked = shoal_library_db_search (fixture->db, "beatles", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ranked->len, ==, 2);
  g_assert_cmpstr (((ShoalLibraryFile *) ranked->pdata[0])->name, ==,
                   "the_beatles_anthology.txt");

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *relpath = g_strdup_printf ("capped/capped file %02u.dat", i);

      add_file (fixture, relpath, i);
    }
  capped = shoal_library_db_search (fixture->db, "capped", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (capped->len, ==, 10);
  none = shoal_library_db_search (fixture->db, "capped", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_search_hostile_text (Fixture       *fixture,
                          gconstpointer  data)
{
  static const struct
  {
    const char *text;
    const char *expected;
  } cases[] = {
    /* FTS5 operators are words like any other. */
    { "AND", "not and or near.txt" },
    { "OR", "not and or near.txt" },
    { "NOT", "not and or near.txt" },
    { "NEAR", "not and or near.txt" },
    { "NEAR(not and)", "not and or near.txt" },
    { "NEAR(obsidian tortoise)", "" },
    { "NEAR/2 obsidian", "" },
    { "obsidian AND tortoise", "" },
    { "obsidian OR zebra", "" },
    { "obsidian NOT tortoise", "" },
    { "AND OR NOT", "not and or near.txt" },
    /* Quotes, balanced or not. */
    { "\"", "" },
    { "\"\"", "" },
    { "\"\"\"", "" },
    { "\"obsidian", "obsidian_tortoise_almanac.txt" },
    { "obsidian\"", "obsidian_tortoise_almanac.txt" },
    { "\"obsidian tortoise\"", "obsidian_tortoise_almanac.txt" },
    { "obs\"idian", "" },
    { "'obsidian'", "obsidian_tortoise_almanac.txt" },
    { "`obsidian`", "obsidian_tortoise_almanac.txt" },
    /* Prefix, negation, initial-token and grouping marks. */
    { "*", "" },
    { "obsid*", "obsidian_tortoise_almanac.txt" },
    { "* obsidian", "obsidian_tortoise_almanac.txt" },
    { "-", "" },
    { "-tortoise obsidian", "obsidian_tortoise_almanac.txt" },
    { "^", "" },
    { "^obsidian", "obsidian_tortoise_almanac.txt" },
    { "+obsidian +tortoise", "obsidian_tortoise_almanac.txt" },
    { "(", "" },
    { ")", "" },
    { "((obsidian)", "obsidian_tortoise_almanac.txt" },
    { "(obsidian OR", "" },
    /* Column filters are words too. */
    { "name:obsidian", "" },
    { "books:obsidian", "obsidian_tortoise_almanac.txt" },
    { "{name folder}:help", "" },
    { "- name : obsidian", "" },
    /* Other punctuation, escapes and control characters. */
    { "\\obsidian\\", "obsidian_tortoise_almanac.txt" },
    { "%_obsidian%", "obsidian_tortoise_almanac.txt" },
    { "obsidian\x01\x7f", "obsidian_tortoise_almanac.txt" },
    { "obsidian;DROP TABLE files;--", "" },
    { "'); DROP TABLE files; --", "" },
    /* Nothing to search for. */
    { "", "" },
    { "   \t\n", "" },
    { "!@#$%^&*()", "" },
    { "\xcc\x81", "" },  /* a lone combining accent */
    { "\xe2\x80\x8b", "" },  /* zero-width space */
    /* Invalid UTF-8: the bad bytes become separators. */
    { "\xff\xfeobsid\xc3", "obsidian_tortoise_almanac.txt" },
    { "\xc0\xaf", "" },
  };

  add_search_files (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_search (fixture->db, cases[i].text, cases[i].expected);
  /* Still all there: nothing was dropped. */
  assert_search (fixture->db, "almanac", "obsidian_tortoise_almanac.txt");
  assert_integrity (fixture->db);
}

static void
test_search_word_limit (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  add_search_files (fixture);
  for (guint i = 0; i < SHOAL_LIBRARY_DB_MAX_QUERY_WORDS; i++)
    g_string_append (text, i % 2 ? " obsidian" : "-tortoise");
  files = shoal_library_db_search (fixture->db, text->str, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 1);
  g_clear_pointer (&files, g_ptr_array_unref);

  g_string_append (text, " almanac");
  files = shoal_library_db_search (fixture->db, text->str, 10, &error);
  g_assert_null (files);
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID);
}

/* Every letter and digit Unicode knows as a query word: whatever folding
 * and FTS5's tokenizer make of it (one token, none, a folded letter, a few
 * words for "½"), never an error. Several per query, so that a word that
 * became an empty phrase also meets AND, and few enough that their
 * folded forms stay under the word limit. */
#define WORDS_PER_QUERY 16

static void
search_words (ShoalLibraryDb *db,
              const char     *text)
{
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  files = shoal_library_db_search (db, text, 5, &error);
  g_assert_no_error (error);
  g_assert_nonnull (files);
}

static void
test_search_every_word_character (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gint64 start = g_get_monotonic_time ();
  guint words = 0, tried = 0;

  add_search_files (fixture);
  for (gunichar c = 1; c <= 0x10ffff; c++)
    {
      char single[7] = { 0 };

      if (!g_unichar_validate (c) || !g_unichar_isalnum (c))
        continue;
      g_unichar_to_utf8 (c, single);
      g_string_append_printf (text, "%s ", single);
      tried++;
      if (++words == WORDS_PER_QUERY)
        {
          search_words (fixture->db, text->str);
          g_string_truncate (text, 0);
          words = 0;
        }
    }
  search_words (fixture->db, text->str);
  g_test_message ("%u letters and digits as query words in %.2f s", tried,
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  g_assert_cmpuint (tried, >, 100000);
}

static void
test_search_sha1_only_hashed (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) not_yet = NULL;
  guint8 sha1[SHOAL_SHARE_SHA1_SIZE];
  guint32 hashed, pending;

  hashed = add_file (fixture, "hashed.bin", 1);
  pending = add_file (fixture, "pending.bin", 1);
  hash_file (fixture, hashed);
  fake_sha1 (hashed, sha1);
  found = shoal_library_db_search_sha1 (fixture->db, sha1, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (((ShoalLibraryFile *) found->pdata[0])->index, ==, hashed);
  fake_sha1 (pending, sha1);
  not_yet = shoal_library_db_search_sha1 (fixture->db, sha1, 10, &error);
  g_assert_cmpuint (not_yet->len, ==, 0);
  /* Both are offered by name. */
  assert_search (fixture->db, "bin", "hashed.bin|pending.bin");
}

/* WAL readers ---------------------------------------------------------- */

static void
test_read_only_sees_commits (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(ShoalLibraryDb) reader = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_ONLY);
  g_autoptr(GError) error = NULL;
  ShoalFileStat stat = make_stat (1, 1, 1);
  gint64 root_id = 0;
  guint32 index = 0;

  assert_search (reader, "walrus", "");
  g_assert_true (shoal_library_db_begin (fixture->db, &error));
  index = add_file (fixture, "walrus.txt", 1);
  /* Not committed yet: the reader keeps its snapshot, without waiting. */
  assert_search (reader, "walrus", "");
  g_assert_true (shoal_library_db_commit (fixture->db, &error));
  g_assert_no_error (error);
  assert_search (reader, "walrus", "walrus.txt");
  {
    g_autoptr(ShoalLibraryFile) file = shoal_library_db_lookup_index (reader, index, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (file->relpath, ==, "walrus.txt");
  }
  assert_integrity (reader);

  /* A reader cannot write. */
  g_assert_false (shoal_library_db_upsert_file (reader, fixture->root_id, "nope.txt",
                                                &stat, &index, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_DATABASE);
  g_clear_error (&error);
  g_assert_false (shoal_library_db_add_root (reader, fixture->root_path, &root_id, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_DATABASE);
  g_clear_error (&error);

  /* Nor does it need the writer to be open. */
  g_clear_pointer (&reader, shoal_library_db_close);
  g_clear_pointer (&fixture->db, shoal_library_db_close);
  reader = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_ONLY);
  assert_search (reader, "walrus", "walrus.txt");
}

typedef struct
{
  Fixture *fixture;
  guint    seen;
} WriteWhileReading;

static gboolean
write_while_reading (const ShoalLibraryFile *file,
                     gpointer                user_data)
{
  WriteWhileReading *state = user_data;
  g_autoptr(GError) error = NULL;

  if (state->seen++ > 0)
    return TRUE;
  /* The reader holds a read snapshot here. Without WAL this commit would
   * wait for it, then fail with SQLITE_BUSY. */
  g_assert_true (shoal_library_db_begin (state->fixture->db, &error));
  add_file (state->fixture, "written meanwhile.txt", 1);
  g_assert_true (shoal_library_db_commit (state->fixture->db, &error));
  g_assert_no_error (error);
  return TRUE;
}

static void
test_write_during_read (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(ShoalLibraryDb) reader = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_ONLY);
  g_autoptr(GError) error = NULL;
  WriteWhileReading state = { fixture, 0 };

  add_file (fixture, "first.txt", 1);
  add_file (fixture, "second.txt", 1);
  g_assert_true (shoal_library_db_foreach_file (reader, write_while_reading, &state, &error));
  g_assert_no_error (error);
  /* The walk kept its snapshot: two files, not three. */
  g_assert_cmpuint (state.seen, ==, 2);
  assert_search (reader, "meanwhile", "written meanwhile.txt");
}

/* Integrity ------------------------------------------------------------ */

static void
test_integrity_finds_stale_index (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  add_file (fixture, "kept.txt", 1);
  add_file (fixture, "deleted behind our back.txt", 1);
  assert_integrity (fixture->db);
  g_clear_pointer (&fixture->db, shoal_library_db_close);
  /* A delete that skips the trigger leaves the index out of step. */
  raw_exec (fixture->db_path,
            "DROP TRIGGER files_fts_delete;"
            "DELETE FROM files WHERE name = 'deleted behind our back.txt';");
  fixture->db = open_db (fixture->db_path, SHOAL_LIBRARY_DB_READ_WRITE);
  g_assert_false (shoal_library_db_check_integrity (fixture->db, &error));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_assert_true (shoal_library_db_rebuild_search_index (fixture->db, &error));
  g_assert_no_error (error);
  assert_integrity (fixture->db);
  assert_search (fixture->db, "txt", "kept.txt");
}

/* Scale ---------------------------------------------------------------- */

static const char *const scale_words[] = {
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
};

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
insert_many_files (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (shoal_library_db_begin (fixture->db, &error));
  for (guint i = 0; i < MANY_FILES; i++)
    {
      g_autofree char *relpath =
        g_strdup_printf ("folder%03u/track_%06u_%s_%s.mp3", i / MANY_FILES_PER_FOLDER, i,
                         scale_words[i % 10], scale_words[(i / 10) % 10]);
      ShoalFileStat stat = make_stat (i, i, i);
      guint32 index;

      g_assert_true (shoal_library_db_upsert_file (fixture->db, fixture->root_id, relpath,
                                                   &stat, &index, &error));
    }
  g_assert_true (shoal_library_db_commit (fixture->db, &error));
  g_assert_no_error (error);
  g_test_message ("inserted %u files in one transaction in %.2f s",
                  MANY_FILES, seconds_since (start));
}

static guint
timed_search (ShoalLibraryDb *db,
              const char     *text,
              guint           max_results)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;
  gint64 start = g_get_monotonic_time ();

  files = shoal_library_db_search (db, text, max_results, &error);
  g_assert_no_error (error);
  g_test_message ("search '%s' (max %u): %u results in %.2f ms", text, max_results,
                  files->len, (g_get_monotonic_time () - start) / 1000.0);
  for (guint i = 0; i < files->len; i++)
    g_assert_true (g_str_has_prefix (((ShoalLibraryFile *) files->pdata[i])->name, "track_"));
  return files->len;
}

static gboolean
count_any (const ShoalLibraryFile *file,
           gpointer                user_data)
{
  (*(guint *) user_data)++;
  return TRUE;
}

static void
test_many_files (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(GError) error = NULL;
  ShoalLibraryTotals totals;
  guint counted = 0;
  gint64 start;

  insert_many_files (fixture);

  start = g_get_monotonic_time ();
  files = shoal_library_db_load_root_files (fixture->db, fixture->root_id, &error);
  g_assert_no_error (error);
  g_test_message ("loaded %u files of a root in %.2f s", g_hash_table_size (files),
                  seconds_since (start));
  g_assert_cmpuint (g_hash_table_size (files), ==, MANY_FILES);
  g_assert_nonnull (g_hash_table_lookup (files, "folder012/track_012345_foxtrot_echo.mp3"));

  start = g_get_monotonic_time ();
  g_assert_true (shoal_library_db_foreach_file (fixture->db, count_any, &counted, &error));
  g_test_message ("streamed %u files in %.2f s", counted, seconds_since (start));
  g_assert_cmpuint (counted, ==, MANY_FILES);

  start = g_get_monotonic_time ();
  g_assert_true (shoal_library_db_get_totals (fixture->db, &totals, &error));
  g_test_message ("totals in %.2f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (totals.files, ==, MANY_FILES);
  g_assert_cmpuint (totals.hashed_files, ==, 0);

  g_assert_cmpuint (timed_search (fixture->db, "012345", 100), ==, 1);
  g_assert_cmpuint (timed_search (fixture->db, "track 01234", 100), ==, 10);
  /* Either word in either place: 1 file in 100 each way. */
  g_assert_cmpuint (timed_search (fixture->db, "foxtrot echo", 100), ==, 100);
  g_assert_cmpuint (timed_search (fixture->db, "foxtrot echo", 5000), ==, 2000);
  /* 1000 files in the folder, 100 + 100 - 10 of them with foxtrot. */
  g_assert_cmpuint (timed_search (fixture->db, "folder012 foxtrot", 1000), ==, 190);
  g_assert_cmpuint (timed_search (fixture->db, "mp3", 100), ==, 100);
  g_assert_cmpuint (timed_search (fixture->db, "t", 100), ==, 100);
  g_assert_cmpuint (timed_search (fixture->db, "zulu", 100), ==, 0);

  one = shoal_library_db_search (fixture->db, "012345", 10, &error);
  g_assert_cmpstr (((ShoalLibraryFile *) one->pdata[0])->relpath, ==,
                   "folder012/track_012345_foxtrot_echo.mp3");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/library-db/open/creates-schema", test_open_creates_schema);
  ADD ("/library-db/open/read-only-missing", test_open_read_only_missing);
  ADD ("/library-db/open/migrate-empty-file", test_migrate_empty_file);
  ADD ("/library-db/open/migrate-from-version-1", test_migrate_from_version_1);
  ADD ("/library-db/open/newer-schema-refused", test_newer_schema_refused);
  ADD ("/library-db/open/not-a-database", test_not_a_database);
  ADD ("/library-db/transactions", test_transactions);
  ADD ("/library-db/roots/add", test_roots_add);
  ADD ("/library-db/roots/remove-cascades", test_roots_remove_cascades);
  ADD ("/library-db/files/upsert", test_upsert_semantics);
  ADD ("/library-db/files/upsert-large-values", test_upsert_large_values);
  ADD ("/library-db/files/index-never-reused", test_index_never_reused);
  ADD ("/library-db/files/index-space-exhausted", test_index_space_exhausted);
  ADD ("/library-db/files/bad-input", test_upsert_rejects_bad_input);
  ADD ("/library-db/files/set-sha1-stale", test_set_sha1_refuses_stale_stat);
  ADD ("/library-db/files/rename", test_rename);
  ADD ("/library-db/reads/pending", test_pending_hashes);
  ADD ("/library-db/reads/lookups", test_lookups);
  ADD ("/library-db/reads/totals", test_totals);
  ADD ("/library-db/reads/foreach", test_foreach_file);
  ADD ("/library-db/reads/load-root-files", test_load_root_files);
  ADD ("/library-db/search/semantics", test_search_semantics);
  ADD ("/library-db/search/ranking-and-cap", test_search_ranking_and_cap);
  ADD ("/library-db/search/hostile-text", test_search_hostile_text);
  ADD ("/library-db/search/word-limit", test_search_word_limit);
  ADD ("/library-db/search/every-word-character", test_search_every_word_character);
  ADD ("/library-db/search/sha1-only-hashed", test_search_sha1_only_hashed);
  ADD ("/library-db/wal/read-only-sees-commits", test_read_only_sees_commits);
  ADD ("/library-db/wal/write-during-read", test_write_during_read);
  ADD ("/library-db/integrity/stale-index", test_integrity_finds_stale_index);
  ADD ("/library-db/scale/many-files", test_many_files);

#undef ADD

  return g_test_run ();
}
