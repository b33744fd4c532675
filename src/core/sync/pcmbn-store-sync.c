/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-store-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-store-sync.h"
#include "pcmbn-util.h"
#include "sync/pcmbn-wire.h"

/* Invariants: a record leaves the outbox only when the server's answer names
 * the version it was sent with and nobody edited it since (local_rev); a
 * conflict keeps both sides until a person chooses; a rejected record is
 * set aside with its reason and does not hold the others back. */

void
pcmbn_outbox_item_free (PcmbnOutboxItem *item)
{
  if (item == NULL)
    return;
  g_free (item->uuid);
  g_free (item->record);
  g_strfreev (item->refs);
  g_free (item);
}

/* The outbox's query: the columns of reference fields come after the nine
 * others, so that a push knows which records a batch names without
 * parsing them. */
static const char *
outbox_sql (guint *n_refs)
{
  static char *sql;
  static guint n;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      guint n_columns;
      const PcmbnField *const *columns = pcmbn_schema_columns (&n_columns);
      GString *text = g_string_new (
          /* Sealed fields (case notes) are opened only when they are sent. */
          "SELECT id, uuid, kind, org_unit, CASE WHEN ?3 THEN " PCMBN_RECORD_DATA " ELSE data END,"
          " version, deleted, modified_at, local_rev");

      for (guint i = 0; i < n_columns; i++)
        if (columns[i]->type == PCMBN_FIELD_REF)
          {
            g_string_append_printf (text, ", f_%s", columns[i]->name);
            n++;
          }
      g_string_append (text, " FROM records WHERE dirty = 1 AND state NOT IN ('conflict',"
                             " 'rejected', 'draft') AND id > ?1 ORDER BY id LIMIT ?2");
      sql = g_string_free (text, FALSE);
      g_once_init_leave (&once, 1);
    }
  *n_refs = n;
  return sql;
}

/* The uuids in the reference columns of the outbox's row, or %NULL. */
static char **
outbox_refs (sqlite3_stmt *stmt, guint n_refs)
{
  GPtrArray *refs = NULL;

  for (guint i = 0; i < n_refs; i++)
    {
      const char *uuid = (const char *)sqlite3_column_text (stmt, 9 + i);
      if (uuid == NULL || *uuid == '\0')
        continue;
      if (refs == NULL)
        refs = g_ptr_array_new ();
      g_ptr_array_add (refs, g_strdup (uuid));
    }
  if (refs == NULL)
    return NULL;
  g_ptr_array_add (refs, NULL);
  return (char **)g_ptr_array_free (refs, FALSE);
}

/**
 * pcmbn_store_sync_outbox:
 * @self: a store
 * @after_id: read the rows after this id (0 for the first batch)
 * @max_records: at most this many
 * @max_bytes: stop before the batch grows larger than this (at least one)
 * @with_sensitive: send the fields marked sensitive (case notes) too
 * @error: return location for an error
 *
 * The records waiting to be sent: edited since the last answer, neither in
 * conflict nor rejected (those wait for a person).
 *
 * Returns: (transfer full) (element-type PcmbnOutboxItem) (nullable): a batch
 */
