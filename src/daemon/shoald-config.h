/* shoald-config.h — shoald's settings file, shoal.conf: every setting with
 * its default and description, and the command-line options over it. */
#pragma once

#include <glib.h>

#include "shoal-node-config.h"

G_BEGIN_DECLS

#define SHOALD_CONFIG_ERROR (shoald_config_error_quark ())

typedef enum
{
  SHOALD_CONFIG_ERROR_SYNTAX,       /* a line that is no group, key or comment */
  SHOALD_CONFIG_ERROR_UNKNOWN_KEY,  /* or an unknown section */
  SHOALD_CONFIG_ERROR_BAD_VALUE,
} ShoaldConfigError;

typedef struct
{
  ShoalNodeConfig *node;
  GStrv            shares;  /* folders to share; NULL: none */
} ShoaldConfig;

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
  GStrv     anchors;
  GStrv     shares;
  GStrv     udp_host_caches;
  GStrv     gwebcaches;
  gboolean  allow_private;
  gboolean  anchors_only;
  gboolean  no_default_bootstrap;
  gboolean  no_browse_host;
} ShoaldOptions;

GQuark        shoald_config_error_quark      (void);

ShoaldConfig *shoald_config_new_default      (void);
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoaldConfig, shoald_config_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ShoaldOptions, shoald_options_clear)

G_END_DECLS
