/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-random.h"
#include "pcmbn-util.h"
#include "records/pcmbn-csv.h"
#include "server/pcmbn-district-chain.h"
#include "server/pcmbn-district-store-private.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-wire.h"

/* KiB of page cache for each connection of the server (see
 * pcmbn_district_store_open()). */
#define PCMBN_DISTRICT_CACHE_KIB 2000

/* Secrets (device tokens, staff tokens, enrolment codes) are kept only as
 * their SHA-256: a copy of the database gives nobody a way in.
 *
 * The server's tables live in the same SQLite file and the same connection
 * as the core's PcmbnStore, so that a push writes its records, their change
 * rows and their audit lines in one transaction. */

struct _PcmbnDistrictStore
{
  GObject parent_instance;

  PcmbnStore *store;
};

G_DEFINE_FINAL_TYPE (PcmbnDistrictStore, pcmbn_district_store, G_TYPE_OBJECT)

/* clang-format off: the quark name is stringified as written */
G_DEFINE_QUARK (pcmbn - district - error - quark, pcmbn_district_error)
/* clang-format on */

#define SERVER_SCHEMA 8

static const char server_migration_1[] =
    "CREATE TABLE devices (id TEXT PRIMARY KEY, name TEXT NOT NULL, org_unit TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, last_seen TEXT,"
    "  revoked_at TEXT);"
    "CREATE TABLE enrol_codes (code_hash TEXT PRIMARY KEY, org_unit TEXT NOT NULL,"
    "  created_at TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at TEXT, device_id TEXT);"
    "CREATE TABLE staff_tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT);"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, record_uuid TEXT, version INTEGER, detail TEXT);"
    "CREATE INDEX audit_record ON audit (record_uuid);"
    /* One row per version a push made: a retry of the same edit finds its
   * version here and changes nothing. */
    "CREATE TABLE record_versions (uuid TEXT NOT NULL, version INTEGER NOT NULL,"
    "  edit_hash TEXT NOT NULL, device_id TEXT, at TEXT NOT NULL, PRIMARY KEY (uuid, version));"
    "CREATE INDEX record_versions_edit ON record_versions (uuid, edit_hash);"
    /* The change sequence: one row per record or org unit, at its latest
   * change, so that a pull reads an index range and never the whole table. */
    "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, org_unit TEXT NOT NULL,"
    "  record_uuid TEXT, unit_code TEXT);"
    "CREATE INDEX changes_scope ON changes (org_unit, seq);"
    "CREATE UNIQUE INDEX changes_record ON changes (record_uuid) WHERE record_uuid IS NOT NULL;"
    "CREATE UNIQUE INDEX changes_unit ON changes (unit_code) WHERE unit_code IS NOT NULL;"
    "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL,"
    "  created_at TEXT NOT NULL, device_id TEXT);"
    "CREATE TABLE IF NOT EXISTS commune_sync (org_unit TEXT PRIMARY KEY, last_sync TEXT);";

/* Every read and every attempt is audited: what it concerned, where the
 * request came from and whether it succeeded. Earlier lines keep their
 * record or detail as their object. */
static const char server_migration_2[] =
    "ALTER TABLE audit ADD COLUMN object TEXT;"
    "ALTER TABLE audit ADD COLUMN address TEXT;"
    "ALTER TABLE audit ADD COLUMN ok INTEGER NOT NULL DEFAULT 1;"
    "UPDATE audit SET object = coalesce (record_uuid, detail);"
    "CREATE INDEX audit_at ON audit (at);";

/* Attachments belong to communes: a device sees (HEAD) and adds (PUT) only
 * its own commune's, so that it cannot learn whether another commune holds
 * a file. The bytes stay stored once. Dashboard sessions live here, by the
 * SHA-256 of their id, so that they survive a restart and a copy of the
 * file signs nobody in. Refused sign-ins are counted from the audit. */
static const char server_migration_3[] =
    "CREATE TABLE blob_scopes (sha256 TEXT NOT NULL, org_unit TEXT NOT NULL,"
    "  PRIMARY KEY (sha256, org_unit)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO blob_scopes (sha256, org_unit)"
    "  SELECT b.sha256, d.org_unit FROM blobs b JOIN devices d ON d.id = b.device_id;"
    "CREATE TABLE dashboard_sessions (id_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL);"
    "CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);"
    "CREATE INDEX audit_refused ON audit (address, at) WHERE ok = 0;";

static void
pcmbn_district_store_dispose (GObject *object)
{
  PcmbnDistrictStore *self = PCMBN_DISTRICT_STORE (object);

  g_clear_object (&self->store);
  G_OBJECT_CLASS (pcmbn_district_store_parent_class)->dispose (object);
}

static void
pcmbn_district_store_class_init (PcmbnDistrictStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pcmbn_district_store_dispose;
}

static void
pcmbn_district_store_init (PcmbnDistrictStore *self)
{
}

void
pcmbn_district_principal_free (PcmbnDistrictPrincipal *principal)
{
  if (principal == NULL)
    return;
  g_free (principal->id);
  g_free (principal->org_unit);
  g_free (principal->actor);
  g_free (principal->address);
  g_free (principal);
}

void
pcmbn_district_enrolment_free (PcmbnDistrictEnrolment *enrolment)
{
  if (enrolment == NULL)
    return;
  g_free (enrolment->device_id);
  g_free (enrolment->token);
  g_free (enrolment->org_unit);
  g_free (enrolment);
}

/* Nothing on the server searches records as a person types: the folded
 * search copy's index, as large as the records, goes (the store stops
 * writing the copy, see pcmbn_store_set_search_text()). */
static const char server_migration_4[] = "DROP INDEX IF EXISTS records_search;";

