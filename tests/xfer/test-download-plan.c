/* test-download-plan.c — a download's byte ranges: merging, claims for
 * sources, endgame, progress records, and a random walk against a bitmap. */
#include "shoal-download-plan.h"

#include <string.h>

#define KIB 1024
#define CHUNK SHOAL_DOWNLOAD_CHUNK_SIZE

static void
assert_range (guint64 start,
              guint64 end,
              guint64 expected_start,
              guint64 expected_end)
{
  g_assert_cmpuint (start, ==, expected_start);
  g_assert_cmpuint (end, ==, expected_end);
}

static void
assert_ranges (GArray        *ranges,
               const guint64 *expected,
               guint          n_expected)
{
  g_assert_cmpuint (ranges->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      ShoalDownloadRange *range = &g_array_index (ranges, ShoalDownloadRange, i);

      assert_range (range->start, range->end, expected[2 * i], expected[2 * i + 1]);
    }
}

static void
assert_claim (ShoalDownloadPlan *plan,
              guint64            source_id,
              guint64            max_chunk,
              guint64            expected_start,
              guint64            expected_end)
{
  guint64 start, end;

  g_assert_true (shoal_download_plan_claim (plan, source_id, max_chunk, &start, &end));
  assert_range (start, end, expected_start, expected_end);
}

static void
assert_serialized (ShoalDownloadPlan *plan,
                   const char        *expected)
{
  g_autofree char *record = shoal_download_plan_serialize (plan);

  g_assert_cmpstr (record, ==, expected);
}

static void
test_merge (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (100);
  g_autoptr(GArray) done = NULL;
  g_autoptr(GArray) missing = NULL;
  static const guint64 expected_done[] = { 5, 40, 50, 60, 70, 71 };
  static const guint64 expected_missing[] = { 0, 5, 40, 50, 60, 70, 71, 100 };

  shoal_download_plan_mark_done (plan, 10, 20);
  shoal_download_plan_mark_done (plan, 30, 40);
  shoal_download_plan_mark_done (plan, 20, 30);   /* touches both */
  shoal_download_plan_mark_done (plan, 5, 15);    /* overlaps the front */
  shoal_download_plan_mark_done (plan, 50, 60);
  shoal_download_plan_mark_done (plan, 52, 58);   /* inside */
  shoal_download_plan_mark_done (plan, 70, 71);
  shoal_download_plan_mark_done (plan, 80, 80);   /* empty: nothing */

  done = shoal_download_plan_get_done (plan);
  assert_ranges (done, expected_done, G_N_ELEMENTS (expected_done) / 2);
  missing = shoal_download_plan_get_missing (plan);
  assert_ranges (missing, expected_missing, G_N_ELEMENTS (expected_missing) / 2);
  g_assert_cmpuint (shoal_download_plan_bytes_done (plan), ==, 35 + 10 + 1);
  g_assert_false (shoal_download_plan_is_complete (plan));
  assert_serialized (plan, "5-40,50-60,70-71");

  /* One range over everything swallows them all. */
  shoal_download_plan_mark_done (plan, 0, 100);
  g_assert_true (shoal_download_plan_is_complete (plan));
  assert_serialized (plan, "0-100");
}

static void
test_empty_file (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (0);
  g_autoptr(GArray) missing = shoal_download_plan_get_missing (plan);
  guint64 start, end;

  g_assert_true (shoal_download_plan_is_complete (plan));
  g_assert_cmpuint (missing->len, ==, 0);
  g_assert_false (shoal_download_plan_claim (plan, 1, CHUNK, &start, &end));
  assert_serialized (plan, "");
}

static void
test_claims_skip_done (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (3 * CHUNK);
  guint64 start, end;

  shoal_download_plan_mark_done (plan, 0, 100);
  shoal_download_plan_mark_done (plan, CHUNK + 50, CHUNK + 60);
  /* The first free byte, up to the next done one... */
  assert_claim (plan, 1, CHUNK, 100, CHUNK + 50);
  shoal_download_plan_mark_done (plan, 100, CHUNK + 50);
  /* ...then past the done range, a chunk at most... */
  assert_claim (plan, 1, CHUNK, CHUNK + 60, 2 * CHUNK + 60);
  shoal_download_plan_mark_done (plan, CHUNK + 60, 2 * CHUNK + 60);
  /* ...and the end of the file bounds the last one. */
  assert_claim (plan, 1, CHUNK, 2 * CHUNK + 60, 3 * CHUNK);
  shoal_download_plan_mark_done (plan, 2 * CHUNK + 60, 3 * CHUNK);
  g_assert_true (shoal_download_plan_is_complete (plan));
  g_assert_false (shoal_download_plan_claim (plan, 1, CHUNK, &start, &end));
}

