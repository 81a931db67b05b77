/* shoal-sqlite.c — SQLite plumbing the stores share: errors in the
 * owner's domain, cached statements, transactions, WAL and migrations. */
#include "shoal-sqlite.h"

/* Errors --------------------------------------------------------------- */

void
shoal_sqlite_set_error (const ShoalSqlite  *sqlite,
                        int                 rc,
                        const char         *what,
                        GError            **error)
{
  /* Extended result codes are on: the primary code is the low byte. */
  int primary = rc & 0xff;
  int code = primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
             ? sqlite->corrupt_code
             : sqlite->database_code;

  g_set_error (error, sqlite->error_domain, code, "%s: %s", what,
               sqlite->handle != NULL ? sqlite3_errmsg (sqlite->handle) : sqlite3_errstr (rc));
}

/* Opening and closing --------------------------------------------------- */

void
shoal_sqlite_init (ShoalSqlite *sqlite,
                   const char  *name,
                   const char  *log_domain,
                   GQuark       error_domain,
                   gint         database_code,
                   gint         corrupt_code)
{
  g_return_if_fail (sqlite != NULL);
  g_return_if_fail (name != NULL);

  *sqlite = (ShoalSqlite) {
    .name = name,
    .log_domain = log_domain,
    .error_domain = error_domain,
    .database_code = database_code,
    .corrupt_code = corrupt_code,
  };
}

