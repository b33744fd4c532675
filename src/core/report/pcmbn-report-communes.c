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
  gint64 *records;   /* one count per kind, in schema order */
} CommuneRow;

static void
commune_row_free (CommuneRow *row)
{
  g_free (row->code);
  g_free (row->name);
  g_free (row->last_sync);
  g_free (row->records);
  g_free (row);
}

static gboolean
load_communes (sqlite3 *db,
               const char *scope,
               guint n_kinds,
               GPtrArray *rows,
               GHashTable *by_code,
               GError **error)
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
      row->records = g_new0 (gint64, n_kinds);
      g_ptr_array_add (rows, row);
      g_hash_table_insert (by_code, row->code, row);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      pcmbn_store_set_sqlite_error (error, db, "computing the report");
      return FALSE;
    }
  return TRUE;
}

static gboolean
count_records (sqlite3 *db,
               const char *scope,
               const char *from,
               const char *to,
               GHashTable *by_code,
               GError **error)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autofree char *records_sql = pcmbn_report_records_sql (SCOPE_CTE);
  sqlite3_stmt *stmt;
  int rc;

  if (!pcmbn_report_prepare (db, records_sql, scope, from, to, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CommuneRow *row = g_hash_table_lookup (by_code, sqlite3_column_text (stmt, 0));
      const char *kind = (const char *)sqlite3_column_text (stmt, 1);

      for (guint k = 0; row && k < n_kinds; k++)
        if (g_strcmp0 (kinds[k]->name, kind) == 0)
          row->records[k] = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      pcmbn_store_set_sqlite_error (error, db, "computing the report");
      return FALSE;
    }
  return TRUE;
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
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)commune_row_free);
  g_autoptr (GHashTable) by_code = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (JsonBuilder) b = NULL;
  gint64 months = pcmbn_report_months_touched (from, to);
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);
  g_autoptr (GPtrArray)
      counts = g_ptr_array_new_with_free_func ((GDestroyNotify)g_hash_table_unref);
  gboolean ok, own_transaction;

  g_return_val_if_fail (scope != NULL && from != NULL && to != NULL, NULL);

  {
    g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (store, scope);
    if (unit == NULL)
      {
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                     _ ("org_unit: no unit has the code %s"), scope);
        return NULL;
      }
  }
  pcmbn_store_lock (store);
  /* One read transaction: every column from the same state, even while a
   * sync writes. */
  own_transaction = sqlite3_get_autocommit (db);
  if (own_transaction)
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  ok = load_communes (db, scope, n_kinds, rows, by_code, error);
  ok = ok && count_records (db, scope, from, to, by_code, error);
  for (guint i = 0; ok && i < n_indicators; i++)
    {
      GHashTable *groups = pcmbn_report_count_indicator (db, &indicators[i], SCOPE_CTE, scope, from,
                                                         to, error);
      ok = groups != NULL;
      if (ok)
        g_ptr_array_add (counts, groups);
    }
  if (own_transaction)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  pcmbn_store_unlock (store);
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
      json_builder_set_member_name (b, "records");
      json_builder_begin_object (b);
      for (guint k = 0; k < n_kinds; k++)
        {
          json_builder_set_member_name (b, kinds[k]->name);
          json_builder_add_int_value (b, row->records[k]);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "indicators");
      json_builder_begin_object (b);
      for (guint k = 0; k < n_indicators; k++)
        pcmbn_report_add_indicator (b, &indicators[k],
                                    g_hash_table_lookup (counts->pdata[k], row->code), months, NULL,
                                    FALSE);
      json_builder_end_object (b);
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
  guint n_kinds, n_indicators;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);
  g_autoptr (GPtrArray)
      counts = g_ptr_array_new_with_free_func ((GDestroyNotify)g_hash_table_unref);
  g_autoptr (GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonBuilder) b = NULL;
  g_autofree char *records_sql = pcmbn_report_records_sql (PCMBN_REPORT_SCOPE_CHILDREN);
  gint64 months = pcmbn_report_months_touched (from, to);
  gboolean ok = TRUE, own_transaction;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (scope != NULL && from != NULL && to != NULL, NULL);
  {
    g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (store, scope);
    if (unit == NULL)
      {
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                     _ ("org_unit: no unit has the code %s"), scope);
        return NULL;
      }
  }
  pcmbn_store_lock (store);
  own_transaction = sqlite3_get_autocommit (db);
  if (own_transaction)
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  ok = pcmbn_report_prepare (db, "SELECT code FROM org_units WHERE parent_code = ?1 ORDER BY code",
                             scope, from, to, &stmt, error);
  if (ok)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (children, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
      sqlite3_finalize (stmt);
    }
  ok = ok && pcmbn_report_prepare (db, records_sql, scope, from, to, &stmt, error);
  if (ok)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gint64 *n = g_new (gint64, 1);
          *n = sqlite3_column_int64 (stmt, 2);
          g_hash_table_insert (records,
                               g_strdup_printf ("%s/%s", sqlite3_column_text (stmt, 0),
                                                sqlite3_column_text (stmt, 1)),
                               n);
        }
      sqlite3_finalize (stmt);
    }
  for (guint i = 0; ok && i < n_indicators; i++)
    {
      GHashTable *groups = pcmbn_report_count_indicator (
          db, &indicators[i], PCMBN_REPORT_SCOPE_CHILDREN, scope, from, to, error);
      ok = groups != NULL;
      if (ok)
        g_ptr_array_add (counts, groups);
    }
  if (own_transaction)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  pcmbn_store_unlock (store);
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
      json_builder_set_member_name (b, "records");
      json_builder_begin_object (b);
      for (guint k = 0; k < n_kinds; k++)
        {
          g_autofree char *key = g_strdup_printf ("%s/%s", code, kinds[k]->name);
          gint64 *n = g_hash_table_lookup (records, key);
          json_builder_set_member_name (b, kinds[k]->name);
          json_builder_add_int_value (b, n ? *n : 0);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "indicators");
      json_builder_begin_object (b);
      for (guint k = 0; k < n_indicators; k++)
        pcmbn_report_add_indicator (b, &indicators[k], g_hash_table_lookup (counts->pdata[k], code),
                                    months, NULL, FALSE);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}
