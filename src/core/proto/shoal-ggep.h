/* shoal-ggep.h — GGEP 0.5 extension blocks, COBS and the variable-length
 * integers ("vlint") their payloads use. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOAL_GGEP_MAGIC 0xc3
#define SHOAL_GGEP_MAX_ID_LENGTH 15
/* Three 6-bit length chunks. */
#define SHOAL_GGEP_MAX_DATA_LENGTH 262143
/* An inflated extension may not grow past the largest message: a hostile
 * 1 KiB "zip bomb" costs us at most this much memory. */
#define SHOAL_GGEP_MAX_INFLATED_LENGTH 65536

/* How an extension's data is stored on the wire. */
typedef enum
{
  SHOAL_GGEP_ENCODING_NONE = 0,
  SHOAL_GGEP_ENCODING_COBS = 1 << 0,     /* flag 0x40 */
  SHOAL_GGEP_ENCODING_DEFLATE = 1 << 1,  /* flag 0x20 */
} ShoalGgepEncoding;

typedef struct
{
  char    id[SHOAL_GGEP_MAX_ID_LENGTH + 1];  /* NUL-terminated, case-sensitive */
  guint   encoding;                          /* ShoalGgepEncoding flags */
  GBytes *data;                              /* decoded: un-COBSed, inflated */
  /* The data as it was stored on the wire, kept by the parser so that
   * writing a parsed block gives back the same bytes even where another
   * deflater would compress differently. NULL for built extensions. */
  GBytes *stored;
  /* How many bytes (1–3) the length took on the wire: a leading zero chunk
   * is legal, so a parsed block keeps it to rewrite exactly. 0 for built
   * extensions, which get the shortest form. */
  guint   length_bytes;
} ShoalGgepExtension;

/* An ordered list of extensions: one block on the wire (0xC3 + items). */
typedef struct
{
  GPtrArray *extensions;  /* of ShoalGgepExtension*, in wire order */
} ShoalGgep;

ShoalGgep                *shoal_ggep_new     (void);
void                      shoal_ggep_free    (ShoalGgep *ggep);
ShoalGgep                *shoal_ggep_copy    (const ShoalGgep *ggep);

/* Parses one block starting at the 0xC3 magic in @data. *consumed gets
 * the block's size in bytes (bytes after it are not looked at). Follows
 * gtk-gnutella's strictness: reserved bit, bad IDs, bad length chunks,
 * lengths past the end, empty or invalid COBS, bad zlib → error. */
ShoalGgep                *shoal_ggep_parse   (const guint8 *data,
                                              gsize         length,
                                              gsize        *consumed,
                                              GError      **error);
/* Appends the block to @out. Fails for an empty block, an ID that is not
 * 1–15 printable ASCII bytes, or data too long once encoded. */
gboolean                  shoal_ggep_write   (const ShoalGgep *ggep,
                                              GByteArray      *out,
                                              GError         **error);

/* Adds an extension stored with exactly @encoding. */
void                      shoal_ggep_add     (ShoalGgep    *ggep,
                                              const char   *id,
                                              const guint8 *data,
                                              gsize         length,
                                              guint         encoding);
/* Adds an extension COBS-encoded only if @data holds a 0x00 byte: what
 * query-hit records require and what gtk-gnutella writes everywhere. */
void                      shoal_ggep_add_nul_free (ShoalGgep    *ggep,
                                                   const char   *id,
                                                   const guint8 *data,
                                                   gsize         length);
/* First extension with @id, or NULL. */
const ShoalGgepExtension *shoal_ggep_find    (const ShoalGgep *ggep,
                                              const char      *id);
guint                     shoal_ggep_count   (const ShoalGgep *ggep);
const ShoalGgepExtension *shoal_ggep_get     (const ShoalGgep *ggep,
                                              guint            index);

/* COBS as GGEP uses it (flag 0x40): the encoding holds no 0x00 byte. */
void     shoal_cobs_encode (const guint8 *data,
                            gsize         length,
                            GByteArray   *out);
gboolean shoal_cobs_decode (const guint8 *data,
                            gsize         length,
                            GByteArray   *out,
                            GError      **error);

/* Little-endian integer with the high zero bytes dropped (GGEP DU, LF, M).
 * Decoding takes 1–8 bytes. Encoding writes at least one byte. */
gboolean shoal_vlint_decode (const guint8 *data,
                             gsize         length,
                             guint64      *value);
guint    shoal_vlint_encode (guint64 value,
                             guint8  out[8]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalGgep, shoal_ggep_free)

G_END_DECLS
