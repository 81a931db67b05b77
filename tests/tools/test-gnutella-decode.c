/* test-gnutella-decode.c — the decoder tool, run as a user runs it, on
 * captured gtk-gnutella messages and on the hits and QRP messages we send. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "shoal-hit-builder.h"
#include "shoal-library-qrp.h"
#include "shoal-router.h"
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

/* Our own messages --------------------------------------------------------------- */

#define OUR_SERVENT_HEX "5e2f00aa0102030405060708090a0bff"
#define OUR_QUERY_GUID_HEX "8daeac09310292130ff861efc0a6a531"
#define OUR_ADDRESS 0xc0a80107u
#define OUR_ADDRESS_TEXT "192.168.1.7"
#define OUR_PORT 6346
#define OUR_SPEED 1000
#define BIG_FILE_INDEX 11
#define BIG_FILE_NAME "big image.iso"
#define BIG_FILE_SIZE (G_GUINT64_CONSTANT (3) << 30)
/* The query we answer came this many hops: our hit gets hops + 5. */
#define ANSWERED_QUERY_HOPS 2
/* The ultrapeer link of the router that builds our QRP messages. */
#define ULTRAPEER_LINK 1
/* How our router builds QRP patches (gtk-gnutella's way). */
#define OUR_QRP_ENTRY_BITS 4
#define OUR_QRP_INFINITY SHOAL_QRP_GTKG_INFINITY
/* A library big enough that its table needs more than one PATCH chunk. */
#define LIBRARY_FILES 400

/* What a router sent its links, in order. */
static void
collect_send (guint64              link_id,
              GBytes              *message,
              ShoalRouterPriority  priority,
              gpointer             user_data)
{
  g_ptr_array_add (user_data, g_bytes_ref (message));
}

static void
refuse_close (guint64     link_id,
              guint16     bye_code,
              const char *reason,
              gpointer    user_data)
{
  g_error ("the router closed link %" G_GUINT64_FORMAT ": %u %s", link_id, bye_code, reason);
}

/* The RESET and PATCH messages a leaf router sends its new ultrapeer for
 * a library of LIBRARY_FILES files. */
static GPtrArray *
our_qrp_messages (void)
{
  static const ShoalRouterLinkOps ops = { collect_send, refuse_close, NULL };
  g_autoptr(ShoalLibraryQrp) library = shoal_library_qrp_new (SHOAL_LIBRARY_QRP_BITS);
  g_autoptr(ShoalQrpTable) table = NULL;
  g_autoptr(ShoalRouter) router = NULL;
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ShoalRouterLinkInfo ultrapeer = { 0 };
  ShoalGuid servent;

  for (guint i = 0; i < LIBRARY_FILES; i++)
    {
      g_autofree char *name = g_strdup_printf ("holiday_%u_recording_%u.ogg", i, i * 7919);

      shoal_library_qrp_add_file (library, name, NULL);
    }
  table = shoal_library_qrp_build_table (library, OUR_QRP_INFINITY);
  g_assert_true (shoal_guid_from_hex (OUR_SERVENT_HEX, -1, &servent, NULL));
  router = shoal_router_new (&servent, &ops, sent);
  shoal_router_set_local_table (router, table);
  shoal_router_add_link (router, ULTRAPEER_LINK, &ultrapeer);
  g_assert_cmpuint (sent->len, >=, 3);
  return sent;
}

/* One hit of ours for a 3 GiB file with a SHA-1, answering a query
 * that asked for GGEP "H" as gtk-gnutella's do. */
static GBytes *
our_hit (guint8 sha1[SHOAL_SHA1_SIZE])
{
  ShoalHitSelf self = { .endpoint = { OUR_ADDRESS, OUR_PORT }, .speed_kbps = OUR_SPEED,
                        .browsable = TRUE };
  ShoalHitFile file = { .index = BIG_FILE_INDEX, .size = BIG_FILE_SIZE, .name = BIG_FILE_NAME,
                        .has_sha1 = TRUE };
  g_autoptr(GPtrArray) messages = NULL;
  ShoalGuid query_guid;

  for (guint i = 0; i < SHOAL_SHA1_SIZE; i++)
    file.sha1[i] = (guint8) (i * 37 + 5);
  memcpy (sha1, file.sha1, SHOAL_SHA1_SIZE);
  g_assert_true (shoal_guid_from_hex (OUR_SERVENT_HEX, -1, &self.servent_guid, NULL));
  g_assert_true (shoal_guid_from_hex (OUR_QUERY_GUID_HEX, -1, &query_guid, NULL));
  messages = shoal_hit_builder_build (&self, &query_guid, ANSWERED_QUERY_HOPS, &file, 1,
                                      SHOAL_QUERY_HIT_SHA1_GGEP_H);
  g_assert_cmpuint (messages->len, ==, 1);
  return g_bytes_ref (g_ptr_array_index (messages, 0));
}

