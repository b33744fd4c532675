/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* `meson test --benchmark bench-pouchdb`: our sync against PouchDB, the
 * system communes would otherwise get, side by side in one run.
 *
 * The same 10,000 documents of about 1 KB are pushed from a device that
 * holds them to an empty server, then restored from that server onto a new
 * device: by `pcmbn sync` against `pcmbn-district`, and by PouchDB's
 * replication against pouchdb-server (tests/sync/pouchdb/bench.js). Both
 * store on disk. PouchDB comes from the npm registry, installed on demand
 * into the build folder; without node or the registry the benchmark is
 * skipped (exit 77), saying why. Prints figures; asserts only correctness. */

#define N_RECORDS 10000
#define ROUNDS 3

static gboolean
run (const char *const *argv, const char *cwd, char **out, GError **error)
{
  g_autoptr (GSubprocessLauncher)
      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GSubprocess) proc = NULL;

  g_subprocess_launcher_set_cwd (launcher, cwd);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, NULL, NULL, out, NULL, error))
    return FALSE;
  if (!g_subprocess_get_successful (proc))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s exited with %d", argv[0],
                   g_subprocess_get_exit_status (proc));
      return FALSE;
    }
  return TRUE;
}

/* PouchDB's modules in the build folder, installed from the pinned
 * package.json the first time. NULL (and the reason) when they cannot be. */
static char *
pouchdb_modules (char **why)
{
  const char *src = g_getenv ("PCMBN_POUCHDB_SOURCE");
  const char *dir = g_getenv ("PCMBN_POUCHDB_DIR");
  g_autofree char *modules = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *npm = g_find_program_in_path ("npm");
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (src == NULL || dir == NULL)
    {
      *why = g_strdup ("PCMBN_POUCHDB_SOURCE and PCMBN_POUCHDB_DIR are not set");
      return NULL;
    }
  if (node == NULL || npm == NULL)
    {
      *why = g_strdup ("node and npm are not installed (apt install nodejs npm)");
      return NULL;
    }
  modules = g_build_filename (dir, "node_modules", NULL);
  if (g_file_test (modules, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&modules);

  manifest = g_build_filename (src, "package.json", NULL);
  g_mkdir_with_parents (dir, 0755);
  if (!g_file_get_contents (manifest, &text, NULL, &error))
    {
      *why = g_strdup (error->message);
      return NULL;
    }
  {
    g_autofree char *copy = g_build_filename (dir, "package.json", NULL);
    const char *argv[] = { npm,        "install", "--no-audit", "--no-fund", "--loglevel=error",
                           "--prefix", dir,       NULL };

    g_print ("# installing PouchDB from the npm registry into %s\n", dir);
    if (!g_file_set_contents (copy, text, -1, &error) || !run (argv, dir, NULL, &error))
      {
        *why = g_strdup_printf ("npm install failed: %s", error->message);
        return NULL;
      }
  }
  return g_steal_pointer (&modules);
}

/* A logbook of @n activities of about 1 KB, the same as bench-sync's. */
static char *
fill_logbook (int n)
{
  char *path = NULL;
  g_autoptr (PcmbnStore) store = sync_fill_logbook (&path, n, 0, 0);

  return path;
}

/* The logbook's records as PouchDB documents: the same JSON, keyed by the
 * record's uuid. */
static char *
write_docs (const char *db, const char *dir)
{
  g_autofree char *json = sync_query_text (
      db, "SELECT '[' || group_concat(json_set(data, '$._id', uuid)) || ']' FROM records");
  char *path = g_build_filename (dir, "docs.json", NULL);

  g_assert_nonnull (json);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}

static double
cli_sync (const char *db, const char *url, const char *expect)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  double t = sync_now_s ();
  int status = sync_cli (db, &out, &err, "sync", "--server", url, NULL);

  t = sync_now_s () - t;
  if (status != 0 || strstr (out, expect) == NULL)
    g_error ("sync: exit %d, “%s”, %s", status, out, err);
  return t;
}

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (to, contents, len, NULL));
}

