/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "store/pcmbn-store.h"
#include "sync/pcmbn-sync-engine.h"
#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* `pcmbn-district backup` against a real server that devices push to, and
 * a restore from it that loses no record. */

#define MATERIAL                                                                       \
  "{\"material_type\":\"leaflet\",\"title\":\"Tờ rơi %d\",\"source\":\"district\"," \
  "\"received_on\":\"2025-12-10\",\"quantity_received\":%d}"

static char *
add_material (const char *db, int n)
{
  g_autofree char *json = g_strdup_printf (MATERIAL, n, n);
  return sync_add (db, "material", json);
}

static int
sync_to (const char *db, SyncServer *s, char **err)
{
  return sync_cli (db, NULL, err, "sync", "--server", s->url, NULL);
}

static char *
check_integrity (const char *path)
{
  return sync_query_text (path, "PRAGMA integrity_check");
}

/* ---- a backup while devices push ----------------------------------------- */

typedef struct
{
  const char *db;
  const char *url;
  volatile gint *stop;
  guint syncs;
  guint added;
  char *failure;
} Device;

static gpointer
device_thread (gpointer data)
{
  Device *d = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (d->db, &error);
  g_autoptr (PcmbnSyncEngine) engine = NULL;

  g_assert_no_error (error);
  engine = pcmbn_sync_engine_new (store);
  while (!g_atomic_int_get (d->stop))
    {
      /* A burst of records, then a push: what a commune does after a day's
       * data entry, only without the pauses. */
      g_assert_true (pcmbn_store_begin (store, NULL));
      for (guint i = 0; i < 40; i++)
        {
          g_autofree char *json = g_strdup_printf (MATERIAL, d->added, d->added);
          g_autoptr (JsonObject) o = pcmbn_test_json (json);
          g_autofree char *uuid = pcmbn_store_add (store, "material", o, &error);
          g_assert_no_error (error);
          d->added++;
        }
      g_assert_true (pcmbn_store_commit (store, NULL));
      if (!pcmbn_sync_engine_sync (engine, d->url, NULL, NULL, &error))
        {
          d->failure = g_strdup (error->message);
          return NULL;
        }
      d->syncs++;
    }
  return NULL;
}

static void
test_backup_under_load (void)
{
  SyncServer *s = sync_server_new (FALSE);
  const char *communes[] = { "00001", "00004", "00006", "00007" };
  Device devices[4];
  GThread *threads[4];
  volatile gint stop = 0;
  g_autofree char *copy = NULL, *check = NULL, *out = NULL, *err = NULL;
  gint64 start, took;
  int status;

  sync_server_start (s);
  copy = g_build_filename (s->dir, "backup.sqlite", NULL);
  for (guint i = 0; i < 4; i++)
    {
      devices[i] = (Device){ sync_enrolled_logbook (s, communes[i]), s->url, &stop, 0, 0, NULL };
      threads[i] = g_thread_new ("device", device_thread, &devices[i]);
    }
  /* Let the pushes get going, so that the backup runs into them. */
  while (MIN (MIN (devices[0].syncs, devices[1].syncs), MIN (devices[2].syncs, devices[3].syncs))
         < 2)
    g_usleep (50000);
  start = g_get_monotonic_time ();
  {
    const char *argv[] = { "backup", "--db", s->db, "-o", copy, NULL };
    status = sync_district (argv, &out, &err);
  }
  took = g_get_monotonic_time () - start;
  g_atomic_int_set (&stop, 1);
  for (guint i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      if (devices[i].failure)
        g_error ("device %u: %s", i, devices[i].failure);
      g_test_message ("device %u: %u syncs, %u records", i, devices[i].syncs, devices[i].added);
    }
  g_test_message ("backup took %.2f s", took / (double)G_USEC_PER_SEC);
  if (status != 0)
    g_error ("backup exited %d: %s", status, err);
  g_assert_cmpint (took, <, 60 * G_USEC_PER_SEC);
  check = check_integrity (copy);
  g_assert_cmpstr (check, ==, "ok");
  /* The copy is a snapshot from the middle of the pushes: some records,
   * and at most what the server holds now. */
  g_assert_cmpint (sync_query_int (copy, "SELECT count(*) FROM records"), >, 0);
  g_assert_cmpint (sync_query_int (copy, "SELECT count(*) FROM records"), <=,
                   sync_query_int (s->db, "SELECT count(*) FROM records"));
  g_assert_nonnull (strstr (out, "\"integrity_check\" : \"ok\""));
  /* The copy is one file, and says it is another generation. */
  g_assert_cmpstr (sync_query_text (copy, "PRAGMA journal_mode"), ==, "delete");
  g_assert_cmpstr (
      sync_query_text (copy, "SELECT value FROM meta WHERE key = 'server_generation'"), !=,
      sync_query_text (s->db, "SELECT value FROM meta WHERE key = 'server_generation'"));
  for (guint i = 0; i < 4; i++)
    g_free ((char *)devices[i].db);
  sync_server_free (s);
}

