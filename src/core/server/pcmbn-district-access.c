/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-util.h"
#include "server/pcmbn-district-store-private.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-wire.h"

/* Who comes in and what they did, on PcmbnDistrictStore: the one token
 * look-up, dashboard sessions, refused attempts and the audit. No token,
 * session id or enrolment code is ever stored, only their SHA-256. */

#define SESSION_LIMIT 1000

/**
 * pcmbn_district_store_authenticate_hash:
 * @self: a server database
 * @token_hash: pcmbn_district_hash_secret() of a token
 * @error: return location for an error of the database
 *
 * The one token look-up of the server. It reads the database at every call
 * and remembers nothing, so that a revocation made by the admin verb in
 * another process takes effect at once. A device token is found whether or
 * not it was revoked (@revoked tells); a revoked staff token is unknown.
 *
 * Returns: (transfer full) (nullable): who the token belongs to, of kind
 *   %PCMBN_DISTRICT_TOKEN_UNKNOWN when nobody; %NULL only when the database
 *   failed
 */
PcmbnDistrictPrincipal *
pcmbn_district_store_authenticate_hash (PcmbnDistrictStore *self,
                                        const char *token_hash,
                                        GError **error)
{
  g_autoptr (PcmbnDistrictPrincipal) who = g_new0 (PcmbnDistrictPrincipal, 1);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (pcmbn_district_store_get_store (self));
  stmt = pcmbn_district_store_prepare (
      self, "SELECT id, org_unit, revoked_at FROM devices WHERE token_hash = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      who->kind = PCMBN_DISTRICT_TOKEN_DEVICE;
      who->id = pcmbn_district_column_dup (stmt, 0);
      who->org_unit = pcmbn_district_column_dup (stmt, 1);
      who->revoked = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
      who->actor = g_strconcat ("device:", who->id, NULL);
    }
  sqlite3_reset (stmt);
  if (who->kind == PCMBN_DISTRICT_TOKEN_UNKNOWN)
    {
      stmt = pcmbn_district_store_prepare (
          self, "SELECT name FROM staff_tokens WHERE token_hash = ? AND revoked_at IS NULL", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          who->kind = PCMBN_DISTRICT_TOKEN_STAFF;
          who->id = pcmbn_district_column_dup (stmt, 0);
          who->actor = g_strconcat ("staff:", who->id, NULL);
        }
      sqlite3_reset (stmt);
    }
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
  return g_steal_pointer (&who);

fail:
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
  return NULL;
}

/**
 * pcmbn_district_store_authenticate:
 * @self: a server database
 * @token: a device or staff token as sent
 * @error: return location for an error of the database
 *
 * Returns: (transfer full) (nullable): as
 *   pcmbn_district_store_authenticate_hash()
 */
PcmbnDistrictPrincipal *
pcmbn_district_store_authenticate (PcmbnDistrictStore *self, const char *token, GError **error)
{
  g_autofree char *hash = pcmbn_district_hash_secret (token ? token : "");

  return pcmbn_district_store_authenticate_hash (self, hash, error);
}

/* ---- dashboard sessions ------------------------------------------------------ */

#define SESSION_LIMIT 1000

/**
 * pcmbn_district_store_new_session:
 * @self: a server database
 * @token_hash: the staff token's hash, as pcmbn_district_hash_secret()
 * @seconds: how long the session lasts
 * @error: return location for an error
 *
 * Opens a dashboard session. Only the SHA-256 of its id is kept, with the
 * token's hash (never the token): a copy of the file signs nobody in, and
 * a revoked token ends its sessions at their next request. At most 1,000
 * sessions are kept, the oldest going first.
 *
 * Returns: (transfer full) (nullable): the session id, for the cookie
 */
