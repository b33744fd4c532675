/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <sqlite3.h>
#include <string.h>

#include "pcmbn-store-private.h"
#include "pcmbn-sync-engine.h"
#include "pcmbn-test-util.h"
#include "pcmbn-wire.h"
#include "sync-helpers.h"

/* `meson test --benchmark`: sync against its baselines in the same run.
 * Prints the figures; asserts only correctness, never time. */

#define N_RECORDS 10000

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static char *
note (void)
{
  /* About 1 KB of data per record, as a real activity with notes has. */
  GString *s = g_string_new (NULL);
  while (s->len < 700)
    g_string_append (s, "Tuyên truyền phòng, chống mua bán người tại tổ dân phố. ");
  return g_string_free (s, FALSE);
}

/* The server's own time for the requests to @path, from its log (one line
 * per request, ending in the milliseconds it took). */
static double
server_ms (SyncServer *s, const char *path, guint *n_out)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *needle = g_strconcat (" ", path, " ", NULL);
  double total = 0;
  guint n = 0;

  if (!g_file_get_contents (s->log, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *last = strrchr (lines[i], ' ');
      if (strstr (lines[i], needle) == NULL || last == NULL)
        continue;
      total += g_ascii_strtod (last + 1, NULL);
      n++;
    }
  if (n_out)
    *n_out = n;
  return total;
}

static PcmbnStore *
fill_logbook (char **path_out)
{
  PcmbnStore *store = pcmbn_test_store_new (path_out);
  g_autofree char *text = note ();
  g_autoptr (GError) error = NULL;

  g_assert_true (pcmbn_store_begin (store, &error));
  for (int i = 0; i < N_RECORDS; i++)
    {
      g_autoptr (JsonObject) data = pcmbn_test_json (
        "{\"date\":\"2025-12-03\",\"activity_type\":\"loudspeaker_broadcast\",\"subproject\":"
        "\"community\",\"title\":\"Nói chuyện chuyên đề\",\"location\":\"Nhà văn hóa\","
        "\"target_groups\":[\"officials\",\"general_public\"],\"topics\":[\"hotline\"],"
        "\"lead_agency\":\"UBND phường\",\"funding_source\":\"state_budget\"}");
      g_autofree char *uuid = NULL;
      json_object_set_string_member (data, "notes", text);
      uuid = pcmbn_store_add (store, "activity", data, &error);
      g_assert_no_error (error);
    }
  g_assert_true (pcmbn_store_commit (store, &error));
  return store;
}

static void
enrol (SyncServer *s, PcmbnStore *store)
{
  g_autoptr (PcmbnSyncEngine) engine = pcmbn_sync_engine_new (store);
  g_autofree char *code = sync_enrol_code (s, "00001");
  g_autoptr (GError) error = NULL;

  g_assert_true (pcmbn_sync_engine_enroll (engine, s->url, code, "bench", NULL, &error));
  g_assert_no_error (error);
}

static double
sync_once (PcmbnStore *store, PcmbnSyncStats *stats)
{
  g_autoptr (PcmbnSyncEngine) engine = pcmbn_sync_engine_new (store);
  g_autoptr (GError) error = NULL;
  double t = now_s ();

  pcmbn_sync_engine_sync (engine, NULL, NULL, stats, &error);
  g_assert_no_error (error);
  return now_s () - t;
}

