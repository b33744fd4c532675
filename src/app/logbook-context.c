/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-context"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-context.h"
#include "logbook-sync.h"
#include "store/pcmbn-attachments.h"
#include "report/pcmbn-report.h"
#include "pcmbn-util.h"

/* The one object through which the window reaches its data. It owns the
 * store; widgets see list models, records, signals and _async calls, never
 * SQL. */

struct _LogbookContext
{
  GObject parent_instance;

  PcmbnStore *store;
  PcmbnStore *reference; /* the bundled org-unit list, for the first run */
  GSettings *settings;   /* NULL when the schema is not installed */
  LogbookSync *sync;     /* made when first asked for */
  gulong changed_id;
};

G_DEFINE_FINAL_TYPE (LogbookContext, logbook_context, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_INITIALIZED,
  PROP_HIDE_COUNSELLING,
  PROP_PROFILE,
  PROP_SYNC_INTERVAL,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
logbook_context_dispose (GObject *object)
{
  LogbookContext *self = LOGBOOK_CONTEXT (object);

  g_clear_object (&self->sync);
  g_clear_signal_handler (&self->changed_id, self->store);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);
  g_clear_object (&self->reference);
  G_OBJECT_CLASS (logbook_context_parent_class)->dispose (object);
}

static void
logbook_context_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LogbookContext *self = LOGBOOK_CONTEXT (object);

  switch (prop_id)
    {
      case PROP_INITIALIZED:
        g_value_set_boolean (value, logbook_context_get_initialized (self));
        break;
      case PROP_HIDE_COUNSELLING:
        g_value_set_boolean (value, logbook_context_get_hide_counselling (self));
        break;
      case PROP_PROFILE:
        g_value_take_string (value, logbook_context_dup_profile (self));
        break;
      case PROP_SYNC_INTERVAL:
        g_value_set_uint (value, logbook_context_get_sync_interval (self));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
logbook_context_class_init (LogbookContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = logbook_context_dispose;
  object_class->get_property = logbook_context_get_property;

  properties[PROP_INITIALIZED] = g_param_spec_boolean ("initialized", NULL, NULL, FALSE,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                           | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_HIDE_COUNSELLING] = g_param_spec_boolean (
      "hide-counselling", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROFILE] = g_param_spec_string ("profile", NULL, NULL, NULL,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                      | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SYNC_INTERVAL] = g_param_spec_uint ("sync-interval", NULL, NULL, 0, 1440, 30,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                          | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LogbookContext::changed:
   * @kind: (nullable): the kind whose records changed
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
logbook_context_init (LogbookContext *self)
{
}

static void
on_store_changed (PcmbnStore *store, const char *kind, LogbookContext *self)
{
  g_signal_emit (self, signals[CHANGED], 0, kind);
}

/**
 * logbook_settings_new:
 *
 * The app's GSettings, when its schema is installed (or compiled in the build
 * tree, see main()). Without it the preferences fall back to the database,
 * so that a missing schema never stops the Logbook.
 *
 * Returns: (transfer full) (nullable): the settings
 */
GSettings *
logbook_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_debug ("The schema %s is not installed; the preferences stay in the database",
               APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static void
on_setting_changed (GSettings *settings, const char *key, LogbookContext *self)
{
  if (g_str_equal (key, "hide-counselling"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_COUNSELLING]);
  else if (g_str_equal (key, "sync-interval"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_INTERVAL]);
}

LogbookContext *
logbook_context_new (PcmbnStore *store)
{
  LogbookContext *self = g_object_new (LOGBOOK_TYPE_CONTEXT, NULL);

  self->store = g_object_ref (store);
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (on_store_changed), self);
  self->settings = logbook_settings_new ();
  if (self->settings)
    g_signal_connect (self->settings, "changed", G_CALLBACK (on_setting_changed), self);
  return self;
}

/**
 * logbook_context_get_sync:
 * @self: a context
 *
 * Made on first use, so that a window that is never shown (tests, the
 * start-up benchmark) starts no network work.
 *
 * Returns: (transfer none): the logbook's sync with the district
 */
LogbookSync *
logbook_context_get_sync (LogbookContext *self)
{
  if (self->sync == NULL)
    self->sync = logbook_sync_new (self);
  return self->sync;
}

/**
 * logbook_context_get_settings:
 * @self: a context
 *
 * Returns: (transfer none) (nullable): the app's settings, %NULL when the
 *   schema is not installed
 */
GSettings *
logbook_context_get_settings (LogbookContext *self)
{
  return self->settings;
}

LogbookContext *
logbook_context_open (const char *path, GError **error)
{
  g_autoptr (PcmbnStore) store = pcmbn_store_open (path, error);

  if (store == NULL)
    return NULL;
  return logbook_context_new (store);
}

PcmbnStore *
logbook_context_get_store (LogbookContext *self)
{
  return self->store;
}

gboolean
logbook_context_get_initialized (LogbookContext *self)
{
  return pcmbn_store_get_org_unit (self->store) != NULL;
}

char *
logbook_context_dup_commune_name (LogbookContext *self)
{
  g_autoptr (PcmbnOrgUnit)
      unit = pcmbn_store_get_unit (self->store, pcmbn_store_get_org_unit (self->store));

  if (unit == NULL)
    return g_strdup (pcmbn_store_get_org_unit (self->store));
  return g_strdup (unit->full_name && *unit->full_name ? unit->full_name : unit->name);
}

/**
 * logbook_context_find_communes:
 * @self: a context
 * @query: words, with or without diacritics
 * @limit: at most this many
 *
 * Searches the bundled list in memory, so that nothing is written to the
 * logbook before the person has chosen.
 *
 * Returns: (transfer full) (element-type PcmbnOrgUnit): matching communes
 */
GPtrArray *
logbook_context_find_communes (LogbookContext *self, const char *query, guint limit)
{
  if (self->reference == NULL)
    {
      g_autoptr (GError) error = NULL;
      self->reference = pcmbn_store_open (":memory:", &error);
      if (self->reference == NULL || !pcmbn_store_load_units (self->reference, NULL, &error))
        {
          g_warning ("Cannot load the list of communes: %s", error ? error->message : "");
          g_clear_object (&self->reference);
          return g_ptr_array_new ();
        }
    }
  return pcmbn_store_find_units (self->reference, query, "commune", limit);
}

/**
 * logbook_context_dup_parent_name:
 * @self: a context
 * @code: a unit found by logbook_context_find_communes()
 *
 * Returns: (transfer full) (nullable): the full name of the unit above it,
 *   which tells same-named communes apart
 */
char *
logbook_context_dup_parent_name (LogbookContext *self, const char *code)
{
  g_autoptr (PcmbnOrgUnit) unit = self->reference ? pcmbn_store_get_unit (self->reference, code)
                                                  : NULL;
  g_autoptr (PcmbnOrgUnit) parent = unit && unit->parent_code
                                        ? pcmbn_store_get_unit (self->reference, unit->parent_code)
                                        : NULL;

  return parent ? g_strdup (parent->full_name ? parent->full_name : parent->name) : NULL;
}

gboolean
logbook_context_init_commune (LogbookContext *self,
                              const char *code,
                              const char *profile,
                              GError **error)
{
  if (!pcmbn_store_init_commune (self->store, code, NULL, profile, error))
    return FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIALIZED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_COUNSELLING]);
  return TRUE;
}

static void
set_meta (LogbookContext *self, const char *key, const char *value)
{
  g_autoptr (GError) error = NULL;

  if (!pcmbn_store_set_meta (self->store, key, value, &error))
    g_warning ("Cannot save the setting %s: %s", key, error->message);
}

char *
logbook_context_dup_profile (LogbookContext *self)
{
  char *profile = pcmbn_store_get_meta (self->store, "profile");
  return profile ? profile : g_strdup ("culture");
}

void
logbook_context_set_profile (LogbookContext *self, const char *profile)
{
  g_autofree char *old = logbook_context_dup_profile (self);

  if (g_strcmp0 (old, profile) == 0)
    return;
  set_meta (self, "profile", profile);
  /* The profile belongs to the logbook (its database); the setting only
   * remembers it, to suggest it on the next first run. */
  if (self->settings)
    g_settings_set_string (self->settings, "profile", profile);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_COUNSELLING]);
}

