/* test-journey.c — the desktop app end to end, as a new user meets it: the
 * real application, its servent a leaf of a live shoald ultrapeer on
 * loopback. Sharing a folder shows indexing progress, then the folder with
 * its files; a search typed into the entry finds the peer's files; the
 * Download button fetches one, and the Transfers page shows its progress,
 * then "Done", with the same bytes on disk; the Network page lists the
 * link. Each page is photographed on the way (imagemagick's import) into
 * $SHOAL_SCREENSHOT_DIR; data/screenshots/ keeps the ones the app's
 * metainfo shows. */
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <string.h>

#include "gui-test-util.h"
#include "shoal-application.h"
#include "shoal-download-row.h"
#include "shoal-library-page.h"
#include "shoal-result-row.h"
#include "shoal-search-tab.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-window.h"

#define PEER_ADDRESS "127.0.47.1"
#define SEARCH_WORDS "sonata"
#define LIBRARY_WORDS "nightjar"
#define LIBRARY_MATCH "Nightjar - Salt Marsh.ogg"
#define WANTED_FILE "Moonlight Sonata - First Movement.ogg"
/* Big enough, and the download capped low enough, that the Transfers
 * page shows it under way for a couple of seconds. */
#define WANTED_SIZE (3 * 1000 * 1000)
#define DOWNLOAD_LIMIT_KBPS 12000
/* Under way, far enough along to show in a screenshot. */
#define SHOWN_FRACTION 0.25
/* The first frame under ASan and Xvfb, a search's round trip, hashing. */
#define TIMEOUT_MS 30000
#define WINDOW_WIDTH 1100
#define WINDOW_HEIGHT 720
#define PNG_MAGIC "\x89PNG\r\n\x1a\n"

/* The peer's other files that match: the results view has rows to sort. */
static const struct
{
  const char *name;
  gsize       size;
} peer_files[] = {
  { "Sonata in C Minor - Allegro.flac", 241000 },
  { "Cello Sonata No. 1 - Adagio.mp3", 98000 },
  { "Kreutzer Sonata (Violin and Piano).ogg", 187000 },
  { "Piano Sonata Notes.pdf", 12000 },
};

/* The user's own folder: a few albums' worth of names. */
static const char * const own_artists[] = { "Harbour Lights", "The Quiet Tide", "Nightjar" };
static const char * const own_titles[] = {
  "Low Water", "Shoal Song", "Sandbar", "Undertow", "Lantern", "Driftwood", "Salt Marsh",
  "Tidal Sonata", "Grey Heron", "Slack Tide",
};

typedef struct
{
  char             *root;
  char             *data_dir;
  char             *config_path;
  char             *downloads;
  char             *music_dir;
  char             *wanted_content;
  ShoalTestNode    *peer;
  GSettings        *settings;
  ShoalServent     *servent;      /* the app's, while the journey runs */
  ShoalWindow      *window;
} Fixture;

/* Setup ------------------------------------------------------------------------------ */

static char *
make_content (gsize length,
              guint seed)
{
  char *content = g_malloc (length + 1);

  /* Not one repeated byte: a range fetched from the wrong offset shows. */
  for (gsize i = 0; i < length; i++)
    content[i] = 'a' + (char) ((i * 7 + seed + i / 4093) % 26);
  content[length] = '\0';
  return content;
}

static void
start_peer (Fixture *fixture)
{
  const char *args[] = { "--role=ultrapeer", NULL };

  fixture->peer = shoal_test_node_new (PEER_ADDRESS);
  fixture->wanted_content = make_content (WANTED_SIZE, 1);
  shoal_test_node_share_file (fixture->peer, WANTED_FILE, fixture->wanted_content);
  for (guint i = 0; i < G_N_ELEMENTS (peer_files); i++)
    {
      g_autofree char *content = make_content (peer_files[i].size, i + 2);

      shoal_test_node_share_file (fixture->peer, peer_files[i].name, content);
    }
  shoal_test_node_start (fixture->peer, args);
  shoal_test_node_wait_hashed (fixture->peer, G_N_ELEMENTS (peer_files) + 1, TIMEOUT_MS);
}

/* The app's settings: on loopback, a leaf of the peer and of nothing
 * else, downloads capped so that their progress can be seen. */
