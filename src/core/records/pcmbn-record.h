/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "records/pcmbn-schema.h"

G_BEGIN_DECLS

#define PCMBN_TYPE_RECORD (pcmbn_record_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnRecord, pcmbn_record, PCMBN, RECORD, GObject)

PcmbnRecord *
pcmbn_record_new (const PcmbnKind *kind, const char *uuid, const char *org_unit, JsonObject *data);
const char *pcmbn_record_get_uuid (PcmbnRecord *self);
const PcmbnKind *pcmbn_record_get_kind (PcmbnRecord *self);
const char *pcmbn_record_get_org_unit (PcmbnRecord *self);
JsonObject *pcmbn_record_get_data (PcmbnRecord *self);
gint64 pcmbn_record_get_version (PcmbnRecord *self);
PcmbnState pcmbn_record_get_state (PcmbnRecord *self);
gboolean pcmbn_record_get_deleted (PcmbnRecord *self);
const char *pcmbn_record_get_modified_at (PcmbnRecord *self);
const char *pcmbn_record_get_date (PcmbnRecord *self);
const char *pcmbn_record_get_title (PcmbnRecord *self);
const char *pcmbn_record_get_type_code (PcmbnRecord *self);
const char *pcmbn_record_get_problem (PcmbnRecord *self);

/* Set by the store when it loads a row; not for widgets. */
void pcmbn_record_set_bookkeeping (PcmbnRecord *self,
                                   gint64 version,
                                   PcmbnState state,
                                   gboolean deleted,
                                   const char *modified_at,
                                   const char *problem);

JsonNode *pcmbn_record_to_json (PcmbnRecord *self, gboolean with_local);

G_END_DECLS
