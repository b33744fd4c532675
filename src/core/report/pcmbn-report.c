/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "report/pcmbn-report.h"
#include "records/pcmbn-schema.h"
#include "report/pcmbn-indicators.h"
#include "report/pcmbn-report-private.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* The indicators of indicators.md and the tables a report carries, for any
 * org unit and the communes under it: the commune's own report and the
 * district's are the same code. Every query goes through the real columns
 * and their indexes. */

#define SCOPE_CTE PCMBN_REPORT_SCOPE_TOTAL

/**
 * pcmbn_report_prepare:
 * @db: the database
 * @sql: a query whose parameters are ?1 scope, ?2 from and ?3 to (the later
 *   ones may be absent)
 * @scope: the org unit
 * @from: first day
 * @to: last day
 * @stmt: (out): the prepared statement
 * @error: return location for an error
 *
 * Returns: %TRUE when @stmt is ready to step
 */
gboolean
pcmbn_report_prepare (sqlite3 *db,
                      const char *sql,
                      const char *scope,
                      const char *from,
                      const char *to,
                      sqlite3_stmt **stmt,
                      GError **error)
{
  if (sqlite3_prepare_v2 (db, sql, -1, stmt, NULL) != SQLITE_OK)
    {
      pcmbn_store_set_sqlite_error (error, db, "preparing the report");
      return FALSE;
    }
  sqlite3_bind_text (*stmt, 1, scope, -1, SQLITE_TRANSIENT);
  if (sqlite3_bind_parameter_count (*stmt) >= 2)
    sqlite3_bind_text (*stmt, 2, from, -1, SQLITE_TRANSIENT);
  if (sqlite3_bind_parameter_count (*stmt) >= 3)
    sqlite3_bind_text (*stmt, 3, to, -1, SQLITE_TRANSIENT);
  return TRUE;
}

/**
 * pcmbn_report_table_exists:
 * @db: the database
 * @name: a table name
 *
 * Returns: whether the table is there (the server's `commune_sync` is not
 *   in a commune's database)
 */
gboolean
pcmbn_report_table_exists (sqlite3 *db, const char *name)
{
  sqlite3_stmt *stmt;
  gboolean found;

  sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1,
                      &stmt, NULL);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return found;
}

/**
 * pcmbn_report_finish:
 * @db: the database
 * @stmt: (transfer full): a statement stepped to its end or to an error
 * @rc: what the last sqlite3_step() returned
 * @error: return location for an error
 *
 * Finalizes @stmt; every grouped pass of the report ends here.
 *
 * Returns: %TRUE when the pass went through every row (@rc is
 *   %SQLITE_DONE)
 */
gboolean
pcmbn_report_finish (sqlite3 *db, sqlite3_stmt *stmt, int rc, GError **error)
{
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      pcmbn_store_set_sqlite_error (error, db, "computing the report");
      return FALSE;
    }
  return TRUE;
}

/**
 * pcmbn_report_begin:
 * @store: the database
 * @scope: an org unit
 * @own_transaction: (out): whether the transaction is the report's own
 * @error: return location for an error naming the unit
 *
 * Checks that @scope is a unit, locks @store and opens one read
 * transaction unless one is open already, so that every number of a
 * report comes from the same state even while a sync writes. End it with
 * pcmbn_report_end().
 *
 * Returns: (transfer full) (nullable): the unit, %NULL (and nothing
 *   locked) when there is none
 */
PcmbnOrgUnit *
pcmbn_report_begin (PcmbnStore *store, const char *scope, gboolean *own_transaction, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  PcmbnOrgUnit *unit = pcmbn_store_get_unit (store, scope);

  if (unit == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("org_unit: no unit has the code %s"),
                   scope ? scope : "");
      return NULL;
    }
  pcmbn_store_lock (store);
  *own_transaction = sqlite3_get_autocommit (db);
  if (*own_transaction)
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  return unit;
}

/**
 * pcmbn_report_end:
 * @store: the database
 * @own_transaction: what pcmbn_report_begin() said
 *
 * Ends what pcmbn_report_begin() began.
 */
void
pcmbn_report_end (PcmbnStore *store, gboolean own_transaction)
{
  if (own_transaction)
    sqlite3_exec (pcmbn_store_get_db (store), "COMMIT", NULL, NULL, NULL);
  pcmbn_store_unlock (store);
}

/**
 * pcmbn_report_parse_period:
 * @year: (nullable): `--year`
 * @from: (nullable): `--from`
 * @to: (nullable): `--to`
 * @out_from: (out) (transfer full): the first day
 * @out_to: (out) (transfer full): the last day
 * @error: return location for an error naming the option
 *
 * Without any, the period is the current year.
 *
 * Returns: %TRUE when the period is valid
 */
