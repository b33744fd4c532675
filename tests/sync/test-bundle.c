/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sync without a network: bundles carried between real logbooks and a real
 * server database by the real programs, with no HTTP at all, then mixed
 * with HTTP sync. Bad bundles (changed in any part, for another device,
 * for another server, older than one applied) are refused whole. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store.h"
#include "sync-helpers.h"

#define COMMUNE "00001"

typedef struct
{
  char *dir;
  char *server; /* the server's database; no server process runs */
} Office;

static Office *
office_new (void)
{
  Office *o = g_new0 (Office, 1);
  g_autofree char *err = NULL;

  o->dir = pcmbn_test_tmpdir ();
  o->server = g_build_filename (o->dir, "district.sqlite", NULL);
  {
    const char *argv[] = { "init", "--db", o->server, "--org-unit", "001", NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 0);
  }
  return o;
}

static void
office_free (Office *o)
{
  g_free (o->dir);
  g_free (o->server);
  g_free (o);
}

static char *
office_code (Office *o)
{
  const char *argv[] = { "enroll-code", "--db", o->server, "--org-unit", COMMUNE, NULL };
  char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (sync_district (argv, &out, &err), ==, 0);
  return g_strstrip (out);
}

/* `pcmbn-district bundle`; returns its exit status. */
static int
office_answer (Office *o, const char *in, const char *out, char **err)
{
  const char *argv[] = { "bundle", "--db", o->server, "--in", in, "--out", out, NULL };

  return sync_district (argv, NULL, err);
}

static char *
file_in (const char *db, const char *name)
{
  g_autofree char *dir = g_path_get_dirname (db);

  return g_build_filename (dir, name, NULL);
}

static char *
import_line (const char *db, const char *reply)
{
  char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (sync_cli (db, &out, &err, "bundle", "import", reply, NULL), ==, 0);
  return g_strstrip (out);
}

/* A logbook enrolled by bundle alone: request, office, reply. */
static char *
enrolled_by_bundle (Office *o)
{
  char *db = sync_new_logbook (NULL);
  g_autofree char *code = office_code (o);
  g_autofree char *request = file_in (db, "enrol.bundle");
  g_autofree char *reply = file_in (db, "enrol.reply");
  g_autofree char *err = NULL, *line = NULL;

  g_assert_cmpint (
      sync_cli (db, NULL, &err, "bundle", "enroll", "--code", code, "-o", request, NULL), ==, 0);
  /* The request's secret waits in the logbook sealed, never in clear */
  g_assert_cmpint (sync_query_int (db, "SELECT count(*) FROM meta WHERE key ="
                                       " 'bundle_enrol_secret' AND length (value) = 64 AND value"
                                       " NOT GLOB '*[^0-9a-f]*'"),
                   ==, 0);
  g_assert_cmpint (
      sync_query_int (db, "SELECT count(*) FROM meta WHERE key = 'bundle_enrol_secret'"), ==, 1);
  g_assert_cmpint (office_answer (o, request, reply, NULL), ==, 0);
  line = import_line (db, reply);
  g_assert_cmpstr (line, ==, "pushed 0, pulled 0, conflicts 0, rejected 0");
  g_assert_nonnull (sync_device_token (db));
  g_assert_cmpint (sync_query_int (db, "SELECT count(*) FROM meta WHERE key = 'org_unit' AND "
                                       "value = '" COMMUNE "'"),
                   ==, 1);
  return db;
}

static void
add_activities (const char *db, const char *tag, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *json = g_strdup_printf (
          "{\"date\":\"2026-03-%02u\",\"activity_type\":\"community_talk\",\"subproject\":"
          "\"community\",\"title\":\"%s %u\",\"participants_total\":%u}",
          1 + i % 28, tag, i, 10 + i);
      g_free (sync_add (db, "activity", json));
    }
}

