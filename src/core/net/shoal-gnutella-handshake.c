/* shoal-gnutella-handshake.c — the Gnutella 0.6 three-step handshake, as
 * gtk-gnutella speaks it (protocol reference §2). */
#include "shoal-gnutella-handshake.h"

#include "shoal-listener.h"

#include <string.h>

#define GNUTELLA_MAJOR 0
#define GNUTELLA_MINOR 6
/* Enough for a whole gtk-gnutella block (about 600 bytes) in one read. */
#define READ_CHUNK_SIZE 4096

#define STATUS_MIN 100
#define STATUS_MAX 999
#define STATUS_OK 200
/* gtk-gnutella answers 204 "Shielded leaf node" and means a refusal,
 * although it is a 2xx. */
#define STATUS_SHIELDED_LEAF 204
#define STATUS_BAD_REQUEST 400
#define STATUS_FORBIDDEN 403
#define STATUS_CONFLICT 409
#define STATUS_TOO_LARGE 413
#define STATUS_UNAVAILABLE 503
#define STATUS_QRP_UNSUPPORTED 505

/* Versions of the features we implement, as gtk-gnutella advertises them. */
#define PONG_CACHING_VERSION "0.1"
#define BYE_PACKET_VERSION "0.1"
#define GGEP_VERSION "0.5"
#define VENDOR_MESSAGE_VERSION "0.2"
#define ULTRAPEER_QRP_VERSION "0.1"
#define DYNAMIC_QUERYING_VERSION "0.1"
#define DEFLATE_TOKEN "deflate"

typedef enum
{
  PHASE_PEER_CONNECT,   /* incoming: reading the peer's step 1 */
  PHASE_OUR_ANSWER,     /* incoming: writing our step 2 */
  PHASE_PEER_ACK,       /* incoming: reading the peer's step 3 */
  PHASE_OUR_CONNECT,    /* outgoing: writing our step 1 */
  PHASE_PEER_ANSWER,    /* outgoing: reading the peer's step 2 */
  PHASE_OUR_ACK,        /* outgoing: writing our step 3 */
} Phase;

typedef struct
{
  GIOStream            *stream;
  Phase                 phase;
  ShoalHandshakePolicy  policy;
  ShoalNodeState        state;
  ShoalIpv4Endpoint     remote;
  ShoalPeerRole         our_role;          /* on this link */
  GByteArray           *input;             /* read, not parsed yet */
  guint8                chunk[READ_CHUNK_SIZE];
  GBytes               *output;            /* what is being written */
  GCancellable         *cancellable;       /* the caller's, and our timeout */
  GCancellable         *caller_cancellable;
  gulong                caller_handler;
  GSource              *timeout;
  guint                 timeout_ms;
  gboolean              timed_out;
  ShoalHandshakeResult *result;
} Handshake;

typedef enum
{
  CLAIM_NONE,        /* a legacy "normal" node */
  CLAIM_LEAF,
  CLAIM_ULTRAPEER,
} RoleClaim;

/* Results and verdicts ---------------------------------------------------- */

static ShoalHandshakeResult *
result_new (void)
{
  ShoalHandshakeResult *result = g_new0 (ShoalHandshakeResult, 1);

  result->peer_blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_header_block_free);
  result->try_hosts = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
  return result;
}

void
shoal_handshake_result_free (ShoalHandshakeResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->peer_blocks);
  g_free (result->user_agent);
  g_array_unref (result->try_hosts);
  g_clear_pointer (&result->leftover, g_bytes_unref);
  g_free (result->refusal_reason);
  g_free (result);
}

ShoalHandshakeVerdict
shoal_handshake_verdict_accept (ShoalHandshakeDecision decision)
{
  ShoalHandshakeVerdict verdict = { .decision = decision };

  g_return_val_if_fail (decision != SHOAL_HANDSHAKE_REFUSE, verdict);
  return verdict;
}

ShoalHandshakeVerdict
shoal_handshake_verdict_refuse (guint16     code,
                                const char *format,
                                ...)
{
  ShoalHandshakeVerdict verdict = { .decision = SHOAL_HANDSHAKE_REFUSE };
  va_list args;

  g_return_val_if_fail (code >= STATUS_MIN && code <= STATUS_MAX, verdict);

  verdict.code = code;
  va_start (args, format);
  g_vsnprintf (verdict.reason, sizeof verdict.reason, format, args);
  va_end (args);
  return verdict;
}

/* Reading header values ---------------------------------------------------- */

/* Whether the comma list @value names @token (any case, parameters such as
 * ";q=1" ignored): Accept-Encoding, Content-Encoding. */