gboolean
shoal_sqlite_open (ShoalSqlite  *sqlite,
                   const char   *path,
                   int           flags,
                   int           busy_timeout_ms,
                   const char   *what,
                   GError      **error)
{
  int rc;

  g_return_val_if_fail (sqlite != NULL && sqlite->handle == NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  rc = sqlite3_open_v2 (path, &sqlite->handle, flags, NULL);
  if (rc != SQLITE_OK)
    {
      /* The handle, when SQLite made one, holds the better message. */
      shoal_sqlite_set_error (sqlite, rc, what, error);
      shoal_sqlite_close (sqlite, NULL, 0);
      return FALSE;
    }
  sqlite3_extended_result_codes (sqlite->handle, 1);
  sqlite3_busy_timeout (sqlite->handle, busy_timeout_ms);
  return TRUE;
}

void
shoal_sqlite_close (ShoalSqlite   *sqlite,
                    sqlite3_stmt **statements,
                    guint          n_statements)
{
  int rc;

  g_return_if_fail (sqlite != NULL);

  /* A statement left unfinalized would keep the connection open. */
  for (guint i = 0; i < n_statements; i++)
    g_clear_pointer (&statements[i], sqlite3_finalize);
  g_clear_pointer (&sqlite->begin, sqlite3_finalize);
  g_clear_pointer (&sqlite->commit, sqlite3_finalize);
  g_clear_pointer (&sqlite->rollback, sqlite3_finalize);
  rc = sqlite3_close (sqlite->handle);
  if (rc != SQLITE_OK)
    g_log (sqlite->log_domain, G_LOG_LEVEL_WARNING, "%s did not close cleanly: %s", sqlite->name,
           sqlite3_errstr (rc));
  sqlite->handle = NULL;
}

/* Statements ------------------------------------------------------------ */

void
shoal_sqlite_reset (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

gboolean
shoal_sqlite_exec (ShoalSqlite  *sqlite,
                   const char   *sql,
                   const char   *what,
                   GError      **error)
{
  int rc = sqlite3_exec (sqlite->handle, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      shoal_sqlite_set_error (sqlite, rc, what, error);
      return FALSE;
    }
  return TRUE;
}

ShoalSqliteOneShotStatement *
shoal_sqlite_prepare (ShoalSqlite  *sqlite,
                      const char   *sql,
                      const char   *what,
                      GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (sqlite->handle, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      shoal_sqlite_set_error (sqlite, rc, what, error);
      return NULL;
    }
  return stmt;
}

ShoalSqliteCachedStatement *
shoal_sqlite_prepare_cached (ShoalSqlite   *sqlite,
                             sqlite3_stmt **slot,
                             const char    *sql,
                             const char    *what,
                             GError       **error)
{
  int rc;

  if (*slot != NULL)
    return *slot;
  /* PERSISTENT tells SQLite the statement is kept and reused: it stays
   * out of the lookaside memory meant for short-lived allocations. */
  rc = sqlite3_prepare_v3 (sqlite->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
  if (rc != SQLITE_OK)
    {
      shoal_sqlite_set_error (sqlite, rc, what, error);
      return NULL;
    }
  return *slot;
}

gboolean
shoal_sqlite_step (ShoalSqlite   *sqlite,
                   sqlite3_stmt  *stmt,
                   gboolean      *has_row,
                   const char    *what,
                   GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      *has_row = rc == SQLITE_ROW;
      return TRUE;
    }
  shoal_sqlite_set_error (sqlite, rc, what, error);
  return FALSE;
}

gboolean
shoal_sqlite_run (ShoalSqlite   *sqlite,
                  sqlite3_stmt  *stmt,
                  const char    *what,
                  GError       **error)
{
  gboolean has_row;

  return shoal_sqlite_step (sqlite, stmt, &has_row, what, error);
}

gboolean
shoal_sqlite_run_update (ShoalSqlite   *sqlite,
                         sqlite3_stmt  *stmt,
                         gboolean      *changed,
                         const char    *what,
                         GError       **error)
{
  if (!shoal_sqlite_run (sqlite, stmt, what, error))
    return FALSE;
  *changed = sqlite3_changes (sqlite->handle) > 0;
  return TRUE;
}

/* Transactions ---------------------------------------------------------- */

static gboolean
run_transaction_statement (ShoalSqlite   *sqlite,
                           sqlite3_stmt **slot,
                           const char    *sql,
                           const char    *what,
                           GError       **error)
{
  g_autoptr(ShoalSqliteCachedStatement) stmt =
    shoal_sqlite_prepare_cached (sqlite, slot, sql, what, error);

  return stmt != NULL && shoal_sqlite_run (sqlite, stmt, what, error);
}

gboolean
shoal_sqlite_begin (ShoalSqlite  *sqlite,
                    const char   *what,
                    GError      **error)
{
  return run_transaction_statement (sqlite, &sqlite->begin, "BEGIN IMMEDIATE", what, error);
}

gboolean
shoal_sqlite_commit (ShoalSqlite  *sqlite,
                     const char   *what,
                     GError      **error)
{
  return run_transaction_statement (sqlite, &sqlite->commit, "COMMIT", what, error);
}

void
shoal_sqlite_rollback (ShoalSqlite *sqlite,
                       const char  *what)
{
  g_autoptr(GError) error = NULL;

  /* SQLite may already have rolled back by itself (after SQLITE_FULL,
   * SQLITE_IOERR…), and ROLLBACK outside a transaction is an error. */
  if (sqlite3_get_autocommit (sqlite->handle))
    return;
  if (what == NULL)
    {
      run_transaction_statement (sqlite, &sqlite->rollback, "ROLLBACK", "", NULL);
      return;
    }
  if (!run_transaction_statement (sqlite, &sqlite->rollback, "ROLLBACK", what, &error))
    g_log (sqlite->log_domain, G_LOG_LEVEL_MESSAGE, "%s", error->message);
}

/* Journal and schema ---------------------------------------------------- */

gboolean
shoal_sqlite_enable_wal (ShoalSqlite  *sqlite,
                         GError      **error)
{
  g_autofree char *what = g_strdup_printf ("cannot switch the %s to WAL mode", sqlite->name);
  g_autoptr(ShoalSqliteOneShotStatement) stmt =
    shoal_sqlite_prepare (sqlite, "PRAGMA journal_mode = WAL", what, error);
  gboolean has_row = FALSE;
  const char *mode;

  if (stmt == NULL || !shoal_sqlite_step (sqlite, stmt, &has_row, what, error))
    return FALSE;
  mode = has_row ? (const char *) sqlite3_column_text (stmt, 0) : NULL;
  /* A file system without shared memory keeps a rollback journal:
   * readers and the writer take turns, slower but just as safe. */
  if (g_strcmp0 (mode, "wal") != 0)
    g_log (sqlite->log_domain, G_LOG_LEVEL_MESSAGE, "%s stays in %s journal mode, not WAL",
           sqlite->name, mode != NULL ? mode : "an unknown");
  return TRUE;
}

static gboolean
check_version (const ShoalSqlite        *sqlite,
               const ShoalSqliteSchema  *schema,
               int                       version,
               GError                  **error)
{
  if (schema->check_version != NULL && !schema->check_version (version, error))
    return FALSE;
  if (version > schema->version)
    {
      g_set_error (error, sqlite->error_domain, sqlite->corrupt_code,
                   "%s has schema version %d, newer than the %d this version of Shoal "
                   "understands", sqlite->name, version, schema->version);
      return FALSE;
    }
  /* No step leads there: migrating would index before the first step. */
  if (version < 0)
    {
      g_set_error (error, sqlite->error_domain, sqlite->corrupt_code,
                   "%s has schema version %d, which no version of Shoal writes",
                   sqlite->name, version);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_sqlite_read_version (ShoalSqlite              *sqlite,
                           const ShoalSqliteSchema  *schema,
                           int                      *version,
                           GError                  **error)
{
  g_autoptr(ShoalSqliteOneShotStatement) stmt =
    shoal_sqlite_prepare (sqlite, "PRAGMA user_version", schema->read_what, error);
  gboolean has_row = FALSE;

  if (stmt == NULL || !shoal_sqlite_step (sqlite, stmt, &has_row, schema->read_what, error))
    return FALSE;
  *version = has_row ? sqlite3_column_int (stmt, 0) : 0;
  return check_version (sqlite, schema, *version, error);
}

static gboolean
apply_step (ShoalSqlite              *sqlite,
            const ShoalSqliteSchema  *schema,
            int                       from_version,
            GError                  **error)
{
  int to_version = from_version + 1;
  g_autofree char *what = schema->step_what != NULL
    ? g_strdup (schema->step_what)
    : g_strdup_printf ("cannot migrate the %s to schema version %d", sqlite->name, to_version);
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", to_version);

  g_log (sqlite->log_domain, G_LOG_LEVEL_DEBUG, "migrating the %s to schema version %d",
         sqlite->name, to_version);
  return shoal_sqlite_exec (sqlite, schema->steps[from_version], what, error) &&
         shoal_sqlite_exec (sqlite, bump, what, error);
}

/* Applies the next step, if any, inside an open write transaction. The
 * version is read under the write lock, so two connections opening a new
 * file at once do not both apply the same step. */
static gboolean
migrate_one_step (ShoalSqlite              *sqlite,
                  const ShoalSqliteSchema  *schema,
                  gboolean                 *up_to_date,
                  GError                  **error)
{
  int version;

  if (!shoal_sqlite_read_version (sqlite, schema, &version, error))
    return FALSE;
  *up_to_date = version == schema->version;
  return *up_to_date || apply_step (sqlite, schema, version, error);
}

gboolean
shoal_sqlite_migrate (ShoalSqlite              *sqlite,
                      const ShoalSqliteSchema  *schema,
                      GError                  **error)
{
  gboolean up_to_date = FALSE;

  g_return_val_if_fail (sqlite != NULL && sqlite->handle != NULL, FALSE);
  g_return_val_if_fail (schema != NULL, FALSE);

  while (!up_to_date)
    {
      if (!shoal_sqlite_begin (sqlite, schema->begin_what, error))
        return FALSE;
      if (!migrate_one_step (sqlite, schema, &up_to_date, error) ||
          !shoal_sqlite_commit (sqlite, schema->commit_what, error))
        {
          shoal_sqlite_rollback (sqlite, schema->rollback_what);
          return FALSE;
        }
    }
  return TRUE;
}
