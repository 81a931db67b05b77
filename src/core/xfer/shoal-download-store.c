/* shoal-download-store.c — the download queue in SQLite: schema and
 * migrations, downloads with their progress records, their sources. */
#include "shoal-download-store.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "shoal-download-plan.h"
#include "shoal-sqlite.h"

/* How many problems PRAGMA integrity_check reports at most. */
#define INTEGRITY_MAX_PROBLEMS 10

#define DOWNLOAD_COLUMNS "id, sha1, size, name, state, done_ranges, created, updated, error"
#define SOURCE_COLUMNS \
  "id, download_id, address, port, guid, file_index, push_needed, failures, banned, last_seen"

G_DEFINE_QUARK (shoal-download-store-error-quark, shoal_download_store_error)

/* Step N takes the database from user_version N - 1 to N, in one
 * transaction with the version bump. Released steps are never edited: a
 * change is a new step. */
static const char *const migrations[] = {
  /* 1: downloads and their sources. AUTOINCREMENT so that an id is never
   * given again: a late event about a removed download or source must not
   * land on a new one. size is NULL until known (a magnet without xl). */
  "CREATE TABLE downloads ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  sha1 BLOB NOT NULL UNIQUE CHECK (length (sha1) = 20),"
  "  size INTEGER CHECK (size IS NULL OR size >= 0),"
  "  name TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  done_ranges TEXT NOT NULL DEFAULT '',"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  error TEXT);"
  /* The UNIQUE index also serves the lookups by download. */
  "CREATE TABLE sources ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  download_id INTEGER NOT NULL REFERENCES downloads ON DELETE CASCADE,"
  "  address INTEGER NOT NULL CHECK (address BETWEEN 0 AND 4294967295),"
  "  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),"
  "  guid BLOB CHECK (guid IS NULL OR length (guid) = 16),"
  "  file_index INTEGER CHECK (file_index IS NULL OR file_index BETWEEN 0 AND 4294967295),"
  "  push_needed INTEGER NOT NULL DEFAULT 0,"
  "  failures INTEGER NOT NULL DEFAULT 0,"
  "  banned INTEGER NOT NULL DEFAULT 0,"
  "  last_seen INTEGER NOT NULL,"
  "  UNIQUE (download_id, address, port));",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SHOAL_DOWNLOAD_STORE_SCHEMA_VERSION);

/* Refuses what no step leads from, a newer Shoal's file included. */
static gboolean
check_schema_version (int      version,
                      GError **error)
{
  if (version <= SHOAL_DOWNLOAD_STORE_SCHEMA_VERSION && version >= 0)
    return TRUE;
  g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT,
               "download store has schema version %d; this version of Shoal "
               "understands up to %d", version, SHOAL_DOWNLOAD_STORE_SCHEMA_VERSION);
  return FALSE;
}

static const ShoalSqliteSchema schema = {
  .steps = migrations,
  .version = SHOAL_DOWNLOAD_STORE_SCHEMA_VERSION,
  .read_what = "cannot read the download store's schema",
  .begin_what = "cannot start a download store transaction",
  .commit_what = "cannot commit a download store transaction",
  .rollback_what = "cannot roll back a download store transaction",
  .check_version = check_schema_version,
};

static const char *const state_names[] = {
  [SHOAL_DOWNLOAD_STATE_QUEUED] = "queued",
  [SHOAL_DOWNLOAD_STATE_RUNNING] = "running",
  [SHOAL_DOWNLOAD_STATE_PAUSED] = "paused",
  [SHOAL_DOWNLOAD_STATE_VERIFYING] = "verifying",
  [SHOAL_DOWNLOAD_STATE_COMPLETE] = "complete",
  [SHOAL_DOWNLOAD_STATE_FAILED] = "failed",
};

typedef enum
{
  STMT_INSERT_DOWNLOAD,
  STMT_LIST_DOWNLOADS,
  STMT_GET_DOWNLOAD,
  STMT_FIND_SHA1,
  STMT_SET_STATE,
  STMT_SET_SIZE,
  STMT_GET_SIZE,
  STMT_SAVE_PROGRESS,
  STMT_REMOVE_DOWNLOAD,
  STMT_ADD_SOURCE,
  STMT_LIST_SOURCES,
  STMT_SOURCE_FAILURE,
  STMT_BAN_SOURCE,
  STMT_CLEAR_SOURCE_FAILURES,
  N_STATEMENTS
} Statement;

