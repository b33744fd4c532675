/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "pcmbn-util.h"
#include "server/pcmbn-district-checkpointer.h"
#include "server/pcmbn-district-store.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-wire.h"

/* The district server's data layer without HTTP: every typed function of
 * PcmbnDistrictStore against a real SQLite file, good cases and bad. The
 * HTTP tests (tests/sync, tests/dashboard) drive the same functions through
 * a running server. */

#define UUID1 "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b"
#define UUID2 "6c1d7d2f-3a5b-4e8f-8c2b-1d3e4f5a6b7c"
#define MODEL "11111111-2f4a-4d7e-9b1a-0c2d3e4f5a6b"
#define MEETING "22222222-2f4a-4d7e-9b1a-0c2d3e4f5a6b"
#define MODEL_DATA                                                                    \
  "{\"established_on\":\"2025-01-01\",\"name\":\"CLB\",\"model_type\":\"intensive\"," \
  "\"model_kind\":\"anti_trafficking_club\",\"host_organisation\":\"Hội\","         \
  "\"members_total\":20,\"members_female\":10,\"status\":\"active\"}"

typedef struct
{
  char *dir;
  char *path;
  PcmbnDistrictStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = pcmbn_test_tmpdir ();
  f->path = g_build_filename (f->dir, "district.sqlite", NULL);
  f->store = pcmbn_district_store_open (f->path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (pcmbn_district_store_initialize (f->store, "001", NULL, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  g_free (f->path);
  g_free (f->dir);
}

static void
exec_sql (const char *path, const char *sql)
{
  sqlite3 *db;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* Every line of the audit as text: what an attacker with the file reads. */
static char *
audit_text (const char *path)
{
  sqlite3 *db;
  sqlite3_stmt *stmt;
  GString *out = g_string_new (NULL);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_prepare_v2 (db,
                          "SELECT actor, action, coalesce (record_uuid, ''),"
                          " coalesce (object, '') || ' ' || coalesce (address, '') || ' '"
                          " || coalesce (detail, '') FROM audit ORDER BY id",
                          -1, &stmt, NULL),
      ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s %s %s %s\n", sqlite3_column_text (stmt, 0),
                            sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2),
                            sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = pcmbn_wire_parse_json (text, strlen (text), &error);

  g_assert_no_error (error);
  return node;
}

static PcmbnDistrictEnrolment *
enrol (Fixture *f, const char *commune)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *code = pcmbn_district_store_new_enrol_code (f->store, commune, &error);
  PcmbnDistrictEnrolment *e;

  g_assert_no_error (error);
  e = pcmbn_district_store_enroll (f->store, code, "Laptop", NULL, "127.0.0.1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (e);
  return e;
}

static PcmbnDistrictPrincipal *
device_of (Fixture *f, PcmbnDistrictEnrolment *e)
{
  g_autoptr (GError) error = NULL;
  PcmbnDistrictPrincipal *who = pcmbn_district_store_authenticate (f->store, e->token, &error);

  g_assert_no_error (error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_DEVICE);
  return who;
}

static char *
material (const char *uuid, const char *org_unit, gint64 base, int quantity)
{
  return g_strdup_printf ("{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"%s\","
                          "\"base_version\":%" G_GINT64_FORMAT ",\"deleted\":false,"
                          "\"modified_at\":\"2026-01-02T03:04:05Z\",\"data\":{\"material_type\":"
                          "\"leaflet\",\"title\":\"Tờ rơi\",\"source\":\"district\","
                          "\"received_on\":\"2025-12-10\",\"quantity_received\":%d}}",
                          uuid, org_unit, base, quantity);
}

/* Pushes the records and returns the results array. */
static JsonArray *
push (Fixture *f, PcmbnDistrictPrincipal *device, const char *records, GError **error)
{
  g_autofree char *body = g_strdup_printf ("{\"records\":[%s]}", records);
  g_autoptr (GPtrArray) parsed = pcmbn_wire_parse_push (body, strlen (body), NULL);
  g_autofree char *answer = NULL;
  g_autoptr (JsonNode) root = NULL;

  g_assert_nonnull (parsed);
  answer = pcmbn_district_store_push (f->store, device, parsed, error);
  if (answer == NULL)
    return NULL;
  root = parse (answer);
  return json_array_ref (json_object_get_array_member (json_node_get_object (root), "results"));
}

static JsonObject *
result (JsonArray *results, guint i)
{
  return json_array_get_object_element (results, i);
}

static const char *
status_of (JsonArray *results, guint i)
{
  return json_object_get_string_member (result (results, i), "status");
}

/* A member of the error of result @i. */
static const char *
error_of (JsonArray *results, guint i, const char *member)
{
  return json_object_get_string_member (
      json_object_get_object_member (result (results, i), "error"), member);
}

static JsonObject *
pull (Fixture *f, const char *org_unit, gint64 since, gint64 limit)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = pcmbn_district_store_changes_since (f->store, org_unit, since, limit,
                                                              &error);
  g_autoptr (JsonNode) root = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (text);
  root = parse (text);
  return json_object_ref (json_node_get_object (root));
}

/* ---- opening ---------------------------------------------------------------- */

static void
test_open_bad_files (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.sqlite", NULL);
  g_autofree char *plain = g_build_filename (dir, "plain.sqlite", NULL);
  g_autofree char *newer = g_build_filename (dir, "newer.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictStore) store = NULL;

  store = pcmbn_district_store_open (missing, FALSE, &error);
  g_assert_null (store);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* Made, but never given a district: not a server database yet. */
  store = pcmbn_district_store_open (plain, TRUE, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  store = pcmbn_district_store_open (plain, FALSE, &error);
  g_assert_null (store);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED);
  g_assert_nonnull (strstr (error->message, "pcmbn-district init"));
  g_clear_error (&error);

  store = pcmbn_district_store_open (newer, TRUE, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  exec_sql (newer, "UPDATE meta SET value = '99' WHERE key = 'server_schema'");
  store = pcmbn_district_store_open (newer, TRUE, &error);
  g_assert_null (store);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "99"));
}

/* The server's migrations stay keyed by the "server_schema" meta row: a
 * database made before this layer existed opens unchanged. */
static void
test_reopen_keeps_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL, *after = NULL, *code = NULL, *name = NULL;

  g_clear_object (&f->store);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT value FROM meta WHERE key = 'server_schema'"), ==, 8);
  /* SQLite's own pages, not a logbook's larger ones: a server's writes are
   * small pushes that touch pages all over its indexes. */
  g_assert_cmpint (pcmbn_test_query_int (f->path, "PRAGMA page_size"), ==, 4096);
  /* A server shows no list: no index that sorts or filters one, and none
   * of the codes by code; the counts' and reports' indexes stay. */
  g_assert_cmpint (pcmbn_test_query_int (f->path,
                                         "SELECT count(*) FROM sqlite_master WHERE name IN"
                                         " ('records_list', 'records_type', 'records_title',"
                                         " 'record_codes_field')"),
                   ==, 0);
  g_assert_cmpint (pcmbn_test_query_int (f->path,
                                         "SELECT count(*) FROM sqlite_master WHERE name LIKE"
                                         " 'records_report_%'"),
                   ==, 6);
  /* Its columns begin each report index: it went. */
  g_assert_cmpint (pcmbn_test_query_int (
                       f->path, "SELECT count(*) FROM sqlite_master WHERE name = 'records_scope'"),
                   ==, 0);
  before = pcmbn_test_db_digest (f->path);
  f->store = pcmbn_district_store_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  code = pcmbn_district_store_get_code (f->store);
  g_assert_cmpstr (code, ==, "001");
  name = pcmbn_district_store_get_name (f->store);
  g_assert_nonnull (strstr (name, "Ba Đình"));
  g_assert_false (pcmbn_district_store_keeps_case_notes (f->store));
  g_clear_object (&f->store);
  after = pcmbn_test_db_digest (f->path);
  g_assert_cmpstr (before, ==, after);
  f->store = pcmbn_district_store_open (f->path, FALSE, &error);
}

static void
test_initialize_bad_units (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "d.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictStore) store = pcmbn_district_store_open (path, TRUE, &error);

  g_assert_no_error (error);
  g_assert_false (pcmbn_district_store_initialize (store, "nowhere", NULL, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "org-unit:"));
  g_clear_error (&error);
  g_assert_null (pcmbn_district_store_get_code (store));

  g_assert_true (pcmbn_district_store_initialize (store, "001", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (pcmbn_district_store_initialize (store, "002", NULL, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
}

/* ---- org units ---------------------------------------------------------------- */

static void
test_org_units (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) communes = pcmbn_district_store_list_communes (f->store);
  g_autoptr (JsonNode) reference = NULL;
  g_autofree char *before = NULL, *after = NULL;
  const char *good = "code,key_area,population_14_60\n00001,yes,1200\n00004,no,\n";
  const char *bad = "code,key_area,population_14_60\n00001,yes,1200\n00004,maybe,-3\n99999,no,1\n";
  JsonArray *units;
  guint n = 0;

  g_assert_cmpuint (json_array_get_length (json_node_get_array (communes)), >, 5);
  g_assert_true (pcmbn_district_store_is_commune_of (f->store, "00001"));
  g_assert_false (pcmbn_district_store_is_commune_of (f->store, "001"));
  g_assert_false (pcmbn_district_store_is_commune_of (f->store, "99999"));
  g_assert_false (pcmbn_district_store_is_commune_of (f->store, NULL));

  reference = pcmbn_district_store_reference (f->store, "00001");
  units = json_object_get_array_member (json_node_get_object (reference), "org_units");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (units, 0), "code"),
                   ==, "00001");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (units, 1), "code"),
                   ==, "001");

  before = pcmbn_test_db_digest (f->path);
  g_assert_false (pcmbn_district_store_import_units (f->store, bad, strlen (bad), &n, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "key_area"));
  g_assert_nonnull (strstr (error->message, "population_14_60"));
  g_assert_nonnull (strstr (error->message, "99999"));
  g_clear_error (&error);
  g_assert_false (pcmbn_district_store_set_unit (f->store, "99999", 1, -2, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_clear_error (&error);
  after = pcmbn_test_db_digest (f->path);
  g_assert_cmpstr (before, ==, after);

  g_assert_true (pcmbn_district_store_import_units (f->store, good, strlen (good), &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT population_14_60 FROM org_units WHERE code = '00001'"),
      ==, 1200);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT key_area FROM org_units WHERE code = '00001'"), ==, 1);
  /* The changed communes moved to the end of the change sequence. */
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT unit_code = '00004' FROM changes ORDER BY seq DESC"),
      ==, 1);
}

/* ---- enrolment and tokens --------------------------------------------------- */

static void
test_enrol_codes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL, *typed = NULL, *other = NULL, *audit = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = NULL;

  g_assert_null (pcmbn_district_store_new_enrol_code (f->store, "001", &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_clear_error (&error);

  code = pcmbn_district_store_new_enrol_code (f->store, "00001", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, 11);
  g_assert_cmpint (code[5], ==, '-');

  g_assert_null (
      pcmbn_district_store_enroll (f->store, "AAAAA-AAAAA", "Laptop", NULL, "10.0.0.9", &error));
  g_assert_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_BAD_CODE);
  g_clear_error (&error);

  /* A code for another commune than the logbook's is not used up. */
  g_assert_null (
      pcmbn_district_store_enroll (f->store, code, "Laptop", "00004", "10.0.0.9", &error));
  g_assert_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_WRONG_ORG_UNIT);
  g_clear_error (&error);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM devices"), ==, 0);

  /* Typed again over the phone: lower case, no dash. */
  typed = g_ascii_strdown (code, -1);
  memmove (typed + 5, typed + 6, strlen (typed + 6) + 1);
  e = pcmbn_district_store_enroll (f->store, typed, "Laptop", "00001", "10.0.0.9", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->org_unit, ==, "00001");
  g_assert_true (g_str_has_prefix (e->token, "d_"));
  g_assert_true (pcmbn_uuid_is_valid (e->device_id));

  /* Once only. */
  g_assert_null (pcmbn_district_store_enroll (f->store, code, "Again", NULL, NULL, &error));
  g_assert_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_BAD_CODE);
  g_clear_error (&error);

  /* Expired. */
  other = pcmbn_district_store_new_enrol_code (f->store, "00004", &error);
  g_assert_no_error (error);
  exec_sql (f->path, "UPDATE enrol_codes SET expires_at = 1 WHERE used_at IS NULL");
  g_assert_null (pcmbn_district_store_enroll (f->store, other, "Late", NULL, NULL, &error));
  g_assert_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_BAD_CODE);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM devices"), ==, 1);

  /* Neither the code nor the token is in the file. */
  audit = audit_text (f->path);
  g_assert_null (strstr (audit, code));
  g_assert_null (strstr (audit, e->token));
  g_assert_nonnull (strstr (audit, "enroll"));
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT count(*) FROM devices WHERE token_hash GLOB 'd_*'"),
      ==, 0);
}

