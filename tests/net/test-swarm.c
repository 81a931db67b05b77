/* test-swarm.c — one big random file swarmed from three shoald sources,
 * one of them killed halfway: the download completes from the other two
 * and its SHA-1 is right. A second file comes from two honest sources and
 * one that serves corrupted bytes under the file's hash: the liar is
 * banned and the file still comes out right. */
#include "shoal-sha1.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-transfers.h"
#include "shoal-urn.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCES 3
#define SWARM_FILE_SIZE (200 * 1024 * 1024)
#define LIAR_FILE_SIZE (16 * 1024 * 1024)
#define CHUNK (1024 * 1024)
#define TIMEOUT_MS 240000
#define POLL_MS 250

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

static gboolean
source_has_file (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return json_object_get_int_member (status, "files") == 1;
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
    shoal_test_poll_until (source_has_file, swarm->sources[i], POLL_MS, TIMEOUT_MS,
                           "a source's hash of the file");
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/swarm/survives-a-source", test_swarm_survives_a_source);
  g_test_add_func ("/swarm/bans-a-liar", test_swarm_bans_a_liar);
  return g_test_run ();
}