static void
test_contiguous_claims (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (8 * CHUNK);

  assert_claim (plan, 1, CHUNK, 0, CHUNK);
  /* Source 1 will read on from CHUNK: source 2 starts mid-way through the
   * rest, on a chunk boundary, so neither runs into the other soon. */
  assert_claim (plan, 2, CHUNK, 4 * CHUNK, 5 * CHUNK);
  for (guint i = 1; i < 4; i++)
    {
      shoal_download_plan_mark_done (plan, (i - 1) * CHUNK, i * CHUNK);
      assert_claim (plan, 1, CHUNK, i * CHUNK, (i + 1) * CHUNK);
    }
  shoal_download_plan_mark_done (plan, 3 * CHUNK, 4 * CHUNK);
  shoal_download_plan_mark_done (plan, 4 * CHUNK, 5 * CHUNK);
  assert_claim (plan, 2, CHUNK, 5 * CHUNK, 6 * CHUNK);
  /* Source 1 met source 2's range; what is left is source 2's to continue
   * into, so source 1 takes its second half. */
  assert_claim (plan, 1, CHUNK, 7 * CHUNK, 8 * CHUNK);
  /* Source 2 goes on where it was. */
  shoal_download_plan_mark_done (plan, 5 * CHUNK, 6 * CHUNK);
  assert_claim (plan, 2, CHUNK, 6 * CHUNK, 7 * CHUNK);
}

static void
test_release_and_reclaim (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (4 * CHUNK);
  guint64 start, end;

  assert_claim (plan, 1, CHUNK, 0, CHUNK);
  shoal_download_plan_mark_done (plan, 0, 1000);
  /* The source failed: the rest of its claim is free again, and a new
   * source finds the gap first. */
  shoal_download_plan_release (plan, 1);
  g_assert_false (shoal_download_plan_get_claim (plan, 1, &start, &end));
  assert_claim (plan, 3, CHUNK, 1000, CHUNK + 1000);
  /* A released source comes back as a new one, and leaves the bytes after
   * source 3's claim for it to read on into. */
  assert_claim (plan, 1, CHUNK, 2 * CHUNK + 1000, 3 * CHUNK + 1000);
  g_assert_cmpuint (shoal_download_plan_bytes_done (plan), ==, 1000);
}

static void
test_partial_done (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (4 * CHUNK);
  guint64 start, end;

  assert_claim (plan, 1, CHUNK, 0, CHUNK);
  shoal_download_plan_mark_done (plan, 0, 4096);
  g_assert_true (shoal_download_plan_get_claim (plan, 1, &start, &end));
  assert_range (start, end, 4096, CHUNK);
  /* The server sent less than asked: the next claim is the rest. */
  assert_claim (plan, 1, CHUNK, 4096, CHUNK);
  /* A smaller chunk gives back the tail, free for the next claim. */
  assert_claim (plan, 1, 4096, 4096, 8192);
  shoal_download_plan_mark_done (plan, 4096, 8192);
  assert_claim (plan, 1, CHUNK, 8192, 8192 + CHUNK);
  /* Done bytes in the middle of a claim cut it; its source keeps the head
   * and the bytes after the cut are free. */
  shoal_download_plan_mark_done (plan, 8192 + 100, 8192 + 200);
  g_assert_true (shoal_download_plan_get_claim (plan, 1, &start, &end));
  assert_range (start, end, 8192, 8192 + 100);
  assert_claim (plan, 2, CHUNK, 8192 + 200, 8192 + 200 + CHUNK);
}