static void
test_authenticate (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;
  g_autoptr (JsonNode) devices = NULL;
  g_autofree char *staff = NULL, *hash = NULL, *audit = NULL;
  JsonObject *device;

  who = pcmbn_district_store_authenticate (f->store, "d_0000", &error);
  g_assert_no_error (error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_UNKNOWN);
  g_clear_pointer (&who, pcmbn_district_principal_free);
  who = pcmbn_district_store_authenticate (f->store, "", &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_UNKNOWN);
  g_clear_pointer (&who, pcmbn_district_principal_free);

  who = pcmbn_district_store_authenticate (f->store, e->token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_DEVICE);
  g_assert_false (who->revoked);
  g_assert_cmpstr (who->id, ==, e->device_id);
  g_assert_cmpstr (who->org_unit, ==, "00001");
  g_assert_true (g_str_has_prefix (who->actor, "device:"));
  g_clear_pointer (&who, pcmbn_district_principal_free);

  g_assert_null (pcmbn_district_store_new_staff_token (f->store, "  ", &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE);
  g_clear_error (&error);
  staff = pcmbn_district_store_new_staff_token (f->store, " Chị Lan ", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (staff, "s_"));
  hash = pcmbn_district_hash_secret (staff);
  who = pcmbn_district_store_authenticate_hash (f->store, hash, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_STAFF);
  g_assert_cmpstr (who->id, ==, "Chị Lan");
  g_assert_cmpstr (who->actor, ==, "staff:Chị Lan");
  g_clear_pointer (&who, pcmbn_district_principal_free);

  /* Revoked: still known (the caller says "revoked"), at once. */
  g_assert_false (pcmbn_district_store_revoke_device (f->store, "no-such-device", &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (pcmbn_district_store_revoke_device (f->store, e->device_id, &error));
  g_assert_no_error (error);
  who = pcmbn_district_store_authenticate (f->store, e->token, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_DEVICE);
  g_assert_true (who->revoked);

  devices = pcmbn_district_store_list_devices (f->store);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (devices)), ==, 1);
  device = json_array_get_object_element (json_node_get_array (devices), 0);
  g_assert_cmpstr (json_object_get_string_member (device, "id"), ==, e->device_id);
  g_assert_true (json_object_get_boolean_member (device, "revoked"));
  g_assert_true (json_object_get_null_member (device, "last_seen"));
  audit = audit_text (f->path);
  g_assert_null (strstr (audit, staff));
}

/* ---- sync ------------------------------------------------------------------- */

static void
test_push_and_rows (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  g_autofree char *v1 = material (UUID1, "00001", 0, 10);
  g_autofree char *v2 = material (UUID1, "00001", 1, 20);
  g_autofree char *stale = material (UUID1, "00001", 1, 30);
  g_autofree char *edit_hash = NULL, *audit = NULL;
  g_autoptr (JsonArray) results = NULL;
  g_auto (PcmbnDistrictRow) row = { 0 };
  JsonObject *server;

  g_assert_true (pcmbn_district_store_load_row (f->store, UUID1, &row, &error));
  g_assert_false (row.exists);

  results = push (f, device, v1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (results, 0), ==, "accepted");
  g_assert_cmpint (json_object_get_int_member (result (results, 0), "version"), ==, 1);
  g_clear_pointer (&results, json_array_unref);
  g_assert_true (pcmbn_district_store_load_row (f->store, UUID1, &row, &error));
  g_assert_true (row.exists);
  g_assert_cmpstr (row.kind, ==, "material");
  g_assert_cmpstr (row.org_unit, ==, "00001");
  g_assert_cmpint (row.version, ==, 1);
  g_assert_false (row.deleted);
  g_assert_nonnull (strstr (row.data_text, "\"quantity_received\":10"));
  g_assert_cmpstr (row.modified_at, ==, "2026-01-02T03:04:05Z");
  pcmbn_district_row_clear (&row);

  /* A retry of the same edit: the same version, nothing new. */
  results = push (f, device, v1, &error);
  g_assert_cmpint (json_object_get_int_member (result (results, 0), "version"), ==, 1);
  g_clear_pointer (&results, json_array_unref);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM record_versions"), ==, 1);

  results = push (f, device, v2, &error);
  g_assert_cmpint (json_object_get_int_member (result (results, 0), "version"), ==, 2);
  g_clear_pointer (&results, json_array_unref);

  /* Started from version 1 but the server is at 2: a conflict with the
   * server's record, written by the one RECORD writer. */
  results = push (f, device, stale, &error);
  g_assert_cmpstr (status_of (results, 0), ==, "conflict");
  server = json_object_get_object_member (result (results, 0), "server");
  g_assert_cmpint (json_object_get_int_member (server, "version"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (server, "base_version"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (server, "modified_at"), ==,
                   "2026-01-02T03:04:05Z");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (server, "data"),
                                               "quantity_received"),
                   ==, 20);
  g_clear_pointer (&results, json_array_unref);

  /* find_edit knows each version's edit; record_change moves the record to
   * the end of the change sequence. */
  g_assert_true (pcmbn_district_store_load_row (f->store, UUID1, &row, &error));
  g_assert_cmpint (row.id, >, 0);
  g_assert_cmpint (pcmbn_district_store_find_edit (f->store, row.id, "nope"), ==, 0);
  edit_hash = g_strnfill (64, 'a');
  g_assert_true (pcmbn_store_begin (pcmbn_district_store_get_store (f->store), &error));
  g_assert_true (pcmbn_district_store_record_change (f->store, row.id, UUID1, "00001", 3, edit_hash,
                                                     NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pcmbn_store_commit (pcmbn_district_store_get_store (f->store), &error));
  g_assert_cmpint (pcmbn_district_store_find_edit (f->store, row.id, edit_hash), ==, 3);
  /* Another row knows none of this record's edits. */
  g_assert_cmpint (pcmbn_district_store_find_edit (f->store, row.id + 1, edit_hash), ==, 0);
  pcmbn_district_row_clear (&row);
  g_assert_cmpint (pcmbn_test_query_int (
                       f->path, "SELECT count(*) FROM changes WHERE record_uuid = '" UUID1 "'"),
                   ==, 1);
  g_assert_cmpint (pcmbn_test_query_int (
                       f->path, "SELECT record_uuid IS NOT NULL FROM changes ORDER BY seq DESC"),
                   ==, 1);
  audit = audit_text (f->path);
  g_assert_nonnull (strstr (audit, "update " UUID1));
}

/* A push audits each record it writes, in the push's order, several lines
 * to a statement: none for a record it refuses. */
static void
test_push_audits_each_record (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  g_autoptr (GString) created = g_string_new (NULL), updated = g_string_new (NULL);
  g_autoptr (GString) first = g_string_new (NULL), second = g_string_new (NULL);
  g_autoptr (JsonArray) results = NULL;
  g_autofree char *sql = NULL, *listed = NULL;

  /* 39 records, the 21st wrong: 38 lines, two statements of 16 and one
   * of 6. Then 17 of them again, changed. */
  for (int i = 0; i < 39; i++)
    {
      g_autofree char *uuid = g_strdup_printf ("%08x-2f4a-4d7e-9b1a-0c2d3e4f5a6b", i + 1);
      g_autofree char *record = material (uuid, "00001", 0, i == 20 ? -5 : 10);
      g_string_append_printf (first, "%s%s", i > 0 ? "," : "", record);
      if (i != 20)
        g_string_append_printf (created, "%s%s", created->len > 0 ? "," : "", uuid);
      if (i < 17)
        {
          g_autofree char *again = material (uuid, "00001", 1, 11);
          g_string_append_printf (second, "%s%s", i > 0 ? "," : "", again);
          g_string_append_printf (updated, "%s%s", i > 0 ? "," : "", uuid);
        }
    }
  results = push (f, device, first->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (results, 20), ==, "rejected");
  g_assert_cmpstr (status_of (results, 38), ==, "accepted");
  g_clear_pointer (&results, json_array_unref);
  results = push (f, device, second->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (results, 16), ==, "accepted");

  sql = g_strdup_printf ("SELECT group_concat (record_uuid, ',') FROM (SELECT record_uuid FROM"
                         " audit WHERE action = 'create' AND actor = '%s' AND object = record_uuid"
                         " AND version = 1 AND ok = 1 ORDER BY id)",
                         device->actor);
  listed = pcmbn_test_query_text (f->path, sql);
  g_assert_cmpstr (listed, ==, created->str);
  g_clear_pointer (&sql, g_free);
  g_clear_pointer (&listed, g_free);
  sql = g_strdup_printf ("SELECT group_concat (record_uuid, ',') FROM (SELECT record_uuid FROM"
                         " audit WHERE action = 'update' AND actor = '%s' AND object = record_uuid"
                         " AND version = 2 ORDER BY id)",
                         device->actor);
  listed = pcmbn_test_query_text (f->path, sql);
  g_assert_cmpstr (listed, ==, updated->str);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM audit WHERE action IN"
                                                  " ('create', 'update', 'delete')"),
                   ==, 38 + 17);
}

