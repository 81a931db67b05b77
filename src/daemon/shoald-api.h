/* shoald-api.h — the control API's endpoints over the servent. Each area
 * registers its routes on the server; they share one ShoaldApiContext,
 * owned by the daemon, which outlives the server. docs/api.yaml is the
 * reference for every path, body and answer. */
#pragma once

#include "shoal-servent.h"
#include "shoald-api-server.h"
#include "shoald-config.h"

G_BEGIN_DECLS

#define SHOALD_API_PREFIX "/api/v1"
/* Results, hosts or files one page holds at most, and by default. */
#define SHOALD_API_MAX_PAGE 1000
#define SHOALD_API_DEFAULT_PAGE 100

typedef struct _ShoaldApiContext ShoaldApiContext;

/* What the handlers act on. @config is the daemon's own settings in
 * effect: the settings handler changes it in place (what can change
 * live, see shoald_config_apply_live()), as SIGHUP does. */
struct _ShoaldApiContext
{
  ShoalServent     *servent;
  ShoaldApiServer  *server;
  ShoaldConfig     *config;           /* the settings in effect */
  const char       *config_path;      /* where `set` persists; may not exist yet */
  gint64            started_us;       /* g_get_monotonic_time() at start */
  GHashTable       *searches;         /* search id (GUINT_TO_POINTER) -> ShoalSearch (ref) */
  guint             last_search_id;   /* ids count from 1; 0: none yet */
};

ShoaldApiContext *shoald_api_context_new   (ShoalServent    *servent,
                                            ShoaldApiServer *server,
                                            ShoaldConfig    *config,
                                            const char      *config_path);
void              shoald_api_context_free  (ShoaldApiContext *context);

/* Each registers its area's routes (see docs/api.yaml). */
void shoald_api_network_register  (ShoaldApiContext *context);  /* status, links, hosts */
void shoald_api_search_register   (ShoaldApiContext *context);  /* searches */
void shoald_api_transfer_register (ShoaldApiContext *context);  /* downloads, uploads */
void shoald_api_library_register  (ShoaldApiContext *context);  /* library */
void shoald_api_settings_register (ShoaldApiContext *context);  /* settings */
void shoald_api_metrics_register  (ShoaldApiContext *context);  /* /metrics */

/* Helpers the areas share (shoald-api-context.c). */
JsonNode *shoald_api_object_new_from_builder (JsonBuilder *builder);
/* ?name=N within [0, max]; @fallback when absent. FALSE (and a 400
 * answered) when it is no such number. */
gboolean  shoald_api_query_uint (ShoaldApiRequest *request,
                                 const char       *name,
                                 guint             fallback,
                                 guint             max,
                                 guint            *value);
/* A string member of the JSON object body; NULL (and a 400 answered when
 * @required) when it is missing or not a string. */
const char *shoald_api_body_string (ShoaldApiRequest *request,
                                    const char       *member,
                                    gboolean          required);

/* JSON pieces the status endpoint, the links and status.json share. */
/* "leaf" or "ultrapeer". */
const char *shoald_api_role_name (ShoalPeerRole role);
/* Member @name of the object being built, with @value. */
void      shoald_api_add_int     (JsonBuilder *builder,
                                  const char  *name,
                                  gint64       value);
void      shoald_api_add_string  (JsonBuilder *builder,
                                  const char  *name,
                                  const char  *value);
void      shoald_api_add_boolean (JsonBuilder *builder,
                                  const char  *name,
                                  gboolean     value);
/* The router's counters as members of the object being built:
 * queries_in, queries_out, queries_answered, hits_in, hits_out,
 * pushes_in, pushes_out, duplicates, dropped, qrp_updates. */
void      shoald_api_add_router_stats (JsonBuilder            *builder,
                                       const ShoalRouterStats *stats);
/* Member "lan" of the object being built: what LAN discovery does
 * (discovery: "off", "starting", "running" or "unavailable"; reason,
 * service_name, peers, lan_only). */
void      shoald_api_add_lan          (JsonBuilder            *builder,
                                       ShoalNodeManager       *node);

/* Adds one item of a list model (a download, a folder...) as an object. */
typedef void (*ShoaldApiAddItem) (JsonBuilder *builder,
                                  gpointer     item);
/* Member @member of the object being built: an array of @model's items. */
void      shoald_api_add_model     (JsonBuilder      *builder,
                                    const char       *member,
                                    GListModel       *model,
                                    ShoaldApiAddItem  add_item);
/* Answers 200 with {"@member": [@model's items]}. */
void      shoald_api_respond_model (ShoaldApiRequest *request,
                                    const char       *member,
                                    GListModel       *model,
                                    ShoaldApiAddItem  add_item);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoaldApiContext, shoald_api_context_free)

G_END_DECLS
