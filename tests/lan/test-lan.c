/* test-lan.c — LAN sharing end to end: hosts in network namespaces joined
 * by a bridge (lan-net.sh), each with its own dbus-daemon, avahi-daemon and
 * shoald, no anchor and no internet. They find each other by mDNS and link
 * within 15 s; a search from one finds a file another shares and downloads
 * it; a node whose avahi-daemon stops keeps running and says why, and picks
 * the daemon up again when it returns; LAN-only mode links the same way;
 * hosts of one name get services of different names and link too.
 * Each case runs in a subprocess: whatever happens to it, the parent ends
 * what still runs in the namespaces and removes them.
 * Needs root, or unprivileged user namespaces: then the test is root of a
 * user namespace of its own, with mount, network and PID namespaces and a
 * /run of their own; everything it makes there ends with it. */
#define _GNU_SOURCE  /* unshare() */

#include "shoal-test-loop.h"
#include "shoal-test-userns.h"
#include "shoal-test-node.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Namespaces PREFIX-1..N_NODES and PREFIX-hub. */
#define PREFIX "shl"
#define N_NODES 3
#define N_NODES_TEXT "3"
/* lan-net.sh gives host I the address SUBNET I. */
#define SUBNET "10.88.0."
#define NODE_PORT "6346"
/* The promise of the issue: linked to every other node within 15 s. */
#define LINK_TIMEOUT_MS 15000
#define MESH_SETTLE_MS 1000
/* Avahi leaving and coming back shows in the status within this. */
#define LAN_STATE_TIMEOUT_MS 15000
#define START_TIMEOUT_MS 20000
#define HASH_TIMEOUT_MS 20000
#define STATUS_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000
#define POLL_MS 100
#define STATUS_POLL_MS 20
/* One case, all included; meson gives the whole test 300 s. */
#define CASE_TIMEOUT_US (120 * G_USEC_PER_SEC)
/* Node 2 shares it; every node shares a LAGOON_WORD file of its own. */
#define SHARED_NAME "axolotl_lan_census.bin"
#define SHARED_WORD "axolotl"
#define SHARED_SIZE (256 * 1024 + 7)
#define LAGOON_WORD "lagoon"
#define SEARCH_WAIT_S "6"
#define SHARING_NODE 1   /* index into Lan.nodes: host 2 */
#define SEARCHING_NODE 0
#define AVAHI_LOSING_NODE 2
/* shoalctl's exit status for success. */
#define EXIT_OK 0
/* Host names: each its own, or all the same. */
#define HOSTNAME_PREFIX "shoal-host"
#define TWIN_HOSTNAME "shoal-twin"
/* Another run of this test (another build folder) would use the same
 * namespaces: runs take turns. */
#define RUN_LOCK_PATH "/tmp/shoal-test-lan.lock"
/* Where the parent tells a case's subprocess its work folder. */
#define WORK_DIR_VARIABLE "SHOAL_LAN_WORK_DIR"
#define RUN_DIR "/run"
/* What a user's PATH often lacks: where ip and avahi-daemon may be. */
#define SBIN_DIRS "/usr/sbin:/sbin"
/* The shell's way to say that a process ended by a signal. */
#define EXIT_SIGNAL_BASE 128

typedef struct
{
  guint     host;          /* 1..N_NODES: namespace PREFIX-host, address SUBNET host */
  char     *dir;           /* lan-net.sh's folder for this host: pids, logs */
  char     *data_dir;
  char     *share_dir;
  char     *download_dir;
  char     *address;
  char     *hostname;      /* of its UTS namespace: its default service name's */
  GPid      pid;           /* shoald, at the end of lan-net.sh node's exec chain */
  gboolean  running;
} LanNode;

typedef struct
{
  char    *work_dir;
  LanNode  nodes[N_NODES];
  GBytes  *content;        /* SHARED_NAME's */
  gint64   started_at;     /* monotonic µs, when the last node was up */
} Lan;

/* Helpers ------------------------------------------------------------------ */

static double
seconds_since (gint64 since)
{
  return (double) (g_get_monotonic_time () - since) / G_USEC_PER_SEC;
}

/* What a case has to say goes to stderr, which the parent passes on as
 * it comes: it survives the case's abort. */
static void note (const char *format,
                  ...) G_GNUC_PRINTF (1, 2);

