/* interop-checks.c — the fields the capture's README names, checked file by
 * file: the ultrapeer A is 127.0.0.1:16341, leaf B (127.0.0.2:16342, servent
 * GUID 200b3102…) shares four files, leaf C searches, the probe is a script. */
#include "interop-checks.h"

#include "shoal-urn.h"

#include <string.h>

#define LEAF_B_SERVENT_GUID "200b310283b9bf20b5d3d27ba19a6bd2"
#define LEAF_B_ADDRESS 0x7f000002u
#define LEAF_B_PORT 16342
#define ULTRAPEER_A_ADDRESS 0x7f000001u
#define ULTRAPEER_A_PORT 16341

static void
assert_guid (const ShoalGuid *guid,
             const char      *hex)
{
  g_autofree char *text = shoal_guid_to_hex (guid);

  g_assert_cmpstr (text, ==, hex);
}

static void
assert_header (const ShoalMessage *message,
               guint8              type,
               guint8              ttl,
               guint8              hops)
{
  g_assert_cmphex (message->header.type, ==, type);
  g_assert_cmpuint (message->header.ttl, ==, ttl);
  g_assert_cmpuint (message->header.hops, ==, hops);
}

static void
assert_record (const ShoalQueryHit *hit,
               guint                index,
               const char          *name,
               guint32              size,
               const char          *sha1_urn)
{
  const ShoalQueryHitRecord *record;
  g_autofree char *urn = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_assert_cmpuint (index, <, hit->records->len);
  record = g_ptr_array_index (hit->records, index);
  g_assert_cmpstr (record->name, ==, name);
  g_assert_cmpuint (record->size, ==, size);
  g_assert_true (shoal_query_hit_record_get_sha1 (record, sha1));
  urn = shoal_urn_format_sha1 (sha1);
  g_assert_cmpstr (urn, ==, sha1_urn);
}

/* Every hit in the capture comes from leaf B, through A or not. */
static void
assert_from_leaf_b (const ShoalQueryHit *hit)
{
  g_assert_cmphex (hit->endpoint.address, ==, LEAF_B_ADDRESS);
  g_assert_cmpuint (hit->endpoint.port, ==, LEAF_B_PORT);
  assert_guid (&hit->servent_guid, LEAF_B_SERVENT_GUID);
  g_assert_nonnull (hit->trailer);
  g_assert_cmpstr (hit->trailer->vendor, ==, "GTKG");
}

/* Leaf B's first hits still said "push needed" (flag bytes 2D 21): its
 * ultrapeer had not yet confirmed, by connecting back, that B is reachable.
 * Later hits (2C 21) say it is not firewalled. */
static void
assert_push_needed (const ShoalQueryHit *hit,
                    gboolean             needed)
{
  g_assert_cmpint (shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_PUSH),
                   ==, needed);
}

#define MARMALADE "marmalade_harpsichord_sonata.txt", 2200, "urn:sha1:YUBFLJ445UUEWICOR4IDG5CUYWN5LFHR"
#define OBSIDIAN "obsidian_tortoise_almanac.txt", 31, "urn:sha1:E52FITICBTOLIVR6RSIJENLBISDDVFCS"
#define XYLOPHONE "xylophone_nebula_5MB.bin", 5242880, "urn:sha1:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4"
#define ZEBRAFISH "zebrafish_quantum_lattice.txt", 76, "urn:sha1:GJE2UZAXHDUIJYN6IVYM5CEJU3DRJI3Y"

static void
check_obsidian_hit_from_leaf (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QUERY_HIT, 7, 0);
  assert_guid (&message->header.guid, "8daeac09310292130ff861efc0a6a531");
  g_assert_cmpuint (message->query_hit->records->len, ==, 1);
  assert_record (message->query_hit, 0, OBSIDIAN);
  assert_from_leaf_b (message->query_hit);
  assert_push_needed (message->query_hit, FALSE);
  g_assert_true (shoal_query_hit_trailer_is_browsable (message->query_hit->trailer));
}

