/* test-preferences.c — the Preferences window over a running servent: a
 * change is saved to the settings file and applied at once where the
 * servent allows (browse host, slots, role, manual peers, upload slots,
 * upload and download caps), a key that waits for a restart says so, and
 * a bad value is refused with a message and saved nowhere. */
#include "gui-test-util.h"
#include "shoal-preferences-window.h"
#include "shoal-test-api.h"

#include <string.h>

/* Refused at once: nothing listens on the discard port of loopback. */
#define MANUAL_PEER "127.0.0.1:9"
/* g_format_size() keeps a number and its unit together. */
#define NBSP "\302\240"

typedef struct
{
  ShoalTestApi *api;
  GtkWidget    *window;
} Fixture;

/* A template child by its id in the .ui file. */
static GtkWidget *
get_child (Fixture    *fixture,
           const char *id)
{
  return shoal_gui_require_by_id (fixture->window, id);
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* A row of @group whose title is @title. */
static GtkWidget *
find_row (GtkWidget  *group,
          const char *title)
{
  return shoal_gui_find_descendant (group, is_row_titled, title);
}

static gboolean
is_button (GtkWidget     *widget,
           gconstpointer  data)
{
  return GTK_IS_BUTTON (widget);
}

static GtkWidget *
find_button (GtkWidget *widget)
{
  return shoal_gui_find_descendant (widget, is_button, NULL);
}

/* The value @key has in the settings file now. */
static char *
saved_text (Fixture    *fixture,
            const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoaldConfig) saved = shoald_config_load_file (fixture->api->config_path, &error);

  g_assert_no_error (error);
  return shoald_config_get_text (saved, key, NULL);
}

static const ShoalNodeConfig *
running_config (Fixture *fixture)
{
  return shoal_node_manager_get_config (shoal_servent_get_node_manager (fixture->api->servent));
}

static void
open_window (Fixture *fixture)
{
  fixture->window = shoal_preferences_window_new (NULL, fixture->api->servent, fixture->api->config,
                                                  fixture->api->config_path);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
close_window (Fixture *fixture)
{
  if (fixture->window == NULL)
    return;
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const ShoalTestApiOptions options = { 0 };

  fixture->api = shoal_test_api_new (&options);
  open_window (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  close_window (fixture);
  g_clear_pointer (&fixture->api, shoal_test_api_free);
}

static void
apply_entry (GtkWidget  *entry,
             const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "apply");
}

/* Tests ------------------------------------------------------------------------- */

static void
test_shows_settings (Fixture       *fixture,
                     gconstpointer  data)
{
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_child (fixture, "port_row"))), ==, "0");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (get_child (fixture, "browse_host_switch"))));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (get_child (fixture,
                                                                                 "ultrapeer_leaf_slots_spin"))),
                   ==, SHOAL_DEFAULT_ULTRAPEER_LEAF_SLOTS);
  g_assert_false (gtk_widget_get_visible (get_child (fixture, "port_restart_hint")));
  /* Nothing was changed, so nothing was written. */
  g_assert_false (g_file_test (fixture->api->config_path, G_FILE_TEST_EXISTS));
}

static void
test_browse_host_live (Fixture       *fixture,
                       gconstpointer  data)
{
  ShoalUploadServer *uploads = shoal_servent_get_upload_server (fixture->api->servent);
  g_autofree char *saved = NULL;
  gboolean browse_host = TRUE;

  gtk_switch_set_active (GTK_SWITCH (get_child (fixture, "browse_host_switch")), FALSE);
  g_object_get (uploads, "browse-host", &browse_host, NULL);
  g_assert_false (browse_host);
  g_assert_false (fixture->api->config->node->browse_host);
  saved = saved_text (fixture, "library.browse-host");
  g_assert_cmpstr (saved, ==, "false");
}

static void
test_slots_live (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *saved = NULL;

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (get_child (fixture, "ultrapeer_leaf_slots_spin")), 42);
  g_assert_cmpuint (running_config (fixture)->ultrapeer_leaf_slots, ==, 42);
  saved = saved_text (fixture, "roles.ultrapeer-leaf-slots");
  g_assert_cmpstr (saved, ==, "42");
}

static void
set_spin (Fixture    *fixture,
          const char *id,
          double      value)
{
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (get_child (fixture, id)), value);
}

