/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include <cairo-pdf.h>
#include "pcmbn-gettext.h"
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#include "report/pcmbn-report-export-private.h"
#include "pcmbn-types.h"
#include "pcmbn-util.h"

/* The report as the office prints, signs and sends it: A4, the heading
 * block of a Vietnamese administrative document (issuing body on the left,
 * the national name and motto on the right, place and date), the title and
 * period, the indicators against their targets, bar charts, every activity
 * table, a signature block and page numbers. Text is laid out with Pango in
 * a serif family that has the Vietnamese letters, so that the PDF's text
 * can be searched and copied. The document is drawn twice: once to count
 * the pages, once to number them "1/N". */

#define PAGE_WIDTH 595.276 /* A4 in points */
#define PAGE_HEIGHT 841.890
#define MARGIN_LEFT 85.0  /* 30 mm, for the binding */
#define MARGIN_RIGHT 42.5 /* 15 mm */
#define MARGIN_TOP 56.7   /* 20 mm */
#define MARGIN_BOTTOM 62.0
#define CONTENT_WIDTH (PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)
#define FONT_FAMILY "Noto Serif,DejaVu Serif,serif"
#define CELL_PAD 3.0
#define WIDE_TABLE 8 /* more columns than this are turned on their side */

typedef struct
{
  cairo_t *cr;
  const PcmbnReportDoc *doc;
  double y;
  int page;
  int n_pages; /* 0 while counting */
} Pdf;

typedef enum
{
  STYLE_NORMAL = 0,
  STYLE_BOLD = 1 << 0,
  STYLE_ITALIC = 1 << 1,
} Style;

static PangoLayout *
make_layout (
    Pdf *pdf, const char *text, double size, Style style, double width, PangoAlignment align)
{
  PangoLayout *layout = pango_cairo_create_layout (pdf->cr);
  PangoFontDescription *font = pango_font_description_from_string (FONT_FAMILY);

  /* Sizes are in points, as on paper: one PDF unit is one point. */
  pango_cairo_context_set_resolution (pango_layout_get_context (layout), 72.0);
  pango_layout_context_changed (layout);

  pango_font_description_set_size (font, (int)(size * PANGO_SCALE));
  if (style & STYLE_BOLD)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  if (style & STYLE_ITALIC)
    pango_font_description_set_style (font, PANGO_STYLE_ITALIC);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, (int)(width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, align);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static double text_width (Pdf *pdf, const char *text, double size, Style style);

static double
layout_height (PangoLayout *layout)
{
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  return (double)h / PANGO_SCALE;
}

/* Draws @text at (@x, @y) and returns its height. */
static double
draw_text (Pdf *pdf,
           double x,
           double y,
           double width,
           const char *text,
           double size,
           Style style,
           PangoAlignment align)
{
  g_autoptr (PangoLayout) layout = make_layout (pdf, text, size, style, width, align);

  cairo_move_to (pdf->cr, x, y);
  pango_cairo_show_layout (pdf->cr, layout);
  return layout_height (layout);
}

static double
text_height (Pdf *pdf, double width, const char *text, double size, Style style)
{
  g_autoptr (PangoLayout) layout = make_layout (pdf, text, size, style, width, PANGO_ALIGN_LEFT);
  return layout_height (layout);
}

static void
draw_footer (Pdf *pdf)
{
  g_autofree char *number = NULL;

  if (pdf->n_pages > 0)
    /* TRANSLATORS: page number at the foot of the report, "Trang 1/3". */
    number = g_strdup_printf (_ ("Page %d/%d"), pdf->page, pdf->n_pages);
  else
    number = g_strdup_printf (_ ("Page %d/%d"), pdf->page, 0);
  cairo_set_source_rgb (pdf->cr, 0.3, 0.3, 0.3);
  draw_text (pdf, MARGIN_LEFT, PAGE_HEIGHT - MARGIN_BOTTOM + 22.0, CONTENT_WIDTH, number, 10.0,
             STYLE_NORMAL, PANGO_ALIGN_CENTER);
  cairo_set_source_rgb (pdf->cr, 0, 0, 0);
}

static void
new_page (Pdf *pdf)
{
  draw_footer (pdf);
  cairo_show_page (pdf->cr);
  pdf->page++;
  pdf->y = MARGIN_TOP;
}

/* Starts a new page unless @height still fits on this one. */
static void
ensure_space (Pdf *pdf, double height)
{
  if (pdf->y + height > PAGE_HEIGHT - MARGIN_BOTTOM)
    new_page (pdf);
}

static void
hline (Pdf *pdf, double x1, double x2, double y, double width)
{
  cairo_set_line_width (pdf->cr, width);
  cairo_move_to (pdf->cr, x1, y);
  cairo_line_to (pdf->cr, x2, y);
  cairo_stroke (pdf->cr);
}

/* "Phường Phúc Xá" is dated "Phúc Xá, ngày …": the place without its kind. */
static char *
place_name (const char *unit_name)
{
  static const char *const prefixes[] = { "Phường ", "Xã ",     "Thị trấn ",  "Đặc khu ", "Quận ",
                                          "Huyện ",  "Thị xã ", "Thành phố ", "Tỉnh " };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (unit_name, prefixes[i]) && strlen (unit_name) > strlen (prefixes[i]))
      return g_strdup (unit_name + strlen (prefixes[i]));
  return g_strdup (unit_name);
}

