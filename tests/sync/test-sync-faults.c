/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <sqlite3.h>
#include <string.h>

#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store.h"
#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* Fault injection: a TCP proxy inside the test stands between real `pcmbn`
 * clients (subprocesses) and a real `pcmbn-district serve`. Each round one
 * device makes random adds, edits and deletes, then syncs through the proxy
 * while it cuts the connection at a random byte offset, in the request or
 * the response direction (seeded GRand). The device then syncs again with
 * the proxy passing everything, and the round must converge: the server's
 * records of that commune equal the device's (uuid, data, deleted, version),
 * nothing is lost, and no edit was stored twice (each record's version
 * counts exactly the rounds in which it was changed).
 *
 * PCMBN_FAULT_SEED and PCMBN_FAULT_ROUNDS override the seed and the number
 * of rounds. */

#define DEFAULT_SEED 20261129
#define DEFAULT_ROUNDS 200
#define N_DEVICES 3

/* ---- the devices ---------------------------------------------------------- */

typedef struct
{
  char *db;
  const char *commune;
  GPtrArray *live; /* uuids of this device's records not deleted */
} Device;

typedef struct
{
  GRand *rand;
  GHashTable *expected; /* uuid → number of rounds that changed it */
  guint adds, edits, deletes;
} World;

static const char *const titles[] = {
  "Tờ rơi phòng, chống mua bán người", "Áp phích \"Cảnh giác\" – đường dây nóng 111",
  "Sổ tay tuyên truyền\\pháp luật",    "Leaflet for the market day",
  "Tài liệu\tcho tổ dân phố",
};

static char *
random_material (World *w)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "material_type");
  json_builder_add_string_value (b, "leaflet");
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, titles[g_rand_int_range (w->rand, 0, G_N_ELEMENTS (titles))]);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "district");
  json_builder_set_member_name (b, "received_on");
  json_builder_add_string_value (b, "2025-12-10");
  json_builder_set_member_name (b, "quantity_received");
  json_builder_add_int_value (b, g_rand_int_range (w->rand, 1, 100000));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
touch (GHashTable *changed, const char *uuid)
{
  g_hash_table_add (changed, g_strdup (uuid));
}

/* One to four random operations; each record changed is noted once. */
static void
random_edits (World *w, Device *d, GHashTable *changed)
{
  int n = g_rand_int_range (w->rand, 1, 5);

  for (int i = 0; i < n; i++)
    {
      /* About 45 % adds, 35 % edits, 20 % deletes. */
      int pick = g_rand_int_range (w->rand, 0, 20);
      int op = d->live->len == 0 || pick < 9 ? 0 : pick < 16 ? 1 : 2;
      g_autofree char *json = random_material (w);

      if (op == 0)
        {
          char *uuid = sync_add (d->db, "material", json);
          g_ptr_array_add (d->live, uuid);
          touch (changed, uuid);
          w->adds++;
        }
      else if (op == 1)
        {
          const char *uuid = d->live->pdata[g_rand_int_range (w->rand, 0, d->live->len)];
          const char *argv[] = { "--db", d->db, "update", uuid, NULL };
          g_autofree char *err = NULL;
          if (pcmbn_test_run_cli (argv, json, NULL, &err) != 0)
            g_error ("update failed: %s", err);
          touch (changed, uuid);
          w->edits++;
        }
      else
        {
          guint at = g_rand_int_range (w->rand, 0, d->live->len);
          g_autofree char *uuid = g_ptr_array_steal_index (d->live, at);
          g_autofree char *err = NULL;
          if (sync_cli (d->db, NULL, &err, "delete", uuid, NULL) != 0)
            g_error ("delete failed: %s", err);
          touch (changed, uuid);
          w->deletes++;
        }
    }
}

static char *
rows_of (const char *db, const char *commune)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT group_concat (uuid || ' ' || deleted || ' ' || version || ' ' || data, char (10))"
      " FROM (SELECT * FROM records WHERE org_unit = '%s' ORDER BY uuid)",
      commune);
  char *text = sync_query_text (db, sql);

  return text ? text : g_strdup ("");
}

static int
sync_via (Device *d, SyncProxy *p, char **out, char **err)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", p->port);

  return sync_cli (d->db, out, err, "sync", "--server", url, NULL);
}

