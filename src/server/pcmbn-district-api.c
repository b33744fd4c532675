/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pcmbn-district-api.h"
#include "pcmbn-district-dashboard.h"
#include "pcmbn-district-db.h"
#include "report/pcmbn-report.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"
#include "sync/pcmbn-wire.h"

/* The API of interfaces.md. Every handler runs in a worker thread with that
 * thread's own connection; a request that fails writes nothing (each write
 * is one transaction, rolled back on any failure). */

void
pcmbn_district_request_free (PcmbnDistrictRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->authorization);
  g_free (request->content_encoding);
  g_free (request->content_type);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->remote);
  g_free (request->cookie);
  g_free (request->origin);
  g_free (request->host);
  g_free (request);
}

void
pcmbn_district_reply_free (PcmbnDistrictReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->content_type);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_free (reply->allow);
  g_free (reply->error_code);
  g_clear_pointer (&reply->headers, g_ptr_array_unref);
  g_free (reply);
}

static PcmbnDistrictReply *
reply_take (guint status, const char *content_type, char *text)
{
  PcmbnDistrictReply *reply = g_new0 (PcmbnDistrictReply, 1);

  reply->status = status;
  reply->content_type = g_strdup (content_type);
  reply->body = g_bytes_new_take (text, strlen (text));
  return reply;
}

static PcmbnDistrictReply *
reply_json (guint status, JsonNode *node)
{
  return reply_take (status, "application/json", json_to_string (node, FALSE));
}

/**
 * pcmbn_district_reply_error:
 * @status: an HTTP status
 * @code: a short code
 * @message: what happened and what to do
 *
 * Returns: (transfer full): the contract's error body
 */
PcmbnDistrictReply *
pcmbn_district_reply_error (guint status, const char *code, const char *message)
{
  PcmbnDistrictReply *reply = reply_take (status, "application/json",
                                          pcmbn_wire_error_body (code, message));
  reply->error_code = g_strdup (code);
  return reply;
}
#define reply_error pcmbn_district_reply_error

static PcmbnDistrictReply *
reply_gerror (GError *error)
{
  if (error->domain == PCMBN_WIRE_ERROR && error->code == PCMBN_WIRE_ERROR_TOO_LARGE)
    return reply_error (413, "too_large", error->message);
  if (error->domain == PCMBN_WIRE_ERROR && error->code == PCMBN_WIRE_ERROR_UNSUPPORTED)
    return reply_error (415, "unsupported_media_type", error->message);
  if (error->domain == PCMBN_WIRE_ERROR)
    return reply_error (400, "bad_request", error->message);
  if (error->domain == PCMBN_ERROR
      && (error->code == PCMBN_ERROR_INVALID || error->code == PCMBN_ERROR_USAGE))
    return reply_error (400, "bad_request", error->message);
  return reply_error (500, "internal", error->message);
}

/* ---- helpers --------------------------------------------------------------- */

typedef struct
{
  char *id;
  char *org_unit;
  char *actor;
} Device;

static void
device_clear (Device *d)
{
  g_free (d->id);
  g_free (d->org_unit);
  g_free (d->actor);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Device, device_clear)

static const char *
bearer (PcmbnDistrictRequest *req)
{
  const char *auth = req->authorization;

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  auth += 7;
  while (*auth == ' ')
    auth++;
  return *auth ? auth : NULL;
}

static gboolean
staff_token_known (sqlite3 *db, const char *hash, char **name)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  if (sqlite3_prepare_v2 (
          db, "SELECT name FROM staff_tokens WHERE token_hash = ? AND revoked_at IS NULL", -1,
          &stmt, NULL)
      != SQLITE_OK)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (name)
        *name = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  return found;
}

/* Authenticates a device: NULL and @device filled, or the error reply. */
static PcmbnDistrictReply *
auth_device (PcmbnStore *store, PcmbnDistrictRequest *req, Device *device)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  const char *token = bearer (req);
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt;
  gboolean found = FALSE, revoked = FALSE;

  if (token == NULL)
    return reply_error (401, "unauthorized",
                        _ ("This request needs the device’s token (Authorization: Bearer TOKEN). "
                           "Enrol the device with “pcmbn enroll” first."));
  hash = pcmbn_district_hash_secret (token);
  pcmbn_store_lock (store);
  /* Read at every request, never remembered: a revocation made by the
   * admin verb in another process takes effect at once. */
  stmt = pcmbn_store_prepare_cached (
      store, "SELECT id, org_unit, revoked_at FROM devices WHERE token_hash = ?", NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          found = TRUE;
          device->id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
          device->org_unit = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
          revoked = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
        }
      sqlite3_reset (stmt);
    }
  if (!found && staff_token_known (db, hash, NULL))
    {
      pcmbn_store_unlock (store);
      return reply_error (403, "forbidden",
                          _ ("This is a district staff token; only an enrolled device may sync "
                             "records."));
    }
  pcmbn_store_unlock (store);
  if (!found)
    return reply_error (401, "unauthorized",
                        _ ("This device’s token is not known to the district server. Enrol the "
                           "device again with a new code from the district office."));
  if (revoked)
    return reply_error (401, "revoked",
                        _ ("The district office revoked this device. Ask it for a new enrolment "
                           "code and enrol again."));
  device->actor = g_strconcat ("device:", device->id, NULL);
  return NULL;
}

