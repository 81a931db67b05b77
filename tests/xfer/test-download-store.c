/* test-download-store.c — the download queue in SQLite: round trips,
 * reopening, refusals, migrations, and progress surviving a SIGKILL.
 *
 * The crash test runs this program as a child ("--child DATA_DIR ID")
 * that saves progress in a loop, printing "saving N" before and "saved N"
 * after each commit (N: bytes done); the parent kills it at a random
 * moment and checks that the stored record is the last one committed. */
#include "shoal-download-plan.h"
#include "shoal-download-store.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CRASH_FILE_SIZE (G_GINT64_CONSTANT (1) << 40)  /* never finished */
#define CRASH_CHUNK (64 * 1024)
#define CRASH_KILLS 5
/* The kill comes at a random moment this long after the first save. */
#define CRASH_MAX_DELAY_USEC (300 * 1000)
/* One release in this many steps leaves gaps in the record. */
#define CRASH_RELEASE_ONE_IN 16

typedef struct
{
  char *data_dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->data_dir = g_dir_make_tmp ("shoal-download-store-XXXXXX", &error);
  g_assert_no_error (error);
}

/* The data folder holds only the database and its WAL files. */
static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->data_dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->data_dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fixture->data_dir), ==, 0);
  g_free (fixture->data_dir);
}

