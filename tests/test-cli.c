/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `pcmbn` driven as a user or a script drives it: a subprocess per command,
 * a real database file, exit status and stdout/stderr checked against
 * interfaces.md. Every kind of bad input must exit 2, say which field is
 * wrong first on stderr, and leave the database as it was. */
#define _GNU_SOURCE /* posix_openpt() and its kin, for a terminal */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

#define ACTIVITY                                                                  \
  "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\",\"subproject\":" \
  "\"community\",\"title\":\"Nói chuyện, \\\"PCMBN\\\" tại Tổ 5\","        \
  "\"participants_total\":40,\"participants_female\":22,\"topics\":[\"hotline\"," \
  "\"sexual_exploitation\"]}"

typedef struct
{
  char *dir;
  char *db;
} Fixture;

/* Runs pcmbn with the NULL-terminated arguments. */
static int
cli (const char *input, char **out, char **err, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list ap;
  int status;
  g_autofree char *o = NULL, *e = NULL;

  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = pcmbn_test_run_cli ((const char *const *)argv->pdata, input, &o, &e);
  if (out)
    *out = g_steal_pointer (&o);
  if (err)
    *err = g_steal_pointer (&e);
  return status;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;

  f->dir = pcmbn_test_tmpdir ();
  f->db = g_build_filename (f->dir, "logbook.sqlite", NULL);
  if (data == NULL) /* most tests start from an initialised logbook */
    {
      g_assert_cmpint (cli (NULL, NULL, &err, "init", "--org-unit", "00001", "--db", f->db, NULL),
                       ==, 0);
    }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_free (f->dir);
  g_free (f->db);
}

static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static char *
add_ok (Fixture *f, const char *kind, const char *json)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = cli (json, &out, &err, "--db", f->db, "add", kind, NULL);

  if (status != 0)
    g_test_message ("add %s %s: %s", kind, json, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_suffix (out, "\n"));
  out[strlen (out) - 1] = '\0';
  /* the uuid alone */
  g_assert_true (pcmbn_uuid_is_valid (out));
  return g_steal_pointer (&out);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static JsonObject *
get_record (Fixture *f, const char *uuid)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonNode) node = NULL;

  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "get", uuid, NULL), ==, 0);
  node = parse_json (out);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static guint
list_length (Fixture *f, const char *kind, const char *from, const char *to)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonNode) node = NULL;
  const char *argv[12] = { "--db", f->db, "list", kind };
  guint n = 4;

  if (from)
    {
      argv[n++] = "--from";
      argv[n++] = from;
    }
  if (to)
    {
      argv[n++] = "--to";
      argv[n++] = to;
    }
  argv[n] = NULL;
  g_assert_cmpint (pcmbn_test_run_cli (argv, NULL, &out, &err), ==, 0);
  node = parse_json (out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_get_length (json_node_get_array (node));
}

/* Runs a command that must be refused as bad input: exit 2, nothing on
 * stdout, stderr starting with @prefix (when given), the database file
 * unchanged. */
static void
expect_bad (const char *db, const char *input, const char *prefix, const char *const *argv)
{
  g_autofree char *before = pcmbn_test_db_digest (db);
  g_autofree char *after = NULL, *out = NULL, *err = NULL;
  g_autofree char *joined = g_strjoinv (" ", (char **)argv);
  int status = pcmbn_test_run_cli (argv, input, &out, &err);

  if (status != 2 || (prefix && !g_str_has_prefix (err, prefix)))
    g_test_message ("pcmbn %s → %d, stderr: %s", joined, status, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpuint (strlen (err), >, 0);
  if (prefix)
    g_assert_true (g_str_has_prefix (err, prefix));
  after = pcmbn_test_db_digest (db);
  if (!g_str_equal (before, after))
    g_test_message ("pcmbn %s changed the database", joined);
  g_assert_cmpstr (after, ==, before);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- init ------------------------------------------------------------- */

static void
test_init_good (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *digest = NULL, *again = NULL;
  GStatBuf st;

  g_assert_cmpint (cli (NULL, &out, &err, "init", "--org-unit", "00001", "--db", f->db, NULL), ==,
                   0);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "00001"));
  /* records of vulnerable people: only the owner reads the file */
  g_assert_cmpint (g_stat (f->db, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 0);

  /* again with the same commune: fine and nothing changes */
  digest = pcmbn_test_db_digest (f->db);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (NULL, NULL, &err, "--db", f->db, "init", "--org-unit", "00001", NULL), ==,
                   0);
  again = pcmbn_test_db_digest (f->db);
  g_assert_cmpstr (again, ==, digest);

  /* another commune on the same file is refused */
  expect_bad (f->db, NULL, "org-unit: ", ARGS ("--db", f->db, "init", "--org-unit", "00004"));

  /* with a profile */
  {
    g_autofree char *other = g_build_filename (f->dir, "wu.sqlite", NULL);
    g_assert_cmpint (cli (NULL, NULL, NULL, "init", "--org-unit", "00004", "--profile",
                          "womens-union", "--db", other, NULL),
                     ==, 0);
  }
}

