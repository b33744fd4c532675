/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-util.h"
#include "server/pcmbn-district-chain.h"
#include "server/pcmbn-district-store-private.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-wire.h"

/* The server's side of sync, on PcmbnDistrictStore: pushes, pulls and the
 * change sequence they share.
 *
 * A push runs the same few statements for each of up to 1,000 records: they
 * come from the connection's statement cache (pcmbn_store_prepare_cached()),
 * each record's data is serialized once, and the answer is written straight
 * into one buffer. Every cached statement is reset right after use, so that
 * none keeps a read snapshot open between requests. */

/* The workers' writes (pushes, and the "last seen" of pulls) take turns
 * here rather than in SQLite's busy handler, which sleeps up to 100 ms
 * between tries: with hundreds of communes syncing at once, that sleep and
 * not the work set the pace. Every worker thread has its own connection
 * (its own PcmbnDistrictStore), hence one lock for the process. Other
 * processes (the admin verbs) still meet the busy handler. */
static GMutex write_turn;

void
pcmbn_district_row_clear (PcmbnDistrictRow *row)
{
  g_clear_pointer (&row->kind, g_free);
  g_clear_pointer (&row->org_unit, g_free);
  g_clear_pointer (&row->data_text, g_free);
  g_clear_pointer (&row->modified_at, g_free);
  row->exists = FALSE;
  row->id = 0;
}

static gboolean
step_cached (sqlite3_stmt *stmt)
{
  gboolean ok = stmt != NULL && sqlite3_step (stmt) == SQLITE_DONE;

  if (stmt)
    sqlite3_reset (stmt);
  return ok;
}

/**
 * pcmbn_district_store_load_row:
 * @self: a server database
 * @uuid: a record's uuid
 * @row: (out caller-allocates): the row; @row->exists is %FALSE when the
 *   server has no such record
 * @error: return location for an error of the database
 *
 * Returns: %TRUE when the database answered
 */
gboolean
pcmbn_district_store_load_row (PcmbnDistrictStore *self,
                               const char *uuid,
                               PcmbnDistrictRow *row,
                               GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  sqlite3_stmt *stmt;

  memset (row, 0, sizeof *row);
  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT kind, org_unit, data, version, deleted,"
                                     " modified_at, id FROM records WHERE uuid = ?",
                                     error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (store);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      row->exists = TRUE;
      row->kind = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      row->org_unit = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      row->data_text = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
      row->version = sqlite3_column_int64 (stmt, 3);
      row->deleted = sqlite3_column_int (stmt, 4);
      row->modified_at = g_strdup ((const char *)sqlite3_column_text (stmt, 5));
      row->id = sqlite3_column_int64 (stmt, 6);
    }
  sqlite3_reset (stmt);
  pcmbn_store_unlock (store);
  return TRUE;
}

/**
 * pcmbn_district_store_find_edit:
 * @self: a server database
 * @record_id: a record's row (#PcmbnDistrictRow.id)
 * @edit_hash: pcmbn_wire_edit_hash() of an edit
 *
 * Returns: the version a push of that very edit made, or 0 when none did
 */
gint64
pcmbn_district_store_find_edit (PcmbnDistrictStore *self, gint64 record_id, const char *edit_hash)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  sqlite3_stmt *stmt;
  gint64 version = 0;

  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT version FROM record_versions WHERE record_id = ?"
                                     " AND edit_hash = ? ORDER BY version DESC LIMIT 1",
                                     NULL);
  if (stmt)
    {
      sqlite3_bind_int64 (stmt, 1, record_id);
      sqlite3_bind_text (stmt, 2, edit_hash, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  pcmbn_store_unlock (store);
  return version;
}

/**
 * pcmbn_district_store_record_change:
 * @self: a server database, in a transaction
 * @record_id: the row written (pcmbn_store_write_row_text())
 * @uuid: the record written
 * @org_unit: its commune
 * @version: its new version
 * @edit_hash: the edit that made it
 * @device_id: (nullable): the device that sent it
 * @error: return location for an error
 *
 * Remembers the edit (so that a retry finds its version) and moves the
 * record to the end of the change sequence, where its commune's devices
 * pull it.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_record_change (PcmbnDistrictStore *self,
                                    gint64 record_id,
                                    const char *uuid,
                                    const char *org_unit,
                                    gint64 version,
                                    const char *edit_hash,
                                    const char *device_id,
                                    GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean ok;

  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store,
                                     "INSERT OR REPLACE INTO record_versions (record_id,"
                                     " version, edit_hash, device_id, at) VALUES (?, ?, ?, ?, ?)",
                                     error);
  if (stmt)
    {
      sqlite3_bind_int64 (stmt, 1, record_id);
      sqlite3_bind_int64 (stmt, 2, version);
      sqlite3_bind_text (stmt, 3, edit_hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, now, -1, SQLITE_TRANSIENT);
    }
  ok = step_cached (stmt);
  if (ok)
    {
      /* One row per record in the change sequence, at its latest change:
       * the unique index on record_id makes REPLACE drop the earlier row,
       * in one statement rather than a DELETE and an INSERT. */
      stmt = pcmbn_store_prepare_cached (store,
                                         "INSERT OR REPLACE INTO changes (org_unit, record_uuid,"
                                         " device_id, record_id) VALUES (?, ?, ?, ?)",
                                         error);
      if (stmt)
        {
          sqlite3_bind_text (stmt, 1, org_unit, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 2, uuid, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 3, device_id, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (stmt, 4, record_id);
        }
      ok = step_cached (stmt);
    }
  if (!ok && (error == NULL || *error == NULL))
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the record"));
  pcmbn_store_unlock (store);
  return ok;
}

