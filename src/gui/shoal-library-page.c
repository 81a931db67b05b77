/* shoal-library-page.c — the Library page: the shared folders with their
 * counts and sizes, indexing progress with a cancel, and the search of
 * the user's own library. */
#include "shoal-library-page.h"

#include "shoal-folder-row.h"

#include <glib/gi18n.h>
#include <string.h>

/* Matches shown for one search of the library: what one query hit series
 * holds, enough to find a file and few enough to show as rows. */
#define SEARCH_MAX_RESULTS SHOAL_LIBRARY_DEFAULT_MAX_RESULTS

/* Responses of the stop-sharing dialogs. */
#define RESPONSE_KEEP "keep"
#define RESPONSE_STOP "stop"

struct _ShoalLibraryPage
{
  AdwBin           parent_instance;

  ShoalServent    *servent;
  ShoalLibrary    *library;             /* NULL: the servent shares nothing */
  GCancellable    *cancellable;         /* the page's adds; cancelled at dispose */
  GCancellable    *search_cancellable;  /* the search under way, if any */
  GtkNativeDialog *chooser;             /* "Add Folder…" while it is open */
  /* The library cannot stop indexing a folder, only stop sharing it: the
   * folders Cancel stops sharing are those added here since the library
   * was last idle (and any being scanned). */
  GPtrArray       *indexing;            /* of ShoalSharedRoot */
  guint            pending_adds;        /* added, not yet in the roots */
  guint            dropped_adds;        /* of those, cancelled by the user */

  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkWidget       *progress_box;
  GtkLabel        *progress_label;
  GtkProgressBar  *progress_bar;
  GtkListBox      *folder_list;
  GtkSearchEntry  *search_entry;
  GtkLabel        *search_status;
  GtkListBox      *results_list;
};

G_DEFINE_FINAL_TYPE (ShoalLibraryPage, shoal_library_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_SERVENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What the stop-sharing dialog stops when confirmed. */
typedef struct
{
  GPtrArray *roots;              /* of ShoalSharedRoot */
  gboolean   drop_pending_adds;
} StopRequest;

static void
stop_request_free (gpointer data)
{
  StopRequest *request = data;

  g_ptr_array_unref (request->roots);
  g_free (request);
}

/* Helpers ------------------------------------------------------------------ */

/* "20,000" where the locale groups digits. */
static char *
format_count (guint64 count)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, count);
}

static char *
root_display_name (ShoalSharedRoot *root)
{
  return g_filename_display_basename (shoal_shared_root_get_path (root));
}

static void
show_toast (ShoalLibraryPage *self,
            const char       *text)
{
  /* Toast titles are markup; ours carry file names and error texts. */
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

static GListModel *
get_roots (ShoalLibraryPage *self)
{
  return shoal_library_get_roots (self->library);
}

/* The shared folders Cancel would stop sharing, as they are now. */
static GPtrArray *
list_indexing_roots (ShoalLibraryPage *self)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);
  GListModel *roots = get_roots (self);
  guint n = g_list_model_get_n_items (roots);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ShoalSharedRoot) root = g_list_model_get_item (roots, i);

      if (shoal_shared_root_get_scanning (root) || g_ptr_array_find (self->indexing, root, NULL))
        g_ptr_array_add (found, g_steal_pointer (&root));
    }
  return found;
}

static gboolean
has_pending_adds (ShoalLibraryPage *self)
{
  return self->pending_adds > self->dropped_adds;
}

static void
update_stack (ShoalLibraryPage *self)
{
  const char *name;

  if (self->library == NULL)
    name = "no-library";
  else if (!shoal_library_get_ready (self->library))
    name = "loading";
  else if (g_list_model_get_n_items (get_roots (self)) == 0 && self->pending_adds == 0)
    name = "empty";
  else
    name = "library";
  gtk_stack_set_visible_child_name (self->stack, name);
}

static void
update_cancel (ShoalLibraryPage *self)
{
  g_autoptr(GPtrArray) roots = list_indexing_roots (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "library.cancel-indexing",
                                 roots->len > 0 || has_pending_adds (self));
}

/* "Indexing: 1,234 of 20,000 files hashed" with a bar while the library
 * scans or hashes. */
static void
update_progress (ShoalLibraryPage *self)
{
  gboolean busy = shoal_library_get_busy (self->library);
  guint64 files = shoal_library_get_file_count (self->library);
  guint64 hashed = MIN (shoal_library_get_hashed_count (self->library), files);
  g_autofree char *text = NULL;

  if (!busy)
    g_ptr_array_set_size (self->indexing, 0);
  gtk_widget_set_visible (self->progress_box, busy || has_pending_adds (self));
  if (files == 0)
    text = g_strdup (_("Indexing: looking for files…"));
  else
    {
      g_autofree char *done = format_count (hashed);
      g_autofree char *total = format_count (files);

      /* TRANSLATORS: "Indexing: 1,234 of 20,000 files hashed" */
      text = g_strdup_printf (ngettext ("Indexing: %s of %s file hashed",
                                        "Indexing: %s of %s files hashed", (gulong) files),
                              done, total);
    }
  gtk_label_set_text (self->progress_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, files > 0 ? (double) hashed / files : 0.0);
  update_cancel (self);
}

