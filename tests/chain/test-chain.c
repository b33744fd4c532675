/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "report/pcmbn-indicators.h"
#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store.h"
#include "sync-helpers.h"

/* Three levels with real processes: commune logbooks (`pcmbn`) → a district
 * server → a city server, each a `pcmbn-district serve` on loopback. */

#define ACTIVITY                                                                            \
  "{\"date\":\"2026-03-%02d\",\"activity_type\":\"press_article\",\"subproject\":"          \
  "\"community\",\"title\":\"Bài báo\",\"outlet_level\":\"city\",\"participants_total\":" \
  "40,\"participants_14_60\":%d}"
#define COUNSELLING                                                              \
  "{\"date\":\"2026-04-03\",\"channel\":\"office\",\"client_code\":\"KH-3862\"," \
  "\"client_type\":\"planning_labour_migration\",\"client_sex\":\"male\","       \
  "\"client_age_band\":\"over_60\",\"topics\":[\"labour_migration\"],"           \
  "\"referrals\":[\"none\"],\"counsellor\":\"Trần Thị Lan\","                \
  "\"case_notes\":\"BÍ MẬT riêng tư của thân chủ\"}"

typedef struct
{
  SyncServer *city;
  SyncServer *district;
} Chain;

static void
add_activity (const char *db, int day, int reach)
{
  g_autofree char *json = g_strdup_printf (ACTIVITY, day, reach);
  g_free (sync_add (db, "activity", json));
}

static char *
district_verb (const char *db, int want, const char *verb, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, (gpointer)verb);
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, (gpointer)db);
  va_start (ap, verb);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = sync_district ((const char *const *)argv->pdata, &out, &err);
  if (status != want)
    g_error ("pcmbn-district %s: exit %d, wanted %d: %s", verb, status, want, err);
  return out;
}

static const char *
last_line (char *out)
{
  char *end;

  g_strchomp (out);
  end = strrchr (out, '\n');
  return end ? end + 1 : out;
}

/* A city server (Hà Nội, 01) and a district server (Ba Đình, 001)
 * enrolled under it. */
