/* shoal-vendor.h — vendor messages (0x31 / 0x32): the 8-byte vendor header
 * and the bodies a leaf exchanges with its ultrapeers. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"
#include "shoal-ipv4.h"

G_BEGIN_DECLS

/* 4-byte vendor code + le16 selector + le16 version. */
#define SHOAL_VENDOR_HEADER_SIZE 8

/* A vendor code (or a feature name) read as a big-endian word, so that
 * SHOAL_VENDOR_CODE ('B','E','A','R') is the wire's "BEAR". */
#define SHOAL_VENDOR_CODE(a, b, c, d) \
  (((guint32) (guint8) (a) << 24) | ((guint32) (guint8) (b) << 16) | \
   ((guint32) (guint8) (c) << 8) | (guint32) (guint8) (d))
#define SHOAL_VENDOR_STANDARD 0u  /* "\0\0\0\0": Messages/Features Supported */
#define SHOAL_VENDOR_BEAR SHOAL_VENDOR_CODE ('B', 'E', 'A', 'R')
#define SHOAL_VENDOR_GTKG SHOAL_VENDOR_CODE ('G', 'T', 'K', 'G')
#define SHOAL_VENDOR_LIME SHOAL_VENDOR_CODE ('L', 'I', 'M', 'E')
/* Four characters and a NUL. */
#define SHOAL_VENDOR_CODE_STRLEN 5

/* Selectors (gnutella-0.6.md §4.8; gtk-gnutella src/core/vmsg.c). */
#define SHOAL_VENDOR_MESSAGES_SUPPORTED 0      /* standard, v0 */
#define SHOAL_VENDOR_FEATURES_SUPPORTED 10     /* standard, v0 */
#define SHOAL_VENDOR_HOPS_FLOW 4               /* BEAR, v1 */
#define SHOAL_VENDOR_TCP_CONNECT_BACK 7        /* BEAR, v1 */
#define SHOAL_VENDOR_QUERY_STATUS_REQUEST 11   /* BEAR, v1 */
#define SHOAL_VENDOR_QUERY_STATUS_RESPONSE 12  /* BEAR, v1 */
#define SHOAL_VENDOR_PUSH_PROXY_REQUEST 21     /* LIME, v1 (v2 announced) */
#define SHOAL_VENDOR_PUSH_PROXY_ACK 22         /* LIME, v1 or v2 */
#define SHOAL_VENDOR_UDP_CONNECT_BACK 7        /* GTKG, v1 or v2 */

/* A leaf's Query Status Response hit count asking the UP to stop. */
#define SHOAL_VENDOR_QUERY_STATUS_STOP 0xffff

/* Which message: also one entry of "Messages Supported". */
typedef struct
{
  guint32 vendor;
  guint16 selector;
  guint16 version;
} ShoalVendorType;

typedef struct
{
  ShoalVendorType type;
  GBytes         *body;  /* everything after the 8-byte vendor header */
} ShoalVendorMessage;

ShoalVendorMessage *shoal_vendor_message_new   (guint32       vendor,
                                                guint16       selector,
                                                guint16       version,
                                                const guint8 *body,
                                                gsize         length);
void                shoal_vendor_message_free  (ShoalVendorMessage *message);
/* The 8-byte vendor header and the body, whatever the type. */
ShoalVendorMessage *shoal_vendor_message_parse (const guint8 *data,
                                                gsize         length,
                                                GError      **error);
void                shoal_vendor_message_write (const ShoalVendorMessage *message,
                                                GByteArray               *out);
gboolean            shoal_vendor_message_is    (const ShoalVendorMessage *message,
                                                guint32                   vendor,
                                                guint16                   selector);
/* "BEAR"; bytes that are not printable ASCII show as '.'. */
char               *shoal_vendor_code_format   (guint32 code,
                                                char    buffer[SHOAL_VENDOR_CODE_STRLEN]);

/* The typed parsers below take a parsed message, refuse one of another
 * type (UNSUPPORTED) and, as gtk-gnutella does, ignore bytes after the
 * fields they know: later versions may append fields. The writers append
 * a whole vendor payload (header and body) as gtk-gnutella sends it. */

/* "Messages Supported": le16 count, count × {vendor, le16 selector,
 * le16 version}. */
typedef struct
{
  GArray *types;  /* of ShoalVendorType, in wire order */
} ShoalVendorMessagesSupported;

ShoalVendorMessagesSupported *shoal_vendor_messages_supported_new      (void);
void                          shoal_vendor_messages_supported_free     (ShoalVendorMessagesSupported *supported);
ShoalVendorMessagesSupported *shoal_vendor_messages_supported_parse    (const ShoalVendorMessage *message,
                                                                        GError                  **error);
