/* shoal-query-hit.h — the query hit payload (0x81): responder address,
 * result records, the vendor trailer (QHD) and the servent GUID. */
#pragma once

#include <glib.h>

#include "shoal-extensions.h"
#include "shoal-ggep.h"
#include "shoal-guid.h"
#include "shoal-ipv4.h"
#include "shoal-urn.h"

G_BEGIN_DECLS

/* Record count (u8), port (le16), IPv4 (4), speed (le32). */
#define SHOAL_QUERY_HIT_FIXED_SIZE 11
/* The count is a single byte. */
#define SHOAL_QUERY_HIT_MAX_RECORDS 255
/* gtk-gnutella's search_answers_forward_size / search_answers_kick_size
 * (§3.4, §13): a bigger hit is dropped / costs the link a BYE 400. For
 * the router; the codec reads anything a header can announce. */
#define SHOAL_QUERY_HIT_FORWARD_SIZE 16384
#define SHOAL_QUERY_HIT_KICK_SIZE 65536
/* gtk-gnutella writes files of 2^31 bytes and more with this in the
 * 32-bit size field and the real size in GGEP "LF" (qhit.c add_file). */
#define SHOAL_QUERY_HIT_SIZE_IN_LF 0xffffffffu
#define SHOAL_QUERY_HIT_LF_THRESHOLD (G_GUINT64_CONSTANT (1) << 31)

/* Trailer: vendor code (4), open data size (1), the two flag bytes. */
#define SHOAL_QUERY_HIT_VENDOR_SIZE 4
#define SHOAL_QUERY_HIT_MIN_TRAILER 7
/* Our own vendor code in the trailer. */
#define SHOAL_QUERY_HIT_VENDOR "SHOL"

/* Trailer flag bits (§4.4). Each lives in both flag bytes; byte 1 says
 * which are meaningful and byte 2 holds their values — except the push
 * bit, whose roles are swapped. Either way a flag is set only when its
 * bit is set in both bytes. */
#define SHOAL_QUERY_HIT_FLAG_PUSH 0x01
#define SHOAL_QUERY_HIT_FLAG_BUSY 0x04
#define SHOAL_QUERY_HIT_FLAG_UPLOADED 0x08
#define SHOAL_QUERY_HIT_FLAG_MEASURED_SPEED 0x10
#define SHOAL_QUERY_HIT_FLAG_GGEP 0x20

/* How a built record names its SHA-1. */
typedef enum
{
  SHOAL_QUERY_HIT_SHA1_URN,     /* "urn:sha1:<base32>" text, then 0x1C */
  SHOAL_QUERY_HIT_SHA1_GGEP_H,  /* GGEP "H" type 1, for queries with flag 0x0800 */
} ShoalQueryHitSha1Form;

typedef struct
{
  guint32          index;
  guint32          size;        /* the 32-bit field as on the wire */
  char            *name;        /* as received: UTF-8 from modern servents */
  ShoalExtensions *extensions;  /* "between the NULs"; never NULL */
} ShoalQueryHitRecord;

typedef struct
{
  char       vendor[SHOAL_QUERY_HIT_VENDOR_SIZE + 1];  /* 4 bytes + NUL */
  GBytes    *open_data;     /* the open area: normally the 2 flag bytes */
  GBytes    *private_data;  /* everything after it, as received */
  /* Parsed from private_data (from its first 0xC3) when the GGEP flag is
   * set; NULL otherwise. private_data stays what is written back. */
  ShoalGgep *ggep;
} ShoalQueryHitTrailer;

typedef struct
{
  ShoalIpv4Endpoint     endpoint;      /* the responder's address and port */
  guint32               speed;         /* kbit/s, informational */
  GPtrArray            *records;       /* of ShoalQueryHitRecord*, ≥ 1 */
  ShoalQueryHitTrailer *trailer;       /* NULL when the hit has none */
  ShoalGuid             servent_guid;
} ShoalQueryHit;

/* Whole hits. */
ShoalQueryHit *shoal_query_hit_new    (const ShoalIpv4Endpoint *endpoint,
                                       guint32                  speed,
                                       const ShoalGuid         *servent_guid);
void           shoal_query_hit_free   (ShoalQueryHit *hit);
/* Parses a query hit payload (the bytes after the 23-byte header). */
ShoalQueryHit *shoal_query_hit_parse  (const guint8 *data,
                                       gsize         length,
                                       GError      **error);
/* Appends the payload. Fails for 0 or more than 255 records, a record
 * whose extension area would hold a NUL, or a payload larger than a
 * message can carry; @out is then left as it was. */
gboolean       shoal_query_hit_write  (const ShoalQueryHit *hit,
                                       GByteArray          *out,
                                       GError             **error);
/* Takes ownership of @record. */
void           shoal_query_hit_add_record   (ShoalQueryHit       *hit,
                                             ShoalQueryHitRecord *record);
/* Takes ownership of @trailer (may be NULL), replacing any trailer. */
void           shoal_query_hit_set_trailer  (ShoalQueryHit        *hit,
                                             ShoalQueryHitTrailer *trailer);

