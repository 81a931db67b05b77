/* shoal-search-result-private.h — what ShoalSearch needs to build and grow
 * its rows; front ends only read them. */
#pragma once

#include "shoal-search-result.h"

#include "shoal-urn.h"

G_BEGIN_DECLS

/* A row without sources. @sha1 may be NULL. */
ShoalSearchResult *shoal_search_result_new             (const char   *name,
                                                        guint64       size,
                                                        const guint8 *sha1);
/* Queues @source (taken) for the next commit, unless the row already has
 * or queued one with its endpoint and servent GUID (then it is freed).
 * TRUE when it was queued. */
gboolean           shoal_search_result_add_source      (ShoalSearchResult *self,
                                                        ShoalSearchSource *source);
gboolean           shoal_search_result_has_pending_sources (ShoalSearchResult *self);
/* Makes the queued sources visible and notifies source-count once.
 * Returns how many there were. */
guint              shoal_search_result_commit_sources  (ShoalSearchResult *self);

/* What tells two sources apart: endpoint and servent GUID, as a string
 * usable as a hash table key. */
char              *shoal_search_source_dup_key         (const ShoalSearchSource *source);

G_END_DECLS
