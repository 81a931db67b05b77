/* shoalctl-table.c — rows of plain text in aligned columns, for shoalctl. */
#include "shoalctl-table.h"

#include <string.h>

#define COLUMN_GAP "  "
#define ELLIPSIS "…"
#define ELLIPSIS_WIDTH 1
#define UNPRINTABLE '?'
/* Terminal columns a character takes at most. */
#define WIDE_CHAR_WIDTH 2

struct _ShoalctlTable
{
  guint          n_columns;
  GPtrArray     *cells;      /* of char *: the headers, then row by row */
  ShoalctlAlign *align;      /* per column */
  guint         *max_width;  /* per column; 0: no limit */
};

static guint
char_width (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? WIDE_CHAR_WIDTH : 1;
}

static guint
text_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += char_width (g_utf8_get_char (p));
  return width;
}

/* C0, DEL and C1 controls: ESC and CSI start terminal commands, and a
 * file name or user agent from a peer must not get to send those. */
static gboolean
is_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

char *
shoalctl_printable (const char *text)
{
  g_autofree char *valid = NULL;
  GString *printable;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, -1);
  printable = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_control (c))
        g_string_append_c (printable, UNPRINTABLE);
      else
        g_string_append_unichar (printable, c);
    }
  return g_string_free (printable, FALSE);
}

/* @text (printable) cut to @width columns at most. */
static char *
cut (const char *text,
     guint       width)
{
  GString *kept;
  guint used = 0;

  if (text_width (text) <= width)
    return g_strdup (text);
  kept = g_string_new (NULL);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (used + char_width (c) + ELLIPSIS_WIDTH > width)
        break;
      g_string_append_unichar (kept, c);
      used += char_width (c);
    }
  if (width >= ELLIPSIS_WIDTH)
    g_string_append (kept, ELLIPSIS);
  return g_string_free (kept, FALSE);
}

static void
append_padded (GString       *out,
               const char    *text,
               guint          width,
               ShoalctlAlign  align)
{
  guint padding = width - MIN (width, text_width (text));

  if (align == SHOALCTL_ALIGN_RIGHT)
    g_string_append_printf (out, "%*s", (int) padding, "");
  g_string_append (out, text);
  if (align == SHOALCTL_ALIGN_LEFT)
    g_string_append_printf (out, "%*s", (int) padding, "");
}

char *
shoalctl_fit (const char    *text,
              guint          width,
              ShoalctlAlign  align)
{
  g_autofree char *printable = shoalctl_printable (text);
  g_autofree char *kept = cut (printable, width);
  GString *out = g_string_new (NULL);

  append_padded (out, kept, width, align);
  return g_string_free (out, FALSE);
}

ShoalctlTable *
shoalctl_table_new (const char *first_header,
                    ...)
{
  ShoalctlTable *table;
  va_list headers;

  g_return_val_if_fail (first_header != NULL, NULL);
  table = g_new0 (ShoalctlTable, 1);
  table->cells = g_ptr_array_new_with_free_func (g_free);
  va_start (headers, first_header);
  for (const char *header = first_header; header != NULL; header = va_arg (headers, const char *))
    g_ptr_array_add (table->cells, g_strdup (header));
  va_end (headers);
  table->n_columns = table->cells->len;
  table->align = g_new0 (ShoalctlAlign, table->n_columns);
  table->max_width = g_new0 (guint, table->n_columns);
  return table;
}

void
shoalctl_table_free (ShoalctlTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->cells);
  g_free (table->align);
  g_free (table->max_width);
  g_free (table);
}

void
shoalctl_table_set_align (ShoalctlTable *table,
                          guint          column,
                          ShoalctlAlign  align)
{
  g_return_if_fail (column < table->n_columns);
  table->align[column] = align;
}

void
shoalctl_table_set_max_width (ShoalctlTable *table,
                              guint          column,
                              guint          max_width)
{
  g_return_if_fail (column < table->n_columns);
  table->max_width[column] = max_width;
}

void
shoalctl_table_add (ShoalctlTable *table,
                    const char    *text)
{
  g_ptr_array_add (table->cells, shoalctl_printable (text));
}

void
shoalctl_table_add_printf (ShoalctlTable *table,
                           const char    *format,
                           ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  shoalctl_table_add (table, text);
}

guint
shoalctl_table_get_n_rows (ShoalctlTable *table)
{
  /* A row being filled counts: its cells are printed. */
  return (table->cells->len + table->n_columns - 1) / table->n_columns - 1;
}

/* The cell at @index as printed in its column: cut to the column's limit. */
static char *
shown_cell (ShoalctlTable *table,
            guint          index)
{
  guint column = index % table->n_columns;
  const char *text = index < table->cells->len ? g_ptr_array_index (table->cells, index) : "";

  if (table->max_width[column] == 0)
    return g_strdup (text);
  return cut (text, table->max_width[column]);
}

static guint *
measure_columns (ShoalctlTable *table,
                 guint          n_cells)
{
  guint *widths = g_new0 (guint, table->n_columns);

  for (guint i = 0; i < n_cells; i++)
    {
      g_autofree char *cell = shown_cell (table, i);
      guint column = i % table->n_columns;

      widths[column] = MAX (widths[column], text_width (cell));
    }
  return widths;
}

/* Ends a line without the blanks an empty cell leaves. */
static void
end_line (GString *out)
{
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  g_string_append_c (out, '\n');
}

char *
shoalctl_table_to_string (ShoalctlTable *table)
{
  guint n_cells = (shoalctl_table_get_n_rows (table) + 1) * table->n_columns;
  g_autofree guint *widths = measure_columns (table, n_cells);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n_cells; i++)
    {
      g_autofree char *cell = shown_cell (table, i);
      guint column = i % table->n_columns;
      gboolean last = column == table->n_columns - 1;

      if (column > 0)
        g_string_append (out, COLUMN_GAP);
      /* The last column is not padded: lines end without blanks. */
      append_padded (out, cell, last && table->align[column] == SHOALCTL_ALIGN_LEFT ? 0 : widths[column],
                     table->align[column]);
      if (last)
        end_line (out);
    }
  return g_string_free (out, FALSE);
}
