/* shoald-config.c — shoal.conf: one table of every setting, read with
 * GKeyFile, printed as a documented default file, under the options, by
 * name for the control API, and applied live to a running servent. */
#include "shoald-config.h"

#include "shoald-log.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_DIR_NAME "shoal"
#define CONFIG_FILE_NAME "shoal.conf"
/* A settings file shoald creates, and its folder: they may name private
 * folders, so only their owner reads them. */
#define CONFIG_FILE_MODE 0600
#define CONFIG_DIR_MODE 0700
#define MS_PER_S 1000

/* Ranges: wide enough for any real host, narrow enough to catch a typo. */
#define PORT_MAX G_MAXUINT16
#define LINK_SLOTS_MAX 4096                   /* beyond most hosts' descriptors */
#define DIALS_MAX 256
#define QRP_PERIOD_MAX_S 3600
#define ROLE_DELAY_MAX_S (7 * 24 * 3600)      /* a week */
#define DESCRIPTORS_MAX (1024 * 1024)         /* Linux's default fs.nr_open */
#define UPLOAD_KBPS_MAX (100 * 1000 * 1000)   /* 100 Gbit/s */
#define LIMIT_KBPS_MAX UPLOAD_KBPS_MAX        /* caps within what a line can do */

#define HTTP_SCHEME "http://"
/* Translated keys ("port[fr]") are kept so that they show up as unknown
 * keys instead of vanishing or changing with the locale. */
#define KEY_FILE_FLAGS G_KEY_FILE_KEEP_TRANSLATIONS
/* Comments of the printed file wrap before this column. */
#define COMMENT_WIDTH 78

/* What a settings file shoald writes from scratch starts with. */
#define WRITTEN_FILE_HEADER \
  " shoal.conf — the settings of shoald, written by shoald.\n" \
  " `shoald --print-config` prints every setting with its default and what it does."

#define FILE_HEADER \
  "# shoal.conf — the settings of shoald, the headless Shoal servent.\n" \
  "#\n" \
  "# shoald reads $XDG_CONFIG_HOME/shoal/shoal.conf (~/.config/shoal/shoal.conf\n" \
  "# when XDG_CONFIG_HOME is not set), or the file given with --config FILE.\n" \
  "# Its command-line options override what the file says. Every key is shown\n" \
  "# here set to its default. Lists are separated by \";\". An empty text or\n" \
  "# list keeps the default.\n" \
  "#\n" \
  "# SIGHUP (systemctl reload shoald) makes shoald read this file again and\n" \
  "# apply the changes at once, except those of keys that need a restart.\n"

typedef enum
{
  KEY_INT,      /* guint or guint16: the number written times scale */
  KEY_BOOL,     /* gboolean */
  KEY_ENUM,     /* an enum whose values index choices */
  KEY_STRING,   /* char * */
  KEY_ADDRESS,  /* char *: an IP address */
  KEY_LIST,     /* GStrv */
  KEY_HOST_PORTS,  /* a node config's GPtrArray of "host:port" */
} KeyType;

typedef enum
{
  ITEM_TEXT,
  ITEM_HOST_PORT,
  ITEM_HTTP_URL,
} ItemKind;

typedef enum
{
  IN_NODE_CONFIG,    /* a field of ShoalNodeConfig */
  IN_DAEMON_CONFIG,  /* a field of ShoaldConfig */
} KeyOwner;

typedef struct _ConfigKey ConfigKey;

/* What a daemon setting does when it changes while shoald runs (the
 * node's settings go to the servent together). */
typedef void (*LiveApply) (const ShoaldConfig *current,
                           const ShoaldConfig *wanted,
                           ShoalServent       *servent);

struct _ConfigKey
{
  const char        *section;
  const char        *name;
  const char        *id;            /* "section.name" */
  gboolean           live;          /* a running servent takes it */
  KeyType            type;
  guint              min;           /* KEY_INT */
  guint              max;
  guint              scale;
  const char *const *choices;       /* KEY_ENUM */
  ItemKind           items;         /* KEY_LIST, KEY_HOST_PORTS */
  const char        *default_text;  /* as written in the file */
  const char        *description;
  KeyOwner           owner;
  gsize              offset;
  gsize              size;
  LiveApply          apply;         /* a live daemon setting; NULL: none needed */
};

/* What one item is, for errors, and what a list of them is. */
static const char *const item_names[] = {
  [ITEM_TEXT] = "text",
  [ITEM_HOST_PORT] = "host:port",
  [ITEM_HTTP_URL] = "an " HTTP_SCHEME " URL",
};
static const char *const list_names[] = {
  [ITEM_TEXT] = "texts",
  [ITEM_HOST_PORT] = "host:port",
  [ITEM_HTTP_URL] = HTTP_SCHEME " URLs",
};

static const char *const role_names[] = {
  [SHOAL_ROLE_MODE_AUTO] = "auto",
  [SHOAL_ROLE_MODE_LEAF] = "leaf",
  [SHOAL_ROLE_MODE_ULTRAPEER] = "ultrapeer",
  NULL,
};

static void apply_shares   (const ShoaldConfig *current,
                            const ShoaldConfig *wanted,
                            ShoalServent       *servent);
static void apply_log_file (const ShoaldConfig *current,
                            const ShoaldConfig *wanted,
                            ShoalServent       *servent);

/* Numbers, flags and enums are stored by size. */
G_STATIC_ASSERT (sizeof (ShoalRoleMode) == sizeof (guint));
G_STATIC_ASSERT (sizeof (gboolean) == sizeof (guint));

#define NODE_FIELD(member) \
  .owner = IN_NODE_CONFIG, .offset = G_STRUCT_OFFSET (ShoalNodeConfig, member), \
  .size = G_SIZEOF_MEMBER (ShoalNodeConfig, member)
#define DAEMON_FIELD(member) \
  .owner = IN_DAEMON_CONFIG, .offset = G_STRUCT_OFFSET (ShoaldConfig, member), \
  .size = G_SIZEOF_MEMBER (ShoaldConfig, member)
#define KEY_NAME(section_name, key_name) \
  .section = section_name, .name = key_name, .id = section_name "." key_name
#define LIVE .live = TRUE
#define INT_RANGE(lowest, highest) \
  .type = KEY_INT, .min = (lowest), .max = (highest), .scale = 1
#define SECONDS_AS_MS(lowest, highest) \
  .type = KEY_INT, .min = (lowest), .max = (highest), .scale = MS_PER_S