static gboolean
value_has_token (const char *value,
                 const char *token)
{
  g_auto(GStrv) items = NULL;

  if (value == NULL)
    return FALSE;
  items = g_strsplit (value, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = items[i];
      char *parameters = strchr (item, ';');

      if (parameters != NULL)
        *parameters = '\0';
      if (g_ascii_strcasecmp (g_strstrip (item), token) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
headers_have_token (const ShoalHeaderBlock *headers,
                    const char             *name,
                    const char             *token)
{
  return value_has_token (shoal_header_block_get (headers, name), token);
}

static gboolean
read_boolean (const ShoalHeaderBlock *headers,
              const char             *name,
              gboolean               *result)
{
  const char *value = shoal_header_block_get (headers, name);

  return value != NULL &&
         shoal_header_value_parse_boolean (value, result, NULL);
}

/* A small number: X-Degree, X-Max-TTL. */
static gboolean
read_number (const ShoalHeaderBlock *headers,
             const char             *name,
             guint                   max,
             guint                  *number)
{
  const char *value = shoal_header_block_get (headers, name);
  g_autofree char *text = value != NULL ? g_strstrip (g_strdup (value)) : NULL;
  guint64 parsed;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, max, &parsed, NULL))
    return FALSE;
  *number = (guint) parsed;
  return TRUE;
}

static RoleClaim
read_role_claim (const ShoalHeaderBlock *headers)
{
  gboolean is_ultrapeer;

  if (shoal_header_block_get (headers, "X-Ultrapeer") != NULL)
    {
      if (!read_boolean (headers, "X-Ultrapeer", &is_ultrapeer))
        return CLAIM_NONE;
      return is_ultrapeer ? CLAIM_ULTRAPEER : CLAIM_LEAF;
    }
  /* BearShare 4.3 sends X-Ultrapeer-Needed and no X-Ultrapeer from its
   * ultrapeers; gtk-gnutella takes it as one. */
  if (shoal_header_block_get (headers, "X-Ultrapeer-Needed") != NULL)
    return CLAIM_ULTRAPEER;
  return CLAIM_NONE;
}

static gboolean
read_guid (const ShoalHeaderBlock *headers,
           ShoalGuid              *guid)
{
  const char *value = shoal_header_block_get (headers, "GUID");

  return value != NULL && shoal_guid_from_hex (value, -1, guid, NULL);
}

static gboolean
read_query_routing (const ShoalHeaderBlock *headers,
                    ShoalProtocolVersion   *version)
{
  const char *value = shoal_header_block_get (headers, "X-Query-Routing");

  return value != NULL &&
         shoal_header_value_parse_version (value, version, NULL);
}

static gboolean
query_routing_supported (const ShoalProtocolVersion *version)
{
  guint32 theirs = (guint32) version->major << 16 | version->minor;

  return theirs <= ((guint32) SHOAL_HANDSHAKE_QRP_MAJOR << 16 | SHOAL_HANDSHAKE_QRP_MINOR);
}

/* What gtk-gnutella calls a modern ultrapeer: one a leaf can rely on for
 * dynamic querying. */
static gboolean
is_modern_ultrapeer (const ShoalHeaderBlock *headers)
{
  guint degree;

  return read_number (headers, "X-Degree", G_MAXUINT, &degree) &&
         degree >= SHOAL_HANDSHAKE_MIN_ULTRAPEER_DEGREE &&
         shoal_header_block_get (headers, "X-Dynamic-Querying") != NULL;
}

/* The first IPv4 endpoint with a port in @name's value. */
static gboolean
read_endpoint (const ShoalHeaderBlock *headers,
               const char             *name,
               ShoalIpv4Endpoint      *endpoint)
{
  const char *value = shoal_header_block_get (headers, name);
  g_autoptr(GArray) endpoints = NULL;

  if (value == NULL)
    return FALSE;
  endpoints = shoal_header_value_parse_endpoints (value, NULL);
  if (endpoints->len == 0)
    return FALSE;
  *endpoint = g_array_index (endpoints, ShoalIpv4Endpoint, 0);
  return TRUE;
}

static gboolean
read_address (const ShoalHeaderBlock *headers,
              const char             *name,
              ShoalIpv4Endpoint      *endpoint)
{
  const char *value = shoal_header_block_get (headers, name);

  return value != NULL &&
         shoal_ipv4_endpoint_parse (value, strlen (value), endpoint) &&
         endpoint->address != 0;
}

static void
append_try_hosts (GArray     *hosts,
                  const char *value)
{
  g_autoptr(GArray) offered = NULL;

  if (value == NULL)
    return;
  offered = shoal_header_value_parse_endpoints (value, NULL);
  g_array_append_vals (hosts, offered->data, offered->len);
}

/* What the peer says it does; a later block (its step 3) overrides. */
static void
read_features (ShoalHandshakeResult   *result,
               const ShoalHeaderBlock *block)
{
  guint number;
  gboolean needed;

  if (shoal_header_block_get (block, "X-Ultrapeer-Query-Routing") != NULL)
    result->last_hop_qrp = TRUE;
  if (read_number (block, "X-Max-TTL", G_MAXUINT8, &number))
    result->max_ttl = (guint8) number;
  if (read_number (block, "X-Degree", G_MAXUINT16, &number))
    result->degree = number;
  if (read_boolean (block, "X-Ultrapeer-Needed", &needed) && needed)
    result->ultrapeers_wanted = TRUE;
}

/* Everything a peer's block tells, whatever step and status it is. */
static void
learn_from_block (ShoalHandshakeResult   *result,
                  const ShoalHeaderBlock *block)
{
  const char *user_agent = shoal_header_block_get (block, "User-Agent");
  ShoalIpv4Endpoint address = { 0 };

  if (user_agent != NULL)
    {
      g_free (result->user_agent);
      result->user_agent = g_strdup (user_agent);
    }
  if (read_guid (block, &result->peer_guid))
    result->has_peer_guid = TRUE;
  /* gtk-gnutella's order of preference. */
  if (!read_endpoint (block, "Node", &result->peer_listen) &&
      !read_endpoint (block, "Listen-IP", &result->peer_listen))
    read_endpoint (block, "X-My-Address", &result->peer_listen);
  if (read_address (block, "Remote-IP", &address) ||
      read_address (block, "X-Remote-IP", &address))
    {
      result->our_address.address = address.address;
      result->our_address.port = 0;
    }
  append_try_hosts (result->try_hosts,
                    shoal_header_block_get (block, "X-Try-Ultrapeers"));
  append_try_hosts (result->try_hosts,
                    shoal_header_block_get (block, "X-Try"));
  read_query_routing (block, &result->query_routing);
  read_features (result, block);
}

/* The default judge --------------------------------------------------------- */

static ShoalHandshakeVerdict
judge_as_leaf (const ShoalNodeState   *state,
               const ShoalHeaderBlock *headers,
               RoleClaim               claim)
{
  if (claim == CLAIM_LEAF)
    return shoal_handshake_verdict_refuse (STATUS_UNAVAILABLE,
                                           "Shielded leaf node (%u ultrapeers max)",
                                           state->ultrapeer_slots);
  if (state->ultrapeer_links >= state->ultrapeer_slots)
    return shoal_handshake_verdict_refuse (STATUS_UNAVAILABLE,
                                           "Too many ultra connections (%u max)",
                                           state->ultrapeer_slots);
  if (!is_modern_ultrapeer (headers))
    return shoal_handshake_verdict_refuse (STATUS_FORBIDDEN,
                                           "High Outdegree and Dynamic Querying Required");
  return shoal_handshake_verdict_accept (SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER);
}

static ShoalHandshakeVerdict
judge_leaf_as_ultrapeer (const ShoalNodeState   *state,
                         const ShoalHeaderBlock *headers)
{
  /* gtk-gnutella's prefer_compressed_gnet: an uncompressed leaf costs
   * several times the bandwidth. */
  if (!headers_have_token (headers, "Accept-Encoding", DEFLATE_TOKEN))
    return shoal_handshake_verdict_refuse (STATUS_FORBIDDEN,
                                           "Gnet connection not compressed");
  if (state->leaf_links >= state->leaf_slots)
    return shoal_handshake_verdict_refuse (STATUS_UNAVAILABLE,
                                           "Too many leaf connections (%u max)",
                                           state->leaf_slots);
  return shoal_handshake_verdict_accept (SHOAL_HANDSHAKE_ACCEPT_LEAF);
}

static ShoalHandshakeVerdict
judge_as_ultrapeer (const ShoalNodeState   *state,
                    const ShoalHeaderBlock *headers,
                    RoleClaim               claim,
                    gboolean                incoming)
{
  gboolean needed;

  if (claim == CLAIM_LEAF)
    return judge_leaf_as_ultrapeer (state, headers);
  if (!incoming && read_boolean (headers, "X-Ultrapeer-Needed", &needed) &&
      !needed)
    {
      /* Becoming a leaf would cost our leaves their ultrapeer. */
      if (state->leaf_links > 0)
        return shoal_handshake_verdict_refuse (STATUS_FORBIDDEN,
                                               "Not becoming a leaf node");
      return shoal_handshake_verdict_accept (SHOAL_HANDSHAKE_ACCEPT_GUIDANCE);
    }
  if (state->ultrapeer_links < state->ultrapeer_slots)
    return shoal_handshake_verdict_accept (SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER);
  /* Our answer will say X-Ultrapeer-Needed: False: the peer may become
   * our leaf in its step 3. */
  if (incoming && state->leaf_links < state->leaf_slots)
    return shoal_handshake_verdict_accept (SHOAL_HANDSHAKE_ACCEPT_ULTRAPEER);
  return shoal_handshake_verdict_refuse (STATUS_UNAVAILABLE,
                                         "Too many ultra connections (%u max)",
                                         state->ultrapeer_slots);
}

ShoalHandshakeVerdict
shoal_handshake_judge_default (const ShoalNodeState   *state,
                               const ShoalHeaderBlock *peer_headers,
                               gboolean                incoming)
{
  ShoalProtocolVersion query_routing;
  ShoalGuid guid;
  RoleClaim claim;

  g_return_val_if_fail (state != NULL && peer_headers != NULL,
                        shoal_handshake_verdict_refuse (STATUS_FORBIDDEN, "Internal error"));

  if (read_guid (peer_headers, &guid) &&
      shoal_guid_equal (&guid, &state->servent_guid))
    return shoal_handshake_verdict_refuse (STATUS_CONFLICT,
                                           "Connection to self");
  claim = read_role_claim (peer_headers);
  if (claim == CLAIM_NONE)
    return shoal_handshake_verdict_refuse (STATUS_FORBIDDEN,
                                           "Normal nodes refused");
  if (read_query_routing (peer_headers, &query_routing) &&
      !query_routing_supported (&query_routing))
    return shoal_handshake_verdict_refuse (STATUS_QRP_UNSUPPORTED,
                                           "Query Routing protocol %u.%u not supported",
                                           query_routing.major,
                                           query_routing.minor);
  if (state->role == SHOAL_PEER_ROLE_LEAF)
    return judge_as_leaf (state, peer_headers, claim);
  return judge_as_ultrapeer (state, peer_headers, claim, incoming);
}

/* Writing our blocks -------------------------------------------------------- */

static const char * const week_days[] = {
  "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};
static const char * const months[] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* "Mon, 01 Apr 2024 12:00:03 +0000", in English whatever the locale. */
static char *
format_rfc822_date (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  if (time == NULL)
    return NULL;
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          week_days[g_date_time_get_day_of_week (time) - 1],
                          g_date_time_get_day_of_month (time),
                          months[g_date_time_get_month (time) - 1],
                          g_date_time_get_year (time),
                          g_date_time_get_hour (time),
                          g_date_time_get_minute (time),
                          g_date_time_get_second (time));
}

/* "a.b.c.d:port, …", as many of @endpoints (at most @max) as fit in a
 * header line named @name; "" when none. */
static char *
format_endpoint_list (const char *name,
                      GArray     *endpoints,
                      guint       max)
{
  /* "Name: " before, CR LF after. */
  gsize room = SHOAL_HEADER_MAX_LINE_LENGTH - strlen (name) - 4;
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; endpoints != NULL && i < endpoints->len && i < max; i++)
    {
      char text[SHOAL_IPV4_ENDPOINT_STRLEN];
      const char *separator = list->len > 0 ? ", " : "";

      shoal_ipv4_endpoint_format (&g_array_index (endpoints, ShoalIpv4Endpoint, i),
                                  TRUE, text);
      if (list->len + strlen (separator) + strlen (text) > room)
        break;
      g_string_append (list, separator);
      g_string_append (list, text);
    }
  return g_string_free (g_steal_pointer (&list), FALSE);
}

