/* shoal-library-db.c — the library's SQLite store: schema and migrations,
 * roots and files, hashes, FTS5 keyword search. */
#include "shoal-library-db.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "shoal-sqlite.h"

/* The ranking schema version 2 configured; kept for that migration step. */
#define RANK_FUNCTION "bm25(10.0, 1.0)"

/* How many problems PRAGMA integrity_check reports at most: enough to say
 * what is wrong without building a huge message for a wrecked file. */
#define INTEGRITY_MAX_PROBLEMS 10

#define FILE_COLUMNS "f.id, f.root_id, f.relpath, f.name, f.size, f.mtime, f.inode, f.sha1"

G_DEFINE_QUARK (shoal-library-error-quark, shoal_library_error)

/* Step N takes a database from user_version N - 1 to N, in its own
 * transaction together with the version bump, so a database is never half
 * migrated and an interrupted migration resumes where it stopped. Steps
 * are never edited once released: a change is a new step. */
static const char *const migrations[] = {
  /* 1: shared roots and their files. search_name and search_folder are
   * what the keyword index sees of the name and of the folders above it
   * (see fold_for_search()). files.id is the file index of query
   * hits: AUTOINCREMENT so a deleted file's index is never given to
   * another file (a peer may still ask for it), and it must fit the
   * 32 bits of a query hit. */
  "CREATE TABLE roots ("
  "  id INTEGER PRIMARY KEY,"
  "  path TEXT UNIQUE NOT NULL,"
  "  added INTEGER);"
  "CREATE TABLE files ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT"
  "    CONSTRAINT index_fits_32_bits CHECK (id BETWEEN 1 AND 4294967295),"
  "  root_id INTEGER NOT NULL REFERENCES roots ON DELETE CASCADE,"
  "  relpath TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  size INTEGER,"
  "  mtime INTEGER,"
  "  inode INTEGER,"
  "  sha1 BLOB,"
  "  search_name TEXT NOT NULL,"
  "  search_folder TEXT NOT NULL,"
  "  UNIQUE (root_id, relpath));"
  /* Also serves the pending queue: NULL hashes come first, by rowid. */
  "CREATE INDEX files_sha1 ON files (sha1);",

  /* 2: the keyword index over the folded name and folder columns.
   * External content keeps each name once on disk; the triggers keep the
   * index in step with every write, including the deletes of a root's
   * cascade. */
  "CREATE VIRTUAL TABLE files_fts USING fts5 ("
  "  search_name, search_folder,"
  "  content = 'files', content_rowid = 'id',"
  "  tokenize = 'unicode61 remove_diacritics 2',"
  "  prefix = '2 3');"
  "CREATE TRIGGER files_fts_insert AFTER INSERT ON files BEGIN"
  "  INSERT INTO files_fts (rowid, search_name, search_folder)"
  "    VALUES (new.id, new.search_name, new.search_folder);"
  "END;"
  "CREATE TRIGGER files_fts_delete AFTER DELETE ON files BEGIN"
  "  INSERT INTO files_fts (files_fts, rowid, search_name, search_folder)"
  "    VALUES ('delete', old.id, old.search_name, old.search_folder);"
  "END;"
  "CREATE TRIGGER files_fts_update AFTER UPDATE OF search_name, search_folder ON files BEGIN"
  "  INSERT INTO files_fts (files_fts, rowid, search_name, search_folder)"
  "    VALUES ('delete', old.id, old.search_name, old.search_folder);"
  "  INSERT INTO files_fts (rowid, search_name, search_folder)"
  "    VALUES (new.id, new.search_name, new.search_folder);"
  "END;"
  "INSERT INTO files_fts (files_fts, rank) VALUES ('rank', '" RANK_FUNCTION "');"
  "INSERT INTO files_fts (files_fts) VALUES ('rebuild');",

  /* 3: 4-character prefixes indexed too. Users type word beginnings, and
   * a 4-letter prefix scanned term by term cost 18 ms at the 99th
   * percentile over a million names, against 3 ms indexed. Results are no
   * longer ordered by bm25 (whose IDF counts every match of every prefix),
   * so the rank setting goes with the old table. */
  "DROP TRIGGER files_fts_insert;"
  "DROP TRIGGER files_fts_delete;"
  "DROP TRIGGER files_fts_update;"
  "DROP TABLE files_fts;"
  "CREATE VIRTUAL TABLE files_fts USING fts5 ("
  "  search_name, search_folder,"
  "  content = 'files', content_rowid = 'id',"
  "  tokenize = 'unicode61 remove_diacritics 2',"
  "  prefix = '2 3 4');"
  "CREATE TRIGGER files_fts_insert AFTER INSERT ON files BEGIN"
  "  INSERT INTO files_fts (rowid, search_name, search_folder)"
  "    VALUES (new.id, new.search_name, new.search_folder);"
  "END;"
  "CREATE TRIGGER files_fts_delete AFTER DELETE ON files BEGIN"
  "  INSERT INTO files_fts (files_fts, rowid, search_name, search_folder)"
  "    VALUES ('delete', old.id, old.search_name, old.search_folder);"
  "END;"
  "CREATE TRIGGER files_fts_update AFTER UPDATE OF search_name, search_folder ON files BEGIN"
  "  INSERT INTO files_fts (files_fts, rowid, search_name, search_folder)"
  "    VALUES ('delete', old.id, old.search_name, old.search_folder);"
  "  INSERT INTO files_fts (rowid, search_name, search_folder)"
  "    VALUES (new.id, new.search_name, new.search_folder);"
  "END;"
  "INSERT INTO files_fts (files_fts) VALUES ('rebuild');",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SHOAL_LIBRARY_DB_SCHEMA_VERSION);

