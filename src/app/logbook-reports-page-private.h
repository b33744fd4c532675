/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-reports-page.h"

G_BEGIN_DECLS

gboolean logbook_reports_page_get_loaded (LogbookReportsPage *self);
gboolean logbook_reports_page_get_exporting (LogbookReportsPage *self);
GFile *logbook_reports_page_get_last_export (LogbookReportsPage *self);
const char *logbook_reports_page_get_message (LogbookReportsPage *self);
char *logbook_reports_page_get_cell (LogbookReportsPage *self,
                                     const char *table,
                                     guint row,
                                     guint column);
GtkWidget *logbook_reports_page_get_widget (LogbookReportsPage *self, const char *name);

G_END_DECLS
