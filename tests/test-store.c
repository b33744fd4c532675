/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "records/pcmbn-json-text.h"
#include "store/pcmbn-demo.h"
#include "store/pcmbn-record-list.h"
#include "store/pcmbn-store-batch.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "records/pcmbn-catalogue.h"
#include "pcmbn-util.h"

#define TALK                                                                                            \
  "{\"date\":\"2025-03-08\",\"activity_type\":\"community_talk\",\"subproject\":\"community\","         \
  "\"title\":\"Nói chuyện tại thôn Đông\",\"participants_total\":40,\"participants_14_60\":30," \
  "\"topics\":[\"hotline\",\"forced_labour\"]}"

static char *
query_text (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt;
  char *result = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0))
    result = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return result;
}

static void
test_open_creates_private_wal_file (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *mode = NULL, *fk = NULL, *version = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  mode = query_text (pcmbn_store_get_db (store), "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  {
    /* A new file has the store's larger pages. */
    g_autofree char *page_size = query_text (pcmbn_store_get_db (store), "PRAGMA page_size");
    g_assert_cmpstr (page_size, ==, "16384");
  }
  /* Not enforced: the codes' one holds by construction (see
   * test_many_codes()). */
  fk = query_text (pcmbn_store_get_db (store), "PRAGMA foreign_keys");
  g_assert_cmpstr (fk, ==, "0");
  version = query_text (pcmbn_store_get_db (store), "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, PCMBN_STORE_SCHEMA_VERSION);
  g_assert_cmpstr (pcmbn_store_get_org_unit (store), ==, "00001");
}

static void
test_open_refuses_garbage_and_newer (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *garbage = g_build_filename (dir, "garbage.sqlite", NULL);
  g_autofree char *newer = g_build_filename (dir, "newer.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = NULL;
  sqlite3 *db;

  g_file_set_contents (garbage, "this is not a database, it is a text file of some length.....", -1,
                       NULL);
  store = pcmbn_store_open (garbage, &error);
  g_assert_null (store);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_cmpint (sqlite3_open (newer, &db), ==, SQLITE_OK);
  sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL);
  sqlite3_close (db);
  store = pcmbn_store_open (newer, &error);
  g_assert_null (store);
  g_assert_nonnull (strstr (error->message, "99"));
}

static char *
indexes_of (sqlite3 *db)
{
  return query_text (db, "SELECT group_concat (name || ' ' || sql, ';') FROM (SELECT name, sql FROM"
                         " sqlite_master WHERE type = 'index' AND tbl_name IN ('records',"
                         " 'record_codes') AND sql IS NOT NULL ORDER BY name)");
}

/* A bulk load that a process of version 9 left unfinished (its list of
 * indexes to make still names records_list and the older records_search)
 * ends at the next open with the indexes of today. */
static void
test_migration_pending_bulk_load (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "old.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = NULL, fresh = pcmbn_test_store_new (NULL);
  g_autofree char *want = indexes_of (pcmbn_store_get_db (fresh)), *have = NULL;
  sqlite3 *db;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_true (pcmbn_store_migrate (db, 9, &error));
  g_assert_no_error (error);
  g_assert_true (pcmbn_store_exec (
      db,
      "INSERT INTO meta VALUES ('org_unit', '00001');"
      "DROP INDEX records_list; DROP INDEX records_search;"
      "INSERT INTO meta VALUES ('bulk_load_schema', 'CREATE INDEX IF NOT EXISTS records_list ON"
      " records (kind, deleted, rdate, id);' || char (10) || 'CREATE INDEX IF NOT EXISTS"
      " records_search ON records (kind, deleted, rdate, search);' || char (10));",
      &error));
  g_assert_no_error (error);
  sqlite3_close (db);

  store = pcmbn_store_open (path, &error);
  g_assert_no_error (error);
  have = indexes_of (pcmbn_store_get_db (store));
  g_assert_cmpstr (have, ==, want);
  g_assert_nonnull (strstr (have, "records (kind, deleted, rdate, id, search)"));
  g_assert_null (strstr (have, "records_list"));
}

/* Opening a current file only reads it: another program writing meanwhile
 * (the app syncing, a server's other workers) does not hold the open up.
 * Were the open to take the write lock, it would wait here for the busy
 * timeout and fail, since the writer below waits for the open. */
static void
test_open_while_another_writes (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autoptr (PcmbnStore) second = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *writer;

  g_assert_cmpint (sqlite3_open (path, &writer), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (writer,
                                 "BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES"
                                 " ('test-writer', '1');",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  second = pcmbn_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pcmbn_store_get_org_unit (second), ==, "00001");
  g_assert_cmpint (sqlite3_exec (writer, "ROLLBACK;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (writer);
}

/* A database written by each earlier schema version opens, upgrades and
 * keeps its records, with the report columns filled from the JSON. */
static void
test_migrations_from_every_version (void)
{
  for (int from = 0; from < PCMBN_STORE_SCHEMA_VERSION; from++)
    {
      g_autofree char *dir = pcmbn_test_tmpdir ();
      g_autofree char *path = g_build_filename (dir, "old.sqlite", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (PcmbnStore) store = NULL;
      g_autoptr (PcmbnRecord) record = NULL;
      g_autofree char *f_total = NULL, *n_codes = NULL, *version = NULL;
      const char *uuid = "0f8b7a3c-1d2e-4f50-8a6b-7c8d9e0f1a2b";
      sqlite3 *db;

      g_test_message ("upgrading from version %d", from);
      g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
      g_assert_true (pcmbn_store_migrate (db, from, &error));
      g_assert_no_error (error);
      if (from >= 1)
        {
          g_autofree char *insert = g_strdup_printf (
              "INSERT INTO meta VALUES ('org_unit', '00001');"
              "INSERT INTO org_units (code, name, full_name, level, parent_code) VALUES"
              " ('00001', 'Phúc Xá', 'Phường Phúc Xá', 'commune', NULL);"
              "INSERT INTO records (uuid, kind, org_unit, data, rdate, rtype, search, modified_at)"
              " VALUES ('%s', 'activity', '00001', '%s', '2025-03-08', 'community_talk',"
              " 'noi chuyen tai thon dong', '2025-03-08T10:00:00Z');",
              uuid, TALK);
          g_assert_true (pcmbn_store_exec (db, insert, &error));
          g_assert_no_error (error);
        }
      if (from >= 3 && from < 8)
        {
          /* A code listed twice, as a tombstone could hold it: kept once. */
          g_assert_true (pcmbn_store_exec (
              db, "INSERT INTO record_codes SELECT id, 'topics', 'hotline' FROM records;", &error));
          g_assert_no_error (error);
        }
      if (from >= 7)
        {
          /* From version 7 on, writers count live records themselves. */
          g_assert_true (pcmbn_store_exec (
              db, "INSERT INTO record_counts (kind, live) VALUES ('activity', 1);", &error));
          g_assert_no_error (error);
        }
      if (from >= 3)
        {
          /* From version 3 on, writers fill the report columns themselves. */
          g_assert_true (pcmbn_store_exec (db,
                                           "UPDATE records SET f_participants_total = 40;"
                                           "INSERT INTO record_codes SELECT id, 'topics', 'hotline'"
                                           " FROM records; INSERT INTO record_codes SELECT id,"
                                           " 'topics', 'forced_labour' FROM records;",
                                           &error));
          g_assert_no_error (error);
        }
      sqlite3_close (db);

      store = pcmbn_store_open (path, &error);
      g_assert_no_error (error);
      db = pcmbn_store_get_db (store);
      version = query_text (db, "PRAGMA user_version");
      g_assert_cmpint (atoi (version), ==, PCMBN_STORE_SCHEMA_VERSION);
      if (from == 0)
        continue;
      {
        /* The same indexes as a new store's, no more. */
        g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (NULL);
        g_autofree char *want = indexes_of (pcmbn_store_get_db (fresh));
        g_autofree char *have = indexes_of (db);
        g_assert_cmpstr (have, ==, want);
      }
      {
        /* A file made before keeps the pages it has, and works as ever. */
        g_autofree char *page_size = query_text (db, "PRAGMA page_size");
        g_assert_cmpstr (page_size, ==, "4096");
      }
      record = pcmbn_store_get (store, uuid, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (pcmbn_record_get_title (record), ==, "Nói chuyện tại thôn Đông");
      g_assert_cmpint (pcmbn_record_get_state (record), ==, PCMBN_STATE_DIRTY);
      f_total = query_text (db, "SELECT f_participants_total FROM records");
      g_assert_cmpstr (f_total, ==, "40");
      n_codes = query_text (db, "SELECT count(*) FROM record_codes WHERE field = 'topics'");
      g_assert_cmpstr (n_codes, ==, "2");
      g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 1);
      {
        /* The kept count of live records starts from the records there. */
        g_autofree char *live = query_text (
            db, "SELECT live FROM record_counts WHERE kind = 'activity'");
        g_assert_cmpstr (live, ==, "1");
      }
      {
        /* The search index holds the records written before it existed. */
        g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
        g_autofree char *indexed = query_text (
            db, "SELECT count(*) FROM records_fts_activity WHERE records_fts_activity MATCH"
                " '\"thon\" AND \"dong\"'");
        g_assert_cmpstr (indexed, ==, "1");
        pcmbn_record_list_set_search (list, "Thôn Đông");
        g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
      }
    }
}

static void
test_add_get_update_delete (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (JsonObject)
      patch = pcmbn_test_json ("{\"participants_14_60\":null,\"title\":\"Buổi 2\"}");
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = pcmbn_store_add (store, "activity", talk, &error);
  g_autoptr (PcmbnRecord) before = NULL, after = NULL, gone = NULL;

  g_assert_no_error (error);
  g_assert_true (pcmbn_uuid_is_valid (uuid));
  before = pcmbn_store_get (store, uuid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_data_get_int (pcmbn_record_get_data (before), "participants_14_60"), ==,
                   30);

  g_assert_true (pcmbn_store_update (store, uuid, patch, &error));
  g_assert_no_error (error);
  after = pcmbn_store_get (store, uuid, &error);
  g_assert_false (json_object_has_member (pcmbn_record_get_data (after), "participants_14_60"));
  g_assert_cmpstr (pcmbn_record_get_title (after), ==, "Buổi 2");
  g_assert_cmpint (pcmbn_data_get_int (pcmbn_record_get_data (after), "participants_total"), ==,
                   40);

  g_assert_true (pcmbn_store_delete (store, uuid, &error));
  gone = pcmbn_store_get (store, uuid, &error);
  g_assert_null (gone);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 0);
  /* The tombstone waits for the server. */
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 1);

  g_assert_true (pcmbn_store_undelete (store, uuid, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 1);
  g_assert_false (pcmbn_store_undelete (store, uuid, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND);
}

/* Every code of a record is kept, however many (they are written several
 * to a statement), and an update replaces them; each names its record. */
static void
test_many_codes (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (JsonObject) fewer = pcmbn_test_json ("{\"topics\":[\"hotline\"]}");
  JsonArray *topics = json_array_new ();
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup ("topics");
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *n = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *left = NULL;
  g_autofree char *orphans = NULL;
  g_autofree char *all = NULL;

  /* Every topic there is, and a second group. */
  g_assert_cmpuint (cat->n_entries, >, 8);
  for (guint i = 0; i < cat->n_entries; i++)
    json_array_add_string_element (topics, cat->entries[i].code);
  json_object_set_array_member (talk, "topics", topics);
  json_object_set_array_member (talk, "target_groups", json_array_new ());
  json_array_add_string_element (json_object_get_array_member (talk, "target_groups"), "officials");
  uuid = pcmbn_store_add (store, "activity", talk, &error);
  g_assert_no_error (error);
  n = query_text (db, "SELECT count(*) FROM record_codes WHERE field = 'topics'");
  g_assert_cmpint (atoi (n), ==, cat->n_entries);
  all = query_text (db, "SELECT count(*) FROM record_codes c JOIN json_each ((SELECT data"
                        " FROM records), '$.topics') j ON c.field = 'topics' AND c.code = j.value");
  g_assert_cmpint (atoi (all), ==, cat->n_entries);
  listed = query_text (db, "SELECT group_concat(code, ',') FROM (SELECT code FROM record_codes"
                           " WHERE field = 'target_groups')");
  g_assert_cmpstr (listed, ==, "officials");

  g_assert_true (pcmbn_store_update (store, uuid, fewer, &error));
  g_assert_no_error (error);
  left = query_text (db, "SELECT group_concat(field || ':' || code, ',') FROM (SELECT field, code"
                         " FROM record_codes ORDER BY field, code)");
  g_assert_cmpstr (left, ==, "target_groups:officials,topics:hotline");
  orphans = query_text (db, "SELECT count(*) FROM pragma_foreign_key_check");
  g_assert_cmpstr (orphans, ==, "0");
}

static void
test_invalid_changes_nothing (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (JsonObject) bad = pcmbn_test_json ("{\"participants_female\":41}");
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = pcmbn_store_add (store, "activity", talk, &error);
  g_autofree char *before = pcmbn_test_db_digest (path);
  g_autofree char *after = NULL;

  g_assert_false (pcmbn_store_update (store, uuid, bad, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "participants_female: "));
  g_clear_error (&error);
  g_assert_null (pcmbn_store_add (store, "activity", bad, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (pcmbn_store_add (store, "meeting", talk, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE);
  g_clear_error (&error);
  g_assert_false (pcmbn_store_update (store, "not-a-uuid", bad, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  after = pcmbn_test_db_digest (path);
  g_assert_cmpstr (before, ==, after);
}

static void
test_model_with_meetings_cannot_be_deleted (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) model = pcmbn_test_json (
      "{\"name\":\"CLB Phụ nữ và pháp luật\",\"model_type\":\"integrated\","
      "\"established_on\":\"2024-01-10\",\"status\":\"active\"}");
  g_autoptr (GError) error = NULL;
  g_autofree char *model_uuid = pcmbn_store_add (store, "model", model, &error);
  g_autofree char *json = g_strdup_printf ("{\"model\":\"%s\",\"date\":\"2024-02-01\","
                                           "\"participants_total\":12}",
                                           model_uuid);
  g_autoptr (JsonObject) meeting = pcmbn_test_json (json);
  g_autofree char *meeting_uuid = pcmbn_store_add (store, "model-meeting", meeting, &error);

  g_assert_no_error (error);
  g_assert_false (pcmbn_store_delete (store, model_uuid, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (pcmbn_store_delete (store, meeting_uuid, &error));
  g_assert_true (pcmbn_store_delete (store, model_uuid, &error));
  g_assert_no_error (error);
}

static void
test_nested_transaction_rolls_back_whole (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (JsonObject) bad = pcmbn_test_json ("{\"date\":\"yesterday\"}");
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = NULL;

  g_assert_true (pcmbn_store_begin (store, &error));
  uuid = pcmbn_store_add (store, "activity", talk, &error);
  g_assert_no_error (error);
  g_assert_null (pcmbn_store_add (store, "activity", bad, &error));
  g_clear_error (&error);
  g_assert_false (pcmbn_store_commit (store, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (pcmbn_store_count (store, NULL), ==, 0);
}

static char *
live_counts (PcmbnStore *store)
{
  return query_text (pcmbn_store_get_db (store),
                     "SELECT group_concat (kind || '=' || live, ' ') FROM"
                     " (SELECT kind, live FROM record_counts WHERE live > 0 ORDER BY kind)");
}

static char *
counted_live (PcmbnStore *store)
{
  return query_text (pcmbn_store_get_db (store),
                     "SELECT group_concat (kind || '=' || n, ' ') FROM (SELECT kind, count(*) AS n"
                     " FROM records WHERE deleted = 0 GROUP BY kind ORDER BY kind)");
}

/* The kept counts of live records follow what a transaction commits, and
 * only that: written by the outermost commit, dropped with a rollback. */
static void
test_counts_follow_transactions (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (JsonObject) bad = pcmbn_test_json ("{\"date\":\"yesterday\"}");
  g_autoptr (GError) error = NULL;
  g_autofree char *counts = NULL, *truth = NULL;

  g_assert_true (pcmbn_store_begin (store, &error));
  for (int i = 0; i < 3; i++)
    g_free (pcmbn_store_add (store, "activity", talk, &error));
  g_assert_true (pcmbn_store_commit (store, &error));
  g_assert_no_error (error);
  counts = live_counts (store);
  g_assert_cmpstr (counts, ==, "activity=3");

  /* Rolled back, by the caller or by a failed inner part. */
  g_assert_true (pcmbn_store_begin (store, &error));
  g_free (pcmbn_store_add (store, "activity", talk, &error));
  pcmbn_store_rollback (store);
  g_assert_true (pcmbn_store_begin (store, &error));
  g_free (pcmbn_store_add (store, "activity", talk, &error));
  g_assert_null (pcmbn_store_add (store, "activity", bad, &error));
  g_clear_error (&error);
  g_assert_false (pcmbn_store_commit (store, &error));
  g_clear_error (&error);
  g_clear_pointer (&counts, g_free);
  counts = live_counts (store);
  g_assert_cmpstr (counts, ==, "activity=3");

  /* Outside a transaction, at once; a deletion through the trigger. */
  {
    g_autofree char *uuid = pcmbn_store_add (store, "activity", talk, &error);
    g_assert_no_error (error);
    g_assert_true (pcmbn_store_delete (store, uuid, &error));
  }
  g_free (pcmbn_store_add (store, "activity", talk, &error));
  g_assert_no_error (error);
  g_clear_pointer (&counts, g_free);
  counts = live_counts (store);
  truth = counted_live (store);
  g_assert_cmpstr (counts, ==, "activity=4");
  g_assert_cmpstr (counts, ==, truth);
}

static void
test_list_and_ranges (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL, some = NULL, bad = NULL;
  const char *dates[] = { "2025-12-31", "2026-01-01", "2026-03-15", "2026-06-30" };

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    {
      g_autofree char *json = g_strdup_printf (
          "{\"date\":\"%s\",\"activity_type\":\"press_article\",\"subproject\":\"mass_media\","
          "\"title\":\"Bài %u\"}",
          dates[i], i);
      g_autoptr (JsonObject) data = pcmbn_test_json (json);
      g_autofree char *uuid = pcmbn_store_add (store, "activity", data, &error);
      g_assert_no_error (error);
    }
  all = pcmbn_store_list (store, "activity", NULL, NULL, &error);
  g_assert_cmpuint (all->len, ==, 4);
  g_assert_cmpstr (pcmbn_record_get_date (all->pdata[0]), ==, "2025-12-31");
  some = pcmbn_store_list (store, "activity", "2026-01-01", "2026-03-15", &error);
  g_assert_cmpuint (some->len, ==, 2);
  bad = pcmbn_store_list (store, "activity", "2026-13-01", NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "from: "));
}

/* Lists and reports must go through indexes, never scan every record. */
static void
test_queries_use_indexes (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  sqlite3 *db = pcmbn_store_get_db (store);
  const char *queries[] = {
    "SELECT uuid FROM records WHERE kind = 'activity' AND deleted = 0 ORDER BY rdate DESC, id DESC"
    " LIMIT 64",
    "SELECT count(*) FROM records WHERE kind = 'activity' AND deleted = 0 AND rdate >= '2026-01-01'",
    "SELECT rtype, count(*) FROM records WHERE kind = 'activity' AND org_unit = '00001' AND"
    " deleted = 0 AND rdate BETWEEN '2026-01-01' AND '2026-12-31' GROUP BY rtype",
    "SELECT count(*) FROM records WHERE dirty = 1",
    /* pcmbn_store_sync_count_state(), after every `pcmbn sync`. */
    "SELECT count(*) FROM records WHERE dirty = 1 AND state = 'conflict'",
    /* A report's count of a commune's records of a kind (pcmbn-report.c)
     * and a parent's count of them (pcmbn-district-chain.c). */
    "SELECT count(*) FROM records r WHERE r.kind = 'training' AND r.org_unit = '00001' AND"
    " r.deleted = 0 AND r.rdate BETWEEN '2026-01-01' AND '2026-12-31'",
    "SELECT 0 + (SELECT count(*) FROM records WHERE kind = 'model-meeting' AND org_unit = '00001'"
    " AND deleted = 0)",
    "SELECT count(*) FROM records WHERE kind = 'activity' AND deleted = 0 AND search LIKE '%thon%'",
    /* What the list counts and reads for words of three letters or more. */
    "SELECT count(*) FROM records_fts_activity WHERE records_fts_activity MATCH '\"thon\"'",
    "SELECT uuid FROM records WHERE id IN (SELECT rowid FROM records_fts_activity WHERE"
    " records_fts_activity MATCH '\"thon\"') AND kind = 'activity' AND deleted = 0"
    " ORDER BY rdate DESC, id DESC LIMIT 64",
  };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *sql = g_strconcat ("EXPLAIN QUERY PLAN ", queries[i], NULL);
      sqlite3_stmt *stmt;
      GString *plan = g_string_new (NULL);
      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
      sqlite3_finalize (stmt);
      g_test_message ("%s\n%s", queries[i], plan->str);
      g_assert_nonnull (strstr (plan->str, "INDEX"));
      if (strstr (queries[i], "LIKE"))
        g_assert_nonnull (strstr (plan->str, "COVERING INDEX records_search"));
      if (strstr (queries[i], "org_unit"))
        g_assert_nonnull (strstr (plan->str, "COVERING INDEX records_report_"));
      g_assert_null (strstr (plan->str, "SCAN records\n"));
      g_string_free (plan, TRUE);
    }
  /* The report indexes begin with its columns. */
  {
    g_autofree char *n = query_text (
        db, "SELECT count(*) FROM sqlite_master WHERE name = 'records_scope'");
    g_assert_cmpstr (n, ==, "0");
  }
}

/* A district server keeps no search index: a new database drops it, an old
 * one being upgraded never builds it; its lists still search, by scanning. */
static void
test_no_search_index_on_servers (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = pcmbn_store_add (store, "activity", talk, &error);
  g_autoptr (PcmbnRecordList) list = NULL;
  sqlite3 *db = pcmbn_store_get_db (store);
  const char *count_sql = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'records_fts%'";

  g_assert_no_error (error);
  {
    g_autofree char *before = query_text (db, count_sql);
    g_assert_cmpint (atoi (before), >, 6);
  }
  g_assert_true (pcmbn_store_drop_search_index (store, &error));
  g_assert_no_error (error);
  g_assert_true (pcmbn_store_drop_search_index (store, &error));
  {
    g_autofree char *after = query_text (db, count_sql);
    g_assert_cmpstr (after, ==, "0");
  }
  {
    /* Nor the index that sorts a list by title: a server shows none. */
    g_autofree char *title = query_text (
        db, "SELECT count(*) FROM sqlite_master WHERE name = 'records_title'");
    g_assert_cmpstr (title, ==, "0");
  }
  list = pcmbn_record_list_new (store, "activity");
  pcmbn_record_list_set_search (list, "thon dong");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  /* Writes go on without the triggers. */
  g_assert_true (pcmbn_store_delete (store, uuid, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  /* An old server database upgraded: no index made. */
  {
    g_autofree char *dir = pcmbn_test_tmpdir ();
    g_autofree char *path = g_build_filename (dir, "server.sqlite", NULL);
    g_autofree char *n = NULL;
    sqlite3 *old;
    g_assert_cmpint (sqlite3_open (path, &old), ==, SQLITE_OK);
    g_assert_true (pcmbn_store_migrate (old, 5, &error));
    g_assert_true (
        pcmbn_store_exec (old, "INSERT INTO meta VALUES ('server_schema', '3');", &error));
    g_assert_true (pcmbn_store_migrate (old, PCMBN_STORE_SCHEMA_VERSION, &error));
    g_assert_no_error (error);
    n = query_text (old, count_sql);
    g_assert_cmpstr (n, ==, "0");
    sqlite3_close (old);
  }
}

static void
test_units_and_search (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GPtrArray) found = pcmbn_store_find_units (store, "phuc xa", "commune", 10);
  g_autoptr (GPtrArray) accented = pcmbn_store_find_units (store, "Phúc Xá", "commune", 10);
  g_autoptr (GPtrArray) ba_dinh = pcmbn_store_communes_under (store, "001");
  g_autoptr (GPtrArray) hanoi = pcmbn_store_communes_under (store, "01");
  g_autoptr (GPtrArray) itself = pcmbn_store_communes_under (store, "00001");

  g_assert_cmpuint (found->len, >=, 1);
  g_assert_cmpstr (((PcmbnOrgUnit *)found->pdata[0])->code, ==, "00001");
  g_assert_cmpuint (accented->len, ==, found->len);
  g_assert_cmpuint (ba_dinh->len, ==, 14);
  g_assert_cmpuint (hanoi->len, ==, 579);
  g_assert_cmpuint (itself->len, ==, 1);
}

static void
test_two_tier_units (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "two-tier.sqlite", NULL);
  g_autofree char *units = g_build_filename (g_getenv ("PCMBN_SOURCE_ROOT"), "data", "units",
                                             "hanoi-2025.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (path, &error);
  g_autoptr (GPtrArray) hanoi = NULL;

  g_assert_true (pcmbn_store_init_commune (store, "00004", units, "womens-union", &error));
  g_assert_no_error (error);
  hanoi = pcmbn_store_communes_under (store, "01");
  g_assert_cmpuint (hanoi->len, ==, 126);
  g_assert_false (pcmbn_store_init_commune (store, "00008", units, NULL, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
}

static void
test_bad_units_file (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.sqlite", NULL);
  g_autofree char *units = g_build_filename (dir, "units.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (path, &error);
  g_autofree char *before = pcmbn_test_db_digest (path);
  g_autofree char *after = NULL;

  g_file_set_contents (units,
                       "level,code,name,full_name,unit_type,parent_code\n"
                       "city,01,Hà Nội,Thành phố Hà Nội,thành phố,\n"
                       "commune,00001,Phúc Xá,Phường Phúc Xá,phường,999\n",
                       -1, NULL);
  g_assert_false (pcmbn_store_init_commune (store, "00001", units, NULL, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "row 3, parent_code"));
  after = pcmbn_test_db_digest (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_null (pcmbn_store_get_org_unit (store));
}

static void
on_added (GObject *source, GAsyncResult *result, gpointer user_data)
{
  char **uuid = user_data;
  g_autoptr (GError) error = NULL;

  *uuid = pcmbn_store_add_finish (PCMBN_STORE (source), result, &error);
  g_assert_no_error (error);
}

static void
test_async_add (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autofree char *uuid = NULL;

  pcmbn_store_add_async (store, "activity", talk, NULL, on_added, &uuid);
  while (uuid == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (pcmbn_uuid_is_valid (uuid));
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 1);
}

static char *
schema_of (sqlite3 *db)
{
  return query_text (db, "SELECT group_concat (sql, ';') FROM (SELECT sql FROM sqlite_master"
                         " WHERE sql IS NOT NULL ORDER BY type, name)");
}

/* A restore loads an empty store without its indexes and triggers; they
 * come back at the end, or at the next open when the process died first,
 * and the counts the triggers keep are right either way. */
static void
test_bulk_load (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = schema_of (pcmbn_store_get_db (store));
  g_autofree char *during = NULL;
  g_autofree char *after = NULL;
  const PcmbnKind *kind = pcmbn_schema_kind ("activity");

  for (int round = 0; round < 2; round++)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      g_assert_true (pcmbn_store_begin (store, &error));
      g_assert_true (pcmbn_store_bulk_begin (store, &error));
      g_assert_no_error (error);
      g_assert_true (
          pcmbn_store_write_row (store, kind, uuid, "00001", talk, 1, FALSE, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (pcmbn_store_commit (store, &error));
      g_clear_pointer (&during, g_free);
      during = schema_of (pcmbn_store_get_db (store));
      if (round == 0)
        {
          /* Dropped while loading, kept in the file. */
          g_assert_cmpstr (during, !=, before);
          g_assert_null (strstr (during, "records_search"));
          {
            g_autofree char *kept = pcmbn_store_get_meta (store, "bulk_load_schema");
            g_assert_nonnull (kept);
            g_assert_nonnull (strstr (kept, "records_search"));
          }
          {
            g_autofree char *live = query_text (
                pcmbn_store_get_db (store), "SELECT coalesce (sum (live), 0) FROM record_counts");
            g_assert_cmpstr (live, ==, "0");
          }
          /* The process dies here: the next open builds them again. */
          g_clear_object (&store);
          store = pcmbn_store_open (path, &error);
          g_assert_no_error (error);
          after = schema_of (pcmbn_store_get_db (store));
          g_assert_cmpstr (after, ==, before);
          {
            g_autofree char *live = query_text (
                pcmbn_store_get_db (store),
                "SELECT live FROM record_counts WHERE kind = 'activity'");
            g_assert_cmpstr (live, ==, "1");
          }
        }
      else
        /* A store that holds records is loaded the ordinary way. */
        g_assert_cmpstr (during, ==, before);
    }
  {
    g_autofree char *live = query_text (pcmbn_store_get_db (store),
                                        "SELECT live FROM record_counts WHERE kind = 'activity'");
    g_assert_cmpstr (live, ==, "2");
  }

  /* The whole way: begin, rows, end. */
  {
    g_autofree char *path2 = NULL;
    g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (&path2);
    g_autofree char *uuid = g_uuid_string_random ();
    g_autofree char *end = NULL;

    g_assert_true (pcmbn_store_begin (fresh, &error));
    g_assert_true (pcmbn_store_bulk_begin (fresh, &error));
    g_assert_true (
        pcmbn_store_write_row (fresh, kind, uuid, "00001", talk, 1, FALSE, NULL, &error));
    g_assert_true (pcmbn_store_bulk_end (fresh, &error));
    g_assert_true (pcmbn_store_commit (fresh, &error));
    g_assert_no_error (error);
    end = schema_of (pcmbn_store_get_db (fresh));
    /* The search index comes last, whole, from the rows. */
    g_assert_cmpstr (end, !=, before);
    g_assert_null (strstr (end, "records_fts_activity"));
    {
      g_autofree char *waits = pcmbn_store_get_meta (fresh, "search_index_pending");
      g_assert_cmpstr (waits, ==, "1");
    }
    g_assert_true (pcmbn_store_build_search_index (fresh, &error));
    g_assert_no_error (error);
    g_clear_pointer (&end, g_free);
    end = schema_of (pcmbn_store_get_db (fresh));
    g_assert_cmpstr (end, ==, before);
    g_assert_null (pcmbn_store_get_meta (fresh, "search_index_pending"));
    {
      g_autofree char *found = query_text (
          pcmbn_store_get_db (fresh),
          "SELECT count(*) FROM records_fts_activity WHERE records_fts_activity MATCH 'chuyen'");
      g_assert_cmpstr (found, ==, "1");
    }
    {
      g_autofree char *live = query_text (pcmbn_store_get_db (fresh),
                                          "SELECT live FROM record_counts WHERE kind = 'activity'");
      g_assert_cmpstr (live, ==, "1");
    }
    g_assert_null (pcmbn_store_get_meta (fresh, "bulk_load_schema"));
  }

  /* A bulk load rolled back is no load: the rows written after it are
   * counted one by one again. */
  {
    g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (NULL);
    g_autofree char *uuid = g_uuid_string_random ();
    g_autofree char *live = NULL;
    g_autoptr (JsonObject) again = pcmbn_test_json (TALK);
    g_autofree char *added = NULL;

    g_assert_true (pcmbn_store_begin (fresh, &error));
    g_assert_true (pcmbn_store_bulk_begin (fresh, &error));
    g_assert_true (
        pcmbn_store_write_row (fresh, kind, uuid, "00001", talk, 1, FALSE, NULL, &error));
    pcmbn_store_rollback (fresh);
    g_assert_null (pcmbn_store_get_meta (fresh, "bulk_load_schema"));
    added = pcmbn_store_add (fresh, "activity", again, &error);
    g_assert_no_error (error);
    live = query_text (pcmbn_store_get_db (fresh),
                       "SELECT live FROM record_counts WHERE kind = 'activity'");
    g_assert_cmpstr (live, ==, "1");
  }
}

/* A load into a store without records writes the file through a rollback
 * journal and is back in WAL mode after it, whether it commits or rolls
 * back; into a store with records, or while another connection has the
 * file open, it stays in WAL mode. The rows are there either way. */
static void
test_load_direct_write (void)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("activity");
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);

  for (int round = 0; round < 4; round++)
    {
      g_autofree char *path = NULL;
      g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
      g_autoptr (GError) error = NULL;
      g_autofree char *during = NULL, *after = NULL, *live = NULL;
      g_autofree char *journal = g_strconcat (path, "-journal", NULL);
      gboolean has_records = round == 1, other = round == 2, abort = round == 3;
      sqlite3 *reader = NULL;

      g_test_message ("round %d", round);
      if (has_records)
        g_free (pcmbn_store_add (store, "activity", talk, &error));
      g_assert_no_error (error);
      if (other)
        {
          /* Open, and once read: it knows the file is in WAL mode. */
          g_assert_cmpint (sqlite3_open (path, &reader), ==, SQLITE_OK);
          g_assert_cmpint (sqlite3_exec (reader, "SELECT count(*) FROM records", NULL, NULL, NULL),
                           ==, SQLITE_OK);
        }
      g_assert_true (pcmbn_store_load_begin (store, &error));
      g_assert_no_error (error);
      during = query_text (pcmbn_store_get_db (store), "PRAGMA journal_mode");
      g_assert_cmpstr (during, ==, has_records || other ? "wal" : "delete");
      for (int i = 0; i < 3; i++)
        {
          g_autofree char *uuid = pcmbn_uuid_new ();
          g_assert_true (
              pcmbn_store_write_row (store, kind, uuid, "00001", talk, 1, FALSE, NULL, &error));
          g_assert_no_error (error);
        }
      if (abort)
        pcmbn_store_load_abort (store);
      else
        g_assert_true (pcmbn_store_load_end (store, &error));
      g_assert_no_error (error);
      after = query_text (pcmbn_store_get_db (store), "PRAGMA journal_mode");
      g_assert_cmpstr (after, ==, "wal");
      g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
      g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, abort ? 0 : 3 + has_records);
      live = query_text (pcmbn_store_get_db (store),
                         "SELECT coalesce (sum (live), 0) FROM record_counts");
      g_assert_cmpint (atoi (live), ==, abort ? 0 : 3 + has_records);
      if (reader)
        {
          sqlite3_stmt *stmt;
          g_assert_cmpint (
              sqlite3_prepare_v2 (reader, "SELECT count(*) FROM records", -1, &stmt, NULL), ==,
              SQLITE_OK);
          g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
          g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 3);
          sqlite3_finalize (stmt);
          sqlite3_close (reader);
        }
      /* And it opens again as ever, the indexes back. */
      g_clear_object (&store);
      store = pcmbn_store_open (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, abort ? 0 : 3 + has_records);
      g_assert_null (pcmbn_store_get_meta (store, "bulk_load_schema"));
    }
}

/* What each new row pays for: no index that another one already serves,
 * no trigger on insert (the count of live records is kept by the store
 * itself, tombstones left out), and only meetings in the index by model. */
static void
test_insert_schema (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autoptr (JsonObject) talk = pcmbn_test_json (TALK);
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = NULL, *tomb = g_uuid_string_random ();
  g_autofree char *redundant = NULL, *trigger = NULL, *model = NULL, *live = NULL;
  g_autofree char *model_entries = NULL;

  /* Nothing looks a record up by a code: no index by (field, code). */
  redundant = query_text (db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                              " ('record_codes_record', 'record_codes_cover',"
                              " 'record_codes_field')");
  g_assert_cmpstr (redundant, ==, "0");
  {
    /* The codes are their own covering index: no rowid, keyed by record. */
    g_autofree char *codes = query_text (db, "SELECT sql FROM sqlite_master WHERE name ="
                                             " 'record_codes'");
    g_assert_nonnull (strstr (codes, "WITHOUT ROWID"));
    g_assert_nonnull (strstr (codes, "PRIMARY KEY (record_id, field, code)"));
  }
  trigger = query_text (db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                            " AND name = 'record_counts_insert'");
  g_assert_cmpstr (trigger, ==, "0");
  model = query_text (db, "SELECT sql FROM sqlite_master WHERE name = 'records_model'");
  g_assert_nonnull (strstr (model, "WHERE f_model IS NOT NULL"));

  uuid = pcmbn_store_add (store, "activity", talk, &error);
  g_assert_no_error (error);
  g_assert_true (pcmbn_store_begin (store, &error));
  g_assert_true (pcmbn_store_write_row (store, pcmbn_schema_kind ("activity"), tomb, "00001", talk,
                                        3, TRUE, NULL, &error));
  g_assert_true (pcmbn_store_commit (store, &error));
  g_assert_no_error (error);
  live = query_text (db, "SELECT live FROM record_counts WHERE kind = 'activity'");
  g_assert_cmpstr (live, ==, "1");
  model_entries = query_text (db, "SELECT count(*) FROM records INDEXED BY records_model"
                                  " WHERE f_model IS NOT NULL");
  g_assert_cmpstr (model_entries, ==, "0");
  {
    /* The report's count of a model's meetings still seeks the index. */
    g_autoptr (GString) plan = g_string_new (NULL);
    sqlite3_stmt *stmt;
    g_assert_cmpint (sqlite3_prepare_v2 (db,
                                         "EXPLAIN QUERY PLAN SELECT (SELECT count(*) FROM records m"
                                         " WHERE m.f_model = r.uuid AND m.kind = 'model-meeting'"
                                         " AND m.deleted = 0 AND m.rdate BETWEEN ?1 AND ?2)"
                                         " FROM records r WHERE r.kind = 'model'",
                                         -1, &stmt, NULL),
                     ==, SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
    sqlite3_finalize (stmt);
    g_test_message ("%s", plan->str);
    g_assert_nonnull (strstr (plan->str, "INDEX records_model (f_model=?"));
  }
}

/* Only the relaxed transaction itself commits without fsync: the safety
 * level is FULL again after it, whether it committed or rolled back, and
 * a relaxed transaction inside an ordinary one stays ordinary. */
static void
test_relaxed_transaction (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autoptr (GError) error = NULL;
  g_autofree char *full = query_text (db, "PRAGMA synchronous");
  g_autofree char *inside = NULL;
  g_autofree char *after_commit = NULL;
  g_autofree char *after_rollback = NULL;
  g_autofree char *nested = NULL;

  g_assert_cmpstr (full, ==, "2");
  g_assert_true (pcmbn_store_begin_relaxed (store, &error));
  inside = query_text (db, "PRAGMA synchronous");
  g_assert_true (pcmbn_store_commit (store, &error));
  after_commit = query_text (db, "PRAGMA synchronous");
  g_assert_cmpstr (inside, ==, "1");
  g_assert_cmpstr (after_commit, ==, "2");

  g_assert_true (pcmbn_store_begin_relaxed (store, &error));
  pcmbn_store_rollback (store);
  after_rollback = query_text (db, "PRAGMA synchronous");
  g_assert_cmpstr (after_rollback, ==, "2");

  g_assert_true (pcmbn_store_begin (store, &error));
  g_assert_true (pcmbn_store_begin_relaxed (store, &error));
  g_assert_true (pcmbn_store_commit (store, &error));
  g_assert_true (pcmbn_store_commit (store, &error));
  nested = query_text (db, "PRAGMA synchronous");
  g_assert_cmpstr (nested, ==, "2");
  g_assert_no_error (error);
}

/* Every row of @db's records (but when it was written, and the sealed
 * fields' random nonce: they are read back opened) and codes, in order. */
static char *
rows_of (sqlite3 *db)
{
  g_autoptr (GString) columns = g_string_new (NULL);
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;

  sqlite3_prepare_v2 (db,
                      "SELECT name FROM pragma_table_info ('records') WHERE name NOT IN"
                      " ('id', 'created_at', 'modified_at', 'sealed', 'data')",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (columns, "quote (%s) || ' ' || ", sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sql = g_strdup_printf ("SELECT group_concat (line, '\n') FROM (SELECT %s" PCMBN_RECORD_DATA
                         " AS line FROM records ORDER BY id)"
                         " UNION ALL SELECT group_concat (r.uuid || c.field || c.code, '\n')"
                         " FROM record_codes c JOIN records r ON r.id = c.record_id",
                         columns->str);
  {
    g_autoptr (GString) out = g_string_new (NULL);
    sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_string_append_printf (out, "%s\n", sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    return g_string_free (g_steal_pointer (&out), FALSE);
  }
}

/* A batch writes what pcmbn_store_add() writes, row for row (derived
 * columns, codes, sealed case notes, counts), in the order of the calls: a
 * meeting finds the model added just before it in the same batch. */
static void
test_batch_writes_as_add (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (PcmbnStore) one = pcmbn_test_store_new (NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  g_autofree char *model_uuid = NULL;
  g_autofree char *batch_rows = NULL;
  g_autofree char *add_rows = NULL;
  static const char *const kinds[] = { "model",    "model-meeting", "activity",
                                       "training", "counselling",   "material" };
  gint64 today = pcmbn_today ();
  PcmbnStoreBatch *batch;
  guint n = 2520; /* more than a batch keeps before it compacts its list */

  g_assert_true (pcmbn_store_load_begin (store, &error));
  batch = pcmbn_store_batch_new (store);
  for (guint i = 0; i < n; i++)
    {
      const char *kind = kinds[i % G_N_ELEMENTS (kinds)];
      g_autoptr (JsonObject)
          data = pcmbn_demo_make (kind, rand, today - 300, today, model, model_uuid);
      g_autofree char *text = pcmbn_json_object_to_text (data);
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *added = NULL;
      g_autoptr (JsonObject) again = pcmbn_test_json (text);

      /* The batch reads its copy on its thread; this one stays here. */
      g_assert_cmpstr (pcmbn_store_batch_add (batch, pcmbn_schema_kind (kind), uuid,
                                              pcmbn_test_json (text), i + 1),
                       ==, uuid);
      added = pcmbn_store_add_for_unit (one, "00001", kind, uuid, again, &error);
      g_assert_no_error (error);
      if (g_str_equal (kind, "model"))
        {
          g_clear_pointer (&model, json_object_unref);
          g_free (model_uuid);
          model = g_steal_pointer (&again);
          model_uuid = g_strdup (uuid);
        }
    }
  g_assert_true (pcmbn_store_batch_finish (batch, &error));
  g_assert_no_error (error);
  g_assert_true (pcmbn_store_load_end (store, &error));
  g_assert_no_error (error);

  batch_rows = rows_of (pcmbn_store_get_db (store));
  add_rows = rows_of (pcmbn_store_get_db (one));
  g_assert_nonnull (strstr (batch_rows, "case_notes"));
  g_assert_cmpstr (batch_rows, ==, add_rows);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    g_assert_cmpint (pcmbn_store_count (store, kinds[k]), ==, n / G_N_ELEMENTS (kinds));
}

/* A batch with records that are wrong tells every one of them by its row
 * and field, and the caller's rollback leaves the store as it was. */
static void
test_batch_refuses_whole (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *stranger = g_uuid_string_random ();
  g_autofree char *meeting = g_strdup_printf (
      "{\"model\":\"%s\",\"date\":\"2024-02-01\",\"participants_total\":12}", stranger);
  const PcmbnKind *activity = pcmbn_schema_kind ("activity");
  PcmbnStoreBatch *batch;

  g_assert_true (pcmbn_store_load_begin (store, &error));
  batch = pcmbn_store_batch_new (store);
  for (guint row = 1; row <= 300; row++)
    pcmbn_store_batch_add (
        batch, activity, NULL,
        pcmbn_test_json (row == 2 || row == 250 ? "{\"date\":\"yesterday\"}" : TALK), row);
  pcmbn_store_batch_add (batch, pcmbn_schema_kind ("model-meeting"), NULL,
                         pcmbn_test_json (meeting), 301);
  g_assert_false (pcmbn_store_batch_finish (batch, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "row 2, date"));
  g_assert_nonnull (strstr (error->message, "row 250, date"));
  g_assert_nonnull (strstr (error->message, "row 301, model"));
  g_assert_null (strstr (error->message, "row 3,"));
  pcmbn_store_load_abort (store);
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 0);
  g_clear_error (&error);

  /* Then a good one goes through. */
  g_assert_true (pcmbn_store_load_begin (store, &error));
  batch = pcmbn_store_batch_new (store);
  for (guint row = 1; row <= 3; row++)
    pcmbn_store_batch_add (batch, activity, NULL, pcmbn_test_json (TALK), row);
  g_assert_true (pcmbn_store_batch_finish (batch, &error));
  g_assert_true (pcmbn_store_load_end (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_add_func ("/store/open/private-wal", test_open_creates_private_wal_file);
  g_test_add_func ("/store/open/refuses", test_open_refuses_garbage_and_newer);
  g_test_add_func ("/store/migrations/every-version", test_migrations_from_every_version);
  g_test_add_func ("/store/open/while-another-writes", test_open_while_another_writes);
  g_test_add_func ("/store/migrations/pending-bulk-load", test_migration_pending_bulk_load);
  g_test_add_func ("/store/insert-schema", test_insert_schema);
  g_test_add_func ("/store/search-index/servers", test_no_search_index_on_servers);
  g_test_add_func ("/store/records/crud", test_add_get_update_delete);
  g_test_add_func ("/store/records/many-codes", test_many_codes);
  g_test_add_func ("/store/records/invalid-unchanged", test_invalid_changes_nothing);
  g_test_add_func ("/store/records/model-with-meetings",
                   test_model_with_meetings_cannot_be_deleted);
  g_test_add_func ("/store/transactions/nested-rollback", test_nested_transaction_rolls_back_whole);
  g_test_add_func ("/store/transactions/counts", test_counts_follow_transactions);
  g_test_add_func ("/store/records/list-ranges", test_list_and_ranges);
  g_test_add_func ("/store/queries/indexes", test_queries_use_indexes);
  g_test_add_func ("/store/units/search", test_units_and_search);
  g_test_add_func ("/store/units/two-tier", test_two_tier_units);
  g_test_add_func ("/store/units/bad-file", test_bad_units_file);
  g_test_add_func ("/store/async/add", test_async_add);
  g_test_add_func ("/store/bulk-load", test_bulk_load);
  g_test_add_func ("/store/load/direct-write", test_load_direct_write);
  g_test_add_func ("/store/batch/as-add", test_batch_writes_as_add);
  g_test_add_func ("/store/batch/refuses-whole", test_batch_refuses_whole);
  g_test_add_func ("/store/transactions/relaxed", test_relaxed_transaction);
  return g_test_run ();
}
