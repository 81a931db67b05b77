/* test-transfers-page.c — the Transfers page: a row per download with its
 * state in words, its buttons pausing, resuming and cancelling it, a real
 * download from a live shoald peer to "Done", the notification sent when
 * it completes while the window is not active and the application's
 * actions it names, and upload rows: a live shoald's fetch, and an upload
 * stopped from its row. */
#include "gui-test-util.h"
#include "shoal-application.h"
#include "shoal-download-row.h"
#include "shoal-test-node.h"
#include "shoal-transfers-page.h"
#include "shoal-upload-row.h"
#include "shoal-urn.h"
#include "shoal-window.h"

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
/* A file a raw HTTP client fetches a range of, keeping the connection:
 * an upload that waits until stopped. */
#define STOPPED_NAME "shoal-gui-stopped.bin"
#define STOPPED_SIZE 4096
#define STOPPED_RANGE_LENGTH 100
#define CLIENT_TIMEOUT_SECONDS 20
#define READ_CHUNK 4096
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
/* What the notification activates, as the application defines it. */
#define SHOW_TRANSFERS_ACTION "show-transfers"
#define OPEN_DOWNLOAD_ACTION "open-download"
#define MISSING_FILE_NAME "gone-before-opened.ogg"

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
  char            *default_action;
  guint            n_buttons;
  char            *button_label;   /* the first button's */
  char            *button_action;
  GVariant        *button_target;
} Notifications;

static void
notifications_forget (Notifications *notifications)
{
  g_clear_pointer (&notifications->app_id, g_free);
  g_clear_pointer (&notifications->title, g_free);
  g_clear_pointer (&notifications->body, g_free);
  g_clear_pointer (&notifications->default_action, g_free);
  g_clear_pointer (&notifications->button_label, g_free);
  g_clear_pointer (&notifications->button_action, g_free);
  g_clear_pointer (&notifications->button_target, g_variant_unref);
  notifications->n_buttons = 0;
}

/* GNotification's buttons: an aa{sv} of label, action and target. */
static void
notifications_record_buttons (Notifications *notifications,
                              GVariant      *fields)
{
  g_autoptr(GVariant) buttons = g_variant_lookup_value (fields, "buttons", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GVariant) first = NULL;

  if (buttons == NULL)
    return;
  notifications->n_buttons = (guint) g_variant_n_children (buttons);
  if (notifications->n_buttons == 0)
    return;
  first = g_variant_get_child_value (buttons, 0);
  g_variant_lookup (first, "label", "s", &notifications->button_label);
  g_variant_lookup (first, "action", "s", &notifications->button_action);
  notifications->button_target = g_variant_lookup_value (first, "target", NULL);
}

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

      notifications_forget (notifications);
      g_variant_get (parameters, "(s&s@a{sv})", &notifications->app_id, NULL, &fields);
      g_variant_lookup (fields, "title", "s", &notifications->title);
      g_variant_lookup (fields, "body", "s", &notifications->body);
      g_variant_lookup (fields, "default-action", "s", &notifications->default_action);
      notifications_record_buttons (notifications, fields);
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
  notifications_forget (notifications);
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

