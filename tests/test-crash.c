/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pulling the plug: `pcmbn import` and `pcmbn add` are killed with SIGKILL
 * at random moments, from before the database is opened to after the
 * commit. After each kill the file must pass SQLite's integrity check and
 * hold either the whole import (or the added record) or nothing of it.
 *
 * The moments are drawn with a seeded GRand (PCMBN_CRASH_SEED overrides the
 * seed) from a range calibrated on an undisturbed run, so that most kills
 * land while the import is validating or writing. PCMBN_CRASH_IMPORT_ROUNDS
 * and PCMBN_CRASH_ADD_ROUNDS change the numbers of rounds (the slow suite
 * runs more; tests/sync/test-sync-crash.c kills sync the same way). */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pcmbn-test-util.h"

#define N_ROWS 3000
#define IMPORT_ROUNDS 40
#define ADD_ROUNDS 24
#define FIRST_IMPORT_ROUNDS 16

static guint
env_uint (const char *name, guint fallback)
{
  const char *text = g_getenv (name);

  return text && *text ? (guint)g_ascii_strtoull (text, NULL, 10) : fallback;
}

typedef struct
{
  char *dir;
  char *db;
  GRand *rand;
  guint32 seed;
} Crash;

static void
crash_setup (Crash *c)
{
  const char *seed = g_getenv ("PCMBN_CRASH_SEED");
  g_autofree char *err = NULL;
  const char *argv[] = { "init", "--org-unit", "00001", "--db", NULL, NULL };

  c->dir = pcmbn_test_tmpdir ();
  c->db = g_build_filename (c->dir, "logbook.sqlite", NULL);
  argv[4] = c->db;
  g_assert_cmpint (pcmbn_test_run_cli (argv, NULL, NULL, &err), ==, 0);
  c->seed = seed ? (guint32)g_ascii_strtoull (seed, NULL, 10) : 20260730;
  c->rand = g_rand_new_with_seed (c->seed);
  g_test_message ("seed %u (set PCMBN_CRASH_SEED to repeat another run)", c->seed);
}

static void
crash_clear (Crash *c)
{
  g_rand_free (c->rand);
  g_free (c->dir);
  g_free (c->db);
}

/* Spawns pcmbn; the caller kills or waits. */
static GSubprocess *
spawn (const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GSubprocess *proc;

  g_ptr_array_add (argv, (gpointer)g_getenv ("PCMBN_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_INHERIT | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error);
  g_assert_no_error (error);
  return proc;
}

/* Runs to the end; returns the wall time in microseconds. */
static gint64
run_timed (const char *const *args)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GSubprocess) proc = spawn (args);
  g_autoptr (GError) error = NULL;

  g_subprocess_wait_check (proc, NULL, &error);
  g_assert_no_error (error);
  return g_get_monotonic_time () - start;
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64)st.st_size : 0;
}

/* Kills @args after @delay_us; returns whether it had already finished.
 * With @wal set, the delay counts from the moment the process starts
 * writing to that file (or from its start when it never does within
 * @wait_us). */
static gboolean
run_and_kill (const char *const *args, gint64 delay_us, const char *wal, gint64 wait_us)
{
  g_autoptr (GSubprocess) proc = spawn (args);
  g_autoptr (GError) error = NULL;

  if (wal != NULL)
    {
      gint64 until = g_get_monotonic_time () + wait_us;
      while (file_size (wal) == 0 && g_get_monotonic_time () < until)
        g_usleep (100);
    }
  if (delay_us > 0)
    g_usleep (delay_us);
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_exited (proc))
    {
      /* finished before the kill: it must have succeeded */
      g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
      return TRUE;
    }
  g_assert_true (g_subprocess_get_if_signaled (proc));
  g_assert_cmpint (g_subprocess_get_term_sig (proc), ==, 9);
  return FALSE;
}

static gint64
query_int (sqlite3 *db, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

typedef struct
{
  gint64 records;  /* activities not deleted */
  gint64 tagged;   /* of them, those of this round */
  gint64 codes;    /* record_codes rows of this round's records */
  gint64 wal_size; /* bytes in the -wal file the killed process left */
} State;

/* Opens the file as the next program would (recovering the WAL), checks
 * it, counts. */
static State
inspect (const char *path, const char *tag)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  State s = { 0 };

  s.wal_size = file_size (wal);
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "ok");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  /* and no record_codes row lost its record */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA foreign_key_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  s.records = query_int (db, "SELECT count(*) FROM records WHERE kind = 'activity' AND deleted = 0",
                         NULL);
  s.tagged = query_int (db, "SELECT count(*) FROM records WHERE instr(data, ?1) > 0", tag);
  s.codes = query_int (db,
                       "SELECT count(*) FROM record_codes c JOIN records r ON r.id = c.record_id"
                       " WHERE instr(r.data, ?1) > 0",
                       tag);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return s;
}

