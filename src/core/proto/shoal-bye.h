/* shoal-bye.h — bye (0x02): the last message on a link, a status code and
 * a reason, optionally followed by headers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The le16 code. */
#define SHOAL_BYE_MIN_SIZE 2
/* gtk-gnutella closes a link that sends a larger bye (BYE_MAX_SIZE,
 * src/core/nodes.c). */
#define SHOAL_BYE_MAX_SIZE 4096

/* The text is "reason", or "reason CRLF Header: value CRLF … CRLF" as
 * gtk-gnutella writes it. It should end with a NUL, but many servents omit
 * it: like gtk-gnutella we accept both, and remember which so that writing
 * a parsed bye gives back its bytes. */
typedef struct
{
  guint16  code;        /* 2xx fine, 4xx the peer misbehaved, 5xx local */
  char    *text;        /* everything before the NUL (or the end) */
  char    *reason;      /* the text's first line, without its CRLF */
  gboolean terminated;  /* a NUL followed the text */
  GBytes  *trailer;     /* bytes after the NUL, which nobody reads; or NULL */
} ShoalBye;

/* A NUL-terminated bye as gtk-gnutella sends it: @reason alone, or with
 * @server "reason CRLF Server: server CRLF CRLF" (gtk-gnutella adds the
 * Server header for every code but 200). @reason is one line. */
ShoalBye *shoal_bye_new   (guint16     code,
                           const char *reason,
                           const char *server);
void      shoal_bye_free  (ShoalBye *bye);

/* Fewer than 2 bytes → TRUNCATED, more than SHOAL_BYE_MAX_SIZE →
 * TOO_LARGE. The text may hold any bytes but NUL. */
ShoalBye *shoal_bye_parse (const guint8 *data,
                           gsize         length,
                           GError      **error);
/* Writes code, text, the NUL if @terminated, and the trailer. */
gboolean  shoal_bye_write (const ShoalBye *bye,
                           GByteArray     *out,
                           GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalBye, shoal_bye_free)

G_END_DECLS
