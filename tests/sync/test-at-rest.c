/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sensitive data at rest: case notes, counselling drafts and the device
 * token never appear in the database file, its WAL or its shared memory;
 * a copy of the file on another account ($XDG_CONFIG_HOME) reads none of
 * them and cannot sync; the recovery code brings the key back; an older
 * database is sealed in place, also when the migration is killed. Real
 * `pcmbn` processes against a real `pcmbn-district serve`. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "store/pcmbn-drafts.h"
#include "store/pcmbn-store.h"
#include "pcmbn-test-util.h"
#include "sync-helpers.h"

#define NOTE "GHI-CHEP-7f3a9c mật của thân chủ"
#define DRAFT_NOTE "BAN-NHAP-51be02 chưa lưu"
#define COUNSELLING                                                              \
  "{\"date\":\"2025-12-03\",\"channel\":\"office\",\"client_code\":\"KH-3862\"," \
  "\"client_type\":\"planning_labour_migration\",\"client_sex\":\"male\","       \
  "\"client_age_band\":\"over_60\",\"topics\":[\"labour_migration\"],"           \
  "\"referrals\":[\"none\"],\"counsellor\":\"Trần Thị Lan\","                \
  "\"case_notes\":\"" NOTE "\"}"

/* Whether @needle occurs in the bytes of @path (absent files hold nothing). */
static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  for (gsize n = strlen (needle), i = 0; i + n <= len; i++)
    if (memcmp (contents + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* `grep -a` over the database, its -wal and its -shm. */
static void
assert_nowhere (const char *db, const char *needle)
{
  static const char *const suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (db, suffixes[i], NULL);
      if (file_contains (path, needle))
        g_error ("“%s” found in %s", needle, path);
    }
}

static int
cli_as (const char *config, const char *db, char **out, char **err, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *env[] = { "XDG_CONFIG_HOME", config, NULL };

  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, (gpointer)db);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  return pcmbn_test_run_cli_env ((const char *const *)argv->pdata, config ? env : NULL, NULL, out,
                                 err);
}

static char *
field_of (const char *get_output, const char *field)
{
  g_autoptr (JsonNode) node = sync_parse (get_output);
  JsonObject *data = json_object_get_object_member (json_node_get_object (node), "data");

  return json_object_has_member (data, field)
             ? g_strdup (json_object_get_string_member (data, field))
             : NULL;
}

static char *
copy_alone (const char *db)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  char *copy = g_build_filename (dir, "copied.sqlite", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (db, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (copy, contents, len, NULL));
  return copy;
}

static void
test_grep_after_sync (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *uuid = NULL, *token = NULL, *out = NULL, *notes = NULL;
  g_autofree char *search = NULL;
  g_autoptr (GError) error = NULL;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), >, 16);
  uuid = sync_add (db, "counselling", COUNSELLING);
  g_assert_cmpint (sync_cli (db, &out, NULL, "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 1,"));
  assert_nowhere (db, NOTE);
  assert_nowhere (db, token);
  /* The officer's own CLI reads them without typing anything. */
  g_free (out);
  g_assert_cmpint (sync_cli (db, &out, NULL, "get", uuid, NULL), ==, 0);
  notes = field_of (out, "case_notes");
  g_assert_cmpstr (notes, ==, NOTE);
  /* Not in the folded search text either. */
  search = sync_query_text (db, "SELECT group_concat(search, ' ') FROM records");
  g_assert_null (strstr (search ? search : "", "ghi-chep"));
  g_assert_null (strstr (search ? search : "", "ghi chep"));

  /* While the app holds the file open (a WAL on disk): a counselling draft
   * and an edit of the note stay sealed too. */
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (db, &error);
    g_autoptr (JsonObject) draft = pcmbn_test_json ("{'case_notes':'" DRAFT_NOTE "'}");
    g_autoptr (JsonObject) patch = pcmbn_test_json ("{'case_notes':'" NOTE " sửa'}");
    g_autoptr (PcmbnDraft) back = NULL;

    g_assert_no_error (error);
    g_assert_true (pcmbn_drafts_save (store, "form-1", "counselling", NULL, draft, &error));
    g_assert_no_error (error);
    g_assert_true (pcmbn_store_update (store, uuid, patch, &error));
    g_assert_no_error (error);
    assert_nowhere (db, DRAFT_NOTE);
    assert_nowhere (db, NOTE);
    assert_nowhere (db, token);
    back = pcmbn_drafts_get (store, "form-1");
    g_assert_nonnull (back);
    g_assert_cmpstr (json_object_get_string_member (back->data, "case_notes"), ==, DRAFT_NOTE);
  }
  g_free (out);
  g_assert_cmpint (sync_cli (db, &out, NULL, "sync", NULL), ==, 0);
  assert_nowhere (db, NOTE);
  assert_nowhere (db, token);
  sync_server_free (s);
}

