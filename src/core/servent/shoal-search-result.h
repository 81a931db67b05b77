/* shoal-search-result.h — one file found by a search: every hit naming
 * the same SHA-1 (or, without one, the same name and size) is one row,
 * with the sources that offer it. */
#pragma once

#include <glib-object.h>

#include "shoal-guid.h"
#include "shoal-ipv4.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_SEARCH_RESULT (shoal_search_result_get_type ())
G_DECLARE_FINAL_TYPE (ShoalSearchResult, shoal_search_result, SHOAL, SEARCH_RESULT, GObject)

/* One servent offering the file, as its hit described it. */
typedef struct
{
  ShoalIpv4Endpoint endpoint;
  ShoalGuid         servent_guid;
  guint32           file_index;
  char             *name;          /* the name this source gives */
  char              vendor[5];     /* trailer vendor code, "" if none */
  gboolean          push_needed;   /* firewalled: reach it with a PUSH */
  gboolean          busy;
  guint64           route_link_id; /* the link its hit came by (for PUSH) */
} ShoalSearchSource;

#define SHOAL_TYPE_SEARCH_SOURCE (shoal_search_source_get_type ())
GType              shoal_search_source_get_type (void) G_GNUC_CONST;
ShoalSearchSource *shoal_search_source_copy (const ShoalSearchSource *source);
void               shoal_search_source_free (ShoalSearchSource *source);

/* Properties: name, size, sha1 (the "urn:sha1:BASE32" text or NULL),
 * source-count. Read-only; changed by the search that owns the row. */
const char        *shoal_search_result_get_name   (ShoalSearchResult *self);
guint64            shoal_search_result_get_size   (ShoalSearchResult *self);
/* FALSE when the hits gave no SHA-1; @sha1 may be NULL. */
gboolean           shoal_search_result_get_sha1   (ShoalSearchResult *self,
                                                   guint8             sha1[20]);
const char        *shoal_search_result_get_urn    (ShoalSearchResult *self);
guint              shoal_search_result_get_source_count (ShoalSearchResult *self);
/* The sources, in the order they were found (transfer none). */
const ShoalSearchSource *shoal_search_result_get_source (ShoalSearchResult *self,
                                                         guint              position);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalSearchSource, shoal_search_source_free)

G_END_DECLS
