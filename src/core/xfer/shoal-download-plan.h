/* shoal-download-plan.h — which bytes of one download are done, being
 * fetched by which source, or still missing. Pure logic, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* gtk-gnutella serves at most this much per request; a larger Range is cut
 * short, so asking for more only costs a second round trip. */
#define SHOAL_DOWNLOAD_CHUNK_SIZE (512 * 1024)

/* Endgame duplicates (see shoal_download_plan_claim()) only for files of
 * more than this many chunks (of the claim's max_chunk): fetching bytes
 * twice is worth it only when they are a small part of the file. */
#define SHOAL_DOWNLOAD_PLAN_ENDGAME_MIN_CHUNKS 4

#define SHOAL_DOWNLOAD_PLAN_ERROR (shoal_download_plan_error_quark ())

/**
 * ShoalDownloadPlanError:
 * @SHOAL_DOWNLOAD_PLAN_ERROR_INVALID_RECORD: a progress record that is not
 *   in canonical form, or names bytes outside the file: it was damaged or
 *   written for another file, and none of it may be trusted.
 */
typedef enum
{
  SHOAL_DOWNLOAD_PLAN_ERROR_INVALID_RECORD,
} ShoalDownloadPlanError;

GQuark shoal_download_plan_error_quark (void);

/* Bytes [start, end): end is exclusive, unlike an HTTP Range. */
typedef struct
{
  guint64 start;
  guint64 end;
} ShoalDownloadRange;

/* A byte is done (on disk and synced), in flight (claimed by a source) or
 * missing; a missing byte nobody claimed is free. Sources are the
 * caller's ids (one per connection, say), never 0. */
typedef struct _ShoalDownloadPlan ShoalDownloadPlan;

ShoalDownloadPlan *shoal_download_plan_new          (guint64 size);
void               shoal_download_plan_free         (ShoalDownloadPlan *plan);

guint64            shoal_download_plan_get_size     (const ShoalDownloadPlan *plan);
guint64            shoal_download_plan_bytes_done   (const ShoalDownloadPlan *plan);
gboolean           shoal_download_plan_is_complete  (const ShoalDownloadPlan *plan);
/* Sorted, disjoint, never adjacent; of ShoalDownloadRange. */
GArray            *shoal_download_plan_get_done     (const ShoalDownloadPlan *plan);
GArray            *shoal_download_plan_get_missing  (const ShoalDownloadPlan *plan);

/* Records [start, end) as done: call it only once the bytes are synced to
 * disk, since the progress record saved from the plan must never claim
 * bytes a crash could lose. Adjacent and overlapping ranges merge. Done
 * bytes leave every claim, whoever wrote them: a claim that loses bytes
 * in its middle keeps its first part (where its source reads next) and
 * gives the rest back. Any source may write any bytes; after an endgame
 * race the slower one still writes what the faster one did, harmlessly. */
void               shoal_download_plan_mark_done    (ShoalDownloadPlan *plan,
                                                     guint64            start,
                                                     guint64            end);
/* Turns done bytes in [start, end) back to missing. A hash mismatch
 * cannot tell the bad bytes from the good ones (only the whole file has a
 * SHA-1), so after one the caller forgets everything: (0, size). */
void               shoal_download_plan_forget       (ShoalDownloadPlan *plan,
                                                     guint64            start,
                                                     guint64            end);

/* The next at most @max_chunk bytes for @source_id to fetch, in order of
 * preference:
 * - what is left of its current claim (a short reply leaves a tail);
 * - the free bytes right after its previous claim, so a keep-alive
 *   connection asks for consecutive ranges;
 * - the first free run, except that a run which another source would
 *   continue into is split: the newcomer starts at a chunk boundary near
 *   its middle, so both read sequentially for as long as possible;
 * - the endgame: when nothing is free but others' claims are in flight
 *   and the file is larger than SHOAL_DOWNLOAD_PLAN_ENDGAME_MIN_CHUNKS
 *   times @max_chunk, the back half of the largest claim no one races yet
 *   (at most @max_chunk of it), so one slow source cannot hold up the
 *   end. Such a claim overlaps another's; whichever writes first wins
 *   (see mark_done()), and no byte is ever claimed by more than two
 *   sources.
 * The claim replaces the source's previous one. FALSE when there is
 * nothing to fetch for this source. */
gboolean           shoal_download_plan_claim        (ShoalDownloadPlan *plan,
                                                     guint64            source_id,
                                                     guint64            max_chunk,
                                                     guint64           *start,
                                                     guint64           *end);
/* What @source_id still has to fetch of its claim: a fetcher checks it to
 * learn that another source already wrote its bytes. FALSE if nothing. */
gboolean           shoal_download_plan_get_claim    (const ShoalDownloadPlan *plan,
                                                     guint64                  source_id,
                                                     guint64                 *start,
                                                     guint64                 *end);
/* @source_id is gone (failed, banned or just closed): its claim becomes
 * free again and where it was reading is forgotten. */
void               shoal_download_plan_release      (ShoalDownloadPlan *plan,
                                                     guint64            source_id);

/* The progress record: the done ranges as "start-end,start-end" in
 * decimal, end exclusive, sorted, in the canonical form of
 * shoal_download_plan_get_done(); "" when nothing is done. */
char              *shoal_download_plan_serialize    (const ShoalDownloadPlan *plan);
/* Whether @record is exactly what serialize() writes for some plan of
 * @size bytes: digits without signs or leading zeros, every range non-empty
 * and inside the file, ranges sorted, neither overlapping nor adjacent.
 * Anything else is INVALID_RECORD. */
gboolean           shoal_download_plan_check_record (guint64      size,
                                                     const char  *record,
                                                     GError     **error);
/* A plan of @size bytes with @record's ranges done, or NULL with
 * INVALID_RECORD (then restart from nothing done: fetching again is slow,
 * trusting a bad record corrupts the file). */
ShoalDownloadPlan *shoal_download_plan_new_from_record (guint64      size,
                                                        const char  *record,
                                                        GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalDownloadPlan, shoal_download_plan_free)

G_END_DECLS
