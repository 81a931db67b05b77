/* shoal-test-userns.c — a user namespace to be root in, for tests. */
#include "shoal-test-userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
shoal_test_userns_skip_all (const char *what,
                            int         error_number)
{
  printf ("1..0 # SKIP " SHOAL_TEST_USERNS_SKIP_REASON " (%s: %s)\n", what, g_strerror (error_number));
  fflush (stdout);
  _exit (0);
}

/* Files of /proc take one write(), not a file replaced. */
static gboolean
write_proc_file (const char *path,
                 const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gssize length = (gssize) strlen (text);
  gboolean written;

  if (fd < 0)
    return FALSE;
  written = write (fd, text, (size_t) length) == length;
  close (fd);
  return written;
}

void
shoal_test_userns_map_to_root (uid_t uid,
                               gid_t gid)
{
  g_autofree char *uid_map = g_strdup_printf ("0 %u 1", (guint) uid);
  g_autofree char *gid_map = g_strdup_printf ("0 %u 1", (guint) gid);

  if (!write_proc_file ("/proc/self/uid_map", uid_map))
    shoal_test_userns_skip_all ("writing /proc/self/uid_map", errno);
  /* An unprivileged process may map its gid only once it gave up
   * setgroups(). */
  if (!write_proc_file ("/proc/self/setgroups", "deny"))
    shoal_test_userns_skip_all ("writing /proc/self/setgroups", errno);
  if (!write_proc_file ("/proc/self/gid_map", gid_map))
    shoal_test_userns_skip_all ("writing /proc/self/gid_map", errno);
}
