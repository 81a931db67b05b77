/* test-lan-discovery.c — LAN discovery against a real avahi-daemon: the
 * test moves into network and mount namespaces of its own, with its own
 * interfaces, a system dbus-daemon and an avahi-daemon it starts, kills
 * and starts again. Needs root, or unprivileged user namespaces: then it
 * is root of a user namespace of its own first. */
#define _GNU_SOURCE  /* unshare() */

#include "shoal-lan-discovery.h"
#include "shoal-test-loop.h"
#include "shoal-test-userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAN_INTERFACE "shoal0"
/* Where no dummy interfaces exist, the other end of a veth pair. */
#define LAN_INTERFACE_PEER "shoal0p"
#define LAN_ADDRESS_CIDR "10.93.0.1/24"
#define LAN_ADDRESS 0x0a5d0001u  /* 10.93.0.1 */
/* A second interface, for one case only: the daemon is allowed it from
 * the start and picks it up when it appears. */
#define LAN2_INTERFACE "shoal1"
#define LAN2_INTERFACE_PEER "shoal1p"
#define LAN2_ADDRESS_CIDR "10.93.1.1/24"
#define LAN2_ADDRESS 0x0a5d0101u  /* 10.93.1.1 */
#define RUN_DIR "/run"
#define DBUS_RUN_DIR "/run/dbus"
#define AVAHI_RUN_DIR "/run/avahi-daemon"
#define AVAHI_CONFIG_PATH "/run/shoal-test-avahi.conf"
#define DBUS_CONFIG_PATH "/run/shoal-test-dbus.conf"
/* The user avahi-daemon hands its runtime folder to, and the tables that
 * say who it is, with our copies of them. */
#define AVAHI_USER "avahi"
#define PASSWD_PATH "/etc/passwd"
#define PASSWD_COPY_PATH "/run/shoal-test-passwd"
#define GROUP_PATH "/etc/group"
#define GROUP_COPY_PATH "/run/shoal-test-group"
/* Fields of those tables before the first id (name, password), and how
 * many ids follow: passwd's uid and gid, group's gid. */
#define ID_FIELD_INDEX 2
#define PASSWD_ID_COUNT 2
#define GROUP_ID_COUNT 1
/* The system bus's own configuration switches to user messagebus, and
 * that clears the parent-death signal: this one stays root, and lets
 * anyone own and call anything, as nobody else is on it. */
#define DBUS_CONFIG \
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n" \
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n" \
  "<busconfig>\n" \
  "  <type>system</type>\n" \
  "  <listen>unix:path=" DBUS_RUN_DIR "/system_bus_socket</listen>\n" \
  "  <auth>EXTERNAL</auth>\n" \
  "  <policy context=\"default\">\n" \
  "    <allow user=\"*\"/>\n" \
  "    <allow own=\"*\"/>\n" \
  "    <allow send_destination=\"*\"/>\n" \
  "    <allow receive_sender=\"*\"/>\n" \
  "  </policy>\n" \
  "</busconfig>\n"
#define AVAHI_CONFIG \
  "[server]\n" \
  "use-ipv4=yes\n" \
  "use-ipv6=no\n" \
  "allow-interfaces=" LAN_INTERFACE "," LAN2_INTERFACE "\n" \
  "enable-dbus=yes\n" \
  "[wide-area]\n" \
  "enable-wide-area=no\n" \
  "[publish]\n" \
  "publish-workstation=no\n" \
  "publish-hinfo=no\n"

/* What the issue asks: a peer on the LAN is found within 5 s. */
#define FIND_TIMEOUT_MS 5000
/* A daemon starting up, a client connecting: generous under ASan. */
#define DAEMON_TIMEOUT_MS 10000
/* Long enough for a wrong report to arrive if there were one. */
#define QUIET_MS 1500
/* The retry interval the tests give when they wait for a bus. */
#define TEST_RETRY_S 1
#define BASE_PORT 16346

/* The daemons ------------------------------------------------------------- */

static GSubprocess *dbus_daemon;
static GSubprocess *avahi_daemon;

static void
bail_out (const char *reason)
{
  printf ("Bail out! %s\n", reason);
  fflush (stdout);
  exit (1);
}

