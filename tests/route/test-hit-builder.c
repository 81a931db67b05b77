/* test-hit-builder.c — our query hits: records, trailer, header, splitting,
 * and the layout next to a hit gtk-gnutella sent. */
#include "shoal-hit-builder.h"
#include "shoal-message.h"
#include "shoal-test-vectors.h"
#include "shoal-urn.h"

#include <string.h>

#define QUERY_GUID_HEX "8daeac09310292130ff861efc0a6a531"
#define SERVENT_GUID_HEX "5e2f00aa0102030405060708090a0bff"
#define OUR_ADDRESS 0xc0a80107u
#define OUR_PORT 6346
#define OUR_SPEED 1000
#define THREE_GIB (G_GUINT64_CONSTANT (3) << 30)
/* Index, size and the two NULs of a record without extensions. */
#define BARE_RECORD_SIZE 10
/* The capture: leaf B answers leaf C's query, which took 2 hops to it. */
#define CAPTURED_HIT "queryhit_gtkg_leaf_obsidian_to_up.bin"
#define CAPTURED_QUERY_HOPS 2
#define OBSIDIAN_INDEX 2
#define OBSIDIAN_NAME "obsidian_tortoise_almanac.txt"
#define OBSIDIAN_SIZE 31
#define OBSIDIAN_URN "urn:sha1:E52FITICBTOLIVR6RSIJENLBISDDVFCS"

static ShoalHitSelf
make_self (gboolean firewalled,
           gboolean busy,
           gboolean has_uploaded,
           gboolean browsable)
{
  ShoalHitSelf self = { 0 };

  g_assert_true (shoal_guid_from_hex (SERVENT_GUID_HEX, -1, &self.servent_guid, NULL));
  self.endpoint.address = OUR_ADDRESS;
  self.endpoint.port = OUR_PORT;
  self.speed_kbps = OUR_SPEED;
  self.firewalled = firewalled;
  self.busy = busy;
  self.has_uploaded = has_uploaded;
  self.browsable = browsable;
  return self;
}

static ShoalGuid
query_guid (void)
{
  ShoalGuid guid;

  g_assert_true (shoal_guid_from_hex (QUERY_GUID_HEX, -1, &guid, NULL));
  return guid;
}

static void
fill_sha1 (guint8 sha1[SHOAL_SHA1_SIZE],
           guint8 seed)
{
  for (guint i = 0; i < SHOAL_SHA1_SIZE; i++)
    sha1[i] = (guint8) (seed + i * 13);
}

static ShoalHitFile
make_file (guint32     index,
           guint64     size,
           const char *name,
           gboolean    has_sha1)
{
  ShoalHitFile file = { .index = index, .size = size, .name = name, .has_sha1 = has_sha1 };

  if (has_sha1)
    fill_sha1 (file.sha1, (guint8) index);
  return file;
}

/* Parses @bytes as a whole message and checks the header every hit of
 * ours carries. */
