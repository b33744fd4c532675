/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-record"

#include "config.h"

#include "records/pcmbn-record.h"

/* One record as the rest of the program sees it: its data object and the
 * bookkeeping the store keeps beside it. Immutable once loaded: an edit goes
 * through the store and yields a new object. */
struct _PcmbnRecord
{
  GObject parent_instance;

  const PcmbnKind *kind;
  char *uuid;
  char *org_unit;
  JsonObject *data;
  gint64 version;
  PcmbnState state;
  gboolean deleted;
  char *modified_at;
  char *problem;
};

G_DEFINE_FINAL_TYPE (PcmbnRecord, pcmbn_record, G_TYPE_OBJECT)

static void
pcmbn_record_finalize (GObject *object)
{
  PcmbnRecord *self = PCMBN_RECORD (object);

  g_free (self->uuid);
  g_free (self->org_unit);
  g_clear_pointer (&self->data, json_object_unref);
  g_free (self->modified_at);
  g_free (self->problem);
  G_OBJECT_CLASS (pcmbn_record_parent_class)->finalize (object);
}

static void
pcmbn_record_class_init (PcmbnRecordClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pcmbn_record_finalize;
}

static void
pcmbn_record_init (PcmbnRecord *self)
{
  self->state = PCMBN_STATE_DIRTY;
}

/**
 * pcmbn_record_new:
 * @kind: the kind
 * @uuid: the record's uuid
 * @org_unit: its commune
 * @data: (transfer none): its fields
 *
 * Returns: (transfer full): a new record
 */
PcmbnRecord *
pcmbn_record_new (const PcmbnKind *kind, const char *uuid, const char *org_unit, JsonObject *data)
{
  PcmbnRecord *self = g_object_new (PCMBN_TYPE_RECORD, NULL);

  self->kind = kind;
  self->uuid = g_strdup (uuid);
  self->org_unit = g_strdup (org_unit);
  self->data = json_object_ref (data);
  return self;
}

void
pcmbn_record_set_bookkeeping (PcmbnRecord *self,
                              gint64 version,
                              PcmbnState state,
                              gboolean deleted,
                              const char *modified_at,
                              const char *problem)
{
  self->version = version;
  self->state = state;
  self->deleted = deleted;
  g_free (self->modified_at);
  self->modified_at = g_strdup (modified_at);
  g_free (self->problem);
  self->problem = g_strdup (problem);
}

const char *
pcmbn_record_get_uuid (PcmbnRecord *self)
{
  return self->uuid;
}

const PcmbnKind *
pcmbn_record_get_kind (PcmbnRecord *self)
{
  return self->kind;
}

const char *
pcmbn_record_get_org_unit (PcmbnRecord *self)
{
  return self->org_unit;
}

/**
 * pcmbn_record_get_data:
 * @self: a record
 *
 * Returns: (transfer none): the fields; do not modify
 */
JsonObject *
pcmbn_record_get_data (PcmbnRecord *self)
{
  return self->data;
}

gint64
pcmbn_record_get_version (PcmbnRecord *self)
{
  return self->version;
}

PcmbnState
pcmbn_record_get_state (PcmbnRecord *self)
{
  return self->state;
}

gboolean
pcmbn_record_get_deleted (PcmbnRecord *self)
{
  return self->deleted;
}

const char *
pcmbn_record_get_modified_at (PcmbnRecord *self)
{
  return self->modified_at;
}

/**
 * pcmbn_record_get_problem:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): why the server rejected it, if it did
 */
const char *
pcmbn_record_get_problem (PcmbnRecord *self)
{
  return self->problem;
}

/**
 * pcmbn_record_get_date:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): the date lists sort on
 */
const char *
pcmbn_record_get_date (PcmbnRecord *self)
{
  return pcmbn_data_get_string (self->data, self->kind->date_field);
}

/**
 * pcmbn_record_get_title:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): the record's headline
 */
const char *
pcmbn_record_get_title (PcmbnRecord *self)
{
  return self->kind->title_field ? pcmbn_data_get_string (self->data, self->kind->title_field)
                                 : NULL;
}

/**
 * pcmbn_record_get_type_code:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): the code of its type field
 */
const char *
pcmbn_record_get_type_code (PcmbnRecord *self)
{
  return self->kind->type_field ? pcmbn_data_get_string (self->data, self->kind->type_field) : NULL;
}

/**
 * pcmbn_record_to_json:
 * @self: a record
 * @with_local: add the local `version` and `state`, as `pcmbn get` prints
 *
 * The wire shape of interfaces.md.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
pcmbn_record_to_json (PcmbnRecord *self, gboolean with_local)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  JsonNode *data = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (data, self->data);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uuid");
  json_builder_add_string_value (b, self->uuid);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, self->kind->name);
  json_builder_set_member_name (b, "org_unit");
  json_builder_add_string_value (b, self->org_unit);
  json_builder_set_member_name (b, "base_version");
  json_builder_add_int_value (b, self->version);
  json_builder_set_member_name (b, "deleted");
  json_builder_add_boolean_value (b, self->deleted);
  json_builder_set_member_name (b, "modified_at");
  json_builder_add_string_value (b, self->modified_at);
  json_builder_set_member_name (b, "data");
  json_builder_add_value (b, data);
  if (with_local)
    {
      json_builder_set_member_name (b, "version");
      json_builder_add_int_value (b, self->version);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, pcmbn_state_to_string (self->state));
      if (self->problem)
        {
          json_builder_set_member_name (b, "problem");
          json_builder_add_string_value (b, self->problem);
        }
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
