/* test-router.c — ShoalRouter driven through fake links: flooding and TTL
 * rules, QRP to leaves and last-hop peers, reverse paths for hits and
 * pushes, our own queries, dynamic querying, and gtk-gnutella's captured
 * queries and leaf table. */
#include "shoal-dynamic-query.h"
#include "shoal-hit-builder.h"
#include "shoal-library-qrp.h"
#include "shoal-message.h"
#include "shoal-router.h"
#include "shoal-test-loop.h"
#include "shoal-test-vectors.h"

#include <string.h>

/* Link ids: ultrapeer peers, then leaves. */
#define PEER_A 1
#define PEER_B 2
#define PEER_C 3
#define PEER_D 4
#define LEAF_X 10
#define LEAF_Y 11
/* Link ids stay below this, so per-link test state is a plain array. */
#define LINK_ID_LIMIT 16

#define OUR_SERVENT_HEX "5e2f00aa0102030405060708090a0bff"
#define REMOTE_ADDRESS 0x0a000005u
#define REMOTE_PORT 6346
#define REMOTE_SPEED 1000
#define PUSH_FILE_INDEX 7

/* Bye codes the router closes links with (gtk-gnutella's). */
#define BYE_LEAF_RELAYED 414
#define BYE_BAD_QRP 413
/* How the router builds QRP patches: gtk-gnutella's 4-bit zlib chunks. */
#define QRP_ENTRY_BITS 4
/* A few dynamic-query ticks: long enough for any wait below, short
 * enough that a broken router fails the test quickly. */
#define WAIT_MS (10 * SHOAL_ROUTER_DQ_TICK_MS)
/* Our own query as an ultrapeer: satisfied after this many records. */
#define OWN_WANTED_RESULTS 2
/* A send queue long enough to put a peer behind the others. */
#define BUSY_QUEUE_BYTES 100000
/* Marked flags word (gtk-gnutella's), with and without the firewall bit. */
#define FLAGS SHOAL_QUERY_FLAGS_GTKG
#define FLAGS_FIREWALLED (SHOAL_QUERY_FLAGS_GTKG | SHOAL_QUERY_FLAG_FIREWALLED)

/* Leaf B of the capture shared these; our fake leaves share the same. */
static const char *const leaf_files[] = {
  "marmalade_harpsichord_sonata.txt",
  "obsidian_tortoise_almanac.txt",
  "zebrafish_quantum_lattice.txt",
  "xylophone_nebula_5MB.bin",
  NULL,
};
#define MATCHING_TEXT "obsidian almanac"
/* Leaf C's search for one of leaf B's files, as C sent it. */
#define CAPTURED_OBSIDIAN_QUERY "query_gtkg_originated_obsidian_leaf_to_up.bin"
#define UNRELATED_TEXT "giraffe pelican"

typedef struct
{
  guint64              link_id;
  ShoalRouterPriority  priority;
  GBytes              *bytes;
  ShoalMessage        *message;   /* @bytes parsed back */
} Sent;

typedef struct
{
  guint64  link_id;
  guint16  code;
  char    *reason;
} Closed;

/* What ::query, ::query-hit or ::push carried. */
typedef struct
{
  guint64            link_id;
  ShoalMessageHeader header;
} Seen;

typedef struct
{
  ShoalGuid guid;
  guint     ultrapeers;
  gboolean  finished;
} Progress;

typedef struct
{
  ShoalRouter *router;
  ShoalGuid    servent_guid;
  GPtrArray   *sent;                    /* Sent*, in order */
  GPtrArray   *closed;                  /* Closed*, in order */
  GArray      *queries;                 /* Seen */
  GArray      *hits;                    /* Seen */
  GArray      *pushes;                  /* Seen */
  GArray      *progress;                /* Progress */
  GPtrArray   *route_log;               /* debug lines of the router */
  gsize        queued[LINK_ID_LIMIT];   /* what ::queued_bytes answers */
} Fixture;

/* Fake links ------------------------------------------------------------------ */

static void
sent_free (gpointer pointer)
{
  Sent *sent = pointer;

  g_bytes_unref (sent->bytes);
  shoal_message_free (sent->message);
  g_free (sent);
}

static void
closed_free (gpointer pointer)
{
  Closed *closed = pointer;

  g_free (closed->reason);
  g_free (closed);
}

