/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include "pcmbn-gettext.h"
#include <glib/gi18n-lib.h>
#include <gmodule.h>
#include <stdlib.h>
#include <string.h>

#include "records/pcmbn-csv.h"
#include "report/pcmbn-report-export-private.h"
#include "report/pcmbn-report.h"
#include "records/pcmbn-schema.h"
#include "pcmbn-util.h"

/* One way from the report JSON to every file format. The JSON is turned
 * into labelled tables once (pcmbn_report_doc_new()); the CSV, XLSX and PDF
 * writers only lay those tables out, so a number can never differ between
 * two formats of the same report. Labels come from the schema and its
 * catalogues, in the user's language. */

static const struct
{
  const char *key;
  const char *kind; /* whose fields and catalogues label the columns */
  const char *title;
  const char *sheet;
  gboolean totals; /* a sum row makes sense: each record counts once */
} table_defs[] = {
  { "activities_by_type", "activity", N_ ("Communication activities by type"), N_ ("Activities"),
    TRUE },
  { "trainings_by_format", "training", N_ ("Trainings, conferences and workshops by format"),
    N_ ("Trainings"), TRUE },
  { "models_by_type", "model",
    N_ ("Models by type and kind (not dissolved at the end of the period)"), N_ ("Models"), TRUE },
  { "counselling_by_channel", "counselling", N_ ("Counselling sessions by channel"),
    N_ ("Counselling by channel"), TRUE },
  { "counselling_by_client_type", "counselling", N_ ("Counselling sessions by client type"),
    N_ ("Counselling by client"), TRUE },
  /* A session with two topics counts under both: no total. */
  { "counselling_by_topic", "counselling", N_ ("Counselling sessions by topic"),
    N_ ("Counselling by topic"), FALSE },
  { "counselling_by_referral", "counselling", N_ ("Counselling sessions by referral"),
    N_ ("Counselling by referral"), FALSE },
  { "materials_by_type", "material", N_ ("Communication materials by type"), N_ ("Materials"),
    TRUE },
  { "per_commune", NULL, N_ ("Records per commune in the period"), N_ ("Communes"), TRUE },
};

/* ---- the labelled tables ------------------------------------------------ */

static void
cell_clear (PcmbnCell *cell)
{
  g_clear_pointer (&cell->text, g_free);
}

static void
table_rows_free (PcmbnReportTable *table)
{
  for (guint r = 0; r < table->rows->len; r++)
    {
      PcmbnCell *cells = table->rows->pdata[r];
      for (guint c = 0; c < table->columns->len; c++)
        cell_clear (&cells[c]);
      g_free (cells);
    }
  g_ptr_array_set_size (table->rows, 0);
}

static void
table_free (PcmbnReportTable *table)
{
  table_rows_free (table);
  g_free (table->key);
  g_free (table->title);
  g_free (table->sheet);
  g_ptr_array_unref (table->columns);
  g_ptr_array_unref (table->rows);
  g_free (table);
}

static PcmbnReportTable *
table_new (const char *key, const char *title, const char *sheet)
{
  PcmbnReportTable *table = g_new0 (PcmbnReportTable, 1);

  table->key = g_strdup (key);
  table->title = g_strdup (title);
  table->sheet = g_strdup (sheet);
  table->columns = g_ptr_array_new_with_free_func (g_free);
  table->rows = g_ptr_array_new ();
  return table;
}

static PcmbnCell *
table_add_row (PcmbnReportTable *table)
{
  PcmbnCell *cells = g_new0 (PcmbnCell, table->columns->len);

  g_ptr_array_add (table->rows, cells);
  return cells;
}

static void
set_text (PcmbnCell *cell, const char *text)
{
  cell->type = PCMBN_CELL_TEXT;
  g_free (cell->text);
  cell->text = g_strdup (text);
}

static void
set_int (PcmbnCell *cell, gint64 value)
{
  cell->type = PCMBN_CELL_INT;
  cell->i = value;
}

