/* shoal-upload-server.c — serving shared files and browse-host over HTTP
 * with libmicrohttpd: requests resolved through the library's index,
 * files opened without following anything the index did not vouch for,
 * ranges, upload slots, the library streamed as query hits, and the
 * uploads list reported to the thread that made the server. */
#include "shoal-upload-server.h"

#include "shoal-http-fetch.h"

#include "shoal-http-range.h"
#include "shoal-library-db.h"
#include "shoal-net-types.h"
#include "shoal-rate-limit.h"
#include "shoal-urn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIBRARY_DB_NAME "library.db"
#define URI_RES_N2R_PREFIX "/uri-res/N2R?"
#define GET_PREFIX "/get/"
#define BROWSE_PATH "/"
#define GNUTELLA_PACKETS_TYPE "application/x-gnutella-packets"
#define OCTET_STREAM_TYPE "application/octet-stream"
#define HTML_TYPE "text/html; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define BROWSE_FEATURE "browse/1.0"
#define CONTENT_URN_HEADER "X-Gnutella-Content-URN"
#define ALT_HEADER "X-Alt"
#define FEATURES_HEADER "X-Features"
#define RANGE_UNIT "bytes"
/* RFC 5987 attr-chars that g_uri_escape_string() would escape. */
#define DISPOSITION_SAFE_CHARS "!#$&+^`|"
/* "Sun, 06 Nov 1994 08:49:37 GMT" and its NUL. */
#define HTTP_DATE_MAX 30
/* A file index in /get/: 1 to G_MAXUINT32, at most this many digits. */
#define INDEX_MAX_DIGITS 10
/* Advisory size of the blocks libmicrohttpd asks a browse stream for;
 * it must fit in SHOAL_UPLOAD_SERVER_CONNECTION_MEMORY with the headers. */
#define BROWSE_BLOCK_SIZE 4096
/* Copies of one SHA-1 tried in turn when the first changed on disk. */
#define SHA1_COPIES_TRIED 8
/* Files looked up per step of a browse stream: one query hit's worth. */
#define BROWSE_FILES_PER_STEP SHOAL_HIT_BUILDER_MAX_RECORDS
#define FOLDER_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
/* Non-blocking so that a fifo put in a file's place cannot hang the
 * server's thread on open; set back to blocking once it proved regular. */
#define FILE_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
/* Bytes of a User-Agent kept for the uploads list. */
#define USER_AGENT_MAX_BYTES 256
/* Advisory size of the blocks libmicrohttpd asks a capped file body for:
 * like BROWSE_BLOCK_SIZE, it must fit in the connection's memory. */
#define CAPPED_BLOCK_SIZE 4096

typedef struct _Owner Owner;
typedef struct _UploadRecord UploadRecord;

struct _ShoalUploadServer
{
  GObject            parent_instance;

  char              *db_path;
  /* Read when starting. */
  guint              max_connections;
  guint              max_connections_per_ip;
  guint              connection_timeout;
  /* Read on libmicrohttpd's thread, hence atomics. */
  gint               max_uploads;
  gint               max_uploads_per_ip;
  gint               browse_host;

  struct MHD_Daemon *daemon;           /* NULL when stopped */
  ShoalLibraryDb    *db;               /* libmicrohttpd's thread's own */

  GMutex             lock;             /* guards everything below */
  guint              uploads;          /* slots held */
  GHashTable        *uploads_per_ip;   /* address text → slots held, as a pointer */
  GHashTable        *alt_locations;    /* GBytes sha1 → GArray of ShoalIpv4Endpoint, newest first */
  ShoalHitSelf       hit_self;
  ShoalUploadStats   stats;

  GQueue             unfinished;       /* of UploadRecord: made, not finished, oldest first */
  ShoalRateLimit    *rate_limit;       /* file bodies' cap, NULL: none */
  /* Capped bodies out of tokens: their connections are suspended until
   * a timer on the pacer's thread resumes them (libmicrohttpd has no
   * timers of its own, and its thread must never sleep). */
  GHashTable        *paused;           /* GSource (a reference) → struct MHD_Connection * */
  gboolean           pacing_stopped;   /* stop() resumed them all: no more pauses */
  GMainContext      *pacer_context;    /* NULL until a body first waits */
  GMainLoop         *pacer_loop;
  GThread           *pacer_thread;

  /* The uploads list: the owner's thread only. */
  Owner             *owner;
  GListStore        *upload_list;      /* of ShoalUpload */
  GQueue             finished;         /* of ShoalUpload still listed, oldest first */
  GSource           *tick_source;
};

enum
{
  PROP_0,
  PROP_DATA_DIR,
  PROP_MAX_UPLOADS,
  PROP_MAX_UPLOADS_PER_IP,
  PROP_BROWSE_HOST,
  PROP_MAX_CONNECTIONS,
  PROP_MAX_CONNECTIONS_PER_IP,
  PROP_CONNECTION_TIMEOUT,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_UPLOAD_STARTED,
  SIGNAL_UPLOAD_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalUploadServer, shoal_upload_server, G_TYPE_OBJECT)

/* One connection (socket context): its address, and whether it holds an
 * upload slot. A slot, once taken, stays with the connection until it
 * closes, so a downloader fetching range after range over keep-alive is
 * not cut off between two requests by someone else taking its slot. */
typedef struct
{
  char          address[INET6_ADDRSTRLEN];
  int           fd;          /* libmicrohttpd's socket, -1 if it did not say */
  gboolean      holds_slot;
  UploadRecord *upload;      /* its current upload, or NULL */
} Peer;

/* One request (libmicrohttpd's request context). */
typedef struct
{
  char         *uri;          /* as sent, still escaped */
  gboolean      headers_seen;
  gboolean      answered;
  guint64       body_length;  /* counted as served once sent in full */
  guint64       body_start;   /* where in the file the body starts */
  guint32       file_index;   /* the file it is from, 0 for browse host */
  UploadRecord *upload;       /* the upload its body belongs to, or NULL */
} Request;

/* What a handler answers. */
typedef struct
{
  guint                status;
  struct MHD_Response *response;
} Answer;

/* Statistics and slots ------------------------------------------------------- */

static void
count_answer (ShoalUploadServer *self,
              guint              status)
{
  g_mutex_lock (&self->lock);
  self->stats.requests++;
  switch (status)
    {
    case MHD_HTTP_BAD_REQUEST:
      self->stats.bad_requests++;
      break;
    case MHD_HTTP_NOT_FOUND:
      self->stats.not_found++;
      break;
    case MHD_HTTP_RANGE_NOT_SATISFIABLE:
      self->stats.range_errors++;
      break;
    case MHD_HTTP_SERVICE_UNAVAILABLE:
      self->stats.refused++;
      break;
    default:
      break;
    }
  g_mutex_unlock (&self->lock);
}

static void
count_bytes_served (ShoalUploadServer *self,
                    guint64            bytes)
{
  g_mutex_lock (&self->lock);
  self->stats.bytes_served += bytes;
  g_mutex_unlock (&self->lock);
}

