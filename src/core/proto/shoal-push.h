/* shoal-push.h — push (0x40): asks a firewalled servent to connect out to
 * the downloader and offer a file. */
#pragma once

#include <glib.h>

#include "shoal-ggep.h"
#include "shoal-guid.h"
#include "shoal-ipv4.h"

G_BEGIN_DECLS

/* servent GUID + le32 file index + IPv4 + le16 port (gnutella-0.6.md §4.5). */
#define SHOAL_PUSH_FIXED_SIZE 26
/* The file index gtk-gnutella uses to ask for a firewall-to-firewall
 * (RUDP) transfer instead of a file. */
#define SHOAL_PUSH_FILE_INDEX_F2F 0x7ffffffd

typedef struct
{
  ShoalGuid         servent_guid;  /* who must connect back */
  guint32           file_index;
  ShoalIpv4Endpoint endpoint;      /* where to connect: the downloader */
  ShoalGgep        *ggep;          /* NULL: the payload is 26 bytes */
} ShoalPush;

ShoalPush *shoal_push_new   (const ShoalGuid         *servent_guid,
                             guint32                  file_index,
                             const ShoalIpv4Endpoint *endpoint);
void       shoal_push_free  (ShoalPush *push);

/* Fewer than 26 bytes → TRUNCATED; bytes after the 26 that are not one
 * valid GGEP block of at most SHOAL_TRAILING_GGEP_MAX_SIZE → error. */
ShoalPush *shoal_push_parse (const guint8 *data,
                             gsize         length,
                             GError      **error);
gboolean   shoal_push_write (const ShoalPush *push,
                             GByteArray      *out,
                             GError         **error);

/* GGEP "TLS" (empty): the downloader accepts a TLS connection. */
void       shoal_push_add_tls      (ShoalPush *push);
gboolean   shoal_push_supports_tls (const ShoalPush *push);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalPush, shoal_push_free)

G_END_DECLS