/* A JSON value as a cell: whole numbers stay numbers, "<5" stays text. */
static void
set_from_node (PcmbnCell *cell, JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return;
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);
      if (type == G_TYPE_INT64 || type == G_TYPE_BOOLEAN)
        set_int (cell, json_node_get_int (node));
      else if (type == G_TYPE_DOUBLE)
        {
          g_autofree char *text = g_strdup_printf ("%g", json_node_get_double (node));
          set_text (cell, text);
        }
      else
        set_text (cell, json_node_get_string (node));
    }
}

/* Dates as Vietnamese documents write them: 31/12/2026. */
char *
pcmbn_report_format_date (const char *iso)
{
  if (iso == NULL || strlen (iso) < 10)
    return g_strdup (iso ? iso : "");
  return g_strdup_printf ("%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

/**
 * pcmbn_report_title:
 *
 * Returns: (transfer full): the report's title, as the plan names it
 */
char *
pcmbn_report_title (void)
{
  /* TRANSLATORS: the title of the annual report; in Vietnamese "Báo cáo kết
   * quả thực hiện Kế hoạch truyền thông phòng, chống mua bán người". */
  return g_strdup (_ ("Report on the results of implementing the Plan for communication on "
                      "preventing human trafficking"));
}

/* The report may come from a file: a missing or odd member is an error to
 * report, never a critical warning. */
static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  return node && json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node)
                                                                  : NULL;
}

static gint64
int_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  return node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

static gboolean
number_or_null (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node)
         || (JSON_NODE_HOLDS_VALUE (node)
             && (json_node_get_value_type (node) == G_TYPE_INT64
                 || json_node_get_value_type (node) == G_TYPE_DOUBLE));
}

static PcmbnReportTable *
indicators_table (JsonObject *indicators)
{
  PcmbnReportTable *table = table_new ("indicators", _ ("Indicators"), _ ("Indicators"));

  g_ptr_array_add (table->columns, g_strdup (_ ("Indicator")));
  g_ptr_array_add (table->columns, g_strdup (_ ("Numerator")));
  g_ptr_array_add (table->columns, g_strdup (_ ("Denominator")));
  g_ptr_array_add (table->columns, g_strdup (_ ("Value")));
  g_ptr_array_add (table->columns, g_strdup (_ ("Target")));
  g_ptr_array_add (table->columns, g_strdup (_ ("Assessment")));
  guint n_indicators;
  const PcmbnIndicator *all = pcmbn_indicators (&n_indicators);

  for (guint i = 0; i < n_indicators; i++)
    {
      JsonObject *ind = object_member (indicators, all[i].key);
      gboolean is_count = pcmbn_indicator_is_count (&all[i]);
      const char *label = pcmbn_indicator_label (&all[i]);
      JsonNode *value, *target;
      PcmbnCell *cells;

      if (ind == NULL)
        continue;
      cells = table_add_row (table);
      set_text (&cells[0], label);
      set_int (&cells[1], int_member (ind, "numerator"));
      set_int (&cells[2], int_member (ind, "denominator"));
      value = json_object_get_member (ind, "value");
      target = json_object_get_member (ind, "target");
      if (!number_or_null (value))
        value = NULL;
      if (!number_or_null (target))
        target = NULL;
      for (guint c = 3; c <= 4; c++)
        {
          JsonNode *node = c == 3 ? value : target;
          if (node == NULL || JSON_NODE_HOLDS_NULL (node))
            continue;
          if (is_count)
            set_int (&cells[c], (gint64)(json_node_get_double (node) + 0.5));
          else
            {
              cells[c].type = PCMBN_CELL_FRACTION;
              cells[c].d = json_node_get_double (node);
            }
        }
      if (value == NULL || JSON_NODE_HOLDS_NULL (value))
        set_text (&cells[5], _ ("No data"));
      else if (target == NULL || JSON_NODE_HOLDS_NULL (target))
        set_text (&cells[5], _ ("No target"));
      /* Targets are stored as doubles: 0.3 must be met by 3 of 10. */
      else if (json_node_get_double (value) >= json_node_get_double (target) - 1e-9)
        {
          set_text (&cells[5], _ ("Met"));
          cells[5].mark = PCMBN_MARK_MET;
        }
      else
        {
          set_text (&cells[5], _ ("Not met"));
          cells[5].mark = PCMBN_MARK_NOT_MET;
        }
    }
  return table;
}