static PcmbnDistrictReply *
auth_staff (PcmbnStore *store, PcmbnDistrictRequest *req, char **name)
{
  sqlite3 *db = pcmbn_store_get_db (store);
  const char *token = bearer (req);
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt;
  gboolean device = FALSE, staff;

  if (token == NULL)
    return reply_error (401, "unauthorized",
                        _ ("This request needs a district staff token (Authorization: Bearer "
                           "TOKEN); “pcmbn-district staff-token” makes one."));
  hash = pcmbn_district_hash_secret (token);
  pcmbn_store_lock (store);
  staff = staff_token_known (db, hash, name);
  if (!staff)
    {
      sqlite3_prepare_v2 (db, "SELECT 1 FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
                          -1, &stmt, NULL);
      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
      device = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_finalize (stmt);
    }
  pcmbn_store_unlock (store);
  if (staff)
    return NULL;
  if (device)
    return reply_error (403, "forbidden",
                        _ ("A device token cannot read district reports; use a district staff "
                           "token."));
  return reply_error (401, "unauthorized",
                      _ ("This staff token is not known to the district server."));
}

/* The body as JSON text: gzip undone within @limit, media type checked. */
static GBytes *
json_body (PcmbnDistrictRequest *req, gsize limit, PcmbnDistrictReply **reply)
{
  g_autoptr (GError) error = NULL;
  GBytes *body;

  if (req->content_type && !g_str_has_prefix (req->content_type, "application/json"))
    {
      *reply = reply_error (415, "unsupported_media_type",
                            _ ("Send the body as application/json."));
      return NULL;
    }
  if (req->body == NULL || g_bytes_get_size (req->body) == 0)
    {
      *reply = reply_error (400, "bad_request", _ ("The request has no body."));
      return NULL;
    }
  if (req->content_encoding == NULL || g_ascii_strcasecmp (req->content_encoding, "identity") == 0)
    body = g_bytes_ref (req->body);
  else if (g_ascii_strcasecmp (req->content_encoding, "gzip") == 0)
    body = pcmbn_wire_gunzip (req->body, limit, &error);
  else
    {
      *reply = reply_error (415, "unsupported_media_type",
                            _ ("The body’s Content-Encoding must be gzip or none."));
      return NULL;
    }
  if (body == NULL)
    {
      *reply = reply_gerror (error);
      return NULL;
    }
  if (g_bytes_get_size (body) > limit)
    {
      g_bytes_unref (body);
      *reply = reply_error (413, "too_large", _ ("The body is too large."));
      return NULL;
    }
  return body;
}

