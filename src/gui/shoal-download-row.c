/* shoal-download-row.c — one download in the Transfers page. */
#include "shoal-download-row.h"

#include "shoal-units.h"

#include <glib/gi18n.h>
#include <string.h>

struct _ShoalDownloadRow
{
  GtkListBoxRow        parent_instance;

  ShoalTransfers      *transfers;
  ShoalDownload       *download;
  ShoalDownloadStatus  shown_state;
  char                *state_text;

  GtkLabel            *name_label;
  GtkProgressBar      *progress_bar;
  GtkLabel            *state_label;
  GtkLabel            *details_label;
  GtkWidget           *pause_button;
  GtkWidget           *resume_button;
  GtkWidget           *retry_button;
  GtkWidget           *open_button;
  GtkWidget           *open_folder_button;
  GtkWidget           *cancel_button;
};

enum
{
  SIGNAL_COMPLETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalDownloadRow, shoal_download_row, GTK_TYPE_LIST_BOX_ROW)

/* What the core's failure messages mean for the user: the first pattern
 * found in the message picks the sentence. */
static const struct
{
  const char *pattern;
  const char *friendly;
} failure_texts[] = {
  { "SHA-1", N_("The file arrived damaged and no source could be blamed") },
  { "cannot verify or move", N_("The finished file could not be moved to the download folder") },
  { "No space", N_("The disk is full") },
  { "Permission denied", N_("Shoal may not write to the download folder") },
  { "cannot sync", N_("The file could not be written to disk") },
  { "cannot size", N_("The file could not be written to disk") },
  { "source", N_("No source has this file any more") },
};

/* Helpers ------------------------------------------------------------------ */

static char *
describe_failure (const char *error)
{
  if (error == NULL || *error == '\0')
    return g_strdup (_("Failed"));
  for (guint i = 0; i < G_N_ELEMENTS (failure_texts); i++)
    if (strstr (error, failure_texts[i].pattern) != NULL)
      return g_strdup (_(failure_texts[i].friendly));
  /* TRANSLATORS: %s is the reason a download failed, as the engine says it */
  return g_strdup_printf (_("Failed: %s"), error);
}

/* "1.2 MB of 4.0 MB", or what is known of it. */
static char *
describe_amount (ShoalDownload *download)
{
  g_autofree char *done = g_format_size (shoal_download_get_done (download));
  g_autofree char *size = NULL;

  if (shoal_download_get_size (download) == 0)
    return g_steal_pointer (&done);
  size = g_format_size (shoal_download_get_size (download));
  if (shoal_download_get_state (download) == SHOAL_DOWNLOAD_STATUS_COMPLETED)
    return g_steal_pointer (&size);
  /* TRANSLATORS: bytes done of the file's size, e.g. "1.2 MB of 4.0 MB" */
  return g_strdup_printf (_("%s of %s"), done, size);
}

static char *
describe_sources (guint sources)
{
  return g_strdup_printf (ngettext ("%u source", "%u sources", sources), sources);
}

/* The second line: amount, then speed and time left while running, or
 * the sources known while waiting. */
static char *
describe_details (ShoalDownload *download)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  ShoalDownloadStatus state = shoal_download_get_state (download);

  g_ptr_array_add (parts, describe_amount (download));
  if (state == SHOAL_DOWNLOAD_STATUS_RUNNING)
    {
      g_ptr_array_add (parts, shoal_units_format_rate (shoal_download_get_rate (download)));
      if (shoal_download_get_eta (download) >= 0)
        g_ptr_array_add (parts, shoal_units_format_time_left (shoal_download_get_eta (download)));
    }
  else if (state == SHOAL_DOWNLOAD_STATUS_QUEUED || state == SHOAL_DOWNLOAD_STATUS_PAUSED ||
           state == SHOAL_DOWNLOAD_STATUS_FAILED)
    g_ptr_array_add (parts, describe_sources (shoal_download_get_sources (download)));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static double
progress_fraction (ShoalDownload *download)
{
  guint64 size = shoal_download_get_size (download);

  if (shoal_download_get_state (download) == SHOAL_DOWNLOAD_STATUS_COMPLETED)
    return 1.0;
  if (size == 0)
    return 0.0;
  return CLAMP ((double) shoal_download_get_done (download) / (double) size, 0.0, 1.0);
}