static void
test_init_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *units_bad = g_build_filename (g_getenv ("PCMBN_TEST_DATA"),
                                                 "units-missing-column.csv", NULL);

  /* Each on a path that does not exist yet: no file is left behind */
  expect_bad (f->db, NULL, "org-unit: ", ARGS ("init", "--org-unit", "99999", "--db", f->db));
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
  /* 001 is Ba Đình district, not a commune */
  expect_bad (f->db, NULL, "org-unit: ", ARGS ("init", "--org-unit", "001", "--db", f->db));
  expect_bad (f->db, NULL, "org-unit: ", ARGS ("init", "--org-unit", "01", "--db", f->db));
  expect_bad (f->db, NULL, "profile: ",
              ARGS ("init", "--org-unit", "00001", "--profile", "police", "--db", f->db));
  expect_bad (f->db, NULL, "org-unit: ", ARGS ("init", "--db", f->db));
  expect_bad (f->db, NULL, "org-unit: ", ARGS ("init", "--org-unit", "", "--db", f->db));
  expect_bad (f->db, NULL, NULL,
              ARGS ("init", "--org-unit", "99001", "--units", units_bad, "--db", f->db));
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
  /* a unit list that does not exist */
  {
    g_autofree char *missing = g_build_filename (f->dir, "no-such-units.csv", NULL);
    g_autofree char *err = NULL;
    int status = cli (NULL, NULL, &err, "init", "--org-unit", "99001", "--units", missing, "--db",
                      f->db, NULL);
    g_assert_cmpint (status, !=, 0);
    g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
  }
}

static void
test_init_units_file (Fixture *f, gconstpointer data)
{
  g_autofree char *units = g_build_filename (g_getenv ("PCMBN_TEST_DATA"), "units-small.csv", NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (
      cli (NULL, NULL, &err, "init", "--org-unit", "99001", "--units", units, "--db", f->db, NULL),
      ==, 0);
  g_assert_nonnull (strstr (err, "Phường Hoa, Quận Một"));
  /* the bundled Hanoi list is not in this file */
  {
    g_autofree char *other = g_build_filename (f->dir, "b.sqlite", NULL);
    expect_bad (other, NULL, "org-unit: ",
                ARGS ("init", "--org-unit", "00001", "--units", units, "--db", other));
    expect_bad (other, NULL,
                "org-unit: ", ARGS ("init", "--org-unit", "990", "--units", units, "--db", other));
  }
}

/* `init` run in a folder leaves nothing in it but the database. */
static void
test_init_no_stray_files (Fixture *f, gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  guint n = 0;

  g_subprocess_launcher_set_cwd (launcher, f->dir);
  proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PCMBN_CLI"), "init",
                                      "--org-unit", "00001", "--db", "here.sqlite", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (proc, NULL, &error);
  g_assert_no_error (error);
  dir = g_dir_open (f->dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)))
    {
      g_test_message ("found %s", name);
      g_assert_true (g_str_has_prefix (name, "here.sqlite"));
      n++;
    }
  g_assert_cmpuint (n, >=, 1);
}

static void
test_default_database (Fixture *f, gconstpointer data)
{
  /* main() points XDG_DATA_HOME at a temporary folder */
  g_autofree char *path = g_build_filename (g_getenv ("XDG_DATA_HOME"), "pcmbn-logbook",
                                            "logbook.sqlite", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (cli (NULL, NULL, NULL, "init", "--org-unit", "00001", NULL), ==, 0);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cli (ACTIVITY, &out, NULL, "add", "activity", NULL), ==, 0);
  g_assert_cmpint (cli (NULL, NULL, NULL, "--db", path, "get", g_strstrip (out), NULL), ==, 0);
}

/* ---- records ----------------------------------------------------------- */

static void
test_add_json_file (Fixture *f, gconstpointer data)
{
  g_autofree char *file = write_file (f, "record.json", ACTIVITY);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonObject) record = NULL;
  g_autoptr (JsonObject) expected = pcmbn_test_json (ACTIVITY);
  JsonObject *data_obj;

  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "add", "activity", "--json", file, NULL),
                   ==, 0);
  g_assert_true (g_str_has_suffix (out, "\n"));
  g_strstrip (out);
  g_assert_true (pcmbn_uuid_is_valid (out));
  g_assert_cmpstr (err, ==, "");

  record = get_record (f, out);
  g_assert_cmpstr (json_object_get_string_member (record, "uuid"), ==, out);
  g_assert_cmpstr (json_object_get_string_member (record, "kind"), ==, "activity");
  g_assert_cmpstr (json_object_get_string_member (record, "org_unit"), ==, "00001");
  g_assert_cmpint (json_object_get_int_member (record, "base_version"), ==, 0);
  g_assert_false (json_object_get_boolean_member (record, "deleted"));
  g_assert_true (json_object_has_member (record, "modified_at"));
  g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (record, "state"), ==, "dirty");
  data_obj = json_object_get_object_member (record, "data");
  g_assert_cmpstr (json_object_get_string_member (data_obj, "title"), ==,
                   "Nói chuyện, \"PCMBN\" tại Tổ 5");
  g_assert_cmpuint (json_object_get_size (data_obj), ==, json_object_get_size (expected));
  /* the set comes back in catalogue order */
  g_assert_cmpstr (
      json_array_get_string_element (json_object_get_array_member (data_obj, "topics"), 0), ==,
      "sexual_exploitation");

  /* --json=FILE works too */
  {
    g_autofree char *opt = g_strconcat ("--json=", file, NULL);
    g_autofree char *o2 = NULL;
    g_assert_cmpint (cli (NULL, &o2, NULL, "--db", f->db, "add", "activity", opt, NULL), ==, 0);
  }
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 2);
}

