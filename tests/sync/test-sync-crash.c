/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pulling the plug on sync. Real `pcmbn` devices sync with a real
 * `pcmbn-district serve`, and one side is killed with SIGKILL at a random
 * moment:
 *
 * - client rounds: a device is killed in the middle of its own sync (while
 *   it pushes, after the server stored the push but before the device heard
 *   back, while it pulls), then syncs again;
 * - server rounds: the server is killed while four devices push and pull at
 *   once, then restarted on the same database, and every device syncs again.
 *
 * After each kill both files pass SQLite's integrity check, and every record
 * a device holds as acknowledged (clean, `synced`) is on the server with the
 * same version and content: nothing acknowledged is lost. After the syncs
 * that follow, every device equals the server for its commune, every record
 * arrived exactly once (the server holds exactly the records the devices
 * made, none twice), and each record's version counts exactly the rounds
 * that changed it (no edit stored twice).
 *
 * The moments are drawn with a seeded GRand from a range that follows the
 * measured speed of undisturbed syncs, so that the kills spread over the
 * whole exchange however busy the machine is. PCMBN_CRASH_SEED,
 * PCMBN_CRASH_CLIENT_ROUNDS and PCMBN_CRASH_SERVER_ROUNDS override the seed
 * and the numbers of rounds. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "sync-helpers.h"

#define DEFAULT_SEED 20261202
#define DEFAULT_CLIENT_ROUNDS 16
#define DEFAULT_SERVER_ROUNDS 10
/* A fresh server and fresh devices after this many rounds: the files stay
 * small, so that every round costs about the same however many there are. */
#define ROUNDS_PER_SERVER 25
/* Work units of a sync: one per record pushed or pulled, plus this much for
 * starting the program and opening the connection. */
#define OVERHEAD_UNITS 150

static guint
env_uint (const char *name, guint fallback)
{
  const char *text = g_getenv (name);

  return text && *text ? (guint)g_ascii_strtoull (text, NULL, 10) : fallback;
}

/* ---- devices and their records ---------------------------------------------- */

typedef struct
{
  char *db;
  const char *commune;
  GPtrArray *live; /* uuids of the records this device made, not deleted */
} Device;

typedef struct
{
  GRand *rand;
  guint32 seed;
  char *dir;            /* CSV files to import */
  GHashTable *expected; /* uuid → number of rounds that changed it */
  GHashTable *changed;  /* uuids changed in this round */
  guint serial;         /* makes every tag and every edit unique */
  guint adds, edits, deletes;
} World;