static void
check_converged (SyncServer *s, Device *d, World *w, guint round)
{
  g_autofree char *server_rows = rows_of (s->db, d->commune);
  g_autofree char *device_rows = rows_of (d->db, d->commune);
  GHashTableIter iter;
  gpointer key, value;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (g_strcmp0 (server_rows, device_rows) != 0)
    g_error ("round %u: %s differs from the server:\n--- server\n%s\n--- device\n%s", round, d->db,
             server_rows, device_rows);
  g_assert_cmpint (
      sync_query_int (d->db, "SELECT count(*) FROM records WHERE dirty = 1 OR state <> 'synced'"),
      ==, 0);
  /* No edit stored twice: each record's version is the number of rounds
   * that changed it, and each version is written down once. One connection
   * and one statement for all: opening the file once per record made 1,000
   * rounds cost the square of their number. */
  g_assert_cmpint (sqlite3_open_v2 (s->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (
      sqlite3_prepare_v2 (db, "SELECT version FROM records WHERE uuid = ?", -1, &stmt, NULL), ==,
      SQLITE_OK);
  g_hash_table_iter_init (&iter, w->expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 version = -1;
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (version != GPOINTER_TO_INT (value))
        g_error ("round %u: %s has version %" G_GINT64_FORMAT " on the server, expected %d", round,
                 (const char *)key, version, GPOINTER_TO_INT (value));
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM (SELECT record_id FROM"
                                          " record_versions GROUP BY record_id"
                                          " HAVING count(*) <> max(version))"),
                   ==, 0);
  g_assert_cmpint (
      sync_query_int (s->db,
                      "SELECT count(*) FROM records r WHERE version <>"
                      " (SELECT max(version) FROM record_versions v WHERE v.record_id = r.id)"),
      ==, 0);
}

static guint
env_uint (const char *name, guint fallback)
{
  const char *text = g_getenv (name);

  return text && *text ? (guint)g_ascii_strtoull (text, NULL, 10) : fallback;
}

static void
test_cut_connections (void)
{
  guint32 seed = env_uint ("PCMBN_FAULT_SEED", DEFAULT_SEED);
  guint rounds = env_uint ("PCMBN_FAULT_ROUNDS", DEFAULT_ROUNDS);
  SyncServer *s = sync_server_new (FALSE);
  static const char *const communes[N_DEVICES] = { "00001", "00001", "00004" };
  Device devices[N_DEVICES];
  World w = { 0 };
  SyncProxy *p;
  guint64 estimate[2] = { 2048, 2048 };
  guint landed[2] = { 0, 0 }, missed = 0, failed = 0, survived = 0, reconnects = 0;
  g_autofree char *proxy_url = NULL;

  g_test_message ("seed %u, %u rounds", seed, rounds);
  w.rand = g_rand_new_with_seed (seed);
  w.expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sync_server_start (s);
  p = sync_proxy_new (s->url);
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", p->port);

  /* Enrolled through the proxy, which passes everything for now. */
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *code = sync_enrol_code (s, communes[i]);
      g_autofree char *err = NULL;
      devices[i].db = sync_new_logbook (communes[i]);
      devices[i].commune = communes[i];
      devices[i].live = g_ptr_array_new_with_free_func (g_free);
      if (sync_cli (devices[i].db, NULL, &err, "enroll", "--server", proxy_url, "--code", code,
                    NULL)
          != 0)
        g_error ("enroll failed: %s", err);
    }

  for (guint round = 1; round <= rounds; round++)
    {
      Device *d = &devices[g_rand_int_range (w.rand, 0, N_DEVICES)];
      g_autoptr (GHashTable)
          changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      int dir = g_rand_int_range (w.rand, 0, 2);
      guint64 at = g_rand_int_range (w.rand, 0, (gint32)MIN (estimate[dir], G_MAXINT32));
      g_autofree char *out = NULL, *err = NULL;
      GHashTableIter iter;
      gpointer key;
      int status;
      gboolean cut;

      random_edits (&w, d, changed);

      /* The faulty exchange: it may fail, never crash, never lose. */
      sync_proxy_arm (p, dir, at);
      status = sync_via (d, p, &out, &err);
      g_mutex_lock (&p->lock);
      cut = p->cut_done;
      if (p->connections > 1)
        reconnects += p->connections - 1;
      g_mutex_unlock (&p->lock);
      if (status != 0 && status != 1)
        g_error ("round %u: sync exited %d: %s", round, status, err);
      if (status == 1 && !cut)
        g_error ("round %u: sync failed without a cut: %s", round, err);
      if (cut)
        landed[dir]++;
      else
        missed++;
      if (status == 1)
        failed++;
      else if (cut)
        survived++;
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);

      /* The retry, with the proxy passing everything, must complete. */
      sync_proxy_arm (p, -1, 0);
      status = sync_via (d, p, &out, &err);
      if (status != 0)
        g_error ("round %u: the retry exited %d: %s", round, status, err);
      g_assert_nonnull (strstr (out, ", conflicts 0, rejected 0"));
      g_mutex_lock (&p->lock);
      /* The next cut falls anywhere in an exchange of about this size. */
      estimate[SYNC_PROXY_UP] = MAX (p->bytes[SYNC_PROXY_UP] * 3 / 2, 512);
      estimate[SYNC_PROXY_DOWN] = MAX (p->bytes[SYNC_PROXY_DOWN] * 3 / 2, 512);
      g_mutex_unlock (&p->lock);

      g_hash_table_iter_init (&iter, changed);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          gpointer n = g_hash_table_lookup (w.expected, key);
          g_hash_table_insert (w.expected, g_strdup (key),
                               GINT_TO_POINTER (GPOINTER_TO_INT (n) + 1));
        }
      check_converged (s, d, &w, round);
    }

  /* The other devices catch up, and a new laptop restores commune 00001
   * straight from the server: the same records again. */
  sync_proxy_arm (p, -1, 0);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *err = NULL;
      g_assert_cmpint (sync_via (&devices[i], p, NULL, &err), ==, 0);
      check_converged (s, &devices[i], &w, rounds + 1);
    }
  {
    g_autofree char *fresh = sync_enrolled_logbook (s, "00001");
    g_autofree char *a = NULL, *b = NULL;
    g_assert_cmpint (sync_cli (fresh, NULL, NULL, "sync", NULL), ==, 0);
    a = rows_of (s->db, "00001");
    b = rows_of (fresh, "00001");
    g_assert_cmpstr (a, ==, b);
  }

  g_test_message ("%u rounds (seed %u): %u adds, %u edits, %u deletes over %d devices", rounds,
                  seed, w.adds, w.edits, w.deletes, N_DEVICES);
  g_test_message ("cuts landed: %u in a request, %u in a response; %u fell past the end of the "
                  "exchange",
                  landed[SYNC_PROXY_UP], landed[SYNC_PROXY_DOWN], missed);
  g_test_message ("retries: %u cut syncs failed and were run again; %u completed anyway; %u "
                  "connections reopened within a run",
                  failed, survived, reconnects);
  g_test_message ("server records: %" G_GINT64_FORMAT ", all converged",
                  sync_query_int (s->db, "SELECT count(*) FROM records"));
  g_assert_cmpuint (landed[SYNC_PROXY_UP], >, 0);
  g_assert_cmpuint (landed[SYNC_PROXY_DOWN], >, 0);

  sync_proxy_free (p);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_free (devices[i].db);
      g_ptr_array_unref (devices[i].live);
    }
  g_hash_table_unref (w.expected);
  g_rand_free (w.rand);
  sync_server_free (s);
}

