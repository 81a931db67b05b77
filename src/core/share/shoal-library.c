/* shoal-library.c — the shared library: folders, files, hashes and index.
 *
 * Threads (DESIGN.md): a worker thread owns the read-write database and
 * does every scan and every write, one job at a time, in transactions; the
 * hasher's threads only read files; searches run on GTask threads over a
 * read-only connection (WAL lets them read while the worker writes). The
 * caller's main context only receives results, in batches.
 */
#include "shoal-library.h"

#include "shoal-folder-monitor.h"
#include "shoal-hasher.h"
#include "shoal-library-db.h"
#include "shoal-library-qrp.h"
#include "shoal-scanner.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How many files one scan's hashing queue may reference at once is not
 * limited: the hasher queues paths, not data. Pending hashes read back at
 * start-up are fetched in pages of this many rows. */
#define PENDING_PAGE_SIZE 10000

struct _ShoalLibrary
{
  GObject          parent_instance;

  char            *db_path;
  GMainContext    *owner_context;  /* where results and signals arrive */
  GListStore      *roots;          /* ShoalSharedRoot */
  GHashTable      *monitors;       /* root id → ShoalFolderMonitor */
  ShoalHasher     *hasher;
  ShoalScanOptions *scan_options;  /* copied into each scan job */

  /* Owner-side state, updated from the worker's reports. */
  gboolean         ready;
  guint            jobs_in_flight;
  ShoalLibraryTotals totals;
  guint64          files_hashed;
  double           qrp_fill_ratio;
  ShoalQrpTable   *qrp_table;      /* presence 1 / absent 2 snapshot */

  /* Worker thread. Only the worker touches worker_*. */
  GThread         *worker;
  GMainContext    *worker_context;
  GMainLoop       *worker_loop;
  ShoalLibraryDb  *worker_db;
  ShoalLibraryQrp *worker_qrp;
  GHashTable      *worker_known;   /* root id → KnownRoot */

  /* Read side, shared by search threads. */
  GMutex           read_lock;
  ShoalLibraryDb  *read_db;
};

enum
{
  PROP_0,
  PROP_READY,
  PROP_BUSY,
  PROP_FILE_COUNT,
  PROP_SHARED_BYTES,
  PROP_HASHED_COUNT,
  PROP_FILES_HASHED,
  PROP_QRP_FILL_RATIO,
  PROP_HASH_FILES_DONE,
  PROP_HASH_FILES_TOTAL,
  PROP_HASH_BYTES_DONE,
  PROP_HASH_BYTES_TOTAL,
  N_PROPS
};

enum
{
  SIGNAL_CHANGED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalLibrary, shoal_library, G_TYPE_OBJECT)

/* Jobs and reports ------------------------------------------------------- */

typedef void (*WorkerFunc) (ShoalLibrary *self,
                            gpointer      data);

typedef struct
{
  ShoalLibrary  *self;
  WorkerFunc     func;
  gpointer       data;
  GDestroyNotify data_free;
} WorkerJob;

static void
worker_job_free (gpointer pointer)
{
  WorkerJob *job = pointer;

  if (job->data_free != NULL)
    job->data_free (job->data);
  g_free (job);
}

static gboolean
worker_job_run (gpointer pointer)
{
  WorkerJob *job = pointer;

  job->func (job->self, job->data);
  return G_SOURCE_REMOVE;
}

/* Queues @func to run in @context, always from its own loop. Unlike
 * g_main_context_invoke(), which runs @func at once on the calling thread
 * whenever nobody holds @context (before its loop runs, or between two
 * iterations), so a report could otherwise run on the worker thread. */
static void
run_in_context (GMainContext   *context,
                GSourceFunc     func,
                gpointer        data,
                GDestroyNotify  notify)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
}

/* Queues @func on the worker. The library outlives every job: dispose
 * stops the worker and joins it before anything is freed. */
static void
post_to_worker (ShoalLibrary  *self,
                WorkerFunc     func,
                gpointer       data,
                GDestroyNotify data_free)
{
  WorkerJob *job = g_new0 (WorkerJob, 1);

  job->self = self;
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  run_in_context (self->worker_context, worker_job_run, job, worker_job_free);
}

/* What the worker reports after a job: the new totals and QRP snapshot,
 * plus whatever the job itself produced. */
typedef struct
{
  GWeakRef           library;
  ShoalLibraryTotals totals;
  ShoalQrpTable     *qrp_table;
  double             qrp_fill_ratio;
  gboolean           finishes_job;   /* a job counted in jobs_in_flight */
  GError            *error;          /* a database failure to report */
  /* Roots to show (open) or whose contents changed (scans). */
  GPtrArray         *roots;          /* RootReport* */
  gint64             removed_root_id;
  gint64             scanned_root_id; /* a scan ended, well or not */
  GArray            *to_hash;        /* HashRequest */
  GArray            *removed;        /* guint32 file indexes */
  guint              stored_hashes;
  gboolean           rescan_roots;   /* the index just opened */
  /* add_root's task, completed once the root is in the model; with
   * @task_error when adding failed. */
  GTask             *task;
  GError            *task_error;
} Report;

typedef struct
{
  gint64   id;
  char    *path;
  guint64  file_count;
  guint64  size;
  guint    problem_count;
} RootReport;

typedef struct
{
  guint32  index;
  char    *path;
  guint64  size;
} HashRequest;

static void
root_report_free (gpointer pointer)
{
  RootReport *root = pointer;

  g_free (root->path);
  g_free (root);
}

static void
hash_request_clear (gpointer pointer)
{
  g_free (((HashRequest *) pointer)->path);
}

static void
report_free (gpointer pointer)
{
  Report *report = pointer;

  g_weak_ref_clear (&report->library);
  g_clear_pointer (&report->qrp_table, shoal_qrp_table_free);
  g_clear_error (&report->error);
  g_clear_pointer (&report->roots, g_ptr_array_unref);
  g_clear_pointer (&report->to_hash, g_array_unref);
  g_clear_pointer (&report->removed, g_array_unref);
  g_clear_object (&report->task);
  g_clear_error (&report->task_error);
  g_free (report);
}

