/* test-search-page.c — the Search page driven in-process: a search typed
 * into the entry finds a live shoald peer's file, the user's own files
 * show up at once beside it, sorting, filters, counters, downloading, the
 * magnet link, the empty states and the tabs; rows sorted by their
 * sources move as their counts grow. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "gui-test-util.h"
#include "shoal-file-kind.h"
#include "shoal-result-row.h"
#include "shoal-search-page.h"
#include "shoal-search-tab.h"
#include "shoal-servent.h"
#include "shoal-test-node.h"

#define PEER_ADDRESS "127.0.44.1"
#define PEER_FILE "zebrafish_kaleidoscope_sonata.ogg"
#define PEER_TEXT "Played by a shoald ultrapeer on loopback for the search page's test."
#define OWN_FILE "zebrafish_field_notes.txt"
#define OWN_TEXT "Ours: it shows beside the network's file, marked as such."
/* Under the sanitizers: hashing, a link, a search's round trip. */
#define TIMEOUT_MS 30000
/* Local matches come from our own index: no network wait. */
#define LOCAL_TIMEOUT_MS 5000
#define BIG_FILE_SIZE (1500 * 1000)
/* A quiet period in which the library's (empty) answer, milliseconds
 * away, must not end the "searching" state while the network part goes
 * on. */
#define SEARCHING_QUIET_MS 500

/* Columns, in the .ui's order. */
enum
{
  COLUMN_NAME,
  COLUMN_SIZE,
  COLUMN_TYPE,
  COLUMN_SOURCES,
};

typedef struct
{
  ShoalGuiServent  node;
  char            *share_dir;
  GtkWidget       *window;
  GtkWidget       *page;     /* weak */
} Fixture;

/* Setup -------------------------------------------------------------------- */

static gboolean
library_ready (gpointer data)
{
  return shoal_library_get_ready (data);
}

typedef struct
{
  ShoalLibrary *library;
  guint64       files;
} HashWait;

static gboolean
all_hashed (gpointer data)
{
  HashWait *wait = data;

  return shoal_library_get_hashed_count (wait->library) == wait->files &&
         !shoal_library_get_busy (wait->library);
}

/* Shares the fixture's folder and waits until its @files are hashed. */
static void
share_folder (Fixture *fixture,
              guint64  files)
{
  HashWait wait = { fixture->node.library, files };

  shoal_gui_share_folder (fixture->node.library, fixture->share_dir);
  shoal_test_wait_until (all_hashed, &wait, TIMEOUT_MS, "the shared files to be hashed");
}

/* A servent on loopback, private addresses allowed, dialling nothing but
 * @anchor (when given) as a leaf; its library indexed and empty. */
static void
fixture_start (Fixture    *fixture,
               const char *anchor)
{
  shoal_gui_servent_init (&fixture->node, "shoal-test-search-page-XXXXXX");
  fixture->share_dir = g_build_filename (fixture->node.data_dir, "shared", NULL);
  g_assert_cmpint (g_mkdir (fixture->share_dir, 0700), ==, 0);
  fixture->node.config->role_mode = SHOAL_ROLE_MODE_LEAF;
  if (anchor != NULL)
    g_assert_true (shoal_node_config_add_anchor (fixture->node.config, anchor, NULL));
  shoal_gui_servent_start (&fixture->node, TRUE);
  shoal_test_wait_until (library_ready, fixture->node.library, TIMEOUT_MS, "the library's index");
}

/* The page in a window, inside a toast overlay as the app has it when
 * @with_toasts. */
static void
fixture_show_page (Fixture  *fixture,
                   gboolean  with_toasts)
{
  GtkWidget *page = shoal_search_page_new (fixture->node.servent);
  GtkWidget *child = page;

  if (with_toasts)
    {
      child = adw_toast_overlay_new ();
      adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (child), page);
    }
  fixture->page = page;
  g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &fixture->page);
  fixture->window = GTK_WIDGET (shoal_gui_show_in_window (child, page, 1000, 700));
}

static gboolean
page_gone (gpointer data)
{
  return ((Fixture *) data)->page == NULL;
}

static void
fixture_free (Fixture *fixture)
{
  if (fixture->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (fixture->window));
      /* A library query under way holds its tab until it answers. */
      shoal_test_wait_until (page_gone, fixture, TIMEOUT_MS, "the page to be finalized");
    }
  g_assert_cmpuint (g_list_model_get_n_items (shoal_servent_get_searches (fixture->node.servent)), ==, 0);
  shoal_gui_servent_clear (&fixture->node);
  g_free (fixture->share_dir);
  g_free (fixture);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* Finding widgets ---------------------------------------------------------- */

