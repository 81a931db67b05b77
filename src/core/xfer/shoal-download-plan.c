/* shoal-download-plan.c — which bytes of one download are done, in flight
 * or missing, and which a source should fetch next. */
#include "shoal-download-plan.h"

G_DEFINE_QUARK (shoal-download-plan-error-quark, shoal_download_plan_error)

typedef struct
{
  guint64            id;
  ShoalDownloadRange claim;  /* what it still has to fetch; empty if nothing */
  guint64            next;   /* where it would read on: its last claim's end */
} Source;

struct _ShoalDownloadPlan
{
  guint64  size;
  guint64  bytes_done;
  GArray  *done;     /* of ShoalDownloadRange: sorted, disjoint, never adjacent */
  GArray  *sources;  /* of Source, by first claim */
};

static guint64
range_length (const ShoalDownloadRange *range)
{
  return range->end - range->start;
}

static gboolean
range_contains (const ShoalDownloadRange *range,
                guint64                   offset)
{
  return range->start <= offset && offset < range->end;
}

static gboolean
ranges_overlap (const ShoalDownloadRange *a,
                const ShoalDownloadRange *b)
{
  return a->start < a->end && b->start < b->end &&
         a->start < b->end && b->start < a->end;
}

static ShoalDownloadRange *
done_range (const ShoalDownloadPlan *plan,
            guint                    i)
{
  return &g_array_index (plan->done, ShoalDownloadRange, i);
}

static Source *
source_at (const ShoalDownloadPlan *plan,
           guint                    i)
{
  return &g_array_index (plan->sources, Source, i);
}

static GArray *
new_range_array (void)
{
  return g_array_new (FALSE, FALSE, sizeof (ShoalDownloadRange));
}

ShoalDownloadPlan *
shoal_download_plan_new (guint64 size)
{
  ShoalDownloadPlan *plan = g_new0 (ShoalDownloadPlan, 1);

  plan->size = size;
  plan->done = new_range_array ();
  plan->sources = g_array_new (FALSE, FALSE, sizeof (Source));
  return plan;
}

void
shoal_download_plan_free (ShoalDownloadPlan *plan)
{
  if (plan == NULL)
    return;
  g_array_unref (plan->done);
  g_array_unref (plan->sources);
  g_free (plan);
}

guint64
shoal_download_plan_get_size (const ShoalDownloadPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->size;
}

guint64
shoal_download_plan_bytes_done (const ShoalDownloadPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->bytes_done;
}

gboolean
shoal_download_plan_is_complete (const ShoalDownloadPlan *plan)
{
  g_return_val_if_fail (plan != NULL, FALSE);
  return plan->bytes_done == plan->size;
}

GArray *
shoal_download_plan_get_done (const ShoalDownloadPlan *plan)
{
  GArray *done;

  g_return_val_if_fail (plan != NULL, NULL);
  done = new_range_array ();
  g_array_append_vals (done, plan->done->data, plan->done->len);
  return done;
}

GArray *
shoal_download_plan_get_missing (const ShoalDownloadPlan *plan)
{
  GArray *missing;
  guint64 offset = 0;

  g_return_val_if_fail (plan != NULL, NULL);
  missing = new_range_array ();
  for (guint i = 0; i <= plan->done->len; i++)
    {
      guint64 gap_end = i < plan->done->len ? done_range (plan, i)->start : plan->size;
      ShoalDownloadRange gap = { offset, gap_end };

      if (gap_end > offset)
        g_array_append_val (missing, gap);
      if (i < plan->done->len)
        offset = done_range (plan, i)->end;
    }
  return missing;
}

/* Done ranges ------------------------------------------------------------ */

/* The index of the first done range that ends after @offset (binary
 * search), or the number of ranges. */
static guint
first_done_ending_after (const ShoalDownloadPlan *plan,
                         guint64                  offset)
{
  guint low = 0;
  guint high = plan->done->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (done_range (plan, middle)->end <= offset)
        low = middle + 1;
      else
        high = middle;
    }
  return low;
}

/* Whoever reads into bytes that just got done stops claiming them: a
 * claim that loses its head moves on past them; one that loses its middle
 * or tail keeps only its head, where its source reads next, and the rest
 * is free again. */