static char *
find_tool (const char *name,
           const char *package)
{
  static const char * const sbin_dirs[] = { "/usr/sbin", "/sbin" };
  char *path = g_find_program_in_path (name);

  for (guint i = 0; path == NULL && i < G_N_ELEMENTS (sbin_dirs); i++)
    {
      g_autofree char *candidate = g_build_filename (sbin_dirs[i], name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        path = g_steal_pointer (&candidate);
    }
  if (path == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("%s is missing (package %s)", name, package);

      bail_out (reason);
    }
  return path;
}

static gboolean
run_tool (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     NULL, NULL, &status, &error))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static void
run_ip (const char * const *args)
{
  g_autofree char *ip = find_tool ("ip", "iproute2");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;

  g_strv_builder_add (builder, ip);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  if (!run_tool ((const char * const *) argv))
    {
      g_autofree char *command = g_strjoinv (" ", argv);
      g_autofree char *reason = g_strdup_printf ("“%s” failed", command);

      bail_out (reason);
    }
}

/* The kernel may lack dummy interfaces: a veth pair carries multicast
 * as well. */
static void
add_interface (const char *name,
               const char *peer_name,
               const char *address_cidr)
{
  g_autofree char *ip = find_tool ("ip", "iproute2");
  const char * const dummy[] = { ip, "link", "add", name, "type", "dummy", NULL };

  if (!run_tool (dummy))
    {
      run_ip ((const char * const[]) { "link", "add", name, "type", "veth",
                                       "peer", "name", peer_name, NULL });
      run_ip ((const char * const[]) { "link", "set", peer_name, "up", NULL });
    }
  run_ip ((const char * const[]) { "link", "set", name, "multicast", "on", "up", NULL });
  run_ip ((const char * const[]) { "addr", "add", address_cidr, "dev", name, NULL });
}

/* Deleting either end of a veth pair deletes both. */
static void
delete_interface (const char *name)
{
  run_ip ((const char * const[]) { "link", "del", name, NULL });
}

/* A /run of our own: the daemons' sockets and pid files, and the
 * configuration, vanish with the namespace. */
static void
make_run_dir (void)
{
  g_autoptr(GError) error = NULL;

  if (mount ("tmpfs", RUN_DIR, "tmpfs", 0, "mode=0755") != 0)
    bail_out ("cannot mount a tmpfs on " RUN_DIR);
  if (mkdir (DBUS_RUN_DIR, 0755) != 0 || mkdir (AVAHI_RUN_DIR, 0755) != 0)
    bail_out ("cannot make the daemons' folders in " RUN_DIR);
  if (!g_file_set_contents (AVAHI_CONFIG_PATH, AVAHI_CONFIG, -1, &error) ||
      !g_file_set_contents (DBUS_CONFIG_PATH, DBUS_CONFIG, -1, &error))
    bail_out ("cannot write the daemons' configurations");
}

/* @table (passwd or group) with the @n_ids ids of AVAHI_USER made 0. */
static char *
with_avahi_as_root (const char *table,
                    guint       n_ids)
{
  g_auto(GStrv) lines = g_strsplit (table, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", -1);

      if (g_strcmp0 (fields[0], AVAHI_USER) != 0 ||
          g_strv_length (fields) < ID_FIELD_INDEX + n_ids)
        continue;
      for (guint field = ID_FIELD_INDEX; field < ID_FIELD_INDEX + n_ids; field++)
        {
          g_free (fields[field]);
          fields[field] = g_strdup ("0");
        }
      g_free (lines[i]);
      lines[i] = g_strjoinv (":", fields);
    }
  return g_strjoinv ("\n", lines);
}

/* Our copy of @path, with AVAHI_USER made root, in its place in our mount
 * namespace. */
static void
replace_table (const char *path,
               const char *copy_path,
               guint       n_ids)
{
  g_autofree char *table = NULL;
  g_autofree char *changed = NULL;

  if (!g_file_get_contents (path, &table, NULL, NULL))
    bail_out ("cannot read " PASSWD_PATH " or " GROUP_PATH);
  changed = with_avahi_as_root (table, n_ids);
  if (!g_file_set_contents (copy_path, changed, -1, NULL) ||
      mount (copy_path, path, NULL, MS_BIND, NULL) != 0)
    bail_out ("cannot put a copy of " PASSWD_PATH " or " GROUP_PATH " in place");
}

/* avahi-daemon gives its runtime folder to user avahi even when it keeps
 * root, and stops when that does not take. In a user namespace of ours
 * only uid and gid 0 exist: there, user and group avahi are 0. */