static void
test_add_stdin (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL, *b = NULL, *out = NULL;

  a = add_ok (f, "activity", ACTIVITY);
  g_assert_cmpint (
      cli (ACTIVITY, &out, NULL, "--db", f->db, "add", "activity", "--json", "-", NULL), ==, 0);
  b = g_strdup (g_strstrip (out));
  g_assert_true (pcmbn_uuid_is_valid (b));
  g_assert_cmpstr (a, !=, b);
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 2);
  /* every kind */
  g_free (add_ok (f, "training",
                  "{\"date\":\"2026-05-20\",\"format\":\"workshop\",\"title\":"
                  "\"Hội thảo\",\"participants_total\":30}"));
  {
    g_autofree char *model = add_ok (f, "model",
                                     "{\"name\":\"CLB\",\"model_type\":\"intensive\","
                                     "\"established_on\":\"2020-05-01\",\"status\":"
                                     "\"active\"}");
    g_autofree char *meeting = g_strdup_printf ("{\"model\":\"%s\",\"date\":\"2026-03-10\","
                                                "\"participants_total\":12}",
                                                model);
    g_free (add_ok (f, "model-meeting", meeting));
  }
  g_free (add_ok (f, "counselling",
                  "{\"date\":\"2026-07-01\",\"channel\":\"phone\","
                  "\"client_code\":\"HV-1\",\"client_type\":\"at_risk_woman\"}"));
  g_free (add_ok (f, "material", "{\"material_type\":\"poster\",\"received_on\":\"2026-02-01\"}"));
  for (const char *const *k = (const char *const[]){ "training", "model", "model-meeting",
                                                     "counselling", "material", NULL };
       *k; k++)
    g_assert_cmpuint (list_length (f, *k, NULL, NULL), ==, 1);
}

static void
test_list (Fixture *f, gconstpointer data)
{
  static const char *const dates[] = { "2026-05-10", "2026-01-10", "2026-03-10" };
  g_autofree char *out = NULL, *err = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"date\":\"%s\",\"activity_type\":\"contest\","
                                               "\"subproject\":\"community\",\"title\":\"Hội thi "
                                               "%u\",\"participants_total\":%u}",
                                               dates[i], i, 10 * i);
      g_free (add_ok (f, "activity", json));
    }
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 3);
  g_assert_cmpuint (list_length (f, "activity", "2026-02-01", NULL), ==, 2);
  g_assert_cmpuint (list_length (f, "activity", NULL, "2026-03-10"), ==, 2);
  g_assert_cmpuint (list_length (f, "activity", "2026-03-10", "2026-03-10"), ==, 1);
  g_assert_cmpuint (list_length (f, "activity", "2026-03-11", "2026-05-09"), ==, 0);
  g_assert_cmpuint (list_length (f, "training", NULL, NULL), ==, 0);

  /* JSON: whole records by date */
  g_assert_cmpint (
      cli (NULL, &out, &err, "--db", f->db, "list", "activity", "--format", "json", NULL), ==, 0);
  {
    g_autoptr (JsonNode) node = parse_json (out);
    JsonArray *array = json_node_get_array (node);
    const char *prev = "";
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *r = json_array_get_object_element (array, i);
        const char *d = json_object_get_string_member (json_object_get_object_member (r, "data"),
                                                       "date");
        g_assert_cmpstr (prev, <=, d);
        prev = d;
        g_assert_true (json_object_has_member (r, "state"));
        g_assert_true (json_object_has_member (r, "version"));
      }
  }
  g_clear_pointer (&out, g_free);

  /* CSV: BOM, header, one row per record */
  g_assert_cmpint (
      cli (NULL, &out, &err, "--db", f->db, "list", "activity", "--format", "csv", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "\xEF\xBB\xBFuuid,date,"));
  {
    g_auto (GStrv) lines = g_strsplit (out, "\r\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 5); /* header, 3 rows, "" */
    g_assert_cmpstr (lines[4], ==, "");
    g_assert_nonnull (strstr (lines[1], ",2026-01-10,"));
    g_assert_nonnull (strstr (lines[3], ",2026-05-10,"));
  }
  /* CSV takes the period too */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "list", "activity", "--format", "csv",
                        "--from", "2026-02-01", "--to", "2026-04-30", NULL),
                   ==, 0);
  {
    g_auto (GStrv) lines = g_strsplit (out, "\r\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 3); /* header, 1 row, "" */
    g_assert_nonnull (strstr (lines[1], ",2026-03-10,"));
  }
  expect_bad (f->db, NULL, "format: ", ARGS ("--db", f->db, "list", "activity", "--format", "xml"));
  expect_bad (f->db, NULL, "from: ",
              ARGS ("--db", f->db, "list", "activity", "--format", "csv", "--from", "2026-02-30"));
}

