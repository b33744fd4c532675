/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rows a list view holds, through changes of the records under them:
 * a row stays the same object at its place and takes the new record; only
 * places gained or lost are announced. */
#include "config.h"

#include "logbook-row-list.h"
#include "logbook-row.h"
#include "records/pcmbn-schema.h"
#include "pcmbn-test-util.h"

static PcmbnRecord *
record (guint n)
{
  g_autoptr (JsonObject) data = json_object_new ();
  g_autofree char *uuid = g_strdup_printf ("00000000-0000-4000-8000-%012u", n);

  return pcmbn_record_new (pcmbn_schema_kind ("activity"), uuid, "00001", data);
}

/* A store of records numbered @from, @from + 1, … */
static void
fill (GListStore *store, guint from, guint n)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (records, record (from + i));
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)), records->pdata,
                       records->len);
}

typedef struct
{
  guint calls, position, removed, added;
} Change;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, Change *c)
{
  c->calls++;
  c->position = position;
  c->removed = removed;
  c->added = added;
}

static void
on_notify (GObject *row, GParamSpec *pspec, guint *notified)
{
  (*notified)++;
}

/* The row at @position shows the store's record there. */
static void
assert_row_shows (GListModel *rows, GListModel *store, guint position)
{
  g_autoptr (LogbookRow) row = g_list_model_get_item (rows, position);
  g_autoptr (PcmbnRecord) expected = g_list_model_get_item (store, position);

  g_assert_true (logbook_row_get_record (row) == expected);
}

static void
test_search_keeps_rows (void)
{
  g_autoptr (GListStore) store = g_list_store_new (PCMBN_TYPE_RECORD);
  g_autoptr (LogbookRowList) list = NULL;
  GListModel *rows;
  g_autoptr (LogbookRow) first = NULL;
  g_autoptr (LogbookRow) third = NULL;
  Change change = { 0 };
  guint notified = 0;

  fill (store, 0, 10);
  list = logbook_row_list_new (G_LIST_MODEL (store));
  rows = G_LIST_MODEL (list);
  g_assert_true (g_list_model_get_item_type (rows) == LOGBOOK_TYPE_ROW);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 10);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &change);

  /* A view holds the first and the third row. */
  first = g_list_model_get_item (rows, 0);
  third = g_list_model_get_item (rows, 2);
  g_signal_connect (first, "notify::record", G_CALLBACK (on_notify), &notified);
  assert_row_shows (rows, G_LIST_MODEL (store), 0);
  {
    g_autoptr (LogbookRow) again = g_list_model_get_item (rows, 0);
    g_assert_true (again == first);
  }

  /* A search: other records at the same places, fewer of them. Only the
   * places lost are announced; the rows held show the new records. */
  fill (store, 100, 4);
  g_assert_cmpuint (change.calls, ==, 1);
  g_assert_cmpuint (change.position, ==, 4);
  g_assert_cmpuint (change.removed, ==, 6);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 4);
  g_assert_cmpuint (notified, ==, 1);
  {
    g_autoptr (LogbookRow) again = g_list_model_get_item (rows, 0);
    g_assert_true (again == first);
  }
  assert_row_shows (rows, G_LIST_MODEL (store), 0);
  assert_row_shows (rows, G_LIST_MODEL (store), 2);
  g_assert_true (logbook_row_get_record (third) != NULL);
  g_assert_cmpstr (pcmbn_record_get_uuid (logbook_row_get_record (third)), ==,
                   "00000000-0000-4000-8000-000000000102");

  /* More records: the places gained are announced, the held rows stay. */
  fill (store, 200, 8);
  g_assert_cmpuint (change.calls, ==, 2);
  g_assert_cmpuint (change.position, ==, 4);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 4);
  assert_row_shows (rows, G_LIST_MODEL (store), 2);
  assert_row_shows (rows, G_LIST_MODEL (store), 7);

  /* As many records as before: nothing to announce at all. */
  fill (store, 300, 8);
  g_assert_cmpuint (change.calls, ==, 2);
  assert_row_shows (rows, G_LIST_MODEL (store), 0);
  assert_row_shows (rows, G_LIST_MODEL (store), 2);
}

static void
test_rows_move (void)
{
  g_autoptr (GListStore) store = g_list_store_new (PCMBN_TYPE_RECORD);
  g_autoptr (LogbookRowList) list = NULL;
  GListModel *rows;
  g_autoptr (LogbookRow) fifth = NULL;
  g_autoptr (LogbookRow) second = NULL;
  g_autoptr (PcmbnRecord) shown = NULL;
  Change change = { 0 };

  fill (store, 0, 10);
  list = logbook_row_list_new (G_LIST_MODEL (store));
  rows = G_LIST_MODEL (list);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &change);
  fifth = g_list_model_get_item (rows, 4);
  second = g_list_model_get_item (rows, 1);
  shown = g_object_ref (logbook_row_get_record (fifth));

  /* The first two records go: the fifth row moves with its record to the
   * third place; the second row's place is gone, announced to the view. */
  g_list_store_splice (store, 0, 2, NULL, 0);
  g_assert_cmpuint (change.calls, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 2);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (logbook_row_get_position (fifth), ==, 2);
  g_assert_true (logbook_row_get_record (fifth) == shown);
  {
    g_autoptr (LogbookRow) at_third = g_list_model_get_item (rows, 2);
    g_autoptr (LogbookRow) at_second = g_list_model_get_item (rows, 1);
    g_assert_true (at_third == fifth);
    g_assert_true (at_second != second);
    assert_row_shows (rows, G_LIST_MODEL (store), 1);
  }

  /* A row the view let go of is made again when asked for. */
  g_clear_object (&fifth);
  {
    g_autoptr (LogbookRow) at_third = g_list_model_get_item (rows, 2);
    assert_row_shows (rows, G_LIST_MODEL (store), 2);
  }
  g_assert_null (g_list_model_get_item (rows, 8));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/row-list/search-keeps-rows", test_search_keeps_rows);
  g_test_add_func ("/row-list/rows-move", test_rows_move);
  return g_test_run ();
}
