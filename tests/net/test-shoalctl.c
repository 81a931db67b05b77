/* test-shoalctl.c — every shoalctl command against running daemons on
 * loopback: a search from one finds the file another shares, `get`
 * downloads it and the SHA-1 matches; downloads are paused, resumed and
 * cancelled; uploads slow clients hold are stopped; links, shares,
 * settings and metrics go through the API; a restart keeps the queue; no
 * daemon is a clear error. */
#include "shoal-test-loop.h"
#include "shoal-test-node.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#define SHARING_ADDRESS "127.0.23.1"
#define SEARCHING_ADDRESS "127.0.23.2"
#define THIRD_ADDRESS "127.0.23.3"
/* Slow downloaders, each from an address of its own: one upload slot per
 * address. */
#define SLOW_ADDRESS_A "127.0.23.4"
#define SLOW_ADDRESS_B "127.0.23.5"
/* Small enough that the shared file is still going out, or waiting in
 * the kernel, when the upload is stopped. */
#define SLOW_RECEIVE_BUFFER 4096
#define SLOW_TIMEOUT_S 15
#define READ_CHUNK 65536
#define UPLOAD_ID_LENGTH 16
#define SHORT_ID_LENGTH 8
#define SHARED_NAME "pangolin_migration_survey.bin"
#define SHARED_WORD "pangolin"
#define SHARED_SIZE (3 * 1024 * 1024 + 17)
#define SEARCH_WAIT_S "8"
#define TIMEOUT_MS 30000
#define POLL_MS 100
/* No source has it: the download stays queued until told otherwise. */
#define SOURCELESS_ID "PLSTHIFQGSJZT45FHHQA5CDDOSWDCX2T"
#define SOURCELESS_URN "urn:sha1:" SOURCELESS_ID
/* Enough of its start to name it. */
#define SOURCELESS_PREFIX "PLSTHIFQ"
/* shoalctl's exit statuses. */
#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

typedef struct
{
  ShoalTestNode *sharing;
  ShoalTestNode *searching;
  GBytes        *content;
  char          *urn;       /* of the shared file, as the search found it */
} Pair;

/* Runs shoalctl on @node with @args; requires @expected_exit and returns
 * what it printed on stdout. */
static char *
ctl (ShoalTestNode      *node,
     int                 expected_exit,
     const char * const *args)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (shoal_test_node_ctl (node, args, &out, NULL), ==, expected_exit);
  return g_steal_pointer (&out);
}

#define CTL(node, ...) ctl ((node), EXIT_OK, (const char * const[]) { __VA_ARGS__, NULL })

/* `shoalctl --json ...`'s answer. */
static JsonNode *
ctl_json (ShoalTestNode      *node,
          const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_ptr_array_add (argv, (gpointer) "--json");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  out = ctl (node, EXIT_OK, (const char * const *) argv->pdata);
  root = json_from_string (out, &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
  return root;
}

#define CTL_JSON(node, ...) ctl_json ((node), (const char * const[]) { __VA_ARGS__, NULL })

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* Bytes no two runs' files share by chance, not compressible. */
static GBytes *
make_content (gsize size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return g_bytes_new_take (data, size);
}

static void
write_file (const char *folder,
            const char *name,
            GBytes     *content)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (content, &size);

  g_assert_true (g_file_set_contents (path, data, (gssize) size, &error));
  g_assert_no_error (error);
}

static gboolean
has_links (gpointer data)
{
  g_autoptr(JsonObject) status = shoal_test_node_status (data);

  return shoal_test_status_count_links (status, "leaf") +
         shoal_test_status_count_links (status, "ultrapeer") > 0;
}

/* A shares SHARED_NAME; B, a leaf, is linked to A, an ultrapeer. */
static void
pair_start (Pair *pair)
{
  const char *sharing_args[] = { "--role=ultrapeer", NULL };
  const char *searching_args[] = { "--role=leaf", "--anchor", SHARING_ADDRESS ":6346", NULL };

  pair->content = make_content (SHARED_SIZE);
  pair->sharing = shoal_test_node_new (SHARING_ADDRESS);
  pair->searching = shoal_test_node_new (SEARCHING_ADDRESS);
  write_file (pair->sharing->share_dir, SHARED_NAME, pair->content);
  shoal_test_node_start (pair->sharing, sharing_args);
  shoal_test_node_wait_hashed (pair->sharing, 1, TIMEOUT_MS);
  shoal_test_node_start (pair->searching, searching_args);
  shoal_test_poll_until (has_links, pair->searching, POLL_MS, TIMEOUT_MS, "the leaf to link to the ultrapeer");
}

