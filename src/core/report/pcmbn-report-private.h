/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the report engine's own modules (district and per-commune
 * reports); not for programs or widgets. */

#include <sqlite3.h>
#include <glib.h>

G_BEGIN_DECLS

gboolean pcmbn_report_prepare (sqlite3 *db,
                               const char *sql,
                               const char *scope,
                               const char *from,
                               const char *to,
                               sqlite3_stmt **stmt,
                               GError **error);
gboolean pcmbn_report_table_exists (sqlite3 *db, const char *name);

G_END_DECLS