static void
note (const char *format,
      ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("lan: %s\n", text);
}

static void
message_output (const char *what,
                const char *text)
{
  if (text != NULL && *text != '\0')
    note ("%s:\n%s", what, text);
}

/* Runs @argv to its end; returns its exit status (-1 when it did not exit),
 * with what it printed in @out. */
static int
run (const char * const  *argv,
     char               **out)
{
  g_autofree char *captured_out = NULL;
  g_autofree char *captured_err = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &captured_out, &captured_err, &wait_status, &error);
  g_assert_no_error (error);
  message_output (command, captured_err);
  if (out != NULL)
    *out = g_steal_pointer (&captured_out);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

/* lan-net.sh COMMAND ARG1 ARG2; its exit status. */
static int
lan_net (const char *command,
         const char *arg1,
         const char *arg2)
{
  const char *script = g_getenv ("SHOAL_LAN_NET");
  const char *argv[] = { "sh", script, command, arg1, arg2, NULL };

  g_assert_nonnull (script);
  return run (argv, NULL);
}

static void
read_pid (const char *dir,
          const char *name,
          GPid       *pid)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  guint64 value;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_strstrip (text);
  g_assert_true (g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT, &value, NULL));
  *pid = (GPid) value;
}

/* SIGTERM to a process this one reaps (we are the subreaper of the
 * daemons lan-net.sh leaves behind); waits for its end. */
static void
stop_daemon (const char *dir,
             const char *pid_file)
{
  g_autofree char *path = g_build_filename (dir, pid_file, NULL);
  GPid pid;
  int status;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  read_pid (dir, pid_file, &pid);
  g_unlink (path);
  if (kill (pid, SIGTERM) == 0)
    waitpid (pid, &status, 0);
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_object_member (object, name);
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *member = json_object_get_member (object, name);

  return member != NULL && JSON_NODE_HOLDS_VALUE (member) ? json_node_get_string (member) : NULL;
}

/* "peers" is a count or the list of them. */
static gint64
count_member (JsonObject *object,
              const char *name)
{
  JsonNode *member = json_object_get_member (object, name);

  g_assert_nonnull (member);
  if (JSON_NODE_HOLDS_ARRAY (member))
    return json_array_get_length (json_node_get_array (member));
  return json_node_get_int (member);
}

/* One node ------------------------------------------------------------------ */

