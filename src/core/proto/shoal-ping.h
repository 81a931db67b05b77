/* shoal-ping.h — ping (0x00): an empty payload or one GGEP block, and the
 * optional GGEP tail that ping, pong and push share. */
#pragma once

#include <glib.h>

#include "shoal-ggep.h"

G_BEGIN_DECLS

/* The largest GGEP tail gtk-gnutella accepts after the fixed part of a
 * ping, pong or push (MAX_GGEP_PAYLOAD, src/core/nodes.c); bigger ones are
 * dropped. */
#define SHOAL_TRAILING_GGEP_MAX_SIZE 1536

/* Flags byte of GGEP "SCP" (SCP_F_*, gtk-gnutella src/core/pcache.h). */
#define SHOAL_PING_SCP_ULTRA   0x01  /* wants ultrapeer addresses */
#define SHOAL_PING_SCP_TLS     0x02  /* sender supports TLS */
#define SHOAL_PING_SCP_IPV6    0x04  /* also wants IPv6 addresses */
#define SHOAL_PING_SCP_NO_IPV4 0x08  /* wants no IPv4 address at all */

typedef struct
{
  ShoalGgep *ggep;  /* NULL: the payload is empty */
} ShoalPing;

ShoalPing *shoal_ping_new   (void);
void       shoal_ping_free  (ShoalPing *ping);

/* Empty, or exactly one valid GGEP block of at most
 * SHOAL_TRAILING_GGEP_MAX_SIZE bytes; anything else is an error. */
ShoalPing *shoal_ping_parse (const guint8 *data,
                             gsize         length,
                             GError      **error);
gboolean   shoal_ping_write (const ShoalPing *ping,
                             GByteArray      *out,
                             GError         **error);

/* GGEP "SCP": ask for cached hosts packed in the pong's "IPP". gtk-gnutella
 * always writes the flags byte (SHOAL_PING_SCP_*), so this does too. */
void       shoal_ping_add_scp (ShoalPing *ping,
                               guint8     flags);
/* TRUE when the ping carries "SCP"; @flags gets its flags byte, 0 when the
 * extension is empty. */
gboolean   shoal_ping_get_scp (const ShoalPing *ping,
                               guint8          *flags);

/* The GGEP tail after a fixed-size part (@what names the message for
 * errors). An empty tail gives *ggep = NULL. Otherwise it must be one
 * valid block, nothing after it, at most SHOAL_TRAILING_GGEP_MAX_SIZE. */
gboolean   shoal_trailing_ggep_parse (const guint8 *data,
                                      gsize         length,
                                      const char   *what,
                                      ShoalGgep   **ggep,
                                      GError      **error);
/* Appends nothing for a NULL @ggep; refuses a block gtk-gnutella would
 * drop for its size. */
gboolean   shoal_trailing_ggep_write (const ShoalGgep *ggep,
                                      const char      *what,
                                      GByteArray      *out,
                                      GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalPing, shoal_ping_free)

G_END_DECLS
