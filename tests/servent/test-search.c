/* test-search.c — a search: reading its text, its query, and hits turned
 * into rows in batches; a row downloaded through the servent, whose
 * LAN-only mode keeps internet sources out. */
#include "shoal-search.h"

#include "shoal-base32.h"
#include "shoal-servent.h"
#include "shoal-test-loop.h"
#include "shoal-urn.h"

#include <string.h>

/* Past the batch delay by this much before checking what it flushed. */
#define BATCH_MARGIN_MS 100
/* Fails the test rather than hanging it. */
#define WAIT_TIMEOUT_MS 5000
#define BURST_HITS 100
#define GIB (G_GUINT64_CONSTANT (1) << 30)
#define LINK_ID 42

/* Helpers ------------------------------------------------------------------- */

static void
fill_sha1 (guint8 sha1[SHOAL_SHA1_SIZE],
           guint8 seed)
{
  memset (sha1, seed, SHOAL_SHA1_SIZE);
}

/* A hit from @endpoint whose servent GUID starts with @guid_seed; with a
 * trailer of @vendor (NULL: none) and @flags. */
static ShoalQueryHit *
hit_new_from (const ShoalIpv4Endpoint *endpoint,
              guint8                   guid_seed,
              const char              *vendor,
              guint                    flags)
{
  ShoalGuid guid = { { 0 } };
  ShoalQueryHit *hit;

  guid.bytes[0] = guid_seed;
  hit = shoal_query_hit_new (endpoint, 1000, &guid);
  if (vendor != NULL)
    {
      g_autoptr(GError) error = NULL;
      ShoalQueryHitTrailer *trailer = shoal_query_hit_trailer_new (vendor, flags, NULL, &error);

      g_assert_no_error (error);
      shoal_query_hit_set_trailer (hit, trailer);
    }
  return hit;
}

/* A hit from 10.0.x.y:6346. */
static ShoalQueryHit *
hit_new (guint16     host,
         guint8      guid_seed,
         const char *vendor,
         guint       flags)
{
  ShoalIpv4Endpoint endpoint = { 0x0a000000u | host, 6346 };

  return hit_new_from (&endpoint, guid_seed, vendor, flags);
}

