/* shoal-transfers.c — the download manager: a queue of ShoalDownloads kept
 * in downloads.db, each filled from its sources over HTTP and checked
 * against its SHA-1 before it reaches the download folder.
 *
 * Everything runs on the main context; only fdatasync(), hashing and the
 * final move run on GTask worker threads.
 *
 * Fetching: each running download opens at most
 * SHOAL_TRANSFERS_SOURCES_PER_DOWNLOAD connections, one per source, and
 * all downloads together SHOAL_TRANSFERS_MAX_CONNECTIONS. A connection
 * claims a chunk from the download's ShoalDownloadPlan (the source's
 * store id is its plan id), fetches it into the partial file and marks
 * the bytes that arrived as done, then claims the next one on the same
 * kept-alive connection. A 503 parks the source until its Retry-After;
 * other failures are counted in the store and give the source up after
 * SHOAL_TRANSFERS_MAX_SOURCE_FAILURES; a source serving another file
 * (WRONG_FILE) is banned. X-Alt answers add sources.
 *
 * Progress is durable, never optimistic: the plan counts bytes as done
 * once pwrite() returned, but the progress record saved to the store is
 * a snapshot taken just before an fdatasync() of the partial file, and is
 * saved only after that sync succeeded. Syncs are batched (every
 * SHOAL_TRANSFERS_SYNC_BYTES or SHOAL_TRANSFERS_SYNC_INTERVAL_MS) and one
 * always runs before verification. The done property is the synced count.
 *
 * Verification: once every byte is in, the connections are closed, the
 * last bytes synced and the file hashed. A match is linked into the
 * download folder under its name, or "name (1).ext", "name (2).ext"… when
 * taken (link() never replaces a file), then the partial name is
 * unlinked; across file systems it is copied first.
 *
 * A mismatch starts a hunt for the liar. In memory (not in the store: a
 * restart loses it) the download remembers, from every pwrite() as it
 * happens, which source wrote each byte last. For every source that wrote something, up to
 * SHOAL_TRANSFERS_SAMPLES_PER_SOURCE samples of SHOAL_TRANSFERS_SAMPLE_SIZE
 * bytes from its ranges are fetched again from up to
 * SHOAL_TRANSFERS_WITNESSES other sources into a scratch file and
 * compared with the partial file. A source whose bytes differ from what
 * two witnesses sent (from what one sent when it is the only other
 * source) is banned and only its ranges are forgotten and fetched again.
 * When nobody can be blamed (too few witnesses, bytes from before a
 * restart) everything is forgotten and fetched once more; a second
 * unexplained mismatch fails the download.
 *
 * Firewalled sources are not dialled: ShoalTransfers::push-needed asks
 * whoever routes PUSH messages to send one, and the GIV connection that
 * answers is handed to shoal_transfers_take_giv().
 *
 * Whoever owns the transfers may filter sources (LAN-only mode keeps to
 * private addresses): every way a source enters a job goes through
 * job_add_source(), which drops what the filter refuses before it is
 * stored; sources stored already are set aside (Source.refused) while
 * the filter refuses them, which source_usable() honours. */
#include "shoal-transfers.h"

#include "shoal-base32.h"
#include "shoal-download-plan.h"
#include "shoal-download-store.h"
#include "shoal-http-fetch.h"
#include "shoal-magnet.h"
#include "shoal-sha1.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Magnet sources without a port. */
#define HTTP_DEFAULT_PORT 80
#define GNUTELLA_DEFAULT_PORT 6346
/* Bytes of a file name we create (most file systems allow 255). */
#define MAX_FILE_NAME_BYTES 200
/* Copying across file systems, one read at a time. */
#define COPY_BUFFER_SIZE (1024 * 1024)

G_DEFINE_QUARK (shoal-transfers-error-quark, shoal_transfers_error)

/* Types ----------------------------------------------------------------------- */

typedef struct _Job Job;

/* One host that has the file, as this session knows it. */
typedef struct
{
  gint64             id;                  /* the store's; the plan's source id too */
  ShoalIpv4Endpoint  endpoint;
  gboolean           has_guid;
  ShoalGuid          guid;
  gboolean           has_file_index;
  guint32            file_index;
  gboolean           push_needed;
  guint              failures;            /* as the store counts them */
  guint              failure_base;        /* failures before the last retry() */
  gboolean           banned;
  gint64             retry_usec;          /* not tried before (monotonic) */
  gint64             push_deadline_usec;  /* a PUSH asked for; 0 when none */
  gboolean           connected;
  gboolean           refused;             /* set aside by the source filter */
} Source;

/* One HTTP connection to a source. Lives in its job's connections; an
 * in-flight fetch holds a reference on the job, and the connection is
 * freed only once that fetch has called back. */
typedef struct
{
  Job            *job;
  Source         *source;
  ShoalHttpFetch *fetch;
  GCancellable   *cancellable;
  gboolean        counted;    /* in the transfers' connection count */
  gboolean        in_flight;
  gboolean        closing;    /* to be freed when the fetch calls back */
  gboolean        reused;     /* has carried a request before */
  guint64         reported;   /* bytes of the current response counted in the rate */
} Connection;

/* Who wrote [start, end) last. */
typedef struct
{
  guint64 start;
  guint64 end;
  gint64  source_id;
} Written;

/* One sample of a suspect's bytes, fetched again from a witness. */
typedef struct
{
  gint64  suspect;
  gint64  witness;
  guint64 start;
  guint64 end;
} Check;

typedef struct
{
  gint64 suspect;
  guint  planned;                              /* witnesses asked */
  guint  n_answered;
  gint64 answered[SHOAL_TRANSFERS_WITNESSES];
  guint  n_disagreed;
  gint64 disagreed[SHOAL_TRANSFERS_WITNESSES];
} Verdict;

typedef struct
{
  GArray         *checks;      /* of Check, grouped by witness */
  guint           next;
  GArray         *verdicts;    /* of Verdict */
  GArray         *silent;      /* of gint64: witnesses that did not answer */
  int             scratch_fd;
  ShoalHttpFetch *fetch;
  gint64          fetch_source;
  GCancellable   *cancellable;
} Hunt;

struct _Job
{
  guint                ref_count;
  ShoalTransfers      *transfers;   /* NULL once detached (cancelled, disposed) */
  ShoalDownload       *download;
  gint64               id;
  guint8               sha1[SHOAL_SHA1_SIZE];
  char                *base32;
  char                *name;
  guint64              size;        /* 0: unknown */
  ShoalDownloadStatus  status;
  ShoalDownloadPlan   *plan;        /* NULL while the size is unknown */
  char                *part_path;
  int                  fd;          /* closed when the job is freed or completed */
  GPtrArray           *sources;     /* of Source, owned, in the store's order */
  GPtrArray           *connections; /* of Connection */
  guint                flights;     /* connections with a fetch in flight */
  GArray              *written;     /* of Written: sorted, disjoint */

  /* Syncing: see the file comment. */
  gboolean             syncing;
  gboolean             sync_wanted;
  guint64              unsynced;
  gint64               last_sync_usec;
  guint64              synced_done;
  guint64              generation;  /* bumped when done bytes are forgotten */

  guint64              received;    /* since the last rate update */
  double               rate;
  gint64               rate_usec;

  GCancellable        *verify_cancellable;
  Hunt                *hunt;
  gboolean             retried_all; /* the one restart after an unexplained mismatch */
};

struct _ShoalTransfers
{
  GObject             parent_instance;

  char               *part_dir;
  char               *download_dir;
  ShoalDownloadStore *store;
  GListStore         *downloads;     /* of ShoalDownload */
  GListModel         *uploads;       /* of ShoalUpload: the upload server's, or empty */
  GPtrArray          *jobs;          /* of Job, in the order of @downloads */
  guint               n_connections;
  guint64             bytes_downloaded; /* received from sources, every job */
  ShoalRateLimit     *rate_limit;    /* every fetch's cap; NULL: none */
  /* Restored sources meet the filter when it is set, before the first
   * schedule (see transfers_start_later()). */
  ShoalTransfersSourceFilter source_filter;  /* NULL: every source passes */
  gpointer            source_filter_data;
  GDestroyNotify      source_filter_destroy;
  guint64             refused_sources;
  GMainContext       *context;
  GSource            *tick_source;
  GSource            *start_source;  /* the restored downloads' first schedule */
};

enum
{
  PROP_0,
  PROP_DOWNLOADS,
  PROP_UPLOADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_PUSH_NEEDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalTransfers, shoal_transfers, G_TYPE_OBJECT)

static void transfers_schedule (ShoalTransfers *self);
static void job_fill           (Job *job);
static void job_start_hunt     (Job *job);

/* Small helpers ----------------------------------------------------------------- */

static gint64
now_usec (void)
{
  return g_get_monotonic_time ();
}

static gboolean
set_store_error (GError     **error,
                 GError      *cause,
                 const char  *doing)
{
  g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_STORE,
               "%s: %s", doing, cause->message);
  return FALSE;
}

static ShoalDownloadState
stored_state (ShoalDownloadStatus status)
{
  switch (status)
    {
    case SHOAL_DOWNLOAD_STATUS_RUNNING:
      return SHOAL_DOWNLOAD_STATE_RUNNING;
    case SHOAL_DOWNLOAD_STATUS_PAUSED:
      return SHOAL_DOWNLOAD_STATE_PAUSED;
    case SHOAL_DOWNLOAD_STATUS_VERIFYING:
      return SHOAL_DOWNLOAD_STATE_VERIFYING;
    case SHOAL_DOWNLOAD_STATUS_COMPLETED:
      return SHOAL_DOWNLOAD_STATE_COMPLETE;
    case SHOAL_DOWNLOAD_STATUS_FAILED:
      return SHOAL_DOWNLOAD_STATE_FAILED;
    case SHOAL_DOWNLOAD_STATUS_QUEUED:
    case SHOAL_DOWNLOAD_STATUS_CANCELLED:
    default:
      return SHOAL_DOWNLOAD_STATE_QUEUED;
    }
}

static ShoalDownloadStatus
restored_status (ShoalDownloadState state)
{
  switch (state)
    {
    case SHOAL_DOWNLOAD_STATE_PAUSED:
      return SHOAL_DOWNLOAD_STATUS_PAUSED;
    case SHOAL_DOWNLOAD_STATE_COMPLETE:
      return SHOAL_DOWNLOAD_STATUS_COMPLETED;
    case SHOAL_DOWNLOAD_STATE_FAILED:
      return SHOAL_DOWNLOAD_STATUS_FAILED;
    case SHOAL_DOWNLOAD_STATE_QUEUED:
    case SHOAL_DOWNLOAD_STATE_RUNNING:
    case SHOAL_DOWNLOAD_STATE_VERIFYING:
    default:
      /* A verification cut short starts again: the plan is complete. */
      return SHOAL_DOWNLOAD_STATUS_QUEUED;
    }
}

/* A magnet's source: "a.b.c.d[:port]" (6346 when no port) or
 * "http://a.b.c.d[:port]/…" (80). */
