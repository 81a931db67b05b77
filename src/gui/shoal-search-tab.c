/* shoal-search-tab.c — one search: entry, results, filters and counters. */
#include "shoal-search-tab.h"

#include <glib/gi18n.h>

#include "shoal-file-kind.h"
#include "shoal-result-row.h"

/* Where a cell's child keeps its GtkListItem, so a click anywhere in a
 * row can tell which row it hit. */
#define LIST_ITEM_KEY "shoal-list-item"
/* Local matches shown at most, as many as we would answer a peer with. */
#define LOCAL_RESULTS_MAX SHOAL_LIBRARY_DEFAULT_MAX_RESULTS
/* Sizes as g_format_size() shows them: SI units. */
#define MEGABYTE (G_GUINT64_CONSTANT (1000) * 1000)
#define GIGABYTE (MEGABYTE * 1000)
/* Network rows enter the view a slice at a time, slices for at most
 * ROW_SLICE_BUDGET_US per main-loop turn: the first rows make the column
 * view build widgets for every cell it keeps (about 200 rows' worth, some
 * 0.2 ms a row), and a 2,600-row batch spliced at once held the loop for
 * 40 ms. */
#define ROW_SLICE 50
#define ROW_SLICE_BUDGET_US (8 * G_TIME_SPAN_MILLISECOND)

/* GTK 4.8 cannot say which column a column view sorts by first (the
 * sorter's primary-sort-column came with 4.10), and the tab needs to know
 * to re-sort when the Sources column's counts change. Each column's
 * sorter is wrapped in one that notes, while the tab probes, which column
 * the view asks first: two rows of the same result tie on every column,
 * so comparing them makes the view ask each column it sorts by, in its
 * order. */
typedef struct
{
  gboolean             probing;
  GtkColumnViewColumn *first_asked;   /* compared, never dereferenced */
} SortProbe;

typedef struct
{
  SortProbe           *probe;         /* a GRcBox shared with the tab */
  GtkSorter           *sorter;        /* the column's own, from the .ui */
  GtkColumnViewColumn *column;        /* the column owns this: no ref */
} ColumnSorter;

/* The type filter's choices after "Any type", in its order. */
static const ShoalFileKind kind_choices[] = {
  SHOAL_FILE_KIND_AUDIO,
  SHOAL_FILE_KIND_VIDEO,
  SHOAL_FILE_KIND_IMAGE,
  SHOAL_FILE_KIND_DOCUMENT,
  SHOAL_FILE_KIND_ARCHIVE,
  SHOAL_FILE_KIND_PROGRAM,
};
#define KIND_CHOICE_ANY 0

static const struct
{
  const char *label;
  guint64     min_size;
} size_choices[] = {
  { N_("Any size"), 0 },
  { N_("At least 1 MB"), MEGABYTE },
  { N_("At least 10 MB"), 10 * MEGABYTE },
  { N_("At least 100 MB"), 100 * MEGABYTE },
  { N_("At least 1 GB"), GIGABYTE },
};

struct _ShoalSearchTab
{
  AdwBin              parent_instance;

  ShoalServent       *servent;
  ShoalSearch        *search;            /* NULL before the first one */
  GCancellable       *local_cancellable; /* the library search under way */

  /* Local rows first, then the network's, merged, filtered, sorted. */
  GListStore         *local_rows;
  GListStore         *network_rows;      /* one row per result of the search */
  GPtrArray          *pending_rows;      /* ShoalResultRow, not yet in network_rows */
  guint               pending_next;      /* the first of them still to insert */
  guint               pending_source;    /* inserts the next slices */
  GtkFlattenListModel *merged;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSortListModel   *sorted;
  GtkSingleSelection *selection;
  SortProbe          *sort_probe;
  GtkWidget          *result_popover;

  /* Template children. */
  GtkSearchEntry     *entry;
  GtkDropDown        *kind_filter;
  GtkDropDown        *size_filter;
  GtkLabel           *message_label;
  GtkLabel           *counters_label;
  GtkStack           *stack;
  GtkColumnView      *column_view;
  GtkColumnViewColumn *sources_column;
  GMenuModel         *result_menu;
};

enum
{
  PROP_0,
  PROP_SERVENT,
  PROP_TITLE,
  PROP_LOADING,
  PROP_SEARCH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ShoalSearchTab, shoal_search_tab, ADW_TYPE_BIN)