static gboolean
acquire_slot (ShoalUploadServer *self,
              Peer              *peer)
{
  guint per_ip;
  gboolean granted;

  if (peer == NULL)
    return FALSE;
  if (peer->holds_slot)
    return TRUE;
  g_mutex_lock (&self->lock);
  per_ip = GPOINTER_TO_UINT (g_hash_table_lookup (self->uploads_per_ip, peer->address));
  granted = self->uploads < (guint) g_atomic_int_get (&self->max_uploads) &&
            per_ip < (guint) g_atomic_int_get (&self->max_uploads_per_ip);
  if (granted)
    {
      self->uploads++;
      g_hash_table_insert (self->uploads_per_ip, g_strdup (peer->address),
                           GUINT_TO_POINTER (per_ip + 1));
      peer->holds_slot = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return granted;
}

static void
release_slot (ShoalUploadServer *self,
              Peer              *peer)
{
  guint per_ip;

  if (!peer->holds_slot)
    return;
  g_mutex_lock (&self->lock);
  per_ip = GPOINTER_TO_UINT (g_hash_table_lookup (self->uploads_per_ip, peer->address));
  if (per_ip <= 1)
    g_hash_table_remove (self->uploads_per_ip, peer->address);
  else
    g_hash_table_insert (self->uploads_per_ip, g_strdup (peer->address),
                         GUINT_TO_POINTER (per_ip - 1));
  self->uploads--;
  g_mutex_unlock (&self->lock);
  peer->holds_slot = FALSE;
}

/* Uploads, as libmicrohttpd's thread records them ---------------------------- */

/* The owner's side as reports in flight reach it: they hold it, so it
 * outlives the server, and @server tells them whether the server is
 * still there. */
struct _Owner
{
  gint               ref_count;  /* atomic */
  GMainContext      *context;    /* the thread-default one of whoever made the server */
  ShoalUploadServer *server;     /* read and cleared on that context only */
};

/* Guarded by the server's lock: libmicrohttpd's thread writes it as
 * requests come and go, the owner's thread copies it. */
typedef struct
{
  guint64  range_start;
  guint64  range_end;
  guint64  done;          /* bodies sent in full */
  guint    requests;      /* bodies answered */
  guint    completed;     /* of them, those that ended, in full or not */
  gboolean failed;        /* one was cut short */
  gboolean ended;         /* its connection closed or went on with another file */
  gboolean stopped;       /* cancel() shut its connection down */
} UploadProgress;

/* One upload: one connection's GETs of one file. A single allocation,
 * its name and User-Agent included, made on libmicrohttpd's thread and
 * posted once to the owner's thread, which alone turns it into a
 * ShoalUpload. */
struct _UploadRecord
{
  gint            ref_count;   /* atomic */
  Owner          *owner;
  UploadRecord   *previous;    /* the one this one ended, reported with it */
  GList           link;        /* in the server's unfinished queue (lock) */
  /* Its connection's socket until it ends, then -1 (lock). libmicrohttpd
   * tells of a close, which ends the upload under the lock, before it
   * closes the socket: read under the lock, the descriptor is never one
   * that another connection reused. */
  int             fd;
  /* Constant once posted. */
  guint32         file_index;
  guint8          sha1[SHOAL_SHA1_SIZE];
  guint64         size;
  char            peer[INET6_ADDRSTRLEN];
  const char     *name;        /* in @text */
  const char     *user_agent;  /* in @text, or NULL */
  UploadProgress  progress;
  /* The owner's thread only. */
  ShoalUpload    *upload;      /* from when it is reported started until finished */
  gboolean        finished;
  double          rate;
  gint64          rate_usec;
  guint64         rated_done;
  char            text[];      /* name, NUL, User-Agent, NUL */
};

static Owner *
owner_new (ShoalUploadServer *server)
{
  Owner *owner = g_new0 (Owner, 1);

  owner->ref_count = 1;
  owner->context = g_main_context_ref_thread_default ();
  owner->server = server;
  return owner;
}

static void
owner_unref (Owner *owner)
{
  if (!g_atomic_int_dec_and_test (&owner->ref_count))
    return;
  g_main_context_unref (owner->context);
  g_free (owner);
}

static UploadRecord *
upload_record_new (Owner                  *owner,
                   const Peer             *peer,
                   const ShoalLibraryFile *file,
                   const char             *user_agent)
{
  gsize name_size = strlen (file->name) + 1;
  gsize agent_size = user_agent != NULL ? MIN (strlen (user_agent), USER_AGENT_MAX_BYTES) + 1 : 0;
  UploadRecord *record = g_malloc0 (sizeof (UploadRecord) + name_size + agent_size);

  record->ref_count = 1;
  g_atomic_int_inc (&owner->ref_count);
  record->owner = owner;
  record->file_index = file->index;
  memcpy (record->sha1, file->sha1, SHOAL_SHA1_SIZE);
  record->size = file->stat.size;
  memcpy (record->peer, peer->address, sizeof record->peer);
  record->fd = peer->fd;
  memcpy (record->text, file->name, name_size);
  record->name = record->text;
  if (user_agent != NULL)
    {
      /* Cut to size, maybe inside a character: made UTF-8 later. */
      memcpy (record->text + name_size, user_agent, agent_size - 1);
      record->user_agent = record->text + name_size;
    }
  return record;
}

static UploadRecord *
upload_record_ref (UploadRecord *record)
{
  g_atomic_int_inc (&record->ref_count);
  return record;
}

/* The last reference may go on either thread: by then the owner's thread
 * has finished with it (its ShoalUpload is gone) or never will. */
static void
upload_record_unref (UploadRecord *record)
{
  if (!g_atomic_int_dec_and_test (&record->ref_count))
    return;
  if (record->previous != NULL)
    upload_record_unref (record->previous);
  owner_unref (record->owner);
  g_free (record);
}

static gboolean on_upload_report (gpointer data);

/* Hands @record (and the reference) to the owner's thread, always through
 * its loop: g_main_context_invoke() would run the report right here, on
 * libmicrohttpd's thread, whenever nobody holds the owner's context. */
static void
post_upload_report (UploadRecord *record)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, on_upload_report, record, (GDestroyNotify) upload_record_unref);
  g_source_attach (source, record->owner->context);
}

/* Called with the lock held. A connection that closes with a body still
 * going out failed, whichever of the two libmicrohttpd tells first. */
static void
end_upload_locked (UploadRecord *record)
{
  record->progress.ended = TRUE;
  record->fd = -1;
  if (record->progress.completed < record->progress.requests)
    record->progress.failed = TRUE;
}

/* A GET of @file is answered with bytes @start to @start + @length - 1.
 * The connection's upload goes on if it is of the same file; else a new
 * one starts, ending the former, and is posted: one allocation and one
 * post at most per request, none for the next range of a file. */
static void
begin_upload_request (ShoalUploadServer      *self,
                      struct MHD_Connection  *connection,
                      Peer                   *peer,
                      Request                *request,
                      const ShoalLibraryFile *file,
                      guint64                 start,
                      guint64                 length)
{
  UploadRecord *record = peer->upload;
  UploadRecord *previous = NULL;
  gboolean same_file = record != NULL && record->file_index == file->index &&
                       memcmp (record->sha1, file->sha1, SHOAL_SHA1_SIZE) == 0;

  if (!same_file)
    {
      const char *user_agent = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                            MHD_HTTP_HEADER_USER_AGENT);

      previous = g_steal_pointer (&peer->upload);
      record = upload_record_new (self->owner, peer, file, user_agent);
      record->previous = previous;
      peer->upload = record;
    }
  g_mutex_lock (&self->lock);
  if (previous != NULL)
    end_upload_locked (previous);
  if (!same_file)
    {
      record->link.data = upload_record_ref (record);
      g_queue_push_tail_link (&self->unfinished, &record->link);
    }
  record->progress.range_start = start;
  record->progress.range_end = start + length - 1;
  record->progress.requests++;
  g_mutex_unlock (&self->lock);
  request->upload = upload_record_ref (record);
  if (!same_file)
    post_upload_report (upload_record_ref (record));
}

static void
complete_upload_request (ShoalUploadServer *self,
                         Request           *request,
                         gboolean           sent_in_full)
{
  UploadRecord *record = g_steal_pointer (&request->upload);

  g_mutex_lock (&self->lock);
  record->progress.completed++;
  if (sent_in_full)
    record->progress.done += request->body_length;
  else
    record->progress.failed = TRUE;
  g_mutex_unlock (&self->lock);
  upload_record_unref (record);
}

static void
end_connection_upload (ShoalUploadServer *self,
                       Peer              *peer)
{
  UploadRecord *record = g_steal_pointer (&peer->upload);

  if (record == NULL)
    return;
  g_mutex_lock (&self->lock);
  end_upload_locked (record);
  g_mutex_unlock (&self->lock);
  post_upload_report (record);
}

/* Uploads, as the owner's thread lists them ---------------------------------- */

static void
update_upload_rate (UploadRecord *record,
                    guint64       done)
{
  gint64 now = g_get_monotonic_time ();
  double seconds = (double) (now - record->rate_usec) / G_USEC_PER_SEC;
  double alpha;

  if (seconds <= 0)
    return;
  alpha = seconds / (SHOAL_UPLOAD_SERVER_RATE_WINDOW_S + seconds);
  record->rate += alpha * ((double) (done - record->rated_done) / seconds - record->rate);
  record->rated_done = done;
  record->rate_usec = now;
}

/* The list holds every finished upload until it is among the oldest. */
static void
drop_old_finished (ShoalUploadServer *self)
{
  while (self->finished.length > SHOAL_UPLOAD_SERVER_KEEP_FINISHED)
    {
      g_autoptr(ShoalUpload) oldest = g_queue_pop_head (&self->finished);
      guint position;

      if (g_list_store_find (self->upload_list, oldest, &position))
        g_list_store_remove (self->upload_list, position);
    }
}

static gboolean
upload_id_listed (ShoalUploadServer *self,
                  guint64            id)
{
  GListModel *list = G_LIST_MODEL (self->upload_list);
  guint n_items = g_list_model_get_n_items (list);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(ShoalUpload) upload = g_list_model_get_item (list, i);

      if (shoal_upload_get_id (upload) == id)
        return TRUE;
    }
  return FALSE;
}

/* Drawn, not counted: front ends name an upload by the start of its id,
 * as they name a download by the start of its SHA-1, and counted ids
 * share their first digits (the start of one is often another's whole). */
static guint64
draw_upload_id (ShoalUploadServer *self)
{
  guint64 id;

  do
    id = (guint64) g_random_int () << 32 | g_random_int ();
  while (id == 0 || upload_id_listed (self, id));
  return id;
}

static void
start_upload (ShoalUploadServer    *self,
              UploadRecord         *record,
              const UploadProgress *progress)
{
  record->upload = shoal_upload_new (draw_upload_id (self), record->peer, record->name,
                                     record->sha1, record->size, record->user_agent);
  record->rate_usec = g_get_monotonic_time ();
  shoal_upload_set_progress (record->upload, progress->range_start, progress->range_end,
                             progress->done, 0);
  g_list_store_append (self->upload_list, record->upload);
  g_signal_emit (self, signals[SIGNAL_UPLOAD_STARTED], 0, record->upload);
}

static ShoalUploadState
final_state (const UploadProgress *progress)
{
  if (progress->stopped)
    return SHOAL_UPLOAD_STATE_STOPPED;
  return progress->failed ? SHOAL_UPLOAD_STATE_FAILED : SHOAL_UPLOAD_STATE_DONE;
}