typedef enum
{
  STMT_INSERT_ROOT,
  STMT_FIND_ROOT,
  STMT_REMOVE_ROOT,
  STMT_LIST_ROOTS,
  STMT_ROOT_PATH,
  STMT_ROOT_FILES,
  STMT_UPSERT_FILE,
  STMT_FIND_FILE,
  STMT_DELETE_FILE,
  STMT_SET_SHA1,
  STMT_RENAME_FILE,
  STMT_PENDING,
  STMT_LOOKUP_INDEX,
  STMT_LOOKUP_SHA1,
  STMT_TOTALS,
  STMT_ALL_FILES,
  STMT_SEARCH_NAMES,
  STMT_SEARCH_ANY,
  N_STATEMENTS
} Statement;

static const char *const statement_sql[N_STATEMENTS] = {
  [STMT_INSERT_ROOT] =
    "INSERT INTO roots (path, added) VALUES (?1, ?2) ON CONFLICT (path) DO NOTHING",
  [STMT_FIND_ROOT] = "SELECT id FROM roots WHERE path = ?1",
  [STMT_REMOVE_ROOT] = "DELETE FROM roots WHERE id = ?1",
  [STMT_LIST_ROOTS] = "SELECT id, path, added FROM roots ORDER BY id",
  [STMT_ROOT_PATH] = "SELECT path FROM roots WHERE id = ?1",
  [STMT_ROOT_FILES] = "SELECT " FILE_COLUMNS " FROM files f WHERE f.root_id = ?1",
  /* An unchanged stat writes nothing (a rescan of an unchanged library
   * stays read-only) and then returns no row. */
  [STMT_UPSERT_FILE] =
    "INSERT INTO files (root_id, relpath, name, search_name, search_folder,"
    "                   size, mtime, inode)"
    "  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    "  ON CONFLICT (root_id, relpath) DO UPDATE"
    "    SET size = excluded.size, mtime = excluded.mtime,"
    "        inode = excluded.inode, sha1 = NULL"
    "    WHERE size IS NOT excluded.size OR mtime IS NOT excluded.mtime"
    "       OR inode IS NOT excluded.inode"
    "  RETURNING id",
  [STMT_FIND_FILE] = "SELECT id FROM files WHERE root_id = ?1 AND relpath = ?2",
  [STMT_DELETE_FILE] = "DELETE FROM files WHERE id = ?1",
  [STMT_SET_SHA1] =
    "UPDATE files SET sha1 = ?5"
    "  WHERE id = ?1 AND size IS ?2 AND mtime IS ?3 AND inode IS ?4",
  /* REPLACE deletes a file already at the new path, as rename(2) does;
   * recursive_triggers makes that delete update the search index. */
  [STMT_RENAME_FILE] =
    "UPDATE OR REPLACE files"
    "  SET relpath = ?2, name = ?3, search_name = ?4, search_folder = ?5 WHERE id = ?1",
  [STMT_PENDING] =
    "SELECT " FILE_COLUMNS " FROM files f"
    "  WHERE f.sha1 IS NULL AND f.id > ?1 ORDER BY f.id LIMIT ?2",
  [STMT_LOOKUP_INDEX] = "SELECT " FILE_COLUMNS " FROM files f WHERE f.id = ?1",
  [STMT_LOOKUP_SHA1] =
    "SELECT " FILE_COLUMNS " FROM files f WHERE f.sha1 = ?1 ORDER BY f.id LIMIT ?2",
  [STMT_TOTALS] =
    "SELECT count(*), coalesce (sum (size), 0), count (sha1),"
    "  coalesce (sum (size) FILTER (WHERE sha1 IS NOT NULL), 0) FROM files",
  [STMT_ALL_FILES] = "SELECT " FILE_COLUMNS " FROM files f ORDER BY f.id",
  /* Files whose own name holds every word come first; rows of files are
   * read only for the matches kept. */
  [STMT_SEARCH_NAMES] =
    "SELECT " FILE_COLUMNS " FROM"
    "  (SELECT rowid FROM files_fts WHERE files_fts MATCH 'search_name : (' || ?1 || ')'"
    "   LIMIT ?2) AS hit"
    "  JOIN files f ON f.id = hit.rowid",
  [STMT_SEARCH_ANY] =
    "SELECT " FILE_COLUMNS " FROM"
    "  (SELECT rowid FROM files_fts WHERE files_fts MATCH ?1 LIMIT ?2) AS hit"
    "  JOIN files f ON f.id = hit.rowid",
};