/* One library search, told apart from a later one by its cancellable.
 * It does not keep the tab alive: a closed tab cancels it. */
typedef struct
{
  GWeakRef      self;
  GCancellable *cancellable;
} LocalQuery;

static void
local_query_free (LocalQuery *query)
{
  g_weak_ref_clear (&query->self);
  g_object_unref (query->cancellable);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LocalQuery, local_query_free)

/* Helpers: what is shown ---------------------------------------------------- */

static void
show_message (ShoalSearchTab *self,
              const char     *message)
{
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->entry), "error");
}

/* A toast when the window has an overlay for them; an error without one
 * goes under the entry, where it cannot be missed either. */
static void
announce (ShoalSearchTab *self,
          const char     *text,
          gboolean        is_error)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *markup = NULL;

  if (overlay == NULL)
    {
      if (is_error)
        show_message (self, text);
      return;
    }
  /* Toast titles are Pango markup; file names are not. */
  markup = g_markup_escape_text (text, -1);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (markup));
}

static char *
format_counters (guint results,
                 guint sources,
                 guint ultrapeers,
                 guint local)
{
  g_autofree char *results_text = g_strdup_printf (ngettext ("%u result", "%u results", results),
                                                   results);
  g_autofree char *sources_text = g_strdup_printf (ngettext ("%u source", "%u sources", sources),
                                                   sources);
  g_autofree char *ultrapeers_text =
    g_strdup_printf (ngettext ("%u ultrapeer reached", "%u ultrapeers reached", ultrapeers),
                     ultrapeers);
  g_autofree char *local_text = NULL;

  if (local == 0)
    return g_strjoin (" · ", results_text, sources_text, ultrapeers_text, NULL);
  local_text = g_strdup_printf (ngettext ("%u in your library", "%u in your library", local),
                                local);
  return g_strjoin (" · ", results_text, sources_text, ultrapeers_text, local_text, NULL);
}

static void
update_counters (ShoalSearchTab *self)
{
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->counters_label), self->search != NULL);
  if (self->search == NULL)
    return;
  text = format_counters (g_list_model_get_n_items (shoal_search_get_results (self->search)),
                          shoal_search_get_sources (self->search),
                          shoal_search_get_ultrapeers_queried (self->search),
                          g_list_model_get_n_items (G_LIST_MODEL (self->local_rows)));
  gtk_label_set_text (self->counters_label, text);
}

static gboolean
is_searching (ShoalSearchTab *self)
{
  return self->search != NULL &&
         (shoal_search_get_state (self->search) == SHOAL_SEARCH_RUNNING ||
          self->local_cancellable != NULL || self->pending_source != 0);
}

static const char *
choose_state_page (ShoalSearchTab *self)
{
  if (self->search == NULL)
    return "idle";
  if (g_list_model_get_n_items (G_LIST_MODEL (self->sorted)) > 0)
    return "results";
  if (g_list_model_get_n_items (G_LIST_MODEL (self->merged)) > 0)
    return "filtered";
  if (is_searching (self))
    return "searching";
  return "empty";
}

static void
update_state_page (ShoalSearchTab *self)
{
  gtk_stack_set_visible_child_name (self->stack, choose_state_page (self));
}

/* Helpers: the selected row and what can be done with it ------------------- */

static ShoalResultRow *
get_selected_row (ShoalSearchTab *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
update_row_actions (ShoalSearchTab *self)
{
  ShoalResultRow *row = get_selected_row (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "result.download",
                                 row != NULL && !shoal_result_row_get_local (row));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "result.copy-magnet",
                                 row != NULL && shoal_result_row_get_sha1 (row, NULL));
}

/* Rows of ours are already here: nothing to fetch. */
static void
download_row (ShoalSearchTab *self,
              ShoalResultRow *row)
{
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (shoal_result_row_get_local (row))
    return;
  if (shoal_servent_get_transfers (self->servent) == NULL)
    {
      announce (self, _("Downloads are not available until the network is started"), TRUE);
      return;
    }
  download = shoal_servent_download (self->servent, shoal_result_row_get_result (row), &error);
  if (download == NULL)
    {
      text = g_strdup_printf (_("Could not download “%s”: %s"),
                              shoal_result_row_get_name (row), error->message);
      announce (self, text, TRUE);
      return;
    }
  text = g_strdup_printf (_("Downloading “%s”"), shoal_result_row_get_name (row));
  announce (self, text, FALSE);
}

