/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <fcntl.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-sync-apply.h"
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
/* The most a server takes: fewer round trips and commits per restore. */
#define PULL_LIMIT 1000
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
  PcmbnSyncProgress progress;
  gpointer progress_data;
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
 * pcmbn_sync_engine_set_progress:
 * @self: an engine
 * @progress: (nullable) (scope notified): called after each batch sent and
 *   each page received, in the thread that syncs
 * @user_data: data for @progress
 *
 * For long syncs: `pcmbn sync` shows records done and the rate on a
 * terminal.
 */
void
pcmbn_sync_engine_set_progress (PcmbnSyncEngine *self,
                                PcmbnSyncProgress progress,
                                gpointer user_data)
{
  self->progress = progress;
  self->progress_data = user_data;
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

typedef struct _BlobFetch BlobFetch;
typedef struct _Http Http;
static gboolean blob_fetch_finish (Http *h, GError **error);

struct _Http
{
  SoupSession *session;
  char *base; /* scheme://host:port, no trailing slash */
  char *token;
  char *pin;       /* hex SHA-256 of the certificate enrolled with */
  char *seen_cert; /* the certificate of this connection */
  gboolean pin_failed;
  GCancellable *cancellable;
  gint64 clock_skew;
  /* Where a sync's time goes, for G_MESSAGES_DEBUG=pcmbn-sync (µs). */
  gint64 t_http, t_parse, t_store, t_join;
  guint n_requests;
  /* The first change the server made for this run's pushes: the pull after
   * them leaves out this device's own changes from there on. */
  gint64 mine_from;
  char *generation; /* the server's, from its last answer */
  BlobFetch *blobs; /* attachments being downloaded, if any */
};

static void
http_clear (Http *h)
{
  /* A sync stopped by a failure waits for the downloads it began. */
  blob_fetch_finish (h, NULL);
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
  /* Attachments download on several connections at once. */
  static GMutex lock;
  Http *h = user_data;
  g_autoptr (GByteArray) der = NULL;
  g_autoptr (GMutexLocker) locker = NULL;

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return FALSE;
  locker = g_mutex_locker_new (&lock);
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

/* A request body as it goes on the wire: gzip above a kilobyte. */
static GBytes *
encode_body (GBytes *body, gboolean *gzipped)
{
  gsize len;
  const void *data = g_bytes_get_data (body, &len);

  *gzipped = len > GZIP_THRESHOLD;
  return *gzipped ? pcmbn_wire_gzip (data, len) : g_bytes_ref (body);
}

static guint http_send_encoded (Http *h,
                                const char *method,
                                const char *path,
                                GBytes *body,
                                gboolean gzipped,
                                GBytes **reply,
                                GError **error);

/* Sends one request; returns the status (0 with @error set when no answer
 * came) and the body. */
static guint
http_send (
    Http *h, const char *method, const char *path, GBytes *body, GBytes **reply, GError **error)
{
  gboolean gzipped = FALSE;
  g_autoptr (GBytes) encoded = body ? encode_body (body, &gzipped) : NULL;

  return http_send_encoded (h, method, path, encoded, gzipped, reply, error);
}

/* The largest answer read: a pull page of a thousand big records is far
 * below it; a server that sends more is refused before it fills memory. */
#define REPLY_MAX (256 * 1024 * 1024)

/* A session for the district server, without libsoup's decoder: answers
 * are read whole, and pcmbn_wire_gunzip() (libdeflate) reads a pull page
 * three times faster than zlib, with a cap on what a small body becomes.
 * Attachments then go without Accept-Encoding, as they should. */
static SoupSession *
new_session (void)
{
  SoupSession *session = soup_session_new ();

  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  soup_session_set_timeout (session, 120);
  return session;
}

/* Why no answer came (@local, from libsoup), told as the person can act on
 * it. */
static void
set_send_error (Http *h, const GError *local, GError **error)
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
}

/* What http_send_encoded() notes in an #Http from each answer: a push
 * sends from two threads at once, and attachments from several. */
static GMutex answer_lock;

/* Like http_send(), with @body already encoded (encode_body()). Only the
 * sending touches @h: the push sends from threads of its own while the
 * calling thread works on the store (see push()). */
static guint
http_send_encoded (Http *h,
                   const char *method,
                   const char *path,
                   GBytes *body,
                   gboolean gzipped,
                   GBytes **reply,
                   GError **error)
{
  g_autofree char *url = g_strconcat (h->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) response = NULL;
  SoupMessageHeaders *headers;
  GDateTime *date = NULL;
  const char *date_text, *encoding;

  if (msg == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("server: “%s” is not the address of a district server"), h->base);
      return 0;
    }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_headers_replace (headers, "Accept-Encoding", "gzip");
  if (h->token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", h->token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (body)
    {
      if (gzipped)
        soup_message_headers_replace (headers, "Content-Encoding", "gzip");
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), h);
  {
    gint64 t = g_get_monotonic_time ();
    response = soup_session_send_and_read (h->session, msg, h->cancellable, &local);
    g_mutex_lock (&answer_lock);
    h->t_http += g_get_monotonic_time () - t;
    h->n_requests++;
    g_mutex_unlock (&answer_lock);
  }
  if (response == NULL)
    {
      set_send_error (h, local, error);
      return 0;
    }
  encoding = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                           "Content-Encoding");
  if (encoding && g_ascii_strcasecmp (encoding, "gzip") == 0)
    {
      GBytes *plain = pcmbn_wire_gunzip (response, REPLY_MAX, &local);
      if (plain == NULL)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NETWORK,
                       _ ("The district server at %s sent an answer this logbook cannot read "
                          "(%s). Nothing was lost; try again later."),
                       h->base, local->message);
          return 0;
        }
      g_bytes_unref (response);
      response = plain;
    }
  g_mutex_lock (&answer_lock);
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
  g_mutex_unlock (&answer_lock);
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

