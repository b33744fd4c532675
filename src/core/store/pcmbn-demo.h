/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "store/pcmbn-store.h"

G_BEGIN_DECLS

#define PCMBN_DEMO_ORG_UNIT "00001"

typedef void (*PcmbnDemoProgress) (guint done, guint total, gpointer user_data);

gboolean pcmbn_demo_fill (PcmbnStore *store,
                          guint n_records,
                          guint32 seed,
                          PcmbnDemoProgress progress,
                          gpointer user_data,
                          GError **error);
JsonObject *pcmbn_demo_make (const char *kind,
                             GRand *rand,
                             gint64 first_day,
                             gint64 last_day,
                             JsonObject *model,
                             const char *model_uuid);

G_END_DECLS
