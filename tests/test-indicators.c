/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "report/pcmbn-report.h"
#include "pcmbn-test-util.h"

/* Small hand-computed cases of indicators.md for one commune (00001). */

static char *
add (PcmbnStore *store, const char *kind, const char *json)
{
  g_autoptr (JsonObject) data = pcmbn_test_json (json);
  g_autoptr (GError) error = NULL;
  char *uuid = pcmbn_store_add (store, kind, data, &error);

  g_assert_no_error (error);
  return uuid;
}

static JsonObject *
indicator (JsonNode *report, const char *key)
{
  JsonObject *indicators = json_object_get_object_member (json_node_get_object (report),
                                                          "indicators");
  g_assert_true (json_object_has_member (indicators, key));
  return json_object_get_object_member (indicators, key);
}

static JsonNode *
report (PcmbnStore *store, const char *from, const char *to)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = pcmbn_report_build (store, "00001", from, to, PCMBN_REPORT_DEFAULT, &error);

  g_assert_no_error (error);
  return node;
}

static void
assert_fraction (JsonNode *r, const char *key, gint64 num, gint64 den)
{
  JsonObject *i = indicator (r, key);

  g_assert_cmpint (json_object_get_int_member (i, "numerator"), ==, num);
  g_assert_cmpint (json_object_get_int_member (i, "denominator"), ==, den);
  if (den == 0)
    g_assert_true (json_object_get_null_member (i, "value"));
  else
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (i, "value"), (double)num / den,
                                    1e-9);
}

static void
test_empty_commune (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
  JsonObject *root = json_node_get_object (r);

  g_assert_cmpstr (json_object_get_string_member (root, "org_unit"), ==, "00001");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (root, "period"), "from"), ==,
      "2026-01-01");
  assert_fraction (r, "i1_materials_deployed", 0, 1);
  /* Not a key area: the key-area indicators have no denominator. */
  assert_fraction (r, "i2a_intensive_model_key_areas", 0, 0);
  assert_fraction (r, "i2b_integrated_model", 0, 1);
  assert_fraction (r, "i4_reach_14_60_key_areas", 0, 0);
  g_assert_cmpint (json_object_get_int_member (indicator (r, "i3_press_months"), "value"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (indicator (r, "i3_press_months"), "denominator"), ==,
                   12);
}

static void
test_i1_materials (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *late = NULL, *deleted = NULL;

  /* Deployed after the end of 2024: counts for 2025, not for 2024. */
  late = add (store, "material",
              "{\"material_type\":\"leaflet\",\"received_on\":\"2024-12-20\","
              "\"quantity_received\":100,\"deployed_on\":\"2025-01-05\",\"quantity_deployed\":80}");
  {
    g_autoptr (JsonNode) r2024 = report (store, "2024-01-01", "2024-12-31");
    g_autoptr (JsonNode) r2026 = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r2024, "i1_materials_deployed", 0, 1);
    /* Cumulative: a deployment of an earlier year counts. */
    assert_fraction (r2026, "i1_materials_deployed", 1, 1);
  }
  g_assert_true (pcmbn_store_delete (store, late, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r, "i1_materials_deployed", 0, 1);
  }
  /* Received but never deployed does not count. */
  deleted = add (
      store, "material",
      "{\"material_type\":\"poster\",\"received_on\":\"2026-02-01\",\"quantity_received\":5}");
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r, "i1_materials_deployed", 0, 1);
  }
}