static void
bench_full_push (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = fill_logbook (&path);
  PcmbnSyncStats stats;
  double push_time, baseline;

  sync_server_start (s);
  enrol (s, store);
  push_time = sync_once (store, &stats);
  g_assert_cmpuint (stats.pushed, ==, N_RECORDS);
  {
    guint n = 0;
    double ms = server_ms (s, "/api/v1/sync/push", &n);
    g_print ("# server time for the %u push requests: %.2f s\n", n, ms / 1000);
  }

  /* Baseline: the same rows inserted raw into SQLite, plus one raw POST
   * of the same bytes (the server answers 413/400 quickly; the transfer is
   * what counts). */
  {
    g_autofree char *dir = pcmbn_test_tmpdir ();
    g_autofree char *raw_path = g_build_filename (dir, "raw.sqlite", NULL);
    g_autofree char *body = sync_query_text (path, "SELECT '{\"records\":[' || group_concat(data) || ']}' FROM records");
    g_autoptr (SoupSession) session = soup_session_new ();
    g_autofree char *url = g_strconcat (s->url, "api/v1/health", NULL);
    sqlite3 *db;
    sqlite3_stmt *stmt;
    double t = now_s ();

    g_assert_cmpint (sqlite3_open (raw_path, &db), ==, SQLITE_OK);
    sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                      "CREATE TABLE records (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, data TEXT);"
                      "BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2 (db, "INSERT INTO records (uuid, data) VALUES (?, ?)", -1, &stmt, NULL);
    for (int i = 0; i < N_RECORDS; i++)
      {
        g_autofree char *uuid = g_uuid_string_random ();
        sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 2, body + 12 + (i % 100), 1000, SQLITE_TRANSIENT);
        sqlite3_step (stmt);
        sqlite3_reset (stmt);
      }
    sqlite3_finalize (stmt);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (db);
    {
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autoptr (GBytes) reply = NULL;
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      reply = soup_session_send_and_read (session, msg, NULL, NULL);
    }
    baseline = now_s () - t;
  }
  g_print ("# full push of %d records: %.2f s; raw insert + one raw POST: %.2f s; ratio %.2f (aim <= 3)\n",
           N_RECORDS, push_time, baseline, push_time / baseline);

  /* Full pull of the same records into a fresh device. */
  {
    g_autofree char *fresh_path = NULL;
    g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (&fresh_path);
    double pull_time;
    enrol (s, fresh);
    pull_time = sync_once (fresh, &stats);
    g_assert_cmpuint (stats.pulled, ==, N_RECORDS);
    g_print ("# full pull of %d records into a fresh device: %.2f s\n", N_RECORDS, pull_time);
  }
  sync_server_free (s);
}

static double
median_noop (PcmbnStore *store)
{
  double times[15];
  PcmbnSyncStats stats;

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      times[i] = sync_once (store, &stats);
      g_assert_cmpuint (stats.pushed + stats.pulled, ==, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    for (guint j = i + 1; j < G_N_ELEMENTS (times); j++)
      if (times[j] < times[i])
        {
          double t = times[i];
          times[i] = times[j];
          times[j] = t;
        }
  return times[G_N_ELEMENTS (times) / 2];
}

static void
bench_noop_sync (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = fill_logbook (&path);
  PcmbnSyncStats stats;
  double small, large;

  sync_server_start (s);
  enrol (s, store);
  sync_once (store, &stats);
  small = median_noop (store);

  /* 990,000 more records of the district's other communes, written
   * straight into the server's tables as pushes would have. */
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  sync_exec (s->db,
             "BEGIN;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 990000)"
             " INSERT INTO records (uuid, kind, org_unit, data, rdate, deleted, modified_at, version,"
             " state, dirty) SELECT printf('%08x-0000-4000-8000-%012x', i, i), 'material', '00004',"
             " (SELECT data FROM records LIMIT 1), '2025-12-10', 0, '2026-01-01T00:00:00Z', 1,"
             " 'synced', 0 FROM n;"
             "INSERT INTO changes (org_unit, record_uuid) SELECT org_unit, uuid FROM records WHERE"
             " org_unit = '00004';"
             "COMMIT;");
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 1000000);
  sync_server_start (s);
  g_assert_true (pcmbn_store_set_meta (store, "sync_server", s->url, NULL));
  large = median_noop (store);
  g_print ("# no-op sync: %.2f ms with 10,000 server records, %.2f ms with 1,000,000; ratio %.2f (aim <= 1.5)\n",
           small * 1000, large * 1000, large / small);
  sync_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/full-push-pull", bench_full_push);
  g_test_add_func ("/bench/noop-sync", bench_noop_sync);
  return g_test_run ();
}