static void
trim_claims (ShoalDownloadPlan        *plan,
             const ShoalDownloadRange *written)
{
  for (guint i = 0; i < plan->sources->len; i++)
    {
      Source *source = source_at (plan, i);

      if (!ranges_overlap (&source->claim, written))
        continue;
      if (written->start <= source->claim.start)
        {
          source->claim.start = MIN (written->end, source->claim.end);
        }
      else
        {
          source->claim.end = written->start;
          source->next = written->start;
        }
    }
}

void
shoal_download_plan_mark_done (ShoalDownloadPlan *plan,
                               guint64            start,
                               guint64            end)
{
  ShoalDownloadRange merged = { start, end };
  guint first, last;

  g_return_if_fail (plan != NULL);
  g_return_if_fail (start <= end && end <= plan->size);
  if (start == end)
    return;

  /* Ranges that overlap or touch [start, end) melt into it. */
  first = first_done_ending_after (plan, start > 0 ? start - 1 : 0);
  for (last = first; last < plan->done->len && done_range (plan, last)->start <= end; last++)
    {
      ShoalDownloadRange *range = done_range (plan, last);

      merged.start = MIN (merged.start, range->start);
      merged.end = MAX (merged.end, range->end);
      plan->bytes_done -= range_length (range);
    }
  g_array_remove_range (plan->done, first, last - first);
  g_array_insert_val (plan->done, first, merged);
  plan->bytes_done += range_length (&merged);

  trim_claims (plan, &merged);
}

void
shoal_download_plan_forget (ShoalDownloadPlan *plan,
                            guint64            start,
                            guint64            end)
{
  g_autoptr(GArray) kept = new_range_array ();
  ShoalDownloadRange forgotten = { start, end };

  g_return_if_fail (plan != NULL);
  g_return_if_fail (start <= end && end <= plan->size);

  plan->bytes_done = 0;
  for (guint i = 0; i < plan->done->len; i++)
    {
      ShoalDownloadRange range = *done_range (plan, i);
      ShoalDownloadRange head = { range.start, start };
      ShoalDownloadRange tail = { end, range.end };

      if (!ranges_overlap (&range, &forgotten))
        {
          g_array_append_val (kept, range);
          continue;
        }
      if (range.start < start)
        g_array_append_val (kept, head);
      if (range.end > end)
        g_array_append_val (kept, tail);
    }
  for (guint i = 0; i < kept->len; i++)
    plan->bytes_done += range_length (&g_array_index (kept, ShoalDownloadRange, i));
  g_array_unref (plan->done);
  plan->done = g_steal_pointer (&kept);
}

/* Sources and claims ----------------------------------------------------- */

static Source *
find_source (const ShoalDownloadPlan *plan,
             guint64                  source_id)
{
  for (guint i = 0; i < plan->sources->len; i++)
    if (source_at (plan, i)->id == source_id)
      return source_at (plan, i);
  return NULL;
}

static Source *
find_or_add_source (ShoalDownloadPlan *plan,
                    guint64            source_id)
{
  Source *source = find_source (plan, source_id);
  Source fresh = { .id = source_id };

  if (source != NULL)
    return source;
  g_array_append_val (plan->sources, fresh);
  return source_at (plan, plan->sources->len - 1);
}

/* If @offset is taken (done or claimed), where the taking range ends. */
static gboolean
find_taken_end (const ShoalDownloadPlan *plan,
                guint64                  offset,
                guint64                 *taken_end)
{
  guint i = first_done_ending_after (plan, offset);

  if (i < plan->done->len && range_contains (done_range (plan, i), offset))
    {
      *taken_end = done_range (plan, i)->end;
      return TRUE;
    }
  for (i = 0; i < plan->sources->len; i++)
    if (range_contains (&source_at (plan, i)->claim, offset))
      {
        *taken_end = source_at (plan, i)->claim.end;
        return TRUE;
      }
  return FALSE;
}

/* The first byte after @offset that is taken, or the size. */
static guint64
find_next_taken (const ShoalDownloadPlan *plan,
                 guint64                  offset)
{
  guint i = first_done_ending_after (plan, offset);
  guint64 next = i < plan->done->len ? MIN (done_range (plan, i)->start, plan->size) : plan->size;

  for (i = 0; i < plan->sources->len; i++)
    {
      const ShoalDownloadRange *claim = &source_at (plan, i)->claim;

      if (claim->start < claim->end && claim->start > offset)
        next = MIN (next, claim->start);
    }
  return next;
}