int
main (int argc, char **argv)
{
  g_autofree char *why = NULL;
  g_autofree char *modules = NULL;
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *logbook = NULL;
  g_autofree char *docs = NULL;
  g_autofree char *work = NULL;
  double ours_push[ROUNDS], ours_restore[ROUNDS], pouch_push[ROUNDS], pouch_restore[ROUNDS];
  double push_x[ROUNDS], restore_x[ROUNDS];

  g_test_init (&argc, &argv, NULL);
  modules = pouchdb_modules (&why);
  if (modules == NULL)
    {
      g_print ("# bench-pouchdb skipped: %s\n", why);
      return 77;
    }
  g_setenv ("NODE_PATH", modules, TRUE);

  logbook = fill_logbook (N_RECORDS);
  work = pcmbn_test_tmpdir ();
  docs = write_docs (logbook, work);

  for (int round = 0; round < ROUNDS; round++)
    {
      g_autofree char *dir = pcmbn_test_tmpdir ();
      g_autofree char *device = g_build_filename (dir, "device.sqlite", NULL);
      g_autofree char *fresh = NULL;
      g_autofree char *pouch_out = NULL;
      g_autofree char *script = g_build_filename (g_getenv ("PCMBN_POUCHDB_SOURCE"), "bench.js",
                                                  NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) figures = NULL;
      const char *pouch_argv[] = { node, script, docs, dir, NULL };
      SyncServer *s = sync_server_new (FALSE);

      /* Ours: a new server, a device holding the records, a new device. */
      sync_server_start (s);
      copy_file (logbook, device);
      {
        g_autofree char *code = sync_enrol_code (s, "00001");
        g_autofree char *err = NULL;
        g_assert_cmpint (
            sync_cli (device, NULL, &err, "enroll", "--server", s->url, "--code", code, NULL), ==,
            0);
      }
      fresh = sync_enrolled_logbook (s, "00001");
      ours_push[round] = cli_sync (device, s->url, "pushed 10000,");
      ours_restore[round] = cli_sync (fresh, s->url, "pulled 10000,");
      g_assert_cmpint (sync_query_int (fresh, "SELECT count(*) FROM records"), ==, N_RECORDS);
      sync_server_free (s);

      /* PouchDB: the same documents, the same two moves. */
      if (!run (pouch_argv, dir, &pouch_out, &error))
        g_error ("PouchDB: %s", error->message);
      figures = sync_parse (pouch_out);
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (figures), "docs"), ==,
                       N_RECORDS);
      pouch_push[round] = json_object_get_double_member (json_node_get_object (figures), "push_s");
      pouch_restore[round] = json_object_get_double_member (json_node_get_object (figures),
                                                            "restore_s");
      push_x[round] = pouch_push[round] / ours_push[round];
      restore_x[round] = pouch_restore[round] / ours_restore[round];
      g_print ("# round %d: push pcmbn %.2f s, PouchDB %.2f s; restore pcmbn %.2f s, PouchDB "
               "%.2f s\n",
               round + 1, ours_push[round], pouch_push[round], ours_restore[round],
               pouch_restore[round]);
    }
  g_print ("# push of %d records: pcmbn %.2f s, PouchDB %.2f s: %.1fx faster (median of %d; "
           "aim >= 5)\n",
           N_RECORDS, sync_median (ours_push, ROUNDS), sync_median (pouch_push, ROUNDS),
           sync_median (push_x, ROUNDS), ROUNDS);
  g_print ("# restore of %d records: pcmbn %.2f s, PouchDB %.2f s: %.1fx faster (median of %d; "
           "aim >= 5)\n",
           N_RECORDS, sync_median (ours_restore, ROUNDS), sync_median (pouch_restore, ROUNDS),
           sync_median (restore_x, ROUNDS), ROUNDS);
  return 0;
}
