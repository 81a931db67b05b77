/* test-shoald-config.c — shoald's settings file: defaults, every kind of
 * value, errors naming the file, line and key, the printed default file,
 * command-line options over the file, keys read, set and saved by name,
 * and which changed keys wait for a restart. */
#include "shoald-config.h"
#include "shoald-log.h"
#include "shoal-test-node.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define FILE_NAME "test.conf"
#define EXIT_USAGE 2

static ShoaldConfig *
load_text (const char  *text,
           GError     **error)
{
  return shoald_config_load_data (text, strlen (text), FILE_NAME, error);
}

static ShoaldConfig *
load_good (const char *text)
{
  g_autoptr(GError) error = NULL;
  ShoaldConfig *config = load_text (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static void
assert_load_fails (const char        *text,
                   gint               code,
                   const char        *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoaldConfig) config = load_text (text, &error);

  g_assert_null (config);
  g_assert_error (error, SHOALD_CONFIG_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_defaults (void)
{
  g_autoptr(ShoaldConfig) defaults = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) empty = load_good ("");
  g_autoptr(ShoaldConfig) comments = load_good ("# nothing set\n\n[network]\n  # still nothing\n");
  g_autoptr(ShoaldConfig) missing = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (defaults->node->port, ==, SHOAL_DEFAULT_PORT);
  g_assert_null (defaults->shares);
  g_assert_true (defaults->node->lan_discovery);
  g_assert_false (defaults->node->lan_only);
  g_assert_cmpuint (defaults->node->manual_peers->len, ==, 0);
  g_assert_cmpuint (defaults->node->upload_slots, ==, SHOAL_DEFAULT_UPLOAD_SLOTS);
  g_assert_cmpuint (defaults->node->upload_limit_kbps, ==, 0);
  g_assert_cmpuint (defaults->node->download_limit_kbps, ==, 0);
  g_assert_true (shoald_config_equal (empty, defaults));
  g_assert_true (shoald_config_equal (comments, defaults));
  g_assert_true (g_str_has_suffix (empty->node->data_dir, "/shoal"));

  missing = shoald_config_load_file ("/nonexistent/shoal.conf", &error);
  g_assert_null (missing);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_every_type (void)
{
  g_autoptr(ShoaldConfig) config = load_good (
    "# A comment\n"
    "[network]\n"
    "port = 7000\n"
    "listen-address=127.0.0.7\n"
    "allow-private=true\n"
    "lan-discovery=false\n"
    "lan-only=true\n"
    "max-dials=9\n"
    "[roles]\n"
    "role=ultrapeer\n"
    "leaf-ultrapeer-slots=2\n"
    "ultrapeer-peer-slots=40\n"
    "ultrapeer-leaf-slots=0\n"
    "qrp-period-s=5\n"
    "promote-after-s=60\n"
    "demote-after-s=120\n"
    "switch-interval-s=30\n"
    "min-descriptors=512\n"
    "min-upload-kbps=100\n"
    "[bootstrap]\n"
    "anchors-only=true\n"
    "default-bootstrap=false\n"
    "[library]\n"
    "data-dir=/tmp/shoal data\n"
    "browse-host=false\n"
    "[transfers]\n"
    "download-dir=/tmp/downloads\n"
    "upload-kbps=2048  \n"
    "upload-slots=12\n"
    "upload-limit-kbps=512\n"
    "download-limit-kbps=8000\n");
  ShoalNodeConfig *node = config->node;

  g_assert_cmpuint (node->port, ==, 7000);
  g_assert_cmpstr (node->listen_address, ==, "127.0.0.7");
  g_assert_true (node->allow_private);
  g_assert_false (node->lan_discovery);
  g_assert_true (node->lan_only);
  g_assert_cmpuint (node->max_dials, ==, 9);
  g_assert_cmpint (node->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  g_assert_cmpuint (node->leaf_ultrapeer_slots, ==, 2);
  g_assert_cmpuint (node->ultrapeer_peer_slots, ==, 40);
  g_assert_cmpuint (node->ultrapeer_leaf_slots, ==, 0);
  g_assert_cmpuint (node->qrp_period_ms, ==, 5000);
  g_assert_cmpuint (node->role_thresholds.min_uptime_s, ==, 60);
  g_assert_cmpuint (node->role_thresholds.demote_after_s, ==, 120);
  g_assert_cmpuint (node->role_thresholds.switch_interval_s, ==, 30);
  g_assert_cmpuint (node->role_thresholds.min_descriptors, ==, 512);
  g_assert_cmpuint (node->role_thresholds.min_upload_kbps, ==, 100);
  g_assert_true (node->anchors_only);
  g_assert_false (node->default_bootstrap);
  g_assert_cmpstr (node->data_dir, ==, "/tmp/shoal data");
  g_assert_false (node->browse_host);
  g_assert_cmpstr (node->download_dir, ==, "/tmp/downloads");
  g_assert_cmpuint (node->upload_kbps, ==, 2048);
  g_assert_cmpuint (node->upload_slots, ==, 12);
  g_assert_cmpuint (node->upload_limit_kbps, ==, 512);
  g_assert_cmpuint (node->download_limit_kbps, ==, 8000);
}

static void
test_lists (void)
{
  g_autoptr(ShoaldConfig) config = load_good (
    "[network]\n"
    "manual-peers=10.0.0.2:6346;nas.local:6347\n"
    "[bootstrap]\n"
    "anchors = 127.0.0.10:16346; anchor.example.org:6346;\n"
    "udp-host-caches=uhc.example.org:9999\n"
    "gwebcaches=http://gwc.example.org/gwc.php;HTTP://other.example.org/\n"
    "[library]\n"
    "shares=/srv/music;;/srv/a\\;b\n");
  g_autoptr(ShoaldConfig) empty = load_good ("[library]\nshares=\n[bootstrap]\nanchors= ; \n");
  const char *const shares[] = { "/srv/music", "/srv/a;b", NULL };
  const char *const gwebcaches[] = { "http://gwc.example.org/gwc.php", "HTTP://other.example.org/", NULL };

  g_assert_cmpuint (config->node->anchors->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (config->node->anchors, 0), ==, "127.0.0.10:16346");
  g_assert_cmpstr (g_ptr_array_index (config->node->anchors, 1), ==, "anchor.example.org:6346");
  g_assert_cmpuint (config->node->manual_peers->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (config->node->manual_peers, 0), ==, "10.0.0.2:6346");
  g_assert_cmpstr (g_ptr_array_index (config->node->manual_peers, 1), ==, "nas.local:6347");
  g_assert_cmpstrv (config->node->udp_host_caches, ((const char *const[]) { "uhc.example.org:9999", NULL }));
  g_assert_cmpstrv (config->node->gwebcaches, gwebcaches);
  g_assert_cmpstrv (config->shares, shares);

  /* An empty list keeps the default. */
  g_assert_null (empty->shares);
  g_assert_cmpuint (empty->node->anchors->len, ==, 0);

  assert_load_fails ("[bootstrap]\nanchors=good.example.org:1;bad.example.org\n",
                     SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":2: key “anchors” in [bootstrap]: "
                     "expected host:port, got “bad.example.org”");
  assert_load_fails ("[network]\nmanual-peers=10.0.0.2:6346;10.0.0.3\n",
                     SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":2: key “manual-peers” in [network]: "
                     "expected host:port, got “10.0.0.3”");
  assert_load_fails ("[bootstrap]\n\nudp-host-caches=uhc.example.org:0\n",
                     SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":3: key “udp-host-caches” in [bootstrap]: "
                     "expected host:port, got “uhc.example.org:0”");
  assert_load_fails ("[bootstrap]\ngwebcaches=ftp://gwc.example.org/\n",
                     SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":2: key “gwebcaches” in [bootstrap]: "
                     "expected an http:// URL, got “ftp://gwc.example.org/”");
}

static void
test_role (void)
{
  const struct
  {
    const char    *text;
    ShoalRoleMode  mode;
  } roles[] = {
    { "[roles]\nrole=auto\n", SHOAL_ROLE_MODE_AUTO },
    { "[roles]\nrole=leaf\n", SHOAL_ROLE_MODE_LEAF },
    { "[roles]\nrole = ultrapeer\n", SHOAL_ROLE_MODE_ULTRAPEER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autoptr(ShoaldConfig) config = load_good (roles[i].text);

      g_assert_cmpint (config->node->role_mode, ==, roles[i].mode);
    }
  assert_load_fails ("[roles]\nrole=Leaf\n", SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":2: key “role” in [roles]: "
                     "expected auto, leaf or ultrapeer, got “Leaf”");
}

static void
test_bad_values (void)
{
  const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "[network]\nport=abc\n",
      FILE_NAME ":2: key “port” in [network]: expected a number from 0 to 65535, got “abc”" },
    { "# port\n[network]\n\nport=65536\n",
      FILE_NAME ":4: key “port” in [network]: expected a number from 0 to 65535, got “65536”" },
    { "[network]\nport=-1\n",
      FILE_NAME ":2: key “port” in [network]: expected a number from 0 to 65535, got “-1”" },
    { "[network]\nport=\n",
      FILE_NAME ":2: key “port” in [network]: expected a number from 0 to 65535, got “”" },
    { "[network]\nmax-dials=0\n",
      FILE_NAME ":2: key “max-dials” in [network]: expected a number from 1 to 256, got “0”" },
    { "[network]\nallow-private=yes\n",
      FILE_NAME ":2: key “allow-private” in [network]: expected true or false, got “yes”" },
    { "[network]\nlan-discovery=off\n",
      FILE_NAME ":2: key “lan-discovery” in [network]: expected true or false, got “off”" },
    { "[network]\nlan-only=1\n",
      FILE_NAME ":2: key “lan-only” in [network]: expected true or false, got “1”" },
    { "[roles]\nqrp-period-s=3601\n",
      FILE_NAME ":2: key “qrp-period-s” in [roles]: expected a number from 0 to 3600, got “3601”" },
    { "[transfers]\nupload-kbps=1e3\n",
      FILE_NAME ":2: key “upload-kbps” in [transfers]: "
      "expected a number from 0 to 100000000, got “1e3”" },
    { "[transfers]\nupload-slots=0\n",
      FILE_NAME ":2: key “upload-slots” in [transfers]: expected a number from 1 to 64, got “0”" },
    { "[transfers]\nupload-slots=65\n",
      FILE_NAME ":2: key “upload-slots” in [transfers]: expected a number from 1 to 64, got “65”" },
    { "[transfers]\nupload-limit-kbps=fast\n",
      FILE_NAME ":2: key “upload-limit-kbps” in [transfers]: "
      "expected a number from 0 to 100000000, got “fast”" },
    { "[transfers]\ndownload-limit-kbps=100000001\n",
      FILE_NAME ":2: key “download-limit-kbps” in [transfers]: "
      "expected a number from 0 to 100000000, got “100000001”" },
    { "[library]\ndata-dir=/srv/\\q\n",
      FILE_NAME ":2: key “data-dir” in [library]: "
      "expected UTF-8 text with valid escapes, got “/srv/\\q”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_load_fails (cases[i].text, SHOALD_CONFIG_ERROR_BAD_VALUE, cases[i].message);
}

static void
test_unknown (void)
{
  assert_load_fails ("[network]\nport=6346\n\nprot=6346\n", SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                     FILE_NAME ":4: unknown key “prot” in [network]");
  /* A known key, in the wrong section. */
  assert_load_fails ("[network]\nrole=leaf\n", SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                     FILE_NAME ":2: unknown key “role” in [network]");
  /* GKeyFile reads it as a translation of port. */
  assert_load_fails ("[network]\nport[fr]=6346\n", SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                     FILE_NAME ":2: unknown key “port[fr]” in [network]");
  assert_load_fails ("[network]\nport=6346\n[netwrok]\nport=6346\n", SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                     FILE_NAME ":3: unknown section [netwrok]");
}

static void
test_syntax (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoaldConfig) config = load_text ("[network]\nport=1\n\n# fine\nport\nmax-dials=2\n", &error);

  g_assert_null (config);
  g_assert_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_SYNTAX);
  g_assert_true (g_str_has_prefix (error->message, FILE_NAME ":5: "));
  g_clear_error (&error);

  /* Keys before any group. */
  config = load_text ("# settings\n\nport=1\n", &error);
  g_assert_null (config);
  g_assert_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_SYNTAX);
  g_assert_true (g_str_has_prefix (error->message, FILE_NAME ":3: "));
  g_clear_error (&error);

  /* The last line, without its newline. */
  config = load_text ("[network]\nport=1\n[roles", &error);
  g_assert_null (config);
  g_assert_true (g_str_has_prefix (error->message, FILE_NAME ":3: "));
}

/* GKeyFile keeps the last of two values; the error points at it. */
static void
test_repeated (void)
{
  g_autoptr(ShoaldConfig) config = load_good ("[network]\nport=1\n[roles]\nrole=leaf\n[network]\nport=2\n");

  g_assert_cmpuint (config->node->port, ==, 2);
  g_assert_cmpint (config->node->role_mode, ==, SHOAL_ROLE_MODE_LEAF);
  assert_load_fails ("[network]\nport=1\nport=x\n", SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":3: key “port” in [network]: expected a number from 0 to 65535, got “x”");
}

static void
test_equal (void)
{
  g_autoptr(ShoaldConfig) a = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) b = shoald_config_new_default ();

  g_assert_true (shoald_config_equal (a, b));
  b->node->role_thresholds.min_descriptors++;
  g_assert_false (shoald_config_equal (a, b));
  b->node->role_thresholds.min_descriptors--;
  g_ptr_array_add (b->node->anchors, g_strdup ("host:1"));
  g_assert_false (shoald_config_equal (a, b));
  g_ptr_array_set_size (b->node->anchors, 0);
  b->shares = g_strdupv ((char *[]) { "/srv", NULL });
  g_assert_false (shoald_config_equal (a, b));
  g_clear_pointer (&b->shares, g_strfreev);
  g_assert_true (shoald_config_equal (a, b));
}

/* Every key is in the printed file with its default, and the file loads
 * back into the defaults. */
static void
test_print_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("shoal-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (directory, "shoal.conf", NULL);
  g_autofree char *text = shoald_config_print_default ();
  g_autoptr(ShoaldConfig) defaults = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) loaded = NULL;
  const char *const lines[] = {
    "[network]\n", "\nport=6346\n", "\nlan-discovery=true\n", "\nlan-only=false\n",
    "\nmanual-peers=\n", "\nrole=auto\n", "\nqrp-period-s=0\n",
    "\nupload-kbps=1024\n", "\nupload-slots=4\n", "\nupload-limit-kbps=0\n",
    "\ndownload-limit-kbps=0\n", "\nbrowse-host=true\n", "\nanchors=\n", "\nshares=\n",
    "\n[transfers]\n", "\n[api]\n", "\naddress=127.0.0.1\n", "\nport=6348\n",
    "\n[service]\n", "\nlog-file=\n",
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    g_assert_nonnull (strstr (text, lines[i]));
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  loaded = shoald_config_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (shoald_config_equal (loaded, defaults));
  shoal_test_remove_tree (directory);
}

static void
test_options_override (void)
{
  const char *file =
    "[network]\nport=7000\nlisten-address=127.0.0.7\nmanual-peers=10.0.0.9:6346\n"
    "[roles]\nrole=leaf\npromote-after-s=60\n"
    "[bootstrap]\nanchors=a.example.org:1\n"
    "[library]\nshares=/srv/file-share\nbrowse-host=true\n";
  g_autoptr(ShoaldConfig) config = load_good (file);
  g_autoptr(ShoaldConfig) before = load_good (file);
  g_auto(ShoaldOptions) options = { NULL };
  const char *const shares[] = { "/srv/option-share", NULL };

  /* Nothing given: the file stands. */
  g_assert_true (shoald_config_apply_options (config, &options, NULL));
  g_assert_true (shoald_config_equal (config, before));

  options.port = g_strdup ("7100");
  options.role = g_strdup ("ultrapeer");
  options.qrp_period_s = g_strdup ("2");
  options.anchors = g_strdupv ((char *[]) { "b.example.org:2", "c.example.org:3", NULL });
  options.shares = g_strdupv ((char **) shares);
  options.no_browse_host = TRUE;
  options.allow_private = TRUE;
  options.no_lan_discovery = TRUE;
  options.lan_only = TRUE;
  options.manual_peers = g_strdupv ((char *[]) { "10.0.0.2:6346", "nas.local:6347", NULL });
  options.upload_slots = g_strdup ("2");
  options.upload_limit_kbps = g_strdup ("256");
  options.download_limit_kbps = g_strdup ("1024");
  g_assert_true (shoald_config_apply_options (config, &options, NULL));

  g_assert_cmpuint (config->node->port, ==, 7100);
  g_assert_cmpint (config->node->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  g_assert_cmpuint (config->node->qrp_period_ms, ==, 2000);
  g_assert_cmpuint (config->node->anchors->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (config->node->anchors, 0), ==, "b.example.org:2");
  g_assert_cmpstrv (config->shares, shares);
  g_assert_false (config->node->browse_host);
  g_assert_true (config->node->allow_private);
  g_assert_false (config->node->lan_discovery);
  g_assert_true (config->node->lan_only);
  g_assert_cmpuint (config->node->upload_slots, ==, 2);
  g_assert_cmpuint (config->node->upload_limit_kbps, ==, 256);
  g_assert_cmpuint (config->node->download_limit_kbps, ==, 1024);
  /* --peer replaces the file's manual peers, as --anchor its anchors. */
  g_assert_cmpuint (config->node->manual_peers->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (config->node->manual_peers, 0), ==, "10.0.0.2:6346");
  g_assert_cmpstr (g_ptr_array_index (config->node->manual_peers, 1), ==, "nas.local:6347");
  /* What no option said stays as the file has it. */
  g_assert_cmpstr (config->node->listen_address, ==, "127.0.0.7");
  g_assert_cmpuint (config->node->role_thresholds.min_uptime_s, ==, 60);
  g_assert_true (config->node->default_bootstrap);
}

static void
test_options_errors (void)
{
  const struct
  {
    gsize       offset;
    const char *value;
    const char *message;
  } cases[] = {
    { G_STRUCT_OFFSET (ShoaldOptions, port), "abc",
      "--port: expected a number from 0 to 65535, got “abc”" },
    { G_STRUCT_OFFSET (ShoaldOptions, role), "peer",
      "--role: expected auto, leaf or ultrapeer, got “peer”" },
    { G_STRUCT_OFFSET (ShoaldOptions, qrp_period_s), "7200",
      "--qrp-period: expected a number from 0 to 3600, got “7200”" },
    { G_STRUCT_OFFSET (ShoaldOptions, upload_kbps), "-5",
      "--upload-kbps: expected a number from 0 to 100000000, got “-5”" },
    { G_STRUCT_OFFSET (ShoaldOptions, upload_slots), "100",
      "--upload-slots: expected a number from 1 to 64, got “100”" },
    { G_STRUCT_OFFSET (ShoaldOptions, upload_limit_kbps), "1k",
      "--upload-limit-kbps: expected a number from 0 to 100000000, got “1k”" },
    { G_STRUCT_OFFSET (ShoaldOptions, download_limit_kbps), "",
      "--download-limit-kbps: expected a number from 0 to 100000000, got “”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
      g_auto(ShoaldOptions) options = { NULL };
      gpointer field = (guint8 *) &options + cases[i].offset;
      char **slot = field;
      g_autoptr(GError) error = NULL;

      *slot = g_strdup (cases[i].value);
      g_assert_false (shoald_config_apply_options (config, &options, &error));
      g_assert_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_BAD_VALUE);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  {
    g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
    g_auto(ShoaldOptions) options = { NULL };
    g_autoptr(GError) error = NULL;

    options.anchors = g_strdupv ((char *[]) { "host-without-port", NULL });
    g_assert_false (shoald_config_apply_options (config, &options, &error));
    g_assert_cmpstr (error->message, ==, "--anchor: expected host:port, got “host-without-port”");
  }

  {
    g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
    g_auto(ShoaldOptions) options = { NULL };
    g_autoptr(GError) error = NULL;

    options.manual_peers = g_strdupv ((char *[]) { "10.0.0.2:6346", "10.0.0.3:0", NULL });
    g_assert_false (shoald_config_apply_options (config, &options, &error));
    g_assert_cmpstr (error->message, ==, "--peer: expected host:port, got “10.0.0.3:0”");
    g_assert_cmpuint (config->node->manual_peers->len, ==, 0);
  }
}

static void
test_service_keys (void)
{
  g_autoptr(ShoaldConfig) defaults = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) config = load_good ("[api]\naddress=::1\nport=7001\n"
                                              "[service]\nlog-file=/var/log/shoal/shoald.log\n");
  g_autoptr(ShoaldConfig) optioned = load_good ("[api]\naddress=10.0.0.1\n");
  g_auto(ShoaldOptions) options = { NULL };
  g_auto(ShoaldOptions) bad_options = { NULL };
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (defaults->api_address, ==, SHOALD_API_DEFAULT_ADDRESS);
  g_assert_cmpuint (defaults->api_port, ==, SHOALD_API_DEFAULT_PORT);
  g_assert_null (defaults->log_file);
  g_assert_cmpstr (config->api_address, ==, "::1");
  g_assert_cmpuint (config->api_port, ==, 7001);
  g_assert_cmpstr (config->log_file, ==, "/var/log/shoal/shoald.log");

  assert_load_fails ("[api]\naddress=localhost\n", SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":2: key “address” in [api]: expected an IP address, got “localhost”");
  assert_load_fails ("[api]\nport=70000\n", SHOALD_CONFIG_ERROR_BAD_VALUE,
                     FILE_NAME ":2: key “port” in [api]: expected a number from 0 to 65535, got “70000”");
  assert_load_fails ("[service]\nlog=x\n", SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                     FILE_NAME ":2: unknown key “log” in [service]");

  options.api_port = g_strdup ("0");
  options.log_file = g_strdup ("/tmp/shoald.log");
  g_assert_true (shoald_config_apply_options (optioned, &options, NULL));
  g_assert_cmpuint (optioned->api_port, ==, 0);
  g_assert_cmpstr (optioned->log_file, ==, "/tmp/shoald.log");
  g_assert_cmpstr (optioned->api_address, ==, "10.0.0.1");

  bad_options.api_address = g_strdup ("my.host");
  g_assert_false (shoald_config_apply_options (optioned, &bad_options, &error));
  g_assert_cmpstr (error->message, ==, "--api-address: expected an IP address, got “my.host”");
}

static void
test_key_list (void)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *printed = shoald_config_print_default ();
  ShoaldConfigKeyInfo info;
  guint count = 0;

  for (guint i = 0; shoald_config_get_key_info (i, &info); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n%s=%s\n", strchr (info.name, '.') + 1,
                                               info.default_text);

      g_assert_true (g_hash_table_add (names, (gpointer) info.name));
      g_assert_cmpstr (info.description, !=, "");
      /* Every key is in the printed file, with the default listed. */
      g_assert_nonnull (strstr (printed, line));
      count++;
    }
  /* ...and the file has no key the list lacks. */
  {
    g_auto(GStrv) lines = g_strsplit (printed, "\n", -1);
    guint keys_printed = 0;

    for (guint i = 0; lines[i] != NULL; i++)
      keys_printed += lines[i][0] != '#' && lines[i][0] != '[' && strchr (lines[i], '=') != NULL;
    g_assert_cmpuint (keys_printed, ==, count);
  }

  g_assert_true (shoald_config_find_key ("network.port", &info));
  g_assert_cmpstr (info.name, ==, "network.port");
  g_assert_cmpstr (info.default_text, ==, "6346");
  g_assert_false (info.live);
  g_assert_true (shoald_config_find_key ("roles.ultrapeer-leaf-slots", &info));
  g_assert_true (info.live);
  g_assert_true (shoald_config_find_key ("service.log-file", &info));
  g_assert_true (info.live);
  g_assert_true (shoald_config_find_key ("api.port", &info));
  g_assert_false (info.live);
  g_assert_false (shoald_config_find_key ("network", &info));
  g_assert_false (shoald_config_find_key ("port", &info));
  g_assert_false (shoald_config_find_key ("network.prot", &info));
}