static ShoalMessage *
parse_our_hit (GBytes *bytes,
               guint8  expected_ttl)
{
  g_autoptr(GError) error = NULL;
  ShoalGuid expected_guid = query_guid ();
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  ShoalMessage *message = shoal_message_parse (data, length, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_cmphex (message->header.type, ==, SHOAL_MESSAGE_QUERY_HIT);
  g_assert_true (shoal_guid_equal (&message->header.guid, &expected_guid));
  g_assert_cmpuint (message->header.ttl, ==, expected_ttl);
  g_assert_cmpuint (message->header.hops, ==, 0);
  g_assert_cmpuint (message->header.payload_length, ==, length - SHOAL_MESSAGE_HEADER_SIZE);
  g_assert_cmpuint (message->header.payload_length, <=, SHOAL_QUERY_HIT_FORWARD_SIZE);
  g_assert_nonnull (message->query_hit);
  return message;
}

static GPtrArray *
build (const ShoalHitSelf    *self,
       guint8                 query_hops,
       const ShoalHitFile    *files,
       guint                  n_files,
       ShoalQueryHitSha1Form  sha1_form)
{
  ShoalGuid guid = query_guid ();
  GPtrArray *messages = shoal_hit_builder_build (self, &guid, query_hops, files,
                                                 n_files, sha1_form);

  g_assert_nonnull (messages);
  return messages;
}

static void
assert_record (const ShoalQueryHitRecord *record,
               const ShoalHitFile        *file)
{
  g_autoptr(GError) error = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];
  guint64 size;

  g_assert_cmpuint (record->index, ==, file->index);
  g_assert_cmpstr (record->name, ==, file->name);
  g_assert_true (shoal_query_hit_record_get_file_size (record, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, file->size);
  g_assert_cmpint (shoal_query_hit_record_get_sha1 (record, sha1), ==, file->has_sha1);
  if (file->has_sha1)
    g_assert_cmpmem (sha1, sizeof sha1, file->sha1, sizeof file->sha1);
}

static const ShoalExtensionItem *
first_item (const ShoalQueryHitRecord *record)
{
  g_assert_cmpuint (record->extensions->items->len, >, 0);
  return g_ptr_array_index (record->extensions->items, 0);
}

static void
test_records_urn_form (void)
{
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, TRUE);
  ShoalHitFile files[] = {
    make_file (3, 4096, "small song.ogg", TRUE),
    make_file (8, 1234, "no hash yet.txt", FALSE),
    make_file (11, THREE_GIB, "big image.iso", TRUE),
  };
  g_autoptr(GPtrArray) messages = build (&self, 2, files, G_N_ELEMENTS (files),
                                         SHOAL_QUERY_HIT_SHA1_URN);
  g_autoptr(ShoalMessage) message = NULL;
  g_autofree char *urn = NULL;
  const ShoalQueryHitRecord *record;
  const ShoalExtensionItem *item;

  g_assert_cmpuint (messages->len, ==, 1);
  message = parse_our_hit (g_ptr_array_index (messages, 0), 7);
  g_assert_cmpuint (message->query_hit->records->len, ==, G_N_ELEMENTS (files));
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    assert_record (g_ptr_array_index (message->query_hit->records, i), &files[i]);

  /* The SHA-1 as HUGE text, and no GGEP "H". */
  record = g_ptr_array_index (message->query_hit->records, 0);
  item = first_item (record);
  g_assert_cmpint (item->kind, ==, SHOAL_EXTENSION_TEXT);
  urn = shoal_urn_format_sha1 (files[0].sha1);
  g_assert_cmpmem (g_bytes_get_data (item->text, NULL), g_bytes_get_size (item->text),
                   urn, strlen (urn));
  g_assert_null (shoal_extensions_find_ggep (record->extensions, "H"));
  g_assert_cmpuint (record->size, ==, 4096);

  /* No hash, nothing between the NULs. */
  record = g_ptr_array_index (message->query_hit->records, 1);
  g_assert_cmpuint (record->extensions->items->len, ==, 0);

  /* 3 GiB: the 32-bit field says "see LF". */
  record = g_ptr_array_index (message->query_hit->records, 2);
  g_assert_cmphex (record->size, ==, SHOAL_QUERY_HIT_SIZE_IN_LF);
  g_assert_nonnull (shoal_extensions_find_ggep (record->extensions, "LF"));
}

