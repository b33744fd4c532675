/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_CONFLICTS_PAGE (logbook_conflicts_page_get_type ())
G_DECLARE_FINAL_TYPE (LogbookConflictsPage, logbook_conflicts_page, LOGBOOK, CONFLICTS_PAGE, AdwBin)

LogbookConflictsPage *logbook_conflicts_page_new (LogbookContext *context);
void logbook_conflicts_page_reload (LogbookConflictsPage *self);
void logbook_conflicts_page_select (LogbookConflictsPage *self, const char *uuid);

G_END_DECLS
