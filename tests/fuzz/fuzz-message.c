/* fuzz-message.c — libFuzzer target: one whole message (header + payload),
 * decoded by its type, every accessor read, and written back: a message
 * that parses must write back to exactly its own bytes. */
#include "shoal-message.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
read_pong (const ShoalPong *pong)
{
  g_autoptr(GArray) hosts = NULL;
  g_autofree char *locale = NULL;
  ShoalPongUltrapeer ultrapeer;
  guint32 uptime, vendor;
  guint8 version;

  shoal_pong_get_daily_uptime (pong, &uptime, NULL);
  shoal_pong_get_ultrapeer (pong, &ultrapeer, NULL);
  shoal_pong_get_vendor (pong, &vendor, &version, NULL);
  shoal_pong_get_locale (pong, &locale, NULL);
  shoal_pong_get_guess (pong, &version, NULL);
  shoal_pong_get_packed_hosts (pong, &hosts, NULL);
}

static void
read_query_hit (const ShoalQueryHit *hit)
{
  for (guint i = 0; i < hit->records->len; i++)
    {
      const ShoalQueryHitRecord *record = g_ptr_array_index (hit->records, i);
      g_autoptr(GArray) alts = NULL;
      guint8 sha1[SHOAL_SHA1_SIZE], tth[SHOAL_TTH_SIZE];
      guint64 size;

      shoal_query_hit_record_get_sha1 (record, sha1);
      shoal_query_hit_record_get_tth (record, tth);
      shoal_query_hit_record_get_file_size (record, &size, NULL);
      alts = shoal_query_hit_record_get_alt_locations (record, NULL);
    }
  if (hit->trailer != NULL)
    {
      GArray *proxies = shoal_query_hit_trailer_get_push_proxies (hit->trailer, NULL);
      GBytes *version = shoal_query_hit_trailer_get_gtkg_version (hit->trailer);
      gsize private_length = g_bytes_get_size (hit->trailer->private_data);

      /* Whatever the trailer holds, it cannot name more proxies than fit. */
      g_assert (proxies == NULL || proxies->len * SHOAL_IPV4_PACKED_SIZE <= private_length);
      g_clear_pointer (&proxies, g_array_unref);
      g_free (shoal_query_hit_trailer_get_hostname (hit->trailer));
      g_assert (version == NULL || g_bytes_get_size (version) <= private_length);
      g_clear_pointer (&version, g_bytes_unref);
      shoal_query_hit_trailer_is_browsable (hit->trailer);
    }
}

static void
read_vendor (const ShoalVendorMessage *vendor)
{
  gsize body_length = g_bytes_get_size (vendor->body);
  ShoalVendorMessagesSupported *messages = shoal_vendor_messages_supported_parse (vendor, NULL);
  ShoalVendorFeaturesSupported *features = shoal_vendor_features_supported_parse (vendor, NULL);
  ShoalIpv4Endpoint proxy;
  ShoalGuid guid;
  gboolean has_guid;
  guint16 value;
  guint8 hops;

  /* A count that lies about the body must have been refused. */
  g_assert (messages == NULL || messages->types->len * 8u <= body_length);
  g_assert (features == NULL || features->features->len * 6u <= body_length);
  g_clear_pointer (&messages, shoal_vendor_messages_supported_free);
  g_clear_pointer (&features, shoal_vendor_features_supported_free);
  shoal_vendor_hops_flow_parse (vendor, &hops, NULL);
  shoal_vendor_tcp_connect_back_parse (vendor, &value, NULL);
  shoal_vendor_query_status_response_parse (vendor, &value, NULL);
  shoal_vendor_push_proxy_ack_parse (vendor, &proxy, NULL);
  shoal_vendor_udp_connect_back_parse (vendor, &value, &guid, &has_guid, NULL);
}

static void
read_query (const ShoalQuery *query)
{
  g_autoptr(GPtrArray) sha1s = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  shoal_extensions_collect_sha1 (query->extensions, sha1s);
  shoal_query_wants_urns (query);
  shoal_query_max_hits (query);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ShoalMessage) message = shoal_message_parse (data, size, NULL);
  g_autoptr(GBytes) written = NULL;

  if (message == NULL)
    return 0;
  if (message->pong != NULL)
    read_pong (message->pong);
  if (message->query_hit != NULL)
    read_query_hit (message->query_hit);
  if (message->vendor != NULL)
    read_vendor (message->vendor);
  if (message->query != NULL)
    read_query (message->query);

  written = shoal_message_write (message, NULL);
  g_assert (written != NULL);
  g_assert (g_bytes_get_size (written) == size);
  g_assert (memcmp (g_bytes_get_data (written, NULL), data, size) == 0);
  return 0;
}
