/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "report/pcmbn-report-communes.h"
#include "pcmbn-test-util.h"
#include "report-gen.h"

/* The dashboard's per-commune path (one GROUP BY per quantity over the
 * whole district) against the report engine asked commune by commune, whose
 * numbers report-gen checks in turn against its own computation in C. */

static GenWorld *
district_world (guint32 seed, guint per_commune)
{
  GenWorld *world = gen_world_new (7);

  gen_world_set_facts (world, "C01", TRUE, 5000);
  gen_world_set_facts (world, "C02", TRUE, 8000);
  gen_world_set_facts (world, "C03", TRUE, -1); /* key area, population unknown */
  gen_world_set_facts (world, "C04", TRUE, 3000);
  gen_world_set_facts (world, "C05", FALSE, 4000); /* not a key area */
  gen_world_set_facts (world, "C06", FALSE, -1);
  gen_world_set_facts (world, "C07", TRUE, 2000); /* sends nothing */
  gen_world_set_facts (world, "C90", TRUE, 9000); /* another district */
  gen_world_fill (world, seed, per_commune);
  return world;
}

static JsonObject *
member (JsonObject *o, const char *name)
{
  g_assert_true (json_object_has_member (o, name));
  return json_object_get_object_member (o, name);
}

static void
assert_same_number (JsonObject *a, JsonObject *b, const char *name)
{
  JsonNode *x = json_object_get_member (a, name);
  JsonNode *y = json_object_get_member (b, name);

  g_assert_nonnull (x);
  g_assert_nonnull (y);
  g_assert_cmpint (JSON_NODE_HOLDS_NULL (x), ==, JSON_NODE_HOLDS_NULL (y));
  if (!JSON_NODE_HOLDS_NULL (x))
    g_assert_cmpfloat_with_epsilon (json_node_get_double (x), json_node_get_double (y), 1e-12);
}

static void
compare (GenWorld *world, const char *from, const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) rows = pcmbn_report_build_communes (world->store, "D1", from, to, &error);
  JsonArray *array;

  g_assert_no_error (error);
  g_assert_nonnull (rows);
  array = json_node_get_array (rows);
  /* Every commune of D1, by code, and none of another district. */
  g_assert_cmpuint (json_array_get_length (array), ==, world->communes->len);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *row = json_array_get_object_element (array, i);
      const char *code = json_object_get_string_member (row, "org_unit");
      g_autoptr (JsonNode) own = NULL;
      JsonObject *own_ind, *row_ind, *own_row;
      JsonArray *per_commune;

      g_assert_cmpstr (code, ==, world->communes->pdata[i]);
      g_assert_true (json_object_get_null_member (row, "last_sync"));
      g_assert_cmpint (json_object_get_boolean_member (row, "key_area"), ==,
                       g_hash_table_contains (world->key_area, code));

      /* The engine with the commune as scope, itself checked independently. */
      own = gen_report (world, code, from, to, PCMBN_REPORT_DEFAULT);
      gen_world_check_report (world, own, code, from, to);
      own_ind = member (json_node_get_object (own), "indicators");
      row_ind = member (row, "indicators");
      for (guint k = 0; pcmbn_indicator_keys[k]; k++)
        {
          JsonObject *a = member (own_ind, pcmbn_indicator_keys[k]);
          JsonObject *b = member (row_ind, pcmbn_indicator_keys[k]);
          assert_same_number (a, b, "value");
          assert_same_number (a, b, "numerator");
          assert_same_number (a, b, "denominator");
        }
      per_commune = json_object_get_array_member (member (json_node_get_object (own), "tables"),
                                                  "per_commune");
      g_assert_cmpuint (json_array_get_length (per_commune), ==, 1);
      own_row = json_array_get_object_element (per_commune, 0);
      {
        JsonObject *a = member (own_row, "records");
        JsonObject *b = member (row, "records");
        g_autoptr (GList) names = json_object_get_members (a);
        g_assert_cmpuint (json_object_get_size (a), ==, json_object_get_size (b));
        for (GList *l = names; l; l = l->next)
          g_assert_cmpint (json_object_get_int_member (a, l->data), ==,
                           json_object_get_int_member (b, l->data));
      }
    }
}

static void
test_generated (gconstpointer data)
{
  g_autoptr (GenWorld) world = district_world (GPOINTER_TO_UINT (data), 140);

  compare (world, "2024-01-01", "2024-12-31");
  compare (world, "2025-01-01", "2025-12-31");
  compare (world, "2026-01-01", "2026-12-31");
  compare (world, "2025-11-01", "2026-02-28");
  compare (world, "2026-03-15", "2026-03-15");
  compare (world, "2010-01-01", "2010-12-31"); /* before any record */
}

/* Hand-made edge cases: a dissolved model, a deleted material, a material
 * received but not deployed, press at district level only. */
