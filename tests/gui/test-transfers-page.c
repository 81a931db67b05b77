/* test-transfers-page.c — the Transfers page: a row per download with its
 * state in words, its buttons pausing, resuming and cancelling it, a real
 * download from a live shoald peer to "Done", and the notification sent
 * when it completes while the window is not active. */
#include "gui-test-util.h"
#include "shoal-download-row.h"
#include "shoal-test-node.h"
#include "shoal-transfers-page.h"
#include "shoal-upload-row.h"
#include "shoal-urn.h"

#include <string.h>

#define TIMEOUT_MS SHOAL_GUI_TEST_TIMEOUT_MS
#define LOOPBACK "127.0.0.1"
/* The sharing shoald's address: a loopback subnet no other test uses. */
#define SHARING_ADDRESS "127.0.41.1"
#define SHARED_NAME "shoal-gui-transfer.bin"
/* Several progress records at least, so the row sees the bytes come. */
#define SHARED_SIZE (3 * 1024 * 1024)
/* A shoald that fetches a file of ours. */
#define FETCHING_ADDRESS "127.0.41.2"
#define UPLOAD_NAME "shoal-gui-upload.bin"
#define UPLOAD_SIZE (256 * 1024)
#define SECOND_NAME "shoal-gui-second.bin"
#define SECOND_SIZE (64 * 1024)
/* Time a notification would take to reach the server, were one sent. */
#define NOTIFICATION_QUIET_MS 1000
/* A file nobody has. */
#define SOURCELESS_URN "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"
#define SOURCELESS_NAME "aardvark-field-notes.ogg"
#define SOURCELESS_SIZE 1000
#define APP_ID "io.github.shoal.Shoal.TestTransfers"
/* What GNotification sends through when this name has an owner. */
#define NOTIFICATIONS_NAME "org.gtk.Notifications"
#define NOTIFICATIONS_PATH "/org/gtk/Notifications"

/* A notification server on the session bus ------------------------------------- */

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' name='app_id' direction='in'/>"
  "      <arg type='s' name='id' direction='in'/>"
  "      <arg type='a{sv}' name='notification' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' name='app_id' direction='in'/>"
  "      <arg type='s' name='id' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  GDBusConnection *bus;
  guint            registration;
  guint            owner;
  gboolean         owned;
  char            *app_id;      /* of the last notification */
  char            *title;
  char            *body;
} Notifications;

static void
on_notifications_call (GDBusConnection       *connection,
                       const char            *sender,
                       const char            *path,
                       const char            *interface,
                       const char            *method,
                       GVariant              *parameters,
                       GDBusMethodInvocation *invocation,
                       gpointer               data)
{
  Notifications *notifications = data;

  if (g_str_equal (method, "AddNotification"))
    {
      g_autoptr(GVariant) fields = NULL;

      g_clear_pointer (&notifications->app_id, g_free);
      g_clear_pointer (&notifications->title, g_free);
      g_clear_pointer (&notifications->body, g_free);
      g_variant_get (parameters, "(s&s@a{sv})", &notifications->app_id, NULL, &fields);
      g_variant_lookup (fields, "title", "s", &notifications->title);
      g_variant_lookup (fields, "body", "s", &notifications->body);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable notifications_vtable = { on_notifications_call, NULL, NULL, { 0 } };

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         data)
{
  ((Notifications *) data)->owned = TRUE;
}

static void
notifications_start (Notifications *notifications)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, &error);

  g_assert_no_error (error);
  notifications->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  notifications->registration =
    g_dbus_connection_register_object (notifications->bus, NOTIFICATIONS_PATH, info->interfaces[0],
                                       &notifications_vtable, notifications, NULL, &error);
  g_assert_no_error (error);
  notifications->owner = g_bus_own_name_on_connection (notifications->bus, NOTIFICATIONS_NAME,
                                                       G_BUS_NAME_OWNER_FLAGS_NONE,
                                                       on_name_acquired, NULL, notifications, NULL);
  shoal_test_wait_flag (&notifications->owned, TIMEOUT_MS, "the notification server's name");
}

static void
notifications_stop (Notifications *notifications)
{
  g_bus_unown_name (notifications->owner);
  g_dbus_connection_unregister_object (notifications->bus, notifications->registration);
  g_clear_object (&notifications->bus);
  g_free (notifications->app_id);
  g_free (notifications->title);
  g_free (notifications->body);
}

static gboolean
notification_arrived (gpointer data)
{
  return ((Notifications *) data)->title != NULL;
}

