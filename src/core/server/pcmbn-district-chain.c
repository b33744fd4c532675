/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "pcmbn-util.h"
#include "report/pcmbn-indicators.h"
#include "server/pcmbn-district-chain.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-wire.h"

/* The reporting chain, parent's side: a server enrolled under another one
 * (a district under its city, a city under the national server) is a device
 * whose org unit is not a commune. Its token covers every commune under its
 * unit; it pushes records unchanged, with the versions its communes' devices
 * gave them, and pulls reference data only: org units and targets. Records
 * are edited at their commune, so a parent never edits them and a chain push
 * never conflicts: the newer version wins, an older one changes nothing. */

/* Targets travel in the change sequence as a row of every unit ('*'), one
 * per year, so that the devices of every commune and the child servers
 * pull them. */
#define TARGETS_PREFIX "targets:"

/**
 * pcmbn_district_store_is_child_server:
 * @self: a server database
 * @principal: an authenticated device
 *
 * Returns: whether the device is a server under this one (its unit is not
 *   a commune)
 */
gboolean
pcmbn_district_store_is_child_server (PcmbnDistrictStore *self, PcmbnDistrictPrincipal *principal)
{
  g_autoptr (PcmbnOrgUnit) unit = NULL;

  if (principal == NULL || principal->kind != PCMBN_DISTRICT_TOKEN_DEVICE)
    return FALSE;
  unit = pcmbn_store_get_unit (pcmbn_district_store_get_store (self), principal->org_unit);
  return unit != NULL && g_strcmp0 (unit->level, "commune") != 0;
}

/**
 * pcmbn_district_store_is_child_unit:
 * @self: a server database
 * @code: (nullable): an org unit's code
 *
 * Returns: whether @code is a unit under this server's that is not a
 *   commune: a server of its own may serve it
 */
gboolean
pcmbn_district_store_is_child_unit (PcmbnDistrictStore *self, const char *code)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autofree char *own = pcmbn_district_store_get_code (self);
  g_autoptr (PcmbnOrgUnit) unit = code ? pcmbn_store_get_unit (store, code) : NULL;

  return unit != NULL && own != NULL && !g_str_equal (code, own)
         && g_strcmp0 (unit->level, "commune") != 0
         && pcmbn_store_unit_is_within (store, code, own);
}

static void
append_rejected (
    GString *out, const char *uuid, const char *code, const char *field, const char *message)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid ? uuid : "");
  g_string_append (out, ",\"status\":\"rejected\",\"error\":{\"code\":");
  pcmbn_wire_append_string (out, code);
  g_string_append (out, ",\"message\":");
  pcmbn_wire_append_string (out, message);
  g_string_append (out, ",\"field\":");
  pcmbn_wire_append_string (out, field ? field : "");
  g_string_append (out, "}}");
}

/* One record of a chain push, inside the push's transaction. */
static gboolean
chain_one (PcmbnDistrictStore *self,
           PcmbnDistrictPrincipal *child,
           JsonObject *o,
           GString *out,
           GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  const char *uuid = pcmbn_wire_get_string (o, "uuid");
  const char *kind_name = pcmbn_wire_get_string (o, "kind");
  const char *unit = pcmbn_wire_get_string (o, "org_unit");
  const char *modified_at = pcmbn_wire_get_string (o, "modified_at");
  JsonObject *data = pcmbn_wire_get_object (o, "data");
  gint64 version = pcmbn_wire_get_int (o, "version", 0);
  gint64 id; /* the row written */
  gboolean deleted = pcmbn_wire_get_bool (o, "deleted", FALSE);
  const PcmbnKind *kind = kind_name ? pcmbn_schema_kind (kind_name) : NULL;
  g_auto (PcmbnDistrictRow) row = { 0 };
  g_autoptr (JsonObject) stripped = NULL, normal = NULL;
  g_autoptr (GPtrArray) errors = NULL;
  g_autofree char *data_text = NULL, *hash = NULL;

  if (uuid == NULL || kind == NULL || data == NULL || modified_at == NULL || version < 1)
    {
      append_rejected (out, uuid, "invalid", kind == NULL ? "kind" : "version",
                       _ ("a server’s push carries whole records with their version"));
      return TRUE;
    }
  if (!pcmbn_district_store_load_row (self, uuid, &row, error))
    return FALSE;
  if (row.exists && g_strcmp0 (row.kind, kind->name) != 0)
    {
      append_rejected (out, uuid, "kind_mismatch", "kind",
                       _ ("the record is of another kind on this server"));
      return TRUE;
    }
  /* Edited at its commune only: an older version than ours changes nothing. */
  if (row.exists && row.version >= version)
    {
      g_string_append (out, "{\"uuid\":");
      pcmbn_wire_append_string (out, uuid);
      g_string_append_printf (out, ",\"status\":\"accepted\",\"version\":%" G_GINT64_FORMAT "}",
                              row.version);
      return TRUE;
    }
  /* Case notes never leave a server, even one that keeps them. */
  stripped = pcmbn_wire_strip_sensitive (kind, data, NULL);
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  normal = pcmbn_schema_normalize (kind, stripped, NULL, errors);
  if (errors->len > 0)
    {
      PcmbnFieldError *first = errors->pdata[0];
      g_autofree char *all = pcmbn_field_errors_to_string (errors);
      append_rejected (out, uuid, "invalid", first->field, all);
      return TRUE;
    }
  data_text = pcmbn_wire_object_to_string (normal);
  hash = pcmbn_wire_edit_hash_text (kind, version - 1, deleted, data_text);
  id = row.id;
  if (!pcmbn_store_write_row_text (store, kind, uuid, unit, normal, data_text, &id, version,
                                   deleted, modified_at, error)
      || !pcmbn_district_store_record_change (self, id, uuid, unit, version, hash, child->id,
                                              error))
    return FALSE;
  pcmbn_district_store_audit_record (self, child->actor, "chain", uuid, version, unit,
                                     child->address, TRUE);
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append_printf (out, ",\"status\":\"accepted\",\"version\":%" G_GINT64_FORMAT "}",
                          version);
  return TRUE;
}

