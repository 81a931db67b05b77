/* message-json.c — a decoded message as a JSON object, every field by name. */
#include "message-json.h"

#include "shoal-base32.h"
#include "shoal-bytes.h"
#include "shoal-urn.h"

#include <string.h>

/* Helpers ---------------------------------------------------------------- */

static void
add_hex (JsonBuilder  *builder,
         const char   *member,
         const guint8 *data,
         gsize         length)
{
  g_autofree char *hex = shoal_bytes_to_hex (data, length);

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, hex);
}

static void
add_bytes_hex (JsonBuilder *builder,
               const char  *member,
               GBytes      *bytes)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  add_hex (builder, member, data, length);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *member,
             gboolean     value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

/* Text that is valid UTF-8 goes out as text, anything else as hex, so the
 * JSON stays valid whatever a peer put on the wire. */
static void
add_wire_text (JsonBuilder  *builder,
               const char   *member,
               const guint8 *data,
               gsize         length)
{
  if (g_utf8_validate ((const char *) data, (gssize) length, NULL) &&
      memchr (data, 0, length) == NULL)
    {
      g_autofree char *text = g_strndup ((const char *) data, length);

      add_string (builder, member, text);
    }
  else
    {
      g_autofree char *hex_member = g_strconcat (member, "_hex", NULL);

      add_hex (builder, hex_member, data, length);
    }
}

static void
add_guid (JsonBuilder     *builder,
          const char      *member,
          const ShoalGuid *guid)
{
  g_autofree char *hex = shoal_guid_to_hex (guid);

  add_string (builder, member, hex);
}

static void
add_address (JsonBuilder             *builder,
             const ShoalIpv4Endpoint *endpoint)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];
  ShoalIpv4Endpoint address_only = { endpoint->address, 0 };

  add_string (builder, "address", shoal_ipv4_endpoint_format (&address_only, FALSE, text));
  add_int (builder, "port", endpoint->port);
}

static void
add_endpoints (JsonBuilder *builder,
               const char  *member,
               GArray      *endpoints)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < endpoints->len; i++)
    {
      char text[SHOAL_IPV4_ENDPOINT_STRLEN];

      json_builder_add_string_value (builder,
                                     shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, i),
                                                                 TRUE, text));
    }
  json_builder_end_array (builder);
}

static void
add_vendor_code (JsonBuilder *builder,
                 const char  *member,
                 guint32      code)
{
  char text[SHOAL_VENDOR_CODE_STRLEN];

  shoal_vendor_code_format (code, text);
  add_wire_text (builder, member, (const guint8 *) text, strlen (text));
}

/* A decode error inside an otherwise valid message (a GGEP value of the
 * wrong size) is shown beside the field rather than failing the message. */
static void
add_field_error (JsonBuilder *builder,
                 const char  *member,
                 GError      *error)
{
  g_autofree char *error_member = g_strconcat (member, "_error", NULL);

  add_string (builder, error_member, error->message);
}

/* GGEP and extension areas -------------------------------------------------- */

