/* shoal-library-qrp.h — the library's Query Routing table, kept up to date
 * file by file: each slot counts the shared files whose keywords hash
 * there, so removing a file is as cheap as adding one. */
#pragma once

#include <glib.h>

#include "shoal-qrp.h"
#include "shoal-share-types.h"

G_BEGIN_DECLS

/* 65536 slots: what the ultrapeer QRP spec recommends and LimeWire uses;
 * gtk-gnutella ultrapeers accept any power of 2 up to 2^21. */
#define SHOAL_LIBRARY_QRP_BITS 16

typedef struct _ShoalLibraryQrp ShoalLibraryQrp;

ShoalLibraryQrp *shoal_library_qrp_new             (guint bits);
void             shoal_library_qrp_free            (ShoalLibraryQrp *qrp);

/* A file's name keywords (gtk-gnutella's rules, src/core/proto) and, once
 * hashed, its whole "urn:sha1:…" (as LimeWire leaves do, so searches by
 * hash reach us). Pass the same arguments to remove what was added. */
void             shoal_library_qrp_add_file        (ShoalLibraryQrp *qrp,
                                                    const char      *name,
                                                    const guint8    *sha1);
void             shoal_library_qrp_remove_file     (ShoalLibraryQrp *qrp,
                                                    const char      *name,
                                                    const guint8    *sha1);

guint            shoal_library_qrp_get_bits        (const ShoalLibraryQrp *qrp);
guint32          shoal_library_qrp_count_present   (const ShoalLibraryQrp *qrp);
/* Present slots / all slots: how much of the keyword space we claim. */
double           shoal_library_qrp_get_fill_ratio  (const ShoalLibraryQrp *qrp);
/* A table to send: present slots hold 1, the others @infinity. */
ShoalQrpTable   *shoal_library_qrp_build_table     (const ShoalLibraryQrp *qrp,
                                                    guint8                 infinity);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalLibraryQrp, shoal_library_qrp_free)

G_END_DECLS
