/* shoal-units.h — how the app writes rates, durations and time left:
 * the same words in every list. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "1.2 MB/s" (transfer full). */
char *shoal_units_format_rate      (guint64 bytes_per_second);
/* "45 s", "3 min", "1 h 5 min", "2 d 4 h" (transfer full). */
char *shoal_units_format_duration  (guint64 seconds);
/* "2 min left", or "" when @seconds is negative: unknown (transfer
 * full). */
char *shoal_units_format_time_left (gint64 seconds);

G_END_DECLS