/* A newer schema is refused as SHOAL_LIBRARY_ERROR_CORRUPT, the
 * connection's corrupt code: this code cannot read the file. */
static const ShoalSqliteSchema schema = {
  .steps = migrations,
  .version = SHOAL_LIBRARY_DB_SCHEMA_VERSION,
  .read_what = "cannot read the library schema version",
  .begin_what = "cannot start a library transaction",
  .commit_what = "cannot commit a library transaction",
  .rollback_what = "cannot roll back a library transaction",
};

struct _ShoalLibraryDb
{
  ShoalSqlite         sqlite;
  ShoalLibraryDbMode  mode;
  sqlite3_stmt       *statements[N_STATEMENTS];  /* prepared on first use */
};

static ShoalSqliteCachedStatement *
get_statement (ShoalLibraryDb *db,
               Statement       which,
               GError        **error)
{
  return shoal_sqlite_prepare_cached (&db->sqlite, &db->statements[which], statement_sql[which],
                                      "cannot prepare a library statement", error);
}

static void
bind_stat (sqlite3_stmt        *stmt,
           int                  first,
           const ShoalFileStat *stat)
{
  /* SQLite integers are signed 64 bits; the cast round-trips exactly. */
  sqlite3_bind_int64 (stmt, first, (sqlite3_int64) stat->size);
  sqlite3_bind_int64 (stmt, first + 1, stat->mtime_usec);
  sqlite3_bind_int64 (stmt, first + 2, (sqlite3_int64) stat->inode);
}

/* Fills @file from a FILE_COLUMNS row, with borrowed strings that live
 * until the statement moves on. */
static void
read_file_row (sqlite3_stmt     *stmt,
               ShoalLibraryFile *file)
{
  const void *sha1 = sqlite3_column_blob (stmt, 7);

  file->index = (guint32) sqlite3_column_int64 (stmt, 0);
  file->root_id = sqlite3_column_int64 (stmt, 1);
  file->relpath = (char *) sqlite3_column_text (stmt, 2);
  file->name = (char *) sqlite3_column_text (stmt, 3);
  file->stat.size = (guint64) sqlite3_column_int64 (stmt, 4);
  file->stat.mtime_usec = sqlite3_column_int64 (stmt, 5);
  file->stat.inode = (guint64) sqlite3_column_int64 (stmt, 6);
  /* A blob of another size cannot be a hash: such a file is pending. */
  file->has_sha1 = sha1 != NULL && sqlite3_column_bytes (stmt, 7) == SHOAL_SHARE_SHA1_SIZE;
  if (file->has_sha1)
    memcpy (file->sha1, sha1, SHOAL_SHARE_SHA1_SIZE);
  else
    memset (file->sha1, 0, SHOAL_SHARE_SHA1_SIZE);
}

static ShoalLibraryFile *
copy_file_row (sqlite3_stmt *stmt)
{
  ShoalLibraryFile borrowed;

  read_file_row (stmt, &borrowed);
  return shoal_library_file_copy (&borrowed);
}

static GPtrArray *
new_file_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_library_file_free);
}

/* Every row of @stmt as a ShoalLibraryFile*. */
static GPtrArray *
collect_files (ShoalLibraryDb *db,
               sqlite3_stmt   *stmt,
               const char     *what,
               GError        **error)
{
  g_autoptr(GPtrArray) files = new_file_array ();
  gboolean has_row;

  while (shoal_sqlite_step (&db->sqlite, stmt, &has_row, what, error))
    {
      if (!has_row)
        return g_steal_pointer (&files);
      g_ptr_array_add (files, copy_file_row (stmt));
    }
  return NULL;
}

/* Opening and migrations ---------------------------------------------- */

