/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "server/pcmbn-district-store.h"

G_BEGIN_DECLS

/* Copies the server's write-ahead log into its database on a thread of its
 * own, so that the commit of a push that fills the log answers at once
 * instead of first copying tens of megabytes and waiting for the disk. Not
 * a GObject; thread-safe. */
typedef struct _PcmbnDistrictCheckpointer PcmbnDistrictCheckpointer;

PcmbnDistrictCheckpointer *pcmbn_district_checkpointer_new (const char *db_path, GError **error);
void pcmbn_district_checkpointer_free (PcmbnDistrictCheckpointer *self);
void
pcmbn_district_checkpointer_attach (PcmbnDistrictCheckpointer *self, PcmbnDistrictStore *store);
void pcmbn_district_checkpointer_set_paused (PcmbnDistrictCheckpointer *self, gboolean paused);
void pcmbn_district_checkpointer_set_quiet (PcmbnDistrictCheckpointer *self, double seconds);
guint pcmbn_district_checkpointer_get_runs (PcmbnDistrictCheckpointer *self);
guint pcmbn_district_checkpointer_wait (PcmbnDistrictCheckpointer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDistrictCheckpointer, pcmbn_district_checkpointer_free)

G_END_DECLS
