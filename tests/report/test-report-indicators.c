/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "report-gen.h"

/* The indicator engine against an independent computation on generated
 * districts, and every edge case of indicators.md on small hand-made ones. */

/* ---- generated districts ------------------------------------------------- */

static GenWorld *
district_world (guint32 seed, guint per_commune)
{
  GenWorld *world = gen_world_new (6);

  gen_world_set_facts (world, "C01", TRUE, 5000);
  gen_world_set_facts (world, "C02", TRUE, 8000);
  gen_world_set_facts (world, "C03", TRUE, -1); /* key area, population unknown */
  gen_world_set_facts (world, "C04", TRUE, 3000);
  gen_world_set_facts (world, "C05", FALSE, 4000); /* not a key area: its population never counts */
  gen_world_set_facts (world, "C06", TRUE, 2000);  /* sends nothing, still in every denominator */
  gen_world_set_facts (world, "C90", TRUE, 9000);  /* another district */
  gen_world_fill (world, seed, per_commune);
  return world;
}

static void
check (GenWorld *world, const char *scope, const char *from, const char *to)
{
  g_autoptr (JsonNode) report = gen_report (world, scope, from, to, PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, report, scope, from, to);
}

static void
test_generated (gconstpointer data)
{
  guint32 seed = GPOINTER_TO_UINT (data);
  g_autoptr (GenWorld) world = district_world (seed, 160);

  check (world, "D1", "2024-01-01", "2024-12-31");
  check (world, "D1", "2025-01-01", "2025-12-31");
  check (world, "D1", "2026-01-01", "2026-12-31");
  check (world, "D1", "2025-11-01", "2026-02-28"); /* across a year */
  check (world, "D1", "2026-03-15", "2026-03-15"); /* one day */
  check (world, "D1", "2017-01-01", "2017-12-31"); /* no targets */
  check (world, "D1", "2019-01-01", "2019-12-31"); /* the 2018 targets */
  check (world, "C01", "2025-01-01", "2025-12-31");
  check (world, "C03", "2026-01-01", "2026-06-30");
  check (world, "C06", "2026-01-01", "2026-12-31");

  /* Targets from the reference data replace the plan's for their year. */
  gen_world_set_target (world, 2025, "i2b_integrated_model", 0.6);
  gen_world_set_target (world, 2025, "i3_press_months", 9);
  check (world, "D1", "2025-01-01", "2025-12-31");
  check (world, "D1", "2026-01-01", "2026-12-31");
}

/* The same counts, with 1–4 replaced by "<5" in the counselling tables only. */
static void
test_generated_suppressed (void)
{
  g_autoptr (GenWorld) world = district_world (7, 60);
  g_autoptr (JsonNode)
      exact = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  g_autoptr (JsonNode)
      hidden = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_SUPPRESS_SMALL);
  JsonObject *te = json_object_get_object_member (json_node_get_object (exact), "tables");
  JsonObject *th = json_object_get_object_member (json_node_get_object (hidden), "tables");
  g_autoptr (GList) names = json_object_get_members (te);
  guint n_small = 0;

  gen_world_check_report (world, exact, "D1", "2026-01-01", "2026-12-31");
  for (GList *t = names; t; t = t->next)
    {
      JsonArray *re = json_object_get_array_member (te, t->data);
      JsonArray *rh = json_object_get_array_member (th, t->data);
      gboolean counselling = g_str_has_prefix (t->data, "counselling_");
      g_assert_cmpuint (json_array_get_length (re), ==, json_array_get_length (rh));
      for (guint r = 0; r < json_array_get_length (re); r++)
        {
          JsonObject *oe = json_array_get_object_element (re, r);
          JsonObject *oh = json_array_get_object_element (rh, r);
          if (counselling)
            {
              gint64 n = json_object_get_int_member (oe, "count");
              JsonNode *cell = json_object_get_member (oh, "count");
              if (n >= 1 && n <= 4)
                {
                  g_assert_cmpstr (json_node_get_string (cell), ==, "<5");
                  n_small++;
                }
              else
                g_assert_cmpint (json_node_get_int (cell), ==, n);
            }
          else
            {
              g_autoptr (JsonNode) ne = json_node_init_object (json_node_alloc (), oe);
              g_autoptr (JsonNode) nh = json_node_init_object (json_node_alloc (), oh);
              g_assert_true (json_node_equal (ne, nh));
            }
        }
    }
  /* 60 records a commune leave some small groups: the test can fail. */
  g_assert_cmpuint (n_small, >, 0);
}

