/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-sync-engine.h"
#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* Real clients (`pcmbn` subprocesses, and the core in-process) against a
 * real `pcmbn-district serve` on loopback. */

#define MATERIAL                                                                    \
  "{\"material_type\":\"leaflet\",\"title\":\"Tờ rơi\",\"source\":\"district\"," \
  "\"received_on\":\"2025-12-10\",\"quantity_received\":%d}"
#define COUNSELLING                                                              \
  "{\"date\":\"2025-12-03\",\"channel\":\"office\",\"client_code\":\"KH-3862\"," \
  "\"client_type\":\"planning_labour_migration\",\"client_sex\":\"male\","       \
  "\"client_age_band\":\"over_60\",\"topics\":[\"labour_migration\"],"           \
  "\"referrals\":[\"none\"],\"counsellor\":\"Trần Thị Lan\","                \
  "\"case_notes\":\"BÍ MẬT riêng tư của thân chủ\"}"

static char *
add_material (const char *db, int quantity)
{
  g_autofree char *json = g_strdup_printf (MATERIAL, quantity);
  return sync_add (db, "material", json);
}

static void
assert_sync (const char *db, int status, const char *expected_last_line)
{
  g_autofree char *out = NULL, *err = NULL;
  int got = sync_cli (db, &out, &err, "sync", NULL);
  g_auto (GStrv) lines = NULL;
  guint n;

  if (got != status)
    g_error ("sync exited %d, expected %d: %s", got, status, err);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 1);
  if (expected_last_line)
    g_assert_cmpstr (lines[n - 1], ==, expected_last_line);
}

static void
test_enrol_push_pull_restore (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *b = NULL, *out = NULL, *err = NULL, *code = NULL;
  g_autofree char *u1 = NULL, *digest_a = NULL;

  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  u1 = add_material (a, 100);
  g_free (add_material (a, 200));
  g_assert_cmpint (sync_cli (a, NULL, NULL, "delete", u1, NULL), ==, 0);
  g_free (add_material (a, 300));
  assert_sync (a, 0, "pushed 3, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty = 1"), ==, 0);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records WHERE org_unit = '00001'"),
                   ==, 3);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records WHERE deleted = 1"), ==, 1);
  /* The audit says who pushed what. */
  g_assert_cmpint (sync_query_int (s->db,
                                   "SELECT count(*) FROM audit WHERE action IN ('create', 'delete')"
                                   " AND actor LIKE 'device:%'"),
                   ==, 3);
  /* A no-op sync changes nothing on either side. */
  digest_a = pcmbn_test_db_digest (a);
  assert_sync (a, 0, "pushed 0, pulled 0, conflicts 0, rejected 0");

  /* The district marks the commune a key area: it reaches the device. */
  {
    const char *argv[] = { "org-units", "--db",       s->db, "--set",
                           "00001",     "--key-area", "yes", "--population-14-60",
                           "5000",      NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 0);
  }
  assert_sync (a, 0, "pushed 0, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (sync_query_int (a, "SELECT key_area FROM org_units WHERE code = '00001'"), ==,
                   1);
  g_assert_cmpint (
      sync_query_int (a, "SELECT population_14_60 FROM org_units WHERE code = '00001'"), ==, 5000);

  /* A new laptop with an empty database restores the commune. */
  b = sync_new_logbook (NULL);
  code = sync_enrol_code (s, "00001");
  g_assert_cmpint (sync_cli (b, NULL, &err, "enroll", "--server", s->url, "--code", code, NULL), ==,
                   0);
  assert_sync (b, 0, "pushed 0, pulled 3, conflicts 0, rejected 0");
  g_assert_cmpint (sync_cli (b, &out, NULL, "list", "material", NULL), ==, 0);
  {
    g_autoptr (JsonNode) list = sync_parse (out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 2);
  }
  g_assert_cmpint (sync_query_int (b, "SELECT count(*) FROM records WHERE deleted = 1"), ==, 1);
  g_assert_cmpint (
      sync_query_int (b, "SELECT population_14_60 FROM org_units WHERE code = '00001'"), ==, 5000);
  /* The used code does not work twice. */
  {
    g_autofree char *c = sync_new_logbook (NULL);
    g_autofree char *e2 = NULL;
    g_assert_cmpint (sync_cli (c, NULL, &e2, "enroll", "--server", s->url, "--code", code, NULL),
                     ==, 1);
    g_assert_nonnull (strstr (e2, "code"));
  }
  /* The district's report sees the commune's sync time. */
  {
    const char *argv[] = { "report", "--db", s->db, "--year", "2025", "--format", "json", NULL };
    g_autofree char *report = NULL;
    g_assert_cmpint (sync_district (argv, &report, NULL), ==, 0);
    g_assert_nonnull (strstr (report, "\"indicators\""));
  }
  sync_server_free (s);
}