gboolean
pcmbn_report_parse_period (const char *year,
                           const char *from,
                           const char *to,
                           char **out_from,
                           char **out_to,
                           GError **error)
{
  if (year && (from || to))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("year: give either --year or --from and --to, not both"));
      return FALSE;
    }
  if (year)
    {
      char *end = NULL;
      gint64 y = g_ascii_strtoll (year, &end, 10);
      if (end == NULL || *end != '\0' || y < 2000 || y > 2100)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("year: “%s” is not a year; write it like 2026"), year);
          return FALSE;
        }
      *out_from = g_strdup_printf ("%04d-01-01", (int)y);
      *out_to = g_strdup_printf ("%04d-12-31", (int)y);
      return TRUE;
    }
  if (from || to)
    {
      if (!from || !to)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("%s: give both --from and --to"),
                       from ? "to" : "from");
          return FALSE;
        }
      if (pcmbn_date_parse (from) < 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("from: “%s” is not a date; write it YYYY-MM-DD"), from);
          return FALSE;
        }
      if (pcmbn_date_parse (to) < 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("to: “%s” is not a date; write it YYYY-MM-DD"), to);
          return FALSE;
        }
      if (pcmbn_date_parse (to) < pcmbn_date_parse (from))
        {
          /* Read by a person: the start as they read dates, day first. */
          g_autofree char *start = pcmbn_date_to_input (from);
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("to: the end of the period is before its start (%s)"), start);
          return FALSE;
        }
      *out_from = g_strdup (from);
      *out_to = g_strdup (to);
      return TRUE;
    }
  {
    g_autofree char *today = pcmbn_date_format (pcmbn_today ());
    today[4] = '\0';
    *out_from = g_strdup_printf ("%s-01-01", today);
    *out_to = g_strdup_printf ("%s-12-31", today);
  }
  return TRUE;
}

/**
 * pcmbn_report_months_touched:
 * @from: first day
 * @to: last day
 *
 * Returns: the calendar months the period touches
 */
gint64
pcmbn_report_months_touched (const char *from, const char *to)
{
  int fy = atoi (from), fm = atoi (from + 5), ty = atoi (to), tm = atoi (to + 5);
  return (ty - fy) * 12 + (tm - fm) + 1;
}

/**
 * pcmbn_report_default_target:
 * @indicator: a key
 * @year: the report's year
 * @months: months in the period, the i3 target
 * @target: (out): the plan's target
 *
 * The plan's 2020 targets apply to 2020 and every later year, its 2018
 * targets to 2018–2019, none before.
 *
 * Returns: %TRUE when the plan sets one
 */
gboolean
pcmbn_report_default_target (const char *indicator, int year, gint64 months, double *target)
{
  const PcmbnIndicator *ind = pcmbn_indicator_lookup (indicator);

  return ind && pcmbn_indicator_default_target (ind, year, months, target);
}

/**
 * pcmbn_report_count_indicator:
 * @db: the database
 * @indicator: what to count
 * @scope_cte: one of the PCMBN_REPORT_SCOPE groupings
 * @scope: the org unit
 * @from: first day
 * @to: last day
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): group → #PcmbnIndicatorCounts; a
 *   group missing counts 0 / 0
 */
