/* shoal-message-header.h — the 23-byte header in front of every message. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"

G_BEGIN_DECLS

#define SHOAL_MESSAGE_HEADER_SIZE 23
/* gtk-gnutella reads the length field as 16 bits (GTA_SIZE_MASK); bits
 * 16–31 are only meaningful after both sides announced "sflag", which we
 * do not, so anything above this is refused. */
#define SHOAL_MESSAGE_MAX_PAYLOAD 65535
/* A hops count of 255 can never be legitimately reached. */
#define SHOAL_MESSAGE_MAX_HOPS 254

typedef enum
{
  SHOAL_MESSAGE_PING = 0x00,
  SHOAL_MESSAGE_PONG = 0x01,
  SHOAL_MESSAGE_BYE = 0x02,
  SHOAL_MESSAGE_QRP = 0x30,
  SHOAL_MESSAGE_VENDOR = 0x31,
  SHOAL_MESSAGE_VENDOR_STANDARD = 0x32,
  SHOAL_MESSAGE_PUSH = 0x40,
  SHOAL_MESSAGE_RUDP = 0x41,
  SHOAL_MESSAGE_DHT = 0x44,
  SHOAL_MESSAGE_QUERY = 0x80,
  SHOAL_MESSAGE_QUERY_HIT = 0x81,
  SHOAL_MESSAGE_HSEP = 0xcd,
} ShoalMessageType;

typedef struct
{
  ShoalGuid guid;
  guint8    type;            /* a ShoalMessageType, or an unknown value */
  guint8    ttl;
  guint8    hops;
  guint32   payload_length;
} ShoalMessageHeader;

/* Parses the first 23 bytes of @data. Fails on a short buffer, a payload
 * length above SHOAL_MESSAGE_MAX_PAYLOAD or hops of 255. It does not check
 * that the payload is present: a link reads the header first. */
gboolean     shoal_message_header_parse      (const guint8       *data,
                                              gsize               length,
                                              ShoalMessageHeader *header,
                                              GError            **error);
void         shoal_message_header_write      (const ShoalMessageHeader *header,
                                              guint8                    out[SHOAL_MESSAGE_HEADER_SIZE]);
void         shoal_message_header_append     (const ShoalMessageHeader *header,
                                              GByteArray               *out);
/* "ping", "query-hit", …; NULL for a type we do not know. */
const char  *shoal_message_type_to_string    (guint8 type);

G_END_DECLS
