/* shoal-bootstrap.c — finding hosts when nothing else knows any: UDP host
 * caches first (as gtk-gnutella does), then GWebCaches, one contact at a
 * time, paced and capped per session. */
#include "shoal-bootstrap.h"

#include "shoal-gwebcache.h"
#include "shoal-net-types.h"
#include "shoal-udp-host-cache.h"

/* gtk-gnutella's boot_hosts (src/core/uhc.c, gtk-gnutella commit
 * f04c634ed51e122d5b05a76b8fca786e2e1d0964). */
static const char *const default_udp_host_caches[] = {
  "1.uhc.gtk-gnutella.nl:19104",
  "uhc.gtk-gnutella.nl:15749",
  "useast.gnutella.dyslexicfish.net:3558",
  "uswest.gnutella.dyslexicfish.net:3558",
  "uk.gnutella.dyslexicfish.net:3558",
  NULL,
};

/* Multi-network GWebCaches that have answered net=gnutella for years. */
static const char *const default_gwebcaches[] = {
  "http://midian.jayl.de/g2/bazooka.php",
  "http://bj.ddns.net/beacon/gwc.php",
  "http://gweb3.4octets.co.uk/gwc.php",
  NULL,
};

typedef enum
{
  SOURCE_UDP_HOST_CACHE,
  SOURCE_GWEBCACHE,
} SourceKind;

typedef struct
{
  char   *address;       /* "host:port" or a URL */
  gint64  contacted_at;  /* on the bootstrap's clock; 0: never */
} Source;

/* One contact under way: what it asked, for the report. */
typedef struct
{
  GTask *run;
  char  *address;
} Contact;

struct _ShoalBootstrap
{
  GObject             parent_instance;

  ShoalHostCache     *cache;
  GPtrArray          *udp_host_caches;  /* Source* */
  GPtrArray          *gwebcaches;       /* Source* */
  guint               learned_udp_host_caches;
  guint               learned_gwebcaches;
  GSocket            *udp_socket;
  ShoalHostClockFunc  clock;
  gpointer            clock_data;
  guint               contact_interval;  /* seconds */
  guint               max_contacts;
  guint               query_timeout_ms;

  guint               contacts;          /* this session */
  guint               gwebcache_contacts;
  gint64              last_contact;      /* on the clock; 0: none yet */

  /* The run under way, if any. */
  GTask              *run;
  guint               target_hosts;
  GSource            *wait_source;       /* the next contact's turn */
  GSource            *cancel_source;
  gint64              next_contact;
};

enum
{
  PROP_0,
  PROP_CONTACT_INTERVAL,
  PROP_MAX_CONTACTS,
  PROP_QUERY_TIMEOUT,
  PROP_CONTACTS,
  PROP_RUNNING,
  PROP_NEXT_CONTACT,
  N_PROPS
};

enum
{
  SIGNAL_CONTACTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ShoalBootstrap, shoal_bootstrap, G_TYPE_OBJECT)

/* Sources ------------------------------------------------------------------- */

static void
source_free (gpointer pointer)
{
  Source *source = pointer;

  g_free (source->address);
  g_free (source);
}

static void
contact_free (Contact *contact)
{
  g_object_unref (contact->run);
  g_free (contact->address);
  g_free (contact);
}

