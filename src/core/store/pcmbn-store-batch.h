/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "store/pcmbn-store.h"

G_BEGIN_DECLS

typedef struct _PcmbnStoreBatch PcmbnStoreBatch;

PcmbnStoreBatch *pcmbn_store_batch_new (PcmbnStore *store);
const char *pcmbn_store_batch_add (
    PcmbnStoreBatch *batch, const PcmbnKind *kind, const char *uuid, JsonObject *data, guint row);
guint pcmbn_store_batch_get_written (PcmbnStoreBatch *batch);
gboolean pcmbn_store_batch_finish (PcmbnStoreBatch *batch, GError **error);

G_END_DECLS