static void
pair_stop (Pair *pair)
{
  shoal_test_node_stop (pair->searching);
  shoal_test_node_stop (pair->sharing);
  g_clear_pointer (&pair->searching, shoal_test_node_free);
  g_clear_pointer (&pair->sharing, shoal_test_node_free);
  g_clear_pointer (&pair->content, g_bytes_unref);
  g_clear_pointer (&pair->urn, g_free);
}

static char *
sha1_of_bytes (GBytes *content)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, content);
}

static char *
sha1_of_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) data, length);
}

/* The API's download object for @urn among `downloads --json`; NULL when
 * it is not listed. */
static JsonObject *
find_download (ShoalTestNode *node,
               const char    *urn)
{
  g_autoptr(JsonNode) root = CTL_JSON (node, "downloads");
  JsonArray *downloads = json_object_get_array_member (object_of (root), "downloads");

  for (guint i = 0; i < json_array_get_length (downloads); i++)
    {
      JsonObject *download = json_array_get_object_element (downloads, i);

      if (g_strcmp0 (json_object_get_string_member (download, "urn"), urn) == 0)
        return json_object_ref (download);
    }
  return NULL;
}

static void
assert_download_state (ShoalTestNode *node,
                       const char    *urn,
                       const char    *state)
{
  g_autoptr(JsonObject) download = find_download (node, urn);

  g_assert_nonnull (download);
  g_assert_cmpstr (json_object_get_string_member (download, "state"), ==, state);
}

/* status, links, hosts: the leaf sees its ultrapeer, in tables and JSON. */
static void
check_status_and_links (Pair *pair)
{
  g_autofree char *status_text = CTL (pair->searching, "status");
  g_autofree char *links_text = CTL (pair->searching, "links");
  g_autoptr(JsonNode) status = CTL_JSON (pair->searching, "status");
  g_autoptr(JsonNode) links = CTL_JSON (pair->searching, "links");
  g_autoptr(JsonNode) hosts = CTL_JSON (pair->searching, "hosts");
  JsonObject *link;

  g_assert_nonnull (strstr (status_text, "leaf"));
  g_assert_cmpstr (json_object_get_string_member (object_of (status), "role"), ==, "leaf");
  g_assert_cmpstr (json_object_get_string_member (object_of (status), "version"), ==, PACKAGE_VERSION);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object_of (status), "links"),
                                               "ultrapeer"), ==, 1);
  g_assert_nonnull (strstr (links_text, SHARING_ADDRESS));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object_of (links), "links")), ==, 1);
  link = json_array_get_object_element (json_object_get_array_member (object_of (links), "links"), 0);
  g_assert_cmpstr (json_object_get_string_member (link, "role"), ==, "ultrapeer");
  g_assert_true (json_object_has_member (object_of (hosts), "hosts"));
}

/* search prints the row as it arrives; get downloads it by "S.N"; the
 * file's SHA-1 is the shared one's. */
static void
check_search_and_get (Pair *pair)
{
  g_autofree char *found = CTL (pair->searching, "search", SHARED_WORD, "--wait", SEARCH_WAIT_S);
  g_autofree char *got = NULL;
  g_autofree char *expected_sha1 = sha1_of_bytes (pair->content);
  g_autofree char *path = g_build_filename (pair->searching->data_dir, "complete", SHARED_NAME, NULL);
  g_autofree char *actual_sha1 = NULL;
  g_autoptr(JsonNode) searches = CTL_JSON (pair->searching, "searches");
  g_autoptr(JsonNode) results = CTL_JSON (pair->searching, "results", "1");

  g_assert_nonnull (strstr (found, SHARED_NAME));
  g_assert_nonnull (strstr (found, "1.0"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object_of (searches), "searches")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object_of (results), "total"), ==, 1);
  pair->urn = g_strdup (json_object_get_string_member (
    json_array_get_object_element (json_object_get_array_member (object_of (results), "results"), 0), "urn"));
  g_assert_true (g_str_has_prefix (pair->urn, "urn:sha1:"));

  got = CTL (pair->searching, "get", "1.0", "--wait");
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  actual_sha1 = sha1_of_file (path);
  g_assert_cmpstr (actual_sha1, ==, expected_sha1);
}

