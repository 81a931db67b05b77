/* test-window.c — the desktop app as its user meets it: the window on
 * every page, the primary menu and the shortcuts, its size kept, the
 * first run, magnet links opened, and the data folder a shoald holds.
 * Each test runs the real application with --data-dir and --config in a
 * temporary folder; the GSettings backend is the memory one. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "gui-test-util.h"
#include "shoal-application.h"
#include "shoal-data-lock.h"
#include "shoal-preferences-window.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-window.h"

/* Fails the test rather than hanging it; the first frame under ASan and
 * Xvfb takes a second or two. */
#define TIMEOUT_MS 20000
#define APP_LOG_DOMAIN "Shoal-gui"
#define MAGNET_SHA1 "QLFYWY2RI5WZCTEP6MJKR5CAFGP7FQ5X"
#define MAGNET_NAME "free-software-song.ogg"
#define MAGNET "magnet:?xt=urn:sha1:" MAGNET_SHA1 "&dn=" MAGNET_NAME
#define SAVED_WIDTH 820
#define SAVED_HEIGHT 610
#define WELCOME_TITLE "Welcome to Shoal"
#define LOCKED_TITLE "Shoal Is Already Running"
#define FAILED_TITLE "Shoal Could Not Start"

static const char * const page_names[] = { "search", "transfers", "network", "library" };

static const char * const settings_keys[] = {
  "window-width", "window-height", "window-maximized", "first-run-done",
};

typedef struct Fixture Fixture;
typedef void (*TestBody) (Fixture *fixture);

struct Fixture
{
  char             *root;
  char             *data_dir;
  char             *config_path;
  GSettings        *settings;
  ShoalApplication *application;  /* while a body runs */
  ShoalWindow      *window;
  TestBody          body;
  ShoalDataLock    *held_lock;    /* as a shoald on the data folder holds it */
  int               shown_width;  /* on screen, after a resize */
  int               shown_height;
};

/* Setup ---------------------------------------------------------------------------- */

/* On loopback only, dialling nobody: the app must run, not join the
 * network. */
static void
write_config (Fixture *fixture)
{
  g_autofree char *downloads = g_build_filename (fixture->root, "downloads", NULL);
  g_autoptr(GKeyFile) config = shoal_gui_app_config_new (downloads);

  shoal_gui_app_config_save (config, fixture->config_path);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->root = g_dir_make_tmp ("shoal-test-window-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->data_dir = g_build_filename (fixture->root, "data", NULL);
  fixture->config_path = g_build_filename (fixture->root, "shoal.conf", NULL);
  write_config (fixture);
  /* The memory backend lives as long as the process: each test starts
   * from the schema's defaults. */
  fixture->settings = g_settings_new (SHOAL_APPLICATION_ID);
  for (guint i = 0; i < G_N_ELEMENTS (settings_keys); i++)
    g_settings_reset (fixture->settings, settings_keys[i]);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->held_lock, shoal_data_lock_release);
  shoal_test_remove_tree (fixture->root);
  g_free (fixture->root);
  g_free (fixture->data_dir);
  g_free (fixture->config_path);
  g_clear_object (&fixture->settings);
}

/* Running the application ---------------------------------------------------------- */

/* The body runs inside the application's main loop, with its window on
 * screen. */
static void
run_fixture_body (ShoalApplication *application,
                  ShoalWindow      *window,
                  gpointer          data)
{
  Fixture *fixture = data;

  fixture->application = application;
  fixture->window = window;
  fixture->body (fixture);
  fixture->window = NULL;
  fixture->application = NULL;
}

/* shoal --data-dir DIR --config FILE [@uri], as the desktop starts it. */
static void
run_application (Fixture    *fixture,
                 TestBody    body,
                 const char *uri)
{
  fixture->body = body;
  shoal_gui_run_application (fixture->data_dir, fixture->config_path, uri, run_fixture_body, fixture);
}

/* Finding widgets ------------------------------------------------------------------- */

static gboolean
is_status_page_titled (GtkWidget     *widget,
                       gconstpointer  title)
{
  return ADW_IS_STATUS_PAGE (widget) &&
         g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (widget)), title) == 0;
}

static gboolean
is_primary_menu_button (GtkWidget     *widget,
                        gconstpointer  data)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget));
}

static GtkWidget *
find_status_page (Fixture    *fixture,
                  const char *title)
{
  GtkWidget *page = shoal_gui_find_descendant (GTK_WIDGET (fixture->window), is_status_page_titled, title);

  g_assert_nonnull (page);
  return page;
}

