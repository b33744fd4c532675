/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The dashboard's charts: server-rendered SVG, no script, each with a title
 * and a description for screen readers, fed with plain numbers so that
 * they know nothing of the database. */

typedef struct
{
  const char *key;         /* the indicator table's key */
  const char *short_label; /* "I1", translated */
  const char *label;       /* translated */
  gboolean has_value;
  double value; /* a fraction, or a number of months when is_count */
  gboolean has_target;
  double target;
  gboolean is_count;
  double full; /* what fills the bar: 1.0 for a fraction, the months of the period for I3 */
} PcmbnChartIndicator;

typedef struct
{
  const char *code;
  const char *name;
  const char *last_sync; /* ISO 8601 UTC, or NULL: never */
  gint64 records;        /* records dated in the year */
} PcmbnChartCommune;

void pcmbn_district_chart_indicators (GString *out, const PcmbnChartIndicator *rows, guint n);
void pcmbn_district_chart_months (GString *out, int year, const guint counts[12]);
void pcmbn_district_chart_communes (GString *out,
                                    const PcmbnChartCommune *rows,
                                    guint n,
                                    GDateTime *now);
/* @iso (UTC) in local time as @format, or a copy of @fallback when it is
 * %NULL or not a time. Returns (transfer full). */
char *pcmbn_district_format_time (const char *iso, const char *format, const char *fallback);

G_END_DECLS
