/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/pcmbn-csv.h"
#include "records/pcmbn-json-fast.h"
#include "records/pcmbn-json-text.h"
#include "pcmbn-core-resources.h"
#include "store/pcmbn-crypto.h"
#include "store/pcmbn-keyring.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* The local database: one SQLite file per commune (and, with more tables,
 * per district server). Records keep their data as canonical JSON, for the
 * wire, and every date, number and code the schema knows also as a real
 * column `f_NAME`, so that lists and reports filter, group and sum through
 * indexes and never through json_extract(). */

/* The page cache (KiB), and a larger one while a sync writes. */
#define STORE_CACHE_KIB 16000
#define LONG_WRITE_CACHE_KIB 96000
/* Up to this many code rows go in one statement: a record has two or three
 * codes, and each statement costs its own start and end. */
#define CODES_PER_INSERT 8

#define STORE_CACHE_PRAGMA "PRAGMA cache_size = -" G_STRINGIFY (STORE_CACHE_KIB) ";"
/* SQLite's own default, set again after a long write. */
#define WAL_AUTOCHECKPOINT_PAGES 1000

struct _PcmbnStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;
  GRecMutex lock;
  GMainContext *context;
  GThread *owner; /* the thread whose context gets the signals */
  char *org_unit;
  sqlite3_stmt *insert_stmt;
  sqlite3_stmt *update_stmt;
  sqlite3_stmt *codes_delete_stmt;
  sqlite3_stmt *codes_insert_stmt[CODES_PER_INSERT]; /* [n - 1]: n rows at once */
  sqlite3_stmt *resolve_stmt;
  GHashTable *stmt_cache; /* SQL text → sqlite3_stmt, see pcmbn_store_prepare_cached() */
  /* In front of it, by the address of the caller's text (see there). */
  struct
  {
    const char *sql;
    sqlite3_stmt *stmt;
  } recent[64];
  int in_transaction;
  gboolean doomed;           /* an inner part failed: the outermost commit rolls back */
  gboolean relaxed;          /* the outermost transaction commits without fsync */
  gboolean no_search;        /* the district server: no folded search copy */
  gboolean bulk_loading;     /* between bulk_begin and bulk_end: counts made at the end */
  gboolean rollback_journal; /* a load writes the file itself (see load_write_direct()) */
  /* Live records a transaction added, by kind, written to record_counts
   * by its commit (see count_added()). */
  struct
  {
    const char *kind; /* a PcmbnKind's name: static */
    gint64 n;
  } added[8];
  guint n_added;

  /* Sensitive data at rest (see pcmbn-crypto.c): the data key when it was
   * found, else why not. The server's store takes its key from its
   * configuration and never asks the keyring. */
  PcmbnCrypto *crypto;
  PcmbnKeyring *keyring;
  char *key_id;
  char *key_location;  /* "the keyring" or the key file's path */
  char *key_problem;   /* why the key is missing, in words */
  char *recovery_code; /* made with a new key, until the program shows it */
  gboolean key_is_new; /* this open made the key */
  gboolean server_mode;
  sqlite3_stmt *uuid_stmt;

  /* Long bulk work (CSV in and out) tells how far it is. */
  PcmbnStoreProgress progress;
  gpointer progress_data;
};

G_DEFINE_FINAL_TYPE (PcmbnStore, pcmbn_store, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* The statements this connection keeps prepared: they name the tables'
 * indexes, which a bulk load drops and builds again. */
static void
clear_statements (PcmbnStore *self)
{
  memset (self->recent, 0, sizeof self->recent);
  g_clear_pointer (&self->stmt_cache, g_hash_table_unref);
  g_clear_pointer (&self->insert_stmt, sqlite3_finalize);
  g_clear_pointer (&self->update_stmt, sqlite3_finalize);
  g_clear_pointer (&self->codes_delete_stmt, sqlite3_finalize);
  for (guint i = 0; i < CODES_PER_INSERT; i++)
    g_clear_pointer (&self->codes_insert_stmt[i], sqlite3_finalize);
  g_clear_pointer (&self->resolve_stmt, sqlite3_finalize);
}

static void
pcmbn_store_finalize (GObject *object)
{
  PcmbnStore *self = PCMBN_STORE (object);

  clear_statements (self);
  g_clear_pointer (&self->uuid_stmt, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner, g_thread_unref);
  g_rec_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self->org_unit);
  g_clear_object (&self->crypto);
  g_clear_object (&self->keyring);
  g_free (self->key_id);
  g_free (self->key_location);
  g_free (self->key_problem);
  if (self->recovery_code)
    memset (self->recovery_code, 0, strlen (self->recovery_code));
  g_free (self->recovery_code);
  G_OBJECT_CLASS (pcmbn_store_parent_class)->finalize (object);
}

static void
pcmbn_store_class_init (PcmbnStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pcmbn_store_finalize;

  /**
   * PcmbnStore::changed:
   * @kind: the kind of the records that changed, or %NULL for many
   *
   * Emitted in the thread that created the store after records changed, so
   * that list models can refresh.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pcmbn_store_init (PcmbnStore *self)
{
  g_rec_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->owner = g_thread_ref (g_thread_self ());
}

void
pcmbn_store_lock (PcmbnStore *self)
{
  g_rec_mutex_lock (&self->lock);
}

void
pcmbn_store_unlock (PcmbnStore *self)
{
  g_rec_mutex_unlock (&self->lock);
}

/**
 * pcmbn_store_set_long_write:
 * @self: a store
 * @on: %TRUE when a long write (a sync) starts, %FALSE when it ends
 *
 * While @on, the write-ahead log is not copied into the database every
 * 1,000 pages, and the page cache is larger. Each copy waits for the disk
 * twice, and the pages every batch changes again (indexes, the outbox)
 * are copied once instead of once per batch; a restore builds its indexes
 * from a table larger than the usual cache. Turning it off restores both
 * and copies the log once, passively. What a commit promises is unchanged.
 */
void
pcmbn_store_set_long_write (PcmbnStore *self, gboolean on)
{
  g_return_if_fail (PCMBN_IS_STORE (self));
  g_rec_mutex_lock (&self->lock);
  sqlite3_wal_autocheckpoint (self->db, on ? 0 : WAL_AUTOCHECKPOINT_PAGES);
  pcmbn_store_exec (self->db,
                    on ? "PRAGMA cache_size = -" G_STRINGIFY (LONG_WRITE_CACHE_KIB)
                       : "PRAGMA cache_size = -" G_STRINGIFY (STORE_CACHE_KIB),
                    NULL);
  if (!on)
    pcmbn_store_copy_log (self);
  g_rec_mutex_unlock (&self->lock);
}

/**
 * pcmbn_store_copy_log:
 * @self: a store, in a long write
 *
 * Copies what the write-ahead log holds into the database now, without
 * waiting for a reader (a passive checkpoint): for a long write that has
 * time on its hands (a push waiting for the server's answer), so that the
 * copy at its end is short. What a commit promises is unchanged.
 */
void
pcmbn_store_copy_log (PcmbnStore *self)
{
  g_return_if_fail (PCMBN_IS_STORE (self));
  g_rec_mutex_lock (&self->lock);
  sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  g_rec_mutex_unlock (&self->lock);
}

sqlite3 *
pcmbn_store_get_db (PcmbnStore *self)
{
  return self->db;
}

/**
 * pcmbn_store_set_progress:
 * @self: a store
 * @progress: (nullable) (scope notified): called as bulk work advances
 * @user_data: (closure): for @progress
 *
 * CSV import and export call @progress now and then, in the thread doing
 * the work, with the rows done so far and the rows in all. The CLI shows it
 * on a terminal. Pass %NULL to stop.
 */
void
pcmbn_store_set_progress (PcmbnStore *self, PcmbnStoreProgress progress, gpointer user_data)
{
  g_return_if_fail (PCMBN_IS_STORE (self));
  self->progress = progress;
  self->progress_data = user_data;
}

void
pcmbn_store_report_progress (PcmbnStore *self, PcmbnStorePhase phase, guint done, guint total)
{
  /* Every 256 rows and at the end: cheap enough to call per row. */
  if (self->progress && ((done & 255) == 0 || done == total))
    self->progress (phase, done, total, self->progress_data);
}

const char *
pcmbn_store_get_path (PcmbnStore *self)
{
  return self->path;
}

typedef struct
{
  PcmbnStore *store;
  char *kind;
} ChangedData;

static gboolean
emit_changed_cb (gpointer user_data)
{
  ChangedData *data = user_data;
  g_signal_emit (data->store, signals[CHANGED], 0, data->kind);
  g_object_unref (data->store);
  g_free (data->kind);
  g_free (data);
  return G_SOURCE_REMOVE;
}

void
pcmbn_store_emit_changed (PcmbnStore *self, const char *kind)
{
  ChangedData *data;

  /* The CLI never listens; do not queue work nobody will run. */
  if (!g_signal_has_handler_pending (self, signals[CHANGED], 0, FALSE))
    return;
  data = g_new0 (ChangedData, 1);
  data->store = g_object_ref (self);
  data->kind = g_strdup (kind);
  pcmbn_invoke_in_context (self->context, self->owner, emit_changed_cb, data);
}

void
pcmbn_store_set_sqlite_error (GError **error, sqlite3 *db, const char *what)
{
  int code = sqlite3_errcode (db);

  if (code == SQLITE_FULL)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("The disk is full: %s failed. Free some space and try again; nothing was "
                    "changed."),
                 what);
  else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("The database is busy in another program (%s). Try again in a moment."), what);
  else
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Database error while %s: %s"), what,
                 sqlite3_errmsg (db));
}

gboolean
pcmbn_store_exec (sqlite3 *db, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Database error: %s"),
                   msg ? msg : sqlite3_errmsg (db));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

int
pcmbn_store_db_version (sqlite3 *db)
{
  sqlite3_stmt *stmt;
  int version = 0;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK)
    {
      if (sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
      sqlite3_finalize (stmt);
    }
  return version;
}

/* ---- migrations -------------------------------------------------------- */

/* The meta key holding the SQL of the indexes and triggers a bulk load
 * dropped, until they are made again. */
#define BULK_META "bulk_load_schema"

static const char migration_1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE org_units ("
    "  code TEXT PRIMARY KEY, name TEXT NOT NULL, full_name TEXT, level TEXT NOT NULL,"
    "  unit_type TEXT, parent_code TEXT, key_area INTEGER NOT NULL DEFAULT 0,"
    "  population_14_60 INTEGER, name_folded TEXT);"
    "CREATE INDEX org_units_parent ON org_units (parent_code);"
    "CREATE TABLE records ("
    "  id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    "  org_unit TEXT NOT NULL, data TEXT NOT NULL, rdate TEXT, rtype TEXT, rtitle TEXT,"
    "  search TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_at TEXT,"
    "  modified_at TEXT NOT NULL);"
    "CREATE INDEX records_list ON records (kind, deleted, rdate, id);";

/* Sync bookkeeping: the server version, whether a local edit waits to be
 * sent (dirty) and a local revision counter, so that an edit made while a
 * sync is under way is not marked clean by the answer to the older one. */
static const char migration_2[] =
    "ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE records ADD COLUMN state TEXT NOT NULL DEFAULT 'dirty';"
    "ALTER TABLE records ADD COLUMN dirty INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE records ADD COLUMN local_rev INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE records ADD COLUMN problem TEXT;"
    "ALTER TABLE records ADD COLUMN server_data TEXT;"
    "CREATE INDEX records_dirty ON records (dirty) WHERE dirty = 1;";

/* Real columns for reports; added by ensure_columns() from the schema. */
static const char migration_3[] =
    "CREATE TABLE record_codes (record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,"
    "  field TEXT NOT NULL, code TEXT NOT NULL);"
    "CREATE INDEX record_codes_record ON record_codes (record_id);"
    "CREATE INDEX record_codes_field ON record_codes (field, code);"
    "CREATE INDEX records_scope ON records (kind, org_unit, deleted, rdate);"
    "CREATE INDEX records_type ON records (kind, deleted, rtype, rdate);"
    "CREATE INDEX records_title ON records (kind, deleted, rtitle);";

static const char migration_4[] =
    "CREATE TABLE targets (year INTEGER NOT NULL, indicator TEXT NOT NULL, value REAL NOT NULL,"
    "  PRIMARY KEY (year, indicator));"
    "CREATE TABLE drafts (id TEXT PRIMARY KEY, kind TEXT NOT NULL, record_uuid TEXT,"
    "  data TEXT NOT NULL, saved_at TEXT NOT NULL);";

/* Lists of 100,000 records: the number of live records of each kind, kept
 * by triggers, so that opening an unfiltered list reads one row instead of
 * counting an index; and the search text in a covering index, so that
 * filtering as the person types reads the index, not every record's JSON. */
static const char migration_5[] =
    "CREATE TABLE record_counts (kind TEXT PRIMARY KEY, live INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO record_counts SELECT kind, count(*) FROM records WHERE deleted = 0 GROUP BY kind;"
    "CREATE TRIGGER record_counts_insert AFTER INSERT ON records WHEN NEW.deleted = 0 BEGIN"
    "  INSERT INTO record_counts (kind, live) VALUES (NEW.kind, 1)"
    "  ON CONFLICT (kind) DO UPDATE SET live = live + 1; END;"
    "CREATE TRIGGER record_counts_delete AFTER DELETE ON records WHEN OLD.deleted = 0 BEGIN"
    "  UPDATE record_counts SET live = live - 1 WHERE kind = OLD.kind; END;"
    "CREATE TRIGGER record_counts_update AFTER UPDATE OF deleted, kind ON records"
    "  WHEN OLD.deleted <> NEW.deleted OR OLD.kind <> NEW.kind BEGIN"
    "  UPDATE record_counts SET live = live - 1 WHERE kind = OLD.kind AND OLD.deleted = 0;"
    "  INSERT INTO record_counts (kind, live) VALUES (NEW.kind, NEW.deleted = 0)"
    "  ON CONFLICT (kind) DO UPDATE SET live = live + (NEW.deleted = 0); END;"
    "CREATE INDEX records_search ON records (kind, deleted, rdate, search);";

/* Filtering as fast as typing: a trigram index of the search text, one per
 * kind and of live records only, so that counting what a word finds reads
 * the words' index entries instead of every record of the kind (a scan of
 * the folded text grows with the kind; the index with what matches). The
 * index reads the text from `records` (external content); triggers keep
 * it in step with every insert, edit, deletion and restoration. Made by
 * create_search_index() from the schema's kinds. */
static const char migration_6[] = "";

/* Cheaper inserts (a push, a restore, an import): every index and trigger
 * of `records` is paid on each new row. record_codes_record is the leading
 * column of record_codes_cover, which serves every lookup it did (and the
 * cascade of a deletion); the count of live records is kept by
 * insert_row() itself, since it is the only writer of new rows, so that an
 * insert fires no trigger and needs no statement journal. */
static const char migration_7[] = "DROP INDEX IF EXISTS record_codes_record;"
                                  "DROP TRIGGER IF EXISTS record_counts_insert;";

/* A record's codes kept in the order of their key, (record, field, code),
 * with no rowid: one b-tree per code written instead of the table and its
 * covering index, which held the same columns in the same order. A code
 * listed twice (a tombstone's data is not validated) is kept once. */
static const char migration_8[] =
    "CREATE TABLE record_codes_new (record_id INTEGER NOT NULL REFERENCES records (id)"
    "  ON DELETE CASCADE, field TEXT NOT NULL, code TEXT NOT NULL,"
    "  PRIMARY KEY (record_id, field, code)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO record_codes_new SELECT record_id, field, code FROM record_codes;"
    "DROP TABLE record_codes;"
    "ALTER TABLE record_codes_new RENAME TO record_codes;"
    "CREATE INDEX record_codes_field ON record_codes (field, code);";

/* Nothing looks records up by a code: reports reach a record's codes by
 * the record (the table's key), and test the field on the entries found.
 * The index by (field, code) cost every code of every record a write at a
 * random place, and a restore one more pass over the table to build it.
 * A bulk load under way keeps its list of indexes to make at the end: the
 * index leaves that list too. */
static const char migration_9[] =
    "DROP INDEX IF EXISTS record_codes_field;"
    "UPDATE meta SET value = replace (value, 'CREATE INDEX IF NOT EXISTS record_codes_field ON"
    " record_codes (field, code);' || char (10), '') WHERE key = '" BULK_META "';";

/* A list in date order and a list searched by its typed words read one
 * index: records_search is records_list with the search text after the
 * key, so a search reads the text from the index, in the list's order
 * (ties in date by id, as records_list had them), and a list without
 * words reads the same index. One index fewer for every new record, and
 * one pass fewer over the table when a bulk load builds them
 * (`bench-store 100000 bulk`: 0.13 s of 1.4 s). Made by
 * merge_list_indexes(): only where the search copy has an index (a
 * district server dropped it). */
static const char migration_10[] =
    "DROP INDEX IF EXISTS records_list;"
    "UPDATE meta SET value = replace (value, 'CREATE INDEX IF NOT EXISTS records_list ON"
    " records (kind, deleted, rdate, id);' || char (10), '') WHERE key = '" BULK_META "';";

static gboolean
merge_list_indexes (sqlite3 *db, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean searched = FALSE, pending = FALSE;

  /* An unfinished bulk load keeps the index's text, not the index. */
  if (sqlite3_prepare_v2 (db,
                          "SELECT (SELECT 1 FROM sqlite_master WHERE name = 'records_search'),"
                          " (SELECT 1 FROM meta WHERE key = '" BULK_META
                          "' AND value LIKE '%records_search%')",
                          -1, &stmt, NULL)
          == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    {
      searched = sqlite3_column_int (stmt, 0);
      pending = sqlite3_column_int (stmt, 1);
    }
  sqlite3_finalize (stmt);
  if (pending)
    return pcmbn_store_exec (db,
                             "UPDATE meta SET value = replace (value, 'records (kind, deleted,"
                             " rdate, search)', 'records (kind, deleted, rdate, id, search)')"
                             " WHERE key = '" BULK_META "';",
                             error);
  if (!searched)
    return TRUE;
  return pcmbn_store_exec (db,
                           "DROP INDEX records_search;"
                           "CREATE INDEX records_search ON records (kind, deleted, rdate, id,"
                           " search);",
                           error);
}

/**
 * pcmbn_store_search_table:
 * @kind: a kind
 *
 * Returns: (transfer full): the name of @kind's trigram search index
 */
char *
pcmbn_store_search_table (const PcmbnKind *kind)
{
  char *name = g_strconcat ("records_fts_", kind->name, NULL);

  return g_strdelimit (name, "-", '_');
}

static gboolean
create_search_index (sqlite3 *db, GError **error)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GString) on_update = g_string_new (
      "CREATE TRIGGER records_fts_update AFTER UPDATE OF search, deleted, kind ON records BEGIN ");
  g_autoptr (GString) on_update_new = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  gboolean server = FALSE;

  /* A district server lists no records for a person to filter: its pushes
   * should not pay for an index nobody reads (see
   * pcmbn_store_drop_search_index()). */
  if (sqlite3_prepare_v2 (db, "SELECT 1 FROM meta WHERE key = 'server_schema'", -1, &stmt, NULL)
      == SQLITE_OK)
    server = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  if (server)
    return TRUE;

  for (guint k = 0; k < n_kinds; k++)
    {
      g_autofree char *t = pcmbn_store_search_table (kinds[k]);
      const char *kind = kinds[k]->name;
      g_autofree char *sql = g_strdup_printf (
          "CREATE VIRTUAL TABLE %s USING fts5 (search, content = 'records', content_rowid = 'id',"
          "  tokenize = 'trigram');"
          "INSERT INTO %s (rowid, search) SELECT id, search FROM records"
          "  WHERE kind = '%s' AND deleted = 0;"
          "CREATE TRIGGER %s_insert AFTER INSERT ON records"
          "  WHEN NEW.kind = '%s' AND NEW.deleted = 0 BEGIN"
          "  INSERT INTO %s (rowid, search) VALUES (NEW.id, NEW.search); END;"
          "CREATE TRIGGER %s_delete AFTER DELETE ON records"
          "  WHEN OLD.kind = '%s' AND OLD.deleted = 0 BEGIN"
          "  INSERT INTO %s (%s, rowid, search) VALUES ('delete', OLD.id, OLD.search); END;",
          t, t, kind, t, kind, t, t, kind, t, t);
      if (!pcmbn_store_exec (db, sql, error))
        return FALSE;
      /* One trigger for edits: every old entry goes before any new one is
       * made, whatever order SQLite would run separate triggers in. */
      g_string_append_printf (on_update,
                              "INSERT INTO %s (%s, rowid, search) SELECT 'delete', OLD.id,"
                              " OLD.search WHERE OLD.kind = '%s' AND OLD.deleted = 0; ",
                              t, t, kind);
      g_string_append_printf (on_update_new,
                              "INSERT INTO %s (rowid, search) SELECT NEW.id, NEW.search"
                              " WHERE NEW.kind = '%s' AND NEW.deleted = 0; ",
                              t, kind);
    }
  g_string_append (on_update, on_update_new->str);
  g_string_append (on_update, "END;");
  return pcmbn_store_exec (db, on_update->str, error);
}

