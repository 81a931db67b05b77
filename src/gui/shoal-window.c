/* shoal-window.c — the main window: the four pages under a view switcher,
 * the first-run and error states, its size kept in GSettings. */
#include "shoal-window.h"

#include <glib/gi18n.h>

#include "shoal-library-page.h"
#include "shoal-network-page.h"
#include "shoal-search-page.h"
#include "shoal-transfers-page.h"

#define PAGE_SEARCH "search"
#define CONTENT_PAGES "pages"
#define CONTENT_ERROR "error"
#define SEARCH_FIRST_RUN "first-run"

struct _ShoalWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template children. */
  AdwToastOverlay      *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkStack             *content_stack;   /* "pages" or "error" */
  AdwViewStack         *view_stack;
  GtkStack             *search_stack;    /* "search" or "first-run" */
  AdwBin               *search_bin;
  AdwBin               *transfers_bin;
  AdwBin               *network_bin;
  AdwBin               *library_bin;
  AdwStatusPage        *error_page;

  GSettings            *settings;
  ShoalApplication     *application;     /* unowned: it owns us */
  ShoalServent         *servent;         /* NULL in the error state */
  GtkFileChooserNative *folder_chooser;  /* while open */
  GCancellable         *cancellable;     /* folders being added */
};

G_DEFINE_FINAL_TYPE (ShoalWindow, shoal_window, ADW_TYPE_APPLICATION_WINDOW)

/* The actions that need the pages: off in the error state. */
static const char * const page_actions[] = {
  "show-page", "search-focus", "new-search-tab", "close-search-tab", "share-folder",
  "dismiss-first-run",
};

static AdwBin *
page_bin (ShoalWindow *self,
          const char  *name)
{
  if (g_strcmp0 (name, PAGE_SEARCH) == 0)
    return self->search_bin;
  if (g_strcmp0 (name, "transfers") == 0)
    return self->transfers_bin;
  if (g_strcmp0 (name, "network") == 0)
    return self->network_bin;
  if (g_strcmp0 (name, "library") == 0)
    return self->library_bin;
  return NULL;
}

static ShoalSearchPage *
search_page (ShoalWindow *self)
{
  GtkWidget *page = adw_bin_get_child (self->search_bin);

  return page != NULL ? SHOAL_SEARCH_PAGE (page) : NULL;
}

static gboolean
search_page_visible (ShoalWindow *self)
{
  return search_page (self) != NULL &&
         g_strcmp0 (shoal_window_get_page (self), PAGE_SEARCH) == 0 &&
         g_strcmp0 (gtk_stack_get_visible_child_name (self->search_stack), PAGE_SEARCH) == 0;
}

static void
set_page_actions_enabled (ShoalWindow *self,
                          gboolean     enabled)
{
  for (guint i = 0; i < G_N_ELEMENTS (page_actions); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), page_actions[i]);

      g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
    }
}

/* First run ----------------------------------------------------------------- */

/* Shown until the user shares a folder or says "Not Now"; a library that
 * shares folders already (shoald, shoalctl, shoal.conf) is no first run. */
static gboolean
wants_first_run (ShoalWindow *self)
{
  ShoalLibrary *library = shoal_servent_get_library (self->servent);
  ShoaldConfig *settings = shoal_application_get_settings (self->application);

  if (g_settings_get_boolean (self->settings, "first-run-done"))
    return FALSE;
  if (settings->shares != NULL && settings->shares[0] != NULL)
    return FALSE;
  return !shoal_library_get_ready (library) ||
         g_list_model_get_n_items (shoal_library_get_roots (library)) == 0;
}

static void
update_first_run (ShoalWindow *self)
{
  ShoalLibrary *library;

  if (self->servent == NULL)
    return;
  library = shoal_servent_get_library (self->servent);
  /* Once anything is shared, the welcome has done its job for good. */
  if (shoal_library_get_ready (library) &&
      g_list_model_get_n_items (shoal_library_get_roots (library)) > 0 &&
      !g_settings_get_boolean (self->settings, "first-run-done"))
    g_settings_set_boolean (self->settings, "first-run-done", TRUE);
  gtk_stack_set_visible_child_name (self->search_stack,
                                    wants_first_run (self) ? SEARCH_FIRST_RUN : PAGE_SEARCH);
}

static void
on_library_ready (ShoalWindow *self)
{
  update_first_run (self);
}

