/* test-shoald-log.c — shoald's log: timestamped lines appended to the log
 * file, a reopen after logrotate renamed it, debug messages only when
 * G_MESSAGES_DEBUG asks, lines whole when threads log at once, and the
 * datagrams systemd's notification socket gets. */
#include "shoald-log.h"

#include "shoal-test-node.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DOMAIN "test-log"
#define LINE_PATTERN "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} "
#define LOGGING_THREADS 4
#define LINES_PER_THREAD 300
#define ROTATIONS 5
#define NOTIFY_BUFFER 256

static char *
make_folder (void)
{
  g_autoptr(GError) error = NULL;
  char *folder = g_dir_make_tmp ("shoald-log-XXXXXX", &error);

  g_assert_no_error (error);
  return folder;
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static GStrv
read_lines (const char *path)
{
  g_autofree char *text = read_text (path);
  gsize length = strlen (text);

  g_assert_true (length == 0 || text[length - 1] == '\n');
  if (length > 0)
    text[length - 1] = '\0';
  return length > 0 ? g_strsplit (text, "\n", -1) : g_new0 (char *, 1);
}

static void
set_log_file (const char *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoald_log_set_file (path, &error));
  g_assert_no_error (error);
}

static void
assert_line (const char *line,
             const char *rest)
{
  g_autofree char *pattern = g_strconcat (LINE_PATTERN, rest, "$", NULL);

  if (!g_regex_match_simple (pattern, line, 0, 0))
    g_error ("“%s” does not match “%s”", line, pattern);
}

static mode_t
current_umask (void)
{
  mode_t mask = umask (0);

  umask (mask);
  return mask;
}

/* Lines go to the file after what it held, with the time, the domain and
 * the level; with no file, nothing more goes there. */
static void
test_file_lines (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoald.log", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GStatBuf info;

  g_assert_true (g_file_set_contents (path, "an older line\n", -1, &error));
  g_assert_no_error (error);
  g_chmod (path, SHOALD_LOG_FILE_MODE);
  set_log_file (path);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "listening on port %d", 6346);
  g_log_structured (DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "structured: %s", "yes");
  set_log_file (NULL);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "after the file was closed");

  lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[0], ==, "an older line");
  assert_line (lines[1], DOMAIN "-Message: listening on port 6346");
  assert_line (lines[2], DOMAIN "-Message: structured: yes");
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, SHOALD_LOG_FILE_MODE);
  shoal_test_remove_tree (folder);
}

/* A new file is made with the log's mode, under the umask. */
static void
test_new_file_mode (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "new.log", NULL);
  GStatBuf info;

  set_log_file (path);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "first");
  set_log_file (NULL);
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, SHOALD_LOG_FILE_MODE & ~current_umask ());
  shoal_test_remove_tree (folder);
}

/* logrotate renames the file and sends SIGHUP: lines go on into the
 * renamed file until the reopen, then into a new file at the path. */
static void
test_reopen_after_rename (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoald.log", NULL);
  g_autofree char *rotated = g_build_filename (folder, "shoald.log.1", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) old_lines = NULL;
  g_auto(GStrv) new_lines = NULL;

  /* Nothing to reopen without a file. */
  g_assert_true (shoald_log_reopen (&error));
  g_assert_no_error (error);

  set_log_file (path);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "before the rotation");
  g_assert_cmpint (g_rename (path, rotated), ==, 0);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "renamed, not reopened yet");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (shoald_log_reopen (&error));
  g_assert_no_error (error);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "after the reopen");
  set_log_file (NULL);

  old_lines = read_lines (rotated);
  g_assert_cmpuint (g_strv_length (old_lines), ==, 2);
  assert_line (old_lines[0], DOMAIN "-Message: before the rotation");
  assert_line (old_lines[1], DOMAIN "-Message: renamed, not reopened yet");
  new_lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (new_lines), ==, 1);
  assert_line (new_lines[0], DOMAIN "-Message: after the reopen");
  shoal_test_remove_tree (folder);
}

/* A path that cannot be opened is an error, and the log stays where it
 * was: on a failed reopen too. */