static void
copy_magnet (ShoalSearchTab *self,
             ShoalResultRow *row)
{
  g_autofree char *magnet = shoal_result_row_dup_magnet (row);

  if (magnet == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), magnet);
  announce (self, _("Magnet link copied"), FALSE);
}

/* Points the row menu at @x, @y of the column view. */
static void
popup_row_menu (ShoalSearchTab *self,
                double          x,
                double          y)
{
  double tab_x = 0, tab_y = 0;
  GdkRectangle target;

  gtk_widget_translate_coordinates (GTK_WIDGET (self->column_view), GTK_WIDGET (self), x, y,
                                    &tab_x, &tab_y);
  target = (GdkRectangle) { (int) tab_x, (int) tab_y, 1, 1 };
  gtk_popover_set_pointing_to (GTK_POPOVER (self->result_popover), &target);
  gtk_popover_popup (GTK_POPOVER (self->result_popover));
}

/* The row whose cell holds the widget at @x, @y of the column view;
 * GTK_INVALID_LIST_POSITION between cells or below the last row. */
static guint
find_row_at (ShoalSearchTab *self,
             double          x,
             double          y)
{
  GtkWidget *column_view = GTK_WIDGET (self->column_view);
  GtkWidget *widget = gtk_widget_pick (column_view, x, y, GTK_PICK_DEFAULT);

  for (; widget != NULL && widget != column_view; widget = gtk_widget_get_parent (widget))
    {
      GtkListItem *list_item = g_object_get_data (G_OBJECT (widget), LIST_ITEM_KEY);

      if (list_item != NULL)
        return gtk_list_item_get_position (list_item);
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
popup_row_menu_at_row (ShoalSearchTab *self,
                       double          x,
                       double          y)
{
  guint position = find_row_at (self, x, y);

  if (position == GTK_INVALID_LIST_POSITION)
    return;
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  popup_row_menu (self, x, y);
}

/* Helpers: network rows into the view, a slice at a time ------------------ */

static void
forget_pending_rows (ShoalSearchTab *self)
{
  g_clear_handle_id (&self->pending_source, g_source_remove);
  g_ptr_array_set_size (self->pending_rows, 0);
  self->pending_next = 0;
}

static gboolean
insert_pending_rows (gpointer data)
{
  ShoalSearchTab *self = data;
  gint64 started = g_get_monotonic_time ();

  do
    {
      guint slice = MIN (ROW_SLICE, self->pending_rows->len - self->pending_next);

      g_list_store_splice (self->network_rows,
                           g_list_model_get_n_items (G_LIST_MODEL (self->network_rows)), 0,
                           self->pending_rows->pdata + self->pending_next, slice);
      self->pending_next += slice;
    }
  while (self->pending_next < self->pending_rows->len &&
         g_get_monotonic_time () - started < ROW_SLICE_BUDGET_US);
  update_state_page (self);
  if (self->pending_next < self->pending_rows->len)
    return G_SOURCE_CONTINUE;
  self->pending_source = 0;
  forget_pending_rows (self);
  return G_SOURCE_REMOVE;
}

/* Below redrawing: a frame can be drawn between two slices. */
static void
queue_row (ShoalSearchTab *self,
            ShoalResultRow *row)
{
  g_ptr_array_add (self->pending_rows, row);
  if (self->pending_source == 0)
    self->pending_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, insert_pending_rows,
                                            self, NULL);
}

/* Helpers: sorting --------------------------------------------------------- */

static void
column_sorter_free (gpointer data)
{
  ColumnSorter *wrapper = data;

  g_rc_box_release (wrapper->probe);
  g_object_unref (wrapper->sorter);
  g_free (wrapper);
}

static int
compare_in_column (gconstpointer a,
                   gconstpointer b,
                   gpointer      data)
{
  ColumnSorter *wrapper = data;

  if (wrapper->probe->probing && wrapper->probe->first_asked == NULL)
    wrapper->probe->first_asked = wrapper->column;
  return gtk_sorter_compare (wrapper->sorter, (gpointer) a, (gpointer) b);
}

/* The .ui's sorters never change (their expressions are fixed): the
 * wrappers need not pass "changed" on. */
static void
wrap_column_sorters (ShoalSearchTab *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);

  self->sort_probe = g_rc_box_new0 (SortProbe);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      GtkSorter *sorter = gtk_column_view_column_get_sorter (column);
      g_autoptr(GtkCustomSorter) wrapped = NULL;
      ColumnSorter *wrapper;

      if (sorter == NULL)
        continue;
      wrapper = g_new0 (ColumnSorter, 1);
      wrapper->probe = g_rc_box_acquire (self->sort_probe);
      wrapper->sorter = g_object_ref (sorter);
      wrapper->column = column;
      wrapped = gtk_custom_sorter_new (compare_in_column, wrapper, column_sorter_free);
      gtk_column_view_column_set_sorter (column, GTK_SORTER (wrapped));
    }
}

