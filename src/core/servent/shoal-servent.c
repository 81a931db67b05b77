/* shoal-servent.c — the node manager, the router, the library and the
 * searches wired together. */
#include "shoal-servent.h"

#include "shoal-dynamic-query.h"
#include "shoal-hit-builder.h"
#include "shoal-rate-limit.h"
#include "shoal-upload-server.h"
#include "shoal-urn.h"

#include <string.h>

struct _ShoalServent
{
  GObject           parent_instance;

  ShoalNodeConfig  *config;
  ShoalNodeManager *node;
  ShoalRouter      *router;
  ShoalLibrary     *library;         /* may be NULL */
  ShoalUploadServer *uploads;        /* with the library */
  ShoalTransfers   *transfers;
  ShoalRateLimit   *upload_limit;    /* all uploads together */
  ShoalRateLimit   *download_limit;  /* all downloads together */
  GCancellable     *cancellable;     /* library searches under way */
  GListStore       *searches;
  GHashTable       *searches_by_guid; /* ShoalGuid* → ShoalSearch*, borrowed */
  GHashTable       *leaf_deadlines;   /* ShoalSearch* (borrowed) → GSource*: a
                                       * leaf's searches end by the clock */
  guint             library_settle;
};

G_DEFINE_FINAL_TYPE (ShoalServent, shoal_servent, G_TYPE_OBJECT)

/* An answer being looked up in the library. */
typedef struct
{
  ShoalServent          *self;       /* a reference */
  ShoalGuid              query_guid;
  guint8                 query_hops;
  gboolean               by_sha1;
  ShoalQueryHitSha1Form  sha1_form;
} Answer;

/* The router's way to the links ------------------------------------------------- */

static ShoalLinkPriority
link_priority (ShoalRouterPriority priority)
{
  switch (priority)
    {
    case SHOAL_ROUTER_PRIORITY_CONTROL:
      return SHOAL_LINK_PRIORITY_CONTROL;
    case SHOAL_ROUTER_PRIORITY_REPLY:
      return SHOAL_LINK_PRIORITY_REPLY;
    case SHOAL_ROUTER_PRIORITY_QUERY:
    default:
      return SHOAL_LINK_PRIORITY_QUERY;
    }
}

static void
ops_send (guint64              link_id,
          GBytes              *message,
          ShoalRouterPriority  priority,
          gpointer             user_data)
{
  ShoalServent *self = user_data;

  shoal_node_manager_send (self->node, link_id, message, link_priority (priority));
}

static void
ops_close_link (guint64     link_id,
                guint16     bye_code,
                const char *reason,
                gpointer    user_data)
{
  ShoalServent *self = user_data;

  shoal_node_manager_close_link (self->node, link_id, bye_code, reason);
}

static gsize
ops_queued_bytes (guint64  link_id,
                  gpointer user_data)
{
  ShoalServent *self = user_data;

  return shoal_node_manager_get_queued_bytes (self->node, link_id);
}

static const ShoalRouterLinkOps router_ops = {
  ops_send,
  ops_close_link,
  ops_queued_bytes,
};

/* Links ------------------------------------------------------------------------- */

static void
on_link_added (ShoalNodeManager *node,
               ShoalPeerInfo    *info,
               gpointer          user_data)
{
  ShoalServent *self = user_data;
  ShoalRouterLinkInfo link = { 0 };

  link.peer_is_leaf = info->role == SHOAL_PEER_ROLE_LEAF;
  link.last_hop_qrp = info->last_hop_qrp;
  link.max_ttl = info->max_ttl;
  link.degree = info->degree;
  shoal_router_add_link (self->router, info->id, &link);
}

static void
on_link_removed (ShoalNodeManager *node,
                 guint64           link_id,
                 gpointer          user_data)
{
  ShoalServent *self = user_data;

  shoal_router_remove_link (self->router, link_id);
}

static void
on_message_received (ShoalNodeManager *node,
                     guint64           link_id,
                     ShoalMessage     *message,
                     gpointer          user_data)
{
  ShoalServent *self = user_data;

  shoal_router_handle_message (self->router, link_id, message);
}

