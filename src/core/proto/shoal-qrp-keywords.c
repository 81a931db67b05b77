/* shoal-qrp-keywords.c — the QRP hash, and the keywords it is applied to. */
#include "shoal-qrp-keywords.h"

#include "shoal-proto-error.h"
#include "shoal-urn.h"

#include <string.h>

#define UTF16_FIRST_SUPPLEMENTARY 0x10000
#define UTF16_HIGH_SURROGATE 0xd800
#define UTF16_LOW_SURROGATE 0xdc00
#define UTF16_SURROGATE_BITS 10
#define UTF16_SURROGATE_MASK 0x3ff

typedef struct
{
  gunichar first;
  gunichar last;
} UnicodeBlock;

/* Unicode 14.0 Blocks.txt. gtk-gnutella breaks words where the text moves
 * from one block to another (utf32_split_blocks()), so that a Japanese
 * name mixing kanji and kana, or Latin and CJK, gives the words its
 * tables and queries give. Blocks are stable: new ones only fill gaps. */
static const UnicodeBlock unicode_blocks[] = {
  { 0x00000, 0x0007f }, { 0x00080, 0x000ff }, { 0x00100, 0x0017f },
  { 0x00180, 0x0024f }, { 0x00250, 0x002af }, { 0x002b0, 0x002ff },
  { 0x00300, 0x0036f }, { 0x00370, 0x003ff }, { 0x00400, 0x004ff },
  { 0x00500, 0x0052f }, { 0x00530, 0x0058f }, { 0x00590, 0x005ff },
  { 0x00600, 0x006ff }, { 0x00700, 0x0074f }, { 0x00750, 0x0077f },
  { 0x00780, 0x007bf }, { 0x007c0, 0x007ff }, { 0x00800, 0x0083f },
  { 0x00840, 0x0085f }, { 0x00860, 0x0086f }, { 0x00870, 0x0089f },
  { 0x008a0, 0x008ff }, { 0x00900, 0x0097f }, { 0x00980, 0x009ff },
  { 0x00a00, 0x00a7f }, { 0x00a80, 0x00aff }, { 0x00b00, 0x00b7f },
  { 0x00b80, 0x00bff }, { 0x00c00, 0x00c7f }, { 0x00c80, 0x00cff },
  { 0x00d00, 0x00d7f }, { 0x00d80, 0x00dff }, { 0x00e00, 0x00e7f },
  { 0x00e80, 0x00eff }, { 0x00f00, 0x00fff }, { 0x01000, 0x0109f },
  { 0x010a0, 0x010ff }, { 0x01100, 0x011ff }, { 0x01200, 0x0137f },
  { 0x01380, 0x0139f }, { 0x013a0, 0x013ff }, { 0x01400, 0x0167f },
  { 0x01680, 0x0169f }, { 0x016a0, 0x016ff }, { 0x01700, 0x0171f },
  { 0x01720, 0x0173f }, { 0x01740, 0x0175f }, { 0x01760, 0x0177f },
  { 0x01780, 0x017ff }, { 0x01800, 0x018af }, { 0x018b0, 0x018ff },
  { 0x01900, 0x0194f }, { 0x01950, 0x0197f }, { 0x01980, 0x019df },
  { 0x019e0, 0x019ff }, { 0x01a00, 0x01a1f }, { 0x01a20, 0x01aaf },
  { 0x01ab0, 0x01aff }, { 0x01b00, 0x01b7f }, { 0x01b80, 0x01bbf },
  { 0x01bc0, 0x01bff }, { 0x01c00, 0x01c4f }, { 0x01c50, 0x01c7f },
  { 0x01c80, 0x01c8f }, { 0x01c90, 0x01cbf }, { 0x01cc0, 0x01ccf },
  { 0x01cd0, 0x01cff }, { 0x01d00, 0x01d7f }, { 0x01d80, 0x01dbf },
  { 0x01dc0, 0x01dff }, { 0x01e00, 0x01eff }, { 0x01f00, 0x01fff },
  { 0x02000, 0x0206f }, { 0x02070, 0x0209f }, { 0x020a0, 0x020cf },
  { 0x020d0, 0x020ff }, { 0x02100, 0x0214f }, { 0x02150, 0x0218f },
  { 0x02190, 0x021ff }, { 0x02200, 0x022ff }, { 0x02300, 0x023ff },
  { 0x02400, 0x0243f }, { 0x02440, 0x0245f }, { 0x02460, 0x024ff },
  { 0x02500, 0x0257f }, { 0x02580, 0x0259f }, { 0x025a0, 0x025ff },
  { 0x02600, 0x026ff }, { 0x02700, 0x027bf }, { 0x027c0, 0x027ef },
  { 0x027f0, 0x027ff }, { 0x02800, 0x028ff }, { 0x02900, 0x0297f },
  { 0x02980, 0x029ff }, { 0x02a00, 0x02aff }, { 0x02b00, 0x02bff },
  { 0x02c00, 0x02c5f }, { 0x02c60, 0x02c7f }, { 0x02c80, 0x02cff },
  { 0x02d00, 0x02d2f }, { 0x02d30, 0x02d7f }, { 0x02d80, 0x02ddf },
  { 0x02de0, 0x02dff }, { 0x02e00, 0x02e7f }, { 0x02e80, 0x02eff },
  { 0x02f00, 0x02fdf }, { 0x02ff0, 0x02fff }, { 0x03000, 0x0303f },
  { 0x03040, 0x0309f }, { 0x030a0, 0x030ff }, { 0x03100, 0x0312f },
  { 0x03130, 0x0318f }, { 0x03190, 0x0319f }, { 0x031a0, 0x031bf },
  { 0x031c0, 0x031ef }, { 0x031f0, 0x031ff }, { 0x03200, 0x032ff },
  { 0x03300, 0x033ff }, { 0x03400, 0x04dbf }, { 0x04dc0, 0x04dff },
  { 0x04e00, 0x09fff }, { 0x0a000, 0x0a48f }, { 0x0a490, 0x0a4cf },
  { 0x0a4d0, 0x0a4ff }, { 0x0a500, 0x0a63f }, { 0x0a640, 0x0a69f },
  { 0x0a6a0, 0x0a6ff }, { 0x0a700, 0x0a71f }, { 0x0a720, 0x0a7ff },
  { 0x0a800, 0x0a82f }, { 0x0a830, 0x0a83f }, { 0x0a840, 0x0a87f },
  { 0x0a880, 0x0a8df }, { 0x0a8e0, 0x0a8ff }, { 0x0a900, 0x0a92f },
  { 0x0a930, 0x0a95f }, { 0x0a960, 0x0a97f }, { 0x0a980, 0x0a9df },
  { 0x0a9e0, 0x0a9ff }, { 0x0aa00, 0x0aa5f }, { 0x0aa60, 0x0aa7f },
  { 0x0aa80, 0x0aadf }, { 0x0aae0, 0x0aaff }, { 0x0ab00, 0x0ab2f },
  { 0x0ab30, 0x0ab6f }, { 0x0ab70, 0x0abbf }, { 0x0abc0, 0x0abff },
  { 0x0ac00, 0x0d7af }, { 0x0d7b0, 0x0d7ff }, { 0x0d800, 0x0db7f },
  { 0x0db80, 0x0dbff }, { 0x0dc00, 0x0dfff }, { 0x0e000, 0x0f8ff },
  { 0x0f900, 0x0faff }, { 0x0fb00, 0x0fb4f }, { 0x0fb50, 0x0fdff },
  { 0x0fe00, 0x0fe0f }, { 0x0fe10, 0x0fe1f }, { 0x0fe20, 0x0fe2f },
  { 0x0fe30, 0x0fe4f }, { 0x0fe50, 0x0fe6f }, { 0x0fe70, 0x0feff },
  { 0x0ff00, 0x0ffef }, { 0x0fff0, 0x0ffff }, { 0x10000, 0x1007f },
  { 0x10080, 0x100ff }, { 0x10100, 0x1013f }, { 0x10140, 0x1018f },
  { 0x10190, 0x101cf }, { 0x101d0, 0x101ff }, { 0x10280, 0x1029f },
  { 0x102a0, 0x102df }, { 0x102e0, 0x102ff }, { 0x10300, 0x1032f },
  { 0x10330, 0x1034f }, { 0x10350, 0x1037f }, { 0x10380, 0x1039f },
  { 0x103a0, 0x103df }, { 0x10400, 0x1044f }, { 0x10450, 0x1047f },
  { 0x10480, 0x104af }, { 0x104b0, 0x104ff }, { 0x10500, 0x1052f },
  { 0x10530, 0x1056f }, { 0x10570, 0x105bf }, { 0x10600, 0x1077f },
  { 0x10780, 0x107bf }, { 0x10800, 0x1083f }, { 0x10840, 0x1085f },
  { 0x10860, 0x1087f }, { 0x10880, 0x108af }, { 0x108e0, 0x108ff },
  { 0x10900, 0x1091f }, { 0x10920, 0x1093f }, { 0x10980, 0x1099f },
  { 0x109a0, 0x109ff }, { 0x10a00, 0x10a5f }, { 0x10a60, 0x10a7f },
  { 0x10a80, 0x10a9f }, { 0x10ac0, 0x10aff }, { 0x10b00, 0x10b3f },
  { 0x10b40, 0x10b5f }, { 0x10b60, 0x10b7f }, { 0x10b80, 0x10baf },
  { 0x10c00, 0x10c4f }, { 0x10c80, 0x10cff }, { 0x10d00, 0x10d3f },
  { 0x10e60, 0x10e7f }, { 0x10e80, 0x10ebf }, { 0x10f00, 0x10f2f },
  { 0x10f30, 0x10f6f }, { 0x10f70, 0x10faf }, { 0x10fb0, 0x10fdf },
  { 0x10fe0, 0x10fff }, { 0x11000, 0x1107f }, { 0x11080, 0x110cf },
  { 0x110d0, 0x110ff }, { 0x11100, 0x1114f }, { 0x11150, 0x1117f },
  { 0x11180, 0x111df }, { 0x111e0, 0x111ff }, { 0x11200, 0x1124f },
  { 0x11280, 0x112af }, { 0x112b0, 0x112ff }, { 0x11300, 0x1137f },
  { 0x11400, 0x1147f }, { 0x11480, 0x114df }, { 0x11580, 0x115ff },
  { 0x11600, 0x1165f }, { 0x11660, 0x1167f }, { 0x11680, 0x116cf },
  { 0x11700, 0x1174f }, { 0x11800, 0x1184f }, { 0x118a0, 0x118ff },
  { 0x11900, 0x1195f }, { 0x119a0, 0x119ff }, { 0x11a00, 0x11a4f },
  { 0x11a50, 0x11aaf }, { 0x11ab0, 0x11abf }, { 0x11ac0, 0x11aff },
  { 0x11c00, 0x11c6f }, { 0x11c70, 0x11cbf }, { 0x11d00, 0x11d5f },
  { 0x11d60, 0x11daf }, { 0x11ee0, 0x11eff }, { 0x11fb0, 0x11fbf },
  { 0x11fc0, 0x11fff }, { 0x12000, 0x123ff }, { 0x12400, 0x1247f },
  { 0x12480, 0x1254f }, { 0x12f90, 0x12fff }, { 0x13000, 0x1342f },
  { 0x13430, 0x1343f }, { 0x14400, 0x1467f }, { 0x16800, 0x16a3f },
  { 0x16a40, 0x16a6f }, { 0x16a70, 0x16acf }, { 0x16ad0, 0x16aff },
  { 0x16b00, 0x16b8f }, { 0x16e40, 0x16e9f }, { 0x16f00, 0x16f9f },
  { 0x16fe0, 0x16fff }, { 0x17000, 0x187ff }, { 0x18800, 0x18aff },
  { 0x18b00, 0x18cff }, { 0x18d00, 0x18d7f }, { 0x1aff0, 0x1afff },
  { 0x1b000, 0x1b0ff }, { 0x1b100, 0x1b12f }, { 0x1b130, 0x1b16f },
  { 0x1b170, 0x1b2ff }, { 0x1bc00, 0x1bc9f }, { 0x1bca0, 0x1bcaf },
  { 0x1cf00, 0x1cfcf }, { 0x1d000, 0x1d0ff }, { 0x1d100, 0x1d1ff },
  { 0x1d200, 0x1d24f }, { 0x1d2e0, 0x1d2ff }, { 0x1d300, 0x1d35f },
  { 0x1d360, 0x1d37f }, { 0x1d400, 0x1d7ff }, { 0x1d800, 0x1daaf },
  { 0x1df00, 0x1dfff }, { 0x1e000, 0x1e02f }, { 0x1e100, 0x1e14f },
  { 0x1e290, 0x1e2bf }, { 0x1e2c0, 0x1e2ff }, { 0x1e7e0, 0x1e7ff },
  { 0x1e800, 0x1e8df }, { 0x1e900, 0x1e95f }, { 0x1ec70, 0x1ecbf },
  { 0x1ed00, 0x1ed4f }, { 0x1ee00, 0x1eeff }, { 0x1f000, 0x1f02f },
  { 0x1f030, 0x1f09f }, { 0x1f0a0, 0x1f0ff }, { 0x1f100, 0x1f1ff },
  { 0x1f200, 0x1f2ff }, { 0x1f300, 0x1f5ff }, { 0x1f600, 0x1f64f },
  { 0x1f650, 0x1f67f }, { 0x1f680, 0x1f6ff }, { 0x1f700, 0x1f77f },
  { 0x1f780, 0x1f7ff }, { 0x1f800, 0x1f8ff }, { 0x1f900, 0x1f9ff },
  { 0x1fa00, 0x1fa6f }, { 0x1fa70, 0x1faff }, { 0x1fb00, 0x1fbff },
  { 0x20000, 0x2a6df }, { 0x2a700, 0x2b73f }, { 0x2b740, 0x2b81f },
  { 0x2b820, 0x2ceaf }, { 0x2ceb0, 0x2ebef }, { 0x2f800, 0x2fa1f },
  { 0x30000, 0x3134f }, { 0xe0000, 0xe007f }, { 0xe0100, 0xe01ef },
  { 0xf0000, 0xfffff }, { 0x100000, 0x10ffff },
};

