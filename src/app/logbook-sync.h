/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "logbook-context.h"
#include "sync/pcmbn-sync-engine.h"

G_BEGIN_DECLS

typedef enum
{
  LOGBOOK_SYNC_NOT_CONNECTED,
  LOGBOOK_SYNC_SYNCED,
  LOGBOOK_SYNC_WAITING,
  LOGBOOK_SYNC_RUNNING,
  LOGBOOK_SYNC_OFFLINE,
  LOGBOOK_SYNC_ERROR,
} LogbookSyncState;

#define LOGBOOK_TYPE_SYNC (logbook_sync_get_type ())
G_DECLARE_FINAL_TYPE (LogbookSync, logbook_sync, LOGBOOK, SYNC, GObject)

LogbookSync *logbook_sync_new (LogbookContext *context);
PcmbnSyncEngine *logbook_sync_get_engine (LogbookSync *self);
LogbookSyncState logbook_sync_get_state (LogbookSync *self);
const char *logbook_sync_get_message (LogbookSync *self);
const char *logbook_sync_get_progress (LogbookSync *self);
char *logbook_sync_describe (LogbookSync *self);
char *logbook_sync_dup_server (LogbookSync *self);
char *logbook_sync_dup_server_name (LogbookSync *self);
gint64 logbook_sync_get_waiting (LogbookSync *self);
gint64 logbook_sync_get_conflicts (LogbookSync *self);
gint64 logbook_sync_get_rejected (LogbookSync *self);
gboolean logbook_sync_get_enrolled (LogbookSync *self);
guint logbook_sync_get_next_delay (LogbookSync *self);
void logbook_sync_now (LogbookSync *self);
void logbook_sync_refresh_counts (LogbookSync *self);

void logbook_sync_enroll_async (LogbookSync *self,
                                const char *server_url,
                                const char *code,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean logbook_sync_enroll_finish (LogbookSync *self, GAsyncResult *result, GError **error);

G_END_DECLS
