/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-sync-engine.h"
#include "pcmbn-util.h"
#include "sync/pcmbn-wire.h"

/* The client of the district server, for `pcmbn enroll|sync` and the app.
 * A sync pushes the outbox in batches, then pulls the commune's changes page
 * by page; every page is applied together with its cursor in one
 * transaction, so that a cut connection loses nothing and the next run
 * resumes where this one stopped. The network and the database work run in
 * the calling thread (the _async variants use a worker thread). */

#define PUSH_BATCH 1000
#define PUSH_MAX_BYTES (4 * 1024 * 1024)
#define PULL_LIMIT 500
#define GZIP_THRESHOLD 1024

struct _PcmbnSyncEngine
{
  GObject parent_instance;

  PcmbnStore *store;
  GMainContext *context;
  GThread *owner; /* the thread whose context gets the signals */
  GMutex mutex;   /* one sync or enrolment at a time */
  PcmbnSyncStatus status;
  char *message;
};

G_DEFINE_FINAL_TYPE (PcmbnSyncEngine, pcmbn_sync_engine, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STORE,
  PROP_STATUS,
  PROP_MESSAGE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static void
pcmbn_sync_engine_finalize (GObject *object)
{
  PcmbnSyncEngine *self = PCMBN_SYNC_ENGINE (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner, g_thread_unref);
  g_mutex_clear (&self->mutex);
  g_free (self->message);
  G_OBJECT_CLASS (pcmbn_sync_engine_parent_class)->finalize (object);
}

static void
pcmbn_sync_engine_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcmbnSyncEngine *self = PCMBN_SYNC_ENGINE (object);

  switch (prop_id)
    {
      case PROP_STORE:
        g_value_set_object (value, self->store);
        break;
      case PROP_STATUS:
        g_value_set_int (value, self->status);
        break;
      case PROP_MESSAGE:
        g_value_set_string (value, self->message);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcmbn_sync_engine_set_property (GObject *object,
                                guint prop_id,
                                const GValue *value,
                                GParamSpec *pspec)
{
  PcmbnSyncEngine *self = PCMBN_SYNC_ENGINE (object);

  switch (prop_id)
    {
      case PROP_STORE:
        self->store = g_value_dup_object (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pcmbn_sync_engine_class_init (PcmbnSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pcmbn_sync_engine_finalize;
  object_class->get_property = pcmbn_sync_engine_get_property;
  object_class->set_property = pcmbn_sync_engine_set_property;

  props[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, PCMBN_TYPE_STORE,
                                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                               | G_PARAM_STATIC_STRINGS);
  /* A PcmbnSyncStatus; notified in the thread that made the engine. */
  props[PROP_STATUS] = g_param_spec_int ("status", NULL, NULL, PCMBN_SYNC_STATUS_IDLE,
                                         PCMBN_SYNC_STATUS_ERROR, PCMBN_SYNC_STATUS_IDLE,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
pcmbn_sync_engine_init (PcmbnSyncEngine *self)
{
  g_mutex_init (&self->mutex);
  self->context = g_main_context_ref_thread_default ();
  self->owner = g_thread_ref (g_thread_self ());
}

/**
 * pcmbn_sync_engine_new:
 * @store: the local store
 *
 * Returns: (transfer full): a sync engine for @store
 */
PcmbnSyncEngine *
pcmbn_sync_engine_new (PcmbnStore *store)
{
  return g_object_new (PCMBN_TYPE_SYNC_ENGINE, "store", store, NULL);
}

/**
 * pcmbn_sync_engine_get_store:
 * @self: an engine
 *
 * Returns: (transfer none): its store
 */
PcmbnStore *
pcmbn_sync_engine_get_store (PcmbnSyncEngine *self)
{
  return self->store;
}

PcmbnSyncStatus
pcmbn_sync_engine_get_status (PcmbnSyncEngine *self)
{
  return self->status;
}

/**
 * pcmbn_sync_engine_get_message:
 * @self: an engine
 *
 * Returns: (transfer none) (nullable): the last error, in words for a
 *   commune officer
 */
const char *
pcmbn_sync_engine_get_message (PcmbnSyncEngine *self)
{
  return self->message;
}

/**
 * pcmbn_sync_engine_is_enrolled:
 * @self: an engine
 *
 * Returns: whether the logbook has a district server and a device token
 */
gboolean
pcmbn_sync_engine_is_enrolled (PcmbnSyncEngine *self)
{
  g_autofree char *token = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_TOKEN);
  return token != NULL;
}

typedef struct
{
  PcmbnSyncEngine *self;
  PcmbnSyncStatus status;
  char *message;
} StatusUpdate;

static gboolean
status_update_cb (gpointer user_data)
{
  StatusUpdate *u = user_data;

  u->self->status = u->status;
  g_free (u->self->message);
  u->self->message = g_steal_pointer (&u->message);
  g_object_notify_by_pspec (G_OBJECT (u->self), props[PROP_STATUS]);
  g_object_notify_by_pspec (G_OBJECT (u->self), props[PROP_MESSAGE]);
  g_object_unref (u->self);
  g_free (u);
  return G_SOURCE_REMOVE;
}

static void
set_status (PcmbnSyncEngine *self, PcmbnSyncStatus status, const char *message)
{
  StatusUpdate *u = g_new0 (StatusUpdate, 1);

  u->self = g_object_ref (self);
  u->status = status;
  u->message = g_strdup (message);
  pcmbn_invoke_in_context (self->context, self->owner, status_update_cb, u);
}

/* ---- HTTP ----------------------------------------------------------------- */

typedef struct
{
  SoupSession *session;
  char *base; /* scheme://host:port, no trailing slash */
  char *token;
  char *pin;       /* hex SHA-256 of the certificate enrolled with */
  char *seen_cert; /* the certificate of this connection */
  gboolean pin_failed;
  GCancellable *cancellable;
  gint64 clock_skew;
  char *generation; /* the server's, from its last answer */
} Http;

static void
http_clear (Http *h)
{
  g_clear_object (&h->session);
  g_free (h->base);
  g_free (h->token);
  g_free (h->pin);
  g_free (h->seen_cert);
  g_free (h->generation);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Http, http_clear)

static char *
normalize_url (const char *url, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *text = NULL;
  const char *scheme;

  if (url != NULL)
    uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("server: “%s” is not the address of a district server; write it such as "
                      "http://192.168.1.10:8470"),
                   url ? url : "");
      return NULL;
    }
  text = g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri), "",
                     NULL, NULL);
  return g_steal_pointer (&text);
}

static gboolean
accept_certificate_cb (SoupMessage *msg,
                       GTlsCertificate *cert,
                       GTlsCertificateFlags errors,
                       gpointer user_data)
{
  Http *h = user_data;
  g_autoptr (GByteArray) der = NULL;

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return FALSE;
  g_free (h->seen_cert);
  h->seen_cert = pcmbn_sha256_hex (der->data, der->len);
  /* A district server on the LAN has its own certificate: it is trusted
   * on first use, at enrolment, and must stay the same afterwards. */
  if (h->pin == NULL || g_str_equal (h->pin, h->seen_cert))
    return TRUE;
  h->pin_failed = TRUE;
  return FALSE;
}

static char *
server_message (GBytes *body)
{
  gsize len;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  g_autoptr (JsonNode) root = data ? pcmbn_wire_parse_json (data, len, NULL) : NULL;
  JsonObject *error;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  error = pcmbn_wire_get_object (json_node_get_object (root), "error");
  if (error == NULL || pcmbn_wire_get_string (error, "message") == NULL)
    return NULL;
  return g_strdup (pcmbn_wire_get_string (error, "message"));
}

/* Sends one request; returns the status (0 with @error set when no answer
 * came) and the body. */
static guint
http_send (
    Http *h, const char *method, const char *path, GBytes *body, GBytes **reply, GError **error)
{
  g_autofree char *url = g_strconcat (h->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) response = NULL;
  SoupMessageHeaders *headers;
  GDateTime *date = NULL;
  const char *date_text;

  if (msg == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("server: “%s” is not the address of a district server"), h->base);
      return 0;
    }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (h->token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", h->token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (body)
    {
      if (g_bytes_get_size (body) > GZIP_THRESHOLD)
        {
          gsize len;
          const void *data = g_bytes_get_data (body, &len);
          g_autoptr (GBytes) z = pcmbn_wire_gzip (data, len);
          soup_message_headers_replace (headers, "Content-Encoding", "gzip");
          soup_message_set_request_body_from_bytes (msg, "application/json", z);
        }
      else
        soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), h);
  response = soup_session_send_and_read (h->session, msg, h->cancellable, &local);
  if (response == NULL)
    {
      if (h->pin_failed)
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NETWORK,
                     _ ("The district server’s certificate is not the one this logbook enrolled "
                        "with. If the district office changed it, enrol again with a new code; "
                        "otherwise someone may be intercepting the connection. Nothing was sent."));
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NETWORK,
                     _ ("The sync was stopped. Nothing was lost; the next sync resumes."));
      else if (local->domain == G_TLS_ERROR)
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NETWORK,
                     _ ("Cannot make a secure connection to the district server at %s (%s). Check "
                        "the address; nothing was lost."),
                     h->base, local->message);
      else
        g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NETWORK,
                     _ ("Cannot reach the district server at %s (%s). Check the network connection "
                        "and the address; nothing was lost, and the next sync resumes where this "
                        "one stopped."),
                     h->base, local->message);
      return 0;
    }
  if (soup_message_headers_get_one (soup_message_get_response_headers (msg), "X-Pcmbn-Generation"))
    {
      g_free (h->generation);
      h->generation = g_strdup (soup_message_headers_get_one (
          soup_message_get_response_headers (msg), "X-Pcmbn-Generation"));
    }
  date_text = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Date");
  if (date_text)
    date = soup_date_time_new_from_http_string (date_text);
  if (date)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      h->clock_skew = g_date_time_difference (now, date) / G_TIME_SPAN_SECOND;
      g_date_time_unref (date);
    }
  *reply = g_steal_pointer (&response);
  return soup_message_get_status (msg);
}