/* Pushes of more than a thousand records go in batches, two on their way
 * at once. Each round a new laptop of commune 00004 pushes 2,500 new
 * records through the proxy, which cuts one of the connections at a
 * random byte; the retry then completes, and the server holds every record
 * once, at version 1, as the laptop does. */
static void
test_cut_batches_in_flight (void)
{
  guint32 seed = env_uint ("PCMBN_FAULT_SEED", DEFAULT_SEED);
  SyncServer *s = sync_server_new (FALSE);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  /* About the bytes of the whole exchange each way. */
  const guint64 estimate[2] = { 96 * 1024, 24 * 1024 };
  g_autofree char *proxy_url = NULL;
  SyncProxy *p;
  const guint rounds = 6, per_round = 2500;

  sync_server_start (s);
  p = sync_proxy_new (s->url);
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", p->port);
  for (guint round = 1; round <= rounds; round++)
    {
      g_autofree char *code = sync_enrol_code (s, "00004");
      g_autofree char *db = sync_new_logbook ("00004");
      g_autofree char *out = NULL, *err = NULL, *server_rows = NULL, *device_rows = NULL;
      int dir = round % 2 ? SYNC_PROXY_UP : SYNC_PROXY_DOWN;
      guint64 at = g_rand_int_range (rand, 0, (gint32)estimate[dir]);
      int status;

      sync_proxy_arm (p, -1, 0);
      if (sync_cli (db, NULL, &err, "enroll", "--server", proxy_url, "--code", code, NULL) != 0)
        g_error ("enroll failed: %s", err);
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (PcmbnStore) store = pcmbn_store_open (db, &error);
        g_assert_no_error (error);
        g_assert_true (pcmbn_store_begin (store, &error));
        for (guint i = 0; i < per_round; i++)
          {
            g_autofree char *json = g_strdup_printf (
                "{\"material_type\":\"leaflet\",\"title\":\"Tờ rơi %u\",\"source\":"
                "\"district\",\"received_on\":\"2025-12-10\",\"quantity_received\":%u}",
                i, round);
            g_autoptr (JsonObject) data = pcmbn_test_json (json);
            g_free (pcmbn_store_add (store, "material", data, &error));
            g_assert_no_error (error);
          }
        g_assert_true (pcmbn_store_commit (store, &error));
      }

      sync_proxy_arm (p, dir, at);
      status = sync_cli (db, &out, &err, "sync", "--server", proxy_url, NULL);
      if (status != 0 && status != 1)
        g_error ("round %u: sync exited %d: %s", round, status, err);
      g_mutex_lock (&p->lock);
      g_test_message ("round %u: cut %s at %" G_GUINT64_FORMAT " (%s), %u connections, exit %d",
                      round, dir == SYNC_PROXY_UP ? "up" : "down", at,
                      p->cut_done ? "landed" : "past the end", p->connections, status);
      g_mutex_unlock (&p->lock);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);

      sync_proxy_arm (p, -1, 0);
      status = sync_cli (db, &out, &err, "sync", "--server", proxy_url, NULL);
      if (status != 0)
        g_error ("round %u: the retry exited %d: %s", round, status, err);
      g_assert_nonnull (strstr (out, ", conflicts 0, rejected 0"));

      server_rows = rows_of (s->db, "00004");
      device_rows = rows_of (db, "00004");
      g_assert_cmpstr (server_rows, ==, device_rows);
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==,
                       round * per_round);
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records WHERE version <> 1"),
                       ==, 0);
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM record_versions"), ==,
                       round * per_round);
      g_assert_cmpint (
          sync_query_int (db, "SELECT count(*) FROM records WHERE dirty = 1 OR state <> 'synced'"),
          ==, 0);
    }
  sync_proxy_free (p);
  sync_server_free (s);
}