/* ---- edge cases ------------------------------------------------------------ */

static GenWorld *
small_world (void)
{
  GenWorld *world = gen_world_new (3);
  return world;
}

static void
test_denominator_zero (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) none = NULL, unknown = NULL;

  /* No key area at all: i2a and i4 have nothing to divide by. */
  gen_world_add (world, "C01", "activity",
                 "{\"date\":\"2026-03-01\",\"activity_type\":\"community_talk\",\"subproject\":"
                 "\"community\",\"title\":\"Nói chuyện\",\"participants_total\":40,"
                 "\"participants_14_60\":30}");
  none = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, none, "D1", "2026-01-01", "2026-12-31");
  g_assert_true (gen_indicator_is_null (none, "i2a_intensive_model_key_areas", "value"));
  g_assert_true (gen_indicator_is_null (none, "i4_reach_14_60_key_areas", "value"));
  g_assert_cmpfloat (gen_indicator_value (none, "i4_reach_14_60_key_areas", "denominator"), ==, 0);
  /* Still the plan's targets, and i1 has its communes. */
  g_assert_cmpfloat (gen_indicator_value (none, "i4_reach_14_60_key_areas", "target"), ==, 0.75);
  g_assert_cmpfloat (gen_indicator_value (none, "i1_materials_deployed", "value"), ==, 0);
  /* i3 is a count of months: 0, never null. */
  g_assert_cmpfloat (gen_indicator_value (none, "i3_press_months", "value"), ==, 0);

  /* Key areas whose population nobody knows: still no denominator for i4. */
  gen_world_set_facts (world, "C01", TRUE, -1);
  unknown = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, unknown, "D1", "2026-01-01", "2026-12-31");
  g_assert_true (gen_indicator_is_null (unknown, "i4_reach_14_60_key_areas", "value"));
  g_assert_cmpfloat (gen_indicator_value (unknown, "i4_reach_14_60_key_areas", "numerator"), ==, 0);
  g_assert_cmpfloat (gen_indicator_value (unknown, "i2a_intensive_model_key_areas", "value"), ==,
                     0);
  g_assert_cmpfloat (gen_indicator_value (unknown, "i2a_intensive_model_key_areas", "denominator"),
                     ==, 1);
}

static void
test_deleted (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (GError) error = NULL;
  const char *material, *activity, *model;
  g_autoptr (JsonNode) before = NULL, after = NULL, back = NULL;

  gen_world_set_facts (world, "C02", TRUE, 1000);
  material = gen_world_add (world, "C02", "material",
                            "{\"material_type\":\"leaflet\",\"received_on\":\"2026-01-05\","
                            "\"quantity_received\":500,\"deployed_on\":\"2026-02-01\","
                            "\"quantity_deployed\":300}");
  activity = gen_world_add (world, "C02", "activity",
                            "{\"date\":\"2026-04-01\",\"activity_type\":\"press_article\","
                            "\"subproject\":\"mass_media\",\"title\":\"Bài báo\","
                            "\"outlet_level\":\"city\",\"participants_total\":10,"
                            "\"participants_14_60\":10}");
  model = gen_world_add (world, "C02", "model",
                         "{\"name\":\"CLB\",\"model_type\":\"intensive\",\"established_on\":"
                         "\"2024-01-01\",\"status\":\"active\",\"members_total\":20}");
  before = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, before, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (before, "i1_materials_deployed", "numerator"), ==, 1);
  g_assert_cmpfloat (gen_indicator_value (before, "i2a_intensive_model_key_areas", "numerator"), ==,
                     1);
  g_assert_cmpfloat (gen_indicator_value (before, "i3_press_months", "value"), ==, 1);
  g_assert_cmpfloat (gen_indicator_value (before, "i4_reach_14_60_key_areas", "numerator"), ==, 10);

  gen_world_delete (world, material);
  gen_world_delete (world, activity);
  gen_world_delete (world, model);
  after = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, after, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (after, "i1_materials_deployed", "numerator"), ==, 0);
  g_assert_cmpfloat (gen_indicator_value (after, "i2a_intensive_model_key_areas", "numerator"), ==,
                     0);
  g_assert_cmpfloat (gen_indicator_value (after, "i3_press_months", "value"), ==, 0);
  g_assert_cmpfloat (gen_indicator_value (after, "i4_reach_14_60_key_areas", "numerator"), ==, 0);

  /* Undone, it counts again. */
  pcmbn_store_undelete (world->store, material, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < world->records->len; i++)
    {
      GenRecord *r = world->records->pdata[i];
      if (g_str_equal (r->uuid, material))
        r->deleted = FALSE;
    }
  back = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, back, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (back, "i1_materials_deployed", "numerator"), ==, 1);
}

