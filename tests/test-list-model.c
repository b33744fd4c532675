/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "records/pcmbn-schema.h"
#include "store/pcmbn-demo.h"
#include "store/pcmbn-record-list-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

static PcmbnStore *
store_with_talks (guint n)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  gint64 first = pcmbn_date_parse ("2025-01-01");

  g_assert_true (pcmbn_store_begin (store, &error));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *date = pcmbn_date_format (first + i % 600);
      g_autofree char *json = g_strdup_printf (
          "{\"date\":\"%s\",\"activity_type\":\"%s\",\"subproject\":\"community\","
          "\"title\":\"%s %u\",\"participants_total\":10}",
          date, i % 3 ? "community_talk" : "school_session",
          i % 100 == 7 ? "Phòng, chống mua bán người" : "Họp thôn", i);
      g_autoptr (JsonObject) data = pcmbn_test_json (json);
      g_autofree char *uuid = pcmbn_store_add (store, "activity", data, &error);
      g_assert_no_error (error);
    }
  g_assert_true (pcmbn_store_commit (store, &error));
  return g_steal_pointer (&store);
}

static void
test_lazy_pages (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (5000);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  g_autoptr (PcmbnRecord) first = NULL, last = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 5000);
  /* Counting loads no row at all. */
  g_assert_cmpuint (pcmbn_record_list_get_cached_pages (list), ==, 0);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpuint (pcmbn_record_list_get_cached_pages (list), ==, 1);
  last = g_list_model_get_item (G_LIST_MODEL (list), 4999);
  g_assert_cmpstr (pcmbn_record_get_date (first), >=, pcmbn_record_get_date (last));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 5000));

  /* Scrolling through everything keeps a bounded number of pages. */
  for (guint i = 0; i < 5000; i++)
    {
      g_autoptr (PcmbnRecord) r = g_list_model_get_item (G_LIST_MODEL (list), i);
      g_assert_nonnull (r);
    }
  g_assert_cmpuint (pcmbn_record_list_get_cached_pages (list), <=, 12);
}

static void
test_filters (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (1000);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  GListModel *model = G_LIST_MODEL (list);

  pcmbn_record_list_set_search (list, "phong chong");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  pcmbn_record_list_set_search (list, "PHÒNG, CHỐNG");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  pcmbn_record_list_set_search (list, "100%");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  pcmbn_record_list_set_search (list, NULL);
  pcmbn_record_list_set_type (list, "school_session");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 334);
  pcmbn_record_list_set_type (list, NULL);
  pcmbn_record_list_set_range (list, "2025-01-01", "2025-01-10");
  /* Ten days, dates cycle every 600 records: 10 × 2 records for 1000. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 20);
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, guint *calls)
{
  (*calls)++;
}

static void
test_follows_store (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (3);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  g_autoptr (JsonObject) data = pcmbn_test_json (
      "{\"date\":\"2026-02-02\",\"activity_type\":\"radio_tv\",\"subproject\":\"mass_media\","
      "\"title\":\"Phát sóng\"}");
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autoptr (PcmbnRecord) top = NULL;
  guint calls = 0;

  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &calls);
  uuid = pcmbn_store_add (store, "activity", data, &error);
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (calls, >=, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);
  top = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (pcmbn_record_get_uuid (top), ==, uuid);
  pcmbn_store_delete (store, uuid, &error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
}

/* A space or a comma typed after a word finds the same rows: the list is
 * not read again and a view hears nothing. */
static void
test_same_words (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (100);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  guint calls = 0;

  pcmbn_record_list_set_search (list, "phong");
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &calls);
  pcmbn_record_list_set_search (list, "phong ");
  pcmbn_record_list_set_search (list, "Phòng,");
  g_assert_cmpuint (calls, ==, 0);
  pcmbn_record_list_set_search (list, "phong c");
  g_assert_cmpuint (calls, ==, 1);
  pcmbn_record_list_set_search (list, "phong");
  g_assert_cmpuint (calls, ==, 2);
}

static void
test_sorting (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (200);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  g_autoptr (PcmbnRecord) a = NULL, b = NULL;

  pcmbn_record_list_set_sort (list, PCMBN_SORT_DATE_ASC);
  a = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (pcmbn_record_get_date (a), ==, "2025-01-01");
  pcmbn_record_list_set_sort (list, PCMBN_SORT_TITLE_DESC);
  b = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_true (g_str_has_prefix (pcmbn_record_get_title (b), "Phòng"));
}