/* The child's `commune_sync`: when each of its communes last synced there.
 * The later time wins, since a commune may sync with both servers. */
static gboolean
note_commune_sync (PcmbnDistrictStore *self,
                   PcmbnDistrictPrincipal *child,
                   JsonObject *push,
                   GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  JsonObject *times = pcmbn_wire_get_object (push, "commune_sync");
  g_autoptr (GList) codes = times ? json_object_get_members (times) : NULL;
  sqlite3_stmt *stmt;

  for (GList *c = codes; c; c = c->next)
    {
      const char *when = pcmbn_wire_get_string (times, c->data);
      g_autoptr (GDateTime) parsed = when ? g_date_time_new_from_iso8601 (when, NULL) : NULL;
      gboolean ok;
      if (parsed == NULL || !pcmbn_store_unit_is_within (store, c->data, child->org_unit))
        continue;
      pcmbn_store_lock (store);
      stmt = pcmbn_store_prepare_cached (
          store,
          "INSERT INTO commune_sync (org_unit, last_sync) VALUES (?1, ?2) ON CONFLICT (org_unit)"
          " DO UPDATE SET last_sync = max(coalesce(last_sync, ''), excluded.last_sync)",
          error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, c->data, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 2, when, -1, SQLITE_TRANSIENT);
          ok = sqlite3_step (stmt) == SQLITE_DONE;
          sqlite3_reset (stmt);
          if (!ok)
            pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store),
                                          _ ("saving the record"));
        }
      pcmbn_store_unlock (store);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/**
 * pcmbn_district_store_push_chain:
 * @self: a server database
 * @child: a child server (pcmbn_district_store_is_child_server())
 * @body: the push's JSON text, `{"records":[RECORD+"version"...]}`
 * @len: its length
 * @error: return location for an error: %PCMBN_DISTRICT_ERROR_FORBIDDEN
 *   when a record lies outside the child's unit (nothing is stored),
 *   %PCMBN_ERROR_INVALID when the body is not a push
 *
 * Stores the child's records as they are, with their versions, in one
 * transaction.
 *
 * Returns: (transfer full) (nullable): the answer, `{"results":[...]}`
 */
