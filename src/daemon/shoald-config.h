/* shoald-config.h — shoald's settings file, shoal.conf: every setting with
 * its default and description, the command-line options over it, each
 * key by name (for the control API) and what a running servent can take
 * without a restart. */
#pragma once

#include <glib.h>

#include "shoal-node-config.h"
#include "shoal-servent.h"

G_BEGIN_DECLS

#define SHOALD_CONFIG_ERROR (shoald_config_error_quark ())

typedef enum
{
  SHOALD_CONFIG_ERROR_SYNTAX,       /* a line that is no group, key or comment */
  SHOALD_CONFIG_ERROR_UNKNOWN_KEY,  /* or an unknown section */
  SHOALD_CONFIG_ERROR_BAD_VALUE,
} ShoaldConfigError;

/* Where the control API listens unless told otherwise: loopback only. */
#define SHOALD_API_DEFAULT_ADDRESS "127.0.0.1"
#define SHOALD_API_DEFAULT_PORT 6348

typedef struct
{
  ShoalNodeConfig *node;
  GStrv            shares;       /* folders to share; NULL: none */
  char            *api_address;  /* an IP address */
  guint16          api_port;     /* 0 picks one */
  char            *log_file;     /* NULL: stderr, or the journal */
} ShoaldConfig;

/* One key as the API lists it; every text is static. */
typedef struct
{
  const char *name;          /* "section.key": "network.port" */
  const char *description;
  const char *default_text;  /* as the file writes it */
  gboolean    live;          /* a running daemon applies it; FALSE: at the next start */
} ShoaldConfigKeyInfo;

/* The command line as given: NULL (or FALSE) for an option that was not,
 * so that only the options given override the file. Values are texts,
 * checked as the file's are. */
typedef struct
{
  char     *port;
  char     *listen_address;
  char     *data_dir;
  char     *download_dir;
  char     *role;
  char     *qrp_period_s;
  char     *promote_after_s;
  char     *demote_after_s;
  char     *switch_interval_s;
  char     *upload_kbps;
  char     *upload_slots;
  char     *upload_limit_kbps;
  char     *download_limit_kbps;
  char     *api_address;
  char     *api_port;
  char     *log_file;
  GStrv     anchors;
  GStrv     manual_peers;
  GStrv     shares;
  GStrv     udp_host_caches;
  GStrv     gwebcaches;
  gboolean  allow_private;
  gboolean  no_lan_discovery;
  gboolean  lan_only;
  gboolean  anchors_only;
  gboolean  no_default_bootstrap;
  gboolean  no_browse_host;
} ShoaldOptions;

GQuark        shoald_config_error_quark      (void);

ShoaldConfig *shoald_config_new_default      (void);
ShoaldConfig *shoald_config_copy             (const ShoaldConfig  *config);
void          shoald_config_free             (ShoaldConfig        *config);
gboolean      shoald_config_equal            (const ShoaldConfig  *a,
                                              const ShoaldConfig  *b);

/* $XDG_CONFIG_HOME/shoal/shoal.conf. */
char         *shoald_config_get_default_path (void);

/* The defaults with what the file says over them. Errors name the file,
 * the line and the key: "FILE:LINE: unknown key “x” in [section]". A
 * missing file is G_FILE_ERROR_NOENT. */
ShoaldConfig *shoald_config_load_file        (const char          *path,
                                              GError             **error);
/* The same from @length bytes of text; @file_name only names it in errors. */
ShoaldConfig *shoald_config_load_data        (const char          *data,
                                              gsize                length,
                                              const char          *file_name,
                                              GError             **error);

/* A complete shoal.conf: every key set to its default, with what it does
 * and the values it takes in comments. */
char         *shoald_config_print_default    (void);

/* Sets what the options given say, checked as in the file; errors name
 * the option: "--port: expected a number from 0 to 65535, got “x”". */
gboolean      shoald_config_apply_options    (ShoaldConfig        *config,
                                              const ShoaldOptions *options,
                                              GError             **error);
void          shoald_options_clear           (ShoaldOptions       *options);

/* Keys by name ------------------------------------------------------------ */

/* The @index-th key in the order of the printed file; FALSE past the
 * last one. */
gboolean      shoald_config_get_key_info     (guint                index,
                                              ShoaldConfigKeyInfo *info);
/* FALSE when there is no such key. */
gboolean      shoald_config_find_key         (const char          *name,
                                              ShoaldConfigKeyInfo *info);
/* The value as the file writes it ("6346", "true", "a;b;"); NULL when
 * there is no such key. */
char         *shoald_config_get_text         (const ShoaldConfig  *config,
                                              const char          *name,
                                              GError             **error);
/* Sets @name from @text, checked exactly as the file's value is, an empty
 * text giving the default. Errors name the key: "network.port: expected a
 * number from 0 to 65535, got “x”", or SHOALD_CONFIG_ERROR_UNKNOWN_KEY;
 * @config is unchanged then. */
gboolean      shoald_config_set_text         (ShoaldConfig        *config,
                                              const char          *name,
                                              const char          *text,
                                              GError             **error);
/* Writes @config's values of the keys @names into the settings file at
 * @path, keeping every other line of it (comments, other keys); creates
 * the file and its folder when missing. A file that is not a key file is
 * left alone (error). */
gboolean      shoald_config_save_keys        (const ShoaldConfig  *config,
                                              const char          *path,
                                              const char * const  *names,
                                              GError             **error);
/* Names of the keys whose values differ, in the order of the file
 * (static strings). */
GPtrArray    *shoald_config_diff             (const ShoaldConfig  *a,
                                              const ShoaldConfig  *b);

/* Live settings ----------------------------------------------------------- */

/* Starts sharing @path in @library, as the shares key does: the outcome
 * is only logged. */
void          shoald_config_share            (ShoalLibrary        *library,
                                              const char          *path);

/* Applies what differs between @current (the settings in effect) and
 * @wanted to the running @servent when it can change live: @current
 * takes those values, and shares are added to or removed from the
 * library. Returns the keys that differ but wait for a restart (static
 * names); @current keeps their running values. @servent may be NULL:
 * nothing runs yet. */
GPtrArray    *shoald_config_apply_live       (ShoaldConfig        *current,
                                              const ShoaldConfig  *wanted,
                                              ShoalServent        *servent);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoaldConfig, shoald_config_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ShoaldOptions, shoald_options_clear)

G_END_DECLS