static AdwTabView *
get_tab_view (Fixture *fixture)
{
  return ADW_TAB_VIEW (shoal_gui_require_by_id (fixture->page, "tab_view"));
}

static ShoalSearchTab *
get_current_tab (Fixture *fixture)
{
  AdwTabPage *page = adw_tab_view_get_selected_page (get_tab_view (fixture));

  g_assert_nonnull (page);
  return SHOAL_SEARCH_TAB (adw_tab_page_get_child (page));
}

static GtkWidget *
tab_widget (Fixture    *fixture,
            const char *id)
{
  return shoal_gui_require_by_id (GTK_WIDGET (get_current_tab (fixture)), id);
}

static GListModel *
shown_rows (Fixture *fixture)
{
  return G_LIST_MODEL (gtk_column_view_get_model (GTK_COLUMN_VIEW (tab_widget (fixture,
                                                                               "column_view"))));
}

static ShoalResultRow *
find_row (Fixture    *fixture,
          const char *name,
          guint      *position)
{
  GListModel *rows = shown_rows (fixture);

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(ShoalResultRow) row = g_list_model_get_item (rows, i);

      if (g_str_equal (shoal_result_row_get_name (row), name))
        {
          if (position != NULL)
            *position = i;
          return row;
        }
    }
  return NULL;
}

typedef struct
{
  Fixture    *fixture;
  const char *name;
} RowWait;

static gboolean
row_shown (gpointer data)
{
  RowWait *wait = data;

  return find_row (wait->fixture, wait->name, NULL) != NULL;
}

static void
wait_for_row (Fixture    *fixture,
              const char *name,
              guint       timeout_ms)
{
  RowWait wait = { fixture, name };
  g_autofree char *what = g_strdup_printf ("a row for %s", name);

  shoal_test_wait_until (row_shown, &wait, timeout_ms, what);
}

static const char *
visible_state (Fixture *fixture)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (tab_widget (fixture, "stack")));
}

/* Types the text and presses Enter. */
static void
type_search (Fixture    *fixture,
             const char *text)
{
  GtkWidget *entry = tab_widget (fixture, "entry");

  gtk_widget_grab_focus (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "activate");
}

static void
select_choice (Fixture    *fixture,
               const char *drop_down_id,
               const char *label)
{
  GtkDropDown *drop_down = GTK_DROP_DOWN (tab_widget (fixture, drop_down_id));
  GListModel *choices = gtk_drop_down_get_model (drop_down);

  for (guint i = 0; i < g_list_model_get_n_items (choices); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (choices), i), label))
      {
        gtk_drop_down_set_selected (drop_down, i);
        return;
      }
  g_assert_not_reached ();
}

/* The names shown, in order, joined by spaces. */
static char *
dup_shown_names (Fixture *fixture)
{
  GListModel *rows = shown_rows (fixture);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(ShoalResultRow) row = g_list_model_get_item (rows, i);

      g_ptr_array_add (names, g_strdup (shoal_result_row_get_name (row)));
    }
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
sort_by (Fixture     *fixture,
         guint        column,
         GtkSortType  direction)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (tab_widget (fixture, "column_view"));
  g_autoptr(GtkColumnViewColumn) chosen = g_list_model_get_item (gtk_column_view_get_columns (view),
                                                                 column);

  gtk_column_view_sort_by_column (view, chosen, direction);
}

static guint
count_searches (Fixture *fixture)
{
  return g_list_model_get_n_items (shoal_servent_get_searches (fixture->node.servent));
}

/* (a), (b), (e), (f): a live peer ----------------------------------------------- */

static gboolean
servent_linked (gpointer data)
{
  return shoal_node_manager_get_link_count (shoal_servent_get_node_manager (data)) > 0;
}

typedef struct
{
  Fixture     *fixture;
  ShoalSearch *search;
} CountersWait;

static gboolean
counters_settled (gpointer data)
{
  CountersWait *wait = data;

  return shoal_search_get_sources (wait->search) >= 1;
}

static void
on_text_read (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  char **text = data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
text_came (gpointer data)
{
  return *(char **) data != NULL;
}

static char *
read_clipboard (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, on_text_read, &text);
  shoal_test_wait_until (text_came, &text, TIMEOUT_MS, "the clipboard's text");
  return text;
}