static ShoalMessage *
parse_message (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  ShoalMessage *message = shoal_message_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
on_send (guint64              link_id,
         GBytes              *message,
         ShoalRouterPriority  priority,
         gpointer             user_data)
{
  Fixture *fixture = user_data;
  Sent *sent = g_new0 (Sent, 1);

  sent->link_id = link_id;
  sent->priority = priority;
  sent->bytes = g_bytes_ref (message);
  sent->message = parse_message (message);
  g_ptr_array_add (fixture->sent, sent);
}

static void
on_close_link (guint64     link_id,
               guint16     bye_code,
               const char *reason,
               gpointer    user_data)
{
  Fixture *fixture = user_data;
  Closed *closed = g_new0 (Closed, 1);

  closed->link_id = link_id;
  closed->code = bye_code;
  closed->reason = g_strdup (reason);
  g_ptr_array_add (fixture->closed, closed);
}

static gsize
on_queued_bytes (guint64  link_id,
                 gpointer user_data)
{
  Fixture *fixture = user_data;

  g_assert_cmpuint (link_id, <, LINK_ID_LIMIT);
  return fixture->queued[link_id];
}

static void
record_seen (GArray  *seen,
             guint64  link_id,
             gpointer message)
{
  const ShoalMessage *parsed = message;
  Seen entry = { .link_id = link_id, .header = parsed->header };

  g_array_append_val (seen, entry);
}

static void
on_query (ShoalRouter *router,
          guint64      link_id,
          gpointer     message,
          gpointer     user_data)
{
  record_seen (((Fixture *) user_data)->queries, link_id, message);
}

static void
on_query_hit (ShoalRouter *router,
              guint64      link_id,
              gpointer     message,
              gpointer     user_data)
{
  record_seen (((Fixture *) user_data)->hits, link_id, message);
}

static void
on_push (ShoalRouter *router,
         guint64      link_id,
         gpointer     message,
         gpointer     user_data)
{
  record_seen (((Fixture *) user_data)->pushes, link_id, message);
}

static void
on_query_progress (ShoalRouter *router,
                   gpointer     guid,
                   guint        ultrapeers,
                   gboolean     finished,
                   gpointer     user_data)
{
  Fixture *fixture = user_data;
  Progress progress = { .guid = *(const ShoalGuid *) guid, .ultrapeers = ultrapeers,
                        .finished = finished };

  g_array_append_val (fixture->progress, progress);
}

/* The router says when a leaf's dynamic query ends only in its debug
 * log: the test reads that log. */
static void
on_route_log (const char     *log_domain,
              GLogLevelFlags  log_level,
              const char     *message,
              gpointer        user_data)
{
  g_ptr_array_add (((Fixture *) user_data)->route_log, g_strdup (message));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const ShoalRouterLinkOps ops = { on_send, on_close_link, on_queued_bytes };

  g_assert_true (shoal_guid_from_hex (OUR_SERVENT_HEX, -1, &fixture->servent_guid, NULL));
  fixture->sent = g_ptr_array_new_with_free_func (sent_free);
  fixture->closed = g_ptr_array_new_with_free_func (closed_free);
  fixture->queries = g_array_new (FALSE, TRUE, sizeof (Seen));
  fixture->hits = g_array_new (FALSE, TRUE, sizeof (Seen));
  fixture->pushes = g_array_new (FALSE, TRUE, sizeof (Seen));
  fixture->progress = g_array_new (FALSE, TRUE, sizeof (Progress));
  fixture->route_log = g_ptr_array_new_with_free_func (g_free);
  fixture->router = shoal_router_new (&fixture->servent_guid, &ops, fixture);
  g_signal_connect (fixture->router, "query", G_CALLBACK (on_query), fixture);
  g_signal_connect (fixture->router, "query-hit", G_CALLBACK (on_query_hit), fixture);
  g_signal_connect (fixture->router, "push", G_CALLBACK (on_push), fixture);
  g_signal_connect (fixture->router, "query-progress", G_CALLBACK (on_query_progress), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->router);
  g_ptr_array_unref (fixture->sent);
  g_ptr_array_unref (fixture->closed);
  g_array_unref (fixture->queries);
  g_array_unref (fixture->hits);
  g_array_unref (fixture->pushes);
  g_array_unref (fixture->progress);
  g_ptr_array_unref (fixture->route_log);
}

static void
add_peer (Fixture  *fixture,
          guint64   link_id,
          gboolean  last_hop_qrp)
{
  ShoalRouterLinkInfo info = { .last_hop_qrp = last_hop_qrp };

  shoal_router_add_link (fixture->router, link_id, &info);
}

static void
add_leaf (Fixture *fixture,
          guint64  link_id)
{
  ShoalRouterLinkInfo info = { .peer_is_leaf = TRUE };

  shoal_router_add_link (fixture->router, link_id, &info);
}

/* An ultrapeer with plain peers PEER_A up to @last_peer. */
static void
make_ultrapeer (Fixture *fixture,
                guint64  last_peer)
{
  shoal_router_set_ultrapeer (fixture->router, TRUE);
  for (guint64 id = PEER_A; id <= last_peer; id++)
    add_peer (fixture, id, FALSE);
}

/* What the links saw ------------------------------------------------------------ */

static void
clear_sent (Fixture *fixture)
{
  g_ptr_array_set_size (fixture->sent, 0);
}

static guint
count_sent (Fixture *fixture,
            guint64  link_id)
{
  guint count = 0;

  for (guint i = 0; i < fixture->sent->len; i++)
    count += ((Sent *) g_ptr_array_index (fixture->sent, i))->link_id == link_id;
  return count;
}

static guint
count_sent_of_type (Fixture *fixture,
                    guint64  link_id,
                    guint8   type)
{
  guint count = 0;

  for (guint i = 0; i < fixture->sent->len; i++)
    {
      const Sent *sent = g_ptr_array_index (fixture->sent, i);

      count += sent->link_id == link_id && sent->message->header.type == type;
    }
  return count;
}

/* The one message sent to @link_id: it must be of @type, with @guid. */
static const Sent *
only_sent (Fixture         *fixture,
           guint64          link_id,
           guint8           type,
           const ShoalGuid *guid)
{
  const Sent *found = NULL;

  for (guint i = 0; i < fixture->sent->len; i++)
    {
      const Sent *sent = g_ptr_array_index (fixture->sent, i);

      if (sent->link_id != link_id)
        continue;
      g_assert_null (found);
      found = sent;
    }
  g_assert_nonnull (found);
  g_assert_cmphex (found->message->header.type, ==, type);
  g_assert_true (shoal_guid_equal (&found->message->header.guid, guid));
  return found;
}

/* @link_id got exactly one copy of a message: @ttl, @hops, @payload. */
static void
assert_relayed (Fixture         *fixture,
                guint64          link_id,
                guint8           type,
                const ShoalGuid *guid,
                guint8           ttl,
                guint8           hops,
                GBytes          *payload)
{
  const Sent *sent = only_sent (fixture, link_id, type, guid);

  g_assert_cmpuint (sent->message->header.ttl, ==, ttl);
  g_assert_cmpuint (sent->message->header.hops, ==, hops);
  g_assert_true (g_bytes_equal (sent->message->payload, payload));
  g_assert_cmpint (sent->priority, ==, type == SHOAL_MESSAGE_QUERY ? SHOAL_ROUTER_PRIORITY_QUERY
                                                                 : SHOAL_ROUTER_PRIORITY_REPLY);
}

static ShoalRouterStats
stats (Fixture *fixture)
{
  ShoalRouterStats result;

  shoal_router_get_stats (fixture->router, &result);
  return result;
}

static ShoalRouterStats
link_stats (Fixture *fixture,
            guint64  link_id)
{
  ShoalRouterStats result;

  g_assert_true (shoal_router_get_link_stats (fixture->router, link_id, &result));
  return result;
}

/* Messages ------------------------------------------------------------------------ */

static ShoalGuid
new_guid (void)
{
  ShoalGuid guid;

  shoal_guid_init_modern (&guid);
  return guid;
}

static GBytes *
frame (const ShoalGuid *guid,
       guint8           type,
       guint8           ttl,
       guint8           hops,
       GBytes          *payload)
{
  g_autoptr(GByteArray) message = g_byte_array_new ();
  ShoalMessageHeader header = { .guid = *guid, .type = type, .ttl = ttl, .hops = hops,
                                .payload_length = (guint32) g_bytes_get_size (payload) };

  shoal_message_header_append (&header, message);
  g_byte_array_append (message, g_bytes_get_data (payload, NULL),
                       (guint) g_bytes_get_size (payload));
  return g_byte_array_free_to_bytes (g_steal_pointer (&message));
}

static GBytes *
query_payload (const char *text,
               guint16     flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQuery) query = shoal_query_new_words (flags, text, NULL, &error);
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_assert_no_error (error);
  g_assert_true (shoal_query_write (query, out, &error));
  g_assert_no_error (error);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Parses @bytes as the links would and hands it to the router. */
static void
deliver (Fixture *fixture,
         guint64  link_id,
         GBytes  *bytes)
{
  g_autoptr(ShoalMessage) message = parse_message (bytes);

  shoal_router_handle_message (fixture->router, link_id, message);
}

static void
deliver_payload (Fixture         *fixture,
                 guint64          link_id,
                 const ShoalGuid *guid,
                 guint8           type,
                 guint8           ttl,
                 guint8           hops,
                 GBytes          *payload)
{
  g_autoptr(GBytes) bytes = frame (guid, type, ttl, hops, payload);

  deliver (fixture, link_id, bytes);
}

/* Returns the payload sent (caller unrefs). */
static GBytes *
deliver_query (Fixture         *fixture,
               guint64          link_id,
               const ShoalGuid *guid,
               guint8           ttl,
               guint8           hops,
               const char      *text,
               guint16          flags)
{
  GBytes *payload = query_payload (text, flags);

  deliver_payload (fixture, link_id, guid, SHOAL_MESSAGE_QUERY, ttl, hops, payload);
  return payload;
}

/* The payload of a hit from @servent with @n_records records (at most
 * one message's worth), built as any servent of ours would build it. */
static GBytes *
hit_payload (const ShoalGuid *query_guid,
             const ShoalGuid *servent,
             guint            n_records)
{
  ShoalHitSelf self = { .servent_guid = *servent,
                        .endpoint = { REMOTE_ADDRESS, REMOTE_PORT },
                        .speed_kbps = REMOTE_SPEED };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree ShoalHitFile *files = g_new0 (ShoalHitFile, n_records);
  g_autoptr(GPtrArray) messages = NULL;
  GBytes *message;

  g_assert_cmpuint (n_records, <=, SHOAL_HIT_BUILDER_MAX_RECORDS);
  for (guint i = 0; i < n_records; i++)
    {
      g_ptr_array_add (names, g_strdup_printf ("obsidian_record_%u.txt", i));
      files[i].index = i + 1;
      files[i].size = 1000 + i;
      files[i].name = g_ptr_array_index (names, i);
    }
  messages = shoal_hit_builder_build (&self, query_guid, 0, files, n_records,
                                      SHOAL_QUERY_HIT_SHA1_URN);
  g_assert_cmpuint (messages->len, ==, 1);
  message = g_ptr_array_index (messages, 0);
  return g_bytes_new_from_bytes (message, SHOAL_MESSAGE_HEADER_SIZE,
                                 g_bytes_get_size (message) - SHOAL_MESSAGE_HEADER_SIZE);
}

static GBytes *
deliver_hit (Fixture         *fixture,
             guint64          link_id,
             const ShoalGuid *query_guid,
             const ShoalGuid *servent,
             guint            n_records,
             guint8           ttl,
             guint8           hops)
{
  GBytes *payload = hit_payload (query_guid, servent, n_records);

  deliver_payload (fixture, link_id, query_guid, SHOAL_MESSAGE_QUERY_HIT, ttl, hops, payload);
  return payload;
}

static GBytes *
deliver_push (Fixture         *fixture,
              guint64          link_id,
              const ShoalGuid *guid,
              const ShoalGuid *servent,
              guint8           ttl,
              guint8           hops)
{
  ShoalIpv4Endpoint downloader = { REMOTE_ADDRESS, REMOTE_PORT };
  g_autoptr(ShoalPush) push = shoal_push_new (servent, PUSH_FILE_INDEX, &downloader);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  GBytes *payload;

  g_assert_true (shoal_push_write (push, out, NULL));
  payload = g_byte_array_free_to_bytes (g_steal_pointer (&out));
  deliver_payload (fixture, link_id, guid, SHOAL_MESSAGE_PUSH, ttl, hops, payload);
  return payload;
}

/* QRP ----------------------------------------------------------------------------- */

static ShoalQrpTable *
library_table (const char *const *names)
{
  g_autoptr(ShoalLibraryQrp) qrp = shoal_library_qrp_new (SHOAL_LIBRARY_QRP_BITS);

  for (guint i = 0; names[i] != NULL; i++)
    shoal_library_qrp_add_file (qrp, names[i], NULL);
  return shoal_library_qrp_build_table (qrp, SHOAL_QRP_GTKG_INFINITY);
}

/* Whole 0x30 messages (TTL 1, hops 0) that tell a peer @table: a RESET
 * and the whole table's patches, as a gtk-gnutella leaf sends them. */
static GPtrArray *
qrp_messages (const ShoalQrpTable *table)
{
  ShoalQrpPatchOptions options = { QRP_ENTRY_BITS, SHOAL_QRP_COMPRESSOR_ZLIB,
                                   SHOAL_QRP_GTKG_PATCH_CHUNK };
  ShoalQrpReset reset = { table->slots, table->infinity };
  g_autoptr(GPtrArray) patches = NULL;
  g_autoptr(GByteArray) reset_payload = g_byte_array_new ();
  g_autoptr(GBytes) reset_bytes = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ShoalGuid guid = new_guid ();

  shoal_qrp_reset_write (&reset, reset_payload);
  reset_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&reset_payload));
  g_ptr_array_add (messages, frame (&guid, SHOAL_MESSAGE_QRP, 1, 0, reset_bytes));
  patches = shoal_qrp_build_patches (table, NULL, &options, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < patches->len; i++)
    {
      guid = new_guid ();
      g_ptr_array_add (messages, frame (&guid, SHOAL_MESSAGE_QRP, 1, 0,
                                        g_ptr_array_index (patches, i)));
    }
  return messages;
}