/* Adds a record; @sha1_seed 0 means no SHA-1. */
static void
add_record (ShoalQueryHit *hit,
            guint32        index,
            guint64        size,
            const char    *name,
            guint8         sha1_seed)
{
  guint8 sha1[SHOAL_SHA1_SIZE];

  fill_sha1 (sha1, sha1_seed);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (index, size, name,
                                                               sha1_seed != 0 ? sha1 : NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
}

/* Adds a one-record hit to @search. */
static void
give_hit (ShoalSearch *search,
          guint16      host,
          guint8       guid_seed,
          const char  *name,
          guint64      size,
          guint8       sha1_seed)
{
  g_autoptr(ShoalQueryHit) hit = hit_new (host, guid_seed, "GTKG", 0);

  add_record (hit, host, size, name, sha1_seed);
  shoal_search_add_hit (search, hit, LINK_ID);
}

static ShoalSearch *
search_new (const char *text)
{
  g_autoptr(GError) error = NULL;
  ShoalSearch *search = shoal_search_new (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (search);
  return search;
}

static void
expect_invalid (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSearch) search = shoal_search_new (text, &error);

  g_assert_null (search);
  g_assert_error (error, SHOAL_SEARCH_ERROR, SHOAL_SEARCH_ERROR_INVALID);
  g_assert_cmpstr (error->message, !=, "");
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until a batch started now has surely been flushed. */
static void
run_past_batch_delay (void)
{
  gboolean elapsed = FALSE;

  g_timeout_add (SHOAL_SEARCH_BATCH_MS + BATCH_MARGIN_MS, set_flag, &elapsed);
  shoal_test_wait_flag (&elapsed, WAIT_TIMEOUT_MS, "the batch delay to pass");
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    data)
{
  (*(guint *) data)++;
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  (*(guint *) data)++;
}

static ShoalSearchResult *
result_at (ShoalSearch *search,
           guint        position)
{
  GListModel *results = shoal_search_get_results (search);
  g_autoptr(ShoalSearchResult) result = g_list_model_get_item (results, position);

  g_assert_nonnull (result);
  /* The model keeps it alive. */
  return result;
}

static guint
n_results (ShoalSearch *search)
{
  return g_list_model_get_n_items (shoal_search_get_results (search));
}

static ShoalQuery *
round_trip (const ShoalQuery *query)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  ShoalQuery *parsed;

  g_assert_true (shoal_query_write (query, payload, &error));
  g_assert_no_error (error);
  parsed = shoal_query_parse (payload->data, payload->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  return parsed;
}

/* Parsing the text ---------------------------------------------------------- */

static void
test_parse_words (void)
{
  g_autoptr(ShoalSearch) search = search_new ("  free\t jazz \n  live ");
  ShoalSearchState state;
  g_autofree char *title = NULL;
  g_autoptr(GListModel) results = NULL;

  g_assert_cmpstr (shoal_search_get_text (search), ==, "  free\t jazz \n  live ");
  g_assert_cmpstr (shoal_search_get_words (search), ==, "free jazz live");
  g_assert_cmpstr (shoal_search_get_title (search), ==, "free jazz live");
  g_assert_false (shoal_search_get_sha1 (search, NULL));
  g_assert_true (shoal_guid_is_modern (shoal_search_get_guid (search)));
  g_assert_cmpint (shoal_search_get_state (search), ==, SHOAL_SEARCH_RUNNING);
  g_assert_cmpuint (n_results (search), ==, 0);
  g_assert_true (g_list_model_get_item_type (shoal_search_get_results (search))
                 == SHOAL_TYPE_SEARCH_RESULT);

  g_object_get (search, "title", &title, "state", &state, "results", &results, NULL);
  g_assert_cmpstr (title, ==, "free jazz live");
  g_assert_cmpint (state, ==, SHOAL_SEARCH_RUNNING);
  g_assert_true (results == shoal_search_get_results (search));
  g_assert_cmpstr (g_enum_get_value (g_type_class_peek (SHOAL_TYPE_SEARCH_STATE),
                                     SHOAL_SEARCH_STOPPED)->value_nick, ==, "stopped");
}

static void
test_parse_words_short_ones_kept (void)
{
  /* One word long enough is enough; the short ones still go out. */
  g_autoptr(ShoalSearch) search = search_new ("a b jazz");

  g_assert_cmpstr (shoal_search_get_words (search), ==, "a b jazz");
}

static void
test_guid_fresh_per_search (void)
{
  g_autoptr(ShoalSearch) first = search_new ("free jazz");
  g_autoptr(ShoalSearch) second = search_new ("free jazz");

  g_assert_false (shoal_guid_equal (shoal_search_get_guid (first),
                                    shoal_search_get_guid (second)));
}

static void
test_parse_urn (void)
{
  guint8 wanted[SHOAL_SHA1_SIZE];
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autofree char *base32 = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *lower = NULL;
  g_autofree char *text = NULL;
  g_autoptr(ShoalSearch) search = NULL;

  fill_sha1 (wanted, 0x5a);
  base32 = shoal_base32_encode (wanted, SHOAL_SHA1_SIZE);
  canonical = g_strconcat ("urn:sha1:", base32, NULL);
  lower = g_ascii_strdown (base32, -1);
  /* Any case, around spaces. */
  text = g_strconcat (" URN:SHA1:", lower, " ", NULL);
  search = search_new (text);

  g_assert_true (shoal_search_get_sha1 (search, sha1));
  g_assert_cmpmem (sha1, sizeof sha1, wanted, sizeof wanted);
  g_assert_null (shoal_search_get_words (search));
  g_assert_cmpstr (shoal_search_get_title (search), ==, canonical);
  g_assert_cmpstr (shoal_search_get_text (search), ==, text);
}

static void
test_parse_magnet (void)
{
  guint8 wanted[SHOAL_SHA1_SIZE];
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autofree char *base32 = NULL;
  g_autofree char *text = NULL;
  g_autoptr(ShoalSearch) by_hash = NULL;
  g_autoptr(ShoalSearch) by_name = NULL;

  fill_sha1 (wanted, 0x33);
  base32 = shoal_base32_encode (wanted, SHOAL_SHA1_SIZE);
  text = g_strconcat ("MAGNET:?xt=urn:sha1:", base32, "&dn=Free+Jazz%20Live.ogg&xl=1234", NULL);
  by_hash = search_new (text);
  g_assert_true (shoal_search_get_sha1 (by_hash, sha1));
  g_assert_cmpmem (sha1, sizeof sha1, wanted, sizeof wanted);
  g_assert_null (shoal_search_get_words (by_hash));
  g_assert_cmpstr (shoal_search_get_title (by_hash), ==, "Free Jazz Live.ogg");

  /* No hash: the name is searched for as words. */
  by_name = search_new ("magnet:?dn=Free+Jazz+Live.ogg&xs=http://10.0.0.1/x");
  g_assert_false (shoal_search_get_sha1 (by_name, NULL));
  g_assert_cmpstr (shoal_search_get_words (by_name), ==, "Free Jazz Live.ogg");
  g_assert_cmpstr (shoal_search_get_title (by_name), ==, "Free Jazz Live.ogg");
}

static void
test_parse_invalid (void)
{
  g_autofree char *too_long = g_strnfill (SHOAL_QUERY_FORWARD_SIZE, 'x');

  expect_invalid ("");
  expect_invalid ("   \t ");
  /* No word of 3 bytes once punctuation is gone. */
  expect_invalid ("ab cd");
  expect_invalid ("a.b-c d!");
  expect_invalid ("urn:sha1:NOTBASE32");
  expect_invalid ("urn:tree:tiger:AAAA");
  expect_invalid ("magnet:?xt=urn:sha1:TOOSHORT");
  expect_invalid ("magnet:?xs=http://10.0.0.1/file");
  expect_invalid ("magnet:?dn=ab");
  expect_invalid ("caf\xc3 jazz");
  expect_invalid (too_long);
}

/* The query ----------------------------------------------------------------- */

static void
test_query_words (void)
{
  g_autoptr(ShoalSearch) search = search_new (" free   jazz ");
  g_autoptr(ShoalQuery) query = shoal_search_build_query (search, FALSE);
  g_autoptr(ShoalQuery) parsed = round_trip (query);
  g_autoptr(GPtrArray) sha1s = shoal_query_get_sha1s (parsed);
  g_autoptr(ShoalQuery) firewalled = shoal_search_build_query (search, TRUE);
  g_autoptr(ShoalQuery) firewalled_parsed = round_trip (firewalled);

  g_assert_cmpstr (parsed->text, ==, "free jazz");
  g_assert_cmpuint (sha1s->len, ==, 0);
  g_assert_cmphex (parsed->flags, ==, SHOAL_QUERY_FLAG_MARKED | SHOAL_QUERY_FLAG_GGEP_H);
  g_assert_true (shoal_query_has_flag (parsed, SHOAL_QUERY_FLAG_GGEP_H));
  g_assert_false (shoal_query_has_flag (parsed, SHOAL_QUERY_FLAG_FIREWALLED));
  g_assert_cmpuint (shoal_query_max_hits (parsed), ==, 0);

  g_assert_cmpstr (firewalled_parsed->text, ==, "free jazz");
  g_assert_true (shoal_query_has_flag (firewalled_parsed, SHOAL_QUERY_FLAG_FIREWALLED));
  g_assert_true (shoal_query_has_flag (firewalled_parsed, SHOAL_QUERY_FLAG_GGEP_H));
}

static void
test_query_urn (void)
{
  guint8 wanted[SHOAL_SHA1_SIZE];
  g_autofree char *urn = NULL;
  g_autoptr(ShoalSearch) search = NULL;
  g_autoptr(ShoalQuery) query = NULL;
  g_autoptr(ShoalQuery) parsed = NULL;
  g_autoptr(GPtrArray) sha1s = NULL;

  fill_sha1 (wanted, 0x77);
  urn = shoal_urn_format_sha1 (wanted);
  search = search_new (urn);
  query = shoal_search_build_query (search, TRUE);
  parsed = round_trip (query);
  sha1s = shoal_query_get_sha1s (parsed);

  g_assert_cmpstr (parsed->text, ==, SHOAL_QUERY_SHA1_TEXT);
  g_assert_cmpuint (sha1s->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (sha1s->pdata[0], NULL), g_bytes_get_size (sha1s->pdata[0]),
                   wanted, sizeof wanted);
  g_assert_cmphex (parsed->flags, ==, SHOAL_QUERY_FLAG_MARKED | SHOAL_QUERY_FLAG_GGEP_H
                                      | SHOAL_QUERY_FLAG_FIREWALLED);
}

/* Batches ------------------------------------------------------------------- */

static void
test_burst_is_one_model_change (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  GListModel *results = shoal_search_get_results (search);
  guint items_changed = 0;
  guint hits_notified = 0;
  guint sources_notified = 0;

  g_signal_connect (results, "items-changed", G_CALLBACK (on_items_changed), &items_changed);
  g_signal_connect (search, "notify::hits", G_CALLBACK (count_notify), &hits_notified);
  g_signal_connect (search, "notify::sources", G_CALLBACK (count_notify), &sources_notified);
  for (guint i = 0; i < BURST_HITS; i++)
    {
      g_autofree char *name = g_strdup_printf ("free jazz %u.ogg", i);

      give_hit (search, (guint16) (i + 1), (guint8) i, name, 1000 + i, 0);
    }
  /* Nothing reaches the front end before the batch is due. */
  g_assert_cmpuint (items_changed, ==, 0);
  g_assert_cmpuint (n_results (search), ==, 0);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 0);

  run_past_batch_delay ();
  g_assert_cmpuint (items_changed, ==, 1);
  g_assert_cmpuint (n_results (search), ==, BURST_HITS);
  g_assert_cmpuint (hits_notified, ==, 1);
  g_assert_cmpuint (sources_notified, ==, 1);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, BURST_HITS);
  g_assert_cmpuint (shoal_search_get_sources (search), ==, BURST_HITS);
  /* Rows in the order the hits came. */
  g_assert_cmpstr (shoal_search_result_get_name (result_at (search, 0)), ==, "free jazz 0.ogg");
  g_assert_cmpstr (shoal_search_result_get_name (result_at (search, BURST_HITS - 1)), ==,
                   "free jazz 99.ogg");

  /* A later hit is a later batch. */
  give_hit (search, 500, 200, "free jazz late.ogg", 1, 0);
  run_past_batch_delay ();
  g_assert_cmpuint (items_changed, ==, 2);
  g_assert_cmpuint (n_results (search), ==, BURST_HITS + 1);
}