static void
set_http_error (GError **error, guint status, GBytes *body, gboolean enrolling)
{
  g_autofree char *said = server_message (body);

  if (status == 401 && enrolling)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("The enrolment code was not accepted: it is wrong, was used already, or has "
                    "expired (codes last 7 days). Ask the district office for a new code."));
  else if (status == 401)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("The district server no longer accepts this device (it was revoked or is not "
                    "known there). Ask the district office for a new code and run “pcmbn enroll” "
                    "again. Nothing was lost."));
  else if (status == 429)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("Too many wrong codes were tried from this computer. Wait 10 minutes, then try "
                    "again with the right code."));
  else if (status == 403)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("The district server refused: %s"),
                 said ? said : _ ("this device may not send or read these records."));
  else if (status >= 500)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("The district server had an internal problem (HTTP %u). Try again later; "
                    "nothing was lost."),
                 status);
  else
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("The district server refused the request (HTTP %u): %s"), status,
                 said ? said : _ ("no reason given"));
}

static JsonObject *
reply_object (GBytes *body, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = pcmbn_wire_parse_json (data ? data : "", len, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The district server sent an answer this logbook cannot read. Is the address "
                      "really that of a PCMBN district server?"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
http_open (Http *h,
           PcmbnStore *store,
           const char *server_override,
           GCancellable *cancellable,
           GError **error)
{
  g_autofree char *server = server_override ? g_strdup (server_override)
                                            : pcmbn_store_get_meta (store, PCMBN_SYNC_META_SERVER);

  h->token = pcmbn_store_get_meta (store, PCMBN_SYNC_META_TOKEN);
  if (server == NULL || h->token == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("This logbook is not connected to a district server yet. Run “pcmbn enroll "
                      "--server URL --code CODE” with the code from the district office first."));
      return FALSE;
    }
  h->base = normalize_url (server, error);
  if (h->base == NULL)
    return FALSE;
  h->pin = pcmbn_store_get_meta (store, PCMBN_SYNC_META_CERT);
  h->cancellable = cancellable;
  h->session = soup_session_new ();
  soup_session_set_timeout (h->session, 120);
  soup_session_set_idle_timeout (h->session, 60);
  return TRUE;
}

/* ---- enrolment ------------------------------------------------------------ */

/**
 * pcmbn_sync_engine_enroll:
 * @self: an engine
 * @server_url: the district server, such as `http://192.168.1.10:8470`
 * @code: the one-time code from the district office
 * @device_name: (nullable): a name for this computer; the host name when %NULL
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Registers this logbook with the server. A logbook without a commune
 * becomes the logbook of the code's commune, and the next sync restores
 * that commune's records.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_sync_engine_enroll (PcmbnSyncEngine *self,
                          const char *server_url,
                          const char *code,
                          const char *device_name,
                          GCancellable *cancellable,
                          GError **error)
{
  g_auto (Http) h = { 0 };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body_node = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonObject) answer = NULL;
  const char *own = pcmbn_store_get_org_unit (self->store);
  const char *token, *device_id, *org_unit;
  JsonObject *reference;
  JsonArray *units;
  char *text;
  guint status;

  if (code == NULL || *code == '\0')
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("code: give the enrolment code from the district office"));
      return FALSE;
    }
  h.base = normalize_url (server_url, error);
  if (h.base == NULL)
    return FALSE;
  h.cancellable = cancellable;
  h.session = soup_session_new ();
  soup_session_set_timeout (h.session, 120);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "device_name");
  json_builder_add_string_value (b, device_name ? device_name : g_get_host_name ());
  if (own)
    {
      /* The server refuses, without using up the code, a code for another commune. */
      json_builder_set_member_name (b, "org_unit");
      json_builder_add_string_value (b, own);
    }
  json_builder_end_object (b);
  body_node = json_builder_get_root (b);
  text = json_to_string (body_node, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  g_mutex_lock (&self->mutex);
  status = http_send (&h, "POST", "/api/v1/enroll", body, &reply, error);
  g_mutex_unlock (&self->mutex);
  if (status == 0)
    return FALSE;
  if (status != 200)
    {
      set_http_error (error, status, reply, TRUE);
      return FALSE;
    }
  answer = reply_object (reply, error);
  if (answer == NULL)
    return FALSE;
  token = pcmbn_wire_get_string (answer, "token");
  device_id = pcmbn_wire_get_string (answer, "device_id");
  org_unit = pcmbn_wire_get_string (answer, "org_unit");
  if (token == NULL || device_id == NULL || org_unit == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The district server’s answer to the enrolment is incomplete."));
      return FALSE;
    }
  if (own && !g_str_equal (own, org_unit))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The code is for commune %s but this logbook belongs to %s. Ask the district "
                      "office for a code for %s."),
                   org_unit, own, own);
      return FALSE;
    }

  if (!pcmbn_store_begin (self->store, error))
    return FALSE;
  reference = pcmbn_wire_get_object (answer, "reference");
  units = reference ? pcmbn_wire_get_array (reference, "org_units") : NULL;
  if (own == NULL)
    {
      g_autoptr (GError) local = NULL;
      /* The bundled list when it knows the commune; else the server's. */
      if (!pcmbn_store_init_commune (self->store, org_unit, NULL, NULL, &local)
          && (!pcmbn_store_set_meta (self->store, "org_unit", org_unit, error)
              || !pcmbn_store_set_meta (self->store, "profile", "culture", error)))
        goto fail;
    }
  for (guint i = 0; units && i < json_array_get_length (units); i++)
    {
      JsonNode *node = json_array_get_element (units, i);
      if (JSON_NODE_HOLDS_OBJECT (node)
          && !pcmbn_store_sync_apply_unit (self->store, json_node_get_object (node), error))
        goto fail;
    }
  if (!pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_SERVER, h.base, error)
      || !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_TOKEN, token, error)
      || !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_DEVICE, device_id, error)
      || !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_CERT, h.seen_cert, error)
      || !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_CURSOR, "0", error))
    goto fail;
  return pcmbn_store_commit (self->store, error);