/* The column a row member becomes: its label, and how its values read. */
typedef struct
{
  const char *member;
  const char *sub_member; /* per_commune's records object */
  const PcmbnField *field;
} ColumnSource;

static const char *
member_label (const char *member, const PcmbnField *field)
{
  if (field)
    return pcmbn_field_label (field);
  if (g_str_equal (member, "count"))
    return _ ("Number");
  if (g_str_equal (member, "meetings"))
    return _ ("Meetings held in the period");
  if (g_str_equal (member, "received_records"))
    return _ ("Deliveries received in the period");
  if (g_str_equal (member, "org_unit"))
    return _ ("Code");
  if (g_str_equal (member, "name"))
    return _ ("Commune");
  if (g_str_equal (member, "last_sync"))
    return _ ("Last sync");
  return member;
}

static PcmbnReportTable *
data_table (const char *key, JsonArray *rows, GError **error)
{
  const PcmbnKind *kind = NULL;
  const char *title = key, *sheet = key;
  gboolean totals = FALSE;
  g_autoptr (GArray) sources = g_array_new (FALSE, TRUE, sizeof (ColumnSource));
  PcmbnReportTable *table;

  for (guint d = 0; d < G_N_ELEMENTS (table_defs); d++)
    if (g_str_equal (table_defs[d].key, key))
      {
        kind = table_defs[d].kind ? pcmbn_schema_kind (table_defs[d].kind) : NULL;
        title = _ (table_defs[d].title);
        sheet = _ (table_defs[d].sheet);
        totals = table_defs[d].totals;
      }
  table = table_new (key, title, sheet);

  /* The columns are the members of the first row, in their order, so that
   * a count field added to the schema appears without a change here. */
  if (json_array_get_length (rows) > 0)
    {
      JsonNode *first = json_array_get_element (rows, 0);
      g_autoptr (GList) members = NULL;
      if (!JSON_NODE_HOLDS_OBJECT (first))
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("report: the rows of table %s are not objects"), key);
          table_free (table);
          return NULL;
        }
      members = json_object_get_members (json_node_get_object (first));
      for (GList *m = members; m; m = m->next)
        {
          JsonNode *node = json_object_get_member (json_node_get_object (first), m->data);
          if (JSON_NODE_HOLDS_OBJECT (node))
            {
              g_autoptr (GList) subs = json_object_get_members (json_node_get_object (node));
              for (GList *s = subs; s; s = s->next)
                {
                  ColumnSource src = { m->data, s->data, NULL };
                  const PcmbnKind *sub_kind = pcmbn_schema_kind (s->data);
                  g_array_append_val (sources, src);
                  g_ptr_array_add (table->columns,
                                   g_strdup (sub_kind ? pcmbn_kind_label (sub_kind) : s->data));
                }
            }
          else
            {
              ColumnSource src = { m->data, NULL, kind ? pcmbn_kind_field (kind, m->data) : NULL };
              g_array_append_val (sources, src);
              g_ptr_array_add (table->columns, g_strdup (member_label (m->data, src.field)));
            }
        }
    }

  for (guint r = 0; r < json_array_get_length (rows); r++)
    {
      JsonNode *row_node = json_array_get_element (rows, r);
      JsonObject *row;
      PcmbnCell *cells;
      if (!JSON_NODE_HOLDS_OBJECT (row_node))
        continue;
      row = json_node_get_object (row_node);
      cells = table_add_row (table);
      for (guint c = 0; c < sources->len; c++)
        {
          ColumnSource *src = &g_array_index (sources, ColumnSource, c);
          JsonNode *node = json_object_get_member (row, src->member);
          if (src->sub_member)
            node = node && JSON_NODE_HOLDS_OBJECT (node)
                       ? json_object_get_member (json_node_get_object (node), src->sub_member)
                       : NULL;
          if (src->field && src->field->catalogue && node && JSON_NODE_HOLDS_VALUE (node)
              && json_node_get_value_type (node) == G_TYPE_STRING)
            set_text (&cells[c],
                      pcmbn_catalogue_label (pcmbn_catalogue_lookup (src->field->catalogue),
                                             json_node_get_string (node)));
          else if (g_str_equal (src->member, "last_sync")
                   && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
            set_text (&cells[c], _ ("never"));
          else
            set_from_node (&cells[c], node);
        }
    }

  /* Totals only over whole numbers; a "<5" anywhere makes the sum unknown. */
  if (totals && table->rows->len > 1 && table->columns->len > 0)
    {
      PcmbnCell *sum = g_new0 (PcmbnCell, table->columns->len);
      set_text (&sum[0], _ ("Total"));
      for (guint c = 1; c < table->columns->len; c++)
        {
          gboolean all_ints = TRUE;
          gint64 total = 0;
          for (guint r = 0; r < table->rows->len; r++)
            {
              PcmbnCell *cell = PCMBN_REPORT_TABLE_CELL (table, r, c);
              if (cell->type != PCMBN_CELL_INT)
                all_ints = FALSE;
              total += cell->i;
            }
          if (all_ints)
            set_int (&sum[c], total);
        }
      g_ptr_array_add (table->rows, sum);
      table->has_total = TRUE;
    }
  return table;
}