/* A servent and the page in a window ----------------------------------------- */

typedef struct
{
  ShoalGuiServent  node;     /* its library: DATA_DIR/shared when it shares */
  GtkWindow       *window;
  GtkWidget       *page;
} Fixture;

/* On loopback, linked to nobody: downloads reach their sources directly.
 * With @shares, a library whose folder is DATA_DIR/shared. */
static void
fixture_init_sharing (Fixture  *fixture,
                      gboolean  shares)
{
  shoal_gui_servent_init (&fixture->node, "shoal-gui-transfers-XXXXXX");
  shoal_gui_servent_start (&fixture->node, shares);
  fixture->page = shoal_transfers_page_new (fixture->node.servent);
  fixture->window = shoal_gui_show_in_window (fixture->page, fixture->page, 900, 700);
}

static void
fixture_init (Fixture *fixture)
{
  fixture_init_sharing (fixture, FALSE);
}

static void
fixture_clear (Fixture *fixture)
{
  gtk_window_destroy (fixture->window);
  shoal_gui_servent_clear (&fixture->node);
}

static ShoalTransfers *
fixture_transfers (Fixture *fixture)
{
  return shoal_servent_get_transfers (fixture->node.servent);
}

/* Finding what the user sees ------------------------------------------------- */

static gboolean
is_row_of (GtkWidget     *widget,
           gconstpointer  download)
{
  return SHOAL_IS_DOWNLOAD_ROW (widget) &&
         shoal_download_row_get_download (SHOAL_DOWNLOAD_ROW (widget)) == download;
}

