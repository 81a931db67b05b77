/* test-qrp.c — QRP RESET/PATCH payloads, tables, receiver and builder. */
#include <glib.h>

#include "shoal-message-header.h"
#include "shoal-proto-error.h"
#include "shoal-qrp-keywords.h"
#include "shoal-qrp.h"
#include "shoal-test-vectors.h"

#include <string.h>
#include <zlib.h>

/* Appendix A: RESET of 8 slots, infinity 7, with its header. */
static const guint8 appendix_reset[] = {
  0x85, 0xd9, 0x76, 0x4d, 0xbf, 0x02, 0x1d, 0x9a,
  0xff, 0x72, 0xe7, 0x21, 0xc3, 0x40, 0xdd, 0x00,
  0x30, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00,
  0x00, 0x08, 0x00, 0x00, 0x00, 0x07,
};
/* Appendix A: PATCH adding "test" (slot 2 = −6), plain and zlib. */
static const guint8 appendix_patch_plain[] = {
  0x01, 0x01, 0x01, 0x00, 0x04, 0x00, 0xa0, 0x00, 0x00,
};
static const guint8 appendix_patch_zlib[] = {
  0x01, 0x01, 0x01, 0x01, 0x04,
  0x78, 0x9c, 0x63, 0x58, 0xc0, 0xc0, 0x00, 0x00, 0x01, 0xe4, 0x00, 0xa1,
};

static const ShoalQrpPatchOptions gtkg_options = {
  .entry_bits = 4,
  .compressor = SHOAL_QRP_COMPRESSOR_ZLIB,
  .chunk_size = SHOAL_QRP_GTKG_PATCH_CHUNK,
};