/* Batches go two at a time; a meeting in one names a model in the one
 * before. Over a slow link (each connection its own), the second batch,
 * the meeting alone, would reach the server's write turn long before the
 * first, a thousand records: it must wait for the first's answer, or the
 * server would refuse the meeting for a model it does not have yet. */
static void
test_batch_names_batch_before (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *meeting = NULL, *sql = NULL, *url = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  SyncProxy *proxy;

  sync_server_start (s);
  proxy = sync_proxy_new (s->url);
  sync_proxy_set_link (proxy, 2 * 1000 * 1000, 20);
  url = sync_proxy_url (proxy);
  a = sync_enrolled_logbook (s, "00001");
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (a, &error);
    g_autoptr (JsonObject) model = pcmbn_test_json (
        "{\"established_on\":\"2025-01-01\",\"name\":\"CLB\",\"model_type\":\"intensive\","
        "\"model_kind\":\"anti_trafficking_club\",\"host_organisation\":\"Hội\","
        "\"members_total\":20,\"members_female\":10,\"status\":\"active\"}");
    g_autoptr (JsonObject) data = NULL;
    g_autofree char *model_uuid = NULL;

    g_assert_no_error (error);
    g_assert_true (pcmbn_store_begin (store, &error));
    for (int i = 0; i < 999; i++)
      {
        g_autofree char *json = g_strdup_printf (MATERIAL, i + 1);
        g_autoptr (JsonObject) material = pcmbn_test_json (json);
        g_free (pcmbn_store_add (store, "material", material, &error));
        g_assert_no_error (error);
      }
    model_uuid = pcmbn_store_add (store, "model", model, &error);
    g_assert_no_error (error);
    data = pcmbn_test_json ("{\"date\":\"2025-02-01\",\"participants_total\":10,"
                            "\"participants_female\":5,\"topics\":[\"hotline\"]}");
    json_object_set_string_member (data, "model", model_uuid);
    meeting = pcmbn_store_add (store, "model-meeting", data, &error);
    g_assert_no_error (error);
    g_assert_true (pcmbn_store_commit (store, &error));
  }
  g_assert_cmpint (sync_cli (a, &out, &err, "sync", "--server", url, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "pushed 1001, pulled 0, conflicts 0, rejected 0"));
  sql = g_strdup_printf ("SELECT count(*) FROM records WHERE uuid = '%s'", meeting);
  g_assert_cmpint (sync_query_int (s->db, sql), ==, 1);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 1001);
  sync_proxy_free (proxy);
  sync_server_free (s);
}