/* The non-spacing marks gtk-gnutella's utf32_filter_char() keeps because
 * dropping them would change the letter rather than strip an accent:
 * Japanese voicing marks, viramas, nuktas and a few Tibetan, Thai, Lao,
 * Myanmar, Sinhala, Hanunoo, Devanagari, Limbu and Mongolian signs.
 * Sorted for bsearch(). */
static const gunichar meaningful_marks[] = {
  0x0345, 0x093c, 0x094d, 0x0951, 0x0952, 0x09bc, 0x09cd, 0x0a3c,
  0x0a4d, 0x0abc, 0x0acd, 0x0b3c, 0x0b4d, 0x0bcd, 0x0c4d, 0x0cbc,
  0x0ccd, 0x0dca, 0x0e3a, 0x0eb8, 0x0eb9, 0x0f18, 0x0f19, 0x0f35,
  0x0f37, 0x0f39, 0x0f71, 0x0f72, 0x0f74, 0x0f7a, 0x0f7b, 0x0f7c,
  0x0f7d, 0x0f80, 0x0f82, 0x0f83, 0x0f84, 0x0f86, 0x0f87, 0x0fc6,
  0x1037, 0x1039, 0x1714, 0x1734, 0x18a9, 0x1939, 0x193a, 0x193b,
  0x3099, 0x309a,
};

