/* shoal-search-tab.h — one tab of the Search page: its entry, the search
 * it started, the user's own matching files beside the network's, the
 * filters, the counters and what is shown while nothing is. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_SEARCH_TAB (shoal_search_tab_get_type ())
G_DECLARE_FINAL_TYPE (ShoalSearchTab, shoal_search_tab, SHOAL, SEARCH_TAB, AdwBin)

GtkWidget   *shoal_search_tab_new         (ShoalServent   *servent);
/* Properties: servent (construct-only), title (the search's, or "New
 * Search"), loading (the search is running on the network), search. */
const char  *shoal_search_tab_get_title   (ShoalSearchTab *self);
gboolean     shoal_search_tab_get_loading (ShoalSearchTab *self);
/* The running search, NULL before one (transfer none). */
ShoalSearch *shoal_search_tab_get_search  (ShoalSearchTab *self);
/* Puts @text in the entry and starts it, as Enter does; a text the
 * servent refuses is shown under the entry and FALSE returned. */
gboolean     shoal_search_tab_search      (ShoalSearchTab *self,
                                           const char     *text);
void         shoal_search_tab_focus_entry (ShoalSearchTab *self);
/* The search stops and leaves the servent's list; the tab stays. */
void         shoal_search_tab_stop        (ShoalSearchTab *self);

G_END_DECLS