static void
test_conflict_between_devices (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *b = NULL, *uuid = NULL, *out = NULL, *err = NULL;

  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  b = sync_enrolled_logbook (s, "00001");
  uuid = add_material (a, 100);
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  assert_sync (b, 0, "pushed 0, pulled 1, conflicts 0, rejected 0");

  g_assert_cmpint (pcmbn_test_run_cli ((const char *[]){ "--db", a, "update", uuid, NULL },
                                       "{\"quantity_received\": 111}", NULL, NULL),
                   ==, 0);
  g_assert_cmpint (pcmbn_test_run_cli ((const char *[]){ "--db", b, "update", uuid, NULL },
                                       "{\"quantity_received\": 222}", NULL, NULL),
                   ==, 0);
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  /* B's edit started from version 1 too: kept, with the server's beside it. */
  assert_sync (b, 0, NULL);
  g_assert_cmpint (sync_query_int (b, "SELECT count(*) FROM records WHERE state = 'conflict'"), ==,
                   1);
  /* Dirty, so that the count after a sync finds it by the dirty rows. */
  g_assert_cmpint (sync_query_int (b, "SELECT count(*) FROM records WHERE state = 'conflict' AND"
                                      " dirty = 1"),
                   ==, 1);
  g_assert_cmpint (sync_cli (b, &out, NULL, "conflicts", NULL), ==, 0);
  {
    g_autoptr (JsonNode) list = sync_parse (out);
    JsonArray *array = json_node_get_array (list);
    JsonObject *c;
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    c = json_array_get_object_element (array, 0);
    g_assert_cmpstr (json_object_get_string_member (c, "uuid"), ==, uuid);
    g_assert_cmpint (
        json_object_get_int_member (json_object_get_object_member (c, "mine"), "quantity_received"),
        ==, 222);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (c, "theirs"),
                                                 "quantity_received"),
                     ==, 111);
  }
  /* Still in conflict after another sync: nothing overwritten silently,
   * and the person is told how to settle it. */
  assert_sync (b, 0, NULL);
  {
    g_autofree char *told = NULL;
    g_assert_cmpint (sync_cli (b, NULL, &told, "sync", NULL), ==, 0);
    g_assert_nonnull (strstr (told, "pcmbn conflicts"));
  }
  g_assert_cmpint (
      sync_query_int (s->db, "SELECT json_extract(data, '$.quantity_received') FROM records"), ==,
      111);

  /* Bad input to resolve. */
  g_assert_cmpint (sync_cli (b, NULL, &err, "resolve", uuid, "--keep", "both", NULL), ==, 2);
  g_assert_cmpint (sync_cli (b, NULL, NULL, "resolve", "not-a-uuid", "--keep", "mine", NULL), ==,
                   2);

  g_assert_cmpint (sync_cli (b, NULL, NULL, "resolve", uuid, "--keep", "mine", NULL), ==, 0);
  assert_sync (b, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (
      sync_query_int (s->db, "SELECT json_extract(data, '$.quantity_received') FROM records"), ==,
      222);
  g_assert_cmpint (sync_query_int (s->db, "SELECT version FROM records"), ==, 3);
  assert_sync (a, 0, "pushed 0, pulled 1, conflicts 0, rejected 0");
  g_assert_cmpint (
      sync_query_int (a, "SELECT json_extract(data, '$.quantity_received') FROM records"), ==, 222);

  /* And the other way: theirs. */
  g_assert_cmpint (pcmbn_test_run_cli ((const char *[]){ "--db", a, "update", uuid, NULL },
                                       "{\"quantity_received\": 333}", NULL, NULL),
                   ==, 0);
  g_assert_cmpint (pcmbn_test_run_cli ((const char *[]){ "--db", b, "update", uuid, NULL },
                                       "{\"quantity_received\": 444}", NULL, NULL),
                   ==, 0);
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  assert_sync (b, 0, NULL);
  g_assert_cmpint (sync_cli (b, NULL, NULL, "resolve", uuid, "--keep", "theirs", NULL), ==, 0);
  g_assert_cmpint (
      sync_query_int (b, "SELECT json_extract(data, '$.quantity_received') FROM records"), ==, 333);
  g_assert_cmpint (sync_query_int (b, "SELECT dirty FROM records"), ==, 0);
  assert_sync (b, 0, "pushed 0, pulled 0, conflicts 0, rejected 0");
  /* Not in conflict any more. */
  g_assert_cmpint (sync_cli (b, NULL, NULL, "resolve", uuid, "--keep", "theirs", NULL), ==, 2);
  sync_server_free (s);
}