GPtrArray *
pcmbn_store_sync_outbox (PcmbnStore *self,
                         gint64 after_id,
                         guint max_records,
                         gsize max_bytes,
                         gboolean with_sensitive,
                         GError **error)
{
  g_autoptr (GPtrArray)
      items = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_outbox_item_free);
  g_autoptr (GString) out = g_string_new (NULL);
  sqlite3_stmt *stmt;
  gsize total = 0;
  guint n_refs;
  const char *sql = outbox_sql (&n_refs);

  pcmbn_store_lock (self);
  stmt = pcmbn_store_prepare_cached (self, sql, error);
  if (stmt == NULL)
    {
      g_prefix_error (error, "%s: ", _ ("reading the records to send"));
      pcmbn_store_unlock (self);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, max_records);
  sqlite3_bind_int (stmt, 3, with_sensitive);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const PcmbnKind *kind = pcmbn_schema_kind ((const char *)sqlite3_column_text (stmt, 2));
      const char *data_text = (const char *)sqlite3_column_text (stmt, 4);
      g_autofree char *stripped_text = NULL;
      PcmbnOutboxItem *item;

      /* A damaged row must not hold up the others. The store writes this
       * column itself, from a JSON tree, so a row that starts as an object
       * is one; checking each with json_valid() cost a full parse of
       * every record sent. The server validates what arrives anyway. */
      if (kind == NULL || data_text == NULL || *data_text != '{')
        continue;
      /* The data column is the canonical JSON already: it goes out as it
       * is, and is parsed only when a field must stay on this device. A
       * logbook with a key keeps such fields sealed, out of this column:
       * the text tells at once that none is there (parsing every
       * counselling record for nothing took a seventh of a push's CPU). */
      if (!with_sensitive && pcmbn_wire_kind_has_sensitive (kind)
          && pcmbn_wire_text_may_have_sensitive (kind, data_text))
        {
          g_autoptr (JsonObject) data = pcmbn_json_parse_object (data_text);
          g_autoptr (JsonObject) sent = NULL;
          if (data == NULL)
            continue;
          sent = pcmbn_wire_strip_sensitive (kind, data, NULL);
          stripped_text = pcmbn_wire_object_to_string (sent);
          data_text = stripped_text;
        }
      g_string_truncate (out, 0);
      pcmbn_wire_append_record (out, (const char *)sqlite3_column_text (stmt, 1), kind->name,
                                (const char *)sqlite3_column_text (stmt, 3),
                                sqlite3_column_int64 (stmt, 5), sqlite3_column_int (stmt, 6),
                                (const char *)sqlite3_column_text (stmt, 7), data_text, -1);
      if (items->len > 0 && total + out->len > max_bytes)
        break;
      total += out->len;
      item = g_new0 (PcmbnOutboxItem, 1);
      item->id = sqlite3_column_int64 (stmt, 0);
      item->uuid = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      item->local_rev = sqlite3_column_int64 (stmt, 8);
      item->size = out->len;
      item->record = g_strndup (out->str, out->len);
      item->refs = outbox_refs (stmt, n_refs);
      g_ptr_array_add (items, item);
    }
  sqlite3_reset (stmt);
  pcmbn_store_unlock (self);
  return g_steal_pointer (&items);
}