char *
pcmbn_district_store_push_chain (PcmbnDistrictStore *self,
                                 PcmbnDistrictPrincipal *child,
                                 const char *body,
                                 gsize len,
                                 GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autoptr (JsonNode) root = pcmbn_wire_parse_json (body, len, error);
  g_autoptr (GString) out = NULL;
  g_autoptr (GHashTable) checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *records;

  if (root == NULL)
    return NULL;
  records = JSON_NODE_HOLDS_OBJECT (root)
                ? pcmbn_wire_get_array (json_node_get_object (root), "records")
                : NULL;
  if (records == NULL || json_array_get_length (records) > PCMBN_WIRE_MAX_RECORDS)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("The body must be {\"records\": [...]} with at most 1,000 records."));
      return NULL;
    }
  /* Every unit first: a record outside the child's units refuses the whole push. */
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonNode *node = json_array_get_element (records, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *unit = o ? pcmbn_wire_get_string (o, "org_unit") : NULL;
      g_autoptr (PcmbnOrgUnit) known = NULL;

      if (unit == NULL || g_hash_table_contains (checked, unit))
        continue;
      known = pcmbn_store_get_unit (store, unit);
      if (known == NULL || g_strcmp0 (known->level, "commune") != 0
          || !pcmbn_store_unit_is_within (store, unit, child->org_unit))
        {
          g_set_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN,
                       _ ("records[%u] belongs to org unit %s, which is not a commune under %s; "
                          "nothing was stored"),
                       i, unit, child->org_unit);
          return NULL;
        }
      g_hash_table_add (checked, g_strdup (unit));
    }

  out = g_string_sized_new (64 + 72 * json_array_get_length (records));
  g_string_append (out, "{\"results\":[");
  if (!pcmbn_store_begin (store, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonNode *node = json_array_get_element (records, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *unit = o ? pcmbn_wire_get_string (o, "org_unit") : NULL;
      g_auto (PcmbnDistrictRow) row = { 0 };

      if (i > 0)
        g_string_append_c (out, ',');
      if (o == NULL || unit == NULL)
        {
          append_rejected (out, o ? pcmbn_wire_get_string (o, "uuid") : NULL, "invalid", "org_unit",
                           _ ("is missing"));
          continue;
        }
      /* A uuid this server holds for a unit outside the child's. */
      if (pcmbn_wire_get_string (o, "uuid")
          && !pcmbn_district_store_load_row (self, pcmbn_wire_get_string (o, "uuid"), &row, error))
        goto fail;
      if (row.exists && !pcmbn_store_unit_is_within (store, row.org_unit, child->org_unit))
        {
          g_set_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN,
                       _ ("records[%u] is a record of another org unit; nothing was stored"), i);
          goto fail;
        }
      if (!chain_one (self, child, o, out, error))
        goto fail;
    }
  g_string_append (out, "]}");
  if (!note_commune_sync (self, child, json_node_get_object (root), error))
    goto fail;
  if (!pcmbn_store_commit (store, error))
    return NULL;
  pcmbn_district_store_note_pull (self, child, 0, NULL);
  return g_string_free (g_steal_pointer (&out), FALSE);

fail:
  pcmbn_store_rollback (store);
  return NULL;
}

/**
 * pcmbn_district_store_targets_changed:
 * @self: a server database
 * @year: the year whose targets were set
 * @error: return location for an error
 *
 * Puts the year's targets at the end of the change sequence, for every
 * device and child server to pull.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_targets_changed (PcmbnDistrictStore *self, int year, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autofree char *marker = g_strdup_printf (TARGETS_PREFIX "%d", year);
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store, "DELETE FROM changes WHERE unit_code = ?1", error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, marker, -1, SQLITE_TRANSIENT);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
      sqlite3_reset (stmt);
    }
  if (ok)
    {
      stmt = pcmbn_store_prepare_cached (
          store, "INSERT INTO changes (org_unit, unit_code) VALUES ('*', ?1)", error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, marker, -1, SQLITE_TRANSIENT);
          ok = sqlite3_step (stmt) == SQLITE_DONE;
          sqlite3_reset (stmt);
        }
    }
  if (!ok && (error == NULL || *error == NULL))
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the targets"));
  pcmbn_store_unlock (store);
  return ok;
}

/**
 * pcmbn_district_append_targets_change:
 * @store: the database
 * @out: a pull's answer being written
 * @marker: the change row's unit code, `targets:YEAR`
 *
 * Writes the year's targets as a CHANGE's member,
 * `"targets":{"year":Y,"values":{KEY:VALUE...}}`.
 *
 * Returns: whether @marker named targets
 */
gboolean
pcmbn_district_append_targets_change (PcmbnStore *store, GString *out, const char *marker)
{
  guint n;
  const PcmbnIndicator *all = pcmbn_indicators (&n);
  gboolean first = TRUE;
  int year;

  if (marker == NULL || !g_str_has_prefix (marker, TARGETS_PREFIX))
    return FALSE;
  year = atoi (marker + strlen (TARGETS_PREFIX));
  g_string_append_printf (out, "\"targets\":{\"year\":%d,\"values\":{", year);
  for (guint i = 0; i < n; i++)
    {
      double value;
      if (!pcmbn_store_get_target (store, year, all[i].key, &value))
        continue;
      g_string_append_printf (out, "%s", first ? "" : ",");
      pcmbn_wire_append_string (out, all[i].key);
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append_printf (out, ":%s", g_ascii_dtostr (buf, sizeof buf, value));
      }
      first = FALSE;
    }
  g_string_append (out, "}}");
  return TRUE;
}

/* One page of a child server's pull: reference data only. */
static void
append_unit_change (GString *out, PcmbnOrgUnit *unit)
{
  g_autoptr (JsonNode) node = pcmbn_district_unit_json (unit);
  g_autofree char *text = json_to_string (node, FALSE);

  g_string_append (out, text);
}

/**
 * pcmbn_district_store_changes_chain:
 * @self: a server database
 * @child: a child server
 * @since: the cursor
 * @limit: at most this many changes
 * @error: return location for an error
 *
 * A child server's pull: the org units under its unit and the targets, each
 * at its latest change. Records never move down the chain.
 *
 * Returns: (transfer full) (nullable): `{"changes":[...],"next":SEQ,"more":bool}`
 */