GHashTable *
pcmbn_report_count_indicator (sqlite3 *db,
                              const PcmbnIndicator *indicator,
                              const char *scope_cte,
                              const char *scope,
                              const char *from,
                              const char *to,
                              GError **error)
{
  g_autofree char *sql = pcmbn_indicator_sql (indicator, scope_cte);
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt *stmt;
  int rc;

  if (!pcmbn_report_prepare (db, sql, scope, from, to, &stmt, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PcmbnIndicatorCounts *counts = g_new (PcmbnIndicatorCounts, 1);
      counts->numerator = sqlite3_column_int64 (stmt, 1);
      counts->denominator = sqlite3_column_int64 (stmt, 2);
      g_hash_table_insert (groups, g_strdup ((const char *)sqlite3_column_text (stmt, 0)), counts);
    }
  if (!pcmbn_report_finish (db, stmt, rc, error))
    return NULL;
  return g_steal_pointer (&groups);
}

/**
 * pcmbn_report_add_indicator:
 * @b: a builder inside an object
 * @indicator: the indicator
 * @counts: (nullable): its numerator and denominator, %NULL for none
 * @months: months the period touches, the denominator of a count of months
 * @target: (nullable): its target, %NULL when none is set
 * @with_target: whether to write the `target` member at all
 *
 * Writes the indicator's member in the shape of interfaces.md.
 */
void
pcmbn_report_add_indicator (JsonBuilder *b,
                            const PcmbnIndicator *indicator,
                            const PcmbnIndicatorCounts *counts,
                            gint64 months,
                            const double *target,
                            gboolean with_target)
{
  gboolean is_count = pcmbn_indicator_is_count (indicator);
  gint64 num = counts ? counts->numerator : 0;
  gint64 den = is_count ? months : counts ? counts->denominator : 0;

  json_builder_set_member_name (b, indicator->key);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  if (is_count)
    json_builder_add_int_value (b, num);
  else if (den == 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, (double)num / (double)den);
  json_builder_set_member_name (b, "numerator");
  json_builder_add_int_value (b, num);
  json_builder_set_member_name (b, "denominator");
  json_builder_add_int_value (b, den);
  if (with_target)
    {
      json_builder_set_member_name (b, "target");
      if (target == NULL)
        json_builder_add_null_value (b);
      else if (is_count)
        json_builder_add_int_value (b, (gint64)*target);
      else
        json_builder_add_double_value (b, *target);
    }
  if (indicator->unit)
    {
      json_builder_set_member_name (b, "unit");
      json_builder_add_string_value (b, indicator->unit);
    }
  json_builder_end_object (b);
}

/* Runs @sql (parameters as pcmbn_report_prepare()), whose first column
 * names a group and whose @n_values next ones are numbers, and adds every
 * row's numbers into @groups: group → gint64[@n_values]. A row without a
 * group is left out. SQLite's GROUP BY sorts every row first (a temporary
 * B-tree: most of a report's time over a million records); the groups here
 * are few, a catalogue's entries, and a hash of them costs a fraction of
 * it in the same single pass over the covering index. */
static gboolean
add_up (sqlite3 *db,
        const char *sql,
        const char *scope,
        const char *from,
        const char *to,
        guint n_values,
        GHashTable *groups,
        GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!pcmbn_report_prepare (db, sql, scope, from, to, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *)sqlite3_column_text (stmt, 0);
      gint64 *values;

      if (key == NULL)
        continue;
      values = g_hash_table_lookup (groups, key);
      if (values == NULL)
        {
          values = g_new0 (gint64, MAX (n_values, 1));
          g_hash_table_insert (groups, g_strdup (key), values);
        }
      for (guint i = 0; i < n_values; i++)
        values[i] += sqlite3_column_int64 (stmt, 1 + (int)i);
    }
  return pcmbn_report_finish (db, stmt, rc, error);
}

/* Sums of every summed field of @kind, grouped by @group_sql, with a
 * row for each catalogue entry so that the office sees the zeros too. The
 * columns come from the schema, so a new count field appears by itself and
 * an age or an amount of money (not %PCMBN_FIELD_SUMMED) never does. */
static gboolean
add_group_table (JsonBuilder *b,
                 sqlite3 *db,
                 const char *name,
                 const PcmbnKind *kind,
                 const char *group_field,
                 const char *where,
                 const char *scope,
                 const char *from,
                 const char *to,
                 GError **error)
{
  const PcmbnField *group = pcmbn_kind_field (kind, group_field);
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (group->catalogue);
  g_autoptr (GString) sql = g_string_new (SCOPE_CTE "SELECT ");
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) ints = g_ptr_array_new ();

  for (guint f = 0; f < kind->n_fields; f++)
    if (pcmbn_field_is_summed (&kind->fields[f]))
      g_ptr_array_add (ints, (gpointer)&kind->fields[f]);
  g_string_append_printf (sql, "r.f_%s, 1", group_field);
  for (guint i = 0; i < ints->len; i++)
    g_string_append_printf (sql, ", r.f_%s", ((PcmbnField *)ints->pdata[i])->name);
  g_string_append_printf (sql,
                          " FROM communes c CROSS JOIN records r WHERE r.org_unit = c.code AND"
                          " r.kind = '%s' AND r.deleted = 0 AND %s",
                          kind->name, where);
  if (!add_up (db, sql->str, scope, from, to, ints->len + 1, rows, error))
    return FALSE;

  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint e = 0; e < cat->n_entries; e++)
    {
      gint64 *values = g_hash_table_lookup (rows, cat->entries[e].code);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, group_field);
      json_builder_add_string_value (b, cat->entries[e].code);
      json_builder_set_member_name (b, "count");
      json_builder_add_int_value (b, values ? values[0] : 0);
      for (guint i = 0; i < ints->len; i++)
        {
          json_builder_set_member_name (b, ((PcmbnField *)ints->pdata[i])->name);
          json_builder_add_int_value (b, values ? values[i + 1] : 0);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return TRUE;
}