static void
test_update (Fixture *f, gconstpointer data)
{
  g_autofree char *uuid = add_ok (f, "activity", ACTIVITY);
  g_autoptr (JsonObject) r1 = NULL, r2 = NULL, r3 = NULL;
  g_autofree char *out = NULL, *err = NULL;
  JsonObject *d;

  /* partial: the fields given are replaced, the others stay */
  g_assert_cmpint (cli ("{\"location\":\"Nhà văn hóa Tổ 5\",\"participants_total\":50}", &out, &err,
                        "--db", f->db, "update", uuid, NULL),
                   ==, 0);
  g_assert_cmpstr (out, ==, "");
  r1 = get_record (f, uuid);
  d = json_object_get_object_member (r1, "data");
  g_assert_cmpstr (json_object_get_string_member (d, "location"), ==, "Nhà văn hóa Tổ 5");
  g_assert_cmpint (json_object_get_int_member (d, "participants_total"), ==, 50);
  g_assert_cmpint (json_object_get_int_member (d, "participants_female"), ==, 22);
  g_assert_cmpstr (json_object_get_string_member (d, "title"), ==,
                   "Nói chuyện, \"PCMBN\" tại Tổ 5");

  /* null clears */
  {
    g_autofree char *file = write_file (f, "patch.json", "{\"location\":null,\"topics\":null}");
    g_assert_cmpint (cli (NULL, NULL, NULL, "--db", f->db, "update", uuid, "--json", file, NULL),
                     ==, 0);
  }
  r2 = get_record (f, uuid);
  d = json_object_get_object_member (r2, "data");
  g_assert_false (json_object_has_member (d, "location"));
  g_assert_false (json_object_has_member (d, "topics"));
  g_assert_true (json_object_has_member (d, "participants_female"));

  /* an invalid update changes nothing */
  expect_bad (f->db, "{\"participants_total\":10}",
              "participants_female: ", ARGS ("--db", f->db, "update", uuid));
  expect_bad (f->db, "{\"title\":null}", "title: ", ARGS ("--db", f->db, "update", uuid));
  expect_bad (f->db, "{\"title\":\"\"}", "title: ", ARGS ("--db", f->db, "update", uuid));
  expect_bad (f->db, "{\"colour\":\"red\"}", "colour: ", ARGS ("--db", f->db, "update", uuid));
  /* no such record */
  expect_bad (f->db, "{\"location\":\"x\"}",
              "uuid: ", ARGS ("--db", f->db, "update", "0d1e2f30-4152-4637-8899-aabbccddeeff"));
  r3 = get_record (f, uuid);
  g_assert_true (json_object_get_int_member (r3, "version") == 0);
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autofree char *uuid = add_ok (f, "activity", ACTIVITY);
  g_autofree char *keep = add_ok (f, "activity", ACTIVITY);
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "delete", uuid, NULL), ==, 0);
  expect_bad (f->db, NULL, "uuid: ", ARGS ("--db", f->db, "get", uuid));
  expect_bad (f->db, NULL, "uuid: ", ARGS ("--db", f->db, "delete", uuid));
  expect_bad (f->db, "{\"location\":\"x\"}", "uuid: ", ARGS ("--db", f->db, "update", uuid));
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 1);
  {
    g_autoptr (JsonObject) r = get_record (f, keep);
    g_assert_false (json_object_get_boolean_member (r, "deleted"));
  }
  /* a model with meetings cannot go first */
  {
    g_autofree char *model = add_ok (f, "model",
                                     "{\"name\":\"CLB\",\"model_type\":\"intensive\","
                                     "\"established_on\":\"2020-05-01\",\"status\":"
                                     "\"active\"}");
    g_autofree char *json = g_strdup_printf ("{\"model\":\"%s\",\"date\":\"2026-03-10\","
                                             "\"participants_total\":12}",
                                             model);
    g_autofree char *meeting = add_ok (f, "model-meeting", json);
    expect_bad (f->db, NULL, "uuid: ", ARGS ("--db", f->db, "delete", model));
    g_assert_cmpint (cli (NULL, NULL, NULL, "--db", f->db, "delete", meeting, NULL), ==, 0);
    g_assert_cmpint (cli (NULL, NULL, NULL, "--db", f->db, "delete", model, NULL), ==, 0);
  }
}

static void
test_export_import (Fixture *f, gconstpointer data)
{
  g_autofree char *csv_path = g_build_filename (f->dir, "out.csv", NULL);
  g_autofree char *json_path = g_build_filename (f->dir, "out.json", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL, *listed = NULL;
  g_autofree char *copy = g_build_filename (f->dir, "copy.sqlite", NULL);

  for (int i = 0; i < 3; i++)
    g_free (add_ok (f, "activity", ACTIVITY));
  g_free (add_ok (f, "activity",
                  "{\"date\":\"2026-04-01\",\"activity_type\":\"radio_tv\","
                  "\"subproject\":\"mass_media\",\"title\":\"Phóng sự\\nhai dòng\","
                  "\"outlet\":\"Đài PT-TH Hà Nội\"}"));

  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "export", "activity", "--format", "csv",
                        "-o", csv_path, NULL),
                   ==, 0);
  g_assert_cmpstr (out, ==, "");
  csv = pcmbn_test_read_text (csv_path);
  g_assert_true (g_str_has_prefix (csv, "\xEF\xBB\xBFuuid,"));
  /* the same as `list --format csv` */
  g_assert_cmpint (
      cli (NULL, &listed, NULL, "--db", f->db, "list", "activity", "--format", "csv", NULL), ==, 0);
  g_assert_cmpstr (listed, ==, csv);
  /* without -o, to stdout */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (
      cli (NULL, &out, NULL, "--db", f->db, "export", "activity", "--format", "csv", NULL), ==, 0);
  g_assert_cmpstr (out, ==, csv);

  /* JSON */
  g_assert_cmpint (cli (NULL, NULL, NULL, "--db", f->db, "export", "activity", "--format", "json",
                        "-o", json_path, NULL),
                   ==, 0);
  {
    g_autofree char *text = pcmbn_test_read_text (json_path);
    g_autoptr (JsonNode) node = parse_json (text);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 4);
  }
  expect_bad (f->db, NULL, "format: ", ARGS ("--db", f->db, "export", "activity"));
  expect_bad (f->db, NULL,
              "format: ", ARGS ("--db", f->db, "export", "activity", "--format", "xlsx"));

  /* import into another database, then again: no duplicates */
  g_assert_cmpint (cli (NULL, NULL, NULL, "init", "--org-unit", "00001", "--db", copy, NULL), ==,
                   0);
  for (int round = 0; round < 2; round++)
    {
      g_autofree char *e = NULL, *o = NULL, *exported = NULL;
      g_assert_cmpint (cli (NULL, &o, &e, "--db", copy, "import", "activity", csv_path, NULL), ==,
                       0);
      g_assert_cmpstr (o, ==, "");
      g_assert_nonnull (strstr (e, "4"));
      g_assert_cmpint (
          cli (NULL, &exported, NULL, "--db", copy, "export", "activity", "--format", "csv", NULL),
          ==, 0);
      g_assert_cmpstr (exported, ==, csv);
    }

  /* a bad file: exit 2, "row N, column: …", nothing stored */
  {
    g_autofree char *bad = write_file (
        f, "bad.csv",
        "date,activity_type,subproject,title,participants_total,participants_female\r\n"
        "2026-03-10,community_talk,community,Buổi 1,40,20\r\n"
        "2026-03-11,community_talk,community,Buổi 2,40,41\r\n");
    expect_bad (copy, NULL,
                "row 3, participants_female: ", ARGS ("--db", copy, "import", "activity", bad));
    expect_bad (copy, NULL, "kind: ", ARGS ("--db", copy, "import", "activities", bad));
    expect_bad (copy, NULL, NULL, ARGS ("--db", copy, "import", "activity", "/no/such/file.csv"));
  }
}

