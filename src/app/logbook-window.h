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
LogbookRecordPage *logbook_window_get_current_record_page (LogbookWindow *self);
void logbook_window_add_toast (LogbookWindow *self, AdwToast *toast);

G_END_DECLS
