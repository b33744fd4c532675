/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* The district server's database: a PcmbnStore (records of every commune,
 * org units, targets: what reports read) plus the server's own tables,
 * migrated by the meta key "server_schema". */

#define PCMBN_DISTRICT_META_CODE "district_org_unit"
#define PCMBN_DISTRICT_META_CASE_NOTES "store_case_notes" /* "yes" keeps them */
#define PCMBN_DISTRICT_CODE_DAYS 7

PcmbnStore *pcmbn_district_open (const char *path, gboolean create, GError **error);
gboolean pcmbn_district_init (PcmbnStore *store,
                              const char *org_unit,
                              const char *units_csv,
                              GError **error);
char *pcmbn_district_get_code (PcmbnStore *store);
char *pcmbn_district_new_enrol_code (PcmbnStore *store, const char *commune, GError **error);
char *pcmbn_district_normalize_code (const char *code);
JsonNode *pcmbn_district_list_devices (PcmbnStore *store);
gboolean pcmbn_district_revoke_device (PcmbnStore *store, const char *device_id, GError **error);
char *pcmbn_district_new_staff_token (PcmbnStore *store, const char *name, GError **error);
gboolean pcmbn_district_import_units (
    PcmbnStore *store, const char *text, gsize len, guint *n_changed, GError **error);
gboolean pcmbn_district_set_unit (
    PcmbnStore *store, const char *code, int key_area, gint64 population, GError **error);
gboolean pcmbn_district_is_commune_of (PcmbnStore *store, const char *code);
gboolean pcmbn_district_audit (PcmbnStore *store,
                               const char *actor,
                               const char *action,
                               const char *record_uuid,
                               gint64 version,
                               const char *detail);
gboolean pcmbn_district_unit_changed (PcmbnStore *store, const char *code, GError **error);
JsonNode *pcmbn_district_unit_json (PcmbnOrgUnit *unit);
char *pcmbn_district_hash_secret (const char *secret);

G_END_DECLS