static void
deliver_all (Fixture   *fixture,
             guint64    link_id,
             GPtrArray *messages)
{
  for (guint i = 0; i < messages->len; i++)
    deliver (fixture, link_id, g_ptr_array_index (messages, i));
}

/* Leaf @link_id tells us it shares leaf_files. */
static void
give_leaf_files_table (Fixture *fixture,
                       guint64  link_id)
{
  g_autoptr(ShoalQrpTable) table = library_table (leaf_files);
  g_autoptr(GPtrArray) messages = qrp_messages (table);

  deliver_all (fixture, link_id, messages);
}

/* Flooding and TTL ------------------------------------------------------------------ */

static void
test_flood (Fixture       *fixture,
            gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) higher = NULL;
  Seen *seen;

  make_ultrapeer (fixture, PEER_C);
  payload = deliver_query (fixture, PEER_A, &guid, 3, 0, MATCHING_TEXT, FLAGS);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &guid, 2, 1, payload);
  assert_relayed (fixture, PEER_C, SHOAL_MESSAGE_QUERY, &guid, 2, 1, payload);
  g_assert_cmpuint (count_sent (fixture, PEER_A), ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, 1);
  seen = &g_array_index (fixture->queries, Seen, 0);
  g_assert_cmpuint (seen->link_id, ==, PEER_A);
  g_assert_true (shoal_guid_equal (&seen->header.guid, &guid));
  g_assert_cmpuint (stats (fixture).queries_in, ==, 1);
  g_assert_cmpuint (stats (fixture).queries_out, ==, 2);
  g_assert_cmpuint (stats (fixture).queries_answered, ==, 1);
  g_assert_cmpuint (link_stats (fixture, PEER_B).queries_out, ==, 1);

  /* The same query again: a duplicate, dropped. */
  clear_sent (fixture);
  g_clear_pointer (&payload, g_bytes_unref);
  payload = deliver_query (fixture, PEER_A, &guid, 3, 0, MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (stats (fixture).duplicates, ==, 1);
  g_assert_cmpuint (link_stats (fixture, PEER_A).duplicates, ==, 1);
  g_assert_cmpuint (fixture->queries->len, ==, 1);

  /* With more TTL left it goes further, but is not answered twice. */
  higher = deliver_query (fixture, PEER_A, &guid, 4, 0, MATCHING_TEXT, FLAGS);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &guid, 3, 1, higher);
  assert_relayed (fixture, PEER_C, SHOAL_MESSAGE_QUERY, &guid, 3, 1, higher);
  g_assert_cmpuint (count_sent (fixture, PEER_A), ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, 1);
  g_assert_cmpuint (stats (fixture).duplicates, ==, 1);
  g_assert_cmpuint (stats (fixture).queries_answered, ==, 1);
}

static void
test_ttl_bounds (Fixture       *fixture,
                 gconstpointer  data)
{
  /* TTL, hops: each out of bounds. */
  static const guint8 dropped[][2] = {
    { 0, 2 },
    { SHOAL_ROUTER_HARD_TTL_LIMIT - 5, 6 },
    { SHOAL_ROUTER_HARD_TTL_LIMIT + 1, 0 },
  };
  ShoalGuid at_limit = new_guid ();
  g_autoptr(GBytes) payload = NULL;

  make_ultrapeer (fixture, PEER_C);
  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    {
      ShoalGuid guid = new_guid ();

      g_bytes_unref (deliver_query (fixture, PEER_A, &guid, dropped[i][0], dropped[i][1],
                                    MATCHING_TEXT, FLAGS));
      g_assert_cmpuint (stats (fixture).dropped, ==, i + 1);
      g_assert_cmpuint (link_stats (fixture, PEER_A).dropped, ==, i + 1);
      g_assert_cmpuint (stats (fixture).dropped_queries, ==, i + 1);
    }
  g_assert_cmpuint (stats (fixture).dropped_hits + stats (fixture).dropped_pushes +
                    stats (fixture).dropped_other, ==, 0);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, 0);
  g_assert_cmpuint (stats (fixture).queries_in, ==, G_N_ELEMENTS (dropped));

  /* TTL + hops exactly at the limit is taken, answered, but has
   * travelled past SHOAL_ROUTER_MAX_TTL: no ultrapeer gets it. */
  payload = deliver_query (fixture, PEER_A, &at_limit, 9, 6, MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (9 + 6, ==, SHOAL_ROUTER_HARD_TTL_LIMIT);
  g_assert_cmpuint (stats (fixture).dropped, ==, G_N_ELEMENTS (dropped));
  g_assert_cmpuint (fixture->queries->len, ==, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

static void
test_ttl_trimmed (Fixture       *fixture,
                  gconstpointer  data)
{
  /* TTL, hops as received; TTL forwarded (hops + 1). */
  static const guint8 cases[][3] = {
    { 7, 0, SHOAL_ROUTER_MAX_TTL - 1 },      /* trimmed: 0 + 4 hops in all */
    { 5, 2, SHOAL_ROUTER_MAX_TTL - 2 - 1 },  /* trimmed: 2 + 2 */
    { 2, 1, 1 },                             /* within the limit: as is */
    { 3, 1, 2 },                             /* exactly at the limit */
  };

  make_ultrapeer (fixture, PEER_B);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ShoalGuid guid = new_guid ();
      g_autoptr(GBytes) payload = NULL;

      clear_sent (fixture);
      payload = deliver_query (fixture, PEER_A, &guid, cases[i][0], cases[i][1],
                               MATCHING_TEXT, FLAGS);
      assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &guid, cases[i][2],
                      (guint8) (cases[i][1] + 1), payload);
    }
  g_assert_cmpuint (stats (fixture).dropped, ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, G_N_ELEMENTS (cases));
}