static gboolean
has_source (GPtrArray  *sources,
            const char *address)
{
  for (guint i = 0; i < sources->len; i++)
    {
      if (g_ascii_strcasecmp (((Source *) g_ptr_array_index (sources, i))->address, address) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
append_source (GPtrArray  *sources,
               const char *address)
{
  Source *source = g_new0 (Source, 1);

  source->address = g_strdup (address);
  g_ptr_array_add (sources, source);
}

static GPtrArray *
new_source_list (const char * const *addresses)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func (source_free);

  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++)
    {
      if (!has_source (sources, addresses[i]))
        append_source (sources, addresses[i]);
    }
  return sources;
}

static void
shuffle (GPtrArray *sources)
{
  for (guint i = sources->len; i > 1; i--)
    {
      guint j = (guint) g_random_int_range (0, (gint32) i);
      gpointer swap = sources->pdata[i - 1];

      sources->pdata[i - 1] = sources->pdata[j];
      sources->pdata[j] = swap;
    }
}

/* Remembers a cache another cache named, within the cap. */
static void
learn_source (GPtrArray  *sources,
              guint      *learned,
              const char *address)
{
  if (*learned >= SHOAL_BOOTSTRAP_MAX_LEARNED_SOURCES || has_source (sources, address))
    return;
  append_source (sources, address);
  (*learned)++;
}

static gint64
now_usec (ShoalBootstrap *self)
{
  return self->clock (self->clock_data);
}

static gboolean
may_contact_again (const Source *source,
                   gint64        now)
{
  return source->contacted_at == 0 ||
         now - source->contacted_at >= (gint64) SHOAL_BOOTSTRAP_SOURCE_RETRY_SECONDS * G_USEC_PER_SEC;
}

static Source *
first_ready (GPtrArray *sources,
             gint64     now)
{
  for (guint i = 0; i < sources->len; i++)
    {
      Source *source = g_ptr_array_index (sources, i);

      if (may_contact_again (source, now))
        return source;
    }
  return NULL;
}

/* UDP host caches first: cheap for everyone, and what gtk-gnutella uses. */
static Source *
next_source (ShoalBootstrap *self,
             gint64          now,
             SourceKind     *kind)
{
  Source *source;

  if (self->contacts >= self->max_contacts)
    return NULL;
  source = first_ready (self->udp_host_caches, now);
  *kind = SOURCE_UDP_HOST_CACHE;
  if (source != NULL || self->gwebcache_contacts >= SHOAL_BOOTSTRAP_MAX_GWEBCACHE_CONTACTS)
    return source;
  *kind = SOURCE_GWEBCACHE;
  return first_ready (self->gwebcaches, now);
}

/* Feeding the host cache ---------------------------------------------------------- */

static guint
add_hosts (ShoalBootstrap  *self,
           GArray          *hosts,
           ShoalHostSource  source,
           ShoalHostRole    role)
{
  guint added = 0;

  for (guint i = 0; i < hosts->len; i++)
    {
      if (shoal_host_cache_add (self->cache, &g_array_index (hosts, ShoalIpv4Endpoint, i),
                                source, role))
        added++;
    }
  return added;
}

/* gtk-gnutella files "IPP" hosts from a UHC as ultrapeers: "SCP" asked
 * for them. */
static guint
take_udp_host_cache_reply (ShoalBootstrap               *self,
                           const ShoalUdpHostCacheReply *reply)
{
  guint added = add_hosts (self, reply->hosts, SHOAL_HOST_SOURCE_UHC, SHOAL_HOST_ROLE_ULTRAPEER);

  if (reply->responder.port != 0 &&
      shoal_host_cache_add (self->cache, &reply->responder, SHOAL_HOST_SOURCE_UHC,
                            reply->responder_is_ultrapeer ? SHOAL_HOST_ROLE_ULTRAPEER
                                                          : SHOAL_HOST_ROLE_UNKNOWN))
    added++;
  for (guint i = 0; i < reply->udp_host_caches->len; i++)
    learn_source (self->udp_host_caches, &self->learned_udp_host_caches,
                  g_ptr_array_index (reply->udp_host_caches, i));
  return added;
}

static guint
take_gwebcache_reply (ShoalBootstrap            *self,
                      const ShoalGwebcacheReply *reply)
{
  for (guint i = 0; i < reply->caches->len; i++)
    learn_source (self->gwebcaches, &self->learned_gwebcaches,
                  g_ptr_array_index (reply->caches, i));
  return add_hosts (self, reply->hosts, SHOAL_HOST_SOURCE_GWC, SHOAL_HOST_ROLE_UNKNOWN);
}

/* The run ---------------------------------------------------------------------- */

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
set_next_contact (ShoalBootstrap *self,
                  gint64          next_contact)
{
  if (self->next_contact == next_contact)
    return;
  self->next_contact = next_contact;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEXT_CONTACT]);
}