static void
test_source_count_notified_once_per_batch (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  ShoalSearchResult *row;
  guint notified = 0;

  give_hit (search, 1, 1, "free jazz.ogg", 1000, 0x11);
  run_past_batch_delay ();
  row = result_at (search, 0);
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 1);

  g_signal_connect (row, "notify::source-count", G_CALLBACK (count_notify), &notified);
  give_hit (search, 2, 2, "free jazz.ogg", 1000, 0x11);
  give_hit (search, 3, 3, "free jazz.ogg", 1000, 0x11);
  give_hit (search, 4, 4, "free jazz.ogg", 1000, 0x11);
  /* Applied at flush, not per hit. */
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 1);
  g_assert_cmpuint (notified, ==, 0);
  run_past_batch_delay ();
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 4);
  g_assert_cmpuint (n_results (search), ==, 1);
}

/* Grouping ------------------------------------------------------------------ */

static void
test_group_by_sha1 (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  g_autoptr(ShoalQueryHit) pushed = hit_new (2, 2, "LIME",
                                             SHOAL_QUERY_HIT_FLAG_PUSH | SHOAL_QUERY_HIT_FLAG_BUSY);
  g_autoptr(ShoalQueryHit) bare = hit_new (3, 3, NULL, 0);
  g_autoptr(ShoalSearchSource) copy = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  guint8 wanted[SHOAL_SHA1_SIZE];
  const ShoalSearchSource *source;
  ShoalSearchResult *row;
  g_autofree char *urn = NULL;
  g_autofree char *name = NULL;
  guint64 size;
  guint count;

  give_hit (search, 1, 1, "Free Jazz.ogg", 4000, 0x11);
  /* The same file under other names, the SHA-1 in GGEP "H". */
  fill_sha1 (wanted, 0x11);
  shoal_query_hit_add_record (pushed, shoal_query_hit_record_new (7, 4000, "free_jazz (1).ogg",
                                                                  wanted,
                                                                  SHOAL_QUERY_HIT_SHA1_GGEP_H));
  shoal_search_add_hit (search, pushed, 9);
  add_record (bare, 8, 4000, "jazz.ogg", 0x11);
  shoal_search_add_hit (search, bare, 10);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, 1);
  row = result_at (search, 0);
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 3);
  /* The row is named by its first source. */
  g_assert_cmpstr (shoal_search_result_get_name (row), ==, "Free Jazz.ogg");
  g_assert_cmpuint (shoal_search_result_get_size (row), ==, 4000);
  g_assert_true (shoal_search_result_get_sha1 (row, sha1));
  g_assert_cmpmem (sha1, sizeof sha1, wanted, sizeof wanted);
  g_object_get (row, "sha1", &urn, "name", &name, "size", &size, "source-count", &count, NULL);
  g_assert_cmpstr (urn, ==, shoal_search_result_get_urn (row));
  g_assert_true (g_str_has_prefix (urn, "urn:sha1:"));
  g_assert_cmpstr (name, ==, "Free Jazz.ogg");
  g_assert_cmpuint (size, ==, 4000);
  g_assert_cmpuint (count, ==, 3);

  source = shoal_search_result_get_source (row, 0);
  g_assert_cmphex (source->endpoint.address, ==, 0x0a000001u);
  g_assert_cmpuint (source->endpoint.port, ==, 6346);
  g_assert_cmpuint (source->servent_guid.bytes[0], ==, 1);
  g_assert_cmpuint (source->file_index, ==, 1);
  g_assert_cmpstr (source->vendor, ==, "GTKG");
  g_assert_false (source->push_needed);
  g_assert_false (source->busy);
  g_assert_cmpuint (source->route_link_id, ==, LINK_ID);

  source = shoal_search_result_get_source (row, 1);
  g_assert_cmpstr (source->name, ==, "free_jazz (1).ogg");
  g_assert_cmpuint (source->file_index, ==, 7);
  g_assert_cmpstr (source->vendor, ==, "LIME");
  g_assert_true (source->push_needed);
  g_assert_true (source->busy);
  g_assert_cmpuint (source->route_link_id, ==, 9);
  copy = g_boxed_copy (SHOAL_TYPE_SEARCH_SOURCE, source);
  g_assert_cmpstr (copy->name, ==, source->name);
  g_assert_true (copy->name != source->name);

  source = shoal_search_result_get_source (row, 2);
  g_assert_cmpstr (source->name, ==, "jazz.ogg");
  g_assert_cmpstr (source->vendor, ==, "");
  g_assert_false (source->push_needed);
  g_assert_cmpuint (source->route_link_id, ==, 10);
}

