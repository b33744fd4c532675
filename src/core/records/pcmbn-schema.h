/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "pcmbn-types.h"
#include "records/pcmbn-catalogue.h"

G_BEGIN_DECLS

typedef enum
{
  PCMBN_FIELD_DATE,
  PCMBN_FIELD_INT,
  PCMBN_FIELD_TEXT,
  PCMBN_FIELD_CODE,
  PCMBN_FIELD_CODES,
  PCMBN_FIELD_BOOL,
  PCMBN_FIELD_REF,
  PCMBN_FIELD_MATERIALS,   /* list of {material_type, quantity} */
  PCMBN_FIELD_ATTACHMENTS, /* list of {sha256, name, size} */
} PcmbnFieldType;

typedef enum
{
  PCMBN_FIELD_REQUIRED = 1 << 0,
  PCMBN_FIELD_SENSITIVE = 1 << 1, /* never leaves the device unless allowed */
  PCMBN_FIELD_SEARCH = 1 << 2,    /* part of the text a list search looks at */
  PCMBN_FIELD_FUTURE_OK = 1 << 3, /* a date allowed in the future */
  PCMBN_FIELD_PSEUDONYM = 1 << 4, /* 3–20 of A–Z 0–9 - */
  PCMBN_FIELD_MULTILINE = 1 << 5,
  /* INT: a count of people or things that reports add up. An age, a year
   * or an amount of money is an INT without it and is never summed. */
  PCMBN_FIELD_SUMMED = 1 << 6,
} PcmbnFieldFlags;

struct _PcmbnField
{
  const char *name;
  PcmbnFieldType type;
  const char *catalogue; /* CODE and CODES */
  guint flags;
  guint max_length; /* TEXT, in code points; 0 means 10,000 */
  const char *label_vi;
  const char *label_en;
  const char *le_field;     /* INT: ≤ that field */
  const char *ge_field;     /* DATE: ≥ that field */
  const char *sum_le_field; /* INT: the sum of all fields naming it is ≤ it */
  const char *together_with;
  const char *unless_field; /* REQUIRED unless that field is one of unless_values */
  const char *const *unless_values;
  const char *ref_kind;  /* REF: kind of the record it points to */
  const char *ref_field; /* DATE: ≥ ref_target of the record in ref_field */
  const char *ref_target;
  guint max_days_after;  /* DATE: ≤ ge_field + this many days */
  guint max_years_after; /* DATE: ≤ the same day this many years after ge_field */
  const char *exclusive; /* CODES: this code stands alone */
  const char *parent;    /* forms: shown under that field */
};

struct _PcmbnKind
{
  const char *name;
  const char *label_vi;
  const char *label_en;
  const PcmbnField *fields;
  guint n_fields;
  const char *date_field;  /* lists sort on it; stored in the indexed `rdate` column */
  const char *type_field;  /* lists filter on it; stored in `rtype` */
  const char *title_field; /* a row's headline */
};

struct _PcmbnFieldError
{
  char *field;
  char *message;
  guint row; /* CSV line number, 0 when not from a file */
  /* The message for a person, other fields named by their labels instead
   * of their keys; %NULL when it is @message. */
  char *text;
};

/* Looks up the data of a referenced record; returns %NULL when there is no
 * such record of @kind in this commune. */
typedef JsonObject *(*PcmbnRefResolver) (const char *uuid, const char *kind, gpointer user_data);

const PcmbnKind *const *pcmbn_schema_kinds (guint *n_kinds);
const PcmbnKind *pcmbn_schema_kind (const char *name);
const PcmbnField *pcmbn_kind_field (const PcmbnKind *kind, const char *name);
const char *pcmbn_kind_label (const PcmbnKind *kind);
const char *pcmbn_field_label (const PcmbnField *field);
gboolean pcmbn_field_is_summed (const PcmbnField *field);
const char *pcmbn_kind_names_joined (void);

/* Every distinct field that is stored as a real column, over all kinds. */
const PcmbnField *const *pcmbn_schema_columns (guint *n_columns);
const char *pcmbn_field_sql_type (const PcmbnField *field);
int pcmbn_schema_column_index (const PcmbnField *field);

PcmbnFieldError *
pcmbn_field_error_new (const char *field, guint row, const char *format, ...) G_GNUC_PRINTF (3, 4);
void pcmbn_field_error_free (PcmbnFieldError *error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnFieldError, pcmbn_field_error_free)
char *pcmbn_field_errors_to_string (GPtrArray *errors);
void pcmbn_set_field_errors (GError **error, GPtrArray *errors);
const char *pcmbn_field_error_get_text (const PcmbnFieldError *error);
GPtrArray *pcmbn_error_get_field_errors (const GError *error);
char *pcmbn_error_get_field (const GError *error, char **message);

JsonObject *pcmbn_schema_normalize (const PcmbnKind *kind,
                                    JsonObject *input,
                                    JsonObject *base,
                                    GPtrArray *errors);
JsonObject *
pcmbn_schema_normalize_any_order (const PcmbnKind *kind, JsonObject *input, GPtrArray *errors);
char *pcmbn_schema_data_text (const PcmbnKind *kind,
                              JsonObject *data,
                              gboolean sensitive,
                              guint *n_members);
gboolean pcmbn_kind_has_references (const PcmbnKind *kind);
gboolean pcmbn_schema_has_sensitive (const PcmbnKind *kind, JsonObject *data);
void pcmbn_schema_validate (const PcmbnKind *kind,
                            JsonObject *data,
                            PcmbnRefResolver resolver,
                            gpointer resolver_data,
                            GPtrArray *errors);
gboolean pcmbn_schema_check (const PcmbnKind *kind,
                             JsonObject *input,
                             JsonObject *base,
                             PcmbnRefResolver resolver,
                             gpointer resolver_data,
                             JsonObject **out_data,
                             GError **error);

/* CSV cells: the same values as JSON, written as text. */
char *pcmbn_field_to_text (const PcmbnField *field, JsonObject *data);
JsonNode *pcmbn_field_from_text (const PcmbnField *field, const char *text, char **problem);

/* Forms: what a person typed, dates day first. */
char *pcmbn_date_from_input (const char *text);
char *pcmbn_date_to_input (const char *iso);
JsonNode *pcmbn_field_parse_text (const PcmbnField *field, const char *text, GError **error);

char *pcmbn_schema_search_text (const PcmbnKind *kind, JsonObject *data);
gint64 pcmbn_data_get_int (JsonObject *data, const char *name);
const char *pcmbn_data_get_string (JsonObject *data, const char *name);

G_END_DECLS
