/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "records/pcmbn-csv.h"
#include "pcmbn-district-db.h"
#include "pcmbn-random.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"
#include "sync/pcmbn-wire.h"

/* Secrets (device tokens, staff tokens, enrolment codes) are kept only as
 * their SHA-256: a copy of the database gives nobody a way in. */

#define SERVER_SCHEMA 1

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

static gboolean
server_migrate (PcmbnStore *store, GError **error)
{
  static const char *const steps[] = { NULL, server_migration_1 };
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

/**
 * pcmbn_district_open:
 * @path: the server database
 * @create: whether a missing file is made (only `init` does)
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the store with the server's tables
 */
PcmbnStore *
pcmbn_district_open (const char *path, gboolean create, GError **error)
{
  g_autoptr (PcmbnStore) store = NULL;

  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                   _ ("db: %s does not exist; make it first with “pcmbn-district init --db %s "
                      "--org-unit CODE”"),
                   path, path);
      return NULL;
    }
  store = pcmbn_store_open (path, error);
  if (store == NULL || !server_migrate (store, error)
      || !pcmbn_store_drop_search_index (store, error))
    return NULL;
  if (!create)
    {
      g_autofree char *code = pcmbn_district_get_code (store);
      if (code == NULL)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                       _ ("db: %s is not a district server database yet; run “pcmbn-district init "
                          "--db %s --org-unit CODE”"),
                       path, path);
          return NULL;
        }
    }
  return g_steal_pointer (&store);
}

/**
 * pcmbn_district_get_code:
 * @store: a server database
 *
 * Returns: (transfer full) (nullable): the district's (or city's) code
 */
char *
pcmbn_district_get_code (PcmbnStore *store)
{
  return pcmbn_store_get_meta (store, PCMBN_DISTRICT_META_CODE);
}

/**
 * pcmbn_district_unit_changed:
 * @store: a server database, in a transaction
 * @code: an org unit's code
 * @error: return location for an error
 *
 * Puts the unit at the end of the change sequence, so that the devices of
 * that commune pull its new key-area flag and population.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_unit_changed (PcmbnStore *store, const char *code, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt;
  gboolean ok;

  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (db, "DELETE FROM changes WHERE unit_code = ?1", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (ok)
    {
      sqlite3_prepare_v2 (db, "INSERT INTO changes (org_unit, unit_code) VALUES (?1, ?1)", -1,
                          &stmt, NULL);
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
      sqlite3_finalize (stmt);
    }
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("saving the org units"));
  pcmbn_store_unlock (store);
  return ok;
}

/**
 * pcmbn_district_init:
 * @store: a new server database
 * @org_unit: the district's or city's code
 * @units_csv: (nullable): an org-unit list; the bundled one when %NULL
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_init (PcmbnStore *store, const char *org_unit, const char *units_csv, GError **error)
{
  g_autofree char *existing = pcmbn_district_get_code (store);
  g_autoptr (PcmbnOrgUnit) unit = NULL;
  g_autoptr (GPtrArray) communes = NULL;

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
    if (!pcmbn_district_unit_changed (store, ((PcmbnOrgUnit *)communes->pdata[i])->code, error))
      goto fail;
  /* The store writes records with its own org unit before the sync code
   * sets each record's commune; the district's code serves as that. */
  if (!pcmbn_store_set_meta (store, PCMBN_DISTRICT_META_CODE, org_unit, error)
      || !pcmbn_store_set_meta (store, "org_unit", org_unit, error)
      || !pcmbn_district_audit (store, "admin", "init", NULL, 0, org_unit))
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
 * pcmbn_district_is_commune_of:
 * @store: a server database
 * @code: an org unit's code
 *
 * Returns: whether @code is a commune this server serves
 */
gboolean
pcmbn_district_is_commune_of (PcmbnStore *store, const char *code)
{
  g_autofree char *district = pcmbn_district_get_code (store);
  g_autoptr (GPtrArray) communes = pcmbn_store_communes_under (store, district);

  for (guint i = 0; i < communes->len; i++)
    if (g_strcmp0 (((PcmbnOrgUnit *)communes->pdata[i])->code, code) == 0)
      return TRUE;
  return FALSE;
}

/**
 * pcmbn_district_new_enrol_code:
 * @store: a server database
 * @commune: the commune the device will belong to
 * @error: return location for an error
 *
 * Ten characters from an alphabet without look-alikes (about 49 bits),
 * printed as two groups of five, valid for 7 days and once.
 *
 * Returns: (transfer full) (nullable): the code
 */
