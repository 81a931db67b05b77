/* overlay.c — how an overlay of shoald processes on loopback forms through
 * one anchor and what it costs: time until every node has a few links,
 * RSS per node, memory per idle link, time to stop. Not a test: it prints
 * figures and never fails on a timing.
 *
 *   bench/overlay [--nodes N] [--settle S]
 */
#include "shoal-handshake.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_NODES 200
/* Each node has its own address in 127.0.5.0/24, all on one port. */
#define MAX_NODES 254
/* Fewer nodes than MIN_LINKS + 1 can never give each MIN_LINKS links. */
#define MIN_NODES (MIN_LINKS + 1)
#define PORT 6346
#define MIN_LINKS 3
/* How long the overlay runs idle before links and memory are read: a few
 * of the nodes' 5 s discovery periods. */
#define DEFAULT_SETTLE_S 20
/* Past this the join is reported as not reached. */
#define JOIN_CAP_S 180
/* The others dial the anchor at once; it gets this long to listen first. */
#define ANCHOR_START_CAP_S 10
#define CRAWL_TIMEOUT_S 5
#define POLL_INTERVAL_MS 500
#define PROGRESS_INTERVAL_S 10
/* shoald gives its peers 3 s to take its BYE; a node still running past
 * this cap is killed and counted as not stopped cleanly. */
#define STOP_CAP_S 30
/* Descriptors one ultrapeer may need: 32 peer and 300 leaf slots,
 * handshakes under way, its databases, with room to spare. */
#define FDS_PER_NODE 1024
/* Threads one shoald may run (main, GLib workers, library and host cache
 * threads, GTask pool), for RLIMIT_NPROC, which counts threads per user. */
#define THREADS_PER_NODE 32
#define LOG_TAIL_LINES 5
/* Nodes whose logs are shown when something went wrong. */
#define LOGS_SHOWN 3

typedef struct
{
  char    *address;
  char    *data_dir;
  char    *log_path;
  GPid     pid;
  gboolean running;
  int      status;       /* waitpid status once it stopped */
  gboolean killed;       /* by us, after STOP_CAP_S */
  int      links;        /* from the last crawl; -1: no answer */
  guint64  rss_kib;
  guint64  anon_kib;
  guint64  threads;
} Node;

static Node *nodes;
static guint node_count;
static char *work_dir;
static volatile sig_atomic_t interrupted;

/* Helpers ------------------------------------------------------------------- */

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Sorts @values in place. */
static double
median (double *values,
        guint   count)
{
  qsort (values, count, sizeof (double), compare_doubles);
  return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* A number field of /proc/PID/status ("VmRSS:", "Threads:"); 0 if gone. */
static guint64
proc_status_field (GPid        pid,
                   const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  return line ? g_ascii_strtoull (line + strlen (field), NULL, 10) : 0;
}

static void
print_log_tail (const Node *node)
{
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  guint count, first;

  if (!g_file_get_contents (node->log_path, &log, NULL, NULL))
    return;
  lines = g_strsplit (g_strchomp (log), "\n", -1);
  count = g_strv_length (lines);
  first = count > LOG_TAIL_LINES ? count - LOG_TAIL_LINES : 0;
  g_print ("  last lines of %s's log:\n", node->address);
  for (guint i = first; i < count; i++)
    g_print ("    %s\n", lines[i]);
}

/* Limits ---------------------------------------------------------------------- */

/* Children inherit our limits: raise the soft one up to the hard one when
 * it is short of @need. */
static void
ensure_limit (int         resource,
              const char *name,
              rlim_t      need)
{
  struct rlimit limit;
  rlim_t before;

  if (getrlimit (resource, &limit) != 0)
    return;
  before = limit.rlim_cur;
  if (before != RLIM_INFINITY && before < need)
    {
      limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? need : MIN (need, limit.rlim_max);
      if (setrlimit (resource, &limit) != 0)
        limit.rlim_cur = before;
    }
  if (limit.rlim_cur == RLIM_INFINITY)
    g_print ("  %s unlimited\n", name);
  else
    g_print ("  %s %llu (%llu wanted)%s%s\n", name, (unsigned long long) limit.rlim_cur,
             (unsigned long long) need, limit.rlim_cur != before ? ", raised for the nodes" : "",
             limit.rlim_cur < need ? ", SHORT: expect failures" : "");
}

static void
check_limits (void)
{
  g_autofree char *file_max = NULL;

  ensure_limit (RLIMIT_NOFILE, "descriptors per node (RLIMIT_NOFILE)", FDS_PER_NODE);
  /* Root is exempt from RLIMIT_NPROC; others share it across all nodes. */
  if (geteuid () != 0)
    ensure_limit (RLIMIT_NPROC, "threads per user (RLIMIT_NPROC)",
                  (rlim_t) node_count * THREADS_PER_NODE + 64);
  if (g_file_get_contents ("/proc/sys/fs/file-max", &file_max, NULL, NULL)
      && g_ascii_strtoull (file_max, NULL, 10) < (guint64) node_count * FDS_PER_NODE)
    g_print ("  system-wide descriptors (fs.file-max) %s is below %u x %d\n",
             g_strchomp (file_max), node_count, FDS_PER_NODE);
}

/* Nodes ----------------------------------------------------------------------- */

static void
on_interrupt (int signum)
{
  interrupted = 1;
}

/* Runs in the child: it dies with the bench, even when the bench is
 * killed, so no shoald outlives a run. */
static void
set_up_child (gpointer user_data)
{
  pid_t bench = GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != bench)
    _exit (1);
}