/* Clicks @button, which must be there to click. */
static void
click_button (GtkWidget *button)
{
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static void
click (ShoalDownloadRow *row,
       const char       *action)
{
  click_button (find_button (row, action));
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
  /* Clicked, it shows the Transfers page; its one button opens the file,
   * named by its path (test_notification_actions runs them). */
  wanted = (RowWanted) { &fixture, shoal_download_row_get_download (row) };
  second_path = g_strdup (shoal_download_get_path (wanted.download));
  g_assert_cmpstr (notifications.default_action, ==, "app." SHOW_TRANSFERS_ACTION);
  g_assert_cmpuint (notifications.n_buttons, ==, 1);
  g_assert_cmpstr (notifications.button_label, ==, "Open");
  g_assert_cmpstr (notifications.button_action, ==, "app." OPEN_DOWNLOAD_ACTION);
  g_assert_nonnull (notifications.button_target);
  g_assert_true (g_variant_is_of_type (notifications.button_target, G_VARIANT_TYPE_BYTESTRING));
  g_assert_cmpstr (g_variant_get_bytestring (notifications.button_target), ==, second_path);

  /* A completed download leaves the list without a question; the file
   * stays. */
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

/* shoalctl's run: its output is kept, not let into the TAP stream. */
typedef struct
{
  gboolean  done;
  char     *output;
} Fetch;

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Fetch *fetch = data;
  g_autoptr(GError) error = NULL;

  /* Done once the process exited and its output was all read. */
  g_assert_true (g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                                       &fetch->output, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (G_SUBPROCESS (source)));
  fetch->done = TRUE;
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
  g_autofree char *complete_line = NULL;
  Fixture fixture = { 0 };
  Fetch fetch = { FALSE, NULL };
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
  shoalctl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("SHOALCTL"),
                               "--data-dir", fetching->data_dir, "get", magnet, "--wait", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (shoalctl, NULL, NULL, on_fetched, &fetch);
  shoal_test_wait_flag (&fetch.done, TIMEOUT_MS, "shoalctl get --wait");
  /* It showed the file's progress, then where it put it. */
  complete_line = g_strdup_printf ("Complete: %s/complete/%s\n", fetching->data_dir, UPLOAD_NAME);
  g_assert_nonnull (strstr (fetch.output, UPLOAD_NAME "  "));
  g_assert_true (g_str_has_suffix (fetch.output, complete_line));
  g_free (fetch.output);

  shoal_test_wait_until (upload_row_full, fixture.page, TIMEOUT_MS, "the upload row, all sent");
  row = shoal_gui_find_descendant (fixture.page, is_upload_row, NULL);
  g_assert_true (shoal_gui_label_shown (row, UPLOAD_NAME));
  g_assert_true (shoal_gui_label_shown (row, shoal_upload_get_peer (shoal_upload_row_get_upload (SHOAL_UPLOAD_ROW (row)))));
  g_assert_false (shoal_gui_label_shown (fixture.page, "No Transfers Yet"));
  g_assert_true (shoal_gui_label_shown (fixture.page, "Nothing is being downloaded"));

  shoal_test_node_stop (fetching);
  fixture_clear (&fixture);
}

/* The application's side of the notification ------------------------------------ */

/* On loopback, dialling nobody: the app runs, it does not join the
 * network. */
static char *
write_app_config (const char *root)
{
  g_autofree char *downloads = g_build_filename (root, "downloads", NULL);
  g_autoptr(GKeyFile) config = shoal_gui_app_config_new (downloads);
  char *path = g_build_filename (root, "shoal.conf", NULL);

  shoal_gui_app_config_save (config, path);
  return path;
}

static void
on_action_activated (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  *(gboolean *) data = TRUE;
}

/* As the notification server does when the user clicks: through the
 * session bus, with the target the notification carried. */
static void
activate_over_bus (ShoalApplication *application,
                   const char       *action,
                   GVariant         *target)
{
  GApplication *app = G_APPLICATION (application);
  GVariantBuilder targets;
  gboolean done = FALSE;

  g_variant_builder_init (&targets, G_VARIANT_TYPE ("av"));
  if (target != NULL)
    g_variant_builder_add (&targets, "v", target);
  g_dbus_connection_call (g_application_get_dbus_connection (app), g_application_get_application_id (app),
                          g_application_get_dbus_object_path (app), "org.freedesktop.Application",
                          "ActivateAction", g_variant_new ("(sava{sv})", action, &targets, NULL),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_action_activated, &done);
  shoal_test_wait_flag (&done, TIMEOUT_MS, action);
}

/* Inside the application's main loop, its window on screen; @data is
 * the application's root folder. */
static void
run_notification_actions (ShoalApplication *application,
                          ShoalWindow      *window,
                          gpointer          data)
{
  GActionGroup *actions = G_ACTION_GROUP (application);
  g_autofree char *missing = g_build_filename (data, "downloads", MISSING_FILE_NAME, NULL);
  const GVariantType *type;

  shoal_window_show_page (window, "network");
  g_assert_cmpstr (shoal_window_get_page (window), ==, "network");

  /* The notification clicked: the Transfers page comes forward. */
  g_assert_true (g_action_group_get_action_enabled (actions, SHOW_TRANSFERS_ACTION));
  g_assert_null (g_action_group_get_action_parameter_type (actions, SHOW_TRANSFERS_ACTION));
  activate_over_bus (application, SHOW_TRANSFERS_ACTION, NULL);
  g_assert_cmpstr (shoal_window_get_page (window), ==, "transfers");
  shoal_test_wait_until (shoal_gui_widget_mapped, shoal_window_get_page_widget (window, "transfers"),
                         TIMEOUT_MS, "the Transfers page on screen");

  /* Its Open button, for a file gone since: the window says so, and no
   * application is launched. */
  g_assert_true (g_action_group_get_action_enabled (actions, OPEN_DOWNLOAD_ACTION));
  type = g_action_group_get_action_parameter_type (actions, OPEN_DOWNLOAD_ACTION);
  g_assert_nonnull (type);
  g_assert_true (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING));
  g_assert_false (shoal_gui_label_shown (GTK_WIDGET (window), "Could not open"));
  activate_over_bus (application, OPEN_DOWNLOAD_ACTION, g_variant_new_bytestring (missing));
  shoal_gui_wait_label (GTK_WIDGET (window), "Could not open “" MISSING_FILE_NAME "”: it is no longer there",
                        TRUE);
}