static void
touch_sync (PcmbnStore *store, const char *org_unit, const char *device_id)
{
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;

  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (
      store,
      "INSERT INTO commune_sync (org_unit, last_sync) VALUES (?1, ?2)"
      " ON CONFLICT (org_unit) DO UPDATE SET last_sync ="
      " excluded.last_sync",
      NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, org_unit, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
  stmt = pcmbn_store_prepare_cached (store, "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
                                     NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
  pcmbn_store_unlock (store);
}

static JsonObject *
parse_object_text (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* ---- health, enrol ------------------------------------------------------ */

static PcmbnDistrictReply *
api_health (PcmbnStore *store)
{
  g_autofree char *code = pcmbn_district_get_code (store);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "status", "ok");
  json_object_set_int_member (o, "protocol", PCMBN_WIRE_PROTOCOL);
  json_object_set_string_member (o, "org_unit", code);
  json_node_take_object (node, o);
  return reply_json (200, node);
}

static PcmbnDistrictReply *
api_enroll (PcmbnStore *store, PcmbnDistrictRequest *req)
{
  PcmbnDistrictReply *reply = NULL;
  g_autoptr (GBytes) body = json_body (req, 64 * 1024, &reply);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *normal = NULL, *hash = NULL, *commune = NULL, *now = NULL, *token = NULL;
  g_autofree char *token_hash = NULL, *device_id = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) answer = NULL;
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt;
  JsonObject *o;
  const char *code, *name, *wanted;
  gint64 expires = 0;
  gboolean used = TRUE, found = FALSE;
  char hex[65];
  char *unit_code;

  if (body == NULL)
    return reply;
  root = pcmbn_wire_parse_json (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (root == NULL)
    return reply_gerror (error);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return reply_error (400, "bad_request",
                        _ ("The body must be {\"code\": …, \"device_name\": …}."));
  o = json_node_get_object (root);
  code = pcmbn_wire_get_string (o, "code");
  name = pcmbn_wire_get_string (o, "device_name");
  wanted = pcmbn_wire_get_string (o, "org_unit");
  if (code == NULL || *code == '\0' || strlen (code) > 64)
    return reply_error (400, "bad_request", _ ("code: give the enrolment code as a string."));
  if (name == NULL || *name == '\0' || g_utf8_strlen (name, -1) > 200)
    return reply_error (400, "bad_request",
                        _ ("device_name: give a name for this device, at most 200 characters."));

  normal = pcmbn_district_normalize_code (code);
  hash = pcmbn_district_hash_secret (normal);
  if (!pcmbn_store_begin (store, &error))
    return reply_gerror (error);
  sqlite3_prepare_v2 (db,
                      "SELECT org_unit, expires_at, used_at FROM enrol_codes WHERE code_hash = ?",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      commune = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      expires = sqlite3_column_int64 (stmt, 1);
      used = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
    }
  sqlite3_finalize (stmt);
  if (!found || used || expires < g_get_real_time () / G_USEC_PER_SEC)
    {
      pcmbn_store_rollback (store);
      return reply_error (401, "bad_code",
                          _ ("The enrolment code is wrong, was used already, or has expired (codes "
                             "last 7 days). Ask the district office for a new code."));
    }
  if (wanted && !g_str_equal (wanted, commune))
    {
      pcmbn_store_rollback (store);
      return reply_error (403, "wrong_org_unit",
                          _ ("This code is for another commune than the logbook’s. The code was "
                             "not used; ask the district office for a code for your commune."));
    }
  if (!pcmbn_wire_random_token (hex, 32))
    {
      pcmbn_store_rollback (store);
      return reply_error (500, "internal", _ ("No random numbers available."));
    }
  token = g_strconcat ("d_", hex, NULL);
  token_hash = pcmbn_district_hash_secret (token);
  device_id = g_uuid_string_random ();
  now = pcmbn_now_utc ();
  sqlite3_prepare_v2 (db,
                      "INSERT INTO devices (id, name, org_unit, token_hash, created_at) VALUES"
                      " (?, ?, ?, ?, ?)",
                      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, commune, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, token_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, now, -1, SQLITE_TRANSIENT);
  found = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (found)
    {
      sqlite3_prepare_v2 (
          db, "UPDATE enrol_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1", -1, &stmt,
          NULL);
      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, device_id, -1, SQLITE_TRANSIENT);
      found = sqlite3_step (stmt) == SQLITE_DONE;
      sqlite3_finalize (stmt);
    }
  if (!found)
    {
      pcmbn_store_set_sqlite_error (&error, db, _ ("saving the device"));
      pcmbn_store_rollback (store);
      return reply_gerror (error);
    }
  {
    g_autofree char *actor = g_strconcat ("device:", device_id, NULL);
    g_autofree char *detail = g_strdup_printf ("%s (%s) from %s", name, commune, req->remote);
    pcmbn_district_audit (store, actor, "enroll", NULL, 0, detail);
  }
  if (!pcmbn_store_commit (store, &error))
    return reply_gerror (error);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device_id");
  json_builder_add_string_value (b, device_id);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_set_member_name (b, "org_unit");
  json_builder_add_string_value (b, commune);
  json_builder_set_member_name (b, "reference");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "org_units");
  json_builder_begin_array (b);
  /* The commune and the units above it, up to the top. */
  unit_code = g_strdup (commune);
  for (int depth = 0; unit_code && depth < 16; depth++)
    {
      g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (store, unit_code);
      g_free (unit_code);
      unit_code = NULL;
      if (unit == NULL)
        break;
      json_builder_add_value (b, pcmbn_district_unit_json (unit));
      if (unit->parent_code && *unit->parent_code)
        unit_code = g_strdup (unit->parent_code);
    }
  g_free (unit_code);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  answer = json_builder_get_root (b);
  return reply_json (200, answer);
}

/* ---- push ----------------------------------------------------------------- */

/* A push runs the same few statements for each of up to 1,000 records: they
 * come from the connection's statement cache (pcmbn_store_prepare_cached()),
 * each record's data is serialized once, and the answer is written straight
 * into one buffer. Every cached statement is reset right after use, so that
 * none keeps a read snapshot open between requests. */

/* The workers' writes (pushes, and the "last seen" of pulls) take turns
 * here rather than in SQLite's busy handler, which sleeps up to 100 ms
 * between tries: with hundreds of communes syncing at once, that sleep and
 * not the work set the pace. Other processes (the admin verbs) still meet
 * the busy handler. */
static GMutex write_turn;

typedef struct
{
  PcmbnStore *store;
  const char *org_unit;
  GHashTable *pending; /* "kind uuid" → JsonObject accepted earlier in this push */
} Resolve;