/* The largest size up to @size at which @text fits on one line of @width. */
static double
fit_size (Pdf *pdf, const char *text, double size, Style style, double width)
{
  double natural = text_width (pdf, text, size, style);

  return natural <= width ? size : MAX (size * width / natural * 0.98, 9.0);
}

/* The heading of Decree 30/2020/NĐ-CP, which prescribes these words: they
 * stay Vietnamese in every language of the interface. */
static void
draw_heading (Pdf *pdf)
{
  const PcmbnReportDoc *doc = pdf->doc;
  double left_w = CONTENT_WIDTH * 0.38, right_x = MARGIN_LEFT + left_w + 8.0,
         right_w = CONTENT_WIDTH - left_w - 8.0;
  g_autofree char *upper = g_utf8_strup (doc->org_unit_name, -1);
  g_autofree char *body = g_strdup_printf ("UBND %s", upper);
  g_autofree char *place = place_name (doc->org_unit_name);
  g_autofree char *today = pcmbn_date_format (pcmbn_today ());
  g_autofree char *dated = g_strdup_printf ("%s, ngày %d tháng %d năm %d", place, atoi (today + 8),
                                            atoi (today + 5), atoi (today));
  static const char nation[] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
  double y = pdf->y, hl, hr;
  g_autoptr (PangoLayout) motto = NULL;
  int motto_w, motto_h;

  hl = draw_text (pdf, MARGIN_LEFT, y, left_w, body, fit_size (pdf, body, 12.5, STYLE_BOLD, left_w),
                  STYLE_BOLD, PANGO_ALIGN_CENTER);
  hline (pdf, MARGIN_LEFT + left_w * 0.35, MARGIN_LEFT + left_w * 0.65, y + hl + 5.0, 0.6);
  hl += 9.0;
  hl += draw_text (pdf, MARGIN_LEFT, y + hl, left_w, "Số:        /BC-UBND", 12.5, STYLE_NORMAL,
                   PANGO_ALIGN_CENTER);

  hr = draw_text (pdf, right_x, y, right_w, nation,
                  fit_size (pdf, nation, 12.5, STYLE_BOLD, right_w), STYLE_BOLD,
                  PANGO_ALIGN_CENTER);
  motto = make_layout (pdf, "Độc lập - Tự do - Hạnh phúc", 13.0, STYLE_BOLD, right_w,
                       PANGO_ALIGN_CENTER);
  cairo_move_to (pdf->cr, right_x, y + hr);
  pango_cairo_show_layout (pdf->cr, motto);
  pango_layout_get_pixel_size (motto, &motto_w, &motto_h);
  {
    PangoRectangle ink, logical;
    pango_layout_get_pixel_extents (motto, &ink, &logical);
    hline (pdf, right_x + logical.x, right_x + logical.x + logical.width, y + hr + motto_h + 2.0,
           0.6);
  }
  hr += motto_h + 9.0;
  hr += draw_text (pdf, right_x, y + hr, right_w, dated, 13.0, STYLE_ITALIC, PANGO_ALIGN_CENTER);
  pdf->y = y + MAX (hl, hr) + 22.0;
}

