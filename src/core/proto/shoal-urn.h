/* shoal-urn.h — HUGE URNs naming a file by its SHA-1. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOAL_SHA1_SIZE 20
#define SHOAL_SHA1_BASE32_LENGTH 32
/* "urn:sha1:" + 32 base32 characters */
#define SHOAL_URN_SHA1_LENGTH 41
/* A bitprint's second half: the 24-byte Tiger tree root (TTH), 39 base32
 * characters, as in GGEP "TT" and X-Thex-URI. */
#define SHOAL_TTH_SIZE 24
#define SHOAL_TTH_BASE32_LENGTH 39
/* "urn:bitprint:" + 32 + "." + 39 */
#define SHOAL_URN_BITPRINT_LENGTH 85

/* Accepts "urn:sha1:<32 base32>" and "urn:bitprint:<32 base32>.<39 base32>"
 * (the prefix case-insensitive, the base32 either case) and yields the
 * 20-byte SHA-1. */
gboolean shoal_urn_parse_sha1   (const char *text,
                                 gsize       length,
                                 guint8      sha1[SHOAL_SHA1_SIZE],
                                 GError    **error);
/* "urn:sha1:" + upper-case base32. */
char    *shoal_urn_format_sha1  (const guint8 sha1[SHOAL_SHA1_SIZE]);
/* TRUE when @text starts with "urn:" (any case): a HUGE item. */
gboolean shoal_urn_is_urn       (const char *text,
                                 gsize       length);

G_END_DECLS
