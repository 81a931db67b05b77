/* shoal-host-cache.c — the known Gnutella hosts: ranking, backoff and
 * eviction in memory on the owner's main loop; a thread of the cache's own
 * keeps them in SQLite (WAL), written in batches.
 *
 * The owner side never touches the database ("nothing on the main thread
 * blocks on disk", DESIGN.md): it hands the store thread one load job at
 * start, then write jobs holding what changed since the last one, and the
 * store thread reports back through the owner's main context.
 */
#include "shoal-host-cache.h"

#include <errno.h>
#include <sqlite3.h>

#include "shoal-sqlite.h"

#define DB_FILE_NAME "hosts.db"
/* PRAGMA user_version this code creates and understands. */
#define SCHEMA_VERSION 1
/* Only the store thread writes; a longer wait means another process holds
 * the file (a second Shoal on the same data folder). */
#define DB_BUSY_TIMEOUT_MS 10000

/* Step N takes the database from user_version N - 1 to N, in one
 * transaction with the version bump. Released steps are never edited. */
static const char *const migrations[] = {
  /* 1: one row per host; role and sources hold ShoalHostRole and
   * ShoalHostSource values, times are microseconds, 0 for never. */
  "CREATE TABLE hosts ("
  "  address INTEGER NOT NULL,"
  "  port INTEGER NOT NULL,"
  "  role INTEGER NOT NULL,"
  "  sources INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL,"
  "  last_success INTEGER NOT NULL,"
  "  failures INTEGER NOT NULL,"
  "  next_attempt INTEGER NOT NULL,"
  "  PRIMARY KEY (address, port)) WITHOUT ROWID;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SCHEMA_VERSION);

/* A newer schema is refused as G_IO_ERROR_INVALID_DATA, the connection's
 * corrupt code. */
static const ShoalSqliteSchema schema = {
  .steps = migrations,
  .version = SCHEMA_VERSION,
  .read_what = "cannot read the host cache schema version",
  .begin_what = "cannot migrate the host cache",
  .commit_what = "cannot migrate the host cache",
  .step_what = "cannot migrate the host cache",
};

#define SELECT_SQL \
  "SELECT address, port, role, sources, last_seen, last_success, failures, next_attempt" \
  "  FROM hosts"
/* Merges rather than overwrites: a row the cache has not loaded yet (it was
 * dropped before the load finished) keeps what it knew. */
#define UPSERT_SQL \
  "INSERT INTO hosts (address, port, role, sources, last_seen, last_success," \
  "                   failures, next_attempt)" \
  "  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" \
  "  ON CONFLICT (address, port) DO UPDATE SET" \
  "    role = CASE excluded.role WHEN 0 THEN role ELSE excluded.role END," \
  "    sources = sources | excluded.sources," \
  "    last_seen = max (last_seen, excluded.last_seen)," \
  "    last_success = max (last_success, excluded.last_success)," \
  "    failures = excluded.failures," \
  "    next_attempt = excluded.next_attempt"
#define DELETE_SQL "DELETE FROM hosts WHERE address = ?1 AND port = ?2"

/* Every source bit ShoalHostSource defines, to refuse garbage rows. */
#define ALL_SOURCES 0xff

#define IPV4(a, b, c, d) \
  ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (guint32) (d))

typedef struct
{
  guint32  network;
  guint    prefix_length;
  gboolean private_use;  /* dialable in LAN / loopback test mode */
} AddressRange;

static const AddressRange undialable_ranges[] = {
  { IPV4 (0, 0, 0, 0), 8, FALSE },       /* "this network" */
  { IPV4 (224, 0, 0, 0), 4, FALSE },     /* multicast */
  { IPV4 (240, 0, 0, 0), 4, FALSE },     /* reserved, broadcast included */
  { IPV4 (127, 0, 0, 0), 8, TRUE },      /* loopback */
  { IPV4 (10, 0, 0, 0), 8, TRUE },       /* RFC 1918 */
  { IPV4 (172, 16, 0, 0), 12, TRUE },
  { IPV4 (192, 168, 0, 0), 16, TRUE },
  { IPV4 (100, 64, 0, 0), 10, TRUE },    /* shared address space, RFC 6598 */
  { IPV4 (169, 254, 0, 0), 16, TRUE },   /* link-local */
  { IPV4 (198, 18, 0, 0), 15, TRUE },    /* benchmarking, RFC 2544 */
  { IPV4 (192, 0, 2, 0), 24, TRUE },     /* documentation, RFC 5737 */
  { IPV4 (198, 51, 100, 0), 24, TRUE },
  { IPV4 (203, 0, 113, 0), 24, TRUE },
};

/* A LAN's own addresses: what LAN-only mode keeps to, and what is
 * accepted from peers found on the LAN. Loopback is apart (a test
 * setting); the shared space is there for VPNs such as Tailscale's. */
static const AddressRange lan_ranges[] = {
  { IPV4 (10, 0, 0, 0), 8, TRUE },       /* RFC 1918 */
  { IPV4 (172, 16, 0, 0), 12, TRUE },
  { IPV4 (192, 168, 0, 0), 16, TRUE },
  { IPV4 (169, 254, 0, 0), 16, TRUE },   /* link-local */
  { IPV4 (100, 64, 0, 0), 10, TRUE },    /* shared address space, RFC 6598 */
};
static const AddressRange loopback_range = { IPV4 (127, 0, 0, 0), 8, TRUE };

/* What the database holds for one host. */
typedef struct
{
  ShoalIpv4Endpoint endpoint;
  ShoalHostRole     role;
  guint             sources;
  gint64            last_seen;
  gint64            last_success;
  guint             failures;
  gint64            next_attempt;
} HostRecord;