static void
click_button (GtkWidget  *root,
              const char *label)
{
  GtkWidget *button = shoal_gui_find_descendant (root, shoal_gui_is_button_labelled, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_activate (button));
}

static void
wait_page_mapped (Fixture    *fixture,
                  const char *name)
{
  g_autofree char *what = g_strdup_printf ("the %s page on screen", name);

  shoal_test_wait_until (shoal_gui_widget_mapped, shoal_window_get_page_widget (fixture->window, name),
                         TIMEOUT_MS, what);
}

static ShoalTransfers *
transfers (Fixture *fixture)
{
  ShoalServent *servent = shoal_application_get_servent (fixture->application);

  g_assert_nonnull (servent);
  return shoal_servent_get_transfers (servent);
}

/* Every page ------------------------------------------------------------------------- */

static void
assert_only_page_mapped (Fixture    *fixture,
                         const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    g_assert_true (gtk_widget_get_mapped (shoal_window_get_page_widget (fixture->window, page_names[i])) ==
                   (strcmp (page_names[i], name) == 0));
}

static void
check_every_page (Fixture *fixture)
{
  GtkWidget *search = shoal_window_get_page_widget (fixture->window, "search");
  GtkWidget *focus;

  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "search");
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    {
      const char *name = page_names[(i + 1) % G_N_ELEMENTS (page_names)];
      const char *before = shoal_window_get_page (fixture->window);

      shoal_window_show_page (fixture->window, name);
      g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, name);
      g_assert_cmpstr (before, !=, name);
      wait_page_mapped (fixture, name);
      assert_only_page_mapped (fixture, name);
    }
  /* The same through win.show-page, which Ctrl+1…4 activate. */
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    {
      g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "show-page",
                                      g_variant_new_string (page_names[i]));
      g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, page_names[i]);
      wait_page_mapped (fixture, page_names[i]);
    }
  /* Ctrl+F from another page: back to the search, its entry focused. */
  shoal_window_show_page (fixture->window, "network");
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "search-focus", NULL);
  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "search");
  wait_page_mapped (fixture, "search");
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, search));
}

static void
test_every_page (Fixture       *fixture,
                 gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, check_every_page, NULL);
}

static gboolean
is_tab_view (GtkWidget     *widget,
             gconstpointer  data)
{
  return ADW_IS_TAB_VIEW (widget);
}

static int
count_search_tabs (Fixture *fixture)
{
  GtkWidget *tabs = shoal_gui_find_descendant (shoal_window_get_page_widget (fixture->window, "search"), is_tab_view, NULL);

  g_assert_nonnull (tabs);
  return adw_tab_view_get_n_pages (ADW_TAB_VIEW (tabs));
}

/* Ctrl+T and Ctrl+W reach the search page; Ctrl+W only where the tabs
 * are seen. */
static void
check_search_tabs (Fixture *fixture)
{
  int tabs = count_search_tabs (fixture);

  shoal_window_show_page (fixture->window, "library");
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "new-search-tab", NULL);
  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "search");
  g_assert_cmpint (count_search_tabs (fixture), ==, tabs + 1);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "new-search-tab", NULL);
  g_assert_cmpint (count_search_tabs (fixture), ==, tabs + 2);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "close-search-tab", NULL);
  g_assert_cmpint (count_search_tabs (fixture), ==, tabs + 1);
  shoal_window_show_page (fixture->window, "transfers");
  g_action_group_activate_action (G_ACTION_GROUP (fixture->window), "close-search-tab", NULL);
  g_assert_cmpint (count_search_tabs (fixture), ==, tabs + 1);
  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "transfers");
}

static void
test_search_tabs (Fixture       *fixture,
                  gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, check_search_tabs, NULL);
}

/* The menu and the shortcuts ---------------------------------------------------------- */

static void
assert_action_enabled (Fixture    *fixture,
                       const char *detailed)
{
  g_autofree char *name = NULL;
  g_autoptr(GVariant) target = NULL;
  GActionGroup *group;

  g_assert_true (g_action_parse_detailed_name (detailed, &name, &target, NULL));
  if (g_str_has_prefix (name, "app."))
    group = G_ACTION_GROUP (fixture->application);
  else
    {
      g_assert_true (g_str_has_prefix (name, "win."));
      group = G_ACTION_GROUP (fixture->window);
    }
  g_assert_true (g_action_group_has_action (group, name + strlen ("app.")));
  g_assert_true (g_action_group_get_action_enabled (group, name + strlen ("app.")));
}