/* What a search must find, worked out the slow way: every word, folded, a
 * substring of the record's folded search text. */
static guint
expected_matches (PcmbnStore *store, const char *search, GPtrArray *records)
{
  g_autofree char *folded = pcmbn_fold (search);
  g_auto (GStrv) words = NULL;
  guint n = 0;

  for (char *p = folded; *p; p++)
    if (g_ascii_ispunct (*p) && *p != '%' && *p != '_')
      *p = ' ';
  words = g_strsplit_set (folded, " \t\n", -1);
  for (guint r = 0; r < records->len; r++)
    {
      PcmbnRecord *record = records->pdata[r];
      g_autofree char *text = pcmbn_schema_search_text (pcmbn_record_get_kind (record),
                                                        pcmbn_record_get_data (record));
      gboolean all = TRUE;
      for (guint w = 0; words[w] && all; w++)
        all = *words[w] == '\0' || strstr (text, words[w]) != NULL;
      n += all;
    }
  return n;
}

/* The trigram index and the scan of the folded text find the same records,
 * in the same order, for words of every length (the index cannot look up
 * one or two letters), with diacritics or without, and after edits,
 * deletions and restorations. */
static void
test_search_index (void)
{
  static const char *const titles[] = {
    "Nói chuyện tại thôn Đông",      "Phòng, chống mua bán người", "Họp tổ dân phố số 5",
    "Truyền thông \"an toàn\" 100%", "Trường THCS Phúc Xá",        "Hưởng ứng tháng hành động",
  };
  static const char *const searches[] = {
    "thon dong",  "THÔN ĐÔNG", "thôn",          "dong thon", "ph",     "p",      "dan pho",
    "dân phố 5",  "an",        "\"an toan\"",   "100%",      "100",    "truong", "TRƯỜNG thcs",
    "huong ung",  "xyz",       "mua ban nguoi", "ong",       "hop to", "  ",     "chuyen,tai",
    "tháng hành", "ba",
  };
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  g_autoptr (PcmbnRecordList) scan = pcmbn_record_list_new (store, "activity");
  g_autoptr (GPtrArray) uuids = g_ptr_array_new_with_free_func (g_free);
  gint64 first = pcmbn_date_parse ("2025-01-01");

  g_assert_true (pcmbn_store_begin (store, &error));
  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *date = pcmbn_date_format (first + (i * 7) % 365);
      g_autofree char *title = g_strdup_printf ("%s", titles[i % G_N_ELEMENTS (titles)]);
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "date");
      json_builder_add_string_value (b, date);
      json_builder_set_member_name (b, "activity_type");
      json_builder_add_string_value (b, i % 2 ? "community_talk" : "school_session");
      json_builder_set_member_name (b, "subproject");
      json_builder_add_string_value (b, "community");
      json_builder_set_member_name (b, "title");
      json_builder_add_string_value (b, title);
      json_builder_set_member_name (b, "participants_total");
      json_builder_add_int_value (b, 10);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      g_ptr_array_add (uuids,
                       pcmbn_store_add (store, "activity", json_node_get_object (node), &error));
      g_assert_no_error (error);
    }
  g_assert_true (pcmbn_store_commit (store, &error));
  pcmbn_record_list_set_search_index (scan, FALSE);

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr (GPtrArray) all = pcmbn_store_list (store, "activity", NULL, NULL, &error);
      g_assert_no_error (error);
      for (guint q = 0; q < G_N_ELEMENTS (searches); q++)
        {
          guint expected = expected_matches (store, searches[q], all);
          guint n;
          g_autofree char *previous = NULL;

          pcmbn_record_list_set_search (list, searches[q]);
          pcmbn_record_list_set_search (scan, searches[q]);
          n = g_list_model_get_n_items (G_LIST_MODEL (list));
          g_test_message ("round %u, “%s”: %u", round, searches[q], n);
          g_assert_cmpuint (n, ==, expected);
          g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (scan)), ==, n);
          /* Every row is there, newest first, as the scan has them. */
          for (guint i = 0; i < n; i++)
            {
              g_autoptr (PcmbnRecord) r = g_list_model_get_item (G_LIST_MODEL (list), i);
              g_autoptr (PcmbnRecord) s = g_list_model_get_item (G_LIST_MODEL (scan), i);
              g_assert_nonnull (r);
              g_assert_nonnull (s);
              g_assert_cmpstr (pcmbn_record_get_uuid (r), ==, pcmbn_record_get_uuid (s));
              if (previous)
                g_assert_cmpstr (previous, >=, pcmbn_record_get_date (r));
              g_free (previous);
              previous = g_strdup (pcmbn_record_get_date (r));
            }
        }
      /* The index follows the store: an edit, deletions, a restoration. */
      if (round == 0)
        {
          g_autoptr (JsonObject) patch = pcmbn_test_json ("{\"title\":\"Gặp mặt thôn Đoài\"}");
          g_assert_true (pcmbn_store_update (store, uuids->pdata[0], patch, &error));
          g_assert_no_error (error);
          for (guint i = 1; i < 60; i++)
            g_assert_true (pcmbn_store_delete (store, uuids->pdata[i], &error));
          pcmbn_record_list_set_search (list, "thon doai");
          g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
        }
      else if (round == 1)
        {
          for (guint i = 1; i < 30; i++)
            g_assert_true (pcmbn_store_undelete (store, uuids->pdata[i], &error));
          g_assert_no_error (error);
        }
    }
  /* Filters beside the search go through the index too: the two types
   * share out what the search alone finds. */
  {
    guint total, talks, schools;
    pcmbn_record_list_set_search (list, "thon dong");
    total = g_list_model_get_n_items (G_LIST_MODEL (list));
    pcmbn_record_list_set_type (list, "community_talk");
    talks = g_list_model_get_n_items (G_LIST_MODEL (list));
    pcmbn_record_list_set_type (list, "school_session");
    schools = g_list_model_get_n_items (G_LIST_MODEL (list));
    g_assert_cmpuint (talks, >, 0);
    g_assert_cmpuint (schools, >, 0);
    g_assert_cmpuint (talks + schools, ==, total);
    pcmbn_record_list_set_range (list, "2025-01-01", "2025-03-31");
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), <, schools);
  }
}

