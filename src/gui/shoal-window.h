/* shoal-window.h — the main window: a view switcher over the Search,
 * Transfers, Network and Library pages, the primary menu, and the first-run
 * and error states. Its size is remembered in GSettings. */
#pragma once

#include <adwaita.h>

#include "shoal-application.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_WINDOW (shoal_window_get_type ())
G_DECLARE_FINAL_TYPE (ShoalWindow, shoal_window, SHOAL, WINDOW, AdwApplicationWindow)

ShoalWindow *shoal_window_new         (ShoalApplication *application);
/* "search", "transfers", "network", "library". */
void         shoal_window_show_page   (ShoalWindow *self,
                                       const char  *name);
const char  *shoal_window_get_page    (ShoalWindow *self);
/* The pages, for the tests. */
GtkWidget   *shoal_window_get_page_widget (ShoalWindow *self,
                                           const char  *name);
/* A short message at the bottom of the window (an AdwToast) that goes
 * away by itself. */
void         shoal_window_show_toast  (ShoalWindow *self,
                                       const char  *text);

G_END_DECLS