/* The commune's last sync and the device's last sight; the caller holds a
 * transaction. */
static void
touch_sync (PcmbnStore *store, const char *org_unit, const char *device_id)
{
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;

  stmt = pcmbn_store_prepare_cached (
      store,
      "INSERT INTO commune_sync (org_unit, last_sync) VALUES (?1, ?2)"
      " ON CONFLICT (org_unit) DO UPDATE SET last_sync ="
      " excluded.last_sync",
      NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, org_unit, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      step_cached (stmt);
    }
  stmt = pcmbn_store_prepare_cached (store, "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
                                     NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      step_cached (stmt);
    }
}

/**
 * pcmbn_district_store_note_pull:
 * @self: a server database
 * @device: the device that pulled
 * @since: the cursor it pulled from
 * @error: return location for an error
 *
 * Audits the read and notes when the commune last synced (the dashboard
 * lists the communes that never did) and when the device was last seen, in
 * one write.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_note_pull (PcmbnDistrictStore *self,
                                PcmbnDistrictPrincipal *device,
                                gint64 since,
                                GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autoptr (GMutexLocker) turn = g_mutex_locker_new (&write_turn);
  g_autofree char *object = g_strdup_printf ("%s since %" G_GINT64_FORMAT, device->org_unit, since);

  if (!pcmbn_store_begin (store, error))
    return FALSE;
  touch_sync (store, device->org_unit, device->id);
  if (!pcmbn_district_store_audit (self, device->actor, "pull", object, device->address, TRUE))
    {
      pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the audit"));
      pcmbn_store_rollback (store);
      return FALSE;
    }
  return pcmbn_store_commit (store, error);
}

static void
result_rejected (
    GString *out, const char *uuid, const char *code, const char *field, const char *message)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append (out, ",\"status\":\"rejected\",\"error\":{\"code\":");
  pcmbn_wire_append_string (out, code);
  g_string_append (out, ",\"message\":");
  pcmbn_wire_append_string (out, message);
  g_string_append (out, ",\"field\":");
  pcmbn_wire_append_string (out, field);
  g_string_append (out, "}}");
}

static void
result_accepted (GString *out, const char *uuid, gint64 version)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append_printf (out, ",\"status\":\"accepted\",\"version\":%" G_GINT64_FORMAT "}",
                          version);
}

typedef struct
{
  PcmbnDistrictStore *self;
  PcmbnDistrictPrincipal *device;
  gboolean keep_sensitive;
  PcmbnStoreResolve *resolve;
  gint64 first_seq; /* the first change this push made, 0 for none */
  /* PcmbnDistrictAuditLine of the records written, audited together
   * before the commit; their uuids are the push's records'. */
  GArray *audit;
  /* PushChange of the records written: their versions and places in the
   * change sequence, also written together before the commit. */
  GArray *changes;
} Push;

/* What pcmbn_district_store_record_change() writes for one record of a
 * push; the texts are the push's records' and their prepared hashes. */
typedef struct
{
  gint64 record_id;
  const char *uuid;
  gint64 version;
  const char *edit_hash;
} PushChange;

/* The change sequence number of the latest change of row @record_id, 0
 * when none. */
static gint64
change_seq (PcmbnStore *store, gint64 record_id)
{
  sqlite3_stmt *stmt = pcmbn_store_prepare_cached (
      store, "SELECT seq FROM changes WHERE record_id = ?", NULL);
  gint64 seq = 0;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, record_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return seq;
}

/* The lowest change of the records a push answers as accepted: a retry
 * answers the same as the push it repeats. */
static void
note_seq (Push *p, gint64 seq)
{
  if (seq > 0 && (p->first_seq == 0 || seq < p->first_seq))
    p->first_seq = seq;
}

/* What a record of a push becomes before the write turn: normalized, as
 * text, and its edit hash; validated too when that reads no other record.
 * None of it reads the database. */