static gboolean
is_button_for (GtkWidget     *widget,
               gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static gboolean
is_progress_bar (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_PROGRESS_BAR (widget);
}

static ShoalDownloadRow *
find_row (Fixture       *fixture,
          ShoalDownload *download)
{
  GtkWidget *row = shoal_gui_find_descendant (fixture->page, is_row_of, download);

  return row != NULL ? SHOAL_DOWNLOAD_ROW (row) : NULL;
}

static GtkWidget *
find_button (ShoalDownloadRow *row,
             const char       *action)
{
  GtkWidget *button = shoal_gui_find_descendant (GTK_WIDGET (row), is_button_for, action);

  g_assert_nonnull (button);
  return button;
}

/* Clicks @action's button, which must be there to click. */
static void
click (ShoalDownloadRow *row,
       const char       *action)
{
  GtkWidget *button = find_button (row, action);

  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* Clicks the dialog's button for @response, as the user would. */
static void
answer_dialog (const char *response)
{
  AdwMessageDialog *dialog = shoal_gui_find_message_dialog ();
  const char *label = adw_message_dialog_get_response_label (dialog, response);
  GtkWidget *button = shoal_gui_find_descendant (GTK_WIDGET (dialog), shoal_gui_is_button_labelled, label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
dialog_shown (gpointer data)
{
  return shoal_gui_find_message_dialog () != NULL;
}

static gboolean
dialog_gone (gpointer data)
{
  return shoal_gui_find_message_dialog () == NULL;
}

typedef struct
{
  ShoalDownloadRow *row;
  const char       *text;
} RowText;

static gboolean
row_says (gpointer data)
{
  RowText *wanted = data;

  return g_str_has_prefix (shoal_download_row_get_state_text (wanted->row), wanted->text) &&
         shoal_gui_label_shown (GTK_WIDGET (wanted->row), wanted->text);
}

static void
wait_row_says (ShoalDownloadRow *row,
               const char       *text)
{
  RowText wanted = { row, text };
  g_autofree char *what = g_strdup_printf ("the row to say “%s”", text);

  shoal_test_wait_until (row_says, &wanted, TIMEOUT_MS, what);
}

typedef struct
{
  Fixture       *fixture;
  ShoalDownload *download;
} RowWanted;

static gboolean
row_gone (gpointer data)
{
  RowWanted *wanted = data;

  return find_row (wanted->fixture, wanted->download) == NULL;
}

static gboolean
row_shown (gpointer data)
{
  RowWanted *wanted = data;
  ShoalDownloadRow *row = find_row (wanted->fixture, wanted->download);

  return row != NULL && gtk_widget_get_mapped (GTK_WIDGET (row));
}

/* Tests ------------------------------------------------------------------------ */

static void
test_empty (void)
{
  Fixture fixture = { 0 };

  fixture_init (&fixture);
  g_assert_true (shoal_gui_label_shown (fixture.page, "No Transfers Yet"));
  fixture_clear (&fixture);
}

/* A download nobody has: waits, pauses, resumes, and goes once the
 * dialog's cancel is chosen (not before). */
static void
test_row_buttons (void)
{
  Fixture fixture = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalDownload) download = NULL;
  RowWanted wanted;
  ShoalDownloadRow *row;

  fixture_init (&fixture);
  download = shoal_transfers_add_urn (fixture_transfers (&fixture), SOURCELESS_URN, SOURCELESS_NAME,
                                      SOURCELESS_SIZE, &error);
  g_assert_no_error (error);
  wanted = (RowWanted) { &fixture, download };
  shoal_test_wait_until (row_shown, &wanted, TIMEOUT_MS, "the download's row");
  row = find_row (&fixture, download);
  g_assert_true (shoal_gui_label_shown (GTK_WIDGET (row), SOURCELESS_NAME));
  shoal_gui_wait_label (fixture.page, "No Transfers Yet", FALSE);
  wait_row_says (row, "Waiting for a source");
  g_assert_false (gtk_widget_get_visible (find_button (row, SHOAL_DOWNLOAD_ROW_ACTION_RESUME)));
  g_assert_false (gtk_widget_get_visible (find_button (row, SHOAL_DOWNLOAD_ROW_ACTION_OPEN)));

  click (row, SHOAL_DOWNLOAD_ROW_ACTION_PAUSE);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_PAUSED);
  wait_row_says (row, "Paused");
  g_assert_false (gtk_widget_get_visible (find_button (row, SHOAL_DOWNLOAD_ROW_ACTION_PAUSE)));

  click (row, SHOAL_DOWNLOAD_ROW_ACTION_RESUME);
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_QUEUED);
  wait_row_says (row, "Waiting for a source");

  /* Keeping it changes nothing. */
  click (row, SHOAL_DOWNLOAD_ROW_ACTION_CANCEL);
  shoal_test_wait_until (dialog_shown, NULL, TIMEOUT_MS, "the cancel dialog");
  answer_dialog (SHOAL_DOWNLOAD_ROW_RESPONSE_KEEP);
  shoal_test_wait_until (dialog_gone, NULL, TIMEOUT_MS, "the dialog to close");
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_QUEUED);
  g_assert_nonnull (find_row (&fixture, download));

  click (row, SHOAL_DOWNLOAD_ROW_ACTION_CANCEL);
  shoal_test_wait_until (dialog_shown, NULL, TIMEOUT_MS, "the cancel dialog");
  answer_dialog (SHOAL_DOWNLOAD_ROW_RESPONSE_CANCEL);
  shoal_test_wait_until (dialog_gone, NULL, TIMEOUT_MS, "the dialog to close");
  g_assert_cmpint (shoal_download_get_state (download), ==, SHOAL_DOWNLOAD_STATUS_CANCELLED);
  shoal_test_wait_until (row_gone, &wanted, TIMEOUT_MS, "the row to go");
  g_assert_cmpuint (g_list_model_get_n_items (shoal_transfers_get_downloads (fixture_transfers (&fixture))),
                    ==, 0);
  shoal_gui_wait_label (fixture.page, "No Transfers Yet", TRUE);
  fixture_clear (&fixture);
}

/* The row's progress: the bar full while the state is not "Done" yet,
 * so the user saw the bytes arrive before the check. */
typedef struct
{
  ShoalDownloadRow *row;
  gboolean          full_before_done;
} Progress;

static void
on_fraction (GtkProgressBar *bar,
             GParamSpec     *pspec,
             Progress       *progress)
{
  if (gtk_progress_bar_get_fraction (bar) >= 1.0 &&
      !g_str_equal (shoal_download_row_get_state_text (progress->row), "Done"))
    progress->full_before_done = TRUE;
}

static char *
make_content (gsize size,
              char  first)
{
  char *content = g_malloc (size + 1);

  for (gsize i = 0; i < size; i++)
    content[i] = first + (char) (i * 7 % 26);
  content[size] = '\0';
  return content;
}

/* A magnet of @content named @name with @source ("a.b.c.d:port") as
 * its one source. */
static char *
magnet_from (const char *content,
             const char *name,
             const char *source)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize length = sizeof sha1;
  g_autofree char *urn = NULL;

  g_checksum_update (checksum, (const guchar *) content, (gssize) strlen (content));
  g_checksum_get_digest (checksum, sha1, &length);
  urn = shoal_urn_format_sha1 (sha1);
  return g_strdup_printf ("magnet:?xt=%s&dn=%s&xl=%zu&xs=http://%s/uri-res/N2R?%s",
                          urn, name, strlen (content), source, urn);
}

