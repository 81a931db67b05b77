/* shoal-folder-monitor.h — watching a shared folder tree and naming, once
 * changes settle, the folders that need a rescan. */
#pragma once

#include <gio/gio.h>

#include "shoal-scanner.h"

G_BEGIN_DECLS

/* How long a folder tree must stay quiet before the changes are reported:
 * a copy of an album is one rescan, not one per file. */
#define SHOAL_FOLDER_MONITOR_DEFAULT_SETTLE_MS 1000
/* Changes are reported at most this long after the first of them even if
 * the tree never goes quiet (a download folder filling all day). */
#define SHOAL_FOLDER_MONITOR_DEFAULT_MAX_DELAY_MS 3000

#define SHOAL_TYPE_FOLDER_MONITOR (shoal_folder_monitor_get_type ())

G_DECLARE_FINAL_TYPE (ShoalFolderMonitor, shoal_folder_monitor, SHOAL, FOLDER_MONITOR, GObject)

/* Starts watching @root_path (symlinks in it resolved once) and every
 * folder below it that @options lets a scan walk; symlinked folders are
 * not watched (those inside the root lead to folders that are). Watches
 * are added a few at a time from the main loop: changes in a folder are
 * seen once it is watched, so start the full scan when
 * ShoalFolderMonitor:ready turns TRUE. Fails with SHOAL_LIBRARY_ERROR_
 * INVALID if the root is missing or not a folder. */
ShoalFolderMonitor *shoal_folder_monitor_new              (const char             *root_path,
                                                           const ShoalScanOptions *options,
                                                           GError                **error);

const char         *shoal_folder_monitor_get_root_path    (ShoalFolderMonitor *self);
/* Folders currently watched (one inotify watch each). */
guint               shoal_folder_monitor_get_watch_count  (ShoalFolderMonitor *self);
/* TRUE once every folder present at start has been considered. */
gboolean            shoal_folder_monitor_get_ready        (ShoalFolderMonitor *self);
/* TRUE once the inotify watch limit was hit: some folders are not
 * watched, and only a periodic full scan sees their changes. */
gboolean            shoal_folder_monitor_get_degraded     (ShoalFolderMonitor *self);

guint               shoal_folder_monitor_get_settle_ms    (ShoalFolderMonitor *self);
void                shoal_folder_monitor_set_settle_ms    (ShoalFolderMonitor *self,
                                                           guint               settle_ms);
guint               shoal_folder_monitor_get_max_delay_ms (ShoalFolderMonitor *self);
void                shoal_folder_monitor_set_max_delay_ms (ShoalFolderMonitor *self,
                                                           guint               max_delay_ms);

G_END_DECLS
