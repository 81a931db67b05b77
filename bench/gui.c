/* gui.c — does the desktop app's main loop stay responsive while 10,000
 * search hits stream into the Search page and a 20,000-file folder is
 * indexed? Prints how late a 5 ms tick ran against the 50 ms budget.
 * With --sort-by=name (or sources) the results are sorted while they
 * stream, as a user who clicked that column's header sees them; sorted by
 * sources, the view sorts again after every batch.
 * Run under a display: dbus-run-session -- xvfb-run -a build/bench/gui */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "gui-latency.h"
#include "shoal-resources.h"
#include "shoal-search-page.h"
#include "shoal-servent.h"

#define LOOPBACK "127.0.0.1"
#define SEARCH_TEXT "bench stream"
/* What a stall is: a frame and a half at 30 fps, the user sees it. */
#define STALL_BUDGET_MS 50
#define TOTAL_HITS 10000
/* A busy network: this many hits every BURST_INTERVAL_MS. */
#define BURST_HITS 200
#define BURST_INTERVAL_MS 20
#define SHARED_FILES 20000
#define FILES_PER_FOLDER 1000
#define FILE_BYTES 512
#define LINK_ID 1
#define POLL_MS 100
/* Gives up rather than hanging when something never finishes. */
#define DEADLINE_S 600
#define WINDOW_WIDTH 1000
#define WINDOW_HEIGHT 700
/* The window's first frames (realizing, compiling shaders) are startup,
 * not streaming: they are drawn before the recording starts. */
#define WARM_UP_MS 1000
#define SORT_OPTION "--sort-by="

typedef struct
{
  char         *data_dir;
  char         *share_dir;
  ShoalLibrary *library;
  ShoalServent *servent;
  GtkWidget    *window;
  ShoalSearch  *search;         /* the page's; transfer none */
  GtkColumnView *results_view;  /* the page's; transfer none */
  GuiLatency   *latency;
  GMainLoop    *loop;
  guint         hits_sent;
  gboolean      root_added;
  gint64        started_us;
  gint64        hits_done_us;   /* 0 until every row is in the model */
  gint64        index_done_us;  /* 0 until every file is hashed */
  gboolean      timed_out;
  const char   *sort_by;        /* a column's title, or NULL */
} Bench;

/* Setup --------------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
}

/* SHARED_FILES small files, FILES_PER_FOLDER to a folder as a music
 * collection would have them. */
static void
write_shared_files (const char *share_dir)
{
  char contents[FILE_BYTES];

  for (guint i = 0; i < SHARED_FILES; i++)
    {
      g_autofree char *folder = g_strdup_printf ("%s/album-%03u", share_dir, i / FILES_PER_FOLDER);
      g_autofree char *name = g_strdup_printf ("track_%05u_bench.ogg", i);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autoptr(GError) error = NULL;

      if (i % FILES_PER_FOLDER == 0 && g_mkdir_with_parents (folder, 0700) != 0)
        g_error ("cannot create %s", folder);
      /* Distinct contents: distinct SHA-1s, as real files have. */
      memset (contents, 'a' + i % 26, sizeof contents);
      memcpy (contents, &i, sizeof i);
      if (!g_file_set_contents (path, contents, sizeof contents, &error))
        g_error ("%s", error->message);
    }
}

static void
bench_start_servent (Bench *bench)
{
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autoptr(GError) error = NULL;

  bench->data_dir = g_dir_make_tmp ("shoal-bench-gui-XXXXXX", &error);
  if (bench->data_dir == NULL)
    g_error ("%s", error->message);
  bench->share_dir = g_build_filename (bench->data_dir, "shared", NULL);

  g_free (config->data_dir);
  config->data_dir = g_strdup (bench->data_dir);
  g_free (config->download_dir);
  config->download_dir = g_build_filename (bench->data_dir, "complete", NULL);
  g_free (config->listen_address);
  config->listen_address = g_strdup (LOOPBACK);
  config->port = 0;
  config->role_mode = SHOAL_ROLE_MODE_LEAF;
  config->allow_private = TRUE;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;

  bench->library = shoal_library_new (bench->data_dir);
  bench->servent = shoal_servent_new (config, bench->library);
  if (!shoal_servent_start (bench->servent, &error))
    g_error ("%s", error->message);
  while (!shoal_library_get_ready (bench->library))
    g_main_context_iteration (NULL, TRUE);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
sort_by_column (GtkColumnView *view,
                const char    *title)
{
  GListModel *columns = gtk_column_view_get_columns (view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_ascii_strcasecmp (gtk_column_view_column_get_title (column), title) == 0)
        {
          gtk_column_view_sort_by_column (view, column, GTK_SORT_DESCENDING);
          return;
        }
    }
  g_error ("the results view has no column “%s”", title);
}

