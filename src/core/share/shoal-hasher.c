/* shoal-hasher.c — a queue of files hashed by a few worker threads, with
 * results and progress handed back, batched, on the owner's main context.
 *
 * Threads: the job table, the progress counters and every signal belong to
 * the owner's thread. Workers only read their job's path, hash, and append
 * events to the outbox under a mutex; a flush source on the owner's context
 * applies the outbox. A worker never waits for the owner, which is what
 * lets dispose join the workers without any risk of deadlock. */
#include "shoal-hasher.h"

#include "shoal-library-db.h"
#include "shoal-sha1.h"

/* One file to hash. Referenced by the job table, the pool's queue and the
 * events a worker posts; an event whose job is no longer the table's entry
 * for its index is stale (removed, replaced, cancelled) and dropped. */
typedef struct
{
  guint32       file_index;
  char         *path;
  gint          cancelled;            /* atomic */
  /* Created by the worker that hashes the job, under running_lock, so
   * that only the jobs being hashed carry a GCancellable. */
  GCancellable *running_cancellable;

  /* Owner's thread only. */
  guint64       bytes_counted;        /* credited to bytes-done so far */
  guint64       bytes_in_total;       /* this job's share of bytes-total:
                                       * the scan's size until read */
} HashJob;

/* Progress (neither result nor error), a result, or a failure. */
typedef struct
{
  HashJob         *job;
  guint64          bytes_done;
  ShoalHashResult *result;
  GError          *error;
} HashEvent;

struct _ShoalHasher
{
  GObject       parent_instance;

  GMainContext *owner_context;
  GThreadPool  *pool;
  guint         max_threads;
  guint         flush_interval_ms;
  GHashTable   *jobs;                 /* file_index → HashJob*, owner only */
  gint          jobs_in_pool;         /* atomic: pushed, not yet finished */
  GMutex        running_lock;

  /* Filled by the workers, emptied by the flush source. */
  GMutex        outbox_lock;
  GPtrArray    *outbox;               /* of HashEvent* */
  guint         outbox_finished;      /* results and failures in it */
  gboolean      flush_scheduled;
  GSource      *flush_source;

  /* Progress of the batch; notified at flushes. */
  guint64       files_total;
  guint64       files_done;
  guint64       bytes_total;
  guint64       bytes_done;
  guint64       notified_files_total;
  guint64       notified_files_done;
  guint64       notified_bytes_total;
  guint64       notified_bytes_done;
  gboolean      busy;
};

G_DEFINE_FINAL_TYPE (ShoalHasher, shoal_hasher, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_MAX_THREADS,
  PROP_FLUSH_INTERVAL,
  PROP_FILES_TOTAL,
  PROP_FILES_DONE,
  PROP_BYTES_TOTAL,
  PROP_BYTES_DONE,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_FILES_HASHED,
  SIGNAL_FILE_FAILED,
  SIGNAL_IDLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
shoal_hash_result_free (ShoalHashResult *result)
{
  if (result == NULL)
    return;
  g_free (result->path);
  g_free (result);
}

/* Jobs and events --------------------------------------------------------- */

static HashJob *
hash_job_new (guint32     file_index,
              const char *path,
              guint64     expected_size)
{
  HashJob *job = g_atomic_rc_box_new0 (HashJob);

  job->file_index = file_index;
  job->path = g_strdup (path);
  job->bytes_in_total = expected_size;
  return job;
}

static void
hash_job_clear (gpointer data)
{
  HashJob *job = data;

  g_free (job->path);
}

static void
hash_job_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, hash_job_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HashJob, hash_job_unref)

static HashEvent *
hash_event_new (HashJob *job)
{
  HashEvent *event = g_new0 (HashEvent, 1);

  event->job = g_atomic_rc_box_acquire (job);
  return event;
}

static void
hash_event_free (gpointer data)
{
  HashEvent *event = data;

  hash_job_unref (event->job);
  shoal_hash_result_free (event->result);
  g_clear_error (&event->error);
  g_free (event);
}

static gboolean
hash_event_is_finished (const HashEvent *event)
{
  return event->result != NULL || event->error != NULL;
}

/* Outbox (any thread) ----------------------------------------------------- */

static void
request_flush_locked (ShoalHasher *self,
                      gboolean     now)
{
  if (now)
    g_source_set_ready_time (self->flush_source, 0);
  else if (!self->flush_scheduled)
    g_source_set_ready_time (self->flush_source,
                             g_get_monotonic_time ()
                             + self->flush_interval_ms * G_TIME_SPAN_MILLISECOND);
  self->flush_scheduled = TRUE;
}

