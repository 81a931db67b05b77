/* test-shoald-config.c — shoald's settings file: defaults, every kind of
 * value, errors naming the file, line and key, the printed default file,
 * and command-line options over the file. */
#include "shoald-config.h"
#include "shoal-test-node.h"

#include <glib/gstdio.h>
#include <string.h>
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
    "upload-kbps=2048  \n");
  ShoalNodeConfig *node = config->node;

  g_assert_cmpuint (node->port, ==, 7000);
  g_assert_cmpstr (node->listen_address, ==, "127.0.0.7");
  g_assert_true (node->allow_private);
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
}

static void
test_lists (void)
{
  g_autoptr(ShoaldConfig) config = load_good (
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
    { "[roles]\nqrp-period-s=3601\n",
      FILE_NAME ":2: key “qrp-period-s” in [roles]: expected a number from 0 to 3600, got “3601”" },
    { "[transfers]\nupload-kbps=1e3\n",
      FILE_NAME ":2: key “upload-kbps” in [transfers]: "
      "expected a number from 0 to 100000000, got “1e3”" },
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
    "[network]\n", "\nport=6346\n", "\nrole=auto\n", "\nqrp-period-s=0\n",
    "\nupload-kbps=1024\n", "\nbrowse-host=true\n", "\nanchors=\n", "\nshares=\n",
    "\n[transfers]\n",
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
    "[network]\nport=7000\nlisten-address=127.0.0.7\n"
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
  g_assert_true (shoald_config_apply_options (config, &options, NULL));

  g_assert_cmpuint (config->node->port, ==, 7100);
  g_assert_cmpint (config->node->role_mode, ==, SHOAL_ROLE_MODE_ULTRAPEER);
  g_assert_cmpuint (config->node->qrp_period_ms, ==, 2000);
  g_assert_cmpuint (config->node->anchors->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (config->node->anchors, 0), ==, "b.example.org:2");
  g_assert_cmpstrv (config->shares, shares);
  g_assert_false (config->node->browse_host);
  g_assert_true (config->node->allow_private);
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
  g_test_add_func ("/shoald-config/shoald", test_shoald);
  g_test_add_func ("/shoald-config/second-instance-refused", test_second_instance_refused);
  return g_test_run ();
}