static void
test_dissolved (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) at = NULL, before = NULL, paused = NULL;

  gen_world_set_facts (world, "C01", TRUE, 1000);
  gen_world_add (world, "C01", "model",
                 "{\"name\":\"CLB phụ nữ\",\"model_type\":\"intensive\",\"model_kind\":"
                 "\"women_and_law_club\",\"established_on\":\"2020-01-01\",\"status\":"
                 "\"dissolved\",\"status_since\":\"2025-06-30\",\"members_total\":25}");
  gen_world_add (world, "C02", "model",
                 "{\"name\":\"Địa chỉ tin cậy\",\"model_type\":\"integrated\",\"model_kind\":"
                 "\"trusted_address\",\"established_on\":\"2025-06-30\",\"status\":\"paused\","
                 "\"status_since\":\"2025-07-01\"}");
  /* Established after the period: not there yet. */
  gen_world_add (world, "C03", "model",
                 "{\"name\":\"Tổ phát hiện\",\"model_type\":\"integrated\",\"established_on\":"
                 "\"2025-07-01\",\"status\":\"active\"}");

  /* status_since ≤ to: dissolved by the end of the period. */
  at = gen_report (world, "D1", "2025-01-01", "2025-06-30", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, at, "D1", "2025-01-01", "2025-06-30");
  g_assert_cmpfloat (gen_indicator_value (at, "i2a_intensive_model_key_areas", "value"), ==, 0);
  g_assert_cmpfloat (gen_indicator_value (at, "i2b_integrated_model", "numerator"), ==, 1);

  /* status_since > to: still alive at the end of the period. */
  before = gen_report (world, "D1", "2025-01-01", "2025-06-29", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, before, "D1", "2025-01-01", "2025-06-29");
  g_assert_cmpfloat (gen_indicator_value (before, "i2a_intensive_model_key_areas", "value"), ==, 1);
  g_assert_cmpfloat (gen_indicator_value (before, "i2b_integrated_model", "numerator"), ==, 0);

  /* A paused model is not dissolved. */
  paused = gen_report (world, "D1", "2025-01-01", "2025-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, paused, "D1", "2025-01-01", "2025-12-31");
  g_assert_cmpfloat (gen_indicator_value (paused, "i2b_integrated_model", "numerator"), ==, 2);
}

static void
press (GenWorld *world, const char *date, const char *type, const char *level)
{
  g_autofree char *json = g_strdup_printf (
      "{\"date\":\"%s\",\"activity_type\":\"%s\",\"subproject\":\"mass_media\",\"title\":\"Tin\"%s%s%s}",
      date, type, level ? ",\"outlet_level\":\"" : "", level ? level : "", level ? "\"" : "");
  gen_world_add (world, "C01", "activity", json);
}

