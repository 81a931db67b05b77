/* shoal-magnet.h — magnet URIs: a file by hash, size, name and sources. */
#pragma once

#include <glib.h>

#include "shoal-urn.h"

G_BEGIN_DECLS

/* RFC 9110 §4.1 asks every recipient to handle URIs of at least 8000
 * octets; 8 KiB covers that and bounds what a pasted or stored magnet may
 * make us allocate. */
#define SHOAL_MAGNET_MAX_LENGTH 8192

/* A parameter ShoalMagnet has no field for: a private key such as
 * gtk-gnutella's "x.guid", or a repeated dn / xl / kt. Key and value are
 * percent-decoded, the key spelled as received. */
typedef struct
{
  char *key;
  char *value;
} ShoalMagnetParam;

/**
 * ShoalMagnet:
 * @exact_topics: every xt value (char *), in order, whatever its URN type
 * @has_sha1: whether @sha1 holds a SHA-1
 * @sha1: from the first xt that is a urn:sha1 or urn:bitprint
 * @display_name: dn, or %NULL
 * @has_exact_length: whether @exact_length holds xl
 * @exact_length: xl, the file size in bytes
 * @exact_sources: every xs (char *), in order
 * @acceptable_sources: every as (char *), in order
 * @keyword_topic: kt, or %NULL
 * @params: every other parameter (ShoalMagnetParam *), in order
 *
 * All strings are UTF-8 without NULs, owned by the magnet.
 */
typedef struct
{
  GPtrArray *exact_topics;
  gboolean   has_sha1;
  guint8     sha1[SHOAL_SHA1_SIZE];
  char      *display_name;
  gboolean   has_exact_length;
  guint64    exact_length;
  GPtrArray *exact_sources;
  GPtrArray *acceptable_sources;
  char      *keyword_topic;
  GPtrArray *params;
} ShoalMagnet;

/* An empty magnet, its arrays allocated and empty. */
ShoalMagnet *shoal_magnet_new       (void);
void         shoal_magnet_free      (ShoalMagnet *magnet);

/* "magnet:?" (scheme in any case) then '&'-separated key=value pairs,
 * percent-decoded with '+' as a space; "xt.1" counts as "xt" (likewise for
 * every key above). The first dn, xl and kt fill their fields, later ones
 * land in @params. Fails on another scheme, more than
 * SHOAL_MAGNET_MAX_LENGTH bytes, a pair without '=', a bad or %00 escape,
 * a value that is not UTF-8, an xl that is not a 64-bit decimal number,
 * and a urn:sha1 or urn:bitprint xt that does not decode. */
ShoalMagnet *shoal_magnet_parse     (const char *text,
                                     gsize       length,
                                     GError    **error);

/* Writes, in this order: a urn:sha1 xt for @sha1 when no exact topic names
 * it already, each xt, dn, xl, each xs, each as, kt, each param. Keys and
 * values are percent-encoded except for RFC 3986 unreserved characters,
 * ':' and '/' (which gtk-gnutella also leaves readable in URNs and URLs). */
char        *shoal_magnet_to_string (const ShoalMagnet *magnet);

/* Appends to @params (copies both strings). */
void         shoal_magnet_add_param (ShoalMagnet *magnet,
                                     const char  *key,
                                     const char  *value);
/* Value of the first param whose key matches @key (ASCII, any case), or
 * %NULL. */
const char  *shoal_magnet_get_param (const ShoalMagnet *magnet,
                                     const char        *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalMagnet, shoal_magnet_free)

G_END_DECLS