static void
draw_title (Pdf *pdf)
{
  const PcmbnReportDoc *doc = pdf->doc;
  g_autofree char *title = pcmbn_report_title ();
  g_autofree char *period = g_strdup_printf ("(%s)", doc->period_text);
  g_autofree char *intro = NULL, *from = NULL, *to = NULL;

  pdf->y += draw_text (pdf, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, _ ("REPORT"), 15.0, STYLE_BOLD,
                       PANGO_ALIGN_CENTER);
  pdf->y += 2.0;
  pdf->y += draw_text (pdf, MARGIN_LEFT + 20.0, pdf->y, CONTENT_WIDTH - 40.0, title, 14.0,
                       STYLE_BOLD, PANGO_ALIGN_CENTER);
  pdf->y += draw_text (pdf, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, period, 13.0, STYLE_ITALIC,
                       PANGO_ALIGN_CENTER);
  hline (pdf, MARGIN_LEFT + CONTENT_WIDTH * 0.4, MARGIN_LEFT + CONTENT_WIDTH * 0.6, pdf->y + 4.0,
         0.6);
  pdf->y += 16.0;
  from = pcmbn_report_format_date (doc->from);
  to = pcmbn_report_format_date (doc->to);
  intro = g_strdup_printf (_ ("%s (code %s) reports the results of its communication work against "
                              "human trafficking from %s to %s as follows."),
                           doc->org_unit_name, doc->org_unit, from, to);
  pdf->y += draw_text (pdf, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, intro, 13.0, STYLE_NORMAL,
                       PANGO_ALIGN_LEFT);
  pdf->y += 8.0;
}

static void
draw_section (Pdf *pdf, const char *heading)
{
  ensure_space (pdf, 60.0);
  pdf->y += 6.0;
  pdf->y += draw_text (pdf, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, heading, 13.0, STYLE_BOLD,
                       PANGO_ALIGN_LEFT);
  pdf->y += 4.0;
}

/* ---- tables -------------------------------------------------------------- */

/* A wide table with few rows reads better on its side: the trainings'
 * eleven participant columns become eleven rows. */
static PcmbnReportTable *
transpose (const PcmbnReportTable *table)
{
  PcmbnReportTable *t = g_new0 (PcmbnReportTable, 1);

  t->key = g_strdup (table->key);
  t->title = g_strdup (table->title);
  t->columns = g_ptr_array_new_with_free_func (g_free);
  t->rows = g_ptr_array_new ();
  g_ptr_array_add (t->columns, g_strdup (""));
  for (guint r = 0; r < table->rows->len; r++)
    {
      g_autofree char *label = pcmbn_report_cell_to_display (PCMBN_REPORT_TABLE_CELL (table, r, 0));
      g_ptr_array_add (t->columns, g_steal_pointer (&label));
    }
  for (guint c = 1; c < table->columns->len; c++)
    {
      PcmbnCell *cells = g_new0 (PcmbnCell, t->columns->len);
      cells[0].type = PCMBN_CELL_TEXT;
      cells[0].text = g_strdup (table->columns->pdata[c]);
      for (guint r = 0; r < table->rows->len; r++)
        {
          cells[r + 1] = *PCMBN_REPORT_TABLE_CELL (table, r, c);
          cells[r + 1].text = g_strdup (cells[r + 1].text);
        }
      g_ptr_array_add (t->rows, cells);
    }
  return t;
}

static void
transposed_free (PcmbnReportTable *t)
{
  for (guint r = 0; r < t->rows->len; r++)
    {
      PcmbnCell *cells = t->rows->pdata[r];
      for (guint c = 0; c < t->columns->len; c++)
        g_free (cells[c].text);
      g_free (cells);
    }
  g_ptr_array_unref (t->rows);
  g_ptr_array_unref (t->columns);
  g_free (t->key);
  g_free (t->title);
  g_free (t);
}

static double
text_width (Pdf *pdf, const char *text, double size, Style style)
{
  g_autoptr (PangoLayout) layout = make_layout (pdf, text, size, style, -1, PANGO_ALIGN_LEFT);
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  return (double)logical.width / PANGO_SCALE;
}

