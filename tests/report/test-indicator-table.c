/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "records/pcmbn-schema.h"
#include "report/pcmbn-indicators.h"
#include "report/pcmbn-report-communes.h"
#include "report/pcmbn-report-export.h"
#include "report/pcmbn-report-private.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "report-gen.h"

/* The indicator table drives every consumer: each entry, and nothing else,
 * appears in the report, the per-commune table and the exports; an entry
 * that is not in the table (a new indicator) is counted by the same SQL
 * generator for any grouping. tests/check-indicators-once.sh checks that no
 * other source file names an indicator. */

static void
test_report_follows_table (void)
{
  g_autoptr (GenWorld) world = gen_world_new (5);
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (JsonNode) communes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) csv = NULL;
  guint n;
  const PcmbnIndicator *all = pcmbn_indicators (&n);
  JsonObject *indicators;
  JsonArray *rows;

  gen_world_fill (world, 7, 20);
  report = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  indicators = json_object_get_object_member (json_node_get_object (report), "indicators");
  g_assert_cmpuint (json_object_get_size (indicators), ==, n);
  for (guint i = 0; pcmbn_indicator_keys[i]; i++)
    g_assert_cmpstr (pcmbn_indicator_keys[i], ==, all[i].key);
  g_assert_null (pcmbn_indicator_keys[n]);

  communes = pcmbn_report_build_communes (world->store, "D1", "2026-01-01", "2026-12-31", &error);
  g_assert_no_error (error);
  rows = json_node_get_array (communes);
  g_assert_cmpuint (json_array_get_length (rows), >, 0);

  csv = pcmbn_report_export (report, PCMBN_REPORT_FORMAT_CSV, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *ind = json_object_get_object_member (indicators, all[i].key);
      JsonNode *value = json_object_get_member (ind, "value");

      g_assert_nonnull (ind);
      /* "i3 is a count": the table says which value is a whole number. */
      if (pcmbn_indicator_is_count (&all[i]))
        g_assert_cmpint (json_node_get_value_type (value), ==, G_TYPE_INT64);
      g_assert_cmpint (json_object_has_member (ind, "unit"), ==, all[i].unit != NULL);
      for (guint r = 0; r < json_array_get_length (rows); r++)
        {
          JsonObject *row = json_array_get_object_element (rows, r);
          JsonObject *own = json_object_get_object_member (row, "indicators");
          g_assert_true (json_object_has_member (own, all[i].key));
          g_assert_cmpuint (json_object_get_size (own), ==, n);
        }
      /* The exports label each row from the table (C locale: English). */
      g_assert_nonnull (
          g_strstr_len (g_bytes_get_data (csv, NULL), g_bytes_get_size (csv), all[i].label_en));
      g_assert_cmpstr (pcmbn_indicator_label (&all[i]), ==, all[i].label_en);
      g_assert_true (pcmbn_indicator_lookup (all[i].key) == &all[i]);
    }
  g_assert_null (pcmbn_indicator_lookup ("i9_not_an_indicator"));
}

/* A sixth indicator, described here as one entry and never added to the
 * table: the generator counts it over the whole scope and per commune, and
 * the two agree with a count made in C over the same records. */