static gboolean
parse_source_text (const char        *text,
                   ShoalIpv4Endpoint *endpoint)
{
  const char *scheme = "http://";
  const char *host = text;
  guint16 default_port = GNUTELLA_DEFAULT_PORT;

  if (g_ascii_strncasecmp (text, scheme, strlen (scheme)) == 0)
    {
      host = text + strlen (scheme);
      default_port = HTTP_DEFAULT_PORT;
    }
  if (!shoal_ipv4_endpoint_parse (host, strcspn (host, "/?# \t"), endpoint))
    return FALSE;
  if (endpoint->port == 0)
    endpoint->port = default_port;
  return endpoint->address != 0;
}

/* A name that is one harmless path component: no separators, no control
 * characters, not "." or "..", not too long. */
static char *
sanitize_file_name (const char *name,
                    const char *fallback)
{
  GString *clean = g_string_new (NULL);
  const char *end = NULL;

  for (const char *p = name; *p != '\0'; p++)
    {
      char c = *p;

      g_string_append_c (clean, (c == '/' || c == '\\' || (guchar) c < 0x20) ? '_' : c);
    }
  if (clean->len > MAX_FILE_NAME_BYTES)
    {
      g_utf8_validate (clean->str, MAX_FILE_NAME_BYTES, &end);
      g_string_truncate (clean, (gsize) (end - clean->str));
    }
  if (clean->len == 0 || strcmp (clean->str, ".") == 0 || strcmp (clean->str, "..") == 0)
    g_string_assign (clean, fallback);
  return g_string_free (clean, FALSE);
}

/* "name (n).ext" for n > 0; the extension starts at the last dot that is
 * not the first character. */
static char *
numbered_name (const char *name,
               guint       n)
{
  const char *dot = strrchr (name, '.');

  if (n == 0)
    return g_strdup (name);
  if (dot == NULL || dot == name)
    return g_strdup_printf ("%s (%u)", name, n);
  return g_strdup_printf ("%.*s (%u)%s", (int) (dot - name), name, n, dot);
}

static char *
errno_message (const char *doing,
               const char *path,
               int         saved_errno)
{
  return g_strdup_printf ("%s %s: %s", doing, path, g_strerror (saved_errno));
}

/* Jobs ------------------------------------------------------------------------- */

static void connection_free (Connection *conn);

static void
hunt_free (Hunt *hunt)
{
  if (hunt == NULL)
    return;
  g_array_unref (hunt->checks);
  g_array_unref (hunt->verdicts);
  g_array_unref (hunt->silent);
  if (hunt->scratch_fd >= 0)
    close (hunt->scratch_fd);
  g_clear_object (&hunt->fetch);
  g_clear_object (&hunt->cancellable);
  g_free (hunt);
}

static Job *
job_new (ShoalTransfers *transfers,
         gint64          id,
         const guint8    sha1[SHOAL_SHA1_SIZE],
         const char     *name,
         guint64         size)
{
  Job *job = g_new0 (Job, 1);

  job->ref_count = 1;
  job->transfers = transfers;
  job->id = id;
  memcpy (job->sha1, sha1, SHOAL_SHA1_SIZE);
  job->base32 = shoal_base32_encode (sha1, SHOAL_SHA1_SIZE);
  job->name = g_strdup (name);
  job->size = size;
  job->download = shoal_download_new (sha1, name, size);
  job->part_path = g_strconcat (transfers->part_dir, G_DIR_SEPARATOR_S, job->base32,
                                SHOAL_TRANSFERS_PART_SUFFIX, NULL);
  job->fd = -1;
  job->sources = g_ptr_array_new_with_free_func (g_free);
  job->connections = g_ptr_array_new ();
  job->written = g_array_new (FALSE, FALSE, sizeof (Written));
  job->last_sync_usec = now_usec ();
  job->rate_usec = now_usec ();
  return job;
}

static Job *
job_ref (Job *job)
{
  job->ref_count++;
  return job;
}

static void
job_close_fd (Job *job)
{
  if (job->fd >= 0)
    close (job->fd);
  job->fd = -1;
}

static void
job_unref (Job *job)
{
  if (--job->ref_count > 0)
    return;
  while (job->connections->len > 0)
    connection_free (g_ptr_array_index (job->connections, 0));
  g_ptr_array_unref (job->connections);
  g_ptr_array_unref (job->sources);
  g_array_unref (job->written);
  hunt_free (job->hunt);
  g_clear_object (&job->verify_cancellable);
  g_clear_pointer (&job->plan, shoal_download_plan_free);
  job_close_fd (job);
  g_object_unref (job->download);
  g_free (job->base32);
  g_free (job->name);
  g_free (job->part_path);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_unref)

static gboolean
job_is_active (const Job *job)
{
  return job->status == SHOAL_DOWNLOAD_STATUS_QUEUED ||
         job->status == SHOAL_DOWNLOAD_STATUS_RUNNING;
}

static Job *
find_job_by_sha1 (ShoalTransfers *self,
                  const guint8    sha1[SHOAL_SHA1_SIZE])
{
  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (self->jobs, i);

      if (memcmp (job->sha1, sha1, SHOAL_SHA1_SIZE) == 0)
        return job;
    }
  return NULL;
}

static Job *
find_job_by_download (ShoalTransfers  *self,
                      ShoalDownload   *download,
                      guint           *position)
{
  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (self->jobs, i);

      if (job->download == download)
        {
          if (position != NULL)
            *position = i;
          return job;
        }
    }
  return NULL;
}

static void
job_set_status (Job                 *job,
                ShoalDownloadStatus  status,
                const char          *error_message)
{
  g_autoptr(GError) error = NULL;

  job->status = status;
  if (status != SHOAL_DOWNLOAD_STATUS_CANCELLED && job->transfers != NULL &&
      !shoal_download_store_set_state (job->transfers->store, job->id, stored_state (status),
                                       error_message, &error))
    g_warning ("cannot record the state of %s: %s", job->name, error->message);
  shoal_download_set_state (job->download, status, error_message);
}

static void
job_publish_progress (Job *job)
{
  guint64 rate = job_is_active (job) && job->connections->len > 0 ? (guint64) job->rate : 0;
  guint64 left = job->plan != NULL ? job->size - shoal_download_plan_bytes_done (job->plan) : 0;
  gint64 eta = -1;

  if (job->status == SHOAL_DOWNLOAD_STATUS_COMPLETED)
    eta = 0;
  else if (job->size > 0 && rate > 0)
    eta = (gint64) ((left + rate - 1) / rate);
  shoal_download_set_progress (job->download, job->synced_done, rate, eta);
}

/* Not banned, not given up, not refused by the filter, and reachable:
 * dialled at a real address, or pushed through its servent GUID.
 * (0.0.0.0 would dial ourselves.) */
static gboolean
source_usable (const Source *source)
{
  gboolean reachable = source->push_needed ? source->has_guid
                                           : source->endpoint.address != 0 &&
                                             source->endpoint.port != 0;

  return reachable && !source->banned && !source->refused &&
         source->failures - source->failure_base < SHOAL_TRANSFERS_MAX_SOURCE_FAILURES;
}

static void
job_publish_sources (Job *job)
{
  guint usable = 0;

  for (guint i = 0; i < job->sources->len; i++)
    if (source_usable (g_ptr_array_index (job->sources, i)))
      usable++;
  shoal_download_set_sources (job->download, usable);
}

static Source *
job_find_source (Job    *job,
                 gint64  source_id)
{
  for (guint i = 0; i < job->sources->len; i++)
    {
      Source *source = g_ptr_array_index (job->sources, i);

      if (source->id == source_id)
        return source;
    }
  return NULL;
}

/* The partial file ------------------------------------------------------------- */

/* Opens (creating it if needed) the partial file, sparse at the size when
 * known. A progress record that the file cannot back (the file is gone or
 * shorter) is dropped: fetching again is slow, trusting it corrupts. */
static gboolean
job_open_part (Job     *job,
               GError **error)
{
  struct stat st;
  gboolean existed = g_file_test (job->part_path, G_FILE_TEST_EXISTS);
  int fd = open (job->part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved_errno = errno;
      g_autofree char *message = errno_message ("cannot open", job->part_path, saved_errno);

      if (fd >= 0)
        close (fd);
      g_set_error_literal (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_IO, message);
      return FALSE;
    }
  if (job->plan != NULL && shoal_download_plan_bytes_done (job->plan) > 0 &&
      (!existed || (guint64) st.st_size < job->size))
    {
      g_warning ("%s: the partial file does not hold what its record says; starting over",
                 job->name);
      shoal_download_plan_forget (job->plan, 0, job->size);
      job->sync_wanted = TRUE;
    }
  if (job->size > 0 && (guint64) st.st_size != job->size &&
      ftruncate (fd, (off_t) job->size) != 0)
    {
      int saved_errno = errno;
      g_autofree char *message = errno_message ("cannot size", job->part_path, saved_errno);

      close (fd);
      g_set_error_literal (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_IO, message);
      return FALSE;
    }
  job_close_fd (job);
  job->fd = fd;
  return TRUE;
}

/* Attribution ------------------------------------------------------------------ */

/* Records that @source_id wrote [start, end): earlier writers of those
 * bytes lose them. */
static void
attribution_add (GArray  *written,
                 guint64  start,
                 guint64  end,
                 gint64   source_id)
{
  g_autoptr(GArray) kept = g_array_sized_new (FALSE, FALSE, sizeof (Written), written->len + 2);
  Written fresh = { start, end, source_id };
  gboolean inserted = FALSE;

  for (guint i = 0; i < written->len; i++)
    {
      Written entry = g_array_index (written, Written, i);
      Written head = { entry.start, MIN (entry.end, start), entry.source_id };
      Written tail = { MAX (entry.start, end), entry.end, entry.source_id };

      if (head.start < head.end)
        g_array_append_val (kept, head);
      if (!inserted && entry.end > start)
        {
          g_array_append_val (kept, fresh);
          inserted = TRUE;
        }
      if (tail.start < tail.end && entry.end > end)
        g_array_append_val (kept, tail);
    }
  if (!inserted)
    g_array_append_val (kept, fresh);

  /* Neighbours from the same source melt, to keep the list short. */
  g_array_set_size (written, 0);
  for (guint i = 0; i < kept->len; i++)
    {
      Written *entry = &g_array_index (kept, Written, i);
      Written *last = written->len > 0 ? &g_array_index (written, Written, written->len - 1) : NULL;

      if (last != NULL && last->source_id == entry->source_id && last->end == entry->start)
        last->end = entry->end;
      else
        g_array_append_val (written, *entry);
    }
}

/* Syncing ---------------------------------------------------------------------- */

typedef struct
{
  int      fd;
  char    *record;
  guint64  bytes;
  guint64  generation;
} SyncWork;

static void
sync_work_free (gpointer data)
{
  SyncWork *work = data;

  if (work->fd >= 0)
    close (work->fd);
  g_free (work->record);
  g_free (work);
}

