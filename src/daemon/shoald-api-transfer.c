/* shoald-api-transfer.c — the control API's downloads (add, list, pause,
 * resume, cancel) and uploads (list, stop). */
#include "shoald-api.h"

#include "shoal-base32.h"

#include <string.h>

#define DOWNLOADS_PATH SHOALD_API_PREFIX "/downloads"
#define DOWNLOAD_PATH DOWNLOADS_PATH "/{id}"
#define UPLOADS_PATH SHOALD_API_PREFIX "/uploads"
#define UPLOAD_PATH UPLOADS_PATH "/{id}"
/* An upload's id: its 64 bits in hex, zero-padded. */
#define UPLOAD_ID_DIGITS 16

/* Helpers ------------------------------------------------------------------- */

static const char *
enum_nick (GType type,
           gint  value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  /* The nick is static data of a static type: it outlives the class ref. */
  return enum_value != NULL ? enum_value->value_nick : "unknown";
}

/* D of the spec. */
static void
builder_add_download (JsonBuilder *builder,
                      gpointer     item)
{
  ShoalDownload *download = item;
  guint8 sha1[SHOAL_SHA1_SIZE];
  g_autofree char *id = NULL;
  gint64 eta = shoal_download_get_eta (download);

  shoal_download_get_sha1 (download, sha1);
  id = shoal_base32_encode (sha1, SHOAL_SHA1_SIZE);
  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "id", id);
  shoald_api_add_string (builder, "urn", shoal_download_get_urn (download));
  shoald_api_add_string (builder, "name", shoal_download_get_name (download));
  /* 0 is what the download says while the size is unknown. */
  if (shoal_download_get_size (download) > 0)
    shoald_api_add_int (builder, "size", (gint64) shoal_download_get_size (download));
  else
    shoald_api_add_string (builder, "size", NULL);
  shoald_api_add_int (builder, "done", (gint64) shoal_download_get_done (download));
  shoald_api_add_string (builder, "state", enum_nick (SHOAL_TYPE_DOWNLOAD_STATUS,
                                                     shoal_download_get_state (download)));
  shoald_api_add_int (builder, "rate", (gint64) shoal_download_get_rate (download));
  shoald_api_add_int (builder, "sources", (gint64) shoal_download_get_sources (download));
  if (eta >= 0)
    shoald_api_add_int (builder, "eta", eta);
  else
    shoald_api_add_string (builder, "eta", NULL);
  shoald_api_add_string (builder, "error", shoal_download_get_error (download));
  shoald_api_add_string (builder, "path", shoal_download_get_path (download));
  json_builder_end_object (builder);
}

/* U of the spec. */
static void
builder_add_upload (JsonBuilder *builder,
                    gpointer     item)
{
  ShoalUpload *upload = item;
  g_autofree char *id = g_strdup_printf ("%0*" G_GINT64_MODIFIER "x", UPLOAD_ID_DIGITS,
                                         shoal_upload_get_id (upload));

  json_builder_begin_object (builder);
  shoald_api_add_string (builder, "id", id);
  shoald_api_add_string (builder, "peer", shoal_upload_get_peer (upload));
  shoald_api_add_string (builder, "name", shoal_upload_get_name (upload));
  shoald_api_add_string (builder, "urn", shoal_upload_get_urn (upload));
  shoald_api_add_int (builder, "size", (gint64) shoal_upload_get_size (upload));
  shoald_api_add_int (builder, "range_start", (gint64) shoal_upload_get_range_start (upload));
  shoald_api_add_int (builder, "range_end", (gint64) shoal_upload_get_range_end (upload));
  shoald_api_add_int (builder, "done", (gint64) shoal_upload_get_done (upload));
  shoald_api_add_int (builder, "rate", (gint64) shoal_upload_get_rate (upload));
  shoald_api_add_string (builder, "state",
                         enum_nick (SHOAL_TYPE_UPLOAD_STATE, shoal_upload_get_state (upload)));
  shoald_api_add_string (builder, "user_agent", shoal_upload_get_user_agent (upload));
  json_builder_end_object (builder);
}

/* {"download": D} */
static void
respond_download (ShoaldApiRequest *request,
                  guint             status,
                  ShoalDownload    *download)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "download");
  builder_add_download (builder, download);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, status, body);
}

