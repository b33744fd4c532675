/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "records/pcmbn-schema.h"
#include "records/pcmbn-json-fast.h"

G_BEGIN_DECLS

/* The sync protocol of interfaces.md, shared by the district server and the
 * client: RECORD/RESULT/CHANGE shapes, the push body parser and its limits. */

#define PCMBN_WIRE_PROTOCOL 1
#define PCMBN_WIRE_MAX_RECORDS 1000
#define PCMBN_WIRE_MAX_BODY (16 * 1024 * 1024)
#define PCMBN_WIRE_MAX_BLOB (20 * 1024 * 1024)
#define PCMBN_WIRE_MAX_DEPTH PCMBN_JSON_FAST_MAX_DEPTH

#define PCMBN_WIRE_ERROR (pcmbn_wire_error_quark ())
GQuark pcmbn_wire_error_quark (void);

typedef enum
{
  PCMBN_WIRE_ERROR_MALFORMED,   /* 400 */
  PCMBN_WIRE_ERROR_TOO_LARGE,   /* 413 */
  PCMBN_WIRE_ERROR_UNSUPPORTED, /* 415 */
} PcmbnWireError;

typedef struct
{
  char *uuid;            /* as sent; %NULL when missing or not a string */
  const PcmbnKind *kind; /* %NULL when unknown */
  char *org_unit;
  gint64 base_version;
  gboolean deleted;
  char *modified_at;
  JsonObject *data;
  /* @data's text as sent, when it is the one pcmbn_json_object_to_text()
   * writes (read by pcmbn_wire_parse_push_record() only); else %NULL */
  char *data_text;
  /* Set when this one record is malformed: it is rejected, the others go on. */
  char *error_code;
  char *error_field;
  char *error_message;
} PcmbnWireRecord;

void pcmbn_wire_record_free (PcmbnWireRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnWireRecord, pcmbn_wire_record_free)

gboolean pcmbn_wire_check_json (const char *text, gsize len, GError **error);
JsonNode *pcmbn_wire_parse_json (const char *text, gsize len, GError **error);
JsonNode *pcmbn_wire_parse_json_spans (
    const char *text, gsize len, const char *member, PcmbnJsonSpans **spans, GError **error);
GPtrArray *pcmbn_wire_parse_push (const char *body, gsize len, GError **error);

/* Where one record of a push body lies in it. */
typedef struct
{
  gsize start;
  gsize len;
} PcmbnWireSpan;

GArray *pcmbn_wire_split_push (const char *body, gsize len);
PcmbnWireRecord *pcmbn_wire_parse_push_record (const char *text, gsize len);
GBytes *pcmbn_wire_gunzip (GBytes *compressed, gsize limit, GError **error);
GBytes *pcmbn_wire_gzip (const void *data, gsize len);
char *pcmbn_wire_error_body (const char *code, const char *message);
gboolean pcmbn_wire_kind_has_sensitive (const PcmbnKind *kind);
gboolean pcmbn_wire_text_may_have_sensitive (const PcmbnKind *kind, const char *text);
JsonObject *
pcmbn_wire_strip_sensitive (const PcmbnKind *kind, JsonObject *data, gboolean *stripped);
char *pcmbn_wire_edit_hash (const PcmbnKind *kind,
                            gint64 base_version,
                            gboolean deleted,
                            JsonObject *data);
char *pcmbn_wire_edit_hash_text (const PcmbnKind *kind,
                                 gint64 base_version,
                                 gboolean deleted,
                                 const char *data_text);
char *pcmbn_wire_to_string (JsonNode *node);
char *pcmbn_wire_object_to_string (JsonObject *object);
void pcmbn_wire_append_string (GString *out, const char *text);
void pcmbn_wire_append_record (GString *out,
                               const char *uuid,
                               const char *kind,
                               const char *org_unit,
                               gint64 base_version,
                               gboolean deleted,
                               const char *modified_at,
                               const char *data_text,
                               gint64 version);
gboolean pcmbn_wire_random_token (char *out, gsize n_bytes);

/* Member access that never warns on a member of the wrong type. */
const char *pcmbn_wire_get_string (JsonObject *object, const char *name);
gint64 pcmbn_wire_get_int (JsonObject *object, const char *name, gint64 default_value);
gboolean pcmbn_wire_get_bool (JsonObject *object, const char *name, gboolean default_value);
JsonObject *pcmbn_wire_get_object (JsonObject *object, const char *name);
JsonArray *pcmbn_wire_get_array (JsonObject *object, const char *name);

G_END_DECLS
