/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CSV as spreadsheets read and write it: the parser, the export and the
 * all-or-nothing import, round trips of every kind through a fresh
 * database, and errors that name the row and the column. */
#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "records/pcmbn-csv.h"
#include "store/pcmbn-demo.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

#define BOM "\xEF\xBB\xBF"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* ---- helpers ------------------------------------------------------------ */

static JsonObject *
json_q (const char *quoted)
{
  g_autofree char *text = g_strdup (quoted);

  g_strdelimit (text, "'", '"');
  return pcmbn_test_json (text);
}

static GPtrArray *
parse_ok (const char *text, gsize len)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *rows = pcmbn_csv_parse (text, len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return rows;
}

static void
assert_row (GPtrArray *rows, guint i, guint line, const char *const *cells)
{
  PcmbnCsvRow *row;

  g_assert_cmpuint (i, <, rows->len);
  row = rows->pdata[i];
  g_assert_cmpuint (row->line, ==, line);
  g_assert_cmpuint (g_strv_length (row->cells), ==, g_strv_length ((char **)cells));
  for (guint c = 0; cells[c]; c++)
    g_assert_cmpstr (row->cells[c], ==, cells[c]);
}

#define CELLS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static char *
add_ok (PcmbnStore *store, const char *kind, const char *quoted)
{
  g_autoptr (JsonObject) data = json_q (quoted);
  g_autoptr (GError) error = NULL;
  char *uuid = pcmbn_store_add (store, kind, data, &error);

  g_assert_no_error (error);
  g_assert_nonnull (uuid);
  return uuid;
}

static char *
export_csv (PcmbnStore *store, const char *kind, gsize *len)
{
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  char *text = pcmbn_store_export_csv (store, kind, &n, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), ==, n);
  if (len)
    *len = n;
  return text;
}

/* Imports @csv and expects a refusal whose lines include @line_prefix. */
static char *
import_refused (PcmbnStore *store, const char *kind, const char *csv)
{
  g_autoptr (GError) error = NULL;
  guint n = 12345;

  g_assert_false (pcmbn_store_import_csv (store, kind, csv, strlen (csv), &n, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_cmpuint (n, ==, 12345);
  return g_strdup (error->message);
}

static gboolean
has_line_starting (const char *text, const char *prefix)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return TRUE;
  return FALSE;
}

static void
assert_has_line (const char *text, const char *prefix)
{
  if (!has_line_starting (text, prefix))
    g_test_message ("no line starts with “%s” in:\n%s", prefix, text);
  g_assert_true (has_line_starting (text, prefix));
}

/* ---- parser ------------------------------------------------------------- */

static void
test_parse_bom (void)
{
  static const char text[] = BOM "tiêu đề,số\r\nNói chuyện,12\r\n";
  g_autoptr (GPtrArray) rows = parse_ok (text, strlen (text));

  g_assert_cmpuint (rows->len, ==, 2);
  assert_row (rows, 0, 1, CELLS ("tiêu đề", "số"));
  assert_row (rows, 1, 2, CELLS ("Nói chuyện", "12"));

  /* A BOM is only skipped at the very start */
  {
    static const char mid[] = "a\n" BOM "b\n";
    g_autoptr (GPtrArray) r = parse_ok (mid, strlen (mid));
    assert_row (r, 1, 2, CELLS (BOM "b"));
  }
}

static void
test_parse_line_ends (void)
{
  static const char *const variants[] = {
    "a,b\n1,2\n3,4\n",     "a,b\r\n1,2\r\n3,4\r\n", "a,b\r\n1,2\n3,4",
    "a,b\n1,2\r\n3,4\r\n", BOM "a,b\r\n1,2\r\n3,4",
  };

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr (GPtrArray) rows = parse_ok (variants[i], strlen (variants[i]));
      g_assert_cmpuint (rows->len, ==, 3);
      assert_row (rows, 0, 1, CELLS ("a", "b"));
      assert_row (rows, 1, 2, CELLS ("1", "2"));
      assert_row (rows, 2, 3, CELLS ("3", "4"));
    }
  /* Blank lines are skipped but still counted, as a spreadsheet shows them */
  {
    static const char text[] = "a,b\n\n1,2\r\n\r\n\r\n3,4\n\n";
    g_autoptr (GPtrArray) rows = parse_ok (text, strlen (text));
    g_assert_cmpuint (rows->len, ==, 3);
    assert_row (rows, 1, 3, CELLS ("1", "2"));
    assert_row (rows, 2, 6, CELLS ("3", "4"));
  }
  /* Empty input: no rows */
  {
    g_autoptr (GPtrArray) rows = parse_ok ("", 0);
    g_assert_cmpuint (rows->len, ==, 0);
  }
}

static void
test_parse_quoted (void)
{
  static const char text[] = "h1,h2,h3,h4,h5\r\n"
                             "\"Phúc Xá, Ba Đình\",\"nói \"\"không\"\" với\",\"dòng 1\ndòng 2\","
                             "plain,\"\"\r\n"
                             "\"a\r\nb\",\",\",\"\"\"\",,\r\n"
                             "x,y,z,\"\n\n\",w\r\n";
  g_autoptr (GPtrArray) rows = parse_ok (text, strlen (text));

  g_assert_cmpuint (rows->len, ==, 4);
  assert_row (rows, 1, 2,
              CELLS ("Phúc Xá, Ba Đình", "nói \"không\" với", "dòng 1\ndòng 2", "plain", ""));
  /* A cell's line breaks do not start a new spreadsheet row */
  assert_row (rows, 2, 3, CELLS ("a\r\nb", ",", "\"", "", ""));
  assert_row (rows, 3, 4, CELLS ("x", "y", "z", "\n\n", "w"));

  /* Empty cells, leading and trailing */
  {
    static const char empty[] = ",a,,b,\n";
    g_autoptr (GPtrArray) r = parse_ok (empty, strlen (empty));
    assert_row (r, 0, 1, CELLS ("", "a", "", "b", ""));
  }
}