static void
test_cross_year (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) report = NULL, y2020 = NULL, day = NULL;

  press (world, "2025-11-10", "press_article", "city");   /* before the period */
  press (world, "2025-11-20", "press_article", "city");   /* November */
  press (world, "2025-12-02", "radio_tv", "district");    /* not the city's */
  press (world, "2025-12-03", "press_article", NULL);     /* level unknown */
  press (world, "2025-12-04", "web_social_post", "city"); /* neither press nor radio/TV */
  press (world, "2026-01-05", "press_article", "city");   /* January */
  press (world, "2026-01-20", "radio_tv", "city");        /* January again */
  press (world, "2026-02-11", "radio_tv", "city");        /* after the period */

  report = gen_report (world, "D1", "2025-11-15", "2026-02-10", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, report, "D1", "2025-11-15", "2026-02-10");
  /* Four months touched; the targets are those of 2026, the year of `to`. */
  g_assert_cmpfloat (gen_indicator_value (report, "i3_press_months", "value"), ==, 2);
  g_assert_cmpfloat (gen_indicator_value (report, "i3_press_months", "denominator"), ==, 4);
  g_assert_cmpfloat (gen_indicator_value (report, "i3_press_months", "target"), ==, 4);
  g_assert_cmpfloat (gen_indicator_value (report, "i2a_intensive_model_key_areas", "target"), ==,
                     0.30);

  /* December 2019 to January 2020: the 2020 targets. */
  y2020 = gen_report (world, "D1", "2019-12-01", "2020-01-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2020, "D1", "2019-12-01", "2020-01-31");
  g_assert_cmpfloat (gen_indicator_value (y2020, "i2b_integrated_model", "target"), ==, 0.50);
  g_assert_cmpfloat (gen_indicator_value (y2020, "i3_press_months", "target"), ==, 2);

  /* One day touches one month. */
  day = gen_report (world, "D1", "2026-01-20", "2026-01-20", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, day, "D1", "2026-01-20", "2026-01-20");
  g_assert_cmpfloat (gen_indicator_value (day, "i3_press_months", "value"), ==, 1);
  g_assert_cmpfloat (gen_indicator_value (day, "i3_press_months", "denominator"), ==, 1);
}

static void
test_earlier_years (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) y2025 = NULL, y2026 = NULL, y2017 = NULL;

  /* Deployed years ago: counts in every later year. */
  gen_world_add (
      world, "C01", "material",
      "{\"material_type\":\"poster\",\"received_on\":\"2017-03-01\","
      "\"quantity_received\":50,\"deployed_on\":\"2018-05-01\",\"quantity_deployed\":50}");
  /* Received in 2025, deployed in 2026: counts from 2026 on only. */
  gen_world_add (
      world, "C02", "material",
      "{\"material_type\":\"leaflet\",\"received_on\":\"2025-12-01\","
      "\"quantity_received\":100,\"deployed_on\":\"2026-01-10\",\"quantity_deployed\":80}");
  /* Received but never deployed: never counts. */
  gen_world_add (world, "C03", "material",
                 "{\"material_type\":\"handbook\",\"received_on\":\"2024-02-01\","
                 "\"quantity_received\":30}");

  y2025 = gen_report (world, "D1", "2025-01-01", "2025-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2025, "D1", "2025-01-01", "2025-12-31");
  g_assert_cmpfloat (gen_indicator_value (y2025, "i1_materials_deployed", "numerator"), ==, 1);
  g_assert_cmpfloat (gen_indicator_value (y2025, "i1_materials_deployed", "denominator"), ==, 3);

  y2026 = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2026, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (y2026, "i1_materials_deployed", "value"), ==, 2.0 / 3.0);

  /* Before the deployment, nothing. */
  y2017 = gen_report (world, "D1", "2017-01-01", "2017-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2017, "D1", "2017-01-01", "2017-12-31");
  g_assert_cmpfloat (gen_indicator_value (y2017, "i1_materials_deployed", "numerator"), ==, 0);
}

