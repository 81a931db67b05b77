/* test-translation.c — the German translation reaches the user: the
 * catalogue the build compiles (po/de/LC_MESSAGES/shoal.mo), bound as
 * main.c binds the installed one, translates the templates, the code's
 * sentences with their plural forms and the core's sentences on screen;
 * the desktop file and the AppStream metadata merged in the build folder
 * carry German too. Runs in German through LANGUAGE, which gettext
 * honours in any locale but "C": C.UTF-8 is there on every Debian. */
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "gui-test-util.h"
#include "shoal-application.h"
#include "shoal-servent.h"
#include "shoal-test-loop.h"
#include "shoal-test-node.h"
#include "shoal-window.h"

#define TEST_LANGUAGE "de"
#define TEST_LOCALE "C.UTF-8"
/* Fails the test rather than hanging it; the first frame under ASan and
 * Xvfb takes a second or two. */
#define TIMEOUT_MS 20000
#define DESKTOP_GROUP "Desktop Entry"

/* The page titles of the view switcher, in the window's order. */
static const struct
{
  const char *name;
  const char *title;
} pages[] = {
  { "search", "Suche" },
  { "transfers", "Übertragungen" },
  { "network", "Netzwerk" },
  { "library", "Bibliothek" },
};

/* The build folder's files ------------------------------------------------------------ */

/* @first… below the build root; G_TEST_BUILDDIR is its tests/ folder. */
static char *
build_path (const char *first,
            ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, (char *) g_test_get_dir (G_TEST_BUILT));
  g_ptr_array_add (parts, (char *) "..");
  va_start (args, first);
  for (const char *part = first; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (char *) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

/* As main.c does, with the build folder for LOCALEDIR; the locale was
 * set by gtk_init(). */
static void
bind_build_catalogue (void)
{
  g_autofree char *locale_dir = build_path ("po", NULL);
  g_autofree char *catalogue = g_build_filename (locale_dir, TEST_LANGUAGE, "LC_MESSAGES",
                                                 GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (catalogue, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is not built", catalogue);
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/* The catalogue ------------------------------------------------------------------------- */

static void
test_catalogue (void)
{
  g_assert_cmpstr (_("Search"), ==, "Suche");
  g_assert_cmpstr (C_("shortcut window", "Quit"), ==, "Beenden");
  g_assert_cmpstr (ngettext ("%u source", "%u sources", 1), ==, "%u Quelle");
  g_assert_cmpstr (ngettext ("%u source", "%u sources", 2), ==, "%u Quellen");
  g_assert_cmpstr (ngettext ("%u source", "%u sources", 0), ==, "%u Quellen");
  /* A core sentence, marked there with N_() and shown through _(). */
  g_assert_cmpstr (_("fixed in the settings"), ==, "in den Einstellungen festgelegt");
}

/* The running application ------------------------------------------------------------------ */

typedef struct
{
  char             *root;
  char             *data_dir;
  char             *config_path;
  ShoalApplication *application;  /* while the checks run */
  ShoalWindow      *window;
} Run;

/* On loopback only, dialling nobody: the app must run, not join the
 * network. */
static void
run_init (Run *run)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *downloads = NULL;
  g_autoptr(GKeyFile) config = NULL;

  run->root = g_dir_make_tmp ("shoal-test-translation-XXXXXX", &error);
  g_assert_no_error (error);
  run->data_dir = g_build_filename (run->root, "data", NULL);
  run->config_path = g_build_filename (run->root, "shoal.conf", NULL);
  downloads = g_build_filename (run->root, "downloads", NULL);
  config = shoal_gui_app_config_new (downloads);
  shoal_gui_app_config_save (config, run->config_path);
}

static void
run_clear (Run *run)
{
  shoal_test_remove_tree (run->root);
  g_free (run->root);
  g_free (run->data_dir);
  g_free (run->config_path);
}

static gboolean
is_view_stack (GtkWidget     *widget,
               gconstpointer  data)
{
  return ADW_IS_VIEW_STACK (widget);
}

static gboolean
is_primary_menu_button (GtkWidget     *widget,
                        gconstpointer  data)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget));
}

