/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the tests read or drive in a form, and the rest of the app has no
 * use for. */

#include "logbook-record-editor.h"

G_BEGIN_DECLS

JsonObject *
logbook_record_editor_collect (LogbookRecordEditor *self, gboolean raw, GPtrArray *errors);
gboolean logbook_record_editor_validate (LogbookRecordEditor *self, gboolean all);
GtkWidget *logbook_record_editor_get_field_widget (LogbookRecordEditor *self, const char *name);
const char *logbook_record_editor_get_message (LogbookRecordEditor *self, const char *name);
const char *logbook_record_editor_get_banner (LogbookRecordEditor *self);

G_END_DECLS
