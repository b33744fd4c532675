/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-csv"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "records/pcmbn-csv.h"
#include "pcmbn-types.h"

/* RFC 4180 as Excel and LibreOffice write it: a UTF-8 byte order mark may
 * open the file, lines end in CRLF or LF, quoted cells may hold commas,
 * quotes (doubled) and line breaks. */

static void
row_free (PcmbnCsvRow *row)
{
  g_strfreev (row->cells);
  g_free (row);
}

/* A spreadsheet runs a cell that starts with one of these as a formula
 * (CSV injection), so a written text cell that starts with one, after any
 * number of apostrophes, gets one more apostrophe in front; reading takes
 * one away again. Counting the apostrophes keeps the round trip exact for a
 * text that itself starts with "'=". */
static gboolean
needs_formula_guard (const char *cell)
{
  const char *p = cell;
  char *num_end = NULL;

  while (*p == '\'')
    p++;
  if (*p == '\0' || strchr ("=+-@\t\r", *p) == NULL)
    return FALSE;
  /* A plain number such as -5 is not a formula and stays as it is. */
  if (p == cell && *p == '-')
    {
      g_ascii_strtod (cell, &num_end);
      if (num_end != cell && *num_end == '\0' && strpbrk (cell, "eExXnN") == NULL)
        return FALSE;
    }
  return TRUE;
}

static char *
cell_text (GString *cell)
{
  if (cell->str[0] == '\'' && needs_formula_guard (cell->str + 1))
    return g_strdup (cell->str + 1);
  return g_strdup (cell->str);
}

/**
 * pcmbn_csv_parse:
 * @text: (array length=len): the file's bytes
 * @len: their number
 * @error: return location for an error naming the row
 *
 * Blank lines are skipped; rows keep the line number a spreadsheet shows.
 *
 * Returns: (transfer full) (element-type PcmbnCsvRow): the rows, the header
 *   first, or %NULL on error
 */
GPtrArray *
pcmbn_csv_parse (const char *text, gsize len, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)row_free);
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) cell = g_string_new (NULL);
  const char *p = text, *end = text + len;
  guint line = 1, row_line = 1;
  gboolean row_has_content = FALSE;
  const char *bad_utf8;

  if (!g_utf8_validate (text, len, &bad_utf8))
    {
      guint bad_line = 1;
      gboolean quoted = FALSE;
      /* The row as a spreadsheet counts it: breaks inside quotes do not
       * start one (a doubled quote flips twice). */
      for (const char *q = text; q < bad_utf8; q++)
        {
          quoted ^= (*q == '"');
          bad_line += (*q == '\n' && !quoted);
        }
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("row %u: the file is not UTF-8 text; save it as “CSV UTF-8” and try again"),
                   bad_line);
      return NULL;
    }
  if (len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;

  while (p <= end)
    {
      if (p == end || *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n')))
        {
          if (row_has_content || cells->len > 0 || cell->len > 0)
            {
              PcmbnCsvRow *row = g_new0 (PcmbnCsvRow, 1);
              g_ptr_array_add (cells, cell_text (cell));
              g_ptr_array_add (cells, NULL);
              row->cells = (char **)g_ptr_array_steal (cells, NULL);
              row->line = row_line;
              g_ptr_array_add (rows, row);
              g_ptr_array_set_free_func (cells, g_free);
            }
          g_string_truncate (cell, 0);
          row_has_content = FALSE;
          if (p == end)
            break;
          if (*p == '\r')
            p++;
          p++;
          line++;
          row_line = line;
          continue;
        }
      if (*p == ',')
        {
          g_ptr_array_add (cells, cell_text (cell));
          g_string_truncate (cell, 0);
          row_has_content = TRUE;
          p++;
          continue;
        }
      if (*p == '"' && cell->len == 0)
        {
          p++;
          for (;;)
            {
              if (p >= end)
                {
                  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                               _ ("row %u: a quoted cell is never closed; check the quotes"),
                               row_line);
                  return NULL;
                }
              if (*p == '"')
                {
                  if (p + 1 < end && p[1] == '"')
                    {
                      g_string_append_c (cell, '"');
                      p += 2;
                      continue;
                    }
                  p++;
                  break;
                }
              /* A line break inside a cell stays in the same spreadsheet
               * row: rows are counted as a spreadsheet shows them. */
              g_string_append_c (cell, *p++);
            }
          /* Text after the closing quote is kept, as spreadsheets do. */
          row_has_content = TRUE;
          continue;
        }
      g_string_append_c (cell, *p++);
    }
  return g_steal_pointer (&rows);
}

/**
 * pcmbn_csv_begin:
 * @out: the file being written
 *
 * Writes the byte order mark that makes Excel read the file as UTF-8.
 */
void
pcmbn_csv_begin (GString *out)
{
  g_string_append (out, "\xEF\xBB\xBF");
}

static void
append_quoted (GString *out, const char *cell)
{
  if (strpbrk (cell, ",\"\r\n") != NULL || (cell[0] == ' ')
      || (*cell && cell[strlen (cell) - 1] == ' '))
    {
      g_string_append_c (out, '"');
      for (const char *p = cell; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, cell);
}

/**
 * pcmbn_csv_append_cell:
 * @out: the file being written
 * @cell: (nullable): the cell's text
 * @first: whether it opens a row
 *
 * Quotes the cell when it must, and guards a text that a spreadsheet would
 * run as a formula (see needs_formula_guard()); pcmbn_csv_parse() removes
 * the guard again.
 */
void
pcmbn_csv_append_cell (GString *out, const char *cell, gboolean first)
{
  if (!first)
    g_string_append_c (out, ',');
  if (cell == NULL)
    return;
  if (needs_formula_guard (cell))
    {
      g_autofree char *guarded = g_strconcat ("'", cell, NULL);
      append_quoted (out, guarded);
      return;
    }
  append_quoted (out, cell);
}

void
pcmbn_csv_end_row (GString *out)
{
  g_string_append (out, "\r\n");
}
