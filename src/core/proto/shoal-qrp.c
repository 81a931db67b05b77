/* shoal-qrp.c — Query Routing Protocol messages, tables and patches. */
#include "shoal-qrp.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

/* Inflated patch data is applied as it comes out, this much at a time:
 * however much a peer's stream expands, we hold no more than this and the
 * table, and stop at the first entry past the table's end. */
#define INFLATE_BUFFER_SIZE 4096

struct _ShoalQrpReceiver
{
  ShoalQrpTable *table;       /* as of the last complete sequence */
  ShoalQrpTable *pending;     /* being patched, NULL between sequences */
  guint          next_seq;    /* 1 when no sequence is under way */
  guint8         seq_size;
  guint8         compressor;
  guint8         entry_bits;
  guint32        cursor;      /* next slot an entry applies to */
  z_stream       inflater;
  gboolean       inflater_ready;
};

static gboolean
is_valid_entry_bits (guint bits)
{
  return bits == 1 || bits == 2 || bits == 4 || bits == 8;
}

static guint8
present_value (guint8 infinity)
{
  return MIN (1, infinity - 1);
}

gboolean
shoal_qrp_peek_variant (const guint8 *data,
                        gsize         length,
                        guint8       *variant,
                        GError      **error)
{
  ShoalByteReader reader;

  shoal_byte_reader_init (&reader, data, length);
  if (!shoal_byte_reader_peek_u8 (&reader, variant))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "QRP payload is empty");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_table_shape (guint32   slots,
                   guint8    infinity,
                   GError  **error)
{
  if (slots == 0 || (slots & (slots - 1)) != 0)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP table length %u is not a power of 2", slots);
      return FALSE;
    }
  if (slots > SHOAL_QRP_MAX_TABLE_SLOTS)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "QRP table of %u slots is larger than %u",
                   slots, SHOAL_QRP_MAX_TABLE_SLOTS);
      return FALSE;
    }
  if (infinity < 1)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP infinity is 0, must be at least 1");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_variant (ShoalByteReader *reader,
               guint8           expected,
               const char      *name,
               GError         **error)
{
  guint8 variant;

  shoal_byte_reader_read_u8 (reader, &variant);
  if (variant != expected)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP variant is 0x%02x, a %s is 0x%02x",
                   variant, name, expected);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_qrp_reset_parse (const guint8  *data,
                       gsize          length,
                       ShoalQrpReset *reset,
                       GError       **error)
{
  ShoalByteReader reader;

  if (length != SHOAL_QRP_RESET_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR,
                   length < SHOAL_QRP_RESET_SIZE ? SHOAL_PROTO_ERROR_TRUNCATED
                                                 : SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP RESET payload is %" G_GSIZE_FORMAT " bytes, must be %d",
                   length, SHOAL_QRP_RESET_SIZE);
      return FALSE;
    }
  shoal_byte_reader_init (&reader, data, length);
  if (!check_variant (&reader, SHOAL_QRP_VARIANT_RESET, "RESET", error))
    return FALSE;
  shoal_byte_reader_read_le32 (&reader, &reset->table_length);
  shoal_byte_reader_read_u8 (&reader, &reset->infinity);
  return check_table_shape (reset->table_length, reset->infinity, error);
}

void
shoal_qrp_reset_write (const ShoalQrpReset *reset,
                       GByteArray          *out)
{
  shoal_bytes_append_u8 (out, SHOAL_QRP_VARIANT_RESET);
  shoal_bytes_append_le32 (out, reset->table_length);
  shoal_bytes_append_u8 (out, reset->infinity);
}