static gboolean
start_node (Node        *node,
            const char  *anchor,
            char       **envp,
            GError     **error)
{
  g_autofree char *port = g_strdup_printf ("%d", PORT);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int log_fd;
  gboolean started;

  log_fd = open (node->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot create %s: %s", node->log_path, g_strerror (errno));
      return FALSE;
    }
  g_ptr_array_add (argv, SHOALD_PATH);
  g_ptr_array_add (argv, "--role=ultrapeer");
  g_ptr_array_add (argv, "--allow-private");
  g_ptr_array_add (argv, "--no-default-bootstrap");
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, port);
  g_ptr_array_add (argv, "--listen-address");
  g_ptr_array_add (argv, node->address);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, node->data_dir);
  if (anchor != NULL)
    {
      g_ptr_array_add (argv, "--anchor");
      g_ptr_array_add (argv, (gpointer) anchor);
    }
  g_ptr_array_add (argv, NULL);
  started = g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata,
                                              (const char * const *) envp,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                              set_up_child, GINT_TO_POINTER (getpid ()),
                                              -1, -1, log_fd, NULL, NULL, 0,
                                              &node->pid, NULL, NULL, NULL, error);
  close (log_fd);
  node->running = started;
  return started;
}

/* Reaps @node if it has exited; TRUE while it runs. */
static gboolean
poll_node (Node *node)
{
  if (node->running && waitpid (node->pid, &node->status, WNOHANG) == node->pid)
    {
      g_spawn_close_pid (node->pid);
      node->running = FALSE;
    }
  return node->running;
}

static char *
describe_status (int status)
{
  if (WIFEXITED (status))
    return g_strdup_printf ("exit status %d", WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return g_strdup_printf ("signal %d (%s)", WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  return g_strdup ("unknown status");
}

/* The last resort, also run at exit: nothing started here outlives us. */
static void
clean_up (void)
{
  for (guint i = 0; i < node_count; i++)
    {
      if (nodes[i].running)
        {
          kill (nodes[i].pid, SIGKILL);
          waitpid (nodes[i].pid, &nodes[i].status, 0);
          g_spawn_close_pid (nodes[i].pid);
          nodes[i].running = FALSE;
        }
      g_clear_pointer (&nodes[i].address, g_free);
      g_clear_pointer (&nodes[i].data_dir, g_free);
      g_clear_pointer (&nodes[i].log_path, g_free);
    }
  g_clear_pointer (&nodes, g_free);
  node_count = 0;
  if (work_dir != NULL)
    remove_tree (work_dir);
  g_clear_pointer (&work_dir, g_free);
}

static gboolean
prepare_nodes (guint    count,
               GError **error)
{
  work_dir = g_dir_make_tmp ("shoal-bench-overlay-XXXXXX", error);
  if (work_dir == NULL)
    return FALSE;
  nodes = g_new0 (Node, count);
  node_count = count;
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("node%03u", i + 1);

      nodes[i].address = g_strdup_printf ("127.0.5.%u", i + 1);
      nodes[i].data_dir = g_build_filename (work_dir, name, NULL);
      nodes[i].log_path = g_strdup_printf ("%s.log", nodes[i].data_dir);
      nodes[i].links = -1;
      if (g_mkdir (nodes[i].data_dir, 0700) != 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "cannot create %s: %s", nodes[i].data_dir, g_strerror (errno));
          return FALSE;
        }
    }
  return TRUE;
}