static void
assert_text (const ShoaldConfig *config,
             const char         *name,
             const char         *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = shoald_config_get_text (config, name, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, expected);
}

static void
set_good (ShoaldConfig *config,
          const char   *name,
          const char   *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoald_config_set_text (config, name, text, &error));
  g_assert_no_error (error);
}

/* Texts are what the file holds: numbers in the file's unit, lists with
 * GKeyFile's separators and escapes. */
static void
test_get_set_text (void)
{
  g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) defaults = shoald_config_new_default ();
  const char *const shares[] = { "/srv/a;b", "/srv/c", NULL };
  g_autoptr(GError) error = NULL;

  assert_text (config, "network.port", "6346");
  assert_text (config, "roles.role", "auto");
  assert_text (config, "roles.qrp-period-s", "0");
  assert_text (config, "library.browse-host", "true");
  assert_text (config, "bootstrap.anchors", "");
  assert_text (config, "network.lan-discovery", "true");
  assert_text (config, "network.lan-only", "false");
  assert_text (config, "network.manual-peers", "");
  assert_text (config, "library.shares", "");
  assert_text (config, "api.address", "127.0.0.1");
  assert_text (config, "service.log-file", "");
  g_assert_null (shoald_config_get_text (config, "network.nope", &error));
  g_assert_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);

  set_good (config, "roles.qrp-period-s", " 5 ");
  g_assert_cmpuint (config->node->qrp_period_ms, ==, 5000);
  assert_text (config, "roles.qrp-period-s", "5");
  set_good (config, "roles.role", "ultrapeer");
  g_assert_cmpint (config->node->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  set_good (config, "bootstrap.anchors", "a.example.org:1; b.example.org:2");
  g_assert_cmpuint (config->node->anchors->len, ==, 2);
  assert_text (config, "bootstrap.anchors", "a.example.org:1;b.example.org:2;");
  set_good (config, "network.manual-peers", "10.0.0.2:6346;");
  g_assert_cmpuint (config->node->manual_peers->len, ==, 1);
  g_assert_true (shoal_node_config_has_manual_peer (config->node, "10.0.0.2:6346"));
  assert_text (config, "network.manual-peers", "10.0.0.2:6346;");
  /* The anchors are their own list. */
  g_assert_cmpuint (config->node->anchors->len, ==, 2);
  set_good (config, "network.lan-discovery", "false");
  g_assert_false (config->node->lan_discovery);
  set_good (config, "library.shares", "/srv/a\\;b;/srv/c");
  g_assert_cmpstrv (config->shares, shares);
  assert_text (config, "library.shares", "/srv/a\\;b;/srv/c;");
  set_good (config, "network.listen-address", "  127.0.0.9");
  assert_text (config, "network.listen-address", "127.0.0.9");
  set_good (config, "transfers.download-dir", "/srv/back\\\\slash\\tab");
  g_assert_cmpstr (config->node->download_dir, ==, "/srv/back\\slash\tab");
  assert_text (config, "transfers.download-dir", "/srv/back\\\\slash\tab");

  /* An empty text gives the default back, as an empty line in the file. */
  set_good (config, "library.shares", "");
  g_assert_null (config->shares);
  set_good (config, "bootstrap.anchors", " ; ");
  g_assert_cmpuint (config->node->anchors->len, ==, 0);
  set_good (config, "network.listen-address", "");
  g_assert_null (config->node->listen_address);
  set_good (config, "api.address", "");
  g_assert_cmpstr (config->api_address, ==, SHOALD_API_DEFAULT_ADDRESS);

  /* Every value read back in sets the same value. */
  {
    g_autoptr(ShoaldConfig) copy = shoald_config_copy (config);
    ShoaldConfigKeyInfo info;

    g_assert_true (shoald_config_equal (copy, config));
    for (guint i = 0; shoald_config_get_key_info (i, &info); i++)
      {
        g_autofree char *text = shoald_config_get_text (config, info.name, NULL);

        set_good (copy, info.name, text);
      }
    g_assert_true (shoald_config_equal (copy, config));
    g_assert_false (shoald_config_equal (copy, defaults));
  }
}

