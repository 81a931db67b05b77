/* gnet-load.c — a load generator for any Gnutella 0.6 ultrapeer: it links
 * leaves and ultrapeers to the target, gives every leaf a QRP table, sends
 * queries through the ultrapeer links at a steady rate, answers those that
 * reach the leaf they name, and reports what the target routed. Not a
 * test: it prints figures and never fails on one.
 *
 *   bench/gnet-load --target HOST:PORT [--leaves N] [--ultrapeers M]
 *                   [--rate Q] [--match-ratio R] [--duration S]
 *                   [--warmup S] [--pid PID] [--json]
 *
 * Every simulated servent has its own link, its own servent GUID and, for
 * a leaf, its own words ("leaf0042"). A query names one leaf's word (the
 * --match-ratio share) or a random word nobody shares. Queries leave with
 * TTL 3, hops 0: the target delivers them to the leaves whose table
 * matches whatever the TTL, and floods them to its other ultrapeers with
 * TTL 2, which is not a last hop, so last-hop QRP (gnutella-0.6.md §6.5)
 * does not hold them back from our ultrapeers, which never sent a table.
 * TTL 2 would arrive there as a last hop; TTL 4 and more would gain
 * nothing here, since our ultrapeers forward nothing.
 */
#include "shoal-gnutella-handshake.h"
#include "shoal-link.h"
#include "shoal-listener.h"
#include "shoal-message.h"
#include "shoal-pong.h"
#include "shoal-qrp-keywords.h"
#include "shoal-qrp.h"
#include "shoal-query-hit.h"
#include "shoal-query.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define DEFAULT_LEAVES 300
#define DEFAULT_ULTRAPEERS 30
#define DEFAULT_RATE 2000
#define DEFAULT_MATCH_RATIO 0.1
#define DEFAULT_DURATION_S 20
#define DEFAULT_WARMUP_S 2
#define DEFAULT_TARGET_PORT 6346
/* A leaf's word is "leaf" and four digits. */
#define MAX_LEAVES 10000
#define MAX_ULTRAPEERS 1000
#define MAX_RATE 1000000
#define MAX_DURATION_S 86400

/* Dials under way at once: a burst of hundreds would overflow the
 * target's accept backlog and measure its SYN retries instead. */
#define DIAL_CONCURRENCY 20
/* Attempts per link, the later ones after a growing pause. */
#define DIAL_ATTEMPTS 3
#define RETRY_DELAY_MS 500
#define CONNECT_TIMEOUT_S 10
#define HANDSHAKE_TIMEOUT_MS 20000
/* The X-Degree our ultrapeers claim: a gtk-gnutella ultrapeer's 32 peer
 * slots (gtk-gnutella leaves ignore ultrapeers under 16). */
#define ULTRAPEER_DEGREE 32
/* From the last link up to the "links up" RSS reading and the first
 * query: the target applies the last QRP patches meanwhile. */
#define SETTLE_MS 1000
/* After the window, no more queries: hits and deliveries of the last ones
 * still count for latency and drops, not for the rates. */
#define DRAIN_MS 3000
/* Our byes get this long to leave (the link's own grace is 2 s). */
#define CLOSE_WAIT_MS 3000

/* Queries are sent in batches this often, as many as are due. */
#define PACE_INTERVAL_MS 10
/* After a stall (ours, not the target's) at most this many intervals'
 * worth go at once: the queries that did not are lost, and the rate sent
 * says so, rather than a burst measuring something else. */
#define MAX_CATCH_UP_INTERVALS 10
#define QUERY_TTL 3
/* A hit retraces its query's path, one hop here; 5 leaves room for a
 * target that relays it further. */
#define HIT_TTL 5
#define QUERY_FLAGS SHOAL_QUERY_FLAG_MARKED
/* Sent queries are remembered this long for their hits and deliveries;
 * a matching one still not delivered then is a drop. */
#define QUERY_MEMORY_USEC (30 * G_USEC_PER_SEC)
/* A random live leaf is looked for this many times before a query goes
 * out naming nobody. */
#define LEAF_PICK_TRIES 8

/* Leaf tables as LimeWire sends them (64 Ki slots, infinity 7). With
 * some twenty keywords per leaf, about one query in six still hashes into
 * some other leaf's table (the QRP hash folds words by XOR, so words this
 * alike collide more than random ones): a QRP router must deliver those
 * too, and the report counts them apart. */
#define TABLE_SLOTS 65536
#define TABLE_INFINITY SHOAL_QRP_LIMEWIRE_INFINITY
/* Patches as gtk-gnutella sends them. */
#define PATCH_ENTRY_BITS 4
#define PATCH_CHUNK_SIZE SHOAL_QRP_GTKG_PATCH_CHUNK
#define LEAF_FILES 2
#define HIT_FILE_SIZE (4 * 1024 * 1024)
#define HIT_SPEED_KBPS 1000
/* Our hits name a loopback address: nobody downloads from them. */
#define HIT_ADDRESS 0x7f000001u
#define HIT_PORT 6346
/* Room for "leaf0042", "zzq0123abcd" and their NUL. */
#define WORD_SIZE 16

/* Distinct close reasons listed in the report. */
#define CLOSE_REASONS_SHOWN 5
#define MS_PER_S 1000.0
#define KIB_PER_MIB 1024.0
/* Descriptors beyond the links: stdio, GLib's wakeups, /proc reads. */
#define SPARE_FDS 64

typedef struct
{
  char    *target;
  gint     leaves;
  gint     ultrapeers;
  gint     rate;
  double   match_ratio;
  gint     duration_s;
  gint     warmup_s;
  gint     pid;
  gboolean json;
} Options;

typedef enum
{
  PHASE_CONNECT,
  PHASE_SETTLE,
  PHASE_WARMUP,
  PHASE_MEASURE,
  PHASE_DRAIN,
  PHASE_CLOSE,
} Phase;

typedef struct _Load Load;

/* One simulated servent: a leaf or an ultrapeer with one link to the
 * target. */
typedef struct
{
  Load                 *load;           /* borrowed: it owns us */
  ShoalPeerRole         role;
  guint                 number;         /* among the nodes of its role */
  ShoalGuid             servent_guid;
  ShoalHandshakePolicy  policy;
  guint                 attempts;
  char                 *last_error;
  GIOStream            *stream;         /* between connect and link */
  ShoalLink            *link;           /* once linked */
  gboolean              closed;
  /* Leaves only. */
  ShoalQrpTable        *table;
  GBytes               *hit_payload;
} Node;

/* Everything counted, since the start; the window is the difference of
 * two snapshots. */
typedef struct
{
  guint64 queries_sent;
  guint64 matching_sent;      /* … naming a live leaf */
  guint64 hits_sent;          /* by our leaves */
  guint64 leaf_queries;       /* queries the target delivered to a leaf */
  guint64 leaf_named;         /* … to the leaf they name */
  guint64 leaf_collisions;    /* … to another whose table matches by hash */
  guint64 leaf_misrouted;     /* … to a leaf whose table does not match */
  guint64 leaf_foreign;       /* … that we never sent */
  guint64 ultrapeer_queries;  /* queries flooded to our ultrapeers */
  guint64 hits;               /* query hits, on any link */
  guint64 hits_unknown;       /* … for no query we remember */
  guint64 pushes;
  guint64 others;             /* pings, pongs, QRP, vendor messages */
  guint64 link_drops;         /* our links' :dropped, summed when read */
} Counters;

