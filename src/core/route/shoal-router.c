/* shoal-router.c — routing queries, hits, pushes and QRP tables between
 * link ids. */
#include "shoal-router.h"

#include "shoal-bytes.h"
#include "shoal-dynamic-query.h"
#include "shoal-qrp-match.h"
#include "shoal-route-table.h"

#include <string.h>

/* How our QRP patches are built: gtk-gnutella's 4-bit, zlib, 512 bytes. */
#define QRP_PATCH_ENTRY_BITS 4
/* The size of the merged table an ultrapeer sends its peers. */
#define MERGED_TABLE_SLOTS 65536

typedef struct
{
  guint64              id;
  ShoalRouterLinkInfo  info;
  ShoalQrpReceiver    *qrp;          /* what the peer told us: leaves, last-hop UPs */
  ShoalQrpTable       *sent_table;   /* what we last sent the peer */
  ShoalRouterStats     stats;
} RouterLink;

/* A query run dynamically: ours (origin SHOAL_ROUTE_LOCAL) or a leaf's. */
typedef struct
{
  ShoalGuid          guid;
  guint64            origin;
  GBytes            *payload;
  guint8             hops;         /* of the copies sent to ultrapeers */
  ShoalQrpQueryKeys *keys;
  ShoalDynamicQuery *dq;
  gint64             next_step_usec;
} RunningQuery;

struct _ShoalRouter
{
  GObject             parent_instance;

  ShoalGuid           servent_guid;
  ShoalRouterLinkOps  ops;
  gpointer            ops_data;
  gboolean            ultrapeer;
  gboolean            firewalled;
  guint               qrp_period_ms;

  ShoalRouteTable    *routes;
  GHashTable         *links;         /* id → RouterLink* */
  guint               leaf_links;    /* how many of them are our leaves */
  GHashTable         *queries;       /* ShoalGuid* → RunningQuery* */
  ShoalQrpTable      *local_table;
  ShoalRouterStats    stats;
  guint               dq_tick;
  guint               qrp_tick;
};

G_DEFINE_FINAL_TYPE (ShoalRouter, shoal_router, G_TYPE_OBJECT)

enum
{
  SIGNAL_QUERY,
  SIGNAL_QUERY_HIT,
  SIGNAL_PUSH,
  SIGNAL_QUERY_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Helpers ---------------------------------------------------------------- */

static void
router_link_free (gpointer pointer)
{
  RouterLink *link = pointer;

  g_clear_pointer (&link->qrp, shoal_qrp_receiver_free);
  g_clear_pointer (&link->sent_table, shoal_qrp_table_free);
  g_free (link);
}

static void
running_query_free (gpointer pointer)
{
  RunningQuery *query = pointer;

  g_bytes_unref (query->payload);
  g_clear_pointer (&query->keys, shoal_qrp_query_keys_free);
  g_clear_pointer (&query->dq, shoal_dynamic_query_free);
  g_free (query);
}

static gint64
now (void)
{
  return g_get_monotonic_time ();
}

/* A copy of a message with a new TTL and hops: the payload as received. */
static GBytes *
build_message (const ShoalGuid *guid,
               guint8           type,
               guint8           ttl,
               guint8           hops,
               GBytes          *payload)
{
  gsize length = g_bytes_get_size (payload);
  GByteArray *message = g_byte_array_sized_new ((guint) (SHOAL_MESSAGE_HEADER_SIZE + length));
  ShoalMessageHeader header = { .guid = *guid, .type = type, .ttl = ttl, .hops = hops };

  header.payload_length = (guint32) length;
  shoal_message_header_append (&header, message);
  g_byte_array_append (message, g_bytes_get_data (payload, NULL), (guint) length);
  return g_byte_array_free_to_bytes (message);
}

static void
send_to (ShoalRouter         *self,
         RouterLink          *link,
         GBytes              *message,
         ShoalRouterPriority  priority)
{
  self->ops.send (link->id, message, priority, self->ops_data);
}

static void
count_query_out (ShoalRouter *self,
                 RouterLink  *link)
{
  link->stats.queries_out++;
  self->stats.queries_out++;
}

static gboolean
leaf_table_matches (RouterLink              *link,
                    const ShoalQrpQueryKeys *keys)
{
  const ShoalQrpTable *table = link->qrp ? shoal_qrp_receiver_get_table (link->qrp) : NULL;

  /* A leaf without a table yet gets nothing (gtk-gnutella does the same). */
  return table != NULL && shoal_qrp_table_matches (table, keys);
}

/* Ultrapeer peers only take a last-hop query when their table matches;
 * peers without last-hop QRP, or that sent no table yet, take it all. */
static gboolean
peer_takes_last_hop (RouterLink              *link,
                     const ShoalQrpQueryKeys *keys)
{
  const ShoalQrpTable *table = link->qrp ? shoal_qrp_receiver_get_table (link->qrp) : NULL;

  if (!link->info.last_hop_qrp || table == NULL)
    return TRUE;
  return shoal_qrp_table_matches (table, keys);
}

/* Our leaves (but @except) whose table matches get the query, whatever
 * TTL it has left: leaf and ultrapeer act as one. */
static void
send_to_matching_leaves (ShoalRouter             *self,
                         const ShoalGuid         *guid,
                         GBytes                  *payload,
                         guint8                   hops,
                         const ShoalQrpQueryKeys *keys,
                         guint64                  except)
{
  g_autoptr(GBytes) copy = NULL;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterLink *link = value;

      if (!link->info.peer_is_leaf || link->id == except || !leaf_table_matches (link, keys))
        continue;
      if (copy == NULL)
        copy = build_message (guid, SHOAL_MESSAGE_QUERY, 1, hops, payload);
      send_to (self, link, copy, SHOAL_ROUTER_PRIORITY_QUERY);
      count_query_out (self, link);
    }
}

