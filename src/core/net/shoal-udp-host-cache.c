/* shoal-udp-host-cache.c — one UDP host cache query: resolve, ping with
 * GGEP "SCP", wait for the pong carrying our GUID. */
#include "shoal-udp-host-cache.h"

#include "shoal-message.h"
#include "shoal-net-types.h"

#include <string.h>

/* Room for any UDP datagram (at most 65507 payload bytes over IPv4). */
#define DATAGRAM_BUFFER_SIZE 65536

typedef struct
{
  char           *host;
  guint16         port;
  GSocket        *socket;
  GSocketAddress *destination;  /* NULL until resolved */
  ShoalGuid       guid;
  guint           timeout_ms;
  GSource        *read_source;
  GSource        *timeout_source;
  guint8         *buffer;
  guint           ignored;      /* datagrams that were not our pong */
  gboolean        done;         /* the task has returned */
} Query;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
query_free (gpointer pointer)
{
  Query *query = pointer;

  destroy_source (&query->read_source);
  destroy_source (&query->timeout_source);
  g_free (query->host);
  g_clear_object (&query->socket);
  g_clear_object (&query->destination);
  g_free (query->buffer);
  g_free (query);
}

void
shoal_udp_host_cache_reply_free (ShoalUdpHostCacheReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->hosts, g_array_unref);
  g_clear_pointer (&reply->udp_host_caches, g_ptr_array_unref);
  g_free (reply);
}

/* Addresses ---------------------------------------------------------------- */

static gboolean
is_host_name (const char *text,
              gsize       length)
{
  if (length == 0 || length > SHOAL_UDP_HOST_CACHE_MAX_NAME_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isalnum (text[i]) && text[i] != '.' && text[i] != '-')
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_port (const char *text,
            guint16    *port)
{
  guint64 number;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &number, NULL))
    return FALSE;
  *port = (guint16) number;
  return TRUE;
}

gboolean
shoal_udp_host_cache_parse_address (const char  *address,
                                    char       **host,
                                    guint16     *port,
                                    GError     **error)
{
  const char *colon;

  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (host != NULL && port != NULL, FALSE);

  colon = strrchr (address, ':');
  if (colon == NULL || !is_host_name (address, colon - address) || !parse_port (colon + 1, port))
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                   "'%s' is not a host:port address", address);
      return FALSE;
    }
  *host = g_strndup (address, colon - address);
  return TRUE;
}

static ShoalIpv4Endpoint
endpoint_from_socket_address (GSocketAddress *address)
{
  ShoalIpv4Endpoint endpoint = { 0, 0 };
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return endpoint;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4)
    return endpoint;
  endpoint.address = shoal_ipv4_from_wire (g_inet_address_to_bytes (inet));
  endpoint.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  return endpoint;
}

static gboolean
same_endpoint (const ShoalIpv4Endpoint *a,
               const ShoalIpv4Endpoint *b)
{
  return a->address == b->address && a->port == b->port;
}

/* The reply ----------------------------------------------------------------- */

/* One "PHC" line, "host[:port]", as "host:port"; NULL when unusable. */
static char *
parse_phc_line (const char *line)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (line));
  const char *colon = strchr (trimmed, ':');
  gsize name_length = colon != NULL ? (gsize) (colon - trimmed) : strlen (trimmed);
  guint16 port = SHOAL_UDP_HOST_CACHE_DEFAULT_PORT;

  if (!is_host_name (trimmed, name_length) || (colon != NULL && !parse_port (colon + 1, &port)))
    return NULL;
  return g_strdup_printf ("%.*s:%u", (int) name_length, trimmed, port);
}

/* "PHC" is text, one cache per line (the GGEP layer inflated it). */
static GPtrArray *
parse_phc (const ShoalPong *pong)
{
  const ShoalGgepExtension *extension = pong->ggep != NULL ? shoal_ggep_find (pong->ggep, "PHC") : NULL;
  GPtrArray *caches = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;
  gsize length;
  const char *data;

  if (extension == NULL)
    return caches;
  data = g_bytes_get_data (extension->data, &length);
  text = g_strndup (data, length);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && caches->len < SHOAL_UDP_HOST_CACHE_MAX_PHC_ENTRIES; i++)
    {
      char *cache = parse_phc_line (lines[i]);

      if (cache != NULL)
        g_ptr_array_add (caches, cache);
    }
  return caches;
}

