/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef PCMBN_MIMALLOC
#include <mimalloc.h>
#endif
#include <stdio.h>
#include <string.h>

#include "pcmbn-district-api.h"
#include "server/pcmbn-district-backup.h"
#include "server/pcmbn-district-checkpointer.h"
#include "pcmbn-district-gate.h"
#include "pcmbn-district-server.h"
#include "pcmbn-district-throttle.h"
#include "server/pcmbn-district-store.h"
#include "store/pcmbn-store.h"
#include "sync/pcmbn-wire.h"

/* The HTTP side of `pcmbn-district serve`. The main loop only moves bytes:
 * each request, once its body is in (bounded as it arrives), is paused and
 * answered by a worker thread with its own SQLite connection, so that one
 * slow client or a long push never stalls the others. Connections come in
 * through the gate (pcmbn-district-gate.c), which checks framing, enforces
 * timeouts and works around libsoup 3.2's leak of kept-alive connections:
 * every answer says "Connection: close". */

#define N_WORKERS 8
#define LISTEN_BACKLOG 1024
#define THROTTLE_FAILURES 5
#define THROTTLE_WINDOW (10 * 60 * G_USEC_PER_SEC)
#define DEFAULT_TIMEOUT 20 /* seconds a connection may stay silent */
#define STOP_DEADLINE 8    /* seconds SIGTERM waits for answers under way */
#define TRIM_INTERVAL 15   /* seconds between returns of freed memory to the system */

struct _PcmbnDistrictServer
{
  GObject parent_instance;

  char *db_path;
  SoupServer *server;
  PcmbnDistrictGate *gate;
  GSocket *listener;
  GThreadPool *pool;
  PcmbnDistrictCheckpointer *checkpointer;
  GMainContext *context;
  PcmbnDistrictThrottle *throttle;
  GStrv proxies;    /* addresses whose X-Forwarded-For is believed */
  char *generation; /* see pcmbn-district-backup.c */
  guint timeout;
  guint prune_id;
  guint trim_id;
  guint deadline_id;
  guint in_flight;
  gboolean stopping;
  GCallback drained;
  gpointer drained_data;
};

G_DEFINE_FINAL_TYPE (PcmbnDistrictServer, pcmbn_district_server, G_TYPE_OBJECT)

static GPrivate thread_store = G_PRIVATE_INIT (g_object_unref);

typedef struct
{
  GByteArray *body;
  gsize limit;
  gboolean too_large;
  gboolean counted;
  gboolean aborted;
  gboolean throttled; /* holds a throttle slot */
  gint64 started;
} MsgData;

static void
msg_data_free (MsgData *d)
{
  if (d->body)
    g_byte_array_unref (d->body);
  g_free (d);
}

typedef struct
{
  PcmbnDistrictServer *self;
  SoupServerMessage *msg;
  PcmbnDistrictRequest *request;
  PcmbnDistrictReply *reply;
} Job;

static void
job_free (Job *job)
{
  g_object_unref (job->self);
  g_object_unref (job->msg);
  pcmbn_district_request_free (job->request);
  pcmbn_district_reply_free (job->reply);
  g_free (job);
}

static void
pcmbn_district_server_finalize (GObject *object)
{
  PcmbnDistrictServer *self = PCMBN_DISTRICT_SERVER (object);

  if (self->pool)
    g_thread_pool_free (self->pool, FALSE, TRUE);
  g_clear_pointer (&self->checkpointer, pcmbn_district_checkpointer_free);
  g_clear_handle_id (&self->prune_id, g_source_remove);
  g_clear_handle_id (&self->trim_id, g_source_remove);
  g_clear_handle_id (&self->deadline_id, g_source_remove);
  g_clear_pointer (&self->gate, pcmbn_district_gate_free);
  g_clear_object (&self->listener);
  if (self->server)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->throttle, pcmbn_district_throttle_free);
  g_clear_pointer (&self->proxies, g_strfreev);
  g_free (self->generation);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->db_path);
  G_OBJECT_CLASS (pcmbn_district_server_parent_class)->finalize (object);
}

static void
pcmbn_district_server_class_init (PcmbnDistrictServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pcmbn_district_server_finalize;
}

static void
pcmbn_district_server_init (PcmbnDistrictServer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->throttle = pcmbn_district_throttle_new (THROTTLE_FAILURES, THROTTLE_WINDOW);
  self->timeout = DEFAULT_TIMEOUT;
}

static MsgData *
msg_data (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), "pcmbn-msg");
}