static Report *
report_new (ShoalLibrary *self,
            gboolean      finishes_job)
{
  Report *report = g_new0 (Report, 1);

  g_weak_ref_init (&report->library, self);
  report->finishes_job = finishes_job;
  report->roots = g_ptr_array_new_with_free_func (root_report_free);
  report->to_hash = g_array_new (FALSE, FALSE, sizeof (HashRequest));
  g_array_set_clear_func (report->to_hash, hash_request_clear);
  report->removed = g_array_new (FALSE, FALSE, sizeof (guint32));
  return report;
}

static void report_deliver (ShoalLibrary *self, Report *report);

static gboolean
report_run (gpointer pointer)
{
  Report *report = pointer;
  g_autoptr(ShoalLibrary) self = g_weak_ref_get (&report->library);

  /* The library may be gone: its owner dropped it with work in flight. */
  if (self != NULL)
    report_deliver (self, report);
  return G_SOURCE_REMOVE;
}

/* Worker side: fills in totals and the QRP snapshot, sends @report. */
static void
worker_send (ShoalLibrary *self,
             Report       *report)
{
  g_autoptr(GError) error = NULL;

  if (!shoal_library_db_get_totals (self->worker_db, &report->totals, &error)
      && report->error == NULL)
    report->error = g_steal_pointer (&error);
  report->qrp_table = shoal_library_qrp_build_table (self->worker_qrp, SHOAL_QRP_GTKG_INFINITY);
  report->qrp_fill_ratio = shoal_library_qrp_get_fill_ratio (self->worker_qrp);
  run_in_context (self->owner_context, report_run, report, report_free);
}

/* Worker: the index's view of one root ------------------------------------ */

/* What the index holds for one root, cached on the worker so that a rescan
 * of one folder does not read the whole root back from SQLite. */
typedef struct
{
  char       *path;
  GHashTable *files;  /* relpath → ShoalLibraryFile* */
} KnownRoot;

static void
known_root_free (gpointer pointer)
{
  KnownRoot *root = pointer;

  g_free (root->path);
  g_hash_table_unref (root->files);
  g_free (root);
}

static GHashTable *
worker_known_files (ShoalLibrary  *self,
                    gint64         root_id,
                    GError       **error)
{
  KnownRoot *root = g_hash_table_lookup (self->worker_known, &root_id);
  gint64 *key;

  if (root != NULL)
    return root->files;
  root = g_new0 (KnownRoot, 1);
  root->files = shoal_library_db_load_root_files (self->worker_db, root_id, error);
  if (root->files == NULL)
    {
      g_free (root);
      return NULL;
    }
  root->path = shoal_library_db_get_root_path (self->worker_db, root_id, NULL);
  key = g_new (gint64, 1);
  *key = root_id;
  g_hash_table_insert (self->worker_known, key, root);
  return root->files;
}

static RootReport *
root_report_new (gint64      id,
                 const char *path,
                 GHashTable *known,
                 guint       problem_count)
{
  RootReport *root = g_new0 (RootReport, 1);
  GHashTableIter iter;
  gpointer value;

  root->id = id;
  root->path = g_strdup (path);
  root->problem_count = problem_count;
  g_hash_table_iter_init (&iter, known);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      root->file_count++;
      root->size += ((ShoalLibraryFile *) value)->stat.size;
    }
  return root;
}

/* The scanner shares a link to a file inside the root as that file; the
 * hasher opens nothing through a link, so it is given the target, after
 * checking once more that the target is still inside the root. NULL when
 * it no longer is: the next scan drops the entry. */
static char *
path_to_hash (const char *root_path,
              const char *relpath)
{
  g_autofree char *path = g_build_filename (root_path, relpath, NULL);
  g_autofree char *resolved = NULL;
  g_autofree char *resolved_root = NULL;
  struct stat st;
  gsize length;

  if (lstat (path, &st) != 0 || !S_ISLNK (st.st_mode))
    return g_steal_pointer (&path);
  resolved = realpath (path, NULL);
  resolved_root = realpath (root_path, NULL);
  if (resolved == NULL || resolved_root == NULL)
    return NULL;
  length = strlen (resolved_root);
  if (strncmp (resolved, resolved_root, length) != 0 || resolved[length] != G_DIR_SEPARATOR)
    return NULL;
  return g_steal_pointer (&resolved);
}

static void
request_hash (Report                 *report,
              const char             *root_path,
              const ShoalLibraryFile *file)
{
  HashRequest request;

  request.path = path_to_hash (root_path, file->relpath);
  if (request.path == NULL)
    return;
  request.index = file->index;
  request.size = file->stat.size;
  g_array_append_val (report->to_hash, request);
}

/* Worker: opening -------------------------------------------------------- */

static gboolean
add_file_to_qrp (const ShoalLibraryFile *file,
                 gpointer                user_data)
{
  shoal_library_qrp_add_file (user_data, file->name, file->has_sha1 ? file->sha1 : NULL);
  return TRUE;
}

static void
worker_open (ShoalLibrary *self,
             gpointer      data)
{
  Report *report = report_new (self, TRUE);
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GError) error = NULL;

  self->worker_db = shoal_library_db_open (self->db_path, SHOAL_LIBRARY_DB_READ_WRITE, &error);
  if (self->worker_db == NULL)
    {
      report->error = g_steal_pointer (&error);
      run_in_context (self->owner_context, report_run, report, report_free);
      return;
    }
  /* Everything the index holds goes back into the QRP table, and work a
   * crash interrupted (files not hashed yet) is queued again. */
  if (!shoal_library_db_foreach_file (self->worker_db, add_file_to_qrp, self->worker_qrp, &error))
    report->error = g_steal_pointer (&error);
  /* Files may have changed while we were not running, and a scan that a
   * crash interrupted left nothing behind (it commits as a whole). Those
   * scans also queue again the hashes a crash interrupted: only after
   * them, so that a file both pending and changed is hashed once. */
  report->rescan_roots = TRUE;
  roots = shoal_library_db_list_roots (self->worker_db, report->error ? NULL : &report->error);
  for (guint i = 0; roots != NULL && i < roots->len; i++)
    {
      ShoalLibraryDbRoot *root = g_ptr_array_index (roots, i);
      GHashTable *known = worker_known_files (self, root->id, NULL);

      if (known != NULL)
        g_ptr_array_add (report->roots, root_report_new (root->id, root->path, known, 0));
    }
  worker_send (self, report);
}