/**
 * pcmbn_report_doc_new: (skip)
 * @report: a report from pcmbn_report_build()
 * @error: return location for an error when @report is not a report
 *
 * Returns: (transfer full) (nullable): the labelled tables
 */
PcmbnReportDoc *
pcmbn_report_doc_new (JsonNode *report, GError **error)
{
  g_autoptr (PcmbnReportDoc) doc = g_new0 (PcmbnReportDoc, 1);
  JsonObject *root, *period, *indicators, *tables;

  doc->tables = g_ptr_array_new_with_free_func ((GDestroyNotify)table_free);
  if (report == NULL || !JSON_NODE_HOLDS_OBJECT (report))
    goto bad;
  root = json_node_get_object (report);
  period = object_member (root, "period");
  indicators = object_member (root, "indicators");
  tables = object_member (root, "tables");
  if (period == NULL || indicators == NULL || tables == NULL)
    goto bad;
  doc->from = g_strdup (string_member (period, "from"));
  doc->to = g_strdup (string_member (period, "to"));
  if (doc->from == NULL || doc->to == NULL || pcmbn_date_parse (doc->from) < 0
      || pcmbn_date_parse (doc->to) < 0)
    goto bad;
  doc->org_unit = g_strdup (string_member (root, "org_unit") ? string_member (root, "org_unit")
                                                             : "");
  doc->org_unit_name = g_strdup (string_member (root, "org_unit_name")
                                     ? string_member (root, "org_unit_name")
                                     : doc->org_unit);
  if (g_str_equal (doc->from + 4, "-01-01") && g_str_equal (doc->to + 4, "-12-31")
      && strncmp (doc->from, doc->to, 4) == 0)
    doc->period_text = g_strdup_printf (_ ("Year %d"), atoi (doc->to));
  else
    {
      g_autofree char *f = pcmbn_report_format_date (doc->from),
                      *t = pcmbn_report_format_date (doc->to);
      doc->period_text = g_strdup_printf (_ ("From %s to %s"), f, t);
    }

  g_ptr_array_add (doc->tables, indicators_table (indicators));
  {
    g_autoptr (GList) keys = json_object_get_members (tables);
    for (GList *k = keys; k; k = k->next)
      {
        JsonNode *node = json_object_get_member (tables, k->data);
        PcmbnReportTable *table;
        if (!JSON_NODE_HOLDS_ARRAY (node))
          continue;
        table = data_table (k->data, json_node_get_array (node), error);
        if (table == NULL)
          return NULL;
        g_ptr_array_add (doc->tables, table);
      }
  }
  return g_steal_pointer (&doc);

bad:
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
               _ ("report: this is not a report (it needs period, indicators and tables)"));
  return NULL;
}

void
pcmbn_report_doc_free (PcmbnReportDoc *doc)
{
  if (doc == NULL)
    return;
  g_free (doc->org_unit);
  g_free (doc->org_unit_name);
  g_free (doc->from);
  g_free (doc->to);
  g_free (doc->period_text);
  g_clear_pointer (&doc->tables, g_ptr_array_unref);
  g_free (doc);
}

