/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* How deep a document this reader takes: deeper ones it leaves to
 * json-glib (the wire's limit, PCMBN_WIRE_MAX_DEPTH, is the same). */
#define PCMBN_JSON_FAST_MAX_DEPTH 64

typedef struct _PcmbnJsonSpans PcmbnJsonSpans;

JsonNode *pcmbn_json_fast_parse (const char *text, gsize len);
JsonNode *pcmbn_json_fast_parse_spans (const char *text,
                                       gsize len,
                                       const char *member,
                                       PcmbnJsonSpans **spans);
const char *pcmbn_json_spans_lookup (PcmbnJsonSpans *spans, JsonObject *object, gsize *len);
void pcmbn_json_spans_free (PcmbnJsonSpans *spans);
JsonObject *pcmbn_json_parse_object (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnJsonSpans, pcmbn_json_spans_free)

G_END_DECLS