static void
world_init (World *w, guint32 seed)
{
  w->seed = seed;
  w->rand = g_rand_new_with_seed (seed);
  w->dir = pcmbn_test_tmpdir ();
  w->expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
world_clear (World *w)
{
  g_rand_free (w->rand);
  g_free (w->dir);
  g_hash_table_unref (w->expected);
  g_hash_table_unref (w->changed);
}

static void
device_init (Device *d, SyncServer *s, const char *commune)
{
  d->db = sync_enrolled_logbook (s, commune);
  d->commune = commune;
  d->live = g_ptr_array_new_with_free_func (g_free);
}

static void
device_clear (Device *d)
{
  g_free (d->db);
  g_ptr_array_unref (d->live);
}

/* Imports @n activities in one `pcmbn import`; their uuids join the device's
 * live records. */
static void
import_rows (World *w, Device *d, guint n)
{
  g_autofree char *tag = g_strdup_printf ("sync-crash-%06u;", ++w->serial);
  g_autofree char *path = g_build_filename (w->dir, "import.csv", NULL);
  g_autofree char *sql = NULL, *uuids = NULL, *err = NULL;
  g_auto (GStrv) list = NULL;
  GString *csv;

  if (n == 0)
    return;
  csv = g_string_new ("date,activity_type,subproject,title,location,topics,"
                      "participants_total,participants_female,notes\r\n");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (csv,
                            "2026-%02u-%02u,community_talk,community,\"Nói chuyện số %u, phòng "
                            "chống mua bán người\",Tổ dân phố %u,hotline;law_policy,%u,%u,%s\r\n",
                            1 + i % 6, 1 + i % 28, i, 1 + i % 40, 20 + i % 100, 10 + i % 10, tag);
  g_assert_true (g_file_set_contents (path, csv->str, csv->len, NULL));
  g_string_free (csv, TRUE);
  if (sync_cli (d->db, NULL, &err, "import", "activity", path, NULL) != 0)
    g_error ("import failed: %s", err);
  sql = g_strdup_printf ("SELECT group_concat (uuid, ' ') FROM records WHERE instr (data, '%s')",
                         tag);
  uuids = sync_query_text (d->db, sql);
  g_assert_nonnull (uuids);
  list = g_strsplit (uuids, " ", -1);
  g_assert_cmpuint (g_strv_length (list), ==, n);
  for (guint i = 0; list[i]; i++)
    {
      g_ptr_array_add (d->live, g_strdup (list[i]));
      g_hash_table_add (w->changed, g_strdup (list[i]));
    }
  w->adds += n;
}

/* Up to @max_edits edits and @max_deletes deletions of older records, then
 * @n_add new ones. Each edit writes a value never written before, so that
 * it is a real change the server must number. */
static void
random_changes (World *w, Device *d, guint n_add, guint max_edits, guint max_deletes)
{
  guint n_edit = g_rand_int_range (w->rand, 0, max_edits + 1);
  guint n_delete = g_rand_int_range (w->rand, 0, max_deletes + 1);

  for (guint i = 0; i < n_edit && d->live->len > 0; i++)
    {
      const char *uuid = d->live->pdata[g_rand_int_range (w->rand, 0, d->live->len)];
      g_autofree char *json = g_strdup_printf ("{\"participants_total\":%u}", 1000 + ++w->serial);
      const char *argv[] = { "--db", d->db, "update", uuid, NULL };
      g_autofree char *err = NULL;

      if (pcmbn_test_run_cli (argv, json, NULL, &err) != 0)
        g_error ("update failed: %s", err);
      g_hash_table_add (w->changed, g_strdup (uuid));
      w->edits++;
    }
  for (guint i = 0; i < n_delete && d->live->len > 0; i++)
    {
      guint at = g_rand_int_range (w->rand, 0, d->live->len);
      g_autofree char *uuid = g_ptr_array_steal_index (d->live, at);
      g_autofree char *err = NULL;

      if (sync_cli (d->db, NULL, &err, "delete", uuid, NULL) != 0)
        g_error ("delete failed: %s", err);
      g_hash_table_add (w->changed, g_strdup (uuid));
      w->deletes++;
    }
  import_rows (w, d, n_add);
}

/* The round's changes are on the server: each changed record gains one
 * version. */
static void
round_done (World *w)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, w->changed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gpointer n = g_hash_table_lookup (w->expected, key);
      g_hash_table_insert (w->expected, g_strdup (key), GINT_TO_POINTER (GPOINTER_TO_INT (n) + 1));
    }
  g_hash_table_remove_all (w->changed);
}

/* ---- processes ---------------------------------------------------------------- */

/* `pcmbn sync`, in the background; with @pipes its output is read by
 * finish_sync(). */
static GSubprocess *
spawn_sync (Device *d, const char *url, gboolean pipes)
{
  g_autoptr (GError) error = NULL;
  GSubprocess *proc = g_subprocess_new (
      pipes ? G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
            : G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
      &error, g_getenv ("PCMBN_CLI"), "--db", d->db, "sync", "--server", url, NULL);

  g_assert_no_error (error);
  return proc;
}

/* Waits for a sync that may have been cut short: TRUE when it completed. A
 * killed client dies of SIGKILL; a client whose server died exits 1. */
static gboolean
wait_sync (GSubprocess *proc, gboolean may_fail)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_signaled (proc))
    {
      g_assert_cmpint (g_subprocess_get_term_sig (proc), ==, SIGKILL);
      return FALSE;
    }
  g_assert_true (g_subprocess_get_if_exited (proc));
  if (g_subprocess_get_exit_status (proc) == 0)
    return TRUE;
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_true (may_fail);
  return FALSE;
}

