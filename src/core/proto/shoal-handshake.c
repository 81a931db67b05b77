/* shoal-handshake.c — header blocks: the Gnutella 0.6 handshake and HTTP/1.x
 * request and response heads. */
#include "shoal-handshake.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

#define GNUTELLA_CONNECT_PREFIX "GNUTELLA CONNECT/"
#define GNUTELLA_STATUS_PROTOCOL "GNUTELLA"
#define HTTP_PROTOCOL "HTTP"
#define STATUS_CODE_DIGITS 3
#define STATUS_CODE_MAX 999
#define ASCII_DEL 0x7f

static gboolean
is_blank (guint8 c)
{
  return c == ' ' || c == '\t';
}

/* RFC 9110 tchar: what a method or a header name may hold. */
static gboolean
is_token_char (guint8 c)
{
  return g_ascii_isalnum (c) ||
         (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Control characters end or split lines on a careless reader; HTAB is the
 * one that belongs in headers (folding, values). */
static gboolean
is_control_char (guint8 c)
{
  return (c < 0x20 && c != '\t') || c == ASCII_DEL;
}

static gboolean
is_token (const guint8 *text,
          gsize         length)
{
  ShoalByteReader reader;
  guint8 c;

  shoal_byte_reader_init (&reader, text, length);
  while (shoal_byte_reader_read_u8 (&reader, &c))
    if (!is_token_char (c))
      return FALSE;
  return length > 0;
}

static gboolean
is_token_string (const char *text)
{
  return is_token ((const guint8 *) text, strlen (text));
}

static gboolean
has_control_char (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (is_control_char ((guint8) *p))
      return TRUE;
  return FALSE;
}

/* Something a request target can be: no blank, no control character. */
static gboolean
is_visible_string (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (is_blank ((guint8) *p) || is_control_char ((guint8) *p))
      return FALSE;
  return *text != '\0';
}

static void
trim_blanks (const guint8 **text,
             gsize         *length)
{
  while (*length > 0 && is_blank (**text))
    {
      (*text)++;
      (*length)--;
    }
  while (*length > 0 && is_blank ((*text)[*length - 1]))
    (*length)--;
}

static char *
dup_trimmed (const guint8 *text,
             gsize         length)
{
  trim_blanks (&text, &length);
  return g_strndup ((const char *) text, length);
}

/* Moves past @literal when the reader is at it. */
static gboolean
skip_literal (ShoalByteReader *reader,
              const char      *literal)
{
  gsize length = strlen (literal);

  if (shoal_byte_reader_remaining (reader) < length ||
      memcmp (shoal_byte_reader_current (reader), literal, length) != 0)
    return FALSE;
  return shoal_byte_reader_skip (reader, length);
}

/* The rest of the reader's bytes, consumed. */
static void
read_rest (ShoalByteReader *reader,
           const guint8   **bytes,
           gsize           *length)
{
  *length = shoal_byte_reader_remaining (reader);
  shoal_byte_reader_read_bytes (reader, *length, bytes);
}

/* One line without its LF and the CR before it, if any. */
static gboolean
read_line (ShoalByteReader *reader,
           const guint8   **line,
           gsize           *length)
{
  if (!shoal_byte_reader_read_until (reader, '\n', line, length))
    return FALSE;
  if (*length > 0 && (*line)[*length - 1] == '\r')
    (*length)--;
  return TRUE;
}

/* Finding the end ------------------------------------------------------- */

static ShoalHeaderScan
scan_error (GError    **error,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static ShoalHeaderScan
scan_error (GError    **error,
            const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (SHOAL_PROTO_ERROR,
                                                SHOAL_PROTO_ERROR_TOO_LARGE,
                                                format, args));
  va_end (args);
  return SHOAL_HEADER_SCAN_ERROR;
}

ShoalHeaderScan
shoal_header_block_find_end (const guint8 *data,
                             gsize         length,
                             gsize        *end,
                             GError      **error)
{
  ShoalByteReader reader;
  const guint8 *line;
  gsize line_length;
  gsize line_start = 0;
  guint n_lines = 0;

  g_return_val_if_fail (data != NULL || length == 0, SHOAL_HEADER_SCAN_ERROR);
  g_return_val_if_fail (end != NULL, SHOAL_HEADER_SCAN_ERROR);

  *end = 0;
  /* Also keeps a NULL @data away from memchr(). */
  if (length == 0)
    return SHOAL_HEADER_SCAN_NEED_MORE;
  /* A block within the limit ends inside this window: never look further. */
  shoal_byte_reader_init (&reader, data,
                          MIN (length, SHOAL_HEADER_MAX_BLOCK_SIZE));
  while (read_line (&reader, &line, &line_length))
    {
      gsize with_end = reader.offset - line_start;

      if (with_end > SHOAL_HEADER_MAX_LINE_LENGTH)
        return scan_error (error, "header line %u is %" G_GSIZE_FORMAT
                           " bytes with its line end, limit %d", n_lines + 1,
                           with_end, SHOAL_HEADER_MAX_LINE_LENGTH);
      if (line_length == 0)
        {
          *end = reader.offset;
          return SHOAL_HEADER_SCAN_COMPLETE;
        }
      if (++n_lines > SHOAL_HEADER_MAX_LINES)
        return scan_error (error, "header block has more than %d lines",
                           SHOAL_HEADER_MAX_LINES);
      line_start = reader.offset;
    }
  if (length >= SHOAL_HEADER_MAX_BLOCK_SIZE)
    return scan_error (error, "header block has no blank line in its first "
                       "%d bytes", SHOAL_HEADER_MAX_BLOCK_SIZE);
  if (shoal_byte_reader_remaining (&reader) >= SHOAL_HEADER_MAX_LINE_LENGTH)
    return scan_error (error, "header line %u is already %" G_GSIZE_FORMAT
                       " bytes without its line end, limit %d", n_lines + 1,
                       shoal_byte_reader_remaining (&reader),
                       SHOAL_HEADER_MAX_LINE_LENGTH);
  return SHOAL_HEADER_SCAN_NEED_MORE;
}

/* Building -------------------------------------------------------------- */

static void
field_free (gpointer data)
{
  ShoalHeaderField *field = data;

  g_free (field->name);
  g_free (field->value);
  g_free (field);
}

static guint
ascii_case_hash (gconstpointer key)
{
  guint hash = 5381;

  for (const char *p = key; *p != '\0'; p++)
    hash = hash * 33 + (guint) g_ascii_tolower (*p);
  return hash;
}

static gboolean
ascii_case_equal (gconstpointer a,
                  gconstpointer b)
{
  return g_ascii_strcasecmp (a, b) == 0;
}

static ShoalHeaderBlock *
block_new (ShoalHeaderBlockKind kind,
           guint16              major,
           guint16              minor)
{
  ShoalHeaderBlock *block = g_new0 (ShoalHeaderBlock, 1);

  block->kind = kind;
  block->version.major = major;
  block->version.minor = minor;
  block->fields = g_ptr_array_new_with_free_func (field_free);
  block->joined = g_hash_table_new_full (ascii_case_hash, ascii_case_equal,
                                         g_free, g_free);
  return block;
}

ShoalHeaderBlock *
shoal_header_block_new_gnutella_connect (guint16 major,
                                         guint16 minor)
{
  return block_new (SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT, major, minor);
}

static ShoalHeaderBlock *
status_block_new (ShoalHeaderBlockKind kind,
                  guint16              major,
                  guint16              minor,
                  guint16              code,
                  const char          *reason)
{
  ShoalHeaderBlock *block = block_new (kind, major, minor);

  block->status_code = code;
  block->reason = g_strdup (reason);
  return block;
}

ShoalHeaderBlock *
shoal_header_block_new_gnutella_status (guint16     major,
                                        guint16     minor,
                                        guint16     code,
                                        const char *reason)
{
  g_return_val_if_fail (code >= 100 && code <= STATUS_CODE_MAX, NULL);
  g_return_val_if_fail (reason != NULL, NULL);

  return status_block_new (SHOAL_HEADER_BLOCK_GNUTELLA_STATUS, major, minor,
                           code, reason);
}

ShoalHeaderBlock *
shoal_header_block_new_http_request (const char *method,
                                     const char *target,
                                     guint16     major,
                                     guint16     minor)
{
  ShoalHeaderBlock *block;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (target != NULL, NULL);

  block = block_new (SHOAL_HEADER_BLOCK_HTTP_REQUEST, major, minor);
  block->method = g_strdup (method);
  block->target = g_strdup (target);
  return block;
}

ShoalHeaderBlock *
shoal_header_block_new_http_status (guint16     major,
                                    guint16     minor,
                                    guint16     code,
                                    const char *reason)
{
  g_return_val_if_fail (code >= 100 && code <= STATUS_CODE_MAX, NULL);
  g_return_val_if_fail (reason != NULL, NULL);

  return status_block_new (SHOAL_HEADER_BLOCK_HTTP_STATUS, major, minor,
                           code, reason);
}

void
shoal_header_block_free (ShoalHeaderBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->reason);
  g_free (block->method);
  g_free (block->target);
  g_ptr_array_unref (block->fields);
  g_hash_table_unref (block->joined);
  g_free (block);
}

void
shoal_header_block_add (ShoalHeaderBlock *block,
                        const char       *name,
                        const char       *value)
{
  ShoalHeaderField *field;
  const char *previous;

  g_return_if_fail (block != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  field = g_new (ShoalHeaderField, 1);
  field->name = g_strdup (name);
  field->value = dup_trimmed ((const guint8 *) value, strlen (value));
  g_ptr_array_add (block->fields, field);

  /* RFC 9110 §5.3: a repeated field reads as its values comma-joined. */
  previous = g_hash_table_lookup (block->joined, name);
  g_hash_table_replace (block->joined, g_strdup (name),
                        previous != NULL
                        ? g_strconcat (previous, ", ", field->value, NULL)
                        : g_strdup (field->value));
}

const char *
shoal_header_block_get (const ShoalHeaderBlock *block,
                        const char             *name)
{
  g_return_val_if_fail (block != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (block->joined, name);
}

/* Parsing --------------------------------------------------------------- */

static gboolean
malformed (GError    **error,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
malformed (GError    **error,
           const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (SHOAL_PROTO_ERROR,
                                                SHOAL_PROTO_ERROR_MALFORMED,
                                                format, args));
  va_end (args);
  return FALSE;
}

static gboolean
check_line_characters (const guint8 *line,
                       gsize         length,
                       guint         line_number,
                       GError      **error)
{
  ShoalByteReader reader;
  guint8 c;

  shoal_byte_reader_init (&reader, line, length);
  while (shoal_byte_reader_read_u8 (&reader, &c))
    if (is_control_char (c))
      return malformed (error, "header line %u has control character 0x%02x "
                        "at byte %" G_GSIZE_FORMAT, line_number, c,
                        reader.offset);
  return TRUE;
}

/* Decimal digits only, at most G_MAXUINT16: a version number. */
static gboolean
parse_version_number (const guint8 *text,
                      gsize         length,
                      guint16      *number,
                      GError      **error)
{
  ShoalByteReader reader;
  guint32 value = 0;
  guint8 c;

  if (length == 0)
    return malformed (error, "version number is empty");
  shoal_byte_reader_init (&reader, text, length);
  while (shoal_byte_reader_read_u8 (&reader, &c))
    {
      if (!g_ascii_isdigit (c))
        return malformed (error, "version number has a non-digit character");
      value = value * 10 + (guint32) (c - '0');
      if (value > G_MAXUINT16)
        return malformed (error, "version number exceeds %u", G_MAXUINT16);
    }
  *number = (guint16) value;
  return TRUE;
}

static gboolean
parse_version (const guint8         *text,
               gsize                 length,
               ShoalProtocolVersion *version,
               GError              **error)
{
  ShoalByteReader reader;
  const guint8 *major, *minor;
  gsize major_length, minor_length;

  shoal_byte_reader_init (&reader, text, length);
  if (!shoal_byte_reader_read_until (&reader, '.', &major, &major_length))
    return malformed (error, "version has no '.' between major and minor");
  read_rest (&reader, &minor, &minor_length);
  return parse_version_number (major, major_length, &version->major, error) &&
         parse_version_number (minor, minor_length, &version->minor, error);
}

/* "x.y SP ddd [SP reason]" after "GNUTELLA/" or "HTTP/". */
static gboolean
parse_status_line (ShoalByteReader  *reader,
                   ShoalHeaderBlock *block,
                   GError          **error)
{
  const guint8 *version, *reason;
  gsize version_length, reason_length;
  guint code = 0;
  guint8 c;

  if (!shoal_byte_reader_read_until (reader, ' ', &version, &version_length))
    return malformed (error, "status line has no space after its version");
  if (!parse_version (version, version_length, &block->version, error))
    return FALSE;
  for (guint i = 0; i < STATUS_CODE_DIGITS; i++)
    {
      if (!shoal_byte_reader_read_u8 (reader, &c) || !g_ascii_isdigit (c))
        return malformed (error, "status code is not %d digits",
                          STATUS_CODE_DIGITS);
      code = code * 10 + (guint) (c - '0');
    }
  if (shoal_byte_reader_read_u8 (reader, &c) && c != ' ')
    return malformed (error, "status code is not %d digits followed by a "
                      "space or the line end", STATUS_CODE_DIGITS);
  block->status_code = (guint16) code;
  read_rest (reader, &reason, &reason_length);
  block->reason = g_strndup ((const char *) reason, reason_length);
  return TRUE;
}

/* "METHOD SP target SP HTTP/x.y"; anything of another shape is no first
 * line we know. */
static gboolean
parse_request_line (ShoalByteReader  *reader,
                    ShoalHeaderBlock *block,
                    GError          **error)
{
  const guint8 *method, *target, *version;
  gsize method_length, target_length, version_length;

  if (!shoal_byte_reader_read_until (reader, ' ', &method, &method_length) ||
      !is_token (method, method_length) ||
      !shoal_byte_reader_read_until (reader, ' ', &target, &target_length) ||
      !skip_literal (reader, HTTP_PROTOCOL "/"))
    return malformed (error, "neither a Gnutella connect request, a Gnutella "
                      "status line, an HTTP request nor an HTTP status line");
  if (target_length == 0)
    return malformed (error, "HTTP request target is empty");
  read_rest (reader, &version, &version_length);
  if (!parse_version (version, version_length, &block->version, error))
    return FALSE;
  block->method = g_strndup ((const char *) method, method_length);
  block->target = g_strndup ((const char *) target, target_length);
  return TRUE;
}

static gboolean
parse_first_line_kind (ShoalByteReader  *reader,
                       ShoalHeaderBlock *block,
                       GError          **error)
{
  const guint8 *version;
  gsize version_length;

  if (skip_literal (reader, GNUTELLA_CONNECT_PREFIX))
    {
      block->kind = SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT;
      read_rest (reader, &version, &version_length);
      return parse_version (version, version_length, &block->version, error);
    }
  if (skip_literal (reader, GNUTELLA_STATUS_PROTOCOL "/"))
    {
      block->kind = SHOAL_HEADER_BLOCK_GNUTELLA_STATUS;
      return parse_status_line (reader, block, error);
    }
  if (skip_literal (reader, HTTP_PROTOCOL "/"))
    {
      block->kind = SHOAL_HEADER_BLOCK_HTTP_STATUS;
      return parse_status_line (reader, block, error);
    }
  block->kind = SHOAL_HEADER_BLOCK_HTTP_REQUEST;
  return parse_request_line (reader, block, error);
}

static gboolean
parse_first_line (ShoalHeaderBlock *block,
                  const guint8     *line,
                  gsize             length,
                  GError          **error)
{
  ShoalByteReader reader;

  if (length == 0)
    return malformed (error, "header block is empty: its first line is "
                      "blank");
  if (!check_line_characters (line, length, 1, error))
    return FALSE;
  shoal_byte_reader_init (&reader, line, length);
  if (!parse_first_line_kind (&reader, block, error))
    {
      g_prefix_error (error, "first line: ");
      return FALSE;
    }
  return TRUE;
}

/* "Name: value" → name (a token, exactly as received), trimmed value. */
static gboolean
split_header_line (const guint8 *line,
                   gsize         length,
                   guint         line_number,
                   char        **name,
                   GString      *value,
                   GError      **error)
{
  ShoalByteReader reader;
  const guint8 *name_bytes, *value_bytes;
  gsize name_length, value_length;

  shoal_byte_reader_init (&reader, line, length);
  if (!shoal_byte_reader_read_until (&reader, ':', &name_bytes, &name_length))
    return malformed (error, "header line %u has no colon", line_number);
  if (name_length == 0)
    return malformed (error, "header line %u has an empty name", line_number);
  /* RFC 9112 §5.1 forbids even a blank before the colon. */
  if (!is_token (name_bytes, name_length))
    return malformed (error, "header line %u has a name with a character "
                      "other than letters, digits and !#$%%&'*+-.^_`|~",
                      line_number);
  read_rest (&reader, &value_bytes, &value_length);
  trim_blanks (&value_bytes, &value_length);
  *name = g_strndup ((const char *) name_bytes, name_length);
  g_string_truncate (value, 0);
  g_string_append_len (value, (const char *) value_bytes, value_length);
  return TRUE;
}

/* A folded line adds its text after one SP; a blank-only one adds nothing,
 * as in gtk-gnutella's header_append(). */
static void
append_continuation (GString      *value,
                     const guint8 *line,
                     gsize         length)
{
  trim_blanks (&line, &length);
  if (length == 0)
    return;
  if (value->len > 0)
    g_string_append_c (value, ' ');
  g_string_append_len (value, (const char *) line, length);
}

/* The header lines after the first one, up to the blank line. A header is
 * added once its continuation lines, if any, have been read. */
static gboolean
parse_fields (ShoalHeaderBlock *block,
              ShoalByteReader  *reader,
              GError          **error)
{
  g_autofree char *name = NULL;
  g_autoptr(GString) value = g_string_new (NULL);
  const guint8 *line;
  gsize length;
  guint line_number = 1;

  while (read_line (reader, &line, &length) && length > 0)
    {
      line_number++;
      if (!check_line_characters (line, length, line_number, error))
        return FALSE;
      if (is_blank (line[0]))
        {
          if (name == NULL)
            return malformed (error, "header line %u is a continuation line "
                              "but no header comes before it", line_number);
          append_continuation (value, line, length);
          continue;
        }
      if (name != NULL)
        shoal_header_block_add (block, name, value->str);
      g_clear_pointer (&name, g_free);
      if (!split_header_line (line, length, line_number, &name, value, error))
        return FALSE;
    }
  if (name != NULL)
    shoal_header_block_add (block, name, value->str);
  return TRUE;
}

/* The input must be one whole block, no more. */
static gboolean
check_block_extent (const guint8 *data,
                    gsize         length,
                    GError      **error)
{
  gsize end;

  switch (shoal_header_block_find_end (data, length, &end, error))
    {
    case SHOAL_HEADER_SCAN_NEED_MORE:
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TRUNCATED,
                   "header block of %" G_GSIZE_FORMAT " bytes has no blank "
                   "line ending it", length);
      return FALSE;
    case SHOAL_HEADER_SCAN_ERROR:
      return FALSE;
    case SHOAL_HEADER_SCAN_COMPLETE:
      break;
    }
  if (end != length)
    return malformed (error, "header block ends after %" G_GSIZE_FORMAT
                      " bytes but %" G_GSIZE_FORMAT " were given", end,
                      length);
  return TRUE;
}

ShoalHeaderBlock *
shoal_header_block_parse (const guint8 *data,
                          gsize         length,
                          GError      **error)
{
  g_autoptr(ShoalHeaderBlock) block = NULL;
  ShoalByteReader reader;
  const guint8 *line;
  gsize line_length;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!check_block_extent (data, length, error))
    return NULL;
  shoal_byte_reader_init (&reader, data, length);
  read_line (&reader, &line, &line_length);
  /* The first line sets the real kind. */
  block = block_new (SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT, 0, 0);
  if (!parse_first_line (block, line, line_length, error) ||
      !parse_fields (block, &reader, error))
    return NULL;
  return g_steal_pointer (&block);
}

/* Writing --------------------------------------------------------------- */

static gboolean
check_first_line (const ShoalHeaderBlock *block,
                  GError                **error)
{
  switch (block->kind)
    {
    case SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT:
      return TRUE;
    case SHOAL_HEADER_BLOCK_HTTP_REQUEST:
      if (!is_token_string (block->method))
        return malformed (error, "HTTP method is empty or not a token");
      if (!is_visible_string (block->target))
        return malformed (error, "HTTP request target is empty or holds a "
                          "blank or control character");
      return TRUE;
    case SHOAL_HEADER_BLOCK_GNUTELLA_STATUS:
    case SHOAL_HEADER_BLOCK_HTTP_STATUS:
      if (block->status_code > STATUS_CODE_MAX)
        return malformed (error, "status code %u is not %d digits",
                          block->status_code, STATUS_CODE_DIGITS);
      if (has_control_char (block->reason))
        return malformed (error, "status reason holds a control character");
      return TRUE;
    }
  return malformed (error, "header block kind %d is unknown", block->kind);
}

static char *
format_status_line (const char             *protocol,
                    const ShoalHeaderBlock *block)
{
  return g_strdup_printf ("%s/%u.%u %03u%s%s", protocol,
                          (guint) block->version.major,
                          (guint) block->version.minor,
                          (guint) block->status_code,
                          *block->reason != '\0' ? " " : "", block->reason);
}

static char *
format_first_line (const ShoalHeaderBlock *block)
{
  guint major = block->version.major;
  guint minor = block->version.minor;

  switch (block->kind)
    {
    case SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT:
      return g_strdup_printf (GNUTELLA_CONNECT_PREFIX "%u.%u", major, minor);
    case SHOAL_HEADER_BLOCK_GNUTELLA_STATUS:
      return format_status_line (GNUTELLA_STATUS_PROTOCOL, block);
    case SHOAL_HEADER_BLOCK_HTTP_REQUEST:
      return g_strdup_printf ("%s %s " HTTP_PROTOCOL "/%u.%u", block->method,
                              block->target, major, minor);
    case SHOAL_HEADER_BLOCK_HTTP_STATUS:
      return format_status_line (HTTP_PROTOCOL, block);
    }
  g_return_val_if_reached (NULL);
}

static gboolean
check_field (const ShoalHeaderField *field,
             guint                   line_number,
             GError                **error)
{
  if (!is_token_string (field->name))
    return malformed (error, "header line %u: name is empty or not a token",
                      line_number);
  if (has_control_char (field->value))
    return malformed (error, "header line %u: value holds a control "
                      "character", line_number);
  return TRUE;
}

static gboolean
append_line (GByteArray *out,
             const char *text,
             guint       line_number,
             GError    **error)
{
  gsize length = strlen (text);

  if (length + 2 > SHOAL_HEADER_MAX_LINE_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "header line %u would be %" G_GSIZE_FORMAT " bytes with "
                   "its line end, limit %d", line_number, length + 2,
                   SHOAL_HEADER_MAX_LINE_LENGTH);
      return FALSE;
    }
  shoal_bytes_append (out, (const guint8 *) text, length);
  shoal_bytes_append (out, (const guint8 *) "\r\n", 2);
  return TRUE;
}