static void
check_network_row (Fixture *fixture)
{
  ShoalResultRow *row = find_row (fixture, PEER_FILE, NULL);
  g_autofree char *sources_text = NULL;
  gboolean local = TRUE;

  g_assert_nonnull (row);
  g_assert_cmpuint (shoal_result_row_get_size (row), ==, strlen (PEER_TEXT));
  g_assert_cmpuint (shoal_result_row_get_sources (row), ==, 1);
  g_assert_cmpuint (shoal_result_row_get_kind (row), ==, SHOAL_FILE_KIND_AUDIO);
  g_object_get (row, "local", &local, "sources-text", &sources_text, NULL);
  g_assert_false (local);
  g_assert_cmpstr (sources_text, ==, "1");
  g_assert_true (shoal_result_row_get_sha1 (row, NULL));
}

/* The peer's file is downloaded from the row (Enter / double click);
 * its magnet link is copied from the row's menu. */
static void
check_row_actions (Fixture *fixture)
{
  ShoalSearchTab *tab = get_current_tab (fixture);
  GListModel *downloads = shoal_transfers_get_downloads (shoal_servent_get_transfers (fixture->node.servent));
  GtkWidget *view = tab_widget (fixture, "column_view");
  ShoalResultRow *row;
  g_autofree char *clipboard = NULL;
  g_autofree char *xl = g_strdup_printf ("xl=%zu", strlen (PEER_TEXT));
  guint position = 0;
  guint own_position = 0;

  g_assert_nonnull (find_row (fixture, OWN_FILE, &own_position));
  /* Ours is already here: activating it fetches nothing. */
  g_signal_emit_by_name (view, "activate", own_position);
  g_assert_cmpuint (g_list_model_get_n_items (downloads), ==, 0);

  row = find_row (fixture, PEER_FILE, &position);
  g_signal_emit_by_name (view, "activate", position);
  g_assert_cmpuint (g_list_model_get_n_items (downloads), ==, 1);
  {
    g_autoptr(ShoalDownload) download = g_list_model_get_item (downloads, 0);
    g_autofree char *name = NULL;

    g_object_get (download, "name", &name, NULL);
    g_assert_cmpstr (name, ==, PEER_FILE);
  }

  gtk_selection_model_select_item (gtk_column_view_get_model (GTK_COLUMN_VIEW (view)), position,
                                   TRUE);
  g_assert_true (gtk_widget_get_sensitive (tab_widget (fixture, "download_button")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (tab), "result.copy-magnet", NULL));
  clipboard = read_clipboard (GTK_WIDGET (tab));
  g_assert_true (g_str_has_prefix (clipboard, "magnet:?"));
  g_assert_nonnull (strstr (clipboard, shoal_search_result_get_urn (shoal_result_row_get_result (row))));
  g_assert_nonnull (strstr (clipboard, "dn=" PEER_FILE));
  g_assert_nonnull (strstr (clipboard, xl));
}

static void
check_counters (Fixture     *fixture,
                ShoalSearch *search)
{
  CountersWait wait = { fixture, search };
  GtkLabel *counters = GTK_LABEL (tab_widget (fixture, "counters_label"));
  g_autofree char *expected = NULL;
  guint results;

  shoal_test_wait_until (counters_settled, &wait, TIMEOUT_MS, "the search's counters");
  results = g_list_model_get_n_items (shoal_search_get_results (search));
  g_assert_cmpuint (results, ==, 1);
  g_assert_cmpuint (shoal_search_get_sources (search), ==, 1);
  expected = g_strdup_printf ("1 result · 1 source · %u ultrapeer%s reached · 1 in your library",
                              shoal_search_get_ultrapeers_queried (search),
                              shoal_search_get_ultrapeers_queried (search) == 1 ? "" : "s");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (counters)));
  g_assert_cmpstr (gtk_label_get_text (counters), ==, expected);
  /* They follow the search as it reports progress. */
  shoal_search_set_ultrapeers_queried (search, 3);
  g_assert_cmpstr (gtk_label_get_text (counters), ==,
                   "1 result · 1 source · 3 ultrapeers reached · 1 in your library");
}

