/* shoal-data-lock.c — one Shoal per data folder. */
#include "shoal-data-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Enough for a pid and its line end. */
#define PID_TEXT_SIZE 32

struct _ShoalDataLock
{
  int   fd;
  char *path;
};

/* What the holder wrote: its pid, for the message. 0 when unreadable. */
static long
read_holder (int fd)
{
  char text[PID_TEXT_SIZE] = { 0 };

  if (pread (fd, text, sizeof text - 1, 0) <= 0)
    return 0;
  return strtol (text, NULL, 10);
}

static void
write_our_pid (int fd)
{
  g_autofree char *text = g_strdup_printf ("%ld\n", (long) getpid ());

  /* Only a hint for the message above: a failure changes nothing. */
  if (ftruncate (fd, 0) == 0 && pwrite (fd, text, strlen (text), 0) < 0)
    g_debug ("cannot write our pid in the data lock: %s", g_strerror (errno));
}

ShoalDataLock *
shoal_data_lock_acquire (const char  *data_dir,
                         GError     **error)
{
  g_autofree char *path = NULL;
  ShoalDataLock *lock;
  int fd;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the data folder %s: %s", data_dir, g_strerror (saved));
      return NULL;
    }
  path = g_build_filename (data_dir, SHOAL_DATA_LOCK_FILE, NULL);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot open %s: %s", path, g_strerror (saved));
      return NULL;
    }
  /* flock() is per open file: a second open in this very process is
   * refused too, as a second process would be. */
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;
      long holder = read_holder (fd);

      g_close (fd, NULL);
      if (saved == EWOULDBLOCK)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     "Another Shoal (process %ld) is already using %s; stop it or give "
                     "another data folder", holder, data_dir);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                     "Cannot lock %s: %s", path, g_strerror (saved));
      return NULL;
    }
  write_our_pid (fd);
  lock = g_new0 (ShoalDataLock, 1);
  lock->fd = fd;
  lock->path = g_steal_pointer (&path);
  return lock;
}

void
shoal_data_lock_release (ShoalDataLock *lock)
{
  if (lock == NULL)
    return;
  /* The file stays: removing it would race with the next taker. */
  g_close (lock->fd, NULL);
  g_free (lock->path);
  g_free (lock);
}