/* The device that made a record's latest change, beside the change: a
 * pull after a push leaves out the device's own changes, and told that
 * from the records and their versions, one random read each (a pull right
 * after a push of 10,000 records read all of them to send none). Older
 * rows keep NULL and are told the old way. */
static const char server_migration_5[] = "ALTER TABLE changes ADD COLUMN device_id TEXT;";

/* The versions table in its primary key's order, without the index by
 * edit: a retry's edit is found among the few versions of its record,
 * read in the key, and a push writes one b-tree per version, not three. */
static const char server_migration_6[] =
    "CREATE TABLE record_versions_new (uuid TEXT NOT NULL, version INTEGER NOT NULL,"
    "  edit_hash TEXT NOT NULL, device_id TEXT, at TEXT NOT NULL, PRIMARY KEY (uuid, version))"
    "  WITHOUT ROWID;"
    "INSERT INTO record_versions_new SELECT uuid, version, edit_hash, device_id, at"
    "  FROM record_versions;"
    "DROP TABLE record_versions;"
    "ALTER TABLE record_versions_new RENAME TO record_versions;";

/* Nothing reads the audit by record (a record's history is its versions,
 * keyed by uuid): the index cost every pushed record a write at a random
 * place in a b-tree as large as the audit. */
static const char server_migration_7[] = "DROP INDEX IF EXISTS audit_record;";

/* The versions and the change sequence name a record by its row in
 * records rather than by its uuid. A push's new records get rising row
 * ids, so their versions and their place in the change sequence go at the
 * end of those b-trees, a few pages per push, where keys by uuid (random)
 * dirtied a page per record everywhere in them: half the write of a push
 * was there, and it grew with the database. Rows of records are never
 * removed, so the id is as stable as the uuid. A pull reads each record by
 * its row id. */
static const char server_migration_8[] =
    "CREATE TABLE record_versions_new (record_id INTEGER NOT NULL, version INTEGER NOT NULL,"
    "  edit_hash TEXT NOT NULL, device_id TEXT, at TEXT NOT NULL,"
    "  PRIMARY KEY (record_id, version)) WITHOUT ROWID;"
    "INSERT INTO record_versions_new SELECT r.id, v.version, v.edit_hash, v.device_id, v.at"
    "  FROM record_versions v JOIN records r ON r.uuid = v.uuid;"
    "DROP TABLE record_versions;"
    "ALTER TABLE record_versions_new RENAME TO record_versions;"
    "ALTER TABLE changes ADD COLUMN record_id INTEGER;"
    "UPDATE changes SET record_id = (SELECT r.id FROM records r WHERE r.uuid = changes.record_uuid)"
    "  WHERE record_uuid IS NOT NULL;"
    "DROP INDEX changes_record;"
    "CREATE UNIQUE INDEX changes_record ON changes (record_id) WHERE record_id IS NOT NULL;";

static gboolean
server_migrate (PcmbnStore *store, GError **error)
{
  static const char *const steps[] = { NULL,
                                       server_migration_1,
                                       server_migration_2,
                                       server_migration_3,
                                       server_migration_4,
                                       server_migration_5,
                                       server_migration_6,
                                       server_migration_7,
                                       server_migration_8 };
  g_autofree char *text = pcmbn_store_get_meta (store, "server_schema");
  int version = text ? atoi (text) : 0;
  sqlite3 *db = pcmbn_store_get_db (store);

  G_STATIC_ASSERT (G_N_ELEMENTS (steps) == SERVER_SCHEMA + 1);
  if (version > SERVER_SCHEMA)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("This server database was made by a newer version of pcmbn-district "
                      "(server schema %d). Install the newer version to use it."),
                   version);
      return FALSE;
    }
  while (version < SERVER_SCHEMA)
    {
      g_autofree char *next = g_strdup_printf ("%d", version + 1);
      if (!pcmbn_store_begin (store, error))
        return FALSE;
      if (!pcmbn_store_exec (db, steps[version + 1], error)
          || !pcmbn_store_set_meta (store, "server_schema", next, error))
        {
          pcmbn_store_rollback (store);
          return FALSE;
        }
      if (!pcmbn_store_commit (store, error))
        return FALSE;
      version++;
    }
  return TRUE;
}

/* From the connection's statement cache: the server runs the same few
 * statements again and again. Each is reset right after use, so that none
 * keeps a read snapshot open between requests. */
sqlite3_stmt *
pcmbn_district_store_prepare (PcmbnDistrictStore *self, const char *sql, GError **error)
{
  return pcmbn_store_prepare_cached (self->store, sql, error);
}

gboolean
pcmbn_district_store_step_done (PcmbnDistrictStore *self,
                                sqlite3_stmt *stmt,
                                const char *what,
                                GError **error)
{
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;

  if (!ok)
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (self->store), what);
  sqlite3_reset (stmt);
  return ok;
}

char *
pcmbn_district_column_dup (sqlite3_stmt *stmt, int column)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, column));
}

/**
 * pcmbn_district_store_open:
 * @path: the server database
 * @create: whether a missing file is made (only `init` does)
 * @error: return location for an error
 *
 * Opens the file with the core's store (its own migrations) and brings the
 * server's tables to the current server schema. Without @create, the file
 * must exist and have been made a district database by
 * pcmbn_district_store_initialize().
 *
 * Returns: (transfer full) (nullable): the server database
 */