static void
test_same_source_counted_once (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  g_autoptr(ShoalQueryHit) twice = hit_new (1, 1, "GTKG", 0);
  ShoalSearchResult *row;

  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0x11);
  /* The same servent again, once more in another hit and twice in one. */
  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0x11);
  add_record (twice, 1, 4000, "free jazz copy.ogg", 0x11);
  add_record (twice, 2, 4000, "free jazz copy 2.ogg", 0x11);
  shoal_search_add_hit (search, twice, LINK_ID);
  /* Same address, another servent GUID: another source. */
  give_hit (search, 1, 2, "free jazz.ogg", 4000, 0x11);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, 1);
  row = result_at (search, 0);
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 2);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 5);
  g_assert_cmpuint (shoal_search_get_sources (search), ==, 2);

  /* Later batches do not bring it back either. */
  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0x11);
  run_past_batch_delay ();
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 2);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 6);
}

static void
test_group_by_name_and_size (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  ShoalSearchResult *row;

  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0);
  give_hit (search, 2, 2, "free jazz.ogg", 4000, 0);
  give_hit (search, 3, 3, "free jazz.ogg", 4001, 0);
  give_hit (search, 4, 4, "Free Jazz.ogg", 4000, 0);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, 3);
  row = result_at (search, 0);
  g_assert_cmpstr (shoal_search_result_get_name (row), ==, "free jazz.ogg");
  g_assert_cmpuint (shoal_search_result_get_size (row), ==, 4000);
  g_assert_cmpuint (shoal_search_result_get_source_count (row), ==, 2);
  g_assert_false (shoal_search_result_get_sha1 (row, NULL));
  g_assert_null (shoal_search_result_get_urn (row));
  g_assert_cmpuint (shoal_search_result_get_size (result_at (search, 1)), ==, 4001);
  g_assert_cmpstr (shoal_search_result_get_name (result_at (search, 2)), ==, "Free Jazz.ogg");
  g_assert_cmpuint (shoal_search_get_sources (search), ==, 4);
}