/* The payload of a captured message, after checking its header. */
static GBytes *
load_qrp_payload (const char *name)
{
  g_autoptr(GBytes) message = shoal_test_load_vector (name);
  g_autoptr(GError) error = NULL;
  ShoalMessageHeader header;
  gsize length;
  const guint8 *data = g_bytes_get_data (message, &length);

  g_assert_true (shoal_message_header_parse (data, length, &header, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (header.type, ==, SHOAL_MESSAGE_QRP);
  g_assert_cmpuint (header.payload_length, ==,
                    length - SHOAL_MESSAGE_HEADER_SIZE);
  return g_bytes_new_from_bytes (message, SHOAL_MESSAGE_HEADER_SIZE,
                                 header.payload_length);
}

static ShoalQrpReceiver *
receiver_after_reset (guint32 slots,
                      guint8  infinity)
{
  ShoalQrpReceiver *receiver = shoal_qrp_receiver_new ();
  ShoalQrpReset reset = { slots, infinity };
  g_autoptr(GError) error = NULL;

  g_assert_true (shoal_qrp_receiver_apply_reset (receiver, &reset, &error));
  g_assert_no_error (error);
  return receiver;
}

static gboolean
feed (ShoalQrpReceiver *receiver,
      const guint8     *data,
      gsize             length,
      GError          **error)
{
  gboolean complete = FALSE;
  gboolean ok = shoal_qrp_receiver_feed (receiver, data, length, &complete,
                                         error);

  g_assert_true (!complete || ok);
  return ok && complete;
}

/* Feeds every payload in order; all but the last must leave the
 * sequence open, the last must complete it. */
static void
feed_all (ShoalQrpReceiver *receiver,
          GPtrArray        *payloads)
{
  for (guint i = 0; i < payloads->len; i++)
    {
      g_autoptr(GError) error = NULL;
      gsize length;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (payloads, i),
                                             &length);
      gboolean complete = FALSE;

      g_assert_true (shoal_qrp_receiver_feed (receiver, data, length,
                                              &complete, &error));
      g_assert_no_error (error);
      g_assert_true (complete == (i + 1 == payloads->len));
    }
}

static void
test_vector_reset (void)
{
  g_autoptr(GBytes) payload = load_qrp_payload ("qrp_reset_gtkg_leaf.bin");
  g_autoptr(GByteArray) rebuilt = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  ShoalQrpReset reset;
  gsize length;
  const guint8 *data = g_bytes_get_data (payload, &length);

  g_assert_true (shoal_qrp_reset_parse (data, length, &reset, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reset.table_length, ==, 16384);
  g_assert_cmpuint (reset.infinity, ==, SHOAL_QRP_GTKG_INFINITY);
  shoal_qrp_reset_write (&reset, rebuilt);
  g_assert_cmpmem (rebuilt->data, rebuilt->len, data, length);
}

static void
test_vector_patch (void)
{
  g_autoptr(GBytes) payload = load_qrp_payload ("qrp_patch_gtkg_leaf.bin");
  g_autoptr(GByteArray) rebuilt = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  ShoalQrpPatch patch;
  gsize length;
  const guint8 *data = g_bytes_get_data (payload, &length);

  g_assert_true (shoal_qrp_patch_parse (data, length, &patch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (patch.seq_number, ==, 1);
  g_assert_cmpuint (patch.seq_size, ==, 1);
  g_assert_cmpuint (patch.compressor, ==, SHOAL_QRP_COMPRESSOR_ZLIB);
  g_assert_cmpuint (patch.entry_bits, ==, 4);
  g_assert_cmpuint (patch.data_length, ==, 130);
  g_assert_true (patch.data == data + SHOAL_QRP_PATCH_HEADER_SIZE);
  shoal_qrp_patch_write (&patch, rebuilt);
  g_assert_cmpmem (rebuilt->data, rebuilt->len, data, length);
}

static ShoalQrpTable *
apply_vectors (const char *reset_name,
               const char *patch_name)
{
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  g_autoptr(GBytes) reset = load_qrp_payload (reset_name);
  g_autoptr(GBytes) patch = load_qrp_payload (patch_name);
  g_autoptr(GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (reset, &length);

  g_assert_false (feed (receiver, data, length, &error));
  g_assert_no_error (error);
  g_assert_null (shoal_qrp_receiver_get_table (receiver));
  data = g_bytes_get_data (patch, &length);
  g_assert_true (feed (receiver, data, length, &error));
  g_assert_no_error (error);
  return shoal_qrp_table_copy (shoal_qrp_receiver_get_table (receiver));
}

static void
test_vector_leaf_b_table (void)
{
  g_autoptr(ShoalQrpTable) table =
    apply_vectors ("qrp_reset_gtkg_leaf.bin", "qrp_patch_gtkg_leaf.bin");

  g_assert_cmpuint (table->slots, ==, 16384);
  g_assert_cmpuint (table->infinity, ==, 2);
  g_assert_cmpuint (shoal_qrp_table_get_bits (table), ==, 14);
  g_assert_cmpuint (shoal_qrp_table_count_present (table), ==, 55);
  g_assert_true (shoal_qrp_table_is_present (table,
                 shoal_qrp_hash ("obsidian", -1, 14)));
}

static void
test_vector_leaf_c_table (void)
{
  /* Leaf C's pair: the first two c2s messages of session-plain stream 1. */
  g_autoptr(ShoalQrpTable) table =
    apply_vectors ("session-plain/s01_c2s_000_qrp.bin",
                   "session-plain/s01_c2s_001_qrp.bin");

  g_assert_cmpuint (table->slots, ==, 16384);
  g_assert_cmpuint (shoal_qrp_table_count_present (table), ==, 11);
}

static void
test_vector_patch_rebuilt_byte_exact (void)
{
  /* gtk-gnutella deflates at the best level: rebuilding leaf B's patch
   * from the table gives the captured bytes. */
  g_autoptr(ShoalQrpTable) table =
    apply_vectors ("qrp_reset_gtkg_leaf.bin", "qrp_patch_gtkg_leaf.bin");
  g_autoptr(GBytes) captured = load_qrp_payload ("qrp_patch_gtkg_leaf.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) payloads = shoal_qrp_build_patches (table, NULL,
                                                           &gtkg_options,
                                                           &error);

  g_assert_no_error (error);
  g_assert_cmpuint (payloads->len, ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (payloads, 0), captured));
}

static void
test_appendix_reset (void)
{
  g_autoptr(GByteArray) rebuilt = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  ShoalMessageHeader header;
  ShoalQrpReset reset;

  g_assert_true (shoal_message_header_parse (appendix_reset,
                                             sizeof appendix_reset,
                                             &header, &error));
  g_assert_true (shoal_qrp_reset_parse (appendix_reset
                                        + SHOAL_MESSAGE_HEADER_SIZE,
                                        header.payload_length, &reset, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reset.table_length, ==, 8);
  g_assert_cmpuint (reset.infinity, ==, SHOAL_QRP_LIMEWIRE_INFINITY);
  shoal_message_header_append (&header, rebuilt);
  shoal_qrp_reset_write (&reset, rebuilt);
  g_assert_cmpmem (rebuilt->data, rebuilt->len,
                   appendix_reset, sizeof appendix_reset);
}

/* The 8-slot, infinity-7 table with "test" in it. */
static ShoalQrpTable *
appendix_table (void)
{
  g_autoptr(GError) error = NULL;
  ShoalQrpTable *table = shoal_qrp_table_new (8, 7, &error);

  g_assert_no_error (error);
  shoal_qrp_table_set_present (table, shoal_qrp_hash ("test", -1, 3));
  return table;
}

static void
test_appendix_patch_plain (void)
{
  const ShoalQrpPatchOptions options = {
    .entry_bits = 4,
    .compressor = SHOAL_QRP_COMPRESSOR_NONE,
    .chunk_size = SHOAL_QRP_GTKG_PATCH_CHUNK,
  };
  g_autoptr(ShoalQrpTable) table = appendix_table ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) payloads = shoal_qrp_build_patches (table, NULL,
                                                           &options, &error);
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  gsize length;
  const guint8 *data;

  g_assert_no_error (error);
  g_assert_cmpuint (payloads->len, ==, 1);
  data = g_bytes_get_data (g_ptr_array_index (payloads, 0), &length);
  g_assert_cmpmem (data, length, appendix_patch_plain,
                   sizeof appendix_patch_plain);
  g_assert_true (feed (receiver, appendix_patch_plain,
                       sizeof appendix_patch_plain, &error));
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (receiver),
                                        table));
}

static void
test_appendix_patch_zlib (void)
{
  /* Deflaters may legitimately differ: compare what the bytes decode to. */
  g_autoptr(ShoalQrpTable) table = appendix_table ();
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  g_autoptr(ShoalQrpReceiver) ours = receiver_after_reset (8, 7);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) payloads = shoal_qrp_build_patches (table, NULL,
                                                           &gtkg_options,
                                                           &error);

  g_assert_no_error (error);
  g_assert_true (feed (receiver, appendix_patch_zlib,
                       sizeof appendix_patch_zlib, &error));
  g_assert_no_error (error);
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (receiver),
                                        table));
  feed_all (ours, payloads);
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (ours),
                                        table));
}