fail:
  pcmbn_store_rollback (self->store);
  return FALSE;
}

/* ---- push and pull -------------------------------------------------------- */

static gboolean
push_batch (PcmbnSyncEngine *self,
            Http *h,
            GPtrArray *items,
            gboolean *cut,
            PcmbnSyncStats *stats,
            GError **error)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonObject) answer = NULL;
  JsonArray *results;
  GString *text;
  gsize size = 16;
  guint status;

  /* The records are JSON text already (the outbox writes them): joined,
   * never parsed or serialized again. */
  for (guint i = 0; i < items->len; i++)
    size += ((PcmbnOutboxItem *)items->pdata[i])->size + 1;
  text = g_string_sized_new (size);
  g_string_append (text, "{\"records\":[");
  for (guint i = 0; i < items->len; i++)
    {
      PcmbnOutboxItem *item = items->pdata[i];
      if (i > 0)
        g_string_append_c (text, ',');
      g_string_append_len (text, item->record, item->size);
    }
  g_string_append (text, "]}");
  body = g_string_free_to_bytes (text);

  status = http_send (h, "POST", "/api/v1/sync/push", body, &reply, error);
  if (status == 0)
    return FALSE;
  if (status == 413 && items->len > 1)
    {
      /* Smaller batches, then. */
      *cut = TRUE;
      return TRUE;
    }
  if (status != 200)
    {
      set_http_error (error, status, reply, FALSE);
      return FALSE;
    }
  answer = reply_object (reply, error);
  if (answer == NULL)
    return FALSE;
  results = pcmbn_wire_get_array (answer, "results");
  if (results == NULL || json_array_get_length (results) != items->len)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The district server’s answer to the push does not match what was sent. "
                      "Nothing was lost; try again later."));
      return FALSE;
    }

  if (!pcmbn_store_begin (self->store, error))
    return FALSE;
  for (guint i = 0; i < items->len; i++)
    {
      PcmbnOutboxItem *item = items->pdata[i];
      JsonNode *node = json_array_get_element (results, i);
      JsonObject *result = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *state = result ? pcmbn_wire_get_string (result, "status") : NULL;
      gboolean ok = TRUE;

      /* Only an answer that names this very record counts. */
      if (result == NULL || g_strcmp0 (pcmbn_wire_get_string (result, "uuid"), item->uuid) != 0)
        continue;
      if (g_strcmp0 (state, "accepted") == 0 && pcmbn_wire_get_int (result, "version", 0) > 0)
        {
          ok = pcmbn_store_sync_mark_accepted (self->store, item->uuid, item->local_rev,
                                               pcmbn_wire_get_int (result, "version", 0), error);
          stats->pushed++;
        }
      else if (g_strcmp0 (state, "conflict") == 0 && pcmbn_wire_get_object (result, "server"))
        {
          ok = pcmbn_store_sync_mark_conflict (self->store, item->uuid,
                                               pcmbn_wire_get_object (result, "server"), error);
          stats->conflicts++;
        }
      else if (g_strcmp0 (state, "rejected") == 0)
        {
          JsonObject *e = pcmbn_wire_get_object (result, "error");
          const char *field = e ? pcmbn_wire_get_string (e, "field") : NULL;
          const char *message = e ? pcmbn_wire_get_string (e, "message") : NULL;
          g_autofree char *problem = g_strdup_printf (
              "%s%s%s", field ? field : "", field ? ": " : "",
              message ? message : _ ("refused by the district server"));
          ok = pcmbn_store_sync_mark_rejected (self->store, item->uuid, item->local_rev, problem,
                                               error);
          stats->rejected++;
        }
      if (!ok)
        {
          pcmbn_store_rollback (self->store);
          return FALSE;
        }
    }
  return pcmbn_store_commit (self->store, error);
}

