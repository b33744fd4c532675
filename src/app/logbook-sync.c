/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-sync"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "logbook-sync-private.h"
#include "sync/pcmbn-conflict.h"
#include "pcmbn-util.h"

/* The app's side of sync: when to sync (at start, when the network comes
 * back, every sync-interval minutes, with exponential backoff after a
 * failure), and what to tell the person (synced, N waiting, offline, or the
 * error). The engine does the work in a worker thread; everything here runs
 * in the main thread and never waits for the network. */

#define FIRST_DELAY_S 5
#define BACKOFF_FIRST_S 30
#define BACKOFF_MAX_S 3600

typedef enum
{
  RESULT_NONE,
  RESULT_OK,
  RESULT_OFFLINE,
  RESULT_ERROR,
} LastResult;

struct _LogbookSync
{
  GObject parent_instance;

  LogbookContext *context; /* owns this object */
  PcmbnStore *store;
  PcmbnSyncEngine *engine;
  GNetworkMonitor *monitor;
  GCancellable *cancellable;

  LogbookSyncState state;
  LastResult last_result;
  char *message;
  char *progress; /* how far the running sync is, in words */
  gint64 waiting;
  gint64 conflicts;
  gint64 rejected;
  gboolean running;
  gboolean counting;
  gboolean count_again;
  gboolean automatic;
  guint failures;
  guint timeout_id;
  guint next_delay;
};

