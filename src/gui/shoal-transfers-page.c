/* shoal-transfers-page.c — the Transfers page: downloads and uploads. */
#include "shoal-transfers-page.h"

#include "shoal-download-row.h"
#include "shoal-upload-row.h"

#include <glib/gi18n.h>

/* Names of the stack's pages. */
#define PAGE_EMPTY "empty"
#define PAGE_LISTS "lists"
/* A completed download's notification; the URN makes it one per file. */
#define NOTIFICATION_ID_FORMAT "download-complete-%s"

struct _ShoalTransfersPage
{
  AdwBin          parent_instance;

  ShoalServent   *servent;
  ShoalTransfers *transfers;       /* NULL when the servent has none */
  GListModel     *uploads;         /* the uploads list bound now */

  GtkStack       *stack;
  GtkListBox     *downloads_list;
  GtkListBox     *uploads_list;
};

G_DEFINE_FINAL_TYPE (ShoalTransfersPage, shoal_transfers_page, ADW_TYPE_BIN)

/* Helpers ------------------------------------------------------------------ */

static guint
count_items (GListModel *model)
{
  return model != NULL ? g_list_model_get_n_items (model) : 0;
}

static void
update_empty_state (ShoalTransfersPage *self)
{
  guint transfers = count_items (self->uploads);

  if (self->transfers != NULL)
    transfers += count_items (shoal_transfers_get_downloads (self->transfers));
  gtk_stack_set_visible_child_name (self->stack, transfers > 0 ? PAGE_LISTS : PAGE_EMPTY);
}

/* A notification is for a user looking elsewhere: while our window has
 * the focus, the row itself says "Done". */
static gboolean
window_is_active (ShoalTransfersPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) && gtk_window_is_active (GTK_WINDOW (root));
}

static void
notify_completed (ShoalTransfersPage *self,
                  ShoalDownload      *download)
{
  GApplication *application = g_application_get_default ();
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;

  /* Sending needs a registered application (not so in some tests). */
  if (application == NULL || !g_application_get_is_registered (application))
    return;
  notification = g_notification_new (_("Download complete"));
  g_notification_set_body (notification, shoal_download_get_name (download));
  g_notification_set_default_action (notification, SHOAL_TRANSFERS_PAGE_NOTIFICATION_ACTION);
  /* A path, not the download: the file can still be opened once its row
   * was cleared from the list. */
  if (shoal_download_get_path (download) != NULL)
    g_notification_add_button_with_target_value (notification, _("Open"),
                                                  SHOAL_TRANSFERS_PAGE_NOTIFICATION_OPEN_ACTION,
                                                  g_variant_new_bytestring (shoal_download_get_path (download)));
  id = g_strdup_printf (NOTIFICATION_ID_FORMAT, shoal_download_get_urn (download));
  g_application_send_notification (application, id, notification);
}

/* Signal callbacks --------------------------------------------------------------- */

static void
on_download_completed (ShoalDownloadRow   *row,
                       ShoalTransfersPage *self)
{
  if (!window_is_active (self))
    notify_completed (self, shoal_download_row_get_download (row));
}

static GtkWidget *
create_download_row (gpointer item,
                     gpointer data)
{
  ShoalTransfersPage *self = data;
  GtkWidget *row = shoal_download_row_new (self->transfers, item);

  g_signal_connect_object (row, "completed", G_CALLBACK (on_download_completed), self, 0);
  return row;
}

/* The uploads listed are the servent's upload server's. */
static GtkWidget *
create_upload_row (gpointer item,
                   gpointer data)
{
  ShoalTransfersPage *self = data;

  return shoal_upload_row_new (shoal_servent_get_upload_server (self->servent), item);
}

static void
on_items_changed (GListModel         *model,
                  guint               position,
                  guint               removed,
                  guint               added,
                  ShoalTransfersPage *self)
{
  update_empty_state (self);
}

static void
unbind_uploads (ShoalTransfersPage *self)
{
  if (self->uploads != NULL)
    g_signal_handlers_disconnect_by_data (self->uploads, self);
  g_clear_object (&self->uploads);
}

static void
bind_uploads (ShoalTransfersPage *self)
{
  unbind_uploads (self);
  self->uploads = g_object_ref (shoal_transfers_get_uploads (self->transfers));
  gtk_list_box_bind_model (self->uploads_list, self->uploads, create_upload_row, self, NULL);
  g_signal_connect (self->uploads, "items-changed", G_CALLBACK (on_items_changed), self);
}

/* The uploads are the attached upload server's list: another model when
 * a server comes or goes. */
static void
on_uploads_changed (ShoalTransfers     *transfers,
                    GParamSpec         *pspec,
                    ShoalTransfersPage *self)
{
  bind_uploads (self);
  update_empty_state (self);
}

/* Overrides ------------------------------------------------------------------- */

static void
shoal_transfers_page_dispose (GObject *object)
{
  ShoalTransfersPage *self = SHOAL_TRANSFERS_PAGE (object);

  if (self->transfers != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->transfers, self);
      g_signal_handlers_disconnect_by_data (shoal_transfers_get_downloads (self->transfers), self);
    }
  unbind_uploads (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SHOAL_TYPE_TRANSFERS_PAGE);
  g_clear_object (&self->transfers);
  g_clear_object (&self->servent);
  G_OBJECT_CLASS (shoal_transfers_page_parent_class)->dispose (object);
}

static void
shoal_transfers_page_class_init (ShoalTransfersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = shoal_transfers_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/shoal/Shoal/shoal-transfers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ShoalTransfersPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ShoalTransfersPage, downloads_list);
  gtk_widget_class_bind_template_child (widget_class, ShoalTransfersPage, uploads_list);
}

static void
shoal_transfers_page_init (ShoalTransfersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API ------------------------------------------------------------------- */

GtkWidget *
shoal_transfers_page_new (ShoalServent *servent)
{
  ShoalTransfersPage *self;
  GListModel *downloads;

  g_return_val_if_fail (SHOAL_IS_SERVENT (servent), NULL);
  self = g_object_new (SHOAL_TYPE_TRANSFERS_PAGE, NULL);
  self->servent = g_object_ref (servent);
  if (shoal_servent_get_transfers (servent) != NULL)
    {
      self->transfers = g_object_ref (shoal_servent_get_transfers (servent));
      downloads = shoal_transfers_get_downloads (self->transfers);
      gtk_list_box_bind_model (self->downloads_list, downloads, create_download_row, self, NULL);
      g_signal_connect (downloads, "items-changed", G_CALLBACK (on_items_changed), self);
      bind_uploads (self);
      g_signal_connect (self->transfers, "notify::uploads", G_CALLBACK (on_uploads_changed), self);
    }
  update_empty_state (self);
  return GTK_WIDGET (self);
}