const PcmbnReportTable *
pcmbn_report_doc_find (const PcmbnReportDoc *doc, const char *key)
{
  for (guint t = 0; t < doc->tables->len; t++)
    {
      const PcmbnReportTable *table = doc->tables->pdata[t];
      if (g_str_equal (table->key, key))
        return table;
    }
  return NULL;
}

/* 12345 as "12.345" in Vietnamese and "12,345" in English: by the
 * document's language, not the process locale (the C locale groups
 * nothing). */
static char *
format_int (gint64 value, PcmbnLang lang)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                             value < 0 ? -(guint64)value : (guint64)value);
  GString *out = g_string_new (value < 0 ? "-" : "");
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (out, lang == PCMBN_LANG_VI ? '.' : ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

/**
 * pcmbn_report_cell_to_display:
 * @cell: a cell
 *
 * Numbers as people read them in the document's language
 * (pcmbn_lang_current()): thousands grouped, fractions as percentages with
 * one decimal (45,5% in Vietnamese, 45.5% in English).
 *
 * Returns: (transfer full): the text
 */
char *
pcmbn_report_cell_to_display (const PcmbnCell *cell)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  PcmbnLang lang = pcmbn_lang_current ();

  switch (cell->type)
    {
      case PCMBN_CELL_TEXT:
        return g_strdup (cell->text);
      case PCMBN_CELL_INT:
        return format_int (cell->i, lang);
      case PCMBN_CELL_FRACTION:
        g_ascii_formatd (buf, sizeof buf, "%.1f", cell->d * 100.0);
        if (lang == PCMBN_LANG_VI)
          g_strdelimit (buf, ".", ',');
        return g_strdup_printf ("%s%%", buf);
      case PCMBN_CELL_EMPTY:
      default:
        return g_strdup ("–");
    }
}

/* ---- CSV ----------------------------------------------------------------- */

static char *
cell_to_csv (const PcmbnCell *cell)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (cell->type)
    {
      case PCMBN_CELL_TEXT:
        return g_strdup (cell->text);
      case PCMBN_CELL_INT:
        return g_strdup_printf ("%" G_GINT64_FORMAT, cell->i);
      case PCMBN_CELL_FRACTION:
        /* A plain decimal with a dot, whatever the locale: the file is data. */
        return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.4f", cell->d));
      case PCMBN_CELL_EMPTY:
      default:
        return g_strdup ("");
    }
}

static void
csv_row (GString *out, const char *const *cells)
{
  for (guint i = 0; cells[i]; i++)
    pcmbn_csv_append_cell (out, cells[i], i == 0);
  pcmbn_csv_end_row (out);
}

static GBytes *
write_csv (const PcmbnReportDoc *doc, PcmbnReportProgress progress, gpointer progress_data)
{
  GString *out = g_string_new (NULL);
  g_autofree char *title = pcmbn_report_title ();

  pcmbn_csv_begin (out);
  {
    const char *row[] = { title, NULL };
    csv_row (out, row);
  }
  {
    const char *row[] = { _ ("Org unit"), doc->org_unit_name, doc->org_unit, NULL };
    csv_row (out, row);
  }
  {
    const char *row[] = { _ ("Period"), doc->from, doc->to, doc->period_text, NULL };
    csv_row (out, row);
  }
  for (guint t = 0; t < doc->tables->len; t++)
    {
      const PcmbnReportTable *table = doc->tables->pdata[t];
      pcmbn_csv_end_row (out);
      pcmbn_csv_append_cell (out, table->title, TRUE);
      pcmbn_csv_end_row (out);
      for (guint c = 0; c < table->columns->len; c++)
        pcmbn_csv_append_cell (out, table->columns->pdata[c], c == 0);
      pcmbn_csv_end_row (out);
      for (guint r = 0; r < table->rows->len; r++)
        {
          for (guint c = 0; c < table->columns->len; c++)
            {
              g_autofree char *text = cell_to_csv (PCMBN_REPORT_TABLE_CELL (table, r, c));
              pcmbn_csv_append_cell (out, text, c == 0);
            }
          pcmbn_csv_end_row (out);
        }
      if (progress)
        progress ((double)(t + 1) / doc->tables->len, progress_data);
    }
  return g_string_free_to_bytes (out);
}

