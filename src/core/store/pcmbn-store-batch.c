/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-store"

#include "config.h"

#include "store/pcmbn-store-batch.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* Many new records into one transaction (the demo data, loaded into an
 * empty logbook) on both cores. Most of a new record's cost reads no
 * database: normalizing and validating its fields, its canonical JSON, its
 * sealed fields and the folded copies the lists search. A thread of the
 * batch does that while the caller's thread writes the records before; the
 * caller's thread, when the next record to write is not ready, prepares
 * the next one nobody has taken rather than wait, so neither thread idles
 * while there is work. Records are written in the order they were added,
 * so that a meeting finds the model added before it; references are the one
 * check that reads the database, made by the writing thread. */

/* How far the records added may run ahead of those written: the records'
 * data a batch holds stays bounded however many it takes (it keeps their
 * uuids, 37 bytes each, until it is finished). */
#define AHEAD 256
/* Records written are dropped from the front of the list this many at a
 * time: the list holds the records ahead, not every one added. */
#define COMPACT 1024

typedef struct
{
  const PcmbnKind *kind;
  const char *uuid; /* in the batch's string chunk */
  JsonObject *input;
  guint row;
  /* Made by whichever thread prepared it, before it is ready. */
  JsonObject *data;
  GPtrArray *errors; /* PcmbnFieldError */
  GError *error;     /* the text could not be made (no key) */
  gboolean validated;
  PcmbnRowText text;
  gboolean ready; /* under the batch's lock */
} Item;

struct _PcmbnStoreBatch
{
  PcmbnStore *store;
  GStringChunk *uuids;
  GMutex lock;
  GCond cond;
  GPtrArray *items; /* Item; those written are NULL until compacted */
  guint n_claimed;  /* items[0, n_claimed) were taken by a thread */
  guint n_done;     /* items[0, n_done) were written or refused */
  gboolean closing;
  gboolean stopping;     /* nothing more is written: prepare no more */
  gboolean helper_waits; /* the helper waits for records to be added */
  gboolean writer_waits; /* the writer waits for a record to be ready */
  GThread *helper;
  guint n_written;
  GPtrArray *errors;    /* PcmbnFieldError of every refused record */
  GError *error;        /* what stopped the writes */
  const char *kinds[8]; /* the kinds written, for PcmbnStore::changed */
  guint n_kinds;
};

static void
item_free (Item *item)
{
  g_clear_pointer (&item->input, json_object_unref);
  g_clear_pointer (&item->data, json_object_unref);
  g_clear_pointer (&item->errors, g_ptr_array_unref);
  g_clear_error (&item->error);
  pcmbn_row_text_clear (&item->text);
  g_free (item);
}

/* Everything about @item that reads no database; on either thread. */
static void
prepare_item (PcmbnStoreBatch *self, Item *item, gboolean stopping)
{
  item->errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  if (stopping)
    return;
  /* In any order: the store writes the text in the schema's. */
  item->data = pcmbn_schema_normalize_any_order (item->kind, item->input, item->errors);
  if (item->errors->len == 0 && !pcmbn_kind_has_references (item->kind))
    {
      pcmbn_schema_validate (item->kind, item->data, NULL, NULL, item->errors);
      item->validated = TRUE;
    }
  if (item->errors->len == 0)
    pcmbn_store_row_text_init (self->store, item->kind, item->uuid, item->data, NULL, &item->text,
                               &item->error);
}

/* Takes the next record nobody has taken, prepares it and marks it ready;
 * called and returns with the lock held. */
static void
prepare_next (PcmbnStoreBatch *self)
{
  Item *item = self->items->pdata[self->n_claimed++];
  gboolean stopping = self->stopping;

  g_mutex_unlock (&self->lock);
  prepare_item (self, item, stopping);
  g_mutex_lock (&self->lock);
  item->ready = TRUE;
}

