/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-bar-chart"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-bar-chart.h"

/* Twelve bars, one per month, drawn with cairo. The numbers are also in
 * the accessible description, so a screen reader reads the chart too. */

struct _LogbookBarChart
{
  GtkWidget parent_instance;
  guint values[12];
};

G_DEFINE_FINAL_TYPE (LogbookBarChart, logbook_bar_chart, GTK_TYPE_WIDGET)

static void
logbook_bar_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  LogbookBarChart *self = LOGBOOK_BAR_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA fg;
  guint max = 1;
  double label_h = 18, top = 16;
  double slot = width / 12.0;
  cairo_t *cr;
  PangoLayout *layout;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  for (int i = 0; i < 12; i++)
    max = MAX (max, self->values[i]);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  layout = gtk_widget_create_pango_layout (widget, NULL);
  for (int i = 0; i < 12; i++)
    {
      double bar_h = (height - label_h - top) * self->values[i] / (double)max;
      double x = i * slot + slot * 0.18;
      char text[16];
      int tw, th;

      /* The accent blue of Adwaita, calm on both light and dark. */
      cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.85);
      cairo_rectangle (cr, x, height - label_h - bar_h, slot * 0.64, bar_h);
      cairo_fill (cr);

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
      g_snprintf (text, sizeof text, "%d", i + 1);
      pango_layout_set_text (layout, text, -1);
      pango_layout_get_pixel_size (layout, &tw, &th);
      cairo_move_to (cr, i * slot + (slot - tw) / 2, height - th);
      pango_cairo_show_layout (cr, layout);

      if (self->values[i] > 0)
        {
          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.85);
          g_snprintf (text, sizeof text, "%u", self->values[i]);
          pango_layout_set_text (layout, text, -1);
          pango_layout_get_pixel_size (layout, &tw, &th);
          cairo_move_to (cr, i * slot + (slot - tw) / 2, height - label_h - bar_h - th);
          pango_cairo_show_layout (cr, layout);
        }
    }
  g_object_unref (layout);
  cairo_destroy (cr);
}

static void
logbook_bar_chart_measure (GtkWidget *widget,
                           GtkOrientation orientation,
                           int for_size,
                           int *minimum,
                           int *natural,
                           int *minimum_baseline,
                           int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 480;
    }
  else
    {
      *minimum = 140;
      *natural = 160;
    }
}

static void
logbook_bar_chart_class_init (LogbookBarChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = logbook_bar_chart_snapshot;
  widget_class->measure = logbook_bar_chart_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
logbook_bar_chart_init (LogbookBarChart *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Activities per month"), -1);
}

GtkWidget *
logbook_bar_chart_new (void)
{
  return g_object_new (LOGBOOK_TYPE_BAR_CHART, NULL);
}

void
logbook_bar_chart_set_values (LogbookBarChart *self, const guint values[12])
{
  g_autoptr (GString) description = g_string_new (NULL);

  for (int i = 0; i < 12; i++)
    {
      self->values[i] = values[i];
      /* TRANSLATORS: one month of the chart for screen readers, "month 3: 12" */
      g_string_append_printf (description, _ ("month %d: %u"), i + 1, values[i]);
      if (i < 11)
        g_string_append (description, ", ");
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description->str, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
logbook_bar_chart_get_value (LogbookBarChart *self, guint month)
{
  g_return_val_if_fail (month < 12, 0);
  return self->values[month];
}