G_DEFINE_FINAL_TYPE (LogbookSync, logbook_sync, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  PROP_PROGRESS,
  PROP_WAITING,
  PROP_CONFLICTS,
  PROP_REJECTED,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static void
logbook_sync_dispose (GObject *object)
{
  LogbookSync *self = LOGBOOK_SYNC (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->monitor)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  self->context = NULL;
  g_clear_object (&self->monitor);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (logbook_sync_parent_class)->dispose (object);
}

static void
logbook_sync_finalize (GObject *object)
{
  g_free (LOGBOOK_SYNC (object)->message);
  g_free (LOGBOOK_SYNC (object)->progress);
  G_OBJECT_CLASS (logbook_sync_parent_class)->finalize (object);
}

static void
logbook_sync_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LogbookSync *self = LOGBOOK_SYNC (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_int (value, self->state);
        break;
      case PROP_MESSAGE:
        g_value_set_string (value, self->message);
        break;
      case PROP_PROGRESS:
        g_value_set_string (value, self->progress);
        break;
      case PROP_WAITING:
        g_value_set_int64 (value, self->waiting);
        break;
      case PROP_CONFLICTS:
        g_value_set_int64 (value, self->conflicts);
        break;
      case PROP_REJECTED:
        g_value_set_int64 (value, self->rejected);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
logbook_sync_class_init (LogbookSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = logbook_sync_dispose;
  object_class->finalize = logbook_sync_finalize;
  object_class->get_property = logbook_sync_get_property;
  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, LOGBOOK_SYNC_NOT_CONNECTED,
                                        LOGBOOK_SYNC_ERROR, LOGBOOK_SYNC_NOT_CONNECTED, flags);
  props[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, flags);
  props[PROP_PROGRESS] = g_param_spec_string ("progress", NULL, NULL, NULL, flags);
  props[PROP_WAITING] = g_param_spec_int64 ("waiting", NULL, NULL, 0, G_MAXINT64, 0, flags);
  props[PROP_CONFLICTS] = g_param_spec_int64 ("conflicts", NULL, NULL, 0, G_MAXINT64, 0, flags);
  props[PROP_REJECTED] = g_param_spec_int64 ("rejected", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
logbook_sync_init (LogbookSync *self)
{
  self->cancellable = g_cancellable_new ();
  self->automatic = g_getenv ("PCMBN_LOGBOOK_NO_AUTOSYNC") == NULL;
}

gboolean
logbook_sync_get_enrolled (LogbookSync *self)
{
  return self->engine && pcmbn_sync_engine_is_enrolled (self->engine);
}

static void
update_state (LogbookSync *self)
{
  LogbookSyncState state;

  if (self->running)
    state = LOGBOOK_SYNC_RUNNING;
  else if (!logbook_sync_get_enrolled (self))
    state = LOGBOOK_SYNC_NOT_CONNECTED;
  else if (self->last_result == RESULT_OFFLINE)
    state = LOGBOOK_SYNC_OFFLINE;
  else if (self->last_result == RESULT_ERROR)
    state = LOGBOOK_SYNC_ERROR;
  else if (self->waiting > 0)
    state = LOGBOOK_SYNC_WAITING;
  else
    state = LOGBOOK_SYNC_SYNCED;
  if (state == self->state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

/* Sets the text property @prop, kept in @field, telling only of a change. */
static void
set_text (LogbookSync *self, char **field, const char *text, guint prop)
{
  if (g_strcmp0 (*field, text) == 0)
    return;
  g_free (*field);
  *field = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

static void
set_message (LogbookSync *self, const char *message)
{
  set_text (self, &self->message, message, PROP_MESSAGE);
}

static void
set_progress (LogbookSync *self, const char *progress)
{
  set_text (self, &self->progress, progress, PROP_PROGRESS);
}

/* ---- progress ----------------------------------------------------------- */

typedef struct
{
  LogbookSync *self;
  PcmbnSyncPhase phase;
  guint done, total;
} ProgressUpdate;

static gboolean
progress_update_cb (gpointer data)
{
  ProgressUpdate *u = data;
  g_autofree char *text = NULL;

  /* One that comes after the end of its sync says nothing, nor a pull
   * that found nothing new. */
  if (u->self->running && !(u->phase == PCMBN_SYNC_PHASE_PULL && u->done == 0))
    {
      if (u->phase == PCMBN_SYNC_PHASE_PUSH)
        text = g_strdup_printf (_ ("Sending: %u of %u records"), u->done, u->total);
      else if (u->phase == PCMBN_SYNC_PHASE_PULL)
        text = g_strdup_printf (_ ("Receiving: %u records"), u->done);
      else
        text = g_strdup_printf (_ ("Attachments: %u of %u files"), u->done, u->total);
      set_progress (u->self, text);
    }
  g_object_unref (u->self);
  g_free (u);
  return G_SOURCE_REMOVE;
}

/* In the engine's thread: the numbers go to the main thread. The running
 * sync holds a reference to @user_data (see logbook_sync_now()). */
static void
engine_progress (PcmbnSyncPhase phase, guint done, guint total, gpointer user_data)
{
  ProgressUpdate *u = g_new (ProgressUpdate, 1);

  u->self = g_object_ref (user_data);
  u->phase = phase;
  u->done = done;
  u->total = total;
  g_main_context_invoke (NULL, progress_update_cb, u);
}

/* ---- counts ------------------------------------------------------------- */

typedef struct
{
  gint64 waiting, conflicts, rejected;
} Counts;

static void
count_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Counts *counts = g_new0 (Counts, 1);

  pcmbn_conflict_count_outbox (PCMBN_STORE (task_data), &counts->waiting, &counts->conflicts,
                               &counts->rejected);
  g_task_return_pointer (task, counts, g_free);
}

static void
count_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookSync *self = LOGBOOK_SYNC (source);
  g_autofree Counts *counts = g_task_propagate_pointer (G_TASK (result), NULL);

  self->counting = FALSE;
  if (counts == NULL || self->store == NULL)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (self->waiting != counts->waiting)
    {
      self->waiting = counts->waiting;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_WAITING]);
    }
  if (self->conflicts != counts->conflicts)
    {
      self->conflicts = counts->conflicts;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONFLICTS]);
    }
  if (self->rejected != counts->rejected)
    {
      self->rejected = counts->rejected;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REJECTED]);
    }
  update_state (self);
  g_object_thaw_notify (G_OBJECT (self));
  if (self->count_again)
    {
      self->count_again = FALSE;
      logbook_sync_refresh_counts (self);
    }
}

/**
 * logbook_sync_refresh_counts:
 * @self: a sync
 *
 * Counts the records waiting, in conflict and rejected, in a worker thread.
 */
void
logbook_sync_refresh_counts (LogbookSync *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->store == NULL)
    return;
  if (self->counting)
    {
      self->count_again = TRUE;
      return;
    }
  self->counting = TRUE;
  task = g_task_new (self, self->cancellable, count_done, NULL);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, count_thread);
}

static void
on_context_changed (LogbookContext *context, const char *kind, LogbookSync *self)
{
  logbook_sync_refresh_counts (self);
}

/* ---- scheduling --------------------------------------------------------- */

static gboolean
timeout_cb (gpointer user_data)
{
  LogbookSync *self = user_data;

  self->timeout_id = 0;
  logbook_sync_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (LogbookSync *self, guint seconds)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->next_delay = 0;
  if (!self->automatic || !logbook_sync_get_enrolled (self) || seconds == 0)
    return;
  self->next_delay = seconds;
  self->timeout_id = g_timeout_add_seconds (seconds, timeout_cb, self);
}

static gboolean
network_up (LogbookSync *self)
{
  return self->monitor == NULL || g_network_monitor_get_network_available (self->monitor);
}