typedef struct
{
  guint64    key;     /* endpoint_key (): the hosts table points at it */
  HostRecord record;
  gboolean   dirty;   /* changed since last handed to the store thread */
} HostEntry;

typedef enum
{
  JOB_LOAD,
  JOB_WRITE,
  JOB_STOP,
} JobKind;

typedef struct
{
  JobKind kind;
  GArray *upserts;  /* HostRecord */
  GArray *deletes;  /* ShoalIpv4Endpoint */
} Job;

/* How reports find the cache. Only the owner's thread reads @cache, and
 * dispose clears it there: reports still queued then find NULL. The store
 * thread never holds a reference, so the cache is never disposed on it. */
typedef struct
{
  ShoalHostCache *cache;
} StoreLink;

/* The store thread's state; it owns this and frees it when it stops. */
typedef struct
{
  char         *path;
  ShoalSqlite   sqlite;         /* handle NULL when the file could not be opened */
  GAsyncQueue  *jobs;
  GMainContext *owner_context;
  StoreLink    *link;           /* an atomic rc box */
} Store;

/* What the store thread sends back: the rows read at start, or the outcome
 * of a write (with its job when it failed, to mark it pending again). */
typedef struct
{
  StoreLink *link;
  JobKind    kind;
  GArray    *records;  /* JOB_LOAD: HostRecord */
  guint      rows;     /* JOB_WRITE: rows written */
  Job       *job;
  GError    *error;
} StoreReport;

struct _ShoalHostCache
{
  GObject             parent_instance;

  GHashTable         *hosts;    /* guint64 key → HostEntry* */
  GHashTable         *in_use;   /* guint64 key set */
  GHashTable         *removed;  /* keys dropped since the last write */
  ShoalIpv4Endpoint   own_endpoint;  /* port 0: unknown */
  guint               max_hosts;
  guint               flush_interval;
  gboolean            allow_private;
  gboolean            lan_only;
  guint               refused;
  gboolean            loaded;
  ShoalHostClockFunc  clock;
  gpointer            clock_data;

  GMainContext       *owner_context;
  GSource            *flush_timer;
  GThread            *store_thread;  /* NULL for an in-memory cache */
  GAsyncQueue        *jobs;
  StoreLink          *link;
};

enum
{
  PROP_0,
  PROP_MAX_HOSTS,
  PROP_FLUSH_INTERVAL,
  PROP_ALLOW_PRIVATE,
  PROP_LAN_ONLY,
  PROP_COUNT,
  PROP_REFUSED,
  PROP_LOADED,
  N_PROPS
};

enum
{
  SIGNAL_FLUSHED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalHostCache, shoal_host_cache, G_TYPE_OBJECT)

/* Endpoints and time ------------------------------------------------------ */

static guint64
endpoint_key (const ShoalIpv4Endpoint *endpoint)
{
  return (guint64) endpoint->address << 16 | endpoint->port;
}

static ShoalIpv4Endpoint
endpoint_from_key (guint64 key)
{
  ShoalIpv4Endpoint endpoint = { (guint32) (key >> 16), (guint16) (key & 0xffff) };

  return endpoint;
}

static guint64 *
new_key (guint64 key)
{
  return g_memdup2 (&key, sizeof key);
}