static void
chain_setup (Chain *c, gconstpointer data)
{
  g_autofree char *code = NULL, *out = NULL;

  c->city = sync_server_new (FALSE);
  {
    g_autofree char *wal = g_strconcat (c->city->db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (c->city->db, "-shm", NULL);
    g_unlink (c->city->db);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_free (district_verb (c->city->db, 0, "init", "--org-unit", "01", NULL));
  c->district = sync_server_new (FALSE);
  /* The district keeps case notes (sealed with the key of its
   * configuration); they must still never go up. */
  g_setenv ("PCMBN_CASE_NOTES_KEY", "q0xqkA0JSTn6yC2VrvtZyCkbF2QvW+OGpr8iWHv0H3U=", TRUE);
  sync_exec (c->district->db,
             "INSERT OR REPLACE INTO meta (key, value) VALUES ('store_case_notes', 'yes')");
  sync_server_start (c->city);
  sync_server_start (c->district);

  /* Reference data set at the city, before and after enrolment. */
  g_free (district_verb (c->city->db, 0, "org-units", "--set", "00001", "--key-area", "yes",
                         "--population-14-60", "5000", NULL));
  code = sync_enrol_code (c->city, "001");
  out = district_verb (c->district->db, 0, "enroll", "--parent", c->city->url, "--code", code,
                       NULL);
  g_free (district_verb (c->city->db, 0, "targets", "--year", "2026", "--set",
                         "i2a_intensive_model_key_areas=0.4", "--set", "i3_press_months=9", NULL));
}

static void
chain_teardown (Chain *c, gconstpointer data)
{
  sync_server_free (c->district);
  sync_server_free (c->city);
}

static JsonNode *
report_json (const char *db, const char *unit)
{
  g_autofree char *out = district_verb (db, 0, "report", "--year", "2026", "--format", "json",
                                        unit ? "--org-unit" : NULL, unit, NULL);
  JsonNode *node = sync_parse (out);
  JsonArray *rows G_GNUC_UNUSED = json_object_get_array_member (
      json_object_get_object_member (json_node_get_object (node), "tables"), "per_commune");

  g_assert_cmpuint (json_array_get_length (rows), >, 0);
  return node;
}

/* The dashboard page as a signed-in staff member sees it. */
static char *
dashboard_page (SyncServer *s)
{
  g_autofree char *token = sync_staff_token (s);
  g_autofree char *origin = g_strndup (s->url, strlen (s->url) - 1);
  g_autofree char *form = g_strconcat ("token=", token, NULL);
  g_autofree char *login = g_strconcat (s->url, "login", NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", login);
  g_autoptr (SoupMessage) page = soup_message_new ("GET", s->url);
  g_autoptr (GBytes) bytes = g_bytes_new (form, strlen (form));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) cookie = NULL;
  const char *set_cookie;

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
  g_bytes_unref (soup_session_send_and_read (session, msg, NULL, &error));
  g_assert_no_error (error);
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Set-Cookie");
  g_assert_nonnull (set_cookie);
  cookie = g_strsplit (set_cookie, ";", 2);
  soup_message_headers_replace (soup_message_get_request_headers (page), "Cookie", cookie[0]);
  reply = soup_session_send_and_read (session, page, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (page), ==, 200);
  return g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
}

static void
test_three_levels (Chain *c, gconstpointer data)
{
  g_autofree char *logbook = NULL, *out = NULL, *uuid = NULL;
  g_autoptr (JsonNode) own = NULL, from_city = NULL;

  logbook = sync_enrolled_logbook (c->district, "00001");
  sync_exec (logbook, "INSERT OR REPLACE INTO meta (key, value) VALUES ('sync_case_notes', 'yes')");
  add_activity (logbook, 2, 30);
  add_activity (logbook, 9, 25);
  uuid = sync_add (logbook, "counselling", COUNSELLING);
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_free (g_steal_pointer (&out));
  /* An edit: version 2 at the district. */
  {
    const char *argv[] = { "--db", logbook, "update", uuid, NULL };
    g_autofree char *o = NULL, *e = NULL;
    g_assert_cmpint (pcmbn_test_run_cli (argv, "{\"channel\":\"phone\"}", &o, &e), ==, 0);
  }
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_free (g_steal_pointer (&out));
  g_assert_cmpint (sync_query_int (c->district->db, "SELECT count(*) FROM records"), ==, 3);

  out = district_verb (c->district->db, 0, "sync", NULL);
  g_assert_cmpstr (last_line (out), ==, "pushed 3, pulled 0, conflicts 0, rejected 0");
  g_free (g_steal_pointer (&out));
  /* Again: nothing new. */
  out = district_verb (c->district->db, 0, "sync", NULL);
  g_assert_cmpstr (last_line (out), ==, "pushed 0, pulled 0, conflicts 0, rejected 0");
  g_free (g_steal_pointer (&out));

  /* Unchanged, with their versions; no case notes above the district. */
  {
    const char *sql = "SELECT group_concat(uuid || ':' || version || ':' || deleted, ',') FROM"
                      " (SELECT * FROM records ORDER BY uuid)";
    g_autofree char *up = sync_query_text (c->city->db, sql);
    g_autofree char *here = sync_query_text (c->district->db, sql);
    g_autofree char *city_dump = sync_query_text (c->city->db,
                                                  "SELECT group_concat(data) FROM records");
    g_autofree char *district_dump = sync_query_text (c->district->db,
                                                      "SELECT group_concat(data) FROM records");
    g_assert_cmpstr (up, ==, here);
    g_assert_nonnull (strstr (here, ":2:"));
    /* Kept at the district, sealed: never in clear, never above it */
    g_assert_cmpint (
        sync_query_int (c->district->db, "SELECT count(*) FROM records WHERE sealed IS NOT NULL"),
        >, 0);
    g_assert_cmpint (
        sync_query_int (c->city->db, "SELECT count(*) FROM records WHERE sealed IS NOT NULL"), ==,
        0);
    g_assert_null (strstr (district_dump, "BÍ MẬT"));
    g_assert_null (strstr (city_dump, "BÍ MẬT"));
    g_assert_null (strstr (city_dump, "case_notes"));
  }

  /* Reference data came down to the district, and on to the logbook. */
  g_assert_cmpint (
      sync_query_int (c->district->db,
                      "SELECT key_area * 100000 + population_14_60 FROM org_units WHERE code = "
                      "'00001'"),
      ==, 105000);
  g_assert_cmpint (sync_query_int (c->district->db,
                                   "SELECT value * 10 FROM targets WHERE year = 2026 AND indicator"
                                   " = 'i2a_intensive_model_key_areas'"),
                   ==, 4);
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_free (g_steal_pointer (&out));
  g_assert_cmpint (sync_query_int (logbook, "SELECT value FROM targets WHERE year = 2026 AND"
                                            " indicator = 'i3_press_months'"),
                   ==, 9);
  g_assert_cmpint (sync_query_int (logbook, "SELECT key_area FROM org_units WHERE code = '00001'"),
                   ==, 1);

  /* The city's report for the district is the district's own, down to
   * when each commune last synced (the district tells the city). */
  out = district_verb (c->district->db, 0, "sync", NULL);
  g_free (g_steal_pointer (&out));
  own = report_json (c->district->db, NULL);
  from_city = report_json (c->city->db, "001");
  if (!json_node_equal (own, from_city))
    {
      g_autofree char *a = json_to_string (own, TRUE), *b = json_to_string (from_city, TRUE);
      g_error ("the reports differ:\n%s\n---\n%s", a, b);
    }
  g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (
                           json_object_get_object_member (json_node_get_object (own), "indicators"),
                           "i3_press_months"),
                       "target"),
                   ==, 9);

  /* The city's report breaks down by its districts: the district's entry
   * is the district's own report. */
  {
    g_autoptr (JsonNode) city = report_json (c->city->db, NULL);
    JsonArray *children = json_object_get_array_member (json_node_get_object (city), "children");
    JsonObject *own_ind = json_object_get_object_member (json_node_get_object (own), "indicators");
    JsonObject *entry = NULL;

    for (guint i = 0; i < json_array_get_length (children); i++)
      if (g_str_equal (json_object_get_string_member (json_array_get_object_element (children, i),
                                                      "org_unit"),
                       "001"))
        entry = json_array_get_object_element (children, i);
    g_assert_nonnull (entry);
    g_assert_cmpint (
        json_object_get_int_member (json_object_get_object_member (entry, "records"), "activity"),
        ==, 2);
    for (guint k = 0; pcmbn_indicator_keys[k]; k++)
      {
        JsonObject *a = json_object_get_object_member (own_ind, pcmbn_indicator_keys[k]);
        JsonObject *b = json_object_get_object_member (
            json_object_get_object_member (entry, "indicators"), pcmbn_indicator_keys[k]);
        g_assert_cmpint (json_object_get_int_member (a, "numerator"), ==,
                         json_object_get_int_member (b, "numerator"));
        g_assert_cmpint (json_object_get_int_member (a, "denominator"), ==,
                         json_object_get_int_member (b, "denominator"));
      }
  }

  /* The city's dashboard lists its child server, above the communes, with
   * its communes' records; and the breakdown by district under the
   * indicators. */
  {
    g_autofree char *html = dashboard_page (c->city);
    const char *indicators = strstr (html, "id=\"indicators\"");
    const char *breakdown = strstr (html, "id=\"children-table\"");
    g_assert_nonnull (indicators);
    g_assert_nonnull (breakdown);
    g_assert_true (indicators < breakdown);
    g_assert_nonnull (strstr (breakdown, "<tr data-unit=\"001\"><th scope=\"row\">"));
    g_assert_nonnull (strstr (breakdown, "<td>001</td><td class=\"num records\">3</td>"));
    /* Vietnamese unless the browser asks otherwise. */
    g_assert_nonnull (strstr (html, "Các đơn vị trực thuộc, 2026"));
    const char *child = strstr (html, "id=\"child-servers\"");
    g_assert_nonnull (child);
    g_assert_nonnull (strstr (child, "data-child=\"001\""));
    g_assert_nonnull (strstr (child, "data-code=\"00001\">Phúc Xá: 3<"));
    g_assert_nonnull (strstr (html, "<tr data-code=\"00001\""));
    g_assert_true (child < strstr (html, "<tr data-code=\"00001\""));
  }
}

