/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

JsonNode *pcmbn_report_build_communes (
    PcmbnStore *store, const char *scope, const char *from, const char *to, GError **error);

JsonNode *pcmbn_report_build_children (
    PcmbnStore *store, const char *scope, const char *from, const char *to, GError **error);

G_END_DECLS