/* The widest word of @text: a column narrower than that breaks words. */
static double
word_width (Pdf *pdf, const char *text, double size, Style style)
{
  g_auto (GStrv) words = g_strsplit (text, " ", -1);
  double widest = 0;

  for (guint w = 0; words[w]; w++)
    widest = MAX (widest, text_width (pdf, words[w], size, style));
  return widest;
}

static void
water_fill (double *widths, const double *wanted, guint n, double *spare)
{
  g_autofree guint *order = g_new (guint, n);
  guint left = n;

  for (guint c = 0; c < n; c++)
    order[c] = c;
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      if (wanted[order[j]] - widths[order[j]] < wanted[order[i]] - widths[order[i]])
        {
          guint swap = order[i];
          order[i] = order[j];
          order[j] = swap;
        }
  for (guint i = 0; i < n; i++, left--)
    {
      guint c = order[i];
      double give = CLAMP (wanted[c] - widths[c], 0, *spare / left);
      widths[c] += give;
      *spare -= give;
    }
}

/* Every column first gets its widest word, so that no word is cut. The
 * room left goes first to the cells, so that a name stays on one line,
 * then to the headers, which may wrap; among columns, those that lack
 * least are served first. */
static void
column_widths (Pdf *pdf, const PcmbnReportTable *table, double size, double *widths)
{
  guint n = table->columns->len;
  g_autofree double *cells = g_new0 (double, n);
  g_autofree double *headers = g_new0 (double, n);
  double total_min = 0, spare;
  /* A few points of slack: Pango wraps on rounded widths. */
  double pad = 2 * CELL_PAD + 4.0;

  for (guint c = 0; c < n; c++)
    {
      const char *header = table->columns->pdata[c];
      widths[c] = word_width (pdf, header, size, STYLE_BOLD);
      for (guint r = 0; r < table->rows->len; r++)
        {
          const PcmbnCell *cell = PCMBN_REPORT_TABLE_CELL (table, r, c);
          g_autofree char *text = pcmbn_report_cell_to_display (cell);
          /* Room for the met / not met mark. */
          double extra = cell->mark ? size * 1.2 : 0;
          widths[c] = MAX (widths[c], word_width (pdf, text, size, STYLE_BOLD) + extra);
          cells[c] = MAX (cells[c], text_width (pdf, text, size, STYLE_BOLD) + extra);
        }
      widths[c] += pad;
      cells[c] = MAX (cells[c] + pad, widths[c]);
      headers[c] = MAX (
          MIN (text_width (pdf, header, size, STYLE_BOLD), CONTENT_WIDTH * 0.25) + pad, cells[c]);
      total_min += widths[c];
    }
  spare = CONTENT_WIDTH - total_min;
  if (spare < 0)
    {
      /* Too many columns even for their words: shrink all alike. */
      for (guint c = 0; c < n; c++)
        widths[c] *= CONTENT_WIDTH / total_min;
      return;
    }
  water_fill (widths, cells, n, &spare);
  water_fill (widths, headers, n, &spare);
  /* What is still left widens every column, so the table spans the page. */
  for (guint c = 0; c < n; c++)
    widths[c] += spare / n;
}

static double
row_height (
    Pdf *pdf, const char *const *texts, const double *widths, guint n, double size, Style style)
{
  double h = 0;

  for (guint c = 0; c < n; c++)
    h = MAX (h, text_height (pdf, widths[c] - 2 * CELL_PAD, texts[c], size, style));
  return h + 2 * CELL_PAD;
}