/* Ends the run: TRUE, or @error when set. */
static void
finish_run (ShoalBootstrap *self,
            GError         *error)
{
  g_autoptr(GTask) run = g_steal_pointer (&self->run);

  destroy_source (&self->wait_source);
  destroy_source (&self->cancel_source);
  set_next_contact (self, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (error != NULL)
    g_task_return_error (run, error);
  else
    g_task_return_boolean (run, TRUE);
}

static void run_step (ShoalBootstrap *self);

static void
report_contact (ShoalBootstrap *self,
                Contact        *contact,
                guint           added,
                const GError   *error)
{
  if (error != NULL)
    g_message ("bootstrap: %s", error->message);
  else
    g_message ("bootstrap: %s gave %u usable hosts", contact->address, added);
  g_signal_emit (self, signals[SIGNAL_CONTACTED], 0, contact->address, added, error);
}

/* After a contact: reported, then the run goes on unless it was cancelled
 * (the contact's error says so). */
static void
contact_done (ShoalBootstrap *self,
              Contact        *contact,
              guint           added,
              GError         *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_run (self, error);
      return;
    }
  report_contact (self, contact, added, error);
  g_clear_error (&error);
  run_step (self);
}

static void
on_udp_host_cache_done (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Contact *contact = user_data;
  ShoalBootstrap *self = g_task_get_source_object (contact->run);
  GError *error = NULL;
  g_autoptr(ShoalUdpHostCacheReply) reply = shoal_udp_host_cache_query_finish (result, &error);

  contact_done (self, contact, reply != NULL ? take_udp_host_cache_reply (self, reply) : 0, error);
  contact_free (contact);
}

static void
on_gwebcache_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Contact *contact = user_data;
  ShoalBootstrap *self = g_task_get_source_object (contact->run);
  GError *error = NULL;
  g_autoptr(ShoalGwebcacheReply) reply = shoal_gwebcache_query_finish (result, &error);

  contact_done (self, contact, reply != NULL ? take_gwebcache_reply (self, reply) : 0, error);
  contact_free (contact);
}

static void
contact_source (ShoalBootstrap *self,
                Source         *source,
                SourceKind      kind,
                gint64          now)
{
  Contact *contact = g_new0 (Contact, 1);
  GCancellable *cancellable = g_task_get_cancellable (self->run);

  contact->run = g_object_ref (self->run);
  contact->address = g_strdup (source->address);
  source->contacted_at = now;
  self->last_contact = now;
  self->contacts++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACTS]);
  set_next_contact (self, 0);
  g_debug ("bootstrap: contacting %s", source->address);
  if (kind == SOURCE_UDP_HOST_CACHE)
    shoal_udp_host_cache_query_async (source->address, self->udp_socket, self->query_timeout_ms,
                                      cancellable, on_udp_host_cache_done, contact);
  else
    {
      self->gwebcache_contacts++;
      shoal_gwebcache_query_async (source->address, self->query_timeout_ms, cancellable,
                                   on_gwebcache_done, contact);
    }
}

static gboolean
on_turn (gpointer user_data)
{
  ShoalBootstrap *self = user_data;

  g_clear_pointer (&self->wait_source, g_source_unref);
  run_step (self);
  return G_SOURCE_REMOVE;
}

static void
wait_for_turn (ShoalBootstrap *self,
               gint64          due,
               gint64          now)
{
  gint64 delay_ms = (due - now + 999) / 1000;

  set_next_contact (self, due);
  self->wait_source = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_callback (self->wait_source, on_turn, self, NULL);
  g_source_attach (self->wait_source, g_task_get_context (self->run));
}

static void
run_step (ShoalBootstrap *self)
{
  gint64 now = now_usec (self);
  gint64 due = self->last_contact + (gint64) self->contact_interval * G_USEC_PER_SEC;
  guint count = shoal_host_cache_get_count (self->cache);
  SourceKind kind;
  Source *source;

  if (count >= self->target_hosts)
    {
      finish_run (self, NULL);
      return;
    }
  source = next_source (self, now, &kind);
  if (source == NULL)
    {
      finish_run (self, g_error_new (SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                                     "no bootstrap cache left to contact (%u contacted this "
                                     "session); the host cache holds %u of %u hosts",
                                     self->contacts, count, self->target_hosts));
      return;
    }
  if (self->last_contact != 0 && now < due)
    wait_for_turn (self, due, now);
  else
    contact_source (self, source, kind, now);
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  ShoalBootstrap *self = user_data;

  g_clear_pointer (&self->cancel_source, g_source_unref);
  /* A contact under way ends with its own cancellation error. */
  if (self->wait_source != NULL)
    finish_run (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "bootstrap cancelled"));
  return G_SOURCE_REMOVE;
}