static void
test_edges (void)
{
  g_autoptr (GenWorld) world = gen_world_new (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) rows = NULL;
  const char *deleted;
  JsonObject *c1, *c2, *c3;

  gen_world_set_facts (world, "C01", TRUE, 1000);
  gen_world_set_facts (world, "C02", TRUE, -1);
  gen_world_set_facts (world, "C03", FALSE, 500);
  /* C01: a deployed material, an intensive model dissolved in 2026 (it counts
   * for 2025, not for 2026). */
  gen_world_add (
      world, "C01", "material",
      "{\"material_type\":\"leaflet\",\"received_on\":\"2026-02-01\","
      "\"quantity_received\":100,\"deployed_on\":\"2026-03-01\",\"quantity_deployed\":80}");
  gen_world_add (
      world, "C01", "model",
      "{\"name\":\"Mô hình A\",\"model_type\":\"intensive\",\"model_kind\":\"women_and_law_club\","
      "\"established_on\":\"2025-05-01\",\"status\":\"dissolved\",\"status_since\":\"2026-06-01\","
      "\"members_total\":20}");
  /* C02: the material is deleted; the integrated model dissolved in the year. */
  deleted = gen_world_add (
      world, "C02", "material",
      "{\"material_type\":\"poster\",\"received_on\":\"2026-02-01\","
      "\"quantity_received\":10,\"deployed_on\":\"2026-02-02\",\"quantity_deployed\":10}");
  gen_world_delete (world, deleted);
  gen_world_add (
      world, "C02", "model",
      "{\"name\":\"Mô hình B\",\"model_type\":\"integrated\",\"model_kind\":\"women_and_law_club\","
      "\"established_on\":\"2024-05-01\",\"status\":\"dissolved\",\"status_since\":\"2026-06-30\","
      "\"members_total\":12}");
  /* C03: received, never deployed; an integrated model alive. */
  gen_world_add (world, "C03", "material",
                 "{\"material_type\":\"leaflet\",\"received_on\":\"2026-02-01\","
                 "\"quantity_received\":100}");
  gen_world_add (
      world, "C03", "model",
      "{\"name\":\"Mô hình C\",\"model_type\":\"integrated\",\"model_kind\":\"women_and_law_club\","
      "\"established_on\":\"2026-01-01\",\"status\":\"active\",\"members_total\":9}");

  rows = pcmbn_report_build_communes (world->store, "D1", "2026-01-01", "2026-12-31", &error);
  g_assert_no_error (error);
  c1 = json_array_get_object_element (json_node_get_array (rows), 0);
  c2 = json_array_get_object_element (json_node_get_array (rows), 1);
  c3 = json_array_get_object_element (json_node_get_array (rows), 2);
  g_assert_cmpint (json_object_get_int_member (
                       member (member (c1, "indicators"), "i1_materials_deployed"), "numerator"),
                   ==, 1);
  g_assert_cmpint (json_object_get_int_member (
                       member (member (c2, "indicators"), "i1_materials_deployed"), "numerator"),
                   ==, 0);
  g_assert_cmpint (json_object_get_int_member (
                       member (member (c3, "indicators"), "i1_materials_deployed"), "numerator"),
                   ==, 0);
  g_assert_cmpint (
      json_object_get_int_member (
          member (member (c1, "indicators"), "i2a_intensive_model_key_areas"), "numerator"),
      ==, 0);
  g_assert_cmpint (json_object_get_int_member (
                       member (member (c2, "indicators"), "i2b_integrated_model"), "numerator"),
                   ==, 0);
  g_assert_cmpint (json_object_get_int_member (
                       member (member (c3, "indicators"), "i2b_integrated_model"), "numerator"),
                   ==, 1);
  /* Outside the key areas, i2a and i4 do not count: denominator 0, null. */
  g_assert_cmpint (
      json_object_get_int_member (
          member (member (c3, "indicators"), "i2a_intensive_model_key_areas"), "denominator"),
      ==, 0);
  g_assert_true (json_object_get_null_member (
      member (member (c3, "indicators"), "i4_reach_14_60_key_areas"), "value"));
  /* A key area with an unknown population: i4 does not count either. */
  g_assert_true (json_object_get_null_member (
      member (member (c2, "indicators"), "i4_reach_14_60_key_areas"), "value"));
  g_assert_true (json_object_get_null_member (c2, "population_14_60"));
  g_assert_cmpint (json_object_get_int_member (member (c1, "records"), "material"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (member (c2, "records"), "material"), ==, 0);
  compare (world, "2026-01-01", "2026-12-31");
  compare (world, "2025-01-01", "2025-12-31");
  g_clear_pointer (&rows, json_node_unref);
  rows = pcmbn_report_build_communes (world->store, "D1", "2025-01-01", "2025-12-31", &error);
  g_assert_no_error (error);
  c1 = json_array_get_object_element (json_node_get_array (rows), 0);
  g_assert_cmpint (
      json_object_get_int_member (
          member (member (c1, "indicators"), "i2a_intensive_model_key_areas"), "numerator"),
      ==, 1);
  /* i1 is cumulative up to the end of the period: not yet in 2025. */
  g_assert_cmpint (json_object_get_int_member (
                       member (member (c1, "indicators"), "i1_materials_deployed"), "numerator"),
                   ==, 0);
}

static void
test_bad_scope (void)
{
  g_autoptr (GenWorld) world = gen_world_new (2);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) rows = NULL;

  rows = pcmbn_report_build_communes (world->store, "NOPE", "2026-01-01", "2026-12-31", &error);
  g_assert_null (rows);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "org_unit: "));
  g_clear_error (&error);
  /* A commune as the scope: itself alone. */
  g_clear_pointer (&rows, json_node_unref);
  rows = pcmbn_report_build_communes (world->store, "C02", "2026-01-01", "2026-12-31", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (rows)), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/dashboard-communes/generated/1", GUINT_TO_POINTER (1), test_generated);
  g_test_add_data_func ("/dashboard-communes/generated/77", GUINT_TO_POINTER (77), test_generated);
  g_test_add_func ("/dashboard-communes/edges", test_edges);
  g_test_add_func ("/dashboard-communes/bad-scope", test_bad_scope);
  return g_test_run ();
}