static GHashTable *
new_key_set (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

static gboolean
range_contains (const AddressRange *range,
                guint32             address)
{
  guint32 mask = G_MAXUINT32 << (32 - range->prefix_length);

  return (address & mask) == range->network;
}

static gint64
wall_clock (gpointer user_data)
{
  return g_get_real_time ();
}

static gint64
now_usec (ShoalHostCache *self)
{
  return self->clock (self->clock_data);
}

/* The wait after @failures consecutive failures. */
static gint64
backoff_usec (guint failures)
{
  gint64 seconds = SHOAL_HOST_CACHE_MIN_RETRY_SECONDS;

  for (guint i = 1; i < failures && seconds < SHOAL_HOST_CACHE_MAX_BACKOFF_SECONDS; i++)
    seconds *= 2;
  return MIN (seconds, SHOAL_HOST_CACHE_MAX_BACKOFF_SECONDS) * G_USEC_PER_SEC;
}

/* Ranking ------------------------------------------------------------------ */

static int
role_rank (ShoalHostRole role)
{
  switch (role)
    {
    case SHOAL_HOST_ROLE_ULTRAPEER:
      return 2;
    case SHOAL_HOST_ROLE_UNKNOWN:
      return 1;
    case SHOAL_HOST_ROLE_LEAF:
    default:
      return 0;
    }
}

/* -1 when @a < @b, 1 when @a > @b, 0 when equal. */
static int
compare_numbers (gint64 a,
                 gint64 b)
{
  return (a > b) - (a < b);
}

/* Negative when @a should be dialed before @b. Ties go to the lower key,
 * so the choice does not depend on hash table order. */
static int
compare_for_dialing (const HostEntry *a,
                     const HostEntry *b)
{
  int order = compare_numbers (role_rank (b->record.role), role_rank (a->record.role));

  if (order == 0)
    order = compare_numbers (a->record.failures, b->record.failures);
  if (order == 0)
    order = compare_numbers (b->record.last_success, a->record.last_success);
  if (order == 0)
    order = compare_numbers (b->record.last_seen, a->record.last_seen);
  return order != 0 ? order : compare_numbers ((gint64) a->key, (gint64) b->key);
}

/* Negative when @a is less worth keeping than @b: anchors are kept above
 * all, then failures count most, a host that keeps failing going first. */
static int
compare_for_keeping (const HostEntry *a,
                     const HostEntry *b)
{
  int order = compare_numbers (a->record.sources & SHOAL_HOST_SOURCE_ANCHOR,
                               b->record.sources & SHOAL_HOST_SOURCE_ANCHOR);

  if (order == 0)
    order = compare_numbers (b->record.failures, a->record.failures);
  if (order == 0)
    order = compare_numbers (role_rank (a->record.role), role_rank (b->record.role));
  if (order == 0)
    order = compare_numbers (a->record.last_success, b->record.last_success);
  if (order == 0)
    order = compare_numbers (a->record.last_seen, b->record.last_seen);
  return order != 0 ? order : compare_numbers ((gint64) a->key, (gint64) b->key);
}

static gint64
freshness (const HostEntry *entry)
{
  return MAX (entry->record.last_seen, entry->record.last_success);
}

static int
compare_by_freshness (gconstpointer a,
                      gconstpointer b)
{
  const HostEntry *entry_a = *(HostEntry * const *) a;
  const HostEntry *entry_b = *(HostEntry * const *) b;
  int order = compare_numbers (freshness (entry_b), freshness (entry_a));

  return order != 0 ? order : compare_numbers ((gint64) entry_a->key, (gint64) entry_b->key);
}

/* Entries ------------------------------------------------------------------ */

static HostEntry *
lookup_entry (ShoalHostCache          *self,
              const ShoalIpv4Endpoint *endpoint)
{
  guint64 key = endpoint_key (endpoint);

  return g_hash_table_lookup (self->hosts, &key);
}

static gboolean
is_in_use (ShoalHostCache *self,
           guint64         key)
{
  return g_hash_table_contains (self->in_use, &key);
}

static gboolean
is_own_endpoint (ShoalHostCache          *self,
                 const ShoalIpv4Endpoint *endpoint)
{
  return self->own_endpoint.port != 0 &&
         endpoint_key (endpoint) == endpoint_key (&self->own_endpoint);
}

static void
notify_count (ShoalHostCache *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
}

/* Remembers that the row of @key goes at the next write. A cache that
 * writes nothing keeps no such list. */
static void
note_removed (ShoalHostCache *self,
              guint64         key)
{
  if (self->store_thread != NULL)
    g_hash_table_add (self->removed, new_key (key));
}

static void
remove_entry (ShoalHostCache *self,
              HostEntry      *entry)
{
  note_removed (self, entry->key);
  g_hash_table_remove (self->hosts, &entry->key);
  notify_count (self);
}

static HostEntry *
insert_entry (ShoalHostCache          *self,
              const ShoalIpv4Endpoint *endpoint)
{
  HostEntry *entry = g_new0 (HostEntry, 1);

  entry->key = endpoint_key (endpoint);
  entry->record.endpoint = *endpoint;
  g_hash_table_remove (self->removed, &entry->key);
  g_hash_table_insert (self->hosts, &entry->key, entry);
  notify_count (self);
  return entry;
}

/* The least valuable host that may go: never one in use nor an anchor. */
static HostEntry *
find_eviction_victim (ShoalHostCache *self)
{
  GHashTableIter iter;
  HostEntry *entry;
  HostEntry *victim = NULL;

  g_hash_table_iter_init (&iter, self->hosts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (is_in_use (self, entry->key) || (entry->record.sources & SHOAL_HOST_SOURCE_ANCHOR))
        continue;
      if (victim == NULL || compare_for_keeping (entry, victim) < 0)
        victim = entry;
    }
  return victim;
}

/* Evicts until the cache holds at most @limit hosts; FALSE when nothing
 * more may be evicted. */
static gboolean
evict_above (ShoalHostCache *self,
             guint           limit)
{
  while (g_hash_table_size (self->hosts) > limit)
    {
      HostEntry *victim = find_eviction_victim (self);

      if (victim == NULL)
        return FALSE;
      remove_entry (self, victim);
    }
  return TRUE;
}

/* Makes room for a host not yet cached, described by @newcomer, by
 * evicting the least valuable one, if the newcomer is worth more. */
static gboolean
make_room_for (ShoalHostCache  *self,
               const HostEntry *newcomer)
{
  HostEntry *victim;

  if (g_hash_table_size (self->hosts) < self->max_hosts)
    return TRUE;
  victim = find_eviction_victim (self);
  if (victim == NULL || compare_for_keeping (newcomer, victim) < 0)
    return FALSE;
  g_debug ("host cache full: evicting a host with %u failures", victim->record.failures);
  remove_entry (self, victim);
  return evict_above (self, self->max_hosts - 1);
}

static gboolean
is_acceptable (ShoalHostCache          *self,
               const ShoalIpv4Endpoint *endpoint)
{
  if (self->lan_only)
    return shoal_host_is_lan (endpoint, self->allow_private);
  return shoal_host_is_dialable (endpoint, self->allow_private);
}

static gboolean
refuse_undialable (ShoalHostCache          *self,
                   const ShoalIpv4Endpoint *endpoint)
{
  if (is_acceptable (self, endpoint))
    return FALSE;
  self->refused++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUSED]);
  return TRUE;
}

/* A saved row joins hosts added since the cache opened. */
static void
merge_loaded (ShoalHostCache   *self,
              const HostRecord *row)
{
  guint64 key = endpoint_key (&row->endpoint);
  HostEntry *entry;

  /* Dropped before the load finished: the pending delete wins. */
  if (g_hash_table_contains (self->removed, &key))
    return;
  /* LAN-only mode leaves the internet's hosts on disk for another run. */
  if (self->lan_only && shoal_host_is_dialable (&row->endpoint, self->allow_private) &&
      !is_acceptable (self, &row->endpoint))
    return;
  if (refuse_undialable (self, &row->endpoint) || is_own_endpoint (self, &row->endpoint))
    {
      note_removed (self, key);
      return;
    }
  entry = lookup_entry (self, &row->endpoint);
  if (entry == NULL)
    {
      HostEntry newcomer = { .key = key, .record = *row };

      if (!make_room_for (self, &newcomer))
        {
          note_removed (self, key);
          return;
        }
      entry = insert_entry (self, &row->endpoint);
      entry->record = *row;
      return;
    }
  entry->record.sources |= row->sources;
  if (entry->record.role == SHOAL_HOST_ROLE_UNKNOWN)
    entry->record.role = row->role;
  entry->record.last_seen = MAX (entry->record.last_seen, row->last_seen);
  entry->record.last_success = MAX (entry->record.last_success, row->last_success);
  entry->record.failures = MAX (entry->record.failures, row->failures);
  entry->record.next_attempt = MAX (entry->record.next_attempt, row->next_attempt);
  entry->dirty = TRUE;
}

