/* shoal-qrp-match.h — whether a QRP table could match a query
 * (gnutella-0.6.md §6.3, gtk-gnutella's qrp_can_route), and the merged
 * table an ultrapeer sends its peers (§6.5). */
#pragma once

#include <glib.h>

#include "shoal-qrp.h"
#include "shoal-query.h"

G_BEGIN_DECLS

/* gtk-gnutella routes on words of at least this many bytes. */
#define SHOAL_QRP_MATCH_MIN_WORD_BYTES 3
/* The merged table sent to ultrapeer peers is at most this large
 * (gtk-gnutella's MAX_UP_TABLE_SIZE). */
#define SHOAL_QRP_MATCH_MAX_MERGED_SLOTS 131072

/* A query made ready for matching against many tables: the 32-bit hash
 * codes of its words and its urn:sha1s, computed once
 * (shoal_qrp_hash_code), restricted to each table's size as needed. */
typedef struct _ShoalQrpQueryKeys ShoalQrpQueryKeys;

/* From a parsed query: its text's words (shoal_qrp_query_words, words of
 * fewer than SHOAL_QRP_MATCH_MIN_WORD_BYTES bytes left out) and the
 * "urn:sha1:BASE32" of each SHA-1 it carries (HUGE or GGEP "H"). */
ShoalQrpQueryKeys *shoal_qrp_query_keys_new       (const ShoalQuery *query);
/* From search text (words only) and/or one SHA-1 (may be NULL). */
ShoalQrpQueryKeys *shoal_qrp_query_keys_new_text  (const char   *text,
                                                   const guint8 *sha1);
void               shoal_qrp_query_keys_free      (ShoalQrpQueryKeys *keys);
guint              shoal_qrp_query_keys_get_word_count (const ShoalQrpQueryKeys *keys);
guint              shoal_qrp_query_keys_get_urn_count  (const ShoalQrpQueryKeys *keys);

/* gtk-gnutella's rule: any urn slot present matches; else with W words,
 * W < 3 needs all of them present, W ≥ 3 needs 3·present ≥ 2·W. A query
 * with neither words nor urns matches nothing. */
gboolean           shoal_qrp_table_matches        (const ShoalQrpTable      *table,
                                                   const ShoalQrpQueryKeys  *keys);

/* ORs @source into @target (presence only). Tables of different sizes
 * are folded: a slot of the larger maps to the slot of the smaller that
 * the same hash code lands in (hash >> (bits_large − bits_small)), so a
 * query that matches @source still matches @target. */
void               shoal_qrp_table_merge_into     (ShoalQrpTable       *target,
                                                   const ShoalQrpTable *source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQrpQueryKeys, shoal_qrp_query_keys_free)

G_END_DECLS
