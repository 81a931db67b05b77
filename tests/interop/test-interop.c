/* test-interop.c — every captured gtk-gnutella message, handshake and stream
 * goes through the codec: it parses, the fields the capture's README names
 * come out right, and writing it back gives the captured bytes. */
#include "shoal-handshake.h"
#include "shoal-message.h"
#include "shoal-proto-error.h"
#include "shoal-qrp-keywords.h"
#include "shoal-test-vectors.h"

#include "interop-checks.h"

#include <string.h>
#include <zlib.h>

static gboolean
is_message_file (const char *relative)
{
  /* The one .bin that is not a message is a whole HTTP response. */
  return !g_str_has_prefix (relative, "http_");
}

static void
assert_rewrites (const ShoalMessage *message,
                 GBytes             *original,
                 const char         *relative)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) written = shoal_message_write (message, &error);

  if (written == NULL)
    g_error ("%s: cannot write back: %s", relative, error->message);
  if (!g_bytes_equal (written, original))
    g_error ("%s: written back as %" G_GSIZE_FORMAT " bytes that differ from "
             "the %" G_GSIZE_FORMAT " captured", relative,
             g_bytes_get_size (written), g_bytes_get_size (original));
}

static void
test_every_message (void)
{
  g_autoptr(GPtrArray) files = shoal_test_list_vectors (".bin");
  guint checked = 0;

  for (guint i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(ShoalMessage) message = NULL;
      g_autoptr(GError) error = NULL;
      gsize length;
      const guint8 *data;

      if (!is_message_file (relative))
        continue;
      bytes = shoal_test_load_vector (relative);
      data = g_bytes_get_data (bytes, &length);
      message = shoal_message_parse (data, length, &error);
      if (message == NULL)
        g_error ("%s does not parse: %s", relative, error->message);
      assert_rewrites (message, bytes, relative);
      interop_check_named_fields (relative, message);
      checked++;
    }
  /* 21 top-level and probe/browse messages plus the session's 48. */
  g_test_message ("%u captured messages parsed and rewritten", checked);
  g_assert_cmpuint (checked, ==, 69);
  interop_check_all_named_files_seen ();
}

static void
assert_block_rewrites (GBytes     *bytes,
                       const char *where)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHeaderBlock) block = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize length, end = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  g_assert_cmpint (shoal_header_block_find_end (data, length, &end, &error), ==,
                   SHOAL_HEADER_SCAN_COMPLETE);
  g_assert_cmpuint (end, ==, length);
  block = shoal_header_block_parse (data, length, &error);
  if (block == NULL)
    g_error ("%s does not parse: %s", where, error->message);
  g_assert_true (shoal_header_block_write (block, out, &error));
  if (out->len != length || memcmp (out->data, data, length) != 0)
    g_error ("%s: header block written back differs", where);
  interop_check_header_block (where, block);
}

/* The capture wrote an empty "sNN_http_headers.txt" for the streams where
 * an ultrapeer only tested our listener: their raw stream is "\n\n". */
static gboolean
is_empty_connect_back (const char *relative)
{
  g_autoptr(GBytes) text = shoal_test_load_vector (relative);
  g_autofree char *raw_relative = NULL;
  g_autoptr(GBytes) raw = NULL;

  if (g_bytes_get_size (text) > 0 || !g_str_has_suffix (relative, "_http_headers.txt"))
    return FALSE;
  raw_relative = g_strdup_printf ("%.*s_c2s.raw",
                                  (int) (strlen (relative) - strlen ("_http_headers.txt")),
                                  relative);
  raw = shoal_test_load_vector (raw_relative);
  g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), "\n\n", 2);
  return TRUE;
}