typedef struct
{
  JsonObject *data;
  GPtrArray *errors; /* PcmbnFieldError, from normalizing (and validating) */
  char *data_text;
  char *hash;
  gboolean validated; /* every rule checked: the kind names no other record */
} Prepared;

static void
prepared_clear (Prepared *pr)
{
  g_clear_pointer (&pr->data, json_object_unref);
  g_clear_pointer (&pr->errors, g_ptr_array_unref);
  g_clear_pointer (&pr->data_text, g_free);
  g_clear_pointer (&pr->hash, g_free);
}

/* The records of a push are prepared in order on a thread of their own
 * while the pushing thread, holding the write turn, stores those that are
 * ready: the server has more cores than writers, and the turn is held
 * only for what needs the database. */
typedef struct
{
  GPtrArray *records; /* PcmbnWireRecord */
  Prepared *out;
  gboolean keep_sensitive;
  /* When set, records are read here too, from @body where @spans say
   * (pcmbn_wire_split_push()): a record that cannot be read stays %NULL. */
  const char *body;
  GArray *spans;
  GThread *thread;
  GMutex lock;
  GCond cond;
  guint ready;   /* records prepared so far, in order */
  gint stopping; /* the push failed: no need to go on */
} PrepareJob;

/* Below this many records a thread costs more than it saves. */
#define PREPARE_THREAD_MIN 64

static void
prepare_one (PrepareJob *job, guint i)
{
  PcmbnWireRecord *r;
  Prepared *pr = &job->out[i];
  g_autoptr (JsonObject) input = NULL;

  if (job->body)
    {
      PcmbnWireSpan *span = &g_array_index (job->spans, PcmbnWireSpan, i);
      job->records->pdata[i] = pcmbn_wire_parse_push_record (job->body + span->start, span->len);
    }
  r = job->records->pdata[i];
  if (r == NULL || r->error_code)
    return;
  /* A tombstone keeps the content the device deleted (its last edit
   * included), normalized but not validated: so both sides hold the same
   * row, and a record that was wrong can still be deleted. */
  input = job->keep_sensitive ? json_object_ref (r->data)
                              : pcmbn_wire_strip_sensitive (r->kind, r->data, NULL);
  pr->errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  pr->data = pcmbn_schema_normalize (r->kind, input, NULL, pr->errors);
  if (pr->errors->len > 0)
    return;
  /* Only references need the write turn (they may name a record stored
   * just before); a kind without any is validated here, off the turn. */
  if (!r->deleted && !pcmbn_kind_has_references (r->kind))
    {
      pcmbn_schema_validate (r->kind, pr->data, NULL, NULL, pr->errors);
      pr->validated = TRUE;
      if (pr->errors->len > 0)
        return;
    }
  /* Unchanged by normalizing (nothing stripped, already the stored form):
   * the text the device sent is the text to store. */
  pr->data_text = pr->data == r->data && r->data_text ? g_steal_pointer (&r->data_text)
                                                      : pcmbn_wire_object_to_string (pr->data);
  pr->hash = pcmbn_wire_edit_hash_text (r->kind, r->base_version, r->deleted, pr->data_text);
}

static gpointer
prepare_thread (gpointer data)
{
  PrepareJob *job = data;

  for (guint i = 0; i < job->records->len && !g_atomic_int_get (&job->stopping); i++)
    {
      prepare_one (job, i);
      g_mutex_lock (&job->lock);
      job->ready = i + 1;
      g_cond_signal (&job->cond);
      g_mutex_unlock (&job->lock);
    }
  return NULL;
}

static void
prepare_start (
    PrepareJob *job, GPtrArray *records, const char *body, GArray *spans, gboolean keep_sensitive)
{
  job->records = records;
  job->body = body;
  job->spans = spans;
  job->out = g_new0 (Prepared, records->len);
  job->keep_sensitive = keep_sensitive;
  job->ready = 0;
  job->stopping = 0;
  g_mutex_init (&job->lock);
  g_cond_init (&job->cond);
  job->thread = NULL;
  if (records->len >= PREPARE_THREAD_MIN)
    job->thread = g_thread_try_new ("pcmbn-prepare", prepare_thread, job, NULL);
  if (job->thread == NULL)
    {
      for (guint i = 0; i < records->len; i++)
        prepare_one (job, i);
      job->ready = records->len;
    }
}

/* Record @i of the push, once it is prepared. */
static Prepared *
prepare_wait (PrepareJob *job, guint i)
{
  g_mutex_lock (&job->lock);
  while (job->ready <= i)
    g_cond_wait (&job->cond, &job->lock);
  g_mutex_unlock (&job->lock);
  return &job->out[i];
}

typedef struct
{
  Prepared *out;
  guint n;
} PreparedSet;