static gboolean
append_block (const ShoalHeaderBlock *block,
              GByteArray             *out,
              GError                **error)
{
  g_autofree char *first_line = NULL;
  guint start = out->len;
  guint n_lines = block->fields->len + 1;

  if (n_lines > SHOAL_HEADER_MAX_LINES)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "header block would have %u lines, limit %d", n_lines,
                   SHOAL_HEADER_MAX_LINES);
      return FALSE;
    }
  if (!check_first_line (block, error))
    return FALSE;
  first_line = format_first_line (block);
  if (!append_line (out, first_line, 1, error))
    return FALSE;
  for (guint i = 0; i < block->fields->len; i++)
    {
      const ShoalHeaderField *field = g_ptr_array_index (block->fields, i);
      g_autofree char *line = NULL;

      if (!check_field (field, i + 2, error))
        return FALSE;
      line = g_strconcat (field->name, ": ", field->value, NULL);
      if (!append_line (out, line, i + 2, error))
        return FALSE;
    }
  shoal_bytes_append (out, (const guint8 *) "\r\n", 2);
  if (out->len - start > SHOAL_HEADER_MAX_BLOCK_SIZE)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "header block would be %u bytes, limit %d",
                   out->len - start, SHOAL_HEADER_MAX_BLOCK_SIZE);
      return FALSE;
    }
  return TRUE;
}

