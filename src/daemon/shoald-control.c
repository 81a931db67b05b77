/* shoald-control.c — starts and stops the control API for the daemon. */
#include "shoald-control.h"

#include <gio/gio.h>
#include <string.h>

#include "shoald-api-token.h"

struct _ShoaldControl
{
  ShoaldApiServer  *server;
  ShoaldApiContext *context;
  char             *data_dir;
};

static void
register_routes (ShoaldApiContext *context)
{
  shoald_api_network_register (context);
  shoald_api_search_register (context);
  shoald_api_transfer_register (context);
  shoald_api_library_register (context);
  shoald_api_settings_register (context);
  shoald_api_metrics_register (context);
}

/* "http://127.0.0.1:6348", "http://[::1]:6348". */
static char *
format_url (const char *address,
            guint16     port)
{
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", address, port);
  return g_strdup_printf ("http://%s:%u", address, port);
}

/* A public address is allowed (the operator configured it), but said
 * loudly: the token is then all that guards the node. */
static void
warn_unless_loopback (const char *address)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

  if (inet != NULL && !g_inet_address_get_is_loopback (inet))
    g_warning ("the control API listens on %s, not a loopback address: anyone who "
               "reaches it and has the token controls this node (no TLS)", address);
}

ShoaldControl *
shoald_control_start (ShoalServent  *servent,
                      ShoaldConfig  *config,
                      const char    *config_path,
                      GError       **error)
{
  const char *data_dir = config->node->data_dir;
  g_autofree char *token = shoald_api_token_load_or_create (data_dir, error);
  g_autofree char *url = NULL;
  ShoaldControl *control;

  if (token == NULL)
    return NULL;
  control = g_new0 (ShoaldControl, 1);
  control->data_dir = g_strdup (data_dir);
  control->server = shoald_api_server_new (token);
  control->context = shoald_api_context_new (servent, control->server, config, config_path);
  register_routes (control->context);
  if (!shoald_api_server_start (control->server, config->api_address, config->api_port, error))
    {
      shoald_control_stop (control);
      return NULL;
    }
  warn_unless_loopback (config->api_address);
  url = format_url (config->api_address, shoald_api_server_get_port (control->server));
  if (!shoald_api_endpoint_write (data_dir, url, error))
    {
      shoald_control_stop (control);
      return NULL;
    }
  g_message ("control API at %s (token in %s/%s)", url, data_dir, SHOALD_API_TOKEN_FILE);
  return control;
}

guint16
shoald_control_get_port (ShoaldControl *control)
{
  return shoald_api_server_get_port (control->server);
}

void
shoald_control_stop (ShoaldControl *control)
{
  if (control == NULL)
    return;
  shoald_api_endpoint_remove (control->data_dir);
  shoald_api_server_stop (control->server);
  g_clear_pointer (&control->context, shoald_api_context_free);
  g_clear_object (&control->server);
  g_free (control->data_dir);
  g_free (control);
}