/**
 * pcmbn_store_drop_search_index:
 * @self: a store
 * @error: return location for an error
 *
 * Removes the trigram search index and its triggers, for a database whose
 * records nobody filters as they type (a district server): every write then
 * costs what it did without it. Lists still search, by scanning. The
 * indexes that sort and filter a list by date, type and title go too: such
 * a database shows no list (what it counts and reports reads the
 * reports' indexes), and each cost every record a write.
 *
 * Returns: %TRUE on success, also when there was no index
 */
gboolean
pcmbn_store_drop_search_index (PcmbnStore *self, GError **error)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GString)
      sql = g_string_new ("BEGIN IMMEDIATE; DROP TRIGGER IF EXISTS records_fts_update;"
                          " DROP INDEX IF EXISTS records_title; DROP INDEX IF EXISTS records_list;"
                          " DROP INDEX IF EXISTS records_type;");
  sqlite3_stmt *stmt = NULL;
  gboolean ok, present = FALSE;

  /* Opened often (a connection per worker): a read when there is nothing
   * to drop, no write lock. */
  pcmbn_store_lock (self);
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT 1 FROM sqlite_master WHERE name IN ('records_fts_update',"
                          " 'records_title', 'records_list', 'records_type')",
                          -1, &stmt, NULL)
      == SQLITE_OK)
    present = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  if (!present)
    return TRUE;
  for (guint k = 0; k < n_kinds; k++)
    {
      g_autofree char *t = pcmbn_store_search_table (kinds[k]);
      g_string_append_printf (sql,
                              "DROP TRIGGER IF EXISTS %s_insert; DROP TRIGGER IF EXISTS %s_delete;"
                              " DROP TABLE IF EXISTS %s;",
                              t, t, t);
    }
  g_string_append (sql, "COMMIT;");
  pcmbn_store_lock (self);
  ok = pcmbn_store_exec (self->db, sql->str, error);
  if (!ok)
    sqlite3_exec (self->db, "ROLLBACK;", NULL, NULL, NULL);
  pcmbn_store_unlock (self);
  return ok;
}

static char *query_text (sqlite3 *db, const char *sql, const char *arg);

static gboolean
index_exists (sqlite3 *db, const char *name)
{
  g_autofree char *found = query_text (
      db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", name);

  return found != NULL;
}

/* A report reads every record of a scope and period and groups or sums
 * its columns. One partial index per kind holds the unit, the date and
 * every column of that kind, so that a report reads indexes only and never
 * the records' rows (a district's million records in seconds, not
 * minutes). The name carries a hash of the columns: a new field makes a new
 * index, and the one it replaces is dropped.
 *
 * These indexes begin with records_scope's columns (kind, unit, deleted,
 * date), so that index goes: every count by unit names its kind, and each
 * record cost one index more to write, and a bulk load one more sort.
 *
 * Adds to @plan what makes the report indexes those the schema asks for. */
static gboolean
plan_report_indexes (sqlite3 *db, GPtrArray *plan, GError **error)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GPtrArray) wanted = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;

  for (guint k = 0; k < n_kinds; k++)
    {
      g_autoptr (GString) columns = g_string_new ("kind, org_unit, deleted, rdate, rtype");
      g_autofree char *name = NULL;
      for (guint f = 0; f < kinds[k]->n_fields; f++)
        if (pcmbn_schema_column_index (&kinds[k]->fields[f]) >= 0)
          g_string_append_printf (columns, ", f_%s", kinds[k]->fields[f].name);
      /* A kind other records point to (a model, by its meetings) is
       * joined by uuid. */
      for (guint o = 0; o < n_kinds; o++)
        for (guint f = 0; f < kinds[o]->n_fields; f++)
          if (g_strcmp0 (kinds[o]->fields[f].ref_kind, kinds[k]->name) == 0
              && !strstr (columns->str, ", uuid"))
            g_string_append (columns, ", uuid");
      name = g_strdup_printf ("records_report_%s_%08x", kinds[k]->name, g_str_hash (columns->str));
      g_strdelimit (name, "-", '_');
      if (!index_exists (db, name))
        g_ptr_array_add (plan,
                         g_strdup_printf ("CREATE INDEX IF NOT EXISTS %s ON records (%s) WHERE"
                                          " kind = '%s';",
                                          name, columns->str, kinds[k]->name));
      g_ptr_array_add (wanted, g_steal_pointer (&name));
    }
  if (index_exists (db, "records_scope"))
    g_ptr_array_add (plan, g_strdup ("DROP INDEX IF EXISTS records_scope;"));

  if (sqlite3_prepare_v2 (db,
                          "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE"
                          " 'records_report_%'",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    {
      pcmbn_store_set_sqlite_error (error, db, "reading the indexes");
      return FALSE;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *)sqlite3_column_text (stmt, 0);
      gboolean keep = FALSE;
      for (guint i = 0; i < wanted->len && !keep; i++)
        keep = g_str_equal (wanted->pdata[i], name);
      if (!keep)
        g_ptr_array_add (plan, g_strdup_printf ("DROP INDEX IF EXISTS %s;", name));
    }
  sqlite3_finalize (stmt);
  return TRUE;
}

/* Adds to @plan the statements that bring the records' report columns and
 * their indexes up to the schema (nothing when the file is current); only
 * reads, so that an open can tell without the write lock. */
