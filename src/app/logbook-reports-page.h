/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"
#include "report/pcmbn-report-export.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_REPORTS_PAGE (logbook_reports_page_get_type ())
G_DECLARE_FINAL_TYPE (LogbookReportsPage, logbook_reports_page, LOGBOOK, REPORTS_PAGE, AdwBin)

LogbookReportsPage *logbook_reports_page_new (LogbookContext *context);
void logbook_reports_page_refresh (LogbookReportsPage *self);
void
logbook_reports_page_export_to (LogbookReportsPage *self, PcmbnReportFormat format, GFile *file);

G_END_DECLS