static void
sync_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SyncWork *work = task_data;

  if (fdatasync (work->fd) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_IO,
                               "cannot sync the partial file: %s", g_strerror (saved_errno));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void job_fail (Job        *job,
                      const char *message);

static void
on_sync_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(Job) job = data;
  SyncWork *work = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  job->syncing = FALSE;
  if (job->transfers == NULL)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      job_fail (job, error->message);
      return;
    }
  /* A record taken before bytes were forgotten would bring them back. */
  if (work->generation == job->generation)
    {
      if (!shoal_download_store_save_progress (job->transfers->store, job->id, work->record,
                                               &error))
        g_warning ("cannot save the progress of %s: %s", job->name, error->message);
      else
        job->synced_done = work->bytes;
      job_publish_progress (job);
    }
  transfers_schedule (job->transfers);
}

static void
job_start_sync (Job *job)
{
  g_autoptr(GTask) task = NULL;
  SyncWork *work = g_new0 (SyncWork, 1);

  work->fd = fcntl (job->fd, F_DUPFD_CLOEXEC, 0);
  work->record = shoal_download_plan_serialize (job->plan);
  work->bytes = shoal_download_plan_bytes_done (job->plan);
  work->generation = job->generation;
  job->unsynced = 0;
  job->sync_wanted = FALSE;
  job->last_sync_usec = now_usec ();
  if (work->fd < 0)
    {
      int saved_errno = errno;
      g_autofree char *message = errno_message ("cannot sync", job->part_path, saved_errno);

      sync_work_free (work);
      job_fail (job, message);
      return;
    }
  job->syncing = TRUE;
  task = g_task_new (NULL, NULL, on_sync_done, job_ref (job));
  g_task_set_source_tag (task, job_start_sync);
  g_task_set_task_data (task, work, sync_work_free);
  g_task_run_in_thread (task, sync_thread);
}

/* Syncs when enough was written or enough time passed, or when asked. */
static void
job_maybe_sync (Job *job)
{
  gint64 since = now_usec () - job->last_sync_usec;

  if (job->syncing || job->plan == NULL || job->fd < 0)
    return;
  if (job->sync_wanted || job->unsynced >= SHOAL_TRANSFERS_SYNC_BYTES ||
      (job->unsynced > 0 && since >= SHOAL_TRANSFERS_SYNC_INTERVAL_MS * G_TIME_SPAN_MILLISECOND))
    job_start_sync (job);
}

static void
job_request_sync (Job *job)
{
  job->sync_wanted = TRUE;
  job_maybe_sync (job);
}

/* At shutdown: what was written reaches the record before we go. */
static void
job_sync_now (Job *job)
{
  g_autofree char *record = NULL;
  g_autoptr(GError) error = NULL;

  if (job->plan == NULL || job->fd < 0 ||
      (job->unsynced == 0 && !job->syncing && !job->sync_wanted))
    return;
  if (fdatasync (job->fd) != 0)
    {
      g_warning ("cannot sync the partial file of %s: %s", job->name, g_strerror (errno));
      return;
    }
  record = shoal_download_plan_serialize (job->plan);
  if (!shoal_download_store_save_progress (job->transfers->store, job->id, record, &error))
    g_warning ("cannot save the progress of %s: %s", job->name, error->message);
  job->unsynced = 0;
  job->sync_wanted = FALSE;
}

/* Learning from answers ---------------------------------------------------------- */

/* The first answer to a download of unknown size tells it. */
static void
job_learn_size (Job     *job,
                guint64  size)
{
  g_autoptr(GError) error = NULL;

  if (job->size != 0 || size == 0)
    return;
  if (!shoal_download_store_set_size (job->transfers->store, job->id, (gint64) size, &error))
    {
      g_warning ("cannot record the size of %s: %s", job->name, error->message);
      return;
    }
  job->size = size;
  job->plan = shoal_download_plan_new (size);
  shoal_download_set_size (job->download, size);
  if (ftruncate (job->fd, (off_t) size) != 0)
    {
      g_autofree char *message = errno_message ("cannot size", job->part_path, errno);

      job_fail (job, message);
    }
}

static void
job_mark_written (Job     *job,
                  guint64  start,
                  guint64  length)
{
  guint64 end;

  if (job->plan == NULL || length == 0 || start >= job->size)
    return;
  end = MIN (start + length, job->size);
  shoal_download_plan_mark_done (job->plan, start, end);
  job->unsynced += end - start;
}

static gboolean job_add_source (Job                      *job,
                                const ShoalStoredSource  *sighting,
                                GError                  **error);

static gboolean
job_knows_endpoint (Job                     *job,
                    const ShoalIpv4Endpoint *endpoint)
{
  for (guint i = 0; i < job->sources->len; i++)
    {
      const Source *source = g_ptr_array_index (job->sources, i);

      if (source->endpoint.address == endpoint->address && source->endpoint.port == endpoint->port)
        return TRUE;
    }
  return FALSE;
}

/* Every answer of a gtk-gnutella source names about fifteen others: only
 * new ones cost a write. */
static void
job_learn_alt_locations (Job    *job,
                         GArray *alt_locations)
{
  if (alt_locations == NULL)
    return;
  for (guint i = 0; i < alt_locations->len; i++)
    {
      ShoalStoredSource sighting = {
        .endpoint = g_array_index (alt_locations, ShoalIpv4Endpoint, i),
      };
      g_autoptr(GError) error = NULL;

      if (job_knows_endpoint (job, &sighting.endpoint))
        continue;
      if (!job_add_source (job, &sighting, &error))
        g_warning ("cannot add an alternate source of %s: %s", job->name, error->message);
    }
}

/* Sources ------------------------------------------------------------------------- */

static gboolean
transfers_filter_allows (ShoalTransfers          *self,
                         const ShoalIpv4Endpoint *endpoint,
                         gboolean                 push_needed)
{
  return self->source_filter == NULL ||
         self->source_filter (endpoint, push_needed, self->source_filter_data);
}

/* Counted, and said only at debug level: an answer of a gtk-gnutella
 * source names about fifteen alternate locations, every time. */
static void
job_note_refused (Job                     *job,
                  const ShoalIpv4Endpoint *endpoint,
                  const char              *what)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  job->transfers->refused_sources++;
  g_debug ("%s: source %s %s by the source filter", job->name,
           shoal_ipv4_endpoint_format (endpoint, TRUE, text), what);
}

/* Stores and keeps @sighting, or drops it when the filter refuses it
 * (not an error). FALSE only when the store failed. */
static gboolean
job_add_source (Job                      *job,
                const ShoalStoredSource  *sighting,
                GError                  **error)
{
  g_autoptr(GError) cause = NULL;
  gint64 id;
  Source *source;

  if (!transfers_filter_allows (job->transfers, &sighting->endpoint, sighting->push_needed))
    {
      job_note_refused (job, &sighting->endpoint, "refused");
      return TRUE;
    }
  if (!shoal_download_store_add_source (job->transfers->store, job->id, sighting, &id, &cause))
    return set_store_error (error, cause, "cannot add a source");
  source = job_find_source (job, id);
  if (source == NULL)
    {
      source = g_new0 (Source, 1);
      source->id = id;
      source->endpoint = sighting->endpoint;
      g_ptr_array_add (job->sources, source);
    }
  /* As the store merges: a sighting without GUID or index keeps ours. */
  if (sighting->has_guid)
    {
      source->has_guid = TRUE;
      source->guid = sighting->guid;
    }
  if (sighting->has_file_index)
    {
      source->has_file_index = TRUE;
      source->file_index = sighting->file_index;
    }
  source->push_needed = sighting->push_needed;
  job_publish_sources (job);
  return TRUE;
}

static Source *
source_from_stored (const ShoalStoredSource *stored)
{
  Source *source = g_new0 (Source, 1);

  source->id = stored->id;
  source->endpoint = stored->endpoint;
  source->has_guid = stored->has_guid;
  source->guid = stored->guid;
  source->has_file_index = stored->has_file_index;
  source->file_index = stored->file_index;
  source->push_needed = stored->push_needed;
  source->failures = stored->failures;
  source->banned = stored->banned;
  return source;
}

static void
job_ban_source (Job    *job,
                Source *source)
{
  g_autoptr(GError) error = NULL;
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_message ("%s: banning source %s", job->name,
             shoal_ipv4_endpoint_format (&source->endpoint, TRUE, text));
  source->banned = TRUE;
  if (!shoal_download_store_ban_source (job->transfers->store, source->id, &error))
    g_warning ("cannot record a ban: %s", error->message);
  job_publish_sources (job);
}

static void
job_count_failure (Job    *job,
                   Source *source)
{
  g_autoptr(GError) error = NULL;
  guint failures = source->failures + 1;

  if (!shoal_download_store_mark_source_failure (job->transfers->store, source->id, &failures,
                                                 &error))
    g_warning ("cannot count a failure: %s", error->message);
  source->failures = failures;
  source->retry_usec = now_usec () + (gint64) (failures - source->failure_base) *
                                     SHOAL_TRANSFERS_FAILURE_BACKOFF_MS * G_TIME_SPAN_MILLISECOND;
  job_publish_sources (job);
}

/* A range came in whole: earlier failures were passing trouble. Written
 * only when there is something to clear, not once per range. */
static void
job_clear_failures (Job    *job,
                    Source *source)
{
  g_autoptr(GError) error = NULL;

  if (source->failures == 0)
    return;
  if (!shoal_download_store_clear_source_failures (job->transfers->store, source->id, &error))
    g_warning ("cannot clear a source's failures: %s", error->message);
  source->failures = 0;
  source->failure_base = 0;
  job_publish_sources (job);
}

/* Connections ---------------------------------------------------------------------- */

static void
connection_uncount (Connection *conn)
{
  if (!conn->counted)
    return;
  conn->counted = FALSE;
  if (conn->job->transfers != NULL)
    conn->job->transfers->n_connections--;
}

static void
connection_free (Connection *conn)
{
  Job *job = conn->job;

  connection_uncount (conn);
  g_ptr_array_remove (job->connections, conn);
  if (job->plan != NULL)
    shoal_download_plan_release (job->plan, (guint64) conn->source->id);
  conn->source->connected = FALSE;
  g_clear_object (&conn->fetch);
  g_clear_object (&conn->cancellable);
  g_free (conn);
}

/* Now, or once its fetch has called back. */
static void
connection_close (Connection *conn)
{
  if (!conn->in_flight)
    {
      connection_free (conn);
      return;
    }
  conn->closing = TRUE;
  g_cancellable_cancel (conn->cancellable);
}

static void
job_close_connections (Job *job)
{
  g_autoptr(GPtrArray) connections = g_ptr_array_copy (job->connections, NULL, NULL);

  for (guint i = 0; i < connections->len; i++)
    connection_close (g_ptr_array_index (connections, i));
}

/* Sets aside the sources the filter refuses now (their connections
 * close) and takes back those it lets in again. Nothing is published
 * unless a source changed. */
