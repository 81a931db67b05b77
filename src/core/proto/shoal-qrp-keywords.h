/* shoal-qrp-keywords.h — the QRP hash, and the keywords it is applied to:
 * those of shared file names (into a table) and those of a query (when
 * routing it).
 *
 * Nothing here knows about tables: a keyword becomes a 32-bit hash code,
 * and shoal_qrp_hash_restrict() turns a code into a slot of a table of
 * any size, so routing code can keep one code per word for all tables.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* doc/QRP appendix A; gtk-gnutella calls it GOLDEN_RATIO_31. */
#define SHOAL_QRP_HASH_MULTIPLIER 0x4F1BBCDCu
/* A slot index is the top bits of a 32-bit code. */
#define SHOAL_QRP_MAX_HASH_BITS 32
/* gtk-gnutella QRP_MIN_WORD_LENGTH (src/core/qrp.h), counted in bytes as
 * gtk-gnutella counts it: shorter words are neither put in a table nor
 * hashed when routing a query. */
#define SHOAL_QRP_MIN_WORD_LENGTH 3
/* gtk-gnutella's unique_substr() stops cutting a word once it would be
 * this short (bytes): "obsi" is inserted, "obs" is not. */
#define SHOAL_QRP_MIN_PREFIX_LENGTH 4
/* gtk-gnutella QRP_MAX_CUT_CHARS: at most this many shorter prefixes of
 * each word. */
#define SHOAL_QRP_MAX_PREFIXES 5
/* PATH_MAX on Linux: no shared name (gtk-gnutella may prepend the
 * relative path) and no sane query is longer. Bounds what the Unicode
 * normalisations may allocate. */
#define SHOAL_QRP_MAX_TEXT_LENGTH 4096

/* The 32-bit QRP hash code of @word (@length -1: NUL-terminated),
 * computed as LimeWire and gtk-gnutella do: each code point lower-cased,
 * the low byte of each UTF-16 code unit (a character outside the BMP is
 * two units) XORed into byte (i mod 4) of a little-endian word, times
 * SHOAL_QRP_HASH_MULTIPLIER. Stops at the first byte that is not valid
 * UTF-8, as gtk-gnutella's qrp_hashcode() does: text from the network
 * reaches it through the functions below, which reject such input. */
guint32     shoal_qrp_hash_code          (const char *word,
                                          gssize      length);
/* The slot of @code in a table of 2^@bits slots (1 ≤ @bits ≤ 32). */
guint32     shoal_qrp_hash_restrict      (guint32 code,
                                          guint   bits);
/* shoal_qrp_hash_restrict (shoal_qrp_hash_code (@word), @bits). */
guint32     shoal_qrp_hash               (const char *word,
                                          gssize      length,
                                          guint       bits);

/* gtk-gnutella's canonical form of a name or query (utf8_canonize() in
 * src/lib/utf8.c): NFC, case folding, NFKD; letters and decimal digits
 * kept, accents and other non-spacing marks dropped (except the few that
 * change a letter's meaning, e.g. Japanese voicing marks), every other
 * character — punctuation including ' and *, symbols, spaces — turned
 * into a single space; NFC again; and a space inserted wherever the text
 * moves to another Unicode block ("abc日本" → "abc 日本"). Fails on
 * invalid UTF-8 or text longer than SHOAL_QRP_MAX_TEXT_LENGTH bytes. */
char       *shoal_qrp_canonize           (const char *text,
                                          gssize      length,
                                          GError    **error);

/* A set of keywords: a GHashTable whose keys are the (owned) words. */
GHashTable *shoal_qrp_keyword_set_new    (void);
/* Adds to @keywords what gtk-gnutella puts in its table for the shared
 * name @name: each canonical word of at least SHOAL_QRP_MIN_WORD_LENGTH
 * bytes, and its SHOAL_QRP_MAX_PREFIXES successively shorter prefixes
 * (one character less each time) that keep at least
 * SHOAL_QRP_MIN_PREFIX_LENGTH bytes. Fails as shoal_qrp_canonize(). */
gboolean    shoal_qrp_add_name_keywords  (GHashTable *keywords,
                                          const char *name,
                                          gssize      length,
                                          GError    **error);
/* The words a router hashes for the query text @text: the distinct
 * canonical words of at least SHOAL_QRP_MIN_WORD_LENGTH bytes, in order
 * of first appearance. An array of strings, possibly empty. */
GPtrArray  *shoal_qrp_query_words        (const char *text,
                                          gssize      length,
                                          GError    **error);
/* The hash code of a file's URN hashed whole, as one keyword, the way
 * LimeWire leaves put their files' URNs in their tables and routers look
 * them up. @urn is "urn:sha1:<32 base32>" or "urn:bitprint:…" in any
 * case; it is hashed as "urn:sha1:<BASE32>" (the hash lower-cases it). */
gboolean    shoal_qrp_urn_hash_code      (const char *urn,
                                          gssize      length,
                                          guint32    *code,
                                          GError    **error);

G_END_DECLS