static void
draw_row (Pdf *pdf,
          const char *const *texts,
          const PcmbnCell *cells,
          const double *widths,
          guint n,
          double size,
          Style style,
          double height,
          gboolean header)
{
  double x = MARGIN_LEFT;

  if (header)
    {
      cairo_set_source_rgb (pdf->cr, 0.88, 0.91, 0.96);
      cairo_rectangle (pdf->cr, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, height);
      cairo_fill (pdf->cr);
      cairo_set_source_rgb (pdf->cr, 0, 0, 0);
    }
  for (guint c = 0; c < n; c++)
    {
      PangoAlignment align = PANGO_ALIGN_LEFT;
      if (header)
        align = PANGO_ALIGN_CENTER;
      else if (cells[c].type == PCMBN_CELL_INT || cells[c].type == PCMBN_CELL_FRACTION
               || cells[c].type == PCMBN_CELL_EMPTY
               || (cells[c].type == PCMBN_CELL_TEXT && c > 0 && cells[c].mark == PCMBN_MARK_NONE
                   && strlen (texts[c]) <= 3))
        align = PANGO_ALIGN_RIGHT;
      if (cells && cells[c].mark == PCMBN_MARK_MET)
        cairo_set_source_rgb (pdf->cr, 0.1, 0.5, 0.23);
      else if (cells && cells[c].mark == PCMBN_MARK_NOT_MET)
        cairo_set_source_rgb (pdf->cr, 0.75, 0.0, 0.0);
      draw_text (pdf, x + CELL_PAD, pdf->y + CELL_PAD, widths[c] - 2 * CELL_PAD, texts[c], size,
                 style, align);
      cairo_set_source_rgb (pdf->cr, 0, 0, 0);
      cairo_set_line_width (pdf->cr, 0.5);
      cairo_rectangle (pdf->cr, x, pdf->y, widths[c], height);
      cairo_stroke (pdf->cr);
      x += widths[c];
    }
  pdf->y += height;
}

/* A table never leaves fewer than this many rows alone at the top of a page,
 * nor at its foot. */
#define MIN_ROWS_TOGETHER 3

static void
draw_table (Pdf *pdf, const PcmbnReportTable *table, const char *heading)
{
  PcmbnReportTable *turned = NULL;
  guint n;
  double size;
  g_autofree double *widths = NULL;
  g_autofree const char **header = NULL;
  g_autoptr (GPtrArray) all_texts = NULL;
  g_autofree double *heights = NULL;
  double header_h;

  if (table->columns->len > WIDE_TABLE && table->rows->len + 1 <= WIDE_TABLE)
    table = turned = transpose (table);
  n = table->columns->len;
  if (n == 0)
    return;
  size = n > 8 ? 8.0 : n > 6 ? 9.0 : 10.5;
  widths = g_new0 (double, n);
  header = g_new0 (const char *, n);
  column_widths (pdf, table, size, widths);
  for (guint c = 0; c < n; c++)
    header[c] = table->columns->pdata[c];
  header_h = row_height (pdf, header, widths, n, size, STYLE_BOLD);

  /* The heading never stays alone at the foot of a page. */
  ensure_space (pdf, 18.0 + header_h + 3 * (size + 2 * CELL_PAD + 3));
  pdf->y += draw_text (pdf, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, heading, 12.0, STYLE_BOLD,
                       PANGO_ALIGN_LEFT);
  pdf->y += 3.0;
  draw_row (pdf, header, NULL, widths, n, size, STYLE_BOLD, header_h, TRUE);
  /* Every row's text and height first, so that page breaks can keep rows
   * together: the PDF left two lone rows at the top of a page. */
  all_texts = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
  heights = g_new0 (double, table->rows->len + 1);
  for (guint r = 0; r < table->rows->len; r++)
    {
      const PcmbnCell *cells = table->rows->pdata[r];
      g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
      gboolean is_total = table->has_total && r + 1 == table->rows->len;
      Style style = is_total ? STYLE_BOLD : STYLE_NORMAL;
      for (guint c = 0; c < n; c++)
        {
          char *text = pcmbn_report_cell_to_display (&cells[c]);
          if (cells[c].mark == PCMBN_MARK_MET)
            {
              char *marked = g_strconcat ("✓ ", text, NULL);
              g_free (text);
              text = marked;
            }
          else if (cells[c].mark == PCMBN_MARK_NOT_MET)
            {
              char *marked = g_strconcat ("✗ ", text, NULL);
              g_free (text);
              text = marked;
            }
          g_ptr_array_add (texts, text);
        }
      heights[r] = row_height (pdf, (const char *const *)texts->pdata, widths, n, size, style);
      g_ptr_array_add (all_texts, g_steal_pointer (&texts));
    }
  for (guint r = 0, fresh = FALSE; r < table->rows->len; fresh = TRUE)
    {
      guint k = pcmbn_report_rows_on_page (
          heights + r, table->rows->len - r, PAGE_HEIGHT - MARGIN_BOTTOM - pdf->y,
          PAGE_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP - header_h, MIN_ROWS_TOGETHER);
      if (k == 0 && fresh)
        k = 1; /* never loop on a page that holds no row */
      for (guint i = r; i < r + k; i++)
        {
          gboolean is_total = table->has_total && i + 1 == table->rows->len;
          GPtrArray *texts = all_texts->pdata[i];
          draw_row (pdf, (const char *const *)texts->pdata, table->rows->pdata[i], widths, n, size,
                    is_total ? STYLE_BOLD : STYLE_NORMAL, heights[i], FALSE);
        }
      r += k;
      if (r < table->rows->len)
        {
          new_page (pdf);
          draw_row (pdf, header, NULL, widths, n, size, STYLE_BOLD, header_h, TRUE);
        }
    }
  pdf->y += 12.0;
  if (turned)
    transposed_free (turned);
}