static void
make_avahi_root (void)
{
  replace_table (PASSWD_PATH, PASSWD_COPY_PATH, PASSWD_ID_COUNT);
  replace_table (GROUP_PATH, GROUP_COPY_PATH, GROUP_ID_COUNT);
}

/* New network and mount namespaces for this process (in a new user
 * namespace too when we are not root), made before any thread exists: a
 * thread would stay behind in the host's. They go when the process (and
 * the daemons it started) ends. */
static void
isolate (void)
{
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  gboolean rootless = uid != 0;

  if (unshare (CLONE_NEWNET | CLONE_NEWNS | (rootless ? CLONE_NEWUSER : 0)) != 0)
    {
      if (rootless)
        shoal_test_userns_skip_all ("unshare", errno);
      if (errno == EPERM)
        bail_out ("needs root to make namespaces");
      bail_out ("cannot make namespaces");
    }
  if (rootless)
    shoal_test_userns_map_to_root (uid, gid);
  /* Our mounts must not reach the host's namespace. Where user
   * namespaces are made but restricted, this is what fails. */
  if (mount ("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      if (rootless)
        shoal_test_userns_skip_all ("making the mounts private in a user namespace", errno);
      bail_out ("cannot make the mounts private");
    }
  run_ip ((const char * const[]) { "link", "set", "lo", "up", NULL });
  add_interface (LAN_INTERFACE, LAN_INTERFACE_PEER, LAN_ADDRESS_CIDR);
  make_run_dir ();
  if (rootless)
    make_avahi_root ();
}

/* A daemon must not outlive a test that aborts: it would keep the
 * namespace alive. (Both daemons stay root: changing user would clear
 * this.) */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn_daemon (GSubprocessFlags    flags,
              const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

/* It prints its address once it listens. */
static void
start_dbus_daemon (void)
{
  g_autofree char *path = find_tool ("dbus-daemon", "dbus-daemon");
  const char * const argv[] = { path, "--config-file=" DBUS_CONFIG_PATH, "--nofork",
                                "--nopidfile", "--print-address", NULL };
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  g_assert_null (dbus_daemon);
  dbus_daemon = spawn_daemon (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_SILENCE, argv);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (dbus_daemon));
  address = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);
}

static void
start_avahi_daemon (void)
{
  g_autofree char *path = find_tool ("avahi-daemon", "avahi-daemon");
  const char * const argv[] = { path, "--no-drop-root", "--no-chroot", "--no-rlimits",
                                "-f", AVAHI_CONFIG_PATH, NULL };

  g_assert_null (avahi_daemon);
  avahi_daemon = spawn_daemon (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_SILENCE, argv);
}

static void
stop_daemon (GSubprocess **process,
             int           signal_number)
{
  g_autoptr(GError) error = NULL;

  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, signal_number);
  g_subprocess_wait (*process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (process);
}

/* Nodes: a discovery object and what it reported ---------------------------- */

typedef struct
{
  ShoalLanDiscovery *discovery;
  ShoalGuid          guid;
  guint16            port;
  GPtrArray         *found;  /* ShoalLanPeer*, every ::peer-found in order */
  GPtrArray         *lost;   /* char*, every ::peer-lost in order */
} Node;

static void
on_peer_found (ShoalLanDiscovery  *discovery,
               const ShoalLanPeer *peer,
               gpointer            data)
{
  Node *node = data;

  g_ptr_array_add (node->found, shoal_lan_peer_copy (peer));
}

static void
on_peer_lost (ShoalLanDiscovery *discovery,
              const char        *name,
              gpointer           data)
{
  Node *node = data;

  g_ptr_array_add (node->lost, g_strdup (name));
}

static Node *
node_new_full (const char      *name,
               guint16          port,
               const ShoalGuid *guid,
               guint            retry_s)
{
  Node *node = g_new0 (Node, 1);

  if (guid != NULL)
    node->guid = *guid;
  else
    shoal_guid_init_modern (&node->guid);
  node->port = port;
  node->found = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_lan_peer_free);
  node->lost = g_ptr_array_new_with_free_func (g_free);
  node->discovery = shoal_lan_discovery_new (&node->guid, port, SHOAL_PEER_ROLE_LEAF, name);
  if (retry_s > 0)
    shoal_lan_discovery_set_retry_interval (node->discovery, retry_s);
  g_signal_connect (node->discovery, "peer-found", G_CALLBACK (on_peer_found), node);
  g_signal_connect (node->discovery, "peer-lost", G_CALLBACK (on_peer_lost), node);
  shoal_lan_discovery_start (node->discovery);
  return node;
}