static char *
make_csv (const char *tag, guint n_rows)
{
  GString *s = g_string_new ("\xEF\xBB\xBF"
                             "date,activity_type,subproject,title,location,topics,"
                             "participants_total,participants_female,notes\r\n");

  for (guint i = 0; i < n_rows; i++)
    g_string_append_printf (s,
                            "2026-%02u-%02u,community_talk,community,\"Nói chuyện chuyên đề số %u, "
                            "phòng chống mua bán người\",Tổ dân phố %u,hotline;law_policy,%u,%u,"
                            "\"%s;\nGhi chú \"\"dòng hai\"\"\"\r\n",
                            1 + i % 6, 1 + i % 28, i, 1 + i % 40, 20 + i % 100, 10 + i % 10, tag);
  return g_string_free (s, FALSE);
}

static void
test_kill_import (void)
{
  Crash c;
  g_autofree char *csv_path = NULL, *warm = NULL, *wal = NULL;
  gint64 t_open = 0, t_import, prev;
  guint before = 0, during_check = 0, during_write = 0, after = 0;
  guint rounds = env_uint ("PCMBN_CRASH_IMPORT_ROUNDS", IMPORT_ROUNDS);

  crash_setup (&c);
  csv_path = g_build_filename (c.dir, "import.csv", NULL);
  wal = g_strconcat (c.db, "-wal", NULL);

  /* Calibrate: a command that only opens the database, and a whole import */
  {
    const char *list_args[] = { "--db", c.db, "list", "training", NULL };
    for (int i = 0; i < 3; i++)
      t_open += run_timed (list_args);
    t_open /= 3;
  }
  warm = make_csv ("crash-warm-up", N_ROWS);
  g_assert_true (g_file_set_contents (csv_path, warm, -1, NULL));
  {
    const char *args[] = { "--db", c.db, "import", "activity", csv_path, NULL };
    t_import = run_timed (args);
  }
  prev = inspect (c.db, "crash-warm-up").records;
  g_assert_cmpint (prev, ==, N_ROWS);
  g_test_message ("calibration: open %" G_GINT64_FORMAT " ms, import of %d rows %" G_GINT64_FORMAT
                  " ms",
                  t_open / 1000, N_ROWS, t_import / 1000);

  for (guint round = 0; round < rounds; round++)
    {
      g_autofree char *tag = g_strdup_printf ("crash-import-%03u", round);
      g_autofree char *csv = make_csv (tag, N_ROWS);
      const char *args[] = { "--db", c.db, "import", "activity", csv_path, NULL };
      /* Most rounds: from nothing to a quarter past the undisturbed run.
       * The others aim at the short writing phase: from the first page
       * written to the WAL, up to 60 ms later. */
      gboolean aim_at_write = round % 5 >= 3;
      gint64 delay = aim_at_write ? g_rand_int_range (c.rand, 0, 60000)
                                  : g_rand_int_range (c.rand, 0, (gint32)(t_import * 5 / 4));
      /* and the first two before it can even open the file */
      if (round < 2)
        delay = round * 1000;
      gboolean finished;
      State s;

      g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
      g_assert_cmpint (file_size (wal), ==, 0);
      finished = run_and_kill (args, delay, aim_at_write ? wal : NULL, 2 * t_import);
      s = inspect (c.db, tag);
      /* all or nothing, in records and in their codes */
      if (s.records == prev + N_ROWS)
        {
          g_assert_cmpint (s.tagged, ==, N_ROWS);
          g_assert_cmpint (s.codes, ==, 2 * N_ROWS);
          after++;
        }
      else
        {
          if (s.records != prev)
            g_test_message ("round %u: %" G_GINT64_FORMAT " records, expected %" G_GINT64_FORMAT
                            " or %" G_GINT64_FORMAT,
                            round, s.records, prev, prev + N_ROWS);
          g_assert_cmpint (s.records, ==, prev);
          g_assert_cmpint (s.tagged, ==, 0);
          g_assert_cmpint (s.codes, ==, 0);
          g_assert_false (finished);
          if (s.wal_size > 0)
            during_write++;
          else if (delay < t_open && !aim_at_write)
            before++;
          else
            during_check++;
        }
      prev = s.records;
    }

  /* the survivor still opens with the core and counts the same */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PcmbnStore) store = pcmbn_store_open (c.db, &error);
    g_assert_no_error (error);
    g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, prev);
  }
  g_test_message ("import, %u rounds of %d rows: %u killed before the database was open, "
                  "%u while reading and checking the file, %u while writing (uncommitted WAL), "
                  "%u after the commit",
                  rounds, N_ROWS, before, during_check, during_write, after);
  /* How the kills fell depends on the machine's load, so it is reported,
   * not asserted (no timed assertions in tests). */
  if (during_check + during_write < rounds / 4)
    g_test_message ("few kills landed mid-import; the machine may have been busy");
  crash_clear (&c);
}