/* Worker: scanning ------------------------------------------------------- */

typedef struct
{
  gint64            root_id;
  char             *root_path;
  GStrv             subdirs;       /* NULL: the whole root */
  gboolean          resume_hashing; /* also queue files still pending */
  ShoalScanOptions *options;
  GTask            *task;          /* add_root's, or NULL */
} ScanJob;

static void
scan_job_free (gpointer pointer)
{
  ScanJob *job = pointer;

  g_free (job->root_path);
  g_strfreev (job->subdirs);
  shoal_scan_options_free (job->options);
  g_clear_object (&job->task);
  g_free (job);
}

static ShoalLibraryFile *
known_file_new (gint64                 root_id,
                const ShoalScanEntry  *entry,
                guint32                index)
{
  ShoalLibraryFile *file = shoal_library_file_new ();

  file->index = index;
  file->root_id = root_id;
  file->relpath = g_strdup (entry->relpath);
  file->name = g_path_get_basename (entry->relpath);
  file->stat = entry->stat;
  return file;
}

static gboolean
apply_removed (ShoalLibrary *self,
               GHashTable   *known,
               const char   *relpath,
               Report       *report,
               GError      **error)
{
  ShoalLibraryFile *file = g_hash_table_lookup (known, relpath);

  if (file == NULL)
    return TRUE;
  if (!shoal_library_db_delete_file (self->worker_db, file->index, error))
    return FALSE;
  shoal_library_qrp_remove_file (self->worker_qrp, file->name, file->has_sha1 ? file->sha1 : NULL);
  g_array_append_val (report->removed, file->index);
  g_hash_table_remove (known, relpath);
  return TRUE;
}

/* A removed file and an added one with the same size, mtime and inode are
 * one file renamed: it keeps its index and its hash. */
static ShoalLibraryFile *
take_renamed (GHashTable          *known,
              GHashTable          *removed_by_inode,
              const ShoalScanEntry *entry)
{
  ShoalLibraryFile *file = g_hash_table_lookup (removed_by_inode, &entry->stat.inode);

  if (file == NULL || !shoal_file_stat_equal (&file->stat, &entry->stat))
    return NULL;
  g_hash_table_remove (removed_by_inode, &entry->stat.inode);
  return file;
}

static gboolean
apply_added (ShoalLibrary         *self,
             ScanJob              *job,
             GHashTable           *known,
             GHashTable           *removed_by_inode,
             const ShoalScanEntry *entry,
             Report               *report,
             GError              **error)
{
  ShoalLibraryFile *renamed = take_renamed (known, removed_by_inode, entry);
  ShoalLibraryFile *file;
  guint32 index;

  if (renamed != NULL)
    {
      g_autofree char *old_relpath = g_strdup (renamed->relpath);

      if (!shoal_library_db_rename_file (self->worker_db, renamed->index, entry->relpath, error))
        return FALSE;
      file = shoal_library_file_copy (renamed);
      g_free (file->relpath);
      g_free (file->name);
      file->relpath = g_strdup (entry->relpath);
      file->name = g_path_get_basename (entry->relpath);
      shoal_library_qrp_remove_file (self->worker_qrp, renamed->name,
                                     renamed->has_sha1 ? renamed->sha1 : NULL);
      shoal_library_qrp_add_file (self->worker_qrp, file->name, file->has_sha1 ? file->sha1 : NULL);
      g_hash_table_remove (known, old_relpath);
      g_hash_table_replace (known, file->relpath, file);
      return TRUE;
    }
  if (!shoal_library_db_upsert_file (self->worker_db, job->root_id, entry->relpath,
                                     &entry->stat, &index, error))
    return FALSE;
  file = known_file_new (job->root_id, entry, index);
  shoal_library_qrp_add_file (self->worker_qrp, file->name, NULL);
  g_hash_table_replace (known, file->relpath, file);
  request_hash (report, job->root_path, file);
  return TRUE;
}

static gboolean
apply_changed (ShoalLibrary         *self,
               ScanJob              *job,
               GHashTable           *known,
               const ShoalScanEntry *entry,
               Report               *report,
               GError              **error)
{
  ShoalLibraryFile *file = g_hash_table_lookup (known, entry->relpath);
  guint32 index;

  if (!shoal_library_db_upsert_file (self->worker_db, job->root_id, entry->relpath,
                                     &entry->stat, &index, error))
    return FALSE;
  if (file != NULL)
    {
      shoal_library_qrp_remove_file (self->worker_qrp, file->name, file->has_sha1 ? file->sha1 : NULL);
      g_hash_table_remove (known, entry->relpath);
    }
  file = known_file_new (job->root_id, entry, index);
  shoal_library_qrp_add_file (self->worker_qrp, file->name, NULL);
  g_hash_table_replace (known, file->relpath, file);
  request_hash (report, job->root_path, file);
  return TRUE;
}

/* Removed files are held back until the additions are seen, so that a
 * rename inside the scanned part is recognised as one. */
static gboolean
apply_scan (ShoalLibrary    *self,
            ScanJob         *job,
            GHashTable      *known,
            ShoalScanResult *result,
            Report          *report,
            GError         **error)
{
  g_autoptr(GHashTable) removed_by_inode = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < result->removed->len; i++)
    {
      ShoalLibraryFile *file = g_hash_table_lookup (known, g_ptr_array_index (result->removed, i));

      if (file != NULL)
        g_hash_table_insert (removed_by_inode, &file->stat.inode, file);
    }
  for (guint i = 0; i < result->added->len; i++)
    if (!apply_added (self, job, known, removed_by_inode, g_ptr_array_index (result->added, i),
                      report, error))
      return FALSE;
  for (guint i = 0; i < result->changed->len; i++)
    if (!apply_changed (self, job, known, g_ptr_array_index (result->changed, i), report, error))
      return FALSE;
  for (guint i = 0; i < result->removed->len; i++)
    {
      const char *relpath = g_ptr_array_index (result->removed, i);
      ShoalLibraryFile *file = g_hash_table_lookup (known, relpath);

      /* Renamed ones were moved to their new path already. */
      if (file != NULL && g_hash_table_lookup (removed_by_inode, &file->stat.inode) == file &&
          !apply_removed (self, known, relpath, report, error))
        return FALSE;
    }
  return TRUE;
}