static void
test_live_peer (void)
{
  g_autoptr(ShoalTestNode) peer = shoal_test_node_new (PEER_ADDRESS);
  const char *peer_args[] = { "--role=ultrapeer", NULL };
  g_autofree char *anchor = g_strdup_printf ("%s:%d", PEER_ADDRESS, SHOAL_TEST_NODE_PORT);
  g_autoptr(Fixture) fixture = g_new0 (Fixture, 1);
  ShoalSearch *search;
  ShoalResultRow *own;
  g_autofree char *own_sources = NULL;

  shoal_test_node_share_file (peer, PEER_FILE, PEER_TEXT);
  shoal_test_node_start (peer, peer_args);
  shoal_test_node_wait_hashed (peer, 1, TIMEOUT_MS);

  fixture_start (fixture, anchor);
  shoal_gui_write_file (fixture->share_dir, OWN_FILE, OWN_TEXT, strlen (OWN_TEXT));
  share_folder (fixture, 1);
  shoal_test_wait_until (servent_linked, fixture->node.servent, TIMEOUT_MS, "a link to the peer");
  fixture_show_page (fixture, TRUE);
  g_assert_cmpstr (visible_state (fixture), ==, "idle");

  type_search (fixture, "zebrafish");
  search = shoal_search_tab_get_search (get_current_tab (fixture));
  g_assert_nonnull (search);
  g_assert_cmpuint (count_searches (fixture), ==, 1);
  g_assert_cmpstr (adw_tab_page_get_title (adw_tab_view_get_selected_page (get_tab_view (fixture))),
                   ==, "zebrafish");

  /* (b) ours first: the network has not answered yet. */
  wait_for_row (fixture, OWN_FILE, LOCAL_TIMEOUT_MS);
  own = find_row (fixture, OWN_FILE, NULL);
  g_assert_true (shoal_result_row_get_local (own));
  g_object_get (own, "sources-text", &own_sources, NULL);
  g_assert_cmpstr (own_sources, ==, "yours");
  g_assert_cmpstr (visible_state (fixture), ==, "results");

  /* (a) the peer's file, with its size and one source. */
  wait_for_row (fixture, PEER_FILE, TIMEOUT_MS);
  check_network_row (fixture);
  /* (e) */
  check_counters (fixture, search);
  /* (f) */
  check_row_actions (fixture);

  g_clear_pointer (&fixture, fixture_free);
  shoal_test_node_stop (peer);
}

/* (b), (c), (d): the user's own files ------------------------------------------- */

#define ALPHA "quokka_alpha.mp3"
#define BETA "quokka_beta.pdf"
#define GAMMA "quokka_gamma.zip"

static void
share_quokkas (Fixture *fixture)
{
  g_autofree char *big = g_malloc0 (BIG_FILE_SIZE);
  g_autofree char *middle = g_malloc0 (3000);

  shoal_gui_write_file (fixture->share_dir, ALPHA, middle, 3000);
  shoal_gui_write_file (fixture->share_dir, BETA, big, BIG_FILE_SIZE);
  shoal_gui_write_file (fixture->share_dir, GAMMA, "twenty bytes of zip.", 20);
  shoal_gui_write_file (fixture->share_dir, "unrelated_wombat.txt", "not a match", 11);
  share_folder (fixture, 4);
}

static void
check_local_rows_marked (Fixture *fixture)
{
  GListModel *rows = shown_rows (fixture);

  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(ShoalResultRow) row = g_list_model_get_item (rows, i);
      g_autofree char *tooltip = NULL;

      g_assert_true (shoal_result_row_get_local (row));
      g_assert_null (shoal_result_row_get_result (row));
      g_object_get (row, "tooltip", &tooltip, NULL);
      g_assert_true (g_str_has_prefix (tooltip, "In your library"));
    }
}