/* A profile orders the sections and hides none: the first run promises that
 * every section stays usable. Only the person hides Counselling. */
gboolean
logbook_context_get_hide_counselling (LogbookContext *self)
{
  g_autofree char *value = NULL;

  if (self->settings)
    {
      g_autoptr (GVariant) user = g_settings_get_user_value (self->settings, "hide-counselling");
      if (user)
        return g_variant_get_boolean (user);
    }
  else
    value = pcmbn_store_get_meta (self->store, "app.hide_counselling");
  return g_strcmp0 (value, "yes") == 0;
}

void
logbook_context_set_hide_counselling (LogbookContext *self, gboolean hide)
{
  gboolean old = logbook_context_get_hide_counselling (self);

  if (self->settings)
    {
      /* Written even when equal to the profile's default: it is a choice. */
      g_signal_handlers_block_by_func (self->settings, on_setting_changed, self);
      g_settings_set_boolean (self->settings, "hide-counselling", hide);
      g_signal_handlers_unblock_by_func (self->settings, on_setting_changed, self);
    }
  else
    set_meta (self, "app.hide_counselling", hide ? "yes" : "no");
  if (old != hide)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_COUNSELLING]);
}

/**
 * logbook_context_dup_language:
 * @self: a context
 *
 * Returns: (transfer full) (nullable): "vi", "en", or %NULL to follow the
 *   system
 */
