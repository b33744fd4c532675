/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* `pcmbn-district targets` and the report of any unit under the server's,
 * through the real program and a real `serve`. */

static JsonObject *
indicators_of (JsonNode *report)
{
  return json_object_get_object_member (json_node_get_object (report), "indicators");
}

static double
target_of (JsonNode *report, const char *key)
{
  return json_object_get_double_member (json_object_get_object_member (indicators_of (report), key),
                                        "target");
}

static JsonNode *
district_report (const char *db, const char *year, const char *unit, int *status)
{
  const char *argv[] = { "report", "--db",     db,     "--year",
                         year,     "--format", "json", unit ? "--org-unit" : NULL,
                         unit,     NULL };
  g_autofree char *out = NULL, *err = NULL;

  *status = sync_district (argv, &out, &err);
  return *status == 0 ? sync_parse (out) : NULL;
}

static void
test_targets (void)
{
  g_autoptr (SyncServer) s = sync_server_new (FALSE);
  g_autofree char *out = NULL, *err = NULL, *before = NULL, *after = NULL;
  g_autoptr (JsonNode) shown = NULL, r2026 = NULL, r2025 = NULL;
  int status;

  {
    const char *argv[] = { "targets",
                           "--db",
                           s->db,
                           "--year",
                           "2026",
                           "--set",
                           "i2a_intensive_model_key_areas=0.4",
                           "--set",
                           "i3_press_months=10",
                           NULL };
    g_assert_cmpint (sync_district (argv, &out, &err), ==, 0);
    shown = sync_parse (out);
  }
  {
    JsonObject *year = json_array_get_object_element (json_node_get_array (shown), 0);
    JsonObject *targets = json_object_get_object_member (year, "targets");
    JsonObject *i2a = json_object_get_object_member (targets, "i2a_intensive_model_key_areas");
    JsonObject *i1 = json_object_get_object_member (targets, "i1_materials_deployed");
    g_assert_cmpint (json_object_get_int_member (year, "year"), ==, 2026);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (i2a, "value"), 0.4, 1e-9);
    g_assert_cmpstr (json_object_get_string_member (i2a, "source"), ==, "set");
    g_assert_cmpstr (json_object_get_string_member (i1, "source"), ==, "plan");
  }

  /* The year's report uses them; another year keeps the plan's. */
  r2026 = district_report (s->db, "2026", NULL, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpfloat_with_epsilon (target_of (r2026, "i2a_intensive_model_key_areas"), 0.4, 1e-9);
  g_assert_cmpfloat (target_of (r2026, "i3_press_months"), ==, 10);
  r2025 = district_report (s->db, "2025", NULL, &status);
  g_assert_cmpfloat_with_epsilon (target_of (r2025, "i2a_intensive_model_key_areas"), 0.3, 1e-9);
  g_assert_cmpfloat (target_of (r2025, "i3_press_months"), ==, 12);

  /* Bad input: exit 2 naming the indicator, and nothing stored, not even
   * the good assignment beside it. */
  before = pcmbn_test_db_digest (s->db);
  {
    static const struct
    {
      const char *set;
      const char *names;
    } bad[] = {
      { "i9_unknown=0.5", "i9_unknown:" },
      { "i1_materials_deployed=1.5", "i1_materials_deployed:" },
      { "i3_press_months=2.5", "i3_press_months:" },
      { "i4_reach_14_60_key_areas=-1", "i4_reach_14_60_key_areas:" },
      { "i2b_integrated_model=lots", "i2b_integrated_model:" },
      { "i2b_integrated_model", "set:" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        const char *argv[] = { "targets",
                               "--db",
                               s->db,
                               "--year",
                               "2027",
                               "--set",
                               "i2a_intensive_model_key_areas=0.2",
                               "--set",
                               bad[i].set,
                               NULL };
        g_autofree char *o = NULL, *e = NULL;
        g_assert_cmpint (sync_district (argv, &o, &e), ==, 2);
        g_assert_nonnull (strstr (e, bad[i].names));
      }
    {
      const char *argv[] = { "targets", "--db", s->db, "--set", "i3_press_months=3", NULL };
      g_autofree char *o = NULL, *e = NULL;
      g_assert_cmpint (sync_district (argv, &o, &e), ==, 2);
      g_assert_nonnull (strstr (e, "year:"));
    }
  }
  after = pcmbn_test_db_digest (s->db);
  g_assert_cmpstr (before, ==, after);
}

static void
test_report_any_unit (void)
{
  g_autoptr (SyncServer) s = sync_server_new (FALSE);
  g_autofree char *logbook = NULL, *token = NULL, *body = NULL;
  g_autoptr (JsonNode) whole = NULL, commune = NULL, api = NULL;
  g_autofree char *out = NULL, *err = NULL;
  guint http;
  int status;

  sync_server_start (s);
  logbook = sync_enrolled_logbook (s, "00001");
  g_free (sync_add (logbook, "activity",
                    "{\"date\":\"2026-03-02\",\"activity_type\":\"community_talk\","
                    "\"subproject\":\"community\",\"title\":\"Nói chuyện\","
                    "\"participants_total\":40,\"participants_14_60\":30}"));
  g_assert_cmpint (sync_cli (logbook, &out, &err, "sync", NULL), ==, 0);

  whole = district_report (s->db, "2026", NULL, &status);
  g_assert_cmpint (status, ==, 0);
  commune = district_report (s->db, "2026", "00001", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (commune), "org_unit"), ==,
                   "00001");
  g_assert_cmpint (
      json_object_get_int_member (
          json_object_get_object_member (indicators_of (commune), "i1_materials_deployed"),
          "denominator"),
      ==, 1);

  /* The district's report breaks down by commune: 00001's entry has its
   * activity, and equals 00001's own report. */
  {
    JsonArray *children = json_object_get_array_member (json_node_get_object (whole), "children");
    JsonObject *entry = NULL;
    gint64 activities = 0;

    g_assert_nonnull (children);
    for (guint i = 0; i < json_array_get_length (children); i++)
      {
        JsonObject *row = json_array_get_object_element (children, i);
        activities += json_object_get_int_member (json_object_get_object_member (row, "records"),
                                                  "activity");
        if (g_str_equal (json_object_get_string_member (row, "org_unit"), "00001"))
          entry = row;
      }
    g_assert_nonnull (entry);
    g_assert_cmpint (activities, ==, 1);
    g_assert_cmpint (
        json_object_get_int_member (json_object_get_object_member (entry, "records"), "activity"),
        ==, 1);
    g_assert_cmpint (
        json_object_get_int_member (
            json_object_get_object_member (json_object_get_object_member (entry, "indicators"),
                                           "i1_materials_deployed"),
            "denominator"),
        ==,
        json_object_get_int_member (
            json_object_get_object_member (indicators_of (commune), "i1_materials_deployed"),
            "denominator"));
    /* A commune has nothing under it. */
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                          json_node_get_object (commune), "children")),
                      ==, 0);
  }

  /* A unit elsewhere, or none: exit 2 naming org_unit. */
  {
    const char *argv[] = { "report", "--db", s->db, "--year", "2026", "--org-unit", "002", NULL };
    g_autofree char *o = NULL, *e = NULL;
    g_assert_cmpint (sync_district (argv, &o, &e), ==, 2);
    g_assert_true (g_str_has_prefix (e, "org_unit:"));
  }
  {
    const char *argv[] = { "report", "--db", s->db, "--year", "2026", "--org-unit", "NOPE", NULL };
    g_autofree char *o = NULL, *e = NULL;
    g_assert_cmpint (sync_district (argv, &o, &e), ==, 2);
    g_assert_true (g_str_has_prefix (e, "org_unit:"));
  }

  /* The API gives the same, and refuses the same. */
  token = sync_staff_token (s);
  body = sync_http (s, "GET", "/api/v1/report?year=2026&org_unit=00001", token, NULL, NULL, NULL, 0,
                    &http);
  g_assert_cmpuint (http, ==, 200);
  api = sync_parse (body);
  g_assert_true (json_node_equal (api, commune));
  g_free (body);
  /* The whole district's, with its breakdown, too. */
  {
    g_autoptr (JsonNode) api_whole = NULL;
    body = sync_http (s, "GET", "/api/v1/report?year=2026", token, NULL, NULL, NULL, 0, &http);
    g_assert_cmpuint (http, ==, 200);
    api_whole = sync_parse (body);
    g_assert_true (json_node_equal (api_whole, whole));
    g_free (body);
  }
  body = sync_http (s, "GET", "/api/v1/report?year=2026&org_unit=002", token, NULL, NULL, NULL, 0,
                    &http);
  g_assert_cmpuint (http, ==, 403);
  g_free (body);
  body = sync_http (s, "GET", "/api/v1/report?year=2026&org_unit=NOPE", token, NULL, NULL, NULL, 0,
                    &http);
  g_assert_cmpuint (http, ==, 400);
  g_assert_cmpint (sync_server_stop (s), ==, 0);
}

int
main (int argc, char **argv)
{
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/chain/targets", test_targets);
  g_test_add_func ("/chain/report-any-unit", test_report_any_unit);
  return g_test_run ();
}