static void
add_count_cell (JsonBuilder *b, gint64 n, PcmbnReportFlags flags)
{
  if ((flags & PCMBN_REPORT_SUPPRESS_SMALL) && n >= 1 && n <= 4)
    json_builder_add_string_value (b, "<5");
  else
    json_builder_add_int_value (b, n);
}

/* Counselling sessions in the period counted by each coded field of
 * @fields, as "FIELD/CODE" → count in @counts: one pass for each single
 * code (channel, client type) and one for the sets of codes together
 * (topics and referrals), where a session counts once under each of its
 * codes. The sets join record_codes on its covering index by the record
 * alone, one seek per session (the field is tested on the entries found,
 * not sought: `+k.field`). */
static gboolean
count_counselling (sqlite3 *db,
                   const char *const (*fields)[2],
                   guint n_fields,
                   const char *scope,
                   const char *from,
                   const char *to,
                   GHashTable *counts,
                   GError **error)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("counselling");
  g_autoptr (GString) sets = g_string_new (NULL);
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < n_fields; i++)
    {
      const PcmbnField *f = pcmbn_kind_field (kind, fields[i][1]);
      if (f->type == PCMBN_FIELD_CODES)
        g_string_append_printf (sets, "%s'%s'", sets->len ? ", " : "", f->name);
      else
        {
          g_autofree char *sql = g_strdup_printf (
              SCOPE_CTE "SELECT '%s/' || r.f_%s, 1 FROM communes c CROSS JOIN records r WHERE"
                        " r.org_unit = c.code AND r.kind = 'counselling' AND r.deleted = 0 AND"
                        " r.rdate BETWEEN ?2 AND ?3",
              f->name, f->name);
          if (!add_up (db, sql, scope, from, to, 1, groups, error))
            return FALSE;
        }
    }
  if (sets->len > 0)
    {
      g_autofree char *sql = g_strdup_printf (
          SCOPE_CTE "SELECT k.field || '/' || k.code, 1 FROM communes c CROSS JOIN records r"
                    " CROSS JOIN record_codes k WHERE r.org_unit = c.code AND r.kind ="
                    " 'counselling' AND r.deleted = 0 AND r.rdate BETWEEN ?2 AND ?3 AND"
                    " k.record_id = r.id AND +k.field IN (%s)",
          sets->str);
      if (!add_up (db, sql, scope, from, to, 1, groups, error))
        return FALSE;
    }
  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (counts, g_strdup (key), GSIZE_TO_POINTER ((gsize) * (gint64 *)value));
  return TRUE;
}

/* One counselling table: a row for each code of the field's catalogue. */
static void
add_counselling_table (
    JsonBuilder *b, const char *name, const char *field, GHashTable *counts, PcmbnReportFlags flags)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("counselling");
  const PcmbnField *f = pcmbn_kind_field (kind, field);
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (f->catalogue);

  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint e = 0; e < cat->n_entries; e++)
    {
      g_autofree char *key = g_strdup_printf ("%s/%s", field, cat->entries[e].code);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, field);
      json_builder_add_string_value (b, cat->entries[e].code);
      json_builder_set_member_name (b, "count");
      add_count_cell (b, GPOINTER_TO_SIZE (g_hash_table_lookup (counts, key)), flags);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static gboolean
add_models_table (JsonBuilder *b,
                  sqlite3 *db,
                  const char *scope,
                  const char *from,
                  const char *to,
                  GError **error)
{
  const PcmbnCatalogue *types = pcmbn_catalogue_lookup ("model_type");
  const PcmbnCatalogue *kinds = pcmbn_catalogue_lookup ("model_kind");
  static const char sql[] = SCOPE_CTE
      /* Each model's meetings through records_model, an index seek per model. */
      "SELECT r.f_model_type || '/' || coalesce(r.f_model_kind, 'other'), 1,"
      " r.f_members_total, r.f_members_female,"
      " (SELECT count(*) FROM records m WHERE m.f_model = r.uuid AND m.kind ="
      " 'model-meeting' AND m.deleted = 0 AND m.rdate BETWEEN ?2 AND ?3)"
      " FROM communes c CROSS JOIN records r WHERE r.org_unit = c.code AND r.kind = 'model' AND"
      " r.deleted = 0 AND r.rdate <= ?3 AND NOT (r.f_status = 'dissolved' AND r.f_status_since <= ?3)";
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (!add_up (db, sql, scope, from, to, 4, rows, error))
    return FALSE;

  json_builder_set_member_name (b, "models_by_type");
  json_builder_begin_array (b);
  for (guint t = 0; t < types->n_entries; t++)
    for (guint k = 0; k < kinds->n_entries; k++)
      {
        g_autofree char *key = g_strdup_printf ("%s/%s", types->entries[t].code,
                                                kinds->entries[k].code);
        gint64 *v = g_hash_table_lookup (rows, key);
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "model_type");
        json_builder_add_string_value (b, types->entries[t].code);
        json_builder_set_member_name (b, "model_kind");
        json_builder_add_string_value (b, kinds->entries[k].code);
        json_builder_set_member_name (b, "count");
        json_builder_add_int_value (b, v ? v[0] : 0);
        json_builder_set_member_name (b, "members_total");
        json_builder_add_int_value (b, v ? v[1] : 0);
        json_builder_set_member_name (b, "members_female");
        json_builder_add_int_value (b, v ? v[2] : 0);
        json_builder_set_member_name (b, "meetings");
        json_builder_add_int_value (b, v ? v[3] : 0);
        json_builder_end_object (b);
      }
  json_builder_end_array (b);
  return TRUE;
}

