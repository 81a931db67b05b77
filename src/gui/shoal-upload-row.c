/* shoal-upload-row.c — one upload in the Transfers page, stoppable while
 * it runs. */
#include "shoal-upload-row.h"

#include "shoal-units.h"

#include <glib/gi18n.h>

struct _ShoalUploadRow
{
  GtkListBoxRow      parent_instance;

  ShoalUploadServer *server;   /* NULL: nothing to stop it with */
  ShoalUpload       *upload;
  char              *state_text;

  GtkLabel          *name_label;
  GtkProgressBar    *progress_bar;
  GtkLabel          *state_label;
  GtkLabel          *details_label;
  GtkWidget         *stop_button;
};

G_DEFINE_FINAL_TYPE (ShoalUploadRow, shoal_upload_row, GTK_TYPE_LIST_BOX_ROW)

/* Helpers ------------------------------------------------------------------ */

static char *
describe_state (ShoalUpload *upload)
{
  const char *peer = shoal_upload_get_peer (upload);

  switch (shoal_upload_get_state (upload))
    {
    case SHOAL_UPLOAD_STATE_SENDING:
      /* TRANSLATORS: %s is the address of who downloads from us */
      return g_strdup_printf (_("Sending to %s"), peer);
    case SHOAL_UPLOAD_STATE_WAITING:
      /* TRANSLATORS: %s is the address of who downloads from us */
      return g_strdup_printf (_("Waiting for %s to ask for more"), peer);
    case SHOAL_UPLOAD_STATE_DONE:
      /* TRANSLATORS: %s is the address of who downloaded from us */
      return g_strdup_printf (_("Sent to %s"), peer);
    case SHOAL_UPLOAD_STATE_STOPPED:
      return g_strdup (_("Stopped by you"));
    case SHOAL_UPLOAD_STATE_FAILED:
    default:
      /* TRANSLATORS: %s is the address of who downloaded from us */
      return g_strdup_printf (_("Stopped: %s went away before the end"), peer);
    }
}

static gboolean
is_running (ShoalUpload *upload)
{
  ShoalUploadState state = shoal_upload_get_state (upload);

  return state == SHOAL_UPLOAD_STATE_SENDING || state == SHOAL_UPLOAD_STATE_WAITING;
}

/* "1.2 MB of 4.0 MB · 300 kB/s · gtk-gnutella/1.2" */
static char *
describe_details (ShoalUpload *upload)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *done = g_format_size (shoal_upload_get_done (upload));
  g_autofree char *size = g_format_size (shoal_upload_get_size (upload));

  /* TRANSLATORS: bytes sent of the file's size, e.g. "1.2 MB of 4.0 MB" */
  g_ptr_array_add (parts, g_strdup_printf (_("%s of %s"), done, size));
  if (is_running (upload))
    g_ptr_array_add (parts, shoal_units_format_rate (shoal_upload_get_rate (upload)));
  if (shoal_upload_get_user_agent (upload) != NULL)
    g_ptr_array_add (parts, g_strdup (shoal_upload_get_user_agent (upload)));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* Done counts every body sent over the connection: a downloader that
 * fetched a range twice may pass the size. */
static double
progress_fraction (ShoalUpload *upload)
{
  guint64 size = shoal_upload_get_size (upload);

  if (size == 0)
    return 1.0;
  return CLAMP ((double) shoal_upload_get_done (upload) / (double) size, 0.0, 1.0);
}

/* Only a running upload has anything to stop. */
static void
update_stop (ShoalUploadRow *self)
{
  gboolean stoppable = self->server != NULL && is_running (self->upload);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), SHOAL_UPLOAD_ROW_ACTION_STOP, stoppable);
  gtk_widget_set_visible (self->stop_button, stoppable);
}

static void
update (ShoalUploadRow *self)
{
  g_autofree char *details = describe_details (self->upload);

  g_free (self->state_text);
  self->state_text = describe_state (self->upload);
  gtk_label_set_text (self->name_label, shoal_upload_get_name (self->upload));
  gtk_label_set_text (self->state_label, self->state_text);
  gtk_label_set_text (self->details_label, details);
  gtk_progress_bar_set_fraction (self->progress_bar, progress_fraction (self->upload));
  update_stop (self);
}

/* Signal callbacks --------------------------------------------------------------- */

static void
on_upload_notify (ShoalUpload    *upload,
                  GParamSpec     *pspec,
                  ShoalUploadRow *self)
{
  update (self);
}

/* The server says FALSE when the upload ended meanwhile: the row shows
 * how, which is all there is to say. */
static void
stop_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ShoalUploadRow *self = SHOAL_UPLOAD_ROW (widget);

  if (self->server != NULL)
    shoal_upload_server_cancel (self->server, self->upload);
}

/* Overrides ------------------------------------------------------------------- */

static void
shoal_upload_row_dispose (GObject *object)
{
  ShoalUploadRow *self = SHOAL_UPLOAD_ROW (object);

  if (self->upload != NULL)
    g_signal_handlers_disconnect_by_data (self->upload, self);
  g_clear_object (&self->upload);
  g_clear_object (&self->server);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_UPLOAD_ROW);
  G_OBJECT_CLASS (shoal_upload_row_parent_class)->dispose (object);
}

static void
shoal_upload_row_finalize (GObject *object)
{
  ShoalUploadRow *self = SHOAL_UPLOAD_ROW (object);

  g_free (self->state_text);
  G_OBJECT_CLASS (shoal_upload_row_parent_class)->finalize (object);
}

static void
shoal_upload_row_class_init (ShoalUploadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = shoal_upload_row_dispose;
  object_class->finalize = shoal_upload_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-upload-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalUploadRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalUploadRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, ShoalUploadRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalUploadRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, ShoalUploadRow, stop_button);
  gtk_widget_class_install_action (widget_class, SHOAL_UPLOAD_ROW_ACTION_STOP, NULL, stop_activated);
}

static void
shoal_upload_row_init (ShoalUploadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API ------------------------------------------------------------------- */

GtkWidget *
shoal_upload_row_new (ShoalUploadServer *server,
                      ShoalUpload       *upload)
{
  ShoalUploadRow *self;

  g_return_val_if_fail (server == NULL || SHOAL_IS_UPLOAD_SERVER (server), NULL);
  g_return_val_if_fail (SHOAL_IS_UPLOAD (upload), NULL);
  self = g_object_new (SHOAL_TYPE_UPLOAD_ROW, NULL);
  self->server = server != NULL ? g_object_ref (server) : NULL;
  self->upload = g_object_ref (upload);
  g_signal_connect (upload, "notify", G_CALLBACK (on_upload_notify), self);
  update (self);
  return GTK_WIDGET (self);
}

ShoalUpload *
shoal_upload_row_get_upload (ShoalUploadRow *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD_ROW (self), NULL);
  return self->upload;
}

const char *
shoal_upload_row_get_state_text (ShoalUploadRow *self)
{
  g_return_val_if_fail (SHOAL_IS_UPLOAD_ROW (self), NULL);
  return self->state_text;
}