/* The sharing side saw the upload; the downloads table shows it done. */
static void
check_transfer_lists (Pair *pair)
{
  g_autoptr(JsonNode) uploads = CTL_JSON (pair->sharing, "uploads");
  g_autofree char *table = CTL (pair->searching, "downloads");
  g_autofree char *uploads_table = CTL (pair->sharing, "uploads");

  g_assert_true (json_object_has_member (object_of (uploads), "uploads"));
  g_assert_nonnull (strstr (table, SHARED_NAME));
  g_assert_nonnull (uploads_table);
}

/* A client that asks the sharing node for its file from @address and
 * reads nothing until told. */
static GSocketConnection *
slow_client_start (Pair       *pair,
                   const char *address)
{
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string (address, 0);
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new_from_string (SHARING_ADDRESS,
                                                                            SHOAL_TEST_NODE_PORT);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autofree char *request = g_strdup_printf ("GET /uri-res/N2R?%s HTTP/1.1\r\nHost: " SHARING_ADDRESS "\r\n\r\n",
                                              pair->urn);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (socket);
  g_socket_set_timeout (socket, SLOW_TIMEOUT_S);
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, SLOW_RECEIVE_BUFFER, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, local, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, server, NULL, &error));
  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (socket);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&connection);
}

/* Reads what is left: the sharing node must close the connection, well
 * before the connection's idle timeout. */
static void
slow_client_read_to_end (GSocketConnection *connection)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  guint8 chunk[READ_CHUNK];
  gssize n_read;

  do
    {
      g_autoptr(GError) error = NULL;

      n_read = g_input_stream_read (input, chunk, sizeof chunk, NULL, &error);
      g_assert_no_error (error);
    }
  while (n_read > 0);
}

typedef struct
{
  ShoalTestNode *node;
  const char    *peer;
  char          *id;    /* once listed running */
} UploadWatch;

static gboolean
upload_running (gpointer data)
{
  UploadWatch *watch = data;
  g_autoptr(JsonNode) root = CTL_JSON (watch->node, "uploads");
  JsonArray *uploads = json_object_get_array_member (object_of (root), "uploads");

  for (guint i = 0; i < json_array_get_length (uploads); i++)
    {
      JsonObject *upload = json_array_get_object_element (uploads, i);
      const char *state = json_object_get_string_member (upload, "state");

      if (g_strcmp0 (json_object_get_string_member (upload, "peer"), watch->peer) == 0 &&
          (g_strcmp0 (state, "sending") == 0 || g_strcmp0 (state, "waiting") == 0))
        {
          watch->id = g_strdup (json_object_get_string_member (upload, "id"));
          return TRUE;
        }
    }
  return FALSE;
}

/* The id of the upload to @peer, once `uploads --json` lists it running. */
static char *
wait_upload_running (ShoalTestNode *node,
                     const char    *peer)
{
  UploadWatch watch = { node, peer, NULL };

  shoal_test_poll_until (upload_running, &watch, POLL_MS, TIMEOUT_MS, "a slow client's upload");
  g_assert_cmpuint (strlen (watch.id), ==, UPLOAD_ID_LENGTH);
  return watch.id;
}

/* A hex digit no listed upload's id starts with, repeated: a prefix
 * that names none. */
static char *
unlisted_prefix (ShoalTestNode *node)
{
  g_autoptr(JsonNode) root = CTL_JSON (node, "uploads");
  JsonArray *uploads = json_object_get_array_member (object_of (root), "uploads");
  g_autoptr(GString) starts = g_string_new (NULL);
  const char *digit = "0123456789abcdef";

  for (guint i = 0; i < json_array_get_length (uploads); i++)
    g_string_append_c (starts, json_object_get_string_member (json_array_get_object_element (uploads, i),
                                                               "id")[0]);
  while (strchr (starts->str, *digit) != NULL)
    digit++;
  g_assert_cmpint (*digit, !=, '\0');
  return g_strnfill (SHORT_ID_LENGTH, *digit);
}

