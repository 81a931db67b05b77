/* gui-test-util.h — what the desktop app's tests share: a servent on
 * loopback with a data folder of its own, the real application run with
 * settings of its own, a widget shown in a window, finding widgets the
 * user sees, and waiting on them. GUI-only: the headless build never
 * compiles it. */
#pragma once

#include <adwaita.h>

#include "shoal-application.h"
#include "shoal-servent.h"
#include "shoal-test-loop.h"
#include "shoal-window.h"

G_BEGIN_DECLS

/* How long the helpers that wait give the screen (under the sanitizers
 * and Xvfb) before failing the test. */
#define SHOAL_GUI_TEST_TIMEOUT_MS 30000

/* gtk_init, adw_init and the app's resources linked in, after
 * g_test_init. */
void shoal_gui_test_init (int    *argc,
                          char ***argv);

/* A servent and its data folder -------------------------------------------- */

typedef struct
{
  char            *data_dir;
  ShoalNodeConfig *config;   /* as started, kept for updates */
  ShoalLibrary    *library;  /* NULL: the servent shares nothing */
  ShoalServent    *servent;
} ShoalGuiServent;

/* A temporary data folder named after @name_template ("…-XXXXXX") and a
 * config on 127.0.0.1, port 0, allowing private addresses, dialling
 * nothing but anchors (none yet), downloading to DATA_DIR/complete: to
 * adjust before shoal_gui_servent_start(). */
void shoal_gui_servent_init  (ShoalGuiServent *servent,
                              const char      *name_template);
/* Starts the servent, with a library over the data folder when
 * @with_library. */
void shoal_gui_servent_start (ShoalGuiServent *servent,
                              gboolean         with_library);
/* Shuts the servent down and removes the data folder with all in it. */
void shoal_gui_servent_clear (ShoalGuiServent *servent);

/* Files ------------------------------------------------------------------------ */

/* FOLDER/NAME holding @length bytes of @contents (-1: up to its NUL). */
void shoal_gui_write_file   (const char   *folder,
                             const char   *name,
                             const char   *contents,
                             gssize        length);
/* Adds @folder to @library's shared roots and waits until it is added. */
void shoal_gui_share_folder (ShoalLibrary *library,
                             const char   *folder);

/* The real application --------------------------------------------------------- */

/* The settings (shoal.conf) of an app on loopback that dials nobody, so
 * that it runs without joining the network: port 0 on 127.0.0.1, private
 * addresses allowed, no LAN discovery, no default bootstrap, anchors only
 * (none), downloads into @download_dir. A test adds its own keys with
 * g_key_file_set_*() before saving. */
GKeyFile *shoal_gui_app_config_new  (const char *download_dir);
/* Writes @config to @path, failing the test when it cannot. */
void      shoal_gui_app_config_save (GKeyFile   *config,
                                     const char *path);

/* The application's main window, or NULL. */
ShoalWindow *shoal_gui_find_app_window (ShoalApplication *application);

/* What a test does inside the running application, its window on screen. */
typedef void (*ShoalGuiAppBody) (ShoalApplication *application,
                                 ShoalWindow      *window,
                                 gpointer          data);

/* Runs `shoal --data-dir @data_dir --config @config_path [@uri]` as the
 * desktop starts it: once it has activated (or opened @uri), @body runs
 * in its main loop, then the app quits as Ctrl+Q does. Returns once it
 * has quit, having asserted that it exited with 0, that @body ran to its
 * end, that no window is left and that nothing keeps the application. */
void shoal_gui_run_application (const char      *data_dir,
                                const char      *config_path,
                                const char      *uri,
                                ShoalGuiAppBody  body,
                                gpointer         data);

/* Windows ---------------------------------------------------------------------- */

/* @child in a new window, @width × @height by default (0: GTK's choice),
 * presented; returns once @widget_to_map is on screen. */
GtkWindow *shoal_gui_show_in_window (GtkWidget *child,
                                     GtkWidget *widget_to_map,
                                     int        width,
                                     int        height);

/* A toplevel of @type (the first), or NULL. */
GtkWindow        *shoal_gui_find_toplevel       (GType type);
/* The visible message dialog, or NULL. */
AdwMessageDialog *shoal_gui_find_message_dialog (void);

/* Finding widgets -------------------------------------------------------------- */

typedef gboolean (*ShoalGuiMatch) (GtkWidget     *widget,
                                   gconstpointer  data);

/* The first widget at or below @root that @match takes, depth first. */
GtkWidget *shoal_gui_find_descendant (GtkWidget     *root,
                                      ShoalGuiMatch  match,
                                      gconstpointer  data);
/* The widget the template named @id, below @root; or NULL. */
GtkWidget *shoal_gui_find_by_id      (GtkWidget     *root,
                                      const char    *id);
/* The same, failing the test when there is none. */
GtkWidget *shoal_gui_require_by_id   (GtkWidget     *root,
                                      const char    *id);

/* Matches for shoal_gui_find_descendant(). */
gboolean shoal_gui_is_button_labelled  (GtkWidget     *widget,
                                        gconstpointer  label);
gboolean shoal_gui_is_shown_label_with (GtkWidget     *widget,
                                        gconstpointer  text);

/* Conditions ------------------------------------------------------------------- */

/* For shoal_test_wait_until() on a GtkWidget. */
gboolean shoal_gui_widget_mapped   (gpointer widget);
gboolean shoal_gui_widget_unmapped (gpointer widget);

/* Whether a label on screen below @root contains @text. */
gboolean shoal_gui_label_shown (GtkWidget  *root,
                                const char *text);
/* Waits until a label with @text below @root is on screen (@shown) or
 * not; waits out a stack's crossfade too. */
void     shoal_gui_wait_label  (GtkWidget  *root,
                                const char *text,
                                gboolean    shown);

G_END_DECLS
