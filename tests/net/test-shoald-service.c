/* test-shoald-service.c — shoald as a service, in its own processes:
 * SIGHUP reads the settings file again (a bad one changes nothing),
 * reopens the log file after logrotate renamed it, systemd hears READY,
 * RELOADING and STOPPING, and a restart keeps the hashed library and the
 * host cache. */
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NODE_A "127.0.31.1"
#define NODE_B "127.0.31.2"
#define NODE_A_ENDPOINT NODE_A ":6346"
#define TIMEOUT_MS 30000
/* A host that answered is not dialled again for a minute
 * (SHOAL_HOST_CACHE_MIN_RETRY_SECONDS), restart or not. */
#define REDIAL_TIMEOUT_MS 120000
#define POLL_MS 100
#define DATAGRAM_MAX 256

static char *
make_folder (void)
{
  g_autoptr(GError) error = NULL;
  char *folder = g_dir_make_tmp ("shoald-service-XXXXXX", &error);

  g_assert_no_error (error);
  return folder;
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static guint
count_in (const char *text,
          const char *words)
{
  guint count = 0;

  for (const char *at = strstr (text, words); at != NULL; at = strstr (at + 1, words))
    count++;
  return count;
}

/* Log lines ------------------------------------------------------------------ */

typedef struct
{
  const char *path;
  const char *words;
} LogWait;

static gboolean
log_says (gpointer data)
{
  LogWait *wait = data;
  g_autofree char *text = read_text (wait->path);

  return strstr (text, wait->words) != NULL;
}

static void
wait_log (const char *path,
          const char *words)
{
  LogWait wait = { path, words };

  shoal_test_poll_until (log_says, &wait, POLL_MS, TIMEOUT_MS, words);
}

/* status.json ------------------------------------------------------------------- */

typedef struct
{
  ShoalTestNode *node;
  const char    *role;
  guint          ultrapeer_links;
} StatusWait;

static gboolean
has_role (gpointer data)
{
  StatusWait *wait = data;
  g_autoptr(JsonObject) status = shoal_test_node_status (wait->node);

  return g_str_equal (json_object_get_string_member (status, "role"), wait->role);
}

static void
wait_role (ShoalTestNode *node,
           const char    *role)
{
  StatusWait wait = { node, role, 0 };

  shoal_test_poll_until (has_role, &wait, POLL_MS, TIMEOUT_MS, role);
}

static gboolean
has_ultrapeer_links (gpointer data)
{
  StatusWait *wait = data;
  g_autoptr(JsonObject) status = shoal_test_node_status (wait->node);

  return shoal_test_status_count_links (status, "ultrapeer") == wait->ultrapeer_links;
}

static void
wait_ultrapeer_links (ShoalTestNode *node,
                      guint          links,
                      guint          timeout_ms)
{
  StatusWait wait = { node, NULL, links };

  shoal_test_poll_until (has_ultrapeer_links, &wait, POLL_MS * 10, timeout_ms, "links to ultrapeers");
}

/* systemd's side of NOTIFY_SOCKET ----------------------------------------------- */

static int
bind_notify_socket (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (strlen (path), <, sizeof address.sun_path);
  strcpy (address.sun_path, path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) (gpointer) &address, sizeof address), ==, 0);
  return fd;
}

static char *
receive_datagram (int fd)
{
  struct pollfd ready = { .fd = fd, .events = POLLIN };
  char buffer[DATAGRAM_MAX];
  gssize length;

  g_assert_cmpint (poll (&ready, 1, TIMEOUT_MS), ==, 1);
  length = recv (fd, buffer, sizeof buffer, 0);
  g_assert_cmpint (length, >, 0);
  return g_strndup (buffer, (gsize) length);
}

static void
expect_datagram (int         fd,
                 const char *prefix)
{
  g_autofree char *datagram = receive_datagram (fd);

  g_test_message ("NOTIFY_SOCKET got “%s”", datagram);
  g_assert_true (g_str_has_prefix (datagram, prefix));
}

/* Tests ----------------------------------------------------------------------------- */

/* SIGHUP applies a changed file live and names what waits for a restart;
 * a file that does not read is logged and changes nothing. systemd hears
 * of the start, each reload and the stop. */