/* A push's answer says where its changes start in the sequence: all of
 * them from there on, and none of another push. */
static void
test_push_first_seq (Fixture *f, gconstpointer data)
{
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  gint64 last_first = 0;

  for (int round = 0; round < 3; round++)
    {
      g_autoptr (GString) body = g_string_new ("{\"records\":[");
      g_autoptr (GPtrArray) parsed = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *answer = NULL, *sql = NULL;
      gint64 first;

      /* 20 new records each round, and the first round's first five again,
       * changed: a record's earlier place in the sequence goes. */
      for (int i = 0; i < 25; i++)
        {
          gboolean again = i >= 20;
          int n = again ? i - 20 : round * 20 + i;
          g_autofree char *uuid = g_strdup_printf ("%08x-2f4a-4d7e-9b1a-0c2d3e4f5a6b", n + 1);
          g_autofree char *record = material (uuid, "00001", again ? round : 0,
                                              again ? 100 + round : 10);
          if (round == 0 && again)
            break;
          g_string_append_printf (body, "%s%s", i > 0 ? "," : "", record);
        }
      g_string_append (body, "]}");
      parsed = pcmbn_wire_parse_push (body->str, body->len, NULL);
      answer = pcmbn_district_store_push (f->store, device, parsed, &error);
      g_assert_no_error (error);
      root = parse (answer);
      first = json_object_get_int_member (json_node_get_object (root), "first_seq");
      g_assert_cmpint (first, >, last_first);
      sql = g_strdup_printf ("SELECT min(seq) FROM changes WHERE seq >= %" G_GINT64_FORMAT, first);
      g_assert_cmpint (pcmbn_test_query_int (f->path, sql), ==, first);
      g_clear_pointer (&sql, g_free);
      sql = g_strdup_printf ("SELECT count(*) FROM changes WHERE seq >= %" G_GINT64_FORMAT, first);
      g_assert_cmpint (pcmbn_test_query_int (f->path, sql), ==, round == 0 ? 20 : 25);
      last_first = first;
    }
  /* Every record once in the sequence, with its latest version. */
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM changes WHERE record_id"
                                                  " IS NOT NULL"),
                   ==, 60);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM record_versions"), ==,
                   60 + 10);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM changes c JOIN records r ON"
                                                  " r.id = c.record_id JOIN record_versions v ON"
                                                  " v.record_id = r.id AND v.version = r.version"
                                                  " AND v.device_id = c.device_id"),
                   ==, 60);
}

