/* shoal-search.c — one search: the query it sends, and its hits gathered
 * into rows that reach the model a batch at a time. */
#include "shoal-search.h"

#include "shoal-magnet.h"
#include "shoal-qrp-keywords.h"
#include "shoal-search-result-private.h"
#include "shoal-urn.h"

#include <string.h>

#define MAGNET_SCHEME "magnet:"
/* A word query's payload besides its text: the flags word and the NUL. */
#define QUERY_TEXT_OVERHEAD 3
/* What separates the user's words; runs of it become one space. */
#define WORD_SEPARATORS " \t\n\r\f\v"

struct _ShoalSearch
{
  GObject           parent_instance;

  char             *text;
  char             *title;
  char             *words;          /* NULL for a hash search */
  gboolean          has_sha1;
  guint8            sha1[SHOAL_SHA1_SIZE];
  ShoalGuid         guid;
  ShoalSearchState  state;
  guint64           hits;
  guint             sources;
  guint             ultrapeers_queried;

  GMainContext     *context;        /* where batches are flushed */
  GListStore       *results;        /* ShoalSearchResult, as flushed */
  GHashTable       *rows_by_key;    /* row key → ShoalSearchResult (ref) */
  GHashTable       *source_keys;    /* every source of every row */

  /* The batch being gathered, applied by flush_batch(). */
  GPtrArray        *new_rows;       /* ShoalSearchResult not in @results */
  GPtrArray        *changed_rows;   /* rows with pending sources */
  guint64           pending_hits;
  GSource          *flush_source;
};

enum
{
  PROP_0,
  PROP_TEXT,
  PROP_TITLE,
  PROP_STATE,
  PROP_HITS,
  PROP_SOURCES,
  PROP_ULTRAPEERS_QUERIED,
  PROP_RESULTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalSearch, shoal_search, G_TYPE_OBJECT)
G_DEFINE_QUARK (shoal-search-error-quark, shoal_search_error)
G_DEFINE_ENUM_TYPE (ShoalSearchState, shoal_search_state,
                    G_DEFINE_ENUM_VALUE (SHOAL_SEARCH_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (SHOAL_SEARCH_FINISHED, "finished"),
                    G_DEFINE_ENUM_VALUE (SHOAL_SEARCH_STOPPED, "stopped"))

/* Reading what the user typed ---------------------------------------------- */

static gboolean
set_invalid (GError     **error,
             const char  *what,
             GError      *cause)
{
  g_set_error (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID,
               "%s: %s", what, cause->message);
  return FALSE;
}

static char *
normalize_whitespace (const char *text)
{
  g_auto(GStrv) pieces = g_strsplit_set (text, WORD_SEPARATORS, -1);
  GString *joined = g_string_new (NULL);

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      if (pieces[i][0] == '\0')
        continue;
      if (joined->len > 0)
        g_string_append_c (joined, ' ');
      g_string_append (joined, pieces[i]);
    }
  return g_string_free (joined, FALSE);
}

static gboolean
parse_words (ShoalSearch  *self,
             const char   *text,
             GError      **error)
{
  g_autofree char *words = normalize_whitespace (text);
  g_autoptr(GPtrArray) keywords = NULL;
  g_autoptr(GError) cause = NULL;
  gsize length = strlen (words);

  /* Peers drop such a query instead of forwarding it (§3.4). */
  if (length + QUERY_TEXT_OVERHEAD > SHOAL_QUERY_FORWARD_SIZE)
    {
      g_set_error (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID,
                   "The search text is %" G_GSIZE_FORMAT " bytes long; peers pass on at most %d",
                   length, SHOAL_QUERY_FORWARD_SIZE - QUERY_TEXT_OVERHEAD);
      return FALSE;
    }
  keywords = shoal_qrp_query_words (words, length, &cause);
  if (keywords == NULL)
    return set_invalid (error, "The search text cannot be searched for", cause);
  /* Routers hash only such words: a query without one reaches no leaf. */
  if (keywords->len == 0)
    {
      g_set_error (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID,
                   "Nothing to search for: give at least one word of %d or more letters",
                   SHOAL_QRP_MIN_WORD_LENGTH);
      return FALSE;
    }
  self->title = g_strdup (words);
  self->words = g_steal_pointer (&words);
  return TRUE;
}

static gboolean
parse_urn (ShoalSearch  *self,
           const char   *text,
           GError      **error)
{
  g_autoptr(GError) cause = NULL;

  if (!shoal_urn_parse_sha1 (text, strlen (text), self->sha1, &cause))
    return set_invalid (error, "Not a SHA-1 URN", cause);
  self->has_sha1 = TRUE;
  self->title = shoal_urn_format_sha1 (self->sha1);
  return TRUE;
}

