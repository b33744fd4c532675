/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "records/pcmbn-csv.h"
#include "report/pcmbn-report-export.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"
#include "report-gen.h"

/* The report files read back the way their readers read them: the CSV
 * parsed, the XLSX unzipped and its sheet XML searched, the PDF turned into
 * text by pdftotext. Every number must be the report JSON's. */

static GenWorld *world;
static JsonNode *report; /* D1, 2026, district export with "<5" */

static GBytes *export(JsonNode *node, PcmbnReportFormat format)
{
  g_autoptr (GError) error = NULL;
  GBytes *bytes = pcmbn_report_export (node, format, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
  return bytes;
}

static GBytes *
export_in (JsonNode *node, PcmbnReportFormat format, PcmbnLang lang)
{
  g_autoptr (GError) error = NULL;
  GBytes *bytes = pcmbn_report_export_in (node, format, lang, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  return bytes;
}

static char *
save (GBytes *bytes, const char *name)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (
      g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
  return path;
}

static char *
run (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  char *out = NULL;

  proc = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  return out;
}

static JsonObject *
tables_of (JsonNode *node)
{
  return json_object_get_object_member (json_node_get_object (node), "tables");
}

/* The cells of one JSON row in the order the files lay them out. */
static GPtrArray *
row_values (JsonObject *row)
{
  GPtrArray *values = g_ptr_array_new ();
  g_autoptr (GList) members = json_object_get_members (row);

  for (GList *m = members; m; m = m->next)
    {
      JsonNode *node = json_object_get_member (row, m->data);
      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autoptr (GList) subs = json_object_get_members (json_node_get_object (node));
          for (GList *s = subs; s; s = s->next)
            g_ptr_array_add (values, json_object_get_member (json_node_get_object (node), s->data));
        }
      else
        g_ptr_array_add (values, node);
    }
  return values;
}

static void
setup_world (void)
{
  world = gen_world_new (14);
  gen_world_set_facts (world, "C01", TRUE, 5000);
  gen_world_set_facts (world, "C02", TRUE, 8000);
  gen_world_set_facts (world, "C03", TRUE, -1);
  gen_world_set_facts (world, "C04", FALSE, 3000);
  gen_world_fill (world, 5, 70);
  report = gen_report (world, "D1", "2026-01-01", "2026-12-31", PCMBN_REPORT_SUPPRESS_SMALL);
}

/* ---- CSV ------------------------------------------------------------------- */

static void
test_csv (void)
{
  g_autoptr (GBytes) bytes = export(report, PCMBN_REPORT_FORMAT_CSV);
  const char *text = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  JsonObject *indicators = json_object_get_object_member (json_node_get_object (report),
                                                          "indicators");
  JsonObject *tables = tables_of (report);
  g_autoptr (GList) names = json_object_get_members (tables);
  guint at = 3, n_small = 0;

  /* Excel reads UTF-8 only with the byte order mark; RFC 4180 wants CRLF. */
  g_assert_true (len > 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0);
  for (gsize i = 0; i < len; i++)
    if (text[i] == '\n')
      g_assert_true (i > 0 && text[i - 1] == '\r');
  rows = pcmbn_csv_parse (text, len, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (((PcmbnCsvRow *)rows->pdata[1])->cells[1], ==, "Quận Ba Đình Thử");
  g_assert_cmpstr (((PcmbnCsvRow *)rows->pdata[1])->cells[2], ==, "D1");
  g_assert_cmpstr (((PcmbnCsvRow *)rows->pdata[2])->cells[1], ==, "2026-01-01");
  g_assert_cmpstr (((PcmbnCsvRow *)rows->pdata[2])->cells[2], ==, "2026-12-31");

  /* The indicators: a title row, a header row, one row each. */
  g_assert_cmpuint (g_strv_length (((PcmbnCsvRow *)rows->pdata[at])->cells), ==, 1);
  at += 2;
  for (guint i = 0; pcmbn_indicator_keys[i]; i++, at++)
    {
      JsonObject *ind = json_object_get_object_member (indicators, pcmbn_indicator_keys[i]);
      char **cells = ((PcmbnCsvRow *)rows->pdata[at])->cells;
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            json_object_get_int_member (ind, "numerator"));
      g_autofree char *d = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            json_object_get_int_member (ind, "denominator"));
      JsonNode *value = json_object_get_member (ind, "value");
      g_assert_cmpuint (g_strv_length (cells), ==, 6);
      g_assert_cmpstr (cells[1], ==, n);
      g_assert_cmpstr (cells[2], ==, d);
      if (JSON_NODE_HOLDS_NULL (value))
        g_assert_cmpstr (cells[3], ==, "");
      else
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (cells[3], NULL),
                                        json_node_get_double (value), 1e-4);
    }

  /* Then every table, in the JSON's order, with its numbers. */
  for (GList *t = names; t; t = t->next)
    {
      JsonArray *json_rows = json_object_get_array_member (tables, t->data);
      guint n_columns;
      g_assert_cmpuint (at, <, rows->len);
      g_assert_cmpuint (g_strv_length (((PcmbnCsvRow *)rows->pdata[at])->cells), ==, 1);
      at++;
      n_columns = g_strv_length (((PcmbnCsvRow *)rows->pdata[at])->cells);
      at++;
      for (guint r = 0; r < json_array_get_length (json_rows); r++, at++)
        {
          char **cells = ((PcmbnCsvRow *)rows->pdata[at])->cells;
          g_autoptr (GPtrArray) values = row_values (json_array_get_object_element (json_rows, r));
          g_assert_cmpuint (g_strv_length (cells), ==, n_columns);
          g_assert_cmpuint (values->len, ==, n_columns);
          for (guint c = 0; c < values->len; c++)
            {
              JsonNode *v = values->pdata[c];
              if (json_node_get_value_type (v) == G_TYPE_INT64)
                {
                  g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                           json_node_get_int (v));
                  g_assert_cmpstr (cells[c], ==, want);
                }
              else if (g_strcmp0 (json_node_get_string (v), "<5") == 0)
                {
                  g_assert_cmpstr (cells[c], ==, "<5");
                  n_small++;
                }
            }
        }
      /* A total row sums every whole-number column above it. */
      if (at < rows->len && g_strv_length (((PcmbnCsvRow *)rows->pdata[at])->cells) == n_columns)
        {
          char **total = ((PcmbnCsvRow *)rows->pdata[at])->cells;
          for (guint c = 1; c < n_columns; c++)
            {
              gint64 sum = 0;
              gboolean ints = TRUE;
              for (guint r = 0; r < json_array_get_length (json_rows); r++)
                {
                  g_autoptr (GPtrArray)
                      values = row_values (json_array_get_object_element (json_rows, r));
                  JsonNode *v = values->pdata[c];
                  if (json_node_get_value_type (v) != G_TYPE_INT64)
                    ints = FALSE;
                  else
                    sum += json_node_get_int (v);
                }
              if (ints)
                {
                  g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT, sum);
                  g_assert_cmpstr (total[c], ==, want);
                }
            }
          at++;
        }
    }
  g_assert_cmpuint (at, ==, rows->len);
  g_assert_cmpuint (n_small, >, 0);
}