static void
test_sources_distinct_over_rows (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  g_autoptr(ShoalQueryHit) two_files = hit_new (1, 1, "GTKG", 0);
  guint notified = 0;

  g_signal_connect (search, "notify::sources", G_CALLBACK (count_notify), &notified);
  add_record (two_files, 1, 4000, "free jazz 1.ogg", 0x11);
  add_record (two_files, 2, 5000, "free jazz 2.ogg", 0x22);
  shoal_search_add_hit (search, two_files, LINK_ID);
  give_hit (search, 2, 2, "free jazz 1.ogg", 4000, 0x11);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, 2);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 3);
  /* Host 1 offers two files but is one source. */
  g_assert_cmpuint (shoal_search_get_sources (search), ==, 2);
  g_assert_cmpuint (notified, ==, 1);
}

static void
test_large_sizes (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  guint64 size;

  give_hit (search, 1, 1, "free jazz.iso", 5 * GIB, 0);
  give_hit (search, 2, 2, "free jazz.iso", 5 * GIB, 0);
  /* Only the high bits tell these apart; LF carries them. */
  give_hit (search, 3, 3, "free jazz.iso", 5 * GIB + 1, 0);
  give_hit (search, 4, 4, "free jazz.iso", 4 * GIB, 0);
  give_hit (search, 5, 5, "free jazz big.iso", 3 * GIB, 0x11);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, 4);
  g_assert_cmpuint (shoal_search_result_get_size (result_at (search, 0)), ==, 5 * GIB);
  g_assert_cmpuint (shoal_search_result_get_source_count (result_at (search, 0)), ==, 2);
  g_assert_cmpuint (shoal_search_result_get_size (result_at (search, 1)), ==, 5 * GIB + 1);
  g_assert_cmpuint (shoal_search_result_get_size (result_at (search, 2)), ==, 4 * GIB);
  g_object_get (result_at (search, 3), "size", &size, NULL);
  g_assert_cmpuint (size, ==, 3 * GIB);
}

