/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-window.h"

G_BEGIN_DECLS

const char *logbook_window_get_section (LogbookWindow *self);
LogbookRecordPage *logbook_window_get_record_page (LogbookWindow *self, const char *kind);
LogbookFirstRun *logbook_window_get_first_run (LogbookWindow *self);
LogbookOverviewPage *logbook_window_get_overview (LogbookWindow *self);
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