static void
test_firewalled (Fixture       *fixture,
                 gconstpointer  data)
{
  ShoalGuid open_us = new_guid ();
  ShoalGuid both_fw = new_guid ();
  ShoalGuid open_querier = new_guid ();
  ShoalGuid unmarked = new_guid ();
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;
  g_autoptr(GBytes) fourth = NULL;

  make_ultrapeer (fixture, PEER_B);
  /* A firewalled querier can still download from us when we are not. */
  first = deliver_query (fixture, PEER_A, &open_us, 3, 0, MATCHING_TEXT, FLAGS_FIREWALLED);
  g_assert_cmpuint (fixture->queries->len, ==, 1);

  shoal_router_set_firewalled (fixture->router, TRUE);
  clear_sent (fixture);
  second = deliver_query (fixture, PEER_A, &both_fw, 3, 0, MATCHING_TEXT, FLAGS_FIREWALLED);
  g_assert_cmpuint (fixture->queries->len, ==, 1);
  g_assert_cmpuint (stats (fixture).queries_answered, ==, 1);
  /* Not ours to answer, but still routed. */
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &both_fw, 2, 1, second);

  third = deliver_query (fixture, PEER_A, &open_querier, 3, 0, MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->queries->len, ==, 2);
  g_assert_true (shoal_guid_equal (&g_array_index (fixture->queries, Seen, 1).header.guid,
                                   &open_querier));

  /* The bit means nothing in a flags word that is not marked. */
  fourth = deliver_query (fixture, PEER_A, &unmarked, 3, 0, MATCHING_TEXT,
                          SHOAL_QUERY_FLAG_FIREWALLED);
  g_assert_cmpuint (fixture->queries->len, ==, 3);
}

/* Leaves and QRP ------------------------------------------------------------------ */

static void
test_leaf_relayed_closes (Fixture       *fixture,
                          gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  ShoalGuid servent = new_guid ();
  g_autoptr(GBytes) query = NULL;
  g_autoptr(GBytes) hit = NULL;
  g_autoptr(GBytes) push = NULL;
  g_autoptr(ShoalQrpTable) table = library_table (leaf_files);
  g_autoptr(GPtrArray) qrp = qrp_messages (table);
  g_autoptr(ShoalMessage) reset = parse_message (g_ptr_array_index (qrp, 0));

  make_ultrapeer (fixture, PEER_A);
  add_leaf (fixture, LEAF_X);
  query = deliver_query (fixture, LEAF_X, &guid, 3, 1, MATCHING_TEXT, FLAGS);
  hit = deliver_hit (fixture, LEAF_X, &guid, &servent, 1, 5, 1);
  push = deliver_push (fixture, LEAF_X, &guid, &servent, 3, 2);
  reset->header.hops = 1;
  shoal_router_handle_message (fixture->router, LEAF_X, reset);

  g_assert_cmpuint (fixture->closed->len, ==, 4);
  for (guint i = 0; i < fixture->closed->len; i++)
    {
      Closed *closed = g_ptr_array_index (fixture->closed, i);

      g_assert_cmpuint (closed->link_id, ==, LEAF_X);
      g_assert_cmpuint (closed->code, ==, BYE_LEAF_RELAYED);
      g_assert_nonnull (strstr (closed->reason, "relayed"));
    }
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, 0);
  g_assert_cmpuint (stats (fixture).queries_in, ==, 0);
  g_assert_false (shoal_router_link_has_table (fixture->router, LEAF_X));

  /* Relayed messages from an ultrapeer are what ultrapeers send. */
  g_clear_pointer (&query, g_bytes_unref);
  query = deliver_query (fixture, PEER_A, &guid, 3, 1, MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->closed->len, ==, 4);
  g_assert_cmpuint (fixture->queries->len, ==, 1);
}

static void
test_leaf_qrp_routing (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(ShoalQrpTable) table = library_table (leaf_files);
  g_autoptr(GPtrArray) qrp = qrp_messages (table);
  ShoalGuid early = new_guid ();
  ShoalGuid last_hop = new_guid ();
  ShoalGuid unrelated = new_guid ();
  ShoalGuid far = new_guid ();
  g_autoptr(GBytes) payload = NULL;

  make_ultrapeer (fixture, PEER_B);
  add_leaf (fixture, LEAF_X);
  add_leaf (fixture, LEAF_Y);
  /* Leaves are not sent our tables; they send theirs. */
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  /* Only the RESET so far: no table yet, no queries. */
  deliver (fixture, LEAF_X, g_ptr_array_index (qrp, 0));
  g_assert_false (shoal_router_link_has_table (fixture->router, LEAF_X));
  payload = deliver_query (fixture, PEER_A, &early, 1, 1, MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  for (guint i = 1; i < qrp->len; i++)
    deliver (fixture, LEAF_X, g_ptr_array_index (qrp, i));
  g_assert_true (shoal_router_link_has_table (fixture->router, LEAF_X));
  g_assert_false (shoal_router_link_has_table (fixture->router, LEAF_Y));
  g_assert_cmpuint (stats (fixture).qrp_updates, ==, qrp->len);
  g_assert_cmpuint (link_stats (fixture, LEAF_X).qrp_updates, ==, qrp->len);
  g_assert_cmpuint (fixture->closed->len, ==, 0);

  /* TTL 1 from a peer: no ultrapeer gets it, the matching leaf does. */
  g_clear_pointer (&payload, g_bytes_unref);
  payload = deliver_query (fixture, PEER_A, &last_hop, 1, 2, MATCHING_TEXT, FLAGS);
  assert_relayed (fixture, LEAF_X, SHOAL_MESSAGE_QUERY, &last_hop, 1, 3, payload);
  g_assert_cmpuint (fixture->sent->len, ==, 1);

  clear_sent (fixture);
  g_clear_pointer (&payload, g_bytes_unref);
  payload = deliver_query (fixture, PEER_A, &unrelated, 3, 0, UNRELATED_TEXT, FLAGS);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &unrelated, 2, 1, payload);
  g_assert_cmpuint (fixture->sent->len, ==, 1);

  /* With TTL to spare: the peers and the leaf, which always gets TTL 1. */
  clear_sent (fixture);
  g_clear_pointer (&payload, g_bytes_unref);
  payload = deliver_query (fixture, PEER_A, &far, 3, 0, MATCHING_TEXT, FLAGS);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &far, 2, 1, payload);
  assert_relayed (fixture, LEAF_X, SHOAL_MESSAGE_QUERY, &far, 1, 1, payload);
  g_assert_cmpuint (count_sent (fixture, LEAF_Y), ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, 4);
}

/* A PATCH payload whose data is not zlib. */
static GBytes *
broken_patch_payload (void)
{
  static const guint8 garbage[] = "not a zlib stream";
  ShoalQrpPatch patch = { .seq_number = 1, .seq_size = 1,
                          .compressor = SHOAL_QRP_COMPRESSOR_ZLIB,
                          .entry_bits = QRP_ENTRY_BITS, .data = garbage,
                          .data_length = sizeof garbage };
  g_autoptr(GByteArray) out = g_byte_array_new ();

  shoal_qrp_patch_write (&patch, out);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
test_leaf_bad_qrp (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ShoalQrpTable) table = library_table (leaf_files);
  g_autoptr(GPtrArray) qrp = qrp_messages (table);
  g_autoptr(GBytes) broken = broken_patch_payload ();
  ShoalGuid guid = new_guid ();
  Closed *closed;

  make_ultrapeer (fixture, PEER_A);
  add_leaf (fixture, LEAF_X);
  add_leaf (fixture, LEAF_Y);

  deliver (fixture, LEAF_X, g_ptr_array_index (qrp, 0));
  deliver_payload (fixture, LEAF_X, &guid, SHOAL_MESSAGE_QRP, 1, 0, broken);
  g_assert_cmpuint (fixture->closed->len, ==, 1);
  closed = g_ptr_array_index (fixture->closed, 0);
  g_assert_cmpuint (closed->link_id, ==, LEAF_X);
  g_assert_cmpuint (closed->code, ==, BYE_BAD_QRP);
  g_assert_false (shoal_router_link_has_table (fixture->router, LEAF_X));

  /* A PATCH before any RESET. */
  deliver (fixture, LEAF_Y, g_ptr_array_index (qrp, 1));
  g_assert_cmpuint (fixture->closed->len, ==, 2);
  closed = g_ptr_array_index (fixture->closed, 1);
  g_assert_cmpuint (closed->link_id, ==, LEAF_Y);
  g_assert_cmpuint (closed->code, ==, BYE_BAD_QRP);
  g_assert_false (shoal_router_link_has_table (fixture->router, LEAF_Y));
}