static void
test_hash_search_keeps_its_file (void)
{
  guint8 wanted[SHOAL_SHA1_SIZE];
  g_autofree char *urn = NULL;
  g_autoptr(ShoalSearch) search = NULL;
  g_autoptr(ShoalQueryHit) hit = hit_new (1, 1, "GTKG", 0);
  ShoalSearchResult *row;
  guint8 sha1[SHOAL_SHA1_SIZE];

  fill_sha1 (wanted, 0x11);
  urn = shoal_urn_format_sha1 (wanted);
  search = search_new (urn);
  add_record (hit, 1, 4000, "other.ogg", 0x22);
  add_record (hit, 2, 4000, "wanted.ogg", 0x11);
  add_record (hit, 3, 4000, "unknown.ogg", 0);
  shoal_search_add_hit (search, hit, LINK_ID);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, 1);
  row = result_at (search, 0);
  g_assert_cmpstr (shoal_search_result_get_name (row), ==, "wanted.ogg");
  g_assert_true (shoal_search_result_get_sha1 (row, sha1));
  g_assert_cmpmem (sha1, sizeof sha1, wanted, sizeof wanted);
  /* Dropped records still count as hits. */
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 3);
  g_assert_cmpuint (shoal_search_get_sources (search), ==, 1);
}

static void
test_rows_capped (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  guint records = 0;
  guint items_changed = 0;

  g_signal_connect (shoal_search_get_results (search), "items-changed",
                    G_CALLBACK (on_items_changed), &items_changed);
  for (guint16 host = 1; records <= SHOAL_SEARCH_MAX_RESULTS; host++)
    {
      g_autoptr(ShoalQueryHit) hit = hit_new (host, 1, "GTKG", 0);

      for (guint i = 0; i < SHOAL_QUERY_HIT_MAX_RECORDS; i++, records++)
        {
          g_autofree char *name = g_strdup_printf ("free jazz %u.ogg", records);

          add_record (hit, i, 1000, name, 0);
        }
      shoal_search_add_hit (search, hit, LINK_ID);
    }
  /* A file already shown still gains sources. */
  give_hit (search, 9999, 9, "free jazz 0.ogg", 1000, 0);
  run_past_batch_delay ();

  g_assert_cmpuint (n_results (search), ==, SHOAL_SEARCH_MAX_RESULTS);
  g_assert_cmpuint (items_changed, ==, 1);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, records + 1);
  g_assert_cmpuint (shoal_search_result_get_source_count (result_at (search, 0)), ==, 2);
}

/* State --------------------------------------------------------------------- */

static void
test_stop_ignores_later_hits (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  guint state_notified = 0;

  g_signal_connect (search, "notify::state", G_CALLBACK (count_notify), &state_notified);
  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0);
  shoal_search_stop (search);
  g_assert_cmpint (shoal_search_get_state (search), ==, SHOAL_SEARCH_STOPPED);
  g_assert_cmpuint (state_notified, ==, 1);
  give_hit (search, 2, 2, "free jazz.ogg", 4000, 0);
  give_hit (search, 3, 3, "free jazz 2.ogg", 4000, 0);

  /* What came before the stop still arrives. */
  run_past_batch_delay ();
  g_assert_cmpuint (n_results (search), ==, 1);
  g_assert_cmpuint (shoal_search_result_get_source_count (result_at (search, 0)), ==, 1);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 1);
  g_assert_cmpuint (shoal_search_get_sources (search), ==, 1);

  /* Finishing does not revive it; stopping twice says nothing new. */
  shoal_search_finish (search);
  shoal_search_stop (search);
  g_assert_cmpint (shoal_search_get_state (search), ==, SHOAL_SEARCH_STOPPED);
  g_assert_cmpuint (state_notified, ==, 1);
}

