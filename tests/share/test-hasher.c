/* test-hasher.c — ShoalHasher: digests, batched delivery on the owner's
 * context, progress, removal, cancellation and a dispose that never hangs. */
#include "library-test-util.h"
#include "shoal-hasher.h"
#include "shoal-library-db.h"

#include <glib/gstdio.h>
#include <string.h>

/* Generous: a loaded 2-core CI machine under ASan, not a timing check. */
#define WAIT_TIMEOUT_SECONDS 120
#define BIG_FILE_SIZE (64 * 1024 * 1024)
#define SMALL_FILE_COUNT 200

typedef struct
{
  char        *dir;
  ShoalHasher *hasher;
  GThread     *owner_thread;

  GHashTable  *results;           /* file_index → ShoalHashResult* (copy) */
  GHashTable  *failures;          /* file_index → GError* */
  guint        files_hashed_emissions;
  guint        idle_count;
  gboolean     wrong_thread;

  /* What the progress notifications showed. */
  gboolean     went_backwards;
  guint64      seen_files_done;
  guint64      seen_bytes_done;
  GArray      *bytes_done_seen;   /* of guint64 */
  guint        busy_true_count;
  guint        busy_false_count;
} Fixture;

static guint8 *
make_pattern (gsize   length,
              guint32 seed)
{
  guint8 *data = g_malloc (length);
  guint32 state = seed * 2654435761u + 1;

  for (gsize i = 0; i < length; i++)
    {
      state = state * 1103515245u + 12345u;
      data[i] = (guint8) (state >> 16);
    }
  return data;
}

/* Writes a file of @length pseudo-random bytes and returns its path. */
static char *
write_file (Fixture *fixture,
            guint    number,
            gsize    length)
{
  g_autofree guint8 *data = make_pattern (length, number);
  g_autofree char *name = g_strdup_printf ("file-%04u", number);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, (const char *) data, (gssize) length, &error);
  g_assert_no_error (error);
  return path;
}

static void
assert_digest_matches_file (const ShoalHashResult *result)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  guint8 expected[SHOAL_SHARE_SHA1_SIZE];
  gsize digest_length = sizeof expected;
  gsize length;

  g_file_get_contents (result->path, &contents, &length, &error);
  g_assert_no_error (error);
  g_checksum_update (checksum, (const guint8 *) contents, (gssize) length);
  g_checksum_get_digest (checksum, expected, &digest_length);
  g_assert_cmpmem (result->sha1, sizeof result->sha1, expected, sizeof expected);
  g_assert_cmpuint (result->stat.size, ==, length);
}

/* Signal handlers ---------------------------------------------------------- */

static void
check_thread (Fixture *fixture)
{
  if (g_thread_self () != fixture->owner_thread)
    fixture->wrong_thread = TRUE;
}

static void
on_files_hashed (ShoalHasher *hasher,
                 GPtrArray   *results,
                 Fixture     *fixture)
{
  check_thread (fixture);
  fixture->files_hashed_emissions++;
  g_assert_cmpuint (results->len, >, 0);
  for (guint i = 0; i < results->len; i++)
    {
      const ShoalHashResult *result = g_ptr_array_index (results, i);
      ShoalHashResult *copy = g_memdup2 (result, sizeof *result);

      copy->path = g_strdup (result->path);
      g_assert_false (g_hash_table_contains (fixture->results,
                                             GUINT_TO_POINTER (result->file_index)));
      g_hash_table_insert (fixture->results, GUINT_TO_POINTER (result->file_index), copy);
    }
}

static void
on_file_failed (ShoalHasher  *hasher,
                guint         file_index,
                const char   *path,
                const GError *error,
                Fixture      *fixture)
{
  check_thread (fixture);
  g_assert_nonnull (path);
  g_hash_table_insert (fixture->failures, GUINT_TO_POINTER (file_index), g_error_copy (error));
}

static void
on_idle (ShoalHasher *hasher,
         Fixture     *fixture)
{
  check_thread (fixture);
  fixture->idle_count++;
}

static void
on_busy (ShoalHasher *hasher,
         GParamSpec  *pspec,
         Fixture     *fixture)
{
  check_thread (fixture);
  if (shoal_hasher_get_busy (hasher))
    {
      /* A new batch: its counts start again from zero. */
      fixture->busy_true_count++;
      fixture->seen_files_done = 0;
      fixture->seen_bytes_done = 0;
    }
  else
    fixture->busy_false_count++;
}