static void
test_parse_unclosed_quote (void)
{
  static const char text[] = "h1,h2\n1,2\n3,\"không đóng\n4,5\n6,7\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = pcmbn_csv_parse (text, strlen (text), &error);

  g_assert_null (rows);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  /* the row where the cell opens */
  g_assert_true (g_str_has_prefix (error->message, "row 3:"));
  g_clear_error (&error);

  /* after a well-closed multi-line cell the row count stays right */
  {
    static const char t2[] = "h1,h2\n\"a\nb\nc\",2\n3,\"oops\n";
    g_autoptr (GPtrArray) r = pcmbn_csv_parse (t2, strlen (t2), &error);
    g_assert_null (r);
    g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, "row 3:"));
  }
}

static void
test_parse_invalid_utf8 (void)
{
  /* Latin-1 "Phúc Xá" saved by an old spreadsheet */
  static const char text[] = "h1,h2\nok,1\nPh\xfa\x63 X\xe1,2\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = pcmbn_csv_parse (text, strlen (text), &error);

  g_assert_null (rows);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "row 3:"));
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);

  /* rows counted as a spreadsheet does, past a multi-line cell */
  {
    static const char t2[] = "h1,h2\n\"a\nb\",1\nok,\"x \"\"y\"\"\n\xff\"\n";
    g_autoptr (GPtrArray) r = pcmbn_csv_parse (t2, strlen (t2), &error);
    g_assert_null (r);
    g_assert_true (g_str_has_prefix (error->message, "row 3:"));
  }
}

static void
test_write_cells (void)
{
  g_autoptr (GString) out = g_string_new (NULL);

  pcmbn_csv_begin (out);
  pcmbn_csv_append_cell (out, "plain", TRUE);
  pcmbn_csv_append_cell (out, "Phúc Xá, Ba Đình", FALSE);
  pcmbn_csv_append_cell (out, "nói \"không\"", FALSE);
  pcmbn_csv_append_cell (out, "dòng 1\ndòng 2", FALSE);
  pcmbn_csv_append_cell (out, "a\rb", FALSE);
  pcmbn_csv_append_cell (out, " lề", FALSE);
  pcmbn_csv_append_cell (out, "", FALSE);
  pcmbn_csv_append_cell (out, NULL, FALSE);
  pcmbn_csv_end_row (out);
  g_assert_cmpstr (out->str, ==,
                   BOM "plain,\"Phúc Xá, Ba Đình\",\"nói \"\"không\"\"\",\"dòng 1\ndòng 2\","
                       "\"a\rb\",\" lề\",,\r\n");
  /* and back */
  {
    g_autoptr (GPtrArray) rows = parse_ok (out->str, out->len);
    g_assert_cmpuint (rows->len, ==, 1);
    assert_row (rows, 0, 1,
                CELLS ("plain", "Phúc Xá, Ba Đình", "nói \"không\"", "dòng 1\ndòng 2", "a\rb",
                       " lề", "", ""));
  }
}

/* A text that a spreadsheet would run as a formula gets an apostrophe in
 * front, a plain number does not, and reading takes the apostrophe away. */
static void
test_write_formula_guard (void)
{
  static const char *const cells[] = { "=1+2", "+84", "-x",   "@SUM(A1)", "\tb", "\rc", "'=d",
                                       "''+e", "-5",  "-2.5", "'plain",   "a=b", NULL };
  static const char *const written[] = { "'=1+2",    "'+84", "'-x",   "'@SUM(A1)", "'\tb",
                                         "\"'\rc\"", "''=d", "'''+e", "-5",        "-2.5",
                                         "'plain",   "a=b",  NULL };
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) expected = g_string_new (NULL);

  for (guint i = 0; cells[i]; i++)
    {
      pcmbn_csv_append_cell (out, cells[i], i == 0);
      if (i > 0)
        g_string_append_c (expected, ',');
      g_string_append (expected, written[i]);
    }
  pcmbn_csv_end_row (out);
  g_string_append (expected, "\r\n");
  g_assert_cmpstr (out->str, ==, expected->str);
  {
    g_autoptr (GPtrArray) rows = parse_ok (out->str, out->len);
    g_assert_cmpuint (rows->len, ==, 1);
    assert_row (rows, 0, 1, cells);
  }
}

/* ---- export ------------------------------------------------------------- */

#define NOTES_TRICKY \
  "Ghi chú, có dấu phẩy\\nDòng hai: \\'trích dẫn\\' và \\'\\'hai lần\\'\\'\\n\\tthụt lề"

