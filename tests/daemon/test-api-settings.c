/* test-api-settings.c — GET and PATCH /api/v1/settings over an in-process
 * servent: every key listed, live keys reaching the servent at once,
 * restart keys saved for the next start, bad values and unknown keys
 * refused with nothing changed, and the settings file keeping the rest. */
#include "shoald-api.h"

#include "shoal-test-api.h"
#include "shoal-test-loop.h"

#include <glib/gstdio.h>
#include <string.h>

#define TIMEOUT_MS 30000
#define SETTINGS "/api/v1/settings"
#define USER_FILE "# my own notes\n[roles]\n# a comment of mine\nrole=auto\n"

static const ShoalTestApiOptions settings_api = { .areas = SHOAL_TEST_API_SETTINGS };

/* A 400 whose message names @words. */
static void
patch_refused (ShoalTestApi *api,
               const char   *body,
               const char   *words)
{
  g_autoptr(JsonObject) answer = shoal_test_api_call (api, "PATCH", SETTINGS, body, 400);
  JsonObject *error = json_object_get_object_member (answer, "error");

  shoal_test_api_assert_error (answer, "bad_request");
  if (strstr (json_object_get_string_member (error, "message"), words) == NULL)
    g_error ("“%s” does not say “%s”", json_object_get_string_member (error, "message"), words);
}