static void
on_progress (ShoalHasher *hasher,
             GParamSpec  *pspec,
             Fixture     *fixture)
{
  guint64 files_done = shoal_hasher_get_files_done (hasher);
  guint64 bytes_done = shoal_hasher_get_bytes_done (hasher);

  check_thread (fixture);
  if (files_done < fixture->seen_files_done || bytes_done < fixture->seen_bytes_done)
    fixture->went_backwards = TRUE;
  if (files_done > shoal_hasher_get_files_total (hasher)
      || bytes_done > shoal_hasher_get_bytes_total (hasher))
    fixture->went_backwards = TRUE;
  fixture->seen_files_done = files_done;
  fixture->seen_bytes_done = bytes_done;
  g_array_append_val (fixture->bytes_done_seen, bytes_done);
}

static void
connect_hasher (Fixture *fixture)
{
  g_signal_connect (fixture->hasher, "files-hashed", G_CALLBACK (on_files_hashed), fixture);
  g_signal_connect (fixture->hasher, "file-failed", G_CALLBACK (on_file_failed), fixture);
  g_signal_connect (fixture->hasher, "idle", G_CALLBACK (on_idle), fixture);
  g_signal_connect (fixture->hasher, "notify::busy", G_CALLBACK (on_busy), fixture);
  g_signal_connect (fixture->hasher, "notify::files-done", G_CALLBACK (on_progress), fixture);
  g_signal_connect (fixture->hasher, "notify::bytes-done", G_CALLBACK (on_progress), fixture);
  g_signal_connect (fixture->hasher, "notify::files-total", G_CALLBACK (on_progress), fixture);
  g_signal_connect (fixture->hasher, "notify::bytes-total", G_CALLBACK (on_progress), fixture);
}

/* Fixture ----------------------------------------------------------------- */

static void
fixture_init_state (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("shoal-hasher-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->owner_thread = g_thread_self ();
  fixture->results = g_hash_table_new_full (NULL, NULL, NULL,
                                            (GDestroyNotify) shoal_hash_result_free);
  fixture->failures = g_hash_table_new_full (NULL, NULL, NULL,
                                             (GDestroyNotify) g_error_free);
  fixture->bytes_done_seen = g_array_new (FALSE, FALSE, sizeof (guint64));
}

static void
fixture_clear_state (Fixture *fixture)
{
  library_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_hash_table_unref (fixture->results);
  g_hash_table_unref (fixture->failures);
  g_array_unref (fixture->bytes_done_seen);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture_init_state (fixture);
  fixture->hasher = shoal_hasher_new (SHOAL_HASHER_DEFAULT_MAX_THREADS);
  connect_hasher (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->hasher != NULL)
    {
      g_object_add_weak_pointer (G_OBJECT (fixture->hasher), (gpointer *) &fixture->hasher);
      g_object_unref (fixture->hasher);
      g_assert_null (fixture->hasher);  /* nobody else held a reference */
    }
  g_assert_false (fixture->wrong_thread);
  fixture_clear_state (fixture);
}

/* Waiting ------------------------------------------------------------------ */

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for_idle_count (Fixture *fixture,
                     guint    count)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (WAIT_TIMEOUT_SECONDS);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, on_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (fixture->idle_count < count && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_assert_false (timed_out);
}

static void
wait_for_idle (Fixture *fixture)
{
  wait_for_idle_count (fixture, fixture->idle_count + 1);
}

static void
assert_batch_complete (Fixture *fixture,
                       guint64  files,
                       guint64  bytes)
{
  ShoalHasher *hasher = fixture->hasher;

  g_assert_false (shoal_hasher_get_busy (hasher));
  g_assert_cmpuint (shoal_hasher_get_files_total (hasher), ==, files);
  g_assert_cmpuint (shoal_hasher_get_files_done (hasher), ==, files);
  g_assert_cmpuint (shoal_hasher_get_bytes_total (hasher), ==, bytes);
  g_assert_cmpuint (shoal_hasher_get_bytes_done (hasher), ==, bytes);
  /* What the notifications last said is the final state. */
  g_assert_cmpuint (fixture->seen_files_done, ==, files);
  g_assert_cmpuint (fixture->seen_bytes_done, ==, bytes);
  g_assert_false (fixture->went_backwards);
}

/* Adds SMALL_FILE_COUNT files of assorted sizes, indices from @first. */
static guint64
add_small_files (Fixture *fixture,
                 guint    first)
{
  guint64 bytes = 0;

  for (guint i = 0; i < SMALL_FILE_COUNT; i++)
    {
      gsize length = (gsize) (i * 7919) % 300000;
      g_autofree char *path = write_file (fixture, first + i, length);

      shoal_hasher_add (fixture->hasher, first + i, path, length);
      bytes += length;
    }
  return bytes;
}

/* Tests -------------------------------------------------------------------- */

static void
test_digests_match_gchecksum (Fixture       *fixture,
                              gconstpointer  data)
{
  guint64 bytes = add_small_files (fixture, 1);
  GHashTableIter iter;
  gpointer result;

  g_assert_true (shoal_hasher_get_busy (fixture->hasher));
  wait_for_idle (fixture);

  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, SMALL_FILE_COUNT);
  g_assert_cmpuint (g_hash_table_size (fixture->failures), ==, 0);
  g_hash_table_iter_init (&iter, fixture->results);
  while (g_hash_table_iter_next (&iter, NULL, &result))
    assert_digest_matches_file (result);
  assert_batch_complete (fixture, SMALL_FILE_COUNT, bytes);
  g_assert_cmpuint (fixture->busy_true_count, ==, 1);
  g_assert_cmpuint (fixture->busy_false_count, ==, 1);
  g_assert_cmpuint (fixture->idle_count, ==, 1);
}

