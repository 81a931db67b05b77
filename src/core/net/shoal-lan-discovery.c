/* shoal-lan-discovery.c — Shoal peers on the LAN through avahi-daemon:
 * our _gnutella._tcp service published, the others' browsed and resolved. */
#include "shoal-lan-discovery.h"

#include <string.h>

#ifdef SHOAL_HAVE_AVAHI
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>
#endif

#define DEFAULT_NAME_FORMAT "Shoal on %s"
/* A service name is one DNS label: 63 bytes at most. */
#define SERVICE_NAME_MAX_BYTES 63
/* Renamings tried in a row when Avahi says a name is taken locally. */
#define MAX_LOCAL_RENAMES 32
/* After a collision on the LAN, the new name is published after a random
 * delay up to this: hosts that collided at once would otherwise all take
 * the same next name at the same moment and collide again, in step. */
#define RENAME_JITTER_MS 1500
#define TXT_ROLE_LEAF "leaf"
#define TXT_ROLE_ULTRAPEER "ultrapeer"

#define REASON_NO_AVAHI "built without Avahi"
#define REASON_NO_BUS "no system D-Bus"
#define REASON_NO_DAEMON "avahi-daemon is not running"
#define REASON_DAEMON_GONE "avahi-daemon went away"

struct _ShoalLanDiscovery
{
  GObject        parent_instance;

  ShoalGuid      guid;
  guint16        port;
  ShoalPeerRole  role;
  char          *name;             /* the name we publish, renamed on collisions */
  char          *published_name;   /* name, once Avahi established it */
  ShoalLanState  state;
  char          *reason;           /* while UNAVAILABLE */
  guint          retry_interval_s;
  GHashTable    *sightings;        /* service name → Sighting* */
  GMainContext  *context;          /* while started */
  GSource       *retry_source;
  GSource       *republish_source; /* a renamed service, waiting its turn */
#ifdef SHOAL_HAVE_AVAHI
  AvahiGLibPoll       *poll;
  AvahiClient         *client;
  AvahiEntryGroup     *group;
  AvahiServiceBrowser *browser;
#endif
};

enum
{
  PROP_0,
  PROP_STATE,
  PROP_SERVICE_NAME,
  N_PROPS
};

enum
{
  SIGNAL_PEER_FOUND,
  SIGNAL_PEER_LOST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalLanDiscovery, shoal_lan_discovery, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (ShoalLanState, shoal_lan_state,
                    G_DEFINE_ENUM_VALUE (SHOAL_LAN_STATE_OFF, "off"),
                    G_DEFINE_ENUM_VALUE (SHOAL_LAN_STATE_STARTING, "starting"),
                    G_DEFINE_ENUM_VALUE (SHOAL_LAN_STATE_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (SHOAL_LAN_STATE_UNAVAILABLE, "unavailable"))

/* Peers ------------------------------------------------------------------- */

ShoalLanPeer *
shoal_lan_peer_copy (const ShoalLanPeer *peer)
{
  ShoalLanPeer *copy;

  g_return_val_if_fail (peer != NULL, NULL);
  copy = g_new (ShoalLanPeer, 1);
  *copy = *peer;
  copy->name = g_strdup (peer->name);
  copy->vendor = g_strdup (peer->vendor);
  copy->version = g_strdup (peer->version);
  return copy;
}

void
shoal_lan_peer_free (ShoalLanPeer *peer)
{
  if (peer == NULL)
    return;
  g_free (peer->name);
  g_free (peer->vendor);
  g_free (peer->version);
  g_free (peer);
}

typedef struct _Instance Instance;

/* One service name as the browser reports it: on each interface it
 * appears on, an instance with its own resolver. The peer is reported
 * from one instance resolved, and again only when that one's data
 * changes, or when it goes and another is left. */
typedef struct
{
  ShoalLanDiscovery *owner;
  char              *name;
  GPtrArray         *instances;  /* of Instance* */
  Instance          *source;     /* the instance reported from, if any */
  ShoalLanPeer      *reported;   /* NULL until peer-found */
} Sighting;

static void
sighting_free (gpointer pointer)
{
  Sighting *sighting = pointer;

  /* Instances first: their resolvers point at them. */
  g_ptr_array_unref (sighting->instances);
  shoal_lan_peer_free (sighting->reported);
  g_free (sighting->name);
  g_free (sighting);
}

/* Forgets every peer; returns the names of those reported (to announce
 * once everything is in order again). */
static GPtrArray *
forget_sightings (ShoalLanDiscovery *self)
{
  GPtrArray *reported = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  Sighting *sighting;

  g_hash_table_iter_init (&iter, self->sightings);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &sighting))
    if (sighting->reported != NULL)
      g_ptr_array_add (reported, g_strdup (sighting->name));
  g_hash_table_remove_all (self->sightings);
  return reported;
}