static void
assert_set_fails (const char *name,
                  const char *text,
                  gint        code,
                  const char *message)
{
  g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) before = shoald_config_new_default ();
  g_autoptr(GError) error = NULL;

  g_assert_false (shoald_config_set_text (config, name, text, &error));
  g_assert_error (error, SHOALD_CONFIG_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_true (shoald_config_equal (config, before));
}

/* Checked as the file is; the error names the key, the value is kept. */
static void
test_set_text_errors (void)
{
  assert_set_fails ("network.port", "x", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "network.port: expected a number from 0 to 65535, got “x”");
  assert_set_fails ("network.port", "", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "network.port: expected a number from 0 to 65535, got “”");
  assert_set_fails ("roles.role", "Leaf", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "roles.role: expected auto, leaf or ultrapeer, got “Leaf”");
  assert_set_fails ("library.browse-host", "1", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "library.browse-host: expected true or false, got “1”");
  assert_set_fails ("network.manual-peers", "10.0.0.2:6346;nas.local", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "network.manual-peers: expected host:port, got “nas.local”");
  assert_set_fails ("bootstrap.anchors", "good.example.org:1;bad", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "bootstrap.anchors: expected host:port, got “bad”");
  assert_set_fails ("library.data-dir", "/srv/\\q", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "library.data-dir: expected UTF-8 text with valid escapes, got “/srv/\\q”");
  assert_set_fails ("api.address", "localhost", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "api.address: expected an IP address, got “localhost”");
  assert_set_fails ("library.data-dir", "/srv\n[network]", SHOALD_CONFIG_ERROR_BAD_VALUE,
                    "library.data-dir: expected a single line, got “/srv\n[network]”");
  assert_set_fails ("network.prot", "1", SHOALD_CONFIG_ERROR_UNKNOWN_KEY, "unknown key “network.prot”");
  assert_set_fails ("port", "1", SHOALD_CONFIG_ERROR_UNKNOWN_KEY, "unknown key “port”");
}