static void
test_results_batched (Fixture       *fixture,
                      gconstpointer  data)
{
  /* With a long interval only two things flush: the queue draining, which
   * happens once after the adds, and a flush requested while they ran. */
  shoal_hasher_set_flush_interval (fixture->hasher, SHOAL_HASHER_MAX_FLUSH_INTERVAL_MS);
  add_small_files (fixture, 1);
  wait_for_idle (fixture);

  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, SMALL_FILE_COUNT);
  g_assert_cmpuint (fixture->files_hashed_emissions, <=, 2);
}

static void
test_batches_restart_totals (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *first = write_file (fixture, 1, 1000);
  g_autofree char *second = write_file (fixture, 2, 3000);
  g_autofree char *third = write_file (fixture, 3, 5000);

  shoal_hasher_add (fixture->hasher, 1, first, 1000);
  wait_for_idle (fixture);
  assert_batch_complete (fixture, 1, 1000);

  shoal_hasher_add (fixture->hasher, 2, second, 3000);
  shoal_hasher_add (fixture->hasher, 3, third, 5000);
  wait_for_idle (fixture);
  assert_batch_complete (fixture, 2, 8000);
  g_assert_cmpuint (fixture->busy_true_count, ==, 2);
  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, 3);
}

static void
test_bytes_move_during_big_file (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *path = write_file (fixture, 1, BIG_FILE_SIZE);
  gboolean seen_inside = FALSE;

  /* Publish every progress report: a flush may only show the file partly
   * read if one happens while it is being read. */
  shoal_hasher_set_flush_interval (fixture->hasher, 1);
  shoal_hasher_add (fixture->hasher, 1, path, BIG_FILE_SIZE);
  wait_for_idle (fixture);

  for (guint i = 0; i < fixture->bytes_done_seen->len; i++)
    {
      guint64 bytes = g_array_index (fixture->bytes_done_seen, guint64, i);

      seen_inside |= bytes > 0 && bytes < BIG_FILE_SIZE;
    }
  g_assert_true (seen_inside);
  assert_batch_complete (fixture, 1, BIG_FILE_SIZE);
  assert_digest_matches_file (g_hash_table_lookup (fixture->results, GUINT_TO_POINTER (1)));
}

static void
test_remove_queued (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *big = write_file (fixture, 100, 16 * 1024 * 1024);

  /* One thread busy with the big file keeps the small ones queued; the
   * result of the removed one is dropped even if it was computed. */
  shoal_hasher_set_max_threads (fixture->hasher, 1);
  shoal_hasher_add (fixture->hasher, 100, big, 16 * 1024 * 1024);
  for (guint i = 1; i <= 10; i++)
    {
      g_autofree char *path = write_file (fixture, i, 1000 * i);

      shoal_hasher_add (fixture->hasher, i, path, 1000 * i);
    }
  shoal_hasher_remove (fixture->hasher, 5);
  shoal_hasher_remove (fixture->hasher, 12345);  /* unknown: ignored */
  wait_for_idle (fixture);

  g_assert_false (g_hash_table_contains (fixture->results, GUINT_TO_POINTER (5)));
  g_assert_false (g_hash_table_contains (fixture->failures, GUINT_TO_POINTER (5)));
  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, 10);
  assert_batch_complete (fixture, 10, 16 * 1024 * 1024 + 1000 * (55 - 5));
}