static void
write_config (Fixture *fixture)
{
  g_autoptr(GKeyFile) config = shoal_gui_app_config_new (fixture->downloads);
  g_autofree char *anchor = g_strdup_printf ("%s:%d", PEER_ADDRESS, SHOAL_TEST_NODE_PORT);

  g_key_file_set_string (config, "roles", "role", "leaf");
  g_key_file_set_string (config, "bootstrap", "anchors", anchor);
  g_key_file_set_integer (config, "transfers", "download-limit-kbps", DOWNLOAD_LIMIT_KBPS);
  shoal_gui_app_config_save (config, fixture->config_path);
}

static void
write_music (Fixture *fixture)
{
  for (guint a = 0; a < G_N_ELEMENTS (own_artists); a++)
    {
      g_autofree char *album = g_build_filename (fixture->music_dir, own_artists[a], NULL);

      g_assert_cmpint (g_mkdir_with_parents (album, 0700), ==, 0);
      for (guint t = 0; t < G_N_ELEMENTS (own_titles); t++)
        {
          g_autofree char *name = g_strdup_printf ("%02u %s - %s.ogg", t + 1, own_artists[a],
                                                   own_titles[t]);
          g_autofree char *content = make_content (4096 + 1000 * t, a * 31 + t);

          shoal_gui_write_file (album, name, content, -1);
        }
    }
}

static guint
own_file_count (void)
{
  return G_N_ELEMENTS (own_artists) * G_N_ELEMENTS (own_titles);
}

static void
fixture_set_up (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->root = g_dir_make_tmp ("shoal-test-journey-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->data_dir = g_build_filename (fixture->root, "data", NULL);
  fixture->config_path = g_build_filename (fixture->root, "shoal.conf", NULL);
  fixture->downloads = g_build_filename (fixture->root, "Downloads", NULL);
  fixture->music_dir = g_build_filename (fixture->root, "Music", NULL);
  write_config (fixture);
  write_music (fixture);
  start_peer (fixture);

  fixture->settings = g_settings_new (SHOAL_APPLICATION_ID);
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  g_settings_set_int (fixture->settings, "window-width", WINDOW_WIDTH);
  g_settings_set_int (fixture->settings, "window-height", WINDOW_HEIGHT);
}

static void
fixture_tear_down (Fixture *fixture)
{
  shoal_test_node_stop (fixture->peer);
  g_clear_pointer (&fixture->peer, shoal_test_node_free);
  g_clear_object (&fixture->settings);
  shoal_test_remove_tree (fixture->root);
  g_free (fixture->root);
  g_free (fixture->data_dir);
  g_free (fixture->config_path);
  g_free (fixture->downloads);
  g_free (fixture->music_dir);
  g_free (fixture->wanted_content);
}

/* Screenshots ---------------------------------------------------------------------------- */

typedef struct
{
  guint64 paints;
} PaintCount;

static void
on_after_paint (GdkFrameClock *clock,
                PaintCount    *count)
{
  count->paints++;
}

static gboolean
painted_twice (gpointer data)
{
  return ((PaintCount *) data)->paints >= 2;
}

static gboolean
is_stack_in_transition (GtkWidget     *widget,
                        gconstpointer  data)
{
  return GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget));
}

static gboolean
transitions_over (gpointer window)
{
  return shoal_gui_find_descendant (window, is_stack_in_transition, NULL) == NULL;
}

/* No crossfade half done, then two frames drawn after asking for one:
 * what is on screen is what the widgets say now. */
static void
wait_painted (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  PaintCount count = { 0 };
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &count);

  shoal_test_wait_until (transitions_over, window, TIMEOUT_MS, "the pages' transitions to end");
  gtk_widget_queue_draw (window);
  shoal_test_wait_until (painted_twice, &count, TIMEOUT_MS, "the window to be drawn");
  g_signal_handler_disconnect (clock, handler);
}

static void
assert_png (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, strlen (PNG_MAGIC));
  g_assert_cmpmem (contents, strlen (PNG_MAGIC), PNG_MAGIC, strlen (PNG_MAGIC));
}