static gboolean
check_schema_read_only (ShoalLibraryDb *db,
                        GError        **error)
{
  int version;

  if (!shoal_sqlite_read_version (&db->sqlite, &schema, &version, error))
    return FALSE;
  if (version < SHOAL_LIBRARY_DB_SCHEMA_VERSION)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_DATABASE,
                   "library database has schema version %d, older than %d: it must be "
                   "opened read-write first to migrate it",
                   version, SHOAL_LIBRARY_DB_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
configure_read_write (ShoalLibraryDb *db,
                      GError        **error)
{
  /* synchronous=NORMAL skips the fsync on each commit. WAL makes that
   * crash-safe for the database: a power loss can only drop the last
   * commits, never corrupt it, and a lost batch is simply rescanned. */
  return shoal_sqlite_enable_wal (&db->sqlite, error) &&
         shoal_sqlite_exec (&db->sqlite, "PRAGMA synchronous = NORMAL",
                            "cannot configure the library database", error) &&
         shoal_sqlite_migrate (&db->sqlite, &schema, error);
}

static gboolean
open_connection (ShoalLibraryDb *db,
                 const char     *path,
                 GError        **error)
{
  int flags = db->mode == SHOAL_LIBRARY_DB_READ_ONLY
              ? SQLITE_OPEN_READONLY
              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  g_autofree char *what = g_strdup_printf ("cannot open library database '%s'", path);

  return shoal_sqlite_open (&db->sqlite, path, flags, SHOAL_LIBRARY_DB_BUSY_TIMEOUT_MS,
                            what, error) &&
         shoal_sqlite_exec (&db->sqlite, "PRAGMA foreign_keys = ON; PRAGMA recursive_triggers = ON",
                            "cannot configure the library database", error);
}

static gboolean
prepare_location (const char         *path,
                  ShoalLibraryDbMode  mode,
                  GError            **error)
{
  g_autofree char *folder = g_path_get_dirname (path);

  if (mode == SHOAL_LIBRARY_DB_READ_ONLY)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return TRUE;
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "library database '%s' does not exist", path);
      return FALSE;
    }
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO,
                   "cannot create folder '%s' for the library database: %s",
                   folder, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

ShoalLibraryDb *
shoal_library_db_open (const char         *path,
                       ShoalLibraryDbMode  mode,
                       GError            **error)
{
  g_autoptr(ShoalLibraryDb) db = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!prepare_location (path, mode, error))
    return NULL;
  db = g_new0 (ShoalLibraryDb, 1);
  shoal_sqlite_init (&db->sqlite, "library database", G_LOG_DOMAIN, SHOAL_LIBRARY_ERROR,
                     SHOAL_LIBRARY_ERROR_DATABASE, SHOAL_LIBRARY_ERROR_CORRUPT);
  db->mode = mode;
  if (!open_connection (db, path, error))
    return NULL;
  if (mode == SHOAL_LIBRARY_DB_READ_WRITE && !configure_read_write (db, error))
    return NULL;
  if (mode == SHOAL_LIBRARY_DB_READ_ONLY && !check_schema_read_only (db, error))
    return NULL;
  return g_steal_pointer (&db);
}

void
shoal_library_db_close (ShoalLibraryDb *db)
{
  if (db == NULL)
    return;
  shoal_sqlite_close (&db->sqlite, db->statements, N_STATEMENTS);
  g_free (db);
}

/* Transactions -------------------------------------------------------- */

gboolean
shoal_library_db_begin (ShoalLibraryDb *db,
                        GError        **error)
{
  g_return_val_if_fail (db != NULL, FALSE);

  return shoal_sqlite_begin (&db->sqlite, schema.begin_what, error);
}

gboolean
shoal_library_db_commit (ShoalLibraryDb *db,
                         GError        **error)
{
  g_return_val_if_fail (db != NULL, FALSE);

  return shoal_sqlite_commit (&db->sqlite, schema.commit_what, error);
}

void
shoal_library_db_rollback (ShoalLibraryDb *db)
{
  g_return_if_fail (db != NULL);

  shoal_sqlite_rollback (&db->sqlite, schema.rollback_what);
}

/* Roots --------------------------------------------------------------- */

void
shoal_library_db_root_free (ShoalLibraryDbRoot *root)
{
  if (root == NULL)
    return;
  g_free (root->path);
  g_free (root);
}

static char *
canonical_root_path (const char *path,
                     GError    **error)
{
  if (!g_utf8_validate (path, -1, NULL))
    {
      g_set_error_literal (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                           "a shared folder's path must be UTF-8");
      return NULL;
    }
  if (!g_path_is_absolute (path))
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                   "shared folder '%s' is not an absolute path", path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                   "shared folder '%s' is not a directory", path);
      return NULL;
    }
  return g_canonicalize_filename (path, NULL);
}

static gboolean
find_root (ShoalLibraryDb *db,
           const char     *path,
           gint64         *root_id,
           GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = get_statement (db, STMT_FIND_ROOT, error);
  gboolean has_row = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
  if (!shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot look up a shared folder", error))
    return FALSE;
  if (!has_row)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "shared folder '%s' vanished while it was added", path);
      return FALSE;
    }
  *root_id = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