static void
test_bad_record_quarantined (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *bad = NULL, *problem = NULL;

  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  g_free (add_material (a, 10));
  bad = add_material (a, 20);
  g_free (add_material (a, 30));
  /* A record this logbook stored but the server's schema refuses, as
   * after an upgrade on one side. */
  {
    g_autofree char *sql = g_strdup_printf (
        "UPDATE records SET data = json_set(data, '$.quantity_received', -5) WHERE uuid = '%s'",
        bad);
    sync_exec (a, sql);
  }
  assert_sync (a, 0, "pushed 2, pulled 0, conflicts 0, rejected 1");
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 2);
  {
    g_autofree char *sql = g_strdup_printf (
        "SELECT problem FROM records WHERE uuid = '%s' AND state = 'rejected'", bad);
    problem = sync_query_text (a, sql);
  }
  g_assert_nonnull (problem);
  g_assert_true (g_str_has_prefix (problem, "quantity_received"));
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE state = 'rejected' AND"
                                      " dirty = 1"),
                   ==, 1);
  /* Set aside: the next sync does not send it again, the others are done. */
  assert_sync (a, 0, "pushed 0, pulled 0, conflicts 0, rejected 0");
  /* Corrected, it goes. */
  g_assert_cmpint (pcmbn_test_run_cli ((const char *[]){ "--db", a, "update", bad, NULL },
                                       "{\"quantity_received\": 25}", NULL, NULL),
                   ==, 0);
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 3);
  sync_server_free (s);
}

/* A field of a record as `pcmbn get` shows it: the case notes are sealed
 * in the file, so SQL alone no longer reads them. */
static char *
local_field (const char *db, const char *uuid, const char *field)
{
  g_autofree char *out = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *data;

  g_assert_cmpint (sync_cli (db, &out, NULL, "get", uuid, NULL), ==, 0);
  node = sync_parse (out);
  data = json_object_get_object_member (json_node_get_object (node), "data");
  return json_object_has_member (data, field)
             ? g_strdup (json_object_get_string_member (data, field))
             : NULL;
}

