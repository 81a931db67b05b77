/* shoal-test-node.c — one shoald process for multi-node tests. */
#include "shoal-test-node.h"

#include "shoal-test-loop.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define STATUS_TIMEOUT_MS 10000
#define STATUS_POLL_MS 20
#define START_TIMEOUT_MS 20000

void
shoal_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        shoal_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

ShoalTestNode *
shoal_test_node_new (const char *address)
{
  ShoalTestNode *node = g_new0 (ShoalTestNode, 1);
  g_autoptr(GError) error = NULL;

  node->address = g_strdup (address);
  node->data_dir = g_dir_make_tmp ("shoal-node-data-XXXXXX", &error);
  g_assert_no_error (error);
  node->share_dir = g_dir_make_tmp ("shoal-node-share-XXXXXX", &error);
  g_assert_no_error (error);
  return node;
}

void
shoal_test_node_free (ShoalTestNode *node)
{
  if (node == NULL)
    return;
  g_assert_false (node->running);
  shoal_test_remove_tree (node->data_dir);
  shoal_test_remove_tree (node->share_dir);
  g_free (node->address);
  g_free (node->data_dir);
  g_free (node->share_dir);
  g_free (node);
}

void
shoal_test_node_share_file (ShoalTestNode *node,
                            const char    *name,
                            const char    *contents)
{
  g_autofree char *path = g_build_filename (node->share_dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* The daemon opens its port once it handles signals: from then on it
 * may be asked for its status. */
static void
wait_listening (ShoalTestNode *node)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(GSocketConnection) connection =
        g_socket_client_connect_to_host (client, node->address, SHOAL_TEST_NODE_PORT, NULL, NULL);

      if (connection != NULL)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (STATUS_POLL_MS * 1000);
    }
}

/* In the child: a test that fails (an assertion aborts it) or is killed
 * by meson's timeout takes its shoald with it, rather than leaving it on
 * the test port for the next test. */
static void
die_with_parent (gpointer data)
{
  (void) data;
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
shoal_test_node_start (ShoalTestNode      *node,
                       const char * const *extra_args)
{
  const char *shoald = g_getenv ("SHOALD");
  g_autofree char *port = g_strdup_printf ("%d", SHOAL_TEST_NODE_PORT);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (node->data_dir, "shoald.log", NULL);
  int log_fd;
  g_autofree char *download_dir = g_build_filename (node->data_dir, "complete", NULL);
  /* Its own settings home: what `shoalctl set` saves stays with this
   * node (and its restarts), never reaching another test's daemons. */
  g_autofree char *config_home = g_build_filename (node->data_dir, "config", NULL);
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "XDG_CONFIG_HOME", config_home, TRUE);
  const char *fixed[] = { "--allow-private", "--no-default-bootstrap", "--port", port,
                          "--listen-address", node->address, "--data-dir", node->data_dir,
                          "--share", node->share_dir, "--download-dir", download_dir,
                          /* Each node's API on its own address, the default port. */
                          "--api-address", node->address };

  g_assert_nonnull (shoald);
  g_ptr_array_add (argv, (gpointer) shoald);
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  /* Its log stays next to its data, for the test's messages on failure. */
  log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (log_fd, >=, 0);
  g_spawn_async_with_fds (NULL, (char **) argv->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD,
                          die_with_parent, NULL, &node->pid, -1, log_fd, log_fd, &error);
  g_close (log_fd, NULL);
  g_assert_no_error (error);
  node->running = TRUE;
  wait_listening (node);
}

void
shoal_test_node_stop (ShoalTestNode *node)
{
  int status;

  if (!node->running)
    return;
  kill (node->pid, SIGTERM);
  g_assert_cmpint (waitpid (node->pid, &status, 0), ==, node->pid);
  g_spawn_close_pid (node->pid);
  node->running = FALSE;
  /* SIGTERM asks for a clean shutdown: anything else is a crash. */
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

static void
report_log (ShoalTestNode *node)
{
  g_autofree char *path = g_build_filename (node->data_dir, "shoald.log", NULL);
  g_autofree char *log = NULL;

  if (g_file_get_contents (path, &log, NULL, NULL))
    g_test_message ("log of the node on %s:\n%s", node->address, log);
}

void
shoal_test_node_kill (ShoalTestNode *node)
{
  int status;

  g_assert_true (node->running);
  kill (node->pid, SIGKILL);
  g_assert_cmpint (waitpid (node->pid, &status, 0), ==, node->pid);
  g_spawn_close_pid (node->pid);
  node->running = FALSE;
}

JsonObject *
shoal_test_node_status (ShoalTestNode *node)
{
  g_autofree char *path = g_build_filename (node->data_dir, "status.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + STATUS_TIMEOUT_MS * 1000;

  g_assert_true (node->running);
  g_unlink (path);
  kill (node->pid, SIGUSR1);
  /* The daemon writes the file atomically: once it exists it is whole. */
  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () >= deadline)
        report_log (node);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (STATUS_POLL_MS * 1000);
    }
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

guint
shoal_test_status_count_links (JsonObject *status,
                               const char *role)
{
  JsonArray *links = json_object_get_array_member (status, "links");
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (links); i++)
    count += g_str_equal (json_object_get_string_member (json_array_get_object_element (links, i), "role"), role);
  return count;
}

typedef struct
{
  ShoalTestNode *node;
  gint64         files;
} FilesWait;

static gboolean
has_hashed_files (gpointer data)
{
  FilesWait *wait = data;
  g_autoptr(JsonObject) status = shoal_test_node_status (wait->node);

  return json_object_get_int_member (status, "files") == wait->files;
}

void
shoal_test_node_wait_hashed (ShoalTestNode *node,
                             guint          files,
                             guint          timeout_ms)
{
  FilesWait wait = { node, files };

  shoal_test_poll_until (has_hashed_files, &wait, STATUS_POLL_MS * 10, timeout_ms,
                         "the node's shared files to be hashed");
}

int
shoal_test_node_ctl (ShoalTestNode       *node,
                     const char * const  *args,
                     char               **out,
                     char               **err)
{
  const char *shoalctl = g_getenv ("SHOALCTL");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *captured_out = NULL;
  g_autofree char *captured_err = NULL;
  int wait_status = 0;

  g_assert_nonnull (shoalctl);
  g_ptr_array_add (argv, (gpointer) shoalctl);
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, node->data_dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &captured_out, &captured_err, &wait_status, &error);
  g_assert_no_error (error);
  g_test_message ("shoalctl %s: exit %d\n%s%s", args[0],
                  WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1,
                  captured_out, captured_err);
  g_assert_true (WIFEXITED (wait_status));
  if (out != NULL)
    *out = g_steal_pointer (&captured_out);
  if (err != NULL)
    *err = g_steal_pointer (&captured_err);
  return WEXITSTATUS (wait_status);
}