/* {"upload": U} */
static void
respond_upload (ShoaldApiRequest *request,
                guint             status,
                ShoalUpload      *upload)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "upload");
  builder_add_upload (builder, upload);
  json_builder_end_object (builder);
  body = shoald_api_object_new_from_builder (builder);
  shoald_api_request_respond (request, status, body);
}

static void
respond_transfers_error (ShoaldApiRequest *request,
                         const GError     *error)
{
  guint status = 500;
  const char *code = "failed";

  if (error->domain == SHOAL_TRANSFERS_ERROR)
    switch ((ShoalTransfersError) error->code)
      {
      case SHOAL_TRANSFERS_ERROR_INVALID:
        status = 400;
        code = "bad_request";
        break;
      case SHOAL_TRANSFERS_ERROR_NOT_FOUND:
        status = 404;
        code = "not_found";
        break;
      case SHOAL_TRANSFERS_ERROR_STATE:
        status = 409;
        code = "conflict";
        break;
      case SHOAL_TRANSFERS_ERROR_IO:
      case SHOAL_TRANSFERS_ERROR_STORE:
      default:
        break;
      }
  shoald_api_request_respond_error (request, status, code, "%s", error->message);
}

/* The servent's downloads; NULL (and a 503 answered) before it started. */
static ShoalTransfers *
get_transfers (ShoaldApiContext *context,
               ShoaldApiRequest *request)
{
  ShoalTransfers *transfers = shoal_servent_get_transfers (context->servent);

  if (transfers == NULL)
    shoald_api_request_respond_error (request, 503, "unavailable", "Downloads are not running");
  return transfers;
}

/* The download the path's {id} (a base32 SHA-1) names; NULL (and an
 * answer) when none. Text that is no SHA-1 names no download either. */
static ShoalDownload *
lookup_download (ShoaldApiContext *context,
                 ShoaldApiRequest *request)
{
  ShoalTransfers *transfers = get_transfers (context, request);
  const char *id = shoald_api_request_get_param (request, "id");
  guint8 sha1[SHOAL_SHA1_SIZE];
  ShoalDownload *download = NULL;

  if (transfers == NULL)
    return NULL;
  if (shoal_base32_decode (id, strlen (id), sha1, SHOAL_SHA1_SIZE, NULL))
    download = shoal_transfers_find (transfers, sha1);
  if (download == NULL)
    shoald_api_request_respond_error (request, 404, "not_found", "No download %s", id);
  return download;
}

/* The id of the path's {id}: UPLOAD_ID_DIGITS hex digits, either case;
 * FALSE for other text. */
static gboolean
parse_upload_id (const char *text,
                 guint64    *id)
{
  if (strlen (text) != UPLOAD_ID_DIGITS)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c))
      return FALSE;
  *id = g_ascii_strtoull (text, NULL, 16);
  return TRUE;
}

/* The upload the path's {id} names, among those listed (a new
 * reference); NULL (and a 404 answered) when none. Without a library
 * there is no upload server, hence no upload. */
static ShoalUpload *
lookup_upload (ShoaldApiContext *context,
               ShoaldApiRequest *request)
{
  ShoalUploadServer *server = shoal_servent_get_upload_server (context->servent);
  const char *text = shoald_api_request_get_param (request, "id");
  guint64 id;

  if (server != NULL && parse_upload_id (text, &id))
    {
      GListModel *uploads = shoal_upload_server_get_uploads (server);

      for (guint i = 0; i < g_list_model_get_n_items (uploads); i++)
        {
          g_autoptr(ShoalUpload) upload = g_list_model_get_item (uploads, i);

          if (shoal_upload_get_id (upload) == id)
            return g_steal_pointer (&upload);
        }
    }
  shoald_api_request_respond_error (request, 404, "not_found", "No upload %s", text);
  return NULL;
}

static gboolean
upload_is_running (ShoalUpload *upload)
{
  ShoalUploadState state = shoal_upload_get_state (upload);

  return state == SHOAL_UPLOAD_STATE_SENDING || state == SHOAL_UPLOAD_STATE_WAITING;
}

/* Reading the body of POST /downloads ---------------------------------------- */

/* A member that is absent or null counts as not given. */
static JsonNode *
get_member (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

/* A non-negative integer member; @fallback when not given. */
static gboolean
read_uint (JsonObject  *object,
           const char  *member,
           guint64      fallback,
           guint64     *value,
           GError     **error)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL)
    {
      *value = fallback;
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "“%s” must be a non-negative integer", member);
      return FALSE;
    }
  *value = (guint64) json_node_get_int (node);
  return TRUE;
}