static void
test_records_ggep_h_form (void)
{
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, FALSE);
  ShoalHitFile files[] = {
    make_file (1, 777, "hashed.flac", TRUE),
    make_file (2, THREE_GIB, "huge.mkv", TRUE),
  };
  g_autoptr(GPtrArray) messages = build (&self, 0, files, G_N_ELEMENTS (files),
                                         SHOAL_QUERY_HIT_SHA1_GGEP_H);
  g_autoptr(ShoalMessage) message = NULL;

  g_assert_cmpuint (messages->len, ==, 1);
  message = parse_our_hit (g_ptr_array_index (messages, 0), 5);
  g_assert_cmpuint (message->query_hit->records->len, ==, G_N_ELEMENTS (files));
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      const ShoalQueryHitRecord *record = g_ptr_array_index (message->query_hit->records, i);
      const ShoalGgepExtension *hash = shoal_extensions_find_ggep (record->extensions, "H");
      const guint8 *data;
      gsize length;

      assert_record (record, &files[i]);
      /* Only GGEP: type byte 0x01 then the 20 bytes. */
      g_assert_cmpint (first_item (record)->kind, ==, SHOAL_EXTENSION_GGEP);
      g_assert_nonnull (hash);
      data = g_bytes_get_data (hash->data, &length);
      g_assert_cmpuint (length, ==, 1 + SHOAL_SHA1_SIZE);
      g_assert_cmphex (data[0], ==, 0x01);
      g_assert_cmpmem (data + 1, SHOAL_SHA1_SIZE, files[i].sha1, SHOAL_SHA1_SIZE);
    }
  g_assert_nonnull (shoal_extensions_find_ggep (((ShoalQueryHitRecord *)
                      g_ptr_array_index (message->query_hit->records, 1))->extensions, "LF"));
}

static void
test_header_ttl (void)
{
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, FALSE);
  ShoalHitFile file = make_file (1, 10, "a.txt", FALSE);
  const struct { guint8 hops; guint8 ttl; } cases[] = {
    { 0, 5 }, { 3, 8 }, { 10, 15 }, { 14, 15 }, { 200, 15 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) messages = build (&self, cases[i].hops, &file, 1,
                                             SHOAL_QUERY_HIT_SHA1_URN);
      g_autoptr(ShoalMessage) message = NULL;

      g_assert_cmpuint (messages->len, ==, 1);
      message = parse_our_hit (g_ptr_array_index (messages, 0), cases[i].ttl);
    }
}

/* Every hit says who we are, whatever the flags. */
static void
assert_from_us (const ShoalQueryHit *hit,
                const ShoalHitSelf  *self)
{
  g_assert_cmphex (hit->endpoint.address, ==, OUR_ADDRESS);
  g_assert_cmpuint (hit->endpoint.port, ==, OUR_PORT);
  g_assert_cmpuint (hit->speed, ==, OUR_SPEED);
  g_assert_true (shoal_guid_equal (&hit->servent_guid, &self->servent_guid));
  g_assert_nonnull (hit->trailer);
  g_assert_cmpstr (hit->trailer->vendor, ==, SHOAL_QUERY_HIT_VENDOR);
  g_assert_cmpuint (g_bytes_get_size (hit->trailer->open_data), ==, 2);
}

static ShoalMessage *
build_one (const ShoalHitSelf *self)
{
  ShoalHitFile file = make_file (4, 100, "flags.txt", TRUE);
  g_autoptr(GPtrArray) messages = build (self, 1, &file, 1, SHOAL_QUERY_HIT_SHA1_URN);
  ShoalMessage *message;

  g_assert_cmpuint (messages->len, ==, 1);
  message = parse_our_hit (g_ptr_array_index (messages, 0), 6);
  assert_from_us (message->query_hit, self);
  return message;
}