static void
job_filter_sources (Job *job)
{
  g_autoptr(GPtrArray) connections = NULL;
  gboolean changed = FALSE;

  for (guint i = 0; i < job->sources->len; i++)
    {
      Source *source = g_ptr_array_index (job->sources, i);
      gboolean refused = !transfers_filter_allows (job->transfers, &source->endpoint,
                                                   source->push_needed);

      if (refused && !source->refused)
        job_note_refused (job, &source->endpoint, "set aside");
      changed |= refused != source->refused;
      source->refused = refused;
    }
  if (!changed)
    return;
  connections = g_ptr_array_copy (job->connections, NULL, NULL);
  for (guint i = 0; i < connections->len; i++)
    {
      Connection *conn = g_ptr_array_index (connections, i);

      if (conn->source->refused)
        connection_close (conn);
    }
  job_publish_sources (job);
}

static void
job_fail (Job        *job,
          const char *message)
{
  g_message ("%s failed: %s", job->name, message);
  job_close_connections (job);
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_FAILED, message);
  job_publish_progress (job);
  if (job->plan != NULL && job->fd >= 0)
    job_request_sync (job);
}

/* Sources the uploader may pass on: other direct ones we know work. */
static GArray *
job_alt_locations (Job    *job,
                   Source *except)
{
  GArray *alt = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));

  for (guint i = 0; i < job->sources->len; i++)
    {
      Source *source = g_ptr_array_index (job->sources, i);

      if (alt->len == SHOAL_HTTP_FETCH_MAX_SENT_ALT_LOCATIONS)
        break;
      if (source != except && source_usable (source) && !source->push_needed)
        g_array_append_val (alt, source->endpoint);
    }
  return alt;
}

/* Called after each pwrite(), in the order they happen: attributing here
 * knows who wrote each byte last even when an endgame duplicate and its
 * original overwrite each other's bytes (their responses end in another
 * order than their writes). */
static void
on_fetch_progress (ShoalHttpFetch *fetch,
                   guint64         start,
                   guint64         written,
                   guint64         expected,
                   gpointer        data)
{
  Connection *conn = data;
  Job *job = conn->job;
  guint64 from = start + conn->reported;
  guint64 to = job->size > 0 ? MIN (start + written, job->size) : start + written;

  job->received += written - conn->reported;
  if (job->transfers != NULL)
    job->transfers->bytes_downloaded += written - conn->reported;
  conn->reported = written;
  if (from < to)
    attribution_add (job->written, from, to, conn->source->id);
}

static void on_fetch_done (GObject      *source_object,
                           GAsyncResult *result,
                           gpointer      data);

/* Asks for the source's next chunk, or closes when there is none. */
/* gtk-gnutella answers any range with at most 512 KiB, and the plan takes
 * a shorter answer in its stride; a server that sends what is asked (ours)
 * saves a round trip per 512 KiB when asked for more. The claim stays a
 * small share of the file, so sources still share it. */
static guint64
claim_size (Job *job)
{
  guint64 share = job->size / (2 * SHOAL_TRANSFERS_SOURCES_PER_DOWNLOAD);

  return CLAMP (share, SHOAL_DOWNLOAD_CHUNK_SIZE, SHOAL_TRANSFERS_MAX_CLAIM);
}

static void
connection_fetch_next (Connection *conn)
{
  Job *job = conn->job;
  g_autoptr(GArray) alt = NULL;
  ShoalHttpFetchRequest request = { .sha1 = job->sha1 };
  guint64 start = 0;
  guint64 end = SHOAL_DOWNLOAD_CHUNK_SIZE;

  /* Without a size there is no plan: the first chunk asks, and the
   * answer's Content-Range tells the size. */
  if (job->plan != NULL &&
      !shoal_download_plan_claim (job->plan, (guint64) conn->source->id,
                                  claim_size (job), &start, &end))
    {
      connection_free (conn);
      return;
    }
  alt = job_alt_locations (job, conn->source);
  request.start = start;
  request.end = end - 1;
  request.file_size = job->size;
  request.alt_locations = (const ShoalIpv4Endpoint *) (gpointer) alt->data;
  request.n_alt_locations = alt->len;
  conn->reported = 0;
  conn->in_flight = TRUE;
  job->flights++;
  shoal_http_fetch_fetch_range_async (conn->fetch, &request, job->fd, conn->cancellable,
                                      on_fetch_progress, conn, on_fetch_done, job_ref (job));
}

static Connection *
connection_open (Job            *job,
                 Source         *source,
                 ShoalHttpFetch *fetch)
{
  Connection *conn = g_new0 (Connection, 1);

  conn->job = job;
  conn->source = source;
  conn->fetch = fetch;
  shoal_http_fetch_set_rate_limit (fetch, job->transfers->rate_limit);
  conn->cancellable = g_cancellable_new ();
  conn->counted = TRUE;
  job->transfers->n_connections++;
  source->connected = TRUE;
  g_ptr_array_add (job->connections, conn);
  return conn;
}

static Connection *
job_find_connection (Job            *job,
                     ShoalHttpFetch *fetch)
{
  for (guint i = 0; i < job->connections->len; i++)
    {
      Connection *conn = g_ptr_array_index (job->connections, i);

      if (conn->fetch == fetch)
        return conn;
    }
  return NULL;
}

/* A failed fetch: what it says about its source. */
static void
connection_failed (Connection                 *conn,
                   const GError               *error,
                   const ShoalHttpFetchResult *result)
{
  Job *job = conn->job;
  Source *source = conn->source;
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  g_debug ("%s from %s: %s", job->name,
           shoal_ipv4_endpoint_format (&source->endpoint, TRUE, text), error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;
  else if (g_error_matches (error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_BUSY))
    {
      guint seconds = result->retry_after_s > 0 ? result->retry_after_s
                                                : SHOAL_TRANSFERS_DEFAULT_RETRY_AFTER_S;

      seconds = MIN (seconds, SHOAL_TRANSFERS_MAX_RETRY_AFTER_S);
      source->retry_usec = now_usec () + (gint64) seconds * G_USEC_PER_SEC;
    }
  else if (g_error_matches (error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_WRONG_FILE))
    job_ban_source (job, source);
  else if (g_error_matches (error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_IO))
    {
      connection_free (conn);
      job_fail (job, error->message);
      return;
    }
  /* A kept-alive connection the source closed while idle is no failure
   * of the source: it may close them when it likes. */
  else if (g_error_matches (error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_CLOSED) &&
           conn->reused && result->status == 0 && result->written_length == 0)
    ;
  else
    job_count_failure (job, source);
  /* A firewalled source needs another PUSH for another connection. */
  source->push_deadline_usec = 0;
  connection_free (conn);
}

static void
on_fetch_done (GObject      *source_object,
               GAsyncResult *res,
               gpointer      data)
{
  g_autoptr(Job) job = data;
  ShoalHttpFetch *fetch = SHOAL_HTTP_FETCH (source_object);
  Connection *conn = job_find_connection (job, fetch);
  g_auto(ShoalHttpFetchResult) result = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok = shoal_http_fetch_fetch_range_finish (fetch, res, &result, &error);

  g_assert (conn != NULL);
  job->flights--;
  if (job->transfers == NULL)
    {
      connection_free (conn);
      return;
    }
  /* Still marked in flight here: should learning fail the job, closing
   * its connections only marks this one. */
  if (result.file_size > 0)
    job_learn_size (job, result.file_size);
  job_mark_written (job, result.written_start, result.written_length);
  job_learn_alt_locations (job, result.alt_locations);
  conn->in_flight = FALSE;
  if (conn->closing || !job_is_active (job))
    connection_free (conn);
  else if (!ok)
    connection_failed (conn, error, &result);
  else if (job->plan == NULL)
    {
      /* An answer that did not tell the size is of no use. */
      job_count_failure (job, conn->source);
      connection_free (conn);
    }
  else
    {
      job_clear_failures (job, conn->source);
      conn->reused = TRUE;
      if (shoal_http_fetch_get_reusable (conn->fetch))
        connection_fetch_next (conn);
      else
        connection_free (conn);
    }
  transfers_schedule (job->transfers);
}

/* Verification --------------------------------------------------------------------- */

typedef struct
{
  char     *part_path;
  char     *download_dir;
  char     *name;          /* sanitized */
  char     *base32;
  guint8    sha1[SHOAL_SHA1_SIZE];
  gboolean  matched;
  char     *final_path;
} VerifyWork;

static void
verify_work_free (gpointer data)
{
  VerifyWork *work = data;

  g_free (work->part_path);
  g_free (work->download_dir);
  g_free (work->name);
  g_free (work->base32);
  g_free (work->final_path);
  g_free (work);
}

static gboolean
set_io_error (GError     **error,
              const char  *doing,
              const char  *path,
              int          saved_errno)
{
  g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_IO, "%s %s: %s",
               doing, path, g_strerror (saved_errno));
  return FALSE;
}

/* Whether link() failed because this file system cannot link here. */
static gboolean
is_link_unsupported (int saved_errno)
{
  return saved_errno == EXDEV || saved_errno == EPERM || saved_errno == ENOTSUP ||
         saved_errno == EOPNOTSUPP || saved_errno == EMLINK || saved_errno == ENOSYS;
}

static gboolean
copy_file (const char  *from,
           const char  *to,
           GError     **error)
{
  g_autofree guint8 *buffer = g_malloc (COPY_BUFFER_SIZE);
  int in = open (from, O_RDONLY | O_CLOEXEC);
  int out;

  if (in < 0)
    return set_io_error (error, "cannot open", from, errno);
  out = open (to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out < 0)
    {
      int saved_errno = errno;

      close (in);
      return set_io_error (error, "cannot create", to, saved_errno);
    }
  for (;;)
    {
      ssize_t n_read = read (in, buffer, COPY_BUFFER_SIZE);
      ssize_t done = 0;

      if (n_read < 0 && errno == EINTR)
        continue;
      if (n_read <= 0)
        {
          int saved_errno = errno;
          gboolean ok = n_read == 0 && fsync (out) == 0;

          saved_errno = ok ? 0 : (n_read < 0 ? saved_errno : errno);
          close (in);
          if (close (out) != 0 && ok)
            {
              ok = FALSE;
              saved_errno = errno;
            }
          return ok ? TRUE : set_io_error (error, "cannot copy to", to, saved_errno);
        }
      while (done < n_read)
        {
          ssize_t n_written = write (out, buffer + done, (size_t) (n_read - done));

          if (n_written < 0 && errno == EINTR)
            continue;
          if (n_written < 0)
            {
              int saved_errno = errno;

              close (in);
              close (out);
              return set_io_error (error, "cannot copy to", to, saved_errno);
            }
          done += n_written;
        }
    }
}

/* Gives @from a free name in the download folder without replacing
 * anything: link() fails on an existing name. FALSE with *unsupported
 * when this file system cannot link @from there. */
