/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-drafts"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "store/pcmbn-drafts.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

void
pcmbn_draft_free (PcmbnDraft *draft)
{
  if (draft == NULL)
    return;
  g_free (draft->id);
  g_free (draft->kind);
  g_free (draft->record_uuid);
  g_clear_pointer (&draft->data, json_object_unref);
  g_free (draft->saved_at);
  g_free (draft);
}

/* Drafts of a kind with sensitive fields (counselling) are sealed whole:
 * a draft need not be valid, so its fields cannot be told apart. */
static gboolean
kind_is_sensitive (const char *kind_name)
{
  const PcmbnKind *kind = pcmbn_schema_kind (kind_name);

  for (guint f = 0; kind && f < kind->n_fields; f++)
    if (kind->fields[f].flags & PCMBN_FIELD_SENSITIVE)
      return TRUE;
  return FALSE;
}

/**
 * pcmbn_drafts_save:
 * @store: a store
 * @id: the draft's id (one per open form)
 * @kind: the kind of record being written
 * @record_uuid: (nullable): the record being edited, %NULL for a new one
 * @data: the form's input, valid or not
 * @error: return location for an error
 *
 * Replaces the draft @id. It does not touch records, emits no signal and
 * does not make anything dirty: a draft never syncs.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_drafts_save (PcmbnStore *store,
                   const char *id,
                   const char *kind,
                   const char *record_uuid,
                   JsonObject *data,
                   GError **error)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *json = NULL;
  g_autofree char *now = pcmbn_now_utc ();
  g_autoptr (GBytes) sealed = NULL;
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (id != NULL && kind != NULL && data != NULL, FALSE);

  json_node_set_object (node, data);
  json = json_to_string (node, FALSE);
  if (kind_is_sensitive (kind))
    {
      /* A counselling draft may hold case notes: all of it is sealed. */
      g_autofree char *ad = g_strconcat ("drafts.sealed:", id, NULL);
      sealed = pcmbn_store_seal (store, ad, json, error);
      if (sealed == NULL)
        return FALSE;
      memset (json, 0, strlen (json));
      g_free (json);
      json = g_strdup ("{}");
    }
  pcmbn_store_lock (store);
  if (sqlite3_prepare_v2 (db,
                          "INSERT INTO drafts (id, kind, record_uuid, data, saved_at, sealed)"
                          " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                          " kind = excluded.kind, record_uuid = excluded.record_uuid,"
                          " data = excluded.data, saved_at = excluded.saved_at,"
                          " sealed = excluded.sealed",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    {
      pcmbn_store_set_sqlite_error (error, db, _ ("saving a draft"));
      pcmbn_store_unlock (store);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, record_uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, now, -1, SQLITE_TRANSIENT);
  if (sealed)
    sqlite3_bind_blob (stmt, 6, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                       SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("saving a draft"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  return ok;
}

/* A sealed draft whose key is missing is left out, as if there were none. */
static PcmbnDraft *
draft_from_stmt (PcmbnStore *store, sqlite3_stmt *stmt)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *opened = NULL;
  const char *text = (const char *)sqlite3_column_text (stmt, 3);
  PcmbnDraft *draft;
  JsonNode *root;

  if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
    {
      g_autofree char *ad = g_strconcat (
          "drafts.sealed:", (const char *)sqlite3_column_text (stmt, 0), NULL);
      text = opened = pcmbn_store_unseal (store, ad, sqlite3_column_blob (stmt, 5),
                                          sqlite3_column_bytes (stmt, 5), NULL);
      if (opened == NULL)
        return NULL;
    }
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  if (opened)
    memset (opened, 0, strlen (opened));
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  draft = g_new0 (PcmbnDraft, 1);
  draft->id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  draft->kind = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
  draft->record_uuid = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
  draft->data = json_object_ref (json_node_get_object (root));
  draft->saved_at = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
  return draft;
}

/**
 * pcmbn_drafts_get:
 * @store: a store
 * @id: a draft's id
 *
 * Returns: (transfer full) (nullable): the draft, or %NULL
 */
PcmbnDraft *
pcmbn_drafts_get (PcmbnStore *store, const char *id)
{
  sqlite3_stmt *stmt = NULL;
  PcmbnDraft *draft = NULL;

  pcmbn_store_lock (store);
  if (sqlite3_prepare_v2 (
          pcmbn_store_get_db (store),
          "SELECT id, kind, record_uuid, data, saved_at, sealed FROM drafts WHERE id = ?", -1,
          &stmt, NULL)
      == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        draft = draft_from_stmt (store, stmt);
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  return draft;
}

/**
 * pcmbn_drafts_list:
 * @store: a store
 * @kind: (nullable): only drafts of this kind
 *
 * Returns: (transfer full) (element-type PcmbnDraft): the drafts, newest
 *   first
 */
GPtrArray *
pcmbn_drafts_list (PcmbnStore *store, const char *kind)
{
  GPtrArray *drafts = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_draft_free);
  sqlite3_stmt *stmt = NULL;

  pcmbn_store_lock (store);
  if (sqlite3_prepare_v2 (pcmbn_store_get_db (store),
                          "SELECT id, kind, record_uuid, data, saved_at, sealed FROM drafts"
                          " WHERE ?1 IS NULL OR kind = ?1 ORDER BY saved_at DESC, id",
                          -1, &stmt, NULL)
      == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          PcmbnDraft *draft = draft_from_stmt (store, stmt);
          if (draft)
            g_ptr_array_add (drafts, draft);
        }
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  return drafts;
}

/**
 * pcmbn_drafts_delete:
 * @store: a store
 * @id: a draft's id
 * @error: return location for an error
 *
 * Forgets a draft, after its record was saved or the form was cancelled.
 * Deleting a draft that does not exist is not an error.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_drafts_delete (PcmbnStore *store, const char *id, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  pcmbn_store_lock (store);
  ok = sqlite3_prepare_v2 (db, "DELETE FROM drafts WHERE id = ?", -1, &stmt, NULL) == SQLITE_OK;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
    }
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("deleting a draft"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  return ok;
}
