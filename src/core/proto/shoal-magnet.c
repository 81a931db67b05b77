/* shoal-magnet.c — magnet URIs: a file by hash, size, name and sources. */
#include "shoal-magnet.h"

#include "shoal-bytes.h"
#include "shoal-proto-error.h"

#include <string.h>

#define MAGNET_PREFIX "magnet:?"
#define PAIR_SEPARATOR '&'
#define KEY_VALUE_SEPARATOR '='
#define ESCAPE_CHAR '%'
#define ESCAPED_SPACE '+'
#define KEY_INDEX_SEPARATOR '.'
/* RFC 3986 unreserved punctuation, plus ':' and '/', which a URI query may
 * hold as they are and which keep URNs and source URLs readable. */
#define KEPT_PUNCTUATION "-._~:/"

#define KEY_EXACT_TOPIC "xt"
#define KEY_DISPLAY_NAME "dn"
#define KEY_EXACT_LENGTH "xl"
#define KEY_EXACT_SOURCE "xs"
#define KEY_ACCEPTABLE_SOURCE "as"
#define KEY_KEYWORD_TOPIC "kt"

typedef enum
{
  MAGNET_KEY_OTHER,
  MAGNET_KEY_EXACT_TOPIC,
  MAGNET_KEY_DISPLAY_NAME,
  MAGNET_KEY_EXACT_LENGTH,
  MAGNET_KEY_EXACT_SOURCE,
  MAGNET_KEY_ACCEPTABLE_SOURCE,
  MAGNET_KEY_KEYWORD_TOPIC,
} MagnetKey;

static const struct
{
  const char *name;
  MagnetKey   key;
} known_keys[] = {
  { KEY_EXACT_TOPIC, MAGNET_KEY_EXACT_TOPIC },
  { KEY_DISPLAY_NAME, MAGNET_KEY_DISPLAY_NAME },
  { KEY_EXACT_LENGTH, MAGNET_KEY_EXACT_LENGTH },
  { KEY_EXACT_SOURCE, MAGNET_KEY_EXACT_SOURCE },
  { KEY_ACCEPTABLE_SOURCE, MAGNET_KEY_ACCEPTABLE_SOURCE },
  { KEY_KEYWORD_TOPIC, MAGNET_KEY_KEYWORD_TOPIC },
};

static void
param_free (gpointer data)
{
  ShoalMagnetParam *param = data;

  g_free (param->key);
  g_free (param->value);
  g_free (param);
}

ShoalMagnet *
shoal_magnet_new (void)
{
  ShoalMagnet *magnet = g_new0 (ShoalMagnet, 1);

  magnet->exact_topics = g_ptr_array_new_with_free_func (g_free);
  magnet->exact_sources = g_ptr_array_new_with_free_func (g_free);
  magnet->acceptable_sources = g_ptr_array_new_with_free_func (g_free);
  magnet->params = g_ptr_array_new_with_free_func (param_free);
  return magnet;
}

void
shoal_magnet_free (ShoalMagnet *magnet)
{
  if (magnet == NULL)
    return;
  g_ptr_array_unref (magnet->exact_topics);
  g_free (magnet->display_name);
  g_ptr_array_unref (magnet->exact_sources);
  g_ptr_array_unref (magnet->acceptable_sources);
  g_free (magnet->keyword_topic);
  g_ptr_array_unref (magnet->params);
  g_free (magnet);
}

static void
take_param (ShoalMagnet *magnet,
            char        *key,
            char        *value)
{
  ShoalMagnetParam *param = g_new (ShoalMagnetParam, 1);

  param->key = key;
  param->value = value;
  g_ptr_array_add (magnet->params, param);
}

void
shoal_magnet_add_param (ShoalMagnet *magnet,
                        const char  *key,
                        const char  *value)
{
  take_param (magnet, g_strdup (key), g_strdup (value));
}

const char *
shoal_magnet_get_param (const ShoalMagnet *magnet,
                        const char        *key)
{
  for (guint i = 0; i < magnet->params->len; i++)
    {
      const ShoalMagnetParam *param = g_ptr_array_index (magnet->params, i);

      if (g_ascii_strcasecmp (param->key, key) == 0)
        return param->value;
    }
  return NULL;
}