static gboolean
add_materials_table (JsonBuilder *b,
                     sqlite3 *db,
                     const char *scope,
                     const char *from,
                     const char *to,
                     GError **error)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup ("material_type");
  static const char sql[] = SCOPE_CTE
      "SELECT r.rtype, CASE WHEN r.rdate BETWEEN ?2 AND ?3 THEN r.f_quantity_received END,"
      " CASE WHEN r.f_deployed_on BETWEEN ?2 AND ?3 THEN r.f_quantity_deployed END,"
      " r.rdate BETWEEN ?2 AND ?3"
      " FROM communes c CROSS JOIN records r WHERE r.org_unit = c.code AND r.kind = 'material' AND"
      " r.deleted = 0 AND r.rdate <= ?3";
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (!add_up (db, sql, scope, from, to, 3, rows, error))
    return FALSE;

  json_builder_set_member_name (b, "materials_by_type");
  json_builder_begin_array (b);
  for (guint e = 0; e < cat->n_entries; e++)
    {
      gint64 *v = g_hash_table_lookup (rows, cat->entries[e].code);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "material_type");
      json_builder_add_string_value (b, cat->entries[e].code);
      json_builder_set_member_name (b, "received_records");
      json_builder_add_int_value (b, v ? v[2] : 0);
      json_builder_set_member_name (b, "quantity_received");
      json_builder_add_int_value (b, v ? v[0] : 0);
      json_builder_set_member_name (b, "quantity_deployed");
      json_builder_add_int_value (b, v ? v[1] : 0);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return TRUE;
}

/* A query of (group, kind, records dated in the period): one count per
 * commune and kind, each a range of that kind's report index (its WHERE
 * names the kind, so the kind is written in each count, not joined). The
 * GROUP BY sorts those few counts, never the records. */
static char *
records_sql (const char *scope_cte)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GString) sql = g_string_new (scope_cte);

  g_string_append (sql, "SELECT grp, kind, sum(n) FROM (");
  for (guint k = 0; k < n_kinds; k++)
    g_string_append_printf (sql,
                            "%sSELECT c.grp AS grp, '%s' AS kind, (SELECT count(*) FROM records r"
                            " WHERE r.kind = '%s' AND r.org_unit = c.code AND r.deleted = 0 AND"
                            " r.rdate BETWEEN ?2 AND ?3) AS n FROM communes c",
                            k ? " UNION ALL " : "", kinds[k]->name, kinds[k]->name);
  g_string_append (sql, ") GROUP BY 1, 2");
  return g_string_free (g_steal_pointer (&sql), FALSE);
}

/**
 * pcmbn_report_count_records:
 * @db: the database
 * @scope_cte: one of the PCMBN_REPORT_SCOPE groupings
 * @scope: the org unit
 * @from: first day
 * @to: last day
 * @counts: where to put "GROUP/KIND" → gint64, records of that kind dated
 *   in the period
 * @error: return location for an error
 *
 * Returns: %TRUE when every group is counted
 */
gboolean
pcmbn_report_count_records (sqlite3 *db,
                            const char *scope_cte,
                            const char *scope,
                            const char *from,
                            const char *to,
                            GHashTable *counts,
                            GError **error)
{
  g_autofree char *sql = records_sql (scope_cte);
  sqlite3_stmt *stmt;
  int rc;

  if (!pcmbn_report_prepare (db, sql, scope, from, to, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 *n = g_new (gint64, 1);
      *n = sqlite3_column_int64 (stmt, 2);
      g_hash_table_insert (
          counts,
          g_strdup_printf ("%s/%s", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1)),
          n);
    }
  return pcmbn_report_finish (db, stmt, rc, error);
}

