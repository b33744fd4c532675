/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-row-list"

#include "config.h"

#include "logbook-row-list.h"
#include "logbook-row.h"

/* A list of records as a view's list of LogbookRow: one row object per
 * place, for as long as a view holds it. A change that replaces rows in
 * place (a search: the same places, other records) is not announced to the
 * view; the rows it holds are given their new records and say so, and the
 * view keeps every widget. Only places gained or lost are announced. */

struct _LogbookRowList
{
  GObject parent_instance;

  GListModel *records;
  GHashTable *rows; /* position → LogbookRow, not owned: the rows a view holds */
  guint n_items;
  gulong changed_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LogbookRowList,
                               logbook_row_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* A row the view let go of leaves the table, unless its place was given to
 * another row meanwhile. */
static void
row_gone (gpointer data, GObject *where_the_row_was)
{
  LogbookRowList *self = data;
  /* Still readable: weak references are told before the row is freed. */
  gpointer at = GUINT_TO_POINTER (logbook_row_get_position ((LogbookRow *)where_the_row_was));

  if (g_hash_table_lookup (self->rows, at) == (gpointer)where_the_row_was)
    g_hash_table_remove (self->rows, at);
}

static GType
get_item_type (GListModel *model)
{
  return LOGBOOK_TYPE_ROW;
}

static guint
get_n_items (GListModel *model)
{
  return LOGBOOK_ROW_LIST (model)->n_items;
}

static gpointer
get_item (GListModel *model, guint position)
{
  LogbookRowList *self = LOGBOOK_ROW_LIST (model);
  LogbookRow *row;
  g_autoptr (GObject) record = NULL;

  if (position >= self->n_items)
    return NULL;
  row = g_hash_table_lookup (self->rows, GUINT_TO_POINTER (position));
  if (row)
    return g_object_ref (row);
  record = g_list_model_get_item (self->records, position);
  row = logbook_row_new (position, (PcmbnRecord *)record);
  g_hash_table_insert (self->rows, GUINT_TO_POINTER (position), row);
  g_object_weak_ref (G_OBJECT (row), row_gone, self);
  return row;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
on_records_changed (
    GListModel *records, guint position, guint removed, guint added, LogbookRowList *self)
{
  guint same = MIN (removed, added);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  /* The rows held, by their place as it was: those at a place replaced take
   * its new record, those after the places gained or lost move with their
   * records, those at a place lost are the view's to drop. */
  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (rows, g_object_ref (value));
  g_hash_table_remove_all (self->rows);
  for (guint i = 0; i < rows->len; i++)
    {
      LogbookRow *row = rows->pdata[i];
      guint at = logbook_row_get_position (row);

      if (at >= position + removed)
        at = at - removed + added;
      else if (at >= position + same)
        {
          g_object_weak_unref (G_OBJECT (row), row_gone, self);
          continue;
        }
      logbook_row_set_position (row, at);
      g_hash_table_insert (self->rows, GUINT_TO_POINTER (at), row);
    }
  self->n_items = g_list_model_get_n_items (records);
  /* Only now, with the table whole: a new record's notification may make a
   * view ask for a row. */
  for (guint i = 0; i < rows->len; i++)
    {
      LogbookRow *row = rows->pdata[i];
      guint at = logbook_row_get_position (row);

      if (at >= position && at < position + same
          && g_hash_table_lookup (self->rows, GUINT_TO_POINTER (at)) == row)
        {
          g_autoptr (GObject) record = g_list_model_get_item (records, at);
          logbook_row_set_record (row, (PcmbnRecord *)record);
        }
    }
  if (removed != added)
    g_list_model_items_changed (G_LIST_MODEL (self), position + same, removed - same, added - same);
}

static void
logbook_row_list_dispose (GObject *object)
{
  LogbookRowList *self = LOGBOOK_ROW_LIST (object);
  GHashTableIter iter;
  gpointer value;

  g_clear_signal_handler (&self->changed_id, self->records);
  g_clear_object (&self->records);
  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_object_weak_unref (value, row_gone, self);
  g_hash_table_remove_all (self->rows);
  G_OBJECT_CLASS (logbook_row_list_parent_class)->dispose (object);
}

static void
logbook_row_list_finalize (GObject *object)
{
  g_hash_table_unref (LOGBOOK_ROW_LIST (object)->rows);
  G_OBJECT_CLASS (logbook_row_list_parent_class)->finalize (object);
}

static void
logbook_row_list_class_init (LogbookRowListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = logbook_row_list_dispose;
  object_class->finalize = logbook_row_list_finalize;
}

static void
logbook_row_list_init (LogbookRowList *self)
{
  self->rows = g_hash_table_new (NULL, NULL);
}

/**
 * logbook_row_list_new:
 * @records: a list of PcmbnRecord
 *
 * Returns: (transfer full): the list of LogbookRow over @records
 */
LogbookRowList *
logbook_row_list_new (GListModel *records)
{
  LogbookRowList *self = g_object_new (LOGBOOK_TYPE_ROW_LIST, NULL);

  self->records = g_object_ref (records);
  self->n_items = g_list_model_get_n_items (records);
  self->changed_id = g_signal_connect (records, "items-changed", G_CALLBACK (on_records_changed),
                                       self);
  return self;
}