static gboolean
link_to_free_name (VerifyWork  *work,
                   const char  *from,
                   gboolean    *unsupported,
                   GError     **error)
{
  *unsupported = FALSE;
  for (guint n = 0; n <= SHOAL_TRANSFERS_MAX_NAME_SUFFIX; n++)
    {
      g_autofree char *name = numbered_name (work->name, n);
      g_autofree char *candidate = g_build_filename (work->download_dir, name, NULL);

      if (link (from, candidate) == 0)
        {
          work->final_path = g_steal_pointer (&candidate);
          return TRUE;
        }
      if (errno == EEXIST)
        continue;
      if (is_link_unsupported (errno))
        {
          *unsupported = TRUE;
          return FALSE;
        }
      return set_io_error (error, "cannot create", candidate, errno);
    }
  g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_IO,
               "no free name for %s in %s", work->name, work->download_dir);
  return FALSE;
}

/* Without links: a name is reserved by creating it (O_EXCL), then the
 * copy is renamed over our own empty placeholder. */
static gboolean
rename_to_free_name (VerifyWork  *work,
                     const char  *from,
                     GError     **error)
{
  for (guint n = 0; n <= SHOAL_TRANSFERS_MAX_NAME_SUFFIX; n++)
    {
      g_autofree char *name = numbered_name (work->name, n);
      g_autofree char *candidate = g_build_filename (work->download_dir, name, NULL);
      int fd = open (candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);

      if (fd < 0 && errno == EEXIST)
        continue;
      if (fd < 0)
        return set_io_error (error, "cannot create", candidate, errno);
      close (fd);
      if (rename (from, candidate) != 0)
        {
          int saved_errno = errno;

          g_unlink (candidate);
          return set_io_error (error, "cannot move the file to", candidate, saved_errno);
        }
      work->final_path = g_steal_pointer (&candidate);
      return TRUE;
    }
  g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_IO,
               "no free name for %s in %s", work->name, work->download_dir);
  return FALSE;
}

static gboolean
move_into_place (VerifyWork  *work,
                 GError     **error)
{
  g_autofree char *copy_name = NULL;
  g_autofree char *copy = NULL;
  gboolean unsupported;

  if (g_mkdir_with_parents (work->download_dir, 0755) != 0)
    return set_io_error (error, "cannot create", work->download_dir, errno);
  if (link_to_free_name (work, work->part_path, &unsupported, error))
    {
      g_unlink (work->part_path);
      return TRUE;
    }
  if (!unsupported)
    return FALSE;

  /* Another file system: a hidden copy next to the target first, so the
   * visible name only ever holds the whole file. */
  copy_name = g_strconcat (".", work->base32, SHOAL_TRANSFERS_PART_SUFFIX, NULL);
  copy = g_build_filename (work->download_dir, copy_name, NULL);
  if (!copy_file (work->part_path, copy, error))
    {
      g_unlink (copy);
      return FALSE;
    }
  if (!link_to_free_name (work, copy, &unsupported, error) &&
      (!unsupported || !rename_to_free_name (work, copy, error)))
    {
      g_unlink (copy);
      return FALSE;
    }
  g_unlink (copy);
  g_unlink (work->part_path);
  return TRUE;
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyWork *work = task_data;
  guint8 actual[SHOAL_SHA1_SIZE];
  GError *error = NULL;

  if (!shoal_sha1_file (work->part_path, actual, NULL, cancellable, NULL, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  work->matched = memcmp (actual, work->sha1, SHOAL_SHA1_SIZE) == 0;
  if (work->matched && !move_into_place (work, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_verify_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(Job) job = data;
  VerifyWork *work = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  g_clear_object (&job->verify_cancellable);
  if (job->transfers == NULL)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = g_strdup_printf ("cannot verify or move the file: %s",
                                                  error->message);

      job_set_status (job, SHOAL_DOWNLOAD_STATUS_FAILED, message);
      return;
    }
  if (!work->matched)
    {
      g_message ("%s: the file does not match its SHA-1; looking for the liar", job->name);
      job_start_hunt (job);
      return;
    }
  g_message ("%s: complete, in %s", job->name, work->final_path);
  job_close_fd (job);
  job->synced_done = job->size;
  shoal_download_set_path (job->download, work->final_path);
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_COMPLETED, NULL);
  job_publish_progress (job);
  transfers_schedule (job->transfers);
}

static void
job_start_verify (Job *job)
{
  g_autoptr(GTask) task = NULL;
  VerifyWork *work = g_new0 (VerifyWork, 1);

  job_set_status (job, SHOAL_DOWNLOAD_STATUS_VERIFYING, NULL);
  job_publish_progress (job);
  work->part_path = g_strdup (job->part_path);
  work->download_dir = g_strdup (job->transfers->download_dir);
  work->name = sanitize_file_name (job->name, job->base32);
  work->base32 = g_strdup (job->base32);
  memcpy (work->sha1, job->sha1, SHOAL_SHA1_SIZE);
  job->verify_cancellable = g_cancellable_new ();
  task = g_task_new (NULL, job->verify_cancellable, on_verify_done, job_ref (job));
  g_task_set_source_tag (task, job_start_verify);
  g_task_set_task_data (task, work, verify_work_free);
  g_task_run_in_thread (task, verify_thread);
}

/* Every byte is in: the last connections go, the last bytes are synced,
 * then the file is checked. Called again as each of these ends. */
static void
job_finish_if_ready (Job *job)
{
  if (!job_is_active (job) || job->plan == NULL || !shoal_download_plan_is_complete (job->plan))
    return;
  job_close_connections (job);
  if (job->flights > 0 || job->syncing)
    return;
  if (job->unsynced > 0 || job->sync_wanted)
    {
      job_start_sync (job);
      return;
    }
  job_start_verify (job);
}

/* The liar hunt ------------------------------------------------------------------------ */

static void
job_forget_written_by (Job    *job,
                       gint64  source_id)
{
  g_autoptr(GArray) kept = g_array_new (FALSE, FALSE, sizeof (Written));

  for (guint i = 0; i < job->written->len; i++)
    {
      Written *entry = &g_array_index (job->written, Written, i);

      if (entry->source_id == source_id)
        shoal_download_plan_forget (job->plan, entry->start, entry->end);
      else
        g_array_append_val (kept, *entry);
    }
  g_array_set_size (job->written, 0);
  g_array_append_vals (job->written, kept->data, kept->len);
  job->generation++;
}

static void
job_forget_everything (Job *job)
{
  shoal_download_plan_forget (job->plan, 0, job->size);
  g_array_set_size (job->written, 0);
  job->generation++;
}

static Verdict *
hunt_find_verdict (Hunt   *hunt,
                   gint64  suspect)
{
  for (guint i = 0; i < hunt->verdicts->len; i++)
    if (g_array_index (hunt->verdicts, Verdict, i).suspect == suspect)
      return &g_array_index (hunt->verdicts, Verdict, i);
  return NULL;
}

static gboolean
hunt_is_silent (Hunt   *hunt,
                gint64  witness)
{
  for (guint i = 0; i < hunt->silent->len; i++)
    if (g_array_index (hunt->silent, gint64, i) == witness)
      return TRUE;
  return FALSE;
}

/* Adds @id to the set @ids of *@n at most SHOAL_TRANSFERS_WITNESSES. */
static void
add_witness (gint64  ids[SHOAL_TRANSFERS_WITNESSES],
             guint  *n,
             gint64  id)
{
  for (guint i = 0; i < *n; i++)
    if (ids[i] == id)
      return;
  if (*n < SHOAL_TRANSFERS_WITNESSES)
    ids[(*n)++] = id;
}

static gboolean
read_at (int      fd,
         guint8  *buffer,
         gsize    length,
         guint64  offset)
{
  while (length > 0)
    {
      ssize_t n_read = pread (fd, buffer, length, (off_t) offset);

      if (n_read < 0 && errno == EINTR)
        continue;
      if (n_read <= 0)
        return FALSE;
      buffer += n_read;
      length -= (gsize) n_read;
      offset += (guint64) n_read;
    }
  return TRUE;
}

/* What the witness sent against what the suspect wrote, where both are
 * (a witness may answer with less than asked). */
static void
hunt_compare (Job                        *job,
              const Check                *check,
              const ShoalHttpFetchResult *result)
{
  Hunt *hunt = job->hunt;
  guint64 start = MAX (check->start, result->written_start);
  guint64 end = MIN (check->end, result->written_start + result->written_length);
  g_autofree guint8 *ours = NULL;
  g_autofree guint8 *theirs = NULL;
  Verdict *verdict = hunt_find_verdict (hunt, check->suspect);

  if (start >= end || verdict == NULL)
    return;
  ours = g_malloc (end - start);
  theirs = g_malloc (end - start);
  if (!read_at (job->fd, ours, end - start, start) ||
      !read_at (hunt->scratch_fd, theirs, end - start, start))
    {
      g_warning ("%s: cannot read back a sample: %s", job->name, g_strerror (errno));
      return;
    }
  add_witness (verdict->answered, &verdict->n_answered, check->witness);
  if (memcmp (ours, theirs, end - start) != 0)
    add_witness (verdict->disagreed, &verdict->n_disagreed, check->witness);
}

/* Bans whom the samples convict and forgets their bytes; with nobody to
 * blame, forgets everything once, and fails the second time. */
static void
hunt_conclude (Job *job)
{
  Hunt *hunt = g_steal_pointer (&job->hunt);
  guint liars = 0;

  for (guint i = 0; i < hunt->verdicts->len; i++)
    {
      Verdict *verdict = &g_array_index (hunt->verdicts, Verdict, i);
      guint required = MIN (verdict->planned, SHOAL_TRANSFERS_WITNESSES);
      Source *suspect = job_find_source (job, verdict->suspect);

      if (required == 0 || verdict->n_disagreed < required || suspect == NULL)
        continue;
      if (!suspect->banned)
        job_ban_source (job, suspect);
      job_forget_written_by (job, verdict->suspect);
      liars++;
    }
  hunt_free (hunt);
  if (liars == 0 && job->retried_all)
    {
      job_forget_everything (job);
      job_fail (job, "The file does not match its SHA-1 and no source could be blamed");
      return;
    }
  if (liars == 0)
    {
      g_message ("%s: nobody to blame; fetching everything again", job->name);
      job->retried_all = TRUE;
      job_forget_everything (job);
    }
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_QUEUED, NULL);
  job_request_sync (job);
  transfers_schedule (job->transfers);
}

static void hunt_run_next (Job *job);

/* A witness that did not answer, or that the source filter refuses now
 * (the filter changed while the hunt ran). */
static gboolean
hunt_skips_witness (Job    *job,
                    gint64  witness_id)
{
  Source *witness = job_find_source (job, witness_id);

  return hunt_is_silent (job->hunt, witness_id) || (witness != NULL && witness->refused);
}

static void
on_sample_fetched (GObject      *source_object,
                   GAsyncResult *res,
                   gpointer      data)
{
  g_autoptr(Job) job = data;
  g_auto(ShoalHttpFetchResult) result = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok = shoal_http_fetch_fetch_range_finish (SHOAL_HTTP_FETCH (source_object), res,
                                                     &result, &error);
  Hunt *hunt = job->hunt;
  Check check;

  if (job->transfers == NULL)
    return;
  check = g_array_index (hunt->checks, Check, hunt->next);
  hunt->next++;
  if (result.written_length > 0)
    hunt_compare (job, &check, &result);
  if (!ok)
    {
      Source *witness = job_find_source (job, check.witness);

      g_debug ("%s: witness gave no sample: %s", job->name, error->message);
      g_array_append_val (hunt->silent, check.witness);
      g_clear_object (&hunt->fetch);
      if (witness != NULL &&
          g_error_matches (error, SHOAL_HTTP_FETCH_ERROR, SHOAL_HTTP_FETCH_ERROR_WRONG_FILE))
        job_ban_source (job, witness);
    }
  hunt_run_next (job);
}

static void
hunt_run_next (Job *job)
{
  Hunt *hunt = job->hunt;
  ShoalHttpFetchRequest request = { .sha1 = job->sha1, .file_size = job->size };
  const Check *check;
  Source *witness;

  while (hunt->next < hunt->checks->len &&
         hunt_skips_witness (job, g_array_index (hunt->checks, Check, hunt->next).witness))
    hunt->next++;
  if (hunt->next == hunt->checks->len)
    {
      hunt_conclude (job);
      return;
    }
  check = &g_array_index (hunt->checks, Check, hunt->next);
  witness = job_find_source (job, check->witness);
  if (hunt->fetch == NULL || hunt->fetch_source != witness->id ||
      !shoal_http_fetch_get_reusable (hunt->fetch))
    {
      g_clear_object (&hunt->fetch);
      hunt->fetch = shoal_http_fetch_new_for_endpoint (&witness->endpoint);
      shoal_http_fetch_set_rate_limit (hunt->fetch, job->transfers->rate_limit);
      hunt->fetch_source = witness->id;
    }
  request.start = check->start;
  request.end = check->end - 1;
  shoal_http_fetch_fetch_range_async (hunt->fetch, &request, hunt->scratch_fd, hunt->cancellable,
                                      NULL, NULL, on_sample_fetched, job_ref (job));
}

static gint
compare_lengths_descending (gconstpointer a,
                            gconstpointer b)
{
  const Written *x = a;
  const Written *y = b;
  guint64 x_length = x->end - x->start;
  guint64 y_length = y->end - y->start;

  if (x_length != y_length)
    return x_length > y_length ? -1 : 1;
  return x->start < y->start ? -1 : (x->start > y->start);
}

/* Samples of @suspect's ranges, each to be fetched from every witness. */
static void
hunt_plan_suspect (Job    *job,
                   Hunt   *hunt,
                   gint64  suspect)
{
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (Written));
  Verdict verdict = { .suspect = suspect };
  guint n_samples;

  for (guint i = 0; i < job->written->len; i++)
    if (g_array_index (job->written, Written, i).source_id == suspect)
      g_array_append_val (ranges, g_array_index (job->written, Written, i));
  /* Its largest ranges: slivers left between others' writes may be too
   * short to hold a lie. */
  g_array_sort (ranges, compare_lengths_descending);
  n_samples = MIN (ranges->len, SHOAL_TRANSFERS_SAMPLES_PER_SOURCE);
  for (guint i = 0; i < job->sources->len && verdict.planned < SHOAL_TRANSFERS_WITNESSES; i++)
    {
      Source *witness = g_ptr_array_index (job->sources, i);

      if (witness->id == suspect || !source_usable (witness) || witness->push_needed)
        continue;
      for (guint s = 0; s < n_samples; s++)
        {
          const Written *range = &g_array_index (ranges, Written, s);
          Check check = {
            suspect, witness->id, range->start,
            MIN (range->end, range->start + SHOAL_TRANSFERS_SAMPLE_SIZE),
          };

          g_array_append_val (hunt->checks, check);
        }
      verdict.planned++;
    }
  g_array_append_val (hunt->verdicts, verdict);
}

