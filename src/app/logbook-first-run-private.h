/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-first-run.h"

G_BEGIN_DECLS

GtkWidget *logbook_first_run_get_search_entry (LogbookFirstRun *self);
GtkWidget *logbook_first_run_get_results (LogbookFirstRun *self);
GtkWidget *logbook_first_run_get_profile_check (LogbookFirstRun *self, const char *profile);
GtkWidget *logbook_first_run_get_start_button (LogbookFirstRun *self);

G_END_DECLS