static const char *const statement_sql[N_STATEMENTS] = {
  [STMT_INSERT_DOWNLOAD] =
    "INSERT INTO downloads (sha1, size, name, state, created, updated)"
    "  VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
  [STMT_LIST_DOWNLOADS] = "SELECT " DOWNLOAD_COLUMNS " FROM downloads ORDER BY id",
  [STMT_GET_DOWNLOAD] = "SELECT " DOWNLOAD_COLUMNS " FROM downloads WHERE id = ?1",
  [STMT_FIND_SHA1] = "SELECT " DOWNLOAD_COLUMNS " FROM downloads WHERE sha1 = ?1",
  [STMT_SET_STATE] = "UPDATE downloads SET state = ?2, error = ?3, updated = ?4 WHERE id = ?1",
  [STMT_SET_SIZE] = "UPDATE downloads SET size = ?2, updated = ?3 WHERE id = ?1",
  [STMT_GET_SIZE] = "SELECT size FROM downloads WHERE id = ?1",
  [STMT_SAVE_PROGRESS] = "UPDATE downloads SET done_ranges = ?2, updated = ?3 WHERE id = ?1",
  [STMT_REMOVE_DOWNLOAD] = "DELETE FROM downloads WHERE id = ?1",
  /* A sighting without GUID or index keeps the ones known. */
  [STMT_ADD_SOURCE] =
    "INSERT INTO sources (download_id, address, port, guid, file_index, push_needed, last_seen)"
    "  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    "  ON CONFLICT (download_id, address, port) DO UPDATE"
    "    SET guid = coalesce (excluded.guid, guid),"
    "        file_index = coalesce (excluded.file_index, file_index),"
    "        push_needed = excluded.push_needed, last_seen = excluded.last_seen"
    "  RETURNING id",
  [STMT_LIST_SOURCES] =
    "SELECT " SOURCE_COLUMNS " FROM sources WHERE download_id = ?1"
    "  ORDER BY banned, failures, last_seen DESC, id",
  [STMT_SOURCE_FAILURE] =
    "UPDATE sources SET failures = failures + 1 WHERE id = ?1 RETURNING failures",
  [STMT_BAN_SOURCE] = "UPDATE sources SET banned = 1 WHERE id = ?1",
  [STMT_CLEAR_SOURCE_FAILURES] = "UPDATE sources SET failures = 0 WHERE id = ?1",
};

struct _ShoalDownloadStore
{
  ShoalSqlite   sqlite;
  sqlite3_stmt *statements[N_STATEMENTS];  /* prepared on first use */
};

const char *
shoal_download_state_to_string (ShoalDownloadState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return NULL;
  return state_names[state];
}

static gboolean
state_from_string (const char         *name,
                   ShoalDownloadState *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (name, state_names[i]) == 0)
      {
        *state = (ShoalDownloadState) i;
        return TRUE;
      }
  return FALSE;
}

void
shoal_stored_download_free (ShoalStoredDownload *download)
{
  if (download == NULL)
    return;
  g_free (download->name);
  g_free (download->done_ranges);
  g_free (download->error);
  g_free (download);
}

void
shoal_stored_source_free (ShoalStoredSource *source)
{
  g_free (source);
}

/* Errors and statements -------------------------------------------------- */

static gboolean
set_not_found (GError    **error,
               const char *what,
               gint64      id)
{
  g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND,
               "no %s with id %" G_GINT64_FORMAT, what, id);
  return FALSE;
}

static ShoalSqliteCachedStatement *
get_statement (ShoalDownloadStore *store,
               Statement           which,
               GError            **error)
{
  return shoal_sqlite_prepare_cached (&store->sqlite, &store->statements[which],
                                      statement_sql[which],
                                      "cannot prepare a download store statement", error);
}