/* Floods to every ultrapeer peer but @except, minding last-hop QRP. */
static void
flood_to_ultrapeers (ShoalRouter             *self,
                     const ShoalGuid         *guid,
                     GBytes                  *payload,
                     guint8                   ttl,
                     guint8                   hops,
                     const ShoalQrpQueryKeys *keys,
                     guint64                  except)
{
  g_autoptr(GBytes) copy = NULL;
  GHashTableIter iter;
  gpointer value;

  if (ttl == 0)
    return;
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterLink *link = value;

      if (link->info.peer_is_leaf || link->id == except)
        continue;
      if (ttl == 1 && !peer_takes_last_hop (link, keys))
        continue;
      if (copy == NULL)
        copy = build_message (guid, SHOAL_MESSAGE_QUERY, ttl, hops, payload);
      send_to (self, link, copy, SHOAL_ROUTER_PRIORITY_QUERY);
      count_query_out (self, link);
    }
}

/* Dynamic querying ----------------------------------------------------------- */

static gboolean on_dq_tick (gpointer user_data);

static void
ensure_dq_tick (ShoalRouter *self)
{
  if (self->dq_tick == 0)
    self->dq_tick = g_timeout_add (SHOAL_ROUTER_DQ_TICK_MS, on_dq_tick, self);
}

static GArray *
dq_links (ShoalRouter  *self,
          RunningQuery *query)
{
  GArray *links = g_array_new (FALSE, TRUE, sizeof (ShoalDqLink));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterLink *link = value;
      const ShoalQrpTable *table = link->qrp ? shoal_qrp_receiver_get_table (link->qrp) : NULL;
      ShoalDqLink dq_link = { 0 };

      if (link->info.peer_is_leaf || link->id == query->origin)
        continue;
      dq_link.link_id = link->id;
      dq_link.degree = link->info.degree;
      dq_link.max_ttl = link->info.max_ttl;
      dq_link.has_qrp_table = table != NULL;
      dq_link.qrp_matches = table != NULL && shoal_qrp_table_matches (table, query->keys);
      if (self->ops.queued_bytes != NULL)
        dq_link.queued_bytes = self->ops.queued_bytes (link->id, self->ops_data);
      g_array_append_val (links, dq_link);
    }
  return links;
}

static void
report_progress (ShoalRouter  *self,
                 RunningQuery *query,
                 gboolean      finished)
{
  if (query->origin != SHOAL_ROUTE_LOCAL)
    return;
  g_signal_emit (self, signals[SIGNAL_QUERY_PROGRESS], 0, &query->guid,
                 shoal_dynamic_query_get_ultrapeers_queried (query->dq), finished);
}

/* Sends what the query's next step asks for; FALSE once it is over. */
static gboolean
step_query (ShoalRouter  *self,
            RunningQuery *query,
            gint64        now_usec)
{
  g_autoptr(GArray) links = NULL;
  g_autoptr(GArray) sends = NULL;

  /* Enough results or a stop end the query between steps: do not wait
   * for the step that was planned before. */
  if (shoal_dynamic_query_get_state (query->dq) != SHOAL_DQ_RUNNING)
    return FALSE;
  if (now_usec < query->next_step_usec)
    return TRUE;
  links = dq_links (self, query);
  sends = shoal_dynamic_query_step (query->dq, (const ShoalDqLink *) (gpointer) links->data,
                                    links->len, now_usec, &query->next_step_usec);
  for (guint i = 0; i < sends->len; i++)
    {
      ShoalDqSend *send = &g_array_index (sends, ShoalDqSend, i);
      RouterLink *link = g_hash_table_lookup (self->links, &send->link_id);
      g_autoptr(GBytes) copy = NULL;

      if (link == NULL)
        continue;
      copy = build_message (&query->guid, SHOAL_MESSAGE_QUERY, send->ttl, query->hops,
                            query->payload);
      send_to (self, link, copy, SHOAL_ROUTER_PRIORITY_QUERY);
      count_query_out (self, link);
    }
  if (sends->len > 0)
    report_progress (self, query, FALSE);
  return shoal_dynamic_query_get_state (query->dq) == SHOAL_DQ_RUNNING;
}