static void
node_init (LanNode    *node,
           const char *work_dir,
           guint       host,
           gboolean    twins)
{
  g_autofree char *name = g_strdup_printf ("host%u", host);

  node->host = host;
  node->hostname = twins ? g_strdup (TWIN_HOSTNAME) : g_strdup_printf (HOSTNAME_PREFIX "%u", host);
  node->dir = g_build_filename (work_dir, name, NULL);
  node->data_dir = g_build_filename (node->dir, "data", NULL);
  node->share_dir = g_build_filename (node->dir, "share", NULL);
  node->download_dir = g_build_filename (node->dir, "complete", NULL);
  node->address = g_strdup_printf (SUBNET "%u", host);
  g_assert_cmpint (g_mkdir_with_parents (node->data_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (node->share_dir, 0700), ==, 0);
}

static void
node_clear (LanNode *node)
{
  g_assert_false (node->running);
  g_clear_pointer (&node->dir, g_free);
  g_clear_pointer (&node->data_dir, g_free);
  g_clear_pointer (&node->share_dir, g_free);
  g_clear_pointer (&node->download_dir, g_free);
  g_clear_pointer (&node->address, g_free);
  g_clear_pointer (&node->hostname, g_free);
}

static void
node_share (LanNode    *node,
            const char *name,
            GBytes     *content)
{
  g_autofree char *path = g_build_filename (node->share_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (content, &size);

  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
}

static void
node_report_logs (LanNode *node)
{
  const char *logs[] = { "shoald.log", "avahi.log", "dbus.log" };

  for (guint i = 0; i < G_N_ELEMENTS (logs); i++)
    {
      g_autofree char *path = g_build_filename (node->dir, logs[i], NULL);
      g_autofree char *text = NULL;
      g_autofree char *what = g_strdup_printf ("%s of host %u", logs[i], node->host);

      if (g_file_get_contents (path, &text, NULL, NULL))
        message_output (what, text);
    }
}

/* A node that died is a failure at once, with its logs. */
static void
node_assert_alive (LanNode *node)
{
  int status;

  g_assert_true (node->running);
  if (waitpid (node->pid, &status, WNOHANG) == node->pid)
    {
      node->running = FALSE;
      node_report_logs (node);
      g_error ("shoald of host %u ended (status 0x%x)", node->host, (guint) status);
    }
}

/* shoald, in host's namespaces, after its dbus-daemon and avahi-daemon. */
static void
node_spawn (LanNode            *node,
            const char * const *extra_args)
{
  const char *script = g_getenv ("SHOAL_LAN_NET");
  const char *shoald = g_getenv ("SHOALD");
  g_autofree char *host = g_strdup_printf ("%u", node->host);
  g_autofree char *log_path = g_build_filename (node->dir, "shoald.log", NULL);
  g_autofree char *config_home = g_build_filename (node->dir, "config", NULL);
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "XDG_CONFIG_HOME", config_home, TRUE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *fixed[] = { "sh", script, "node", PREFIX, host, node->dir, node->hostname, shoald,
                          "--no-default-bootstrap", "--port", NODE_PORT,
                          "--data-dir", node->data_dir, "--share", node->share_dir,
                          "--download-dir", node->download_dir };
  int log_fd;

  g_assert_nonnull (script);
  g_assert_nonnull (shoald);
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (log_fd, >=, 0);
  g_spawn_async_with_fds (NULL, (char **) argv->pdata, env,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                          NULL, NULL, &node->pid, -1, log_fd, log_fd, &error);
  g_close (log_fd, NULL);
  g_assert_no_error (error);
  node->running = TRUE;
}

/* shoald writes its API endpoint after its signal handlers are in place:
 * from then on SIGUSR1 asks for its status instead of killing it. */
static gboolean
node_is_up (gpointer data)
{
  LanNode *node = data;
  g_autofree char *path = g_build_filename (node->data_dir, "api-endpoint", NULL);

  node_assert_alive (node);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
node_stop (LanNode *node)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  int status = 0;
  pid_t ended;

  if (!node->running)
    return;
  kill (node->pid, SIGTERM);
  while ((ended = waitpid (node->pid, &status, WNOHANG)) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (STATUS_POLL_MS * G_TIME_SPAN_MILLISECOND);
  if (ended == 0)
    {
      kill (node->pid, SIGKILL);
      waitpid (node->pid, &status, 0);
    }
  node->running = FALSE;
  g_spawn_close_pid (node->pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    node_report_logs (node);
  /* SIGTERM asks for a clean shutdown: anything else is a crash. */
  g_assert_cmpint (ended, ==, node->pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

/* The node's status.json, fresh. */
static JsonObject *
node_status (LanNode *node)
{
  g_autofree char *path = g_build_filename (node->data_dir, "status.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + STATUS_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  node_assert_alive (node);
  g_unlink (path);
  kill (node->pid, SIGUSR1);
  /* Written atomically: once there it is whole. */
  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      node_assert_alive (node);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (STATUS_POLL_MS * G_TIME_SPAN_MILLISECOND);
    }
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* shoalctl --data-dir DATA @args in the node's network namespace, where
 * its API listens on loopback; requires exit status 0. */
static char *
node_ctl (LanNode            *node,
          const char * const *args)
{
  const char *shoalctl = g_getenv ("SHOALCTL");
  g_autofree char *ns = g_strdup_printf (PREFIX "-%u", node->host);
  g_autofree char *out = NULL;
  const char *fixed[] = { "ip", "netns", "exec", ns, shoalctl, "--data-dir", node->data_dir };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *what = NULL;
  g_autofree char *command = NULL;
  int status;

  g_assert_nonnull (shoalctl);
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  status = run ((const char * const *) argv->pdata, &out);
  command = g_strjoinv (" ", (char **) args);
  what = g_strdup_printf ("host %u: shoalctl %s (exit %d)", node->host, command, status);
  message_output (what, out);
  g_assert_cmpint (status, ==, EXIT_OK);
  return g_steal_pointer (&out);
}

#define NODE_CTL(node, ...) node_ctl ((node), (const char * const[]) { __VA_ARGS__, NULL })

/* `shoalctl --json @command`'s answer object. */
static JsonObject *
node_ctl_json (LanNode    *node,
               const char *command)
{
  g_autofree char *out = NODE_CTL (node, "--json", command);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (out, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

/* The LAN -------------------------------------------------------------------- */

/* Bytes no other file has by chance. */
static GBytes *
make_content (gsize size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (23);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return g_bytes_new_take (data, size);
}

static char *
lagoon_name (guint host)
{
  return g_strdup_printf (LAGOON_WORD "_notes_host%u.txt", host);
}

static void
share_files (Lan *lan)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      g_autofree char *name = lagoon_name (lan->nodes[i].host);
      g_autofree char *text = g_strdup_printf ("notes kept on host %u of the test LAN\n", lan->nodes[i].host);
      g_autoptr(GBytes) notes = g_bytes_new (text, strlen (text));

      node_share (&lan->nodes[i], name, notes);
    }
  lan->content = make_content (SHARED_SIZE);
  node_share (&lan->nodes[SHARING_NODE], SHARED_NAME, lan->content);
}

static guint
expected_files (guint index)
{
  return index == SHARING_NODE ? 2 : 1;
}

static gboolean
all_hashed (gpointer data)
{
  Lan *lan = data;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(JsonObject) status = node_status (&lan->nodes[i]);

      if (json_object_get_int_member (status, "files") != expected_files (i))
        return FALSE;
    }
  return TRUE;
}

/* @twins: all hosts have the same name, as in a room of machines
 * installed from one image: their services' default names collide and
 * Avahi has them renamed. */
static void
lan_start (Lan                *lan,
           gboolean            twins,
           const char * const *extra_args)
{
  gint64 begin = g_get_monotonic_time ();

  /* The parent's: it removes it whatever happens to us. */
  lan->work_dir = g_strdup (g_getenv (WORK_DIR_VARIABLE));
  g_assert_nonnull (lan->work_dir);
  g_assert_cmpint (lan_net ("up", PREFIX, N_NODES_TEXT), ==, 0);
  for (guint i = 0; i < N_NODES; i++)
    node_init (&lan->nodes[i], lan->work_dir, i + 1, twins);
  share_files (lan);
  /* All at once: their daemons start side by side. */
  for (guint i = 0; i < N_NODES; i++)
    node_spawn (&lan->nodes[i], extra_args);
  for (guint i = 0; i < N_NODES; i++)
    shoal_test_poll_until (node_is_up, &lan->nodes[i], STATUS_POLL_MS, START_TIMEOUT_MS, "shoald to start");
  lan->started_at = g_get_monotonic_time ();
  note ("TIMING: %u hosts up (network, dbus, avahi, shoald) in %.2f s",
                  N_NODES, seconds_since (begin));
}

static void
lan_stop (Lan *lan)
{
  for (guint i = 0; i < N_NODES; i++)
    node_stop (&lan->nodes[i]);
  for (guint i = 0; i < N_NODES; i++)
    {
      stop_daemon (lan->nodes[i].dir, "avahi.pid");
      stop_daemon (lan->nodes[i].dir, "dbus.pid");
    }
  g_assert_cmpint (lan_net ("down", PREFIX, N_NODES_TEXT), ==, 0);
  for (guint i = 0; i < N_NODES; i++)
    node_clear (&lan->nodes[i]);
  g_clear_pointer (&lan->work_dir, g_free);
  g_clear_pointer (&lan->content, g_bytes_unref);
}

/* Links ----------------------------------------------------------------------- */

/* The link with @address in @status (or in the API's answer to GET
 * links), whatever its port (an incoming link's is ephemeral); NULL when
 * there is none. */
static JsonObject *
find_link (JsonObject *status,
           const char *address)
{
  JsonArray *links = json_object_get_array_member (status, "links");
  g_autofree char *prefix = g_strconcat (address, ":", NULL);

  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonObject *link = json_array_get_object_element (links, i);
      /* status.json calls it "remote", the API "address". */
      const char *remote = string_member (link, json_object_has_member (link, "remote") ? "remote" : "address");

      if (g_str_has_prefix (remote, prefix))
        return link;
    }
  return NULL;
}

static gboolean
linked_to_all_others (Lan        *lan,
                      guint       index,
                      JsonObject *status)
{
  for (guint other = 0; other < N_NODES; other++)
    if (other != index && find_link (status, lan->nodes[other].address) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_full_mesh (gpointer data)
{
  Lan *lan = data;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(JsonObject) status = node_status (&lan->nodes[i]);

      if (!linked_to_all_others (lan, i, status))
        return FALSE;
    }
  return TRUE;
}

static void
report_links (Lan *lan)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(JsonObject) status = node_status (&lan->nodes[i]);
      g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), status);
      g_autofree char *text = json_to_string (root, TRUE);
      g_autofree char *what = g_strdup_printf ("status of host %u", lan->nodes[i].host);

      message_output (what, text);
    }
}

/* The mesh, seen twice a moment apart: while the nodes elect their roles
 * in their first seconds, a link may be dropped as a duplicate or
 * re-formed, and what is checked next must not catch that moment. */
static gboolean
is_settled_full_mesh (Lan *lan)
{
  if (!is_full_mesh (lan))
    return FALSE;
  g_usleep (MESH_SETTLE_MS * G_TIME_SPAN_MILLISECOND);
  return is_full_mesh (lan);
}

/* Each node links to every other one, with no anchor given. */
static void
wait_full_mesh (Lan *lan)
{
  gint64 deadline = lan->started_at + LINK_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (!is_settled_full_mesh (lan))
    {
      if (g_get_monotonic_time () >= deadline)
        {
          report_links (lan);
          for (guint i = 0; i < N_NODES; i++)
            node_report_logs (&lan->nodes[i]);
          g_error ("the nodes did not all link to each other within %d ms", LINK_TIMEOUT_MS);
        }
      g_usleep (POLL_MS * G_TIME_SPAN_MILLISECOND);
    }
  note ("TIMING: full mesh of %u nodes %.2f s after they were up", N_NODES,
                  seconds_since (lan->started_at));
}

static void
assert_links_lan (Lan        *lan,
                  guint       index,
                  JsonObject *links_owner)
{
  for (guint other = 0; other < N_NODES; other++)
    {
      JsonObject *link;

      if (other == index)
        continue;
      link = find_link (links_owner, lan->nodes[other].address);
      g_assert_nonnull (link);
      g_assert_true (json_object_has_member (link, "lan"));
      g_assert_true (json_object_get_boolean_member (link, "lan"));
    }
}

/* Status of LAN discovery ---------------------------------------------------------- */

typedef struct
{
  LanNode    *node;
  const char *discovery;
  gint64      peers;      /* -1: any */
} LanStateWait;

static gboolean
has_lan_state (gpointer data)
{
  LanStateWait *wait = data;
  g_autoptr(JsonObject) status = node_status (wait->node);
  JsonObject *lan = object_member (status, "lan");

  return g_strcmp0 (string_member (lan, "discovery"), wait->discovery) == 0 &&
         (wait->peers < 0 || count_member (lan, "peers") == wait->peers);
}

static void
wait_lan_state (LanNode    *node,
                const char *discovery,
                gint64      peers)
{
  LanStateWait wait = { node, discovery, peers };
  gint64 deadline = g_get_monotonic_time () + LAN_STATE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (!has_lan_state (&wait))
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_autoptr(JsonObject) status = node_status (node);
          g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), object_member (status, "lan"));
          g_autofree char *text = json_to_string (root, FALSE);

          node_report_logs (node);
          g_error ("host %u: LAN discovery not %s with %" G_GINT64_FORMAT " peers within %d ms: %s",
                   node->host, discovery, peers, LAN_STATE_TIMEOUT_MS, text);
        }
      g_usleep (POLL_MS * G_TIME_SPAN_MILLISECOND);
    }
}