/* State ------------------------------------------------------------------- */

static void
log_state (ShoalLanDiscovery *self)
{
  switch (self->state)
    {
    case SHOAL_LAN_STATE_OFF:
      g_message ("LAN discovery stopped");
      break;
    case SHOAL_LAN_STATE_STARTING:
      g_message ("LAN discovery: registering “%s” with avahi-daemon", self->name);
      break;
    case SHOAL_LAN_STATE_RUNNING:
      g_message ("LAN discovery: published “%s” on port %u", self->published_name,
                 self->port);
      break;
    case SHOAL_LAN_STATE_UNAVAILABLE:
      g_message ("LAN discovery unavailable: %s", self->reason);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Logs once per change, never the same state twice in a row. */
static void
set_state (ShoalLanDiscovery *self,
           ShoalLanState      state,
           const char        *reason)
{
  if (self->state == state && g_strcmp0 (self->reason, reason) == 0)
    return;
  self->state = state;
  g_free (self->reason);
  self->reason = g_strdup (reason);
  log_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static char *
truncate_name (const char *name)
{
  const char *end = name + strlen (name);

  if (end - name > SERVICE_NAME_MAX_BYTES)
    end = g_utf8_find_prev_char (name, name + SERVICE_NAME_MAX_BYTES + 1);
  return g_strndup (name, (gsize) (end - name));
}

static void
cancel_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
cancel_retry (ShoalLanDiscovery *self)
{
  cancel_source (&self->retry_source);
}

#ifdef SHOAL_HAVE_AVAHI

/* Avahi ------------------------------------------------------------------- */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvahiStringList, avahi_string_list_free)

static void
announce_lost (ShoalLanDiscovery *self,
               GPtrArray         *names)
{
  for (guint i = 0; i < names->len; i++)
    g_signal_emit (self, signals[SIGNAL_PEER_LOST], 0, g_ptr_array_index (names, i));
}

static void
set_published_name (ShoalLanDiscovery *self,
                    const char        *name)
{
  if (g_strcmp0 (self->published_name, name) == 0)
    return;
  g_free (self->published_name);
  self->published_name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVICE_NAME]);
}

/* The AvahiGLibPoll frees its watches at once: it must not be freed
 * while one of them is being dispatched, that is from inside an Avahi
 * callback. How many of those are running on this thread: */
static GPrivate callbacks_running;

static void
enter_callback (ShoalLanDiscovery *self)
{
  guint depth = GPOINTER_TO_UINT (g_private_get (&callbacks_running));

  g_private_set (&callbacks_running, GUINT_TO_POINTER (depth + 1));
  /* A handler may drop the last other reference. */
  g_object_ref (self);
  /* Property handlers run once we are done. */
  g_object_freeze_notify (G_OBJECT (self));
}

static void
leave_callback (ShoalLanDiscovery *self)
{
  guint depth = GPOINTER_TO_UINT (g_private_get (&callbacks_running));

  g_object_thaw_notify (G_OBJECT (self));
  g_object_unref (self);
  g_private_set (&callbacks_running, GUINT_TO_POINTER (depth - 1));
}

static gboolean
free_poll_later (gpointer data)
{
  avahi_glib_poll_free (data);
  return G_SOURCE_REMOVE;
}

static void
release_poll (ShoalLanDiscovery *self)
{
  AvahiGLibPoll *poll = g_steal_pointer (&self->poll);
  g_autoptr(GSource) idle = NULL;

  if (poll == NULL)
    return;
  if (g_private_get (&callbacks_running) == NULL)
    {
      avahi_glib_poll_free (poll);
      return;
    }
  idle = g_idle_source_new ();
  g_source_set_callback (idle, free_poll_later, poll, NULL);
  g_source_attach (idle, self->context);
}

/* The reverse of their creation: resolvers, browser, group, client.
 * @announce_loss: ::peer-lost for the peers reported, for when we lose
 * sight of the LAN rather than stop looking. */
static void
release_client (ShoalLanDiscovery *self,
                gboolean           announce_loss)
{
  g_autoptr(GPtrArray) lost = forget_sightings (self);

  cancel_source (&self->republish_source);
  g_clear_pointer (&self->browser, avahi_service_browser_free);
  g_clear_pointer (&self->group, avahi_entry_group_free);
  g_clear_pointer (&self->client, avahi_client_free);
  set_published_name (self, NULL);
  if (announce_loss)
    announce_lost (self, lost);
}