static void
test_add_replaces (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *old_path = write_file (fixture, 1, 4000);
  g_autofree char *new_path = write_file (fixture, 2, 6000);
  ShoalHashResult *result;

  shoal_hasher_add (fixture->hasher, 7, old_path, 4000);
  shoal_hasher_add (fixture->hasher, 7, new_path, 6000);
  wait_for_idle (fixture);

  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, 1);
  result = g_hash_table_lookup (fixture->results, GUINT_TO_POINTER (7));
  g_assert_nonnull (result);
  g_assert_cmpstr (result->path, ==, new_path);
  assert_digest_matches_file (result);
  assert_batch_complete (fixture, 1, 6000);
}

static void
test_cancel_all (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *big = write_file (fixture, 1000, BIG_FILE_SIZE);
  g_autofree char *after = write_file (fixture, 2000, 777);

  shoal_hasher_add (fixture->hasher, 1000, big, BIG_FILE_SIZE);
  add_small_files (fixture, 1);
  shoal_hasher_cancel_all (fixture->hasher);
  wait_for_idle (fixture);

  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, 0);
  g_assert_cmpuint (g_hash_table_size (fixture->failures), ==, 0);
  assert_batch_complete (fixture, 0, 0);

  /* Still usable, with a fresh batch. */
  shoal_hasher_add (fixture->hasher, 2000, after, 777);
  wait_for_idle (fixture);
  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, 1);
  assert_batch_complete (fixture, 1, 777);
}

static void
test_vanished_file (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *gone = write_file (fixture, 999, 5000);
  guint64 bytes;
  GError *error;

  g_assert_cmpint (g_remove (gone), ==, 0);
  bytes = add_small_files (fixture, 1);
  shoal_hasher_add (fixture->hasher, 999, gone, 5000);
  wait_for_idle (fixture);

  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, SMALL_FILE_COUNT);
  g_assert_cmpuint (g_hash_table_size (fixture->failures), ==, 1);
  error = g_hash_table_lookup (fixture->failures, GUINT_TO_POINTER (999));
  g_assert_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO);
  /* A failed file is done; its bytes never came. */
  assert_batch_complete (fixture, SMALL_FILE_COUNT + 1, bytes);
}

static void
test_size_differs_from_scan (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *grown = write_file (fixture, 1, 9000);
  g_autofree char *shrunk = write_file (fixture, 2, 100);

  shoal_hasher_add (fixture->hasher, 1, grown, 1000);
  shoal_hasher_add (fixture->hasher, 2, shrunk, 5000);
  wait_for_idle (fixture);

  g_assert_cmpuint (g_hash_table_size (fixture->results), ==, 2);
  assert_batch_complete (fixture, 2, 9100);
}

static void
test_max_threads_property (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(ShoalHasher) hasher = shoal_hasher_new (3);
  guint max_threads = 0;

  g_assert_cmpuint (shoal_hasher_get_max_threads (hasher), ==, 3);
  g_object_set (hasher, "max-threads", 5, NULL);
  g_object_get (hasher, "max-threads", &max_threads, NULL);
  g_assert_cmpuint (max_threads, ==, 5);
  g_assert_cmpuint (shoal_hasher_get_flush_interval (hasher), ==,
                    SHOAL_HASHER_FLUSH_INTERVAL_MS);
}

/* Owner threads -------------------------------------------------------------- */

typedef enum
{
  OWNER_WAIT_FOR_IDLE,
  OWNER_DISPOSE_WHILE_BUSY,
  OWNER_DISPOSE_IN_HANDLER,
} OwnerScenario;

typedef struct
{
  Fixture       fixture;
  OwnerScenario scenario;
  gboolean      finished;
  GMutex        lock;
  GCond         cond;
} OwnerRun;

static void
drop_hasher_in_handler (ShoalHasher *hasher,
                        GPtrArray   *results,
                        Fixture     *fixture)
{
  /* The last reference goes while the flush source is dispatching and the
   * workers are still hashing and posting. */
  g_clear_object (&fixture->hasher);
}

/* Small files first, so results come soon, then far more big-file work
 * than can be done by the time they are delivered. */