/* Jobs ---------------------------------------------------------------------- */

static Job *
job_new (JobKind kind)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->upserts = g_array_new (FALSE, FALSE, sizeof (HostRecord));
  job->deletes = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  return job;
}

static void
job_free (Job *job)
{
  g_array_unref (job->upserts);
  g_array_unref (job->deletes);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

/* What changed since the last write, or NULL when nothing did. */
static Job *
collect_changes (ShoalHostCache *self)
{
  g_autoptr(Job) job = job_new (JOB_WRITE);
  GHashTableIter iter;
  HostEntry *entry;
  guint64 *key;

  g_hash_table_iter_init (&iter, self->hosts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (!entry->dirty)
        continue;
      g_array_append_val (job->upserts, entry->record);
      entry->dirty = FALSE;
    }
  g_hash_table_iter_init (&iter, self->removed);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    {
      ShoalIpv4Endpoint endpoint = endpoint_from_key (*key);

      g_array_append_val (job->deletes, endpoint);
    }
  g_hash_table_remove_all (self->removed);
  if (job->upserts->len == 0 && job->deletes->len == 0)
    return NULL;
  return g_steal_pointer (&job);
}

/* A write failed: its changes are pending again, unless newer ones
 * replaced them. */
static void
restore_changes (ShoalHostCache *self,
                 const Job      *job)
{
  for (guint i = 0; i < job->upserts->len; i++)
    {
      HostEntry *entry = lookup_entry (self, &g_array_index (job->upserts, HostRecord, i).endpoint);

      if (entry != NULL)
        entry->dirty = TRUE;
    }
  for (guint i = 0; i < job->deletes->len; i++)
    {
      const ShoalIpv4Endpoint *endpoint = &g_array_index (job->deletes, ShoalIpv4Endpoint, i);

      if (lookup_entry (self, endpoint) == NULL)
        note_removed (self, endpoint_key (endpoint));
    }
}

/* Store thread: SQLite ------------------------------------------------------ */

static gboolean
store_open (Store   *store,
            GError **error)
{
  g_autofree char *folder = g_path_get_dirname (store->path);
  const char *what = "cannot open the host cache";
  int version;

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create folder '%s' for the host cache: %s",
                   folder, g_strerror (saved_errno));
      return FALSE;
    }
  if (!shoal_sqlite_open (&store->sqlite, store->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                          DB_BUSY_TIMEOUT_MS, what, error))
    return FALSE;
  /* The version first: a file of a newer Shoal is left untouched.
   * synchronous=NORMAL: with WAL a power loss can only drop the last
   * batches of a cache, never corrupt it. */
  if (shoal_sqlite_read_version (&store->sqlite, &schema, &version, error) &&
      shoal_sqlite_enable_wal (&store->sqlite, error) &&
      shoal_sqlite_exec (&store->sqlite, "PRAGMA synchronous = NORMAL", what, error) &&
      shoal_sqlite_migrate (&store->sqlite, &schema, error))
    return TRUE;
  shoal_sqlite_close (&store->sqlite, NULL, 0);
  return FALSE;
}

/* FALSE for a row no version of Shoal wrote: it is skipped. */
static gboolean
read_record (sqlite3_stmt *stmt,
             HostRecord   *record)
{
  sqlite3_int64 address = sqlite3_column_int64 (stmt, 0);
  sqlite3_int64 port = sqlite3_column_int64 (stmt, 1);
  sqlite3_int64 role = sqlite3_column_int64 (stmt, 2);
  sqlite3_int64 sources = sqlite3_column_int64 (stmt, 3);
  sqlite3_int64 failures = sqlite3_column_int64 (stmt, 6);

  if (address < 0 || address > G_MAXUINT32 || port < 1 || port > G_MAXUINT16 ||
      role < SHOAL_HOST_ROLE_UNKNOWN || role > SHOAL_HOST_ROLE_ULTRAPEER ||
      sources < 0 || sources > ALL_SOURCES ||
      failures < 0 || failures > SHOAL_HOST_CACHE_MAX_FAILURES)
    return FALSE;
  record->endpoint.address = (guint32) address;
  record->endpoint.port = (guint16) port;
  record->role = (ShoalHostRole) role;
  record->sources = (guint) sources;
  record->last_seen = sqlite3_column_int64 (stmt, 4);
  record->last_success = sqlite3_column_int64 (stmt, 5);
  record->failures = (guint) failures;
  record->next_attempt = sqlite3_column_int64 (stmt, 7);
  return TRUE;
}

static GArray *
store_read_all (Store   *store,
                GError **error)
{
  const char *what = "cannot read the host cache";
  g_autoptr(ShoalSqliteOneShotStatement) stmt =
    shoal_sqlite_prepare (&store->sqlite, SELECT_SQL, what, error);
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (HostRecord));
  gboolean has_row = TRUE;
  guint skipped = 0;

  if (stmt == NULL)
    return NULL;
  while (TRUE)
    {
      HostRecord record;

      if (!shoal_sqlite_step (&store->sqlite, stmt, &has_row, what, error))
        return NULL;
      if (!has_row)
        break;
      if (read_record (stmt, &record))
        g_array_append_val (records, record);
      else
        skipped++;
    }
  if (skipped > 0)
    g_message ("host cache: skipped %u unusable rows", skipped);
  return g_steal_pointer (&records);
}