static void
add_ggep (JsonBuilder     *builder,
          const char      *member,
          const ShoalGgep *ggep)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; ggep != NULL && i < shoal_ggep_count (ggep); i++)
    {
      const ShoalGgepExtension *extension = shoal_ggep_get (ggep, i);

      json_builder_begin_object (builder);
      add_string (builder, "id", extension->id);
      add_boolean (builder, "cobs", (extension->encoding & SHOAL_GGEP_ENCODING_COBS) != 0);
      add_boolean (builder, "deflate", (extension->encoding & SHOAL_GGEP_ENCODING_DEFLATE) != 0);
      add_int (builder, "length", (gint64) g_bytes_get_size (extension->data));
      add_bytes_hex (builder, "data_hex", extension->data);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_extensions (JsonBuilder           *builder,
                const ShoalExtensions *extensions)
{
  g_autoptr(GPtrArray) sha1s = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  json_builder_set_member_name (builder, "extensions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < extensions->items->len; i++)
    {
      const ShoalExtensionItem *item = g_ptr_array_index (extensions->items, i);

      json_builder_begin_object (builder);
      if (item->kind == SHOAL_EXTENSION_TEXT)
        {
          gsize length;
          const guint8 *text = g_bytes_get_data (item->text, &length);

          add_wire_text (builder, "text", text, length);
        }
      else
        add_ggep (builder, "ggep", item->ggep);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  shoal_extensions_collect_sha1 (extensions, sha1s);
  json_builder_set_member_name (builder, "sha1");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sha1s->len; i++)
    {
      g_autofree char *urn = shoal_urn_format_sha1 (g_bytes_get_data (g_ptr_array_index (sha1s, i), NULL));

      json_builder_add_string_value (builder, urn);
    }
  json_builder_end_array (builder);
}

/* Message types --------------------------------------------------------------- */

static void
add_ping (JsonBuilder     *builder,
          const ShoalPing *ping)
{
  add_ggep (builder, "ggep", ping->ggep);
}

static void
add_pong_ggep_fields (JsonBuilder     *builder,
                      const ShoalPong *pong)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) hosts = NULL;
  g_autofree char *locale = NULL;
  ShoalPongUltrapeer ultrapeer;
  guint32 uptime, vendor;
  guint8 version;

  if (pong->ggep == NULL)
    return;
#define OPTIONAL(member, call)                                  \
  if (shoal_ggep_find (pong->ggep, member) != NULL && !(call))  \
    {                                                           \
      add_field_error (builder, member, error);                 \
      g_clear_error (&error);                                   \
    }                                                           \
  else if (shoal_ggep_find (pong->ggep, member) != NULL)
  OPTIONAL ("DU", shoal_pong_get_daily_uptime (pong, &uptime, &error))
    add_int (builder, "daily_uptime", uptime);
  OPTIONAL ("UP", shoal_pong_get_ultrapeer (pong, &ultrapeer, &error))
    {
      json_builder_set_member_name (builder, "ultrapeer");
      json_builder_begin_object (builder);
      add_int (builder, "qrp_version", ultrapeer.version);
      add_int (builder, "free_leaf_slots", ultrapeer.free_leaf_slots);
      add_int (builder, "free_ultrapeer_slots", ultrapeer.free_ultrapeer_slots);
      json_builder_end_object (builder);
    }
  OPTIONAL ("VC", shoal_pong_get_vendor (pong, &vendor, &version, &error))
    {
      add_vendor_code (builder, "vendor", vendor);
      add_int (builder, "vendor_version", version);
    }
  OPTIONAL ("LOC", shoal_pong_get_locale (pong, &locale, &error))
    add_string (builder, "locale", locale);
  OPTIONAL ("GUE", shoal_pong_get_guess (pong, &version, &error))
    add_int (builder, "guess_version", version);
  OPTIONAL ("IPP", shoal_pong_get_packed_hosts (pong, &hosts, &error))
    add_endpoints (builder, "packed_hosts", hosts);
#undef OPTIONAL
}

static void
add_pong (JsonBuilder     *builder,
          const ShoalPong *pong)
{
  add_address (builder, &pong->endpoint);
  add_int (builder, "files", pong->files);
  add_int (builder, "kbytes", pong->kbytes);
  add_pong_ggep_fields (builder, pong);
  add_ggep (builder, "ggep", pong->ggep);
}

static void
add_bye (JsonBuilder    *builder,
         const ShoalBye *bye)
{
  add_int (builder, "code", bye->code);
  add_wire_text (builder, "reason", (const guint8 *) bye->reason, strlen (bye->reason));
  add_wire_text (builder, "text", (const guint8 *) bye->text, strlen (bye->text));
  add_boolean (builder, "terminated", bye->terminated);
}

