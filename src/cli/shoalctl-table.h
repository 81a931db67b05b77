/* shoalctl-table.h — rows of plain text in aligned columns, and texts
 * from the network made safe to print on a terminal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SHOALCTL_ALIGN_LEFT,
  SHOALCTL_ALIGN_RIGHT,
} ShoalctlAlign;

typedef struct _ShoalctlTable ShoalctlTable;

/* The column headers, NULL-terminated; every column starts left-aligned
 * and as wide as its widest cell. */
ShoalctlTable *shoalctl_table_new           (const char    *first_header,
                                             ...) G_GNUC_NULL_TERMINATED;
void           shoalctl_table_free          (ShoalctlTable *table);

void           shoalctl_table_set_align     (ShoalctlTable *table,
                                             guint          column,
                                             ShoalctlAlign  align);
/* Longer cells are cut, ending in "…". */
void           shoalctl_table_set_max_width (ShoalctlTable *table,
                                             guint          column,
                                             guint          max_width);

/* Cells fill a row from left to right; after the last column the next
 * cell starts a new row. Texts are made printable (see below). */
void           shoalctl_table_add           (ShoalctlTable *table,
                                             const char    *text);
void           shoalctl_table_add_printf    (ShoalctlTable *table,
                                             const char    *format,
                                             ...) G_GNUC_PRINTF (2, 3);
guint          shoalctl_table_get_n_rows    (ShoalctlTable *table);

/* The headers and the rows, columns two spaces apart, no trailing blanks. */
char          *shoalctl_table_to_string     (ShoalctlTable *table);

/* @text with control characters (which could drive the terminal) shown
 * as "?"; NULL becomes "". */
char          *shoalctl_printable           (const char    *text);
/* @text printable, cut to @width columns (ending in "…") and padded to
 * exactly @width on the side @align says. */
char          *shoalctl_fit                 (const char    *text,
                                             guint          width,
                                             ShoalctlAlign  align);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalctlTable, shoalctl_table_free)

G_END_DECLS
