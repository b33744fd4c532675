/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sqlite3.h>
#include <string.h>

#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store.h"
#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* Runs `pcmbn-district` with @argv; stdout comes back as bytes, since
 * reports in PDF or XLSX are not text. */
GBytes *
sync_district_bytes (const char *const *argv, int *status, char **err)
{
  const char *exe = g_getenv ("PCMBN_DISTRICT");
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) errbytes = NULL;
  GBytes *out = NULL;

  g_assert_nonnull (exe);
  g_ptr_array_add (args, (gpointer)exe);
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (gpointer)argv[i]);
  g_ptr_array_add (args, NULL);
  proc = g_subprocess_newv ((const char *const *)args->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate (proc, NULL, NULL, &out, &errbytes, &error);
  g_assert_no_error (error);
  if (err)
    *err = g_strndup (g_bytes_get_data (errbytes, NULL), g_bytes_get_size (errbytes));
  g_assert_true (g_subprocess_get_if_exited (proc));
  *status = g_subprocess_get_exit_status (proc);
  return out;
}

int
sync_district (const char *const *argv, char **out, char **err)
{
  int status;
  g_autoptr (GBytes) bytes = sync_district_bytes (argv, &status, err);

  /* Admin verbs print text: it must be UTF-8 (as communicate_utf8 checked). */
  g_assert_true (g_utf8_validate (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
  if (out)
    *out = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return status;
}

SyncServer *
sync_server_new (gboolean tls)
{
  SyncServer *s = g_new0 (SyncServer, 1);
  g_autofree char *err = NULL;

  s->dir = pcmbn_test_tmpdir ();
  s->db = g_build_filename (s->dir, "district.sqlite", NULL);
  s->log = g_build_filename (s->dir, "serve.log", NULL);
  {
    const char *argv[] = { "init", "--db", s->db, "--org-unit", "001", NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 0);
  }
  if (tls)
    {
      g_autofree char *key = g_build_filename (s->dir, "key.pem", NULL);
      g_autoptr (GSubprocess) proc = NULL;
      g_autoptr (GError) error = NULL;
      s->cert = g_build_filename (s->dir, "cert.pem", NULL);
      proc = g_subprocess_new (
          G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "openssl",
          "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", s->cert, "-days",
          "2", "-subj", "/CN=127.0.0.1", NULL);
      if (proc == NULL || !g_subprocess_wait_check (proc, NULL, NULL))
        {
          g_clear_pointer (&s->cert, g_free);
          return s;
        }
    }
  return s;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
sync_server_start (SyncServer *s)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("PCMBN_DISTRICT");

  g_ptr_array_add (args, g_strdup (exe));
  g_ptr_array_add (args, g_strdup ("serve"));
  g_ptr_array_add (args, g_strdup ("--db"));
  g_ptr_array_add (args, g_strdup (s->db));
  g_ptr_array_add (args, g_strdup ("--listen"));
  g_ptr_array_add (args, g_strdup ("127.0.0.1:0"));
  if (s->cert)
    {
      g_ptr_array_add (args, g_strdup ("--tls-cert"));
      g_ptr_array_add (args, g_strdup (s->cert));
      g_ptr_array_add (args, g_strdup ("--tls-key"));
      g_ptr_array_add (args, g_build_filename (s->dir, "key.pem", NULL));
    }
  if (s->public_url)
    {
      g_ptr_array_add (args, g_strdup ("--public-url"));
      g_ptr_array_add (args, g_strdup (s->public_url));
    }
  for (guint i = 0; s->extra_args && s->extra_args[i]; i++)
    g_ptr_array_add (args, g_strdup (s->extra_args[i]));
  g_ptr_array_add (args, NULL);
  g_unlink (s->log);
  /* A file, not a pipe: the log grows without anyone having to read it. */
  g_subprocess_launcher_set_stdout_file_path (launcher, s->log);
  /* A failed test must not leave a server behind. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_clear_object (&s->proc);
  s->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *)args->pdata, &error);
  g_assert_no_error (error);
  g_clear_pointer (&s->url, g_free);
  for (int i = 0; i < 3000 && s->url == NULL; i++)
    {
      g_autofree char *text = NULL;
      if (g_file_get_contents (s->log, &text, NULL, NULL)
          && g_str_has_prefix (text, "Listening on ") && strchr (text, '\n'))
        s->url = g_strndup (text + 13, strchr (text, '\n') - (text + 13));
      else
        g_usleep (10000);
    }
  g_assert_nonnull (s->url);
}

int
sync_server_stop (SyncServer *s)
{
  g_autoptr (GError) error = NULL;

  if (s->proc == NULL)
    return -1;
  g_subprocess_send_signal (s->proc, SIGTERM);
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (s->proc));
  {
    int status = g_subprocess_get_exit_status (s->proc);
    g_clear_object (&s->proc);
    return status;
  }
}

void
sync_server_free (SyncServer *s)
{
  if (s->proc)
    g_assert_cmpint (sync_server_stop (s), ==, 0);
  g_free (s->dir);
  g_free (s->db);
  g_free (s->url);
  g_free (s->log);
  g_free (s->cert);
  g_strfreev (s->extra_args);
  g_free (s);
}

char *
sync_enrol_code (SyncServer *s, const char *commune)
{
  const char *argv[] = { "enroll-code", "--db", s->db, "--org-unit", commune, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (sync_district (argv, &out, NULL), ==, 0);
  g_strstrip (out);
  g_assert_cmpuint (strlen (out), ==, 11);
  return g_steal_pointer (&out);
}

char *
sync_staff_token (SyncServer *s)
{
  const char *argv[] = { "staff-token", "--db", s->db, "--name", "Chị Hoa", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (sync_district (argv, &out, NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

int
sync_cli (const char *db, char **out, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list ap;
  const char *arg;

  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, (gpointer)db);
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return pcmbn_test_run_cli ((const char *const *)argv->pdata, NULL, out, err);
}

char *
sync_new_logbook (const char *commune)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  char *db = g_build_filename (dir, "logbook.sqlite", NULL);

  if (commune)
    g_assert_cmpint (sync_cli (db, NULL, NULL, "init", "--org-unit", commune, NULL), ==, 0);
  return db;
}

char *
sync_enrolled_logbook (SyncServer *s, const char *commune)
{
  char *db = sync_new_logbook (commune);
  g_autofree char *code = sync_enrol_code (s, commune);
  g_autofree char *err = NULL;

  g_assert_cmpint (sync_cli (db, NULL, &err, "enroll", "--server", s->url, "--code", code, NULL),
                   ==, 0);
  return db;
}

char *
sync_add (const char *db, const char *kind, const char *json)
{
  const char *argv[] = { "--db", db, "add", kind, NULL };
  char *out = NULL;
  g_autofree char *err = NULL;
  int status = pcmbn_test_run_cli (argv, json, &out, &err);

  if (status != 0)
    g_error ("add %s failed: %s", kind, err);
  return g_strstrip (out);
}

/* Adds through `pcmbn add` an activity that carries @file_path as its one
 * attachment, copied into the logbook's folder under its hash as the app
 * does. Returns the attachment's SHA-256. */
char *
sync_add_attached (const char *db, const char *file_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (db, &error);
  g_autoptr (GFile) file = g_file_new_for_path (file_path);
  g_autoptr (JsonObject) attachment = NULL;
  g_autoptr (JsonObject) data = pcmbn_test_json (
      "{\"date\":\"2025-12-03\",\"activity_type\":\"loudspeaker_broadcast\",\"subproject\":"
      "\"community\",\"title\":\"Ảnh buổi phát thanh\",\"location\":\"Nhà văn hóa\","
      "\"target_groups\":[\"officials\"],\"topics\":[\"hotline\"],\"lead_agency\":\"UBND "
      "phường\",\"funding_source\":\"state_budget\"}");
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *json = NULL;
  JsonArray *list = json_array_new ();

  g_assert_no_error (error);
  attachment = pcmbn_attachments_add_file (store, file, NULL, &error);
  g_assert_no_error (error);
  json_array_add_object_element (list, json_object_ref (attachment));
  json_object_set_array_member (data, "attachments", list);
  json_node_set_object (root, data);
  json = json_to_string (root, FALSE);
  g_free (sync_add (db, "activity", json));
  return g_strdup (json_object_get_string_member (attachment, "sha256"));
}

static gboolean
accept_any_cb (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

char *
sync_http (SyncServer *s,
           const char *method,
           const char *path,
           const char *token,
           const char *content_type,
           const char *encoding,
           const void *body,
           gsize len,
           guint *status)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (s->url, path[0] == '/' ? path + 1 : path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (encoding)
    soup_message_headers_replace (headers, "Content-Encoding", encoding);
  if (body)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, len);
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_size (reply) ? g_bytes_get_data (reply, NULL) : "",
                    g_bytes_get_size (reply));
}

JsonNode *
sync_parse (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

gint64
sync_query_int (const char *db, const char *sql)
{
  return pcmbn_test_query_int (db, sql);
}

char *
sync_query_text (const char *db, const char *sql)
{
  sqlite3 *handle;
  sqlite3_stmt *stmt;
  char *v = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db, &handle, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (handle, 10000);
  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    v = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (handle);
  return v;
}

void
sync_exec (const char *db, const char *sql)
{
  sqlite3 *handle;
  char *msg = NULL;

  g_assert_cmpint (sqlite3_open (db, &handle), ==, SQLITE_OK);
  sqlite3_busy_timeout (handle, 10000);
  if (sqlite3_exec (handle, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (handle);
}

char *
sync_device_token (const char *db)
{
  /* Sealed in the file: read through the store, with this account's key. */
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (db, &error);

  g_assert_no_error (error);
  return pcmbn_store_get_meta (store, "sync_token");
}

/* ---- the proxy ------------------------------------------------------------ */

typedef struct
{
  SyncProxy *proxy;
  GSocket *from;
  GSocket *to;
  int dir;
  /* A slow link: chunks wait in @queue until their time comes. */
  GAsyncQueue *queue;
  GThread *sender;
  guint bits_per_second;
  guint latency_ms;
} Relay;

typedef struct
{
  gint64 due; /* monotonic µs */
  gsize len;  /* 0: the end */
  char data[];
} Chunk;

static void
shutdown_pair (Relay *r)
{
  g_socket_shutdown (r->from, TRUE, TRUE, NULL);
  g_socket_shutdown (r->to, TRUE, TRUE, NULL);
}

static void
send_all (GSocket *to, const char *buf, gsize len)
{
  gsize off = 0;

  while (off < len)
    {
      gssize w = g_socket_send (to, buf + off, len - off, NULL, NULL);
      if (w <= 0)
        break;
      off += w;
    }
}

/* The far end of a slow link: each chunk arrives when the bandwidth has
 * carried it and the latency has passed, in order. */
static gpointer
sender_thread (gpointer data)
{
  Relay *r = data;

  for (;;)
    {
      Chunk *c = g_async_queue_pop (r->queue);
      gint64 wait = c->due - g_get_monotonic_time ();
      gsize len = c->len;

      if (wait > 0)
        g_usleep (wait);
      if (len > 0)
        send_all (r->to, c->data, len);
      g_free (c);
      if (len == 0)
        break;
    }
  shutdown_pair (r);
  return NULL;
}

static gpointer
relay_thread (gpointer data)
{
  Relay *r = data;
  SyncProxy *p = r->proxy;
  char buf[16384];
  gint64 wire_free = 0; /* when the slow link has sent what it was given */

  for (;;)
    {
      gssize n = g_socket_receive (r->from, buf, sizeof buf, NULL, NULL);
      gssize send = n;
      gboolean cut = FALSE;

      if (n <= 0)
        break;
      g_mutex_lock (&p->lock);
      if (p->cut_dir == r->dir && !p->cut_done && p->bytes[r->dir] + n >= p->cut_at)
        {
          send = p->cut_at - p->bytes[r->dir];
          p->cut_done = TRUE;
          cut = TRUE;
        }
      p->bytes[r->dir] += send;
      g_mutex_unlock (&p->lock);
      if (send > 0 && r->queue)
        {
          Chunk *c = g_malloc (sizeof (Chunk) + send);
          gint64 now = g_get_monotonic_time ();
          wire_free = MAX (wire_free, now)
                      + (r->bits_per_second ? (gint64)send * 8 * G_USEC_PER_SEC / r->bits_per_second
                                            : 0);
          c->due = wire_free + (gint64)r->latency_ms * 1000;
          c->len = send;
          memcpy (c->data, buf, send);
          g_async_queue_push (r->queue, c);
        }
      else if (send > 0)
        send_all (r->to, buf, send);
      if (cut)
        break;
    }
  if (r->queue)
    {
      /* The end travels the link too, after the last byte. */
      Chunk *end = g_malloc0 (sizeof (Chunk));
      end->due = MAX (wire_free, g_get_monotonic_time ()) + (gint64)r->latency_ms * 1000;
      g_async_queue_push (r->queue, end);
      g_thread_join (r->sender);
      g_async_queue_unref (r->queue);
    }
  else
    /* An end or a cut on either side ends the pair: HTTP needs no
     * half-open connection, and a cut must reach both ends at once. */
    shutdown_pair (r);
  g_free (r);
  return NULL;
}

static Relay *
relay_new (SyncProxy *p, GSocket *from, GSocket *to, int dir)
{
  Relay *r = g_new0 (Relay, 1);

  r->proxy = p;
  r->from = from;
  r->to = to;
  r->dir = dir;
  r->bits_per_second = p->bits_per_second;
  r->latency_ms = p->latency_ms;
  if (r->bits_per_second || r->latency_ms)
    {
      r->queue = g_async_queue_new ();
      r->sender = g_thread_new ("relay-link", sender_thread, r);
    }
  return r;
}

static gpointer
accept_thread (gpointer data)
{
  SyncProxy *p = data;

  for (;;)
    {
      g_autoptr (GSocket) client = g_socket_accept (p->listener, p->cancel, NULL);
      g_autoptr (GSocket) server = NULL;

      if (client == NULL)
        break;
      server = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                             NULL);
      if (server == NULL || !g_socket_connect (server, G_SOCKET_ADDRESS (p->upstream), NULL, NULL))
        {
          g_socket_close (client, NULL);
          continue;
        }
      g_mutex_lock (&p->lock);
      p->connections++;
      g_ptr_array_add (p->sockets, g_object_ref (client));
      g_ptr_array_add (p->sockets, g_object_ref (server));
      g_ptr_array_add (p->threads, g_thread_new ("relay-up", relay_thread,
                                                 relay_new (p, client, server, SYNC_PROXY_UP)));
      g_ptr_array_add (p->threads, g_thread_new ("relay-down", relay_thread,
                                                 relay_new (p, server, client, SYNC_PROXY_DOWN)));
      g_mutex_unlock (&p->lock);
    }
  return NULL;
}

/**
 * sync_proxy_new:
 * @server_url: the server to relay to, on loopback
 *
 * Returns: (transfer full): a proxy passing everything at loopback speed
 */
SyncProxy *
sync_proxy_new (const char *server_url)
{
  SyncProxy *p = g_new0 (SyncProxy, 1);
  g_autoptr (GUri) uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (uri);
  g_mutex_init (&p->lock);
  p->upstream = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (loopback, g_uri_get_port (uri)));
  p->cut_dir = -1;
  p->cancel = g_cancellable_new ();
  p->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  p->threads = g_ptr_array_new ();
  p->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                              &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (p->listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (p->listener, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (p->listener, &error);
  g_assert_no_error (error);
  p->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  p->accept_thread = g_thread_new ("proxy-accept", accept_thread, p);
  return p;
}

char *
sync_proxy_url (SyncProxy *p)
{
  return g_strdup_printf ("http://127.0.0.1:%u", p->port);
}

/* A slow link for the connections opened from now on. */
void
sync_proxy_set_link (SyncProxy *p, guint bits_per_second, guint latency_ms)
{
  g_mutex_lock (&p->lock);
  p->bits_per_second = bits_per_second;
  p->latency_ms = latency_ms;
  g_mutex_unlock (&p->lock);
}

void
sync_proxy_free (SyncProxy *p)
{
  g_cancellable_cancel (p->cancel);
  g_thread_join (p->accept_thread);
  g_mutex_lock (&p->lock);
  for (guint i = 0; i < p->sockets->len; i++)
    g_socket_shutdown (p->sockets->pdata[i], TRUE, TRUE, NULL);
  g_mutex_unlock (&p->lock);
  for (guint i = 0; i < p->threads->len; i++)
    g_thread_join (p->threads->pdata[i]);
  g_ptr_array_unref (p->threads);
  g_ptr_array_unref (p->sockets);
  g_socket_close (p->listener, NULL);
  g_object_unref (p->listener);
  g_object_unref (p->upstream);
  g_object_unref (p->cancel);
  g_mutex_clear (&p->lock);
  g_free (p);
}

/* Opens a window: from now on, cut @dir after @at bytes (-1: no cut), and
 * count the bytes from zero. */
void
sync_proxy_arm (SyncProxy *p, int dir, guint64 at)
{
  g_mutex_lock (&p->lock);
  p->cut_dir = dir;
  p->cut_at = at;
  p->bytes[0] = p->bytes[1] = 0;
  p->cut_done = FALSE;
  p->connections = 0;
  g_mutex_unlock (&p->lock);
}

/* ---- a server in a thread ------------------------------------------------ */

struct _SyncThreadServer
{
  SoupServerCallback handler;
  gpointer user_data;
  GMainContext *context;
  GThread *thread;
  GMutex lock;
  GCond cond;
  char *url;
  gboolean quit;
};

static gpointer
thread_server_main (gpointer data)
{
  SyncThreadServer *ts = data;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (ts->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, ts->handler, ts->user_data, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  g_mutex_lock (&ts->lock);
  ts->url = g_uri_to_string_partial (uris->data, G_URI_HIDE_NONE);
  /* No trailing slash: paths are appended to it. */
  if (g_str_has_suffix (ts->url, "/"))
    ts->url[strlen (ts->url) - 1] = '\0';
  g_cond_signal (&ts->cond);
  g_mutex_unlock (&ts->lock);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  while (!g_atomic_int_get (&ts->quit))
    g_main_context_iteration (ts->context, TRUE);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (ts->context);
  return NULL;
}

SyncThreadServer *
sync_thread_server_new (SoupServerCallback handler, gpointer user_data)
{
  SyncThreadServer *ts = g_new0 (SyncThreadServer, 1);

  ts->handler = handler;
  ts->user_data = user_data;
  ts->context = g_main_context_new ();
  g_mutex_init (&ts->lock);
  g_cond_init (&ts->cond);
  ts->thread = g_thread_new ("thread-server", thread_server_main, ts);
  g_mutex_lock (&ts->lock);
  while (ts->url == NULL)
    g_cond_wait (&ts->cond, &ts->lock);
  g_mutex_unlock (&ts->lock);
  return ts;
}

const char *
sync_thread_server_url (SyncThreadServer *ts)
{
  return ts->url;
}

static gboolean
thread_server_wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
sync_thread_server_free (SyncThreadServer *ts)
{
  g_atomic_int_set (&ts->quit, TRUE);
  g_main_context_invoke (ts->context, thread_server_wake, NULL);
  g_thread_join (ts->thread);
  g_main_context_unref (ts->context);
  g_mutex_clear (&ts->lock);
  g_cond_clear (&ts->cond);
  g_free (ts->url);
  g_free (ts);
}

/* ---- shared by the benchmarks -------------------------------------------- */

double
sync_now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Sorts @v in place. */
double
sync_median (double *v, guint n)
{
  qsort (v, n, sizeof (double), compare_double);
  return v[n / 2];
}

char *
sync_note (void)
{
  /* About 1 KB of data per record, as a real activity with notes has. */
  GString *s = g_string_new (NULL);
  while (s->len < 700)
    g_string_append (s, "Tuyên truyền phòng, chống mua bán người tại tổ dân phố. ");
  return g_string_free (s, FALSE);
}

/* A logbook at @path_out of @n activities of about 1 KB, the same for
 * bench-sync and bench-pouchdb; with @n_attachments, that many of them,
 * spread evenly (one in every n / n_attachments, from the first), each
 * carry an attachment of @attachment_size bytes that do not compress. */
PcmbnStore *
sync_fill_logbook (char **path_out, int n, int n_attachments, gsize attachment_size)
{
  PcmbnStore *store = pcmbn_test_store_new (path_out);
  g_autofree char *text = sync_note ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  int every = n_attachments > 0 ? MAX (n / n_attachments, 1) : 0, attached = 0;

  g_assert_true (pcmbn_store_begin (store, &error));
  for (int i = 0; i < n; i++)
    {
      g_autoptr (JsonObject) data = pcmbn_test_json (
          "{\"date\":\"2025-12-03\",\"activity_type\":\"loudspeaker_broadcast\",\"subproject\":"
          "\"community\",\"title\":\"Nói chuyện chuyên đề\",\"location\":\"Nhà văn hóa\","
          "\"target_groups\":[\"officials\",\"general_public\"],\"topics\":[\"hotline\"],"
          "\"lead_agency\":\"UBND phường\",\"funding_source\":\"state_budget\"}");
      g_autofree char *uuid = NULL;
      json_object_set_string_member (data, "notes", text);
      if (every > 0 && i % every == 0 && attached < n_attachments)
        {
          g_autofree guint32 *bytes = g_new (guint32, attachment_size / 4);
          g_autofree char *file_path = g_build_filename (dir, "photo.jpg", NULL);
          g_autoptr (GFile) file = g_file_new_for_path (file_path);
          JsonArray *list = json_array_new ();
          for (gsize b = 0; b < attachment_size / 4; b++)
            bytes[b] = g_rand_int (rand);
          g_assert_true (
              g_file_set_contents (file_path, (const char *)bytes, attachment_size / 4 * 4, NULL));
          json_array_add_object_element (list,
                                         pcmbn_attachments_add_file (store, file, NULL, &error));
          g_assert_no_error (error);
          json_object_set_array_member (data, "attachments", list);
          attached++;
        }
      uuid = pcmbn_store_add (store, "activity", data, &error);
      g_assert_no_error (error);
    }
  g_assert_true (pcmbn_store_commit (store, &error));
  return store;
}