static void
on_role_changed (ShoalNodeManager *node,
                 GParamSpec       *pspec,
                 gpointer          user_data)
{
  ShoalServent *self = user_data;

  shoal_router_set_ultrapeer (self->router,
                              shoal_node_manager_get_role (node) == SHOAL_PEER_ROLE_ULTRAPEER);
}

/* Uploads -------------------------------------------------------------------- */

static ShoalHitSelf describe_self (ShoalServent *self);

/* The listener hands HTTP over unread; FALSE makes it answer 503. */
static gboolean
on_http_request (ShoalListener *listener,
                 GIOStream     *stream,
                 GBytes        *already_read,
                 gpointer       remote,
                 gpointer       user_data)
{
  ShoalServent *self = user_data;

  return self->uploads != NULL && G_IS_SOCKET_CONNECTION (stream) &&
         shoal_upload_server_take (self->uploads, G_SOCKET_CONNECTION (stream));
}

/* Browse-host answers say who we are as our query hits do. */
static void
update_upload_identity (ShoalServent *self)
{
  ShoalHitSelf me;

  if (self->uploads == NULL)
    return;
  me = describe_self (self);
  shoal_upload_server_set_hit_self (self->uploads, &me);
}

/* A push names a servent's GUID and where the downloader waits: we
 * connect there, say GIV, and the upload server answers the GET that
 * follows, as if the downloader had reached us. */
typedef struct
{
  ShoalServent      *self;         /* a reference */
  guint32            file_index;
  GSocketConnection *connection;   /* once connected */
  char              *giv;          /* what we say, kept while it is written */
} PushCallback;

static void
push_callback_free (PushCallback *callback)
{
  g_object_unref (callback->self);
  g_clear_object (&callback->connection);
  g_free (callback->giv);
  g_free (callback);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushCallback, push_callback_free)

static void
on_giv_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PushCallback) callback = user_data;
  g_autoptr(GError) error = NULL;
  ShoalServent *self = callback->self;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      g_debug ("push: cannot say GIV: %s", error->message);
      return;
    }
  if (self->uploads == NULL || !shoal_upload_server_take (self->uploads, callback->connection))
    g_debug ("push: the upload server did not take the connection");
}

static void
on_push_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PushCallback) callback = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *guid = NULL;
  GOutputStream *output;
  const char *giv;

  callback->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (callback->connection == NULL)
    {
      g_debug ("push: cannot reach the downloader: %s", error->message);
      return;
    }
  g_socket_set_timeout (g_socket_connection_get_socket (callback->connection), 0);
  hex = shoal_guid_to_hex (shoal_node_manager_get_guid (callback->self->node));
  guid = g_ascii_strup (hex, -1);
  /* gtk-gnutella sends the literal name "file"; receivers only read the
   * index and the GUID. */
  callback->giv = g_strdup_printf ("GIV %u:%s/file\n\n", callback->file_index, guid);
  giv = callback->giv;
  output = g_io_stream_get_output_stream (G_IO_STREAM (callback->connection));
  /* The callback owns what is written until it is written. */
  g_output_stream_write_all_async (output, giv, strlen (giv), G_PRIORITY_DEFAULT, NULL,
                                   on_giv_written, g_steal_pointer (&callback));
}

static void
on_router_push (ShoalRouter  *router,
                guint64       link_id,
                ShoalMessage *message,
                gpointer      user_data)
{
  ShoalServent *self = user_data;
  const ShoalPush *push = message->push;
  PushCallback *callback;

  /* Whom the node manager would connect to: a LAN peer's private
   * address too, never the internet in LAN-only mode. */
  if (self->uploads == NULL || !shoal_node_manager_may_connect (self->node, &push->endpoint))
    return;
  callback = g_new0 (PushCallback, 1);
  callback->self = g_object_ref (self);
  callback->file_index = push->file_index;
  shoal_node_manager_connect_async (self->node, &push->endpoint, SHOAL_SERVENT_PUSH_CONNECT_TIMEOUT_S,
                                    on_push_connected, callback);
}

/* Downloads -------------------------------------------------------------------- */

/* A firewalled source: ask it, through the route its hits came by, to
 * connect to us. */