static gpointer
helper_thread (gpointer data)
{
  PcmbnStoreBatch *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      if (self->n_claimed < self->items->len)
        {
          prepare_next (self);
          if (self->writer_waits)
            g_cond_broadcast (&self->cond);
        }
      else if (self->closing)
        break;
      else
        {
          self->helper_waits = TRUE;
          g_cond_wait (&self->cond, &self->lock);
          self->helper_waits = FALSE;
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
note_kind (PcmbnStoreBatch *self, const PcmbnKind *kind)
{
  for (guint i = 0; i < self->n_kinds; i++)
    if (self->kinds[i] == kind->name)
      return;
  if (self->n_kinds < G_N_ELEMENTS (self->kinds))
    self->kinds[self->n_kinds++] = kind->name;
}

/* Writes a prepared record, or notes why it cannot be; on the caller's
 * thread. */
static void
write_item (PcmbnStoreBatch *self, Item *item)
{
  PcmbnStoreResolve rd = { self->store, NULL, NULL };
  gboolean ok;

  if (self->error != NULL)
    return;
  if (item->errors->len == 0 && !item->validated)
    {
      pcmbn_store_lock (self->store);
      pcmbn_schema_validate (item->kind, item->data, pcmbn_store_resolve_ref, &rd, item->errors);
      pcmbn_store_unlock (self->store);
    }
  if (item->errors->len > 0)
    {
      for (guint i = 0; i < item->errors->len; i++)
        ((PcmbnFieldError *)item->errors->pdata[i])->row = item->row;
      g_ptr_array_extend_and_steal (self->errors, g_steal_pointer (&item->errors));
      return;
    }
  if (item->error != NULL)
    {
      self->error = g_steal_pointer (&item->error);
      return;
    }
  /* A refused record fails the batch: the rest is still checked, so that
   * the person sees every problem at once, but no longer written. */
  if (self->errors->len > 0)
    return;
  pcmbn_store_lock (self->store);
  ok = pcmbn_store_insert_prepared (self->store, item->kind, item->uuid, item->data, &item->text,
                                    &self->error);
  pcmbn_store_unlock (self->store);
  if (ok)
    {
      self->n_written++;
      note_kind (self, item->kind);
    }
}

/* Writes the records that are ready, in order, until no more than @ahead
 * records wait; prepares records itself rather than wait for the helper. */
static void
drain (PcmbnStoreBatch *self, guint ahead)
{
  g_mutex_lock (&self->lock);
  while (self->n_done < self->items->len)
    {
      Item *item = self->items->pdata[self->n_done];

      if (item->ready)
        {
          self->items->pdata[self->n_done++] = NULL;
          g_mutex_unlock (&self->lock);
          write_item (self, item);
          item_free (item);
          g_mutex_lock (&self->lock);
          if (self->error != NULL)
            self->stopping = TRUE;
          /* Both threads find records by these positions, under the lock. */
          if (self->n_done >= COMPACT)
            {
              g_ptr_array_remove_range (self->items, 0, self->n_done);
              self->n_claimed -= self->n_done;
              self->n_done = 0;
            }
        }
      else if (self->items->len - self->n_done <= ahead)
        break;
      else if (self->n_claimed < self->items->len)
        prepare_next (self);
      else
        {
          self->writer_waits = TRUE;
          g_cond_wait (&self->cond, &self->lock);
          self->writer_waits = FALSE;
        }
    }
  g_mutex_unlock (&self->lock);
}

/**
 * pcmbn_store_batch_new:
 * @store: a store whose commune is set up; the caller holds a transaction
 *   (pcmbn_store_load_begin() for a load into an empty store) on this
 *   thread until pcmbn_store_batch_finish()
 *
 * Starts a batch of new records of the store's commune, written on the
 * calling thread and prepared on two.
 *
 * Returns: (transfer full): the batch, to be ended with
 *   pcmbn_store_batch_finish()
 */
PcmbnStoreBatch *
pcmbn_store_batch_new (PcmbnStore *store)
{
  PcmbnStoreBatch *self = g_new0 (PcmbnStoreBatch, 1);

  self->store = g_object_ref (store);
  self->uuids = g_string_chunk_new (64 * 1024);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->items = g_ptr_array_new ();
  self->errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  /* Without the thread the caller's thread prepares every record itself. */
  self->helper = g_thread_try_new ("pcmbn-batch", helper_thread, self, NULL);
  return self;
}

/**
 * pcmbn_store_batch_add:
 * @batch: a batch
 * @kind: the record's kind
 * @uuid: (nullable): the new record's uuid, or %NULL for a new one
 * @data: (transfer full): the record's fields as a person gave them. The
 *   batch reads them on another thread: the caller may still read them,
 *   but neither changes them nor takes or drops a reference
 * @row: the record's line in the caller's file, or 0: problems name it
 *
 * Adds a record to the batch. It is checked as pcmbn_store_add() would,
 * and written in the order of the calls; what is wrong with it is told by
 * pcmbn_store_batch_finish().
 *
 * Returns: (transfer none): the record's uuid, valid until the batch is
 *   finished
 */
const char *
pcmbn_store_batch_add (
    PcmbnStoreBatch *batch, const PcmbnKind *kind, const char *uuid, JsonObject *data, guint row)
{
  Item *item;
  g_autofree char *made = NULL;
  const char *kept;

  g_return_val_if_fail (batch != NULL && kind != NULL && data != NULL, NULL);
  item = g_new0 (Item, 1);
  made = uuid ? NULL : pcmbn_uuid_new ();
  /* The batch's copy: the item may be written and freed before this
   * returns. */
  kept = g_string_chunk_insert (batch->uuids, uuid ? uuid : made);
  item->kind = kind;
  item->uuid = kept;
  item->input = data;
  item->row = row;
  g_mutex_lock (&batch->lock);
  g_ptr_array_add (batch->items, item);
  if (batch->helper_waits)
    g_cond_broadcast (&batch->cond);
  g_mutex_unlock (&batch->lock);
  drain (batch, AHEAD);
  return kept;
}

/**
 * pcmbn_store_batch_get_written:
 * @batch: a batch
 *
 * Returns: how many records of @batch were written so far
 */
guint
pcmbn_store_batch_get_written (PcmbnStoreBatch *batch)
{
  return batch->n_written;
}

/**
 * pcmbn_store_batch_finish:
 * @batch: (transfer full): a batch
 * @error: return location for an error: %PCMBN_ERROR_INVALID naming every
 *   refused record's row and fields, or what stopped the writes
 *
 * Writes what is left and frees the batch. On failure some records may
 * have been written: the caller rolls its transaction back.
 *
 * Returns: %TRUE when every record was written
 */
gboolean
pcmbn_store_batch_finish (PcmbnStoreBatch *batch, GError **error)
{
  gboolean ok;

  g_mutex_lock (&batch->lock);
  batch->closing = TRUE;
  g_cond_broadcast (&batch->cond);
  g_mutex_unlock (&batch->lock);
  drain (batch, 0);
  if (batch->helper)
    g_thread_join (batch->helper);
  ok = batch->error == NULL && batch->errors->len == 0;
  if (batch->error != NULL)
    g_propagate_error (error, g_steal_pointer (&batch->error));
  else if (batch->errors->len > 0)
    pcmbn_set_field_errors (error, batch->errors);
  else
    for (guint i = 0; i < batch->n_kinds; i++)
      pcmbn_store_emit_changed (batch->store, batch->kinds[i]);
  g_ptr_array_unref (batch->items);
  g_ptr_array_unref (batch->errors);
  g_string_chunk_free (batch->uuids);
  g_mutex_clear (&batch->lock);
  g_cond_clear (&batch->cond);
  g_object_unref (batch->store);
  g_free (batch);
  return ok;
}