/* GObject ----------------------------------------------------------------------- */

static gint64
wall_clock (gpointer user_data)
{
  return g_get_real_time ();
}

static void
shoal_bootstrap_dispose (GObject *object)
{
  ShoalBootstrap *self = SHOAL_BOOTSTRAP (object);

  /* A run holds a reference: none is under way here. */
  g_clear_object (&self->cache);
  g_clear_object (&self->udp_socket);
  G_OBJECT_CLASS (shoal_bootstrap_parent_class)->dispose (object);
}

static void
shoal_bootstrap_finalize (GObject *object)
{
  ShoalBootstrap *self = SHOAL_BOOTSTRAP (object);

  g_ptr_array_unref (self->udp_host_caches);
  g_ptr_array_unref (self->gwebcaches);
  G_OBJECT_CLASS (shoal_bootstrap_parent_class)->finalize (object);
}

static void
shoal_bootstrap_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ShoalBootstrap *self = SHOAL_BOOTSTRAP (object);
  guint *field;

  switch (prop_id)
    {
    case PROP_CONTACT_INTERVAL:
      field = &self->contact_interval;
      break;
    case PROP_MAX_CONTACTS:
      field = &self->max_contacts;
      break;
    case PROP_QUERY_TIMEOUT:
      field = &self->query_timeout_ms;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  if (*field == g_value_get_uint (value))
    return;
  *field = g_value_get_uint (value);
  g_object_notify_by_pspec (object, pspec);
}

static void
shoal_bootstrap_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ShoalBootstrap *self = SHOAL_BOOTSTRAP (object);

  switch (prop_id)
    {
    case PROP_CONTACT_INTERVAL:
      g_value_set_uint (value, self->contact_interval);
      break;
    case PROP_MAX_CONTACTS:
      g_value_set_uint (value, self->max_contacts);
      break;
    case PROP_QUERY_TIMEOUT:
      g_value_set_uint (value, self->query_timeout_ms);
      break;
    case PROP_CONTACTS:
      g_value_set_uint (value, self->contacts);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->run != NULL);
      break;
    case PROP_NEXT_CONTACT:
      g_value_set_int64 (value, self->next_contact);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
