/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app's logic without a display: typed dates, state labels, client
 * codes, indicator cards, update patches, drafts and attachments. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "logbook-format.h"
#include "store/pcmbn-attachments.h"
#include "store/pcmbn-drafts.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

static void
test_dates (void)
{
  struct
  {
    const char *in, *out;
  } good[] = {
    { "30/07/2026", "2026-07-30" },   { "3/7/2026", "2026-07-03" },
    { " 30-07-2026 ", "2026-07-30" }, { "30.7.2026", "2026-07-30" },
    { "2026-07-30", "2026-07-30" },   { "29/02/2024", "2024-02-29" },
  };
  const char *bad[] = { "",    "30/07",    "31/02/2026", "07/30/2026", "30/07/26",   "2026-7-30",
                        "abc", "30//2026", "1/1/20266",  "٣/٧/٢٠٢٦",   "30/07/2026x" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *iso = logbook_date_parse_input (good[i].in);
      g_assert_cmpstr (iso, ==, good[i].out);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *iso = logbook_date_parse_input (bad[i]);
      if (iso)
        g_error ("“%s” was read as %s", bad[i], iso);
    }
  {
    g_autofree char *shown = logbook_date_to_input ("2026-07-03");
    g_autofree char *raw = logbook_date_to_input ("31/02/2026");
    g_autofree char *none = logbook_date_to_input (NULL);
    g_autofree char *back = logbook_date_parse_input (shown);
    g_assert_cmpstr (shown, ==, "03/07/2026");
    g_assert_cmpstr (back, ==, "2026-07-03");
    /* A draft keeps what was typed, even when it is not a date yet. */
    g_assert_cmpstr (raw, ==, "31/02/2026");
    g_assert_cmpstr (none, ==, "");
  }
}

/* Issue 11: "báo cáo-00001-2026.pdf" mixed a space and diacritics. */
static void
test_file_names (void)
{
  struct
  {
    const char *in, *out;
  } slugs[] = {
    { "báo cáo", "bao-cao" },
    { "Đồng Xuân / Hà Nội", "dong-xuan-ha-noi" },
    { "  --x--  ", "x" },
    { "", "" },
    { "Tư vấn: 2026", "tu-van-2026" },
    { "a\\b:c*d?e\"f<g>h|i", "a-b-c-d-e-f-g-h-i" },
  };
  g_autofree char *year = logbook_report_file_name ("00001", "2026-01-01", "2026-12-31", "pdf");
  g_autofree char *span = logbook_report_file_name ("00001", "2026-01-01", "2026-06-30", "csv");

  for (guint i = 0; i < G_N_ELEMENTS (slugs); i++)
    {
      g_autofree char *slug = logbook_file_name_slug (slugs[i].in);
      g_assert_cmpstr (slug, ==, slugs[i].out);
    }
  g_assert_cmpstr (year, ==, "report-PCMBN-00001-2026.pdf");
  g_assert_cmpstr (span, ==, "report-PCMBN-00001-2026-01-01-2026-06-30.csv");
  for (const char *p = span; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '.');
}

/* The Vietnamese of @msgid in po/vi.po, without its mnemonic underscore. */
static char *
vi_translation (const char *po, const char *msgid)
{
  g_autofree char *escaped = g_regex_escape_string (msgid, -1);
  g_autofree char *pattern = g_strdup_printf ("^msgid \"%s\"\nmsgstr \"([^\"]*)\"", escaped);
  g_autoptr (GRegex) regex = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char *text = NULL;
  GString *out = g_string_new (NULL);

  g_assert_true (g_regex_match (regex, po, 0, &match));
  text = g_match_info_fetch (match, 1);
  for (const char *p = text; *p; p++)
    if (*p != '_')
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

/* Issue 11: the app said "Sổ theo dõi PCMBN", the guide "Sổ tay PCMBN", and
 * the profiles and buttons differed too. The guide uses the app's words. */
static void
test_guide_uses_app_names (void)
{
  g_autofree char *po_path = g_build_filename (g_getenv ("PCMBN_SOURCE_ROOT"), "po", "vi.po", NULL);
  g_autofree char *guide_path = g_build_filename (g_getenv ("PCMBN_SOURCE_ROOT"), "docs", "guide",
                                                  "vi.md", NULL);
  g_autofree char *po = NULL, *guide = NULL;
  const char *names[] = { "PCMBN Logbook",
                          "Culture-information officer",
                          "Women’s Union branch",
                          "Who uses this logbook",
                          "_New",
                          "_Start",
                          "_Preferences",
                          "Hide Counselling",
                          "Recently Deleted",
                          "Restore",
                          "Add _files…",
                          "Generate a pseudonym" };

  g_assert_true (g_file_get_contents (po_path, &po, NULL, NULL));
  g_assert_true (g_file_get_contents (guide_path, &guide, NULL, NULL));
  g_assert_null (strstr (guide, "Sổ tay"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *vi = vi_translation (po, names[i]);
      if (strstr (guide, vi) == NULL)
        g_error ("the guide never says “%s” (%s), as the app does", vi, names[i]);
    }
}

static void
test_states (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (PcmbnState s = PCMBN_STATE_DRAFT; s <= PCMBN_STATE_REJECTED; s++)
    {
      const char *label = logbook_state_label (s);
      g_assert_cmpstr (label, !=, "");
      /* Every state reads differently in a row. */
      g_assert_true (g_hash_table_add (seen, (gpointer)label));
      g_assert_nonnull (logbook_state_css_class (s));
    }
  g_assert_cmpstr (logbook_state_label (PCMBN_STATE_DIRTY), ==, "Waiting to sync");
  g_assert_cmpstr (logbook_state_css_class (PCMBN_STATE_REJECTED), ==, "error");
  g_assert_cmpstr (logbook_state_css_class (PCMBN_STATE_CONFLICT), ==, "error");
}

static void
test_pseudonyms (void)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("counselling");
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 500; i++)
    {
      g_autofree char *code = logbook_pseudonym_generate (i % 2 ? rand : NULL);
      g_autoptr (JsonObject) input = json_object_new ();
      g_autoptr (GPtrArray)
          errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
      g_autoptr (JsonObject) data = NULL;

      json_object_set_string_member (input, "client_code", code);
      data = pcmbn_schema_normalize (kind, input, NULL, errors);
      /* The schema's own pseudonym rule accepts every generated code. */
      g_assert_cmpuint (errors->len, ==, 0);
      g_assert_null (strpbrk (code, "O0I1"));
      g_hash_table_add (seen, g_steal_pointer (&code));
    }
  g_assert_cmpuint (g_hash_table_size (seen), >, 490);
}