/**
 * pcmbn_report_add_records:
 * @b: a builder inside an object
 * @counts: "GROUP/KIND" → gint64, from pcmbn_report_count_records()
 * @group: the group of the row
 *
 * Writes the row's `records` member: a count for every kind, in schema
 * order, 0 for a kind the group has none of.
 */
void
pcmbn_report_add_records (JsonBuilder *b, GHashTable *counts, const char *group)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  json_builder_set_member_name (b, "records");
  json_builder_begin_object (b);
  for (guint k = 0; k < n_kinds; k++)
    {
      g_autofree char *key = g_strdup_printf ("%s/%s", group, kinds[k]->name);
      gint64 *n = g_hash_table_lookup (counts, key);
      json_builder_set_member_name (b, kinds[k]->name);
      json_builder_add_int_value (b, n ? *n : 0);
    }
  json_builder_end_object (b);
}

/**
 * pcmbn_report_count_indicators:
 * @db: the database
 * @scope_cte: one of the PCMBN_REPORT_SCOPE groupings
 * @scope: the org unit
 * @from: first day
 * @to: last day
 * @counts: where to add, for each indicator in order, its groups as
 *   pcmbn_report_count_indicator() gives them
 * @error: return location for an error
 *
 * Returns: %TRUE when every indicator is counted
 */
gboolean
pcmbn_report_count_indicators (sqlite3 *db,
                               const char *scope_cte,
                               const char *scope,
                               const char *from,
                               const char *to,
                               GPtrArray *counts,
                               GError **error)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);

  for (guint i = 0; i < n_indicators; i++)
    {
      GHashTable *groups = pcmbn_report_count_indicator (db, &indicators[i], scope_cte, scope, from,
                                                         to, error);
      if (groups == NULL)
        return FALSE;
      g_ptr_array_add (counts, groups);
    }
  return TRUE;
}

/**
 * pcmbn_report_add_group_indicators:
 * @b: a builder inside an object
 * @counts: each indicator's groups, as pcmbn_report_count_indicators()
 *   gives them
 * @group: the group of the row
 * @months: months the period touches
 *
 * Writes the row's `indicators` member, without targets.
 */
void
pcmbn_report_add_group_indicators (JsonBuilder *b,
                                   GPtrArray *counts,
                                   const char *group,
                                   gint64 months)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);

  json_builder_set_member_name (b, "indicators");
  json_builder_begin_object (b);
  for (guint i = 0; i < n_indicators; i++)
    pcmbn_report_add_indicator (b, &indicators[i], g_hash_table_lookup (counts->pdata[i], group),
                                months, NULL, FALSE);
  json_builder_end_object (b);
}

/* Records of each kind dated in the period per commune in scope, as
 * "COMMUNE/KIND" → gint64 in @counts, and each commune's child of the scope
 * (the commune itself under a district, its district under a city) in
 * @child_of: the per-commune table and the per-child breakdown both add
 * these up. */
static gboolean
count_per_commune (sqlite3 *db,
                   const char *scope,
                   const char *from,
                   const char *to,
                   GHashTable *counts,
                   GHashTable *child_of,
                   GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!pcmbn_report_count_records (db, PCMBN_REPORT_SCOPE_COMMUNES, scope, from, to, counts, error))
    return FALSE;
  if (!pcmbn_report_prepare (db, PCMBN_REPORT_SCOPE_CHILDREN "SELECT c.code, c.grp FROM communes c",
                             scope, from, to, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (child_of, g_strdup ((const char *)sqlite3_column_text (stmt, 0)),
                         g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
  return pcmbn_report_finish (db, stmt, rc, error);
}

/* Records of each kind per commune, from count_per_commune(): every
 * commune in order, those that sent nothing with zeros. */
static gboolean
add_per_commune (JsonBuilder *b,
                 sqlite3 *db,
                 const char *scope,
                 const char *from,
                 const char *to,
                 GHashTable *counts,
                 GError **error)
{
  g_autofree char *units_sql = g_strconcat (
      SCOPE_CTE "SELECT c.code, o.name, ",
      /* A server knows each commune's last sync; a logbook knows its own,
       * in its meta table (the commune PDF said "never" right after a
       * sync). */
      pcmbn_report_table_exists (db, "commune_sync")
          ? "(SELECT max(last_sync) FROM commune_sync s WHERE s.org_unit = c.code)"
          : "(SELECT value FROM meta WHERE key = '" PCMBN_STORE_META_LAST_SYNC
            "' AND c.code = (SELECT value FROM meta WHERE key = 'org_unit'))",
      " FROM communes c JOIN org_units o ON o.code = c.code ORDER BY c.code", NULL);
  sqlite3_stmt *stmt;

  if (!pcmbn_report_prepare (db, units_sql, scope, from, to, &stmt, error))
    return FALSE;
  json_builder_set_member_name (b, "per_commune");
  json_builder_begin_array (b);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *code = (const char *)sqlite3_column_text (stmt, 0);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "org_unit");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, (const char *)sqlite3_column_text (stmt, 1));
      json_builder_set_member_name (b, "last_sync");
      if (sqlite3_column_type (stmt, 2) == SQLITE_NULL)
        json_builder_add_null_value (b);
      else
        json_builder_add_string_value (b, (const char *)sqlite3_column_text (stmt, 2));
      pcmbn_report_add_records (b, counts, code);
      json_builder_end_object (b);
    }
  sqlite3_finalize (stmt);
  json_builder_end_array (b);
  return TRUE;
}