/* An attachment's download cut half way: what came is kept (SHA.part),
 * and the next sync asks only for the rest (Range) and ends with the whole
 * file, checked by its hash. */
#define CUT_SIZE (1024 * 1024)
#define CUT_AT (CUT_SIZE / 2)

/* A server, a logbook that pushed one record with an attachment of
 * CUT_SIZE random bytes (gzip cannot shrink them, so bytes on the wire are
 * bytes of the file), and a new logbook of the same commune to restore
 * it: where its file and its piece (.part) go. */
typedef struct
{
  SyncServer *s;
  char *b;
  char *path;
  char *part;
  guint32 *content;
} Attached;

static void
attached_setup (Attached *t, guint32 seed)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *photo_path = g_build_filename (dir, "scan.jpg", NULL);
  g_autofree char *a = NULL, *sha = NULL, *err = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = NULL;

  t->content = g_new (guint32, CUT_SIZE / 4);
  for (gsize i = 0; i < CUT_SIZE / 4; i++)
    t->content[i] = g_rand_int (rand);
  g_assert_true (g_file_set_contents (photo_path, (const char *)t->content, CUT_SIZE, NULL));
  t->s = sync_server_new (FALSE);
  sync_server_start (t->s);
  a = sync_enrolled_logbook (t->s, "00001");
  sha = sync_add_attached (a, photo_path);
  g_assert_cmpint (sync_cli (a, NULL, &err, "sync", NULL), ==, 0);
  t->b = sync_enrolled_logbook (t->s, "00001");
  store = pcmbn_store_open (t->b, &error);
  g_assert_no_error (error);
  t->path = pcmbn_attachments_path (store, sha);
  t->part = g_strconcat (t->path, ".part", NULL);
}