/* The Search page in a window on screen, one search running in it. */
static void
bench_show_search (Bench *bench)
{
  GtkWidget *page = shoal_search_page_new (bench->servent);
  GListModel *searches = shoal_servent_get_searches (bench->servent);
  g_autoptr(ShoalSearch) search = NULL;

  bench->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (bench->window), WINDOW_WIDTH, WINDOW_HEIGHT);
  gtk_window_set_child (GTK_WINDOW (bench->window), page);
  gtk_window_present (GTK_WINDOW (bench->window));
  shoal_search_page_search (SHOAL_SEARCH_PAGE (page), SEARCH_TEXT);
  if (g_list_model_get_n_items (searches) != 1)
    g_error ("the page started no search");
  search = g_list_model_get_item (searches, 0);
  bench->search = search;
  bench->results_view = GTK_COLUMN_VIEW (find_descendant (page, GTK_TYPE_COLUMN_VIEW));
  if (bench->results_view == NULL)
    g_error ("the page has no results view");
  if (bench->sort_by != NULL)
    sort_by_column (bench->results_view, bench->sort_by);
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
warm_up (Bench *bench)
{
  gboolean elapsed = FALSE;

  g_timeout_add (WARM_UP_MS, set_flag, &elapsed);
  while (!elapsed || !gtk_widget_get_mapped (bench->window))
    g_main_context_iteration (NULL, TRUE);
}

/* The stream of hits --------------------------------------------------------- */

/* Hit @n: its own host, servent and file, one record, as a peer answers. */
static ShoalQueryHit *
hit_new (guint n)
{
  ShoalIpv4Endpoint endpoint = { 0x0a000000u | n, 6346 };
  ShoalGuid guid = { { 0 } };
  guint8 sha1[SHOAL_SHA1_SIZE] = { 0 };
  g_autofree char *name = g_strdup_printf ("bench_stream_%05u.ogg", n);
  g_autoptr(GError) error = NULL;
  ShoalQueryHitTrailer *trailer = shoal_query_hit_trailer_new ("GTKG", 0, NULL, &error);
  ShoalQueryHit *hit;

  if (trailer == NULL)
    g_error ("%s", error->message);
  memcpy (guid.bytes, &n, sizeof n);
  memcpy (sha1, &n, sizeof n);
  hit = shoal_query_hit_new (&endpoint, 1000, &guid);
  shoal_query_hit_set_trailer (hit, trailer);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (n, 1000000 + n, name, sha1,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  return hit;
}

static gboolean
send_burst (gpointer data)
{
  Bench *bench = data;

  for (guint i = 0; i < BURST_HITS && bench->hits_sent < TOTAL_HITS; i++)
    {
      g_autoptr(ShoalQueryHit) hit = hit_new (++bench->hits_sent);

      shoal_search_add_hit (bench->search, hit, LINK_ID);
    }
  return bench->hits_sent < TOTAL_HITS ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Watching both finish ------------------------------------------------------- */

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Bench *bench = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source),
                                                                   result, &error);

  if (root == NULL)
    g_error ("%s", error->message);
  bench->root_added = TRUE;
}

static guint
expected_rows (void)
{
  return MIN (TOTAL_HITS, SHOAL_SEARCH_MAX_RESULTS);
}