static void
add_try_hosts (ShoalHeaderBlock *block,
               Handshake        *hs)
{
  g_autoptr(GArray) hosts = NULL;
  g_autofree char *list = NULL;

  if (hs->policy.get_try_hosts == NULL)
    return;
  hosts = hs->policy.get_try_hosts (SHOAL_HANDSHAKE_MAX_TRY_HOSTS,
                                    hs->policy.user_data);
  list = format_endpoint_list ("X-Try-Ultrapeers", hosts,
                               SHOAL_HANDSHAKE_MAX_TRY_HOSTS);
  if (*list != '\0')
    shoal_header_block_add (block, "X-Try-Ultrapeers", list);
}

/* The peer's address as we see it; IPv6 peers have none in @hs->remote. */
static char *
format_remote_ip (Handshake *hs)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];
  g_autoptr(GSocketAddress) address = NULL;

  if (hs->remote.address != 0)
    {
      ShoalIpv4Endpoint host = { hs->remote.address, 0 };

      return g_strdup (shoal_ipv4_endpoint_format (&host, FALSE, text));
    }
  if (!G_IS_SOCKET_CONNECTION (hs->stream))
    return NULL;
  address = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (hs->stream), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

static void
add_remote_ip (ShoalHeaderBlock *block,
               Handshake        *hs)
{
  g_autofree char *remote_ip = format_remote_ip (hs);

  if (remote_ip != NULL)
    shoal_header_block_add (block, "Remote-IP", remote_ip);
}

