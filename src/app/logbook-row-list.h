/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LOGBOOK_TYPE_ROW_LIST (logbook_row_list_get_type ())
G_DECLARE_FINAL_TYPE (LogbookRowList, logbook_row_list, LOGBOOK, ROW_LIST, GObject)

LogbookRowList *logbook_row_list_new (GListModel *records);

G_END_DECLS