/* Discovery runs on every node, each sees the others, each published a
 * name of its own (they share one host name: Avahi renamed), in
 * status.json and through the API. */
static void
check_lan_status (Lan      *lan,
                  gboolean  lan_only)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(JsonObject) status = NULL;
      g_autoptr(JsonObject) api_status = NULL;
      JsonObject *lan_status;
      JsonObject *api_lan;

      wait_lan_state (&lan->nodes[i], "running", N_NODES - 1);
      status = node_status (&lan->nodes[i]);
      lan_status = object_member (status, "lan");
      api_status = node_ctl_json (&lan->nodes[i], "status");
      api_lan = object_member (api_status, "lan");
      g_assert_cmpstr (string_member (lan_status, "reason"), ==, NULL);
      g_assert_nonnull (string_member (lan_status, "service_name"));
      g_assert_true (g_hash_table_add (names, g_strdup (string_member (lan_status, "service_name"))));
      g_assert_cmpint (json_object_get_boolean_member (lan_status, "lan_only"), ==, lan_only);
      g_assert_cmpstr (string_member (api_lan, "discovery"), ==, "running");
      g_assert_cmpint (json_object_get_boolean_member (api_lan, "lan_only"), ==, lan_only);
      assert_links_lan (lan, i, status);
    }
  /* The API's link list says LAN too. */
  {
    g_autoptr(JsonObject) links = node_ctl_json (&lan->nodes[SEARCHING_NODE], "links");

    assert_links_lan (lan, SEARCHING_NODE, links);
  }
}