static gboolean
read_escape (ShoalByteReader *reader,
             guint8          *value)
{
  const guint8 *hex;
  int high, low;

  if (!shoal_byte_reader_read_bytes (reader, 2, &hex))
    return FALSE;
  high = g_ascii_xdigit_value (hex[0]);
  low = g_ascii_xdigit_value (hex[1]);
  if (high < 0 || low < 0)
    return FALSE;
  *value = (guint8) (high << 4 | low);
  return TRUE;
}

/* Percent-decodes a key or value (@what, for errors). A NUL is refused
 * because every field is a C string: accepting one would silently cut it. */
static char *
decode_component (const guint8 *data,
                  gsize         length,
                  const char   *what,
                  GError      **error)
{
  g_autoptr(GString) text = g_string_sized_new (length);
  ShoalByteReader reader;
  guint8 c;

  shoal_byte_reader_init (&reader, data, length);
  while (shoal_byte_reader_read_u8 (&reader, &c))
    {
      gsize position = reader.offset - 1;

      if (c == ESCAPED_SPACE)
        c = ' ';
      else if (c == ESCAPE_CHAR && !read_escape (&reader, &c))
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       "%s has a bad percent escape at byte %" G_GSIZE_FORMAT
                       " (needs %%XX with two hex digits)", what, position);
          return NULL;
        }
      if (c == '\0')
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       "%s has a NUL byte at byte %" G_GSIZE_FORMAT,
                       what, position);
          return NULL;
        }
      g_string_append_c (text, (char) c);
    }
  if (!g_utf8_validate (text->str, (gssize) text->len, NULL))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "%s is not valid UTF-8 once percent-decoded", what);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* "" or "." and digits: magnets listing several files number their keys
 * "xt.1", "dn.1", "xt.2", … */
static gboolean
is_index_suffix (const char *suffix)
{
  if (*suffix == '\0')
    return TRUE;
  if (*suffix != KEY_INDEX_SEPARATOR || suffix[1] == '\0')
    return FALSE;
  return strspn (suffix + 1, "0123456789") == strlen (suffix + 1);
}

static MagnetKey
classify_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      gsize length = strlen (known_keys[i].name);

      if (g_ascii_strncasecmp (key, known_keys[i].name, length) == 0
          && is_index_suffix (key + length))
        return known_keys[i].key;
    }
  return MAGNET_KEY_OTHER;
}

static gboolean
is_sha1_bearing_urn (const char *topic)
{
  static const char *const prefixes[] = { "urn:sha1:", "urn:bitprint:" };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_ascii_strncasecmp (topic, prefixes[i], strlen (prefixes[i])) == 0)
      return TRUE;
  return FALSE;
}

/* Other URN types (btih, ed2k, tree:tiger, …) are kept as text unchecked:
 * not ours to judge. The first SHA-1 wins, as in gtk-gnutella. */
static gboolean
take_exact_topic (ShoalMagnet *magnet,
                  char        *topic,
                  GError     **error)
{
  g_autofree char *owned = topic;
  guint8 sha1[SHOAL_SHA1_SIZE];

  if (is_sha1_bearing_urn (topic))
    {
      if (!shoal_urn_parse_sha1 (topic, strlen (topic), sha1, error))
        {
          g_prefix_error (error, KEY_EXACT_TOPIC ": ");
          return FALSE;
        }
      if (!magnet->has_sha1)
        {
          memcpy (magnet->sha1, sha1, SHOAL_SHA1_SIZE);
          magnet->has_sha1 = TRUE;
        }
    }
  g_ptr_array_add (magnet->exact_topics, g_steal_pointer (&owned));
  return TRUE;
}