/* Scans each requested part and merges the results, so a file moved
 * between two folders of one burst is seen as a rename. */
static ShoalScanResult *
scan_parts (ScanJob     *job,
            GHashTable  *known,
            guint       *problem_count,
            GError     **error)
{
  const char *whole[] = { NULL };
  const char * const *parts = job->subdirs ? (const char * const *) job->subdirs : whole;
  ShoalScanResult *merged = NULL;
  guint count = job->subdirs ? g_strv_length (job->subdirs) : 1;

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(GError) part_error = NULL;
      ShoalScanResult *result = shoal_scanner_scan (job->root_path, parts[i], known,
                                                    job->options, NULL, &part_error);

      if (result == NULL && job->subdirs != NULL)
        {
          /* A folder that vanished before we got to it: its files are
           * accounted for by the scan of its parent. */
          g_debug ("rescan of %s/%s: %s", job->root_path, parts[i], part_error->message);
          continue;
        }
      if (result == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&part_error));
          g_clear_pointer (&merged, shoal_scan_result_free);
          return NULL;
        }
      *problem_count += result->problems->len;
      if (merged == NULL)
        merged = result;
      else
        {
          g_ptr_array_extend_and_steal (merged->added, g_steal_pointer (&result->added));
          g_ptr_array_extend_and_steal (merged->changed, g_steal_pointer (&result->changed));
          g_ptr_array_extend_and_steal (merged->removed, g_steal_pointer (&result->removed));
          result->added = g_ptr_array_new ();
          result->changed = g_ptr_array_new ();
          result->removed = g_ptr_array_new ();
          shoal_scan_result_free (result);
        }
    }
  return merged;
}

/* Queues the root's files that have no hash yet and that the scan did
 * not queue itself (the ones it found added or changed). */
static void
queue_unhashed_files (ScanJob    *job,
                      GHashTable *known,
                      Report     *report)
{
  g_autoptr(GHashTable) queued = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer value;

  for (guint i = 0; i < report->to_hash->len; i++)
    g_hash_table_add (queued, GUINT_TO_POINTER (g_array_index (report->to_hash, HashRequest, i).index));
  g_hash_table_iter_init (&iter, known);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const ShoalLibraryFile *file = value;

      if (!file->has_sha1 && !g_hash_table_contains (queued, GUINT_TO_POINTER (file->index)))
        request_hash (report, job->root_path, file);
    }
}

static void
worker_scan (ShoalLibrary *self,
             gpointer      data)
{
  ScanJob *job = data;
  Report *report = report_new (self, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalScanResult) result = NULL;
  GHashTable *known;
  guint problem_count = 0;

  known = worker_known_files (self, job->root_id, &error);
  if (known != NULL)
    result = scan_parts (job, known, &problem_count, &error);
  if (result != NULL && shoal_library_db_begin (self->worker_db, &error))
    {
      if (apply_scan (self, job, known, result, report, &error))
        shoal_library_db_commit (self->worker_db, &error);
      else
        {
          shoal_library_db_rollback (self->worker_db);
          /* The cached view may now be ahead of the database: reload it. */
          g_hash_table_remove (self->worker_known, &job->root_id);
        }
    }
  if (error == NULL && known != NULL && job->resume_hashing)
    queue_unhashed_files (job, known, report);
  if (error != NULL)
    report->error = g_error_copy (error);
  else if (known != NULL)
    g_ptr_array_add (report->roots, root_report_new (job->root_id, job->root_path,
                                                     known, problem_count));
  report->scanned_root_id = job->root_id;
  report->task = g_steal_pointer (&job->task);
  if (report->task != NULL && error != NULL)
    report->task_error = g_error_copy (error);
  worker_send (self, report);
}

/* Worker: roots ----------------------------------------------------------- */

static void
worker_add_root (ShoalLibrary *self,
                 gpointer      data)
{
  ScanJob *job = data;
  g_autoptr(GError) error = NULL;

  if (!g_path_is_absolute (job->root_path) || !g_file_test (job->root_path, G_FILE_TEST_IS_DIR))
    g_set_error (&error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
                 "%s is not a folder", job->root_path);
  else
    shoal_library_db_add_root (self->worker_db, job->root_path, &job->root_id, &error);
  if (error != NULL)
    {
      Report *report = report_new (self, TRUE);

      report->task = g_steal_pointer (&job->task);
      report->task_error = g_steal_pointer (&error);
      worker_send (self, report);
      return;
    }
  worker_scan (self, job);
}

typedef struct
{
  gint64 root_id;
} RemoveJob;

static void
worker_remove_root (ShoalLibrary *self,
                    gpointer      data)
{
  RemoveJob *job = data;
  Report *report = report_new (self, TRUE);
  GHashTable *known = worker_known_files (self, job->root_id, &report->error);
  GHashTableIter iter;
  gpointer value;

  if (known != NULL && shoal_library_db_remove_root (self->worker_db, job->root_id, &report->error))
    {
      g_hash_table_iter_init (&iter, known);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          ShoalLibraryFile *file = value;

          shoal_library_qrp_remove_file (self->worker_qrp, file->name,
                                         file->has_sha1 ? file->sha1 : NULL);
          g_array_append_val (report->removed, file->index);
        }
      g_hash_table_remove (self->worker_known, &job->root_id);
    }
  report->removed_root_id = job->root_id;
  worker_send (self, report);
}

/* Worker: hashes ------------------------------------------------------------- */

/* A linked file was hashed under its target's path: found by its index,
 * the slow way, since links are few. */
