/* test-route-table.c — duplicate detection and routes back: verdicts,
 * lifetime, capacity, closed links and servent routes. */
#include "shoal-message-header.h"
#include "shoal-route-table.h"

#include <string.h>

#define WINDOW (60 * G_USEC_PER_SEC)
#define CAPACITY 100

/* GUIDs that differ only in four bytes, as OOB query GUIDs from one
 * querier do (same address and port): the table must still tell them
 * apart. */
static void
make_guid (ShoalGuid *guid,
           guint32    number)
{
  memset (guid->bytes, 0xa5, SHOAL_GUID_SIZE);
  guid->bytes[4] = number & 0xff;
  guid->bytes[5] = (number >> 8) & 0xff;
  guid->bytes[6] = (number >> 16) & 0xff;
  guid->bytes[7] = (number >> 24) & 0xff;
}

static ShoalRouteVerdict
record_query (ShoalRouteTable *table,
              guint32          number,
              guint64          link_id,
              guint8           ttl,
              gint64           now)
{
  ShoalGuid guid;

  make_guid (&guid, number);
  return shoal_route_table_record (table, &guid, SHOAL_MESSAGE_QUERY, link_id, ttl, now);
}

/* The link a query's hits go to, or G_MAXUINT64 when there is none. */
static guint64
query_route (ShoalRouteTable *table,
             guint32          number,
             gint64           now)
{
  ShoalGuid guid;
  guint64 link_id = G_MAXUINT64;

  make_guid (&guid, number);
  if (!shoal_route_table_lookup (table, &guid, SHOAL_MESSAGE_QUERY, now, &link_id))
    return G_MAXUINT64;
  return link_id;
}

static guint64
servent_route (ShoalRouteTable *table,
               guint32          number,
               gint64           now)
{
  ShoalGuid guid;
  guint64 link_id = G_MAXUINT64;

  make_guid (&guid, number);
  if (!shoal_route_table_lookup_servent (table, &guid, now, &link_id))
    return G_MAXUINT64;
  return link_id;
}

static void
record_servent (ShoalRouteTable *table,
                guint32          number,
                guint64          link_id,
                gint64           now)
{
  ShoalGuid guid;

  make_guid (&guid, number);
  shoal_route_table_record_servent (table, &guid, link_id, now);
}