static void
test_case_notes_stay (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *b = NULL, *uuid = NULL;
  g_autofree char *server_dump = NULL, *body = NULL, *token = NULL;
  guint status;

  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  uuid = sync_add (a, "counselling", COUNSELLING);
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  server_dump = sync_query_text (s->db,
                                 "SELECT group_concat(data || coalesce(search, '')) FROM records");
  g_assert_nonnull (server_dump);
  g_assert_null (strstr (server_dump, "case_notes"));
  g_assert_null (strstr (server_dump, "BÍ MẬT"));
  /* Kept here. */
  {
    g_autofree char *notes = local_field (a, uuid, "case_notes");
    g_assert_cmpstr (notes, ==, "BÍ MẬT riêng tư của thân chủ");
  }
  /* A client that sends them anyway: the server drops them. */
  token = sync_device_token (a);
  body = g_strdup_printf (
      "{\"records\":[{\"uuid\":\"0b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\","
      "\"kind\":\"counselling\",\"org_unit\":\"00001\",\"base_version\":0,"
      "\"deleted\":false,\"modified_at\":\"2026-01-01T00:00:00Z\",\"data\":%s}]}",
      COUNSELLING);
  g_free (sync_http (s, "POST", "/api/v1/sync/push", token, "application/json", NULL, body,
                     strlen (body), &status));
  g_assert_cmpuint (status, ==, 200);
  g_free (server_dump);
  server_dump = sync_query_text (s->db,
                                 "SELECT group_concat(data || coalesce(search, '')) FROM records");
  g_assert_null (strstr (server_dump, "BÍ MẬT"));
  /* Another device of the commune gets the record without them, and a pull
   * never erases them where they are. */
  b = sync_enrolled_logbook (s, "00001");
  assert_sync (b, 0, "pushed 0, pulled 2, conflicts 0, rejected 0");
  g_assert_cmpint (
      sync_query_int (b, "SELECT count(*) FROM records WHERE data LIKE '%case_notes%'"), ==, 0);
  g_assert_cmpint (pcmbn_test_run_cli ((const char *[]){ "--db", b, "update", uuid, NULL },
                                       "{\"counsellor\": \"Lê Văn Nam\"}", NULL, NULL),
                   ==, 0);
  assert_sync (b, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  /* A gets the raw push and B's edit. */
  assert_sync (a, 0, "pushed 0, pulled 2, conflicts 0, rejected 0");
  {
    g_autofree char *notes = local_field (a, uuid, "case_notes");
    g_autofree char *counsellor = local_field (a, uuid, "counsellor");
    g_assert_cmpstr (notes, ==, "BÍ MẬT riêng tư của thân chủ");
    g_assert_cmpstr (counsellor, ==, "Lê Văn Nam");
  }
  sync_server_free (s);
}

/* In-process: the outbox never sends case notes unless told to, neither
 * those sealed (the logbook's own) nor any left in clear in the data
 * column (a row from before sealing); a value that merely names the field
 * changes nothing. */
static void
test_outbox_keeps_case_notes (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) data = pcmbn_test_json (COUNSELLING);
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = NULL, *other = NULL, *sql = NULL;

  uuid = pcmbn_store_add (store, "counselling", data, &error);
  g_assert_no_error (error);
  json_object_set_string_member (data, "counsellor", "\"case_notes\"");
  other = pcmbn_store_add (store, "counselling", data, &error);
  g_assert_no_error (error);
  for (int round = 0; round < 2; round++)
    {
      g_autoptr (GPtrArray)
          outbox = pcmbn_store_sync_outbox (store, 0, 100, 1 << 20, FALSE, &error);
      g_autoptr (GPtrArray) all = pcmbn_store_sync_outbox (store, 0, 100, 1 << 20, TRUE, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (outbox->len, ==, 2);
      for (guint i = 0; i < outbox->len; i++)
        {
          PcmbnOutboxItem *item = outbox->pdata[i];
          g_autoptr (JsonNode) sent = sync_parse (item->record);
          JsonObject *fields = json_object_get_object_member (json_node_get_object (sent), "data");
          g_assert_false (json_object_has_member (fields, "case_notes"));
          g_assert_null (strstr (item->record, "BÍ MẬT"));
          g_assert_null (strstr (item->record, "LỘ RA"));
          g_assert_nonnull (strstr (((PcmbnOutboxItem *)all->pdata[i])->record, "BÍ MẬT"));
        }
      /* Then the first with notes in clear in its data column. */
      sql = g_strdup_printf ("UPDATE records SET data = json_set (data, '$.case_notes', 'LỘ RA')"
                             " WHERE uuid = '%s'",
                             uuid);
      g_assert_true (pcmbn_store_exec (pcmbn_store_get_db (store), sql, &error));
      g_clear_pointer (&sql, g_free);
    }
}

/* In-process: the outbox rule that an edit made while a push is under way
 * stays dirty. */
static void
test_edit_during_sync_stays_dirty (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject)
      data = pcmbn_test_json ("{\"material_type\":\"leaflet\",\"title\":\"x\","
                              "\"source\":\"district\",\"received_on\":\"2025-12-10\","
                              "\"quantity_received\":5}");
  g_autoptr (JsonObject) patch = pcmbn_test_json ("{\"quantity_received\":6}");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) outbox = NULL;
  g_autofree char *uuid = pcmbn_store_add (store, "material", data, &error);
  PcmbnOutboxItem *item;
  g_autoptr (PcmbnRecord) record = NULL;

  g_assert_no_error (error);
  outbox = pcmbn_store_sync_outbox (store, 0, 100, 1 << 20, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outbox->len, ==, 1);
  item = outbox->pdata[0];
  g_assert_true (pcmbn_store_update (store, uuid, patch, &error));
  g_assert_true (pcmbn_store_sync_mark_accepted (store, uuid, item->local_rev, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 1);
  record = pcmbn_store_get (store, uuid, &error);
  g_assert_cmpint (pcmbn_record_get_version (record), ==, 1);
  g_assert_cmpint (pcmbn_record_get_state (record), ==, PCMBN_STATE_DIRTY);
  /* The next answer, for the new revision, makes it clean. */
  g_clear_pointer (&outbox, g_ptr_array_unref);
  outbox = pcmbn_store_sync_outbox (store, 0, 100, 1 << 20, FALSE, &error);
  item = outbox->pdata[0];
  {
    g_autoptr (JsonNode) sent = sync_parse (item->record);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (sent), "base_version"), ==,
                     1);
  }
  g_assert_true (pcmbn_store_sync_mark_accepted (store, uuid, item->local_rev, 2, &error));
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 0);
}

