/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "records/pcmbn-json-fast.h"
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* The client side of sync in the local store: the outbox, the answers of a
 * push, the changes of a pull, conflicts and their resolution. */

typedef struct
{
  gint64 id; /* row id: the outbox is read in this order */
  char *uuid;
  gint64 local_rev; /* the revision sent; a later edit keeps the record dirty */
  char *record;     /* the RECORD to send, as JSON text */
  gsize size;       /* its size in bytes */
  char **refs;      /* the records it names (a meeting's model), or %NULL */
} PcmbnOutboxItem;

typedef enum
{
  PCMBN_PULL_SKIPPED, /* already here (the echo of one's own push) */
  PCMBN_PULL_APPLIED,
  PCMBN_PULL_CONFLICT, /* a local edit waits: both kept */
} PcmbnPullResult;

void pcmbn_outbox_item_free (PcmbnOutboxItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnOutboxItem, pcmbn_outbox_item_free)

GPtrArray *pcmbn_store_sync_outbox (PcmbnStore *self,
                                    gint64 after_id,
                                    guint max_records,
                                    gsize max_bytes,
                                    gboolean with_sensitive,
                                    GError **error);
gboolean pcmbn_store_sync_mark_accepted (
    PcmbnStore *self, const char *uuid, gint64 sent_rev, gint64 version, GError **error);
gboolean pcmbn_store_sync_mark_conflict (PcmbnStore *self,
                                         const char *uuid,
                                         JsonObject *server_record,
                                         GError **error);
gboolean pcmbn_store_sync_resend_all (PcmbnStore *self, GError **error);
gboolean pcmbn_store_sync_mark_rejected (
    PcmbnStore *self, const char *uuid, gint64 sent_rev, const char *problem, GError **error);
PcmbnPullResult pcmbn_store_sync_apply_record (PcmbnStore *self,
                                               JsonObject *record,
                                               PcmbnJsonSpans *spans,
                                               GError **error);
gboolean pcmbn_store_sync_apply_unit (PcmbnStore *self, JsonObject *unit, GError **error);
gboolean pcmbn_store_sync_apply_targets (PcmbnStore *self, JsonObject *targets, GError **error);
JsonNode *pcmbn_store_sync_conflicts (PcmbnStore *self);
gint64 pcmbn_store_sync_count_state (PcmbnStore *self, const char *state);
gboolean
pcmbn_store_sync_resolve (PcmbnStore *self, const char *uuid, const char *keep, GError **error);

G_END_DECLS
