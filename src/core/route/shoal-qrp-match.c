/* shoal-qrp-match.c — deciding whether a QRP table routes a query, and
 * merging tables of any size into one. */
#include "shoal-qrp-match.h"

#include <string.h>

#include "shoal-qrp-keywords.h"
#include "shoal-urn.h"

/* gtk-gnutella: queries of fewer words than this need every word
 * present; longer ones need MATCH_NUMERATOR / MATCH_DENOMINATOR of them. */
#define MATCH_ALL_BELOW_WORDS 3
#define MATCH_NUMERATOR 2
#define MATCH_DENOMINATOR 3

struct _ShoalQrpQueryKeys
{
  guint   word_count;
  guint   urn_count;
  guint32 codes[];  /* the words' hash codes, then the urns' */
};

/* The query's words as gtk-gnutella hashes them; none when the text is
 * missing or cannot be canonized (too long for any real query). */
static GPtrArray *
routable_words (const char *text)
{
  g_autoptr(GPtrArray) words = NULL;
  g_autoptr(GError) error = NULL;

  if (text != NULL)
    words = shoal_qrp_query_words (text, -1, &error);
  if (words == NULL)
    return g_ptr_array_new_with_free_func (g_free);
  return g_steal_pointer (&words);
}

/* The same code shoal-library-qrp.c puts in a library's table for @sha1. */
static gboolean
sha1_hash_code (const guint8 *sha1,
                guint32      *code)
{
  g_autofree char *urn = shoal_urn_format_sha1 (sha1);

  return shoal_qrp_urn_hash_code (urn, -1, code, NULL);
}

static gboolean
codes_contain (const guint32 *codes,
               guint          count,
               guint32        code)
{
  for (guint i = 0; i < count; i++)
    if (codes[i] == code)
      return TRUE;
  return FALSE;
}

/* @sha1s: 20-byte buffers, possibly repeated (HUGE and GGEP "H" may both
 * name the same file). */
static ShoalQrpQueryKeys *
query_keys_build (const char          *text,
                  const guint8 *const *sha1s,
                  guint                sha1_count)
{
  g_autoptr(GPtrArray) words = routable_words (text);
  ShoalQrpQueryKeys *keys = g_malloc (sizeof *keys
                                      + (words->len + sha1_count) * sizeof keys->codes[0]);
  guint32 *urn_codes;

  keys->word_count = 0;
  for (guint i = 0; i < words->len; i++)
    {
      const char *word = g_ptr_array_index (words, i);

      /* shoal_qrp_query_words already skips them; this is the rule we
       * route by, stated where it is used. */
      if (strlen (word) >= SHOAL_QRP_MATCH_MIN_WORD_BYTES)
        keys->codes[keys->word_count++] = shoal_qrp_hash_code (word, -1);
    }
  urn_codes = keys->codes + keys->word_count;
  keys->urn_count = 0;
  for (guint i = 0; i < sha1_count; i++)
    {
      guint32 code;

      if (sha1_hash_code (sha1s[i], &code)
          && !codes_contain (urn_codes, keys->urn_count, code))
        urn_codes[keys->urn_count++] = code;
    }
  return keys;
}

ShoalQrpQueryKeys *
shoal_qrp_query_keys_new (const ShoalQuery *query)
{
  g_autoptr(GPtrArray) sha1s = NULL;
  g_autofree const guint8 **sha1_data = NULL;

  g_return_val_if_fail (query != NULL, NULL);

  sha1s = shoal_query_get_sha1s (query);
  sha1_data = g_new (const guint8 *, sha1s->len);
  for (guint i = 0; i < sha1s->len; i++)
    sha1_data[i] = g_bytes_get_data (g_ptr_array_index (sha1s, i), NULL);
  return query_keys_build (query->text, sha1_data, sha1s->len);
}

ShoalQrpQueryKeys *
shoal_qrp_query_keys_new_text (const char   *text,
                               const guint8 *sha1)
{
  return query_keys_build (text, &sha1, sha1 != NULL ? 1 : 0);
}