shoal_bootstrap_class_init (ShoalBootstrapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_write = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = shoal_bootstrap_dispose;
  object_class->finalize = shoal_bootstrap_finalize;
  object_class->set_property = shoal_bootstrap_set_property;
  object_class->get_property = shoal_bootstrap_get_property;

  properties[PROP_CONTACT_INTERVAL] =
    g_param_spec_uint ("contact-interval", NULL, "Seconds at least between two cache contacts",
                       0, G_MAXUINT / 1000, SHOAL_BOOTSTRAP_DEFAULT_CONTACT_INTERVAL_SECONDS,
                       read_write);
  properties[PROP_MAX_CONTACTS] =
    g_param_spec_uint ("max-contacts", NULL, "Cache contacts at most per session",
                       0, G_MAXUINT, SHOAL_BOOTSTRAP_DEFAULT_MAX_CONTACTS, read_write);
  properties[PROP_QUERY_TIMEOUT] =
    g_param_spec_uint ("query-timeout", NULL,
                       "Milliseconds one cache has to answer; 0: each kind's default",
                       0, G_MAXUINT, 0, read_write);
  properties[PROP_CONTACTS] =
    g_param_spec_uint ("contacts", NULL, "Caches contacted this session",
                       0, G_MAXUINT, 0, read_only);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, "A run is under way", FALSE, read_only);
  properties[PROP_NEXT_CONTACT] =
    g_param_spec_int64 ("next-contact", NULL,
                        "When the next contact is due (clock microseconds), 0 if none waits",
                        0, G_MAXINT64, 0, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ShoalBootstrap::contacted:
   * @address: the cache: "host:port" for a UHC, a URL for a GWebCache
   * @hosts: hosts from its reply the host cache accepted
   * @error: (nullable): why the contact failed
   *
   * After each contact, whatever its outcome.
   */
  signals[SIGNAL_CONTACTED] =
    g_signal_new ("contacted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_UINT, G_TYPE_ERROR);
}

static void
shoal_bootstrap_init (ShoalBootstrap *self)
{
  self->udp_host_caches = new_source_list (default_udp_host_caches);
  self->gwebcaches = new_source_list (default_gwebcaches);
  shuffle (self->udp_host_caches);
  shuffle (self->gwebcaches);
  self->clock = wall_clock;
  self->contact_interval = SHOAL_BOOTSTRAP_DEFAULT_CONTACT_INTERVAL_SECONDS;
  self->max_contacts = SHOAL_BOOTSTRAP_DEFAULT_MAX_CONTACTS;
}

/* Public API ---------------------------------------------------------------------- */

const char * const *
shoal_bootstrap_get_default_udp_host_caches (void)
{
  return default_udp_host_caches;
}

const char * const *
shoal_bootstrap_get_default_gwebcaches (void)
{
  return default_gwebcaches;
}

ShoalBootstrap *
shoal_bootstrap_new (ShoalHostCache *cache)
{
  ShoalBootstrap *self;

  g_return_val_if_fail (SHOAL_IS_HOST_CACHE (cache), NULL);

  self = g_object_new (SHOAL_TYPE_BOOTSTRAP, NULL);
  self->cache = g_object_ref (cache);
  return self;
}

void
shoal_bootstrap_set_sources (ShoalBootstrap     *self,
                             const char * const *udp_host_caches,
                             const char * const *gwebcaches)
{
  g_return_if_fail (SHOAL_IS_BOOTSTRAP (self));

  g_ptr_array_unref (self->udp_host_caches);
  g_ptr_array_unref (self->gwebcaches);
  self->udp_host_caches = new_source_list (udp_host_caches);
  self->gwebcaches = new_source_list (gwebcaches);
  self->learned_udp_host_caches = 0;
  self->learned_gwebcaches = 0;
}

void
shoal_bootstrap_set_udp_socket (ShoalBootstrap *self,
                                GSocket        *socket)
{
  g_return_if_fail (SHOAL_IS_BOOTSTRAP (self));
  g_return_if_fail (socket == NULL || G_IS_SOCKET (socket));

  g_set_object (&self->udp_socket, socket);
}

void
shoal_bootstrap_set_clock (ShoalBootstrap     *self,
                           ShoalHostClockFunc  clock,
                           gpointer            user_data)
{
  g_return_if_fail (SHOAL_IS_BOOTSTRAP (self));

  self->clock = clock != NULL ? clock : wall_clock;
  self->clock_data = user_data;
  if (self->wait_source == NULL)
    return;
  destroy_source (&self->wait_source);
  run_step (self);
}

void
shoal_bootstrap_run_async (ShoalBootstrap      *self,
                           guint                target_hosts,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SHOAL_IS_BOOTSTRAP (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, shoal_bootstrap_run_async);
  if (self->run != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "a bootstrap run is already under way");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  self->run = g_steal_pointer (&task);
  self->target_hosts = target_hosts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_attach (self->cancel_source, g_task_get_context (self->run));
    }
  run_step (self);
}

gboolean
shoal_bootstrap_run_finish (ShoalBootstrap  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
shoal_bootstrap_get_contacts (ShoalBootstrap *self)
{
  g_return_val_if_fail (SHOAL_IS_BOOTSTRAP (self), 0);

  return self->contacts;
}

gboolean
shoal_bootstrap_get_running (ShoalBootstrap *self)
{
  g_return_val_if_fail (SHOAL_IS_BOOTSTRAP (self), FALSE);

  return self->run != NULL;
}

gint64
shoal_bootstrap_get_next_contact (ShoalBootstrap *self)
{
  g_return_val_if_fail (SHOAL_IS_BOOTSTRAP (self), 0);

  return self->next_contact;
}