PcmbnDistrictStore *
pcmbn_district_store_open (const char *path, gboolean create, GError **error)
{
  g_autoptr (PcmbnStore) store = NULL;
  g_autoptr (PcmbnDistrictStore) self = NULL;

  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                   _ ("db: %s does not exist; make it first with “pcmbn-district init --db %s "
                      "--org-unit CODE”"),
                   path, path);
      return NULL;
    }
  /* Case notes, where this server keeps them, are sealed with the key of
   * its configuration file (an environment variable under systemd), never
   * with one kept in the database or a keyring. */
  store = pcmbn_store_open_with_key (path, g_getenv ("PCMBN_CASE_NOTES_KEY"), error);
  /* No trigram search index on a server: nobody filters its records as
   * they type, and every push would pay for it. */
  if (store == NULL || !server_migrate (store, error)
      || !pcmbn_store_drop_search_index (store, error))
    return NULL;
  pcmbn_store_set_search_text (store, FALSE);
  /* A push of 1,000 records adds more than 1,000 pages to the log, so with
   * SQLite's default every push's commit also copied the log into the
   * database. Every fourth or so does now: a page that several pushes
   * change (the indexes by uuid) is copied once, with one fsync of the
   * database for several pushes. The same size on every connection, so
   * that no small write (a pull's "last seen") pays for the pushes'. A
   * passive checkpoint, in the commit that finds the log full; `serve`
   * moves it to a thread of its own (pcmbn-district-checkpointer.c). */
  sqlite3_wal_autocheckpoint (pcmbn_store_get_db (store), PCMBN_DISTRICT_CHECKPOINT_PAGES);

  /* A server holds one connection per worker thread for months, and each
   * connection's page cache fills up to its limit as the database grows:
   * the core's 16 MB, made for the one connection of a laptop, would be
   * 128 MB on eight workers and the server's memory would climb with its
   * data. 2 MB each (SQLite's own default) keeps the total bounded; the
   * pages it misses are in the kernel's file cache, one pread away. */
  if (!pcmbn_store_exec (pcmbn_store_get_db (store),
                         "PRAGMA cache_size = -" G_STRINGIFY (PCMBN_DISTRICT_CACHE_KIB), error))
    return NULL;
  self = g_object_new (PCMBN_TYPE_DISTRICT_STORE, NULL);
  self->store = g_steal_pointer (&store);
  if (!create)
    {
      g_autofree char *code = pcmbn_district_store_get_code (self);
      if (code == NULL)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                       _ ("db: %s is not a district server database yet; run “pcmbn-district init "
                          "--db %s --org-unit CODE”"),
                       path, path);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

/**
 * pcmbn_district_store_get_store:
 * @self: a server database
 *
 * The core store under the server's tables, for what reads records the
 * core's way (reports, the dashboard's tables).
 *
 * Returns: (transfer none): the store
 */
PcmbnStore *
pcmbn_district_store_get_store (PcmbnDistrictStore *self)
{
  g_return_val_if_fail (PCMBN_IS_DISTRICT_STORE (self), NULL);
  return self->store;
}

/**
 * pcmbn_district_store_get_code:
 * @self: a server database
 *
 * Returns: (transfer full) (nullable): the district's (or city's) code
 */
char *
pcmbn_district_store_get_code (PcmbnDistrictStore *self)
{
  return pcmbn_store_get_meta (self->store, PCMBN_DISTRICT_META_CODE);
}

/**
 * pcmbn_district_store_get_name:
 * @self: a server database
 *
 * Returns: (transfer full): the district's full name, or its code when the
 *   unit is unknown
 */
char *
pcmbn_district_store_get_name (PcmbnDistrictStore *self)
{
  g_autofree char *code = pcmbn_district_store_get_code (self);
  g_autoptr (PcmbnOrgUnit) unit = code ? pcmbn_store_get_unit (self->store, code) : NULL;

  if (unit == NULL)
    return g_strdup (code ? code : "");
  return g_strdup (unit->full_name ? unit->full_name : unit->name);
}

/**
 * pcmbn_district_store_keeps_case_notes:
 * @self: a server database
 *
 * Returns: whether the configuration lets the server store case notes
 */
gboolean
pcmbn_district_store_keeps_case_notes (PcmbnDistrictStore *self)
{
  g_autofree char *keep = pcmbn_store_get_meta (self->store, PCMBN_DISTRICT_META_CASE_NOTES);

  return g_strcmp0 (keep, "yes") == 0;
}

/**
 * pcmbn_district_store_unit_changed:
 * @self: a server database, in a transaction
 * @code: an org unit's code
 * @error: return location for an error
 *
 * Puts the unit at the end of the change sequence, so that the devices of
 * that commune pull its new key-area flag and population.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_unit_changed (PcmbnDistrictStore *self, const char *code, GError **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  pcmbn_store_lock (self->store);
  stmt = pcmbn_district_store_prepare (self, "DELETE FROM changes WHERE unit_code = ?1", error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the org units"), error);
    }
  if (ok)
    {
      stmt = pcmbn_district_store_prepare (
          self, "INSERT INTO changes (org_unit, unit_code) VALUES (?1, ?1)", error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
          ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the org units"), error);
        }
    }
  pcmbn_store_unlock (self->store);
  return ok;
}

/**
 * pcmbn_district_store_initialize:
 * @self: a new server database
 * @org_unit: the district's or city's code
 * @units_csv: (nullable): an org-unit list; the bundled one when %NULL
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_initialize (PcmbnDistrictStore *self,
                                 const char *org_unit,
                                 const char *units_csv,
                                 GError **error)
{
  g_autofree char *existing = pcmbn_district_store_get_code (self);
  g_autoptr (PcmbnOrgUnit) unit = NULL;
  g_autoptr (GPtrArray) communes = NULL;
  PcmbnStore *store = self->store;

  if (existing && g_strcmp0 (existing, org_unit) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("org-unit: this database already serves %s; use another file for %s"),
                   existing, org_unit);
      return FALSE;
    }
  if (!pcmbn_store_begin (store, error))
    return FALSE;
  if (!pcmbn_store_load_units (store, units_csv, error))
    goto fail;
  unit = pcmbn_store_get_unit (store, org_unit);
  if (unit == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("org-unit: no unit has the code “%s” in the list"), org_unit ? org_unit : "");
      goto fail;
    }
  communes = pcmbn_store_communes_under (store, org_unit);
  if (communes->len == 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("org-unit: %s (%s) has no communes under it; give the code of a district or "
                      "city"),
                   org_unit, unit->name);
      goto fail;
    }
  for (guint i = 0; i < communes->len; i++)
    if (!pcmbn_district_store_unit_changed (self, ((PcmbnOrgUnit *)communes->pdata[i])->code,
                                            error))
      goto fail;
  /* The store writes records with its own org unit before the sync code
   * sets each record's commune; the district's code serves as that. */
  if (!pcmbn_store_set_meta (store, PCMBN_DISTRICT_META_CODE, org_unit, error)
      || !pcmbn_store_set_meta (store, "org_unit", org_unit, error)
      || !pcmbn_district_store_audit (self, "admin", "init", org_unit, NULL, TRUE))
    goto fail;
  return pcmbn_store_commit (store, error);