/* A query we sent, until its memory runs out. */
typedef struct
{
  ShoalGuid guid;         /* the key in Load.sent */
  gint64    sent_usec;
  guint32   word_code;    /* QRP hash code of its one word */
  gint      leaf;         /* the leaf it names, or -1 */
  gboolean  measured;     /* sent inside the window */
  gboolean  delivered;    /* reached the leaf it names */
  gboolean  answered;     /* its hit came back */
} SentQuery;

typedef struct
{
  gboolean valid;
  guint64  cpu_ticks;     /* utime + stime */
  guint64  rss_kib;
  guint64  hwm_kib;
} ProcSample;

struct _Load
{
  Options              options;
  GMainLoop           *loop;
  GSocketClient       *client;
  GSocketConnectable  *target;
  GCancellable        *cancellable;
  Phase                phase;
  gboolean             interrupted;
  guint                phase_timer;
  guint                pace_timer;

  GPtrArray           *nodes;           /* of Node*: leaves, then ultrapeers */
  GQueue               dial_queue;      /* Node* waiting for a dial slot */
  guint                dials_in_flight;
  guint                retries_waiting;
  guint                retries;
  gint64               dial_start_usec;
  gint64               dial_end_usec;

  GHashTable          *sent;            /* ShoalGuid* → SentQuery* */
  GQueue               sent_order;      /* SentQuery*, oldest first */
  gint64               pace_start_usec;
  guint64              queries_due;
  guint                next_ultrapeer;
  GBytes              *pong_payload;

  Counters             counters;
  Counters             window_start;
  Counters             window_end;
  gint64               window_start_usec;
  gint64               window_end_usec;
  guint64              undelivered;     /* measured matching queries never delivered */
  GArray              *latencies_usec;  /* of gint64, measured queries' hits */

  guint                closed_early;    /* links the target or the network closed */
  GHashTable          *close_reasons;   /* reason → GUINT_TO_POINTER (count) */
  guint                closes_pending;

  ProcSample           target_before;   /* before any link */
  ProcSample           target_linked;   /* links up, before the first query */
  ProcSample           target_start;
  ProcSample           target_end;
  double               self_cpu_start_s;
  double               self_cpu_end_s;
};

static void check_dials_done (Load *load);
static void begin_close      (Load *load);
static void quit             (Load *load);

/* Helpers ------------------------------------------------------------------- */

static double
seconds_between (gint64 start_usec,
                 gint64 end_usec)
{
  return (end_usec - start_usec) / (double) G_USEC_PER_SEC;
}

static gboolean
node_is_live (const Node *node)
{
  return node->link != NULL && !node->closed;
}

static Node *
leaf_at (Load  *load,
         guint  number)
{
  return g_ptr_array_index (load->nodes, number);
}

static Node *
ultrapeer_at (Load  *load,
              guint  number)
{
  return g_ptr_array_index (load->nodes, (guint) load->options.leaves + number);
}

/* Nodes of @role whose link came up, closed since or not. */
static guint
count_linked (Load          *load,
              ShoalPeerRole  role)
{
  guint linked = 0;

  for (guint i = 0; i < load->nodes->len; i++)
    {
      Node *node = g_ptr_array_index (load->nodes, i);

      linked += node->role == role && node->link != NULL;
    }
  return linked;
}

static guint
count_live_links (Load *load)
{
  guint live = 0;

  for (guint i = 0; i < load->nodes->len; i++)
    live += node_is_live (g_ptr_array_index (load->nodes, i));
  return live;
}

/* Header and payload in one buffer, as a link sends it. */
static GBytes *
build_message (const ShoalGuid  *guid,
               ShoalMessageType  type,
               guint8            ttl,
               const guint8     *payload,
               gsize             length)
{
  GByteArray *message = g_byte_array_sized_new ((guint) (SHOAL_MESSAGE_HEADER_SIZE + length));
  ShoalMessageHeader header = { .guid = *guid, .type = type, .ttl = ttl, .hops = 0,
                                .payload_length = (guint32) length };

  shoal_message_header_append (&header, message);
  g_byte_array_append (message, payload, (guint) length);
  return g_byte_array_free_to_bytes (message);
}

static GBytes *
build_message_from_bytes (const ShoalGuid  *guid,
                          ShoalMessageType  type,
                          guint8            ttl,
                          GBytes           *payload)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (payload, &length);

  return build_message (guid, type, ttl, data, length);
}

/* /proc ------------------------------------------------------------------------ */

/* A number field of /proc/PID/status ("VmRSS:"), in its unit; 0 if gone. */
static guint64
proc_status_field (gint        pid,
                   const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  return line ? g_ascii_strtoull (line + strlen (field), NULL, 10) : 0;
}

/* utime + stime of /proc/PID/stat, fields 14 and 15. The command name
 * (field 2) may hold spaces and parentheses: count from its last ')'. */
static gboolean
proc_cpu_ticks (gint     pid,
                guint64 *ticks)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *end_of_name;

  if (!g_file_get_contents (path, &stat, NULL, NULL) ||
      (end_of_name = strrchr (stat, ')')) == NULL)
    return FALSE;
  /* fields[0] is field 3 (the state). */
  fields = g_strsplit (end_of_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return FALSE;
  *ticks = g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
  return TRUE;
}

static ProcSample
sample_target (Load *load)
{
  ProcSample sample = { FALSE };

  if (load->options.pid <= 0 || !proc_cpu_ticks (load->options.pid, &sample.cpu_ticks))
    return sample;
  sample.valid = TRUE;
  sample.rss_kib = proc_status_field (load->options.pid, "VmRSS:");
  sample.hwm_kib = proc_status_field (load->options.pid, "VmHWM:");
  return sample;
}

static double
self_cpu_seconds (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0;
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / (double) G_USEC_PER_SEC;
}

/* Each link is a descriptor: raise the soft limit when it is short. */
static void
ensure_descriptors (guint links)
{
  struct rlimit limit;
  rlim_t need = links + SPARE_FDS;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
      limit.rlim_cur >= need)
    return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? need : MIN (need, limit.rlim_max);
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < need)
    g_printerr ("gnet-load: only %llu descriptors for %u links: expect failed dials\n",
                (unsigned long long) limit.rlim_cur, links);
}

/* Nodes ------------------------------------------------------------------------- */

static void
node_free (gpointer pointer)
{
  Node *node = pointer;

  if (node->link != NULL)
    g_signal_handlers_disconnect_by_data (node->link, node);
  g_clear_object (&node->link);
  g_clear_object (&node->stream);
  g_clear_pointer (&node->table, shoal_qrp_table_free);
  g_clear_pointer (&node->hit_payload, g_bytes_unref);
  g_free (node->last_error);
  g_free (node);
}

static void
format_leaf_word (guint number,
                  char  word[WORD_SIZE])
{
  g_snprintf (word, WORD_SIZE, "leaf%04u", number);
}

static char *
leaf_file_name (guint number,
                guint file)
{
  static const char *const tags[LEAF_FILES] = { "alpha", "beta" };
  static const char *const extensions[LEAF_FILES] = { "txt", "mp3" };

  return g_strdup_printf ("gnetload leaf%04u %s%04u.%s", number, tags[file], number, extensions[file]);
}