/* A child's token covers its subtree only: a record of another district
 * refuses the whole push. */
static void
test_outside_subtree (Chain *c, gconstpointer data)
{
  g_autofree char *token = sync_query_text (c->district->db,
                                            "SELECT value FROM meta WHERE key = 'parent_token'");
  g_autofree char *before = NULL, *after = NULL, *reply = NULL;
  guint status;
  static const char body[] =
      "{\"records\":[{\"uuid\":\"7d3c0a52-3c43-4c38-9d57-1b3f0f2b9a11\",\"kind\":\"activity\","
      "\"org_unit\":\"00001\",\"base_version\":1,\"version\":1,\"deleted\":false,"
      "\"modified_at\":\"2026-03-01T00:00:00Z\",\"data\":{\"date\":\"2026-03-01\","
      "\"activity_type\":\"community_talk\",\"subproject\":\"community\",\"title\":\"A\","
      "\"participants_total\":3}},{\"uuid\":\"7d3c0a52-3c43-4c38-9d57-1b3f0f2b9a12\","
      "\"kind\":\"activity\",\"org_unit\":\"00037\",\"base_version\":1,\"version\":1,"
      "\"deleted\":false,\"modified_at\":\"2026-03-01T00:00:00Z\",\"data\":{\"date\":"
      "\"2026-03-01\",\"activity_type\":\"community_talk\",\"subproject\":\"community\","
      "\"title\":\"B\",\"participants_total\":3}}]}";

  g_assert_nonnull (token);
  before = sync_query_text (c->city->db, "SELECT count(*) FROM records");
  reply = sync_http (c->city, "POST", "/api/v1/sync/push", token, "application/json", NULL, body,
                     strlen (body), &status);
  g_assert_cmpuint (status, ==, 403);
  after = sync_query_text (c->city->db, "SELECT count(*) FROM records");
  g_assert_cmpstr (before, ==, after);
  /* A code for a unit outside the city's is refused too. */
  {
    const char *argv[] = { "enroll-code", "--db", c->district->db, "--org-unit", "002", NULL };
    g_autofree char *o = NULL, *e = NULL;
    g_assert_cmpint (sync_district (argv, &o, &e), ==, 2);
  }
  /* Not enrolled: sync says what to do. */
  {
    const char *argv[] = { "sync", "--db", c->city->db, NULL };
    g_autofree char *o = NULL, *e = NULL;
    g_assert_cmpint (sync_district (argv, &o, &e), ==, 2);
    g_assert_nonnull (strstr (e, "enroll"));
  }
}

