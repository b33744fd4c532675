/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <math.h>

#include "pcmbn-district-charts.h"
#include "pcmbn-gettext.h"

/* Charts a person reads at a glance, drawn on the server as SVG inside the
 * page: no script (the page's policy allows none) and no style attribute
 * (nor inline styles): colours are presentation attributes. Every chart is
 * an image with a title and a description for screen readers, and every
 * bar carries its exact numbers in a <title>, which browsers show on
 * hover. The tables beside them hold the same numbers. */

#define WIDTH 640
#define COLOUR_MET "#17692e"
#define COLOUR_NOT_MET "#b3261e"
#define COLOUR_NEUTRAL "#1c5fb8"
#define COLOUR_TRACK "#ececf0"
#define COLOUR_TEXT "#1d1d1f"
#define COLOUR_MUTED "#5e5e66"
#define COLOUR_WARN "#c98a00"
#define COLOUR_NEVER "#9e9ea6"

static void
escaped (GString *out, const char *text)
{
  g_autofree char *e = g_markup_escape_text (text ? text : "", -1);

  g_string_append (out, e);
}

/* 45,5% in Vietnamese, 45.5% in English: the page's language. */
static char *
percent (double fraction)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.1f", fraction * 100.0);
  if (pcmbn_lang_current () == PCMBN_LANG_VI)
    g_strdelimit (buf, ".", ',');
  return g_strdup_printf ("%s%%", buf);
}

static char *
indicator_text (const PcmbnChartIndicator *row, double v)
{
  if (row->is_count)
    return g_strdup_printf ("%.0f/%.0f", v, row->full);
  return percent (v);
}

static void
svg_start (GString *out, const char *id, int height, const char *title, const char *desc)
{
  g_string_append_printf (
      out,
      "<figure class=\"chart\">\n<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\""
      " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\""
      " aria-labelledby=\"%s-title %s-desc\" font-size=\"13\">\n"
      "<title id=\"%s-title\">",
      id, WIDTH, height, WIDTH, height, id, id, id);
  escaped (out, title);
  g_string_append_printf (out, "</title>\n<desc id=\"%s-desc\">", id);
  escaped (out, desc);
  g_string_append (out, "</desc>\n");
}

static void
svg_end (GString *out, const char *caption)
{
  g_string_append (out, "</svg>\n<figcaption>");
  escaped (out, caption);
  g_string_append (out, "</figcaption>\n</figure>\n");
}

static void
text_at (GString *out,
         double x,
         double y,
         const char *anchor,
         const char *colour,
         gboolean bold,
         const char *text)
{
  g_string_append_printf (out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\"%s>", x,
                          y, anchor, colour, bold ? " font-weight=\"bold\"" : "");
  escaped (out, text);
  g_string_append (out, "</text>\n");
}

/**
 * pcmbn_district_chart_indicators:
 * @out: the page
 * @rows: (array length=n): the indicators
 * @n: their number
 *
 * One bar per indicator, the share reached, with the target as a mark
 * across it: green where it is met, red where not, blue without a target.
 */