/* The column the view sorts by first; NULL when it does not sort. */
static GtkColumnViewColumn *
find_leading_column (ShoalSearchTab *self,
                     ShoalResultRow *row)
{
  g_autoptr(ShoalResultRow) twin = shoal_result_row_new_network (shoal_result_row_get_result (row));

  self->sort_probe->probing = TRUE;
  self->sort_probe->first_asked = NULL;
  gtk_sorter_compare (gtk_column_view_get_sorter (self->column_view), row, twin);
  self->sort_probe->probing = FALSE;
  return self->sort_probe->first_asked;
}

/* GtkSortListModel does not watch its rows: after a batch the view is
 * sorted again when the counts it sorts by first may have changed, and
 * only then: re-sorting 10,000 rows by an unchanged name would waste the
 * time between two batches. */
static void
resort_if_by_sources (ShoalSearchTab *self)
{
  g_autoptr(ShoalResultRow) row = g_list_model_get_item (G_LIST_MODEL (self->network_rows), 0);

  if (row == NULL || find_leading_column (self, row) != self->sources_column)
    return;
  gtk_sorter_changed (gtk_column_view_column_get_sorter (self->sources_column),
                      GTK_SORTER_CHANGE_DIFFERENT);
}

/* Helpers: the search ------------------------------------------------------- */

static void
on_network_results_changed (ShoalSearchTab *self,
                            guint           position,
                            guint           removed,
                            guint           added,
                            GListModel     *results);

/* The library's answer: its rows replace the local ones, unless a later
 * search (or the tab closing) superseded the query. */
static void
show_local_files (LocalQuery *query,
                  GPtrArray  *files,
                  GError     *error)
{
  g_autoptr(ShoalSearchTab) self = g_weak_ref_get (&query->self);
  g_autoptr(GPtrArray) rows = NULL;

  if (self == NULL || g_cancellable_is_cancelled (query->cancellable))
    return;
  g_clear_object (&self->local_cancellable);
  if (files == NULL)
    {
      /* The network part goes on: a library that cannot answer only
       * means no local rows. */
      g_debug ("Library search failed: %s", error->message);
    }
  else
    {
      rows = g_ptr_array_new_full (files->len, g_object_unref);
      for (guint i = 0; i < files->len; i++)
        g_ptr_array_add (rows, shoal_result_row_new_local (g_ptr_array_index (files, i)));
      g_list_store_splice (self->local_rows, 0,
                           g_list_model_get_n_items (G_LIST_MODEL (self->local_rows)),
                           rows->pdata, rows->len);
    }
  update_counters (self);
  update_state_page (self);
}

static void
on_local_search_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      data)
{
  g_autoptr(LocalQuery) query = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = shoal_library_search_finish (SHOAL_LIBRARY (source), result,
                                                            &error);

  show_local_files (query, files, error);
}

static void
on_local_search_sha1_done (GObject      *source,
                           GAsyncResult *result,
                           gpointer      data)
{
  g_autoptr(LocalQuery) query = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = shoal_library_search_sha1_finish (SHOAL_LIBRARY (source), result,
                                                                 &error);

  show_local_files (query, files, error);
}

/* The user's own files matching the same words (or hash), shown beside
 * what the network answers: the index answers in milliseconds. */
static void
start_local_search (ShoalSearchTab *self)
{
  ShoalLibrary *library = shoal_servent_get_library (self->servent);
  const char *words = shoal_search_get_words (self->search);
  guint8 sha1[SHOAL_SHA1_SIZE];
  LocalQuery *query;

  if (library == NULL)
    return;
  self->local_cancellable = g_cancellable_new ();
  query = g_new0 (LocalQuery, 1);
  g_weak_ref_init (&query->self, self);
  query->cancellable = g_object_ref (self->local_cancellable);
  if (shoal_search_get_sha1 (self->search, sha1))
    shoal_library_search_sha1_async (library, sha1, self->local_cancellable,
                                     on_local_search_sha1_done, query);
  else
    shoal_library_search_async (library, words != NULL ? words : "", LOCAL_RESULTS_MAX,
                                self->local_cancellable, on_local_search_done, query);
}