static void
test_verdicts (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  g_assert_cmpint (record_query (table, 1, 10, 3, 0), ==, SHOAL_ROUTE_NEW);
  g_assert_cmpint (record_query (table, 1, 11, 3, 1), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpint (record_query (table, 1, 12, 2, 2), ==, SHOAL_ROUTE_DUPLICATE);
  /* A dynamic-query probe coming back with more TTL is forwarded again,
   * once: the raised TTL is remembered. */
  g_assert_cmpint (record_query (table, 1, 13, 5, 3), ==, SHOAL_ROUTE_HIGHER_TTL);
  g_assert_cmpint (record_query (table, 1, 14, 5, 4), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpint (record_query (table, 1, 15, 4, 5), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpint (record_query (table, 1, 16, 6, 6), ==, SHOAL_ROUTE_HIGHER_TTL);
  /* Hits go back where the query came from first. */
  g_assert_cmpuint (query_route (table, 1, 7), ==, 10);
  g_assert_cmpuint (query_route (table, 2, 7), ==, G_MAXUINT64);
  g_assert_cmpuint (shoal_route_table_get_size (table), ==, 1);
}

static void
test_local_route (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  g_assert_cmpint (record_query (table, 1, SHOAL_ROUTE_LOCAL, 4, 0), ==, SHOAL_ROUTE_NEW);
  g_assert_cmpuint (query_route (table, 1, 1), ==, SHOAL_ROUTE_LOCAL);
  /* Our own query echoed back by a neighbour is a duplicate. */
  g_assert_cmpint (record_query (table, 1, 3, 3, 2), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpuint (query_route (table, 1, 3), ==, SHOAL_ROUTE_LOCAL);
}

static void
test_type_distinguishes (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);
  ShoalGuid guid;
  guint64 link_id = 0;

  make_guid (&guid, 7);
  g_assert_cmpint (shoal_route_table_record (table, &guid, SHOAL_MESSAGE_PING, 1, 4, 0),
                   ==, SHOAL_ROUTE_NEW);
  g_assert_cmpint (shoal_route_table_record (table, &guid, SHOAL_MESSAGE_QUERY, 2, 4, 0),
                   ==, SHOAL_ROUTE_NEW);
  g_assert_cmpint (shoal_route_table_record (table, &guid, SHOAL_MESSAGE_PING, 3, 4, 0),
                   ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_true (shoal_route_table_lookup (table, &guid, SHOAL_MESSAGE_PING, 0, &link_id));
  g_assert_cmpuint (link_id, ==, 1);
  g_assert_true (shoal_route_table_lookup (table, &guid, SHOAL_MESSAGE_QUERY, 0, &link_id));
  g_assert_cmpuint (link_id, ==, 2);
  g_assert_false (shoal_route_table_lookup (table, &guid, SHOAL_MESSAGE_PUSH, 0, &link_id));
  g_assert_cmpuint (shoal_route_table_get_size (table), ==, 2);
}

static void
test_lifetime (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  record_query (table, 1, 1, 3, 0);
  record_query (table, 2, 2, 3, WINDOW / 2);
  /* Every route lives at least a window... */
  g_assert_cmpuint (query_route (table, 1, WINDOW - 1), ==, 1);
  g_assert_cmpuint (query_route (table, 1, WINDOW), ==, 1);
  g_assert_cmpuint (query_route (table, 2, WINDOW / 2 + WINDOW), ==, 2);
  /* ...and still counts as seen while it lives. */
  g_assert_cmpint (record_query (table, 1, 9, 3, WINDOW + WINDOW / 2), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpuint (query_route (table, 1, 2 * WINDOW - 1), ==, 1);
  /* ...and at most two. */
  g_assert_cmpuint (query_route (table, 1, 2 * WINDOW), ==, G_MAXUINT64);
  g_assert_cmpuint (query_route (table, 2, 2 * WINDOW), ==, G_MAXUINT64);
  g_assert_cmpint (record_query (table, 1, 5, 3, 2 * WINDOW), ==, SHOAL_ROUTE_NEW);
  g_assert_cmpuint (query_route (table, 1, 2 * WINDOW), ==, 5);
}

static void
test_lifetime_after_idle (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  record_query (table, 1, 1, 3, 0);
  /* Nothing happened for ten windows: the old route is gone, and a new one
   * still gets its full window. */
  g_assert_cmpuint (query_route (table, 1, 10 * WINDOW), ==, G_MAXUINT64);
  g_assert_cmpuint (shoal_route_table_get_size (table), ==, 0);
  record_query (table, 2, 2, 3, 10 * WINDOW + 1);
  g_assert_cmpuint (query_route (table, 2, 11 * WINDOW + 1), ==, 2);
  g_assert_cmpuint (query_route (table, 2, 12 * WINDOW + 1), ==, G_MAXUINT64);
}

static void
test_capacity (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);
  const guint32 flood = 10 * CAPACITY;

  for (guint32 number = 0; number < flood; number++)
    {
      g_assert_cmpint (record_query (table, number, 1, 3, 0), ==, SHOAL_ROUTE_NEW);
      g_assert_cmpuint (shoal_route_table_get_size (table), <=, CAPACITY);
    }
  g_assert_cmpuint (shoal_route_table_get_size (table), >=, CAPACITY / 2);
  /* The newest half of the capacity is always kept; the oldest go. */
  for (guint32 number = flood - CAPACITY / 2; number < flood; number++)
    g_assert_cmpuint (query_route (table, number, 0), ==, 1);
  for (guint32 number = 0; number < flood - CAPACITY; number++)
    g_assert_cmpuint (query_route (table, number, 0), ==, G_MAXUINT64);

  /* Servent routes have a capacity of their own. */
  for (guint32 number = 0; number < flood; number++)
    {
      record_servent (table, number, 2, 0);
      g_assert_cmpuint (shoal_route_table_get_size (table), <=, 2 * CAPACITY);
    }
  for (guint32 number = flood - CAPACITY / 2; number < flood; number++)
    g_assert_cmpuint (servent_route (table, number, 0), ==, 2);
  g_assert_cmpuint (servent_route (table, 0, 0), ==, G_MAXUINT64);
  g_assert_cmpuint (query_route (table, flood - 1, 0), ==, 1);
}

static void
test_many_routes (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (SHOAL_ROUTE_TABLE_DEFAULT_WINDOW_USEC,
                                                            SHOAL_ROUTE_TABLE_DEFAULT_CAPACITY);
  const guint32 count = SHOAL_ROUTE_TABLE_DEFAULT_CAPACITY / 2;

  /* What a busy ultrapeer sees in one window: every route kept, each
   * told apart from the others. */
  for (guint32 number = 0; number < count; number++)
    g_assert_cmpint (record_query (table, number, number % 30 + 1, 3, number), ==, SHOAL_ROUTE_NEW);
  g_assert_cmpuint (shoal_route_table_get_size (table), ==, count);
  for (guint32 number = 0; number < count; number++)
    g_assert_cmpuint (query_route (table, number, count), ==, number % 30 + 1);
}

static void
test_forget_link (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  record_query (table, 1, 1, 3, 0);
  record_query (table, 2, 2, 3, 0);
  record_query (table, 3, 1, 3, 0);
  record_servent (table, 4, 1, 0);
  record_servent (table, 5, 2, 0);

  shoal_route_table_forget_link (table, 1);
  g_assert_cmpuint (query_route (table, 1, 1), ==, G_MAXUINT64);
  g_assert_cmpuint (query_route (table, 3, 1), ==, G_MAXUINT64);
  g_assert_cmpuint (servent_route (table, 4, 1), ==, G_MAXUINT64);
  g_assert_cmpuint (query_route (table, 2, 1), ==, 2);
  g_assert_cmpuint (servent_route (table, 5, 1), ==, 2);

  /* Still seen: a copy from elsewhere is a duplicate, and becomes the way
   * back since the first one closed. */
  g_assert_cmpint (record_query (table, 1, 3, 3, 2), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpuint (query_route (table, 1, 2), ==, 3);
  /* A push target seen again through a live link is reachable again. */
  record_servent (table, 4, 2, 2);
  g_assert_cmpuint (servent_route (table, 4, 2), ==, 2);

  /* Forgetting a link twice or one never seen is harmless. */
  shoal_route_table_forget_link (table, 1);
  shoal_route_table_forget_link (table, 99);
  g_assert_cmpuint (query_route (table, 2, 3), ==, 2);
}

static void
test_forget_link_outlives_its_routes (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  record_query (table, 1, 1, 3, 0);
  shoal_route_table_forget_link (table, 1);
  /* One rotation later the old route is still held, and still dead. */
  g_assert_cmpuint (query_route (table, 1, WINDOW), ==, G_MAXUINT64);
  g_assert_cmpint (record_query (table, 1, 4, 3, WINDOW), ==, SHOAL_ROUTE_DUPLICATE);
  g_assert_cmpuint (query_route (table, 1, WINDOW), ==, 4);
  /* Once every route recorded before the close has gone, the id is no
   * longer remembered as dead. */
  g_assert_cmpint (record_query (table, 2, 1, 3, 3 * WINDOW), ==, SHOAL_ROUTE_NEW);
  g_assert_cmpuint (query_route (table, 2, 3 * WINDOW), ==, 1);
}

static void
test_servent_routes (void)
{
  g_autoptr(ShoalRouteTable) table = shoal_route_table_new (WINDOW, CAPACITY);

  g_assert_cmpuint (servent_route (table, 1, 0), ==, G_MAXUINT64);
  record_servent (table, 1, 1, 0);
  g_assert_cmpuint (servent_route (table, 1, 1), ==, 1);
  /* The latest hit's link wins. */
  record_servent (table, 1, 2, 2);
  g_assert_cmpuint (servent_route (table, 1, 3), ==, 2);
  /* Servents and messages are apart even with the same GUID. */
  g_assert_cmpuint (query_route (table, 1, 3), ==, G_MAXUINT64);
  g_assert_cmpint (record_query (table, 1, 7, 3, 3), ==, SHOAL_ROUTE_NEW);
  g_assert_cmpuint (servent_route (table, 1, 3), ==, 2);

  /* Seen again in the next window: the route is refreshed and moves. */
  record_servent (table, 1, 3, WINDOW + WINDOW / 2);
  g_assert_cmpuint (servent_route (table, 1, WINDOW + WINDOW / 2), ==, 3);
  g_assert_cmpuint (servent_route (table, 1, 2 * WINDOW + WINDOW / 2), ==, 3);
  g_assert_cmpuint (servent_route (table, 1, 4 * WINDOW), ==, G_MAXUINT64);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/route-table/verdicts", test_verdicts);
  g_test_add_func ("/route-table/local-route", test_local_route);
  g_test_add_func ("/route-table/type-distinguishes", test_type_distinguishes);
  g_test_add_func ("/route-table/lifetime", test_lifetime);
  g_test_add_func ("/route-table/lifetime-after-idle", test_lifetime_after_idle);
  g_test_add_func ("/route-table/capacity", test_capacity);
  g_test_add_func ("/route-table/many-routes", test_many_routes);
  g_test_add_func ("/route-table/forget-link", test_forget_link);
  g_test_add_func ("/route-table/forget-link-outlives-its-routes", test_forget_link_outlives_its_routes);
  g_test_add_func ("/route-table/servent-routes", test_servent_routes);
  return g_test_run ();
}
