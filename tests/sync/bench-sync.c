/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>

#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-sync-engine.h"
#include "pcmbn-test-util.h"
#include "sync/pcmbn-wire.h"
#include "sync-helpers.h"

/* `meson test --benchmark`: sync against its baselines in the same run.
 * Prints the figures; asserts only correctness, never time. */

#define N_RECORDS 10000

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
  return sync_fill_logbook (path_out, N_RECORDS, 0, 0);
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
  double t = sync_now_s ();

  pcmbn_sync_engine_sync (engine, NULL, NULL, stats, &error);
  g_assert_no_error (error);
  return sync_now_s () - t;
}

/* A plain HTTP server answering every GET with the same bytes (@user_data):
 * the raw limit of one download. */
static void
raw_handler (SoupServer *server,
             SoupServerMessage *msg,
             const char *path,
             GHashTable *query,
             gpointer user_data)
{
  GBytes *body = user_data;

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* The raw limit of a download of @body: one GET over loopback. */
static double
raw_get (GBytes *body)
{
  SyncThreadServer *ts = sync_thread_server_new (raw_handler, body);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", sync_thread_server_url (ts));
  g_autoptr (GBytes) reply = NULL;
  double t;

  t = sync_now_s ();
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  t = sync_now_s () - t;
  g_assert_nonnull (reply);
  g_assert_cmpuint (g_bytes_get_size (reply), ==, g_bytes_get_size (body));
  sync_thread_server_free (ts);
  return t;
}

/* The raw limit of storing the rows: the same number of rows of the same
 * size inserted by prepared statement into a plain table, one transaction,
 * with the durability the store has. */
static double
raw_insert_n (const char *body, int n)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *raw_path = g_build_filename (dir, "raw.sqlite", NULL);
  sqlite3 *db;
  sqlite3_stmt *stmt;
  double t = sync_now_s ();

  g_assert_cmpint (sqlite3_open (raw_path, &db), ==, SQLITE_OK);
  sqlite3_exec (db,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                "CREATE TABLE records (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, data TEXT);"
                "BEGIN",
                NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO records (uuid, data) VALUES (?, ?)", -1, &stmt, NULL);
  for (int i = 0; i < n; i++)
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
  return sync_now_s () - t;
}

static double
raw_insert (const char *body)
{
  return raw_insert_n (body, N_RECORDS);
}

/* The raw limit of an upload of @body: one POST to the push address
 * without a token; the server reads the whole body, then answers 401. */
static double
raw_post (SyncServer *s, const char *body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (s->url, "api/v1/sync/push", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (GBytes) reply = NULL;
  double t = sync_now_s ();

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  g_assert_nonnull (reply);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  return sync_now_s () - t;
}

/* CPU seconds of the child processes waited for so far. */
static double
children_cpu (void)
{
  struct rusage ru;
  getrusage (RUSAGE_CHILDREN, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The CPU time of the last cli_sync(): steadier than its wall time on a
 * shared machine. */
static double last_cli_cpu;

/* A whole `pcmbn sync` process, through @proxy. */
static double
cli_sync (const char *db, SyncProxy *proxy, const char *expect)
{
  g_autofree char *url = sync_proxy_url (proxy);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  double cpu = children_cpu ();
  double t = sync_now_s ();
  int status = sync_cli (db, &out, &err, "sync", "--server", url, NULL);

  t = sync_now_s () - t;
  last_cli_cpu = children_cpu () - cpu;
  if (status != 0 || strstr (out, expect) == NULL)
    g_error ("sync: exit %d, “%s”, %s", status, out, err);
  /* G_MESSAGES_DEBUG=pcmbn-sync: where the client's time went. */
  if (g_getenv ("G_MESSAGES_DEBUG"))
    g_print ("# %s%s", out, err);
  return t;
}

#define ROUNDS 3

static void
bench_full_push (void)
{
  g_autofree char *path = NULL;
  double fill_start = sync_now_s ();
  g_autoptr (PcmbnStore) store = fill_logbook (&path);
  double fill_time = sync_now_s () - fill_start;
  g_autofree char *json = NULL;
  gsize json_len;
  double push[ROUNDS], push_raw[ROUNDS], push_ratio[ROUNDS], push_server[ROUNDS];
  double pull[ROUNDS], pull_raw[ROUNDS], pull_ratio[ROUNDS], index_time[ROUNDS];
  double pull_cpu[ROUNDS];
  guint64 up_bytes = 0, down_bytes = 0;

  /* For scale: the same records validated and written by the store alone,
   * in one transaction, as `pcmbn add` would. */
  g_print ("# local store: %d records added in %.2f s\n", N_RECORDS, fill_time);
  g_clear_object (&store);
  json = sync_query_text (path,
                          "SELECT '{\"records\":[' || group_concat(data) || ']}' FROM records");
  json_len = strlen (json);

  for (int round = 0; round < ROUNDS; round++)
    {
      SyncServer *s = sync_server_new (FALSE);
      g_autofree char *dir = pcmbn_test_tmpdir ();
      g_autofree char *copy = g_build_filename (dir, "device.sqlite", NULL);
      g_autofree char *fresh_path = NULL;
      g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (&fresh_path);
      g_autofree char *contents = NULL;
      gsize len;
      SyncProxy *proxy;

      /* Every round a new server and a new device with the same records. */
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_true (g_file_set_contents (copy, contents, len, NULL));
      sync_server_start (s);
      proxy = sync_proxy_new (s->url);
      {
        g_autoptr (PcmbnStore) device = pcmbn_store_open (copy, NULL);
        enrol (s, device);
      }
      enrol (s, fresh);
      g_clear_object (&fresh);

      sync_proxy_arm (proxy, -1, 0);
      push[round] = cli_sync (copy, proxy, "pushed 10000,");
      up_bytes = proxy->bytes[SYNC_PROXY_UP];
      push_server[round] = server_ms (s, "/api/v1/sync/push", NULL) / 1000;
      if (round == 0)
        {
          guint n = 0;
          double ms = server_ms (s, "/api/v1/sync/pull", &n);
          g_print ("# server time for the %u pull requests after the push: %.2f s\n", n, ms / 1000);
        }
      push_raw[round] = raw_insert (json) + raw_post (s, json);
      push_ratio[round] = push[round] / push_raw[round];

      sync_proxy_arm (proxy, -1, 0);
      pull[round] = cli_sync (fresh_path, proxy, "pulled 10000,");
      pull_cpu[round] = last_cli_cpu;
      down_bytes = proxy->bytes[SYNC_PROXY_DOWN];
      {
        /* The trigram search index a restore leaves to the next open:
         * printed beside it, as the cost moved out of the restore. */
        double t = sync_now_s ();
        g_autoptr (GError) error = NULL;
        g_autoptr (PcmbnStore) opened = pcmbn_store_open (fresh_path, &error);
        g_assert_no_error (error);
        g_assert_null (pcmbn_store_get_meta (opened, "search_index_pending"));
        index_time[round] = sync_now_s () - t;
      }
      {
        g_autoptr (GBytes) body = g_bytes_new (json, json_len);
        pull_raw[round] = raw_insert (json) + raw_get (body);
      }
      pull_ratio[round] = pull[round] / pull_raw[round];
      g_print ("# round %d: push %.2f s (raw %.2f s, server %.2f s), restore %.2f s (raw %.2f s)\n",
               round + 1, push[round], push_raw[round], push_server[round], pull[round],
               pull_raw[round]);
      sync_proxy_free (proxy);
      sync_server_free (s);
    }
  g_print ("# full push of %d records (whole `pcmbn sync`): %.2f s; raw insert + one raw POST: "
           "%.2f s; ratio %.2f (median of %d; aim <= 3)\n",
           N_RECORDS, sync_median (push, ROUNDS), sync_median (push_raw, ROUNDS),
           sync_median (push_ratio, ROUNDS), ROUNDS);
  g_print ("# server time for the push requests of a full push: %.2f s (median of %d)\n",
           sync_median (push_server, ROUNDS), ROUNDS);
  g_print ("# restore of %d records onto a new device (whole `pcmbn sync`): %.2f s; raw insert + "
           "one raw GET: %.2f s; ratio %.2f (median of %d; aim <= 3)\n",
           N_RECORDS, sync_median (pull, ROUNDS), sync_median (pull_raw, ROUNDS),
           sync_median (pull_ratio, ROUNDS), ROUNDS);
  g_print ("# restore of %d records: CPU time of the `pcmbn sync` process %.2f s (median of %d)\n",
           N_RECORDS, sync_median (pull_cpu, ROUNDS), ROUNDS);
  g_print ("# after the restore, the next open builds the search index: %.2f s (median of %d)\n",
           sync_median (index_time, ROUNDS), ROUNDS);
  g_print ("# bytes on the wire: push %" G_GUINT64_FORMAT " B sent, restore %" G_GUINT64_FORMAT
           " B received, uncompressed JSON %" G_GSIZE_FORMAT " B; fractions %.3f and %.3f "
           "(aim <= 0.1)\n",
           up_bytes, down_bytes, json_len, (double)up_bytes / json_len,
           (double)down_bytes / json_len);
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
  sync_exec (
      s->db,
      "BEGIN;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 990000)"
      " INSERT INTO records (uuid, kind, org_unit, data, rdate, deleted, modified_at, version,"
      " state, dirty) SELECT printf('%08x-0000-4000-8000-%012x', i, i), 'material', '00004',"
      " (SELECT data FROM records LIMIT 1), '2025-12-10', 0, '2026-01-01T00:00:00Z', 1,"
      " 'synced', 0 FROM n;"
      "INSERT INTO changes (org_unit, record_uuid, record_id) SELECT org_unit, uuid, id FROM"
      " records WHERE org_unit = '00004';"
      "COMMIT;");
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 1000000);
  sync_server_start (s);
  g_assert_true (pcmbn_store_set_meta (store, "sync_server", s->url, NULL));
  large = median_noop (store);
  g_print (
      "# no-op sync: %.2f ms with 10,000 server records, %.2f ms with 1,000,000; ratio %.2f (aim <= 1.5)\n",
      small * 1000, large * 1000, large / small);
  sync_server_free (s);
}

/* ---- 300 devices at once ------------------------------------------------- */

#define N_DEVICES 300
#define N_PER_DEVICE 100

static const char *const bench_communes[] = { "00001", "00004", "00006", "00007", "00008" };

typedef struct
{
  SyncServer *server;
  char *token;
  GBytes *body; /* gzip, as a real client sends a body over 1 KB */
  GMutex *start_lock;
  GCond *start_cond;
  gboolean *started;
  double latency;
  char *problem; /* NULL when all 100 records came back accepted */
} DevicePush;

static char *
check_push_reply (SoupMessage *msg, GBytes *reply, GError *error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *results;
  guint accepted = 0;

  if (reply == NULL)
    return g_strdup_printf ("no answer: %s", error ? error->message : "?");
  if (soup_message_get_status (msg) != 200)
    return g_strdup_printf ("HTTP %u: %.*s", soup_message_get_status (msg),
                            (int)MIN (g_bytes_get_size (reply), 300),
                            (const char *)g_bytes_get_data (reply, NULL));
  if (!json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                                   NULL))
    return g_strdup ("answer is not JSON");
  results = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                          "results");
  for (guint i = 0; results && i < json_array_get_length (results); i++)
    if (g_strcmp0 (
            json_object_get_string_member (json_array_get_object_element (results, i), "status"),
            "accepted")
        == 0)
      accepted++;
  if (accepted != N_PER_DEVICE)
    return g_strdup_printf ("%u of %d records accepted", accepted, N_PER_DEVICE);
  return NULL;
}

static void
device_push (DevicePush *d)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (d->server->url, "api/v1/sync/push", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", d->token, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  double t;

  soup_session_set_timeout (session, 300);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Content-Encoding", "gzip");
  soup_message_set_request_body_from_bytes (msg, "application/json", d->body);
  t = sync_now_s ();
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  d->latency = sync_now_s () - t;
  d->problem = check_push_reply (msg, reply, error);
}

static gpointer
device_thread (gpointer data)
{
  DevicePush *d = data;

  g_mutex_lock (d->start_lock);
  while (!*d->started)
    g_cond_wait (d->start_cond, d->start_lock);
  g_mutex_unlock (d->start_lock);
  device_push (d);
  return NULL;
}

static GBytes *
device_body (const char *commune, int device)
{
  GString *body = g_string_new ("{\"records\":[");
  g_autoptr (GBytes) z = NULL;

  for (int i = 0; i < N_PER_DEVICE; i++)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_string_append_printf (body,
                              "%s{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"%s\","
                              "\"base_version\":0,\"deleted\":false,\"modified_at\":"
                              "\"2026-11-29T09:00:00Z\",\"data\":{\"material_type\":\"leaflet\","
                              "\"title\":\"Tờ rơi số %d của máy %d\",\"source\":\"district\","
                              "\"received_on\":\"2025-12-10\",\"quantity_received\":%d}}",
                              i ? "," : "", uuid, commune, i, device, 10 + i);
    }
  g_string_append (body, "]}");
  z = pcmbn_wire_gzip (body->str, body->len);
  g_string_free (body, TRUE);
  return g_steal_pointer (&z);
}