static gboolean
on_dq_tick (gpointer user_data)
{
  ShoalRouter *self = user_data;
  gint64 now_usec = now ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->queries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RunningQuery *query = value;

      if (!step_query (self, query, now_usec))
        {
          g_debug ("dynamic query %s over (state %d, %u results, %u ultrapeers)",
                   query->origin == SHOAL_ROUTE_LOCAL ? "of ours" : "of a leaf",
                   shoal_dynamic_query_get_state (query->dq),
                   shoal_dynamic_query_get_results (query->dq),
                   shoal_dynamic_query_get_ultrapeers_queried (query->dq));
          report_progress (self, query, TRUE);
          g_hash_table_iter_remove (&iter);
        }
    }
  if (g_hash_table_size (self->queries) > 0)
    return G_SOURCE_CONTINUE;
  self->dq_tick = 0;
  return G_SOURCE_REMOVE;
}

/* Runs a query from @origin (a leaf of ours, or us) the dynamic way. */
static void
start_dynamic_query (ShoalRouter     *self,
                     const ShoalGuid *guid,
                     GBytes          *payload,
                     guint8           max_ttl,
                     guint8           hops,
                     guint64          origin,
                     guint            wanted,
                     ShoalQrpQueryKeys *keys)
{
  RunningQuery *query = g_new0 (RunningQuery, 1);

  query->guid = *guid;
  query->origin = origin;
  query->payload = g_bytes_ref (payload);
  query->hops = hops;
  query->keys = keys;
  query->dq = shoal_dynamic_query_new (wanted, MIN (max_ttl, SHOAL_DQ_MAX_TTL), now ());
  g_hash_table_replace (self->queries, &query->guid, query);
  step_query (self, query, now ());
  ensure_dq_tick (self);
}

/* Queries ------------------------------------------------------------------ */

static gboolean
our_leaf_relayed (ShoalRouter        *self,
                  RouterLink         *link,
                  const ShoalMessage *message)
{
  g_autofree char *reason = NULL;

  if (!link->info.peer_is_leaf || message->header.hops == 0)
    return FALSE;
  reason = g_strdup_printf ("Leaf node relayed %s",
                            shoal_message_type_to_string (message->header.type));
  self->ops.close_link (link->id, 414, reason, self->ops_data);
  return TRUE;
}

/* The per-type drop counter of @stats for a message of @type. */
static guint64 *
dropped_counter (ShoalRouterStats *stats,
                 ShoalMessageType  type)
{
  switch (type)
    {
    case SHOAL_MESSAGE_QUERY:
      return &stats->dropped_queries;
    case SHOAL_MESSAGE_QUERY_HIT:
      return &stats->dropped_hits;
    case SHOAL_MESSAGE_PUSH:
      return &stats->dropped_pushes;
    default:
      return &stats->dropped_other;
    }
}

static void
drop (ShoalRouter        *self,
      RouterLink         *link,
      const ShoalMessage *message,
      const char         *why)
{
  g_debug ("dropped a message from link %" G_GUINT64_FORMAT ": %s", link->id, why);
  link->stats.dropped++;
  self->stats.dropped++;
  (*dropped_counter (&link->stats, message->header.type))++;
  (*dropped_counter (&self->stats, message->header.type))++;
}

static gboolean
ttl_out_of_bounds (const ShoalMessageHeader *header)
{
  return header->ttl == 0 || header->ttl + header->hops > SHOAL_ROUTER_HARD_TTL_LIMIT;
}

static void
count_duplicate (ShoalRouter *self,
                 RouterLink  *link)
{
  link->stats.duplicates++;
  self->stats.duplicates++;
}

/* A hit or a push one hop further back along its route. It keeps at
 * least TTL 1: the route, not the TTL, bounds how far it goes. */
static void
relay_reply (ShoalRouter        *self,
             RouterLink         *target,
             const ShoalMessage *message)
{
  const ShoalMessageHeader *header = &message->header;
  g_autoptr(GBytes) copy = build_message (&header->guid, header->type,
                                          (guint8) MAX (header->ttl - 1, 1),
                                          (guint8) (header->hops + 1), message->payload);

  send_to (self, target, copy, SHOAL_ROUTER_PRIORITY_REPLY);
}

/* A relayed broadcast never goes further than SHOAL_ROUTER_MAX_TTL hops
 * in all (gtk-gnutella's max_ttl trimming). */
static guint8
trimmed_ttl (guint8 ttl,
             guint8 hops)
{
  if (hops + ttl <= SHOAL_ROUTER_MAX_TTL)
    return ttl;
  return (guint8) MAX (1, (gint) SHOAL_ROUTER_MAX_TTL - hops);
}

static void
route_query_from_ultrapeer (ShoalRouter        *self,
                            RouterLink         *link,
                            const ShoalMessage *message,
                            ShoalRouteVerdict   verdict,
                            guint8              ttl)
{
  gboolean to_leaves = verdict == SHOAL_ROUTE_NEW && self->leaf_links > 0;
  guint8 hops = (guint8) (message->header.hops + 1);
  g_autoptr(ShoalQrpQueryKeys) keys = NULL;

  /* Hashing the words is the dearest step of a relay: only when a QRP
   * table is to be asked (our leaves', or peers' on the last hop). */
  if (to_leaves || ttl - 1 == 1)
    keys = shoal_qrp_query_keys_new (message->query);
  flood_to_ultrapeers (self, &message->header.guid, message->payload, (guint8) (ttl - 1), hops,
                       keys, link->id);
  if (to_leaves)
    send_to_matching_leaves (self, &message->header.guid, message->payload, hops, keys, link->id);
}