/* Once per record of an answer: a cached statement. */
static gboolean
run_update (PcmbnStore *self,
            const char *sql,
            const char *uuid,
            gint64 a,
            gint64 b,
            const char *text,
            GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (self);
  sqlite3_stmt *stmt;
  gboolean ok;

  pcmbn_store_lock (self);
  stmt = pcmbn_store_prepare_cached (self, sql, error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, a);
  sqlite3_bind_int64 (stmt, 3, b);
  sqlite3_bind_text (stmt, 4, text, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("saving the answer of the district server"));
  sqlite3_reset (stmt);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_sync_mark_accepted:
 * @self: a store
 * @uuid: the record sent
 * @sent_rev: its local revision when it was sent
 * @version: the version the server gave it
 * @error: return location for an error
 *
 * Takes the server's version as the base of the next edit; the record is
 * clean only when nobody edited it while the push was under way.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_sync_mark_accepted (
    PcmbnStore *self, const char *uuid, gint64 sent_rev, gint64 version, GError **error)
{
  /* Only the bookkeeping columns are named: SQLite still writes the row
   * again, but no index but the small partial one on dirty rows changes. */
  return run_update (self,
                     "UPDATE records SET version = ?3,"
                     " dirty = CASE WHEN local_rev = ?2 THEN 0 ELSE dirty END,"
                     " state = CASE WHEN local_rev = ?2 THEN 'synced' ELSE state END,"
                     " problem = CASE WHEN local_rev = ?2 THEN NULL ELSE problem END"
                     " WHERE uuid = ?1 AND state <> 'conflict'",
                     uuid, sent_rev, version, NULL, error);
}

/**
 * pcmbn_store_sync_mark_conflict:
 * @self: a store
 * @uuid: the record
 * @server_record: the server's RECORD with its `version`
 * @error: return location for an error
 *
 * Keeps the local edit and the server's version side by side until a
 * person settles it with pcmbn_store_sync_resolve().
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_sync_mark_conflict (PcmbnStore *self,
                                const char *uuid,
                                JsonObject *server_record,
                                GError **error)
{
  g_autofree char *text = pcmbn_wire_object_to_string (server_record);

  return run_update (self,
                     "UPDATE records SET state = 'conflict', server_data = ?4, dirty = 1,"
                     " problem = NULL WHERE uuid = ?1 AND ?2 = ?2 AND ?3 = ?3",
                     uuid, 0, 0, text, error);
}

/**
 * pcmbn_store_sync_mark_rejected:
 * @self: a store
 * @uuid: the record
 * @sent_rev: its local revision when it was sent
 * @problem: the server's reason, `field: message`
 * @error: return location for an error
 *
 * Sets the record aside until it is edited; an edit made since the push is
 * sent again instead.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_sync_mark_rejected (
    PcmbnStore *self, const char *uuid, gint64 sent_rev, const char *problem, GError **error)
{
  return run_update (self,
                     "UPDATE records SET state = 'rejected', problem = ?4 WHERE uuid = ?1 AND"
                     " local_rev = ?2 AND state = 'dirty' AND ?3 = ?3",
                     uuid, sent_rev, 0, problem, error);
}

/* Keeps the local value of fields that never leave the device: the server
 * does not have them, so its version must not erase them. @incoming may be
 * the pulled record's own data (pcmbn_schema_normalize() returns its input
 * when it is the stored form): it is copied before a field is added. */
static void
keep_local_sensitive (const PcmbnKind *kind, JsonObject **incoming, JsonObject *local)
{
  gboolean copied = FALSE;

  for (guint f = 0; f < kind->n_fields && local != NULL; f++)
    {
      const char *name = kind->fields[f].name;
      if (!(kind->fields[f].flags & PCMBN_FIELD_SENSITIVE))
        continue;
      if (json_object_has_member (*incoming, name) || !json_object_has_member (local, name))
        continue;
      if (!copied)
        {
          JsonObject *copy = json_object_new ();
          JsonObjectIter iter;
          const char *member;
          JsonNode *node;

          json_object_iter_init_ordered (&iter, *incoming);
          while (json_object_iter_next_ordered (&iter, &member, &node))
            json_object_set_member (copy, member, json_node_copy (node));
          json_object_unref (*incoming);
          *incoming = copy;
          copied = TRUE;
        }
      json_object_set_member (*incoming, name,
                              json_node_copy (json_object_get_member (local, name)));
    }
}

/**
 * pcmbn_store_sync_apply_record:
 * @self: a store
 * @record: a RECORD of a pull, with its `version`
 * @spans: (nullable): where @record's objects lie in the text read (see
 *   pcmbn_json_fast_parse_spans())
 * @error: return location for an error
 *
 * Applies one change from the server. A record of another commune, or one
 * that is not a well-formed RECORD, is skipped: the server is not trusted
 * to write outside this logbook.
 *
 * Returns: what happened; %PCMBN_PULL_SKIPPED with @error set on a failure
 */
PcmbnPullResult
pcmbn_store_sync_apply_record (PcmbnStore *self,
                               JsonObject *record,
                               PcmbnJsonSpans *spans,
                               GError **error)
{
  const char *uuid = pcmbn_wire_get_string (record, "uuid");
  const char *kind_name = pcmbn_wire_get_string (record, "kind");
  const char *org_unit = pcmbn_wire_get_string (record, "org_unit");
  const char *modified_at = pcmbn_wire_get_string (record, "modified_at");
  gint64 version = pcmbn_wire_get_int (record, "version", 0);
  gboolean deleted = pcmbn_wire_get_bool (record, "deleted", FALSE);
  const PcmbnKind *kind = pcmbn_schema_kind (kind_name);
  JsonNode *data_node = json_object_get_member (record, "data");
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  g_autoptr (JsonObject) local_data = NULL;
  g_autoptr (JsonObject) data = NULL;
  g_autofree char *local_state = NULL;
  g_autofree char *data_text = NULL;
  sqlite3_stmt *stmt;
  gboolean exists = FALSE;
  gint64 row_id = 0; /* none: the row is new */
  gint64 local_version = 0, conflict_version = 0;
  gboolean local_dirty = FALSE;
  PcmbnPullResult result = PCMBN_PULL_SKIPPED;

  if (!pcmbn_uuid_is_valid (uuid) || kind == NULL || version < 1 || data_node == NULL
      || !JSON_NODE_HOLDS_OBJECT (data_node)
      || g_strcmp0 (org_unit, pcmbn_store_get_org_unit (self)) != 0)
    return PCMBN_PULL_SKIPPED;

  pcmbn_store_lock (self);
  stmt = pcmbn_store_prepare_cached (self,
                                     "SELECT version, dirty, state, " PCMBN_RECORD_DATA ","
                                     " json_extract(server_data, '$.version'), id FROM records"
                                     " WHERE uuid = ?",
                                     error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (self);
      return PCMBN_PULL_SKIPPED;
    }
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      exists = TRUE;
      row_id = sqlite3_column_int64 (stmt, 5);
      local_version = sqlite3_column_int64 (stmt, 0);
      local_dirty = sqlite3_column_int (stmt, 1);
      local_state = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
      /* Only the fields that never leave the device are read from it. */
      if (pcmbn_wire_kind_has_sensitive (kind))
        local_data = pcmbn_json_parse_object ((const char *)sqlite3_column_text (stmt, 3));
      conflict_version = sqlite3_column_int64 (stmt, 4);
    }
  sqlite3_reset (stmt);

  if (exists && local_version >= version)
    goto out;
  if (exists && g_strcmp0 (local_state, "conflict") == 0 && conflict_version >= version)
    goto out; /* that conflict is known already */
  if (exists && (local_dirty || g_strcmp0 (local_state, "conflict") == 0))
    {
      /* Edited here and there: keep both until a person chooses. */
      result = pcmbn_store_sync_mark_conflict (self, uuid, record, error) ? PCMBN_PULL_CONFLICT
                                                                          : PCMBN_PULL_SKIPPED;
      goto out;
    }
  /* Only the fields and types this version knows; a field it cannot read
   * is left out rather than stored in the wrong column type. */
  data = pcmbn_schema_normalize (kind, json_node_get_object (data_node), NULL, errors);
  if (errors->len > 0)
    {
      g_autoptr (JsonObject) clean = json_object_new ();
      g_autoptr (GList) members = json_object_get_members (data);
      for (GList *l = members; l; l = l->next)
        {
          gboolean bad = FALSE;
          for (guint e = 0; e < errors->len; e++)
            if (g_strcmp0 (((PcmbnFieldError *)errors->pdata[e])->field, l->data) == 0)
              bad = TRUE;
          if (!bad)
            json_object_set_member (clean, l->data,
                                    json_node_copy (json_object_get_member (data, l->data)));
        }
      g_clear_pointer (&data, json_object_unref);
      data = g_steal_pointer (&clean);
    }
  keep_local_sensitive (kind, &data, local_data);
  /* The data as the server sent it, when that is the stored form and the
   * text is the one the store would write: a restore wrote every record's
   * text once more, for a tenth of its time. */
  if (data == json_node_get_object (data_node))
    {
      gsize len;
      const char *text = pcmbn_json_spans_lookup (spans, data, &len);
      if (text)
        data_text = g_strndup (text, len);
    }
  /* Looked up just now: a new row is inserted without a second lookup. */
  if (pcmbn_store_write_row_text (self, kind, uuid, org_unit, data, data_text, &row_id, version,
                                  deleted, modified_at, error))
    result = PCMBN_PULL_APPLIED;

out:
  pcmbn_store_unlock (self);
  return result;
}