static void
prepared_set_free (PreparedSet *set)
{
  for (guint i = 0; i < set->n; i++)
    prepared_clear (&set->out[i]);
  g_free (set->out);
  g_free (set);
}

/* The prepared records are freed after the answer has gone. */
static void
prepare_finish (PrepareJob *job)
{
  PreparedSet *set = g_new (PreparedSet, 1);

  g_atomic_int_set (&job->stopping, 1);
  if (job->thread)
    g_thread_join (job->thread);
  set->out = g_steal_pointer (&job->out);
  set->n = job->records->len;
  pcmbn_free_later (set, (GDestroyNotify)prepared_set_free);
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->cond);
}

/* One record of a push: appends its RESULT to @out; FALSE with @error set
 * when the database failed (the whole push is then rolled back). */
static gboolean
push_one (
    Push *p, PcmbnWireRecord *r, Prepared *pr, PcmbnDistrictRow *row, GString *out, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (p->self);
  GPtrArray *errors = pr->errors;
  const char *hash = pr->hash, *data_text = pr->data_text;
  gint64 version, known, id;

  if (r->error_code)
    {
      result_rejected (out, r->uuid, r->error_code, r->error_field, r->error_message);
      return TRUE;
    }
  if (row->exists && g_strcmp0 (row->kind, r->kind->name) != 0)
    {
      g_autofree char *message = g_strdup_printf (_ ("the record %s is a %s record on the server"),
                                                  r->uuid, row->kind);
      result_rejected (out, r->uuid, "kind_mismatch", "kind", message);
      return TRUE;
    }
  /* References are checked here, with the write turn held: they may name
   * a record of this same push or one another push just stored. */
  if (!r->deleted && errors->len == 0 && !pr->validated)
    pcmbn_schema_validate (r->kind, pr->data, pcmbn_store_resolve_ref, p->resolve, errors);
  if (errors->len > 0)
    {
      PcmbnFieldError *first = errors->pdata[0];
      g_autofree char *all = pcmbn_field_errors_to_string (errors);
      result_rejected (out, r->uuid, "invalid", first->field, all);
      return TRUE;
    }
  /* A retry of an edit that was stored finds its row: a uuid the server
   * has never seen has no edit to find (rows are never removed). */
  known = row->exists ? pcmbn_district_store_find_edit (p->self, row->id, hash) : 0;
  if (known > 0)
    {
      result_accepted (out, r->uuid, known); /* a retry: already here */
      note_seq (p, change_seq (store, row->id));
      return TRUE;
    }
  if (row->exists && row->deleted == r->deleted && g_strcmp0 (row->data_text, data_text) == 0)
    {
      result_accepted (out, r->uuid, row->version); /* the server has exactly this */
      note_seq (p, change_seq (store, row->id));
      return TRUE;
    }
  /* A base above the server's version: the server was restored from an
   * older backup and the device resends what it lacks (see
   * pcmbn-district-backup.c); that is no conflict. */
  if (row->exists && r->base_version < row->version)
    {
      g_string_append (out, "{\"uuid\":");
      pcmbn_wire_append_string (out, r->uuid);
      g_string_append (out, ",\"status\":\"conflict\",\"server\":");
      pcmbn_wire_append_record (out, r->uuid, row->kind, row->org_unit, row->version, row->deleted,
                                row->modified_at, row->data_text, row->version);
      g_string_append_c (out, '}');
      return TRUE;
    }
  version = MAX (row->exists ? row->version : 0, r->base_version) + 1;
  id = row->id;
  if (!pcmbn_store_write_row_text (store, r->kind, r->uuid, p->device->org_unit, pr->data,
                                   data_text, &id, version, r->deleted, r->modified_at, error))
    return FALSE;
  /* Nothing later in the push reads these rows back: a record sent twice
   * in one push finds its first write in its row, and a retry of an
   * earlier push finds that push's rows. */
  {
    PushChange change = { id, r->uuid, version, hash };
    PcmbnDistrictAuditLine line = { r->deleted    ? "delete"
                                    : row->exists ? "update"
                                                  : "create",
                                    r->uuid, version };
    g_array_append_val (p->changes, change);
    g_array_append_val (p->audit, line);
  }
  /* What the next records of the push resolve: this one as stored now,
   * or nothing once it is deleted. */
  if (!r->deleted)
    g_hash_table_insert (p->resolve->pending, pcmbn_store_resolve_key (r->kind->name, r->uuid),
                         g_steal_pointer (&pr->data));
  else
    {
      g_autofree char *key = pcmbn_store_resolve_key (r->kind->name, r->uuid);
      g_hash_table_remove (p->resolve->pending, key);
    }
  result_accepted (out, r->uuid, version);
  return TRUE;
}

/* Rows of a push go this many to a statement: a statement's start and end
 * cost more than writing these short rows. */
#define CHANGES_PER_INSERT 16

