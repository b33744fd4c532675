/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* The district server's data: a PcmbnStore (records of every commune, org
 * units, targets: what reports read) plus the server's own tables (devices,
 * enrolment codes, staff tokens, audit, change sequence, blobs), migrated by
 * the meta key "server_schema". Every SQL statement of the server lives in
 * this layer; the HTTP and HTML code above it speaks in these calls. */

#define PCMBN_TYPE_DISTRICT_STORE (pcmbn_district_store_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnDistrictStore, pcmbn_district_store, PCMBN, DISTRICT_STORE, GObject)

#define PCMBN_DISTRICT_META_CODE "district_org_unit"
#define PCMBN_DISTRICT_META_CASE_NOTES "store_case_notes" /* "yes" keeps them */
#define PCMBN_DISTRICT_CODE_DAYS 7

#define PCMBN_DISTRICT_ERROR (pcmbn_district_error_quark ())
GQuark pcmbn_district_error_quark (void);

/* What the callers answer with a status of their own (HTTP: 401, 403). */
typedef enum
{
  PCMBN_DISTRICT_ERROR_BAD_CODE,       /* wrong, used or expired enrolment code */
  PCMBN_DISTRICT_ERROR_WRONG_ORG_UNIT, /* a code for another commune */
  PCMBN_DISTRICT_ERROR_FORBIDDEN,      /* a push touching another org unit */
} PcmbnDistrictError;

typedef enum
{
  PCMBN_DISTRICT_TOKEN_UNKNOWN,
  PCMBN_DISTRICT_TOKEN_DEVICE,
  PCMBN_DISTRICT_TOKEN_STAFF,
} PcmbnDistrictTokenKind;

/* Who a token belongs to. */
typedef struct
{
  PcmbnDistrictTokenKind kind;
  gboolean revoked; /* a device the district office revoked */
  char *id;         /* the device's id, or the staff member's name */
  char *org_unit;   /* a device's commune */
  char *actor;      /* as the audit names it: "device:ID" or "staff:NAME" */
  char *address;    /* nullable: where the request came from, set by the caller
                     * for the audit lines the store writes on its behalf */
} PcmbnDistrictPrincipal;

void pcmbn_district_principal_free (PcmbnDistrictPrincipal *principal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDistrictPrincipal, pcmbn_district_principal_free)

/* A device just enrolled; the token is shown only now. */
typedef struct
{
  char *device_id;
  char *token;
  char *org_unit;
} PcmbnDistrictEnrolment;

void pcmbn_district_enrolment_free (PcmbnDistrictEnrolment *enrolment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDistrictEnrolment, pcmbn_district_enrolment_free)

/* Opening and setting up */
PcmbnDistrictStore *pcmbn_district_store_open (const char *path, gboolean create, GError **error);
PcmbnStore *pcmbn_district_store_get_store (PcmbnDistrictStore *self);
gboolean pcmbn_district_store_initialize (PcmbnDistrictStore *self,
                                          const char *org_unit,
                                          const char *units_csv,
                                          GError **error);
char *pcmbn_district_store_get_code (PcmbnDistrictStore *self);
char *pcmbn_district_store_get_name (PcmbnDistrictStore *self);
gboolean pcmbn_district_store_keeps_case_notes (PcmbnDistrictStore *self);

/* Org units */
gboolean pcmbn_district_store_is_commune_of (PcmbnDistrictStore *self, const char *code);
JsonNode *pcmbn_district_store_list_communes (PcmbnDistrictStore *self);
JsonNode *pcmbn_district_store_reference (PcmbnDistrictStore *self, const char *commune);
gboolean pcmbn_district_store_set_unit (
    PcmbnDistrictStore *self, const char *code, int key_area, gint64 population, GError **error);
gboolean pcmbn_district_store_import_units (
    PcmbnDistrictStore *self, const char *text, gsize len, guint *n_changed, GError **error);
gboolean
pcmbn_district_store_unit_changed (PcmbnDistrictStore *self, const char *code, GError **error);
JsonNode *pcmbn_district_unit_json (PcmbnOrgUnit *unit);

/* Secrets: enrolment codes, devices, staff tokens */
char *pcmbn_district_hash_secret (const char *secret);
char *pcmbn_district_normalize_code (const char *code);
char *
pcmbn_district_store_new_enrol_code (PcmbnDistrictStore *self, const char *commune, GError **error);
PcmbnDistrictEnrolment *pcmbn_district_store_enroll (PcmbnDistrictStore *self,
                                                     const char *code,
                                                     const char *device_name,
                                                     const char *wanted_org_unit,
                                                     const char *remote,
                                                     GError **error);
JsonNode *pcmbn_district_store_list_devices (PcmbnDistrictStore *self);
gboolean pcmbn_district_store_revoke_device (PcmbnDistrictStore *self,
                                             const char *device_id,
                                             GError **error);
char *
pcmbn_district_store_new_staff_token (PcmbnDistrictStore *self, const char *name, GError **error);
PcmbnDistrictPrincipal *
pcmbn_district_store_authenticate (PcmbnDistrictStore *self, const char *token, GError **error);
PcmbnDistrictPrincipal *pcmbn_district_store_authenticate_hash (PcmbnDistrictStore *self,
                                                                const char *token_hash,
                                                                GError **error);