static guint
report_run (const char *what, DevicePush *devices, double total)
{
  double lat[N_DEVICES];
  guint errors = 0;

  for (guint i = 0; i < N_DEVICES; i++)
    {
      lat[i] = devices[i].latency;
      if (devices[i].problem)
        {
          if (errors < 5)
            g_print ("# %s: device %u: %s\n", what, i, devices[i].problem);
          errors++;
        }
    }
  sync_median (lat, N_DEVICES); /* sorts them */
  g_print ("# %s: %d devices x %d records: %u errors, total %.2f s, latency median %.0f ms,"
           " 95th %.0f ms, max %.0f ms\n",
           what, N_DEVICES, N_PER_DEVICE, errors, total, lat[N_DEVICES / 2] * 1000,
           lat[N_DEVICES * 95 / 100] * 1000, lat[N_DEVICES - 1] * 1000);
  return errors;
}

static void
bench_concurrent_devices (void)
{
  SyncServer *s = sync_server_new (FALSE);
  DevicePush *devices = g_new0 (DevicePush, N_DEVICES);
  DevicePush *serial = g_new0 (DevicePush, N_DEVICES);
  GThread *threads[N_DEVICES];
  GMutex lock;
  GCond cond;
  gboolean started = FALSE;
  double t, concurrent, sequential;
  guint errors;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  sync_server_start (s);

  /* 300 devices over five communes, each enrolled with its own code; then
   * 300 more for the sequential baseline. */
  t = sync_now_s ();
  for (guint i = 0; i < 2 * N_DEVICES; i++)
    {
      DevicePush *d = i < N_DEVICES ? &devices[i] : &serial[i - N_DEVICES];
      const char *commune = bench_communes[i % G_N_ELEMENTS (bench_communes)];
      g_autofree char *code = sync_enrol_code (s, commune);
      g_autofree char *request = g_strdup_printf ("{\"code\":\"%s\",\"device_name\":\"bench %u\"}",
                                                  code, i);
      g_autofree char *answer = NULL;
      g_autoptr (JsonNode) root = NULL;
      guint status;

      answer = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL, request,
                          strlen (request), &status);
      g_assert_cmpuint (status, ==, 200);
      root = sync_parse (answer);
      d->server = s;
      d->token = g_strdup (json_object_get_string_member (json_node_get_object (root), "token"));
      d->body = device_body (commune, i);
      d->start_lock = &lock;
      d->start_cond = &cond;
      d->started = &started;
    }
  g_print ("# enrolled %d devices in %.1f s\n", 2 * N_DEVICES, sync_now_s () - t);

  /* Baseline in the same run: the same pushes, one after another. */
  t = sync_now_s ();
  for (guint i = 0; i < N_DEVICES; i++)
    device_push (&serial[i]);
  sequential = sync_now_s () - t;
  errors = report_run ("one after another", serial, sequential);
  g_assert_cmpuint (errors, ==, 0);

  for (guint i = 0; i < N_DEVICES; i++)
    threads[i] = g_thread_new ("device", device_thread, &devices[i]);
  g_usleep (G_USEC_PER_SEC / 2); /* every thread waits at the start line */
  g_mutex_lock (&lock);
  started = TRUE;
  t = sync_now_s ();
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  for (guint i = 0; i < N_DEVICES; i++)
    g_thread_join (threads[i]);
  concurrent = sync_now_s () - t;
  errors = report_run ("all at once", devices, concurrent);
  g_print (
      "# 300 concurrent devices: %u errors (aim 0), %.2f s at once vs %.2f s one after another\n",
      errors, concurrent, sequential);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==,
                   2 * N_DEVICES * N_PER_DEVICE);

  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_free (devices[i].token);
      g_free (devices[i].problem);
      g_bytes_unref (devices[i].body);
      g_free (serial[i].token);
      g_free (serial[i].problem);
      g_bytes_unref (serial[i].body);
    }
  g_free (devices);
  g_free (serial);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  sync_server_free (s);
}