static Node *
node_new (const char *name,
          guint16     port)
{
  return node_new_full (name, port, NULL, TEST_RETRY_S);
}

static void
node_free (Node *node)
{
  g_signal_handlers_disconnect_by_data (node->discovery, node);
  g_object_unref (node->discovery);
  g_ptr_array_unref (node->found);
  g_ptr_array_unref (node->lost);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Node, node_free)

static const char *
node_name (Node *node)
{
  return shoal_lan_discovery_get_service_name (node->discovery);
}

typedef struct
{
  Node          *node;
  ShoalLanState  state;
} StateWait;

static gboolean
has_state (gpointer data)
{
  StateWait *wait = data;

  return shoal_lan_discovery_get_state (wait->node->discovery) == wait->state;
}

static void
wait_state (Node          *node,
            ShoalLanState  state,
            guint          timeout_ms)
{
  StateWait wait = { node, state };
  g_autofree char *what = g_strdup_printf ("state %d", state);

  shoal_test_wait_until (has_state, &wait, timeout_ms, what);
}

/* The last report about @name from index @since on, or NULL. */
static const ShoalLanPeer *
last_found (Node       *node,
            const char *name,
            guint       since)
{
  for (guint i = node->found->len; i > since; i--)
    {
      const ShoalLanPeer *peer = g_ptr_array_index (node->found, i - 1);

      if (g_strcmp0 (peer->name, name) == 0)
        return peer;
    }
  return NULL;
}

static guint
count_found (Node       *node,
             const char *name)
{
  guint count = 0;

  for (guint i = 0; i < node->found->len; i++)
    {
      const ShoalLanPeer *peer = g_ptr_array_index (node->found, i);

      if (g_strcmp0 (peer->name, name) == 0)
        count++;
    }
  return count;
}

static guint
count_named (GPtrArray  *names,
             const char *name)
{
  guint count = 0;

  for (guint i = 0; i < names->len; i++)
    if (g_strcmp0 (g_ptr_array_index (names, i), name) == 0)
      count++;
  return count;
}

typedef struct
{
  Node          *node;
  const char    *name;
  guint          since;
  ShoalPeerRole  role;
} FoundWait;

static gboolean
was_found (gpointer data)
{
  FoundWait *wait = data;
  const ShoalLanPeer *peer = last_found (wait->node, wait->name, wait->since);

  return peer != NULL && peer->role == wait->role;
}

/* Waits for a report about @name, with @role, after the first @since
 * reports; returns how long it took in ms. */
