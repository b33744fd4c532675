/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include "records/pcmbn-record.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_ROW (logbook_row_get_type ())
G_DECLARE_FINAL_TYPE (LogbookRow, logbook_row, LOGBOOK, ROW, GObject)

LogbookRow *logbook_row_new (guint position, PcmbnRecord *record);
PcmbnRecord *logbook_row_get_record (LogbookRow *self);
void logbook_row_set_record (LogbookRow *self, PcmbnRecord *record);
guint logbook_row_get_position (LogbookRow *self);
void logbook_row_set_position (LogbookRow *self, guint position);

G_END_DECLS