static void
test_copied_file (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *uuid = NULL, *token = NULL, *copy = NULL, *code = NULL;
  g_autofree char *out = NULL, *err = NULL, *notes = NULL, *before = NULL, *after = NULL;
  g_autofree char *other = pcmbn_test_tmpdir ();
  g_autofree char *log_before = NULL, *log_after = NULL;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  uuid = sync_add (db, "counselling", COUNSELLING);
  /* A new recovery code, as the officer would print it. */
  g_assert_cmpint (sync_cli (db, &code, &err, "key", "recovery-code", NULL), ==, 0);
  g_strstrip (code);
  g_assert_cmpuint (strlen (code), ==, 39);
  copy = copy_alone (db);
  assert_nowhere (copy, NOTE);
  assert_nowhere (copy, token);

  /* Another account: the notes are not there, and it says why and what to do. */
  g_assert_cmpint (cli_as (other, copy, &out, &err, (const char *[]){ "get", uuid, NULL }), ==, 0);
  g_assert_null (field_of (out, "case_notes"));
  g_assert_cmpstr (field_of (out, "counsellor"), ==, "Trần Thị Lan");
  g_assert_nonnull (strstr (err, "key recover --code"));
  /* It cannot sync as the device: no request reaches the server. */
  g_assert_true (g_file_get_contents (s->log, &log_before, NULL, NULL));
  g_free (err);
  g_assert_cmpint (cli_as (other, copy, NULL, &err, (const char *[]){ "sync", NULL }), ==, 1);
  g_assert_nonnull (strstr (err, "key recover --code"));
  g_assert_true (g_file_get_contents (s->log, &log_after, NULL, NULL));
  g_assert_cmpstr (log_before, ==, log_after);
  /* Nor write a counselling record whose notes it cannot keep. */
  before = pcmbn_test_db_digest (copy);
  g_free (err);
  {
    g_autofree char *patch = g_build_filename (other, "patch.json", NULL);
    g_assert_true (g_file_set_contents (patch, "{\"counsellor\": \"Lê Văn Nam\"}", -1, NULL));
    g_assert_cmpint (
        cli_as (other, copy, NULL, &err, (const char *[]){ "update", uuid, "--json", patch, NULL }),
        ==, 1);
    g_assert_nonnull (strstr (err, "key recover --code"));
  }
  after = pcmbn_test_db_digest (copy);
  g_assert_cmpstr (before, ==, after);
  g_free (err);
  g_assert_cmpint (cli_as (other, copy, &out, &err, (const char *[]){ "key", "status", NULL }), ==,
                   1);

  /* A wrong code, or something that is no code: exit 2, nothing changed. */
  g_free (err);
  g_assert_cmpint (cli_as (other, copy, NULL, &err,
                           (const char *[]){ "key", "recover", "--code",
                                             "7KQ2-M9XD-7KQ2-M9XD-7KQ2-M9XD-7KQ2-M9XD", NULL }),
                   ==, 2);
  g_assert_nonnull (strstr (err, "code:"));
  g_free (err);
  g_assert_cmpint (cli_as (other, copy, NULL, &err,
                           (const char *[]){ "key", "recover", "--code", "1234", NULL }),
                   ==, 2);
  g_free (after);
  after = pcmbn_test_db_digest (copy);
  g_assert_cmpstr (before, ==, after);
  {
    g_autofree char *keys = g_build_filename (other, "pcmbn-logbook", NULL);
    g_assert_false (g_file_test (keys, G_FILE_TEST_EXISTS));
  }

  /* The right code, typed in lower case without dashes: the key is back. */
  {
    g_autofree char *typed = g_ascii_strdown (code, -1);
    g_autofree char *squashed = NULL;
    g_auto (GStrv) parts = g_strsplit (typed, "-", -1);
    squashed = g_strjoinv ("", parts);
    g_free (err);
    g_assert_cmpint (cli_as (other, copy, NULL, &err,
                             (const char *[]){ "key", "recover", "--code", squashed, NULL }),
                     ==, 0);
  }
  g_free (out);
  g_free (err);
  g_assert_cmpint (cli_as (other, copy, &out, &err, (const char *[]){ "get", uuid, NULL }), ==, 0);
  notes = field_of (out, "case_notes");
  g_assert_cmpstr (notes, ==, NOTE);
  g_assert_null (strstr (err, "key recover"));
  sync_server_free (s);
}