insert_root (ShoalLibraryDb *db,
             const char     *path,
             GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = get_statement (db, STMT_INSERT_ROOT, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  return shoal_sqlite_run (&db->sqlite, stmt, "cannot add a shared folder", error);
}

gboolean
shoal_library_db_add_root (ShoalLibraryDb *db,
                           const char     *path,
                           gint64         *root_id,
                           GError        **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (root_id != NULL, FALSE);

  canonical = canonical_root_path (path, error);
  return canonical != NULL &&
         insert_root (db, canonical, error) &&
         find_root (db, canonical, root_id, error);
}

gboolean
shoal_library_db_remove_root (ShoalLibraryDb *db,
                              gint64          root_id,
                              GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (db != NULL, FALSE);

  stmt = get_statement (db, STMT_REMOVE_ROOT, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, root_id);
  if (!shoal_sqlite_run_update (&db->sqlite, stmt, &changed, "cannot remove a shared folder",
                                error))
    return FALSE;
  if (!changed)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "no shared folder has id %" G_GINT64_FORMAT, root_id);
      return FALSE;
    }
  return TRUE;
}

static ShoalLibraryDbRoot *
copy_root_row (sqlite3_stmt *stmt)
{
  ShoalLibraryDbRoot *root = g_new0 (ShoalLibraryDbRoot, 1);

  root->id = sqlite3_column_int64 (stmt, 0);
  root->path = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  root->added_usec = sqlite3_column_int64 (stmt, 2);
  return root;
}

GPtrArray *
shoal_library_db_list_roots (ShoalLibraryDb *db,
                             GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  gboolean has_row;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = get_statement (db, STMT_LIST_ROOTS, error);
  if (stmt == NULL)
    return NULL;
  roots = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_library_db_root_free);
  while (shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot list the shared folders", error))
    {
      if (!has_row)
        return g_steal_pointer (&roots);
      g_ptr_array_add (roots, copy_root_row (stmt));
    }
  return NULL;
}

char *
shoal_library_db_get_root_path (ShoalLibraryDb *db,
                                gint64          root_id,
                                GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean has_row = FALSE;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = get_statement (db, STMT_ROOT_PATH, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, root_id);
  if (!shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot look up a shared folder", error))
    return NULL;
  if (!has_row)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "no shared folder has id %" G_GINT64_FORMAT, root_id);
      return NULL;
    }
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

/* Files --------------------------------------------------------------- */

GHashTable *
shoal_library_db_load_root_files (ShoalLibraryDb *db,
                                  gint64          root_id,
                                  GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  g_autoptr(GHashTable) files = NULL;
  gboolean has_row;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = get_statement (db, STMT_ROOT_FILES, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, root_id);
  files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                 (GDestroyNotify) shoal_library_file_free);
  while (shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot load a shared folder's files",
                            error))
    {
      ShoalLibraryFile *file;

      if (!has_row)
        return g_steal_pointer (&files);
      file = copy_file_row (stmt);
      g_hash_table_insert (files, file->relpath, file);
    }
  return NULL;
}

/* A relative path as the scanner builds it; anything else would name a
 * file outside its root or two rows for one file. */
static gboolean
validate_relpath (const char *relpath,
                  GError    **error)
{
  g_auto(GStrv) components = NULL;

  if (!g_utf8_validate (relpath, -1, NULL))
    {
      g_set_error_literal (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                           "a shared file's relative path must be UTF-8");
      return FALSE;
    }
  if (relpath[0] == '\0')
    {
      g_set_error_literal (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                           "a shared file's relative path is empty");
      return FALSE;
    }
  components = g_strsplit (relpath, "/", -1);
  for (guint i = 0; components[i] != NULL; i++)
    if (components[i][0] == '\0' || strcmp (components[i], ".") == 0 ||
        strcmp (components[i], "..") == 0)
      {
        g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                     "relative path '%s' has an empty, '.' or '..' component", relpath);
        return FALSE;
      }
  return TRUE;
}

/* What the keyword index sees of a text: its NFKD form. Compatibility
 * forms (full-width letters, ligatures) become plain letters and every
 * accent becomes a combining mark, which unicode61 drops whatever the
 * script; its remove_diacritics table alone only knows precomposed Latin
 * letters (it leaves "Αθήνα" apart from "Αθηνα"). */
static char *
fold_for_search (const char *text,
                 gssize      length)
{
  return g_utf8_normalize (text, length, G_NORMALIZE_NFKD);
}

/* Binds @relpath, its name, and their folded name and folder to
 * parameters @first to @first + 3. */
static void
bind_relpath (sqlite3_stmt *stmt,
              int           first,
              const char   *relpath)
{
  const char *slash = strrchr (relpath, '/');
  const char *name = slash != NULL ? slash + 1 : relpath;
  gssize folder_length = slash != NULL ? slash - relpath : 0;

  sqlite3_bind_text (stmt, first, relpath, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, first + 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, first + 2, fold_for_search (name, -1), -1, g_free);
  sqlite3_bind_text (stmt, first + 3, fold_for_search (relpath, folder_length), -1, g_free);
}