static void
test_trailer_flags (void)
{
  const struct { gboolean firewalled, busy, uploaded, browsable; } cases[] = {
    { FALSE, FALSE, FALSE, FALSE },
    { TRUE, FALSE, FALSE, FALSE },
    { FALSE, TRUE, FALSE, FALSE },
    { FALSE, FALSE, TRUE, FALSE },
    { FALSE, FALSE, FALSE, TRUE },
    { TRUE, TRUE, TRUE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ShoalHitSelf self = make_self (cases[i].firewalled, cases[i].busy,
                                     cases[i].uploaded, cases[i].browsable);
      g_autoptr(ShoalMessage) message = build_one (&self);
      const ShoalQueryHitTrailer *trailer = message->query_hit->trailer;
      const guint8 *open = g_bytes_get_data (trailer->open_data, NULL);

      g_assert_cmpint (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_PUSH),
                       ==, cases[i].firewalled);
      g_assert_cmpint (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_BUSY),
                       ==, cases[i].busy);
      g_assert_cmpint (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_UPLOADED),
                       ==, cases[i].uploaded);
      g_assert_cmpint (shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_GGEP),
                       ==, cases[i].browsable);
      g_assert_cmpint (shoal_query_hit_trailer_is_browsable (trailer), ==, cases[i].browsable);
      /* Push: the value in byte 1, "meaningful" in byte 2; the others the
       * other way round, always meaningful (§4.4). */
      g_assert_cmphex (open[0] & SHOAL_QUERY_HIT_FLAG_PUSH, ==,
                       cases[i].firewalled ? SHOAL_QUERY_HIT_FLAG_PUSH : 0);
      g_assert_cmphex (open[1] & SHOAL_QUERY_HIT_FLAG_PUSH, ==, SHOAL_QUERY_HIT_FLAG_PUSH);
      g_assert_cmphex (open[0] & SHOAL_QUERY_HIT_FLAG_BUSY, ==, SHOAL_QUERY_HIT_FLAG_BUSY);
      /* Nothing we do not do: no GGEP at all unless browsable. */
      if (cases[i].browsable)
        {
          g_assert_nonnull (trailer->ggep);
          g_assert_cmpuint (shoal_ggep_count (trailer->ggep), ==, 1);
        }
      else
        {
          g_assert_null (trailer->ggep);
          g_assert_cmpuint (g_bytes_get_size (trailer->private_data), ==, 0);
        }
    }
}

static void
test_split_by_count (void)
{
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, TRUE);
  ShoalHitFile files[25];
  char *names[G_N_ELEMENTS (files)];
  const guint expected[] = { 10, 10, 5 };
  g_autoptr(GPtrArray) messages = NULL;
  guint next = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      names[i] = g_strdup_printf ("file %02u.txt", i);
      files[i] = make_file (100 + i, 1000 + i, names[i], TRUE);
    }
  messages = build (&self, 2, files, G_N_ELEMENTS (files), SHOAL_QUERY_HIT_SHA1_URN);

  g_assert_cmpuint (messages->len, ==, G_N_ELEMENTS (expected));
  for (guint m = 0; m < messages->len; m++)
    {
      g_autoptr(ShoalMessage) message = parse_our_hit (g_ptr_array_index (messages, m), 7);
      GPtrArray *records = message->query_hit->records;

      g_assert_cmpuint (records->len, ==, expected[m]);
      g_assert_cmpuint (records->len, <=, SHOAL_HIT_BUILDER_MAX_RECORDS);
      assert_from_us (message->query_hit, &self);
      /* In order, none lost, none twice. */
      for (guint r = 0; r < records->len; r++)
        assert_record (g_ptr_array_index (records, r), &files[next++]);
    }
  g_assert_cmpuint (next, ==, G_N_ELEMENTS (files));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_free (names[i]);
}

static void
test_split_by_bytes (void)
{
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, TRUE);
  ShoalHitFile files[10];
  char *names[G_N_ELEMENTS (files)];
  g_autoptr(GPtrArray) messages = NULL;
  guint next = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      names[i] = g_strnfill (500, (gchar) ('a' + i));
      files[i] = make_file (i, 42, names[i], FALSE);
    }
  messages = build (&self, 2, files, G_N_ELEMENTS (files), SHOAL_QUERY_HIT_SHA1_URN);

  /* Four 510-byte records pass 2016 bytes: far fewer than 10 per hit. */
  g_assert_cmpuint (messages->len, ==, 3);
  for (guint m = 0; m < messages->len; m++)
    {
      g_autoptr(ShoalMessage) message = parse_our_hit (g_ptr_array_index (messages, m), 7);
      GPtrArray *records = message->query_hit->records;
      guint32 length = message->header.payload_length;
      const ShoalQueryHitRecord *last = g_ptr_array_index (records, records->len - 1);

      for (guint r = 0; r < records->len; r++)
        assert_record (g_ptr_array_index (records, r), &files[next++]);
      if (m + 1 == messages->len)
        continue;
      /* Sent as soon as it passed the threshold, not one record later. */
      g_assert_cmpuint (length, >, SHOAL_HIT_BUILDER_FLUSH_BYTES);
      g_assert_cmpuint (length - (BARE_RECORD_SIZE + strlen (last->name)), <=,
                        SHOAL_HIT_BUILDER_FLUSH_BYTES);
    }
  g_assert_cmpuint (next, ==, G_N_ELEMENTS (files));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_free (names[i]);
}