/* A sync that nothing disturbs must complete without conflicts or
 * rejections. */
static void
finish_sync (GSubprocess *proc, guint round)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  const char *last;

  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0)
    g_error ("round %u: an undisturbed sync failed: %s", round, err);
  g_strstrip (out);
  last = strrchr (out, '\n') ? strrchr (out, '\n') + 1 : out;
  if (!g_str_has_prefix (last, "pushed ") || strstr (last, ", conflicts 0, rejected 0") == NULL)
    g_error ("round %u: an undisturbed sync said “%s”", round, last);
}

static void
sync_clean (Device *d, const char *url, guint round)
{
  g_autoptr (GSubprocess) proc = spawn_sync (d, url, TRUE);

  finish_sync (proc, round);
}

/* ---- checks --------------------------------------------------------------- */

/* Opens the file as the next program would (recovering the WAL a killed
 * process left) and checks it. */
static void
assert_sound (const char *path, guint round)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  if (g_strcmp0 ((const char *)sqlite3_column_text (stmt, 0), "ok") != 0)
    g_error ("round %u: %s fails the integrity check: %s", round, path,
             sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA foreign_key_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  /* The live counts kept by triggers still match the rows. */
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT count(*) FROM record_counts c WHERE live <>"
                                       " (SELECT count(*) FROM records r WHERE r.kind = c.kind"
                                       " AND r.deleted = 0)",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* The first column of a query on the server's database with a device's
 * attached as `dev`, as text (NULL for no row or NULL). */
static char *
query_pair_text (const char *server_db, const char *device_db, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *attach;
  char *v = NULL;

  g_assert_cmpint (sqlite3_open_v2 (server_db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  attach = sqlite3_mprintf ("ATTACH DATABASE %Q AS dev", device_db);
  g_assert_cmpint (sqlite3_exec (db, attach, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_free (attach);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    v = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static gint64
query_pair (const char *server_db, const char *device_db, const char *sql)
{
  g_autofree char *text = query_pair_text (server_db, device_db, sql);

  return text ? g_ascii_strtoll (text, NULL, 10) : -1;
}

/* Nothing acknowledged is lost: every record the device holds as clean and
 * synced is on the server at that version with the same content and the
 * same deletion flag, or at a later version (a colleague's edit the device
 * has not pulled yet). And the device never read past the server's last
 * change. */
static void
assert_acknowledged_kept (SyncServer *s, Device *d, guint round)
{
  g_autofree char *cursor_sql = NULL;
  gint64 lost = query_pair (s->db, d->db,
                            "SELECT count(*) FROM dev.records d LEFT JOIN main.records s"
                            " ON s.uuid = d.uuid WHERE d.dirty = 0 AND d.state = 'synced' AND"
                            " (s.uuid IS NULL OR s.version < d.version OR (s.version = d.version"
                            " AND (s.deleted <> d.deleted OR s.data <> d.data)))");

  if (lost != 0)
    g_error ("round %u: %" G_GINT64_FORMAT " records that %s holds as acknowledged are not on "
             "the server as the device has them",
             round, lost, d->db);
  cursor_sql = g_strdup_printf (
      "SELECT coalesce ((SELECT CAST (value AS INTEGER) FROM dev.meta WHERE key = 'sync_cursor'),"
      " 0) > coalesce ((SELECT max (seq) FROM main.changes WHERE org_unit = '%s'), 0)",
      d->commune);
  if (query_pair (s->db, d->db, cursor_sql) != 0)
    g_error ("round %u: %s has read changes past the server's last one", round, d->db);
}

/* The device equals the server for its commune (uuid, version, deletion,
 * content), with nothing left to send. Compared in SQL, the files
 * attached side by side: the rows are many. */
static void
assert_converged (SyncServer *s, Device *d, guint round)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT group_concat (uuid, ' ') FROM ("
      " SELECT s.uuid FROM main.records s LEFT JOIN dev.records d ON d.uuid = s.uuid"
      "  WHERE s.org_unit = '%1$s' AND (d.uuid IS NULL OR d.version <> s.version"
      "  OR d.deleted <> s.deleted OR d.data <> s.data)"
      " UNION ALL SELECT d.uuid FROM dev.records d LEFT JOIN main.records s ON s.uuid = d.uuid"
      "  WHERE d.org_unit = '%1$s' AND s.uuid IS NULL LIMIT 10)",
      d->commune);
  g_autofree char *differ = query_pair_text (s->db, d->db, sql);

  if (differ)
    g_error ("round %u: %s differs from the server in (at most 10 shown): %s", round, d->db,
             differ);
  g_assert_cmpint (
      sync_query_int (d->db, "SELECT count(*) FROM records WHERE dirty = 1 OR state <> 'synced'"),
      ==, 0);
}

/* Every record arrived exactly once: the server holds the records the
 * devices made and no other, each at the version that counts the rounds
 * that changed it, each version written down once. */
static void
assert_exactly_once (SyncServer *s, World *w, guint round)
{
  GHashTableIter iter;
  gpointer key, value;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==,
                   g_hash_table_size (w->expected));
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
  /* one row per record in the change sequence */
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) - count(DISTINCT record_uuid) FROM"
                                          " changes WHERE record_uuid IS NOT NULL"),
                   ==, 0);
  /* and it names the record's row */
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM changes c LEFT JOIN records r ON"
                                          " r.uuid = c.record_uuid WHERE c.record_uuid IS NOT"
                                          " NULL AND c.record_id IS NOT r.id"),
                   ==, 0);
}

