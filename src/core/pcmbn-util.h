/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "pcmbn-types.h"

G_BEGIN_DECLS

/* Days since 0001-01-01 of an ISO 8601 date, or -1 if not a valid date. */
gint64 pcmbn_date_parse (const char *iso);
char *pcmbn_date_format (gint64 days);
gint64 pcmbn_today (void);
char *pcmbn_now_utc (void);
char *pcmbn_uuid_new (void);
gboolean pcmbn_uuid_is_valid (const char *uuid);
char *pcmbn_fold (const char *text);
void pcmbn_fold_append (GString *out, const char *text, gboolean search);
gboolean pcmbn_is_vietnamese (void);
void pcmbn_i18n_init (void);
char *pcmbn_sha256_hex (const guint8 *data, gsize len);
char *pcmbn_sha256_hex_parts (const void *const *parts, const gsize *lengths, guint n_parts);

typedef struct _PcmbnSha256 PcmbnSha256;
PcmbnSha256 *pcmbn_sha256_new (void);
void pcmbn_sha256_update (PcmbnSha256 *self, const void *data, gsize len);
void pcmbn_sha256_reset (PcmbnSha256 *self);
char *pcmbn_sha256_finish_hex (PcmbnSha256 *self);
void pcmbn_sha256_free (PcmbnSha256 *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnSha256, pcmbn_sha256_free)
glong pcmbn_utf8_length (const char *text);
gboolean pcmbn_utf8_scan (const char *text, gsize *length, gboolean *control);
void
pcmbn_invoke_in_context (GMainContext *context, GThread *owner, GSourceFunc func, gpointer data);
void pcmbn_free_later (gpointer data, GDestroyNotify destroy);

G_END_DECLS