static void
test_bad_key_file (void)
{
  g_autofree char *db = sync_new_logbook ("00001");
  g_autofree char *uuid = sync_add (db, "counselling", COUNSELLING);
  g_autofree char *key_id = sync_query_text (db, "SELECT value FROM meta WHERE key = 'key_id'");
  g_autofree char *config = NULL, *key_file = NULL, *good = NULL, *err = NULL, *out = NULL;
  g_autofree char *before = NULL, *after = NULL;

  config = g_strdup (g_getenv ("XDG_CONFIG_HOME"));
  key_file = g_strdup_printf ("%s/pcmbn-logbook/keys/%s.key", config, key_id);
  g_assert_true (g_file_get_contents (key_file, &good, NULL, NULL));
  {
    GStatBuf st;
    g_assert_cmpint (g_stat (key_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  before = pcmbn_test_db_digest (db);

  /* Damaged: said plainly; lists still work; nothing is written. */
  g_assert_true (
      g_file_set_contents_full (key_file, "not a key\n", -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  g_assert_cmpint (sync_cli (db, &out, &err, "key", "status", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "damaged"));
  g_free (err);
  g_free (out);
  g_assert_cmpint (sync_cli (db, &out, &err, "list", "activity", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "damaged"));
  g_free (err);
  {
    const char *argv[] = { "--db", db, "add", "counselling", NULL };
    g_assert_cmpint (pcmbn_test_run_cli (argv, COUNSELLING, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, key_file));
  }
  after = pcmbn_test_db_digest (db);
  g_assert_cmpstr (before, ==, after);

  /* Readable by others: not used. */
  g_assert_true (
      g_file_set_contents_full (key_file, good, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
  g_chmod (key_file, 0644);
  g_free (err);
  g_free (out);
  g_assert_cmpint (sync_cli (db, &out, &err, "key", "status", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "chmod 600"));

  /* Back in order. */
  g_chmod (key_file, 0600);
  g_free (err);
  g_free (out);
  g_assert_cmpint (sync_cli (db, &out, &err, "get", uuid, NULL), ==, 0);
  g_assert_cmpstr (field_of (out, "case_notes"), ==, NOTE);
  g_free (after);
  after = pcmbn_test_db_digest (db);
  g_assert_cmpstr (before, ==, after);
}

/* A sealed value changed in one byte, or moved to another record, does not
 * open: the note is left out (with a warning), never shown wrong. */
static void
test_tampered (void)
{
  g_autofree char *db = sync_new_logbook ("00001");
  g_autofree char *a = sync_add (db, "counselling", COUNSELLING);
  g_autofree char *b = sync_add (db, "counselling", COUNSELLING);
  g_autofree char *out = NULL, *err = NULL, *sql = NULL;

  sql = g_strdup_printf ("UPDATE records SET sealed = (SELECT sealed FROM records WHERE uuid ="
                         " '%s') WHERE uuid = '%s'",
                         a, b);
  sync_exec (db, sql);
  g_assert_cmpint (sync_cli (db, &out, &err, "get", b, NULL), ==, 0);
  g_assert_null (field_of (out, "case_notes"));
  g_assert_nonnull (strstr (err, "do not open"));
  g_free (out);
  g_free (err);
  g_free (sql);
  sql = g_strdup_printf ("UPDATE records SET sealed = CAST (substr (sealed, 1, 30) ||"
                         " CASE substr (sealed, 31, 1) WHEN X'00' THEN X'01' ELSE X'00' END ||"
                         " substr (sealed, 32) AS BLOB) WHERE uuid = '%s'",
                         a);
  sync_exec (db, sql);
  g_assert_cmpint (sync_cli (db, &out, &err, "get", a, NULL), ==, 0);
  g_assert_null (field_of (out, "case_notes"));
  g_assert_cmpstr (field_of (out, "counsellor"), ==, "Trần Thị Lan");
}

/* A database as the version before this one wrote it: no sealed columns,
 * case notes, a counselling draft and the token in clear. */
static char *
make_old_database (guint n_counselling)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
    g_autoptr (JsonObject) data = pcmbn_test_json (COUNSELLING);
    g_assert_true (pcmbn_store_begin (store, &error));
    for (guint i = 0; i < n_counselling; i++)
      g_free (pcmbn_store_add (store, "counselling", data, &error));
    g_assert_no_error (error);
    g_assert_true (pcmbn_store_commit (store, &error));
  }
  sync_exec (path, "UPDATE records SET data = json_set (data, '$.case_notes', 'OLD-NOTE-' || id),"
                   " sealed = NULL;"
                   "ALTER TABLE records DROP COLUMN sealed;"
                   "ALTER TABLE drafts DROP COLUMN sealed;"
                   "INSERT INTO drafts VALUES ('old-form', 'counselling', NULL,"
                   " '{\"case_notes\":\"OLD-DRAFT-NOTE\"}', '2025-01-01T00:00:00Z');"
                   "DELETE FROM meta WHERE key IN ('key_id', 'key_check', 'key_recovery',"
                   " 'sealed');"
                   "INSERT INTO meta VALUES ('sync_token', 'OLD-PLAIN-TOKEN-0123456789');"
                   "VACUUM;");
  g_assert_true (file_contains (path, "OLD-NOTE-1"));
  g_assert_true (file_contains (path, "OLD-PLAIN-TOKEN"));
  return g_steal_pointer (&path);
}

static void
assert_migrated (const char *db, guint n_counselling)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonNode) list = NULL;
  JsonArray *array;

  g_assert_cmpint (sync_cli (db, &out, &err, "list", "counselling", NULL), ==, 0);
  list = sync_parse (out);
  array = json_node_get_array (list);
  g_assert_cmpuint (json_array_get_length (array), ==, n_counselling);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *data = json_object_get_object_member (json_array_get_object_element (array, i),
                                                        "data");
      g_assert_true (
          g_str_has_prefix (json_object_get_string_member (data, "case_notes"), "OLD-NOTE-"));
    }
  assert_nowhere (db, "OLD-NOTE-");
  assert_nowhere (db, "OLD-DRAFT-NOTE");
  assert_nowhere (db, "OLD-PLAIN-TOKEN");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PcmbnStore) store = pcmbn_store_open (db, &error);
    g_autoptr (PcmbnDraft) draft = NULL;
    g_autofree char *token = NULL;
    g_assert_no_error (error);
    draft = pcmbn_drafts_get (store, "old-form");
    g_assert_nonnull (draft);
    g_assert_cmpstr (json_object_get_string_member (draft->data, "case_notes"), ==,
                     "OLD-DRAFT-NOTE");
    token = pcmbn_store_get_meta (store, "sync_token");
    g_assert_cmpstr (token, ==, "OLD-PLAIN-TOKEN-0123456789");
  }
}