static gboolean
begin_transaction (ShoalDownloadStore *store,
                   GError            **error)
{
  return shoal_sqlite_begin (&store->sqlite, schema.begin_what, error);
}

static gboolean
commit_transaction (ShoalDownloadStore *store,
                    GError            **error)
{
  return shoal_sqlite_commit (&store->sqlite, schema.commit_what, error);
}

/* Safe on every error path: SQLite may have rolled back by itself
 * already (after SQLITE_FULL, SQLITE_IOERR…). */
static void
rollback_transaction (ShoalDownloadStore *store)
{
  shoal_sqlite_rollback (&store->sqlite, schema.rollback_what);
}

/* Opening and migrations ------------------------------------------------- */

static gboolean
open_connection (ShoalDownloadStore *store,
                 const char         *path,
                 GError            **error)
{
  const char *configure_what = "cannot configure the download store";
  g_autofree char *what = g_strdup_printf ("cannot open download store '%s'", path);

  /* synchronous = NORMAL: in WAL mode a commit is not synced, and a power
   * loss can only drop the latest commits. A progress record then claims
   * less than the partial file holds, never more. */
  return shoal_sqlite_open (&store->sqlite, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            SHOAL_DOWNLOAD_STORE_BUSY_TIMEOUT_MS, what, error) &&
         shoal_sqlite_exec (&store->sqlite, "PRAGMA foreign_keys = ON", configure_what, error) &&
         shoal_sqlite_enable_wal (&store->sqlite, error) &&
         shoal_sqlite_exec (&store->sqlite, "PRAGMA synchronous = NORMAL", configure_what, error);
}

static gboolean
make_data_dir (const char *data_dir,
               GError    **error)
{
  int saved_errno;

  if (g_mkdir_with_parents (data_dir, 0700) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_IO,
               "cannot create data folder '%s': %s", data_dir, g_strerror (saved_errno));
  return FALSE;
}

ShoalDownloadStore *
shoal_download_store_open (const char  *data_dir,
                           GError     **error)
{
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!make_data_dir (data_dir, error))
    return NULL;
  path = g_build_filename (data_dir, SHOAL_DOWNLOAD_STORE_FILE_NAME, NULL);
  store = g_new0 (ShoalDownloadStore, 1);
  shoal_sqlite_init (&store->sqlite, "download store", G_LOG_DOMAIN, SHOAL_DOWNLOAD_STORE_ERROR,
                     SHOAL_DOWNLOAD_STORE_ERROR_DATABASE, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT);
  if (!open_connection (store, path, error) ||
      !shoal_sqlite_migrate (&store->sqlite, &schema, error))
    return NULL;
  return g_steal_pointer (&store);
}

void
shoal_download_store_close (ShoalDownloadStore *store)
{
  if (store == NULL)
    return;
  shoal_sqlite_close (&store->sqlite, store->statements, N_STATEMENTS);
  g_free (store);
}

/* Downloads -------------------------------------------------------------- */

static gpointer
row_corrupt (GError    **error,
             gint64      id,
             const char *why)
{
  g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT,
               "download %" G_GINT64_FORMAT " in the store is damaged: %s", id, why);
  return NULL;
}

/* A DOWNLOAD_COLUMNS row, checked for what the schema cannot enforce. */
static ShoalStoredDownload *
read_download_row (sqlite3_stmt  *stmt,
                   GError       **error)
{
  g_autoptr(ShoalStoredDownload) download = g_new0 (ShoalStoredDownload, 1);
  const void *sha1 = sqlite3_column_blob (stmt, 1);
  const char *state = (const char *) sqlite3_column_text (stmt, 4);

  download->id = sqlite3_column_int64 (stmt, 0);
  if (sha1 == NULL || sqlite3_column_bytes (stmt, 1) != SHOAL_SHA1_SIZE)
    return row_corrupt (error, download->id, "no 20-byte SHA-1");
  memcpy (download->sha1, sha1, SHOAL_SHA1_SIZE);
  download->size = sqlite3_column_type (stmt, 2) == SQLITE_NULL
                   ? SHOAL_DOWNLOAD_SIZE_UNKNOWN : sqlite3_column_int64 (stmt, 2);
  if (!state_from_string (state, &download->state))
    return row_corrupt (error, download->id, "unknown state");
  download->name = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  download->done_ranges = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  if (download->name == NULL || download->done_ranges == NULL)
    return row_corrupt (error, download->id, "no name or progress record");
  download->created_usec = sqlite3_column_int64 (stmt, 6);
  download->updated_usec = sqlite3_column_int64 (stmt, 7);
  download->error = g_strdup ((const char *) sqlite3_column_text (stmt, 8));
  return g_steal_pointer (&download);
}