/* Export, answer at the office, import: one round trip by stick. */
static char *
round_trip (Office *o, const char *db, const char *name)
{
  g_autofree char *bundle = NULL, *reply = NULL, *err = NULL;
  g_autofree char *bname = g_strconcat (name, ".bundle", NULL);
  g_autofree char *rname = g_strconcat (name, ".reply", NULL);

  bundle = file_in (db, bname);
  reply = file_in (db, rname);
  g_assert_cmpint (sync_cli (db, NULL, &err, "bundle", "export", "-o", bundle, NULL), ==, 0);
  g_assert_cmpint (office_answer (o, bundle, reply, NULL), ==, 0);
  return import_line (db, reply);
}

static gint64
count_live (const char *db)
{
  return sync_query_int (db,
                         "SELECT count(*) FROM records WHERE kind = 'activity' AND NOT deleted");
}

static gint64
count_server (Office *o)
{
  return sync_query_int (o->server, "SELECT count(*) FROM records WHERE kind = 'activity'");
}

static void
test_two_devices_by_bundles_alone (void)
{
  Office *o = office_new ();
  g_autofree char *a = enrolled_by_bundle (o);
  g_autofree char *b = enrolled_by_bundle (o);
  g_autofree char *line = NULL;

  add_activities (a, "A", 100);
  add_activities (b, "B", 100);

  g_free (line);
  line = round_trip (o, a, "a1");
  g_assert_cmpstr (line, ==, "pushed 100, pulled 0, conflicts 0, rejected 0");
  g_free (line);
  line = round_trip (o, b, "b1");
  g_assert_cmpstr (line, ==, "pushed 100, pulled 100, conflicts 0, rejected 0");
  g_free (line);
  line = round_trip (o, a, "a2");
  g_assert_cmpstr (line, ==, "pushed 0, pulled 100, conflicts 0, rejected 0");

  g_assert_cmpint (count_live (a), ==, 200);
  g_assert_cmpint (count_live (b), ==, 200);
  g_assert_cmpint (count_server (o), ==, 200);
  /* Nothing waits to be sent on either side */
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty"), ==, 0);
  g_assert_cmpint (sync_query_int (b, "SELECT count(*) FROM records WHERE dirty"), ==, 0);

  /* An edit travels too, and a repeated round changes nothing */
  {
    g_autofree char *uuid = sync_query_text (a, "SELECT uuid FROM records WHERE data LIKE "
                                                "'%\"A 7\"%'");
    g_autofree char *err = NULL;
    const char *argv[] = { "--db", a, "update", uuid, "--json", "-", NULL };
    g_assert_cmpint (pcmbn_test_run_cli (argv, "{\"title\":\"A 7 sửa\"}", NULL, &err), ==, 0);
  }
  g_free (line);
  line = round_trip (o, a, "a3");
  g_assert_cmpstr (line, ==, "pushed 1, pulled 0, conflicts 0, rejected 0");
  g_free (line);
  line = round_trip (o, b, "b2");
  g_assert_cmpstr (line, ==, "pushed 0, pulled 1, conflicts 0, rejected 0");
  g_assert_cmpint (
      sync_query_int (b, "SELECT count(*) FROM records WHERE data LIKE '%\"A 7 sửa\"%'"), ==, 1);
  g_free (line);
  line = round_trip (o, b, "b3");
  g_assert_cmpstr (line, ==, "pushed 0, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (count_server (o), ==, 200);
  office_free (o);
}

/* Every copy of @path with one byte changed, at each part of the file. */
static GPtrArray *
tampered_copies (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len;
  GPtrArray *copies = g_ptr_array_new_with_free_func (g_free);
  /* the first line, the signature, the start, middle and end of the payload */
  gsize at[5];

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  at[0] = 16;
  at[1] = strchr (contents, '\n') - contents + 5;
  at[2] = at[1] + 70;
  at[3] = len / 2;
  at[4] = len - 3;
  for (guint i = 0; i < G_N_ELEMENTS (at); i++)
    {
      g_autofree char *copy = g_memdup2 (contents, len);
      char *name = g_strdup_printf ("%s.tampered%u", path, i);
      copy[at[i]] ^= 0x04;
      g_assert_true (g_file_set_contents (name, copy, len, NULL));
      g_ptr_array_add (copies, name);
    }
  return copies;
}

static void
test_tampered_refused (void)
{
  Office *o = office_new ();
  g_autofree char *a = enrolled_by_bundle (o);
  g_autofree char *bundle = file_in (a, "t.bundle");
  g_autofree char *reply = file_in (a, "t.reply");
  g_autofree char *err = NULL, *server_before = NULL, *device_before = NULL;
  g_autoptr (GPtrArray) copies = NULL;

  add_activities (a, "A", 5);
  g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "export", "-o", bundle, NULL), ==, 0);

  /* At the office: each changed copy is refused, and nothing is stored */
  server_before = pcmbn_test_db_digest (o->server);
  copies = tampered_copies (bundle);
  for (guint i = 0; i < copies->len; i++)
    {
      g_autofree char *out = file_in (a, "never.reply");
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (office_answer (o, copies->pdata[i], out, &err), ==, 2);
      g_test_message ("tampered copy %u: %s", i, err);
      g_assert_nonnull (strstr (err, "Nothing was changed"));
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
      g_assert_cmpint (count_server (o), ==, 0);
    }

  /* At the commune: each changed copy of the reply is refused whole */
  g_assert_cmpint (office_answer (o, bundle, reply, NULL), ==, 0);
  device_before = pcmbn_test_db_digest (a);
  g_clear_pointer (&copies, g_ptr_array_unref);
  copies = tampered_copies (reply);
  for (guint i = 0; i < copies->len; i++)
    {
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "import", copies->pdata[i], NULL), ==, 2);
      g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty"), ==, 5);
    }
  {
    g_autofree char *after = pcmbn_test_db_digest (a);
    g_assert_cmpstr (after, ==, device_before);
  }
  /* Not a bundle at all */
  {
    g_autofree char *junk = file_in (a, "junk.bundle");
    g_assert_true (g_file_set_contents (junk, "PK\3\4 not a bundle", -1, NULL));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "import", junk, NULL), ==, 2);
    g_assert_nonnull (strstr (err, "not a PCMBN sync bundle"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (office_answer (o, junk, reply, &err), ==, 2);
  }
  /* The untouched reply still works */
  {
    g_autofree char *line = import_line (a, reply);
    g_assert_cmpstr (line, ==, "pushed 5, pulled 0, conflicts 0, rejected 0");
  }
  (void)server_before;
  office_free (o);
}