static void
check_sorting (Fixture *fixture)
{
  g_autofree char *by_name = NULL;
  g_autofree char *by_name_down = NULL;
  g_autofree char *by_size = NULL;
  g_autofree char *by_size_down = NULL;
  g_autofree char *by_type = NULL;

  sort_by (fixture, COLUMN_NAME, GTK_SORT_ASCENDING);
  by_name = dup_shown_names (fixture);
  g_assert_cmpstr (by_name, ==, ALPHA " " BETA " " GAMMA);
  sort_by (fixture, COLUMN_NAME, GTK_SORT_DESCENDING);
  by_name_down = dup_shown_names (fixture);
  g_assert_cmpstr (by_name_down, ==, GAMMA " " BETA " " ALPHA);
  sort_by (fixture, COLUMN_SIZE, GTK_SORT_ASCENDING);
  by_size = dup_shown_names (fixture);
  g_assert_cmpstr (by_size, ==, GAMMA " " ALPHA " " BETA);
  sort_by (fixture, COLUMN_SIZE, GTK_SORT_DESCENDING);
  by_size_down = dup_shown_names (fixture);
  g_assert_cmpstr (by_size_down, ==, BETA " " ALPHA " " GAMMA);
  /* Archive < Audio < Document */
  sort_by (fixture, COLUMN_TYPE, GTK_SORT_ASCENDING);
  by_type = dup_shown_names (fixture);
  g_assert_cmpstr (by_type, ==, GAMMA " " ALPHA " " BETA);
  sort_by (fixture, COLUMN_NAME, GTK_SORT_ASCENDING);
}

static void
check_filters (Fixture *fixture)
{
  static const struct
  {
    const char *kind;
    const char *size;
    const char *shown;
  } cases[] = {
    { "Audio", "Any size", ALPHA },
    { "Document", "Any size", BETA },
    { "Archive", "Any size", GAMMA },
    { "Video", "Any size", "" },
    { "Any type", "At least 1 MB", BETA },
    { "Document", "At least 1 MB", BETA },
    { "Audio", "At least 1 MB", "" },
    { "Any type", "At least 10 MB", "" },
    { "Any type", "Any size", ALPHA " " BETA " " GAMMA },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = NULL;

      select_choice (fixture, "kind_filter", cases[i].kind);
      select_choice (fixture, "size_filter", cases[i].size);
      shown = dup_shown_names (fixture);
      g_assert_cmpstr (shown, ==, cases[i].shown);
      /* Rows hidden by the filters say so, not "No results". */
      g_assert_cmpstr (visible_state (fixture), ==, *cases[i].shown != '\0' ? "results" : "filtered");
    }
}

/* The cell widget showing @row in the column view, once laid out. */
static GtkWidget *
find_cell (GtkWidget      *root,
           ShoalResultRow *row)
{
  GtkListItem *list_item = g_object_get_data (G_OBJECT (root), "shoal-list-item");

  if (list_item != NULL && gtk_list_item_get_item (list_item) == (gpointer) row &&
      gtk_widget_get_width (root) > 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_cell (child, row);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  GtkWidget      *view;
  ShoalResultRow *row;
} CellWait;

static gboolean
cell_shown (gpointer data)
{
  CellWait *wait = data;

  return find_cell (wait->view, wait->row) != NULL;
}

static GtkGesture *
find_secondary_click (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller) &&
          gtk_gesture_single_get_button (GTK_GESTURE_SINGLE (controller)) == GDK_BUTTON_SECONDARY)
        return GTK_GESTURE (controller);
    }
  return NULL;
}

static GtkWidget *
find_popover (GtkWidget *parent)
{
  for (GtkWidget *child = gtk_widget_get_first_child (parent); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER_MENU (child))
      return child;
  return NULL;
}

/* A right click on a row selects it and opens its menu there. */
static void
check_row_menu (Fixture    *fixture,
                const char *name)
{
  GtkWidget *view = tab_widget (fixture, "column_view");
  GtkSelectionModel *selection = gtk_column_view_get_model (GTK_COLUMN_VIEW (view));
  ShoalResultRow *row = find_row (fixture, name, NULL);
  CellWait wait = { view, row };
  GtkWidget *popover = find_popover (GTK_WIDGET (get_current_tab (fixture)));
  graphene_rect_t bounds;
  GtkGesture *click = find_secondary_click (view);

  g_assert_nonnull (popover);
  g_assert_nonnull (click);
  shoal_test_wait_until (cell_shown, &wait, TIMEOUT_MS, "the row's cells to be laid out");
  g_assert_true (gtk_widget_compute_bounds (find_cell (view, row), view, &bounds));
  gtk_selection_model_unselect_all (selection);
  g_assert_false (gtk_widget_get_visible (popover));

  g_signal_emit_by_name (click, "pressed", 1, (double) bounds.origin.x + bounds.size.width / 2,
                         (double) bounds.origin.y + bounds.size.height / 2);
  g_assert_true (gtk_widget_get_visible (popover));
  g_assert_true (gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (selection)) ==
                 (gpointer) row);
  gtk_popover_popdown (GTK_POPOVER (popover));
}