static void
test_new_indicator_is_one_entry (void)
{
  static const PcmbnIndicatorTarget targets[] = { { 2024, 0.5 } };
  static const PcmbnIndicator trainings = {
    .key = "i9_communes_with_workshop",
    .label_vi = "Xã có hội thảo",
    .label_en = "Communes with a workshop",
    .count = PCMBN_INDICATOR_COMMUNES_WITH,
    .kind = "training",
    .span = PCMBN_INDICATOR_IN_PERIOD,
    .records = "r.f_format = 'workshop'",
    .targets = targets,
    .n_targets = G_N_ELEMENTS (targets),
  };
  g_autoptr (GenWorld) world = gen_world_new (4);
  g_autoptr (GHashTable) total = NULL, per_commune = NULL;
  g_autoptr (GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  sqlite3 *db = pcmbn_store_get_db (world->store);
  PcmbnIndicatorCounts *counts;
  double target;

  gen_world_fill (world, 11, 60);
  for (guint i = 0; i < world->records->len; i++)
    {
      GenRecord *r = world->records->pdata[i];
      const char *date = json_object_get_string_member_with_default (r->data, "date", "");
      if (!r->deleted && g_str_equal (r->kind, "training")
          && g_strcmp0 (json_object_get_string_member_with_default (r->data, "format", ""),
                        "workshop")
                 == 0
          && strcmp (date, "2023-01-01") >= 0 && strcmp (date, "2026-12-31") <= 0)
        g_hash_table_add (expected, r->org_unit);
    }
  /* C90 is in D2, never in D1's count. */
  g_hash_table_remove (expected, "C90");
  g_assert_cmpuint (g_hash_table_size (expected), >, 0);

  total = pcmbn_report_count_indicator (db, &trainings, PCMBN_REPORT_SCOPE_TOTAL, "D1",
                                        "2023-01-01", "2026-12-31", &error);
  g_assert_no_error (error);
  counts = g_hash_table_lookup (total, "D1");
  g_assert_nonnull (counts);
  g_assert_cmpint (counts->numerator, ==, g_hash_table_size (expected));
  g_assert_cmpint (counts->denominator, ==, world->communes->len);

  per_commune = pcmbn_report_count_indicator (db, &trainings, PCMBN_REPORT_SCOPE_COMMUNES, "D1",
                                              "2023-01-01", "2026-12-31", &error);
  g_assert_no_error (error);
  for (guint c = 0; c < world->communes->len; c++)
    {
      const char *code = world->communes->pdata[c];
      counts = g_hash_table_lookup (per_commune, code);
      g_assert_nonnull (counts);
      g_assert_cmpint (counts->numerator, ==, g_hash_table_contains (expected, code));
      g_assert_cmpint (counts->denominator, ==, 1);
    }

  g_assert_false (pcmbn_indicator_default_target (&trainings, 2023, 12, &target));
  g_assert_true (pcmbn_indicator_default_target (&trainings, 2030, 12, &target));
  g_assert_cmpfloat (target, ==, 0.5);
}

/* Per child: the city's report split by district, in one grouped pass,
 * gives each district's own numbers. */
static void
test_children_grouping (void)
{
  g_autoptr (GenWorld) world = gen_world_new (4);
  g_autoptr (GError) error = NULL;
  sqlite3 *db = pcmbn_store_get_db (world->store);
  guint n;
  const PcmbnIndicator *all = pcmbn_indicators (&n);

  gen_world_fill (world, 5, 15);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GHashTable) children = pcmbn_report_count_indicator (
          db, &all[i], PCMBN_REPORT_SCOPE_CHILDREN, "T1", "2026-01-01", "2026-12-31", &error);
      g_assert_no_error (error);
      for (guint d = 0; d < 2; d++)
        {
          const char *district = d == 0 ? "D1" : "D2";
          g_autoptr (GHashTable) own = pcmbn_report_count_indicator (
              db, &all[i], PCMBN_REPORT_SCOPE_TOTAL, district, "2026-01-01", "2026-12-31", &error);
          PcmbnIndicatorCounts *a = g_hash_table_lookup (children, district);
          PcmbnIndicatorCounts *b = g_hash_table_lookup (own, district);
          g_assert_no_error (error);
          g_assert_cmpint (a ? a->numerator : 0, ==, b ? b->numerator : 0);
          g_assert_cmpint (a ? a->denominator : 0, ==, b ? b->denominator : 0);
        }
    }
}

/* The public per-child breakdown: each district's row equals the
 * district's own report. */