/* The cost of attachments alone: 200 records that each carry an
 * attachment of 200 KB, pushed, then restored against a raw insert of the
 * rows and one GET of all the bytes. No goal: 200 requests, each a file
 * written and fsynced, against one download into memory; the restore of
 * the goal, with attachments among 10,000 records, is
 * bench_restore_full_with_attachments(). */
#define N_ATTACHED 200
#define ATTACHMENT_SIZE (200 * 1024)

/* Every attachment came down into the restored logbook at @path. */
static void
assert_attachments (const char *path)
{
  g_autoptr (PcmbnStore) check = pcmbn_store_open (path, NULL);
  g_autofree char *dir = pcmbn_attachments_dir (check);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  g_assert_cmpuint (n, ==, N_ATTACHED);
}

/* The raw limit of a restore with attachments: the @n rows of @json
 * inserted, and one GET of their JSON and the attachments' bytes. */
static double
raw_restore_with_attachments (const char *json, int n)
{
  gsize total = strlen (json) + (gsize)N_ATTACHED * ATTACHMENT_SIZE;
  g_autofree char *bytes = g_malloc0 (total);
  g_autoptr (GBytes) body = NULL;

  memcpy (bytes, json, strlen (json));
  body = g_bytes_new_take (g_steal_pointer (&bytes), total);
  return raw_insert_n (json, n) + raw_get (body);
}