static void
finish_upload (ShoalUploadServer    *self,
               UploadRecord         *record,
               const UploadProgress *progress)
{
  g_autoptr(ShoalUpload) upload = g_steal_pointer (&record->upload);

  record->finished = TRUE;
  g_mutex_lock (&self->lock);
  g_queue_unlink (&self->unfinished, &record->link);
  g_mutex_unlock (&self->lock);
  upload_record_unref (record);  /* the queue's; the caller holds another */
  g_queue_push_tail (&self->finished, g_object_ref (upload));
  shoal_upload_set_progress (upload, progress->range_start, progress->range_end,
                             progress->done, 0);
  shoal_upload_set_state (upload, final_state (progress));
  g_signal_emit (self, signals[SIGNAL_UPLOAD_FINISHED], 0, upload);
  drop_old_finished (self);
}

static void set_ticking (ShoalUploadServer *self,
                         gboolean           ticking);

/* Brings @record's ShoalUpload up to what libmicrohttpd's thread wrote:
 * starts it if it was not yet, finishes it if it ended. Reports, the
 * tick and stop() all come here, in any order, any number of times. */
static void
sync_upload (ShoalUploadServer *self,
             UploadRecord      *record,
             gboolean           tick)
{
  UploadProgress progress;

  if (record->previous != NULL)
    {
      sync_upload (self, record->previous, FALSE);
      g_clear_pointer (&record->previous, upload_record_unref);
    }
  if (record->finished)
    return;
  g_mutex_lock (&self->lock);
  progress = record->progress;
  g_mutex_unlock (&self->lock);
  if (record->upload == NULL)
    start_upload (self, record, &progress);
  if (record->finished)
    return;  /* a handler stopped the server */
  if (progress.ended || progress.stopped)
    {
      finish_upload (self, record, &progress);
      return;
    }
  if (tick)
    update_upload_rate (record, progress.done);
  shoal_upload_set_progress (record->upload, progress.range_start, progress.range_end,
                             progress.done, (guint64) record->rate);
  shoal_upload_set_state (record->upload, progress.completed < progress.requests
                                          ? SHOAL_UPLOAD_STATE_SENDING
                                          : SHOAL_UPLOAD_STATE_WAITING);
  set_ticking (self, TRUE);
}

/* Every upload not finished, reported or not; walked from a copy, as
 * handlers may stop the server, which finishes them. */
static void
sync_unfinished_uploads (ShoalUploadServer *self,
                         gboolean           tick)
{
  g_autoptr(GPtrArray) unfinished = g_ptr_array_new_with_free_func ((GDestroyNotify) upload_record_unref);
  gboolean none_left;

  g_mutex_lock (&self->lock);
  for (GList *link = self->unfinished.head; link != NULL; link = link->next)
    g_ptr_array_add (unfinished, upload_record_ref (link->data));
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < unfinished->len; i++)
    sync_upload (self, g_ptr_array_index (unfinished, i), tick);
  g_mutex_lock (&self->lock);
  none_left = self->unfinished.length == 0;
  g_mutex_unlock (&self->lock);
  if (none_left)
    set_ticking (self, FALSE);
}

static gboolean
on_upload_tick (gpointer data)
{
  ShoalUploadServer *self = data;

  sync_unfinished_uploads (self, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
set_ticking (ShoalUploadServer *self,
             gboolean           ticking)
{
  if (ticking && self->tick_source == NULL)
    {
      self->tick_source = g_timeout_source_new (SHOAL_UPLOAD_SERVER_TICK_MS);
      g_source_set_callback (self->tick_source, on_upload_tick, self, NULL);
      g_source_attach (self->tick_source, self->owner->context);
    }
  else if (!ticking && self->tick_source != NULL)
    {
      g_source_destroy (self->tick_source);
      g_clear_pointer (&self->tick_source, g_source_unref);
    }
}

/* On the owner's context. The server may be gone: its owner dropped it
 * with reports in flight. */
static gboolean
on_upload_report (gpointer data)
{
  UploadRecord *record = data;
  ShoalUploadServer *self = record->owner->server;

  if (self != NULL)
    sync_upload (self, record, FALSE);
  return G_SOURCE_REMOVE;
}

/* Headers --------------------------------------------------------------------- */

static void
add_header (struct MHD_Response *response,
            const char          *name,
            const char          *value)
{
  /* libmicrohttpd refuses values with line breaks; ours never have any. */
  if (MHD_add_response_header (response, name, value) != MHD_YES)
    g_debug ("header %s refused", name);
}

/* On every answer, as gtk-gnutella does. */
static void
add_common_headers (ShoalUploadServer   *self,
                    struct MHD_Response *response)
{
  add_header (response, MHD_HTTP_HEADER_SERVER, SHOAL_USER_AGENT);
  if (g_atomic_int_get (&self->browse_host))
    add_header (response, FEATURES_HEADER, BROWSE_FEATURE);
}

/* RFC 7231 IMF-fixdate, by hand: strftime and GDateTime name days and
 * months in the user's language. */
static gboolean
format_http_date (gint64 usec,
                  char   buffer[HTTP_DATE_MAX])
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  };
  g_autoptr(GDateTime) date_time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  if (date_time == NULL)
    return FALSE;
  g_snprintf (buffer, HTTP_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT",
              days[g_date_time_get_day_of_week (date_time) - 1],
              g_date_time_get_day_of_month (date_time),
              months[g_date_time_get_month (date_time) - 1],
              g_date_time_get_year (date_time),
              g_date_time_get_hour (date_time),
              g_date_time_get_minute (date_time),
              g_date_time_get_second (date_time));
  return TRUE;
}

static void
add_urn_header (struct MHD_Response    *response,
                const ShoalLibraryFile *file)
{
  g_autofree char *urn = NULL;

  if (file == NULL || !file->has_sha1)
    return;
  urn = shoal_urn_format_sha1 (file->sha1);
  add_header (response, CONTENT_URN_HEADER, urn);
}

/* "ip:port, ip:port" of the other sources we know, or NULL. */
static char *
format_alt_locations (ShoalUploadServer *self,
                      const guint8       sha1[SHOAL_SHARE_SHA1_SIZE])
{
  g_autoptr(GBytes) key = g_bytes_new (sha1, SHOAL_SHARE_SHA1_SIZE);
  g_autoptr(GString) text = NULL;
  GArray *endpoints;

  g_mutex_lock (&self->lock);
  endpoints = g_hash_table_lookup (self->alt_locations, key);
  for (guint i = 0; endpoints != NULL && i < endpoints->len; i++)
    {
      char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];

      if (text == NULL)
        text = g_string_new (NULL);
      else
        g_string_append (text, ", ");
      g_string_append (text, shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, i),
                                                         TRUE, buffer));
    }
  g_mutex_unlock (&self->lock);
  return text != NULL ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* What gtk-gnutella sends with a file, and Accept-Ranges. */
static void
add_file_headers (ShoalUploadServer      *self,
                  struct MHD_Response    *response,
                  const ShoalLibraryFile *file)
{
  g_autofree char *escaped = g_uri_escape_string (file->name, DISPOSITION_SAFE_CHARS, FALSE);
  g_autofree char *disposition = g_strdup_printf ("inline; filename*=\"utf-8'en'%s\"", escaped);
  g_autofree char *alt = format_alt_locations (self, file->sha1);
  char date[HTTP_DATE_MAX];

  add_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, OCTET_STREAM_TYPE);
  add_header (response, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
  if (format_http_date (file->stat.mtime_usec, date))
    add_header (response, MHD_HTTP_HEADER_LAST_MODIFIED, date);
  add_urn_header (response, file);
  if (alt != NULL)
    add_header (response, ALT_HEADER, alt);
  add_header (response, MHD_HTTP_HEADER_ACCEPT_RANGES, RANGE_UNIT);
}

/* Short answers ------------------------------------------------------------------ */

/* An answer without a file: @reason as a line of text (libmicrohttpd
 * writes the standard reason phrase; gtk-gnutella's own goes here), the
 * file's URN when the request named a known file. */
static Answer
answer_text (ShoalUploadServer      *self,
             guint                   status,
             const char             *reason,
             const ShoalLibraryFile *file)
{
  g_autofree char *body = g_strconcat (reason, "\n", NULL);
  Answer answer = { status, NULL };

  answer.response = MHD_create_response_from_buffer (strlen (body), body, MHD_RESPMEM_MUST_COPY);
  add_common_headers (self, answer.response);
  add_header (answer.response, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_TYPE);
  add_urn_header (answer.response, file);
  return answer;
}