static void
test_push_refused_whole (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) a = enrol (f, "00001");
  g_autoptr (PcmbnDistrictEnrolment) b = enrol (f, "00004");
  g_autoptr (PcmbnDistrictPrincipal) device_a = device_of (f, a);
  g_autoptr (PcmbnDistrictPrincipal) device_b = device_of (f, b);
  g_autofree char *mine = material (UUID1, "00001", 0, 10);
  g_autofree char *theirs = material (UUID2, "00004", 0, 10);
  g_autofree char *both = g_strdup_printf ("%s,%s", mine, theirs);
  g_autofree char *taken = material (UUID2, "00001", 0, 10);
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr (JsonArray) results = NULL;

  before = pcmbn_test_db_digest (f->path);
  g_assert_null (push (f, device_a, both, &error));
  g_assert_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "records[1]"));
  g_clear_error (&error);
  after = pcmbn_test_db_digest (f->path);
  g_assert_cmpstr (before, ==, after);

  /* A uuid the server holds for another commune. */
  results = push (f, device_b, theirs, &error);
  g_assert_no_error (error);
  g_clear_pointer (&results, json_array_unref);
  g_free (before);
  before = pcmbn_test_db_digest (f->path);
  g_assert_null (push (f, device_a, taken, &error));
  g_assert_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN);
  g_free (after);
  after = pcmbn_test_db_digest (f->path);
  g_assert_cmpstr (before, ==, after);
}

/* Rejections one by one, and references resolved by the core's one
 * resolver: within the push, in the device's commune, of the right kind. */
static void
test_push_rejects_and_references (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  g_autoptr (JsonArray) results = NULL;
  const char *records =
      "{\"uuid\":\"" MODEL "\",\"kind\":\"model\",\"org_unit\":\"00001\",\"base_version\":0,"
      "\"data\":" MODEL_DATA "},"
      "{\"uuid\":\"" MEETING "\",\"kind\":\"model-meeting\",\"org_unit\":\"00001\","
      "\"base_version\":0,\"data\":{\"model\":\"" MODEL "\",\"date\":\"2025-02-01\","
      "\"participants_total\":10,\"participants_female\":5,\"topics\":[\"hotline\"]}},"
      /* a meeting of a "model" that is a meeting */
      "{\"uuid\":\"33333333-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"model-meeting\","
      "\"org_unit\":\"00001\",\"base_version\":0,\"data\":{\"model\":\"" MEETING "\","
      "\"date\":\"2025-02-01\",\"participants_total\":10,\"participants_female\":5,"
      "\"topics\":[\"hotline\"]}},"
      "{\"uuid\":\"44444444-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"material\","
      "\"org_unit\":\"00001\",\"base_version\":0,\"data\":{}},"
      "{\"uuid\":\"" MODEL "\",\"kind\":\"material\",\"org_unit\":\"00001\",\"base_version\":1,"
      "\"data\":{}}";

  results = push (f, device, records, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (results), ==, 5);
  g_assert_cmpstr (status_of (results, 0), ==, "accepted");
  g_assert_cmpstr (status_of (results, 1), ==, "accepted");
  g_assert_cmpstr (status_of (results, 2), ==, "rejected");
  g_assert_cmpstr (error_of (results, 2, "field"), ==, "model");
  g_assert_cmpstr (status_of (results, 3), ==, "rejected");
  g_assert_cmpstr (error_of (results, 4, "code"), ==, "kind_mismatch");
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM records"), ==, 2);

  /* A push that names a stored model, deletes it, then names it again: the
   * model read for the first meeting is remembered for the push, and
   * forgotten with the deletion. */
  {
    g_autoptr (JsonArray) again = NULL;
    const char *meeting_of_model =
        "\"kind\":\"model-meeting\",\"org_unit\":\"00001\",\"base_version\":0,"
        "\"data\":{\"model\":\"" MODEL "\",\"date\":\"2025-03-01\","
        "\"participants_total\":10,\"participants_female\":5,\"topics\":[\"hotline\"]}}";
    g_autofree char *three = g_strconcat (
        "{\"uuid\":\"55555555-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",", meeting_of_model,
        ",{\"uuid\":\"" MODEL "\",\"kind\":\"model\",\"org_unit\":\"00001\","
        "\"base_version\":1,\"deleted\":true,\"data\":" MODEL_DATA "},"
        "{\"uuid\":\"66666666-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",",
        meeting_of_model, NULL);

    again = push (f, device, three, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (again), ==, 3);
    g_assert_cmpstr (status_of (again, 0), ==, "accepted");
    g_assert_cmpstr (status_of (again, 1), ==, "accepted");
    g_assert_cmpstr (status_of (again, 2), ==, "rejected");
    g_assert_cmpstr (error_of (again, 2, "field"), ==, "model");
  }
}

