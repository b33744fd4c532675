/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include "server/pcmbn-district-backup.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pcmbn-util.h"

/* `pcmbn-district backup`. SQLite's online backup, stepped page by page
 * (what `sqlite3 .backup` does), starts again whenever another connection
 * writes: with devices pushing every few seconds it never finishes. Here
 * the copy is one step (-1) inside a read transaction: a snapshot of the
 * database as it was when the transaction began, made in one pass, however
 * busy the server is. WAL mode lets writers go on meanwhile. The rows of
 * every table are counted in the same snapshot, and the copy must show the
 * same counts and pass integrity_check before it takes the name asked for.
 *
 * The copy gets a new server generation: a server restored from it says so
 * to every device, and each device then sends again what the copy lacks. */

static gboolean
set_error (GError **error, sqlite3 *db, const char *what)
{
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, "%s: %s", what,
               db ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

/* Table name → row count, in @db's current transaction. */
static GHashTable *
count_rows (sqlite3 *db, GError **error)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db,
                          "SELECT name FROM sqlite_schema WHERE type = 'table'"
                          " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    {
      set_error (error, db, _ ("db: reading the list of tables"));
      return NULL;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (tables, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  for (guint i = 0; i < tables->len; i++)
    {
      char *sql = sqlite3_mprintf ("SELECT count(*) FROM \"%w\"", tables->pdata[i]);
      int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
      sqlite3_free (sql);
      if (rc != SQLITE_OK || sqlite3_step (stmt) != SQLITE_ROW)
        {
          sqlite3_finalize (stmt);
          set_error (error, db, _ ("db: counting rows"));
          return NULL;
        }
      g_hash_table_insert (counts, g_strdup (tables->pdata[i]),
                           GSIZE_TO_POINTER ((gsize)sqlite3_column_int64 (stmt, 0)));
      sqlite3_finalize (stmt);
    }
  return g_steal_pointer (&counts);
}

static gboolean
exec (sqlite3 *db, const char *sql, const char *what, GError **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  return set_error (error, db, what);
}

static gboolean
verify (sqlite3 *copy, GHashTable *expected, GError **error)
{
  g_autoptr (GHashTable) got = NULL;
  g_autoptr (GString) problems = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (sqlite3_prepare_v2 (copy, "PRAGMA integrity_check", -1, &stmt, NULL) != SQLITE_OK)
    return set_error (error, copy, _ ("o: checking the copy"));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *line = (const char *)sqlite3_column_text (stmt, 0);
      if (g_strcmp0 (line, "ok") != 0)
        g_string_append_printf (problems, "%s%s", problems->len ? "; " : "", line);
    }
  sqlite3_finalize (stmt);
  if (problems->len > 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("o: the copy fails integrity_check (%s); it was not kept. Check the disk, "
                      "then run the backup again."),
                   problems->str);
      return FALSE;
    }
  got = count_rows (copy, error);
  if (got == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (got, key) || g_hash_table_lookup (got, key) != value)
      {
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                     _ ("o: the copy has %lu rows in %s where the database has %lu; it was not "
                        "kept. Run the backup again."),
                     (gulong)GPOINTER_TO_SIZE (g_hash_table_lookup (got, key)), (const char *)key,
                     (gulong)GPOINTER_TO_SIZE (value));
        return FALSE;
      }
  return TRUE;
}

static gboolean
copy_snapshot (sqlite3 *src, const char *tmp, GHashTable **counts, GError **error)
{
  sqlite3 *dest = NULL;
  sqlite3_backup *backup;
  gboolean ok = FALSE;
  int rc;

  /* The read transaction pins the snapshot: the counts and the pages come
   * from the same moment. */
  if (!exec (src, "BEGIN", _ ("db: starting to read"), error))
    return FALSE;
  *counts = count_rows (src, error);
  if (*counts == NULL)
    goto out;
  if (sqlite3_open_v2 (tmp, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    {
      set_error (error, dest, _ ("o: cannot create the copy"));
      goto out;
    }
  backup = sqlite3_backup_init (dest, "main", src, "main");
  if (backup == NULL)
    {
      set_error (error, dest, _ ("o: cannot start the copy"));
      goto out;
    }
  /* One step: never restarted by the writes of other connections. */
  rc = sqlite3_backup_step (backup, -1);
  sqlite3_backup_finish (backup);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("o: copying failed: %s"),
                   sqlite3_errstr (rc));
      goto out;
    }
  ok = TRUE;
out:
  sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
  if (dest)
    sqlite3_close (dest);
  return ok;
}

/* A copy is one self-contained file, with a generation of its own. */
static gboolean
finish_copy (const char *tmp, GHashTable *counts, GError **error)
{
  g_autofree char *generation = g_uuid_string_random ();
  char *sql = NULL;
  sqlite3 *copy = NULL;
  gboolean ok;

  if (sqlite3_open_v2 (tmp, &copy, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      set_error (error, copy, _ ("o: cannot open the copy"));
      sqlite3_close (copy);
      return FALSE;
    }
  sql = sqlite3_mprintf ("INSERT INTO meta (key, value) VALUES ('%q', '%q')"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         PCMBN_DISTRICT_META_GENERATION, generation);
  ok = exec (copy, "PRAGMA journal_mode = DELETE", _ ("o: preparing the copy"), error)
       && verify (copy, counts, error) && exec (copy, sql, _ ("o: marking the copy"), error);
  sqlite3_free (sql);
  sqlite3_close (copy);
  return ok;
}

/**
 * pcmbn_district_backup:
 * @db_path: the server database, possibly in use by `serve`
 * @out_path: the file to write; replaced only by a sound copy
 * @counts_out: (out) (optional) (transfer full): table name → rows copied
 * @error: return location for an error
 *
 * Returns: %TRUE when @out_path holds a copy that passed integrity_check
 *   and holds as many rows in each table as the database did
 */
gboolean
pcmbn_district_backup (const char *db_path,
                       const char *out_path,
                       GHashTable **counts_out,
                       GError **error)
{
  g_autoptr (GHashTable) counts = NULL;
  g_autofree char *dir = NULL, *tmp = NULL, *real_db = NULL, *real_out = NULL;
  sqlite3 *src = NULL;
  gboolean ok;

  if (!g_file_test (db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND,
                   _ ("db: %s is not a file; give the server database"), db_path);
      return FALSE;
    }
  real_db = g_canonicalize_filename (db_path, NULL);
  real_out = g_canonicalize_filename (out_path, NULL);
  if (g_str_equal (real_db, real_out))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("o: must be another file than the database itself"));
      return FALSE;
    }
  dir = g_path_get_dirname (real_out);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("o: the folder %s does not exist"),
                   dir);
      return FALSE;
    }
  tmp = g_strdup_printf ("%s.part-%u", real_out, (guint)getpid ());
  g_unlink (tmp);
  if (sqlite3_open_v2 (real_db, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      set_error (error, src, _ ("db: cannot open the database"));
      sqlite3_close (src);
      return FALSE;
    }
  /* Waits for a writer's lock of a moment, never for ever. */
  sqlite3_busy_timeout (src, 30000);
  ok = copy_snapshot (src, tmp, &counts, error) && finish_copy (tmp, counts, error);
  sqlite3_close (src);
  if (ok && g_rename (tmp, real_out) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("o: cannot write %s: %s"), real_out,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (counts_out)
    *counts_out = g_steal_pointer (&counts);
  return TRUE;
}