/* What the canonical form does with a character (utf32_filter_char()). */
typedef enum
{
  CHAR_WORD,       /* part of a word */
  CHAR_KEEP,       /* copied, without ending a run of separators */
  CHAR_DROP,       /* removed, joining its neighbours */
  CHAR_SEPARATOR,  /* a space, unless one precedes it */
} CharClass;

static gsize
text_length (const char *text,
             gssize      length)
{
  return length < 0 ? strlen (text) : (gsize) length;
}

static guint32
fold_unit (guint32  folded,
           guint   *position,
           guint32  unit)
{
  folded ^= (unit & 0xff) << (8 * (*position % 4));
  (*position)++;
  return folded;
}

guint32
shoal_qrp_hash_code (const char *word,
                     gssize      length)
{
  const char *p = word;
  const char *end = word + text_length (word, length);
  guint32 folded = 0;
  guint position = 0;

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      c = g_unichar_tolower (c);
      if (c >= UTF16_FIRST_SUPPLEMENTARY)
        {
          gunichar offset = c - UTF16_FIRST_SUPPLEMENTARY;

          folded = fold_unit (folded, &position, UTF16_HIGH_SURROGATE
                              + (offset >> UTF16_SURROGATE_BITS));
          folded = fold_unit (folded, &position, UTF16_LOW_SURROGATE
                              + (offset & UTF16_SURROGATE_MASK));
        }
      else
        folded = fold_unit (folded, &position, c);
      p = g_utf8_next_char (p);
    }
  return folded * SHOAL_QRP_HASH_MULTIPLIER;
}