static gboolean
parse_magnet (ShoalSearch  *self,
              const char   *text,
              GError      **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(ShoalMagnet) magnet = shoal_magnet_parse (text, strlen (text), &cause);

  if (magnet == NULL)
    return set_invalid (error, "Not a valid magnet link", cause);
  if (magnet->has_sha1)
    {
      self->has_sha1 = TRUE;
      memcpy (self->sha1, magnet->sha1, SHOAL_SHA1_SIZE);
      self->title = magnet->display_name != NULL ? g_strdup (magnet->display_name)
                                                 : shoal_urn_format_sha1 (self->sha1);
      return TRUE;
    }
  /* Without a hash, the file's name is still worth searching for. */
  if (magnet->display_name != NULL)
    return parse_words (self, magnet->display_name, error);
  g_set_error_literal (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID,
                       "The magnet link names neither a SHA-1 nor a file name");
  return FALSE;
}

static gboolean
parse_text (ShoalSearch  *self,
            const char   *text,
            GError      **error)
{
  g_autofree char *trimmed = NULL;

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error_literal (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID,
                           "The search text is not valid UTF-8");
      return FALSE;
    }
  trimmed = g_strstrip (g_strdup (text));
  if (shoal_urn_is_urn (trimmed, strlen (trimmed)))
    return parse_urn (self, trimmed, error);
  if (g_ascii_strncasecmp (trimmed, MAGNET_SCHEME, strlen (MAGNET_SCHEME)) == 0)
    return parse_magnet (self, trimmed, error);
  return parse_words (self, trimmed, error);
}

/* Gathering hits ----------------------------------------------------------- */

static gboolean
on_flush_timeout (gpointer data);

static void
schedule_flush (ShoalSearch *self)
{
  if (self->flush_source != NULL)
    return;
  self->flush_source = g_timeout_source_new (SHOAL_SEARCH_BATCH_MS);
  g_source_set_static_name (self->flush_source, "ShoalSearch batch");
  g_source_set_callback (self->flush_source, on_flush_timeout, self, NULL);
  g_source_attach (self->flush_source, self->context);
}

static guint
row_count (ShoalSearch *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->results)) + self->new_rows->len;
}

/* The row for a file: by SHA-1, else by name and size. NULL when the
 * file is new and the rows are at their limit. */
static ShoalSearchResult *
find_or_add_row (ShoalSearch  *self,
                 const char   *name,
                 guint64       size,
                 const guint8 *sha1)
{
  /* URNs start with "urn:", the other keys with a digit: no clash. */
  g_autofree char *key = sha1 != NULL
    ? shoal_urn_format_sha1 (sha1)
    : g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", size, name);
  ShoalSearchResult *row = g_hash_table_lookup (self->rows_by_key, key);

  if (row != NULL)
    return row;
  if (row_count (self) >= SHOAL_SEARCH_MAX_RESULTS)
    return NULL;
  row = shoal_search_result_new (name, size, sha1);
  g_hash_table_insert (self->rows_by_key, g_steal_pointer (&key), row);
  g_ptr_array_add (self->new_rows, g_object_ref (row));
  return row;
}

static ShoalSearchSource *
source_new (const ShoalQueryHit       *hit,
            const ShoalQueryHitRecord *record,
            const char                *name,
            guint64                    link_id)
{
  ShoalSearchSource *source = g_new0 (ShoalSearchSource, 1);

  source->endpoint = hit->endpoint;
  source->servent_guid = hit->servent_guid;
  source->file_index = record->index;
  source->name = g_strdup (name);
  source->route_link_id = link_id;
  if (hit->trailer != NULL)
    {
      g_strlcpy (source->vendor, hit->trailer->vendor, sizeof source->vendor);
      source->push_needed = shoal_query_hit_trailer_has_flag (hit->trailer,
                                                              SHOAL_QUERY_HIT_FLAG_PUSH);
      source->busy = shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_BUSY);
    }
  return source;
}

/* A hash search wants that one file: a record naming another SHA-1, or
 * none we could check, is something else. */
static gboolean
is_wanted (ShoalSearch  *self,
           gboolean      has_sha1,
           const guint8  sha1[SHOAL_SHA1_SIZE])
{
  if (!self->has_sha1)
    return TRUE;
  return has_sha1 && memcmp (sha1, self->sha1, SHOAL_SHA1_SIZE) == 0;
}

