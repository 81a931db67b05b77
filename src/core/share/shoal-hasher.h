/* shoal-hasher.h — a queue of files hashed by a few worker threads, with
 * results and progress handed back, batched, on the owner's main context. */
#pragma once

#include <gio/gio.h>

#include "shoal-share-types.h"

G_BEGIN_DECLS

/* Two readers keep one disk busy without making it seek between many
 * files at once. */
#define SHOAL_HASHER_DEFAULT_MAX_THREADS 2
#define SHOAL_HASHER_MAX_THREADS 64

/* Results and progress reach the owner's main loop at most this often
 * (the default of the "flush-interval" property)… */
#define SHOAL_HASHER_FLUSH_INTERVAL_MS 100
/* …or as soon as this many files are finished, so that 100,000 small
 * files mean a few hundred main-loop wakeups, each of bounded size. */
#define SHOAL_HASHER_FLUSH_COUNT 512
/* The "flush-interval" property's upper bound: a daemon nobody watches may
 * want few wakeups, but results must not wait for minutes. */
#define SHOAL_HASHER_MAX_FLUSH_INTERVAL_MS 10000

/* One hashed file: what the "files-hashed" signal carries. */
typedef struct
{
  guint32       file_index;
  char         *path;
  ShoalFileStat stat;                          /* as hashed */
  guint8        sha1[SHOAL_SHARE_SHA1_SIZE];
} ShoalHashResult;

void shoal_hash_result_free (ShoalHashResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalHashResult, shoal_hash_result_free)

#define SHOAL_TYPE_HASHER (shoal_hasher_get_type ())
G_DECLARE_FINAL_TYPE (ShoalHasher, shoal_hasher, SHOAL, HASHER, GObject)

/* The hasher belongs to the thread-default main context current when it
 * is created: call its methods from that context's thread; its signals and
 * notifications are emitted there. @max_threads: 1 to
 * SHOAL_HASHER_MAX_THREADS. */
ShoalHasher *shoal_hasher_new            (guint max_threads);

/* Queues @path for hashing; @expected_size (from the scan) only feeds the
 * byte totals. Adding an index already queued replaces the earlier job,
 * which then reports nothing. */
void         shoal_hasher_add            (ShoalHasher *self,
                                          guint32      file_index,
                                          const char  *path,
                                          guint64      expected_size);
/* Forgets @file_index (a file deleted while queued): no result, no
 * failure is reported for it, even one already computed. */
void         shoal_hasher_remove         (ShoalHasher *self,
                                          guint32      file_index);
/* Forgets every queued file; "idle" follows if any was queued. */
void         shoal_hasher_cancel_all     (ShoalHasher *self);

guint        shoal_hasher_get_max_threads (ShoalHasher *self);
void         shoal_hasher_set_max_threads (ShoalHasher *self,
                                           guint        max_threads);
/* Milliseconds, 1 to SHOAL_HASHER_MAX_FLUSH_INTERVAL_MS; default
 * SHOAL_HASHER_FLUSH_INTERVAL_MS. */
guint        shoal_hasher_get_flush_interval (ShoalHasher *self);
void         shoal_hasher_set_flush_interval (ShoalHasher *self,
                                              guint        interval_ms);
/* Progress of the current batch: the work queued since the hasher was
 * last idle. Done counts never go backwards within a batch; totals follow
 * the files as they really are (a file that grew, one removed). */
guint64      shoal_hasher_get_files_total (ShoalHasher *self);
guint64      shoal_hasher_get_files_done  (ShoalHasher *self);
guint64      shoal_hasher_get_bytes_total (ShoalHasher *self);
guint64      shoal_hasher_get_bytes_done  (ShoalHasher *self);
gboolean     shoal_hasher_get_busy        (ShoalHasher *self);

G_END_DECLS