fail:
  pcmbn_store_rollback (store);
  return FALSE;
}

/**
 * pcmbn_district_hash_secret:
 * @secret: a token or code
 *
 * Returns: (transfer full): what the database keeps of it
 */
char *
pcmbn_district_hash_secret (const char *secret)
{
  return pcmbn_sha256_hex ((const guint8 *)secret, strlen (secret));
}

/**
 * pcmbn_district_normalize_code:
 * @code: an enrolment code as typed
 *
 * Read over the phone and typed again: case, spaces and dashes do not
 * matter, and O/I/L are read as 0/1/1... which the alphabet never uses.
 *
 * Returns: (transfer full): the code's canonical form
 */
char *
pcmbn_district_normalize_code (const char *code)
{
  GString *out = g_string_new (NULL);

  for (const char *p = code; p && *p; p++)
    {
      if (*p == '-' || *p == ' ' || *p == '\t')
        continue;
      g_string_append_c (out, g_ascii_toupper (*p));
    }
  return g_string_free (out, FALSE);
}

/**
 * pcmbn_district_store_is_commune_of:
 * @self: a server database
 * @code: (nullable): an org unit's code
 *
 * Returns: whether @code is a commune this server serves
 */
gboolean
pcmbn_district_store_is_commune_of (PcmbnDistrictStore *self, const char *code)
{
  g_autofree char *district = pcmbn_district_store_get_code (self);
  g_autoptr (PcmbnOrgUnit) unit = code ? pcmbn_store_get_unit (self->store, code) : NULL;

  /* Up from the unit rather than listing the whole tree: a national server
   * has 3,321 communes, and listing them walks the tree once per unit. */
  return unit != NULL && district != NULL && g_strcmp0 (unit->level, "commune") == 0
         && pcmbn_store_unit_is_within (self->store, code, district);
}

/**
 * pcmbn_district_unit_json:
 * @unit: an org unit
 *
 * Returns: (transfer full): `{code, name, level, parent, key_area,
 *   population_14_60}`
 */
JsonNode *
pcmbn_district_unit_json (PcmbnOrgUnit *unit)
{
  JsonObject *o = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (o, "code", unit->code);
  json_object_set_string_member (o, "name", unit->name);
  json_object_set_string_member (o, "level", unit->level);
  if (unit->parent_code && *unit->parent_code)
    json_object_set_string_member (o, "parent", unit->parent_code);
  else
    json_object_set_null_member (o, "parent");
  json_object_set_boolean_member (o, "key_area", unit->key_area);
  if (unit->population_14_60 >= 0)
    json_object_set_int_member (o, "population_14_60", unit->population_14_60);
  else
    json_object_set_null_member (o, "population_14_60");
  json_node_take_object (node, o);
  return node;
}

/**
 * pcmbn_district_store_list_communes:
 * @self: a server database
 *
 * Returns: (transfer full): a JSON array of the communes this server
 *   serves, as pcmbn_district_unit_json() writes them
 */
JsonNode *
pcmbn_district_store_list_communes (PcmbnDistrictStore *self)
{
  g_autofree char *code = pcmbn_district_store_get_code (self);
  g_autoptr (GPtrArray) communes = pcmbn_store_communes_under (self->store, code);
  JsonArray *array = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < communes->len; i++)
    json_array_add_element (array, pcmbn_district_unit_json (communes->pdata[i]));
  json_node_take_array (root, array);
  return root;
}

/**
 * pcmbn_district_store_reference:
 * @self: a server database
 * @commune: a commune's code
 *
 * The reference data a new device starts with: the commune and the units
 * above it, up to the top.
 *
 * Returns: (transfer full): `{"org_units": [...]}`
 */
JsonNode *
pcmbn_district_store_reference (PcmbnDistrictStore *self, const char *commune)
{
  JsonObject *o = json_object_new ();
  JsonArray *units = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  char *unit_code = g_strdup (commune);

  for (int depth = 0; unit_code && depth < 16; depth++)
    {
      g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (self->store, unit_code);
      g_free (unit_code);
      unit_code = NULL;
      if (unit == NULL)
        break;
      json_array_add_element (units, pcmbn_district_unit_json (unit));
      if (unit->parent_code && *unit->parent_code)
        unit_code = g_strdup (unit->parent_code);
    }
  g_free (unit_code);
  json_object_set_array_member (o, "org_units", units);
  json_node_take_object (root, o);
  return root;
}

