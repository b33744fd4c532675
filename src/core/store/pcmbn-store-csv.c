/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-core-resources.h"
#include "records/pcmbn-csv.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* CSV and JSON files in and out of the store. */

/* ---- CSV and JSON files ------------------------------------------------- */

/**
 * pcmbn_store_import_csv:
 * @self: a store
 * @kind: a kind's name
 * @text: (array length=len): the CSV file
 * @len: its length
 * @n_imported: (out) (optional): the number of rows stored
 * @error: return location for an error listing each bad row and column
 *
 * All rows or none: every row is checked first, and the rows are written in
 * one transaction. The header names the fields; a `uuid` column, when
 * present, updates the records that exist (so that importing an export twice
 * creates no duplicates) and creates the others with that uuid.
 *
 * Returns: %TRUE when every row was stored
 */
gboolean
pcmbn_store_import_csv (PcmbnStore *self,
                        const char *kind_name,
                        const char *text,
                        gsize len,
                        guint *n_imported,
                        GError **error)
{
  const PcmbnKind *kind = pcmbn_store_lookup_kind (kind_name, error);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) errors = NULL;
  g_autoptr (GPtrArray) fields = NULL;
  g_autoptr (GPtrArray) valid = NULL;
  g_autoptr (GPtrArray) uuids = NULL;
  g_autoptr (GHashTable) pending = NULL;
  PcmbnStoreResolve rd = { 0 };
  PcmbnCsvRow *header;
  int uuid_column = -1;
  guint n_columns;

  if (kind == NULL || !pcmbn_store_require_init (self, error))
    return FALSE;
  rows = pcmbn_csv_parse (text, len, error);
  if (rows == NULL)
    return FALSE;
  if (rows->len == 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("row 1: the file is empty; the first row must name the columns"));
      return FALSE;
    }
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  header = rows->pdata[0];
  n_columns = g_strv_length (header->cells);
  fields = g_ptr_array_new ();
  for (guint c = 0; c < n_columns; c++)
    {
      const char *name = g_strstrip (header->cells[c]);
      const PcmbnField *field = pcmbn_kind_field (kind, name);
      if (g_str_equal (name, "uuid") && uuid_column < 0)
        uuid_column = c;
      else if (field == NULL)
        g_ptr_array_add (errors, pcmbn_field_error_new (
                                     name, 1, _ ("is not a column of %s records"), kind->name));
      else
        for (guint d = 0; d < fields->len; d++)
          if (fields->pdata[d] == field)
            {
              g_ptr_array_add (errors,
                               pcmbn_field_error_new (name, 1, _ ("the column appears twice")));
              break;
            }
      g_ptr_array_add (fields, (gpointer)field);
    }
  if (errors->len > 0)
    {
      pcmbn_set_field_errors (error, errors);
      return FALSE;
    }

  valid = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  uuids = g_ptr_array_new_with_free_func (g_free);
  pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rd.store = self;
  rd.pending = pending;

  pcmbn_store_lock (self);
  for (guint r = 1; r < rows->len && errors->len < 200; r++)
    {
      PcmbnCsvRow *row = rows->pdata[r];
      guint n = g_strv_length (row->cells);

      pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_CHECK, r - 1, rows->len - 1);
      g_autoptr (JsonObject) input = json_object_new ();
      g_autoptr (PcmbnRecord) existing = NULL;
      g_autoptr (GPtrArray)
          row_errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
      g_autofree char *uuid = NULL;
      JsonObject *data;

      if (n > n_columns)
        {
          g_ptr_array_add (
              errors, pcmbn_field_error_new (NULL, row->line,
                                             _ ("has %u cells but the header names %u columns"), n,
                                             n_columns));
          continue;
        }
      for (guint c = 0; c < n; c++)
        {
          const PcmbnField *field = fields->pdata[c];
          g_autofree char *problem = NULL;
          JsonNode *value;
          if ((int)c == uuid_column)
            {
              g_strstrip (row->cells[c]);
              if (*row->cells[c])
                uuid = g_strdup (row->cells[c]);
              continue;
            }
          value = pcmbn_field_from_text (field, row->cells[c], &problem);
          if (value == NULL)
            g_ptr_array_add (row_errors,
                             pcmbn_field_error_new (field->name, row->line, "%s", problem));
          else
            json_object_set_member (input, field->name, value);
        }
      if (uuid != NULL)
        {
          g_autofree char *pending_key = pcmbn_store_resolve_key (kind->name, uuid);
          if (!pcmbn_uuid_is_valid (uuid))
            g_ptr_array_add (row_errors,
                             pcmbn_field_error_new ("uuid", row->line, _ ("is not a record uuid")));
          else if (g_hash_table_contains (pending, pending_key))
            g_ptr_array_add (
                row_errors,
                pcmbn_field_error_new ("uuid", row->line, _ ("appears on an earlier row too")));
          else
            pcmbn_store_find_row (self, uuid, NULL, &existing, NULL);
          if (existing && pcmbn_record_get_kind (existing) != kind)
            g_ptr_array_add (row_errors,
                             pcmbn_field_error_new ("uuid", row->line, _ ("belongs to a %s record"),
                                                    pcmbn_record_get_kind (existing)->name));
        }
      data = pcmbn_schema_normalize (
          kind, input, existing ? pcmbn_record_get_data (existing) : NULL, row_errors);
      pcmbn_schema_validate (kind, data, pcmbn_store_resolve_ref, &rd, row_errors);
      for (guint e = 0; e < row_errors->len; e++)
        {
          PcmbnFieldError *fe = row_errors->pdata[e];
          fe->row = row->line;
          g_ptr_array_add (errors, g_steal_pointer (&row_errors->pdata[e]));
        }
      if (uuid == NULL)
        uuid = pcmbn_uuid_new ();
      g_ptr_array_add (valid, data);
      g_hash_table_insert (pending, pcmbn_store_resolve_key (kind->name, uuid), data);
      g_ptr_array_add (uuids, g_steal_pointer (&uuid));
    }
  pcmbn_store_unlock (self);
  if (errors->len > 0)
    {
      pcmbn_set_field_errors (error, errors);
      return FALSE;
    }
  pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_CHECK, valid->len, valid->len);

  /* Years of a commune's Excel files into a new logbook: loaded in bulk. */
  if (!pcmbn_store_load_begin (self, error))
    return FALSE;
  for (guint i = 0; i < valid->len; i++)
    {
      sqlite3_int64 id;
      gboolean ok;

      pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_WRITE, i, valid->len);
      if (pcmbn_store_find_row (self, uuids->pdata[i], &id, NULL, NULL))
        ok = pcmbn_store_update_valid (self, id, kind, valid->pdata[i], error);
      else
        ok = pcmbn_store_insert_valid (self, kind, uuids->pdata[i], NULL, valid->pdata[i], error);
      if (!ok)
        {
          pcmbn_store_load_abort (self);
          return FALSE;
        }
    }
  if (!pcmbn_store_load_end (self, error))
    return FALSE;
  pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_WRITE, valid->len, valid->len);
  if (n_imported)
    *n_imported = valid->len;
  pcmbn_store_emit_changed (self, kind->name);
  return TRUE;
}

