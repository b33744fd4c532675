/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "store/pcmbn-store.h"
#include "sync/pcmbn-sync-apply.h"

G_BEGIN_DECLS

/* Sync without a network: signed files carried on a USB stick. */

#define PCMBN_BUNDLE_KEY_SIZE 32

/* What a bundle file holds. */
#define PCMBN_BUNDLE_PUSH "push"               /* a device's records, for its server */
#define PCMBN_BUNDLE_REPLY "reply"             /* the server's answer to a push */
#define PCMBN_BUNDLE_ENROL "enrol"             /* a never-online device asks to enrol */
#define PCMBN_BUNDLE_ENROL_REPLY "enrol-reply" /* its token, sealed for it */

/* The largest bundle read, compressed and uncompressed. */
#define PCMBN_BUNDLE_MAX_SIZE (512 * 1024 * 1024)

/* Meta keys of the local store. */
#define PCMBN_BUNDLE_META_SERIAL "bundle_serial"          /* the last bundle made here */
#define PCMBN_BUNDLE_META_REPLY "bundle_reply_serial"     /* the last reply applied */
#define PCMBN_BUNDLE_META_ENROL_KEY "bundle_enrol_secret" /* until the enrolment reply */
#define PCMBN_BUNDLE_META_LAST "bundle_last"              /* when a reply was last applied */

void pcmbn_bundle_key_from_token_hash (const char *token_hash, guint8 key[PCMBN_BUNDLE_KEY_SIZE]);
GBytes *pcmbn_bundle_seal (
    const char *kind, const char *device_id, const guint8 *key, const char *payload, gsize len);
gboolean pcmbn_bundle_peek (GBytes *file, char **kind, char **device_id, GError **error);
JsonObject *pcmbn_bundle_open (
    GBytes *file, const char *kind, const char *device_id, const guint8 *key, GError **error);
gboolean pcmbn_bundle_write_file (const char *path, GBytes *bytes, GError **error);
GBytes *pcmbn_bundle_read_file (const char *path, GError **error);

gboolean
pcmbn_bundle_export (PcmbnStore *store, const char *path, guint *n_records, GError **error);
gboolean pcmbn_bundle_export_enrolment (
    PcmbnStore *store, const char *code, const char *device_name, const char *path, GError **error);
gboolean pcmbn_bundle_import (PcmbnStore *store,
                              const char *path,
                              PcmbnSyncStats *stats,
                              gboolean *already_applied,
                              GError **error);

void pcmbn_bundle_export_async (PcmbnStore *store,
                                const char *path,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean pcmbn_bundle_export_finish (PcmbnStore *store,
                                     GAsyncResult *result,
                                     guint *n_records,
                                     GError **error);
void pcmbn_bundle_import_async (PcmbnStore *store,
                                const char *path,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean pcmbn_bundle_import_finish (PcmbnStore *store,
                                     GAsyncResult *result,
                                     PcmbnSyncStats *stats,
                                     gboolean *already_applied,
                                     GError **error);

G_END_DECLS