/* A string member; NULL when not given. */
static gboolean
read_string (JsonObject  *object,
             const char  *member,
             const char **value,
             GError     **error)
{
  JsonNode *node = get_member (object, member);

  *value = NULL;
  if (node == NULL)
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                   "“%s” must be a string", member);
      return FALSE;
    }
  *value = json_node_get_string (node);
  return TRUE;
}

/* {"search": id, "result": row}: the row's file from every source it lists. */
static ShoalDownload *
add_from_search (ShoaldApiContext  *context,
                 JsonObject        *body,
                 GError           **error)
{
  g_autoptr(ShoalSearchResult) result = NULL;
  guint64 search_id, index;
  ShoalSearch *search = NULL;

  if (get_member (body, "result") == NULL)
    {
      g_set_error_literal (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                           "“result” is missing: the row index from the search's results");
      return NULL;
    }
  if (!read_uint (body, "search", 0, &search_id, error) ||
      !read_uint (body, "result", 0, &index, error))
    return NULL;
  if (search_id <= G_MAXUINT)
    search = g_hash_table_lookup (context->searches, GUINT_TO_POINTER ((guint) search_id));
  if (search == NULL)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_NOT_FOUND,
                   "No search %" G_GUINT64_FORMAT, search_id);
      return NULL;
    }
  if (index < G_MAXUINT)
    result = g_list_model_get_item (shoal_search_get_results (search), (guint) index);
  if (result == NULL)
    {
      g_set_error (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_NOT_FOUND,
                   "Search %" G_GUINT64_FORMAT " has no result %" G_GUINT64_FORMAT,
                   search_id, index);
      return NULL;
    }
  return shoal_servent_download (context->servent, result, error);
}

/* {"urn": "urn:sha1:…", "name": optional, "size": optional} */
static ShoalDownload *
add_from_urn (ShoalTransfers  *transfers,
              JsonObject      *body,
              GError         **error)
{
  const char *urn, *name;
  guint64 size;

  if (!read_string (body, "urn", &urn, error) ||
      !read_string (body, "name", &name, error) ||
      !read_uint (body, "size", 0, &size, error))
    return NULL;
  return shoal_transfers_add_urn (transfers, urn, name, size, error);
}

static ShoalDownload *
add_from_magnet (ShoalTransfers  *transfers,
                 JsonObject      *body,
                 GError         **error)
{
  const char *magnet;

  if (!read_string (body, "magnet", &magnet, error))
    return NULL;
  return shoal_transfers_add_magnet (transfers, magnet, error);
}

/* What the body asks for: exactly one of its three forms. */
static ShoalDownload *
add_download (ShoaldApiContext  *context,
              ShoalTransfers    *transfers,
              JsonNode          *body,
              GError           **error)
{
  static const char * const forms[] = { "search", "urn", "magnet" };
  JsonObject *object = body != NULL && JSON_NODE_HOLDS_OBJECT (body)
    ? json_node_get_object (body) : NULL;
  guint given = 0;

  for (guint i = 0; object != NULL && i < G_N_ELEMENTS (forms); i++)
    given += get_member (object, forms[i]) != NULL;
  if (given != 1)
    {
      g_set_error_literal (error, SHOAL_TRANSFERS_ERROR, SHOAL_TRANSFERS_ERROR_INVALID,
                           "Give one of “search” (with “result”), “urn” or “magnet”");
      return NULL;
    }
  if (get_member (object, "search") != NULL)
    return add_from_search (context, object, error);
  if (get_member (object, "urn") != NULL)
    return add_from_urn (transfers, object, error);
  return add_from_magnet (transfers, object, error);
}

/* Handlers ------------------------------------------------------------------ */

static void
handle_add (ShoaldApiRequest *request,
            gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  ShoalTransfers *transfers = get_transfers (context, request);
  g_autoptr(ShoalDownload) download = NULL;
  g_autoptr(GError) error = NULL;
  guint known;

  if (transfers == NULL)
    return;
  /* Adding a SHA-1 already queued hands back that download and leaves
   * the list as it was: the count tells new from known. */
  known = g_list_model_get_n_items (shoal_transfers_get_downloads (transfers));
  download = add_download (context, transfers, shoald_api_request_get_body (request), &error);
  if (download == NULL)
    {
      respond_transfers_error (request, error);
      return;
    }
  respond_download (request,
                    g_list_model_get_n_items (shoal_transfers_get_downloads (transfers)) > known
                    ? 201 : 200,
                    download);
}