/* The answer in @body; with @spans, where its records' data lie in @body
 * (see pcmbn_json_fast_parse_spans()). */
static JsonObject *
reply_object_spans (GBytes *body, PcmbnJsonSpans **spans, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode)
      root = pcmbn_wire_parse_json_spans (data ? data : "", len, "data", spans, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The district server sent an answer this logbook cannot read. Is the address "
                      "really that of a PCMBN district server?"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
reply_object (GBytes *body, GError **error)
{
  return reply_object_spans (body, NULL, error);
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

  /* A copied database has a sealed token and no key: say so, not "not enrolled". */
  if (pcmbn_store_get_key_problem (store) != NULL)
    return pcmbn_store_require_key (store, error);
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
  h->session = new_session ();
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
  g_autoptr (GBytes) health = NULL;
  g_autoptr (JsonObject) about = NULL;
  const char *served = NULL;
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
  h.session = new_session ();

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

  /* The unit the server serves, so that the logbook can name it ("the
   * server of Hà Nội") rather than call every server a district's: since
   * July 2025 communes report straight to the city. Best effort. */
  g_mutex_lock (&self->mutex);
  status = http_send (&h, "GET", "/api/v1/health", NULL, &health, NULL);
  g_mutex_unlock (&self->mutex);
  if (status == 200 && (about = reply_object (health, NULL)))
    served = pcmbn_wire_get_string (about, "org_unit");

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
  /* Enrolled with another server before (a commune moved from a retired
   * district server to the city's): every record goes to the new one. */
  {
    g_autofree char *previous = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_SERVER);
    if (previous && !g_str_equal (previous, h.base)
        && !pcmbn_store_sync_resend_all (self->store, error))
      goto fail;
  }
  if (served && !pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_SERVER_UNIT, served, error))
    goto fail;
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

/* ---- attachments ---------------------------------------------------------- */

/* The meta key set while pulled records may name attachments this logbook
 * has not downloaded yet. */
#define META_BLOBS_PENDING "sync_blobs_pending"

/* Windows has no O_CLOEXEC, and only Windows has O_BINARY. */
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_BINARY
#define O_BINARY 0
#endif

/* An attachment is read from the answer this much at a time. */
#define BLOB_CHUNK (64 * 1024)

/* A request about a blob, without gzip (photos and scans do not shrink)
 * and with an optional Range. */
static SoupMessage *
blob_message_new (Http *h, const char *method, const char *sha, GBytes *body, const char *range)
{
  g_autofree char *url = g_strconcat (h->base, "/api/v1/blobs/", sha, NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", h->token, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (range)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);
  if (body)
    soup_message_set_request_body_from_bytes (msg, "application/octet-stream", body);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), h);
  return msg;
}

/* Notes a blob request's time since @start; attachments travel side by
 * side (blob_fetch_worker()). */
static void
blob_count (Http *h, gint64 start)
{
  g_mutex_lock (&answer_lock);
  h->t_http += g_get_monotonic_time () - start;
  h->n_requests++;
  g_mutex_unlock (&answer_lock);
}

/* One request about a blob, its answer read whole. Returns the status, 0
 * with @error set when no answer came. */
static guint
blob_send (
    Http *h, const char *method, const char *sha, GBytes *body, GBytes **reply, GError **error)
{
  g_autoptr (SoupMessage) msg = blob_message_new (h, method, sha, body, NULL);
  g_autoptr (GError) local = NULL;
  GBytes *response;
  gint64 t = g_get_monotonic_time ();

  response = soup_session_send_and_read (h->session, msg, h->cancellable, &local);
  blob_count (h, t);
  if (response == NULL)
    {
      set_send_error (h, local, error);
      return 0;
    }
  *reply = response;
  return soup_message_get_status (msg);
}

/* Adds to @shas the attachments a record's @data names, by hash. */
static void
add_attachment_shas (JsonObject *data, GHashTable *shas)
{
  JsonNode *list = data ? json_object_get_member (data, "attachments") : NULL;

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

/* The attachments a RECORD's JSON text names, by hash. */
static void
collect_blobs (const char *record, GHashTable *shas)
{
  g_autoptr (JsonParser) parser = NULL;

  /* Most records have none: no parse for them. */
  if (strstr (record, "\"sha256\"") == NULL)
    return;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, record, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  add_attachment_shas (
      pcmbn_wire_get_object (json_node_get_object (json_parser_get_root (parser)), "data"), shas);
}

/* Sends one attachment unless the server has it. One missing here
 * (deleted by hand) is left out. */
static gboolean
upload_blob (PcmbnSyncEngine *self, Http *h, const char *sha, GError **error)
{
  g_autofree char *path = pcmbn_attachments_path (self->store, sha);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GBytes) content = NULL;
  guint status;

  if (path == NULL || (file = g_mapped_file_new (path, FALSE, NULL)) == NULL)
    return TRUE;
  status = blob_send (h, "HEAD", sha, NULL, &reply, error);
  if (status == 0)
    return FALSE;
  if (status == 200)
    return TRUE;
  g_clear_pointer (&reply, g_bytes_unref);
  content = g_mapped_file_get_bytes (file);
  status = blob_send (h, "PUT", sha, content, &reply, error);
  if (status == 0)
    return FALSE;
  if (status != 200 && status != 201)
    {
      set_http_error (error, status, reply, FALSE);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      gssize w = write (fd, data, len);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      data += w;
      len -= (gsize)w;
    }
  return TRUE;
}

/* How many bytes the whole file has, by the answer's headers; -1 when they
 * do not say. */
static gint64
expected_size (SoupMessage *msg, gsize have)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  goffset start, end, size;

  /* A 206 must go on from the byte kept last, and say the whole size. */
  if (soup_message_get_status (msg) == 206)
    return soup_message_headers_get_content_range (headers, &start, &end, &size)
                   && start == (goffset)have && size > start
               ? size
               : -1;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    return soup_message_headers_get_content_length (headers);
  return -1;
}