static gboolean
parse_exact_length (const char *text,
                    guint64    *length,
                    GError    **error)
{
  ShoalByteReader reader;
  guint64 value = 0;
  guint8 c;

  shoal_byte_reader_init (&reader, (const guint8 *) text, strlen (text));
  if (shoal_byte_reader_remaining (&reader) == 0)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   KEY_EXACT_LENGTH " is empty, needs a decimal byte count");
      return FALSE;
    }
  while (shoal_byte_reader_read_u8 (&reader, &c))
    {
      guint digit = (guint) (c - '0');

      if (!g_ascii_isdigit (c))
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       KEY_EXACT_LENGTH " is not a decimal number: byte %"
                       G_GSIZE_FORMAT " is not a digit", reader.offset - 1);
          return FALSE;
        }
      if (value > (G_MAXUINT64 - digit) / 10)
        {
          g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                       KEY_EXACT_LENGTH " is over %" G_GUINT64_FORMAT
                       ", the largest 64-bit size", G_MAXUINT64);
          return FALSE;
        }
      value = value * 10 + digit;
    }
  *length = value;
  return TRUE;
}

/* Takes ownership of @key and @value. Parameters without a field of their
 * own — unknown keys, and a second dn, xl or kt — go to @params unchanged
 * so that building the magnet again loses nothing. */
static gboolean
take_pair (ShoalMagnet *magnet,
           char        *key,
           char        *value,
           GError     **error)
{
  g_autofree char *owned_key = key;
  g_autofree char *owned_value = value;

  switch (classify_key (key))
    {
    case MAGNET_KEY_EXACT_TOPIC:
      return take_exact_topic (magnet, g_steal_pointer (&owned_value), error);
    case MAGNET_KEY_DISPLAY_NAME:
      if (magnet->display_name != NULL)
        break;
      magnet->display_name = g_steal_pointer (&owned_value);
      return TRUE;
    case MAGNET_KEY_EXACT_LENGTH:
      if (magnet->has_exact_length)
        break;
      if (!parse_exact_length (value, &magnet->exact_length, error))
        return FALSE;
      magnet->has_exact_length = TRUE;
      return TRUE;
    case MAGNET_KEY_EXACT_SOURCE:
      g_ptr_array_add (magnet->exact_sources, g_steal_pointer (&owned_value));
      return TRUE;
    case MAGNET_KEY_ACCEPTABLE_SOURCE:
      g_ptr_array_add (magnet->acceptable_sources,
                       g_steal_pointer (&owned_value));
      return TRUE;
    case MAGNET_KEY_KEYWORD_TOPIC:
      if (magnet->keyword_topic != NULL)
        break;
      magnet->keyword_topic = g_steal_pointer (&owned_value);
      return TRUE;
    case MAGNET_KEY_OTHER:
      break;
    }
  take_param (magnet, g_steal_pointer (&owned_key),
              g_steal_pointer (&owned_value));
  return TRUE;
}

static gboolean
parse_pair (ShoalMagnet  *magnet,
            const guint8 *data,
            gsize         length,
            GError      **error)
{
  ShoalByteReader reader;
  const guint8 *raw_key, *raw_value;
  gsize key_length, value_length;
  g_autofree char *key = NULL;
  g_autofree char *value = NULL;

  shoal_byte_reader_init (&reader, data, length);
  if (!shoal_byte_reader_read_until (&reader, KEY_VALUE_SEPARATOR,
                                     &raw_key, &key_length))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "no '%c' between key and value", KEY_VALUE_SEPARATOR);
      return FALSE;
    }
  value_length = shoal_byte_reader_remaining (&reader);
  shoal_byte_reader_read_bytes (&reader, value_length, &raw_value);

  key = decode_component (raw_key, key_length, "key", error);
  if (key == NULL)
    return FALSE;
  value = decode_component (raw_value, value_length, "value", error);
  if (value == NULL)
    return FALSE;
  return take_pair (magnet, g_steal_pointer (&key), g_steal_pointer (&value),
                    error);
}

/* The next '&'-separated piece, or the rest when no '&' is left. */
static void
read_piece (ShoalByteReader *reader,
            const guint8   **piece,
            gsize           *length)
{
  if (shoal_byte_reader_read_until (reader, PAIR_SEPARATOR, piece, length))
    return;
  *length = shoal_byte_reader_remaining (reader);
  shoal_byte_reader_read_bytes (reader, *length, piece);
}