static void
test_unopenable (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *subfolder = g_build_filename (folder, "logs", NULL);
  g_autofree char *moved = g_build_filename (folder, "logs.old", NULL);
  g_autofree char *path = g_build_filename (subfolder, "shoald.log", NULL);
  g_autofree char *moved_path = g_build_filename (moved, "shoald.log", NULL);
  g_autofree char *missing = g_build_filename (folder, "no-such-folder", "x.log", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_cmpint (g_mkdir (subfolder, 0700), ==, 0);
  set_log_file (path);
  g_assert_false (shoald_log_set_file (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "still in the first file");

  /* The folder went away: reopening fails, the open file still logs. */
  g_assert_cmpint (g_rename (subfolder, moved), ==, 0);
  g_assert_false (shoald_log_reopen (&error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "after the failed reopen");
  set_log_file (NULL);

  lines = read_lines (moved_path);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  assert_line (lines[0], DOMAIN "-Message: still in the first file");
  assert_line (lines[1], DOMAIN "-Message: after the failed reopen");
  shoal_test_remove_tree (folder);
}

/* Debug and info lines only for the domains G_MESSAGES_DEBUG names. */
static void
test_debug_filtering (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoald.log", NULL);
  g_autofree char *saved = g_strdup (g_getenv ("G_MESSAGES_DEBUG"));
  g_auto(GStrv) lines = NULL;

  set_log_file (path);
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_log (DOMAIN, G_LOG_LEVEL_DEBUG, "hidden debug");
  g_log (DOMAIN, G_LOG_LEVEL_INFO, "hidden info");
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "a message always shows");
  g_setenv ("G_MESSAGES_DEBUG", DOMAIN, TRUE);
  g_log (DOMAIN, G_LOG_LEVEL_DEBUG, "asked-for debug");
  g_log ("other-domain", G_LOG_LEVEL_DEBUG, "another domain's debug");
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_log ("other-domain", G_LOG_LEVEL_INFO, "every domain's info");
  set_log_file (NULL);
  if (saved != NULL)
    g_setenv ("G_MESSAGES_DEBUG", saved, TRUE);
  else
    g_unsetenv ("G_MESSAGES_DEBUG");

  lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  assert_line (lines[0], DOMAIN "-Message: a message always shows");
  assert_line (lines[1], DOMAIN "-DEBUG: asked-for debug");
  assert_line (lines[2], "other-domain-INFO: every domain's info");
  shoal_test_remove_tree (folder);
}

typedef struct
{
  guint thread;
} Logger;

static gpointer
log_lines (gpointer data)
{
  Logger *logger = data;

  for (guint i = 0; i < LINES_PER_THREAD; i++)
    g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "thread %u line %u", logger->thread, i);
  return NULL;
}

/* Threads log while the file is rotated under them: every line lands
 * whole in one of the files, none is lost. */
static void
test_threads (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoald.log", NULL);
  Logger loggers[LOGGING_THREADS];
  GThread *threads[LOGGING_THREADS];
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;

  set_log_file (path);
  for (guint i = 0; i < LOGGING_THREADS; i++)
    {
      loggers[i].thread = i;
      threads[i] = g_thread_new ("logger", log_lines, &loggers[i]);
    }
  for (guint i = 0; i < ROTATIONS; i++)
    {
      g_autofree char *rotated = g_strdup_printf ("%s.%u", path, i);

      g_usleep (G_USEC_PER_SEC / 1000);
      g_assert_cmpint (g_rename (path, rotated), ==, 0);
      g_assert_true (shoald_log_reopen (&error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < LOGGING_THREADS; i++)
    g_thread_join (threads[i]);
  set_log_file (NULL);

  for (guint i = 0; i <= ROTATIONS; i++)
    {
      g_autofree char *file = i < ROTATIONS ? g_strdup_printf ("%s.%u", path, i) : g_strdup (path);
      g_auto(GStrv) lines = read_lines (file);

      for (guint j = 0; lines[j] != NULL; j++)
        {
          const char *message = strstr (lines[j], ": thread ");

          assert_line (lines[j], DOMAIN "-Message: thread \\d+ line \\d+");
          g_assert_true (g_hash_table_add (seen, g_strdup (message)));
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, LOGGING_THREADS * LINES_PER_THREAD);
  shoal_test_remove_tree (folder);
}

/* A datagram socket standing in for systemd's; @name starting with '@'
 * is abstract. */
static int
bind_notify_socket (const char *name)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gsize length = strlen (name);
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (length, <, sizeof address.sun_path);
  memcpy (address.sun_path, name, length);
  if (name[0] == '@')
    address.sun_path[0] = '\0';
  g_assert_cmpint (bind (fd, (struct sockaddr *) (gpointer) &address,
                         (socklen_t) (G_STRUCT_OFFSET (struct sockaddr_un, sun_path) + length)), ==, 0);
  return fd;
}

static char *
receive_datagram (int fd)
{
  char buffer[NOTIFY_BUFFER];
  gssize length = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

  g_assert_cmpint (length, >, 0);
  return g_strndup (buffer, (gsize) length);
}

static void
test_notify (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "notify", NULL);
  g_autofree char *abstract = g_strdup_printf ("@shoald-log-test-%d", (int) getpid ());
  g_autofree char *ready = NULL;
  g_autofree char *reloading = NULL;
  g_autofree char *stopping = NULL;
  g_auto(GStrv) reload_fields = NULL;
  gint64 before = g_get_monotonic_time ();
  guint64 stamp = 0;
  int fd = bind_notify_socket (path);
  int abstract_fd = bind_notify_socket (abstract);

  g_unsetenv ("NOTIFY_SOCKET");
  g_assert_false (shoald_notify ("READY=1"));
  g_setenv ("NOTIFY_SOCKET", "relative/path", TRUE);
  g_assert_false (shoald_notify ("READY=1"));

  g_setenv ("NOTIFY_SOCKET", path, TRUE);
  g_assert_true (shoald_notify ("READY=1"));
  ready = receive_datagram (fd);
  g_assert_cmpstr (ready, ==, "READY=1");
  g_assert_true (shoald_notify_reloading ());
  reloading = receive_datagram (fd);
  reload_fields = g_strsplit (reloading, "\n", -1);
  g_assert_cmpuint (g_strv_length (reload_fields), ==, 2);
  g_assert_cmpstr (reload_fields[0], ==, "RELOADING=1");
  g_assert_true (g_str_has_prefix (reload_fields[1], "MONOTONIC_USEC="));
  g_assert_true (g_ascii_string_to_unsigned (reload_fields[1] + strlen ("MONOTONIC_USEC="), 10,
                                             (guint64) before, (guint64) g_get_monotonic_time (),
                                             &stamp, NULL));

  g_setenv ("NOTIFY_SOCKET", abstract, TRUE);
  g_assert_true (shoald_notify ("STOPPING=1"));
  stopping = receive_datagram (abstract_fd);
  g_assert_cmpstr (stopping, ==, "STOPPING=1");

  /* Nobody listening any more. */
  g_unsetenv ("NOTIFY_SOCKET");
  close (fd);
  close (abstract_fd);
  g_setenv ("NOTIFY_SOCKET", path, TRUE);
  g_assert_false (shoald_notify ("READY=1"));
  g_unsetenv ("NOTIFY_SOCKET");
  shoal_test_remove_tree (folder);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Every test's lines go through shoald's writer, as in the daemon. */
  shoald_log_install ();
  g_test_add_func ("/shoald-log/file-lines", test_file_lines);
  g_test_add_func ("/shoald-log/new-file-mode", test_new_file_mode);
  g_test_add_func ("/shoald-log/reopen-after-rename", test_reopen_after_rename);
  g_test_add_func ("/shoald-log/unopenable", test_unopenable);
  g_test_add_func ("/shoald-log/debug-filtering", test_debug_filtering);
  /* Before any thread: it sets NOTIFY_SOCKET. */
  g_test_add_func ("/shoald-log/notify", test_notify);
  g_test_add_func ("/shoald-log/threads", test_threads);
  return g_test_run ();
}
