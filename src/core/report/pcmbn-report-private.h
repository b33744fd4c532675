/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the report engine's own modules (district and per-commune
 * reports); not for programs or widgets. */

#include <sqlite3.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "report/pcmbn-indicators.h"
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* The communes in scope (?1 and every commune under it) and the group each
 * one is counted in: @grp is "?1" for the whole scope, "t.top" for the
 * scope's child it lies under (a district of a city, a commune of a
 * district), "o.code" for the commune itself. */
#define PCMBN_REPORT_SCOPE(grp)                                                     \
  "WITH RECURSIVE tree(code, top) AS (SELECT ?1, ?1 UNION ALL SELECT o.code, CASE"  \
  " WHEN t.code = ?1 THEN o.code ELSE t.top END FROM org_units o JOIN tree t ON"    \
  " o.parent_code = t.code),"                                                       \
  " communes AS (SELECT o.code AS code, o.key_area AS key_area, o.population_14_60" \
  " AS population_14_60, " grp " AS grp FROM org_units o JOIN tree t ON t.code ="   \
  " o.code WHERE o.level = 'commune') "
#define PCMBN_REPORT_SCOPE_TOTAL PCMBN_REPORT_SCOPE ("?1")
#define PCMBN_REPORT_SCOPE_CHILDREN PCMBN_REPORT_SCOPE ("t.top")
#define PCMBN_REPORT_SCOPE_COMMUNES PCMBN_REPORT_SCOPE ("o.code")

gboolean pcmbn_report_prepare (sqlite3 *db,
                               const char *sql,
                               const char *scope,
                               const char *from,
                               const char *to,
                               sqlite3_stmt **stmt,
                               GError **error);
gboolean pcmbn_report_table_exists (sqlite3 *db, const char *name);
gboolean pcmbn_report_finish (sqlite3 *db, sqlite3_stmt *stmt, int rc, GError **error);
PcmbnOrgUnit *pcmbn_report_begin (PcmbnStore *store,
                                  const char *scope,
                                  gboolean *own_transaction,
                                  GError **error);
void pcmbn_report_end (PcmbnStore *store, gboolean own_transaction);
gint64 pcmbn_report_months_touched (const char *from, const char *to);

typedef struct
{
  gint64 numerator;
  gint64 denominator;
} PcmbnIndicatorCounts;

GHashTable *pcmbn_report_count_indicator (sqlite3 *db,
                                          const PcmbnIndicator *indicator,
                                          const char *scope_cte,
                                          const char *scope,
                                          const char *from,
                                          const char *to,
                                          GError **error);
gboolean pcmbn_report_count_records (sqlite3 *db,
                                     const char *scope_cte,
                                     const char *scope,
                                     const char *from,
                                     const char *to,
                                     GHashTable *counts,
                                     GError **error);
void pcmbn_report_add_records (JsonBuilder *b, GHashTable *counts, const char *group);
gboolean pcmbn_report_count_indicators (sqlite3 *db,
                                        const char *scope_cte,
                                        const char *scope,
                                        const char *from,
                                        const char *to,
                                        GPtrArray *counts,
                                        GError **error);
void pcmbn_report_add_group_indicators (JsonBuilder *b,
                                        GPtrArray *counts,
                                        const char *group,
                                        gint64 months);
void pcmbn_report_add_indicator (JsonBuilder *b,
                                 const PcmbnIndicator *indicator,
                                 const PcmbnIndicatorCounts *counts,
                                 gint64 months,
                                 const double *target,
                                 gboolean with_target);

G_END_DECLS