ShoalMagnet *
shoal_magnet_parse (const char *text,
                    gsize       length,
                    GError    **error)
{
  g_autoptr(ShoalMagnet) magnet = NULL;
  ShoalByteReader reader;

  if (length > SHOAL_MAGNET_MAX_LENGTH)
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_TOO_LARGE,
                   "magnet URI is %" G_GSIZE_FORMAT " bytes, limit is %d",
                   length, SHOAL_MAGNET_MAX_LENGTH);
      return NULL;
    }
  shoal_byte_reader_init (&reader, (const guint8 *) text, length);
  if (!shoal_byte_reader_skip_prefix (&reader, MAGNET_PREFIX))
    {
      g_set_error (error, SHOAL_PROTO_ERROR, SHOAL_PROTO_ERROR_MALFORMED,
                   "not a magnet URI: does not start with \"" MAGNET_PREFIX "\"");
      return NULL;
    }
  magnet = shoal_magnet_new ();
  while (shoal_byte_reader_remaining (&reader) > 0)
    {
      gsize offset = reader.offset;
      const guint8 *piece;
      gsize piece_length;

      read_piece (&reader, &piece, &piece_length);
      /* "&&" and a trailing '&' are empty pieces, harmless. */
      if (piece_length == 0)
        continue;
      if (!parse_pair (magnet, piece, piece_length, error))
        {
          g_prefix_error (error, "magnet parameter at byte %" G_GSIZE_FORMAT
                          ": ", offset);
          return NULL;
        }
    }
  return g_steal_pointer (&magnet);
}

static void
append_encoded (GString    *out,
                const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || strchr (KEPT_PUNCTUATION, *p) != NULL)
        g_string_append_c (out, (char) *p);
      else
        g_string_append_printf (out, "%c%02X", ESCAPE_CHAR, *p);
    }
}

static void
append_pair (GString    *out,
             const char *key,
             const char *value)
{
  if (out->len > strlen (MAGNET_PREFIX))
    g_string_append_c (out, PAIR_SEPARATOR);
  append_encoded (out, key);
  g_string_append_c (out, KEY_VALUE_SEPARATOR);
  append_encoded (out, value);
}

static void
append_pairs (GString         *out,
              const char      *key,
              const GPtrArray *values)
{
  for (guint i = 0; i < values->len; i++)
    append_pair (out, key, g_ptr_array_index (values, i));
}

static gboolean
topics_name_sha1 (const ShoalMagnet *magnet)
{
  for (guint i = 0; i < magnet->exact_topics->len; i++)
    {
      const char *topic = g_ptr_array_index (magnet->exact_topics, i);
      guint8 sha1[SHOAL_SHA1_SIZE];

      if (shoal_urn_parse_sha1 (topic, strlen (topic), sha1, NULL)
          && memcmp (sha1, magnet->sha1, SHOAL_SHA1_SIZE) == 0)
        return TRUE;
    }
  return FALSE;
}

char *
shoal_magnet_to_string (const ShoalMagnet *magnet)
{
  GString *out = g_string_new (MAGNET_PREFIX);

  if (magnet->has_sha1 && !topics_name_sha1 (magnet))
    {
      g_autofree char *urn = shoal_urn_format_sha1 (magnet->sha1);

      append_pair (out, KEY_EXACT_TOPIC, urn);
    }
  append_pairs (out, KEY_EXACT_TOPIC, magnet->exact_topics);
  if (magnet->display_name != NULL)
    append_pair (out, KEY_DISPLAY_NAME, magnet->display_name);
  if (magnet->has_exact_length)
    {
      g_autofree char *length = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                                 magnet->exact_length);

      append_pair (out, KEY_EXACT_LENGTH, length);
    }
  append_pairs (out, KEY_EXACT_SOURCE, magnet->exact_sources);
  append_pairs (out, KEY_ACCEPTABLE_SOURCE, magnet->acceptable_sources);
  if (magnet->keyword_topic != NULL)
    append_pair (out, KEY_KEYWORD_TOPIC, magnet->keyword_topic);
  for (guint i = 0; i < magnet->params->len; i++)
    {
      const ShoalMagnetParam *param = g_ptr_array_index (magnet->params, i);

      append_pair (out, param->key, param->value);
    }
  return g_string_free (out, FALSE);
}