static void
test_migrate (void)
{
  g_autofree char *db = make_old_database (20);

  assert_migrated (db, 20);
}

/* Pulling the plug during the migration, as test-crash.c does for imports:
 * after each kill the file passes the integrity check and is either all in
 * clear (with no key named) or all sealed; a last clean run finishes it. */
static void
test_migrate_killed (void)
{
  const guint n = 3000;
  g_autofree char *template = make_old_database (n);
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "killed.sqlite", NULL);
  g_autofree char *contents = NULL;
  const char *seed_text = g_getenv ("PCMBN_CRASH_SEED");
  guint32 seed = seed_text ? (guint32)g_ascii_strtoull (seed_text, NULL, 10) : 20261202;
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gsize len;
  gint64 t0;
  double calibrated;

  g_assert_true (g_file_get_contents (template, &contents, &len, NULL));
  /* One undisturbed run, to know when to kill. */
  g_assert_true (g_file_set_contents (db, contents, len, NULL));
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (sync_cli (db, NULL, NULL, "list", "activity", NULL), ==, 0);
  calibrated = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("undisturbed migration of %u records: %.3f s; seed %u (PCMBN_CRASH_SEED)", n,
                  calibrated, seed);

  for (guint round = 0; round < 16; round++)
    {
      g_autoptr (GSubprocess) proc = NULL;
      g_autoptr (GError) error = NULL;
      const char *cli = g_getenv ("PCMBN_CLI");
      gulong delay = (gulong)(g_rand_double (rand) * calibrated * 1e6);
      gint64 sealed, clear;
      g_autofree char *flag = NULL, *check = NULL;

      g_assert_true (g_file_set_contents (db, contents, len, NULL));
      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                   | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                               &error, cli, "--db", db, "list", "activity", NULL);
      g_assert_no_error (error);
      g_usleep (delay);
      g_subprocess_send_signal (proc, SIGKILL);
      g_subprocess_wait (proc, NULL, NULL);

      check = sync_query_text (db, "PRAGMA integrity_check");
      g_assert_cmpstr (check, ==, "ok");
      /* Killed before the column was added: nothing sealed yet. */
      sealed = sync_query_int (db, "SELECT count(*) FROM pragma_table_info ('records')"
                                   " WHERE name = 'sealed'")
                   ? sync_query_int (db, "SELECT count(*) FROM records WHERE sealed IS NOT NULL")
                   : 0;
      clear = sync_query_int (db, "SELECT count(*) FROM records WHERE data LIKE '%OLD-NOTE-%'");
      flag = sync_query_text (db, "SELECT value FROM meta WHERE key = 'sealed'");
      g_test_message ("round %u: killed after %lu us: %" G_GINT64_FORMAT
                      " sealed, %" G_GINT64_FORMAT " in clear",
                      round, delay, sealed, clear);
      g_assert_true ((sealed == 0 && clear == n && flag == NULL)
                     || (sealed == n && clear == 0 && g_strcmp0 (flag, "1") == 0));
      /* The next run finishes (or has nothing left to do). */
      if (round % 4 == 3)
        assert_migrated (db, n);
    }
}