static void
test_foreign_and_replayed (void)
{
  Office *o = office_new ();
  Office *other = office_new ();
  g_autofree char *a = enrolled_by_bundle (o);
  g_autofree char *b = enrolled_by_bundle (o);
  g_autofree char *b1 = file_in (a, "1.bundle"), *r1 = file_in (a, "1.reply");
  g_autofree char *b2 = file_in (a, "2.bundle"), *r2 = file_in (a, "2.reply");
  g_autofree char *err = NULL, *line = NULL, *digest = NULL;

  add_activities (a, "A", 3);
  g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "export", "-o", b1, NULL), ==, 0);
  add_activities (a, "A2-", 2);
  g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "export", "-o", b2, NULL), ==, 0);

  /* Another server does not know the device */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (office_answer (other, b1, r1, &err), ==, 2);
  g_assert_nonnull (strstr (err, "does not know"));

  /* The newer bundle first; then the older one is refused */
  g_assert_cmpint (office_answer (o, b2, r2, NULL), ==, 0);
  g_assert_cmpint (count_server (o), ==, 5);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (office_answer (o, b1, r1, &err), ==, 2);
  g_assert_nonnull (strstr (err, "older"));
  /* The same bundle twice changes nothing on the server */
  digest = sync_query_text (o->server, "SELECT group_concat(uuid || version, ',') FROM (SELECT "
                                       "uuid, version FROM records ORDER BY uuid)");
  g_assert_cmpint (office_answer (o, b2, r1, NULL), ==, 0);
  {
    g_autofree char *again = sync_query_text (
        o->server,
        "SELECT group_concat(uuid || version, ',') FROM (SELECT uuid, version FROM records "
        "ORDER BY uuid)");
    g_assert_cmpstr (again, ==, digest);
  }

  /* A reply for device A is refused by device B */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (b, NULL, &err, "bundle", "import", r2, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "another logbook"));
  g_assert_cmpint (count_live (b), ==, 0);

  /* r1 (made last) then r2 (older) at A: the older one is refused */
  line = import_line (a, r1);
  g_assert_cmpstr (line, ==, "pushed 5, pulled 0, conflicts 0, rejected 0");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "import", r2, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "older"));
  /* and the same reply again changes nothing */
  g_free (line);
  line = import_line (a, r1);
  g_assert_cmpstr (line, ==, "pushed 0, pulled 0, conflicts 0, rejected 0");
  office_free (o);
  office_free (other);
}