static char *
make_folder (void)
{
  g_autoptr(GError) error = NULL;
  char *folder = g_dir_make_tmp ("shoal-config-XXXXXX", &error);

  g_assert_no_error (error);
  return folder;
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

static void
save_good (const ShoaldConfig *config,
           const char         *path,
           const char * const *names)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (shoald_config_save_keys (config, path, names, &error));
  g_assert_no_error (error);
}

/* Only the keys saved change; the user's comments, blank lines, keys,
 * commented-out keys and the file's mode stay. */
static void
test_save_keeps_the_rest (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoal.conf", NULL);
  g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *original =
    "# My shoal settings.\n"
    "\n"
    "[network]\n"
    "# the port my router forwards\n"
    "port = 7000\n"
    "#bogus-key=1\n"
    "allow-private=true\n"
    "\n"
    "[roles]\n"
    "# leaf on this laptop\n"
    "role=leaf\n"
    "# qrp-period-s=30\n";
  const char *const names[] = { "roles.role", "roles.ultrapeer-leaf-slots", "api.port",
                                "library.shares", NULL };
  const char *const kept[] = {
    /* GKeyFile writes every key as "name=value": the blanks around '=' go. */
    ("# My shoal settings.\n\n[network]\n# the port my router forwards\nport=7000\n"
     "#bogus-key=1\nallow-private=true\n\n[roles]\n# leaf on this laptop\nrole=ultrapeer\n"),
    "# qrp-period-s=30\n", "ultrapeer-leaf-slots=40\n", "[api]\nport=7001\n",
    "[library]\nshares=/srv/a\\;b;/srv/c;\n",
  };
  GStatBuf info;

  write_text (path, original);
  g_assert_cmpint (g_chmod (path, 0640), ==, 0);
  set_good (config, "roles.role", "ultrapeer");
  set_good (config, "roles.ultrapeer-leaf-slots", "40");
  set_good (config, "api.port", "7001");
  set_good (config, "library.shares", "/srv/a\\;b;/srv/c");
  /* Not saved: the file keeps its own. */
  set_good (config, "network.port", "9999");
  save_good (config, path, names);

  text = read_text (path);
  g_test_message ("saved:\n%s", text);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    g_assert_nonnull (strstr (text, kept[i]));
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0640);
  /* Saving again changes nothing more. */
  save_good (config, path, names);
  {
    g_autofree char *again = read_text (path);

    g_assert_cmpstr (again, ==, text);
  }

  loaded = shoald_config_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->node->port, ==, 7000);
  g_assert_true (loaded->node->allow_private);
  g_assert_cmpint (loaded->node->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  g_assert_cmpuint (loaded->node->ultrapeer_leaf_slots, ==, 40);
  g_assert_cmpuint (loaded->api_port, ==, 7001);
  g_assert_cmpstrv (loaded->shares, ((const char *const[]) { "/srv/a;b", "/srv/c", NULL }));
  shoal_test_remove_tree (folder);
}