static gint
compare_checks (gconstpointer a,
                gconstpointer b)
{
  const Check *x = a;
  const Check *y = b;

  if (x->witness != y->witness)
    return x->witness < y->witness ? -1 : 1;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return 0;
}

static void
job_start_hunt (Job *job)
{
  Hunt *hunt = g_new0 (Hunt, 1);
  g_autoptr(GArray) suspects = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *scratch_path = NULL;
  g_autoptr(GError) error = NULL;

  hunt->checks = g_array_new (FALSE, FALSE, sizeof (Check));
  hunt->verdicts = g_array_new (FALSE, FALSE, sizeof (Verdict));
  hunt->silent = g_array_new (FALSE, FALSE, sizeof (gint64));
  hunt->cancellable = g_cancellable_new ();
  /* Samples land at their own offsets in a sparse scratch file. */
  hunt->scratch_fd = g_file_open_tmp ("shoal-sample-XXXXXX", &scratch_path, &error);
  if (hunt->scratch_fd < 0)
    {
      hunt_free (hunt);
      job_fail (job, error->message);
      return;
    }
  g_unlink (scratch_path);
  for (guint i = 0; i < job->written->len; i++)
    {
      gint64 id = g_array_index (job->written, Written, i).source_id;
      gboolean known = FALSE;

      for (guint k = 0; k < suspects->len && !known; k++)
        known = g_array_index (suspects, gint64, k) == id;
      if (!known)
        g_array_append_val (suspects, id);
    }
  for (guint i = 0; i < suspects->len; i++)
    hunt_plan_suspect (job, hunt, g_array_index (suspects, gint64, i));
  /* One witness after the other, each on one kept-alive connection. */
  g_array_sort (hunt->checks, compare_checks);
  job->hunt = hunt;
  hunt_run_next (job);
}

/* Scheduling ------------------------------------------------------------------------ */

/* Asks for a PUSH, or counts a failure when the last one brought no GIV. */
static void
job_request_push (Job    *job,
                  Source *source)
{
  gint64 now = now_usec ();

  if (source->push_deadline_usec != 0)
    {
      if (now < source->push_deadline_usec)
        return;
      source->push_deadline_usec = 0;
      job_count_failure (job, source);
      return;
    }
  source->push_deadline_usec = now + SHOAL_TRANSFERS_PUSH_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  g_signal_emit (job->transfers, signals[SIGNAL_PUSH_NEEDED], 0, job->download, &source->guid,
                 source->has_file_index ? source->file_index : 0);
}

/* Opens connections to sources not connected yet, within the limits. */
static void
job_fill (Job *job)
{
  guint limit = job->plan != NULL ? SHOAL_TRANSFERS_SOURCES_PER_DOWNLOAD : 1;
  gint64 now = now_usec ();

  for (guint i = 0; i < job->sources->len; i++)
    {
      Source *source = g_ptr_array_index (job->sources, i);
      Connection *conn;

      /* A push-needed handler may have cancelled or paused it. */
      if (job->transfers == NULL || !job_is_active (job) ||
          job->connections->len >= limit ||
          job->transfers->n_connections >= SHOAL_TRANSFERS_MAX_CONNECTIONS)
        return;
      if (!source_usable (source) || source->connected || source->retry_usec > now)
        continue;
      if (source->push_needed)
        {
          job_request_push (job, source);
          continue;
        }
      conn = connection_open (job, source, shoal_http_fetch_new_for_endpoint (&source->endpoint));
      connection_fetch_next (conn);
    }
}

static void
job_update_running (Job *job)
{
  ShoalDownloadStatus status = job->connections->len > 0 ? SHOAL_DOWNLOAD_STATUS_RUNNING
                                                         : SHOAL_DOWNLOAD_STATUS_QUEUED;

  if (job->transfers != NULL && job_is_active (job) && job->status != status)
    {
      job_set_status (job, status, NULL);
      job_publish_progress (job);
    }
}

/* Whether the tick has anything to do for @job: rates to smooth, a sync
 * to run later, a source to retry or a push to time out. */
static gboolean
job_needs_tick (Job *job)
{
  if (job->syncing || job->unsynced > 0)
    return TRUE;
  if (!job_is_active (job))
    return FALSE;
  if (job->connections->len > 0)
    return TRUE;
  for (guint i = 0; i < job->sources->len; i++)
    if (source_usable (g_ptr_array_index (job->sources, i)))
      return TRUE;
  return FALSE;
}

static void
job_update_rate (Job *job)
{
  gint64 now = now_usec ();
  double seconds = (double) (now - job->rate_usec) / G_USEC_PER_SEC;
  double alpha;

  if (seconds <= 0)
    return;
  alpha = seconds / (SHOAL_TRANSFERS_RATE_WINDOW_S + seconds);
  job->rate += alpha * ((double) job->received / seconds - job->rate);
  job->received = 0;
  job->rate_usec = now;
  job_publish_progress (job);
}

static gboolean on_tick (gpointer data);

static void
transfers_set_ticking (ShoalTransfers *self,
                       gboolean        ticking)
{
  if (ticking && self->tick_source == NULL)
    {
      self->tick_source = g_timeout_source_new (SHOAL_TRANSFERS_TICK_MS);
      g_source_set_callback (self->tick_source, on_tick, self, NULL);
      g_source_attach (self->tick_source, self->context);
    }
  else if (!ticking && self->tick_source != NULL)
    {
      g_source_destroy (self->tick_source);
      g_clear_pointer (&self->tick_source, g_source_unref);
    }
}

static gpointer
copy_job_ref (gconstpointer job,
              gpointer      data)
{
  return job_ref ((Job *) job);
}

/* Looks at every download after anything happened: syncs due, finished
 * files, free connection slots. */
static void
transfers_schedule (ShoalTransfers *self)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_copy (self->jobs, copy_job_ref, NULL);
  gboolean ticking = FALSE;

  g_ptr_array_set_free_func (jobs, (GDestroyNotify) job_unref);
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (job->transfers == NULL)
        continue;
      job_maybe_sync (job);
      if (job->plan != NULL && shoal_download_plan_is_complete (job->plan))
        job_finish_if_ready (job);
      else if (job_is_active (job))
        job_fill (job);
      job_update_running (job);
      if (job->transfers != NULL)
        ticking = ticking || job_needs_tick (job);
    }
  transfers_set_ticking (self, ticking);
}

static gboolean
on_tick (gpointer data)
{
  ShoalTransfers *self = data;

  for (guint i = 0; i < self->jobs->len; i++)
    job_update_rate (g_ptr_array_index (self->jobs, i));
  transfers_schedule (self);
  return G_SOURCE_CONTINUE;
}

/* Detaching: cancel, dispose ------------------------------------------------------------- */

/* Stops everything the job does; callbacks still in flight find it
 * detached and only free what is theirs. */
static void
job_detach (Job *job)
{
  for (guint i = 0; i < job->connections->len; i++)
    connection_uncount (g_ptr_array_index (job->connections, i));
  job->transfers = NULL;
  job_close_connections (job);
  if (job->verify_cancellable != NULL)
    g_cancellable_cancel (job->verify_cancellable);
  if (job->hunt != NULL)
    g_cancellable_cancel (job->hunt->cancellable);
}

/* Overrides ------------------------------------------------------------------------------ */