static void
handle_list (ShoaldApiRequest *request,
             gpointer          user_data)
{
  ShoalTransfers *transfers = get_transfers (user_data, request);

  if (transfers != NULL)
    shoald_api_respond_model (request, "downloads", shoal_transfers_get_downloads (transfers),
                              builder_add_download);
}

static void
handle_get (ShoaldApiRequest *request,
            gpointer          user_data)
{
  ShoalDownload *download = lookup_download (user_data, request);

  if (download != NULL)
    respond_download (request, 200, download);
}

typedef gboolean (*DownloadAction) (ShoalTransfers  *transfers,
                                    ShoalDownload   *download,
                                    GError         **error);

/* Pause and resume: the action, then the download as it is now. */
static void
act_on_download (ShoaldApiRequest *request,
                 ShoaldApiContext *context,
                 DownloadAction    action)
{
  ShoalDownload *download = lookup_download (context, request);
  g_autoptr(GError) error = NULL;

  if (download == NULL)
    return;
  if (!action (shoal_servent_get_transfers (context->servent), download, &error))
    respond_transfers_error (request, error);
  else
    respond_download (request, 200, download);
}

static void
handle_pause (ShoaldApiRequest *request,
              gpointer          user_data)
{
  act_on_download (request, user_data, shoal_transfers_pause);
}

static void
handle_resume (ShoaldApiRequest *request,
               gpointer          user_data)
{
  act_on_download (request, user_data, shoal_transfers_resume);
}

static void
handle_cancel (ShoaldApiRequest *request,
               gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  ShoalDownload *download = lookup_download (context, request);
  g_autoptr(GError) error = NULL;

  if (download == NULL)
    return;
  /* A cancelled download cannot be resumed, so its partial data is
   * of no use to anyone. */
  if (!shoal_transfers_cancel (shoal_servent_get_transfers (context->servent), download,
                               TRUE, &error))
    respond_transfers_error (request, error);
  else
    shoald_api_request_respond (request, 204, NULL);
}

static void
handle_uploads (ShoaldApiRequest *request,
                gpointer          user_data)
{
  ShoalTransfers *transfers = get_transfers (user_data, request);

  if (transfers != NULL)
    shoald_api_respond_model (request, "uploads", shoal_transfers_get_uploads (transfers),
                              builder_add_upload);
}

static void
handle_stop_upload (ShoaldApiRequest *request,
                    gpointer          user_data)
{
  ShoaldApiContext *context = user_data;
  g_autoptr(ShoalUpload) upload = lookup_upload (context, request);

  if (upload == NULL)
    return;
  /* cancel() also refuses one that ended on libmicrohttpd's thread since
   * the list last heard of it, and finishes it as it ended. */
  if (!upload_is_running (upload) ||
      !shoal_upload_server_cancel (shoal_servent_get_upload_server (context->servent), upload))
    shoald_api_request_respond_error (request, 409, "conflict", "Upload %s has finished already (%s)",
                                      shoald_api_request_get_param (request, "id"),
                                      enum_nick (SHOAL_TYPE_UPLOAD_STATE,
                                                 shoal_upload_get_state (upload)));
  else
    respond_upload (request, 200, upload);
}

void
shoald_api_transfer_register (ShoaldApiContext *context)
{
  ShoaldApiServer *server = context->server;

  shoald_api_server_add_route (server, "POST", DOWNLOADS_PATH, handle_add, context);
  shoald_api_server_add_route (server, "GET", DOWNLOADS_PATH, handle_list, context);
  shoald_api_server_add_route (server, "GET", DOWNLOAD_PATH, handle_get, context);
  shoald_api_server_add_route (server, "POST", DOWNLOAD_PATH "/pause", handle_pause, context);
  shoald_api_server_add_route (server, "POST", DOWNLOAD_PATH "/resume", handle_resume, context);
  shoald_api_server_add_route (server, "DELETE", DOWNLOAD_PATH, handle_cancel, context);
  shoald_api_server_add_route (server, "GET", UPLOADS_PATH, handle_uploads, context);
  shoald_api_server_add_route (server, "POST", UPLOAD_PATH "/stop", handle_stop_upload, context);
}
