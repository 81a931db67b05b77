/* shoal-pong-cache.c — recent pongs kept to answer pings without flooding. */
#include "shoal-pong-cache.h"

typedef struct
{
  GBytes            *payload;
  guint8             hops;
  ShoalIpv4Endpoint  endpoint;
  guint64            link_id;
  gint64             received_usec;
} Entry;

struct _ShoalPongCache
{
  gint64  lifetime_usec;
  guint   capacity;
  GQueue  entries;  /* of Entry*, oldest first */
};

static void
entry_free (gpointer pointer)
{
  Entry *entry = pointer;

  g_bytes_unref (entry->payload);
  g_free (entry);
}

void
shoal_cached_pong_free (ShoalCachedPong *pong)
{
  if (pong == NULL)
    return;
  g_bytes_unref (pong->payload);
  g_free (pong);
}

ShoalPongCache *
shoal_pong_cache_new (gint64 lifetime_usec,
                      guint  capacity)
{
  ShoalPongCache *cache = g_new0 (ShoalPongCache, 1);

  g_return_val_if_fail (capacity > 0, NULL);
  cache->lifetime_usec = lifetime_usec;
  cache->capacity = capacity;
  g_queue_init (&cache->entries);
  return cache;
}

void
shoal_pong_cache_free (ShoalPongCache *cache)
{
  if (cache == NULL)
    return;
  g_queue_clear_full (&cache->entries, entry_free);
  g_free (cache);
}

static gboolean
same_host (const ShoalIpv4Endpoint *a,
           const ShoalIpv4Endpoint *b)
{
  return a->address == b->address && a->port == b->port;
}

/* Entries are in arrival order, so the expired ones are at the head. */
static void
expire (ShoalPongCache *cache,
        gint64          now_usec)
{
  Entry *oldest;

  while ((oldest = g_queue_peek_head (&cache->entries)) != NULL &&
         now_usec - oldest->received_usec > cache->lifetime_usec)
    entry_free (g_queue_pop_head (&cache->entries));
}

static void
remove_matching (ShoalPongCache *cache,
                 gboolean      (*matches) (const Entry *entry, gconstpointer data),
                 gconstpointer   data)
{
  GList *link = cache->entries.head;

  while (link != NULL)
    {
      GList *next = link->next;

      if (matches (link->data, data))
        {
          entry_free (link->data);
          g_queue_delete_link (&cache->entries, link);
        }
      link = next;
    }
}

static gboolean
entry_is_host (const Entry   *entry,
               gconstpointer  data)
{
  return same_host (&entry->endpoint, data);
}

static gboolean
entry_is_from_link (const Entry   *entry,
                    gconstpointer  data)
{
  return entry->link_id == *(const guint64 *) data;
}

void
shoal_pong_cache_add (ShoalPongCache  *cache,
                      const ShoalPong *pong,
                      guint8           hops,
                      guint64          link_id,
                      gint64           now_usec)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  Entry *entry;

  g_return_if_fail (cache != NULL && pong != NULL);
  if (!shoal_pong_write (pong, payload, NULL))
    return;
  expire (cache, now_usec);
  remove_matching (cache, entry_is_host, &pong->endpoint);
  while (cache->entries.length >= cache->capacity)
    entry_free (g_queue_pop_head (&cache->entries));

  entry = g_new0 (Entry, 1);
  entry->payload = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  entry->hops = hops;
  entry->endpoint = pong->endpoint;
  entry->link_id = link_id;
  entry->received_usec = now_usec;
  g_queue_push_tail (&cache->entries, entry);
}

void
shoal_pong_cache_forget_link (ShoalPongCache *cache,
                              guint64         link_id)
{
  g_return_if_fail (cache != NULL);
  remove_matching (cache, entry_is_from_link, &link_id);
}

static ShoalCachedPong *
cached_pong_new (const Entry *entry)
{
  ShoalCachedPong *pong = g_new0 (ShoalCachedPong, 1);

  pong->payload = g_bytes_ref (entry->payload);
  pong->hops = entry->hops;
  pong->endpoint = entry->endpoint;
  return pong;
}

GPtrArray *
shoal_pong_cache_select (ShoalPongCache *cache,
                         guint64         asking_link_id,
                         guint           max,
                         gint64          now_usec)
{
  GPtrArray *selected = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_cached_pong_free);
  GSList *by_hops[G_MAXUINT8 + 1] = { NULL };
  gboolean took_any = TRUE;

  g_return_val_if_fail (cache != NULL, selected);
  expire (cache, now_usec);
  /* One pass, oldest first, so each bucket lists its newest pong first. */
  for (GList *link = cache->entries.head; link != NULL; link = link->next)
    {
      Entry *entry = link->data;

      if (entry->link_id != asking_link_id)
        by_hops[entry->hops] = g_slist_prepend (by_hops[entry->hops], entry);
    }
  /* Round after round, one pong of each hop count, nearest first. */
  while (selected->len < max && took_any)
    {
      took_any = FALSE;
      for (guint hops = 0; hops <= G_MAXUINT8 && selected->len < max; hops++)
        {
          if (by_hops[hops] == NULL)
            continue;
          g_ptr_array_add (selected, cached_pong_new (by_hops[hops]->data));
          by_hops[hops] = g_slist_delete_link (by_hops[hops], by_hops[hops]);
          took_any = TRUE;
        }
    }
  for (guint hops = 0; hops <= G_MAXUINT8; hops++)
    g_slist_free (by_hops[hops]);
  return selected;
}

guint
shoal_pong_cache_count (ShoalPongCache *cache,
                        gint64          now_usec)
{
  g_return_val_if_fail (cache != NULL, 0);
  expire (cache, now_usec);
  return cache->entries.length;
}