static void
request_flush (ShoalHasher *self,
               gboolean     now)
{
  g_mutex_lock (&self->outbox_lock);
  request_flush_locked (self, now);
  g_mutex_unlock (&self->outbox_lock);
}

static void
post_event (ShoalHasher *self,
            HashEvent   *event)
{
  g_mutex_lock (&self->outbox_lock);
  g_ptr_array_add (self->outbox, event);
  if (hash_event_is_finished (event))
    self->outbox_finished++;
  request_flush_locked (self, self->outbox_finished >= SHOAL_HASHER_FLUSH_COUNT);
  g_mutex_unlock (&self->outbox_lock);
}

static GPtrArray *
take_outbox (ShoalHasher *self)
{
  GPtrArray *events;

  g_mutex_lock (&self->outbox_lock);
  events = g_steal_pointer (&self->outbox);
  self->outbox = g_ptr_array_new_with_free_func (hash_event_free);
  self->outbox_finished = 0;
  self->flush_scheduled = FALSE;
  g_source_set_ready_time (self->flush_source, -1);
  g_mutex_unlock (&self->outbox_lock);
  return events;
}

/* Workers ----------------------------------------------------------------- */

typedef struct
{
  ShoalHasher *hasher;
  HashJob     *job;
} ProgressTarget;

static void
report_progress (guint64  bytes_done,
                 gpointer user_data)
{
  ProgressTarget *target = user_data;
  HashEvent *event = hash_event_new (target->job);

  event->bytes_done = bytes_done;
  post_event (target->hasher, event);
}

/* Gives @job a cancellable unless it is cancelled already; after this,
 * cancel_job() reaches the hashing under way. */
static gboolean
claim_job (ShoalHasher  *self,
           HashJob      *job,
           GCancellable *cancellable)
{
  gboolean claimed;

  g_mutex_lock (&self->running_lock);
  claimed = !g_atomic_int_get (&job->cancelled);
  if (claimed)
    job->running_cancellable = g_object_ref (cancellable);
  g_mutex_unlock (&self->running_lock);
  return claimed;
}

static void
release_job (ShoalHasher *self,
             HashJob     *job)
{
  g_mutex_lock (&self->running_lock);
  g_clear_object (&job->running_cancellable);
  g_mutex_unlock (&self->running_lock);
}

static HashEvent *
hash_job (ShoalHasher  *self,
          HashJob      *job,
          GCancellable *cancellable)
{
  g_autoptr(ShoalHashResult) result = g_new0 (ShoalHashResult, 1);
  g_autoptr(GError) error = NULL;
  ProgressTarget target = { self, job };
  HashEvent *event = hash_event_new (job);

  result->file_index = job->file_index;
  result->path = g_strdup (job->path);
  if (shoal_sha1_file (job->path, result->sha1, &result->stat, cancellable,
                       report_progress, &target, &error))
    {
      event->bytes_done = result->stat.size;
      event->result = g_steal_pointer (&result);
    }
  else
    event->error = g_steal_pointer (&error);
  return event;
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  g_autoptr(HashJob) job = data;
  ShoalHasher *self = user_data;

  if (!g_atomic_int_get (&job->cancelled))
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      if (claim_job (self, job, cancellable))
        {
          HashEvent *event = hash_job (self, job, cancellable);

          release_job (self, job);
          /* The owner forgot a cancelled job: spare it the event. */
          if (g_cancellable_is_cancelled (cancellable))
            hash_event_free (event);
          else
            post_event (self, event);
        }
    }
  /* The last job out makes "idle" prompt instead of one interval late. */
  if (g_atomic_int_dec_and_test (&self->jobs_in_pool))
    request_flush (self, TRUE);
}

/* Owner's side ------------------------------------------------------------ */

static void
cancel_job (ShoalHasher *self,
            HashJob     *job)
{
  g_atomic_int_set (&job->cancelled, TRUE);
  g_mutex_lock (&self->running_lock);
  if (job->running_cancellable != NULL)
    g_cancellable_cancel (job->running_cancellable);
  g_mutex_unlock (&self->running_lock);
}

/* A job leaves the batch: its part of bytes-total shrinks to what was
 * actually counted, so bytes-done still reaches bytes-total. */
