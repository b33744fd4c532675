/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* Unsaved form input, kept in the store's `drafts` table so that a crash or
 * a power cut loses nothing. A draft holds what a person typed, valid or
 * not; it becomes a record only through pcmbn_store_add()/update(). */
typedef struct
{
  char *id;
  char *kind;
  char *record_uuid; /* the record being edited, or NULL for a new one */
  JsonObject *data;
  char *saved_at;
} PcmbnDraft;

void pcmbn_draft_free (PcmbnDraft *draft);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDraft, pcmbn_draft_free)

gboolean pcmbn_drafts_save (PcmbnStore *store,
                            const char *id,
                            const char *kind,
                            const char *record_uuid,
                            JsonObject *data,
                            GError **error);
PcmbnDraft *pcmbn_drafts_get (PcmbnStore *store, const char *id);
GPtrArray *pcmbn_drafts_list (PcmbnStore *store, const char *kind);
gboolean pcmbn_drafts_delete (PcmbnStore *store, const char *id, GError **error);

G_END_DECLS