/* Adding and removing folders ------------------------------------------------- */

static void
on_root_added (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ShoalLibrary *library = SHOAL_LIBRARY (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (library, result, &error);
  ShoalLibraryPage *self;

  /* Cancelled at dispose: the page is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SHOAL_LIBRARY_PAGE (user_data);
  self->pending_adds--;
  if (root == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot share this folder: %s"), error->message);

      if (self->dropped_adds > 0)
        self->dropped_adds--;
      show_toast (self, text);
    }
  else if (self->dropped_adds > 0)
    {
      /* The user cancelled indexing while this one was on its way. */
      self->dropped_adds--;
      shoal_library_remove_root (library, root);
    }
  else if (shoal_library_get_busy (library))
    g_ptr_array_add (self->indexing, g_steal_pointer (&root));
  update_stack (self);
  update_progress (self);
}

static void
on_chooser_response (GtkNativeDialog  *chooser,
                     int               response,
                     ShoalLibraryPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (folder != NULL)
        shoal_library_page_add_folder (self, folder);
    }
  g_clear_object (&self->chooser);
}

static GtkWindow *
get_window (ShoalLibraryPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* Through GtkFileChooserNative, which is the file-chooser portal inside
 * a flatpak: the sandbox then grants the folder. */
static void
add_folder_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (widget);
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Share a Folder"), get_window (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Share"), _("_Cancel"));
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (self->chooser);
}

static void
on_stop_sharing_response (AdwMessageDialog *dialog,
                          const char       *response,
                          ShoalLibraryPage *self)
{
  StopRequest *request = g_object_get_data (G_OBJECT (dialog), "shoal-stop-request");

  if (g_strcmp0 (response, RESPONSE_STOP) != 0 || self->library == NULL)
    return;
  for (guint i = 0; i < request->roots->len; i++)
    {
      ShoalSharedRoot *root = g_ptr_array_index (request->roots, i);

      g_ptr_array_remove (self->indexing, root);
      shoal_library_remove_root (self->library, root);
    }
  if (request->drop_pending_adds)
    self->dropped_adds = self->pending_adds;
  update_progress (self);
}

/* Stopping is asked for first: it takes the files off the network. */
static void
confirm_stop_sharing (ShoalLibraryPage *self,
                      const char       *heading,
                      const char       *body,
                      const char       *stop_label,
                      StopRequest      *request)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (get_window (self),
                                                                         heading, body));

  adw_message_dialog_add_responses (dialog,
                                    RESPONSE_KEEP, _("_Keep Sharing"),
                                    RESPONSE_STOP, stop_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, RESPONSE_STOP, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, RESPONSE_KEEP);
  adw_message_dialog_set_close_response (dialog, RESPONSE_KEEP);
  g_object_set_data_full (G_OBJECT (dialog), "shoal-stop-request", request, stop_request_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_stop_sharing_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
remove_folder_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (widget);
  ShoalSharedRoot *root = shoal_library_find_root (self->library, g_variant_get_int64 (parameter));
  StopRequest *request;
  g_autofree char *name = NULL;
  g_autofree char *heading = NULL;

  if (root == NULL)
    return;
  name = root_display_name (root);
  heading = g_strdup_printf (_("Stop Sharing “%s”?"), name);
  request = g_new0 (StopRequest, 1);
  request->roots = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (request->roots, g_object_ref (root));
  confirm_stop_sharing (self, heading,
                        _("People on the network will no longer find or download its files. "
                          "Nothing is deleted from your computer."),
                        _("_Stop Sharing"), request);
}

/* "“Music”, “Videos”", and the folders not indexed far enough to have a
 * name in the list yet. */
