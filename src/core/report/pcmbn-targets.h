/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

JsonNode *pcmbn_targets_to_json (PcmbnStore *store, int year);
gboolean
pcmbn_targets_set (PcmbnStore *store, int year, const char *const *assignments, GError **error);

G_END_DECLS