void                          shoal_vendor_messages_supported_write    (const ShoalVendorMessagesSupported *supported,
                                                                        GByteArray                         *out);
void                          shoal_vendor_messages_supported_add      (ShoalVendorMessagesSupported *supported,
                                                                        guint32                       vendor,
                                                                        guint16                       selector,
                                                                        guint16                       version);
gboolean                      shoal_vendor_messages_supported_contains (const ShoalVendorMessagesSupported *supported,
                                                                        guint32                             vendor,
                                                                        guint16                             selector,
                                                                        guint16                             version);

/* "Features Supported": le16 count, count × {4-byte name, le16 version}
 * (e.g. "TLS!"/1, "QRP1"/1; version 0 means not supported). */
typedef struct
{
  guint32 name;     /* SHOAL_VENDOR_CODE ('T','L','S','!') */
  guint16 version;
} ShoalVendorFeature;

typedef struct
{
  GArray *features;  /* of ShoalVendorFeature, in wire order */
} ShoalVendorFeaturesSupported;

ShoalVendorFeaturesSupported *shoal_vendor_features_supported_new   (void);
void                          shoal_vendor_features_supported_free  (ShoalVendorFeaturesSupported *supported);
ShoalVendorFeaturesSupported *shoal_vendor_features_supported_parse (const ShoalVendorMessage *message,
                                                                     GError                  **error);
void                          shoal_vendor_features_supported_write (const ShoalVendorFeaturesSupported *supported,
                                                                     GByteArray                         *out);
void                          shoal_vendor_features_supported_add   (ShoalVendorFeaturesSupported *supported,
                                                                     guint32                       name,
                                                                     guint16                       version);
/* TRUE when @name is listed; *version gets its version. */
gboolean                      shoal_vendor_features_supported_find  (const ShoalVendorFeaturesSupported *supported,
                                                                     guint32                             name,
                                                                     guint16                            *version);

/* BEAR/4v1 Hops Flow: 1 byte, queries only with hops below it (0: none). */
gboolean shoal_vendor_hops_flow_parse               (const ShoalVendorMessage *message,
                                                     guint8                   *max_hops,
                                                     GError                  **error);
void     shoal_vendor_hops_flow_write               (guint8      max_hops,
                                                     GByteArray *out);

/* BEAR/7v1 TCP Connect Back: le16 port to connect to (never 0). */
gboolean shoal_vendor_tcp_connect_back_parse        (const ShoalVendorMessage *message,
                                                     guint16                  *port,
                                                     GError                  **error);
void     shoal_vendor_tcp_connect_back_write        (guint16     port,
                                                     GByteArray *out);

/* BEAR/11v1 Query Status Request: empty body, the message GUID names the
 * query. */
void     shoal_vendor_query_status_request_write    (GByteArray *out);

/* BEAR/12v1 Query Status Response: le16 hits kept by the leaf, or
 * SHOAL_VENDOR_QUERY_STATUS_STOP. */
gboolean shoal_vendor_query_status_response_parse   (const ShoalVendorMessage *message,
                                                     guint16                  *hits,
                                                     GError                  **error);
void     shoal_vendor_query_status_response_write   (guint16     hits,
                                                     GByteArray *out);

/* LIME/21v1 Push-Proxy Request: empty body, the message GUID is the
 * leaf's servent GUID. gtk-gnutella sends v1 and always answers v2. */
void     shoal_vendor_push_proxy_request_write      (GByteArray *out);

/* LIME/22 Push-Proxy Ack: v1 le16 port (the address is the link's: 0
 * here); v2 and later IPv4 + le16 port. */
gboolean shoal_vendor_push_proxy_ack_parse          (const ShoalVendorMessage *message,
                                                     ShoalIpv4Endpoint        *proxy,
                                                     GError                  **error);
void     shoal_vendor_push_proxy_ack_write          (guint16                  version,
                                                     const ShoalIpv4Endpoint *proxy,
                                                     GByteArray              *out);

/* GTKG/7 UDP Connect Back: le16 port, then in v1 the 16-byte GUID to put
 * in the UDP ping; v2 uses the message's own GUID (*has_guid FALSE). */
gboolean shoal_vendor_udp_connect_back_parse        (const ShoalVendorMessage *message,
                                                     guint16                  *port,
                                                     ShoalGuid                *guid,
                                                     gboolean                 *has_guid,
                                                     GError                  **error);
/* @guid is written for v1 and must be NULL for v2. */
void     shoal_vendor_udp_connect_back_write        (guint16          version,
                                                     guint16          port,
                                                     const ShoalGuid *guid,
                                                     GByteArray      *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalVendorMessage, shoal_vendor_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalVendorMessagesSupported, shoal_vendor_messages_supported_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalVendorFeaturesSupported, shoal_vendor_features_supported_free)

G_END_DECLS
