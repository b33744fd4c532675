/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "pcmbn-district-api.h"
#include "pcmbn-district-server.h"
#include "server/pcmbn-district-store.h"
#include "sync/pcmbn-wire.h"

/* The HTTP side of `pcmbn-district serve`. The main loop only moves bytes:
 * each request, once its body is in (bounded as it arrives), is paused and
 * answered by a worker thread with its own SQLite connection, so that one
 * slow client or a long push never stalls the others. */

#define N_WORKERS 8
#define LISTEN_BACKLOG 1024
#define THROTTLE_FAILURES 5
#define THROTTLE_WINDOW (10 * 60 * G_USEC_PER_SEC)

struct _PcmbnDistrictServer
{
  GObject parent_instance;

  char *db_path;
  SoupServer *server;
  GThreadPool *pool;
  GMainContext *context;
  GHashTable *failures; /* remote address → GArray of gint64 (monotonic µs) */
  GHashTable *blocked;  /* remote address → gint64 until */
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
  if (self->server)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->failures, g_hash_table_unref);
  g_clear_pointer (&self->blocked, g_hash_table_unref);
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
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)g_array_unref);
  self->blocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
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

/* ---- throttle ------------------------------------------------------------- */

static gboolean
is_blocked (PcmbnDistrictServer *self, const char *remote)
{
  gint64 *until = g_hash_table_lookup (self->blocked, remote);

  if (until == NULL)
    return FALSE;
  if (g_get_monotonic_time () < *until)
    return TRUE;
  g_hash_table_remove (self->blocked, remote);
  return FALSE;
}

static void
note_failure (PcmbnDistrictServer *self, const char *remote)
{
  GArray *times = g_hash_table_lookup (self->failures, remote);
  gint64 now = g_get_monotonic_time ();
  guint keep = 0;

  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->failures, g_strdup (remote), times);
    }
  for (guint i = 0; i < times->len; i++)
    if (now - g_array_index (times, gint64, i) < THROTTLE_WINDOW)
      g_array_index (times, gint64, keep++) = g_array_index (times, gint64, i);
  g_array_set_size (times, keep);
  g_array_append_val (times, now);
  if (times->len >= THROTTLE_FAILURES)
    {
      gint64 *until = g_new (gint64, 1);
      *until = now + THROTTLE_WINDOW;
      g_hash_table_insert (self->blocked, g_strdup (remote), until);
      g_array_set_size (times, 0);
    }
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
  if (self->stopping)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                  "close");
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

  if (pcmbn_district_api_is_enroll (job->request->path) && job->reply->status == 401)
    note_failure (job->self, job->request->remote);
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
  Job *job;

  if (d && d->too_large)
    {
      set_error (msg, 413, "too_large", _ ("The body is larger than this address accepts."));
      return;
    }
  if (pcmbn_district_api_is_enroll (path)
      && is_blocked (self, soup_server_message_get_remote_host (msg)))
    {
      set_error (msg, 429, "too_many_attempts",
                 _ ("Too many wrong enrolment codes came from this address. Wait 10 minutes, then "
                    "try again with the right code."));
      return;
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
  req->remote = g_strdup (soup_server_message_get_remote_host (msg));
  if (req->remote == NULL)
    req->remote = g_strdup ("?");
  if (d && d->body && d->body->len > 0)
    req->body = g_bytes_new (d->body->data, d->body->len);
  if (d && d->body)
    g_byte_array_set_size (d->body, 0);

  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->msg = g_object_ref (msg);
  job->request = req;
  soup_server_message_pause (msg);
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
  self->server = soup_server_new ("server-header", "pcmbn-district/" PACKAGE_VERSION, NULL);
  if (certificate)
    soup_server_set_tls_certificate (self->server, certificate);
  self->pool = g_thread_pool_new (worker, self, N_WORKERS, FALSE, error);
  if (self->pool == NULL)
    return NULL;
  soup_server_add_early_handler (self->server, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->server, NULL, handler, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_aborted_cb), self);
  return g_steal_pointer (&self);
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
  SoupServerListenOptions options = 0;

  if (address == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("listen: “%s” is not an IP address such as 127.0.0.1 or 0.0.0.0"), host);
      return FALSE;
    }
  if (soup_server_is_https (self->server))
    options |= SOUP_SERVER_LISTEN_HTTPS;
  /* Our own socket for a long accept queue: libsoup's default of 10 reset
   * connections when a few hundred communes synced at once. */
  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  return soup_server_listen_socket (self->server, socket, options, error);
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
  GSList *uris = soup_server_get_uris (self->server);
  char *text = uris ? g_uri_to_string (uris->data) : NULL;

  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return text;
}

/**
 * pcmbn_district_server_stop:
 * @self: a server
 * @drained: (scope async): called, with @user_data, once no request is in
 *   flight any more (at once when none is)
 * @user_data: data for @drained
 *
 * Finishes the requests under way; new ones on kept-alive connections are
 * answered with "Connection: close".
 */
void
pcmbn_district_server_stop (PcmbnDistrictServer *self, GCallback drained, gpointer user_data)
{
  self->stopping = TRUE;
  if (self->in_flight == 0)
    {
      ((void (*) (gpointer))drained) (user_data);
      return;
    }
  self->drained = drained;
  self->drained_data = user_data;
}