static void
test_local_matches (void)
{
  g_autoptr(Fixture) fixture = g_new0 (Fixture, 1);
  ShoalSearch *search;
  GtkLabel *counters;
  GListModel *downloads;

  fixture_start (fixture, NULL);
  share_quokkas (fixture);
  fixture_show_page (fixture, FALSE);
  downloads = shoal_transfers_get_downloads (shoal_servent_get_transfers (fixture->node.servent));

  type_search (fixture, "quokka");
  search = shoal_search_tab_get_search (get_current_tab (fixture));
  wait_for_row (fixture, GAMMA, LOCAL_TIMEOUT_MS);
  /* Beside a search still asking the network, not after it. */
  g_assert_cmpint (shoal_search_get_state (search), ==, SHOAL_SEARCH_RUNNING);
  g_assert_true (shoal_search_tab_get_loading (get_current_tab (fixture)));
  check_local_rows_marked (fixture);
  g_assert_cmpstr (visible_state (fixture), ==, "results");
  counters = GTK_LABEL (tab_widget (fixture, "counters_label"));
  g_assert_cmpstr (gtk_label_get_text (counters), ==,
                   "0 results · 0 sources · 0 ultrapeers reached · 3 in your library");

  check_sorting (fixture);
  check_filters (fixture);
  check_row_menu (fixture, GAMMA);

  /* A row of ours is not downloaded; its magnet can still be copied. */
  gtk_selection_model_select_item (gtk_column_view_get_model (GTK_COLUMN_VIEW (tab_widget (fixture, "column_view"))),
                                   0, TRUE);
  g_assert_false (gtk_widget_get_sensitive (tab_widget (fixture, "download_button")));
  gtk_widget_activate_action (GTK_WIDGET (get_current_tab (fixture)), "result.download", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (downloads), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (get_current_tab (fixture)),
                                             "result.copy-magnet", NULL));
  {
    g_autofree char *clipboard = read_clipboard (fixture->window);

    g_assert_true (g_str_has_prefix (clipboard, "magnet:?xt=urn:sha1:"));
    g_assert_nonnull (strstr (clipboard, "dn=" ALPHA));
  }
}

/* Empty states and errors ------------------------------------------------------ */

static void
test_states (void)
{
  g_autoptr(Fixture) fixture = g_new0 (Fixture, 1);
  GtkWidget *message;
  ShoalSearch *search;

  fixture_start (fixture, NULL);
  fixture_show_page (fixture, FALSE);
  g_assert_cmpstr (visible_state (fixture), ==, "idle");
  g_assert_false (gtk_widget_get_visible (tab_widget (fixture, "counters_label")));

  /* Too short: said under the entry, nothing started. */
  message = tab_widget (fixture, "message_label");
  type_search (fixture, "ab");
  g_assert_cmpuint (count_searches (fixture), ==, 0);
  g_assert_true (gtk_widget_get_visible (message));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (message)), !=, "");
  g_assert_true (gtk_widget_has_css_class (tab_widget (fixture, "entry"), "error"));
  g_assert_cmpstr (visible_state (fixture), ==, "idle");
  /* Typing again clears the complaint. */
  gtk_editable_set_text (GTK_EDITABLE (tab_widget (fixture, "entry")), "abc");
  g_assert_false (gtk_widget_get_visible (message));
  g_assert_false (gtk_widget_has_css_class (tab_widget (fixture, "entry"), "error"));

  /* No link, nothing of ours: searching, then none once the network part
   * is over. */
  shoal_search_page_search (SHOAL_SEARCH_PAGE (fixture->page), "platypus");
  search = shoal_search_tab_get_search (get_current_tab (fixture));
  g_assert_nonnull (search);
  g_assert_cmpstr (visible_state (fixture), ==, "searching");
  shoal_test_wait_ms (SEARCHING_QUIET_MS);
  g_assert_cmpstr (visible_state (fixture), ==, "searching");
  shoal_search_finish (search);
  g_assert_cmpstr (visible_state (fixture), ==, "empty");
  g_assert_false (shoal_search_tab_get_loading (get_current_tab (fixture)));
  g_assert_false (adw_tab_page_get_loading (adw_tab_view_get_selected_page (get_tab_view (fixture))));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (tab_widget (fixture, "counters_label"))), ==,
                   "0 results · 0 sources · 0 ultrapeers reached");

  /* Nothing selected: nothing to download. */
  g_assert_false (gtk_widget_get_sensitive (tab_widget (fixture, "download_button")));
}