/* The first run of free bytes at or after @from. */
static gboolean
find_free_run (const ShoalDownloadPlan *plan,
               guint64                  from,
               ShoalDownloadRange      *run)
{
  guint64 offset = from;
  guint64 taken_end;

  while (offset < plan->size && find_taken_end (plan, offset, &taken_end))
    offset = taken_end;
  if (offset >= plan->size)
    return FALSE;
  run->start = offset;
  run->end = find_next_taken (plan, offset);
  return TRUE;
}

static gboolean
is_someone_elses_next (const ShoalDownloadPlan *plan,
                       const Source            *asking,
                       guint64                  offset)
{
  for (guint i = 0; i < plan->sources->len; i++)
    {
      const Source *source = source_at (plan, i);

      /* 0 is no one's: a source that never claimed has next 0. */
      if (source != asking && source->next != 0 && source->next == offset)
        return TRUE;
    }
  return FALSE;
}

static void
take_chunk (guint64             start,
            guint64             limit,
            guint64             max_chunk,
            ShoalDownloadRange *claim)
{
  claim->start = start;
  claim->end = start + MIN (limit - start, max_chunk);
}

static gboolean
claim_rest_of_own (const Source       *source,
                   guint64             max_chunk,
                   ShoalDownloadRange *claim)
{
  if (source->claim.start >= source->claim.end)
    return FALSE;
  take_chunk (source->claim.start, source->claim.end, max_chunk, claim);
  return TRUE;
}

static gboolean
claim_continuation (const ShoalDownloadPlan *plan,
                    const Source            *source,
                    guint64                  max_chunk,
                    ShoalDownloadRange      *claim)
{
  ShoalDownloadRange run;

  if (source->next == 0 || !find_free_run (plan, source->next, &run) ||
      run.start != source->next)
    return FALSE;
  take_chunk (run.start, run.end, max_chunk, claim);
  return TRUE;
}

static gboolean
claim_first_free (const ShoalDownloadPlan *plan,
                  const Source            *source,
                  guint64                  max_chunk,
                  ShoalDownloadRange      *claim)
{
  ShoalDownloadRange run;
  guint64 start;

  if (!find_free_run (plan, 0, &run))
    return FALSE;
  start = run.start;
  /* Leave the head of the run to the source already reading into it. */
  if (is_someone_elses_next (plan, source, run.start))
    start += range_length (&run) / 2 / max_chunk * max_chunk;
  take_chunk (start, run.end, max_chunk, claim);
  return TRUE;
}

static gboolean
claim_is_duplicated (const ShoalDownloadPlan *plan,
                     const Source            *owner)
{
  for (guint i = 0; i < plan->sources->len; i++)
    {
      const Source *other = source_at (plan, i);

      if (other != owner && ranges_overlap (&other->claim, &owner->claim))
        return TRUE;
    }
  return FALSE;
}

static gboolean
claim_endgame (const ShoalDownloadPlan *plan,
               const Source            *source,
               guint64                  max_chunk,
               ShoalDownloadRange      *claim)
{
  const ShoalDownloadRange *largest = NULL;

  if (max_chunk > G_MAXUINT64 / SHOAL_DOWNLOAD_PLAN_ENDGAME_MIN_CHUNKS ||
      plan->size <= max_chunk * SHOAL_DOWNLOAD_PLAN_ENDGAME_MIN_CHUNKS)
    return FALSE;
  for (guint i = 0; i < plan->sources->len; i++)
    {
      const Source *owner = source_at (plan, i);

      if (owner == source || owner->claim.start >= owner->claim.end ||
          claim_is_duplicated (plan, owner))
        continue;
      if (largest == NULL || range_length (&owner->claim) > range_length (largest))
        largest = &owner->claim;
    }
  if (largest == NULL)
    return FALSE;
  /* The owner reads from the front; racing it there would be pure waste. */
  take_chunk (largest->start + range_length (largest) / 2, largest->end, max_chunk, claim);
  return TRUE;
}

gboolean
shoal_download_plan_claim (ShoalDownloadPlan *plan,
                           guint64            source_id,
                           guint64            max_chunk,
                           guint64           *start,
                           guint64           *end)
{
  ShoalDownloadRange claim;
  Source *source;

  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (source_id != 0, FALSE);
  g_return_val_if_fail (max_chunk > 0, FALSE);
  g_return_val_if_fail (start != NULL && end != NULL, FALSE);

  source = find_or_add_source (plan, source_id);
  /* The new claim replaces the old: what a smaller @max_chunk cuts off the
   * rest of the old one becomes free. */
  if (!claim_rest_of_own (source, max_chunk, &claim) &&
      !claim_continuation (plan, source, max_chunk, &claim) &&
      !claim_first_free (plan, source, max_chunk, &claim) &&
      !claim_endgame (plan, source, max_chunk, &claim))
    return FALSE;
  source->claim = claim;
  source->next = claim.end;
  *start = claim.start;
  *end = claim.end;
  return TRUE;
}