static JsonObject *
resolve_ref (const char *uuid, const char *kind, gpointer user_data)
{
  Resolve *r = user_data;
  g_autofree char *key = g_strconcat (kind, " ", uuid, NULL);
  JsonObject *pending = g_hash_table_lookup (r->pending, key);
  sqlite3_stmt *stmt;
  JsonObject *found = NULL;

  if (pending)
    return json_object_ref (pending);
  stmt = pcmbn_store_prepare_cached (r->store,
                                     "SELECT data FROM records WHERE uuid = ? AND kind = ? AND"
                                     " org_unit = ? AND deleted = 0",
                                     NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, r->org_unit, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    found = parse_object_text ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return found;
}

static void
result_rejected (
    GString *out, const char *uuid, const char *code, const char *field, const char *message)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append (out, ",\"status\":\"rejected\",\"error\":{\"code\":");
  pcmbn_wire_append_string (out, code);
  g_string_append (out, ",\"message\":");
  pcmbn_wire_append_string (out, message);
  g_string_append (out, ",\"field\":");
  pcmbn_wire_append_string (out, field);
  g_string_append (out, "}}");
}

static void
result_accepted (GString *out, const char *uuid, gint64 version)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append_printf (out, ",\"status\":\"accepted\",\"version\":%" G_GINT64_FORMAT "}",
                          version);
}

/* A RECORD with its "version", as the server holds it; @data_text is the
 * canonical JSON the server wrote itself, so it goes out as it is. */
static void
append_record (GString *out,
               const char *uuid,
               const char *kind,
               const char *org_unit,
               gint64 version,
               gboolean deleted,
               const char *modified_at,
               const char *data_text)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append (out, ",\"kind\":");
  pcmbn_wire_append_string (out, kind);
  g_string_append (out, ",\"org_unit\":");
  pcmbn_wire_append_string (out, org_unit);
  g_string_append_printf (
      out, ",\"base_version\":%" G_GINT64_FORMAT ",\"deleted\":%s,\"modified_at\":", version,
      deleted ? "true" : "false");
  pcmbn_wire_append_string (out, modified_at);
  g_string_append (out, ",\"data\":");
  g_string_append (out, data_text && *data_text ? data_text : "{}");
  g_string_append_printf (out, ",\"version\":%" G_GINT64_FORMAT "}", version);
}

typedef struct
{
  gboolean exists;
  char *kind;
  char *org_unit;
  char *data_text;
  gint64 version;
  gboolean deleted;
  char *modified_at;
} ServerRow;

static void
server_row_clear (ServerRow *row)
{
  g_free (row->kind);
  g_free (row->org_unit);
  g_free (row->data_text);
  g_free (row->modified_at);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServerRow, server_row_clear)

static gboolean
load_row (PcmbnStore *store, const char *uuid, ServerRow *row, GError **error)
{
  sqlite3_stmt *stmt = pcmbn_store_prepare_cached (store,
                                                   "SELECT kind, org_unit, data, version, deleted,"
                                                   " modified_at FROM records WHERE uuid = ?",
                                                   error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      row->exists = TRUE;
      row->kind = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      row->org_unit = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      row->data_text = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
      row->version = sqlite3_column_int64 (stmt, 3);
      row->deleted = sqlite3_column_int (stmt, 4);
      row->modified_at = g_strdup ((const char *)sqlite3_column_text (stmt, 5));
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static gint64
version_of_edit (PcmbnStore *store, const char *uuid, const char *hash)
{
  sqlite3_stmt *stmt = pcmbn_store_prepare_cached (
      store,
      "SELECT version FROM record_versions WHERE uuid = ?"
      " AND edit_hash = ? ORDER BY version DESC LIMIT 1",
      NULL);
  gint64 version = 0;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return version;
}

static gboolean
step_cached (PcmbnStore *store, sqlite3_stmt *stmt)
{
  gboolean ok = stmt != NULL && sqlite3_step (stmt) == SQLITE_DONE;

  if (stmt)
    sqlite3_reset (stmt);
  return ok;
}

static gboolean
record_change (PcmbnStore *store,
               const char *uuid,
               const char *org_unit,
               gint64 version,
               const char *hash,
               const char *device_id,
               const char *now,
               GError **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = pcmbn_store_prepare_cached (store,
                                     "INSERT OR REPLACE INTO record_versions (uuid, version,"
                                     " edit_hash, device_id, at) VALUES (?, ?, ?, ?, ?)",
                                     error);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, version);
      sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, device_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, now, -1, SQLITE_TRANSIENT);
    }
  ok = step_cached (store, stmt);
  if (ok)
    {
      /* One row per record in the change sequence, at its latest change. */
      stmt = pcmbn_store_prepare_cached (store, "DELETE FROM changes WHERE record_uuid = ?", error);
      if (stmt)
        sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
      ok = step_cached (store, stmt);
    }
  if (ok)
    {
      stmt = pcmbn_store_prepare_cached (
          store, "INSERT INTO changes (org_unit, record_uuid) VALUES (?, ?)", error);
      if (stmt)
        {
          sqlite3_bind_text (stmt, 1, org_unit, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (stmt, 2, uuid, -1, SQLITE_TRANSIENT);
        }
      ok = step_cached (store, stmt);
    }
  if (!ok && (error == NULL || *error == NULL))
    pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), _ ("saving the record"));
  return ok;
}

