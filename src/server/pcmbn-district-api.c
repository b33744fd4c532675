/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pcmbn-district-api.h"
#include "pcmbn-district-dashboard.h"
#include "pcmbn-util.h"
#include "report/pcmbn-report.h"
#include "server/pcmbn-district-chain.h"
#include "server/pcmbn-district-store.h"
#include "sync/pcmbn-wire.h"

/* The API of interfaces.md, as HTTP: the database work is the district
 * store's (src/core/server). Every handler runs in a worker thread with that
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
  g_free (request->range);
  g_free (request->content_type);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->remote);
  g_free (request->cookie);
  g_free (request->origin);
  g_free (request->host);
  g_free (request->accept_language);
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

/* Records and answers are repetitive text: gzip makes a restore's download
 * about a tenth of its size, for a client that says it can read it (over a
 * slow link, the answer to a push of 1,000 records too). */
static PcmbnDistrictReply *
reply_gzip (PcmbnDistrictRequest *req, PcmbnDistrictReply *reply)
{
  gsize len;
  const void *data = g_bytes_get_data (reply->body, &len);
  GBytes *z;

  if (!req->accepts_gzip || len <= 1024)
    return reply;
  z = pcmbn_wire_gzip (data, len);
  g_bytes_unref (reply->body);
  reply->body = z;
  if (reply->headers == NULL)
    reply->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (reply->headers, g_strdup ("Content-Encoding"));
  g_ptr_array_add (reply->headers, g_strdup ("gzip"));
  return reply;
}