static void
add_push (JsonBuilder     *builder,
          const ShoalPush *push)
{
  add_guid (builder, "servent_guid", &push->servent_guid);
  add_int (builder, "file_index", push->file_index);
  add_address (builder, &push->endpoint);
  add_ggep (builder, "ggep", push->ggep);
}

static void
add_qrp (JsonBuilder           *builder,
         const ShoalQrpMessage *qrp)
{
  if (qrp->variant == SHOAL_QRP_VARIANT_RESET)
    {
      add_string (builder, "variant", "reset");
      add_int (builder, "table_length", qrp->reset.table_length);
      add_int (builder, "infinity", qrp->reset.infinity);
      return;
    }
  add_string (builder, "variant", "patch");
  add_int (builder, "seq_number", qrp->patch.seq_number);
  add_int (builder, "seq_size", qrp->patch.seq_size);
  add_string (builder, "compressor",
              qrp->patch.compressor == SHOAL_QRP_COMPRESSOR_ZLIB ? "zlib" :
              qrp->patch.compressor == SHOAL_QRP_COMPRESSOR_NONE ? "none" : "unknown");
  add_int (builder, "entry_bits", qrp->patch.entry_bits);
  add_int (builder, "data_length", (gint64) qrp->patch.data_length);
}

static void
add_vendor_types (JsonBuilder                        *builder,
                  const ShoalVendorMessagesSupported *supported)
{
  json_builder_set_member_name (builder, "messages_supported");
  json_builder_begin_array (builder);
  for (guint i = 0; i < supported->types->len; i++)
    {
      const ShoalVendorType *type = &g_array_index (supported->types, ShoalVendorType, i);

      json_builder_begin_object (builder);
      add_vendor_code (builder, "vendor", type->vendor);
      add_int (builder, "selector", type->selector);
      add_int (builder, "version", type->version);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_vendor_features (JsonBuilder                        *builder,
                     const ShoalVendorFeaturesSupported *supported)
{
  json_builder_set_member_name (builder, "features_supported");
  json_builder_begin_array (builder);
  for (guint i = 0; i < supported->features->len; i++)
    {
      const ShoalVendorFeature *feature = &g_array_index (supported->features, ShoalVendorFeature, i);

      json_builder_begin_object (builder);
      add_vendor_code (builder, "name", feature->name);
      add_int (builder, "version", feature->version);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* The bodies we know get their fields; the rest stay as hex. */
static gboolean
add_vendor_body (JsonBuilder              *builder,
                 const ShoalVendorMessage *vendor,
                 GError                  **error)
{
  const ShoalVendorType *type = &vendor->type;
  ShoalIpv4Endpoint proxy;
  guint16 value;
  guint8 hops;

  if (shoal_vendor_message_is (vendor, SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_MESSAGES_SUPPORTED))
    {
      g_autoptr(ShoalVendorMessagesSupported) supported =
        shoal_vendor_messages_supported_parse (vendor, error);

      if (supported != NULL)
        add_vendor_types (builder, supported);
      return supported != NULL;
    }
  if (shoal_vendor_message_is (vendor, SHOAL_VENDOR_STANDARD, SHOAL_VENDOR_FEATURES_SUPPORTED))
    {
      g_autoptr(ShoalVendorFeaturesSupported) supported =
        shoal_vendor_features_supported_parse (vendor, error);

      if (supported != NULL)
        add_vendor_features (builder, supported);
      return supported != NULL;
    }
  if (type->vendor == SHOAL_VENDOR_BEAR && type->selector == SHOAL_VENDOR_HOPS_FLOW)
    {
      if (!shoal_vendor_hops_flow_parse (vendor, &hops, error))
        return FALSE;
      add_int (builder, "max_hops", hops);
      return TRUE;
    }
  if (type->vendor == SHOAL_VENDOR_BEAR && type->selector == SHOAL_VENDOR_TCP_CONNECT_BACK)
    {
      if (!shoal_vendor_tcp_connect_back_parse (vendor, &value, error))
        return FALSE;
      add_int (builder, "connect_back_port", value);
      return TRUE;
    }
  if (type->vendor == SHOAL_VENDOR_BEAR && type->selector == SHOAL_VENDOR_QUERY_STATUS_RESPONSE)
    {
      if (!shoal_vendor_query_status_response_parse (vendor, &value, error))
        return FALSE;
      add_int (builder, "hits", value);
      return TRUE;
    }
  if (type->vendor == SHOAL_VENDOR_LIME && type->selector == SHOAL_VENDOR_PUSH_PROXY_ACK)
    {
      if (!shoal_vendor_push_proxy_ack_parse (vendor, &proxy, error))
        return FALSE;
      add_address (builder, &proxy);
      return TRUE;
    }
  return TRUE;
}

static void
add_vendor (JsonBuilder              *builder,
            const ShoalVendorMessage *vendor)
{
  g_autoptr(GError) error = NULL;

  add_vendor_code (builder, "vendor", vendor->type.vendor);
  add_int (builder, "selector", vendor->type.selector);
  add_int (builder, "version", vendor->type.version);
  add_bytes_hex (builder, "body_hex", vendor->body);
  if (!add_vendor_body (builder, vendor, &error))
    add_field_error (builder, "body", error);
}

static void
add_query_flag_names (JsonBuilder      *builder,
                      const ShoalQuery *query)
{
  static const struct { guint16 flag; const char *name; } names[] = {
    { SHOAL_QUERY_FLAG_FIREWALLED, "firewalled" },
    { SHOAL_QUERY_FLAG_XML, "xml" },
    { SHOAL_QUERY_FLAG_LEAF_GUIDED, "leaf-guided" },
    { SHOAL_QUERY_FLAG_GGEP_H, "ggep-h" },
    { SHOAL_QUERY_FLAG_OOB, "out-of-band" },
    { SHOAL_QUERY_FLAG_FW2FW, "firewall-to-firewall" },
    { SHOAL_QUERY_FLAG_SEMI_RELIABLE_UDP, "semi-reliable-udp" },
  };

  json_builder_set_member_name (builder, "flag_names");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (shoal_query_has_flag (query, names[i].flag))
      json_builder_add_string_value (builder, names[i].name);
  json_builder_end_array (builder);
}

static void
add_query (JsonBuilder      *builder,
           const ShoalQuery *query)
{
  g_autofree char *flags = g_strdup_printf ("0x%04x", query->flags);

  add_string (builder, "flags", flags);
  add_boolean (builder, "flags_marked", shoal_query_is_marked (query));
  add_query_flag_names (builder, query);
  add_int (builder, "max_hits", shoal_query_max_hits (query));
  add_string (builder, "text", query->text);
  add_boolean (builder, "wants_urns", shoal_query_wants_urns (query));
  add_extensions (builder, query->extensions);
}

static void
add_record (JsonBuilder               *builder,
            const ShoalQueryHitRecord *record)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) alts = NULL;
  guint8 tth[SHOAL_TTH_SIZE];
  guint64 file_size;

  json_builder_begin_object (builder);
  add_int (builder, "index", record->index);
  add_int (builder, "size", record->size);
  if (shoal_query_hit_record_get_file_size (record, &file_size, &error))
    add_int (builder, "file_size", (gint64) file_size);
  else
    add_field_error (builder, "file_size", error);
  g_clear_error (&error);
  add_wire_text (builder, "name", (const guint8 *) record->name, strlen (record->name));
  if (shoal_query_hit_record_get_tth (record, tth))
    {
      g_autofree char *base32 = shoal_base32_encode (tth, sizeof tth);

      add_string (builder, "tth", base32);
    }
  alts = shoal_query_hit_record_get_alt_locations (record, &error);
  if (alts != NULL && alts->len > 0)
    add_endpoints (builder, "alt_locations", alts);
  else if (alts == NULL)
    add_field_error (builder, "alt_locations", error);
  add_extensions (builder, record->extensions);
  json_builder_end_object (builder);
}

static void
add_trailer_flags (JsonBuilder                *builder,
                   const ShoalQueryHitTrailer *trailer)
{
  json_builder_set_member_name (builder, "flags");
  json_builder_begin_object (builder);
  add_boolean (builder, "push", shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_PUSH));
  add_boolean (builder, "busy", shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_BUSY));
  add_boolean (builder, "uploaded", shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_UPLOADED));
  add_boolean (builder, "measured_speed",
               shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_MEASURED_SPEED));
  add_boolean (builder, "ggep", shoal_query_hit_trailer_has_flag (trailer, SHOAL_QUERY_HIT_FLAG_GGEP));
  json_builder_end_object (builder);
}