/* The table a library sharing the leaf's files would send. */
static ShoalQrpTable *
build_leaf_table (guint number)
{
  g_autoptr(GHashTable) keywords = shoal_qrp_keyword_set_new ();
  g_autoptr(ShoalQrpTable) table = shoal_qrp_table_new (TABLE_SLOTS, TABLE_INFINITY, NULL);
  guint bits = shoal_qrp_table_get_bits (table);
  char word[WORD_SIZE];
  GHashTableIter iter;
  gpointer key;

  for (guint file = 0; file < LEAF_FILES; file++)
    {
      g_autofree char *name = leaf_file_name (number, file);

      if (!shoal_qrp_add_name_keywords (keywords, name, -1, NULL))
        g_error ("cannot take the keywords of %s", name);
    }
  g_hash_table_iter_init (&iter, keywords);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    shoal_qrp_table_set_present (table, shoal_qrp_hash (key, -1, bits));
  /* Every measure below assumes a query for the word finds the table. */
  format_leaf_word (number, word);
  if (!shoal_qrp_table_is_present (table, shoal_qrp_hash (word, -1, bits)))
    g_error ("the table of leaf %u lacks its own word %s", number, word);
  return g_steal_pointer (&table);
}

/* Every hit of a leaf is the same but for its header's GUID. */
static GBytes *
build_hit_payload (const Node *node)
{
  ShoalIpv4Endpoint where = { HIT_ADDRESS, HIT_PORT };
  g_autoptr(ShoalQueryHit) hit = shoal_query_hit_new (&where, HIT_SPEED_KBPS, &node->servent_guid);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autofree char *name = leaf_file_name (node->number, 0);
  g_autoptr(GError) error = NULL;
  ShoalQueryHitTrailer *trailer = shoal_query_hit_trailer_new (NULL, 0, NULL, &error);

  if (trailer == NULL)
    g_error ("cannot build a hit trailer: %s", error->message);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (1, HIT_FILE_SIZE, name, NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  shoal_query_hit_set_trailer (hit, trailer);
  if (!shoal_query_hit_write (hit, payload, &error))
    g_error ("cannot build a hit: %s", error->message);
  return g_byte_array_free_to_bytes (g_steal_pointer (&payload));
}

/* Our pong answers the target's alive pings; it names no address, so it
 * adds nothing to the target's host cache. */
static GBytes *
build_pong_payload (void)
{
  ShoalIpv4Endpoint nowhere = { 0, 0 };
  g_autoptr(ShoalPong) pong = shoal_pong_new (&nowhere, 0, 0);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  if (!shoal_pong_write (pong, payload, &error))
    g_error ("cannot build a pong: %s", error->message);
  return g_byte_array_free_to_bytes (g_steal_pointer (&payload));
}

/* Handshake policy ----------------------------------------------------------------- */

static ShoalNodeState
policy_get_state (gpointer user_data)
{
  Node *node = user_data;
  ShoalNodeState state = { 0 };

  state.servent_guid = node->servent_guid;
  state.role = node->role;
  state.started_usec = g_get_real_time ();
  state.ultrapeer_slots = node->role == SHOAL_PEER_ROLE_ULTRAPEER ? ULTRAPEER_DEGREE : 1;
  state.allow_private = TRUE;
  return state;
}

/* The default rules, except that an ultrapeer link never takes leaf
 * guidance: it would become a leaf link and load nothing. */
static ShoalHandshakeVerdict
policy_judge (const ShoalHeaderBlock *peer_headers,
              gboolean                incoming,
              gpointer                user_data)
{
  ShoalNodeState state = policy_get_state (user_data);
  ShoalHandshakeVerdict verdict = shoal_handshake_judge_default (&state, peer_headers, incoming);

  if (verdict.decision == SHOAL_HANDSHAKE_ACCEPT_GUIDANCE)
    return shoal_handshake_verdict_refuse (503, "gnet-load wants an ultrapeer link");
  return verdict;
}

static Node *
node_new (Load          *load,
          ShoalPeerRole  role,
          guint          number)
{
  Node *node = g_new0 (Node, 1);

  node->load = load;
  node->role = role;
  node->number = number;
  shoal_guid_init_modern (&node->servent_guid);
  node->policy.get_state = policy_get_state;
  node->policy.judge = policy_judge;
  node->policy.timeout_ms = HANDSHAKE_TIMEOUT_MS;
  node->policy.user_data = node;
  if (role == SHOAL_PEER_ROLE_LEAF)
    {
      node->table = build_leaf_table (number);
      node->hit_payload = build_hit_payload (node);
    }
  return node;
}

/* Queries --------------------------------------------------------------------------- */

/* Forgets @query; a measured one that never reached its leaf is a drop. */
static void
retire_query (Load      *load,
              SentQuery *query)
{
  if (query->measured && query->leaf >= 0 && !query->delivered)
    load->undelivered++;
  g_hash_table_remove (load->sent, &query->guid);
}

static void
expire_queries (Load   *load,
                gint64  now_usec)
{
  SentQuery *oldest;

  while ((oldest = g_queue_peek_head (&load->sent_order)) != NULL &&
         now_usec - oldest->sent_usec > QUERY_MEMORY_USEC)
    retire_query (load, g_queue_pop_head (&load->sent_order));
}

static void
retire_all_queries (Load *load)
{
  SentQuery *query;

  while ((query = g_queue_pop_head (&load->sent_order)) != NULL)
    retire_query (load, query);
}

static Node *
next_ultrapeer (Load *load)
{
  guint count = (guint) load->options.ultrapeers;

  for (guint tried = 0; tried < count; tried++)
    {
      Node *node = ultrapeer_at (load, load->next_ultrapeer++ % count);

      if (node_is_live (node))
        return node;
    }
  return NULL;
}

/* A random leaf whose link is up, or -1. */
static gint
pick_leaf (Load *load)
{
  for (guint tried = 0; tried < LEAF_PICK_TRIES && load->options.leaves > 0; tried++)
    {
      guint number = (guint) g_random_int_range (0, load->options.leaves);

      if (node_is_live (leaf_at (load, number)))
        return (gint) number;
    }
  return -1;
}

static GBytes *
build_query (const ShoalGuid *guid,
             const char      *word)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_new_words (QUERY_FLAGS, word, NULL, &error);
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  if (query == NULL || !shoal_query_write (query, payload, &error))
    g_error ("cannot build a query for %s: %s", word, error->message);
  return build_message (guid, SHOAL_MESSAGE_QUERY, QUERY_TTL, payload->data, payload->len);
}

/* FALSE when no ultrapeer link is left to send through. */
static gboolean
send_query (Load *load)
{
  Node *ultrapeer = next_ultrapeer (load);
  gint leaf = -1;
  char word[WORD_SIZE];
  g_autoptr(GBytes) message = NULL;
  SentQuery *query;

  if (ultrapeer == NULL)
    return FALSE;
  if (g_random_double () < load->options.match_ratio)
    leaf = pick_leaf (load);
  if (leaf >= 0)
    format_leaf_word ((guint) leaf, word);
  else
    g_snprintf (word, sizeof word, "zzq%08x", g_random_int ());
  query = g_new0 (SentQuery, 1);
  shoal_guid_init_modern (&query->guid);
  query->sent_usec = g_get_monotonic_time ();
  query->word_code = shoal_qrp_hash_code (word, -1);
  query->leaf = leaf;
  query->measured = load->phase == PHASE_MEASURE;
  message = build_query (&query->guid, word);
  /* A query our own link refused never left: its link's :dropped counts
   * it, not the undelivered ones. */
  if (!shoal_link_send_bytes (ultrapeer->link, message, SHOAL_LINK_PRIORITY_QUERY))
    {
      g_free (query);
      return TRUE;
    }
  g_hash_table_insert (load->sent, &query->guid, query);
  g_queue_push_tail (&load->sent_order, query);
  load->counters.queries_sent++;
  load->counters.matching_sent += leaf >= 0;
  return TRUE;
}

