/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char **cells; /* NULL-terminated */
  guint line;   /* the row number a spreadsheet shows: the header is row 1 */
} PcmbnCsvRow;

GPtrArray *pcmbn_csv_parse (const char *text, gsize len, GError **error);
void pcmbn_csv_append_cell (GString *out, const char *cell, gboolean first);
void pcmbn_csv_end_row (GString *out);
void pcmbn_csv_begin (GString *out);

G_END_DECLS