/* A handler may have stopped us. */
static gboolean
is_stopped (ShoalLanDiscovery *self)
{
  return self->context == NULL;
}

static const char *
role_to_txt (ShoalPeerRole role)
{
  return role == SHOAL_PEER_ROLE_ULTRAPEER ? TXT_ROLE_ULTRAPEER : TXT_ROLE_LEAF;
}

static AvahiStringList *
build_txt (ShoalLanDiscovery *self)
{
  char guid_hex[SHOAL_GUID_HEX_LENGTH + 1];
  AvahiStringList *txt = NULL;

  txt = avahi_string_list_add_pair (txt, SHOAL_LAN_TXT_VERSION, PACKAGE_VERSION);
  txt = avahi_string_list_add_pair (txt, SHOAL_LAN_TXT_ROLE, role_to_txt (self->role));
  txt = avahi_string_list_add_pair (txt, SHOAL_LAN_TXT_VENDOR, SHOAL_VENDOR_CODE_STRING);
  txt = avahi_string_list_add_pair (txt, SHOAL_LAN_TXT_GUID,
                                    shoal_guid_format (&self->guid, guid_hex));
  return txt;
}

static void
take_alternative_name (ShoalLanDiscovery *self)
{
  char *alternative = avahi_alternative_service_name (self->name);

  g_message ("LAN discovery: the name “%s” is taken, renamed “%s”",
             self->name, alternative);
  g_free (self->name);
  self->name = g_strdup (alternative);
  avahi_free (alternative);
}

static void connect_to_daemon (ShoalLanDiscovery *self);

static gboolean
on_retry (gpointer data)
{
  ShoalLanDiscovery *self = data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  connect_to_daemon (self);
  return G_SOURCE_REMOVE;
}

/* Gives up on this client and tries again in a while: for what the
 * daemon does not recover from by itself. */
static void
fail_and_retry (ShoalLanDiscovery *self,
                const char        *reason)
{
  release_client (self, TRUE);
  if (is_stopped (self))
    return;
  set_state (self, SHOAL_LAN_STATE_UNAVAILABLE, reason);
  cancel_retry (self);
  self->retry_source = g_timeout_source_new_seconds (self->retry_interval_s);
  g_source_set_callback (self->retry_source, on_retry, self, NULL);
  g_source_attach (self->retry_source, self->context);
}

static void
fail_with_avahi_error (ShoalLanDiscovery *self,
                       const char        *what,
                       int                error)
{
  g_autofree char *reason = g_strdup_printf ("%s: %s", what, avahi_strerror (error));

  fail_and_retry (self, reason);
}

/* Publishing ---------------------------------------------------------------- */

static int
add_service (ShoalLanDiscovery *self,
             AvahiEntryGroup   *group)
{
  g_autoptr(AvahiStringList) txt = build_txt (self);
  int error = AVAHI_ERR_COLLISION;

  for (guint i = 0; i < MAX_LOCAL_RENAMES && error == AVAHI_ERR_COLLISION; i++)
    {
      error = avahi_entry_group_add_service_strlst (group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                    0, self->name, SHOAL_LAN_SERVICE_TYPE,
                                                    NULL, NULL, self->port, txt);
      /* Another service of the same daemon has the name. */
      if (error == AVAHI_ERR_COLLISION)
        take_alternative_name (self);
    }
  if (error < 0)
    return error;
  return avahi_entry_group_commit (group);
}

static void
publish (ShoalLanDiscovery *self,
         AvahiEntryGroup   *group)
{
  int error = add_service (self, group);

  if (error < 0)
    fail_with_avahi_error (self, "cannot publish our service", error);
}

static gboolean
on_republish (gpointer data)
{
  ShoalLanDiscovery *self = data;

  g_clear_pointer (&self->republish_source, g_source_unref);
  if (self->group != NULL)
    publish (self, self->group);
  return G_SOURCE_REMOVE;
}

static void
publish_later (ShoalLanDiscovery *self)
{
  cancel_source (&self->republish_source);
  self->republish_source = g_timeout_source_new ((guint) g_random_int_range (0, RENAME_JITTER_MS));
  g_source_set_callback (self->republish_source, on_republish, self, NULL);
  g_source_attach (self->republish_source, self->context);
}