/* The real application runs the actions the notification of
 * test_completed_download names, as the notification server would:
 * shoal --data-dir ROOT/data --config ROOT/shoal.conf, as the desktop
 * starts it. */
static void
test_notification_actions (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("shoal-gui-notification-XXXXXX", &error);
  g_autofree char *data_dir = NULL;
  g_autofree char *config = NULL;

  g_assert_no_error (error);
  data_dir = g_build_filename (root, "data", NULL);
  config = write_app_config (root);
  shoal_gui_run_application (data_dir, config, NULL, run_notification_actions, root);
  shoal_test_remove_tree (root);
}

/* An upload stopped from its row ------------------------------------------------- */

static char *
urn_of (const char *content)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 sha1[SHOAL_SHA1_SIZE];
  gsize length = sizeof sha1;

  g_checksum_update (checksum, (const guchar *) content, (gssize) strlen (content));
  g_checksum_get_digest (checksum, sha1, &length);
  return shoal_urn_format_sha1 (sha1);
}

/* A downloader by hand: one range of @urn asked on a connection it
 * keeps. The kernel accepts it before our main loop does; the answer is
 * read once the upload is known to have sent it. */
static GSocketConnection *
ask_range (guint16     port,
           const char *urn)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string (LOOPBACK, port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autofree char *request = g_strdup_printf ("GET /uri-res/N2R?%s HTTP/1.1\r\nHost: " LOOPBACK "\r\n"
                                              "Range: bytes=0-%u\r\n\r\n",
                                              urn, STOPPED_RANGE_LENGTH - 1);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_assert_nonnull (socket);
  g_socket_set_timeout (socket, CLIENT_TIMEOUT_SECONDS);
  g_socket_connect (socket, address, NULL, &error);
  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (socket);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  return connection;
}

/* Everything until the server closes; a timeout fails the test. */
static GString *
read_to_end (GSocketConnection *connection)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GString *received = g_string_new (NULL);
  char chunk[READ_CHUNK];
  gssize n_read;

  do
    {
      g_autoptr(GError) error = NULL;

      n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, &error);
      g_assert_no_error (error);
      g_string_append_len (received, chunk, MAX (n_read, 0));
    }
  while (n_read > 0);
  return received;
}

static gboolean
is_stop_button (GtkWidget     *widget,
                gconstpointer  data)
{
  return is_button_for (widget, SHOAL_UPLOAD_ROW_ACTION_STOP);
}