/* The breakdown by the units right under the scope, in code order: each
 * child's records add up its communes' (@counts, @child_of), and its
 * indicators are @child_counts[i], counted with the children as groups in
 * the same pass as the scope's own (pcmbn_report_build()). A commune has
 * no child: an empty array. */
static gboolean
add_children (JsonBuilder *b,
              sqlite3 *db,
              const char *scope,
              gint64 months,
              GHashTable *counts,
              GHashTable *child_of,
              GPtrArray *child_counts,
              GError **error)
{
  g_autoptr (GHashTable) records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;
  sqlite3_stmt *stmt;
  int rc;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *slash = strrchr (key, '/');
      g_autofree char *commune = g_strndup (key, slash - (const char *)key);
      const char *child = g_hash_table_lookup (child_of, commune);
      g_autofree char *child_key = NULL;
      gint64 *sum;

      if (child == NULL)
        continue;
      child_key = g_strconcat (child, slash, NULL);
      sum = g_hash_table_lookup (records, child_key);
      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (records, g_steal_pointer (&child_key), sum);
        }
      *sum += *(gint64 *)value;
    }

  if (!pcmbn_report_prepare (db,
                             "SELECT code, name, level FROM org_units WHERE parent_code = ?1"
                             " ORDER BY code",
                             scope, NULL, NULL, &stmt, error))
    return FALSE;
  json_builder_set_member_name (b, "children");
  json_builder_begin_array (b);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *code = (const char *)sqlite3_column_text (stmt, 0);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "org_unit");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, (const char *)sqlite3_column_text (stmt, 1));
      json_builder_set_member_name (b, "level");
      json_builder_add_string_value (b, (const char *)sqlite3_column_text (stmt, 2));
      pcmbn_report_add_records (b, records, code);
      pcmbn_report_add_group_indicators (b, child_counts, code, months);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return pcmbn_report_finish (db, stmt, rc, error);
}

/* A count of months for the scope (@total) and each of its children
 * (@groups), from one pass: the months of each child, and their union. */