/* Every setting, once, in the order of the printed file. The defaults
 * themselves are shoal_node_config_new_default()'s; default_text writes
 * them (the same macros where there is one), and the tests check that
 * the printed file loads back into the defaults. */
static const ConfigKey config_keys[] = {
  { KEY_NAME ("network", "port"), INT_RANGE (0, PORT_MAX),
    .default_text = G_STRINGIFY (SHOAL_DEFAULT_PORT), NODE_FIELD (port),
    .description = "TCP and UDP port to listen on; 0 picks a free one" },
  { KEY_NAME ("network", "listen-address"), .type = KEY_STRING,
    .default_text = "", NODE_FIELD (listen_address),
    .description = "Address to listen on; empty: every address, IPv4 and IPv6" },
  { KEY_NAME ("network", "allow-private"), .type = KEY_BOOL,
    .default_text = "false", NODE_FIELD (allow_private),
    .description = "Accept and dial private and loopback addresses (LANs, tests)" },
  { KEY_NAME ("network", "lan-discovery"), LIVE, .type = KEY_BOOL,
    .default_text = "true", NODE_FIELD (lan_discovery),
    .description = "Find Shoal peers on the local network with mDNS (avahi-daemon), "
                   "publish this one there and link to them first; links from LAN "
                   "addresses are accepted" },
  { KEY_NAME ("network", "lan-only"), .type = KEY_BOOL,
    .default_text = "false", NODE_FIELD (lan_only),
    .description = "Link within the LAN only: dial and accept nothing but private "
                   "addresses (10/8, 172.16/12, 192.168/16, 169.254/16, 100.64/10; "
                   "loopback with allow-private), no bootstrap cache, no internet host kept" },
  { KEY_NAME ("network", "manual-peers"), LIVE, .type = KEY_HOST_PORTS, .items = ITEM_HOST_PORT,
    .default_text = "", NODE_FIELD (manual_peers),
    .description = "Peers to dial first and again whenever their link drops, private "
                   "addresses too: for networks mDNS does not cross (VPNs, other subnets)" },
  { KEY_NAME ("network", "max-dials"), LIVE, INT_RANGE (1, DIALS_MAX),
    .default_text = G_STRINGIFY (SHOAL_DEFAULT_MAX_DIALS), NODE_FIELD (max_dials),
    .description = "Outgoing connection attempts under way at once" },

  { KEY_NAME ("roles", "role"), LIVE, .type = KEY_ENUM, .choices = role_names,
    .default_text = "auto", NODE_FIELD (role_mode),
    .description = "auto starts as a leaf, becomes an ultrapeer when able and "
                   "needed, and a leaf again when it has no leaves" },
  { KEY_NAME ("roles", "leaf-ultrapeer-slots"), LIVE, INT_RANGE (1, LINK_SLOTS_MAX),
    .default_text = G_STRINGIFY (SHOAL_DEFAULT_LEAF_ULTRAPEER_SLOTS),
    NODE_FIELD (leaf_ultrapeer_slots),
    .description = "As a leaf: ultrapeers to stay connected to" },
  { KEY_NAME ("roles", "ultrapeer-peer-slots"), LIVE, INT_RANGE (1, LINK_SLOTS_MAX),
    .default_text = G_STRINGIFY (SHOAL_DEFAULT_ULTRAPEER_PEER_SLOTS),
    NODE_FIELD (ultrapeer_peer_slots),
    .description = "As an ultrapeer: other ultrapeers to stay connected to" },
  { KEY_NAME ("roles", "ultrapeer-leaf-slots"), LIVE, INT_RANGE (0, LINK_SLOTS_MAX),
    .default_text = G_STRINGIFY (SHOAL_DEFAULT_ULTRAPEER_LEAF_SLOTS),
    NODE_FIELD (ultrapeer_leaf_slots),
    .description = "As an ultrapeer: leaves to accept" },
  { KEY_NAME ("roles", "qrp-period-s"), LIVE, SECONDS_AS_MS (0, QRP_PERIOD_MAX_S),
    .default_text = "0", NODE_FIELD (qrp_period_ms),
    .description = "As an ultrapeer: seconds between QRP patches to its peers "
                   "when its table changed; 0: the router's (about a minute)" },
  { KEY_NAME ("roles", "promote-after-s"), LIVE, INT_RANGE (0, ROLE_DELAY_MAX_S),
    .default_text = G_STRINGIFY (SHOAL_ROLE_DEFAULT_MIN_UPTIME_S),
    NODE_FIELD (role_thresholds.min_uptime_s),
    .description = "Automatic role: seconds up before becoming an ultrapeer" },
  { KEY_NAME ("roles", "demote-after-s"), LIVE, INT_RANGE (0, ROLE_DELAY_MAX_S),
    .default_text = G_STRINGIFY (SHOAL_ROLE_DEFAULT_DEMOTE_AFTER_S),
    NODE_FIELD (role_thresholds.demote_after_s),
    .description = "Automatic role: seconds without leaves before becoming a leaf again" },
  { KEY_NAME ("roles", "switch-interval-s"), LIVE, INT_RANGE (0, ROLE_DELAY_MAX_S),
    .default_text = G_STRINGIFY (SHOAL_ROLE_DEFAULT_SWITCH_INTERVAL_S),
    NODE_FIELD (role_thresholds.switch_interval_s),
    .description = "Automatic role: seconds at least between two role changes" },
  { KEY_NAME ("roles", "min-descriptors"), LIVE, INT_RANGE (0, DESCRIPTORS_MAX),
    .default_text = G_STRINGIFY (SHOAL_ROLE_DEFAULT_MIN_DESCRIPTORS),
    NODE_FIELD (role_thresholds.min_descriptors),
    .description = "Automatic role: file descriptors needed to become an ultrapeer" },
  { KEY_NAME ("roles", "min-upload-kbps"), LIVE, INT_RANGE (0, UPLOAD_KBPS_MAX),
    .default_text = G_STRINGIFY (SHOAL_ROLE_DEFAULT_MIN_UPLOAD_KBPS),
    NODE_FIELD (role_thresholds.min_upload_kbps),
    .description = "Automatic role: upload bandwidth (kbit/s) needed to become an ultrapeer" },

  { KEY_NAME ("bootstrap", "anchors"), LIVE, .type = KEY_HOST_PORTS, .items = ITEM_HOST_PORT,
    .default_text = "", NODE_FIELD (anchors),
    .description = "Nodes to join through first" },
  { KEY_NAME ("bootstrap", "anchors-only"), LIVE, .type = KEY_BOOL,
    .default_text = "false", NODE_FIELD (anchors_only),
    .description = "Dial only the anchors, never hosts learned from the network "
                   "(incoming links are still accepted)" },
  { KEY_NAME ("bootstrap", "default-bootstrap"), LIVE, .type = KEY_BOOL,
    .default_text = "true", NODE_FIELD (default_bootstrap),
    .description = "Contact the built-in UDP host caches and GWebCaches when no host is known" },
  { KEY_NAME ("bootstrap", "udp-host-caches"), LIVE, .type = KEY_LIST, .items = ITEM_HOST_PORT,
    .default_text = "", NODE_FIELD (udp_host_caches),
    .description = "UDP host caches to bootstrap from; this or gwebcaches, "
                   "when set, replaces both built-in lists" },
  { KEY_NAME ("bootstrap", "gwebcaches"), LIVE, .type = KEY_LIST, .items = ITEM_HTTP_URL,
    .default_text = "", NODE_FIELD (gwebcaches),
    .description = "GWebCaches to bootstrap from; this or udp-host-caches, "
                   "when set, replaces both built-in lists" },

  { KEY_NAME ("library", "data-dir"), .type = KEY_STRING,
    .default_text = "", NODE_FIELD (data_dir),
    .description = "Where the library and the host cache live; "
                   "empty: $XDG_DATA_HOME/shoal" },
  { KEY_NAME ("library", "shares"), LIVE, .type = KEY_LIST, .items = ITEM_TEXT,
    .default_text = "", DAEMON_FIELD (shares), .apply = apply_shares,
    .description = "Folders to share" },
  { KEY_NAME ("library", "browse-host"), LIVE, .type = KEY_BOOL,
    .default_text = "true", NODE_FIELD (browse_host),
    .description = "Let other servents list our shared files" },

  { KEY_NAME ("transfers", "download-dir"), .type = KEY_STRING,
    .default_text = "", NODE_FIELD (download_dir),
    .description = "Where finished downloads go; empty: your Downloads folder" },
  { KEY_NAME ("transfers", "upload-kbps"), LIVE, INT_RANGE (0, UPLOAD_KBPS_MAX),
    .default_text = G_STRINGIFY (SHOAL_ROLE_DEFAULT_UPLOAD_KBPS), NODE_FIELD (upload_kbps),
    .description = "Upload bandwidth this host has, in kbit/s" },
  { KEY_NAME ("transfers", "upload-slots"), LIVE,
    INT_RANGE (SHOAL_MIN_UPLOAD_SLOTS, SHOAL_MAX_UPLOAD_SLOTS),
    .default_text = G_STRINGIFY (SHOAL_DEFAULT_UPLOAD_SLOTS), NODE_FIELD (upload_slots),
    .description = "Uploads served at once; more downloaders are told to come back later" },
  { KEY_NAME ("transfers", "upload-limit-kbps"), LIVE, INT_RANGE (0, LIMIT_KBPS_MAX),
    .default_text = "0", NODE_FIELD (upload_limit_kbps),
    .description = "Cap on all uploads together, in kbit/s; 0: no cap" },
  { KEY_NAME ("transfers", "download-limit-kbps"), LIVE, INT_RANGE (0, LIMIT_KBPS_MAX),
    .default_text = "0", NODE_FIELD (download_limit_kbps),
    .description = "Cap on all downloads together, in kbit/s; 0: no cap" },

  { KEY_NAME ("api", "address"), .type = KEY_ADDRESS,
    .default_text = SHOALD_API_DEFAULT_ADDRESS, DAEMON_FIELD (api_address),
    .description = "Address the control API listens on. Anyone who can reach it "
                   "and read the token in the data folder controls the servent: "
                   "keep it on loopback unless a firewall guards it" },
  { KEY_NAME ("api", "port"), INT_RANGE (0, PORT_MAX),
    .default_text = G_STRINGIFY (SHOALD_API_DEFAULT_PORT), DAEMON_FIELD (api_port),
    .description = "TCP port of the control API; 0 picks a free one" },

  { KEY_NAME ("service", "log-file"), LIVE, .type = KEY_STRING,
    .default_text = "", DAEMON_FIELD (log_file), .apply = apply_log_file,
    .description = "File the log is appended to, reopened on SIGHUP (logrotate); "
                   "empty: the journal under systemd, else stderr" },
};