static void
add_record (ShoalSearch               *self,
            const ShoalQueryHit       *hit,
            const ShoalQueryHitRecord *record,
            guint64                    link_id)
{
  guint8 sha1[SHOAL_SHA1_SIZE];
  gboolean has_sha1 = shoal_query_hit_record_get_sha1 (record, sha1);
  g_autofree char *name = NULL;
  g_autofree char *source_key = NULL;
  ShoalSearchSource *source;
  ShoalSearchResult *row;
  gboolean had_pending;
  guint64 size;

  self->pending_hits++;
  if (!is_wanted (self, has_sha1, sha1))
    return;
  /* A malformed "LF" leaves no size to show or group by. */
  if (!shoal_query_hit_record_get_file_size (record, &size, NULL))
    return;
  /* Old servents send names in other encodings; the model holds UTF-8. */
  name = g_utf8_make_valid (record->name, -1);
  row = find_or_add_row (self, name, size, has_sha1 ? sha1 : NULL);
  if (row == NULL)
    return;
  source = source_new (hit, record, name, link_id);
  source_key = shoal_search_source_dup_key (source);
  had_pending = shoal_search_result_has_pending_sources (row);
  if (!shoal_search_result_add_source (row, source))
    return;
  g_hash_table_add (self->source_keys, g_steal_pointer (&source_key));
  if (!had_pending)
    g_ptr_array_add (self->changed_rows, g_object_ref (row));
}

/* Applies the gathered batch: one splice for the new rows, one
 * notification per changed row and per changed counter. */
static void
flush_batch (ShoalSearch *self)
{
  g_autoptr(GPtrArray) new_rows = g_steal_pointer (&self->new_rows);
  g_autoptr(GPtrArray) changed_rows = g_steal_pointer (&self->changed_rows);
  guint sources = g_hash_table_size (self->source_keys);
  guint64 pending_hits = self->pending_hits;

  /* Handlers below may add hits: they start the next batch. */
  self->new_rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->changed_rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending_hits = 0;

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < changed_rows->len; i++)
    shoal_search_result_commit_sources (g_ptr_array_index (changed_rows, i));
  if (new_rows->len > 0)
    g_list_store_splice (self->results, g_list_model_get_n_items (G_LIST_MODEL (self->results)),
                         0, new_rows->pdata, new_rows->len);
  if (pending_hits > 0)
    {
      self->hits += pending_hits;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HITS]);
    }
  if (sources != self->sources)
    {
      self->sources = sources;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCES]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
on_flush_timeout (gpointer data)
{
  ShoalSearch *self = data;

  g_clear_pointer (&self->flush_source, g_source_unref);
  flush_batch (self);
  return G_SOURCE_REMOVE;
}

static void
set_state (ShoalSearch      *self,
           ShoalSearchState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Overrides ---------------------------------------------------------------- */

static void
shoal_search_dispose (GObject *object)
{
  ShoalSearch *self = SHOAL_SEARCH (object);

  /* A batch due later must not fire on a finalized search. */
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  g_clear_pointer (&self->new_rows, g_ptr_array_unref);
  g_clear_pointer (&self->changed_rows, g_ptr_array_unref);
  g_clear_pointer (&self->rows_by_key, g_hash_table_unref);
  g_clear_object (&self->results);

  G_OBJECT_CLASS (shoal_search_parent_class)->dispose (object);
}

static void
shoal_search_finalize (GObject *object)
{
  ShoalSearch *self = SHOAL_SEARCH (object);

  g_free (self->text);
  g_free (self->title);
  g_free (self->words);
  g_hash_table_unref (self->source_keys);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (shoal_search_parent_class)->finalize (object);
}

static void
shoal_search_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  ShoalSearch *self = SHOAL_SEARCH (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_HITS:
      g_value_set_uint64 (value, self->hits);
      break;
    case PROP_SOURCES:
      g_value_set_uint (value, self->sources);
      break;
    case PROP_ULTRAPEERS_QUERIED:
      g_value_set_uint (value, self->ultrapeers_queried);
      break;
    case PROP_RESULTS:
      g_value_set_object (value, self->results);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_search_class_init (ShoalSearchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = shoal_search_dispose;
  object_class->finalize = shoal_search_finalize;
  object_class->get_property = shoal_search_get_property;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, "The search as the user gave it", NULL, read_only);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, "What to show: the words, the magnet's name or the URN",
                         NULL, read_only);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, "Running, finished on the network, or stopped",
                       SHOAL_TYPE_SEARCH_STATE, SHOAL_SEARCH_RUNNING, read_only);
  properties[PROP_HITS] =
    g_param_spec_uint64 ("hits", NULL, "Result records received, kept or not",
                         0, G_MAXUINT64, 0, read_only);
  properties[PROP_SOURCES] =
    g_param_spec_uint ("sources", NULL, "Distinct servents offering the files shown",
                       0, G_MAXUINT, 0, read_only);
  properties[PROP_ULTRAPEERS_QUERIED] =
    g_param_spec_uint ("ultrapeers-queried", NULL, "Ultrapeers the query was sent to",
                       0, G_MAXUINT, 0, read_only);
  properties[PROP_RESULTS] =
    g_param_spec_object ("results", NULL, "The files found, as ShoalSearchResult",
                         G_TYPE_LIST_MODEL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
shoal_search_init (ShoalSearch *self)
{
  shoal_guid_init_modern (&self->guid);
  self->state = SHOAL_SEARCH_RUNNING;
  self->context = g_main_context_ref_thread_default ();
  self->results = g_list_store_new (SHOAL_TYPE_SEARCH_RESULT);
  self->rows_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->source_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->new_rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->changed_rows = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Public API --------------------------------------------------------------- */

ShoalSearch *
shoal_search_new (const char  *text,
                  GError     **error)
{
  g_autoptr(ShoalSearch) self = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  self = g_object_new (SHOAL_TYPE_SEARCH, NULL);
  if (!parse_text (self, text, error))
    return NULL;
  self->text = g_strdup (text);
  return g_steal_pointer (&self);
}

const char *
shoal_search_get_text (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), NULL);
  return self->text;
}