/* Two slow clients' uploads, stopped by a prefix of the id as `uploads`
 * shows it and by the whole id with --json; stopping again, an unknown
 * id and text that is no id are refused with their exit statuses. */
static void
check_upload_stop (Pair *pair)
{
  g_autoptr(GSocketConnection) client_a = slow_client_start (pair, SLOW_ADDRESS_A);
  g_autoptr(GSocketConnection) client_b = slow_client_start (pair, SLOW_ADDRESS_B);
  g_autofree char *id_a = wait_upload_running (pair->sharing, SLOW_ADDRESS_A);
  g_autofree char *id_b = wait_upload_running (pair->sharing, SLOW_ADDRESS_B);
  g_autofree char *short_a = g_strndup (id_a, SHORT_ID_LENGTH);
  g_autofree char *table = CTL (pair->sharing, "uploads");
  g_autofree char *stopped_a = NULL;
  g_autofree char *err = NULL;
  g_autofree char *unknown_err = NULL;
  g_autofree char *unknown = NULL;
  g_autoptr(JsonNode) stopped_b = NULL;
  JsonObject *upload;

  g_assert_nonnull (strstr (table, "ID"));
  g_assert_nonnull (strstr (table, short_a));
  stopped_a = CTL (pair->sharing, "stop-upload", short_a);
  g_assert_nonnull (strstr (stopped_a, short_a));
  g_assert_nonnull (strstr (stopped_a, "stopped"));
  slow_client_read_to_end (client_a);

  stopped_b = CTL_JSON (pair->sharing, "stop-upload", id_b);
  upload = json_object_get_object_member (object_of (stopped_b), "upload");
  g_assert_cmpstr (json_object_get_string_member (upload, "id"), ==, id_b);
  g_assert_cmpstr (json_object_get_string_member (upload, "peer"), ==, SLOW_ADDRESS_B);
  g_assert_cmpstr (json_object_get_string_member (upload, "state"), ==, "stopped");
  slow_client_read_to_end (client_b);

  /* Over already: the API's 409, failed. */
  g_assert_cmpint (shoal_test_node_ctl (pair->sharing, (const char * const[]) { "stop-upload", id_a, NULL },
                                        NULL, &err), ==, EXIT_FAILED);
  g_assert_nonnull (strstr (err, "finished"));
  g_free (ctl (pair->sharing, EXIT_FAILED, (const char * const[]) { "stop-upload", "0000000000000000", NULL }));
  unknown = unlisted_prefix (pair->sharing);
  g_assert_cmpint (shoal_test_node_ctl (pair->sharing, (const char * const[]) { "stop-upload", unknown, NULL },
                                        NULL, &unknown_err), ==, EXIT_FAILED);
  g_assert_nonnull (strstr (unknown_err, "no upload id starts with"));
  g_free (ctl (pair->sharing, EXIT_USAGE, (const char * const[]) { "stop-upload", "nothex", NULL }));
  g_free (ctl (pair->sharing, EXIT_USAGE, (const char * const[]) { "stop-upload", NULL }));
}

/* A download no source has: pause, resume, cancel. */
static void
check_download_controls (Pair *pair)
{
  g_autofree char *queued = CTL (pair->searching, "get", SOURCELESS_URN);
  g_autofree char *paused = NULL;
  g_autofree char *resumed = NULL;
  g_autofree char *cancelled = NULL;
  g_autoptr(JsonObject) gone = NULL;

  g_assert_nonnull (strstr (queued, SOURCELESS_PREFIX));
  paused = CTL (pair->searching, "pause", SOURCELESS_ID);
  g_assert_nonnull (strstr (paused, "paused"));
  assert_download_state (pair->searching, SOURCELESS_URN, "paused");
  resumed = CTL (pair->searching, "resume", SOURCELESS_ID);
  g_assert_nonnull (strstr (resumed, SOURCELESS_PREFIX));
  {
    g_autoptr(JsonObject) download = find_download (pair->searching, SOURCELESS_URN);

    g_assert_cmpstr (json_object_get_string_member (download, "state"), !=, "paused");
  }
  /* A unique prefix names it too. */
  cancelled = CTL (pair->searching, "cancel", SOURCELESS_PREFIX);
  g_assert_nonnull (cancelled);
  gone = find_download (pair->searching, SOURCELESS_URN);
  g_assert_null (gone);
  /* Unknown: an error, not a crash. */
  g_free (ctl (pair->searching, EXIT_FAILED, (const char * const[]) { "pause", "ZZZZZZZZ", NULL }));
}