/* ---- the API --------------------------------------------------------------- */

typedef GBytes *(*ReportWriter) (const PcmbnReportDoc *doc,
                                 PcmbnReportProgress progress,
                                 gpointer progress_data,
                                 GCancellable *cancellable,
                                 GError **error);

#ifdef PCMBN_REPORT_FILES_MODULE
/* The module of the PDF and XLSX writers: next to the program in the build
 * tree (src/core beside src/cli, src/server, src/app), else where it was
 * installed; PCMBN_REPORT_MODULE names another. Loaded once, never
 * unloaded. */
static GModule *
open_writers (GError **error)
{
  static GMutex lock;
  static GModule *module;
  static char *problem;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lock);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *exe_dir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree char *beside = exe_dir ? g_build_filename (exe_dir, "..", "core",
                                                        "libpcmbn-report-files.so", NULL)
                                    : NULL;
  const char *candidates[] = { g_getenv ("PCMBN_REPORT_MODULE"), beside,
                               PCMBN_REPORT_FILES_MODULE };

  if (module)
    return module;
  /* A program with the writers linked in (the server, alone in its
   * package) has them already. */
  module = g_module_open (NULL, G_MODULE_BIND_LOCAL);
  if (module != NULL && !g_module_symbol (module, "pcmbn_report_write_pdf", &(gpointer){ NULL }))
    g_clear_pointer (&module, g_module_close);
  for (guint i = 0; i < G_N_ELEMENTS (candidates) && module == NULL; i++)
    {
      if (candidates[i] == NULL || !g_file_test (candidates[i], G_FILE_TEST_EXISTS))
        continue;
      module = g_module_open (candidates[i], G_MODULE_BIND_LOCAL);
      if (module == NULL)
        {
          g_free (problem);
          problem = g_strdup (g_module_error ());
        }
    }
  if (module == NULL)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("Cannot write PDF or XLSX files: the part of the program that writes them (%s) "
                    "is missing or damaged (%s). Install PCMBN Logbook again; JSON and CSV "
                    "still work."),
                 PCMBN_REPORT_FILES_MODULE, problem ? problem : _ ("not found"));
  else
    g_module_make_resident (module);
  return module;
}
#endif

static ReportWriter
load_writer (const char *name, GError **error)
{
#ifdef PCMBN_REPORT_FILES_MODULE
  GModule *module = open_writers (error);
  gpointer symbol = NULL;

  if (module == NULL)
    return NULL;
  if (!g_module_symbol (module, name, &symbol) || symbol == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("Cannot write PDF or XLSX files: the part of the program that writes them "
                      "lacks %s. Install PCMBN Logbook again; JSON and CSV still work."),
                   name);
      return NULL;
    }
  return (ReportWriter)symbol;
#else
  return g_str_equal (name, "pcmbn_report_write_pdf") ? pcmbn_report_write_pdf
                                                      : pcmbn_report_write_xlsx;
#endif
}

static const char *const format_names[] = { "json", "csv", "pdf", "xlsx" };

/**
 * pcmbn_report_format_from_string:
 * @name: "json", "csv", "pdf" or "xlsx"
 * @format: (out): the format
 *
 * Returns: %TRUE when @name is a format
 */
gboolean
pcmbn_report_format_from_string (const char *name, PcmbnReportFormat *format)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (format_names); i++)
    if (g_str_equal (name, format_names[i]))
      {
        *format = (PcmbnReportFormat)i;
        return TRUE;
      }
  return FALSE;
}

/**
 * pcmbn_report_format_to_string:
 * @format: a format
 *
 * Returns: (transfer none): its name, which is also the file extension
 */
const char *
pcmbn_report_format_to_string (PcmbnReportFormat format)
{
  g_return_val_if_fail ((guint)format < G_N_ELEMENTS (format_names), NULL);
  return format_names[format];
}

/**
 * pcmbn_report_format_content_type:
 * @format: a format
 *
 * Returns: (transfer none): the MIME type of its files, for HTTP downloads
 */
