/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "store/pcmbn-demo.h"
#include "store/pcmbn-record-list.h"
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  g_test_add_func ("/list-model/lazy", test_lazy_pages);
  g_test_add_func ("/list-model/filters", test_filters);
  g_test_add_func ("/list-model/follows-store", test_follows_store);
  g_test_add_func ("/list-model/sorting", test_sorting);
  return g_test_run ();
}