static void
on_push_needed (ShoalTransfers  *transfers,
                ShoalDownload   *download,
                const ShoalGuid *servent_guid,
                guint            file_index,
                gpointer         user_data)
{
  ShoalServent *self = user_data;
  ShoalIpv4Endpoint us = shoal_node_manager_get_advertised (self->node);
  g_autoptr(ShoalPush) push = NULL;
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;

  if (us.address == 0 || us.port == 0)
    return;
  push = shoal_push_new (servent_guid, file_index, &us);
  if (!shoal_push_write (push, payload, NULL))
    return;
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  if (!shoal_router_send_push (self->router, servent_guid, bytes))
    g_debug ("no route to push %s", shoal_download_get_name (download));
}

/* "GIV <index>:<32 hex digits>/<name>": what gtk-gnutella checks. */
static gboolean
parse_giv (GBytes    *line,
           guint32   *file_index,
           ShoalGuid *guid,
           char     **name)
{
  gsize length;
  const char *data = g_bytes_get_data (line, &length);
  g_autofree char *text = g_strndup (data, length);
  char *end = NULL;
  char *slash;
  guint64 index;

  if (!g_str_has_prefix (text, "GIV "))
    return FALSE;
  index = g_ascii_strtoull (text + 4, &end, 10);
  if (end == text + 4 || *end != ':' || index > G_MAXUINT32)
    return FALSE;
  slash = end + 1 + 2 * SHOAL_GUID_SIZE;
  if (strlen (end + 1) < 2 * SHOAL_GUID_SIZE + 1 || *slash != '/' ||
      !shoal_guid_from_hex (end + 1, 2 * SHOAL_GUID_SIZE, guid, NULL))
    return FALSE;
  *file_index = (guint32) index;
  *name = g_strndup (slash + 1, strcspn (slash + 1, "\r\n"));
  return TRUE;
}

static gboolean
on_giv (ShoalListener *listener,
        GIOStream     *stream,
        GBytes        *already_read,
        gpointer       remote,
        gpointer       user_data)
{
  ShoalServent *self = user_data;
  g_autofree char *name = NULL;
  guint32 file_index;
  ShoalGuid guid;

  if (self->transfers == NULL || !parse_giv (already_read, &file_index, &guid, &name))
    return FALSE;
  return shoal_transfers_take_giv (self->transfers, stream, &guid, file_index, name);
}

static char *
default_download_dir (void)
{
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  return downloads != NULL ? g_strdup (downloads)
                           : g_build_filename (g_get_home_dir (), "Downloads", NULL);
}

/* Answering queries --------------------------------------------------------------- */

static void
answer_free (Answer *answer)
{
  g_object_unref (answer->self);
  g_free (answer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Answer, answer_free)

static ShoalHitSelf
describe_self (ShoalServent *self)
{
  ShoalHitSelf me = { 0 };

  me.servent_guid = *shoal_node_manager_get_guid (self->node);
  me.endpoint = shoal_node_manager_get_advertised (self->node);
  me.firewalled = !shoal_node_manager_get_reachable (self->node);
  if (self->uploads != NULL)
    {
      ShoalUploadStats stats;
      guint max_uploads = 0;

      shoal_upload_server_get_stats (self->uploads, &stats);
      g_object_get (self->uploads, "max-uploads", &max_uploads, NULL);
      me.busy = stats.uploads >= max_uploads;
      me.browsable = self->config->browse_host;
    }
  return me;
}

static void
send_answer (Answer    *answer,
             GPtrArray *files)
{
  ShoalServent *self = answer->self;
  g_autofree ShoalHitFile *hit_files = g_new0 (ShoalHitFile, MAX (files->len, 1));
  g_autoptr(GPtrArray) messages = NULL;
  ShoalHitSelf me = describe_self (self);

  for (guint i = 0; i < files->len; i++)
    {
      const ShoalLibraryFile *file = g_ptr_array_index (files, i);

      hit_files[i].index = file->index;
      hit_files[i].size = file->stat.size;
      hit_files[i].name = file->name;
      hit_files[i].has_sha1 = file->has_sha1;
      memcpy (hit_files[i].sha1, file->sha1, sizeof hit_files[i].sha1);
    }
  messages = shoal_hit_builder_build (&me, &answer->query_guid, answer->query_hops, hit_files,
                                      files->len, answer->sha1_form);
  if (messages->len > 0 && !shoal_router_send_hits (self->router, &answer->query_guid, messages))
    g_debug ("the query we answered is gone");
}

static void
on_library_answer (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Answer) answer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;

  if (answer->by_sha1)
    files = shoal_library_search_sha1_finish (SHOAL_LIBRARY (source), result, &error);
  else
    files = shoal_library_search_finish (SHOAL_LIBRARY (source), result, &error);
  if (files == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("cannot answer a query: %s", error->message);
      return;
    }
  if (files->len > 0)
    send_answer (answer, files);
}

