/* shoal-message.h — one whole message: the 23-byte header and its payload,
 * decoded by the codec of its type. What a link hands to the router and
 * what the decoder tool prints. */
#pragma once

#include <glib.h>

#include "shoal-bye.h"
#include "shoal-message-header.h"
#include "shoal-ping.h"
#include "shoal-pong.h"
#include "shoal-push.h"
#include "shoal-qrp.h"
#include "shoal-query.h"
#include "shoal-query-hit.h"
#include "shoal-vendor.h"

G_BEGIN_DECLS

/* A QRP message (0x30): RESET or PATCH by @variant. The patch's data
 * points into the message's payload. */
typedef struct
{
  guint8        variant;  /* SHOAL_QRP_VARIANT_RESET or _PATCH */
  ShoalQrpReset reset;
  ShoalQrpPatch patch;
} ShoalQrpMessage;

typedef struct
{
  ShoalMessageHeader header;
  GBytes            *payload;  /* the payload as received */
  /* The decoded payload, by header.type; all NULL for types without a
   * codec (HSEP, RUDP, DHT, unknown), which routers drop or ignore. */
  ShoalPing         *ping;
  ShoalPong         *pong;
  ShoalBye          *bye;
  ShoalPush         *push;
  ShoalQrpMessage   *qrp;
  ShoalVendorMessage *vendor;
  ShoalQuery        *query;
  ShoalQueryHit     *query_hit;
} ShoalMessage;

/* Parses exactly one message: @length must be 23 + the header's payload
 * length (TRUNCATED if less, MALFORMED if more). Each payload codec names
 * its message in its errors ("query hit record 2 name has no NUL"). */
ShoalMessage *shoal_message_parse (const guint8 *data,
                                   gsize         length,
                                   GError      **error);
/* Parses the message at the start of a stream of messages; *consumed gets
 * its size. Returns NULL without error while @data holds less than a whole
 * message (a link then waits for more bytes). */
ShoalMessage *shoal_message_parse_next (const guint8 *data,
                                        gsize         length,
                                        gsize        *consumed,
                                        GError      **error);
/* Header then payload, the payload built from the decoded struct (or the
 * received bytes for types without a codec), the header's length field set
 * to what was built. */
GBytes       *shoal_message_write (const ShoalMessage *message,
                                   GError            **error);
void          shoal_message_free  (ShoalMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalMessage, shoal_message_free)

G_END_DECLS