static const char *
row_subtitle (Fixture    *fixture,
              const char *id)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (get_child (fixture, id)));
}

static void
test_upload_slots_live (Fixture       *fixture,
                        gconstpointer  data)
{
  ShoalUploadServer *uploads = shoal_servent_get_upload_server (fixture->api->servent);
  g_autofree char *saved = NULL;
  guint max_uploads = 0;

  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (get_child (fixture,
                                                                                 "upload_slots_spin"))),
                   ==, SHOAL_DEFAULT_UPLOAD_SLOTS);
  g_object_get (uploads, "max-uploads", &max_uploads, NULL);
  g_assert_cmpuint (max_uploads, ==, SHOAL_DEFAULT_UPLOAD_SLOTS);

  set_spin (fixture, "upload_slots_spin", 9);
  g_object_get (uploads, "max-uploads", &max_uploads, NULL);
  g_assert_cmpuint (max_uploads, ==, 9);
  g_assert_cmpuint (fixture->api->config->node->upload_slots, ==, 9);
  saved = saved_text (fixture, "transfers.upload-slots");
  g_assert_cmpstr (saved, ==, "9");
}

/* Both caps start off, say so, and take a value live; back to 0 they
 * are off again. */
static void
test_limits_live (Fixture       *fixture,
                  gconstpointer  data)
{
  ShoalUploadServer *uploads = shoal_servent_get_upload_server (fixture->api->servent);
  ShoalTransfers *transfers = shoal_servent_get_transfers (fixture->api->servent);
  g_autofree char *saved_upload = NULL;
  g_autofree char *saved_download = NULL;
  g_autofree char *saved_off = NULL;

  g_assert_cmpstr (row_subtitle (fixture, "upload_limit_row"), ==, "No limit");
  g_assert_cmpstr (row_subtitle (fixture, "download_limit_row"), ==, "No limit");

  set_spin (fixture, "upload_limit_spin", 512);
  set_spin (fixture, "download_limit_spin", 8000);
  g_assert_cmpuint (fixture->api->config->node->upload_limit_kbps, ==, 512);
  g_assert_cmpuint (fixture->api->config->node->download_limit_kbps, ==, 8000);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_upload_server_get_rate_limit (uploads)), ==,
                    512 * SHOAL_RATE_LIMIT_BYTES_PER_KBIT);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_transfers_get_rate_limit (transfers)), ==,
                    8000 * SHOAL_RATE_LIMIT_BYTES_PER_KBIT);
  saved_upload = saved_text (fixture, "transfers.upload-limit-kbps");
  g_assert_cmpstr (saved_upload, ==, "512");
  saved_download = saved_text (fixture, "transfers.download-limit-kbps");
  g_assert_cmpstr (saved_download, ==, "8000");
  g_assert_cmpstr (row_subtitle (fixture, "upload_limit_row"), ==,
                   "512 kbit/s, about 64.0" NBSP "kB per second");
  g_assert_cmpstr (row_subtitle (fixture, "download_limit_row"), ==,
                   "8000 kbit/s, about 1.0" NBSP "MB per second");

  set_spin (fixture, "upload_limit_spin", 0);
  g_assert_cmpuint (fixture->api->config->node->upload_limit_kbps, ==, 0);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_upload_server_get_rate_limit (uploads)), ==, 0);
  saved_off = saved_text (fixture, "transfers.upload-limit-kbps");
  g_assert_cmpstr (saved_off, ==, "0");
  g_assert_cmpstr (row_subtitle (fixture, "upload_limit_row"), ==, "No limit");

  /* Opened again, the window shows what was saved. */
  close_window (fixture);
  open_window (fixture);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (get_child (fixture,
                                                                                 "download_limit_spin"))),
                   ==, 8000);
  g_assert_cmpstr (row_subtitle (fixture, "download_limit_row"), ==,
                   "8000 kbit/s, about 1.0" NBSP "MB per second");
}

