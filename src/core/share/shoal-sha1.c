/* shoal-sha1.c — SHA-1 of a shared file at the speed of the hardware. */
#include "shoal-sha1.h"

#include "shoal-library-db.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <nettle/sha1.h>
#include <sys/stat.h>
#include <unistd.h>

/* nettle, not GChecksum: Debian's nettle is a "fat" build that picks its
 * SHA-NI compression function at run time, about twice GChecksum's speed
 * (docs/PLATFORM.md). */

/* One buffer per thread, freed when the thread exits: 100,000 small files
 * must not cost 100,000 allocations (and page faults) of
 * SHOAL_SHA1_BUFFER_SIZE. */
static GPrivate read_buffer_key = G_PRIVATE_INIT (g_free);

static guint8 *
get_read_buffer (void)
{
  guint8 *buffer = g_private_get (&read_buffer_key);

  if (buffer == NULL)
    {
      buffer = g_malloc (SHOAL_SHA1_BUFFER_SIZE);
      g_private_set (&read_buffer_key, buffer);
    }
  return buffer;
}

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO,
               "Cannot %s “%s”: %s", what, display, g_strerror (saved_errno));
}

static void
set_not_regular_error (GError     **error,
                       const char  *path,
                       const char  *kind)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_INVALID,
               "Not hashing “%s”: %s", display, kind);
}

static void
set_open_error (GError     **error,
                int          saved_errno,
                const char  *path)
{
  struct stat st;

  /* O_NOFOLLOW reports a symbolic link as ELOOP, which reads like a loop
   * of links: say what it really is. */
  if (saved_errno == ELOOP && lstat (path, &st) == 0 && S_ISLNK (st.st_mode))
    set_not_regular_error (error, path, "it is a symbolic link");
  else
    set_errno_error (error, saved_errno, "open", path);
}

static void
file_stat_from_stat (ShoalFileStat     *file_stat,
                     const struct stat *st)
{
  file_stat->size = (guint64) st->st_size;
  file_stat->mtime_usec = (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC
                          + st->st_mtim.tv_nsec / 1000;
  file_stat->inode = (guint64) st->st_ino;
}

/* Opens @path for reading only if it is a regular file, and fills
 * @file_stat from the opened file. Returns the descriptor or -1. */
static int
open_regular_file (const char     *path,
                   ShoalFileStat  *file_stat,
                   GError        **error)
{
  /* O_NONBLOCK so that opening a FIFO cannot hang until a writer comes;
   * it is dropped again once we know the file is regular. */
  const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  struct stat st;
  int fd;

  do
    fd = open (path, flags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      set_open_error (error, errno, path);
      return -1;
    }
  if (fstat (fd, &st) < 0)
    {
      set_errno_error (error, errno, "examine", path);
      g_close (fd, NULL);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      set_not_regular_error (error, path, "not a regular file");
      g_close (fd, NULL);
      return -1;
    }
  if (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) < 0)
    {
      set_errno_error (error, errno, "read", path);
      g_close (fd, NULL);
      return -1;
    }
  file_stat_from_stat (file_stat, &st);
  return fd;
}

/* Feeds everything left in @fd to @ctx; *bytes_done counts it. */
static gboolean
hash_descriptor (int                 fd,
                 const char         *path,
                 struct sha1_ctx    *ctx,
                 guint64            *bytes_done,
                 GCancellable       *cancellable,
                 ShoalSha1Progress   progress,
                 gpointer            user_data,
                 GError            **error)
{
  guint8 *buffer = get_read_buffer ();
  guint64 next_report = SHOAL_SHA1_PROGRESS_BYTES;

  for (;;)
    {
      ssize_t got;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      got = read (fd, buffer, SHOAL_SHA1_BUFFER_SIZE);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          set_errno_error (error, errno, "read", path);
          return FALSE;
        }
      if (got == 0)
        return TRUE;
      sha1_update (ctx, (size_t) got, buffer);
      *bytes_done += (guint64) got;
      if (progress != NULL && *bytes_done >= next_report)
        {
          progress (*bytes_done, user_data);
          next_report = *bytes_done + SHOAL_SHA1_PROGRESS_BYTES;
        }
    }
}

/* A file written to while we read it gives a digest of no version of it:
 * refuse it, so the caller hashes it again once it has settled. */
static gboolean
check_unchanged (int                  fd,
                 const char          *path,
                 const ShoalFileStat *before,
                 guint64              bytes_hashed,
                 GError             **error)
{
  ShoalFileStat after;
  struct stat st;

  if (fstat (fd, &st) < 0)
    {
      set_errno_error (error, errno, "examine", path);
      return FALSE;
    }
  file_stat_from_stat (&after, &st);
  if (bytes_hashed != before->size || !shoal_file_stat_equal (&after, before))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, SHOAL_LIBRARY_ERROR, SHOAL_LIBRARY_ERROR_IO,
                   "Cannot hash “%s”: it changed while it was read", display);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_sha1_file (const char        *path,
                 guint8             sha1[SHOAL_SHARE_SHA1_SIZE],
                 ShoalFileStat     *file_stat,
                 GCancellable      *cancellable,
                 ShoalSha1Progress  progress,
                 gpointer           user_data,
                 GError           **error)
{
  struct sha1_ctx ctx;
  ShoalFileStat opened;
  guint64 bytes_hashed = 0;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (sha1 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  fd = open_regular_file (path, &opened, error);
  if (fd < 0)
    return FALSE;

  /* Advice only: a failure changes speed, never the digest. */
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  sha1_init (&ctx);
  ok = hash_descriptor (fd, path, &ctx, &bytes_hashed, cancellable,
                        progress, user_data, error)
       && check_unchanged (fd, path, &opened, bytes_hashed, error);
  posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
  g_close (fd, NULL);
  if (!ok)
    return FALSE;

  sha1_digest (&ctx, SHA1_DIGEST_SIZE, sha1);
  if (file_stat != NULL)
    *file_stat = opened;
  return TRUE;
}
