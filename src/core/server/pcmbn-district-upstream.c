/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "pcmbn-util.h"
#include "server/pcmbn-district-chain.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-wire.h"

/* The reporting chain, child's side: this server enrolled under a parent
 * (`pcmbn-district enroll --parent`) pushes every record it holds, as it
 * holds it, and pulls the reference data the parent sets. The push follows
 * this server's own change sequence: a cursor remembers the last change the
 * parent accepted, so that a failed run resumes where it stopped. */

#define META_PARENT_URL "parent_url"
#define META_PARENT_TOKEN "parent_token"
#define META_PARENT_DEVICE "parent_device_id"
#define META_PARENT_PUSHED "parent_pushed_seq"
#define META_PARENT_CURSOR "parent_pull_cursor"
#define CHAIN_BATCH 500

typedef struct
{
  SoupSession *session;
  char *base; /* without a trailing slash */
  char *token;
} Upstream;

static void
upstream_clear (Upstream *u)
{
  g_clear_object (&u->session);
  g_clear_pointer (&u->base, g_free);
  g_clear_pointer (&u->token, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Upstream, upstream_clear)

/* Sends one request with @bytes of @type as its body (or none); the
 * status, or 0 with @error set when the parent could not be reached. */
static guint
send_bytes (Upstream *u,
            const char *method,
            const char *path,
            const char *type,
            GBytes *bytes,
            GBytes **reply,
            GError **error)
{
  g_autofree char *url = g_strconcat (u->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) local = NULL;

  if (msg == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("parent: “%s” is not a server address, such as http://10.0.0.1:8470"),
                   u->base);
      return 0;
    }
  if (u->token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", u->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (bytes)
    soup_message_set_request_body_from_bytes (msg, type, bytes);
  *reply = soup_session_send_and_read (u->session, msg, NULL, &local);
  if (*reply == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NETWORK,
                   _ ("The parent server %s cannot be reached (%s). Nothing was lost; the next "
                      "sync resumes."),
                   u->base, local->message);
      return 0;
    }
  return soup_message_get_status (msg);
}

/* One request with a JSON @body, or none. */
static guint
send (Upstream *u,
      const char *method,
      const char *path,
      const char *body,
      GBytes **reply,
      GError **error)
{
  g_autoptr (GBytes) bytes = body ? g_bytes_new (body, strlen (body)) : NULL;

  return send_bytes (u, method, path, "application/json", bytes, reply, error);
}

static void
set_status_error (GError **error, guint status, GBytes *reply)
{
  g_autoptr (JsonNode) root = reply ? pcmbn_wire_parse_json (g_bytes_get_data (reply, NULL),
                                                             g_bytes_get_size (reply), NULL)
                                    : NULL;
  JsonObject *e = root && JSON_NODE_HOLDS_OBJECT (root)
                      ? pcmbn_wire_get_object (json_node_get_object (root), "error")
                      : NULL;
  const char *message = e ? pcmbn_wire_get_string (e, "message") : NULL;

  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("The parent server refused (%u): %s"),
               status, message ? message : _ ("no reason given"));
}

static JsonObject *
reply_object (GBytes *reply, GError **error)
{
  g_autoptr (JsonNode) root = pcmbn_wire_parse_json (g_bytes_get_data (reply, NULL),
                                                     g_bytes_get_size (reply), error);

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The parent server’s answer cannot be read."));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static char *
normalize_base (const char *url, GError **error)
{
  g_autoptr (GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  char *base;

  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("parent: “%s” is not a server address, such as http://10.0.0.1:8470"),
                   url ? url : "");
      return NULL;
    }
  base = g_strdup (url);
  while (*base && base[strlen (base) - 1] == '/')
    base[strlen (base) - 1] = '\0';
  return base;
}

