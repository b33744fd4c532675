/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* Records of communes other than the database's own: the district holds
 * every commune's records in one file, and its report runs over them. The
 * data goes through the same schema check as a person's input, with
 * references resolved inside the record's own commune. */

/**
 * pcmbn_store_add_for_unit:
 * @self: a store
 * @org_unit: the commune the record belongs to
 * @kind: the kind's name
 * @uuid: (nullable): the record's uuid, or %NULL for a new one
 * @data: the record's fields
 * @error: return location for an error; %PCMBN_ERROR_INVALID names the
 *   field that is wrong
 *
 * Validates and stores a record of @org_unit, which must be a commune known
 * to the database. Nothing is written when it is invalid.
 *
 * Returns: (transfer full) (nullable): the record's uuid
 */
char *
pcmbn_store_add_for_unit (PcmbnStore *self,
                          const char *org_unit,
                          const char *kind_name,
                          const char *uuid,
                          JsonObject *data,
                          GError **error)
{
  const PcmbnKind *kind = pcmbn_schema_kind (kind_name);
  g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (self, org_unit);
  g_autoptr (JsonObject) valid = NULL;
  g_autofree char *new_uuid = NULL;
  PcmbnStoreResolve rd = { self, org_unit, NULL };

  if (kind == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("kind: “%s” is not a kind of record; use one of %s"),
                   kind_name ? kind_name : "", pcmbn_kind_names_joined ());
      return NULL;
    }
  if (unit == NULL || !g_str_equal (unit->level, "commune"))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("org_unit: %s is not a commune of this database"), org_unit ? org_unit : "");
      return NULL;
    }
  if (uuid != NULL && !pcmbn_uuid_is_valid (uuid))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("uuid: “%s” is not a record uuid"),
                   uuid);
      return NULL;
    }
  new_uuid = uuid ? g_strdup (uuid) : pcmbn_uuid_new ();

  if (!pcmbn_store_begin (self, error))
    return NULL;
  if (!pcmbn_schema_check (kind, data, NULL, pcmbn_store_resolve_ref, &rd, &valid, error)
      || !pcmbn_store_insert_valid (self, kind, new_uuid, org_unit, valid, error))
    {
      pcmbn_store_rollback (self);
      return NULL;
    }
  if (!pcmbn_store_commit (self, error))
    return NULL;
  pcmbn_store_emit_changed (self, kind->name);
  return g_steal_pointer (&new_uuid);
}