/* ---- charts -------------------------------------------------------------- */

typedef struct
{
  const char *label;
  double value;
  double target; /* < 0 for none */
  char *caption;
} Bar;

static void
draw_bar_chart (Pdf *pdf, const char *heading, Bar *bars, guint n, double max, gboolean fractions)
{
  double label_w = CONTENT_WIDTH * 0.36, caption_w = 70.0;
  double area_x = MARGIN_LEFT + label_w + 6.0, area_w = CONTENT_WIDTH - label_w - 6.0 - caption_w;
  double bar_h = 12.0, gap = 5.0;
  double height = 20.0;

  for (guint i = 0; i < n; i++)
    height += MAX (bar_h, text_height (pdf, label_w, bars[i].label, 10.0, STYLE_NORMAL)) + gap;
  ensure_space (pdf, height + 10.0);
  pdf->y += draw_text (pdf, MARGIN_LEFT, pdf->y, CONTENT_WIDTH, heading, 12.0, STYLE_BOLD,
                       PANGO_ALIGN_LEFT);
  pdf->y += 5.0;
  if (max <= 0)
    max = 1.0;
  for (guint i = 0; i < n; i++)
    {
      double lh = text_height (pdf, label_w, bars[i].label, 10.0, STYLE_NORMAL);
      double rh = MAX (bar_h, lh);
      double by = pdf->y + (rh - bar_h) / 2.0;
      double w = area_w * MIN (bars[i].value, max) / max;
      draw_text (pdf, MARGIN_LEFT, pdf->y, label_w, bars[i].label, 10.0, STYLE_NORMAL,
                 PANGO_ALIGN_RIGHT);
      cairo_set_source_rgb (pdf->cr, 0.93, 0.93, 0.93);
      cairo_rectangle (pdf->cr, area_x, by, area_w, bar_h);
      cairo_fill (pdf->cr);
      cairo_set_source_rgb (pdf->cr, 0.17, 0.38, 0.66);
      cairo_rectangle (pdf->cr, area_x, by, w, bar_h);
      cairo_fill (pdf->cr);
      if (bars[i].target >= 0)
        {
          double tx = area_x + area_w * MIN (bars[i].target, max) / max;
          cairo_set_source_rgb (pdf->cr, 0.8, 0.1, 0.1);
          cairo_set_line_width (pdf->cr, 1.6);
          cairo_move_to (pdf->cr, tx, by - 2.0);
          cairo_line_to (pdf->cr, tx, by + bar_h + 2.0);
          cairo_stroke (pdf->cr);
        }
      cairo_set_source_rgb (pdf->cr, 0, 0, 0);
      draw_text (pdf, area_x + area_w + 4.0, pdf->y + (rh - 12.0) / 2.0, caption_w - 4.0,
                 bars[i].caption, 10.0, STYLE_NORMAL, PANGO_ALIGN_LEFT);
      pdf->y += rh + gap;
    }
  if (fractions)
    {
      /* TRANSLATORS: the legend under the indicator chart. */
      pdf->y += draw_text (pdf, area_x, pdf->y, area_w + caption_w,
                           _ ("Blue bar: value reached; red line: target."), 10.0, STYLE_ITALIC,
                           PANGO_ALIGN_LEFT);
    }
  pdf->y += 10.0;
}