/* The one row of a download query, or NULL with NOT_FOUND (@id names it
 * in the message). */
static ShoalStoredDownload *
fetch_one_download (ShoalDownloadStore *store,
                    sqlite3_stmt       *stmt,
                    gint64              id,
                    GError            **error)
{
  gboolean has_row;

  if (!shoal_sqlite_step (&store->sqlite, stmt, &has_row, "cannot read a download", error))
    return NULL;
  if (!has_row)
    {
      set_not_found (error, "download", id);
      return NULL;
    }
  return read_download_row (stmt, error);
}

static gboolean
check_name (const char  *name,
            GError     **error)
{
  if (g_utf8_validate (name, -1, NULL) && name[0] != '\0')
    return TRUE;
  g_set_error_literal (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID,
                       "a download's name must be non-empty UTF-8");
  return FALSE;
}

static void
bind_size (sqlite3_stmt *stmt,
           int           column,
           gint64        size)
{
  if (size == SHOAL_DOWNLOAD_SIZE_UNKNOWN)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_int64 (stmt, column, size);
}

gboolean
shoal_download_store_add_download (ShoalDownloadStore  *store,
                                   const guint8         sha1[SHOAL_SHA1_SIZE],
                                   gint64               size,
                                   const char          *name,
                                   gint64              *download_id,
                                   GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (sha1 != NULL && name != NULL, FALSE);
  g_return_val_if_fail (size >= 0 || size == SHOAL_DOWNLOAD_SIZE_UNKNOWN, FALSE);

  if (!check_name (name, error))
    return FALSE;
  stmt = get_statement (store, STMT_INSERT_DOWNLOAD, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, sha1, SHOAL_SHA1_SIZE, SQLITE_STATIC);
  bind_size (stmt, 2, size);
  sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, state_names[SHOAL_DOWNLOAD_STATE_QUEUED], -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time ());
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_autofree char *urn = shoal_urn_format_sha1 (sha1);

      g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_EXISTS,
                   "%s is already in the download queue", urn);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      shoal_sqlite_set_error (&store->sqlite, rc, "cannot add a download", error);
      return FALSE;
    }
  if (download_id != NULL)
    *download_id = sqlite3_last_insert_rowid (store->sqlite.handle);
  return TRUE;
}

GPtrArray *
shoal_download_store_list_downloads (ShoalDownloadStore  *store,
                                     GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  g_autoptr(GPtrArray) downloads = NULL;
  gboolean has_row;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = get_statement (store, STMT_LIST_DOWNLOADS, error);
  if (stmt == NULL)
    return NULL;
  downloads = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_stored_download_free);
  while (shoal_sqlite_step (&store->sqlite, stmt, &has_row, "cannot list the downloads", error))
    {
      ShoalStoredDownload *download;

      if (!has_row)
        return g_steal_pointer (&downloads);
      download = read_download_row (stmt, error);
      if (download == NULL)
        return NULL;
      g_ptr_array_add (downloads, download);
    }
  return NULL;
}

ShoalStoredDownload *
shoal_download_store_get_download (ShoalDownloadStore  *store,
                                   gint64               download_id,
                                   GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = get_statement (store, STMT_GET_DOWNLOAD, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, download_id);
  return fetch_one_download (store, stmt, download_id, error);
}

