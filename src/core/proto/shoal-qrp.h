/* shoal-qrp.h — Query Routing Protocol messages (0x30): RESET and PATCH
 * payloads, the routing table they describe, the receiver that applies a
 * PATCH sequence to it and the builder that turns a table into one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHOAL_QRP_VARIANT_RESET 0x00
#define SHOAL_QRP_VARIANT_PATCH 0x01
/* Variant, le32 table length, infinity. */
#define SHOAL_QRP_RESET_SIZE 6
/* Variant, sequence number, sequence size, compressor, entry bits. */
#define SHOAL_QRP_PATCH_HEADER_SIZE 5
/* gtk-gnutella MAX_TABLE_BITS (src/core/qrp.c): it folds larger tables
 * down to this size; we refuse them, so a RESET never makes us allocate
 * more than 2 MiB. */
#define SHOAL_QRP_MAX_TABLE_BITS 21
#define SHOAL_QRP_MAX_TABLE_SLOTS (1u << SHOAL_QRP_MAX_TABLE_BITS)
/* The sequence number is one byte and starts at 1. */
#define SHOAL_QRP_MAX_SEQUENCE_SIZE 255
/* gtk-gnutella QRT_PATCH_LEN: data bytes per PATCH message it sends. */
#define SHOAL_QRP_GTKG_PATCH_CHUNK 512
/* gtk-gnutella LOCAL_INFINITY: a leaf's keywords are one hop away. */
#define SHOAL_QRP_GTKG_INFINITY 2
/* LimeWire's QueryRouteTable default infinity. */
#define SHOAL_QRP_LIMEWIRE_INFINITY 7

typedef enum
{
  SHOAL_QRP_COMPRESSOR_NONE = 0x00,
  SHOAL_QRP_COMPRESSOR_ZLIB = 0x01,
} ShoalQrpCompressor;

typedef struct
{
  guint32 table_length;  /* slots: a power of 2, ≤ SHOAL_QRP_MAX_TABLE_SLOTS */
  guint8  infinity;      /* ≥ 1 */
} ShoalQrpReset;

typedef struct
{
  guint8        seq_number;   /* 1-based, ≤ seq_size */
  guint8        seq_size;     /* PATCH messages in the sequence */
  guint8        compressor;   /* a ShoalQrpCompressor */
  guint8        entry_bits;   /* 1, 2, 4 or 8 */
  const guint8 *data;         /* borrowed: points into the parsed payload */
  gsize         data_length;  /* ≥ 1 */
} ShoalQrpPatch;

/* The variant byte of a 0x30 payload, without looking further. */
gboolean shoal_qrp_peek_variant (const guint8 *data,
                                 gsize         length,
                                 guint8       *variant,
                                 GError      **error);

/* Exactly SHOAL_QRP_RESET_SIZE bytes. Refuses a length that is not a
 * power of 2 (MALFORMED) or above SHOAL_QRP_MAX_TABLE_SLOTS (TOO_LARGE),
 * and infinity 0 (MALFORMED). */
gboolean shoal_qrp_reset_parse  (const guint8  *data,
                                 gsize          length,
                                 ShoalQrpReset *reset,
                                 GError       **error);
void     shoal_qrp_reset_write  (const ShoalQrpReset *reset,
                                 GByteArray          *out);

/* The header and at least one data byte (gtk-gnutella drops empty ones).
 * Refuses sequence number 0 or above the sequence size (MALFORMED), entry
 * bits other than 1, 2, 4, 8 (MALFORMED) and a compressor other than
 * none or zlib (UNSUPPORTED). @patch->data points into @data. */
gboolean shoal_qrp_patch_parse  (const guint8  *data,
                                 gsize          length,
                                 ShoalQrpPatch *patch,
                                 GError       **error);
void     shoal_qrp_patch_write  (const ShoalQrpPatch *patch,
                                 GByteArray          *out);

/* A routing table as a servent describes it: one value per slot, a
 * keyword hashing to a slot "present" when its value is below infinity
 * (LimeWire's values count hops; gtk-gnutella only looks at presence). */
typedef struct
{
  guint32  slots;     /* a power of 2, ≤ SHOAL_QRP_MAX_TABLE_SLOTS */
  guint8   infinity;  /* ≥ 1 */
  guint8  *values;    /* @slots values */
} ShoalQrpTable;

/* Every slot at infinity, as after a RESET. Fails as a RESET would. */
ShoalQrpTable *shoal_qrp_table_new           (guint32   slots,
                                              guint8    infinity,
                                              GError  **error);