/**
 * pcmbn_district_store_new_enrol_code:
 * @self: a server database
 * @commune: the commune the device will belong to
 * @error: return location for an error
 *
 * Ten characters from an alphabet without look-alikes (about 49 bits),
 * printed as two groups of five, valid for 7 days and once.
 *
 * Returns: (transfer full) (nullable): the code
 */
char *
pcmbn_district_store_new_enrol_code (PcmbnDistrictStore *self, const char *commune, GError **error)
{
  static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  const guint n = sizeof alphabet - 1;
  char code[12];
  guint at = 0;
  g_autofree char *normal = NULL, *hash = NULL, *now = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  /* A commune's device, or a server under this one (the reporting chain). */
  if (!pcmbn_district_store_is_commune_of (self, commune)
      && !pcmbn_district_store_is_child_unit (self, commune))
    {
      g_set_error (
          error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
          _ ("org-unit: “%s” is not a commune of this district; “pcmbn-district org-units” "
             "lists them"),
          commune ? commune : "");
      return NULL;
    }
  while (at < 10)
    {
      guint8 b;
      if (!pcmbn_random_bytes (&b, 1))
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("No random numbers available."));
          return NULL;
        }
      if (b >= 256 - 256 % n) /* no bias */
        continue;
      code[at + (at >= 5)] = alphabet[b % n];
      at++;
    }
  code[5] = '-';
  code[11] = '\0';
  normal = pcmbn_district_normalize_code (code);
  hash = pcmbn_district_hash_secret (normal);
  now = pcmbn_now_utc ();
  pcmbn_store_lock (self->store);
  stmt = pcmbn_district_store_prepare (
      self,
      "INSERT INTO enrol_codes (code_hash, org_unit, created_at, expires_at) VALUES"
      " (?, ?, ?, ?)",
      error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, commune, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (
          stmt, 4, g_get_real_time () / G_USEC_PER_SEC + PCMBN_DISTRICT_CODE_DAYS * 24 * 3600);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the code"), error);
    }
  pcmbn_store_unlock (self->store);
  if (!ok)
    return NULL;
  pcmbn_district_store_audit (self, "admin", "enroll-code", commune, NULL, TRUE);
  return g_strdup (code);
}

/**
 * pcmbn_district_store_enroll:
 * @self: a server database
 * @code: the enrolment code as typed
 * @device_name: a name for the device
 * @wanted_org_unit: (nullable): the commune the device's logbook belongs
 *   to, when it has one already
 * @remote: (nullable): where the request came from, for the audit
 * @error: return location for an error: %PCMBN_DISTRICT_ERROR_BAD_CODE when
 *   the code is wrong, used or expired, %PCMBN_DISTRICT_ERROR_WRONG_ORG_UNIT
 *   when it is for another commune than @wanted_org_unit (the code stays
 *   unused)
 *
 * Uses the code up and registers a device with a new token, in one
 * transaction.
 *
 * Returns: (transfer full) (nullable): the new device and its token
 */
PcmbnDistrictEnrolment *
pcmbn_district_store_enroll (PcmbnDistrictStore *self,
                             const char *code,
                             const char *device_name,
                             const char *wanted_org_unit,
                             const char *remote,
                             GError **error)
{
  g_autoptr (PcmbnDistrictEnrolment) enrolment = NULL;
  g_autofree char *normal = NULL, *hash = NULL, *commune = NULL, *now = NULL;
  g_autofree char *token_hash = NULL, *actor = NULL, *object = NULL;
  PcmbnStore *store = self->store;
  sqlite3_stmt *stmt;
  gint64 expires = 0;
  gboolean used = TRUE, found = FALSE;
  char hex[65];

  normal = pcmbn_district_normalize_code (code);
  hash = pcmbn_district_hash_secret (normal);
  if (!pcmbn_store_begin (store, error))
    return NULL;
  stmt = pcmbn_district_store_prepare (
      self, "SELECT org_unit, expires_at, used_at FROM enrol_codes WHERE code_hash = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      commune = pcmbn_district_column_dup (stmt, 0);
      expires = sqlite3_column_int64 (stmt, 1);
      used = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
    }
  sqlite3_reset (stmt);
  if (!found || used || expires < g_get_real_time () / G_USEC_PER_SEC)
    {
      g_set_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_BAD_CODE,
                   _ ("The enrolment code is wrong, was used already, or has expired (codes "
                      "last 7 days). Ask the district office for a new code."));
      goto fail;
    }
  if (wanted_org_unit && !g_str_equal (wanted_org_unit, commune))
    {
      g_set_error (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_WRONG_ORG_UNIT,
                   _ ("This code is for another commune than the logbook’s. The code was "
                      "not used; ask the district office for a code for your commune."));
      goto fail;
    }
  if (!pcmbn_wire_random_token (hex, 32))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("No random numbers available."));
      goto fail;
    }
  enrolment = g_new0 (PcmbnDistrictEnrolment, 1);
  enrolment->token = g_strconcat ("d_", hex, NULL);
  enrolment->device_id = g_uuid_string_random ();
  enrolment->org_unit = g_strdup (commune);
  token_hash = pcmbn_district_hash_secret (enrolment->token);
  now = pcmbn_now_utc ();
  stmt = pcmbn_district_store_prepare (
      self,
      "INSERT INTO devices (id, name, org_unit, token_hash, created_at) VALUES"
      " (?, ?, ?, ?, ?)",
      error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, enrolment->device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, commune, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, token_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, now, -1, SQLITE_TRANSIENT);
  if (!pcmbn_district_store_step_done (self, stmt, _ ("saving the device"), error))
    goto fail;
  stmt = pcmbn_district_store_prepare (
      self, "UPDATE enrol_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, enrolment->device_id, -1, SQLITE_TRANSIENT);
  if (!pcmbn_district_store_step_done (self, stmt, _ ("saving the device"), error))
    goto fail;
  actor = g_strconcat ("device:", enrolment->device_id, NULL);
  object = g_strdup_printf ("%s (%s)", commune, device_name);
  if (!pcmbn_district_store_audit (self, actor, "enroll", object, remote, TRUE))
    {
      pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the device"));
      goto fail;
    }
  if (!pcmbn_store_commit (store, error))
    return NULL;
  return g_steal_pointer (&enrolment);

fail:
  pcmbn_store_rollback (store);
  return NULL;
}