/* The district is retired: its communes enrol straight with the city. A
 * logbook keeps its history, and its records are not duplicated, whether
 * they reached the city through the chain or not. */
static void
test_moved_commune (Chain *c, gconstpointer data)
{
  g_autofree char *logbook = NULL, *out = NULL, *code = NULL, *err = NULL;

  logbook = sync_enrolled_logbook (c->district, "00001");
  add_activity (logbook, 2, 30);
  add_activity (logbook, 3, 31);
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_free (g_steal_pointer (&out));
  out = district_verb (c->district->db, 0, "sync", NULL);
  g_free (g_steal_pointer (&out));
  /* One more that never goes up the chain. */
  add_activity (logbook, 4, 32);
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_free (g_steal_pointer (&out));
  g_assert_cmpint (sync_query_int (c->city->db, "SELECT count(*) FROM records"), ==, 2);

  code = sync_enrol_code (c->city, "00001");
  g_assert_cmpint (
      sync_cli (logbook, NULL, &err, "enroll", "--server", c->city->url, "--code", code, NULL), ==,
      0);
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "conflicts 0, rejected 0"));
  g_free (g_steal_pointer (&out));
  g_assert_cmpint (sync_query_int (c->city->db, "SELECT count(*) FROM records"), ==, 3);
  g_assert_cmpint (sync_query_int (c->city->db, "SELECT count(DISTINCT uuid) FROM records"), ==, 3);
  g_assert_cmpint (sync_query_int (logbook, "SELECT count(*) FROM records"), ==, 3);
  g_assert_cmpint (sync_query_int (logbook, "SELECT count(*) FROM records WHERE state <> 'synced'"),
                   ==, 0);
  /* A second sync changes nothing. */
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 0, pulled 0, conflicts 0, rejected 0"));
  g_free (g_steal_pointer (&out));
  /* And the retired district's last push changes nothing either. */
  out = district_verb (c->district->db, 0, "sync", NULL);
  g_assert_cmpint (sync_query_int (c->city->db, "SELECT count(*) FROM records"), ==, 3);
}

/* A device attaches a photo; the district's push up the chain carries it,
 * so that the city holds the same bytes, for the district's unit. */