static void
shoal_transfers_dispose (GObject *object)
{
  ShoalTransfers *self = SHOAL_TRANSFERS (object);

  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (self->jobs, i);

      if (job->transfers == NULL)
        continue;
      job_sync_now (job);
      job_detach (job);
    }
  g_ptr_array_set_size (self->jobs, 0);
  transfers_set_ticking (self, FALSE);
  if (self->start_source != NULL)
    {
      g_source_destroy (self->start_source);
      g_clear_pointer (&self->start_source, g_source_unref);
    }
  g_clear_pointer (&self->store, shoal_download_store_close);

  G_OBJECT_CLASS (shoal_transfers_parent_class)->dispose (object);
}

static void
shoal_transfers_finalize (GObject *object)
{
  ShoalTransfers *self = SHOAL_TRANSFERS (object);

  g_ptr_array_unref (self->jobs);
  g_object_unref (self->downloads);
  g_object_unref (self->uploads);
  g_main_context_unref (self->context);
  g_clear_pointer (&self->rate_limit, shoal_rate_limit_unref);
  if (self->source_filter_destroy != NULL)
    self->source_filter_destroy (self->source_filter_data);
  g_free (self->part_dir);
  g_free (self->download_dir);

  G_OBJECT_CLASS (shoal_transfers_parent_class)->finalize (object);
}

static void
shoal_transfers_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ShoalTransfers *self = SHOAL_TRANSFERS (object);

  switch (prop_id)
    {
    case PROP_DOWNLOADS:
      g_value_set_object (value, self->downloads);
      break;
    case PROP_UPLOADS:
      g_value_set_object (value, self->uploads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_transfers_class_init (ShoalTransfersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_transfers_dispose;
  object_class->finalize = shoal_transfers_finalize;
  object_class->get_property = shoal_transfers_get_property;

  properties[PROP_DOWNLOADS] =
    g_param_spec_object ("downloads", NULL, "Every download, a GListModel of ShoalDownload",
                         G_TYPE_LIST_MODEL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPLOADS] =
    g_param_spec_object ("uploads", NULL, "Running and recent uploads, a GListModel of ShoalUpload",
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalTransfers::push-needed:
   * @download: the ShoalDownload
   * @servent_guid: (type gpointer): the firewalled source's ShoalGuid,
   *   valid during the emission
   * @file_index: the file index its hit gave (0 when none)
   *
   * A source that cannot be dialled should be asked to connect back:
   * route a PUSH to it; its GIV goes to shoal_transfers_take_giv().
   */
  signals[SIGNAL_PUSH_NEEDED] =
    g_signal_new ("push-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  SHOAL_TYPE_DOWNLOAD, G_TYPE_POINTER, G_TYPE_UINT);
}

static void
shoal_transfers_init (ShoalTransfers *self)
{
  self->downloads = g_list_store_new (SHOAL_TYPE_DOWNLOAD);
  self->uploads = G_LIST_MODEL (g_list_store_new (SHOAL_TYPE_UPLOAD));
  self->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_unref);
  self->context = g_main_context_ref_thread_default ();
}

/* Restoring and adding ------------------------------------------------------------------- */

static void
transfers_append (ShoalTransfers *self,
                  Job            *job)
{
  job_publish_sources (job);
  job_publish_progress (job);
  g_ptr_array_add (self->jobs, job);
  g_list_store_append (self->downloads, job->download);
}

static gboolean
job_restore_sources (Job      *job,
                     GError  **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(GPtrArray) stored = shoal_download_store_list_sources (job->transfers->store, job->id,
                                                                   &cause);

  if (stored == NULL)
    return set_store_error (error, cause, "cannot read the sources");
  for (guint i = 0; i < stored->len; i++)
    g_ptr_array_add (job->sources, source_from_stored (g_ptr_array_index (stored, i)));
  return TRUE;
}

/* A plan from the progress record, or from nothing when the record is
 * damaged (never trusted: a wrong record corrupts the file). */
static void
job_restore_plan (Job                       *job,
                  const ShoalStoredDownload *stored)
{
  g_autoptr(GError) error = NULL;

  if (job->size == 0)
    return;
  job->plan = shoal_download_plan_new_from_record (job->size, stored->done_ranges, &error);
  if (job->plan == NULL)
    {
      g_warning ("%s: %s; starting over", job->name, error->message);
      job->plan = shoal_download_plan_new (job->size);
      job->sync_wanted = TRUE;
    }
}

static gboolean
transfers_restore (ShoalTransfers             *self,
                   const ShoalStoredDownload  *stored,
                   GError                    **error)
{
  guint64 size = stored->size > 0 ? (guint64) stored->size : 0;
  g_autoptr(Job) job = job_new (self, stored->id, stored->sha1, stored->name, size);
  g_autoptr(GError) part_error = NULL;

  if (!job_restore_sources (job, error))
    return FALSE;
  job->status = restored_status (stored->state);
  if (job->status == SHOAL_DOWNLOAD_STATUS_COMPLETED)
    job->synced_done = size;
  else
    {
      job_restore_plan (job, stored);
      if (!job_open_part (job, &part_error))
        job_set_status (job, SHOAL_DOWNLOAD_STATUS_FAILED, part_error->message);
      if (job->plan != NULL && !job->sync_wanted)
        job->synced_done = shoal_download_plan_bytes_done (job->plan);
    }
  shoal_download_set_state (job->download, job->status,
                            job->status == SHOAL_DOWNLOAD_STATUS_FAILED ?
                            (part_error != NULL ? part_error->message : stored->error) : NULL);
  transfers_append (self, g_steal_pointer (&job));
  return TRUE;
}

static gboolean
transfers_restore_all (ShoalTransfers  *self,
                       GError         **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(GPtrArray) stored = shoal_download_store_list_downloads (self->store, &cause);

  if (stored == NULL)
    return set_store_error (error, cause, "cannot read the download queue");
  for (guint i = 0; i < stored->len; i++)
    if (!transfers_restore (self, g_ptr_array_index (stored, i), error))
      return FALSE;
  return TRUE;
}

/* The download of @sha1: the one we have, or a new one queued. */
static Job *
transfers_add (ShoalTransfers  *self,
               const guint8     sha1[SHOAL_SHA1_SIZE],
               const char      *name,
               guint64          size,
               GError         **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(Job) job = NULL;
  Job *existing = find_job_by_sha1 (self, sha1);
  gint64 id;

  if (existing != NULL)
    return existing;
  if (!g_utf8_validate (name, -1, NULL) || name[0] == '\0')
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "a file name must be non-empty UTF-8");
      return NULL;
    }
  if (size > G_MAXINT64)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "a size of %" G_GUINT64_FORMAT " bytes is not a file's", size);
      return NULL;
    }
  if (!shoal_download_store_add_download (self->store, sha1,
                                          size > 0 ? (gint64) size : SHOAL_DOWNLOAD_SIZE_UNKNOWN,
                                          name, &id, &cause))
    {
      set_store_error (error, cause, "cannot queue the download");
      return NULL;
    }
  job = job_new (self, id, sha1, name, size);
  if (size > 0)
    job->plan = shoal_download_plan_new (size);
  if (!job_open_part (job, error))
    {
      g_clear_error (&cause);
      if (!shoal_download_store_remove_download (self->store, id, &cause))
        g_warning ("cannot unqueue %s: %s", name, cause->message);
      return NULL;
    }
  g_debug ("queued %s (%s)", name, job->base32);
  transfers_append (self, job);
  return g_steal_pointer (&job);
}

static gboolean
on_start (gpointer data)
{
  ShoalTransfers *self = data;

  g_clear_pointer (&self->start_source, g_source_unref);
  transfers_schedule (self);
  return G_SOURCE_REMOVE;
}

/* Not at once: whoever made us may set a source filter first. */
static void
transfers_start_later (ShoalTransfers *self)
{
  self->start_source = g_idle_source_new ();
  g_source_set_callback (self->start_source, on_start, self, NULL);
  g_source_attach (self->start_source, self->context);
}

/* Public API ----------------------------------------------------------------------------------- */

ShoalTransfers *
shoal_transfers_new (const char  *data_dir,
                     const char  *download_dir,
                     GError     **error)
{
  g_autoptr(ShoalTransfers) self = NULL;
  g_autoptr(GError) cause = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (download_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (SHOAL_TYPE_TRANSFERS, NULL);
  self->part_dir = g_build_filename (data_dir, SHOAL_TRANSFERS_PART_FOLDER, NULL);
  self->download_dir = g_strdup (download_dir);
  self->store = shoal_download_store_open (data_dir, &cause);
  if (self->store == NULL)
    {
      set_store_error (error, cause, "cannot open the download queue");
      return NULL;
    }
  if (g_mkdir_with_parents (self->part_dir, 0700) != 0)
    {
      set_io_error (error, "cannot create", self->part_dir, errno);
      return NULL;
    }
  if (g_mkdir_with_parents (self->download_dir, 0755) != 0)
    {
      set_io_error (error, "cannot create", self->download_dir, errno);
      return NULL;
    }
  if (!transfers_restore_all (self, error))
    return NULL;
  transfers_start_later (self);
  return g_steal_pointer (&self);
}

GListModel *
shoal_transfers_get_downloads (ShoalTransfers *self)
{
  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), NULL);
  return G_LIST_MODEL (self->downloads);
}

GListModel *
shoal_transfers_get_uploads (ShoalTransfers *self)
{
  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), NULL);
  return self->uploads;
}

guint64
shoal_transfers_get_bytes_downloaded (ShoalTransfers *self)
{
  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), 0);
  return self->bytes_downloaded;
}

void
shoal_transfers_set_rate_limit (ShoalTransfers *self,
                                ShoalRateLimit *limit)
{
  g_return_if_fail (SHOAL_IS_TRANSFERS (self));

  if (limit != NULL)
    shoal_rate_limit_ref (limit);
  g_clear_pointer (&self->rate_limit, shoal_rate_limit_unref);
  self->rate_limit = limit;
  /* Connections the restored downloads opened already. */
  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (self->jobs, i);

      for (guint j = 0; j < job->connections->len; j++)
        {
          Connection *conn = g_ptr_array_index (job->connections, j);

          shoal_http_fetch_set_rate_limit (conn->fetch, limit);
        }
      if (job->hunt != NULL && job->hunt->fetch != NULL)
        shoal_http_fetch_set_rate_limit (job->hunt->fetch, limit);
    }
}

ShoalRateLimit *
shoal_transfers_get_rate_limit (ShoalTransfers *self)
{
  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), NULL);
  return self->rate_limit;
}

void
shoal_transfers_set_source_filter (ShoalTransfers             *self,
                                   ShoalTransfersSourceFilter  filter,
                                   gpointer                    data,
                                   GDestroyNotify              destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (SHOAL_IS_TRANSFERS (self));

  old_destroy = self->source_filter_destroy;
  old_data = self->source_filter_data;
  self->source_filter = filter;
  self->source_filter_data = data;
  self->source_filter_destroy = destroy;
  if (old_destroy != NULL)
    old_destroy (old_data);
  shoal_transfers_refilter_sources (self);
}