char *
pcmbn_district_store_new_session (PcmbnDistrictStore *self,
                                  const char *token_hash,
                                  gint64 seconds,
                                  GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *id_hash = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;
  char hex[65];

  if (!pcmbn_wire_random_token (hex, 32))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("No random numbers available."));
      return NULL;
    }
  id_hash = pcmbn_district_hash_secret (hex);
  if (!pcmbn_store_begin (pcmbn_district_store_get_store (self), error))
    return NULL;
  stmt = pcmbn_district_store_prepare (
      self,
      "DELETE FROM dashboard_sessions WHERE expires_at <= ?1 OR id_hash IN (SELECT"
      " id_hash FROM dashboard_sessions ORDER BY expires_at DESC LIMIT -1 OFFSET ?2)",
      error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, now);
      sqlite3_bind_int64 (stmt, 2, SESSION_LIMIT - 1);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the session"), error);
    }
  if (ok)
    {
      stmt = pcmbn_district_store_prepare (
          self,
          "INSERT INTO dashboard_sessions (id_hash, token_hash, expires_at) VALUES"
          " (?, ?, ?)",
          error);
      ok = stmt != NULL;
    }
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, id_hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, token_hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, now + seconds);
      ok = pcmbn_district_store_step_done (self, stmt, _ ("saving the session"), error);
    }
  if (!ok)
    {
      pcmbn_store_rollback (pcmbn_district_store_get_store (self));
      return NULL;
    }
  if (!pcmbn_store_commit (pcmbn_district_store_get_store (self), error))
    return NULL;
  return g_strdup (hex);
}

/**
 * pcmbn_district_store_session_staff:
 * @self: a server database
 * @session_id: a session id from a cookie
 * @error: return location for an error of the database
 *
 * Returns: (transfer full) (nullable): the staff member of a live session,
 *   of kind %PCMBN_DISTRICT_TOKEN_UNKNOWN when the session is unknown,
 *   expired or its token revoked since (it is ended then); %NULL only when
 *   the database failed
 */
PcmbnDistrictPrincipal *
pcmbn_district_store_session_staff (PcmbnDistrictStore *self,
                                    const char *session_id,
                                    GError **error)
{
  g_autofree char *id_hash = pcmbn_district_hash_secret (session_id);
  g_autofree char *token_hash = NULL;
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;
  sqlite3_stmt *stmt;

  pcmbn_store_lock (pcmbn_district_store_get_store (self));
  stmt = pcmbn_district_store_prepare (
      self,
      "SELECT token_hash FROM dashboard_sessions WHERE id_hash = ? AND"
      " expires_at > ?",
      error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (pcmbn_district_store_get_store (self));
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, id_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    token_hash = pcmbn_district_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
  if (token_hash == NULL)
    return g_new0 (PcmbnDistrictPrincipal, 1);
  who = pcmbn_district_store_authenticate_hash (self, token_hash, error);
  if (who == NULL)
    return NULL;
  if (who->kind != PCMBN_DISTRICT_TOKEN_STAFF)
    {
      pcmbn_district_store_end_session (self, session_id);
      pcmbn_district_principal_free (who);
      who = g_new0 (PcmbnDistrictPrincipal, 1);
    }
  return g_steal_pointer (&who);
}

/**
 * pcmbn_district_store_end_session:
 * @self: a server database
 * @session_id: a session id from a cookie
 *
 * Ends the session, if there is one.
 */
void
pcmbn_district_store_end_session (PcmbnDistrictStore *self, const char *session_id)
{
  g_autofree char *id_hash = pcmbn_district_hash_secret (session_id);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (pcmbn_district_store_get_store (self));
  stmt = pcmbn_district_store_prepare (self, "DELETE FROM dashboard_sessions WHERE id_hash = ?",
                                       NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, id_hash, -1, SQLITE_TRANSIENT);
      pcmbn_district_store_step_done (self, stmt, "", NULL);
    }
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
}

/**
 * pcmbn_district_store_count_refused:
 * @self: a server database
 * @action: an audited action, such as "sign-in"
 * @object: (nullable): its object, such as "dashboard"; any when %NULL
 * @address: where the attempts came from
 * @seconds: how far back to count
 *
 * Counts the refused attempts from @address in the last @seconds, from the
 * audit: a throttle that survives a restart.
 *
 * Returns: their number
 */
