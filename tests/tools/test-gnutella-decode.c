/* test-gnutella-decode.c — the decoder tool, run as a user runs it. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "shoal-test-vectors.h"

typedef struct
{
  int    status;
  char  *out;
  char  *err;
} ToolRun;

static void
tool_run_clear (ToolRun *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ToolRun, tool_run_clear)

/* Empty output is "", never NULL. */
static char *
bytes_to_string (GBytes *bytes)
{
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  return length > 0 ? g_strndup (data, length) : g_strdup ("");
}

/* Runs the tool with @args (NULL-terminated), feeding @input on stdin. */
static void
run_tool (ToolRun            *run,
          GBytes             *input,
          const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  const char *tool = g_getenv ("GNUTELLA_DECODE");

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE |
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_autoptr(GBytes) no_input = g_bytes_new (NULL, 0);

  /* GLib 2.74 asserts on a NULL input with a stdin pipe. */
  g_subprocess_communicate (process, input ? input : no_input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
  run->out = bytes_to_string (out);
  run->err = bytes_to_string (err);
}

static JsonObject *
parse_line (JsonParser *parser,
            const char *line)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_query_hit_fields (void)
{
  g_autofree char *path = shoal_test_vector_path ("queryhit_gtkg_leaf_obsidian_to_up.bin");
  const char *args[] = { path, NULL };
  g_auto(ToolRun) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *message, *hit, *record, *trailer;

  run_tool (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  message = parse_line (parser, run.out);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "query-hit");
  g_assert_cmpstr (json_object_get_string_member (message, "guid"), ==,
                   "8daeac09310292130ff861efc0a6a531");
  g_assert_cmpint (json_object_get_int_member (message, "ttl"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (message, "hops"), ==, 0);
  hit = json_object_get_object_member (message, "query_hit");
  g_assert_cmpstr (json_object_get_string_member (hit, "address"), ==, "127.0.0.2");
  g_assert_cmpint (json_object_get_int_member (hit, "port"), ==, 16342);
  record = json_array_get_object_element (json_object_get_array_member (hit, "records"), 0);
  g_assert_cmpstr (json_object_get_string_member (record, "name"), ==,
                   "obsidian_tortoise_almanac.txt");
  g_assert_cmpint (json_object_get_int_member (record, "index"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (record, "size"), ==, 31);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (record, "sha1"), 0),
                   ==, "urn:sha1:E52FITICBTOLIVR6RSIJENLBISDDVFCS");
  trailer = json_object_get_object_member (hit, "trailer");
  g_assert_cmpstr (json_object_get_string_member (trailer, "vendor"), ==, "GTKG");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (trailer, "flags"),
                                                 "ggep"));
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (trailer, "flags"),
                                                  "push"));
  g_assert_true (json_object_get_boolean_member (trailer, "browsable"));
  g_assert_cmpstr (json_object_get_string_member (hit, "servent_guid"), ==,
                   "200b310283b9bf20b5d3d27ba19a6bd2");
}

static void
test_pong_and_query_fields (void)
{
  g_autofree char *pong = shoal_test_vector_path ("pong_gtkg_up_reply_to_leaf.bin");
  g_autofree char *query = shoal_test_vector_path ("query_gtkg_originated_obsidian_leaf_to_up.bin");
  g_autofree char *reset = shoal_test_vector_path ("qrp_reset_gtkg_leaf.bin");
  const char *args[] = { pong, query, reset, NULL };
  g_auto(ToolRun) run = { 0 };
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body;

  run_tool (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 0);
  lines = g_strsplit (run.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);  /* three lines and the final "" */

  body = json_object_get_object_member (parse_line (parser, lines[0]), "pong");
  g_assert_cmpstr (json_object_get_string_member (body, "address"), ==, "127.0.0.1");
  g_assert_cmpint (json_object_get_int_member (body, "port"), ==, 16341);
  g_assert_cmpstr (json_object_get_string_member (body, "vendor"), ==, "GTKG");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (body, "ultrapeer"),
                                               "free_ultrapeer_slots"), ==, 50);

  body = json_object_get_object_member (parse_line (parser, lines[1]), "query");
  g_assert_cmpstr (json_object_get_string_member (body, "text"), ==, "obsidian");
  g_assert_cmpstr (json_object_get_string_member (body, "flags"), ==, "0xb900");

  body = json_object_get_object_member (parse_line (parser, lines[2]), "qrp");
  g_assert_cmpstr (json_object_get_string_member (body, "variant"), ==, "reset");
  g_assert_cmpint (json_object_get_int_member (body, "table_length"), ==, 16384);
  g_assert_cmpint (json_object_get_int_member (body, "infinity"), ==, 2);
}

static void
test_standard_input (void)
{
  g_autoptr(GBytes) ping = shoal_test_load_vector ("ping_probe_ttl1_empty.bin");
  const char *args[] = { "-", NULL };
  g_auto(ToolRun) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *message;

  run_tool (&run, ping, args);
  g_assert_cmpint (run.status, ==, 0);
  message = parse_line (parser, run.out);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "ping");
  g_assert_cmpstr (json_object_get_string_member (message, "file"), ==, "(standard input)");
}

static void
test_malformed_names_file (void)
{
  g_autoptr(GBytes) hit = shoal_test_load_vector ("queryhit_gtkg_leaf_obsidian_to_up.bin");
  g_autofree char *dir = g_dir_make_tmp ("shoal-decode-XXXXXX", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.bin", NULL);
  g_autofree char *good = shoal_test_vector_path ("ping_probe_ttl1_empty.bin");
  const char *args[] = { cut, good, NULL };
  g_auto(ToolRun) run = { 0 };

  g_assert_true (g_file_set_contents (cut, g_bytes_get_data (hit, NULL), 100, NULL));
  run_tool (&run, NULL, args);
  /* The good file is still decoded; the bad one is named and fails the run. */
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, cut));
  g_assert_nonnull (strstr (run.err, "161-byte payload"));
  g_assert_nonnull (strstr (run.out, "\"type\":\"ping\""));
  g_unlink (cut);
  g_rmdir (dir);
}

static void
test_missing_file (void)
{
  const char *args[] = { "/nonexistent/message.bin", NULL };
  g_auto(ToolRun) run = { 0 };

  run_tool (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "/nonexistent/message.bin"));
  g_assert_cmpstr (run.out, ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gnutella-decode/query-hit-fields", test_query_hit_fields);
  g_test_add_func ("/gnutella-decode/pong-and-query-fields", test_pong_and_query_fields);
  g_test_add_func ("/gnutella-decode/standard-input", test_standard_input);
  g_test_add_func ("/gnutella-decode/malformed-names-file", test_malformed_names_file);
  g_test_add_func ("/gnutella-decode/missing-file", test_missing_file);
  return g_test_run ();
}
