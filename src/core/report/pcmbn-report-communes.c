/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>

#include "report/pcmbn-report-communes.h"
#include "report/pcmbn-indicators.h"
#include "report/pcmbn-report-private.h"
#include "report/pcmbn-report.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* Every indicator of indicators.md for each commune under a scope on its
 * own, for the district dashboard's table. pcmbn_report_build() with one
 * commune as the scope gives the same numbers, but asking it 579 times (the
 * communes of Hanoi) walks the org-unit tree and every table 579 times; here
 * each quantity is one GROUP BY commune over the whole scope. Both paths
 * run the same SQL of the indicator table (pcmbn-indicators.c), grouped
 * differently, and the tests compare them commune by commune. */

#define SCOPE_CTE PCMBN_REPORT_SCOPE_COMMUNES

typedef struct
{
  char *code;
  char *name;
  char *last_sync;
  gboolean key_area;
  gint64 population; /* -1 unknown */
} CommuneRow;

static void
commune_row_free (CommuneRow *row)
{
  g_free (row->code);
  g_free (row->name);
  g_free (row->last_sync);
  g_free (row);
}

static gboolean
load_communes (sqlite3 *db, const char *scope, GPtrArray *rows, GError **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  int rc;

  sql = g_strconcat (SCOPE_CTE "SELECT c.code, o.name, c.key_area, c.population_14_60, ",
                     pcmbn_report_table_exists (db, "commune_sync")
                         ? "(SELECT max(last_sync) FROM commune_sync s WHERE s.org_unit = c.code)"
                         : "NULL",
                     " FROM communes c JOIN org_units o ON o.code = c.code ORDER BY c.code", NULL);
  if (!pcmbn_report_prepare (db, sql, scope, NULL, NULL, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CommuneRow *row = g_new0 (CommuneRow, 1);
      row->code = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      row->name = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      row->key_area = sqlite3_column_int (stmt, 2) == 1;
      row->population = sqlite3_column_type (stmt, 3) == SQLITE_NULL
                            ? -1
                            : sqlite3_column_int64 (stmt, 3);
      row->last_sync = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
      g_ptr_array_add (rows, row);
    }
  return pcmbn_report_finish (db, stmt, rc, error);
}

/**
 * pcmbn_report_build_communes:
 * @store: the database
 * @scope: an org unit
 * @from: first day, `YYYY-MM-DD`
 * @to: last day, inclusive
 * @error: return location for an error
 *
 * One row per commune at or under @scope, by code: `org_unit`, `name`,
 * `key_area`, `population_14_60` (null when unknown), `last_sync` (null
 * when it never synced), `records` (records of each kind dated in the
 * period) and `indicators`, each indicator of that commune alone with
 * `value`, `numerator` and `denominator` exactly as pcmbn_report_build()
 * gives them for the commune as scope (a commune outside the key areas has
 * a denominator of 0 and a null value for i2a and i4).
 *
 * Returns: (transfer full) (nullable): a JSON array
 */
JsonNode *
pcmbn_report_build_communes (
    PcmbnStore *store, const char *scope, const char *from, const char *to, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)commune_row_free);
  g_autoptr (GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (JsonBuilder) b = NULL;
  gint64 months = pcmbn_report_months_touched (from, to);
  g_autoptr (GPtrArray)
      counts = g_ptr_array_new_with_free_func ((GDestroyNotify)g_hash_table_unref);
  g_autoptr (PcmbnOrgUnit) unit = NULL;
  gboolean ok, own_transaction;

  g_return_val_if_fail (scope != NULL && from != NULL && to != NULL, NULL);

  unit = pcmbn_report_begin (store, scope, &own_transaction, error);
  if (unit == NULL)
    return NULL;
  ok = load_communes (db, scope, rows, error)
       && pcmbn_report_count_records (db, SCOPE_CTE, scope, from, to, records, error)
       && pcmbn_report_count_indicators (db, SCOPE_CTE, scope, from, to, counts, error);
  pcmbn_report_end (store, own_transaction);
  if (!ok)
    return NULL;

  b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    {
      CommuneRow *row = rows->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "org_unit");
      json_builder_add_string_value (b, row->code);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, row->name);
      json_builder_set_member_name (b, "key_area");
      json_builder_add_boolean_value (b, row->key_area);
      json_builder_set_member_name (b, "population_14_60");
      if (row->population < 0)
        json_builder_add_null_value (b);
      else
        json_builder_add_int_value (b, row->population);
      json_builder_set_member_name (b, "last_sync");
      if (row->last_sync)
        json_builder_add_string_value (b, row->last_sync);
      else
        json_builder_add_null_value (b);
      pcmbn_report_add_records (b, records, row->code);
      pcmbn_report_add_group_indicators (b, counts, row->code, months);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

/**
 * pcmbn_report_build_children:
 * @store: the database
 * @scope: an org unit
 * @from: first day, `YYYY-MM-DD`
 * @to: last day, inclusive
 * @error: return location for an error
 *
 * The report's breakdown by the units right under @scope (the districts of
 * a city, the communes of a district), each counted over every commune
 * under it, in one grouped pass per quantity. One row per child, by code:
 * `org_unit`, `name`, `level`, `records` (records of each kind dated in the
 * period) and `indicators` (`value`, `numerator`, `denominator`) exactly as
 * pcmbn_report_build() gives them with that child as the scope.
 *
 * Returns: (transfer full) (nullable): a JSON array
 */
JsonNode *
pcmbn_report_build_children (
    PcmbnStore *store, const char *scope, const char *from, const char *to, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autoptr (GPtrArray)
      counts = g_ptr_array_new_with_free_func ((GDestroyNotify)g_hash_table_unref);
  g_autoptr (GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonBuilder) b = NULL;
  gint64 months = pcmbn_report_months_touched (from, to);
  g_autoptr (PcmbnOrgUnit) scope_unit = NULL;
  gboolean ok = TRUE, own_transaction;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (scope != NULL && from != NULL && to != NULL, NULL);
  scope_unit = pcmbn_report_begin (store, scope, &own_transaction, error);
  if (scope_unit == NULL)
    return NULL;
  ok = pcmbn_report_prepare (db, "SELECT code FROM org_units WHERE parent_code = ?1 ORDER BY code",
                             scope, from, to, &stmt, error);
  if (ok)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (children, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
      sqlite3_finalize (stmt);
    }
  ok = ok
       && pcmbn_report_count_records (db, PCMBN_REPORT_SCOPE_CHILDREN, scope, from, to, records,
                                      error)
       && pcmbn_report_count_indicators (db, PCMBN_REPORT_SCOPE_CHILDREN, scope, from, to, counts,
                                         error);
  pcmbn_report_end (store, own_transaction);
  if (!ok)
    return NULL;

  b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint c = 0; c < children->len; c++)
    {
      const char *code = children->pdata[c];
      g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (store, code);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "org_unit");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, unit ? unit->name : code);
      json_builder_set_member_name (b, "level");
      json_builder_add_string_value (b, unit ? unit->level : "");
      pcmbn_report_add_records (b, records, code);
      pcmbn_report_add_group_indicators (b, counts, code, months);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}