/* A leaf's query is ours to run: the leaf's TTL is the ceiling, the
 * copies leave with hops 1 (as gtk-gnutella sends them). */
static void
route_query_from_leaf (ShoalRouter        *self,
                       RouterLink         *link,
                       const ShoalMessage *message)
{
  ShoalQrpQueryKeys *keys = shoal_qrp_query_keys_new (message->query);

  send_to_matching_leaves (self, &message->header.guid, message->payload, 1, keys, link->id);
  start_dynamic_query (self, &message->header.guid, message->payload, message->header.ttl, 1,
                       link->id, SHOAL_DQ_LEAF_RESULTS, keys);
}

static void
handle_query (ShoalRouter        *self,
              RouterLink         *link,
              const ShoalMessage *message)
{
  const ShoalMessageHeader *header = &message->header;
  ShoalRouteVerdict verdict;
  guint8 ttl;

  link->stats.queries_in++;
  self->stats.queries_in++;
  if (ttl_out_of_bounds (header))
    {
      drop (self, link, message, "query TTL out of bounds");
      return;
    }
  if (g_bytes_get_size (message->payload) > SHOAL_QUERY_FORWARD_SIZE)
    {
      drop (self, link, message, "query too large to forward");
      return;
    }
  ttl = link->info.peer_is_leaf ? header->ttl : trimmed_ttl (header->ttl, header->hops);
  verdict = shoal_route_table_record (self->routes, &header->guid, SHOAL_MESSAGE_QUERY,
                                      link->id, ttl, now ());
  if (verdict == SHOAL_ROUTE_DUPLICATE)
    {
      count_duplicate (self, link);
      return;
    }
  if (verdict == SHOAL_ROUTE_NEW)
    {
      gboolean both_firewalled = self->firewalled &&
                                 shoal_query_has_flag (message->query, SHOAL_QUERY_FLAG_FIREWALLED);

      /* Two firewalled ends could never transfer: no answer. */
      if (!both_firewalled)
        {
          self->stats.queries_answered++;
          g_signal_emit (self, signals[SIGNAL_QUERY], 0, link->id, message);
        }
    }
  if (!self->ultrapeer)
    return;
  if (link->info.peer_is_leaf)
    {
      if (verdict == SHOAL_ROUTE_NEW)
        route_query_from_leaf (self, link, message);
      return;
    }
  route_query_from_ultrapeer (self, link, message, verdict, ttl);
}

/* Hits -------------------------------------------------------------------- */

static guint
count_records (const ShoalMessage *message)
{
  return message->query_hit ? message->query_hit->records->len : 0;
}

static void
hit_reached_dynamic_query (ShoalRouter        *self,
                           const ShoalMessage *message)
{
  RunningQuery *query = g_hash_table_lookup (self->queries, &message->header.guid);

  if (query != NULL)
    shoal_dynamic_query_add_results (query->dq, count_records (message));
}

static void
handle_query_hit (ShoalRouter        *self,
                  RouterLink         *link,
                  const ShoalMessage *message)
{
  const ShoalMessageHeader *header = &message->header;
  RouterLink *target;
  guint64 target_id;

  link->stats.hits_in++;
  self->stats.hits_in++;
  if (ttl_out_of_bounds (header) ||
      g_bytes_get_size (message->payload) > SHOAL_QUERY_HIT_FORWARD_SIZE)
    {
      drop (self, link, message, "query hit TTL or size out of bounds");
      return;
    }
  shoal_route_table_record_servent (self->routes, &message->query_hit->servent_guid, link->id,
                                    now ());
  if (!shoal_route_table_lookup (self->routes, &header->guid, SHOAL_MESSAGE_QUERY, now (),
                                 &target_id))
    {
      drop (self, link, message, "query hit for a query we never saw");
      return;
    }
  hit_reached_dynamic_query (self, message);
  if (target_id == SHOAL_ROUTE_LOCAL)
    {
      g_signal_emit (self, signals[SIGNAL_QUERY_HIT], 0, link->id, message);
      return;
    }
  target = g_hash_table_lookup (self->links, &target_id);
  if (target == NULL)
    {
      drop (self, link, message, "query hit whose route closed");
      return;
    }
  relay_reply (self, target, message);
  target->stats.hits_out++;
  self->stats.hits_out++;
}

/* Pushes -------------------------------------------------------------------- */