static void
on_router_query (ShoalRouter  *router,
                 guint64       link_id,
                 ShoalMessage *message,
                 gpointer      user_data)
{
  ShoalServent *self = user_data;
  const ShoalQuery *query = message->query;
  g_autoptr(GPtrArray) sha1s = NULL;
  Answer *answer;

  if (self->library == NULL)
    return;
  answer = g_new0 (Answer, 1);
  answer->self = g_object_ref (self);
  answer->query_guid = message->header.guid;
  answer->query_hops = message->header.hops;
  answer->sha1_form = shoal_query_has_flag (query, SHOAL_QUERY_FLAG_GGEP_H)
    ? SHOAL_QUERY_HIT_SHA1_GGEP_H : SHOAL_QUERY_HIT_SHA1_URN;
  sha1s = shoal_query_get_sha1s (query);
  if (sha1s->len > 0)
    {
      answer->by_sha1 = TRUE;
      shoal_library_search_sha1_async (self->library, g_bytes_get_data (sha1s->pdata[0], NULL),
                                       self->cancellable, on_library_answer, answer);
      return;
    }
  if (query->text == NULL || query->text[0] == '\0' || g_str_equal (query->text, SHOAL_QUERY_SHA1_TEXT))
    {
      answer_free (answer);
      return;
    }
  shoal_library_search_async (self->library, query->text, SHOAL_SERVENT_MAX_ANSWERS,
                              self->cancellable, on_library_answer, answer);
}

/* Our searches ----------------------------------------------------------------------- */

/* Every hit naming a file we are downloading is one more source of it. */
static void
add_hit_sources (ShoalServent        *self,
                 const ShoalQueryHit *hit)
{
  gboolean push = hit->trailer != NULL &&
                  shoal_query_hit_trailer_has_flag (hit->trailer, SHOAL_QUERY_HIT_FLAG_PUSH);

  if (self->transfers == NULL)
    return;
  for (guint i = 0; i < hit->records->len; i++)
    {
      const ShoalQueryHitRecord *record = g_ptr_array_index (hit->records, i);
      guint8 sha1[SHOAL_SHA1_SIZE];

      if (shoal_query_hit_record_get_sha1 (record, sha1) &&
          shoal_transfers_find (self->transfers, sha1) != NULL)
        shoal_transfers_add_source (self->transfers, sha1, &hit->endpoint, &hit->servent_guid,
                                    record->index, push, NULL);
    }
}

static void
on_router_query_hit (ShoalRouter  *router,
                     guint64       link_id,
                     ShoalMessage *message,
                     gpointer      user_data)
{
  ShoalServent *self = user_data;
  ShoalSearch *search = g_hash_table_lookup (self->searches_by_guid, &message->header.guid);

  if (search != NULL)
    shoal_search_add_hit (search, message->query_hit, link_id);
  add_hit_sources (self, message->query_hit);
}

static void
on_router_query_progress (ShoalRouter     *router,
                          const ShoalGuid *guid,
                          guint            ultrapeers,
                          gboolean         finished,
                          gpointer         user_data)
{
  ShoalServent *self = user_data;
  ShoalSearch *search = g_hash_table_lookup (self->searches_by_guid, guid);

  if (search == NULL)
    return;
  shoal_search_set_ultrapeers_queried (search, ultrapeers);
  if (finished)
    shoal_search_finish (search);
}