static void
test_tls (void)
{
  SyncServer *s = sync_server_new (TRUE);
  g_autofree char *a = NULL;

  if (s->cert == NULL)
    {
      g_test_skip ("openssl cannot make a self-signed certificate here");
      sync_server_free (s);
      return;
    }
  sync_server_start (s);
  g_assert_true (g_str_has_prefix (s->url, "https://"));
  a = sync_enrolled_logbook (s, "00001");
  g_free (add_material (a, 10));
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 1);
  /* The certificate is pinned at enrolment: another one is refused. */
  sync_exec (a, "UPDATE meta SET value = '00' WHERE key = 'sync_cert_sha256'");
  g_free (add_material (a, 20));
  {
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (sync_cli (a, &out, &err, "sync", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "certificate"));
  }
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 1);
  sync_server_free (s);
}

static void
test_unreachable (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *out = NULL, *err = NULL;

  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  g_free (add_material (a, 10));
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  g_assert_cmpint (sync_cli (a, &out, &err, "sync", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Cannot reach the district server"));
  g_assert_nonnull (strstr (out, "pushed 0, pulled 0, conflicts 0, rejected 0"));
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty = 1"), ==, 1);
  /* The network is back: it resumes. */
  sync_server_start (s);
  g_assert_cmpint (sync_cli (a, &out, &err, "sync", "--server", s->url, NULL), ==, 0);
  g_assert_cmpint (sync_query_int (a, "SELECT count(*) FROM records WHERE dirty = 1"), ==, 0);
  /* Not enrolled: says so. */
  {
    g_autofree char *c = sync_new_logbook ("00001");
    g_autofree char *e2 = NULL;
    g_assert_cmpint (sync_cli (c, NULL, &e2, "sync", NULL), ==, 1);
    g_assert_nonnull (strstr (e2, "enroll"));
    g_assert_cmpint (sync_cli (c, NULL, &e2, "enroll", "--server", "ftp://x", "--code", "A", NULL),
                     ==, 2);
  }
  sync_server_free (s);
}

typedef struct
{
  guint calls;
  guint done, total;
  gboolean backwards;
} AttachmentProgress;

static void
attachment_progress (PcmbnSyncPhase phase, guint done, guint total, gpointer user_data)
{
  AttachmentProgress *p = user_data;

  if (phase != PCMBN_SYNC_PHASE_ATTACHMENTS)
    return;
  if (p->calls > 0 && done < p->done)
    p->backwards = TRUE;
  p->calls++;
  p->done = done;
  p->total = total;
}

/* Attachments travel with their records: sent before the record on a push,
 * fetched after a restore, and an interrupted download resumes. */
static void
test_attachments_come_back (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *sha = NULL;
  g_autofree char *photo_path = NULL;
  g_autofree char *dir = pcmbn_test_tmpdir ();
  gsize size = 300 * 1024;
  g_autofree char *content = g_malloc (size);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    content[i] = (char)(i * 13 + i / 509);
  photo_path = g_build_filename (dir, "anh.jpg", NULL);
  g_assert_true (g_file_set_contents (photo_path, content, size, NULL));
  sync_server_start (s);
  a = sync_enrolled_logbook (s, "00001");
  sha = sync_add_attached (a, photo_path);
  assert_sync (a, 0, "pushed 1, pulled 0, conflicts 0, rejected 0");
  {
    g_autofree char *sql = g_strdup_printf ("SELECT size FROM blobs WHERE sha256 = '%s'", sha);
    g_assert_cmpint (sync_query_int (s->db, sql), ==, size);
  }

  /* A new laptop gets the record and the file. */
  b = sync_enrolled_logbook (s, "00001");
  assert_sync (b, 0, "pushed 0, pulled 1, conflicts 0, rejected 0");
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (b, &error);
    g_autofree char *path = pcmbn_attachments_path (store, sha);
    g_autofree char *got = NULL;
    gsize len;
    g_assert_true (g_file_get_contents (path, &got, &len, NULL));
    g_assert_cmpmem (got, len, content, size);
  }

  /* Another, whose first download stopped after 100 KB: the rest only. */
  c = sync_enrolled_logbook (s, "00001");
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (c, &error);
    g_autofree char *path = pcmbn_attachments_path (store, sha);
    g_autofree char *part = g_strconcat (path, ".part", NULL);
    g_autofree char *folder = g_path_get_dirname (path);
    g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
    g_assert_true (g_file_set_contents (part, content, 100 * 1024, NULL));
  }
  assert_sync (c, 0, "pushed 0, pulled 1, conflicts 0, rejected 0");
  {
    g_autoptr (PcmbnStore) store = pcmbn_store_open (c, &error);
    g_autofree char *path = pcmbn_attachments_path (store, sha);
    g_autofree char *part = g_strconcat (path, ".part", NULL);
    g_autofree char *got = NULL;
    g_autofree char *log = NULL;
    gsize len;
    g_assert_true (g_file_get_contents (path, &got, &len, NULL));
    g_assert_cmpmem (got, len, content, size);
    g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  }
  /* Nothing more to fetch: a second sync sends no blob request. */
  {
    g_autofree char *before = NULL, *after = NULL;
    g_assert_true (g_file_get_contents (s->log, &before, NULL, NULL));
    assert_sync (c, 0, "pushed 0, pulled 0, conflicts 0, rejected 0");
    g_assert_true (g_file_get_contents (s->log, &after, NULL, NULL));
    g_assert_null (strstr (after + strlen (before), "/api/v1/blobs/"));
  }

  /* In-process, a restore says how far its attachments are: as files done
   * of those its records name, ending with all of them. */
  {
    g_autofree char *d = sync_enrolled_logbook (s, "00001");
    g_autoptr (PcmbnStore) store = pcmbn_store_open (d, &error);
    g_autoptr (PcmbnSyncEngine) engine = pcmbn_sync_engine_new (store);
    g_autofree char *path = pcmbn_attachments_path (store, sha);
    AttachmentProgress progress = { 0 };
    PcmbnSyncStats stats;

    pcmbn_sync_engine_set_progress (engine, attachment_progress, &progress);
    g_assert_true (pcmbn_sync_engine_sync (engine, NULL, NULL, &stats, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (stats.pulled, ==, 1);
    g_assert_cmpuint (progress.calls, >=, 1);
    g_assert_false (progress.backwards);
    g_assert_cmpuint (progress.done, ==, 1);
    g_assert_cmpuint (progress.total, ==, 1);
    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  sync_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync/enrol-push-pull-restore", test_enrol_push_pull_restore);
  g_test_add_func ("/sync/conflict", test_conflict_between_devices);
  g_test_add_func ("/sync/batch-names-batch-before", test_batch_names_batch_before);
  g_test_add_func ("/sync/outbox-keeps-case-notes", test_outbox_keeps_case_notes);
  g_test_add_func ("/sync/bad-record-quarantined", test_bad_record_quarantined);
  g_test_add_func ("/sync/case-notes", test_case_notes_stay);
  g_test_add_func ("/sync/edit-during-sync", test_edit_during_sync_stays_dirty);
  g_test_add_func ("/sync/tls", test_tls);
  g_test_add_func ("/sync/unreachable", test_unreachable);
  g_test_add_func ("/sync/attachments-come-back", test_attachments_come_back);
  return g_test_run ();
}
