/* shoal-notify-throttle.c — property notifications batched and sent at
 * most once per interval. */
#include "shoal-notify-throttle.h"

static void
stop_timer (ShoalNotifyThrottle *throttle)
{
  if (throttle->flush_source == NULL)
    return;
  g_source_destroy (throttle->flush_source);
  g_clear_pointer (&throttle->flush_source, g_source_unref);
}

/* Sends the pending notifications in property id order, frozen so that
 * handlers see the batch's values all changed at once. */
static void
flush (ShoalNotifyThrottle *throttle)
{
  guint32 pending = throttle->pending;

  throttle->pending = 0;
  throttle->last_notify_usec = g_get_monotonic_time ();
  stop_timer (throttle);
  g_object_freeze_notify (throttle->object);
  for (guint prop_id = 0; pending != 0; prop_id++, pending >>= 1)
    if (pending & 1u)
      g_object_notify_by_pspec (throttle->object, throttle->properties[prop_id]);
  g_object_thaw_notify (throttle->object);
}

static gboolean
on_flush_due (gpointer data)
{
  ShoalNotifyThrottle *throttle = data;

  /* flush() destroys the source: drop our pointer first. */
  g_clear_pointer (&throttle->flush_source, g_source_unref);
  flush (throttle);
  return G_SOURCE_REMOVE;
}

void
shoal_notify_throttle_init (ShoalNotifyThrottle  *throttle,
                            GObject              *object,
                            GParamSpec          **properties,
                            guint                 n_properties,
                            GMainContext         *context,
                            guint                 interval_ms)
{
  g_return_if_fail (throttle != NULL);
  g_return_if_fail (G_IS_OBJECT (object));
  g_return_if_fail (properties != NULL);
  g_return_if_fail (n_properties <= SHOAL_NOTIFY_THROTTLE_MAX_PROPERTIES);
  g_return_if_fail (context != NULL);

  *throttle = (ShoalNotifyThrottle) {
    .object = object,
    .properties = properties,
    .context = g_main_context_ref (context),
    .interval_usec = (gint64) interval_ms * G_TIME_SPAN_MILLISECOND,
  };
}

void
shoal_notify_throttle_mark (ShoalNotifyThrottle *throttle,
                            guint                prop_id)
{
  g_return_if_fail (prop_id < SHOAL_NOTIFY_THROTTLE_MAX_PROPERTIES);

  throttle->pending |= 1u << prop_id;
}

void
shoal_notify_throttle_schedule (ShoalNotifyThrottle *throttle)
{
  gint64 now = g_get_monotonic_time ();
  gint64 due = throttle->last_notify_usec + throttle->interval_usec;

  if (throttle->pending == 0 || throttle->flush_source != NULL)
    return;
  if (now >= due || throttle->context == NULL)
    {
      flush (throttle);
      return;
    }
  /* Rounded up to whole milliseconds: a batch never leaves early. */
  throttle->flush_source = g_timeout_source_new ((guint) ((due - now + 999) / 1000));
  g_source_set_callback (throttle->flush_source, on_flush_due, throttle, NULL);
  g_source_attach (throttle->flush_source, throttle->context);
}

void
shoal_notify_throttle_flush_now (ShoalNotifyThrottle *throttle)
{
  if (throttle->pending != 0)
    flush (throttle);
}

void
shoal_notify_throttle_clear (ShoalNotifyThrottle *throttle)
{
  stop_timer (throttle);
  g_clear_pointer (&throttle->context, g_main_context_unref);
}
