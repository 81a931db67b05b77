/* shoal-library-db.h — the library's SQLite store: shared roots, their files,
 * hashes and the FTS5 index that answers Gnutella queries. */
#pragma once

#include <glib.h>

#include "shoal-share-types.h"

G_BEGIN_DECLS

#define SHOAL_LIBRARY_ERROR (shoal_library_error_quark ())

/**
 * ShoalLibraryError:
 * @SHOAL_LIBRARY_ERROR_DATABASE: SQLite failed; the message holds its reason
 * @SHOAL_LIBRARY_ERROR_CORRUPT: the database is damaged, not a database, or
 *   has a schema newer than this code understands
 * @SHOAL_LIBRARY_ERROR_NOT_FOUND: no such root, file or database
 * @SHOAL_LIBRARY_ERROR_INVALID: a bad argument (a root that is not an
 *   absolute directory path, a malformed relative path, a query too long)
 * @SHOAL_LIBRARY_ERROR_IO: a shared file could not be read
 *
 * The share layer's error domain. A caller acts on these: NOT_FOUND after a
 * file vanished is routine, CORRUPT means rebuilding the library, DATABASE
 * is worth a retry or a message to the user.
 */
typedef enum
{
  SHOAL_LIBRARY_ERROR_DATABASE,
  SHOAL_LIBRARY_ERROR_CORRUPT,
  SHOAL_LIBRARY_ERROR_NOT_FOUND,
  SHOAL_LIBRARY_ERROR_INVALID,
  SHOAL_LIBRARY_ERROR_IO,
} ShoalLibraryError;

GQuark shoal_library_error_quark (void);

/* The schema version this code creates and understands (PRAGMA
 * user_version); a database with a higher one is refused as CORRUPT. */
#define SHOAL_LIBRARY_DB_SCHEMA_VERSION 3

/* How long a connection waits for another one's write lock before it
 * gives up with SQLITE_BUSY: the worker's write transactions are short
 * batches, so anything longer than this means something is stuck. */
#define SHOAL_LIBRARY_DB_BUSY_TIMEOUT_MS 10000

/* A query with more words than this is refused as INVALID: no real file
 * name needs more, and each word costs an FTS5 term lookup. */
#define SHOAL_LIBRARY_DB_MAX_QUERY_WORDS 64

typedef enum
{
  SHOAL_LIBRARY_DB_READ_WRITE,  /* creates and migrates the schema */
  SHOAL_LIBRARY_DB_READ_ONLY,   /* search threads, the upload server */
} ShoalLibraryDbMode;

/* One connection; use it from one thread at a time. Each thread that needs
 * the library opens its own: in WAL mode one writer and any number of
 * readers work at once, readers seeing each committed transaction. */
typedef struct _ShoalLibraryDb ShoalLibraryDb;

typedef struct
{
  gint64  id;
  char   *path;        /* absolute, canonical, UTF-8 */
  gint64  added_usec;  /* when it was added, microseconds since the epoch */
} ShoalLibraryDbRoot;

void shoal_library_db_root_free (ShoalLibraryDbRoot *root);

typedef struct
{
  guint64 files;
  guint64 bytes;
  guint64 hashed_files;
  guint64 hashed_bytes;
} ShoalLibraryTotals;

/* Called by shoal_library_db_foreach_file() for each file, in index order.
 * @file and its strings are borrowed for the duration of the call only.
 * Return FALSE to stop early. The callback must not write through the same
 * connection nor start another foreach on it. */
typedef gboolean (*ShoalLibraryDbFileFunc) (const ShoalLibraryFile *file,
                                             gpointer                user_data);

ShoalLibraryDb   *shoal_library_db_open            (const char         *path,
                                                    ShoalLibraryDbMode  mode,
                                                    GError            **error);
void              shoal_library_db_close           (ShoalLibraryDb     *db);

/* Transactions group writes (a scan batch commits many rows at once, which
 * is both fast and atomic). BEGIN takes the write lock at once, so a busy
 * database fails here and not in the middle of a batch. */
gboolean          shoal_library_db_begin           (ShoalLibraryDb     *db,
                                                    GError            **error);
gboolean          shoal_library_db_commit          (ShoalLibraryDb     *db,
                                                    GError            **error);
/* Does nothing outside a transaction, so it is safe on every error path. */
void              shoal_library_db_rollback        (ShoalLibraryDb     *db);

/* Roots -------------------------------------------------------------- */

/* @path must be an absolute path to an existing directory, in UTF-8; it is
 * stored canonical ("/a/b/" and "/a/./b" are the same root). Adding a root
 * that is already there gives its id. */
gboolean          shoal_library_db_add_root        (ShoalLibraryDb     *db,
                                                    const char         *path,
                                                    gint64             *root_id,
                                                    GError            **error);
/* Removes the root and every file below it. */
gboolean          shoal_library_db_remove_root     (ShoalLibraryDb     *db,
                                                    gint64              root_id,
                                                    GError            **error);
/* Of ShoalLibraryDbRoot*, by id. */
GPtrArray        *shoal_library_db_list_roots      (ShoalLibraryDb     *db,
                                                    GError            **error);
/* A newly allocated absolute path, or NULL with NOT_FOUND. */
char             *shoal_library_db_get_root_path   (ShoalLibraryDb     *db,
                                                    gint64              root_id,
                                                    GError            **error);

/* Files --------------------------------------------------------------- */