/* A magnet naming the sharing node as its source, from a third node that
 * is linked to nobody. */
static void
check_magnet_get (Pair *pair)
{
  g_autoptr(ShoalTestNode) third = shoal_test_node_new (THIRD_ADDRESS);
  g_autoptr(JsonNode) results = CTL_JSON (pair->searching, "results", "1");
  JsonObject *row = json_array_get_object_element (json_object_get_array_member (object_of (results), "results"), 0);
  const char *urn = json_object_get_string_member (row, "urn");
  g_autofree char *magnet = g_strdup_printf ("magnet:?xt=%s&dn=%s&xl=%u&xs=http://%s:6346/uri-res/N2R?%s",
                                             urn, SHARED_NAME, SHARED_SIZE, SHARING_ADDRESS, urn);
  g_autofree char *path = g_build_filename (third->data_dir, "complete", SHARED_NAME, NULL);
  g_autofree char *expected_sha1 = sha1_of_bytes (pair->content);
  g_autofree char *actual_sha1 = NULL;

  shoal_test_node_start (third, (const char *[]) { "--role=ultrapeer", NULL });
  g_free (CTL (third, "get", magnet, "--wait"));
  actual_sha1 = sha1_of_file (path);
  g_assert_cmpstr (actual_sha1, ==, expected_sha1);

  /* connect and drop, by hand, from the searching leaf to the third. */
  {
    g_autofree char *connected = CTL (pair->searching, "connect", THIRD_ADDRESS ":6346");
    g_autoptr(JsonNode) links = CTL_JSON (pair->searching, "links");
    JsonArray *list = json_object_get_array_member (object_of (links), "links");
    g_autofree char *third_id = NULL;

    g_assert_nonnull (strstr (connected, THIRD_ADDRESS));
    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *link = json_array_get_object_element (list, i);

        if (g_str_has_prefix (json_object_get_string_member (link, "address"), THIRD_ADDRESS))
          third_id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (link, "id"));
      }
    g_assert_nonnull (third_id);
    g_free (CTL (pair->searching, "drop", third_id));
  }
  shoal_test_node_stop (third);
}

/* share add, list, find, rescan, remove on the searching node. */
static void
check_shares (Pair *pair)
{
  g_autofree char *folder = g_build_filename (pair->searching->data_dir, "more", NULL);
  g_autoptr(GBytes) content = g_bytes_new_static ("aardvark notes", 14);
  g_autofree char *listed = NULL;
  g_autofree char *found = NULL;
  g_autoptr(JsonNode) library = NULL;
  g_autoptr(JsonNode) after = NULL;
  JsonArray *roots;
  gint64 files_before;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  write_file (folder, "aardvark_burrows.txt", content);
  library = CTL_JSON (pair->searching, "library");
  files_before = json_object_get_int_member (object_of (library), "files");
  g_free (CTL (pair->searching, "share", "add", folder));
  listed = CTL (pair->searching, "share", "list");
  g_assert_nonnull (strstr (listed, folder));
  for (guint tries = 0; ; tries++)
    {
      g_autoptr(JsonNode) now = CTL_JSON (pair->searching, "library");

      if (json_object_get_int_member (object_of (now), "hashed") > files_before)
        break;
      g_assert_cmpuint (tries, <, TIMEOUT_MS / 100);
      shoal_test_wait_ms (100);
    }
  found = CTL (pair->searching, "find", "aardvark");
  g_assert_nonnull (strstr (found, "aardvark_burrows.txt"));
  g_free (CTL (pair->searching, "rescan"));
  g_free (CTL (pair->searching, "share", "remove", folder));
  after = CTL_JSON (pair->searching, "library");
  roots = json_object_get_array_member (object_of (after), "roots");
  for (guint i = 0; i < json_array_get_length (roots); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (roots, i), "path"),
                     !=, folder);
}

/* A setting's value as `settings --json` lists it. */
static char *
setting_value (ShoalTestNode *node,
               const char    *key)
{
  g_autoptr(JsonNode) settings = CTL_JSON (node, "settings");
  JsonArray *list = json_object_get_array_member (object_of (settings), "settings");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *setting = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member (setting, "key"), key) == 0)
        return g_strdup (json_object_get_string_member (setting, "value"));
    }
  g_error ("no setting %s", key);
}

