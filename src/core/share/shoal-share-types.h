/* shoal-share-types.h — the plain records the library's parts pass around:
 * what the disk says about a file, and what the index knows of it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOAL_SHARE_SHA1_SIZE 20

/* What stat() says about a file; a rescan compares all three to decide
 * whether a file changed (and must be hashed again). */
typedef struct
{
  guint64 size;
  gint64  mtime_usec;  /* modification time, microseconds since the epoch */
  guint64 inode;
} ShoalFileStat;

gboolean shoal_file_stat_equal (const ShoalFileStat *a,
                                const ShoalFileStat *b);

/* One shared file as the index holds it. */
typedef struct
{
  guint32       index;     /* stable file index used in query hits, never 0 */
  gint64        root_id;
  char         *relpath;   /* below its root, '/'-separated, UTF-8 */
  char         *name;      /* last component of @relpath */
  ShoalFileStat stat;
  gboolean      has_sha1;  /* FALSE while the hash is pending */
  guint8        sha1[SHOAL_SHARE_SHA1_SIZE];
} ShoalLibraryFile;

ShoalLibraryFile *shoal_library_file_new  (void);
ShoalLibraryFile *shoal_library_file_copy (const ShoalLibraryFile *file);
void              shoal_library_file_free (ShoalLibraryFile *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalLibraryFile, shoal_library_file_free)

G_END_DECLS