/* Crawling -------------------------------------------------------------------- */

static guint
count_entries (const char *list)
{
  g_auto(GStrv) entries = g_strsplit_set (list ? list : "", ", ", -1);
  guint count = 0;

  for (guint i = 0; entries[i] != NULL; i++)
    count += entries[i][0] != '\0';
  return count;
}

/* The links @address lists in its crawler answer (Peers: and Leaves:);
 * -1 when it does not answer. */
static int
crawl (const char *address)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(ShoalHeaderBlock) block = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  static const char request[] =
    "GNUTELLA CONNECT/0.6\r\nUser-Agent: ShoalBenchCrawler\r\nCrawler: 0.1\r\nX-Ultrapeer: False\r\n\r\n";
  GInputStream *input;
  gsize end = 0;

  g_socket_client_set_timeout (client, CRAWL_TIMEOUT_S);
  connection = g_socket_client_connect_to_host (client, address, PORT, NULL, NULL);
  if (connection == NULL)
    return -1;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, sizeof request - 1, NULL, NULL, NULL))
    return -1;
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (shoal_header_block_find_end (data->data, data->len, &end, NULL) == SHOAL_HEADER_SCAN_NEED_MORE)
    {
      guint8 buffer[1024];
      gssize got = g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL);

      if (got <= 0)
        return -1;
      g_byte_array_append (data, buffer, (guint) got);
    }
  block = shoal_header_block_parse (data->data, end, NULL);
  if (block == NULL || block->status_code != 200)
    return -1;
  return (int) (count_entries (shoal_header_block_get (block, "Peers"))
                + count_entries (shoal_header_block_get (block, "Leaves")));
}

/* Crawls every node once; returns how many have fewer than MIN_LINKS
 * links (or did not answer). */
static guint
crawl_all (void)
{
  guint short_of_links = 0;

  for (guint i = 0; i < node_count && !interrupted; i++)
    {
      nodes[i].links = poll_node (&nodes[i]) ? crawl (nodes[i].address) : -1;
      short_of_links += nodes[i].links < MIN_LINKS;
    }
  return short_of_links;
}

static const Node *
first_exited_node (void)
{
  for (guint i = 0; i < node_count; i++)
    if (!poll_node (&nodes[i]))
      return &nodes[i];
  return NULL;
}

/* Sleeps @ms unless interrupted first. */
static void
pause_ms (guint ms)
{
  for (guint slept = 0; slept < ms && !interrupted; slept += 100)
    g_usleep (MIN (100, ms - slept) * 1000);
}

/* Measures ---------------------------------------------------------------------- */

static void
print_link_distribution (const char *label)
{
  g_autofree double *links = g_new (double, node_count);
  guint answered = 0, below = 0;
  double middle;

  for (guint i = 0; i < node_count; i++)
    if (nodes[i].links >= 0)
      {
        links[answered++] = nodes[i].links;
        below += nodes[i].links < MIN_LINKS;
      }
  if (answered == 0)
    {
      g_print ("  %s: no node answered the crawler\n", label);
      return;
    }
  middle = median (links, answered);
  g_print ("  %s: min %.0f, median %.1f, max %.0f", label, links[0], middle, links[answered - 1]);
  g_print (", %u below %d", below, MIN_LINKS);
  if (answered < node_count)
    g_print (" (%u of %u answered)", answered, node_count);
  g_print ("\n");
}

static void
read_memory (void)
{
  for (guint i = 0; i < node_count; i++)
    if (poll_node (&nodes[i]))
      {
        nodes[i].rss_kib = proc_status_field (nodes[i].pid, "VmRSS:");
        nodes[i].anon_kib = proc_status_field (nodes[i].pid, "RssAnon:");
        nodes[i].threads = proc_status_field (nodes[i].pid, "Threads:");
      }
}

