/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "server/pcmbn-district-checkpointer.h"
#include "server/pcmbn-district-store-private.h"
#include "store/pcmbn-store-private.h"

/* SQLite copies the write-ahead log into the database in the commit that
 * finds the log over its limit, and that commit's request waits for the
 * copy: with pushes of 1,000 records, one push in four or so answered tens
 * of milliseconds late, while the device's next batch waited on it. Here
 * the connections of the workers only tell this thread, which copies with
 * a connection of its own (a passive checkpoint: it never waits for a
 * reader or a writer, and none waits for it). A commit still copies the
 * log itself when the log reaches eight times its limit, so that a thread
 * that falls behind cannot let the log grow without bound. What a commit
 * promises is unchanged: it is durable in the log before it answers.
 *
 * The copy waits for a quiet moment: a device pushes its records in
 * batches one after the other, and a copy made between two of them slowed
 * those after it (its reads, writes and the flush of the database compete
 * with the pushes' own on two cores and one disk). A full push of 10,000
 * records took 0.76-0.91 s with no copy during it against 1.05-1.08 s.
 * So the thread copies once no commit came for QUIET_MS, or at once when
 * the log reaches four times its limit, and a page that several pushes
 * change is copied once. */

#define QUIET_MS 250
#define URGENT_FACTOR 4
#define INLINE_FACTOR 8

struct _PcmbnDistrictCheckpointer
{
  gatomicrefcount ref;
  sqlite3 *db;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean wanted;    /* a commit found the log over its limit */
  gboolean urgent;    /* ... over URGENT_FACTOR times it */
  gint64 last_commit; /* monotonic time of the last commit over the limit */
  gint64 quiet;       /* how long no commit makes a quiet moment, in µs */
  gboolean running;   /* a checkpoint is under way */
  gboolean paused;    /* for tests: requests wait */
  gboolean quit;
  guint runs; /* checkpoints done so far */
};