static void
schedule_next (LogbookSync *self)
{
  guint interval = self->context ? logbook_context_get_sync_interval (self->context) : 0;

  if (self->last_result == RESULT_OK)
    schedule (self, interval * 60);
  else if (network_up (self))
    /* 30 s, 1 min, 2 min, … up to an hour: a server that is down is not
     * hammered, and one that comes back is found soon. */
    schedule (self,
              MIN ((guint)BACKOFF_FIRST_S << MIN (self->failures - 1, 7u), (guint)BACKOFF_MAX_S));
  else
    /* Waits for GNetworkMonitor to report a network. */
    schedule (self, 0);
}

/**
 * logbook_sync_get_next_delay:
 * @self: a sync
 *
 * Returns: seconds until the next automatic sync, 0 when none is planned
 */
guint
logbook_sync_get_next_delay (LogbookSync *self)
{
  return self->next_delay;
}

static void
on_network_changed (GNetworkMonitor *monitor, gboolean available, LogbookSync *self)
{
  if (!available || self->running || !logbook_sync_get_enrolled (self))
    return;
  if (self->last_result != RESULT_OK || self->waiting > 0)
    {
      self->failures = 0;
      schedule (self, 2);
    }
}

static void
on_interval_changed (LogbookContext *context, GParamSpec *pspec, LogbookSync *self)
{
  if (!self->running && self->last_result == RESULT_OK)
    schedule_next (self);
}

void
logbook_sync_set_automatic (LogbookSync *self, gboolean automatic)
{
  self->automatic = automatic;
  if (!automatic)
    schedule (self, 0);
}

/* ---- sync --------------------------------------------------------------- */

static void
sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookSync *self = user_data;
  g_autoptr (GError) error = NULL;
  PcmbnSyncStats stats = { 0 };

  if (!pcmbn_sync_engine_sync_finish (PCMBN_SYNC_ENGINE (source), result, &stats, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  self->running = FALSE;
  set_progress (self, NULL);
  if (error)
    {
      self->failures++;
      self->last_result = error->domain == PCMBN_ERROR && error->code == PCMBN_ERROR_NETWORK
                              ? RESULT_OFFLINE
                              : RESULT_ERROR;
      set_message (self, error->message);
    }
  else
    {
      self->failures = 0;
      self->last_result = RESULT_OK;
      set_message (self, NULL);
    }
  if (self->store)
    {
      update_state (self);
      logbook_sync_refresh_counts (self);
      schedule_next (self);
    }
  g_object_unref (self);
}

/**
 * logbook_sync_now:
 * @self: a sync
 *
 * Starts a sync in the background, unless one runs or no server is set.
 * A sync asked for by the person is tried even when GNetworkMonitor says
 * there is no network: it may be wrong about a LAN.
 */
void
logbook_sync_now (LogbookSync *self)
{
  if (self->running || !logbook_sync_get_enrolled (self))
    return;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->next_delay = 0;
  self->running = TRUE;
  update_state (self);
  pcmbn_sync_engine_sync_async (self->engine, NULL, self->cancellable, sync_done,
                                g_object_ref (self));
}

/* ---- enrolment ---------------------------------------------------------- */

static void
enroll_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  LogbookSync *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!pcmbn_sync_engine_enroll_finish (PCMBN_SYNC_ENGINE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->last_result = RESULT_NONE;
  self->failures = 0;
  set_message (self, NULL);
  update_state (self);
  /* The first sync sends what was written before the connection. */
  logbook_sync_now (self);
  g_task_return_boolean (task, TRUE);
}

/**
 * logbook_sync_enroll_async:
 * @self: a sync
 * @server_url: the district server's address, as the district wrote it
 * @code: the one-time enrolment code
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Connects this logbook to a district server, then syncs.
 */
void
logbook_sync_enroll_async (LogbookSync *self,
                           const char *server_url,
                           const char *code,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strstrip (g_strdup (server_url ? server_url : ""));
  g_autofree char *clean_code = g_strstrip (g_strdup (code ? code : ""));

  g_task_set_source_tag (task, logbook_sync_enroll_async);
  if (*url == '\0')
    {
      g_task_return_new_error (
          task, PCMBN_ERROR, PCMBN_ERROR_USAGE,
          _ ("Write the address of the server, such as "
             "http://192.168.1.10:8080/. The office that runs it gives it with the code."));
      return;
    }
  if (*clean_code == '\0')
    {
      g_task_return_new_error (task, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                               _ ("Write the enrolment code the server’s office gave you."));
      return;
    }
  /* People write the address without its scheme, as browsers allow. */
  if (!strstr (url, "://"))
    {
      char *with_scheme = g_strconcat ("http://", url, NULL);
      g_free (url);
      url = with_scheme;
    }
  pcmbn_sync_engine_enroll_async (self->engine, url, clean_code, g_get_host_name (), cancellable,
                                  enroll_done, g_steal_pointer (&task));
}

gboolean
logbook_sync_enroll_finish (LogbookSync *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- getters ------------------------------------------------------------ */

LogbookSync *
logbook_sync_new (LogbookContext *context)
{
  LogbookSync *self = g_object_new (LOGBOOK_TYPE_SYNC, NULL);

  self->context = context;
  self->store = g_object_ref (logbook_context_get_store (context));
  self->engine = pcmbn_sync_engine_new (self->store);
  pcmbn_sync_engine_set_progress (self->engine, engine_progress, self);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->monitor, "network-changed", G_CALLBACK (on_network_changed), self);
  g_signal_connect (context, "changed", G_CALLBACK (on_context_changed), self);
  g_signal_connect (context, "notify::sync-interval", G_CALLBACK (on_interval_changed), self);
  update_state (self);
  logbook_sync_refresh_counts (self);
  if (logbook_sync_get_enrolled (self) && network_up (self))
    schedule (self, FIRST_DELAY_S);
  return self;
}

PcmbnSyncEngine *
logbook_sync_get_engine (LogbookSync *self)
{
  return self->engine;
}

LogbookSyncState
logbook_sync_get_state (LogbookSync *self)
{
  return self->state;
}

/**
 * logbook_sync_get_progress:
 * @self: a sync
 *
 * Returns: (nullable): how far the running sync is, such as "Receiving:
 *   4000 records", in words for the person
 */
const char *
logbook_sync_get_progress (LogbookSync *self)
{
  return self->progress;
}

/**
 * logbook_sync_get_message:
 * @self: a sync
 *
 * Returns: (nullable): why the last sync failed, in words for the person
 */
const char *
logbook_sync_get_message (LogbookSync *self)
{
  return self->message;
}

char *
logbook_sync_dup_server (LogbookSync *self)
{
  return self->store ? pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_SERVER) : NULL;
}