typedef struct
{
  GtkWidget  *page;
  const char *text;
} UploadRowText;

/* The upload row on screen whose state begins with @text. */
static gboolean
upload_row_says (gpointer data)
{
  UploadRowText *wanted = data;
  GtkWidget *row = shoal_gui_find_descendant (wanted->page, is_upload_row, NULL);

  return row != NULL && gtk_widget_get_mapped (row) &&
         g_str_has_prefix (shoal_upload_row_get_state_text (SHOAL_UPLOAD_ROW (row)), wanted->text) &&
         shoal_gui_label_shown (row, wanted->text);
}

static gboolean
slots_free (gpointer data)
{
  ShoalUploadStats stats;

  shoal_upload_server_get_stats (data, &stats);
  return stats.uploads == 0 && stats.connections == 0;
}

/* A downloader keeps its connection after a range: the row waits for it,
 * with a stop button, which closes the connection under it; the row then
 * says so, without the button. */
static void
test_upload_stopped (void)
{
  g_autofree char *content = make_content (STOPPED_SIZE, 'q');
  g_autofree char *urn = urn_of (content);
  g_autofree char *folder = NULL;
  g_autoptr(GSocketConnection) client = NULL;
  g_autoptr(GString) received = NULL;
  g_autofree char *range_end = NULL;
  ShoalUploadServer *server;
  UploadRowText wanted;
  Fixture fixture = { 0 };
  ShoalUpload *upload;
  GtkWidget *button;
  GtkWidget *row;

  fixture_init_sharing (&fixture, TRUE);
  server = shoal_servent_get_upload_server (fixture.node.servent);
  folder = g_build_filename (fixture.node.data_dir, "shared", NULL);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  shoal_gui_write_file (folder, STOPPED_NAME, content, -1);
  shoal_gui_share_folder (fixture.node.library, folder);
  shoal_test_wait_until (library_hashed, fixture.node.library, TIMEOUT_MS, "the shared file's hash");

  client = ask_range (shoal_node_manager_get_port (shoal_servent_get_node_manager (fixture.node.servent)), urn);
  wanted = (UploadRowText) { fixture.page, "Waiting for " LOOPBACK };
  shoal_test_wait_until (upload_row_says, &wanted, TIMEOUT_MS, "the upload row, waiting");
  row = shoal_gui_find_descendant (fixture.page, is_upload_row, NULL);
  upload = shoal_upload_row_get_upload (SHOAL_UPLOAD_ROW (row));
  g_assert_true (shoal_gui_label_shown (row, STOPPED_NAME));
  g_assert_cmpuint (shoal_upload_get_done (upload), ==, STOPPED_RANGE_LENGTH);
  button = shoal_gui_find_descendant (row, is_stop_button, NULL);
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Stop Upload");
  g_assert_null (gtk_button_get_label (GTK_BUTTON (button)));

  click_button (button);
  g_assert_cmpint (shoal_upload_get_state (upload), ==, SHOAL_UPLOAD_STATE_STOPPED);
  wanted.text = "Stopped by you";
  shoal_test_wait_until (upload_row_says, &wanted, TIMEOUT_MS, "the upload row, stopped");
  g_assert_false (gtk_widget_get_visible (button));

  /* The downloader had its range, then the connection closed. */
  received = read_to_end (client);
  range_end = g_strdup_printf ("\r\n\r\n%.*s", STOPPED_RANGE_LENGTH, content);
  g_assert_true (g_str_has_prefix (received->str, "HTTP/1.1 206 "));
  g_assert_true (g_str_has_suffix (received->str, range_end));
  shoal_test_wait_until (slots_free, server, TIMEOUT_MS, "the upload slot to be given back");

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
  g_test_add_func ("/transfers-page/notification-actions", test_notification_actions);
  g_test_add_func ("/transfers-page/upload-row", test_upload_row);
  g_test_add_func ("/transfers-page/upload-stopped", test_upload_stopped);
  return g_test_run ();
}