/* A record that would push a hit past what routers forward starts a new
 * hit; one too big to travel even alone is left out. */
static void
test_long_names (void)
{
  ShoalHitSelf self = make_self (TRUE, FALSE, FALSE, TRUE);
  g_autofree char *medium = g_strnfill (500, 'm');
  g_autofree char *long_name = g_strnfill (15000, 'l');
  g_autofree char *absurd = g_strnfill (SHOAL_QUERY_HIT_FORWARD_SIZE, 'x');
  ShoalHitFile files[] = {
    make_file (1, 1, medium, TRUE),
    make_file (2, 2, medium, TRUE),
    make_file (3, 3, medium, TRUE),
    make_file (4, 4, long_name, TRUE),
    make_file (5, 5, absurd, TRUE),
    make_file (6, 6, "short.txt", TRUE),
  };
  const guint expected_records[] = { 3, 1, 1 };
  const guint32 expected_first_index[] = { 1, 4, 6 };
  g_autoptr(GPtrArray) messages = build (&self, 2, files, G_N_ELEMENTS (files),
                                         SHOAL_QUERY_HIT_SHA1_URN);

  g_assert_cmpuint (messages->len, ==, G_N_ELEMENTS (expected_records));
  for (guint m = 0; m < messages->len; m++)
    {
      g_autoptr(ShoalMessage) message = parse_our_hit (g_ptr_array_index (messages, m), 7);
      GPtrArray *records = message->query_hit->records;

      g_assert_cmpuint (records->len, ==, expected_records[m]);
      g_assert_cmpuint (((ShoalQueryHitRecord *) g_ptr_array_index (records, 0))->index, ==,
                        expected_first_index[m]);
      assert_from_us (message->query_hit, &self);
    }
}

static void
test_empty (void)
{
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, TRUE);
  g_autoptr(GPtrArray) messages = build (&self, 2, NULL, 0, SHOAL_QUERY_HIT_SHA1_URN);

  g_assert_cmpuint (messages->len, ==, 0);
}

/* Where the trailer starts: after the fixed part and the records (index,
 * size, then the name and the extension area, each up to a NUL). */
static gsize
trailer_offset (const guint8 *payload,
                gsize         length)
{
  gsize offset = SHOAL_QUERY_HIT_FIXED_SIZE;
  guint records = payload[0];

  for (guint r = 0; r < records; r++)
    {
      offset += 8;
      for (guint nul = 0; nul < 2; nul++)
        {
          const guint8 *end = memchr (payload + offset, 0, length - offset);

          g_assert_nonnull (end);
          offset = (gsize) (end - payload) + 1;
        }
    }
  return offset;
}

/* The trailer's shape: vendor, open size 2, the two flag bytes, then the
 * GGEP block straight away, and the servent GUID as the last 16 bytes. */
