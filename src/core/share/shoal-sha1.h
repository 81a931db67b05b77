/* shoal-sha1.h — SHA-1 of a shared file at the speed of the hardware. */
#pragma once

#include <gio/gio.h>

#include "shoal-share-types.h"

G_BEGIN_DECLS

/* One read() fills this much: few syscalls and long sequential requests to
 * a disk. (From tmpfs, 64 KiB to 1 MiB hash equally fast: the hashing is
 * the cost.) Allocated once per thread. */
#define SHOAL_SHA1_BUFFER_SIZE (1024 * 1024)

/* Progress is reported at most once per this many bytes, so hashing a
 * large library costs a handful of callbacks per file, not one per read. */
#define SHOAL_SHA1_PROGRESS_BYTES (8 * 1024 * 1024)

/* Called on the hashing thread with the bytes hashed so far. */
typedef void (*ShoalSha1Progress) (guint64  bytes_done,
                                   gpointer user_data);

/* Hashes the regular file at @path and fills @sha1 and @file_stat (what
 * fstat() said of the opened file before hashing; may be NULL).
 * Never follows a symbolic link at the last component and never opens a
 * FIFO, device or directory: SHOAL_LIBRARY_ERROR_INVALID. A file that
 * cannot be opened or read, or that changes while it is hashed:
 * SHOAL_LIBRARY_ERROR_IO, naming the path. Cancelled: G_IO_ERROR_CANCELLED.
 * @progress may be NULL. Drops the file from the page cache when done, so
 * hashing a library does not evict what the user is working with. */
gboolean shoal_sha1_file (const char        *path,
                          guint8             sha1[SHOAL_SHARE_SHA1_SIZE],
                          ShoalFileStat     *file_stat,
                          GCancellable      *cancellable,
                          ShoalSha1Progress  progress,
                          gpointer           user_data,
                          GError           **error);

G_END_DECLS