static void
set_damaged_error (GError **error, const char *sha)
{
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
               _ ("An attachment (%.12s…) came from the district server damaged or not whole. "
                  "Nothing was lost; the next sync downloads it again."),
               sha);
}

/* Downloads one attachment into the store's folder. The bytes go to
 * SHA.part as they arrive, so a download cut short keeps what came and the
 * next try asks only for the rest (Range). The file takes its name only
 * once its hash is right and its bytes are on the disk; what is kept of a
 * cut download is checked by that same hash, so a damaged piece costs one
 * more download, never a wrong file. */
static gboolean
download_blob (PcmbnSyncEngine *self, Http *h, const char *sha, GError **error)
{
  g_autofree char *path = pcmbn_attachments_path (self->store, sha);
  g_autofree char *part = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *range = NULL;
  g_autofree char *hash = NULL;
  g_autofree guint8 *buf = NULL;
  g_autoptr (PcmbnSha256) digest = pcmbn_sha256_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) body = NULL;
  g_autoptr (GError) local = NULL;
  gsize have = 0;
  gint64 t = g_get_monotonic_time (), total;
  guint status;
  gboolean fits = TRUE;
  int fd;

  /* Not a hash, or here already. */
  if (path == NULL || g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  part = g_strconcat (path, ".part", NULL);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot create the folder %s: %s"),
                   dir, g_strerror (errno));
      return FALSE;
    }
  {
    g_autoptr (GMappedFile) kept = g_mapped_file_new (part, FALSE, NULL);
    if (kept)
      {
        have = g_mapped_file_get_length (kept);
        pcmbn_sha256_update (digest, g_mapped_file_get_contents (kept), have);
      }
  }
  if (have > 0)
    range = g_strdup_printf ("bytes=%" G_GSIZE_FORMAT "-", have);
  msg = blob_message_new (h, "GET", sha, NULL, range);
  body = soup_session_send (h->session, msg, h->cancellable, &local);
  if (body == NULL)
    {
      blob_count (h, t);
      set_send_error (h, local, error);
      return FALSE;
    }
  status = soup_message_get_status (msg);
  if (status == 404)
    {
      /* The device that sent the record did not have the file (deleted by
       * hand): there is nothing to fetch, now or later. */
      blob_count (h, t);
      return TRUE;
    }
  if (status == 416 || (status == 206 && expected_size (msg, have) < 0))
    {
      /* What is kept does not fit the server's file: the next sync starts
       * it again, the pending mark kept by this failure. */
      blob_count (h, t);
      g_unlink (part);
      set_damaged_error (error, sha);
      return FALSE;
    }
  if (status != 200 && status != 206)
    {
      g_autoptr (GBytes) reply = g_input_stream_read_bytes (body, 64 * 1024, NULL, NULL);
      blob_count (h, t);
      set_http_error (error, status, reply, FALSE);
      return FALSE;
    }
  fd = g_open (
      part, O_WRONLY | O_CREAT | O_CLOEXEC | O_BINARY | (status == 206 ? O_APPEND : O_TRUNC), 0600);
  if (fd < 0)
    {
      int err = errno;
      blob_count (h, t);
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot save the attachment %s: %s"),
                   part, g_strerror (err));
      return FALSE;
    }
  if (status == 200)
    {
      pcmbn_sha256_reset (digest);
      have = 0;
    }
  total = expected_size (msg, have);
  /* No server's answer may fill the disk: no attachment is larger. */
  fits = total <= PCMBN_WIRE_MAX_BLOB;
  buf = g_malloc (BLOB_CHUNK);
  while (fits)
    {
      gssize n = g_input_stream_read (body, buf, BLOB_CHUNK, h->cancellable, &local);

      if (n <= 0)
        break;
      have += (gsize)n;
      if (have > PCMBN_WIRE_MAX_BLOB)
        {
          fits = FALSE;
          break;
        }
      pcmbn_sha256_update (digest, buf, (gsize)n);
      if (!write_all (fd, buf, (gsize)n))
        {
          int err = errno;
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("Cannot save the attachment %s: %s"), part, g_strerror (err));
          close (fd);
          blob_count (h, t);
          return FALSE;
        }
    }
  blob_count (h, t);
  if (!fits)
    {
      close (fd);
      g_unlink (part);
      set_damaged_error (error, sha);
      return FALSE;
    }
  /* An end before the size the headers gave is a cut too, even when
   * libsoup reads it as the end of the answer. */
  if (local == NULL && total >= 0 && (gint64)have < total)
    g_set_error_literal (&local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                         _ ("the connection ended in the middle of an attachment"));
  if (local)
    {
      /* Cut short: what came is kept for the next try. */
      close (fd);
      set_send_error (h, local, error);
      return FALSE;
    }
  hash = pcmbn_sha256_finish_hex (digest);
  if (!g_str_equal (hash, sha))
    {
      /* Damaged or mixed with another: as above. */
      close (fd);
      g_unlink (part);
      set_damaged_error (error, sha);
      return FALSE;
    }
  /* The bytes are on the disk before the name says the file is whole; the
   * folder's entry follows once for all (sync_folder()). */
  if (g_fsync (fd) != 0 || close (fd) != 0 || g_rename (part, path) != 0)
    {
      int err = errno;
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot save the attachment %s: %s"),
                   path, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

/* The names download_blob() gave reach the disk: one fsync of the folder
 * for all the files, each of whose bytes are on the disk already. Until
 * then the pending mark stays, so a name lost in a crash is downloaded
 * again. Best effort, as GLib's own: not every file system syncs a
 * folder. */
static void
sync_folder (PcmbnStore *store)
{
#ifndef G_OS_WIN32
  g_autofree char *dir = pcmbn_attachments_dir (store);
  int fd = g_open (dir, O_RDONLY | O_CLOEXEC, 0);

  if (fd >= 0)
    {
      g_fsync (fd);
      close (fd);
    }
#endif
}

/* Attachments travel on a few connections side by side: each is a request
 * of its own, and one after another most of their time went to waiting
 * for the next answer. Downloads start as soon as a pulled page names them,
 * while the next pages are still being written. Each file is checked and
 * named on its own, so the order they finish in does not matter. */
#define BLOB_WORKERS 4

/* What is done with one attachment: download_blob() or upload_blob(). */
typedef gboolean (*BlobJob) (PcmbnSyncEngine *self, Http *h, const char *sha, GError **error);

struct _BlobFetch
{
  PcmbnSyncEngine *self;
  Http *h;
  BlobJob job;
  GAsyncQueue *queue; /* of hashes, then one blob_fetch_end per worker */
  GHashTable *queued; /* the hashes given already; the giving thread's */
  GThread *workers[BLOB_WORKERS];
  guint n_workers;
  GMutex lock;
  GCond changed; /* signalled with @lock as each is done */
  guint done;    /* under @lock */
  GError *error; /* the first failure; the others stop after their file */
};

/* What tells a worker that no more hashes come. */
static char blob_fetch_end[] = "end";

static gpointer
blob_fetch_worker (gpointer data)
{
  BlobFetch *f = data;

  for (;;)
    {
      g_autofree char *sha = g_async_queue_pop (f->queue);
      GError *local = NULL;
      gboolean stop;

      if (sha == blob_fetch_end)
        {
          g_steal_pointer (&sha);
          return NULL;
        }
      g_mutex_lock (&f->lock);
      stop = f->error != NULL;
      g_mutex_unlock (&f->lock);
      /* After a failure the rest is only taken off the queue. */
      if (!stop)
        f->job (f->self, f->h, sha, &local);
      g_mutex_lock (&f->lock);
      if (local && f->error == NULL)
        f->error = g_steal_pointer (&local);
      g_clear_error (&local);
      f->done++;
      g_cond_signal (&f->changed);
      g_mutex_unlock (&f->lock);
    }
}

static BlobFetch *
blob_fetch_new (PcmbnSyncEngine *self, Http *h, BlobJob job, guint n_workers)
{
  BlobFetch *f = g_new0 (BlobFetch, 1);

  f->self = self;
  f->h = h;
  f->job = job;
  f->queue = g_async_queue_new ();
  f->queued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&f->lock);
  g_cond_init (&f->changed);
  f->n_workers = CLAMP (n_workers, 1, BLOB_WORKERS);
  for (guint w = 0; w < f->n_workers; w++)
    f->workers[w] = g_thread_new ("pcmbn-blobs", blob_fetch_worker, f);
  return f;
}