static void
test_role_live (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *saved = NULL;

  adw_combo_row_set_selected (ADW_COMBO_ROW (get_child (fixture, "role_row")), 2);
  g_assert_cmpint (running_config (fixture)->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  saved = saved_text (fixture, "roles.role");
  g_assert_cmpstr (saved, ==, "ultrapeer");
}

static void
test_port_needs_restart (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *saved = NULL;

  apply_entry (get_child (fixture, "port_row"), "7000");
  saved = saved_text (fixture, "network.port");
  g_assert_cmpstr (saved, ==, "7000");
  /* Still the port it listens on; the row says when the new one applies. */
  g_assert_cmpuint (fixture->api->config->node->port, ==, 0);
  g_assert_true (gtk_widget_get_visible (get_child (fixture, "port_restart_hint")));
  g_assert_false (gtk_widget_has_css_class (get_child (fixture, "port_row"), "error"));

  /* Opened again, the window still knows the port waits for a restart. */
  close_window (fixture);
  open_window (fixture);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_child (fixture, "port_row"))), ==,
                   "7000");
  g_assert_true (gtk_widget_get_visible (get_child (fixture, "port_restart_hint")));
}

static void
test_bad_port_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  GtkWidget *row = get_child (fixture, "port_row");
  const char *tooltip;

  apply_entry (row, "abc");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  tooltip = gtk_widget_get_tooltip_text (row);
  g_assert_nonnull (strstr (tooltip, "expected a number from 0 to 65535"));
  g_assert_nonnull (strstr (tooltip, "abc"));
  g_assert_false (g_file_test (fixture->api->config_path, G_FILE_TEST_EXISTS));
  g_assert_false (gtk_widget_get_visible (get_child (fixture, "port_restart_hint")));

  /* Fixed, it is taken and the error goes. */
  apply_entry (row, "7001");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_assert_true (g_file_test (fixture->api->config_path, G_FILE_TEST_EXISTS));
}

static void
test_manual_peers (Fixture       *fixture,
                   gconstpointer  data)
{
  GtkWidget *entry = get_child (fixture, "manual_peer_entry");
  GtkWidget *group = get_child (fixture, "manual_peers_group");
  GtkWidget *row;
  g_autofree char *saved = NULL;
  g_autofree char *emptied = NULL;

  apply_entry (entry, MANUAL_PEER);
  saved = saved_text (fixture, "network.manual-peers");
  g_assert_cmpstr (saved, ==, MANUAL_PEER ";");
  g_assert_true (shoal_node_config_has_manual_peer (running_config (fixture), MANUAL_PEER));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  row = find_row (group, MANUAL_PEER);
  g_assert_nonnull (row);

  /* Not a host:port: refused, the list unchanged. */
  apply_entry (entry, "nohost");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_clear_pointer (&saved, g_free);
  saved = saved_text (fixture, "network.manual-peers");
  g_assert_cmpstr (saved, ==, MANUAL_PEER ";");

  /* Its row's button removes it. */
  g_signal_emit_by_name (find_button (row), "clicked");
  emptied = saved_text (fixture, "network.manual-peers");
  g_assert_cmpstr (emptied, ==, "");
  g_assert_false (shoal_node_config_has_manual_peer (running_config (fixture), MANUAL_PEER));
  g_assert_null (find_row (group, MANUAL_PEER));
}

int
main (int    argc,
      char **argv)
{
  shoal_gui_test_init (&argc, &argv);

  g_test_add ("/preferences/shows-settings", Fixture, NULL,
              fixture_set_up, test_shows_settings, fixture_tear_down);
  g_test_add ("/preferences/browse-host-live", Fixture, NULL,
              fixture_set_up, test_browse_host_live, fixture_tear_down);
  g_test_add ("/preferences/slots-live", Fixture, NULL,
              fixture_set_up, test_slots_live, fixture_tear_down);
  g_test_add ("/preferences/upload-slots-live", Fixture, NULL,
              fixture_set_up, test_upload_slots_live, fixture_tear_down);
  g_test_add ("/preferences/limits-live", Fixture, NULL,
              fixture_set_up, test_limits_live, fixture_tear_down);
  g_test_add ("/preferences/role-live", Fixture, NULL,
              fixture_set_up, test_role_live, fixture_tear_down);
  g_test_add ("/preferences/port-needs-restart", Fixture, NULL,
              fixture_set_up, test_port_needs_restart, fixture_tear_down);
  g_test_add ("/preferences/bad-port-refused", Fixture, NULL,
              fixture_set_up, test_bad_port_refused, fixture_tear_down);
  g_test_add ("/preferences/manual-peers", Fixture, NULL,
              fixture_set_up, test_manual_peers, fixture_tear_down);
  return g_test_run ();
}