static Answer
answer_unavailable (ShoalUploadServer      *self,
                    const char             *reason,
                    const ShoalLibraryFile *file)
{
  Answer answer = answer_text (self, MHD_HTTP_SERVICE_UNAVAILABLE, reason, file);
  g_autofree char *retry_after = g_strdup_printf ("%u", SHOAL_UPLOAD_SERVER_RETRY_AFTER_SECONDS);

  add_header (answer.response, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
  return answer;
}

/* Opening shared files ----------------------------------------------------------------- */

static gboolean
is_plain_name (const char *name)
{
  return name[0] != '\0' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0;
}

static void
close_keeping_errno (int fd)
{
  int saved_errno = errno;

  close (fd);
  errno = saved_errno;
}

/* Opens @relpath below @root_fd following no link at all: each folder
 * with O_NOFOLLOW | O_DIRECTORY, then the file with O_NOFOLLOW. -1 with
 * errno (ELOOP or ENOTDIR where a link stands in the way). */
static int
open_below (int         root_fd,
            const char *relpath)
{
  g_auto(GStrv) names = g_strsplit (relpath, "/", -1);
  guint n_names = g_strv_length (names);
  int dir_fd = root_fd;
  int fd = -1;

  errno = EINVAL;
  for (guint i = 0; i < n_names; i++)
    {
      gboolean last = i + 1 == n_names;

      if (!is_plain_name (names[i]))
        {
          errno = EINVAL;
          fd = -1;
        }
      else
        fd = openat (dir_fd, names[i], last ? FILE_OPEN_FLAGS : FOLDER_OPEN_FLAGS);
      if (dir_fd != root_fd)
        close_keeping_errno (dir_fd);
      if (fd < 0 || last)
        break;
      dir_fd = fd;
    }
  return fd;
}

/* The part of @path below @root, or NULL when @path is not strictly
 * inside it; both canonical. */
static const char *
path_below (const char *root,
            const char *path)
{
  gsize length = strlen (root);

  if (strcmp (root, "/") == 0)
    return path + 1;
  if (strncmp (path, root, length) != 0 || path[length] != '/')
    return NULL;
  return path + length + 1;
}

/* The scanner shares a link whose target lies inside the root (and
 * indexes what the target is): such a file is opened by its resolved
 * path, after the same check, and that path has no links left to follow. */
static int
open_through_links (const char *root,
                    const char *relpath)
{
  g_autofree char *path = g_build_filename (root, relpath, NULL);
  g_autofree char *resolved = realpath (path, NULL);
  g_autofree char *resolved_root = realpath (root, NULL);
  const char *below;
  int root_fd;
  int fd;

  if (resolved == NULL || resolved_root == NULL)
    return -1;
  below = path_below (resolved_root, resolved);
  if (below == NULL)
    {
      g_debug ("%s leads out of its shared folder", relpath);
      errno = EPERM;
      return -1;
    }
  root_fd = open (resolved_root, FOLDER_OPEN_FLAGS);
  if (root_fd < 0)
    return -1;
  fd = open_below (root_fd, below);
  close_keeping_errno (root_fd);
  return fd;
}

static void
file_stat_from_stat (const struct stat *st,
                     ShoalFileStat     *file_stat)
{
  file_stat->size = (guint64) st->st_size;
  file_stat->mtime_usec = (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
  file_stat->inode = (guint64) st->st_ino;
}

/* The descriptor of @file as it was indexed, or -1: what stands at its
 * path must be a regular file with the size, mtime and inode that were
 * hashed, or its SHA-1 and everything we announced about it could be
 * false. */
static int
open_indexed_file (ShoalUploadServer      *self,
                   const ShoalLibraryFile *file)
{
  g_autofree char *root = shoal_library_db_get_root_path (self->db, file->root_id, NULL);
  ShoalFileStat file_stat;
  struct stat st;
  int root_fd;
  int fd;

  if (root == NULL)
    return -1;
  root_fd = open (root, FOLDER_OPEN_FLAGS & ~O_NOFOLLOW);
  if (root_fd < 0)
    return -1;
  fd = open_below (root_fd, file->relpath);
  close_keeping_errno (root_fd);
  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
    fd = open_through_links (root, file->relpath);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return -1;
    }
  file_stat_from_stat (&st, &file_stat);
  if (!shoal_file_stat_equal (&file_stat, &file->stat) ||
      fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) != 0)
    {
      g_debug ("%s changed since it was indexed", file->relpath);
      close (fd);
      return -1;
    }
  return fd;
}

/* Serving files --------------------------------------------------------------------- */

/* @file, open as @fd (which the answer owns), whole or the range asked. */
/* A downloader tells us in X-Alt where else it found the file: the next
 * downloaders hear of those sources from us (the download mesh). */
static void
learn_alt_locations (ShoalUploadServer      *self,
                     struct MHD_Connection  *connection,
                     const ShoalLibraryFile *file)
{
  const char *value = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, ALT_HEADER);
  g_autoptr(GArray) endpoints = NULL;

  if (value == NULL || !file->has_sha1)
    return;
  endpoints = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  shoal_http_parse_x_alt (value, endpoints);
  for (guint i = 0; i < MIN (endpoints->len, SHOAL_UPLOAD_SERVER_MAX_ALT_LOCATIONS); i++)
    shoal_upload_server_add_alt_location (self, file->sha1,
                                          &g_array_index (endpoints, ShoalIpv4Endpoint, i));
}

/* Capped bodies ---------------------------------------------------------------------- */

/* A file body sent at the pace the rate limit grants, read with pread()
 * as libmicrohttpd asks for it; the answer owns the descriptor. */
typedef struct
{
  ShoalUploadServer     *server;      /* outlives it: stop() closes every connection */
  ShoalRateLimit        *limit;
  struct MHD_Connection *connection;
  int                    fd;
  guint64                offset;      /* of the body's first byte in the file */
  guint64                length;
} CappedBody;

static void
capped_body_free (void *data)
{
  CappedBody *body = data;

  close (body->fd);
  shoal_rate_limit_unref (body->limit);
  g_free (body);
}

static gpointer
run_pacer (gpointer data)
{
  g_main_loop_run (data);
  return NULL;
}