static void
draw_charts (Pdf *pdf)
{
  const PcmbnReportTable *ind = pcmbn_report_doc_find (pdf->doc, "indicators");
  const PcmbnReportTable *act = pcmbn_report_doc_find (pdf->doc, "activities_by_type");

  if (ind && ind->rows->len > 0)
    {
      g_autofree Bar *bars = g_new0 (Bar, ind->rows->len);
      double max = 1.0;
      for (guint r = 0; r < ind->rows->len; r++)
        {
          const PcmbnCell *cells = ind->rows->pdata[r];
          double den = cells[2].type == PCMBN_CELL_INT ? (double)cells[2].i : 0;
          gboolean months = cells[3].type == PCMBN_CELL_INT;
          g_autofree char *value = pcmbn_report_cell_to_display (&cells[3]);
          bars[r].label = cells[0].text;
          /* i3 counts months: drawn as the share of the period's months. */
          if (months)
            {
              bars[r].value = den > 0 ? cells[3].i / den : 0;
              bars[r].target = cells[4].type == PCMBN_CELL_INT && den > 0 ? cells[4].i / den : -1;
              bars[r].caption = g_strdup_printf ("%s/%.0f", value, den);
            }
          else
            {
              bars[r].value = cells[3].type == PCMBN_CELL_FRACTION ? cells[3].d : 0;
              bars[r].target = cells[4].type == PCMBN_CELL_FRACTION ? cells[4].d : -1;
              bars[r].caption = g_steal_pointer (&value);
            }
          max = MAX (max, MAX (bars[r].value, bars[r].target));
        }
      draw_bar_chart (pdf, _ ("Indicators against their targets"), bars, ind->rows->len, max, TRUE);
      for (guint r = 0; r < ind->rows->len; r++)
        g_free (bars[r].caption);
    }
  if (act && act->rows->len > 0 && act->columns->len > 1)
    {
      guint n = act->rows->len - (act->has_total ? 1 : 0);
      g_autofree Bar *bars = g_new0 (Bar, MAX (n, 1));
      double max = 0;
      for (guint r = 0; r < n; r++)
        {
          const PcmbnCell *cells = act->rows->pdata[r];
          bars[r].label = cells[0].text ? cells[0].text : "";
          bars[r].value = cells[1].type == PCMBN_CELL_INT ? (double)cells[1].i : 0;
          bars[r].target = -1;
          bars[r].caption = pcmbn_report_cell_to_display (&cells[1]);
          max = MAX (max, bars[r].value);
        }
      draw_bar_chart (pdf, _ ("Communication activities by type (number)"), bars, n, max, FALSE);
      for (guint r = 0; r < n; r++)
        g_free (bars[r].caption);
    }
}

static void
draw_signature (Pdf *pdf)
{
  double half = CONTENT_WIDTH / 2.0, y;
  double hl = 0, hr = 0;

  ensure_space (pdf, 150.0);
  pdf->y += 10.0;
  y = pdf->y;
  /* TRANSLATORS: the recipients block at the foot of an official letter,
   * "Nơi nhận:". */
  hl += draw_text (pdf, MARGIN_LEFT, y, half, _ ("Recipients:"), 12.0, STYLE_BOLD | STYLE_ITALIC,
                   PANGO_ALIGN_LEFT);
  /* TRANSLATORS: "- UBND cấp trên;" */
  hl += draw_text (pdf, MARGIN_LEFT, y + hl, half,
                   _ ("- The People’s Committee at the level above;"), 11.0, STYLE_NORMAL,
                   PANGO_ALIGN_LEFT);
  /* TRANSLATORS: "- Lưu: VT." */
  hl += draw_text (pdf, MARGIN_LEFT, y + hl, half, _ ("- Filed: office."), 11.0, STYLE_NORMAL,
                   PANGO_ALIGN_LEFT);
  /* TRANSLATORS: "TM. ỦY BAN NHÂN DÂN" */
  hr += draw_text (pdf, MARGIN_LEFT + half, y, half, _ ("ON BEHALF OF THE PEOPLE’S COMMITTEE"),
                   13.0, STYLE_BOLD, PANGO_ALIGN_CENTER);
  /* TRANSLATORS: "CHỦ TỊCH" */
  hr += draw_text (pdf, MARGIN_LEFT + half, y + hr, half, _ ("CHAIRPERSON"), 13.0, STYLE_BOLD,
                   PANGO_ALIGN_CENTER);
  /* TRANSLATORS: "(Ký, ghi rõ họ tên, đóng dấu)" */
  hr += draw_text (pdf, MARGIN_LEFT + half, y + hr, half, _ ("(Signature, full name and seal)"),
                   12.0, STYLE_ITALIC, PANGO_ALIGN_CENTER);
  pdf->y = y + MAX (hl, hr + 70.0);
}