/* Runs @stmt and makes it ready for the next row's bindings. */
static gboolean
run_and_reset (Store        *store,
               sqlite3_stmt *stmt,
               const char   *what,
               GError      **error)
{
  gboolean ok = shoal_sqlite_run (&store->sqlite, stmt, what, error);

  shoal_sqlite_reset (stmt);
  return ok;
}

static gboolean
store_write_rows (Store      *store,
                  const Job  *job,
                  GError    **error)
{
  const char *what = "cannot write the host cache";
  g_autoptr(ShoalSqliteOneShotStatement) upsert =
    shoal_sqlite_prepare (&store->sqlite, UPSERT_SQL, what, error);
  g_autoptr(ShoalSqliteOneShotStatement) delete =
    upsert != NULL ? shoal_sqlite_prepare (&store->sqlite, DELETE_SQL, what, error) : NULL;

  if (delete == NULL)
    return FALSE;
  for (guint i = 0; i < job->deletes->len; i++)
    {
      const ShoalIpv4Endpoint *endpoint = &g_array_index (job->deletes, ShoalIpv4Endpoint, i);

      sqlite3_bind_int64 (delete, 1, endpoint->address);
      sqlite3_bind_int64 (delete, 2, endpoint->port);
      if (!run_and_reset (store, delete, what, error))
        return FALSE;
    }
  for (guint i = 0; i < job->upserts->len; i++)
    {
      const HostRecord *record = &g_array_index (job->upserts, HostRecord, i);

      sqlite3_bind_int64 (upsert, 1, record->endpoint.address);
      sqlite3_bind_int64 (upsert, 2, record->endpoint.port);
      sqlite3_bind_int64 (upsert, 3, record->role);
      sqlite3_bind_int64 (upsert, 4, record->sources);
      sqlite3_bind_int64 (upsert, 5, record->last_seen);
      sqlite3_bind_int64 (upsert, 6, record->last_success);
      sqlite3_bind_int64 (upsert, 7, record->failures);
      sqlite3_bind_int64 (upsert, 8, record->next_attempt);
      if (!run_and_reset (store, upsert, what, error))
        return FALSE;
    }
  return TRUE;
}

/* One transaction per batch: all of it is on disk, or none. */
static gboolean
store_write (Store      *store,
             const Job  *job,
             GError    **error)
{
  const char *what = "cannot write the host cache";

  if (!shoal_sqlite_begin (&store->sqlite, what, error))
    return FALSE;
  if (store_write_rows (store, job, error) && shoal_sqlite_commit (&store->sqlite, what, error))
    return TRUE;
  shoal_sqlite_rollback (&store->sqlite, NULL);
  return FALSE;
}

/* Store thread: jobs -------------------------------------------------------- */

static void
store_report_free (gpointer pointer)
{
  StoreReport *report = pointer;

  g_atomic_rc_box_release (report->link);
  g_clear_pointer (&report->records, g_array_unref);
  g_clear_pointer (&report->job, job_free);
  g_clear_error (&report->error);
  g_free (report);
}

static void deliver_report (ShoalHostCache *self,
                            StoreReport    *report);

static gboolean
store_report_run (gpointer pointer)
{
  StoreReport *report = pointer;

  /* The cache is gone when its last write reports: nobody to tell but
   * the log. */
  if (report->link->cache != NULL)
    deliver_report (report->link->cache, report);
  else if (report->error != NULL)
    g_message ("host cache: %s", report->error->message);
  return G_SOURCE_REMOVE;
}

static void
store_send (Store       *store,
            StoreReport *report)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  report->link = g_atomic_rc_box_acquire (store->link);
  /* Always through the owner's loop: g_main_context_invoke() would run the
   * report right here, on the store thread, whenever nobody holds the
   * owner's context (before its loop runs), racing the owner. */
  g_source_set_callback (source, store_report_run, report, (GDestroyNotify) store_report_free);
  g_source_attach (source, store->owner_context);
}

static void
store_run_load (Store *store)
{
  StoreReport *report = g_new0 (StoreReport, 1);

  report->kind = JOB_LOAD;
  if (store_open (store, &report->error))
    report->records = store_read_all (store, &report->error);
  if (report->error != NULL)
    g_prefix_error (&report->error, "%s: ", store->path);
  store_send (store, report);
}

static void
store_run_write (Store *store,
                 Job   *job)
{
  StoreReport *report;

  /* The open failure was reported once; the cache runs from memory. */
  if (store->sqlite.handle == NULL)
    {
      job_free (job);
      return;
    }
  report = g_new0 (StoreReport, 1);
  report->kind = JOB_WRITE;
  if (!store_write (store, job, &report->error))
    {
      g_prefix_error (&report->error, "%s: ", store->path);
      report->job = job;
    }
  else
    {
      report->rows = job->upserts->len + job->deletes->len;
      job_free (job);
    }
  store_send (store, report);
}

static void
store_free (Store *store)
{
  shoal_sqlite_close (&store->sqlite, NULL, 0);
  g_free (store->path);
  g_async_queue_unref (store->jobs);
  g_main_context_unref (store->owner_context);
  g_atomic_rc_box_release (store->link);
  g_free (store);
}