static double
node_memory (const Node *node,
             gboolean    anonymous)
{
  return anonymous ? node->anon_kib : node->rss_kib;
}

/* The anchor is left out: it took every first connection, and its heap
 * stays as large as that burst made it, whatever links it has now. */
static gboolean
node_measured (const Node *node)
{
  return node != &nodes[0] && node->links >= 0 && node->rss_kib > 0;
}

/* Least-squares slope of memory (KiB) over links across *count nodes; *r2
 * its coefficient of determination, negative when every node has the same
 * links. */
static double
least_squares_slope (gboolean  anonymous,
                     double   *r2,
                     guint    *count)
{
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, var_x, var_y, cov;

  for (guint i = 0; i < node_count; i++)
    if (node_measured (&nodes[i]))
      {
        double x = nodes[i].links, y = node_memory (&nodes[i], anonymous);

        n++;
        sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y;
      }
  *count = (guint) n;
  var_x = n * sxx - sx * sx;
  var_y = n * syy - sy * sy;
  cov = n * sxy - sx * sy;
  if (var_x <= 0)
    {
      *r2 = -1;
      return 0;
    }
  *r2 = var_y > 0 ? cov * cov / (var_x * var_y) : 0;
  return cov / var_x;
}

/* Theil-Sen: the median of the slopes between every two nodes with
 * different links. The nodes that were hubs while the overlay formed keep
 * the heap that burst grew; this slope does not follow them. */
static double
median_pairwise_slope (gboolean anonymous)
{
  g_autoptr(GArray) slopes = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < node_count; i++)
    for (guint j = i + 1; j < node_count; j++)
      if (node_measured (&nodes[i]) && node_measured (&nodes[j]) && nodes[i].links != nodes[j].links)
        {
          double slope = (node_memory (&nodes[j], anonymous) - node_memory (&nodes[i], anonymous))
                         / (nodes[j].links - nodes[i].links);

          g_array_append_val (slopes, slope);
        }
  return slopes->len > 0 ? median ((double *) (gpointer) slopes->data, slopes->len) : 0;
}

/* What one idle link costs, from memory over links across the nodes that
 * answered; the nodes with the fewest links give the baseline. */
static void
print_memory_per_link (const char *label,
                       gboolean    anonymous)
{
  g_autofree double *baseline = g_new (double, node_count);
  int fewest = G_MAXINT;
  guint at_fewest = 0, fitted = 0;
  double r2, slope = least_squares_slope (anonymous, &r2, &fitted);

  for (guint i = 0; i < node_count; i++)
    if (node_measured (&nodes[i]))
      fewest = MIN (fewest, nodes[i].links);
  for (guint i = 0; i < node_count; i++)
    if (node_measured (&nodes[i]) && nodes[i].links == fewest)
      baseline[at_fewest++] = node_memory (&nodes[i], anonymous);
  if (at_fewest == 0)
    return;
  if (r2 < 0)
    g_print ("  %s per idle link: n/a, every node has %d links", label, fewest);
  else
    g_print ("  %s per idle link: %.1f KiB least-squares (r^2 = %.2f), %.1f KiB median pairwise"
             " over %u nodes",
             label, slope, r2, median_pairwise_slope (anonymous), fitted);
  g_print ("; baseline %.1f MiB (median of the %u with the fewest links, %d)\n",
           median (baseline, at_fewest) / 1024, at_fewest, fewest);
}

static void
print_memory (void)
{
  g_autofree double *rss = g_new (double, node_count);
  g_autofree double *anon = g_new (double, node_count);
  g_autofree double *threads = g_new (double, node_count);
  double total = 0, rss_median, anon_median, threads_median;
  guint n = 0;

  for (guint i = 0; i < node_count; i++)
    if (nodes[i].rss_kib > 0)
      {
        rss[n] = nodes[i].rss_kib / 1024.0;
        anon[n] = nodes[i].anon_kib / 1024.0;
        threads[n] = nodes[i].threads;
        total += rss[n++];
      }
  if (n == 0)
    return;
  rss_median = median (rss, n);
  anon_median = median (anon, n);
  threads_median = median (threads, n);
  g_print ("  RSS per node: median %.1f MiB, max %.1f MiB (anonymous: median %.1f MiB, max %.1f MiB), "
           "%.0f MiB over %u nodes, median %.0f threads\n",
           rss_median, rss[n - 1], anon_median, anon[n - 1], total, n, threads_median);
  g_print ("  anchor: RSS %.1f MiB with %d links now (it took every first connection)\n",
           nodes[0].rss_kib / 1024.0, nodes[0].links);
  print_memory_per_link ("RSS", FALSE);
  print_memory_per_link ("anonymous RSS", TRUE);
}