typedef struct
{
  PcmbnStore *store;
  Device *device;
  gboolean keep_sensitive;
  Resolve *resolve;
  const char *now;
} Push;

/* One record of a push: appends its RESULT to @out; FALSE with @error set
 * when the database failed (the whole push is then rolled back). */
static gboolean
push_one (Push *p, PcmbnWireRecord *r, ServerRow *row, GString *out, GError **error)
{
  g_autoptr (JsonObject) input = NULL;
  g_autoptr (JsonObject) data = NULL;
  g_autoptr (GPtrArray) errors = NULL;
  g_autofree char *hash = NULL, *data_text = NULL;
  gint64 version, known;

  if (r->error_code)
    {
      result_rejected (out, r->uuid, r->error_code, r->error_field, r->error_message);
      return TRUE;
    }
  if (row->exists && g_strcmp0 (row->kind, r->kind->name) != 0)
    {
      g_autofree char *message = g_strdup_printf (_ ("the record %s is a %s record on the server"),
                                                  r->uuid, row->kind);
      result_rejected (out, r->uuid, "kind_mismatch", "kind", message);
      return TRUE;
    }
  /* A tombstone keeps the content the device deleted (its last edit
   * included), normalized but not validated: so both sides hold the same
   * row, and a record that was wrong can still be deleted. */
  input = p->keep_sensitive ? json_object_ref (r->data)
                            : pcmbn_wire_strip_sensitive (r->kind, r->data, NULL);
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  data = pcmbn_schema_normalize (r->kind, input, NULL, errors);
  if (!r->deleted)
    pcmbn_schema_validate (r->kind, data, resolve_ref, p->resolve, errors);
  if (errors->len > 0)
    {
      PcmbnFieldError *first = errors->pdata[0];
      g_autofree char *all = pcmbn_field_errors_to_string (errors);
      result_rejected (out, r->uuid, "invalid", first->field, all);
      return TRUE;
    }
  data_text = pcmbn_wire_object_to_string (data);
  hash = pcmbn_wire_edit_hash_text (r->kind, r->base_version, r->deleted, data_text);
  known = version_of_edit (p->store, r->uuid, hash);
  if (known > 0)
    {
      result_accepted (out, r->uuid, known); /* a retry: already here */
      return TRUE;
    }
  if (row->exists && row->deleted == r->deleted && g_strcmp0 (row->data_text, data_text) == 0)
    {
      result_accepted (out, r->uuid, row->version); /* the server has exactly this */
      return TRUE;
    }
  /* A base above the server's version: the device saw versions a restored
   * backup lacks; its edit is the newest there is. */
  if (row->exists && r->base_version < row->version)
    {
      g_string_append (out, "{\"uuid\":");
      pcmbn_wire_append_string (out, r->uuid);
      g_string_append (out, ",\"status\":\"conflict\",\"server\":");
      append_record (out, r->uuid, row->kind, row->org_unit, row->version, row->deleted,
                     row->modified_at, row->data_text);
      g_string_append_c (out, '}');
      return TRUE;
    }
  version = MAX (row->exists ? row->version : 0, r->base_version) + 1;
  if (!pcmbn_store_write_row (p->store, r->kind, r->uuid, p->device->org_unit, data, version,
                              r->deleted, r->modified_at, error)
      || !record_change (p->store, r->uuid, p->device->org_unit, version, hash, p->device->id,
                         p->now, error))
    return FALSE;
  if (!pcmbn_district_audit (p->store, p->device->actor,
                             r->deleted    ? "delete"
                             : row->exists ? "update"
                                           : "create",
                             r->uuid, version, NULL))
    {
      pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (p->store), _ ("saving the record"));
      return FALSE;
    }
  if (!r->deleted)
    g_hash_table_insert (p->resolve->pending, g_strconcat (r->kind->name, " ", r->uuid, NULL),
                         g_steal_pointer (&data));
  result_accepted (out, r->uuid, version);
  return TRUE;
}