static gpointer
store_thread_main (gpointer data)
{
  Store *store = data;
  gboolean running = TRUE;

  while (running)
    {
      Job *job = g_async_queue_pop (store->jobs);

      switch (job->kind)
        {
        case JOB_LOAD:
          store_run_load (store);
          job_free (job);
          break;
        case JOB_WRITE:
          store_run_write (store, job);
          break;
        case JOB_STOP:
          job_free (job);
          running = FALSE;
          break;
        }
    }
  store_free (store);
  return NULL;
}

/* Owner side: reports and the timer ------------------------------------------ */

static void
finish_load (ShoalHostCache *self,
             GArray         *records)
{
  guint count = records != NULL ? records->len : 0;

  for (guint i = 0; i < count; i++)
    merge_loaded (self, &g_array_index (records, HostRecord, i));
  g_debug ("host cache loaded %u saved hosts, holds %u", count, g_hash_table_size (self->hosts));
  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
deliver_report (ShoalHostCache *self,
                StoreReport    *report)
{
  if (report->kind == JOB_LOAD)
    finish_load (self, report->records);
  if (report->job != NULL)
    restore_changes (self, report->job);
  if (report->error != NULL)
    {
      g_message ("host cache: %s", report->error->message);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, report->error);
    }
  else if (report->kind == JOB_WRITE)
    g_signal_emit (self, signals[SIGNAL_FLUSHED], 0, report->rows);
}

static gboolean
on_flush_timer (gpointer user_data)
{
  shoal_host_cache_flush (SHOAL_HOST_CACHE (user_data));
  return G_SOURCE_CONTINUE;
}

static void
stop_flush_timer (ShoalHostCache *self)
{
  if (self->flush_timer == NULL)
    return;
  g_source_destroy (self->flush_timer);
  g_clear_pointer (&self->flush_timer, g_source_unref);
}

static void
arm_flush_timer (ShoalHostCache *self)
{
  stop_flush_timer (self);
  if (self->store_thread == NULL)
    return;
  self->flush_timer = g_timeout_source_new_seconds (self->flush_interval);
  g_source_set_callback (self->flush_timer, on_flush_timer, self, NULL);
  g_source_attach (self->flush_timer, self->owner_context);
}

static void
start_store (ShoalHostCache *self,
             const char     *path)
{
  Store *store = g_new0 (Store, 1);

  self->jobs = g_async_queue_new_full ((GDestroyNotify) job_free);
  store->path = g_strdup (path);
  shoal_sqlite_init (&store->sqlite, "host cache", G_LOG_DOMAIN, G_IO_ERROR, G_IO_ERROR_FAILED,
                     G_IO_ERROR_INVALID_DATA);
  store->jobs = g_async_queue_ref (self->jobs);
  store->owner_context = g_main_context_ref (self->owner_context);
  self->link = g_atomic_rc_box_new0 (StoreLink);
  self->link->cache = self;
  store->link = g_atomic_rc_box_acquire (self->link);
  g_async_queue_push (self->jobs, job_new (JOB_LOAD));
  self->store_thread = g_thread_new ("shoal-host-cache", store_thread_main, store);
  arm_flush_timer (self);
}

/* GObject ------------------------------------------------------------------- */

static void
shoal_host_cache_dispose (GObject *object)
{
  ShoalHostCache *self = SHOAL_HOST_CACHE (object);

  if (self->store_thread != NULL)
    {
      /* The last changes are written before the thread stops: the only
       * wait on disk the owner ever makes, when the cache goes away. */
      shoal_host_cache_flush (self);
      g_async_queue_push (self->jobs, job_new (JOB_STOP));
      g_thread_join (g_steal_pointer (&self->store_thread));
      stop_flush_timer (self);
      self->link->cache = NULL;
      g_clear_pointer (&self->link, g_atomic_rc_box_release);
    }
  g_clear_pointer (&self->jobs, g_async_queue_unref);
  G_OBJECT_CLASS (shoal_host_cache_parent_class)->dispose (object);
}

static void
shoal_host_cache_finalize (GObject *object)
{
  ShoalHostCache *self = SHOAL_HOST_CACHE (object);

  g_hash_table_unref (self->hosts);
  g_hash_table_unref (self->in_use);
  g_hash_table_unref (self->removed);
  g_main_context_unref (self->owner_context);
  G_OBJECT_CLASS (shoal_host_cache_parent_class)->finalize (object);
}

static void
set_max_hosts (ShoalHostCache *self,
               guint           max_hosts)
{
  if (self->max_hosts == max_hosts)
    return;
  self->max_hosts = max_hosts;
  evict_above (self, max_hosts);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_HOSTS]);
}

