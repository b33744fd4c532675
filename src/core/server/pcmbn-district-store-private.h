/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the district store's own files (store, sync, access). */

#include <sqlite3.h>
#include "server/pcmbn-district-store.h"

G_BEGIN_DECLS

/* The log's size, in pages, at which a commit has it copied into the
 * database (16 MB); see pcmbn_district_store_open(). */
#define PCMBN_DISTRICT_CHECKPOINT_PAGES 4000

sqlite3_stmt *
pcmbn_district_store_prepare (PcmbnDistrictStore *self, const char *sql, GError **error);
gboolean pcmbn_district_store_step_done (PcmbnDistrictStore *self,
                                         sqlite3_stmt *stmt,
                                         const char *what,
                                         GError **error);
char *pcmbn_district_column_dup (sqlite3_stmt *stmt, int column);

G_END_DECLS
