/* shoal-handshake.h — header blocks: the Gnutella 0.6 handshake and HTTP/1.x
 * request and response heads, found in a byte stream, parsed and written. */
#pragma once

#include <glib.h>

#include "shoal-ipv4.h"

G_BEGIN_DECLS

/* gtk-gnutella's HEAD_MAX_SIZE (src/lib/header.h). We count every byte of
 * the block: first line, line ends and the final blank line. */
#define SHOAL_HEADER_MAX_BLOCK_SIZE 16384
/* gtk-gnutella's HEAD_MAX_LINES (src/lib/header.h): header_append() refuses
 * the 128th header line and the first line is read apart, so 128 lines in
 * all, continuation lines included, the final blank line not. */
#define SHOAL_HEADER_MAX_LINES 128
/* gtk-gnutella's MAX_LINE_SIZE (src/lib/getline.h), counting the line with
 * its LF or CR LF. getline() also keeps a NUL in that buffer, so it accepts
 * lines one byte shorter than this; we read them as the doc states. */
#define SHOAL_HEADER_MAX_LINE_LENGTH 1024

typedef enum
{
  SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT,  /* GNUTELLA CONNECT/0.6 */
  SHOAL_HEADER_BLOCK_GNUTELLA_STATUS,   /* GNUTELLA/0.6 200 OK */
  SHOAL_HEADER_BLOCK_HTTP_REQUEST,      /* GET / HTTP/1.1 */
  SHOAL_HEADER_BLOCK_HTTP_STATUS,       /* HTTP/1.1 206 Partial Content */
} ShoalHeaderBlockKind;

/* "0.6", "1.1", X-Query-Routing "0.2". */
typedef struct
{
  guint16 major;
  guint16 minor;
} ShoalProtocolVersion;

typedef struct
{
  char *name;   /* as received: "X-Ultrapeer" */
  char *value;  /* blanks around it trimmed, folded lines joined by one SP */
} ShoalHeaderField;

/* One header block. Read the first-line fields and @fields directly; add
 * headers only through shoal_header_block_add(), which keeps lookups in
 * step with @fields. */
typedef struct
{
  ShoalHeaderBlockKind  kind;
  ShoalProtocolVersion  version;      /* of GNUTELLA/x.y or HTTP/x.y */
  guint16               status_code;  /* both status kinds; 0 otherwise */
  char                 *reason;       /* both status kinds, maybe ""; else NULL */
  char                 *method;       /* HTTP request; NULL otherwise */
  char                 *target;       /* HTTP request; NULL otherwise */
  GPtrArray            *fields;       /* of ShoalHeaderField*, wire order */
  GHashTable           *joined;       /* private: name → ", "-joined values */
} ShoalHeaderBlock;

typedef enum
{
  SHOAL_HEADER_SCAN_NEED_MORE,  /* no blank line yet and no limit broken */
  SHOAL_HEADER_SCAN_COMPLETE,   /* the block is the first *end bytes */
  SHOAL_HEADER_SCAN_ERROR,      /* a limit is broken: error is set */
} ShoalHeaderScan;

/* Looks for the blank line ending the block at the start of @data (lines
 * end with LF, optionally preceded by CR). On COMPLETE, *end is the offset
 * just past that blank line: bytes from there on belong to whatever follows
 * (binary messages, a zlib stream, a body). Breaking a limit gives
 * TOO_LARGE; a line or block that has outgrown its limit does so at once,
 * without waiting for its end. Empty @data needs more; a first line that
 * is blank is a complete, empty block that shoal_header_block_parse()
 * refuses (an ultrapeer's connect-back test sends just "\n\n"). */
ShoalHeaderScan   shoal_header_block_find_end   (const guint8 *data,
                                                 gsize         length,
                                                 gsize        *end,
                                                 GError      **error);
/* Parses exactly one block: @length must be the *end find_end() gave
 * (TRUNCATED when the blank line is missing, MALFORMED when bytes follow
 * it). Refuses, MALFORMED: a first line of none of the four kinds, version
 * or status numbers that are not digits, a header line without a colon or
 * with an empty or non-token name, a continuation line before any header,
 * and control characters (NUL included, HTAB excepted) in any line. */
ShoalHeaderBlock *shoal_header_block_parse      (const guint8 *data,
                                                 gsize         length,
                                                 GError      **error);

ShoalHeaderBlock *shoal_header_block_new_gnutella_connect (guint16     major,
                                                           guint16     minor);
/* @code is three digits (100–999); @reason may be "". */
ShoalHeaderBlock *shoal_header_block_new_gnutella_status  (guint16     major,
                                                           guint16     minor,
                                                           guint16     code,
                                                           const char *reason);
ShoalHeaderBlock *shoal_header_block_new_http_request     (const char *method,
                                                           const char *target,
                                                           guint16     major,
                                                           guint16     minor);
ShoalHeaderBlock *shoal_header_block_new_http_status      (guint16     major,
                                                           guint16     minor,
                                                           guint16     code,
                                                           const char *reason);
void              shoal_header_block_free       (ShoalHeaderBlock *block);

/* Appends a header after the others; blanks around @value are trimmed, as
 * the parser does. A repeated @name adds another line. */
void              shoal_header_block_add        (ShoalHeaderBlock *block,
                                                 const char       *name,
                                                 const char       *value);
/* The value of @name (any case), the values of a repeated header joined
 * with ", " in wire order, or NULL when absent. Valid until the next add. */
const char       *shoal_header_block_get        (const ShoalHeaderBlock *block,
                                                 const char             *name);

/* Appends the block with CRLF line ends and the final blank line; a header
 * that arrived folded is written on one line. Fails, leaving @out as it
 * was, when a name, method, target or reason could not be read back the
 * same (MALFORMED) or a line or the block breaks a limit (TOO_LARGE). */
gboolean          shoal_header_block_write      (const ShoalHeaderBlock *block,
                                                 GByteArray             *out,
                                                 GError                **error);

/* Header values, as shoal_header_block_get() returns them. */

/* "True" / "False" in any case (X-Ultrapeer, X-Ultrapeer-Needed). */
gboolean          shoal_header_value_parse_boolean  (const char *value,
                                                     gboolean   *result,
                                                     GError    **error);
/* "maj.min", digits only, each at most 65535 (X-Query-Routing: 0.2). */
gboolean          shoal_header_value_parse_version  (const char           *value,
                                                     ShoalProtocolVersion *version,
                                                     GError              **error);
/* Comma list of "a.b.c.d:port" entries (X-Try-Ultrapeers, X-Try). Anything
 * after a blank following the port (a timestamp) is ignored. Entries that
 * do not give an IPv4 address and a non-zero port (IPv6 "[…]:port" ones
 * among them) are skipped and counted in *n_skipped; empty ones are not
 * entries. Returns an array of ShoalIpv4Endpoint, maybe empty. */
GArray           *shoal_header_value_parse_endpoints (const char *value,
                                                      guint      *n_skipped);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalHeaderBlock, shoal_header_block_free)

G_END_DECLS