/* The window as the X server shows it, into DIR/@name.png. */
static void
take_screenshot (Fixture    *fixture,
                 const char *name)
{
  const char *dir = g_getenv ("SHOAL_SCREENSHOT_DIR");
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (fixture->window));
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = NULL;
  g_autofree char *window_id = NULL;
  g_autofree char *errors = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (dir == NULL)
    {
      g_test_message ("No screenshot of the %s page: SHOAL_SCREENSHOT_DIR is not set", name);
      return;
    }
  g_assert_true (GDK_IS_X11_SURFACE (surface));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file, NULL);
  window_id = g_strdup_printf ("0x%lx", (unsigned long) gdk_x11_surface_get_xid (surface));
  wait_painted (GTK_WIDGET (fixture->window));
  {
    const char *argv[] = { "import", "-window", window_id, path, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                  NULL, NULL, NULL, &errors, &status, &error);
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("import could not take the %s page: %s", name, errors);
  assert_png (path);
  g_test_message ("Screenshot of the %s page: %s", name, path);
}

/* Accessibility ------------------------------------------------------------------------- */

static gboolean
is_text_label (GtkWidget     *widget,
               gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && *gtk_label_get_text (GTK_LABEL (widget)) != '\0';
}

/* A button that shows only an icon must still say what it does, to a
 * screen reader and in its tooltip. */
static void
assert_named (GtkWidget *button)
{
  const char *tooltip = gtk_widget_get_tooltip_text (button);
  gboolean labelled = gtk_test_accessible_has_property (GTK_ACCESSIBLE (button),
                                                        GTK_ACCESSIBLE_PROPERTY_LABEL);

  if (shoal_gui_find_descendant (button, is_text_label, NULL) != NULL)
    return;
  if ((tooltip == NULL || *tooltip == '\0') && !labelled)
    {
      GString *path = g_string_new (NULL);

      for (GtkWidget *w = button; w != NULL; w = gtk_widget_get_parent (w))
        g_string_append_printf (path, " < %s", G_OBJECT_TYPE_NAME (w));
      g_error ("an icon-only button on screen has neither a tooltip nor an accessible label:%s",
               path->str);
    }
}

/* libadwaita's toast, a private type: known by its name. */
static gboolean
is_toast (GtkWidget     *widget,
          gconstpointer  data)
{
  return g_strcmp0 (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget") == 0;
}

static void
assert_buttons_named (GtkWidget *widget)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  /* libadwaita 1.2's toasts have an unnamed close button: not ours. */
  if (is_toast (widget, NULL))
    return;
  if (GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget))
    assert_named (widget);
  /* A menu button's own toggle inside it is named by the menu button. */
  if (GTK_IS_MENU_BUTTON (widget))
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    assert_buttons_named (child);
}

/* The steps ------------------------------------------------------------------------------- */

static GtkWidget *
show_page (Fixture    *fixture,
           const char *name)
{
  GtkWidget *page = shoal_window_get_page_widget (fixture->window, name);

  shoal_window_show_page (fixture->window, name);
  shoal_test_wait_until (shoal_gui_widget_mapped, page, TIMEOUT_MS, "the page on screen");
  assert_buttons_named (GTK_WIDGET (fixture->window));
  return page;
}

typedef struct
{
  GtkWidget *widget;
  gboolean   was_visible;
} Seen;

static void
on_visible (GtkWidget  *widget,
            GParamSpec *pspec,
            Seen       *seen)
{
  seen->was_visible |= gtk_widget_get_visible (widget);
}

static gboolean
is_folder_subtitled (GtkWidget     *widget,
                     gconstpointer  prefix)
{
  const char *subtitle;

  if (!ADW_IS_ACTION_ROW (widget))
    return FALSE;
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));
  return subtitle != NULL && g_str_has_prefix (subtitle, prefix) && gtk_widget_get_mapped (widget);
}

typedef struct
{
  GtkWidget    *page;
  ShoalLibrary *library;
  const char   *subtitle;
} FolderWanted;

static gboolean
folder_indexed (gpointer data)
{
  FolderWanted *wanted = data;

  return !shoal_library_get_busy (wanted->library) &&
         shoal_gui_find_descendant (wanted->page, is_folder_subtitled, wanted->subtitle) != NULL;
}

/* "Add Folder…" once the user picked Music: indexing shows, then the
 * folder with all its files. */
