/* shoal-test-vectors.h — finding and loading the captured gtk-gnutella
 * traffic. A missing vectors folder fails the test: it never skips. */
#pragma once

#include <glib.h>

#include "shoal-message-header.h"

G_BEGIN_DECLS

/* The vectors folder: $SHOAL_VECTORS_DIR, else the path meson configured
 * ($SHOAL_VECTORS_DIR_DEFAULT). Fails the test if it does not exist. */
const char *shoal_test_vectors_dir   (void);
/* Path of @relative inside the vectors folder (caller frees). */
char       *shoal_test_vector_path   (const char *relative);
/* Whole file; fails the test if it cannot be read. */
GBytes     *shoal_test_load_vector   (const char *relative);
/* The payload of a one-message vector, after checking that its header
 * announces @type and exactly the bytes that follow. @header (may be NULL)
 * receives the parsed header. */
GBytes     *shoal_test_load_payload  (const char         *relative,
                                      guint8              type,
                                      ShoalMessageHeader *header);
/* A "----- a -> b (N bytes) -----" transcript (handshakes, HTTP): the
 * sections in order, each with its lines re-terminated by CRLF as they were
 * on the wire. When the separator names a byte count, it is checked. */
GPtrArray  *shoal_test_load_transcript (const char *relative);

/* Paths, relative to the vectors folder, of every file below it whose name
 * ends with @suffix, sorted. */
GPtrArray  *shoal_test_list_vectors  (const char *suffix);

typedef struct
{
  char   *direction;  /* "client -> server" */
  GBytes *bytes;      /* the block with CRLF line ends */
} ShoalTestTranscriptSection;

G_END_DECLS