/**
 * pcmbn_district_store_list_devices:
 * @self: a server database
 *
 * Returns: (transfer full): a JSON array of `{id, name, org_unit,
 *   created_at, last_seen, revoked}`
 */
JsonNode *
pcmbn_district_store_list_devices (PcmbnDistrictStore *self)
{
  JsonArray *array = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_ARRAY);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (self->store);
  stmt = pcmbn_district_store_prepare (
      self,
      "SELECT id, name, org_unit, created_at, last_seen, revoked_at FROM devices"
      " ORDER BY created_at, id",
      NULL);
  while (stmt && sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "id", (const char *)sqlite3_column_text (stmt, 0));
      json_object_set_string_member (o, "name", (const char *)sqlite3_column_text (stmt, 1));
      json_object_set_string_member (o, "org_unit", (const char *)sqlite3_column_text (stmt, 2));
      json_object_set_string_member (o, "created_at", (const char *)sqlite3_column_text (stmt, 3));
      if (sqlite3_column_type (stmt, 4) != SQLITE_NULL)
        json_object_set_string_member (o, "last_seen", (const char *)sqlite3_column_text (stmt, 4));
      else
        json_object_set_null_member (o, "last_seen");
      json_object_set_boolean_member (o, "revoked", sqlite3_column_type (stmt, 5) != SQLITE_NULL);
      if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
        json_object_set_string_member (o, "revoked_at",
                                       (const char *)sqlite3_column_text (stmt, 5));
      json_array_add_object_element (array, o);
    }
  if (stmt)
    sqlite3_reset (stmt);
  pcmbn_store_unlock (self->store);
  json_node_take_array (root, array);
  return root;
}

/**
 * pcmbn_district_store_revoke_device:
 * @self: a server database
 * @device_id: a device's id
 * @error: return location for an error; %PCMBN_ERROR_NOT_FOUND when no
 *   device has that id
 *
 * The device gets 401 from its next request on.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_revoke_device (PcmbnDistrictStore *self, const char *device_id, GError **error)
{
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  pcmbn_store_lock (self->store);
  stmt = pcmbn_district_store_prepare (
      self, "UPDATE devices SET revoked_at = coalesce (revoked_at, ?2) WHERE id = ?1", error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("revoking the device"), error);
      if (ok && sqlite3_changes (pcmbn_store_get_db (self->store)) == 0)
        {
          ok = FALSE;
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND,
                       _ ("revoke: there is no device %s; “pcmbn-district devices” lists them"),
                       device_id);
        }
    }
  pcmbn_store_unlock (self->store);
  if (ok)
    pcmbn_district_store_audit (self, "admin", "revoke", device_id, NULL, TRUE);
  return ok;
}

/**
 * pcmbn_district_store_new_staff_token:
 * @self: a server database
 * @name: whose token it is
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the token; it is shown only now
 */
char *
pcmbn_district_store_new_staff_token (PcmbnDistrictStore *self, const char *name, GError **error)
{
  char hex[65];
  g_autofree char *token = NULL, *hash = NULL, *now = pcmbn_now_utc ();
  g_autofree char *clean = g_strstrip (g_strdup (name ? name : ""));
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  if (*clean == '\0')
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("name: give the staff member’s name"));
      return NULL;
    }
  if (!pcmbn_wire_random_token (hex, 32))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("No random numbers available."));
      return NULL;
    }
  token = g_strconcat ("s_", hex, NULL);
  hash = pcmbn_district_hash_secret (token);
  pcmbn_store_lock (self->store);
  stmt = pcmbn_district_store_prepare (
      self, "INSERT INTO staff_tokens (name, token_hash, created_at) VALUES (?, ?, ?)", error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, clean, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the token"), error);
    }
  pcmbn_store_unlock (self->store);
  if (!ok)
    return NULL;
  pcmbn_district_store_audit (self, "admin", "staff-token", clean, NULL, TRUE);
  return g_steal_pointer (&token);
}

/**
 * pcmbn_district_store_device_token_hash:
 * @self: a server database
 * @device_id: a device's id
 * @error: return location for an error; %PCMBN_ERROR_INVALID when no
 *   device has that id
 *
 * What the database keeps of the device's token: the key of its bundles.
 *
 * Returns: (transfer full) (nullable): the token's hash
 */
char *
pcmbn_district_store_device_token_hash (PcmbnDistrictStore *self,
                                        const char *device_id,
                                        GError **error)
{
  sqlite3_stmt *stmt;
  char *hash = NULL;

  pcmbn_store_lock (self->store);
  stmt = pcmbn_district_store_prepare (self, "SELECT token_hash FROM devices WHERE id = ?", error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (self->store);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    hash = pcmbn_district_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  pcmbn_store_unlock (self->store);
  if (hash == NULL)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                 _ ("This bundle is from device %s, which this server does not know. Was it made "
                    "for another server? Nothing was changed."),
                 device_id);
  return hash;
}

