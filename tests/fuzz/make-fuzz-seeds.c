/* make-fuzz-seeds.c — cuts per-target fuzzing seeds out of the captured
 * gtk-gnutella traffic: whole messages for the message target, GGEP blocks
 * for the GGEP target, trailers for the trailer target, and so on.
 *
 *   make-fuzz-seeds TARGET VECTORS_DIR OUT_DIR
 */
#include "shoal-handshake.h"
#include "shoal-magnet.h"
#include "shoal-message.h"
#include "shoal-qrp.h"
#include "shoal-test-vectors.h"
#include "shoal-urn.h"

#include <string.h>

typedef struct
{
  const char *out_dir;
  guint       count;
} Seeds;

static void
write_seed (Seeds        *seeds,
            const guint8 *data,
            gsize         length)
{
  g_autofree char *name = g_strdup_printf ("seed-%04u", seeds->count++);
  g_autofree char *path = g_build_filename (seeds->out_dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) data, (gssize) length, &error))
    g_error ("cannot write %s: %s", path, error->message);
}

/* Every captured message, parsed (the HTTP response .bin is not one). */
static GPtrArray *
load_messages (void)
{
  g_autoptr(GPtrArray) files = shoal_test_list_vectors (".bin");
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_message_free);

  for (guint i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      g_autoptr(GBytes) bytes = NULL;
      ShoalMessage *message;

      if (g_str_has_prefix (relative, "http_"))
        continue;
      bytes = shoal_test_load_vector (relative);
      message = shoal_message_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
      if (message == NULL)
        g_error ("captured message %s does not parse", relative);
      g_ptr_array_add (messages, message);
    }
  return messages;
}