static gboolean
on_pace (gpointer user_data)
{
  Load *load = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 due = (guint64) (now - load->pace_start_usec) * (guint64) load->options.rate / G_USEC_PER_SEC;
  guint64 burst_cap = (guint64) load->options.rate * PACE_INTERVAL_MS * MAX_CATCH_UP_INTERVALS / 1000 + 1;
  guint64 to_send = MIN (due - load->queries_due, burst_cap);

  load->queries_due = due;
  expire_queries (load, now);
  for (guint64 i = 0; i < to_send; i++)
    if (!send_query (load))
      break;
  return G_SOURCE_CONTINUE;
}

/* Receiving ---------------------------------------------------------------------------- */

static void
send_on (Node              *node,
         GBytes            *message,
         ShoalLinkPriority  priority)
{
  if (node_is_live (node))
    shoal_link_send_bytes (node->link, message, priority);
}

/* The neighbour's alive pings (hops 0) want a pong with their GUID, or it
 * hangs up (BYE 406). */
static void
answer_ping (Node               *node,
             const ShoalMessage *message)
{
  g_autoptr(GBytes) pong = NULL;

  if (message->header.hops != 0)
    return;
  pong = build_message_from_bytes (&message->header.guid, SHOAL_MESSAGE_PONG, 1,
                                   node->load->pong_payload);
  send_on (node, pong, SHOAL_LINK_PRIORITY_CONTROL);
}

/* A query reached a leaf: was it ours, did the leaf's table ask for it,
 * and is the leaf the one it names? That one answers with a hit. */
static void
handle_leaf_query (Node               *node,
                   const ShoalMessage *message)
{
  Load *load = node->load;
  SentQuery *query = g_hash_table_lookup (load->sent, &message->header.guid);
  guint32 slot;
  g_autoptr(GBytes) hit = NULL;

  load->counters.leaf_queries++;
  if (query == NULL)
    {
      load->counters.leaf_foreign++;
      return;
    }
  slot = shoal_qrp_hash_restrict (query->word_code, shoal_qrp_table_get_bits (node->table));
  if (!shoal_qrp_table_is_present (node->table, slot))
    {
      load->counters.leaf_misrouted++;
      return;
    }
  if (query->leaf != (gint) node->number)
    {
      load->counters.leaf_collisions++;
      return;
    }
  load->counters.leaf_named++;
  if (query->delivered)
    return;
  query->delivered = TRUE;
  hit = build_message_from_bytes (&query->guid, SHOAL_MESSAGE_QUERY_HIT, HIT_TTL, node->hit_payload);
  send_on (node, hit, SHOAL_LINK_PRIORITY_REPLY);
  load->counters.hits_sent++;
}

/* A hit came back: the first one for a query gives its latency. */
static void
handle_hit (Node               *node,
            const ShoalMessage *message)
{
  Load *load = node->load;
  SentQuery *query;
  gint64 latency;

  load->counters.hits++;
  if (node->role != SHOAL_PEER_ROLE_ULTRAPEER)
    return;
  query = g_hash_table_lookup (load->sent, &message->header.guid);
  if (query == NULL)
    {
      load->counters.hits_unknown++;
      return;
    }
  if (query->answered)
    return;
  query->answered = TRUE;
  latency = g_get_monotonic_time () - query->sent_usec;
  if (query->measured)
    g_array_append_val (load->latencies_usec, latency);
}

/* The hot path: only what is needed to count, everything parsed already
 * by the link. */
static void
on_link_message (ShoalLink    *link,
                 ShoalMessage *message,
                 gpointer      user_data)
{
  Node *node = user_data;
  Counters *counters = &node->load->counters;

  switch (message->header.type)
    {
    case SHOAL_MESSAGE_QUERY:
      if (node->role == SHOAL_PEER_ROLE_LEAF)
        handle_leaf_query (node, message);
      else
        counters->ultrapeer_queries++;
      break;
    case SHOAL_MESSAGE_QUERY_HIT:
      handle_hit (node, message);
      break;
    case SHOAL_MESSAGE_PUSH:
      counters->pushes++;
      break;
    case SHOAL_MESSAGE_PING:
      answer_ping (node, message);
      counters->others++;
      break;
    default:
      counters->others++;
    }
}

static void
on_link_closed (ShoalLink    *link,
                const GError *error,
                gpointer      user_data)
{
  Node *node = user_data;
  Load *load = node->load;
  const char *reason = error != NULL ? error->message : "no reason given";
  guint count;

  node->closed = TRUE;
  if (load->phase == PHASE_CLOSE)
    {
      if (load->closes_pending > 0 && --load->closes_pending == 0)
        quit (load);
      return;
    }
  count = GPOINTER_TO_UINT (g_hash_table_lookup (load->close_reasons, reason));
  g_hash_table_insert (load->close_reasons, g_strdup (reason), GUINT_TO_POINTER (count + 1));
  if (load->closed_early++ < CLOSE_REASONS_SHOWN)
    g_printerr ("gnet-load: the %s link %u closed: %s\n",
                node->role == SHOAL_PEER_ROLE_LEAF ? "leaf" : "ultrapeer", node->number, reason);
}

/* Linking ---------------------------------------------------------------------------------- */

/* RESET, then the PATCH sequence that fills the table, as a leaf does
 * right after its handshake. */
static void
send_qrp_table (Node *node)
{
  ShoalQrpReset reset = { node->table->slots, node->table->infinity };
  ShoalQrpPatchOptions options = { PATCH_ENTRY_BITS, SHOAL_QRP_COMPRESSOR_ZLIB, PATCH_CHUNK_SIZE };
  g_autoptr(GByteArray) reset_payload = g_byte_array_new ();
  g_autoptr(GPtrArray) patches = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;
  ShoalGuid guid;

  patches = shoal_qrp_build_patches (node->table, NULL, &options, &error);
  if (patches == NULL)
    g_error ("cannot build the QRP patches of leaf %u: %s", node->number, error->message);
  shoal_qrp_reset_write (&reset, reset_payload);
  shoal_guid_init_modern (&guid);
  message = build_message (&guid, SHOAL_MESSAGE_QRP, 1, reset_payload->data, reset_payload->len);
  send_on (node, message, SHOAL_LINK_PRIORITY_CONTROL);
  for (guint i = 0; i < patches->len; i++)
    {
      g_autoptr(GBytes) patch = NULL;

      shoal_guid_init_modern (&guid);
      patch = build_message_from_bytes (&guid, SHOAL_MESSAGE_QRP, 1, g_ptr_array_index (patches, i));
      send_on (node, patch, SHOAL_LINK_PRIORITY_CONTROL);
    }
}

static void
link_node (Node                 *node,
           ShoalHandshakeResult *result)
{
  ShoalLinkConfig config;

  shoal_link_config_init_default (&config);
  if (node->role == SHOAL_PEER_ROLE_LEAF)
    {
      config.keepalive_period_ms = SHOAL_LINK_KEEPALIVE_PERIOD_LEAF_MS;
      config.max_pending_keepalives = SHOAL_LINK_MAX_PENDING_KEEPALIVES_LEAF;
    }
  node->link = shoal_link_new (node->stream, result->leftover, result->deflate_input,
                               result->deflate_output, &config);
  g_clear_object (&node->stream);
  g_signal_connect (node->link, "message-received", G_CALLBACK (on_link_message), node);
  g_signal_connect (node->link, "closed", G_CALLBACK (on_link_closed), node);
  shoal_link_start (node->link);
  if (node->role == SHOAL_PEER_ROLE_LEAF)
    send_qrp_table (node);
}