static void
destroy_source (gpointer source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

typedef struct
{
  ShoalServent *servent;
  ShoalSearch  *search;   /* borrowed: removing it destroys this source */
} LeafDeadline;

static gboolean
on_leaf_search_deadline (gpointer data)
{
  LeafDeadline *deadline = data;

  if (shoal_search_get_state (deadline->search) == SHOAL_SEARCH_RUNNING)
    shoal_search_finish (deadline->search);
  g_hash_table_remove (deadline->servent->leaf_deadlines, deadline->search);
  return G_SOURCE_REMOVE;
}

/* As a leaf our query goes to each of our ultrapeers, which run it for
 * us without telling how far it went: what we can say is how many got
 * it, and after a while that the network part is over. */
static void
follow_leaf_search (ShoalServent *self,
                    ShoalSearch  *search)
{
  g_autoptr(GPtrArray) peers = shoal_node_manager_list_peers (self->node);
  LeafDeadline *deadline = g_new0 (LeafDeadline, 1);
  GSource *source = g_timeout_source_new_seconds (SHOAL_SERVENT_LEAF_SEARCH_S);
  guint ultrapeers = 0;

  for (guint i = 0; i < peers->len; i++)
    ultrapeers += ((ShoalPeerInfo *) g_ptr_array_index (peers, i))->role == SHOAL_PEER_ROLE_ULTRAPEER;
  shoal_search_set_ultrapeers_queried (search, ultrapeers);
  deadline->servent = self;
  deadline->search = search;
  g_source_set_callback (source, on_leaf_search_deadline, deadline, g_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_hash_table_insert (self->leaf_deadlines, search, source);
}

static void
on_search_state (ShoalSearch *search,
                 GParamSpec  *pspec,
                 gpointer     user_data)
{
  ShoalServent *self = user_data;

  if (shoal_search_get_state (search) == SHOAL_SEARCH_STOPPED)
    shoal_router_stop_query (self->router, shoal_search_get_guid (search));
}

/* The library ---------------------------------------------------------------------- */

static gboolean
publish_library (gpointer user_data)
{
  ShoalServent *self = user_data;
  g_autoptr(ShoalQrpTable) table = shoal_library_build_qrp_table (self->library,
                                                                  SHOAL_QRP_GTKG_INFINITY);
  guint64 kbytes = shoal_library_get_shared_bytes (self->library) / 1024;

  self->library_settle = 0;
  update_upload_identity (self);
  shoal_node_manager_set_shared (self->node,
                                 (guint32) MIN (shoal_library_get_file_count (self->library), G_MAXUINT32),
                                 (guint32) MIN (kbytes, G_MAXUINT32));
  if (table != NULL)
    shoal_router_set_local_table (self->router, table);
  return G_SOURCE_REMOVE;
}

static void
on_library_changed (ShoalLibrary *library,
                    gpointer      user_data)
{
  ShoalServent *self = user_data;

  g_clear_handle_id (&self->library_settle, g_source_remove);
  self->library_settle = g_timeout_add (SHOAL_SERVENT_LIBRARY_SETTLE_MS, publish_library, self);
}

/* GObject ----------------------------------------------------------------------------- */

static void
shoal_servent_dispose (GObject *object)
{
  ShoalServent *self = SHOAL_SERVENT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->library_settle, g_source_remove);
  if (self->node != NULL)
    g_signal_handlers_disconnect_by_data (self->node, self);
  if (self->router != NULL)
    g_signal_handlers_disconnect_by_data (self->router, self);
  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  if (self->searches_by_guid != NULL)
    g_hash_table_remove_all (self->searches_by_guid);
  if (self->leaf_deadlines != NULL)
    g_hash_table_remove_all (self->leaf_deadlines);
  if (self->searches != NULL)
    {
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->searches)); i++)
        {
          g_autoptr(ShoalSearch) search = g_list_model_get_item (G_LIST_MODEL (self->searches), i);

          g_signal_handlers_disconnect_by_data (search, self);
        }
      g_list_store_remove_all (self->searches);
    }
  if (self->uploads != NULL)
    shoal_upload_server_stop (self->uploads);
  g_clear_object (&self->uploads);
  if (self->transfers != NULL)
    g_signal_handlers_disconnect_by_data (self->transfers, self);
  g_clear_object (&self->transfers);
  g_clear_object (&self->router);
  g_clear_object (&self->node);
  g_clear_object (&self->library);
  G_OBJECT_CLASS (shoal_servent_parent_class)->dispose (object);
}