/* No file yet: it is made, with its folders, private to its owner. */
static void
test_save_new_file (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "config", "shoal", "shoal.conf", NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *const names[] = { "network.max-dials", NULL };
  GStatBuf info;

  set_good (config, "network.max-dials", "9");
  save_good (config, path, names);
  text = read_text (path);
  g_assert_true (g_str_has_prefix (text, "# shoal.conf"));
  g_assert_nonnull (strstr (text, "[network]\nmax-dials=9\n"));
  loaded = shoald_config_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->node->max_dials, ==, 9);
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (parent, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0700);
  shoal_test_remove_tree (folder);
}

/* A file GKeyFile cannot read is never overwritten; a link's target is
 * rewritten, the link stays; an unknown name saves nothing. */
static void
test_save_refusals (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoal.conf", NULL);
  g_autofree char *target = g_build_filename (folder, "real.conf", NULL);
  g_autofree char *link = g_build_filename (folder, "link.conf", NULL);
  g_autoptr(ShoaldConfig) config = shoald_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *target_text = NULL;
  const char *const names[] = { "network.port", NULL };
  const char *const unknown[] = { "network.port", "network.nope", NULL };
  const char *broken = "[network\nport=1\n";

  write_text (path, broken);
  g_assert_false (shoald_config_save_keys (config, path, names, &error));
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);
  text = read_text (path);
  g_assert_cmpstr (text, ==, broken);

  write_text (target, "# mine\n[network]\nport=1\n");
  g_assert_cmpint (symlink ("real.conf", link), ==, 0);
  save_good (config, link, names);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  target_text = read_text (target);
  g_assert_cmpstr (target_text, ==, "# mine\n\n[network]\nport=6346\n");

  g_assert_false (shoald_config_save_keys (config, target, unknown, &error));
  g_assert_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_pointer (&target_text, g_free);
  target_text = read_text (target);
  g_assert_cmpstr (target_text, ==, "# mine\n\n[network]\nport=6346\n");
  shoal_test_remove_tree (folder);
}