static PcmbnDistrictReply *
api_push (PcmbnStore *store, PcmbnDistrictRequest *req)
{
  g_auto (Device) device = { 0 };
  PcmbnDistrictReply *reply = auth_device (store, req, &device);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) pending = NULL;
  g_autoptr (GString) out = NULL;
  g_autofree char *keep = NULL, *now = NULL;
  g_autoptr (GMutexLocker) turn = NULL;
  Resolve resolve;
  Push p;

  if (reply)
    return reply;
  body = json_body (req, PCMBN_WIRE_MAX_BODY, &reply);
  if (body == NULL)
    return reply;
  records = pcmbn_wire_parse_push (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (records == NULL)
    return reply_gerror (error);
  for (guint i = 0; i < records->len; i++)
    {
      PcmbnWireRecord *r = records->pdata[i];
      if (r->org_unit && !g_str_equal (r->org_unit, device.org_unit))
        {
          g_autofree char *message = g_strdup_printf (
              _ ("records[%u] belongs to org unit %s but this device belongs to %s; nothing was "
                 "stored"),
              i, r->org_unit, device.org_unit);
          return reply_error (403, "forbidden", message);
        }
    }
  keep = pcmbn_store_get_meta (store, PCMBN_DISTRICT_META_CASE_NOTES);
  now = pcmbn_now_utc ();
  pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)json_object_unref);
  resolve.store = store;
  resolve.org_unit = device.org_unit;
  resolve.pending = pending;
  p.store = store;
  p.device = &device;
  p.keep_sensitive = g_strcmp0 (keep, "yes") == 0;
  p.resolve = &resolve;
  p.now = now;
  out = g_string_sized_new (32 + 72 * (gsize)records->len);
  g_string_append (out, "{\"results\":[");

  turn = g_mutex_locker_new (&write_turn);
  if (!pcmbn_store_begin (store, &error))
    return reply_gerror (error);
  for (guint i = 0; i < records->len; i++)
    {
      PcmbnWireRecord *r = records->pdata[i];
      g_auto (ServerRow) row = { 0 };

      if (r->error_code == NULL)
        {
          if (!load_row (store, r->uuid, &row, &error))
            {
              pcmbn_store_rollback (store);
              return reply_gerror (error);
            }
          /* A uuid the server holds for another commune: refused whole. */
          if (row.exists && g_strcmp0 (row.org_unit, device.org_unit) != 0)
            {
              g_autofree char *message = g_strdup_printf (
                  _ ("records[%u] (%s) is a record of another org unit; nothing was stored"), i,
                  r->uuid);
              pcmbn_store_rollback (store);
              return reply_error (403, "forbidden", message);
            }
        }
      if (i > 0)
        g_string_append_c (out, ',');
      if (!push_one (&p, r, &row, out, &error))
        {
          pcmbn_store_rollback (store);
          return reply_gerror (error);
        }
    }
  g_string_append (out, "]}");
  touch_sync (store, device.org_unit, device.id);
  if (!pcmbn_store_commit (store, &error))
    return reply_gerror (error);
  return reply_take (200, "application/json", g_string_free (g_steal_pointer (&out), FALSE));
}

/* ---- pull ----------------------------------------------------------------- */