char *
logbook_context_dup_language (LogbookContext *self)
{
  g_autofree char *language = NULL;

  if (self->settings == NULL)
    return pcmbn_store_get_meta (self->store, "app.language");
  language = g_settings_get_string (self->settings, "language");
  return *language ? g_steal_pointer (&language) : NULL;
}

void
logbook_context_set_language (LogbookContext *self, const char *language)
{
  if (self->settings)
    g_settings_set_string (
        self->settings, "language",
        g_strcmp0 (language, "vi") == 0 || g_strcmp0 (language, "en") == 0 ? language : "");
  else
    set_meta (self, "app.language", language && *language ? language : NULL);
}

/**
 * logbook_context_get_sync_interval:
 * @self: a context
 *
 * Returns: minutes between automatic syncs, 0 for none
 */
guint
logbook_context_get_sync_interval (LogbookContext *self)
{
  g_autofree char *value = NULL;
  guint64 minutes;

  if (self->settings)
    return g_settings_get_uint (self->settings, "sync-interval");
  value = pcmbn_store_get_meta (self->store, "app.sync_interval");
  if (value && g_ascii_string_to_unsigned (value, 10, 0, 1440, &minutes, NULL))
    return minutes;
  return 30;
}

void
logbook_context_set_sync_interval (LogbookContext *self, guint minutes)
{
  g_autofree char *text = g_strdup_printf ("%u", MIN (minutes, 1440));

  if (minutes == logbook_context_get_sync_interval (self))
    return;
  if (self->settings)
    {
      g_signal_handlers_block_by_func (self->settings, on_setting_changed, self);
      g_settings_set_uint (self->settings, "sync-interval", MIN (minutes, 1440));
      g_signal_handlers_unblock_by_func (self->settings, on_setting_changed, self);
    }
  else
    set_meta (self, "app.sync_interval", text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_INTERVAL]);
}

PcmbnRecordList *
logbook_context_new_list (LogbookContext *self, const char *kind)
{
  return pcmbn_record_list_new (self->store, kind);
}

/**
 * logbook_context_list_models:
 * @self: a context
 *
 * Returns: (transfer full) (element-type PcmbnRecord): the commune's models,
 *   for a meeting's drop-down
 */
GPtrArray *
logbook_context_list_models (LogbookContext *self)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *models = pcmbn_store_list (self->store, "model", NULL, NULL, &error);

  if (models == NULL)
    {
      g_warning ("Cannot list the models: %s", error->message);
      return g_ptr_array_new_with_free_func (g_object_unref);
    }
  return models;
}

PcmbnRecord *
logbook_context_get_record (LogbookContext *self, const char *uuid, GError **error)
{
  return pcmbn_store_get (self->store, uuid, error);
}

/**
 * logbook_context_resolve_ref:
 * @uuid: a referenced record
 * @kind: its expected kind
 * @self: (type LogbookContext): a context
 *
 * A #PcmbnRefResolver for validating forms as the store will.
 *
 * Returns: (transfer full) (nullable): the record's data
 */