static gboolean
check_patch_fields (const ShoalQrpPatch *patch,
                    GError             **error)
{
  if (patch->seq_number == 0 || patch->seq_number > patch->seq_size)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP PATCH sequence number %u is outside 1..%u",
                   patch->seq_number, patch->seq_size);
      return FALSE;
    }
  if (patch->compressor != SHOAL_QRP_COMPRESSOR_NONE
      && patch->compressor != SHOAL_QRP_COMPRESSOR_ZLIB)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
                   "QRP PATCH compressor 0x%02x is neither none nor zlib",
                   patch->compressor);
      return FALSE;
    }
  if (!is_valid_entry_bits (patch->entry_bits))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP PATCH entries of %u bits: must be 1, 2, 4 or 8",
                   patch->entry_bits);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_qrp_patch_parse (const guint8  *data,
                       gsize          length,
                       ShoalQrpPatch *patch,
                       GError       **error)
{
  ShoalByteReader reader;

  if (length <= SHOAL_QRP_PATCH_HEADER_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "QRP PATCH payload is %" G_GSIZE_FORMAT
                   " bytes, needs at least %d",
                   length, SHOAL_QRP_PATCH_HEADER_SIZE + 1);
      return FALSE;
    }
  shoal_byte_reader_init (&reader, data, length);
  if (!check_variant (&reader, SHOAL_QRP_VARIANT_PATCH, "PATCH", error))
    return FALSE;
  shoal_byte_reader_read_u8 (&reader, &patch->seq_number);
  shoal_byte_reader_read_u8 (&reader, &patch->seq_size);
  shoal_byte_reader_read_u8 (&reader, &patch->compressor);
  shoal_byte_reader_read_u8 (&reader, &patch->entry_bits);
  patch->data_length = shoal_byte_reader_remaining (&reader);
  shoal_byte_reader_read_bytes (&reader, patch->data_length, &patch->data);
  return check_patch_fields (patch, error);
}

void
shoal_qrp_patch_write (const ShoalQrpPatch *patch,
                       GByteArray          *out)
{
  shoal_bytes_append_u8 (out, SHOAL_QRP_VARIANT_PATCH);
  shoal_bytes_append_u8 (out, patch->seq_number);
  shoal_bytes_append_u8 (out, patch->seq_size);
  shoal_bytes_append_u8 (out, patch->compressor);
  shoal_bytes_append_u8 (out, patch->entry_bits);
  shoal_bytes_append (out, patch->data, patch->data_length);
}

ShoalQrpTable *
shoal_qrp_table_new (guint32   slots,
                     guint8    infinity,
                     GError  **error)
{
  ShoalQrpTable *table;

  if (!check_table_shape (slots, infinity, error))
    return NULL;
  table = g_new0 (ShoalQrpTable, 1);
  table->slots = slots;
  table->infinity = infinity;
  table->values = g_malloc (slots);
  shoal_qrp_table_reset (table);
  return table;
}

ShoalQrpTable *
shoal_qrp_table_copy (const ShoalQrpTable *table)
{
  ShoalQrpTable *copy = g_new0 (ShoalQrpTable, 1);

  copy->slots = table->slots;
  copy->infinity = table->infinity;
  copy->values = g_memdup2 (table->values, table->slots);
  return copy;
}

void
shoal_qrp_table_free (ShoalQrpTable *table)
{
  if (table == NULL)
    return;
  g_free (table->values);
  g_free (table);
}

void
shoal_qrp_table_reset (ShoalQrpTable *table)
{
  memset (table->values, table->infinity, table->slots);
}

guint
shoal_qrp_table_get_bits (const ShoalQrpTable *table)
{
  return (guint) g_bit_nth_msf (table->slots, -1);
}

gboolean
shoal_qrp_table_is_present (const ShoalQrpTable *table,
                            guint32              slot)
{
  g_return_val_if_fail (slot < table->slots, FALSE);

  return table->values[slot] < table->infinity;
}

void
shoal_qrp_table_set_present (ShoalQrpTable *table,
                             guint32        slot)
{
  g_return_if_fail (slot < table->slots);

  table->values[slot] = present_value (table->infinity);
}

guint32
shoal_qrp_table_count_present (const ShoalQrpTable *table)
{
  guint32 count = 0;

  for (guint32 slot = 0; slot < table->slots; slot++)
    count += table->values[slot] < table->infinity;
  return count;
}

gboolean
shoal_qrp_table_equal (const ShoalQrpTable *a,
                       const ShoalQrpTable *b)
{
  return a->slots == b->slots && a->infinity == b->infinity
         && memcmp (a->values, b->values, a->slots) == 0;
}

