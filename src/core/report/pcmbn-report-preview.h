/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonNode *pcmbn_report_preview (JsonNode *report, GError **error);

G_END_DECLS