static void
add_listen_address (ShoalHeaderBlock *block,
                    Handshake        *hs)
{
  char text[SHOAL_IPV4_ENDPOINT_STRLEN];

  if (hs->state.listen.address != 0 && hs->state.listen.port != 0)
    shoal_header_block_add (block, "Node",
                            shoal_ipv4_endpoint_format (&hs->state.listen,
                                                        TRUE, text));
}

static void
add_guid (ShoalHeaderBlock *block,
          Handshake        *hs)
{
  char text[SHOAL_GUID_HEX_LENGTH + 1];

  shoal_header_block_add (block, "GUID",
                          shoal_guid_format (&hs->state.servent_guid, text));
}

static void
add_live_since (ShoalHeaderBlock *block,
                Handshake        *hs)
{
  g_autofree char *date = NULL;

  if (hs->state.started_usec <= 0)
    return;
  date = format_rfc822_date (hs->state.started_usec);
  if (date != NULL)
    shoal_header_block_add (block, "X-Live-Since", date);
}

static void
add_boolean (ShoalHeaderBlock *block,
             const char       *name,
             gboolean          value)
{
  shoal_header_block_add (block, name, value ? "True" : "False");
}

static void
add_number (ShoalHeaderBlock *block,
            const char       *name,
            guint             value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_snprintf (text, sizeof text, "%u", value);
  shoal_header_block_add (block, name, text);
}

static void
add_version (ShoalHeaderBlock           *block,
             const char                 *name,
             const ShoalProtocolVersion *version)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_snprintf (text, sizeof text, "%u.%u", version->major, version->minor);
  shoal_header_block_add (block, name, text);
}

/* What an ultrapeer promises its peers; a leaf sends gtk-gnutella's fixed
 * values, which LimeWire ultrapeers want to see from a good leaf. */
static void
add_role_capabilities (ShoalHeaderBlock *block,
                       Handshake        *hs)
{
  gboolean ultrapeer = hs->our_role == SHOAL_PEER_ROLE_ULTRAPEER;

  shoal_header_block_add (block, "X-Ultrapeer-Query-Routing", ULTRAPEER_QRP_VERSION);
  add_number (block, "X-Degree",
              ultrapeer ? hs->state.ultrapeer_slots : SHOAL_HANDSHAKE_LEAF_DEGREE);
  add_number (block, "X-Max-TTL", SHOAL_HANDSHAKE_MAX_TTL);
  shoal_header_block_add (block, "X-Dynamic-Querying", DYNAMIC_QUERYING_VERSION);
}

/* X-Ultrapeer-Needed as gtk-gnutella words it: True while we want more
 * ultrapeer peers, False (leaf guidance) once those slots are full but
 * leaf slots remain, nothing when both are full. */
static void
add_ultrapeer_needed (ShoalHeaderBlock *block,
                      Handshake        *hs)
{
  if (hs->our_role != SHOAL_PEER_ROLE_ULTRAPEER)
    return;
  if (hs->state.ultrapeer_links < hs->state.ultrapeer_slots)
    add_boolean (block, "X-Ultrapeer-Needed", TRUE);
  else if (hs->state.leaf_links < hs->state.leaf_slots)
    add_boolean (block, "X-Ultrapeer-Needed", FALSE);
}

/* The version both sides speak: we echo 0.1 to a 0.1 peer. */
static void
add_query_routing (ShoalHeaderBlock           *block,
                   const ShoalProtocolVersion *peer_version)
{
  ShoalProtocolVersion ours = { SHOAL_HANDSHAKE_QRP_MAJOR, SHOAL_HANDSHAKE_QRP_MINOR };

  if (peer_version != NULL && query_routing_supported (peer_version))
    ours = *peer_version;
  add_version (block, "X-Query-Routing", &ours);
}

static void
add_features (ShoalHeaderBlock *block)
{
  shoal_header_block_add (block, "Pong-Caching", PONG_CACHING_VERSION);
  shoal_header_block_add (block, "Bye-Packet", BYE_PACKET_VERSION);
  shoal_header_block_add (block, "GGEP", GGEP_VERSION);
}

