/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-core-resources.h"
#include "records/pcmbn-csv.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* Org units (the administrative tree, key areas, populations) and the
 * yearly targets: the reference data a store holds beside its records. */

/* The columns of the bundled unit lists, in the order the table keeps. */
static const char *const unit_columns[] = { "level",     "code",      "name",
                                            "full_name", "unit_type", "parent_code" };

void
pcmbn_org_unit_free (PcmbnOrgUnit *unit)
{
  if (unit == NULL)
    return;
  g_free (unit->code);
  g_free (unit->name);
  g_free (unit->full_name);
  g_free (unit->level);
  g_free (unit->unit_type);
  g_free (unit->parent_code);
  g_free (unit);
}

/**
 * pcmbn_store_load_units:
 * @self: a store
 * @units_csv: (nullable): an org-unit list in the columns of the bundled
 *   files; %NULL loads the bundled Hanoi list (three-tier, 2024)
 * @error: return location for an error naming the row and column
 *
 * Adds or renames org units. The key-area flag and the population, which the
 * district sets, are kept. Any number of levels works: a unit is a commune
 * when its level says so, not because of its depth.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_load_units (PcmbnStore *self, const char *units_csv, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GHashTable) codes = g_hash_table_new (g_str_hash, g_str_equal);
  int index[G_N_ELEMENTS (unit_columns)];
  PcmbnCsvRow *header;
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (units_csv == NULL)
    bytes = g_resource_lookup_data (pcmbn_core_get_resource (),
                                    "/org/pcmbn/core/units/hanoi-2024.csv", 0, error);
  else
    {
      char *contents;
      gsize len;
      if (!g_file_get_contents (units_csv, &contents, &len, error))
        return FALSE;
      bytes = g_bytes_new_take (contents, len);
    }
  if (bytes == NULL)
    return FALSE;
  rows = pcmbn_csv_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error);
  if (rows == NULL)
    return FALSE;
  if (rows->len == 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("units: the file is empty"));
      return FALSE;
    }
  header = rows->pdata[0];
  for (guint c = 0; c < G_N_ELEMENTS (unit_columns); c++)
    {
      index[c] = -1;
      for (guint i = 0; header->cells[i]; i++)
        if (g_str_equal (g_strstrip (header->cells[i]), unit_columns[c]))
          index[c] = i;
      if (index[c] < 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("row 1, %s: the column is missing; an org-unit list has the columns "
                          "level,code,name,full_name,unit_type,parent_code"),
                       unit_columns[c]);
          return FALSE;
        }
    }
  for (guint r = 1; r < rows->len; r++)
    {
      PcmbnCsvRow *row = rows->pdata[r];
      guint n = g_strv_length (row->cells);
      for (guint c = 0; c < 3; c++)
        if ((guint)index[c] >= n || *g_strstrip (row->cells[index[c]]) == '\0')
          {
            g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("row %u, %s: is empty"),
                         row->line, unit_columns[c]);
            return FALSE;
          }
      if (!g_hash_table_add (codes, row->cells[index[1]]))
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("row %u, code: %s appears twice"), row->line, row->cells[index[1]]);
          return FALSE;
        }
    }
  for (guint r = 1; r < rows->len; r++)
    {
      PcmbnCsvRow *row = rows->pdata[r];
      guint n = g_strv_length (row->cells);
      const char *parent = (guint)index[5] < n ? g_strstrip (row->cells[index[5]]) : "";
      if (*parent && !g_hash_table_contains (codes, parent))
        {
          g_autoptr (PcmbnOrgUnit) known = pcmbn_store_get_unit (self, parent);
          if (known == NULL)
            {
              g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                           _ ("row %u, parent_code: no unit has the code %s"), row->line, parent);
              return FALSE;
            }
        }
    }

  pcmbn_store_lock (self);
  if (!pcmbn_store_begin (self, error))
    goto out;
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "INSERT INTO org_units (code, name, full_name, level, unit_type, parent_code,"
                      " name_folded) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET"
                      " name = excluded.name, full_name = excluded.full_name, level ="
                      " excluded.level, unit_type = excluded.unit_type, parent_code ="
                      " excluded.parent_code, name_folded = excluded.name_folded",
                      -1, &stmt, NULL);
  for (guint r = 1; r < rows->len; r++)
    {
      PcmbnCsvRow *row = rows->pdata[r];
      guint n = g_strv_length (row->cells);
      const char *v[G_N_ELEMENTS (unit_columns)];
      g_autofree char *both = NULL, *folded = NULL;
      for (guint c = 0; c < G_N_ELEMENTS (unit_columns); c++)
        v[c] = (guint)index[c] < n ? g_strstrip (row->cells[index[c]]) : "";
      both = g_strdup_printf ("%s %s", v[2], v[3]);
      folded = pcmbn_fold (both);
      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, v[1], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, v[2], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, v[3], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, v[0], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, v[4], -1, SQLITE_TRANSIENT);
      if (*v[5])
        sqlite3_bind_text (stmt, 6, v[5], -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null (stmt, 6);
      sqlite3_bind_text (stmt, 7, folded, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (self),
                                        _ ("saving the org units"));
          pcmbn_store_rollback (self);
          goto out;
        }
    }
  ok = pcmbn_store_commit (self, error);

out:
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_init_commune:
 * @self: a store
 * @org_unit: the commune's code
 * @units_csv: (nullable): an org-unit list, or %NULL for the bundled one
 * @profile: (nullable): "culture" or "womens-union"
 * @error: return location for an error
 *
 * Makes this database the logbook of one commune. Running it again with the
 * same commune changes nothing; another commune is refused.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_init_commune (PcmbnStore *self,
                          const char *org_unit,
                          const char *units_csv,
                          const char *profile,
                          GError **error)
{
  g_autoptr (PcmbnOrgUnit) unit = NULL;

  if (profile && !g_str_equal (profile, "culture") && !g_str_equal (profile, "womens-union"))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("profile: must be “culture” or “womens-union”"));
      return FALSE;
    }
  if (pcmbn_store_get_org_unit (self) && g_strcmp0 (pcmbn_store_get_org_unit (self), org_unit) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("org-unit: this database already belongs to commune %s; use another file "
                      "with --db for %s"),
                   pcmbn_store_get_org_unit (self), org_unit);
      return FALSE;
    }
  /* Check the commune against the list before anything is written. */
  {
    g_autoptr (PcmbnStore) probe = NULL;
    g_autoptr (GError) local = NULL;
    probe = pcmbn_store_open (":memory:", &local);
    if (probe == NULL || !pcmbn_store_load_units (probe, units_csv, error))
      {
        if (local)
          g_propagate_error (error, g_steal_pointer (&local));
        return FALSE;
      }
    unit = pcmbn_store_get_unit (probe, org_unit);
    if (unit == NULL)
      {
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                     _ ("org-unit: no unit has the code “%s” in the list; look it up in the list "
                        "of communes"),
                     org_unit);
        return FALSE;
      }
    if (!g_str_equal (unit->level, "commune"))
      {
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                     _ ("org-unit: %s (%s) is a %s, not a commune; give the code of a commune"),
                     org_unit, unit->name, unit->level);
        return FALSE;
      }
  }
  if (!pcmbn_store_load_units (self, units_csv, error))
    return FALSE;
  if (!pcmbn_store_set_meta (self, "org_unit", org_unit, error)
      || !pcmbn_store_set_meta (self, "profile", profile ? profile : "culture", error))
    return FALSE;
  pcmbn_store_cache_org_unit (self, org_unit);
  return TRUE;
}