static ShoalLibraryFile *
find_file_by_index (ShoalLibrary *self,
                    guint32       index)
{
  GHashTableIter roots;
  gpointer value;

  g_hash_table_iter_init (&roots, self->worker_known);
  while (g_hash_table_iter_next (&roots, NULL, &value))
    {
      GHashTableIter files;
      gpointer file;

      g_hash_table_iter_init (&files, ((KnownRoot *) value)->files);
      while (g_hash_table_iter_next (&files, NULL, &file))
        if (((ShoalLibraryFile *) file)->index == index)
          return file;
    }
  return NULL;
}

/* The cached record a hash result is about: its path names the root and
 * the relpath, its index must still be the same file. */
static ShoalLibraryFile *
find_hashed_file (ShoalLibrary          *self,
                  const ShoalHashResult *result)
{
  GHashTableIter roots;
  gpointer value;

  g_hash_table_iter_init (&roots, self->worker_known);
  while (g_hash_table_iter_next (&roots, NULL, &value))
    {
      KnownRoot *root = value;
      ShoalLibraryFile *file;
      gsize length;

      if (root->path == NULL)
        continue;
      length = strlen (root->path);
      if (strncmp (result->path, root->path, length) != 0 || result->path[length] != G_DIR_SEPARATOR)
        continue;
      file = g_hash_table_lookup (root->files, result->path + length + 1);
      if (file != NULL && file->index == result->file_index)
        return file;
    }
  return find_file_by_index (self, result->file_index);
}

static void
worker_store_hashes (ShoalLibrary *self,
                     gpointer      data)
{
  GPtrArray *results = data;
  Report *report = report_new (self, TRUE);
  g_autoptr(GError) error = NULL;

  if (!shoal_library_db_begin (self->worker_db, &error))
    {
      report->error = g_steal_pointer (&error);
      worker_send (self, report);
      return;
    }
  for (guint i = 0; i < results->len && error == NULL; i++)
    {
      ShoalHashResult *result = g_ptr_array_index (results, i);
      ShoalLibraryFile *file;
      gboolean stored = FALSE;

      if (!shoal_library_db_set_sha1 (self->worker_db, result->file_index, &result->stat,
                                      result->sha1, &stored, &error) || !stored)
        continue;
      report->stored_hashes++;
      file = find_hashed_file (self, result);
      if (file == NULL)
        continue;
      shoal_library_qrp_remove_file (self->worker_qrp, file->name, NULL);
      memcpy (file->sha1, result->sha1, sizeof file->sha1);
      file->has_sha1 = TRUE;
      shoal_library_qrp_add_file (self->worker_qrp, file->name, file->sha1);
    }
  if (error == NULL)
    shoal_library_db_commit (self->worker_db, &error);
  else
    shoal_library_db_rollback (self->worker_db);
  report->error = g_steal_pointer (&error);
  worker_send (self, report);
}

static gpointer
worker_main (gpointer data)
{
  ShoalLibrary *self = data;

  g_main_context_push_thread_default (self->worker_context);
  g_main_loop_run (self->worker_loop);
  g_clear_pointer (&self->worker_db, shoal_library_db_close);
  g_main_context_pop_thread_default (self->worker_context);
  return NULL;
}

/* Owner side -------------------------------------------------------------- */

static ShoalSharedRoot *
find_root (ShoalLibrary *self,
           gint64        id,
           guint        *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->roots));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ShoalSharedRoot) root = g_list_model_get_item (G_LIST_MODEL (self->roots), i);

      if (shoal_shared_root_get_id (root) == id)
        {
          if (position != NULL)
            *position = i;
          return root;  /* the store keeps it alive */
        }
    }
  return NULL;
}

static void on_monitor_changed (ShoalFolderMonitor *monitor, GStrv folders, gpointer user_data);
static void on_monitor_ready (ShoalFolderMonitor *monitor, GParamSpec *pspec, gpointer user_data);

static void
watch_root (ShoalLibrary    *self,
            ShoalSharedRoot *root)
{
  g_autoptr(GError) error = NULL;
  ShoalFolderMonitor *monitor;
  gint64 *key;

  if (g_hash_table_contains (self->monitors, &(gint64) { shoal_shared_root_get_id (root) }))
    return;
  monitor = shoal_folder_monitor_new (shoal_shared_root_get_path (root), self->scan_options, &error);
  if (monitor == NULL)
    {
      g_message ("not watching %s for changes: %s", shoal_shared_root_get_path (root), error->message);
      return;
    }
  g_signal_connect_object (monitor, "changed", G_CALLBACK (on_monitor_changed), self, 0);
  g_signal_connect_object (monitor, "notify::ready", G_CALLBACK (on_monitor_ready), self, 0);
  key = g_new (gint64, 1);
  *key = shoal_shared_root_get_id (root);
  g_hash_table_insert (self->monitors, key, monitor);
}

static void
show_root (ShoalLibrary     *self,
           const RootReport *report)
{
  ShoalSharedRoot *root = find_root (self, report->id, NULL);

  if (root == NULL)
    {
      g_autoptr(ShoalSharedRoot) added = shoal_shared_root_new (report->id, report->path);

      g_list_store_append (self->roots, added);
      root = added;
      watch_root (self, root);
    }
  shoal_shared_root_set_contents (root, report->file_count, report->size, report->problem_count);
}

static void
set_totals (ShoalLibrary             *self,
            const ShoalLibraryTotals *totals)
{
  if (self->totals.files != totals->files)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_COUNT]);
  if (self->totals.bytes != totals->bytes)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHARED_BYTES]);
  if (self->totals.hashed_files != totals->hashed_files)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HASHED_COUNT]);
  self->totals = *totals;
}