static void
share_music (Fixture *fixture)
{
  GtkWidget *page = show_page (fixture, "library");
  g_autoptr(GFile) music = g_file_new_for_path (fixture->music_dir);
  g_autofree char *subtitle = g_strdup_printf ("%u files", own_file_count ());
  GtkWidget *progress = shoal_gui_require_by_id (page, "progress_box");
  Seen progress_seen = { progress, FALSE };
  FolderWanted wanted = { page, shoal_servent_get_library (fixture->servent), subtitle };

  g_signal_connect (progress, "notify::visible", G_CALLBACK (on_visible), &progress_seen);
  shoal_library_page_add_folder (SHOAL_LIBRARY_PAGE (page), music);
  shoal_test_wait_until (folder_indexed, &wanted, TIMEOUT_MS, "Music shown with all its files");
  g_signal_handlers_disconnect_by_data (progress, &progress_seen);
  g_assert_true (progress_seen.was_visible);
  g_assert_false (gtk_widget_get_visible (progress));
  g_assert_cmpuint (shoal_library_get_hashed_count (wanted.library), ==, own_file_count ());

  /* One artist's files, from the index. */
  gtk_editable_set_text (GTK_EDITABLE (shoal_gui_require_by_id (page, "search_entry")), LIBRARY_WORDS);
  shoal_test_wait_until (shoal_gui_widget_mapped, shoal_gui_require_by_id (page, "results_list"),
                         TIMEOUT_MS, "the library's search results");
  shoal_gui_wait_label (page, LIBRARY_MATCH, TRUE);
  take_screenshot (fixture, "library");
}

static gboolean
servent_linked (gpointer data)
{
  ShoalServent *servent = data;

  return shoal_node_manager_get_link_count (shoal_servent_get_node_manager (servent)) > 0;
}

static gboolean
is_search_tab (GtkWidget     *widget,
               gconstpointer  data)
{
  return SHOAL_IS_SEARCH_TAB (widget) && gtk_widget_get_mapped (widget);
}

static gboolean
is_column_view (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

/* The position of the row named @name in what the view shows, or
 * GTK_INVALID_LIST_POSITION. */
static guint
find_row (GtkColumnView *view,
          const char    *name)
{
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (view));

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(ShoalResultRow) row = g_list_model_get_item (rows, i);

      if (strcmp (shoal_result_row_get_name (row), name) == 0)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

typedef struct
{
  GtkColumnView *view;
  guint          rows;
} RowsWanted;

static gboolean
rows_shown (gpointer data)
{
  RowsWanted *wanted = data;

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (wanted->view))) >=
         wanted->rows;
}

/* Ctrl+F, the words, Enter: the peer's files and the user's own match
 * arrive; the wanted one is selected and its Download button pressed. */
static void
search_and_download (Fixture *fixture)
{
  GtkWidget *page;
  GtkWidget *tab;
  GtkWidget *entry;
  GtkWidget *download_button;
  RowsWanted wanted;
  guint position;

  shoal_test_wait_until (servent_linked, fixture->servent, TIMEOUT_MS, "a link to the peer");
  show_page (fixture, "library");
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "search-focus", NULL);
  page = show_page (fixture, "search");
  tab = shoal_gui_find_descendant (page, is_search_tab, NULL);
  g_assert_nonnull (tab);
  entry = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_nonnull (entry);
  g_assert_true (gtk_widget_is_ancestor (entry, tab));
  gtk_editable_set_text (GTK_EDITABLE (entry), SEARCH_WORDS);
  g_signal_emit_by_name (entry, "activate");

  /* The peer's five files and "Tidal Sonata" from each of our albums. */
  wanted = (RowsWanted) {
    GTK_COLUMN_VIEW (shoal_gui_find_descendant (tab, is_column_view, NULL)),
    G_N_ELEMENTS (peer_files) + 1 + G_N_ELEMENTS (own_artists),
  };
  shoal_test_wait_until (rows_shown, &wanted, TIMEOUT_MS, "the search's results in the view");
  position = find_row (wanted.view, WANTED_FILE);
  g_assert_cmpuint (position, !=, GTK_INVALID_LIST_POSITION);
  gtk_selection_model_select_item (gtk_column_view_get_model (wanted.view), position, TRUE);
  take_screenshot (fixture, "search");

  download_button = shoal_gui_require_by_id (tab, "download_button");
  g_assert_nonnull (download_button);
  g_assert_true (gtk_widget_is_sensitive (download_button));
  g_signal_emit_by_name (download_button, "clicked");
}