static PcmbnOrgUnit *
unit_from_stmt (sqlite3_stmt *stmt)
{
  PcmbnOrgUnit *unit = g_new0 (PcmbnOrgUnit, 1);

  unit->code = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  unit->name = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
  unit->full_name = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
  unit->level = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
  unit->unit_type = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
  unit->parent_code = g_strdup ((const char *)sqlite3_column_text (stmt, 5));
  unit->key_area = sqlite3_column_int (stmt, 6);
  unit->population_14_60 = sqlite3_column_type (stmt, 7) == SQLITE_NULL
                               ? -1
                               : sqlite3_column_int64 (stmt, 7);
  return unit;
}

#define UNIT_COLUMNS \
  "code, name, full_name, level, unit_type, parent_code, key_area, population_14_60"

/**
 * pcmbn_store_get_unit:
 * @self: a store
 * @code: (nullable): an org unit's code
 *
 * Returns: (transfer full) (nullable): the unit, or %NULL
 */
PcmbnOrgUnit *
pcmbn_store_get_unit (PcmbnStore *self, const char *code)
{
  sqlite3_stmt *stmt;
  PcmbnOrgUnit *unit = NULL;

  if (code == NULL)
    return NULL;
  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "SELECT " UNIT_COLUMNS " FROM org_units WHERE code = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    unit = unit_from_stmt (stmt);
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return unit;
}

/**
 * pcmbn_store_find_units:
 * @self: a store
 * @query: (nullable): words to find in the name, with or without diacritics
 * @level: (nullable): only units of this level
 * @limit: at most this many, 0 for all
 *
 * Returns: (transfer full) (element-type PcmbnOrgUnit): matching units,
 *   by name
 */