static void
test_report_json (Fixture *f, gconstpointer data)
{
  static const char *const keys[] = { "i1_materials_deployed", "i2a_intensive_model_key_areas",
                                      "i2b_integrated_model", "i3_press_months",
                                      "i4_reach_14_60_key_areas" };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *root, *period, *indicators;

  g_free (add_ok (f, "activity", ACTIVITY));
  g_assert_cmpint (
      cli (NULL, &out, &err, "--db", f->db, "report", "--year", "2026", "--format", "json", NULL),
      ==, 0);
  node = parse_json (out);
  root = json_node_get_object (node);
  period = json_object_get_object_member (root, "period");
  g_assert_cmpstr (json_object_get_string_member (period, "from"), ==, "2026-01-01");
  g_assert_cmpstr (json_object_get_string_member (period, "to"), ==, "2026-12-31");
  g_assert_cmpstr (json_object_get_string_member (root, "org_unit"), ==, "00001");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "tables")));
  indicators = json_object_get_object_member (root, "indicators");
  g_assert_cmpuint (json_object_get_size (indicators), ==, G_N_ELEMENTS (keys));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      JsonObject *ind = json_object_get_object_member (indicators, keys[i]);
      g_assert_nonnull (ind);
      for (const char *const *m =
               (const char *const[]){ "value", "numerator", "denominator", "target", NULL };
           *m; m++)
        {
          JsonNode *v = json_object_get_member (ind, *m);
          g_assert_nonnull (v);
          g_assert_true (JSON_NODE_HOLDS_NULL (v) || json_node_get_value_type (v) == G_TYPE_INT64
                         || json_node_get_value_type (v) == G_TYPE_DOUBLE);
        }
      g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (ind, "numerator")));
      g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (ind, "denominator")));
    }

  /* --from/--to, and -o */
  {
    g_autofree char *path = g_build_filename (f->dir, "report.json", NULL);
    g_autofree char *text = NULL;
    g_autoptr (JsonNode) n2 = NULL;
    g_assert_cmpint (cli (NULL, NULL, NULL, "--db", f->db, "report", "--from", "2026-03-01", "--to",
                          "2026-03-31", "--format", "json", "-o", path, NULL),
                     ==, 0);
    text = pcmbn_test_read_text (path);
    n2 = parse_json (text);
    period = json_object_get_object_member (json_node_get_object (n2), "period");
    g_assert_cmpstr (json_object_get_string_member (period, "from"), ==, "2026-03-01");
    g_assert_cmpstr (json_object_get_string_member (period, "to"), ==, "2026-03-31");
  }
  expect_bad (f->db, NULL, NULL,
              ARGS ("--db", f->db, "report", "--year", "twenty", "--format", "json"));
  expect_bad (f->db, NULL,
              "format: ", ARGS ("--db", f->db, "report", "--year", "2026", "--format", "doc"));
  expect_bad (f->db, NULL, NULL,
              ARGS ("--db", f->db, "report", "--from", "2026-02-30", "--to", "2026-03-31",
                    "--format", "json"));
}

static void
test_demo (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  guint total = 0;

  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "demo", "--records", "60", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");
  for (const char *const *k =
           (const char *const[]){ "activity", "training", "model", "model-meeting", "counselling",
                                  "material", NULL };
       *k; k++)
    {
      guint n = list_length (f, *k, NULL, NULL);
      g_assert_cmpuint (n, >, 0);
      total += n;
    }
  g_assert_cmpuint (total, ==, 60);
  expect_bad (f->db, NULL, "records: ", ARGS ("--db", f->db, "demo", "--records", "0"));
  expect_bad (f->db, NULL, "records: ", ARGS ("--db", f->db, "demo", "--records", "many"));

  /* on a database that does not exist yet, demo makes the sample commune */
  {
    g_autofree char *fresh = g_build_filename (f->dir, "demo.sqlite", NULL);
    g_autofree char *o = NULL;
    g_assert_cmpint (cli (NULL, NULL, NULL, "--db", fresh, "demo", "--records", "20", NULL), ==, 0);
    g_assert_cmpint (
        cli (NULL, &o, NULL, "--db", fresh, "report", "--year", "2026", "--format", "json", NULL),
        ==, 0);
    g_assert_nonnull (strstr (o, "\"00001\""));
  }
}