static void
test_finish_still_takes_hits (void)
{
  g_autoptr(ShoalSearch) search = search_new ("free jazz");
  guint state_notified = 0;
  guint queried_notified = 0;

  g_signal_connect (search, "notify::state", G_CALLBACK (count_notify), &state_notified);
  g_signal_connect (search, "notify::ultrapeers-queried", G_CALLBACK (count_notify),
                    &queried_notified);
  shoal_search_set_ultrapeers_queried (search, 12);
  shoal_search_set_ultrapeers_queried (search, 12);
  g_assert_cmpuint (shoal_search_get_ultrapeers_queried (search), ==, 12);
  g_assert_cmpuint (queried_notified, ==, 1);

  shoal_search_finish (search);
  g_assert_cmpint (shoal_search_get_state (search), ==, SHOAL_SEARCH_FINISHED);
  g_assert_cmpuint (state_notified, ==, 1);
  /* Late hits of a finished search are still shown. */
  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0);
  run_past_batch_delay ();
  g_assert_cmpuint (n_results (search), ==, 1);
  g_assert_cmpuint (shoal_search_get_hits (search), ==, 1);
}

static void
test_dispose_with_pending_batch (void)
{
  ShoalSearch *search = search_new ("free jazz");
  g_autoptr(GListModel) results = g_object_ref (shoal_search_get_results (search));
  guint items_changed = 0;

  g_signal_connect (results, "items-changed", G_CALLBACK (on_items_changed), &items_changed);
  g_object_add_weak_pointer (G_OBJECT (search), (gpointer *) &search);
  give_hit (search, 1, 1, "free jazz.ogg", 4000, 0x11);
  give_hit (search, 2, 2, "free jazz 2.ogg", 4000, 0);
  g_object_unref (search);
  g_assert_null (search);

  /* The batch timer went with the search: nothing fires on it. */
  run_past_batch_delay ();
  g_assert_cmpuint (items_changed, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 0);
}

/* Downloading through the servent ---------------------------------------------- */

#define SERVENT_SHA1_SEED 0x5a
#define SERVENT_FILE_SIZE 4000

/* A servent on @address that dials nothing (no anchor, no bootstrap, no
 * LAN discovery); with @allow_private (test mode) loopback is taken as
 * a LAN address. */
static ShoalServent *
servent_start_with (const char *address,
                    gboolean    lan_only,
                    gboolean    allow_private,
                    const char *data_dir)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;
  ShoalServent *servent;

  g_free (config->data_dir);
  config->data_dir = g_strdup (data_dir);
  config->download_dir = g_build_filename (data_dir, "complete", NULL);
  config->listen_address = g_strdup (address);
  config->port = 0;
  config->role_mode = SHOAL_ROLE_MODE_LEAF;
  config->allow_private = allow_private;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;
  config->lan_discovery = FALSE;
  config->lan_only = lan_only;
  servent = shoal_servent_new (config, NULL);
  g_assert_true (shoal_servent_start (servent, &error));
  g_assert_no_error (error);
  return servent;
}

static ShoalServent *
servent_start (const char *address,
               gboolean    lan_only,
               const char *data_dir)
{
  return servent_start_with (address, lan_only, TRUE, data_dir);
}

/* A row of one file found at 8.8.8.8:6346 (the internet), 10.1.2.3:6346
 * and 127.0.0.1:6346 (LAN addresses in test mode). */
static ShoalSearch *
search_with_internet_source (void)
{
  const ShoalIpv4Endpoint endpoints[] = {
    { 0x08080808u, 6346 },
    { 0x0a010203u, 6346 },
    { 0x7f000001u, 6346 },
  };
  ShoalSearch *search = search_new ("lan only");

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      g_autoptr(ShoalQueryHit) hit = hit_new_from (&endpoints[i], (guint8) (i + 1), "GTKG", 0);

      add_record (hit, 1, SERVENT_FILE_SIZE, "lan only.ogg", SERVENT_SHA1_SEED);
      shoal_search_add_hit (search, hit, LINK_ID);
    }
  run_past_batch_delay ();
  g_assert_cmpuint (n_results (search), ==, 1);
  g_assert_cmpuint (shoal_search_result_get_source_count (result_at (search, 0)), ==,
                    G_N_ELEMENTS (endpoints));
  return search;
}

/* Downloads the row through a servent; the download is paused before
 * the row's sources join it, so nothing is ever dialled whatever the
 * servent lets in. Returns the sources it took. */
static guint
download_row (ShoalServent *servent,
              ShoalSearch  *search)
{
  ShoalTransfers *transfers = shoal_servent_get_transfers (servent);
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(ShoalDownload) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *urn = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  guint sources;

  fill_sha1 (sha1, SERVENT_SHA1_SEED);
  urn = shoal_urn_format_sha1 (sha1);
  download = shoal_transfers_add_urn (transfers, urn, "lan only.ogg", SERVENT_FILE_SIZE, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_transfers_pause (transfers, download, &error));
  g_assert_no_error (error);
  again = shoal_servent_download (servent, result_at (search, 0), &error);
  g_assert_no_error (error);
  g_assert_true (again == download);
  sources = shoal_download_get_sources (download);
  g_assert_true (shoal_transfers_cancel (transfers, download, TRUE, &error));
  g_assert_no_error (error);
  return sources;
}

