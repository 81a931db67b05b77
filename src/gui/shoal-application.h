/* shoal-application.h — the desktop app: one instance, the servent running
 * in-process, one window; opens magnet: URIs given on the command line or
 * by the desktop. */
#pragma once

#include <adwaita.h>

#include "shoal-servent.h"
#include "shoald-config.h"

G_BEGIN_DECLS

#define SHOAL_APPLICATION_ID "io.github.shoal.Shoal"

#define SHOAL_TYPE_APPLICATION (shoal_application_get_type ())
G_DECLARE_FINAL_TYPE (ShoalApplication, shoal_application, SHOAL, APPLICATION, AdwApplication)

ShoalApplication *shoal_application_new          (void);
/* Started at startup, with the settings of shoal.conf (or --config) and
 * --data-dir; NULL before, or when it could not start (see
 * shoal_application_get_start_error()). */
ShoalServent     *shoal_application_get_servent  (ShoalApplication *self);
/* The settings in effect; NULL when the settings file does not read. */
ShoaldConfig     *shoal_application_get_settings (ShoalApplication *self);
const char       *shoal_application_get_config_path (ShoalApplication *self);
/* Why the servent is not running, or NULL: G_IO_ERROR_BUSY when another
 * Shoal (shoald, another window) uses the data folder; the settings
 * file's error; the servent's own (its port is taken…). */
const GError     *shoal_application_get_start_error (ShoalApplication *self);
/* The data folder in use; NULL when the settings file does not read. */
const char       *shoal_application_get_data_dir (ShoalApplication *self);

G_END_DECLS