typedef enum
{
  OPTION_TEXT,        /* char *: the key's value */
  OPTION_LIST,        /* GStrv: the key's items */
  OPTION_SETS_TRUE,   /* gboolean: when given, the key is true */
  OPTION_SETS_FALSE,  /* gboolean: when given, the key is false */
} OptionKind;

typedef struct
{
  const char *option;
  const char *section;
  const char *key;
  OptionKind  kind;
  gsize       offset;  /* in ShoaldOptions */
} OptionOverride;

#define OPTION_FIELD(member) G_STRUCT_OFFSET (ShoaldOptions, member)

static const OptionOverride option_overrides[] = {
  { "--port", "network", "port", OPTION_TEXT, OPTION_FIELD (port) },
  { "--listen-address", "network", "listen-address", OPTION_TEXT, OPTION_FIELD (listen_address) },
  { "--allow-private", "network", "allow-private", OPTION_SETS_TRUE, OPTION_FIELD (allow_private) },
  { "--no-lan-discovery", "network", "lan-discovery", OPTION_SETS_FALSE,
    OPTION_FIELD (no_lan_discovery) },
  { "--lan-only", "network", "lan-only", OPTION_SETS_TRUE, OPTION_FIELD (lan_only) },
  { "--peer", "network", "manual-peers", OPTION_LIST, OPTION_FIELD (manual_peers) },
  { "--role", "roles", "role", OPTION_TEXT, OPTION_FIELD (role) },
  { "--qrp-period", "roles", "qrp-period-s", OPTION_TEXT, OPTION_FIELD (qrp_period_s) },
  { "--promote-after", "roles", "promote-after-s", OPTION_TEXT, OPTION_FIELD (promote_after_s) },
  { "--demote-after", "roles", "demote-after-s", OPTION_TEXT, OPTION_FIELD (demote_after_s) },
  { "--role-switch-interval", "roles", "switch-interval-s", OPTION_TEXT,
    OPTION_FIELD (switch_interval_s) },
  { "--anchor", "bootstrap", "anchors", OPTION_LIST, OPTION_FIELD (anchors) },
  { "--anchors-only", "bootstrap", "anchors-only", OPTION_SETS_TRUE, OPTION_FIELD (anchors_only) },
  { "--no-default-bootstrap", "bootstrap", "default-bootstrap", OPTION_SETS_FALSE,
    OPTION_FIELD (no_default_bootstrap) },
  { "--uhc", "bootstrap", "udp-host-caches", OPTION_LIST, OPTION_FIELD (udp_host_caches) },
  { "--gwc", "bootstrap", "gwebcaches", OPTION_LIST, OPTION_FIELD (gwebcaches) },
  { "--data-dir", "library", "data-dir", OPTION_TEXT, OPTION_FIELD (data_dir) },
  { "--share", "library", "shares", OPTION_LIST, OPTION_FIELD (shares) },
  { "--no-browse-host", "library", "browse-host", OPTION_SETS_FALSE, OPTION_FIELD (no_browse_host) },
  { "--download-dir", "transfers", "download-dir", OPTION_TEXT, OPTION_FIELD (download_dir) },
  { "--upload-kbps", "transfers", "upload-kbps", OPTION_TEXT, OPTION_FIELD (upload_kbps) },
  { "--upload-slots", "transfers", "upload-slots", OPTION_TEXT, OPTION_FIELD (upload_slots) },
  { "--upload-limit-kbps", "transfers", "upload-limit-kbps", OPTION_TEXT,
    OPTION_FIELD (upload_limit_kbps) },
  { "--download-limit-kbps", "transfers", "download-limit-kbps", OPTION_TEXT,
    OPTION_FIELD (download_limit_kbps) },
  { "--api-address", "api", "address", OPTION_TEXT, OPTION_FIELD (api_address) },
  { "--api-port", "api", "port", OPTION_TEXT, OPTION_FIELD (api_port) },
  { "--log-file", "service", "log-file", OPTION_TEXT, OPTION_FIELD (log_file) },
};