static void
job_started (ShoalLibrary *self)
{
  gboolean was_busy = shoal_library_get_busy (self);

  self->jobs_in_flight++;
  if (!was_busy)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* add_root finishes with the model's own root object, now that it is in. */
static void
complete_add_root (ShoalLibrary *self,
                   Report       *report)
{
  RootReport *added;
  ShoalSharedRoot *root;

  if (report->task == NULL)
    return;
  if (report->task_error != NULL)
    {
      g_task_return_error (report->task, g_steal_pointer (&report->task_error));
      return;
    }
  added = g_ptr_array_index (report->roots, 0);
  root = find_root (self, added->id, NULL);
  g_task_return_pointer (report->task, g_object_ref (root), g_object_unref);
}

static void rescan_every_root (ShoalLibrary *self, gboolean resume_hashing);

static void
report_deliver (ShoalLibrary *self,
                Report       *report)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (report->error != NULL)
    {
      g_warning ("library: %s", report->error->message);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, report->error);
    }
  for (guint i = 0; i < report->removed->len; i++)
    shoal_hasher_remove (self->hasher, g_array_index (report->removed, guint32, i));
  for (guint i = 0; i < report->to_hash->len; i++)
    {
      HashRequest *request = &g_array_index (report->to_hash, HashRequest, i);

      shoal_hasher_add (self->hasher, request->index, request->path, request->size);
    }
  for (guint i = 0; i < report->roots->len; i++)
    show_root (self, g_ptr_array_index (report->roots, i));
  if (report->scanned_root_id != 0)
    {
      ShoalSharedRoot *scanned = find_root (self, report->scanned_root_id, NULL);

      if (scanned != NULL)
        shoal_shared_root_set_scanning (scanned, FALSE);
    }
  if (report->rescan_roots)
    rescan_every_root (self, TRUE);
  if (report->removed_root_id != 0)
    {
      guint position;

      if (find_root (self, report->removed_root_id, &position) != NULL)
        g_list_store_remove (self->roots, position);
      g_hash_table_remove (self->monitors, &report->removed_root_id);
    }
  set_totals (self, &report->totals);
  if (report->stored_hashes > 0)
    {
      self->files_hashed += report->stored_hashes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILES_HASHED]);
    }
  g_clear_pointer (&self->qrp_table, shoal_qrp_table_free);
  self->qrp_table = g_steal_pointer (&report->qrp_table);
  if (self->qrp_fill_ratio != report->qrp_fill_ratio)
    {
      self->qrp_fill_ratio = report->qrp_fill_ratio;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QRP_FILL_RATIO]);
    }
  if (!self->ready && self->qrp_table != NULL)
    {
      self->ready = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
  if (report->finishes_job && --self->jobs_in_flight == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  g_object_thaw_notify (G_OBJECT (self));
  complete_add_root (self, report);
}

static void
post_scan (ShoalLibrary    *self,
           ShoalSharedRoot *root,
           GStrv            subdirs,
           gboolean         resume_hashing)
{
  ScanJob *job = g_new0 (ScanJob, 1);

  job->root_id = shoal_shared_root_get_id (root);
  job->root_path = g_strdup (shoal_shared_root_get_path (root));
  job->subdirs = subdirs;
  job->resume_hashing = resume_hashing;
  job->options = shoal_scan_options_copy (self->scan_options);
  shoal_shared_root_set_scanning (root, TRUE);
  job_started (self);
  post_to_worker (self, worker_scan, job, scan_job_free);
}

static void
rescan_every_root (ShoalLibrary *self,
                   gboolean      resume_hashing)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->roots));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ShoalSharedRoot) root = g_list_model_get_item (G_LIST_MODEL (self->roots), i);

      post_scan (self, root, NULL, resume_hashing);
    }
}

static ShoalSharedRoot *
root_of_monitor (ShoalLibrary       *self,
                 ShoalFolderMonitor *monitor)
{
  GHashTableIter iter;
  gpointer key, value;

  /* A monitor can still report between our dispose, which drops the
   * table, and our finalize, which disconnects its signals. */
  if (self->monitors == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, self->monitors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value == monitor)
      return find_root (self, *(gint64 *) key, NULL);
  return NULL;
}

static void
on_monitor_changed (ShoalFolderMonitor *monitor,
                    GStrv               folders,
                    gpointer            user_data)
{
  ShoalLibrary *self = user_data;
  ShoalSharedRoot *root = root_of_monitor (self, monitor);

  if (root != NULL)
    post_scan (self, root, g_strdupv (folders), FALSE);
}

/* Changes are only reported once every folder is watched: a file created
 * between the first scan and that moment is caught by one more rescan,
 * which finds nothing else to do. */
static void
on_monitor_ready (ShoalFolderMonitor *monitor,
                  GParamSpec         *pspec,
                  gpointer            user_data)
{
  ShoalLibrary *self = user_data;
  ShoalSharedRoot *root = root_of_monitor (self, monitor);

  if (root != NULL && shoal_folder_monitor_get_ready (monitor))
    post_scan (self, root, NULL, FALSE);
}

static void
on_files_hashed (ShoalHasher *hasher,
                 GPtrArray   *results,
                 gpointer     user_data)
{
  ShoalLibrary *self = user_data;

  job_started (self);
  post_to_worker (self, worker_store_hashes, g_ptr_array_ref (results),
                  (GDestroyNotify) g_ptr_array_unref);
}

static void
on_file_failed (ShoalHasher  *hasher,
                guint         file_index,
                const char   *path,
                const GError *error,
                gpointer      user_data)
{
  /* Left pending: it is offered by name, and hashed again next start. */
  g_message ("cannot hash %s: %s", path, error->message);
}

static void
forward_hasher_notify (GObject    *hasher,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  ShoalLibrary *self = user_data;
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "busy"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  else if (g_str_equal (name, "files-done"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HASH_FILES_DONE]);
  else if (g_str_equal (name, "files-total"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HASH_FILES_TOTAL]);
  else if (g_str_equal (name, "bytes-done"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HASH_BYTES_DONE]);
  else if (g_str_equal (name, "bytes-total"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HASH_BYTES_TOTAL]);
}

/* GObject ----------------------------------------------------------------- */