guint32
shoal_qrp_hash_restrict (guint32 code,
                         guint   bits)
{
  g_return_val_if_fail (bits >= 1 && bits <= SHOAL_QRP_MAX_HASH_BITS, 0);

  /* A shift by 32 would be undefined. */
  if (bits == SHOAL_QRP_MAX_HASH_BITS)
    return code;
  return code >> (SHOAL_QRP_MAX_HASH_BITS - bits);
}

guint32
shoal_qrp_hash (const char *word,
                gssize      length,
                guint       bits)
{
  return shoal_qrp_hash_restrict (shoal_qrp_hash_code (word, length), bits);
}

static gboolean
check_text (const char *text,
            gsize       length,
            GError    **error)
{
  const char *end;

  if (length > SHOAL_QRP_MAX_TEXT_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "text is %" G_GSIZE_FORMAT " bytes, more than %d",
                   length, SHOAL_QRP_MAX_TEXT_LENGTH);
      return FALSE;
    }
  if (!g_utf8_validate_len (text, length, &end))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "text is not valid UTF-8 at byte %" G_GSIZE_FORMAT,
                   (gsize) (end - text));
      return FALSE;
    }
  return TRUE;
}

static int
compare_unichar (const void *a,
                 const void *b)
{
  gunichar x = *(const gunichar *) a;
  gunichar y = *(const gunichar *) b;

  return x < y ? -1 : x > y;
}