static void
assert_names (GPtrArray          *names,
              const char * const *expected)
{
  g_assert_cmpuint (names->len, ==, g_strv_length ((GStrv) expected));
  for (guint i = 0; i < names->len; i++)
    g_assert_cmpstr (g_ptr_array_index (names, i), ==, expected[i]);
}

/* Which keys change live and which wait for a restart; the settings in
 * effect take the first and keep their running values of the others. */
static void
test_apply_live (void)
{
  g_autoptr(ShoaldConfig) current = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) wanted = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) unchanged = NULL;
  g_autoptr(GPtrArray) changed = NULL;
  g_autoptr(GPtrArray) restart = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) nothing = NULL;
  const char *const live[][2] = {
    { "network.max-dials", "9" }, { "roles.role", "leaf" }, { "roles.ultrapeer-leaf-slots", "40" },
    { "roles.qrp-period-s", "5" }, { "roles.promote-after-s", "10" },
    { "bootstrap.anchors", "a.example.org:1" }, { "bootstrap.anchors-only", "true" },
    { "bootstrap.default-bootstrap", "false" }, { "bootstrap.udp-host-caches", "u.example.org:1" },
    { "network.lan-discovery", "false" }, { "network.manual-peers", "10.0.0.2:6346;nas.local:1" },
    { "library.shares", "/srv/music" }, { "library.browse-host", "false" },
    { "transfers.upload-kbps", "99" }, { "transfers.upload-slots", "7" },
    { "transfers.upload-limit-kbps", "512" }, { "transfers.download-limit-kbps", "64" },
  };
  const char *const later[][2] = {
    { "network.port", "7000" }, { "network.listen-address", "127.0.0.2" },
    { "network.allow-private", "true" }, { "network.lan-only", "true" },
    { "library.data-dir", "/srv/data" },
    { "transfers.download-dir", "/srv/complete" }, { "api.address", "::1" }, { "api.port", "0" },
  };
  const char *const restart_names[] = {
    "network.port", "network.listen-address", "network.allow-private", "network.lan-only",
    "library.data-dir",
    "transfers.download-dir", "api.address", "api.port", NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (live); i++)
    set_good (wanted, live[i][0], live[i][1]);
  for (guint i = 0; i < G_N_ELEMENTS (later); i++)
    set_good (wanted, later[i][0], later[i][1]);
  changed = shoald_config_diff (current, wanted);
  g_assert_cmpuint (changed->len, ==, G_N_ELEMENTS (live) + G_N_ELEMENTS (later));

  restart = shoald_config_apply_live (current, wanted, NULL);
  assert_names (restart, restart_names);
  for (guint i = 0; i < G_N_ELEMENTS (live); i++)
    {
      g_autofree char *text = shoald_config_get_text (wanted, live[i][0], NULL);

      assert_text (current, live[i][0], text);
    }
  g_assert_cmpuint (current->node->port, ==, SHOAL_DEFAULT_PORT);
  g_assert_null (current->node->listen_address);
  g_assert_cmpuint (current->api_port, ==, SHOALD_API_DEFAULT_PORT);
  /* What still differs is what waits for the restart, and says so again. */
  pending = shoald_config_diff (current, wanted);
  assert_names (pending, restart_names);

  unchanged = shoald_config_copy (current);
  nothing = shoald_config_apply_live (current, unchanged, NULL);
  g_assert_cmpuint (nothing->len, ==, 0);
  g_assert_true (shoald_config_equal (current, unchanged));
}