static void
test_db_before_and_after_verb (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  g_autofree char *eq = g_strconcat ("--db=", f->db, NULL);

  g_free (add_ok (f, "activity", ACTIVITY));
  g_assert_cmpint (cli (NULL, &a, NULL, "--db", f->db, "list", "activity", NULL), ==, 0);
  g_assert_cmpint (cli (NULL, &b, NULL, "list", "activity", "--db", f->db, NULL), ==, 0);
  g_assert_cmpint (cli (NULL, &c, NULL, "list", eq, "activity", NULL), ==, 0);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, c);
  g_assert_nonnull (strstr (a, "Nói chuyện"));
  /* after the verb with add too */
  {
    g_autofree char *o = NULL;
    g_assert_cmpint (cli (ACTIVITY, &o, NULL, "add", "activity", "--db", f->db, NULL), ==, 0);
    g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 2);
  }
  expect_bad (f->db, NULL, "db: ", ARGS ("list", "activity", "--db"));
  expect_bad (f->db, NULL, "db: ", ARGS ("list", "activity", "--db="));
}

/* ---- bad input ---------------------------------------------------------- */

static void
test_bad_json (Fixture *f, gconstpointer data)
{
  g_free (add_ok (f, "activity", ACTIVITY));
  expect_bad (f->db, "{\"date\": ", "json: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db, "not json at all", "json: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db, "", "json: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db, "[" ACTIVITY "]", "json: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db, "\"2026-03-10\"", "json: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db, "null", "json: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db, "{\"title\":\"Ph\xfa\x63\"}",
              "json: ", ARGS ("--db", f->db, "add", "activity"));
  {
    g_autofree char *file = write_file (f, "array.json", "[1,2,3]");
    expect_bad (f->db, NULL, "json: ", ARGS ("--db", f->db, "add", "activity", "--json", file));
  }
  /* a file that does not exist */
  expect_bad (f->db, NULL, NULL,
              ARGS ("--db", f->db, "add", "activity", "--json", "/no/such/record.json"));
}

static void
test_bad_fields (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;

  expect_bad (f->db,
              "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\",\"subproject\":"
              "\"community\",\"title\":\"T\",\"participants_total\":4,\"colour\":\"red\"}",
              "colour: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db,
              "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\",\"subproject\":"
              "\"community\",\"title\":\"T\",\"participants_total\":4,"
              "\"participants_female\":5}",
              "participants_female: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db,
              "{\"date\":\"2026-03-10\",\"channel\":\"office\",\"client_code\":"
              "\"Nguyễn Thị A\",\"client_type\":\"at_risk_woman\"}",
              "client_code: ", ARGS ("--db", f->db, "add", "counselling"));
  expect_bad (f->db,
              "{\"date\":\"2030-03-10\",\"activity_type\":\"community_talk\",\"subproject\":"
              "\"community\",\"title\":\"T\",\"participants_total\":4}",
              "date: ", ARGS ("--db", f->db, "add", "activity"));
  expect_bad (f->db,
              "{\"material_type\":\"leaflet\",\"received_on\":\"2026-01-05\","
              "\"quantity_deployed\":3}",
              "quantity_deployed: ", ARGS ("--db", f->db, "add", "material"));
  expect_bad (f->db,
              "{\"model\":\"0d1e2f30-4152-4637-8899-aabbccddeeff\",\"date\":\"2026-03-10\","
              "\"participants_total\":3}",
              "model: ", ARGS ("--db", f->db, "add", "model-meeting"));
  /* several problems: one line each, every line starting with its field */
  {
    g_autofree char *out = NULL;
    g_auto (GStrv) lines = NULL;
    g_assert_cmpint (cli ("{\"date\":\"yesterday\",\"title\":\"\",\"participants_total\":-3,"
                          "\"colour\":1}",
                          &out, &err, "--db", f->db, "add", "activity", NULL),
                     ==, 2);
    lines = g_strsplit (g_strstrip (err), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), >=, 6);
    for (guint i = 0; lines[i]; i++)
      {
        const char *colon = strstr (lines[i], ": ");
        g_assert_nonnull (colon);
        for (const char *p = lines[i]; p < colon; p++)
          g_assert_true (g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_');
      }
  }
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 0);
}

static void
test_bad_usage (Fixture *f, gconstpointer data)
{
  g_autofree char *uuid = add_ok (f, "activity", ACTIVITY);

  /* unknown kind */
  expect_bad (f->db, ACTIVITY, "kind: ", ARGS ("--db", f->db, "add", "activities"));
  expect_bad (f->db, NULL, "kind: ", ARGS ("--db", f->db, "list", "Activity"));
  expect_bad (f->db, NULL, "kind: ", ARGS ("--db", f->db, "export", "meeting", "--format", "csv"));
  /* unknown verb, no verb */
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "frobnicate"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db));
  /* unknown option */
  expect_bad (f->db, NULL, "colour: ", ARGS ("--db", f->db, "list", "activity", "--colour", "red"));
  expect_bad (f->db, ACTIVITY, "force: ", ARGS ("--db", f->db, "add", "activity", "--force"));
  expect_bad (f->db, NULL, "o: ", ARGS ("--db", f->db, "list", "activity", "-o", "x.csv"));
  /* an option twice */
  expect_bad (
      f->db, NULL, "from: ",
      ARGS ("--db", f->db, "list", "activity", "--from", "2026-01-01", "--from", "2026-02-01"));
  /* missing arguments */
  expect_bad (f->db, ACTIVITY, NULL, ARGS ("--db", f->db, "add"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "get"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "list"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "import", "activity"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "delete"));
  expect_bad (f->db, NULL, "from: ", ARGS ("--db", f->db, "list", "activity", "--from"));
  expect_bad (f->db, NULL, "json: ", ARGS ("--db", f->db, "add", "activity", "--json"));
  /* too many */
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "get", uuid, uuid));
  /* bad uuid */
  expect_bad (f->db, NULL, "uuid: ", ARGS ("--db", f->db, "get", "not-a-uuid"));
  {
    g_autofree char *upper = g_ascii_strup (uuid, -1);
    expect_bad (f->db, NULL, "uuid: ", ARGS ("--db", f->db, "get", upper));
  }
  expect_bad (f->db, "{}", "uuid: ", ARGS ("--db", f->db, "update", "1234"));
  expect_bad (f->db, NULL, "uuid: ", ARGS ("--db", f->db, "delete", "1234"));
  expect_bad (f->db, NULL,
              "uuid: ", ARGS ("--db", f->db, "get", "0d1e2f30-4152-4637-8899-aabbccddeeff"));
  /* bad dates */
  expect_bad (f->db, NULL,
              "from: ", ARGS ("--db", f->db, "list", "activity", "--from", "2026-13-01"));
  expect_bad (f->db, NULL,
              "from: ", ARGS ("--db", f->db, "list", "activity", "--from", "1/3/2026"));
  expect_bad (f->db, NULL, "to: ", ARGS ("--db", f->db, "list", "activity", "--to", "yesterday"));
  g_assert_cmpuint (list_length (f, "activity", NULL, NULL), ==, 1);
}