static void
test_every_transcript (void)
{
  g_autoptr(GPtrArray) files = shoal_test_list_vectors (".txt");
  guint sections = 0;

  for (guint i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      const char *base = strrchr (relative, '/') ? strrchr (relative, '/') + 1 : relative;
      g_autoptr(GPtrArray) transcript = NULL;

      /* Handshakes and HTTP heads; the summaries and the probe's log of
       * variants are prose, read by other tests. */
      if (!g_str_has_prefix (base, "handshake") && !g_str_has_prefix (base, "tls-") &&
          !g_str_has_suffix (base, "_handshake.txt") && !g_str_has_prefix (base, "http_") &&
          !g_str_has_suffix (base, "_http_headers.txt"))
        continue;
      if (is_empty_connect_back (relative))
        continue;
      transcript = shoal_test_load_transcript (relative);
      g_assert_cmpuint (transcript->len, >, 0);
      for (guint s = 0; s < transcript->len; s++)
        {
          ShoalTestTranscriptSection *section = g_ptr_array_index (transcript, s);
          g_autofree char *where = g_strdup_printf ("%s section %u (%s)",
                                                    relative, s + 1, section->direction);

          assert_block_rewrites (section->bytes, where);
          sections++;
        }
    }
  g_test_message ("%u header blocks parsed and rewritten", sections);
  g_assert_cmpuint (sections, >=, 30);
}

/* Inflates a whole zlib stream (a link direction after its handshake). */
static GByteArray *
inflate_stream (const guint8 *data,
                gsize         length)
{
  GByteArray *out = g_byte_array_new ();
  z_stream stream = { 0 };
  guint8 buffer[16384];
  int status;

  g_assert_cmpint (inflateInit (&stream), ==, Z_OK);
  stream.next_in = (Bytef *) data;
  stream.avail_in = (uInt) length;
  do
    {
      stream.next_out = buffer;
      stream.avail_out = sizeof buffer;
      status = inflate (&stream, Z_SYNC_FLUSH);
      g_assert_true (status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR);
      g_byte_array_append (out, buffer, sizeof buffer - stream.avail_out);
    }
  while (stream.avail_in > 0 && status != Z_STREAM_END && status != Z_BUF_ERROR);
  g_assert_cmpuint (stream.avail_in, ==, 0);
  inflateEnd (&stream);
  return out;
}

/* Consumes the header blocks a direction starts with; returns how many,
 * and whether this direction was then deflated. */
static guint
skip_handshake (const guint8 **data,
                gsize         *length,
                gboolean       client_side,
                gboolean      *deflated)
{
  guint blocks = client_side ? 2 : 1;

  *deflated = FALSE;
  for (guint i = 0; i < blocks; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalHeaderBlock) block = NULL;
      const char *encoding;
      gsize end = 0;

      g_assert_cmpint (shoal_header_block_find_end (*data, *length, &end, &error), ==,
                       SHOAL_HEADER_SCAN_COMPLETE);
      block = shoal_header_block_parse (*data, end, &error);
      g_assert_no_error (error);
      encoding = shoal_header_block_get (block, "Content-Encoding");
      /* The client says what it sends in step 3, the server in step 2. */
      if ((client_side && i == 1) || !client_side)
        *deflated = encoding != NULL && g_ascii_strcasecmp (encoding, "deflate") == 0;
      *data += end;
      *length -= end;
    }
  return blocks;
}

/* "c2s: 13 messages, deflate=True, …" from the stream's summary file. */
static guint
summary_message_count (const char *prefix)
{
  const char *direction = strrchr (prefix, '_') + 1;
  g_autofree char *summary_relative = g_strdup_printf ("%.*s_summary.txt",
                                                       (int) (direction - 1 - prefix), prefix);
  g_autoptr(GBytes) summary = shoal_test_load_vector (summary_relative);
  g_autofree char *label = g_strdup_printf ("\n%s: ", direction);
  gsize length, label_length = strlen (label);
  const char *text = g_bytes_get_data (summary, &length);
  const char *found = NULL;

  /* The summary quotes captured bytes, NULs included: search it as bytes. */
  for (gsize at = 0; found == NULL && at + label_length <= length; at++)
    if (memcmp (text + at, label, label_length) == 0)
      found = text + at;

  g_assert_nonnull (found);
  return (guint) g_ascii_strtoull (found + strlen (label), NULL, 10);
}

