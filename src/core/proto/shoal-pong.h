/* shoal-pong.h — pong (0x01): a host's address and library size, then an
 * optional GGEP block with the host's metadata. */
#pragma once

#include <glib.h>

#include "shoal-ggep.h"
#include "shoal-ipv4.h"

G_BEGIN_DECLS

/* le16 port + IPv4 + le32 files + le32 KiB (gnutella-0.6.md §4.2). */
#define SHOAL_PONG_FIXED_SIZE 14
/* gtk-gnutella caps the "DU" daily uptime it sends at one day
 * (build_pong_msg, src/core/pcache.c). */
#define SHOAL_PONG_MAX_DAILY_UPTIME 86400
/* "DU" is a 32-bit vlint: gtk-gnutella refuses longer ones
 * (ggept_uint32_extract, src/core/ggep_type.c). */
#define SHOAL_PONG_DAILY_UPTIME_MAX_SIZE 4
/* An empty "GUE" means GUESS 0.1 (pong_extract_metadata, pcache.c). */
#define SHOAL_PONG_GUESS_EMPTY_VERSION 0x01

typedef struct
{
  ShoalIpv4Endpoint endpoint;      /* the listening address it advertises */
  guint32           files;         /* files shared */
  guint32           kbytes;        /* KiB shared */
  ShoalGgep        *ggep;          /* NULL: the payload is 14 bytes */
} ShoalPong;

/* GGEP "UP": the host is an ultrapeer. */
typedef struct
{
  guint8 version;               /* QRP version: 0x02 for X-Query-Routing 0.2 */
  guint8 free_leaf_slots;
  guint8 free_ultrapeer_slots;
} ShoalPongUltrapeer;

ShoalPong *shoal_pong_new   (const ShoalIpv4Endpoint *endpoint,
                             guint32                  files,
                             guint32                  kbytes);
void       shoal_pong_free  (ShoalPong *pong);

/* Fewer than 14 bytes → TRUNCATED; bytes after the 14 that are not one
 * valid GGEP block of at most SHOAL_TRAILING_GGEP_MAX_SIZE → error. */
ShoalPong *shoal_pong_parse (const guint8 *data,
                             gsize         length,
                             GError      **error);
gboolean   shoal_pong_write (const ShoalPong *pong,
                             GByteArray      *out,
                             GError         **error);

/* Typed reads of the GGEP extensions. Each returns FALSE with @error
 * untouched when the extension is absent, FALSE with @error set when it is
 * present but unusable. Like gtk-gnutella, they ignore bytes after the
 * fields they know. */
gboolean   shoal_pong_get_daily_uptime (const ShoalPong *pong,
                                        guint32         *seconds,
                                        GError         **error);
gboolean   shoal_pong_get_ultrapeer    (const ShoalPong    *pong,
                                        ShoalPongUltrapeer *ultrapeer,
                                        GError            **error);
/* "VC": vendor code (SHOAL_VENDOR_CODE) and version byte (0 if absent). */
gboolean   shoal_pong_get_vendor       (const ShoalPong *pong,
                                        guint32         *vendor,
                                        guint8          *version,
                                        GError         **error);
/* "LOC": "en" or "en_US"; printable ASCII, at least the 2-letter language. */
gboolean   shoal_pong_get_locale       (const ShoalPong *pong,
                                        char           **locale,
                                        GError         **error);
/* "GUE": major version in the high nibble, minor in the low one. */
gboolean   shoal_pong_get_guess        (const ShoalPong *pong,
                                        guint8          *version,
                                        GError         **error);
/* "IPP": an array of ShoalIpv4Endpoint. */
gboolean   shoal_pong_get_packed_hosts (const ShoalPong *pong,
                                        GArray         **hosts,
                                        GError         **error);

/* Builders: each appends one extension the way gtk-gnutella writes it.
 * gtk-gnutella's order is VC, GUE, UP, LOC, DU, then IPP: call them in
 * that order to produce its bytes. */
void       shoal_pong_add_vendor       (ShoalPong *pong,
                                        guint32    vendor,
                                        guint8     version);
void       shoal_pong_add_guess        (ShoalPong *pong,
                                        guint8     version);
void       shoal_pong_add_ultrapeer    (ShoalPong                *pong,
                                        const ShoalPongUltrapeer *ultrapeer);
/* @country may be NULL: "en", else "en_US". Both are 2 letters. */
void       shoal_pong_add_locale       (ShoalPong  *pong,
                                        const char *language,
                                        const char *country);
/* Capped at SHOAL_PONG_MAX_DAILY_UPTIME; 0 is written as empty data. */
void       shoal_pong_add_daily_uptime (ShoalPong *pong,
                                        guint32    seconds);
void       shoal_pong_add_packed_hosts (ShoalPong               *pong,
                                        const ShoalIpv4Endpoint *hosts,
                                        gsize                    count);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalPong, shoal_pong_free)

G_END_DECLS
