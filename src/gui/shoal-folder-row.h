/* shoal-folder-row.h — one shared folder in the Library page's list: its
 * name, file count and size, whether it is being scanned, and a button
 * to stop sharing it. */
#pragma once

#include <adwaita.h>

#include "shoal-shared-root.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_FOLDER_ROW (shoal_folder_row_get_type ())
G_DECLARE_FINAL_TYPE (ShoalFolderRow, shoal_folder_row, SHOAL, FOLDER_ROW, AdwActionRow)

/* The row's remove button activates "library.remove-folder" with the
 * root's id. */
GtkWidget       *shoal_folder_row_new      (ShoalSharedRoot *root);
ShoalSharedRoot *shoal_folder_row_get_root (ShoalFolderRow  *self);

G_END_DECLS