guint
pcmbn_district_store_count_refused (PcmbnDistrictStore *self,
                                    const char *action,
                                    const char *object,
                                    const char *address,
                                    gint64 seconds)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) start = g_date_time_add_seconds (now, -(gdouble)seconds);
  g_autofree char *since = g_date_time_format (start, "%Y-%m-%dT%H:%M:%SZ");
  sqlite3_stmt *stmt;
  guint n = 0;

  if (address == NULL)
    return 0;
  pcmbn_store_lock (pcmbn_district_store_get_store (self));
  stmt = pcmbn_district_store_prepare (
      self,
      "SELECT count(*) FROM audit WHERE address = ?1 AND at >= ?2 AND ok = 0 AND"
      " action = ?3 AND (?4 IS NULL OR object = ?4)",
      NULL);
  if (stmt)
    {
      sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, since, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, action, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, object, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        n = sqlite3_column_int (stmt, 0);
      sqlite3_reset (stmt);
    }
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
  return n;
}

/**
 * pcmbn_district_store_audit_record:
 * @self: a server database
 * @actor: "admin", "device:ID", "staff:NAME" or "unknown"
 * @action: what was done or tried
 * @record_uuid: (nullable): the record it concerns, also its object
 * @version: the record's new version, or 0
 * @object: (nullable): what it concerned, when not a record: a commune, a
 *   device, a period; never a token or an enrolment code
 * @address: (nullable): where the request came from; %NULL for the admin
 *   verbs run on the server itself
 * @ok: whether it succeeded
 *
 * Writes one line of the audit, inside the caller's transaction when there
 * is one (a push audits each record with its write).
 *
 * Returns: %TRUE when the line was written
 */
gboolean
pcmbn_district_store_audit_record (PcmbnDistrictStore *self,
                                   const char *actor,
                                   const char *action,
                                   const char *record_uuid,
                                   gint64 version,
                                   const char *object,
                                   const char *address,
                                   gboolean ok)
{
  g_autofree char *now = pcmbn_now_utc ();
  sqlite3_stmt *stmt;
  gboolean written;

  pcmbn_store_lock (pcmbn_district_store_get_store (self));
  /* Once per record of a push: a cached statement. */
  stmt = pcmbn_district_store_prepare (
      self,
      "INSERT INTO audit (at, actor, action, record_uuid, version, object, address,"
      " ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      NULL);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (pcmbn_district_store_get_store (self));
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
  sqlite3_bind_text (stmt, 6, object ? object : record_uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 8, ok ? 1 : 0);
  written = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_reset (stmt);
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
  return written;
}

/* Lines of a push go this many to a statement: each statement costs its
 * start and end, more than a short row's own writing. */
#define AUDIT_LINES_PER_INSERT 16

/* The statement writing @n lines of actor ?1 and address ?2 at ?3, each
 * line's action, record and version in the next three parameters. */
static sqlite3_stmt *
prepare_audit_lines (PcmbnDistrictStore *self, guint n)
{
  static const char *sql[AUDIT_LINES_PER_INSERT];

  return pcmbn_district_store_prepare (
      self,
      pcmbn_store_rows_sql (&sql[n - 1],
                            "INSERT INTO audit (at, actor, action, record_uuid, version, object,"
                            " address, ok) VALUES",
                            "(?3, ?1, ?@1, ?@2, ?@3, ?@2, ?2, 1)", 3, 3, n),
      NULL);
}

/**
 * pcmbn_district_store_audit_lines:
 * @self: a server database, in the caller's transaction
 * @actor: the device's actor ("device:ID")
 * @address: (nullable): where the push came from
 * @lines: (array length=n_lines): one line per record written
 * @n_lines: how many
 *
 * Writes the audit lines of a push's records, in their order, as
 * pcmbn_district_store_audit_record() writes each (the record is the
 * object too, and every line succeeded), several to a statement.
 *
 * Returns: %TRUE when every line was written
 */
gboolean
pcmbn_district_store_audit_lines (PcmbnDistrictStore *self,
                                  const char *actor,
                                  const char *address,
                                  const PcmbnDistrictAuditLine *lines,
                                  guint n_lines)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autofree char *now = pcmbn_now_utc ();
  gboolean written = TRUE;

  pcmbn_store_lock (store);
  for (guint first = 0; written && first < n_lines; first += AUDIT_LINES_PER_INSERT)
    {
      guint n = MIN (n_lines - first, AUDIT_LINES_PER_INSERT);
      sqlite3_stmt *stmt = prepare_audit_lines (self, n);

      if (stmt == NULL)
        {
          written = FALSE;
          break;
        }
      sqlite3_bind_text (stmt, 1, actor, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, address, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, now, -1, SQLITE_STATIC);
      for (guint i = 0; i < n; i++)
        {
          const PcmbnDistrictAuditLine *line = &lines[first + i];
          sqlite3_bind_text (stmt, 4 + 3 * i, line->action, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 5 + 3 * i, line->record_uuid, -1, SQLITE_STATIC);
          if (line->version > 0)
            sqlite3_bind_int64 (stmt, 6 + 3 * i, line->version);
        }
      written = sqlite3_step (stmt) == SQLITE_DONE;
      sqlite3_reset (stmt);
      /* The texts bound are the caller's: no statement keeps them. */
      sqlite3_clear_bindings (stmt);
    }
  pcmbn_store_unlock (store);
  return written;
}