static ShoalHeaderBlock *
build_connect (Handshake *hs)
{
  ShoalHeaderBlock *block = shoal_header_block_new_gnutella_connect (GNUTELLA_MAJOR, GNUTELLA_MINOR);

  add_listen_address (block, hs);
  add_remote_ip (block, hs);
  shoal_header_block_add (block, "User-Agent", SHOAL_USER_AGENT);
  add_features (block);
  add_guid (block, hs);
  shoal_header_block_add (block, "Vendor-Message", VENDOR_MESSAGE_VERSION);
  add_query_routing (block, NULL);
  shoal_header_block_add (block, "Accept-Encoding", DEFLATE_TOKEN);
  add_live_since (block, hs);
  add_boolean (block, "X-Ultrapeer", hs->our_role == SHOAL_PEER_ROLE_ULTRAPEER);
  add_role_capabilities (block, hs);
  return block;
}

static ShoalHeaderBlock *
build_answer (Handshake              *hs,
              const ShoalHeaderBlock *peer_connect)
{
  ShoalHeaderBlock *block = shoal_header_block_new_gnutella_status (GNUTELLA_MAJOR, GNUTELLA_MINOR,
                                                                    STATUS_OK, "OK");
  ShoalProtocolVersion peer_version;

  shoal_header_block_add (block, "User-Agent", SHOAL_USER_AGENT);
  add_features (block);
  add_guid (block, hs);
  shoal_header_block_add (block, "Vendor-Message", VENDOR_MESSAGE_VERSION);
  add_remote_ip (block, hs);
  add_listen_address (block, hs);
  add_boolean (block, "X-Ultrapeer", hs->our_role == SHOAL_PEER_ROLE_ULTRAPEER);
  shoal_header_block_add (block, "Accept-Encoding", DEFLATE_TOKEN);
  if (hs->result->deflate_output)
    shoal_header_block_add (block, "Content-Encoding", DEFLATE_TOKEN);
  add_ultrapeer_needed (block, hs);
  add_query_routing (block, read_query_routing (peer_connect, &peer_version)
                            ? &peer_version : NULL);
  add_role_capabilities (block, hs);
  add_live_since (block, hs);
  add_try_hosts (block, hs);
  return block;
}

static ShoalHeaderBlock *
build_ack (Handshake *hs)
{
  ShoalHeaderBlock *block = shoal_header_block_new_gnutella_status (GNUTELLA_MAJOR, GNUTELLA_MINOR,
                                                                    STATUS_OK, "OK");

  if (hs->result->deflate_output)
    shoal_header_block_add (block, "Content-Encoding", DEFLATE_TOKEN);
  if (hs->our_role != hs->state.role)
    add_boolean (block, "X-Ultrapeer", hs->our_role == SHOAL_PEER_ROLE_ULTRAPEER);
  return block;
}

/* gtk-gnutella's send_error(): X-Ultrapeer is left out of 4xx answers,
 * which are no matter of slots. */
static ShoalHeaderBlock *
build_refusal (Handshake  *hs,
               guint16     code,
               const char *reason)
{
  ShoalHeaderBlock *block = shoal_header_block_new_gnutella_status (GNUTELLA_MAJOR, GNUTELLA_MINOR,
                                                                    code, reason);

  shoal_header_block_add (block, "User-Agent", SHOAL_USER_AGENT);
  add_remote_ip (block, hs);
  add_live_since (block, hs);
  if (code / 100 != 4)
    add_boolean (block, "X-Ultrapeer", hs->state.role == SHOAL_PEER_ROLE_ULTRAPEER);
  add_try_hosts (block, hs);
  return block;
}

static ShoalHeaderBlock *
build_crawler_answer (Handshake *hs)
{
  ShoalHeaderBlock *block = shoal_header_block_new_gnutella_status (GNUTELLA_MAJOR, GNUTELLA_MINOR,
                                                                    STATUS_OK, "OK");
  g_autoptr(GArray) peers = NULL;
  g_autoptr(GArray) leaves = NULL;
  g_autofree char *peer_list = NULL;
  g_autofree char *leaf_list = NULL;

  hs->policy.get_crawler_lists (&peers, &leaves, hs->policy.user_data);
  peer_list = format_endpoint_list ("Peers", peers, G_MAXUINT);
  leaf_list = format_endpoint_list ("Leaves", leaves, G_MAXUINT);
  shoal_header_block_add (block, "User-Agent", SHOAL_USER_AGENT);
  add_boolean (block, "X-Ultrapeer", hs->state.role == SHOAL_PEER_ROLE_ULTRAPEER);
  /* Empty lists are sent too: the crawler learns that we have none. */
  shoal_header_block_add (block, "Peers", peer_list);
  shoal_header_block_add (block, "Leaves", leaf_list);
  add_live_since (block, hs);
  return block;
}

static GBytes *
serialize (const ShoalHeaderBlock *block)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  /* Our own blocks are built within the limits. */
  if (!shoal_header_block_write (block, out, &error))
    g_critical ("cannot write our handshake block: %s", error->message);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The task ---------------------------------------------------------------- */

static void
handshake_free (gpointer data)
{
  Handshake *hs = data;

  if (hs->timeout != NULL)
    {
      g_source_destroy (hs->timeout);
      g_source_unref (hs->timeout);
    }
  if (hs->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (hs->caller_cancellable, hs->caller_handler);
      g_object_unref (hs->caller_cancellable);
    }
  g_clear_object (&hs->cancellable);
  g_clear_object (&hs->stream);
  g_byte_array_unref (hs->input);
  g_clear_pointer (&hs->output, g_bytes_unref);
  shoal_handshake_result_free (hs->result);
  g_free (hs);
}

static void
on_caller_cancelled (GCancellable *caller,
                     gpointer      ours)
{
  g_cancellable_cancel (ours);
}

static gboolean
on_timeout (gpointer data)
{
  Handshake *hs = data;

  hs->timed_out = TRUE;
  g_cancellable_cancel (hs->cancellable);
  return G_SOURCE_REMOVE;
}

static void
stop_timer (Handshake *hs)
{
  if (hs->timeout == NULL)
    return;
  g_source_destroy (hs->timeout);
  g_clear_pointer (&hs->timeout, g_source_unref);
}