/* Gives the workers one attachment, once. */
static void
blob_fetch_add (BlobFetch *f, const char *sha)
{
  if (g_hash_table_add (f->queued, g_strdup (sha)))
    g_async_queue_push (f->queue, g_strdup (sha));
}

/* Gives the workers every hash in @shas, once each. */
static void
blob_fetch_add_all (BlobFetch *f, GHashTable *shas)
{
  GHashTableIter iter;
  gpointer sha;

  g_hash_table_iter_init (&iter, shas);
  while (g_hash_table_iter_next (&iter, &sha, NULL))
    blob_fetch_add (f, sha);
}

/* Waits for every attachment given, and frees @f. Returns %FALSE with
 * @error set when one failed (the others were still tried). */
static gboolean
blob_fetch_join (BlobFetch *f, GError **error)
{
  GError *failure;

  if (f == NULL)
    return TRUE;
  /* The downloads say how far they are; an upload is part of its batch. */
  if (f->self->progress && f->job == download_blob)
    {
      guint total = g_hash_table_size (f->queued);

      g_mutex_lock (&f->lock);
      while (f->done < total)
        {
          guint done = f->done;

          g_mutex_unlock (&f->lock);
          f->self->progress (PCMBN_SYNC_PHASE_ATTACHMENTS, done, total, f->self->progress_data);
          g_mutex_lock (&f->lock);
          while (f->done == done)
            g_cond_wait (&f->changed, &f->lock);
        }
      g_mutex_unlock (&f->lock);
      f->self->progress (PCMBN_SYNC_PHASE_ATTACHMENTS, total, total, f->self->progress_data);
    }
  for (guint w = 0; w < f->n_workers; w++)
    g_async_queue_push (f->queue, blob_fetch_end);
  for (guint w = 0; w < f->n_workers; w++)
    g_thread_join (f->workers[w]);
  if (f->job == download_blob)
    sync_folder (f->self->store);
  failure = f->error;
  g_async_queue_unref (f->queue);
  g_hash_table_unref (f->queued);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->changed);
  g_free (f);
  if (failure)
    {
      g_propagate_error (error, failure);
      return FALSE;
    }
  return TRUE;
}

/* Waits for the downloads under way, if any. */
static gboolean
blob_fetch_finish (Http *h, GError **error)
{
  return blob_fetch_join (g_steal_pointer (&h->blobs), error);
}

/* The sync's downloads; the workers start with the first asked for. */
static BlobFetch *
blob_downloads (PcmbnSyncEngine *self, Http *h)
{
  if (h->blobs == NULL)
    h->blobs = blob_fetch_new (self, h, download_blob, BLOB_WORKERS);
  return h->blobs;
}

/* Sends the attachments of a batch before its records, so that the server
 * never holds a record whose attachment it lacks. One the server has is
 * not sent again. */