static void
on_group_state (AvahiEntryGroup      *group,
                AvahiEntryGroupState  state,
                gpointer              data)
{
  ShoalLanDiscovery *self = data;

  enter_callback (self);
  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      set_published_name (self, self->name);
      set_state (self, SHOAL_LAN_STATE_RUNNING, NULL);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      /* Someone else on the LAN has the name: retract it, take another. */
      take_alternative_name (self);
      set_published_name (self, NULL);
      set_state (self, SHOAL_LAN_STATE_STARTING, NULL);
      avahi_entry_group_reset (group);
      publish_later (self);
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      fail_with_avahi_error (self, "publishing failed",
                             avahi_client_errno (avahi_entry_group_get_client (group)));
      break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
    default:
      break;
    }
  leave_callback (self);
}

static void
ensure_published (ShoalLanDiscovery *self,
                  AvahiClient       *client)
{
  if (self->group == NULL)
    self->group = avahi_entry_group_new (client, on_group_state, self);
  if (self->group == NULL)
    {
      fail_with_avahi_error (self, "cannot publish our service", avahi_client_errno (client));
      return;
    }
  if (avahi_entry_group_is_empty (self->group))
    publish (self, self->group);
}

/* Browsing and resolving ---------------------------------------------------- */

/* The service on one interface and protocol. Its resolver stays while
 * the service does: Avahi calls it again when the TXT record changes. */
struct _Instance
{
  Sighting             *sighting;
  AvahiIfIndex          interface;
  AvahiProtocol         protocol;
  AvahiServiceResolver *resolver;
  ShoalLanPeer         *resolved;   /* NULL until resolved */
};

static void
instance_free (gpointer pointer)
{
  Instance *instance = pointer;

  g_clear_pointer (&instance->resolver, avahi_service_resolver_free);
  shoal_lan_peer_free (instance->resolved);
  g_free (instance);
}

static gboolean
peer_equal (const ShoalLanPeer *a,
            const ShoalLanPeer *b)
{
  return g_strcmp0 (a->name, b->name) == 0 &&
         a->endpoint.address == b->endpoint.address &&
         a->endpoint.port == b->endpoint.port &&
         a->has_guid == b->has_guid &&
         shoal_guid_equal (&a->guid, &b->guid) &&
         a->role == b->role &&
         g_strcmp0 (a->vendor, b->vendor) == 0 &&
         g_strcmp0 (a->version, b->version) == 0;
}

static Sighting *
sighting_new (ShoalLanDiscovery *self,
              const char        *name)
{
  Sighting *sighting = g_new0 (Sighting, 1);

  sighting->owner = self;
  sighting->name = g_strdup (name);
  sighting->instances = g_ptr_array_new_with_free_func (instance_free);
  return sighting;
}

/* The source while it holds a peer, else the first instance that does:
 * two interfaces never take turns. */
static const ShoalLanPeer *
sighting_current_peer (Sighting *sighting)
{
  if (sighting->source != NULL && sighting->source->resolved != NULL)
    return sighting->source->resolved;
  sighting->source = NULL;
  for (guint i = 0; i < sighting->instances->len; i++)
    {
      Instance *instance = g_ptr_array_index (sighting->instances, i);

      if (instance->resolved != NULL)
        {
          sighting->source = instance;
          return instance->resolved;
        }
    }
  return NULL;
}

static void
report_sighting (Sighting *sighting)
{
  ShoalLanDiscovery *self = sighting->owner;
  const ShoalLanPeer *current = sighting_current_peer (sighting);
  g_autoptr(ShoalLanPeer) announced = NULL;

  if (current == NULL)
    return;
  if (sighting->reported != NULL && peer_equal (current, sighting->reported))
    return;
  shoal_lan_peer_free (sighting->reported);
  sighting->reported = shoal_lan_peer_copy (current);
  /* A copy of our own: a handler may stop us and free the sighting. */
  announced = shoal_lan_peer_copy (current);
  g_signal_emit (self, signals[SIGNAL_PEER_FOUND], 0, announced);
}

/* The name turned out to be ours (say a stale record from before gave
 * way to our own): a peer reported under it is lost. */
static void
retract_sighting (Sighting *sighting)
{
  ShoalLanDiscovery *self = sighting->owner;
  g_autofree char *lost = NULL;

  if (sighting->reported == NULL || sighting_current_peer (sighting) != NULL)
    return;
  g_clear_pointer (&sighting->reported, shoal_lan_peer_free);
  lost = g_strdup (sighting->name);
  g_signal_emit (self, signals[SIGNAL_PEER_LOST], 0, lost);
}

