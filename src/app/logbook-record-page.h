/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"
#include "logbook-record-editor.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_RECORD_PAGE (logbook_record_page_get_type ())
G_DECLARE_FINAL_TYPE (LogbookRecordPage, logbook_record_page, LOGBOOK, RECORD_PAGE, AdwBin)

LogbookRecordPage *logbook_record_page_new (LogbookContext *context, const char *kind);
const char *logbook_record_page_get_kind (LogbookRecordPage *self);
void logbook_record_page_new_record (LogbookRecordPage *self);
void logbook_record_page_open (LogbookRecordPage *self, PcmbnRecord *record);
void logbook_record_page_focus_search (LogbookRecordPage *self);
LogbookRecordEditor *logbook_record_page_get_editor (LogbookRecordPage *self);
GListModel *logbook_record_page_get_model (LogbookRecordPage *self);

G_END_DECLS