static ShoalUdpHostCacheReply *
reply_from_pong (const ShoalPong         *pong,
                 const ShoalIpv4Endpoint *cache,
                 GError                 **error)
{
  g_autoptr(ShoalUdpHostCacheReply) reply = g_new0 (ShoalUdpHostCacheReply, 1);
  g_autoptr(GError) ultrapeer_error = NULL;
  GError *hosts_error = NULL;
  ShoalPongUltrapeer ultrapeer;

  reply->cache = *cache;
  reply->responder = pong->endpoint;
  /* A malformed "UP" only means we do not know its role. */
  reply->responder_is_ultrapeer = shoal_pong_get_ultrapeer (pong, &ultrapeer, &ultrapeer_error);
  if (!shoal_pong_get_packed_hosts (pong, &reply->hosts, &hosts_error))
    {
      if (hosts_error != NULL)
        {
          g_propagate_prefixed_error (error, hosts_error, "unusable IPP in its pong: ");
          return NULL;
        }
      reply->hosts = g_array_new (FALSE, FALSE, sizeof (ShoalIpv4Endpoint));
    }
  reply->udp_host_caches = parse_phc (pong);
  return g_steal_pointer (&reply);
}

/* Receiving --------------------------------------------------------------- */

/* Every way the query ends goes through here or finish_with_reply(): the
 * sources go (they hold references to the task) and later events find
 * @done set. */
static void
finish_with_error (GTask  *task,
                   GError *error)
{
  Query *query = g_task_get_task_data (task);

  query->done = TRUE;
  destroy_source (&query->read_source);
  destroy_source (&query->timeout_source);
  g_task_return_error (task, error);
}

static void
finish_with_reply (GTask                  *task,
                   ShoalUdpHostCacheReply *reply)
{
  Query *query = g_task_get_task_data (task);

  g_debug ("UDP host cache %s:%u gave %u hosts (%u other datagrams)",
           query->host, query->port, reply->hosts->len, query->ignored);
  query->done = TRUE;
  destroy_source (&query->read_source);
  destroy_source (&query->timeout_source);
  g_task_return_pointer (task, reply, (GDestroyNotify) shoal_udp_host_cache_reply_free);
}

/* TRUE when the datagram ended the query, either way. */
static gboolean
handle_datagram (GTask                   *task,
                 const ShoalIpv4Endpoint *sender,
                 gsize                    length)
{
  Query *query = g_task_get_task_data (task);
  ShoalIpv4Endpoint cache = endpoint_from_socket_address (query->destination);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalMessage) message = shoal_message_parse (query->buffer, length, &error);
  ShoalUdpHostCacheReply *reply;

  if (message == NULL && same_endpoint (sender, &cache))
    {
      finish_with_error (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                                            "UDP host cache %s:%u answered with no Gnutella "
                                            "message: %s", query->host, query->port,
                                            error->message));
      return TRUE;
    }
  if (message == NULL || message->pong == NULL ||
      !shoal_guid_equal (&message->header.guid, &query->guid))
    {
      query->ignored++;
      return FALSE;
    }
  g_clear_error (&error);
  reply = reply_from_pong (message->pong, &cache, &error);
  if (reply == NULL)
    finish_with_error (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_PROTOCOL,
                                          "UDP host cache %s:%u: %s", query->host,
                                          query->port, error->message));
  else
    finish_with_reply (task, reply);
  return TRUE;
}

static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Query *query = g_task_get_task_data (task);
  g_autoptr(GSocketAddress) sender_address = NULL;
  g_autoptr(GError) error = NULL;
  ShoalIpv4Endpoint sender;
  gssize length;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      finish_with_error (task, g_steal_pointer (&error));
      return G_SOURCE_REMOVE;
    }
  /* Someone else may have read the datagram that woke us. */
  if (!g_socket_condition_check (socket, G_IO_IN))
    return G_SOURCE_CONTINUE;
  length = g_socket_receive_from (socket, &sender_address, (char *) query->buffer,
                                  DATAGRAM_BUFFER_SIZE, NULL, &error);
  if (length < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (length < 0)
    {
      finish_with_error (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                                            "UDP host cache %s:%u: %s", query->host,
                                            query->port, error->message));
      return G_SOURCE_REMOVE;
    }
  sender = endpoint_from_socket_address (sender_address);
  return handle_datagram (task, &sender, (gsize) length) ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Counts from the start: resolving the name is part of the wait. */