static gboolean
count_months (sqlite3 *db,
              const PcmbnIndicator *indicator,
              const char *scope,
              const char *from,
              const char *to,
              PcmbnIndicatorCounts *total,
              GHashTable *groups,
              GError **error)
{
  g_autofree char *sql = pcmbn_indicator_months_sql (indicator, PCMBN_REPORT_SCOPE_CHILDREN);
  g_autoptr (GHashTable) months = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_stmt *stmt;
  int rc;

  if (!pcmbn_report_prepare (db, sql, scope, from, to, &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *grp = (const char *)sqlite3_column_text (stmt, 0);
      PcmbnIndicatorCounts *counts = g_hash_table_lookup (groups, grp);

      if (counts == NULL)
        {
          counts = g_new0 (PcmbnIndicatorCounts, 1);
          g_hash_table_insert (groups, g_strdup (grp), counts);
        }
      counts->numerator++;
      g_hash_table_add (months, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
    }
  if (!pcmbn_report_finish (db, stmt, rc, error))
    return FALSE;
  total->numerator = g_hash_table_size (months);
  total->denominator = 0;
  return TRUE;
}

/* The scope's own counts of @indicator and its children's (into
 * @child_counts), from one query grouped by child: the scope's are their
 * sum, except a count of months, where the children's months are joined. */
static gboolean
count_with_children (sqlite3 *db,
                     const PcmbnIndicator *indicator,
                     const char *scope,
                     const char *from,
                     const char *to,
                     PcmbnIndicatorCounts *total,
                     GPtrArray *child_counts,
                     GError **error)
{
  GHashTable *groups;
  GHashTableIter iter;
  gpointer value;

  if (indicator->count == PCMBN_INDICATOR_MONTHS_WITH)
    {
      groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_ptr_array_add (child_counts, groups);
      return count_months (db, indicator, scope, from, to, total, groups, error);
    }
  groups = pcmbn_report_count_indicator (db, indicator, PCMBN_REPORT_SCOPE_CHILDREN, scope, from,
                                         to, error);
  if (groups == NULL)
    return FALSE;
  g_ptr_array_add (child_counts, groups);
  total->numerator = total->denominator = 0;
  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      total->numerator += ((PcmbnIndicatorCounts *)value)->numerator;
      total->denominator += ((PcmbnIndicatorCounts *)value)->denominator;
    }
  return TRUE;
}

/**
 * pcmbn_report_build:
 * @store: the database
 * @scope: an org unit; the report covers it and every commune under it
 * @from: first day, `YYYY-MM-DD`
 * @to: last day, inclusive
 * @flags: %PCMBN_REPORT_SUPPRESS_SMALL for district exports
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the report JSON of interfaces.md
 */
JsonNode *
pcmbn_report_build (PcmbnStore *store,
                    const char *scope,
                    const char *from,
                    const char *to,
                    PcmbnReportFlags flags,
                    GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  sqlite3 *db = pcmbn_store_get_db (store);
  gint64 months = pcmbn_report_months_touched (from, to);
  int year = atoi (to);
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);
  gboolean ok = TRUE, own_transaction;
  g_autoptr (PcmbnOrgUnit) unit = NULL;
  g_autoptr (GHashTable)
      per_commune = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) child_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray)
      child_counts = g_ptr_array_new_with_free_func ((GDestroyNotify)g_hash_table_unref);
  /* The kinds whose report table is the sums of their summed fields by
   * one catalogued field. */
  static const struct
  {
    const char *table, *kind, *group_field;
  } group_tables[] = {
    { "activities_by_type", "activity", "activity_type" },
    { "trainings_by_format", "training", "format" },
  };
  static const char *const counselling_tables[][2] = {
    { "counselling_by_channel", "channel" },
    { "counselling_by_client_type", "client_type" },
    { "counselling_by_topic", "topics" },
    { "counselling_by_referral", "referrals" },
  };

  unit = pcmbn_report_begin (store, scope, &own_transaction, error);
  if (unit == NULL)
    return NULL;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "period");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, from);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, to);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "org_unit");
  json_builder_add_string_value (b, scope);
  json_builder_set_member_name (b, "org_unit_name");
  json_builder_add_string_value (b, unit->full_name ? unit->full_name : unit->name);

  json_builder_set_member_name (b, "indicators");
  json_builder_begin_object (b);
  for (guint i = 0; ok && i < n_indicators; i++)
    {
      PcmbnIndicatorCounts total;
      double target;
      gboolean has_target;

      ok = count_with_children (db, &indicators[i], scope, from, to, &total, child_counts, error);
      if (!ok)
        break;
      has_target = pcmbn_store_get_target (store, year, indicators[i].key, &target)
                   || pcmbn_indicator_default_target (&indicators[i], year, months, &target);
      pcmbn_report_add_indicator (b, &indicators[i], &total, months, has_target ? &target : NULL,
                                  TRUE);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "tables");
  json_builder_begin_object (b);
  for (guint t = 0; ok && t < G_N_ELEMENTS (group_tables); t++)
    ok = add_group_table (b, db, group_tables[t].table, pcmbn_schema_kind (group_tables[t].kind),
                          group_tables[t].group_field, "r.rdate BETWEEN ?2 AND ?3", scope, from, to,
                          error);
  ok = ok && add_models_table (b, db, scope, from, to, error);
  {
    g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    ok = ok
         && count_counselling (db, counselling_tables, G_N_ELEMENTS (counselling_tables), scope,
                               from, to, counts, error);
    for (guint t = 0; ok && t < G_N_ELEMENTS (counselling_tables); t++)
      add_counselling_table (b, counselling_tables[t][0], counselling_tables[t][1], counts, flags);
  }
  ok = ok && add_materials_table (b, db, scope, from, to, error)
       && count_per_commune (db, scope, from, to, per_commune, child_of, error)
       && add_per_commune (b, db, scope, from, to, per_commune, error);
  json_builder_end_object (b);
  ok = ok && add_children (b, db, scope, months, per_commune, child_of, child_counts, error);
  json_builder_end_object (b);
  pcmbn_report_end (store, own_transaction);

  if (!ok)
    return NULL;
  return json_builder_get_root (b);
}