static GTask *
handshake_task_new (GIOStream                  *stream,
                    const ShoalIpv4Endpoint    *remote,
                    const ShoalHandshakePolicy *policy,
                    guint                       default_timeout_ms,
                    gpointer                    source_tag,
                    GCancellable               *cancellable,
                    GAsyncReadyCallback         callback,
                    gpointer                    user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Handshake *hs = g_new0 (Handshake, 1);

  g_task_set_source_tag (task, source_tag);
  /* The caller learns what happened to the stream even when it cancelled
   * too late to stop it. */
  g_task_set_check_cancellable (task, FALSE);
  hs->stream = g_object_ref (stream);
  hs->policy = *policy;
  hs->state = policy->get_state (policy->user_data);
  hs->our_role = hs->state.role;
  if (remote != NULL)
    hs->remote = *remote;
  hs->input = g_byte_array_new ();
  hs->result = result_new ();
  hs->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      hs->caller_cancellable = g_object_ref (cancellable);
      hs->caller_handler = g_cancellable_connect (cancellable,
                                                  G_CALLBACK (on_caller_cancelled),
                                                  g_object_ref (hs->cancellable),
                                                  g_object_unref);
    }
  hs->timeout_ms = policy->timeout_ms != 0 ? policy->timeout_ms : default_timeout_ms;
  hs->timeout = g_timeout_source_new (hs->timeout_ms);
  g_source_set_callback (hs->timeout, on_timeout, hs, NULL);
  g_source_attach (hs->timeout, g_main_context_get_thread_default ());
  g_task_set_task_data (task, hs, handshake_free);
  return task;
}

/* Ends the handshake with @error (taken), closing the stream after
 * @answer (may be NULL) has gone out. */
static void
fail (GTask            *task,
      ShoalHeaderBlock *answer,
      GError           *error)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = answer != NULL ? serialize (answer) : NULL;

  g_debug ("handshake failed: %s", error->message);
  stop_timer (hs);
  shoal_listener_close_stream (hs->stream, bytes);
  g_task_return_error (task, error);
}

static void
fail_io (GTask  *task,
         GError *error)
{
  Handshake *hs = g_task_get_task_data (task);

  if (hs->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT,
                           "no complete handshake within %u ms", hs->timeout_ms);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GError *closed = g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                                    "connection lost during the handshake: %s",
                                    error->message);

      g_clear_error (&error);
      error = closed;
    }
  fail (task, NULL, error);
}

/* Whether we may still answer with a status line: before the peer's
 * step 3 it expects one, after it only messages. */
static gboolean
may_answer (Handshake *hs)
{
  return hs->phase == PHASE_PEER_CONNECT || hs->phase == PHASE_PEER_ANSWER;
}

static void
fail_answering (GTask      *task,
                guint16     code,
                const char *reason,
                GError     *error)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(ShoalHeaderBlock) answer = NULL;

  if (may_answer (hs))
    answer = build_refusal (hs, code, reason);
  fail (task, answer, error);
}

static void
refuse (GTask      *task,
        guint16     code,
        const char *reason)
{
  Handshake *hs = g_task_get_task_data (task);

  hs->result->refusal_code = code;
  hs->result->refusal_reason = g_strdup (reason);
  hs->result->refused_by_peer = FALSE;
  fail_answering (task, code, reason,
                  g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                               "%u %s", code, reason));
}

static void
fail_refused_by_peer (GTask                  *task,
                      const ShoalHeaderBlock *status)
{
  Handshake *hs = g_task_get_task_data (task);

  hs->result->refusal_code = status->status_code;
  hs->result->refusal_reason = g_strdup (status->reason);
  hs->result->refused_by_peer = TRUE;
  fail (task, NULL, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                                 "%u %s", status->status_code, status->reason));
}

static void
fail_protocol (GTask      *task,
               const char *message)
{
  fail (task, NULL, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                                 "%s", message));
}

static void
succeed (GTask *task)
{
  Handshake *hs = g_task_get_task_data (task);

  stop_timer (hs);
  hs->result->leftover = g_bytes_new (hs->input->data, hs->input->len);
  g_task_return_pointer (task, g_steal_pointer (&hs->result),
                         (GDestroyNotify) shoal_handshake_result_free);
}

/* Reading and writing blocks ------------------------------------------------ */

static void continue_reading (GTask *task);
static void on_block (GTask *task, const ShoalHeaderBlock *block);
static void on_written (GTask *task);

static void
on_read (GObject      *source,
         GAsyncResult *res,
         gpointer      data)
{
  g_autoptr(GTask) task = data;
  Handshake *hs = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);

  if (n_read < 0)
    {
      fail_io (task, error);
      return;
    }
  if (n_read == 0)
    {
      fail (task, NULL, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_CLOSED,
                                     "peer closed the connection during the "
                                     "handshake"));
      return;
    }
  g_byte_array_append (hs->input, hs->chunk, (guint) n_read);
  continue_reading (task);
}

static void
take_block (GTask *task,
            gsize  end)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  ShoalHeaderBlock *block = shoal_header_block_parse (hs->input->data, end, &error);

  if (block == NULL)
    {
      fail_answering (task, STATUS_BAD_REQUEST, "Malformed handshake header",
                      g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                                   "malformed handshake header: %s",
                                   error->message));
      return;
    }
  g_byte_array_remove_range (hs->input, 0, (guint) end);
  g_ptr_array_add (hs->result->peer_blocks, block);
  learn_from_block (hs->result, block);
  on_block (task, block);
}