/* Search and download ------------------------------------------------------------- */

/* The rows `shoalctl --json search` printed, one JSON object a line. */
static GPtrArray *
search_rows (LanNode    *node,
             const char *word)
{
  g_autofree char *out = NODE_CTL (node, "--json", "search", word, "--wait", SEARCH_WAIT_S);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) row = NULL;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      row = json_from_string (lines[i], &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (row));
      g_ptr_array_add (rows, json_object_ref (json_node_get_object (row)));
    }
  return rows;
}

static JsonObject *
find_row (GPtrArray  *rows,
          const char *name)
{
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (string_member (g_ptr_array_index (rows, i), "name"), name) == 0)
      return g_ptr_array_index (rows, i);
  return NULL;
}

static char *
sha1_of_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &data, &length, &error);
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) data, length);
}

/* Node 1 finds what node 2 shares and downloads it whole. */
static void
check_search_and_get (Lan *lan)
{
  LanNode *searching = &lan->nodes[SEARCHING_NODE];
  gint64 begin = g_get_monotonic_time ();
  g_autoptr(GPtrArray) rows = search_rows (searching, SHARED_WORD);
  JsonObject *row = find_row (rows, SHARED_NAME);
  g_autofree char *ref = NULL;
  g_autofree char *got = NULL;
  g_autofree char *path = g_build_filename (searching->download_dir, SHARED_NAME, NULL);
  g_autofree char *expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, lan->content);
  g_autofree char *actual = NULL;

  note ("TIMING: search (--wait " SEARCH_WAIT_S ") took %.2f s", seconds_since (begin));
  g_assert_nonnull (row);
  g_assert_cmpint (json_object_get_int_member (row, "size"), ==, SHARED_SIZE);
  ref = g_strdup_printf ("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT, json_object_get_int_member (row, "search"),
                         json_object_get_int_member (row, "index"));
  begin = g_get_monotonic_time ();
  got = NODE_CTL (searching, "get", ref, "--wait");
  note ("TIMING: get of %d bytes took %.2f s", SHARED_SIZE, seconds_since (begin));
  actual = sha1_of_file (path);
  g_assert_cmpstr (actual, ==, expected);
}