static void
test_i2_models (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;

  g_assert_true (pcmbn_store_set_unit_facts (store, "00001", 1, -2, &error));
  a = add (store, "model",
           "{\"name\":\"CLB phòng, chống mua bán người\",\"model_type\":\"intensive\","
           "\"established_on\":\"2023-03-01\",\"status\":\"dissolved\",\"status_since\":"
           "\"2025-06-01\"}");
  {
    g_autoptr (JsonNode) r2024 = report (store, "2024-01-01", "2024-12-31");
    g_autoptr (JsonNode) r2025 = report (store, "2025-01-01", "2025-12-31");
    g_autoptr (JsonNode) r2022 = report (store, "2022-01-01", "2022-12-31");
    /* Dissolved after the end of 2024: still there in 2024. */
    assert_fraction (r2024, "i2a_intensive_model_key_areas", 1, 1);
    assert_fraction (r2025, "i2a_intensive_model_key_areas", 0, 1);
    /* Not yet established in 2022. */
    assert_fraction (r2022, "i2a_intensive_model_key_areas", 0, 1);
    assert_fraction (r2024, "i2b_integrated_model", 0, 1);
  }
  b = add (
      store, "model",
      "{\"name\":\"CLB Phụ nữ và pháp luật\",\"model_type\":\"integrated\","
      "\"established_on\":\"2025-03-01\",\"status\":\"paused\",\"status_since\":\"2025-09-01\"}");
  {
    g_autoptr (JsonNode) r = report (store, "2025-01-01", "2025-12-31");
    /* Paused is not dissolved. */
    assert_fraction (r, "i2b_integrated_model", 1, 1);
    assert_fraction (r, "i2a_intensive_model_key_areas", 0, 1);
  }
  g_assert_true (pcmbn_store_delete (store, b, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2025-01-01", "2025-12-31");
    assert_fraction (r, "i2b_integrated_model", 0, 1);
  }
}

static const char *
press (const char *type, const char *date, const char *level)
{
  static char buf[512];
  g_snprintf (buf, sizeof buf,
              "{\"date\":\"%s\",\"activity_type\":\"%s\",\"subproject\":\"mass_media\","
              "\"title\":\"Tin bài\",\"outlet\":\"Báo Hànộimới\",\"outlet_level\":\"%s\"}",
              date, type, level);
  return buf;
}

static void
test_i3_press_months (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *u1 = NULL, *u2 = NULL, *u3 = NULL, *u4 = NULL, *u5 = NULL, *u6 = NULL,
                  *u7 = NULL;

  u1 = add (store, "activity", press ("press_article", "2026-01-15", "city"));
  u2 = add (store, "activity", press ("press_article", "2026-03-02", "city"));
  u3 = add (store, "activity", press ("radio_tv", "2026-03-28", "city"));
  u4 = add (store, "activity", press ("press_article", "2026-04-10", "commune"));
  u5 = add (store, "activity", press ("web_social_post", "2026-05-10", "city"));
  u6 = add (store, "activity", press ("radio_tv", "2026-06-10", "city"));
  u7 = add (store, "activity", press ("press_article", "2025-12-01", "city"));
  g_assert_true (pcmbn_store_delete (store, u6, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    JsonObject *i3 = indicator (r, "i3_press_months");
    g_assert_cmpint (json_object_get_int_member (i3, "value"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (i3, "numerator"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (i3, "denominator"), ==, 12);
    g_assert_cmpint (json_object_get_int_member (i3, "target"), ==, 12);
  }
  {
    /* A period across the new year: November to February touches 4 months,
     * and the targets are those of the year of `to`. */
    g_autoptr (JsonNode) r = report (store, "2025-11-15", "2026-02-10");
    JsonObject *i3 = indicator (r, "i3_press_months");
    g_assert_cmpint (json_object_get_int_member (i3, "value"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (i3, "denominator"), ==, 4);
    g_assert_cmpint (json_object_get_int_member (i3, "target"), ==, 4);
  }
}

static void
test_i4_reach (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
#define talk                                                                            \
  "{\"date\":\"%s\",\"activity_type\":\"community_talk\",\"subproject\":\"community\"," \
  "\"title\":\"Nói chuyện\",\"participants_total\":%d,\"participants_14_60\":%d}"
  g_autofree char *j1 = g_strdup_printf (talk, "2026-02-01", 400, 300);
  g_autofree char *j2 = g_strdup_printf (talk, "2026-07-30", 500, 450);
  g_autofree char *j3 = g_strdup_printf (talk, "2025-07-30", 500, 500);
  g_autofree char *j4 = g_strdup_printf (talk, "2026-08-01", 100, 100);

  a = add (store, "activity", j1);
  b = add (store, "activity", j2);
  c = add (store, "activity", j3);
  d = add (store, "activity", j4);
  g_assert_true (pcmbn_store_delete (store, d, &error));
  /* A key area whose population is unknown is left out. */
  g_assert_true (pcmbn_store_set_unit_facts (store, "00001", 1, -1, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r, "i4_reach_14_60_key_areas", 0, 0);
  }
  g_assert_true (pcmbn_store_set_unit_facts (store, "00001", -1, 1000, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r, "i4_reach_14_60_key_areas", 750, 1000);
  }
  /* Person-times may exceed the population. */
  g_assert_true (pcmbn_store_set_unit_facts (store, "00001", -1, 500, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r, "i4_reach_14_60_key_areas", 750, 500);
  }
  /* Not a key area any more. */
  g_assert_true (pcmbn_store_set_unit_facts (store, "00001", 0, -2, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    assert_fraction (r, "i4_reach_14_60_key_areas", 0, 0);
  }
}

static void
test_targets (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (JsonNode) r = report (store, "2017-01-01", "2017-12-31");
    for (guint i = 0; pcmbn_indicator_keys[i]; i++)
      g_assert_true (
          json_object_get_null_member (indicator (r, pcmbn_indicator_keys[i]), "target"));
  }
  {
    g_autoptr (JsonNode) r = report (store, "2019-01-01", "2019-12-31");
    g_assert_cmpfloat (
        json_object_get_double_member (indicator (r, "i1_materials_deployed"), "target"), ==, 0.75);
    g_assert_cmpint (json_object_get_int_member (indicator (r, "i3_press_months"), "target"), ==,
                     12);
    g_assert_true (json_object_get_null_member (indicator (r, "i2b_integrated_model"), "target"));
  }
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-06-30");
    g_assert_cmpfloat (
        json_object_get_double_member (indicator (r, "i2a_intensive_model_key_areas"), "target"),
        ==, 0.30);
    g_assert_cmpfloat (
        json_object_get_double_member (indicator (r, "i4_reach_14_60_key_areas"), "target"), ==,
        0.75);
    g_assert_cmpint (json_object_get_int_member (indicator (r, "i3_press_months"), "target"), ==,
                     6);
  }
  g_assert_true (pcmbn_store_set_target (store, 2026, "i2b_integrated_model", 0.8, &error));
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    g_assert_cmpfloat (
        json_object_get_double_member (indicator (r, "i2b_integrated_model"), "target"), ==, 0.8);
  }
}

static void
test_tables (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  JsonArray *by_type, *by_topic;

  a = add (
      store, "activity",
      "{\"date\":\"2026-03-01\",\"activity_type\":\"community_talk\",\"subproject\":\"community\","
      "\"title\":\"A\",\"participants_total\":40,\"participants_female\":25}");
  b = add (
      store, "activity",
      "{\"date\":\"2026-04-01\",\"activity_type\":\"community_talk\",\"subproject\":\"community\","
      "\"title\":\"B\",\"participants_total\":60}");
  c = add (store, "counselling",
           "{\"date\":\"2026-04-02\",\"channel\":\"phone\",\"client_code\":\"KH-01\","
           "\"client_type\":\"at_risk_woman\",\"topics\":[\"labour_migration\",\"legal_rights\"]}");
  d = add (store, "counselling",
           "{\"date\":\"2026-04-03\",\"channel\":\"office\",\"client_code\":\"KH-02\","
           "\"client_type\":\"at_risk_woman\",\"topics\":[\"legal_rights\"]}");
  {
    g_autoptr (JsonNode) r = report (store, "2026-01-01", "2026-12-31");
    JsonObject *tables = json_object_get_object_member (json_node_get_object (r), "tables");
    JsonObject *talks;
    by_type = json_object_get_array_member (tables, "activities_by_type");
    talks = json_array_get_object_element (by_type, 0);
    g_assert_cmpstr (json_object_get_string_member (talks, "activity_type"), ==, "community_talk");
    g_assert_cmpint (json_object_get_int_member (talks, "count"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (talks, "participants_total"), ==, 100);
    g_assert_cmpint (json_object_get_int_member (talks, "participants_female"), ==, 25);
    by_topic = json_object_get_array_member (tables, "counselling_by_topic");
    for (guint i = 0; i < json_array_get_length (by_topic); i++)
      {
        JsonObject *row = json_array_get_object_element (by_topic, i);
        const char *code = json_object_get_string_member (row, "topics");
        gint64 expected = g_str_equal (code, "legal_rights")       ? 2
                          : g_str_equal (code, "labour_migration") ? 1
                                                                   : 0;
        /* The commune's own report shows exact small counts. */
        g_assert_cmpint (json_object_get_int_member (row, "count"), ==, expected);
      }
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) r = pcmbn_report_build (store, "00001", "2026-01-01", "2026-12-31",
                                                 PCMBN_REPORT_SUPPRESS_SMALL, &error);
    JsonObject *tables = json_object_get_object_member (json_node_get_object (r), "tables");
    JsonArray *by_channel = json_object_get_array_member (tables, "counselling_by_channel");
    for (guint i = 0; i < json_array_get_length (by_channel); i++)
      {
        JsonObject *row = json_array_get_object_element (by_channel, i);
        const char *code = json_object_get_string_member (row, "channel");
        if (g_str_equal (code, "phone") || g_str_equal (code, "office"))
          g_assert_cmpstr (json_object_get_string_member (row, "count"), ==, "<5");
        else
          g_assert_cmpint (json_object_get_int_member (row, "count"), ==, 0);
      }
  }
}

static void
test_period_parsing (void)
{
  g_autofree char *from = NULL, *to = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (pcmbn_report_parse_period ("2025", NULL, NULL, &from, &to, &error));
  g_assert_cmpstr (from, ==, "2025-01-01");
  g_assert_cmpstr (to, ==, "2025-12-31");
  g_assert_false (pcmbn_report_parse_period ("25x", NULL, NULL, &from, &to, &error));
  g_assert_true (g_str_has_prefix (error->message, "year: "));
  g_clear_error (&error);
  g_assert_false (pcmbn_report_parse_period (NULL, "2026-05-01", "2026-04-01", &from, &to, &error));
  g_assert_true (g_str_has_prefix (error->message, "to: "));
  /* Read by a person: the start day first, as the app's boxes write it. */
  g_assert_true (g_str_has_suffix (error->message, "(01/05/2026)"));
  g_clear_error (&error);
  g_assert_false (pcmbn_report_parse_period (NULL, "2026-05-01", NULL, &from, &to, &error));
  g_assert_true (g_str_has_prefix (error->message, "to: "));
  g_clear_error (&error);
  g_assert_false (pcmbn_report_parse_period ("2026", "2026-05-01", NULL, &from, &to, &error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_add_func ("/indicators/empty", test_empty_commune);
  g_test_add_func ("/indicators/i1-materials", test_i1_materials);
  g_test_add_func ("/indicators/i2-models", test_i2_models);
  g_test_add_func ("/indicators/i3-press-months", test_i3_press_months);
  g_test_add_func ("/indicators/i4-reach", test_i4_reach);
  g_test_add_func ("/indicators/targets", test_targets);
  g_test_add_func ("/indicators/tables", test_tables);
  g_test_add_func ("/indicators/period", test_period_parsing);
  return g_test_run ();
}