static void
on_roots_changed (ShoalWindow *self)
{
  update_first_run (self);
}

static void
on_first_run_done_changed (ShoalWindow *self)
{
  update_first_run (self);
}

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ShoalWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source), result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (root == NULL)
    text = g_strdup_printf (_("Cannot share this folder: %s"), error->message);
  else
    text = g_strdup_printf (_("Sharing “%s”"), shoal_shared_root_get_path (root));
  shoal_window_show_toast (self, text);
}

static void
on_folder_chosen (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  ShoalWindow *self = user_data;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->folder_chooser);
  if (folder == NULL || self->servent == NULL)
    return;
  path = g_file_get_path (folder);
  if (path == NULL)
    {
      shoal_window_show_toast (self, _("Only folders on this computer can be shared"));
      return;
    }
  shoal_library_add_root_async (shoal_servent_get_library (self->servent), path, self->cancellable,
                                on_root_added, g_object_ref (self));
}

/* Page actions ---------------------------------------------------------------- */

static void
on_show_page (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  shoal_window_show_page (user_data, g_variant_get_string (parameter, NULL));
}

static void
on_search_focus (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ShoalWindow *self = user_data;

  shoal_window_show_page (self, PAGE_SEARCH);
  if (search_page_visible (self))
    shoal_search_page_focus_entry (search_page (self));
}

static void
on_new_search_tab (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  ShoalWindow *self = user_data;

  shoal_window_show_page (self, PAGE_SEARCH);
  if (search_page_visible (self))
    shoal_search_page_new_tab (search_page (self));
}

/* Only where the tabs are seen: Ctrl+W never closes a hidden search. */
static void
on_close_search_tab (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  ShoalWindow *self = user_data;

  if (search_page_visible (self))
    shoal_search_page_close_tab (search_page (self));
}

/* GtkFileChooserNative: through the portal inside a flatpak. */
static void
on_share_folder (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ShoalWindow *self = user_data;

  if (self->folder_chooser != NULL)
    return;
  self->folder_chooser = gtk_file_chooser_native_new (_("Share a Folder"), GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                      _("_Share"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->folder_chooser), TRUE);
  g_signal_connect (self->folder_chooser, "response", G_CALLBACK (on_folder_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
}

static void
on_dismiss_first_run (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  ShoalWindow *self = user_data;

  g_settings_set_boolean (self->settings, "first-run-done", TRUE);
}

static const GActionEntry window_actions[] = {
  { "show-page", on_show_page, "s", NULL, NULL, { 0 } },
  { "search-focus", on_search_focus, NULL, NULL, NULL, { 0 } },
  { "new-search-tab", on_new_search_tab, NULL, NULL, NULL, { 0 } },
  { "close-search-tab", on_close_search_tab, NULL, NULL, NULL, { 0 } },
  { "share-folder", on_share_folder, NULL, NULL, NULL, { 0 } },
  { "dismiss-first-run", on_dismiss_first_run, NULL, NULL, NULL, { 0 } },
};

/* Pages and error state ------------------------------------------------------ */

static void
show_error (ShoalWindow  *self,
            const GError *error)
{
  const char *data_dir = shoal_application_get_data_dir (self->application);
  g_autofree char *description = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY) && data_dir != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (data_dir, -1);

      adw_status_page_set_title (self->error_page, _("Shoal Is Already Running"));
      description = g_strdup_printf (_("Another Shoal — the shoald service, or Shoal started by "
                                       "another user session — is using the data folder "
                                       "<b>%s</b>. Stop it, then try again."), escaped);
    }
  else
    {
      adw_status_page_set_title (self->error_page, _("Shoal Could Not Start"));
      description = g_markup_escape_text (error->message, -1);
    }
  adw_status_page_set_description (self->error_page, description);
  /* Nothing to switch between: the title alone, and no bottom bar. */
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
  adw_view_switcher_bar_set_reveal (self->switcher_bar, FALSE);
  gtk_stack_set_visible_child_name (self->content_stack, CONTENT_ERROR);
  set_page_actions_enabled (self, FALSE);
}