/* ---- XLSX ------------------------------------------------------------------ */

static char *
unzip (const char *path, const char *member)
{
  const char *argv[] = { "unzip", "-p", path, member, NULL };
  return run (argv);
}

static gboolean
has_number_cell (const char *xml, const char *ref, double value)
{
  g_autofree char *pattern = g_strdup_printf ("<c r=\"%s\"[^>]*><v>([^<]*)</v></c>", ref);
  g_autoptr (GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char *found = NULL;

  if (!g_regex_match (regex, xml, 0, &match))
    return FALSE;
  found = g_match_info_fetch (match, 1);
  return ABS (g_ascii_strtod (found, NULL) - value) < 1e-9;
}

static void
test_xlsx (void)
{
  g_autoptr (GBytes) bytes = export(report, PCMBN_REPORT_FORMAT_XLSX);
  g_autofree char *path = save (bytes, "report.xlsx");
  g_autofree char *workbook = unzip (path, "xl/workbook.xml");
  g_autofree char *strings = unzip (path, "xl/sharedStrings.xml");
  g_autofree char *styles = unzip (path, "xl/styles.xml");
  JsonObject *indicators = json_object_get_object_member (json_node_get_object (report),
                                                          "indicators");
  JsonObject *tables = tables_of (report);
  g_autoptr (GList) names = json_object_get_members (tables);
  guint sheet = 1, n_sheets = 0;

  g_assert_true (memcmp (g_bytes_get_data (bytes, NULL), "PK\x03\x04", 4) == 0);
  for (const char *p = workbook; (p = strstr (p, "<sheet ")); p++)
    n_sheets++;
  g_assert_cmpuint (n_sheets, ==, 1 + g_list_length (names));
  g_assert_nonnull (strstr (strings, "Quận Ba Đình Thử"));
  g_assert_nonnull (strstr (strings, "&lt;5"));
  g_assert_nonnull (strstr (styles, "formatCode=\"0.0%\""));
  g_assert_nonnull (strstr (styles, "formatCode=\"#,##0\""));
  g_assert_nonnull (strstr (styles, "<b/>"));

  /* Sheet 1: the indicators as numbers, fractions as fractions. */
  {
    g_autofree char *xml = unzip (path, "xl/worksheets/sheet1.xml");
    g_assert_nonnull (strstr (xml,
                              "<pane ySplit=\"4\" topLeftCell=\"A5\" activePane=\"bottomLeft\" "
                              "state=\"frozen\"/>"));
    for (guint i = 0; pcmbn_indicator_keys[i]; i++)
      {
        JsonObject *ind = json_object_get_object_member (indicators, pcmbn_indicator_keys[i]);
        JsonNode *value = json_object_get_member (ind, "value");
        g_autofree char *b = g_strdup_printf ("B%u", 5 + i);
        g_autofree char *c = g_strdup_printf ("C%u", 5 + i);
        g_autofree char *d = g_strdup_printf ("D%u", 5 + i);
        g_assert_true (has_number_cell (xml, b, json_object_get_int_member (ind, "numerator")));
        g_assert_true (has_number_cell (xml, c, json_object_get_int_member (ind, "denominator")));
        if (JSON_NODE_HOLDS_NULL (value))
          g_assert_false (has_number_cell (xml, d, 0));
        else
          g_assert_true (has_number_cell (xml, d, json_node_get_double (value)));
      }
  }

  /* One sheet per table, frozen below its header, the numbers in place. */
  for (GList *t = names; t; t = t->next)
    {
      JsonArray *json_rows = json_object_get_array_member (tables, t->data);
      g_autofree char *member = g_strdup_printf ("xl/worksheets/sheet%u.xml", ++sheet);
      g_autofree char *xml = unzip (path, member);
      g_assert_nonnull (strstr (xml, "state=\"frozen\""));
      g_assert_nonnull (strstr (xml, "<col "));
      for (guint r = 0; r < json_array_get_length (json_rows); r++)
        {
          g_autoptr (GPtrArray) values = row_values (json_array_get_object_element (json_rows, r));
          for (guint c = 0; c < values->len && c < 26; c++)
            {
              JsonNode *v = values->pdata[c];
              g_autofree char *ref = g_strdup_printf ("%c%u", 'A' + c, 5 + r);
              if (json_node_get_value_type (v) == G_TYPE_INT64)
                if (!has_number_cell (xml, ref, json_node_get_int (v)))
                  g_error ("%s %s: %" G_GINT64_FORMAT " is not in the sheet", (char *)t->data, ref,
                           json_node_get_int (v));
            }
        }
    }
}

/* ---- PDF ------------------------------------------------------------------- */

static GHashTable *
words_of (const char *text)
{
  GHashTable *words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) tokens = g_regex_split_simple ("\\s+", text, 0, 0);

  for (guint i = 0; tokens[i]; i++)
    if (*tokens[i])
      g_hash_table_add (words, g_strdup (tokens[i]));
  return words;
}