static void
test_indicators (void)
{
  g_autoptr (JsonObject)
      half = pcmbn_test_json ("{\"value\":0.25,\"numerator\":1,\"denominator\":4,\"target\":0.5}");
  g_autoptr (JsonObject)
      none = pcmbn_test_json ("{\"value\":null,\"numerator\":0,\"denominator\":0,\"target\":0.3}");
  g_autoptr (JsonObject)
      months = pcmbn_test_json ("{\"value\":7,\"numerator\":7,\"denominator\":12,\"target\":12}");
  g_autoptr (JsonObject) over = pcmbn_test_json (
      "{\"value\":1.4,\"numerator\":14,\"denominator\":10,\"target\":0.75}");
  g_autofree char *a = logbook_format_indicator ("i2b_integrated_model", half);
  g_autofree char *b = logbook_format_indicator ("i2a_intensive_model_key_areas", none);
  g_autofree char *c = logbook_format_indicator ("i3_press_months", months);

  g_assert_cmpstr (a, ==, "25% (target 50%)");
  g_assert_cmpstr (b, ==, "No data");
  g_assert_cmpstr (c, ==, "7 of 12 months");
  g_assert_cmpfloat_with_epsilon (logbook_indicator_progress ("i2b_integrated_model", half), 0.5,
                                  1e-9);
  g_assert_cmpfloat (logbook_indicator_progress ("x", none), ==, 0);
  g_assert_cmpfloat_with_epsilon (logbook_indicator_progress ("i3_press_months", months), 7.0 / 12,
                                  1e-9);
  g_assert_cmpfloat (logbook_indicator_progress ("i4_reach_14_60_key_areas", over), ==, 1);
}

static void
test_patch_and_headline (void)
{
  const PcmbnKind *activity = pcmbn_schema_kind ("activity");
  const PcmbnKind *meeting = pcmbn_schema_kind ("model-meeting");
  g_autoptr (JsonObject) input = pcmbn_test_json ("{\"date\":\"2026-03-01\",\"title\":\"Talk\"}");
  g_autoptr (JsonObject) patch = logbook_update_patch (activity, input);
  g_autoptr (JsonObject) meeting_data = pcmbn_test_json (
      "{\"date\":\"2026-03-01\",\"notes\":\"First line\\nsecond\"}");
  g_autoptr (JsonObject) empty = json_object_new ();
  g_autofree char *headline = logbook_record_headline (meeting, meeting_data);
  g_autofree char *fallback = logbook_record_headline (meeting, empty);
  g_autoptr (JsonObject) typed = pcmbn_test_json ("{\"activity_type\":\"press_article\"}");
  g_autofree char *type = logbook_record_type_label (activity, typed);

  /* Every field of the kind: the ones the form left empty are cleared. */
  g_assert_cmpuint (json_object_get_size (patch), ==, activity->n_fields);
  g_assert_cmpstr (json_object_get_string_member (patch, "title"), ==, "Talk");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (patch, "location")));
  g_assert_cmpstr (headline, ==, "First line");
  g_assert_cmpstr (fallback, ==, "Model meeting");
  g_assert_cmpstr (type, ==, "Press article");
}