static void
shoal_servent_finalize (GObject *object)
{
  ShoalServent *self = SHOAL_SERVENT (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->searches);
  g_clear_pointer (&self->searches_by_guid, g_hash_table_unref);
  g_clear_pointer (&self->leaf_deadlines, g_hash_table_unref);
  g_clear_pointer (&self->config, shoal_node_config_free);
  g_clear_pointer (&self->upload_limit, shoal_rate_limit_unref);
  g_clear_pointer (&self->download_limit, shoal_rate_limit_unref);
  G_OBJECT_CLASS (shoal_servent_parent_class)->finalize (object);
}

static void
shoal_servent_class_init (ShoalServentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = shoal_servent_dispose;
  object_class->finalize = shoal_servent_finalize;
}

static void
shoal_servent_init (ShoalServent *self)
{
  self->cancellable = g_cancellable_new ();
  self->searches = g_list_store_new (SHOAL_TYPE_SEARCH);
  self->searches_by_guid = g_hash_table_new (shoal_guid_hash, shoal_guid_equal);
  self->leaf_deadlines = g_hash_table_new_full (NULL, NULL, NULL, destroy_source);
}

/* Public API ------------------------------------------------------------------------------ */

ShoalServent *
shoal_servent_new (const ShoalNodeConfig *config,
                   ShoalLibrary          *library)
{
  ShoalServent *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (library == NULL || SHOAL_IS_LIBRARY (library), NULL);

  self = g_object_new (SHOAL_TYPE_SERVENT, NULL);
  self->config = shoal_node_config_copy (config);
  self->upload_limit =
    shoal_rate_limit_new (shoal_rate_limit_bytes_for_kbps (config->upload_limit_kbps));
  self->download_limit =
    shoal_rate_limit_new (shoal_rate_limit_bytes_for_kbps (config->download_limit_kbps));
  self->node = shoal_node_manager_new (config);
  self->router = shoal_router_new (shoal_node_manager_get_guid (self->node), &router_ops, self);
  shoal_router_set_ultrapeer (self->router,
                              shoal_node_manager_get_role (self->node) == SHOAL_PEER_ROLE_ULTRAPEER);
  if (config->qrp_period_ms > 0)
    shoal_router_set_qrp_period (self->router, config->qrp_period_ms);
  if (library != NULL)
    self->library = g_object_ref (library);
  g_signal_connect (self->node, "link-added", G_CALLBACK (on_link_added), self);
  g_signal_connect (self->node, "link-removed", G_CALLBACK (on_link_removed), self);
  g_signal_connect (self->node, "message-received", G_CALLBACK (on_message_received), self);
  g_signal_connect (self->node, "notify::role", G_CALLBACK (on_role_changed), self);
  g_signal_connect (self->router, "query", G_CALLBACK (on_router_query), self);
  g_signal_connect (self->router, "query-hit", G_CALLBACK (on_router_query_hit), self);
  g_signal_connect (self->router, "query-progress", G_CALLBACK (on_router_query_progress), self);
  g_signal_connect (self->router, "push", G_CALLBACK (on_router_push), self);
  if (self->library != NULL)
    g_signal_connect (self->library, "changed", G_CALLBACK (on_library_changed), self);
  return self;
}

/* Which sources a download may use. LAN-only mode fetches from, and
 * pushes, nobody beyond the LAN (loopback counts with allow_private).
 * Outside it an internet peer names any source it likes (in a hit, an
 * X-Alt, a magnet's xs): one on our LAN or loopback would make us probe
 * it, so as gtk-gnutella only routable addresses are taken, and the
 * Shoal peers announced on the LAN now (LAN sharing); allow_private
 * (tests, private networks by configuration) takes everything. @data is
 * the node manager (a reference, should the transfers outlive the
 * servent): its LAN peers follow mDNS, and lan_only and allow_private
 * in its settings never change while it runs. */
static gboolean
source_is_allowed (const ShoalIpv4Endpoint *endpoint,
                   gboolean                 push_needed,
                   gpointer                 data)
{
  ShoalNodeManager *node = data;
  const ShoalNodeConfig *config = shoal_node_manager_get_config (node);

  if (config->lan_only)
    return shoal_host_is_lan (endpoint, config->allow_private);
  /* A firewalled host's hit carries the private address behind its NAT:
   * it is reached by a PUSH through the network, never dialled. */
  if (push_needed)
    return TRUE;
  if (config->allow_private || shoal_host_is_dialable (endpoint, FALSE))
    return TRUE;
  return shoal_host_is_lan (endpoint, FALSE) && shoal_node_manager_is_lan_peer (node, endpoint);
}