/* set applies a live key and says so; settings shows the new value. */
static void
check_settings (Pair *pair)
{
  g_autofree char *said = CTL (pair->searching, "set", "roles.ultrapeer-leaf-slots", "12");
  g_autofree char *value = setting_value (pair->searching, "roles.ultrapeer-leaf-slots");

  g_assert_nonnull (strstr (said, "roles.ultrapeer-leaf-slots: applied now"));
  g_assert_cmpstr (value, ==, "12");
  /* A bad value is refused with the key named, nothing changed. */
  {
    g_autofree char *err = NULL;
    const char *args[] = { "set", "roles.ultrapeer-leaf-slots", "lots", NULL };

    g_assert_cmpint (shoal_test_node_ctl (pair->searching, args, NULL, &err), ==, EXIT_FAILED);
    g_assert_nonnull (strstr (err, "ultrapeer-leaf-slots"));
  }
}

static void
check_metrics (Pair *pair)
{
  g_autofree char *metrics = CTL (pair->sharing, "metrics");

  g_assert_nonnull (strstr (metrics, "# TYPE shoal_links gauge"));
  g_assert_nonnull (strstr (metrics, "shoal_links{role=\"leaf\"} 1"));
  g_assert_nonnull (strstr (metrics, "shoal_queries_seen_total"));
  g_assert_nonnull (strstr (metrics, "shoal_upload_bytes_total"));
  g_assert_nonnull (strstr (metrics, "shoal_library_files 1"));
}

/* Stopped and started again, the daemon still has its queue and its
 * library, hashed already. */
static void
check_restart_keeps_state (Pair *pair)
{
  const char *searching_args[] = { "--role=leaf", "--anchor", SHARING_ADDRESS ":6346", NULL };
  g_autofree char *queued = CTL (pair->searching, "get", SOURCELESS_URN);
  g_autofree char *paused = CTL (pair->searching, "pause", SOURCELESS_PREFIX);

  g_assert_nonnull (strstr (queued, SOURCELESS_PREFIX));
  g_assert_nonnull (strstr (paused, "paused"));

  shoal_test_node_stop (pair->searching);
  shoal_test_node_start (pair->searching, searching_args);
  assert_download_state (pair->searching, SOURCELESS_URN, "paused");
  /* What `set` saved is in effect again. */
  {
    g_autofree char *value = setting_value (pair->searching, "roles.ultrapeer-leaf-slots");

    g_assert_cmpstr (value, ==, "12");
  }
  /* The completed one is listed still. */
  assert_download_state (pair->searching, pair->urn, "completed");
  g_free (CTL (pair->searching, "cancel", SOURCELESS_PREFIX));
}

static void
test_every_command (void)
{
  Pair pair = { NULL };

  pair_start (&pair);
  check_status_and_links (&pair);
  check_search_and_get (&pair);
  check_transfer_lists (&pair);
  check_upload_stop (&pair);
  check_download_controls (&pair);
  check_magnet_get (&pair);
  check_shares (&pair);
  check_settings (&pair);
  check_metrics (&pair);
  check_restart_keeps_state (&pair);
  pair_stop (&pair);
}

/* No daemon on a data folder: exit 3 and a message that says so. */
static void
test_not_running (void)
{
  g_autoptr(ShoalTestNode) idle = shoal_test_node_new (THIRD_ADDRESS);
  g_autofree char *err = NULL;
  g_autofree char *stop_err = NULL;
  const char *args[] = { "status", NULL };
  const char *stop_args[] = { "stop-upload", "0123", NULL };

  g_assert_cmpint (shoal_test_node_ctl (idle, args, NULL, &err), ==, EXIT_NOT_RUNNING);
  g_assert_nonnull (strstr (err, "not running"));
  g_assert_cmpint (shoal_test_node_ctl (idle, stop_args, NULL, &stop_err), ==, EXIT_NOT_RUNNING);
  g_assert_nonnull (strstr (stop_err, "not running"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shoalctl/every-command", test_every_command);
  g_test_add_func ("/shoalctl/not-running", test_not_running);
  return g_test_run ();
}
