/* shoal-extensions.h — the extension area of queries and query-hit records:
 * HUGE strings ("urn:sha1:…") and GGEP blocks, in any order, separated by
 * 0x1C (or, in queries, 0x00). */
#pragma once

#include <glib.h>

#include "shoal-ggep.h"

G_BEGIN_DECLS

#define SHOAL_EXTENSION_SEPARATOR 0x1c
/* In an item's @separator: no separator byte followed it. */
#define SHOAL_EXTENSION_NO_SEPARATOR (-1)

typedef enum
{
  SHOAL_EXTENSION_TEXT,  /* a HUGE string or other legacy text item */
  SHOAL_EXTENSION_GGEP,  /* a GGEP block */
} ShoalExtensionKind;

typedef struct
{
  ShoalExtensionKind kind;
  GBytes            *text;       /* TEXT: the item's bytes, no separator */
  ShoalGgep         *ggep;       /* GGEP: the parsed block */
  int                separator;  /* 0x1C, 0x00 or SHOAL_EXTENSION_NO_SEPARATOR */
} ShoalExtensionItem;

/* Items kept in wire order with the separator each had, so writing a
 * parsed area back gives the same bytes. */
typedef struct
{
  GPtrArray *items;  /* of ShoalExtensionItem* */
} ShoalExtensions;

ShoalExtensions *shoal_extensions_new   (void);
void             shoal_extensions_free  (ShoalExtensions *extensions);

/* Parses @length bytes. @allow_nul: queries may use 0x00 as a separator;
 * hit records may not (their area ends at the first NUL). A text item is
 * everything up to the next 0x1C (or 0x00 when allowed). */
ShoalExtensions *shoal_extensions_parse (const guint8 *data,
                                         gsize         length,
                                         gboolean      allow_nul,
                                         GError      **error);
gboolean         shoal_extensions_write (const ShoalExtensions *extensions,
                                         GByteArray            *out,
                                         GError               **error);

/* Builders: appended items get separator 0x1C before the next item. */
void             shoal_extensions_add_text (ShoalExtensions *extensions,
                                            const char      *text);
/* Takes ownership of @ggep. */
void             shoal_extensions_add_ggep (ShoalExtensions *extensions,
                                            ShoalGgep       *ggep);

/* Convenience lookups over all items. */
/* The first GGEP extension @id in any block, or NULL. */
const ShoalGgepExtension *shoal_extensions_find_ggep (const ShoalExtensions *extensions,
                                                      const char            *id);
/* Every SHA-1 the area names — "urn:sha1:" text items and GGEP "H" of type
 * 0x01 or 0x02 — appended to @sha1s as 20-byte GBytes. */
void             shoal_extensions_collect_sha1 (const ShoalExtensions *extensions,
                                                GPtrArray             *sha1s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalExtensions, shoal_extensions_free)

G_END_DECLS