static void
on_search_state (ShoalSearchTab *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  update_state_page (self);
}

static void
on_search_title (ShoalSearchTab *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

static void
on_search_counters (ShoalSearchTab *self)
{
  update_counters (self);
}

/* Rows gain sources only from hits, and the search applies a batch's
 * new sources before it notifies its hits: this comes once per batch
 * that may have changed counts, never once per row. (A batch of new rows
 * only costs a re-sort it did not need while sorting by sources.) */
static void
on_search_hits (ShoalSearchTab *self)
{
  resort_if_by_sources (self);
}

static void
watch_search (ShoalSearchTab *self)
{
  GListModel *results = shoal_search_get_results (self->search);

  g_signal_connect_swapped (self->search, "notify::state", G_CALLBACK (on_search_state), self);
  g_signal_connect_swapped (self->search, "notify::title", G_CALLBACK (on_search_title), self);
  g_signal_connect_swapped (self->search, "notify::sources",
                            G_CALLBACK (on_search_counters), self);
  g_signal_connect_swapped (self->search, "notify::ultrapeers-queried",
                            G_CALLBACK (on_search_counters), self);
  g_signal_connect_swapped (self->search, "notify::hits", G_CALLBACK (on_search_hits), self);
  g_signal_connect_swapped (results, "items-changed",
                            G_CALLBACK (on_network_results_changed), self);
  on_network_results_changed (self, 0, 0, g_list_model_get_n_items (results), results);
}

/* Stops the search, forgets its rows; the tab is as new. */
static void
drop_search (ShoalSearchTab *self)
{
  if (self->local_cancellable != NULL)
    g_cancellable_cancel (self->local_cancellable);
  g_clear_object (&self->local_cancellable);
  if (self->search == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->search, self);
  g_signal_handlers_disconnect_by_data (shoal_search_get_results (self->search), self);
  shoal_search_stop (self->search);
  shoal_servent_remove_search (self->servent, self->search);
  g_clear_object (&self->search);
  forget_pending_rows (self);
  g_list_store_remove_all (self->local_rows);
  g_list_store_remove_all (self->network_rows);
}

static gboolean
start_search (ShoalSearchTab *self,
              const char     *text)
{
  g_autoptr(GError) error = NULL;
  ShoalSearch *search;

  search = shoal_servent_search (self->servent, text, &error);
  if (search == NULL)
    {
      show_message (self, error->message);
      return FALSE;
    }
  drop_search (self);
  show_message (self, NULL);
  self->search = g_object_ref (search);
  watch_search (self);
  start_local_search (self);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));
  update_counters (self);
  update_state_page (self);
  return TRUE;
}

/* Signal callbacks ---------------------------------------------------------- */

/* The search appends a batch of rows at a time; they are queued for the
 * view. Any other change (the search never makes one today) resets the
 * view's rows to the search's. */
static void
on_network_results_changed (ShoalSearchTab *self,
                            guint           position,
                            guint           removed,
                            guint           added,
                            GListModel     *results)
{
  guint mirrored = g_list_model_get_n_items (G_LIST_MODEL (self->network_rows)) +
                   self->pending_rows->len - self->pending_next;

  if (removed > 0 || position != mirrored)
    {
      forget_pending_rows (self);
      g_list_store_remove_all (self->network_rows);
      position = 0;
      added = g_list_model_get_n_items (results);
    }
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(ShoalSearchResult) result = g_list_model_get_item (results, position + i);

      queue_row (self, shoal_result_row_new_network (result));
    }
  update_counters (self);
  update_state_page (self);
}