static void
shoal_host_cache_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ShoalHostCache *self = SHOAL_HOST_CACHE (object);

  switch (prop_id)
    {
    case PROP_MAX_HOSTS:
      set_max_hosts (self, g_value_get_uint (value));
      break;
    case PROP_FLUSH_INTERVAL:
      if (self->flush_interval == g_value_get_uint (value))
        break;
      self->flush_interval = g_value_get_uint (value);
      arm_flush_timer (self);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_ALLOW_PRIVATE:
      if (self->allow_private == g_value_get_boolean (value))
        break;
      self->allow_private = g_value_get_boolean (value);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_LAN_ONLY:
      if (self->lan_only == g_value_get_boolean (value))
        break;
      self->lan_only = g_value_get_boolean (value);
      g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_host_cache_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ShoalHostCache *self = SHOAL_HOST_CACHE (object);

  switch (prop_id)
    {
    case PROP_MAX_HOSTS:
      g_value_set_uint (value, self->max_hosts);
      break;
    case PROP_FLUSH_INTERVAL:
      g_value_set_uint (value, self->flush_interval);
      break;
    case PROP_ALLOW_PRIVATE:
      g_value_set_boolean (value, self->allow_private);
      break;
    case PROP_LAN_ONLY:
      g_value_set_boolean (value, self->lan_only);
      break;
    case PROP_COUNT:
      g_value_set_uint (value, g_hash_table_size (self->hosts));
      break;
    case PROP_REFUSED:
      g_value_set_uint (value, self->refused);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_host_cache_class_init (ShoalHostCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_write = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = shoal_host_cache_dispose;
  object_class->finalize = shoal_host_cache_finalize;
  object_class->set_property = shoal_host_cache_set_property;
  object_class->get_property = shoal_host_cache_get_property;

  properties[PROP_MAX_HOSTS] =
    g_param_spec_uint ("max-hosts", NULL, "Hosts kept at most; the least useful go first",
                       1, G_MAXUINT, SHOAL_HOST_CACHE_DEFAULT_MAX_HOSTS, read_write);
  properties[PROP_FLUSH_INTERVAL] =
    g_param_spec_uint ("flush-interval", NULL, "Seconds between writes of what changed",
                       1, G_MAXUINT / 1000, SHOAL_HOST_CACHE_DEFAULT_FLUSH_INTERVAL_SECONDS,
                       read_write);
  properties[PROP_ALLOW_PRIVATE] =
    g_param_spec_boolean ("allow-private", NULL,
                          "Accept loopback and private addresses (LAN or test mode)",
                          FALSE, read_write);
  properties[PROP_LAN_ONLY] =
    g_param_spec_boolean ("lan-only", NULL,
                          "Keep LAN addresses only (see shoal_host_is_lan())",
                          FALSE, read_write);
  properties[PROP_COUNT] =
    g_param_spec_uint ("count", NULL, "Hosts in the cache", 0, G_MAXUINT, 0, read_only);
  properties[PROP_REFUSED] =
    g_param_spec_uint ("refused", NULL, "Hosts refused as not dialable", 0, G_MAXUINT, 0,
                       read_only);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, "The hosts saved on disk have joined the cache",
                          FALSE, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A batch of changes is on disk; the argument counts its rows. */
  signals[SIGNAL_FLUSHED] =
    g_signal_new ("flushed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* The file could not be opened, read or written. The cache carries on
   * from memory; a failed batch is written again with the next one. */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
shoal_host_cache_init (ShoalHostCache *self)
{
  self->hosts = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  self->in_use = new_key_set ();
  self->removed = new_key_set ();
  self->max_hosts = SHOAL_HOST_CACHE_DEFAULT_MAX_HOSTS;
  self->flush_interval = SHOAL_HOST_CACHE_DEFAULT_FLUSH_INTERVAL_SECONDS;
  self->clock = wall_clock;
  self->owner_context = g_main_context_ref_thread_default ();
}

/* Public API ------------------------------------------------------------------ */

gboolean
shoal_host_is_dialable (const ShoalIpv4Endpoint *endpoint,
                        gboolean                 allow_private)
{
  g_return_val_if_fail (endpoint != NULL, FALSE);

  if (endpoint->port == 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (undialable_ranges); i++)
    {
      const AddressRange *range = &undialable_ranges[i];

      if (range_contains (range, endpoint->address) && !(allow_private && range->private_use))
        return FALSE;
    }
  return TRUE;
}

gboolean
shoal_host_is_lan (const ShoalIpv4Endpoint *endpoint,
                   gboolean                 allow_loopback)
{
  g_return_val_if_fail (endpoint != NULL, FALSE);

  if (endpoint->port == 0)
    return FALSE;
  if (range_contains (&loopback_range, endpoint->address))
    return allow_loopback;
  for (guint i = 0; i < G_N_ELEMENTS (lan_ranges); i++)
    if (range_contains (&lan_ranges[i], endpoint->address))
      return TRUE;
  return FALSE;
}

ShoalHostCache *
shoal_host_cache_new (const char *data_dir)
{
  ShoalHostCache *self = g_object_new (SHOAL_TYPE_HOST_CACHE, NULL);
  g_autofree char *default_dir = g_build_filename (g_get_user_data_dir (), "shoal", NULL);
  g_autofree char *path = g_build_filename (data_dir ? data_dir : default_dir, DB_FILE_NAME, NULL);

  start_store (self, path);
  return self;
}

ShoalHostCache *
shoal_host_cache_new_in_memory (void)
{
  ShoalHostCache *self = g_object_new (SHOAL_TYPE_HOST_CACHE, NULL);

  self->loaded = TRUE;
  return self;
}

void
shoal_host_cache_set_clock (ShoalHostCache     *self,
                            ShoalHostClockFunc  clock,
                            gpointer            user_data)
{
  g_return_if_fail (SHOAL_IS_HOST_CACHE (self));

  self->clock = clock != NULL ? clock : wall_clock;
  self->clock_data = user_data;
}

void
shoal_host_cache_set_own_endpoint (ShoalHostCache          *self,
                                   const ShoalIpv4Endpoint *endpoint)
{
  g_return_if_fail (SHOAL_IS_HOST_CACHE (self));
  g_return_if_fail (endpoint != NULL);

  self->own_endpoint = *endpoint;
  shoal_host_cache_remove (self, endpoint);
}

gboolean
shoal_host_cache_add (ShoalHostCache          *self,
                      const ShoalIpv4Endpoint *endpoint,
                      ShoalHostSource          source,
                      ShoalHostRole            role)
{
  HostEntry *entry;
  gint64 now;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  if (refuse_undialable (self, endpoint) || is_own_endpoint (self, endpoint))
    return FALSE;
  now = now_usec (self);
  entry = lookup_entry (self, endpoint);
  if (entry == NULL)
    {
      HostEntry newcomer = {
        .key = endpoint_key (endpoint),
        .record = { .endpoint = *endpoint, .role = role, .sources = source, .last_seen = now },
      };

      if (!make_room_for (self, &newcomer))
        return FALSE;
      entry = insert_entry (self, endpoint);
    }
  entry->record.sources |= source;
  if (role != SHOAL_HOST_ROLE_UNKNOWN)
    entry->record.role = role;
  entry->record.last_seen = now;
  entry->dirty = TRUE;
  return TRUE;
}

gboolean
shoal_host_cache_remove (ShoalHostCache          *self,
                         const ShoalIpv4Endpoint *endpoint)
{
  HostEntry *entry;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  entry = lookup_entry (self, endpoint);
  if (entry == NULL)
    return FALSE;
  remove_entry (self, entry);
  return TRUE;
}

gboolean
shoal_host_cache_report_success (ShoalHostCache          *self,
                                 const ShoalIpv4Endpoint *endpoint)
{
  HostEntry *entry;
  gint64 now;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  entry = lookup_entry (self, endpoint);
  if (entry == NULL)
    return FALSE;
  now = now_usec (self);
  entry->record.failures = 0;
  entry->record.last_success = now;
  entry->record.last_seen = now;
  entry->record.next_attempt = now + (gint64) SHOAL_HOST_CACHE_MIN_RETRY_SECONDS * G_USEC_PER_SEC;
  entry->dirty = TRUE;
  return TRUE;
}

gboolean
shoal_host_cache_report_failure (ShoalHostCache          *self,
                                 const ShoalIpv4Endpoint *endpoint)
{
  HostEntry *entry;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  entry = lookup_entry (self, endpoint);
  if (entry == NULL)
    return FALSE;
  entry->record.failures++;
  if (entry->record.failures >= SHOAL_HOST_CACHE_MAX_FAILURES &&
      !(entry->record.sources & SHOAL_HOST_SOURCE_ANCHOR))
    {
      remove_entry (self, entry);
      return TRUE;
    }
  entry->record.failures = MIN (entry->record.failures, SHOAL_HOST_CACHE_MAX_FAILURES);
  entry->record.next_attempt = now_usec (self) + backoff_usec (entry->record.failures);
  entry->dirty = TRUE;
  return TRUE;
}

void
shoal_host_cache_set_in_use (ShoalHostCache          *self,
                             const ShoalIpv4Endpoint *endpoint,
                             gboolean                 in_use)
{
  guint64 key;

  g_return_if_fail (SHOAL_IS_HOST_CACHE (self));
  g_return_if_fail (endpoint != NULL);

  key = endpoint_key (endpoint);
  if (in_use)
    g_hash_table_add (self->in_use, new_key (key));
  else
    g_hash_table_remove (self->in_use, &key);
}

gboolean
shoal_host_cache_pick_next (ShoalHostCache    *self,
                            ShoalIpv4Endpoint *endpoint)
{
  GHashTableIter iter;
  HostEntry *entry;
  HostEntry *best = NULL;
  gint64 now;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);

  now = now_usec (self);
  g_hash_table_iter_init (&iter, self->hosts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->record.next_attempt > now || is_in_use (self, entry->key))
        continue;
      if (best == NULL || compare_for_dialing (entry, best) < 0)
        best = entry;
    }
  if (best == NULL)
    return FALSE;
  best->record.next_attempt = now + (gint64) SHOAL_HOST_CACHE_MIN_RETRY_SECONDS * G_USEC_PER_SEC;
  best->dirty = TRUE;
  *endpoint = best->record.endpoint;
  return TRUE;
}

GArray *
shoal_host_cache_get_recent (ShoalHostCache *self,
                             guint           max,
                             gboolean        ultrapeers_only)
{
  g_autoptr(GPtrArray) candidates = NULL;
  GArray *recent;
  GHashTableIter iter;
  HostEntry *entry;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), NULL);

  candidates = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->hosts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->record.failures > 0)
        continue;
      if (ultrapeers_only && entry->record.role != SHOAL_HOST_ROLE_ULTRAPEER)
        continue;
      g_ptr_array_add (candidates, entry);
    }
  g_ptr_array_sort (candidates, compare_by_freshness);
  recent = g_array_sized_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint), MIN (max, candidates->len));
  for (guint i = 0; i < candidates->len && i < max; i++)
    {
      entry = g_ptr_array_index (candidates, i);
      g_array_append_val (recent, entry->record.endpoint);
    }
  return recent;
}