static void
add_trailer (JsonBuilder                *builder,
             const ShoalQueryHitTrailer *trailer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) proxies = NULL;

  json_builder_set_member_name (builder, "trailer");
  if (trailer == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  add_wire_text (builder, "vendor", (const guint8 *) trailer->vendor, strlen (trailer->vendor));
  add_bytes_hex (builder, "open_data_hex", trailer->open_data);
  add_trailer_flags (builder, trailer);
  add_boolean (builder, "browsable", shoal_query_hit_trailer_is_browsable (trailer));
  proxies = shoal_query_hit_trailer_get_push_proxies (trailer, &error);
  if (proxies != NULL)
    add_endpoints (builder, "push_proxies", proxies);
  else
    add_field_error (builder, "push_proxies", error);
  add_bytes_hex (builder, "private_data_hex", trailer->private_data);
  add_ggep (builder, "ggep", trailer->ggep);
  json_builder_end_object (builder);
}

static void
add_query_hit (JsonBuilder         *builder,
               const ShoalQueryHit *hit)
{
  add_address (builder, &hit->endpoint);
  add_int (builder, "speed", hit->speed);
  add_int (builder, "record_count", hit->records->len);
  json_builder_set_member_name (builder, "records");
  json_builder_begin_array (builder);
  for (guint i = 0; i < hit->records->len; i++)
    add_record (builder, g_ptr_array_index (hit->records, i));
  json_builder_end_array (builder);
  add_trailer (builder, hit->trailer);
  add_guid (builder, "servent_guid", &hit->servent_guid);
}