/* Many matches: the first pages walk the date index, the deep ones read the
 * trigram index's matches; together they are every match once, in order. */
static void
test_search_deep_pages (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (5000);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *previous = NULL;
  guint n;

  pcmbn_record_list_set_search (list, "hop thon");
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpuint (n, ==, 4950);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (PcmbnRecord) r = g_list_model_get_item (G_LIST_MODEL (list), i);
      g_assert_nonnull (r);
      g_assert_true (g_hash_table_add (seen, g_strdup (pcmbn_record_get_uuid (r))));
      if (previous)
        g_assert_cmpstr (previous, >=, pcmbn_record_get_date (r));
      g_free (previous);
      previous = g_strdup (pcmbn_record_get_date (r));
    }
}

/* A row still there after a refresh, unchanged, is the same object, so
 * that a view keeps its widgets as the person types; a changed one is new. */
static void
test_keeps_rows (void)
{
  g_autoptr (PcmbnStore) store = store_with_talks (1000);
  g_autoptr (PcmbnRecordList) list = pcmbn_record_list_new (store, "activity");
  g_autoptr (PcmbnRecord) first = NULL, again = NULL, edited = NULL, other = NULL;
  g_autoptr (JsonObject) patch = pcmbn_test_json ("{\"title\":\"Họp thôn, đã sửa\"}");
  g_autoptr (GError) error = NULL;

  pcmbn_record_list_set_search (list, "hop");
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  pcmbn_record_list_set_search (list, "hop thon");
  again = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_true (again == first);

  g_assert_true (pcmbn_store_update (store, pcmbn_record_get_uuid (first), patch, &error));
  g_assert_no_error (error);
  edited = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (pcmbn_record_get_uuid (edited), ==, pcmbn_record_get_uuid (first));
  g_assert_true (edited != first);
  g_assert_cmpstr (pcmbn_record_get_title (edited), ==, "Họp thôn, đã sửa");

  pcmbn_record_list_set_search (list, "phong chong");
  other = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (pcmbn_record_get_uuid (other), !=, pcmbn_record_get_uuid (first));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_add_func ("/list-model/lazy", test_lazy_pages);
  g_test_add_func ("/list-model/filters", test_filters);
  g_test_add_func ("/list-model/follows-store", test_follows_store);
  g_test_add_func ("/list-model/same-words", test_same_words);
  g_test_add_func ("/list-model/sorting", test_sorting);
  g_test_add_func ("/list-model/search-index", test_search_index);
  g_test_add_func ("/list-model/search-deep-pages", test_search_deep_pages);
  g_test_add_func ("/list-model/keeps-rows", test_keeps_rows);
  return g_test_run ();
}
