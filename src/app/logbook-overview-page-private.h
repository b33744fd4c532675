/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-overview-page.h"

G_BEGIN_DECLS

gboolean logbook_overview_page_get_loaded (LogbookOverviewPage *self);
gint64 logbook_overview_page_get_dirty (LogbookOverviewPage *self);

G_END_DECLS