/* A random moment in [0, 5/4 × the predicted length of the exchange). */
static gint64
draw_delay (World *w, double us_per_unit, guint units)
{
  double predicted = us_per_unit * units;

  return (gint64)g_rand_double_range (w->rand, 0, MAX (predicted * 1.25, 1000));
}

/* ---- client rounds ---------------------------------------------------------- */

static void
test_kill_client (void)
{
  guint32 seed = env_uint ("PCMBN_CRASH_SEED", DEFAULT_SEED);
  guint rounds = env_uint ("PCMBN_CRASH_CLIENT_ROUNDS", DEFAULT_CLIENT_ROUNDS);
  guint before = 0, unanswered = 0, pulling = 0, done = 0, two_batches = 0;
  double us_per_unit = 0;
  gint64 spent = g_get_monotonic_time ();
  SyncServer *s = NULL;
  Device a = { 0 }, b = { 0 };
  guint m_prev = 0;
  World w = { 0 };

  world_init (&w, seed);
  g_test_message ("seed %u, %u client rounds (PCMBN_CRASH_SEED and PCMBN_CRASH_CLIENT_ROUNDS "
                  "repeat or change the run)",
                  seed, rounds);
  for (guint round = 1; round <= rounds; round++)
    {
      GSubprocess *proc;
      gint64 t, delay, dirty, stored;
      guint m, k;
      gboolean finished;

      if ((round - 1) % ROUNDS_PER_SERVER == 0)
        {
          /* A fresh server; device a is the one killed, b a colleague in the
           * same commune whose records a pulls. */
          if (s)
            {
              device_clear (&a);
              device_clear (&b);
              sync_server_free (s);
            }
          g_hash_table_remove_all (w.expected);
          s = sync_server_new (FALSE);
          sync_server_start (s);
          device_init (&a, s, "00001");
          device_init (&b, s, "00001");
          m_prev = 0;
        }

      /* The colleague syncs undisturbed: the speed of that exchange sets
       * the range of the next kill. */
      k = g_rand_int_range (w.rand, 0, 200);
      random_changes (&w, &b, k, 1, 1);
      t = g_get_monotonic_time ();
      sync_clean (&b, s->url, round);
      t = g_get_monotonic_time () - t;
      {
        double rate = (double)t / (2 * k + m_prev + OVERHEAD_UNITS);
        us_per_unit = us_per_unit == 0 ? rate : 0.7 * us_per_unit + 0.3 * rate;
      }
      round_done (&w);

      /* One round in eight pushes two batches. */
      m = round % 8 == 0 ? g_rand_int_range (w.rand, 1001, 1300)
                         : g_rand_int_range (w.rand, 0, 300);
      random_changes (&w, &a, m, 2, 1);
      delay = draw_delay (&w, us_per_unit, 2 * m + k + OVERHEAD_UNITS);
      proc = spawn_sync (&a, s->url, FALSE);
      g_usleep (delay);
      g_subprocess_force_exit (proc);
      finished = wait_sync (proc, FALSE);
      g_object_unref (proc);

      assert_sound (a.db, round);
      assert_acknowledged_kept (s, &a, round);
      dirty = sync_query_int (a.db, "SELECT count(*) FROM records WHERE dirty = 1");
      /* records the device still has to send that the server already holds
       * exactly so, at a newer version: stored, but never answered */
      stored = query_pair (s->db, a.db,
                           "SELECT count(*) FROM dev.records d JOIN main.records s ON"
                           " s.uuid = d.uuid WHERE d.dirty = 1 AND s.version > d.version AND"
                           " s.data = d.data AND s.deleted = d.deleted");
      if (finished)
        done++;
      else if (stored > 0)
        unanswered++;
      else if (dirty > 0)
        before++;
      else
        pulling++;
      if (m > 1000)
        two_batches++;

      sync_clean (&a, s->url, round);
      round_done (&w);
      assert_converged (s, &a, round);
      assert_exactly_once (s, &w, round);
      m_prev = m;

      if (round % ROUNDS_PER_SERVER == 0 || round == rounds)
        {
          /* the colleague catches up, and the server survived it all */
          sync_clean (&b, s->url, round);
          assert_converged (s, &b, round);
          g_assert_cmpint (sync_server_stop (s), ==, 0);
          assert_sound (s->db, round);
        }
    }
  g_test_message ("client, %u rounds (seed %u): %u adds, %u edits, %u deletes; %u rounds pushed "
                  "two batches",
                  rounds, seed, w.adds, w.edits, w.deletes, two_batches);
  g_test_message ("client killed: %u before the server stored its push, %u after the server "
                  "stored a push but before the device heard back, %u after the push while "
                  "pulling, %u after the sync completed",
                  before, unanswered, pulling, done);
  g_test_message ("client rounds took %.1f s",
                  (g_get_monotonic_time () - spent) / (double)G_USEC_PER_SEC);
  /* How the kills fell depends on the machine's load: reported, not
   * asserted (no timed assertions in tests). */
  if (s)
    {
      device_clear (&a);
      device_clear (&b);
      sync_server_free (s);
    }
  world_clear (&w);
}

