/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonNode *pcmbn_json_fast_parse (const char *text, gsize len);

G_END_DECLS