/**
 * pcmbn_district_store_enroll_parent:
 * @self: a server database
 * @url: the parent server
 * @code: the enrolment code the parent made for this server's unit
 * @error: return location for an error
 *
 * Registers this server with its parent, as a device of this server's unit.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_store_enroll_parent (PcmbnDistrictStore *self,
                                    const char *url,
                                    const char *code,
                                    GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_auto (Upstream) u = { 0 };
  g_autofree char *own = pcmbn_district_store_get_code (self);
  g_autofree char *name = NULL, *body = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  const char *token, *device, *unit;
  guint status;

  if (own == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                   _ ("db: this is not a district server database yet; run “pcmbn-district init”"));
      return FALSE;
    }
  if (code == NULL || *code == '\0')
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("code: give the enrolment code the parent server made for %s"), own);
      return FALSE;
    }
  u.base = normalize_base (url, error);
  if (u.base == NULL)
    return FALSE;
  u.session = soup_session_new ();
  soup_session_set_timeout (u.session, 120);
  name = g_strdup_printf ("server %s (%s)", own, g_get_host_name ());
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "device_name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "org_unit");
  json_builder_add_string_value (b, own);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  body = json_to_string (node, FALSE);
  status = send (&u, "POST", "/api/v1/enroll", body, &reply, error);
  if (status == 0)
    return FALSE;
  if (status != 200)
    {
      set_status_error (error, status, reply);
      return FALSE;
    }
  answer = reply_object (reply, error);
  if (answer == NULL)
    return FALSE;
  token = pcmbn_wire_get_string (answer, "token");
  device = pcmbn_wire_get_string (answer, "device_id");
  unit = pcmbn_wire_get_string (answer, "org_unit");
  if (token == NULL || device == NULL || g_strcmp0 (unit, own) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The parent server’s answer to the enrolment is not for %s."), own);
      return FALSE;
    }
  if (!pcmbn_store_begin (store, error))
    return FALSE;
  if (!pcmbn_store_set_meta (store, META_PARENT_URL, u.base, error)
      || !pcmbn_store_set_meta (store, META_PARENT_TOKEN, token, error)
      || !pcmbn_store_set_meta (store, META_PARENT_DEVICE, device, error)
      || !pcmbn_store_set_meta (store, META_PARENT_PUSHED, "0", error)
      || !pcmbn_store_set_meta (store, META_PARENT_CURSOR, "0", error))
    {
      pcmbn_store_rollback (store);
      return FALSE;
    }
  if (!pcmbn_store_commit (store, error))
    return FALSE;
  pcmbn_district_store_audit (self, "admin", "enroll-parent", u.base, NULL, TRUE);
  return TRUE;
}

/**
 * pcmbn_district_store_has_parent:
 * @self: a server database
 *
 * Returns: whether this server is enrolled under a parent
 */
gboolean
pcmbn_district_store_has_parent (PcmbnDistrictStore *self)
{
  g_autofree char *token = pcmbn_store_get_meta (pcmbn_district_store_get_store (self),
                                                 META_PARENT_TOKEN);
  return token != NULL;
}

static gint64
meta_int (PcmbnStore *store, const char *key)
{
  g_autofree char *text = pcmbn_store_get_meta (store, key);
  return text ? g_ascii_strtoll (text, NULL, 10) : 0;
}

/* When each commune last synced here, `"commune_sync":{CODE:TIME...}`:
 * the parent's report on this server's unit shows the same times. */
static void
append_commune_sync (PcmbnStore *store, GString *out)
{
  sqlite3_stmt *stmt;
  gboolean first = TRUE;

  g_string_append (out, "\"commune_sync\":{");
  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT s.org_unit, s.last_sync FROM commune_sync s JOIN"
                                     " org_units o ON o.code = s.org_unit WHERE o.level ="
                                     " 'commune' AND s.last_sync IS NOT NULL",
                                     NULL);
  while (stmt && sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (!first)
        g_string_append_c (out, ',');
      pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (stmt, 0));
      g_string_append_c (out, ':');
      pcmbn_wire_append_string (out, (const char *)sqlite3_column_text (stmt, 1));
      first = FALSE;
    }
  if (stmt)
    sqlite3_reset (stmt);
  pcmbn_store_unlock (store);
  g_string_append_c (out, '}');
}

/* The attachments a record's data names, by hash, into @shas. */
static void
collect_blobs (JsonObject *data, GHashTable *shas)
{
  JsonNode *list = json_object_get_member (data, "attachments");

  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (list), i);
      const char *sha = JSON_NODE_HOLDS_OBJECT (item)
                            ? pcmbn_wire_get_string (json_node_get_object (item), "sha256")
                            : NULL;
      if (sha)
        g_hash_table_add (shas, g_strdup (sha));
    }
}

/* Sends the attachments of a batch before its records, as a device does
 * (pcmbn-sync-engine.c), so that the parent never holds a record whose
 * attachment it lacks. The parent keeps them for this server's unit, and
 * says which it has already: those are not sent again. One this server
 * lacks (its device never sent it) is left out. */