static gboolean
parse_count (const char *text, gint64 max, gint64 *out)
{
  gint64 v = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 18)
    return FALSE;
  for (const char *p = text; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v = v * 10 + (*p - '0');
    }
  if (v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

static PcmbnDistrictReply *
api_pull (PcmbnStore *store, PcmbnDistrictRequest *req)
{
  g_auto (Device) device = { 0 };
  PcmbnDistrictReply *reply = auth_device (store, req, &device);
  g_autoptr (GHashTable) params = NULL;
  sqlite3 *db = pcmbn_store_get_db (store);
  sqlite3_stmt *stmt, *rec_stmt, *unit_stmt;
  GString *out;
  gint64 since, limit = 500, next, n = 0;
  gboolean more = FALSE;
  const char *text;

  if (reply)
    return reply;
  params = req->query ? g_uri_parse_params (req->query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
  if (params == NULL && req->query != NULL)
    return reply_error (400, "bad_request", _ ("The query string cannot be read."));
  text = params ? g_hash_table_lookup (params, "since") : NULL;
  if (!parse_count (text, G_MAXINT64 / 2, &since))
    return reply_error (400, "bad_since",
                        _ ("since: give the “next” of the previous pull, a whole number ≥ 0 (0 for "
                           "everything)."));
  text = params ? g_hash_table_lookup (params, "limit") : NULL;
  if (text && (!parse_count (text, 1000, &limit) || limit < 1))
    return reply_error (400, "bad_limit", _ ("limit: give a whole number from 1 to 1000."));
  next = since;

  out = g_string_new ("{\"changes\":[");
  pcmbn_store_lock (store);
  /* A read transaction: the page is one consistent snapshot. */
  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT seq, record_uuid, unit_code FROM changes WHERE"
                                     " org_unit = ? AND seq > ? ORDER BY seq LIMIT ?",
                                     NULL);
  rec_stmt = pcmbn_store_prepare_cached (
      store,
      "SELECT kind, org_unit, data, version, deleted, modified_at"
      " FROM records WHERE uuid = ?",
      NULL);
  unit_stmt = pcmbn_store_prepare_cached (store,
                                          "SELECT code, name, level, parent_code, key_area,"
                                          " population_14_60 FROM org_units WHERE code = ?",
                                          NULL);
  if (stmt == NULL || rec_stmt == NULL || unit_stmt == NULL)
    {
      sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
      pcmbn_store_unlock (store);
      g_string_free (out, TRUE);
      return reply_error (500, "internal", sqlite3_errmsg (db));
    }
  sqlite3_bind_text (stmt, 1, device.org_unit, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, since);
  sqlite3_bind_int64 (stmt, 3, limit + 1);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);
      sqlite3_stmt *s;
      if (n == limit)
        {
          more = TRUE;
          break;
        }
      next = seq;
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        {
          s = rec_stmt;
          sqlite3_reset (s);
          sqlite3_bind_text (s, 1, (const char *)sqlite3_column_text (stmt, 1), -1,
                             SQLITE_TRANSIENT);
          if (sqlite3_step (s) != SQLITE_ROW)
            continue;
          g_string_append_printf (
              out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"record\":", n++ ? "," : "", seq);
          append_record (out, (const char *)sqlite3_column_text (stmt, 1),
                         (const char *)sqlite3_column_text (s, 0),
                         (const char *)sqlite3_column_text (s, 1), sqlite3_column_int64 (s, 3),
                         sqlite3_column_int (s, 4), (const char *)sqlite3_column_text (s, 5),
                         (const char *)sqlite3_column_text (s, 2));
          g_string_append_c (out, '}');
        }
      else
        {
          s = unit_stmt;
          sqlite3_reset (s);
          sqlite3_bind_text (s, 1, (const char *)sqlite3_column_text (stmt, 2), -1,
                             SQLITE_TRANSIENT);
          if (sqlite3_step (s) != SQLITE_ROW)
            continue;
          g_string_append_printf (
              out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"org_unit\":{\"code\":", n++ ? "," : "", seq);
          pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 0));
          g_string_append (out, ",\"name\":");
          pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 1));
          g_string_append (out, ",\"level\":");
          pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 2));
          g_string_append (out, ",\"parent\":");
          pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (s, 3));
          g_string_append_printf (out, ",\"key_area\":%s,\"population_14_60\":",
                                  sqlite3_column_int (s, 4) ? "true" : "false");
          if (sqlite3_column_type (s, 5) == SQLITE_NULL)
            g_string_append (out, "null");
          else
            g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64)sqlite3_column_int64 (s, 5));
          g_string_append (out, "}}");
        }
    }
  sqlite3_reset (stmt);
  sqlite3_reset (rec_stmt);
  sqlite3_reset (unit_stmt);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  pcmbn_store_unlock (store);
  g_string_append_printf (out, "],\"next\":%" G_GINT64_FORMAT ",\"more\":%s}", next,
                          more ? "true" : "false");

  {
    g_autoptr (GMutexLocker) turn = g_mutex_locker_new (&write_turn);
    if (pcmbn_store_begin (store, NULL))
      {
        touch_sync (store, device.org_unit, device.id);
        pcmbn_store_commit (store, NULL);
      }
  }
  return reply_take (200, "application/json", g_string_free (out, FALSE));
}

/* ---- blobs ---------------------------------------------------------------- */