static char *
describe_indexing (GPtrArray *roots,
                   gboolean   pending_adds)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < roots->len; i++)
    {
      g_autofree char *name = root_display_name (g_ptr_array_index (roots, i));

      if (names->len > 0)
        g_string_append (names, _(", "));
      g_string_append_printf (names, _("“%s”"), name);
    }
  if (pending_adds)
    {
      if (names->len > 0)
        g_string_append (names, _(", "));
      g_string_append (names, _("the folder being added"));
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* The library has no way to pause or stop indexing a folder it shares:
 * the dialog says that cancelling means no longer sharing the folders
 * still being indexed. */
static void
cancel_indexing_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (widget);
  StopRequest *request = g_new0 (StopRequest, 1);
  g_autofree char *names = NULL;
  g_autofree char *body = NULL;
  guint count;

  request->roots = list_indexing_roots (self);
  request->drop_pending_adds = has_pending_adds (self);
  count = request->roots->len + (request->drop_pending_adds ? 1 : 0);
  if (count == 0)
    {
      stop_request_free (request);
      return;
    }
  names = describe_indexing (request->roots, request->drop_pending_adds);
  body = g_strdup_printf (ngettext ("Indexing cannot be paused: cancelling it stops sharing the "
                                    "folder still being indexed, %s. Nothing is deleted from "
                                    "your computer, and you can share it again later.",
                                    "Indexing cannot be paused: cancelling it stops sharing the "
                                    "folders still being indexed: %s. Nothing is deleted from "
                                    "your computer, and you can share them again later.",
                                    count),
                          names);
  confirm_stop_sharing (self, _("Cancel Indexing?"), body, _("_Stop Sharing"), request);
}

static GtkWidget *
create_folder_row (gpointer item,
                   gpointer user_data)
{
  return shoal_folder_row_new (SHOAL_SHARED_ROOT (item));
}

/* Searching the library --------------------------------------------------------- */

static void
clear_results (ShoalLibraryPage *self)
{
  GtkWidget *row;

  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, row);
  gtk_widget_set_visible (GTK_WIDGET (self->results_list), FALSE);
}

static void
show_search_status (ShoalLibraryPage *self,
                    const char       *text)
{
  gtk_label_set_text (self->search_status, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->search_status), text != NULL);
}

/* The folder a file is in, from its root's path and its relative path. */
static char *
describe_folder (ShoalLibraryPage       *self,
                 const ShoalLibraryFile *file)
{
  ShoalSharedRoot *root = shoal_library_find_root (self->library, file->root_id);
  g_autofree char *root_path = NULL;
  g_autofree char *subfolder = NULL;

  if (root == NULL)
    return NULL;
  root_path = g_filename_display_name (shoal_shared_root_get_path (root));
  subfolder = g_path_get_dirname (file->relpath);
  if (strcmp (subfolder, ".") == 0)
    return g_steal_pointer (&root_path);
  return g_build_filename (root_path, subfolder, NULL);
}

static GtkWidget *
create_result_row (ShoalLibraryPage       *self,
                   const ShoalLibraryFile *file)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *size = g_format_size (file->stat.size);
  g_autofree char *folder = describe_folder (self, file);
  g_autofree char *subtitle = NULL;

  if (folder == NULL)
    subtitle = g_strdup (size);
  else if (file->has_sha1)
    /* TRANSLATORS: a file's size and the folder it is in */
    subtitle = g_strdup_printf (_("%s · %s"), size, folder);
  else
    /* TRANSLATORS: a file's size and folder, for a file not hashed yet */
    subtitle = g_strdup_printf (_("%s · %s · not indexed yet"), size, folder);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), file->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "text-x-generic-symbolic");
  return row;
}

static void
show_results (ShoalLibraryPage *self,
              GPtrArray        *files)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *status = NULL;

  clear_results (self);
  for (guint i = 0; i < files->len; i++)
    gtk_list_box_append (self->results_list, create_result_row (self, g_ptr_array_index (files, i)));
  gtk_widget_set_visible (GTK_WIDGET (self->results_list), files->len > 0);
  if (files->len == 0)
    status = g_strdup_printf (_("No shared file matches “%s”."), text);
  else if (files->len >= SEARCH_MAX_RESULTS)
    status = g_strdup_printf (_("Showing the first %u matches."), files->len);
  show_search_status (self, status);
}

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = shoal_library_search_finish (SHOAL_LIBRARY (source), result, &error);
  ShoalLibraryPage *self;
  g_autofree char *text = NULL;

  /* A newer query replaced this one, or the page is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SHOAL_LIBRARY_PAGE (user_data);
  g_clear_object (&self->search_cancellable);
  if (files != NULL)
    {
      show_results (self, files);
      return;
    }
  clear_results (self);
  text = g_strdup_printf (_("The search failed: %s"), error->message);
  show_search_status (self, text);
}

/* search-changed comes after the entry's typing delay, so each pause in
 * typing runs one search, and a newer one cancels the one before. */
static void
on_search_changed (ShoalLibraryPage *self,
                   GtkSearchEntry   *entry)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (self->library == NULL || *text == '\0')
    {
      clear_results (self);
      show_search_status (self, NULL);
      return;
    }
  self->search_cancellable = g_cancellable_new ();
  shoal_library_search_async (self->library, text, SEARCH_MAX_RESULTS, self->search_cancellable,
                              on_search_done, self);
}