static gboolean
find_file (ShoalLibraryDb *db,
           gint64          root_id,
           const char     *relpath,
           guint32        *index,
           GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = get_statement (db, STMT_FIND_FILE, error);
  gboolean has_row = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, root_id);
  sqlite3_bind_text (stmt, 2, relpath, -1, SQLITE_STATIC);
  if (!shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot look up a shared file", error))
    return FALSE;
  if (!has_row)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "shared file '%s' vanished while it was updated", relpath);
      return FALSE;
    }
  *index = (guint32) sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static void
set_upsert_error (ShoalLibraryDb *db,
                  int             rc,
                  gint64          root_id,
                  GError        **error)
{
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                 "no shared folder has id %" G_GINT64_FORMAT, root_id);
  else
    shoal_sqlite_set_error (&db->sqlite, rc, "cannot record a shared file", error);
}

gboolean
shoal_library_db_upsert_file (ShoalLibraryDb      *db,
                              gint64               root_id,
                              const char          *relpath,
                              const ShoalFileStat *stat,
                              guint32             *index,
                              GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  int rc;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (relpath != NULL, FALSE);
  g_return_val_if_fail (stat != NULL, FALSE);
  g_return_val_if_fail (index != NULL, FALSE);

  if (!validate_relpath (relpath, error))
    return FALSE;
  stmt = get_statement (db, STMT_UPSERT_FILE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, root_id);
  bind_relpath (stmt, 2, relpath);
  bind_stat (stmt, 6, stat);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *index = (guint32) sqlite3_column_int64 (stmt, 0);
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    {
      set_upsert_error (db, rc, root_id, error);
      return FALSE;
    }
  /* No row: the file is known and unchanged. */
  return find_file (db, root_id, relpath, index, error);
}

gboolean
shoal_library_db_delete_file (ShoalLibraryDb *db,
                              guint32         index,
                              GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (db != NULL, FALSE);

  stmt = get_statement (db, STMT_DELETE_FILE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, index);
  if (!shoal_sqlite_run_update (&db->sqlite, stmt, &changed, "cannot remove a shared file", error))
    return FALSE;
  if (!changed)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "no shared file has index %u", index);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_library_db_set_sha1 (ShoalLibraryDb      *db,
                           guint32              index,
                           const ShoalFileStat *hashed_stat,
                           const guint8         sha1[SHOAL_SHARE_SHA1_SIZE],
                           gboolean            *stored,
                           GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (hashed_stat != NULL, FALSE);
  g_return_val_if_fail (sha1 != NULL, FALSE);
  g_return_val_if_fail (stored != NULL, FALSE);

  stmt = get_statement (db, STMT_SET_SHA1, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, index);
  bind_stat (stmt, 2, hashed_stat);
  sqlite3_bind_blob (stmt, 5, sha1, SHOAL_SHARE_SHA1_SIZE, SQLITE_STATIC);
  return shoal_sqlite_run_update (&db->sqlite, stmt, stored, "cannot store a shared file's hash",
                                  error);
}

gboolean
shoal_library_db_rename_file (ShoalLibraryDb *db,
                              guint32         index,
                              const char     *new_relpath,
                              GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (new_relpath != NULL, FALSE);

  if (!validate_relpath (new_relpath, error))
    return FALSE;
  stmt = get_statement (db, STMT_RENAME_FILE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, index);
  bind_relpath (stmt, 2, new_relpath);
  if (!shoal_sqlite_run_update (&db->sqlite, stmt, &changed, "cannot rename a shared file", error))
    return FALSE;
  if (!changed)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "no shared file has index %u", index);
      return FALSE;
    }
  return TRUE;
}

/* Reads --------------------------------------------------------------- */

GPtrArray *
shoal_library_db_pending_hashes_after (ShoalLibraryDb *db,
                                       guint32         after_index,
                                       guint           limit,
                                       GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = get_statement (db, STMT_PENDING, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_index);
  sqlite3_bind_int64 (stmt, 2, limit);
  return collect_files (db, stmt, "cannot list the files waiting for a hash", error);
}

GPtrArray *
shoal_library_db_pending_hashes (ShoalLibraryDb *db,
                                 guint           limit,
                                 GError        **error)
{
  return shoal_library_db_pending_hashes_after (db, 0, limit, error);
}

ShoalLibraryFile *
shoal_library_db_lookup_index (ShoalLibraryDb *db,
                               guint32         index,
                               GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean has_row = FALSE;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = get_statement (db, STMT_LOOKUP_INDEX, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, index);
  if (!shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot look up a shared file", error))
    return NULL;
  if (!has_row)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                   "no shared file has index %u", index);
      return NULL;
    }
  return copy_file_row (stmt);
}

GPtrArray *
shoal_library_db_search_sha1 (ShoalLibraryDb *db,
                              const guint8    sha1[SHOAL_SHARE_SHA1_SIZE],
                              guint           max_results,
                              GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (sha1 != NULL, NULL);

  stmt = get_statement (db, STMT_LOOKUP_SHA1, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, sha1, SHOAL_SHARE_SHA1_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, max_results);
  return collect_files (db, stmt, "cannot search the library by hash", error);
}