static void
test_pdf (void)
{
  g_autoptr (GBytes) bytes = export(report, PCMBN_REPORT_FORMAT_PDF);
  g_autofree char *path = save (bytes, "report.pdf");
  const char *text_argv[] = { "pdftotext", "-layout", path, "-", NULL };
  const char *info_argv[] = { "pdfinfo", path, NULL };
  g_autofree char *text = run (text_argv);
  g_autofree char *info = run (info_argv);
  g_autoptr (GHashTable) words = words_of (text);
  JsonObject *indicators = json_object_get_object_member (json_node_get_object (report),
                                                          "indicators");
  JsonObject *tables = tables_of (report);
  JsonArray *activities = json_object_get_array_member (tables, "activities_by_type");
  JsonArray *communes = json_object_get_array_member (tables, "per_commune");
  gint64 total = 0;
  int pages = 0;

  g_assert_true (memcmp (g_bytes_get_data (bytes, NULL), "%PDF-", 5) == 0);
  g_assert_nonnull (strstr (info, "A4"));
  {
    const char *p = strstr (info, "Pages:");
    g_assert_nonnull (p);
    pages = atoi (p + 6);
    g_assert_cmpint (pages, >, 1);
  }

  /* The heading block, in Vietnamese with its diacritics. */
  g_assert_nonnull (strstr (text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
  g_assert_nonnull (strstr (text, "Độc lập - Tự do - Hạnh phúc"));
  g_assert_nonnull (strstr (text, "UBND QUẬN BA ĐÌNH THỬ"));
  g_assert_nonnull (strstr (text, "Ba Đình Thử, ngày 29 tháng 11 năm 2026"));
  g_assert_nonnull (strstr (text, "/BC-UBND"));
  for (guint r = 0; r < json_array_get_length (communes); r++)
    g_assert_nonnull (strstr (
        text, json_object_get_string_member (json_array_get_object_element (communes, r), "name")));

  /* Page numbers, "1/N" to "N/N". */
  {
    g_autofree char *first = g_strdup_printf ("1/%d", pages);
    g_autofree char *last = g_strdup_printf ("%d/%d", pages, pages);
    g_assert_true (g_hash_table_contains (words, first));
    g_assert_true (g_hash_table_contains (words, last));
  }

  /* The indicators: numerator, denominator and the value as a percentage. */
  for (guint i = 0; pcmbn_indicator_keys[i]; i++)
    {
      JsonObject *ind = json_object_get_object_member (indicators, pcmbn_indicator_keys[i]);
      JsonNode *value = json_object_get_member (ind, "value");
      g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            json_object_get_int_member (ind, "numerator"));
      g_assert_true (g_hash_table_contains (words, n));
      if (!JSON_NODE_HOLDS_NULL (value) && i != 3)
        {
          g_autofree char *pct = g_strdup_printf ("%.1f%%", json_node_get_double (value) * 100);
          if (!g_hash_table_contains (words, pct))
            g_error ("%s: %s is not in the PDF", pcmbn_indicator_keys[i], pct);
        }
    }

  /* Every activity count and their total. */
  for (guint r = 0; r < json_array_get_length (activities); r++)
    {
      gint64 count = json_object_get_int_member (json_array_get_object_element (activities, r),
                                                 "count");
      g_autofree char *word = g_strdup_printf ("%" G_GINT64_FORMAT, count);
      g_assert_true (g_hash_table_contains (words, word));
      total += count;
    }
  {
    g_autofree char *word = g_strdup_printf ("%" G_GINT64_FORMAT, total);
    g_assert_true (g_hash_table_contains (words, word));
  }
  /* The counselling cells a district hides stay hidden. */
  g_assert_true (g_hash_table_contains (words, "<5"));
}

/* A PDF with one commune and nothing in it is still a whole document. */
static void
test_pdf_empty (void)
{
  g_autoptr (GenWorld) empty = gen_world_new (1);
  g_autoptr (JsonNode)
      node = gen_report (empty, "C01", "2017-01-01", "2017-12-31", PCMBN_REPORT_DEFAULT);
  g_autoptr (GBytes) bytes = export(node, PCMBN_REPORT_FORMAT_PDF);
  g_autofree char *path = save (bytes, "empty.pdf");
  const char *text_argv[] = { "pdftotext", path, "-", NULL };
  g_autofree char *text = run (text_argv);

  g_assert_nonnull (strstr (text, "UBND PHƯỜNG PHÚC XÁ"));
  g_assert_nonnull (strstr (text, "Phúc Xá, ngày"));
  g_assert_nonnull (strstr (text, "Year 2017"));
}

/* ---- JSON, bad input, the async API, the CLI -------------------------------- */

static void
test_json (void)
{
  g_autoptr (GBytes) bytes = export(report, PCMBN_REPORT_FORMAT_JSON);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                              &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (json_parser_get_root (parser), report));
}