static char *
write_message (const char *dir,
               const char *name,
               GBytes     *message)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (message, NULL),
                                      (gssize) g_bytes_get_size (message), &error));
  g_assert_no_error (error);
  return path;
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  g_assert_true (json_object_has_member (object, member));
  return json_object_get_object_member (object, member);
}

static JsonObject *
first_record (JsonObject *hit)
{
  JsonArray *records = json_object_get_array_member (hit, "records");

  g_assert_cmpuint (json_array_get_length (records), ==, 1);
  return json_array_get_object_element (records, 0);
}

/* @ours has the members @theirs has, but @only_theirs (may be NULL),
 * which @theirs must have and @ours must not. */
static void
assert_same_members (JsonObject *ours,
                     JsonObject *theirs,
                     const char *what,
                     const char *only_theirs)
{
  g_autoptr(GList) our_members = json_object_get_members (ours);
  g_autoptr(GList) their_members = json_object_get_members (theirs);

  for (GList *member = their_members; member != NULL; member = member->next)
    {
      gboolean expected = g_strcmp0 (member->data, only_theirs) != 0;

      if (json_object_has_member (ours, member->data) != expected)
        g_error ("%s: member \"%s\" %s in ours", what, (const char *) member->data,
                 expected ? "missing" : "unexpected");
    }
  for (GList *member = our_members; member != NULL; member = member->next)
    {
      if (!json_object_has_member (theirs, member->data))
        g_error ("%s: member \"%s\" of ours not in gtk-gnutella's", what,
                 (const char *) member->data);
    }
}

