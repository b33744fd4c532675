/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "logbook-context.h"

G_BEGIN_DECLS

/* Sync without a network: the two steps an officer takes with a USB stick. */
void logbook_bundle_export (GtkWindow *parent, LogbookContext *context);
void logbook_bundle_import (GtkWindow *parent, LogbookContext *context);
void logbook_bundle_run (GtkWindow *parent,
                         LogbookContext *context,
                         gboolean exporting,
                         const char *path);
GFile *logbook_bundle_default_folder (void);
char *logbook_bundle_suggested_name (LogbookContext *context);

G_END_DECLS
