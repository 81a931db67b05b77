/* shoal-message.c — one whole message: header and decoded payload. */
#include "shoal-message.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

void
shoal_message_free (ShoalMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->payload, g_bytes_unref);
  g_clear_pointer (&message->ping, shoal_ping_free);
  g_clear_pointer (&message->pong, shoal_pong_free);
  g_clear_pointer (&message->bye, shoal_bye_free);
  g_clear_pointer (&message->push, shoal_push_free);
  g_clear_pointer (&message->qrp, g_free);
  g_clear_pointer (&message->vendor, shoal_vendor_message_free);
  g_clear_pointer (&message->query, shoal_query_free);
  g_clear_pointer (&message->query_hit, shoal_query_hit_free);
  g_free (message);
}

static ShoalQrpMessage *
parse_qrp (const guint8 *data,
           gsize         length,
           GError      **error)
{
  g_autofree ShoalQrpMessage *qrp = g_new0 (ShoalQrpMessage, 1);

  if (!shoal_qrp_peek_variant (data, length, &qrp->variant, error))
    return NULL;
  if (qrp->variant == SHOAL_QRP_VARIANT_RESET
      ? !shoal_qrp_reset_parse (data, length, &qrp->reset, error)
      : !shoal_qrp_patch_parse (data, length, &qrp->patch, error))
    return NULL;
  return g_steal_pointer (&qrp);
}

/* Decodes the payload by type; types without a codec decode to nothing. */
static gboolean
parse_body (ShoalMessage *message,
            GError      **error)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (message->payload, &length);

  switch (message->header.type)
    {
    case SHOAL_MESSAGE_PING:
      return (message->ping = shoal_ping_parse (data, length, error)) != NULL;
    case SHOAL_MESSAGE_PONG:
      return (message->pong = shoal_pong_parse (data, length, error)) != NULL;
    case SHOAL_MESSAGE_BYE:
      return (message->bye = shoal_bye_parse (data, length, error)) != NULL;
    case SHOAL_MESSAGE_PUSH:
      return (message->push = shoal_push_parse (data, length, error)) != NULL;
    case SHOAL_MESSAGE_QRP:
      return (message->qrp = parse_qrp (data, length, error)) != NULL;
    case SHOAL_MESSAGE_VENDOR:
    case SHOAL_MESSAGE_VENDOR_STANDARD:
      return (message->vendor = shoal_vendor_message_parse (data, length, error)) != NULL;
    case SHOAL_MESSAGE_QUERY:
      return (message->query = shoal_query_parse (data, length, error)) != NULL;
    case SHOAL_MESSAGE_QUERY_HIT:
      return (message->query_hit = shoal_query_hit_parse (data, length, error)) != NULL;
    default:
      return TRUE;
    }
}

static ShoalMessage *
parse_framed (const ShoalMessageHeader *header,
              const guint8             *payload,
              GError                  **error)
{
  g_autoptr(ShoalMessage) message = g_new0 (ShoalMessage, 1);

  message->header = *header;
  message->payload = g_bytes_new (payload, header->payload_length);
  if (!parse_body (message, error))
    return NULL;
  return g_steal_pointer (&message);
}

ShoalMessage *
shoal_message_parse (const guint8 *data,
                     gsize         length,
                     GError      **error)
{
  ShoalMessageHeader header;
  gsize expected;

  if (!shoal_message_header_parse (data, length, &header, error))
    return NULL;
  expected = SHOAL_MESSAGE_HEADER_SIZE + header.payload_length;
  if (length != expected)
    {
      g_set_error (error, SHOAL_PROTO_ERROR,
                   length < expected ? SHOAL_PROTO_ERROR_TRUNCATED
                                     : SHOAL_PROTO_ERROR_MALFORMED,
                   "header announces a %u-byte payload, %" G_GSIZE_FORMAT
                   " bytes follow it", header.payload_length,
                   length - SHOAL_MESSAGE_HEADER_SIZE);
      return NULL;
    }
  return parse_framed (&header, data + SHOAL_MESSAGE_HEADER_SIZE, error);
}

ShoalMessage *
shoal_message_parse_next (const guint8 *data,
                          gsize         length,
                          gsize        *consumed,
                          GError      **error)
{
  ShoalMessageHeader header;
  ShoalMessage *message;

  if (length < SHOAL_MESSAGE_HEADER_SIZE)
    return NULL;
  if (!shoal_message_header_parse (data, length, &header, error))
    return NULL;
  if (length - SHOAL_MESSAGE_HEADER_SIZE < header.payload_length)
    return NULL;
  message = parse_framed (&header, data + SHOAL_MESSAGE_HEADER_SIZE, error);
  if (message != NULL)
    *consumed = SHOAL_MESSAGE_HEADER_SIZE + header.payload_length;
  return message;
}

static gboolean
write_qrp (const ShoalQrpMessage *qrp,
           GByteArray            *out)
{
  if (qrp->variant == SHOAL_QRP_VARIANT_RESET)
    shoal_qrp_reset_write (&qrp->reset, out);
  else
    shoal_qrp_patch_write (&qrp->patch, out);
  return TRUE;
}

static gboolean
write_body (const ShoalMessage *message,
            GByteArray         *out,
            GError            **error)
{
  if (message->ping != NULL)
    return shoal_ping_write (message->ping, out, error);
  if (message->pong != NULL)
    return shoal_pong_write (message->pong, out, error);
  if (message->bye != NULL)
    return shoal_bye_write (message->bye, out, error);
  if (message->push != NULL)
    return shoal_push_write (message->push, out, error);
  if (message->qrp != NULL)
    return write_qrp (message->qrp, out);
  if (message->vendor != NULL)
    {
      shoal_vendor_message_write (message->vendor, out);
      return TRUE;
    }
  if (message->query != NULL)
    return shoal_query_write (message->query, out, error);
  if (message->query_hit != NULL)
    return shoal_query_hit_write (message->query_hit, out, error);
  shoal_bytes_append (out, g_bytes_get_data (message->payload, NULL),
                      g_bytes_get_size (message->payload));
  return TRUE;
}

GBytes *
shoal_message_write (const ShoalMessage *message,
                     GError            **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  ShoalMessageHeader header = message->header;
  gsize payload_length;

  g_byte_array_set_size (out, SHOAL_MESSAGE_HEADER_SIZE);
  if (!write_body (message, out, error))
    return NULL;
  payload_length = out->len - SHOAL_MESSAGE_HEADER_SIZE;
  if (payload_length > SHOAL_MESSAGE_MAX_PAYLOAD)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "%s payload of %" G_GSIZE_FORMAT " bytes exceeds %d",
                   shoal_message_type_to_string (header.type), payload_length,
                   SHOAL_MESSAGE_MAX_PAYLOAD);
      return NULL;
    }
  header.payload_length = (guint32) payload_length;
  shoal_message_header_write (&header, out->data);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
