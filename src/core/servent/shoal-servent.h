/* shoal-servent.h — the whole servent behind one object: the node
 * manager's links, the router, the library answering queries, and the
 * user's searches. What the daemon and the desktop app both drive. */
#pragma once

#include <gio/gio.h>

#include "shoal-library.h"
#include "shoal-node-manager.h"
#include "shoal-router.h"
#include "shoal-search.h"
#include "shoal-transfers.h"
#include "shoal-upload-server.h"

G_BEGIN_DECLS

#define SHOAL_TYPE_SERVENT (shoal_servent_get_type ())
G_DECLARE_FINAL_TYPE (ShoalServent, shoal_servent, SHOAL, SERVENT, GObject)

/* A library change reaches our QRP table and pongs this long after the
 * last change of a burst. */
#define SHOAL_SERVENT_LIBRARY_SETTLE_MS 1000
/* Files one query is answered with at most (gtk-gnutella answers with a
 * few hits of 10 records). */
#define SHOAL_SERVENT_MAX_ANSWERS 50
/* A leaf's search is over (finished; late hits still come) this long
 * after its query went to its ultrapeers, which run it without reporting
 * back (a leaf-guided dynamic query lasts about as long). */
#define SHOAL_SERVENT_LEAF_SEARCH_S 30
/* How long connecting back to a downloader that pushed us may take. */
#define SHOAL_SERVENT_PUSH_CONNECT_TIMEOUT_S 10

/* @library may be NULL: a node that shares nothing. */
ShoalServent     *shoal_servent_new            (const ShoalNodeConfig *config,
                                                ShoalLibrary          *library);
gboolean          shoal_servent_start          (ShoalServent  *self,
                                                GError       **error);
/* BYE to every peer; searches stop. */
void              shoal_servent_shutdown       (ShoalServent *self);
/* Takes what of @config can change while the servent runs: the role mode
 * and slots, the role thresholds and upload bandwidth, dials at once, the
 * QRP period, bootstrap anchors and caches, browse host, LAN discovery,
 * the manual peers, upload slots and the upload and download caps.
 * Ports, addresses, folders, allow_private and lan_only keep their
 * values until the next start. */
void              shoal_servent_update_config  (ShoalServent          *self,
                                                const ShoalNodeConfig *config);

ShoalNodeManager *shoal_servent_get_node_manager (ShoalServent *self);
ShoalRouter      *shoal_servent_get_router     (ShoalServent *self);
ShoalLibrary     *shoal_servent_get_library    (ShoalServent *self);
/* Serves the library's files once started; NULL without a library. */
ShoalUploadServer *shoal_servent_get_upload_server (ShoalServent *self);

/* The downloads (transfer none); NULL before start. */
ShoalTransfers   *shoal_servent_get_transfers  (ShoalServent *self);
/* Downloads the file of a search row from every source it lists (a new
 * reference; the existing download when the SHA-1 is already queued). */
ShoalDownload    *shoal_servent_download       (ShoalServent       *self,
                                                ShoalSearchResult  *result,
                                                GError            **error);

/* Starts a search (see shoal_search_new for @text); it is kept in
 * shoal_servent_get_searches() until removed (transfer none). */
ShoalSearch      *shoal_servent_search         (ShoalServent  *self,
                                                const char    *text,
                                                GError       **error);
void              shoal_servent_remove_search  (ShoalServent *self,
                                                ShoalSearch  *search);
/* GListModel of ShoalSearch (transfer none). */
GListModel       *shoal_servent_get_searches   (ShoalServent *self);

G_END_DECLS