/* The first import into a logbook without records writes the file itself
 * through a rollback journal (see load_write_direct()): killed at any
 * moment, the next open rolls it back whole or finds it whole, and the
 * logbook is back in WAL mode with no journal left beside it. Each round
 * starts from a new logbook. */
static void
test_kill_first_import (void)
{
  Crash c;
  g_autofree char *csv_path = NULL, *journal = NULL, *empty = NULL, *wal = NULL;
  gint64 t_import;
  guint rounds = env_uint ("PCMBN_CRASH_FIRST_IMPORT_ROUNDS", FIRST_IMPORT_ROUNDS);
  guint whole = 0, none = 0, journal_left = 0, blank = 0;

  crash_setup (&c);
  csv_path = g_build_filename (c.dir, "import.csv", NULL);
  journal = g_strconcat (c.db, "-journal", NULL);
  empty = g_strconcat (c.db, ".empty", NULL);
  wal = g_strconcat (c.db, "-wal", NULL);
  g_assert_cmpint (file_size (wal), ==, 0);
  {
    g_autofree char *bytes = NULL;
    gsize len;
    g_assert_true (g_file_get_contents (c.db, &bytes, &len, NULL));
    g_assert_true (g_file_set_contents (empty, bytes, len, NULL));
  }
  {
    g_autofree char *csv = make_csv ("first-calibration", N_ROWS);
    const char *args[] = { "--db", c.db, "import", "activity", csv_path, NULL };
    g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
    t_import = run_timed (args);
  }

  for (guint round = 0; round < rounds; round++)
    {
      g_autofree char *tag = g_strdup_printf ("first-import-%03u", round);
      g_autofree char *csv = make_csv (tag, N_ROWS);
      g_autofree char *bytes = NULL;
      const char *args[] = { "--db", c.db, "import", "activity", csv_path, NULL };
      gint64 delay = g_rand_int_range (c.rand, 0, (gint32)(t_import * 5 / 4));
      gsize len;
      gboolean finished;
      State s;

      g_assert_true (g_file_get_contents (empty, &bytes, &len, NULL));
      g_assert_true (g_file_set_contents (c.db, bytes, len, NULL));
      g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
      finished = run_and_kill (args, delay, NULL, 0);
      journal_left += g_file_test (journal, G_FILE_TEST_EXISTS);
      s = inspect (c.db, tag);
      /* A journal that outlives the next open was never made durable: its
       * header is still blank, so SQLite ignores it, as nothing of it
       * reached the database (pages go there only after the journal's
       * flush, which writes the header). */
      if (g_file_test (journal, G_FILE_TEST_EXISTS))
        {
          g_autofree char *head = NULL;
          gsize head_len = 0;
          g_assert_true (g_file_get_contents (journal, &head, &head_len, NULL));
          g_assert_cmpuint (head_len, >=, 8);
          for (guint i = 0; i < 8; i++)
            g_assert_cmpint (head[i], ==, 0);
          g_assert_cmpint (s.records, ==, 0);
          blank++;
        }
      if (s.records == N_ROWS)
        {
          g_assert_cmpint (s.tagged, ==, N_ROWS);
          g_assert_cmpint (s.codes, ==, 2 * N_ROWS);
          whole++;
        }
      else
        {
          g_assert_cmpint (s.records, ==, 0);
          g_assert_cmpint (s.tagged, ==, 0);
          g_assert_false (finished);
          none++;
        }
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (PcmbnStore) store = pcmbn_store_open (c.db, &error);
        g_autofree char *mode = NULL;
        g_assert_no_error (error);
        mode = pcmbn_test_query_text (c.db, "PRAGMA journal_mode");
        g_assert_cmpstr (mode, ==, "wal");
        g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, s.records);
        /* What a bulk load dropped is back. */
        g_assert_null (pcmbn_store_get_meta (store, "bulk_load_schema"));
      }
    }
  g_test_message ("first import, %u rounds of %d rows: %u whole, %u rolled back; %u killed with"
                  " a journal beside the file, %u of them never flushed",
                  rounds, N_ROWS, whole, none, journal_left, blank);
  crash_clear (&c);
}

