/* shoal-shared-root.h — one shared folder, as the library's list model shows it. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SHOAL_TYPE_SHARED_ROOT (shoal_shared_root_get_type ())
G_DECLARE_FINAL_TYPE (ShoalSharedRoot, shoal_shared_root, SHOAL, SHARED_ROOT, GObject)

ShoalSharedRoot *shoal_shared_root_new               (gint64      id,
                                                      const char *path);
gint64           shoal_shared_root_get_id            (ShoalSharedRoot *root);
const char      *shoal_shared_root_get_path          (ShoalSharedRoot *root);
guint64          shoal_shared_root_get_file_count    (ShoalSharedRoot *root);
guint64          shoal_shared_root_get_size          (ShoalSharedRoot *root);
gboolean         shoal_shared_root_get_scanning      (ShoalSharedRoot *root);
guint            shoal_shared_root_get_problem_count (ShoalSharedRoot *root);

/* For the library: what its last scan found. */
void             shoal_shared_root_set_scanning      (ShoalSharedRoot *root,
                                                      gboolean         scanning);
void             shoal_shared_root_set_contents      (ShoalSharedRoot *root,
                                                      guint64          file_count,
                                                      guint64          size,
                                                      guint            problem_count);

G_END_DECLS