G_DEFINE_QUARK (shoald-config-error-quark, shoald_config_error)

static const ConfigKey *
find_key (const char *section,
          const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (strcmp (config_keys[i].section, section) == 0 && strcmp (config_keys[i].name, name) == 0)
      return &config_keys[i];
  return NULL;
}

static gboolean
is_known_section (const char *section)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (strcmp (config_keys[i].section, section) == 0)
      return TRUE;
  return FALSE;
}

static gpointer
field_of (const ShoaldConfig *config,
          const ConfigKey    *key)
{
  guint8 *owner = key->owner == IN_NODE_CONFIG ? (guint8 *) config->node : (guint8 *) config;

  return owner + key->offset;
}

/* Through memcpy: the fields are guint16, guint, gboolean and enums. */
static void
store_number (gpointer field,
              gsize    size,
              guint    value)
{
  guint16 narrow = (guint16) value;

  if (size == sizeof narrow)
    memcpy (field, &narrow, sizeof narrow);
  else
    {
      g_assert (size == sizeof value);
      memcpy (field, &value, sizeof value);
    }
}

/* "a number from 0 to 65535", "auto, leaf or ultrapeer": what a key takes,
 * for the printed file and for errors. */
static char *
describe_values (const ConfigKey *key)
{
  g_autoptr(GString) text = NULL;

  switch (key->type)
    {
    case KEY_INT:
      return g_strdup_printf ("a number from %u to %u", key->min, key->max);
    case KEY_BOOL:
      return g_strdup ("true or false");
    case KEY_ENUM:
      text = g_string_new (key->choices[0]);
      for (guint i = 1; key->choices[i] != NULL; i++)
        g_string_append_printf (text, key->choices[i + 1] != NULL ? ", %s" : " or %s",
                                key->choices[i]);
      return g_string_free (g_steal_pointer (&text), FALSE);
    case KEY_STRING:
      return g_strdup ("text");
    case KEY_ADDRESS:
      return g_strdup ("an IP address");
    case KEY_LIST:
    case KEY_HOST_PORTS:
      return g_strdup_printf ("a list of %s, separated by \";\"", list_names[key->items]);
    default:
      g_assert_not_reached ();
    }
}

static gboolean
fail_expected (const char  *expected,
               const char  *got,
               GError     **error)
{
  g_autofree char *shown = g_utf8_make_valid (got, -1);

  g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_BAD_VALUE,
               "expected %s, got “%s”", expected, shown);
  return FALSE;
}

static gboolean
parse_number (const ConfigKey  *key,
              const char       *text,
              guint            *number,
              GError          **error)
{
  guint64 parsed;

  if (!g_ascii_string_to_unsigned (text, 10, key->min, key->max, &parsed, NULL))
    {
      g_autofree char *expected = describe_values (key);

      return fail_expected (expected, text, error);
    }
  *number = (guint) parsed * key->scale;
  return TRUE;
}

static gboolean
parse_bool (const char  *text,
            guint       *flag,
            GError     **error)
{
  if (strcmp (text, "true") == 0)
    *flag = TRUE;
  else if (strcmp (text, "false") == 0)
    *flag = FALSE;
  else
    return fail_expected ("true or false", text, error);
  return TRUE;
}

static gboolean
parse_choice (const ConfigKey  *key,
              const char       *text,
              guint            *index,
              GError          **error)
{
  g_autofree char *expected = NULL;

  for (guint i = 0; key->choices[i] != NULL; i++)
    if (strcmp (key->choices[i], text) == 0)
      {
        *index = i;
        return TRUE;
      }
  expected = describe_values (key);
  return fail_expected (expected, text, error);
}

/* An empty text keeps the default: there is no way to write NULL. */
static void
store_text (gpointer  field,
            char     *text)
{
  char **slot = field;

  if (*text == '\0')
    {
      g_free (text);
      return;
    }
  g_free (*slot);
  *slot = text;
}

/* One value, from the file or an option, for any key but a list. */
static gboolean
set_value (ShoaldConfig     *config,
           const ConfigKey  *key,
           const char       *text,
           GError          **error)
{
  g_autofree char *value = g_strstrip (g_strdup (text));
  gpointer field = field_of (config, key);
  guint number = 0;

  switch (key->type)
    {
    case KEY_INT:
      if (!parse_number (key, value, &number, error))
        return FALSE;
      break;
    case KEY_BOOL:
      if (!parse_bool (value, &number, error))
        return FALSE;
      break;
    case KEY_ENUM:
      if (!parse_choice (key, value, &number, error))
        return FALSE;
      break;
    case KEY_ADDRESS:
      if (*value != '\0' && !g_hostname_is_ip_address (value))
        return fail_expected ("an IP address", value, error);
      store_text (field, g_steal_pointer (&value));
      return TRUE;
    case KEY_STRING:
      store_text (field, g_steal_pointer (&value));
      return TRUE;
    case KEY_LIST:
    case KEY_HOST_PORTS:
    default:
      g_assert_not_reached ();
    }
  store_number (field, key->size, number);
  return TRUE;
}