static void
test_endgame (void)
{
  const guint64 size = 5 * CHUNK;
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (size);
  guint64 start, end;

  shoal_download_plan_mark_done (plan, 0, 3 * CHUNK);
  assert_claim (plan, 1, CHUNK, 3 * CHUNK, 4 * CHUNK);
  assert_claim (plan, 2, CHUNK, 4 * CHUNK, 5 * CHUNK);
  shoal_download_plan_mark_done (plan, 4 * CHUNK, 4 * CHUNK + 1000);

  /* Nothing is free: source 3 races the back half of the largest claim. */
  assert_claim (plan, 3, CHUNK, 3 * CHUNK + CHUNK / 2, 4 * CHUNK);
  /* Then of the other one; then nothing, as no byte gets a third source. */
  assert_claim (plan, 4, CHUNK, 4 * CHUNK + 1000 + (CHUNK - 1000) / 2, 5 * CHUNK);
  g_assert_false (shoal_download_plan_claim (plan, 5, CHUNK, &start, &end));

  /* Source 3 wins: source 1 keeps only the front half. */
  shoal_download_plan_mark_done (plan, 3 * CHUNK + CHUNK / 2, 4 * CHUNK);
  g_assert_true (shoal_download_plan_get_claim (plan, 1, &start, &end));
  assert_range (start, end, 3 * CHUNK, 3 * CHUNK + CHUNK / 2);
  g_assert_false (shoal_download_plan_get_claim (plan, 3, &start, &end));
  /* The loser writing the same bytes changes nothing. */
  shoal_download_plan_mark_done (plan, 3 * CHUNK, 4 * CHUNK);
  g_assert_false (shoal_download_plan_get_claim (plan, 1, &start, &end));
  g_assert_cmpuint (shoal_download_plan_bytes_done (plan), ==, 4 * CHUNK + 1000);
}

static void
test_no_endgame_for_small_files (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (4 * CHUNK);
  guint64 start, end;

  shoal_download_plan_mark_done (plan, 0, 3 * CHUNK);
  assert_claim (plan, 1, CHUNK, 3 * CHUNK, 4 * CHUNK);
  g_assert_false (shoal_download_plan_claim (plan, 2, CHUNK, &start, &end));
}

static void
test_forget_after_mismatch (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (2 * CHUNK);

  shoal_download_plan_mark_done (plan, 0, 2 * CHUNK);
  g_assert_true (shoal_download_plan_is_complete (plan));
  /* The SHA-1 did not match: all of it goes. */
  shoal_download_plan_forget (plan, 0, 2 * CHUNK);
  g_assert_cmpuint (shoal_download_plan_bytes_done (plan), ==, 0);
  assert_serialized (plan, "");
  assert_claim (plan, 1, CHUNK, 0, CHUNK);

  /* Forgetting part of a range splits it. */
  shoal_download_plan_mark_done (plan, CHUNK, 2 * CHUNK);
  shoal_download_plan_forget (plan, CHUNK + 10, CHUNK + 20);
  assert_serialized (plan, "524288-524298,524308-1048576");
  g_assert_cmpuint (shoal_download_plan_bytes_done (plan), ==, CHUNK - 10);
}

static void
test_record_round_trip (void)
{
  static const char *const records[] = {
    "",
    "0-1",
    "0-1000000",
    "999999-1000000",
    "0-10,20-30,999990-1000000",
  };

  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new_from_record (1000000, records[i], &error);

      g_assert_no_error (error);
      assert_serialized (plan, records[i]);
      g_assert_true (shoal_download_plan_check_record (1000000, records[i], NULL));
    }
}

static void
test_record_of_claims (void)
{
  g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new (10 * CHUNK);
  g_autoptr(ShoalDownloadPlan) restored = NULL;
  g_autoptr(GArray) done = NULL;
  g_autofree char *record = NULL;
  guint64 start, end;

  /* Claims are not progress: only done bytes are saved. */
  g_assert_true (shoal_download_plan_claim (plan, 1, CHUNK, &start, &end));
  shoal_download_plan_mark_done (plan, start, start + 777);
  g_assert_true (shoal_download_plan_claim (plan, 2, CHUNK, &start, &end));
  shoal_download_plan_mark_done (plan, start, start + 333);
  record = shoal_download_plan_serialize (plan);
  restored = shoal_download_plan_new_from_record (10 * CHUNK, record, NULL);
  g_assert_nonnull (restored);
  g_assert_cmpuint (shoal_download_plan_bytes_done (restored), ==, 777 + 333);
  done = shoal_download_plan_get_done (restored);
  g_assert_cmpuint (done->len, ==, 2);
  g_assert_false (shoal_download_plan_get_claim (restored, 1, &start, &end));
}