static void
assert_names (JsonObject         *answer,
              const char         *member,
              const char * const *expected)
{
  JsonArray *names = json_object_get_array_member (answer, member);

  g_assert_cmpuint (json_array_get_length (names), ==, g_strv_length ((GStrv) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (json_array_get_string_element (names, i), ==, expected[i]);
}

static JsonObject *
find_setting (JsonObject *answer,
              const char *key)
{
  JsonArray *settings = json_object_get_array_member (answer, "settings");

  for (guint i = 0; i < json_array_get_length (settings); i++)
    {
      JsonObject *setting = json_array_get_object_element (settings, i);

      if (g_str_equal (json_object_get_string_member (setting, "key"), key))
        return setting;
    }
  g_error ("no setting %s", key);
}

static char *
read_config_file (ShoalTestApi *api)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (api->config_path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
write_config_file (ShoalTestApi *api,
                   const char   *text)
{
  g_autofree char *folder = g_path_get_dirname (api->config_path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (api->config_path, text, -1, &error));
  g_assert_no_error (error);
}

static ShoalNodeManager *
node_manager (ShoalTestApi *api)
{
  return shoal_servent_get_node_manager (api->servent);
}

/* Tests ---------------------------------------------------------------------------- */

/* Every key, with its value as the file writes it. */
static void
test_get (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  g_autoptr(JsonObject) answer = shoal_test_api_call (api, "GET", SETTINGS, NULL, 200);
  JsonArray *settings = json_object_get_array_member (answer, "settings");
  JsonObject *port = find_setting (answer, "network.port");
  JsonObject *slots = find_setting (answer, "roles.ultrapeer-leaf-slots");
  JsonObject *address = find_setting (answer, "network.listen-address");
  ShoaldConfigKeyInfo info;
  guint keys = 0;

  while (shoald_config_get_key_info (keys, &info))
    keys++;
  g_assert_cmpuint (json_array_get_length (settings), ==, keys);
  g_assert_cmpstr (json_object_get_string_member (port, "value"), ==, "0");
  g_assert_cmpstr (json_object_get_string_member (port, "default"), ==, "6346");
  g_assert_false (json_object_get_boolean_member (port, "live"));
  g_assert_cmpstr (json_object_get_string_member (port, "description"), !=, "");
  g_assert_cmpstr (json_object_get_string_member (slots, "value"), ==, "300");
  g_assert_true (json_object_get_boolean_member (slots, "live"));
  g_assert_cmpstr (json_object_get_string_member (address, "value"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (address, "default"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (find_setting (answer, "api.port"), "value"), ==,
                   "6348");
}

/* Live keys reach the servent before the answer; the file gets them and
 * keeps what the user wrote. */
static void
test_patch_live (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  const char *body = "{\"roles.ultrapeer-leaf-slots\": 40, \"roles.qrp-period-s\": \"5\", "
                     "\"library.browse-host\": false, \"roles.role\": \"ultrapeer\", "
                     "\"network.max-dials\": 2.0}";
  const char *const applied[] = { "roles.ultrapeer-leaf-slots", "roles.qrp-period-s",
                                  "library.browse-host", "roles.role", "network.max-dials", NULL };
  const char *const none[] = { NULL };
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree char *file = NULL;
  const ShoalNodeConfig *running;
  gboolean browse_host = TRUE;

  write_config_file (api, USER_FILE);
  g_assert_cmpint (shoal_node_manager_get_role (node_manager (api)), ==, SHOAL_PEER_ROLE_LEAF);
  answer = shoal_test_api_call (api, "PATCH", SETTINGS, body, 200);
  assert_names (answer, "applied", applied);
  assert_names (answer, "restart_required", none);

  running = shoal_node_manager_get_config (node_manager (api));
  g_assert_cmpuint (running->ultrapeer_leaf_slots, ==, 40);
  g_assert_cmpuint (running->qrp_period_ms, ==, 5000);
  g_assert_cmpuint (running->max_dials, ==, 2);
  g_assert_cmpint (running->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  g_assert_cmpint (shoal_node_manager_get_role (node_manager (api)), ==, SHOAL_PEER_ROLE_ULTRAPEER);
  g_assert_true (shoal_router_get_ultrapeer (shoal_servent_get_router (api->servent)));
  g_object_get (shoal_servent_get_upload_server (api->servent), "browse-host", &browse_host, NULL);
  g_assert_false (browse_host);
  g_assert_cmpuint (api->config->node->ultrapeer_leaf_slots, ==, 40);

  after = shoal_test_api_call (api, "GET", SETTINGS, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (find_setting (after, "roles.ultrapeer-leaf-slots"),
                                                  "value"), ==, "40");
  g_assert_cmpstr (json_object_get_string_member (find_setting (after, "library.browse-host"),
                                                  "value"), ==, "false");

  file = read_config_file (api);
  g_test_message ("saved:\n%s", file);
  g_assert_true (g_str_has_prefix (file, "# my own notes\n"));
  g_assert_nonnull (strstr (file, "[roles]\n# a comment of mine\nrole=ultrapeer\n"));
  g_assert_nonnull (strstr (file, "ultrapeer-leaf-slots=40\n"));
  g_assert_nonnull (strstr (file, "qrp-period-s=5\n"));
  g_assert_nonnull (strstr (file, "[library]\nbrowse-host=false\n"));
  g_assert_nonnull (strstr (file, "[network]\nmax-dials=2\n"));
}

/* Upload slots and both caps reach the upload server and the downloads
 * at once. */
static void
test_patch_transfer_caps (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  const char *body = "{\"transfers.upload-slots\": 7, \"transfers.upload-limit-kbps\": 512, "
                     "\"transfers.download-limit-kbps\": \"64\"}";
  const char *const applied[] = { "transfers.upload-slots", "transfers.upload-limit-kbps",
                                  "transfers.download-limit-kbps", NULL };
  const char *const none[] = { NULL };
  ShoalUploadServer *uploads = shoal_servent_get_upload_server (api->servent);
  ShoalTransfers *transfers = shoal_servent_get_transfers (api->servent);
  const char *const lifted_names[] = { "transfers.download-limit-kbps", NULL };
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) lifted = NULL;
  g_autofree char *file = NULL;
  guint max_uploads = 0;

  g_object_get (uploads, "max-uploads", &max_uploads, NULL);
  g_assert_cmpuint (max_uploads, ==, SHOAL_DEFAULT_UPLOAD_SLOTS);
  /* Both caps there from the start, lifted. */
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_upload_server_get_rate_limit (uploads)), ==, 0);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_transfers_get_rate_limit (transfers)), ==, 0);
  answer = shoal_test_api_call (api, "PATCH", SETTINGS, body, 200);
  assert_names (answer, "applied", applied);
  assert_names (answer, "restart_required", none);

  g_object_get (uploads, "max-uploads", &max_uploads, NULL);
  g_assert_cmpuint (max_uploads, ==, 7);
  g_assert_cmpuint (api->config->node->upload_limit_kbps, ==, 512);
  g_assert_cmpuint (api->config->node->download_limit_kbps, ==, 64);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_upload_server_get_rate_limit (uploads)), ==,
                    512 * SHOAL_RATE_LIMIT_BYTES_PER_KBIT);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_transfers_get_rate_limit (transfers)), ==,
                    64 * SHOAL_RATE_LIMIT_BYTES_PER_KBIT);
  file = read_config_file (api);
  g_assert_nonnull (strstr (file, "[transfers]\nupload-slots=7\nupload-limit-kbps=512\n"
                                  "download-limit-kbps=64\n"));
  patch_refused (api, "{\"transfers.upload-slots\": 0}", "transfers.upload-slots");
  patch_refused (api, "{\"transfers.upload-slots\": 65}", "transfers.upload-slots");
  g_object_get (uploads, "max-uploads", &max_uploads, NULL);
  g_assert_cmpuint (max_uploads, ==, 7);

  /* 0 lifts a cap. */
  lifted = shoal_test_api_call (api, "PATCH", SETTINGS, "{\"transfers.download-limit-kbps\": 0}",
                                200);
  assert_names (lifted, "applied", lifted_names);
  g_assert_cmpuint (shoal_rate_limit_get_rate (shoal_transfers_get_rate_limit (transfers)), ==, 0);
}

