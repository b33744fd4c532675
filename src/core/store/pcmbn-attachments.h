/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* The largest file the district server takes as a blob. */
#define PCMBN_ATTACHMENT_MAX_SIZE (20 * 1024 * 1024)

char *pcmbn_attachments_dir (PcmbnStore *store);
char *pcmbn_attachments_path (PcmbnStore *store, const char *sha256);
JsonObject *pcmbn_attachments_add_file (PcmbnStore *store,
                                        GFile *file,
                                        GCancellable *cancellable,
                                        GError **error);
void pcmbn_attachments_add_file_async (PcmbnStore *store,
                                       GFile *file,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
JsonObject *
pcmbn_attachments_add_file_finish (PcmbnStore *store, GAsyncResult *result, GError **error);

G_END_DECLS
