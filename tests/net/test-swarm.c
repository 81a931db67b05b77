/* test-swarm.c — one big random file swarmed from three shoald sources,
 * one of them killed halfway: the download completes from the other two
 * and its SHA-1 is right. A second file comes from two honest sources and
 * one that serves corrupted bytes under the file's hash: the liar is
 * banned and the file still comes out right. */
#include "shoal-download-plan.h"
#include "shoal-download-store.h"
#include "shoal-sha1.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-transfers.h"
#include "shoal-urn.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOURCES 3
#define SWARM_FILE_SIZE (200 * 1024 * 1024)
#define LIAR_FILE_SIZE (16 * 1024 * 1024)
#define CHUNK (1024 * 1024)
#define TIMEOUT_MS 240000

typedef struct
{
  ShoalTestNode  *sources[SOURCES];
  char           *work;
  ShoalTransfers *transfers;
} Swarm;

/* A file of random bytes; its SHA-1 in @sha1. */
static void
write_random_file (const char *path,
                   gsize       size,
                   guint8      sha1[SHOAL_SHA1_SIZE])
{
  g_autofree guint32 *block = g_new (guint32, CHUNK / sizeof (guint32));
  g_autoptr(GError) error = NULL;
  FILE *file = fopen (path, "wb");

  g_assert_nonnull (file);
  for (gsize done = 0; done < size; done += CHUNK)
    {
      for (gsize i = 0; i < CHUNK / sizeof (guint32); i++)
        block[i] = g_test_rand_int ();
      g_assert_cmpuint (fwrite (block, 1, MIN (CHUNK, size - done), file), ==, MIN (CHUNK, size - done));
    }
  g_assert_cmpint (fclose (file), ==, 0);
  g_assert_true (shoal_sha1_file (path, sha1, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GFile) source = g_file_new_for_path (from);
  g_autoptr(GFile) target = g_file_new_for_path (to);
  g_autoptr(GError) error = NULL;

  g_file_copy (source, target, G_FILE_COPY_NONE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Three sources sharing @name: the same file, hard-linked into each
 * share (each indexes and hashes it on its own); with @own_copy_last the
 * last source gets a copy of its own, a separate inode. */
static void
start_sources (Swarm      *swarm,
               const char *name,
               gsize       size,
               guint8      sha1[SHOAL_SHA1_SIZE],
               guint       block,
               gboolean    own_copy_last)
{
  g_autofree char *original = g_build_filename (swarm->work, name, NULL);
  const char *args[] = { "--role=ultrapeer", NULL };

  write_random_file (original, size, sha1);
  for (guint i = 0; i < SOURCES; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.%u.%u", block, i + 1);
      g_autofree char *shared = NULL;

      swarm->sources[i] = shoal_test_node_new (address);
      shared = g_build_filename (swarm->sources[i]->share_dir, name, NULL);
      if (own_copy_last && i == SOURCES - 1)
        copy_file (original, shared);
      else
        g_assert_cmpint (link (original, shared), ==, 0);
      shoal_test_node_start (swarm->sources[i], args);
    }
  for (guint i = 0; i < SOURCES; i++)
    shoal_test_node_wait_hashed (swarm->sources[i], 1, TIMEOUT_MS);
}

static void
swarm_init (Swarm *swarm)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *complete = NULL;

  memset (swarm, 0, sizeof *swarm);
  swarm->work = g_dir_make_tmp ("shoal-swarm-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (swarm->work, "downloader", NULL);
  complete = g_build_filename (swarm->work, "complete", NULL);
  swarm->transfers = shoal_transfers_new (data, complete, &error);
  g_assert_no_error (error);
}

static void
swarm_clear (Swarm *swarm)
{
  g_clear_object (&swarm->transfers);
  for (guint i = 0; i < SOURCES; i++)
    {
      if (swarm->sources[i]->running)
        shoal_test_node_stop (swarm->sources[i]);
      shoal_test_node_free (swarm->sources[i]);
    }
  shoal_test_remove_tree (swarm->work);
  g_free (swarm->work);
}

static ShoalDownload *
download_from_sources (Swarm        *swarm,
                       const guint8  sha1[SHOAL_SHA1_SIZE],
                       const char   *name,
                       gsize         size)
{
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);
  g_autoptr(GError) error = NULL;
  ShoalDownload *download = shoal_transfers_add_urn (swarm->transfers, urn, name, size, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < SOURCES; i++)
    {
      ShoalIpv4Endpoint endpoint = { 0, SHOAL_TEST_NODE_PORT };

      g_assert_true (shoal_ipv4_endpoint_parse (swarm->sources[i]->address,
                                                strlen (swarm->sources[i]->address), &endpoint));
      endpoint.port = SHOAL_TEST_NODE_PORT;
      g_assert_true (shoal_transfers_add_source (swarm->transfers, sha1, &endpoint, NULL, -1,
                                                 FALSE, &error));
      g_assert_no_error (error);
    }
  return download;
}

static gboolean
half_done (gpointer data)
{
  ShoalDownload *download = data;

  return shoal_download_get_done (download) >= shoal_download_get_size (download) / 2;
}

static gboolean
download_over (gpointer data)
{
  ShoalDownloadStatus state = shoal_download_get_state (data);

  return state == SHOAL_DOWNLOAD_STATUS_COMPLETED || state == SHOAL_DOWNLOAD_STATUS_FAILED;
}

static void
assert_completed (ShoalDownload *download,
                  const guint8   sha1[SHOAL_SHA1_SIZE])
{
  g_autoptr(GError) error = NULL;
  guint8 got[SHOAL_SHA1_SIZE];

  g_assert_cmpstr (shoal_download_get_error (download), ==, NULL);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_COMPLETED);
  g_assert_true (shoal_sha1_file (shoal_download_get_path (download), got, NULL, NULL, NULL,
                                  NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, sizeof got, sha1, SHOAL_SHA1_SIZE);
}

static gint64
bytes_served (ShoalTestNode *node)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (node);

  return json_object_get_int_member (json_object_get_object_member (status, "uploads"),
                                     "bytes_served");
}

static void
test_swarm_survives_a_source (void)
{
  Swarm swarm;
  g_autoptr(ShoalDownload) download = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  swarm_init (&swarm);
  start_sources (&swarm, "swarm_payload.bin", SWARM_FILE_SIZE, sha1, 14, FALSE);
  download = download_from_sources (&swarm, sha1, "swarm_payload.bin", SWARM_FILE_SIZE);
  shoal_test_wait_until (half_done, download, TIMEOUT_MS, "half the file");
  shoal_test_node_kill (swarm.sources[0]);
  g_test_message ("source 1 killed with %" G_GUINT64_FORMAT " of %d bytes done",
                  shoal_download_get_done (download), SWARM_FILE_SIZE);
  /* Killed mid-transfer, not after: the file was not complete yet. */
  g_assert_cmpuint (shoal_download_get_done (download), <, SWARM_FILE_SIZE);
  shoal_test_wait_until (download_over, download, TIMEOUT_MS, "the download to end");
  assert_completed (download, sha1);
  /* The two left served the rest between them. */
  g_assert_cmpint (bytes_served (swarm.sources[1]), >, 0);
  g_assert_cmpint (bytes_served (swarm.sources[2]), >, 0);
  swarm_clear (&swarm);
}

/* Rewrites bytes of @path in place and gives it back its old mtime: the
 * source still offers it under the hash it indexed, and serves lies. */
static void
corrupt_in_place (const char *path)
{
  struct stat before;
  struct timespec times[2];
  static const char garbage[] = "this is not what the hash says";
  int fd = open (path, O_WRONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fstat (fd, &before), ==, 0);
  for (off_t offset = 0; offset < before.st_size; offset += CHUNK)
    g_assert_cmpint (pwrite (fd, garbage, sizeof garbage, offset + 4096), ==, sizeof garbage);
  times[0] = before.st_atim;
  times[1] = before.st_mtim;
  g_assert_cmpint (futimens (fd, times), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
}

static void
test_swarm_bans_a_liar (void)
{
  Swarm swarm;
  g_autoptr(ShoalDownload) download = NULL;
  g_autofree char *liar_file = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  swarm_init (&swarm);
  start_sources (&swarm, "liar_payload.bin", LIAR_FILE_SIZE, sha1, 15, TRUE);
  /* The last source hashed its own copy true; now it serves lies under
   * that hash. */
  liar_file = g_build_filename (swarm.sources[SOURCES - 1]->share_dir, "liar_payload.bin", NULL);
  corrupt_in_place (liar_file);
  download = download_from_sources (&swarm, sha1, "liar_payload.bin", LIAR_FILE_SIZE);
  shoal_test_wait_until (download_over, download, TIMEOUT_MS, "the download to end");
  assert_completed (download, sha1);
  /* It served bytes, they were caught, and it is no source any more. */
  g_assert_cmpint (bytes_served (swarm.sources[SOURCES - 1]), >, 0);
  g_assert_cmpuint (shoal_download_get_sources (download), ==, SOURCES - 1);
  swarm_clear (&swarm);
}

/* The downloader killed ------------------------------------------------- */

#define KILLS 3
/* Big enough that each run, killed at its first progress report, still
 * leaves work for the next. */
#define RESUME_FILE_SIZE (384 * 1024 * 1024)
/* Bytes a run may fetch twice without refetching anything recorded: at
 * the end of a file, or when a source is slow, another source may be sent
 * after the same claim, and a claim from a Shoal source is up to
 * SHOAL_TRANSFERS_MAX_CLAIM. What is never fetched twice, a recorded
 * range, is checked range by range against the sources' logs. */
#define ENDGAME_SLACK (SOURCES * SHOAL_TRANSFERS_MAX_CLAIM)
/* Reading the sources' counters until they stop moving after a kill. */
#define SETTLE_INTERVAL_MS 200
#define SETTLE_ROUNDS_MAX 25

/* Progress every few milliseconds, not at the pace of the throttled
 * notifications: the parent must be able to kill early in a run. */
#define CHILD_REPORT_MS 5

static gboolean
report_child_progress (gpointer data)
{
  static guint64 reported;
  guint64 done = shoal_download_get_done (data);

  if (done != reported)
    {
      reported = done;
      g_print ("done %" G_GUINT64_FORMAT "\n", done);
      fflush (stdout);
    }
  return G_SOURCE_CONTINUE;
}

/* The child: downloads @urn from @sources until it is complete. */
static int
run_child (char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalTransfers) transfers = shoal_transfers_new (argv[0], argv[1], &error);
  g_autoptr(ShoalDownload) download = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_assert_no_error (error);
  g_assert_true (shoal_urn_parse_sha1 (argv[2], strlen (argv[2]), sha1, NULL));
  download = shoal_transfers_add_urn (transfers, argv[2], "resume_payload.bin",
                                      g_ascii_strtoull (argv[3], NULL, 10), &error);
  g_assert_no_error (error);
  for (guint i = 4; argv[i] != NULL; i++)
    {
      ShoalIpv4Endpoint endpoint;

      g_assert_true (shoal_ipv4_endpoint_parse (argv[i], strlen (argv[i]), &endpoint));
      endpoint.port = SHOAL_TEST_NODE_PORT;
      shoal_transfers_add_source (transfers, sha1, &endpoint, NULL, -1, FALSE, NULL);
    }
  g_timeout_add (CHILD_REPORT_MS, report_child_progress, download);
  while (!download_over (download))
    g_main_context_iteration (NULL, TRUE);
  g_print ("%s\n", shoal_download_get_state (download) == SHOAL_DOWNLOAD_STATUS_COMPLETED
                   ? "completed" : "failed");
  return 0;
}

static GPid
spawn_child (Swarm        *swarm,
             const guint8  sha1[SHOAL_SHA1_SIZE],
             int          *out)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *data = g_build_filename (swarm->work, "downloader", NULL);
  g_autofree char *complete = g_build_filename (swarm->work, "complete", NULL);
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);
  g_autofree char *size = g_strdup_printf ("%d", RESUME_FILE_SIZE);
  g_autoptr(GError) error = NULL;
  const char *argv[6 + SOURCES + 1] = { self_exe, "--child", data, complete, urn, size };
  GPid pid;

  for (guint i = 0; i < SOURCES; i++)
    argv[6 + i] = swarm->sources[i]->address;
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, NULL, out, NULL, &error);
  g_assert_no_error (error);
  return pid;
}