static void
check_obsidian_hit_forwarded (const ShoalMessage *message)
{
  /* The same hit one hop later: TTL down, hops up, payload untouched. */
  assert_header (message, SHOAL_MESSAGE_QUERY_HIT, 6, 1);
  assert_guid (&message->header.guid, "8daeac09310292130ff861efc0a6a531");
  assert_record (message->query_hit, 0, OBSIDIAN);
  assert_from_leaf_b (message->query_hit);
}

static void
check_marmalade_hit (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QUERY_HIT, 6, 1);
  assert_guid (&message->header.guid, "2a5f8ccc06b6ced1ff76ef665c373700");
  assert_record (message->query_hit, 0, MARMALADE);
  assert_from_leaf_b (message->query_hit);
  assert_push_needed (message->query_hit, TRUE);
}

static void
check_probe_zebrafish_hit (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QUERY_HIT, 6, 1);
  assert_record (message->query_hit, 0, ZEBRAFISH);
  assert_from_leaf_b (message->query_hit);
  assert_push_needed (message->query_hit, FALSE);
  g_assert_true (shoal_query_hit_trailer_has_flag (message->query_hit->trailer,
                                                   SHOAL_QUERY_HIT_FLAG_UPLOADED));
}

static void
check_browse_host_hit (const ShoalMessage *message)
{
  /* Browse host lists the whole library of leaf B. */
  g_assert_cmpuint (message->query_hit->records->len, ==, 4);
  assert_record (message->query_hit, 0, MARMALADE);
  assert_record (message->query_hit, 1, OBSIDIAN);
  assert_record (message->query_hit, 2, XYLOPHONE);
  assert_record (message->query_hit, 3, ZEBRAFISH);
  assert_from_leaf_b (message->query_hit);
}

static void
check_obsidian_query_from_leaf (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QUERY, 4, 0);
  g_assert_cmpstr (message->query->text, ==, "obsidian");
  g_assert_cmphex (message->query->flags, ==, 0xb900);
  g_assert_false (shoal_query_has_flag (message->query, SHOAL_QUERY_FLAG_FIREWALLED));
  g_assert_nonnull (shoal_query_find_ggep (message->query, "PR"));
}

static void
check_obsidian_query_forwarded (const ShoalMessage *message)
{
  /* Hops 0 → 1, but TTL still 4: gtk-gnutella's dynamic querying undoes
   * its own decrement and uses the leaf's TTL as its ceiling. */
  assert_header (message, SHOAL_MESSAGE_QUERY, 4, 1);
  assert_guid (&message->header.guid, "8daeac09310292130ff861efc0a6a531");
  g_assert_cmpstr (message->query->text, ==, "obsidian");
}

static void
check_zebrafish_query_firewalled (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QUERY, 4, 0);
  g_assert_cmpstr (message->query->text, ==, "zebrafish");
  g_assert_true (shoal_query_has_flag (message->query, SHOAL_QUERY_FLAG_FIREWALLED));
  g_assert_true (shoal_query_has_flag (message->query, SHOAL_QUERY_FLAG_GGEP_H));
}

static void
check_probe_marmalade_query (const ShoalMessage *message)
{
  /* The probe wrote its flags word byte-swapped: bit 15 is clear, so the
   * word carries no flags, yet gtk-gnutella answered it. */
  assert_header (message, SHOAL_MESSAGE_QUERY, 3, 0);
  g_assert_cmpstr (message->query->text, ==, "marmalade");
  g_assert_false (shoal_query_is_marked (message->query));
}

static void
check_leaf_ping (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_PING, 4, 0);
  g_assert_nonnull (message->ping->ggep);
  g_assert_nonnull (shoal_ggep_find (message->ping->ggep, "SCP"));
}

static void
check_probe_ping (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_PING, 1, 0);
  g_assert_cmpuint (message->header.payload_length, ==, 0);
  assert_guid (&message->header.guid, "95190f52a44fbc93fffbdf0dfbc5c700");
}

