/* shoal-search-result.c — one file found by a search and its sources. */
#include "shoal-search-result-private.h"

#include <string.h>

struct _ShoalSearchResult
{
  GObject     parent_instance;

  char       *name;
  guint64     size;
  gboolean    has_sha1;
  guint8      sha1[SHOAL_SHA1_SIZE];
  char       *urn;             /* "urn:sha1:…" or NULL */
  GPtrArray  *sources;         /* of ShoalSearchSource*, visible */
  /* Sources found since the last commit: the search makes them visible a
   * batch at a time, so one burst of hits is one notification. */
  GPtrArray  *pending_sources;
  GHashTable *source_keys;     /* keys of sources and pending_sources */
};

enum
{
  PROP_0,
  PROP_NAME,
  PROP_SIZE,
  PROP_SHA1,
  PROP_SOURCE_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalSearchResult, shoal_search_result, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (ShoalSearchSource, shoal_search_source,
                     shoal_search_source_copy, shoal_search_source_free)

/* Overrides ---------------------------------------------------------------- */

static void
shoal_search_result_finalize (GObject *object)
{
  ShoalSearchResult *self = SHOAL_SEARCH_RESULT (object);

  g_free (self->name);
  g_free (self->urn);
  g_ptr_array_unref (self->sources);
  g_ptr_array_unref (self->pending_sources);
  g_hash_table_unref (self->source_keys);

  G_OBJECT_CLASS (shoal_search_result_parent_class)->finalize (object);
}

static void
shoal_search_result_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ShoalSearchResult *self = SHOAL_SEARCH_RESULT (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_SHA1:
      g_value_set_string (value, self->urn);
      break;
    case PROP_SOURCE_COUNT:
      g_value_set_uint (value, self->sources->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_search_result_class_init (ShoalSearchResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = shoal_search_result_finalize;
  object_class->get_property = shoal_search_result_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "The file name the first source gave", NULL, read_only);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, "The file size in bytes", 0, G_MAXUINT64, 0, read_only);
  properties[PROP_SHA1] =
    g_param_spec_string ("sha1", NULL, "The file's \"urn:sha1:BASE32\", or NULL when unknown",
                         NULL, read_only);
  properties[PROP_SOURCE_COUNT] =
    g_param_spec_uint ("source-count", NULL, "Distinct servents offering the file",
                       0, G_MAXUINT, 0, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_search_result_init (ShoalSearchResult *self)
{
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_search_source_free);
  self->pending_sources = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_search_source_free);
  self->source_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Private API -------------------------------------------------------------- */

ShoalSearchResult *
shoal_search_result_new (const char   *name,
                         guint64       size,
                         const guint8 *sha1)
{
  ShoalSearchResult *self;

  g_return_val_if_fail (name != NULL, NULL);
  self = g_object_new (SHOAL_TYPE_SEARCH_RESULT, NULL);
  self->name = g_strdup (name);
  self->size = size;
  if (sha1 != NULL)
    {
      self->has_sha1 = TRUE;
      memcpy (self->sha1, sha1, SHOAL_SHA1_SIZE);
      self->urn = shoal_urn_format_sha1 (sha1);
    }
  return self;
}

char *
shoal_search_source_dup_key (const ShoalSearchSource *source)
{
  char guid[SHOAL_GUID_HEX_LENGTH + 1];

  return g_strdup_printf ("%08" G_GINT32_MODIFIER "x:%u/%s",
                          source->endpoint.address, source->endpoint.port,
                          shoal_guid_format (&source->servent_guid, guid));
}

gboolean
shoal_search_result_add_source (ShoalSearchResult *self,
                                ShoalSearchSource *source)
{
  g_autoptr(ShoalSearchSource) owned = source;

  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), FALSE);
  g_return_val_if_fail (source != NULL, FALSE);
  if (!g_hash_table_add (self->source_keys, shoal_search_source_dup_key (source)))
    return FALSE;
  g_ptr_array_add (self->pending_sources, g_steal_pointer (&owned));
  return TRUE;
}

gboolean
shoal_search_result_has_pending_sources (ShoalSearchResult *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), FALSE);
  return self->pending_sources->len > 0;
}

guint
shoal_search_result_commit_sources (ShoalSearchResult *self)
{
  guint count;

  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), 0);
  count = self->pending_sources->len;
  if (count == 0)
    return 0;
  g_ptr_array_extend_and_steal (self->sources, g_steal_pointer (&self->pending_sources));
  self->pending_sources = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_search_source_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE_COUNT]);
  return count;
}

/* Public API --------------------------------------------------------------- */

ShoalSearchSource *
shoal_search_source_copy (const ShoalSearchSource *source)
{
  ShoalSearchSource *copy;

  g_return_val_if_fail (source != NULL, NULL);
  copy = g_new (ShoalSearchSource, 1);
  memcpy (copy, source, sizeof *copy);
  copy->name = g_strdup (source->name);
  return copy;
}

void
shoal_search_source_free (ShoalSearchSource *source)
{
  if (source == NULL)
    return;
  g_free (source->name);
  g_free (source);
}

const char *
shoal_search_result_get_name (ShoalSearchResult *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), NULL);
  return self->name;
}

guint64
shoal_search_result_get_size (ShoalSearchResult *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), 0);
  return self->size;
}

gboolean
shoal_search_result_get_sha1 (ShoalSearchResult *self,
                              guint8             sha1[20])
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), FALSE);
  if (self->has_sha1 && sha1 != NULL)
    memcpy (sha1, self->sha1, SHOAL_SHA1_SIZE);
  return self->has_sha1;
}

const char *
shoal_search_result_get_urn (ShoalSearchResult *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), NULL);
  return self->urn;
}

guint
shoal_search_result_get_source_count (ShoalSearchResult *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), 0);
  return self->sources->len;
}

const ShoalSearchSource *
shoal_search_result_get_source (ShoalSearchResult *self,
                                guint              position)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (self), NULL);
  g_return_val_if_fail (position < self->sources->len, NULL);
  return g_ptr_array_index (self->sources, position);
}