static void
test_record_rejected (void)
{
  static const char *const bad[] = {
    "x",
    "10",
    "10-",
    "-10",
    "10-5",           /* reversed */
    "5-5",            /* empty */
    "0-1001",         /* beyond the end */
    "1000-1001",
    "0-30,20-40",     /* overlapping */
    "0-30,30-40",     /* adjacent: we would have merged them */
    "50-60,0-10",     /* unsorted */
    "0-10,0-10",      /* repeated */
    "01-10",          /* leading zero */
    "+1-10",
    "1-+10",
    " 1-10",
    "1-10 ",
    "1 -10",
    "1-10,",
    ",1-10",
    "1-10,,20-30",
    "1-10;20-30",
    "1--10",
    "1-10-20",
    "0-18446744073709551616",   /* 2^64 */
    "0-99999999999999999999999",
    "0x1-10",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalDownloadPlan) plan = shoal_download_plan_new_from_record (1000, bad[i], &error);

      g_test_message ("record '%s'", bad[i]);
      g_assert_null (plan);
      g_assert_error (error, SHOAL_DOWNLOAD_PLAN_ERROR, SHOAL_DOWNLOAD_PLAN_ERROR_INVALID_RECORD);
      g_assert_false (shoal_download_plan_check_record (1000, bad[i], NULL));
    }
  /* A record good for a bigger file does not fit a smaller one. */
  g_assert_true (shoal_download_plan_check_record (1000, "0-1000", NULL));
  g_assert_false (shoal_download_plan_check_record (999, "0-1000", NULL));
  /* The largest offsets parse. */
  g_assert_true (shoal_download_plan_check_record (G_MAXUINT64, "18446744073709551614-18446744073709551615", NULL));
}

/* The random walk ------------------------------------------------------- */

#define MODEL_SIZE (10 * KIB)
#define MODEL_CHUNK KIB
#define MODEL_SOURCES 4
#define MODEL_STEPS 10000
/* Every so often a chunk size that forbids the endgame for this size. */
#define MODEL_MAX_ODD_CHUNK 3000
#define MODEL_RECORD_EVERY 50

typedef struct
{
  ShoalDownloadPlan *plan;
  gboolean           done[MODEL_SIZE];
  guint64            next[MODEL_SOURCES + 1];  /* where each one's last claim ended; 0: none */
  gboolean           has_claim[MODEL_SOURCES + 1];
  ShoalDownloadRange claim[MODEL_SOURCES + 1];
  guint              endgame_claims;
} Model;

static void
read_claims (Model *model)
{
  for (guint s = 1; s <= MODEL_SOURCES; s++)
    model->has_claim[s] = shoal_download_plan_get_claim (model->plan, s, &model->claim[s].start,
                                                         &model->claim[s].end);
}

static guint
claims_covering (Model   *model,
                 guint64  offset,
                 guint    except)
{
  guint count = 0;

  for (guint s = 1; s <= MODEL_SOURCES; s++)
    if (s != except && model->has_claim[s] &&
        model->claim[s].start <= offset && offset < model->claim[s].end)
      count++;
  return count;
}

static gboolean
byte_is_free (Model   *model,
              guint64  offset)
{
  return !model->done[offset] && claims_covering (model, offset, 0) == 0;
}

static gboolean
any_byte_free (Model *model)
{
  for (guint64 i = 0; i < MODEL_SIZE; i++)
    if (byte_is_free (model, i))
      return TRUE;
  return FALSE;
}

/* The endgame may race a claim no other claim overlaps. */
static gboolean
claim_is_racable (Model *model,
                  guint  owner)
{
  if (!model->has_claim[owner])
    return FALSE;
  for (guint64 i = model->claim[owner].start; i < model->claim[owner].end; i++)
    if (claims_covering (model, i, owner) > 0)
      return FALSE;
  return TRUE;
}

static void
model_check_endgame (Model   *model,
                     guint    source,
                     guint64  max_chunk,
                     gboolean claimed,
                     guint64  start,
                     guint64  end)
{
  gboolean allowed = MODEL_SIZE > SHOAL_DOWNLOAD_PLAN_ENDGAME_MIN_CHUNKS * max_chunk;
  guint racable = 0;

  for (guint s = 1; s <= MODEL_SOURCES; s++)
    if (s != source && claim_is_racable (model, s))
      racable++;
  g_assert_cmpint (claimed, ==, allowed && racable > 0);
  if (!claimed)
    return;
  /* Inside exactly one other source's claim, which nobody raced yet. */
  for (guint s = 1; s <= MODEL_SOURCES; s++)
    if (s != source && model->has_claim[s] &&
        model->claim[s].start <= start && end <= model->claim[s].end)
      {
        g_assert_true (claim_is_racable (model, s));
        model->endgame_claims++;
        return;
      }
  g_assert_not_reached ();
}