static void
test_population_unknown (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) report = NULL;
  static const char activity[] = "{\"date\":\"2026-05-01\",\"activity_type\":\"community_talk\","
                                 "\"subproject\":\"community\",\"title\":\"Nói chuyện\","
                                 "\"participants_total\":%d,\"participants_14_60\":%d}";

  gen_world_set_facts (world, "C01", TRUE, 1000);
  gen_world_set_facts (world, "C02", TRUE, -1);
  gen_world_set_facts (world, "C03", FALSE, 500);
  for (guint i = 0; i < 3; i++)
    {
      static const int reach[] = { 100, 300, 50 };
      g_autofree char *json = g_strdup_printf (activity, reach[i] + 5, reach[i]);
      g_autofree char *code = g_strdup_printf ("C%02u", i + 1);
      gen_world_add (world, code, "activity", json);
    }
  /* An activity outside the period never counts. */
  gen_world_add (world, "C01", "activity",
                 "{\"date\":\"2025-12-31\",\"activity_type\":\"community_talk\",\"subproject\":"
                 "\"community\",\"title\":\"Năm trước\",\"participants_total\":900,"
                 "\"participants_14_60\":900}");
  report = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, report, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (report, "i4_reach_14_60_key_areas", "numerator"), ==,
                     100);
  g_assert_cmpfloat (gen_indicator_value (report, "i4_reach_14_60_key_areas", "denominator"), ==,
                     1000);
  g_assert_cmpfloat (gen_indicator_value (report, "i4_reach_14_60_key_areas", "value"), ==, 0.1);
  /* The key area without a population is still a key area for i2a. */
  g_assert_cmpfloat (gen_indicator_value (report, "i2a_intensive_model_key_areas", "denominator"),
                     ==, 2);
}

static void
test_reach_above_one (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) report = NULL;

  /* Person-times: the same people reached twice count twice. */
  gen_world_set_facts (world, "C01", TRUE, 100);
  for (guint i = 0; i < 3; i++)
    gen_world_add (world, "C01", "activity",
                   "{\"date\":\"2026-05-01\",\"activity_type\":\"community_talk\",\"subproject\":"
                   "\"community\",\"title\":\"Nói chuyện\",\"participants_total\":60,"
                   "\"participants_14_60\":60}");
  report = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, report, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (report, "i4_reach_14_60_key_areas", "value"), ==, 1.8);
}