static void
bench_restore_attachments (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *path = NULL;
  g_autofree char *fresh_path = NULL;
  g_autoptr (PcmbnStore) store = sync_fill_logbook (&path, N_ATTACHED, N_ATTACHED, ATTACHMENT_SIZE);
  g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (&fresh_path);
  g_autofree char *json = NULL;
  SyncProxy *proxy;
  double push_time, restore_time, raw;

  sync_server_start (s);
  proxy = sync_proxy_new (s->url);
  enrol (s, store);
  enrol (s, fresh);
  g_clear_object (&store);
  g_clear_object (&fresh);
  json = sync_query_text (path,
                          "SELECT '{\"records\":[' || group_concat(data) || ']}' FROM records");
  push_time = cli_sync (path, proxy, "pushed 200,");
  sync_proxy_arm (proxy, -1, 0);
  restore_time = cli_sync (fresh_path, proxy, "pulled 200,");
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM blobs WHERE size = " G_STRINGIFY (
                                              ATTACHMENT_SIZE)),
                   ==, N_ATTACHED);
  assert_attachments (fresh_path);
  raw = raw_restore_with_attachments (json, N_ATTACHED);
  g_print ("# push of %d records with %d attachments of %d KB: %.2f s\n", N_ATTACHED, N_ATTACHED,
           ATTACHMENT_SIZE / 1024, push_time);
  g_print ("# restore of %d records with %d attachments of %d KB (whole `pcmbn sync`): %.2f s, "
           "%" G_GUINT64_FORMAT " B received; raw insert + one raw GET of the same bytes: %.2f s; "
           "ratio %.2f (no goal: one request and one file each)\n",
           N_ATTACHED, N_ATTACHED, ATTACHMENT_SIZE / 1024, restore_time,
           proxy->bytes[SYNC_PROXY_DOWN], raw, restore_time / raw);
  sync_proxy_free (proxy);
  sync_server_free (s);
}