static void
check_stream (const char *raw_relative)
{
  g_autoptr(GBytes) raw = shoal_test_load_vector (raw_relative);
  g_autofree char *prefix = g_strndup (raw_relative, strlen (raw_relative) - strlen (".raw"));
  g_autoptr(GByteArray) plain = NULL;
  g_autoptr(GPtrArray) files = shoal_test_list_vectors (".bin");
  gsize length;
  const guint8 *data = g_bytes_get_data (raw, &length);
  gboolean deflated;
  gsize offset = 0;
  guint index = 0;

  skip_handshake (&data, &length, strstr (raw_relative, "_c2s") != NULL, &deflated);
  g_assert_true (deflated);  /* every link of the capture negotiated deflate */
  plain = inflate_stream (data, length);

  while (offset < plain->len)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ShoalMessage) message = NULL;
      g_autofree char *expected_prefix = g_strdup_printf ("%s_%03u_", prefix, index);
      const char *expected = NULL;
      gsize consumed = 0;

      message = shoal_message_parse_next (plain->data + offset, plain->len - offset,
                                          &consumed, &error);
      if (message == NULL)
        g_error ("%s: message %u: %s", raw_relative, index,
                 error ? error->message : "stream ends inside a message");
      for (guint i = 0; i < files->len && expected == NULL; i++)
        if (g_str_has_prefix (g_ptr_array_index (files, i), expected_prefix))
          expected = g_ptr_array_index (files, i);
      g_assert_nonnull (expected);
      {
        g_autoptr(GBytes) want = shoal_test_load_vector (expected);
        g_autoptr(GBytes) got = g_bytes_new (plain->data + offset, consumed);

        g_assert_true (g_bytes_equal (want, got));
      }
      offset += consumed;
      index++;
    }
  g_test_message ("%s: %u messages", raw_relative, index);
  g_assert_cmpuint (index, ==, summary_message_count (prefix));
}

static void
test_session_streams (void)
{
  g_autoptr(GPtrArray) files = shoal_test_list_vectors (".raw");
  guint streams = 0;

  for (guint i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      g_autoptr(GBytes) raw = shoal_test_load_vector (relative);

      /* Gnutella links only; HTTP and connect-back streams are read below. */
      if (g_bytes_get_size (raw) < 9 ||
          memcmp (g_bytes_get_data (raw, NULL), "GNUTELLA", 8) != 0)
        continue;
      check_stream (relative);
      streams++;
    }
  g_assert_cmpuint (streams, ==, 6);
}

/* Undoes HTTP/1.1 chunked transfer coding. */
static GByteArray *
dechunk (const guint8 *data,
         gsize         length)
{
  GByteArray *body = g_byte_array_new ();
  gsize offset = 0;

  for (;;)
    {
      const guint8 *line_end = memchr (data + offset, '\n', length - offset);
      g_autofree char *size_text = NULL;
      guint64 size;

      g_assert_nonnull (line_end);
      size_text = g_strndup ((const char *) data + offset, line_end - (data + offset));
      size = g_ascii_strtoull (size_text, NULL, 16);
      offset = (line_end - data) + 1;
      if (size == 0)
        break;
      g_assert_cmpuint (offset + size + 2, <=, length);
      g_byte_array_append (body, data + offset, (guint) size);
      offset += size + 2;  /* the chunk and its CRLF */
    }
  return body;
}