static void
test_default_targets (void)
{
  g_autoptr (GenWorld) world = small_world ();
  static const struct
  {
    const char *from, *to;
    double i1, i2a, i2b, i3, i4; /* -1: none */
  } cases[] = {
    { "2017-01-01", "2017-12-31", -1, -1, -1, -1, -1 },
    { "2018-01-01", "2018-12-31", 0.75, -1, -1, 12, -1 },
    { "2019-07-01", "2019-12-31", 0.75, -1, -1, 6, -1 },
    { "2020-01-01", "2020-12-31", 1.0, 0.30, 0.50, 12, 0.75 },
    { "2026-01-01", "2026-03-31", 1.0, 0.30, 0.50, 3, 0.75 },
    { "2030-01-01", "2030-12-31", 1.0, 0.30, 0.50, 12, 0.75 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (JsonNode)
          report = gen_report (world, "D1", cases[c].from, cases[c].to, PCMBN_REPORT_DEFAULT);
      const double want[] = { cases[c].i1, cases[c].i2a, cases[c].i2b, cases[c].i3, cases[c].i4 };
      gen_world_check_report (world, report, "D1", cases[c].from, cases[c].to);
      for (guint i = 0; pcmbn_indicator_keys[i]; i++)
        {
          if (want[i] < 0)
            g_assert_true (gen_indicator_is_null (report, pcmbn_indicator_keys[i], "target"));
          else
            g_assert_cmpfloat_with_epsilon (
                gen_indicator_value (report, pcmbn_indicator_keys[i], "target"), want[i], 1e-9);
        }
    }
}

static void
test_target_override (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonNode) y2025 = NULL, y2026 = NULL, y2017 = NULL;

  gen_world_set_target (world, 2025, "i1_materials_deployed", 0.9);
  gen_world_set_target (world, 2025, "i3_press_months", 10);
  gen_world_set_target (world, 2017, "i4_reach_14_60_key_areas", 0.2);
  y2025 = gen_report (world, "D1", "2025-01-01", "2025-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2025, "D1", "2025-01-01", "2025-12-31");
  g_assert_cmpfloat (gen_indicator_value (y2025, "i1_materials_deployed", "target"), ==, 0.9);
  g_assert_cmpfloat (gen_indicator_value (y2025, "i3_press_months", "target"), ==, 10);
  g_assert_cmpfloat (gen_indicator_value (y2025, "i2b_integrated_model", "target"), ==, 0.5);
  /* Another year keeps the plan's. */
  y2026 = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2026, "D1", "2026-01-01", "2026-12-31");
  g_assert_cmpfloat (gen_indicator_value (y2026, "i1_materials_deployed", "target"), ==, 1.0);
  /* A year the plan sets nothing for can still get a target. */
  y2017 = gen_report (world, "D1", "2017-01-01", "2017-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, y2017, "D1", "2017-01-01", "2017-12-31");
  g_assert_cmpfloat (gen_indicator_value (y2017, "i4_reach_14_60_key_areas", "target"), ==, 0.2);
  g_assert_true (gen_indicator_is_null (y2017, "i1_materials_deployed", "target"));
}

static void
test_scope (void)
{
  g_autoptr (GenWorld) world = gen_world_new (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) district = NULL, outside = NULL, city = NULL, bad = NULL;
  JsonArray *per_commune;

  gen_world_fill (world, 11, 40);
  district = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, district, "D1", "2026-01-01", "2026-12-31");
  outside = gen_report (world, "C90", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  gen_world_check_report (world, outside, "C90", "2026-01-01", "2026-12-31");

  /* The city holds both districts: four communes, C90 among them. */
  city = gen_report (world, "T1", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  per_commune = json_object_get_array_member (
      json_object_get_object_member (json_node_get_object (city), "tables"), "per_commune");
  g_assert_cmpuint (json_array_get_length (per_commune), ==, 4);
  g_assert_cmpfloat (gen_indicator_value (city, "i1_materials_deployed", "denominator"), ==, 4);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (per_commune, 3), "org_unit"),
      ==, "C90");

  bad = pcmbn_report_build (world->store, "NOPE", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT,
                            &error);
  g_assert_null (bad);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
}