gboolean
shoal_host_cache_lookup (ShoalHostCache          *self,
                         const ShoalIpv4Endpoint *endpoint,
                         ShoalHostInfo           *info)
{
  HostEntry *entry;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);
  g_return_val_if_fail (endpoint != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  entry = lookup_entry (self, endpoint);
  if (entry == NULL)
    return FALSE;
  info->endpoint = entry->record.endpoint;
  info->role = entry->record.role;
  info->sources = entry->record.sources;
  info->last_seen_usec = entry->record.last_seen;
  info->last_success_usec = entry->record.last_success;
  info->failures = entry->record.failures;
  info->next_attempt_usec = entry->record.next_attempt;
  info->in_use = is_in_use (self, entry->key);
  return TRUE;
}

guint
shoal_host_cache_get_count (ShoalHostCache *self)
{
  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), 0);

  return g_hash_table_size (self->hosts);
}

guint
shoal_host_cache_get_refused (ShoalHostCache *self)
{
  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), 0);

  return self->refused;
}

gboolean
shoal_host_cache_get_loaded (ShoalHostCache *self)
{
  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (self), FALSE);

  return self->loaded;
}

void
shoal_host_cache_flush (ShoalHostCache *self)
{
  Job *job;

  g_return_if_fail (SHOAL_IS_HOST_CACHE (self));

  if (self->store_thread == NULL)
    return;
  job = collect_changes (self);
  if (job != NULL)
    g_async_queue_push (self->jobs, job);
}