/* Escape empties the entry, which ends the search. */
static void
on_stop_search (ShoalLibraryPage *self,
                GtkSearchEntry   *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

/* The library's signals --------------------------------------------------------- */

static void
on_library_progress (ShoalLibraryPage *self)
{
  update_progress (self);
}

static void
on_library_ready (ShoalLibraryPage *self)
{
  update_stack (self);
  update_progress (self);
}

static void
on_roots_changed (ShoalLibraryPage *self)
{
  update_stack (self);
  update_cancel (self);
}

static void
on_library_error (ShoalLibraryPage *self,
                  const GError     *error)
{
  g_autofree char *text = g_strdup_printf (_("The library could not be updated: %s"),
                                           error->message);

  show_toast (self, text);
}

static void
watch_library (ShoalLibraryPage *self)
{
  self->library = shoal_servent_get_library (self->servent);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "library.add-folder", self->library != NULL);
  if (self->library == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "library.cancel-indexing", FALSE);
      update_stack (self);
      return;
    }
  g_object_ref (self->library);
  gtk_list_box_bind_model (self->folder_list, get_roots (self), create_folder_row, NULL, NULL);
  g_signal_connect_object (self->library, "notify::busy", G_CALLBACK (on_library_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library, "notify::file-count", G_CALLBACK (on_library_progress),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library, "notify::hashed-count", G_CALLBACK (on_library_progress),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library, "notify::ready", G_CALLBACK (on_library_ready), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library, "error", G_CALLBACK (on_library_error), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (get_roots (self), "items-changed", G_CALLBACK (on_roots_changed), self,
                           G_CONNECT_SWAPPED);
  update_stack (self);
  update_progress (self);
}

/* GObject ---------------------------------------------------------------------- */

static void
shoal_library_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (object);

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
shoal_library_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVENT:
      g_value_set_object (value, self->servent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_library_page_constructed (GObject *object)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (object);

  G_OBJECT_CLASS (shoal_library_page_parent_class)->constructed (object);
  watch_library (self);
}

static void
shoal_library_page_dispose (GObject *object)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  if (self->library != NULL)
    {
      g_signal_handlers_disconnect_by_data (get_roots (self), self);
      g_signal_handlers_disconnect_by_data (self->library, self);
    }
  g_clear_pointer (&self->indexing, g_ptr_array_unref);
  /* The bin lets go of the template's top widget before the template
   * drops it, or it would unparent a finalized widget. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_LIBRARY_PAGE);
  g_clear_object (&self->library);
  g_clear_object (&self->servent);
  G_OBJECT_CLASS (shoal_library_page_parent_class)->dispose (object);
}

static void
shoal_library_page_finalize (GObject *object)
{
  ShoalLibraryPage *self = SHOAL_LIBRARY_PAGE (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (shoal_library_page_parent_class)->finalize (object);
}

static void
shoal_library_page_class_init (ShoalLibraryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = shoal_library_page_set_property;
  object_class->get_property = shoal_library_page_get_property;
  object_class->constructed = shoal_library_page_constructed;
  object_class->dispose = shoal_library_page_dispose;
  object_class->finalize = shoal_library_page_finalize;

  properties[PROP_SERVENT] =
    g_param_spec_object ("servent", NULL, "The servent whose library is shown",
                         SHOAL_TYPE_SERVENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-library-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, progress_box);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, folder_list);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, search_status);
  gtk_widget_class_bind_template_child (widget_class, ShoalLibraryPage, results_list);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);

  gtk_widget_class_install_action (widget_class, "library.add-folder", NULL, add_folder_action);
  gtk_widget_class_install_action (widget_class, "library.remove-folder", "x",
                                   remove_folder_action);
  gtk_widget_class_install_action (widget_class, "library.cancel-indexing", NULL,
                                   cancel_indexing_action);
}

static void
shoal_library_page_init (ShoalLibraryPage *self)
{
  self->cancellable = g_cancellable_new ();
  self->indexing = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
shoal_library_page_new (ShoalServent *servent)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (servent), NULL);
  return g_object_new (SHOAL_TYPE_LIBRARY_PAGE, "servent", servent, NULL);
}

void
shoal_library_page_add_folder (ShoalLibraryPage *self,
                               GFile            *folder)
{
  g_autofree char *path = NULL;

  g_return_if_fail (SHOAL_IS_LIBRARY_PAGE (self));
  g_return_if_fail (G_IS_FILE (folder));

  if (self->library == NULL)
    return;
  path = g_file_get_path (folder);
  if (path == NULL)
    {
      show_toast (self, _("Only folders on this computer can be shared."));
      return;
    }
  self->pending_adds++;
  shoal_library_add_root_async (self->library, path, self->cancellable, on_root_added, self);
  update_stack (self);
  update_progress (self);
}