static JsonObject *
no_record (const char *uuid, const char *kind, gpointer user_data)
{
  return NULL;
}

/* A meeting's references are checked in the write turn, its other rules
 * with them: a meeting before its model's start, one of a model that is
 * not there, and one with both an error of its own and a missing model,
 * every error listed as checking it whole lists them. */
static void
test_push_references_in_turn (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  g_autoptr (JsonArray) results = NULL;
  static const char *const meetings[] = {
    "{\"model\":\"" MODEL "\",\"date\":\"2024-12-01\",\"participants_total\":10,"
    "\"participants_female\":5,\"topics\":[\"hotline\"]}",
    "{\"model\":\"77777777-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"date\":\"2025-02-01\","
    "\"participants_total\":10,\"participants_female\":5,\"topics\":[\"hotline\"]}",
    "{\"model\":\"77777777-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"date\":\"2025-02-01\","
    "\"participants_total\":10,\"participants_female\":50,\"topics\":[\"hotline\"]}",
  };
  static const char *const fields[] = { "date", "model", "model" };
  g_autoptr (GString) records = g_string_new (
      "{\"uuid\":\"" MODEL "\",\"kind\":\"model\",\"org_unit\":\"00001\",\"base_version\":0,"
      "\"data\":" MODEL_DATA "}");

  for (guint i = 0; i < G_N_ELEMENTS (meetings); i++)
    g_string_append_printf (records,
                            ",{\"uuid\":\"%08x-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":"
                            "\"model-meeting\",\"org_unit\":\"00001\",\"base_version\":0,"
                            "\"data\":%s}",
                            0x88880000 + i, meetings[i]);
  results = push (f, device, records->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (results, 0), ==, "accepted");
  for (guint i = 0; i < G_N_ELEMENTS (meetings); i++)
    {
      const PcmbnKind *kind = pcmbn_schema_kind ("model-meeting");
      g_autoptr (JsonObject) input = pcmbn_test_json (meetings[i]);
      g_autoptr (GPtrArray)
          errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
      g_autoptr (JsonObject) normal = pcmbn_schema_normalize (kind, input, NULL, errors);
      g_autofree char *whole = NULL;

      g_assert_cmpstr (status_of (results, i + 1), ==, "rejected");
      g_assert_cmpstr (error_of (results, i + 1, "field"), ==, fields[i]);
      /* The others name a model the server does not have either. */
      if (i == 0)
        continue;
      pcmbn_schema_validate (kind, normal, no_record, NULL, errors);
      whole = pcmbn_field_errors_to_string (errors);
      g_assert_cmpstr (error_of (results, i + 1, "message"), ==, whole);
    }
  g_assert_nonnull (strstr (error_of (results, 1, "message"), "(01/01/2025)"));
  /* The last lists its own error after the missing model. */
  g_assert_nonnull (strstr (error_of (results, 3, "message"), "\nparticipants_female: "));
}

static void
test_changes_since (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) a = enrol (f, "00001");
  g_autoptr (PcmbnDistrictEnrolment) b = enrol (f, "00004");
  g_autoptr (PcmbnDistrictPrincipal) device_a = device_of (f, a);
  g_autoptr (PcmbnDistrictPrincipal) device_b = device_of (f, b);
  g_autofree char *one = material (UUID1, "00001", 0, 10);
  g_autofree char *two = material (UUID2, "00004", 0, 10);
  g_autoptr (JsonArray) results = NULL;
  g_autoptr (JsonObject) page = NULL;
  g_autoptr (JsonNode) devices = NULL;
  JsonArray *changes;
  JsonObject *record;
  gint64 next;

  g_clear_pointer (&results, json_array_unref);
  results = push (f, device_a, one, &error);
  g_clear_pointer (&results, json_array_unref);
  results = push (f, device_b, two, &error);
  g_assert_no_error (error);

  /* Everything of 00001: its org unit, then its one record. */
  page = pull (f, "00001", 0, 500);
  changes = json_object_get_array_member (page, "changes");
  g_assert_cmpuint (json_array_get_length (changes), ==, 2);
  g_assert_cmpstr (
      json_object_get_string_member (
          json_object_get_object_member (json_array_get_object_element (changes, 0), "org_unit"),
          "code"),
      ==, "00001");
  record = json_object_get_object_member (json_array_get_object_element (changes, 1), "record");
  g_assert_cmpstr (json_object_get_string_member (record, "uuid"), ==, UUID1);
  g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 1);
  g_assert_false (json_object_get_boolean_member (page, "more"));
  next = json_object_get_int_member (page, "next");
  g_clear_pointer (&page, json_object_unref);

  /* One at a time. */
  page = pull (f, "00001", 0, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "changes")), ==, 1);
  g_assert_true (json_object_get_boolean_member (page, "more"));
  g_clear_pointer (&page, json_object_unref);

  /* At the end, and past it: nothing, and the cursor stays. */
  page = pull (f, "00001", next, 500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "changes")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (page, "next"), ==, next);
  g_assert_false (json_object_get_boolean_member (page, "more"));
  g_clear_pointer (&page, json_object_unref);
  page = pull (f, "00001", next + 1000, 500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "changes")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (page, "next"), ==, next + 1000);
  g_clear_pointer (&page, json_object_unref);

  /* Another commune never sees it; an unknown one sees nothing. */
  page = pull (f, "00004", 0, 500);
  changes = json_object_get_array_member (page, "changes");
  g_assert_cmpuint (json_array_get_length (changes), ==, 2);
  record = json_object_get_object_member (json_array_get_object_element (changes, 1), "record");
  g_assert_cmpstr (json_object_get_string_member (record, "uuid"), ==, UUID2);
  g_clear_pointer (&page, json_object_unref);
  page = pull (f, "99999", 0, 500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "changes")), ==, 0);

  device_a->address = g_strdup ("10.1.2.3");
  g_assert_true (pcmbn_district_store_note_pull (f->store, device_a, next, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_test_query_int (
                       f->path,
                       "SELECT count(*) FROM audit WHERE action = 'pull' AND address = '10.1.2.3'"
                       " AND actor LIKE 'device:%' AND ok = 1"),
                   ==, 1);
  devices = pcmbn_district_store_list_devices (f->store);
  g_assert_false (json_object_get_null_member (
      json_array_get_object_element (json_node_get_array (devices), 0), "last_seen"));
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM commune_sync"), ==, 2);
}