static void
test_attachments_up (Chain *c, gconstpointer data)
{
  g_autofree char *logbook = NULL, *out = NULL, *sha = NULL, *json = NULL, *photo = NULL;
  g_autofree char *dir = NULL, *sql = NULL, *city_hex = NULL, *scope = NULL;
  g_autoptr (GError) error = NULL;
  guint8 content[5000];

  for (guint i = 0; i < sizeof content; i++)
    content[i] = (guint8)(1 + (i * 13) % 255); /* no NUL: the API check reads it as text */
  logbook = sync_enrolled_logbook (c->district, "00001");
  dir = g_path_get_dirname (logbook);
  photo = g_build_filename (dir, "anh-hop-xa.jpg", NULL);
  g_assert_true (g_file_set_contents (photo, (const char *)content, sizeof content, NULL));
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (logbook, &error);
    g_autoptr (GFile) file = g_file_new_for_path (photo);
    g_autoptr (JsonObject) att = NULL;
    g_assert_no_error (error);
    att = pcmbn_attachments_add_file (store, file, NULL, &error);
    g_assert_no_error (error);
    sha = g_strdup (json_object_get_string_member (att, "sha256"));
  }
  json = g_strdup_printf (
      "{\"date\":\"2026-04-01\",\"activity_type\":\"community_talk\","
      "\"subproject\":\"community\",\"title\":\"Ảnh\",\"participants_total\":"
      "5,\"attachments\":[{\"sha256\":\"%s\",\"name\":\"anh.jpg\",\"size\":%zu}]}",
      sha, sizeof content);
  g_free (sync_add (logbook, "activity", json));
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  g_free (g_steal_pointer (&out));
  sql = g_strdup_printf ("SELECT count(*) FROM blobs WHERE sha256 = '%s'", sha);
  g_assert_cmpint (sync_query_int (c->district->db, sql), ==, 1);
  g_assert_cmpint (sync_query_int (c->city->db, sql), ==, 0);

  out = district_verb (c->district->db, 0, "sync", NULL);
  g_assert_cmpstr (last_line (out), ==, "pushed 1, pulled 0, conflicts 0, rejected 0");
  g_free (g_steal_pointer (&out));
  g_free (sql);
  sql = g_strdup_printf ("SELECT hex(data) FROM blobs WHERE sha256 = '%s'", sha);
  city_hex = sync_query_text (c->city->db, sql);
  {
    g_autoptr (GString) want = g_string_new (NULL);
    for (guint i = 0; i < sizeof content; i++)
      g_string_append_printf (want, "%02X", content[i]);
    /* Not cmpstr: a failure would print 10,000 hex digits. */
    g_assert_nonnull (city_hex);
    g_assert_true (g_str_equal (city_hex, want->str));
  }
  /* Kept for the district's subtree, as a device's are for its commune. */
  g_free (sql);
  sql = g_strdup_printf ("SELECT group_concat(org_unit) FROM blob_scopes WHERE sha256 = '%s'", sha);
  scope = sync_query_text (c->city->db, sql);
  g_assert_cmpstr (scope, ==, "001");
  /* City staff read it back through the API. */
  {
    g_autofree char *token = sync_staff_token (c->city);
    g_autofree char *path = g_strconcat ("/api/v1/blobs/", sha, NULL);
    g_autofree char *body = NULL;
    guint status;
    body = sync_http (c->city, "GET", path, token, NULL, NULL, NULL, 0, &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpint (memcmp (body, content, sizeof content), ==, 0);
  }
  /* A second sync sends nothing again. */
  out = district_verb (c->district->db, 0, "sync", NULL);
  g_assert_cmpstr (last_line (out), ==, "pushed 0, pulled 0, conflicts 0, rejected 0");
}

/* `serve --parent-interval`: the district pushes up by itself. */
static void
test_background (Chain *c, gconstpointer data)
{
  g_autofree char *logbook = NULL, *out = NULL;
  gint64 n = 0;

  g_assert_cmpint (sync_server_stop (c->district), ==, 0);
  c->district->extra_args = g_strsplit ("--parent-interval 1", " ", -1);
  sync_server_start (c->district);
  logbook = sync_enrolled_logbook (c->district, "00001");
  add_activity (logbook, 5, 10);
  g_assert_cmpint (sync_cli (logbook, &out, NULL, "sync", NULL), ==, 0);
  for (int i = 0; i < 200 && n < 1; i++)
    {
      g_usleep (50000);
      n = sync_query_int (c->city->db, "SELECT count(*) FROM records");
    }
  g_assert_cmpint (n, ==, 1);
}

int
main (int argc, char **argv)
{
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/chain/three-levels", Chain, NULL, chain_setup, test_three_levels, chain_teardown);
  g_test_add ("/chain/outside-subtree", Chain, NULL, chain_setup, test_outside_subtree,
              chain_teardown);
  g_test_add ("/chain/moved-commune", Chain, NULL, chain_setup, test_moved_commune, chain_teardown);
  g_test_add ("/chain/attachments-up", Chain, NULL, chain_setup, test_attachments_up,
              chain_teardown);
  g_test_add ("/chain/background", Chain, NULL, chain_setup, test_background, chain_teardown);
  return g_test_run ();
}