/* Each button shows only in the states where its action makes sense. */
static void
update_actions (ShoalDownloadRow *self)
{
  ShoalDownloadStatus state = shoal_download_get_state (self->download);
  gboolean active = state == SHOAL_DOWNLOAD_STATUS_QUEUED || state == SHOAL_DOWNLOAD_STATUS_RUNNING;
  gboolean paused = state == SHOAL_DOWNLOAD_STATUS_PAUSED;
  gboolean failed = state == SHOAL_DOWNLOAD_STATUS_FAILED;
  gboolean openable = state == SHOAL_DOWNLOAD_STATUS_COMPLETED &&
                      shoal_download_get_path (self->download) != NULL;
  gboolean completed = state == SHOAL_DOWNLOAD_STATUS_COMPLETED;
  const char *cancel_label = completed ? _("Remove From List") : _("Cancel Download");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), SHOAL_DOWNLOAD_ROW_ACTION_PAUSE, active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), SHOAL_DOWNLOAD_ROW_ACTION_RESUME, paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), SHOAL_DOWNLOAD_ROW_ACTION_RETRY, failed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), SHOAL_DOWNLOAD_ROW_ACTION_OPEN, openable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), SHOAL_DOWNLOAD_ROW_ACTION_OPEN_FOLDER, openable);
  gtk_widget_set_visible (self->pause_button, active);
  gtk_widget_set_visible (self->resume_button, paused);
  gtk_widget_set_visible (self->retry_button, failed);
  gtk_widget_set_visible (self->open_button, openable);
  gtk_widget_set_visible (self->open_folder_button, openable);
  gtk_widget_set_tooltip_text (self->cancel_button, cancel_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, cancel_label, -1);
}

static void
update (ShoalDownloadRow *self)
{
  g_autofree char *details = describe_details (self->download);

  g_free (self->state_text);
  self->state_text = shoal_download_describe_state (self->download);
  gtk_label_set_text (self->name_label, shoal_download_get_name (self->download));
  gtk_label_set_text (self->state_label, self->state_text);
  gtk_label_set_text (self->details_label, details);
  gtk_progress_bar_set_fraction (self->progress_bar, progress_fraction (self->download));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar),
                          shoal_download_get_state (self->download) != SHOAL_DOWNLOAD_STATUS_COMPLETED);
  update_actions (self);
}

static void
show_toast (ShoalDownloadRow *self,
            const char       *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay == NULL)
    {
      g_message ("%s", title);
      return;
    }
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
}

static void
show_error (ShoalDownloadRow *self,
            const GError     *error)
{
  /* TRANSLATORS: %s says why a download could not be paused, resumed... */
  g_autofree char *title = g_strdup_printf (_("Could not do that: %s"), error->message);

  show_toast (self, title);
}

static GtkWindow *
parent_window (ShoalDownloadRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
cancel_download (ShoalDownloadRow *self)
{
  g_autoptr(GError) error = NULL;

  /* Nobody wants a half file left behind; a completed one stays put. */
  if (!shoal_transfers_cancel (self->transfers, self->download, TRUE, &error))
    show_error (self, error);
}

static void
on_show_uri_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(ShoalDownloadRow) self = data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    {
      /* TRANSLATORS: %s says why the file or folder could not be opened */
      g_autofree char *title = g_strdup_printf (_("Could not open it: %s"), error->message);

      show_toast (self, title);
    }
}

static void
open_file (ShoalDownloadRow *self,
           GFile            *file)
{
  g_autofree char *uri = g_file_get_uri (file);

  gtk_show_uri_full (parent_window (self), uri, GDK_CURRENT_TIME, NULL, on_show_uri_done,
                     g_object_ref (self));
}

/* Signal callbacks --------------------------------------------------------------- */

static void
on_download_notify (ShoalDownload    *download,
                    GParamSpec       *pspec,
                    ShoalDownloadRow *self)
{
  ShoalDownloadStatus state = shoal_download_get_state (download);
  gboolean completed_now = state == SHOAL_DOWNLOAD_STATUS_COMPLETED &&
                           self->shown_state != SHOAL_DOWNLOAD_STATUS_COMPLETED;

  self->shown_state = state;
  update (self);
  if (completed_now)
    g_signal_emit (self, signals[SIGNAL_COMPLETED], 0);
}

static void
on_cancel_response (AdwMessageDialog *dialog,
                    const char       *response,
                    ShoalDownloadRow *self)
{
  if (g_strcmp0 (response, SHOAL_DOWNLOAD_ROW_RESPONSE_CANCEL) == 0)
    cancel_download (self);
}

static void
pause_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (widget);
  g_autoptr(GError) error = NULL;

  if (!shoal_transfers_pause (self->transfers, self->download, &error))
    show_error (self, error);
}

static void
resume_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (widget);
  g_autoptr(GError) error = NULL;

  if (!shoal_transfers_resume (self->transfers, self->download, &error))
    show_error (self, error);
}

static void
retry_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (widget);
  g_autoptr(GError) error = NULL;

  if (!shoal_transfers_retry (self->transfers, self->download, &error))
    show_error (self, error);
}

/* A completed file stays where it is whatever happens, so removing its
 * row loses nothing; anything else loses what was fetched: ask first. */
static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (widget);
  GtkWidget *dialog;

  if (shoal_download_get_state (self->download) == SHOAL_DOWNLOAD_STATUS_COMPLETED)
    {
      cancel_download (self);
      return;
    }
  dialog = adw_message_dialog_new (parent_window (self), _("Cancel the Download?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” is removed from the list and the part fetched so far is deleted."),
                                  shoal_download_get_name (self->download));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    SHOAL_DOWNLOAD_ROW_RESPONSE_KEEP, _("_Keep Downloading"),
                                    SHOAL_DOWNLOAD_ROW_RESPONSE_CANCEL, _("_Cancel Download"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog),
                                              SHOAL_DOWNLOAD_ROW_RESPONSE_CANCEL,
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog),
                                           SHOAL_DOWNLOAD_ROW_RESPONSE_KEEP);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog),
                                         SHOAL_DOWNLOAD_ROW_RESPONSE_KEEP);
  /* The row may go before an answer comes (the download removed
   * elsewhere): the handler goes with it. */
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_cancel_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (widget);
  g_autoptr(GFile) file = g_file_new_for_path (shoal_download_get_path (self->download));

  open_file (self, file);
}