static void
model_claim (Model *model,
             guint  source)
{
  guint64 max_chunk = g_test_rand_int_range (0, 5) == 0
                      ? (guint64) g_test_rand_int_range (1, MODEL_MAX_ODD_CHUNK) : MODEL_CHUNK;
  gboolean had_claim = model->has_claim[source];
  ShoalDownloadRange old = model->claim[source];
  gboolean free_before;
  gboolean claimed;
  guint64 start = 0, end = 0;

  model->has_claim[source] = FALSE;  /* replaced by the new claim */
  free_before = any_byte_free (model);
  claimed = shoal_download_plan_claim (model->plan, source, max_chunk, &start, &end);
  if (claimed)
    {
      g_assert_cmpuint (start, <, end);
      g_assert_cmpuint (end, <=, MODEL_SIZE);
      g_assert_cmpuint (end - start, <=, max_chunk);
      for (guint64 i = start; i < end; i++)
        g_assert_false (model->done[i]);
    }
  if (had_claim)
    {
      /* What was left of its own claim, from its front. */
      g_assert_true (claimed);
      g_assert_cmpuint (start, ==, old.start);
      g_assert_cmpuint (end, <=, old.end);
    }
  else if (free_before)
    {
      g_assert_true (claimed);
      for (guint64 i = start; i < end; i++)
        g_assert_true (byte_is_free (model, i));
      /* Keep-alive order: on from its last claim when that is free. */
      if (model->next[source] != 0 && model->next[source] < MODEL_SIZE &&
          byte_is_free (model, model->next[source]))
        g_assert_cmpuint (start, ==, model->next[source]);
    }
  else
    {
      model_check_endgame (model, source, max_chunk, claimed, start, end);
    }
  if (claimed)
    model->next[source] = end;
  read_claims (model);
}

static void
model_mark_done (Model   *model,
                 guint64  start,
                 guint64  end)
{
  ShoalDownloadRange written = { start, end };

  /* A claim cut in its middle or tail reads on from where it was cut. */
  for (guint s = 1; s <= MODEL_SOURCES; s++)
    if (model->has_claim[s] && start > model->claim[s].start &&
        start < model->claim[s].end && end > start)
      model->next[s] = written.start;
  shoal_download_plan_mark_done (model->plan, start, end);
  for (guint64 i = start; i < end; i++)
    model->done[i] = TRUE;
  read_claims (model);
}

static void
model_progress (Model *model,
                guint  source)
{
  guint64 length;

  if (!model->has_claim[source])
    return;
  length = model->claim[source].end - model->claim[source].start;
  model_mark_done (model, model->claim[source].start,
                   model->claim[source].start + g_test_rand_int_range (1, (gint32) length + 1));
}

static void
random_range (guint64 *start,
              guint64 *end)
{
  *start = g_test_rand_int_range (0, MODEL_SIZE);
  *end = *start + g_test_rand_int_range (0, (gint32) (MODEL_SIZE - *start) + 1);
}

static void
model_forget (Model   *model,
              guint64  start,
              guint64  end)
{
  shoal_download_plan_forget (model->plan, start, end);
  for (guint64 i = start; i < end; i++)
    model->done[i] = FALSE;
}

static void
model_release (Model *model,
               guint  source)
{
  shoal_download_plan_release (model->plan, source);
  model->next[source] = 0;
  read_claims (model);
}

