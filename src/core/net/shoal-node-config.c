/* shoal-node-config.c — every setting of the overlay, with its default. */
#include "shoal-node-config.h"

#include "shoal-net-types.h"

#include <string.h>

ShoalNodeConfig *
shoal_node_config_new_default (void)
{
  ShoalNodeConfig *config = g_new0 (ShoalNodeConfig, 1);

  config->port = SHOAL_DEFAULT_PORT;
  config->data_dir = g_build_filename (g_get_user_data_dir (), "shoal", NULL);
  config->role_mode = SHOAL_ROLE_MODE_AUTO;
  config->anchors = g_ptr_array_new_with_free_func (g_free);
  config->manual_peers = g_ptr_array_new_with_free_func (g_free);
  config->lan_discovery = TRUE;
  config->default_bootstrap = TRUE;
  config->browse_host = TRUE;
  config->leaf_ultrapeer_slots = SHOAL_DEFAULT_LEAF_ULTRAPEER_SLOTS;
  config->ultrapeer_peer_slots = SHOAL_DEFAULT_ULTRAPEER_PEER_SLOTS;
  config->ultrapeer_leaf_slots = SHOAL_DEFAULT_ULTRAPEER_LEAF_SLOTS;
  config->max_dials = SHOAL_DEFAULT_MAX_DIALS;
  shoal_role_thresholds_init_default (&config->role_thresholds);
  config->upload_kbps = SHOAL_ROLE_DEFAULT_UPLOAD_KBPS;
  config->upload_slots = SHOAL_DEFAULT_UPLOAD_SLOTS;
  return config;
}

static gpointer
copy_string (gconstpointer string,
             gpointer      unused)
{
  return g_strdup (string);
}

ShoalNodeConfig *
shoal_node_config_copy (const ShoalNodeConfig *config)
{
  ShoalNodeConfig *copy = g_new (ShoalNodeConfig, 1);

  memcpy (copy, config, sizeof *copy);
  copy->listen_address = g_strdup (config->listen_address);
  copy->data_dir = g_strdup (config->data_dir);
  copy->download_dir = g_strdup (config->download_dir);
  copy->anchors = g_ptr_array_copy (config->anchors, copy_string, NULL);
  copy->manual_peers = g_ptr_array_copy (config->manual_peers, copy_string, NULL);
  copy->udp_host_caches = g_strdupv (config->udp_host_caches);
  copy->gwebcaches = g_strdupv (config->gwebcaches);
  g_ptr_array_set_free_func (copy->anchors, g_free);
  g_ptr_array_set_free_func (copy->manual_peers, g_free);
  return copy;
}

void
shoal_node_config_free (ShoalNodeConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->listen_address);
  g_free (config->data_dir);
  g_free (config->download_dir);
  g_ptr_array_unref (config->anchors);
  g_ptr_array_unref (config->manual_peers);
  g_strfreev (config->udp_host_caches);
  g_strfreev (config->gwebcaches);
  g_free (config);
}

/* "host:port": a name or an address, a port from 1 to 65535. */
static gboolean
add_host_port (GPtrArray   *list,
               const char  *what,
               const char  *text,
               GError     **error)
{
  const char *colon = strrchr (text, ':');
  guint64 port = 0;

  if (colon == NULL || colon == text ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, &port, NULL))
    {
      g_set_error (error, SHOAL_NET_ERROR, SHOAL_NET_ERROR_UNREACHABLE,
                   "%s \"%s\" is not host:port", what, text);
      return FALSE;
    }
  g_ptr_array_add (list, g_strdup (text));
  return TRUE;
}

gboolean
shoal_node_config_add_anchor (ShoalNodeConfig *config,
                              const char      *text,
                              GError         **error)
{
  return add_host_port (config->anchors, "anchor", text, error);
}

gboolean
shoal_node_config_add_manual_peer (ShoalNodeConfig *config,
                                   const char      *text,
                                   GError         **error)
{
  return add_host_port (config->manual_peers, "peer", text, error);
}

gboolean
shoal_node_config_has_manual_peer (const ShoalNodeConfig *config,
                                   const char            *text)
{
  for (guint i = 0; i < config->manual_peers->len; i++)
    if (strcmp (g_ptr_array_index (config->manual_peers, i), text) == 0)
      return TRUE;
  return FALSE;
}
