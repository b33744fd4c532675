/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-conflict"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "records/pcmbn-catalogue.h"
#include "sync/pcmbn-conflict.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-store-sync.h"
#include "pcmbn-util.h"

/* A conflict keeps both versions of a record (pcmbn-store-sync.c). A person
 * may keep one of them whole, or take each field from either side; the
 * merge is then an ordinary edit made on top of the server's version, so
 * that the next sync sends it and the server accepts it. */

static gboolean
node_equal (JsonNode *a, JsonNode *b)
{
  gboolean a_null = a == NULL || JSON_NODE_HOLDS_NULL (a);
  gboolean b_null = b == NULL || JSON_NODE_HOLDS_NULL (b);

  if (a_null || b_null)
    return a_null == b_null;
  return json_node_equal (a, b);
}

/**
 * pcmbn_conflict_diff:
 * @kind: the records' kind
 * @mine: the local data
 * @theirs: the server's data
 *
 * Returns: (transfer container) (element-type PcmbnField): the fields, in
 *   the schema's order, whose values differ
 */
GPtrArray *
pcmbn_conflict_diff (const PcmbnKind *kind, JsonObject *mine, JsonObject *theirs)
{
  GPtrArray *fields = g_ptr_array_new ();

  for (guint i = 0; i < kind->n_fields; i++)
    {
      const char *name = kind->fields[i].name;
      if (!node_equal (mine ? json_object_get_member (mine, name) : NULL,
                       theirs ? json_object_get_member (theirs, name) : NULL))
        g_ptr_array_add (fields, (gpointer)&kind->fields[i]);
    }
  return fields;
}

/**
 * pcmbn_conflict_merge_data:
 * @kind: the records' kind
 * @mine: the local data
 * @theirs: the server's data
 * @take_theirs: (nullable) (array zero-terminated=1): the fields to take
 *   from @theirs; the others come from @mine
 *
 * Returns: (transfer full): every field of @kind, absent ones as null, so
 *   that it can be given to pcmbn_store_update() as a whole
 */
JsonObject *
pcmbn_conflict_merge_data (const PcmbnKind *kind,
                           JsonObject *mine,
                           JsonObject *theirs,
                           const char *const *take_theirs)
{
  JsonObject *merged = json_object_new ();

  for (guint i = 0; i < kind->n_fields; i++)
    {
      const char *name = kind->fields[i].name;
      JsonObject *from = take_theirs && g_strv_contains (take_theirs, name) ? theirs : mine;
      JsonNode *node = from ? json_object_get_member (from, name) : NULL;

      json_object_set_member (merged, name,
                              node ? json_node_copy (node) : json_node_new (JSON_NODE_NULL));
    }
  return merged;
}

/**
 * pcmbn_conflict_field_text:
 * @field: a field
 * @data: a record's data
 *
 * The value as a person reads it: catalogue labels in the interface's
 * language, yes/no, dates as dd/mm/yyyy.
 *
 * Returns: (transfer full): the text, "—" when the field is not set
 */
char *
pcmbn_conflict_field_text (const PcmbnField *field, JsonObject *data)
{
  JsonNode *node = data ? json_object_get_member (data, field->name) : NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  switch (field->type)
    {
      case PCMBN_FIELD_CODE:
        return g_strdup (pcmbn_catalogue_label (pcmbn_catalogue_lookup (field->catalogue),
                                                json_node_get_string (node)));
      case PCMBN_FIELD_CODES:
        {
          JsonArray *array = json_node_get_array (node);
          const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
          GString *s = g_string_new (NULL);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              if (i > 0)
                g_string_append (s, "; ");
              g_string_append (
                  s, pcmbn_catalogue_label (cat, json_array_get_string_element (array, i)));
            }
          return g_string_free (s, FALSE);
        }
      case PCMBN_FIELD_BOOL:
        return g_strdup (json_node_get_boolean (node) ? _ ("yes") : _ ("no"));
      case PCMBN_FIELD_DATE:
        {
          const char *iso = json_node_get_string (node);
          int y, m, d;

          if (iso && sscanf (iso, "%4d-%2d-%2d", &y, &m, &d) == 3)
            return g_strdup_printf ("%02d/%02d/%04d", d, m, y);
          return g_strdup (iso ? iso : "—");
        }
      default:
        {
          g_autofree char *text = pcmbn_field_to_text (field, data);
          return *text ? g_steal_pointer (&text) : g_strdup ("—");
        }
    }
}

/**
 * pcmbn_conflict_resolve_merged:
 * @store: a store
 * @uuid: a record in conflict
 * @merged: the data to keep, every field of the kind (see
 *   pcmbn_conflict_merge_data())
 * @error: return location for an error
 *
 * Settles the conflict with the person's merge, all or nothing: the record
 * takes the server's version number and @merged as a new local edit, which
 * the next sync sends. @merged is validated as any edit is.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_conflict_resolve_merged (PcmbnStore *store,
                               const char *uuid,
                               JsonObject *merged,
                               GError **error)
{
  g_return_val_if_fail (PCMBN_IS_STORE (store), FALSE);
  g_return_val_if_fail (merged != NULL, FALSE);

  if (!pcmbn_store_begin (store, error))
    return FALSE;
  /* "mine" first: it checks that the record is in conflict and takes the
   * server's version; the update then writes the merge on top of it. */
  if (!pcmbn_store_sync_resolve (store, uuid, "mine", error)
      || !pcmbn_store_update (store, uuid, merged, error))
    {
      pcmbn_store_rollback (store);
      return FALSE;
    }
  return pcmbn_store_commit (store, error);
}

/**
 * pcmbn_conflict_count_outbox:
 * @store: a store
 * @waiting: (out) (optional): records edited here and not yet sent
 * @conflicts: (out) (optional): records in conflict
 * @rejected: (out) (optional): records the server refused
 *
 * One pass over the outbox (the partial index of dirty records), so that it
 * costs what waits to be sent, not what the logbook holds.
 */
void
pcmbn_conflict_count_outbox (PcmbnStore *store,
                             gint64 *waiting,
                             gint64 *conflicts,
                             gint64 *rejected)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gint64 w = 0, c = 0, r = 0;

  pcmbn_store_lock (store);
  if (sqlite3_prepare_v2 (db, "SELECT state, count(*) FROM records WHERE dirty = 1 GROUP BY state",
                          -1, &stmt, NULL)
      == SQLITE_OK)
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        const char *state = (const char *)sqlite3_column_text (stmt, 0);
        gint64 n = sqlite3_column_int64 (stmt, 1);

        if (g_strcmp0 (state, "conflict") == 0)
          c += n;
        else if (g_strcmp0 (state, "rejected") == 0)
          r += n;
        else if (g_strcmp0 (state, "draft") != 0)
          w += n;
      }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  if (waiting)
    *waiting = w;
  if (conflicts)
    *conflicts = c;
  if (rejected)
    *rejected = r;
}