static void
test_bad_input (void)
{
  static const char *const not_reports[] = {
    "[1, 2]",
    "{\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"}}",
    "{\"period\":{\"from\":\"2026-01-01\"},\"indicators\":{},\"tables\":{}}",
    "{\"period\":{\"from\":\"soon\",\"to\":\"2026-12-31\"},\"indicators\":{},\"tables\":{}}",
    "{\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},\"indicators\":{},"
    "\"tables\":{\"activities_by_type\":[1,2]}}",
  };
  PcmbnReportFormat format;

  for (guint i = 0; i < G_N_ELEMENTS (not_reports); i++)
    for (guint f = PCMBN_REPORT_FORMAT_CSV; f <= PCMBN_REPORT_FORMAT_XLSX; f++)
      {
        g_autoptr (JsonNode) node = json_from_string (not_reports[i], NULL);
        g_autoptr (GError) error = NULL;
        g_autoptr (GBytes) bytes = pcmbn_report_export (node, f, NULL, NULL, NULL, &error);
        g_assert_null (bytes);
        g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
      }

  /* A minimal report with empty tables is fine in every format. */
  for (guint f = PCMBN_REPORT_FORMAT_JSON; f <= PCMBN_REPORT_FORMAT_XLSX; f++)
    {
      g_autoptr (JsonNode) node = json_from_string (
          "{\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-06-30\"},\"org_unit\":\"X\","
          "\"indicators\":{},\"tables\":{\"per_commune\":[]}}",
          NULL);
      g_autoptr (GBytes) bytes = export(node, f);
    }

  g_assert_false (pcmbn_report_format_from_string ("docx", &format));
  g_assert_false (pcmbn_report_format_from_string (NULL, &format));
  g_assert_true (pcmbn_report_format_from_string ("xlsx", &format));
  g_assert_cmpint (format, ==, PCMBN_REPORT_FORMAT_XLSX);
  g_assert_cmpstr (pcmbn_report_format_content_type (PCMBN_REPORT_FORMAT_PDF), ==,
                   "application/pdf");
}