/* In LAN-only mode too, a search reaches every other LAN peer. */
static void
check_search_reaches_all (Lan *lan)
{
  g_autoptr(GPtrArray) rows = search_rows (&lan->nodes[SEARCHING_NODE], LAGOON_WORD);

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autofree char *name = lagoon_name (lan->nodes[i].host);

      if (i != SEARCHING_NODE)
        g_assert_nonnull (find_row (rows, name));
    }
}

/* Losing avahi-daemon ---------------------------------------------------------------- */

static void
check_avahi_loss (Lan *lan)
{
  LanNode *node = &lan->nodes[AVAHI_LOSING_NODE];
  g_autofree char *pid_text = g_strdup_printf ("%d", (int) node->pid);
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(JsonObject) api_status = NULL;
  JsonObject *lan_status;
  gint64 begin = g_get_monotonic_time ();

  stop_daemon (node->dir, "avahi.pid");
  wait_lan_state (node, "unavailable", -1);
  note ("TIMING: avahi-daemon gone: status unavailable after %.2f s", seconds_since (begin));

  /* Still running, saying why, its links kept, still answering. */
  status = node_status (node);
  lan_status = object_member (status, "lan");
  g_assert_nonnull (string_member (lan_status, "reason"));
  g_assert_cmpstr (string_member (lan_status, "reason"), !=, "");
  note ("host %u without avahi-daemon: reason “%s”", node->host, string_member (lan_status, "reason"));
  g_assert_true (linked_to_all_others (lan, AVAHI_LOSING_NODE, status));
  api_status = node_ctl_json (node, "status");
  g_assert_cmpstr (string_member (object_member (api_status, "lan"), "discovery"), ==, "unavailable");
  g_assert_nonnull (string_member (object_member (api_status, "lan"), "reason"));

  /* The daemon's return is picked up. */
  begin = g_get_monotonic_time ();
  g_assert_cmpint (lan_net ("avahi", pid_text, node->dir), ==, 0);
  wait_lan_state (node, "running", N_NODES - 1);
  note ("TIMING: avahi-daemon back: running, the other nodes seen again after %.2f s", seconds_since (begin));
  g_clear_pointer (&status, json_object_unref);
  status = node_status (node);
  g_assert_cmpstr (string_member (object_member (status, "lan"), "reason"), ==, NULL);
  g_assert_true (linked_to_all_others (lan, AVAHI_LOSING_NODE, status));
}