/* Entry @index (0 = most significant bits) of a patch byte, sign
 * extended from @bits. */
static gint
entry_at (guint8 byte,
          guint  index,
          guint  bits)
{
  guint shift = 8 - bits * (index + 1);
  gint raw = (byte >> shift) & ((1 << bits) - 1);

  return raw >= 1 << (bits - 1) ? raw - (1 << bits) : raw;
}

/* gtk-gnutella reads a 1-bit entry as "presence flips" (qrt_apply_patch)
 * rather than as a signed −1: on a table just RESET both mean "present",
 * but only the flip lets 1-bit patches remove keywords. Other entries
 * are added, saturating at the ends of a byte. */
static void
apply_entry (ShoalQrpTable *table,
             guint32        slot,
             gint           entry,
             guint          bits)
{
  guint8 *value = &table->values[slot];

  if (bits == 1)
    {
      if (entry != 0)
        *value = *value < table->infinity ? table->infinity
                                          : present_value (table->infinity);
    }
  else
    *value = CLAMP (*value + entry, 0, G_MAXUINT8);
}

ShoalQrpReceiver *
shoal_qrp_receiver_new (void)
{
  ShoalQrpReceiver *receiver = g_new0 (ShoalQrpReceiver, 1);

  receiver->next_seq = 1;
  return receiver;
}

void
shoal_qrp_receiver_free (ShoalQrpReceiver *receiver)
{
  if (receiver == NULL)
    return;
  if (receiver->inflater_ready)
    inflateEnd (&receiver->inflater);
  shoal_qrp_table_free (receiver->table);
  shoal_qrp_table_free (receiver->pending);
  g_free (receiver);
}

const ShoalQrpTable *
shoal_qrp_receiver_get_table (const ShoalQrpReceiver *receiver)
{
  return receiver->table;
}

static void
receiver_clear (ShoalQrpReceiver *receiver)
{
  g_clear_pointer (&receiver->table, shoal_qrp_table_free);
  g_clear_pointer (&receiver->pending, shoal_qrp_table_free);
  receiver->next_seq = 1;
}

/* After an error nothing received so far can be trusted. */
static gboolean
receiver_fail (ShoalQrpReceiver *receiver)
{
  receiver_clear (receiver);
  return FALSE;
}

gboolean
shoal_qrp_receiver_apply_reset (ShoalQrpReceiver    *receiver,
                                const ShoalQrpReset *reset,
                                GError             **error)
{
  ShoalQrpTable *table = shoal_qrp_table_new (reset->table_length,
                                              reset->infinity, error);

  receiver_clear (receiver);
  receiver->pending = table;
  return table != NULL;
}

static gboolean
start_inflater (ShoalQrpReceiver *receiver,
                GError          **error)
{
  int status;

  if (receiver->inflater_ready)
    status = inflateReset (&receiver->inflater);
  else
    {
      memset (&receiver->inflater, 0, sizeof receiver->inflater);
      status = inflateInit (&receiver->inflater);
      receiver->inflater_ready = status == Z_OK;
    }
  if (status != Z_OK)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                   "cannot start a QRP PATCH inflater: %s", zError (status));
      return FALSE;
    }
  return TRUE;
}

/* Message 1 fixes what the whole sequence must keep; it patches the last
 * complete table, or the empty one a RESET made. */
static gboolean
start_sequence (ShoalQrpReceiver    *receiver,
                const ShoalQrpPatch *patch,
                GError             **error)
{
  if (receiver->pending == NULL)
    receiver->pending = shoal_qrp_table_copy (receiver->table);
  receiver->seq_size = patch->seq_size;
  receiver->compressor = patch->compressor;
  receiver->entry_bits = patch->entry_bits;
  receiver->cursor = 0;
  return patch->compressor != SHOAL_QRP_COMPRESSOR_ZLIB
         || start_inflater (receiver, error);
}