static void
test_export_format (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autofree char *uuid = add_ok (store, "activity",
                                  "{'date':'2026-03-10','activity_type':'community_talk',"
                                  "'subproject':'community','title':'Nói chuyện, \\'PCMBN\\''"
                                  ",'participants_total':40,'notes':'" NOTES_TRICKY "',"
                                  "'topics':['hotline','sexual_exploitation']}");
  gsize len;
  g_autofree char *csv = export_csv (store, "activity", &len);
  const PcmbnKind *kind = pcmbn_schema_kind ("activity");
  gboolean quoted = FALSE;
  guint breaks = 0;

  g_assert_true (g_str_has_prefix (csv, BOM "uuid,date,end_date,activity_type,"));
  g_assert_true (g_str_has_suffix (csv, "\r\n"));
  /* Every row ends in CRLF; line breaks inside quoted cells are the cell's */
  for (gsize i = 0; i < len; i++)
    {
      if (csv[i] == '"')
        quoted = !quoted;
      else if (!quoted && csv[i] == '\n')
        {
          g_assert_true (i > 0 && csv[i - 1] == '\r');
          breaks++;
        }
      else if (!quoted && csv[i] == '\r')
        g_assert_true (i + 1 < len && csv[i + 1] == '\n');
    }
  g_assert_false (quoted);
  g_assert_cmpuint (breaks, ==, 2);
  /* RFC 4180 quoting of the cells that need it */
  g_assert_nonnull (strstr (csv, ",\"Nói chuyện, \"\"PCMBN\"\"\","));
  g_assert_nonnull (strstr (csv, "\"Ghi chú, có dấu phẩy\nDòng hai: \"\"trích dẫn\"\" và "
                                 "\"\"\"\"hai lần\"\"\"\"\n\tthụt lề\""));
  g_assert_nonnull (strstr (csv, ",sexual_exploitation;hotline,"));

  /* The header has the uuid and every field of the kind, in order */
  {
    g_autoptr (GPtrArray) rows = parse_ok (csv, len);
    PcmbnCsvRow *header = rows->pdata[0];
    PcmbnCsvRow *row = rows->pdata[1];
    g_assert_cmpuint (rows->len, ==, 2);
    g_assert_cmpuint (g_strv_length (header->cells), ==, kind->n_fields + 1);
    g_assert_cmpstr (header->cells[0], ==, "uuid");
    for (guint f = 0; f < kind->n_fields; f++)
      g_assert_cmpstr (header->cells[f + 1], ==, kind->fields[f].name);
    g_assert_cmpstr (row->cells[0], ==, uuid);
    g_assert_cmpuint (row->line, ==, 2);
  }

  /* An empty kind exports the header alone */
  {
    g_autofree char *empty = export_csv (store, "material", NULL);
    g_assert_true (g_str_has_prefix (empty, BOM "uuid,material_type,"));
    g_assert_nonnull (strstr (empty, "\r\n"));
    g_assert_cmpstr (strstr (empty, "\r\n"), ==, "\r\n");
  }
  /* A deleted record is not exported */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *after = NULL;
    pcmbn_store_delete (store, uuid, &error);
    g_assert_no_error (error);
    after = export_csv (store, "activity", NULL);
    g_assert_null (strstr (after, uuid));
  }
}

/* ---- round trip --------------------------------------------------------- */

static const char *const round_trip_activity[] = {
  "{'date':'2026-03-10','end_date':'2026-03-11','activity_type':'community_talk','subproject':"
  "'community','title':'Nói chuyện \\'Phòng, chống mua bán người\\' tại Tổ dân phố 5','location':"
  "'Nhà văn hóa Tổ 5, phường Phúc Xá','target_groups':['youth','women'],'topics':["
  "'online_safety','sexual_exploitation'],'participants_total':120,'participants_female':70,"
  "'participants_14_60':100,'participants_under_16':10,'participants_ethnic_minority':3,"
  "'materials':[{'material_type':'leaflet','quantity':100},{'material_type':'poster','quantity':"
  "5}],'lead_agency':'Hội LHPN phường Phúc Xá','partners':'Công an phường, Đoàn thanh niên',"
  "'funding_source':'state_budget','notes':'" NOTES_TRICKY "','attachments':[{'sha256':'" SHA "',"
  "'name':'ảnh, buổi 1 \\'đẹp\\'.jpg','size':2048}]}",
  "{'date':'2026-04-02','activity_type':'press_article','subproject':'mass_media','title':"
  "'Bài: Cảnh giác với \\'việc nhẹ, lương cao\\'','outlet':'Báo Hà Nội Mới','outlet_level':"
  "'city','topics':['forced_labour']}",
  "{'date':'2016-01-01','activity_type':'other','subproject':'community','title':'Tối thiểu',"
  "'participants_total':0}",
  /* Texts a spreadsheet would run as formulas come back unchanged */
  "{'date':'2026-04-03','activity_type':'other','subproject':'community','title':"
  "'=HYPERLINK(\\'http://x\\')','location':'+84 912','notes':'@người dùng','participants_total':1}",
  "{'date':'2026-04-04','activity_type':'other','subproject':'community','title':"
  "'\\u0027=đã có dấu nháy','location':'-5','notes':'-chú ý','participants_total':1}",
  NULL,
};

static const char *const round_trip_training[] = {
  "{'date':'2026-05-20','end_date':'2026-05-22','format':'training_course','title':'Tập huấn kỹ "
  "năng truyền thông, tư vấn','organiser':'UBND phường \\'Phúc Xá\\'','participants_total':45,"
  "'participants_female':30,'participants_reporter_editor':2,"
  "'participants_culture_info_officer':5,'participants_legal_reporter':4,"
  "'participants_propagandist':10,'participants_collaborator':8,"
  "'participants_womens_union_officer':6,'participants_counsellor':3,"
  "'participants_other_role':7,'topics':['law_policy','victim_support'],'funding_source':"
  "'donor','notes':'Lớp 1,\\nLớp 2','attachments':[]}",
  "{'date':'2026-06-01','format':'conference','title':'Hội nghị sơ kết','participants_total':12}",
  NULL,
};