/* The plan's done ranges are exactly the bitmap's runs. */
static void
check_done_matches (Model *model)
{
  g_autoptr(GArray) done = shoal_download_plan_get_done (model->plan);
  g_autoptr(GArray) missing = shoal_download_plan_get_missing (model->plan);
  guint64 bytes = 0;
  guint run = 0;

  for (guint64 i = 0; i < MODEL_SIZE;)
    {
      guint64 run_end = i;
      ShoalDownloadRange *range;

      for (; run_end < MODEL_SIZE && model->done[run_end] == model->done[i]; run_end++)
        ;
      if (model->done[i])
        {
          g_assert_cmpuint (run, <, done->len);
          range = &g_array_index (done, ShoalDownloadRange, run++);
          assert_range (range->start, range->end, i, run_end);
          bytes += run_end - i;
        }
      i = run_end;
    }
  g_assert_cmpuint (run, ==, done->len);
  g_assert_cmpuint (shoal_download_plan_bytes_done (model->plan), ==, bytes);
  g_assert_cmpint (shoal_download_plan_is_complete (model->plan), ==, bytes == MODEL_SIZE);
  for (guint i = 0; i < missing->len; i++)
    {
      ShoalDownloadRange *range = &g_array_index (missing, ShoalDownloadRange, i);

      for (guint64 j = range->start; j < range->end; j++)
        g_assert_false (model->done[j]);
      bytes += range->end - range->start;
    }
  g_assert_cmpuint (bytes, ==, MODEL_SIZE);
}

static void
check_invariants (Model *model)
{
  check_done_matches (model);
  for (guint64 i = 0; i < MODEL_SIZE; i++)
    {
      guint claims = claims_covering (model, i, 0);

      /* Claims never hold done bytes, and no byte has three sources. */
      g_assert_true (claims == 0 || !model->done[i]);
      g_assert_cmpuint (claims, <=, 2);
    }
}

static void
check_record_round_trip (Model *model)
{
  g_autofree char *record = shoal_download_plan_serialize (model->plan);
  g_autofree char *again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalDownloadPlan) restored = shoal_download_plan_new_from_record (MODEL_SIZE, record, &error);

  g_assert_no_error (error);
  again = shoal_download_plan_serialize (restored);
  g_assert_cmpstr (record, ==, again);
  g_assert_cmpuint (shoal_download_plan_bytes_done (restored), ==,
                    shoal_download_plan_bytes_done (model->plan));
}

static void
model_step (Model *model)
{
  guint source = g_test_rand_int_range (1, MODEL_SOURCES + 1);
  guint action = g_test_rand_int_range (0, 100);
  guint64 start, end;

  if (action < 40)
    model_claim (model, source);
  else if (action < 80)
    model_progress (model, source);
  else if (action < 85)
    {
      random_range (&start, &end);
      model_mark_done (model, start, MIN (end, start + MODEL_CHUNK));
    }
  else if (action < 97)
    model_release (model, source);
  else
    {
      random_range (&start, &end);
      model_forget (model, start, end);
    }
  /* A finished file failed its hash check: start over, sources stay. */
  if (shoal_download_plan_is_complete (model->plan))
    model_forget (model, 0, MODEL_SIZE);
}

static void
test_random_walk (void)
{
  Model model = { .plan = shoal_download_plan_new (MODEL_SIZE) };

  for (guint step = 0; step < MODEL_STEPS; step++)
    {
      model_step (&model);
      check_invariants (&model);
      if (step % MODEL_RECORD_EVERY == 0)
        check_record_round_trip (&model);
    }
  /* The walk must have reached the end of files, not just wandered. */
  g_test_message ("%u endgame claims", model.endgame_claims);
  g_assert_cmpuint (model.endgame_claims, >, 0);
  shoal_download_plan_free (model.plan);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/download-plan/merge", test_merge);
  g_test_add_func ("/download-plan/empty-file", test_empty_file);
  g_test_add_func ("/download-plan/claims-skip-done", test_claims_skip_done);
  g_test_add_func ("/download-plan/contiguous-claims", test_contiguous_claims);
  g_test_add_func ("/download-plan/release-and-reclaim", test_release_and_reclaim);
  g_test_add_func ("/download-plan/partial-done", test_partial_done);
  g_test_add_func ("/download-plan/endgame", test_endgame);
  g_test_add_func ("/download-plan/no-endgame-for-small-files", test_no_endgame_for_small_files);
  g_test_add_func ("/download-plan/forget-after-mismatch", test_forget_after_mismatch);
  g_test_add_func ("/download-plan/record-round-trip", test_record_round_trip);
  g_test_add_func ("/download-plan/record-of-claims", test_record_of_claims);
  g_test_add_func ("/download-plan/record-rejected", test_record_rejected);
  g_test_add_func ("/download-plan/random-walk", test_random_walk);

  return g_test_run ();
}