static gboolean
on_timeout (gpointer user_data)
{
  GTask *task = user_data;
  Query *query = g_task_get_task_data (task);

  finish_with_error (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_TIMEOUT,
                                        "UDP host cache %s:%u did not answer in %u ms "
                                        "(%u other datagrams)", query->host, query->port,
                                        query->timeout_ms, query->ignored));
  return G_SOURCE_REMOVE;
}

/* Sending ------------------------------------------------------------------- */

static GBytes *
build_ping (const ShoalGuid  *guid,
            GError          **error)
{
  g_autoptr(ShoalPing) ping = shoal_ping_new ();
  ShoalMessage message = { 0 };

  shoal_ping_add_scp (ping, SHOAL_PING_SCP_ULTRA);
  message.header.guid = *guid;
  message.header.type = SHOAL_MESSAGE_PING;
  message.header.ttl = 1;
  message.header.hops = 0;
  message.ping = ping;
  return shoal_message_write (&message, error);
}

static gboolean
send_ping (Query   *query,
           GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) ping = NULL;
  gsize length;
  const char *data;

  shoal_guid_init_modern (&query->guid);
  ping = build_ping (&query->guid, &local_error);
  if (ping != NULL)
    {
      data = g_bytes_get_data (ping, &length);
      if (g_socket_send_to (query->socket, query->destination, data, length, NULL, &local_error) >= 0)
        return TRUE;
    }
  g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
               "cannot ping UDP host cache %s:%u: %s", query->host, query->port,
               local_error->message);
  return FALSE;
}

static void
wait_for_pong (GTask *task)
{
  Query *query = g_task_get_task_data (task);

  query->read_source = g_socket_create_source (query->socket, G_IO_IN, g_task_get_cancellable (task));
  g_source_set_callback (query->read_source, G_SOURCE_FUNC (on_socket_readable),
                         g_object_ref (task), g_object_unref);
  g_source_attach (query->read_source, g_task_get_context (task));
}

static GSocketAddress *
first_ipv4_address (GList   *addresses,
                    guint16  port)
{
  for (GList *link = addresses; link != NULL; link = link->next)
    {
      if (g_inet_address_get_family (link->data) == G_SOCKET_FAMILY_IPV4)
        return g_inet_socket_address_new (link->data, port);
    }
  return NULL;
}

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Query *query = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (query->done)
    {
      g_resolver_free_addresses (addresses);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_with_error (task, g_steal_pointer (&error));
      return;
    }
  if (addresses == NULL)
    {
      finish_with_error (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                                            "cannot resolve UDP host cache %s: %s",
                                            query->host, error->message));
      return;
    }
  query->destination = first_ipv4_address (addresses, query->port);
  g_resolver_free_addresses (addresses);
  if (query->destination == NULL)
    {
      finish_with_error (task, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                                            "UDP host cache %s has no IPv4 address",
                                            query->host));
      return;
    }
  if (!send_ping (query, &error))
    {
      finish_with_error (task, g_steal_pointer (&error));
      return;
    }
  wait_for_pong (task);
}

static GSocket *
open_private_socket (GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, error);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (any, 0);

  if (socket == NULL || !g_socket_bind (socket, local, FALSE, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

/* Public API ------------------------------------------------------------------ */

void
shoal_udp_host_cache_query_async (const char          *address,
                                  GSocket             *socket,
                                  guint                timeout_ms,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GResolver) resolver = NULL;
  Query *query;

  g_return_if_fail (address != NULL);
  g_return_if_fail (socket == NULL || G_IS_SOCKET (socket));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, shoal_udp_host_cache_query_async);
  query = g_new0 (Query, 1);
  g_task_set_task_data (task, query, query_free);
  query->timeout_ms = timeout_ms != 0 ? timeout_ms : SHOAL_UDP_HOST_CACHE_DEFAULT_TIMEOUT_MS;
  if (!shoal_udp_host_cache_parse_address (address, &query->host, &query->port, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  query->socket = socket != NULL ? g_object_ref (socket) : open_private_socket (&error);
  if (query->socket == NULL)
    {
      g_task_return_new_error (task, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                               "cannot open a UDP socket: %s", error->message);
      return;
    }
  query->buffer = g_malloc (DATAGRAM_BUFFER_SIZE);
  query->timeout_source = g_timeout_source_new (query->timeout_ms);
  g_source_set_callback (query->timeout_source, on_timeout, g_object_ref (task), g_object_unref);
  g_source_attach (query->timeout_source, g_task_get_context (task));

  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, query->host, cancellable, on_resolved,
                                   g_steal_pointer (&task));
}

ShoalUdpHostCacheReply *
shoal_udp_host_cache_query_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