static guint
find_instance (Sighting      *sighting,
               AvahiIfIndex   interface,
               AvahiProtocol  protocol)
{
  for (guint i = 0; i < sighting->instances->len; i++)
    {
      Instance *instance = g_ptr_array_index (sighting->instances, i);

      if (instance->interface == interface && instance->protocol == protocol)
        return i;
    }
  return G_MAXUINT;
}

/* A TXT value as a string; NULL when absent, without a value or not text. */
static char *
txt_value (AvahiStringList *txt,
           const char      *key)
{
  AvahiStringList *item = avahi_string_list_find (txt, key);
  char *found_key = NULL;
  char *value = NULL;
  size_t size = 0;
  char *result = NULL;

  if (item == NULL || avahi_string_list_get_pair (item, &found_key, &value, &size) < 0)
    return NULL;
  if (value != NULL && strlen (value) == size && g_utf8_validate (value, (gssize) size, NULL))
    result = g_strdup (value);
  avahi_free (found_key);
  avahi_free (value);
  return result;
}

static ShoalLanPeer *
peer_from_resolution (const char         *name,
                      const AvahiAddress *address,
                      uint16_t            port,
                      AvahiStringList    *txt)
{
  ShoalLanPeer *peer = g_new0 (ShoalLanPeer, 1);
  g_autofree char *guid = txt_value (txt, SHOAL_LAN_TXT_GUID);
  g_autofree char *role = txt_value (txt, SHOAL_LAN_TXT_ROLE);

  peer->name = g_strdup (name);
  peer->endpoint.address = g_ntohl (address->data.ipv4.address);
  peer->endpoint.port = port;
  peer->has_guid = guid != NULL && shoal_guid_from_hex (guid, -1, &peer->guid, NULL);
  if (!peer->has_guid)
    memset (&peer->guid, 0, sizeof peer->guid);
  peer->role = g_strcmp0 (role, TXT_ROLE_ULTRAPEER) == 0
               ? SHOAL_PEER_ROLE_ULTRAPEER : SHOAL_PEER_ROLE_LEAF;
  peer->vendor = txt_value (txt, SHOAL_LAN_TXT_VENDOR);
  peer->version = txt_value (txt, SHOAL_LAN_TXT_VERSION);
  return peer;
}

static void
take_resolution (Instance               *instance,
                 const AvahiAddress     *address,
                 uint16_t                port,
                 AvahiStringList        *txt,
                 AvahiLookupResultFlags  flags)
{
  Sighting *sighting = instance->sighting;
  ShoalLanDiscovery *self = sighting->owner;
  g_autoptr(ShoalLanPeer) peer = NULL;

  if (address->proto != AVAHI_PROTO_INET)
    return;
  peer = peer_from_resolution (sighting->name, address, port, txt);
  g_clear_pointer (&instance->resolved, shoal_lan_peer_free);
  if ((flags & AVAHI_LOOKUP_RESULT_OUR_OWN) != 0 ||
      (peer->has_guid && shoal_guid_equal (&peer->guid, &self->guid)))
    {
      retract_sighting (sighting);
      return;
    }
  instance->resolved = g_steal_pointer (&peer);
  report_sighting (sighting);
}

static void
on_resolved (AvahiServiceResolver   *resolver,
             AvahiIfIndex            interface,
             AvahiProtocol           protocol,
             AvahiResolverEvent      event,
             const char             *name,
             const char             *type,
             const char             *domain,
             const char             *host_name,
             const AvahiAddress     *address,
             uint16_t                port,
             AvahiStringList        *txt,
             AvahiLookupResultFlags  flags,
             gpointer                data)
{
  Instance *instance = data;
  ShoalLanDiscovery *self = instance->sighting->owner;

  enter_callback (self);
  if (event == AVAHI_RESOLVER_FOUND)
    take_resolution (instance, address, port, txt, flags);
  else
    {
      /* Until the service goes and comes back. */
      g_debug ("LAN discovery: cannot resolve “%s”: %s", instance->sighting->name,
               avahi_strerror (avahi_client_errno (avahi_service_resolver_get_client (resolver))));
      g_clear_pointer (&instance->resolver, avahi_service_resolver_free);
    }
  leave_callback (self);
}