JsonObject *
logbook_context_resolve_ref (const char *uuid, const char *kind, gpointer self)
{
  g_autoptr (PcmbnRecord) record = NULL;

  if (!pcmbn_uuid_is_valid (uuid))
    return NULL;
  record = pcmbn_store_get (LOGBOOK_CONTEXT (self)->store, uuid, NULL);
  if (record == NULL || !g_str_equal (pcmbn_record_get_kind (record)->name, kind))
    return NULL;
  return json_object_ref (pcmbn_record_get_data (record));
}

gint64
logbook_context_count_dirty (LogbookContext *self)
{
  return pcmbn_store_count_dirty (self->store);
}

GPtrArray *
logbook_context_recent (LogbookContext *self, guint limit)
{
  return pcmbn_store_recent (self->store, limit);
}

void
logbook_context_count_by_month (LogbookContext *self, const char *kind, int year, guint counts[12])
{
  pcmbn_store_count_by_month (self->store, kind, year, counts);
}

static void
add_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char *uuid = pcmbn_store_add_finish (PCMBN_STORE (source), result, &error);

  if (uuid)
    g_task_return_pointer (task, uuid, g_free);
  else
    g_task_return_error (task, error);
}

static void
update_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (pcmbn_store_update_finish (PCMBN_STORE (source), result, &error))
    g_task_return_pointer (task, g_strdup (g_task_get_task_data (task)), g_free);
  else
    g_task_return_error (task, error);
}

/**
 * logbook_context_save_async:
 * @self: a context
 * @kind: the record's kind
 * @uuid: (nullable): the record being edited, %NULL for a new one
 * @input: the form's fields (an update clears the fields absent from it)
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 */
void
logbook_context_save_async (LogbookContext *self,
                            const char *kind,
                            const char *uuid,
                            JsonObject *input,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, logbook_context_save_async);
  if (uuid == NULL)
    {
      pcmbn_store_add_async (self->store, kind, input, cancellable, add_done, task);
    }
  else
    {
      g_autoptr (JsonObject) patch = NULL;
      const PcmbnKind *k = pcmbn_schema_kind (kind);
      patch = json_object_new ();
      for (guint i = 0; i < k->n_fields; i++)
        {
          JsonNode *node = json_object_get_member (input, k->fields[i].name);
          json_object_set_member (patch, k->fields[i].name,
                                  node ? json_node_copy (node) : json_node_new (JSON_NODE_NULL));
        }
      g_task_set_task_data (task, g_strdup (uuid), g_free);
      pcmbn_store_update_async (self->store, uuid, patch, cancellable, update_done, task);
    }
}

/**
 * logbook_context_save_finish:
 * @self: a context
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the saved record's uuid
 */