GPtrArray *
pcmbn_store_find_units (PcmbnStore *self, const char *query, const char *level, guint limit)
{
  GPtrArray *units = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_org_unit_free);
  g_autofree char *folded = pcmbn_fold (query);
  g_autofree char *pattern = NULL;
  sqlite3_stmt *stmt;

  g_strstrip (folded);
  pattern = g_strdup_printf ("%%%s%%", folded);
  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "SELECT " UNIT_COLUMNS " FROM org_units WHERE (?1 IS NULL OR level = ?1)"
                      " AND (name_folded LIKE ?2 OR code = ?3) ORDER BY name, code LIMIT ?4",
                      -1, &stmt, NULL);
  if (level)
    sqlite3_bind_text (stmt, 1, level, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, pattern, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, folded, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, limit ? (gint64)limit : -1);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (units, unit_from_stmt (stmt));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return units;
}

/**
 * pcmbn_store_communes_under:
 * @self: a store
 * @code: an org unit's code
 *
 * Walks the tree to any depth: a two-tier city lists its communes as well as
 * a three-tier one.
 *
 * Returns: (transfer full) (element-type PcmbnOrgUnit): the communes at or
 *   under @code, by code
 */
GPtrArray *
pcmbn_store_communes_under (PcmbnStore *self, const char *code)
{
  GPtrArray *units = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_org_unit_free);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "WITH RECURSIVE scope(code) AS (SELECT ?1 UNION SELECT o.code FROM"
                      " org_units o JOIN scope s ON o.parent_code = s.code)"
                      " SELECT " UNIT_COLUMNS " FROM org_units WHERE code IN scope AND level ="
                      " 'commune' ORDER BY code",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (units, unit_from_stmt (stmt));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return units;
}

/**
 * pcmbn_store_set_unit_facts:
 * @self: a store
 * @code: a commune's code
 * @key_area: 1 or 0, or -1 to leave it
 * @population_14_60: the population aged 14–60, -1 for unknown, -2 to leave it
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_set_unit_facts (
    PcmbnStore *self, const char *code, int key_area, gint64 population_14_60, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "UPDATE org_units SET key_area = CASE WHEN ?2 < 0 THEN key_area ELSE ?2 END,"
                      " population_14_60 = CASE WHEN ?3 = -2 THEN population_14_60 WHEN ?3 = -1"
                      " THEN NULL ELSE ?3 END WHERE code = ?1",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, key_area);
  sqlite3_bind_int64 (stmt, 3, population_14_60);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (self), _ ("saving the org unit"));
  else if (sqlite3_changes (pcmbn_store_get_db (self)) == 0)
    {
      ok = FALSE;
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("code: no org unit has the code %s"),
                   code);
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_get_target:
 * @self: a store
 * @year: the report's year
 * @indicator: an indicator key
 * @value: (out): the target set for that year
 *
 * Returns: %TRUE when a target is set in the reference data
 */
gboolean
pcmbn_store_get_target (PcmbnStore *self, int year, const char *indicator, double *value)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "SELECT value FROM targets WHERE year = ? AND indicator = ?", -1, &stmt,
                      NULL);
  sqlite3_bind_int (stmt, 1, year);
  sqlite3_bind_text (stmt, 2, indicator, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *value = sqlite3_column_double (stmt, 0);
      found = TRUE;
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return found;
}

/**
 * pcmbn_store_set_target:
 * @self: a store
 * @year: a year
 * @indicator: an indicator key
 * @value: its target for @year
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_set_target (
    PcmbnStore *self, int year, const char *indicator, double value, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (pcmbn_store_get_db (self),
                      "INSERT OR REPLACE INTO targets (year, indicator, value) VALUES (?, ?, ?)",
                      -1, &stmt, NULL);
  sqlite3_bind_int (stmt, 1, year);
  sqlite3_bind_text (stmt, 2, indicator, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double (stmt, 3, value);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (self), _ ("saving a target"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_unit_is_within:
 * @self: a store
 * @code: an org unit
 * @ancestor: another org unit
 *
 * Returns: whether @code is @ancestor or lies anywhere under it
 */
gboolean
pcmbn_store_unit_is_within (PcmbnStore *self, const char *code, const char *ancestor)
{
  g_autofree char *at = g_strdup (code);

  /* Up the parents: a unit is at most a few levels deep (city, district,
   * commune); the bound only guards against a loop in bad reference data. */
  for (int depth = 0; at != NULL && depth < 16; depth++)
    {
      g_autoptr (PcmbnOrgUnit) unit = NULL;
      if (g_strcmp0 (at, ancestor) == 0)
        return TRUE;
      unit = pcmbn_store_get_unit (self, at);
      g_free (at);
      at = unit && unit->parent_code && *unit->parent_code ? g_strdup (unit->parent_code) : NULL;
    }
  return FALSE;
}