static void
add_instance (ShoalLanDiscovery *self,
              AvahiIfIndex       interface,
              AvahiProtocol      protocol,
              const char        *name,
              const char        *domain)
{
  Sighting *sighting = g_hash_table_lookup (self->sightings, name);
  Instance *instance;

  if (sighting == NULL)
    {
      sighting = sighting_new (self, name);
      g_hash_table_insert (self->sightings, sighting->name, sighting);
    }
  if (find_instance (sighting, interface, protocol) != G_MAXUINT)
    return;
  instance = g_new0 (Instance, 1);
  instance->sighting = sighting;
  instance->interface = interface;
  instance->protocol = protocol;
  g_ptr_array_add (sighting->instances, instance);
  instance->resolver = avahi_service_resolver_new (self->client, interface, protocol, name,
                                                   SHOAL_LAN_SERVICE_TYPE, domain,
                                                   AVAHI_PROTO_INET, 0, on_resolved, instance);
  if (instance->resolver == NULL)
    g_debug ("LAN discovery: cannot resolve “%s”: %s", name,
             avahi_strerror (avahi_client_errno (self->client)));
}

static void
remove_instance (ShoalLanDiscovery *self,
                 AvahiIfIndex       interface,
                 AvahiProtocol      protocol,
                 const char        *name)
{
  Sighting *sighting = g_hash_table_lookup (self->sightings, name);
  g_autofree char *lost = NULL;
  guint index;

  if (sighting == NULL ||
      (index = find_instance (sighting, interface, protocol)) == G_MAXUINT)
    return;
  if (sighting->source == g_ptr_array_index (sighting->instances, index))
    sighting->source = NULL;
  g_ptr_array_remove_index (sighting->instances, index);
  if (sighting->instances->len > 0)
    {
      /* Still seen elsewhere: perhaps with other data. */
      report_sighting (sighting);
      return;
    }
  if (sighting->reported != NULL)
    lost = g_strdup (name);
  g_hash_table_remove (self->sightings, name);
  if (lost != NULL)
    g_signal_emit (self, signals[SIGNAL_PEER_LOST], 0, lost);
}

static void
on_browsed (AvahiServiceBrowser    *browser,
            AvahiIfIndex            interface,
            AvahiProtocol           protocol,
            AvahiBrowserEvent       event,
            const char             *name,
            const char             *type,
            const char             *domain,
            AvahiLookupResultFlags  flags,
            gpointer                data)
{
  ShoalLanDiscovery *self = data;

  enter_callback (self);
  switch (event)
    {
    case AVAHI_BROWSER_NEW:
      /* Even a name we publish: we may lose it to another host after a
       * collision, and no new browse result comes then. Its resolution
       * tells (by GUID) whether it is ours. */
      add_instance (self, interface, protocol, name, domain);
      break;
    case AVAHI_BROWSER_REMOVE:
      remove_instance (self, interface, protocol, name);
      break;
    case AVAHI_BROWSER_FAILURE:
      fail_with_avahi_error (self, "browsing failed",
                             avahi_client_errno (avahi_service_browser_get_client (browser)));
      break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
    case AVAHI_BROWSER_ALL_FOR_NOW:
    default:
      break;
    }
  leave_callback (self);
}

static void
ensure_browsing (ShoalLanDiscovery *self,
                 AvahiClient       *client)
{
  if (self->browser != NULL)
    return;
  self->browser = avahi_service_browser_new (client, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET,
                                             SHOAL_LAN_SERVICE_TYPE, NULL, 0, on_browsed, self);
  if (self->browser == NULL)
    fail_with_avahi_error (self, "cannot browse the LAN", avahi_client_errno (client));
}

/* The client -------------------------------------------------------------- */

static void
handle_client_failure (ShoalLanDiscovery *self,
                       AvahiClient       *client)
{
  int error = avahi_client_errno (client);

  if (error != AVAHI_ERR_DISCONNECTED)
    {
      fail_with_avahi_error (self, "lost avahi-daemon", error);
      return;
    }
  /* The daemon (or the bus) went away: a new client waits for it. */
  release_client (self, TRUE);
  if (is_stopped (self))
    return;
  /* Unless we were still waiting for it. */
  if (self->state != SHOAL_LAN_STATE_UNAVAILABLE)
    set_state (self, SHOAL_LAN_STATE_UNAVAILABLE, REASON_DAEMON_GONE);
  connect_to_daemon (self);
}

