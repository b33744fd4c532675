/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "report/pcmbn-report-communes.h"
#include "report/pcmbn-report.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"
#include "sync-helpers.h"

/* How long the dashboard takes for a district the size of Hanoi (579
 * communes): the per-commune path against asking the report engine once per
 * commune, and the whole page over HTTP from a real `pcmbn-district serve`.
 * Prints the figures; asserts nothing about speed. */

#define N_COMMUNES 579

static char *
random_date (GRand *rand)
{
  /* 2025-01-01 … 2026-11-28 */
  return pcmbn_date_format (pcmbn_date_parse ("2025-01-01") + g_rand_int_range (rand, 0, 697));
}

/* @per_commune records of every kind in each commune but every tenth. */
static void
fill (PcmbnStore *store, GPtrArray *communes, guint per_commune)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2026);
  g_autoptr (GError) error = NULL;
  static const char *const activity_types[] = { "community_talk", "press_article", "radio_tv" };

  pcmbn_store_begin (store, &error);
  g_assert_no_error (error);
  for (guint c = 0; c < communes->len; c++)
    {
      const char *code = ((PcmbnOrgUnit *)communes->pdata[c])->code;
      if (c % 10 == 9)
        continue;
      for (guint n = 0; n < per_commune; n++)
        {
          int which = g_rand_int_range (rand, 0, 100);
          g_autofree char *date = random_date (rand);
          g_autofree char *json = NULL;
          g_autoptr (JsonObject) data = NULL;
          g_autofree char *uuid = NULL;
          const char *kind;
          if (which < 45)
            {
              const char *type = activity_types[g_rand_int_range (rand, 0, 3)];
              kind = "activity";
              json = g_strdup_printf (
                  "{\"date\":\"%s\",\"activity_type\":\"%s\",\"subproject\":"
                  "\"community\",\"title\":\"Nói chuyện\",%s\"participants_total\":%d,"
                  "\"participants_14_60\":%d}",
                  date, type,
                  g_str_equal (type, "community_talk") ? "" : "\"outlet_level\":\"city\",", 40,
                  g_rand_int_range (rand, 0, 40));
            }
          else if (which < 55)
            kind = "training",
            json = g_strdup_printf (
                "{\"date\":\"%s\",\"format\":\"workshop\",\"title\":\"Hội thảo\","
                "\"participants_total\":30}",
                date);
          else if (which < 63)
            kind = "model", json = g_strdup_printf (
                                "{\"name\":\"CLB\",\"model_type\":\"%s\",\"established_on\":\"%s\","
                                "\"status\":\"active\"}",
                                g_rand_boolean (rand) ? "intensive" : "integrated", date);
          else if (which < 88)
            kind = "counselling",
            json = g_strdup_printf (
                "{\"date\":\"%s\",\"channel\":\"office\",\"client_code\":\"HV-%u\","
                "\"client_type\":\"at_risk_woman\"}",
                date, n);
          else
            kind = "material",
            json = g_strdup_printf ("{\"material_type\":\"leaflet\",\"received_on\":\"%s\","
                                    "\"quantity_received\":100%s}",
                                    date,
                                    g_rand_boolean (rand)
                                        ? ",\"deployed_on\":\"2026-11-28\",\"quantity_deployed\":50"
                                        : "");
          data = pcmbn_test_json (json);
          uuid = pcmbn_store_add_for_unit (store, code, kind, NULL, data, &error);
          g_assert_no_error (error);
        }
    }
  pcmbn_store_commit (store, &error);
  g_assert_no_error (error);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
median (GArray *times)
{
  g_array_sort (times, compare_double);
  return g_array_index (times, double, times->len / 2);
}