static void
set_reply (SoupServerMessage *msg, PcmbnDistrictReply *reply)
{
  gsize len;
  const char *data = g_bytes_get_data (reply->body, &len);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, reply->status, NULL);
  if (reply->allow)
    soup_message_headers_replace (headers, "Allow", reply->allow);
  if (reply->status == 429)
    soup_message_headers_replace (headers, "Retry-After", "600");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  for (guint i = 0; reply->headers && i + 1 < reply->headers->len; i += 2)
    soup_message_headers_append (headers, reply->headers->pdata[i], reply->headers->pdata[i + 1]);
  soup_server_message_set_response (msg, reply->content_type, SOUP_MEMORY_COPY, data ? data : "",
                                    len);
}

static void
set_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  g_autoptr (PcmbnDistrictReply) reply = pcmbn_district_reply_error (status, code, message);
  set_reply (msg, reply);
}

/* ---- addresses ----------------------------------------------------------- */

/* The client's address. Behind a reverse proxy every request comes from the
 * proxy; its X-Forwarded-For is believed only when the peer is a proxy the
 * configuration names, otherwise any client could choose its own address
 * and escape the throttle. The rightmost address that is not a named proxy
 * is the client. */
static char *
client_address (PcmbnDistrictServer *self, SoupServerMessage *msg)
{
  const char *peer = soup_server_message_get_remote_host (msg);
  const char *forwarded;
  g_auto (GStrv) hops = NULL;

  if (peer == NULL)
    return g_strdup ("?");
  if (self->proxies == NULL || !g_strv_contains ((const char *const *)self->proxies, peer))
    return g_strdup (peer);
  forwarded = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                             "X-Forwarded-For");
  if (forwarded == NULL)
    return g_strdup (peer);
  hops = g_strsplit (forwarded, ",", -1);
  for (int i = (int)g_strv_length (hops) - 1; i >= 0; i--)
    {
      char *hop = g_strstrip (hops[i]);
      g_autoptr (GInetAddress) address = g_inet_address_new_from_string (hop);
      if (address == NULL)
        break; /* garbage: trust nothing further left */
      if (!g_strv_contains ((const char *const *)self->proxies, hop))
        return g_strdup (hop);
    }
  return g_strdup (peer);
}

/* ---- requests ------------------------------------------------------------- */

static void
got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  MsgData *d = msg_data (msg);
  gsize len;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  if (d == NULL || d->too_large)
    return;
  if (d->body->len + len > d->limit)
    {
      /* The rest is read and dropped: memory stays bounded. */
      d->too_large = TRUE;
      g_byte_array_set_size (d->body, 0);
      return;
    }
  g_byte_array_append (d->body, data, len);
}

static void
progress_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;

  pcmbn_district_gate_progress (self->gate, msg, g_bytes_get_size (chunk));
}

static void
wrote_cb (SoupServerMessage *msg, guint size, gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;

  pcmbn_district_gate_progress (self->gate, msg, size);
}

static void
early_handler (SoupServer *server,
               SoupServerMessage *msg,
               const char *path,
               GHashTable *query,
               gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;
  MsgData *d = msg_data (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length;

  if (d == NULL)
    {
      d = g_new0 (MsgData, 1);
      d->started = g_get_monotonic_time ();
      g_object_set_data_full (G_OBJECT (msg), "pcmbn-msg", d, (GDestroyNotify)msg_data_free);
    }
  if (!d->counted)
    {
      d->counted = TRUE;
      self->in_flight++;
    }
  d->limit = pcmbn_district_api_body_limit (path);
  d->body = g_byte_array_new ();
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
  if (self->gate)
    {
      g_signal_connect (msg, "got-chunk", G_CALLBACK (progress_cb), self);
      g_signal_connect (msg, "wrote-body-data", G_CALLBACK (wrote_cb), self);
    }
  /* One request per connection: see the gate for why. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  /* Devices compare it with the one they knew: a restored server differs. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "X-Pcmbn-Generation", self->generation);
  if (pcmbn_district_gate_framing_error (headers))
    {
      /* The gate refuses these before libsoup reads them; this is for TLS,
       * where it cannot look. */
      d->too_large = TRUE;
      set_error (msg, 400, "bad_request",
                 _ ("The request's length is ambiguous (Content-Length together with "
                    "Transfer-Encoding, or two different lengths). Send one Content-Length."));
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      length = soup_message_headers_get_content_length (headers);
      if (length > (goffset)d->limit)
        {
          set_error (msg, 413, "too_large",
                     _ ("The body is larger than this address accepts (16 MiB for a push, 20 MiB "
                        "for an attachment)."));
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Connection", "close");
        }
    }
}