ShoalStoredDownload *
shoal_download_store_find_sha1 (ShoalDownloadStore  *store,
                                const guint8         sha1[SHOAL_SHA1_SIZE],
                                GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean has_row;

  g_return_val_if_fail (store != NULL && sha1 != NULL, NULL);

  stmt = get_statement (store, STMT_FIND_SHA1, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_blob (stmt, 1, sha1, SHOAL_SHA1_SIZE, SQLITE_STATIC);
  if (!shoal_sqlite_step (&store->sqlite, stmt, &has_row, "cannot look up a download", error))
    return NULL;
  if (!has_row)
    {
      g_autofree char *urn = shoal_urn_format_sha1 (sha1);

      g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND,
                   "%s is not in the download queue", urn);
      return NULL;
    }
  return read_download_row (stmt, error);
}

gboolean
shoal_download_store_set_state (ShoalDownloadStore  *store,
                                gint64               download_id,
                                ShoalDownloadState   state,
                                const char          *error_message,
                                GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (shoal_download_state_to_string (state) != NULL, FALSE);

  stmt = get_statement (store, STMT_SET_STATE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, download_id);
  sqlite3_bind_text (stmt, 2, state_names[state], -1, SQLITE_STATIC);
  if (error_message != NULL)
    sqlite3_bind_text (stmt, 3, error_message, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  if (!shoal_sqlite_run_update (&store->sqlite, stmt, &changed, "cannot set a download's state",
                                error))
    return FALSE;
  return changed || set_not_found (error, "download", download_id);
}

/* The download's size as stored (SHOAL_DOWNLOAD_SIZE_UNKNOWN if NULL). */
static gboolean
read_size (ShoalDownloadStore *store,
           gint64              download_id,
           gint64             *size,
           GError            **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = get_statement (store, STMT_GET_SIZE, error);
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, download_id);
  if (!shoal_sqlite_step (&store->sqlite, stmt, &has_row, "cannot read a download's size", error))
    return FALSE;
  if (!has_row)
    return set_not_found (error, "download", download_id);
  *size = sqlite3_column_type (stmt, 0) == SQLITE_NULL
          ? SHOAL_DOWNLOAD_SIZE_UNKNOWN : sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
write_size (ShoalDownloadStore *store,
            gint64              download_id,
            gint64              size,
            GError            **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = get_statement (store, STMT_SET_SIZE, error);
  gboolean changed;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, download_id);
  sqlite3_bind_int64 (stmt, 2, size);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return shoal_sqlite_run_update (&store->sqlite, stmt, &changed, "cannot set a download's size",
                                  error);
}

static gboolean
update_size (ShoalDownloadStore *store,
             gint64              download_id,
             gint64              size,
             GError            **error)
{
  gint64 known;

  if (!read_size (store, download_id, &known, error))
    return FALSE;
  if (known == size)
    return TRUE;
  if (known != SHOAL_DOWNLOAD_SIZE_UNKNOWN)
    {
      g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID,
                   "download %" G_GINT64_FORMAT " has %" G_GINT64_FORMAT " bytes, not %"
                   G_GINT64_FORMAT, download_id, known, size);
      return FALSE;
    }
  return write_size (store, download_id, size, error);
}