/* Every file of one root, for a rescan to compare against the disk:
 * relpath → ShoalLibraryFile*. Each key is the value's own relpath, so
 * remove entries with g_hash_table_remove/steal, never replace keys. */
GHashTable       *shoal_library_db_load_root_files (ShoalLibraryDb     *db,
                                                    gint64              root_id,
                                                    GError            **error);

/* Adds the file at @relpath (pending: no hash yet) or, if the root already
 * has it, records @stat, forgetting its hash only if size, mtime or inode
 * changed. The file keeps its index as long as it keeps its path.
 * @relpath is '/'-separated below the root, UTF-8, without empty, "." or
 * ".." components (INVALID otherwise); an unknown root is NOT_FOUND. */
gboolean          shoal_library_db_upsert_file     (ShoalLibraryDb      *db,
                                                    gint64               root_id,
                                                    const char          *relpath,
                                                    const ShoalFileStat *stat,
                                                    guint32             *index,
                                                    GError             **error);
gboolean          shoal_library_db_delete_file     (ShoalLibraryDb     *db,
                                                    guint32             index,
                                                    GError            **error);
/* Stores @sha1 only if the file's row still holds exactly @hashed_stat:
 * a file changed or rescanned while it was being hashed keeps waiting for
 * a fresh hash. *stored tells which happened (a vanished file is not an
 * error, just not stored). */
gboolean          shoal_library_db_set_sha1        (ShoalLibraryDb      *db,
                                                    guint32              index,
                                                    const ShoalFileStat *hashed_stat,
                                                    const guint8         sha1[SHOAL_SHARE_SHA1_SIZE],
                                                    gboolean            *stored,
                                                    GError             **error);
/* Moves a file within its root, keeping its index, stat and hash. Like
 * rename(2), a file already at @new_relpath is replaced (deleted). */
gboolean          shoal_library_db_rename_file     (ShoalLibraryDb     *db,
                                                    guint32             index,
                                                    const char         *new_relpath,
                                                    GError            **error);

/* Reads ---------------------------------------------------------------- */

/* Up to @limit files waiting for a hash, lowest index (oldest) first, of
 * ShoalLibraryFile*. */
GPtrArray        *shoal_library_db_pending_hashes  (ShoalLibraryDb     *db,
                                                    guint               limit,
                                                    GError            **error);
/* The same, starting after @after_index: a hasher walks the queue with it
 * so that a file it could not read does not block the ones behind. */
GPtrArray        *shoal_library_db_pending_hashes_after (ShoalLibraryDb  *db,
                                                         guint32          after_index,
                                                         guint            limit,
                                                         GError         **error);
/* NULL with NOT_FOUND if there is no such file. */
ShoalLibraryFile *shoal_library_db_lookup_index    (ShoalLibraryDb     *db,
                                                    guint32             index,
                                                    GError            **error);
/* One hashed file with this hash (the lowest index), or NULL with
 * NOT_FOUND. */
ShoalLibraryFile *shoal_library_db_lookup_sha1     (ShoalLibraryDb     *db,
                                                    const guint8        sha1[SHOAL_SHARE_SHA1_SIZE],
                                                    GError            **error);
gboolean          shoal_library_db_get_totals      (ShoalLibraryDb     *db,
                                                    ShoalLibraryTotals *totals,
                                                    GError            **error);
/* Streams every file without holding them all in memory (for the QRP
 * table and browse-host). FALSE only on a database error, not when
 * @callback stopped early. */
gboolean          shoal_library_db_foreach_file    (ShoalLibraryDb         *db,
                                                    ShoalLibraryDbFileFunc  callback,
                                                    gpointer                user_data,
                                                    GError                **error);

/* Search ---------------------------------------------------------------- */

/* Gnutella keyword search over file names and their folders' names: every
 * word of @text must start a word of the file's name or folders (AND,
 * prefix), ignoring case and diacritics. Words are the runs of letters and
 * digits; everything else, FTS5 syntax included, only separates them, so
 * no text can cause an error, and text without a word finds nothing. More
 * than SHOAL_LIBRARY_DB_MAX_QUERY_WORDS words is INVALID. Pending files
 * match too. At most @max_results ShoalLibraryFile*: first the files
 * whose own name holds every word, then those matched through their
 * folders, each group by index. No bm25: its IDF counts every match of
 * every prefix, which is what made lookups slow over a million names. */
GPtrArray        *shoal_library_db_search          (ShoalLibraryDb     *db,
                                                    const char         *text,
                                                    guint               max_results,
                                                    GError            **error);
/* The hashed files with this hash (a urn:sha1 query), at most
 * @max_results, by index. */
GPtrArray        *shoal_library_db_search_sha1     (ShoalLibraryDb     *db,
                                                    const guint8        sha1[SHOAL_SHARE_SHA1_SIZE],
                                                    guint               max_results,
                                                    GError            **error);

/* Integrity ------------------------------------------------------------- */

/* PRAGMA integrity_check, and a check that the search index covers exactly
 * the files table (FTS5's own 'integrity-check' too on a read-write
 * connection, as it is an INSERT). FALSE with CORRUPT names the first
 * problems found. */
gboolean          shoal_library_db_check_integrity (ShoalLibraryDb     *db,
                                                    GError            **error);
/* Rebuilds the search index from the files table: the repair for a
 * search index that check_integrity found out of step. */
gboolean          shoal_library_db_rebuild_search_index (ShoalLibraryDb  *db,
                                                         GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalLibraryDb, shoal_library_db_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalLibraryDbRoot, shoal_library_db_root_free)

G_END_DECLS