void
shoal_qrp_query_keys_free (ShoalQrpQueryKeys *keys)
{
  g_free (keys);
}

guint
shoal_qrp_query_keys_get_word_count (const ShoalQrpQueryKeys *keys)
{
  g_return_val_if_fail (keys != NULL, 0);

  return keys->word_count;
}

guint
shoal_qrp_query_keys_get_urn_count (const ShoalQrpQueryKeys *keys)
{
  g_return_val_if_fail (keys != NULL, 0);

  return keys->urn_count;
}

/* shoal_qrp_hash_restrict, also for a table of a single slot (bits 0),
 * which a RESET may announce. */
static guint32
slot_of (guint32 code,
         guint   bits)
{
  return bits == 0 ? 0 : shoal_qrp_hash_restrict (code, bits);
}

static gboolean
code_is_present (const ShoalQrpTable *table,
                 guint                bits,
                 guint32              code)
{
  return table->values[slot_of (code, bits)] < table->infinity;
}

static guint
words_needed (guint word_count)
{
  if (word_count < MATCH_ALL_BELOW_WORDS)
    return word_count;
  /* The least hits with MATCH_DENOMINATOR · hits ≥ MATCH_NUMERATOR · W. */
  return (MATCH_NUMERATOR * word_count + MATCH_DENOMINATOR - 1) / MATCH_DENOMINATOR;
}

static gboolean
words_match (const ShoalQrpTable     *table,
             guint                    bits,
             const ShoalQrpQueryKeys *keys)
{
  guint misses_allowed = keys->word_count - words_needed (keys->word_count);
  guint misses = 0;

  if (keys->word_count == 0)
    return FALSE;
  for (guint i = 0; i < keys->word_count; i++)
    if (!code_is_present (table, bits, keys->codes[i]) && ++misses > misses_allowed)
      return FALSE;
  return TRUE;
}

gboolean
shoal_qrp_table_matches (const ShoalQrpTable     *table,
                         const ShoalQrpQueryKeys *keys)
{
  const guint32 *urn_codes;
  guint bits;

  g_return_val_if_fail (table != NULL && keys != NULL, FALSE);

  bits = shoal_qrp_table_get_bits (table);
  urn_codes = keys->codes + keys->word_count;
  for (guint i = 0; i < keys->urn_count; i++)
    if (code_is_present (table, bits, urn_codes[i]))
      return TRUE;
  return words_match (table, bits, keys);
}

/* Each slot of the larger @source stands for the hash codes whose top
 * bits it is; the smaller @target's slot for them is those bits' prefix. */
static void
fold_into_smaller (ShoalQrpTable       *target,
                   const ShoalQrpTable *source,
                   guint                shift)
{
  for (guint32 slot = 0; slot < source->slots; slot++)
    if (shoal_qrp_table_is_present (source, slot))
      shoal_qrp_table_set_present (target, slot >> shift);
}

/* A slot of the smaller @source stands for every slot of the larger
 * @target that shares its prefix: all of them must be marked. */
static void
spread_into_larger (ShoalQrpTable       *target,
                    const ShoalQrpTable *source,
                    guint                shift)
{
  guint32 span = 1u << shift;

  for (guint32 slot = 0; slot < source->slots; slot++)
    if (shoal_qrp_table_is_present (source, slot))
      for (guint32 offset = 0; offset < span; offset++)
        shoal_qrp_table_set_present (target, (slot << shift) + offset);
}

void
shoal_qrp_table_merge_into (ShoalQrpTable       *target,
                            const ShoalQrpTable *source)
{
  guint target_bits, source_bits;

  g_return_if_fail (target != NULL && source != NULL);

  target_bits = shoal_qrp_table_get_bits (target);
  source_bits = shoal_qrp_table_get_bits (source);
  if (source_bits >= target_bits)
    fold_into_smaller (target, source, source_bits - target_bits);
  else
    spread_into_larger (target, source, target_bits - source_bits);
}
