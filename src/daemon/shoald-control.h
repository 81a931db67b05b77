/* shoald-control.h — the control API as the daemon runs it: the token,
 * the HTTP server on its configured address, every area's endpoints, and
 * the endpoint file that tells clients where it is. */
#pragma once

#include "shoal-servent.h"
#include "shoald-api.h"
#include "shoald-config.h"

G_BEGIN_DECLS

typedef struct _ShoaldControl ShoaldControl;

/* Starts the API on config's [api] address and port. @config and
 * @servent must outlive the control; @config_path is where `set`
 * persists settings. */
ShoaldControl *shoald_control_start (ShoalServent  *servent,
                                     ShoaldConfig  *config,
                                     const char    *config_path,
                                     GError       **error);
guint16        shoald_control_get_port (ShoaldControl *control);
/* Removes the endpoint file and stops the server. */
void           shoald_control_stop  (ShoaldControl *control);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShoaldControl, shoald_control_stop)

G_END_DECLS
