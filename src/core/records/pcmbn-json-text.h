/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

gboolean pcmbn_json_append (GString *out, JsonNode *node);
gboolean pcmbn_json_append_member (GString *out, const char *name, JsonNode *value);
char *pcmbn_json_node_to_text (JsonNode *node);
char *pcmbn_json_object_to_text (JsonObject *object);

G_END_DECLS