/* The statement writing @n rows: of record_versions when @versions (the
 * device ?1 and time ?2 shared, then each row's record, version and edit),
 * else of changes (the commune ?1 and device ?2 shared, then each row's
 * uuid and record). REPLACE, as pcmbn_district_store_record_change(): a
 * record's earlier place in the sequence goes. */
static sqlite3_stmt *
prepare_change_rows (PcmbnStore *store, gboolean versions, guint n)
{
  static const char *version_sql[CHANGES_PER_INSERT], *change_sql[CHANGES_PER_INSERT];
  const char *text = versions ? pcmbn_store_rows_sql (
                         &version_sql[n - 1],
                         "INSERT OR REPLACE INTO record_versions (device_id, at,"
                         " record_id, version, edit_hash) VALUES",
                         "(?1, ?2, ?@1, ?@2, ?@3)", 2, 3, n)
                              : pcmbn_store_rows_sql (
                                  &change_sql[n - 1],
                                  "INSERT OR REPLACE INTO changes (org_unit, device_id,"
                                  " record_uuid, record_id) VALUES",
                                  "(?1, ?2, ?@1, ?@2)", 2, 2, n);

  return pcmbn_store_prepare_cached (store, text, NULL);
}

/* Writes the versions and the change sequence's rows of the records a push
 * wrote, in their order, as pcmbn_district_store_record_change() does for
 * one, and notes where the push's changes start. */
static gboolean
write_changes (Push *p, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (p->self);
  const PushChange *changes = (const PushChange *)(gconstpointer)p->changes->data;
  g_autofree char *now = NULL;
  sqlite3_stmt *stmt;
  gint64 last = 0;
  gboolean ok = TRUE;

  if (p->changes->len == 0)
    return TRUE;
  now = pcmbn_now_utc ();
  pcmbn_store_lock (store);
  /* The sequence's last number: this push holds the write lock since its
   * first row, so its changes are numbered from the next one on. */
  stmt = pcmbn_store_prepare_cached (
      store, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'", NULL);
  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    last = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  for (int versions = 1; ok && versions >= 0; versions--)
    for (guint first = 0; ok && first < p->changes->len; first += CHANGES_PER_INSERT)
      {
        guint n = MIN (p->changes->len - first, CHANGES_PER_INSERT);

        stmt = prepare_change_rows (store, versions, n);
        if (stmt == NULL)
          {
            ok = FALSE;
            break;
          }
        sqlite3_bind_text (stmt, 1, versions ? p->device->id : p->device->org_unit, -1,
                           SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, versions ? now : p->device->id, -1, SQLITE_STATIC);
        for (guint i = 0; i < n; i++)
          {
            const PushChange *c = &changes[first + i];
            if (versions)
              {
                sqlite3_bind_int64 (stmt, 3 + 3 * i, c->record_id);
                sqlite3_bind_int64 (stmt, 4 + 3 * i, c->version);
                sqlite3_bind_text (stmt, 5 + 3 * i, c->edit_hash, -1, SQLITE_STATIC);
              }
            else
              {
                sqlite3_bind_text (stmt, 3 + 2 * i, c->uuid, -1, SQLITE_STATIC);
                sqlite3_bind_int64 (stmt, 4 + 2 * i, c->record_id);
              }
          }
        ok = sqlite3_step (stmt) == SQLITE_DONE;
        sqlite3_reset (stmt);
        /* The texts bound are the push's: no statement keeps them. */
        sqlite3_clear_bindings (stmt);
      }
  if (!ok)
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the record"));
  pcmbn_store_unlock (store);
  if (ok)
    note_seq (p, last + 1);
  return ok;
}

/* The records of a push in one transaction, with the write turn held;
 * FALSE with @error set when nothing was stored. */
static gboolean
push_in_turn (Push *p, GPtrArray *records, PrepareJob *prepared, GString *out, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (p->self);

  if (!pcmbn_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < records->len; i++)
    {
      Prepared *pr = prepare_wait (prepared, i);
      PcmbnWireRecord *r = records->pdata[i];
      g_auto (PcmbnDistrictRow) row = { 0 };

      /* Read here from the body's text (pcmbn_district_store_push_body()):
       * what the whole body's reading refuses is refused as before. */
      if (r == NULL || (r->org_unit && !g_str_equal (r->org_unit, p->device->org_unit)))
        {
          g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                       "records[%u] is to be read with the whole body", i);
          pcmbn_store_rollback (store);
          return FALSE;
        }
      if (r->error_code == NULL)
        {
          if (!pcmbn_district_store_load_row (p->self, r->uuid, &row, error))
            {
              pcmbn_store_rollback (store);
              return FALSE;
            }
          /* A uuid the server holds for another commune: refused whole. */
          if (row.exists && g_strcmp0 (row.org_unit, p->device->org_unit) != 0)
            {
              g_set_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN,
                           _ ("records[%u] (%s) is a record of another org unit; nothing was "
                              "stored"),
                           i, r->uuid);
              pcmbn_store_rollback (store);
              return FALSE;
            }
        }
      if (i > 0)
        g_string_append_c (out, ',');
      if (!push_one (p, r, pr, &row, out, error))
        {
          pcmbn_store_rollback (store);
          return FALSE;
        }
    }
  g_string_append_c (out, ']');
  if (!write_changes (p, error))
    {
      pcmbn_store_rollback (store);
      return FALSE;
    }
  /* Where this push's changes start: the device's next pull may leave out
   * its own changes from there on, which it holds already. */
  if (p->first_seq > 0)
    g_string_append_printf (out, ",\"first_seq\":%" G_GINT64_FORMAT, p->first_seq);
  g_string_append_c (out, '}');
  if (!pcmbn_district_store_audit_lines (p->self, p->device->actor, p->device->address,
                                         (PcmbnDistrictAuditLine *)(gpointer)p->audit->data,
                                         p->audit->len))
    {
      pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the record"));
      pcmbn_store_rollback (store);
      return FALSE;
    }
  touch_sync (store, p->device->org_unit, p->device->id);
  return pcmbn_store_commit (store, error);
}