/* Every item of the primary menu names an action that is there. */
static void
check_primary_menu (Fixture *fixture)
{
  GtkWidget *button = shoal_gui_find_descendant (GTK_WIDGET (fixture->window), is_primary_menu_button, NULL);
  GMenuModel *menu;
  guint items = 0;

  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Main Menu");
  menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button));
  g_assert_nonnull (menu);
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      g_assert_nonnull (section);
      for (int j = 0; j < g_menu_model_get_n_items (section); j++)
        {
          g_autofree char *action = NULL;

          g_assert_true (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_ACTION, "s", &action));
          assert_action_enabled (fixture, action);
          items++;
        }
    }
  g_assert_cmpuint (items, ==, 3);
}

static void
assert_accel (Fixture    *fixture,
              const char *action,
              const char *expected)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->application),
                                                                 action);
  guint expected_key;
  GdkModifierType expected_mods;
  guint key;
  GdkModifierType mods;

  g_assert_true (gtk_accelerator_parse (expected, &expected_key, &expected_mods));
  g_assert_nonnull (accels);
  g_assert_cmpuint (g_strv_length (accels), ==, 1);
  g_assert_true (gtk_accelerator_parse (accels[0], &key, &mods));
  g_assert_cmpuint (key, ==, expected_key);
  g_assert_cmpuint (mods, ==, expected_mods);
  assert_action_enabled (fixture, action);
}

static guint
count_toplevels (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        count++;
    }
  return count;
}

static gboolean
toplevel_mapped (gpointer data)
{
  GtkWindow *window = shoal_gui_find_toplevel (GPOINTER_TO_SIZE (data));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* The about and preferences windows open over ours. */
static void
check_dialogs (Fixture *fixture)
{
  GtkWindow *about;
  GtkWindow *preferences;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->application), "about", NULL);
  shoal_test_wait_until (toplevel_mapped, GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), TIMEOUT_MS,
                         "the about window");
  about = shoal_gui_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)), ==, GTK_LICENSE_GPL_3_0);
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (fixture->window));
  gtk_window_destroy (about);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->application), "preferences", NULL);
  shoal_test_wait_until (toplevel_mapped, GSIZE_TO_POINTER (SHOAL_TYPE_PREFERENCES_WINDOW), TIMEOUT_MS,
                         "the preferences window");
  preferences = shoal_gui_find_toplevel (SHOAL_TYPE_PREFERENCES_WINDOW);
  g_assert_true (gtk_window_get_transient_for (preferences) == GTK_WINDOW (fixture->window));
  /* Ctrl+, again brings the same one forward. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->application), "preferences", NULL);
  g_assert_cmpuint (count_toplevels (SHOAL_TYPE_PREFERENCES_WINDOW), ==, 1);
  gtk_window_destroy (preferences);
}

static void
check_menu_and_shortcuts (Fixture *fixture)
{
  check_primary_menu (fixture);
  assert_accel (fixture, "win.search-focus", "<Control>f");
  assert_accel (fixture, "win.new-search-tab", "<Control>t");
  assert_accel (fixture, "win.close-search-tab", "<Control>w");
  assert_accel (fixture, "app.preferences", "<Control>comma");
  assert_accel (fixture, "app.quit", "<Control>q");
  assert_accel (fixture, "win.show-page::transfers", "<Control>2");
  /* GtkApplication found the help overlay in our resources. */
  assert_accel (fixture, "win.show-help-overlay", "<Control>question");
  check_dialogs (fixture);
}

static void
test_menu_and_shortcuts (Fixture       *fixture,
                         gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, check_menu_and_shortcuts, NULL);
}

/* The window's size ------------------------------------------------------------------- */

static gboolean
window_resized (gpointer data)
{
  Fixture *fixture = data;

  return gtk_widget_get_width (GTK_WIDGET (fixture->window)) != fixture->shown_width &&
         gtk_widget_get_height (GTK_WIDGET (fixture->window)) != fixture->shown_height;
}

/* The schema's default size at first, then the user makes it smaller.
 * (The size on screen differs from the default size by the decorations
 * GTK draws itself without a window manager.) */