static gboolean
upload_blobs (PcmbnSyncEngine *self, Http *h, GPtrArray *items, GError **error)
{
  g_autoptr (GHashTable) shas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  BlobFetch *f;

  for (guint i = 0; i < items->len; i++)
    collect_blobs (((PcmbnOutboxItem *)items->pdata[i])->record, shas);
  if (g_hash_table_size (shas) == 0)
    return TRUE;
  f = blob_fetch_new (self, h, upload_blob, g_hash_table_size (shas));
  blob_fetch_add_all (f, shas);
  return blob_fetch_join (f, error);
}

/* Asks for the attachments a pulled page's records name. */
static void
blob_fetch_page (PcmbnSyncEngine *self, Http *h, JsonArray *changes)
{
  g_autoptr (GHashTable) shas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonNode *node = json_array_get_element (changes, i);
      JsonObject *record = JSON_NODE_HOLDS_OBJECT (node)
                               ? pcmbn_wire_get_object (json_node_get_object (node), "record")
                               : NULL;
      if (record)
        add_attachment_shas (pcmbn_wire_get_object (record, "data"), shas);
    }
  if (g_hash_table_size (shas) > 0)
    blob_fetch_add_all (blob_downloads (self, h), shas);
}

/* After a pull that applied records: the attachments they name that are
 * not here yet. */
static gboolean
download_blobs (PcmbnSyncEngine *self, Http *h, GError **error)
{
  g_autofree char *pending = pcmbn_store_get_meta (self->store, META_BLOBS_PENDING);
  sqlite3_stmt *stmt;

  /* Those the pages named, under way since. */
  if (!blob_fetch_finish (h, error))
    return FALSE;
  if (pending == NULL)
    return TRUE;
  /* And any an earlier sync could not have. */
  pcmbn_store_lock (self->store);
  if (sqlite3_prepare_v2 (pcmbn_store_get_db (self->store),
                          "SELECT DISTINCT json_extract (j.value, '$.sha256') FROM records,"
                          " json_each (records.data, '$.attachments') j WHERE records.data LIKE"
                          " '%\"sha256\"%'",
                          -1, &stmt, NULL)
      == SQLITE_OK)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *sha = (const char *)sqlite3_column_text (stmt, 0);
          g_autofree char *path = sha ? pcmbn_attachments_path (self->store, sha) : NULL;
          if (path && !g_file_test (path, G_FILE_TEST_EXISTS))
            blob_fetch_add (blob_downloads (self, h), sha);
        }
      sqlite3_finalize (stmt);
    }
  pcmbn_store_unlock (self->store);
  if (!blob_fetch_finish (h, error))
    return FALSE;
  return pcmbn_store_set_meta (self->store, META_BLOBS_PENDING, NULL, error);
}

/* ---- push and pull -------------------------------------------------------- */

/* One batch of the outbox, with its body as it goes on the wire. */
typedef struct
{
  GPtrArray *items; /* (element-type PcmbnOutboxItem) */
  gint64 after;     /* the outbox position it was read from */
  GBytes *body;
  gboolean gzipped;
  /* Set by the sending thread; read once answered (see sender_wait()). */
  Http *h;
  guint status;
  GBytes *reply;
  GError *error;
  gboolean answered; /* under the sender's lock */
} PushBatch;

static void
push_batch_free (PushBatch *b)
{
  if (b == NULL)
    return;
  g_ptr_array_unref (b->items);
  g_clear_pointer (&b->body, g_bytes_unref);
  g_clear_pointer (&b->reply, g_bytes_unref);
  g_clear_error (&b->error);
  g_free (b);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushBatch, push_batch_free)

/* The next batch of the outbox after @after, encoded; no items when the
 * outbox is empty. */
static PushBatch *
push_batch_read (
    PcmbnSyncEngine *self, gint64 after, guint max_records, gboolean with_sensitive, GError **error)
{
  g_autoptr (PushBatch) b = g_new0 (PushBatch, 1);
  g_autoptr (GBytes) plain = NULL;
  GString *text;
  gsize size = 16;

  b->after = after;
  b->items = pcmbn_store_sync_outbox (self->store, after, max_records, PUSH_MAX_BYTES,
                                      with_sensitive, error);
  if (b->items == NULL)
    return NULL;
  if (b->items->len == 0)
    return g_steal_pointer (&b);
  /* The records are JSON text already (the outbox writes them): joined,
   * never parsed or serialized again. */
  for (guint i = 0; i < b->items->len; i++)
    size += ((PcmbnOutboxItem *)b->items->pdata[i])->size + 1;
  text = g_string_sized_new (size);
  g_string_append (text, "{\"records\":[");
  for (guint i = 0; i < b->items->len; i++)
    {
      PcmbnOutboxItem *item = b->items->pdata[i];
      if (i > 0)
        g_string_append_c (text, ',');
      g_string_append_len (text, item->record, item->size);
    }
  g_string_append (text, "]}");
  plain = g_string_free_to_bytes (text);
  b->body = encode_body (plain, &b->gzipped);
  return g_steal_pointer (&b);
}

/* How many batches of a push may be on their way at once. While the
 * server stores one batch, the next is already there, read and prepared
 * by the server's other core, and waits only for the write turn; the
 * server's answer, the flush of its commit and the next request no longer
 * come one after the other. */
#define PUSH_IN_FLIGHT 2

/* The threads that send the batches of one push, one batch each at a
 * time (libsoup 3.2 sends from any thread). */
typedef struct
{
  GMutex lock;
  GCond cond;
  GQueue todo; /* PushBatch to send, oldest first */
  GThread *threads[PUSH_IN_FLIGHT];
  gboolean quit;
} Sender;

static gpointer
sender_thread (gpointer data)
{
  Sender *sender = data;

  g_mutex_lock (&sender->lock);
  for (;;)
    {
      PushBatch *b;

      while (!sender->quit && g_queue_is_empty (&sender->todo))
        g_cond_wait (&sender->cond, &sender->lock);
      if (g_queue_is_empty (&sender->todo))
        break;
      b = g_queue_pop_head (&sender->todo);
      g_mutex_unlock (&sender->lock);
      b->status = http_send_encoded (b->h, "POST", "/api/v1/sync/push", b->body, b->gzipped,
                                     &b->reply, &b->error);
      g_mutex_lock (&sender->lock);
      b->answered = TRUE;
      g_cond_broadcast (&sender->cond);
    }
  g_mutex_unlock (&sender->lock);
  return NULL;
}