/* ---- server rounds ---------------------------------------------------------- */

#define N_DEVICES 4

static void
test_kill_server (void)
{
  /* the first two share a commune */
  static const char *const communes[N_DEVICES] = { "00001", "00001", "00004", "00006" };
  guint32 seed = env_uint ("PCMBN_CRASH_SEED", DEFAULT_SEED) + 1;
  guint rounds = env_uint ("PCMBN_CRASH_SERVER_ROUNDS", DEFAULT_SERVER_ROUNDS);
  guint before = 0, unanswered = 0, during = 0, after = 0, devices_cut = 0;
  double us_per_unit = 0;
  gint64 spent = g_get_monotonic_time ();
  SyncServer *s = NULL;
  Device devices[N_DEVICES] = { 0 };
  World w = { 0 };

  world_init (&w, seed);
  g_test_message ("seed %u, %u server rounds (PCMBN_CRASH_SEED and PCMBN_CRASH_SERVER_ROUNDS "
                  "repeat or change the run; the server rounds draw from the seed + 1)",
                  seed, rounds);
  for (guint round = 1; round <= rounds; round++)
    {
      GSubprocess *procs[N_DEVICES];
      guint units = N_DEVICES * OVERHEAD_UNITS;
      gint64 versions_before, versions_after, delay, t, stored = 0;
      guint finished = 0;

      if ((round - 1) % ROUNDS_PER_SERVER == 0)
        {
          if (s)
            {
              for (guint i = 0; i < N_DEVICES; i++)
                device_clear (&devices[i]);
              sync_server_free (s);
            }
          g_hash_table_remove_all (w.expected);
          s = sync_server_new (FALSE);
          sync_server_start (s);
          for (guint i = 0; i < N_DEVICES; i++)
            device_init (&devices[i], s, communes[i]);
          /* A first exchange, undisturbed, measures the speed. */
          for (guint i = 0; i < N_DEVICES; i++)
            random_changes (&w, &devices[i], 200, 0, 0);
          t = g_get_monotonic_time ();
          for (guint i = 0; i < N_DEVICES; i++)
            procs[i] = spawn_sync (&devices[i], s->url, TRUE);
          for (guint i = 0; i < N_DEVICES; i++)
            {
              finish_sync (procs[i], 0);
              g_object_unref (procs[i]);
            }
          t = g_get_monotonic_time () - t;
          us_per_unit = (double)t / (N_DEVICES * (OVERHEAD_UNITS + 2 * 200) + 2 * 200);
          round_done (&w);
        }

      for (guint i = 0; i < N_DEVICES; i++)
        {
          guint n = g_rand_int_range (w.rand, 0, 200);
          random_changes (&w, &devices[i], n, 1, 1);
          /* pushed, then pulled back, and pulled by the colleague */
          units += 2 * n + (g_str_equal (communes[i], "00001") ? n : 0);
        }
      versions_before = sync_query_int (s->db, "SELECT count(*) FROM record_versions");
      delay = draw_delay (&w, us_per_unit, units);
      for (guint i = 0; i < N_DEVICES; i++)
        procs[i] = spawn_sync (&devices[i], s->url, FALSE);
      g_usleep (delay);
      g_subprocess_force_exit (s->proc);
      {
        g_autoptr (GError) error = NULL;
        g_subprocess_wait (s->proc, NULL, &error);
        g_assert_no_error (error);
        g_assert_true (g_subprocess_get_if_signaled (s->proc));
        g_clear_object (&s->proc);
      }
      for (guint i = 0; i < N_DEVICES; i++)
        {
          if (wait_sync (procs[i], TRUE))
            finished++;
          g_object_unref (procs[i]);
        }

      /* The server's file as the killed server left it. */
      assert_sound (s->db, round);
      versions_after = sync_query_int (s->db, "SELECT count(*) FROM record_versions");
      for (guint i = 0; i < N_DEVICES; i++)
        {
          assert_sound (devices[i].db, round);
          assert_acknowledged_kept (s, &devices[i], round);
          stored += query_pair (s->db, devices[i].db,
                                "SELECT count(*) FROM dev.records d JOIN main.records s ON"
                                " s.uuid = d.uuid WHERE d.dirty = 1 AND s.version > d.version"
                                " AND s.data = d.data AND s.deleted = d.deleted");
        }
      devices_cut += N_DEVICES - finished;
      if (finished == N_DEVICES)
        after++;
      else if (versions_after == versions_before)
        before++;
      else if (stored > 0)
        unanswered++;
      else
        during++;

      /* Restarted on the same file, every device syncs again, all at once;
       * then the two of commune 00001 once more, to see each other's last
       * pushes. */
      sync_server_start (s);
      t = g_get_monotonic_time ();
      for (guint i = 0; i < N_DEVICES; i++)
        procs[i] = spawn_sync (&devices[i], s->url, TRUE);
      for (guint i = 0; i < N_DEVICES; i++)
        {
          finish_sync (procs[i], round);
          g_object_unref (procs[i]);
        }
      t = g_get_monotonic_time () - t;
      /* When nothing of the round had reached the server, this was the
       * round's whole exchange, undisturbed: it measures the speed. */
      if (versions_after == versions_before)
        us_per_unit = 0.7 * us_per_unit + 0.3 * ((double)t / units);
      for (guint i = 0; i < 2; i++)
        sync_clean (&devices[i], s->url, round);
      round_done (&w);
      for (guint i = 0; i < N_DEVICES; i++)
        assert_converged (s, &devices[i], round);
      assert_exactly_once (s, &w, round);

      if (round % ROUNDS_PER_SERVER == 0 || round == rounds)
        {
          g_assert_cmpint (sync_server_stop (s), ==, 0);
          assert_sound (s->db, round);
        }
    }
  g_test_message ("server, %u rounds (seed %u): %u adds, %u edits, %u deletes over %d devices",
                  rounds, seed, w.adds, w.edits, w.deletes, N_DEVICES);
  g_test_message ("server killed: %u before it stored anything of the round, %u with a push "
                  "stored but not yet answered, %u while devices pushed or pulled otherwise, %u "
                  "after every device had finished; %u device syncs were cut",
                  before, unanswered, during, after, devices_cut);
  g_test_message ("server rounds took %.1f s",
                  (g_get_monotonic_time () - spent) / (double)G_USEC_PER_SEC);
  if (s)
    {
      for (guint i = 0; i < N_DEVICES; i++)
        device_clear (&devices[i]);
      sync_server_free (s);
    }
  world_clear (&w);
}