static void
shoal_library_dispose (GObject *object)
{
  ShoalLibrary *self = SHOAL_LIBRARY (object);

  if (self->hasher != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->hasher, self);
      shoal_hasher_cancel_all (self->hasher);
      g_clear_object (&self->hasher);
    }
  if (self->monitors != NULL)
    {
      GHashTableIter iter;
      gpointer monitor;

      g_hash_table_iter_init (&iter, self->monitors);
      while (g_hash_table_iter_next (&iter, NULL, &monitor))
        g_signal_handlers_disconnect_by_data (monitor, self);
      g_clear_pointer (&self->monitors, g_hash_table_unref);
    }
  if (self->worker != NULL)
    {
      /* The worker finishes the job in hand; queued ones are dropped. */
      g_main_loop_quit (self->worker_loop);
      g_thread_join (g_steal_pointer (&self->worker));
    }
  G_OBJECT_CLASS (shoal_library_parent_class)->dispose (object);
}

static void
shoal_library_finalize (GObject *object)
{
  ShoalLibrary *self = SHOAL_LIBRARY (object);

  g_clear_pointer (&self->worker_loop, g_main_loop_unref);
  g_clear_pointer (&self->worker_context, g_main_context_unref);
  g_clear_pointer (&self->worker_known, g_hash_table_unref);
  g_clear_pointer (&self->worker_qrp, shoal_library_qrp_free);
  g_clear_pointer (&self->read_db, shoal_library_db_close);
  g_mutex_clear (&self->read_lock);
  g_clear_pointer (&self->qrp_table, shoal_qrp_table_free);
  g_clear_pointer (&self->scan_options, shoal_scan_options_free);
  g_clear_object (&self->roots);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_free (self->db_path);
  G_OBJECT_CLASS (shoal_library_parent_class)->finalize (object);
}

static void
shoal_library_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ShoalLibrary *self = SHOAL_LIBRARY (object);
  guint64 number = 0;

  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      return;
    case PROP_BUSY:
      g_value_set_boolean (value, shoal_library_get_busy (self));
      return;
    case PROP_QRP_FILL_RATIO:
      g_value_set_double (value, self->qrp_fill_ratio);
      return;
    case PROP_FILE_COUNT:
      number = self->totals.files;
      break;
    case PROP_SHARED_BYTES:
      number = self->totals.bytes;
      break;
    case PROP_HASHED_COUNT:
      number = self->totals.hashed_files;
      break;
    case PROP_FILES_HASHED:
      number = self->files_hashed;
      break;
    case PROP_HASH_FILES_DONE:
    case PROP_HASH_FILES_TOTAL:
    case PROP_HASH_BYTES_DONE:
    case PROP_HASH_BYTES_TOTAL:
      g_object_get (self->hasher, g_param_spec_get_name (pspec) + strlen ("hash-"), &number, NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_value_set_uint64 (value, number);
}

static GParamSpec *
counter_pspec (const char *name,
               const char *blurb)
{
  return g_param_spec_uint64 (name, NULL, blurb, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
shoal_library_class_init (ShoalLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_library_dispose;
  object_class->finalize = shoal_library_finalize;
  object_class->get_property = shoal_library_get_property;

  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, "The index is open and its roots are listed",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, "Scanning or hashing is under way",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FILE_COUNT] = counter_pspec ("file-count", "Files shared");
  properties[PROP_SHARED_BYTES] = counter_pspec ("shared-bytes", "Bytes shared");
  properties[PROP_HASHED_COUNT] = counter_pspec ("hashed-count", "Shared files whose SHA-1 is known");
  properties[PROP_FILES_HASHED] = counter_pspec ("files-hashed", "Files hashed since the library opened");
  properties[PROP_HASH_FILES_DONE] = counter_pspec ("hash-files-done", "Files hashed in the current run");
  properties[PROP_HASH_FILES_TOTAL] = counter_pspec ("hash-files-total", "Files to hash in the current run");
  properties[PROP_HASH_BYTES_DONE] = counter_pspec ("hash-bytes-done", "Bytes hashed in the current run");
  properties[PROP_HASH_BYTES_TOTAL] = counter_pspec ("hash-bytes-total", "Bytes to hash in the current run");
  properties[PROP_QRP_FILL_RATIO] =
    g_param_spec_double ("qrp-fill-ratio", NULL, "Share of Query Routing slots the library claims",
                         0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* After each batch of index changes (scan applied, hashes stored). */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A database failure: the library keeps what it had. */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
shoal_library_init (ShoalLibrary *self)
{
  self->roots = g_list_store_new (SHOAL_TYPE_SHARED_ROOT);
  self->monitors = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->scan_options = shoal_scan_options_new_default ();
  self->worker_known = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                              known_root_free);
  self->worker_qrp = shoal_library_qrp_new (SHOAL_LIBRARY_QRP_BITS);
  g_mutex_init (&self->read_lock);
}

ShoalLibrary *
shoal_library_new (const char *data_dir)
{
  ShoalLibrary *self = g_object_new (SHOAL_TYPE_LIBRARY, NULL);
  g_autofree char *default_dir = g_build_filename (g_get_user_data_dir (), "shoal", NULL);

  self->db_path = g_build_filename (data_dir ? data_dir : default_dir, "library.db", NULL);
  self->owner_context = g_main_context_ref_thread_default ();
  self->hasher = shoal_hasher_new (SHOAL_HASHER_DEFAULT_MAX_THREADS);
  g_signal_connect (self->hasher, "files-hashed", G_CALLBACK (on_files_hashed), self);
  g_signal_connect (self->hasher, "file-failed", G_CALLBACK (on_file_failed), self);
  g_signal_connect (self->hasher, "notify", G_CALLBACK (forward_hasher_notify), self);

  self->worker_context = g_main_context_new ();
  self->worker_loop = g_main_loop_new (self->worker_context, FALSE);
  self->worker = g_thread_new ("shoal-library", worker_main, self);
  job_started (self);
  post_to_worker (self, worker_open, NULL, NULL);
  return self;
}

/* Public API --------------------------------------------------------------- */

GListModel *
shoal_library_get_roots (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), NULL);
  return G_LIST_MODEL (self->roots);
}

ShoalSharedRoot *
shoal_library_find_root (ShoalLibrary *self,
                         gint64        id)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->roots)); i++)
    {
      g_autoptr(ShoalSharedRoot) root = g_list_model_get_item (G_LIST_MODEL (self->roots), i);

      if (shoal_shared_root_get_id (root) == id)
        return root;
    }
  return NULL;
}