/* ---- blobs and audit ---------------------------------------------------------- */

static void
test_blobs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictEnrolment) other = enrol (f, "00004");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  g_autoptr (PcmbnDistrictPrincipal) device_b = device_of (f, other);
  g_autoptr (GBytes) bytes = g_bytes_new_static ("photo", 5);
  g_autofree char *sha = pcmbn_sha256_hex ((const guint8 *)"photo", 5);
  gboolean exists = TRUE;

  g_assert_true (pcmbn_district_store_has_blob (f->store, sha, "00001", &exists, &error));
  g_assert_false (exists);
  g_assert_true (pcmbn_district_store_put_blob (f->store, sha, bytes, device, &error));
  g_assert_no_error (error);
  g_assert_true (pcmbn_district_store_has_blob (f->store, sha, "00001", &exists, &error));
  g_assert_true (exists);
  /* Another commune does not see it... */
  g_assert_true (pcmbn_district_store_has_blob (f->store, sha, "00004", &exists, &error));
  g_assert_false (exists);
  g_assert_true (pcmbn_district_store_has_blob (f->store, sha, NULL, &exists, &error));
  g_assert_true (exists);
  /* ...until it sends the same file: the bytes stay stored once. */
  g_assert_true (pcmbn_district_store_put_blob (f->store, sha, bytes, device_b, &error));
  g_assert_true (pcmbn_district_store_has_blob (f->store, sha, "00004", &exists, &error));
  g_assert_true (exists);
  g_assert_true (pcmbn_district_store_put_blob (f->store, sha, bytes, device, &error));
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM blobs"), ==, 1);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM blob_scopes"), ==, 2);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT size FROM blobs"), ==, 5);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT count(*) FROM audit WHERE action = 'blob'"), ==, 3);
}

static void
test_sessions (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autofree char *token = pcmbn_district_store_new_staff_token (f->store, "Lan", &error);
  g_autofree char *hash = pcmbn_district_hash_secret (token);
  g_autofree char *device_hash = pcmbn_district_hash_secret (e->token);
  g_autofree char *id = NULL, *short_id = NULL, *device_session = NULL, *text = NULL;
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;

  id = pcmbn_district_store_new_session (f->store, hash, 3600, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (id), ==, 64);
  who = pcmbn_district_store_session_staff (f->store, id, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_STAFF);
  g_assert_cmpstr (who->id, ==, "Lan");
  g_clear_pointer (&who, pcmbn_district_principal_free);

  /* Neither the id nor the token is in the file; the session survives a
   * restart (a new connection). */
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM dashboard_sessions"), ==,
                   1);
  text = g_strdup_printf ("SELECT count(*) FROM dashboard_sessions WHERE id_hash = '%s' OR"
                          " token_hash = '%s'",
                          id, token);
  g_assert_cmpint (pcmbn_test_query_int (f->path, text), ==, 0);
  g_clear_object (&f->store);
  f->store = pcmbn_district_store_open (f->path, FALSE, &error);
  who = pcmbn_district_store_session_staff (f->store, id, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_STAFF);
  g_clear_pointer (&who, pcmbn_district_principal_free);

  /* Unknown, expired, a device's token: no one. */
  who = pcmbn_district_store_session_staff (f->store, "not-a-session", &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_UNKNOWN);
  g_clear_pointer (&who, pcmbn_district_principal_free);
  short_id = pcmbn_district_store_new_session (f->store, hash, -1, &error);
  who = pcmbn_district_store_session_staff (f->store, short_id, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_UNKNOWN);
  g_clear_pointer (&who, pcmbn_district_principal_free);
  device_session = pcmbn_district_store_new_session (f->store, device_hash, 3600, &error);
  who = pcmbn_district_store_session_staff (f->store, device_session, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_UNKNOWN);
  g_clear_pointer (&who, pcmbn_district_principal_free);

  /* Signed out: gone. The expired one and the device's were dropped. */
  pcmbn_district_store_end_session (f->store, id);
  who = pcmbn_district_store_session_staff (f->store, id, &error);
  g_assert_cmpint (who->kind, ==, PCMBN_DISTRICT_TOKEN_UNKNOWN);
  g_clear_pointer (&who, pcmbn_district_principal_free);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM dashboard_sessions"), ==,
                   0);

  /* Bounded: the oldest go first. */
  for (guint i = 0; i < 1005; i++)
    g_free (pcmbn_district_store_new_session (f->store, hash, 3600 + i, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM dashboard_sessions"), ==,
                   1000);
}

static void
test_count_refused (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 3; i++)
    pcmbn_district_store_audit (f->store, "unknown", "sign-in", "dashboard", "10.0.0.1", FALSE);
  pcmbn_district_store_audit (f->store, "staff:Lan", "sign-in", "dashboard", "10.0.0.1", TRUE);
  pcmbn_district_store_audit (f->store, "unknown", "sign-in", "/api/v1/sync/pull", "10.0.0.1",
                              FALSE);
  pcmbn_district_store_audit (f->store, "unknown", "sign-in", "dashboard", "10.0.0.2", FALSE);
  g_assert_cmpuint (
      pcmbn_district_store_count_refused (f->store, "sign-in", "dashboard", "10.0.0.1", 600), ==,
      3);
  g_assert_cmpuint (pcmbn_district_store_count_refused (f->store, "sign-in", NULL, "10.0.0.1", 600),
                    ==, 4);
  g_assert_cmpuint (
      pcmbn_district_store_count_refused (f->store, "sign-in", "dashboard", "10.0.0.9", 600), ==,
      0);
  /* Older than the window: not counted. */
  exec_sql (f->path, "UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE address = '10.0.0.2'");
  g_assert_cmpuint (
      pcmbn_district_store_count_refused (f->store, "sign-in", "dashboard", "10.0.0.2", 600), ==,
      0);
}