void
shoal_transfers_refilter_sources (ShoalTransfers *self)
{
  g_return_if_fail (SHOAL_IS_TRANSFERS (self));

  for (guint i = 0; i < self->jobs->len; i++)
    job_filter_sources (g_ptr_array_index (self->jobs, i));
  /* Sources taken back may be dialled now. */
  transfers_schedule (self);
}

guint64
shoal_transfers_get_refused_sources (ShoalTransfers *self)
{
  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), 0);
  return self->refused_sources;
}

void
shoal_transfers_set_upload_server (ShoalTransfers    *self,
                                   ShoalUploadServer *server)
{
  g_autoptr(GListModel) uploads = NULL;

  g_return_if_fail (SHOAL_IS_TRANSFERS (self));
  g_return_if_fail (server == NULL || SHOAL_IS_UPLOAD_SERVER (server));

  /* The list, not the server: its owner decides when it stops. */
  uploads = server != NULL ? g_object_ref (shoal_upload_server_get_uploads (server))
                           : G_LIST_MODEL (g_list_store_new (SHOAL_TYPE_UPLOAD));
  if (server != NULL && uploads == self->uploads)
    return;
  g_set_object (&self->uploads, uploads);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPLOADS]);
}

ShoalDownload *
shoal_transfers_find (ShoalTransfers *self,
                      const guint8    sha1[SHOAL_SHA1_SIZE])
{
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), NULL);
  g_return_val_if_fail (sha1 != NULL, NULL);

  job = find_job_by_sha1 (self, sha1);
  return job != NULL ? job->download : NULL;
}

ShoalDownload *
shoal_transfers_add_urn (ShoalTransfers  *self,
                         const char      *urn,
                         const char      *name,
                         guint64          size,
                         GError         **error)
{
  g_autoptr(GError) cause = NULL;
  g_autofree char *base32 = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), NULL);
  g_return_val_if_fail (urn != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!shoal_urn_parse_sha1 (urn, strlen (urn), sha1, &cause))
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "not a SHA-1 URN: %s", cause->message);
      return NULL;
    }
  base32 = shoal_base32_encode (sha1, SHOAL_SHA1_SIZE);
  job = transfers_add (self, sha1, name != NULL ? name : base32, size, error);
  if (job == NULL)
    return NULL;
  transfers_schedule (self);
  return g_object_ref (job->download);
}

/* xs and as values that name a host we can dial. */
static gboolean
add_magnet_sources (Job        *job,
                    GPtrArray  *values,
                    GError    **error)
{
  for (guint i = 0; i < values->len; i++)
    {
      const char *value = g_ptr_array_index (values, i);
      ShoalStoredSource sighting = { 0 };

      if (!parse_source_text (value, &sighting.endpoint))
        {
          g_debug ("magnet source '%s' ignored: not an IPv4 HTTP source", value);
          continue;
        }
      if (!job_add_source (job, &sighting, error))
        return FALSE;
    }
  return TRUE;
}

ShoalDownload *
shoal_transfers_add_magnet (ShoalTransfers  *self,
                            const char      *magnet,
                            GError         **error)
{
  g_autoptr(ShoalMagnet) parsed = NULL;
  g_autoptr(GError) cause = NULL;
  g_autofree char *base32 = NULL;
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), NULL);
  g_return_val_if_fail (magnet != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parsed = shoal_magnet_parse (magnet, strlen (magnet), &cause);
  if (parsed == NULL)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "not a magnet: %s", cause->message);
      return NULL;
    }
  if (!parsed->has_sha1)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "the magnet names no urn:sha1: Gnutella sources serve files by SHA-1");
      return NULL;
    }
  base32 = shoal_base32_encode (parsed->sha1, SHOAL_SHA1_SIZE);
  job = transfers_add (self, parsed->sha1,
                       parsed->display_name != NULL ? parsed->display_name : base32,
                       parsed->has_exact_length ? parsed->exact_length : 0, error);
  if (job == NULL ||
      !add_magnet_sources (job, parsed->exact_sources, error) ||
      !add_magnet_sources (job, parsed->acceptable_sources, error))
    return NULL;
  transfers_schedule (self);
  return g_object_ref (job->download);
}

gboolean
shoal_transfers_add_source (ShoalTransfers           *self,
                            const guint8              sha1[SHOAL_SHA1_SIZE],
                            const ShoalIpv4Endpoint  *endpoint,
                            const ShoalGuid          *guid,
                            gint64                    file_index,
                            gboolean                  push_needed,
                            GError                  **error)
{
  ShoalStoredSource sighting = { 0 };
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), FALSE);
  g_return_val_if_fail (sha1 != NULL && endpoint != NULL, FALSE);
  g_return_val_if_fail (file_index <= G_MAXUINT32, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  job = find_job_by_sha1 (self, sha1);
  if (job == NULL)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_NOT_FOUND,
                   "no download of this SHA-1");
      return FALSE;
    }
  sighting.endpoint = *endpoint;
  sighting.has_guid = guid != NULL;
  if (guid != NULL)
    sighting.guid = *guid;
  sighting.has_file_index = file_index >= 0;
  sighting.file_index = file_index >= 0 ? (guint32) file_index : 0;
  sighting.push_needed = push_needed;
  if (!job_add_source (job, &sighting, error))
    return FALSE;
  transfers_schedule (self);
  return TRUE;
}

static Job *
find_job_or_fail (ShoalTransfers  *self,
                  ShoalDownload   *download,
                  guint           *position,
                  GError         **error)
{
  Job *job = find_job_by_download (self, download, position);

  if (job == NULL)
    g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_NOT_FOUND,
                 "%s is not in the download list", shoal_download_get_name (download));
  return job;
}

static gboolean
set_state_error (GError     **error,
                 Job         *job,
                 const char  *action)
{
  g_autoptr(GEnumClass) states = g_type_class_ref (SHOAL_TYPE_DOWNLOAD_STATUS);

  g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_STATE,
               "cannot %s %s: it is %s", action, job->name,
               g_enum_get_value (states, (gint) job->status)->value_nick);
  return FALSE;
}

gboolean
shoal_transfers_pause (ShoalTransfers  *self,
                       ShoalDownload   *download,
                       GError         **error)
{
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), FALSE);
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (download), FALSE);

  job = find_job_or_fail (self, download, NULL, error);
  if (job == NULL)
    return FALSE;
  if (!job_is_active (job))
    return set_state_error (error, job, "pause");
  job_close_connections (job);
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_PAUSED, NULL);
  job_publish_progress (job);
  if (job->plan != NULL)
    job_request_sync (job);
  transfers_schedule (self);
  return TRUE;
}

gboolean
shoal_transfers_resume (ShoalTransfers  *self,
                        ShoalDownload   *download,
                        GError         **error)
{
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), FALSE);
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (download), FALSE);

  job = find_job_or_fail (self, download, NULL, error);
  if (job == NULL)
    return FALSE;
  if (job->status != SHOAL_DOWNLOAD_STATUS_PAUSED)
    return set_state_error (error, job, "resume");
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_QUEUED, NULL);
  transfers_schedule (self);
  return TRUE;
}

gboolean
shoal_transfers_retry (ShoalTransfers  *self,
                       ShoalDownload   *download,
                       GError         **error)
{
  Job *job;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), FALSE);
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (download), FALSE);

  job = find_job_or_fail (self, download, NULL, error);
  if (job == NULL)
    return FALSE;
  if (job->status != SHOAL_DOWNLOAD_STATUS_FAILED)
    return set_state_error (error, job, "retry");
  /* The store's failure counts stay (it has no reset): only this
   * session's count starts over. */
  for (guint i = 0; i < job->sources->len; i++)
    {
      Source *source = g_ptr_array_index (job->sources, i);

      source->failure_base = source->failures;
      source->retry_usec = 0;
      source->push_deadline_usec = 0;
    }
  job->retried_all = FALSE;
  if (job->fd < 0 && !job_open_part (job, error))
    return FALSE;
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_QUEUED, NULL);
  job_publish_sources (job);
  transfers_schedule (self);
  return TRUE;
}

gboolean
shoal_transfers_cancel (ShoalTransfers  *self,
                        ShoalDownload   *download,
                        gboolean         delete_data,
                        GError         **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(Job) job = NULL;
  guint position;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), FALSE);
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (download), FALSE);

  if (find_job_or_fail (self, download, &position, error) == NULL)
    return FALSE;
  job = job_ref (g_ptr_array_index (self->jobs, position));
  if (!shoal_download_store_remove_download (self->store, job->id, &cause))
    return set_store_error (error, cause, "cannot remove the download");
  job_detach (job);
  /* A completed download's partial file is the user's file now. */
  if (delete_data && job->status != SHOAL_DOWNLOAD_STATUS_COMPLETED &&
      g_unlink (job->part_path) != 0 && errno != ENOENT)
    g_warning ("cannot delete %s: %s", job->part_path, g_strerror (errno));
  g_ptr_array_remove_index (self->jobs, position);
  g_list_store_remove (self->downloads, position);
  job->rate = 0;
  job_set_status (job, SHOAL_DOWNLOAD_STATUS_CANCELLED, NULL);
  job_publish_progress (job);
  transfers_schedule (self);
  return TRUE;
}

gboolean
shoal_transfers_take_giv (ShoalTransfers   *self,
                          GIOStream        *stream,
                          const ShoalGuid  *servent_guid,
                          guint32           file_index,
                          const char       *name)
{
  Job *best_job = NULL;
  Source *best = NULL;
  Connection *conn;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (self), FALSE);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), FALSE);
  g_return_val_if_fail (servent_guid != NULL, FALSE);

  /* The source we pushed, preferably for this very file. */
  for (guint i = 0; i < self->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (self->jobs, i);

      if (!job_is_active (job) || job->connections->len >= SHOAL_TRANSFERS_SOURCES_PER_DOWNLOAD)
        continue;
      for (guint k = 0; k < job->sources->len; k++)
        {
          Source *source = g_ptr_array_index (job->sources, k);
          gboolean same_file = source->has_file_index && source->file_index == file_index;

          if (!source->has_guid || !shoal_guid_equal (&source->guid, servent_guid) ||
              source->connected || source->banned || source->refused)
            continue;
          if (best == NULL || (same_file && !(best->has_file_index &&
                                              best->file_index == file_index)))
            {
              best_job = job;
              best = source;
            }
        }
    }
  if (best == NULL || self->n_connections >= SHOAL_TRANSFERS_MAX_CONNECTIONS)
    {
      g_debug ("GIV %u/%s matches no download waiting for it", file_index,
               name != NULL ? name : "");
      return FALSE;
    }
  g_debug ("GIV %u/%s: fetching %s", file_index, name != NULL ? name : "", best_job->name);
  best->push_deadline_usec = 0;
  conn = connection_open (best_job, best, shoal_http_fetch_new_for_stream (stream, NULL));
  connection_fetch_next (conn);
  transfers_schedule (self);
  return TRUE;
}
