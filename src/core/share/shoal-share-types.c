/* shoal-share-types.c — the plain records the library's parts pass around. */
#include "shoal-share-types.h"

#include <string.h>

gboolean
shoal_file_stat_equal (const ShoalFileStat *a,
                       const ShoalFileStat *b)
{
  return a->size == b->size && a->mtime_usec == b->mtime_usec && a->inode == b->inode;
}

ShoalLibraryFile *
shoal_library_file_new (void)
{
  return g_new0 (ShoalLibraryFile, 1);
}

ShoalLibraryFile *
shoal_library_file_copy (const ShoalLibraryFile *file)
{
  ShoalLibraryFile *copy = g_new (ShoalLibraryFile, 1);

  memcpy (copy, file, sizeof *copy);
  copy->relpath = g_strdup (file->relpath);
  copy->name = g_strdup (file->name);
  return copy;
}

void
shoal_library_file_free (ShoalLibraryFile *file)
{
  if (file == NULL)
    return;
  g_free (file->relpath);
  g_free (file->name);
  g_free (file);
}
