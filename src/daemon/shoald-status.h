/* shoald-status.h — the daemon's state written as JSON on SIGUSR1, for an
 * operator's quick look and for the multi-node tests, until the control
 * API serves the same. */
#pragma once

#include "shoal-servent.h"

G_BEGIN_DECLS

/* Writes @path atomically: role, servent GUID, router counters and one
 * entry per link with its role and counters. */
gboolean shoald_status_write (ShoalServent  *servent,
                              const char    *path,
                              GError       **error);

G_END_DECLS