static void
seed_messages (Seeds *seeds)
{
  g_autoptr(GPtrArray) messages = load_messages ();

  for (guint i = 0; i < messages->len; i++)
    {
      g_autoptr(GBytes) bytes = shoal_message_write (g_ptr_array_index (messages, i), NULL);

      write_seed (seeds, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
}

static void
seed_ggep (Seeds *seeds)
{
  g_autoptr(GPtrArray) messages = load_messages ();

  for (guint i = 0; i < messages->len; i++)
    {
      const ShoalMessage *message = g_ptr_array_index (messages, i);
      gsize length;
      const guint8 *payload = g_bytes_get_data (message->payload, &length);

      /* Every offset where a valid block starts. */
      for (gsize at = 0; at < length; at++)
        {
          g_autoptr(ShoalGgep) ggep = NULL;
          gsize consumed = 0;

          if (payload[at] != SHOAL_GGEP_MAGIC)
            continue;
          ggep = shoal_ggep_parse (payload + at, length - at, &consumed, NULL);
          if (ggep != NULL)
            write_seed (seeds, payload + at, consumed);
        }
    }
}

static void
seed_trailers (Seeds *seeds)
{
  g_autoptr(GPtrArray) messages = load_messages ();

  for (guint i = 0; i < messages->len; i++)
    {
      const ShoalMessage *message = g_ptr_array_index (messages, i);
      g_autoptr(GByteArray) out = g_byte_array_new ();

      if (message->query_hit == NULL || message->query_hit->trailer == NULL)
        continue;
      if (shoal_query_hit_trailer_write (message->query_hit->trailer, out, NULL))
        write_seed (seeds, out->data, out->len);
    }
}

/* Appends one 0x30 payload in the target's framing: le16 length first. */
static void
frame_qrp (GByteArray   *frames,
           const guint8 *payload,
           gsize         length)
{
  guint8 prefix[2] = { length & 0xff, length >> 8 };

  g_byte_array_append (frames, prefix, 2);
  g_byte_array_append (frames, payload, (guint) length);
}

static void
seed_captured_qrp (Seeds *seeds)
{
  g_autoptr(GPtrArray) messages = load_messages ();
  g_autoptr(GByteArray) frames = g_byte_array_new ();

  /* The captured tables: each RESET starts a new seed. */
  for (guint i = 0; i < messages->len; i++)
    {
      const ShoalMessage *message = g_ptr_array_index (messages, i);
      gsize length;
      const guint8 *payload = g_bytes_get_data (message->payload, &length);

      if (message->qrp == NULL)
        continue;
      if (message->qrp->variant == SHOAL_QRP_VARIANT_RESET && frames->len > 0)
        {
          write_seed (seeds, frames->data, frames->len);
          g_byte_array_set_size (frames, 0);
        }
      frame_qrp (frames, payload, length);
    }
  if (frames->len > 0)
    write_seed (seeds, frames->data, frames->len);
}

/* Tables of our own, in every entry width and compressor, several PATCH
 * messages long, so the fuzzer starts from multi-part sequences too. */
static void
seed_built_qrp (Seeds *seeds)
{
  static const guint widths[] = { 1, 2, 4, 8 };

  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    for (guint compressor = 0; compressor <= 1; compressor++)
      {
        /* The widest step a width can write: −1 in 1 bit, −6 (LimeWire's
         * infinity 7) from 4 bits up, gtk-gnutella's infinity 2 between. */
        guint8 infinity = widths[w] == 1 ? 1 : widths[w] == 2 ? 2 : 7;
        g_autoptr(ShoalQrpTable) table = shoal_qrp_table_new (1024, infinity, NULL);
        g_autoptr(GPtrArray) patches = NULL;
        g_autoptr(GByteArray) frames = g_byte_array_new ();
        g_autoptr(GByteArray) reset = g_byte_array_new ();
        g_autoptr(GError) error = NULL;
        ShoalQrpPatchOptions options = { widths[w], compressor, 64 };
        ShoalQrpReset header = { 1024, infinity };

        for (guint slot = 0; slot < 1024; slot += 37)
          shoal_qrp_table_set_present (table, slot);
        patches = shoal_qrp_build_patches (table, NULL, &options, &error);
        if (patches == NULL)
          g_error ("cannot build a %u-bit QRP patch: %s", widths[w], error->message);
        shoal_qrp_reset_write (&header, reset);
        frame_qrp (frames, reset->data, reset->len);
        for (guint p = 0; p < patches->len; p++)
          {
            GBytes *patch = g_ptr_array_index (patches, p);

            frame_qrp (frames, g_bytes_get_data (patch, NULL), g_bytes_get_size (patch));
          }
        write_seed (seeds, frames->data, frames->len);
      }
}

static void
seed_handshakes (Seeds *seeds)
{
  g_autoptr(GPtrArray) files = shoal_test_list_vectors (".txt");

  for (guint i = 0; i < files->len; i++)
    {
      const char *relative = g_ptr_array_index (files, i);
      g_autoptr(GBytes) text = shoal_test_load_vector (relative);
      g_autoptr(GPtrArray) sections = NULL;

      /* Transcripts start with their first "----- a -> b" separator. */
      if (g_bytes_get_size (text) < 6 || memcmp (g_bytes_get_data (text, NULL), "----- ", 6) != 0)
        continue;
      sections = shoal_test_load_transcript (relative);
      for (guint s = 0; s < sections->len; s++)
        {
          ShoalTestTranscriptSection *section = g_ptr_array_index (sections, s);

          write_seed (seeds, g_bytes_get_data (section->bytes, NULL),
                      g_bytes_get_size (section->bytes));
        }
    }
}

static void
write_magnet (Seeds             *seeds,
              const ShoalMagnet *magnet)
{
  g_autofree char *text = shoal_magnet_to_string (magnet);

  write_seed (seeds, (const guint8 *) text, strlen (text));
}

/* A magnet for every file the capture's hits name, and the doc's forms. */
static void
seed_magnets (Seeds *seeds)
{
  static const char *const written[] = {
    "magnet:?xt=urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB&dn=GnutellaProtocol04.pdf&xl=123456",
    "magnet:?xt=urn:sha1:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4&dn=xylophone+nebula%205MB.bin"
    "&xs=http://127.0.0.2:16342/uri-res/N2R%3Furn:sha1:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4"
    "&as=http://127.0.0.3:6346/get/3/x.bin&kt=xylophone+nebula&x.guid=200b310283b9bf20b5d3d27ba19a6bd2",
  };
  g_autoptr(GPtrArray) messages = load_messages ();

  for (guint i = 0; i < G_N_ELEMENTS (written); i++)
    write_seed (seeds, (const guint8 *) written[i], strlen (written[i]));
  for (guint i = 0; i < messages->len; i++)
    {
      const ShoalMessage *message = g_ptr_array_index (messages, i);

      if (message->query_hit == NULL)
        continue;
      for (guint r = 0; r < message->query_hit->records->len; r++)
        {
          const ShoalQueryHitRecord *record = g_ptr_array_index (message->query_hit->records, r);
          g_autoptr(ShoalMagnet) magnet = shoal_magnet_new ();

          magnet->has_sha1 = shoal_query_hit_record_get_sha1 (record, magnet->sha1);
          magnet->display_name = g_strdup (record->name);
          magnet->has_exact_length = TRUE;
          magnet->exact_length = record->size;
          write_magnet (seeds, magnet);
        }
    }
}

int
main (int argc, char **argv)
{
  Seeds seeds = { 0 };
  const char *target;

  if (argc != 4)
    {
      g_printerr ("usage: make-fuzz-seeds TARGET VECTORS_DIR OUT_DIR\n");
      return 2;
    }
  target = argv[1];
  g_setenv ("SHOAL_VECTORS_DIR", argv[2], TRUE);
  seeds.out_dir = argv[3];

  if (g_str_equal (target, "message"))
    seed_messages (&seeds);
  else if (g_str_equal (target, "ggep"))
    seed_ggep (&seeds);
  else if (g_str_equal (target, "query-hit-trailer"))
    seed_trailers (&seeds);
  else if (g_str_equal (target, "qrp-patch"))
    {
      seed_captured_qrp (&seeds);
      seed_built_qrp (&seeds);
    }
  else if (g_str_equal (target, "handshake"))
    seed_handshakes (&seeds);
  else if (g_str_equal (target, "magnet"))
    seed_magnets (&seeds);
  else
    {
      g_printerr ("make-fuzz-seeds: no such target \"%s\"\n", target);
      return 2;
    }
  return seeds.count > 0 ? 0 : 1;
}