static void
settle_job (ShoalHasher *self,
            HashJob     *job)
{
  self->bytes_total -= job->bytes_in_total - job->bytes_counted;
  job->bytes_in_total = job->bytes_counted;
}

static void
forget_job (ShoalHasher *self,
            HashJob     *job)
{
  cancel_job (self, job);
  settle_job (self, job);
  self->files_total--;
}

static void
credit_bytes (ShoalHasher *self,
              HashJob     *job,
              guint64      bytes_done)
{
  if (bytes_done > job->bytes_counted)
    {
      self->bytes_done += bytes_done - job->bytes_counted;
      job->bytes_counted = bytes_done;
    }
  /* A file that grew since the scan raises the total with it. */
  if (job->bytes_counted > job->bytes_in_total)
    {
      self->bytes_total += job->bytes_counted - job->bytes_in_total;
      job->bytes_in_total = job->bytes_counted;
    }
}

static gboolean
is_current (ShoalHasher *self,
            HashJob     *job)
{
  return g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (job->file_index)) == job;
}

/* Moves a finished event's result or failure into @results or @failures. */
static void
apply_event (ShoalHasher *self,
             HashEvent   *event,
             GPtrArray   *results,
             GPtrArray   *failures)
{
  HashJob *job = event->job;

  if (!is_current (self, job))
    return;
  credit_bytes (self, job, event->bytes_done);
  if (!hash_event_is_finished (event))
    return;

  settle_job (self, job);
  self->files_done++;
  if (event->result != NULL)
    g_ptr_array_add (results, g_steal_pointer (&event->result));
  else
    g_ptr_array_add (failures, event);
  g_hash_table_remove (self->jobs, GUINT_TO_POINTER (job->file_index));
}