static gboolean
check_done (gpointer data)
{
  Bench *bench = data;
  gint64 now = g_get_monotonic_time ();

  /* Done when the rows are in the view, not only in the search. */
  if (bench->hits_done_us == 0 && shoal_search_get_hits (bench->search) == TOTAL_HITS &&
      g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (bench->results_view))) ==
        expected_rows ())
    bench->hits_done_us = now;
  if (bench->index_done_us == 0 && bench->root_added &&
      shoal_library_get_hashed_count (bench->library) == SHARED_FILES &&
      !shoal_library_get_busy (bench->library))
    bench->index_done_us = now;
  if (now - bench->started_us > DEADLINE_S * G_TIME_SPAN_SECOND)
    bench->timed_out = TRUE;
  if ((bench->hits_done_us != 0 && bench->index_done_us != 0) || bench->timed_out)
    {
      g_main_loop_quit (bench->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Figures -------------------------------------------------------------------- */

static double
ms (gint64 us)
{
  return us / 1000.0;
}

static void
print_row (const char *what,
           gint64      us)
{
  printf ("  %-22s %8.1f ms   %5.2f of the %d ms budget\n",
          what, ms (us), ms (us) / STALL_BUDGET_MS, STALL_BUDGET_MS);
}

static void
print_figures (Bench *bench)
{
  GuiLatencyFigures figures;

  gui_latency_figures (bench->latency, &figures);
  printf ("Main loop under load: %u hits into the Search page (%u every %d ms, %s%s), "
          "%u files indexed\n", TOTAL_HITS, BURST_HITS, BURST_INTERVAL_MS,
          bench->sort_by != NULL ? "sorted by " : "unsorted",
          bench->sort_by != NULL ? bench->sort_by : "", SHARED_FILES);
  printf ("  %-22s %8.1f s\n", "rows in the view",
          bench->hits_done_us ? ms (bench->hits_done_us - bench->started_us) / 1000 : -1.0);
  printf ("  %-22s %8.1f s\n", "folder indexed",
          bench->index_done_us ? ms (bench->index_done_us - bench->started_us) / 1000 : -1.0);
  printf ("  %-22s %8u (one every %d ms asked)\n", "ticks recorded", figures.samples,
          GUI_LATENCY_TICK_MS);
  print_row ("max stall", figures.max_us);
  print_row ("p99 lateness", figures.p99_us);
  print_row ("p50 lateness", figures.p50_us);
  printf ("  %-22s %8u (target 0)\n", "stalls > 50 ms", figures.stalls);
  if (bench->timed_out)
    printf ("  gave up after %d s: hits %s, index %s\n", DEADLINE_S,
            bench->hits_done_us ? "done" : "not done", bench->index_done_us ? "done" : "not done");
}

/* Teardown ------------------------------------------------------------------- */

static void
bench_free (Bench *bench)
{
  g_clear_pointer (&bench->latency, gui_latency_free);
  g_clear_pointer (&bench->loop, g_main_loop_unref);
  if (bench->window != NULL)
    gtk_window_destroy (GTK_WINDOW (bench->window));
  /* Lets the page's pending library query and idle work end. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  shoal_servent_shutdown (bench->servent);
  g_object_run_dispose (G_OBJECT (bench->servent));
  g_clear_object (&bench->servent);
  g_clear_object (&bench->library);
  remove_tree (bench->data_dir);
  g_free (bench->data_dir);
  g_free (bench->share_dir);
  g_free (bench);
}

int
main (int   argc,
      char *argv[])
{
  Bench *bench = g_new0 (Bench, 1);

  if (argc > 2 || (argc == 2 && !g_str_has_prefix (argv[1], SORT_OPTION)))
    {
      fprintf (stderr, "usage: %s [%sname|sources]\n", argv[0], SORT_OPTION);
      return 2;
    }
  if (argc == 2)
    bench->sort_by = argv[1] + strlen (SORT_OPTION);
  adw_init ();
  /* The app's templates come from its resource bundle. */
  if (shoal_get_resource () == NULL)
    g_error ("the app's resources are missing");

  bench_start_servent (bench);
  write_shared_files (bench->share_dir);
  bench_show_search (bench);
  warm_up (bench);

  bench->loop = g_main_loop_new (NULL, FALSE);
  bench->latency = gui_latency_start (STALL_BUDGET_MS);
  bench->started_us = g_get_monotonic_time ();
  shoal_library_add_root_async (bench->library, bench->share_dir, NULL, on_root_added, bench);
  g_timeout_add (BURST_INTERVAL_MS, send_burst, bench);
  g_timeout_add (POLL_MS, check_done, bench);
  g_main_loop_run (bench->loop);
  gui_latency_stop (bench->latency);

  print_figures (bench);
  bench_free (bench);
  return 0;
}
