/* shoal-units.c — rates, durations and time left in words. */
#include "shoal-units.h"

#include <glib/gi18n.h>

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_HOUR (60 * SECONDS_PER_MINUTE)
#define SECONDS_PER_DAY (24 * SECONDS_PER_HOUR)

char *
shoal_units_format_rate (guint64 bytes_per_second)
{
  g_autofree char *size = g_format_size (bytes_per_second);

  /* TRANSLATORS: a transfer speed, e.g. "1.2 MB/s" */
  return g_strdup_printf (_("%s/s"), size);
}

/* Two units at most: a person reads "1 h 5 min", not "1 h 5 min 12 s". */
char *
shoal_units_format_duration (guint64 seconds)
{
  if (seconds < SECONDS_PER_MINUTE)
    return g_strdup_printf (_("%u s"), (guint) seconds);
  if (seconds < SECONDS_PER_HOUR)
    return g_strdup_printf (_("%u min"), (guint) (seconds / SECONDS_PER_MINUTE));
  if (seconds < SECONDS_PER_DAY)
    {
      guint hours = (guint) (seconds / SECONDS_PER_HOUR);
      guint minutes = (guint) (seconds % SECONDS_PER_HOUR / SECONDS_PER_MINUTE);

      return minutes == 0 ? g_strdup_printf (_("%u h"), hours)
                          : g_strdup_printf (_("%u h %u min"), hours, minutes);
    }
  {
    guint days = (guint) MIN (seconds / SECONDS_PER_DAY, G_MAXUINT);
    guint hours = (guint) (seconds % SECONDS_PER_DAY / SECONDS_PER_HOUR);

    return hours == 0 ? g_strdup_printf (_("%u d"), days)
                      : g_strdup_printf (_("%u d %u h"), days, hours);
  }
}

char *
shoal_units_format_time_left (gint64 seconds)
{
  g_autofree char *duration = NULL;

  if (seconds < 0)
    return g_strdup ("");
  duration = shoal_units_format_duration ((guint64) seconds);
  /* TRANSLATORS: time until a download completes, e.g. "2 min left" */
  return g_strdup_printf (_("%s left"), duration);
}