static void
test_add_for_unit_refuses (void)
{
  g_autoptr (GenWorld) world = small_world ();
  g_autoptr (JsonObject) good = pcmbn_test_json (
      "{\"date\":\"2026-05-01\",\"activity_type\":\"community_talk\",\"subproject\":\"community\","
      "\"title\":\"Nói chuyện\",\"participants_total\":5}");
  g_autoptr (JsonObject) bad = pcmbn_test_json (
      "{\"date\":\"2026-05-01\",\"activity_type\":\"community_talk\",\"subproject\":\"community\","
      "\"title\":\"Nói chuyện\",\"participants_total\":5,\"participants_female\":6}");
  g_autofree char *digest = pcmbn_test_db_digest (world->path);
  const char *model;
  char *uuid;

  struct
  {
    const char *unit, *kind, *uuid;
    JsonObject *data;
    int code;
  } cases[] = {
    { "D1", "activity", NULL, good, PCMBN_ERROR_INVALID },   /* a district is not a commune */
    { "NOPE", "activity", NULL, good, PCMBN_ERROR_INVALID }, /* no such unit */
    { NULL, "activity", NULL, good, PCMBN_ERROR_INVALID },
    { "C02", "festival", NULL, good, PCMBN_ERROR_USAGE },  /* no such kind */
    { "C02", "activity", NULL, bad, PCMBN_ERROR_INVALID }, /* female > total */
    { "C02", "activity", "not-a-uuid", good, PCMBN_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      uuid = pcmbn_store_add_for_unit (world->store, cases[i].unit, cases[i].kind, cases[i].uuid,
                                       cases[i].data, &error);
      g_assert_null (uuid);
      g_assert_error (error, PCMBN_ERROR, cases[i].code);
    }
  {
    g_autofree char *now = pcmbn_test_db_digest (world->path);
    g_assert_cmpstr (digest, ==, now);
  }

  /* A meeting must belong to a model of its own commune. */
  model = gen_world_add (world, "C02", "model",
                         "{\"name\":\"CLB\",\"model_type\":\"intensive\",\"established_on\":"
                         "\"2024-01-01\",\"status\":\"active\"}");
  {
    g_autofree char *json = g_strdup_printf ("{\"model\":\"%s\",\"date\":\"2026-01-01\","
                                             "\"participants_total\":4}",
                                             model);
    g_autoptr (JsonObject) meeting = pcmbn_test_json (json);
    g_autoptr (GError) error = NULL;
    uuid = pcmbn_store_add_for_unit (world->store, "C03", "model-meeting", NULL, meeting, &error);
    g_assert_null (uuid);
    g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
    g_clear_error (&error);
    uuid = pcmbn_store_add_for_unit (world->store, "C02", "model-meeting", NULL, meeting, &error);
    g_assert_no_error (error);
    g_free (uuid);
  }

  /* A given uuid is kept, and a second record with it is refused. */
  {
    static const char fixed[] = "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b";
    g_autoptr (GError) error = NULL;
    g_autoptr (PcmbnRecord) record = NULL;
    uuid = pcmbn_store_add_for_unit (world->store, "C03", "activity", fixed, good, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (uuid, ==, fixed);
    g_free (uuid);
    record = pcmbn_store_get (world->store, fixed, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pcmbn_record_get_org_unit (record), ==, "C03");
    uuid = pcmbn_store_add_for_unit (world->store, "C02", "activity", fixed, good, &error);
    g_assert_null (uuid);
    g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  }
}

static void
test_bad_period (void)
{
  static const char *const bad[][3] = {
    { "abc", NULL, NULL },
    { "1999", NULL, NULL },
    { "2026", "2026-01-01", NULL },
    { NULL, "2026-01-01", NULL },
    { NULL, "2026-13-01", "2026-12-31" },
    { NULL, "2026-02-01", "2026-01-31" },
    { NULL, "2026-01-01", "31/12/2026" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *from = NULL, *to = NULL;
      g_assert_false (
          pcmbn_report_parse_period (bad[i][0], bad[i][1], bad[i][2], &from, &to, &error));
      g_assert_nonnull (error);
      g_assert_null (from);
    }
}

int
main (int argc, char **argv)
{
  /* Records may not be dated after tomorrow: fix the day the tests live in. */
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_init (&argc, &argv, NULL);

  for (guint32 seed = 1; seed <= 3; seed++)
    {
      g_autofree char *path = g_strdup_printf ("/report/indicators/generated/seed-%u", seed);
      g_test_add_data_func (path, GUINT_TO_POINTER (seed), test_generated);
    }
  g_test_add_func ("/report/indicators/generated/suppressed", test_generated_suppressed);
  g_test_add_func ("/report/indicators/denominator-zero", test_denominator_zero);
  g_test_add_func ("/report/indicators/deleted", test_deleted);
  g_test_add_func ("/report/indicators/dissolved", test_dissolved);
  g_test_add_func ("/report/indicators/cross-year", test_cross_year);
  g_test_add_func ("/report/indicators/earlier-years", test_earlier_years);
  g_test_add_func ("/report/indicators/population-unknown", test_population_unknown);
  g_test_add_func ("/report/indicators/reach-above-one", test_reach_above_one);
  g_test_add_func ("/report/indicators/default-targets", test_default_targets);
  g_test_add_func ("/report/indicators/target-override", test_target_override);
  g_test_add_func ("/report/indicators/scope", test_scope);
  g_test_add_func ("/report/indicators/add-for-unit", test_add_for_unit_refuses);
  g_test_add_func ("/report/indicators/bad-period", test_bad_period);
  return g_test_run ();
}