/* The rule of shoal_node_config_add_anchor(), also for host caches. */
static gboolean
is_host_port (const char *text)
{
  const char *colon = strrchr (text, ':');

  return colon != NULL && colon != text &&
         g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT16, NULL, NULL);
}

static gboolean
is_valid_item (ItemKind    kind,
               const char *item)
{
  switch (kind)
    {
    case ITEM_TEXT:
      return TRUE;
    case ITEM_HOST_PORT:
      return is_host_port (item);
    case ITEM_HTTP_URL:
      return g_ascii_strncasecmp (item, HTTP_SCHEME, strlen (HTTP_SCHEME)) == 0 &&
             item[strlen (HTTP_SCHEME)] != '\0';
    default:
      g_assert_not_reached ();
    }
}

/* Anchors and manual peers; each item passed is_host_port() already. */
static void
replace_host_ports (GPtrArray *list,
                    GPtrArray *items)
{
  g_ptr_array_set_size (list, 0);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (list, g_strdup (g_ptr_array_index (items, i)));
}

/* A whole list replaces the default (or the file's, for an option); blank
 * items are dropped, and an empty list keeps what there was. */
static gboolean
set_list (ShoaldConfig       *config,
          const ConfigKey    *key,
          const char * const *items,
          GError            **error)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  GStrv *slot = field_of (config, key);

  for (guint i = 0; items[i] != NULL; i++)
    {
      g_autofree char *item = g_strstrip (g_strdup (items[i]));

      if (*item == '\0')
        continue;
      if (!is_valid_item (key->items, item))
        return fail_expected (item_names[key->items], item, error);
      g_ptr_array_add (kept, g_steal_pointer (&item));
    }
  if (kept->len == 0)
    return TRUE;
  if (key->type == KEY_HOST_PORTS)
    {
      replace_host_ports (*(GPtrArray **) field_of (config, key), kept);
      return TRUE;
    }
  g_strfreev (*slot);
  g_ptr_array_add (kept, NULL);
  *slot = (GStrv) g_ptr_array_free (g_steal_pointer (&kept), FALSE);
  return TRUE;
}

/* NULL and an empty list are the same list. */
static gboolean
same_lists (GStrv a,
            GStrv b)
{
  guint length = a != NULL ? g_strv_length (a) : 0;

  if (length != (b != NULL ? g_strv_length (b) : 0))
    return FALSE;
  for (guint i = 0; i < length; i++)
    if (strcmp (a[i], b[i]) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
same_anchors (const GPtrArray *a,
              const GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (strcmp (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
same_value (const ConfigKey    *key,
            const ShoaldConfig *a,
            const ShoaldConfig *b)
{
  gpointer field_a = field_of (a, key);
  gpointer field_b = field_of (b, key);
  char **text_a = field_a, **text_b = field_b;
  GStrv *list_a = field_a, *list_b = field_b;
  GPtrArray **array_a = field_a, **array_b = field_b;

  switch (key->type)
    {
    case KEY_INT:
    case KEY_BOOL:
    case KEY_ENUM:
      return memcmp (field_a, field_b, key->size) == 0;
    case KEY_STRING:
    case KEY_ADDRESS:
      return g_strcmp0 (*text_a, *text_b) == 0;
    case KEY_LIST:
      return same_lists (*list_a, *list_b);
    case KEY_HOST_PORTS:
      return same_anchors (*array_a, *array_b);
    default:
      g_assert_not_reached ();
    }
}

ShoaldConfig *
shoald_config_new_default (void)
{
  ShoaldConfig *config = g_new0 (ShoaldConfig, 1);

  config->node = shoal_node_config_new_default ();
  config->api_address = g_strdup (SHOALD_API_DEFAULT_ADDRESS);
  config->api_port = SHOALD_API_DEFAULT_PORT;
  return config;
}

ShoaldConfig *
shoald_config_copy (const ShoaldConfig *config)
{
  ShoaldConfig *copy = g_new0 (ShoaldConfig, 1);

  g_return_val_if_fail (config != NULL, NULL);

  copy->node = shoal_node_config_copy (config->node);
  copy->shares = g_strdupv (config->shares);
  copy->api_address = g_strdup (config->api_address);
  copy->api_port = config->api_port;
  copy->log_file = g_strdup (config->log_file);
  return copy;
}

void
shoald_config_free (ShoaldConfig *config)
{
  if (config == NULL)
    return;
  shoal_node_config_free (config->node);
  g_strfreev (config->shares);
  g_free (config->api_address);
  g_free (config->log_file);
  g_free (config);
}

gboolean
shoald_config_equal (const ShoaldConfig *a,
                     const ShoaldConfig *b)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (!same_value (&config_keys[i], a, b))
      return FALSE;
  return TRUE;
}

char *
shoald_config_get_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), CONFIG_DIR_NAME, CONFIG_FILE_NAME, NULL);
}

/* GKeyFile keeps no line numbers, so errors find theirs in the text, read
 * with GKeyFile's rules: blanks before a line are skipped, '#' starts a
 * comment, "[name]" opens a group, "key = value" sets a key (its name is
 * what comes before the '=', without blanks around it). A group maps to
 * its first header (GKeyFile merges repeated groups), "group\nkey" to the
 * key's last line (the last value wins); neither name can hold a '\n'. */
static GHashTable *
index_lines (const char *data,
             gsize       length)
{
  g_autofree char *text = g_strndup (data, length);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GHashTable *index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      gpointer number = GUINT_TO_POINTER (i + 1);
      const char *equals = strchr (line, '=');

      if (*line == '[')
        {
          g_free (group);
          group = g_strndup (line + 1, strcspn (line + 1, "]"));
          if (!g_hash_table_contains (index, group))
            g_hash_table_insert (index, g_strdup (group), number);
        }
      else if (*line != '#' && group != NULL && equals != NULL)
        {
          g_autofree char *name = g_strstrip (g_strndup (line, (gsize) (equals - line)));

          g_hash_table_insert (index, g_strconcat (group, "\n", name, NULL), number);
        }
    }
  return index;
}

static guint
line_of_key (GHashTable *index,
             const char *group,
             const char *name)
{
  g_autofree char *composite = g_strconcat (group, "\n", name, NULL);

  return GPOINTER_TO_UINT (g_hash_table_lookup (index, composite));
}

