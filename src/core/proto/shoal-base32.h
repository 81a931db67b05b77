/* shoal-base32.h — RFC 4648 base32 (alphabet A–Z 2–7, no padding), the
 * text form of SHA-1 digests in urn:sha1 and of servent GUIDs in push URLs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Upper case, unpadded: 20 bytes → 32 characters. */
char     *shoal_base32_encode         (const guint8 *data,
                                       gsize         length);
gsize     shoal_base32_encoded_length (gsize length);
/* Decodes exactly @out_length bytes from @text (either case, no padding,
 * no spaces). Fails when @text_length does not match @out_length, on a
 * character outside the alphabet, or when the unused low bits of the last
 * character are not zero (a non-canonical spelling). */
gboolean  shoal_base32_decode         (const char *text,
                                       gsize       text_length,
                                       guint8     *out,
                                       gsize       out_length,
                                       GError    **error);

G_END_DECLS
