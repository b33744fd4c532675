/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_DELETED_PAGE (logbook_deleted_page_get_type ())
G_DECLARE_FINAL_TYPE (LogbookDeletedPage, logbook_deleted_page, LOGBOOK, DELETED_PAGE, AdwBin)

LogbookDeletedPage *logbook_deleted_page_new (LogbookContext *context);
void logbook_deleted_page_refresh (LogbookDeletedPage *self);

/* What the page shows, for tests. */

G_END_DECLS