static gint64
wait_found (Node          *node,
            const char    *name,
            guint          since,
            ShoalPeerRole  role)
{
  FoundWait wait = { node, name, since, role };
  g_autofree char *what = g_strdup_printf ("“%s” to be found", name);
  gint64 start = g_get_monotonic_time ();

  shoal_test_wait_until (was_found, &wait, FIND_TIMEOUT_MS, what);
  return (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
}

typedef struct
{
  Node       *node;
  const char *name;
} LostWait;

static gboolean
was_lost (gpointer data)
{
  LostWait *wait = data;

  return count_named (wait->node->lost, wait->name) > 0;
}

static void
wait_lost (Node       *node,
           const char *name)
{
  LostWait wait = { node, name };
  g_autofree char *what = g_strdup_printf ("“%s” to be lost", name);

  shoal_test_wait_until (was_lost, &wait, FIND_TIMEOUT_MS, what);
}

/* @peer is @node as @node publishes itself, with @role. */
static void
assert_peer_is (const ShoalLanPeer *peer,
                Node               *node,
                ShoalPeerRole       role)
{
  g_assert_nonnull (peer);
  g_assert_cmpstr (peer->name, ==, node_name (node));
  g_assert_cmphex (peer->endpoint.address, ==, LAN_ADDRESS);
  g_assert_cmpuint (peer->endpoint.port, ==, node->port);
  g_assert_true (peer->has_guid);
  g_assert_true (shoal_guid_equal (&peer->guid, &node->guid));
  g_assert_cmpint (peer->role, ==, role);
  g_assert_cmpstr (peer->vendor, ==, SHOAL_VENDOR_CODE_STRING);
  g_assert_cmpstr (peer->version, ==, PACKAGE_VERSION);
}

static void
assert_never_found (Node       *node,
                    const char *name)
{
  g_assert_null (last_found (node, name, 0));
}

static const ShoalLanPeer *
find_listed (GPtrArray  *peers,
             const char *name)
{
  for (guint i = 0; i < peers->len; i++)
    {
      const ShoalLanPeer *peer = g_ptr_array_index (peers, i);

      if (g_strcmp0 (peer->name, name) == 0)
        return peer;
    }
  return NULL;
}

/* @node's list of peers holds @present (a leaf) and not @absent. */
static void
assert_lists (Node       *node,
              Node       *present,
              const char *absent)
{
  g_autoptr(GPtrArray) peers = shoal_lan_discovery_list_peers (node->discovery);

  assert_peer_is (find_listed (peers, node_name (present)), present, SHOAL_PEER_ROLE_LEAF);
  g_assert_null (find_listed (peers, absent));
}

/* The cases ----------------------------------------------------------------- */

/* Each case has names of its own: for a second after a case the daemon
 * may still hold the records of its services. */

static void
test_two_nodes_find_each_other (void)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(Node) a = node_new ("Shoal find A", BASE_PORT);
  g_autoptr(Node) b = node_new ("Shoal find B", BASE_PORT + 1);

  wait_found (a, "Shoal find B", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (b, "Shoal find A", 0, SHOAL_PEER_ROLE_LEAF);
  g_test_message ("published and found each other %" G_GINT64_FORMAT " ms after start",
                  (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (shoal_lan_discovery_get_state (a->discovery), ==, SHOAL_LAN_STATE_RUNNING);
  g_assert_cmpint (shoal_lan_discovery_get_state (b->discovery), ==, SHOAL_LAN_STATE_RUNNING);
  g_assert_cmpstr (node_name (a), ==, "Shoal find A");
  g_assert_null (shoal_lan_discovery_get_reason (a->discovery));
  assert_peer_is (last_found (a, "Shoal find B", 0), b, SHOAL_PEER_ROLE_LEAF);
  assert_peer_is (last_found (b, "Shoal find A", 0), a, SHOAL_PEER_ROLE_LEAF);

  shoal_test_wait_ms (QUIET_MS);
  assert_never_found (a, "Shoal find A");
  assert_never_found (b, "Shoal find B");
  /* Reported once: nothing changed. */
  g_assert_cmpuint (count_found (a, "Shoal find B"), ==, 1);
  g_assert_cmpuint (count_found (b, "Shoal find A"), ==, 1);
  assert_lists (a, b, "Shoal find A");
  assert_lists (b, a, "Shoal find B");
}

/* Another instance of ourselves (our GUID in its TXT) is no peer. */
static void
test_own_guid_is_skipped (void)
{
  g_autoptr(Node) a = node_new ("Shoal own A", BASE_PORT);
  g_autoptr(Node) twin = node_new_full ("Shoal own A again", BASE_PORT + 1, &a->guid,
                                        TEST_RETRY_S);
  g_autoptr(Node) c = node_new ("Shoal own C", BASE_PORT + 2);

  wait_state (a, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (twin, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (c, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_found (c, "Shoal own A", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (c, "Shoal own A again", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (a, "Shoal own C", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (twin, "Shoal own C", 0, SHOAL_PEER_ROLE_LEAF);
  shoal_test_wait_ms (QUIET_MS);
  assert_never_found (a, "Shoal own A again");
  assert_never_found (twin, "Shoal own A");
  g_assert_cmpuint (count_found (a, "Shoal own C"), ==, 1);
  g_assert_cmpuint (count_found (twin, "Shoal own C"), ==, 1);
}

static void
test_role_change_is_seen (void)
{
  g_autoptr(Node) a = node_new ("Shoal role A", BASE_PORT);
  g_autoptr(Node) b = node_new ("Shoal role B", BASE_PORT + 1);
  guint since;
  gint64 ms;

  wait_state (b, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_found (a, "Shoal role B", 0, SHOAL_PEER_ROLE_LEAF);
  since = a->found->len;

  shoal_lan_discovery_set_role (b->discovery, SHOAL_PEER_ROLE_ULTRAPEER);
  ms = wait_found (a, "Shoal role B", since, SHOAL_PEER_ROLE_ULTRAPEER);
  g_test_message ("new role seen after %" G_GINT64_FORMAT " ms", ms);
  assert_peer_is (last_found (a, "Shoal role B", since), b, SHOAL_PEER_ROLE_ULTRAPEER);

  /* And back. */
  since = a->found->len;
  shoal_lan_discovery_set_role (b->discovery, SHOAL_PEER_ROLE_LEAF);
  wait_found (a, "Shoal role B", since, SHOAL_PEER_ROLE_LEAF);
  g_assert_cmpuint (count_named (a->lost, "Shoal role B"), ==, 0);
}

static void
test_name_collision_renames (void)
{
  g_autoptr(Node) watcher = node_new ("Shoal twin watcher", BASE_PORT);
  g_autoptr(Node) c = node_new ("Shoal twin", BASE_PORT + 1);
  g_autoptr(Node) d = node_new ("Shoal twin", BASE_PORT + 2);
  Node *renamed;
  Node *kept;

  wait_state (c, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (d, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  renamed = g_strcmp0 (node_name (c), "Shoal twin") == 0 ? d : c;
  kept = renamed == c ? d : c;
  g_assert_cmpstr (node_name (kept), ==, "Shoal twin");
  g_assert_cmpstr (node_name (renamed), ==, "Shoal twin #2");

  wait_found (watcher, "Shoal twin", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (watcher, "Shoal twin #2", 0, SHOAL_PEER_ROLE_LEAF);
  assert_peer_is (last_found (watcher, "Shoal twin", 0), kept, SHOAL_PEER_ROLE_LEAF);
  assert_peer_is (last_found (watcher, "Shoal twin #2", 0), renamed, SHOAL_PEER_ROLE_LEAF);
  wait_found (kept, "Shoal twin #2", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (renamed, "Shoal twin", 0, SHOAL_PEER_ROLE_LEAF);
}

static void
test_stop_withdraws (void)
{
  g_autoptr(Node) a = node_new ("Shoal stop A", BASE_PORT);
  g_autoptr(Node) b = node_new ("Shoal stop B", BASE_PORT + 1);
  g_autoptr(Node) c = node_new ("Shoal stop C", BASE_PORT + 2);
  g_autofree char *b_name = NULL;
  g_autoptr(GPtrArray) b_peers = NULL;
  guint b_lost;

  wait_state (b, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  b_name = g_strdup (node_name (b));
  wait_found (a, b_name, 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (c, b_name, 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (b, "Shoal stop A", 0, SHOAL_PEER_ROLE_LEAF);

  b_lost = b->lost->len;
  shoal_lan_discovery_stop (b->discovery);
  g_assert_cmpint (shoal_lan_discovery_get_state (b->discovery), ==, SHOAL_LAN_STATE_OFF);
  g_assert_null (node_name (b));
  b_peers = shoal_lan_discovery_list_peers (b->discovery);
  g_assert_cmpuint (b_peers->len, ==, 0);
  /* Forgotten, not lost. */
  g_assert_cmpuint (b->lost->len, ==, b_lost);

  wait_lost (a, b_name);
  wait_lost (c, b_name);
  g_assert_cmpuint (count_named (a->lost, b_name), ==, 1);
  g_assert_cmpuint (count_named (a->lost, "Shoal stop C"), ==, 0);
  assert_lists (a, c, b_name);
}

static void
test_daemon_restart (void)
{
  g_autoptr(Node) a = node_new ("Shoal restart A", BASE_PORT);
  g_autoptr(Node) b = node_new ("Shoal restart B", BASE_PORT + 1);
  guint a_since, b_since;
  gint64 start, ms;

  wait_state (a, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (b, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_found (a, "Shoal restart B", 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (b, "Shoal restart A", 0, SHOAL_PEER_ROLE_LEAF);

  /* A crash, not a clean exit. */
  stop_daemon (&avahi_daemon, SIGKILL);
  wait_state (a, SHOAL_LAN_STATE_UNAVAILABLE, DAEMON_TIMEOUT_MS);
  wait_state (b, SHOAL_LAN_STATE_UNAVAILABLE, DAEMON_TIMEOUT_MS);
  g_assert_cmpstr (shoal_lan_discovery_get_reason (a->discovery), ==, "avahi-daemon went away");
  g_assert_null (node_name (a));
  /* Out of sight, so out of the list. */
  g_assert_cmpuint (count_named (a->lost, "Shoal restart B"), ==, 1);
  g_assert_cmpuint (count_named (b->lost, "Shoal restart A"), ==, 1);
  shoal_test_wait_ms (QUIET_MS);
  g_assert_cmpint (shoal_lan_discovery_get_state (a->discovery), ==,
                   SHOAL_LAN_STATE_UNAVAILABLE);

  a_since = a->found->len;
  b_since = b->found->len;
  start = g_get_monotonic_time ();
  start_avahi_daemon ();
  wait_state (a, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (b, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  g_assert_cmpstr (node_name (a), ==, "Shoal restart A");
  g_assert_null (shoal_lan_discovery_get_reason (a->discovery));
  wait_found (a, "Shoal restart B", a_since, SHOAL_PEER_ROLE_LEAF);
  wait_found (b, "Shoal restart A", b_since, SHOAL_PEER_ROLE_LEAF);
  ms = (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
  g_test_message ("republished and found again %" G_GINT64_FORMAT " ms after the restart", ms);
  assert_peer_is (last_found (a, "Shoal restart B", a_since), b, SHOAL_PEER_ROLE_LEAF);
}

/* With no name given: "Shoal on <host>"; a name too long for a DNS label
 * is cut at a character boundary. */
static void
test_default_and_long_names (void)
{
  g_autofree char *default_name = g_strdup_printf ("Shoal on %s", g_get_host_name ());
  g_autoptr(GString) long_name = g_string_new ("S");
  g_autoptr(GString) cut_name = g_string_new ("S");
  g_autoptr(Node) plain = NULL;
  g_autoptr(Node) lengthy = NULL;

  /* 1 + 40 × 2 bytes; 63 bytes hold 1 + 31 × 2. */
  for (guint i = 0; i < 40; i++)
    g_string_append (long_name, "é");
  for (guint i = 0; i < 31; i++)
    g_string_append (cut_name, "é");
  plain = node_new (NULL, BASE_PORT);
  lengthy = node_new (long_name->str, BASE_PORT + 1);

  wait_state (plain, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (lengthy, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  g_assert_cmpstr (node_name (plain), ==, default_name);
  g_assert_cmpstr (node_name (lengthy), ==, cut_name->str);
  wait_found (plain, cut_name->str, 0, SHOAL_PEER_ROLE_LEAF);
  wait_found (lengthy, default_name, 0, SHOAL_PEER_ROLE_LEAF);
  assert_peer_is (last_found (lengthy, default_name, 0), plain, SHOAL_PEER_ROLE_LEAF);
}

/* The same service on two interfaces is one peer, reported once; when
 * one interface goes, the peer is not lost and its report follows the
 * interface left. */
static void
test_several_interfaces (void)
{
  g_autoptr(Node) a = NULL;
  g_autoptr(Node) b = NULL;
  const ShoalLanPeer *peer;
  guint since;

  add_interface (LAN2_INTERFACE, LAN2_INTERFACE_PEER, LAN2_ADDRESS_CIDR);
  a = node_new ("Shoal multi A", BASE_PORT);
  b = node_new ("Shoal multi B", BASE_PORT + 1);
  wait_found (a, "Shoal multi B", 0, SHOAL_PEER_ROLE_LEAF);
  shoal_test_wait_ms (QUIET_MS);
  g_assert_cmpuint (count_found (a, "Shoal multi B"), ==, 1);
  peer = last_found (a, "Shoal multi B", 0);
  g_assert_true (peer->endpoint.address == LAN_ADDRESS ||
                 peer->endpoint.address == LAN2_ADDRESS);

  since = a->found->len;
  delete_interface (LAN2_INTERFACE);
  if (peer->endpoint.address == LAN2_ADDRESS)
    {
      g_test_message ("reported through " LAN2_INTERFACE ", which goes");
      wait_found (a, "Shoal multi B", since, SHOAL_PEER_ROLE_LEAF);
    }
  shoal_test_wait_ms (QUIET_MS);
  g_assert_cmpuint (count_named (a->lost, "Shoal multi B"), ==, 0);
  assert_peer_is (last_found (a, "Shoal multi B", 0), b, SHOAL_PEER_ROLE_LEAF);
  assert_lists (a, b, "Shoal multi A");
}

static void
assert_no_bus (Node *node)
{
  g_assert_cmpint (shoal_lan_discovery_get_state (node->discovery), ==,
                   SHOAL_LAN_STATE_UNAVAILABLE);
  g_assert_cmpstr (shoal_lan_discovery_get_reason (node->discovery), ==, "no system D-Bus");
}

static gboolean
has_no_bus (gpointer data)
{
  Node *node = data;

  return g_strcmp0 (shoal_lan_discovery_get_reason (node->discovery), "no system D-Bus") == 0;
}

/* The bus goes away under running nodes, one starts without it; all are
 * back once bus and daemon are: a quick retry, and the default one. */
static void
test_no_system_bus (void)
{
  g_autoptr(Node) quick = node_new ("Shoal test quick", BASE_PORT);
  g_autoptr(Node) slow = node_new_full ("Shoal test slow", BASE_PORT + 1, NULL, 0);
  g_autoptr(Node) late = NULL;
  gint64 start, ms;

  wait_state (quick, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);
  wait_state (slow, SHOAL_LAN_STATE_RUNNING, DAEMON_TIMEOUT_MS);

  stop_daemon (&avahi_daemon, SIGTERM);
  stop_daemon (&dbus_daemon, SIGTERM);
  wait_state (quick, SHOAL_LAN_STATE_UNAVAILABLE, DAEMON_TIMEOUT_MS);
  wait_state (slow, SHOAL_LAN_STATE_UNAVAILABLE, DAEMON_TIMEOUT_MS);
  /* Which comes first, the daemon's name lost or the bus, is a race;
   * the retries settle on the bus. */
  shoal_test_wait_until (has_no_bus, quick, TEST_RETRY_S * 1000 + DAEMON_TIMEOUT_MS,
                         "the retries to find no bus");
  assert_no_bus (quick);

  late = node_new ("Shoal test late", BASE_PORT + 2);
  /* At once, not after a timeout. */
  assert_no_bus (late);

  start = g_get_monotonic_time ();
  start_dbus_daemon ();
  start_avahi_daemon ();
  wait_state (quick, SHOAL_LAN_STATE_RUNNING, (TEST_RETRY_S * 1000) + DAEMON_TIMEOUT_MS);
  wait_state (late, SHOAL_LAN_STATE_RUNNING, (TEST_RETRY_S * 1000) + DAEMON_TIMEOUT_MS);
  wait_found (quick, "Shoal test late", 0, SHOAL_PEER_ROLE_LEAF);
  ms = (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
  g_test_message ("quick retry back after %" G_GINT64_FORMAT " ms", ms);

  wait_state (slow, SHOAL_LAN_STATE_RUNNING, (SHOAL_LAN_RETRY_S * 1000) + DAEMON_TIMEOUT_MS);
  wait_found (late, "Shoal test slow", 0, SHOAL_PEER_ROLE_LEAF);
  ms = (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
  g_test_message ("default retry back after %" G_GINT64_FORMAT " ms", ms);
}

int
main (int argc, char **argv)
{
  int status;

  isolate ();
  g_test_init (&argc, &argv, NULL);
  start_dbus_daemon ();
  start_avahi_daemon ();

  g_test_add_func ("/lan-discovery/two-nodes-find-each-other", test_two_nodes_find_each_other);
  g_test_add_func ("/lan-discovery/own-guid-is-skipped", test_own_guid_is_skipped);
  g_test_add_func ("/lan-discovery/role-change-is-seen", test_role_change_is_seen);
  g_test_add_func ("/lan-discovery/name-collision-renames", test_name_collision_renames);
  g_test_add_func ("/lan-discovery/stop-withdraws", test_stop_withdraws);
  g_test_add_func ("/lan-discovery/default-and-long-names", test_default_and_long_names);
  g_test_add_func ("/lan-discovery/several-interfaces", test_several_interfaces);
  g_test_add_func ("/lan-discovery/daemon-restart", test_daemon_restart);
  g_test_add_func ("/lan-discovery/no-system-bus", test_no_system_bus);
  status = g_test_run ();

  stop_daemon (&avahi_daemon, SIGTERM);
  stop_daemon (&dbus_daemon, SIGTERM);
  return status;
}