/* Cases ------------------------------------------------------------------------------ */

static void
run_discovery (void)
{
  Lan lan = { NULL };

  lan_start (&lan, FALSE, NULL);
  wait_full_mesh (&lan);
  check_lan_status (&lan, FALSE);
  shoal_test_poll_until (all_hashed, &lan, POLL_MS, HASH_TIMEOUT_MS, "the shared files to be hashed");
  check_search_and_get (&lan);
  check_avahi_loss (&lan);
  lan_stop (&lan);
}

static void
run_lan_only (void)
{
  Lan lan = { NULL };

  lan_start (&lan, FALSE, (const char * const[]) { "--lan-only", NULL });
  wait_full_mesh (&lan);
  check_lan_status (&lan, TRUE);
  shoal_test_poll_until (all_hashed, &lan, POLL_MS, HASH_TIMEOUT_MS, "the shared files to be hashed");
  check_search_reaches_all (&lan);
  lan_stop (&lan);
}

/* Hosts of one name: the services' names collide, each is renamed until
 * all differ, and they find each other as well. */
static void
run_twins (void)
{
  Lan lan = { NULL };

  lan_start (&lan, TRUE, NULL);
  wait_full_mesh (&lan);
  check_lan_status (&lan, FALSE);
  lan_stop (&lan);
}

/* The daemons a dead subprocess left behind come to us (the subreaper):
 * lan-net.sh down ends them, we reap them. */
static void
clean_up_after (void)
{
  int status;

  g_assert_cmpint (lan_net ("down", PREFIX, N_NODES_TEXT), ==, 0);
  while (waitpid (-1, &status, WNOHANG) > 0)
    ;
}

