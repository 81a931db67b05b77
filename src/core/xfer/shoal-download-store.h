/* shoal-download-store.h — the download queue in SQLite
 * (<data_dir>/downloads.db): what to fetch, how far it got, from whom. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"
#include "shoal-ipv4.h"
#include "shoal-urn.h"

G_BEGIN_DECLS

#define SHOAL_DOWNLOAD_STORE_ERROR (shoal_download_store_error_quark ())

/**
 * ShoalDownloadStoreError:
 * @SHOAL_DOWNLOAD_STORE_ERROR_DATABASE: SQLite failed; the message says why
 * @SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT: the database is damaged, not a
 *   database, holds a row no version of Shoal wrote, or has a schema newer
 *   than this code understands
 * @SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND: no such download or source
 * @SHOAL_DOWNLOAD_STORE_ERROR_EXISTS: a download of this SHA-1 is queued
 *   already (add sources to it instead)
 * @SHOAL_DOWNLOAD_STORE_ERROR_INVALID: a bad argument: a name that is not
 *   UTF-8, a progress record that does not fit the file, a size that
 *   contradicts the known one
 * @SHOAL_DOWNLOAD_STORE_ERROR_IO: the data folder could not be created
 */
typedef enum
{
  SHOAL_DOWNLOAD_STORE_ERROR_DATABASE,
  SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT,
  SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND,
  SHOAL_DOWNLOAD_STORE_ERROR_EXISTS,
  SHOAL_DOWNLOAD_STORE_ERROR_INVALID,
  SHOAL_DOWNLOAD_STORE_ERROR_IO,
} ShoalDownloadStoreError;

GQuark shoal_download_store_error_quark (void);

#define SHOAL_DOWNLOAD_STORE_FILE_NAME "downloads.db"
/* PRAGMA user_version this code creates and understands. */
#define SHOAL_DOWNLOAD_STORE_SCHEMA_VERSION 1
/* Writes are single short statements: waiting longer than this for
 * another connection's lock means something is stuck. */
#define SHOAL_DOWNLOAD_STORE_BUSY_TIMEOUT_MS 5000
/* A magnet without xl: the size comes with the first reply. */
#define SHOAL_DOWNLOAD_SIZE_UNKNOWN (-1)

/* Stored by name, so reordering this enum changes no database. */
typedef enum
{
  SHOAL_DOWNLOAD_STATE_QUEUED,     /* waiting for a slot or sources */
  SHOAL_DOWNLOAD_STATE_RUNNING,
  SHOAL_DOWNLOAD_STATE_PAUSED,     /* by the user */
  SHOAL_DOWNLOAD_STATE_VERIFYING,  /* all bytes in, SHA-1 being checked */
  SHOAL_DOWNLOAD_STATE_COMPLETE,   /* verified and moved to the download folder */
  SHOAL_DOWNLOAD_STATE_FAILED,     /* gave up; error says why */
} ShoalDownloadState;

/* "queued", "running"… as stored; NULL for a value not in the enum. */
const char *shoal_download_state_to_string (ShoalDownloadState state);

typedef struct
{
  gint64              id;
  guint8              sha1[SHOAL_SHA1_SIZE];
  gint64              size;          /* bytes, or SHOAL_DOWNLOAD_SIZE_UNKNOWN */
  char               *name;          /* UTF-8, as the user or the hit named it */
  ShoalDownloadState  state;
  char               *done_ranges;   /* a ShoalDownloadPlan progress record */
  gint64              created_usec;  /* microseconds since the epoch */
  gint64              updated_usec;
  char               *error;         /* why it failed, or NULL */
} ShoalStoredDownload;

void shoal_stored_download_free (ShoalStoredDownload *download);

/* One host that has (or had) the file. A host is its address and port;
 * a firewalled one also needs its servent GUID for a push. */
typedef struct
{
  gint64             id;
  gint64             download_id;
  ShoalIpv4Endpoint  endpoint;
  gboolean           has_guid;
  ShoalGuid          guid;
  gboolean           has_file_index;  /* from a query hit: GET /get/<index>/<name> */
  guint32            file_index;
  gboolean           push_needed;
  guint              failures;        /* failed attempts so far */
  gboolean           banned;          /* lied (bad data, wrong hash): never again */
  gint64             last_seen_usec;  /* when it was last added or heard of */
} ShoalStoredSource;

void shoal_stored_source_free (ShoalStoredSource *source);

/* One connection; use it from one thread at a time. */
typedef struct _ShoalDownloadStore ShoalDownloadStore;

/* Opens <data_dir>/downloads.db, creating the folder and the database and
 * bringing its schema up to date. WAL with synchronous=NORMAL: a process
 * crash loses no commit, a power loss at most the last ones, which only
 * makes a progress record claim less than is on disk (safe). */