/**
 * pcmbn_store_sync_apply_unit:
 * @self: a store
 * @unit: an `org_unit` of a pull or an enrolment's reference data
 * @error: return location for an error
 *
 * Adds the unit, or updates the facts the district sets (key area,
 * population aged 14–60).
 *
 * Returns: %TRUE on success, and for a unit that is not well formed
 */
gboolean
pcmbn_store_sync_apply_unit (PcmbnStore *self, JsonObject *unit, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (self);
  const char *code = pcmbn_wire_get_string (unit, "code");
  const char *name = pcmbn_wire_get_string (unit, "name");
  const char *level = pcmbn_wire_get_string (unit, "level");
  const char *parent = pcmbn_wire_get_string (unit, "parent");
  JsonNode *pop = json_object_get_member (unit, "population_14_60");
  gboolean key_area = pcmbn_wire_get_bool (unit, "key_area", FALSE);
  g_autofree char *folded = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  if (code == NULL || name == NULL || level == NULL)
    return TRUE;
  folded = pcmbn_fold (name);
  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (db,
                      "INSERT INTO org_units (code, name, full_name, level, parent_code, key_area,"
                      " population_14_60, name_folded) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7)"
                      " ON CONFLICT (code) DO UPDATE SET key_area = excluded.key_area,"
                      " population_14_60 = excluded.population_14_60",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, level, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, parent, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 5, key_area ? 1 : 0);
  if (pop && JSON_NODE_HOLDS_VALUE (pop) && json_node_get_value_type (pop) == G_TYPE_INT64
      && json_node_get_int (pop) >= 0)
    sqlite3_bind_int64 (stmt, 6, json_node_get_int (pop));
  else
    sqlite3_bind_null (stmt, 6);
  sqlite3_bind_text (stmt, 7, folded, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("saving the org units"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_sync_conflicts:
 * @self: a store
 *
 * Returns: (transfer full): a JSON array of `{uuid, kind, mine, theirs,
 *   theirs_version, theirs_deleted}`; mine and theirs are data objects
 */
JsonNode *
pcmbn_store_sync_conflicts (PcmbnStore *self)
{
  sqlite3 *db = pcmbn_store_get_db (self);
  JsonArray *array = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_ARRAY);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (self);
  sqlite3_prepare_v2 (db,
                      "SELECT uuid, kind, " PCMBN_RECORD_DATA ", server_data, deleted FROM records"
                      " WHERE state ="
                      " 'conflict' ORDER BY id",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (JsonObject)
          mine = pcmbn_json_parse_object ((const char *)sqlite3_column_text (stmt, 2));
      g_autoptr (JsonObject)
          server = pcmbn_json_parse_object ((const char *)sqlite3_column_text (stmt, 3));
      JsonObject *o = json_object_new ();
      JsonNode *theirs = server ? json_object_get_member (server, "data") : NULL;

      json_object_set_string_member (o, "uuid", (const char *)sqlite3_column_text (stmt, 0));
      json_object_set_string_member (o, "kind", (const char *)sqlite3_column_text (stmt, 1));
      json_object_set_object_member (o, "mine", mine ? json_object_ref (mine) : json_object_new ());
      json_object_set_boolean_member (o, "mine_deleted", sqlite3_column_int (stmt, 4));
      if (theirs && JSON_NODE_HOLDS_OBJECT (theirs))
        json_object_set_member (o, "theirs", json_node_copy (theirs));
      else
        json_object_set_object_member (o, "theirs", json_object_new ());
      json_object_set_int_member (o, "theirs_version",
                                  server ? pcmbn_wire_get_int (server, "version", 0) : 0);
      json_object_set_boolean_member (
          o, "theirs_deleted", server ? pcmbn_wire_get_bool (server, "deleted", FALSE) : FALSE);
      json_array_add_object_element (array, o);
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  json_node_take_array (root, array);
  return root;
}

/**
 * pcmbn_store_sync_count_state:
 * @self: a store
 * @state: "conflict", "rejected" or "dirty": a state of records that are
 *   dirty
 *
 * Returns: how many records are in that state
 */
gint64
pcmbn_store_sync_count_state (PcmbnStore *self, const char *state)
{
  sqlite3 *db = pcmbn_store_get_db (self);
  sqlite3_stmt *stmt;
  gint64 n = 0;

  pcmbn_store_lock (self);
  /* A record that waits for a person (in conflict, refused) always has
   * something to send or settle, so it is dirty: the small partial index
   * of dirty rows finds them, where `state` alone read every record after
   * each `pcmbn sync` (20 ms for 10,000 records, ten times that for a
   * commune's years of them). */
  sqlite3_prepare_v2 (db, "SELECT count(*) FROM records WHERE dirty = 1 AND state = ?", -1, &stmt,
                      NULL);
  sqlite3_bind_text (stmt, 1, state, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self);
  return n;
}

/**
 * pcmbn_store_sync_resolve:
 * @self: a store
 * @uuid: a record in conflict
 * @keep: "mine" or "theirs"
 * @error: return location for an error
 *
 * "mine" keeps the local edit and sends it next time on top of the server's
 * version; "theirs" takes the server's version and drops the local edit.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_sync_resolve (PcmbnStore *self, const char *uuid, const char *keep, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (self);
  g_autoptr (JsonObject) server = NULL;
  g_autoptr (JsonObject) local = NULL;
  g_autofree char *state = NULL;
  g_autofree char *kind_name = NULL;
  sqlite3_stmt *stmt;
  gboolean found = FALSE;
  gint64 server_version;

  if (g_strcmp0 (keep, "mine") != 0 && g_strcmp0 (keep, "theirs") != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("keep: must be “mine” or “theirs”"));
      return FALSE;
    }
  if (!pcmbn_uuid_is_valid (uuid))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("uuid: “%s” is not a record uuid"),
                   uuid ? uuid : "");
      return FALSE;
    }
  if (!pcmbn_store_begin (self, error))
    return FALSE;
  sqlite3_prepare_v2 (
      db, "SELECT state, server_data, kind, " PCMBN_RECORD_DATA " FROM records WHERE uuid = ?", -1,
      &stmt, NULL);
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      state = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      server = pcmbn_json_parse_object ((const char *)sqlite3_column_text (stmt, 1));
      kind_name = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
      local = pcmbn_json_parse_object ((const char *)sqlite3_column_text (stmt, 3));
    }
  sqlite3_finalize (stmt);
  if (!found)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND, _ ("uuid: there is no record %s"),
                   uuid);
      goto fail;
    }
  if (g_strcmp0 (state, "conflict") != 0 || server == NULL)
    {
      g_set_error (
          error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
          _ ("uuid: the record %s is not in conflict; “pcmbn conflicts” lists those that are"),
          uuid);
      goto fail;
    }
  server_version = pcmbn_wire_get_int (server, "version", 0);
  if (g_str_equal (keep, "mine"))
    {
      sqlite3_prepare_v2 (
          db,
          "UPDATE records SET version = ?2, state = 'dirty', dirty = 1, server_data ="
          " NULL, problem = NULL, local_rev = local_rev + 1 WHERE uuid = ?1",
          -1, &stmt, NULL);
      sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, server_version);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          pcmbn_store_set_sqlite_error (error, db, _ ("saving the record"));
          sqlite3_finalize (stmt);
          goto fail;
        }
      sqlite3_finalize (stmt);
    }
  else
    {
      const PcmbnKind *kind = pcmbn_schema_kind (kind_name);
      JsonNode *data_node = json_object_get_member (server, "data");
      g_autoptr (GPtrArray)
          errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
      g_autoptr (JsonObject) data = NULL;

      if (kind == NULL || data_node == NULL || !JSON_NODE_HOLDS_OBJECT (data_node))
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("The server’s version of %s cannot be read."), uuid);
          goto fail;
        }
      data = pcmbn_schema_normalize (kind, json_node_get_object (data_node), NULL, errors);
      keep_local_sensitive (kind, &data, local);
      if (!pcmbn_store_write_row (self, kind, uuid, pcmbn_store_get_org_unit (self), data,
                                  server_version, pcmbn_wire_get_bool (server, "deleted", FALSE),
                                  pcmbn_wire_get_string (server, "modified_at"), error))
        goto fail;
    }
  if (!pcmbn_store_commit (self, error))
    return FALSE;
  pcmbn_store_emit_changed (self, kind_name);
  return TRUE;

fail:
  pcmbn_store_rollback (self);
  return FALSE;
}

/**
 * pcmbn_store_sync_resend_all:
 * @self: a logbook, in a transaction
 * @error: return location for an error
 *
 * Queues every synced record to be sent again, from the version it has:
 * for a logbook enrolled with another server (a commune moved from its
 * district's server to the city's), and for a server restored from an
 * older backup (a new server generation). A server that has the record already,
 * through the reporting chain, accepts it as it is; one that lacks it
 * stores it. Either way nothing is duplicated, since records are known by
 * uuid.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_sync_resend_all (PcmbnStore *self, GError **error)
{
  gboolean ok;

  pcmbn_store_lock (self);
  ok = pcmbn_store_exec (pcmbn_store_get_db (self),
                         "UPDATE records SET dirty = 1, state = 'dirty', local_rev = local_rev + 1"
                         " WHERE state = 'synced'",
                         error);
  pcmbn_store_unlock (self);
  return ok;
}

/**
 * pcmbn_store_sync_apply_targets:
 * @self: a logbook, in a transaction
 * @targets: a CHANGE's `targets`: `{"year", "values": {KEY: VALUE}}`
 * @error: return location for an error
 *
 * Keeps the year's targets the city set, so that the commune's own report
 * measures against them. Keys this version does not know are skipped.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_store_sync_apply_targets (PcmbnStore *self, JsonObject *targets, GError **error)
{
  gint64 year = pcmbn_wire_get_int (targets, "year", 0);
  JsonObject *values = pcmbn_wire_get_object (targets, "values");
  g_autoptr (GList) keys = values ? json_object_get_members (values) : NULL;

  if (year < 2000 || year > 2100)
    return TRUE;
  for (GList *k = keys; k; k = k->next)
    {
      JsonNode *v = json_object_get_member (values, k->data);
      if (!JSON_NODE_HOLDS_VALUE (v)
          || (json_node_get_value_type (v) != G_TYPE_DOUBLE
              && json_node_get_value_type (v) != G_TYPE_INT64))
        continue;
      if (!pcmbn_store_set_target (self, (int)year, k->data, json_node_get_double (v), error))
        return FALSE;
    }
  return TRUE;
}