static void
notify_if_changed (ShoalHasher *self,
                   guint64      value,
                   guint64     *notified,
                   guint        prop_id)
{
  if (value == *notified)
    return;
  *notified = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
publish_progress (ShoalHasher *self)
{
  gboolean went_idle = self->busy && g_hash_table_size (self->jobs) == 0;

  g_object_freeze_notify (G_OBJECT (self));
  notify_if_changed (self, self->files_total, &self->notified_files_total,
                     PROP_FILES_TOTAL);
  notify_if_changed (self, self->files_done, &self->notified_files_done,
                     PROP_FILES_DONE);
  notify_if_changed (self, self->bytes_total, &self->notified_bytes_total,
                     PROP_BYTES_TOTAL);
  notify_if_changed (self, self->bytes_done, &self->notified_bytes_done,
                     PROP_BYTES_DONE);
  if (went_idle)
    {
      self->busy = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  if (went_idle)
    g_signal_emit (self, signals[SIGNAL_IDLE], 0);
}

static void
emit_failures (ShoalHasher *self,
               GPtrArray   *failures)
{
  for (guint i = 0; i < failures->len; i++)
    {
      HashEvent *event = g_ptr_array_index (failures, i);

      g_debug ("%s", event->error->message);
      g_signal_emit (self, signals[SIGNAL_FILE_FAILED], 0,
                     event->job->file_index, event->job->path, event->error);
    }
}

static gboolean
flush_cb (gpointer user_data)
{
  g_autoptr(ShoalHasher) self = g_object_ref (user_data);  /* handlers may drop theirs */
  g_autoptr(GPtrArray) events = take_outbox (self);
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_hash_result_free);
  g_autoptr(GPtrArray) failures = g_ptr_array_new ();

  for (guint i = 0; i < events->len; i++)
    apply_event (self, g_ptr_array_index (events, i), results, failures);
  if (results->len > 0)
    g_signal_emit (self, signals[SIGNAL_FILES_HASHED], 0, results);
  emit_failures (self, failures);
  publish_progress (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
flush_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs flush_source_funcs = {
  .dispatch = flush_source_dispatch,
};

static void
start_batch (ShoalHasher *self)
{
  self->files_total = 0;
  self->files_done = 0;
  self->bytes_total = 0;
  self->bytes_done = 0;
  self->busy = TRUE;
}

static void
cancel_every_job (ShoalHasher *self)
{
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    forget_job (self, job);
  g_hash_table_remove_all (self->jobs);
}

/* GObject ----------------------------------------------------------------- */

static void
shoal_hasher_dispose (GObject *object)
{
  ShoalHasher *self = SHOAL_HASHER (object);

  /* Workers never wait on the owner's context, so joining them cannot
   * deadlock, even when dispose runs inside a dispatch of the flush
   * source. Cancelled jobs still queued take no time to run. */
  if (self->pool != NULL)
    {
      cancel_every_job (self);
      g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
    }
  /* Only now that no worker can touch it. */
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  G_OBJECT_CLASS (shoal_hasher_parent_class)->dispose (object);
}

static void
shoal_hasher_finalize (GObject *object)
{
  ShoalHasher *self = SHOAL_HASHER (object);

  g_hash_table_unref (self->jobs);
  g_ptr_array_unref (self->outbox);
  g_mutex_clear (&self->outbox_lock);
  g_mutex_clear (&self->running_lock);
  g_main_context_unref (self->owner_context);
  G_OBJECT_CLASS (shoal_hasher_parent_class)->finalize (object);
}

static void
shoal_hasher_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  ShoalHasher *self = SHOAL_HASHER (object);

  switch (prop_id)
    {
    case PROP_MAX_THREADS:
      g_value_set_uint (value, self->max_threads);
      break;
    case PROP_FLUSH_INTERVAL:
      g_value_set_uint (value, self->flush_interval_ms);
      break;
    case PROP_FILES_TOTAL:
      g_value_set_uint64 (value, self->files_total);
      break;
    case PROP_FILES_DONE:
      g_value_set_uint64 (value, self->files_done);
      break;
    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, self->bytes_total);
      break;
    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, self->bytes_done);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_hasher_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  ShoalHasher *self = SHOAL_HASHER (object);

  switch (prop_id)
    {
    case PROP_MAX_THREADS:
      shoal_hasher_set_max_threads (self, g_value_get_uint (value));
      break;
    case PROP_FLUSH_INTERVAL:
      shoal_hasher_set_flush_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_hasher_class_init (ShoalHasherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_hasher_dispose;
  object_class->finalize = shoal_hasher_finalize;
  object_class->get_property = shoal_hasher_get_property;
  object_class->set_property = shoal_hasher_set_property;

  properties[PROP_MAX_THREADS] =
    g_param_spec_uint ("max-threads", NULL,
                       "How many files are hashed at once",
                       1, SHOAL_HASHER_MAX_THREADS,
                       SHOAL_HASHER_DEFAULT_MAX_THREADS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FLUSH_INTERVAL] =
    g_param_spec_uint ("flush-interval", NULL,
                       "Longest wait, in milliseconds, before results and "
                       "progress reach the owner's main context",
                       1, SHOAL_HASHER_MAX_FLUSH_INTERVAL_MS,
                       SHOAL_HASHER_FLUSH_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILES_TOTAL] =
    g_param_spec_uint64 ("files-total", NULL,
                         "Files in the current batch",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILES_DONE] =
    g_param_spec_uint64 ("files-done", NULL,
                         "Files of the batch hashed or failed",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_TOTAL] =
    g_param_spec_uint64 ("bytes-total", NULL,
                         "Bytes in the current batch",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_DONE] =
    g_param_spec_uint64 ("bytes-done", NULL,
                         "Bytes of the batch hashed, counted during big files",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL,
                          "Whether files are waiting or being hashed",
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalHasher::files-hashed:
   * @results: (element-type ShoalHashResult): the files hashed since the
   *   last emission; borrowed, ref the array to keep it
   *
   * Emitted at most every flush interval, or once SHOAL_HASHER_FLUSH_COUNT
   * files are waiting, never for a removed or replaced file.
   */
  signals[SIGNAL_FILES_HASHED] =
    g_signal_new ("files-hashed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * ShoalHasher::file-failed:
   * @file_index: as given to shoal_hasher_add()
   * @path: as given to shoal_hasher_add()
   * @error: SHOAL_LIBRARY_ERROR_IO (vanished, unreadable, changed while
   *   read) or SHOAL_LIBRARY_ERROR_INVALID (no longer a regular file)
   */
  signals[SIGNAL_FILE_FAILED] =
    g_signal_new ("file-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * ShoalHasher::idle:
   *
   * Nothing is left to hash: the batch's results have all been emitted and
   * the progress properties hold their final values.
   */
  signals[SIGNAL_IDLE] =
    g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
shoal_hasher_init (ShoalHasher *self)
{
  self->owner_context = g_main_context_ref_thread_default ();
  self->jobs = g_hash_table_new_full (NULL, NULL, NULL, hash_job_unref);
  self->max_threads = SHOAL_HASHER_DEFAULT_MAX_THREADS;
  self->flush_interval_ms = SHOAL_HASHER_FLUSH_INTERVAL_MS;
  /* Shared (non-exclusive) threads: an idle hasher holds none. */
  self->pool = g_thread_pool_new (run_job, self, self->max_threads, FALSE, NULL);
  g_mutex_init (&self->running_lock);
  g_mutex_init (&self->outbox_lock);
  self->outbox = g_ptr_array_new_with_free_func (hash_event_free);

  self->flush_source = g_source_new (&flush_source_funcs, sizeof (GSource));
  g_source_set_name (self->flush_source, "[shoal] hasher flush");
  g_source_set_callback (self->flush_source, flush_cb, self, NULL);
  g_source_set_ready_time (self->flush_source, -1);
  g_source_attach (self->flush_source, self->owner_context);
}

/* Public API -------------------------------------------------------------- */

ShoalHasher *
shoal_hasher_new (guint max_threads)
{
  return g_object_new (SHOAL_TYPE_HASHER, "max-threads", max_threads, NULL);
}

void
shoal_hasher_add (ShoalHasher *self,
                  guint32      file_index,
                  const char  *path,
                  guint64      expected_size)
{
  HashJob *previous;
  HashJob *job;
  gboolean was_busy;

  g_return_if_fail (SHOAL_IS_HASHER (self));
  g_return_if_fail (path != NULL);

  was_busy = self->busy;
  if (!was_busy)
    start_batch (self);
  previous = g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (file_index));
  if (previous != NULL)
    forget_job (self, previous);

  job = hash_job_new (file_index, path, expected_size);
  g_hash_table_replace (self->jobs, GUINT_TO_POINTER (file_index), job);
  self->files_total++;
  self->bytes_total += expected_size;

  g_atomic_int_inc (&self->jobs_in_pool);
  g_thread_pool_push (self->pool, g_atomic_rc_box_acquire (job), NULL);
  request_flush (self, FALSE);
  if (!was_busy)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

void
shoal_hasher_remove (ShoalHasher *self,
                     guint32      file_index)
{
  HashJob *job;

  g_return_if_fail (SHOAL_IS_HASHER (self));

  job = g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (file_index));
  if (job == NULL)
    return;
  forget_job (self, job);
  g_hash_table_remove (self->jobs, GUINT_TO_POINTER (file_index));
  request_flush (self, g_hash_table_size (self->jobs) == 0);
}

void
shoal_hasher_cancel_all (ShoalHasher *self)
{
  g_return_if_fail (SHOAL_IS_HASHER (self));

  cancel_every_job (self);
  request_flush (self, TRUE);
}

guint
shoal_hasher_get_max_threads (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), 0);
  return self->max_threads;
}

void
shoal_hasher_set_max_threads (ShoalHasher *self,
                              guint        max_threads)
{
  g_return_if_fail (SHOAL_IS_HASHER (self));
  g_return_if_fail (max_threads >= 1 && max_threads <= SHOAL_HASHER_MAX_THREADS);

  if (max_threads == self->max_threads)
    return;
  self->max_threads = max_threads;
  g_thread_pool_set_max_threads (self->pool, (gint) max_threads, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_THREADS]);
}

guint
shoal_hasher_get_flush_interval (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), 0);
  return self->flush_interval_ms;
}

void
shoal_hasher_set_flush_interval (ShoalHasher *self,
                                 guint        interval_ms)
{
  g_return_if_fail (SHOAL_IS_HASHER (self));
  g_return_if_fail (interval_ms >= 1 && interval_ms <= SHOAL_HASHER_MAX_FLUSH_INTERVAL_MS);

  if (interval_ms == self->flush_interval_ms)
    return;
  /* Read by the workers when they schedule a flush. */
  g_mutex_lock (&self->outbox_lock);
  self->flush_interval_ms = interval_ms;
  g_mutex_unlock (&self->outbox_lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLUSH_INTERVAL]);
}

guint64
shoal_hasher_get_files_total (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), 0);
  return self->files_total;
}

guint64
shoal_hasher_get_files_done (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), 0);
  return self->files_done;
}

guint64
shoal_hasher_get_bytes_total (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), 0);
  return self->bytes_total;
}

guint64
shoal_hasher_get_bytes_done (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), 0);
  return self->bytes_done;
}

gboolean
shoal_hasher_get_busy (ShoalHasher *self)
{
  g_return_val_if_fail (SHOAL_IS_HASHER (self), FALSE);
  return self->busy;
}