static const char *const round_trip_model[] = {
  "{'name':'CLB \\'Phụ nữ với pháp luật\\', Tổ 3','model_type':'intensive','model_kind':"
  "'women_and_law_club','established_on':'2019-05-01','decision_ref':'Số 12/QĐ-UBND',"
  "'host_organisation':'Hội LHPN phường','members_total':25,'members_female':25,'status':"
  "'paused','status_since':'2025-12-01','notes':'Tạm dừng\\nvì sáp nhập'}",
  "{'name':'Địa chỉ tin cậy','model_type':'integrated','established_on':'2021-02-03','status':"
  "'active'}",
  NULL,
};

static const char *const round_trip_counselling[] = {
  "{'date':'2026-07-01','channel':'home_visit','client_code':'HV-2026-001','client_type':"
  "'returned_victim','client_sex':'female','client_age_band':'18_29','client_ethnic_minority':"
  "true,'topics':['reintegration','livelihood_loans'],'referrals':['legal_aid',"
  "'hotline_18001567'],'follow_up_on':'2027-01-15','counsellor':'Nguyễn Thị Hoa','case_notes':"
  "'Chị kể: \\'tôi được hứa việc nhẹ, lương cao\\',\\nsau đó bị giữ giấy tờ.\\n\\tCần theo "
  "dõi.'}",
  "{'date':'2026-07-02','channel':'phone','client_code':'ABC','client_type':'community_member',"
  "'client_ethnic_minority':false,'referrals':['none']}",
  NULL,
};

static const char *const round_trip_material[] = {
  "{'material_type':'folded_leaflet','title':'Tờ gấp \\'Di cư an toàn\\', bản 2026','source':"
  "'central_womens_union','received_on':'2026-02-01','quantity_received':500,'deployed_on':"
  "'2026-03-10','quantity_deployed':480,'deployment_notes':'Phát tại 5 tổ,\\nhết 480 tờ'}",
  "{'material_type':'video_clip','received_on':'2026-02-02'}",
  NULL,
};

static void
add_all (PcmbnStore *store, const char *kind, const char *const *records)
{
  for (guint i = 0; records[i]; i++)
    g_free (add_ok (store, kind, records[i]));
}

/* Every record of @kind in @a is in @b with the same uuid and equal data. */
static void
assert_same_records (PcmbnStore *a, PcmbnStore *b, const char *kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ra = pcmbn_store_list (a, kind, NULL, NULL, &error);
  g_autoptr (GPtrArray) rb = pcmbn_store_list (b, kind, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (ra->len, ==, rb->len);
  g_assert_cmpuint (ra->len, >, 0);
  for (guint i = 0; i < ra->len; i++)
    {
      PcmbnRecord *x = ra->pdata[i];
      g_autoptr (PcmbnRecord) y = pcmbn_store_get (b, pcmbn_record_get_uuid (x), &error);
      g_autoptr (JsonNode) nx = NULL, ny = NULL;
      g_autofree char *tx = NULL, *ty = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (y);
      nx = json_node_init_object (json_node_alloc (), pcmbn_record_get_data (x));
      ny = json_node_init_object (json_node_alloc (), pcmbn_record_get_data (y));
      tx = json_to_string (nx, FALSE);
      ty = json_to_string (ny, FALSE);
      /* the same canonical JSON, byte for byte */
      g_assert_cmpstr (tx, ==, ty);
      g_assert_true (json_node_equal (nx, ny));
    }
}

static void
test_round_trip (void)
{
  g_autoptr (PcmbnStore) a = pcmbn_test_store_new (NULL);
  g_autoptr (PcmbnStore) b = pcmbn_test_store_new (NULL);
  static const char *const kinds[] = { "activity",      "training",    "model",
                                       "model-meeting", "counselling", "material" };
  g_autofree char *m1 = NULL, *m2 = NULL;

  add_all (a, "activity", round_trip_activity);
  add_all (a, "training", round_trip_training);
  add_all (a, "model", round_trip_model);
  add_all (a, "counselling", round_trip_counselling);
  add_all (a, "material", round_trip_material);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) models = pcmbn_store_list (a, "model", NULL, NULL, &error);
    m1 = g_strdup (pcmbn_record_get_uuid (models->pdata[0]));
    m2 = g_strdup (pcmbn_record_get_uuid (models->pdata[1]));
  }
  {
    g_autofree char *j1 = g_strdup_printf ("{'model':'%s','date':'2026-06-15','participants_total':"
                                           "18,'participants_female':18,'topics':['hotline',"
                                           "'safe_migration'],'notes':'Sinh hoạt, \\'chuyên đề\\'"
                                           "\\nquý II'}",
                                           m1);
    g_autofree char *j2 = g_strdup_printf ("{'model':'%s','date':'2026-06-16',"
                                           "'participants_total':7}",
                                           m2);
    g_free (add_ok (a, "model-meeting", j1));
    g_free (add_ok (a, "model-meeting", j2));
  }

  /* Models first, so that the meetings find them in the fresh database */
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      gsize len;
      g_autofree char *csv = export_csv (a, kinds[k], &len);
      g_autoptr (GError) error = NULL;
      guint n = 0;

      g_assert_true (pcmbn_store_import_csv (b, kinds[k], csv, len, &n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, pcmbn_store_count (a, kinds[k]));
      g_assert_cmpint (pcmbn_store_count (b, kinds[k]), ==, pcmbn_store_count (a, kinds[k]));
      assert_same_records (a, b, kinds[k]);
      /* and exporting the copy gives the same file */
      {
        g_autofree char *again = export_csv (b, kinds[k], NULL);
        g_assert_cmpstr (again, ==, csv);
      }
    }
}

