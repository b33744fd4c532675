/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pcmbn-test-util.h"

static char *base_dir;

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
cleanup (void)
{
  if (base_dir && !g_getenv ("PCMBN_KEEP_TMP"))
    remove_tree (base_dir);
}

char *
pcmbn_test_tmpdir (void)
{
  static int counter;

  if (base_dir == NULL)
    {
      base_dir = g_dir_make_tmp ("pcmbn-test-XXXXXX", NULL);
      g_assert_nonnull (base_dir);
      atexit (cleanup);
    }
  {
    char *dir = g_strdup_printf ("%s/%d", base_dir, ++counter);
    g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    return dir;
  }
}

int
pcmbn_test_run_cli (const char *const *argv, const char *input, char **out, char **err)
{
  return pcmbn_test_run_cli_env (argv, NULL, input, out, err);
}

int
pcmbn_test_run_cli_env (
    const char *const *argv, const char *const *env, const char *input, char **out, char **err)
{
  const char *cli = g_getenv ("PCMBN_CLI");
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) o = NULL, e = NULL;
  g_autofree char *in_dir = pcmbn_test_tmpdir ();
  g_autofree char *in_path = g_build_filename (in_dir, "stdin", NULL);

  g_assert_nonnull (cli);
  g_ptr_array_add (args, (gpointer)cli);
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (gpointer)argv[i]);
  g_ptr_array_add (args, NULL);
  /* stdin from a file, not a pipe: a command that fails before it reads
   * its input must not kill the test with SIGPIPE. */
  g_assert_true (g_file_set_contents (in_path, input ? input : "", -1, NULL));
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_stdin_file_path (launcher, in_path);
  /* set on the launcher, not with setenv(): the test may have threads */
  for (guint i = 0; env && env[i] && env[i + 1]; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *)args->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (proc, NULL, NULL, &o, &e, &error);
  g_assert_no_error (error);
  g_unlink (in_path);
  /* An empty output is "", never NULL (empty GBytes have no data). */
  if (out)
    *out = g_strndup (g_bytes_get_size (o) ? g_bytes_get_data (o, NULL) : "", g_bytes_get_size (o));
  if (err)
    *err = g_strndup (g_bytes_get_size (e) ? g_bytes_get_data (e, NULL) : "", g_bytes_get_size (e));
  g_assert_true (g_subprocess_get_if_exited (proc));
  return g_subprocess_get_exit_status (proc);
}

char *
pcmbn_test_db_digest (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *tables;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  char *result;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      g_checksum_free (sum);
      return g_strdup ("missing");
    }
  /* Not the district server's audit: it records every attempt, the
   * refused ones too, by design. */
  sqlite3_prepare_v2 (db,
                      "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'audit'"
                      " ORDER BY name",
                      -1, &tables, NULL);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM \"%s\" ORDER BY rowid",
                                              sqlite3_column_text (tables, 0));
      sqlite3_stmt *rows;
      g_checksum_update (sum, sqlite3_column_text (tables, 0), -1);
      if (sqlite3_prepare_v2 (db, sql, -1, &rows, NULL) != SQLITE_OK)
        continue;
      while (sqlite3_step (rows) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count (rows); c++)
          {
            const unsigned char *v = sqlite3_column_text (rows, c);
            g_checksum_update (sum, v ? v : (const guchar *)"\1NULL", -1);
            g_checksum_update (sum, (const guchar *)"\0", 1);
          }
      sqlite3_finalize (rows);
    }
  sqlite3_finalize (tables);
  sqlite3_close (db);
  result = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return result;
}

PcmbnStore *
pcmbn_test_store_new (char **path_out)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "logbook.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  PcmbnStore *store = pcmbn_store_open (path, &error);

  g_assert_no_error (error);
  pcmbn_store_init_commune (store, "00001", NULL, NULL, &error);
  g_assert_no_error (error);
  /* As if the set-up had shown it: windows over this store open quietly. */
  g_free (pcmbn_store_take_recovery_code (store));
  if (path_out)
    *path_out = g_steal_pointer (&path);
  return store;
}

JsonObject *
pcmbn_test_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

char *
pcmbn_test_read_text (const char *path)
{
  char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* @sql's first row on @path, opened read-only; the caller finalizes the
 * statement and closes the database. */
static sqlite3_stmt *
query_first_row (const char *path, const char *sql, sqlite3 **db)
{
  sqlite3_stmt *stmt;

  g_assert_cmpint (sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  /* The file may be a running server's: its writers and its checkpoint
   * thread hold the log's locks for moments, as they would for any reader. */
  sqlite3_busy_timeout (*db, 10000);
  g_assert_cmpint (sqlite3_prepare_v2 (*db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  return stmt;
}

gint64
pcmbn_test_query_int (const char *path, const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *stmt = query_first_row (path, sql, &db);
  gint64 value = -1;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

char *
pcmbn_test_query_text (const char *path, const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *stmt = query_first_row (path, sql, &db);
  char *value = NULL;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}