/* A failed case is reported and the next one still runs. */
static void
run_case (void (*body) (void))
{
  gint64 begin = g_get_monotonic_time ();
  g_autofree char *work_dir = NULL;
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      body ();
      return;
    }
  work_dir = g_dir_make_tmp ("shoal-lan-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv (WORK_DIR_VARIABLE, work_dir, TRUE);
  /* Its notes, timings and failures go to our stderr as they come. */
  g_test_trap_subprocess (NULL, CASE_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
  clean_up_after ();
  shoal_test_remove_tree (work_dir);
  g_unsetenv (WORK_DIR_VARIABLE);
  g_test_message ("TIMING: case took %.2f s", seconds_since (begin));
  if (!g_test_trap_has_passed ())
    g_test_fail_printf ("the case failed: its messages are on stderr");
}

static void
test_discovery (void)
{
  run_case (run_discovery);
}

static void
test_lan_only (void)
{
  run_case (run_lan_only);
}

static void
test_twins (void)
{
  run_case (run_twins);
}

/* Without the right to make namespaces the test cannot say anything: that
 * is an error, not a pass. NULL when we have it. */
static char *
missing_privilege (gboolean rootless)
{
  const char *probe[] = { "ip", "netns", "add", PREFIX "-probe", NULL };
  const char *remove[] = { "ip", "netns", "delete", PREFIX "-probe", NULL };

  if (geteuid () != 0)
    return g_strdup ("needs root to create network namespaces");
  clean_up_after ();
  if (run (probe, NULL) != 0)
    return g_strdup (rootless ? "cannot create network namespaces in a user namespace (ip netns add failed)"
                              : "needs root to create network namespaces (ip netns add failed)");
  g_assert_cmpint (run (remove, NULL), ==, 0);
  return NULL;
}

/* Without root ---------------------------------------------------------------------- */

static void
bail_out (const char *what,
          int         error_number)
{
  printf ("Bail out! %s: %s\n", what, g_strerror (error_number));
  fflush (stdout);
  _exit (1);
}

/* ip netns keeps its names in /run/netns, and lan-net.sh mounts the
 * daemons' folders of each node over /run/dbus and /run/avahi-daemon: in
 * a /run of our own, which the host's root owns no part of. */
static void
make_run_dir (void)
{
  static const char * const dirs[] = { RUN_DIR "/netns", RUN_DIR "/dbus", RUN_DIR "/avahi-daemon" };

  if (mount ("tmpfs", RUN_DIR, "tmpfs", 0, "mode=0755") != 0)
    shoal_test_userns_skip_all ("mounting a tmpfs on " RUN_DIR " in a user namespace", errno);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (mkdir (dirs[i], 0755) != 0)
      bail_out (dirs[i], errno);
}

/* Ends this process the way @wait_status says a child ended. */
static void G_GNUC_NORETURN
exit_like (int wait_status)
{
  if (WIFEXITED (wait_status))
    _exit (WEXITSTATUS (wait_status));
  _exit (EXIT_SIGNAL_BASE + WTERMSIG (wait_status));
}

static void G_GNUC_NORETURN
exit_like_child (pid_t child)
{
  int wait_status = 0;

  while (waitpid (child, &wait_status, 0) < 0)
    if (errno != EINTR)
      bail_out ("waitpid", errno);
  exit_like (wait_status);
}

/* The first process of the new PID namespace waits for the test, its only
 * child: when either ends, the kernel kills whatever else still runs in
 * the namespace (the daemons of an aborted case), and with the last
 * process the namespaces go. It dies with the process outside. The test
 * itself is no namespace's first process, which would be deaf to the
 * signals abort() and the sanitizers raise. */
static void
start_pid_namespace (void)
{
  pid_t first = fork ();
  pid_t test;

  if (first < 0)
    bail_out ("fork", errno);
  if (first > 0)
    exit_like_child (first);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* A /proc of this PID namespace: ip netns pids and the sanitizers read
   * process ids there. */
  if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    shoal_test_userns_skip_all ("mounting /proc in a PID namespace", errno);
  test = fork ();
  if (test < 0)
    bail_out ("fork", errno);
  if (test > 0)
    exit_like_child (test);
}

/* Makes us root of a new user namespace, with new mount, network and PID
 * namespaces, before any thread exists (a process of more than one
 * cannot change its user namespace). Returns in the test's process. */
static void
enter_user_namespace (void)
{
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  g_autofree char *path = g_strconcat (g_getenv ("PATH") != NULL ? g_getenv ("PATH") : "",
                                       ":" SBIN_DIRS, NULL);

  if (unshare (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0)
    shoal_test_userns_skip_all ("unshare", errno);
  shoal_test_userns_map_to_root (uid, gid);
  /* Our mounts must not reach the host's namespace. Where user
   * namespaces are made but restricted, this is what fails. */
  if (mount ("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    shoal_test_userns_skip_all ("making the mounts private in a user namespace", errno);
  make_run_dir ();
  g_setenv ("PATH", path, TRUE);
  start_pid_namespace ();
}

/* Held until we exit. */
static void
take_turn (void)
{
  int fd = g_open (RUN_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *missing = NULL;
  /* Root of our own user namespace from here on, in the case
   * subprocesses too. */
  gboolean rootless = geteuid () != 0;

  if (rootless)
    enter_user_namespace ();
  g_test_init (&argc, &argv, NULL);
  /* lan-net.sh leaves dbus-daemon and avahi-daemon behind as orphans:
   * they come to us to be reaped, not to a pid 1 that may not reap. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), ==, 0);
  if (!g_test_subprocess ())
    {
      /* Without root, the namespaces' names are in a /run of our own:
       * no other run sees them. */
      if (!rootless)
        take_turn ();
      missing = missing_privilege (rootless);
      if (missing != NULL)
        {
          g_print ("Bail out! %s\n", missing);
          return 1;
        }
    }
  g_test_add_func ("/lan/discovery", test_discovery);
  g_test_add_func ("/lan/lan-only", test_lan_only);
  g_test_add_func ("/lan/same-host-name", test_twins);
  return g_test_run ();
}