/* Every batch sent was waited for (sender_wait()) before this. */
static void
sender_stop (Sender *sender)
{
  if (sender->threads[0] == NULL)
    return;
  g_mutex_lock (&sender->lock);
  sender->quit = TRUE;
  g_cond_broadcast (&sender->cond);
  g_mutex_unlock (&sender->lock);
  for (guint i = 0; i < PUSH_IN_FLIGHT && sender->threads[i]; i++)
    g_thread_join (g_steal_pointer (&sender->threads[i]));
  g_mutex_clear (&sender->lock);
  g_cond_clear (&sender->cond);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sender, sender_stop)

static void
sender_send (Sender *sender, PushBatch *b)
{
  if (sender->threads[0] == NULL)
    {
      g_mutex_init (&sender->lock);
      g_cond_init (&sender->cond);
      g_queue_init (&sender->todo);
      for (guint i = 0; i < PUSH_IN_FLIGHT; i++)
        sender->threads[i] = g_thread_new ("pcmbn-push", sender_thread, sender);
    }
  g_mutex_lock (&sender->lock);
  g_queue_push_tail (&sender->todo, b);
  g_cond_broadcast (&sender->cond);
  g_mutex_unlock (&sender->lock);
}

/* Waits for the server's answer to @b, sent with sender_send(). */
static void
sender_wait (Sender *sender, PushBatch *b)
{
  g_mutex_lock (&sender->lock);
  while (!b->answered)
    g_cond_wait (&sender->cond, &sender->lock);
  g_mutex_unlock (&sender->lock);
}

/* Whether a record of @b names one of the batches in @in_flight: then @b
 * waits for their answers, so that the server has stored what it names
 * (two batches on their way may be stored in either order). */
static gboolean
names_in_flight (PushBatch *b, GQueue *in_flight)
{
  g_autoptr (GHashTable) sent = NULL;

  for (guint i = 0; i < b->items->len; i++)
    {
      PcmbnOutboxItem *item = b->items->pdata[i];

      for (guint r = 0; item->refs && item->refs[r]; r++)
        {
          if (sent == NULL)
            {
              sent = g_hash_table_new (g_str_hash, g_str_equal);
              for (GList *l = in_flight->head; l; l = l->next)
                {
                  GPtrArray *items = ((PushBatch *)l->data)->items;
                  for (guint k = 0; k < items->len; k++)
                    g_hash_table_add (sent, ((PcmbnOutboxItem *)items->pdata[k])->uuid);
                }
            }
          if (g_hash_table_contains (sent, item->refs[r]))
            return TRUE;
        }
    }
  return FALSE;
}

/* The server's answer to @b; %NULL with *@cut set when the batch was too
 * large for it, %NULL with @error set when it failed. */
static JsonObject *
push_answer (Http *h, PushBatch *b, gboolean *cut, GError **error)
{
  JsonObject *answer;
  gint64 t;

  if (b->status == 0)
    {
      g_propagate_error (error, g_steal_pointer (&b->error));
      return NULL;
    }
  if (b->status == 413 && b->items->len > 1)
    {
      *cut = TRUE; /* smaller batches, then */
      return NULL;
    }
  if (b->status != 200)
    {
      set_http_error (error, b->status, b->reply, FALSE);
      return NULL;
    }
  t = g_get_monotonic_time ();
  answer = reply_object (b->reply, error);
  h->t_parse += g_get_monotonic_time () - t;
  if (answer)
    {
      gint64 first = pcmbn_wire_get_int (answer, "first_seq", 0);
      if (first > 0 && (h->mine_from == 0 || first < h->mine_from))
        h->mine_from = first;
    }
  return answer;
}

/* Marks the records of @b as @answer says. */
static gboolean
push_apply (PcmbnSyncEngine *self,
            Http *h,
            PushBatch *b,
            JsonObject *answer,
            PcmbnSyncStats *stats,
            GError **error)
{
  g_autofree PcmbnSentRecord *sent = g_new (PcmbnSentRecord, b->items->len);
  gint64 t = g_get_monotonic_time ();

  for (guint i = 0; i < b->items->len; i++)
    {
      PcmbnOutboxItem *item = b->items->pdata[i];
      sent[i] = (PcmbnSentRecord){ item->uuid, item->local_rev };
    }
  /* Relaxed: an answer lost to a power cut leaves the records in the
   * outbox, and the server answers them again, the same way, next time. */
  if (!pcmbn_store_begin_relaxed (self->store, error))
    return FALSE;
  if (!pcmbn_sync_apply_results (self->store, sent, b->items->len,
                                 pcmbn_wire_get_array (answer, "results"), stats, error))
    {
      pcmbn_store_rollback (self->store);
      return FALSE;
    }
  if (!pcmbn_store_commit (self->store, error))
    return FALSE;
  h->t_store += g_get_monotonic_time () - t;
  return TRUE;
}

/* The outbox in batches, up to PUSH_IN_FLIGHT on their way at once; a
 * batch that names a record of one on its way waits for its answer. While
 * the server stores them, this thread marks the answer to the batch
 * before and reads and compresses the one after. Any failure waits for
 * the batches on their way and marks what was answered. */