static void
test_attachments_travel (void)
{
  Office *o = office_new ();
  g_autofree char *a = enrolled_by_bundle (o);
  g_autofree char *b = enrolled_by_bundle (o);
  g_autofree char *photo = file_in (a, "photo.jpg");
  g_autofree char *sha = NULL, *json = NULL, *line = NULL;
  g_autoptr (GError) error = NULL;
  guint8 content[3000];

  for (guint i = 0; i < sizeof content; i++)
    content[i] = (guint8)(i * 7 + 3);
  g_assert_true (g_file_set_contents (photo, (const char *)content, sizeof content, NULL));
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (a, &error);
    g_autoptr (GFile) file = g_file_new_for_path (photo);
    g_autoptr (JsonObject) att = NULL;
    g_assert_no_error (error);
    att = pcmbn_attachments_add_file (store, file, NULL, &error);
    g_assert_no_error (error);
    sha = g_strdup (json_object_get_string_member (att, "sha256"));
  }
  json = g_strdup_printf (
      "{\"date\":\"2026-04-01\",\"activity_type\":\"community_talk\","
      "\"subproject\":\"community\",\"title\":\"Ảnh\",\"participants_total\":"
      "5,\"attachments\":[{\"sha256\":\"%s\",\"name\":\"anh.jpg\",\"size\":%zu}]}",
      sha, sizeof content);
  g_free (sync_add (a, "activity", json));
  line = round_trip (o, a, "a1");
  g_assert_cmpstr (line, ==, "pushed 1, pulled 0, conflicts 0, rejected 0");
  {
    g_autofree char *sql = g_strdup_printf ("SELECT size FROM blobs WHERE sha256 = '%s'", sha);
    g_assert_cmpint (sync_query_int (o->server, sql), ==, sizeof content);
  }
  g_free (line);
  line = round_trip (o, b, "b1");
  g_assert_cmpstr (line, ==, "pushed 0, pulled 1, conflicts 0, rejected 0");
  office_free (o);
}

/* A device syncs by bundle one week and over HTTP the next, in both orders,
 * with a bundle overtaken by an HTTP sync: no duplicate, nothing lost. */