static void
on_entry_activate (ShoalSearchTab *self,
                   GtkSearchEntry *entry)
{
  start_search (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* The complaint was about the text before this change. */
static void
on_entry_changed (ShoalSearchTab *self,
                  GtkEditable    *entry)
{
  (void) entry;
  show_message (self, NULL);
}

static void
on_filter_changed (ShoalSearchTab *self,
                   GParamSpec     *pspec,
                   GtkDropDown    *drop_down)
{
  (void) pspec;
  (void) drop_down;
  /* The drop-downs get their models before the filter exists. */
  if (self->filter == NULL)
    return;
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_state_page (self);
}

static void
on_column_view_activate (ShoalSearchTab *self,
                         guint           position,
                         GtkColumnView  *column_view)
{
  g_autoptr(ShoalResultRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  (void) column_view;
  if (row != NULL)
    download_row (self, row);
}

static void
on_sorted_items_changed (ShoalSearchTab *self)
{
  update_state_page (self);
}

static void
on_selection_changed (ShoalSearchTab *self)
{
  update_row_actions (self);
}

static void
on_secondary_click (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    ShoalSearchTab  *self)
{
  (void) n_press;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  popup_row_menu_at_row (self, x, y);
}

static void
on_long_press (GtkGestureLongPress *gesture,
               double               x,
               double               y,
               ShoalSearchTab      *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  popup_row_menu_at_row (self, x, y);
}

/* Shift+F10 or the Menu key: the menu of the selected row, pointing
 * into the list since the row's place on screen is not known. */
static gboolean
on_menu_key (GtkWidget *widget,
             GVariant  *args,
             gpointer   data)
{
  ShoalSearchTab *self = data;

  (void) widget;
  (void) args;
  if (get_selected_row (self) == NULL)
    return FALSE;
  popup_row_menu (self, gtk_widget_get_width (GTK_WIDGET (self->column_view)) / 2.0,
                  gtk_widget_get_height (GTK_WIDGET (self->column_view)) / 2.0);
  return TRUE;
}

/* Cells --------------------------------------------------------------------- */

/* @widget's @widget_property follows @row_property of the list item's row,
 * whichever row the item shows. */
static void
bind_row_property (GtkListItem *list_item,
                   GtkWidget   *widget,
                   const char  *widget_property,
                   const char  *row_property)
{
  GtkExpression *item = gtk_property_expression_new (GTK_TYPE_LIST_ITEM, NULL, "item");
  GtkExpression *expression = gtk_property_expression_new (SHOAL_TYPE_RESULT_ROW, item,
                                                           row_property);

  gtk_expression_bind (expression, widget, widget_property, list_item);
}

static void
set_cell_child (GtkListItem *list_item,
                GtkWidget   *child)
{
  g_object_set_data (G_OBJECT (child), LIST_ITEM_KEY, list_item);
  gtk_list_item_set_child (list_item, child);
}

static GtkWidget *
new_cell_label (GtkListItem *list_item,
                const char  *row_property,
                float        xalign)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  bind_row_property (list_item, label, "label", row_property);
  return label;
}

static void
on_name_cell_setup (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    ShoalSearchTab           *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *name = new_cell_label (list_item, "name", 0);
  GtkWidget *tag = gtk_label_new (_("In your library"));

  (void) factory;
  (void) self;
  bind_row_property (list_item, icon, "icon-name", "icon-name");
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (tag, "caption-heading");
  gtk_widget_add_css_class (tag, "accent");
  bind_row_property (list_item, tag, "visible", "local");
  bind_row_property (list_item, box, "tooltip-text", "tooltip");
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), tag);
  set_cell_child (list_item, box);
}

static void
on_size_cell_setup (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    ShoalSearchTab           *self)
{
  GtkWidget *label = new_cell_label (list_item, "size-text", 1);

  (void) factory;
  (void) self;
  gtk_widget_add_css_class (label, "numeric");
  set_cell_child (list_item, label);
}

static void
on_kind_cell_setup (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    ShoalSearchTab           *self)
{
  (void) factory;
  (void) self;
  set_cell_child (list_item, new_cell_label (list_item, "kind-label", 0));
}

static void
on_sources_cell_setup (GtkSignalListItemFactory *factory,
                       GtkListItem              *list_item,
                       ShoalSearchTab           *self)
{
  GtkWidget *label = new_cell_label (list_item, "sources-text", 1);

  (void) factory;
  (void) self;
  gtk_widget_add_css_class (label, "numeric");
  set_cell_child (list_item, label);
}

/* Actions ------------------------------------------------------------------- */

static void
download_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (widget);
  ShoalResultRow *row = get_selected_row (self);

  (void) action_name;
  (void) parameter;
  if (row != NULL)
    download_row (self, row);
}

static void
copy_magnet_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (widget);
  ShoalResultRow *row = get_selected_row (self);

  (void) action_name;
  (void) parameter;
  if (row != NULL)
    copy_magnet (self, row);
}

