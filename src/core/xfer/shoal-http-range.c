/* shoal-http-range.c — reading a Range header against a file's size. */
#include "shoal-http-range.h"

#include <string.h>

#define BYTES_UNIT "bytes"

/* One element of the byte-range-set, as written. */
typedef struct
{
  gboolean suffix;      /* "-n": the last @last bytes */
  gboolean open_ended;  /* "a-": from @first to the end */
  guint64  first;
  guint64  last;        /* for a suffix, its length */
} RangeSpec;

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* 1*DIGIT, saturating at G_MAXUINT64: a number that large is past the
 * end of any file, which is all that matters about it. */
static gboolean
read_number (const char **p,
             guint64     *value)
{
  const char *q = *p;
  guint64 n = 0;

  if (!g_ascii_isdigit (*q))
    return FALSE;
  for (; g_ascii_isdigit (*q); q++)
    {
      guint digit = (guint) (*q - '0');

      if (n > (G_MAXUINT64 - digit) / 10)
        n = G_MAXUINT64;
      else
        n = n * 10 + digit;
    }
  *value = n;
  *p = q;
  return TRUE;
}

/* byte-range-spec ("a-b", "a-") or suffix-byte-range-spec ("-n"). */
static gboolean
read_spec (const char **p,
           RangeSpec   *spec)
{
  const char *q = skip_spaces (*p);

  memset (spec, 0, sizeof *spec);
  if (*q == '-')
    {
      spec->suffix = TRUE;
      q = skip_spaces (q + 1);
      if (!read_number (&q, &spec->last))
        return FALSE;
    }
  else
    {
      if (!read_number (&q, &spec->first))
        return FALSE;
      q = skip_spaces (q);
      if (*q != '-')
        return FALSE;
      q = skip_spaces (q + 1);
      if (g_ascii_isdigit (*q))
        {
          if (!read_number (&q, &spec->last) || spec->last < spec->first)
            return FALSE;
        }
      else
        spec->open_ended = TRUE;
    }
  *p = skip_spaces (q);
  return TRUE;
}

/* The bytes of @spec that exist in a file of @size; FALSE if none. */
static gboolean
clip_spec (const RangeSpec *spec,
           guint64          size,
           ShoalHttpRange  *range)
{
  if (spec->suffix)
    {
      if (spec->last == 0 || size == 0)
        return FALSE;
      range->first = size - MIN (spec->last, size);
      range->last = size - 1;
      return TRUE;
    }
  if (spec->first >= size)
    return FALSE;
  range->first = spec->first;
  range->last = spec->open_ended ? size - 1 : MIN (spec->last, size - 1);
  return TRUE;
}

/* After "bytes=": 1#spec, empty list elements allowed (RFC 7230 §7).
 * Every spec must be well formed even after the one chosen, or the header
 * as a whole is ignored. */
static ShoalHttpRangeOutcome
read_range_set (const char     *p,
                guint64         size,
                ShoalHttpRange *range)
{
  gboolean any_spec = FALSE;
  gboolean chosen = FALSE;
  gboolean empty_suffix = FALSE;

  for (;;)
    {
      RangeSpec spec;
      ShoalHttpRange clipped;

      p = skip_spaces (p);
      if (*p == ',')
        {
          p++;
          continue;
        }
      if (*p == '\0')
        break;
      if (!read_spec (&p, &spec))
        return SHOAL_HTTP_RANGE_WHOLE;
      if (*p != ',' && *p != '\0')
        return SHOAL_HTTP_RANGE_WHOLE;
      any_spec = TRUE;
      if (spec.suffix && spec.last > 0 && size == 0)
        empty_suffix = TRUE;
      if (!chosen && clip_spec (&spec, size, &clipped))
        {
          *range = clipped;
          chosen = TRUE;
        }
    }
  if (!any_spec)
    return SHOAL_HTTP_RANGE_WHOLE;
  if (chosen)
    return SHOAL_HTTP_RANGE_PARTIAL;
  return empty_suffix ? SHOAL_HTTP_RANGE_WHOLE : SHOAL_HTTP_RANGE_UNSATISFIABLE;
}

ShoalHttpRangeOutcome
shoal_http_range_parse (const char     *value,
                        guint64         size,
                        ShoalHttpRange *range)
{
  const char *p;

  g_return_val_if_fail (range != NULL, SHOAL_HTTP_RANGE_WHOLE);
  if (value == NULL)
    return SHOAL_HTTP_RANGE_WHOLE;
  p = skip_spaces (value);
  if (g_ascii_strncasecmp (p, BYTES_UNIT, strlen (BYTES_UNIT)) != 0)
    return SHOAL_HTTP_RANGE_WHOLE;
  p = skip_spaces (p + strlen (BYTES_UNIT));
  if (*p != '=')
    return SHOAL_HTTP_RANGE_WHOLE;
  return read_range_set (p + 1, size, range);
}

guint64
shoal_http_range_length (const ShoalHttpRange *range)
{
  g_return_val_if_fail (range != NULL && range->first <= range->last, 0);
  return range->last - range->first + 1;
}

char *
shoal_http_range_format (const ShoalHttpRange *range,
                         guint64               size,
                         char                  buffer[SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX])
{
  g_snprintf (buffer, SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX,
              BYTES_UNIT " %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
              range->first, range->last, size);
  return buffer;
}

char *
shoal_http_range_format_unsatisfied (guint64 size,
                                     char    buffer[SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX])
{
  g_snprintf (buffer, SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX,
              BYTES_UNIT " */%" G_GUINT64_FORMAT, size);
  return buffer;
}