static gboolean
check_sequence (const ShoalQrpReceiver *receiver,
                const ShoalQrpPatch    *patch,
                GError                **error)
{
  if (patch->seq_number != receiver->next_seq)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP PATCH #%u arrived, #%u was expected",
                   patch->seq_number, receiver->next_seq);
      return FALSE;
    }
  if (patch->seq_size != receiver->seq_size
      || patch->compressor != receiver->compressor
      || patch->entry_bits != receiver->entry_bits)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP PATCH #%u changes the sequence from %u messages, "
                   "compressor %u, %u-bit entries to %u, %u, %u",
                   patch->seq_number, receiver->seq_size,
                   receiver->compressor, receiver->entry_bits,
                   patch->seq_size, patch->compressor, patch->entry_bits);
      return FALSE;
    }
  return TRUE;
}

static gboolean
apply_entries (ShoalQrpReceiver *receiver,
               const guint8     *data,
               gsize             length,
               GError          **error)
{
  ShoalQrpTable *table = receiver->pending;
  guint bits = receiver->entry_bits;
  guint per_byte = 8 / bits;

  if (length * per_byte > (gsize) (table->slots - receiver->cursor))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "QRP PATCH data holds more %u-bit entries than the "
                   "table's %u slots", bits, table->slots);
      return FALSE;
    }
  for (gsize i = 0; i < length; i++)
    for (guint index = 0; index < per_byte; index++)
      apply_entry (table, receiver->cursor++, entry_at (data[i], index, bits),
                   bits);
  return TRUE;
}

static gboolean
check_stream_end (const ShoalQrpReceiver *receiver,
                  const ShoalQrpPatch    *patch,
                  gboolean                ended,
                  GError                **error)
{
  gboolean last = patch->seq_number == patch->seq_size;

  if (ended && !last)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                   "QRP PATCH zlib stream ends early, in message #%u of %u",
                   patch->seq_number, patch->seq_size);
      return FALSE;
    }
  if (last && !ended)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                   "QRP PATCH zlib stream does not end with its last message");
      return FALSE;
    }
  if (receiver->inflater.avail_in > 0)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "%u bytes follow the end of the QRP PATCH zlib stream",
                   receiver->inflater.avail_in);
      return FALSE;
    }
  return TRUE;
}

static gboolean
inflate_entries (ShoalQrpReceiver    *receiver,
                 const ShoalQrpPatch *patch,
                 GError             **error)
{
  z_stream *stream = &receiver->inflater;
  guint8 buffer[INFLATE_BUFFER_SIZE];
  int status;

  stream->next_in = patch->data;
  stream->avail_in = patch->data_length;
  do
    {
      stream->next_out = buffer;
      stream->avail_out = sizeof buffer;
      status = inflate (stream, Z_NO_FLUSH);
      /* No progress possible: this message's data is used up. */
      if (status == Z_BUF_ERROR && stream->avail_in == 0)
        break;
      if (status != Z_OK && status != Z_STREAM_END)
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                       "QRP PATCH #%u does not inflate: %s", patch->seq_number,
                       stream->msg != NULL ? stream->msg : zError (status));
          return FALSE;
        }
      if (!apply_entries (receiver, buffer, sizeof buffer - stream->avail_out,
                          error))
        return FALSE;
    }
  while (status != Z_STREAM_END
         && (stream->avail_in > 0 || stream->avail_out == 0));
  return check_stream_end (receiver, patch, status == Z_STREAM_END, error);
}

static gboolean
finish_sequence (ShoalQrpReceiver *receiver,
                 GError          **error)
{
  if (receiver->cursor != receiver->pending->slots)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "incomplete %u-bit QRP patch covered %u of %u slots",
                   receiver->entry_bits, receiver->cursor,
                   receiver->pending->slots);
      return FALSE;
    }
  shoal_qrp_table_free (receiver->table);
  receiver->table = g_steal_pointer (&receiver->pending);
  receiver->next_seq = 1;
  /* Patches come minutes apart, if ever: an ultrapeer holding hundreds
   * of leaves' tables should not also hold an inflater (about 40 KiB)
   * for each. */
  if (receiver->inflater_ready)
    {
      inflateEnd (&receiver->inflater);
      receiver->inflater_ready = FALSE;
    }
  return TRUE;
}

