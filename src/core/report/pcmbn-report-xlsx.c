/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include "pcmbn-gettext.h"
#include <glib/gstdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <xlsxwriter.h>

#include "report/pcmbn-report-export-private.h"
#include "pcmbn-types.h"
#include "pcmbn-util.h"

/* The report as a workbook: one sheet per table, each with the report's
 * heading above a bold, frozen header row, real numbers (so that the office
 * can sum and chart them) with thousands and percentage formats, and column
 * widths that fit the labels. libxlsxwriter writes only to a file name, so
 * the workbook goes to a temporary file that is read back. */

#define HEADER_ROW 3
#define SHEET_NAME_MAX 31

typedef struct
{
  lxw_format *title;
  lxw_format *subtitle;
  lxw_format *header;
  lxw_format *text;
  lxw_format *integer;
  lxw_format *percent;
  lxw_format *total_text;
  lxw_format *total_integer;
  lxw_format *met;
  lxw_format *not_met;
} Formats;

static lxw_format *
cell_format (lxw_workbook *wb, gboolean bold, const char *num_format, lxw_color_t color)
{
  lxw_format *f = workbook_add_format (wb);

  format_set_border (f, LXW_BORDER_THIN);
  format_set_align (f, LXW_ALIGN_VERTICAL_CENTER);
  if (bold)
    format_set_bold (f);
  if (num_format)
    format_set_num_format (f, num_format);
  if (color)
    format_set_font_color (f, color);
  return f;
}

static void
formats_init (Formats *fm, lxw_workbook *wb)
{
  fm->title = workbook_add_format (wb);
  format_set_bold (fm->title);
  format_set_font_size (fm->title, 13);
  fm->subtitle = workbook_add_format (wb);
  format_set_italic (fm->subtitle);
  fm->header = workbook_add_format (wb);
  format_set_bold (fm->header);
  format_set_text_wrap (fm->header);
  format_set_align (fm->header, LXW_ALIGN_CENTER);
  format_set_align (fm->header, LXW_ALIGN_VERTICAL_CENTER);
  format_set_bg_color (fm->header, 0xD9E2F3);
  format_set_border (fm->header, LXW_BORDER_THIN);
  fm->text = cell_format (wb, FALSE, NULL, 0);
  format_set_text_wrap (fm->text);
  fm->integer = cell_format (wb, FALSE, "#,##0", 0);
  fm->percent = cell_format (wb, FALSE, "0.0%", 0);
  fm->total_text = cell_format (wb, TRUE, NULL, 0);
  fm->total_integer = cell_format (wb, TRUE, "#,##0", 0);
  fm->met = cell_format (wb, TRUE, NULL, 0x1B7F3B);
  fm->not_met = cell_format (wb, TRUE, NULL, 0xC00000);
}

/* Excel refuses sheet names over 31 characters, with []:*?/\ or twice the
 * same; translations are free to be long. */
static char *
sheet_name (const char *wanted, GHashTable *taken)
{
  g_autoptr (GString) name = g_string_new (NULL);
  guint n = 0;

  for (const char *p = wanted; *p && n < SHEET_NAME_MAX; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      if (strchr ("[]:*?/\\'", (int)(c < 128 ? c : 'a')) != NULL && c < 128)
        c = '-';
      g_string_append_unichar (name, c);
    }
  g_strstrip (name->str);
  g_string_set_size (name, strlen (name->str));
  if (name->len == 0)
    g_string_assign (name, "Sheet");
  for (guint i = 2; g_hash_table_contains (taken, name->str); i++)
    {
      g_autofree char *suffix = g_strdup_printf (" %u", i);
      g_autofree char *base = g_strdup (wanted);
      glong keep = SHEET_NAME_MAX - (glong)strlen (suffix);
      char *cut = g_utf8_offset_to_pointer (base, MIN (keep, g_utf8_strlen (base, -1)));
      *cut = '\0';
      g_string_printf (name, "%s%s", base, suffix);
    }
  g_hash_table_add (taken, g_strdup (name->str));
  return g_string_free (g_steal_pointer (&name), FALSE);
}

/* Spreadsheet widths are in characters of the default font. */
static double
column_width (const PcmbnReportTable *table, guint c)
{
  glong widest = 0;

  for (guint r = 0; r < table->rows->len; r++)
    {
      g_autofree char *text = pcmbn_report_cell_to_display (PCMBN_REPORT_TABLE_CELL (table, r, c));
      widest = MAX (widest, g_utf8_strlen (text, -1));
    }
  /* Headers wrap, so only their longest word has to fit. */
  {
    g_auto (GStrv) words = g_strsplit (table->columns->pdata[c], " ", -1);
    for (guint w = 0; words[w]; w++)
      widest = MAX (widest, g_utf8_strlen (words[w], -1));
  }
  return CLAMP ((double)widest + 2.0, c == 0 ? 14.0 : 10.0, c == 0 ? 60.0 : 18.0);
}