/* Phases ---------------------------------------------------------------------- */

static void
wait_for_anchor (void)
{
  gint64 start = g_get_monotonic_time ();

  while (crawl (nodes[0].address) < 0 && poll_node (&nodes[0]) && !interrupted
         && seconds_since (start) < ANCHOR_START_CAP_S)
    pause_ms (POLL_INTERVAL_MS / 5);
  g_print ("  anchor %s answered after %.2f s\n", nodes[0].address, seconds_since (start));
}

/* Polls every node's crawler answer until each lists MIN_LINKS links;
 * TRUE once they all do. */
static gboolean
wait_for_links (gint64 since)
{
  double longest_round = 0, next_progress = PROGRESS_INTERVAL_S;
  const Node *exited;

  while (!interrupted && seconds_since (since) < JOIN_CAP_S)
    {
      gint64 round = g_get_monotonic_time ();
      guint short_of_links = crawl_all ();

      longest_round = MAX (longest_round, seconds_since (round));
      if (interrupted)
        break;
      if (short_of_links == 0)
        {
          g_print ("  every node had >= %d links %.1f s after the last spawn "
                   "(a crawl of all nodes took up to %.2f s)\n",
                   MIN_LINKS, seconds_since (since), longest_round);
          return TRUE;
        }
      if ((exited = first_exited_node ()) != NULL)
        {
          g_autofree char *how = describe_status (exited->status);

          g_print ("  not reached: %s exited early (%s)\n", exited->address, how);
          return FALSE;
        }
      if (seconds_since (since) >= next_progress)
        {
          g_print ("    %3.0f s: %u of %u nodes have >= %d links\n", seconds_since (since),
                   node_count - short_of_links, node_count, MIN_LINKS);
          next_progress += PROGRESS_INTERVAL_S;
        }
      pause_ms (POLL_INTERVAL_MS);
    }
  g_print ("  not reached%s: after %.0f s some nodes had fewer than %d links\n",
           interrupted ? " (interrupted)" : "", seconds_since (since), MIN_LINKS);
  return FALSE;
}

static guint
stop_nodes_within (double cap_s)
{
  gint64 start = g_get_monotonic_time ();
  guint running;

  do
    {
      running = 0;
      for (guint i = 0; i < node_count; i++)
        running += poll_node (&nodes[i]);
      if (running > 0)
        g_usleep (10 * 1000);
    }
  while (running > 0 && seconds_since (start) < cap_s);
  return running;
}

/* SIGTERM to all at once, as at a shutdown; the wall time runs until the
 * last one has exited. */
static void
stop_nodes (void)
{
  gint64 start = g_get_monotonic_time ();
  guint clean = 0, spawned = 0, stopped = 0, left;
  const Node *unclean = NULL;

  for (guint i = 0; i < node_count; i++)
    if (poll_node (&nodes[i]))
      {
        kill (nodes[i].pid, SIGTERM);
        stopped++;
      }
  left = stop_nodes_within (STOP_CAP_S);
  for (guint i = 0; i < node_count; i++)
    if (nodes[i].running)
      {
        kill (nodes[i].pid, SIGKILL);
        nodes[i].killed = TRUE;
      }
  stop_nodes_within (G_MAXDOUBLE);
  for (guint i = 0; i < node_count && nodes[i].pid != 0; i++)
    {
      gboolean ok = !nodes[i].killed && WIFEXITED (nodes[i].status) && WEXITSTATUS (nodes[i].status) == 0;

      spawned++;
      clean += ok;
      if (!ok && unclean == NULL)
        unclean = &nodes[i];
    }
  g_print ("  stop: SIGTERM to %u nodes, all gone %.2f s later; %u of %u exited with status 0",
           stopped, seconds_since (start), clean, spawned);
  if (left > 0)
    g_print (", %u killed after %d s", left, STOP_CAP_S);
  g_print ("\n");
  if (unclean != NULL)
    {
      g_autofree char *how = describe_status (unclean->status);

      g_print ("  first unclean: %s, %s\n", unclean->address, unclean->killed ? "killed" : how);
    }
}

