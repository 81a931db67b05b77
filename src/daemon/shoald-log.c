/* shoald-log.c — shoald's log writer (journal, log file or stderr) and
 * the systemd notification socket. */
#include "shoald-log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_SOCKET_ENV "NOTIFY_SOCKET"
#define US_PER_MS 1000
#define TIME_FORMAT "%Y-%m-%d %H:%M:%S"

/* The writer runs on whichever thread logs (libmicrohttpd's, the
 * library's workers): the lock guards the file, and a line is written
 * whole while it is held, so a reopen never closes it under a writer. */
static GMutex log_lock;
static int log_fd = -1;
static char *log_path;
static gboolean log_to_journal;

static const char *
level_name (GLogLevelFlags log_level)
{
  switch (log_level & G_LOG_LEVEL_MASK)
    {
    case G_LOG_LEVEL_ERROR:
      return "ERROR";
    case G_LOG_LEVEL_CRITICAL:
      return "CRITICAL";
    case G_LOG_LEVEL_WARNING:
      return "WARNING";
    case G_LOG_LEVEL_MESSAGE:
      return "Message";
    case G_LOG_LEVEL_INFO:
      return "INFO";
    case G_LOG_LEVEL_DEBUG:
      return "DEBUG";
    default:
      return "LOG";
    }
}

/* A field's text, NUL-terminated (fields may carry a length instead). */
static char *
dup_field (const GLogField *fields,
           gsize            n_fields,
           const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, key) == 0)
      return fields[i].length < 0 ? g_strdup (fields[i].value)
                                  : g_strndup (fields[i].value, (gsize) fields[i].length);
  return NULL;
}

static char *
format_line (GLogLevelFlags  log_level,
             const char     *domain,
             const char     *message)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, TIME_FORMAT);

  return g_strdup_printf ("%s.%03d %s%s%s: %s\n", stamp, g_date_time_get_microsecond (now) / US_PER_MS,
                          domain != NULL ? domain : "", domain != NULL ? "-" : "",
                          level_name (log_level), message != NULL ? message : "");
}

static gboolean
write_all (int         fd,
           const char *text)
{
  gsize left = strlen (text);

  while (left > 0)
    {
      gssize written = write (fd, text, left);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return FALSE;
      text += written;
      left -= (gsize) written;
    }
  return TRUE;
}

/* FALSE when there is no log file or it refused the line. */
static gboolean
write_to_file (const char *line)
{
  gboolean written = FALSE;

  g_mutex_lock (&log_lock);
  if (log_fd >= 0)
    written = write_all (log_fd, line);
  g_mutex_unlock (&log_lock);
  return written;
}

GLogWriterOutput
shoald_log_writer (GLogLevelFlags   log_level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  g_autofree char *domain = dup_field (fields, n_fields, "GLIB_DOMAIN");
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;

  if (g_log_writer_default_would_drop (log_level, domain))
    return G_LOG_WRITER_HANDLED;
  message = dup_field (fields, n_fields, "MESSAGE");
  line = format_line (log_level, domain, message);
  if (write_to_file (line))
    return G_LOG_WRITER_HANDLED;
  if (log_to_journal &&
      g_log_writer_journald (log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  return write_all (STDERR_FILENO, line) ? G_LOG_WRITER_HANDLED : G_LOG_WRITER_UNHANDLED;
}

void
shoald_log_install (void)
{
  static gsize installed = 0;

  if (!g_once_init_enter (&installed))
    return;
  /* systemd connects stderr to the journal: structured fields beat lines. */
  log_to_journal = g_log_writer_is_journald (fileno (stderr));
  g_log_set_writer_func (shoald_log_writer, NULL, NULL);
  g_once_init_leave (&installed, 1);
}

static int
open_log (const char  *path,
          GError     **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, SHOALD_LOG_FILE_MODE);
  int saved_errno = errno;

  if (fd < 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 "cannot open the log file %s: %s", path, g_strerror (saved_errno));
  return fd;
}

/* Takes @fd and @path (either may be -1/NULL); the old file is closed. */
static void
replace_log (int   fd,
             char *path)
{
  int old_fd;

  g_mutex_lock (&log_lock);
  old_fd = log_fd;
  log_fd = fd;
  g_free (log_path);
  log_path = path;
  g_mutex_unlock (&log_lock);
  if (old_fd >= 0)
    close (old_fd);
}

gboolean
shoald_log_set_file (const char  *path,
                     GError     **error)
{
  int fd = -1;

  if (path != NULL && *path != '\0')
    {
      fd = open_log (path, error);
      if (fd < 0)
        return FALSE;
    }
  replace_log (fd, fd >= 0 ? g_strdup (path) : NULL);
  return TRUE;
}

gboolean
shoald_log_reopen (GError **error)
{
  g_autofree char *path = NULL;
  int fd;

  g_mutex_lock (&log_lock);
  path = g_strdup (log_path);
  g_mutex_unlock (&log_lock);
  if (path == NULL)
    return TRUE;
  fd = open_log (path, error);
  if (fd < 0)
    return FALSE;
  replace_log (fd, g_steal_pointer (&path));
  return TRUE;
}

gboolean
shoald_notify (const char *state)
{
  const char *path = g_getenv (NOTIFY_SOCKET_ENV);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gsize length;
  gssize sent;
  int fd;

  g_return_val_if_fail (state != NULL, FALSE);

  /* A path, or "@name" in Linux's abstract namespace; not vsock. */
  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return FALSE;
  length = strlen (path);
  if (length >= sizeof address.sun_path)
    return FALSE;
  memcpy (address.sun_path, path, length);
  if (address.sun_path[0] == '@')
    address.sun_path[0] = '\0';
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (const struct sockaddr *) (gconstpointer) &address,
                 (socklen_t) (offsetof (struct sockaddr_un, sun_path) + length));
  close (fd);
  return sent == (gssize) strlen (state);
}

/* g_get_monotonic_time() is CLOCK_MONOTONIC, the clock systemd means. */
gboolean
shoald_notify_reloading (void)
{
  g_autofree char *state = g_strdup_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                                            g_get_monotonic_time ());

  return shoald_notify (state);
}
