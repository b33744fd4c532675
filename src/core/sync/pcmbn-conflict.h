/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* Settling a conflict field by field: which fields the two versions disagree
 * on, a merge of them, and saving the merge as the record's new edit. */

GPtrArray *pcmbn_conflict_diff (const PcmbnKind *kind, JsonObject *mine, JsonObject *theirs);
JsonObject *pcmbn_conflict_merge_data (const PcmbnKind *kind,
                                       JsonObject *mine,
                                       JsonObject *theirs,
                                       const char *const *take_theirs);
char *pcmbn_conflict_field_text (const PcmbnField *field, JsonObject *data);
gboolean pcmbn_conflict_resolve_merged (PcmbnStore *store,
                                        const char *uuid,
                                        JsonObject *merged,
                                        GError **error);

void pcmbn_conflict_count_outbox (PcmbnStore *store,
                                  gint64 *waiting,
                                  gint64 *conflicts,
                                  gint64 *rejected);

G_END_DECLS