static void
open_folder_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (widget);
  g_autoptr(GFile) file = g_file_new_for_path (shoal_download_get_path (self->download));
  g_autoptr(GFile) folder = g_file_get_parent (file);

  open_file (self, folder != NULL ? folder : file);
}

/* Overrides ------------------------------------------------------------------- */

static void
shoal_download_row_dispose (GObject *object)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (object);

  if (self->download != NULL)
    g_signal_handlers_disconnect_by_data (self->download, self);
  g_clear_object (&self->download);
  g_clear_object (&self->transfers);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_DOWNLOAD_ROW);
  G_OBJECT_CLASS (shoal_download_row_parent_class)->dispose (object);
}

static void
shoal_download_row_finalize (GObject *object)
{
  ShoalDownloadRow *self = SHOAL_DOWNLOAD_ROW (object);

  g_free (self->state_text);
  G_OBJECT_CLASS (shoal_download_row_parent_class)->finalize (object);
}

static void
shoal_download_row_class_init (ShoalDownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = shoal_download_row_dispose;
  object_class->finalize = shoal_download_row_finalize;

  signals[SIGNAL_COMPLETED] =
    g_signal_new ("completed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-download-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, open_folder_button);
  gtk_widget_class_bind_template_child (widget_class, ShoalDownloadRow, cancel_button);

  gtk_widget_class_install_action (widget_class, SHOAL_DOWNLOAD_ROW_ACTION_PAUSE, NULL,
                                   pause_activated);
  gtk_widget_class_install_action (widget_class, SHOAL_DOWNLOAD_ROW_ACTION_RESUME, NULL,
                                   resume_activated);
  gtk_widget_class_install_action (widget_class, SHOAL_DOWNLOAD_ROW_ACTION_RETRY, NULL,
                                   retry_activated);
  gtk_widget_class_install_action (widget_class, SHOAL_DOWNLOAD_ROW_ACTION_CANCEL, NULL,
                                   cancel_activated);
  gtk_widget_class_install_action (widget_class, SHOAL_DOWNLOAD_ROW_ACTION_OPEN, NULL,
                                   open_activated);
  gtk_widget_class_install_action (widget_class, SHOAL_DOWNLOAD_ROW_ACTION_OPEN_FOLDER, NULL,
                                   open_folder_activated);
}

static void
shoal_download_row_init (ShoalDownloadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API ------------------------------------------------------------------- */

GtkWidget *
shoal_download_row_new (ShoalTransfers *transfers,
                        ShoalDownload  *download)
{
  ShoalDownloadRow *self;

  g_return_val_if_fail (SHOAL_IS_TRANSFERS (transfers), NULL);
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (download), NULL);
  self = g_object_new (SHOAL_TYPE_DOWNLOAD_ROW, NULL);
  self->transfers = g_object_ref (transfers);
  self->download = g_object_ref (download);
  self->shown_state = shoal_download_get_state (download);
  g_signal_connect (download, "notify", G_CALLBACK (on_download_notify), self);
  update (self);
  return GTK_WIDGET (self);
}

ShoalDownload *
shoal_download_row_get_download (ShoalDownloadRow *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD_ROW (self), NULL);
  return self->download;
}

const char *
shoal_download_row_get_state_text (ShoalDownloadRow *self)
{
  g_return_val_if_fail (SHOAL_IS_DOWNLOAD_ROW (self), NULL);
  return self->state_text;
}

char *
shoal_download_describe_state (ShoalDownload *download)
{
  guint sources;

  g_return_val_if_fail (SHOAL_IS_DOWNLOAD (download), NULL);
  sources = shoal_download_get_sources (download);
  switch (shoal_download_get_state (download))
    {
    case SHOAL_DOWNLOAD_STATUS_QUEUED:
      return g_strdup (_("Waiting for a source"));
    case SHOAL_DOWNLOAD_STATUS_RUNNING:
      return g_strdup_printf (ngettext ("Downloading from %u source",
                                        "Downloading from %u sources", MAX (sources, 1)),
                              MAX (sources, 1));
    case SHOAL_DOWNLOAD_STATUS_PAUSED:
      return g_strdup (_("Paused"));
    case SHOAL_DOWNLOAD_STATUS_VERIFYING:
      return g_strdup (_("Checking the file"));
    case SHOAL_DOWNLOAD_STATUS_COMPLETED:
      return g_strdup (_("Done"));
    case SHOAL_DOWNLOAD_STATUS_FAILED:
      return describe_failure (shoal_download_get_error (download));
    case SHOAL_DOWNLOAD_STATUS_CANCELLED:
    default:
      return g_strdup (_("Cancelled"));
    }
}
