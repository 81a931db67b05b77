/* shoal-message-header.c — the 23-byte header in front of every message. */
#include "shoal-message-header.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

gboolean
shoal_message_header_parse (const guint8       *data,
                            gsize               length,
                            ShoalMessageHeader *header,
                            GError            **error)
{
  ShoalByteReader reader;
  const guint8 *guid;

  if (length < SHOAL_MESSAGE_HEADER_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "message header needs %d bytes, got %" G_GSIZE_FORMAT,
                   SHOAL_MESSAGE_HEADER_SIZE, length);
      return FALSE;
    }
  shoal_byte_reader_init (&reader, data, SHOAL_MESSAGE_HEADER_SIZE);
  shoal_byte_reader_read_bytes (&reader, SHOAL_GUID_SIZE, &guid);
  memcpy (header->guid.bytes, guid, SHOAL_GUID_SIZE);
  shoal_byte_reader_read_u8 (&reader, &header->type);
  shoal_byte_reader_read_u8 (&reader, &header->ttl);
  shoal_byte_reader_read_u8 (&reader, &header->hops);
  shoal_byte_reader_read_le32 (&reader, &header->payload_length);

  if (header->payload_length > SHOAL_MESSAGE_MAX_PAYLOAD)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "payload length 0x%08x exceeds %d bytes",
                   header->payload_length, SHOAL_MESSAGE_MAX_PAYLOAD);
      return FALSE;
    }
  if (header->hops > SHOAL_MESSAGE_MAX_HOPS)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "hops count %u is out of range", header->hops);
      return FALSE;
    }
  return TRUE;
}

void
shoal_message_header_write (const ShoalMessageHeader *header,
                            guint8                    out[SHOAL_MESSAGE_HEADER_SIZE])
{
  guint32 len = header->payload_length;

  memcpy (out, header->guid.bytes, SHOAL_GUID_SIZE);
  out[16] = header->type;
  out[17] = header->ttl;
  out[18] = header->hops;
  out[19] = len & 0xff;
  out[20] = (len >> 8) & 0xff;
  out[21] = (len >> 16) & 0xff;
  out[22] = len >> 24;
}

void
shoal_message_header_append (const ShoalMessageHeader *header,
                             GByteArray               *out)
{
  guint8 bytes[SHOAL_MESSAGE_HEADER_SIZE];

  shoal_message_header_write (header, bytes);
  shoal_bytes_append (out, bytes, sizeof bytes);
}

const char *
shoal_message_type_to_string (guint8 type)
{
  switch (type)
    {
    case SHOAL_MESSAGE_PING: return "ping";
    case SHOAL_MESSAGE_PONG: return "pong";
    case SHOAL_MESSAGE_BYE: return "bye";
    case SHOAL_MESSAGE_QRP: return "qrp";
    case SHOAL_MESSAGE_VENDOR: return "vendor";
    case SHOAL_MESSAGE_VENDOR_STANDARD: return "vendor-standard";
    case SHOAL_MESSAGE_PUSH: return "push";
    case SHOAL_MESSAGE_RUDP: return "rudp";
    case SHOAL_MESSAGE_DHT: return "dht";
    case SHOAL_MESSAGE_QUERY: return "query";
    case SHOAL_MESSAGE_QUERY_HIT: return "query-hit";
    case SHOAL_MESSAGE_HSEP: return "hsep";
    default: return NULL;
    }
}