static void
resize_window (Fixture *fixture)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  int width;
  int height;

  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, g_settings_get_int (fixture->settings, "window-width"));
  g_assert_cmpint (height, ==, g_settings_get_int (fixture->settings, "window-height"));
  g_assert_cmpint (width, !=, SAVED_WIDTH);
  g_assert_cmpint (height, !=, SAVED_HEIGHT);
  fixture->shown_width = gtk_widget_get_width (window);
  fixture->shown_height = gtk_widget_get_height (window);
  gtk_window_set_default_size (GTK_WINDOW (window), SAVED_WIDTH, SAVED_HEIGHT);
  shoal_test_wait_until (window_resized, fixture, TIMEOUT_MS, "the window resized");
  fixture->shown_width = gtk_widget_get_width (window);
  fixture->shown_height = gtk_widget_get_height (window);
}

static gboolean
window_at_shown_size (gpointer data)
{
  Fixture *fixture = data;

  return gtk_widget_get_width (GTK_WIDGET (fixture->window)) == fixture->shown_width &&
         gtk_widget_get_height (GTK_WIDGET (fixture->window)) == fixture->shown_height;
}

static void
check_size_restored (Fixture *fixture)
{
  int width;
  int height;

  gtk_window_get_default_size (GTK_WINDOW (fixture->window), &width, &height);
  g_assert_cmpint (width, ==, SAVED_WIDTH);
  g_assert_cmpint (height, ==, SAVED_HEIGHT);
  shoal_test_wait_until (window_at_shown_size, fixture, TIMEOUT_MS, "the window at its saved size");
}

static void
test_size_remembered (Fixture       *fixture,
                      gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, resize_window, NULL);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-width"), ==, SAVED_WIDTH);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-height"), ==, SAVED_HEIGHT);
  g_assert_false (g_settings_get_boolean (fixture->settings, "window-maximized"));
  /* The next start, with the same data folder. */
  run_application (fixture, check_size_restored, NULL);
}

/* First run ---------------------------------------------------------------------------- */

static void
wait_welcome (Fixture *fixture)
{
  GtkWidget *welcome = find_status_page (fixture, WELCOME_TITLE);

  shoal_test_wait_until (shoal_gui_widget_mapped, welcome, TIMEOUT_MS, "the welcome");
  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "search");
  g_assert_false (gtk_widget_get_mapped (shoal_window_get_page_widget (fixture->window, "search")));
  g_assert_false (g_settings_get_boolean (fixture->settings, "first-run-done"));
}

static void
dismiss_welcome (Fixture *fixture)
{
  GtkWidget *welcome;

  wait_welcome (fixture);
  welcome = find_status_page (fixture, WELCOME_TITLE);
  click_button (welcome, "_Not Now");
  wait_page_mapped (fixture, "search");
  shoal_test_wait_until (shoal_gui_widget_unmapped, welcome, TIMEOUT_MS, "the welcome gone");
  g_assert_true (g_settings_get_boolean (fixture->settings, "first-run-done"));
}

static void
test_first_run_not_now (Fixture       *fixture,
                        gconstpointer  data)
{
  run_application (fixture, dismiss_welcome, NULL);
}

/* A folder shared another way (the Library page) ends the first run too. */
static void
share_while_welcome (Fixture *fixture)
{
  ShoalServent *servent = shoal_application_get_servent (fixture->application);
  g_autofree char *folder = g_build_filename (fixture->root, "shared", NULL);

  wait_welcome (fixture);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  shoal_gui_write_file (folder, "song.ogg", "la la la", -1);
  shoal_gui_share_folder (shoal_servent_get_library (servent), folder);
  wait_page_mapped (fixture, "search");
  shoal_test_wait_until (shoal_gui_widget_unmapped, find_status_page (fixture, WELCOME_TITLE), TIMEOUT_MS,
                         "the welcome gone");
  g_assert_true (g_settings_get_boolean (fixture->settings, "first-run-done"));
}

static void
test_first_run_share (Fixture       *fixture,
                      gconstpointer  data)
{
  run_application (fixture, share_while_welcome, NULL);
}

static gboolean
folder_shared (gpointer data)
{
  Fixture *fixture = data;
  ShoalLibrary *library = shoal_servent_get_library (shoal_application_get_servent (fixture->application));

  return g_list_model_get_n_items (shoal_library_get_roots (library)) == 1;
}

typedef struct
{
  GtkFileChooser *chooser;
  GFile          *folder;
} Pick;

static gboolean
chooser_has_picked (gpointer data)
{
  Pick *pick = data;
  g_autoptr(GFile) file = gtk_file_chooser_get_file (pick->chooser);

  return file != NULL && g_file_equal (file, pick->folder);
}

/* "Share a Folder…": without a portal, GtkFileChooserNative shows GTK's
 * own dialog, answered here as a user would. */