static void
test_browse_host (void)
{
  g_autoptr(GBytes) raw = shoal_test_load_vector ("http_browse_host_response_raw.bin");
  g_autoptr(GBytes) first = shoal_test_load_vector ("browse-host/browse_rx_00_QUERYHIT.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHeaderBlock) head = NULL;
  g_autoptr(GByteArray) body = NULL;
  gsize length, end = 0, offset = 0;
  const guint8 *data = g_bytes_get_data (raw, &length);
  guint hits = 0;

  g_assert_cmpint (shoal_header_block_find_end (data, length, &end, &error), ==,
                   SHOAL_HEADER_SCAN_COMPLETE);
  head = shoal_header_block_parse (data, end, &error);
  g_assert_no_error (error);
  g_assert_cmpint (head->kind, ==, SHOAL_HEADER_BLOCK_HTTP_STATUS);
  g_assert_cmpuint (head->status_code, ==, 200);
  g_assert_cmpstr (shoal_header_block_get (head, "Content-Type"), ==,
                   "application/x-gnutella-packets");
  g_assert_cmpstr (shoal_header_block_get (head, "Transfer-Encoding"), ==, "chunked");

  body = dechunk (data + end, length - end);
  while (offset < body->len)
    {
      g_autoptr(ShoalMessage) message = NULL;
      gsize consumed = 0;

      message = shoal_message_parse_next (body->data + offset, body->len - offset,
                                          &consumed, &error);
      g_assert_no_error (error);
      g_assert_nonnull (message);
      g_assert_cmpint (message->header.type, ==, SHOAL_MESSAGE_QUERY_HIT);
      if (hits == 0)
        {
          g_autoptr(GBytes) got = g_bytes_new (body->data, consumed);

          g_assert_true (g_bytes_equal (got, first));
        }
      offset += consumed;
      hits++;
    }
  g_assert_cmpuint (hits, >=, 1);
}

static void
test_connect_back (void)
{
  /* An ultrapeer testing our listener sends "\n\n" and closes: a blank
   * first line, which is a complete block but no handshake. */
  g_autoptr(GBytes) raw = shoal_test_load_vector ("tcp_connectback_from_up.raw");
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalHeaderBlock) block = NULL;
  gsize length, end = 0;
  const guint8 *data = g_bytes_get_data (raw, &length);

  g_assert_cmpmem (data, length, "\n\n", 2);
  g_assert_cmpint (shoal_header_block_find_end (data, length, &end, &error), ==,
                   SHOAL_HEADER_SCAN_COMPLETE);
  block = shoal_header_block_parse (data, end, &error);
  g_assert_null (block);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

/* Applies a captured RESET + PATCH pair as an ultrapeer does. */
static ShoalQrpTable *
receive_table (const char *reset_relative,
               const char *patch_relative)
{
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  const char *relatives[] = { reset_relative, patch_relative };
  gboolean complete = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (relatives); i++)
    {
      g_autoptr(GBytes) bytes = shoal_test_load_vector (relatives[i]);
      g_autoptr(GError) error = NULL;
      const guint8 *data = g_bytes_get_data (bytes, NULL);

      g_assert_true (shoal_qrp_receiver_feed (receiver, data + SHOAL_MESSAGE_HEADER_SIZE,
                                              g_bytes_get_size (bytes) - SHOAL_MESSAGE_HEADER_SIZE,
                                              &complete, &error));
      g_assert_no_error (error);
    }
  g_assert_true (complete);
  return shoal_qrp_table_copy (shoal_qrp_receiver_get_table (receiver));
}

static void
test_qrp_tables (void)
{
  static const char *const shared[] = {
    "marmalade_harpsichord_sonata.txt", "obsidian_tortoise_almanac.txt",
    "zebrafish_quantum_lattice.txt", "xylophone_nebula_5MB.bin",
  };
  g_autoptr(ShoalQrpTable) leaf_b = receive_table ("qrp_reset_gtkg_leaf.bin",
                                                   "qrp_patch_gtkg_leaf.bin");
  g_autoptr(ShoalQrpTable) leaf_c = receive_table ("session-plain/s01_c2s_000_qrp.bin",
                                                   "session-plain/s01_c2s_001_qrp.bin");
  g_autoptr(GHashTable) keywords = shoal_qrp_keyword_set_new ();
  GHashTableIter iter;
  gpointer word;

  /* Leaf B's table holds exactly the keywords of its four files. */
  for (guint i = 0; i < G_N_ELEMENTS (shared); i++)
    g_assert_true (shoal_qrp_add_name_keywords (keywords, shared[i], -1, NULL));
  g_assert_cmpuint (leaf_b->slots, ==, 16384);
  g_assert_cmpuint (shoal_qrp_table_count_present (leaf_b), ==, 55);
  g_hash_table_iter_init (&iter, keywords);
  while (g_hash_table_iter_next (&iter, &word, NULL))
    g_assert_true (shoal_qrp_table_is_present (leaf_b,
                                               shoal_qrp_hash (word, -1,
                                                               shoal_qrp_table_get_bits (leaf_b))));
  g_assert_cmpuint (g_hash_table_size (keywords), ==, 55);

  /* Leaf C only searches: what it shares is not B's library. */
  g_assert_cmpuint (leaf_c->slots, ==, 16384);
  g_test_message ("leaf C's table has %u slots present",
                  shoal_qrp_table_count_present (leaf_c));
  g_assert_false (shoal_qrp_table_equal (leaf_b, leaf_c));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/interop/every-message", test_every_message);
  g_test_add_func ("/interop/every-transcript", test_every_transcript);
  g_test_add_func ("/interop/session-streams", test_session_streams);
  g_test_add_func ("/interop/browse-host", test_browse_host);
  g_test_add_func ("/interop/qrp-tables", test_qrp_tables);
  g_test_add_func ("/interop/connect-back", test_connect_back);
  return g_test_run ();
}