static void
test_children_report (void)
{
  g_autoptr (GenWorld) world = gen_world_new (4);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) rows = NULL;
  JsonArray *array;

  gen_world_fill (world, 9, 15);
  rows = pcmbn_report_build_children (world->store, "T1", "2026-01-01", "2026-12-31", &error);
  g_assert_no_error (error);
  array = json_node_get_array (rows);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *row = json_array_get_object_element (array, i);
      const char *code = json_object_get_string_member (row, "org_unit");
      g_autoptr (JsonNode)
          own = gen_report (world, code, "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
      JsonObject *own_ind = json_object_get_object_member (json_node_get_object (own),
                                                           "indicators");
      JsonObject *row_ind = json_object_get_object_member (row, "indicators");
      JsonArray *per_commune = json_object_get_array_member (
          json_object_get_object_member (json_node_get_object (own), "tables"), "per_commune");
      gint64 activities = 0;

      g_assert_cmpstr (code, ==, i == 0 ? "D1" : "D2");
      for (guint k = 0; pcmbn_indicator_keys[k]; k++)
        {
          JsonObject *a = json_object_get_object_member (own_ind, pcmbn_indicator_keys[k]);
          JsonObject *b = json_object_get_object_member (row_ind, pcmbn_indicator_keys[k]);
          g_assert_cmpint (json_object_get_int_member (a, "numerator"), ==,
                           json_object_get_int_member (b, "numerator"));
          g_assert_cmpint (json_object_get_int_member (a, "denominator"), ==,
                           json_object_get_int_member (b, "denominator"));
        }
      for (guint c = 0; c < json_array_get_length (per_commune); c++)
        activities += json_object_get_int_member (
            json_object_get_object_member (json_array_get_object_element (per_commune, c),
                                           "records"),
            "activity");
      g_assert_cmpint (
          json_object_get_int_member (json_object_get_object_member (row, "records"), "activity"),
          ==, activities);
    }
}

/* The report's own `children`: one entry per unit right under the scope,
 * each equal to that unit's own report, and for every indicator that counts
 * communes or adds a field, the children add up to the parent (a count of
 * months does not: two communes share a month). */
