/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* For the core's own modules (list model, reports, sync) and its tests:
 * the SQLite handle and the pieces of the store they share. Widgets never
 * include this. */

#include <sqlite3.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* The columns pcmbn_store_record_from_stmt() reads, in order. */
#define PCMBN_RECORD_COLUMNS \
  "uuid, kind, org_unit, " PCMBN_RECORD_DATA ", version, state, deleted, modified_at, problem"
/* A record's data with its sealed fields (case notes) put back when the
 * store has its key: for a query on the store's own connection. */
#define PCMBN_RECORD_DATA "pcmbn_unseal (uuid, data, sealed)"

sqlite3 *pcmbn_store_get_db (PcmbnStore *self);
void pcmbn_store_lock (PcmbnStore *self);
void pcmbn_store_set_long_write (PcmbnStore *self, gboolean on);
void pcmbn_store_copy_log (PcmbnStore *self);
void pcmbn_store_set_write_direct (PcmbnStore *self, gboolean on);
void pcmbn_store_report_progress (PcmbnStore *self, PcmbnStorePhase phase, guint done, guint total);
void pcmbn_store_unlock (PcmbnStore *self);
PcmbnRecord *pcmbn_store_record_from_stmt (sqlite3_stmt *stmt, int first_column);
void pcmbn_store_emit_changed (PcmbnStore *self, const char *kind);
gboolean pcmbn_store_exec (sqlite3 *db, const char *sql, GError **error);
sqlite3_stmt *pcmbn_store_prepare_cached (PcmbnStore *self, const char *sql, GError **error);
const char *pcmbn_store_rows_sql (
    const char **slot, const char *head, const char *row, guint n_shared, guint per_row, guint n);
void pcmbn_store_set_sqlite_error (GError **error, sqlite3 *db, const char *what);
gboolean pcmbn_store_begin_relaxed (PcmbnStore *self, GError **error);
void pcmbn_store_set_search_text (PcmbnStore *self, gboolean keep);
gboolean pcmbn_store_bulk_begin (PcmbnStore *self, GError **error);
gboolean pcmbn_store_bulk_end (PcmbnStore *self, GError **error);
gboolean pcmbn_store_build_search_index (PcmbnStore *self, GError **error);
gboolean pcmbn_store_load_begin (PcmbnStore *self, GError **error);
gboolean pcmbn_store_load_commit (PcmbnStore *self, GError **error);
gboolean pcmbn_store_load_end (PcmbnStore *self, GError **error);
void pcmbn_store_load_abort (PcmbnStore *self);
gboolean pcmbn_store_migrate (sqlite3 *db, int target_version, GError **error);
int pcmbn_store_db_version (sqlite3 *db);
char *pcmbn_store_search_table (const PcmbnKind *kind);
gboolean pcmbn_store_write_row (PcmbnStore *self,
                                const PcmbnKind *kind,
                                const char *uuid,
                                const char *org_unit,
                                JsonObject *data,
                                gint64 version,
                                gboolean deleted,
                                const char *modified_at,
                                GError **error);
gboolean pcmbn_store_write_row_text (PcmbnStore *self,
                                     const PcmbnKind *kind,
                                     const char *uuid,
                                     const char *org_unit,
                                     JsonObject *data,
                                     const char *data_text,
                                     gint64 *id,
                                     gint64 version,
                                     gboolean deleted,
                                     const char *modified_at,
                                     GError **error);
/* What a row holds besides its fields' own columns: made from the data
 * alone (pcmbn_store_row_text_init()), so possibly on another thread. */
typedef struct
{
  char *json;         /* the data kept in clear */
  GBytes *sealed;     /* (nullable): its sensitive fields, sealed */
  char *folded_title; /* (nullable) */
  char *search;       /* (nullable): a server keeps none */
} PcmbnRowText;

gboolean pcmbn_store_row_text_init (PcmbnStore *self,
                                    const PcmbnKind *kind,
                                    const char *uuid,
                                    JsonObject *data,
                                    const char *data_text,
                                    PcmbnRowText *out,
                                    GError **error);
void pcmbn_row_text_clear (PcmbnRowText *text);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PcmbnRowText, pcmbn_row_text_clear)
gboolean pcmbn_store_insert_prepared (PcmbnStore *self,
                                      const PcmbnKind *kind,
                                      const char *uuid,
                                      JsonObject *data,
                                      PcmbnRowText *text,
                                      GError **error);
gboolean pcmbn_store_insert_valid (PcmbnStore *self,
                                   const PcmbnKind *kind,
                                   const char *uuid,
                                   const char *org_unit,
                                   JsonObject *data,
                                   GError **error);
/* pcmbn-store-import.c: a valid record of any commune (district data). */
char *pcmbn_store_add_for_unit (PcmbnStore *self,
                                const char *org_unit,
                                const char *kind,
                                const char *uuid,
                                JsonObject *data,
                                GError **error);

/* The one reference resolver (a PcmbnRefResolver): the store's own writes,
 * CSV imports, district data and the district server's pushes. */
typedef struct
{
  PcmbnStore *store;
  const char *org_unit; /* nullable: the store's own commune */
  /* nullable: pcmbn_store_resolve_key () → JsonObject (freed with g_free
   * and json_object_unref): records of this import or push not yet
   * written, and those read from the store for it already (a push of a
   * thousand meetings names the same few models). Whoever deletes one
   * removes it. */
  GHashTable *pending;
} PcmbnStoreResolve;

JsonObject *pcmbn_store_resolve_ref (const char *uuid, const char *kind, gpointer user_data);
char *pcmbn_store_resolve_key (const char *kind, const char *uuid);
const PcmbnKind *pcmbn_store_lookup_kind (const char *kind_name, GError **error);
gboolean pcmbn_store_find_row (
    PcmbnStore *self, const char *uuid, sqlite3_int64 *id, PcmbnRecord **record, GError **error);
gboolean pcmbn_store_update_valid (
    PcmbnStore *self, sqlite3_int64 id, const PcmbnKind *kind, JsonObject *data, GError **error);
void pcmbn_store_cache_org_unit (PcmbnStore *self, const char *org_unit);
GBytes *pcmbn_store_seal (PcmbnStore *self, const char *ad, const char *text, GError **error);
char *
pcmbn_store_unseal (PcmbnStore *self, const char *ad, const void *blob, gsize len, GError **error);

G_END_DECLS