static gboolean
is_meaningful_mark (gunichar c)
{
  return bsearch (&c, meaningful_marks, G_N_ELEMENTS (meaningful_marks),
                  sizeof meaningful_marks[0], compare_unichar) != NULL;
}

static gboolean
is_noncharacter (gunichar c)
{
  return (c & 0xfffe) == 0xfffe || (c >= 0xfdd0 && c <= 0xfdef);
}

static CharClass
classify (gunichar c)
{
  /* gtk-gnutella files non-characters with private use: separators. */
  if (is_noncharacter (c))
    return CHAR_SEPARATOR;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_UNASSIGNED:
      return CHAR_WORD;
    case G_UNICODE_CONTROL:
      return c == '\n' ? CHAR_KEEP : CHAR_DROP;
    case G_UNICODE_NON_SPACING_MARK:
      return is_meaningful_mark (c) ? CHAR_KEEP : CHAR_DROP;
    default:
      /* Upper-case letters left after case folding are separators too. */
      return CHAR_SEPARATOR;
    }
}

/* Runs of separators become one space, and none leads or trails: a
 * space is only written once something follows it. (gtk-gnutella leaves
 * a trailing space when more than one separator ends the text; the words
 * are the same.) */
static char *
filter_characters (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));
  gboolean after_separator = TRUE;
  gboolean space_pending = FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      CharClass kind = classify (c);

      if (kind == CHAR_DROP)
        continue;
      if (kind == CHAR_SEPARATOR)
        {
          if (!after_separator)
            space_pending = TRUE;
          after_separator = TRUE;
          continue;
        }
      if (space_pending)
        g_string_append_c (out, ' ');
      space_pending = FALSE;
      if (kind == CHAR_WORD)
        after_separator = FALSE;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

static int
compare_block (const void *key,
               const void *element)
{
  gunichar c = *(const gunichar *) key;
  const UnicodeBlock *block = element;

  return c < block->first ? -1 : c > block->last;
}