ShoalQrpTable *shoal_qrp_table_copy          (const ShoalQrpTable *table);
void           shoal_qrp_table_free          (ShoalQrpTable *table);
/* Puts every slot back at infinity. */
void           shoal_qrp_table_reset         (ShoalQrpTable *table);
/* log2 of the slot count: the hash bits that index this table. */
guint          shoal_qrp_table_get_bits      (const ShoalQrpTable *table);
gboolean       shoal_qrp_table_is_present    (const ShoalQrpTable *table,
                                              guint32              slot);
/* Marks @slot present at one hop (value 1, or 0 when infinity is 1), the
 * value LimeWire and gtk-gnutella give their own keywords. */
void           shoal_qrp_table_set_present   (ShoalQrpTable *table,
                                              guint32        slot);
guint32        shoal_qrp_table_count_present (const ShoalQrpTable *table);
/* Same size, infinity and values. */
gboolean       shoal_qrp_table_equal         (const ShoalQrpTable *a,
                                              const ShoalQrpTable *b);

/* How PATCH payloads are built. gtk-gnutella: 4 bits, zlib, 512 bytes. */
typedef struct
{
  guint              entry_bits;  /* 1, 2, 4 or 8 */
  ShoalQrpCompressor compressor;
  gsize              chunk_size;  /* data bytes per message (≥ 1) */
} ShoalQrpPatchOptions;

/* The PATCH payloads (GBytes, in sending order) that turn @previous —
 * or, when NULL, a table just RESET to @target's size and infinity — into
 * @target. Entries are the signed differences @target − @previous, except
 * with 1-bit entries, which gtk-gnutella reads as "presence flips" and
 * which therefore only carry presence. zlib data is one stream over the
 * whole patch (best compression, as gtk-gnutella sends it). When the
 * patch would need more than SHOAL_QRP_MAX_SEQUENCE_SIZE messages,
 * chunks grow to fit, as gtk-gnutella's do. Fails when @previous has
 * another size or infinity (a RESET is needed), when a difference does
 * not fit in the entries, or when the table has fewer slots than one
 * byte of entries. */
GPtrArray     *shoal_qrp_build_patches       (const ShoalQrpTable        *target,
                                              const ShoalQrpTable        *previous,
                                              const ShoalQrpPatchOptions *options,
                                              GError                    **error);

/* The receiving side of one link: RESET and PATCH messages go in, in the
 * order they arrived, and a table comes out once a PATCH sequence is
 * complete. A sequence shares one zlib inflater across its messages. Any
 * error leaves the receiver without a table until the next RESET (the
 * link is expected to be closed: gtk-gnutella answers BYE 413). */
typedef struct _ShoalQrpReceiver ShoalQrpReceiver;

ShoalQrpReceiver    *shoal_qrp_receiver_new         (void);
void                 shoal_qrp_receiver_free        (ShoalQrpReceiver *receiver);
/* Drops the current table and starts an empty one of the RESET's size. */
gboolean             shoal_qrp_receiver_apply_reset (ShoalQrpReceiver    *receiver,
                                                     const ShoalQrpReset *reset,
                                                     GError             **error);
/* Applies one PATCH message; *@complete (may be NULL) says whether it
 * ended its sequence, which must then have covered every slot exactly.
 * Refuses a PATCH before any RESET, a sequence number out of order, a
 * sequence size, compressor or entry size differing from the first
 * message's, zlib errors, a zlib stream that ends before the last message
 * or does not end with it, and more entries than slots. */
gboolean             shoal_qrp_receiver_apply_patch (ShoalQrpReceiver    *receiver,
                                                     const ShoalQrpPatch *patch,
                                                     gboolean            *complete,
                                                     GError             **error);
/* Parses a 0x30 payload and applies it, whichever variant it is. */
gboolean             shoal_qrp_receiver_feed        (ShoalQrpReceiver *receiver,
                                                     const guint8     *data,
                                                     gsize             length,
                                                     gboolean         *complete,
                                                     GError          **error);
/* The table as of the last complete sequence, or NULL: none yet, a RESET
 * since, or an error. Owned by @receiver. */
const ShoalQrpTable *shoal_qrp_receiver_get_table   (const ShoalQrpReceiver *receiver);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQrpTable, shoal_qrp_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalQrpReceiver, shoal_qrp_receiver_free)

G_END_DECLS