/* The filter lets in sources at announced LAN peers: asked again when
 * they come or go. */
static void
on_lan_peers_changed (ShoalNodeManager *node,
                      ShoalServent     *self)
{
  if (self->transfers != NULL)
    shoal_transfers_refilter_sources (self->transfers);
}

/* Set once, before the restored downloads dial anything. */
static void
apply_source_filter (ShoalServent *self)
{
  shoal_transfers_set_source_filter (self->transfers, source_is_allowed,
                                     g_object_ref (self->node), g_object_unref);
  g_signal_connect (self->node, "lan-peers-changed", G_CALLBACK (on_lan_peers_changed), self);
}

static gboolean
start_transfers (ShoalServent  *self,
                 GError       **error)
{
  g_autofree char *download_dir = self->config->download_dir != NULL
    ? g_strdup (self->config->download_dir) : default_download_dir ();

  self->transfers = shoal_transfers_new (self->config->data_dir, download_dir, error);
  if (self->transfers == NULL)
    return FALSE;
  g_signal_connect (self->transfers, "push-needed", G_CALLBACK (on_push_needed), self);
  shoal_transfers_set_upload_server (self->transfers, self->uploads);
  shoal_transfers_set_rate_limit (self->transfers, self->download_limit);
  apply_source_filter (self);
  return TRUE;
}

gboolean
shoal_servent_start (ShoalServent  *self,
                     GError       **error)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), FALSE);

  if (self->library != NULL)
    {
      self->uploads = shoal_upload_server_new (self->config->data_dir);
      g_object_set (self->uploads,
                    "browse-host", self->config->browse_host,
                    "max-uploads", self->config->upload_slots,
                    NULL);
      shoal_upload_server_set_rate_limit (self->uploads, self->upload_limit);
      if (!shoal_upload_server_start (self->uploads, error))
        return FALSE;
    }
  if (!start_transfers (self, error))
    return FALSE;
  if (!shoal_node_manager_start (self->node, error))
    return FALSE;
  g_signal_connect (shoal_node_manager_get_listener (self->node), "http-request",
                    G_CALLBACK (on_http_request), self);
  g_signal_connect (shoal_node_manager_get_listener (self->node), "giv",
                    G_CALLBACK (on_giv), self);
  update_upload_identity (self);
  if (self->library != NULL && shoal_library_get_ready (self->library))
    on_library_changed (self->library, self);
  return TRUE;
}

void
shoal_servent_shutdown (ShoalServent *self)
{
  g_return_if_fail (SHOAL_IS_SERVENT (self));

  g_cancellable_cancel (self->cancellable);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->searches)); i++)
    {
      g_autoptr(ShoalSearch) search = g_list_model_get_item (G_LIST_MODEL (self->searches), i);

      shoal_search_stop (search);
    }
  shoal_node_manager_shutdown (self->node);
  if (self->uploads != NULL)
    shoal_upload_server_stop (self->uploads);
}

/* The router's period is its default when the setting says 0. */
static void
apply_qrp_period (ShoalServent *self)
{
  shoal_router_set_qrp_period (self->router, self->config->qrp_period_ms > 0
                                             ? self->config->qrp_period_ms
                                             : SHOAL_ROUTER_DEFAULT_QRP_PERIOD_MS);
}

void
shoal_servent_update_config (ShoalServent          *self,
                             const ShoalNodeConfig *config)
{
  g_return_if_fail (SHOAL_IS_SERVENT (self));
  g_return_if_fail (config != NULL);

  if (self->config->qrp_period_ms != config->qrp_period_ms)
    {
      self->config->qrp_period_ms = config->qrp_period_ms;
      apply_qrp_period (self);
    }
  self->config->browse_host = config->browse_host;
  self->config->upload_slots = config->upload_slots;
  self->config->upload_limit_kbps = config->upload_limit_kbps;
  self->config->download_limit_kbps = config->download_limit_kbps;
  if (self->uploads != NULL)
    g_object_set (self->uploads,
                  "browse-host", config->browse_host,
                  "max-uploads", config->upload_slots,
                  NULL);
  /* The limits are shared with every transfer: running ones slow down or
   * speed up at their next read. */
  shoal_rate_limit_set_rate (self->upload_limit,
                             shoal_rate_limit_bytes_for_kbps (config->upload_limit_kbps));
  shoal_rate_limit_set_rate (self->download_limit,
                             shoal_rate_limit_bytes_for_kbps (config->download_limit_kbps));
  shoal_node_manager_update_config (self->node, config);
}