static void dial_next (Load *load);

static gboolean
on_retry (gpointer user_data)
{
  Node *node = user_data;
  Load *load = node->load;

  load->retries_waiting--;
  if (!g_cancellable_is_cancelled (load->cancellable))
    g_queue_push_tail (&load->dial_queue, node);
  dial_next (load);
  check_dials_done (load);
  return G_SOURCE_REMOVE;
}

/* One attempt ended without a link: another one later, or give up. */
static void
dial_failed (Node       *node,
             const char *why)
{
  Load *load = node->load;

  load->dials_in_flight--;
  g_clear_object (&node->stream);
  g_free (node->last_error);
  node->last_error = g_strdup (why);
  if (node->attempts < DIAL_ATTEMPTS && !g_cancellable_is_cancelled (load->cancellable))
    {
      if (load->retries++ < CLOSE_REASONS_SHOWN)
        g_printerr ("gnet-load: the %s link %u failed, retrying: %s\n",
                    node->role == SHOAL_PEER_ROLE_LEAF ? "leaf" : "ultrapeer", node->number, why);
      load->retries_waiting++;
      g_timeout_add (RETRY_DELAY_MS * node->attempts, on_retry, node);
    }
  dial_next (load);
  check_dials_done (load);
}

static void
on_handshake (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Node *node = user_data;
  Load *load = node->load;
  g_autoptr(ShoalHandshakeResult) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHandshakeResult) done =
    shoal_gnutella_handshake_outgoing_finish (result, &failed, &error);
  g_autofree char *why = NULL;

  if (done == NULL)
    {
      dial_failed (node, error->message);
      return;
    }
  if (done->our_role != node->role || done->peer_role != SHOAL_PEER_ROLE_ULTRAPEER)
    {
      why = g_strdup_printf ("the target took the link as %s to %s",
                             done->our_role == SHOAL_PEER_ROLE_LEAF ? "a leaf" : "an ultrapeer",
                             done->peer_role == SHOAL_PEER_ROLE_LEAF ? "a leaf" : "an ultrapeer");
      g_io_stream_close_async (node->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      dial_failed (node, why);
      return;
    }
  link_node (node, done);
  load->dials_in_flight--;
  dial_next (load);
  check_dials_done (load);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Node *node = user_data;
  Load *load = node->load;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  g_autoptr(GSocketAddress) address = NULL;
  ShoalIpv4Endpoint remote = { 0, 0 };
  GSocket *socket;

  if (connection == NULL)
    {
      dial_failed (node, error->message);
      return;
    }
  socket = g_socket_connection_get_socket (connection);
  /* The client's timeout stays on the socket: a leaf link quiet for that
   * long would time out its reads. */
  g_socket_set_timeout (socket, 0);
  /* Our links write whole batches: Nagle's delay would only add our own
   * wait to the hit latency measured. */
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_clear_error (&error);
  address = g_socket_connection_get_remote_address (connection, NULL);
  if (address != NULL)
    shoal_listener_endpoint_from_address (address, &remote);
  node->stream = G_IO_STREAM (g_steal_pointer (&connection));
  shoal_gnutella_handshake_outgoing_async (node->stream, &remote, &node->policy,
                                           load->cancellable, on_handshake, node);
}

static void
dial_next (Load *load)
{
  Node *node;

  while (load->dials_in_flight < DIAL_CONCURRENCY &&
         (node = g_queue_pop_head (&load->dial_queue)) != NULL)
    {
      node->attempts++;
      load->dials_in_flight++;
      g_socket_client_connect_async (load->client, load->target, load->cancellable,
                                     on_connected, node);
    }
}

/* Phases ---------------------------------------------------------------------------------- */

static void
set_phase_timer (Load        *load,
                 guint        delay_ms,
                 GSourceFunc  callback)
{
  g_clear_handle_id (&load->phase_timer, g_source_remove);
  load->phase_timer = g_timeout_add (delay_ms, callback, load);
}

static void
snapshot (Load     *load,
          Counters *counters)
{
  *counters = load->counters;
  counters->link_drops = 0;
  for (guint i = 0; i < load->nodes->len; i++)
    {
      Node *node = g_ptr_array_index (load->nodes, i);
      ShoalLinkStats stats;

      if (node->link == NULL)
        continue;
      shoal_link_get_stats (node->link, &stats);
      counters->link_drops += stats.dropped;
    }
}

static void
quit (Load *load)
{
  g_clear_handle_id (&load->phase_timer, g_source_remove);
  g_clear_handle_id (&load->pace_timer, g_source_remove);
  g_main_loop_quit (load->loop);
}

static gboolean
on_close_wait_over (gpointer user_data)
{
  Load *load = user_data;

  load->phase_timer = 0;
  quit (load);
  return G_SOURCE_REMOVE;
}

/* Byes to the target, then out once they left or the wait is over. */
static void
begin_close (Load *load)
{
  load->phase = PHASE_CLOSE;
  g_clear_handle_id (&load->pace_timer, g_source_remove);
  retire_all_queries (load);
  /* Counted first: a link may report its end before the loop is over. */
  load->closes_pending = count_live_links (load);
  if (load->closes_pending == 0)
    {
      quit (load);
      return;
    }
  set_phase_timer (load, CLOSE_WAIT_MS, on_close_wait_over);
  for (guint i = 0; i < load->nodes->len; i++)
    {
      Node *node = g_ptr_array_index (load->nodes, i);

      if (node_is_live (node))
        shoal_link_close (node->link, 200, "gnet-load finished");
    }
}

static gboolean
on_drain_over (gpointer user_data)
{
  Load *load = user_data;

  load->phase_timer = 0;
  begin_close (load);
  return G_SOURCE_REMOVE;
}

static void
end_window (Load *load)
{
  load->window_end_usec = g_get_monotonic_time ();
  snapshot (load, &load->window_end);
  load->target_end = sample_target (load);
  load->self_cpu_end_s = self_cpu_seconds ();
  g_clear_handle_id (&load->pace_timer, g_source_remove);
  load->phase = PHASE_DRAIN;
}

/* Also on Ctrl-C: set_phase_timer() then drops the window's own timer. */
static void
drain_after_window (Load *load)
{
  end_window (load);
  set_phase_timer (load, DRAIN_MS, on_drain_over);
}

static gboolean
on_window_over (gpointer user_data)
{
  Load *load = user_data;

  load->phase_timer = 0;
  drain_after_window (load);
  return G_SOURCE_REMOVE;
}

static gboolean
on_warmup_over (gpointer user_data)
{
  Load *load = user_data;

  load->phase_timer = 0;
  load->phase = PHASE_MEASURE;
  load->window_start_usec = g_get_monotonic_time ();
  snapshot (load, &load->window_start);
  load->target_start = sample_target (load);
  load->self_cpu_start_s = self_cpu_seconds ();
  g_printerr ("gnet-load: measuring for %d s\n", load->options.duration_s);
  set_phase_timer (load, (guint) load->options.duration_s * 1000, on_window_over);
  return G_SOURCE_REMOVE;
}