int
main (int argc, char **argv)
{
  guint per_commune = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 170;
  g_autofree char *dir = NULL, *path = NULL;
  g_autoptr (PcmbnStore) store = NULL;
  g_autoptr (GPtrArray) communes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *err = NULL, *staff = NULL;
  double t0, naive, fast, district;
  gint64 n_records;
  SyncServer server = { 0 };

  g_test_init (&argc, &argv, NULL);
  dir = pcmbn_test_tmpdir ();
  path = g_build_filename (dir, "district.sqlite", NULL);
  {
    /* The city of Hanoi of the bundled list: 579 communes. */
    const char *init[] = { "init", "--db", path, "--org-unit", "01", NULL };
    const char *token[] = { "staff-token", "--db", path, "--name", "Bench", NULL };
    g_assert_cmpint (sync_district (init, NULL, &err), ==, 0);
    g_assert_cmpint (sync_district (token, &staff, NULL), ==, 0);
    g_strstrip (staff);
  }
  store = pcmbn_store_open (path, &error);
  g_assert_no_error (error);
  communes = pcmbn_store_communes_under (store, "01");
  g_assert_cmpuint (communes->len, ==, N_COMMUNES);
  for (guint i = 0; i < communes->len; i++)
    {
      const char *code = ((PcmbnOrgUnit *)communes->pdata[i])->code;
      pcmbn_store_set_unit_facts (store, code, i % 3 != 2, i % 5 ? (gint64)(2000 + i) : -1, &error);
      g_assert_no_error (error);
    }
  t0 = now_ms ();
  fill (store, communes, per_commune);
  n_records = sync_query_int (path, "SELECT count(*) FROM records");
  printf ("city of %u communes, %" G_GINT64_FORMAT " records (made in %.1f s)\n", N_COMMUNES,
          n_records, (now_ms () - t0) / 1000.0);

  /* The engine once for the district (the page's indicators). */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr (JsonNode) report = NULL;
      t0 = now_ms ();
      report = pcmbn_report_build (store, "01", "2026-01-01", "2026-12-31",
                                   PCMBN_REPORT_SUPPRESS_SMALL, &error);
      g_assert_no_error (error);
      g_array_append_val (times, (double){ now_ms () - t0 });
    }
  district = median (times);
  g_array_set_size (times, 0);

  /* The per-commune table, both ways. */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr (JsonNode) rows = NULL;
      t0 = now_ms ();
      rows = pcmbn_report_build_communes (store, "01", "2026-01-01", "2026-12-31", &error);
      g_assert_no_error (error);
      g_assert_cmpuint (json_array_get_length (json_node_get_array (rows)), ==, N_COMMUNES);
      g_array_append_val (times, (double){ now_ms () - t0 });
    }
  fast = median (times);
  g_array_set_size (times, 0);
  t0 = now_ms ();
  for (guint i = 0; i < communes->len; i++)
    {
      g_autoptr (JsonNode) report = pcmbn_report_build (
          store, ((PcmbnOrgUnit *)communes->pdata[i])->code, "2026-01-01", "2026-12-31",
          PCMBN_REPORT_SUPPRESS_SMALL, &error);
      g_assert_no_error (error);
    }
  naive = now_ms () - t0;
  printf ("district report (indicators and tables): %.1f ms\n", district);
  printf ("per-commune indicators, one GROUP BY per quantity: %.1f ms\n", fast);
  printf ("per-commune indicators, pcmbn_report_build() per commune: %.1f ms (%.0f× slower)\n",
          naive, naive / fast);

  /* The page over HTTP from a real server on the same file. */
  g_clear_object (&store);
  /* Most communes synced some time ago, the rest never. */
  sync_exec (path, "INSERT INTO commune_sync (org_unit, last_sync) SELECT code,"
                   " '2026-11-2' || (abs(random()) % 8) || 'T08:00:00Z' FROM org_units"
                   " WHERE level = 'commune' AND abs(random()) % 10 < 8");
  server.dir = g_strdup (dir);
  server.db = g_strdup (path);
  server.log = g_build_filename (dir, "serve.log", NULL);
  sync_server_start (&server);
  {
    g_autoptr (SoupSession) session = soup_session_new ();
    g_autofree char *login_url = g_strconcat (server.url, "login", NULL);
    g_autoptr (SoupMessage) login = soup_message_new ("POST", login_url);
    g_autofree char *form = g_strconcat ("token=", staff, NULL);
    g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
    g_autoptr (GBytes) reply = NULL;
    g_auto (GStrv) cookie = NULL;
    gsize page_size = 0;

    soup_message_add_flags (login, SOUP_MESSAGE_NO_REDIRECT);
    soup_message_set_request_body_from_bytes (login, "application/x-www-form-urlencoded", body);
    reply = soup_session_send_and_read (session, login, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (login), ==, 303);
    cookie = g_strsplit (
        soup_message_headers_get_one (soup_message_get_response_headers (login), "Set-Cookie"), ";",
        2);
    for (int i = 0; i < 7; i++)
      {
        g_autofree char *page_url = g_strconcat (server.url, "?year=2026", NULL);
        g_autoptr (SoupMessage) msg = soup_message_new ("GET", page_url);
        g_autoptr (GBytes) page = NULL;
        soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie[0]);
        t0 = now_ms ();
        page = soup_session_send_and_read (session, msg, NULL, &error);
        g_assert_no_error (error);
        g_array_append_val (times, (double){ now_ms () - t0 });
        g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
        page_size = g_bytes_get_size (page);
        g_assert_nonnull (
            g_strstr_len (g_bytes_get_data (page, NULL), page_size, "id=\"communes\""));
      }
    printf ("dashboard page over HTTP (median of 7): %.1f ms, %.0f KiB of HTML\n", median (times),
            page_size / 1024.0);
  }
  g_assert_cmpint (sync_server_stop (&server), ==, 0);
  g_free (server.dir);
  g_free (server.db);
  g_free (server.log);
  g_free (server.url);
  return 0;
}