static PcmbnDistrictReply *
reply_json (guint status, JsonNode *node)
{
  return reply_take (status, "application/json", pcmbn_wire_to_string (node));
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

static PcmbnDistrictReply *
reply_store_error (GError *error)
{
  if (error->domain == PCMBN_DISTRICT_ERROR && error->code == PCMBN_DISTRICT_ERROR_BAD_CODE)
    return reply_error (401, "bad_code", error->message);
  if (error->domain == PCMBN_DISTRICT_ERROR && error->code == PCMBN_DISTRICT_ERROR_WRONG_ORG_UNIT)
    return reply_error (403, "wrong_org_unit", error->message);
  if (error->domain == PCMBN_DISTRICT_ERROR && error->code == PCMBN_DISTRICT_ERROR_FORBIDDEN)
    return reply_error (403, "forbidden", error->message);
  return reply_gerror (error);
}

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

/* A token that was refused: the audit names whose it was when known, the
 * address it came from and what it asked for, never the token. */
static PcmbnDistrictReply *
refused (PcmbnDistrictStore *store,
         PcmbnDistrictRequest *req,
         PcmbnDistrictPrincipal *who,
         PcmbnDistrictReply *reply)
{
  const char *actor = who && who->kind != PCMBN_DISTRICT_TOKEN_UNKNOWN ? who->actor : "unknown";

  pcmbn_district_store_audit (store, actor, "sign-in", req->path, req->remote, FALSE);
  return reply;
}

/* Authenticates a device: NULL and @device set, or the error reply. */
static PcmbnDistrictReply *
auth_device (PcmbnDistrictStore *store, PcmbnDistrictRequest *req, PcmbnDistrictPrincipal **device)
{
  const char *token = bearer (req);
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;
  g_autoptr (GError) error = NULL;

  if (token == NULL)
    return refused (
        store, req, NULL,
        reply_error (401, "unauthorized",
                     _ ("This request needs the device’s token (Authorization: Bearer TOKEN). "
                        "Enrol the device with “pcmbn enroll” first.")));
  who = pcmbn_district_store_authenticate (store, token, &error);
  if (who == NULL)
    return reply_gerror (error);
  if (who->kind == PCMBN_DISTRICT_TOKEN_STAFF)
    return refused (store, req, who,
                    reply_error (403, "forbidden",
                                 _ ("This is a district staff token; only an enrolled device may "
                                    "sync records.")));
  if (who->kind != PCMBN_DISTRICT_TOKEN_DEVICE)
    return refused (store, req, who,
                    reply_error (401, "unauthorized",
                                 _ ("This device’s token is not known to the district server. "
                                    "Enrol the device again with a new code from the district "
                                    "office.")));
  if (who->revoked)
    return refused (store, req, who,
                    reply_error (401, "revoked",
                                 _ ("The district office revoked this device. Ask it for a new "
                                    "enrolment code and enrol again.")));
  who->address = g_strdup (req->remote);
  *device = g_steal_pointer (&who);
  return NULL;
}

static PcmbnDistrictReply *
auth_staff (PcmbnDistrictStore *store, PcmbnDistrictRequest *req, PcmbnDistrictPrincipal **staff)
{
  const char *token = bearer (req);
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;
  g_autoptr (GError) error = NULL;

  if (token == NULL)
    return refused (
        store, req, NULL,
        reply_error (401, "unauthorized",
                     _ ("This request needs a district staff token (Authorization: Bearer "
                        "TOKEN); “pcmbn-district staff-token” makes one.")));
  who = pcmbn_district_store_authenticate (store, token, &error);
  if (who == NULL)
    return reply_gerror (error);
  if (who->kind == PCMBN_DISTRICT_TOKEN_STAFF)
    {
      who->address = g_strdup (req->remote);
      *staff = g_steal_pointer (&who);
      return NULL;
    }
  if (who->kind == PCMBN_DISTRICT_TOKEN_DEVICE && !who->revoked)
    return refused (store, req, who,
                    reply_error (403, "forbidden",
                                 _ ("A device token cannot read district reports; use a district "
                                    "staff token.")));
  return refused (store, req, who,
                  reply_error (401, "unauthorized",
                               _ ("This staff token is not known to the district server.")));
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

/* ---- health, enrol ------------------------------------------------------ */

static PcmbnDistrictReply *
api_health (PcmbnDistrictStore *store)
{
  g_autofree char *code = pcmbn_district_store_get_code (store);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "status", "ok");
  json_object_set_int_member (o, "protocol", PCMBN_WIRE_PROTOCOL);
  json_object_set_string_member (o, "org_unit", code);
  json_node_take_object (node, o);
  return reply_json (200, node);
}

/* A failed enrolment, for the audit: the commune asked for when known, and
 * never the code that was tried. */
static PcmbnDistrictReply *
enroll_failed (PcmbnDistrictStore *store,
               PcmbnDistrictRequest *req,
               const char *wanted,
               PcmbnDistrictReply *reply)
{
  pcmbn_district_store_audit (store, "unknown", "enroll", wanted, req->remote, FALSE);
  return reply;
}

static PcmbnDistrictReply *
api_enroll (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  PcmbnDistrictReply *reply = NULL;
  g_autoptr (GBytes) body = json_body (req, 64 * 1024, &reply);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictEnrolment) enrolment = NULL;
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *o, *a;
  const char *code, *name, *wanted;

  if (body == NULL)
    return enroll_failed (store, req, NULL, reply);
  root = pcmbn_wire_parse_json (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (root == NULL)
    return enroll_failed (store, req, NULL, reply_gerror (error));
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return enroll_failed (store, req, NULL,
                          reply_error (400, "bad_request",
                                       _ ("The body must be {\"code\": …, \"device_name\": …}.")));
  o = json_node_get_object (root);
  code = pcmbn_wire_get_string (o, "code");
  name = pcmbn_wire_get_string (o, "device_name");
  wanted = pcmbn_wire_get_string (o, "org_unit");
  if (wanted && (strlen (wanted) > 64 || !g_utf8_validate (wanted, -1, NULL)))
    wanted = NULL; /* not a code of ours; the audit keeps no junk */
  if (code == NULL || *code == '\0' || strlen (code) > 64)
    return enroll_failed (
        store, req, wanted,
        reply_error (400, "bad_request", _ ("code: give the enrolment code as a string.")));
  if (name == NULL || *name == '\0' || g_utf8_strlen (name, -1) > 200)
    return enroll_failed (
        store, req, wanted,
        reply_error (400, "bad_request",
                     _ ("device_name: give a name for this device, at most 200 characters.")));

  enrolment = pcmbn_district_store_enroll (store, code, name, wanted, req->remote, &error);
  if (enrolment == NULL)
    return enroll_failed (store, req, wanted, reply_store_error (error));

  answer = json_node_new (JSON_NODE_OBJECT);
  a = json_object_new ();
  json_object_set_string_member (a, "device_id", enrolment->device_id);
  json_object_set_string_member (a, "token", enrolment->token);
  json_object_set_string_member (a, "org_unit", enrolment->org_unit);
  json_object_set_member (a, "reference",
                          pcmbn_district_store_reference (store, enrolment->org_unit));
  json_node_take_object (answer, a);
  return reply_json (200, answer);
}

/* ---- push ----------------------------------------------------------------- */

static PcmbnDistrictReply *
api_push (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  g_autoptr (PcmbnDistrictPrincipal) device = NULL;
  PcmbnDistrictReply *reply = auth_device (store, req, &device);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  char *answer;

  if (reply)
    return reply;
  body = json_body (req, PCMBN_WIRE_MAX_BODY, &reply);
  if (body == NULL)
    return reply;
  /* A server under this one pushes records as they are, with versions. */
  if (pcmbn_district_store_is_child_server (store, device))
    answer = pcmbn_district_store_push_chain (store, device, g_bytes_get_data (body, NULL),
                                              g_bytes_get_size (body), &error);
  else
    answer = pcmbn_district_store_push_body (store, device, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), &error);
  if (answer == NULL && error->domain == PCMBN_WIRE_ERROR)
    return reply_gerror (error);
  if (answer == NULL && error->domain == PCMBN_ERROR && error->code == PCMBN_ERROR_INVALID)
    return reply_error (400, "bad_request", error->message);
  if (answer == NULL
      && g_error_matches (error, PCMBN_DISTRICT_ERROR, PCMBN_DISTRICT_ERROR_FORBIDDEN))
    pcmbn_district_store_audit (store, device->actor, "push", device->org_unit, device->address,
                                FALSE);
  if (answer == NULL)
    return reply_store_error (error);
  return reply_gzip (req, reply_take (200, "application/json", answer));
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
api_pull (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  g_autoptr (PcmbnDistrictPrincipal) device = NULL;
  PcmbnDistrictReply *reply = auth_device (store, req, &device);
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GError) error = NULL;
  gint64 since, limit = 500, mine_from = 0;
  const char *text;
  char *answer;

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

  text = params ? g_hash_table_lookup (params, "mine_from") : NULL;
  if (text && !parse_count (text, G_MAXINT64 / 2, &mine_from))
    return reply_error (400, "bad_mine_from",
                        _ ("mine_from: give the “first_seq” of a push, a whole number ≥ 0."));

  if (pcmbn_district_store_is_child_server (store, device))
    {
      answer = pcmbn_district_store_changes_chain (store, device, since, limit, &error);
      if (answer == NULL)
        return reply_gerror (error);
      return reply_take (200, "application/json", answer);
    }
  answer = pcmbn_district_store_changes_for_device (store, device->org_unit, device->id, mine_from,
                                                    since, limit, &error);
  if (answer == NULL)
    return reply_gerror (error);
  /* The page is read; a failure to note it is not the device's. */
  if (!pcmbn_district_store_note_pull (store, device, since, &error))
    g_warning ("Cannot note a pull: %s", error->message);
  return reply_gzip (req, reply_take (200, "application/json", answer));
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

/* One range of "bytes=A-B", "bytes=A-" or "bytes=-N" within @size; FALSE
 * when it cannot be met (several ranges are not served). */
static gboolean
parse_range (const char *header, gsize size, gsize *start, gsize *end)
{
  const char *spec = header;
  char *dash, *stop;
  guint64 a = 0, b = size ? size - 1 : 0;

  if (!g_str_has_prefix (spec, "bytes="))
    return FALSE;
  spec += 6;
  if (strchr (spec, ',') || (dash = strchr (spec, '-')) == NULL || size == 0)
    return FALSE;
  if (dash == spec)
    {
      /* The last N bytes. */
      guint64 n = g_ascii_strtoull (dash + 1, &stop, 10);
      if (*stop != '\0' || dash[1] == '\0' || n == 0)
        return FALSE;
      a = n >= size ? 0 : size - n;
    }
  else
    {
      a = g_ascii_strtoull (spec, &stop, 10);
      if (stop != dash || !g_ascii_isdigit (*spec))
        return FALSE;
      if (dash[1] != '\0')
        {
          b = g_ascii_strtoull (dash + 1, &stop, 10);
          if (*stop != '\0' || b < a)
            return FALSE;
          b = MIN (b, size - 1);
        }
    }
  if (a >= size)
    return FALSE;
  *start = a;
  *end = b;
  return TRUE;
}

static void
reply_add_header (PcmbnDistrictReply *reply, const char *name, char *value)
{
  if (reply->headers == NULL)
    reply->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (reply->headers, g_strdup (name));
  g_ptr_array_add (reply->headers, value);
}

/* GET of an attachment: the whole blob, or the part a Range asks for, so
 * that a restored laptop resumes an interrupted download. */
static PcmbnDistrictReply *
blob_get (PcmbnDistrictStore *store,
          PcmbnDistrictPrincipal *device,
          PcmbnDistrictPrincipal *staff,
          PcmbnDistrictRequest *req,
          const char *sha)
{
  g_autoptr (GError) error = NULL;
  PcmbnDistrictPrincipal *who = device ? device : staff;
  /* A device reads its own commune's attachments only; another commune's
   * is as absent as a missing one. Staff read any. */
  g_autoptr (GBytes)
      blob = pcmbn_district_store_get_blob (store, sha, device ? device->org_unit : NULL, &error);
  PcmbnDistrictReply *reply;
  gsize size, start, end;

  if (blob == NULL && error)
    return reply_gerror (error);
  if (blob == NULL)
    {
      pcmbn_district_store_audit (store, who->actor, "blob-read", sha, who->address, FALSE);
      return reply_error (404, "not_found",
                          _ ("The server has no such attachment for this device."));
    }
  size = g_bytes_get_size (blob);
  /* A read of commune data: audited like a pull. */
  pcmbn_district_store_audit (store, who->actor, "blob-read", sha, who->address, TRUE);
  if (req->range == NULL)
    {
      reply = g_new0 (PcmbnDistrictReply, 1);
      reply->status = 200;
      reply->content_type = g_strdup ("application/octet-stream");
      reply->body = g_steal_pointer (&blob);
      reply_add_header (reply, "Accept-Ranges", g_strdup ("bytes"));
      return reply;
    }
  if (!parse_range (req->range, size, &start, &end))
    {
      reply = reply_error (416, "range_not_satisfiable",
                           _ ("Range: ask for one range of bytes within the attachment, such as "
                              "“bytes=1000-”."));
      reply_add_header (reply, "Content-Range", g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, size));
      return reply;
    }
  reply = g_new0 (PcmbnDistrictReply, 1);
  reply->status = 206;
  reply->content_type = g_strdup ("application/octet-stream");
  reply->body = g_bytes_new_from_bytes (blob, start, end - start + 1);
  reply_add_header (reply, "Accept-Ranges", g_strdup ("bytes"));
  reply_add_header (reply, "Content-Range",
                    g_strdup_printf ("bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT
                                     "/%" G_GSIZE_FORMAT,
                                     start, end, size));
  return reply;
}

