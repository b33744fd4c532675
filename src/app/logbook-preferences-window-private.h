/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-preferences-window.h"

G_BEGIN_DECLS

GtkWidget *logbook_preferences_window_get_widget (LogbookPreferencesWindow *self, const char *name);

G_END_DECLS
