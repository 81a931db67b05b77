/* shoalctl-client.h — shoalctl's side of the control API: finds the
 * daemon through its data dir, sends one authenticated request and
 * returns the JSON answer, or an error a person can act on. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SHOALCTL_CLIENT_ERROR (shoalctl_client_error_quark ())
typedef enum
{
  SHOALCTL_CLIENT_ERROR_NOT_RUNNING,  /* no endpoint file, or nobody listening */
  SHOALCTL_CLIENT_ERROR_NO_TOKEN,     /* the token file cannot be read */
  SHOALCTL_CLIENT_ERROR_PROTOCOL,     /* not HTTP, or not JSON */
  SHOALCTL_CLIENT_ERROR_API,          /* the API answered an error: its message */
} ShoalctlClientError;
GQuark shoalctl_client_error_quark (void);

typedef struct _ShoalctlClient ShoalctlClient;

/* @data_dir: the daemon's; @url: the API's base URL, or NULL to read it
 * from DATA_DIR/api-endpoint. */
ShoalctlClient *shoalctl_client_new     (const char  *data_dir,
                                         const char  *url,
                                         GError     **error);
void            shoalctl_client_free    (ShoalctlClient *client);
/* How long a request may take to connect, and to answer (default 10 s):
 * longer for requests that wait on the network, such as a new link. */
void            shoalctl_client_set_timeout (ShoalctlClient *client,
                                             guint           seconds);

/* @body may be NULL. Returns the parsed answer (a JSON null node for 204),
 * or NULL and an error; an API error's message is the API's, and
 * *@status (may be NULL) gets the HTTP status either way. */
JsonNode       *shoalctl_client_call    (ShoalctlClient  *client,
                                         const char      *method,
                                         const char      *path,
                                         JsonNode        *body,
                                         guint           *status,
                                         GError         **error);
/* GET of a text resource (/metrics). */
char           *shoalctl_client_get_text (ShoalctlClient  *client,
                                          const char      *path,
                                          GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoalctlClient, shoalctl_client_free)

G_END_DECLS