/* Lets the child get past @from bytes (and a random part of a chunk
 * more), then kills it; returns what it had done. */
static guint64
kill_child_after (Swarm        *swarm,
                  const guint8  sha1[SHOAL_SHA1_SIZE],
                  guint64       from)
{
  int out = -1;
  GPid pid = spawn_child (swarm, sha1, &out);
  g_autoptr(GIOChannel) channel = g_io_channel_unix_new (out);
  guint64 done = 0;
  int status;

  g_io_channel_set_close_on_unref (channel, TRUE);
  while (done < from)
    {
      g_autofree char *line = NULL;

      g_assert_cmpint (g_io_channel_read_line (channel, &line, NULL, NULL, NULL), ==,
                       G_IO_STATUS_NORMAL);
      g_assert_true (g_str_has_prefix (line, "done "));
      done = g_ascii_strtoull (line + 5, NULL, 10);
    }
  g_usleep (g_test_rand_int_range (0, 50000));
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  return done;
}

static void
finish_child (Swarm        *swarm,
              const guint8  sha1[SHOAL_SHA1_SIZE])
{
  int out = -1;
  GPid pid = spawn_child (swarm, sha1, &out);
  g_autoptr(GIOChannel) channel = g_io_channel_unix_new (out);
  g_autofree char *last = NULL;
  int status;

  g_io_channel_set_close_on_unref (channel, TRUE);
  for (;;)
    {
      char *line = NULL;

      if (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
        break;
      g_free (last);
      last = line;
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  g_assert_cmpstr (last, ==, "completed\n");
}

/* What the killed downloader had recorded as done: from its own store,
 * as the next run reads it. */
static GArray *
recorded_ranges (Swarm        *swarm,
                 const guint8  sha1[SHOAL_SHA1_SIZE])
{
  g_autofree char *data = g_build_filename (swarm->work, "downloader", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalDownloadStore) store = shoal_download_store_open (data, &error);
  g_autoptr(ShoalStoredDownload) stored = NULL;
  g_autoptr(ShoalDownloadPlan) plan = NULL;

  g_assert_no_error (error);
  stored = shoal_download_store_find_sha1 (store, sha1, &error);
  g_assert_no_error (error);
  plan = shoal_download_plan_new_from_record (RESUME_FILE_SIZE, stored->done_ranges, &error);
  g_assert_no_error (error);
  return shoal_download_plan_get_done (plan);
}

static gsize
log_length (ShoalTestNode *node)
{
  g_autofree char *path = g_build_filename (node->data_dir, "shoald.log", NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gsize) st.st_size : 0;
}

/* Every range a source's log says it served between @from and @to (a
 * byte offset in its log; G_MAXSIZE: the end) must lie outside @done. */
static guint
assert_served_outside (ShoalTestNode *node,
                       gsize          from,
                       gsize          to,
                       GArray        *done)
{
  g_autofree char *path = g_build_filename (node->data_dir, "shoald.log", NULL);
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  gsize length;
  guint checked = 0;

  g_assert_true (g_file_get_contents (path, &log, &length, NULL));
  log[MIN (to, length)] = '\0';
  lines = g_strsplit (log + MIN (from, length), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *served = strstr (lines[i], "served file ");
      guint64 first, last;
      guint index;

      if (served == NULL ||
          sscanf (served, "served file %u bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                  &index, &first, &last) != 3)
        continue;
      checked++;
      for (guint j = 0; j < done->len; j++)
        {
          const ShoalDownloadRange *range = &g_array_index (done, ShoalDownloadRange, j);

          if (first < range->end && last >= range->start)
            g_error ("%s served %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " again, recorded "
                     "done before as %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                     node->address, first, last, range->start, range->end - 1);
        }
    }
  return checked;
}

static gint64
total_served (Swarm *swarm)
{
  gint64 served = 0;

  for (guint i = 0; i < SOURCES; i++)
    served += bytes_served (swarm->sources[i]);
  return served;
}

/* The sources count a body once libmicrohttpd has finished it, which can
 * be a moment after the killed downloader reported those bytes: the
 * count is read once it has stopped moving. */
static gint64
settled_total_served (Swarm *swarm)
{
  gint64 served = total_served (swarm);

  for (guint i = 0; i < SETTLE_ROUNDS_MAX; i++)
    {
      gint64 again;

      shoal_test_wait_ms (SETTLE_INTERVAL_MS);
      again = total_served (swarm);
      if (again == served)
        break;
      served = again;
    }
  return served;
}

static guint64
bytes_in_ranges (GArray *ranges)
{
  guint64 total = 0;

  for (guint i = 0; i < ranges->len; i++)
    total += g_array_index (ranges, ShoalDownloadRange, i).end -
             g_array_index (ranges, ShoalDownloadRange, i).start;
  return total;
}

static void
test_downloader_killed (void)
{
  Swarm swarm;
  g_autofree char *final = NULL;
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE], got[SHOAL_SHA1_SIZE];
  gint64 served = 0;
  gint64 served_at_last_kill = 0;
  guint64 reached = 0;
  guint64 recorded_at_last_kill;

  GArray *recorded[KILLS];
  gsize offsets[KILLS][SOURCES];
  guint checked = 0;

  swarm_init (&swarm);
  g_clear_object (&swarm.transfers);  /* the children download */
  /* The sources log every range they serve: the proof below reads it. */
  g_setenv ("G_MESSAGES_DEBUG", "Shoal-xfer", TRUE);
  start_sources (&swarm, "resume_payload.bin", RESUME_FILE_SIZE, sha1, 16, FALSE);
  g_unsetenv ("G_MESSAGES_DEBUG");
  for (guint kill_round = 0; kill_round < KILLS; kill_round++)
    {
      /* Killed once it has reported progress beyond where the last run
       * died, a random moment after that report. */
      reached = kill_child_after (&swarm, sha1, reached + 1);
      g_assert_cmpuint (reached, <, RESUME_FILE_SIZE);
      g_test_message ("downloader killed at %" G_GUINT64_FORMAT " bytes", reached);
      recorded[kill_round] = recorded_ranges (&swarm, sha1);
      for (guint i = 0; i < SOURCES; i++)
        offsets[kill_round][i] = log_length (swarm.sources[i]);
    }
  served_at_last_kill = settled_total_served (&swarm);
  /* What the last run had recorded: the next one needs the rest. What it
   * had reported beyond that (written, not yet synced) is fetched again. */
  recorded_at_last_kill = bytes_in_ranges (recorded[KILLS - 1]);
  finish_child (&swarm, sha1);

  /* The servers' logs: after each kill, no source served a byte the
   * killed run had recorded as done. */
  for (guint kill_round = 0; kill_round < KILLS; kill_round++)
    {
      for (guint i = 0; i < SOURCES; i++)
        checked += assert_served_outside (swarm.sources[i], offsets[kill_round][i],
                                          kill_round + 1 < KILLS ? offsets[kill_round + 1][i]
                                                                 : G_MAXSIZE,
                                          recorded[kill_round]);
      g_array_unref (recorded[kill_round]);
    }
  g_test_message ("%u ranges served after a kill, none of them recorded before it", checked);

  final = g_build_filename (swarm.work, "complete", "resume_payload.bin", NULL);
  g_assert_true (shoal_sha1_file (final, got, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, sizeof got, sha1, sizeof sha1);
  /* No run fetched again what an earlier one had recorded: what the
   * sources sent after the last kill is no more than what was left then
   * (the file minus what that run had recorded). Before
   * that, every run fetched only what its predecessor had not recorded,
   * which is in served_at_last_kill. */
  served = total_served (&swarm);
  g_test_message ("sources served %" G_GINT64_FORMAT " bytes for a %d-byte file, %"
                  G_GINT64_FORMAT " of them before the last kill", served, RESUME_FILE_SIZE,
                  served_at_last_kill);
  g_assert_cmpint (served, >=, RESUME_FILE_SIZE);
  g_assert_cmpint (served - served_at_last_kill, <=,
                   (gint64) (RESUME_FILE_SIZE - recorded_at_last_kill) + ENDGAME_SLACK);
  swarm_clear (&swarm);
}

int
main (int argc, char **argv)
{
  if (argc >= 7 && g_str_equal (argv[1], "--child"))
    return run_child (argv + 2);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/swarm/downloader-killed", test_downloader_killed);
  g_test_add_func ("/swarm/survives-a-source", test_swarm_survives_a_source);
  g_test_add_func ("/swarm/bans-a-liar", test_swarm_bans_a_liar);
  return g_test_run ();
}