static gboolean
quit_pacer (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* On the pacer's thread: the connection goes on, unless stop() resumed
 * it already. */
static gboolean
on_pause_over (gpointer data)
{
  ShoalUploadServer *self = data;
  GSource *source = g_main_current_source ();
  gpointer connection = NULL;
  gboolean mine;

  g_mutex_lock (&self->lock);
  mine = g_hash_table_steal_extended (self->paused, source, NULL, &connection);
  g_mutex_unlock (&self->lock);
  if (mine)
    {
      MHD_resume_connection (connection);
      g_source_unref (source);
    }
  return G_SOURCE_REMOVE;
}

/* Suspends @body's connection for as long as the tokens for @wanted
 * bytes take; FALSE when the server is stopping. Suspended before the
 * timer exists, so that it cannot resume a connection not suspended yet. */
static gboolean
pause_body (ShoalUploadServer *self,
            CappedBody        *body,
            gsize              wanted)
{
  guint delay_ms = MAX (shoal_rate_limit_get_delay_ms (body->limit, wanted), 1);
  GSource *timer;

  g_mutex_lock (&self->lock);
  if (self->pacing_stopped)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (self->pacer_context == NULL)
    {
      self->pacer_context = g_main_context_new ();
      self->pacer_loop = g_main_loop_new (self->pacer_context, FALSE);
      self->pacer_thread = g_thread_new ("shoal-upload-pacer", run_pacer, self->pacer_loop);
    }
  MHD_suspend_connection (body->connection);
  timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (timer, on_pause_over, self, NULL);
  g_hash_table_insert (self->paused, timer, body->connection);
  g_source_attach (timer, self->pacer_context);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static ssize_t
capped_body_read (void     *data,
                  uint64_t  position,
                  char     *buffer,
                  size_t    max)
{
  CappedBody *body = data;
  gsize wanted;
  gsize granted;
  ssize_t n_read;

  if (position >= body->length)
    return MHD_CONTENT_READER_END_OF_STREAM;
  wanted = (gsize) MIN ((guint64) max, body->length - position);
  granted = shoal_rate_limit_take (body->limit, wanted);
  if (granted == 0)
    /* Zero with the connection suspended: no busy loop. */
    return pause_body (body->server, body, wanted) ? 0 : MHD_CONTENT_READER_END_WITH_ERROR;
  do
    n_read = pread (body->fd, buffer, granted, (off_t) (body->offset + position));
  while (n_read < 0 && errno == EINTR);
  if (n_read < (ssize_t) granted)
    shoal_rate_limit_give_back (body->limit, granted - (gsize) MAX (n_read, 0));
  /* Shorter than when it was opened and checked: the answer cannot be
   * what its Content-Length said. */
  if (n_read <= 0)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  return n_read;
}

/* The file body's cap, when one is set and not lifted. */
static ShoalRateLimit *
ref_active_rate_limit (ShoalUploadServer *self)
{
  ShoalRateLimit *limit = NULL;

  g_mutex_lock (&self->lock);
  if (self->rate_limit != NULL)
    limit = shoal_rate_limit_ref (self->rate_limit);
  g_mutex_unlock (&self->lock);
  if (limit != NULL && shoal_rate_limit_get_rate (limit) == 0)
    g_clear_pointer (&limit, shoal_rate_limit_unref);
  return limit;
}

/* Under a cap, a body read by the pace; without one, libmicrohttpd sends
 * it with sendfile() and closes @fd with the response. */
static struct MHD_Response *
create_body_response (ShoalUploadServer     *self,
                      struct MHD_Connection *connection,
                      int                    fd,
                      guint64                offset,
                      guint64                length)
{
  ShoalRateLimit *limit = ref_active_rate_limit (self);
  struct MHD_Response *response;
  CappedBody *body;

  if (limit == NULL)
    return MHD_create_response_from_fd_at_offset64 (length, fd, offset);
  body = g_new0 (CappedBody, 1);
  body->server = self;
  body->limit = limit;
  body->connection = connection;
  body->fd = fd;
  body->offset = offset;
  body->length = length;
  response = MHD_create_response_from_callback (length, CAPPED_BLOCK_SIZE, capped_body_read,
                                                body, capped_body_free);
  if (response == NULL)
    {
      /* The caller closes @fd. */
      shoal_rate_limit_unref (limit);
      g_free (body);
    }
  return response;
}

/* Resumes every paused connection (libmicrohttpd must not stop with any
 * suspended) and ends the pacer's thread, after which no timer can
 * resume one. Later bodies out of tokens end instead of pausing. */
static void
stop_pacing (ShoalUploadServer *self)
{
  g_autoptr(GHashTable) paused = NULL;
  GHashTableIter iter;
  gpointer source;
  gpointer connection;

  g_mutex_lock (&self->lock);
  self->pacing_stopped = TRUE;
  paused = g_steal_pointer (&self->paused);
  self->paused = g_hash_table_new (NULL, NULL);
  g_mutex_unlock (&self->lock);
  g_hash_table_iter_init (&iter, paused);
  while (g_hash_table_iter_next (&iter, &source, &connection))
    {
      g_source_destroy (source);
      MHD_resume_connection (connection);
      g_source_unref (source);
    }
  if (self->pacer_thread == NULL)
    return;
  g_main_context_invoke (self->pacer_context, quit_pacer, self->pacer_loop);
  g_thread_join (g_steal_pointer (&self->pacer_thread));
  g_clear_pointer (&self->pacer_loop, g_main_loop_unref);
  g_clear_pointer (&self->pacer_context, g_main_context_unref);
}

static Answer
answer_file (ShoalUploadServer      *self,
             struct MHD_Connection  *connection,
             Peer                   *peer,
             Request                *request,
             const ShoalLibraryFile *file,
             int                     fd,
             gboolean                head)
{
  const char *range_header = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_RANGE);
  char content_range[SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX];
  ShoalHttpRange range = { 0, 0 };
  ShoalHttpRangeOutcome outcome;
  Answer answer = { MHD_HTTP_OK, NULL };
  guint64 length;

  learn_alt_locations (self, connection, file);
  outcome = shoal_http_range_parse (range_header, file->stat.size, &range);
  if (outcome == SHOAL_HTTP_RANGE_UNSATISFIABLE)
    {
      close (fd);
      answer = answer_text (self, MHD_HTTP_RANGE_NOT_SATISFIABLE, "Requested Range Not Satisfiable", file);
      add_header (answer.response, MHD_HTTP_HEADER_CONTENT_RANGE,
                  shoal_http_range_format_unsatisfied (file->stat.size, content_range));
      return answer;
    }
  if (!head && !acquire_slot (self, peer))
    {
      close (fd);
      return answer_unavailable (self, "All Upload Slots Taken", file);
    }
  if (outcome == SHOAL_HTTP_RANGE_WHOLE)
    {
      range.first = 0;
      length = file->stat.size;
    }
  else
    length = shoal_http_range_length (&range);

  answer.response = create_body_response (self, connection, fd, range.first, length);
  if (answer.response == NULL)
    {
      close (fd);
      return answer_text (self, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot Send File", file);
    }
  add_common_headers (self, answer.response);
  add_file_headers (self, answer.response, file);
  if (outcome == SHOAL_HTTP_RANGE_PARTIAL)
    {
      answer.status = MHD_HTTP_PARTIAL_CONTENT;
      add_header (answer.response, MHD_HTTP_HEADER_CONTENT_RANGE,
                  shoal_http_range_format (&range, file->stat.size, content_range));
    }
  request->body_length = head ? 0 : length;
  request->body_start = range.first;
  request->file_index = file->index;
  if (request->body_length > 0)
    begin_upload_request (self, connection, peer, request, file, range.first, length);
  return answer;
}

/* "/uri-res/N2R?urn:sha1:<base32>", the query maybe percent-escaped. */
static Answer
answer_urn (ShoalUploadServer     *self,
            struct MHD_Connection *connection,
            Peer                  *peer,
            Request               *request,
            gboolean               head)
{
  g_autofree char *urn = g_uri_unescape_string (request->uri + strlen (URI_RES_N2R_PREFIX), NULL);
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  if (urn == NULL || !shoal_urn_parse_sha1 (urn, strlen (urn), sha1, NULL))
    return answer_text (self, MHD_HTTP_BAD_REQUEST, "Malformed URN", NULL);
  copies = shoal_library_db_search_sha1 (self->db, sha1, SHA1_COPIES_TRIED, &error);
  if (copies == NULL)
    {
      g_debug ("looking up a SHA-1: %s", error->message);
      return answer_unavailable (self, "Library Not Ready", NULL);
    }
  if (copies->len == 0)
    return answer_text (self, MHD_HTTP_NOT_FOUND, "URN Not Found (urn:sha1)", NULL);
  /* One copy changed since it was hashed does not hide another. */
  for (guint i = 0; i < copies->len; i++)
    {
      const ShoalLibraryFile *copy = g_ptr_array_index (copies, i);
      int fd = open_indexed_file (self, copy);

      if (fd >= 0)
        return answer_file (self, connection, peer, request, copy, fd, head);
    }
  return answer_text (self, MHD_HTTP_NOT_FOUND, "File Changed Since Indexed", NULL);
}

/* 1 to G_MAXUINT32 in decimal digits only: no sign, no spaces, no hex. */
static gboolean
parse_file_index (const char *text,
                  gsize       length,
                  guint32    *index)
{
  guint64 value = 0;

  if (length == 0 || length > INDEX_MAX_DIGITS)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      value = value * 10 + (guint64) (text[i] - '0');
    }
  if (value == 0 || value > G_MAXUINT32)
    return FALSE;
  *index = (guint32) value;
  return TRUE;
}

/* "/get/<index>/<escaped name>". The name must be the file's own: a
 * client holding an old index would otherwise get another file. */
static Answer
answer_index (ShoalUploadServer     *self,
              struct MHD_Connection *connection,
              Peer                  *peer,
              Request               *request,
              gboolean               head)
{
  const char *index_text = request->uri + strlen (GET_PREFIX);
  const char *slash = strchr (index_text, '/');
  g_autofree char *name = NULL;
  g_autoptr(ShoalLibraryFile) file = NULL;
  g_autoptr(GError) error = NULL;
  guint32 index;
  int fd;

  if (slash == NULL || !parse_file_index (index_text, (gsize) (slash - index_text), &index))
    return answer_text (self, MHD_HTTP_BAD_REQUEST, "Malformed Request", NULL);
  name = g_uri_unescape_string (slash + 1, NULL);
  if (name == NULL)
    return answer_text (self, MHD_HTTP_BAD_REQUEST, "Malformed Request", NULL);
  file = shoal_library_db_lookup_index (self->db, index, &error);
  if (file == NULL && g_error_matches (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_NOT_FOUND))
    return answer_text (self, MHD_HTTP_NOT_FOUND, "File Not Found", NULL);
  if (file == NULL)
    {
      g_debug ("looking up file %u: %s", index, error->message);
      return answer_unavailable (self, "Library Not Ready", NULL);
    }
  if (strcmp (name, file->name) != 0)
    return answer_text (self, MHD_HTTP_NOT_FOUND, "File Index/Name Mismatch", NULL);
  /* Served only with its hash known: X-Gnutella-Content-URN must be true. */
  if (!file->has_sha1)
    return answer_unavailable (self, "SHA1 Not Computed Yet", NULL);
  fd = open_indexed_file (self, file);
  if (fd < 0)
    return answer_text (self, MHD_HTTP_NOT_FOUND, "File Changed Since Indexed", NULL);
  return answer_file (self, connection, peer, request, file, fd, head);
}

/* Browse host ------------------------------------------------------------------------ */

/* The library as a stream, built a few files at a time on libmicrohttpd's
 * thread as it asks for more. Only the indexes are held, collected on the
 * first read: four bytes a file, where whole records of a big library
 * would not fit in memory. */
typedef struct
{
  ShoalUploadServer *server;
  gboolean           packets;     /* query hits, else HTML */
  ShoalHitSelf       hit_self;
  ShoalGuid          query_guid;
  GArray            *indexes;     /* guint32 of hashed files; NULL until read */
  guint              next;        /* into @indexes */
  gboolean           html_opened;
  gboolean           html_closed;
  GByteArray        *output;      /* built, not yet handed out */
  guint              output_sent;
} BrowseStream;

static void
browse_stream_free (void *data)
{
  BrowseStream *stream = data;

  if (stream->indexes != NULL)
    g_array_unref (stream->indexes);
  g_byte_array_unref (stream->output);
  g_free (stream);
}

static gboolean
collect_hashed_index (const ShoalLibraryFile *file,
                      gpointer                data)
{
  if (file->has_sha1)
    g_array_append_val ((GArray *) data, file->index);
  return TRUE;
}

static void
append_text (GByteArray *output,
             const char *text)
{
  g_byte_array_append (output, (const guint8 *) text, (guint) strlen (text));
}

static void
append_hits (BrowseStream *stream,
             GPtrArray    *files)
{
  g_autofree ShoalHitFile *hit_files = g_new0 (ShoalHitFile, MAX (files->len, 1));
  g_autoptr(GPtrArray) messages = NULL;

  for (guint i = 0; i < files->len; i++)
    {
      const ShoalLibraryFile *file = g_ptr_array_index (files, i);

      hit_files[i].index = file->index;
      hit_files[i].size = file->stat.size;
      hit_files[i].name = file->name;
      hit_files[i].has_sha1 = TRUE;
      memcpy (hit_files[i].sha1, file->sha1, SHOAL_SHARE_SHA1_SIZE);
    }
  messages = shoal_hit_builder_build (&stream->hit_self, &stream->query_guid, 0,
                                      hit_files, files->len, SHOAL_QUERY_HIT_SHA1_URN);
  for (guint i = 0; i < messages->len; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (messages, i), &size);

      g_byte_array_append (stream->output, data, (guint) size);
    }
}