static PcmbnDistrictCheckpointer *
checkpointer_ref (PcmbnDistrictCheckpointer *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

static void
checkpointer_unref (PcmbnDistrictCheckpointer *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  sqlite3_close (self->db);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static gpointer
checkpoint_thread (gpointer data)
{
  PcmbnDistrictCheckpointer *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      while (!self->quit && (!self->wanted || self->paused))
        g_cond_wait (&self->cond, &self->lock);
      if (self->quit)
        break;
      /* A commit pushes the quiet moment further away. */
      while (!self->quit && !self->paused && !self->urgent
             && g_get_monotonic_time () < self->last_commit + self->quiet)
        g_cond_wait_until (&self->cond, &self->lock, self->last_commit + self->quiet);
      if (self->quit)
        break;
      if (self->paused)
        continue;
      self->wanted = FALSE;
      self->urgent = FALSE;
      self->running = TRUE;
      g_mutex_unlock (&self->lock);
      /* Busy (another connection checkpoints) or not, the next commit
       * over the limit asks again. */
      sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      g_mutex_lock (&self->lock);
      self->running = FALSE;
      self->runs++;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/**
 * pcmbn_district_checkpointer_new:
 * @db_path: the server database
 * @error: return location for an error
 *
 * Opens a connection of its own to @db_path and starts its thread.
 *
 * Returns: (transfer full) (nullable): the checkpointer, or %NULL on error
 */
PcmbnDistrictCheckpointer *
pcmbn_district_checkpointer_new (const char *db_path, GError **error)
{
  PcmbnDistrictCheckpointer *self = g_new0 (PcmbnDistrictCheckpointer, 1);
  int rc;

  g_atomic_ref_count_init (&self->ref);
  self->quiet = QUIET_MS * 1000;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  /* A connection learns that the file is in WAL mode from its first read;
   * until then a checkpoint does nothing. It commits nothing itself. */
  rc = sqlite3_open_v2 (db_path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (self->db, 10000);
      rc = sqlite3_exec (self->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot open the database %s: %s"),
                   db_path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      checkpointer_unref (self);
      return NULL;
    }
  sqlite3_wal_autocheckpoint (self->db, 0);
  self->thread = g_thread_try_new ("pcmbn-checkpoint", checkpoint_thread, self, error);
  if (self->thread == NULL)
    {
      checkpointer_unref (self);
      return NULL;
    }
  return self;
}

/**
 * pcmbn_district_checkpointer_free:
 * @self: (transfer full) (nullable): a checkpointer
 *
 * Lets a checkpoint under way finish, stops the thread and drops this
 * reference; the connection closes once no attached store holds one.
 */
void
pcmbn_district_checkpointer_free (PcmbnDistrictCheckpointer *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  checkpointer_unref (self);
}

static int
wal_hook (void *data, sqlite3 *db, const char *name, int pages)
{
  PcmbnDistrictCheckpointer *self = data;

  if (pages < PCMBN_DISTRICT_CHECKPOINT_PAGES)
    return SQLITE_OK;
  if (pages >= INLINE_FACTOR * PCMBN_DISTRICT_CHECKPOINT_PAGES)
    {
      /* The thread cannot keep up (or is stopped): as SQLite would. */
      sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      return SQLITE_OK;
    }
  g_mutex_lock (&self->lock);
  self->last_commit = g_get_monotonic_time ();
  if (!self->quit)
    {
      self->wanted = TRUE;
      self->urgent = self->urgent || pages >= URGENT_FACTOR * PCMBN_DISTRICT_CHECKPOINT_PAGES;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);
  return SQLITE_OK;
}

/**
 * pcmbn_district_checkpointer_attach:
 * @self: a checkpointer
 * @store: a connection to the same database
 *
 * From now on, a commit of @store that leaves the log over its limit asks
 * this thread to copy it instead of copying it itself. @store keeps a
 * reference to @self for as long as it lives.
 */
void
pcmbn_district_checkpointer_attach (PcmbnDistrictCheckpointer *self, PcmbnDistrictStore *store)
{
  sqlite3 *db = pcmbn_store_get_db (pcmbn_district_store_get_store (store));

  g_object_set_data_full (G_OBJECT (store), "pcmbn-checkpointer", checkpointer_ref (self),
                          (GDestroyNotify)checkpointer_unref);
  sqlite3_wal_hook (db, wal_hook, self);
}

/**
 * pcmbn_district_checkpointer_set_paused:
 * @self: a checkpointer
 * @paused: whether requests wait
 *
 * For tests: while paused, no checkpoint starts (one under way finishes).
 */
void
pcmbn_district_checkpointer_set_paused (PcmbnDistrictCheckpointer *self, gboolean paused)
{
  g_mutex_lock (&self->lock);
  self->paused = paused;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/**
 * pcmbn_district_checkpointer_set_quiet:
 * @self: a checkpointer
 * @seconds: how long without a commit makes a quiet moment
 *
 * For tests: the copy waits for @seconds without a commit (QUIET_MS
 * otherwise), unless the log is over four times its limit.
 */
void
pcmbn_district_checkpointer_set_quiet (PcmbnDistrictCheckpointer *self, double seconds)
{
  g_mutex_lock (&self->lock);
  self->quiet = (gint64)(seconds * G_USEC_PER_SEC);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/**
 * pcmbn_district_checkpointer_get_runs:
 * @self: a checkpointer
 *
 * Returns: the number of checkpoints done so far, without waiting
 */
guint
pcmbn_district_checkpointer_get_runs (PcmbnDistrictCheckpointer *self)
{
  guint runs;

  g_mutex_lock (&self->lock);
  runs = self->runs;
  g_mutex_unlock (&self->lock);
  return runs;
}

/**
 * pcmbn_district_checkpointer_wait:
 * @self: a checkpointer, not paused
 *
 * Waits until no checkpoint is asked for or under way.
 *
 * Returns: the number of checkpoints done so far
 */
guint
pcmbn_district_checkpointer_wait (PcmbnDistrictCheckpointer *self)
{
  guint runs;

  g_mutex_lock (&self->lock);
  while (self->wanted || self->running)
    g_cond_wait (&self->cond, &self->lock);
  runs = self->runs;
  g_mutex_unlock (&self->lock);
  return runs;
}