static void
assert_page_titles (Run *run)
{
  GtkWidget *view_stack = shoal_gui_find_descendant (GTK_WIDGET (run->window), is_view_stack, NULL);

  g_assert_nonnull (view_stack);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *child = adw_view_stack_get_child_by_name (ADW_VIEW_STACK (view_stack), pages[i].name);

      g_assert_nonnull (child);
      g_assert_cmpstr (adw_view_stack_page_get_title (adw_view_stack_get_page (ADW_VIEW_STACK (view_stack),
                                                                               child)),
                       ==, pages[i].title);
      /* What the user reads: the switcher's buttons. */
      shoal_gui_wait_label (GTK_WIDGET (run->window), pages[i].title, TRUE);
    }
}

/* The role row's subtitle: the core's sentence, translated, capitalised
 * as the page does it. */
static char *
expected_role_reason (ShoalNodeManager *node_manager)
{
  const char *english = shoal_node_manager_get_role_reason (node_manager);
  const char *german = _(english);
  g_autofree char *first = g_utf8_strup (german, g_utf8_next_char (german) - german);

  g_assert_cmpstr (german, !=, english);
  return g_strconcat (first, g_utf8_next_char (german), NULL);
}

typedef struct
{
  ShoalNodeManager *node_manager;
  AdwActionRow     *role_row;
} RoleShown;

static gboolean
role_reason_shown (gpointer data)
{
  RoleShown *shown = data;
  g_autofree char *expected = expected_role_reason (shown->node_manager);

  return gtk_widget_get_mapped (GTK_WIDGET (shown->role_row)) &&
         g_strcmp0 (adw_action_row_get_subtitle (shown->role_row), expected) == 0;
}

static void
assert_network_page (Run *run)
{
  GtkWidget *page;
  RoleShown shown;

  shoal_window_show_page (run->window, "network");
  page = shoal_window_get_page_widget (run->window, "network");
  shoal_test_wait_until (shoal_gui_widget_mapped, page, TIMEOUT_MS, "the network page on screen");
  shoal_gui_wait_label (page, "Dieser Rechner", TRUE);
  shoal_gui_wait_label (page, "Automatisch", TRUE);
  /* Plural forms from the code: no link yet. */
  shoal_gui_wait_label (page, "0 Ultrapeers · 0 Leaf-Knoten", TRUE);
  shown.node_manager = shoal_servent_get_node_manager (shoal_application_get_servent (run->application));
  shown.role_row = ADW_ACTION_ROW (shoal_gui_require_by_id (page, "role_row"));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (shown.role_row)), ==, "Leaf-Knoten");
  shoal_test_wait_until (role_reason_shown, &shown, TIMEOUT_MS, "the role's reason in German");
}

/* Inside the application's main loop, its window on screen. */
static void
check_window (ShoalApplication *application,
              ShoalWindow      *window,
              gpointer          data)
{
  Run *run = data;
  GtkWidget *menu_button;

  run->application = application;
  run->window = window;
  assert_page_titles (run);
  /* The first run's welcome, on the search page. */
  shoal_gui_wait_label (GTK_WIDGET (run->window), "Willkommen bei Shoal", TRUE);
  shoal_gui_wait_label (GTK_WIDGET (run->window), "Nicht jetzt", TRUE);
  menu_button = shoal_gui_find_descendant (GTK_WIDGET (run->window), is_primary_menu_button, NULL);
  g_assert_nonnull (menu_button);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (menu_button), ==, "Hauptmenü");
  assert_network_page (run);
  run->window = NULL;
  run->application = NULL;
}

static void
test_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new (SHOAL_APPLICATION_ID);
  Run run = { 0 };

  /* The memory backend starts from the defaults: the welcome shows. */
  g_assert_false (g_settings_get_boolean (settings, "first-run-done"));
  run_init (&run);
  shoal_gui_run_application (run.data_dir, run.config_path, NULL, check_window, &run);
  run_clear (&run);
}

/* The merged data files ---------------------------------------------------------------- */

static void
assert_desktop_value (GKeyFile   *desktop,
                      const char *key,
                      const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = g_key_file_get_value (desktop, DESKTOP_GROUP, key, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, expected);
}