/**
 * pcmbn_store_export_csv:
 * @self: a store
 * @kind: a kind's name
 * @len: (out): the length of the result
 * @error: return location for an error
 *
 * UTF-8 with a byte order mark and CRLF line ends, as Excel and LibreOffice
 * expect; the first column is the uuid, the others are the kind's fields.
 *
 * Returns: (transfer full) (nullable): the CSV file
 */
char *
pcmbn_store_export_csv (PcmbnStore *self, const char *kind_name, gsize *len, GError **error)
{
  return pcmbn_store_export_csv_range (self, kind_name, NULL, NULL, len, error);
}

/**
 * pcmbn_store_export_csv_range:
 * @self: a store
 * @kind: a kind's name
 * @from: (nullable): first date
 * @to: (nullable): last date
 * @len: (out): the length of the result
 * @error: return location for an error
 *
 * pcmbn_store_export_csv() for the records dated in a period.
 *
 * Returns: (transfer full) (nullable): the CSV file
 */
char *
pcmbn_store_export_csv_range (PcmbnStore *self,
                              const char *kind_name,
                              const char *from,
                              const char *to,
                              gsize *len,
                              GError **error)
{
  const PcmbnKind *kind = pcmbn_store_lookup_kind (kind_name, error);
  g_autoptr (GPtrArray) records = NULL;
  GString *out;

  if (kind == NULL)
    return NULL;
  records = pcmbn_store_list (self, kind->name, from, to, error);
  if (records == NULL)
    return NULL;
  out = g_string_new (NULL);
  pcmbn_csv_begin (out);
  pcmbn_csv_append_cell (out, "uuid", TRUE);
  for (guint f = 0; f < kind->n_fields; f++)
    pcmbn_csv_append_cell (out, kind->fields[f].name, FALSE);
  pcmbn_csv_end_row (out);
  for (guint i = 0; i < records->len; i++)
    {
      PcmbnRecord *record = records->pdata[i];

      pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_EXPORT, i, records->len);
      pcmbn_csv_append_cell (out, pcmbn_record_get_uuid (record), TRUE);
      for (guint f = 0; f < kind->n_fields; f++)
        {
          g_autofree char *cell = pcmbn_field_to_text (&kind->fields[f],
                                                       pcmbn_record_get_data (record));
          pcmbn_csv_append_cell (out, cell, FALSE);
        }
      pcmbn_csv_end_row (out);
    }
  pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_EXPORT, records->len, records->len);
  *len = out->len;
  return g_string_free (out, FALSE);
}

/**
 * pcmbn_store_export_json:
 * @self: a store
 * @kind: a kind's name
 * @from: (nullable): first date
 * @to: (nullable): last date
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): a JSON array of whole records
 */
char *
pcmbn_store_export_json (
    PcmbnStore *self, const char *kind, const char *from, const char *to, GError **error)
{
  g_autoptr (GPtrArray) records = pcmbn_store_list (self, kind, from, to, error);
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  if (records == NULL)
    return NULL;
  array = json_array_sized_new (records->len);
  for (guint i = 0; i < records->len; i++)
    {
      pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_EXPORT, i, records->len);
      json_array_add_element (array, pcmbn_record_to_json (records->pdata[i], TRUE));
    }
  pcmbn_store_report_progress (self, PCMBN_STORE_PHASE_EXPORT, records->len, records->len);
  root = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (root, array);
  return json_to_string (root, TRUE);
}
