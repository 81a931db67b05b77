/* shoal-search-page.h — the Search page: one tab per search (AdwTabView),
 * the entry, results streaming into a column view grouped by SHA-1 with
 * local matches beside them, filters and counters. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_SEARCH_PAGE (shoal_search_page_get_type ())
G_DECLARE_FINAL_TYPE (ShoalSearchPage, shoal_search_page, SHOAL, SEARCH_PAGE, AdwBin)

GtkWidget *shoal_search_page_new          (ShoalServent    *servent);
/* Ctrl+F: the current tab's entry takes the focus. */
void       shoal_search_page_focus_entry  (ShoalSearchPage *self);
/* Ctrl+T: a new, empty search tab, selected, its entry focused. */
void       shoal_search_page_new_tab      (ShoalSearchPage *self);
/* Ctrl+W: the current tab closes and its search stops. */
void       shoal_search_page_close_tab    (ShoalSearchPage *self);
/* Searches @text in the current tab, as if typed and Enter pressed. */
void       shoal_search_page_search       (ShoalSearchPage *self,
                                           const char      *text);

G_END_DECLS