/* The restore of the goal, with attachments: 10,000 records of which 200,
 * spread among them as in a real logbook, carry an attachment of 200 KB,
 * onto a new device; against a raw insert of the rows and one GET of all
 * the bytes (the records' JSON and the files). The downloads start with
 * the first page that names them, while the next pages are written. */
static void
bench_restore_full_with_attachments (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = sync_fill_logbook (&path, N_RECORDS, N_ATTACHED, ATTACHMENT_SIZE);
  g_autofree char *json = NULL;
  SyncProxy *proxy;
  double restore[ROUNDS], raw[ROUNDS], ratio[ROUNDS];
  guint64 down_bytes = 0;

  sync_server_start (s);
  proxy = sync_proxy_new (s->url);
  enrol (s, store);
  g_clear_object (&store);
  json = sync_query_text (path,
                          "SELECT '{\"records\":[' || group_concat(data) || ']}' FROM records");
  cli_sync (path, proxy, "pushed 10000,");
  for (int round = 0; round < ROUNDS; round++)
    {
      g_autofree char *fresh_path = NULL;
      g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (&fresh_path);

      enrol (s, fresh);
      g_clear_object (&fresh);
      sync_proxy_arm (proxy, -1, 0);
      restore[round] = cli_sync (fresh_path, proxy, "pulled 10000,");
      down_bytes = proxy->bytes[SYNC_PROXY_DOWN];
      assert_attachments (fresh_path);
      raw[round] = raw_restore_with_attachments (json, N_RECORDS);
      ratio[round] = restore[round] / raw[round];
      g_print ("# round %d: restore with attachments %.2f s (raw %.2f s)\n", round + 1,
               restore[round], raw[round]);
    }
  g_print ("# restore of %d records, %d of them with an attachment of %d KB (whole `pcmbn sync`): "
           "%.2f s, %" G_GUINT64_FORMAT " B received; raw insert + one raw GET of the same bytes: "
           "%.2f s; ratio %.2f (median of %d; aim <= 3)\n",
           N_RECORDS, N_ATTACHED, ATTACHMENT_SIZE / 1024, sync_median (restore, ROUNDS), down_bytes,
           sync_median (raw, ROUNDS), sync_median (ratio, ROUNDS), ROUNDS);
  sync_proxy_free (proxy);
  sync_server_free (s);
}