/* Characters outside every block share one "no block". */
static gssize
unicode_block (gunichar c)
{
  const UnicodeBlock *block = bsearch (&c, unicode_blocks,
                                       G_N_ELEMENTS (unicode_blocks),
                                       sizeof unicode_blocks[0],
                                       compare_block);

  return block != NULL ? block - unicode_blocks : -1;
}

static char *
split_blocks (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));
  gunichar previous = ' ';
  gssize previous_block = -1;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gssize block = unicode_block (c);

      if (block != previous_block && c != ' ' && previous != ' ')
        g_string_append_c (out, ' ');
      g_string_append_unichar (out, c);
      previous = c;
      previous_block = block;
    }
  return g_string_free (out, FALSE);
}

char *
shoal_qrp_canonize (const char *text,
                    gssize      length,
                    GError    **error)
{
  gsize size = text_length (text, length);
  g_autofree char *composed = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *decomposed = NULL;
  g_autofree char *filtered = NULL;
  g_autofree char *recomposed = NULL;

  if (!check_text (text, size, error))
    return NULL;
  /* The steps and their order are gtk-gnutella's utf32_canonize(). */
  composed = g_utf8_normalize (text, size, G_NORMALIZE_NFC);
  folded = g_utf8_casefold (composed, -1);
  decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKD);
  filtered = filter_characters (decomposed);
  recomposed = g_utf8_normalize (filtered, -1, G_NORMALIZE_NFC);
  return split_blocks (recomposed);
}

/* The canonical words of @text, empty ones left out. */
static GStrv
canonical_words (const char *text,
                 gssize      length,
                 GError    **error)
{
  g_autofree char *canonical = shoal_qrp_canonize (text, length, error);
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) tokens = NULL;

  if (canonical == NULL)
    return NULL;
  builder = g_strv_builder_new ();
  tokens = g_strsplit (canonical, " ", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    if (tokens[i][0] != '\0')
      g_strv_builder_add (builder, tokens[i]);
  return g_strv_builder_end (builder);
}

GHashTable *
shoal_qrp_keyword_set_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Prefixes end on a character boundary; their length counts bytes, as
 * gtk-gnutella's unique_substr() counts it. */
static void
add_word_and_prefixes (GHashTable *keywords,
                       const char *word)
{
  gsize length = strlen (word);

  g_hash_table_add (keywords, g_strdup (word));
  for (guint cut = 0; cut < SHOAL_QRP_MAX_PREFIXES; cut++)
    {
      length = g_utf8_find_prev_char (word, word + length) - word;
      if (length < SHOAL_QRP_MIN_PREFIX_LENGTH)
        break;
      g_hash_table_add (keywords, g_strndup (word, length));
    }
}

gboolean
shoal_qrp_add_name_keywords (GHashTable *keywords,
                             const char *name,
                             gssize      length,
                             GError    **error)
{
  g_auto(GStrv) words = canonical_words (name, length, error);

  if (words == NULL)
    return FALSE;
  for (guint i = 0; words[i] != NULL; i++)
    if (strlen (words[i]) >= SHOAL_QRP_MIN_WORD_LENGTH)
      add_word_and_prefixes (keywords, words[i]);
  return TRUE;
}

GPtrArray *
shoal_qrp_query_words (const char *text,
                       gssize      length,
                       GError    **error)
{
  g_auto(GStrv) words = canonical_words (text, length, error);
  g_autoptr(GHashTable) seen = NULL;
  GPtrArray *hashed;

  if (words == NULL)
    return NULL;
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  hashed = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; words[i] != NULL; i++)
    if (strlen (words[i]) >= SHOAL_QRP_MIN_WORD_LENGTH
        && g_hash_table_add (seen, words[i]))
      g_ptr_array_add (hashed, g_strdup (words[i]));
  return hashed;
}

gboolean
shoal_qrp_urn_hash_code (const char *urn,
                         gssize      length,
                         guint32    *code,
                         GError    **error)
{
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autofree char *canonical = NULL;

  if (!shoal_urn_parse_sha1 (urn, text_length (urn, length), sha1, error))
    return FALSE;
  canonical = shoal_urn_format_sha1 (sha1);
  *code = shoal_qrp_hash_code (canonical, -1);
  return TRUE;
}
