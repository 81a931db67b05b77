/* gui-latency.h — records how late the main loop runs a high-priority
 * tick, to tell whether the user would have seen the window freeze. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The tick asks to run this often. */
#define GUI_LATENCY_TICK_MS 5

typedef struct _GuiLatency GuiLatency;

typedef struct
{
  guint   samples;
  gint64  max_us;
  gint64  p99_us;
  gint64  p50_us;
  guint   stalls;        /* ticks later than the stall threshold */
} GuiLatencyFigures;

/* Starts ticking on the thread-default main context; a tick later than
 * @stall_ms counts as a stall. */
GuiLatency *gui_latency_start   (guint              stall_ms);
/* Stops ticking; the figures stay readable. */
void        gui_latency_stop    (GuiLatency        *self);
void        gui_latency_figures (GuiLatency        *self,
                                 GuiLatencyFigures *figures);
void        gui_latency_free    (GuiLatency        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GuiLatency, gui_latency_free)

G_END_DECLS