static char *push_records (PcmbnDistrictStore *self,
                           PcmbnDistrictPrincipal *device,
                           GPtrArray *records,
                           const char *body,
                           GArray *spans,
                           GError **error);

/**
 * pcmbn_district_store_push:
 * @self: a server database
 * @device: the device that pushes (authenticated, not revoked)
 * @records: (element-type PcmbnWireRecord): the records of the push, as
 *   pcmbn_wire_parse_push() read them
 * @error: return location for an error; %PCMBN_DISTRICT_ERROR_FORBIDDEN
 *   when a record belongs to another org unit than the device's (nothing
 *   is stored then)
 *
 * Applies a push in one transaction: each record comes back accepted (with
 * its version), in conflict (with the server's record) or rejected (with
 * the reason), and the commune's last sync is noted. Case notes are dropped
 * unless the configuration keeps them.
 *
 * Returns: (transfer full) (nullable): the answer, `{"results":[...]}`
 */
char *
pcmbn_district_store_push (PcmbnDistrictStore *self,
                           PcmbnDistrictPrincipal *device,
                           GPtrArray *records,
                           GError **error)
{
  g_return_val_if_fail (device != NULL && device->kind == PCMBN_DISTRICT_TOKEN_DEVICE, NULL);
  for (guint i = 0; i < records->len; i++)
    {
      PcmbnWireRecord *r = records->pdata[i];
      if (r->org_unit && !g_str_equal (r->org_unit, device->org_unit))
        {
          g_set_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN,
                       _ ("records[%u] belongs to org unit %s but this device belongs to %s; "
                          "nothing was stored"),
                       i, r->org_unit, device->org_unit);
          return NULL;
        }
    }
  return push_records (self, device, records, NULL, NULL, error);
}

/**
 * pcmbn_district_store_push_body:
 * @self: a server database
 * @device: the device that pushes (authenticated, not revoked)
 * @body: (array length=len): the decompressed body of the push
 * @len: its length
 * @error: return location for an error: a %PCMBN_WIRE_ERROR as
 *   pcmbn_wire_parse_push() sets it, or one of pcmbn_district_store_push()
 *
 * pcmbn_district_store_push() of the records of @body, read while they are
 * stored: the body a device sends is split into its records at once, and
 * a thread reads each while the write turn stores those before it. Reading
 * the whole body first kept the device waiting a tenth of the push. Any
 * failure (a record that cannot be read, one of another commune, the
 * database) rolls back and the push is done again the old way, reading the
 * whole body first, so that its answer is exactly what it always was.
 *
 * Returns: (transfer full) (nullable): the answer, `{"results":[...]}`
 */
char *
pcmbn_district_store_push_body (PcmbnDistrictStore *self,
                                PcmbnDistrictPrincipal *device,
                                const char *body,
                                gsize len,
                                GError **error)
{
  g_autoptr (GArray) spans = NULL;
  g_autoptr (GPtrArray) records = NULL;
  char *answer = NULL;

  g_return_val_if_fail (device != NULL && device->kind == PCMBN_DISTRICT_TOKEN_DEVICE, NULL);
  if (len <= PCMBN_WIRE_MAX_BODY)
    spans = pcmbn_wire_split_push (body, len);
  if (spans != NULL && spans->len <= PCMBN_WIRE_MAX_RECORDS)
    {
      records = g_ptr_array_new_full (spans->len, (GDestroyNotify)pcmbn_wire_record_free);
      g_ptr_array_set_size (records, spans->len);
      answer = push_records (self, device, records, body, spans, NULL);
      pcmbn_free_later (g_steal_pointer (&records), (GDestroyNotify)g_ptr_array_unref);
      if (answer != NULL)
        return answer;
    }
  records = pcmbn_wire_parse_push (body, len, error);
  if (records == NULL)
    return NULL;
  answer = pcmbn_district_store_push (self, device, records, error);
  pcmbn_free_later (g_steal_pointer (&records), (GDestroyNotify)g_ptr_array_unref);
  return answer;
}