/**
 * pcmbn_district_store_note_bundle:
 * @self: a server database
 * @org_unit: the commune whose bundle was applied
 * @error: return location for an error
 *
 * Remembers when the commune last synced by bundle, for the dashboard.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_note_bundle (PcmbnDistrictStore *self, const char *org_unit, GError **error)
{
  g_autofree char *key = g_strconcat ("bundle_last:", org_unit, NULL);
  g_autofree char *now = pcmbn_now_utc ();

  return pcmbn_store_set_meta (self->store, key, now, error);
}

/**
 * pcmbn_district_store_last_bundle:
 * @self: a server database
 * @org_unit: a commune
 *
 * Returns: (transfer full) (nullable): when the commune last synced by
 *   bundle, as UTC ISO 8601, or %NULL when it never did
 */
char *
pcmbn_district_store_last_bundle (PcmbnDistrictStore *self, const char *org_unit)
{
  g_autofree char *key = g_strconcat ("bundle_last:", org_unit, NULL);

  return pcmbn_store_get_meta (self->store, key);
}

/**
 * pcmbn_district_store_set_unit:
 * @self: a server database
 * @code: a commune of the district
 * @key_area: 1, 0, or -1 to leave it
 * @population: the population aged 14–60, -1 for unknown, -2 to leave it
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_set_unit (
    PcmbnDistrictStore *self, const char *code, int key_area, gint64 population, GError **error)
{
  if (!pcmbn_district_store_is_commune_of (self, code))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("code: “%s” is not a commune of this district"), code ? code : "");
      return FALSE;
    }
  if (!pcmbn_store_begin (self->store, error))
    return FALSE;
  if (!pcmbn_store_set_unit_facts (self->store, code, key_area, population, error)
      || !pcmbn_district_store_unit_changed (self, code, error)
      || !pcmbn_district_store_audit (self, "admin", "org-units", code, NULL, TRUE))
    {
      pcmbn_store_rollback (self->store);
      return FALSE;
    }
  return pcmbn_store_commit (self->store, error);
}

static int
parse_yes_no (const char *text)
{
  g_autofree char *t = g_ascii_strdown (text, -1);

  g_strstrip (t);
  if (g_str_equal (t, "yes") || g_str_equal (t, "1") || g_str_equal (t, "true"))
    return 1;
  if (g_str_equal (t, "no") || g_str_equal (t, "0") || g_str_equal (t, "false"))
    return 0;
  return -1;
}

/**
 * pcmbn_district_store_import_units:
 * @self: a server database
 * @text: (array length=len): CSV with the columns code,key_area,population_14_60
 * @len: its length
 * @n_changed: (out) (optional): the number of communes set
 * @error: return location for an error naming each bad row and column
 *
 * All rows or none. An empty population means unknown; communes not in the
 * file keep their values.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_import_units (
    PcmbnDistrictStore *self, const char *text, gsize len, guint *n_changed, GError **error)
{
  static const char *const names[] = { "code", "key_area", "population_14_60" };
  g_autoptr (GPtrArray) rows = pcmbn_csv_parse (text, len, error);
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  int index[3] = { -1, -1, -1 };
  PcmbnCsvRow *header;

  if (rows == NULL)
    return FALSE;
  if (rows->len == 0)
    {
      g_set_error (
          error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
          _ ("row 1: the file is empty; the first row must be code,key_area,population_14_60"));
      return FALSE;
    }
  header = rows->pdata[0];
  for (guint i = 0; header->cells[i]; i++)
    {
      const char *name = g_strstrip (header->cells[i]);
      gboolean known = FALSE;
      for (guint c = 0; c < 3; c++)
        if (g_str_equal (name, names[c]))
          {
            known = TRUE;
            if (index[c] >= 0)
              g_ptr_array_add (errors,
                               pcmbn_field_error_new (name, 1, _ ("the column appears twice")));
            index[c] = i;
          }
      if (!known)
        g_ptr_array_add (errors,
                         pcmbn_field_error_new (
                             name, 1, _ ("is not a column; use code,key_area,population_14_60")));
    }
  if (index[0] < 0)
    g_ptr_array_add (errors, pcmbn_field_error_new ("code", 1, _ ("the column is missing")));
  if (errors->len == 0)
    for (guint r = 1; r < rows->len && errors->len < 200; r++)
      {
        PcmbnCsvRow *row = rows->pdata[r];
        guint n = g_strv_length (row->cells);
        const char *code = (guint)index[0] < n ? g_strstrip (row->cells[index[0]]) : "";
        if (n == 1 && *row->cells[0] == '\0')
          continue; /* a blank line */
        if (!pcmbn_district_store_is_commune_of (self, code))
          g_ptr_array_add (
              errors, pcmbn_field_error_new ("code", row->line,
                                             _ ("“%s” is not a commune of this district"), code));
        else if (!g_hash_table_add (seen, (gpointer)code))
          g_ptr_array_add (errors, pcmbn_field_error_new ("code", row->line,
                                                          _ ("appears on an earlier row too")));
        if (index[1] >= 0 && (guint)index[1] < n && *g_strstrip (row->cells[index[1]])
            && parse_yes_no (row->cells[index[1]]) < 0)
          g_ptr_array_add (errors,
                           pcmbn_field_error_new ("key_area", row->line, _ ("must be yes or no")));
        if (index[2] >= 0 && (guint)index[2] < n && *g_strstrip (row->cells[index[2]]))
          {
            char *end;
            gint64 v = g_ascii_strtoll (row->cells[index[2]], &end, 10);
            if (*end != '\0' || v < 0 || !g_ascii_isdigit (row->cells[index[2]][0]))
              g_ptr_array_add (errors,
                               pcmbn_field_error_new (
                                   "population_14_60", row->line,
                                   _ ("must be a whole number of people, or empty when unknown")));
          }
      }
  if (errors->len > 0)
    {
      pcmbn_set_field_errors (error, errors);
      return FALSE;
    }
  if (!pcmbn_store_begin (self->store, error))
    return FALSE;
  for (guint r = 1; r < rows->len; r++)
    {
      PcmbnCsvRow *row = rows->pdata[r];
      guint n = g_strv_length (row->cells);
      const char *code = (guint)index[0] < n ? row->cells[index[0]] : "";
      int key = -1;
      gint64 pop = -2;
      if (n == 1 && *row->cells[0] == '\0')
        continue;
      if (index[1] >= 0 && (guint)index[1] < n && *row->cells[index[1]])
        key = parse_yes_no (row->cells[index[1]]);
      if (index[2] >= 0)
        pop = (guint)index[2] < n && *row->cells[index[2]]
                  ? g_ascii_strtoll (row->cells[index[2]], NULL, 10)
                  : -1;
      if (!pcmbn_district_store_set_unit (self, code, key, pop, error))
        {
          pcmbn_store_rollback (self->store);
          return FALSE;
        }
    }
  if (n_changed)
    *n_changed = g_hash_table_size (seen);
  return pcmbn_store_commit (self->store, error);
}