char *pcmbn_district_store_device_token_hash (PcmbnDistrictStore *self,
                                              const char *device_id,
                                              GError **error);

/* Sync by USB bundle (pcmbn-district-bundle.c) */
GBytes *pcmbn_district_store_answer_bundle (PcmbnDistrictStore *self,
                                            GBytes *file,
                                            const char *server_url,
                                            guint *n_records,
                                            GError **error);
gboolean
pcmbn_district_store_note_bundle (PcmbnDistrictStore *self, const char *org_unit, GError **error);
char *pcmbn_district_store_last_bundle (PcmbnDistrictStore *self, const char *org_unit);

/* Sync: rows, changes, pushes and pulls */
typedef struct
{
  gboolean exists;
  gint64 id; /* the row's id in records */
  char *kind;
  char *org_unit;
  char *data_text; /* the canonical JSON the server wrote */
  gint64 version;
  gboolean deleted;
  char *modified_at;
} PcmbnDistrictRow;

void pcmbn_district_row_clear (PcmbnDistrictRow *row);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PcmbnDistrictRow, pcmbn_district_row_clear)

gboolean pcmbn_district_store_load_row (PcmbnDistrictStore *self,
                                        const char *uuid,
                                        PcmbnDistrictRow *row,
                                        GError **error);
gint64
pcmbn_district_store_find_edit (PcmbnDistrictStore *self, gint64 record_id, const char *edit_hash);
gboolean pcmbn_district_store_record_change (PcmbnDistrictStore *self,
                                             gint64 record_id,
                                             const char *uuid,
                                             const char *org_unit,
                                             gint64 version,
                                             const char *edit_hash,
                                             const char *device_id,
                                             GError **error);
char *pcmbn_district_store_push (PcmbnDistrictStore *self,
                                 PcmbnDistrictPrincipal *device,
                                 GPtrArray *records,
                                 GError **error);
char *pcmbn_district_store_push_body (PcmbnDistrictStore *self,
                                      PcmbnDistrictPrincipal *device,
                                      const char *body,
                                      gsize len,
                                      GError **error);
char *pcmbn_district_store_changes_for_device (PcmbnDistrictStore *self,
                                               const char *org_unit,
                                               const char *device_id,
                                               gint64 mine_from,
                                               gint64 since,
                                               gint64 limit,
                                               GError **error);
char *pcmbn_district_store_changes_since (
    PcmbnDistrictStore *self, const char *org_unit, gint64 since, gint64 limit, GError **error);
gboolean pcmbn_district_store_note_pull (PcmbnDistrictStore *self,
                                         PcmbnDistrictPrincipal *device,
                                         gint64 since,
                                         GError **error);

/* Attachments, each commune's own */
gboolean pcmbn_district_store_has_blob (PcmbnDistrictStore *self,
                                        const char *sha256,
                                        const char *org_unit,
                                        gboolean *exists,
                                        GError **error);
GBytes *pcmbn_district_store_get_blob (PcmbnDistrictStore *self,
                                       const char *sha256,
                                       const char *org_unit,
                                       GError **error);
gboolean pcmbn_district_store_put_blob (PcmbnDistrictStore *self,
                                        const char *sha256,
                                        GBytes *data,
                                        PcmbnDistrictPrincipal *device,
                                        GError **error);

/* Dashboard sessions, kept hashed; refused attempts */
char *pcmbn_district_store_new_session (PcmbnDistrictStore *self,
                                        const char *token_hash,
                                        gint64 seconds,
                                        GError **error);
PcmbnDistrictPrincipal *pcmbn_district_store_session_staff (PcmbnDistrictStore *self,
                                                            const char *session_id,
                                                            GError **error);
void pcmbn_district_store_end_session (PcmbnDistrictStore *self, const char *session_id);
guint pcmbn_district_store_count_refused (PcmbnDistrictStore *self,
                                          const char *action,
                                          const char *object,
                                          const char *address,
                                          gint64 seconds);

/* Audit: every read of commune data, every sign-in and enrolment attempt,
 * every write and every admin verb. Never a token or an enrolment code. */
gboolean pcmbn_district_store_audit (PcmbnDistrictStore *self,
                                     const char *actor,
                                     const char *action,
                                     const char *object,
                                     const char *address,
                                     gboolean ok);
gboolean pcmbn_district_store_audit_record (PcmbnDistrictStore *self,
                                            const char *actor,
                                            const char *action,
                                            const char *record_uuid,
                                            gint64 version,
                                            const char *object,
                                            const char *address,
                                            gboolean ok);
/* One record's line of a push's audit. */
typedef struct
{
  const char *action;
  const char *record_uuid;
  gint64 version;
} PcmbnDistrictAuditLine;

gboolean pcmbn_district_store_audit_lines (PcmbnDistrictStore *self,
                                           const char *actor,
                                           const char *address,
                                           const PcmbnDistrictAuditLine *lines,
                                           guint n_lines);
JsonNode *pcmbn_district_store_read_audit (PcmbnDistrictStore *self,
                                           const char *since,
                                           gint64 limit,
                                           GError **error);

G_END_DECLS
