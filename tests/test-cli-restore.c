/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Deleted records come back (interfaces.md): `pcmbn deleted [KIND]` lists
 * the last 30 days' deletions, `pcmbn restore UUID` brings one back and it
 * syncs like an edit, through a real `pcmbn-district` on loopback. Also
 * `pcmbn get UUID | pcmbn update UUID --json -`, which used to be refused. */
#include "config.h"

#include <string.h>

#include "sync-helpers.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

#define ACTIVITY(title)                                                             \
  "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\",\"subproject\":"   \
  "\"community\",\"title\":\"" title "\",\"participants_total\":40,\"participants_" \
  "female\":22}"

/* Exit 2, nothing on stdout, stderr starting with @prefix, the database
 * unchanged. */
static void
expect_bad (const char *db, const char *input, const char *prefix, const char *const *argv)
{
  g_autofree char *before = pcmbn_test_db_digest (db);
  g_autofree char *after = NULL, *out = NULL, *err = NULL;
  int status = pcmbn_test_run_cli (argv, input, &out, &err);

  if (status != 2 || !g_str_has_prefix (err, prefix))
    g_test_message ("exit %d, stderr: %s", status, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, prefix));
  after = pcmbn_test_db_digest (db);
  g_assert_cmpstr (after, ==, before);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static JsonArray *
deleted (const char *db, const char *kind)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonNode) node = NULL;

  g_assert_cmpint (sync_cli (db, &out, &err, "deleted", kind, NULL), ==, 0);
  node = sync_parse (out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_ref (json_node_get_array (node));
}

static const char *
uuid_at (JsonArray *array, guint i)
{
  return json_object_get_string_member (json_array_get_object_element (array, i), "uuid");
}

static void
test_deleted_and_restore (void)
{
  g_autofree char *db = sync_new_logbook ("00001");
  g_autofree char *a = sync_add (db, "activity", ACTIVITY ("Tổ 5"));
  g_autofree char *b = sync_add (db, "activity", ACTIVITY ("Tổ 6"));
  g_autofree char *c = sync_add (db, "material",
                                 "{\"material_type\":\"leaflet\",\"title\":\"Tờ rơi\",\"source\":"
                                 "\"district\",\"received_on\":\"2025-12-10\","
                                 "\"quantity_received\":100}");
  g_autofree char *old = sync_add (db, "activity", ACTIVITY ("Tổ 7"));
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonArray) none = deleted (db, NULL);
  g_autoptr (JsonArray) all = NULL;
  g_autoptr (JsonArray) activities = NULL;
  g_autoptr (JsonArray) after = NULL;
  JsonObject *first;

  g_assert_cmpuint (json_array_get_length (none), ==, 0);
  g_assert_cmpint (sync_cli (db, NULL, NULL, "delete", old, NULL), ==, 0);
  /* Deleted 31 days ago: past the 30 days the verb offers. */
  {
    g_autofree char *sql = g_strdup_printf (
        "UPDATE records SET modified_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', '-31 days')"
        " WHERE uuid = '%s'",
        old);
    sync_exec (db, sql);
  }
  g_assert_cmpint (sync_cli (db, NULL, NULL, "delete", a, NULL), ==, 0);
  g_usleep (G_USEC_PER_SEC * 11 / 10); /* modified_at counts seconds */
  g_assert_cmpint (sync_cli (db, NULL, NULL, "delete", c, NULL), ==, 0);

  all = deleted (db, NULL);
  g_assert_cmpuint (json_array_get_length (all), ==, 2);
  /* Newest deletion first, as the whole record `pcmbn get` prints. */
  g_assert_cmpstr (uuid_at (all, 0), ==, c);
  g_assert_cmpstr (uuid_at (all, 1), ==, a);
  first = json_array_get_object_element (all, 1);
  g_assert_true (json_object_get_boolean_member (first, "deleted"));
  g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "activity");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (first, "data"), "title"), ==,
      "Tổ 5");
  activities = deleted (db, "activity");
  g_assert_cmpuint (json_array_get_length (activities), ==, 1);
  g_assert_cmpstr (uuid_at (activities, 0), ==, a);

  /* Bad input: exit 2, the field named, nothing changed. */
  expect_bad (db, NULL, "kind: ", ARGS ("--db", db, "deleted", "meeting"));
  expect_bad (db, NULL, "usage: ", ARGS ("--db", db, "deleted", "activity", "material"));
  expect_bad (db, NULL, "uuid: ", ARGS ("--db", db, "restore", b));
  expect_bad (db, NULL, "uuid: ", ARGS ("--db", db, "restore", "not-a-uuid"));
  expect_bad (db, NULL,
              "uuid: ", ARGS ("--db", db, "restore", "0d1e2f30-4152-4637-8899-aabbccddeeff"));
  expect_bad (db, NULL, "usage: ", ARGS ("--db", db, "restore"));

  g_assert_cmpint (sync_cli (db, &out, &err, "restore", a, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, a));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (sync_cli (db, &out, NULL, "get", a, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"state\" : \"dirty\""));
  after = deleted (db, NULL);
  g_assert_cmpuint (json_array_get_length (after), ==, 1);
  g_assert_cmpstr (uuid_at (after, 0), ==, c);
  /* Restored once; a second time is bad input. */
  expect_bad (db, NULL, "uuid: ", ARGS ("--db", db, "restore", a));
  /* The list reads a partial index of tombstones (INDEXED BY: the query
   * fails without it), not every live record. */
  g_assert_cmpint (sync_query_int (db, "SELECT count(*) FROM sqlite_master WHERE name ="
                                       " 'records_deleted' AND sql LIKE '%WHERE deleted = 1%'"),
                   ==, 1);
}