static gboolean
plan_columns (sqlite3 *db, gboolean backfill, GPtrArray *plan, GError **error)
{
  g_autoptr (GHashTable) have = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const PcmbnField *const *columns;
  guint n_columns;
  sqlite3_stmt *stmt;

  if (sqlite3_prepare_v2 (db, "PRAGMA table_info(records)", -1, &stmt, NULL) != SQLITE_OK)
    {
      pcmbn_store_set_sqlite_error (error, db, "reading the table");
      return FALSE;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_add (have, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);

  columns = pcmbn_schema_columns (&n_columns);
  for (guint i = 0; i < n_columns; i++)
    {
      g_autofree char *col = g_strconcat ("f_", columns[i]->name, NULL);
      if (g_hash_table_contains (have, col))
        continue;
      g_ptr_array_add (plan, g_strdup_printf ("ALTER TABLE records ADD COLUMN %s %s;", col,
                                              pcmbn_field_sql_type (columns[i])));
      /* Once per new column, on records written before it existed. */
      if (backfill)
        g_ptr_array_add (plan, g_strdup_printf ("UPDATE records SET %s = json_extract(data, "
                                                "'$.%s') WHERE json_type(data, '$.%s') IS NOT "
                                                "NULL;",
                                                col, columns[i]->name, columns[i]->name));
    }
  /* The recently deleted, newest first, without reading the live records:
   * a partial index holds only tombstones. An index, not a migration, so
   * that any store gains it on open. */
  if (!index_exists (db, "records_deleted"))
    g_ptr_array_add (plan, g_strdup ("CREATE INDEX IF NOT EXISTS records_deleted ON records"
                                     " (modified_at) WHERE deleted = 1;"));
  /* Meetings of one model; more equality columns than records_search, so
   * that the planner prefers it without statistics. Partial: only meetings
   * name a model, and every other row's insert would pay for an entry of
   * NULL (`f_model = ?` implies the condition, so the planner still takes
   * it). Made whole by older versions: made again. */
  {
    g_autofree char *whole = query_text (db,
                                         "SELECT name FROM sqlite_master WHERE type = 'index'"
                                         " AND name = 'records_model' AND sql NOT LIKE '%WHERE%'",
                                         NULL);
    if (whole != NULL)
      g_ptr_array_add (plan, g_strdup ("DROP INDEX records_model;"));
    if (whole != NULL || !index_exists (db, "records_model"))
      g_ptr_array_add (plan, g_strdup ("CREATE INDEX IF NOT EXISTS records_model ON records"
                                       " (f_model, kind, deleted, rdate) WHERE f_model IS NOT"
                                       " NULL;"));
  }
  return plan_report_indexes (db, plan, error);
}

/* Brings the records' columns and indexes up to the schema (see
 * plan_columns()); the caller holds the write transaction. */
static gboolean
ensure_columns (sqlite3 *db, gboolean backfill, GError **error)
{
  g_autoptr (GPtrArray) plan = g_ptr_array_new_with_free_func (g_free);

  if (!plan_columns (db, backfill, plan, error))
    return FALSE;
  for (guint i = 0; i < plan->len; i++)
    if (!pcmbn_store_exec (db, plan->pdata[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
backfill_codes (sqlite3 *db, GError **error)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  for (guint k = 0; k < n_kinds; k++)
    for (guint f = 0; f < kinds[k]->n_fields; f++)
      {
        g_autofree char *sql = NULL;
        if (kinds[k]->fields[f].type != PCMBN_FIELD_CODES)
          continue;
        sql = g_strdup_printf ("INSERT OR IGNORE INTO record_codes (record_id, field, code) "
                               "SELECT r.id, '%s', j.value FROM records r, json_each(r.data, "
                               "'$.%s') j WHERE r.kind = '%s';",
                               kinds[k]->fields[f].name, kinds[k]->fields[f].name, kinds[k]->name);
        if (!pcmbn_store_exec (db, sql, error))
          return FALSE;
      }
  return TRUE;
}

/**
 * pcmbn_store_migrate:
 * @db: an open database
 * @target_version: the version to reach, at most %PCMBN_STORE_SCHEMA_VERSION
 * @error: return location for an error
 *
 * Upgrades step by step from the file's `PRAGMA user_version`, each step in
 * its own transaction, so that a crash leaves a file at one version or the
 * next and never in between.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_migrate (sqlite3 *db, int target_version, GError **error)
{
  static const char *const steps[] = { NULL,        migration_1, migration_2, migration_3,
                                       migration_4, migration_5, migration_6, migration_7,
                                       migration_8, migration_9, migration_10 };
  int version = pcmbn_store_db_version (db);

  G_STATIC_ASSERT (G_N_ELEMENTS (steps) == PCMBN_STORE_SCHEMA_VERSION + 1);

  if (version > PCMBN_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("This database was made by a newer version of PCMBN Logbook (schema %d). "
                      "Install the newer version to open it."),
                   version);
      return FALSE;
    }
  while (version < target_version)
    {
      int next = version + 1;
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d;", next);

      if (!pcmbn_store_exec (db, "BEGIN IMMEDIATE;", error))
        return FALSE;
      if (!pcmbn_store_exec (db, steps[next], error)
          || (next == 3 && (!ensure_columns (db, TRUE, error) || !backfill_codes (db, error)))
          || (next == 6 && !create_search_index (db, error))
          || (next == 10 && !merge_list_indexes (db, error)) || !pcmbn_store_exec (db, bump, error)
          || !pcmbn_store_exec (db, "COMMIT;", error))
        {
          sqlite3_exec (db, "ROLLBACK;", NULL, NULL, NULL);
          return FALSE;
        }
      version = next;
    }
  /* A field added to the schema since: a new column, filled from the JSON.
   * Looked for first without the write lock: every open comes here (a
   * server's worker threads each open a connection), and taking the lock
   * for nothing made an open wait, asleep in SQLite's busy handler, for
   * the whole of another connection's write: 0.18 s of a push of 10,000
   * records went to the server's workers waiting so. */
  if (version >= 3)
    {
      g_autoptr (GPtrArray) plan = g_ptr_array_new_with_free_func (g_free);

      if (!plan_columns (db, TRUE, plan, error))
        return FALSE;
      if (plan->len == 0)
        return TRUE;
      if (!pcmbn_store_exec (db, "BEGIN IMMEDIATE;", error))
        return FALSE;
      if (!ensure_columns (db, TRUE, error) || !pcmbn_store_exec (db, "COMMIT;", error))
        {
          sqlite3_exec (db, "ROLLBACK;", NULL, NULL, NULL);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * pcmbn_store_default_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/pcmbn-logbook/logbook.sqlite`
 */
char *
pcmbn_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "pcmbn-logbook", "logbook.sqlite", NULL);
}

static gboolean
create_private_file (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  /* SQLite's in-memory database is not a file. */
  if (g_str_equal (path, ":memory:") || g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int err = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   _ ("Cannot create the folder %s: %s"), dir, g_strerror (err));
      return FALSE;
    }
  /* The records concern vulnerable people: only the owner may read them.
   * SQLite gives its -wal and -shm files the same mode. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 && errno != EEXIST)
    {
      int err = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   _ ("Cannot create the database %s: %s"), path, g_strerror (err));
      return FALSE;
    }
  if (fd >= 0)
    g_close (fd, NULL);
  return TRUE;
}

static gboolean finish_bulk_load (PcmbnStore *self, GError **error);

static char *
query_text (sqlite3 *db, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt;
  char *result = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  if (arg)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    result = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return result;
}

/* ---- sensitive data at rest -------------------------------------------- */

static gboolean
kind_has_sensitive (const PcmbnKind *kind)
{
  for (guint f = 0; f < kind->n_fields; f++)
    if (kind->fields[f].flags & PCMBN_FIELD_SENSITIVE)
      return TRUE;
  return FALSE;
}

/* Meta rows that give away the device: sealed like case notes. The
 * secret of a pending enrolment by USB bundle opens the token in its reply. */
static gboolean
meta_is_sensitive (const char *key)
{
  return g_strcmp0 (key, "sync_token") == 0 || g_strcmp0 (key, "bundle_enrol_secret") == 0;
}

static char *
record_ad (const char *uuid)
{
  return g_strconcat ("records.sealed:", uuid, NULL);
}

/* SQL `pcmbn_unseal(uuid, data, sealed)`: the record's data with its
 * sealed fields put back, when this store has the key; the data alone
 * otherwise. Registered on the store's connection, so that every query
 * that reads whole records gets them through PCMBN_RECORD_COLUMNS. */
static void
unseal_func (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
  PcmbnStore *self = sqlite3_user_data (ctx);
  const char *uuid = (const char *)sqlite3_value_text (argv[0]);
  const char *data;
  g_autofree char *ad = NULL;
  g_autofree char *plain = NULL;
  gsize data_len, plain_len = 0;
  char *merged;

  if (sqlite3_value_type (argv[2]) == SQLITE_NULL || self->crypto == NULL || uuid == NULL
      || sqlite3_value_type (argv[1]) == SQLITE_NULL)
    {
      sqlite3_result_value (ctx, argv[1]);
      return;
    }
  data = (const char *)sqlite3_value_text (argv[1]);
  data_len = sqlite3_value_bytes (argv[1]);
  ad = record_ad (uuid);
  plain = pcmbn_crypto_open (self->crypto, ad, sqlite3_value_blob (argv[2]),
                             sqlite3_value_bytes (argv[2]), &plain_len, NULL);
  /* Both are JSON objects that seal_data() split by field, so their
   * members never clash: joined as text, with no parse on this hot path
   * (every row of a counselling list comes through here). */
  if (plain == NULL || plain_len < 2 || plain[0] != '{' || plain[plain_len - 1] != '}'
      || data_len < 2 || data[0] != '{' || data[data_len - 1] != '}')
    {
      g_warning ("The sealed fields of record %s do not open; they are left out", uuid);
      sqlite3_result_value (ctx, argv[1]);
      if (plain)
        memset (plain, 0, plain_len);
      return;
    }
  if (plain_len == 2)
    merged = g_strndup (data, data_len);
  else if (data_len == 2)
    merged = g_strndup (plain, plain_len);
  else
    {
      merged = g_malloc (data_len + plain_len);
      memcpy (merged, data, data_len - 1);
      merged[data_len - 1] = ',';
      memcpy (merged + data_len, plain + 1, plain_len - 1);
      merged[data_len + plain_len - 1] = '\0';
    }
  memset (plain, 0, plain_len);
  sqlite3_result_text (ctx, merged, -1, g_free);
}

/* Splits valid @data into the JSON kept in clear and, when it sets a field
 * marked sensitive, those fields sealed for the row @uuid. Both texts put
 * the fields in the schema's order, whatever order @data has (see
 * pcmbn_schema_normalize_any_order()). */
static gboolean
seal_data (PcmbnStore *self,
           const PcmbnKind *kind,
           const char *uuid,
           JsonObject *data,
           char **json,
           GBytes **sealed,
           GError **error)
{
  g_autofree char *secret_text = NULL;
  g_autofree char *ad = NULL;
  guint n_secret = 0;

  *sealed = NULL;
  if (!kind_has_sensitive (kind))
    {
      *json = pcmbn_schema_data_text (kind, data, FALSE, NULL);
      return TRUE;
    }
  /* Without the key, the record's sealed fields cannot be read back: any
   * write would lose them. A server without a key keeps none at all. */
  if (self->crypto == NULL && !self->server_mode)
    return pcmbn_store_require_key (self, error);
  /* A server has no key: its records' sensitive fields are left out. */
  if (self->crypto != NULL)
    {
      secret_text = pcmbn_schema_data_text (kind, data, TRUE, &n_secret);
      if (n_secret > 0)
        {
          ad = record_ad (uuid);
          *sealed = pcmbn_crypto_seal (self->crypto, ad, secret_text, strlen (secret_text));
        }
      memset (secret_text, 0, strlen (secret_text));
    }
  *json = pcmbn_schema_data_text (kind, data, FALSE, NULL);
  return TRUE;
}

static char *
meta_ad (const char *key)
{
  return g_strconcat ("meta:", key, NULL);
}

static gboolean
set_meta_raw (sqlite3 *db, const char *key, const char *value)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  if (sqlite3_prepare_v2 (db,
                          value
                              ? "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                                "UPDATE SET value = excluded.value"
                              : "DELETE FROM meta WHERE key = ?",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (value)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
ensure_sealed_columns (sqlite3 *db, GError **error)
{
  static const char *const tables[] = { "records", "drafts" };

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *probe = g_strdup_printf ("SELECT sealed FROM %s LIMIT 0", tables[t]);
      g_autofree char *add = g_strdup_printf ("ALTER TABLE %s ADD COLUMN sealed BLOB", tables[t]);
      sqlite3_stmt *stmt = NULL;

      if (sqlite3_prepare_v2 (db, probe, -1, &stmt, NULL) == SQLITE_OK)
        {
          sqlite3_finalize (stmt);
          continue;
        }
      if (!pcmbn_store_exec (db, add, error))
        return FALSE;
    }
  return TRUE;
}

/* Once per database, with its key: case notes, counselling drafts and the
 * token written in clear by an older version move into sealed form, in one
 * transaction (a kill leaves all of it in clear or all sealed). With
 * secure_delete the old cells are zeroed, and the truncating checkpoint
 * leaves no copy of them in the WAL. */
static gboolean
seal_existing (PcmbnStore *self, GError **error)
{
  g_autofree char *done = query_text (self->db, "SELECT value FROM meta WHERE key = 'sealed'",
                                      NULL);
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GString) sensitive_kinds = g_string_new (NULL);
  gboolean ok = TRUE;

  if (self->crypto == NULL || g_strcmp0 (done, "1") == 0)
    return TRUE;
  for (guint k = 0; k < n_kinds; k++)
    if (kind_has_sensitive (kinds[k]))
      g_string_append_printf (sensitive_kinds, "%s'%s'", sensitive_kinds->len ? "," : "",
                              kinds[k]->name);
  if (!pcmbn_store_exec (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (sensitive_kinds->len > 0)
    {
      g_autofree char *sql = g_strdup_printf (
          "SELECT id, uuid, kind, data FROM records WHERE sealed IS NULL AND kind IN (%s)",
          sensitive_kinds->str);
      g_autofree char *dsql = g_strdup_printf (
          "SELECT id, data FROM drafts WHERE sealed IS NULL AND kind IN (%s)",
          sensitive_kinds->str);
      sqlite3_stmt *stmt = NULL, *upd = NULL;

      ok = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK
           && sqlite3_prepare_v2 (self->db,
                                  "UPDATE records SET data = ?2, sealed = ?3 WHERE id = ?1", -1,
                                  &upd, NULL)
                  == SQLITE_OK;
      while (ok && sqlite3_step (stmt) == SQLITE_ROW)
        {
          const PcmbnKind *kind = pcmbn_schema_kind ((const char *)sqlite3_column_text (stmt, 2));
          g_autoptr (JsonParser) parser = json_parser_new ();
          g_autofree char *json = NULL;
          g_autoptr (GBytes) sealed = NULL;

          if (kind == NULL
              || !json_parser_load_from_data (parser, (const char *)sqlite3_column_text (stmt, 3),
                                              -1, NULL)
              || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            continue;
          ok = seal_data (self, kind, (const char *)sqlite3_column_text (stmt, 1),
                          json_node_get_object (json_parser_get_root (parser)), &json, &sealed,
                          error);
          if (!ok || sealed == NULL)
            continue;
          sqlite3_reset (upd);
          sqlite3_bind_int64 (upd, 1, sqlite3_column_int64 (stmt, 0));
          sqlite3_bind_text (upd, 2, json, -1, SQLITE_TRANSIENT);
          sqlite3_bind_blob (upd, 3, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                             SQLITE_TRANSIENT);
          ok = sqlite3_step (upd) == SQLITE_DONE;
        }
      sqlite3_finalize (stmt);
      sqlite3_finalize (upd);
      stmt = upd = NULL;
      /* Drafts of such a kind: the whole input, since it may not be valid. */
      ok = ok && sqlite3_prepare_v2 (self->db, dsql, -1, &stmt, NULL) == SQLITE_OK
           && sqlite3_prepare_v2 (self->db,
                                  "UPDATE drafts SET data = '{}', sealed = ?2 WHERE id = ?1", -1,
                                  &upd, NULL)
                  == SQLITE_OK;
      while (ok && sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *id = (const char *)sqlite3_column_text (stmt, 0);
          const char *text = (const char *)sqlite3_column_text (stmt, 1);
          g_autofree char *ad = g_strconcat ("drafts.sealed:", id, NULL);
          g_autoptr (GBytes) sealed = pcmbn_crypto_seal (self->crypto, ad, text ? text : "{}",
                                                         text ? strlen (text) : 2);
          sqlite3_reset (upd);
          sqlite3_bind_text (upd, 1, id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_blob (upd, 2, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                             SQLITE_TRANSIENT);
          ok = sqlite3_step (upd) == SQLITE_DONE;
        }
      sqlite3_finalize (stmt);
      sqlite3_finalize (upd);
    }
  if (ok)
    {
      g_autofree char *token = query_text (self->db,
                                           "SELECT value FROM meta WHERE key = 'sync_token'", NULL);
      if (token && !pcmbn_crypto_is_sealed_text (token))
        {
          g_autofree char *ad = meta_ad ("sync_token");
          g_autofree char *sealed = pcmbn_crypto_seal_text (self->crypto, ad, token);
          memset (token, 0, strlen (token));
          ok = set_meta_raw (self->db, "sync_token", sealed);
        }
    }
  ok = ok && set_meta_raw (self->db, "sealed", "1");
  if (!ok || !pcmbn_store_exec (self->db, "COMMIT", error))
    {
      if (error && *error == NULL)
        pcmbn_store_set_sqlite_error (error, self->db, _ ("encrypting the case notes"));
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  /* The clear copies were in the WAL: empty it now (best effort: a reader
   * in another program may hold it, and the next checkpoint resets it). */
  sqlite3_exec (self->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  return TRUE;
}

static void
set_key_missing (PcmbnStore *self, const char *why)
{
  g_free (self->key_problem);
  self->key_problem = g_strdup_printf (
      _ ("The key of this logbook (%s) is missing on this computer: %s Case notes, counselling "
         "drafts and the connection to the district stay locked. To restore the key, run "
         "“pcmbn --db %s key recover --code CODE” with the recovery code written down when the "
         "logbook was set up."),
      self->path, why, self->path);
}

/* A new data key: saved outside the file first, then named in the file
 * with its check value and its copy for the recovery code, in one
 * transaction. A kill in between leaves an unused key behind, never a
 * database whose key is lost. */
static gboolean
create_key (PcmbnStore *self, GError **error)
{
  g_autoptr (PcmbnCrypto) crypto = pcmbn_crypto_new_random ();
  g_autofree char *key_id = g_uuid_string_random ();
  g_autofree char *code = pcmbn_crypto_new_recovery_code ();
  g_autofree char *wrapped = NULL;
  g_autofree char *check = pcmbn_crypto_make_check (crypto);

  wrapped = pcmbn_crypto_wrap_for_recovery (crypto, code, error);
  if (wrapped == NULL)
    return FALSE;
  if (!pcmbn_keyring_store (self->keyring, key_id, crypto, self->path, error))
    return FALSE;
  if (!pcmbn_store_exec (self->db, "BEGIN IMMEDIATE", error))
    {
      pcmbn_keyring_forget (self->keyring, key_id);
      return FALSE;
    }
  /* Another program opening the same new file made its key first: use it. */
  self->key_id = query_text (self->db, "SELECT value FROM meta WHERE key = 'key_id'", NULL);
  if (self->key_id != NULL)
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      pcmbn_keyring_forget (self->keyring, key_id);
      return TRUE;
    }
  if (!set_meta_raw (self->db, "key_id", key_id) || !set_meta_raw (self->db, "key_check", check)
      || !set_meta_raw (self->db, "key_recovery", wrapped)
      || !pcmbn_store_exec (self->db, "COMMIT", error))
    {
      if (error && *error == NULL)
        pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the key"));
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      pcmbn_keyring_forget (self->keyring, key_id);
      return FALSE;
    }
  self->crypto = g_steal_pointer (&crypto);
  self->key_id = g_steal_pointer (&key_id);
  self->recovery_code = g_steal_pointer (&code);
  self->key_is_new = TRUE;
  self->key_location = pcmbn_keyring_get_backend (self->keyring) == PCMBN_KEY_BACKEND_KEYRING
                           ? g_strdup (_ ("the keyring"))
                           : pcmbn_keyring_key_file_path (self->key_id);
  return TRUE;
}

static gboolean
setup_user_key (PcmbnStore *self, GError **error)
{
  g_autofree char *check = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (PcmbnCrypto) crypto = NULL;
  g_autofree char *found_in = NULL;

  if (g_str_equal (self->path, ":memory:"))
    {
      /* Gone with the process, like the data. */
      self->crypto = pcmbn_crypto_new_random ();
      return TRUE;
    }
  self->keyring = pcmbn_keyring_new ();
  self->key_id = query_text (self->db, "SELECT value FROM meta WHERE key = 'key_id'", NULL);
  if (self->key_id == NULL)
    {
      if (!create_key (self, error))
        return FALSE;
      if (self->crypto != NULL)
        return TRUE;
    }
  check = query_text (self->db, "SELECT value FROM meta WHERE key = 'key_check'", NULL);
  crypto = pcmbn_keyring_lookup (self->keyring, self->key_id, &found_in, &local);
  if (crypto == NULL)
    {
      g_autofree char *file = pcmbn_keyring_key_file_path (self->key_id);
      g_autofree char *why = local ? g_strdup (local->message)
                                   : g_strdup_printf (_ ("it is neither in the keyring nor in %s."),
                                                      file);
      set_key_missing (self, why);
      return TRUE;
    }
  if (check != NULL && !pcmbn_crypto_verify_check (crypto, check))
    {
      g_autofree char *why = g_strdup_printf (
          _ ("the key found in %s belongs to another logbook or is damaged."), found_in);
      set_key_missing (self, why);
      return TRUE;
    }
  self->crypto = g_steal_pointer (&crypto);
  self->key_location = g_steal_pointer (&found_in);
  return TRUE;
}

static gboolean
setup_server_key (PcmbnStore *self, const char *key_text, GError **error)
{
  g_autofree char *check = NULL;
  g_autoptr (PcmbnCrypto) crypto = NULL;

  if (key_text == NULL || *key_text == '\0')
    return TRUE;
  crypto = pcmbn_crypto_new_from_text (key_text, error);
  if (crypto == NULL)
    {
      g_prefix_error (error, "PCMBN_CASE_NOTES_KEY: ");
      return FALSE;
    }
  check = query_text (self->db, "SELECT value FROM meta WHERE key = 'key_check'", NULL);
  if (check == NULL)
    {
      g_autofree char *made = pcmbn_crypto_make_check (crypto);
      if (!set_meta_raw (self->db, "key_check", made))
        {
          pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the key"));
          return FALSE;
        }
    }
  else if (!pcmbn_crypto_verify_check (crypto, check))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("PCMBN_CASE_NOTES_KEY: this key does not open the case notes kept in %s; "
                      "put back the key the server had (see /etc/pcmbn-district/"
                      "pcmbn-district.conf)."),
                   self->path);
      return FALSE;
    }
  self->crypto = g_steal_pointer (&crypto);
  self->key_location = g_strdup ("PCMBN_CASE_NOTES_KEY");
  return TRUE;
}

/* Before the process's first connection: SQLite keeps statistics of its
 * memory by default, behind one process-wide mutex taken by every malloc
 * and free it makes (a server push took it three million times, a twentieth
 * of its instructions). Nothing here reads those statistics or sets a heap
 * limit. When another library opened SQLite first, the setting is refused
 * and nothing changes. */
static void
configure_sqlite (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&done, 1);
    }
}

static PcmbnStore *
open_store (const char *path, gboolean server_mode, const char *key_text, GError **error)
{
  g_autoptr (PcmbnStore) self = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (!pcmbn_crypto_init_library (error) || !create_private_file (path, error))
    return NULL;
  configure_sqlite ();
  self = g_object_new (PCMBN_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->server_mode = server_mode;
  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot open the database %s: %s"),
                   path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 10000);
  sqlite3_extended_result_codes (self->db, 0);
  /* A logbook's new file has pages of 16 KiB (a file made before keeps
   * its own: WAL mode fixes it). A record is about 2 KiB with its report
   * columns, and what waits on a logbook's writes is the sync and bulk
   * loads, tens of megabytes at a time: with four times fewer pages,
   * SQLite's per-page work (log frames, checksums, system calls) shrinks.
   * A full push of 10,000 records took 1.12 s with 4 KiB pages and about
   * 1.0 s with these, a restore 0.82 s and 0.75 s; the price is paid by
   * many rows added one by one in a transaction with every index live (an
   * import into a logbook with records): 20,000 took 2.27 s and 2.5 s,
   * 100,000 17.2 s and 17.8 s. One record saved waits on the disk's flush
   * either way. A server keeps SQLite's
   * 4 KiB: its pushes are small and many, and each touches pages all over
   * its indexes; with 16 KiB pages the national benchmark's pushes of 100
   * records took a quarter longer (p50 0.182 -> 0.230 s).
   * Statement journals that triggers and multi-row writes need stay in
   * memory rather than in temporary files. secure_delete: what a change or
   * a deletion frees is zeroed, so that no old case note lingers in free
   * pages.
   *
   * Foreign keys are not enforced: the one there is (a record's codes
   * name its row) holds by construction, since write_codes() writes the
   * codes of the row it has just written and no record's row is ever
   * deleted. Enforcing it cost every code row a look-up of its record and
   * a statement journal, a third of what writing the codes costs (callgrind
   * of `bench-store 3000 bulk`, write_codes() 130 M instructions against
   * 169 M with it on); the crash tests still run `PRAGMA
   * foreign_key_check`. */
  if (!server_mode)
    sqlite3_exec (self->db, "PRAGMA page_size = 16384", NULL, NULL, NULL);
  if (!pcmbn_store_exec (self->db,
                         "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         " " STORE_CACHE_PRAGMA
                         " PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF;"
                         " PRAGMA secure_delete = ON;",
                         NULL))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("%s is not a PCMBN Logbook database, or it is damaged: %s"), path,
                   sqlite3_errmsg (self->db));
      return NULL;
    }
  sqlite3_create_function_v2 (self->db, "pcmbn_unseal", 3, SQLITE_UTF8, self, unseal_func, NULL,
                              NULL, NULL);
  if (!pcmbn_store_migrate (self->db, PCMBN_STORE_SCHEMA_VERSION, error)
      || !finish_bulk_load (self, error) || !pcmbn_store_build_search_index (self, error))
    return NULL;
  if (!ensure_sealed_columns (self->db, error))
    return NULL;
  if (!(server_mode ? setup_server_key (self, key_text, error) : setup_user_key (self, error)))
    return NULL;
  if (!seal_existing (self, error))
    return NULL;
  self->org_unit = query_text (self->db, "SELECT value FROM meta WHERE key = 'org_unit'", NULL);
  return g_steal_pointer (&self);
}

/**
 * pcmbn_store_open:
 * @path: the database file; created (mode 0600) when missing
 * @error: return location for an error
 *
 * Opens the file in WAL mode with foreign keys and a busy timeout, and
 * upgrades it to the current schema. The data key comes from the keyring
 * or the key file (see #PcmbnKeyring); a new database gets a new key and a
 * recovery code (pcmbn_store_take_recovery_code()). A missing key is not an
 * error here: the store opens locked (pcmbn_store_require_key()).
 *
 * Returns: (transfer full) (nullable): the store, or %NULL on error
 */
PcmbnStore *
pcmbn_store_open (const char *path, GError **error)
{
  return open_store (path, FALSE, NULL, error);
}

/**
 * pcmbn_store_open_with_key:
 * @path: the database file
 * @key_text: (nullable): the data key in base64, from the server's
 *   configuration; %NULL keeps no sensitive field at all
 * @error: return location for an error
 *
 * Opens a server's database: its key comes from its configuration, never
 * from a keyring, and a wrong key is an error.
 *
 * Returns: (transfer full) (nullable): the store, or %NULL on error
 */
PcmbnStore *
pcmbn_store_open_with_key (const char *path, const char *key_text, GError **error)
{
  return open_store (path, TRUE, key_text, error);
}

/**
 * pcmbn_store_has_key:
 * @self: a store
 *
 * Returns: whether sensitive fields can be read and written
 */
gboolean
pcmbn_store_has_key (PcmbnStore *self)
{
  return self->crypto != NULL;
}

/**
 * pcmbn_store_require_key:
 * @self: a store
 * @error: return location for a %PCMBN_ERROR_KEY_MISSING error that says
 *   how to restore the key
 *
 * Returns: %TRUE when the store has its key
 */
gboolean
pcmbn_store_require_key (PcmbnStore *self, GError **error)
{
  if (self->crypto != NULL)
    return TRUE;
  g_set_error_literal (
      error, PCMBN_ERROR, PCMBN_ERROR_KEY_MISSING,
      self->key_problem ? self->key_problem
                        : _ ("This server keeps no case notes: it has no PCMBN_CASE_NOTES_KEY."));
  return FALSE;
}

/**
 * pcmbn_store_get_key_problem:
 * @self: a store
 *
 * Returns: (transfer none) (nullable): why the key is missing, with what to
 *   do, or %NULL when the store has it (or is a server's)
 */
const char *
pcmbn_store_get_key_problem (PcmbnStore *self)
{
  return self->key_problem;
}

/**
 * pcmbn_store_get_key_location:
 * @self: a store
 *
 * Returns: (transfer none) (nullable): where the key was found: "the
 *   keyring" or a key file's path
 */
const char *
pcmbn_store_get_key_location (PcmbnStore *self)
{
  return self->key_location;
}

/**
 * pcmbn_store_key_in_file:
 * @self: a store
 *
 * Returns: whether the key is kept in a key file rather than a keyring, which
 *   the programs say once
 */
gboolean
pcmbn_store_key_in_file (PcmbnStore *self)
{
  return self->crypto != NULL && self->key_location != NULL
         && g_path_is_absolute (self->key_location);
}

/**
 * pcmbn_store_take_recovery_code:
 * @self: a store
 *
 * The recovery code made with a new key, once: the program shows it at set-up
 * and it is never stored.
 *
 * Returns: (transfer full) (nullable): the code, or %NULL
 */
char *
pcmbn_store_take_recovery_code (PcmbnStore *self)
{
  return g_steal_pointer (&self->recovery_code);
}

/**
 * pcmbn_store_new_recovery_code:
 * @self: a store with its key
 * @error: return location for an error
 *
 * Makes a new recovery code; the old one stops working.
 *
 * Returns: (transfer full) (nullable): the new code
 */
char *
pcmbn_store_new_recovery_code (PcmbnStore *self, GError **error)
{
  g_autofree char *code = NULL;
  g_autofree char *wrapped = NULL;
  gboolean ok;

  if (!pcmbn_store_require_key (self, error))
    return NULL;
  code = pcmbn_crypto_new_recovery_code ();
  wrapped = pcmbn_crypto_wrap_for_recovery (self->crypto, code, error);
  if (wrapped == NULL)
    return NULL;
  pcmbn_store_lock (self);
  ok = set_meta_raw (self->db, "key_recovery", wrapped);
  if (!ok)
    pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the recovery code"));
  pcmbn_store_unlock (self);
  return ok ? g_steal_pointer (&code) : NULL;
}

/**
 * pcmbn_store_recover_key:
 * @self: a store whose key is missing
 * @code: the recovery code, as typed
 * @error: return location for an error; %PCMBN_ERROR_INVALID for a wrong code
 *
 * Opens the database's key with the recovery code and saves it again in the
 * keyring or key file. Nothing changes when the code is wrong.
 *
 * Returns: %TRUE when the key is back
 */
gboolean
pcmbn_store_recover_key (PcmbnStore *self, const char *code, GError **error)
{
  g_autofree char *wrapped = NULL;
  g_autofree char *check = NULL;
  g_autoptr (PcmbnCrypto) crypto = NULL;

  if (self->server_mode || self->key_id == NULL || self->keyring == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("This database has no key to recover."));
      return FALSE;
    }
  pcmbn_store_lock (self);
  wrapped = query_text (self->db, "SELECT value FROM meta WHERE key = 'key_recovery'", NULL);
  check = query_text (self->db, "SELECT value FROM meta WHERE key = 'key_check'", NULL);
  pcmbn_store_unlock (self);
  crypto = pcmbn_crypto_unwrap_recovery (wrapped, code, error);
  if (crypto == NULL)
    return FALSE;
  if (check && !pcmbn_crypto_verify_check (crypto, check))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The recovery copy of the key in this logbook is damaged."));
      return FALSE;
    }
  if (!pcmbn_keyring_store (self->keyring, self->key_id, crypto, self->path, error))
    return FALSE;
  g_set_object (&self->crypto, crypto);
  g_clear_pointer (&self->key_problem, g_free);
  g_free (self->key_location);
  self->key_location = pcmbn_keyring_get_backend (self->keyring) == PCMBN_KEY_BACKEND_KEYRING
                           ? g_strdup (_ ("the keyring"))
                           : pcmbn_keyring_key_file_path (self->key_id);
  pcmbn_store_lock (self);
  seal_existing (self, NULL);
  pcmbn_store_unlock (self);
  return TRUE;
}

/**
 * pcmbn_store_forget_new_key:
 * @self: a store
 *
 * Removes the key this open made, for a database the program then deletes
 * (a first command that failed).
 */
void
pcmbn_store_forget_new_key (PcmbnStore *self)
{
  if (self->key_is_new && self->keyring && self->key_id)
    pcmbn_keyring_forget (self->keyring, self->key_id);
}

/**
 * pcmbn_store_seal_text:
 * @self: a store
 * @ad: where the value belongs
 * @text: the value
 * @error: return location for an error
 *
 * For the store's own modules (drafts).
 *
 * Returns: (transfer full) (nullable): the sealed value
 */
GBytes *
pcmbn_store_seal (PcmbnStore *self, const char *ad, const char *text, GError **error)
{
  if (!pcmbn_store_require_key (self, error))
    return NULL;
  return pcmbn_crypto_seal (self->crypto, ad, text, strlen (text));
}

/**
 * pcmbn_store_unseal:
 * @self: a store
 * @ad: what pcmbn_store_seal() was given
 * @blob: (array length=len): a sealed value
 * @len: its length
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the value
 */
char *
pcmbn_store_unseal (PcmbnStore *self, const char *ad, const void *blob, gsize len, GError **error)
{
  if (!pcmbn_store_require_key (self, error))
    return NULL;
  return pcmbn_crypto_open (self->crypto, ad, blob, len, NULL, error);
}

/* ---- meta and reference data -------------------------------------------- */

/**
 * pcmbn_store_get_meta:
 * @self: a store
 * @key: a setting's key
 *
 * Returns: (transfer full) (nullable): its value
 */
char *
pcmbn_store_get_meta (PcmbnStore *self, const char *key)
{
  char *value;

  pcmbn_store_lock (self);
  value = query_text (self->db, "SELECT value FROM meta WHERE key = ?", key);
  pcmbn_store_unlock (self);
  if (meta_is_sensitive (key) && pcmbn_crypto_is_sealed_text (value))
    {
      g_autofree char *ad = meta_ad (key);
      g_autofree char *sealed = value;
      /* Without the key the device token does not exist for the caller. */
      value = self->crypto ? pcmbn_crypto_open_text (self->crypto, ad, sealed, NULL) : NULL;
    }
  return value;
}

/**
 * pcmbn_store_set_meta:
 * @self: a store
 * @key: a setting's key
 * @value: (nullable): its value; %NULL removes it
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_set_meta (PcmbnStore *self, const char *key, const char *value, GError **error)
{
  g_autofree char *sealed = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  if (value && meta_is_sensitive (key))
    {
      g_autofree char *ad = meta_ad (key);
      if (self->crypto)
        value = sealed = pcmbn_crypto_seal_text (self->crypto, ad, value);
      else if (!self->server_mode)
        return pcmbn_store_require_key (self, error);
    }
  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (self->db,
                      value ? "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                              "UPDATE SET value = excluded.value"
                            : "DELETE FROM meta WHERE key = ?",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (value)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, self->db, _ ("saving a setting"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_get_org_unit:
 * @self: a store
 *
 * Returns: (transfer none) (nullable): the commune this database belongs to
 */
void
pcmbn_store_cache_org_unit (PcmbnStore *self, const char *org_unit)
{
  g_free (self->org_unit);
  self->org_unit = g_strdup (org_unit);
}

const char *
pcmbn_store_get_org_unit (PcmbnStore *self)
{
  return self->org_unit;
}

/**
 * pcmbn_store_require_init:
 * @self: a store
 * @error: return location for a %PCMBN_ERROR_NOT_INITIALIZED error
 *
 * Returns: %TRUE when the database has its commune
 */
gboolean
pcmbn_store_require_init (PcmbnStore *self, GError **error)
{
  if (self->org_unit != NULL)
    return TRUE;
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
               _ ("This database has no commune yet. Run “pcmbn init --org-unit CODE” first."));
  return FALSE;
}

/**
 * pcmbn_store_set_search_text:
 * @self: a store
 * @keep: whether records keep the folded search text of their fields
 *
 * The district server's store says %FALSE: nothing there searches records
 * as a person types, and the copy cost a folded text and an index entry of
 * the size of the record for every write.
 */
void
pcmbn_store_set_search_text (PcmbnStore *self, gboolean keep)
{
  self->no_search = !keep;
}

/* ---- bulk loading ------------------------------------------------------- */

/* The meta key set while the trigram search index waits to be made after a
 * bulk load. */
#define SEARCH_META "search_index_pending"

/**
 * pcmbn_store_bulk_begin:
 * @self: a store; the caller holds a transaction (pcmbn_store_begin())
 * @error: return location for an error
 *
 * Prepares an empty store for many inserts (a restore onto a new device):
 * the secondary indexes and the triggers of the records are dropped, their
 * SQL kept in the file, so that each row costs what a plain table's does;
 * pcmbn_store_bulk_end() builds them again in one sorted pass each, and
 * pcmbn_store_build_search_index() the search index. The uuid's unique
 * index stays, so that lookups and duplicates work as ever.
 * The work may span many transactions: when a process dies before the end,
 * the next pcmbn_store_open() rebuilds them. Does nothing on a store that
 * holds records.
 *
 * Returns: %FALSE with @error set on failure
 */
gboolean
pcmbn_store_bulk_begin (PcmbnStore *self, GError **error)
{
  g_autoptr (GString) saved = g_string_new (NULL);
  g_autoptr (GPtrArray) drops = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *pending = NULL;
  sqlite3_stmt *stmt;
  gboolean empty = FALSE, search_dropped = FALSE;

  pcmbn_store_lock (self);
  pending = query_text (self->db, "SELECT value FROM meta WHERE key = '" BULK_META "'", NULL);
  if (sqlite3_prepare_v2 (self->db, "SELECT NOT EXISTS (SELECT 1 FROM records)", -1, &stmt, NULL)
      == SQLITE_OK)
    {
      empty = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0);
      sqlite3_finalize (stmt);
    }
  if (pending != NULL)
    self->bulk_loading = TRUE;
  if (!empty || pending != NULL)
    {
      pcmbn_store_unlock (self);
      return TRUE;
    }
  sqlite3_prepare_v2 (self->db,
                      "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
                      " AND tbl_name IN ('records', 'record_codes') AND sql IS NOT NULL"
                      " ORDER BY type, name",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *type = (const char *)sqlite3_column_text (stmt, 0);
      const char *name = (const char *)sqlite3_column_text (stmt, 1);
      const char *sql = (const char *)sqlite3_column_text (stmt, 2);
      /* The migrations at the next open may have made some already. */
      static const char *const prefixes[] = { "CREATE INDEX ", "CREATE UNIQUE INDEX ",
                                              "CREATE TRIGGER " };
      /* The search index goes whole, triggers and tables (below), and
       * comes back whole with pcmbn_store_build_search_index(). */
      if (g_str_has_prefix (name, "records_fts_"))
        {
          g_ptr_array_add (drops, g_strdup_printf ("DROP TRIGGER \"%s\";", name));
          continue;
        }
      /* Kept: indexes that a load fills in the order of their keys (a
       * new record's id is the largest yet) or hardly at all (tombstones,
       * edits not sent), so that a row costs them little, while building
       * each again would read the whole table once more. */
      if (g_str_equal (name, "records_dirty") || g_str_equal (name, "records_deleted"))
        continue;
      for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
        if (g_str_has_prefix (sql, prefixes[p]))
          {
            g_string_append (saved, prefixes[p]);
            g_string_append (saved, "IF NOT EXISTS ");
            sql += strlen (prefixes[p]);
            break;
          }
      g_string_append_printf (saved, "%s;\n", sql);
      g_ptr_array_add (drops,
                       g_strdup_printf ("DROP %s \"%s\";",
                                        g_str_equal (type, "index") ? "INDEX" : "TRIGGER", name));
    }
  sqlite3_finalize (stmt);
  /* The trigram index costs more than the rows themselves (every three
   * characters of the search text are an entry): it is not filled row by
   * row, nor at the end of the load, but made once the load is over (see
   * pcmbn_store_build_search_index()). Until then lists search by scanning,
   * and no entry can ever disagree with a row. */
  sqlite3_prepare_v2 (self->db,
                      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE"
                      " 'records\\_fts\\_%' ESCAPE '\\' AND sql LIKE 'CREATE VIRTUAL TABLE%'",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (drops, g_strdup_printf ("DROP TABLE \"%s\";",
                                               (const char *)sqlite3_column_text (stmt, 0)));
      search_dropped = TRUE;
    }
  sqlite3_finalize (stmt);
  /* The statements cached on this connection name the old indexes. */
  clear_statements (self);
  for (guint i = 0; i < drops->len; i++)
    if (!pcmbn_store_exec (self->db, drops->pdata[i], error))
      {
        pcmbn_store_unlock (self);
        return FALSE;
      }
  /* Rows loaded from here are counted by pcmbn_store_bulk_end(). */
  self->bulk_loading = TRUE;
  pcmbn_store_unlock (self);
  return (!search_dropped || pcmbn_store_set_meta (self, SEARCH_META, "1", error))
         && (saved->len == 0 || pcmbn_store_set_meta (self, BULK_META, saved->str, error));
}

/* The trigram search index (see create_search_index()) reads its text from
 * `records` but is filled only by the triggers a bulk load dropped: it is
 * filled again from the rows, or its entries would not match them. */
static gboolean
refill_search_index (sqlite3 *db, GError **error)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  for (guint k = 0; k < n_kinds; k++)
    {
      g_autofree char *t = pcmbn_store_search_table (kinds[k]);
      g_autofree char *exists = query_text (
          db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", t);
      g_autofree char *sql = NULL;

      if (exists == NULL)
        continue;
      sql = g_strdup_printf ("INSERT INTO %s (%s) VALUES ('delete-all');"
                             "INSERT INTO %s (rowid, search) SELECT id, search FROM records"
                             "  WHERE kind = '%s' AND deleted = 0;",
                             t, t, t, kinds[k]->name);
      if (!pcmbn_store_exec (db, sql, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * pcmbn_store_bulk_end:
 * @self: a store; the caller holds a transaction
 * @error: return location for an error
 *
 * Builds again what pcmbn_store_bulk_begin() dropped, and the counts the
 * triggers keep. Does nothing when no bulk load is under way.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_bulk_end (PcmbnStore *self, GError **error)
{
  g_autofree char *saved = NULL;
  gboolean ok;

  pcmbn_store_lock (self);
  saved = query_text (self->db, "SELECT value FROM meta WHERE key = '" BULK_META "'", NULL);
  self->bulk_loading = FALSE;
  if (saved == NULL)
    {
      pcmbn_store_unlock (self);
      return TRUE;
    }
  clear_statements (self);
  self->n_added = 0; /* recounted below */
  ok = pcmbn_store_exec (self->db, saved, error) && refill_search_index (self->db, error)
       && pcmbn_store_exec (self->db,
                            "DELETE FROM record_counts; INSERT INTO record_counts (kind, live)"
                            " SELECT kind, count(*) FROM records WHERE deleted = 0 GROUP BY kind;"
                            "DELETE FROM meta WHERE key = '" BULK_META "';",
                            error);
  pcmbn_store_unlock (self);
  return ok;
}

/* Sets the journal mode, outside a transaction; whether it is now @mode.
 * Leaving the write-ahead log fails while another connection has the file
 * open: the log is then kept. */
static gboolean
set_journal_mode (PcmbnStore *self, const char *mode)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA journal_mode = %s", mode);
  g_autofree char *now = query_text (self->db, sql, NULL);

  return now != NULL && g_ascii_strcasecmp (now, mode) == 0;
}

/* A load into a store without records (the demo data, a first import)
 * writes the database file itself, through a rollback journal, instead of
 * the write-ahead log: every new page is written once, where the log would
 * take it twice, once into the log and once more when the log is copied
 * into the file. The journal holds only the few pages that existed before
 * (a new page has nothing to restore), and with `synchronous = FULL` a
 * commit still waits for the disk, so an acknowledged load is as safe
 * either way, and a load cut short rolls back at the next open.
 * `bench-store 100000 bulk`: 3.5 s -> 3.0 s, the log's copy (0.4 s) gone.
 * While it lasts, another program reading the file waits (the store is
 * new, so nobody has anything to read yet). */
static void
load_write_direct (PcmbnStore *self)
{
  g_autofree char *any = NULL;

  pcmbn_store_lock (self);
  any = query_text (self->db, "SELECT 1 FROM records LIMIT 1", NULL);
  if (any == NULL && !self->server_mode && self->in_transaction == 0)
    self->rollback_journal = set_journal_mode (self, "DELETE");
  pcmbn_store_unlock (self);
}

/* Back to the write-ahead log after a load; should another program keep
 * the file open meanwhile, at the next load or open. Until then no commit
 * is relaxed (see pcmbn_store_begin_relaxed()). */
static void
load_write_logged (PcmbnStore *self)
{
  pcmbn_store_lock (self);
  if (self->rollback_journal && self->in_transaction == 0)
    self->rollback_journal = !set_journal_mode (self, "WAL");
  pcmbn_store_unlock (self);
}

/**
 * pcmbn_store_set_write_direct:
 * @self: a store, outside a transaction
 * @on: %TRUE before the first page of a restore, %FALSE after its last
 *
 * A restore onto a new device writes the database file itself, as a load
 * does (see load_write_direct()): only while the store has no records,
 * and never on a server. Its pages then commit with `synchronous = FULL`,
 * through a journal that holds only the pages that existed before. Turning
 * it off goes back to the write-ahead log.
 */
void
pcmbn_store_set_write_direct (PcmbnStore *self, gboolean on)
{
  g_return_if_fail (PCMBN_IS_STORE (self));
  if (on)
    load_write_direct (self);
  else
    load_write_logged (self);
}

/* Back to how the store writes outside a load. */
static void
load_leave (PcmbnStore *self)
{
  load_write_logged (self);
  pcmbn_store_set_long_write (self, FALSE);
}

/* Ends a load's transaction and, when it is saved, goes back to the log
 * with the long write still on, for what the caller writes next. */
static gboolean
load_commit (PcmbnStore *self, GError **error)
{
  if (!pcmbn_store_bulk_end (self, error))
    {
      pcmbn_store_load_abort (self);
      return FALSE;
    }
  if (!pcmbn_store_commit (self, error))
    {
      load_leave (self);
      return FALSE;
    }
  load_write_logged (self);
  return TRUE;
}

/**
 * pcmbn_store_load_begin:
 * @self: a store
 * @error: return location for an error
 *
 * Starts a transaction for many new rows at once (a CSV import, the demo
 * data): into a store without records, a bulk load (see
 * pcmbn_store_bulk_begin()) that writes the file directly (see
 * load_write_direct()); in any store, with the settings of a long write.
 * End it with pcmbn_store_load_end() or pcmbn_store_load_commit(), or
 * pcmbn_store_load_abort().
 *
 * Returns: %TRUE when the transaction started
 */
gboolean
pcmbn_store_load_begin (PcmbnStore *self, GError **error)
{
  pcmbn_store_set_long_write (self, TRUE);
  load_write_direct (self);
  if (!pcmbn_store_begin (self, error))
    {
      load_leave (self);
      return FALSE;
    }
  if (!pcmbn_store_bulk_begin (self, error))
    {
      pcmbn_store_load_abort (self);
      return FALSE;
    }
  return TRUE;
}

/**
 * pcmbn_store_load_commit:
 * @self: a store in pcmbn_store_load_begin()
 * @error: return location for an error
 *
 * Builds what a bulk load left out and commits; on failure, rolls back.
 * The search index is left to pcmbn_store_build_search_index() or the
 * next open.
 *
 * Returns: %TRUE when the rows were saved
 */
gboolean
pcmbn_store_load_commit (PcmbnStore *self, GError **error)
{
  if (!load_commit (self, error))
    return FALSE;
  pcmbn_store_set_long_write (self, FALSE);
  return TRUE;
}

/**
 * pcmbn_store_load_end:
 * @self: a store in pcmbn_store_load_begin()
 * @error: return location for an error
 *
 * As pcmbn_store_load_commit(), then makes the search index at once
 * rather than at the next open, so that searching right after the load
 * reads an index: the rows are saved by then, and a failure there only
 * leaves it to the next open.
 *
 * Returns: %TRUE when the rows were saved
 */
gboolean
pcmbn_store_load_end (PcmbnStore *self, GError **error)
{
  g_autoptr (GError) search_error = NULL;

  /* In the same long write: the log is copied once, after the index. */
  if (!load_commit (self, error))
    return FALSE;
  if (!pcmbn_store_build_search_index (self, &search_error))
    g_warning ("search index after a load: %s", search_error->message);
  pcmbn_store_set_long_write (self, FALSE);
  return TRUE;
}

/**
 * pcmbn_store_load_abort:
 * @self: a store in pcmbn_store_load_begin()
 *
 * Rolls the load back, the bulk load's dropped indexes with it.
 */
void
pcmbn_store_load_abort (PcmbnStore *self)
{
  pcmbn_store_rollback (self);
  load_leave (self);
}

/* A bulk load that a dead process left unfinished. */
static gboolean
finish_bulk_load (PcmbnStore *self, GError **error)
{
  g_autofree char *saved = query_text (self->db,
                                       "SELECT value FROM meta WHERE key = '" BULK_META "'", NULL);

  if (saved == NULL)
    return TRUE;
  if (!pcmbn_store_begin (self, error))
    return FALSE;
  if (!pcmbn_store_bulk_end (self, error))
    {
      pcmbn_store_rollback (self);
      return FALSE;
    }
  return pcmbn_store_commit (self, error);
}

/**
 * pcmbn_store_build_search_index:
 * @self: a store
 * @error: return location for an error
 *
 * Makes the trigram search index that a bulk load left out, in one
 * transaction and one pass per kind: the tables, their entries from the
 * rows as they are now, and the triggers that keep them in step. A store
 * calls it when it opens; a caller that keeps the store open after a bulk
 * load may call it sooner (off the main thread: it costs seconds for
 * 100,000 records). Does nothing when no index waits.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_build_search_index (PcmbnStore *self, GError **error)
{
  g_autofree char *pending = NULL;
  g_autofree char *loading = NULL;
  gboolean ok;

  /* Every open comes here (a server opens a connection per worker): a
   * read when nothing waits, no write lock. */
  pcmbn_store_lock (self);
  pending = query_text (self->db, "SELECT value FROM meta WHERE key = '" SEARCH_META "'", NULL);
  pcmbn_store_unlock (self);
  if (pending == NULL)
    return TRUE;
  g_clear_pointer (&pending, g_free);
  if (!pcmbn_store_begin (self, error))
    return FALSE;
  /* Again inside the write transaction: another process may have made it. */
  pending = query_text (self->db, "SELECT value FROM meta WHERE key = '" SEARCH_META "'", NULL);
  loading = query_text (self->db, "SELECT value FROM meta WHERE key = '" BULK_META "'", NULL);
  if (pending == NULL || loading != NULL)
    return pcmbn_store_commit (self, error);
  clear_statements (self);
  ok = create_search_index (self->db, error)
       && pcmbn_store_exec (self->db, "DELETE FROM meta WHERE key = '" SEARCH_META "';", error);
  if (!ok)
    {
      pcmbn_store_rollback (self);
      return FALSE;
    }
  return pcmbn_store_commit (self, error);
}

/* ---- transactions ------------------------------------------------------- */

/**
 * pcmbn_store_begin:
 * @self: a store
 * @error: return location for an error
 *
 * Starts a write transaction; nests by counting, so that bulk work can wrap
 * calls that open their own.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_begin (PcmbnStore *self, GError **error)
{
  pcmbn_store_lock (self);
  if (self->in_transaction++ == 0
      && sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    {
      self->in_transaction = 0;
      pcmbn_store_set_sqlite_error (error, self->db, _ ("starting to write"));
      pcmbn_store_unlock (self);
      return FALSE;
    }
  return TRUE;
}

/**
 * pcmbn_store_begin_relaxed:
 * @self: a store
 * @error: return location for an error
 *
 * Like pcmbn_store_begin(), but the outermost commit does not wait for the
 * disk (`synchronous = NORMAL` in WAL mode): a power cut may lose this
 * transaction, never damage the file, and any later ordinary commit makes
 * it durable with its own. Only for writes that are redone by themselves
 * when lost: the sync's acknowledgements and pulled pages (the record
 * stays in the outbox and the server answers the resent edit with the same
 * version; the pull cursor stays behind and the page comes again). The
 * store's lock is held throughout, so no other thread's write can commit
 * relaxed meanwhile. Inside another transaction it is an ordinary one.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_begin_relaxed (PcmbnStore *self, GError **error)
{
  pcmbn_store_lock (self);
  /* With a rollback journal (a load's, see load_write_direct()), a power
   * cut during a commit that did not wait could damage the file. */
  if (self->in_transaction == 0 && !self->rollback_journal)
    {
      /* SQLite refuses to change the safety level inside a transaction. */
      sqlite3_exec (self->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
      self->relaxed = TRUE;
    }
  if (!pcmbn_store_begin (self, error))
    {
      if (self->relaxed)
        {
          sqlite3_exec (self->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
          self->relaxed = FALSE;
        }
      pcmbn_store_unlock (self);
      return FALSE;
    }
  pcmbn_store_unlock (self);
  return TRUE;
}

static void
end_relaxed (PcmbnStore *self)
{
  if (self->relaxed)
    {
      sqlite3_exec (self->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
      self->relaxed = FALSE;
    }
}

/* Writes the live records the transaction added to record_counts, one
 * statement per kind; the caller holds the outermost transaction. */
static gboolean
flush_added (PcmbnStore *self, GError **error)
{
  for (guint i = 0; i < self->n_added; i++)
    {
      sqlite3_stmt *count = pcmbn_store_prepare_cached (
          self,
          "INSERT INTO record_counts (kind, live) VALUES (?1, ?2)"
          " ON CONFLICT (kind) DO UPDATE SET live = live + ?2",
          error);
      gboolean ok;

      if (count == NULL)
        return FALSE;
      sqlite3_bind_text (count, 1, self->added[i].kind, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (count, 2, self->added[i].n);
      ok = sqlite3_step (count) == SQLITE_DONE;
      sqlite3_reset (count);
      if (!ok)
        {
          pcmbn_store_set_sqlite_error (error, self->db, _ ("saving"));
          return FALSE;
        }
    }
  self->n_added = 0;
  return TRUE;
}

/* A bulk load begun (or ended) in what was rolled back is undone with it:
 * inserts count their live rows unless one is still under way. The live
 * records the transaction counted in memory go with it too. */
static void
after_rollback (PcmbnStore *self)
{
  g_autofree char *loading = query_text (
      self->db, "SELECT value FROM meta WHERE key = '" BULK_META "'", NULL);

  self->bulk_loading = loading != NULL;
  self->n_added = 0;
}

/**
 * pcmbn_store_commit:
 * @self: a store
 * @error: return location for an error
 *
 * Returns: %TRUE when the outermost transaction is on disk
 */
gboolean
pcmbn_store_commit (PcmbnStore *self, GError **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (self->in_transaction > 0, FALSE);
  if (--self->in_transaction == 0)
    {
      if (self->doomed)
        {
          self->doomed = FALSE;
          sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("Nothing was saved because a part of the work failed."));
          ok = FALSE;
        }
      else if (!flush_added (self, error))
        {
          sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          ok = FALSE;
        }
      else if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        {
          pcmbn_store_set_sqlite_error (error, self->db, _ ("saving"));
          sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          ok = FALSE;
        }
      end_relaxed (self);
      if (!ok)
        after_rollback (self);
    }
  pcmbn_store_unlock (self);
  return ok;
}

void
pcmbn_store_rollback (PcmbnStore *self)
{
  g_return_if_fail (self->in_transaction > 0);
  if (--self->in_transaction == 0)
    {
      self->doomed = FALSE;
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      end_relaxed (self);
      after_rollback (self);
    }
  else
    self->doomed = TRUE;
  pcmbn_store_unlock (self);
}

/* ---- records ------------------------------------------------------------ */

PcmbnRecord *
pcmbn_store_record_from_stmt (sqlite3_stmt *stmt, int c)
{
  const PcmbnKind *kind = pcmbn_schema_kind ((const char *)sqlite3_column_text (stmt, c + 1));
  PcmbnRecord *record;
  PcmbnState state = PCMBN_STATE_DIRTY;
  g_autoptr (JsonObject) data = NULL;

  if (kind == NULL)
    return NULL;
  data = pcmbn_json_parse_object ((const char *)sqlite3_column_text (stmt, c + 3));
  if (data == NULL)
    return NULL;
  record = pcmbn_record_new (kind, (const char *)sqlite3_column_text (stmt, c),
                             (const char *)sqlite3_column_text (stmt, c + 2), data);
  pcmbn_state_from_string ((const char *)sqlite3_column_text (stmt, c + 5), &state);
  pcmbn_record_set_bookkeeping (record, sqlite3_column_int64 (stmt, c + 4), state,
                                sqlite3_column_int (stmt, c + 6),
                                (const char *)sqlite3_column_text (stmt, c + 7),
                                (const char *)sqlite3_column_text (stmt, c + 8));
  return record;
}

static gboolean
prepare_cached (PcmbnStore *self, sqlite3_stmt **stmt, const char *sql, GError **error)
{
  if (*stmt != NULL)
    {
      sqlite3_reset (*stmt);
      sqlite3_clear_bindings (*stmt);
      return TRUE;
    }
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
    {
      pcmbn_store_set_sqlite_error (error, self->db, "preparing");
      return FALSE;
    }
  return TRUE;
}

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/**
 * pcmbn_store_prepare_cached:
 * @self: a store; the caller holds its lock
 * @sql: one SQL statement
 * @error: return location for an error
 *
 * The statement for @sql on this store's connection, prepared once and then
 * kept: hot paths (a push of a thousand records, a pull page) run the same
 * few statements per record, and parsing them again each time cost more
 * than running them. The statement comes reset with its bindings cleared.
 * The caller resets it again once done (sqlite3_reset()), so that it holds
 * no read snapshot between requests, and never finalizes it.
 *
 * Returns: (transfer none) (nullable): the statement
 */
sqlite3_stmt *
pcmbn_store_prepare_cached (PcmbnStore *self, const char *sql, GError **error)
{
  /* Callers pass the same literal again and again: found by its address
   * (then compared, as another text may come to live there) before its
   * text is hashed, which cost more than some of the statements. */
  guint slot = ((guintptr)sql >> 3) % G_N_ELEMENTS (self->recent);
  sqlite3_stmt *stmt = NULL;

  if (self->recent[slot].sql == sql && strcmp (sqlite3_sql (self->recent[slot].stmt), sql) == 0)
    stmt = self->recent[slot].stmt;
  else if (self->stmt_cache != NULL)
    stmt = g_hash_table_lookup (self->stmt_cache, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  else
    {
      if (self->stmt_cache == NULL)
        self->stmt_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);
      if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
          != SQLITE_OK)
        {
          pcmbn_store_set_sqlite_error (error, self->db, "preparing");
          return NULL;
        }
      g_hash_table_insert (self->stmt_cache, g_strdup (sql), stmt);
    }
  self->recent[slot].sql = sql;
  self->recent[slot].stmt = stmt;
  return stmt;
}

/* Binds the schema columns of @kind's fields that @data sets, starting at
 * @first; the statement's bindings were cleared, so every other column is
 * NULL. Only the kind's own fields are visited: this is the hot path of bulk
 * imports. The texts are @data's own, not copies: @data outlives the
 * statement's run, and prepare_cached() clears the bindings before the
 * statement runs again. */
static void
bind_field_columns (sqlite3_stmt *stmt, int first, const PcmbnKind *kind, JsonObject *data)
{
  for (guint f = 0; f < kind->n_fields; f++)
    {
      const PcmbnField *field = &kind->fields[f];
      int column = pcmbn_schema_column_index (field);
      JsonNode *node;
      int at;

      if (column < 0 || (node = json_object_get_member (data, field->name)) == NULL)
        continue;
      at = first + column;
      if (field->type == PCMBN_FIELD_INT)
        sqlite3_bind_int64 (stmt, at, json_node_get_int (node));
      else if (field->type == PCMBN_FIELD_BOOL)
        sqlite3_bind_int (stmt, at, json_node_get_boolean (node));
      else
        sqlite3_bind_text (stmt, at, json_node_get_string (node), -1, SQLITE_STATIC);
    }
}

/**
 * pcmbn_store_row_text_init:
 * @self: a store
 * @kind: the record's kind
 * @uuid: the record's uuid (its sealed fields are bound to it)
 * @data: fields that are already normalized and valid
 * @data_text: (nullable): @data as pcmbn_json_object_to_text() writes it,
 *   when the caller has it already
 * @out: (out caller-allocates): where to put the result; cleared with
 *   pcmbn_row_text_clear()
 * @error: return location for an error: %PCMBN_ERROR_NO_KEY when @data
 *   has sealed fields and the store has no key
 *
 * What a row holds besides its fields' own columns, made from @data alone:
 * it reads no database, so a batch of new records makes it on a thread of
 * its own (pcmbn-store-batch.c) while the rows before are written.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_row_text_init (PcmbnStore *self,
                           const PcmbnKind *kind,
                           const char *uuid,
                           JsonObject *data,
                           const char *data_text,
                           PcmbnRowText *out,
                           GError **error)
{
  const char *title = kind->title_field ? pcmbn_data_get_string (data, kind->title_field) : NULL;

  memset (out, 0, sizeof *out);
  /* The caller's text of @data, when it has one and nothing is sealed:
   * the same bytes pcmbn_json_object_to_text() would make. */
  if (data_text && !pcmbn_schema_has_sensitive (kind, data))
    out->json = g_strdup (data_text);
  else if (!seal_data (self, kind, uuid, data, &out->json, &out->sealed, error))
    return FALSE;
  out->folded_title = title ? pcmbn_fold (title) : NULL;
  out->search = self->no_search ? NULL : pcmbn_schema_search_text (kind, data);
  return TRUE;
}

/**
 * pcmbn_row_text_clear:
 * @text: what pcmbn_store_row_text_init() made
 *
 * Frees what @text holds, and not @text itself.
 */
void
pcmbn_row_text_clear (PcmbnRowText *text)
{
  g_clear_pointer (&text->json, g_free);
  g_clear_pointer (&text->sealed, g_bytes_unref);
  g_clear_pointer (&text->folded_title, g_free);
  g_clear_pointer (&text->search, g_free);
}

/* Binds @text's columns from @first on (json, rdate, rtype, rtitle,
 * search), and @sealed; the texts it owns go to the statement, and the
 * others are bound without a copy, as in bind_field_columns(). */
static void
bind_derived (sqlite3_stmt *stmt,
              int first,
              int sealed,
              const PcmbnKind *kind,
              JsonObject *data,
              PcmbnRowText *text)
{
  sqlite3_bind_text (stmt, first, g_steal_pointer (&text->json), -1, g_free);
  sqlite3_bind_text (stmt, first + 1, pcmbn_data_get_string (data, kind->date_field), -1,
                     SQLITE_STATIC);
  if (kind->type_field)
    sqlite3_bind_text (stmt, first + 2, pcmbn_data_get_string (data, kind->type_field), -1,
                       SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, first + 2);
  sqlite3_bind_text (stmt, first + 3, g_steal_pointer (&text->folded_title), -1, g_free);
  sqlite3_bind_text (stmt, first + 4, g_steal_pointer (&text->search), -1, g_free);
  if (text->sealed)
    sqlite3_bind_blob (stmt, sealed, g_bytes_get_data (text->sealed, NULL),
                       g_bytes_get_size (text->sealed), SQLITE_STATIC);
}

/* An INSERT of @n rows: @head ("INSERT INTO t (a, b) VALUES"), then @n
 * copies of @row, in which "?@K" stands for the row's own K-th parameter,
 * numbered after the @n_shared parameters that every row may name. */
static char *
rows_sql (const char *head, const char *row, guint n_shared, guint per_row, guint n)
{
  GString *sql = g_string_new (head);

  for (guint i = 0; i < n; i++)
    {
      g_string_append (sql, i > 0 ? ", " : " ");
      for (const char *p = row; *p; p++)
        {
          if (p[0] == '?' && p[1] == '@' && g_ascii_isdigit (p[2]))
            {
              g_string_append_printf (sql, "?%u", n_shared + i * per_row + (p[2] - '0'));
              p += 2;
            }
          else
            g_string_append_c (sql, *p);
        }
    }
  return g_string_free (sql, FALSE);
}

/**
 * pcmbn_store_rows_sql:
 * @slot: where the text is kept, made on the first call (a static of the
 *   caller's, one for each @n)
 * @head: the statement up to `VALUES`
 * @row: one row's values, "?@K" standing for its own K-th parameter
 * @n_shared: how many parameters come before the rows' own (`?1`...)
 * @per_row: how many parameters each row has of its own
 * @n: how many rows
 *
 * Many short rows written one statement each cost more in the statement's
 * start and end than in the rows: a push's codes, versions, changes and
 * audit lines go several to a statement. The text lives as long as the
 * process, so that pcmbn_store_prepare_cached() knows it by its address.
 *
 * Returns: (transfer none): the text of an INSERT of @n rows
 */
const char *
pcmbn_store_rows_sql (
    const char **slot, const char *head, const char *row, guint n_shared, guint per_row, guint n)
{
  static GMutex lock;
  const char *text;

  g_mutex_lock (&lock);
  if (*slot == NULL)
    *slot = rows_sql (head, row, n_shared, per_row, n);
  text = *slot;
  g_mutex_unlock (&lock);
  return text;
}

/* Inserts @n of @codes (pairs of field and code) for record @id, in one
 * statement. */
static gboolean
insert_codes (PcmbnStore *self, sqlite3_int64 id, const char **codes, guint n, GError **error)
{
  sqlite3_stmt **stmt = &self->codes_insert_stmt[n - 1];

  if (*stmt == NULL)
    {
      g_autofree char *sql = rows_sql (
          "INSERT OR IGNORE INTO record_codes (record_id, field, code) VALUES", "(?1, ?@1, ?@2)", 1,
          2, n);
      if (!prepare_cached (self, stmt, sql, error))
        return FALSE;
    }
  else
    sqlite3_reset (*stmt);
  sqlite3_bind_int64 (*stmt, 1, id);
  for (guint i = 0; i < n; i++)
    {
      /* The field's name is the schema's; the code is the record's, which
       * outlives the statement's run. */
      sqlite3_bind_text (*stmt, 2 + 2 * i, codes[2 * i], -1, SQLITE_STATIC);
      sqlite3_bind_text (*stmt, 3 + 2 * i, codes[2 * i + 1], -1, SQLITE_STATIC);
    }
  if (sqlite3_step (*stmt) != SQLITE_DONE)
    {
      pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the record"));
      sqlite3_reset (*stmt);
      return FALSE;
    }
  sqlite3_reset (*stmt);
  return TRUE;
}

/* A record's codes, (field, code) pairs, in the order of the table's key. */
static int
compare_code_pairs (gconstpointer a, gconstpointer b)
{
  const char *const *x = a, *const *y = b;
  int by_field = strcmp (x[0], y[0]);

  return by_field != 0 ? by_field : strcmp (x[1], y[1]);
}

#define CODES_SORTED_MAX 64

/* Writes @n pairs, sorted first: in the key's order, each row lands after
 * the one before (a new record's id is the largest yet), and SQLite finds
 * its place without a search from the root. */
static gboolean
flush_codes (PcmbnStore *self, sqlite3_int64 id, const char **codes, guint n, GError **error)
{
  qsort (codes, n, 2 * sizeof (const char *), compare_code_pairs);
  for (guint done = 0; done < n;)
    {
      guint k = MIN (n - done, CODES_PER_INSERT);
      if (!insert_codes (self, id, codes + 2 * done, k, error))
        return FALSE;
      done += k;
    }
  return TRUE;
}

static gboolean
write_codes (PcmbnStore *self,
             sqlite3_int64 id,
             gboolean is_new,
             const PcmbnKind *kind,
             JsonObject *data,
             GError **error)
{
  const char *codes[2 * CODES_SORTED_MAX];
  guint n = 0;

  if (!is_new)
    {
      if (!prepare_cached (self, &self->codes_delete_stmt,
                           "DELETE FROM record_codes WHERE record_id = ?", error))
        return FALSE;
      sqlite3_bind_int64 (self->codes_delete_stmt, 1, id);
      if (sqlite3_step (self->codes_delete_stmt) != SQLITE_DONE)
        {
          pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the record"));
          return FALSE;
        }
    }
  for (guint f = 0; f < kind->n_fields; f++)
    {
      JsonNode *node;
      JsonArray *array;
      if (kind->fields[f].type != PCMBN_FIELD_CODES)
        continue;
      node = json_object_get_member (data, kind->fields[f].name);
      if (node == NULL)
        continue;
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          codes[2 * n] = kind->fields[f].name;
          codes[2 * n + 1] = json_array_get_string_element (array, i);
          if (++n == CODES_SORTED_MAX)
            {
              if (!flush_codes (self, id, codes, n, error))
                return FALSE;
              n = 0;
            }
        }
    }
  return flush_codes (self, id, codes, n, error);
}

static char *
build_insert_sql (void)
{
  guint n_columns;
  const PcmbnField *const *columns = pcmbn_schema_columns (&n_columns);
  GString *sql = g_string_new ("INSERT INTO records (uuid, kind, org_unit, created_at, modified_at,"
                               " version, state, dirty, local_rev, deleted, data, rdate, rtype,"
                               " rtitle, search, sealed");
  for (guint i = 0; i < n_columns; i++)
    g_string_append_printf (sql, ", f_%s", columns[i]->name);
  /* modified_at is the parameter after the columns' (NULL: created_at). */
  g_string_append_printf (sql,
                          ") VALUES (?1, ?2, ?3, ?4, coalesce (?%u, ?4), ?5, ?6, ?7, 1, ?8, ?9,"
                          " ?10, ?11, ?12, ?13, ?%u",
                          14 + n_columns, 15 + n_columns);
  for (guint i = 0; i < n_columns; i++)
    g_string_append_printf (sql, ", ?%u", 14 + i);
  g_string_append (sql, ")");
  return g_string_free (sql, FALSE);
}

static char *
build_update_sql (void)
{
  guint n_columns;
  const PcmbnField *const *columns = pcmbn_schema_columns (&n_columns);
  GString *sql = g_string_new (NULL);

  g_string_printf (sql,
                   "UPDATE records SET modified_at = ?2, data = ?3, rdate = ?4,"
                   " rtype = ?5, rtitle = ?6, search = ?7, sealed = ?%u, dirty = 1,"
                   " local_rev = local_rev + 1, state = CASE state WHEN 'conflict'"
                   " THEN 'conflict' ELSE 'dirty' END, problem = CASE state WHEN"
                   " 'conflict' THEN problem ELSE NULL END",
                   8 + n_columns);
  for (guint i = 0; i < n_columns; i++)
    g_string_append_printf (sql, ", f_%s = ?%u", columns[i]->name, 8 + i);
  g_string_append (sql, " WHERE id = ?1");
  return g_string_free (sql, FALSE);
}

/**
 * pcmbn_store_resolve_key:
 * @kind: a kind's name
 * @uuid: a record's uuid
 *
 * Returns: (transfer full): the key of a pending record in a
 *   #PcmbnStoreResolve: a reference finds it only when the kinds agree
 */
char *
pcmbn_store_resolve_key (const char *kind, const char *uuid)
{
  return g_strconcat (kind, " ", uuid, NULL);
}

/**
 * pcmbn_store_resolve_ref:
 * @uuid: the referenced record
 * @kind: the kind it must be
 * @user_data: a #PcmbnStoreResolve
 *
 * A reference is to a live record of the same commune: one pending in the
 * same import or push, or one in the database. The caller holds the lock.
 *
 * Returns: (transfer full) (nullable): the record's data
 */
JsonObject *
pcmbn_store_resolve_ref (const char *uuid, const char *kind, gpointer user_data)
{
  PcmbnStoreResolve *rd = user_data;
  PcmbnStore *self = rd->store;
  JsonObject *result = NULL;
  g_autofree char *key = NULL;

  if (rd->pending)
    {
      JsonObject *pending;

      key = pcmbn_store_resolve_key (kind, uuid);
      pending = g_hash_table_lookup (rd->pending, key);
      if (pending)
        return json_object_ref (pending);
    }
  if (!prepare_cached (self, &self->resolve_stmt,
                       "SELECT data FROM records WHERE uuid = ? AND kind = ? AND org_unit = ?"
                       " AND deleted = 0",
                       NULL))
    return NULL;
  sqlite3_bind_text (self->resolve_stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (self->resolve_stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (self->resolve_stmt, 3, rd->org_unit ? rd->org_unit : self->org_unit, -1,
                     SQLITE_TRANSIENT);
  if (sqlite3_step (self->resolve_stmt) == SQLITE_ROW)
    result = pcmbn_json_parse_object ((const char *)sqlite3_column_text (self->resolve_stmt, 0));
  sqlite3_reset (self->resolve_stmt);
  if (result && rd->pending)
    g_hash_table_insert (rd->pending, g_steal_pointer (&key), json_object_ref (result));
  return result;
}

/* One more live record of @kind: counted in memory and written once per
 * kind by the outermost commit (a push of a thousand records wrote the
 * same row of record_counts a thousand times, a statement each). Outside
 * a transaction it is written at once. */
static gboolean
count_added (PcmbnStore *self, const PcmbnKind *kind, GError **error)
{
  guint i;

  for (i = 0; i < self->n_added && self->added[i].kind != kind->name; i++)
    ;
  /* Six kinds: a kind's slot is always found or free. */
  g_assert (i < G_N_ELEMENTS (self->added));
  if (i == self->n_added)
    {
      self->added[i].kind = kind->name;
      self->added[i].n = 0;
      self->n_added++;
    }
  self->added[i].n++;
  return self->in_transaction > 0 || flush_added (self, error);
}

/* Writes a new record whose data is already valid, for @org_unit (the
 * store's own commune when %NULL): a local record (dirty), or one as the
 * district server holds it (@synced), in one write. Caller holds
 * the lock. */
static gboolean
insert_row (PcmbnStore *self,
            const PcmbnKind *kind,
            const char *uuid,
            const char *org_unit,
            JsonObject *data,
            const char *data_text,
            gint64 version,
            gboolean synced,
            gboolean deleted,
            const char *modified_at,
            PcmbnRowText *prepared,
            gint64 *id_out,
            GError **error)
{
  g_autofree char *now = pcmbn_now_utc ();
  g_autofree char *sql = NULL;
  g_auto (PcmbnRowText) made = { 0 };
  PcmbnRowText *text = prepared;
  guint n_columns;
  sqlite3_int64 id;

  pcmbn_schema_columns (&n_columns);
  if (self->insert_stmt == NULL)
    sql = build_insert_sql ();
  if (!prepare_cached (self, &self->insert_stmt, sql, error))
    return FALSE;
  /* Without copies: every text outlives the step below (see
   * bind_field_columns()). */
  sqlite3_bind_text (self->insert_stmt, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text (self->insert_stmt, 2, kind->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (self->insert_stmt, 3, org_unit ? org_unit : self->org_unit, -1, SQLITE_STATIC);
  sqlite3_bind_text (self->insert_stmt, 4, now, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (self->insert_stmt, 5, version);
  sqlite3_bind_text (self->insert_stmt, 6, synced ? "synced" : "dirty", -1, SQLITE_STATIC);
  sqlite3_bind_int (self->insert_stmt, 7, synced ? 0 : 1);
  sqlite3_bind_int (self->insert_stmt, 8, deleted ? 1 : 0);
  if (modified_at)
    sqlite3_bind_text (self->insert_stmt, 14 + n_columns, modified_at, -1, SQLITE_STATIC);
  if (text == NULL)
    {
      if (!pcmbn_store_row_text_init (self, kind, uuid, data, data_text, &made, error))
        return FALSE;
      text = &made;
    }
  bind_derived (self->insert_stmt, 9, 15 + n_columns, kind, data, text);
  bind_field_columns (self->insert_stmt, 14, kind, data);
  if (sqlite3_step (self->insert_stmt) != SQLITE_DONE)
    {
      if (sqlite3_errcode (self->db) == SQLITE_CONSTRAINT)
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                     _ ("uuid: a record with the uuid %s already exists"), uuid);
      else
        pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the record"));
      sqlite3_reset (self->insert_stmt);
      return FALSE;
    }
  sqlite3_reset (self->insert_stmt);
  id = sqlite3_last_insert_rowid (self->db);
  if (id_out)
    *id_out = id;
  /* The count of live records, which a trigger kept before: a trigger
   * makes every insert open a statement journal (and flush the search
   * index's pending entries). A bulk load counts once at its end. */
  if (!deleted && !self->bulk_loading && !count_added (self, kind, error))
    return FALSE;
  return write_codes (self, id, TRUE, kind, data, error);
}

gboolean
pcmbn_store_insert_valid (PcmbnStore *self,
                          const PcmbnKind *kind,
                          const char *uuid,
                          const char *org_unit,
                          JsonObject *data,
                          GError **error)
{
  return insert_row (self, kind, uuid, org_unit, data, NULL, 0, FALSE, FALSE, NULL, NULL, NULL,
                     error);
}

/**
 * pcmbn_store_insert_prepared:
 * @self: a store; the caller holds a transaction and the lock
 * @kind: the record's kind
 * @uuid: the new record's uuid
 * @data: fields that are already normalized and valid
 * @text: what pcmbn_store_row_text_init() made of @data for @uuid; the
 *   write takes what it holds
 * @error: return location for an error
 *
 * pcmbn_store_insert_valid() of a record of the store's own commune whose
 * text was made beforehand, on another thread.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_insert_prepared (PcmbnStore *self,
                             const PcmbnKind *kind,
                             const char *uuid,
                             JsonObject *data,
                             PcmbnRowText *text,
                             GError **error)
{
  return insert_row (self, kind, uuid, NULL, data, NULL, 0, FALSE, FALSE, NULL, text, NULL, error);
}

static gboolean
insert_valid (
    PcmbnStore *self, const PcmbnKind *kind, const char *uuid, JsonObject *data, GError **error)
{
  return pcmbn_store_insert_valid (self, kind, uuid, NULL, data, error);
}

gboolean
pcmbn_store_update_valid (
    PcmbnStore *self, sqlite3_int64 id, const PcmbnKind *kind, JsonObject *data, GError **error)
{
  g_autofree char *now = pcmbn_now_utc ();
  g_autofree char *sql = NULL;
  g_autofree char *uuid = NULL;
  g_auto (PcmbnRowText) text = { 0 };
  guint n_columns;

  pcmbn_schema_columns (&n_columns);

  if (kind_has_sensitive (kind))
    {
      /* The sealed fields are bound to the row's uuid. */
      if (!prepare_cached (self, &self->uuid_stmt, "SELECT uuid FROM records WHERE id = ?", error))
        return FALSE;
      sqlite3_bind_int64 (self->uuid_stmt, 1, id);
      if (sqlite3_step (self->uuid_stmt) == SQLITE_ROW)
        uuid = g_strdup ((const char *)sqlite3_column_text (self->uuid_stmt, 0));
      sqlite3_reset (self->uuid_stmt);
    }
  if (!pcmbn_store_row_text_init (self, kind, uuid ? uuid : "", data, NULL, &text, error))
    return FALSE;
  if (self->update_stmt == NULL)
    sql = build_update_sql ();
  if (!prepare_cached (self, &self->update_stmt, sql, error))
    return FALSE;
  sqlite3_bind_int64 (self->update_stmt, 1, id);
  sqlite3_bind_text (self->update_stmt, 2, now, -1, SQLITE_TRANSIENT);
  bind_derived (self->update_stmt, 3, 8 + n_columns, kind, data, &text);
  bind_field_columns (self->update_stmt, 8, kind, data);
  if (sqlite3_step (self->update_stmt) != SQLITE_DONE)
    {
      pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the record"));
      sqlite3_reset (self->update_stmt);
      return FALSE;
    }
  sqlite3_reset (self->update_stmt);
  return write_codes (self, id, FALSE, kind, data, error);
}

/**
 * pcmbn_store_write_row:
 * @self: a store; the caller holds a transaction (pcmbn_store_begin())
 * @kind: the record's kind
 * @uuid: the record's uuid
 * @org_unit: the commune the record belongs to
 * @data: fields that are already normalized and valid
 * @version: the server version of this content
 * @deleted: whether it is a tombstone
 * @modified_at: (nullable): when it was last edited, or %NULL for now
 * @error: return location for an error
 *
 * Inserts or replaces a record with the content the district server holds,
 * for the sync engine (pulled records, a conflict settled with the server's
 * side) and for the server itself: state "synced", not dirty, no problem.
 * The report columns are derived as for any other write.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_write_row (PcmbnStore *self,
                       const PcmbnKind *kind,
                       const char *uuid,
                       const char *org_unit,
                       JsonObject *data,
                       gint64 version,
                       gboolean deleted,
                       const char *modified_at,
                       GError **error)
{
  gint64 id = -1;

  return pcmbn_store_write_row_text (self, kind, uuid, org_unit, data, NULL, &id, version, deleted,
                                     modified_at, error);
}

/**
 * pcmbn_store_write_row_text:
 * @self: a store; the caller holds a transaction (pcmbn_store_begin())
 * @kind: the record's kind
 * @uuid: the record's uuid
 * @org_unit: the commune the record belongs to
 * @data: fields that are already normalized and valid
 * @data_text: (nullable): @data as pcmbn_wire_object_to_string() writes it,
 *   when the caller has it already (the server's push hashes it)
 * @id: (inout): the row's id when the caller has just looked @uuid up, 0
 *   when it found no row, -1 when it did not look; set to the id of the row
 *   written
 * @version: the server version of this content
 * @deleted: whether it is a tombstone
 * @modified_at: (nullable): when it was last edited, or %NULL for now
 * @error: return location for an error
 *
 * pcmbn_store_write_row() without the work the caller did already: the
 * lookup of the uuid and the serialisation of @data. A row that exists
 * after all fails on the uuid's unique index and changes nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_write_row_text (PcmbnStore *self,
                            const PcmbnKind *kind,
                            const char *uuid,
                            const char *org_unit,
                            JsonObject *data,
                            const char *data_text,
                            gint64 *id,
                            gint64 version,
                            gboolean deleted,
                            const char *modified_at,
                            GError **error)
{
  g_autofree char *now = modified_at ? NULL : pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean ok;

  if (*id < 0)
    {
      /* Cached statements: the sync applies thousands of rows in a row. */
      stmt = pcmbn_store_prepare_cached (self, "SELECT id FROM records WHERE uuid = ?", error);
      if (stmt == NULL)
        return FALSE;
      *id = 0;
      sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        *id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  if (*id == 0)
    {
      /* A new row is written once, bookkeeping included (a server push or
       * a fresh pull writes thousands of them). */
      return insert_row (self, kind, uuid, org_unit, data, data_text, version, TRUE, deleted,
                         modified_at ? modified_at : now, NULL, id, error);
    }
  if (!pcmbn_store_update_valid (self, *id, kind, data, error))
    return FALSE;
  stmt = pcmbn_store_prepare_cached (self,
                                     "UPDATE records SET kind = ?2, org_unit = ?3, version = ?4,"
                                     " deleted = ?5, modified_at = ?6, state = 'synced', dirty = 0,"
                                     " problem = NULL, server_data = NULL WHERE id = ?1",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, *id);
  sqlite3_bind_text (stmt, 2, kind->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, org_unit, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, version);
  sqlite3_bind_int (stmt, 5, deleted ? 1 : 0);
  sqlite3_bind_text (stmt, 6, modified_at ? modified_at : now, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, self->db, _ ("saving the record"));
  sqlite3_reset (stmt);
  return ok;
}

const PcmbnKind *
pcmbn_store_lookup_kind (const char *kind_name, GError **error)
{
  const PcmbnKind *kind = pcmbn_schema_kind (kind_name);

  if (kind == NULL)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                 _ ("kind: “%s” is not a kind of record; use one of %s"),
                 kind_name ? kind_name : "", pcmbn_kind_names_joined ());
  return kind;
}

/**
 * pcmbn_store_add:
 * @self: a store
 * @kind: the kind's name
 * @data: the record's fields
 * @error: return location for an error; %PCMBN_ERROR_INVALID lists every
 *   field that is wrong
 *
 * Validates and stores a new record. Nothing is written when it is invalid.
 *
 * Returns: (transfer full) (nullable): the new record's uuid
 */
char *
pcmbn_store_add (PcmbnStore *self, const char *kind_name, JsonObject *data, GError **error)
{
  const PcmbnKind *kind = pcmbn_store_lookup_kind (kind_name, error);
  g_autoptr (JsonObject) valid = NULL;
  PcmbnStoreResolve rd = { self, NULL };
  char *uuid;

  if (kind == NULL || !pcmbn_store_require_init (self, error))
    return NULL;
  if (!pcmbn_store_begin (self, error))
    return NULL;
  if (!pcmbn_schema_check (kind, data, NULL, pcmbn_store_resolve_ref, &rd, &valid, error))
    {
      pcmbn_store_rollback (self);
      return NULL;
    }
  uuid = pcmbn_uuid_new ();
  if (!insert_valid (self, kind, uuid, valid, error))
    {
      pcmbn_store_rollback (self);
      g_free (uuid);
      return NULL;
    }
  if (!pcmbn_store_commit (self, error))
    {
      g_free (uuid);
      return NULL;
    }
  pcmbn_store_emit_changed (self, kind->name);
  return uuid;
}

static gboolean
check_uuid (const char *uuid, GError **error)
{
  if (pcmbn_uuid_is_valid (uuid))
    return TRUE;
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
               _ ("uuid: “%s” is not a record uuid (36 characters such as "
                  "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b)"),
               uuid ? uuid : "");
  return FALSE;
}

gboolean
pcmbn_store_find_row (
    PcmbnStore *self, const char *uuid, sqlite3_int64 *id, PcmbnRecord **record, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  if (!check_uuid (uuid, error))
    return FALSE;
  /* Kept prepared: a CSV import looks every row's uuid up twice, and
   * preparing this statement cost more than running it. */
  pcmbn_store_lock (self);
  stmt = pcmbn_store_prepare_cached (
      self, "SELECT id, " PCMBN_RECORD_COLUMNS " FROM records WHERE uuid = ? AND deleted = 0",
      error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (id)
        *id = sqlite3_column_int64 (stmt, 0);
      if (record)
        *record = pcmbn_store_record_from_stmt (stmt, 1);
    }
  sqlite3_reset (stmt);
  pcmbn_store_unlock (self);
  if (!found)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND, _ ("uuid: there is no record %s"),
                 uuid);
  return found;
}

/**
 * pcmbn_store_update:
 * @self: a store
 * @uuid: the record
 * @patch: the fields to replace; `null` clears one; the others stay
 * @error: return location for an error
 *
 * Returns: %TRUE when the record was valid and saved
 */
gboolean
pcmbn_store_update (PcmbnStore *self, const char *uuid, JsonObject *patch, GError **error)
{
  g_autoptr (PcmbnRecord) record = NULL;
  g_autoptr (JsonObject) valid = NULL;
  PcmbnStoreResolve rd = { self, NULL };
  const PcmbnKind *kind;
  sqlite3_int64 id;

  if (!pcmbn_store_begin (self, error))
    return FALSE;
  if (!pcmbn_store_find_row (self, uuid, &id, &record, error))
    goto fail;
  kind = pcmbn_record_get_kind (record);
  if (!pcmbn_schema_check (kind, patch, pcmbn_record_get_data (record), pcmbn_store_resolve_ref,
                           &rd, &valid, error))
    goto fail;
  if (!pcmbn_store_update_valid (self, id, kind, valid, error))
    goto fail;
  if (!pcmbn_store_commit (self, error))
    return FALSE;
  pcmbn_store_emit_changed (self, kind->name);
  return TRUE;

fail:
  pcmbn_store_rollback (self);
  return FALSE;
}

/**
 * pcmbn_store_get:
 * @self: a store
 * @uuid: a record's uuid
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the record, unless deleted
 */
PcmbnRecord *
pcmbn_store_get (PcmbnStore *self, const char *uuid, GError **error)
{
  PcmbnRecord *record = NULL;

  pcmbn_store_lock (self);
  pcmbn_store_find_row (self, uuid, NULL, &record, error);
  pcmbn_store_unlock (self);
  return record;
}

static gboolean
set_deleted (PcmbnStore *self, const char *uuid, gboolean deleted, GError **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *now = pcmbn_now_utc ();
  g_autofree char *kind = NULL;
  gboolean ok;

  if (!check_uuid (uuid, error))
    return FALSE;
  if (!pcmbn_store_begin (self, error))
    return FALSE;
  kind = query_text (self->db, "SELECT kind FROM records WHERE uuid = ?", uuid);
  if (deleted && g_strcmp0 (kind, "model") == 0)
    {
      g_autofree char *meeting = query_text (self->db,
                                             "SELECT uuid FROM records WHERE f_model = ? AND"
                                             " kind = 'model-meeting' AND deleted = 0 LIMIT 1",
                                             uuid);
      if (meeting)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("uuid: this model still has meetings (such as %s); delete them first"),
                       meeting);
          pcmbn_store_rollback (self);
          return FALSE;
        }
    }
  sqlite3_prepare_v2 (self->db,
                      "UPDATE records SET deleted = ?2, dirty = 1, local_rev = local_rev + 1,"
                      " modified_at = ?3, state = CASE state WHEN 'conflict' THEN 'conflict' ELSE"
                      " 'dirty' END WHERE uuid = ?1 AND deleted = ?4",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, deleted);
  sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, !deleted);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (!ok)
    {
      pcmbn_store_set_sqlite_error (error, self->db, _ ("deleting the record"));
      pcmbn_store_rollback (self);
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      if (!deleted && kind)
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND,
                     _ ("uuid: the record %s is not deleted; there is nothing to restore"), uuid);
      else
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND, _ ("uuid: there is no record %s"),
                     uuid);
      pcmbn_store_rollback (self);
      return FALSE;
    }
  if (!deleted && g_strcmp0 (kind, "model-meeting") == 0)
    {
      /* A meeting brought back without its model would belong to nothing. */
      g_autofree char *model = query_text (self->db,
                                           "SELECT m.uuid FROM records r JOIN records m ON"
                                           " m.uuid = r.f_model WHERE r.uuid = ? AND m.deleted = 1",
                                           uuid);
      if (model)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("uuid: this meeting’s model %s is deleted; restore the model first"),
                       model);
          pcmbn_store_rollback (self);
          return FALSE;
        }
    }
  if (!pcmbn_store_commit (self, error))
    return FALSE;
  pcmbn_store_emit_changed (self, kind);
  return TRUE;
}

/**
 * pcmbn_store_delete:
 * @self: a store
 * @uuid: a record's uuid
 * @error: return location for an error
 *
 * Marks the record deleted. It stays as a tombstone until the server has
 * it, and pcmbn_store_undelete() brings it back.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_delete (PcmbnStore *self, const char *uuid, GError **error)
{
  return set_deleted (self, uuid, TRUE, error);
}

/**
 * pcmbn_store_undelete:
 * @self: a store
 * @uuid: a deleted record's uuid
 * @error: return location for an error
 *
 * Undoes pcmbn_store_delete().
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_undelete (PcmbnStore *self, const char *uuid, GError **error)
{
  return set_deleted (self, uuid, FALSE, error);
}

/**
 * pcmbn_store_list_deleted:
 * @self: a store
 * @kind: (nullable): a kind's name, or %NULL for every kind
 * @since: (nullable): the earliest deletion to list, `YYYY-MM-DDTHH:MM:SSZ`;
 *   %NULL for 30 days ago
 * @error: return location for an error
 *
 * The records deleted since @since, so that a deletion can be undone long
 * after its toast has gone. pcmbn_store_undelete() brings one back.
 *
 * Returns: (transfer full) (element-type PcmbnRecord) (nullable): the
 *   deleted records, newest deletion first; %NULL when @kind is unknown
 */
GPtrArray *
pcmbn_store_list_deleted (PcmbnStore *self,
                          const char *kind_name,
                          const char *since,
                          GError **error)
{
  const PcmbnKind *kind = NULL;
  g_autofree char *cutoff = NULL;
  GPtrArray *records;
  sqlite3_stmt *stmt;

  if (kind_name && (kind = pcmbn_store_lookup_kind (kind_name, error)) == NULL)
    return NULL;
  if (since)
    cutoff = g_strdup (since);
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr (GDateTime) then = g_date_time_add_days (now, -PCMBN_STORE_DELETED_DAYS);
      cutoff = g_date_time_format (then, "%Y-%m-%dT%H:%M:%SZ");
    }
  records = g_ptr_array_new_with_free_func (g_object_unref);
  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (self->db,
                      "SELECT " PCMBN_RECORD_COLUMNS " FROM records INDEXED BY records_deleted"
                      " WHERE deleted = 1 AND modified_at >= ?1 AND (?2 IS NULL OR kind = ?2)"
                      " ORDER BY modified_at DESC, id DESC",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, cutoff, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind ? kind->name : NULL, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      PcmbnRecord *record = pcmbn_store_record_from_stmt (stmt, 0);
      if (record)
        g_ptr_array_add (records, record);
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return records;
}

static gboolean
check_date_arg (const char *name, const char *value, GError **error)
{
  if (value == NULL || pcmbn_date_parse (value) > 0)
    return TRUE;
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
               _ ("%s: “%s” is not a date; write it YYYY-MM-DD, such as 2026-07-30"), name, value);
  return FALSE;
}

/**
 * pcmbn_store_list:
 * @self: a store
 * @kind: a kind's name
 * @from: (nullable): first date, inclusive
 * @to: (nullable): last date, inclusive
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type PcmbnRecord): the records that are
 *   not deleted, by date
 */
GPtrArray *
pcmbn_store_list (
    PcmbnStore *self, const char *kind_name, const char *from, const char *to, GError **error)
{
  const PcmbnKind *kind = pcmbn_store_lookup_kind (kind_name, error);
  GPtrArray *records;
  sqlite3_stmt *stmt;

  if (kind == NULL || !check_date_arg ("from", from, error) || !check_date_arg ("to", to, error))
    return NULL;
  records = g_ptr_array_new_with_free_func (g_object_unref);
  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (self->db,
                      "SELECT " PCMBN_RECORD_COLUMNS " FROM records WHERE kind = ?1 AND deleted ="
                      " 0 AND (?2 IS NULL OR rdate >= ?2) AND (?3 IS NULL OR rdate <= ?3)"
                      " ORDER BY rdate, id",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, kind->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, from, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, to, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      PcmbnRecord *record = pcmbn_store_record_from_stmt (stmt, 0);
      if (record)
        g_ptr_array_add (records, record);
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return records;
}

static gint64
count_query (PcmbnStore *self, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt;
  gint64 n = 0;

  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (arg)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return n;
}

/**
 * pcmbn_store_count:
 * @self: a store
 * @kind: (nullable): a kind's name, or %NULL for all
 *
 * Returns: the number of records that are not deleted
 */
gint64
pcmbn_store_count (PcmbnStore *self, const char *kind)
{
  return count_query (
      self, "SELECT count(*) FROM records WHERE deleted = 0 AND (?1 IS NULL OR kind = ?1)", kind);
}

/**
 * pcmbn_store_count_dirty:
 * @self: a store
 *
 * Returns: the number of records waiting to be sent to the district
 */
gint64
pcmbn_store_count_dirty (PcmbnStore *self)
{
  return count_query (self, "SELECT count(*) FROM records WHERE dirty = 1", NULL);
}

/* ---- async -------------------------------------------------------------- */

typedef struct
{
  char *kind;
  char *uuid;
  JsonObject *data;
} WriteData;

static void
write_data_free (WriteData *wd)
{
  g_free (wd->kind);
  g_free (wd->uuid);
  g_clear_pointer (&wd->data, json_object_unref);
  g_free (wd);
}

/* Runs @func in a worker thread with the kind, uuid and data it needs; the
 * one place the store's _async functions set up their GTask. */
static void
run_write (PcmbnStore *self,
           const char *kind,
           const char *uuid,
           JsonObject *data,
           gpointer source_tag,
           GTaskThreadFunc func,
           GCancellable *cancellable,
           GAsyncReadyCallback callback,
           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  WriteData *wd = g_new0 (WriteData, 1);

  wd->kind = g_strdup (kind);
  wd->uuid = g_strdup (uuid);
  wd->data = data ? json_object_ref (data) : NULL;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, wd, (GDestroyNotify)write_data_free);
  g_task_run_in_thread (task, func);
}

static void
add_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteData *wd = task_data;
  GError *error = NULL;
  char *uuid = pcmbn_store_add (source, wd->kind, wd->data, &error);

  if (uuid)
    g_task_return_pointer (task, uuid, g_free);
  else
    g_task_return_error (task, error);
}

/**
 * pcmbn_store_add_async:
 * @self: a store
 * @kind: a kind's name
 * @data: the fields; copied
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_store_add() in a worker thread, so that the window never waits on
 * the disk.
 */
void
pcmbn_store_add_async (PcmbnStore *self,
                       const char *kind,
                       JsonObject *data,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  run_write (self, kind, NULL, data, pcmbn_store_add_async, add_thread, cancellable, callback,
             user_data);
}

/**
 * pcmbn_store_add_finish:
 * @self: a store
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the new uuid
 */
char *
pcmbn_store_add_finish (PcmbnStore *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
update_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteData *wd = task_data;
  GError *error = NULL;

  if (pcmbn_store_update (source, wd->uuid, wd->data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * pcmbn_store_update_async:
 * @self: a store
 * @uuid: the record
 * @patch: the fields to replace; copied
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_store_update() in a worker thread.
 */
void
pcmbn_store_update_async (PcmbnStore *self,
                          const char *uuid,
                          JsonObject *patch,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  run_write (self, NULL, uuid, patch, pcmbn_store_update_async, update_thread, cancellable,
             callback, user_data);
}

gboolean
pcmbn_store_update_finish (PcmbnStore *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- app ---- */

static void
set_deleted_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteData *wd = task_data;
  GError *error = NULL;
  gboolean ok = wd->data == NULL ? pcmbn_store_delete (source, wd->uuid, &error)
                                 : pcmbn_store_undelete (source, wd->uuid, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
set_deleted_async (PcmbnStore *self,
                   const char *uuid,
                   gboolean deleted,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  /* An empty object marks "undelete"; the data is not used otherwise. */
  g_autoptr (JsonObject) marker = deleted ? NULL : json_object_new ();

  run_write (self, NULL, uuid, marker, set_deleted_async, set_deleted_thread, cancellable, callback,
             user_data);
}

/**
 * pcmbn_store_delete_async:
 * @self: a store
 * @uuid: a record's uuid
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_store_delete() in a worker thread.
 */
void
pcmbn_store_delete_async (PcmbnStore *self,
                          const char *uuid,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  set_deleted_async (self, uuid, TRUE, cancellable, callback, user_data);
}

gboolean
pcmbn_store_delete_finish (PcmbnStore *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * pcmbn_store_undelete_async:
 * @self: a store
 * @uuid: a deleted record's uuid
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_store_undelete() in a worker thread, for the Undo of a toast.
 */
void
pcmbn_store_undelete_async (PcmbnStore *self,
                            const char *uuid,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  set_deleted_async (self, uuid, FALSE, cancellable, callback, user_data);
}

gboolean
pcmbn_store_undelete_finish (PcmbnStore *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * pcmbn_store_recent:
 * @self: a store
 * @limit: at most this many
 *
 * Returns: (transfer full) (element-type PcmbnRecord): the records changed
 *   last, of every kind, newest first
 */
GPtrArray *
pcmbn_store_recent (PcmbnStore *self, guint limit)
{
  GPtrArray *records = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;

  pcmbn_store_lock (self);
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT " PCMBN_RECORD_COLUMNS " FROM records WHERE deleted = 0"
                          " ORDER BY modified_at DESC, id DESC LIMIT ?",
                          -1, &stmt, NULL)
      == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, limit);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (records, pcmbn_store_record_from_stmt (stmt, 0));
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return records;
}

/**
 * pcmbn_store_count_by_month:
 * @self: a store
 * @kind: a kind's name
 * @year: a year
 * @counts: (out caller-allocates) (array fixed-size=12): records of each month
 *
 * Counts the records of @kind whose list date falls in each month of @year.
 */
void
pcmbn_store_count_by_month (PcmbnStore *self, const char *kind, int year, guint counts[12])
{
  g_autofree char *from = g_strdup_printf ("%04d-01-01", year);
  g_autofree char *to = g_strdup_printf ("%04d-12-31", year);
  sqlite3_stmt *stmt = NULL;

  memset (counts, 0, 12 * sizeof (guint));
  pcmbn_store_lock (self);
  if (sqlite3_prepare_v2 (
          self->db,
          "SELECT CAST (substr (rdate, 6, 2) AS INTEGER), count(*) FROM records"
          " WHERE kind = ? AND deleted = 0 AND rdate >= ? AND rdate <= ? GROUP BY 1",
          -1, &stmt, NULL)
      == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, from, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, to, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          int month = sqlite3_column_int (stmt, 0);
          if (month >= 1 && month <= 12)
            counts[month - 1] = sqlite3_column_int (stmt, 1);
        }
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
}
