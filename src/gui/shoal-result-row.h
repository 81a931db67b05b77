/* shoal-result-row.h — one row of a search tab: a file found on the
 * network (a ShoalSearchResult and its sources) or one of the user's own
 * shared files matching the same search. Both kinds sit in one model, so
 * the columns, sorters and filters see a single type. */
#pragma once

#include <glib-object.h>

#include "shoal-file-kind.h"
#include "shoal-search-result.h"
#include "shoal-share-types.h"
#include "shoal-urn.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_RESULT_ROW (shoal_result_row_get_type ())
G_DECLARE_FINAL_TYPE (ShoalResultRow, shoal_result_row, SHOAL, RESULT_ROW, GObject)

/* Follows @result: its source count changes are notified on the row. */
ShoalResultRow    *shoal_result_row_new_network   (ShoalSearchResult      *result);
ShoalResultRow    *shoal_result_row_new_local     (const ShoalLibraryFile *file);

/* Properties, all read-only: name, size, size-text (for people), kind
 * (a ShoalFileKind), kind-label, icon-name, sources (0 for a local
 * row), sources-text ("yours" for a local row), local, tooltip. */
const char        *shoal_result_row_get_name      (ShoalResultRow *self);
guint64            shoal_result_row_get_size      (ShoalResultRow *self);
ShoalFileKind      shoal_result_row_get_kind      (ShoalResultRow *self);
guint              shoal_result_row_get_sources   (ShoalResultRow *self);
gboolean           shoal_result_row_get_local     (ShoalResultRow *self);
/* The network row's result; NULL for a local row (transfer none). */
ShoalSearchResult *shoal_result_row_get_result    (ShoalResultRow *self);
/* FALSE while unknown (no SHA-1 in the hits, or not hashed yet); @sha1
 * may be NULL. */
gboolean           shoal_result_row_get_sha1      (ShoalResultRow *self,
                                                   guint8          sha1[SHOAL_SHA1_SIZE]);
/* "magnet:?xt=urn:sha1:…&dn=…&xl=…", or NULL without a SHA-1. */
char              *shoal_result_row_dup_magnet    (ShoalResultRow *self);

G_END_DECLS
