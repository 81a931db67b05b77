/* shoal-library-page.h — the Library page: shared folders with counts and
 * sizes, scanning and hashing progress, the local library search. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_LIBRARY_PAGE (shoal_library_page_get_type ())
G_DECLARE_FINAL_TYPE (ShoalLibraryPage, shoal_library_page, SHOAL, LIBRARY_PAGE, AdwBin)

GtkWidget *shoal_library_page_new        (ShoalServent     *servent);
/* Shares @folder, as "Add Folder…" does once the user picked it; errors
 * show as a toast. */
void       shoal_library_page_add_folder (ShoalLibraryPage *self,
                                          GFile            *folder);

G_END_DECLS