char *
logbook_context_save_finish (LogbookContext *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  gboolean ok = GPOINTER_TO_INT (g_task_get_task_data (task))
                    ? pcmbn_store_undelete_finish (PCMBN_STORE (source), result, &error)
                    : pcmbn_store_delete_finish (PCMBN_STORE (source), result, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
logbook_context_delete_async (LogbookContext *self,
                              const char *uuid,
                              gboolean undelete,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_task_data (task, GINT_TO_POINTER (undelete), NULL);
  if (undelete)
    pcmbn_store_undelete_async (self->store, uuid, NULL, delete_done, task);
  else
    pcmbn_store_delete_async (self->store, uuid, NULL, delete_done, task);
}

gboolean
logbook_context_delete_finish (LogbookContext *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
list_deleted_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LogbookContext *self = source;
  GError *error = NULL;
  GPtrArray *records = pcmbn_store_list_deleted (self->store, NULL, NULL, &error);

  if (records)
    g_task_return_pointer (task, records, (GDestroyNotify)g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

/**
 * logbook_context_list_deleted_async:
 * @self: a context
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Lists the records deleted in the last 30 days, in a worker thread.
 */
void
logbook_context_list_deleted_async (LogbookContext *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_run_in_thread (task, list_deleted_thread);
}

/**
 * logbook_context_list_deleted_finish:
 * @self: a context
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type PcmbnRecord) (nullable): the
 *   deleted records, the latest deletion first
 */
GPtrArray *
logbook_context_list_deleted_finish (LogbookContext *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
report_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LogbookContext *self = source;
  char **period = task_data;
  GError *error = NULL;
  JsonNode *report = pcmbn_report_build (self->store, pcmbn_store_get_org_unit (self->store),
                                         period[0], period[1], PCMBN_REPORT_DEFAULT, &error);

  if (report)
    g_task_return_pointer (task, report, (GDestroyNotify)json_node_unref);
  else
    g_task_return_error (task, error);
}

/**
 * logbook_context_report_async:
 * @self: a context
 * @year: the report's year
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Builds the commune's report in a worker thread: on 100,000 records it
 * takes longer than a frame.
 */
void
logbook_context_report_async (LogbookContext *self,
                              int year,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autofree char *from = g_strdup_printf ("%04d-01-01", year);
  g_autofree char *to = g_strdup_printf ("%04d-12-31", year);

  logbook_context_report_range_async (self, from, to, cancellable, callback, user_data);
}

/**
 * logbook_context_report_range_async:
 * @self: a context
 * @from: the first day, yyyy-mm-dd
 * @to: the last day, yyyy-mm-dd
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The commune's report for a period, built in a worker thread. Finish with
 * logbook_context_report_finish().
 */
void
logbook_context_report_range_async (LogbookContext *self,
                                    const char *from,
                                    const char *to,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  char **period = g_new0 (char *, 3);

  period[0] = g_strdup (from);
  period[1] = g_strdup (to);
  g_task_set_task_data (task, period, (GDestroyNotify)g_strfreev);
  g_task_run_in_thread (task, report_thread);
}

/**
 * logbook_context_report_finish:
 * @self: a context
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the report JSON
 */
JsonNode *
logbook_context_report_finish (LogbookContext *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
logbook_context_save_draft (LogbookContext *self,
                            const char *id,
                            const char *kind,
                            const char *record_uuid,
                            JsonObject *data)
{
  g_autoptr (GError) error = NULL;

  if (!pcmbn_drafts_save (self->store, id, kind, record_uuid, data, &error))
    g_warning ("Cannot autosave the form: %s", error->message);
}

PcmbnDraft *
logbook_context_get_draft (LogbookContext *self, const char *id)
{
  return pcmbn_drafts_get (self->store, id);
}

GPtrArray *
logbook_context_list_drafts (LogbookContext *self, const char *kind)
{
  return pcmbn_drafts_list (self->store, kind);
}

void
logbook_context_delete_draft (LogbookContext *self, const char *id)
{
  g_autoptr (GError) error = NULL;

  if (!pcmbn_drafts_delete (self->store, id, &error))
    g_warning ("Cannot remove the draft: %s", error->message);
}

static void
attachment_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  JsonObject *entry = pcmbn_attachments_add_file_finish (PCMBN_STORE (source), result, &error);

  if (entry)
    g_task_return_pointer (task, entry, (GDestroyNotify)json_object_unref);
  else
    g_task_return_error (task, error);
}

void
logbook_context_add_attachment_async (LogbookContext *self,
                                      GFile *file,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  pcmbn_attachments_add_file_async (self->store, file, NULL, attachment_done, task);
}

/**
 * logbook_context_add_attachment_finish:
 * @self: a context
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the attachment's entry
 */
JsonObject *
logbook_context_add_attachment_finish (LogbookContext *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
logbook_overview_data_free (LogbookOverviewData *data)
{
  if (data == NULL)
    return;
  g_clear_pointer (&data->recent, g_ptr_array_unref);
  g_free (data);
}

static void
overview_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LogbookContext *self = source;
  LogbookOverviewData *data = g_new0 (LogbookOverviewData, 1);

  pcmbn_store_count_by_month (self->store, "activity", GPOINTER_TO_INT (task_data), data->months);
  data->dirty = pcmbn_store_count_dirty (self->store);
  data->recent = pcmbn_store_recent (self->store, 6);
  g_task_return_pointer (task, data, (GDestroyNotify)logbook_overview_data_free);
}

/**
 * logbook_context_overview_async:
 * @self: a context
 * @year: the year of the chart
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The overview's counts, in a worker thread so that they never delay a
 * frame.
 */
void
logbook_context_overview_async (LogbookContext *self,
                                int year,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_task_data (task, GINT_TO_POINTER (year), NULL);
  g_task_run_in_thread (task, overview_thread);
}

/**
 * logbook_context_overview_finish:
 * @self: a context
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the counts
 */
LogbookOverviewData *
logbook_context_overview_finish (LogbookContext *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