/* The whole message ------------------------------------------------------------ */

static void
add_body (JsonBuilder        *builder,
          const ShoalMessage *message)
{
  const char *type = shoal_message_type_to_string (message->header.type);
  g_autofree char *member = g_strdelimit (g_strdup (type ? type : "payload"), "-", '_');

  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  if (message->ping != NULL)
    add_ping (builder, message->ping);
  else if (message->pong != NULL)
    add_pong (builder, message->pong);
  else if (message->bye != NULL)
    add_bye (builder, message->bye);
  else if (message->push != NULL)
    add_push (builder, message->push);
  else if (message->qrp != NULL)
    add_qrp (builder, message->qrp);
  else if (message->vendor != NULL)
    add_vendor (builder, message->vendor);
  else if (message->query != NULL)
    add_query (builder, message->query);
  else if (message->query_hit != NULL)
    add_query_hit (builder, message->query_hit);
  else
    add_bytes_hex (builder, "data_hex", message->payload);
  json_builder_end_object (builder);
}

JsonNode *
message_to_json (const ShoalMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *type = shoal_message_type_to_string (message->header.type);

  json_builder_begin_object (builder);
  add_string (builder, "type", type ? type : "unknown");
  add_int (builder, "type_code", message->header.type);
  add_guid (builder, "guid", &message->header.guid);
  add_int (builder, "ttl", message->header.ttl);
  add_int (builder, "hops", message->header.hops);
  add_int (builder, "payload_length", message->header.payload_length);
  add_body (builder, message);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