/* Names are the user's files' names: escaped both as a URL and as HTML,
 * so none can inject markup. */
static void
append_html_rows (BrowseStream *stream,
                  GPtrArray    *files)
{
  for (guint i = 0; i < files->len; i++)
    {
      const ShoalLibraryFile *file = g_ptr_array_index (files, i);
      g_autofree char *escaped_name = g_uri_escape_string (file->name, NULL, FALSE);
      g_autofree char *row = g_markup_printf_escaped ("<li><a href=\"" GET_PREFIX "%u/%s\">%s</a> "
                                                      "(%" G_GUINT64_FORMAT " bytes)</li>\n",
                                                      file->index, escaped_name, file->name,
                                                      file->stat.size);

      append_text (stream->output, row);
    }
}

/* The next files' worth of output; FALSE at the end or on failure. */
static gboolean
browse_stream_step (BrowseStream *stream,
                    gboolean     *failed)
{
  ShoalUploadServer *self = stream->server;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_library_file_free);
  g_autoptr(GError) error = NULL;

  if (stream->indexes == NULL)
    {
      stream->indexes = g_array_new (FALSE, FALSE, sizeof (guint32));
      if (!shoal_library_db_foreach_file (self->db, collect_hashed_index, stream->indexes, &error))
        {
          g_debug ("listing the library: %s", error->message);
          *failed = TRUE;
          return FALSE;
        }
    }
  if (!stream->packets && !stream->html_opened)
    {
      append_text (stream->output, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                                   "<title>" SHOAL_USER_AGENT "</title></head>\n"
                                   "<body><h1>Shared files</h1>\n<ul>\n");
      stream->html_opened = TRUE;
      return TRUE;
    }
  if (stream->next >= stream->indexes->len)
    {
      if (stream->packets || stream->html_closed)
        return FALSE;
      append_text (stream->output, "</ul>\n</body></html>\n");
      stream->html_closed = TRUE;
      return TRUE;
    }
  while (stream->next < stream->indexes->len && files->len < BROWSE_FILES_PER_STEP)
    {
      guint32 index = g_array_index (stream->indexes, guint32, stream->next++);
      ShoalLibraryFile *file = shoal_library_db_lookup_index (self->db, index, NULL);

      /* Gone or changed since the listing started: left out. */
      if (file != NULL && file->has_sha1)
        g_ptr_array_add (files, file);
      else
        shoal_library_file_free (file);
    }
  if (stream->packets)
    append_hits (stream, files);
  else
    append_html_rows (stream, files);
  return TRUE;
}

static ssize_t
browse_stream_read (void     *data,
                    uint64_t  position,
                    char     *buffer,
                    size_t    max)
{
  BrowseStream *stream = data;
  gboolean failed = FALSE;
  gsize available;

  while (stream->output_sent == stream->output->len)
    {
      g_byte_array_set_size (stream->output, 0);
      stream->output_sent = 0;
      if (!browse_stream_step (stream, &failed))
        return failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    }
  available = MIN (max, stream->output->len - stream->output_sent);
  memcpy (buffer, stream->output->data + stream->output_sent, available);
  stream->output_sent += (guint) available;
  count_bytes_served (stream->server, available);
  return (ssize_t) available;
}

/* Whether one of the media ranges in @accept is Gnutella packets. */
static gboolean
accepts_gnutella_packets (const char *accept)
{
  g_auto(GStrv) ranges = NULL;

  if (accept == NULL)
    return FALSE;
  ranges = g_strsplit (accept, ",", -1);
  for (guint i = 0; ranges[i] != NULL; i++)
    {
      char *parameters = strchr (ranges[i], ';');

      if (parameters != NULL)
        *parameters = '\0';
      if (g_ascii_strcasecmp (g_strstrip (ranges[i]), GNUTELLA_PACKETS_TYPE) == 0)
        return TRUE;
    }
  return FALSE;
}

/* "GET /": query hits for a servent, a page for a browser. */
static Answer
answer_browse (ShoalUploadServer     *self,
               struct MHD_Connection *connection,
               Peer                  *peer,
               gboolean               head)
{
  const char *accept = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_ACCEPT);
  Answer answer = { MHD_HTTP_OK, NULL };
  BrowseStream *stream;

  if (!g_atomic_int_get (&self->browse_host))
    return answer_text (self, MHD_HTTP_FORBIDDEN, "Browse Host Disabled", NULL);
  if (!head && !acquire_slot (self, peer))
    return answer_unavailable (self, "All Upload Slots Taken", NULL);

  stream = g_new0 (BrowseStream, 1);
  stream->server = self;
  stream->packets = accepts_gnutella_packets (accept);
  g_mutex_lock (&self->lock);
  stream->hit_self = self->hit_self;
  g_mutex_unlock (&self->lock);
  stream->hit_self.browsable = TRUE;
  shoal_guid_init_modern (&stream->query_guid);
  stream->output = g_byte_array_new ();
  /* Unknown size: chunked for HTTP/1.1, closed at the end for 1.0. */
  answer.response = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, BROWSE_BLOCK_SIZE,
                                                       browse_stream_read, stream,
                                                       browse_stream_free);
  add_common_headers (self, answer.response);
  add_header (answer.response, MHD_HTTP_HEADER_CONTENT_TYPE,
              stream->packets ? GNUTELLA_PACKETS_TYPE : HTML_TYPE);
  return answer;
}

/* libmicrohttpd callbacks (its thread) ------------------------------------------------------ */

/* The read-only connection of libmicrohttpd's thread, opened on first
 * need: the library may create its database after the server started. */
static gboolean
ensure_database (ShoalUploadServer *self)
{
  g_autoptr(GError) error = NULL;

  if (self->db != NULL)
    return TRUE;
  self->db = shoal_library_db_open (self->db_path, SHOAL_LIBRARY_DB_READ_ONLY, &error);
  if (self->db == NULL)
    g_debug ("opening %s: %s", self->db_path, error->message);
  return self->db != NULL;
}

static Peer *
get_peer (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info =
    MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

  return info != NULL ? info->socket_context : NULL;
}

/* Only files of the library, named by index or hash, are served: nothing
 * of the request ever becomes a path. */
static Answer
answer_request (ShoalUploadServer     *self,
                struct MHD_Connection *connection,
                Request               *request,
                const char            *method,
                const char            *version)
{
  gboolean head = strcmp (method, MHD_HTTP_METHOD_HEAD) == 0;
  Peer *peer = get_peer (connection);

  if (!head && strcmp (method, MHD_HTTP_METHOD_GET) != 0)
    return answer_text (self, MHD_HTTP_NOT_IMPLEMENTED, "Not Implemented", NULL);
  /* RFC 7230 §5.4, and gtk-gnutella's answer; libmicrohttpd lets it by. */
  if (strcmp (version, MHD_HTTP_VERSION_1_1) == 0 &&
      MHD_lookup_connection_value (connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST) == NULL)
    return answer_text (self, MHD_HTTP_BAD_REQUEST, "Missing Host Header", NULL);
  if (!ensure_database (self))
    return answer_unavailable (self, "Library Not Ready", NULL);
  if (g_str_has_prefix (request->uri, URI_RES_N2R_PREFIX))
    return answer_urn (self, connection, peer, request, head);
  if (g_str_has_prefix (request->uri, GET_PREFIX))
    return answer_index (self, connection, peer, request, head);
  if (strcmp (request->uri, BROWSE_PATH) == 0)
    return answer_browse (self, connection, peer, head);
  return answer_text (self, MHD_HTTP_NOT_FOUND, "Not Found", NULL);
}

static gboolean
has_body (struct MHD_Connection *connection)
{
  const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_LENGTH);

  return (length != NULL && strcmp (length, "0") != 0) ||
         MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                      MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

static enum MHD_Result
on_request (void                  *data,
            struct MHD_Connection *connection,
            const char            *url,
            const char            *method,
            const char            *version,
            const char            *upload_data,
            size_t                *upload_data_size,
            void                 **request_context)
{
  ShoalUploadServer *self = data;
  Request *request = *request_context;
  enum MHD_Result result;
  Answer answer;

  if (request == NULL)
    return MHD_NO;
  if (request->answered)
    {
      *upload_data_size = 0;
      return MHD_YES;
    }
  /* libmicrohttpd closes the connection after an answer queued on the
   * first call, which comes with the headers: a request without a body
   * is answered on the second call, and keep-alive survives. One with a
   * body (never a download) is answered at once; its connection closes
   * instead of us reading a body of any size. */
  if (!request->headers_seen && !has_body (connection))
    {
      request->headers_seen = TRUE;
      return MHD_YES;
    }
  request->answered = TRUE;
  answer = answer_request (self, connection, request, method, version);
  count_answer (self, answer.status);
  result = MHD_queue_response (connection, answer.status, answer.response);
  MHD_destroy_response (answer.response);
  return result;
}

/* Before the URI is split and unescaped: the request as sent is what we
 * parse, so that "%2F" in a name stays part of the name. */
static void *
on_request_started (void                  *data,
                    const char            *uri,
                    struct MHD_Connection *connection)
{
  Request *request = g_new0 (Request, 1);