/* A restart key is saved, said to need a restart and left running as it
 * is; a live key beside it applies. */
static void
test_patch_restart (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  const char *const applied[] = { "transfers.upload-kbps", NULL };
  const char *const restart[] = { "network.port", "api.port", NULL };
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree char *file = NULL;
  g_autoptr(ShoaldConfig) saved = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = shoal_node_manager_get_port (node_manager (api));

  answer = shoal_test_api_call (api, "PATCH", SETTINGS,
                                "{\"network.port\": 7000, \"transfers.upload-kbps\": 99, "
                                "\"api.port\": \"7001\"}", 200);
  assert_names (answer, "applied", applied);
  assert_names (answer, "restart_required", restart);

  g_assert_cmpuint (shoal_node_manager_get_port (node_manager (api)), ==, port);
  g_assert_cmpuint (api->config->node->port, ==, 0);
  g_assert_cmpuint (api->config->api_port, ==, SHOALD_API_DEFAULT_PORT);
  g_assert_cmpuint (shoal_node_manager_get_config (node_manager (api))->upload_kbps, ==, 99);
  /* What runs is what GET says. */
  after = shoal_test_api_call (api, "GET", SETTINGS, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (find_setting (after, "network.port"), "value"), ==, "0");

  /* The next start reads them: the file was made with its folder. */
  file = read_config_file (api);
  g_assert_true (g_str_has_prefix (file, "# shoal.conf"));
  saved = shoald_config_load_file (api->config_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->node->port, ==, 7000);
  g_assert_cmpuint (saved->api_port, ==, 7001);
  g_assert_cmpuint (saved->node->upload_kbps, ==, 99);
}

/* One bad value or unknown key: 400 naming it, and nothing changed,
 * not even the good values beside it. */
static void
test_patch_refused (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  g_autoptr(ShoaldConfig) before = shoald_config_copy (api->config);
  g_autofree char *file = NULL;

  write_config_file (api, USER_FILE);
  patch_refused (api, "{\"roles.ultrapeer-leaf-slots\": 40, \"network.port\": \"abc\"}",
                 "network.port: expected a number from 0 to 65535, got “abc”");
  patch_refused (api, "{\"roles.ultrapeer-leaf-slots\": 40, \"network.prot\": 1}",
                 "unknown key “network.prot”");
  patch_refused (api, "{\"roles.role\": \"Leaf\"}", "roles.role");
  patch_refused (api, "{\"roles.ultrapeer-leaf-slots\": -3}", "roles.ultrapeer-leaf-slots");
  patch_refused (api, "{\"roles.ultrapeer-leaf-slots\": 4.5}", "roles.ultrapeer-leaf-slots");
  patch_refused (api, "{\"library.browse-host\": null}", "library.browse-host");
  patch_refused (api, "{\"bootstrap.anchors\": [\"a:1\"]}", "bootstrap.anchors");
  patch_refused (api, "[\"roles.role\"]", "object");

  g_assert_true (shoald_config_equal (api->config, before));
  g_assert_cmpuint (shoal_node_manager_get_config (node_manager (api))->ultrapeer_leaf_slots, ==,
                    SHOAL_DEFAULT_ULTRAPEER_LEAF_SLOTS);
  file = read_config_file (api);
  g_assert_cmpstr (file, ==, USER_FILE);
}