static void
assert_our_hit (JsonObject   *message,
                const guint8  sha1[SHOAL_SHA1_SIZE])
{
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);
  JsonObject *hit = member_object (message, "query_hit");
  JsonObject *record = first_record (hit);
  JsonObject *trailer = member_object (hit, "trailer");
  JsonArray *sha1s = json_object_get_array_member (record, "sha1");

  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "query-hit");
  g_assert_cmpstr (json_object_get_string_member (message, "guid"), ==, OUR_QUERY_GUID_HEX);
  g_assert_cmpint (json_object_get_int_member (message, "ttl"), ==,
                   ANSWERED_QUERY_HOPS + SHOAL_HIT_BUILDER_EXTRA_TTL);
  g_assert_cmpint (json_object_get_int_member (message, "hops"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (hit, "address"), ==, OUR_ADDRESS_TEXT);
  g_assert_cmpint (json_object_get_int_member (hit, "port"), ==, OUR_PORT);
  g_assert_cmpint (json_object_get_int_member (hit, "speed"), ==, OUR_SPEED);
  g_assert_cmpint (json_object_get_int_member (hit, "record_count"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (hit, "servent_guid"), ==, OUR_SERVENT_HEX);

  g_assert_cmpint (json_object_get_int_member (record, "index"), ==, BIG_FILE_INDEX);
  g_assert_cmpstr (json_object_get_string_member (record, "name"), ==, BIG_FILE_NAME);
  /* Past 2^31 the 32-bit field says "see LF" and GGEP "LF" has the size. */
  g_assert_cmpint (json_object_get_int_member (record, "size"), ==, SHOAL_QUERY_HIT_SIZE_IN_LF);
  g_assert_cmpint (json_object_get_int_member (record, "file_size"), ==, (gint64) BIG_FILE_SIZE);
  g_assert_cmpuint (json_array_get_length (sha1s), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (sha1s, 0), ==, urn);

  g_assert_cmpstr (json_object_get_string_member (trailer, "vendor"), ==, "SHOL");
  g_assert_true (json_object_get_boolean_member (member_object (trailer, "flags"), "ggep"));
  g_assert_false (json_object_get_boolean_member (member_object (trailer, "flags"), "push"));
  g_assert_true (json_object_get_boolean_member (trailer, "browsable"));
}

static void
assert_our_reset (JsonObject *message)
{
  JsonObject *qrp = member_object (message, "qrp");

  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "qrp");
  g_assert_cmpint (json_object_get_int_member (message, "ttl"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (message, "hops"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (qrp, "variant"), ==, "reset");
  g_assert_cmpint (json_object_get_int_member (qrp, "table_length"), ==,
                   1 << SHOAL_LIBRARY_QRP_BITS);
  g_assert_cmpint (json_object_get_int_member (qrp, "infinity"), ==, OUR_QRP_INFINITY);
}

static void
assert_our_patch (JsonObject *message,
                  guint       seq_size)
{
  JsonObject *qrp = member_object (message, "qrp");

  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "qrp");
  g_assert_cmpint (json_object_get_int_member (message, "ttl"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (message, "hops"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (qrp, "variant"), ==, "patch");
  g_assert_cmpint (json_object_get_int_member (qrp, "seq_number"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (qrp, "seq_size"), ==, seq_size);
  g_assert_cmpstr (json_object_get_string_member (qrp, "compressor"), ==, "zlib");
  g_assert_cmpint (json_object_get_int_member (qrp, "entry_bits"), ==, OUR_QRP_ENTRY_BITS);
  /* A whole chunk: the first of several. */
  g_assert_cmpint (json_object_get_int_member (qrp, "data_length"), ==, SHOAL_QRP_GTKG_PATCH_CHUNK);
}

static void
test_our_messages (void)
{
  g_autofree char *dir = g_dir_make_tmp ("shoal-decode-XXXXXX", NULL);
  g_autoptr(GPtrArray) qrp = our_qrp_messages ();
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autoptr(GBytes) hit = our_hit (sha1);
  g_autofree char *hit_path = write_message (dir, "hit.bin", hit);
  g_autofree char *reset_path = write_message (dir, "reset.bin", g_ptr_array_index (qrp, 0));
  g_autofree char *patch_path = write_message (dir, "patch.bin", g_ptr_array_index (qrp, 1));
  g_autofree char *their_hit = shoal_test_vector_path ("queryhit_gtkg_leaf_obsidian_to_up.bin");
  g_autofree char *their_reset = shoal_test_vector_path ("qrp_reset_gtkg_leaf.bin");
  g_autofree char *their_patch = shoal_test_vector_path ("qrp_patch_gtkg_leaf.bin");
  const char *args[] = { hit_path, reset_path, patch_path,
                         their_hit, their_reset, their_patch, NULL };
  g_auto(ToolRun) run = { 0 };
  g_auto(GStrv) lines = NULL;
  JsonParser *parsers[G_N_ELEMENTS (args) - 1];
  JsonObject *decoded[G_N_ELEMENTS (args) - 1];
  JsonObject *ours_hit, *theirs_hit;

  run_tool (&run, NULL, args);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, 0);
  lines = g_strsplit (run.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (decoded) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (decoded); i++)
    {
      parsers[i] = json_parser_new ();
      decoded[i] = parse_line (parsers[i], lines[i]);
    }

  assert_our_hit (decoded[0], sha1);
  assert_our_reset (decoded[1]);
  /* The router's messages: the RESET, then the whole sequence. */
  assert_our_patch (decoded[2], qrp->len - 1);

  /* Laid out as gtk-gnutella lays them out. Our records carry no TTH. */
  assert_same_members (decoded[0], decoded[3], "hit message", NULL);
  ours_hit = member_object (decoded[0], "query_hit");
  theirs_hit = member_object (decoded[3], "query_hit");
  assert_same_members (ours_hit, theirs_hit, "query_hit", NULL);
  assert_same_members (first_record (ours_hit), first_record (theirs_hit), "record", "tth");
  assert_same_members (member_object (ours_hit, "trailer"), member_object (theirs_hit, "trailer"),
                       "trailer", NULL);
  assert_same_members (member_object (member_object (ours_hit, "trailer"), "flags"),
                       member_object (member_object (theirs_hit, "trailer"), "flags"),
                       "trailer flags", NULL);
  assert_same_members (decoded[1], decoded[4], "RESET message", NULL);
  assert_same_members (member_object (decoded[1], "qrp"), member_object (decoded[4], "qrp"),
                       "RESET", NULL);
  assert_same_members (decoded[2], decoded[5], "PATCH message", NULL);
  assert_same_members (member_object (decoded[2], "qrp"), member_object (decoded[5], "qrp"),
                       "PATCH", NULL);
  /* Same encoding choices as gtk-gnutella's leaf. */
  g_assert_cmpstr (json_object_get_string_member (member_object (decoded[2], "qrp"), "compressor"),
                   ==, json_object_get_string_member (member_object (decoded[5], "qrp"),
                                                      "compressor"));
  g_assert_cmpint (json_object_get_int_member (member_object (decoded[2], "qrp"), "entry_bits"),
                   ==, json_object_get_int_member (member_object (decoded[5], "qrp"),
                                                   "entry_bits"));
  g_assert_cmpint (json_object_get_int_member (member_object (decoded[1], "qrp"), "infinity"),
                   ==, json_object_get_int_member (member_object (decoded[4], "qrp"), "infinity"));

  for (guint i = 0; i < G_N_ELEMENTS (decoded); i++)
    g_object_unref (parsers[i]);
  g_unlink (hit_path);
  g_unlink (reset_path);
  g_unlink (patch_path);
  g_rmdir (dir);
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
  g_test_add_func ("/gnutella-decode/our-messages", test_our_messages);
  return g_test_run ();
}
