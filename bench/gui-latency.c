/* gui-latency.c — a main-loop latency recorder: a tick at the highest
 * priority every GUI_LATENCY_TICK_MS; how much later than asked each one
 * ran is how long something else held the loop. */
#include "gui-latency.h"

/* Ticks recorded before the array grows (a minute's worth). */
#define INITIAL_SAMPLES (60 * 1000 / GUI_LATENCY_TICK_MS)

struct _GuiLatency
{
  GSource *tick;
  gint64   last_us;      /* when the previous tick ran */
  gint64   stall_us;
  GArray  *lateness_us;  /* gint64, one per tick */
};

static gboolean
on_tick (gpointer data)
{
  GuiLatency *self = data;
  gint64 now = g_get_monotonic_time ();
  /* GLib arms the next tick when this one returns, so the gap between two
   * runs is the interval plus whatever kept the loop from coming back. */
  gint64 lateness = MAX (now - self->last_us - GUI_LATENCY_TICK_MS * G_TIME_SPAN_MILLISECOND, 0);

  g_array_append_val (self->lateness_us, lateness);
  self->last_us = now;
  return G_SOURCE_CONTINUE;
}

GuiLatency *
gui_latency_start (guint stall_ms)
{
  GuiLatency *self = g_new0 (GuiLatency, 1);

  self->stall_us = stall_ms * G_TIME_SPAN_MILLISECOND;
  self->lateness_us = g_array_sized_new (FALSE, FALSE, sizeof (gint64), INITIAL_SAMPLES);
  self->tick = g_timeout_source_new (GUI_LATENCY_TICK_MS);
  /* Above redraws and every I/O source: it runs as soon as the loop is
   * free, so its lateness is the stall itself. */
  g_source_set_priority (self->tick, G_PRIORITY_HIGH);
  g_source_set_callback (self->tick, on_tick, self, NULL);
  g_source_set_name (self->tick, "gui-latency tick");
  self->last_us = g_get_monotonic_time ();
  g_source_attach (self->tick, g_main_context_get_thread_default ());
  return self;
}

void
gui_latency_stop (GuiLatency *self)
{
  if (self->tick == NULL)
    return;
  g_source_destroy (self->tick);
  g_clear_pointer (&self->tick, g_source_unref);
}

static int
compare_spans (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The value below which @fraction of the sorted samples lie. */
static gint64
percentile (const GArray *sorted,
            double        fraction)
{
  guint index = (guint) (fraction * (sorted->len - 1) + 0.5);

  return g_array_index (sorted, gint64, index);
}

void
gui_latency_figures (GuiLatency        *self,
                     GuiLatencyFigures *figures)
{
  g_autoptr(GArray) sorted = NULL;

  *figures = (GuiLatencyFigures) { 0 };
  figures->samples = self->lateness_us->len;
  if (figures->samples == 0)
    return;
  sorted = g_array_copy (self->lateness_us);
  g_array_sort (sorted, compare_spans);
  figures->max_us = g_array_index (sorted, gint64, sorted->len - 1);
  figures->p99_us = percentile (sorted, 0.99);
  figures->p50_us = percentile (sorted, 0.50);
  for (guint i = 0; i < sorted->len; i++)
    if (g_array_index (sorted, gint64, i) > self->stall_us)
      figures->stalls++;
}

void
gui_latency_free (GuiLatency *self)
{
  if (self == NULL)
    return;
  gui_latency_stop (self);
  g_array_unref (self->lateness_us);
  g_free (self);
}