typedef struct
{
  GMainLoop *loop;
  GAsyncResult *result;
  GArray *fractions;
  GThread *thread;
  gboolean freed;
} AsyncState;

static void
on_progress (double fraction, gpointer user_data)
{
  AsyncState *state = user_data;

  /* Told in the caller's thread, as a window needs it. */
  g_assert_true (g_thread_self () == state->thread);
  g_array_append_val (state->fractions, fraction);
}

static void
on_freed (gpointer user_data)
{
  AsyncState *state = user_data;

  g_assert_true (g_thread_self () == state->thread);
  state->freed = TRUE;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncState *state = user_data;

  state->result = g_object_ref (result);
  g_main_loop_quit (state->loop);
}

static void
test_async (void)
{
  for (guint f = PCMBN_REPORT_FORMAT_CSV; f <= PCMBN_REPORT_FORMAT_XLSX; f++)
    {
      AsyncState state = { g_main_loop_new (NULL, FALSE), NULL,
                           g_array_new (FALSE, FALSE, sizeof (double)), g_thread_self (), FALSE };
      g_autofree char *dir = pcmbn_test_tmpdir ();
      g_autofree char *path = g_build_filename (dir, "out", NULL);
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *contents = NULL;
      gsize len;

      pcmbn_report_export_async (report, f, file, on_progress, &state, on_freed, NULL, on_done,
                                 &state);
      g_main_loop_run (state.loop);
      bytes = pcmbn_report_export_finish (state.result, &error);
      g_assert_no_error (error);
      g_assert_nonnull (bytes);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_cmpmem (contents, len, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (f == PCMBN_REPORT_FORMAT_CSV)
        {
          g_autoptr (GBytes) sync = export(report, f);
          g_assert_true (g_bytes_equal (sync, bytes));
        }
      g_assert_cmpuint (state.fractions->len, >, 0);
      for (guint i = 1; i < state.fractions->len; i++)
        g_assert_cmpfloat (g_array_index (state.fractions, double, i), >=,
                           g_array_index (state.fractions, double, i - 1));
      g_assert_cmpfloat (g_array_index (state.fractions, double, state.fractions->len - 1), ==,
                         1.0);
      g_clear_object (&state.result);
      /* The task goes, then its progress data, in this thread. */
      while (!state.freed)
        g_main_context_iteration (NULL, TRUE);
      g_array_unref (state.fractions);
      g_main_loop_unref (state.loop);
    }
}

static void
test_async_cancelled (void)
{
  AsyncState state = { g_main_loop_new (NULL, FALSE), NULL,
                       g_array_new (FALSE, FALSE, sizeof (double)), g_thread_self (), FALSE };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "never.pdf", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  g_cancellable_cancel (cancellable);
  pcmbn_report_export_async (report, PCMBN_REPORT_FORMAT_PDF, file, NULL, NULL, NULL, cancellable,
                             on_done, &state);
  g_main_loop_run (state.loop);
  bytes = pcmbn_report_export_finish (state.result, &error);
  g_assert_null (bytes);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_object (&state.result);
  g_array_unref (state.fractions);
  g_main_loop_unref (state.loop);
}

static void
test_cli (void)
{
  g_autoptr (JsonNode)
      own = gen_report (world, "C01", "2026-01-01", "2026-12-31", PCMBN_REPORT_DEFAULT);
  /* An official document: Vietnamese unless --lang says otherwise. */
  g_autoptr (GBytes) csv = export_in (own, PCMBN_REPORT_FORMAT_CSV, PCMBN_LANG_VI);
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *xlsx = g_build_filename (dir, "r.xlsx", NULL);
  g_autofree char *out = NULL, *err = NULL;

  /* The commune's own report, the same bytes as the library's. */
  {
    const char *argv[] = {
      "--db", world->path, "report", "--year", "2026", "--format", "csv", NULL
    };
    g_assert_cmpint (pcmbn_test_run_cli (argv, NULL, &out, &err), ==, 0);
    g_assert_cmpmem (out, strlen (out), g_bytes_get_data (csv, NULL), g_bytes_get_size (csv));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* Binary formats go to stdout without -o. */
  {
    const char *argv[] = {
      "--db", world->path, "report", "--year", "2026", "--format", "pdf", NULL
    };
    g_assert_cmpint (pcmbn_test_run_cli (argv, NULL, &out, &err), ==, 0);
    g_assert_true (g_str_has_prefix (out, "%PDF-"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *argv[] = { "--db",       world->path, "report", "--from", "2026-01-01", "--to",
                           "2026-06-30", "--format",  "xlsx",   "-o",     xlsx,         NULL };
    g_autofree char *sheet = NULL;
    g_assert_cmpint (pcmbn_test_run_cli (argv, NULL, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "");
    sheet = unzip (xlsx, "xl/worksheets/sheet1.xml");
    g_assert_nonnull (strstr (sheet, "state=\"frozen\""));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* Unknown formats are a usage error and write nothing. */
  {
    const char *argv[] = {
      "--db", world->path, "report", "--year", "2026", "--format", "docx", NULL
    };
    g_assert_cmpint (pcmbn_test_run_cli (argv, NULL, &out, &err), ==, 2);
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, "format"));
  }
}

/* The document's language is the caller's, never the process locale's:
 * the labels, the catalogue entries and the way numbers are written. */
static void
test_lang (void)
{
  g_autoptr (GBytes) vi = export_in (report, PCMBN_REPORT_FORMAT_CSV, PCMBN_LANG_VI);
  g_autoptr (GBytes) en = export_in (report, PCMBN_REPORT_FORMAT_CSV, PCMBN_LANG_EN);
  g_autoptr (GBytes) plain = export(report, PCMBN_REPORT_FORMAT_CSV);
  g_autoptr (GBytes) vi_pdf = export_in (report, PCMBN_REPORT_FORMAT_PDF, PCMBN_LANG_VI);
  g_autofree char *vi_text = g_strndup (g_bytes_get_data (vi, NULL), g_bytes_get_size (vi));
  g_autofree char *en_text = g_strndup (g_bytes_get_data (en, NULL), g_bytes_get_size (en));
  g_autofree char *path = save (vi_pdf, "vi.pdf");
  const char *text_argv[] = { "pdftotext", path, "-", NULL };
  g_autofree char *pdf_text = run (text_argv);

  g_assert_nonnull (strstr (vi_text, "Báo cáo kết quả thực hiện Kế hoạch truyền thông"));
  g_assert_nonnull (strstr (vi_text, "Chỉ tiêu,Tử số,Mẫu số,Kết quả"));
  /* A catalogue entry, from the schema's own Vietnamese label. */
  g_assert_nonnull (strstr (vi_text, "Nói chuyện chuyên đề"));
  g_assert_null (strstr (vi_text, "Indicator"));
  g_assert_nonnull (strstr (en_text, "Indicator,Numerator,Denominator,Value"));
  g_assert_nonnull (strstr (en_text, "Community talk"));
  g_assert_null (strstr (en_text, "Chỉ tiêu"));
  /* The test runs in C.UTF-8: the process's own language is English, and a
   * document in Vietnamese did not change it. */
  g_assert_true (g_bytes_equal (plain, en));
  g_assert_cmpint (pcmbn_lang_current (), ==, PCMBN_LANG_EN);
  g_assert_false (pcmbn_is_vietnamese ());
  /* The PDF: its headings, and a percentage written with a decimal comma. */
  g_assert_nonnull (strstr (pdf_text, "BÁO CÁO"));
  g_assert_nonnull (strstr (pdf_text, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"));
  g_assert_true (g_regex_match_simple ("[0-9],[0-9]%", pdf_text, 0, 0));
  g_assert_null (strstr (pdf_text, "REPORT"));
}

typedef struct
{
  PcmbnLang lang;
  GBytes *expected;
  guint mismatches;
} LangWorker;

static gpointer
lang_worker (gpointer data)
{
  LangWorker *w = data;

  for (guint i = 0; i < 15; i++)
    {
      g_autoptr (GBytes) bytes = pcmbn_report_export_in (report, PCMBN_REPORT_FORMAT_CSV, w->lang,
                                                         NULL, NULL, NULL, NULL);
      if (bytes == NULL || !g_bytes_equal (bytes, w->expected))
        w->mismatches++;
    }
  return NULL;
}

/* A server renders reports for several people at once: each thread gets
 * its own language, every time. */
static void
test_lang_threads (void)
{
  g_autoptr (GBytes) vi = export_in (report, PCMBN_REPORT_FORMAT_CSV, PCMBN_LANG_VI);
  g_autoptr (GBytes) en = export_in (report, PCMBN_REPORT_FORMAT_CSV, PCMBN_LANG_EN);
  LangWorker workers[4];
  GThread *threads[G_N_ELEMENTS (workers)];

  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      workers[i].lang = i % 2 ? PCMBN_LANG_EN : PCMBN_LANG_VI;
      workers[i].expected = i % 2 ? en : vi;
      workers[i].mismatches = 0;
      threads[i] = g_thread_new ("lang", lang_worker, &workers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (workers[i].mismatches, ==, 0);
    }
}

/* Both programs, in the plain C locale a systemd service runs in. */
static void
test_lang_cli (void)
{
  static const char *const c_locale[] = { "LC_ALL", "C", "LANG", "C", "LANGUAGE", "", NULL };
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *server_db = g_build_filename (dir, "district.sqlite", NULL);
  g_autofree char *out_file = g_build_filename (dir, "r.csv", NULL);
  const char *district = g_getenv ("PCMBN_DISTRICT");

  {
    const char *argv[] = {
      "--db", world->path, "report", "--year", "2026", "--format", "csv", NULL
    };
    g_autofree char *out = NULL;
    g_assert_cmpint (pcmbn_test_run_cli_env (argv, c_locale, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "Báo cáo kết quả thực hiện Kế hoạch truyền thông"));
    g_assert_nonnull (strstr (out, "Chỉ tiêu,Tử số,Mẫu số"));
  }
  {
    const char *argv[] = { "--db",   world->path, "report",   "--year", "2026",
                           "--lang", "en",        "--format", "csv",    NULL };
    g_autofree char *out = NULL;
    g_assert_cmpint (pcmbn_test_run_cli_env (argv, c_locale, NULL, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "Indicator,Numerator,Denominator"));
    g_assert_null (strstr (out, "Chỉ tiêu"));
  }
  {
    const char *argv[] = { "--db", world->path, "report", "--year", "2026",   "--format",
                           "csv",  "--lang",    "xx",     "-o",     out_file, NULL };
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (pcmbn_test_run_cli_env (argv, c_locale, NULL, &out, &err), ==, 2);
    g_assert_true (g_str_has_prefix (err, "lang: "));
    g_assert_nonnull (strstr (err, "vi or en"));
    g_assert_cmpstr (out, ==, "");
    g_assert_false (g_file_test (out_file, G_FILE_TEST_EXISTS));
  }

  /* pcmbn-district report, on a server database of its own. */
  g_assert_nonnull (district);
  {
    const char *argv[] = { district, "init", "--db", server_db, "--org-unit", "001", NULL };
    g_autoptr (GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, NULL);
    g_assert_true (g_subprocess_wait_check (p, NULL, NULL));
  }
  for (guint i = 0; i < 3; i++)
    {
      const char *lang = i == 0 ? NULL : i == 1 ? "en" : "xx";
      const char *argv[] = { district,   "report", "--db",
                             server_db,  "--year", "2026",
                             "--format", "csv",    lang ? "--lang" : NULL,
                             lang,       NULL };
      g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr (GSubprocess) p = NULL;
      g_autofree char *out = NULL, *err = NULL;

      for (guint e = 0; c_locale[e]; e += 2)
        g_subprocess_launcher_setenv (launcher, c_locale[e], c_locale[e + 1], TRUE);
      p = g_subprocess_launcher_spawnv (launcher, argv, NULL);
      g_assert_nonnull (p);
      g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, &err, NULL));
      if (i == 0)
        {
          g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
          g_assert_nonnull (strstr (out, "Chỉ tiêu,Tử số,Mẫu số"));
        }
      else if (i == 1)
        {
          g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
          g_assert_nonnull (strstr (out, "Indicator,Numerator,Denominator"));
        }
      else
        {
          g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
          g_assert_nonnull (strstr (err, "lang: "));
          g_assert_cmpstr (out, ==, "");
        }
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  pcmbn_i18n_init ();
  g_test_init (&argc, &argv, NULL);
  setup_world ();
  g_test_add_func ("/report/export/csv", test_csv);
  g_test_add_func ("/report/export/xlsx", test_xlsx);
  g_test_add_func ("/report/export/pdf", test_pdf);
  g_test_add_func ("/report/export/pdf-empty", test_pdf_empty);
  g_test_add_func ("/report/export/json", test_json);
  g_test_add_func ("/report/export/bad-input", test_bad_input);
  g_test_add_func ("/report/export/async", test_async);
  g_test_add_func ("/report/export/async-cancelled", test_async_cancelled);
  g_test_add_func ("/report/export/cli", test_cli);
  g_test_add_func ("/report/export/lang", test_lang);
  g_test_add_func ("/report/export/lang-threads", test_lang_threads);
  g_test_add_func ("/report/export/lang-cli", test_lang_cli);
  status = g_test_run ();
  json_node_unref (report);
  gen_world_free (world);
  return status;
}
