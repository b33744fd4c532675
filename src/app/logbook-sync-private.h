/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-sync.h"

G_BEGIN_DECLS

void logbook_sync_set_automatic (LogbookSync *self, gboolean automatic);

G_END_DECLS