/* ---- import ------------------------------------------------------------- */

#define ACT_HEADER "date,activity_type,subproject,title,participants_total,participants_female\r\n"

static void
test_import_errors_name_row_and_column (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *before = pcmbn_test_db_digest (path);
  g_autofree char *message = NULL;
  g_autofree char *after = NULL;

  message = import_refused (store, "activity",
                            ACT_HEADER "2026-03-10,community_talk,community,Buổi 1,40,20\r\n"
                                       "2026-03-11,community_talk,community,Buổi 2,40,41\r\n"
                                       "2026-03-12,community_talk,community,Buổi 3,bốn mươi,0\r\n"
                                       "2026-03-13,community_talk,community,,40,0\r\n"
                                       "2026-13-14,talk,community,Buổi 5,40,-1\r\n");
  assert_has_line (message, "row 3, participants_female: ");
  assert_has_line (message, "row 4, participants_total: ");
  assert_has_line (message, "row 5, title: is required");
  assert_has_line (message, "row 6, date: ");
  assert_has_line (message, "row 6, activity_type: ");
  assert_has_line (message, "row 6, participants_female: ");
  g_assert_false (has_line_starting (message, "row 2,"));
  /* every line names a row and a column */
  {
    g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 6);
    for (guint i = 0; lines[i]; i++)
      {
        g_assert_true (g_str_has_prefix (lines[i], "row "));
        g_assert_nonnull (strstr (lines[i], ", "));
        g_assert_nonnull (strstr (lines[i], ": "));
      }
  }
  g_clear_pointer (&message, g_free);

  /* Rows as a spreadsheet counts them, past a cell with line breaks */
  message = import_refused (store, "activity",
                            "date,activity_type,subproject,title,participants_total,notes\n"
                            "2026-03-10,community_talk,community,Buổi 1,40,\"dòng 1\ndòng 2\n"
                            "dòng 3\"\n"
                            "\n"
                            "2026-03-11,community_talk,community,Buổi 2,-4,\n");
  g_assert_cmpstr (message, ==, "row 4, participants_total: must be a whole number, 0 or more");
  g_clear_pointer (&message, g_free);

  /* A row with more cells than the header */
  message = import_refused (store, "activity",
                            ACT_HEADER "2026-03-10,community_talk,community,Buổi 1,40,20,thừa\r\n");
  assert_has_line (message, "row 2");
  g_clear_pointer (&message, g_free);

  /* A bad uuid cell names the uuid column */
  message = import_refused (store, "activity",
                            "uuid," ACT_HEADER
                            "5B0C6C1E-2F4A-4D7E-9B1A-0C2D3E4F5A6B,2026-03-10,community_talk,"
                            "community,Buổi 1,40,20\r\n"
                            "not-a-uuid,2026-03-10,community_talk,community,Buổi 1,40,20\r\n");
  assert_has_line (message, "row 2, uuid: ");
  assert_has_line (message, "row 3, uuid: ");
  g_clear_pointer (&message, g_free);

  /* The same uuid twice in one file */
  message = import_refused (store, "activity",
                            "uuid," ACT_HEADER
                            "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b,2026-03-10,community_talk,"
                            "community,Buổi 1,40,20\r\n"
                            "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b,2026-03-11,community_talk,"
                            "community,Buổi 2,40,20\r\n");
  assert_has_line (message, "row 3, uuid: ");
  g_assert_false (has_line_starting (message, "row 2"));
  g_clear_pointer (&message, g_free);

  /* The uuid of a record of another kind */
  {
    g_autofree char *model = add_ok (store, "model",
                                     "{'name':'CLB','model_type':'intensive',"
                                     "'established_on':'2020-01-01','status':"
                                     "'active'}");
    g_autofree char *csv = g_strdup_printf (
        "uuid," ACT_HEADER "%s,2026-03-10,community_talk,community,Buổi 1,40,20\r\n", model);
    g_autofree char *mid = pcmbn_test_db_digest (path);
    message = import_refused (store, "activity", csv);
    assert_has_line (message, "row 2, uuid: ");
    g_clear_pointer (&message, g_free);
    g_free (after);
    after = pcmbn_test_db_digest (path);
    g_assert_cmpstr (after, ==, mid);
    g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 0);
    g_assert_cmpint (pcmbn_store_count (store, "model"), ==, 1);
  }

  /* A file that is not CSV text */
  message = import_refused (store, "activity", "");
  g_assert_true (g_str_has_prefix (message, "row 1"));
  g_clear_pointer (&message, g_free);
  message = import_refused (store, "activity", BOM);
  g_assert_true (g_str_has_prefix (message, "row 1"));
  g_clear_pointer (&message, g_free);
  message = import_refused (store, "activity", ACT_HEADER "\"2026-03-10,community_talk\r\n");
  g_assert_true (g_str_has_prefix (message, "row 2"));
  g_clear_pointer (&message, g_free);
  (void)before;
}