  request->uri = g_strdup (uri);
  return request;
}

static void
on_request_completed (void                            *data,
                      struct MHD_Connection           *connection,
                      void                           **request_context,
                      enum MHD_RequestTerminationCode  code)
{
  ShoalUploadServer *self = data;
  Request *request = *request_context;

  if (request == NULL)
    return;
  if (request->upload != NULL)
    complete_upload_request (self, request, code == MHD_REQUEST_TERMINATED_COMPLETED_OK);
  if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK && request->body_length > 0)
    {
      count_bytes_served (self, request->body_length);
      /* What went out, for an operator's log (and for tests that prove a
       * resumed download fetched nothing twice). */
      if (request->file_index != 0)
        g_debug ("served file %u bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                 request->file_index, request->body_start,
                 request->body_start + request->body_length - 1);
    }
  g_free (request->uri);
  g_free (request);
  *request_context = NULL;
}

/* IPv4-mapped IPv6 addresses count as the IPv4 address they are. */
static void
format_peer_address (const struct sockaddr *address,
                     char                   buffer[INET6_ADDRSTRLEN])
{
  struct sockaddr_in ipv4;
  struct sockaddr_in6 ipv6;

  g_strlcpy (buffer, "?", INET6_ADDRSTRLEN);
  if (address == NULL)
    return;
  if (address->sa_family == AF_INET)
    {
      memcpy (&ipv4, address, sizeof ipv4);
      inet_ntop (AF_INET, &ipv4.sin_addr, buffer, INET6_ADDRSTRLEN);
    }
  else if (address->sa_family == AF_INET6)
    {
      memcpy (&ipv6, address, sizeof ipv6);
      if (IN6_IS_ADDR_V4MAPPED (&ipv6.sin6_addr))
        inet_ntop (AF_INET, &ipv6.sin6_addr.s6_addr[12], buffer, INET6_ADDRSTRLEN);
      else
        inet_ntop (AF_INET6, &ipv6.sin6_addr, buffer, INET6_ADDRSTRLEN);
    }
}

static void
on_connection_event (void                               *data,
                     struct MHD_Connection              *connection,
                     void                              **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
  ShoalUploadServer *self = data;
  Peer *peer;

  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    {
      const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
      const union MHD_ConnectionInfo *fd_info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);

      peer = g_new0 (Peer, 1);
      format_peer_address (info != NULL ? info->client_addr : NULL, peer->address);
      peer->fd = fd_info != NULL ? fd_info->connect_fd : -1;
      *socket_context = peer;
      g_mutex_lock (&self->lock);
      self->stats.connections++;
      g_mutex_unlock (&self->lock);
      return;
    }
  peer = *socket_context;
  if (peer == NULL)
    return;
  end_connection_upload (self, peer);
  release_slot (self, peer);
  g_free (peer);
  *socket_context = NULL;
  g_mutex_lock (&self->lock);
  self->stats.connections--;
  g_mutex_unlock (&self->lock);
}

static void G_GNUC_PRINTF (2, 0)
on_log (void       *data,
        const char *format,
        va_list     args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  g_debug ("libmicrohttpd: %s", g_strchomp (message));
}

/* GObject ---------------------------------------------------------------------------------- */

static void
shoal_upload_server_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ShoalUploadServer *self = SHOAL_UPLOAD_SERVER (object);
  g_autofree char *default_dir = NULL;

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      default_dir = g_build_filename (g_get_user_data_dir (), "shoal", NULL);
      self->db_path = g_build_filename (g_value_get_string (value) != NULL
                                        ? g_value_get_string (value) : default_dir,
                                        LIBRARY_DB_NAME, NULL);
      break;
    case PROP_MAX_UPLOADS:
      g_atomic_int_set (&self->max_uploads, (gint) g_value_get_uint (value));
      break;
    case PROP_MAX_UPLOADS_PER_IP:
      g_atomic_int_set (&self->max_uploads_per_ip, (gint) g_value_get_uint (value));
      break;
    case PROP_BROWSE_HOST:
      g_atomic_int_set (&self->browse_host, g_value_get_boolean (value));
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS_PER_IP:
      self->max_connections_per_ip = g_value_get_uint (value);
      break;
    case PROP_CONNECTION_TIMEOUT:
      self->connection_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_upload_server_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ShoalUploadServer *self = SHOAL_UPLOAD_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_UPLOADS:
      g_value_set_uint (value, (guint) g_atomic_int_get (&self->max_uploads));
      break;
    case PROP_MAX_UPLOADS_PER_IP:
      g_value_set_uint (value, (guint) g_atomic_int_get (&self->max_uploads_per_ip));
      break;
    case PROP_BROWSE_HOST:
      g_value_set_boolean (value, g_atomic_int_get (&self->browse_host));
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_MAX_CONNECTIONS_PER_IP:
      g_value_set_uint (value, self->max_connections_per_ip);
      break;
    case PROP_CONNECTION_TIMEOUT:
      g_value_set_uint (value, self->connection_timeout);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->daemon != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_upload_server_dispose (GObject *object)
{
  ShoalUploadServer *self = SHOAL_UPLOAD_SERVER (object);

  shoal_upload_server_stop (self);
  set_ticking (self, FALSE);
  if (self->owner != NULL)
    {
      /* Reports still in flight find the server gone. */
      self->owner->server = NULL;
      g_clear_pointer (&self->owner, owner_unref);
    }
  G_OBJECT_CLASS (shoal_upload_server_parent_class)->dispose (object);
}

static void
shoal_upload_server_finalize (GObject *object)
{
  ShoalUploadServer *self = SHOAL_UPLOAD_SERVER (object);

  g_free (self->db_path);
  g_hash_table_unref (self->uploads_per_ip);
  g_hash_table_unref (self->alt_locations);
  g_hash_table_unref (self->paused);
  g_clear_pointer (&self->rate_limit, shoal_rate_limit_unref);
  /* stop() finished every upload: none is left unfinished. */
  g_warn_if_fail (g_queue_is_empty (&self->unfinished));
  g_queue_clear_full (&self->finished, g_object_unref);
  g_object_unref (self->upload_list);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (shoal_upload_server_parent_class)->finalize (object);
}

static void
shoal_upload_server_class_init (ShoalUploadServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags settable = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->set_property = shoal_upload_server_set_property;
  object_class->get_property = shoal_upload_server_get_property;
  object_class->dispose = shoal_upload_server_dispose;
  object_class->finalize = shoal_upload_server_finalize;

  /* Folder of library.db; NULL means $XDG_DATA_HOME/shoal. */
  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Uploads (file bodies and browse streams) at once; takes effect at
   * once, slots already held are kept. */
  properties[PROP_MAX_UPLOADS] =
    g_param_spec_uint ("max-uploads", NULL, NULL, 0, G_MAXINT,
                       SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS, settable);
  properties[PROP_MAX_UPLOADS_PER_IP] =
    g_param_spec_uint ("max-uploads-per-ip", NULL, NULL, 0, G_MAXINT,
                       SHOAL_UPLOAD_SERVER_DEFAULT_MAX_UPLOADS_PER_IP, settable);
  /* Whether "GET /" lists the library (and X-Features says browse/1.0);
   * when FALSE it is answered 403. */
  properties[PROP_BROWSE_HOST] =
    g_param_spec_boolean ("browse-host", NULL, NULL, TRUE, settable);
  /* The three below take effect at the next start. */
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 1, G_MAXINT,
                       SHOAL_UPLOAD_SERVER_DEFAULT_MAX_CONNECTIONS, settable);
  properties[PROP_MAX_CONNECTIONS_PER_IP] =
    g_param_spec_uint ("max-connections-per-ip", NULL, NULL, 1, G_MAXINT,
                       SHOAL_UPLOAD_SERVER_DEFAULT_MAX_CONNECTIONS_PER_IP, settable);
  /* Seconds without progress before a connection is closed. */
  properties[PROP_CONNECTION_TIMEOUT] =
    g_param_spec_uint ("connection-timeout", NULL, NULL, 1, G_MAXINT,
                       SHOAL_UPLOAD_SERVER_DEFAULT_CONNECTION_TIMEOUT, settable);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Both on the context of the thread that made the server; see the
   * header. */
  signals[SIGNAL_UPLOAD_STARTED] =
    g_signal_new ("upload-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SHOAL_TYPE_UPLOAD);
  signals[SIGNAL_UPLOAD_FINISHED] =
    g_signal_new ("upload-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SHOAL_TYPE_UPLOAD);
}

static void
shoal_upload_server_init (ShoalUploadServer *self)
{
  g_mutex_init (&self->lock);
  self->uploads_per_ip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->alt_locations = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                               (GDestroyNotify) g_bytes_unref,
                                               (GDestroyNotify) g_array_unref);
  self->paused = g_hash_table_new (NULL, NULL);
  shoal_guid_init_modern (&self->hit_self.servent_guid);
  self->hit_self.browsable = TRUE;
  self->owner = owner_new (self);
  self->upload_list = g_list_store_new (SHOAL_TYPE_UPLOAD);
  g_queue_init (&self->unfinished);
  g_queue_init (&self->finished);
}

/* Public API ---------------------------------------------------------------------------------- */

ShoalUploadServer *
shoal_upload_server_new (const char *data_dir)
{
  return g_object_new (SHOAL_TYPE_UPLOAD_SERVER, "data-dir", data_dir, NULL);
}