/* Setup --------------------------------------------------------------------- */

static gboolean
row_passes_filters (gpointer item,
                    gpointer data)
{
  ShoalSearchTab *self = data;
  ShoalResultRow *row = item;
  guint kind_choice = gtk_drop_down_get_selected (self->kind_filter);
  guint size_choice = gtk_drop_down_get_selected (self->size_filter);

  if (kind_choice != KIND_CHOICE_ANY && kind_choice <= G_N_ELEMENTS (kind_choices) &&
      shoal_result_row_get_kind (row) != kind_choices[kind_choice - 1])
    return FALSE;
  if (size_choice < G_N_ELEMENTS (size_choices) &&
      shoal_result_row_get_size (row) < size_choices[size_choice].min_size)
    return FALSE;
  return TRUE;
}

static void
fill_filter_choices (ShoalSearchTab *self)
{
  g_autoptr(GtkStringList) kinds = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) sizes = gtk_string_list_new (NULL);

  gtk_string_list_append (kinds, _("Any type"));
  for (guint i = 0; i < G_N_ELEMENTS (kind_choices); i++)
    gtk_string_list_append (kinds, shoal_file_kind_get_label (kind_choices[i]));
  for (guint i = 0; i < G_N_ELEMENTS (size_choices); i++)
    gtk_string_list_append (sizes, _(size_choices[i].label));
  gtk_drop_down_set_model (self->kind_filter, G_LIST_MODEL (kinds));
  gtk_drop_down_set_model (self->size_filter, G_LIST_MODEL (sizes));
}

/* local_rows + network_rows → filter → column view's sorter → selection. */
static void
build_models (ShoalSearchTab *self)
{
  g_autoptr(GListStore) parts = g_list_store_new (G_TYPE_LIST_MODEL);

  self->local_rows = g_list_store_new (SHOAL_TYPE_RESULT_ROW);
  self->network_rows = g_list_store_new (SHOAL_TYPE_RESULT_ROW);
  self->pending_rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_list_store_append (parts, self->local_rows);
  g_list_store_append (parts, self->network_rows);
  self->merged = gtk_flatten_list_model_new (G_LIST_MODEL (g_steal_pointer (&parts)));
  self->filter = gtk_custom_filter_new (row_passes_filters, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->merged)),
                                              GTK_FILTER (g_object_ref (self->filter)));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filtered)),
                                          g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_swapped (self->sorted, "items-changed",
                            G_CALLBACK (on_sorted_items_changed), self);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selection_changed), self);
}

/* Right click and long press on a row open its menu; so do Shift+F10
 * and the Menu key; Ctrl+C copies its magnet. */
static void
add_row_menu (ShoalSearchTab *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *long_press = gtk_gesture_long_press_new ();
  GtkEventController *keys = gtk_shortcut_controller_new ();
  GtkShortcutAction *menu_action = gtk_callback_action_new (on_menu_key, self, NULL);

  self->result_popover = gtk_popover_menu_new_from_model (self->result_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->result_popover), FALSE);
  gtk_widget_set_halign (self->result_popover, GTK_ALIGN_START);
  gtk_widget_set_parent (self->result_popover, GTK_WIDGET (self));

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (long_press, "pressed", G_CALLBACK (on_long_press), self);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (long_press));

  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
    gtk_shortcut_new (gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_F10,
                                                                           GDK_SHIFT_MASK),
                                                   gtk_keyval_trigger_new (GDK_KEY_Menu, 0)),
                      menu_action));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_c, GDK_CONTROL_MASK),
                      gtk_named_action_new ("result.copy-magnet")));
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), keys);
}

/* Overrides ----------------------------------------------------------------- */

static void
shoal_search_tab_constructed (GObject *object)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (object);

  G_OBJECT_CLASS (shoal_search_tab_parent_class)->constructed (object);
  g_return_if_fail (SHOAL_IS_SERVENT (self->servent));
}

/* The popover is ours, outside the template: it moves with the tab. */
static void
shoal_search_tab_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (widget);

  GTK_WIDGET_CLASS (shoal_search_tab_parent_class)->size_allocate (widget, width, height, baseline);
  if (self->result_popover != NULL)
    gtk_popover_present (GTK_POPOVER (self->result_popover));
}