static gboolean
push (PcmbnSyncEngine *self, Http *h, PcmbnSyncStats *stats, GError **error)
{
  g_autofree char *allow = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_CASE_NOTES);
  gboolean with_sensitive = g_strcmp0 (allow, "yes") == 0;
  guint batch = PUSH_BATCH;
  guint total = self->progress ? (guint)pcmbn_store_count_dirty (self->store) : 0;
  g_autoptr (PushBatch) next = push_batch_read (self, 0, batch, with_sensitive, error);
  g_autoptr (PushBatch) done = NULL; /* answered, not marked yet */
  g_autoptr (JsonObject) done_answer = NULL;
  g_autoptr (GError) failure = NULL;
  GQueue in_flight = G_QUEUE_INIT; /* PushBatch, oldest first */
  g_auto (Sender) sender = { 0 };

  if (next == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr (PushBatch) cur = NULL;
      g_autoptr (JsonObject) answer = NULL;
      gboolean cut = FALSE;

      while (failure == NULL && next->items->len > 0 && in_flight.length < PUSH_IN_FLIGHT
             && (in_flight.length == 0 || !names_in_flight (next, &in_flight)))
        {
          PcmbnOutboxItem *last = next->items->pdata[next->items->len - 1];

          if (!upload_blobs (self, h, next->items, &failure))
            break;
          next->h = h;
          sender_send (&sender, next);
          g_queue_push_tail (&in_flight, g_steal_pointer (&next));
          next = push_batch_read (self, last->id, batch, with_sensitive, &failure);
        }
      if (done)
        {
          /* What was answered is marked, whatever failed since. */
          GError **apply_error = failure ? NULL : &failure;
          if (push_apply (self, h, done, done_answer, stats, apply_error) && self->progress)
            self->progress (PCMBN_SYNC_PHASE_PUSH,
                            stats->pushed + stats->conflicts + stats->rejected, total,
                            self->progress_data);
          g_clear_pointer (&done, push_batch_free);
          g_clear_pointer (&done_answer, json_object_unref);
        }
      /* While the server stores the batches on their way: the rows marked
       * clean so far go into the database, rather than all of them after
       * the last answer. */
      if (failure == NULL)
        pcmbn_store_copy_log (self->store);
      if (g_queue_is_empty (&in_flight))
        break;
      cur = g_queue_pop_head (&in_flight);
      sender_wait (&sender, cur);
      answer = push_answer (h, cur, &cut, failure ? NULL : &failure);
      if (cut && failure == NULL)
        {
          /* Too large for the server: once the batches after it are
           * answered and marked, the same records again in smaller
           * batches. */
          while (!g_queue_is_empty (&in_flight))
            {
              g_autoptr (PushBatch) later = g_queue_pop_head (&in_flight);
              g_autoptr (JsonObject) later_answer = NULL;
              gboolean later_cut = FALSE;

              sender_wait (&sender, later);
              later_answer = push_answer (h, later, &later_cut, NULL);
              if (later_answer)
                push_apply (self, h, later, later_answer, stats, NULL);
            }
          batch = MAX (1, cur->items->len / 2);
          g_clear_pointer (&next, push_batch_free);
          next = push_batch_read (self, cur->after, batch, with_sensitive, &failure);
          continue;
        }
      if (answer)
        {
          done = g_steal_pointer (&cur);
          done_answer = g_steal_pointer (&answer);
        }
    }
  if (failure)
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  return TRUE;
}

/* One page of a pull, asked and read in a thread of its own while the
 * page before it is written: the server makes the next page, and this
 * process parses it, during the store's work instead of after it. Only
 * the sending API of the session is used from the thread (allowed since
 * libsoup 3.2), and the thread alone touches @h until it is joined. */
typedef struct _PullPage
{
  Http *h;
  char *path;
  gint64 since;
  guint status;
  GBytes *reply;
  JsonObject *answer;
  PcmbnJsonSpans *spans; /* where the records' data lie in @reply */
  GError *error;
  GThread *thread;
  struct _PullPage *garbage; /* a page written already, freed by this page's thread */
} PullPage;

static char *
pull_path (Http *h, gint64 since)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sync/pull?since=%" G_GINT64_FORMAT "&limit=%d",
                                           MAX (since, 0), PULL_LIMIT);

  /* Not the echo of what this run pushed: the server leaves out this
   * device's own changes from mine_from on. */
  if (h->mine_from > 0)
    return g_strdup_printf ("%s&mine_from=%" G_GINT64_FORMAT, path, h->mine_from);
  return g_steal_pointer (&path);
}

static void pull_page_free (PullPage *page);

static gpointer
pull_page_fetch (gpointer data)
{
  PullPage *page = data;
  gint64 t;

  /* The trees of a page of a thousand records took a tenth of a restore's
   * time to free on the thread that writes; freed here instead, where the
   * same thread allocates (another thread freeing them would contend for
   * this one's malloc arena). */
  g_clear_pointer (&page->garbage, pull_page_free);
  page->status = http_send (page->h, "GET", page->path, NULL, &page->reply, &page->error);
  if (page->status != 200)
    return NULL;
  t = g_get_monotonic_time ();
  page->answer = reply_object_spans (page->reply, &page->spans, &page->error);
  page->h->t_parse += g_get_monotonic_time () - t;
  return NULL;
}

static PullPage *
pull_page_start (Http *h, gint64 since, gboolean in_thread, PullPage *garbage)
{
  PullPage *page = g_new0 (PullPage, 1);

  page->h = h;
  page->garbage = garbage;
  page->since = since;
  page->path = pull_path (h, since);
  if (in_thread)
    page->thread = g_thread_new ("pcmbn-pull", pull_page_fetch, page);
  else
    pull_page_fetch (page);
  return page;
}

/* Waits for the page; the caller owns it from then on. */
static PullPage *
pull_page_join (PullPage *page)
{
  if (page->thread)
    g_thread_join (g_steal_pointer (&page->thread));
  return page;
}

