/* shoal-traffic-graph.c — messages per second in and out, drawn live. */
#include "shoal-traffic-graph.h"

#include <glib/gi18n.h>
#include <math.h>

/* Sizes in pixels. */
#define MIN_WIDTH 120
#define NATURAL_WIDTH 360
#define MIN_HEIGHT 90
#define NATURAL_HEIGHT 120
#define LINE_WIDTH 2.0
#define LEGEND_MARGIN 6
#define LEGEND_SPACING 12
/* Horizontal guide lines across the graph. */
#define GUIDE_LINES 3
#define GUIDE_ALPHA 0.12
#define FILL_ALPHA 0.18
/* The vertical scale never goes below this many messages per second, so
 * a quiet link does not fill the graph with noise. */
#define MIN_SCALE 1.0

typedef struct
{
  double in;
  double out;
} Sample;

struct _ShoalTrafficGraph
{
  GtkWidget parent_instance;

  Sample    samples[SHOAL_TRAFFIC_GRAPH_SAMPLES];  /* a ring */
  guint     first;                                /* the oldest */
  guint     count;
};

G_DEFINE_FINAL_TYPE (ShoalTrafficGraph, shoal_traffic_graph, GTK_TYPE_WIDGET)

/* Helpers ------------------------------------------------------------------ */

/* @age 0 is the oldest sample kept. */
static const Sample *
sample_at (ShoalTrafficGraph *self,
           guint              age)
{
  return &self->samples[(self->first + age) % SHOAL_TRAFFIC_GRAPH_SAMPLES];
}

/* 1, 2, 5, 10, 20, 50…: a top a person reads at a glance. */
static double
nice_ceiling (double value)
{
  double step = 1.0;

  value = MAX (value, MIN_SCALE);
  for (;;)
    {
      if (value <= step)
        return step;
      if (value <= 2 * step)
        return 2 * step;
      if (value <= 5 * step)
        return 5 * step;
      step *= 10;
    }
}

/* The theme's named colour, or @fallback when it has none. */
static GdkRGBA
theme_color (GtkWidget     *widget,
             const char    *name,
             const GdkRGBA *fallback)
{
  GdkRGBA color;

  if (gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, &color))
    return color;
  return *fallback;
}

static void
draw_series (ShoalTrafficGraph *self,
             cairo_t           *cr,
             double             width,
             double             height,
             double             scale,
             gboolean           incoming,
             const GdkRGBA     *color)
{
  double step = width / (SHOAL_TRAFFIC_GRAPH_SAMPLES - 1);
  double x0 = width - (self->count - 1) * step;

  if (self->count < 2)
    return;
  cairo_new_path (cr);
  for (guint i = 0; i < self->count; i++)
    {
      const Sample *sample = sample_at (self, i);
      double value = incoming ? sample->in : sample->out;
      double y = height - MIN (value / scale, 1.0) * (height - LINE_WIDTH) - LINE_WIDTH / 2;

      cairo_line_to (cr, x0 + i * step, y);
    }
  cairo_set_line_width (cr, LINE_WIDTH);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  gdk_cairo_set_source_rgba (cr, color);
  cairo_stroke_preserve (cr);
  cairo_line_to (cr, width, height);
  cairo_line_to (cr, x0, height);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * FILL_ALPHA);
  cairo_fill (cr);
}

static void
draw_guides (cairo_t       *cr,
             double         width,
             double         height,
             const GdkRGBA *color)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, GUIDE_ALPHA);
  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i <= GUIDE_LINES; i++)
    {
      double y = floor (i * (height - 1) / GUIDE_LINES) + 0.5;

      cairo_move_to (cr, 0, y);
      cairo_line_to (cr, width, y);
    }
  cairo_stroke (cr);
}

/* "In 3.0/s  Out 2.0/s  (top 5/s)" in the series' colours. */
static void
draw_legend (ShoalTrafficGraph *self,
             GtkSnapshot       *snapshot,
             double             scale,
             const GdkRGBA     *in_color,
             const GdkRGBA     *out_color,
             const GdkRGBA     *text_color)
{
  double latest_in, latest_out;
  g_autofree char *in_text = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *scale_text = NULL;
  const char *texts[3];
  const GdkRGBA *colors[3] = { in_color, out_color, text_color };
  int x = LEGEND_MARGIN;

  shoal_traffic_graph_get_latest (self, &latest_in, &latest_out);
  /* TRANSLATORS: messages received per second, in the traffic graph */
  texts[0] = in_text = g_strdup_printf (_("In %.1f/s"), latest_in);
  /* TRANSLATORS: messages sent per second, in the traffic graph */
  texts[1] = out_text = g_strdup_printf (_("Out %.1f/s"), latest_out);
  /* TRANSLATORS: the value at the top of the traffic graph */
  texts[2] = scale_text = g_strdup_printf (_("top %g/s"), scale);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), texts[i]);
      int text_width;

      pango_layout_get_pixel_size (layout, &text_width, NULL);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, LEGEND_MARGIN));
      gtk_snapshot_append_layout (snapshot, layout, colors[i]);
      gtk_snapshot_restore (snapshot);
      x += text_width + LEGEND_SPACING;
    }
}