static void
share_from_welcome (Fixture *fixture)
{
  g_autofree char *folder_path = g_build_filename (fixture->root, "music", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (folder_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = NULL;
  ShoalLibrary *library;
  GtkWindow *chooser;
  Pick pick;

  wait_welcome (fixture);
  g_assert_cmpint (g_mkdir (folder_path, 0700), ==, 0);
  click_button (find_status_page (fixture, WELCOME_TITLE), "_Share a Folder…");
  shoal_test_wait_until (toplevel_mapped, GSIZE_TO_POINTER (GTK_TYPE_FILE_CHOOSER_DIALOG), TIMEOUT_MS,
                         "the folder chooser");
  chooser = shoal_gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (gtk_window_get_transient_for (chooser) == GTK_WINDOW (fixture->window));
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==,
                   GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), folder, &error);
  g_assert_no_error (error);
  /* The folder is picked once the chooser has listed its parent. */
  pick.chooser = GTK_FILE_CHOOSER (chooser);
  pick.folder = folder;
  shoal_test_wait_until (chooser_has_picked, &pick, TIMEOUT_MS, "the folder picked");
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);

  shoal_test_wait_until (folder_shared, fixture, TIMEOUT_MS, "the folder shared");
  library = shoal_servent_get_library (shoal_application_get_servent (fixture->application));
  root = g_list_model_get_item (shoal_library_get_roots (library), 0);
  g_assert_cmpstr (shoal_shared_root_get_path (root), ==, folder_path);
  wait_page_mapped (fixture, "search");
  g_assert_true (g_settings_get_boolean (fixture->settings, "first-run-done"));
}

static void
test_first_run_share_a_folder (Fixture       *fixture,
                               gconstpointer  data)
{
  run_application (fixture, share_from_welcome, NULL);
}

/* Magnet links ---------------------------------------------------------------------------- */

static void
assert_magnet_queued (Fixture *fixture)
{
  GListModel *downloads = shoal_transfers_get_downloads (transfers (fixture));
  g_autoptr(ShoalDownload) download = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (downloads), ==, 1);
  download = g_list_model_get_item (downloads, 0);
  g_assert_cmpstr (shoal_download_get_urn (download), ==, "urn:sha1:" MAGNET_SHA1);
  g_assert_cmpstr (shoal_download_get_name (download), ==, MAGNET_NAME);
  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "transfers");
  wait_page_mapped (fixture, "transfers");
}

/* As the desktop hands over a link: to the running instance. */
static void
open_magnet (Fixture *fixture)
{
  g_autoptr(GFile) magnet = g_file_new_for_uri (MAGNET);
  g_autoptr(GFile) web_page = g_file_new_for_uri ("https://example.org/song.ogg");

  shoal_window_show_page (fixture->window, "network");
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (transfers (fixture))), ==, 0);
  g_application_open (G_APPLICATION (fixture->application), &magnet, 1, "");
  assert_magnet_queued (fixture);

  /* Anything but a magnet is left alone, with a warning. */
  shoal_window_show_page (fixture->window, "library");
  g_test_expect_message (APP_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*https://example.org/song.ogg*");
  g_application_open (G_APPLICATION (fixture->application), &web_page, 1, "");
  g_test_assert_expected_messages ();
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (transfers (fixture))), ==, 1);
  g_assert_cmpstr (shoal_window_get_page (fixture->window), ==, "library");
}

static void
test_magnet_open (Fixture       *fixture,
                  gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, open_magnet, NULL);
}

/* shoal 'magnet:?…' from a shell or the desktop file's %U. */
static void
test_magnet_command_line (Fixture       *fixture,
                          gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, assert_magnet_queued, MAGNET);
}

/* Quitting ------------------------------------------------------------------------------ */

static gboolean
no_window (gpointer data)
{
  return shoal_gui_find_app_window (data) == NULL;
}

/* Ctrl-C in the terminal of `make run`: the app quits as Ctrl+Q does,
 * saving the window's size on the way out. */
static void
interrupt (Fixture *fixture)
{
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), SAVED_WIDTH, SAVED_HEIGHT);
  g_assert_cmpint (kill (getpid (), SIGINT), ==, 0);
  shoal_test_wait_until (no_window, fixture->application, TIMEOUT_MS, "the window closed");
  fixture->window = NULL;
}

static void
test_quit_on_interrupt (Fixture       *fixture,
                        gconstpointer  data)
{
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, interrupt, NULL);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-width"), ==, SAVED_WIDTH);
}

/* Error states ---------------------------------------------------------------------------- */