static gboolean
on_settled (gpointer user_data)
{
  Load *load = user_data;

  load->phase_timer = 0;
  load->target_linked = sample_target (load);
  if (count_linked (load, SHOAL_PEER_ROLE_ULTRAPEER) == 0)
    {
      g_printerr ("gnet-load: no ultrapeer link is up: nothing to send queries through\n");
      begin_close (load);
      return G_SOURCE_REMOVE;
    }
  load->phase = PHASE_WARMUP;
  load->pace_start_usec = g_get_monotonic_time ();
  load->queries_due = 0;
  load->pace_timer = g_timeout_add (PACE_INTERVAL_MS, on_pace, load);
  g_printerr ("gnet-load: sending %d queries/s, %d s of warm-up\n",
              load->options.rate, load->options.warmup_s);
  set_phase_timer (load, (guint) load->options.warmup_s * 1000, on_warmup_over);
  return G_SOURCE_REMOVE;
}

static void
check_dials_done (Load *load)
{
  if (load->phase != PHASE_CONNECT || load->dials_in_flight > 0 || load->retries_waiting > 0 ||
      !g_queue_is_empty (&load->dial_queue))
    return;
  load->dial_end_usec = g_get_monotonic_time ();
  if (load->interrupted)
    {
      begin_close (load);
      return;
    }
  g_printerr ("gnet-load: %u of %d leaf and %u of %d ultrapeer links up after %.2f s\n",
              count_linked (load, SHOAL_PEER_ROLE_LEAF), load->options.leaves,
              count_linked (load, SHOAL_PEER_ROLE_ULTRAPEER), load->options.ultrapeers,
              seconds_between (load->dial_start_usec, load->dial_end_usec));
  load->phase = PHASE_SETTLE;
  set_phase_timer (load, SETTLE_MS, on_settled);
}

/* A first Ctrl-C ends the window now (the last queries still get their
 * drain) and reports what it has; before the window there is nothing to
 * report. A second one stops at once. */