static char *
push_records (PcmbnDistrictStore *self,
              PcmbnDistrictPrincipal *device,
              GPtrArray *records,
              const char *body,
              GArray *spans,
              GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autoptr (GHashTable) pending = NULL;
  g_autoptr (GArray) audit = NULL;
  g_autoptr (GArray) changes = NULL;
  g_autoptr (GString) out = NULL;
  g_autoptr (GMutexLocker) turn = NULL;
  PrepareJob prepared;
  PcmbnStoreResolve resolve = { 0 };
  gboolean ok;
  Push p;

  pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)json_object_unref);
  resolve.store = store;
  resolve.org_unit = device->org_unit;
  resolve.pending = pending;
  p.self = self;
  p.device = device;
  /* Kept only sealed: without PCMBN_CASE_NOTES_KEY they are dropped. */
  p.keep_sensitive = pcmbn_district_store_keeps_case_notes (self)
                     && pcmbn_store_has_key (pcmbn_district_store_get_store (self));
  p.resolve = &resolve;
  p.first_seq = 0;
  p.audit = audit = g_array_sized_new (FALSE, FALSE, sizeof (PcmbnDistrictAuditLine), records->len);
  p.changes = changes = g_array_sized_new (FALSE, FALSE, sizeof (PushChange), records->len);
  out = g_string_sized_new (32 + 72 * (gsize)records->len);
  g_string_append (out, "{\"results\":[");

  prepare_start (&prepared, records, body, spans, p.keep_sensitive);
  turn = g_mutex_locker_new (&write_turn);
  ok = push_in_turn (&p, records, &prepared, out, error);
  g_clear_pointer (&turn, g_mutex_locker_free);
  prepare_finish (&prepared);
  /* Every record of the push, normalized: not freed while the device waits. */
  pcmbn_free_later (g_steal_pointer (&pending), (GDestroyNotify)g_hash_table_unref);
  if (!ok)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A CHANGE of reference data: the org unit as it is now. */
static void
append_unit (GString *out, sqlite3_stmt *s)
{
  g_string_append (out, "{\"code\":");
  pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 0));
  g_string_append (out, ",\"name\":");
  pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 1));
  g_string_append (out, ",\"level\":");
  pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 2));
  g_string_append (out, ",\"parent\":");
  pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 3));
  g_string_append_printf (
      out, ",\"key_area\":%s,\"population_14_60\":", sqlite3_column_int (s, 4) ? "true" : "false");
  if (sqlite3_column_type (s, 5) == SQLITE_NULL)
    g_string_append (out, "null");
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64)sqlite3_column_int64 (s, 5));
  g_string_append_c (out, '}');
}

/**
 * pcmbn_district_store_changes_since:
 * @self: a server database
 * @org_unit: the commune whose changes are wanted
 * @since: the cursor: the `next` of the previous page, 0 for everything
 * @limit: at most this many changes
 * @error: return location for an error of the database
 *
 * One page of a pull, read in one snapshot: the commune's records (deleted
 * ones as tombstones) and its org unit, each at its latest change. A cursor
 * past the end gives no change and the same cursor back.
 *
 * Returns: (transfer full) (nullable): the answer,
 *   `{"changes":[...],"next":SEQ,"more":bool}`
 */
char *
pcmbn_district_store_changes_since (
    PcmbnDistrictStore *self, const char *org_unit, gint64 since, gint64 limit, GError **error)
{
  return pcmbn_district_store_changes_for_device (self, org_unit, NULL, 0, since, limit, error);
}

/* How many changes a page reads at most, skipped ones included, per change
 * it may return: a device that just pushed 10,000 records reads past them
 * in a few pages rather than one long one. */
#define SKIP_BUDGET 20

/**
 * pcmbn_district_store_changes_for_device:
 * @self: a server database
 * @org_unit: the commune whose changes are wanted
 * @device_id: (nullable): the device that pulls
 * @mine_from: leave out the changes from this sequence number on whose
 *   record's latest version @device_id pushed itself (0: leave out none).
 *   The device gives the `first_seq` of the pushes of the same sync: it
 *   holds those records and took their versions from the answers. Its
 *   older changes still come back, to a logbook restored from a copy too.
 * @since: the cursor: the `next` of the previous page, 0 for everything
 * @limit: at most this many changes
 * @error: return location for an error of the database
 *
 * Like pcmbn_district_store_changes_since(); `next` moves past the changes
 * left out too, so that they are read once.
 *
 * Returns: (transfer full) (nullable): the answer,
 *   `{"changes":[...],"next":SEQ,"more":bool}`
 */