/* What a screen reader says instead of the picture. */
static void
update_description (ShoalTrafficGraph *self)
{
  double latest_in, latest_out, peak_in, peak_out;
  g_autofree char *description = NULL;

  shoal_traffic_graph_get_latest (self, &latest_in, &latest_out);
  shoal_traffic_graph_get_peak (self, &peak_in, &peak_out);
  description = g_strdup_printf (_("Messages per second over the last minute: now %.1f in and "
                                   "%.1f out; at most %.1f in and %.1f out."),
                                 latest_in, latest_out, peak_in, peak_out);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
}

/* Overrides ------------------------------------------------------------------- */

static void
shoal_traffic_graph_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  gboolean horizontal = orientation == GTK_ORIENTATION_HORIZONTAL;

  *minimum = horizontal ? MIN_WIDTH : MIN_HEIGHT;
  *natural = horizontal ? NATURAL_WIDTH : NATURAL_HEIGHT;
}

static void
shoal_traffic_graph_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  ShoalTrafficGraph *self = SHOAL_TRAFFIC_GRAPH (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GdkRGBA text_color, in_color, out_color;
  double peak_in, peak_out, scale;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &text_color);
  in_color = theme_color (widget, "accent_color", &text_color);
  out_color = theme_color (widget, "purple_3", &text_color);
  shoal_traffic_graph_get_peak (self, &peak_in, &peak_out);
  scale = nice_ceiling (MAX (peak_in, peak_out));

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_guides (cr, width, height, &text_color);
  draw_series (self, cr, width, height, scale, FALSE, &out_color);
  draw_series (self, cr, width, height, scale, TRUE, &in_color);
  cairo_destroy (cr);
  draw_legend (self, snapshot, scale, &in_color, &out_color, &text_color);
}

static void
shoal_traffic_graph_class_init (ShoalTrafficGraphClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->measure = shoal_traffic_graph_measure;
  widget_class->snapshot = shoal_traffic_graph_snapshot;
  gtk_widget_class_set_css_name (widget_class, "trafficgraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
shoal_traffic_graph_init (ShoalTrafficGraph *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Traffic graph"), -1);
  update_description (self);
}

/* Public API ------------------------------------------------------------------- */

GtkWidget *
shoal_traffic_graph_new (void)
{
  return g_object_new (SHOAL_TYPE_TRAFFIC_GRAPH, NULL);
}

void
shoal_traffic_graph_add_sample (ShoalTrafficGraph *self,
                                double             in_per_second,
                                double             out_per_second)
{
  Sample *slot;

  g_return_if_fail (SHOAL_IS_TRAFFIC_GRAPH (self));
  if (self->count < SHOAL_TRAFFIC_GRAPH_SAMPLES)
    slot = &self->samples[(self->first + self->count++) % SHOAL_TRAFFIC_GRAPH_SAMPLES];
  else
    {
      slot = &self->samples[self->first];
      self->first = (self->first + 1) % SHOAL_TRAFFIC_GRAPH_SAMPLES;
    }
  slot->in = MAX (in_per_second, 0.0);
  slot->out = MAX (out_per_second, 0.0);
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
shoal_traffic_graph_get_n_samples (ShoalTrafficGraph *self)
{
  g_return_val_if_fail (SHOAL_IS_TRAFFIC_GRAPH (self), 0);
  return self->count;
}

void
shoal_traffic_graph_get_peak (ShoalTrafficGraph *self,
                              double            *in_per_second,
                              double            *out_per_second)
{
  double peak_in = 0, peak_out = 0;

  g_return_if_fail (SHOAL_IS_TRAFFIC_GRAPH (self));
  for (guint i = 0; i < self->count; i++)
    {
      peak_in = MAX (peak_in, sample_at (self, i)->in);
      peak_out = MAX (peak_out, sample_at (self, i)->out);
    }
  if (in_per_second != NULL)
    *in_per_second = peak_in;
  if (out_per_second != NULL)
    *out_per_second = peak_out;
}

void
shoal_traffic_graph_get_latest (ShoalTrafficGraph *self,
                                double            *in_per_second,
                                double            *out_per_second)
{
  const Sample *latest;

  g_return_if_fail (SHOAL_IS_TRAFFIC_GRAPH (self));
  latest = self->count > 0 ? sample_at (self, self->count - 1) : NULL;
  if (in_per_second != NULL)
    *in_per_second = latest != NULL ? latest->in : 0;
  if (out_per_second != NULL)
    *out_per_second = latest != NULL ? latest->out : 0;
}