const char *
shoal_search_get_title (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), NULL);
  return self->title;
}

const ShoalGuid *
shoal_search_get_guid (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), NULL);
  return &self->guid;
}

ShoalSearchState
shoal_search_get_state (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), SHOAL_SEARCH_STOPPED);
  return self->state;
}

guint64
shoal_search_get_hits (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), 0);
  return self->hits;
}

guint
shoal_search_get_sources (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), 0);
  return self->sources;
}

guint
shoal_search_get_ultrapeers_queried (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), 0);
  return self->ultrapeers_queried;
}

GListModel *
shoal_search_get_results (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), NULL);
  return G_LIST_MODEL (self->results);
}

const char *
shoal_search_get_words (ShoalSearch *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), NULL);
  return self->words;
}

gboolean
shoal_search_get_sha1 (ShoalSearch *self,
                       guint8       sha1[20])
{
  g_return_val_if_fail (SHOAL_IS_SEARCH (self), FALSE);
  if (self->has_sha1 && sha1 != NULL)
    memcpy (sha1, self->sha1, SHOAL_SHA1_SIZE);
  return self->has_sha1;
}

ShoalQuery *
shoal_search_build_query (ShoalSearch *self,
                          gboolean     firewalled)
{
  guint16 flags = SHOAL_QUERY_FLAG_MARKED | SHOAL_QUERY_FLAG_GGEP_H;

  g_return_val_if_fail (SHOAL_IS_SEARCH (self), NULL);
  if (firewalled)
    flags |= SHOAL_QUERY_FLAG_FIREWALLED;
  if (self->has_sha1)
    return shoal_query_new_sha1 (flags, self->sha1, NULL);
  /* Cannot fail: shoal_search_new() keeps only non-empty UTF-8 words. */
  return shoal_query_new_words (flags, self->words, NULL, NULL);
}

void
shoal_search_add_hit (ShoalSearch         *self,
                      const ShoalQueryHit *hit,
                      guint64              link_id)
{
  g_return_if_fail (SHOAL_IS_SEARCH (self));
  g_return_if_fail (hit != NULL);
  if (self->state == SHOAL_SEARCH_STOPPED || hit->records->len == 0)
    return;
  for (guint i = 0; i < hit->records->len; i++)
    add_record (self, hit, g_ptr_array_index (hit->records, i), link_id);
  schedule_flush (self);
}

void
shoal_search_set_ultrapeers_queried (ShoalSearch *self,
                                     guint        count)
{
  g_return_if_fail (SHOAL_IS_SEARCH (self));
  if (self->ultrapeers_queried == count)
    return;
  self->ultrapeers_queried = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ULTRAPEERS_QUERIED]);
}

void
shoal_search_finish (ShoalSearch *self)
{
  g_return_if_fail (SHOAL_IS_SEARCH (self));
  /* A stopped search stays stopped: the user's word wins. */
  if (self->state == SHOAL_SEARCH_RUNNING)
    set_state (self, SHOAL_SEARCH_FINISHED);
}

void
shoal_search_stop (ShoalSearch *self)
{
  g_return_if_fail (SHOAL_IS_SEARCH (self));
  set_state (self, SHOAL_SEARCH_STOPPED);
}