static void
test_last_hop_qrp (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ShoalQrpTable) table = library_table (leaf_files);
  g_autoptr(GPtrArray) qrp = qrp_messages (table);
  ShoalGuid matching = new_guid ();
  ShoalGuid unrelated = new_guid ();
  ShoalGuid not_last = new_guid ();
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;

  shoal_router_set_ultrapeer (fixture->router, TRUE);
  add_peer (fixture, PEER_A, FALSE);
  add_peer (fixture, PEER_B, TRUE);    /* will send its table */
  add_peer (fixture, PEER_C, FALSE);   /* plain: takes everything */
  add_peer (fixture, PEER_D, TRUE);    /* no table yet: takes everything */
  /* Last-hop peers get our own (merged) table at once. */
  g_assert_cmpuint (count_sent_of_type (fixture, PEER_B, SHOAL_MESSAGE_QRP), >=, 2);
  g_assert_cmpuint (count_sent_of_type (fixture, PEER_B, SHOAL_MESSAGE_QRP), ==,
                    count_sent (fixture, PEER_B));
  g_assert_cmpuint (count_sent_of_type (fixture, PEER_D, SHOAL_MESSAGE_QRP), >=, 2);
  g_assert_cmpuint (count_sent (fixture, PEER_A) + count_sent (fixture, PEER_C), ==, 0);
  clear_sent (fixture);

  deliver_all (fixture, PEER_B, qrp);
  g_assert_true (shoal_router_link_has_table (fixture->router, PEER_B));
  /* A plain peer's QRP is not taken. */
  deliver_all (fixture, PEER_C, qrp);
  g_assert_false (shoal_router_link_has_table (fixture->router, PEER_C));
  g_assert_cmpuint (link_stats (fixture, PEER_C).dropped, ==, qrp->len);
  g_assert_cmpuint (link_stats (fixture, PEER_C).dropped_other, ==, qrp->len);
  g_assert_cmpuint (fixture->closed->len, ==, 0);

  first = deliver_query (fixture, PEER_A, &matching, 2, 0, MATCHING_TEXT, FLAGS);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &matching, 1, 1, first);
  assert_relayed (fixture, PEER_C, SHOAL_MESSAGE_QUERY, &matching, 1, 1, first);
  assert_relayed (fixture, PEER_D, SHOAL_MESSAGE_QUERY, &matching, 1, 1, first);

  clear_sent (fixture);
  second = deliver_query (fixture, PEER_A, &unrelated, 2, 0, UNRELATED_TEXT, FLAGS);
  g_assert_cmpuint (count_sent (fixture, PEER_B), ==, 0);
  assert_relayed (fixture, PEER_C, SHOAL_MESSAGE_QUERY, &unrelated, 1, 1, second);
  assert_relayed (fixture, PEER_D, SHOAL_MESSAGE_QUERY, &unrelated, 1, 1, second);

  /* Not its last hop: the table does not matter. */
  clear_sent (fixture);
  third = deliver_query (fixture, PEER_A, &not_last, 3, 0, UNRELATED_TEXT, FLAGS);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &not_last, 2, 1, third);
}

/* Hits and pushes ------------------------------------------------------------------- */

static void
test_hit_routed_back (Fixture       *fixture,
                      gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  ShoalGuid unknown = new_guid ();
  ShoalGuid servent = new_guid ();
  g_autoptr(GBytes) query = NULL;
  g_autoptr(GBytes) hit = NULL;
  g_autoptr(GBytes) lost = NULL;

  make_ultrapeer (fixture, PEER_C);
  query = deliver_query (fixture, PEER_A, &guid, 3, 0, MATCHING_TEXT, FLAGS);
  clear_sent (fixture);

  hit = deliver_hit (fixture, PEER_B, &guid, &servent, 3, 6, 2);
  assert_relayed (fixture, PEER_A, SHOAL_MESSAGE_QUERY_HIT, &guid, 5, 3, hit);
  g_assert_cmpuint (fixture->sent->len, ==, 1);
  g_assert_cmpuint (stats (fixture).hits_in, ==, 1);
  g_assert_cmpuint (stats (fixture).hits_out, ==, 1);
  g_assert_cmpuint (link_stats (fixture, PEER_A).hits_out, ==, 1);
  g_assert_cmpuint (link_stats (fixture, PEER_B).hits_in, ==, 1);
  /* Not ours: no ::query-hit. */
  g_assert_cmpuint (fixture->hits->len, ==, 0);

  clear_sent (fixture);
  lost = deliver_hit (fixture, PEER_C, &unknown, &servent, 1, 6, 2);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (stats (fixture).dropped, ==, 1);
  g_assert_cmpuint (link_stats (fixture, PEER_C).dropped, ==, 1);
  g_assert_cmpuint (stats (fixture).dropped_hits, ==, 1);
  g_assert_cmpuint (fixture->hits->len, ==, 0);
}

static void
test_send_our_hits (Fixture       *fixture,
                    gconstpointer  data)
{
  ShoalHitSelf self = { .servent_guid = fixture->servent_guid,
                        .endpoint = { REMOTE_ADDRESS, REMOTE_PORT },
                        .speed_kbps = REMOTE_SPEED };
  ShoalHitFile files[SHOAL_HIT_BUILDER_MAX_RECORDS + 2] = { 0 };
  ShoalGuid guid = new_guid ();
  ShoalGuid unknown = new_guid ();
  g_autoptr(GBytes) query = NULL;
  g_autoptr(GPtrArray) hits = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      files[i].index = i;
      files[i].size = 4096;
      files[i].name = "obsidian_tortoise_almanac.txt";
    }
  make_ultrapeer (fixture, PEER_B);
  query = deliver_query (fixture, PEER_A, &guid, 3, 1, MATCHING_TEXT, FLAGS);
  clear_sent (fixture);

  hits = shoal_hit_builder_build (&self, &guid, 1, files, G_N_ELEMENTS (files),
                                  SHOAL_QUERY_HIT_SHA1_URN);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_true (shoal_router_send_hits (fixture->router, &guid, hits));
  g_assert_cmpuint (fixture->sent->len, ==, hits->len);
  for (guint i = 0; i < hits->len; i++)
    {
      const Sent *sent = g_ptr_array_index (fixture->sent, i);

      g_assert_cmpuint (sent->link_id, ==, PEER_A);
      g_assert_cmpint (sent->priority, ==, SHOAL_ROUTER_PRIORITY_REPLY);
      g_assert_true (g_bytes_equal (sent->bytes, g_ptr_array_index (hits, i)));
    }
  g_assert_cmpuint (stats (fixture).hits_out, ==, hits->len);

  clear_sent (fixture);
  g_assert_false (shoal_router_send_hits (fixture->router, &unknown, hits));
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

/* Our own push goes back along the route of the servent's hit. */
static void
test_send_push (Fixture       *fixture,
                gconstpointer  data)
{
  ShoalGuid query = new_guid ();
  ShoalGuid servent = new_guid ();
  ShoalGuid stranger = new_guid ();
  ShoalIpv4Endpoint us = { REMOTE_ADDRESS, REMOTE_PORT };
  g_autoptr(ShoalPush) push = shoal_push_new (&servent, PUSH_FILE_INDEX, &us);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) query_sent = NULL;
  const Sent *sent;

  make_ultrapeer (fixture, PEER_C);
  query_sent = deliver_query (fixture, PEER_A, &query, 3, 0, MATCHING_TEXT, FLAGS);
  g_bytes_unref (deliver_hit (fixture, PEER_B, &query, &servent, 1, 6, 1));
  g_assert_true (shoal_push_write (push, payload, NULL));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  clear_sent (fixture);

  g_assert_false (shoal_router_send_push (fixture->router, &stranger, bytes));
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_true (shoal_router_send_push (fixture->router, &servent, bytes));
  g_assert_cmpuint (fixture->sent->len, ==, 1);
  sent = g_ptr_array_index (fixture->sent, 0);
  g_assert_cmpuint (sent->link_id, ==, PEER_B);
  g_assert_cmpuint (sent->message->header.type, ==, SHOAL_MESSAGE_PUSH);
  g_assert_cmpuint (sent->message->header.ttl, ==, SHOAL_ROUTER_PUSH_TTL);
  g_assert_cmpuint (sent->message->header.hops, ==, 0);
  g_assert_true (shoal_guid_equal (&sent->message->push->servent_guid, &servent));
  g_assert_cmpuint (sent->message->push->file_index, ==, PUSH_FILE_INDEX);
}