static gboolean
push (PcmbnSyncEngine *self, Http *h, PcmbnSyncStats *stats, GError **error)
{
  g_autofree char *allow = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_CASE_NOTES);
  gboolean with_sensitive = g_strcmp0 (allow, "yes") == 0;
  gint64 after = 0;
  guint batch = PUSH_BATCH;

  for (;;)
    {
      g_autoptr (GPtrArray) items = pcmbn_store_sync_outbox (self->store, after, batch,
                                                             PUSH_MAX_BYTES, with_sensitive, error);
      gboolean cut = FALSE;

      if (items == NULL)
        return FALSE;
      if (items->len == 0)
        return TRUE;
      if (!push_batch (self, h, items, &cut, stats, error))
        return FALSE;
      if (cut)
        {
          batch = MAX (1, items->len / 2);
          continue;
        }
      after = ((PcmbnOutboxItem *)items->pdata[items->len - 1])->id;
    }
}

static gboolean
pull (PcmbnSyncEngine *self, Http *h, PcmbnSyncStats *stats, GError **error)
{
  for (;;)
    {
      g_autofree char *cursor_text = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_CURSOR);
      gint64 since = cursor_text ? g_ascii_strtoll (cursor_text, NULL, 10) : 0;
      g_autofree char *path = g_strdup_printf (
          "/api/v1/sync/pull?since=%" G_GINT64_FORMAT "&limit=%d", MAX (since, 0), PULL_LIMIT);
      g_autoptr (GBytes) reply = NULL;
      g_autoptr (JsonObject) answer = NULL;
      g_autofree char *next_text = NULL;
      JsonArray *changes;
      gint64 next;
      gboolean more;
      guint status;

      status = http_send (h, "GET", path, NULL, &reply, error);
      if (status == 0)
        return FALSE;
      if (status != 200)
        {
          set_http_error (error, status, reply, FALSE);
          return FALSE;
        }
      answer = reply_object (reply, error);
      if (answer == NULL)
        return FALSE;
      changes = pcmbn_wire_get_array (answer, "changes");
      next = pcmbn_wire_get_int (answer, "next", -1);
      more = pcmbn_wire_get_bool (answer, "more", FALSE);
      if (changes == NULL || next < 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("The district server sent changes this logbook cannot read."));
          return FALSE;
        }

      /* The page and the cursor after it are saved together. */
      if (!pcmbn_store_begin (self->store, error))
        return FALSE;
      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          JsonNode *node = json_array_get_element (changes, i);
          JsonObject *change = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          JsonObject *record = change ? pcmbn_wire_get_object (change, "record") : NULL;
          JsonObject *unit = change ? pcmbn_wire_get_object (change, "org_unit") : NULL;
          g_autoptr (GError) local = NULL;

          if (record)
            {
              PcmbnPullResult r = pcmbn_store_sync_apply_record (self->store, record, &local);
              if (local)
                {
                  pcmbn_store_rollback (self->store);
                  g_propagate_error (error, g_steal_pointer (&local));
                  return FALSE;
                }
              if (r == PCMBN_PULL_APPLIED)
                stats->pulled++;
              else if (r == PCMBN_PULL_CONFLICT)
                stats->conflicts++;
            }
          else if (unit && !pcmbn_store_sync_apply_unit (self->store, unit, error))
            {
              pcmbn_store_rollback (self->store);
              return FALSE;
            }
        }
      next_text = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (next, since));
      if (!pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_CURSOR, next_text, error))
        {
          pcmbn_store_rollback (self->store);
          return FALSE;
        }
      if (!pcmbn_store_commit (self->store, error))
        return FALSE;
      if (!more)
        return TRUE;
      if (next <= since)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("The district server keeps sending the same changes; try again later."));
          return FALSE;
        }
    }
}

