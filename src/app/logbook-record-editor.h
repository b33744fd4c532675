/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include "logbook-context.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_RECORD_EDITOR (logbook_record_editor_get_type ())
G_DECLARE_FINAL_TYPE (LogbookRecordEditor, logbook_record_editor, LOGBOOK, RECORD_EDITOR, AdwBin)

LogbookRecordEditor *
logbook_record_editor_new (LogbookContext *context, const char *kind, PcmbnRecord *record);
const char *logbook_record_editor_get_kind (LogbookRecordEditor *self);
const char *logbook_record_editor_get_uuid (LogbookRecordEditor *self);
const char *logbook_record_editor_get_draft_id (LogbookRecordEditor *self);
void logbook_record_editor_set_data (LogbookRecordEditor *self, JsonObject *data);
void logbook_record_editor_save (LogbookRecordEditor *self);
void logbook_record_editor_cancel (LogbookRecordEditor *self);
gboolean logbook_record_editor_get_busy (LogbookRecordEditor *self);
void logbook_record_editor_focus_first (LogbookRecordEditor *self);

G_END_DECLS
