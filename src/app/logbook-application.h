/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_APPLICATION (logbook_application_get_type ())
G_DECLARE_FINAL_TYPE (LogbookApplication, logbook_application, LOGBOOK, APPLICATION, AdwApplication)

LogbookApplication *logbook_application_new (void);
LogbookContext *logbook_application_get_context (LogbookApplication *self);
char *logbook_application_find_guide (void);

G_END_DECLS
