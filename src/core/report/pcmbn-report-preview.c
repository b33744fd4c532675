/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report-preview"

#include "config.h"

#include "report/pcmbn-report-export-private.h"
#include "report/pcmbn-report-preview.h"

/* The report's tables as the files show them, for the app's preview: the
 * same titles, column labels, formatted numbers and met/not met marks as
 * the CSV, XLSX and PDF exports, so that what is seen is what is sent. */

/**
 * pcmbn_report_preview:
 * @report: a report (pcmbn_report_build())
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): a JSON array of tables
 *   `{key, title, columns: [label], rows: [[{text, number, mark}]], has_total}`;
 *   mark is "met", "not-met" or absent; the indicators come first
 */
JsonNode *
pcmbn_report_preview (JsonNode *report, GError **error)
{
  g_autoptr (PcmbnReportDoc) doc = pcmbn_report_doc_new (report, error);
  g_autoptr (JsonBuilder) b = NULL;

  if (doc == NULL)
    return NULL;
  b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint t = 0; t < doc->tables->len; t++)
    {
      const PcmbnReportTable *table = doc->tables->pdata[t];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, table->key);
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, table->title);
      json_builder_set_member_name (b, "has_total");
      json_builder_add_boolean_value (b, table->has_total);
      json_builder_set_member_name (b, "columns");
      json_builder_begin_array (b);
      for (guint c = 0; c < table->columns->len; c++)
        json_builder_add_string_value (b, table->columns->pdata[c]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "rows");
      json_builder_begin_array (b);
      for (guint r = 0; r < table->rows->len; r++)
        {
          json_builder_begin_array (b);
          for (guint c = 0; c < table->columns->len; c++)
            {
              const PcmbnCell *cell = PCMBN_REPORT_TABLE_CELL (table, r, c);
              g_autofree char *text = pcmbn_report_cell_to_display (cell);

              json_builder_begin_object (b);
              json_builder_set_member_name (b, "text");
              json_builder_add_string_value (b, text ? text : "");
              json_builder_set_member_name (b, "number");
              json_builder_add_boolean_value (b, cell->type == PCMBN_CELL_INT
                                                     || cell->type == PCMBN_CELL_FRACTION);
              if (cell->mark != PCMBN_MARK_NONE)
                {
                  json_builder_set_member_name (b, "mark");
                  json_builder_add_string_value (b,
                                                 cell->mark == PCMBN_MARK_MET ? "met" : "not-met");
                }
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}
