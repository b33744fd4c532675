/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "store/pcmbn-store.h"
#include "sync/pcmbn-sync-apply.h"

G_BEGIN_DECLS

#define PCMBN_TYPE_SYNC_ENGINE (pcmbn_sync_engine_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnSyncEngine, pcmbn_sync_engine, PCMBN, SYNC_ENGINE, GObject)

typedef enum
{
  PCMBN_SYNC_STATUS_IDLE,
  PCMBN_SYNC_STATUS_RUNNING,
  PCMBN_SYNC_STATUS_SYNCED,
  PCMBN_SYNC_STATUS_OFFLINE,
  PCMBN_SYNC_STATUS_ERROR,
} PcmbnSyncStatus;

typedef enum
{
  PCMBN_SYNC_PHASE_PUSH,        /* records sent of those waiting */
  PCMBN_SYNC_PHASE_PULL,        /* changes received; the total is not known */
  PCMBN_SYNC_PHASE_ATTACHMENTS, /* attachments received of those the pulled records name */
} PcmbnSyncPhase;

/* Called in the syncing thread after each batch, page or attachment;
 * @total is 0 when not known. */
typedef void (*PcmbnSyncProgress) (PcmbnSyncPhase phase,
                                   guint done,
                                   guint total,
                                   gpointer user_data);

/* Meta keys in the local store. */
#define PCMBN_SYNC_META_SERVER "sync_server"
#define PCMBN_SYNC_META_TOKEN "sync_token"
#define PCMBN_SYNC_META_DEVICE "sync_device_id"
#define PCMBN_SYNC_META_CURSOR "sync_cursor"
#define PCMBN_SYNC_META_CERT "sync_cert_sha256"
#define PCMBN_SYNC_META_CASE_NOTES "sync_case_notes" /* "yes" sends them */
#define PCMBN_SYNC_META_LAST PCMBN_STORE_META_LAST_SYNC
#define PCMBN_SYNC_META_SERVER_UNIT "sync_server_unit" /* the org unit the server serves */
#define PCMBN_SYNC_META_GENERATION "sync_server_generation"

PcmbnSyncEngine *pcmbn_sync_engine_new (PcmbnStore *store);
PcmbnStore *pcmbn_sync_engine_get_store (PcmbnSyncEngine *self);
PcmbnSyncStatus pcmbn_sync_engine_get_status (PcmbnSyncEngine *self);
const char *pcmbn_sync_engine_get_message (PcmbnSyncEngine *self);
gboolean pcmbn_sync_engine_is_enrolled (PcmbnSyncEngine *self);

gboolean pcmbn_sync_engine_enroll (PcmbnSyncEngine *self,
                                   const char *server_url,
                                   const char *code,
                                   const char *device_name,
                                   GCancellable *cancellable,
                                   GError **error);
void pcmbn_sync_engine_enroll_async (PcmbnSyncEngine *self,
                                     const char *server_url,
                                     const char *code,
                                     const char *device_name,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean
pcmbn_sync_engine_enroll_finish (PcmbnSyncEngine *self, GAsyncResult *result, GError **error);

void pcmbn_sync_engine_set_progress (PcmbnSyncEngine *self,
                                     PcmbnSyncProgress progress,
                                     gpointer user_data);
gboolean pcmbn_sync_engine_sync (PcmbnSyncEngine *self,
                                 const char *server_override,
                                 GCancellable *cancellable,
                                 PcmbnSyncStats *stats,
                                 GError **error);
void pcmbn_sync_engine_sync_async (PcmbnSyncEngine *self,
                                   const char *server_override,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean pcmbn_sync_engine_sync_finish (PcmbnSyncEngine *self,
                                        GAsyncResult *result,
                                        PcmbnSyncStats *stats,
                                        GError **error);

G_END_DECLS