static gboolean
apply_patch (ShoalQrpReceiver    *receiver,
             const ShoalQrpPatch *patch,
             gboolean            *complete,
             GError             **error)
{
  gboolean applied;

  if (!check_patch_fields (patch, error))
    return FALSE;
  if (receiver->table == NULL && receiver->pending == NULL)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "QRP PATCH arrived before any RESET");
      return FALSE;
    }
  if (receiver->next_seq == 1 && patch->seq_number == 1
      && !start_sequence (receiver, patch, error))
    return FALSE;
  if (!check_sequence (receiver, patch, error))
    return FALSE;
  receiver->next_seq++;
  if (receiver->compressor == SHOAL_QRP_COMPRESSOR_ZLIB)
    applied = inflate_entries (receiver, patch, error);
  else
    applied = apply_entries (receiver, patch->data, patch->data_length, error);
  if (!applied)
    return FALSE;
  if (patch->seq_number < patch->seq_size)
    return TRUE;
  *complete = TRUE;
  return finish_sequence (receiver, error);
}

gboolean
shoal_qrp_receiver_apply_patch (ShoalQrpReceiver    *receiver,
                                const ShoalQrpPatch *patch,
                                gboolean            *complete,
                                GError             **error)
{
  gboolean done = FALSE;

  if (!apply_patch (receiver, patch, &done, error))
    return receiver_fail (receiver);
  if (complete != NULL)
    *complete = done;
  return TRUE;
}

gboolean
shoal_qrp_receiver_feed (ShoalQrpReceiver *receiver,
                         const guint8     *data,
                         gsize             length,
                         gboolean         *complete,
                         GError          **error)
{
  ShoalQrpReset reset;
  ShoalQrpPatch patch;
  guint8 variant;

  if (complete != NULL)
    *complete = FALSE;
  if (!shoal_qrp_peek_variant (data, length, &variant, error))
    return receiver_fail (receiver);
  switch (variant)
    {
    case SHOAL_QRP_VARIANT_RESET:
      if (!shoal_qrp_reset_parse (data, length, &reset, error))
        return receiver_fail (receiver);
      return shoal_qrp_receiver_apply_reset (receiver, &reset, error);
    case SHOAL_QRP_VARIANT_PATCH:
      if (!shoal_qrp_patch_parse (data, length, &patch, error))
        return receiver_fail (receiver);
      return shoal_qrp_receiver_apply_patch (receiver, &patch, complete, error);
    default:
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
                   "unknown QRP variant 0x%02x", variant);
      return receiver_fail (receiver);
    }
}

/* One patch entry for @slot, or an error when the change cannot be
 * expressed in @bits (see apply_entry() for how 1-bit entries read). */
static gboolean
encode_entry (const ShoalQrpTable *target,
              const ShoalQrpTable *previous,
              guint32              slot,
              guint                bits,
              guint               *entry,
              GError             **error)
{
  guint8 infinity = target->infinity;
  guint8 before = previous != NULL ? previous->values[slot] : infinity;
  guint8 after = target->values[slot];
  gint delta = after - before;

  if (bits == 1)
    {
      gboolean flips = (before < infinity) != (after < infinity);
      guint8 reached = !flips ? before
                       : after < infinity ? present_value (infinity)
                       : infinity;

      *entry = flips;
      if (after == reached)
        return TRUE;
    }
  else if (delta >= -(1 << (bits - 1)) && delta < 1 << (bits - 1))
    {
      *entry = (guint) delta & ((1u << bits) - 1);
      return TRUE;
    }
  g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
               "QRP slot %u cannot go from %u to %u with %u-bit entries",
               slot, before, after, bits);
  return FALSE;
}