const char *
pcmbn_report_format_content_type (PcmbnReportFormat format)
{
  switch (format)
    {
      case PCMBN_REPORT_FORMAT_JSON:
        return "application/json";
      case PCMBN_REPORT_FORMAT_CSV:
        return "text/csv; charset=utf-8";
      case PCMBN_REPORT_FORMAT_PDF:
        return "application/pdf";
      case PCMBN_REPORT_FORMAT_XLSX:
      default:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
}

/**
 * pcmbn_report_export:
 * @report: a report from pcmbn_report_build()
 * @format: the file format
 * @progress: (nullable) (scope call): told how far the work is
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * pcmbn_report_export_in() in the language of the calling thread
 * (pcmbn_lang_current()): the app's, for the app.
 *
 * Returns: (transfer full) (nullable): the file's bytes
 */
GBytes *
pcmbn_report_export (JsonNode *report,
                     PcmbnReportFormat format,
                     PcmbnReportProgress progress,
                     gpointer progress_data,
                     GCancellable *cancellable,
                     GError **error)
{
  return pcmbn_report_export_in (report, format, pcmbn_lang_current (), progress, progress_data,
                                 cancellable, error);
}

/**
 * pcmbn_report_export_in:
 * @report: a report from pcmbn_report_build()
 * @format: the file format
 * @lang: the language of the document, whatever the process locale
 * @progress: (nullable) (scope call): told how far the work is
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Renders @report as a file: JSON as the contract gives it; CSV in UTF-8
 * with a byte order mark and one section per table; XLSX with one sheet per
 * table; PDF on A4 in the layout of a Vietnamese administrative report.
 * Titles, labels and numbers are written in @lang; safe to call from
 * several threads at once in different languages.
 * Blocks; see pcmbn_report_export_async() for the app.
 *
 * Returns: (transfer full) (nullable): the file's bytes
 */
GBytes *
pcmbn_report_export_in (JsonNode *report,
                        PcmbnReportFormat format,
                        PcmbnLang lang,
                        PcmbnReportProgress progress,
                        gpointer progress_data,
                        GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (PcmbnReportDoc) doc = NULL;
  g_autoptr (PcmbnLangScope) scope = NULL;
  GBytes *bytes = NULL;

  g_return_val_if_fail (report != NULL, NULL);

  /* Every label, catalogue entry and number below is rendered in @lang, in
   * this thread only. */
  scope = pcmbn_lang_scope_new (lang);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  doc = pcmbn_report_doc_new (report, error);
  if (doc == NULL)
    return NULL;
  switch (format)
    {
      case PCMBN_REPORT_FORMAT_JSON:
        {
          g_autofree char *text = json_to_string (report, TRUE);
          bytes = g_bytes_new_take (g_strconcat (text, "\n", NULL), strlen (text) + 1);
          if (progress)
            progress (1.0, progress_data);
        }
        break;
      case PCMBN_REPORT_FORMAT_CSV:
        bytes = write_csv (doc, progress, progress_data);
        break;
      case PCMBN_REPORT_FORMAT_PDF:
      case PCMBN_REPORT_FORMAT_XLSX:
        {
          ReportWriter writer = load_writer (format == PCMBN_REPORT_FORMAT_PDF
                                                 ? "pcmbn_report_write_pdf"
                                                 : "pcmbn_report_write_xlsx",
                                             error);
          bytes = writer ? writer (doc, progress, progress_data, cancellable, error) : NULL;
        }
        break;
      default:
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("format: unknown report format"));
        return NULL;
    }
  if (bytes && g_cancellable_set_error_if_cancelled (cancellable, error))
    g_clear_pointer (&bytes, g_bytes_unref);
  return bytes;
}

/* ---- off the main thread ------------------------------------------------- */

typedef struct
{
  JsonNode *report;
  PcmbnReportFormat format;
  PcmbnLang lang;
  GFile *destination;
  PcmbnReportProgress progress;
  gpointer progress_data;
  GDestroyNotify progress_data_free;
  GMainContext *context;
  double last_fraction;
} ExportData;

/* Always through a source: g_main_context_invoke() would run @func right
 * here in the worker whenever the context happens to be free. */
static void
run_in_context (GMainContext *context, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[pcmbn] report export");
  g_source_attach (source, context);
  g_source_unref (source);
}