static PcmbnDistrictReply *
api_blob (PcmbnDistrictStore *store, PcmbnDistrictRequest *req, const char *sha)
{
  g_autoptr (PcmbnDistrictPrincipal) device = NULL;
  g_autoptr (PcmbnDistrictPrincipal) staff = NULL;
  PcmbnDistrictReply *reply = auth_device (store, req, &device);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actual = NULL;
  gboolean exists;
  gsize len;
  const void *data;

  if (reply && g_str_equal (req->method, "GET"))
    {
      /* District staff may read any attachment. */
      PcmbnDistrictReply *as_staff = auth_staff (store, req, &staff);
      if (as_staff != NULL)
        {
          pcmbn_district_reply_free (as_staff);
          return reply;
        }
      pcmbn_district_reply_free (reply);
      reply = NULL;
    }
  if (reply)
    return reply;
  if (!is_sha256 (sha))
    return reply_error (400, "bad_hash",
                        _ ("The address must end with the blob’s SHA-256 in 64 lowercase hex "
                           "digits."));
  if (g_str_equal (req->method, "GET"))
    return blob_get (store, device, staff, req, sha);
  /* Scoped to the device's commune: whether another commune holds the same
   * file is not this device's to learn. */
  if (!pcmbn_district_store_has_blob (store, sha, device->org_unit, &exists, &error))
    return reply_gerror (error);
  if (g_str_equal (req->method, "HEAD"))
    {
      pcmbn_district_store_audit (store, device->actor, "blob-check", sha, device->address, TRUE);
      return exists ? reply_take (200, "application/json", g_strdup (""))
                    : reply_take (404, "application/json", g_strdup (""));
    }

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
  if (!pcmbn_district_store_put_blob (store, sha, body, device, &error))
    return reply_gerror (error);
  return reply_take (201, "application/json", g_strdup ("{\"status\":\"stored\"}"));
}

/* ---- report --------------------------------------------------------------- */

static PcmbnDistrictReply *
api_report (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  g_autoptr (PcmbnDistrictPrincipal) staff = NULL;
  PcmbnDistrictReply *reply = auth_staff (store, req, &staff);

  if (reply)
    return reply;
  /* The same code as `pcmbn-district report` and the dashboard's downloads;
   * `&format=csv|pdf|xlsx` extends the contract. */
  return pcmbn_district_report_reply (store, staff, "report", req->query, FALSE);
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
pcmbn_district_api_handle (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
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
    return g_str_equal (m, "PUT") || g_str_equal (m, "HEAD") || g_str_equal (m, "GET")
               ? api_blob (store, req, path + strlen ("/api/v1/blobs/"))
               : method_not_allowed ("GET, PUT, HEAD");
  if (g_str_equal (path, "/api/v1/report"))
    return g_str_equal (m, "GET") ? api_report (store, req) : method_not_allowed ("GET");
  return reply_error (404, "not_found", _ ("There is nothing at this address."));
}