/* Parses the next block when the input holds it all, else reads on. */
static void
continue_reading (GTask *task)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gsize end;

  switch (shoal_header_block_find_end (hs->input->data, hs->input->len, &end, &error))
    {
    case SHOAL_HEADER_SCAN_NEED_MORE:
      g_input_stream_read_async (g_io_stream_get_input_stream (hs->stream),
                                 hs->chunk, sizeof hs->chunk, G_PRIORITY_DEFAULT,
                                 hs->cancellable, on_read, g_object_ref (task));
      break;
    case SHOAL_HEADER_SCAN_ERROR:
      fail_answering (task, STATUS_TOO_LARGE, "Header too large",
                      g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TOO_LARGE,
                                   "handshake header too large: %s",
                                   error->message));
      break;
    case SHOAL_HEADER_SCAN_COMPLETE:
      take_block (task, end);
      break;
    }
}

static void
on_write_done (GObject      *source,
               GAsyncResult *res,
               gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      fail_io (task, error);
      return;
    }
  on_written (task);
}

static void
write_block (GTask                  *task,
             Phase                   phase,
             const ShoalHeaderBlock *block)
{
  Handshake *hs = g_task_get_task_data (task);
  gsize length;
  const void *data;

  hs->phase = phase;
  g_clear_pointer (&hs->output, g_bytes_unref);
  hs->output = serialize (block);
  data = g_bytes_get_data (hs->output, &length);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (hs->stream),
                                   data, length, G_PRIORITY_DEFAULT,
                                   hs->cancellable, on_write_done,
                                   g_object_ref (task));
}

static void
read_block (GTask *task,
            Phase  phase)
{
  Handshake *hs = g_task_get_task_data (task);

  hs->phase = phase;
  continue_reading (task);
}

/* The steps ----------------------------------------------------------------- */

static ShoalHandshakeVerdict
judge (Handshake              *hs,
       const ShoalHeaderBlock *block,
       gboolean                incoming)
{
  ShoalHandshakeVerdict verdict;

  if (hs->policy.judge == NULL)
    return shoal_handshake_judge_default (&hs->state, block, incoming);
  verdict = hs->policy.judge (block, incoming, hs->policy.user_data);
  /* A status line needs three digits. */
  if (verdict.decision == SHOAL_HANDSHAKE_REFUSE &&
      (verdict.code < STATUS_MIN || verdict.code > STATUS_MAX))
    {
      g_warning ("handshake policy refused with status %u; sending %u",
                 verdict.code, STATUS_FORBIDDEN);
      verdict.code = STATUS_FORBIDDEN;
    }
  return verdict;
}

/* Sets the roles of a link the verdict accepted. */
static void
apply_verdict (Handshake                   *hs,
               const ShoalHandshakeVerdict *verdict)
{
  hs->result->peer_role = verdict->decision == SHOAL_HANDSHAKE_ACCEPT_LEAF
                          ? SHOAL_PEER_ROLE_LEAF : SHOAL_PEER_ROLE_ULTRAPEER;
  hs->our_role = verdict->decision == SHOAL_HANDSHAKE_ACCEPT_GUIDANCE
                 ? SHOAL_PEER_ROLE_LEAF : hs->state.role;
  hs->result->our_role = hs->our_role;
}

/* A crawler only wants our lists: it is done with us once it has them. */
static void
answer_crawler (GTask *task)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (hs->policy.get_crawler_lists == NULL)
    {
      refuse (task, STATUS_FORBIDDEN, "Crawlers not served");
      return;
    }
  answer = build_crawler_answer (hs);
  bytes = serialize (answer);
  stop_timer (hs);
  shoal_listener_close_stream (hs->stream, bytes);
  hs->result->crawler = TRUE;
  g_task_return_pointer (task, g_steal_pointer (&hs->result),
                         (GDestroyNotify) shoal_handshake_result_free);
}

static void
on_peer_connect (GTask                  *task,
                 const ShoalHeaderBlock *block)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(ShoalHeaderBlock) answer = NULL;
  ShoalHandshakeVerdict verdict;

  if (block->kind != SHOAL_HEADER_BLOCK_GNUTELLA_CONNECT)
    {
      fail_protocol (task, "the peer did not open with GNUTELLA CONNECT");
      return;
    }
  if (block->version.major == 0 && block->version.minor < GNUTELLA_MINOR)
    {
      /* gtk-gnutella closes on legacy servents without a word. */
      fail (task, NULL, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_REFUSED,
                                     "Gnutella %u.%u handshake refused",
                                     block->version.major, block->version.minor));
      return;
    }
  if (shoal_header_block_get (block, "Crawler") != NULL)
    {
      answer_crawler (task);
      return;
    }
  verdict = judge (hs, block, TRUE);
  if (verdict.decision == SHOAL_HANDSHAKE_REFUSE)
    {
      refuse (task, verdict.code, verdict.reason);
      return;
    }
  apply_verdict (hs, &verdict);
  hs->result->deflate_output = headers_have_token (block, "Accept-Encoding", DEFLATE_TOKEN);
  answer = build_answer (hs, block);
  write_block (task, PHASE_OUR_ANSWER, answer);
}

static void
on_peer_ack (GTask                  *task,
             const ShoalHeaderBlock *block)
{
  Handshake *hs = g_task_get_task_data (task);
  ShoalProtocolVersion query_routing;
  gboolean ultrapeer;

  if (block->kind != SHOAL_HEADER_BLOCK_GNUTELLA_STATUS)
    {
      fail_protocol (task, "the peer's step 3 is no GNUTELLA status line");
      return;
    }
  if (block->status_code / 100 != 2)
    {
      fail_refused_by_peer (task, block);
      return;
    }
  if (read_query_routing (block, &query_routing) &&
      !query_routing_supported (&query_routing))
    {
      g_autofree char *reason = g_strdup_printf ("Query Routing protocol %u.%u not supported",
                                                 query_routing.major, query_routing.minor);

      refuse (task, STATUS_QRP_UNSUPPORTED, reason);
      return;
    }
  hs->result->deflate_input = headers_have_token (block, "Content-Encoding", DEFLATE_TOKEN);
  /* The peer took our leaf guidance (X-Ultrapeer-Needed: False). */
  if (hs->our_role == SHOAL_PEER_ROLE_ULTRAPEER &&
      read_boolean (block, "X-Ultrapeer", &ultrapeer) && !ultrapeer)
    hs->result->peer_role = SHOAL_PEER_ROLE_LEAF;
  succeed (task);
}

