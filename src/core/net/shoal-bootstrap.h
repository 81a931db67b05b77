/* shoal-bootstrap.h — the last resort for finding hosts: UDP host caches,
 * then GWebCaches, contacted sparingly, feeding a ShoalHostCache. */
#pragma once

#include <gio/gio.h>

#include "shoal-host-cache.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_BOOTSTRAP (shoal_bootstrap_get_type ())
G_DECLARE_FINAL_TYPE (ShoalBootstrap, shoal_bootstrap, SHOAL, BOOTSTRAP, GObject)

/* Etiquette (gnutella-0.6.md §11): one cache at a time, and the next one
 * only some seconds after the last was asked. */
#define SHOAL_BOOTSTRAP_DEFAULT_CONTACT_INTERVAL_SECONDS 10
/* Caches contacted at most per session (the object's life). */
#define SHOAL_BOOTSTRAP_DEFAULT_MAX_CONTACTS 8
/* "At most about one cache contact per session" for GWebCaches, another
 * only if the first did not answer. */
#define SHOAL_BOOTSTRAP_MAX_GWEBCACHE_CONTACTS 2
/* The same cache is not asked again within this (gtk-gnutella's
 * UHC_RETRY_AFTER, src/core/uhc.c). */
#define SHOAL_BOOTSTRAP_SOURCE_RETRY_SECONDS 3600
/* Caches learned from replies ("PHC", "U|") kept per kind. */
#define SHOAL_BOOTSTRAP_MAX_LEARNED_SOURCES 16

/* The built-in lists: gtk-gnutella's boot UHCs and long-lived GWebCaches
 * serving net=gnutella. NULL-terminated, static. */
const char * const *shoal_bootstrap_get_default_udp_host_caches (void);
const char * const *shoal_bootstrap_get_default_gwebcaches      (void);

/* Starts with the built-in lists, in random order to spread the load. */
ShoalBootstrap *shoal_bootstrap_new            (ShoalHostCache *cache);

/* Replaces both lists ("host:port" UHCs, http:// GWebCache URLs), asked in
 * the order given. NULL or empty disables that kind; both empty disable
 * bootstrapping. Contacts made so far still count for the session. */
void            shoal_bootstrap_set_sources    (ShoalBootstrap     *self,
                                                const char * const *udp_host_caches,
                                                const char * const *gwebcaches);
/* The servent's UDP socket to ping UHCs from (its pongs come back to our
 * advertised port); NULL: a private socket per query. */
void            shoal_bootstrap_set_udp_socket (ShoalBootstrap *self,
                                                GSocket        *socket);
/* Replaces the wall clock that paces contacts, for tests. A contact
 * waiting for its turn is planned again on the new clock. */
void            shoal_bootstrap_set_clock      (ShoalBootstrap     *self,
                                                ShoalHostClockFunc  clock,
                                                gpointer            user_data);

/* Contacts caches one at a time, each at least :contact-interval after
 * the previous one, until the host cache holds @target_hosts hosts. Every
 * host learned goes into the cache with its source; ::contacted reports
 * each contact. TRUE once the cache holds @target_hosts; FALSE with
 * SHOAL_NET_ERROR_UNREACHABLE when no cache is left to contact this
 * session, G_IO_ERROR_CANCELLED when cancelled, G_IO_ERROR_PENDING when a
 * run is already under way. */
void            shoal_bootstrap_run_async      (ShoalBootstrap      *self,
                                                guint                target_hosts,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        shoal_bootstrap_run_finish     (ShoalBootstrap  *self,
                                                GAsyncResult    *result,
                                                GError         **error);

guint           shoal_bootstrap_get_contacts   (ShoalBootstrap *self);
gboolean        shoal_bootstrap_get_running    (ShoalBootstrap *self);
/* When the next contact is due on the bootstrap's clock (microseconds),
 * 0 when none is waiting for its turn. */
gint64          shoal_bootstrap_get_next_contact (ShoalBootstrap *self);

G_END_DECLS