static void
add_busy_work (Fixture *fixture)
{
  g_autofree char *big = write_file (fixture, 5000, BIG_FILE_SIZE);

  shoal_hasher_set_flush_interval (fixture->hasher, 1);
  add_small_files (fixture, 1);
  for (guint i = 0; i < 8; i++)
    shoal_hasher_add (fixture->hasher, 5000 + i, big, BIG_FILE_SIZE);
}

static void
iterate_until_some_results (Fixture *fixture)
{
  GMainContext *context = g_main_context_get_thread_default ();

  while (fixture->hasher != NULL && g_hash_table_size (fixture->results) == 0)
    g_main_context_iteration (context, TRUE);
}

static void
run_owner_scenario (OwnerRun *run)
{
  Fixture *fixture = &run->fixture;
  gpointer watch;

  fixture->hasher = shoal_hasher_new (SHOAL_HASHER_DEFAULT_MAX_THREADS);
  watch = fixture->hasher;
  g_object_add_weak_pointer (G_OBJECT (fixture->hasher), &watch);
  connect_hasher (fixture);
  switch (run->scenario)
    {
    case OWNER_WAIT_FOR_IDLE:
      add_small_files (fixture, 1);
      wait_for_idle (fixture);
      g_assert_cmpuint (g_hash_table_size (fixture->results), ==, SMALL_FILE_COUNT);
      g_clear_object (&fixture->hasher);
      break;
    case OWNER_DISPOSE_WHILE_BUSY:
      add_busy_work (fixture);
      iterate_until_some_results (fixture);
      g_assert_true (shoal_hasher_get_busy (fixture->hasher));
      g_clear_object (&fixture->hasher);
      break;
    case OWNER_DISPOSE_IN_HANDLER:
      g_signal_connect (fixture->hasher, "files-hashed",
                        G_CALLBACK (drop_hasher_in_handler), fixture);
      add_busy_work (fixture);
      iterate_until_some_results (fixture);
      break;
    }
  g_assert_null (watch);  /* disposed and finalized, not leaked */
}

static gpointer
owner_thread_main (gpointer data)
{
  OwnerRun *run = data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  run->fixture.owner_thread = g_thread_self ();
  run_owner_scenario (run);
  g_main_context_pop_thread_default (context);

  g_mutex_lock (&run->lock);
  run->finished = TRUE;
  g_cond_signal (&run->cond);
  g_mutex_unlock (&run->lock);
  return NULL;
}

/* Runs @scenario on a thread of its own with its own main context; a hang
 * fails the test instead of stalling it. */
static void
run_on_owner_thread (OwnerScenario scenario)
{
  OwnerRun run = { .scenario = scenario };
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_SECONDS * G_TIME_SPAN_SECOND;
  GThread *thread;

  fixture_init_state (&run.fixture);
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  thread = g_thread_new ("hasher-owner", owner_thread_main, &run);

  g_mutex_lock (&run.lock);
  while (!run.finished)
    if (!g_cond_wait_until (&run.cond, &run.lock, deadline))
      break;
  g_mutex_unlock (&run.lock);
  g_assert_true (run.finished);
  g_thread_join (thread);

  g_assert_true (run.fixture.owner_thread != g_thread_self ());
  g_assert_false (run.fixture.wrong_thread);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  fixture_clear_state (&run.fixture);
}

static void
test_results_on_owner_thread (void)
{
  run_on_owner_thread (OWNER_WAIT_FOR_IDLE);
}

static void
test_dispose_while_busy (void)
{
  run_on_owner_thread (OWNER_DISPOSE_WHILE_BUSY);
}

static void
test_dispose_in_handler (void)
{
  run_on_owner_thread (OWNER_DISPOSE_IN_HANDLER);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/hasher/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("digests-match-gchecksum", test_digests_match_gchecksum);
  ADD ("results-batched", test_results_batched);
  ADD ("batches-restart-totals", test_batches_restart_totals);
  ADD ("bytes-move-during-big-file", test_bytes_move_during_big_file);
  ADD ("remove-queued", test_remove_queued);
  ADD ("add-replaces", test_add_replaces);
  ADD ("cancel-all", test_cancel_all);
  ADD ("vanished-file", test_vanished_file);
  ADD ("size-differs-from-scan", test_size_differs_from_scan);
  ADD ("max-threads-property", test_max_threads_property);
#undef ADD
  g_test_add_func ("/hasher/results-on-owner-thread", test_results_on_owner_thread);
  g_test_add_func ("/hasher/dispose-while-busy", test_dispose_while_busy);
  g_test_add_func ("/hasher/dispose-in-handler", test_dispose_in_handler);

  return g_test_run ();
}