static char *
magnet_of (const char *content,
           const char *name)
{
  return magnet_from (content, name, SHARING_ADDRESS ":6346");
}

static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (data);
}

static gboolean
window_inactive (gpointer data)
{
  return !gtk_window_is_active (data);
}

/* Fetches @magnet through the page's servent until its row says "Done",
 * with the open buttons instead of pause; returns its row. */
static ShoalDownloadRow *
download_to_done (Fixture    *fixture,
                  const char *magnet,
                  const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalDownload) download = shoal_transfers_add_magnet (fixture_transfers (fixture),
                                                                  magnet, &error);
  g_autofree char *path = g_build_filename (fixture->node.data_dir, "complete", name, NULL);
  RowWanted wanted = { fixture, download };
  Progress progress = { 0 };
  GtkWidget *bar;

  g_assert_no_error (error);
  shoal_test_wait_until (row_shown, &wanted, TIMEOUT_MS, "the download's row");
  progress.row = find_row (fixture, download);
  bar = shoal_gui_find_descendant (GTK_WIDGET (progress.row), is_progress_bar, NULL);
  g_signal_connect (bar, "notify::fraction", G_CALLBACK (on_fraction), &progress);
  wait_row_says (progress.row, "Done");
  g_signal_handlers_disconnect_by_data (bar, &progress);
  g_assert_true (progress.full_before_done);
  g_assert_true (shoal_gui_label_shown (GTK_WIDGET (progress.row), name));
  g_assert_true (gtk_widget_get_mapped (find_button (progress.row, SHOAL_DOWNLOAD_ROW_ACTION_OPEN)));
  g_assert_true (gtk_widget_get_mapped (find_button (progress.row,
                                                     SHOAL_DOWNLOAD_ROW_ACTION_OPEN_FOLDER)));
  g_assert_false (gtk_widget_get_visible (find_button (progress.row, SHOAL_DOWNLOAD_ROW_ACTION_PAUSE)));
  g_assert_cmpstr (shoal_download_get_path (download), ==, path);
  return progress.row;
}

/* Files from a live shoald through magnets naming it as the source:
 * progress, then "Done" with the open buttons. While the page's window
 * is the active one no notification goes out; once another window has
 * the focus, a completed download is notified. */
static void
test_completed_download (void)
{
  g_autoptr(ShoalTestNode) sharing = shoal_test_node_new (SHARING_ADDRESS);
  g_autofree char *content = make_content (SHARED_SIZE, 'a');
  g_autofree char *second_content = make_content (SECOND_SIZE, 'A');
  g_autofree char *magnet = magnet_of (content, SHARED_NAME);
  g_autofree char *second_magnet = magnet_of (second_content, SECOND_NAME);
  g_autofree char *second_path = NULL;
  g_autoptr(GtkApplication) application = gtk_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  g_autoptr(GError) error = NULL;
  Notifications notifications = { 0 };
  Fixture fixture = { 0 };
  ShoalDownloadRow *row;
  GtkWindow *elsewhere;
  RowWanted wanted;

  notifications_start (&notifications);
  g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_application_get_default () == G_APPLICATION (application));
  shoal_test_node_share_file (sharing, SHARED_NAME, content);
  shoal_test_node_share_file (sharing, SECOND_NAME, second_content);
  shoal_test_node_start (sharing, NULL);
  shoal_test_node_wait_hashed (sharing, 2, TIMEOUT_MS);

  fixture_init (&fixture);
  shoal_test_wait_until (window_active, fixture.window, TIMEOUT_MS, "the page's window to be active");
  download_to_done (&fixture, magnet, SHARED_NAME);
  shoal_test_wait_ms (NOTIFICATION_QUIET_MS);
  g_assert_null (notifications.title);

  /* The user looks at another window. */
  elsewhere = GTK_WINDOW (gtk_window_new ());
  gtk_window_present (elsewhere);
  shoal_test_wait_until (window_inactive, fixture.window, TIMEOUT_MS, "the page's window to be inactive");
  row = download_to_done (&fixture, second_magnet, SECOND_NAME);
  shoal_test_wait_until (notification_arrived, &notifications, TIMEOUT_MS, "the notification");
  g_assert_cmpstr (notifications.app_id, ==, APP_ID);
  g_assert_cmpstr (notifications.title, ==, "Download complete");
  g_assert_cmpstr (notifications.body, ==, SECOND_NAME);

  /* A completed download leaves the list without a question; the file
   * stays. */
  wanted = (RowWanted) { &fixture, shoal_download_row_get_download (row) };
  second_path = g_strdup (shoal_download_get_path (wanted.download));
  click (row, SHOAL_DOWNLOAD_ROW_ACTION_CANCEL);
  shoal_test_wait_until (row_gone, &wanted, TIMEOUT_MS, "the row to go");
  g_assert_null (shoal_gui_find_message_dialog ());
  g_assert_true (g_file_test (second_path, G_FILE_TEST_IS_REGULAR));

  gtk_window_destroy (elsewhere);
  fixture_clear (&fixture);
  shoal_test_node_stop (sharing);
  notifications_stop (&notifications);
}

