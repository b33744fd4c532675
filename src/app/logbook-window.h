/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-conflicts-page.h"
#include "logbook-context.h"
#include "logbook-deleted-page.h"
#include "logbook-first-run.h"
#include "logbook-overview-page.h"
#include "logbook-record-page.h"
#include "logbook-reports-page.h"
#include "logbook-sync.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_WINDOW (logbook_window_get_type ())
G_DECLARE_FINAL_TYPE (LogbookWindow, logbook_window, LOGBOOK, WINDOW, AdwApplicationWindow)

LogbookWindow *logbook_window_new (GtkApplication *app, LogbookContext *context);
void logbook_window_show_section (LogbookWindow *self, const char *name);
const char *logbook_window_get_section (LogbookWindow *self);
LogbookRecordPage *logbook_window_get_record_page (LogbookWindow *self, const char *kind);
LogbookRecordPage *logbook_window_get_current_record_page (LogbookWindow *self);
LogbookFirstRun *logbook_window_get_first_run (LogbookWindow *self);
LogbookOverviewPage *logbook_window_get_overview (LogbookWindow *self);
void logbook_window_add_toast (LogbookWindow *self, AdwToast *toast);
AdwToast *logbook_window_get_last_toast (LogbookWindow *self);
gboolean logbook_window_section_visible (LogbookWindow *self, const char *name);
GtkWidget *logbook_window_get_sync_button (LogbookWindow *self);
const char *logbook_window_get_sync_text (LogbookWindow *self);
GtkWidget *logbook_window_get_conflicts_button (LogbookWindow *self);
LogbookConflictsPage *logbook_window_get_conflicts_page (LogbookWindow *self);
LogbookReportsPage *logbook_window_get_reports_page (LogbookWindow *self);
LogbookDeletedPage *logbook_window_get_deleted_page (LogbookWindow *self);
LogbookSync *logbook_window_get_sync (LogbookWindow *self);

G_END_DECLS