char *
pcmbn_district_store_changes_chain (PcmbnDistrictStore *self,
                                    PcmbnDistrictPrincipal *child,
                                    gint64 since,
                                    gint64 limit,
                                    GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autoptr (GString) out = g_string_new ("{\"changes\":[");
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 next = since, n = 0;
  gboolean more = FALSE;
  sqlite3_stmt *stmt;

  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT seq, unit_code FROM changes WHERE unit_code IS NOT"
                                     " NULL AND seq > ? ORDER BY seq",
                                     error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (store);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, since);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (seqs, seq);
      g_ptr_array_add (rows, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
    }
  sqlite3_reset (stmt);
  pcmbn_store_unlock (store);

  for (guint i = 0; i < rows->len; i++)
    {
      const char *code = rows->pdata[i];
      gint64 seq = g_array_index (seqs, gint64, i);
      if (n == limit)
        {
          more = TRUE;
          break;
        }
      next = seq;
      if (g_str_has_prefix (code, TARGETS_PREFIX))
        {
          g_string_append_printf (out, "%s{\"seq\":%" G_GINT64_FORMAT ",", n++ ? "," : "", seq);
          pcmbn_district_append_targets_change (store, out, code);
          g_string_append_c (out, '}');
        }
      else if (pcmbn_store_unit_is_within (store, code, child->org_unit))
        {
          g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (store, code);
          if (unit == NULL)
            continue;
          g_string_append_printf (
              out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"org_unit\":", n++ ? "," : "", seq);
          append_unit_change (out, unit);
          g_string_append_c (out, '}');
        }
    }
  g_string_append_printf (out, "],\"next\":%" G_GINT64_FORMAT ",\"more\":%s}", next,
                          more ? "true" : "false");
  pcmbn_district_store_note_pull (self, child, since, NULL);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * pcmbn_district_store_child_servers:
 * @self: a server database
 *
 * Returns: (transfer full): a JSON array of the servers enrolled under this
 *   one: `{id, name, org_unit, last_sync, revoked, communes: [{org_unit,
 *   name, records}]}`, records counting the live records of each commune
 */
JsonNode *
pcmbn_district_store_child_servers (PcmbnDistrictStore *self)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autoptr (JsonNode) devices = pcmbn_district_store_list_devices (self);
  JsonArray *list = json_node_get_array (devices);
  JsonArray *out = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_ARRAY);
  g_autoptr (GString) count_sql = g_string_new ("SELECT 0");
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  sqlite3_stmt *stmt;

  /* Every kind named in a count of its own: a seek in each kind's report
   * index (partial, so only a query that names the kind can use it), never
   * a scan. */
  for (guint k = 0; k < n_kinds; k++)
    g_string_append_printf (count_sql,
                            " + (SELECT count(*) FROM records WHERE kind = '%s' AND org_unit = ?1"
                            " AND deleted = 0)",
                            kinds[k]->name);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *d = json_array_get_object_element (list, i);
      const char *unit = json_object_get_string_member_with_default (d, "org_unit", "");
      g_autoptr (GPtrArray) communes = NULL;
      JsonObject *o;
      JsonArray *rows;

      if (!pcmbn_district_store_is_child_unit (self, unit))
        continue;
      o = json_object_new ();
      json_object_set_string_member (o, "id", json_object_get_string_member (d, "id"));
      json_object_set_string_member (o, "name", json_object_get_string_member (d, "name"));
      json_object_set_string_member (o, "org_unit", unit);
      json_object_set_member (o, "last_sync",
                              json_node_copy (json_object_get_member (d, "last_seen")));
      json_object_set_member (o, "revoked", json_node_copy (json_object_get_member (d, "revoked")));
      rows = json_array_new ();
      communes = pcmbn_store_communes_under (store, unit);
      pcmbn_store_lock (store);
      stmt = pcmbn_store_prepare_cached (store, count_sql->str, NULL);
      for (guint c = 0; stmt && c < communes->len; c++)
        {
          PcmbnOrgUnit *commune = communes->pdata[c];
          JsonObject *row = json_object_new ();
          sqlite3_bind_text (stmt, 1, commune->code, -1, SQLITE_TRANSIENT);
          json_object_set_string_member (row, "org_unit", commune->code);
          json_object_set_string_member (row, "name", commune->name);
          json_object_set_int_member (
              row, "records",
              sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0);
          sqlite3_reset (stmt);
          json_array_add_object_element (rows, row);
        }
      pcmbn_store_unlock (store);
      json_object_set_array_member (o, "communes", rows);
      json_array_add_object_element (out, o);
    }
  json_node_take_array (root, out);
  return root;
}
