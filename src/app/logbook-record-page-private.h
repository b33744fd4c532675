/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive, and the rest of the app has no use for. */

#include "logbook-record-page.h"

G_BEGIN_DECLS

GtkWidget *logbook_record_page_get_search_entry (LogbookRecordPage *self);
GtkWidget *logbook_record_page_get_column_view (LogbookRecordPage *self);
const char *logbook_record_page_get_visible_state (LogbookRecordPage *self);
char *logbook_record_page_describe_row (LogbookRecordPage *self, guint position);

G_END_DECLS