static void
handle_push (ShoalRouter        *self,
             RouterLink         *link,
             const ShoalMessage *message)
{
  const ShoalMessageHeader *header = &message->header;
  ShoalRouteVerdict verdict;
  RouterLink *target;
  guint64 target_id;

  link->stats.pushes_in++;
  self->stats.pushes_in++;
  if (ttl_out_of_bounds (header))
    {
      drop (self, link, message, "push TTL out of bounds");
      return;
    }
  verdict = shoal_route_table_record (self->routes, &header->guid, SHOAL_MESSAGE_PUSH, link->id,
                                      header->ttl, now ());
  if (verdict == SHOAL_ROUTE_DUPLICATE)
    {
      count_duplicate (self, link);
      return;
    }
  if (shoal_guid_equal (&message->push->servent_guid, &self->servent_guid))
    {
      if (verdict == SHOAL_ROUTE_NEW)
        g_signal_emit (self, signals[SIGNAL_PUSH], 0, link->id, message);
      return;
    }
  if (!shoal_route_table_lookup_servent (self->routes, &message->push->servent_guid, now (),
                                         &target_id) ||
      (target = g_hash_table_lookup (self->links, &target_id)) == NULL || target == link)
    {
      drop (self, link, message, "push for a servent we have no route to");
      return;
    }
  relay_reply (self, target, message);
  target->stats.pushes_out++;
  self->stats.pushes_out++;
}

/* QRP ------------------------------------------------------------------------- */

static gboolean
takes_qrp_from (ShoalRouter *self,
                RouterLink  *link)
{
  if (!self->ultrapeer)
    return FALSE;
  return link->info.peer_is_leaf || link->info.last_hop_qrp;
}

static void
handle_qrp (ShoalRouter        *self,
            RouterLink         *link,
            const ShoalMessage *message)
{
  g_autoptr(GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (message->payload, &length);

  if (message->header.hops != 0 || message->header.ttl > 1 || !takes_qrp_from (self, link))
    {
      drop (self, link, message, "QRP message we do not take");
      return;
    }
  if (link->qrp == NULL)
    link->qrp = shoal_qrp_receiver_new ();
  if (!shoal_qrp_receiver_feed (link->qrp, data, length, NULL, &error))
    {
      g_debug ("link %" G_GUINT64_FORMAT ": %s", link->id, error->message);
      self->ops.close_link (link->id, 413, "Bad QRP update", self->ops_data);
      return;
    }
  link->stats.qrp_updates++;
  self->stats.qrp_updates++;
}

/* Leaf-guided querying (§8.2) ---------------------------------------------- */

/* A leaf tells how many hits it kept for its query, or 0xFFFF: enough. */
static void
handle_query_status (ShoalRouter        *self,
                     RouterLink         *link,
                     const ShoalMessage *message)
{
  RunningQuery *query = g_hash_table_lookup (self->queries, &message->header.guid);
  guint16 hits;

  if (!link->info.peer_is_leaf || query == NULL || query->origin != link->id ||
      !shoal_vendor_query_status_response_parse (message->vendor, &hits, NULL))
    {
      drop (self, link, message, "query status for no query of that leaf");
      return;
    }
  if (hits == SHOAL_VENDOR_QUERY_STATUS_STOP)
    shoal_dynamic_query_stop (query->dq);
  else
    shoal_dynamic_query_set_results (query->dq, hits);
}

/* As a leaf: our ultrapeers run our query; tell them we have enough. */
static void
send_query_status_stop (ShoalRouter     *self,
                        const ShoalGuid *guid)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) message = NULL;
  GHashTableIter iter;
  gpointer value;

  shoal_vendor_query_status_response_write (SHOAL_VENDOR_QUERY_STATUS_STOP, payload);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  message = build_message (guid, SHOAL_MESSAGE_VENDOR, 1, 0, bytes);
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!((RouterLink *) value)->info.peer_is_leaf)
      send_to (self, value, message, SHOAL_ROUTER_PRIORITY_CONTROL);
}

/* Sends @link what turns the table it has from us into @table: a RESET
 * and the whole table the first time or when the size changed, patches
 * of the difference after that. */
static void
send_table (ShoalRouter         *self,
            RouterLink          *link,
            const ShoalQrpTable *table)
{
  ShoalQrpPatchOptions options = { QRP_PATCH_ENTRY_BITS, SHOAL_QRP_COMPRESSOR_ZLIB,
                                   SHOAL_QRP_GTKG_PATCH_CHUNK };
  g_autoptr(GPtrArray) patches = NULL;
  g_autoptr(GError) error = NULL;
  gboolean reset = link->sent_table == NULL || link->sent_table->slots != table->slots ||
                   link->sent_table->infinity != table->infinity;
  ShoalGuid guid;

  if (!reset && shoal_qrp_table_equal (link->sent_table, table))
    return;
  patches = shoal_qrp_build_patches (table, reset ? NULL : link->sent_table, &options, &error);
  if (patches == NULL)
    {
      g_warning ("cannot build a QRP patch: %s", error->message);
      return;
    }
  if (reset)
    {
      g_autoptr(GByteArray) payload = g_byte_array_new ();
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GBytes) message = NULL;
      ShoalQrpReset reset_body = { table->slots, table->infinity };

      shoal_qrp_reset_write (&reset_body, payload);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
      shoal_guid_init_modern (&guid);
      message = build_message (&guid, SHOAL_MESSAGE_QRP, 1, 0, bytes);
      send_to (self, link, message, SHOAL_ROUTER_PRIORITY_CONTROL);
    }
  for (guint i = 0; i < patches->len; i++)
    {
      g_autoptr(GBytes) message = NULL;

      shoal_guid_init_modern (&guid);
      message = build_message (&guid, SHOAL_MESSAGE_QRP, 1, 0, g_ptr_array_index (patches, i));
      send_to (self, link, message, SHOAL_ROUTER_PRIORITY_CONTROL);
    }
  g_clear_pointer (&link->sent_table, shoal_qrp_table_free);
  link->sent_table = shoal_qrp_table_copy (table);
}