static gboolean
loads (const char *data,
       gsize       length)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();

  return g_key_file_load_from_data (key_file, data, length, KEY_FILE_FLAGS, NULL);
}

/* GKeyFile stops at the first line it cannot read but does not say which:
 * that line ends the shortest prefix of whole lines that does not load,
 * found by bisection (each line is read on its own, so a prefix that
 * fails stays failing as it grows). */
static guint
find_bad_line (const char *data,
               gsize       length)
{
  g_autoptr(GArray) ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint good = 0;  /* this many first lines load */
  guint bad;       /* this many do not */

  for (gsize i = 0; i < length; i++)
    if (data[i] == '\n' || i + 1 == length)
      {
        gsize end = i + 1;

        g_array_append_val (ends, end);
      }
  bad = ends->len;
  while (bad - good > 1)
    {
      guint middle = good + (bad - good) / 2;

      if (loads (data, g_array_index (ends, gsize, middle - 1)))
        good = middle;
      else
        bad = middle;
    }
  return bad;
}

/* A value from the file, through GKeyFile's unescaping and list splitting.
 * GKeyFile may return a value along with an error: the error decides. */
static gboolean
set_from_file (ShoaldConfig     *config,
               GKeyFile         *key_file,
               const ConfigKey  *key,
               GError          **error)
{
  g_autoptr(GError) read_error = NULL;
  g_auto(GStrv) items = NULL;
  g_autofree char *text = NULL;
  g_autofree char *raw = NULL;

  if (key->type == KEY_LIST || key->type == KEY_HOST_PORTS)
    items = g_key_file_get_string_list (key_file, key->section, key->name, NULL, &read_error);
  else
    text = g_key_file_get_string (key_file, key->section, key->name, &read_error);
  if (read_error != NULL)
    {
      raw = g_key_file_get_value (key_file, key->section, key->name, NULL);
      return fail_expected ("UTF-8 text with valid escapes", raw != NULL ? raw : "", error);
    }
  if (items != NULL)
    return set_list (config, key, (const char * const *) items, error);
  return set_value (config, key, text, error);
}

static gboolean
apply_group (ShoaldConfig  *config,
             GKeyFile      *key_file,
             const char    *group,
             GHashTable    *index,
             const char    *file_name,
             GError       **error)
{
  g_auto(GStrv) names = g_key_file_get_keys (key_file, group, NULL, NULL);

  if (!is_known_section (group))
    {
      g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                   "%s:%u: unknown section [%s]", file_name,
                   GPOINTER_TO_UINT (g_hash_table_lookup (index, group)), group);
      return FALSE;
    }
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      const ConfigKey *key = find_key (group, names[i]);
      guint line = line_of_key (index, group, names[i]);
      g_autoptr(GError) value_error = NULL;

      if (key == NULL)
        {
          g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
                       "%s:%u: unknown key “%s” in [%s]", file_name, line, names[i], group);
          return FALSE;
        }
      if (!set_from_file (config, key_file, key, &value_error))
        {
          g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_BAD_VALUE,
                       "%s:%u: key “%s” in [%s]: %s", file_name, line, names[i], group,
                       value_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

ShoaldConfig *
shoald_config_load_data (const char  *data,
                         gsize        length,
                         const char  *file_name,
                         GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) syntax_error = NULL;
  g_autoptr(GHashTable) index = NULL;
  g_autoptr(ShoaldConfig) config = NULL;
  g_auto(GStrv) groups = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (file_name != NULL, NULL);

  if (!g_key_file_load_from_data (key_file, data != NULL ? data : "", length,
                                  KEY_FILE_FLAGS, &syntax_error))
    {
      g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_SYNTAX, "%s:%u: %s",
                   file_name, find_bad_line (data, length), syntax_error->message);
      return NULL;
    }
  index = index_lines (data != NULL ? data : "", length);
  config = shoald_config_new_default ();
  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (!apply_group (config, key_file, groups[i], index, file_name, error))
      return NULL;
  return g_steal_pointer (&config);
}

ShoaldConfig *
shoald_config_load_file (const char  *path,
                         GError     **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, error))
    return NULL;
  return shoald_config_load_data (data, length, path, error);
}

/* "# " lines broken between words. */
static void
append_comment (GString    *text,
                const char *sentence)
{
  g_auto(GStrv) words = g_strsplit (sentence, " ", -1);
  glong column = 0;

  for (guint i = 0; words[i] != NULL; i++)
    {
      glong width = g_utf8_strlen (words[i], -1);

      if (column > 0 && column + 1 + width > COMMENT_WIDTH)
        {
          g_string_append_c (text, '\n');
          column = 0;
        }
      if (column == 0)
        {
          g_string_append_c (text, '#');
          column = 1;
        }
      g_string_append_printf (text, " %s", words[i]);
      column += 1 + width;
    }
  g_string_append_c (text, '\n');
}

static void
append_key (GString         *text,
            const ConfigKey *key)
{
  g_autofree char *values = describe_values (key);
  g_autofree char *description = g_strconcat (key->description, ".", NULL);
  g_autofree char *summary = g_strdup_printf ("%s: %s. Default: %s.%s", key->name, values,
                                              *key->default_text != '\0' ? key->default_text
                                                                         : "empty",
                                              key->live ? "" : " Needs a restart.");

  g_string_append_c (text, '\n');
  append_comment (text, description);
  append_comment (text, summary);
  g_string_append_printf (text, "%s=%s\n", key->name, key->default_text);
}

char *
shoald_config_print_default (void)
{
  GString *text = g_string_new (FILE_HEADER);
  const char *section = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    {
      if (g_strcmp0 (section, config_keys[i].section) != 0)
        {
          section = config_keys[i].section;
          g_string_append_printf (text, "\n[%s]\n", section);
        }
      append_key (text, &config_keys[i]);
    }
  return g_string_free (text, FALSE);
}

static gboolean
apply_option (ShoaldConfig          *config,
              const OptionOverride  *override,
              const ShoaldOptions   *options,
              GError               **error)
{
  const ConfigKey *key = find_key (override->section, override->key);
  gconstpointer field = (const guint8 *) options + override->offset;
  char * const *text = field;
  const GStrv *items = field;
  const gboolean *given = field;

  g_assert (key != NULL);
  switch (override->kind)
    {
    case OPTION_TEXT:
      return *text == NULL || set_value (config, key, *text, error);
    case OPTION_LIST:
      return *items == NULL || set_list (config, key, (const char * const *) *items, error);
    case OPTION_SETS_TRUE:
      return !*given || set_value (config, key, "true", error);
    case OPTION_SETS_FALSE:
      return !*given || set_value (config, key, "false", error);
    default:
      g_assert_not_reached ();
    }
}

