/* shoal-search.h — one search the user started: what it asks, the query
 * it sends, and what came back as a list of files with their sources.
 * The router feeds it hits; it turns them into rows in batches, so a
 * burst of hits costs the front end one model change, not one per hit. */
#pragma once

#include <gio/gio.h>

#include "shoal-guid.h"
#include "shoal-query-hit.h"
#include "shoal-query.h"
#include "shoal-search-result.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_SEARCH (shoal_search_get_type ())
G_DECLARE_FINAL_TYPE (ShoalSearch, shoal_search, SHOAL, SEARCH, GObject)

#define SHOAL_SEARCH_ERROR (shoal_search_error_quark ())
typedef enum
{
  SHOAL_SEARCH_ERROR_INVALID,   /* nothing searchable in the text */
} ShoalSearchError;
GQuark shoal_search_error_quark (void);

/* New rows and changed counters reach the model at most this often. */
#define SHOAL_SEARCH_BATCH_MS 250
/* Rows kept at most; hits for further files are counted, not kept.
 * (A popular word on the network brings a few thousand.) */
#define SHOAL_SEARCH_MAX_RESULTS 10000

typedef enum
{
  SHOAL_SEARCH_RUNNING,
  SHOAL_SEARCH_FINISHED,   /* the network part ended; late hits still come */
  SHOAL_SEARCH_STOPPED,    /* the user stopped it: hits are ignored */
} ShoalSearchState;

#define SHOAL_TYPE_SEARCH_STATE (shoal_search_state_get_type ())
GType shoal_search_state_get_type (void) G_GNUC_CONST;

/* @text: keywords, "urn:sha1:BASE32", or a magnet URI with an
 * xt=urn:sha1 (its dn becomes the search's title). Fails with
 * SHOAL_SEARCH_ERROR_INVALID when it holds no word of at least 3 bytes
 * and no SHA-1, or words too long for peers to forward the query.
 * Batches are flushed on the thread-default main context of the caller,
 * whose thread is the only one to use the search. */
ShoalSearch      *shoal_search_new           (const char  *text,
                                              GError     **error);

/* Properties: text (as given), title (what to show: the words, or the
 * magnet's dn, or the urn), state, hits (records received, kept or not),
 * sources (distinct sources over all rows), ultrapeers-queried. */
const char       *shoal_search_get_text      (ShoalSearch *self);
const char       *shoal_search_get_title     (ShoalSearch *self);
const ShoalGuid  *shoal_search_get_guid      (ShoalSearch *self);
ShoalSearchState  shoal_search_get_state     (ShoalSearch *self);
guint64           shoal_search_get_hits      (ShoalSearch *self);
guint             shoal_search_get_sources   (ShoalSearch *self);
guint             shoal_search_get_ultrapeers_queried (ShoalSearch *self);
/* A GListModel of ShoalSearchResult (transfer none). */
GListModel       *shoal_search_get_results   (ShoalSearch *self);
/* The words to search for (NULL for a hash search) and the SHA-1 (FALSE
 * when none). */
const char       *shoal_search_get_words     (ShoalSearch *self);
gboolean          shoal_search_get_sha1      (ShoalSearch *self,
                                              guint8       sha1[20]);

/* The query message payload to send: the words (or "\\" for a hash
 * search), the urn:sha1 as HUGE, flags of a modern servent (0x8000, GGEP H
 * wanted 0x0800) with 0x4000 when @firewalled. */
ShoalQuery       *shoal_search_build_query   (ShoalSearch *self,
                                              gboolean     firewalled);

/* A hit for our query arrived through link @link_id. Records of a hash
 * search that name another SHA-1 are dropped; the rest join their row
 * (by SHA-1, else by name and size). Ignored once stopped. */
void              shoal_search_add_hit       (ShoalSearch         *self,
                                              const ShoalQueryHit *hit,
                                              guint64              link_id);
void              shoal_search_set_ultrapeers_queried (ShoalSearch *self,
                                                       guint        count);
/* The network part is over (dynamic querying ended). */
void              shoal_search_finish        (ShoalSearch *self);
/* The user stops it: state STOPPED, no more hits taken, pending rows
 * still delivered. */
void              shoal_search_stop          (ShoalSearch *self);

G_END_DECLS