/* Our library and every leaf's table in one: what a query must match to
 * be worth sending to us on its last hop. */
static ShoalQrpTable *
build_merged_table (ShoalRouter *self)
{
  ShoalQrpTable *merged = shoal_qrp_table_new (MERGED_TABLE_SLOTS, SHOAL_QRP_GTKG_INFINITY, NULL);
  GHashTableIter iter;
  gpointer value;

  if (self->local_table != NULL)
    shoal_qrp_table_merge_into (merged, self->local_table);
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterLink *link = value;
      const ShoalQrpTable *table = link->qrp ? shoal_qrp_receiver_get_table (link->qrp) : NULL;

      if (link->info.peer_is_leaf && table != NULL)
        shoal_qrp_table_merge_into (merged, table);
    }
  return merged;
}

static gboolean
sends_table_to (ShoalRouter *self,
                RouterLink  *link)
{
  if (link->info.peer_is_leaf)
    return FALSE;
  /* A leaf tells each of its ultrapeers; an ultrapeer tells the peers
   * that route by last-hop tables. */
  return self->ultrapeer ? link->info.last_hop_qrp : TRUE;
}

static void
send_tables (ShoalRouter *self,
             RouterLink  *only)
{
  g_autoptr(ShoalQrpTable) merged = NULL;
  const ShoalQrpTable *table = self->local_table;
  GHashTableIter iter;
  gpointer value;

  if (self->ultrapeer)
    table = merged = build_merged_table (self);
  if (table == NULL)
    return;
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterLink *link = value;

      if ((only == NULL || link == only) && sends_table_to (self, link))
        send_table (self, link, table);
    }
}

static gboolean
on_qrp_tick (gpointer user_data)
{
  ShoalRouter *self = user_data;

  if (self->ultrapeer)
    send_tables (self, NULL);
  return G_SOURCE_CONTINUE;
}

static void
restart_qrp_tick (ShoalRouter *self)
{
  g_clear_handle_id (&self->qrp_tick, g_source_remove);
  self->qrp_tick = g_timeout_add (self->qrp_period_ms, on_qrp_tick, self);
}

/* GObject ------------------------------------------------------------------------ */

static void
shoal_router_dispose (GObject *object)
{
  ShoalRouter *self = SHOAL_ROUTER (object);

  g_clear_handle_id (&self->dq_tick, g_source_remove);
  g_clear_handle_id (&self->qrp_tick, g_source_remove);
  if (self->queries != NULL)
    g_hash_table_remove_all (self->queries);
  if (self->links != NULL)
    g_hash_table_remove_all (self->links);
  self->leaf_links = 0;
  G_OBJECT_CLASS (shoal_router_parent_class)->dispose (object);
}

static void
shoal_router_finalize (GObject *object)
{
  ShoalRouter *self = SHOAL_ROUTER (object);

  g_hash_table_unref (self->queries);
  g_hash_table_unref (self->links);
  shoal_route_table_free (self->routes);
  g_clear_pointer (&self->local_table, shoal_qrp_table_free);
  G_OBJECT_CLASS (shoal_router_parent_class)->finalize (object);
}