/* A meeting brought back without its model would belong to nothing. */
static void
test_restore_meeting_needs_model (void)
{
  g_autofree char *db = sync_new_logbook ("00001");
  g_autofree char *model = sync_add (db, "model",
                                     "{\"name\":\"CLB\",\"model_type\":\"intensive\","
                                     "\"established_on\":\"2020-05-01\",\"status\":\"active\"}");
  g_autofree char *json = g_strdup_printf (
      "{\"model\":\"%s\",\"date\":\"2026-03-10\",\"participants_total\":12}", model);
  g_autofree char *meeting = sync_add (db, "model-meeting", json);

  g_assert_cmpint (sync_cli (db, NULL, NULL, "delete", meeting, NULL), ==, 0);
  g_assert_cmpint (sync_cli (db, NULL, NULL, "delete", model, NULL), ==, 0);
  expect_bad (db, NULL, "uuid: ", ARGS ("--db", db, "restore", meeting));
  g_assert_cmpint (sync_cli (db, NULL, NULL, "restore", model, NULL), ==, 0);
  g_assert_cmpint (sync_cli (db, NULL, NULL, "restore", meeting, NULL), ==, 0);
}

/* Deleted, synced, restored on the device: the server and a second device
 * see it again, with a new version, as after an edit. */
static void
test_restore_syncs_like_an_edit (void)
{
  SyncServer *server = sync_server_new (FALSE);
  g_autofree char *one = NULL, *two = NULL, *uuid = NULL, *out = NULL;
  gint64 version_deleted, version_restored;

  sync_server_start (server);
  one = sync_enrolled_logbook (server, "00001");
  two = sync_enrolled_logbook (server, "00001");
  uuid = sync_add (one, "activity", ACTIVITY ("Tổ 5"));
  g_assert_cmpint (sync_cli (one, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_cmpint (sync_cli (one, NULL, NULL, "delete", uuid, NULL), ==, 0);
  g_assert_cmpint (sync_cli (one, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_cmpint (sync_cli (two, NULL, NULL, "sync", NULL), ==, 0);
  g_assert_cmpint (sync_cli (two, NULL, NULL, "get", uuid, NULL), ==, 2);
  {
    g_autofree char *sql = g_strdup_printf ("SELECT version FROM records WHERE uuid = '%s'", uuid);
    version_deleted = sync_query_int (one, sql);
    /* Still offered after the tombstone reached the server. */
    g_autoptr (JsonArray) list = deleted (one, "activity");
    g_assert_cmpuint (json_array_get_length (list), ==, 1);

    g_assert_cmpint (sync_cli (one, NULL, NULL, "restore", uuid, NULL), ==, 0);
    g_assert_cmpint (
        sync_query_int (one, "SELECT count(*) FROM records WHERE dirty = 1 AND deleted = 0"), ==,
        1);
    g_assert_cmpint (sync_cli (one, &out, NULL, "sync", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "conflicts 0"));
    g_assert_cmpint (sync_query_int (one, "SELECT count(*) FROM records WHERE dirty = 1"), ==, 0);
    version_restored = sync_query_int (one, sql);
    g_assert_cmpint (version_restored, >, version_deleted);
  }
  g_assert_cmpint (sync_cli (two, NULL, NULL, "sync", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (sync_cli (two, &out, NULL, "get", uuid, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Tổ 5"));

  /* Issue 11: the commune's report said "last sync: never" right after a
   * sync; it reads the logbook's own last sync. */
  {
    g_autofree char *report = NULL;
    g_autofree char *last = sync_query_text (one, "SELECT value FROM meta WHERE key = 'sync_last'");
    g_autoptr (JsonNode) node = NULL;
    JsonArray *rows;

    g_assert_nonnull (last);
    g_assert_cmpint (
        sync_cli (one, &report, NULL, "report", "--year", "2026", "--format", "json", NULL), ==, 0);
    node = sync_parse (report);
    rows = json_object_get_array_member (
        json_object_get_object_member (json_node_get_object (node), "tables"), "per_commune");
    g_assert_cmpuint (json_array_get_length (rows), ==, 1);
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (rows, 0), "last_sync"), ==,
        last);
  }
  g_assert_cmpint (sync_server_stop (server), ==, 0);
  sync_server_free (server);
}

/* `pcmbn get UUID | pcmbn update UUID --json -` was refused with "uuid: is
 * not a field": the whole-record shape stands for its data. */
static void
test_update_from_get (void)
{
  g_autofree char *db = sync_new_logbook ("00001");
  g_autofree char *a = sync_add (db, "activity", ACTIVITY ("Tổ 5"));
  g_autofree char *b = sync_add (db, "activity", ACTIVITY ("Tổ 6"));
  g_autofree char *record = NULL, *edited = NULL, *other = NULL, *out = NULL, *err = NULL;
  const char *argv[] = { "--db", db, "update", a, "--json", "-", NULL };

  g_assert_cmpint (sync_cli (db, &record, NULL, "get", a, NULL), ==, 0);
  /* Unchanged, piped straight back. */
  g_assert_cmpint (pcmbn_test_run_cli (argv, record, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  /* Edited in between, as a person does with jq or an editor. */
  {
    g_auto (GStrv) parts = g_strsplit (record, "Tổ 5", 2);
    g_assert_nonnull (parts[1]);
    edited = g_strjoinv ("Nhà văn hóa Tổ 5", parts);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (pcmbn_test_run_cli (argv, edited, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (sync_cli (db, &out, NULL, "get", a, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Nhà văn hóa Tổ 5"));

  /* Another record's JSON is not applied to this one. */
  g_assert_cmpint (sync_cli (db, &other, NULL, "get", b, NULL), ==, 0);
  expect_bad (db, other, "uuid: ", ARGS ("--db", db, "update", a, "--json", "-"));
  /* A whole record whose data is not an object. */
  {
    g_autofree char *bad = g_strdup_printf ("{\"uuid\":\"%s\",\"data\":[1]}", a);
    expect_bad (db, bad, "data: ", ARGS ("--db", db, "update", a, "--json", "-"));
  }
  /* A whole record of another kind. */
  {
    g_autofree char *bad = g_strdup_printf ("{\"uuid\":\"%s\",\"kind\":\"training\",\"data\":{}}",
                                            a);
    expect_bad (db, bad, "kind: ", ARGS ("--db", db, "update", a, "--json", "-"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-restore/deleted-and-restore", test_deleted_and_restore);
  g_test_add_func ("/cli-restore/meeting-needs-model", test_restore_meeting_needs_model);
  g_test_add_func ("/cli-restore/syncs-like-an-edit", test_restore_syncs_like_an_edit);
  g_test_add_func ("/cli-restore/update-from-get", test_update_from_get);
  return g_test_run ();
}