/* A server restored from a backup answers with another generation than the
 * one this logbook knew, and lacks what was sent after the backup: send
 * every record again (the server keeps what it has, without duplicates) and
 * read its changes from the start. */
static gboolean
check_generation (PcmbnSyncEngine *self, Http *h, gboolean *restored, GError **error)
{
  g_autofree char *known = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_GENERATION);

  *restored = FALSE;
  if (h->generation == NULL || g_strcmp0 (known, h->generation) == 0)
    return TRUE;
  if (known == NULL)
    return pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_GENERATION, h->generation, error);
  if (!pcmbn_store_begin (self->store, error))
    return FALSE;
  if (!pcmbn_store_sync_resend_all (self->store, error)
      || !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_CURSOR, "0", error)
      || !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_GENERATION, h->generation, error))
    {
      pcmbn_store_rollback (self->store);
      return FALSE;
    }
  *restored = TRUE;
  return pcmbn_store_commit (self->store, error);
}

/**
 * pcmbn_sync_engine_sync:
 * @self: an engine
 * @server_override: (nullable): another server for this run only
 * @cancellable: (nullable): a cancellable
 * @stats: (out caller-allocates) (optional): what this run did
 * @error: return location for an error, in words for a commune officer
 *
 * Pushes the outbox, then pulls the commune's changes. Blocks: call it in
 * a worker thread, or use pcmbn_sync_engine_sync_async().
 *
 * Returns: %TRUE when the exchange completed (even with conflicts or
 *   rejections)
 */