char *
pcmbn_district_store_changes_for_device (PcmbnDistrictStore *self,
                                         const char *org_unit,
                                         const char *device_id,
                                         gint64 mine_from,
                                         gint64 since,
                                         gint64 limit,
                                         GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt, *rec_stmt, *unit_stmt;
  g_autoptr (GString) out = NULL;
  gint64 next = since, n = 0, scanned = 0;
  gboolean more = FALSE;

  g_return_val_if_fail (since >= 0 && limit > 0, NULL);
  out = g_string_new ("{\"changes\":[");
  pcmbn_store_lock (store);
  /* A read transaction: the page is one consistent snapshot. */
  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT seq, record_uuid, unit_code, device_id, record_id"
                                     " FROM changes"
                                     " WHERE org_unit IN (?, '*') AND seq > ? ORDER BY seq LIMIT ?",
                                     error);
  /* The device that made each record's latest version: the pusher's own
   * records are not sent back to it. */
  rec_stmt = stmt ? pcmbn_store_prepare_cached (
                 store,
                 "SELECT r.kind, r.org_unit, r.data, r.version, r.deleted, r.modified_at,"
                 " v.device_id FROM records r LEFT JOIN record_versions v ON v.record_id = r.id"
                 " AND v.version = r.version WHERE r.id = ?",
                 error)
                  : NULL;
  unit_stmt = rec_stmt ? pcmbn_store_prepare_cached (store,
                                                     "SELECT code, name, level, parent_code,"
                                                     " key_area, population_14_60 FROM org_units"
                                                     " WHERE code = ?",
                                                     error)
                       : NULL;
  if (unit_stmt == NULL)
    {
      sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
      pcmbn_store_unlock (store);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, org_unit, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, since);
  sqlite3_bind_int64 (stmt, 3, limit * SKIP_BUDGET + 1);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);
      sqlite3_stmt *s;
      if (n == limit || scanned == limit * SKIP_BUDGET)
        {
          more = TRUE;
          break;
        }
      next = seq;
      scanned++;
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        {
          const char *by = (const char *)sqlite3_column_text (stmt, 3);
          if (by && device_id && mine_from > 0 && seq >= mine_from && g_str_equal (by, device_id))
            continue; /* this device's own, known without reading the record */
          s = rec_stmt;
          sqlite3_reset (s);
          sqlite3_bind_int64 (s, 1, sqlite3_column_int64 (stmt, 4));
          if (sqlite3_step (s) != SQLITE_ROW)
            continue;
          if (device_id && mine_from > 0 && seq >= mine_from
              && g_strcmp0 ((const char *)sqlite3_column_text (s, 6), device_id) == 0)
            continue;
          g_string_append_printf (
              out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"record\":", n++ ? "," : "", seq);
          pcmbn_wire_append_record (
              out, (const char *)sqlite3_column_text (stmt, 1),
              (const char *)sqlite3_column_text (s, 0), (const char *)sqlite3_column_text (s, 1),
              sqlite3_column_int64 (s, 3), sqlite3_column_int (s, 4),
              (const char *)sqlite3_column_text (s, 5), (const char *)sqlite3_column_text (s, 2),
              sqlite3_column_int64 (s, 3));
          g_string_append_c (out, '}');
        }
      else if (g_str_has_prefix ((const char *)sqlite3_column_text (stmt, 2), "targets:"))
        {
          /* The targets of a year, for every commune ('*'). */
          g_string_append_printf (out, "%s{\"seq\":%" G_GINT64_FORMAT ",", n++ ? "," : "", seq);
          pcmbn_district_append_targets_change (store, out,
                                                (const char *)sqlite3_column_text (stmt, 2));
          g_string_append_c (out, '}');
        }
      else
        {
          s = unit_stmt;
          sqlite3_reset (s);
          sqlite3_bind_text (s, 1, (const char *)sqlite3_column_text (stmt, 2), -1,
                             SQLITE_TRANSIENT);
          if (sqlite3_step (s) != SQLITE_ROW)
            continue;
          g_string_append_printf (
              out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"org_unit\":", n++ ? "," : "", seq);
          append_unit (out, s);
          g_string_append_c (out, '}');
        }
    }
  sqlite3_reset (stmt);
  sqlite3_reset (rec_stmt);
  sqlite3_reset (unit_stmt);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  pcmbn_store_unlock (store);
  g_string_append_printf (out, "],\"next\":%" G_GINT64_FORMAT ",\"more\":%s}", next,
                          more ? "true" : "false");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