static void
test_before_init (Fixture *f, gconstpointer data)
{
  g_autofree char *json = write_file (f, "a.json", ACTIVITY);
  g_autofree char *csv = write_file (f, "a.csv",
                                     "date,activity_type,subproject,title,"
                                     "participants_total\r\n2026-03-10,contest,"
                                     "community,T,3\r\n");

  /* the file does not exist: refused, and not created */
  expect_bad (f->db, ACTIVITY, NULL, ARGS ("--db", f->db, "add", "activity"));
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "list", "activity"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "import", "activity", csv));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "export", "activity", "--format", "csv"));
  expect_bad (f->db, NULL, NULL,
              ARGS ("--db", f->db, "report", "--year", "2026", "--format", "json"));
  expect_bad (f->db, NULL, NULL,
              ARGS ("--db", f->db, "get", "0d1e2f30-4152-4637-8899-aabbccddeeff"));
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));

  /* an existing database without a commune */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PcmbnStore) store = pcmbn_store_open (f->db, &error);
    g_assert_no_error (error);
  }
  g_assert_true (g_file_test (f->db, G_FILE_TEST_EXISTS));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "add", "activity", "--json", json));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "list", "activity"));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "import", "activity", csv));
  expect_bad (f->db, NULL, NULL, ARGS ("--db", f->db, "export", "activity", "--format", "csv"));
  g_assert_true (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

/* The explanation follows the user's language; the key stays first. */
static void
test_messages_vietnamese (Fixture *f, gconstpointer data)
{
  static const char *const bad = "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\","
                                 "\"subproject\":\"community\",\"title\":\"T\","
                                 "\"participants_total\":4,\"participants_female\":5}";
  g_autofree char *en = NULL, *vi = NULL, *csv_vi = NULL;
  g_autofree char *csv = write_file (f, "bad.csv",
                                     "date,activity_type,subproject,title,"
                                     "participants_total,participants_female\r\n"
                                     "2026-03-10,contest,community,T,4,5\r\n");
  gboolean non_ascii = FALSE;
  const char *const vi_env[] = { "LANGUAGE", "vi", NULL };

  g_assert_cmpint (cli (bad, NULL, &en, "--db", f->db, "add", "activity", NULL), ==, 2);
  g_assert_cmpint (
      pcmbn_test_run_cli_env (ARGS ("--db", f->db, "add", "activity"), vi_env, bad, NULL, &vi), ==,
      2);
  g_assert_cmpint (pcmbn_test_run_cli_env (ARGS ("--db", f->db, "import", "activity", csv), vi_env,
                                           NULL, NULL, &csv_vi),
                   ==, 2);
  g_assert_true (g_str_has_prefix (en, "participants_female: "));
  g_assert_true (g_str_has_prefix (vi, "participants_female: "));
  if (g_str_equal (en, vi))
    {
      g_test_skip ("the Vietnamese catalogue (po/vi.po) is not built or not translated yet");
      return;
    }
  for (const char *p = vi; *p; p++)
    non_ascii = non_ascii || (guchar)*p >= 0x80;
  g_assert_true (non_ascii);
  g_assert_true (g_utf8_validate (vi, -1, NULL));
  /* a CSV error names the row in Vietnamese, then the column key */
  g_assert_nonnull (strstr (csv_vi, " 2, participants_female: "));
  g_assert_false (g_str_has_prefix (csv_vi, "row "));
}

/* ---- operational failures ----------------------------------------------- */

static void
test_operational_failure (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *digest = NULL, *after = NULL;
  g_autofree char *target = g_build_filename (f->dir, "no-such-dir", "out.csv", NULL);

  g_free (add_ok (f, "activity", ACTIVITY));
  digest = pcmbn_test_db_digest (f->db);
  g_assert_cmpint (cli (NULL, &out, &err, "--db", f->db, "export", "activity", "--format", "csv",
                        "-o", target, NULL),
                   ==, 1);
  g_assert_cmpuint (strlen (err), >, 0);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (NULL, NULL, &err, "--db", f->db, "report", "--year", "2026", "--format",
                        "json", "-o", target, NULL),
                   ==, 1);
  after = pcmbn_test_db_digest (f->db);
  g_assert_cmpstr (after, ==, digest);

  /* a database path that is a folder, or a file that is not a database */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (NULL, NULL, &err, "--db", f->dir, "list", "activity", NULL), ==, 1);
  g_assert_cmpuint (strlen (err), >, 0);
  {
    g_autofree char *junk = write_file (f, "junk.sqlite", "this is not a database, only text\n");
    g_autofree char *before = pcmbn_test_read_text (junk);
    g_autofree char *now = NULL;
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cli (NULL, NULL, &err, "--db", junk, "list", "activity", NULL), ==, 1);
    g_assert_cmpuint (strlen (err), >, 0);
    now = pcmbn_test_read_text (junk);
    g_assert_cmpstr (now, ==, before);
  }
}