static gboolean
servent_running (gpointer data)
{
  return shoal_application_get_servent (data) != NULL;
}

/* The lock is held as a shoald would hold it; once it is let go, "Try
 * Again" starts the servent and the pages come. */
static void
check_locked_then_retry (Fixture *fixture)
{
  GtkWidget *error_page = find_status_page (fixture, LOCKED_TITLE);
  const char *description = adw_status_page_get_description (ADW_STATUS_PAGE (error_page));
  const GError *error = shoal_application_get_start_error (fixture->application);

  g_assert_true (gtk_widget_get_mapped (error_page));
  g_assert_nonnull (strstr (description, fixture->data_dir));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_null (shoal_application_get_servent (fixture->application));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (fixture->application), "preferences"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (fixture->window), "new-search-tab"));
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    g_assert_null (shoal_window_get_page_widget (fixture->window, page_names[i]));

  /* Still held: trying again changes nothing. */
  click_button (error_page, "_Try Again");
  g_assert_null (shoal_application_get_servent (fixture->application));
  g_assert_true (gtk_widget_get_mapped (error_page));

  g_clear_pointer (&fixture->held_lock, shoal_data_lock_release);
  click_button (error_page, "_Try Again");
  shoal_test_wait_until (servent_running, fixture->application, TIMEOUT_MS, "the servent started");
  g_assert_null (shoal_application_get_start_error (fixture->application));
  wait_page_mapped (fixture, "search");
  shoal_test_wait_until (shoal_gui_widget_unmapped, error_page, TIMEOUT_MS, "the error state gone");
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (fixture->application), "preferences"));
}

static void
test_data_dir_locked (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->held_lock = shoal_data_lock_acquire (fixture->data_dir, &error);
  g_assert_no_error (error);
  g_settings_set_boolean (fixture->settings, "first-run-done", TRUE);
  run_application (fixture, check_locked_then_retry, NULL);
  g_assert_null (fixture->held_lock);
}

static void
check_bad_config (Fixture *fixture)
{
  GtkWidget *error_page = find_status_page (fixture, FAILED_TITLE);
  const char *description = adw_status_page_get_description (ADW_STATUS_PAGE (error_page));

  g_assert_true (gtk_widget_get_mapped (error_page));
  g_assert_nonnull (strstr (description, "shoal.conf:2"));
  g_assert_nonnull (strstr (description, "port"));
  g_assert_null (shoal_application_get_servent (fixture->application));
  g_assert_null (shoal_application_get_settings (fixture->application));
}

/* A settings file that does not read is shown, naming the line. */
static void
test_bad_config (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (fixture->config_path, "[network]\nport=abc\n", -1, &error);
  g_assert_no_error (error);
  run_application (fixture, check_bad_config, NULL);
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/window/every-page", Fixture, NULL, fixture_set_up, test_every_page, fixture_tear_down);
  g_test_add ("/window/search-tabs", Fixture, NULL, fixture_set_up, test_search_tabs, fixture_tear_down);
  g_test_add ("/window/menu-and-shortcuts", Fixture, NULL, fixture_set_up, test_menu_and_shortcuts,
              fixture_tear_down);
  g_test_add ("/window/size-remembered", Fixture, NULL, fixture_set_up, test_size_remembered,
              fixture_tear_down);
  g_test_add ("/window/first-run/not-now", Fixture, NULL, fixture_set_up, test_first_run_not_now,
              fixture_tear_down);
  g_test_add ("/window/first-run/share-a-folder", Fixture, NULL, fixture_set_up,
              test_first_run_share_a_folder, fixture_tear_down);
  g_test_add ("/window/first-run/folder-shared-elsewhere", Fixture, NULL, fixture_set_up,
              test_first_run_share, fixture_tear_down);
  g_test_add ("/window/magnet/open", Fixture, NULL, fixture_set_up, test_magnet_open, fixture_tear_down);
  g_test_add ("/window/magnet/command-line", Fixture, NULL, fixture_set_up, test_magnet_command_line,
              fixture_tear_down);
  g_test_add ("/window/quit-on-interrupt", Fixture, NULL, fixture_set_up, test_quit_on_interrupt,
              fixture_tear_down);
  g_test_add ("/window/error/data-dir-locked", Fixture, NULL, fixture_set_up, test_data_dir_locked,
              fixture_tear_down);
  g_test_add ("/window/error/bad-config", Fixture, NULL, fixture_set_up, test_bad_config, fixture_tear_down);
  return g_test_run ();
}