static void
test_audit (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) all = NULL, last = NULL, later = NULL;
  g_autofree char *text = NULL;
  gint64 before = pcmbn_test_query_int (f->path, "SELECT count(*) FROM audit");
  JsonArray *entries;
  JsonObject *entry;
  guint n;

  g_assert_true (
      pcmbn_district_store_audit (f->store, "staff:Lan", "sign-in", "dashboard", "10.0.0.7", TRUE));
  g_assert_true (
      pcmbn_district_store_audit (f->store, "unknown", "sign-in", "dashboard", "10.0.0.8", FALSE));
  g_assert_true (pcmbn_district_store_audit_record (f->store, "device:x", "create", UUID1, 3, NULL,
                                                    "10.0.0.9", TRUE));
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM audit"), ==, before + 3);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT version FROM audit ORDER BY id DESC"), ==,
                   3);
  text = audit_text (f->path);
  g_assert_nonnull (strstr (text, "admin init"));

  /* Oldest first, every field of the contract. */
  all = pcmbn_district_store_read_audit (f->store, NULL, 0, &error);
  g_assert_no_error (error);
  entries = json_node_get_array (all);
  n = json_array_get_length (entries);
  g_assert_cmpuint (n, ==, before + 3);
  entry = json_array_get_object_element (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "init");
  g_assert_cmpstr (json_object_get_string_member (entry, "object"), ==, "001");
  g_assert_true (json_object_get_null_member (entry, "address"));
  entry = json_array_get_object_element (entries, n - 2);
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "unknown");
  g_assert_cmpstr (json_object_get_string_member (entry, "address"), ==, "10.0.0.8");
  g_assert_false (json_object_get_boolean_member (entry, "ok"));
  entry = json_array_get_object_element (entries, n - 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "object"), ==, UUID1);
  g_assert_true (json_object_get_boolean_member (entry, "ok"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (entry, "at"), "Z"));
  g_assert_cmpuint (json_object_get_size (entry), ==, 6);

  /* --limit: the most recent ones, still oldest first. */
  last = pcmbn_district_store_read_audit (f->store, NULL, 2, &error);
  entries = json_node_get_array (last);
  g_assert_cmpuint (json_array_get_length (entries), ==, 2);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (entries, 0), "actor"), ==,
      "unknown");
  /* --since: a day after today has nothing yet. */
  later = pcmbn_district_store_read_audit (f->store, "2999-01-01", 0, &error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (later)), ==, 0);

  g_assert_null (pcmbn_district_store_read_audit (f->store, "yesterday", 0, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE);
  g_clear_error (&error);
  g_assert_null (pcmbn_district_store_read_audit (f->store, NULL, -1, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE);
}

/* A database of server schema 1 gains the audit's object, address and ok,
 * its earlier lines keeping what they named. */
static void
test_audit_migration (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) entries = NULL;
  JsonObject *entry;

  g_clear_object (&f->store);
  /* As server schema 1 left it: a blob of 00001's device, the old audit. */
  exec_sql (f->path, "INSERT INTO devices (id, name, org_unit, token_hash, created_at) VALUES"
                     " ('d-1', 'Laptop', '00001', 'h', '2026-01-01T00:00:00Z');"
                     "INSERT INTO blobs (sha256, size, data, created_at, device_id) VALUES"
                     " ('abc', 1, x'00', '2026-01-01T00:00:00Z', 'd-1');"
                     "DROP TABLE blob_scopes; DROP TABLE dashboard_sessions;"
                     "DROP INDEX audit_refused; ALTER TABLE changes DROP COLUMN device_id;"
                     "DROP TABLE record_versions; CREATE TABLE record_versions (uuid TEXT NOT NULL,"
                     " version INTEGER NOT NULL, edit_hash TEXT NOT NULL, device_id TEXT,"
                     " at TEXT NOT NULL, PRIMARY KEY (uuid, version));"
                     "DROP INDEX changes_record; ALTER TABLE changes DROP COLUMN record_id;"
                     "CREATE UNIQUE INDEX changes_record ON changes (record_uuid)"
                     " WHERE record_uuid IS NOT NULL;");
  exec_sql (f->path, "DROP INDEX audit_at; ALTER TABLE audit DROP COLUMN object;"
                     "ALTER TABLE audit DROP COLUMN address; ALTER TABLE audit DROP COLUMN ok;"
                     "UPDATE meta SET value = '1' WHERE key = 'server_schema';"
                     "INSERT INTO audit (at, actor, action, record_uuid, version, detail) VALUES"
                     " ('2026-01-01T00:00:00Z', 'admin', 'revoke', NULL, NULL, 'd-1'),"
                     " ('2026-01-01T00:00:00Z', 'device:d', 'create', '" UUID1 "', 1, NULL);");
  f->store = pcmbn_district_store_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT value FROM meta WHERE key = 'server_schema'"), ==, 8);
  /* Schema 7: the audit is no longer indexed by record, which nothing read. */
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM sqlite_master WHERE name ="
                                                  " 'audit_record'"),
                   ==, 0);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT count(*) FROM audit WHERE record_uuid = '" UUID1 "'"),
      ==, 1);
  g_assert_cmpint (pcmbn_test_query_int (f->path,
                                         "SELECT count(*) FROM pragma_table_info ('changes')"
                                         " WHERE name = 'device_id'"),
                   ==, 1);
  g_assert_cmpint (pcmbn_test_query_int (f->path,
                                         "SELECT count(*) FROM blob_scopes WHERE sha256 = 'abc' AND"
                                         " org_unit = '00001'"),
                   ==, 1);
  entries = pcmbn_district_store_read_audit (f->store, NULL, 2, &error);
  entry = json_array_get_object_element (json_node_get_array (entries), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "object"), ==, "d-1");
  g_assert_true (json_object_get_boolean_member (entry, "ok"));
  g_assert_true (json_object_get_null_member (entry, "address"));
  entry = json_array_get_object_element (json_node_get_array (entries), 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "object"), ==, UUID1);
}

/* A database of server schema 7 named versions and changes by uuid: they
 * come to name the record's row, and what was pushed before is still known
 * (a retry of an edit changes nothing) and still pulled. */
static void
test_versions_migration (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) e = enrol (f, "00001");
  g_autoptr (PcmbnDistrictPrincipal) device = device_of (f, e);
  g_autofree char *one = material (UUID1, "00001", 0, 10);
  g_autofree char *one_v2 = material (UUID1, "00001", 1, 20);
  g_autofree char *two = material (UUID2, "00001", 0, 5);
  g_autoptr (JsonArray) results = NULL;
  g_autoptr (JsonObject) page = NULL;
  JsonArray *changes;
  JsonObject *record;

  results = push (f, device, two, &error);
  g_assert_no_error (error);
  g_clear_pointer (&results, json_array_unref);
  results = push (f, device, one, &error);
  g_assert_no_error (error);
  g_clear_pointer (&results, json_array_unref);
  results = push (f, device, one_v2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result (results, 0), "version"), ==, 2);
  g_clear_pointer (&results, json_array_unref);
  g_clear_object (&f->store);

  /* Back to schema 7's tables, with what they held. */
  exec_sql (f->path, "CREATE TABLE rv7 (uuid TEXT NOT NULL, version INTEGER NOT NULL,"
                     " edit_hash TEXT NOT NULL, device_id TEXT, at TEXT NOT NULL,"
                     " PRIMARY KEY (uuid, version)) WITHOUT ROWID;"
                     "INSERT INTO rv7 SELECT r.uuid, v.version, v.edit_hash, v.device_id, v.at"
                     " FROM record_versions v JOIN records r ON r.id = v.record_id;"
                     "DROP TABLE record_versions; ALTER TABLE rv7 RENAME TO record_versions;"
                     "DROP INDEX changes_record; ALTER TABLE changes DROP COLUMN record_id;"
                     "CREATE UNIQUE INDEX changes_record ON changes (record_uuid)"
                     " WHERE record_uuid IS NOT NULL;"
                     "UPDATE meta SET value = '7' WHERE key = 'server_schema';");
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM record_versions"), ==, 3);

  f->store = pcmbn_district_store_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      pcmbn_test_query_int (f->path, "SELECT value FROM meta WHERE key = 'server_schema'"), ==, 8);
  g_assert_cmpint (pcmbn_test_query_int (f->path,
                                         "SELECT count(*) FROM record_versions v JOIN records r"
                                         " ON r.id = v.record_id"),
                   ==, 3);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM changes c JOIN records r ON"
                                                  " r.id = c.record_id AND r.uuid = c.record_uuid"),
                   ==, 2);

  /* A retry of the last edit: the version it made, nothing new. */
  results = push (f, device, one_v2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status_of (results, 0), ==, "accepted");
  g_assert_cmpint (json_object_get_int_member (result (results, 0), "version"), ==, 2);
  g_clear_pointer (&results, json_array_unref);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM record_versions"), ==, 3);

  /* Pulled as before, in the order of their changes. */
  page = pull (f, "00001", 0, 500);
  changes = json_object_get_array_member (page, "changes");
  g_assert_cmpuint (json_array_get_length (changes), ==, 3);
  record = json_object_get_object_member (json_array_get_object_element (changes, 1), "record");
  g_assert_cmpstr (json_object_get_string_member (record, "uuid"), ==, UUID2);
  record = json_object_get_object_member (json_array_get_object_element (changes, 2), "record");
  g_assert_cmpstr (json_object_get_string_member (record, "uuid"), ==, UUID1);
  g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 2);
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

