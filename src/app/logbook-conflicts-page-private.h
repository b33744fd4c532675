/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-conflicts-page.h"

G_BEGIN_DECLS

gboolean logbook_conflicts_page_get_loaded (LogbookConflictsPage *self);
guint logbook_conflicts_page_get_n_conflicts (LogbookConflictsPage *self);
const char *logbook_conflicts_page_get_selected (LogbookConflictsPage *self);
GtkWidget *
logbook_conflicts_page_get_choice (LogbookConflictsPage *self, const char *field, gboolean theirs);
GtkWidget *logbook_conflicts_page_get_button (LogbookConflictsPage *self, const char *which);
const char *logbook_conflicts_page_get_error (LogbookConflictsPage *self);

G_END_DECLS