static void
on_client_state (AvahiClient      *client,
                 AvahiClientState  state,
                 gpointer          data)
{
  ShoalLanDiscovery *self = data;

  enter_callback (self);
  /* avahi_client_new() calls back before it returns. */
  self->client = client;
  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      if (self->state != SHOAL_LAN_STATE_RUNNING)
        set_state (self, SHOAL_LAN_STATE_STARTING, NULL);
      ensure_browsing (self, client);
      if (self->client != NULL)
        ensure_published (self, client);
      break;
    case AVAHI_CLIENT_S_REGISTERING:
    case AVAHI_CLIENT_S_COLLISION:
      /* The daemon is (re)naming its host: our records wait for it. */
      if (self->group != NULL)
        avahi_entry_group_reset (self->group);
      set_published_name (self, NULL);
      set_state (self, SHOAL_LAN_STATE_STARTING, NULL);
      break;
    case AVAHI_CLIENT_CONNECTING:
      /* Waiting for a daemon that went away says so, nothing more. */
      if (g_strcmp0 (self->reason, REASON_DAEMON_GONE) != 0)
        set_state (self, SHOAL_LAN_STATE_UNAVAILABLE, REASON_NO_DAEMON);
      break;
    case AVAHI_CLIENT_FAILURE:
      handle_client_failure (self, client);
      break;
    default:
      break;
    }
  leave_callback (self);
}

static void
connect_to_daemon (ShoalLanDiscovery *self)
{
  AvahiClient *client;
  int error = 0;

  cancel_retry (self);
  client = avahi_client_new (avahi_glib_poll_get (self->poll), AVAHI_CLIENT_NO_FAIL,
                             on_client_state, self, &error);
  if (client != NULL)
    return;
  /* With NO_FAIL only a missing bus fails at once. */
  if (error == AVAHI_ERR_NO_DAEMON || error == AVAHI_ERR_DBUS_ERROR)
    fail_and_retry (self, REASON_NO_BUS);
  else
    fail_with_avahi_error (self, "cannot reach avahi-daemon", error);
}

static void
backend_start (ShoalLanDiscovery *self)
{
  self->poll = avahi_glib_poll_new (self->context, G_PRIORITY_DEFAULT);
  connect_to_daemon (self);
}

static void
backend_stop (ShoalLanDiscovery *self)
{
  release_client (self, FALSE);
  release_poll (self);
}

static void
backend_update_role (ShoalLanDiscovery *self)
{
  g_autoptr(AvahiStringList) txt = NULL;
  int error;

  /* Not published yet: publish() takes the role as it is then. */
  if (self->group == NULL || avahi_entry_group_is_empty (self->group))
    return;
  txt = build_txt (self);
  error = avahi_entry_group_update_service_txt_strlst (self->group, AVAHI_IF_UNSPEC,
                                                       AVAHI_PROTO_UNSPEC, 0, self->name,
                                                       SHOAL_LAN_SERVICE_TYPE, NULL, txt);
  if (error < 0)
    g_message ("LAN discovery: cannot update our TXT record: %s", avahi_strerror (error));
}

#else /* !SHOAL_HAVE_AVAHI */

static void
backend_start (ShoalLanDiscovery *self)
{
  set_state (self, SHOAL_LAN_STATE_UNAVAILABLE, REASON_NO_AVAHI);
}

static void
backend_stop (ShoalLanDiscovery *self)
{
  g_autoptr(GPtrArray) forgotten G_GNUC_UNUSED = forget_sightings (self);
}

static void
backend_update_role (ShoalLanDiscovery *self)
{
}

#endif /* SHOAL_HAVE_AVAHI */

/* GObject ------------------------------------------------------------------ */

static void
shoal_lan_discovery_dispose (GObject *object)
{
  shoal_lan_discovery_stop (SHOAL_LAN_DISCOVERY (object));
  G_OBJECT_CLASS (shoal_lan_discovery_parent_class)->dispose (object);
}

static void
shoal_lan_discovery_finalize (GObject *object)
{
  ShoalLanDiscovery *self = SHOAL_LAN_DISCOVERY (object);

  g_hash_table_unref (self->sightings);
  g_free (self->name);
  g_free (self->published_name);
  g_free (self->reason);
  G_OBJECT_CLASS (shoal_lan_discovery_parent_class)->finalize (object);
}