static void
assert_pong_from_a (const ShoalMessage *message)
{
  guint32 vendor;
  guint8 version;
  ShoalPongUltrapeer ultrapeer;

  g_assert_cmphex (message->pong->endpoint.address, ==, ULTRAPEER_A_ADDRESS);
  g_assert_cmpuint (message->pong->endpoint.port, ==, ULTRAPEER_A_PORT);
  g_assert_true (shoal_pong_get_vendor (message->pong, &vendor, &version, NULL));
  g_assert_cmphex (vendor, ==, SHOAL_VENDOR_GTKG);
  g_assert_true (shoal_pong_get_ultrapeer (message->pong, &ultrapeer, NULL));
}

static void
check_pong_to_probe (const ShoalMessage *message)
{
  /* The keep-alive pong answers with the ping's own GUID. */
  assert_header (message, SHOAL_MESSAGE_PONG, 1, 0);
  assert_guid (&message->header.guid, "95190f52a44fbc93fffbdf0dfbc5c700");
  assert_pong_from_a (message);
}

static void
check_pong_to_leaf (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_PONG, 1, 0);
  assert_guid (&message->header.guid, "126b310281b8c975ff7fb922e746c203");
  assert_pong_from_a (message);
}

static void
check_qrp_reset (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QRP, 1, 0);
  g_assert_cmpuint (message->qrp->variant, ==, SHOAL_QRP_VARIANT_RESET);
  g_assert_cmpuint (message->qrp->reset.table_length, ==, 16384);
  g_assert_cmpuint (message->qrp->reset.infinity, ==, SHOAL_QRP_GTKG_INFINITY);
}

static void
check_qrp_patch (const ShoalMessage *message)
{
  assert_header (message, SHOAL_MESSAGE_QRP, 1, 0);
  g_assert_cmpuint (message->qrp->variant, ==, SHOAL_QRP_VARIANT_PATCH);
  g_assert_cmpuint (message->qrp->patch.seq_number, ==, 1);
  g_assert_cmpuint (message->qrp->patch.seq_size, ==, 1);
  g_assert_cmpuint (message->qrp->patch.compressor, ==, SHOAL_QRP_COMPRESSOR_ZLIB);
  g_assert_cmpuint (message->qrp->patch.entry_bits, ==, 4);
}

static void
check_messages_supported (const ShoalMessage *message)
{
  g_autoptr(ShoalVendorMessagesSupported) supported = NULL;

  assert_header (message, SHOAL_MESSAGE_VENDOR, 1, 0);
  supported = shoal_vendor_messages_supported_parse (message->vendor, NULL);
  g_assert_nonnull (supported);
  g_assert_cmpuint (supported->types->len, ==, 26);
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_BEAR,
                                                           SHOAL_VENDOR_HOPS_FLOW, 1));
  g_assert_true (shoal_vendor_messages_supported_contains (supported, SHOAL_VENDOR_LIME,
                                                           SHOAL_VENDOR_PUSH_PROXY_REQUEST, 2));
}

static void
check_features_supported (const ShoalMessage *message)
{
  g_autoptr(ShoalVendorFeaturesSupported) supported = NULL;
  guint16 version = 0;

  assert_header (message, SHOAL_MESSAGE_VENDOR, 1, 0);
  supported = shoal_vendor_features_supported_parse (message->vendor, NULL);
  g_assert_nonnull (supported);
  g_assert_true (shoal_vendor_features_supported_find (supported,
                                                       SHOAL_VENDOR_CODE ('H', 'S', 'E', 'P'),
                                                       &version));
  g_assert_cmpuint (version, ==, 1);
}

static void
check_hsep (const ShoalMessage *message)
{
  /* HSEP (0xCD) has no codec: it parses as a header and raw payload. */
  assert_header (message, SHOAL_MESSAGE_HSEP, 1, 0);
  g_assert_cmpuint (g_bytes_get_size (message->payload), ==, 24);
  g_assert_null (message->vendor);
}

typedef struct
{
  const char *relative;
  void      (*check) (const ShoalMessage *message);
  gboolean    seen;
} NamedCheck;

