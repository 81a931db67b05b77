/* shoal-hit-builder.c — packing our matching files into query hit messages. */
#include "shoal-hit-builder.h"

#include "shoal-message-header.h"

#include <string.h>

/* Index and size (le32 each), the name's NUL and the extension area's NUL. */
#define RECORD_FIXED_SIZE 10
/* An empty trailer GGEP extension: browse host needs no data. */
#define BROWSE_HOST_ID "BH"

/* The hit being filled and the messages already finished. */
typedef struct
{
  const ShoalHitSelf *self;
  ShoalMessageHeader  header;         /* payload_length set per message */
  gsize               overhead;       /* fixed part + trailer + servent GUID */
  ShoalQueryHit      *pending;        /* NULL between messages */
  gsize               pending_size;   /* its payload size once written */
  GPtrArray          *messages;       /* of GBytes* */
} Builder;

/* Only what we really do: a peer that browses a host that does not
 * answer wastes a connection, so "BH" is there only when we would. */
static ShoalQueryHitTrailer *
trailer_new (const ShoalHitSelf *self)
{
  g_autoptr(ShoalGgep) ggep = shoal_ggep_new ();
  g_autoptr(GError) error = NULL;
  ShoalQueryHitTrailer *trailer;
  guint flags = 0;

  if (self->firewalled)
    flags |= SHOAL_QUERY_HIT_FLAG_PUSH;
  if (self->busy)
    flags |= SHOAL_QUERY_HIT_FLAG_BUSY;
  if (self->has_uploaded)
    flags |= SHOAL_QUERY_HIT_FLAG_UPLOADED;
  if (self->browsable)
    shoal_ggep_add (ggep, BROWSE_HOST_ID, NULL, 0, SHOAL_GGEP_ENCODING_NONE);

  /* An empty GGEP is dropped by the codec, which then leaves the GGEP
   * flag clear: the flag bytes stay honest about the private area. */
  trailer = shoal_query_hit_trailer_new (SHOAL_QUERY_HIT_VENDOR, flags,
                                         g_steal_pointer (&ggep), &error);
  if (trailer == NULL)
    g_warning ("cannot build our query hit trailer: %s", error->message);
  return trailer;
}

static gsize
trailer_size (const ShoalQueryHitTrailer *trailer)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  if (!shoal_query_hit_trailer_write (trailer, bytes, NULL))
    return 0;
  return bytes->len;
}

/* What @record adds to a payload; 0 if its extension area cannot be
 * written, which the codec would refuse anyway. */
static gsize
record_size (const ShoalQueryHitRecord *record)
{
  g_autoptr(GByteArray) area = g_byte_array_new ();

  if (!shoal_extensions_write (record->extensions, area, NULL))
    return 0;
  return RECORD_FIXED_SIZE + strlen (record->name) + area->len;
}

static GBytes *
write_message (const ShoalMessageHeader *header,
               const ShoalQueryHit      *hit)
{
  g_autoptr(GByteArray) message = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  ShoalMessageHeader with_length = *header;

  g_byte_array_set_size (message, SHOAL_MESSAGE_HEADER_SIZE);
  if (!shoal_query_hit_write (hit, message, &error))
    {
      g_warning ("cannot write our query hit: %s", error->message);
      return NULL;
    }
  with_length.payload_length = message->len - SHOAL_MESSAGE_HEADER_SIZE;
  shoal_message_header_write (&with_length, message->data);
  return g_byte_array_free_to_bytes (g_steal_pointer (&message));
}

static void
flush (Builder *builder)
{
  g_autoptr(ShoalQueryHit) hit = g_steal_pointer (&builder->pending);
  GBytes *message;

  if (hit == NULL)
    return;
  shoal_query_hit_set_trailer (hit, trailer_new (builder->self));
  message = write_message (&builder->header, hit);
  if (message != NULL)
    g_ptr_array_add (builder->messages, message);
}

static void
start_hit (Builder *builder)
{
  builder->pending = shoal_query_hit_new (&builder->self->endpoint,
                                          builder->self->speed_kbps,
                                          &builder->self->servent_guid);
  builder->pending_size = builder->overhead;
}

/* gtk-gnutella's rule: a hit is sent once it holds enough records or
 * once it has grown past the threshold, so hits stay near 2 KiB. A
 * record that would push it past what routers forward goes first into
 * a message of its own. */
static void
add_record (Builder             *builder,
            ShoalQueryHitRecord *record,
            gsize                size)
{
  if (builder->pending != NULL
      && builder->pending_size + size > SHOAL_QUERY_HIT_FORWARD_SIZE)
    flush (builder);
  if (builder->pending == NULL)
    start_hit (builder);
  shoal_query_hit_add_record (builder->pending, record);
  builder->pending_size += size;
  if (builder->pending->records->len >= SHOAL_HIT_BUILDER_MAX_RECORDS
      || builder->pending_size > SHOAL_HIT_BUILDER_FLUSH_BYTES)
    flush (builder);
}

/* A record too big to travel even alone is skipped rather than given a
 * truncated name: no file system has names of kilobytes, a shortened
 * name names a file we do not have (downloads ask for index and name),
 * and cutting UTF-8 cleanly would only dress up a file nobody can get. */
static void
add_file (Builder               *builder,
          const ShoalHitFile    *file,
          ShoalQueryHitSha1Form  sha1_form)
{
  g_autoptr(ShoalQueryHitRecord) record =
    shoal_query_hit_record_new (file->index, file->size, file->name,
                                file->has_sha1 ? file->sha1 : NULL, sha1_form);
  gsize size = record_size (record);

  if (size == 0 || builder->overhead + size > SHOAL_QUERY_HIT_FORWARD_SIZE)
    {
      g_debug ("not announcing file %u: its hit record alone is %" G_GSIZE_FORMAT
               " bytes", file->index, size);
      return;
    }
  add_record (builder, g_steal_pointer (&record), size);
}

static guint8
hit_ttl (guint8 query_hops)
{
  return (guint8) MIN ((guint) query_hops + SHOAL_HIT_BUILDER_EXTRA_TTL,
                       SHOAL_HIT_BUILDER_MAX_TTL);
}

GPtrArray *
shoal_hit_builder_build (const ShoalHitSelf    *self,
                         const ShoalGuid       *query_guid,
                         guint8                 query_hops,
                         const ShoalHitFile    *files,
                         guint                  n_files,
                         ShoalQueryHitSha1Form  sha1_form)
{
  g_autoptr(ShoalQueryHitTrailer) trailer = NULL;
  Builder builder = { 0 };

  g_return_val_if_fail (self != NULL && query_guid != NULL, NULL);
  g_return_val_if_fail (files != NULL || n_files == 0, NULL);

  builder.messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (n_files == 0)
    return builder.messages;
  trailer = trailer_new (self);
  if (trailer == NULL)
    return builder.messages;

  builder.self = self;
  builder.header.guid = *query_guid;
  builder.header.type = SHOAL_MESSAGE_QUERY_HIT;
  builder.header.ttl = hit_ttl (query_hops);
  builder.header.hops = 0;
  builder.overhead = SHOAL_QUERY_HIT_FIXED_SIZE + trailer_size (trailer) + SHOAL_GUID_SIZE;
  for (guint i = 0; i < n_files; i++)
    add_file (&builder, &files[i], sha1_form);
  flush (&builder);
  return builder.messages;
}