static void
shoal_lan_discovery_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ShoalLanDiscovery *self = SHOAL_LAN_DISCOVERY (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SERVICE_NAME:
      g_value_set_string (value, self->published_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_lan_discovery_class_init (ShoalLanDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = shoal_lan_discovery_dispose;
  object_class->finalize = shoal_lan_discovery_finalize;
  object_class->get_property = shoal_lan_discovery_get_property;

  /* With each change, get_reason() may have changed too. */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, "Where publishing and browsing stand",
                       SHOAL_TYPE_LAN_STATE, SHOAL_LAN_STATE_OFF, read_only);
  properties[PROP_SERVICE_NAME] =
    g_param_spec_string ("service-name", NULL,
                         "The name published, after any renaming; NULL until it is",
                         NULL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalLanDiscovery::peer-found:
   * @peer: (type gpointer): the ShoalLanPeer, valid during the emission
   *
   * A peer resolved, or resolved again with other data.
   */
  signals[SIGNAL_PEER_FOUND] =
    g_signal_new ("peer-found", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /**
   * ShoalLanDiscovery::peer-lost:
   * @name: the service name of a peer reported before
   *
   * Its service went away, we lost sight of the LAN (avahi-daemon or
   * the bus went away), or the name turned out to be ours. Not emitted
   * by stop().
   */
  signals[SIGNAL_PEER_LOST] =
    g_signal_new ("peer-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
shoal_lan_discovery_init (ShoalLanDiscovery *self)
{
  self->sightings = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, sighting_free);
  self->retry_interval_s = SHOAL_LAN_RETRY_S;
}

/* Public API ---------------------------------------------------------------- */

ShoalLanDiscovery *
shoal_lan_discovery_new (const ShoalGuid *guid,
                         guint16          port,
                         ShoalPeerRole    role,
                         const char      *service_name)
{
  ShoalLanDiscovery *self;
  g_autofree char *name = NULL;

  g_return_val_if_fail (guid != NULL, NULL);
  g_return_val_if_fail (port > 0, NULL);
  g_return_val_if_fail (service_name == NULL || g_utf8_validate (service_name, -1, NULL), NULL);

  self = g_object_new (SHOAL_TYPE_LAN_DISCOVERY, NULL);
  self->guid = *guid;
  self->port = port;
  self->role = role;
  name = service_name != NULL && *service_name != '\0'
         ? g_strdup (service_name)
         : g_strdup_printf (DEFAULT_NAME_FORMAT, g_get_host_name ());
  self->name = truncate_name (name);
  return self;
}

void
shoal_lan_discovery_start (ShoalLanDiscovery *self)
{
  g_return_if_fail (SHOAL_IS_LAN_DISCOVERY (self));

  if (self->context != NULL)
    return;
  self->context = g_main_context_ref_thread_default ();
  backend_start (self);
}

void
shoal_lan_discovery_stop (ShoalLanDiscovery *self)
{
  g_return_if_fail (SHOAL_IS_LAN_DISCOVERY (self));

  if (self->context == NULL)
    return;
  cancel_retry (self);
  backend_stop (self);
  g_clear_pointer (&self->context, g_main_context_unref);
  set_state (self, SHOAL_LAN_STATE_OFF, NULL);
}

void
shoal_lan_discovery_set_role (ShoalLanDiscovery *self,
                              ShoalPeerRole      role)
{
  g_return_if_fail (SHOAL_IS_LAN_DISCOVERY (self));

  if (self->role == role)
    return;
  self->role = role;
  backend_update_role (self);
}

void
shoal_lan_discovery_set_retry_interval (ShoalLanDiscovery *self,
                                        guint              seconds)
{
  g_return_if_fail (SHOAL_IS_LAN_DISCOVERY (self));
  g_return_if_fail (seconds > 0);

  self->retry_interval_s = seconds;
}

ShoalLanState
shoal_lan_discovery_get_state (ShoalLanDiscovery *self)
{
  g_return_val_if_fail (SHOAL_IS_LAN_DISCOVERY (self), SHOAL_LAN_STATE_OFF);

  return self->state;
}

const char *
shoal_lan_discovery_get_reason (ShoalLanDiscovery *self)
{
  g_return_val_if_fail (SHOAL_IS_LAN_DISCOVERY (self), NULL);

  return self->reason;
}

const char *
shoal_lan_discovery_get_service_name (ShoalLanDiscovery *self)
{
  g_return_val_if_fail (SHOAL_IS_LAN_DISCOVERY (self), NULL);

  return self->published_name;
}

GPtrArray *
shoal_lan_discovery_list_peers (ShoalLanDiscovery *self)
{
  GPtrArray *peers;
  GHashTableIter iter;
  Sighting *sighting;

  g_return_val_if_fail (SHOAL_IS_LAN_DISCOVERY (self), NULL);

  peers = g_ptr_array_new_with_free_func ((GDestroyNotify) shoal_lan_peer_free);
  g_hash_table_iter_init (&iter, self->sightings);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &sighting))
    if (sighting->reported != NULL)
      g_ptr_array_add (peers, shoal_lan_peer_copy (sighting->reported));
  return peers;
}
