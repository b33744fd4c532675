/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-deleted-page.h"

G_BEGIN_DECLS

gboolean logbook_deleted_page_get_loaded (LogbookDeletedPage *self);
guint logbook_deleted_page_get_n_records (LogbookDeletedPage *self);
GtkWidget *logbook_deleted_page_get_restore_button (LogbookDeletedPage *self, const char *uuid);

G_END_DECLS
