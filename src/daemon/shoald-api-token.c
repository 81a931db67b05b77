/* shoald-api-token.c — the control API's token file (secret, 0600) and
 * endpoint file (where clients find the API). */
#include "shoald-api-token.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_LENGTH (2 * SHOALD_API_TOKEN_BYTES)
/* Room for the token, a newline and stray whitespace; anything longer is
 * not a token file. */
#define MAX_TOKEN_FILE_SIZE 256
/* Group and others may not even read it. */
#define TOKEN_FORBIDDEN_MODE_BITS 0077
#define TOKEN_FILE_MODE 0600
#define DATA_DIR_MODE 0700
#define ENDPOINT_FILE_MODE 0644

static gboolean
set_error_from_errno (GError     **error,
                      int          saved_errno,
                      const char  *what,
                      const char  *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
is_token (const char *text)
{
  if (strlen (text) != TOKEN_LENGTH)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c))
      return FALSE;
  return TRUE;
}

/* The file must be a regular file only its owner can read: another user
 * who could read it could drive the daemon. */
static gboolean
check_token_file_mode (int          fd,
                       const char  *path,
                       GError     **error)
{
  struct stat info;

  if (fstat (fd, &info) != 0)
    return set_error_from_errno (error, errno, "Cannot inspect", path);
  if (!S_ISREG (info.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s is not a regular file", path);
      return FALSE;
    }
  if ((info.st_mode & TOKEN_FORBIDDEN_MODE_BITS) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "%s is open to other users (mode %04o), so the API token may have "
                   "leaked; run “chmod 600 %s”", path,
                   (unsigned int) (info.st_mode & 07777), path);
      return FALSE;
    }
  return TRUE;
}

static char *
read_token_file (const char  *path,
                 GError     **error)
{
  char buffer[MAX_TOKEN_FILE_SIZE + 1];
  gsize filled = 0;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      set_error_from_errno (error, errno, "Cannot open", path);
      return NULL;
    }
  if (!check_token_file_mode (fd, path, error))
    {
      close (fd);
      return NULL;
    }
  while (filled < sizeof buffer - 1)
    {
      gssize n_read = read (fd, buffer + filled, sizeof buffer - 1 - filled);

      if (n_read < 0 && errno == EINTR)
        continue;
      if (n_read < 0)
        {
          set_error_from_errno (error, errno, "Cannot read", path);
          close (fd);
          return NULL;
        }
      if (n_read == 0)
        break;
      filled += (gsize) n_read;
    }
  close (fd);
  buffer[filled] = '\0';
  /* A NUL inside would hide what follows it from the check. */
  if (memchr (buffer, '\0', filled) != NULL)
    buffer[0] = '\0';
  g_strstrip (buffer);
  if (!is_token (buffer))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s does not hold an API token (%d hex digits)", path, TOKEN_LENGTH);
      return NULL;
    }
  return g_strdup (buffer);
}

static gboolean
fill_random (guint8  *bytes,
             gsize    length,
             GError **error)
{
  gsize filled = 0;

  while (filled < length)
    {
      gssize got = getrandom (bytes + filled, length - filled, 0);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "No random bytes for the API token: %s", g_strerror (saved_errno));
          return FALSE;
        }
      filled += (gsize) got;
    }
  return TRUE;
}

static char *
token_new (GError **error)
{
  guint8 bytes[SHOALD_API_TOKEN_BYTES];
  GString *hex = g_string_sized_new (TOKEN_LENGTH);

  if (!fill_random (bytes, sizeof bytes, error))
    {
      g_string_free (hex, TRUE);
      return NULL;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  memset (bytes, 0, sizeof bytes);
  return g_string_free (hex, FALSE);
}

static gboolean
write_all (int          fd,
           const char  *text,
           gsize        length)
{
  while (length > 0)
    {
      gssize written = write (fd, text, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        return FALSE;
      text += written;
      length -= (gsize) written;
    }
  return TRUE;
}

/* Created 0600 in one step (no moment when the file exists with wider
 * permissions), and only if it does not exist: FALSE with
 * G_FILE_ERROR_EXIST when another process made it first. */
static gboolean
write_new_token_file (const char  *path,
                      const char  *token,
                      GError     **error)
{
  g_autofree char *line = g_strconcat (token, "\n", NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, TOKEN_FILE_MODE);
  int saved_errno;

  if (fd < 0)
    return set_error_from_errno (error, errno, "Cannot create", path);
  if (write_all (fd, line, strlen (line)) && fsync (fd) == 0)
    {
      if (close (fd) == 0)
        return TRUE;
      saved_errno = errno;
    }
  else
    {
      saved_errno = errno;
      close (fd);
    }
  g_unlink (path);
  return set_error_from_errno (error, saved_errno, "Cannot write", path);
}

char *
shoald_api_token_load (const char  *data_dir,
                       GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  path = g_build_filename (data_dir, SHOALD_API_TOKEN_FILE, NULL);
  return read_token_file (path, error);
}

char *
shoald_api_token_load_or_create (const char  *data_dir,
                                 GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  path = g_build_filename (data_dir, SHOALD_API_TOKEN_FILE, NULL);
  token = read_token_file (path, &local_error);
  if (token != NULL)
    return g_steal_pointer (&token);
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_error (&local_error);

  if (g_mkdir_with_parents (data_dir, DATA_DIR_MODE) != 0)
    {
      set_error_from_errno (error, errno, "Cannot create", data_dir);
      return NULL;
    }
  token = token_new (error);
  if (token == NULL)
    return NULL;
  if (write_new_token_file (path, token, &local_error))
    return g_steal_pointer (&token);
  /* Another shoald starting in the same directory wrote it first. */
  if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_EXIST))
    return read_token_file (path, error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

gboolean
shoald_api_endpoint_write (const char  *data_dir,
                           const char  *url,
                           GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *line = NULL;

  g_return_val_if_fail (data_dir != NULL && url != NULL, FALSE);
  path = g_build_filename (data_dir, SHOALD_API_ENDPOINT_FILE, NULL);
  line = g_strconcat (url, "\n", NULL);
  return g_file_set_contents_full (path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   ENDPOINT_FILE_MODE, error);
}

void
shoald_api_endpoint_remove (const char *data_dir)
{
  g_autofree char *path = NULL;

  g_return_if_fail (data_dir != NULL);
  path = g_build_filename (data_dir, SHOALD_API_ENDPOINT_FILE, NULL);
  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
}

char *
shoald_api_endpoint_read (const char  *data_dir,
                          GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  path = g_build_filename (data_dir, SHOALD_API_ENDPOINT_FILE, NULL);
  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  return g_strdup (g_strstrip (contents));
}
