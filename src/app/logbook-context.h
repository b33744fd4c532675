/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "store/pcmbn-drafts.h"
#include "store/pcmbn-record-list.h"
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

#define LOGBOOK_TYPE_CONTEXT (logbook_context_get_type ())
G_DECLARE_FINAL_TYPE (LogbookContext, logbook_context, LOGBOOK, CONTEXT, GObject)

typedef struct _LogbookSync LogbookSync;

LogbookContext *logbook_context_new (PcmbnStore *store);
LogbookContext *logbook_context_open (const char *path, GError **error);
PcmbnStore *logbook_context_get_store (LogbookContext *self);

/* The commune */
gboolean logbook_context_get_initialized (LogbookContext *self);
char *logbook_context_dup_commune_name (LogbookContext *self);
GPtrArray *logbook_context_find_communes (LogbookContext *self, const char *query, guint limit);
char *logbook_context_dup_parent_name (LogbookContext *self, const char *code);
gboolean logbook_context_init_commune (LogbookContext *self,
                                       const char *code,
                                       const char *profile,
                                       GError **error);

/* Preferences: GSettings when its schema is installed, else the database;
 * the profile is the logbook's and stays in its database. */
char *logbook_context_dup_profile (LogbookContext *self);
void logbook_context_set_profile (LogbookContext *self, const char *profile);
gboolean logbook_context_get_hide_counselling (LogbookContext *self);
void logbook_context_set_hide_counselling (LogbookContext *self, gboolean hide);
char *logbook_context_dup_language (LogbookContext *self);
void logbook_context_set_language (LogbookContext *self, const char *language);
guint logbook_context_get_sync_interval (LogbookContext *self);
void logbook_context_set_sync_interval (LogbookContext *self, guint minutes);
GSettings *logbook_context_get_settings (LogbookContext *self);
LogbookSync *logbook_context_get_sync (LogbookContext *self);
GSettings *logbook_settings_new (void);

/* Records */
void logbook_context_report_range_async (LogbookContext *self,
                                         const char *from,
                                         const char *to,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
PcmbnRecordList *logbook_context_new_list (LogbookContext *self, const char *kind);
GPtrArray *logbook_context_list_models (LogbookContext *self);
PcmbnRecord *logbook_context_get_record (LogbookContext *self, const char *uuid, GError **error);
JsonObject *logbook_context_resolve_ref (const char *uuid, const char *kind, gpointer self);
gint64 logbook_context_count_dirty (LogbookContext *self);
GPtrArray *logbook_context_recent (LogbookContext *self, guint limit);
void
logbook_context_count_by_month (LogbookContext *self, const char *kind, int year, guint counts[12]);

void logbook_context_save_async (LogbookContext *self,
                                 const char *kind,
                                 const char *uuid,
                                 JsonObject *input,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
char *logbook_context_save_finish (LogbookContext *self, GAsyncResult *result, GError **error);
void logbook_context_delete_async (LogbookContext *self,
                                   const char *uuid,
                                   gboolean undelete,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean logbook_context_delete_finish (LogbookContext *self, GAsyncResult *result, GError **error);
void logbook_context_list_deleted_async (LogbookContext *self,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
GPtrArray *
logbook_context_list_deleted_finish (LogbookContext *self, GAsyncResult *result, GError **error);

void logbook_context_report_async (LogbookContext *self,
                                   int year,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
JsonNode *
logbook_context_report_finish (LogbookContext *self, GAsyncResult *result, GError **error);

typedef struct
{
  guint months[12];
  gint64 dirty;
  GPtrArray *recent; /* PcmbnRecord */
} LogbookOverviewData;

void logbook_overview_data_free (LogbookOverviewData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LogbookOverviewData, logbook_overview_data_free)

void logbook_context_overview_async (LogbookContext *self,
                                     int year,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
LogbookOverviewData *
logbook_context_overview_finish (LogbookContext *self, GAsyncResult *result, GError **error);

/* Drafts and attachments */
void logbook_context_save_draft (LogbookContext *self,
                                 const char *id,
                                 const char *kind,
                                 const char *record_uuid,
                                 JsonObject *data);
PcmbnDraft *logbook_context_get_draft (LogbookContext *self, const char *id);
GPtrArray *logbook_context_list_drafts (LogbookContext *self, const char *kind);
void logbook_context_delete_draft (LogbookContext *self, const char *id);
void logbook_context_add_attachment_async (LogbookContext *self,
                                           GFile *file,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data);
JsonObject *
logbook_context_add_attachment_finish (LogbookContext *self, GAsyncResult *result, GError **error);

G_END_DECLS