static void
pull_page_free (PullPage *page)
{
  if (page == NULL)
    return;
  pull_page_join (page);
  g_clear_pointer (&page->garbage, pull_page_free);
  g_free (page->path);
  g_clear_pointer (&page->reply, g_bytes_unref);
  g_clear_pointer (&page->answer, json_object_unref);
  g_clear_pointer (&page->spans, pcmbn_json_spans_free);
  g_clear_error (&page->error);
  g_free (page);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PullPage, pull_page_free)

static gint64
pull_cursor (PcmbnSyncEngine *self)
{
  g_autofree char *cursor_text = pcmbn_store_get_meta (self->store, PCMBN_SYNC_META_CURSOR);

  return cursor_text ? g_ascii_strtoll (cursor_text, NULL, 10) : 0;
}

static gboolean
pull_pages (PcmbnSyncEngine *self, Http *h, PcmbnSyncStats *stats, GError **error)
{
  guint received = 0, attached = stats->pulled_attachments;
  g_autoptr (PullPage) ahead = NULL;
  g_autoptr (PullPage) done = NULL;

  for (;;)
    {
      gint64 since = pull_cursor (self);
      g_autoptr (PullPage) page = NULL;
      JsonArray *changes;
      gint64 next, t;
      gboolean more;

      /* The page asked for ahead is used only when it starts where the
       * store's cursor now is. */
      if (ahead && ahead->since == since)
        {
          gint64 tj = g_get_monotonic_time ();
          page = pull_page_join (g_steal_pointer (&ahead));
          h->t_join += g_get_monotonic_time () - tj;
        }
      else
        {
          g_clear_pointer (&ahead, pull_page_free);
          page = pull_page_start (h, since, FALSE, NULL);
        }
      if (page->status == 0)
        {
          g_propagate_error (error, g_steal_pointer (&page->error));
          return FALSE;
        }
      if (page->status != 200)
        {
          set_http_error (error, page->status, page->reply, FALSE);
          return FALSE;
        }
      if (page->answer == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&page->error));
          return FALSE;
        }
      changes = pcmbn_wire_get_array (page->answer, "changes");
      next = pcmbn_wire_get_int (page->answer, "next", -1);
      more = pcmbn_wire_get_bool (page->answer, "more", FALSE);
      if (changes == NULL || next < 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("The district server sent changes this logbook cannot read."));
          return FALSE;
        }
      /* The next page is asked for now, and written after this one. */
      if (more && next > since)
        ahead = pull_page_start (h, next, TRUE, g_steal_pointer (&done));

      /* The page and the cursor after it are saved together. Relaxed: a
       * page lost to a power cut takes its cursor with it, and comes again
       * at the next sync; applying a change twice changes nothing. */
      t = g_get_monotonic_time ();
      /* Onto a store without records (a restore), the pages go into the
       * file itself, each commit waiting for the disk, instead of into the
       * log, fsynced and copied into the file once more at the end: that
       * copy was a third of a restore (10,000 activities: the log's 32 MB
       * synced, copied and the file synced, 0.3 s of 0.9 s). */
      if (since == 0)
        pcmbn_store_set_write_direct (self->store, TRUE);
      if (!pcmbn_store_begin_relaxed (self->store, error))
        return FALSE;
      /* A new device's first page: a restore, loaded in bulk. */
      if ((since == 0 && !pcmbn_store_bulk_begin (self->store, error))
          || !pcmbn_sync_apply_changes (self->store, changes, page->spans, since, next, stats,
                                        error)
          || (stats->pulled_attachments > 0
              && !pcmbn_store_set_meta (self->store, META_BLOBS_PENDING, "1", error))
          || (!more && !pcmbn_store_bulk_end (self->store, error)))
        {
          pcmbn_store_rollback (self->store);
          return FALSE;
        }
      if (!pcmbn_store_commit (self->store, error))
        return FALSE;
      h->t_store += g_get_monotonic_time () - t;
      if (stats->pulled_attachments > attached)
        blob_fetch_page (self, h, changes);
      attached = stats->pulled_attachments;
      received += json_array_get_length (changes);
      g_clear_pointer (&done, pull_page_free);
      done = g_steal_pointer (&page);
      if (self->progress)
        self->progress (PCMBN_SYNC_PHASE_PULL, received, 0, self->progress_data);
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

static gboolean
pull (PcmbnSyncEngine *self, Http *h, PcmbnSyncStats *stats, GError **error)
{
  gboolean ok = pull_pages (self, h, stats, error);

  /* A restore's direct writes (see pull_pages()) end with it, whatever
   * stopped it. */
  pcmbn_store_set_write_direct (self->store, FALSE);
  return ok;
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
  /* The first generation seen, with this sync's other bookkeeping:
   * relaxed like the pages and acknowledgements it follows, and made
   * durable with them by the checkpoint that ends the sync (a new device
   * waited for the disk here once more). */
  if (known == NULL)
    {
      if (!pcmbn_store_begin_relaxed (self->store, error))
        return FALSE;
      if (!pcmbn_store_set_meta (self->store, PCMBN_SYNC_META_GENERATION, h->generation, error))
        {
          pcmbn_store_rollback (self->store);
          return FALSE;
        }
      return pcmbn_store_commit (self->store, error);
    }
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
  /* The log is copied into the database once, after the sync. */
  pcmbn_store_set_long_write (self->store, TRUE);
  ok = push (self, &h, stats, &local) && pull (self, &h, stats, &local)
       && check_generation (self, &h, &restored, &local)
       && (!restored || (push (self, &h, stats, &local) && pull (self, &h, stats, &local)))
       && download_blobs (self, &h, &local);
  pcmbn_store_set_long_write (self->store, FALSE);
  g_mutex_unlock (&self->mutex);
  g_debug ("sync: %u requests, %.3f s waiting for them, %.3f s reading answers, %.3f s storing,"
           " %.3f s waiting for pages read ahead",
           h.n_requests, h.t_http / 1e6, h.t_parse / 1e6, h.t_store / 1e6, h.t_join / 1e6);
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
