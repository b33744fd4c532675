/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "records/pcmbn-record.h"

G_BEGIN_DECLS

#define PCMBN_TYPE_STORE (pcmbn_store_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnStore, pcmbn_store, PCMBN, STORE, GObject)

#define PCMBN_STORE_SCHEMA_VERSION 10

/* The meta key of a logbook's last completed sync (UTC, ISO 8601): written by
 * the sync engine, read by the commune's report. */
#define PCMBN_STORE_META_LAST_SYNC "sync_last"

typedef struct
{
  char *code;
  char *name;
  char *full_name;
  char *level;
  char *unit_type;
  char *parent_code;
  gboolean key_area;
  gint64 population_14_60; /* -1 when unknown */
} PcmbnOrgUnit;

void pcmbn_org_unit_free (PcmbnOrgUnit *unit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnOrgUnit, pcmbn_org_unit_free)

/* Bulk work that reports how far it is: see pcmbn_store_set_progress(). */
typedef enum
{
  PCMBN_STORE_PHASE_CHECK,  /* import: rows checked */
  PCMBN_STORE_PHASE_WRITE,  /* import: rows written */
  PCMBN_STORE_PHASE_EXPORT, /* export: rows written out */
} PcmbnStorePhase;

typedef void (*PcmbnStoreProgress) (PcmbnStorePhase phase,
                                    guint done,
                                    guint total,
                                    gpointer user_data);

char *pcmbn_store_default_path (void);
PcmbnStore *pcmbn_store_open (const char *path, GError **error);
PcmbnStore *pcmbn_store_open_with_key (const char *path, const char *key_text, GError **error);
const char *pcmbn_store_get_path (PcmbnStore *self);
void pcmbn_store_set_progress (PcmbnStore *self, PcmbnStoreProgress progress, gpointer user_data);

/* Sensitive data at rest: the key lives outside the file. */
gboolean pcmbn_store_has_key (PcmbnStore *self);
gboolean pcmbn_store_require_key (PcmbnStore *self, GError **error);
const char *pcmbn_store_get_key_problem (PcmbnStore *self);
const char *pcmbn_store_get_key_location (PcmbnStore *self);
gboolean pcmbn_store_key_in_file (PcmbnStore *self);
char *pcmbn_store_take_recovery_code (PcmbnStore *self);
char *pcmbn_store_new_recovery_code (PcmbnStore *self, GError **error);
gboolean pcmbn_store_recover_key (PcmbnStore *self, const char *code, GError **error);
void pcmbn_store_forget_new_key (PcmbnStore *self);

/* Reference data */
gboolean pcmbn_store_load_units (PcmbnStore *self, const char *units_csv, GError **error);
gboolean pcmbn_store_init_commune (PcmbnStore *self,
                                   const char *org_unit,
                                   const char *units_csv,
                                   const char *profile,
                                   GError **error);
const char *pcmbn_store_get_org_unit (PcmbnStore *self);
gboolean pcmbn_store_require_init (PcmbnStore *self, GError **error);
PcmbnOrgUnit *pcmbn_store_get_unit (PcmbnStore *self, const char *code);
GPtrArray *
pcmbn_store_find_units (PcmbnStore *self, const char *query, const char *level, guint limit);
GPtrArray *pcmbn_store_communes_under (PcmbnStore *self, const char *code);
gboolean pcmbn_store_unit_is_within (PcmbnStore *self, const char *code, const char *ancestor);
gboolean pcmbn_store_set_unit_facts (
    PcmbnStore *self, const char *code, int key_area, gint64 population_14_60, GError **error);
char *pcmbn_store_get_meta (PcmbnStore *self, const char *key);
gboolean
pcmbn_store_set_meta (PcmbnStore *self, const char *key, const char *value, GError **error);
gboolean pcmbn_store_get_target (PcmbnStore *self, int year, const char *indicator, double *value);
gboolean pcmbn_store_set_target (
    PcmbnStore *self, int year, const char *indicator, double value, GError **error);

/* Records */
char *pcmbn_store_add (PcmbnStore *self, const char *kind, JsonObject *data, GError **error);
gboolean pcmbn_store_update (PcmbnStore *self, const char *uuid, JsonObject *patch, GError **error);
PcmbnRecord *pcmbn_store_get (PcmbnStore *self, const char *uuid, GError **error);
gboolean pcmbn_store_delete (PcmbnStore *self, const char *uuid, GError **error);
gboolean pcmbn_store_undelete (PcmbnStore *self, const char *uuid, GError **error);
/* How long the app and `pcmbn deleted` offer a deleted record back. */
#define PCMBN_STORE_DELETED_DAYS 30
GPtrArray *
pcmbn_store_list_deleted (PcmbnStore *self, const char *kind, const char *since, GError **error);
GPtrArray *pcmbn_store_list (
    PcmbnStore *self, const char *kind, const char *from, const char *to, GError **error);
gint64 pcmbn_store_count (PcmbnStore *self, const char *kind);
gint64 pcmbn_store_count_dirty (PcmbnStore *self);
gboolean pcmbn_store_drop_search_index (PcmbnStore *self, GError **error);

/* Bulk work: one transaction, all or nothing. */
gboolean pcmbn_store_begin (PcmbnStore *self, GError **error);
gboolean pcmbn_store_commit (PcmbnStore *self, GError **error);
void pcmbn_store_rollback (PcmbnStore *self);

gboolean pcmbn_store_import_csv (PcmbnStore *self,
                                 const char *kind,
                                 const char *text,
                                 gsize len,
                                 guint *n_imported,
                                 GError **error);
char *pcmbn_store_export_csv (PcmbnStore *self, const char *kind, gsize *len, GError **error);
char *pcmbn_store_export_csv_range (PcmbnStore *self,
                                    const char *kind,
                                    const char *from,
                                    const char *to,
                                    gsize *len,
                                    GError **error);
char *pcmbn_store_export_json (
    PcmbnStore *self, const char *kind, const char *from, const char *to, GError **error);

/* Async wrappers for the app: the work runs in a thread. */
void pcmbn_store_add_async (PcmbnStore *self,
                            const char *kind,
                            JsonObject *data,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
char *pcmbn_store_add_finish (PcmbnStore *self, GAsyncResult *result, GError **error);
void pcmbn_store_update_async (PcmbnStore *self,
                               const char *uuid,
                               JsonObject *patch,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean pcmbn_store_update_finish (PcmbnStore *self, GAsyncResult *result, GError **error);

/* ---- app ---- */
void pcmbn_store_delete_async (PcmbnStore *self,
                               const char *uuid,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean pcmbn_store_delete_finish (PcmbnStore *self, GAsyncResult *result, GError **error);
void pcmbn_store_undelete_async (PcmbnStore *self,
                                 const char *uuid,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean pcmbn_store_undelete_finish (PcmbnStore *self, GAsyncResult *result, GError **error);
GPtrArray *pcmbn_store_recent (PcmbnStore *self, guint limit);
void pcmbn_store_count_by_month (PcmbnStore *self, const char *kind, int year, guint counts[12]);

G_END_DECLS