ShoalDownloadStore  *shoal_download_store_open            (const char          *data_dir,
                                                           GError             **error);
void                 shoal_download_store_close           (ShoalDownloadStore  *store);

/* Downloads -------------------------------------------------------------- */

/* Queues a download (state QUEUED, nothing done). @size may be
 * SHOAL_DOWNLOAD_SIZE_UNKNOWN. A SHA-1 already queued is EXISTS. */
gboolean             shoal_download_store_add_download    (ShoalDownloadStore  *store,
                                                           const guint8         sha1[SHOAL_SHA1_SIZE],
                                                           gint64               size,
                                                           const char          *name,
                                                           gint64              *download_id,
                                                           GError             **error);
/* Of ShoalStoredDownload*, oldest first. A row no version of Shoal could
 * have written (a bad hash or state) fails the whole list as CORRUPT. */
GPtrArray           *shoal_download_store_list_downloads  (ShoalDownloadStore  *store,
                                                           GError             **error);
/* NULL with NOT_FOUND when there is no such download. */
ShoalStoredDownload *shoal_download_store_get_download    (ShoalDownloadStore  *store,
                                                           gint64               download_id,
                                                           GError             **error);
ShoalStoredDownload *shoal_download_store_find_sha1       (ShoalDownloadStore  *store,
                                                           const guint8         sha1[SHOAL_SHA1_SIZE],
                                                           GError             **error);
/* @error_message: why it failed, or NULL to clear it. */
gboolean             shoal_download_store_set_state       (ShoalDownloadStore  *store,
                                                           gint64               download_id,
                                                           ShoalDownloadState   state,
                                                           const char          *error_message,
                                                           GError             **error);
/* Records the size the first reply told; a known size never changes
 * (another one is INVALID: that source serves another file). */
gboolean             shoal_download_store_set_size        (ShoalDownloadStore  *store,
                                                           gint64               download_id,
                                                           gint64               size,
                                                           GError             **error);
/* Replaces the progress record with @done_ranges, atomically (one
 * statement, one transaction). Save only bytes already synced to disk.
 * A record that shoal_download_plan_check_record() refuses for this
 * download's size is INVALID and nothing is written; with the size still
 * unknown, only "" fits. Callers still parse what they read back: the
 * store checks what it writes, not what a damaged disk returns. */
gboolean             shoal_download_store_save_progress   (ShoalDownloadStore  *store,
                                                           gint64               download_id,
                                                           const char          *done_ranges,
                                                           GError             **error);
/* Removes the download and all its sources. */
gboolean             shoal_download_store_remove_download (ShoalDownloadStore  *store,
                                                           gint64               download_id,
                                                           GError             **error);

/* Sources ---------------------------------------------------------------- */

/* Adds the host of @source (its endpoint, GUID, file index and
 * push_needed; other fields are ignored) to the download, or, if the
 * download has it already (same address and port), refreshes those
 * fields and last_seen, keeping its failures and ban. A GUID or file index
 * the new sighting lacks (an X-Alt carries neither) does not erase a known
 * one. An unknown download is NOT_FOUND. */
gboolean             shoal_download_store_add_source      (ShoalDownloadStore      *store,
                                                           gint64                   download_id,
                                                           const ShoalStoredSource *source,
                                                           gint64                  *source_id,
                                                           GError                 **error);
/* Of ShoalStoredSource*, the most promising first: not banned, fewest
 * failures, most recently seen. Banned ones too, last, so a new hit from
 * a banned host is recognised. */
GPtrArray           *shoal_download_store_list_sources    (ShoalDownloadStore  *store,
                                                           gint64               download_id,
                                                           GError             **error);
/* Counts one more failure; *failures (may be NULL) gets the new count. */
gboolean             shoal_download_store_mark_source_failure (ShoalDownloadStore  *store,
                                                               gint64               source_id,
                                                               guint               *failures,
                                                               GError             **error);
/* After a success: the source's failures were passing trouble, and
 * only failures in a row give a source up. */
gboolean             shoal_download_store_clear_source_failures (ShoalDownloadStore  *store,
                                                                 gint64               source_id,
                                                                 GError             **error);
gboolean             shoal_download_store_ban_source      (ShoalDownloadStore  *store,
                                                           gint64               source_id,
                                                           GError             **error);

/* Integrity -------------------------------------------------------------- */

/* PRAGMA integrity_check and foreign_key_check; CORRUPT names the first
 * problems found. */
gboolean             shoal_download_store_check_integrity (ShoalDownloadStore  *store,
                                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalDownloadStore, shoal_download_store_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalStoredDownload, shoal_stored_download_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalStoredSource, shoal_stored_source_free)

G_END_DECLS