static void
servent_stop (ShoalServent *servent,
              char         *data_dir)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);

  shoal_servent_shutdown (servent);
  g_object_run_dispose (G_OBJECT (servent));
  g_object_unref (servent);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (data_dir);
}

/* In LAN-only mode the servent's downloads take no source beyond the
 * LAN: the internet one of a row is refused and counted, the others
 * join. Outside it, every source joins. */
static void
test_servent_lan_only_refuses_internet_sources (void)
{
  g_autoptr(ShoalSearch) search = search_with_internet_source ();
  g_autoptr(GError) error = NULL;
  char *lan_dir = g_dir_make_tmp ("shoal-servent-lan-XXXXXX", &error);
  char *plain_dir = NULL;
  ShoalServent *lan_only;
  ShoalServent *plain;

  g_assert_no_error (error);
  plain_dir = g_dir_make_tmp ("shoal-servent-plain-XXXXXX", &error);
  g_assert_no_error (error);
  lan_only = servent_start ("127.0.51.1", TRUE, lan_dir);
  plain = servent_start ("127.0.51.2", FALSE, plain_dir);

  g_assert_cmpuint (download_row (lan_only, search), ==, 2);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (shoal_servent_get_transfers (lan_only)),
                    ==, 1);
  g_assert_cmpuint (download_row (plain, search), ==, 3);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (shoal_servent_get_transfers (plain)),
                    ==, 0);

  servent_stop (lan_only, lan_dir);
  servent_stop (plain, plain_dir);
}

/* Outside LAN-only and test mode, a source named on our LAN or loopback
 * by whoever answered is refused and counted (nobody is announced on
 * the LAN here): only the internet one joins, never dialled (paused). */
static void
test_servent_refuses_private_sources (void)
{
  g_autoptr(ShoalSearch) search = search_with_internet_source ();
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("shoal-servent-strict-XXXXXX", &error);
  ShoalServent *strict;
  ShoalTransfers *transfers;

  g_assert_no_error (error);
  strict = servent_start_with ("127.0.51.3", FALSE, FALSE, dir);
  transfers = shoal_servent_get_transfers (strict);

  g_assert_cmpuint (download_row (strict, search), ==, 1);
  g_assert_cmpuint (shoal_transfers_get_refused_sources (transfers), ==, 2);

  servent_stop (strict, dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/search/parse/words", test_parse_words);
  g_test_add_func ("/search/parse/words-short-ones-kept", test_parse_words_short_ones_kept);
  g_test_add_func ("/search/parse/guid-fresh", test_guid_fresh_per_search);
  g_test_add_func ("/search/parse/urn", test_parse_urn);
  g_test_add_func ("/search/parse/magnet", test_parse_magnet);
  g_test_add_func ("/search/parse/invalid", test_parse_invalid);
  g_test_add_func ("/search/query/words", test_query_words);
  g_test_add_func ("/search/query/urn", test_query_urn);
  g_test_add_func ("/search/batch/burst-one-change", test_burst_is_one_model_change);
  g_test_add_func ("/search/batch/source-count-once", test_source_count_notified_once_per_batch);
  g_test_add_func ("/search/group/sha1", test_group_by_sha1);
  g_test_add_func ("/search/group/same-source", test_same_source_counted_once);
  g_test_add_func ("/search/group/name-size", test_group_by_name_and_size);
  g_test_add_func ("/search/group/sources-over-rows", test_sources_distinct_over_rows);
  g_test_add_func ("/search/group/large-sizes", test_large_sizes);
  g_test_add_func ("/search/group/rows-capped", test_rows_capped);
  g_test_add_func ("/search/hash/keeps-its-file", test_hash_search_keeps_its_file);
  g_test_add_func ("/search/state/stop", test_stop_ignores_later_hits);
  g_test_add_func ("/search/state/finish", test_finish_still_takes_hits);
  g_test_add_func ("/search/dispose-pending", test_dispose_with_pending_batch);
  g_test_add_func ("/search/servent/lan-only-refuses-internet-sources",
                   test_servent_lan_only_refuses_internet_sources);
  g_test_add_func ("/search/servent/refuses-private-sources", test_servent_refuses_private_sources);

  return g_test_run ();
}