static void
test_kill_add (void)
{
  Crash c;
  g_autofree char *json_path = NULL, *wal = NULL;
  gint64 t_add = 0, t, prev;
  guint before = 0, during = 0, during_write = 0, after = 0;
  guint rounds = env_uint ("PCMBN_CRASH_ADD_ROUNDS", ADD_ROUNDS);

  crash_setup (&c);
  json_path = g_build_filename (c.dir, "record.json", NULL);
  wal = g_strconcat (c.db, "-wal", NULL);

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"date\":\"2026-03-10\",\"activity_type\":"
                                               "\"community_talk\",\"subproject\":\"community\","
                                               "\"title\":\"Khởi động %d\",\"participants_total\":"
                                               "40,\"topics\":[\"hotline\",\"law_policy\"],"
                                               "\"notes\":\"crash-warm-%d;\"}",
                                               i, i);
      const char *args[] = { "--db", c.db, "add", "activity", "--json", json_path, NULL };
      g_assert_true (g_file_set_contents (json_path, json, -1, NULL));
      /* the quickest run: the first ones warm the page cache */
      t = run_timed (args);
      t_add = i == 0 ? t : MIN (t_add, t);
    }
  prev = inspect (c.db, "crash-warm-0;").records;
  g_assert_cmpint (prev, ==, 3);
  g_test_message ("calibration: add %.1f ms", t_add / 1000.0);

  for (guint round = 0; round < rounds; round++)
    {
      g_autofree char *tag = g_strdup_printf ("crash-add-%03u;", round);
      g_autofree char *json = g_strdup_printf ("{\"date\":\"2026-03-10\",\"activity_type\":"
                                               "\"community_talk\",\"subproject\":\"community\","
                                               "\"title\":\"Vòng %u\",\"participants_total\":40,"
                                               "\"topics\":[\"hotline\",\"law_policy\"],"
                                               "\"notes\":\"%s\"}",
                                               round, tag);
      const char *args[] = { "--db", c.db, "add", "activity", "--json", json_path, NULL };
      /* One round in three aims at the moment the record is written */
      gboolean aim_at_write = round % 3 == 2;
      gint64 delay = aim_at_write ? g_rand_int_range (c.rand, 0, 3000)
                                  : g_rand_int_range (c.rand, 0, (gint32)(t_add * 5 / 4));
      gboolean finished;
      State s;

      g_assert_true (g_file_set_contents (json_path, json, -1, NULL));
      finished = run_and_kill (args, delay, aim_at_write ? wal : NULL, 2 * t_add);
      s = inspect (c.db, tag);
      g_assert_cmpint (s.records, >=, prev);
      g_assert_cmpint (s.records, <=, prev + 1);
      g_assert_cmpint (s.tagged, ==, s.records - prev);
      g_assert_cmpint (s.codes, ==, 2 * s.tagged);
      if (s.tagged == 1)
        after++;
      else if (s.wal_size > 0)
        during_write++;
      else if (delay < t_add / 2 && !aim_at_write)
        before++;
      else
        during++;
      if (finished)
        g_assert_cmpint (s.tagged, ==, 1);
      prev = s.records;
    }
  g_test_message ("add, %u rounds: %u killed early in the run, %u later but before writing, "
                  "%u while writing (uncommitted WAL), %u after the commit",
                  rounds, before, during, during_write, after);
  crash_clear (&c);
}

int
main (int argc, char **argv)
{
  g_setenv ("PCMBN_TODAY", "2026-07-30", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crash/kill-import", test_kill_import);
  g_test_add_func ("/crash/kill-first-import", test_kill_first_import);
  g_test_add_func ("/crash/kill-add", test_kill_add);

  return g_test_run ();
}