static gboolean
library_hashed (gpointer data)
{
  ShoalLibrary *library = data;

  return !shoal_library_get_busy (library) && shoal_library_get_hashed_count (library) == 1;
}

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static gboolean
is_upload_row (GtkWidget     *widget,
               gconstpointer  data)
{
  return SHOAL_IS_UPLOAD_ROW (widget);
}

static gboolean
upload_row_full (gpointer data)
{
  GtkWidget *row = shoal_gui_find_descendant (data, is_upload_row, NULL);
  GtkWidget *bar = row != NULL ? shoal_gui_find_descendant (row, is_progress_bar, NULL) : NULL;

  return bar != NULL && gtk_widget_get_mapped (bar) &&
         gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)) >= 1.0;
}

/* A live shoald fetches a file of ours (shoalctl get --wait, run without
 * blocking our main loop, which accepts its connection): the Uploads list
 * shows the file, who took it, and all of it sent. */
static void
test_upload_row (void)
{
  g_autoptr(ShoalTestNode) fetching = shoal_test_node_new (FETCHING_ADDRESS);
  g_autofree char *content = make_content (UPLOAD_SIZE, 'k');
  g_autofree char *folder = NULL;
  g_autofree char *magnet = NULL;
  g_autofree char *source = NULL;
  g_autoptr(GSubprocess) shoalctl = NULL;
  g_autoptr(GError) error = NULL;
  Fixture fixture = { 0 };
  gboolean fetched = FALSE;
  GtkWidget *row;

  fixture_init_sharing (&fixture, TRUE);
  folder = g_build_filename (fixture.node.data_dir, "shared", NULL);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  shoal_gui_write_file (folder, UPLOAD_NAME, content, -1);
  shoal_gui_share_folder (fixture.node.library, folder);
  shoal_test_wait_until (library_hashed, fixture.node.library, TIMEOUT_MS, "the shared file's hash");
  g_assert_true (shoal_gui_label_shown (fixture.page, "No Transfers Yet"));

  source = g_strdup_printf ("%s:%u", LOOPBACK,
                            shoal_node_manager_get_port (shoal_servent_get_node_manager (fixture.node.servent)));
  magnet = magnet_from (content, UPLOAD_NAME, source);
  shoal_test_node_start (fetching, NULL);
  shoalctl = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, g_getenv ("SHOALCTL"),
                               "--data-dir", fetching->data_dir, "get", magnet, "--wait", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (shoalctl, NULL, on_fetched, &fetched);
  shoal_test_wait_flag (&fetched, TIMEOUT_MS, "shoalctl get --wait");

  shoal_test_wait_until (upload_row_full, fixture.page, TIMEOUT_MS, "the upload row, all sent");
  row = shoal_gui_find_descendant (fixture.page, is_upload_row, NULL);
  g_assert_true (shoal_gui_label_shown (row, UPLOAD_NAME));
  g_assert_true (shoal_gui_label_shown (row, shoal_upload_get_peer (shoal_upload_row_get_upload (SHOAL_UPLOAD_ROW (row)))));
  g_assert_false (shoal_gui_label_shown (fixture.page, "No Transfers Yet"));
  g_assert_true (shoal_gui_label_shown (fixture.page, "Nothing is being downloaded"));

  shoal_test_node_stop (fetching);
  fixture_clear (&fixture);
}

int
main (int    argc,
      char **argv)
{
  shoal_gui_test_init (&argc, &argv);
  g_test_add_func ("/transfers-page/empty", test_empty);
  g_test_add_func ("/transfers-page/row-buttons", test_row_buttons);
  g_test_add_func ("/transfers-page/completed-download", test_completed_download);
  g_test_add_func ("/transfers-page/upload-row", test_upload_row);
  return g_test_run ();
}
