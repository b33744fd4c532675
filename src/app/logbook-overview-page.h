/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_OVERVIEW_PAGE (logbook_overview_page_get_type ())
G_DECLARE_FINAL_TYPE (LogbookOverviewPage, logbook_overview_page, LOGBOOK, OVERVIEW_PAGE, AdwBin)

LogbookOverviewPage *logbook_overview_page_new (LogbookContext *context);
void logbook_overview_page_refresh (LogbookOverviewPage *self);

G_END_DECLS