static GByteArray *
encode_entries (const ShoalQrpTable *target,
                const ShoalQrpTable *previous,
                guint                bits,
                GError             **error)
{
  guint per_byte = 8 / bits;
  g_autoptr(GByteArray) raw = g_byte_array_sized_new (target->slots / per_byte);

  for (guint32 slot = 0; slot < target->slots; slot += per_byte)
    {
      guint8 byte = 0;

      for (guint index = 0; index < per_byte; index++)
        {
          guint entry;

          if (!encode_entry (target, previous, slot + index, bits, &entry,
                             error))
            return NULL;
          byte |= entry << (8 - bits * (index + 1));
        }
      g_byte_array_append (raw, &byte, 1);
    }
  return g_steal_pointer (&raw);
}

static GByteArray *
deflate_entries (const GByteArray *raw,
                 GError          **error)
{
  uLongf length = compressBound (raw->len);
  g_autoptr(GByteArray) deflated = g_byte_array_sized_new (length);
  int status;

  g_byte_array_set_size (deflated, length);
  status = compress2 (deflated->data, &length, raw->data, raw->len,
                      Z_BEST_COMPRESSION);
  if (status != Z_OK)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_COMPRESSION,
                   "cannot deflate a QRP patch: %s", zError (status));
      return NULL;
    }
  g_byte_array_set_size (deflated, length);
  return g_steal_pointer (&deflated);
}

static gboolean
check_patchable (const ShoalQrpTable *target,
                 const ShoalQrpTable *previous,
                 guint                bits,
                 GError             **error)
{
  if (previous != NULL && (previous->slots != target->slots
                           || previous->infinity != target->infinity))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
                   "a QRP patch cannot turn a table of %u slots, infinity %u "
                   "into one of %u slots, infinity %u: it needs a RESET",
                   previous->slots, previous->infinity,
                   target->slots, target->infinity);
      return FALSE;
    }
  if (target->slots < 8 / bits)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_UNSUPPORTED,
                   "a QRP table of %u slots is smaller than one byte of "
                   "%u-bit entries", target->slots, bits);
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
split_patch (const GByteArray           *data,
             const ShoalQrpPatchOptions *options)
{
  gsize fitting = (data->len + SHOAL_QRP_MAX_SEQUENCE_SIZE - 1)
                  / SHOAL_QRP_MAX_SEQUENCE_SIZE;
  gsize chunk = MAX (options->chunk_size, fitting);
  guint count = (data->len + chunk - 1) / chunk;
  GPtrArray *payloads = g_ptr_array_new_with_free_func (
    (GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(GByteArray) out = g_byte_array_new ();
      gsize offset = i * chunk;
      ShoalQrpPatch patch = {
        .seq_number = i + 1,
        .seq_size = count,
        .compressor = options->compressor,
        .entry_bits = options->entry_bits,
        .data = data->data + offset,
        .data_length = MIN (chunk, data->len - offset),
      };

      shoal_qrp_patch_write (&patch, out);
      g_ptr_array_add (payloads, g_byte_array_free_to_bytes (
                         g_steal_pointer (&out)));
    }
  return payloads;
}

GPtrArray *
shoal_qrp_build_patches (const ShoalQrpTable        *target,
                         const ShoalQrpTable        *previous,
                         const ShoalQrpPatchOptions *options,
                         GError                    **error)
{
  g_autoptr(GByteArray) raw = NULL;

  g_return_val_if_fail (is_valid_entry_bits (options->entry_bits), NULL);
  g_return_val_if_fail (options->compressor == SHOAL_QRP_COMPRESSOR_NONE
                        || options->compressor == SHOAL_QRP_COMPRESSOR_ZLIB,
                        NULL);
  g_return_val_if_fail (options->chunk_size > 0, NULL);

  if (!check_patchable (target, previous, options->entry_bits, error))
    return NULL;
  raw = encode_entries (target, previous, options->entry_bits, error);
  if (raw == NULL)
    return NULL;
  if (options->compressor == SHOAL_QRP_COMPRESSOR_ZLIB)
    {
      GByteArray *deflated = deflate_entries (raw, error);

      if (deflated == NULL)
        return NULL;
      g_byte_array_unref (raw);
      raw = deflated;
    }
  return split_patch (raw, options);
}