gboolean
shoal_header_block_write (const ShoalHeaderBlock *block,
                          GByteArray             *out,
                          GError                **error)
{
  guint start;

  g_return_val_if_fail (block != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  start = out->len;
  if (!append_block (block, out, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  return TRUE;
}

/* Header values --------------------------------------------------------- */

gboolean
shoal_header_value_parse_boolean (const char *value,
                                  gboolean   *result,
                                  GError    **error)
{
  g_return_val_if_fail (value != NULL, FALSE);

  if (g_ascii_strcasecmp (value, "True") == 0)
    *result = TRUE;
  else if (g_ascii_strcasecmp (value, "False") == 0)
    *result = FALSE;
  else
    return malformed (error, "header value is neither True nor False");
  return TRUE;
}

gboolean
shoal_header_value_parse_version (const char           *value,
                                  ShoalProtocolVersion *version,
                                  GError              **error)
{
  ShoalProtocolVersion parsed;

  g_return_val_if_fail (value != NULL, FALSE);

  if (!parse_version ((const guint8 *) value, strlen (value), &parsed, error))
    return FALSE;
  *version = parsed;
  return TRUE;
}

/* "a.b.c.d:port", then maybe a blank and tokens we do not need. */
static gboolean
parse_endpoint_entry (const guint8      *entry,
                      gsize              length,
                      ShoalIpv4Endpoint *endpoint)
{
  ShoalByteReader reader;
  guint8 c;

  shoal_byte_reader_init (&reader, entry, length);
  while (shoal_byte_reader_peek_u8 (&reader, &c) && !is_blank (c))
    shoal_byte_reader_skip (&reader, 1);
  return shoal_ipv4_endpoint_parse ((const char *) entry, reader.offset,
                                    endpoint) &&
         endpoint->port != 0;
}

GArray *
shoal_header_value_parse_endpoints (const char *value,
                                    guint      *n_skipped)
{
  GArray *endpoints = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  ShoalByteReader reader;
  guint skipped = 0;

  g_return_val_if_fail (value != NULL, endpoints);

  shoal_byte_reader_init (&reader, (const guint8 *) value, strlen (value));
  while (shoal_byte_reader_remaining (&reader) > 0)
    {
      const guint8 *entry;
      gsize length;
      ShoalIpv4Endpoint endpoint;

      if (!shoal_byte_reader_read_until (&reader, ',', &entry, &length))
        read_rest (&reader, &entry, &length);
      trim_blanks (&entry, &length);
      if (length == 0)
        continue;
      if (parse_endpoint_entry (entry, length, &endpoint))
        g_array_append_val (endpoints, endpoint);
      else
        skipped++;
    }
  if (n_skipped != NULL)
    *n_skipped = skipped;
  return endpoints;
}
