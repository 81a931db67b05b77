/* shoal-traffic-graph.h — a small live graph of messages per second in
 * and out over the last minute, one sample a second. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SHOAL_TYPE_TRAFFIC_GRAPH (shoal_traffic_graph_get_type ())
G_DECLARE_FINAL_TYPE (ShoalTrafficGraph, shoal_traffic_graph, SHOAL, TRAFFIC_GRAPH, GtkWidget)

/* Samples kept: a minute at one a second. */
#define SHOAL_TRAFFIC_GRAPH_SAMPLES 60

GtkWidget *shoal_traffic_graph_new           (void);
/* Appends a sample (messages per second); the oldest drops out once
 * SHOAL_TRAFFIC_GRAPH_SAMPLES are kept. */
void       shoal_traffic_graph_add_sample    (ShoalTrafficGraph *self,
                                              double             in_per_second,
                                              double             out_per_second);
/* Samples kept now (at most SHOAL_TRAFFIC_GRAPH_SAMPLES). */
guint      shoal_traffic_graph_get_n_samples (ShoalTrafficGraph *self);
/* The highest rates among the samples kept (0 without samples); either
 * pointer may be NULL. */
void       shoal_traffic_graph_get_peak      (ShoalTrafficGraph *self,
                                              double            *in_per_second,
                                              double            *out_per_second);
/* The latest sample (0 without samples); either pointer may be NULL. */
void       shoal_traffic_graph_get_latest    (ShoalTrafficGraph *self,
                                              double            *in_per_second,
                                              double            *out_per_second);

G_END_DECLS