static void
write_sheet (lxw_workbook *wb,
             const Formats *fm,
             const PcmbnReportDoc *doc,
             const PcmbnReportTable *table,
             const char *name,
             const char *report_title)
{
  lxw_worksheet *ws = workbook_add_worksheet (wb, name);
  g_autofree char *unit_line = g_strdup_printf ("%s (%s) — %s", doc->org_unit_name, doc->org_unit,
                                                doc->period_text);
  guint n_columns = table->columns->len;
  guint max_header_lines = 1;

  worksheet_write_string (ws, 0, 0, table == doc->tables->pdata[0] ? report_title : table->title,
                          fm->title);
  worksheet_write_string (ws, 1, 0, unit_line, fm->subtitle);
  for (guint c = 0; c < n_columns; c++)
    {
      double width = column_width (table, c);
      const char *label = table->columns->pdata[c];
      guint lines = (guint)(g_utf8_strlen (label, -1) / MAX (width - 2.0, 1.0)) + 1;
      worksheet_set_column (ws, c, c, width, NULL);
      worksheet_write_string (ws, HEADER_ROW, c, label, fm->header);
      max_header_lines = MAX (max_header_lines, lines);
    }
  worksheet_set_row (ws, HEADER_ROW, 15.0 * MIN (max_header_lines, 4), NULL);
  for (guint r = 0; r < table->rows->len; r++)
    {
      gboolean is_total = table->has_total && r + 1 == table->rows->len;
      lxw_row_t row = HEADER_ROW + 1 + r;
      for (guint c = 0; c < n_columns; c++)
        {
          const PcmbnCell *cell = PCMBN_REPORT_TABLE_CELL (table, r, c);
          switch (cell->type)
            {
              case PCMBN_CELL_INT:
                worksheet_write_number (ws, row, c, (double)cell->i,
                                        is_total ? fm->total_integer : fm->integer);
                break;
              case PCMBN_CELL_FRACTION:
                worksheet_write_number (ws, row, c, cell->d, fm->percent);
                break;
              case PCMBN_CELL_TEXT:
                worksheet_write_string (ws, row, c, cell->text,
                                        cell->mark == PCMBN_MARK_MET       ? fm->met
                                        : cell->mark == PCMBN_MARK_NOT_MET ? fm->not_met
                                        : is_total                         ? fm->total_text
                                                                           : fm->text);
                break;
              case PCMBN_CELL_EMPTY:
              default:
                worksheet_write_blank (ws, row, c, fm->text);
                break;
            }
        }
    }
  /* The header stays in view while scrolling through many communes. */
  worksheet_freeze_panes (ws, HEADER_ROW + 1, 0);
  worksheet_set_landscape (ws);
  worksheet_set_paper (ws, 9); /* A4 */
  worksheet_fit_to_pages (ws, 1, 0);
  worksheet_repeat_rows (ws, HEADER_ROW, HEADER_ROW);
}

GBytes *
pcmbn_report_write_xlsx (const PcmbnReportDoc *doc,
                         PcmbnReportProgress progress,
                         gpointer progress_data,
                         GCancellable *cancellable,
                         GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *title = pcmbn_report_title ();
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lxw_workbook_options options = { .constant_memory = LXW_FALSE, .tmpdir = NULL };
  lxw_doc_properties properties = { 0 };
  lxw_workbook *wb;
  lxw_error rc;
  Formats fm;
  char *contents = NULL;
  gsize len = 0;
  int fd;

  fd = g_file_open_tmp ("pcmbn-report-XXXXXX.xlsx", &path, error);
  if (fd < 0)
    return NULL;
  g_close (fd, NULL);
  options.tmpdir = (char *)g_get_tmp_dir ();
  wb = workbook_new_opt (path, &options);
  if (wb == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot create the workbook %s."),
                   path);
      g_unlink (path);
      return NULL;
    }
  properties.title = title;
  properties.subject = doc->org_unit_name;
  properties.comments = (char *)"PCMBN Logbook " PACKAGE_VERSION;
  workbook_set_properties (wb, &properties);
  formats_init (&fm, wb);

  for (guint t = 0; t < doc->tables->len; t++)
    {
      const PcmbnReportTable *table = doc->tables->pdata[t];
      g_autofree char *name = sheet_name (table->sheet, taken);
      if (g_cancellable_is_cancelled (cancellable))
        break;
      write_sheet (wb, &fm, doc, table, name, title);
      if (progress)
        progress (0.9 * (t + 1) / doc->tables->len, progress_data);
    }

  rc = workbook_close (wb);
  if (rc == LXW_NO_ERROR && !g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      if (!g_file_get_contents (path, &contents, &len, error))
        contents = NULL;
    }
  else if (rc != LXW_NO_ERROR)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot write the workbook: %s"),
                 lxw_strerror (rc));
  g_unlink (path);
  if (contents == NULL)
    return NULL;
  if (progress)
    progress (1.0, progress_data);
  return g_bytes_new_take (contents, len);
}
