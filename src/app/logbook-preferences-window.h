/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_PREFERENCES_WINDOW (logbook_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (LogbookPreferencesWindow,
                      logbook_preferences_window,
                      LOGBOOK,
                      PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

LogbookPreferencesWindow *
logbook_preferences_window_new (LogbookContext *context, GtkWindow *parent);
void logbook_preferences_window_show_sync (LogbookPreferencesWindow *self);

G_END_DECLS