static void
test_desktop_file (void)
{
  g_autofree char *path = build_path ("data", SHOAL_APPLICATION_ID ".desktop", NULL);
  g_autoptr(GKeyFile) desktop = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (desktop, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  /* Literal [de] keys: what the desktop reads in a German session. */
  assert_desktop_value (desktop, "Name[de]", "Shoal");
  assert_desktop_value (desktop, "GenericName[de]", "Dateitausch");
  assert_desktop_value (desktop, "Comment[de]", "Dateien im Gnutella-Netzwerk suchen und freigeben");
  assert_desktop_value (desktop, "Keywords[de]",
                        "gnutella;p2p;peer;Datei;Dateitausch;Tauschbörse;teilen;freigeben;"
                        "herunterladen;Download;suchen;Suche;Ultrapeer;Magnet;");
}

/* The metainfo's elements in German: element name → their texts. */
typedef struct
{
  GHashTable *german;   /* element name → GPtrArray of texts */
  const char *element;  /* the German element open, if any */
  GString    *text;
} MetainfoScan;

static void
metainfo_start (GMarkupParseContext  *context,
                const char           *element,
                const char          **names,
                const char          **values,
                gpointer              user_data,
                GError              **error)
{
  MetainfoScan *scan = user_data;

  for (guint i = 0; names[i] != NULL; i++)
    if (strcmp (names[i], "xml:lang") == 0 && strcmp (values[i], TEST_LANGUAGE) == 0)
      {
        scan->element = g_intern_string (element);
        g_string_truncate (scan->text, 0);
      }
}

static void
metainfo_text (GMarkupParseContext  *context,
               const char           *text,
               gsize                 length,
               gpointer              user_data,
               GError              **error)
{
  MetainfoScan *scan = user_data;

  if (scan->element != NULL)
    g_string_append_len (scan->text, text, length);
}

static void
metainfo_end (GMarkupParseContext  *context,
              const char           *element,
              gpointer              user_data,
              GError              **error)
{
  MetainfoScan *scan = user_data;
  GPtrArray *texts;

  if (scan->element == NULL || strcmp (scan->element, element) != 0)
    return;
  texts = g_hash_table_lookup (scan->german, element);
  if (texts == NULL)
    {
      texts = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (scan->german, (gpointer) scan->element, texts);
    }
  g_ptr_array_add (texts, g_strdup (scan->text->str));
  scan->element = NULL;
}

static gboolean
texts_contain (GHashTable *german,
               const char *element,
               const char *text)
{
  GPtrArray *texts = g_hash_table_lookup (german, element);

  return texts != NULL && g_ptr_array_find_with_equal_func (texts, text, g_str_equal, NULL);
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint count = 0;

  for (const char *at = strstr (haystack, needle); at != NULL; at = strstr (at + 1, needle))
    count++;
  return count;
}

static void
test_metainfo (void)
{
  static const char * const every_one[] = { "li", "caption" };
  static const GMarkupParser parser = { metainfo_start, metainfo_end, metainfo_text, NULL, NULL };
  g_autofree char *path = build_path ("data", SHOAL_APPLICATION_ID ".metainfo.xml", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GHashTable) german = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GString) text = g_string_new (NULL);
  MetainfoScan scan = { german, NULL, text };

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  context = g_markup_parse_context_new (&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &scan, NULL);
  g_markup_parse_context_parse (context, contents, -1, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);

  g_assert_true (texts_contain (german, "summary", "Dateien im Gnutella-Netzwerk suchen und freigeben"));
  g_assert_true (texts_contain (german, "p", "Funktionen:"));
  g_assert_true (texts_contain (german, "li", "Magnet-Links aus Ihrem Browser öffnen"));
  g_assert_true (texts_contain (german, "caption", "Ein laufender Download"));
  /* Every list item and every screenshot caption, not one. */
  for (guint i = 0; i < G_N_ELEMENTS (every_one); i++)
    {
      g_autofree char *english = g_strdup_printf ("<%s>", every_one[i]);
      GPtrArray *texts = g_hash_table_lookup (german, every_one[i]);

      g_assert_cmpuint (texts->len, ==, count_occurrences (contents, english));
    }
}

int
main (int    argc,
      char **argv)
{
  /* Before anything reads the environment: gtk_init() sets the locale
   * from it. */
  g_setenv ("LC_ALL", TEST_LOCALE, TRUE);
  g_setenv ("LANGUAGE", TEST_LANGUAGE, TRUE);
  shoal_gui_test_init (&argc, &argv);
  g_assert_cmpstr (setlocale (LC_MESSAGES, NULL), ==, TEST_LOCALE);
  bind_build_catalogue ();

  g_test_add_func ("/translation/catalogue", test_catalogue);
  g_test_add_func ("/translation/window", test_window);
  g_test_add_func ("/translation/desktop-file", test_desktop_file);
  g_test_add_func ("/translation/metainfo", test_metainfo);
  return g_test_run ();
}