/**
 * pcmbn_district_store_audit:
 * @self: a server database
 * @actor: "admin", "device:ID", "staff:NAME" or "unknown"
 * @action: what was done or tried
 * @object: (nullable): what it concerned; never a token or an enrolment code
 * @address: (nullable): where the request came from
 * @ok: whether it succeeded
 *
 * Returns: %TRUE when the line was written
 */
gboolean
pcmbn_district_store_audit (PcmbnDistrictStore *self,
                            const char *actor,
                            const char *action,
                            const char *object,
                            const char *address,
                            gboolean ok)
{
  return pcmbn_district_store_audit_record (self, actor, action, NULL, 0, object, address, ok);
}

/**
 * pcmbn_district_store_read_audit:
 * @self: a server database
 * @since: (nullable): the first day, `YYYY-MM-DD` (UTC)
 * @limit: at most this many lines, the most recent ones; 0 for all
 * @error: return location for an error; %PCMBN_ERROR_USAGE naming `since`
 *   or `limit` when they are wrong
 *
 * Returns: (transfer full) (nullable): a JSON array, oldest first, of
 *   `{"at","actor","action","object","address","ok"}`
 */
JsonNode *
pcmbn_district_store_read_audit (PcmbnDistrictStore *self,
                                 const char *since,
                                 gint64 limit,
                                 GError **error)
{
  JsonArray *array;
  JsonNode *root;
  sqlite3_stmt *stmt;

  if (since && pcmbn_date_parse (since) < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("since: “%s” is not a date such as 2026-11-29"), since);
      return NULL;
    }
  if (limit < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("limit: give a whole number of entries, 1 or more"));
      return NULL;
    }
  pcmbn_store_lock (pcmbn_district_store_get_store (self));
  /* The newest @limit, then turned oldest first. */
  stmt = pcmbn_district_store_prepare (
      self,
      "SELECT at, actor, action, object, address, ok FROM (SELECT id, at, actor,"
      " action, object, address, ok FROM audit WHERE at >= ?1 ORDER BY id DESC"
      " LIMIT ?2) ORDER BY id",
      error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (pcmbn_district_store_get_store (self));
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, since ? since : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? limit : -1);
  array = json_array_new ();
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "at", (const char *)sqlite3_column_text (stmt, 0));
      json_object_set_string_member (o, "actor", (const char *)sqlite3_column_text (stmt, 1));
      json_object_set_string_member (o, "action", (const char *)sqlite3_column_text (stmt, 2));
      if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        json_object_set_string_member (o, "object", (const char *)sqlite3_column_text (stmt, 3));
      else
        json_object_set_null_member (o, "object");
      if (sqlite3_column_type (stmt, 4) != SQLITE_NULL)
        json_object_set_string_member (o, "address", (const char *)sqlite3_column_text (stmt, 4));
      else
        json_object_set_null_member (o, "address");
      json_object_set_boolean_member (o, "ok", sqlite3_column_int (stmt, 5) != 0);
      json_array_add_object_element (array, o);
    }
  sqlite3_reset (stmt);
  pcmbn_store_unlock (pcmbn_district_store_get_store (self));
  root = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (root, array);
  return root;
}