gboolean
shoal_upload_server_start (ShoalUploadServer  *self,
                           GError            **error)
{
  /* No socket of its own: connections come from the listener, added from
   * the main thread, which is what the inter-thread channel is for. */
  unsigned int flags = MHD_USE_NO_LISTEN_SOCKET | MHD_USE_AUTO_INTERNAL_THREAD |
                       MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

  g_return_val_if_fail (SHOAL_IS_UPLOAD_SERVER (self), FALSE);
  if (self->daemon != NULL)
    return TRUE;
  g_mutex_lock (&self->lock);
  self->pacing_stopped = FALSE;
  g_mutex_unlock (&self->lock);
  self->daemon = MHD_start_daemon (flags, 0, NULL, NULL, on_request, self,
                                   MHD_OPTION_EXTERNAL_LOGGER, on_log, self,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned int) self->max_connections,
                                   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) self->max_connections_per_ip,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) self->connection_timeout,
                                   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) SHOAL_UPLOAD_SERVER_CONNECTION_MEMORY,
                                   MHD_OPTION_URI_LOG_CALLBACK, on_request_started, self,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_request_completed, self,
                                   MHD_OPTION_NOTIFY_CONNECTION, on_connection_event, self,
                                   MHD_OPTION_END);
  if (self->daemon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot start the upload server: libmicrohttpd refused to start");
      return FALSE;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

void
shoal_upload_server_stop (ShoalUploadServer *self)
{
  g_return_if_fail (SHOAL_IS_UPLOAD_SERVER (self));
  if (self->daemon == NULL)
    return;
  stop_pacing (self);
  MHD_stop_daemon (g_steal_pointer (&self->daemon));
  /* Its thread has ended: the connection it used can be closed here. */
  g_clear_pointer (&self->db, shoal_library_db_close);
  /* Every connection closed, every upload ended: the list shows it now
   * rather than when the reports come. */
  sync_unfinished_uploads (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
shoal_upload_server_get_running (ShoalUploadServer *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD_SERVER (self), FALSE);
  return self->daemon != NULL;
}

gboolean
shoal_upload_server_take (ShoalUploadServer *self,
                          GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GError) error = NULL;
  struct sockaddr_storage address;
  gssize address_size;
  int fd;

  g_return_val_if_fail (SHOAL_IS_UPLOAD_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), FALSE);
  if (self->daemon == NULL)
    return FALSE;
  remote = g_socket_connection_get_remote_address (connection, &error);
  if (remote == NULL)
    {
      g_debug ("cannot take an HTTP connection: %s", error->message);
      return FALSE;
    }
  address_size = g_socket_address_get_native_size (remote);
  if (address_size <= 0 || (gsize) address_size > sizeof address ||
      !g_socket_address_to_native (remote, &address, sizeof address, &error))
    return FALSE;
  /* libmicrohttpd closes what it is given; GIO closes its own. */
  fd = fcntl (g_socket_get_fd (g_socket_connection_get_socket (connection)), F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    {
      g_debug ("cannot take an HTTP connection: %s", g_strerror (errno));
      return FALSE;
    }
  if (MHD_add_connection (self->daemon, fd, (const struct sockaddr *) &address,
                          (socklen_t) address_size) != MHD_YES)
    {
      /* Over a connection limit, most likely; fd is closed already. */
      g_debug ("libmicrohttpd refused a connection: %s", g_strerror (errno));
      g_mutex_lock (&self->lock);
      self->stats.refused++;
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  return TRUE;
}

void
shoal_upload_server_set_hit_self (ShoalUploadServer  *self,
                                  const ShoalHitSelf *hit_self)
{
  g_return_if_fail (SHOAL_IS_UPLOAD_SERVER (self));
  g_return_if_fail (hit_self != NULL);
  g_mutex_lock (&self->lock);
  self->hit_self = *hit_self;
  g_mutex_unlock (&self->lock);
}

static gboolean
remove_endpoint (GArray                  *endpoints,
                 const ShoalIpv4Endpoint *endpoint)
{
  for (guint i = 0; i < endpoints->len; i++)
    {
      const ShoalIpv4Endpoint *known = &g_array_index (endpoints, ShoalIpv4Endpoint, i);

      if (known->address == endpoint->address && known->port == endpoint->port)
        {
          g_array_remove_index (endpoints, i);
          return TRUE;
        }
    }
  return FALSE;
}

void
shoal_upload_server_add_alt_location (ShoalUploadServer       *self,
                                      const guint8             sha1[20],
                                      const ShoalIpv4Endpoint *endpoint)
{
  g_autoptr(GBytes) key = NULL;
  GArray *endpoints;

  g_return_if_fail (SHOAL_IS_UPLOAD_SERVER (self));
  g_return_if_fail (sha1 != NULL && endpoint != NULL);
  key = g_bytes_new (sha1, SHOAL_SHARE_SHA1_SIZE);
  g_mutex_lock (&self->lock);
  endpoints = g_hash_table_lookup (self->alt_locations, key);
  if (endpoints == NULL && g_hash_table_size (self->alt_locations) < SHOAL_UPLOAD_SERVER_MAX_ALT_FILES)
    {
      endpoints = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
      g_hash_table_insert (self->alt_locations, g_bytes_ref (key), endpoints);
    }
  if (endpoints != NULL)
    {
      remove_endpoint (endpoints, endpoint);
      g_array_prepend_val (endpoints, *endpoint);
      if (endpoints->len > SHOAL_UPLOAD_SERVER_MAX_ALT_LOCATIONS)
        g_array_set_size (endpoints, SHOAL_UPLOAD_SERVER_MAX_ALT_LOCATIONS);
    }
  g_mutex_unlock (&self->lock);
}

void
shoal_upload_server_remove_alt_location (ShoalUploadServer       *self,
                                         const guint8             sha1[20],
                                         const ShoalIpv4Endpoint *endpoint)
{
  g_autoptr(GBytes) key = NULL;
  GArray *endpoints;

  g_return_if_fail (SHOAL_IS_UPLOAD_SERVER (self));
  g_return_if_fail (sha1 != NULL && endpoint != NULL);
  key = g_bytes_new (sha1, SHOAL_SHARE_SHA1_SIZE);
  g_mutex_lock (&self->lock);
  endpoints = g_hash_table_lookup (self->alt_locations, key);
  if (endpoints != NULL && remove_endpoint (endpoints, endpoint) && endpoints->len == 0)
    g_hash_table_remove (self->alt_locations, key);
  g_mutex_unlock (&self->lock);
}

GListModel *
shoal_upload_server_get_uploads (ShoalUploadServer *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD_SERVER (self), NULL);
  return G_LIST_MODEL (self->upload_list);
}

/* Called with the lock held; the owner's thread, which alone sets
 * record->upload. */
static UploadRecord *
find_unfinished_locked (ShoalUploadServer *self,
                        ShoalUpload       *upload)
{
  for (GList *link = self->unfinished.head; link != NULL; link = link->next)
    {
      UploadRecord *record = link->data;

      if (record->upload == upload)
        return record;
    }
  return NULL;
}

gboolean
shoal_upload_server_cancel (ShoalUploadServer *self,
                            ShoalUpload       *upload)
{
  UploadRecord *record;
  gboolean stopping = FALSE;

  g_return_val_if_fail (SHOAL_IS_UPLOAD_SERVER (self), FALSE);
  g_return_val_if_fail (SHOAL_IS_UPLOAD (upload), FALSE);
  g_mutex_lock (&self->lock);
  record = find_unfinished_locked (self, upload);
  if (record != NULL)
    {
      upload_record_ref (record);
      /* One that ended already finishes as it ended. */
      stopping = !record->progress.ended;
      if (stopping)
        {
          record->progress.stopped = TRUE;
          /* libmicrohttpd has no call to close a connection from
           * outside its handlers: its next send or receive fails, and
           * it closes the connection as one the peer cut. */
          if (record->fd >= 0 && shutdown (record->fd, SHUT_RDWR) != 0)
            g_debug ("cannot shut an upload's connection down: %s", g_strerror (errno));
        }
    }
  g_mutex_unlock (&self->lock);
  if (record == NULL)
    return FALSE;
  sync_upload (self, record, FALSE);
  upload_record_unref (record);
  return stopping;
}

void
shoal_upload_server_set_rate_limit (ShoalUploadServer *self,
                                    ShoalRateLimit    *limit)
{
  g_return_if_fail (SHOAL_IS_UPLOAD_SERVER (self));

  if (limit != NULL)
    shoal_rate_limit_ref (limit);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->rate_limit, shoal_rate_limit_unref);
  self->rate_limit = limit;
  g_mutex_unlock (&self->lock);
}

ShoalRateLimit *
shoal_upload_server_get_rate_limit (ShoalUploadServer *self)
{
  ShoalRateLimit *limit;

  g_return_val_if_fail (SHOAL_IS_UPLOAD_SERVER (self), NULL);
  g_mutex_lock (&self->lock);
  limit = self->rate_limit;
  g_mutex_unlock (&self->lock);
  return limit;
}

void
shoal_upload_server_get_stats (ShoalUploadServer *self,
                               ShoalUploadStats  *stats)
{
  g_return_if_fail (SHOAL_IS_UPLOAD_SERVER (self));
  g_return_if_fail (stats != NULL);
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  stats->uploads = self->uploads;
  g_mutex_unlock (&self->lock);
}