typedef struct
{
  GDestroyNotify free_func;
  gpointer data;
} LateFree;

static gboolean
late_free (gpointer user_data)
{
  LateFree *late = user_data;

  late->free_func (late->data);
  g_free (late);
  return G_SOURCE_REMOVE;
}

static void
export_data_free (ExportData *data)
{
  json_node_unref (data->report);
  g_clear_object (&data->destination);
  /* The last reference to the task may drop in the worker thread: the
   * caller's data is freed in the caller's context all the same. */
  if (data->progress_data_free)
    {
      LateFree *late = g_new0 (LateFree, 1);
      late->free_func = data->progress_data_free;
      late->data = data->progress_data;
      run_in_context (data->context, late_free, late, NULL);
    }
  g_main_context_unref (data->context);
  g_free (data);
}

typedef struct
{
  GTask *task; /* keeps the progress data alive until it is told */
  double fraction;
} ProgressReport;

static gboolean
progress_in_context (gpointer user_data)
{
  ProgressReport *report = user_data;
  ExportData *data = g_task_get_task_data (report->task);

  data->progress (report->fraction, data->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_report_free (gpointer user_data)
{
  ProgressReport *report = user_data;

  g_object_unref (report->task);
  g_free (report);
}

static void
progress_from_thread (double fraction, gpointer user_data)
{
  GTask *task = user_data;
  ExportData *data = g_task_get_task_data (task);
  ProgressReport *report;

  /* A bar does not need more than a hundred steps. */
  if (fraction < 1.0 && fraction - data->last_fraction < 0.01)
    return;
  data->last_fraction = fraction;
  report = g_new0 (ProgressReport, 1);
  report->task = g_object_ref (task);
  report->fraction = fraction;
  run_in_context (data->context, progress_in_context, report, progress_report_free);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportData *data = task_data;
  GError *error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = pcmbn_report_export_in (data->report, data->format, data->lang,
                                  data->progress ? progress_from_thread : NULL, task, cancellable,
                                  &error);
  if (bytes && data->destination
      && !g_file_replace_contents (data->destination, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), NULL, FALSE,
                                   G_FILE_CREATE_REPLACE_DESTINATION, NULL, cancellable, &error))
    g_clear_pointer (&bytes, g_bytes_unref);
  if (bytes)
    g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify)g_bytes_unref);
  else
    g_task_return_error (task, error);
}

/**
 * pcmbn_report_export_async:
 * @report: a report from pcmbn_report_build()
 * @format: the file format
 * @destination: (nullable): a file to write, replaced only when the whole
 *   export succeeded
 * @progress: (nullable) (scope notified): told how far the work is, in the
 *   thread-default main context of the caller
 * @progress_data: data for @progress
 * @progress_data_free: (nullable): frees @progress_data
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the file is ready
 * @user_data: data for @callback
 *
 * Runs pcmbn_report_export() in a thread, so that a window stays responsive
 * while a large report is laid out. The document is in the language of the
 * calling thread at the time of the call.
 */
void
pcmbn_report_export_async (JsonNode *report,
                           PcmbnReportFormat format,
                           GFile *destination,
                           PcmbnReportProgress progress,
                           gpointer progress_data,
                           GDestroyNotify progress_data_free,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ExportData *data = g_new0 (ExportData, 1);

  g_return_if_fail (report != NULL);

  /* The thread only reads the report; the caller must not change it
   * until the callback runs. */
  data->report = json_node_ref (report);
  data->format = format;
  data->lang = pcmbn_lang_current ();
  data->destination = destination ? g_object_ref (destination) : NULL;
  data->progress = progress;
  data->progress_data = progress_data;
  data->progress_data_free = progress_data_free;
  data->context = g_main_context_ref_thread_default ();
  data->last_fraction = -1.0;
  g_task_set_source_tag (task, pcmbn_report_export_async);
  g_task_set_task_data (task, data, (GDestroyNotify)export_data_free);
  g_task_run_in_thread (task, export_thread);
}

/**
 * pcmbn_report_export_finish:
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the file's bytes
 */
GBytes *
pcmbn_report_export_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