gboolean
pcmbn_sync_engine_sync (PcmbnSyncEngine *self,
                        const char *server_override,
                        GCancellable *cancellable,
                        PcmbnSyncStats *stats,
                        GError **error)
{
  g_auto (Http) h = { 0 };
  PcmbnSyncStats local_stats = { 0 };
  g_autoptr (GError) local = NULL;
  gboolean ok, restored = FALSE;

  if (stats == NULL)
    stats = &local_stats;
  memset (stats, 0, sizeof *stats);
  if (!pcmbn_store_require_init (self->store, error))
    return FALSE;
  if (!http_open (&h, self->store, server_override, cancellable, error))
    return FALSE;
  g_mutex_lock (&self->mutex);
  set_status (self, PCMBN_SYNC_STATUS_RUNNING, NULL);
  ok = push (self, &h, stats, &local) && pull (self, &h, stats, &local)
       && check_generation (self, &h, &restored, &local)
       && (!restored || (push (self, &h, stats, &local) && pull (self, &h, stats, &local)));
  g_mutex_unlock (&self->mutex);
  stats->clock_skew = h.clock_skew;
  if (!ok)
    {
      set_status (self,
                  local->code == PCMBN_ERROR_NETWORK ? PCMBN_SYNC_STATUS_OFFLINE
                                                     : PCMBN_SYNC_STATUS_ERROR,
                  local->message);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  {
    g_autofree char *now = pcmbn_now_utc ();
    pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_LAST, now, NULL);
  }
  set_status (self, PCMBN_SYNC_STATUS_SYNCED, NULL);
  pcmbn_store_emit_changed (self->store, NULL);
  return TRUE;
}