/* Logs of the first nodes that stopped answering or stopped badly. */
static void
print_troubled_logs (void)
{
  guint shown = 0;

  for (guint i = 0; i < node_count && shown < LOGS_SHOWN; i++)
    if (nodes[i].pid != 0
        && (nodes[i].links < 0 || nodes[i].killed
            || !WIFEXITED (nodes[i].status) || WEXITSTATUS (nodes[i].status) != 0))
      {
        print_log_tail (&nodes[i]);
        shown++;
      }
}

static gboolean
start_overlay (char **envp)
{
  g_autofree char *anchor = g_strdup_printf ("%s:%d", nodes[0].address, PORT);
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (!start_node (&nodes[0], NULL, envp, &error))
    {
      g_printerr ("overlay: cannot start the anchor: %s\n", error->message);
      return FALSE;
    }
  wait_for_anchor ();
  start = g_get_monotonic_time ();
  for (guint i = 1; i < node_count && !interrupted; i++)
    if (!start_node (&nodes[i], anchor, envp, &error))
      {
        g_printerr ("overlay: cannot start node %s: %s\n", nodes[i].address, error->message);
        return FALSE;
      }
  g_print ("  spawned %u nodes in %.2f s\n", node_count - 1, seconds_since (start));
  return TRUE;
}

/* FALSE when the nodes could not all be started. */
static gboolean
run (guint   settle_s,
     char  **envp)
{
  gint64 last_spawn;
  gboolean started;

  g_print ("overlay of %u shoald ultrapeers on 127.0.5.1-%u:%d, anchor 127.0.5.1:\n",
           node_count, node_count, PORT);
  check_limits ();
  started = start_overlay (envp);
  if (started && !interrupted)
    {
      last_spawn = g_get_monotonic_time ();
      wait_for_links (last_spawn);
      print_link_distribution ("links then");
      pause_ms (settle_s * 1000);
      if (!interrupted)
        {
          crawl_all ();
          read_memory ();
          g_print ("  after %u s more, idle:\n", settle_s);
          print_link_distribution ("links");
          print_memory ();
        }
    }
  stop_nodes ();
  print_troubled_logs ();
  if (interrupted)
    g_print ("  interrupted\n");
  return started;
}

int
main (int argc, char **argv)
{
  gint count = DEFAULT_NODES, settle_s = DEFAULT_SETTLE_S;
  GOptionEntry entries[] = {
    { "nodes", 'n', 0, G_OPTION_ARG_INT, &count, "How many shoald processes (default 200)", "N" },
    { "settle", 's', 0, G_OPTION_ARG_INT, &settle_s,
      "Seconds the overlay runs idle before memory is read (default 20)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- an overlay of shoald processes on loopback");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = NULL;
  struct sigaction interrupt = { .sa_handler = on_interrupt, .sa_flags = SA_RESETHAND };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("overlay: %s\n", error->message);
      return 2;
    }
  if (count < MIN_NODES || count > MAX_NODES || settle_s < 0)
    {
      g_printerr ("overlay: --nodes must be %d to %d and --settle at least 0\n", MIN_NODES, MAX_NODES);
      return 2;
    }
  /* A first Ctrl-C stops the nodes cleanly; a second one kills the bench,
   * and the nodes die with it (PR_SET_PDEATHSIG). */
  sigaction (SIGINT, &interrupt, NULL);
  sigaction (SIGTERM, &interrupt, NULL);
  sigaction (SIGHUP, &interrupt, NULL);
  atexit (clean_up);
  /* Debug logs from 200 nodes would measure the logging. */
  envp = g_environ_unsetenv (g_get_environ (), "G_MESSAGES_DEBUG");
  if (!prepare_nodes ((guint) count, &error))
    {
      g_printerr ("overlay: %s\n", error->message);
      return 1;
    }
  return run ((guint) settle_s, envp) ? 0 : 1;
}