static void
assert_layout (const ShoalMessage *message,
               const char         *vendor)
{
  gsize length;
  const guint8 *payload = g_bytes_get_data (message->payload, &length);
  gsize trailer = trailer_offset (payload, length);

  g_assert_cmpmem (payload + trailer, SHOAL_QUERY_HIT_VENDOR_SIZE,
                   vendor, SHOAL_QUERY_HIT_VENDOR_SIZE);
  g_assert_cmpuint (payload[trailer + 4], ==, 2);
  g_assert_cmphex (payload[trailer + 7], ==, SHOAL_GGEP_MAGIC);
  g_assert_cmpuint (trailer + SHOAL_QUERY_HIT_MIN_TRAILER, <, length - SHOAL_GUID_SIZE);
  g_assert_cmpmem (payload + length - SHOAL_GUID_SIZE, SHOAL_GUID_SIZE,
                   message->query_hit->servent_guid.bytes, SHOAL_GUID_SIZE);
}

static void
test_like_gtk_gnutella (void)
{
  g_autoptr(GBytes) captured_bytes = shoal_test_load_vector (CAPTURED_HIT);
  g_autoptr(ShoalMessage) captured = NULL;
  g_autoptr(ShoalMessage) ours = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  const ShoalQueryHitTrailer *their_trailer, *our_trailer;
  ShoalHitSelf self = make_self (FALSE, FALSE, FALSE, TRUE);
  ShoalHitFile file = make_file (OBSIDIAN_INDEX, OBSIDIAN_SIZE, OBSIDIAN_NAME, TRUE);
  gsize length;
  const guint8 *data = g_bytes_get_data (captured_bytes, &length);

  captured = shoal_message_parse (data, length, &error);
  g_assert_no_error (error);
  g_assert_true (shoal_urn_parse_sha1 (OBSIDIAN_URN, strlen (OBSIDIAN_URN), file.sha1, NULL));
  messages = build (&self, CAPTURED_QUERY_HOPS, &file, 1, SHOAL_QUERY_HIT_SHA1_URN);
  g_assert_cmpuint (messages->len, ==, 1);

  /* The same query (GUID), the same hops: the same header. */
  ours = parse_our_hit (g_ptr_array_index (messages, 0), captured->header.ttl);
  g_assert_true (shoal_guid_equal (&ours->header.guid, &captured->header.guid));
  g_assert_cmpuint (ours->header.hops, ==, captured->header.hops);

  assert_record (g_ptr_array_index (ours->query_hit->records, 0), &file);
  assert_record (g_ptr_array_index (captured->query_hit->records, 0), &file);

  /* A browsable, reachable servent that is neither busy nor has uploaded
   * says so with the very same flag bytes, and both trailers carry GGEP
   * with "BH". We add nothing that gtk-gnutella's does not have. */
  their_trailer = captured->query_hit->trailer;
  our_trailer = ours->query_hit->trailer;
  g_assert_true (g_bytes_equal (our_trailer->open_data, their_trailer->open_data));
  g_assert_nonnull (their_trailer->ggep);
  g_assert_nonnull (our_trailer->ggep);
  g_assert_true (shoal_query_hit_trailer_is_browsable (their_trailer));
  g_assert_true (shoal_query_hit_trailer_is_browsable (our_trailer));
  for (guint i = 0; i < shoal_ggep_count (our_trailer->ggep); i++)
    g_assert_nonnull (shoal_ggep_find (their_trailer->ggep,
                                       shoal_ggep_get (our_trailer->ggep, i)->id));

  assert_layout (captured, "GTKG");
  assert_layout (ours, SHOAL_QUERY_HIT_VENDOR);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hit-builder/records-urn-form", test_records_urn_form);
  g_test_add_func ("/hit-builder/records-ggep-h-form", test_records_ggep_h_form);
  g_test_add_func ("/hit-builder/header-ttl", test_header_ttl);
  g_test_add_func ("/hit-builder/trailer-flags", test_trailer_flags);
  g_test_add_func ("/hit-builder/split-by-count", test_split_by_count);
  g_test_add_func ("/hit-builder/split-by-bytes", test_split_by_bytes);
  g_test_add_func ("/hit-builder/long-names", test_long_names);
  g_test_add_func ("/hit-builder/empty", test_empty);
  g_test_add_func ("/hit-builder/like-gtk-gnutella", test_like_gtk_gnutella);
  return g_test_run ();
}