static gboolean
complete_cb (gpointer user_data)
{
  Job *job = user_data;
  MsgData *d = msg_data (job->msg);

  if (d && d->throttled)
    {
      d->throttled = FALSE;
      pcmbn_district_throttle_end (job->self->throttle, job->request->remote,
                                   job->reply->status == 401);
    }
  if (job->self->gate)
    pcmbn_district_gate_set_busy (job->self->gate, job->msg, FALSE);
  if (d == NULL || !d->aborted)
    {
      set_reply (job->msg, job->reply);
      soup_server_message_unpause (job->msg);
    }
  job_free (job);
  return G_SOURCE_REMOVE;
}

static void
worker (gpointer data, gpointer user_data)
{
  Job *job = data;
  PcmbnDistrictServer *self = user_data;
  PcmbnDistrictStore *store = g_private_get (&thread_store);

  if (store == NULL)
    {
      g_autoptr (GError) error = NULL;
      store = pcmbn_district_store_open (self->db_path, FALSE, &error);
      if (store == NULL)
        {
          job->reply = pcmbn_district_reply_error (500, "internal", error->message);
          g_main_context_invoke (self->context, complete_cb, job);
          return;
        }
      pcmbn_district_checkpointer_attach (self->checkpointer, store);
      g_private_set (&thread_store, store);
    }
  job->reply = pcmbn_district_api_handle (store, job->request);
  g_main_context_invoke (self->context, complete_cb, job);
}

static char *
header_copy (SoupMessageHeaders *headers, const char *name)
{
  return g_strdup (soup_message_headers_get_one (headers, name));
}

static void
handler (SoupServer *server,
         SoupServerMessage *msg,
         const char *path,
         GHashTable *query,
         gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;
  MsgData *d = msg_data (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  PcmbnDistrictRequest *req;
  g_autofree char *remote = NULL;
  Job *job;

  if (d && d->too_large && soup_server_message_get_status (msg) != 0)
    return;
  if (d && d->too_large)
    {
      set_error (msg, 413, "too_large", _ ("The body is larger than this address accepts."));
      return;
    }
  remote = client_address (self, msg);
  if (pcmbn_district_api_is_enroll (path))
    {
      if (!pcmbn_district_throttle_begin (self->throttle, remote))
        {
          set_error (msg, 429, "too_many_attempts",
                     _ ("Too many wrong enrolment codes came from this address. Wait 10 minutes, "
                        "then try again with the right code."));
          return;
        }
      if (d)
        d->throttled = TRUE;
    }
  req = g_new0 (PcmbnDistrictRequest, 1);
  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = g_strdup (path);
  req->query = g_strdup (g_uri_get_query (soup_server_message_get_uri (msg)));
  req->authorization = header_copy (headers, "Authorization");
  req->content_encoding = header_copy (headers, "Content-Encoding");
  req->range = header_copy (headers, "Range");
  {
    const char *accept = soup_message_headers_get_list (headers, "Accept-Encoding");
    req->accepts_gzip = accept && soup_header_contains (accept, "gzip");
  }
  req->content_type = header_copy (headers, "Content-Type");
  req->cookie = header_copy (headers, "Cookie");
  req->origin = header_copy (headers, "Origin");
  req->host = header_copy (headers, "Host");
  req->accept_language = header_copy (headers, "Accept-Language");
  req->https = soup_server_is_https (server);
  req->remote = g_steal_pointer (&remote);
  if (d && d->body && d->body->len > 0)
    req->body = g_bytes_new (d->body->data, d->body->len);
  if (d && d->body)
    g_byte_array_set_size (d->body, 0);

  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->msg = g_object_ref (msg);
  job->request = req;
  soup_server_message_pause (msg);
  if (self->gate)
    pcmbn_district_gate_set_busy (self->gate, msg, TRUE);
  g_thread_pool_push (self->pool, job, NULL);
}

static void
finished (PcmbnDistrictServer *self, SoupServerMessage *msg, gboolean aborted)
{
  MsgData *d = msg_data (msg);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  GUri *uri = soup_server_message_get_uri (msg);

  if (d == NULL)
    return;
  if (aborted)
    d->aborted = TRUE;
  if (d->counted)
    {
      g_autofree char *status = aborted
                                    ? g_strdup ("aborted")
                                    : g_strdup_printf ("%u", soup_server_message_get_status (msg));
      /* One line per request, for the district's IT person. */
      printf ("%s %s %s %s %s %.1fms\n", when,
              soup_server_message_get_remote_host (msg) ? soup_server_message_get_remote_host (msg)
                                                        : "-",
              soup_server_message_get_method (msg) ? soup_server_message_get_method (msg) : "-",
              uri ? g_uri_get_path (uri) : "-", status,
              (g_get_monotonic_time () - d->started) / 1000.0);
      fflush (stdout);
      d->counted = FALSE;
      self->in_flight--;
      if (self->stopping && self->in_flight == 0 && self->drained)
        {
          GCallback cb = self->drained;
          self->drained = NULL;
          ((void (*) (gpointer))cb) (self->drained_data);
        }
    }
}

/* libsoup refuses a few requests itself once their head is read, before
 * any handler of ours runs, and answers them with an empty body: a path
 * that decodes to ".." segments or to a NUL (a blob name such as
 * "..%2F..%2Fetc%2Fpasswd"), an absolute URL of the wrong scheme. The
 * contract promises the JSON error body on every error, so it is filled in
 * here, right after libsoup's own "got-headers" handler has set the status
 * and before anything is written. */
static void
got_headers_cb (SoupServerMessage *msg, gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;
  guint status = soup_server_message_get_status (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *code;
  const char *message;

  if (status < 400 || soup_server_message_get_response_body (msg)->length > 0)
    return;
  switch (status)
    {
      case 400:
        code = "bad_request";
        message = _ ("The address is not valid here: once decoded, its path must not contain "
                     "“..” segments or a NUL character, and an absolute URL must use this "
                     "server's scheme.");
        break;
      default:
        code = status < 500 ? "bad_request" : "internal";
        message = _ ("The server could not handle this request as it was sent.");
        break;
    }
  set_error (msg, status, code, message);
  /* The early handler, which says these, did not run. */
  soup_message_headers_replace (headers, "Connection", "close");
  soup_message_headers_replace (headers, "X-Pcmbn-Generation", self->generation);
}

static void
request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;

  if (self->gate)
    pcmbn_district_gate_started (self->gate, msg);
  /* Connected after libsoup's own handler (it connects before emitting
   * this signal), so it sees the status libsoup chose. */
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
}

static gboolean
prune_cb (gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;

  pcmbn_district_throttle_prune (self->throttle);
  return G_SOURCE_CONTINUE;
}

/* A push of a thousand records, a report or a pull of a whole commune
 * allocates tens of megabytes for a moment (JSON trees, bodies, SQLite's
 * statement memory). glibc keeps what is freed inside its heaps, where only
 * the top can shrink, so after a burst the resident size stays at its peak
 * for good. malloc_trim() hands every free page back to the kernel; done
 * now and then on the main loop, it costs a walk over the heaps. */
static gboolean
trim_cb (gpointer user_data)
{
#if defined(PCMBN_MIMALLOC)
  /* mimalloc's malloc serves the process (meson.build): its free pages
   * go back to the kernel on their own after a moment; this also returns
   * what the threads that ended left behind. */
  mi_collect (true);
#elif defined(__GLIBC__)
  malloc_trim (0);
#endif
  return G_SOURCE_CONTINUE;
}

static void
request_finished_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  finished (user_data, msg, FALSE);
}