gboolean
shoald_config_apply_options (ShoaldConfig        *config,
                             const ShoaldOptions *options,
                             GError             **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (option_overrides); i++)
    {
      g_autoptr(GError) option_error = NULL;

      if (!apply_option (config, &option_overrides[i], options, &option_error))
        {
          g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_BAD_VALUE, "%s: %s",
                       option_overrides[i].option, option_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

void
shoald_options_clear (ShoaldOptions *options)
{
  g_clear_pointer (&options->port, g_free);
  g_clear_pointer (&options->listen_address, g_free);
  g_clear_pointer (&options->data_dir, g_free);
  g_clear_pointer (&options->download_dir, g_free);
  g_clear_pointer (&options->role, g_free);
  g_clear_pointer (&options->qrp_period_s, g_free);
  g_clear_pointer (&options->promote_after_s, g_free);
  g_clear_pointer (&options->demote_after_s, g_free);
  g_clear_pointer (&options->switch_interval_s, g_free);
  g_clear_pointer (&options->upload_kbps, g_free);
  g_clear_pointer (&options->upload_slots, g_free);
  g_clear_pointer (&options->upload_limit_kbps, g_free);
  g_clear_pointer (&options->download_limit_kbps, g_free);
  g_clear_pointer (&options->api_address, g_free);
  g_clear_pointer (&options->api_port, g_free);
  g_clear_pointer (&options->log_file, g_free);
  g_clear_pointer (&options->anchors, g_strfreev);
  g_clear_pointer (&options->manual_peers, g_strfreev);
  g_clear_pointer (&options->shares, g_strfreev);
  g_clear_pointer (&options->udp_host_caches, g_strfreev);
  g_clear_pointer (&options->gwebcaches, g_strfreev);
}

/* Keys by name ---------------------------------------------------------------- */

static const ConfigKey *
find_key_by_id (const char  *id,
                GError     **error)
{
  g_autofree char *shown = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (strcmp (config_keys[i].id, id) == 0)
      return &config_keys[i];
  shown = g_utf8_make_valid (id, -1);
  g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_UNKNOWN_KEY,
               "unknown key “%s”", shown);
  return NULL;
}

static void
describe_key (const ConfigKey     *key,
              ShoaldConfigKeyInfo *info)
{
  info->name = key->id;
  info->description = key->description;
  info->default_text = key->default_text;
  info->live = key->live;
}

gboolean
shoald_config_get_key_info (guint                index,
                            ShoaldConfigKeyInfo *info)
{
  g_return_val_if_fail (info != NULL, FALSE);

  if (index >= G_N_ELEMENTS (config_keys))
    return FALSE;
  describe_key (&config_keys[index], info);
  return TRUE;
}

gboolean
shoald_config_find_key (const char          *name,
                        ShoaldConfigKeyInfo *info)
{
  const ConfigKey *key;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  key = find_key_by_id (name, NULL);
  if (key == NULL)
    return FALSE;
  describe_key (key, info);
  return TRUE;
}

static guint
load_number (gconstpointer field,
             gsize         size)
{
  guint16 narrow;
  guint value;

  if (size == sizeof narrow)
    {
      memcpy (&narrow, field, sizeof narrow);
      return narrow;
    }
  g_assert (size == sizeof value);
  memcpy (&value, field, sizeof value);
  return value;
}

/* Through GKeyFile's own setters: the text is what the file would hold,
 * escapes and list separators included. */
static void
write_value (GKeyFile           *key_file,
             const ShoaldConfig *config,
             const ConfigKey    *key)
{
  gpointer field = field_of (config, key);
  char **text = field;
  GStrv *list = field;
  GPtrArray **array = field;
  g_autofree char *digits = NULL;

  switch (key->type)
    {
    case KEY_INT:
      digits = g_strdup_printf ("%u", load_number (field, key->size) / key->scale);
      g_key_file_set_value (key_file, key->section, key->name, digits);
      break;
    case KEY_BOOL:
      g_key_file_set_value (key_file, key->section, key->name,
                            load_number (field, key->size) ? "true" : "false");
      break;
    case KEY_ENUM:
      g_key_file_set_value (key_file, key->section, key->name,
                            key->choices[load_number (field, key->size)]);
      break;
    case KEY_STRING:
    case KEY_ADDRESS:
      g_key_file_set_string (key_file, key->section, key->name, *text != NULL ? *text : "");
      break;
    case KEY_LIST:
      g_key_file_set_string_list (key_file, key->section, key->name, (const char * const *) *list,
                                  *list != NULL ? g_strv_length (*list) : 0);
      break;
    case KEY_HOST_PORTS:
      g_key_file_set_string_list (key_file, key->section, key->name,
                                  (const char * const *) (*array)->pdata, (*array)->len);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
copy_field (ShoaldConfig       *to,
            const ShoaldConfig *from,
            const ConfigKey    *key)
{
  gpointer target = field_of (to, key);
  gpointer source = field_of (from, key);
  char **text_to = target, **text_from = source;
  GStrv *list_to = target, *list_from = source;
  GPtrArray **array_to = target, **array_from = source;

  switch (key->type)
    {
    case KEY_INT:
    case KEY_BOOL:
    case KEY_ENUM:
      memcpy (target, source, key->size);
      break;
    case KEY_STRING:
    case KEY_ADDRESS:
      g_free (*text_to);
      *text_to = g_strdup (*text_from);
      break;
    case KEY_LIST:
      g_strfreev (*list_to);
      *list_to = g_strdupv (*list_from);
      break;
    case KEY_HOST_PORTS:
      g_ptr_array_set_size (*array_to, 0);
      for (guint i = 0; i < (*array_from)->len; i++)
        g_ptr_array_add (*array_to, g_strdup (g_ptr_array_index (*array_from, i)));
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
shoald_config_get_text (const ShoaldConfig  *config,
                        const char          *name,
                        GError             **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  const ConfigKey *key;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  key = find_key_by_id (name, error);
  if (key == NULL)
    return NULL;
  write_value (key_file, config, key);
  return g_key_file_get_value (key_file, key->section, key->name, error);
}

/* The text goes through a key file and onto the defaults, as a file's
 * line would: the same checks, the same unescaping, and an empty text
 * gives the default. */
gboolean
shoald_config_set_text (ShoaldConfig  *config,
                        const char    *name,
                        const char    *text,
                        GError       **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(ShoaldConfig) scratch = shoald_config_new_default ();
  g_autoptr(GError) value_error = NULL;
  const ConfigKey *key;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  key = find_key_by_id (name, error);
  if (key == NULL)
    return FALSE;
  /* A line break would end the file's line: the rest would be another. */
  if (strpbrk (text, "\r\n") != NULL)
    fail_expected ("a single line", text, &value_error);
  else
    {
      g_key_file_set_value (key_file, key->section, key->name, text);
      set_from_file (scratch, key_file, key, &value_error);
    }
  if (value_error != NULL)
    {
      g_set_error (error, SHOALD_CONFIG_ERROR, SHOALD_CONFIG_ERROR_BAD_VALUE, "%s: %s",
                   key->id, value_error->message);
      return FALSE;
    }
  copy_field (config, scratch, key);
  return TRUE;
}

/* The file a symbolic link names is rewritten, not the link replaced. */
static char *
resolve_path (const char *path)
{
  char *resolved = realpath (path, NULL);
  char *copy;

  if (resolved == NULL)
    return g_strdup (path);
  copy = g_strdup (resolved);
  free (resolved);
  return copy;
}

static gboolean
make_parent_folder (const char  *path,
                    GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (path);
  int saved_errno;

  if (g_mkdir_with_parents (folder, CONFIG_DIR_MODE) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "cannot create %s: %s", folder, g_strerror (saved_errno));
  return FALSE;
}

/* GKeyFile keeps every comment, blank line and key it read, in place:
 * setting a key rewrites its own line only (or adds it to its group). */
gboolean
shoald_config_save_keys (const ShoaldConfig  *config,
                         const char          *path,
                         const char * const  *names,
                         GError             **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) load_error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;
  GStatBuf info;
  int mode = CONFIG_FILE_MODE;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (names != NULL, FALSE);

  for (guint i = 0; names[i] != NULL; i++)
    if (find_key_by_id (names[i], error) == NULL)
      return FALSE;
  target = resolve_path (path);
  if (g_key_file_load_from_file (key_file, target, KEY_FILE_FLAGS | G_KEY_FILE_KEEP_COMMENTS,
                                 &load_error))
    {
      if (g_stat (target, &info) == 0)
        mode = (int) (info.st_mode & 07777);
    }
  else if (g_error_matches (load_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_key_file_set_comment (key_file, NULL, NULL, WRITTEN_FILE_HEADER, NULL);
  else
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&load_error), "%s: ", path);
      return FALSE;
    }
  for (guint i = 0; names[i] != NULL; i++)
    write_value (key_file, config, find_key_by_id (names[i], NULL));
  if (!make_parent_folder (target, error))
    return FALSE;
  data = g_key_file_to_data (key_file, &length, NULL);
  return g_file_set_contents_full (target, data, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT,
                                   mode, error);
}

GPtrArray *
shoald_config_diff (const ShoaldConfig *a,
                    const ShoaldConfig *b)
{
  GPtrArray *names = g_ptr_array_new ();

  g_return_val_if_fail (a != NULL && b != NULL, names);

  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (!same_value (&config_keys[i], a, b))
      g_ptr_array_add (names, (gpointer) config_keys[i].id);
  return names;
}

/* Live settings ------------------------------------------------------------------ */

static gboolean
has_item (GStrv       list,
          const char *item)
{
  return list != NULL && g_strv_contains ((const char * const *) list, item);
}

static void
on_share_added (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShoalSharedRoot) root = shoal_library_add_root_finish (SHOAL_LIBRARY (source), result, &error);

  if (root == NULL)
    g_warning ("cannot share: %s", error->message);
  else
    g_message ("sharing %s", shoal_shared_root_get_path (root));
}

void
shoald_config_share (ShoalLibrary *library,
                     const char   *path)
{
  g_return_if_fail (SHOAL_IS_LIBRARY (library));
  g_return_if_fail (path != NULL);

  shoal_library_add_root_async (library, path, NULL, on_share_added, NULL);
}

/* The library knows a root by its canonical path. */
static void
unshare (ShoalLibrary *library,
         const char   *path)
{
  ShoalSharedRoot *root = shoal_library_find_root_by_path (library, path);

  if (root == NULL)
    return;
  g_message ("no longer sharing %s", shoal_shared_root_get_path (root));
  shoal_library_remove_root (library, root);
}

/* Folders shared some other way (the API, an earlier run) are left as
 * they are: only what the setting itself gained or lost changes. */
static void
apply_shares (const ShoaldConfig *current,
              const ShoaldConfig *wanted,
              ShoalServent       *servent)
{
  ShoalLibrary *library = servent != NULL ? shoal_servent_get_library (servent) : NULL;

  if (library == NULL)
    return;
  for (guint i = 0; current->shares != NULL && current->shares[i] != NULL; i++)
    if (!has_item (wanted->shares, current->shares[i]))
      unshare (library, current->shares[i]);
  for (guint i = 0; wanted->shares != NULL && wanted->shares[i] != NULL; i++)
    if (!has_item (current->shares, wanted->shares[i]))
      shoald_config_share (library, wanted->shares[i]);
}

static void
apply_log_file (const ShoaldConfig *current,
                const ShoaldConfig *wanted,
                ShoalServent       *servent)
{
  g_autoptr(GError) error = NULL;

  if (!shoald_log_set_file (wanted->log_file, &error))
    g_warning ("the log stays where it was: %s", error->message);
}

GPtrArray *
shoald_config_apply_live (ShoaldConfig       *current,
                          const ShoaldConfig *wanted,
                          ShoalServent       *servent)
{
  GPtrArray *restart = g_ptr_array_new ();
  gboolean node_changed = FALSE;

  g_return_val_if_fail (current != NULL && wanted != NULL, restart);
  g_return_val_if_fail (servent == NULL || SHOAL_IS_SERVENT (servent), restart);

  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++)
    {
      const ConfigKey *key = &config_keys[i];

      if (same_value (key, current, wanted))
        continue;
      if (!key->live)
        {
          g_ptr_array_add (restart, (gpointer) key->id);
          continue;
        }
      if (key->apply != NULL)
        key->apply (current, wanted, servent);
      copy_field (current, wanted, key);
      node_changed |= key->owner == IN_NODE_CONFIG;
    }
  if (node_changed && servent != NULL)
    shoal_servent_update_config (servent, current->node);
  return restart;
}