gboolean
shoal_download_store_set_size (ShoalDownloadStore  *store,
                               gint64               download_id,
                               gint64               size,
                               GError             **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (size >= 0, FALSE);

  if (!begin_transaction (store, error))
    return FALSE;
  if (!update_size (store, download_id, size, error) || !commit_transaction (store, error))
    {
      rollback_transaction (store);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_progress (ShoalDownloadStore *store,
                gint64              download_id,
                const char         *done_ranges,
                GError            **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  g_autoptr(GError) invalid = NULL;
  gint64 size;
  gboolean changed;

  if (!read_size (store, download_id, &size, error))
    return FALSE;
  /* With the size unknown, no range fits: only "" passes. */
  if (!shoal_download_plan_check_record (MAX (size, 0), done_ranges, &invalid))
    {
      g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID,
                   "not saving the progress of download %" G_GINT64_FORMAT ": %s",
                   download_id, invalid->message);
      return FALSE;
    }
  stmt = get_statement (store, STMT_SAVE_PROGRESS, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, download_id);
  sqlite3_bind_text (stmt, 2, done_ranges, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return shoal_sqlite_run_update (&store->sqlite, stmt, &changed,
                                  "cannot save a download's progress", error);
}

gboolean
shoal_download_store_save_progress (ShoalDownloadStore  *store,
                                    gint64               download_id,
                                    const char          *done_ranges,
                                    GError             **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (done_ranges != NULL, FALSE);

  /* One transaction: the size the record is checked against cannot
   * change before it is written. */
  if (!begin_transaction (store, error))
    return FALSE;
  if (!write_progress (store, download_id, done_ranges, error) ||
      !commit_transaction (store, error))
    {
      rollback_transaction (store);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_download_store_remove_download (ShoalDownloadStore  *store,
                                      gint64               download_id,
                                      GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = get_statement (store, STMT_REMOVE_DOWNLOAD, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, download_id);
  /* Its sources go with it: ON DELETE CASCADE. */
  if (!shoal_sqlite_run_update (&store->sqlite, stmt, &changed, "cannot remove a download", error))
    return FALSE;
  return changed || set_not_found (error, "download", download_id);
}

/* Sources ---------------------------------------------------------------- */

static void
bind_source (sqlite3_stmt            *stmt,
             gint64                   download_id,
             const ShoalStoredSource *source)
{
  sqlite3_bind_int64 (stmt, 1, download_id);
  sqlite3_bind_int64 (stmt, 2, source->endpoint.address);
  sqlite3_bind_int64 (stmt, 3, source->endpoint.port);
  if (source->has_guid)
    sqlite3_bind_blob (stmt, 4, source->guid.bytes, SHOAL_GUID_SIZE, SQLITE_STATIC);
  if (source->has_file_index)
    sqlite3_bind_int64 (stmt, 5, source->file_index);
  sqlite3_bind_int (stmt, 6, source->push_needed ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time ());
}

gboolean
shoal_download_store_add_source (ShoalDownloadStore      *store,
                                 gint64                   download_id,
                                 const ShoalStoredSource *source,
                                 gint64                  *source_id,
                                 GError                 **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && source != NULL, FALSE);

  stmt = get_statement (store, STMT_ADD_SOURCE, error);
  if (stmt == NULL)
    return FALSE;
  bind_source (stmt, download_id, source);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return set_not_found (error, "download", download_id);
  if (rc != SQLITE_ROW)
    {
      shoal_sqlite_set_error (&store->sqlite, rc, "cannot add a source", error);
      return FALSE;
    }
  if (source_id != NULL)
    *source_id = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static ShoalStoredSource *
read_source_row (sqlite3_stmt *stmt)
{
  ShoalStoredSource *source = g_new0 (ShoalStoredSource, 1);
  const void *guid = sqlite3_column_blob (stmt, 4);

  source->id = sqlite3_column_int64 (stmt, 0);
  source->download_id = sqlite3_column_int64 (stmt, 1);
  /* The schema's CHECKs bound both to their types. */
  source->endpoint.address = (guint32) sqlite3_column_int64 (stmt, 2);
  source->endpoint.port = (guint16) sqlite3_column_int64 (stmt, 3);
  source->has_guid = guid != NULL && sqlite3_column_bytes (stmt, 4) == SHOAL_GUID_SIZE;
  if (source->has_guid)
    memcpy (source->guid.bytes, guid, SHOAL_GUID_SIZE);
  source->has_file_index = sqlite3_column_type (stmt, 5) != SQLITE_NULL;
  source->file_index = (guint32) sqlite3_column_int64 (stmt, 5);
  source->push_needed = sqlite3_column_int (stmt, 6) != 0;
  source->failures = (guint) CLAMP (sqlite3_column_int64 (stmt, 7), 0, G_MAXUINT);
  source->banned = sqlite3_column_int (stmt, 8) != 0;
  source->last_seen_usec = sqlite3_column_int64 (stmt, 9);
  return source;
}

GPtrArray *
shoal_download_store_list_sources (ShoalDownloadStore  *store,
                                   gint64               download_id,
                                   GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  gboolean has_row;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = get_statement (store, STMT_LIST_SOURCES, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, download_id);
  sources = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_stored_source_free);
  while (shoal_sqlite_step (&store->sqlite, stmt, &has_row, "cannot list a download's sources",
                            error))
    {
      if (!has_row)
        return g_steal_pointer (&sources);
      g_ptr_array_add (sources, read_source_row (stmt));
    }
  return NULL;
}

gboolean
shoal_download_store_mark_source_failure (ShoalDownloadStore  *store,
                                          gint64               source_id,
                                          guint               *failures,
                                          GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean has_row;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = get_statement (store, STMT_SOURCE_FAILURE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, source_id);
  if (!shoal_sqlite_step (&store->sqlite, stmt, &has_row, "cannot count a source's failure", error))
    return FALSE;
  if (!has_row)
    return set_not_found (error, "source", source_id);
  if (failures != NULL)
    *failures = (guint) CLAMP (sqlite3_column_int64 (stmt, 0), 0, G_MAXUINT);
  return TRUE;
}

gboolean
shoal_download_store_ban_source (ShoalDownloadStore  *store,
                                 gint64               source_id,
                                 GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = get_statement (store, STMT_BAN_SOURCE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, source_id);
  if (!shoal_sqlite_run_update (&store->sqlite, stmt, &changed, "cannot ban a source", error))
    return FALSE;
  return changed || set_not_found (error, "source", source_id);
}

gboolean
shoal_download_store_clear_source_failures (ShoalDownloadStore  *store,
                                            gint64               source_id,
                                            GError             **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt = NULL;
  gboolean changed;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = get_statement (store, STMT_CLEAR_SOURCE_FAILURES, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, source_id);
  if (!shoal_sqlite_run_update (&store->sqlite, stmt, &changed, "cannot clear a source's failures",
                                error))
    return FALSE;
  return changed || set_not_found (error, "source", source_id);
}

/* Integrity -------------------------------------------------------------- */

static gboolean
check_pages (ShoalDownloadStore *store,
             GString            *problems,
             GError            **error)
{
  const char *what = "cannot check the download store";
  g_autoptr(ShoalSqliteOneShotStatement) stmt =
    shoal_sqlite_prepare (&store->sqlite,
                          "PRAGMA integrity_check (" G_STRINGIFY (INTEGRITY_MAX_PROBLEMS) ")",
                          what, error);
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  while (shoal_sqlite_step (&store->sqlite, stmt, &has_row, what, error))
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);

      if (!has_row)
        return TRUE;
      if (g_strcmp0 (line, "ok") != 0)
        g_string_append_printf (problems, "%s%s", problems->len > 0 ? "; " : "", line);
    }
  return FALSE;
}

/* Sources whose download is gone: foreign keys enforce this only on
 * connections that turned them on. */
static gboolean
check_orphans (ShoalDownloadStore *store,
               GString            *problems,
               GError            **error)
{
  const char *what = "cannot check the download store's sources";
  g_autoptr(ShoalSqliteOneShotStatement) stmt =
    shoal_sqlite_prepare (&store->sqlite, "SELECT count(*) FROM pragma_foreign_key_check", what,
                          error);
  gboolean has_row = FALSE;
  gint64 orphans;

  if (stmt == NULL || !shoal_sqlite_step (&store->sqlite, stmt, &has_row, what, error))
    return FALSE;
  orphans = has_row ? sqlite3_column_int64 (stmt, 0) : 0;
  if (orphans > 0)
    g_string_append_printf (problems, "%s%" G_GINT64_FORMAT " sources without their download",
                            problems->len > 0 ? "; " : "", orphans);
  return TRUE;
}

gboolean
shoal_download_store_check_integrity (ShoalDownloadStore  *store,
                                      GError             **error)
{
  g_autoptr(GString) problems = g_string_new (NULL);

  g_return_val_if_fail (store != NULL, FALSE);

  if (!check_pages (store, problems, error) || !check_orphans (store, problems, error))
    return FALSE;
  if (problems->len == 0)
    return TRUE;
  g_set_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT,
               "download store is damaged: %s", problems->str);
  return FALSE;
}
