/* test-host-cache.c — ShoalHostCache: the dialable filter, dedup, bound
 * and eviction, backoff on an injected clock, ranking, in-use marks, and
 * persistence across reopening. */
#include "shoal-host-cache.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/* How long any wait may take before the test fails. */
#define TEST_TIMEOUT_MS 30000
#define SECOND ((gint64) G_USEC_PER_SEC)
/* An arbitrary wall-clock time for the fake clock: 2023-11-14. */
#define START_USEC (G_GINT64_CONSTANT (1700000000) * SECOND)

typedef struct
{
  gint64 now;
} FakeClock;

static gint64
fake_clock_now (gpointer user_data)
{
  return ((FakeClock *) user_data)->now;
}

static ShoalIpv4Endpoint
endpoint (const char *text)
{
  ShoalIpv4Endpoint result;

  g_assert_true (shoal_ipv4_endpoint_parse (text, strlen (text), &result));
  return result;
}

static ShoalHostCache *
new_cache_with_clock (FakeClock *clock)
{
  ShoalHostCache *cache = shoal_host_cache_new_in_memory ();

  clock->now = START_USEC;
  shoal_host_cache_set_clock (cache, fake_clock_now, clock);
  return cache;
}

static gboolean
add_host (ShoalHostCache  *cache,
          const char      *text,
          ShoalHostSource  source,
          ShoalHostRole    role)
{
  ShoalIpv4Endpoint host = endpoint (text);

  return shoal_host_cache_add (cache, &host, source, role);
}

static ShoalHostInfo
lookup (ShoalHostCache *cache,
        const char     *text)
{
  ShoalIpv4Endpoint host = endpoint (text);
  ShoalHostInfo info;

  g_assert_true (shoal_host_cache_lookup (cache, &host, &info));
  return info;
}

static gboolean
holds (ShoalHostCache *cache,
       const char     *text)
{
  ShoalIpv4Endpoint host = endpoint (text);
  ShoalHostInfo info;

  return shoal_host_cache_lookup (cache, &host, &info);
}

static void
report_failure (ShoalHostCache *cache,
                const char     *text)
{
  ShoalIpv4Endpoint host = endpoint (text);

  g_assert_true (shoal_host_cache_report_failure (cache, &host));
}

static void
set_in_use (ShoalHostCache *cache,
            const char     *text,
            gboolean        in_use)
{
  ShoalIpv4Endpoint host = endpoint (text);

  shoal_host_cache_set_in_use (cache, &host, in_use);
}

/* The endpoint pick_next() gives, as text, or NULL when none is ready. */
static char *
pick (ShoalHostCache *cache)
{
  ShoalIpv4Endpoint host;
  char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];

  if (!shoal_host_cache_pick_next (cache, &host))
    return NULL;
  return g_strdup (shoal_ipv4_endpoint_format (&host, TRUE, buffer));
}

static void
assert_pick (ShoalHostCache *cache,
             const char     *expected)
{
  g_autofree char *picked = pick (cache);

  g_assert_cmpstr (picked, ==, expected);
}

/* Waiting on the main loop ----------------------------------------------- */

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for_flag (const gboolean *flag,
               const char     *what)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (TEST_TIMEOUT_MS, on_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %d ms waiting for %s", TEST_TIMEOUT_MS, what);
  g_source_remove (timeout);
}

static void
on_loaded (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  *(gboolean *) user_data = shoal_host_cache_get_loaded (SHOAL_HOST_CACHE (object));
}

static void
wait_loaded (ShoalHostCache *cache)
{
  gboolean loaded = shoal_host_cache_get_loaded (cache);
  gulong handler = g_signal_connect (cache, "notify::loaded", G_CALLBACK (on_loaded), &loaded);

  wait_for_flag (&loaded, "the host cache to load");
  g_signal_handler_disconnect (cache, handler);
}

typedef struct
{
  guint flushes;
  guint rows;
  guint errors;
  char *error_message;
} StoreEvents;

static void
on_flushed (ShoalHostCache *cache,
            guint           rows,
            gpointer        user_data)
{
  StoreEvents *events = user_data;

  events->flushes++;
  events->rows += rows;
}