/* The log file applies live: new lines go to the new file. */
static void
test_apply_live_log_file (void)
{
  g_autofree char *folder = make_folder ();
  g_autofree char *path = g_build_filename (folder, "shoald.log", NULL);
  g_autoptr(ShoaldConfig) current = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) wanted = shoald_config_new_default ();
  g_autoptr(ShoaldConfig) back = shoald_config_new_default ();
  g_autoptr(GPtrArray) restart = NULL;
  g_autoptr(GPtrArray) restart_back = NULL;
  g_autofree char *text = NULL;

  shoald_log_install ();
  set_good (wanted, "service.log-file", path);
  restart = shoald_config_apply_live (current, wanted, NULL);
  g_assert_cmpuint (restart->len, ==, 0);
  g_assert_cmpstr (current->log_file, ==, path);
  g_message ("into the new log file");
  restart_back = shoald_config_apply_live (current, back, NULL);
  g_assert_cmpuint (restart_back->len, ==, 0);
  g_assert_null (current->log_file);
  g_message ("back to stderr");
  text = read_text (path);
  g_assert_nonnull (strstr (text, "Message: into the new log file\n"));
  g_assert_null (strstr (text, "back to stderr"));
  shoal_test_remove_tree (folder);
}

/* shoald itself, with its configuration home in @directory; never starts
 * a servent (every run ends at its options or its file). */
