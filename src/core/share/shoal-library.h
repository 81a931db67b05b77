/* shoal-library.h — the shared library: folders, files, hashes and their
 * index, kept true while files come and go. The one object front ends and
 * the search layer use; disk and database work never runs on the caller's
 * main loop. */
#pragma once

#include <gio/gio.h>

#include "shoal-qrp.h"
#include "shoal-share-types.h"
#include "shoal-shared-root.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_LIBRARY (shoal_library_get_type ())
G_DECLARE_FINAL_TYPE (ShoalLibrary, shoal_library, SHOAL, LIBRARY, GObject)

/* The default cap on search results, as many as a query hit series holds. */
#define SHOAL_LIBRARY_DEFAULT_MAX_RESULTS 100

/* @data_dir holds library.db; NULL means $XDG_DATA_HOME/shoal. The index
 * opens on the library's worker thread: watch :ready (or :error). */
ShoalLibrary *shoal_library_new                (const char *data_dir);

GListModel   *shoal_library_get_roots          (ShoalLibrary *self);
gboolean      shoal_library_get_ready          (ShoalLibrary *self);
gboolean      shoal_library_get_busy           (ShoalLibrary *self);
guint64       shoal_library_get_file_count     (ShoalLibrary *self);
guint64       shoal_library_get_shared_bytes   (ShoalLibrary *self);
guint64       shoal_library_get_hashed_count   (ShoalLibrary *self);
guint64       shoal_library_get_files_hashed   (ShoalLibrary *self);
double        shoal_library_get_qrp_fill_ratio (ShoalLibrary *self);
/* The current Query Routing table (65536 slots, @infinity for absent). */
ShoalQrpTable *shoal_library_build_qrp_table   (ShoalLibrary *self,
                                                guint8        infinity);
/* Glob patterns of names never shared (partial downloads, editor files…);
 * applies to scans started after the call. */
void          shoal_library_set_ignore_patterns (ShoalLibrary       *self,
                                                 const char * const *patterns);

void             shoal_library_add_root_async     (ShoalLibrary        *self,
                                                   const char          *path,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
ShoalSharedRoot *shoal_library_add_root_finish    (ShoalLibrary  *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);
void             shoal_library_remove_root        (ShoalLibrary    *self,
                                                   ShoalSharedRoot *root);
/* The shared folder with @id, or at @path (as given: it is made canonical,
 * as the library keeps it), or NULL. Borrowed: the roots model holds it. */
ShoalSharedRoot *shoal_library_find_root          (ShoalLibrary *self,
                                                   gint64        id);
ShoalSharedRoot *shoal_library_find_root_by_path  (ShoalLibrary *self,
                                                   const char   *path);
/* Walks every root again: what changed while nobody watched is picked up,
 * unchanged files are not hashed again. */
void             shoal_library_rescan             (ShoalLibrary *self);

/* Every keyword must match a word of the name or folders (prefix, case
 * and accents ignored). Results: GPtrArray of ShoalLibraryFile*. */
void             shoal_library_search_async       (ShoalLibrary        *self,
                                                   const char          *text,
                                                   guint                max_results,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray       *shoal_library_search_finish      (ShoalLibrary  *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);
/* Hashed files with this SHA-1 (urn:sha1 queries, magnet links). */
void             shoal_library_search_sha1_async  (ShoalLibrary        *self,
                                                   const guint8        *sha1,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray       *shoal_library_search_sha1_finish (ShoalLibrary  *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

G_END_DECLS