gboolean
shoal_download_plan_get_claim (const ShoalDownloadPlan *plan,
                               guint64                  source_id,
                               guint64                 *start,
                               guint64                 *end)
{
  const Source *source;

  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (start != NULL && end != NULL, FALSE);

  source = find_source (plan, source_id);
  if (source == NULL || source->claim.start >= source->claim.end)
    return FALSE;
  *start = source->claim.start;
  *end = source->claim.end;
  return TRUE;
}

void
shoal_download_plan_release (ShoalDownloadPlan *plan,
                             guint64            source_id)
{
  g_return_if_fail (plan != NULL);

  for (guint i = 0; i < plan->sources->len; i++)
    if (source_at (plan, i)->id == source_id)
      {
        g_array_remove_index (plan->sources, i);
        return;
      }
}

/* Progress records ------------------------------------------------------- */

char *
shoal_download_plan_serialize (const ShoalDownloadPlan *plan)
{
  GString *record;

  g_return_val_if_fail (plan != NULL, NULL);
  record = g_string_new (NULL);
  for (guint i = 0; i < plan->done->len; i++)
    g_string_append_printf (record, "%s%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                            i > 0 ? "," : "", done_range (plan, i)->start,
                            done_range (plan, i)->end);
  return g_string_free (record, FALSE);
}

/* A decimal number without sign or leading zero, that fits 64 bits. */
static gboolean
parse_offset (const char **text,
              guint64     *value)
{
  const char *p = *text;
  guint64 number = 0;

  if (!g_ascii_isdigit (*p) || (p[0] == '0' && g_ascii_isdigit (p[1])))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      guint digit = (guint) (*p - '0');

      if (number > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      number = number * 10 + digit;
    }
  *text = p;
  *value = number;
  return TRUE;
}

static gboolean
record_invalid (GError    **error,
                const char *record,
                const char *at,
                const char *why)
{
  g_set_error (error, SHOAL_DOWNLOAD_PLAN_ERROR, SHOAL_DOWNLOAD_PLAN_ERROR_INVALID_RECORD,
               "progress record invalid at byte %" G_GSIZE_FORMAT ": %s",
               (gsize) (at - record), why);
  return FALSE;
}

/* Appends @record's ranges to @ranges, or fails saying where and why. */
static gboolean
parse_record (guint64      size,
              const char  *record,
              GArray      *ranges,
              GError     **error)
{
  const char *p = record;
  guint64 previous_end = 0;

  if (*p == '\0')
    return TRUE;
  for (;;)
    {
      const char *range_text = p;
      ShoalDownloadRange range;

      if (!parse_offset (&p, &range.start) || *p++ != '-' || !parse_offset (&p, &range.end))
        return record_invalid (error, record, range_text, "not a start-end range");
      if (range.start >= range.end)
        return record_invalid (error, record, range_text, "empty or reversed range");
      if (range.end > size)
        return record_invalid (error, record, range_text, "range beyond the end of the file");
      /* Adjacent ranges would have been merged: not our writing. */
      if (ranges->len > 0 && range.start <= previous_end)
        return record_invalid (error, record, range_text, "ranges unsorted, overlapping or adjacent");
      g_array_append_val (ranges, range);
      previous_end = range.end;
      if (*p == '\0')
        return TRUE;
      if (*p++ != ',')
        return record_invalid (error, record, p - 1, "expected ',' between ranges");
    }
}

gboolean
shoal_download_plan_check_record (guint64      size,
                                  const char  *record,
                                  GError     **error)
{
  g_autoptr(GArray) ranges = new_range_array ();

  g_return_val_if_fail (record != NULL, FALSE);
  return parse_record (size, record, ranges, error);
}

ShoalDownloadPlan *
shoal_download_plan_new_from_record (guint64      size,
                                     const char  *record,
                                     GError     **error)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (size);

  g_return_val_if_fail (record != NULL, NULL);
  if (!parse_record (size, record, plan->done, error))
    return NULL;
  for (guint i = 0; i < plan->done->len; i++)
    plan->bytes_done += range_length (done_range (plan, i));
  return g_steal_pointer (&plan);
}