/* Sorting by sources as counts change ------------------------------------------ */

#define SOURCES_PERCH "pelican_perch.ogg"
#define SOURCES_GLIDE "pelican_glide.ogg"
#define SOURCES_FILE_SIZE 4096
#define SOURCES_LINK_ID 1

/* A hit naming @name from servent number @n: its own address and GUID,
 * so each is one more source. */
static void
give_hit (ShoalSearch *search,
          guint8       n,
          const char  *name)
{
  ShoalIpv4Endpoint endpoint = { 0x0a000000u | n, 6346 };
  ShoalGuid guid = { { 0 } };
  g_autoptr(ShoalQueryHit) hit = NULL;

  guid.bytes[0] = n;
  hit = shoal_query_hit_new (&endpoint, 1000, &guid);
  shoal_query_hit_add_record (hit, shoal_query_hit_record_new (n, SOURCES_FILE_SIZE, name, NULL,
                                                               SHOAL_QUERY_HIT_SHA1_URN));
  shoal_search_add_hit (search, hit, SOURCES_LINK_ID);
}

typedef struct
{
  Fixture    *fixture;
  const char *names;
} OrderWait;

static gboolean
order_shown (gpointer data)
{
  OrderWait *wait = data;
  g_autofree char *names = dup_shown_names (wait->fixture);

  return g_str_equal (names, wait->names);
}

static void
wait_for_order (Fixture    *fixture,
                const char *names)
{
  OrderWait wait = { fixture, names };
  g_autofree char *what = g_strdup_printf ("the rows in the order “%s”", names);

  shoal_test_wait_until (order_shown, &wait, TIMEOUT_MS, what);
}

typedef struct
{
  Fixture    *fixture;
  const char *name;
  guint       sources;
} SourcesWait;

static gboolean
row_has_sources (gpointer data)
{
  SourcesWait *wait = data;
  ShoalResultRow *row = find_row (wait->fixture, wait->name, NULL);

  return row != NULL && shoal_result_row_get_sources (row) == wait->sources;
}

static void
count_changes (GtkSorter *sorter,
               int        change,
               gpointer   data)
{
  (*(guint *) data)++;
}

/* Sorted by sources, a row that gains some moves up once its batch is
 * in, the view sorted again once for the batch; sorted by name, a count
 * that changes re-sorts nothing. */
static void
test_sort_by_sources (void)
{
  g_autoptr(Fixture) fixture = g_new0 (Fixture, 1);
  SourcesWait glide_grown = { fixture, SOURCES_GLIDE, 5 };
  g_autoptr(GtkColumnViewColumn) sources_column = NULL;
  GtkColumnView *view;
  GtkSorter *view_sorter;
  GtkSorter *sources_sorter;
  ShoalSearch *search;
  gulong view_handler, sources_handler;
  guint changes = 0;
  guint sources_changes = 0;

  fixture_start (fixture, NULL);
  fixture_show_page (fixture, FALSE);
  type_search (fixture, "pelican");
  search = shoal_search_tab_get_search (get_current_tab (fixture));
  give_hit (search, 1, SOURCES_PERCH);
  give_hit (search, 1, SOURCES_GLIDE);
  give_hit (search, 2, SOURCES_GLIDE);
  wait_for_row (fixture, SOURCES_PERCH, TIMEOUT_MS);
  wait_for_row (fixture, SOURCES_GLIDE, TIMEOUT_MS);

  sort_by (fixture, COLUMN_SOURCES, GTK_SORT_DESCENDING);
  wait_for_order (fixture, SOURCES_GLIDE " " SOURCES_PERCH);
  view = GTK_COLUMN_VIEW (tab_widget (fixture, "column_view"));
  view_sorter = gtk_column_view_get_sorter (view);
  sources_column = g_list_model_get_item (gtk_column_view_get_columns (view), COLUMN_SOURCES);
  sources_sorter = gtk_column_view_column_get_sorter (sources_column);
  view_handler = g_signal_connect (view_sorter, "changed", G_CALLBACK (count_changes), &changes);
  sources_handler = g_signal_connect (sources_sorter, "changed", G_CALLBACK (count_changes),
                                      &sources_changes);

  /* 1 + 2 more: ahead of the other's 2. */
  give_hit (search, 3, SOURCES_PERCH);
  give_hit (search, 4, SOURCES_PERCH);
  wait_for_order (fixture, SOURCES_PERCH " " SOURCES_GLIDE);
  g_assert_cmpuint (changes, ==, 1);

  /* By name: the counts it does not sort by are left alone. */
  sort_by (fixture, COLUMN_NAME, GTK_SORT_ASCENDING);
  wait_for_order (fixture, SOURCES_GLIDE " " SOURCES_PERCH);
  changes = 0;
  sources_changes = 0;
  give_hit (search, 5, SOURCES_GLIDE);
  give_hit (search, 6, SOURCES_GLIDE);
  give_hit (search, 7, SOURCES_GLIDE);
  shoal_test_wait_until (row_has_sources, &glide_grown, TIMEOUT_MS, "the new sources counted");
  g_assert_cmpuint (changes, ==, 0);
  g_assert_cmpuint (sources_changes, ==, 0);
  g_signal_handler_disconnect (view_sorter, view_handler);
  g_signal_handler_disconnect (sources_sorter, sources_handler);
}