static void
show_pages (ShoalWindow  *self,
            ShoalServent *servent)
{
  ShoalLibrary *library = shoal_servent_get_library (servent);

  self->servent = g_object_ref (servent);
  adw_bin_set_child (self->search_bin, shoal_search_page_new (servent));
  adw_bin_set_child (self->transfers_bin, shoal_transfers_page_new (servent));
  adw_bin_set_child (self->network_bin, shoal_network_page_new (servent));
  adw_bin_set_child (self->library_bin, shoal_library_page_new (servent));
  g_signal_connect_object (library, "notify::ready", G_CALLBACK (on_library_ready), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (shoal_library_get_roots (library), "items-changed",
                           G_CALLBACK (on_roots_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::first-run-done",
                           G_CALLBACK (on_first_run_done_changed), self, G_CONNECT_SWAPPED);
  update_first_run (self);
  /* Narrow: the switcher leaves the header bar for the bottom bar. */
  g_object_bind_property (self->switcher_title, "title-visible", self->switcher_bar, "reveal",
                          G_BINDING_SYNC_CREATE);
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, TRUE);
  gtk_stack_set_visible_child_name (self->content_stack, CONTENT_PAGES);
  adw_view_stack_set_visible_child_name (self->view_stack, PAGE_SEARCH);
  set_page_actions_enabled (self, TRUE);
}

/* The servent started after all ("Try Again" on the error state). */
static void
on_servent_changed (ShoalWindow *self)
{
  ShoalServent *servent = shoal_application_get_servent (self->application);

  if (servent != NULL && self->servent == NULL)
    show_pages (self, servent);
  else if (servent == NULL && self->servent == NULL)
    show_error (self, shoal_application_get_start_error (self->application));
}

static void
set_application (ShoalWindow      *self,
                 ShoalApplication *application)
{
  self->application = application;
  g_signal_connect_object (application, "notify::servent", G_CALLBACK (on_servent_changed), self,
                           G_CONNECT_SWAPPED);
  on_servent_changed (self);
}

/* Window state ------------------------------------------------------------------ */

static void
restore_window_state (ShoalWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* GTK keeps the default size in step with the size the user gives the
 * window, and leaves it alone while maximized: the size to come back to. */
static void
save_window_state (ShoalWindow *self)
{
  int width;
  int height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

/* GtkWindow -------------------------------------------------------------------- */

static gboolean
shoal_window_close_request (GtkWindow *window)
{
  save_window_state (SHOAL_WINDOW (window));
  return GTK_WINDOW_CLASS (shoal_window_parent_class)->close_request (window);
}

static void
shoal_window_dispose (GObject *object)
{
  ShoalWindow *self = SHOAL_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->folder_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->folder_chooser));
  g_clear_object (&self->folder_chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_WINDOW);
  g_clear_object (&self->servent);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (shoal_window_parent_class)->dispose (object);
}

static void
shoal_window_class_init (ShoalWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = shoal_window_dispose;
  window_class->close_request = shoal_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/shoal/Shoal/shoal-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, search_stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, search_bin);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, transfers_bin);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, network_bin);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, library_bin);
  gtk_widget_class_bind_template_child (widget_class, ShoalWindow, error_page);
}

static void
shoal_window_init (ShoalWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (SHOAL_APPLICATION_ID);
  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), window_actions, G_N_ELEMENTS (window_actions),
                                   self);
  restore_window_state (self);
}

/* Public API ---------------------------------------------------------------------- */

ShoalWindow *
shoal_window_new (ShoalApplication *application)
{
  ShoalWindow *self;

  g_return_val_if_fail (SHOAL_IS_APPLICATION (application), NULL);
  self = g_object_new (SHOAL_TYPE_WINDOW, "application", application, NULL);
  set_application (self, application);
  return self;
}

void
shoal_window_show_page (ShoalWindow *self,
                        const char  *name)
{
  g_return_if_fail (SHOAL_IS_WINDOW (self));
  g_return_if_fail (page_bin (self, name) != NULL);

  if (self->servent != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

const char *
shoal_window_get_page (ShoalWindow *self)
{
  g_return_val_if_fail (SHOAL_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

GtkWidget *
shoal_window_get_page_widget (ShoalWindow *self,
                              const char  *name)
{
  AdwBin *bin;

  g_return_val_if_fail (SHOAL_IS_WINDOW (self), NULL);
  bin = page_bin (self, name);
  g_return_val_if_fail (bin != NULL, NULL);
  return adw_bin_get_child (bin);
}

void
shoal_window_show_toast (ShoalWindow *self,
                         const char  *text)
{
  g_return_if_fail (SHOAL_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}