/* A slow link: 256 kbit/s each way with 300 ms of latency, through the
 * proxy; a push and a restore of 1,000 records complete. */
#define N_SLOW 1000

static void
bench_slow_link (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *path = NULL;
  g_autofree char *fresh_path = NULL;
  g_autoptr (PcmbnStore) store = sync_fill_logbook (&path, N_SLOW, 0, 0);
  g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (&fresh_path);
  SyncProxy *proxy;
  double push_time, restore_time;
  guint64 up, down;

  sync_server_start (s);
  proxy = sync_proxy_new (s->url);
  enrol (s, store);
  enrol (s, fresh);
  g_clear_object (&store);
  g_clear_object (&fresh);
  sync_proxy_set_link (proxy, 256000, 300);
  sync_proxy_arm (proxy, -1, 0);
  push_time = cli_sync (path, proxy, "pushed 1000,");
  up = proxy->bytes[SYNC_PROXY_UP];
  down = proxy->bytes[SYNC_PROXY_DOWN];
  g_print ("# slow link (256 kbit/s, 300 ms): push of %d records %.2f s, %" G_GUINT64_FORMAT
           " B sent, %" G_GUINT64_FORMAT " B received\n",
           N_SLOW, push_time, up, down);
  sync_proxy_arm (proxy, -1, 0);
  restore_time = cli_sync (fresh_path, proxy, "pulled 1000,");
  g_print ("# slow link (256 kbit/s, 300 ms): restore of %d records %.2f s, %" G_GUINT64_FORMAT
           " B sent, %" G_GUINT64_FORMAT " B received\n",
           N_SLOW, restore_time, proxy->bytes[SYNC_PROXY_UP], proxy->bytes[SYNC_PROXY_DOWN]);
  sync_proxy_free (proxy);
  sync_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/full-push-pull", bench_full_push);
  g_test_add_func ("/bench/noop-sync", bench_noop_sync);
  g_test_add_func ("/bench/concurrent-devices", bench_concurrent_devices);
  g_test_add_func ("/bench/restore-attachments", bench_restore_attachments);
  g_test_add_func ("/bench/restore-full-with-attachments", bench_restore_full_with_attachments);
  g_test_add_func ("/bench/slow-link", bench_slow_link);
  return g_test_run ();
}