/* (g) tabs ------------------------------------------------------------------------ */

static void
test_tabs (void)
{
  g_autoptr(Fixture) fixture = g_new0 (Fixture, 1);
  AdwTabView *tabs;
  ShoalSearchTab *first;
  ShoalSearchTab *second;
  g_autoptr(ShoalSearch) first_search = NULL;
  GtkWidget *focus;
  guint position;

  fixture_start (fixture, NULL);
  fixture_show_page (fixture, FALSE);
  tabs = get_tab_view (fixture);
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 1);
  g_assert_cmpstr (adw_tab_page_get_title (adw_tab_view_get_selected_page (tabs)), ==,
                   "New Search");

  first = get_current_tab (fixture);
  type_search (fixture, "capybara");
  first_search = g_object_ref (shoal_search_tab_get_search (first));
  g_assert_cmpstr (adw_tab_page_get_title (adw_tab_view_get_selected_page (tabs)), ==, "capybara");
  g_assert_true (adw_tab_page_get_loading (adw_tab_view_get_selected_page (tabs)));

  /* The + button's action, as Ctrl+T. */
  g_assert_true (gtk_widget_activate_action (fixture->page, "search.new-tab", NULL));
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 2);
  second = get_current_tab (fixture);
  g_assert_true (second != first);
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, tab_widget (fixture, "entry")));
  g_assert_null (shoal_search_tab_get_search (second));
  type_search (fixture, "narwhal");
  g_assert_cmpuint (count_searches (fixture), ==, 2);

  /* Ctrl+W closes the current tab: its search stops and leaves the
   * servent; the other goes on. */
  g_assert_true (gtk_widget_activate_action (fixture->page, "search.close-tab", NULL));
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 1);
  g_assert_cmpuint (count_searches (fixture), ==, 1);
  g_assert_true (g_list_store_find (G_LIST_STORE (shoal_servent_get_searches (fixture->node.servent)),
                                    first_search, &position));
  g_assert_true (get_current_tab (fixture) == first);

  /* The last tab closed leaves a fresh one to type in. */
  shoal_search_page_close_tab (SHOAL_SEARCH_PAGE (fixture->page));
  g_assert_cmpint (shoal_search_get_state (first_search), ==, SHOAL_SEARCH_STOPPED);
  g_assert_cmpuint (count_searches (fixture), ==, 0);
  g_assert_cmpint (adw_tab_view_get_n_pages (tabs), ==, 1);
  g_assert_null (shoal_search_tab_get_search (get_current_tab (fixture)));
  g_assert_cmpstr (visible_state (fixture), ==, "idle");

  /* A search left running when the window goes is stopped with it. */
  shoal_search_page_search (SHOAL_SEARCH_PAGE (fixture->page), "axolotl");
  g_assert_cmpuint (count_searches (fixture), ==, 1);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  shoal_test_wait_until (page_gone, fixture, TIMEOUT_MS, "the page to be finalized");
  g_assert_cmpuint (count_searches (fixture), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  shoal_gui_test_init (&argc, &argv);

  g_test_add_func ("/search-page/live-peer", test_live_peer);
  g_test_add_func ("/search-page/local-matches", test_local_matches);
  g_test_add_func ("/search-page/states", test_states);
  g_test_add_func ("/search-page/tabs", test_tabs);
  g_test_add_func ("/search-page/sort-by-sources", test_sort_by_sources);
  return g_test_run ();
}
