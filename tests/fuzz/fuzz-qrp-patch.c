/* fuzz-qrp-patch.c — libFuzzer target: a sequence of QRP messages (RESET,
 * PATCH…) applied to a table, as an ultrapeer receives them from a leaf.
 * Input framing: each 0x30 payload is preceded by its le16 length. */
#include "shoal-bytes.h"
#include "shoal-qrp.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ShoalQrpReceiver) receiver = shoal_qrp_receiver_new ();
  ShoalByteReader reader;
  guint16 length;

  shoal_byte_reader_init (&reader, data, size);
  while (shoal_byte_reader_read_le16 (&reader, &length))
    {
      const guint8 *payload;
      gboolean complete = FALSE;
      const ShoalQrpTable *table;

      if (!shoal_byte_reader_read_bytes (&reader, length, &payload))
        break;
      shoal_qrp_receiver_feed (receiver, payload, length, &complete, NULL);
      table = shoal_qrp_receiver_get_table (receiver);
      if (complete)
        {
          g_assert (table != NULL);
          g_assert (shoal_qrp_table_count_present (table) <= table->slots);
        }
    }
  return 0;
}