static void
test_push_routing (Fixture       *fixture,
                   gconstpointer  data)
{
  ShoalGuid query = new_guid ();
  ShoalGuid servent = new_guid ();
  ShoalGuid stranger = new_guid ();
  ShoalGuid to_servent = new_guid ();
  ShoalGuid to_us = new_guid ();
  ShoalGuid to_stranger = new_guid ();
  ShoalGuid backwards = new_guid ();
  g_autoptr(GBytes) query_payload_sent = NULL;
  g_autoptr(GBytes) hit = NULL;
  g_autoptr(GBytes) push = NULL;
  g_autoptr(GBytes) ours = NULL;
  g_autoptr(GBytes) ours_again = NULL;
  g_autoptr(GBytes) lost = NULL;
  g_autoptr(GBytes) back = NULL;
  Seen *seen;

  make_ultrapeer (fixture, PEER_C);
  query_payload_sent = deliver_query (fixture, PEER_A, &query, 3, 0, MATCHING_TEXT, FLAGS);
  hit = deliver_hit (fixture, PEER_B, &query, &servent, 1, 6, 1);
  clear_sent (fixture);

  push = deliver_push (fixture, PEER_A, &to_servent, &servent, 3, 1);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_PUSH, &to_servent, 2, 2, push);
  g_assert_cmpuint (fixture->sent->len, ==, 1);
  g_assert_cmpuint (stats (fixture).pushes_out, ==, 1);

  clear_sent (fixture);
  ours = deliver_push (fixture, PEER_A, &to_us, &fixture->servent_guid, 3, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (fixture->pushes->len, ==, 1);
  seen = &g_array_index (fixture->pushes, Seen, 0);
  g_assert_cmpuint (seen->link_id, ==, PEER_A);
  g_assert_true (shoal_guid_equal (&seen->header.guid, &to_us));
  ours_again = deliver_push (fixture, PEER_C, &to_us, &fixture->servent_guid, 3, 1);
  g_assert_cmpuint (fixture->pushes->len, ==, 1);
  g_assert_cmpuint (stats (fixture).duplicates, ==, 1);

  lost = deliver_push (fixture, PEER_A, &to_stranger, &stranger, 3, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (stats (fixture).dropped, ==, 1);

  /* Never back the way it came. */
  back = deliver_push (fixture, PEER_B, &backwards, &servent, 3, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (stats (fixture).dropped, ==, 2);
  g_assert_cmpuint (stats (fixture).dropped_pushes, ==, 2);
}

/* Our own queries ------------------------------------------------------------------- */

static void
test_own_query_as_leaf (Fixture       *fixture,
                        gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  ShoalGuid servent = new_guid ();
  g_autoptr(GBytes) payload = query_payload (MATCHING_TEXT, FLAGS);
  g_autoptr(GBytes) echo = NULL;
  g_autoptr(GBytes) hit = NULL;
  Seen *seen;

  add_peer (fixture, PEER_A, FALSE);
  add_peer (fixture, PEER_B, FALSE);
  add_leaf (fixture, LEAF_X);
  shoal_router_start_query (fixture->router, &guid, payload, SHOAL_DQ_OWN_RESULTS);
  assert_relayed (fixture, PEER_A, SHOAL_MESSAGE_QUERY, &guid, SHOAL_ROUTER_LEAF_QUERY_TTL, 0,
                  payload);
  assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &guid, SHOAL_ROUTER_LEAF_QUERY_TTL, 0,
                  payload);
  g_assert_cmpuint (count_sent (fixture, LEAF_X), ==, 0);
  g_assert_cmpuint (stats (fixture).queries_out, ==, 2);

  /* An ultrapeer sends it back to us: never answer our own query. */
  clear_sent (fixture);
  echo = deliver_query (fixture, PEER_A, &guid, SHOAL_ROUTER_LEAF_QUERY_TTL - 1, 1,
                        MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->queries->len, ==, 0);
  g_assert_cmpuint (stats (fixture).duplicates, ==, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  hit = deliver_hit (fixture, PEER_B, &guid, &servent, 2, 6, 1);
  g_assert_cmpuint (fixture->hits->len, ==, 1);
  seen = &g_array_index (fixture->hits, Seen, 0);
  g_assert_cmpuint (seen->link_id, ==, PEER_B);
  g_assert_true (shoal_guid_equal (&seen->header.guid, &guid));
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

/* Feeds what was sent to @link_id to @receiver; every message must be
 * QRP of the @expected variants. Returns how many there were. */
static guint
receive_qrp (Fixture          *fixture,
             guint64           link_id,
             ShoalQrpReceiver *receiver,
             gboolean          reset_expected)
{
  gboolean complete = FALSE;
  guint count = 0;

  for (guint i = 0; i < fixture->sent->len; i++)
    {
      const Sent *sent = g_ptr_array_index (fixture->sent, i);
      const ShoalQrpMessage *qrp = sent->message->qrp;
      g_autoptr(GError) error = NULL;
      gsize length;
      const guint8 *data = g_bytes_get_data (sent->message->payload, &length);

      if (sent->link_id != link_id)
        continue;
      g_assert_nonnull (qrp);
      g_assert_cmpint (sent->priority, ==, SHOAL_ROUTER_PRIORITY_CONTROL);
      g_assert_cmpuint (sent->message->header.ttl, ==, 1);
      g_assert_cmpuint (sent->message->header.hops, ==, 0);
      if (count == 0 && reset_expected)
        g_assert_cmpuint (qrp->variant, ==, SHOAL_QRP_VARIANT_RESET);
      else
        {
          g_assert_cmpuint (qrp->variant, ==, SHOAL_QRP_VARIANT_PATCH);
          g_assert_cmpuint (qrp->patch.entry_bits, ==, QRP_ENTRY_BITS);
          g_assert_cmpuint (qrp->patch.compressor, ==, SHOAL_QRP_COMPRESSOR_ZLIB);
          g_assert_cmpuint (qrp->patch.data_length, <=, SHOAL_QRP_GTKG_PATCH_CHUNK);
        }
      g_assert_true (shoal_qrp_receiver_feed (receiver, data, length, &complete, &error));
      g_assert_no_error (error);
      count++;
    }
  g_assert_true (complete);
  return count;
}

static void
test_leaf_sends_local_table (Fixture       *fixture,
                             gconstpointer  data)
{
  static const char *const more_files[] = {
    "marmalade_harpsichord_sonata.txt",
    "obsidian_tortoise_almanac.txt",
    "zebrafish_quantum_lattice.txt",
    "xylophone_nebula_5MB.bin",
    "giraffe_pelican_sketches.pdf",
    NULL,
  };
  g_autoptr(ShoalQrpTable) first = library_table (leaf_files);
  g_autoptr(ShoalQrpTable) second = library_table (more_files);
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  guint messages;

  shoal_router_set_local_table (fixture->router, first);
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  add_peer (fixture, PEER_A, FALSE);
  messages = receive_qrp (fixture, PEER_A, receiver, TRUE);
  g_assert_cmpuint (messages, >=, 2);
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (receiver), first));

  /* Our leaves (should we have any) are not told. */
  clear_sent (fixture);
  add_leaf (fixture, LEAF_X);
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  shoal_router_set_local_table (fixture->router, second);
  g_assert_cmpuint (count_sent (fixture, LEAF_X), ==, 0);
  receive_qrp (fixture, PEER_A, receiver, FALSE);
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (receiver), second));

  /* Nothing changed: nothing to send. */
  clear_sent (fixture);
  shoal_router_set_local_table (fixture->router, second);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

/* Dynamic querying --------------------------------------------------------------- */

typedef struct
{
  Fixture         *fixture;
  const ShoalGuid *guid;
  guint            copies;
} QueryCopies;

static gboolean
query_copies_sent (gpointer data)
{
  QueryCopies *wait = data;
  guint copies = 0;

  for (guint i = 0; i < wait->fixture->sent->len; i++)
    {
      const Sent *sent = g_ptr_array_index (wait->fixture->sent, i);

      copies += sent->message->query != NULL &&
                shoal_guid_equal (&sent->message->header.guid, wait->guid);
    }
  return copies >= wait->copies;
}

/* Waits (on the main loop) until the probe of @guid went out, and
 * checks it: SHOAL_DQ_PROBE_ULTRAPEERS of the four peers, all but
 * @left_out (the busiest, or the last when all are alike). */
