/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The report as the file writers see it: titled tables of labelled cells,
 * made once from the report JSON so that CSV, XLSX and PDF show the same
 * labels and the same numbers. Shared by the file writers
 * (pcmbn-report-export.c, -pdf.c, -xlsx.c) and pcmbn-report-preview.c, which
 * gives the app's preview the same tables; not for programs or widgets. */

#include "report/pcmbn-report-export.h"

G_BEGIN_DECLS

typedef enum
{
  PCMBN_CELL_EMPTY,
  PCMBN_CELL_TEXT,
  PCMBN_CELL_INT,
  PCMBN_CELL_FRACTION, /* shown as a percentage */
} PcmbnCellType;

typedef enum
{
  PCMBN_MARK_NONE,
  PCMBN_MARK_MET,
  PCMBN_MARK_NOT_MET,
} PcmbnMark;

typedef struct
{
  PcmbnCellType type;
  PcmbnMark mark;
  char *text;
  gint64 i;
  double d;
} PcmbnCell;

typedef struct
{
  char *key;          /* the table's key in the JSON, "indicators" for the first */
  char *title;        /* translated */
  char *sheet;        /* a short title for a spreadsheet tab */
  GPtrArray *columns; /* (element-type utf8) labels */
  GPtrArray *rows;    /* (element-type PcmbnCell[n_columns]) */
  gboolean has_total; /* the last row sums the others */
} PcmbnReportTable;

typedef struct
{
  char *org_unit;
  char *org_unit_name;
  char *from;
  char *to;
  char *period_text; /* "Year 2026" or "2026-01-01 – 2026-06-30", translated */
  GPtrArray *tables; /* (element-type PcmbnReportTable); the indicators first */
} PcmbnReportDoc;

#define PCMBN_REPORT_TABLE_CELL(table, row, column) \
  (&((PcmbnCell *)g_ptr_array_index ((table)->rows, (row)))[(column)])

PcmbnReportDoc *pcmbn_report_doc_new (JsonNode *report, GError **error);
void pcmbn_report_doc_free (PcmbnReportDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnReportDoc, pcmbn_report_doc_free)

const PcmbnReportTable *pcmbn_report_doc_find (const PcmbnReportDoc *doc, const char *key);
char *pcmbn_report_cell_to_display (const PcmbnCell *cell);
char *pcmbn_report_title (void);
char *pcmbn_report_format_date (const char *iso);

GBytes *pcmbn_report_write_pdf (const PcmbnReportDoc *doc,
                                PcmbnReportProgress progress,
                                gpointer progress_data,
                                GCancellable *cancellable,
                                GError **error);
GBytes *pcmbn_report_write_xlsx (const PcmbnReportDoc *doc,
                                 PcmbnReportProgress progress,
                                 gpointer progress_data,
                                 GCancellable *cancellable,
                                 GError **error);

/* The PDF's page breaks in a table: plain arithmetic on row heights, inline
 * here so that the PDF writer (a module loaded on demand) and the tests
 * share it without the core exporting symbols to the module. */
/**
 * pcmbn_report_rows_on_page:
 * @heights: (array length=n): the heights of the rows still to draw
 * @n: how many rows remain
 * @space: the height left on this page
 * @page_space: the height a fresh page holds, below the repeated header
 * @min_rows: the fewest rows that may stand alone at a page's top or foot
 *
 * How many of the remaining rows go on this page: as many as fit, unless
 * that would leave fewer than @min_rows to start the next page (a widow),
 * in which case some move over with them. 0 means "start a new page" (an
 * orphan would be left at this page's foot).
 *
 * Returns: the number of rows for this page
 */
static inline guint
pcmbn_report_rows_on_page (
    const double *heights, guint n, double space, double page_space, guint min_rows)
{
  double used = 0;
  guint k = 0, rest;

  while (k < n && used + heights[k] <= space)
    used += heights[k++];
  if (k == n)
    return n;
  rest = n - k;
  if (rest < min_rows)
    {
      /* Carry rows over so that the next page starts with min_rows,
       * if this page keeps min_rows itself. */
      guint move = min_rows - rest;
      k = k > move ? k - move : 0;
    }
  if (k > 0 && k < min_rows && k < n && space < page_space - 0.5)
    return 0; /* fewer than min_rows at this page's foot: all go over */
  if (k == 0 && space >= page_space - 0.5)
    return 1; /* one row taller than a page: draw it anyway */
  return k;
}

G_END_DECLS
