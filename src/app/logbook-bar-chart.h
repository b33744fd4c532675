/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LOGBOOK_TYPE_BAR_CHART (logbook_bar_chart_get_type ())
G_DECLARE_FINAL_TYPE (LogbookBarChart, logbook_bar_chart, LOGBOOK, BAR_CHART, GtkWidget)

GtkWidget *logbook_bar_chart_new (void);
void logbook_bar_chart_set_values (LogbookBarChart *self, const guint values[12]);
guint logbook_bar_chart_get_value (LogbookBarChart *self, guint month);

G_END_DECLS