static void
assert_probe (Fixture         *fixture,
              const ShoalGuid *guid,
              guint64          left_out,
              guint8           hops,
              GBytes          *payload)
{
  QueryCopies wait = { fixture, guid, SHOAL_DQ_PROBE_ULTRAPEERS };

  shoal_test_wait_until (query_copies_sent, &wait, WAIT_MS, "the probe");
  for (guint64 peer = PEER_A; peer <= PEER_D; peer++)
    {
      if (peer == left_out)
        g_assert_cmpuint (count_sent (fixture, peer), ==, 0);
      else
        assert_relayed (fixture, peer, SHOAL_MESSAGE_QUERY, guid, SHOAL_DQ_PROBE_TTL, hops,
                        payload);
    }
}

typedef struct
{
  Fixture    *fixture;
  const char *needle;
} LogWait;

static gboolean
route_log_says (gpointer data)
{
  LogWait *wait = data;

  for (guint i = 0; i < wait->fixture->route_log->len; i++)
    {
      if (strstr (g_ptr_array_index (wait->fixture->route_log, i), wait->needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_dynamic_leaf_query (Fixture       *fixture,
                         gconstpointer  data)
{
  static const guint64 answering[] = { PEER_B, PEER_C, PEER_D, PEER_B, PEER_C };
  ShoalGuid guid = new_guid ();
  ShoalGuid servent = new_guid ();
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *over = g_strdup_printf ("dynamic query of a leaf over (state %d, %u results",
                                           SHOAL_DQ_ENOUGH_RESULTS, SHOAL_DQ_LEAF_RESULTS);
  LogWait log_wait = { fixture, over };
  guint handler;

  G_STATIC_ASSERT (G_N_ELEMENTS (answering) * SHOAL_HIT_BUILDER_MAX_RECORDS ==
                   SHOAL_DQ_LEAF_RESULTS);
  handler = g_log_set_handler ("Shoal-route", G_LOG_LEVEL_DEBUG, on_route_log, fixture);
  make_ultrapeer (fixture, PEER_D);
  add_leaf (fixture, LEAF_X);
  fixture->queued[PEER_A] = BUSY_QUEUE_BYTES;

  payload = deliver_query (fixture, LEAF_X, &guid, SHOAL_ROUTER_LEAF_QUERY_TTL, 0,
                           MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->queries->len, ==, 1);
  g_assert_cmpuint (g_array_index (fixture->queries, Seen, 0).link_id, ==, LEAF_X);
  assert_probe (fixture, &guid, PEER_A, 1, payload);
  g_assert_cmpuint (count_sent (fixture, LEAF_X), ==, 0);

  /* The answers go to the leaf and count for its query. */
  clear_sent (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (answering); i++)
    {
      g_bytes_unref (deliver_hit (fixture, answering[i], &guid, &servent,
                                  SHOAL_HIT_BUILDER_MAX_RECORDS, 6, 1));
      g_assert_cmpuint (count_sent (fixture, LEAF_X), ==, i + 1);
    }
  g_assert_false (route_log_says (&log_wait));
  shoal_test_wait_until (route_log_says, &log_wait, WAIT_MS, "the leaf's query to end");
  g_assert_cmpuint (count_sent (fixture, PEER_A), ==, 0);
  g_log_remove_handler ("Shoal-route", handler);
}

/* The leaf says it has enough (BEAR/12, 0xFFFF): its query ends without
 * waiting for results. */
static void
test_leaf_says_enough (Fixture       *fixture,
                       gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GByteArray) status = g_byte_array_new ();
  g_autoptr(GBytes) status_bytes = NULL;
  g_autofree char *over = g_strdup_printf ("dynamic query of a leaf over (state %d",
                                           SHOAL_DQ_STOPPED);
  LogWait log_wait = { fixture, over };
  guint handler;

  handler = g_log_set_handler ("Shoal-route", G_LOG_LEVEL_DEBUG, on_route_log, fixture);
  make_ultrapeer (fixture, PEER_D);
  add_leaf (fixture, LEAF_X);
  add_leaf (fixture, LEAF_Y);
  payload = deliver_query (fixture, LEAF_X, &guid, SHOAL_ROUTER_LEAF_QUERY_TTL, 0,
                           MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (count_sent_of_type (fixture, PEER_A, SHOAL_MESSAGE_QUERY) +
                    count_sent_of_type (fixture, PEER_B, SHOAL_MESSAGE_QUERY), >, 0);

  shoal_vendor_query_status_response_write (SHOAL_VENDOR_QUERY_STATUS_STOP, status);
  status_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&status));
  deliver_payload (fixture, LEAF_X, &guid, SHOAL_MESSAGE_VENDOR, 1, 0, status_bytes);
  shoal_test_wait_until (route_log_says, &log_wait, WAIT_MS, "the leaf's query to stop");
  /* Another leaf cannot stop it: only the one that asked. */
  g_assert_cmpuint (stats (fixture).dropped, ==, 0);
  deliver_payload (fixture, LEAF_Y, &guid, SHOAL_MESSAGE_VENDOR, 1, 0, status_bytes);
  g_assert_cmpuint (stats (fixture).dropped, ==, 1);
  g_log_remove_handler ("Shoal-route", handler);
}

/* As a leaf, stopping our query tells our ultrapeers we have enough. */
static void
test_leaf_stops_own_query (Fixture       *fixture,
                           gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  g_autoptr(GBytes) payload = query_payload (MATCHING_TEXT, FLAGS);
  guint16 hits = 0;

  add_peer (fixture, PEER_A, FALSE);
  add_peer (fixture, PEER_B, FALSE);
  shoal_router_start_query (fixture->router, &guid, payload, SHOAL_DQ_OWN_RESULTS);
  clear_sent (fixture);
  shoal_router_stop_query (fixture->router, &guid);
  g_assert_cmpuint (count_sent_of_type (fixture, PEER_A, SHOAL_MESSAGE_VENDOR), ==, 1);
  g_assert_cmpuint (count_sent_of_type (fixture, PEER_B, SHOAL_MESSAGE_VENDOR), ==, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 2);
  for (guint i = 0; i < fixture->sent->len; i++)
    {
      Sent *sent = g_ptr_array_index (fixture->sent, i);

      g_assert_true (shoal_guid_equal (&sent->message->header.guid, &guid));
      g_assert_true (shoal_vendor_query_status_response_parse (sent->message->vendor, &hits, NULL));
      g_assert_cmpuint (hits, ==, SHOAL_VENDOR_QUERY_STATUS_STOP);
    }
}

static gboolean
query_finished (gpointer data)
{
  Fixture *fixture = data;

  for (guint i = 0; i < fixture->progress->len; i++)
    {
      if (g_array_index (fixture->progress, Progress, i).finished)
        return TRUE;
    }
  return FALSE;
}

static void
test_dynamic_own_query (Fixture       *fixture,
                        gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  ShoalGuid servent = new_guid ();
  g_autoptr(GBytes) payload = query_payload (MATCHING_TEXT, FLAGS);
  g_autoptr(GBytes) hit = NULL;
  Progress *progress;

  make_ultrapeer (fixture, PEER_D);
  add_leaf (fixture, LEAF_X);
  give_leaf_files_table (fixture, LEAF_X);
  fixture->queued[PEER_B] = BUSY_QUEUE_BYTES;

  shoal_router_start_query (fixture->router, &guid, payload, OWN_WANTED_RESULTS);
  /* Our matching leaf at once, TTL 1 from us (hops 0). */
  assert_relayed (fixture, LEAF_X, SHOAL_MESSAGE_QUERY, &guid, 1, 0, payload);
  assert_probe (fixture, &guid, PEER_B, 0, payload);
  g_assert_cmpuint (fixture->progress->len, >=, 1);
  progress = &g_array_index (fixture->progress, Progress, 0);
  g_assert_true (shoal_guid_equal (&progress->guid, &guid));
  g_assert_cmpuint (progress->ultrapeers, ==, SHOAL_DQ_PROBE_ULTRAPEERS);
  g_assert_false (query_finished (fixture));

  hit = deliver_hit (fixture, PEER_C, &guid, &servent, OWN_WANTED_RESULTS, 6, 1);
  g_assert_cmpuint (fixture->hits->len, ==, 1);
  shoal_test_wait_until (query_finished, fixture, WAIT_MS, "our query to have enough");
  g_assert_cmpuint (count_sent (fixture, PEER_B), ==, 0);
}

static void
test_dynamic_own_query_stopped (Fixture       *fixture,
                                gconstpointer  data)
{
  ShoalGuid guid = new_guid ();
  g_autoptr(GBytes) payload = query_payload (MATCHING_TEXT, FLAGS);

  make_ultrapeer (fixture, PEER_D);
  shoal_router_start_query (fixture->router, &guid, payload, SHOAL_DQ_OWN_RESULTS);
  assert_probe (fixture, &guid, PEER_D, 0, payload);
  g_assert_false (query_finished (fixture));

  /* Peers alike: the probe goes by link id. The user stops the query
   * long before its next step was due. */
  shoal_router_stop_query (fixture->router, &guid);
  shoal_test_wait_until (query_finished, fixture, WAIT_MS, "our stopped query to end");
  g_assert_cmpuint (count_sent (fixture, PEER_D), ==, 0);
}

/* Links going away ------------------------------------------------------------------ */

static void
test_remove_link (Fixture       *fixture,
                  gconstpointer  data)
{
  ShoalGuid from_a = new_guid ();
  ShoalGuid from_leaf = new_guid ();
  ShoalGuid servent = new_guid ();
  ShoalGuid push_guid = new_guid ();
  ShoalGuid late = new_guid ();
  g_autoptr(GBytes) query = NULL;
  g_autoptr(GBytes) leaf_query = NULL;
  g_autoptr(GBytes) hit = NULL;
  g_autoptr(GBytes) late_hit = NULL;
  g_autoptr(GBytes) leaf_hit = NULL;
  g_autoptr(GBytes) push = NULL;
  g_autoptr(GBytes) ignored = NULL;
  ShoalRouterStats unused;

  make_ultrapeer (fixture, PEER_C);
  add_leaf (fixture, LEAF_X);
  query = deliver_query (fixture, PEER_A, &from_a, 3, 0, MATCHING_TEXT, FLAGS);
  leaf_query = deliver_query (fixture, LEAF_X, &from_leaf, SHOAL_ROUTER_LEAF_QUERY_TTL, 0,
                              MATCHING_TEXT, FLAGS);
  hit = deliver_hit (fixture, PEER_B, &from_a, &servent, 1, 6, 1);

  shoal_router_remove_link (fixture->router, PEER_A);
  shoal_router_remove_link (fixture->router, LEAF_X);
  g_assert_false (shoal_router_get_link_stats (fixture->router, PEER_A, &unused));
  clear_sent (fixture);

  late_hit = deliver_hit (fixture, PEER_C, &from_a, &servent, 1, 6, 1);
  leaf_hit = deliver_hit (fixture, PEER_C, &from_leaf, &servent, 1, 6, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (stats (fixture).dropped, ==, 2);

  /* The servent's route through B goes with B. */
  shoal_router_remove_link (fixture->router, PEER_B);
  push = deliver_push (fixture, PEER_C, &push_guid, &servent, 3, 1);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (stats (fixture).dropped, ==, 3);

  /* A closed link's messages are not taken. */
  ignored = deliver_query (fixture, PEER_A, &late, 3, 0, MATCHING_TEXT, FLAGS);
  g_assert_cmpuint (fixture->queries->len, ==, 2);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

/* gtk-gnutella's captured traffic ------------------------------------------------------ */

static void
deliver_vector (Fixture    *fixture,
                guint64     link_id,
                const char *relative)
{
  g_autoptr(GBytes) bytes = shoal_test_load_vector (relative);

  deliver (fixture, link_id, bytes);
}

static void
test_captured_queries (Fixture       *fixture,
                       gconstpointer  data)
{
  static const char *const originated[] = {
    CAPTURED_OBSIDIAN_QUERY,
    "query_gtkg_originated_zebrafish_leaf_to_up_FWbit.bin",
  };

  make_ultrapeer (fixture, PEER_C);
  for (guint i = 0; i < G_N_ELEMENTS (originated); i++)
    {
      ShoalMessageHeader header;
      g_autoptr(GBytes) payload = shoal_test_load_payload (originated[i], SHOAL_MESSAGE_QUERY,
                                                           &header);
      Seen *seen;

      clear_sent (fixture);
      deliver_vector (fixture, PEER_A, originated[i]);
      g_assert_cmpuint (fixture->queries->len, ==, i + 1);
      seen = &g_array_index (fixture->queries, Seen, i);
      g_assert_cmpuint (seen->link_id, ==, PEER_A);
      g_assert_true (shoal_guid_equal (&seen->header.guid, &header.guid));
      assert_relayed (fixture, PEER_B, SHOAL_MESSAGE_QUERY, &header.guid, header.ttl - 1,
                      header.hops + 1, payload);
      assert_relayed (fixture, PEER_C, SHOAL_MESSAGE_QUERY, &header.guid, header.ttl - 1,
                      header.hops + 1, payload);
    }

  /* The same obsidian query as gtk-gnutella's ultrapeer passed it on. */
  clear_sent (fixture);
  deliver_vector (fixture, PEER_B, "query_gtkg_up_forwarded_obsidian_to_leaf.bin");
  g_assert_cmpuint (stats (fixture).duplicates, ==, 1);
  g_assert_cmpuint (fixture->queries->len, ==, G_N_ELEMENTS (originated));
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

static void
test_captured_leaf_table (Fixture       *fixture,
                          gconstpointer  data)
{
  ShoalMessageHeader header;
  g_autoptr(GBytes) obsidian = shoal_test_load_payload (CAPTURED_OBSIDIAN_QUERY,
                                                        SHOAL_MESSAGE_QUERY, &header);
  ShoalGuid marmalade = new_guid ();
  ShoalGuid unrelated = new_guid ();
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;

  make_ultrapeer (fixture, PEER_A);
  add_leaf (fixture, LEAF_X);
  deliver_vector (fixture, LEAF_X, "qrp_reset_gtkg_leaf.bin");
  deliver_vector (fixture, LEAF_X, "qrp_patch_gtkg_leaf.bin");
  g_assert_true (shoal_router_link_has_table (fixture->router, LEAF_X));
  g_assert_cmpuint (fixture->closed->len, ==, 0);

  /* Leaf C's search for one of leaf B's files reaches B. */
  deliver_payload (fixture, PEER_A, &header.guid, SHOAL_MESSAGE_QUERY, 1, 1, obsidian);
  assert_relayed (fixture, LEAF_X, SHOAL_MESSAGE_QUERY, &header.guid, 1, 2, obsidian);

  clear_sent (fixture);
  second = deliver_query (fixture, PEER_A, &marmalade, 1, 1, "marmalade harpsichord", FLAGS);
  assert_relayed (fixture, LEAF_X, SHOAL_MESSAGE_QUERY, &marmalade, 1, 2, second);

  clear_sent (fixture);
  third = deliver_query (fixture, PEER_A, &unrelated, 1, 1, UNRELATED_TEXT, FLAGS);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  g_assert_cmpuint (fixture->queries->len, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, function) \
  g_test_add ("/router/" path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)
  ADD ("flood", test_flood);
  ADD ("ttl-bounds", test_ttl_bounds);
  ADD ("ttl-trimmed", test_ttl_trimmed);
  ADD ("firewalled", test_firewalled);
  ADD ("leaf-relayed-closes", test_leaf_relayed_closes);
  ADD ("leaf-qrp-routing", test_leaf_qrp_routing);
  ADD ("leaf-bad-qrp", test_leaf_bad_qrp);
  ADD ("last-hop-qrp", test_last_hop_qrp);
  ADD ("hit-routed-back", test_hit_routed_back);
  ADD ("send-our-hits", test_send_our_hits);
  ADD ("push-routing", test_push_routing);
  ADD ("send-push", test_send_push);
  ADD ("own-query-as-leaf", test_own_query_as_leaf);
  ADD ("leaf-sends-local-table", test_leaf_sends_local_table);
  ADD ("dynamic-leaf-query", test_dynamic_leaf_query);
  ADD ("leaf-says-enough", test_leaf_says_enough);
  ADD ("leaf-stops-own-query", test_leaf_stops_own_query);
  ADD ("dynamic-own-query", test_dynamic_own_query);
  ADD ("dynamic-own-query-stopped", test_dynamic_own_query_stopped);
  ADD ("remove-link", test_remove_link);
  ADD ("captured-queries", test_captured_queries);
  ADD ("captured-leaf-table", test_captured_leaf_table);
#undef ADD
  return g_test_run ();
}