static void
request_aborted_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  finished (user_data, msg, TRUE);
}

/**
 * pcmbn_district_server_new:
 * @db_path: the server database, made with `pcmbn-district init`
 * @certificate: (nullable): serve HTTPS with this certificate
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): a server, not listening yet
 */
PcmbnDistrictServer *
pcmbn_district_server_new (const char *db_path, GTlsCertificate *certificate, GError **error)
{
  g_autoptr (PcmbnDistrictServer) self = NULL;
  g_autoptr (PcmbnDistrictStore) probe = pcmbn_district_store_open (db_path, FALSE, error);

  if (probe == NULL)
    return NULL;
  self = g_object_new (PCMBN_TYPE_DISTRICT_SERVER, NULL);
  self->db_path = g_strdup (db_path);
  self->generation = pcmbn_store_get_meta (pcmbn_district_store_get_store (probe),
                                           PCMBN_DISTRICT_META_GENERATION);
  if (self->generation == NULL)
    {
      self->generation = g_uuid_string_random ();
      if (!pcmbn_store_set_meta (pcmbn_district_store_get_store (probe),
                                 PCMBN_DISTRICT_META_GENERATION, self->generation, error))
        return NULL;
    }
  self->server = soup_server_new ("server-header", "pcmbn-district/" PACKAGE_VERSION, NULL);
  if (certificate)
    soup_server_set_tls_certificate (self->server, certificate);
  self->checkpointer = pcmbn_district_checkpointer_new (db_path, error);
  if (self->checkpointer == NULL)
    return NULL;
  self->pool = g_thread_pool_new (worker, self, N_WORKERS, FALSE, error);
  if (self->pool == NULL)
    return NULL;
  soup_server_add_early_handler (self->server, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->server, NULL, handler, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_aborted_cb), self);
  self->prune_id = g_timeout_add_seconds (60, prune_cb, self);
  self->trim_id = g_timeout_add_seconds (TRIM_INTERVAL, trim_cb, self);
  return g_steal_pointer (&self);
}