char *
pcmbn_district_new_enrol_code (PcmbnStore *store, const char *commune, GError **error)
{
  static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  const guint n = sizeof alphabet - 1;
  char code[12];
  guint at = 0;
  g_autofree char *normal = NULL, *hash = NULL, *now = NULL;
  sqlite3_stmt *stmt;
  sqlite3 *db = pcmbn_store_get_db (store);
  gboolean ok;

  if (!pcmbn_district_is_commune_of (store, commune))
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
  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (db,
                      "INSERT INTO enrol_codes (code_hash, org_unit, created_at, expires_at) VALUES"
                      " (?, ?, ?, ?)",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, commune, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4,
                      g_get_real_time () / G_USEC_PER_SEC + PCMBN_DISTRICT_CODE_DAYS * 24 * 3600);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("saving the code"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  if (!ok)
    return NULL;
  pcmbn_district_audit (store, "admin", "enroll-code", NULL, 0, commune);
  return g_strdup (code);
}

/**
 * pcmbn_district_list_devices:
 * @store: a server database
 *
 * Returns: (transfer full): a JSON array of `{id, name, org_unit,
 *   created_at, last_seen, revoked}`
 */
JsonNode *
pcmbn_district_list_devices (PcmbnStore *store)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  JsonArray *array = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_ARRAY);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (db,
                      "SELECT id, name, org_unit, created_at, last_seen, revoked_at FROM devices"
                      " ORDER BY created_at, id",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
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
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  json_node_take_array (root, array);
  return root;
}

/**
 * pcmbn_district_revoke_device:
 * @store: a server database
 * @device_id: a device's id
 * @error: return location for an error
 *
 * The device gets 401 from its next request on.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_revoke_device (PcmbnStore *store, const char *device_id, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean ok;
  int changes;

  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (db, "UPDATE devices SET revoked_at = coalesce (revoked_at, ?2) WHERE id = ?1",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  changes = sqlite3_changes (db);
  sqlite3_finalize (stmt);
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("revoking the device"));
  else if (changes == 0)
    {
      ok = FALSE;
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND,
                   _ ("revoke: there is no device %s; “pcmbn-district devices” lists them"),
                   device_id);
    }
  pcmbn_store_unlock (store);
  if (ok)
    pcmbn_district_audit (store, "admin", "revoke", NULL, 0, device_id);
  return ok;
}

/**
 * pcmbn_district_new_staff_token:
 * @store: a server database
 * @name: whose token it is
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the token; it is shown only now
 */
char *
pcmbn_district_new_staff_token (PcmbnStore *store, const char *name, GError **error)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  char hex[65];
  g_autofree char *token = NULL, *hash = NULL, *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean ok;

  if (name == NULL || *g_strstrip ((char *)name) == '\0')
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
  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (db,
                      "INSERT INTO staff_tokens (name, token_hash, created_at) VALUES (?, ?, ?)",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    pcmbn_store_set_sqlite_error (error, db, _ ("saving the token"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  if (!ok)
    return NULL;
  pcmbn_district_audit (store, "admin", "staff-token", NULL, 0, name);
  return g_steal_pointer (&token);
}

/**
 * pcmbn_district_set_unit:
 * @store: a server database
 * @code: a commune of the district
 * @key_area: 1, 0, or -1 to leave it
 * @population: the population aged 14–60, -1 for unknown, -2 to leave it
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_set_unit (
    PcmbnStore *store, const char *code, int key_area, gint64 population, GError **error)
{
  if (!pcmbn_district_is_commune_of (store, code))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("code: “%s” is not a commune of this district"), code ? code : "");
      return FALSE;
    }
  if (!pcmbn_store_begin (store, error))
    return FALSE;
  if (!pcmbn_store_set_unit_facts (store, code, key_area, population, error)
      || !pcmbn_district_unit_changed (store, code, error)
      || !pcmbn_district_audit (store, "admin", "org-units", NULL, 0, code))
    {
      pcmbn_store_rollback (store);
      return FALSE;
    }
  return pcmbn_store_commit (store, error);
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
 * pcmbn_district_import_units:
 * @store: a server database
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
pcmbn_district_import_units (
    PcmbnStore *store, const char *text, gsize len, guint *n_changed, GError **error)
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
        if (!pcmbn_district_is_commune_of (store, code))
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
  if (!pcmbn_store_begin (store, error))
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
      if (!pcmbn_district_set_unit (store, code, key, pop, error))
        {
          pcmbn_store_rollback (store);
          return FALSE;
        }
    }
  if (n_changed)
    *n_changed = g_hash_table_size (seen);
  return pcmbn_store_commit (store, error);
}

/**
 * pcmbn_district_audit:
 * @store: a server database
 * @actor: "admin", "device:ID" or "staff:NAME"
 * @action: what was done
 * @record_uuid: (nullable): the record it concerns
 * @version: the record's new version, or 0
 * @detail: (nullable): more
 *
 * Returns: %TRUE when the line was written
 */
gboolean
pcmbn_district_audit (PcmbnStore *store,
                      const char *actor,
                      const char *action,
                      const char *record_uuid,
                      gint64 version,
                      const char *detail)
{
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean ok;

  pcmbn_store_lock (store);
  /* Once per record of a push: a cached statement. */
  stmt = pcmbn_store_prepare_cached (store,
                                     "INSERT INTO audit (at, actor, action, record_uuid, version,"
                                     " detail) VALUES (?, ?, ?, ?, ?, ?)",
                                     NULL);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (store);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, actor, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, action, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, record_uuid, -1, SQLITE_TRANSIENT);
  if (version > 0)
    sqlite3_bind_int64 (stmt, 5, version);
  else
    sqlite3_bind_null (stmt, 5);
  sqlite3_bind_text (stmt, 6, detail, -1, SQLITE_TRANSIENT);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_reset (stmt);
  pcmbn_store_unlock (store);
  return ok;
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