static int
run_shoald (const char  *directory,
            const char  *const *arguments,
            char       **out,
            char       **err)
{
  const char *shoald = g_getenv ("SHOALD");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "XDG_CONFIG_HOME", directory, TRUE);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (shoald);
  g_ptr_array_add (argv, (gpointer) shoald);
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) arguments[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT,
                               NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_shoald (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("shoal-config-XXXXXX", &error);
  g_autofree char *bad = g_build_filename (directory, "bad.conf", NULL);
  g_autofree char *home_dir = g_build_filename (directory, "shoal", NULL);
  g_autofree char *home_file = g_build_filename (home_dir, "shoal.conf", NULL);
  g_autofree char *expected = shoald_config_print_default ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (run_shoald (directory, (const char *[]) { "--print-config", NULL }, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, expected);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* It never forks, and says so. */
  g_assert_cmpint (run_shoald (directory, (const char *[]) { "--help", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "--foreground"));
  g_assert_nonnull (strstr (out, "never forks"));
  g_assert_nonnull (strstr (out, "--log-file"));
  g_assert_nonnull (strstr (out, "--lan-only"));
  g_assert_nonnull (strstr (out, "--no-lan-discovery"));
  g_assert_nonnull (strstr (out, "--peer=HOST:PORT"));
  g_assert_nonnull (strstr (out, "--upload-slots=N"));
  g_assert_nonnull (strstr (out, "--upload-limit-kbps=KBPS"));
  g_assert_nonnull (strstr (out, "--download-limit-kbps=KBPS"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_true (g_file_set_contents (bad, "[network]\nport=abc\n", -1, &error));
  g_assert_cmpint (run_shoald (directory, (const char *[]) { "--config", bad, NULL }, &out, &err),
                   ==, EXIT_USAGE);
  g_assert_nonnull (strstr (err, "bad.conf:2: key "));
  g_assert_nonnull (strstr (err, "[network]"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A missing --config file is an error. */
  g_assert_cmpint (run_shoald (directory, (const char *[]) { "--config", home_file, NULL }, &out, &err),
                   ==, EXIT_USAGE);
  g_assert_nonnull (strstr (err, home_file));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The file in the configuration home is read when no --config is given. */
  g_assert_cmpint (g_mkdir (home_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (home_file, "[network]\n\nbogus=1\n", -1, &error));
  g_assert_cmpint (run_shoald (directory, (const char *[]) { NULL }, &out, &err), ==, EXIT_USAGE);
  g_assert_nonnull (strstr (err, "shoal/shoal.conf:3: unknown key "));
  g_assert_nonnull (strstr (err, "bogus"));

  shoal_test_remove_tree (directory);
}

/* A second shoald on a data folder in use says so and stops. */
static void
test_second_instance_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("shoal-config-XXXXXX", &error);
  g_autoptr(ShoalTestNode) node = shoal_test_node_new ("127.0.18.1");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *node_args[] = { "--role=ultrapeer", NULL };
  const char *second[] = { "--data-dir", NULL, "--listen-address", "127.0.18.2", "--port", "6346",
                           "--no-default-bootstrap", NULL };

  g_assert_no_error (error);
  shoal_test_node_start (node, node_args);
  second[1] = node->data_dir;
  g_assert_cmpint (run_shoald (directory, second, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "already using"));
  g_assert_nonnull (strstr (err, node->data_dir));
  shoal_test_node_stop (node);
  g_rmdir (directory);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shoald-config/defaults", test_defaults);
  g_test_add_func ("/shoald-config/every-type", test_every_type);
  g_test_add_func ("/shoald-config/lists", test_lists);
  g_test_add_func ("/shoald-config/role", test_role);
  g_test_add_func ("/shoald-config/bad-values", test_bad_values);
  g_test_add_func ("/shoald-config/unknown", test_unknown);
  g_test_add_func ("/shoald-config/syntax", test_syntax);
  g_test_add_func ("/shoald-config/repeated", test_repeated);
  g_test_add_func ("/shoald-config/equal", test_equal);
  g_test_add_func ("/shoald-config/print-round-trip", test_print_round_trip);
  g_test_add_func ("/shoald-config/options-override", test_options_override);
  g_test_add_func ("/shoald-config/options-errors", test_options_errors);
  g_test_add_func ("/shoald-config/service-keys", test_service_keys);
  g_test_add_func ("/shoald-config/key-list", test_key_list);
  g_test_add_func ("/shoald-config/get-set-text", test_get_set_text);
  g_test_add_func ("/shoald-config/set-text-errors", test_set_text_errors);
  g_test_add_func ("/shoald-config/save-keeps-the-rest", test_save_keeps_the_rest);
  g_test_add_func ("/shoald-config/save-new-file", test_save_new_file);
  g_test_add_func ("/shoald-config/save-refusals", test_save_refusals);
  g_test_add_func ("/shoald-config/apply-live", test_apply_live);
  g_test_add_func ("/shoald-config/apply-live-log-file", test_apply_live_log_file);
  g_test_add_func ("/shoald-config/shoald", test_shoald);
  g_test_add_func ("/shoald-config/second-instance-refused", test_second_instance_refused);
  return g_test_run ();
}