ShoalSharedRoot *
shoal_library_find_root_by_path (ShoalLibrary *self,
                                 const char   *path)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  canonical = g_canonicalize_filename (path, NULL);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->roots)); i++)
    {
      g_autoptr(ShoalSharedRoot) root = g_list_model_get_item (G_LIST_MODEL (self->roots), i);

      if (g_strcmp0 (shoal_shared_root_get_path (root), canonical) == 0)
        return root;
    }
  return NULL;
}

gboolean
shoal_library_get_ready (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), FALSE);
  return self->ready;
}

gboolean
shoal_library_get_busy (ShoalLibrary *self)
{
  gboolean hashing = FALSE;

  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), FALSE);
  if (self->hasher != NULL)
    g_object_get (self->hasher, "busy", &hashing, NULL);
  return self->jobs_in_flight > 0 || hashing;
}

guint64
shoal_library_get_file_count (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), 0);
  return self->totals.files;
}

guint64
shoal_library_get_shared_bytes (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), 0);
  return self->totals.bytes;
}

guint64
shoal_library_get_hashed_count (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), 0);
  return self->totals.hashed_files;
}

guint64
shoal_library_get_files_hashed (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), 0);
  return self->files_hashed;
}

double
shoal_library_get_qrp_fill_ratio (ShoalLibrary *self)
{
  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), 0.0);
  return self->qrp_fill_ratio;
}

ShoalQrpTable *
shoal_library_build_qrp_table (ShoalLibrary *self,
                               guint8        infinity)
{
  ShoalQrpTable *table;

  g_return_val_if_fail (SHOAL_IS_LIBRARY (self), NULL);
  g_return_val_if_fail (self->qrp_table != NULL, NULL);

  table = shoal_qrp_table_new (self->qrp_table->slots, infinity, NULL);
  for (guint32 slot = 0; slot < table->slots; slot++)
    if (shoal_qrp_table_is_present (self->qrp_table, slot))
      shoal_qrp_table_set_present (table, slot);
  return table;
}

void
shoal_library_set_ignore_patterns (ShoalLibrary       *self,
                                   const char * const *patterns)
{
  g_return_if_fail (SHOAL_IS_LIBRARY (self));
  g_strfreev (self->scan_options->ignore_patterns);
  self->scan_options->ignore_patterns = g_strdupv ((GStrv) patterns);
}

void
shoal_library_add_root_async (ShoalLibrary        *self,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  ScanJob *job = g_new0 (ScanJob, 1);

  g_return_if_fail (SHOAL_IS_LIBRARY (self));
  g_return_if_fail (path != NULL);

  job->root_path = g_canonicalize_filename (path, NULL);
  job->options = shoal_scan_options_copy (self->scan_options);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, shoal_library_add_root_async);
  job_started (self);
  post_to_worker (self, worker_add_root, job, scan_job_free);
}

ShoalSharedRoot *
shoal_library_add_root_finish (ShoalLibrary  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
shoal_library_remove_root (ShoalLibrary    *self,
                           ShoalSharedRoot *root)
{
  RemoveJob *job = g_new0 (RemoveJob, 1);

  g_return_if_fail (SHOAL_IS_LIBRARY (self));
  g_return_if_fail (SHOAL_IS_SHARED_ROOT (root));

  job->root_id = shoal_shared_root_get_id (root);
  g_hash_table_remove (self->monitors, &job->root_id);
  job_started (self);
  post_to_worker (self, worker_remove_root, job, g_free);
}

void
shoal_library_rescan (ShoalLibrary *self)
{
  g_return_if_fail (SHOAL_IS_LIBRARY (self));
  rescan_every_root (self, FALSE);
}

/* Searching ------------------------------------------------------------------ */

typedef struct
{
  char    *text;
  guint8   sha1[SHOAL_SHARE_SHA1_SIZE];
  gboolean by_sha1;
  guint    max_results;
} SearchJob;

static void
search_job_free (gpointer pointer)
{
  SearchJob *job = pointer;

  g_free (job->text);
  g_free (job);
}

static void
search_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  ShoalLibrary *self = source;
  SearchJob *job = data;
  GError *error = NULL;
  GPtrArray *results = NULL;

  g_mutex_lock (&self->read_lock);
  if (self->read_db == NULL)
    self->read_db = shoal_library_db_open (self->db_path, SHOAL_LIBRARY_DB_READ_ONLY, &error);
  if (self->read_db != NULL)
    results = job->by_sha1
      ? shoal_library_db_search_sha1 (self->read_db, job->sha1, job->max_results, &error)
      : shoal_library_db_search (self->read_db, job->text, job->max_results, &error);
  g_mutex_unlock (&self->read_lock);
  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

static void
start_search (ShoalLibrary        *self,
              SearchJob           *job,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, search_job_free);
  g_task_run_in_thread (task, search_thread);
}

void
shoal_library_search_async (ShoalLibrary        *self,
                            const char          *text,
                            guint                max_results,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  SearchJob *job = g_new0 (SearchJob, 1);

  g_return_if_fail (SHOAL_IS_LIBRARY (self));
  job->text = g_strdup (text);
  job->max_results = max_results > 0 ? max_results : SHOAL_LIBRARY_DEFAULT_MAX_RESULTS;
  start_search (self, job, shoal_library_search_async, cancellable, callback, user_data);
}

GPtrArray *
shoal_library_search_finish (ShoalLibrary  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
shoal_library_search_sha1_async (ShoalLibrary        *self,
                                 const guint8        *sha1,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  SearchJob *job = g_new0 (SearchJob, 1);

  g_return_if_fail (SHOAL_IS_LIBRARY (self));
  memcpy (job->sha1, sha1, sizeof job->sha1);
  job->by_sha1 = TRUE;
  job->max_results = SHOAL_LIBRARY_DEFAULT_MAX_RESULTS;
  start_search (self, job, shoal_library_search_sha1_async, cancellable, callback, user_data);
}

GPtrArray *
shoal_library_search_sha1_finish (ShoalLibrary  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
