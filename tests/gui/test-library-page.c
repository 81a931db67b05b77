/* test-library-page.c — the Library page over a real library: a folder
 * added shows with its file count once hashed and a progress bar while
 * indexing, the local search finds a file by a word, removing the folder
 * (confirmed) empties the page, and cancelling indexing stops sharing. */
#include "gui-test-util.h"
#include "shoal-folder-row.h"
#include "shoal-library-page.h"
#include "shoal-test-api.h"
#include "shoal-test-node.h"

#include <glib/gstdio.h>

/* Hashing under the sanitizers is slow; this fails the test, not CI. */
#define TIMEOUT_MS 30000
#define SHARED_FILE_COUNT 3
/* After the page goes: the library's worker posts its last reports to
 * the main loop, which must run them before the servent is freed (there
 * is nothing to wait on: they may be none). */
#define TEARDOWN_DRAIN_MS 100

typedef struct
{
  ShoalTestApi *api;
  GtkWindow    *window;
  GtkWidget    *page;
  char         *share_dir;
} Fixture;

/* Widgets ---------------------------------------------------------------------- */

/* A template child by its id in the .ui file. */
static GtkWidget *
get_child (Fixture    *fixture,
           const char *id)
{
  return shoal_gui_require_by_id (fixture->page, id);
}

static const char *
visible_state (Fixture *fixture)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (get_child (fixture, "stack")));
}

static guint
count_rows (GtkWidget *list)
{
  guint count = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_BOX_ROW (child))
      count++;
  return count;
}

static ShoalFolderRow *
first_folder_row (Fixture *fixture)
{
  GtkWidget *list = get_child (fixture, "folder_list");

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (SHOAL_IS_FOLDER_ROW (child))
      return SHOAL_FOLDER_ROW (child);
  return NULL;
}

static AdwActionRow *
find_result_row (Fixture    *fixture,
                 const char *name)
{
  GtkWidget *list = get_child (fixture, "results_list");

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ADW_IS_ACTION_ROW (child) &&
        g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), name) == 0)
      return ADW_ACTION_ROW (child);
  return NULL;
}

/* A click: "activate" would wait for the button's press animation. */
static void
click (GtkWidget *button)
{
  g_assert_true (GTK_IS_BUTTON (button));
  g_signal_emit_by_name (button, "clicked");
}

/* Answers the confirmation the page asked, as a click on @response. */
static void
answer_dialog (const char *response)
{
  AdwMessageDialog *dialog = shoal_gui_find_message_dialog ();

  g_assert_nonnull (dialog);
  g_assert_true (adw_message_dialog_has_response (dialog, response));
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Setup --------------------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const ShoalTestApiOptions options = { 0 };
  g_autoptr(GError) error = NULL;

  fixture->api = shoal_test_api_new (&options);
  fixture->share_dir = g_dir_make_tmp ("shoal-library-page-XXXXXX", &error);
  g_assert_no_error (error);
  shoal_gui_write_file (fixture->share_dir, "alpha-song.ogg", "a song that is not music", -1);
  shoal_gui_write_file (fixture->share_dir, "beta-notes.txt", "notes about nothing", -1);
  shoal_gui_write_file (fixture->share_dir, "gamma-photo.png", "not a picture either", -1);

  fixture->page = shoal_library_page_new (fixture->api->servent);
  fixture->window = shoal_gui_show_in_window (fixture->page, fixture->page, 0, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  shoal_test_wait_ms (TEARDOWN_DRAIN_MS);
  g_clear_pointer (&fixture->api, shoal_test_api_free);
  shoal_test_remove_tree (fixture->share_dir);
  g_free (fixture->share_dir);
}

static void
add_share_dir (Fixture *fixture)
{
  g_autoptr(GFile) folder = g_file_new_for_path (fixture->share_dir);

  shoal_library_page_add_folder (SHOAL_LIBRARY_PAGE (fixture->page), folder);
}

/* Conditions ------------------------------------------------------------------------ */

static gboolean
folder_shown_hashed (gpointer data)
{
  Fixture *fixture = data;
  ShoalFolderRow *row = first_folder_row (fixture);

  return row != NULL &&
         shoal_library_get_hashed_count (fixture->api->library) == SHARED_FILE_COUNT &&
         g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "3 files");
}

static gboolean
library_idle (gpointer data)
{
  Fixture *fixture = data;

  return !shoal_library_get_busy (fixture->api->library);
}

static gboolean
notes_found (gpointer data)
{
  Fixture *fixture = data;

  return find_result_row (fixture, "beta-notes.txt") != NULL;
}

static gboolean
nothing_found (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *status = get_child (fixture, "search_status");

  return gtk_widget_get_visible (status) &&
         g_str_has_prefix (gtk_label_get_text (GTK_LABEL (status)), "No shared file matches");
}

static gboolean
search_cleared (gpointer data)
{
  Fixture *fixture = data;

  return *gtk_editable_get_text (GTK_EDITABLE (get_child (fixture, "search_entry"))) == '\0' &&
         !gtk_widget_get_visible (get_child (fixture, "search_status")) &&
         !gtk_widget_get_visible (get_child (fixture, "results_list"));
}

static gboolean
page_empty (gpointer data)
{
  Fixture *fixture = data;

  return g_strcmp0 (visible_state (fixture), "empty") == 0 &&
         g_list_model_get_n_items (shoal_library_get_roots (fixture->api->library)) == 0;
}