void
pcmbn_district_chart_indicators (GString *out, const PcmbnChartIndicator *rows, guint n)
{
  const double x0 = 56, track = 470, row_h = 42;
  int height = (int)(n * row_h + 8);
  g_autoptr (GString) desc = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *value = rows[i].has_value ? indicator_text (&rows[i], rows[i].value)
                                                 : g_strdup (_ ("No data"));
      g_autofree char *target = rows[i].has_target ? indicator_text (&rows[i], rows[i].target)
                                                   : g_strdup (_ ("No target"));
      /* TRANSLATORS: in a chart's description: "I1: 45.5% (target 80.0%)". */
      g_string_append_printf (desc, _ ("%s: %s (target %s)"), rows[i].short_label, value, target);
      g_string_append (desc, i + 1 < n ? "; " : ".");
    }
  svg_start (out, "chart-indicators", height, _ ("Indicators against their targets"), desc->str);
  for (guint i = 0; i < n; i++)
    {
      const PcmbnChartIndicator *r = &rows[i];
      double y = 8 + i * row_h, full = r->full > 0 ? r->full : 1.0;
      double share = r->has_value ? CLAMP (r->value / full, 0.0, 1.0) : 0.0;
      gboolean met = r->has_value && r->has_target && r->value >= r->target - 1e-9;
      const char *colour = !r->has_target ? COLOUR_NEUTRAL : met ? COLOUR_MET : COLOUR_NOT_MET;
      g_autofree char *value = r->has_value ? indicator_text (r, r->value)
                                            : g_strdup (_ ("No data"));
      g_autofree char *target = r->has_target ? indicator_text (r, r->target)
                                              : g_strdup (_ ("No target"));

      g_string_append_printf (out, "<g class=\"indicator\" data-indicator=\"%s\"><title>", r->key);
      escaped (out, r->label);
      g_string_append (out, ": ");
      escaped (out, value);
      g_string_append (out, " — ");
      {
        g_autofree char *t = g_strdup_printf (_ ("target %s"), target);
        escaped (out, t);
      }
      g_string_append (out, "</title>\n");
      text_at (out, 0, y + 15, "start", COLOUR_TEXT, TRUE, r->short_label);
      g_string_append_printf (out,
                              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" rx=\"3\""
                              " fill=\"%s\"/>\n",
                              x0, y, track, COLOUR_TRACK);
      if (r->has_value)
        g_string_append_printf (out,
                                "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                                " height=\"20\" rx=\"3\" fill=\"%s\" data-value=\"%g\"/>\n",
                                x0, y, track * share, colour, r->value);
      if (r->has_target)
        {
          double tx = x0 + track * CLAMP (r->target / full, 0.0, 1.0);
          g_string_append_printf (out,
                                  "<line class=\"target\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
                                  " y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\""
                                  " data-target=\"%g\"/>\n",
                                  tx, y - 4, tx, y + 24, COLOUR_TEXT, r->target);
        }
      text_at (out, x0 + track + 8, y + 15, "start", r->has_value ? COLOUR_TEXT : COLOUR_MUTED,
               TRUE, value);
      {
        g_autofree char *t = g_strdup_printf (_ ("target %s"), target);
        text_at (out, x0 + track + 8, y + 32, "start", COLOUR_MUTED, FALSE, t);
      }
      g_string_append (out, "</g>\n");
    }
  svg_end (out, _ ("Bar: the share reached; black line: the target. Green where the target is "
                   "met, red where it is not."));
}

/**
 * pcmbn_district_chart_months:
 * @out: the page
 * @year: the year shown
 * @counts: (array fixed-size=12): activities dated in each month
 *
 * Activities by month, one column each, its number above it.
 */
void
pcmbn_district_chart_months (GString *out, int year, const guint counts[12])
{
  const double left = 8, base = 176, plot_h = 140, slot = (WIDTH - 2 * left) / 12.0;
  guint max = 0, total = 0;
  g_autoptr (GString) desc = g_string_new (NULL);
  g_autofree char *title = g_strdup_printf (_ ("Communication activities by month, %d"), year);

  for (guint m = 0; m < 12; m++)
    {
      max = MAX (max, counts[m]);
      total += counts[m];
      /* TRANSLATORS: in a chart's description: month number, then count. */
      g_string_append_printf (desc, _ ("month %u: %u"), m + 1, counts[m]);
      g_string_append (desc, m < 11 ? "; " : ".");
    }
  svg_start (out, "chart-months", 200, title, desc->str);
  g_string_append_printf (out,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                          left, base, WIDTH - left, base, COLOUR_MUTED);
  for (guint m = 0; m < 12; m++)
    {
      double h = max ? plot_h * counts[m] / max : 0;
      double x = left + m * slot + 6, w = slot - 12;
      g_autofree char *label = g_strdup_printf ("%u", m + 1);
      g_autofree char *count = g_strdup_printf ("%u", counts[m]);

      g_string_append_printf (out, "<g class=\"month\" data-month=\"%u\"><title>", m + 1);
      {
        g_autofree char *t = g_strdup_printf (_ ("month %u: %u"), m + 1, counts[m]);
        escaped (out, t);
      }
      g_string_append (out, "</title>\n");
      g_string_append_printf (out,
                              "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                              " height=\"%.1f\" fill=\"%s\" data-count=\"%u\"/>\n",
                              x, base - h, w, h, COLOUR_NEUTRAL, counts[m]);
      text_at (out, x + w / 2, base - h - 5, "middle", COLOUR_TEXT, FALSE, count);
      text_at (out, x + w / 2, base + 17, "middle", COLOUR_MUTED, FALSE, label);
      g_string_append (out, "</g>\n");
    }
  if (total == 0)
    {
      g_autofree char *none = g_strdup_printf (_ ("No activities dated in %d."), year);
      text_at (out, WIDTH / 2.0, base - plot_h / 2, "middle", COLOUR_MUTED, FALSE, none);
    }
  svg_end (out, _ ("Activities of every commune, by the month they took place (1 = January)."));
}