static void
on_peer_answer (GTask                  *task,
                const ShoalHeaderBlock *block)
{
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(ShoalHeaderBlock) ack = NULL;
  ShoalHandshakeVerdict verdict;

  if (block->kind != SHOAL_HEADER_BLOCK_GNUTELLA_STATUS)
    {
      fail_protocol (task, "the peer's answer is no GNUTELLA status line");
      return;
    }
  if (block->status_code / 100 != 2 || block->status_code == STATUS_SHIELDED_LEAF)
    {
      fail_refused_by_peer (task, block);
      return;
    }
  verdict = judge (hs, block, FALSE);
  if (verdict.decision == SHOAL_HANDSHAKE_REFUSE)
    {
      refuse (task, verdict.code, verdict.reason);
      return;
    }
  apply_verdict (hs, &verdict);
  hs->result->deflate_output = headers_have_token (block, "Accept-Encoding", DEFLATE_TOKEN);
  hs->result->deflate_input = headers_have_token (block, "Content-Encoding", DEFLATE_TOKEN);
  ack = build_ack (hs);
  write_block (task, PHASE_OUR_ACK, ack);
}

static void
on_block (GTask                  *task,
          const ShoalHeaderBlock *block)
{
  Handshake *hs = g_task_get_task_data (task);

  switch (hs->phase)
    {
    case PHASE_PEER_CONNECT:
      on_peer_connect (task, block);
      break;
    case PHASE_PEER_ACK:
      on_peer_ack (task, block);
      break;
    case PHASE_PEER_ANSWER:
      on_peer_answer (task, block);
      break;
    case PHASE_OUR_ANSWER:
    case PHASE_OUR_CONNECT:
    case PHASE_OUR_ACK:
      g_assert_not_reached ();
    }
}

static void
on_written (GTask *task)
{
  Handshake *hs = g_task_get_task_data (task);

  switch (hs->phase)
    {
    case PHASE_OUR_ANSWER:
      read_block (task, PHASE_PEER_ACK);
      break;
    case PHASE_OUR_CONNECT:
      read_block (task, PHASE_PEER_ANSWER);
      break;
    case PHASE_OUR_ACK:
      succeed (task);
      break;
    case PHASE_PEER_CONNECT:
    case PHASE_PEER_ANSWER:
    case PHASE_PEER_ACK:
      g_assert_not_reached ();
    }
}

/* Public API -------------------------------------------------------------- */

void
shoal_gnutella_handshake_outgoing_async (GIOStream                  *stream,
                                         const ShoalIpv4Endpoint    *remote,
                                         const ShoalHandshakePolicy *policy,
                                         GCancellable               *cancellable,
                                         GAsyncReadyCallback         callback,
                                         gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(ShoalHeaderBlock) connect = NULL;

  g_return_if_fail (G_IS_IO_STREAM (stream));
  g_return_if_fail (policy != NULL && policy->get_state != NULL);

  task = handshake_task_new (stream, remote, policy,
                             SHOAL_HANDSHAKE_OUTGOING_TIMEOUT_MS,
                             shoal_gnutella_handshake_outgoing_async,
                             cancellable, callback, user_data);
  connect = build_connect (g_task_get_task_data (task));
  write_block (task, PHASE_OUR_CONNECT, connect);
}

void
shoal_gnutella_handshake_incoming_async (GIOStream                  *stream,
                                         GBytes                     *already_read,
                                         const ShoalIpv4Endpoint    *remote,
                                         const ShoalHandshakePolicy *policy,
                                         GCancellable               *cancellable,
                                         GAsyncReadyCallback         callback,
                                         gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;
  Handshake *hs;

  g_return_if_fail (G_IS_IO_STREAM (stream));
  g_return_if_fail (policy != NULL && policy->get_state != NULL);

  task = handshake_task_new (stream, remote, policy,
                             SHOAL_HANDSHAKE_INCOMING_TIMEOUT_MS,
                             shoal_gnutella_handshake_incoming_async,
                             cancellable, callback, user_data);
  hs = g_task_get_task_data (task);
  if (already_read != NULL)
    {
      gsize length;
      const guint8 *data = g_bytes_get_data (already_read, &length);

      g_byte_array_append (hs->input, data, (guint) length);
    }
  read_block (task, PHASE_PEER_CONNECT);
}

static ShoalHandshakeResult *
handshake_finish (GAsyncResult          *result,
                  gpointer               source_tag,
                  ShoalHandshakeResult **failed_result,
                  GError               **error)
{
  ShoalHandshakeResult *established;
  Handshake *hs;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  if (failed_result != NULL)
    *failed_result = NULL;
  established = g_task_propagate_pointer (G_TASK (result), error);
  if (established != NULL || failed_result == NULL)
    return established;
  hs = g_task_get_task_data (G_TASK (result));
  if (hs->result != NULL && hs->result->peer_blocks->len > 0)
    *failed_result = g_steal_pointer (&hs->result);
  return NULL;
}

ShoalHandshakeResult *
shoal_gnutella_handshake_outgoing_finish (GAsyncResult          *result,
                                          ShoalHandshakeResult **failed_result,
                                          GError               **error)
{
  return handshake_finish (result, shoal_gnutella_handshake_outgoing_async,
                           failed_result, error);
}

ShoalHandshakeResult *
shoal_gnutella_handshake_incoming_finish (GAsyncResult          *result,
                                          ShoalHandshakeResult **failed_result,
                                          GError               **error)
{
  return handshake_finish (result, shoal_gnutella_handshake_incoming_async,
                           failed_result, error);
}