static void
on_error (ShoalHostCache *cache,
          const GError   *error,
          gpointer        user_data)
{
  StoreEvents *events = user_data;

  events->errors++;
  g_free (events->error_message);
  events->error_message = g_strdup (error->message);
}

static void
watch_store (ShoalHostCache *cache,
             StoreEvents    *events)
{
  g_signal_connect (cache, "flushed", G_CALLBACK (on_flushed), events);
  g_signal_connect (cache, "error", G_CALLBACK (on_error), events);
}

/* Runs the main loop until the store reported @flushes writes and
 * @errors failures in all. */
static void
wait_store_events (const StoreEvents *events,
                   guint              flushes,
                   guint              errors)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (TEST_TIMEOUT_MS, on_timeout, &timed_out);

  while ((events->flushes < flushes || events->errors < errors) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out after %d ms waiting for host cache writes", TEST_TIMEOUT_MS);
  g_source_remove (timeout);
}

/* Files ----------------------------------------------------------------------- */

static char *
make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("shoal-host-cache-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* The folders these tests make hold only files. */
static void
remove_data_dir (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Runs @sql on hosts.db through a connection of the test's own, as
 * another process would. */
static void
exec_on_disk (const char *dir,
              const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "hosts.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static int
count_rows_on_disk (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "hosts.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int rows;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM hosts", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  rows = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rows;
}

/* The dialable filter ------------------------------------------------------ */

typedef struct
{
  const char *endpoint;
  gboolean    public_mode;   /* dialable without allow_private */
  gboolean    private_mode;  /* dialable with allow_private */
} DialableCase;

static const DialableCase dialable_cases[] = {
  { "1.2.3.4:6346", TRUE, TRUE },
  { "1.2.3.4:0", FALSE, FALSE },
  { "223.255.255.254:1", TRUE, TRUE },
  /* 0/8 */
  { "0.0.0.0:6346", FALSE, FALSE },
  { "0.255.255.255:6346", FALSE, FALSE },
  /* multicast, 240/4 and broadcast */
  { "224.0.0.1:6346", FALSE, FALSE },
  { "239.255.255.255:6346", FALSE, FALSE },
  { "240.0.0.1:6346", FALSE, FALSE },
  { "255.255.255.255:6346", FALSE, FALSE },
  /* loopback */
  { "127.0.0.1:6346", FALSE, TRUE },
  { "127.255.255.254:6346", FALSE, TRUE },
  { "128.0.0.1:6346", TRUE, TRUE },
  /* RFC 1918 and around */
  { "10.0.0.1:6346", FALSE, TRUE },
  { "10.255.255.255:6346", FALSE, TRUE },
  { "11.0.0.1:6346", TRUE, TRUE },
  { "172.15.255.255:6346", TRUE, TRUE },
  { "172.16.0.1:6346", FALSE, TRUE },
  { "172.31.255.255:6346", FALSE, TRUE },
  { "172.32.0.0:6346", TRUE, TRUE },
  { "192.168.1.1:6346", FALSE, TRUE },
  { "192.169.0.1:6346", TRUE, TRUE },
  /* shared address space */
  { "100.63.255.255:6346", TRUE, TRUE },
  { "100.64.0.1:6346", FALSE, TRUE },
  { "100.127.255.255:6346", FALSE, TRUE },
  { "100.128.0.0:6346", TRUE, TRUE },
  /* link-local */
  { "169.254.10.20:6346", FALSE, TRUE },
  { "169.253.0.1:6346", TRUE, TRUE },
  /* benchmarking */
  { "198.18.0.1:6346", FALSE, TRUE },
  { "198.19.255.255:6346", FALSE, TRUE },
  { "198.20.0.0:6346", TRUE, TRUE },
  /* documentation */
  { "192.0.2.7:6346", FALSE, TRUE },
  { "192.0.3.7:6346", TRUE, TRUE },
  { "198.51.100.7:6346", FALSE, TRUE },
  { "203.0.113.7:6346", FALSE, TRUE },
  { "203.0.114.7:6346", TRUE, TRUE },
};

static void
test_dialable_filter (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (dialable_cases); i++)
    {
      const DialableCase *c = &dialable_cases[i];
      ShoalIpv4Endpoint host = endpoint (c->endpoint);

      g_test_message ("%s", c->endpoint);
      g_assert_cmpint (shoal_host_is_dialable (&host, FALSE), ==, c->public_mode);
      g_assert_cmpint (shoal_host_is_dialable (&host, TRUE), ==, c->private_mode);
    }
}

static void
test_refused_hosts_counted (void)
{
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();

  g_assert_false (add_host (cache, "10.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_false (add_host (cache, "224.0.0.1:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_false (add_host (cache, "8.8.8.8:0", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_cmpuint (shoal_host_cache_get_refused (cache), ==, 3);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 0);

  /* LAN mode lets private hosts in, never multicast. */
  g_object_set (cache, "allow-private", TRUE, NULL);
  g_assert_true (add_host (cache, "10.0.0.1:6346", SHOAL_HOST_SOURCE_LAN, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_false (add_host (cache, "224.0.0.1:6346", SHOAL_HOST_SOURCE_LAN, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_cmpuint (shoal_host_cache_get_refused (cache), ==, 4);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);
}

static void
test_own_endpoint_never_added (void)
{
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new_in_memory ();
  ShoalIpv4Endpoint own = endpoint ("5.6.7.8:6346");

  g_assert_true (add_host (cache, "5.6.7.8:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN));
  shoal_host_cache_set_own_endpoint (cache, &own);
  g_assert_false (holds (cache, "5.6.7.8:6346"));
  g_assert_false (add_host (cache, "5.6.7.8:6346", SHOAL_HOST_SOURCE_X_TRY, SHOAL_HOST_ROLE_ULTRAPEER));
  /* Another port on the same address is another servent. */
  g_assert_true (add_host (cache, "5.6.7.8:6347", SHOAL_HOST_SOURCE_X_TRY, SHOAL_HOST_ROLE_ULTRAPEER));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);
  g_assert_cmpuint (shoal_host_cache_get_refused (cache), ==, 0);
}

/* Dedup, bound, eviction ------------------------------------------------------ */

static void
test_add_dedups_and_merges (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);
  ShoalHostInfo info;

  g_assert_true (add_host (cache, "1.2.3.4:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN));
  clock.now += 5 * SECOND;
  g_assert_true (add_host (cache, "1.2.3.4:6346", SHOAL_HOST_SOURCE_X_TRY, SHOAL_HOST_ROLE_ULTRAPEER));
  clock.now += 5 * SECOND;
  /* An unknown role keeps what was known. */
  g_assert_true (add_host (cache, "1.2.3.4:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);

  info = lookup (cache, "1.2.3.4:6346");
  g_assert_cmpuint (info.sources, ==,
                    SHOAL_HOST_SOURCE_PONG | SHOAL_HOST_SOURCE_X_TRY | SHOAL_HOST_SOURCE_IPP);
  g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_ULTRAPEER);
  g_assert_cmpint (info.last_seen_usec, ==, START_USEC + 10 * SECOND);
  g_assert_cmpint (info.last_success_usec, ==, 0);
  g_assert_cmpuint (info.failures, ==, 0);
  g_assert_false (info.in_use);

  /* A known role replaces the old one: the peer told us it demoted. */
  g_assert_true (add_host (cache, "1.2.3.4:6346", SHOAL_HOST_SOURCE_HEADER, SHOAL_HOST_ROLE_LEAF));
  g_assert_cmpint (lookup (cache, "1.2.3.4:6346").role, ==, SHOAL_HOST_ROLE_LEAF);

  g_assert_true (add_host (cache, "1.2.3.4:6347", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 2);
  g_assert_true (shoal_host_cache_remove (cache, &info.endpoint));
  g_assert_false (shoal_host_cache_remove (cache, &info.endpoint));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);
}

static void
test_bound_evicts_worst (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);

  g_object_set (cache, "max-hosts", 4, NULL);
  add_host (cache, "1.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  clock.now += SECOND;
  add_host (cache, "1.0.0.2:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  clock.now += SECOND;
  add_host (cache, "1.0.0.3:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_LEAF);
  clock.now += SECOND;
  add_host (cache, "1.0.0.4:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  report_failure (cache, "1.0.0.4:6346");
  clock.now += SECOND;

  /* Failures weigh most: the newest host, which failed, goes first. */
  g_assert_true (add_host (cache, "1.0.0.5:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 4);
  g_assert_false (holds (cache, "1.0.0.4:6346"));
  /* Then leaves. */
  clock.now += SECOND;
  g_assert_true (add_host (cache, "1.0.0.6:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_UNKNOWN));
  g_assert_false (holds (cache, "1.0.0.3:6346"));
  /* Then unknown roles (the oldest sighting first) before ultrapeers. */
  clock.now += SECOND;
  g_assert_true (add_host (cache, "1.0.0.7:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER));
  g_assert_false (holds (cache, "1.0.0.5:6346"));
  g_assert_true (holds (cache, "1.0.0.6:6346"));
  /* Among ultrapeers with nothing else to tell them apart, the one seen
   * longest ago. */
  clock.now += SECOND;
  g_assert_true (add_host (cache, "1.0.0.8:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER));
  g_assert_false (holds (cache, "1.0.0.6:6346"));
  clock.now += SECOND;
  g_assert_true (add_host (cache, "1.0.0.9:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER));
  g_assert_false (holds (cache, "1.0.0.1:6346"));
  g_assert_true (holds (cache, "1.0.0.2:6346"));
  g_assert_true (holds (cache, "1.0.0.7:6346"));
  g_assert_true (holds (cache, "1.0.0.8:6346"));
  g_assert_true (holds (cache, "1.0.0.9:6346"));
  /* A newcomer worth less than every host cached stays out. */
  clock.now += SECOND;
  g_assert_false (add_host (cache, "1.0.0.10:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_LEAF));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 4);
  g_assert_cmpuint (shoal_host_cache_get_refused (cache), ==, 0);
}

static void
test_bound_spares_in_use_and_anchors (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);

  g_object_set (cache, "max-hosts", 2, NULL);
  add_host (cache, "2.0.0.1:6346", SHOAL_HOST_SOURCE_ANCHOR, SHOAL_HOST_ROLE_LEAF);
  report_failure (cache, "2.0.0.1:6346");
  add_host (cache, "2.0.0.2:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_LEAF);
  report_failure (cache, "2.0.0.2:6346");
  set_in_use (cache, "2.0.0.2:6346", TRUE);

  /* Both are worse than the newcomer, and neither may go. */
  g_assert_false (add_host (cache, "2.0.0.3:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 2);
  g_assert_cmpuint (shoal_host_cache_get_refused (cache), ==, 0);

  set_in_use (cache, "2.0.0.2:6346", FALSE);
  g_assert_true (add_host (cache, "2.0.0.3:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER));
  g_assert_false (holds (cache, "2.0.0.2:6346"));
  g_assert_true (holds (cache, "2.0.0.1:6346"));

  /* Lowering the bound evicts at once, still sparing the anchor. */
  g_object_set (cache, "max-hosts", 1, NULL);
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);
  g_assert_true (holds (cache, "2.0.0.1:6346"));
}

/* Backoff ----------------------------------------------------------------------- */

static void
test_backoff_schedule (void)
{
  static const gint64 expected_waits[] = { 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600 };
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);

  add_host (cache, "3.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  assert_pick (cache, "3.0.0.1:6346");
  /* Picking is an attempt: not again within the minute. */
  assert_pick (cache, NULL);
  clock.now += 59 * SECOND;
  assert_pick (cache, NULL);
  clock.now += SECOND;
  assert_pick (cache, "3.0.0.1:6346");

  for (guint i = 0; i < G_N_ELEMENTS (expected_waits); i++)
    {
      ShoalHostInfo info;

      report_failure (cache, "3.0.0.1:6346");
      info = lookup (cache, "3.0.0.1:6346");
      g_assert_cmpuint (info.failures, ==, i + 1);
      g_assert_cmpint (info.next_attempt_usec, ==, clock.now + expected_waits[i] * SECOND);
      clock.now += expected_waits[i] * SECOND - 1;
      assert_pick (cache, NULL);
      clock.now += 1;
      assert_pick (cache, "3.0.0.1:6346");
    }

  /* The tenth failure in a row forgets the host. */
  report_failure (cache, "3.0.0.1:6346");
  g_assert_false (holds (cache, "3.0.0.1:6346"));
  g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 0);
}

static void
test_success_clears_failures (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);
  ShoalIpv4Endpoint host = endpoint ("3.0.0.2:6346");
  ShoalIpv4Endpoint stranger = endpoint ("3.0.0.3:6346");
  ShoalHostInfo info;

  add_host (cache, "3.0.0.2:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  report_failure (cache, "3.0.0.2:6346");
  report_failure (cache, "3.0.0.2:6346");
  clock.now += 1000 * SECOND;
  g_assert_true (shoal_host_cache_report_success (cache, &host));
  info = lookup (cache, "3.0.0.2:6346");
  g_assert_cmpuint (info.failures, ==, 0);
  g_assert_cmpint (info.last_success_usec, ==, clock.now);
  g_assert_cmpint (info.last_seen_usec, ==, clock.now);
  /* Even after a success, no redial within the minute. */
  g_assert_cmpint (info.next_attempt_usec, ==, clock.now + 60 * SECOND);
  assert_pick (cache, NULL);

  g_assert_false (shoal_host_cache_report_success (cache, &stranger));
  g_assert_false (shoal_host_cache_report_failure (cache, &stranger));
}

static void
test_anchor_never_forgotten (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);

  add_host (cache, "3.0.0.4:6346", SHOAL_HOST_SOURCE_ANCHOR, SHOAL_HOST_ROLE_UNKNOWN);
  for (guint i = 0; i < 3 * SHOAL_HOST_CACHE_MAX_FAILURES; i++)
    report_failure (cache, "3.0.0.4:6346");
  g_assert_cmpuint (lookup (cache, "3.0.0.4:6346").failures, ==, SHOAL_HOST_CACHE_MAX_FAILURES);
  g_assert_cmpint (lookup (cache, "3.0.0.4:6346").next_attempt_usec, ==,
                   clock.now + SHOAL_HOST_CACHE_MAX_BACKOFF_SECONDS * SECOND);
}

/* Ranking and marks ----------------------------------------------------------- */

static void
test_ranking (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);
  ShoalIpv4Endpoint succeeded = endpoint ("4.0.0.3:6346");

  add_host (cache, "4.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_LEAF);
  clock.now += SECOND;
  add_host (cache, "4.0.0.2:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN);
  clock.now += SECOND;
  add_host (cache, "4.0.0.3:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  g_assert_true (shoal_host_cache_report_success (cache, &succeeded));
  clock.now += SECOND;
  add_host (cache, "4.0.0.4:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  clock.now += SECOND;
  add_host (cache, "4.0.0.5:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  clock.now += SECOND;
  add_host (cache, "4.0.0.6:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  report_failure (cache, "4.0.0.6:6346");

  /* Let every wait run out. */
  clock.now += SHOAL_HOST_CACHE_MAX_BACKOFF_SECONDS * SECOND;
  /* Ultrapeers first: one that worked, then the freshest sightings, then
   * the one that failed; then unknown roles, then leaves. */
  assert_pick (cache, "4.0.0.3:6346");
  assert_pick (cache, "4.0.0.5:6346");
  assert_pick (cache, "4.0.0.4:6346");
  assert_pick (cache, "4.0.0.6:6346");
  assert_pick (cache, "4.0.0.2:6346");
  assert_pick (cache, "4.0.0.1:6346");
  assert_pick (cache, NULL);
}

static void
test_in_use_never_picked (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);

  add_host (cache, "5.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  add_host (cache, "5.0.0.2:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_LEAF);
  set_in_use (cache, "5.0.0.1:6346", TRUE);
  g_assert_true (lookup (cache, "5.0.0.1:6346").in_use);
  assert_pick (cache, "5.0.0.2:6346");
  assert_pick (cache, NULL);

  set_in_use (cache, "5.0.0.1:6346", FALSE);
  g_assert_false (lookup (cache, "5.0.0.1:6346").in_use);
  assert_pick (cache, "5.0.0.1:6346");

  /* A mark set before the host is known holds once it is added. */
  set_in_use (cache, "5.0.0.3:6346", TRUE);
  add_host (cache, "5.0.0.3:6346", SHOAL_HOST_SOURCE_HEADER, SHOAL_HOST_ROLE_ULTRAPEER);
  g_assert_true (lookup (cache, "5.0.0.3:6346").in_use);
  assert_pick (cache, NULL);
}

static void
assert_endpoints (GArray             *endpoints,
                  const char * const *expected)
{
  guint count = g_strv_length ((char **) expected);

  g_assert_cmpuint (endpoints->len, ==, count);
  for (guint i = 0; i < count; i++)
    {
      char buffer[SHOAL_IPV4_ENDPOINT_STRLEN];

      shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, i), TRUE, buffer);
      g_assert_cmpstr (buffer, ==, expected[i]);
    }
}

static void
test_get_recent (void)
{
  FakeClock clock;
  g_autoptr(ShoalHostCache) cache = new_cache_with_clock (&clock);
  g_autoptr(GArray) all = NULL;
  g_autoptr(GArray) two = NULL;
  g_autoptr(GArray) ultrapeers = NULL;
  const char * const expected_all[] = { "6.0.0.4:6346", "6.0.0.3:6346", "6.0.0.1:6346", NULL };
  const char * const expected_two[] = { "6.0.0.4:6346", "6.0.0.3:6346", NULL };
  const char * const expected_ultrapeers[] = { "6.0.0.4:6346", "6.0.0.1:6346", NULL };

  add_host (cache, "6.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  clock.now += SECOND;
  add_host (cache, "6.0.0.2:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);
  report_failure (cache, "6.0.0.2:6346");
  clock.now += SECOND;
  add_host (cache, "6.0.0.3:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_LEAF);
  clock.now += SECOND;
  add_host (cache, "6.0.0.4:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_ULTRAPEER);

  /* Freshest first; the host that failed is not passed on. */
  all = shoal_host_cache_get_recent (cache, 10, FALSE);
  assert_endpoints (all, expected_all);
  two = shoal_host_cache_get_recent (cache, 2, FALSE);
  assert_endpoints (two, expected_two);
  ultrapeers = shoal_host_cache_get_recent (cache, 10, TRUE);
  assert_endpoints (ultrapeers, expected_ultrapeers);
}

/* Persistence ------------------------------------------------------------------ */

static void
test_persists_across_reopen (void)
{
  g_autofree char *dir = make_data_dir ();
  FakeClock clock = { START_USEC };
  ShoalIpv4Endpoint good = endpoint ("7.0.0.1:6346");
  ShoalIpv4Endpoint gone = endpoint ("7.0.0.3:6346");
  ShoalHostInfo info;

  {
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

    wait_loaded (cache);
    g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 0);
    shoal_host_cache_set_clock (cache, fake_clock_now, &clock);
    add_host (cache, "7.0.0.1:6346", SHOAL_HOST_SOURCE_UHC, SHOAL_HOST_ROLE_ULTRAPEER);
    add_host (cache, "7.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN);
    clock.now += 10 * SECOND;
    g_assert_true (shoal_host_cache_report_success (cache, &good));
    add_host (cache, "7.0.0.2:6346", SHOAL_HOST_SOURCE_GWC, SHOAL_HOST_ROLE_LEAF);
    report_failure (cache, "7.0.0.2:6346");
    report_failure (cache, "7.0.0.2:6346");
    add_host (cache, "7.0.0.3:6346", SHOAL_HOST_SOURCE_X_TRY, SHOAL_HOST_ROLE_UNKNOWN);
    /* Written by the timer or, at the latest, when the cache goes. */
    shoal_host_cache_flush (cache);
    g_assert_true (shoal_host_cache_remove (cache, &gone));
  }

  {
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

    wait_loaded (cache);
    g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 2);
    g_assert_false (shoal_host_cache_lookup (cache, &gone, &info));

    info = lookup (cache, "7.0.0.1:6346");
    g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_ULTRAPEER);
    g_assert_cmpuint (info.sources, ==, SHOAL_HOST_SOURCE_UHC | SHOAL_HOST_SOURCE_PONG);
    g_assert_cmpint (info.last_success_usec, ==, START_USEC + 10 * SECOND);
    g_assert_cmpint (info.last_seen_usec, ==, START_USEC + 10 * SECOND);
    g_assert_cmpint (info.next_attempt_usec, ==, START_USEC + 70 * SECOND);
    g_assert_cmpuint (info.failures, ==, 0);

    info = lookup (cache, "7.0.0.2:6346");
    g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_LEAF);
    g_assert_cmpuint (info.sources, ==, SHOAL_HOST_SOURCE_GWC);
    g_assert_cmpuint (info.failures, ==, 2);
    g_assert_cmpint (info.next_attempt_usec, ==, START_USEC + 130 * SECOND);
    g_assert_cmpint (info.last_success_usec, ==, 0);
  }
  g_assert_cmpint (count_rows_on_disk (dir), ==, 2);
  remove_data_dir (dir);
}

static void
test_writes_are_batched (void)
{
  g_autofree char *dir = make_data_dir ();
  StoreEvents events = { 0 };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

  watch_store (cache, &events);
  g_object_set (cache, "flush-interval", 1, NULL);
  wait_loaded (cache);
  for (guint i = 1; i <= 50; i++)
    {
      g_autofree char *text = g_strdup_printf ("8.0.0.%u:6346", i);

      g_assert_true (add_host (cache, text, SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER));
    }
  /* Nothing reached the disk on any of those calls. */
  g_assert_cmpint (count_rows_on_disk (dir), ==, 0);
  g_assert_cmpuint (events.flushes, ==, 0);

  wait_store_events (&events, 1, 0);
  g_assert_cmpuint (events.flushes, ==, 1);
  g_assert_cmpuint (events.rows, ==, 50);
  g_assert_cmpuint (events.errors, ==, 0);
  g_assert_cmpint (count_rows_on_disk (dir), ==, 50);

  g_clear_object (&cache);
  g_free (events.error_message);
  remove_data_dir (dir);
}

static void
test_failed_write_is_retried (void)
{
  g_autofree char *dir = make_data_dir ();
  StoreEvents events = { 0 };
  g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

  watch_store (cache, &events);
  wait_loaded (cache);
  add_host (cache, "8.1.0.1:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER);
  add_host (cache, "8.1.0.2:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER);
  add_host (cache, "8.1.0.3:6346", SHOAL_HOST_SOURCE_IPP, SHOAL_HOST_ROLE_ULTRAPEER);

  /* Someone broke the table under us: the batch fails as a whole. */
  exec_on_disk (dir, "DROP TABLE hosts");
  shoal_host_cache_flush (cache);
  wait_store_events (&events, 0, 1);
  g_assert_cmpuint (events.flushes, ==, 0);
  g_assert_nonnull (strstr (events.error_message, "hosts"));

  /* Once the file can take it again, the same changes go in. */
  exec_on_disk (dir, "CREATE TABLE hosts (address INTEGER NOT NULL, port INTEGER NOT NULL,"
                     " role INTEGER NOT NULL, sources INTEGER NOT NULL,"
                     " last_seen INTEGER NOT NULL, last_success INTEGER NOT NULL,"
                     " failures INTEGER NOT NULL, next_attempt INTEGER NOT NULL,"
                     " PRIMARY KEY (address, port)) WITHOUT ROWID");
  shoal_host_cache_flush (cache);
  wait_store_events (&events, 1, 1);
  g_assert_cmpuint (events.rows, ==, 3);
  g_assert_cmpint (count_rows_on_disk (dir), ==, 3);

  g_clear_object (&cache);
  g_free (events.error_message);
  remove_data_dir (dir);
}

static void
test_saved_hosts_merge_with_new_ones (void)
{
  g_autofree char *dir = make_data_dir ();
  FakeClock clock = { START_USEC };
  ShoalHostInfo info;

  {
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

    shoal_host_cache_set_clock (cache, fake_clock_now, &clock);
    add_host (cache, "9.0.0.1:6346", SHOAL_HOST_SOURCE_UHC, SHOAL_HOST_ROLE_ULTRAPEER);
    add_host (cache, "9.0.0.2:6346", SHOAL_HOST_SOURCE_UHC, SHOAL_HOST_ROLE_ULTRAPEER);
  }
  {
    /* The load is delivered through this main context, so hosts added
     * before iterating it are there first. */
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

    clock.now += 100 * SECOND;
    shoal_host_cache_set_clock (cache, fake_clock_now, &clock);
    add_host (cache, "9.0.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN);
    g_object_set (cache, "max-hosts", 1, NULL);
    wait_loaded (cache);

    /* The bound holds for saved hosts too. */
    g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);
    info = lookup (cache, "9.0.0.1:6346");
    g_assert_cmpuint (info.sources, ==, SHOAL_HOST_SOURCE_UHC | SHOAL_HOST_SOURCE_PONG);
    g_assert_cmpint (info.role, ==, SHOAL_HOST_ROLE_ULTRAPEER);
    g_assert_cmpint (info.last_seen_usec, ==, START_USEC + 100 * SECOND);
  }
  g_assert_cmpint (count_rows_on_disk (dir), ==, 1);
  remove_data_dir (dir);
}

static void
test_unusable_file_leaves_cache_working (void)
{
  static const char garbage[] = "this is no SQLite database, just some text of ours\n";
  g_autofree char *dir = make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "hosts.db", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  StoreEvents events = { 0 };
  gsize length;

  g_assert_true (g_file_set_contents (path, garbage, -1, &error));
  {
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

    watch_store (cache, &events);
    wait_loaded (cache);
    g_assert_cmpuint (events.errors, ==, 1);
    g_assert_nonnull (strstr (events.error_message, "hosts.db"));
    g_assert_true (add_host (cache, "9.1.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN));
    g_assert_cmpuint (shoal_host_cache_get_count (cache), ==, 1);
  }
  /* The file is left as it was for someone to look at. */
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpstr (contents, ==, garbage);
  g_free (events.error_message);
  remove_data_dir (dir);
}

static void
test_newer_schema_refused (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "hosts.db", NULL);
  StoreEvents events = { 0 };
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  {
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (dir);

    watch_store (cache, &events);
    wait_loaded (cache);
    g_assert_cmpuint (events.errors, ==, 1);
    g_assert_nonnull (strstr (events.error_message, "newer"));
  }
  g_free (events.error_message);
  remove_data_dir (dir);
}

static void
test_uncreatable_folder_reported (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *file = g_build_filename (dir, "a-file", NULL);
  g_autofree char *below_file = g_build_filename (file, "shoal", NULL);
  g_autoptr(GError) error = NULL;
  StoreEvents events = { 0 };

  g_assert_true (g_file_set_contents (file, "x", 1, &error));
  {
    g_autoptr(ShoalHostCache) cache = shoal_host_cache_new (below_file);

    watch_store (cache, &events);
    wait_loaded (cache);
    g_assert_cmpuint (events.errors, ==, 1);
    g_assert_nonnull (strstr (events.error_message, "cannot create folder"));
    g_assert_true (add_host (cache, "9.2.0.1:6346", SHOAL_HOST_SOURCE_PONG, SHOAL_HOST_ROLE_UNKNOWN));
  }
  g_free (events.error_message);
  remove_data_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/host-cache/dialable-filter", test_dialable_filter);
  g_test_add_func ("/host-cache/refused-hosts-counted", test_refused_hosts_counted);
  g_test_add_func ("/host-cache/own-endpoint-never-added", test_own_endpoint_never_added);
  g_test_add_func ("/host-cache/add-dedups-and-merges", test_add_dedups_and_merges);
  g_test_add_func ("/host-cache/bound-evicts-worst", test_bound_evicts_worst);
  g_test_add_func ("/host-cache/bound-spares-in-use-and-anchors", test_bound_spares_in_use_and_anchors);
  g_test_add_func ("/host-cache/backoff-schedule", test_backoff_schedule);
  g_test_add_func ("/host-cache/success-clears-failures", test_success_clears_failures);
  g_test_add_func ("/host-cache/anchor-never-forgotten", test_anchor_never_forgotten);
  g_test_add_func ("/host-cache/ranking", test_ranking);
  g_test_add_func ("/host-cache/in-use-never-picked", test_in_use_never_picked);
  g_test_add_func ("/host-cache/get-recent", test_get_recent);
  g_test_add_func ("/host-cache/persists-across-reopen", test_persists_across_reopen);
  g_test_add_func ("/host-cache/writes-are-batched", test_writes_are_batched);
  g_test_add_func ("/host-cache/failed-write-is-retried", test_failed_write_is_retried);
  g_test_add_func ("/host-cache/saved-hosts-merge-with-new-ones", test_saved_hosts_merge_with_new_ones);
  g_test_add_func ("/host-cache/unusable-file-leaves-cache-working",
                   test_unusable_file_leaves_cache_working);
  g_test_add_func ("/host-cache/newer-schema-refused", test_newer_schema_refused);
  g_test_add_func ("/host-cache/uncreatable-folder-reported", test_uncreatable_folder_reported);
  return g_test_run ();
}