static void
attached_teardown (Attached *t)
{
  sync_server_free (t->s);
  g_free (t->b);
  g_free (t->path);
  g_free (t->part);
  g_free (t->content);
}

static void
test_cut_attachment_download (void)
{
  Attached t = { 0 };
  g_autofree char *url = NULL, *got = NULL, *err = NULL;
  SyncProxy *p;
  gsize kept, len;

  attached_setup (&t, 11);
  p = sync_proxy_new (t.s->url);
  url = sync_proxy_url (p);
  /* The pull's answers are a few KB: the cut falls inside the file. */
  sync_proxy_arm (p, SYNC_PROXY_DOWN, CUT_AT);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (t.b, NULL, &err, "sync", "--server", url, NULL), !=, 0);
  g_assert_nonnull (strstr (err, "next sync resumes"));
  g_assert_false (g_file_test (t.path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (t.part, &got, &kept, NULL));
  g_assert_cmpuint (kept, >, CUT_AT / 2);
  g_assert_cmpuint (kept, <, CUT_SIZE);
  g_assert_cmpmem (got, kept, t.content, kept);
  g_clear_pointer (&got, g_free);

  sync_proxy_arm (p, -1, 0);
  g_assert_cmpint (sync_cli (t.b, NULL, NULL, "sync", "--server", url, NULL), ==, 0);
  g_assert_true (g_file_get_contents (t.path, &got, &len, NULL));
  g_assert_cmpmem (got, len, t.content, CUT_SIZE);
  g_assert_false (g_file_test (t.part, G_FILE_TEST_EXISTS));
  /* Only the rest came down the second time (and a few KB of answers). */
  g_assert_cmpuint (p->bytes[SYNC_PROXY_DOWN], <, CUT_SIZE - kept + 64 * 1024);
  sync_proxy_free (p);
  attached_teardown (&t);
}

/* A server that lies about attachments: it passes every request to the
 * real one, except the downloads of attachments, which it answers
 * wrongly in the way @lie says. */
typedef enum
{
  LIE_TOO_LARGE, /* 21 MiB, more than any attachment may be */
  LIE_DAMAGED,   /* the right length, one byte changed */
  LIE_BAD_RANGE, /* to a Range, the file from its first byte as a 206 */
} Lie;

typedef struct
{
  const char *upstream;
  Lie lie;
  SoupSession *session;
} LyingServer;

