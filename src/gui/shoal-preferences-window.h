/* shoal-preferences-window.h — Preferences (AdwPreferencesWindow): port,
 * role, slots, upload slots and bandwidth, download folder, anchors and
 * manual peers, LAN discovery and LAN-only mode, browse host. Changes are
 * saved to shoal.conf and applied to the running servent where the core
 * allows; the others say they need a restart. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"
#include "shoald-config.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_PREFERENCES_WINDOW (shoal_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (ShoalPreferencesWindow, shoal_preferences_window, SHOAL, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* @settings: the settings in effect, changed in place; @config_path:
 * where they are saved. */
GtkWidget *shoal_preferences_window_new (GtkWindow    *parent,
                                         ShoalServent *servent,
                                         ShoaldConfig *settings,
                                         const char   *config_path);

G_END_DECLS