/* ---- the document ---------------------------------------------------------- */

static gboolean
render (Pdf *pdf,
        PcmbnReportProgress progress,
        gpointer progress_data,
        double share,
        double offset,
        GCancellable *cancellable)
{
  const PcmbnReportDoc *doc = pdf->doc;
  guint n_tables = doc->tables->len;

  pdf->page = 1;
  pdf->y = MARGIN_TOP;
  cairo_set_source_rgb (pdf->cr, 0, 0, 0);
  draw_heading (pdf);
  draw_title (pdf);
  /* TRANSLATORS: section heading; Roman numerals as in Vietnamese reports. */
  draw_section (pdf, _ ("I. INDICATORS AGAINST THE TARGETS"));
  draw_table (pdf, doc->tables->pdata[0], _ ("Table 1. Indicators of the plan"));
  draw_section (pdf, _ ("II. CHARTS"));
  draw_charts (pdf);
  draw_section (pdf, _ ("III. RESULTS IN DETAIL"));
  for (guint t = 1; t < n_tables; t++)
    {
      const PcmbnReportTable *table = doc->tables->pdata[t];
      g_autofree char *heading = g_strdup_printf (_ ("Table %u. %s"), t + 1, table->title);
      if (g_cancellable_is_cancelled (cancellable))
        return FALSE;
      draw_table (pdf, table, heading);
      if (progress)
        progress (offset + share * t / n_tables, progress_data);
    }
  draw_signature (pdf);
  draw_footer (pdf);
  cairo_show_page (pdf->cr);
  return TRUE;
}

static cairo_status_t
write_to_array (void *closure, const unsigned char *data, unsigned int length)
{
  if (closure)
    g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
render_to (const PcmbnReportDoc *doc,
           GByteArray *out,
           int n_pages,
           int *pages_drawn,
           PcmbnReportProgress progress,
           gpointer progress_data,
           double share,
           double offset,
           GCancellable *cancellable,
           GError **error)
{
  cairo_surface_t *surface = cairo_pdf_surface_create_for_stream (write_to_array, out, PAGE_WIDTH,
                                                                  PAGE_HEIGHT);
  g_autofree char *title = pcmbn_report_title ();
  Pdf pdf = { 0 };
  gboolean ok;
  cairo_status_t status;

  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_SUBJECT, doc->org_unit_name);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR,
                                  "PCMBN Logbook " PACKAGE_VERSION);
  pdf.cr = cairo_create (surface);
  pdf.doc = doc;
  pdf.n_pages = n_pages;
  ok = render (&pdf, progress, progress_data, share, offset, cancellable);
  *pages_drawn = pdf.page;
  status = cairo_status (pdf.cr);
  cairo_destroy (pdf.cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (!ok)
    {
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot draw the PDF: %s"),
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

GBytes *
pcmbn_report_write_pdf (const PcmbnReportDoc *doc,
                        PcmbnReportProgress progress,
                        gpointer progress_data,
                        GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  int n_pages = 0, drawn = 0;

  /* The first pass only counts the pages, for "Page 1/N". */
  if (!render_to (doc, NULL, 0, &n_pages, progress, progress_data, 0.4, 0.0, cancellable, error))
    return NULL;
  if (!render_to (doc, out, n_pages, &drawn, progress, progress_data, 0.6, 0.4, cancellable, error))
    return NULL;
  if (progress)
    progress (1.0, progress_data);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