static gboolean
is_sha256 (const char *text)
{
  if (strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static PcmbnDistrictReply *
api_blob (PcmbnStore *store, PcmbnDistrictRequest *req, const char *sha)
{
  g_auto (Device) device = { 0 };
  PcmbnDistrictReply *reply = auth_device (store, req, &device);
  sqlite3 *db = pcmbn_store_get_db (store);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actual = NULL, *now = NULL;
  sqlite3_stmt *stmt;
  gboolean exists;
  gsize len;
  const void *data;

  if (reply)
    return reply;
  if (!is_sha256 (sha))
    return reply_error (400, "bad_hash",
                        _ ("The address must end with the blob’s SHA-256 in 64 lowercase hex "
                           "digits."));
  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (db, "SELECT 1 FROM blobs WHERE sha256 = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, sha, -1, SQLITE_TRANSIENT);
  exists = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  if (g_str_equal (req->method, "HEAD"))
    return exists ? reply_take (200, "application/json", g_strdup (""))
                  : reply_take (404, "application/json", g_strdup (""));

  if (req->content_encoding && g_ascii_strcasecmp (req->content_encoding, "gzip") == 0)
    body = req->body ? pcmbn_wire_gunzip (req->body, PCMBN_WIRE_MAX_BLOB, &error) : NULL;
  else if (req->content_encoding && g_ascii_strcasecmp (req->content_encoding, "identity") != 0)
    return reply_error (415, "unsupported_media_type",
                        _ ("The body’s Content-Encoding must be gzip or none."));
  else
    body = req->body ? g_bytes_ref (req->body) : g_bytes_new (NULL, 0);
  if (body == NULL)
    return error ? reply_gerror (error)
                 : reply_error (400, "bad_request", _ ("The request has no body."));
  data = g_bytes_get_data (body, &len);
  if (len > PCMBN_WIRE_MAX_BLOB)
    return reply_error (413, "too_large", _ ("An attachment may be at most 20 MiB."));
  actual = pcmbn_sha256_hex (data, len);
  if (!g_str_equal (actual, sha))
    return reply_error (422, "hash_mismatch",
                        _ ("The body’s SHA-256 differs from the address: the upload was damaged. "
                           "Send it again."));
  if (exists)
    return reply_take (200, "application/json", g_strdup ("{\"status\":\"exists\"}"));
  now = pcmbn_now_utc ();
  pcmbn_store_lock (store);
  sqlite3_prepare_v2 (
      db,
      "INSERT OR IGNORE INTO blobs (sha256, size, data, created_at, device_id) VALUES"
      " (?, ?, ?, ?, ?)",
      -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, sha, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, len);
  sqlite3_bind_blob (stmt, 3, data ? data : "", len, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, device.id, -1, SQLITE_TRANSIENT);
  exists = sqlite3_step (stmt) == SQLITE_DONE;
  if (!exists)
    pcmbn_store_set_sqlite_error (&error, db, _ ("saving the attachment"));
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (store);
  if (error)
    return reply_gerror (error);
  pcmbn_district_audit (store, device.actor, "blob", NULL, 0, sha);
  return reply_take (201, "application/json", g_strdup ("{\"status\":\"stored\"}"));
}

/* ---- report --------------------------------------------------------------- */

static PcmbnDistrictReply *
api_report (PcmbnStore *store, PcmbnDistrictRequest *req)
{
  g_autofree char *staff = NULL;
  PcmbnDistrictReply *reply = auth_staff (store, req, &staff);

  if (reply)
    return reply;
  /* The same code as `pcmbn-district report` and the dashboard's downloads;
   * `&format=csv|pdf|xlsx` extends the contract. */
  return pcmbn_district_report_reply (store, req->query, FALSE);
}

/* ---- routing -------------------------------------------------------------- */

gboolean
pcmbn_district_api_is_enroll (const char *path)
{
  return g_strcmp0 (path, "/api/v1/enroll") == 0;
}

/**
 * pcmbn_district_api_body_limit:
 * @path: a request's path
 *
 * Returns: the most bytes a request to @path may carry on the wire
 */
gsize
pcmbn_district_api_body_limit (const char *path)
{
  if (g_strcmp0 (path, "/api/v1/sync/push") == 0)
    return PCMBN_WIRE_MAX_BODY;
  if (g_str_has_prefix (path, "/api/v1/blobs/"))
    return PCMBN_WIRE_MAX_BLOB;
  return 64 * 1024;
}

static PcmbnDistrictReply *
method_not_allowed (const char *allow)
{
  PcmbnDistrictReply *reply = reply_error (405, "method_not_allowed",
                                           _ ("This address does not take that method."));
  reply->allow = g_strdup (allow);
  return reply;
}

/**
 * pcmbn_district_api_handle:
 * @store: this thread's connection to the server database
 * @request: the request
 *
 * Returns: (transfer full): the answer
 */
PcmbnDistrictReply *
pcmbn_district_api_handle (PcmbnStore *store, PcmbnDistrictRequest *req)
{
  const char *path = req->path;
  const char *m = req->method;
  gboolean get = g_str_equal (m, "GET") || g_str_equal (m, "HEAD");

  if (pcmbn_district_dashboard_owns (path))
    return pcmbn_district_dashboard_handle (store, req);
  if (g_str_equal (path, "/api/v1/health"))
    return get ? api_health (store) : method_not_allowed ("GET, HEAD");
  if (g_str_equal (path, "/api/v1/enroll"))
    return g_str_equal (m, "POST") ? api_enroll (store, req) : method_not_allowed ("POST");
  if (g_str_equal (path, "/api/v1/sync/push"))
    return g_str_equal (m, "POST") ? api_push (store, req) : method_not_allowed ("POST");
  if (g_str_equal (path, "/api/v1/sync/pull"))
    return g_str_equal (m, "GET") ? api_pull (store, req) : method_not_allowed ("GET");
  if (g_str_has_prefix (path, "/api/v1/blobs/"))
    return g_str_equal (m, "PUT") || g_str_equal (m, "HEAD")
               ? api_blob (store, req, path + strlen ("/api/v1/blobs/"))
               : method_not_allowed ("PUT, HEAD");
  if (g_str_equal (path, "/api/v1/report"))
    return g_str_equal (m, "GET") ? api_report (store, req) : method_not_allowed ("GET");
  return reply_error (404, "not_found", _ ("There is nothing at this address."));
}