static void
shoal_router_class_init (ShoalRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_router_dispose;
  object_class->finalize = shoal_router_finalize;

  /**
   * ShoalRouter::query:
   * @link_id: the link it came by
   * @message: (type gpointer): the ShoalMessage, borrowed for the emission
   *
   * A query seen for the first time, to answer from the library with
   * shoal_router_send_hits().
   */
  signals[SIGNAL_QUERY] =
    g_signal_new ("query", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_POINTER);
  /**
   * ShoalRouter::query-hit:
   * @link_id: the link it came by
   * @message: (type gpointer): the ShoalMessage, borrowed for the emission
   *
   * A hit for one of our own queries.
   */
  signals[SIGNAL_QUERY_HIT] =
    g_signal_new ("query-hit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_POINTER);
  /**
   * ShoalRouter::push:
   * @link_id: the link it came by
   * @message: (type gpointer): the ShoalMessage, borrowed for the emission
   *
   * A push addressed to our servent GUID.
   */
  signals[SIGNAL_PUSH] =
    g_signal_new ("push", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_POINTER);
  /**
   * ShoalRouter::query-progress:
   * @guid: (type gpointer): the ShoalGuid of one of our queries
   * @ultrapeers: how many ultrapeers it was sent to so far
   * @finished: the network part of the query is over
   */
  signals[SIGNAL_QUERY_PROGRESS] =
    g_signal_new ("query-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 3, G_TYPE_POINTER, G_TYPE_UINT, G_TYPE_BOOLEAN);
}

static void
shoal_router_init (ShoalRouter *self)
{
  self->routes = shoal_route_table_new (SHOAL_ROUTE_TABLE_DEFAULT_WINDOW_USEC,
                                        SHOAL_ROUTE_TABLE_DEFAULT_CAPACITY);
  self->links = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, router_link_free);
  self->queries = g_hash_table_new_full (shoal_guid_hash, shoal_guid_equal, NULL, running_query_free);
  self->qrp_period_ms = SHOAL_ROUTER_DEFAULT_QRP_PERIOD_MS;
}

/* Public API ------------------------------------------------------------------------ */

ShoalRouter *
shoal_router_new (const ShoalGuid          *servent_guid,
                  const ShoalRouterLinkOps *ops,
                  gpointer                  user_data)
{
  ShoalRouter *self;

  g_return_val_if_fail (servent_guid != NULL, NULL);
  g_return_val_if_fail (ops != NULL && ops->send != NULL && ops->close_link != NULL, NULL);

  self = g_object_new (SHOAL_TYPE_ROUTER, NULL);
  self->servent_guid = *servent_guid;
  self->ops = *ops;
  self->ops_data = user_data;
  restart_qrp_tick (self);
  return self;
}

void
shoal_router_set_ultrapeer (ShoalRouter *self,
                            gboolean     ultrapeer)
{
  g_return_if_fail (SHOAL_IS_ROUTER (self));
  self->ultrapeer = !!ultrapeer;
}

gboolean
shoal_router_get_ultrapeer (ShoalRouter *self)
{
  g_return_val_if_fail (SHOAL_IS_ROUTER (self), FALSE);
  return self->ultrapeer;
}

void
shoal_router_set_firewalled (ShoalRouter *self,
                             gboolean     firewalled)
{
  g_return_if_fail (SHOAL_IS_ROUTER (self));
  self->firewalled = !!firewalled;
}

void
shoal_router_set_qrp_period (ShoalRouter *self,
                             guint        period_ms)
{
  g_return_if_fail (SHOAL_IS_ROUTER (self));
  g_return_if_fail (period_ms > 0);
  self->qrp_period_ms = period_ms;
  restart_qrp_tick (self);
}

void
shoal_router_add_link (ShoalRouter               *self,
                       guint64                    link_id,
                       const ShoalRouterLinkInfo *info)
{
  RouterLink *link;

  g_return_if_fail (SHOAL_IS_ROUTER (self));
  g_return_if_fail (link_id != SHOAL_ROUTE_LOCAL);
  g_return_if_fail (info != NULL);

  link = g_hash_table_lookup (self->links, &link_id);
  if (link != NULL)
    self->leaf_links -= link->info.peer_is_leaf;
  link = g_new0 (RouterLink, 1);
  link->id = link_id;
  link->info = *info;
  self->leaf_links += info->peer_is_leaf;
  g_hash_table_replace (self->links, &link->id, link);
  send_tables (self, link);
}

void
shoal_router_remove_link (ShoalRouter *self,
                          guint64      link_id)
{
  GHashTableIter iter;
  gpointer value;
  RouterLink *link;

  g_return_if_fail (SHOAL_IS_ROUTER (self));

  link = g_hash_table_lookup (self->links, &link_id);
  if (link == NULL)
    return;
  self->leaf_links -= link->info.peer_is_leaf;
  g_hash_table_remove (self->links, &link_id);
  shoal_route_table_forget_link (self->routes, link_id);
  /* A leaf gone: nobody wants the results of its queries any more. */
  g_hash_table_iter_init (&iter, self->queries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((RunningQuery *) value)->origin == link_id)
      g_hash_table_iter_remove (&iter);
}

void
shoal_router_handle_message (ShoalRouter        *self,
                             guint64             link_id,
                             const ShoalMessage *message)
{
  RouterLink *link;

  g_return_if_fail (SHOAL_IS_ROUTER (self));
  g_return_if_fail (message != NULL);

  link = g_hash_table_lookup (self->links, &link_id);
  if (link == NULL || our_leaf_relayed (self, link, message))
    return;
  if (message->query != NULL)
    handle_query (self, link, message);
  else if (message->query_hit != NULL)
    handle_query_hit (self, link, message);
  else if (message->push != NULL)
    handle_push (self, link, message);
  else if (message->qrp != NULL)
    handle_qrp (self, link, message);
  else if (message->vendor != NULL &&
           shoal_vendor_message_is (message->vendor, SHOAL_VENDOR_BEAR,
                                    SHOAL_VENDOR_QUERY_STATUS_RESPONSE))
    handle_query_status (self, link, message);
}

void
shoal_router_set_local_table (ShoalRouter         *self,
                              const ShoalQrpTable *table)
{
  g_return_if_fail (SHOAL_IS_ROUTER (self));
  g_return_if_fail (table != NULL);

  g_clear_pointer (&self->local_table, shoal_qrp_table_free);
  self->local_table = shoal_qrp_table_copy (table);
  /* The caller settles bursts of library changes: tell the peers now.
   * Leaves' changes reach an ultrapeer's peers on the QRP tick. */
  send_tables (self, NULL);
}

void
shoal_router_start_query (ShoalRouter     *self,
                          const ShoalGuid *guid,
                          GBytes          *payload,
                          guint            wanted_results)
{
  g_autoptr(ShoalQuery) query = NULL;
  g_autoptr(GBytes) copy = NULL;
  ShoalQrpQueryKeys *keys;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (SHOAL_IS_ROUTER (self));
  g_return_if_fail (guid != NULL && payload != NULL);

  query = shoal_query_parse (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), NULL);
  g_return_if_fail (query != NULL);
  shoal_route_table_record (self->routes, guid, SHOAL_MESSAGE_QUERY, SHOAL_ROUTE_LOCAL,
                            SHOAL_ROUTER_LEAF_QUERY_TTL, now ());
  keys = shoal_qrp_query_keys_new (query);
  if (self->ultrapeer)
    {
      send_to_matching_leaves (self, guid, payload, 0, keys, SHOAL_ROUTE_LOCAL);
      start_dynamic_query (self, guid, payload, SHOAL_DQ_DEFAULT_TTL, 0, SHOAL_ROUTE_LOCAL,
                           wanted_results, keys);
      return;
    }
  shoal_qrp_query_keys_free (keys);
  copy = build_message (guid, SHOAL_MESSAGE_QUERY, SHOAL_ROUTER_LEAF_QUERY_TTL, 0, payload);
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterLink *link = value;

      if (link->info.peer_is_leaf)
        continue;
      send_to (self, link, copy, SHOAL_ROUTER_PRIORITY_QUERY);
      count_query_out (self, link);
    }
}