static ShoalDownloadStore *
open_store (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  ShoalDownloadStore *store = shoal_download_store_open (data_dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
make_sha1 (guint8 sha1[SHOAL_SHA1_SIZE],
           guint8 seed)
{
  for (guint i = 0; i < SHOAL_SHA1_SIZE; i++)
    sha1[i] = (guint8) (seed * 31 + i);
}

static gint64
add_download (ShoalDownloadStore *store,
              guint8              seed,
              gint64              size,
              const char         *name)
{
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  gint64 id = 0;

  make_sha1 (sha1, seed);
  g_assert_true (shoal_download_store_add_download (store, sha1, size, name, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static ShoalStoredDownload *
get_download (ShoalDownloadStore *store,
              gint64              id)
{
  g_autoptr(GError) error = NULL;
  ShoalStoredDownload *download = shoal_download_store_get_download (store, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (download);
  return download;
}

static void
save_progress (ShoalDownloadStore *store,
               gint64              id,
               const char         *record)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_download_store_save_progress (store, id, record, &error));
  g_assert_no_error (error);
}

static ShoalStoredSource
make_source (guint32  address,
             guint16  port,
             gboolean with_guid,
             gboolean with_index)
{
  ShoalStoredSource source = { .endpoint = { address, port } };

  if (with_guid)
    {
      source.has_guid = TRUE;
      memset (source.guid.bytes, 0xab, SHOAL_GUID_SIZE);
      source.push_needed = TRUE;
    }
  if (with_index)
    {
      source.has_file_index = TRUE;
      source.file_index = 4000000000u;
    }
  return source;
}

static gint64
add_source (ShoalDownloadStore      *store,
            gint64                   download_id,
            const ShoalStoredSource *source)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_true (shoal_download_store_add_source (store, download_id, source, &id, &error));
  g_assert_no_error (error);
  return id;
}

static GPtrArray *
list_sources (ShoalDownloadStore *store,
              gint64              download_id)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *sources = shoal_download_store_list_sources (store, download_id, &error);

  g_assert_no_error (error);
  return sources;
}

static void
assert_integrity (ShoalDownloadStore *store)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_download_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
test_downloads_round_trip (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(ShoalStoredDownload) first = NULL;
  g_autoptr(ShoalStoredDownload) by_hash = NULL;
  g_autoptr(ShoalStoredDownload) failed = NULL;
  g_autoptr(GPtrArray) downloads = NULL;
  g_autoptr(GError) error = NULL;
  gint64 before = g_get_real_time ();
  guint8 sha1[SHOAL_SHA1_SIZE];
  gint64 a, b;

  a = add_download (store, 1, 123456789012, "Fête à Montréal.ogg");
  b = add_download (store, 2, SHOAL_DOWNLOAD_SIZE_UNKNOWN, "from a magnet.bin");
  g_assert_cmpint (b, >, a);

  first = get_download (store, a);
  make_sha1 (sha1, 1);
  g_assert_cmpmem (first->sha1, SHOAL_SHA1_SIZE, sha1, SHOAL_SHA1_SIZE);
  g_assert_cmpint (first->size, ==, 123456789012);
  g_assert_cmpstr (first->name, ==, "Fête à Montréal.ogg");
  g_assert_cmpint (first->state, ==, SHOAL_DOWNLOAD_STATE_QUEUED);
  g_assert_cmpstr (first->done_ranges, ==, "");
  g_assert_null (first->error);
  g_assert_cmpint (first->created_usec, >=, before);
  g_assert_cmpint (first->updated_usec, ==, first->created_usec);

  /* State, error text, progress, a size learned later. */
  save_progress (store, a, "0-524288,1048576-2097152");
  g_assert_true (shoal_download_store_set_state (store, a, SHOAL_DOWNLOAD_STATE_RUNNING, NULL, &error));
  g_assert_true (shoal_download_store_set_state (store, b, SHOAL_DOWNLOAD_STATE_FAILED,
                                                 "no source left", &error));
  g_assert_true (shoal_download_store_set_size (store, b, 4096, &error));
  g_assert_no_error (error);

  downloads = shoal_download_store_list_downloads (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (downloads->len, ==, 2);
  g_assert_cmpint (((ShoalStoredDownload *) downloads->pdata[0])->id, ==, a);
  g_assert_cmpstr (((ShoalStoredDownload *) downloads->pdata[0])->done_ranges, ==,
                   "0-524288,1048576-2097152");
  g_assert_cmpint (((ShoalStoredDownload *) downloads->pdata[0])->state, ==,
                   SHOAL_DOWNLOAD_STATE_RUNNING);
  failed = get_download (store, b);
  g_assert_cmpint (failed->state, ==, SHOAL_DOWNLOAD_STATE_FAILED);
  g_assert_cmpstr (failed->error, ==, "no source left");
  g_assert_cmpint (failed->size, ==, 4096);

  /* By hash, as a urn:sha1 search hit finds it. */
  make_sha1 (sha1, 2);
  by_hash = shoal_download_store_find_sha1 (store, sha1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (by_hash->id, ==, b);
  make_sha1 (sha1, 3);
  g_assert_null (shoal_download_store_find_sha1 (store, sha1, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Clearing the error text. */
  g_assert_true (shoal_download_store_set_state (store, b, SHOAL_DOWNLOAD_STATE_QUEUED, NULL, &error));
  g_clear_pointer (&failed, shoal_stored_download_free);
  failed = get_download (store, b);
  g_assert_null (failed->error);
  assert_integrity (store);
}

static void
test_sources_round_trip (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(GPtrArray) sources = NULL;
  g_autoptr(GError) error = NULL;
  ShoalStoredSource pushed = make_source (0xc0a80001, 6346, TRUE, TRUE);
  ShoalStoredSource direct = make_source (0x01020304, 6348, FALSE, FALSE);
  ShoalStoredSource liar = make_source (0x05060708, 1, FALSE, TRUE);
  ShoalGuid expected_guid = pushed.guid;
  ShoalStoredSource *first;
  gint64 download = add_download (store, 1, 1000, "file");
  gint64 pushed_id, direct_id, liar_id;
  guint failures = 0;

  pushed_id = add_source (store, download, &pushed);
  direct_id = add_source (store, download, &direct);
  liar_id = add_source (store, download, &liar);
  g_assert_cmpint (pushed_id, !=, direct_id);

  /* The direct one fails twice, the liar is banned. */
  g_assert_true (shoal_download_store_mark_source_failure (store, direct_id, &failures, &error));
  g_assert_cmpuint (failures, ==, 1);
  g_assert_true (shoal_download_store_mark_source_failure (store, direct_id, &failures, &error));
  g_assert_cmpuint (failures, ==, 2);
  g_assert_true (shoal_download_store_ban_source (store, liar_id, &error));
  g_assert_no_error (error);

  /* An X-Alt for the pushed host again: same source, GUID and index kept. */
  pushed.has_guid = FALSE;
  pushed.has_file_index = FALSE;
  pushed.push_needed = FALSE;
  g_assert_cmpint (add_source (store, download, &pushed), ==, pushed_id);

  sources = list_sources (store, download);
  g_assert_cmpuint (sources->len, ==, 3);
  /* Most promising first, banned last. */
  first = sources->pdata[0];
  g_assert_cmpint (first->id, ==, pushed_id);
  g_assert_cmpint (first->download_id, ==, download);
  g_assert_cmpuint (first->endpoint.address, ==, 0xc0a80001);
  g_assert_cmpuint (first->endpoint.port, ==, 6346);
  g_assert_true (first->has_guid);
  g_assert_cmpmem (first->guid.bytes, SHOAL_GUID_SIZE, expected_guid.bytes, SHOAL_GUID_SIZE);
  g_assert_true (first->has_file_index);
  g_assert_cmpuint (first->file_index, ==, 4000000000u);
  g_assert_false (first->push_needed);
  g_assert_cmpuint (first->failures, ==, 0);
  g_assert_false (first->banned);
  g_assert_cmpint (first->last_seen_usec, >, 0);
  g_assert_cmpint (((ShoalStoredSource *) sources->pdata[1])->id, ==, direct_id);
  g_assert_false (((ShoalStoredSource *) sources->pdata[1])->has_guid);
  g_assert_false (((ShoalStoredSource *) sources->pdata[1])->has_file_index);
  g_assert_cmpuint (((ShoalStoredSource *) sources->pdata[1])->failures, ==, 2);
  g_assert_cmpint (((ShoalStoredSource *) sources->pdata[2])->id, ==, liar_id);
  g_assert_true (((ShoalStoredSource *) sources->pdata[2])->banned);

  /* A banned host seen again stays banned. */
  g_assert_cmpint (add_source (store, download, &liar), ==, liar_id);
  g_clear_pointer (&sources, g_ptr_array_unref);
  sources = list_sources (store, download);
  g_assert_true (((ShoalStoredSource *) sources->pdata[2])->banned);

  /* A success clears the direct one's failures: it ranks with the pushed
   * one again, and counts from 0. An unknown source is NOT_FOUND. */
  g_assert_true (shoal_download_store_clear_source_failures (store, direct_id, &error));
  g_assert_no_error (error);
  g_clear_pointer (&sources, g_ptr_array_unref);
  sources = list_sources (store, download);
  for (guint i = 0; i < sources->len; i++)
    if (((ShoalStoredSource *) sources->pdata[i])->id == direct_id)
      g_assert_cmpuint (((ShoalStoredSource *) sources->pdata[i])->failures, ==, 0);
  g_assert_true (shoal_download_store_mark_source_failure (store, direct_id, &failures, &error));
  g_assert_cmpuint (failures, ==, 1);
  g_assert_false (shoal_download_store_clear_source_failures (store, liar_id + 1000, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  assert_integrity (store);
}

static void
test_remove_takes_sources (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(GPtrArray) sources = NULL;
  g_autoptr(GPtrArray) kept_sources = NULL;
  g_autoptr(GError) error = NULL;
  ShoalStoredSource source = make_source (0x01020304, 6346, FALSE, FALSE);
  gint64 gone = add_download (store, 1, 1000, "gone");
  gint64 kept = add_download (store, 2, 1000, "kept");
  gint64 source_id = add_source (store, gone, &source);
  gint64 again;

  add_source (store, kept, &source);
  g_assert_true (shoal_download_store_remove_download (store, gone, &error));
  g_assert_no_error (error);

  g_assert_null (shoal_download_store_get_download (store, gone, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  sources = list_sources (store, gone);
  g_assert_cmpuint (sources->len, ==, 0);
  g_assert_false (shoal_download_store_ban_source (store, source_id, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  kept_sources = list_sources (store, kept);
  g_assert_cmpuint (kept_sources->len, ==, 1);

  /* Removing twice says so; ids are not handed out again. */
  g_assert_false (shoal_download_store_remove_download (store, gone, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  again = add_download (store, 1, 1000, "gone, back");
  g_assert_cmpint (again, >, kept);
  assert_integrity (store);
}

static void
test_reopen_keeps_data (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(ShoalStoredDownload) download = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  ShoalStoredSource source = make_source (0x01020304, 6346, TRUE, TRUE);
  gint64 id = add_download (store, 7, 5000, "kept.txt");

  save_progress (store, id, "100-200,4000-5000");
  g_assert_true (shoal_download_store_set_state (store, id, SHOAL_DOWNLOAD_STATE_PAUSED, NULL, NULL));
  add_source (store, id, &source);
  g_clear_pointer (&store, shoal_download_store_close);

  store = open_store (fixture->data_dir);
  download = get_download (store, id);
  g_assert_cmpstr (download->name, ==, "kept.txt");
  g_assert_cmpint (download->size, ==, 5000);
  g_assert_cmpstr (download->done_ranges, ==, "100-200,4000-5000");
  g_assert_cmpint (download->state, ==, SHOAL_DOWNLOAD_STATE_PAUSED);
  sources = list_sources (store, id);
  g_assert_cmpuint (sources->len, ==, 1);
  g_assert_true (((ShoalStoredSource *) sources->pdata[0])->has_guid);
  assert_integrity (store);
}

static void
test_duplicate_sha1_refused (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(GPtrArray) downloads = NULL;
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  gint64 id = -1;

  add_download (store, 9, 100, "first");
  make_sha1 (sha1, 9);
  g_assert_false (shoal_download_store_add_download (store, sha1, 200, "second", &id, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_EXISTS);
  /* The message names the file by its urn. */
  g_assert_nonnull (strstr (error->message, "urn:sha1:"));
  g_assert_cmpint (id, ==, -1);
  g_clear_error (&error);

  downloads = shoal_download_store_list_downloads (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (downloads->len, ==, 1);
  g_assert_cmpstr (((ShoalStoredDownload *) downloads->pdata[0])->name, ==, "first");
}

static void
test_bad_arguments_refused (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(ShoalStoredDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  ShoalStoredSource source = make_source (0x01020304, 6346, FALSE, FALSE);
  guint8 sha1[SHOAL_SHA1_SIZE];
  gint64 sized = add_download (store, 1, 1000, "sized");
  gint64 unsized = add_download (store, 2, SHOAL_DOWNLOAD_SIZE_UNKNOWN, "unsized");

  /* A record that does not fit the file is not written. */
  save_progress (store, sized, "0-10");
  g_assert_false (shoal_download_store_save_progress (store, sized, "0-1001", &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (shoal_download_store_save_progress (store, sized, "5-9,0-3", &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID);
  g_clear_error (&error);
  download = get_download (store, sized);
  g_assert_cmpstr (download->done_ranges, ==, "0-10");

  /* Nothing can be done of a file of unknown size. */
  save_progress (store, unsized, "");
  g_assert_false (shoal_download_store_save_progress (store, unsized, "0-1", &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* A known size does not change. */
  g_assert_true (shoal_download_store_set_size (store, sized, 1000, &error));
  g_assert_false (shoal_download_store_set_size (store, sized, 1001, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* Unknown ids. */
  g_assert_false (shoal_download_store_save_progress (store, 999, "", &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (shoal_download_store_set_state (store, 999, SHOAL_DOWNLOAD_STATE_PAUSED, NULL, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (shoal_download_store_set_size (store, 999, 5, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (shoal_download_store_add_source (store, 999, &source, NULL, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (shoal_download_store_mark_source_failure (store, 999, NULL, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A name that is not UTF-8. */
  make_sha1 (sha1, 3);
  g_assert_false (shoal_download_store_add_download (store, sha1, 10, "bad \xff name", NULL, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_INVALID);
  assert_integrity (store);
}

/* Raw SQL on the store's file, as another program (or damage) would. */
static void
run_raw_sql (const char *data_dir,
             const char *sql)
{
  g_autofree char *path = g_build_filename (data_dir, SHOAL_DOWNLOAD_STORE_FILE_NAME, NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static int
read_user_version (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, SHOAL_DOWNLOAD_STORE_FILE_NAME, NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int version;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

static void
write_store_file (const char *data_dir,
                  const char *contents,
                  gsize       length)
{
  g_autofree char *path = g_build_filename (data_dir, SHOAL_DOWNLOAD_STORE_FILE_NAME, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);
}

static void
test_migrate_empty_file (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(GPtrArray) downloads = NULL;
  g_autoptr(GError) error = NULL;

  /* A zero-byte file is an empty database at version 0. */
  write_store_file (fixture->data_dir, "", 0);
  store = open_store (fixture->data_dir);
  downloads = shoal_download_store_list_downloads (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (downloads->len, ==, 0);
  add_download (store, 1, 10, "works");
  assert_integrity (store);
  g_clear_pointer (&store, shoal_download_store_close);
  g_assert_cmpint (read_user_version (fixture->data_dir), ==, SHOAL_DOWNLOAD_STORE_SCHEMA_VERSION);

  /* Opening again migrates nothing and keeps the row. */
  store = open_store (fixture->data_dir);
  g_clear_pointer (&downloads, g_ptr_array_unref);
  downloads = shoal_download_store_list_downloads (store, &error);
  g_assert_cmpuint (downloads->len, ==, 1);
}

static void
test_missing_data_dir_created (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *nested = g_build_filename (fixture->data_dir, "a", NULL);
  g_autofree char *db_path = g_build_filename (nested, SHOAL_DOWNLOAD_STORE_FILE_NAME, NULL);
  g_autoptr(ShoalDownloadStore) store = open_store (nested);

  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&store, shoal_download_store_close);
  /* The tear-down removes flat folders only. */
  g_assert_cmpint (g_unlink (db_path), ==, 0);
  g_assert_cmpint (g_rmdir (nested), ==, 0);
}

static void
test_newer_schema_refused (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(ShoalDownloadStore) refused = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&store, shoal_download_store_close);
  run_raw_sql (fixture->data_dir, "PRAGMA user_version = 99");
  refused = shoal_download_store_open (fixture->data_dir, &error);
  g_assert_null (refused);
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT);
}

static void
test_not_a_database_refused (Fixture       *fixture,
                             gconstpointer  user_data)
{
  static const char garbage[] = "this is certainly not an SQLite database, but it is long "
                                "enough to have a header that SQLite reads and rejects.....";
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(GError) error = NULL;

  write_store_file (fixture->data_dir, garbage, sizeof garbage - 1);
  store = shoal_download_store_open (fixture->data_dir, &error);
  g_assert_null (store);
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT);
}

static void
test_damaged_rows_rejected (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  g_autoptr(ShoalStoredDownload) download = NULL;
  g_autoptr(ShoalDownloadPlan) plan = NULL;
  g_autoptr(GPtrArray) downloads = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = add_download (store, 1, 1000, "file");

  g_clear_pointer (&store, shoal_download_store_close);
  /* A progress record the store would never write: the store hands it
   * over, the plan refuses it. */
  run_raw_sql (fixture->data_dir, "UPDATE downloads SET done_ranges = '0-500,400-2000'");
  store = open_store (fixture->data_dir);
  download = get_download (store, id);
  plan = shoal_download_plan_new_from_record (download->size, download->done_ranges, &error);
  g_assert_null (plan);
  g_assert_error (error, SHOAL_DOWNLOAD_PLAN_ERROR, SHOAL_DOWNLOAD_PLAN_ERROR_INVALID_RECORD);
  g_clear_error (&error);
  g_clear_pointer (&store, shoal_download_store_close);

  /* A state no version of Shoal wrote. */
  run_raw_sql (fixture->data_dir, "UPDATE downloads SET state = 'exploded'");
  store = open_store (fixture->data_dir);
  downloads = shoal_download_store_list_downloads (store, &error);
  g_assert_null (downloads);
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT);
  g_clear_error (&error);

  /* Sources left behind by a writer without foreign keys. */
  run_raw_sql (fixture->data_dir,
               "INSERT INTO sources (download_id, address, port, last_seen) VALUES (4242, 1, 1, 0)");
  g_assert_false (shoal_download_store_check_integrity (store, &error));
  g_assert_error (error, SHOAL_DOWNLOAD_STORE_ERROR, SHOAL_DOWNLOAD_STORE_ERROR_CORRUPT);
}

/* Crash safety ------------------------------------------------------------ */

/* Saves until killed. */
G_GNUC_NORETURN static void
run_child (const char *data_dir,
           const char *id_text)
{
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(ShoalStoredDownload) download = NULL;
  g_autoptr(ShoalDownloadPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = g_ascii_strtoll (id_text, NULL, 10);

  store = shoal_download_store_open (data_dir, &error);
  if (store != NULL)
    download = shoal_download_store_get_download (store, id, &error);
  if (download != NULL)
    plan = shoal_download_plan_new_from_record (download->size, download->done_ranges, &error);
  if (plan == NULL)
    g_error ("child: %s", error->message);

  for (guint64 step = 0;; step++)
    {
      guint64 source = 1 + step % 2;
      guint64 start, end;
      g_autofree char *record = NULL;

      if (g_random_int_range (0, CRASH_RELEASE_ONE_IN) == 0)
        shoal_download_plan_release (plan, source);
      if (!shoal_download_plan_claim (plan, source, CRASH_CHUNK, &start, &end))
        g_error ("child: nothing left to claim");
      shoal_download_plan_mark_done (plan, start, start + g_random_int_range (1, (gint32) (end - start) + 1));
      record = shoal_download_plan_serialize (plan);
      g_print ("saving %" G_GUINT64_FORMAT "\n", shoal_download_plan_bytes_done (plan));
      fflush (stdout);
      if (!shoal_download_store_save_progress (store, id, record, &error))
        g_error ("child: %s", error->message);
      g_print ("saved %" G_GUINT64_FORMAT "\n", shoal_download_plan_bytes_done (plan));
      fflush (stdout);
    }
}

static GPid
spawn_child (const char *data_dir,
             gint64      id,
             int        *stdout_fd)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  const char *argv[] = { self_exe, "--child", data_dir, id_text, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_assert_nonnull (self_exe);
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, NULL, stdout_fd, NULL, &error);
  g_assert_no_error (error);
  return pid;
}

/* Reads what the child wrote until @deadline (monotonic), or until EOF
 * with @deadline 0. Stops early once @until appears, if given. */
static void
read_child_output (int         fd,
                   GString    *output,
                   gint64      deadline,
                   const char *until)
{
  for (;;)
    {
      GPollFD poll_fd = { fd, G_IO_IN | G_IO_HUP, 0 };
      gint64 left = deadline > 0 ? deadline - g_get_monotonic_time () : -1000;
      char buffer[4096];
      gssize got;

      if (until != NULL && strstr (output->str, until) != NULL)
        return;
      if (deadline > 0 && left <= 0)
        return;
      if (g_poll (&poll_fd, 1, deadline > 0 ? (gint) (left / 1000) + 1 : -1) == 0)
        continue;
      got = read (fd, buffer, sizeof buffer);
      g_assert_cmpint (got, >=, 0);
      if (got == 0)
        return;
      g_string_append_len (output, buffer, got);
    }
}

/* The last "saved N" and "saving N" the child wrote in full. */
static void
parse_child_output (const char *output,
                    guint64    *last_saved,
                    guint64    *last_saving)
{
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  guint n = g_strv_length (lines);

  /* The last element follows the last newline: a line cut short. */
  for (guint i = 0; i + 1 < n; i++)
    {
      if (g_str_has_prefix (lines[i], "saved "))
        *last_saved = g_ascii_strtoull (lines[i] + strlen ("saved "), NULL, 10);
      else if (g_str_has_prefix (lines[i], "saving "))
        *last_saving = g_ascii_strtoull (lines[i] + strlen ("saving "), NULL, 10);
      else
        g_error ("unexpected child output: %s", lines[i]);
    }
}

/* Kills a child at a random moment of its saving loop; returns the bytes
 * done that the store holds afterwards. */
static guint64
kill_child_while_saving (const char *data_dir,
                         gint64      id,
                         guint64     stored_before)
{
  g_autoptr(GString) output = g_string_new (NULL);
  g_autoptr(ShoalDownloadStore) store = NULL;
  g_autoptr(ShoalStoredDownload) download = NULL;
  g_autoptr(ShoalDownloadPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  gint64 delay = g_test_rand_int_range (1, CRASH_MAX_DELAY_USEC);
  guint64 last_saved = stored_before;
  guint64 last_saving = stored_before;
  guint64 stored;
  int out = -1;
  GPid pid = spawn_child (data_dir, id, &out);
  int status;

  /* The random moment counts from the first save, past the start-up. */
  read_child_output (out, output, g_get_monotonic_time () + 60 * G_USEC_PER_SEC, "saving ");
  read_child_output (out, output, g_get_monotonic_time () + delay, NULL);
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (status));
  read_child_output (out, output, 0, NULL);
  close (out);
  parse_child_output (output->str, &last_saved, &last_saving);

  store = open_store (data_dir);
  assert_integrity (store);
  download = get_download (store, id);
  plan = shoal_download_plan_new_from_record (download->size, download->done_ranges, &error);
  g_assert_no_error (error);
  stored = shoal_download_plan_bytes_done (plan);
  g_test_message ("killed after %" G_GINT64_FORMAT " ms: saved %" G_GUINT64_FORMAT
                  ", saving %" G_GUINT64_FORMAT ", stored %" G_GUINT64_FORMAT,
                  delay / 1000, last_saved, last_saving, stored);
  /* The last commit, or the one under way if it got through. */
  g_assert_true (stored == last_saved || stored == last_saving);
  g_assert_cmpuint (stored, >=, stored_before);
  return stored;
}

static void
test_progress_survives_kill (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(ShoalDownloadStore) store = open_store (fixture->data_dir);
  gint64 id = add_download (store, 1, CRASH_FILE_SIZE, "crash.bin");
  guint64 stored = 0;

  g_clear_pointer (&store, shoal_download_store_close);
  for (guint i = 0; i < CRASH_KILLS; i++)
    stored = kill_child_while_saving (fixture->data_dir, id, stored);
  g_assert_cmpuint (stored, >, 0);
}

int
main (int    argc,
      char **argv)
{
  if (argc == 4 && g_strcmp0 (argv[1], "--child") == 0)
    run_child (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/download-store/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("downloads-round-trip", test_downloads_round_trip);
  ADD ("sources-round-trip", test_sources_round_trip);
  ADD ("remove-takes-sources", test_remove_takes_sources);
  ADD ("reopen-keeps-data", test_reopen_keeps_data);
  ADD ("duplicate-sha1-refused", test_duplicate_sha1_refused);
  ADD ("bad-arguments-refused", test_bad_arguments_refused);
  ADD ("migrate-empty-file", test_migrate_empty_file);
  ADD ("missing-data-dir-created", test_missing_data_dir_created);
  ADD ("newer-schema-refused", test_newer_schema_refused);
  ADD ("not-a-database-refused", test_not_a_database_refused);
  ADD ("damaged-rows-rejected", test_damaged_rows_rejected);
  ADD ("progress-survives-kill", test_progress_survives_kill);
#undef ADD

  return g_test_run ();
}