/**
 * logbook_sync_dup_server_name:
 * @self: a sync
 *
 * A server is named by the unit it serves, learnt at enrolment: since July
 * 2025 Hanoi's communes report straight to the city, and "the district
 * server" names nothing.
 *
 * Returns: (transfer full): such as "Server of Thành phố Hà Nội", or
 *   "Server" before the logbook is enrolled
 */
char *
logbook_sync_dup_server_name (LogbookSync *self)
{
  g_autofree char *code = self->store
                              ? pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_SERVER_UNIT)
                              : NULL;
  g_autoptr (PcmbnOrgUnit) unit = code ? pcmbn_store_get_unit (self->store, code) : NULL;

  if (unit)
    /* TRANSLATORS: %s is the unit the server serves, such as “Thành phố Hà Nội” */
    return g_strdup_printf (_ ("Server of %s"), unit->full_name ? unit->full_name : unit->name);
  return g_strdup (_ ("Server"));
}

gint64
logbook_sync_get_waiting (LogbookSync *self)
{
  return self->waiting;
}

gint64
logbook_sync_get_conflicts (LogbookSync *self)
{
  return self->conflicts;
}

gint64
logbook_sync_get_rejected (LogbookSync *self)
{
  return self->rejected;
}

/**
 * logbook_sync_describe:
 * @self: a sync
 *
 * Returns: (transfer full): the state in a few words, for the sync button
 */
char *
logbook_sync_describe (LogbookSync *self)
{
  switch (self->state)
    {
      case LOGBOOK_SYNC_NOT_CONNECTED:
        return g_strdup (_ ("Not connected"));
      case LOGBOOK_SYNC_RUNNING:
        return g_strdup (_ ("Syncing…"));
      case LOGBOOK_SYNC_SYNCED:
        /* Records in conflict are not synced: saying so beside "1
         * conflict" would contradict it. */
        if (self->conflicts > 0)
          return g_strdup (_ ("Not fully synced"));
        return g_strdup (_ ("Synced"));
      case LOGBOOK_SYNC_WAITING:
        return g_strdup_printf (g_dngettext (NULL, "%d waiting", "%d waiting", self->waiting),
                                (int)self->waiting);
      case LOGBOOK_SYNC_OFFLINE:
        return g_strdup (_ ("Offline"));
      case LOGBOOK_SYNC_ERROR:
      default:
        return g_strdup (_ ("Sync failed"));
    }
}