static void
check_children (GenWorld *world, const char *scope, guint n_children)
{
  g_autoptr (JsonNode)
      report = gen_report (world, scope, "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  JsonObject *top = json_node_get_object (report);
  JsonObject *indicators = json_object_get_object_member (top, "indicators");
  JsonArray *children = json_object_get_array_member (top, "children");
  JsonArray *per_commune = json_object_get_array_member (
      json_object_get_object_member (top, "tables"), "per_commune");
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  guint n;
  const PcmbnIndicator *all = pcmbn_indicators (&n);

  g_assert_nonnull (children);
  g_assert_cmpuint (json_array_get_length (children), ==, n_children);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *whole = json_object_get_object_member (indicators, all[i].key);
      gint64 num = 0, den = 0;

      for (guint c = 0; c < json_array_get_length (children); c++)
        {
          JsonObject *child = json_object_get_object_member (
              json_object_get_object_member (json_array_get_object_element (children, c),
                                             "indicators"),
              all[i].key);
          num += json_object_get_int_member (child, "numerator");
          den += json_object_get_int_member (child, "denominator");
        }
      /* A commune has no child to add up. */
      if (all[i].count == PCMBN_INDICATOR_MONTHS_WITH || n_children == 0)
        continue;
      g_assert_cmpint (num, ==, json_object_get_int_member (whole, "numerator"));
      g_assert_cmpint (den, ==, json_object_get_int_member (whole, "denominator"));
    }
  for (guint k = 0; k < n_kinds; k++)
    {
      gint64 sum = 0, want = 0;
      for (guint c = 0; c < json_array_get_length (children); c++)
        sum += json_object_get_int_member (
            json_object_get_object_member (json_array_get_object_element (children, c), "records"),
            kinds[k]->name);
      for (guint c = 0; n_children > 0 && c < json_array_get_length (per_commune); c++)
        want += json_object_get_int_member (
            json_object_get_object_member (json_array_get_object_element (per_commune, c),
                                           "records"),
            kinds[k]->name);
      g_assert_cmpint (sum, ==, want);
    }

  for (guint c = 0; c < json_array_get_length (children); c++)
    {
      JsonObject *row = json_array_get_object_element (children, c);
      const char *code = json_object_get_string_member (row, "org_unit");
      g_autoptr (JsonNode)
          own = gen_report (world, code, "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
      JsonObject *own_top = json_node_get_object (own);
      JsonObject *own_ind = json_object_get_object_member (own_top, "indicators");
      JsonObject *row_ind = json_object_get_object_member (row, "indicators");
      JsonArray *own_communes = json_object_get_array_member (
          json_object_get_object_member (own_top, "tables"), "per_commune");

      g_assert_nonnull (json_object_get_string_member (row, "name"));
      for (guint i = 0; i < n; i++)
        {
          JsonObject *a = json_object_get_object_member (own_ind, all[i].key);
          JsonObject *b = json_object_get_object_member (row_ind, all[i].key);
          JsonNode *va = json_object_get_member (a, "value");
          JsonNode *vb = json_object_get_member (b, "value");
          g_assert_cmpint (json_object_get_int_member (a, "numerator"), ==,
                           json_object_get_int_member (b, "numerator"));
          g_assert_cmpint (json_object_get_int_member (a, "denominator"), ==,
                           json_object_get_int_member (b, "denominator"));
          g_assert_true (json_node_equal (va, vb));
        }
      for (guint k = 0; k < n_kinds; k++)
        {
          gint64 want = 0;
          for (guint r = 0; r < json_array_get_length (own_communes); r++)
            want += json_object_get_int_member (
                json_object_get_object_member (json_array_get_object_element (own_communes, r),
                                               "records"),
                kinds[k]->name);
          g_assert_cmpint (json_object_get_int_member (
                               json_object_get_object_member (row, "records"), kinds[k]->name),
                           ==, want);
        }
    }
}

static void
test_report_children (void)
{
  g_autoptr (GenWorld) world = gen_world_new (5);

  gen_world_fill (world, 11, 25);
  check_children (world, "T1", 2); /* the districts of the city */
  check_children (world, "D1", 5); /* the communes of a district */
  check_children (world, "C01", 0);
}

/* Reports add up only the fields the schema marks as summed. */
static void
test_summed_fields (void)
{
  static const PcmbnField age = { .name = "age", .type = PCMBN_FIELD_INT };
  static const PcmbnField text = { .name = "note",
                                   .type = PCMBN_FIELD_TEXT,
                                   .flags = PCMBN_FIELD_SUMMED };
  g_autoptr (GenWorld) world = gen_world_new (2);
  g_autoptr (JsonNode) report = NULL;
  const PcmbnKind *activity = pcmbn_schema_kind ("activity");
  JsonObject *tables, *row;
  guint summed = 0;

  g_assert_false (pcmbn_field_is_summed (&age));
  g_assert_false (pcmbn_field_is_summed (&text));
  report = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  tables = json_object_get_object_member (json_node_get_object (report), "tables");
  row = json_array_get_object_element (json_object_get_array_member (tables, "activities_by_type"),
                                       0);
  for (guint f = 0; f < activity->n_fields; f++)
    {
      const PcmbnField *field = &activity->fields[f];
      g_assert_cmpint (json_object_has_member (row, field->name), ==,
                       pcmbn_field_is_summed (field) || g_str_equal (field->name, "activity_type"));
      summed += pcmbn_field_is_summed (field);
    }
  /* activity_type, count and one column per summed field */
  g_assert_cmpuint (json_object_get_size (row), ==, summed + 2);
  g_assert_cmpuint (summed, >, 0);
}

int
main (int argc, char **argv)
{
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/indicator-table/report", test_report_follows_table);
  g_test_add_func ("/indicator-table/new-entry", test_new_indicator_is_one_entry);
  g_test_add_func ("/indicator-table/children", test_children_grouping);
  g_test_add_func ("/indicator-table/children-report", test_children_report);
  g_test_add_func ("/indicator-table/report-children", test_report_children);
  g_test_add_func ("/indicator-table/summed-fields", test_summed_fields);
  return g_test_run ();
}