static const char *
freshness (const char *last_sync, GDateTime *now, const char **label)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) when = last_sync ? g_date_time_new_from_iso8601 (last_sync, utc) : NULL;
  double days;

  if (when == NULL)
    {
      *label = _ ("never synced");
      return COLOUR_NEVER;
    }
  days = g_date_time_difference (now, when) / (double)G_TIME_SPAN_DAY;
  if (days <= 7)
    {
      *label = _ ("synced in the last 7 days");
      return COLOUR_MET;
    }
  if (days <= 30)
    {
      *label = _ ("last synced 8 to 30 days ago");
      return COLOUR_WARN;
    }
  *label = _ ("last synced more than 30 days ago");
  return COLOUR_NOT_MET;
}

char *
pcmbn_district_format_time (const char *iso, const char *format, const char *fallback)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) when = iso ? g_date_time_new_from_iso8601 (iso, utc) : NULL;
  g_autoptr (GDateTime) local = when ? g_date_time_to_local (when) : NULL;

  if (local == NULL)
    return g_strdup (fallback);
  return g_date_time_format (local, format);
}

/**
 * pcmbn_district_chart_communes:
 * @out: the page
 * @rows: (array length=n): the communes, in the order to show
 * @n: their number
 * @now: the time the freshness of a sync is measured against
 *
 * Each commune's completeness: a bar of its records dated in the year,
 * coloured by how recently it synced (grey: never).
 */
void
pcmbn_district_chart_communes (GString *out, const PcmbnChartCommune *rows, guint n, GDateTime *now)
{
  const double name_w = 210, track = 300, row_h = 22, top = 52;
  gint64 max = 0;
  guint never = 0, stale = 0;
  g_autoptr (GString) desc = g_string_new (NULL);
  static const struct
  {
    const char *colour;
    const char *label;
  } legend[] = {
    { COLOUR_MET, N_ ("synced in the last 7 days") },
    { COLOUR_WARN, N_ ("last synced 8 to 30 days ago") },
    { COLOUR_NOT_MET, N_ ("last synced more than 30 days ago") },
    { COLOUR_NEVER, N_ ("never synced") },
  };

  for (guint i = 0; i < n; i++)
    {
      const char *label;
      const char *colour = freshness (rows[i].last_sync, now, &label);
      max = MAX (max, rows[i].records);
      never += rows[i].last_sync == NULL;
      stale += g_str_equal (colour, COLOUR_NOT_MET);
    }
  g_string_append_printf (desc,
                          _ ("%u communes: %u never synced, %u last synced more than 30 days "
                             "ago."),
                          n, never, stale);
  svg_start (out, "chart-communes", (int)(top + n * row_h + 6),
             _ ("Records this year and last sync, by commune"), desc->str);
  /* The legend in two columns of two: the labels are long in Vietnamese. */
  for (guint l = 0; l < G_N_ELEMENTS (legend); l++)
    {
      double x = (l % 2) * (WIDTH / 2.0), y = 4 + (l / 2) * 20;
      g_string_append_printf (
          out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, y,
          legend[l].colour);
      text_at (out, x + 17, y + 10.5, "start", COLOUR_MUTED, FALSE, _ (legend[l].label));
    }
  for (guint i = 0; i < n; i++)
    {
      const PcmbnChartCommune *r = &rows[i];
      const char *label;
      const char *colour = freshness (r->last_sync, now, &label);
      double y = top + i * row_h;
      double w = max ? track * r->records / max : 0;
      g_autofree char *date = pcmbn_district_format_time (r->last_sync, "%d/%m/%Y", _ ("never"));
      g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, r->records);
      g_autofree char *side = g_strdup_printf ("%s · %s", count, date);

      g_string_append (out, "<g class=\"commune\" data-code=\"");
      escaped (out, r->code);
      g_string_append_printf (out, "\" data-records=\"%" G_GINT64_FORMAT "\"><title>", r->records);
      {
        /* TRANSLATORS: a commune in a chart: name, records, how fresh its sync is. */
        g_autofree char *t = g_strdup_printf (_ ("%s: %s records this year; %s (%s)"), r->name,
                                              count, label, date);
        escaped (out, t);
      }
      g_string_append (out, "</title>\n");
      text_at (out, 0, y + 14, "start", COLOUR_TEXT, FALSE, r->name);
      g_string_append_printf (
          out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>\n", name_w,
          y + 2, track, COLOUR_TRACK);
      /* A commune without records still shows its colour: a sliver. */
      g_string_append_printf (
          out,
          "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\""
          " fill=\"%s\"/>\n",
          name_w, y + 2, MAX (w, 3.0), colour);
      text_at (out, name_w + track + 8, y + 14, "start", COLOUR_TEXT, FALSE, side);
      g_string_append (out, "</g>\n");
    }
  svg_end (out, _ ("Bar: the records each commune holds dated in the year; its colour: how "
                   "recently the commune synced."));
}
