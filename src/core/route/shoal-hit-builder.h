/* shoal-hit-builder.h — our answers to a query: the files that matched,
 * packed into query hit messages the way gtk-gnutella packs its own
 * (gnutella-0.6.md §4.4, §13: at most 10 records, a message flushed once
 * it passes about 2 KiB), with our servent GUID and vendor trailer. */
#pragma once

#include <glib.h>

#include "shoal-guid.h"
#include "shoal-ipv4.h"
#include "shoal-query-hit.h"

G_BEGIN_DECLS

/* gtk-gnutella's QHIT_MAX_RESULTS and QHIT_SIZE_THRESHOLD. */
#define SHOAL_HIT_BUILDER_MAX_RECORDS 10
#define SHOAL_HIT_BUILDER_FLUSH_BYTES 2016
/* gtk-gnutella gives its hits TTL hops + 5, at most 15 (qhit.c); the
 * router takes the hops from the query it answers. */
#define SHOAL_HIT_BUILDER_EXTRA_TTL 5
#define SHOAL_HIT_BUILDER_MAX_TTL 15

/* One file to announce. */
typedef struct
{
  guint32     index;      /* the library's stable file index */
  guint64     size;       /* ≥ 2^31 goes into GGEP "LF" */
  const char *name;       /* UTF-8 */
  gboolean    has_sha1;
  guint8      sha1[20];
} ShoalHitFile;

/* Who we are, as every hit we send says it. */
typedef struct
{
  ShoalGuid         servent_guid;
  ShoalIpv4Endpoint endpoint;      /* where we accept downloads */
  guint32           speed_kbps;
  gboolean          firewalled;    /* push flag: we cannot be reached */
  gboolean          busy;          /* every upload slot taken */
  gboolean          has_uploaded;  /* we completed an upload this run */
  gboolean          browsable;     /* we answer browse-host (GGEP "BH") */
} ShoalHitSelf;

/* Query hit messages (header included, type 0x81, the query's @query_guid,
 * TTL MIN(@query_hops + EXTRA_TTL, MAX_TTL), hops 0) for @files, in
 * order, split as above; SHA-1s named as @sha1_form asks (the query's
 * flag 0x0800 asks for GGEP "H"). Each decodes with
 * shoal_query_hit_parse() to the same records. GPtrArray of GBytes*;
 * empty when @files is. */
GPtrArray *shoal_hit_builder_build (const ShoalHitSelf    *self,
                                    const ShoalGuid       *query_guid,
                                    guint8                 query_hops,
                                    const ShoalHitFile    *files,
                                    guint                  n_files,
                                    ShoalQueryHitSha1Form  sha1_form);

G_END_DECLS