void
shoal_router_stop_query (ShoalRouter     *self,
                         const ShoalGuid *guid)
{
  RunningQuery *query;

  g_return_if_fail (SHOAL_IS_ROUTER (self));
  if (!self->ultrapeer)
    {
      send_query_status_stop (self, guid);
      return;
    }
  query = g_hash_table_lookup (self->queries, guid);
  if (query != NULL)
    shoal_dynamic_query_stop (query->dq);
}

gboolean
shoal_router_send_hits (ShoalRouter     *self,
                        const ShoalGuid *query_guid,
                        GPtrArray       *messages)
{
  RouterLink *target;
  guint64 target_id;

  g_return_val_if_fail (SHOAL_IS_ROUTER (self), FALSE);
  g_return_val_if_fail (query_guid != NULL && messages != NULL, FALSE);

  if (!shoal_route_table_lookup (self->routes, query_guid, SHOAL_MESSAGE_QUERY, now (), &target_id) ||
      target_id == SHOAL_ROUTE_LOCAL ||
      (target = g_hash_table_lookup (self->links, &target_id)) == NULL)
    return FALSE;
  for (guint i = 0; i < messages->len; i++)
    {
      send_to (self, target, g_ptr_array_index (messages, i), SHOAL_ROUTER_PRIORITY_REPLY);
      target->stats.hits_out++;
      self->stats.hits_out++;
    }
  return TRUE;
}

gboolean
shoal_router_send_push (ShoalRouter     *self,
                        const ShoalGuid *servent_guid,
                        GBytes          *payload)
{
  g_autoptr(GBytes) message = NULL;
  RouterLink *target;
  guint64 target_id;
  ShoalGuid guid;

  g_return_val_if_fail (SHOAL_IS_ROUTER (self), FALSE);
  g_return_val_if_fail (servent_guid != NULL && payload != NULL, FALSE);

  if (!shoal_route_table_lookup_servent (self->routes, servent_guid, now (), &target_id) ||
      (target = g_hash_table_lookup (self->links, &target_id)) == NULL)
    return FALSE;
  shoal_guid_init_modern (&guid);
  /* Ours: a copy coming back to us is a duplicate. */
  shoal_route_table_record (self->routes, &guid, SHOAL_MESSAGE_PUSH, SHOAL_ROUTE_LOCAL,
                            SHOAL_ROUTER_PUSH_TTL, now ());
  message = build_message (&guid, SHOAL_MESSAGE_PUSH, SHOAL_ROUTER_PUSH_TTL, 0, payload);
  send_to (self, target, message, SHOAL_ROUTER_PRIORITY_REPLY);
  target->stats.pushes_out++;
  self->stats.pushes_out++;
  return TRUE;
}

void
shoal_router_get_stats (ShoalRouter      *self,
                        ShoalRouterStats *stats)
{
  g_return_if_fail (SHOAL_IS_ROUTER (self));
  *stats = self->stats;
}

gboolean
shoal_router_get_link_stats (ShoalRouter      *self,
                             guint64           link_id,
                             ShoalRouterStats *stats)
{
  RouterLink *link;

  g_return_val_if_fail (SHOAL_IS_ROUTER (self), FALSE);
  link = g_hash_table_lookup (self->links, &link_id);
  if (link == NULL)
    return FALSE;
  *stats = link->stats;
  return TRUE;
}

gboolean
shoal_router_link_has_table (ShoalRouter *self,
                             guint64      link_id)
{
  RouterLink *link;

  g_return_val_if_fail (SHOAL_IS_ROUTER (self), FALSE);
  link = g_hash_table_lookup (self->links, &link_id);
  return link != NULL && link->qrp != NULL && shoal_qrp_receiver_get_table (link->qrp) != NULL;
}
