/* shoal-push.c — push (0x40). */
#include "shoal-push.h"

#include "shoal-bytes.h"
#include "shoal-ping.h"
#include "shoal-proto-error.h"

#include <string.h>

#define TLS_ID "TLS"

ShoalPush *
shoal_push_new (const ShoalGuid         *servent_guid,
                guint32                  file_index,
                const ShoalIpv4Endpoint *endpoint)
{
  ShoalPush *push = g_new0 (ShoalPush, 1);

  push->servent_guid = *servent_guid;
  push->file_index = file_index;
  push->endpoint = *endpoint;
  return push;
}

void
shoal_push_free (ShoalPush *push)
{
  if (push == NULL)
    return;
  g_clear_pointer (&push->ggep, shoal_ggep_free);
  g_free (push);
}

ShoalPush *
shoal_push_parse (const guint8 *data,
                  gsize         length,
                  GError      **error)
{
  g_autoptr(ShoalPush) push = g_new0 (ShoalPush, 1);
  ShoalByteReader reader;
  const guint8 *guid, *address;

  if (length < SHOAL_PUSH_FIXED_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "push payload is %" G_GSIZE_FORMAT " bytes, needs at "
                   "least %d", length, SHOAL_PUSH_FIXED_SIZE);
      return NULL;
    }
  shoal_byte_reader_init (&reader, data, length);
  shoal_byte_reader_read_bytes (&reader, SHOAL_GUID_SIZE, &guid);
  memcpy (push->servent_guid.bytes, guid, SHOAL_GUID_SIZE);
  shoal_byte_reader_read_le32 (&reader, &push->file_index);
  shoal_byte_reader_read_bytes (&reader, 4, &address);
  push->endpoint.address = shoal_ipv4_from_wire (address);
  shoal_byte_reader_read_le16 (&reader, &push->endpoint.port);
  if (!shoal_trailing_ggep_parse (shoal_byte_reader_current (&reader),
                                  shoal_byte_reader_remaining (&reader),
                                  "push", &push->ggep, error))
    return NULL;
  return g_steal_pointer (&push);
}

gboolean
shoal_push_write (const ShoalPush *push,
                  GByteArray      *out,
                  GError         **error)
{
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  shoal_bytes_append (payload, push->servent_guid.bytes, SHOAL_GUID_SIZE);
  shoal_bytes_append_le32 (payload, push->file_index);
  shoal_ipv4_endpoints_pack (&push->endpoint, 1, payload);
  if (!shoal_trailing_ggep_write (push->ggep, "push", payload, error))
    return FALSE;
  shoal_bytes_append (out, payload->data, payload->len);
  return TRUE;
}

void
shoal_push_add_tls (ShoalPush *push)
{
  if (push->ggep == NULL)
    push->ggep = shoal_ggep_new ();
  shoal_ggep_add (push->ggep, TLS_ID, NULL, 0, SHOAL_GGEP_ENCODING_NONE);
}

gboolean
shoal_push_supports_tls (const ShoalPush *push)
{
  return push->ggep != NULL && shoal_ggep_find (push->ggep, TLS_ID) != NULL;
}
