/* shoal-query.h — the query payload (0x80): flags word, search text and the
 * extension area of HUGE strings and GGEP blocks. */
#pragma once

#include <glib.h>

#include "shoal-extensions.h"
#include "shoal-ggep.h"
#include "shoal-urn.h"

G_BEGIN_DECLS

/* gtk-gnutella drops a query payload of 3 bytes or less (§3.4): the flags
 * word and a NUL leave no room for any text. */
#define SHOAL_QUERY_MIN_PAYLOAD 4
/* gtk-gnutella's search_queries_forward_size: a bigger query is dropped,
 * not forwarded (§3.4, §13). For the router: the codec accepts more. */
#define SHOAL_QUERY_FORWARD_SIZE 256
/* gtk-gnutella's search_queries_kick_size: a bigger query costs the link
 * a "BYE 400 Too large Query message" (§3.4, §13), so the codec refuses
 * to read or write one. */
#define SHOAL_QUERY_KICK_SIZE 1024

/* The be16 flags word (§4.3). Bit 15 says the word holds flags at all;
 * without it the word is an old "minimum speed" and none of these apply. */
#define SHOAL_QUERY_FLAG_MARKED 0x8000
#define SHOAL_QUERY_FLAG_FIREWALLED 0x4000
#define SHOAL_QUERY_FLAG_XML 0x2000
#define SHOAL_QUERY_FLAG_LEAF_GUIDED 0x1000
#define SHOAL_QUERY_FLAG_GGEP_H 0x0800
#define SHOAL_QUERY_FLAG_OOB 0x0400
#define SHOAL_QUERY_FLAG_FW2FW 0x0200
#define SHOAL_QUERY_FLAG_SEMI_RELIABLE_UDP 0x0100
#define SHOAL_QUERY_MAX_HITS_MASK 0x00ff
/* What gtk-gnutella sets on every query it originates (§4.3): 0xB900. */
#define SHOAL_QUERY_FLAGS_GTKG (SHOAL_QUERY_FLAG_MARKED | SHOAL_QUERY_FLAG_XML | \
                                SHOAL_QUERY_FLAG_LEAF_GUIDED | SHOAL_QUERY_FLAG_GGEP_H | \
                                SHOAL_QUERY_FLAG_SEMI_RELIABLE_UDP)
/* The text gtk-gnutella sends with a SHA-1-only query (§4.3). */
#define SHOAL_QUERY_SHA1_TEXT "\\"

typedef struct
{
  guint16          flags;         /* the word as received (be16 on the wire) */
  char            *text;          /* search text, valid UTF-8, no NUL */
  ShoalExtensions *extensions;    /* the area after the text's NUL; never NULL */
  /* A NUL ended the payload after the extension area. Its last item then
   * carries no separator: the NUL is kept here, as the terminator. */
  gboolean         trailing_nul;
} ShoalQuery;

void                      shoal_query_free         (ShoalQuery *query);

/* Parses a query payload (the bytes after the 23-byte header). */
ShoalQuery               *shoal_query_parse        (const guint8 *data,
                                                    gsize         length,
                                                    GError      **error);
/* Appends the payload. Fails when the text is not valid UTF-8, or the
 * payload would be shorter than SHOAL_QUERY_MIN_PAYLOAD or longer than
 * SHOAL_QUERY_KICK_SIZE; @out is then left as it was. */
gboolean                  shoal_query_write        (const ShoalQuery *query,
                                                    GByteArray       *out,
                                                    GError          **error);

/* A word search: flags | text NUL | [GGEP]. Takes ownership of @ggep
 * (may be NULL; an empty block counts as none). Fails when @text is empty
 * or not valid UTF-8. */
ShoalQuery               *shoal_query_new_words    (guint16     flags,
                                                    const char *text,
                                                    ShoalGgep  *ggep,
                                                    GError    **error);
/* A search by hash in gtk-gnutella's layout:
 * flags | "\" NUL | "urn:sha1:<base32>" NUL | [GGEP].
 * Takes ownership of @ggep (may be NULL; an empty block counts as none). */
ShoalQuery               *shoal_query_new_sha1     (guint16       flags,
                                                    const guint8  sha1[SHOAL_SHA1_SIZE],
                                                    ShoalGgep    *ggep);

/* Bit 15: the flags below mean something. */
gboolean                  shoal_query_is_marked    (const ShoalQuery *query);
/* TRUE when the word is marked and carries every bit of @flag. */
gboolean                  shoal_query_has_flag     (const ShoalQuery *query,
                                                    guint16           flag);
/* Hits wanted; 0 means no limit, and so does an unmarked word. */
guint                     shoal_query_max_hits     (const ShoalQuery *query);

/* Every SHA-1 the query searches for, as 20-byte GBytes. */
GPtrArray                *shoal_query_get_sha1s    (const ShoalQuery *query);
/* The query asks for URNs in the hits: a "urn:…" item or a GGEP "u". */
gboolean                  shoal_query_wants_urns   (const ShoalQuery *query);
/* The first GGEP extension @id in any block of the area, or NULL. */
const ShoalGgepExtension *shoal_query_find_ggep    (const ShoalQuery *query,
                                                    const char       *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQuery, shoal_query_free)

G_END_DECLS