ShoalLibraryFile *
shoal_library_db_lookup_sha1 (ShoalLibraryDb *db,
                              const guint8    sha1[SHOAL_SHARE_SHA1_SIZE],
                              GError        **error)
{
  g_autoptr(GPtrArray) files = shoal_library_db_search_sha1 (db, sha1, 1, error);

  if (files == NULL)
    return NULL;
  if (files->len == 0)
    {
      g_set_error_literal (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND,
                           "no shared file has this SHA-1");
      return NULL;
    }
  return g_ptr_array_steal_index (files, 0);
}

gboolean
shoal_library_db_get_totals (ShoalLibraryDb     *db,
                             ShoalLibraryTotals *totals,
                             GError            **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean has_row = FALSE;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (totals != NULL, FALSE);

  stmt = get_statement (db, STMT_TOTALS, error);
  if (stmt == NULL ||
      !shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot count the shared files", error))
    return FALSE;
  /* An aggregate without GROUP BY always returns its one row. */
  g_assert (has_row);
  totals->files = (guint64) sqlite3_column_int64 (stmt, 0);
  totals->bytes = (guint64) sqlite3_column_int64 (stmt, 1);
  totals->hashed_files = (guint64) sqlite3_column_int64 (stmt, 2);
  totals->hashed_bytes = (guint64) sqlite3_column_int64 (stmt, 3);
  return TRUE;
}

gboolean
shoal_library_db_foreach_file (ShoalLibraryDb         *db,
                               ShoalLibraryDbFileFunc  callback,
                               gpointer                user_data,
                               GError                **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean has_row;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (callback != NULL, FALSE);

  stmt = get_statement (db, STMT_ALL_FILES, error);
  if (stmt == NULL)
    return FALSE;
  while (shoal_sqlite_step (&db->sqlite, stmt, &has_row, "cannot read the shared files", error))
    {
      ShoalLibraryFile file;

      if (!has_row)
        return TRUE;
      read_file_row (stmt, &file);
      if (!callback (&file, user_data))
        return TRUE;
    }
  return FALSE;
}

/* Search -------------------------------------------------------------- */

/* Appends @word as an FTS5 string (any '"' doubled) marked as a prefix,
 * so FTS5 reads it as text to match and never as syntax. */
static void
append_prefix_string (GString    *match,
                      const char *word,
                      gsize       length)
{
  g_string_append_c (match, '"');
  for (gsize i = 0; i < length; i++)
    {
      if (word[i] == '"')
        g_string_append_c (match, '"');
      g_string_append_c (match, word[i]);
    }
  g_string_append (match, "\"*");
}

/* A word starts at a letter or digit. */
static const char *
skip_separators (const char *p)
{
  while (*p != '\0' && !g_unichar_isalnum (g_utf8_get_char (p)))
    p = g_utf8_next_char (p);
  return p;
}

/* Combining marks stay inside a word, as unicode61 keeps them (and then
 * drops them): "cafe\u0301s" is one word, not "cafe" and "s". */
static const char *
skip_word (const char *p)
{
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isalnum (c) && !g_unichar_ismark (c))
        break;
      p = g_utf8_next_char (p);
    }
  return p;
}

/* The FTS5 expression for @text: its words, each a prefix, all required.
 * The text is folded as the index is (fold_for_search()), and only runs
 * of letters, digits and marks become words, which unicode61 also keeps
 * whole: a quoted word is one token, or none for characters it folds
 * away, never syntax. */
static char *
build_match_expression (const char *text,
                        guint      *n_words)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autofree char *folded = fold_for_search (valid, -1);
  GString *match = g_string_new (NULL);
  const char *p = skip_separators (folded);

  *n_words = 0;
  while (*p != '\0' && *n_words <= SHOAL_LIBRARY_DB_MAX_QUERY_WORDS)
    {
      const char *end = skip_word (p);

      if (match->len > 0)
        g_string_append (match, " AND ");
      append_prefix_string (match, p, end - p);
      (*n_words)++;
      p = skip_separators (end);
    }
  return g_string_free (match, FALSE);
}

static GPtrArray *
run_search (ShoalLibraryDb *db,
            guint           statement,
            const char     *match,
            guint           limit,
            GError        **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = get_statement (db, statement, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, limit);
  return collect_files (db, stmt, "cannot search the library", error);
}

/* Moves the files of @more that @results does not hold yet, until @cap. */
static void
append_new_files (GPtrArray *results,
                  GPtrArray *more,
                  guint      cap)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < results->len; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (((ShoalLibraryFile *) results->pdata[i])->index));
  for (guint i = 0; i < more->len && results->len < cap; i++)
    {
      ShoalLibraryFile *file = more->pdata[i];

      if (!g_hash_table_contains (seen, GUINT_TO_POINTER (file->index)))
        g_ptr_array_add (results, shoal_library_file_copy (file));
    }
}