/**
 * pcmbn_district_server_set_timeout:
 * @self: a server, not listening yet
 * @seconds: how long a connection may stay silent before it is closed
 *
 * A body must also average 1 KiB/s once twice @seconds have passed.
 */
void
pcmbn_district_server_set_timeout (PcmbnDistrictServer *self, guint seconds)
{
  g_return_if_fail (self->gate == NULL);
  self->timeout = MAX (seconds, 1);
}

/**
 * pcmbn_district_server_set_proxies:
 * @self: a server
 * @addresses: (nullable) (array zero-terminated=1): reverse proxies whose
 *   X-Forwarded-For header names the client
 */
void
pcmbn_district_server_set_proxies (PcmbnDistrictServer *self, const char *const *addresses)
{
  g_strfreev (self->proxies);
  self->proxies = addresses && addresses[0] ? g_strdupv ((char **)addresses) : NULL;
}

/**
 * pcmbn_district_server_listen:
 * @self: a server
 * @host: an IP address to listen on
 * @port: a port, 0 for any free one
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_district_server_listen (PcmbnDistrictServer *self,
                              const char *host,
                              guint port,
                              GError **error)
{
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new_from_string (host, port);
  g_autoptr (GSocket) socket = NULL;

  g_return_val_if_fail (self->gate == NULL, FALSE);
  if (address == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("listen: “%s” is not an IP address such as 127.0.0.1 or 0.0.0.0"), host);
      return FALSE;
    }
  /* Our own socket for a long accept queue: libsoup's default of 10 reset
   * connections when a few hundred communes synced at once. */
  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  /* The gate accepts on it, and hands each sound request to libsoup
   * (TLS included: the gate wraps the connection with the server's
   * certificate). */
  self->gate = pcmbn_district_gate_new (self->server, self->timeout);
  self->listener = g_object_ref (socket);
  return pcmbn_district_gate_listen (self->gate, socket, error);
}

/**
 * pcmbn_district_server_get_url:
 * @self: a listening server
 *
 * Returns: (transfer full) (nullable): the address it listens on
 */
char *
pcmbn_district_server_get_url (PcmbnDistrictServer *self)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree char *host = NULL;
  GInetAddress *inet;

  /* The gate accepts, so libsoup knows no listener to ask. */
  if (self->listener == NULL)
    return NULL;
  address = g_socket_get_local_address (self->listener, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  host = g_inet_address_to_string (inet);
  return g_strdup_printf (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ? "%s://[%s]:%u/"
                                                                                   : "%s://%s:%u/",
                          soup_server_is_https (self->server) ? "https" : "http", host,
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

static gboolean
deadline_cb (gpointer user_data)
{
  PcmbnDistrictServer *self = user_data;
  GCallback cb = self->drained;

  self->deadline_id = 0;
  self->drained = NULL;
  if (cb)
    {
      g_printerr ("%s\n", _ ("Stopping: some answers did not finish in time; exiting anyway."));
      ((void (*) (gpointer))cb) (self->drained_data);
    }
  return G_SOURCE_REMOVE;
}

/**
 * pcmbn_district_server_stop:
 * @self: a server
 * @drained: (scope async): called, with @user_data, once no request is in
 *   flight any more (at once when none is)
 * @user_data: data for @drained
 *
 * Stops accepting and finishes the requests being answered. Connections
 * that are still sending a request, or are silent, are closed at once, so
 * that stalled clients cannot hold the exit up; after 8 seconds @drained is
 * called whatever is still under way.
 */
void
pcmbn_district_server_stop (PcmbnDistrictServer *self, GCallback drained, gpointer user_data)
{
  if (self->stopping)
    return;
  self->stopping = TRUE;
  if (self->gate)
    pcmbn_district_gate_stop (self->gate);
  if (self->in_flight == 0)
    {
      ((void (*) (gpointer))drained) (user_data);
      return;
    }
  self->drained = drained;
  self->drained_data = user_data;
  self->deadline_id = g_timeout_add_seconds (STOP_DEADLINE, deadline_cb, self);
}

/**
 * pcmbn_district_server_get_n_connections:
 * @self: a listening server
 *
 * Returns: the connections open now
 */
guint
pcmbn_district_server_get_n_connections (PcmbnDistrictServer *self)
{
  return self->gate ? pcmbn_district_gate_n_open (self->gate) : 0;
}