/* Records. */
/* A record as gtk-gnutella writes it: @size ≥ 2^31 goes in GGEP "LF";
 * @sha1 (may be NULL) as text or GGEP "H" (COBS only when it holds a
 * 0x00). More GGEP goes in shoal_query_hit_record_ensure_ggep(). */
ShoalQueryHitRecord *shoal_query_hit_record_new  (guint32                index,
                                                  guint64                size,
                                                  const char            *name,
                                                  const guint8          *sha1,
                                                  ShoalQueryHitSha1Form  sha1_form);
void                 shoal_query_hit_record_free (ShoalQueryHitRecord *record);
/* The record's last GGEP block, added (empty) if it has none. */
ShoalGgep           *shoal_query_hit_record_ensure_ggep (ShoalQueryHitRecord *record);
/* The first SHA-1 named by a "urn:sha1:" item or GGEP "H" (or "u"). */
gboolean             shoal_query_hit_record_get_sha1 (const ShoalQueryHitRecord *record,
                                                      guint8                     sha1[SHOAL_SHA1_SIZE]);
/* The Tiger tree root from GGEP "H" type 2 (bitprint) or "TT". */
gboolean             shoal_query_hit_record_get_tth  (const ShoalQueryHitRecord *record,
                                                      guint8                     tth[SHOAL_TTH_SIZE]);
/* The 64-bit size: GGEP "LF" when present, else the 32-bit field. Fails
 * on an "LF" of 0 or of more than 8 bytes. */
gboolean             shoal_query_hit_record_get_file_size (const ShoalQueryHitRecord *record,
                                                           guint64                   *size,
                                                           GError                   **error);
/* GGEP "ALT" alternate locations as ShoalIpv4Endpoint; empty without
 * one, NULL (with @error) when its length is not a multiple of 6. */
GArray              *shoal_query_hit_record_get_alt_locations (const ShoalQueryHitRecord *record,
                                                               GError                   **error);

/* Trailers. */
/* A trailer as gtk-gnutella writes it (open size 2, byte 1 = 0x2C plus
 * the push bit, byte 2 = 0x01 plus busy/uploaded and 0x20 when @ggep has
 * extensions). @vendor is 4 characters, or NULL for SHOAL_QUERY_HIT_VENDOR;
 * @flags holds SHOAL_QUERY_HIT_FLAG_PUSH, _BUSY, _UPLOADED. Takes
 * ownership of @ggep (may be NULL). Fails when @ggep cannot be written. */
ShoalQueryHitTrailer *shoal_query_hit_trailer_new  (const char  *vendor,
                                                    guint        flags,
                                                    ShoalGgep   *ggep,
                                                    GError     **error);
void                  shoal_query_hit_trailer_free (ShoalQueryHitTrailer *trailer);
/* The trailer alone: the bytes between the last record and the servent
 * GUID. Shorter than 7 bytes, open data past the end, or the GGEP flag
 * without a valid GGEP block → MALFORMED. */
ShoalQueryHitTrailer *shoal_query_hit_trailer_parse (const guint8 *data,
                                                     gsize         length,
                                                     GError      **error);
/* Writes the trailer as parsed or built: vendor, open data, private data. */
gboolean              shoal_query_hit_trailer_write (const ShoalQueryHitTrailer *trailer,
                                                     GByteArray                 *out,
                                                     GError                    **error);
/* TRUE when @flag (one SHOAL_QUERY_HIT_FLAG_*) is set in both flag bytes;
 * FALSE when the open area is shorter than the two flag bytes. */
gboolean              shoal_query_hit_trailer_has_flag (const ShoalQueryHitTrailer *trailer,
                                                        guint8                      flag);
/* The trailer GGEP extension @id, or NULL. */
const ShoalGgepExtension *shoal_query_hit_trailer_find_ggep (const ShoalQueryHitTrailer *trailer,
                                                             const char                 *id);
/* GGEP "BH": the responder can be browsed. */
gboolean              shoal_query_hit_trailer_is_browsable (const ShoalQueryHitTrailer *trailer);
/* GGEP "PUSH" push proxies as ShoalIpv4Endpoint; empty without one,
 * NULL (with @error) when its length is not a multiple of 6. */
GArray               *shoal_query_hit_trailer_get_push_proxies (const ShoalQueryHitTrailer *trailer,
                                                                GError                    **error);
/* GGEP "GTKGV": gtk-gnutella's binary version, raw; NULL without one. */
GBytes               *shoal_query_hit_trailer_get_gtkg_version (const ShoalQueryHitTrailer *trailer);
/* GGEP "HNAME": the server's DNS name; NULL without one, or when it holds
 * a NUL byte. */
char                 *shoal_query_hit_trailer_get_hostname (const ShoalQueryHitTrailer *trailer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQueryHit, shoal_query_hit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQueryHitRecord, shoal_query_hit_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQueryHitTrailer, shoal_query_hit_trailer_free)

G_END_DECLS