/* Tests ------------------------------------------------------------------------------- */

static void
test_empty_state (Fixture       *fixture,
                  gconstpointer  data)
{
  GtkWidget *status = get_child (fixture, "empty_page");
  GtkWidget *button = get_child (fixture, "empty_add_button");

  g_assert_cmpstr (visible_state (fixture), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "Nothing Shared Yet");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==,
                   "library.add-folder");
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_null (first_folder_row (fixture));
}

static void
test_add_search_remove (Fixture       *fixture,
                        gconstpointer  data)
{
  GtkWidget *progress_box = get_child (fixture, "progress_box");
  GtkWidget *progress_label = get_child (fixture, "progress_label");
  GtkWidget *entry = get_child (fixture, "search_entry");
  ShoalFolderRow *row;
  g_autofree char *folder_name = g_path_get_basename (fixture->share_dir);

  add_share_dir (fixture);
  /* At once: the library is busy and the page says so. */
  g_assert_true (shoal_library_get_busy (fixture->api->library));
  g_assert_cmpstr (visible_state (fixture), ==, "library");
  g_assert_true (gtk_widget_get_visible (progress_box));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (progress_label)), "Indexing"));

  shoal_test_wait_until (folder_shown_hashed, fixture, TIMEOUT_MS, "the folder with 3 files hashed");
  row = first_folder_row (fixture);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, folder_name);
  shoal_test_wait_until (library_idle, fixture, TIMEOUT_MS, "the library done indexing");
  g_assert_false (gtk_widget_get_visible (progress_box));

  /* The local search: a word of one name finds that file only. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "notes");
  shoal_test_wait_until (notes_found, fixture, TIMEOUT_MS, "beta-notes.txt in the results");
  g_assert_cmpuint (count_rows (get_child (fixture, "results_list")), ==, 1);
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (find_result_row (fixture,
                                                                                  "beta-notes.txt")),
                                   folder_name));
  gtk_editable_set_text (GTK_EDITABLE (entry), "nosuchword");
  shoal_test_wait_until (nothing_found, fixture, TIMEOUT_MS, "no match for nosuchword");
  g_assert_false (gtk_widget_get_visible (get_child (fixture, "results_list")));
  /* Escape ends the search. */
  g_signal_emit_by_name (entry, "stop-search");
  shoal_test_wait_until (search_cleared, fixture, TIMEOUT_MS, "the search cleared");

  /* Remove, kept at first, then confirmed. Kept, the folder stays: a
   * removal asked for would have made the library busy as it was asked
   * (shoal_library_remove_root() counts its job before returning), and
   * the folder would be gone from the library and the page by the time
   * the library is idle again. */
  click (shoal_gui_find_by_id (GTK_WIDGET (row), "remove_button"));
  answer_dialog ("keep");
  shoal_test_wait_until (library_idle, fixture, TIMEOUT_MS, "the library idle after keeping");
  g_assert_cmpuint (g_list_model_get_n_items (shoal_library_get_roots (fixture->api->library)), ==, 1);
  g_assert_nonnull (first_folder_row (fixture));
  click (shoal_gui_find_by_id (GTK_WIDGET (first_folder_row (fixture)), "remove_button"));
  answer_dialog ("stop");
  shoal_test_wait_until (page_empty, fixture, TIMEOUT_MS, "the folder gone and the empty state");
  g_assert_null (first_folder_row (fixture));
}

/* Cancelling while the folder is still on its way: it is shared, then
 * unshared as soon as it arrives. */
static void
test_cancel_indexing (Fixture       *fixture,
                      gconstpointer  data)
{
  add_share_dir (fixture);
  g_assert_true (gtk_widget_get_visible (get_child (fixture, "cancel_button")));
  g_assert_true (gtk_widget_activate_action (fixture->page, "library.cancel-indexing", NULL));
  answer_dialog ("stop");
  shoal_test_wait_until (library_idle, fixture, TIMEOUT_MS, "the library done");
  shoal_test_wait_until (page_empty, fixture, TIMEOUT_MS, "the cancelled folder unshared");
  g_assert_cmpuint (shoal_library_get_file_count (fixture->api->library), ==, 0);
}

static void
test_add_missing_folder (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->share_dir, "no-such-folder", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (missing);

  shoal_library_page_add_folder (SHOAL_LIBRARY_PAGE (fixture->page), folder);
  g_assert_cmpstr (visible_state (fixture), ==, "library");
  shoal_test_wait_until (library_idle, fixture, TIMEOUT_MS, "the library done");
  shoal_test_wait_until (page_empty, fixture, TIMEOUT_MS, "the empty state again");
}

int
main (int    argc,
      char **argv)
{
  shoal_gui_test_init (&argc, &argv);

  g_test_add ("/library-page/empty-state", Fixture, NULL,
              fixture_set_up, test_empty_state, fixture_tear_down);
  g_test_add ("/library-page/add-search-remove", Fixture, NULL,
              fixture_set_up, test_add_search_remove, fixture_tear_down);
  g_test_add ("/library-page/cancel-indexing", Fixture, NULL,
              fixture_set_up, test_cancel_indexing, fixture_tear_down);
  g_test_add ("/library-page/add-missing-folder", Fixture, NULL,
              fixture_set_up, test_add_missing_folder, fixture_tear_down);
  return g_test_run ();
}