static void
lying_handler (SoupServer *server,
               SoupServerMessage *msg,
               const char *path,
               GHashTable *query,
               gpointer user_data)
{
  LyingServer *ls = user_data;
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  const char *q = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autofree char *url = g_strconcat (ls->upstream, path, q ? "?" : "", q ? q : "", NULL);
  g_autoptr (SoupMessage) up = soup_message_new (soup_server_message_get_method (msg), url);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  static const char *const copied[] = { "Authorization", "Accept", "Accept-Encoding",
                                        "Content-Type", "Content-Encoding" };
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GBytes) request = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;
  gboolean blob = g_str_has_prefix (path, "/api/v1/blobs/")
                  && g_str_equal (soup_server_message_get_method (msg), "GET");

  for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
    if (soup_message_headers_get_one (in, copied[i]))
      soup_message_headers_replace (soup_message_get_request_headers (up), copied[i],
                                    soup_message_headers_get_one (in, copied[i]));
  request = soup_message_body_flatten (body);
  if (g_bytes_get_size (request) > 0)
    soup_message_set_request_body_from_bytes (up, soup_message_headers_get_content_type (in, NULL),
                                              request);
  reply = soup_session_send_and_read (ls->session, up, NULL, NULL);
  g_assert_nonnull (reply);
  soup_server_message_set_status (msg, soup_message_get_status (up), NULL);
  soup_message_headers_iter_init (&iter, soup_message_get_response_headers (up));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Length") != 0
        && g_ascii_strcasecmp (name, "Transfer-Encoding") != 0
        && g_ascii_strcasecmp (name, "Content-Range") != 0)
      soup_message_headers_append (soup_server_message_get_response_headers (msg), name, value);
  if (blob && soup_message_get_status (up) == 200)
    {
      gsize size = g_bytes_get_size (reply);
      g_autofree char *lie = NULL;

      if (ls->lie == LIE_TOO_LARGE)
        {
          size = 21 * 1024 * 1024;
          lie = g_malloc0 (size);
        }
      else
        {
          lie = g_memdup2 (g_bytes_get_data (reply, NULL), size);
          lie[size / 2] ^= 1;
        }
      if (ls->lie == LIE_BAD_RANGE && soup_message_headers_get_one (in, "Range"))
        {
          g_autofree char *range = g_strdup_printf ("bytes 0-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT,
                                                    size - 1, size);
          soup_server_message_set_status (msg, 206, NULL);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Content-Range", range);
        }
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                        g_steal_pointer (&lie), size);
      return;
    }
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), reply);
}

/* Attachments that come wrong from the server (too large, damaged, a
 * Range answered from the start) are refused with a clear error, leave no
 * file and no piece of one, and come again whole from an honest server. */
static void
test_lying_server (void)
{
  Attached t = { 0 };
  g_autofree char *err = NULL, *got = NULL, *upstream = NULL, *folder = NULL;
  LyingServer ls = { 0 };
  SyncThreadServer *ts;
  gsize len;

  attached_setup (&t, 12);
  /* Paths are appended to it. */
  upstream = g_strdup (t.s->url);
  if (g_str_has_suffix (upstream, "/"))
    upstream[strlen (upstream) - 1] = '\0';
  ls.upstream = upstream;
  ls.session = soup_session_new ();
  soup_session_remove_feature_by_type (ls.session, SOUP_TYPE_CONTENT_DECODER);
  ts = sync_thread_server_new (lying_handler, &ls);

  for (Lie lie = LIE_TOO_LARGE; lie <= LIE_BAD_RANGE; lie++)
    {
      ls.lie = lie;
      if (lie == LIE_BAD_RANGE)
        {
          /* What an earlier, cut download kept. */
          folder = g_path_get_dirname (t.part);
          g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
          g_assert_true (g_file_set_contents (t.part, (const char *)t.content, 100 * 1024, NULL));
        }
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (
          sync_cli (t.b, NULL, &err, "sync", "--server", sync_thread_server_url (ts), NULL), ==, 1);
      g_test_message ("lie %d: %s", lie, err);
      g_assert_nonnull (strstr (err, "damaged or not whole"));
      g_assert_false (g_file_test (t.path, G_FILE_TEST_EXISTS));
      g_assert_false (g_file_test (t.part, G_FILE_TEST_EXISTS));
      g_assert_cmpint (sync_query_int (t.b, "SELECT count(*) FROM meta WHERE key ="
                                            " 'sync_blobs_pending'"),
                       ==, 1);
    }

  /* The honest server: the file whole, nothing pending. */
  g_assert_cmpint (sync_cli (t.b, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_true (g_file_get_contents (t.path, &got, &len, NULL));
  g_assert_cmpmem (got, len, t.content, CUT_SIZE);
  g_assert_cmpint (
      sync_query_int (t.b, "SELECT count(*) FROM meta WHERE key = 'sync_blobs_pending'"), ==, 0);
  sync_thread_server_free (ts);
  g_object_unref (ls.session);
  attached_teardown (&t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync-faults/cut-connections", test_cut_connections);
  g_test_add_func ("/sync-faults/cut-batches-in-flight", test_cut_batches_in_flight);
  g_test_add_func ("/sync-faults/cut-attachment-download", test_cut_attachment_download);
  g_test_add_func ("/sync-faults/lying-server", test_lying_server);
  return g_test_run ();
}