/* What `pcmbn ARGS…` writes to stderr when stderr is a terminal. */
static char *
stderr_on_terminal (const char *first, ...)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  int slave;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  GString *seen = g_string_new (NULL);
  char buf[4096];
  gssize n;
  va_list ap;

  g_ptr_array_add (argv, (char *)g_getenv ("PCMBN_CLI"));
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *)a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  slave = g_open (ptsname (master), O_RDWR | O_NOCTTY, 0);
  g_assert_cmpint (slave, >=, 0);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_take_stderr_fd (launcher, slave);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_clear_object (&launcher); /* closes our copy of the slave */
  while ((n = read (master, buf, sizeof buf)) > 0)
    g_string_append_len (seen, buf, n);
  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  close (master);
  return g_string_free (seen, FALSE);
}

/* Long work shows its progress on a terminal's stderr (records done of the
 * total, the rate), and nothing on a pipe. */
static void
test_progress_on_terminal (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;
  g_autofree char *csv = g_build_filename (f->dir, "progress.csv", NULL);
  g_autofree char *seen = stderr_on_terminal ("--db", f->db, "demo", "--records", "3000", NULL);
  gint64 n_activities;

  g_assert_nonnull (strstr (seen, "\r"));
  g_assert_nonnull (strstr (seen, "3000 of 3000"));
  g_assert_nonnull (strstr (seen, "a second"));

  /* Export and import: each of their phases. */
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (f->db, NULL);
    n_activities = pcmbn_store_count (store, "activity");
  }
  g_assert_cmpint (n_activities, >, 0);
  g_clear_pointer (&seen, g_free);
  seen = stderr_on_terminal ("--db", f->db, "export", "activity", "--format", "csv", "-o", csv,
                             NULL);
  {
    g_autofree char *total = g_strdup_printf (
        "Exporting: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT, n_activities, n_activities);
    g_assert_nonnull (strstr (seen, total));
  }
  g_clear_pointer (&seen, g_free);
  seen = stderr_on_terminal ("--db", f->db, "import", "activity", csv, NULL);
  {
    g_autofree char *checked = g_strdup_printf (
        "Checking rows: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT, n_activities, n_activities);
    g_autofree char *saved = g_strdup_printf ("Saving: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT,
                                              n_activities, n_activities);
    g_assert_nonnull (strstr (seen, checked));
    g_assert_nonnull (strstr (seen, saved));
  }

  /* A pipe: the same work, no progress. */
  g_assert_cmpint (cli (NULL, NULL, &err, "--db", f->db, "demo", "--records", "3000", NULL), ==, 0);
  g_assert_null (strstr (err, "\r"));
  g_assert_null (strstr (err, "of 3000"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (NULL, NULL, &err, "--db", f->db, "import", "activity", csv, NULL), ==, 0);
  g_assert_null (strstr (err, "\r"));
  g_assert_null (strstr (err, "Checking rows"));
}

int
main (int argc, char **argv)
{
  g_autofree char *home = NULL;

  g_setenv ("PCMBN_TODAY", "2026-07-30", TRUE);
  /* English messages, whatever the language of the person running this */
  g_unsetenv ("LANGUAGE");
  g_test_init (&argc, &argv, NULL);
  /* The default database must never be the real one of whoever runs this */
  home = pcmbn_test_tmpdir ();
  g_setenv ("XDG_DATA_HOME", home, TRUE);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_FRESH(path, func) \
  g_test_add (path, Fixture, "fresh", fixture_setup, func, fixture_teardown)

  ADD_FRESH ("/cli/init/good", test_init_good);
  ADD_FRESH ("/cli/init/refused", test_init_refused);
  ADD_FRESH ("/cli/init/units-file", test_init_units_file);
  ADD_FRESH ("/cli/init/no-stray-files", test_init_no_stray_files);
  ADD_FRESH ("/cli/default-database", test_default_database);
  ADD ("/cli/add/json-file", test_add_json_file);
  ADD ("/cli/add/stdin-and-every-kind", test_add_stdin);
  ADD ("/cli/list", test_list);
  ADD ("/cli/update", test_update);
  ADD ("/cli/delete", test_delete);
  ADD ("/cli/export-import", test_export_import);
  ADD ("/cli/report/json", test_report_json);
  ADD ("/cli/demo", test_demo);
  ADD ("/cli/db-before-and-after-verb", test_db_before_and_after_verb);
  ADD ("/cli/bad-input/json", test_bad_json);
  ADD ("/cli/bad-input/fields", test_bad_fields);
  ADD ("/cli/bad-input/usage", test_bad_usage);
  ADD_FRESH ("/cli/bad-input/before-init", test_before_init);
  ADD ("/cli/messages/vietnamese", test_messages_vietnamese);
  ADD ("/cli/operational-failure", test_operational_failure);
  ADD ("/cli/progress-on-terminal", test_progress_on_terminal);

  return g_test_run ();
}
