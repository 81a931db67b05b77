/* shoal-sqlite.h — SQLite plumbing the stores share (library, host cache,
 * download queue): errors in the owner's domain, cached statements,
 * transactions and user_version migrations. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* A connection and how its owner reports SQLite failures. A plain struct
 * the owner embeds and fills with shoal_sqlite_init(); handle is NULL
 * until shoal_sqlite_open() succeeds and after shoal_sqlite_close(). */
typedef struct
{
  sqlite3      *handle;
  const char   *name;           /* "library database": in messages and the log */
  const char   *log_domain;     /* the owner's, so its log filters still apply */
  GQuark        error_domain;
  gint          database_code;  /* any failure but a damaged file */
  gint          corrupt_code;   /* SQLITE_CORRUPT, SQLITE_NOTADB */
  /* Transactions are frequent (a batch each): prepared once. */
  sqlite3_stmt *begin;
  sqlite3_stmt *commit;
  sqlite3_stmt *rollback;
} ShoalSqlite;

/* A database's migrations and the words of their errors. Step N takes a
 * file from user_version N - 1 to N in one write transaction with the
 * version bump, so a file is never half migrated and an interrupted
 * migration resumes where it stopped. */
typedef struct
{
  const char *const *steps;          /* step N at index N - 1 */
  int                version;        /* the last step's: what this code writes */
  const char        *read_what;      /* user_version cannot be read */
  const char        *begin_what;
  const char        *commit_what;
  const char        *rollback_what;  /* NULL: a failed rollback is not logged */
  const char        *step_what;      /* NULL: "cannot migrate the <name> to schema version N" */
  /* Runs first, to refuse a version with the owner's own words; then
   * anything newer than @version, or negative, is refused with the
   * connection's corrupt_code. NULL: only those. */
  gboolean         (*check_version) (int      version,
                                     GError **error);
} ShoalSqliteSchema;

/* A statement prepared for one use (pragmas, checks), finalized when it
 * goes out of scope. */
typedef sqlite3_stmt ShoalSqliteOneShotStatement;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalSqliteOneShotStatement, sqlite3_finalize)

/* A cached statement in use, reset when it goes out of scope: one left
 * stepping would keep its read snapshot open, hiding other connections'
 * commits and holding back WAL checkpoints. */
typedef sqlite3_stmt ShoalSqliteCachedStatement;

void                         shoal_sqlite_reset          (sqlite3_stmt *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalSqliteCachedStatement, shoal_sqlite_reset)

/* @log_domain: the owner's G_LOG_DOMAIN. */
void                         shoal_sqlite_init           (ShoalSqlite  *sqlite,
                                                          const char   *name,
                                                          const char   *log_domain,
                                                          GQuark        error_domain,
                                                          gint          database_code,
                                                          gint          corrupt_code);
/* With extended result codes and a busy timeout. On failure the handle
 * is closed and @error says @what failed. */
gboolean                     shoal_sqlite_open           (ShoalSqlite  *sqlite,
                                                          const char   *path,
                                                          int           flags,
                                                          int           busy_timeout_ms,
                                                          const char   *what,
                                                          GError      **error);
/* Finalizes the owner's @statements (any may be NULL) and closes the
 * connection; safe on one never opened. */
void                         shoal_sqlite_close          (ShoalSqlite   *sqlite,
                                                          sqlite3_stmt **statements,
                                                          guint          n_statements);

/* "@what: SQLite's message", with corrupt_code for a damaged file. */
void                         shoal_sqlite_set_error      (const ShoalSqlite  *sqlite,
                                                          int                 rc,
                                                          const char         *what,
                                                          GError            **error);
gboolean                     shoal_sqlite_exec           (ShoalSqlite  *sqlite,
                                                          const char   *sql,
                                                          const char   *what,
                                                          GError      **error);
ShoalSqliteOneShotStatement *shoal_sqlite_prepare        (ShoalSqlite  *sqlite,
                                                          const char   *sql,
                                                          const char   *what,
                                                          GError      **error);
/* The statement in *@slot, prepared there on first use. */
ShoalSqliteCachedStatement  *shoal_sqlite_prepare_cached (ShoalSqlite   *sqlite,
                                                          sqlite3_stmt **slot,
                                                          const char    *sql,
                                                          const char    *what,
                                                          GError       **error);
/* One step: TRUE with *@has_row telling whether a row came, or FALSE
 * with @error saying @what failed. */
gboolean                     shoal_sqlite_step           (ShoalSqlite   *sqlite,
                                                          sqlite3_stmt  *stmt,
                                                          gboolean      *has_row,
                                                          const char    *what,
                                                          GError       **error);
/* For a statement whose rows, if any, do not matter. */
gboolean                     shoal_sqlite_run            (ShoalSqlite   *sqlite,
                                                          sqlite3_stmt  *stmt,
                                                          const char    *what,
                                                          GError       **error);
/* Runs a statement that changes rows; *@changed tells whether it did. */
gboolean                     shoal_sqlite_run_update     (ShoalSqlite   *sqlite,
                                                          sqlite3_stmt  *stmt,
                                                          gboolean      *changed,
                                                          const char    *what,
                                                          GError       **error);

/* BEGIN IMMEDIATE: the write lock is taken at once, so a transaction
 * never fails with SQLITE_BUSY halfway through when it starts writing,
 * and what it read cannot change before it writes. */
gboolean                     shoal_sqlite_begin          (ShoalSqlite  *sqlite,
                                                          const char   *what,
                                                          GError      **error);
gboolean                     shoal_sqlite_commit         (ShoalSqlite  *sqlite,
                                                          const char   *what,
                                                          GError      **error);
/* Does nothing outside a transaction, so it is safe on every error path.
 * A failure is logged with @what, unless @what is NULL. */
void                         shoal_sqlite_rollback       (ShoalSqlite  *sqlite,
                                                          const char   *what);

/* Asks for WAL; a file system that cannot have it is logged, not an error. */
gboolean                     shoal_sqlite_enable_wal     (ShoalSqlite  *sqlite,
                                                          GError      **error);
/* Reads user_version and refuses one @schema cannot migrate. */
gboolean                     shoal_sqlite_read_version   (ShoalSqlite              *sqlite,
                                                          const ShoalSqliteSchema  *schema,
                                                          int                      *version,
                                                          GError                  **error);
gboolean                     shoal_sqlite_migrate        (ShoalSqlite              *sqlite,
                                                          const ShoalSqliteSchema  *schema,
                                                          GError                  **error);

G_END_DECLS