/* @mib MiB of new pages in one commit of @store's connection. */
static void
write_pages (PcmbnDistrictStore *store, guint mib)
{
  sqlite3 *db = pcmbn_store_get_db (pcmbn_district_store_get_store (store));
  g_autofree char *sql = g_strdup_printf (
      "CREATE TABLE IF NOT EXISTS filler (x BLOB);"
      "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %u)"
      " INSERT INTO filler SELECT randomblob (1000) FROM n;",
      mib * 1024);

  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

/* A commit that fills the log leaves the copy into the database to the
 * checkpointer's thread: the database file has not grown when the commit
 * returns (the thread is paused), and has once the thread ran. The thread
 * waits for a moment without commits, unless the log reaches four times
 * its limit. Without a checkpointer (a command such as `pcmbn-district
 * import`), the commit copies the log itself; with one that cannot keep
 * up, a commit copies it when it reaches eight times its limit. */
static void
test_checkpointer (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictCheckpointer) cp = pcmbn_district_checkpointer_new (f->path, &error);
  goffset before;
  guint runs;

  g_assert_no_error (error);
  {
    /* No database there: an error naming the file, no thread. */
    g_autofree char *missing = g_build_filename (f->dir, "missing.sqlite", NULL);
    g_autoptr (GError) open_error = NULL;
    g_assert_null (pcmbn_district_checkpointer_new (missing, &open_error));
    g_assert_error (open_error, PCMBN_ERROR, PCMBN_ERROR_FAILED);
    g_assert_nonnull (strstr (open_error->message, missing));
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }
  /* No checkpointer: the commit copies (SQLite's autocheckpoint). */
  before = file_size (f->path);
  write_pages (f->store, 20);
  g_assert_cmpint (file_size (f->path), >, before + 19 * 1024 * 1024);

  /* Attached and paused: the commit returns with the pages in the log. */
  pcmbn_district_checkpointer_attach (cp, f->store);
  pcmbn_district_checkpointer_set_paused (cp, TRUE);
  before = file_size (f->path);
  write_pages (f->store, 20);
  g_assert_cmpint (file_size (f->path), <, before + 1024 * 1024);
  /* Let go, the thread copies them. */
  pcmbn_district_checkpointer_set_paused (cp, FALSE);
  runs = pcmbn_district_checkpointer_wait (cp);
  g_assert_cmpuint (runs, ==, 1);
  g_assert_cmpint (file_size (f->path), >, before + 19 * 1024 * 1024);

  /* No quiet moment comes (an hour would be needed): the log is over its
   * limit and stays in the log, until it reaches four times its limit
   * (64 MB), when the thread copies it all the same. */
  pcmbn_district_checkpointer_set_quiet (cp, 3600);
  before = file_size (f->path);
  write_pages (f->store, 20);
  g_assert_cmpuint (pcmbn_district_checkpointer_get_runs (cp), ==, 1);
  g_assert_cmpint (file_size (f->path), <, before + 1024 * 1024);
  write_pages (f->store, 50);
  g_assert_cmpuint (pcmbn_district_checkpointer_wait (cp), ==, 2);
  g_assert_cmpint (file_size (f->path), >, before + 69 * 1024 * 1024);

  /* Paused again, the log grows to eight times its limit (128 MB): the
   * commit that reaches it copies the log itself. */
  pcmbn_district_checkpointer_set_paused (cp, TRUE);
  before = file_size (f->path);
  write_pages (f->store, 20);
  g_assert_cmpint (file_size (f->path), <, before + 1024 * 1024);
  write_pages (f->store, 110);
  g_assert_cmpint (file_size (f->path), >, before + 129 * 1024 * 1024);
  pcmbn_district_checkpointer_set_paused (cp, FALSE);

  /* The store outlives the checkpointer: its commits go on. */
  g_clear_pointer (&cp, pcmbn_district_checkpointer_free);
  write_pages (f->store, 1);
  g_assert_cmpint (pcmbn_test_query_int (f->path, "SELECT count(*) FROM filler"), ==, 241 * 1024);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  g_test_add_func ("/district-store/open/bad-files", test_open_bad_files);
  ADD ("/district-store/checkpointer", test_checkpointer);
  ADD ("/district-store/open/reopen-keeps-schema", test_reopen_keeps_schema);
  g_test_add_func ("/district-store/initialize/bad-units", test_initialize_bad_units);
  ADD ("/district-store/org-units", test_org_units);
  ADD ("/district-store/enrol-codes", test_enrol_codes);
  ADD ("/district-store/authenticate", test_authenticate);
  ADD ("/district-store/push/rows", test_push_and_rows);
  ADD ("/district-store/push/audits-each-record", test_push_audits_each_record);
  ADD ("/district-store/push/first-seq", test_push_first_seq);
  ADD ("/district-store/push/references-in-turn", test_push_references_in_turn);
  ADD ("/district-store/push/refused-whole", test_push_refused_whole);
  ADD ("/district-store/push/rejects-and-references", test_push_rejects_and_references);
  ADD ("/district-store/changes-since", test_changes_since);
  ADD ("/district-store/blobs", test_blobs);
  ADD ("/district-store/sessions", test_sessions);
  ADD ("/district-store/count-refused", test_count_refused);
  ADD ("/district-store/audit", test_audit);
  ADD ("/district-store/audit/migration", test_audit_migration);
  ADD ("/district-store/push/versions-migration", test_versions_migration);
#undef ADD
  return g_test_run ();
}