static void
test_reload (void)
{
  g_autoptr(ShoalTestNode) node = shoal_test_node_new (NODE_A);
  g_autofree char *folder = make_folder ();
  g_autofree char *config = g_build_filename (folder, "shoal.conf", NULL);
  g_autofree char *notify = g_build_filename (folder, "notify", NULL);
  g_autofree char *log = g_build_filename (node->data_dir, "service.log", NULL);
  g_autofree char *bad_line = g_strdup_printf ("settings not reloaded, the ones in effect stay: "
                                               "%s:2: key “role” in [roles]", config);
  const char *args[] = { "--config", config, "--log-file", log, NULL };
  g_autoptr(JsonObject) status = NULL;
  int notify_fd = bind_notify_socket (notify);

  write_text (config, "# set by the test\n[roles]\nrole=leaf\n");
  g_setenv ("NOTIFY_SOCKET", notify, TRUE);
  shoal_test_node_start (node, args);
  g_unsetenv ("NOTIFY_SOCKET");
  expect_datagram (notify_fd, "READY=1\nSTATUS=listening on port 6346");
  wait_log (log, "shoald-Message: listening on port 6346");
  wait_role (node, "leaf");

  write_text (config, "[roles]\nrole=ultrapeer\nultrapeer-leaf-slots=7\n[api]\nport=7001\n");
  kill (node->pid, SIGHUP);
  expect_datagram (notify_fd, "RELOADING=1\nMONOTONIC_USEC=");
  expect_datagram (notify_fd, "READY=1");
  wait_log (log, "settings reloaded: applied roles.role, roles.ultrapeer-leaf-slots");
  wait_log (log, "settings reloaded: restart to apply api.port");
  wait_role (node, "ultrapeer");

  write_text (config, "[roles]\nrole=Leaf\n");
  kill (node->pid, SIGHUP);
  expect_datagram (notify_fd, "RELOADING=1");
  expect_datagram (notify_fd, "READY=1");
  wait_log (log, bad_line);
  status = shoal_test_node_status (node);
  g_assert_cmpstr (json_object_get_string_member (status, "role"), ==, "ultrapeer");
  g_assert_cmpint (json_object_get_int_member (status, "role_switches"), ==, 1);

  shoal_test_node_stop (node);
  expect_datagram (notify_fd, "STOPPING=1");
  close (notify_fd);
  shoal_test_remove_tree (folder);
}

/* logrotate renames the file and sends SIGHUP: what was logged before is
 * in the renamed file, what follows in a new one. */
static void
test_log_rotation (void)
{
  g_autoptr(ShoalTestNode) node = shoal_test_node_new (NODE_A);
  g_autofree char *log = g_build_filename (node->data_dir, "service.log", NULL);
  g_autofree char *rotated = g_build_filename (node->data_dir, "service.log.1", NULL);
  g_autofree char *old_lines = NULL;
  g_autofree char *new_lines = NULL;
  const char *args[] = { "--log-file", log, NULL };

  shoal_test_node_start (node, args);
  wait_log (log, "listening on port 6346");
  g_assert_cmpint (g_rename (log, rotated), ==, 0);
  kill (node->pid, SIGHUP);
  wait_log (log, "settings reloaded: nothing changed");
  shoal_test_node_stop (node);

  old_lines = read_text (rotated);
  new_lines = read_text (log);
  g_assert_nonnull (strstr (old_lines, "listening on port 6346"));
  g_assert_null (strstr (old_lines, "settings reloaded"));
  g_assert_null (strstr (old_lines, "shutting down"));
  g_assert_null (strstr (new_lines, "listening on port"));
  g_assert_nonnull (strstr (new_lines, "shutting down"));
}

/* Stopped and started again, a node shares its hashed files without
 * hashing them again, and finds its peer through the host cache it
 * saved: the peer dials nobody and the node has no anchor any more. */
static void
test_restart_keeps_state (void)
{
  g_autoptr(ShoalTestNode) a = shoal_test_node_new (NODE_A);
  g_autoptr(ShoalTestNode) b = shoal_test_node_new (NODE_B);
  g_autofree char *a_log = g_build_filename (a->data_dir, "service.log", NULL);
  g_autofree char *b_log = g_build_filename (b->data_dir, "service.log", NULL);
  g_autofree char *first_run = NULL;
  g_autofree char *both_runs = NULL;
  g_autoptr(JsonObject) status = NULL;
  const char *a_args[] = { "--role=ultrapeer", "--anchors-only", "--log-file", a_log, NULL };
  const char *b_first[] = { "--role=leaf", "--anchor", NODE_A_ENDPOINT, "--log-file", b_log, NULL };
  const char *b_again[] = { "--role=leaf", "--log-file", b_log, NULL };

  shoal_test_node_share_file (a, "song.ogg", "a few bytes of a song");
  shoal_test_node_start (a, a_args);
  wait_log (a_log, "library: 1 files, 1 hashed (1 since start)");
  shoal_test_node_start (b, b_first);
  wait_ultrapeer_links (b, 1, TIMEOUT_MS);
  shoal_test_node_stop (b);
  shoal_test_node_stop (a);
  first_run = read_text (a_log);

  shoal_test_node_start (a, a_args);
  wait_log (a_log, "library: 1 files, 1 hashed (0 since start)");
  status = shoal_test_node_status (a);
  g_assert_cmpint (json_object_get_int_member (status, "files"), ==, 1);
  shoal_test_node_start (b, b_again);
  wait_ultrapeer_links (b, 1, REDIAL_TIMEOUT_MS);
  shoal_test_node_stop (b);
  shoal_test_node_stop (a);

  /* The second run hashed nothing. */
  both_runs = read_text (a_log);
  g_assert_true (g_str_has_prefix (both_runs, first_run));
  g_assert_cmpuint (count_in (both_runs + strlen (first_run), "since start"), >, 0);
  g_assert_cmpuint (count_in (both_runs + strlen (first_run), "(0 since start)"), ==,
                    count_in (both_runs + strlen (first_run), "since start"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shoald-service/reload", test_reload);
  g_test_add_func ("/shoald-service/log-rotation", test_log_rotation);
  g_test_add_func ("/shoald-service/restart-keeps-state", test_restart_keeps_state);
  return g_test_run ();
}