/* A server that keeps case notes seals them with the key of its
 * configuration; with another key it refuses to start. */
static void
test_server_key (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *uuid = NULL, *out = NULL, *err = NULL;
  const char *key = "q0xqkA0JSTn6yC2VrvtZyCkbF2QvW+OGpr8iWHv0H3U=";

  g_setenv ("PCMBN_CASE_NOTES_KEY", key, TRUE);
  sync_exec (s->db, "INSERT INTO meta VALUES ('store_case_notes', 'yes')");
  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  sync_exec (db, "INSERT INTO meta VALUES ('sync_case_notes', 'yes')");
  uuid = sync_add (db, "counselling", COUNSELLING);
  g_assert_cmpint (sync_cli (db, &out, NULL, "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 1,"));
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  g_assert_cmpint (
      sync_query_int (s->db, "SELECT count(*) FROM records WHERE kind = 'counselling' AND sealed "
                             "IS NOT NULL"),
      ==, 1);
  assert_nowhere (s->db, NOTE);

  /* Another key: a clear error, nothing served. */
  g_setenv ("PCMBN_CASE_NOTES_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", TRUE);
  g_free (err);
  g_assert_cmpint (sync_district ((const char *[]){ "devices", "--db", s->db, NULL }, NULL, &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "PCMBN_CASE_NOTES_KEY"));
  g_unsetenv ("PCMBN_CASE_NOTES_KEY");
  sync_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/at-rest/grep-after-sync", test_grep_after_sync);
  g_test_add_func ("/at-rest/copied-file", test_copied_file);
  g_test_add_func ("/at-rest/bad-key-file", test_bad_key_file);
  g_test_add_func ("/at-rest/tampered", test_tampered);
  g_test_add_func ("/at-rest/migrate", test_migrate);
  g_test_add_func ("/at-rest/migrate-killed", test_migrate_killed);
  g_test_add_func ("/at-rest/server-key", test_server_key);
  return g_test_run ();
}