ShoalNodeManager *
shoal_servent_get_node_manager (ShoalServent *self)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  return self->node;
}

ShoalRouter *
shoal_servent_get_router (ShoalServent *self)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  return self->router;
}

ShoalLibrary *
shoal_servent_get_library (ShoalServent *self)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  return self->library;
}

ShoalSearch *
shoal_servent_search (ShoalServent  *self,
                      const char    *text,
                      GError       **error)
{
  g_autoptr(ShoalSearch) search = NULL;
  g_autoptr(ShoalQuery) query = NULL;
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  search = shoal_search_new (text, error);
  if (search == NULL)
    return NULL;
  query = shoal_search_build_query (search, !shoal_node_manager_get_reachable (self->node));
  if (!shoal_query_write (query, payload, error))
    return NULL;
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  g_list_store_append (self->searches, search);
  g_hash_table_insert (self->searches_by_guid, (gpointer) shoal_search_get_guid (search), search);
  g_signal_connect (search, "notify::state", G_CALLBACK (on_search_state), self);
  shoal_router_start_query (self->router, shoal_search_get_guid (search), bytes,
                            SHOAL_DQ_OWN_RESULTS);
  if (!shoal_router_get_ultrapeer (self->router))
    follow_leaf_search (self, search);
  /* The list keeps it alive. */
  return search;
}

void
shoal_servent_remove_search (ShoalServent *self,
                             ShoalSearch  *search)
{
  guint position;

  g_return_if_fail (SHOAL_IS_SERVENT (self));
  g_return_if_fail (SHOAL_IS_SEARCH (search));

  if (!g_list_store_find (self->searches, search, &position))
    return;
  shoal_router_stop_query (self->router, shoal_search_get_guid (search));
  g_signal_handlers_disconnect_by_data (search, self);
  g_hash_table_remove (self->searches_by_guid, shoal_search_get_guid (search));
  g_hash_table_remove (self->leaf_deadlines, search);
  g_list_store_remove (self->searches, position);
}

GListModel *
shoal_servent_get_searches (ShoalServent *self)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  return G_LIST_MODEL (self->searches);
}

ShoalUploadServer *
shoal_servent_get_upload_server (ShoalServent *self)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  return self->uploads;
}

ShoalTransfers *
shoal_servent_get_transfers (ShoalServent *self)
{
  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  return self->transfers;
}

ShoalDownload *
shoal_servent_download (ShoalServent       *self,
                        ShoalSearchResult  *result,
                        GError            **error)
{
  g_autoptr(ShoalDownload) download = NULL;
  guint8 sha1[SHOAL_SHA1_SIZE];

  g_return_val_if_fail (SHOAL_IS_SERVENT (self), NULL);
  g_return_val_if_fail (SHOAL_IS_SEARCH_RESULT (result), NULL);
  g_return_val_if_fail (self->transfers != NULL, NULL);

  if (!shoal_search_result_get_sha1 (result, sha1))
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "“%s” has no SHA-1: it cannot be downloaded safely",
                   shoal_search_result_get_name (result));
      return NULL;
    }
  download = shoal_transfers_add_urn (self->transfers, shoal_search_result_get_urn (result),
                                      shoal_search_result_get_name (result),
                                      shoal_search_result_get_size (result), error);
  if (download == NULL)
    return NULL;
  for (guint i = 0; i < shoal_search_result_get_source_count (result); i++)
    {
      const ShoalSearchSource *source = shoal_search_result_get_source (result, i);

      shoal_transfers_add_source (self->transfers, sha1, &source->endpoint,
                                  &source->servent_guid, source->file_index,
                                  source->push_needed, NULL);
    }
  return g_steal_pointer (&download);
}