static void
assert_reset_error (const guint8 *data,
                    gsize         length,
                    gint          code)
{
  g_autoptr(GError) error = NULL;
  ShoalQrpReset reset;

  g_assert_false (shoal_qrp_reset_parse (data, length, &reset, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
}

static void
test_reset_wrong_size (void)
{
  const guint8 payload[] = { 0x00, 0x08, 0x00, 0x00, 0x00, 0x07, 0x00 };

  assert_reset_error (payload, 5, SHOAL_PROTO_ERROR_TRUNCATED);
  assert_reset_error (payload, sizeof payload, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_reset_wrong_variant (void)
{
  const guint8 payload[] = { 0x01, 0x08, 0x00, 0x00, 0x00, 0x07 };

  assert_reset_error (payload, sizeof payload, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_reset_length_not_power_of_2 (void)
{
  const guint8 zero[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x07 };
  const guint8 three_thousand[] = { 0x00, 0xb8, 0x0b, 0x00, 0x00, 0x07 };

  assert_reset_error (zero, sizeof zero, SHOAL_PROTO_ERROR_MALFORMED);
  assert_reset_error (three_thousand, sizeof three_thousand,
                      SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_reset_infinity_zero (void)
{
  const guint8 payload[] = { 0x00, 0x08, 0x00, 0x00, 0x00, 0x00 };

  assert_reset_error (payload, sizeof payload, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_reset_too_large (void)
{
  const guint8 largest[] = { 0x00, 0x00, 0x00, 0x20, 0x00, 0x02 };
  const guint8 too_large[] = { 0x00, 0x00, 0x00, 0x40, 0x00, 0x02 };
  g_autoptr(GError) error = NULL;
  ShoalQrpReset reset;

  g_assert_true (shoal_qrp_reset_parse (largest, sizeof largest, &reset,
                                        &error));
  g_assert_cmpuint (reset.table_length, ==, SHOAL_QRP_MAX_TABLE_SLOTS);
  assert_reset_error (too_large, sizeof too_large, SHOAL_PROTO_ERROR_TOO_LARGE);
}

static void
assert_patch_error (const guint8 *data,
                    gsize         length,
                    gint          code)
{
  g_autoptr(GError) error = NULL;
  ShoalQrpPatch patch;

  g_assert_false (shoal_qrp_patch_parse (data, length, &patch, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
}

static void
test_patch_without_data (void)
{
  assert_patch_error (appendix_patch_plain, SHOAL_QRP_PATCH_HEADER_SIZE,
                      SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_patch_wrong_variant (void)
{
  const guint8 payload[] = { 0x00, 0x01, 0x01, 0x00, 0x04, 0x00 };

  assert_patch_error (payload, sizeof payload, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_patch_bad_sequence_number (void)
{
  const guint8 zero[] = { 0x01, 0x00, 0x01, 0x00, 0x04, 0x00 };
  const guint8 beyond[] = { 0x01, 0x03, 0x02, 0x00, 0x04, 0x00 };

  assert_patch_error (zero, sizeof zero, SHOAL_PROTO_ERROR_MALFORMED);
  assert_patch_error (beyond, sizeof beyond, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_patch_unknown_compressor (void)
{
  const guint8 payload[] = { 0x01, 0x01, 0x01, 0x02, 0x04, 0x00 };

  assert_patch_error (payload, sizeof payload, SHOAL_PROTO_ERROR_UNSUPPORTED);
}

static void
test_patch_bad_entry_bits (void)
{
  const guint8 three[] = { 0x01, 0x01, 0x01, 0x00, 0x03, 0x00 };
  const guint8 sixteen[] = { 0x01, 0x01, 0x01, 0x00, 0x10, 0x00 };

  assert_patch_error (three, sizeof three, SHOAL_PROTO_ERROR_MALFORMED);
  assert_patch_error (sixteen, sizeof sixteen, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_feed_empty_payload (void)
{
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (feed (receiver, appendix_reset, 0, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED);
}

static void
test_feed_unknown_variant (void)
{
  const guint8 payload[] = { 0x02, 0x00 };
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (feed (receiver, payload, sizeof payload, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
}

/* A receiver that must refuse @payload, and then hold no table. */
static void
assert_feed_error (ShoalQrpReceiver *receiver,
                   const guint8     *payload,
                   gsize             length,
                   gint              code,
                   const char       *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (feed (receiver, payload, length, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, code);
  g_assert_nonnull (strstr (error->message, words));
  g_assert_null (shoal_qrp_receiver_get_table (receiver));
}

static void
test_feed_malformed_message_drops_table (void)
{
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  g_autoptr(GError) error = NULL;

  g_assert_true (feed (receiver, appendix_patch_plain,
                       sizeof appendix_patch_plain, &error));
  g_assert_nonnull (shoal_qrp_receiver_get_table (receiver));
  assert_feed_error (receiver, appendix_reset + SHOAL_MESSAGE_HEADER_SIZE,
                     SHOAL_QRP_RESET_SIZE - 1, SHOAL_PROTO_ERROR_TRUNCATED,
                     "RESET payload is 5 bytes");
  g_assert_false (feed (receiver, appendix_reset + SHOAL_MESSAGE_HEADER_SIZE,
                        SHOAL_QRP_RESET_SIZE, &error));
  g_assert_no_error (error);
  assert_feed_error (receiver, appendix_patch_plain,
                     SHOAL_QRP_PATCH_HEADER_SIZE, SHOAL_PROTO_ERROR_TRUNCATED,
                     "PATCH payload is 5 bytes");
}

static void
test_apply_patch_checks_fields (void)
{
  /* A patch handed over directly, not parsed, is checked all the same. */
  const guint8 data[] = { 0x00, 0xa0, 0x00, 0x00 };
  const ShoalQrpPatch patch = { 1, 1, SHOAL_QRP_COMPRESSOR_NONE, 3,
                                data, sizeof data };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  g_autoptr(GError) error = NULL;

  g_assert_false (shoal_qrp_receiver_apply_patch (receiver, &patch, NULL,
                                                  &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_patch_before_reset (void)
{
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();

  assert_feed_error (receiver, appendix_patch_plain,
                     sizeof appendix_patch_plain,
                     SHOAL_PROTO_ERROR_MALFORMED, "before any RESET");
}

static void
test_patch_wrong_sequence_number (void)
{
  const guint8 first[] = { 0x01, 0x01, 0x03, 0x00, 0x04, 0x00 };
  const guint8 third[] = { 0x01, 0x03, 0x03, 0x00, 0x04, 0x00 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  g_autoptr(GError) error = NULL;

  g_assert_false (feed (receiver, first, sizeof first, &error));
  g_assert_no_error (error);
  assert_feed_error (receiver, third, sizeof third,
                     SHOAL_PROTO_ERROR_MALFORMED, "#3 arrived, #2");
}

static void
test_patch_sequence_must_start_at_1 (void)
{
  const guint8 second[] = { 0x01, 0x02, 0x02, 0x00, 0x04, 0x00 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  assert_feed_error (receiver, second, sizeof second,
                     SHOAL_PROTO_ERROR_MALFORMED, "#2 arrived, #1");
}

/* Message 1 of 2 is fine; @second changes something it must not. */
static void
assert_second_message_refused (const guint8 *second)
{
  const guint8 first[] = { 0x01, 0x01, 0x02, 0x00, 0x04, 0x00 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  g_autoptr(GError) error = NULL;

  g_assert_false (feed (receiver, first, sizeof first, &error));
  g_assert_no_error (error);
  assert_feed_error (receiver, second, 6, SHOAL_PROTO_ERROR_MALFORMED,
                     "changes the sequence");
}

static void
test_patch_sequence_size_changes (void)
{
  const guint8 second[] = { 0x01, 0x02, 0x03, 0x00, 0x04, 0x00 };

  assert_second_message_refused (second);
}

static void
test_patch_entry_bits_change (void)
{
  const guint8 second[] = { 0x01, 0x02, 0x02, 0x00, 0x08, 0x00 };

  assert_second_message_refused (second);
}

static void
test_patch_compressor_changes (void)
{
  const guint8 second[] = { 0x01, 0x02, 0x02, 0x01, 0x04, 0x00 };

  assert_second_message_refused (second);
}

/* A PATCH payload of @data deflated, message @number of @size. */
static GByteArray *
zlib_patch (guint         number,
            guint         size,
            const guint8 *data,
            gsize         length)
{
  GByteArray *payload = g_byte_array_new ();
  uLongf deflated_length = compressBound (length);
  g_autofree guint8 *deflated = g_malloc (deflated_length);
  const guint8 header[] = { 0x01, number, size, 0x01, 0x04 };

  g_assert_cmpint (compress (deflated, &deflated_length, data, length), ==,
                   Z_OK);
  g_byte_array_append (payload, header, sizeof header);
  g_byte_array_append (payload, deflated, deflated_length);
  return payload;
}

static void
test_patch_zlib_error (void)
{
  const guint8 garbage[] = { 0x01, 0x01, 0x01, 0x01, 0x04,
                             0x12, 0x34, 0x56, 0x78 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  assert_feed_error (receiver, garbage, sizeof garbage,
                     SHOAL_PROTO_ERROR_COMPRESSION, "does not inflate");
}

static void
test_patch_zlib_early_end (void)
{
  const guint8 entries[4] = { 0 };
  g_autoptr(GByteArray) first = zlib_patch (1, 2, entries, sizeof entries);
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  assert_feed_error (receiver, first->data, first->len,
                     SHOAL_PROTO_ERROR_COMPRESSION, "ends early");
}

static void
test_patch_zlib_missing_end (void)
{
  const guint8 entries[4] = { 0 };
  g_autoptr(GByteArray) whole = zlib_patch (1, 1, entries, sizeof entries);
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  /* Without its 4-byte Adler-32 trailer the stream never ends. */
  assert_feed_error (receiver, whole->data, whole->len - 4,
                     SHOAL_PROTO_ERROR_COMPRESSION, "does not end");
}

static void
test_patch_zlib_trailing_bytes (void)
{
  const guint8 entries[4] = { 0 };
  const guint8 extra = 0x00;
  g_autoptr(GByteArray) whole = zlib_patch (1, 1, entries, sizeof entries);
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  g_byte_array_append (whole, &extra, 1);
  assert_feed_error (receiver, whole->data, whole->len,
                     SHOAL_PROTO_ERROR_MALFORMED, "follow the end");
}

static void
test_patch_incomplete (void)
{
  const guint8 half[] = { 0x01, 0x01, 0x01, 0x00, 0x04, 0x00, 0xa0 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  assert_feed_error (receiver, half, sizeof half, SHOAL_PROTO_ERROR_MALFORMED,
                     "covered 4 of 8 slots");
}

static void
test_patch_too_much_data (void)
{
  const guint8 five[] = { 0x01, 0x01, 0x01, 0x00, 0x04,
                          0x00, 0xa0, 0x00, 0x00, 0x00 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);

  assert_feed_error (receiver, five, sizeof five, SHOAL_PROTO_ERROR_TOO_LARGE,
                     "more 4-bit entries");
}

static void
test_patch_zlib_bomb (void)
{
  /* 1 MiB of zero entries deflates to about 1 KiB; the receiver stops at
   * the 16-slot table's end instead of inflating it all. */
  gsize length = 1 << 20;
  g_autofree guint8 *entries = g_malloc0 (length);
  g_autoptr(GByteArray) bomb = zlib_patch (1, 1, entries, length);
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (16, 2);

  g_assert_cmpuint (bomb->len, <, 2048);
  assert_feed_error (receiver, bomb->data, bomb->len,
                     SHOAL_PROTO_ERROR_TOO_LARGE, "16 slots");
}

static void
test_patch_refused_until_reset (void)
{
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  const guint8 bad[] = { 0x01, 0x01, 0x01, 0x00, 0x04, 0x00 };
  g_autoptr(GError) error = NULL;

  assert_feed_error (receiver, bad, sizeof bad, SHOAL_PROTO_ERROR_MALFORMED,
                     "incomplete");
  assert_feed_error (receiver, appendix_patch_plain,
                     sizeof appendix_patch_plain,
                     SHOAL_PROTO_ERROR_MALFORMED, "before any RESET");
  g_assert_false (feed (receiver, appendix_reset + SHOAL_MESSAGE_HEADER_SIZE,
                        SHOAL_QRP_RESET_SIZE, &error));
  g_assert_true (feed (receiver, appendix_patch_plain,
                       sizeof appendix_patch_plain, &error));
  g_assert_no_error (error);
}

static void
test_one_bit_entries_flip_presence (void)
{
  /* Present slots 0 and 7, then a 1-bit patch flipping slots 0 and 1. */
  const guint8 flip[] = { 0x01, 0x01, 0x01, 0x00, 0x01, 0xc0 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 2);
  const guint8 set[] = { 0x01, 0x01, 0x01, 0x00, 0x01, 0x81 };
  g_autoptr(GError) error = NULL;
  const ShoalQrpTable *table;

  g_assert_true (feed (receiver, set, sizeof set, &error));
  g_assert_true (feed (receiver, flip, sizeof flip, &error));
  g_assert_no_error (error);
  table = shoal_qrp_receiver_get_table (receiver);
  g_assert_false (shoal_qrp_table_is_present (table, 0));
  g_assert_true (shoal_qrp_table_is_present (table, 1));
  g_assert_true (shoal_qrp_table_is_present (table, 7));
  g_assert_cmpuint (shoal_qrp_table_count_present (table), ==, 2);
}

static void
test_signed_entries_add (void)
{
  /* 8-bit entries −6, +1, 0, +127 on infinity 7; sums saturate. */
  const guint8 patch[] = { 0x01, 0x01, 0x01, 0x00, 0x08,
                           0xfa, 0x01, 0x00, 0x7f, 0x80, 0x00, 0x00, 0x00 };
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (8, 7);
  g_autoptr(GError) error = NULL;
  const ShoalQrpTable *table;

  g_assert_true (feed (receiver, patch, sizeof patch, &error));
  g_assert_no_error (error);
  table = shoal_qrp_receiver_get_table (receiver);
  g_assert_cmpuint (table->values[0], ==, 1);
  g_assert_cmpuint (table->values[1], ==, 8);
  g_assert_cmpuint (table->values[2], ==, 7);
  g_assert_cmpuint (table->values[3], ==, 134);
  g_assert_cmpuint (table->values[4], ==, 0);
}

static void
test_table_new_refuses_bad_shapes (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (shoal_qrp_table_new (12, 2, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (shoal_qrp_table_new (SHOAL_QRP_MAX_TABLE_SLOTS * 2, 2,
                                      &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (shoal_qrp_table_new (8, 0, &error));
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED);
}

static void
test_table_basics (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQrpTable) table = shoal_qrp_table_new (16, 1, &error);
  g_autoptr(ShoalQrpTable) copy = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (shoal_qrp_table_get_bits (table), ==, 4);
  g_assert_cmpuint (shoal_qrp_table_count_present (table), ==, 0);
  shoal_qrp_table_set_present (table, 3);
  /* With infinity 1, presence is 0. */
  g_assert_cmpuint (table->values[3], ==, 0);
  g_assert_true (shoal_qrp_table_is_present (table, 3));
  copy = shoal_qrp_table_copy (table);
  g_assert_true (shoal_qrp_table_equal (copy, table));
  shoal_qrp_table_reset (table);
  g_assert_cmpuint (shoal_qrp_table_count_present (table), ==, 0);
  g_assert_false (shoal_qrp_table_equal (copy, table));
}

/* A table with @present pseudo-random slots present (fixed seed). */
static ShoalQrpTable *
sample_table (guint32 slots,
              guint8  infinity,
              guint   present,
              guint32 seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  ShoalQrpTable *table = shoal_qrp_table_new (slots, infinity, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < present; i++)
    shoal_qrp_table_set_present (table, g_rand_int_range (rand, 0, slots));
  return table;
}

static GPtrArray *
build (const ShoalQrpTable *target,
       const ShoalQrpTable *previous,
       guint                bits,
       ShoalQrpCompressor   compressor,
       gsize                chunk_size)
{
  const ShoalQrpPatchOptions options = { bits, compressor, chunk_size };
  g_autoptr(GError) error = NULL;
  GPtrArray *payloads = shoal_qrp_build_patches (target, previous, &options,
                                                 &error);

  g_assert_no_error (error);
  g_assert_cmpuint (payloads->len, >=, 1);
  g_assert_cmpuint (payloads->len, <=, SHOAL_QRP_MAX_SEQUENCE_SIZE);
  return payloads;
}

static void
assert_sequence_shape (GPtrArray *payloads,
                       guint      bits,
                       guint      compressor,
                       gsize      chunk_size)
{
  for (guint i = 0; i < payloads->len; i++)
    {
      g_autoptr(GError) error = NULL;
      gsize length;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (payloads, i),
                                             &length);
      ShoalQrpPatch patch;

      g_assert_true (shoal_qrp_patch_parse (data, length, &patch, &error));
      g_assert_cmpuint (patch.seq_number, ==, i + 1);
      g_assert_cmpuint (patch.seq_size, ==, payloads->len);
      g_assert_cmpuint (patch.entry_bits, ==, bits);
      g_assert_cmpuint (patch.compressor, ==, compressor);
      g_assert_cmpuint (patch.data_length, <=, chunk_size);
    }
}

static void
test_builder_round_trip (void)
{
  const guint bits[] = { 1, 2, 4, 8 };
  const ShoalQrpCompressor compressors[] = {
    SHOAL_QRP_COMPRESSOR_NONE, SHOAL_QRP_COMPRESSOR_ZLIB
  };
  g_autoptr(ShoalQrpTable) target = sample_table (4096, 2, 300, 1);

  for (guint b = 0; b < G_N_ELEMENTS (bits); b++)
    for (guint c = 0; c < G_N_ELEMENTS (compressors); c++)
      {
        g_autoptr(GPtrArray) payloads = build (target, NULL, bits[b],
                                               compressors[c], 64);
        g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (4096, 2);

        assert_sequence_shape (payloads, bits[b], compressors[c], 64);
        feed_all (receiver, payloads);
        g_assert_true (shoal_qrp_table_equal (
                         shoal_qrp_receiver_get_table (receiver), target));
      }
}

static void
test_builder_incremental (void)
{
  const guint bits[] = { 1, 4, 8 };
  g_autoptr(ShoalQrpTable) first = sample_table (2048, 2, 200, 2);
  g_autoptr(ShoalQrpTable) second = sample_table (2048, 2, 200, 3);

  for (guint b = 0; b < G_N_ELEMENTS (bits); b++)
    {
      g_autoptr(GPtrArray) initial = build (first, NULL, 4,
                                            SHOAL_QRP_COMPRESSOR_ZLIB, 512);
      g_autoptr(GPtrArray) update = build (second, first, bits[b],
                                           SHOAL_QRP_COMPRESSOR_ZLIB, 16);
      g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (2048, 2);
      const ShoalQrpTable *before;

      feed_all (receiver, initial);
      before = shoal_qrp_receiver_get_table (receiver);
      g_assert_true (shoal_qrp_table_equal (before, first));
      g_assert_cmpuint (update->len, >, 1);
      /* Until the update completes, the previous table stays in force. */
      for (guint i = 0; i + 1 < update->len; i++)
        {
          g_autoptr(GError) error = NULL;
          gsize length;
          const guint8 *data = g_bytes_get_data (g_ptr_array_index (update, i),
                                                 &length);

          g_assert_false (feed (receiver, data, length, &error));
          g_assert_no_error (error);
          g_assert_true (shoal_qrp_table_equal (
                           shoal_qrp_receiver_get_table (receiver), first));
        }
      g_ptr_array_remove_range (update, 0, update->len - 1);
      feed_all (receiver, update);
      g_assert_true (shoal_qrp_table_equal (
                       shoal_qrp_receiver_get_table (receiver), second));
    }
}

static void
test_builder_hop_values (void)
{
  /* LimeWire-style values 0..7 on infinity 7 survive 4- and 8-bit
   * patches, incremental ones included. */
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalQrpTable) first = shoal_qrp_table_new (64, 7, &error);
  g_autoptr(ShoalQrpTable) second = NULL;
  g_autoptr(ShoalQrpReceiver) receiver = receiver_after_reset (64, 7);
  g_autoptr(GPtrArray) initial = NULL;
  g_autoptr(GPtrArray) update = NULL;

  for (guint slot = 0; slot < 64; slot++)
    first->values[slot] = slot % 8;
  second = shoal_qrp_table_copy (first);
  for (guint slot = 0; slot < 64; slot++)
    second->values[slot] = 7 - slot % 8;
  initial = build (first, NULL, 4, SHOAL_QRP_COMPRESSOR_NONE, 512);
  update = build (second, first, 8, SHOAL_QRP_COMPRESSOR_NONE, 512);
  feed_all (receiver, initial);
  feed_all (receiver, update);
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (receiver),
                                        second));
}

static void
test_builder_grows_chunks (void)
{
  /* 2^21 slots of plain 4-bit entries are 1 MiB: at 512 bytes that would
   * be 2048 messages, so chunks grow to fit 255. */
  g_autoptr(ShoalQrpTable) target = sample_table (SHOAL_QRP_MAX_TABLE_SLOTS,
                                                  2, 1000, 4);
  g_autoptr(GPtrArray) payloads = build (target, NULL, 4,
                                         SHOAL_QRP_COMPRESSOR_NONE, 512);
  g_autoptr(ShoalQrpReceiver) receiver =
    receiver_after_reset (SHOAL_QRP_MAX_TABLE_SLOTS, 2);

  g_assert_cmpuint (payloads->len, ==, SHOAL_QRP_MAX_SEQUENCE_SIZE);
  feed_all (receiver, payloads);
  g_assert_true (shoal_qrp_table_equal (shoal_qrp_receiver_get_table (receiver),
                                        target));
}

static void
assert_build_error (const ShoalQrpTable *target,
                    const ShoalQrpTable *previous,
                    guint                bits)
{
  const ShoalQrpPatchOptions options = {
    bits, SHOAL_QRP_COMPRESSOR_NONE, 512
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) payloads = shoal_qrp_build_patches (target, previous,
                                                           &options, &error);

  g_assert_null (payloads);
  g_assert_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED);
}

static void
test_builder_refusals (void)
{
  g_autoptr(ShoalQrpTable) small = sample_table (8, 7, 0, 5);
  g_autoptr(ShoalQrpTable) other_size = sample_table (16, 7, 0, 5);
  g_autoptr(ShoalQrpTable) other_infinity = sample_table (8, 2, 0, 5);
  g_autoptr(ShoalQrpTable) tiny = sample_table (1, 2, 1, 5);
  g_autoptr(ShoalQrpTable) hops = sample_table (8, 7, 0, 5);

  /* A patch cannot resize a table or change its infinity. */
  assert_build_error (small, other_size, 4);
  assert_build_error (small, other_infinity, 4);
  /* One slot is less than a byte of 4-bit entries. */
  assert_build_error (tiny, NULL, 4);
  /* −7 does not fit in 2 bits; 1-bit entries carry presence only. */
  hops->values[0] = 0;
  assert_build_error (hops, NULL, 2);
  assert_build_error (hops, NULL, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qrp/vector/reset", test_vector_reset);
  g_test_add_func ("/qrp/vector/patch", test_vector_patch);
  g_test_add_func ("/qrp/vector/leaf-b-table", test_vector_leaf_b_table);
  g_test_add_func ("/qrp/vector/leaf-c-table", test_vector_leaf_c_table);
  g_test_add_func ("/qrp/vector/patch-rebuilt-byte-exact",
                   test_vector_patch_rebuilt_byte_exact);
  g_test_add_func ("/qrp/appendix/reset", test_appendix_reset);
  g_test_add_func ("/qrp/appendix/patch-plain", test_appendix_patch_plain);
  g_test_add_func ("/qrp/appendix/patch-zlib", test_appendix_patch_zlib);
  g_test_add_func ("/qrp/reset/wrong-size", test_reset_wrong_size);
  g_test_add_func ("/qrp/reset/wrong-variant", test_reset_wrong_variant);
  g_test_add_func ("/qrp/reset/length-not-power-of-2",
                   test_reset_length_not_power_of_2);
  g_test_add_func ("/qrp/reset/infinity-zero", test_reset_infinity_zero);
  g_test_add_func ("/qrp/reset/too-large", test_reset_too_large);
  g_test_add_func ("/qrp/patch/without-data", test_patch_without_data);
  g_test_add_func ("/qrp/patch/wrong-variant", test_patch_wrong_variant);
  g_test_add_func ("/qrp/patch/bad-sequence-number",
                   test_patch_bad_sequence_number);
  g_test_add_func ("/qrp/patch/unknown-compressor",
                   test_patch_unknown_compressor);
  g_test_add_func ("/qrp/patch/bad-entry-bits", test_patch_bad_entry_bits);
  g_test_add_func ("/qrp/receiver/empty-payload", test_feed_empty_payload);
  g_test_add_func ("/qrp/receiver/unknown-variant", test_feed_unknown_variant);
  g_test_add_func ("/qrp/receiver/malformed-message-drops-table",
                   test_feed_malformed_message_drops_table);
  g_test_add_func ("/qrp/receiver/apply-patch-checks-fields",
                   test_apply_patch_checks_fields);
  g_test_add_func ("/qrp/receiver/patch-before-reset", test_patch_before_reset);
  g_test_add_func ("/qrp/receiver/wrong-sequence-number",
                   test_patch_wrong_sequence_number);
  g_test_add_func ("/qrp/receiver/sequence-starts-at-1",
                   test_patch_sequence_must_start_at_1);
  g_test_add_func ("/qrp/receiver/sequence-size-changes",
                   test_patch_sequence_size_changes);
  g_test_add_func ("/qrp/receiver/entry-bits-change",
                   test_patch_entry_bits_change);
  g_test_add_func ("/qrp/receiver/compressor-changes",
                   test_patch_compressor_changes);
  g_test_add_func ("/qrp/receiver/zlib-error", test_patch_zlib_error);
  g_test_add_func ("/qrp/receiver/zlib-early-end", test_patch_zlib_early_end);
  g_test_add_func ("/qrp/receiver/zlib-missing-end",
                   test_patch_zlib_missing_end);
  g_test_add_func ("/qrp/receiver/zlib-trailing-bytes",
                   test_patch_zlib_trailing_bytes);
  g_test_add_func ("/qrp/receiver/incomplete", test_patch_incomplete);
  g_test_add_func ("/qrp/receiver/too-much-data", test_patch_too_much_data);
  g_test_add_func ("/qrp/receiver/zlib-bomb", test_patch_zlib_bomb);
  g_test_add_func ("/qrp/receiver/refused-until-reset",
                   test_patch_refused_until_reset);
  g_test_add_func ("/qrp/receiver/one-bit-entries-flip",
                   test_one_bit_entries_flip_presence);
  g_test_add_func ("/qrp/receiver/signed-entries-add",
                   test_signed_entries_add);
  g_test_add_func ("/qrp/table/refuses-bad-shapes",
                   test_table_new_refuses_bad_shapes);
  g_test_add_func ("/qrp/table/basics", test_table_basics);
  g_test_add_func ("/qrp/builder/round-trip", test_builder_round_trip);
  g_test_add_func ("/qrp/builder/incremental", test_builder_incremental);
  g_test_add_func ("/qrp/builder/hop-values", test_builder_hop_values);
  g_test_add_func ("/qrp/builder/grows-chunks", test_builder_grows_chunks);
  g_test_add_func ("/qrp/builder/refusals", test_builder_refusals);

  return g_test_run ();
}