static gboolean
upload_blobs (PcmbnDistrictStore *self, Upstream *u, GHashTable *shas, GError **error)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, shas);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *path = g_strconcat ("/api/v1/blobs/", (const char *)key, NULL);
      g_autoptr (GBytes) content = NULL;
      g_autoptr (GBytes) reply = NULL;
      guint status;

      content = pcmbn_district_store_get_blob (self, key, NULL, error);
      if (content == NULL)
        {
          if (error && *error)
            return FALSE;
          continue;
        }
      status = send_bytes (u, "HEAD", path, NULL, NULL, &reply, error);
      if (status == 0)
        return FALSE;
      if (status == 200)
        continue;
      g_clear_pointer (&reply, g_bytes_unref);
      status = send_bytes (u, "PUT", path, "application/octet-stream", content, &reply, error);
      if (status == 0)
        return FALSE;
      if (status != 200 && status != 201)
        {
          set_status_error (error, status, reply);
          return FALSE;
        }
    }
  return TRUE;
}

/* The next batch of this server's records to push: each record at its
 * latest change after @after, in change order; @last is the batch's last
 * seq; the attachments they name go into @shas. Case notes are taken out
 * here, whatever the configuration. */
static char *
next_batch (
    PcmbnStore *store, gint64 after, guint *n, gint64 *last, GHashTable *shas, GError **error)
{
  g_autoptr (GString) out = g_string_new ("{\"records\":[");
  sqlite3_stmt *stmt;
  int rc;

  *n = 0;
  *last = after;
  pcmbn_store_lock (store);
  stmt = pcmbn_store_prepare_cached (store,
                                     "SELECT c.seq, r.uuid, r.kind, r.org_unit, r.data, r.version,"
                                     " r.deleted, r.modified_at FROM changes c JOIN records r ON"
                                     " r.uuid = c.record_uuid WHERE c.seq > ? ORDER BY c.seq"
                                     " LIMIT ?",
                                     error);
  if (stmt == NULL)
    {
      pcmbn_store_unlock (store);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int (stmt, 2, CHAIN_BATCH);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const PcmbnKind *kind = pcmbn_schema_kind ((const char *)sqlite3_column_text (stmt, 2));
      g_autoptr (JsonNode) data = pcmbn_wire_parse_json (
          (const char *)sqlite3_column_text (stmt, 4), sqlite3_column_bytes (stmt, 4), NULL);
      g_autoptr (JsonObject) clean = NULL;
      g_autofree char *text = NULL;

      *last = sqlite3_column_int64 (stmt, 0);
      if (kind == NULL || data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
        continue;
      clean = pcmbn_wire_strip_sensitive (kind, json_node_get_object (data), NULL);
      collect_blobs (clean, shas);
      text = pcmbn_wire_object_to_string (clean);
      if ((*n)++ > 0)
        g_string_append_c (out, ',');
      pcmbn_wire_append_record (out, (const char *)sqlite3_column_text (stmt, 1), kind->name,
                                (const char *)sqlite3_column_text (stmt, 3),
                                sqlite3_column_int64 (stmt, 5), sqlite3_column_int (stmt, 6),
                                (const char *)sqlite3_column_text (stmt, 7), text,
                                sqlite3_column_int64 (stmt, 5));
    }
  sqlite3_reset (stmt);
  pcmbn_store_unlock (store);
  if (rc != SQLITE_DONE)
    {
      pcmbn_store_set_sqlite_error (error, pcmbn_store_get_db (store), "reading the records");
      return NULL;
    }
  g_string_append (out, "],");
  append_commune_sync (store, out);
  g_string_append_c (out, '}');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
push_up (PcmbnDistrictStore *self, Upstream *u, PcmbnDistrictChainStats *stats, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  gboolean sent = FALSE;

  for (;;)
    {
      gint64 after = meta_int (store, META_PARENT_PUSHED), last;
      guint n, status;
      g_autoptr (GHashTable) shas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autofree char *body = next_batch (store, after, &n, &last, shas, error);
      g_autoptr (GBytes) reply = NULL;
      g_autoptr (JsonObject) answer = NULL;
      g_autofree char *last_text = NULL;
      JsonArray *results;

      if (body == NULL)
        return FALSE;
      if (last == after && sent)
        return TRUE;
      /* At least one push a run, which also carries the communes' sync times. */
      if (n > 0 || !sent)
        {
          if (!upload_blobs (self, u, shas, error))
            return FALSE;
          status = send (u, "POST", "/api/v1/sync/push", body, &reply, error);
          if (status == 0)
            return FALSE;
          if (status != 200)
            {
              set_status_error (error, status, reply);
              return FALSE;
            }
          answer = reply_object (reply, error);
          if (answer == NULL)
            return FALSE;
          results = pcmbn_wire_get_array (answer, "results");
          for (guint i = 0; results && i < json_array_get_length (results); i++)
            {
              JsonNode *node = json_array_get_element (results, i);
              const char *state = JSON_NODE_HOLDS_OBJECT (node) ? pcmbn_wire_get_string (
                                      json_node_get_object (node), "status")
                                                                : NULL;
              if (g_strcmp0 (state, "accepted") == 0)
                stats->pushed++;
              else if (g_strcmp0 (state, "conflict") == 0)
                stats->conflicts++;
              else
                stats->rejected++;
            }
        }
      sent = TRUE;
      if (last == after)
        return TRUE;
      last_text = g_strdup_printf ("%" G_GINT64_FORMAT, last);
      if (!pcmbn_store_set_meta (store, META_PARENT_PUSHED, last_text, error))
        return FALSE;
    }
}

/* Reference data from the parent: the unit's facts and the targets, kept
 * here and put in this server's change sequence for its own devices. */
static gboolean
apply_change (PcmbnDistrictStore *self, JsonObject *change, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  JsonObject *unit = pcmbn_wire_get_object (change, "org_unit");
  JsonObject *targets = pcmbn_wire_get_object (change, "targets");

  if (unit)
    {
      const char *code = pcmbn_wire_get_string (unit, "code");
      return code && pcmbn_store_sync_apply_unit (store, unit, error)
             && pcmbn_district_store_unit_changed (self, code, error);
    }
  if (targets)
    {
      gint64 year = pcmbn_wire_get_int (targets, "year", 0);
      return pcmbn_store_sync_apply_targets (store, targets, error)
             && (year <= 0 || pcmbn_district_store_targets_changed (self, (int)year, error));
    }
  return TRUE;
}

static gboolean
pull_down (PcmbnDistrictStore *self, Upstream *u, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);

  for (;;)
    {
      gint64 since = meta_int (store, META_PARENT_CURSOR), next;
      g_autofree char *path = g_strdup_printf (
          "/api/v1/sync/pull?since=%" G_GINT64_FORMAT "&limit=500", since);
      g_autoptr (GBytes) reply = NULL;
      g_autoptr (JsonObject) answer = NULL;
      g_autofree char *next_text = NULL;
      JsonArray *changes;
      guint status = send (u, "GET", path, NULL, &reply, error);

      if (status == 0)
        return FALSE;
      if (status != 200)
        {
          set_status_error (error, status, reply);
          return FALSE;
        }
      answer = reply_object (reply, error);
      if (answer == NULL)
        return FALSE;
      changes = pcmbn_wire_get_array (answer, "changes");
      next = pcmbn_wire_get_int (answer, "next", -1);
      if (changes == NULL || next < 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("The parent server sent changes this server cannot read."));
          return FALSE;
        }
      if (!pcmbn_store_begin (store, error))
        return FALSE;
      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          JsonNode *node = json_array_get_element (changes, i);
          if (JSON_NODE_HOLDS_OBJECT (node)
              && !apply_change (self, json_node_get_object (node), error))
            {
              pcmbn_store_rollback (store);
              return FALSE;
            }
        }
      next_text = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (next, since));
      if (!pcmbn_store_set_meta (store, META_PARENT_CURSOR, next_text, error))
        {
          pcmbn_store_rollback (store);
          return FALSE;
        }
      if (!pcmbn_store_commit (store, error))
        return FALSE;
      if (!pcmbn_wire_get_bool (answer, "more", FALSE) || next <= since)
        return TRUE;
    }
}

/**
 * pcmbn_district_store_sync_parent:
 * @self: a server database enrolled under a parent
 * @stats: (out caller-allocates): what the run did
 * @error: return location for an error
 *
 * Pushes every record changed since the last run up to the parent, then
 * pulls the parent's reference data. Blocks.
 *
 * Returns: %TRUE when the exchange completed
 */
gboolean
pcmbn_district_store_sync_parent (PcmbnDistrictStore *self,
                                  PcmbnDistrictChainStats *stats,
                                  GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_auto (Upstream) u = { 0 };
  g_autofree char *url = pcmbn_store_get_meta (store, META_PARENT_URL);

  memset (stats, 0, sizeof *stats);
  u.token = pcmbn_store_get_meta (store, META_PARENT_TOKEN);
  if (url == NULL || u.token == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("This server is not enrolled under a parent server; run “pcmbn-district "
                      "enroll --db PATH --parent URL --code CODE” first."));
      return FALSE;
    }
  u.base = g_steal_pointer (&url);
  u.session = soup_session_new ();
  soup_session_set_timeout (u.session, 300);
  return push_up (self, &u, stats, error) && pull_down (self, &u, error);
}