/* ---- async ---------------------------------------------------------------- */

typedef struct
{
  char *server;
  char *code;
  char *device_name;
  PcmbnSyncStats stats;
} AsyncData;

static void
async_data_free (AsyncData *d)
{
  g_free (d->server);
  g_free (d->code);
  g_free (d->device_name);
  g_free (d);
}

static void
sync_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  GError *error = NULL;

  if (pcmbn_sync_engine_sync (source, d->server, cancellable, &d->stats, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * pcmbn_sync_engine_sync_async:
 * @self: an engine
 * @server_override: (nullable): another server for this run only
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_sync_engine_sync() in a worker thread.
 */
void
pcmbn_sync_engine_sync_async (PcmbnSyncEngine *self,
                              const char *server_override,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  d->server = g_strdup (server_override);
  g_task_set_source_tag (task, pcmbn_sync_engine_sync_async);
  g_task_set_task_data (task, d, (GDestroyNotify)async_data_free);
  g_task_run_in_thread (task, sync_thread);
}

/**
 * pcmbn_sync_engine_sync_finish:
 * @self: an engine
 * @result: the result
 * @stats: (out caller-allocates) (optional): what the run did
 * @error: return location for an error
 *
 * Returns: %TRUE when the exchange completed
 */
gboolean
pcmbn_sync_engine_sync_finish (PcmbnSyncEngine *self,
                               GAsyncResult *result,
                               PcmbnSyncStats *stats,
                               GError **error)
{
  AsyncData *d = g_task_get_task_data (G_TASK (result));

  if (stats)
    *stats = d->stats;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
enroll_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  GError *error = NULL;

  if (pcmbn_sync_engine_enroll (source, d->server, d->code, d->device_name, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * pcmbn_sync_engine_enroll_async:
 * @self: an engine
 * @server_url: the district server
 * @code: the one-time code
 * @device_name: (nullable): a name for this computer
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_sync_engine_enroll() in a worker thread.
 */
void
pcmbn_sync_engine_enroll_async (PcmbnSyncEngine *self,
                                const char *server_url,
                                const char *code,
                                const char *device_name,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  d->server = g_strdup (server_url);
  d->code = g_strdup (code);
  d->device_name = g_strdup (device_name);
  g_task_set_source_tag (task, pcmbn_sync_engine_enroll_async);
  g_task_set_task_data (task, d, (GDestroyNotify)async_data_free);
  g_task_run_in_thread (task, enroll_thread);
}

gboolean
pcmbn_sync_engine_enroll_finish (PcmbnSyncEngine *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