static void
test_drafts (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autoptr (JsonObject)
      data = pcmbn_test_json ("{\"title\":\"Half typed\",\"date\":\"31/02/20\"}");
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDraft) draft = NULL;
  g_autoptr (GPtrArray) list = NULL;

  g_assert_null (pcmbn_drafts_get (store, "new-activity"));
  g_assert_true (pcmbn_drafts_save (store, "new-activity", "activity", NULL, data, &error));
  g_assert_no_error (error);
  /* A draft is not a record and does not wait to sync. */
  g_assert_cmpint (pcmbn_store_count (store, "activity"), ==, 0);
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 0);
  g_clear_object (&store);

  /* After a "crash" (the store closed), the input is there. */
  store = pcmbn_store_open (path, &error);
  g_assert_no_error (error);
  draft = pcmbn_drafts_get (store, "new-activity");
  g_assert_nonnull (draft);
  g_assert_cmpstr (draft->kind, ==, "activity");
  g_assert_null (draft->record_uuid);
  g_assert_cmpstr (json_object_get_string_member (draft->data, "date"), ==, "31/02/20");
  list = pcmbn_drafts_list (store, "activity");
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = pcmbn_drafts_list (store, "training");
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_true (pcmbn_drafts_delete (store, "new-activity", &error));
  g_assert_true (pcmbn_drafts_delete (store, "new-activity", &error));
  g_assert_null (pcmbn_drafts_get (store, "new-activity"));
}

static void
test_attachments (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *photo = g_build_filename (dir, "photo.jpg", NULL);
  g_autofree char *copy = g_build_filename (dir, "same-photo.jpg", NULL);
  g_autofree char *big = g_build_filename (dir, "big.bin", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (photo);
  g_autoptr (GFile) file2 = g_file_new_for_path (copy);
  g_autoptr (GFile) bigfile = g_file_new_for_path (big);
  g_autoptr (GFile) missing = g_file_new_for_path ("/nonexistent/x.jpg");
  g_autoptr (GFile) folder = g_file_new_for_path (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) a = NULL, b = NULL;
  g_autofree char *expected = pcmbn_sha256_hex ((const guint8 *)"not really a jpeg", 17);
  g_autofree char *stored = NULL;
  g_autofree char *content = NULL;
  g_autofree char *att_dir = pcmbn_attachments_dir (store);
  g_autoptr (GDir) listing = NULL;
  guint n = 0;

  g_file_set_contents (photo, "not really a jpeg", -1, NULL);
  g_file_set_contents (copy, "not really a jpeg", -1, NULL);
  a = pcmbn_attachments_add_file (store, file, NULL, &error);
  g_assert_no_error (error);
  b = pcmbn_attachments_add_file (store, file2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (a, "sha256"), ==, expected);
  g_assert_cmpstr (json_object_get_string_member (a, "name"), ==, "photo.jpg");
  g_assert_cmpint (json_object_get_int_member (a, "size"), ==, 17);
  g_assert_cmpstr (json_object_get_string_member (b, "sha256"), ==, expected);
  /* Stored once, by content, next to the database. */
  stored = pcmbn_attachments_path (store, expected);
  g_assert_true (g_file_get_contents (stored, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "not really a jpeg");
  listing = g_dir_open (att_dir, 0, NULL);
  while (g_dir_read_name (listing))
    n++;
  g_assert_cmpuint (n, ==, 1);
  g_assert_null (pcmbn_attachments_path (store, "../../etc/passwd"));

  /* The entry is what the schema accepts in `attachments`. */
  {
    g_autoptr (JsonObject) input = json_object_new ();
    g_autoptr (JsonArray) list = json_array_new ();
    g_autoptr (GPtrArray)
        errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
    g_autoptr (JsonObject) data = NULL;
    json_array_add_object_element (list, json_object_ref (a));
    json_object_set_array_member (input, "attachments", json_array_ref (list));
    data = pcmbn_schema_normalize (pcmbn_schema_kind ("activity"), input, NULL, errors);
    g_assert_cmpuint (errors->len, ==, 0);
  }

  g_assert_null (pcmbn_attachments_add_file (store, missing, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (pcmbn_attachments_add_file (store, folder, NULL, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_clear_error (&error);
  {
    FILE *f = fopen (big, "w");
    g_assert_nonnull (f);
    fseek (f, PCMBN_ATTACHMENT_MAX_SIZE + 1, SEEK_SET);
    fputc ('x', f);
    fclose (f);
  }
  g_assert_null (pcmbn_attachments_add_file (store, bigfile, NULL, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "en", TRUE);
  pcmbn_i18n_init ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app-logic/dates", test_dates);
  g_test_add_func ("/app-logic/states", test_states);
  g_test_add_func ("/app-logic/file-names", test_file_names);
  g_test_add_func ("/app-logic/guide-uses-app-names", test_guide_uses_app_names);
  g_test_add_func ("/app-logic/pseudonyms", test_pseudonyms);
  g_test_add_func ("/app-logic/indicators", test_indicators);
  g_test_add_func ("/app-logic/patch-and-headline", test_patch_and_headline);
  g_test_add_func ("/app-logic/drafts", test_drafts);
  g_test_add_func ("/app-logic/attachments", test_attachments);
  return g_test_run ();
}