/* ---- a restore killed ---------------------------------------------------- */

#define RESTORE_RECORDS 3000
#define DEFAULT_RESTORE_ROUNDS 8

/* A restore onto a new device writes the database file itself, not the
 * log, each page committed through a rollback journal (see pull_pages() in
 * pcmbn-sync-engine.c). Killed at any moment of it, the file opens sound,
 * the next sync brings every record exactly once, and the store is back on
 * the write-ahead log. */
static void
test_kill_restore (void)
{
  guint32 seed = env_uint ("PCMBN_CRASH_SEED", DEFAULT_SEED);
  guint rounds = env_uint ("PCMBN_CRASH_RESTORE_ROUNDS", DEFAULT_RESTORE_ROUNDS);
  SyncServer *s = sync_server_new (FALSE);
  Device source = { 0 };
  World w = { 0 };
  gint64 full;
  guint cut = 0;

  world_init (&w, seed);
  sync_server_start (s);
  device_init (&source, s, "00001");
  import_rows (&w, &source, RESTORE_RECORDS);
  sync_clean (&source, s->url, 0);

  /* An undisturbed restore: its length sets the range of the kills. */
  {
    Device d = { 0 };
    device_init (&d, s, "00001");
    full = g_get_monotonic_time ();
    sync_clean (&d, s->url, 0);
    full = g_get_monotonic_time () - full;
    assert_converged (s, &d, 0);
    device_clear (&d);
  }
  for (guint round = 1; round <= rounds; round++)
    {
      Device d = { 0 };
      GSubprocess *proc;
      gint64 delay = (gint64)g_rand_double_range (w.rand, 0, full);

      device_init (&d, s, "00001");
      proc = spawn_sync (&d, s->url, FALSE);
      g_usleep (delay);
      g_subprocess_force_exit (proc);
      if (!wait_sync (proc, FALSE))
        cut++;
      g_object_unref (proc);
      assert_sound (d.db, round);
      sync_clean (&d, s->url, round);
      assert_sound (d.db, round);
      assert_converged (s, &d, round);
      g_assert_cmpint (sync_query_int (d.db, "SELECT count(*) FROM records"), ==, RESTORE_RECORDS);
      {
        g_autofree char *mode = sync_query_text (d.db, "PRAGMA journal_mode");
        g_assert_cmpstr (mode, ==, "wal");
      }
      device_clear (&d);
    }
  g_test_message ("%u of %u restores killed before they ended (an undisturbed one: %.2f s)", cut,
                  rounds, full / 1e6);
  device_clear (&source);
  sync_server_free (s);
  world_clear (&w);
}

int
main (int argc, char **argv)
{
  g_setenv ("PCMBN_TODAY", "2026-07-30", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync-crash/kill-client", test_kill_client);
  g_test_add_func ("/sync-crash/kill-server", test_kill_server);
  g_test_add_func ("/sync-crash/kill-restore", test_kill_restore);
  return g_test_run ();
}
