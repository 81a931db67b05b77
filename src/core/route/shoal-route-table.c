/* shoal-route-table.c — recent messages and servents with the link each came
 * through, kept in two generations that rotate. */
#include "shoal-route-table.h"

#include <string.h>

/* The GUID, then the payload type: what makes a message distinct (§3.3). */
#define ROUTE_KEY_SIZE (SHOAL_GUID_SIZE + 1)
/* Servent routes use the same entries; their type byte is always this. */
#define SERVENT_ROUTE_TYPE 0
/* The current generation and the previous one. */
#define GENERATION_COUNT 2
/* Each generation holds half the capacity, so both must hold one entry. */
#define MIN_CAPACITY GENERATION_COUNT
/* Routes are carved out of blocks of this many, so that recording a
 * message allocates nothing once a generation has grown to its size. */
#define ROUTE_BLOCK_ENTRIES 1024
/* Odd 64-bit constants that spread the GUID's bits over the hash. */
#define HASH_MIX_TAIL G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)
#define HASH_MIX_ALL G_GUINT64_CONSTANT (0xC2B2AE3D27D4EB4F)

typedef struct
{
  guint8 bytes[ROUTE_KEY_SIZE];
} RouteKey;

typedef struct
{
  RouteKey key;  /* first: a Route is looked up as its key */
  guint8   ttl;
  guint64  link_id;
} Route;

typedef struct
{
  GHashTable *routes;  /* set of Route*, which live in @blocks */
  GPtrArray  *blocks;  /* of Route[ROUTE_BLOCK_ENTRIES], kept for reuse */
  guint       used;    /* Routes handed out of @blocks */
} Generation;

/* A link forgotten, and when: once both generations of that time have
 * rotated away, no route through it is left and it need not be kept. */
typedef struct
{
  guint64 link_id;  /* first: hashed with g_int64_hash */
  guint64 forgotten_at_rotation;
} DeadLink;

/* One kind of route: messages by (GUID, type), or servents by GUID. */
typedef struct
{
  Generation  generations[GENERATION_COUNT];
  guint       current;          /* index of the generation recorded into */
  gint64      started_usec;     /* when the current generation began */
  guint       generation_limit; /* routes per generation */
  guint64     rotations;
  GHashTable *dead_links;       /* set of DeadLink* */
} RouteSet;

struct _ShoalRouteTable
{
  gint64   window_usec;
  RouteSet messages;
  RouteSet servents;
};

static guint
route_key_hash (gconstpointer pointer)
{
  const RouteKey *key = pointer;
  guint64 head, tail, mixed;

  /* OOB query GUIDs share their querier's address and port, so every
   * byte goes into the hash, not just the first few. */
  memcpy (&head, key->bytes, sizeof head);
  memcpy (&tail, key->bytes + sizeof head, sizeof tail);
  mixed = (head ^ (tail * HASH_MIX_TAIL) ^ key->bytes[SHOAL_GUID_SIZE]) * HASH_MIX_ALL;
  return (guint) (mixed >> 32);
}

static gboolean
route_key_equal (gconstpointer a,
                 gconstpointer b)
{
  return memcmp (a, b, ROUTE_KEY_SIZE) == 0;
}

static void
route_key_init (RouteKey        *key,
                const ShoalGuid *guid,
                guint8           type)
{
  memcpy (key->bytes, guid->bytes, SHOAL_GUID_SIZE);
  key->bytes[SHOAL_GUID_SIZE] = type;
}

static void
generation_init (Generation *generation)
{
  generation->routes = g_hash_table_new (route_key_hash, route_key_equal);
  generation->blocks = g_ptr_array_new_with_free_func (g_free);
  generation->used = 0;
}

static void
generation_clear (Generation *generation)
{
  g_hash_table_remove_all (generation->routes);
  generation->used = 0;
}

static void
generation_destroy (Generation *generation)
{
  g_clear_pointer (&generation->routes, g_hash_table_unref);
  g_clear_pointer (&generation->blocks, g_ptr_array_unref);
}