GPtrArray *
shoal_library_db_search (ShoalLibraryDb *db,
                         const char     *text,
                         guint           max_results,
                         GError        **error)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) more = NULL;
  g_autofree char *match = NULL;
  guint n_words;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  match = build_match_expression (text, &n_words);
  if (n_words > SHOAL_LIBRARY_DB_MAX_QUERY_WORDS)
    {
      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                   "query has more than %d words", SHOAL_LIBRARY_DB_MAX_QUERY_WORDS);
      return NULL;
    }
  if (n_words == 0 || max_results == 0)
    return new_file_array ();
  results = run_search (db, STMT_SEARCH_NAMES, match, max_results, error);
  if (results == NULL || results->len >= max_results)
    return g_steal_pointer (&results);
  /* Then the files matched through their folders, up to the cap. */
  more = run_search (db, STMT_SEARCH_ANY, match, max_results + results->len, error);
  if (more == NULL)
    return NULL;
  append_new_files (results, more, max_results);
  return g_steal_pointer (&results);
}

/* Integrity ----------------------------------------------------------- */

static gboolean
check_database_pages (ShoalLibraryDb *db,
                      GError        **error)
{
  const char *what = "cannot check the library database";
  g_autoptr(ShoalSqliteOneShotStatement) stmt =
    shoal_sqlite_prepare (&db->sqlite,
                          "PRAGMA integrity_check (" G_STRINGIFY (INTEGRITY_MAX_PROBLEMS) ")",
                          what, error);
  g_autoptr(GString) problems = g_string_new (NULL);
  gboolean has_row = FALSE;

  if (stmt == NULL)
    return FALSE;
  for (;;)
    {
      const char *line;

      if (!shoal_sqlite_step (&db->sqlite, stmt, &has_row, what, error))
        return FALSE;
      if (!has_row)
        break;
      line = (const char *) sqlite3_column_text (stmt, 0);
      if (g_strcmp0 (line, "ok") == 0)
        continue;
      g_string_append_printf (problems, "%s%s", problems->len > 0 ? "; " : "", line);
    }
  if (problems->len == 0)
    return TRUE;
  g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_CORRUPT,
               "library database is damaged: %s", problems->str);
  return FALSE;
}

/* FTS5's own check looks at the index's inner structure only (SQLite
 * 3.40 does not compare an external-content index with its content), so
 * this one checks that the index holds a document for each file and for
 * nothing else. */
static gboolean
check_search_index_coverage (ShoalLibraryDb *db,
                             GError        **error)
{
  const char *what = "cannot check the library's search index";
  g_autoptr(ShoalSqliteOneShotStatement) stmt = shoal_sqlite_prepare (&db->sqlite,
    "SELECT"
    " (SELECT count(*) FROM files f"
    "   WHERE NOT EXISTS (SELECT 1 FROM files_fts_docsize d WHERE d.id = f.id)),"
    " (SELECT count(*) FROM files_fts_docsize d"
    "   WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = d.id))",
    what, error);
  gboolean has_row = FALSE;
  gint64 missing, stale;

  if (stmt == NULL || !shoal_sqlite_step (&db->sqlite, stmt, &has_row, what, error))
    return FALSE;
  g_assert (has_row);
  missing = sqlite3_column_int64 (stmt, 0);
  stale = sqlite3_column_int64 (stmt, 1);
  if (missing == 0 && stale == 0)
    return TRUE;
  g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_CORRUPT,
               "library search index is out of step: %" G_GINT64_FORMAT " files missing, %"
               G_GINT64_FORMAT " removed files still indexed", missing, stale);
  return FALSE;
}

static gboolean
check_search_index_structure (ShoalLibraryDb *db,
                              GError        **error)
{
  /* The check is spelled as an INSERT, which a read-only connection may
   * not run. */
  if (db->mode == SHOAL_LIBRARY_DB_READ_ONLY)
    return TRUE;
  return shoal_sqlite_exec (&db->sqlite,
                            "INSERT INTO files_fts (files_fts) VALUES ('integrity-check')",
                            "library search index is damaged", error);
}

gboolean
shoal_library_db_check_integrity (ShoalLibraryDb *db,
                                  GError        **error)
{
  g_return_val_if_fail (db != NULL, FALSE);

  return check_database_pages (db, error) &&
         check_search_index_structure (db, error) &&
         check_search_index_coverage (db, error);
}

gboolean
shoal_library_db_rebuild_search_index (ShoalLibraryDb *db,
                                       GError        **error)
{
  g_return_val_if_fail (db != NULL, FALSE);

  return shoal_sqlite_exec (&db->sqlite, "INSERT INTO files_fts (files_fts) VALUES ('rebuild')",
                            "cannot rebuild the library's search index", error);
}