/**
 * pcmbn_district_store_has_blob:
 * @self: a server database
 * @sha256: a blob's address
 * @org_unit: (nullable): the commune asking; %NULL for any commune
 * @exists: (out): whether the server holds it for @org_unit
 * @error: return location for an error of the database
 *
 * Returns: %TRUE when the database answered
 */
gboolean
pcmbn_district_store_has_blob (PcmbnDistrictStore *self,
                               const char *sha256,
                               const char *org_unit,
                               gboolean *exists,
                               GError **error)
{
  sqlite3_stmt *stmt;

  *exists = FALSE;
  pcmbn_store_lock (self->store);
  stmt = org_unit
             ? pcmbn_district_store_prepare (
                 self, "SELECT 1 FROM blob_scopes WHERE sha256 = ? AND org_unit = ?", error)
             : pcmbn_district_store_prepare (self, "SELECT 1 FROM blobs WHERE sha256 = ?", error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
      if (org_unit)
        sqlite3_bind_text (stmt, 2, org_unit, -1, SQLITE_TRANSIENT);
      *exists = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_reset (stmt);
    }
  pcmbn_store_unlock (self->store);
  return stmt != NULL;
}

/**
 * pcmbn_district_store_put_blob:
 * @self: a server database
 * @sha256: the blob's address, already checked against @data
 * @data: the blob
 * @device: the device that sent it
 * @error: return location for an error
 *
 * Stores the blob for the device's commune, in one transaction: the bytes
 * once whatever commune sent them first, and the commune's right to see
 * them. A second put changes nothing. Audited.
 *
 * Returns: %TRUE on success
 */
/**
 * pcmbn_district_store_get_blob:
 * @self: a server database
 * @sha256: the blob's hash
 * @org_unit: (nullable): the commune asking (%NULL for district staff)
 * @error: return location for an error of the database
 *
 * Returns: (transfer full) (nullable): the blob, or %NULL (without @error)
 *   when the server has none with that hash for @org_unit
 */
GBytes *
pcmbn_district_store_get_blob (PcmbnDistrictStore *self,
                               const char *sha256,
                               const char *org_unit,
                               GError **error)
{
  sqlite3_stmt *stmt;
  GBytes *blob = NULL;

  pcmbn_store_lock (self->store);
  stmt = org_unit ? pcmbn_district_store_prepare (
             self,
             "SELECT b.data FROM blobs b JOIN blob_scopes s ON s.sha256 = b.sha256"
             " WHERE b.sha256 = ? AND s.org_unit = ?",
             error)
                  : pcmbn_district_store_prepare (self, "SELECT data FROM blobs WHERE sha256 = ?",
                                                  error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
      if (org_unit)
        sqlite3_bind_text (stmt, 2, org_unit, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        blob = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
      sqlite3_reset (stmt);
    }
  pcmbn_store_unlock (self->store);
  return blob;
}

gboolean
pcmbn_district_store_put_blob (PcmbnDistrictStore *self,
                               const char *sha256,
                               GBytes *data,
                               PcmbnDistrictPrincipal *device,
                               GError **error)
{
  g_autofree char *now = pcmbn_now_utc ();
  gsize len;
  const void *bytes = g_bytes_get_data (data, &len);
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_return_val_if_fail (device != NULL && device->org_unit != NULL, FALSE);
  if (!pcmbn_store_begin (self->store, error))
    return FALSE;
  stmt = pcmbn_district_store_prepare (
      self,
      "INSERT OR IGNORE INTO blobs (sha256, size, data, created_at, device_id) VALUES"
      " (?, ?, ?, ?, ?)",
      error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, len);
      sqlite3_bind_blob (stmt, 3, bytes ? bytes : "", len, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, now, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, device->id, -1, SQLITE_TRANSIENT);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the attachment"), error);
      /* The cache must not keep pointing at the blob. */
      sqlite3_clear_bindings (stmt);
    }
  if (ok)
    {
      stmt = pcmbn_district_store_prepare (
          self, "INSERT OR IGNORE INTO blob_scopes (sha256, org_unit) VALUES (?, ?)", error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 2, device->org_unit, -1, SQLITE_TRANSIENT);
          ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the attachment"), error);
        }
    }
  if (ok
      && !pcmbn_district_store_audit (self, device->actor, "blob", sha256, device->address, TRUE))
    {
      pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (self->store),
                                    _ ("saving the audit"));
      ok = FALSE;
    }
  if (!ok)
    {
      pcmbn_store_rollback (self->store);
      return FALSE;
    }
  return pcmbn_store_commit (self->store, error);
}