static void
test_mix_with_http (void)
{
  SyncServer *s = sync_server_new (FALSE);
  Office o = { NULL, s->db };
  g_autofree char *a = NULL, *b = NULL, *line = NULL, *out = NULL, *err = NULL;
  g_autofree char *b1 = NULL, *r1 = NULL;

  sync_server_start (s);
  a = sync_enrolled_logbook (s, COMMUNE);
  b = sync_enrolled_logbook (s, COMMUNE);
  b1 = file_in (a, "1.bundle");
  r1 = file_in (a, "1.reply");

  /* Week 1 by bundle (the server database is the one serve uses) */
  add_activities (a, "A", 20);
  line = round_trip (&o, a, "w1");
  g_assert_cmpstr (line, ==, "pushed 20, pulled 0, conflicts 0, rejected 0");
  /* Week 2 over HTTP */
  add_activities (a, "A2-", 10);
  g_assert_cmpint (sync_cli (a, &out, &err, "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 10,"));
  /* A bundle made, then overtaken by an HTTP sync before it reached the office */
  add_activities (a, "A3-", 4);
  g_assert_cmpint (sync_cli (a, NULL, NULL, "bundle", "export", "-o", b1, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (sync_cli (a, &out, NULL, "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 4,"));
  g_assert_cmpint (office_answer (&o, b1, r1, NULL), ==, 0);
  g_free (line);
  line = import_line (a, r1);
  g_assert_cmpstr (line, ==, "pushed 4, pulled 0, conflicts 0, rejected 0");

  /* Device B over HTTP, then by bundle */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (sync_cli (b, &out, NULL, "sync", NULL), ==, 0);
  g_free (line);
  line = round_trip (&o, b, "b1");
  g_assert_cmpstr (line, ==, "pushed 0, pulled 0, conflicts 0, rejected 0");

  g_assert_cmpint (count_live (a), ==, 34);
  g_assert_cmpint (count_live (b), ==, 34);
  g_assert_cmpint (count_server (&o), ==, 34);
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty"), ==, 0);
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  sync_server_free (s);
}

/* More records than one HTTP push may hold travel in one bundle. */
static void
test_large_bundle (void)
{
  Office *o = office_new ();
  g_autofree char *a = enrolled_by_bundle (o);
  g_autofree char *csv = file_in (a, "many.csv");
  g_autoptr (GString) text = g_string_new ("date,activity_type,subproject,title,"
                                           "participants_total\r\n");
  g_autofree char *err = NULL, *line = NULL;

  for (guint i = 0; i < 2500; i++)
    g_string_append_printf (text, "2026-05-%02u,community_talk,community,Buổi %u,%u\r\n",
                            1 + i % 28, i, 5 + i % 50);
  g_assert_true (g_file_set_contents (csv, text->str, text->len, NULL));
  g_assert_cmpint (sync_cli (a, NULL, &err, "import", "activity", csv, NULL), ==, 0);
  line = round_trip (o, a, "many");
  g_assert_cmpstr (line, ==, "pushed 2500, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (count_server (o), ==, 2500);
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty"), ==, 0);
  office_free (o);
}

/* Kills a program at @delay_us after its start (unless it ends before);
 * returns TRUE when it ran to the end, which must be a success. */
static gboolean
run_and_kill (const char *program, const char *const *args, gint64 delay_us)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  g_ptr_array_add (argv, (gpointer)program);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + delay_us;
  while (g_get_monotonic_time () < deadline)
    {
      if (g_subprocess_get_identifier (proc) == NULL)
        break;
      g_usleep (200);
    }
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  if (g_subprocess_get_if_exited (proc))
    {
      g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
      return TRUE;
    }
  return FALSE;
}

static void
assert_sound (const char *db)
{
  g_autofree char *check = sync_query_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

/* Every step of a round by stick is killed at a random moment, then done
 * again: nothing is lost, nothing is stored twice, both files stay sound,
 * and an HTTP sync afterwards has nothing left to do. */
static void
test_kill_rounds (void)
{
  SyncServer *s = sync_server_new (FALSE);
  Office o = { NULL, s->db };
  const char *cli = g_getenv ("PCMBN_CLI");
  const char *district = g_getenv ("PCMBN_DISTRICT");
  guint seed = g_test_rand_int ();
  guint rounds = g_test_slow () ? 60 : 12;
  g_autoptr (GRand) rand = NULL;
  g_autofree char *a = enrolled_by_bundle (&o);
  g_autofree char *bundle = file_in (a, "k.bundle"), *reply = file_in (a, "k.reply");
  g_autofree char *out = NULL;
  guint killed[3] = { 0 }, total = 0;
  gint32 took[3] = { 100000, 300000, 100000 }; /* µs, until measured */
  gint64 start;

  if (g_getenv ("PCMBN_BUNDLE_SEED"))
    seed = (guint)g_ascii_strtoull (g_getenv ("PCMBN_BUNDLE_SEED"), NULL, 10);
  rand = g_rand_new_with_seed (seed);
  g_test_message ("seed %u (PCMBN_BUNDLE_SEED), %u rounds", seed, rounds);

  for (guint round = 0; round < rounds; round++)
    {
      const char *export_args[] = { "--db", a, "bundle", "export", "-o", bundle, NULL };
      const char *answer_args[] = {
        "bundle", "--db", o.server, "--in", bundle, "--out", reply, NULL
      };
      const char *import_args[] = { "--db", a, "bundle", "import", reply, NULL };
      guint n = 1 + g_rand_int_range (rand, 0, 40);
      g_autofree char *tag = g_strdup_printf ("K%u-", round);
      g_autofree char *err = NULL;

      add_activities (a, tag, n);
      total += n;
      g_unlink (bundle);
      g_unlink (reply);
      /* Each step is killed somewhere within the time it took undisturbed
       * last round, then done again to the end (and timed for the next). */
      if (!run_and_kill (cli, export_args, g_rand_int_range (rand, 0, took[0] + 1)))
        killed[0]++;
      assert_sound (a);
      start = g_get_monotonic_time ();
      g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "export", "-o", bundle, NULL), ==, 0);
      took[0] = g_get_monotonic_time () - start;
      if (!run_and_kill (district, answer_args, g_rand_int_range (rand, 0, took[1] + 1)))
        killed[1]++;
      assert_sound (o.server);
      start = g_get_monotonic_time ();
      g_assert_cmpint (office_answer (&o, bundle, reply, NULL), ==, 0);
      took[1] = g_get_monotonic_time () - start;
      if (!run_and_kill (cli, import_args, g_rand_int_range (rand, 0, took[2] + 1)))
        killed[2]++;
      assert_sound (a);
      g_clear_pointer (&err, g_free);
      start = g_get_monotonic_time ();
      g_assert_cmpint (sync_cli (a, NULL, &err, "bundle", "import", reply, NULL), ==, 0);
      took[2] = g_get_monotonic_time () - start;

      g_assert_cmpint (count_server (&o), ==, total);
      g_assert_cmpint (count_live (a), ==, total);
      g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty"), ==, 0);
    }
  g_test_message ("killed: %u exports, %u answers at the office, %u imports", killed[0], killed[1],
                  killed[2]);

  /* Then the network: nothing left to send, nothing new to receive */
  sync_server_start (s);
  g_assert_cmpint (sync_cli (a, &out, NULL, "sync", "--server", s->url, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 0, pulled 0"));
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  sync_server_free (s);
}

static void
test_cli_errors (void)
{
  g_autofree char *db = sync_new_logbook (COMMUNE);
  g_autofree char *bundle = file_in (db, "x.bundle");
  g_autofree char *err = NULL;

  /* not enrolled: says what to do */
  g_assert_cmpint (sync_cli (db, NULL, &err, "bundle", "export", "-o", bundle, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "bundle enroll --code"));
  g_assert_false (g_file_test (bundle, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (db, NULL, &err, "bundle", "export", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "o: is required"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (db, NULL, &err, "bundle", "enroll", "-o", bundle, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "code"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (db, NULL, &err, "bundle", "import", "/nonexistent/reply", NULL), ==,
                   2);
  g_assert_nonnull (strstr (err, "/nonexistent/reply"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_cli (db, NULL, &err, "bundle", "frobnicate", NULL), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bundle/two-devices-by-bundles-alone", test_two_devices_by_bundles_alone);
  g_test_add_func ("/bundle/tampered-refused", test_tampered_refused);
  g_test_add_func ("/bundle/foreign-and-replayed", test_foreign_and_replayed);
  g_test_add_func ("/bundle/attachments-travel", test_attachments_travel);
  g_test_add_func ("/bundle/mix-with-http", test_mix_with_http);
  g_test_add_func ("/bundle/large", test_large_bundle);
  g_test_add_func ("/bundle/kill-rounds", test_kill_rounds);
  g_test_add_func ("/bundle/cli-errors", test_cli_errors);
  return g_test_run ();
}