static gboolean
is_download_row (GtkWidget     *widget,
                 gconstpointer  data)
{
  return SHOAL_IS_DOWNLOAD_ROW (widget);
}

static gboolean
is_progress_bar (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_PROGRESS_BAR (widget);
}

static gboolean
download_row_shown (gpointer data)
{
  return shoal_gui_find_descendant (data, is_download_row, NULL) != NULL;
}

static gboolean
bar_past_shown_fraction (gpointer data)
{
  double fraction = gtk_progress_bar_get_fraction (data);

  return fraction >= SHOWN_FRACTION && fraction < 1.0;
}

static gboolean
row_done (gpointer data)
{
  return g_strcmp0 (shoal_download_row_get_state_text (data), "Done") == 0;
}

/* The Transfers page: the download under way, then done, the file the
 * peer's to the byte. */
static void
follow_download (Fixture *fixture)
{
  GtkWidget *page = show_page (fixture, "transfers");
  GtkWidget *row;
  GtkWidget *bar;
  g_autofree char *path = g_build_filename (fixture->downloads, WANTED_FILE, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  shoal_test_wait_until (download_row_shown, page, TIMEOUT_MS, "the download's row");
  row = shoal_gui_find_descendant (page, is_download_row, NULL);
  g_assert_true (shoal_gui_label_shown (row, WANTED_FILE));
  bar = shoal_gui_find_descendant (row, is_progress_bar, NULL);
  g_assert_nonnull (bar);
  shoal_test_wait_until (bar_past_shown_fraction, bar, TIMEOUT_MS, "the download a quarter done");
  take_screenshot (fixture, "transfers");
  shoal_test_wait_until (row_done, row, TIMEOUT_MS, "the download done");
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)), ==, 1.0);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, WANTED_SIZE);
  g_assert_true (memcmp (contents, fixture->wanted_content, WANTED_SIZE) == 0);
}

static gboolean
is_scrolled_window (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_SCROLLED_WINDOW (widget);
}

static gboolean
no_toast_shown (gpointer window)
{
  return shoal_gui_find_descendant (window, is_toast, NULL) == NULL;
}

static gboolean
can_scroll (gpointer adjustment)
{
  return gtk_adjustment_get_upper (adjustment) > gtk_adjustment_get_page_size (adjustment);
}

/* The Network page lists the peer's link; scrolled to the links and the
 * traffic graph for its picture, once the download's toast has gone. */
static void
look_at_network (Fixture *fixture)
{
  GtkWidget *page = show_page (fixture, "network");
  GtkAdjustment *scroll = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (shoal_gui_find_descendant (page, is_scrolled_window, NULL)));

  shoal_gui_wait_label (page, PEER_ADDRESS, TRUE);
  shoal_test_wait_until (can_scroll, scroll, TIMEOUT_MS, "the Network page laid out");
  gtk_adjustment_set_value (scroll, gtk_adjustment_get_upper (scroll) -
                                    gtk_adjustment_get_page_size (scroll));
  g_assert_cmpfloat (gtk_adjustment_get_value (scroll), >, 0);
  shoal_test_wait_until (no_toast_shown, fixture->window, TIMEOUT_MS, "the toasts to go");
  take_screenshot (fixture, "network");
}

/* Running the application ----------------------------------------------------------------- */

/* Inside the application's main loop, its window on screen. */
static void
run_journey (ShoalApplication *application,
             ShoalWindow      *window,
             gpointer          data)
{
  Fixture *fixture = data;

  fixture->servent = shoal_application_get_servent (application);
  fixture->window = window;
  share_music (fixture);
  search_and_download (fixture);
  follow_download (fixture);
  look_at_network (fixture);
  fixture->window = NULL;
  fixture->servent = NULL;
}

static void
test_journey (void)
{
  Fixture fixture = { 0 };

  fixture_set_up (&fixture);
  shoal_gui_run_application (fixture.data_dir, fixture.config_path, NULL, run_journey, &fixture);
  fixture_tear_down (&fixture);
}

int
main (int   argc,
      char *argv[])
{
  /* GTK's test accessibility backend: it records what a screen reader
   * would be told, and needs no accessibility bus. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  shoal_gui_test_init (&argc, &argv);
  g_test_add_func ("/journey/share-search-download", test_journey);
  return g_test_run ();
}