typedef struct
{
  ShoalLibrary *library;
  guint         roots;
} RootsWait;

static gboolean
has_roots (gpointer data)
{
  RootsWait *wait = data;

  return g_list_model_get_n_items (shoal_library_get_roots (wait->library)) == wait->roots &&
         !shoal_library_get_busy (wait->library);
}

/* library.shares adds and removes the library's roots while it runs. */
static void
test_patch_shares (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  const char *const applied[] = { "library.shares", NULL };
  g_autofree char *share_dir = g_build_filename (api->data_dir, "share", NULL);
  g_autofree char *body = g_strdup_printf ("{\"library.shares\": \"%s\"}", share_dir);
  g_autoptr(JsonObject) added = NULL;
  g_autoptr(JsonObject) removed = NULL;
  g_autoptr(ShoalSharedRoot) root = NULL;
  RootsWait wait = { api->library, 1 };

  g_assert_cmpint (g_mkdir (share_dir, 0700), ==, 0);
  added = shoal_test_api_call (api, "PATCH", SETTINGS, body, 200);
  assert_names (added, "applied", applied);
  shoal_test_wait_until (has_roots, &wait, TIMEOUT_MS, "the shared folder");
  root = g_list_model_get_item (shoal_library_get_roots (api->library), 0);
  g_assert_cmpstr (shoal_shared_root_get_path (root), ==, share_dir);

  removed = shoal_test_api_call (api, "PATCH", SETTINGS, "{\"library.shares\": \"\"}", 200);
  assert_names (removed, "applied", applied);
  wait.roots = 0;
  shoal_test_wait_until (has_roots, &wait, TIMEOUT_MS, "the folder no longer shared");
  g_assert_null (api->config->shares);
}

static gboolean
has_one_link (gpointer data)
{
  return shoal_node_manager_get_link_count (data) == 1;
}

/* A new anchor is dialled at once, without a restart. */
static void
test_patch_anchor (void)
{
  g_autoptr(ShoalTestApi) api = shoal_test_api_new (&settings_api);
  g_autoptr(ShoalNodeConfig) config = shoal_node_config_new_default ();
  g_autofree char *peer_dir = g_build_filename (api->data_dir, "peer", NULL);
  g_autoptr(ShoalServent) peer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *body = NULL;
  const char *const applied[] = { "bootstrap.anchors", NULL };

  g_free (config->data_dir);
  config->data_dir = g_strdup (peer_dir);
  config->download_dir = g_build_filename (peer_dir, "complete", NULL);
  config->listen_address = g_strdup ("127.0.0.1");
  config->port = 0;
  config->allow_private = TRUE;
  config->default_bootstrap = FALSE;
  config->anchors_only = TRUE;
  config->role_mode = SHOAL_ROLE_MODE_ULTRAPEER;
  peer = shoal_servent_new (config, NULL);
  g_assert_true (shoal_servent_start (peer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (shoal_node_manager_get_link_count (node_manager (api)), ==, 0);

  body = g_strdup_printf ("{\"bootstrap.anchors\": \"127.0.0.1:%u\"}",
                          shoal_node_manager_get_port (shoal_servent_get_node_manager (peer)));
  answer = shoal_test_api_call (api, "PATCH", SETTINGS, body, 200);
  assert_names (answer, "applied", applied);
  shoal_test_wait_until (has_one_link, node_manager (api), TIMEOUT_MS, "a link to the new anchor");
  g_assert_cmpuint (shoal_node_manager_get_config (node_manager (api))->anchors->len, ==, 1);

  shoal_servent_shutdown (peer);
  g_object_run_dispose (G_OBJECT (peer));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-settings/get", test_get);
  g_test_add_func ("/api-settings/patch-live", test_patch_live);
  g_test_add_func ("/api-settings/patch-transfer-caps", test_patch_transfer_caps);
  g_test_add_func ("/api-settings/patch-restart", test_patch_restart);
  g_test_add_func ("/api-settings/patch-refused", test_patch_refused);
  g_test_add_func ("/api-settings/patch-shares", test_patch_shares);
  g_test_add_func ("/api-settings/patch-anchor", test_patch_anchor);
  return g_test_run ();
}