static gboolean
on_interrupt (gpointer user_data)
{
  Load *load = user_data;

  load->interrupted = TRUE;
  switch (load->phase)
    {
    case PHASE_CONNECT:
      g_queue_clear (&load->dial_queue);
      g_cancellable_cancel (load->cancellable);
      check_dials_done (load);
      break;
    case PHASE_SETTLE:
    case PHASE_WARMUP:
    case PHASE_DRAIN:
      begin_close (load);
      break;
    case PHASE_MEASURE:
      drain_after_window (load);
      break;
    case PHASE_CLOSE:
      quit (load);
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* Figures ------------------------------------------------------------------------------- */

typedef struct
{
  double   window_s;
  Counters delta;
  guint64  routed;
  guint64  drops;
  guint    leaves_up;
  guint    ultrapeers_up;
  guint    latency_count;
  double   latency_p50_ms;
  double   latency_p99_ms;
  double   latency_max_ms;
  gboolean target_measured;
  double   target_cpu_percent;
  double   rss_mib;
  double   hwm_mib;
  double   rss_before_mib;
  double   rss_linked_mib;
  double   kib_per_link;
  double   self_cpu_percent;
} Figures;

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least @percent of the values
 * at or below it. @values is sorted. */
static double
percentile_ms (const GArray *values,
               guint         percent)
{
  guint rank = (guint) (((guint64) percent * values->len + 99) / 100);

  if (values->len == 0)
    return 0;
  rank = CLAMP (rank, 1, values->len);
  return g_array_index (values, gint64, rank - 1) / MS_PER_S;
}

/* Counters holds nothing but guint64s: the window is their difference. */
G_STATIC_ASSERT (sizeof (Counters) % sizeof (guint64) == 0);

static void
subtract_counters (const Counters *end,
                   const Counters *start,
                   Counters       *delta)
{
  const guint64 *e = (const guint64 *) (gconstpointer) end;
  const guint64 *s = (const guint64 *) (gconstpointer) start;
  guint64 *d = (guint64 *) (gpointer) delta;

  for (gsize i = 0; i < sizeof (Counters) / sizeof (guint64); i++)
    d[i] = e[i] - s[i];
}

static void
compute_target_figures (Load    *load,
                        Figures *figures)
{
  long ticks_per_second = sysconf (_SC_CLK_TCK);
  guint links = figures->leaves_up + figures->ultrapeers_up;

  figures->target_measured = load->target_start.valid && load->target_end.valid;
  if (!figures->target_measured)
    return;
  figures->target_cpu_percent = ticks_per_second > 0 && figures->window_s > 0
    ? 100.0 * (load->target_end.cpu_ticks - load->target_start.cpu_ticks) / ticks_per_second / figures->window_s
    : 0;
  figures->rss_mib = load->target_end.rss_kib / KIB_PER_MIB;
  figures->hwm_mib = load->target_end.hwm_kib / KIB_PER_MIB;
  figures->rss_before_mib = load->target_before.rss_kib / KIB_PER_MIB;
  figures->rss_linked_mib = load->target_linked.rss_kib / KIB_PER_MIB;
  if (links > 0 && load->target_before.valid && load->target_linked.valid)
    figures->kib_per_link = ((double) load->target_linked.rss_kib - (double) load->target_before.rss_kib) / links;
}

static void
compute_figures (Load    *load,
                 Figures *figures)
{
  memset (figures, 0, sizeof *figures);
  figures->window_s = seconds_between (load->window_start_usec, load->window_end_usec);
  subtract_counters (&load->window_end, &load->window_start, &figures->delta);
  figures->routed = figures->delta.leaf_queries + figures->delta.ultrapeer_queries
                    + figures->delta.hits + figures->delta.pushes;
  figures->drops = load->undelivered + figures->delta.link_drops + load->closed_early;
  figures->leaves_up = count_linked (load, SHOAL_PEER_ROLE_LEAF);
  figures->ultrapeers_up = count_linked (load, SHOAL_PEER_ROLE_ULTRAPEER);
  g_array_sort (load->latencies_usec, compare_gint64);
  figures->latency_count = load->latencies_usec->len;
  figures->latency_p50_ms = percentile_ms (load->latencies_usec, 50);
  figures->latency_p99_ms = percentile_ms (load->latencies_usec, 99);
  figures->latency_max_ms = percentile_ms (load->latencies_usec, 100);
  if (figures->window_s > 0)
    figures->self_cpu_percent = 100.0 * (load->self_cpu_end_s - load->self_cpu_start_s) / figures->window_s;
  compute_target_figures (load, figures);
}

static double
per_second (guint64        count,
            const Figures *figures)
{
  return figures->window_s > 0 ? count / figures->window_s : 0;
}

/* Reports ------------------------------------------------------------------------------ */

static void
print_failed_dials (Load *load)
{
  guint shown = 0;

  for (guint i = 0; i < load->nodes->len && shown < CLOSE_REASONS_SHOWN; i++)
    {
      Node *node = g_ptr_array_index (load->nodes, i);

      if (node->link == NULL && node->last_error != NULL)
        {
          g_print ("    %s %u gave up after %u attempts: %s\n",
                   node->role == SHOAL_PEER_ROLE_LEAF ? "leaf" : "ultrapeer", node->number,
                   node->attempts, node->last_error);
          shown++;
        }
    }
}

static void
print_close_reasons (Load *load)
{
  GHashTableIter iter;
  gpointer reason, count;
  guint shown = 0;

  g_hash_table_iter_init (&iter, load->close_reasons);
  while (g_hash_table_iter_next (&iter, &reason, &count) && shown++ < CLOSE_REASONS_SHOWN)
    g_print ("    %u closed: %s\n", GPOINTER_TO_UINT (count), (const char *) reason);
}

static void
print_rate (const char    *label,
            guint64        count,
            const Figures *figures)
{
  g_print ("  %-28s %10" G_GUINT64_FORMAT "  %10.1f/s\n", label, count, per_second (count, figures));
}

static void
print_human_report (Load          *load,
                    const Figures *figures)
{
  const Counters *d = &figures->delta;
  guint sent_ultrapeers = MAX (figures->ultrapeers_up, 1);

  g_print ("gnet-load against %s: %d leaves, %d ultrapeers, %d queries/s wanted, %.0f%% naming a leaf\n",
           load->options.target, load->options.leaves, load->options.ultrapeers,
           load->options.rate, load->options.match_ratio * 100);
  g_print ("  links up: %u of %d leaves, %u of %d ultrapeers, in %.2f s (%u retries)\n",
           figures->leaves_up, load->options.leaves, figures->ultrapeers_up, load->options.ultrapeers,
           seconds_between (load->dial_start_usec, load->dial_end_usec), load->retries);
  print_failed_dials (load);
  g_print ("  QRP: a %u-slot table per leaf (RESET + zlib PATCH)\n", TABLE_SLOTS);
  g_print ("window: %.2f s after %d s of warm-up\n", figures->window_s, load->options.warmup_s);
  g_print ("  sent:\n");
  print_rate ("queries (TTL 3)", d->queries_sent, figures);
  print_rate ("  naming a leaf", d->matching_sent, figures);
  print_rate ("hits by our leaves", d->hits_sent, figures);
  g_print ("  received from the target:\n");
  print_rate ("queries at leaves", d->leaf_queries, figures);
  print_rate ("  to the leaf named", d->leaf_named, figures);
  print_rate ("  QRP hash collisions", d->leaf_collisions, figures);
  print_rate ("  table does not match", d->leaf_misrouted, figures);
  print_rate ("  not sent by us", d->leaf_foreign, figures);
  print_rate ("queries at ultrapeers", d->ultrapeer_queries, figures);
  g_print ("    %.2f copies per query sent (%u expected: every other ultrapeer)\n",
           d->queries_sent > 0 ? (double) d->ultrapeer_queries / d->queries_sent : 0.0,
           sent_ultrapeers - 1);
  print_rate ("query hits", d->hits, figures);
  print_rate ("  for no query of ours", d->hits_unknown, figures);
  print_rate ("pushes", d->pushes, figures);
  print_rate ("other messages", d->others, figures);
  print_rate ("ROUTED MESSAGES", figures->routed, figures);
  g_print ("  hit latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms over %u hits\n",
           figures->latency_p50_ms, figures->latency_p99_ms, figures->latency_max_ms,
           figures->latency_count);
  g_print ("  drops: %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " queries naming a leaf never reached it, %"
           G_GUINT64_FORMAT " sends refused by our links, %u links closed)\n",
           figures->drops, load->undelivered, d->link_drops, load->closed_early);
  print_close_reasons (load);
  g_print ("  leaves given a query their table does not match: %" G_GUINT64_FORMAT
           " (0 when the target routes by QRP)\n", d->leaf_misrouted);
  if (figures->target_measured)
    {
      g_print ("  target pid %d: CPU %.1f%% of one core; RSS %.1f MiB, peak %.1f MiB\n",
               load->options.pid, figures->target_cpu_percent, figures->rss_mib, figures->hwm_mib);
      g_print ("    RSS %.1f MiB before the links, %.1f MiB with them up: %.1f KiB per link\n",
               figures->rss_before_mib, figures->rss_linked_mib, figures->kib_per_link);
    }
  g_print ("  gnet-load itself: CPU %.1f%% of one core\n", figures->self_cpu_percent);
}

static void
add_member_uint (JsonBuilder *builder,
                 const char  *name,
                 guint64      value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, (gint64) value);
}

static void
add_member_double (JsonBuilder *builder,
                   const char  *name,
                   double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_counters_json (JsonBuilder   *builder,
                   const Figures *figures)
{
  const Counters *d = &figures->delta;

  json_builder_set_member_name (builder, "counts");
  json_builder_begin_object (builder);
  add_member_uint (builder, "queries_sent", d->queries_sent);
  add_member_uint (builder, "matching_sent", d->matching_sent);
  add_member_uint (builder, "hits_sent", d->hits_sent);
  add_member_uint (builder, "leaf_queries", d->leaf_queries);
  add_member_uint (builder, "leaf_queries_named", d->leaf_named);
  add_member_uint (builder, "leaf_queries_collisions", d->leaf_collisions);
  add_member_uint (builder, "leaf_queries_misrouted", d->leaf_misrouted);
  add_member_uint (builder, "leaf_queries_foreign", d->leaf_foreign);
  add_member_uint (builder, "ultrapeer_queries", d->ultrapeer_queries);
  add_member_uint (builder, "hits", d->hits);
  add_member_uint (builder, "hits_unknown", d->hits_unknown);
  add_member_uint (builder, "pushes", d->pushes);
  add_member_uint (builder, "others", d->others);
  json_builder_end_object (builder);
  add_member_double (builder, "queries_sent_per_s", per_second (d->queries_sent, figures));
  add_member_double (builder, "routed_per_s", per_second (figures->routed, figures));
  add_member_double (builder, "leaf_queries_per_s", per_second (d->leaf_queries, figures));
  add_member_double (builder, "ultrapeer_queries_per_s", per_second (d->ultrapeer_queries, figures));
  add_member_double (builder, "hits_per_s", per_second (d->hits, figures));
}

static void
add_drops_json (JsonBuilder   *builder,
                Load          *load,
                const Figures *figures)
{
  GHashTableIter iter;
  gpointer reason, count;

  json_builder_set_member_name (builder, "drops");
  json_builder_begin_object (builder);
  add_member_uint (builder, "total", figures->drops);
  add_member_uint (builder, "undelivered", load->undelivered);
  add_member_uint (builder, "refused_sends", figures->delta.link_drops);
  add_member_uint (builder, "links_closed", load->closed_early);
  json_builder_set_member_name (builder, "close_reasons");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, load->close_reasons);
  while (g_hash_table_iter_next (&iter, &reason, &count))
    add_member_uint (builder, reason, GPOINTER_TO_UINT (count));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static void
add_target_json (JsonBuilder   *builder,
                 Load          *load,
                 const Figures *figures)
{
  json_builder_set_member_name (builder, "target_process");
  if (!figures->target_measured)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  add_member_uint (builder, "pid", (guint64) load->options.pid);
  add_member_double (builder, "cpu_percent", figures->target_cpu_percent);
  add_member_double (builder, "rss_mib", figures->rss_mib);
  add_member_double (builder, "hwm_mib", figures->hwm_mib);
  add_member_double (builder, "rss_before_links_mib", figures->rss_before_mib);
  add_member_double (builder, "rss_links_up_mib", figures->rss_linked_mib);
  add_member_double (builder, "kib_per_link", figures->kib_per_link);
  json_builder_end_object (builder);
}

static void
print_json_report (Load          *load,
                   const Figures *figures)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "target");
  json_builder_add_string_value (builder, load->options.target);
  add_member_uint (builder, "leaves_wanted", (guint64) load->options.leaves);
  add_member_uint (builder, "ultrapeers_wanted", (guint64) load->options.ultrapeers);
  add_member_uint (builder, "leaves_up", figures->leaves_up);
  add_member_uint (builder, "ultrapeers_up", figures->ultrapeers_up);
  add_member_double (builder, "connect_s", seconds_between (load->dial_start_usec, load->dial_end_usec));
  add_member_uint (builder, "rate_wanted", (guint64) load->options.rate);
  add_member_double (builder, "match_ratio", load->options.match_ratio);
  add_member_uint (builder, "query_ttl", QUERY_TTL);
  add_member_double (builder, "window_s", figures->window_s);
  add_counters_json (builder, figures);
  add_drops_json (builder, load, figures);
  json_builder_set_member_name (builder, "hit_latency_ms");
  json_builder_begin_object (builder);
  add_member_uint (builder, "count", figures->latency_count);
  add_member_double (builder, "p50", figures->latency_p50_ms);
  add_member_double (builder, "p99", figures->latency_p99_ms);
  add_member_double (builder, "max", figures->latency_max_ms);
  json_builder_end_object (builder);
  add_target_json (builder, load, figures);
  add_member_double (builder, "self_cpu_percent", figures->self_cpu_percent);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* Main --------------------------------------------------------------------------- */

static gboolean
parse_options (Options   *options,
               int       *argc,
               char    ***argv)
{
  GOptionEntry entries[] = {
    { "target", 't', 0, G_OPTION_ARG_STRING, &options->target, "The servent to load (required)", "HOST:PORT" },
    { "leaves", 'l', 0, G_OPTION_ARG_INT, &options->leaves, "Leaf links (default 300)", "N" },
    { "ultrapeers", 'u', 0, G_OPTION_ARG_INT, &options->ultrapeers, "Ultrapeer links (default 30)", "M" },
    { "rate", 'r', 0, G_OPTION_ARG_INT, &options->rate, "Queries per second, all ultrapeer links together (default 2000)", "Q" },
    { "match-ratio", 'm', 0, G_OPTION_ARG_DOUBLE, &options->match_ratio,
      "Share of queries naming one leaf's word, 0 to 1 (default 0.1)", "R" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &options->duration_s, "Seconds measured once the links are up (default 20)", "S" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &options->warmup_s, "Seconds of queries before the measure (default 2)", "S" },
    { "pid", 'p', 0, G_OPTION_ARG_INT, &options->pid, "The target's process, when local: its CPU and memory", "PID" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &options->json, "Print one JSON object instead of the report", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- load a Gnutella ultrapeer with leaves, ultrapeers and queries");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("gnet-load: %s\n", error->message);
      return FALSE;
    }
  if (options->target == NULL)
    g_printerr ("gnet-load: --target HOST:PORT is required\n");
  else if (options->leaves < 0 || options->leaves > MAX_LEAVES ||
           options->ultrapeers < 1 || options->ultrapeers > MAX_ULTRAPEERS)
    g_printerr ("gnet-load: --leaves must be 0 to %d and --ultrapeers 1 to %d\n", MAX_LEAVES, MAX_ULTRAPEERS);
  else if (options->rate < 1 || options->rate > MAX_RATE)
    g_printerr ("gnet-load: --rate must be 1 to %d\n", MAX_RATE);
  else if (!(options->match_ratio >= 0 && options->match_ratio <= 1))
    g_printerr ("gnet-load: --match-ratio must be 0 to 1\n");
  else if (options->duration_s < 1 || options->duration_s > MAX_DURATION_S ||
           options->warmup_s < 0 || options->warmup_s > MAX_DURATION_S)
    g_printerr ("gnet-load: --duration must be 1 to %d and --warmup 0 to %d\n", MAX_DURATION_S, MAX_DURATION_S);
  else
    return TRUE;
  return FALSE;
}

static void
load_init (Load *load)
{
  load->loop = g_main_loop_new (NULL, FALSE);
  load->client = g_socket_client_new ();
  g_socket_client_set_timeout (load->client, CONNECT_TIMEOUT_S);
  load->cancellable = g_cancellable_new ();
  load->nodes = g_ptr_array_new_with_free_func (node_free);
  g_queue_init (&load->dial_queue);
  g_queue_init (&load->sent_order);
  load->sent = g_hash_table_new_full (shoal_guid_hash, shoal_guid_equal, NULL, g_free);
  load->latencies_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  load->close_reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  load->pong_payload = build_pong_payload ();
  for (gint i = 0; i < load->options.leaves; i++)
    g_ptr_array_add (load->nodes, node_new (load, SHOAL_PEER_ROLE_LEAF, (guint) i));
  for (gint i = 0; i < load->options.ultrapeers; i++)
    g_ptr_array_add (load->nodes, node_new (load, SHOAL_PEER_ROLE_ULTRAPEER, (guint) i));
}

static void
load_clear (Load *load)
{
  g_queue_clear (&load->dial_queue);
  g_queue_clear (&load->sent_order);
  g_clear_pointer (&load->sent, g_hash_table_unref);
  g_clear_pointer (&load->nodes, g_ptr_array_unref);
  g_clear_pointer (&load->latencies_usec, g_array_unref);
  g_clear_pointer (&load->close_reasons, g_hash_table_unref);
  g_clear_pointer (&load->pong_payload, g_bytes_unref);
  g_clear_object (&load->target);
  g_clear_object (&load->cancellable);
  g_clear_object (&load->client);
  g_clear_pointer (&load->loop, g_main_loop_unref);
  g_clear_pointer (&load->options.target, g_free);
}

int
main (int argc, char **argv)
{
  Load load = {
    .options = { NULL, DEFAULT_LEAVES, DEFAULT_ULTRAPEERS, DEFAULT_RATE, DEFAULT_MATCH_RATIO,
                 DEFAULT_DURATION_S, DEFAULT_WARMUP_S, 0, FALSE },
  };
  g_autoptr(GError) error = NULL;
  guint interrupt_sources[2];
  Figures figures;
  gboolean measured;

  if (!parse_options (&load.options, &argc, &argv))
    {
      g_free (load.options.target);
      return 2;
    }
  load.target = g_network_address_parse (load.options.target, DEFAULT_TARGET_PORT, &error);
  if (load.target == NULL)
    {
      g_printerr ("gnet-load: --target %s: %s\n", load.options.target, error->message);
      g_free (load.options.target);
      return 2;
    }
  ensure_descriptors ((guint) (load.options.leaves + load.options.ultrapeers));
  load_init (&load);
  load.target_before = sample_target (&load);
  if (load.options.pid > 0 && !load.target_before.valid)
    g_printerr ("gnet-load: cannot read /proc/%d: no CPU or memory figures\n", load.options.pid);
  interrupt_sources[0] = g_unix_signal_add (SIGINT, on_interrupt, &load);
  interrupt_sources[1] = g_unix_signal_add (SIGTERM, on_interrupt, &load);

  load.dial_start_usec = g_get_monotonic_time ();
  for (guint i = 0; i < load.nodes->len; i++)
    g_queue_push_tail (&load.dial_queue, g_ptr_array_index (load.nodes, i));
  g_printerr ("gnet-load: linking %d leaves and %d ultrapeers to %s\n",
              load.options.leaves, load.options.ultrapeers, load.options.target);
  dial_next (&load);
  check_dials_done (&load);
  g_main_loop_run (load.loop);

  g_source_remove (interrupt_sources[0]);
  g_source_remove (interrupt_sources[1]);
  measured = load.window_end_usec != 0;
  if (measured)
    {
      compute_figures (&load, &figures);
      if (load.options.json)
        print_json_report (&load, &figures);
      else
        print_human_report (&load, &figures);
    }
  else
    g_printerr ("gnet-load: %s before the measure: nothing to report\n",
                load.interrupted ? "interrupted" : "stopped");
  load_clear (&load);
  return measured ? 0 : 1;
}
