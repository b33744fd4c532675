/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_FIRST_RUN (logbook_first_run_get_type ())
G_DECLARE_FINAL_TYPE (LogbookFirstRun, logbook_first_run, LOGBOOK, FIRST_RUN, AdwBin)

LogbookFirstRun *logbook_first_run_new (LogbookContext *context);

G_END_DECLS