static void
test_import_cells (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  static const char csv[] =
      "date,channel,client_code,client_type,client_ethnic_minority,topics,referrals,case_notes\r\n"
      "2026-07-01,office,HV-1,at_risk_woman,yes, adoption ; civil_status ,,  hai đầu có cách  \r\n"
      "2026-07-01,office,HV-2,at_risk_woman,không,,none,\r\n"
      "2026-07-01,office,HV-3,at_risk_woman,,,,\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  guint n = 0;

  g_assert_true (pcmbn_store_import_csv (store, "counselling", csv, strlen (csv), &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  list = pcmbn_store_list (store, "counselling", NULL, NULL, &error);
  g_assert_cmpuint (list->len, ==, 3);
  {
    JsonObject *d = pcmbn_record_get_data (list->pdata[0]);
    JsonArray *topics = json_object_get_array_member (d, "topics");
    g_assert_true (json_object_get_boolean_member (d, "client_ethnic_minority"));
    g_assert_cmpuint (json_array_get_length (topics), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (topics, 0), ==, "adoption");
    g_assert_false (json_object_has_member (d, "referrals"));
    /* the ends of a text cell go, as a spreadsheet user expects */
    g_assert_cmpstr (json_object_get_string_member (d, "case_notes"), ==, "hai đầu có cách");
  }
  {
    JsonObject *d = pcmbn_record_get_data (list->pdata[1]);
    g_assert_false (json_object_get_boolean_member (d, "client_ethnic_minority"));
    g_assert_false (json_object_has_member (d, "topics"));
    g_assert_false (json_object_has_member (d, "case_notes"));
  }
  {
    JsonObject *d = pcmbn_record_get_data (list->pdata[2]);
    /* empty cells are "not set", never null or "" */
    g_assert_cmpuint (json_object_get_size (d), ==, 4);
  }

  /* Cells that are not values name their column */
  {
    g_autofree char *message = import_refused (
        store, "counselling",
        "date,channel,client_code,client_type,client_ethnic_minority,topics,follow_up_on\r\n"
        "2026-07-01,office,HV-4,at_risk_woman,maybe,,\r\n"
        "2026-07-01,office,HV-5,at_risk_woman,,adoption;bogus,\r\n"
        "2026-07-01,office,HV-6,at_risk_woman,,adoption;adoption,\r\n"
        "2026-07-01,office,Nguyễn Thị A,at_risk_woman,,,2028-01-01\r\n");
    assert_has_line (message, "row 2, client_ethnic_minority: ");
    assert_has_line (message, "row 3, topics: ");
    assert_has_line (message, "row 4, topics: ");
    assert_has_line (message, "row 5, client_code: ");
    assert_has_line (message, "row 5, follow_up_on: ");
  }
  g_assert_cmpint (pcmbn_store_count (store, "counselling"), ==, 3);
}

static void
test_import_all_or_nothing (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *existing = add_ok (store, "activity",
                                      "{'date':'2026-01-10','activity_type':'community_talk',"
                                      "'subproject':'community','title':'Có sẵn',"
                                      "'participants_total':10}");
  g_autoptr (GString) csv = g_string_new (BOM ACT_HEADER);
  g_autofree char *before = NULL, *after = NULL, *message = NULL;

  for (int i = 0; i < 200; i++)
    g_string_append_printf (csv, "2026-02-%02d,school_session,community,Buổi %d,%d,%d\r\n",
                            1 + i % 28, i, 30 + i, i == 150 ? 31 + i : 10);
  before = pcmbn_test_db_digest (path);
  message = import_refused (store, "activity", csv->str);
  g_assert_cmpstr (message, ==,
                   "row 152, participants_female: must not be greater than "
                   "participants_total (180)");
  after = pcmbn_test_db_digest (path);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 1);

  /* An update of an existing record, with a bad row after it: the record
   * keeps its old data */
  {
    g_autofree char *upd = g_strdup_printf ("uuid," ACT_HEADER
                                            "%s,2026-01-10,community_talk,community,Đã sửa,10,5\r\n"
                                            ",2026-01-11,community_talk,community,Mới,10,11\r\n",
                                            existing);
    g_autoptr (PcmbnRecord) record = NULL;
    g_autoptr (GError) error = NULL;
    g_clear_pointer (&message, g_free);
    message = import_refused (store, "activity", upd);
    g_assert_cmpstr (message, ==,
                     "row 3, participants_female: must not be greater than "
                     "participants_total (10)");
    g_free (after);
    after = pcmbn_test_db_digest (path);
    g_assert_cmpstr (after, ==, before);
    record = pcmbn_store_get (store, existing, &error);
    g_assert_cmpstr (pcmbn_record_get_title (record), ==, "Có sẵn");
  }

  /* The same file without the bad row goes in whole */
  {
    g_autoptr (GString) good = g_string_new (BOM ACT_HEADER);
    g_autoptr (GError) error = NULL;
    guint n = 0;
    for (int i = 0; i < 200; i++)
      g_string_append_printf (good, "2026-02-%02d,school_session,community,Buổi %d,%d,10\r\n",
                              1 + i % 28, i, 30 + i);
    g_assert_true (pcmbn_store_import_csv (store, "activity", good->str, good->len, &n, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 200);
    g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 201);
  }
}

static char *
schema_objects (PcmbnStore *store)
{
  sqlite3_stmt *stmt;
  GString *names = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (pcmbn_store_get_db (store),
                                       "SELECT type || ' ' || name FROM sqlite_master"
                                       " ORDER BY type, name",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (names, "%s\n", (const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return g_string_free (names, FALSE);
}

static gint64
query_count (PcmbnStore *store, const char *sql)
{
  sqlite3_stmt *stmt;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (pcmbn_store_get_db (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/* An import into a logbook without records is loaded in bulk: the indexes,
 * the counts and the search index are all there at the end, as if every
 * row had been added one at a time; into a logbook with records it goes
 * row by row, as before. */
static void
test_import_into_empty_store (void)
{
  g_autoptr (PcmbnStore) source = pcmbn_test_store_new (NULL);
  g_autoptr (PcmbnStore) fresh = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = NULL, *again = NULL, *objects = NULL, *fresh_objects = NULL;
  g_autofree char *extra = NULL;
  gint64 n_activities;
  gsize len;
  guint n = 0;
  const char *word_count = "SELECT count(*) FROM records_fts_activity WHERE records_fts_activity"
                           " MATCH '\"thon\"'";

  g_assert_true (pcmbn_demo_fill (source, 400, 3, NULL, NULL, &error));
  g_assert_no_error (error);
  n_activities = pcmbn_store_count (source, "activity");
  g_assert_cmpint (n_activities, >, 50);
  csv = export_csv (source, "activity", &len);
  objects = schema_objects (source);

  g_assert_true (pcmbn_store_import_csv (fresh, "activity", csv, len, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, n_activities);
  g_assert_cmpint (pcmbn_store_count (fresh, "activity"), ==, n_activities);
  again = export_csv (fresh, "activity", NULL);
  g_assert_cmpstr (again, ==, csv);
  /* Every index, trigger and search table made again; nothing pending. */
  fresh_objects = schema_objects (fresh);
  g_assert_cmpstr (fresh_objects, ==, objects);
  g_assert_cmpint (query_count (fresh, "SELECT count(*) FROM meta WHERE key IN"
                                       " ('bulk_load_schema', 'search_index_pending')"),
                   ==, 0);
  g_assert_cmpint (query_count (fresh, word_count), >, 0);
  g_assert_cmpint (query_count (fresh, word_count), ==, query_count (source, word_count));
  g_assert_cmpint (query_count (fresh, "SELECT count(*) FROM record_codes"), ==,
                   query_count (source, "SELECT count(*) FROM record_codes WHERE record_id IN"
                                        " (SELECT id FROM records WHERE kind = 'activity')"));
  {
    g_autofree char *check = NULL;
    sqlite3_stmt *stmt;
    g_assert_cmpint (
        sqlite3_prepare_v2 (pcmbn_store_get_db (fresh), "PRAGMA integrity_check", -1, &stmt, NULL),
        ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    check = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    g_assert_cmpstr (check, ==, "ok");
  }

  /* A second import, into a logbook with records now: row by row, and the
   * triggers keep the counts and the search index. */
  extra = export_csv (source, "material", &len);
  g_assert_true (pcmbn_store_import_csv (fresh, "material", extra, len, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_store_count (fresh, "material"), ==,
                   pcmbn_store_count (source, "material"));
  {
    const char *material_word = "SELECT count(*) FROM records_fts_material WHERE"
                                " records_fts_material MATCH '\"nguoi\"'";
    g_assert_cmpint (query_count (fresh, material_word), >, 0);
    g_assert_cmpint (query_count (fresh, material_word), ==, query_count (source, material_word));
  }
}

static void
test_import_reimport_updates (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autofree char *csv = NULL, *edited = NULL, *target = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  guint n = 0;
  const guint n_activities = g_strv_length ((char **)round_trip_activity);

  add_all (store, "activity", round_trip_activity);
  add_all (store, "material", round_trip_material);
  csv = export_csv (store, "activity", &len);

  /* The same export twice: updates, no duplicates, the same data */
  for (int round = 0; round < 2; round++)
    {
      g_assert_true (pcmbn_store_import_csv (store, "activity", csv, len, &n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, n_activities);
      g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, n_activities);
      {
        g_autofree char *again = export_csv (store, "activity", NULL);
        g_assert_cmpstr (again, ==, csv);
      }
    }

  /* An edited export changes the record it names, and only that one */
  {
    g_autoptr (GPtrArray) list = pcmbn_store_list (store, "activity", NULL, NULL, &error);
    for (guint i = 0; i < list->len; i++)
      if (json_object_has_member (pcmbn_record_get_data (list->pdata[i]), "outlet"))
        target = g_strdup (pcmbn_record_get_uuid (list->pdata[i]));
    g_assert_nonnull (target);
  }
  {
    g_autoptr (GString) quoted = g_string_new (csv);
    /* the cell must be quoted in the file for the edit to be valid CSV */
    g_autofree char *needle = g_strdup (",Báo Hà Nội Mới,");
    g_assert_nonnull (strstr (csv, needle));
    g_string_replace (quoted, needle, ",\"Báo \"\"Hà Nội Mới\"\", số cuối tuần\",", 1);
    edited = g_strdup (quoted->str);
    g_assert_cmpstr (edited, !=, csv);
  }
  g_assert_true (pcmbn_store_import_csv (store, "activity", edited, strlen (edited), &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, n_activities);
  {
    g_autoptr (PcmbnRecord) record = pcmbn_store_get (store, target, &error);
    g_autofree char *now = export_csv (store, "activity", NULL);
    g_assert_cmpstr (json_object_get_string_member (pcmbn_record_get_data (record), "outlet"), ==,
                     "Báo \"Hà Nội Mới\", số cuối tuần");
    /* nothing else changed: the new export is the edited file */
    g_assert_cmpstr (now, ==, edited);
  }

  /* A row whose uuid is not in the database creates it with that uuid;
   * emptying a cell clears that field of an existing record */
  {
    const char *fresh = "0d1e2f30-4152-4637-8899-aabbccddeeff";
    g_autofree char *rows = g_strdup_printf ("uuid,material_type,received_on,title\r\n"
                                             "%s,poster,2026-02-10,Áp phích mới\r\n",
                                             fresh);
    g_autoptr (PcmbnRecord) record = NULL;
    g_assert_true (pcmbn_store_import_csv (store, "material", rows, strlen (rows), &n, &error));
    g_assert_no_error (error);
    record = pcmbn_store_get (store, fresh, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (pcmbn_record_get_title (record), ==, "Áp phích mới");
    g_assert_cmpint (pcmbn_store_count (store, "material"), ==, 3);
    g_clear_object (&record);

    g_free (rows);
    rows = g_strdup_printf ("uuid,material_type,received_on,title\r\n"
                            "%s,poster,2026-02-10,\r\n",
                            fresh);
    g_assert_true (pcmbn_store_import_csv (store, "material", rows, strlen (rows), &n, &error));
    g_assert_no_error (error);
    record = pcmbn_store_get (store, fresh, &error);
    g_assert_false (json_object_has_member (pcmbn_record_get_data (record), "title"));
    g_assert_cmpint (pcmbn_store_count (store, "material"), ==, 3);
  }
}

static void
test_import_unknown_column (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *before = pcmbn_test_db_digest (path);
  g_autofree char *message = NULL, *after = NULL;

  message = import_refused (store, "activity",
                            "date,activity_type,subproject,title,participants_total,colour\r\n"
                            "2026-03-10,community_talk,community,Buổi 1,40,đỏ\r\n");
  g_assert_cmpstr (message, ==, "row 1, colour: is not a column of activity records");
  g_clear_pointer (&message, g_free);
  /* a field of another kind */
  message = import_refused (store, "material",
                            "material_type,received_on,participants_total\r\n"
                            "leaflet,2026-03-10,4\r\n");
  assert_has_line (message, "row 1, participants_total: ");
  g_clear_pointer (&message, g_free);
  /* headers are keys, not labels */
  message = import_refused (store, "material",
                            "Loại tài liệu,received_on\r\nleaflet,2026-03-10\r\n");
  assert_has_line (message, "row 1, Loại tài liệu: ");
  after = pcmbn_test_db_digest (path);
  g_assert_cmpstr (after, ==, before);
}

static void
test_import_duplicate_column (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *before = pcmbn_test_db_digest (path);
  g_autofree char *message = NULL, *after = NULL;

  message = import_refused (store, "activity",
                            "date,activity_type,subproject,title,participants_total,title\r\n"
                            "2026-03-10,community_talk,community,Buổi 1,40,Buổi một\r\n");
  g_assert_cmpstr (message, ==, "row 1, title: the column appears twice");
  g_clear_pointer (&message, g_free);
  message = import_refused (store, "activity",
                            "uuid,date,activity_type,subproject,title,participants_total,uuid\r\n"
                            ",2026-03-10,community_talk,community,Buổi 1,40,\r\n");
  assert_has_line (message, "row 1, uuid: ");
  g_clear_pointer (&message, g_free);
  /* with spaces around, still the same column */
  message = import_refused (store, "material",
                            "material_type, received_on ,received_on\r\n"
                            "leaflet,2026-03-10,2026-03-11\r\n");
  assert_has_line (message, "row 1, received_on: ");
  after = pcmbn_test_db_digest (path);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (pcmbn_store_count (store, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_setenv ("PCMBN_TODAY", "2026-07-30", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/csv/parse/bom", test_parse_bom);
  g_test_add_func ("/csv/parse/line-ends", test_parse_line_ends);
  g_test_add_func ("/csv/parse/quoted", test_parse_quoted);
  g_test_add_func ("/csv/parse/unclosed-quote", test_parse_unclosed_quote);
  g_test_add_func ("/csv/parse/invalid-utf8", test_parse_invalid_utf8);
  g_test_add_func ("/csv/write/cells", test_write_cells);
  g_test_add_func ("/csv/write/formula-guard", test_write_formula_guard);
  g_test_add_func ("/csv/export/format", test_export_format);
  g_test_add_func ("/csv/round-trip/every-kind", test_round_trip);
  g_test_add_func ("/csv/import/errors-name-row-and-column",
                   test_import_errors_name_row_and_column);
  g_test_add_func ("/csv/import/cells", test_import_cells);
  g_test_add_func ("/csv/import/all-or-nothing", test_import_all_or_nothing);
  g_test_add_func ("/csv/import/reimport-updates", test_import_reimport_updates);
  g_test_add_func ("/csv/import/into-empty-store", test_import_into_empty_store);
  g_test_add_func ("/csv/import/unknown-column", test_import_unknown_column);
  g_test_add_func ("/csv/import/duplicate-column", test_import_duplicate_column);

  return g_test_run ();
}
