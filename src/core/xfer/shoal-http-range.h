/* shoal-http-range.h — the HTTP Range header of a download request, read
 * against the size of the file asked for (RFC 7233, protocol reference
 * §10.1). Pure: no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest Content-Range value we write, both numbers 64-bit. */
#define SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX 64

/**
 * ShoalHttpRangeOutcome:
 * @SHOAL_HTTP_RANGE_WHOLE: no Range header, or one we ignore as RFC 7233
 *   allows (another unit, bad syntax, a range whose end is before its
 *   start): answer 200 with the whole file
 * @SHOAL_HTTP_RANGE_PARTIAL: a satisfiable range: answer 206 with it
 * @SHOAL_HTTP_RANGE_UNSATISFIABLE: well formed, but no range overlaps the
 *   file: answer 416 with a Content-Range naming the size alone
 *   (`bytes *` followed by `/size`)
 *
 * Several ranges in one header are not served as multipart/byteranges:
 * the first satisfiable one, in the order given, is served alone, its
 * Content-Range saying exactly which bytes come. Gnutella downloaders
 * read Content-Range and ask again for what they still miss, as they do
 * with gtk-gnutella, which serves less than asked too.
 */
typedef enum
{
  SHOAL_HTTP_RANGE_WHOLE,
  SHOAL_HTTP_RANGE_PARTIAL,
  SHOAL_HTTP_RANGE_UNSATISFIABLE,
} ShoalHttpRangeOutcome;

/* Byte offsets, both inclusive: @first ≤ @last < file size. */
typedef struct
{
  guint64 first;
  guint64 last;
} ShoalHttpRange;

/* Reads the Range header @value (NULL when there is none) for a file of
 * @size bytes; on PARTIAL, @range holds the bytes to serve. Numbers too
 * big for 64 bits count as the largest one (far past any file). For an
 * empty file, a suffix range (`-n`, n > 0) is answered with the whole,
 * empty, file, as RFC 9110 §14.1.1 allows; any other range is
 * unsatisfiable. */
ShoalHttpRangeOutcome shoal_http_range_parse  (const char     *value,
                                               guint64         size,
                                               ShoalHttpRange *range);
guint64               shoal_http_range_length (const ShoalHttpRange *range);
/* "bytes first-last/size" into @buffer; returns @buffer. */
char                 *shoal_http_range_format (const ShoalHttpRange *range,
                                               guint64               size,
                                               char                  buffer[SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX]);
/* The Content-Range of a 416, `bytes *` followed by `/size`, into
 * @buffer; returns @buffer. */
char                 *shoal_http_range_format_unsatisfied (guint64 size,
                                                           char    buffer[SHOAL_HTTP_RANGE_CONTENT_RANGE_MAX]);

G_END_DECLS
