/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pcmbn-test-util.h"

/* A full disk loses nothing that was saved: on a small tmpfs filled up, an
 * import fails with a message that says so, exit status 1, and the records
 * saved before are intact; an import into a new logbook (a bulk load, its
 * indexes dropped until the end) leaves the logbook as it was, indexes
 * included. Needs root to mount the tmpfs; skipped otherwise. */

static GPtrArray *mount_dirs;

static void
unmount (void)
{
  for (guint i = 0; mount_dirs && i < mount_dirs->len; i++)
    {
      const char *argv[] = { "umount", mount_dirs->pdata[i], NULL };
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL);
    }
}

static gboolean
mount_tmpfs (const char *dir)
{
  const char *argv[] = { "mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir, NULL };
  int status = -1;

  if (!g_spawn_sync (NULL, (char **)argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static gint64
count_rows (const char *path, char **integrity)
{
  sqlite3 *db;
  sqlite3_stmt *stmt;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    *integrity = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_prepare_v2 (db, "SELECT count(*) FROM records WHERE kind = 'activity'", -1, &stmt, NULL);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* The tables, indexes and triggers of @path: a bulk load rolled back leaves
 * none of them dropped. */
#define SCHEMA_OBJECTS "SELECT count(*) FROM sqlite_master"

static void
import_on_full_disk (gboolean with_a_record)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *db = NULL, *csv = NULL, *filler = NULL, *out = NULL, *err = NULL;
  g_autofree char *integrity = NULL;
  g_autoptr (GString)
      rows = g_string_new ("date,activity_type,subproject,title,participants_total\n");
  const char *init[] = { "--db", NULL, "init", "--org-unit", "00001", NULL };
  const char *add[] = { "--db", NULL, "add", "activity", NULL };
  const char *import[] = { "--db", NULL, "import", "activity", NULL, NULL };
  char block[4096];
  FILE *f;
  int status;
  gint64 n_objects;

  if (getuid () != 0 || !mount_tmpfs (dir))
    {
      g_test_skip ("needs root to mount a small tmpfs");
      return;
    }
  if (mount_dirs == NULL)
    {
      mount_dirs = g_ptr_array_new_with_free_func (g_free);
      atexit (unmount);
    }
  g_ptr_array_add (mount_dirs, g_strdup (dir));
  db = g_build_filename (dir, "logbook.sqlite", NULL);
  init[1] = add[1] = import[1] = db;
  g_assert_cmpint (pcmbn_test_run_cli (init, NULL, NULL, NULL), ==, 0);
  if (with_a_record)
    g_assert_cmpint (
        pcmbn_test_run_cli (add,
                            "{\"date\":\"2026-03-01\",\"activity_type\":\"community_talk\","
                            "\"subproject\":\"community\",\"title\":\"Đã lưu trước\","
                            "\"participants_total\":20}",
                            NULL, NULL),
        ==, 0);
  n_objects = pcmbn_test_query_int (db, SCHEMA_OBJECTS);
  g_assert_cmpint (n_objects, >, 20);

  /* The CSV lives outside the small disk. */
  for (int i = 0; i < 20000; i++)
    g_string_append_printf (rows,
                            "2026-%02d-%02d,community_talk,community,Nói chuyện chuyên đề "
                            "phòng chống mua bán người số %d tại tổ dân phố,%d\n",
                            1 + i % 11, 1 + i % 28, i, 10 + i % 90);
  csv = g_build_filename (g_get_tmp_dir (), "pcmbn-disk-full.csv", NULL);
  g_assert_true (g_file_set_contents (csv, rows->str, rows->len, NULL));
  import[4] = csv;

  /* Fill the disk, leaving a little room. */
  filler = g_build_filename (dir, "filler", NULL);
  f = g_fopen (filler, "wb");
  memset (block, 'x', sizeof block);
  while (fwrite (block, 1, sizeof block, f) == sizeof block)
    ;
  fclose (f);
  {
    /* Give back 64 KiB, so that SQLite can open, but not hold 20,000 rows. */
    GStatBuf st;
    g_stat (filler, &st);
    g_assert_cmpint (truncate (filler, st.st_size - 64 * 1024), ==, 0);
  }

  status = pcmbn_test_run_cli (import, NULL, &out, &err);
  g_test_message ("import on a full disk: exit %d, %s", status, err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "disk is full"));

  g_unlink (filler);
  g_assert_cmpint (count_rows (db, &integrity), ==, with_a_record ? 1 : 0);
  g_assert_cmpstr (integrity, ==, "ok");
  g_assert_cmpint (pcmbn_test_query_int (db, SCHEMA_OBJECTS), ==, n_objects);
  g_assert_cmpint (
      pcmbn_test_query_int (db, "SELECT count(*) FROM meta WHERE key IN ('bulk_load_schema',"
                                " 'search_index_pending')"),
      ==, 0);
  g_unlink (csv);
}

static void
test_import_on_full_disk (void)
{
  import_on_full_disk (TRUE);
}

static void
test_import_into_new_logbook_on_full_disk (void)
{
  import_on_full_disk (FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/disk-full/import", test_import_on_full_disk);
  g_test_add_func ("/disk-full/import-into-new-logbook", test_import_into_new_logbook_on_full_disk);
  return g_test_run ();
}