static void
generation_add (Generation     *generation,
                const RouteKey *key,
                guint8          ttl,
                guint64         link_id)
{
  guint block = generation->used / ROUTE_BLOCK_ENTRIES;
  Route *route;

  if (block == generation->blocks->len)
    g_ptr_array_add (generation->blocks, g_new (Route, ROUTE_BLOCK_ENTRIES));
  route = (Route *) g_ptr_array_index (generation->blocks, block)
          + generation->used % ROUTE_BLOCK_ENTRIES;
  generation->used++;
  route->key = *key;
  route->ttl = ttl;
  route->link_id = link_id;
  g_hash_table_add (generation->routes, route);
}

static void
route_set_init (RouteSet *set,
                guint     capacity)
{
  for (guint i = 0; i < GENERATION_COUNT; i++)
    generation_init (&set->generations[i]);
  set->current = 0;
  set->started_usec = 0;
  set->generation_limit = capacity / GENERATION_COUNT;
  set->rotations = 0;
  set->dead_links = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

static void
route_set_destroy (RouteSet *set)
{
  for (guint i = 0; i < GENERATION_COUNT; i++)
    generation_destroy (&set->generations[i]);
  g_clear_pointer (&set->dead_links, g_hash_table_unref);
}

static Generation *
current_generation (RouteSet *set)
{
  return &set->generations[set->current];
}

static Generation *
previous_generation (RouteSet *set)
{
  return &set->generations[(set->current + 1) % GENERATION_COUNT];
}

static gboolean
dead_link_is_purgeable (gpointer key,
                        gpointer value G_GNUC_UNUSED,
                        gpointer data)
{
  const DeadLink *dead = key;
  const RouteSet *set = data;

  return set->rotations - dead->forgotten_at_rotation >= GENERATION_COUNT;
}

/* The previous generation is dropped and the current one takes its place. */
static void
rotate (RouteSet *set)
{
  Generation *oldest = previous_generation (set);

  generation_clear (oldest);
  set->current = (guint) (oldest - set->generations);
  set->rotations++;
  if (g_hash_table_size (set->dead_links) > 0)
    g_hash_table_foreach_remove (set->dead_links, dead_link_is_purgeable, set);
}

/* Rotations follow the clock, not the calls: a generation begun at T is
 * dropped at T + 2 windows, so every route lives between one and two
 * windows however rarely the table is used. */
static void
rotate_if_due (RouteSet *set,
               gint64    window_usec,
               gint64    now_usec)
{
  gint64 age_usec = now_usec - set->started_usec;

  if (age_usec < window_usec)
    return;
  rotate (set);
  if (age_usec < GENERATION_COUNT * window_usec)
    {
      set->started_usec += window_usec;
      return;
    }
  rotate (set);
  set->started_usec = now_usec;
}

static Route *
find (RouteSet       *set,
      const RouteKey *key)
{
  Route *route = g_hash_table_lookup (current_generation (set)->routes, key);

  if (route == NULL)
    route = g_hash_table_lookup (previous_generation (set)->routes, key);
  return route;
}

/* A full generation is rotated out early: under a flood the oldest routes
 * go first, and memory stays bounded. */
static void
add (RouteSet       *set,
     const RouteKey *key,
     guint8          ttl,
     guint64         link_id,
     gint64          now_usec)
{
  if (g_hash_table_size (current_generation (set)->routes) >= set->generation_limit)
    {
      rotate (set);
      set->started_usec = now_usec;
    }
  generation_add (current_generation (set), key, ttl, link_id);
}

static gboolean
link_is_dead (const RouteSet *set,
              guint64         link_id)
{
  return g_hash_table_size (set->dead_links) > 0
         && g_hash_table_contains (set->dead_links, &link_id);
}

static void
mark_link_dead (RouteSet *set,
                guint64   link_id)
{
  DeadLink *dead = g_hash_table_lookup (set->dead_links, &link_id);

  if (dead == NULL)
    {
      dead = g_new (DeadLink, 1);
      dead->link_id = link_id;
      g_hash_table_add (set->dead_links, dead);
    }
  dead->forgotten_at_rotation = set->rotations;
}

static guint
route_set_size (const RouteSet *set)
{
  guint size = 0;

  for (guint i = 0; i < GENERATION_COUNT; i++)
    size += g_hash_table_size (set->generations[i].routes);
  return size;
}

static gboolean
lookup_live (RouteSet       *set,
             const RouteKey *key,
             guint64        *link_id)
{
  Route *route = find (set, key);

  if (route == NULL || link_is_dead (set, route->link_id))
    return FALSE;
  if (link_id != NULL)
    *link_id = route->link_id;
  return TRUE;
}

ShoalRouteTable *
shoal_route_table_new (gint64 window_usec,
                       guint  capacity)
{
  ShoalRouteTable *table;

  g_return_val_if_fail (window_usec > 0, NULL);
  g_return_val_if_fail (capacity >= MIN_CAPACITY, NULL);

  table = g_new0 (ShoalRouteTable, 1);
  table->window_usec = window_usec;
  route_set_init (&table->messages, capacity);
  route_set_init (&table->servents, capacity);
  return table;
}

void
shoal_route_table_free (ShoalRouteTable *table)
{
  if (table == NULL)
    return;
  route_set_destroy (&table->messages);
  route_set_destroy (&table->servents);
  g_free (table);
}

ShoalRouteVerdict
shoal_route_table_record (ShoalRouteTable *table,
                          const ShoalGuid *guid,
                          guint8           type,
                          guint64          link_id,
                          guint8           ttl,
                          gint64           now_usec)
{
  RouteSet *set;
  RouteKey key;
  Route *route;

  g_return_val_if_fail (table != NULL && guid != NULL, SHOAL_ROUTE_DUPLICATE);

  set = &table->messages;
  rotate_if_due (set, table->window_usec, now_usec);
  route_key_init (&key, guid, type);
  route = find (set, &key);
  if (route == NULL)
    {
      add (set, &key, ttl, link_id, now_usec);
      return SHOAL_ROUTE_NEW;
    }
  /* The first link closed: a copy that came another way is the only road
   * left back to the sender (§3.3). */
  if (link_is_dead (set, route->link_id))
    route->link_id = link_id;
  if (ttl > route->ttl)
    {
      route->ttl = ttl;
      return SHOAL_ROUTE_HIGHER_TTL;
    }
  return SHOAL_ROUTE_DUPLICATE;
}

gboolean
shoal_route_table_lookup (ShoalRouteTable *table,
                          const ShoalGuid *guid,
                          guint8           type,
                          gint64           now_usec,
                          guint64         *link_id)
{
  RouteKey key;

  g_return_val_if_fail (table != NULL && guid != NULL, FALSE);

  rotate_if_due (&table->messages, table->window_usec, now_usec);
  route_key_init (&key, guid, type);
  return lookup_live (&table->messages, &key, link_id);
}

void
shoal_route_table_record_servent (ShoalRouteTable *table,
                                  const ShoalGuid *servent_guid,
                                  guint64          link_id,
                                  gint64           now_usec)
{
  RouteSet *set;
  RouteKey key;
  Route *route;

  g_return_if_fail (table != NULL && servent_guid != NULL);

  set = &table->servents;
  rotate_if_due (set, table->window_usec, now_usec);
  route_key_init (&key, servent_guid, SERVENT_ROUTE_TYPE);
  /* A route in the current generation is updated in place; one only in
   * the previous generation is recorded afresh, which both refreshes its
   * lifetime and hides the old link (the current one is searched first). */
  route = g_hash_table_lookup (current_generation (set)->routes, &key);
  if (route != NULL)
    route->link_id = link_id;
  else
    add (set, &key, 0, link_id, now_usec);
}

gboolean
shoal_route_table_lookup_servent (ShoalRouteTable *table,
                                  const ShoalGuid *servent_guid,
                                  gint64           now_usec,
                                  guint64         *link_id)
{
  RouteKey key;

  g_return_val_if_fail (table != NULL && servent_guid != NULL, FALSE);

  rotate_if_due (&table->servents, table->window_usec, now_usec);
  route_key_init (&key, servent_guid, SERVENT_ROUTE_TYPE);
  return lookup_live (&table->servents, &key, link_id);
}

void
shoal_route_table_forget_link (ShoalRouteTable *table,
                               guint64          link_id)
{
  g_return_if_fail (table != NULL);

  /* Lookups skip dead links; the routes themselves go with their
   * generation, so forgetting costs nothing per route. */
  mark_link_dead (&table->messages, link_id);
  mark_link_dead (&table->servents, link_id);
}

guint
shoal_route_table_get_size (ShoalRouteTable *table)
{
  g_return_val_if_fail (table != NULL, 0);

  return route_set_size (&table->messages) + route_set_size (&table->servents);
}