static void
test_backup_refuses (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *err = NULL, *bad = NULL, *copy = NULL;

  /* The database itself, a missing folder, a missing database: nothing
   * written, exit 2. */
  {
    const char *argv[] = { "backup", "--db", s->db, "-o", s->db, NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "o: "));
    g_clear_pointer (&err, g_free);
  }
  {
    g_autofree char *nowhere = g_build_filename (s->dir, "no", "such", "copy.sqlite", NULL);
    const char *argv[] = { "backup", "--db", s->db, "-o", nowhere, NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "o: "));
    g_clear_pointer (&err, g_free);
  }
  {
    const char *argv[] = { "backup", "--db", s->db, NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 2);
    g_clear_pointer (&err, g_free);
  }
  /* A damaged database: the copy fails integrity_check, exit 1, and no
   * file takes the name. */
  bad = g_build_filename (s->dir, "bad.sqlite", NULL);
  copy = g_build_filename (s->dir, "bad-copy.sqlite", NULL);
  {
    sqlite3 *db;
    g_assert_cmpint (sqlite3_open (bad, &db), ==, SQLITE_OK);
    g_assert_cmpint (
        sqlite3_exec (db,
                      "PRAGMA page_size = 1024;"
                      "CREATE TABLE t (a TEXT);"
                      "CREATE INDEX t_a ON t (a);"
                      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                      " WHERE i < 2000) INSERT INTO t SELECT hex(randomblob(40)) FROM n;",
                      NULL, NULL, NULL),
        ==, SQLITE_OK);
    /* Rows that the index does not know: what a torn write leaves. */
    g_assert_cmpint (sqlite3_exec (db,
                                   "PRAGMA writable_schema = ON;"
                                   "UPDATE sqlite_schema SET sql = 'CREATE TABLE t (a TEXT, b)'"
                                   " WHERE name = 't';",
                                   NULL, NULL, NULL),
                     ==, SQLITE_OK);
    sqlite3_close (db);
    g_assert_cmpint (sqlite3_open (bad, &db), ==, SQLITE_OK);
    g_assert_cmpint (
        sqlite3_exec (db,
                      "PRAGMA writable_schema = ON;"
                      "UPDATE sqlite_schema SET rootpage = rootpage + 1 WHERE name = 't_a';",
                      NULL, NULL, NULL),
        ==, SQLITE_OK);
    sqlite3_close (db);
  }
  {
    const char *argv[] = { "backup", "--db", bad, "-o", copy, NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "integrity_check"));
  }
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
  sync_server_free (s);
}

/* ---- restore --------------------------------------------------------------- */

static void
test_restore (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *b = NULL, *copy = NULL, *err = NULL, *first = NULL;
  g_autofree char *wal = NULL, *shm = NULL, *data = NULL;
  gsize len;
  g_autoptr (GPtrArray) later = g_ptr_array_new_with_free_func (g_free);

  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  b = sync_enrolled_logbook (s, "00001");
  first = add_material (a, 1);
  add_material (a, 2);
  g_assert_cmpint (sync_to (a, s, &err), ==, 0);
  g_assert_cmpint (sync_to (b, s, &err), ==, 0);

  copy = g_build_filename (s->dir, "backup.sqlite", NULL);
  {
    const char *argv[] = { "backup", "--db", s->db, "-o", copy, NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 0);
  }

  /* After the backup: new records, an edit and a deletion, all accepted by
   * the server and clean on the device. */
  for (int i = 3; i <= 5; i++)
    g_ptr_array_add (later, add_material (a, i));
  {
    const char *argv[] = { "--db", a, "update", first, NULL };
    g_autofree char *out = NULL;
    g_assert_cmpint (pcmbn_test_run_cli (argv, "{\"quantity_received\": 77}", &out, NULL), ==, 0);
  }
  g_assert_cmpint (sync_to (a, s, &err), ==, 0);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 5);
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty = 1"), ==, 0);

  /* The district restores the backup, as the guide says. */
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  wal = g_strconcat (s->db, "-wal", NULL);
  shm = g_strconcat (s->db, "-shm", NULL);
  g_unlink (wal);
  g_unlink (shm);
  g_assert_true (g_file_get_contents (copy, &data, &len, NULL));
  g_assert_true (g_file_set_contents (s->db, data, len, NULL));
  sync_server_start (s);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 2);

  /* One sync of the device brings back everything the copy lacks. */
  g_assert_cmpint (sync_to (a, s, &err), ==, 0);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 5);
  for (guint i = 0; i < later->len; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM records WHERE uuid = '%s'",
                                              (char *)later->pdata[i]);
      g_assert_cmpint (sync_query_int (s->db, sql), ==, 1);
    }
  {
    g_autofree char *sql = g_strdup_printf (
        "SELECT json_extract (data, '$.quantity_received') FROM records WHERE uuid = '%s'", first);
    g_assert_cmpint (sync_query_int (s->db, sql), ==, 77);
  }
  /* No duplicates anywhere, no conflicts, everything clean. */
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records"), ==, 5);
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE state != 'synced'"), ==,
                   0);
  /* The other device of the commune gets the same five, once each. */
  g_assert_cmpint (sync_to (b, s, &err), ==, 0);
  g_assert_cmpint (sync_query_int (b, "SELECT count(*) FROM records"), ==, 5);
  g_assert_cmpint (sync_query_int (b, "SELECT count(*) FROM records WHERE state != 'synced'"), ==,
                   0);
  {
    g_autofree char *sql = g_strdup_printf (
        "SELECT json_extract (data, '$.quantity_received') FROM records WHERE uuid = '%s'", first);
    g_assert_cmpint (sync_query_int (b, sql), ==, 77);
  }
  /* And a second sync sends nothing again. */
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty = 1"), ==, 0);
  sync_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/backup/refuses", test_backup_refuses);
  g_test_add_func ("/server/backup/under-load", test_backup_under_load);
  g_test_add_func ("/server/backup/restore", test_restore);
  return g_test_run ();
}