static NamedCheck named_checks[] = {
  { "queryhit_gtkg_leaf_obsidian_to_up.bin", check_obsidian_hit_from_leaf },
  { "queryhit_gtkg_up_forwarded_obsidian_to_leaf.bin", check_obsidian_hit_forwarded },
  { "queryhit_marmalade_via_up_to_probe.bin", check_marmalade_hit },
  { "probe-session/rx_03_QUERYHIT.bin", check_probe_zebrafish_hit },
  { "browse-host/browse_rx_00_QUERYHIT.bin", check_browse_host_hit },
  { "query_gtkg_originated_obsidian_leaf_to_up.bin", check_obsidian_query_from_leaf },
  { "query_gtkg_up_forwarded_obsidian_to_leaf.bin", check_obsidian_query_forwarded },
  { "query_gtkg_originated_zebrafish_leaf_to_up_FWbit.bin", check_zebrafish_query_firewalled },
  { "query_probe_marmalade.bin", check_probe_marmalade_query },
  { "ping_gtkg_leaf_ttl4_with_ggep.bin", check_leaf_ping },
  { "ping_probe_ttl1_empty.bin", check_probe_ping },
  { "pong_gtkg_up_reply_to_probe_ping_ttl1.bin", check_pong_to_probe },
  { "pong_gtkg_up_reply_to_leaf.bin", check_pong_to_leaf },
  { "qrp_reset_gtkg_leaf.bin", check_qrp_reset },
  { "qrp_patch_gtkg_leaf.bin", check_qrp_patch },
  { "vendor_messages_supported_gtkg_up.bin", check_messages_supported },
  { "vendor_features_supported_gtkg_up.bin", check_features_supported },
  { "hsep_gtkg_leaf.bin", check_hsep },
};

void
interop_check_named_fields (const char         *relative,
                            const ShoalMessage *message)
{
  for (guint i = 0; i < G_N_ELEMENTS (named_checks); i++)
    if (g_str_equal (named_checks[i].relative, relative))
      {
        named_checks[i].check (message);
        named_checks[i].seen = TRUE;
      }
}

void
interop_check_all_named_files_seen (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (named_checks); i++)
    if (!named_checks[i].seen)
      g_error ("vector %s was not met by the walk", named_checks[i].relative);
}

/* Handshakes: what the README says each side sent. */
void
interop_check_header_block (const char             *where,
                            const ShoalHeaderBlock *block)
{
  if (g_str_has_prefix (where, "handshake_gtkg_leaf_to_gtkg_up_noTLS.txt section 1 "))
    {
      g_assert_cmpint (block->kind, ==, SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT);
      g_assert_cmpstr (shoal_header_block_get (block, "X-Ultrapeer"), ==, "False");
      g_assert_cmpstr (shoal_header_block_get (block, "GUID"), ==, LEAF_B_SERVENT_GUID);
      g_assert_cmpstr (shoal_header_block_get (block, "Accept-Encoding"), ==, "deflate");
    }
  else if (g_str_has_prefix (where, "handshake_gtkg_leaf_to_gtkg_up_noTLS.txt section 2 "))
    {
      g_assert_cmpuint (block->status_code, ==, 200);
      g_assert_cmpstr (shoal_header_block_get (block, "X-Ultrapeer"), ==, "True");
      g_assert_cmpstr (shoal_header_block_get (block, "X-Degree"), ==, "46");
      g_assert_cmpstr (shoal_header_block_get (block, "Content-Encoding"), ==, "deflate");
    }
  else if (g_str_has_prefix (where, "handshake_probe_no_deflate_refused_403.txt section 2 "))
    {
      g_assert_cmpuint (block->status_code, ==, 403);
      g_assert_cmpstr (block->reason, ==, "Gnet connection not compressed");
    }
  else if (g_str_has_prefix (where, "http_download_headers_full_range.txt section 2 "))
    {
      g_assert_cmpint (block->kind, ==, SHOAL_HEADER_BLOCK_HTTP_STATUS);
      g_assert_cmpuint (block->status_code, ==, 206);
      g_assert_cmpstr (shoal_header_block_get (block, "Content-Range"), ==, "bytes 0-524287/5242880");
      g_assert_cmpstr (shoal_header_block_get (block, "X-Gnutella-Content-URN"), ==,
                       "urn:sha1:NCFDABXK7UOP4QXTSYZFUATLV2GMHUR4");
    }
}
