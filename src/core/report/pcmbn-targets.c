/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>

#include "report/pcmbn-indicators.h"
#include "report/pcmbn-targets.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* A year's targets as the city sets them (`pcmbn-district targets`): the
 * values stored in the reference data, or the plan's where none is set.
 * The plan's successors reuse the indicators with new years and targets. */

static void
add_year (JsonBuilder *b, PcmbnStore *store, int year)
{
  guint n;
  const PcmbnIndicator *all = pcmbn_indicators (&n);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "year");
  json_builder_add_int_value (b, year);
  json_builder_set_member_name (b, "targets");
  json_builder_begin_object (b);
  for (guint i = 0; i < n; i++)
    {
      double value;
      gboolean set = pcmbn_store_get_target (store, year, all[i].key, &value);
      gboolean known = set || pcmbn_indicator_default_target (&all[i], year, 12, &value);

      json_builder_set_member_name (b, all[i].key);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "value");
      if (!known)
        json_builder_add_null_value (b);
      else if (pcmbn_indicator_is_count (&all[i]))
        json_builder_add_int_value (b, (gint64)value);
      else
        json_builder_add_double_value (b, value);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, set ? "set" : known ? "plan" : "none");
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/**
 * pcmbn_targets_to_json:
 * @store: the database
 * @year: a year, or 0 for every year with a target set and the current one
 *
 * Each year is `{"year", "targets": {KEY: {"value", "source"}}}`, where
 * source is `set` (stored), `plan` (the plan's default) or `none`; i3's
 * value is for a whole year.
 *
 * Returns: (transfer full): a JSON array of years, oldest first
 */
JsonNode *
pcmbn_targets_to_json (PcmbnStore *store, int year)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GArray) years = g_array_new (FALSE, FALSE, sizeof (int));

  if (year > 0)
    g_array_append_val (years, year);
  else
    {
      g_autofree char *today = pcmbn_date_format (pcmbn_today ());
      int current = atoi (today);
      gboolean has_current = FALSE;
      sqlite3_stmt *stmt;

      pcmbn_store_lock (store);
      sqlite3_prepare_v2 (pcmbn_store_get_db (store),
                          "SELECT DISTINCT year FROM targets ORDER BY year", -1, &stmt, NULL);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          int y = sqlite3_column_int (stmt, 0);
          if (y > current && !has_current)
            g_array_append_val (years, current);
          has_current = has_current || y >= current;
          g_array_append_val (years, y);
        }
      sqlite3_finalize (stmt);
      pcmbn_store_unlock (store);
      if (!has_current)
        g_array_append_val (years, current);
    }
  json_builder_begin_array (b);
  for (guint i = 0; i < years->len; i++)
    add_year (b, store, g_array_index (years, int, i));
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static gboolean
parse_assignment (const char *text, const PcmbnIndicator **out, double *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, "=", 2);
  const PcmbnIndicator *indicator;
  char *end = NULL;
  double v;

  if (parts[0] == NULL || parts[1] == NULL)
    {
      g_set_error (
          error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
          _ ("set: “%s” must be INDICATOR=VALUE, such as i2a_intensive_model_key_areas=0.4"), text);
      return FALSE;
    }
  indicator = pcmbn_indicator_lookup (g_strstrip (parts[0]));
  if (indicator == NULL)
    {
      guint n;
      const PcmbnIndicator *all = pcmbn_indicators (&n);
      g_autoptr (GString) keys = g_string_new (NULL);
      for (guint i = 0; i < n; i++)
        g_string_append_printf (keys, "%s%s", i ? ", " : "", all[i].key);
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("%s: is not an indicator; use one of %s"), parts[0], keys->str);
      return FALSE;
    }
  v = g_ascii_strtod (g_strstrip (parts[1]), &end);
  if (parts[1][0] == '\0' || end == NULL || *end != '\0' || !isfinite (v) || v < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("%s: “%s” is not a target; write a number of 0 or more"), indicator->key,
                   parts[1]);
      return FALSE;
    }
  if (pcmbn_indicator_is_count (indicator) && (v != floor (v) || v > 12))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("%s: “%s” is not a target; write a whole number of months, 0 to 12"),
                   indicator->key, parts[1]);
      return FALSE;
    }
  if (indicator->count == PCMBN_INDICATOR_COMMUNES_WITH && v > 1)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("%s: “%s” is not a target; write a share of communes from 0 to 1, such as "
                      "0.3 for 30%%"),
                   indicator->key, parts[1]);
      return FALSE;
    }
  *out = indicator;
  *value = v;
  return TRUE;
}

/**
 * pcmbn_targets_set:
 * @store: the database
 * @year: the year the targets are for
 * @assignments: (array zero-terminated=1): `INDICATOR=VALUE` texts
 * @error: return location for an error naming the indicator
 *
 * Sets every target given, or none when one is wrong.
 *
 * Returns: %TRUE when all were stored
 */
gboolean
pcmbn_targets_set (PcmbnStore *store, int year, const char *const *assignments, GError **error)
{
  guint n = assignments ? g_strv_length ((char **)assignments) : 0;
  g_autofree const PcmbnIndicator **indicators = g_new0 (const PcmbnIndicator *, n + 1);
  g_autofree double *values = g_new0 (double, n + 1);

  if (year < 2000 || year > 2100)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("year: %d is not a year; write it like 2026"), year);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (!parse_assignment (assignments[i], &indicators[i], &values[i], error))
      return FALSE;
  if (!pcmbn_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!pcmbn_store_set_target (store, year, indicators[i]->key, values[i], error))
      {
        pcmbn_store_rollback (store);
        return FALSE;
      }
  return pcmbn_store_commit (store, error);
}