static void
shoal_search_tab_dispose (GObject *object)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (object);

  if (self->servent != NULL)
    drop_search (self);
  g_clear_pointer (&self->result_popover, gtk_widget_unparent);
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_SEARCH_TAB);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->merged);
  g_clear_object (&self->local_rows);
  g_clear_object (&self->network_rows);
  g_clear_pointer (&self->pending_rows, g_ptr_array_unref);
  g_clear_pointer (&self->sort_probe, g_rc_box_release);
  g_clear_object (&self->servent);

  G_OBJECT_CLASS (shoal_search_tab_parent_class)->dispose (object);
}

static void
shoal_search_tab_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (object);

  switch (prop_id)
    {
    case PROP_SERVENT:
      g_value_set_object (value, self->servent);
      break;
    case PROP_TITLE:
      g_value_set_string (value, shoal_search_tab_get_title (self));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, shoal_search_tab_get_loading (self));
      break;
    case PROP_SEARCH:
      g_value_set_object (value, self->search);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_search_tab_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ShoalSearchTab *self = SHOAL_SEARCH_TAB (object);

  switch (prop_id)
    {
    case PROP_SERVENT:
      self->servent = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_search_tab_class_init (ShoalSearchTabClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = shoal_search_tab_constructed;
  object_class->dispose = shoal_search_tab_dispose;
  object_class->get_property = shoal_search_tab_get_property;
  object_class->set_property = shoal_search_tab_set_property;
  widget_class->size_allocate = shoal_search_tab_size_allocate;

  properties[PROP_SERVENT] =
    g_param_spec_object ("servent", NULL, "The servent whose network is searched",
                         SHOAL_TYPE_SERVENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, "What the tab is called", NULL, read_only);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, "Whether the search is still asking the network",
                          FALSE, read_only);
  properties[PROP_SEARCH] =
    g_param_spec_object ("search", NULL, "The tab's search, or NULL", SHOAL_TYPE_SEARCH,
                         read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The .ui's sorters name the row type; a static binary has no symbol
   * table for GtkBuilder to find it by. */
  g_type_ensure (SHOAL_TYPE_RESULT_ROW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-search-tab.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, entry);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, kind_filter);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, size_filter);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, message_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, counters_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, column_view);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, sources_column);
  gtk_widget_class_bind_template_child (widget_class, ShoalSearchTab, result_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_column_view_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_name_cell_setup);
  gtk_widget_class_bind_template_callback (widget_class, on_size_cell_setup);
  gtk_widget_class_bind_template_callback (widget_class, on_kind_cell_setup);
  gtk_widget_class_bind_template_callback (widget_class, on_sources_cell_setup);

  gtk_widget_class_install_action (widget_class, "result.download", NULL, download_activated);
  gtk_widget_class_install_action (widget_class, "result.copy-magnet", NULL,
                                   copy_magnet_activated);
}

static void
shoal_search_tab_init (ShoalSearchTab *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  fill_filter_choices (self);
  wrap_column_sorters (self);
  build_models (self);
  add_row_menu (self);
  update_row_actions (self);
  update_state_page (self);
}

/* Public API ---------------------------------------------------------------- */

GtkWidget *
shoal_search_tab_new (ShoalServent *servent)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (servent), NULL);
  return g_object_new (SHOAL_TYPE_SEARCH_TAB, "servent", servent, NULL);
}

const char *
shoal_search_tab_get_title (ShoalSearchTab *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_TAB (self), NULL);
  if (self->search == NULL)
    return _("New Search");
  return shoal_search_get_title (self->search);
}

gboolean
shoal_search_tab_get_loading (ShoalSearchTab *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_TAB (self), FALSE);
  return self->search != NULL && shoal_search_get_state (self->search) == SHOAL_SEARCH_RUNNING;
}

ShoalSearch *
shoal_search_tab_get_search (ShoalSearchTab *self)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_TAB (self), NULL);
  return self->search;
}

gboolean
shoal_search_tab_search (ShoalSearchTab *self,
                         const char     *text)
{
  g_return_val_if_fail (SHOAL_IS_SEARCH_TAB (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
  return start_search (self, text);
}

void
shoal_search_tab_focus_entry (ShoalSearchTab *self)
{
  g_return_if_fail (SHOAL_IS_SEARCH_TAB (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

void
shoal_search_tab_stop (ShoalSearchTab *self)
{
  g_return_if_fail (SHOAL_IS_SEARCH_TAB (self));

  drop_search (self);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));
  update_counters (self);
  update_state_page (self);
}
