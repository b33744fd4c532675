/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include "pcmbn-district-gate.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#endif

#include "pcmbn-district-api.h"

/* Why the server accepts connections itself instead of letting libsoup do it:
 *
 * - libsoup 3.2 (Debian 12) never closes a kept-alive connection that the
 *   client closed while idle: the descriptor stays in CLOSE-WAIT for ever and
 *   the server dies of EMFILE after about a thousand of them. The server
 *   therefore answers every request with "Connection: close" (one request per
 *   connection; libsoup's own close path is sound), and the gate keeps a list
 *   of every connection so that nothing can linger unseen.
 * - A request whose framing is ambiguous (Content-Length and
 *   Transfer-Encoding, or two lengths) is the stuff of request smuggling; it
 *   must be refused before any parser has an opinion on it. The gate peeks at
 *   the request head (MSG_PEEK: nothing is consumed) and only hands a sound
 *   one to libsoup.
 * - libsoup has no timeouts on the server side: a client that connects and
 *   says nothing, or sends its body a byte a second, would hold a descriptor
 *   for ever. The gate shuts such connections down; libsoup then sees the end
 *   of the stream and cleans up as after any aborted request.
 *
 * Everything here runs on the main loop. */

#define MIN_BODY_RATE 1024                /* bytes a second a body must average, after a grace */
#define FD_RESERVE 64                     /* descriptors kept for SQLite, logs and reports */
#define STOP_TIMEOUT (2 * G_USEC_PER_SEC) /* silence allowed once stopping */

typedef enum
{
  CONN_PEEK,  /* ours: waiting for a whole request head */
  CONN_DRAIN, /* ours: refused, reading what the client still sends */
  CONN_SOUP,  /* libsoup's: we only watch it */
} ConnState;

typedef enum
{
  PHASE_READING,
  PHASE_BUSY,
  PHASE_WRITING,
} ConnPhase;

typedef struct
{
  PcmbnDistrictGate *gate;
  ConnState state;
  ConnPhase phase;
  GSocketConnection *stream; /* strong while ours, borrowed (weak ref) once libsoup's */
  GSource *source;
  SoupServerMessage *msg; /* weak */
  gint64 since;
  gint64 last;
  gsize bytes;
  gsize peeked; /* bytes of the head seen so far, while ours */
  gboolean shut;
  GList link;
} Conn;

struct _PcmbnDistrictGate
{
  SoupServer *server;
  GTlsCertificate *certificate;
  gint64 timeout;
  GSocket *listener;
  GSource *accept_source;
  GSource *retry_source;
  GSource *sweep_source;
  GQueue conns;
  GHashTable *by_msg; /* SoupServerMessage → Conn */
  Conn *handing;
  guint max_open;
  gboolean stopping;
  char *buffer;
};

static void accept_resume (PcmbnDistrictGate *gate, guint delay_ms);

static GSocket *
conn_socket (Conn *conn)
{
  return g_socket_connection_get_socket (conn->stream);
}

static void
set_lowat (GSocket *socket, int bytes)
{
#ifdef SO_RCVLOWAT
  /* Wake only when the head grew: a peek leaves the bytes in the socket, so
   * without this the level-triggered poll would spin. */
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVLOWAT, MAX (bytes, 1), NULL);
#endif
}

static void
msg_gone (gpointer data, GObject *where_the_object_was)
{
  Conn *conn = data;

  g_hash_table_remove (conn->gate->by_msg, where_the_object_was);
  conn->msg = NULL;
}

static void
conn_free (Conn *conn)
{
  PcmbnDistrictGate *gate = conn->gate;

  if (conn->source)
    {
      g_source_destroy (conn->source);
      g_clear_pointer (&conn->source, g_source_unref);
    }
  if (conn->msg)
    {
      g_hash_table_remove (gate->by_msg, conn->msg);
      g_object_weak_unref (G_OBJECT (conn->msg), msg_gone, conn);
    }
  g_queue_unlink (&gate->conns, &conn->link);
  g_free (conn);
  /* A descriptor came free: accepting may have paused at the limit. */
  if (!gate->stopping && gate->accept_source == NULL && gate->retry_source == NULL)
    accept_resume (gate, 0);
}

/* Only for connections that are still ours. */
static void
conn_close (Conn *conn)
{
  g_assert (conn->state != CONN_SOUP);
  g_io_stream_close (G_IO_STREAM (conn->stream), NULL, NULL);
  g_clear_object (&conn->stream);
  conn_free (conn);
}

static void
stream_gone (gpointer data, GObject *where_the_object_was)
{
  Conn *conn = data;

  conn->stream = NULL;
  conn_free (conn);
}

/* Makes libsoup see the end of the stream: it then drops the connection as
 * after any client that went away. The descriptor itself stays libsoup's, so
 * that no poll of libsoup's can ever land on a reused number. */
static void
conn_shut (Conn *conn)
{
  conn->shut = TRUE;
  conn->last = g_get_monotonic_time ();
  g_socket_shutdown (conn_socket (conn), TRUE, TRUE, NULL);
}

static void
log_refusal (Conn *conn, guint status)
{
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (conn_socket (conn), NULL);
  g_autofree char *host = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    host = g_inet_address_to_string (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  printf ("%s %s - - %u refused\n", when, host ? host : "-", status);
  fflush (stdout);
}

/* ---- refusing ---------------------------------------------------------- */

static gboolean
drain_cb (GSocket *socket, GIOCondition condition, gpointer data)
{
  Conn *conn = data;
  char buf[4096];
  gssize n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, NULL);

  if (n > 0)
    return G_SOURCE_CONTINUE;
  if (n < 0 && !(condition & (G_IO_HUP | G_IO_ERR)))
    {
      /* EAGAIN: wait for more. */
      if (g_socket_condition_check (socket, G_IO_IN) == 0)
        return G_SOURCE_CONTINUE;
    }
  g_clear_pointer (&conn->source, g_source_unref);
  conn_close (conn);
  return G_SOURCE_REMOVE;
}

static void
refuse (Conn *conn, guint status, const char *code, const char *message)
{
  g_autoptr (PcmbnDistrictReply) reply = pcmbn_district_reply_error (status, code, message);
  GSocket *socket = conn_socket (conn);
  gsize len;
  const char *body = g_bytes_get_data (reply->body, &len);
  g_autofree char *head = g_strdup_printf (
      "HTTP/1.1 %u %s\r\n"
      "Content-Type: application/json\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\n"
      "Cache-Control: no-store\r\n"
      "Connection: close\r\n\r\n",
      status, status == 431 ? "Request Header Fields Too Large" : soup_status_get_phrase (status),
      len);
  GOutputVector vectors[2] = { { head, strlen (head) }, { body, len } };

  log_refusal (conn, status);
  /* A fresh socket's send buffer takes a few hundred bytes at once. */
  g_socket_send_message (socket, NULL, vectors, 2, NULL, 0, 0, NULL, NULL);
  /* Closing with unread bytes would send a reset that can destroy the
   * answer before the client reads it: say we are done, then read and drop
   * whatever it still sends, for a bounded time. */
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  set_lowat (socket, 1);
  conn->state = CONN_DRAIN;
  conn->since = g_get_monotonic_time ();
  if (conn->source)
    {
      g_source_destroy (conn->source);
      g_source_unref (conn->source);
    }
  conn->source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->source, G_SOURCE_FUNC (drain_cb), conn, NULL);
  g_source_attach (conn->source, NULL);
}

/* ---- the request head ---------------------------------------------------- */

typedef enum
{
  HEAD_MORE,
  HEAD_OK,
  HEAD_BAD_FRAMING,
  HEAD_URL_TOO_LONG,
  HEAD_TOO_LARGE,
} HeadVerdict;

static gboolean
parse_lengths (const char *value, gsize len, gint64 *seen)
{
  g_autofree char *copy = g_strndup (value, len);
  g_auto (GStrv) parts = g_strsplit (copy, ",", -1);

  for (guint i = 0; parts[i]; i++)
    {
      char *part = g_strstrip (parts[i]);
      guint64 n;
      if (*part == '\0' || !g_ascii_string_to_unsigned (part, 10, 0, G_MAXINT64, &n, NULL))
        return FALSE;
      if (*seen >= 0 && (gint64)n != *seen)
        return FALSE;
      *seen = (gint64)n;
    }
  return TRUE;
}

static HeadVerdict
check_head (const char *buf, gsize n)
{
  const char *eol = memchr (buf, '\n', n);
  const char *p, *end = NULL;
  gint64 length = -1;
  gboolean chunked = FALSE, has_length = FALSE;

  if (eol == NULL)
    return n > PCMBN_DISTRICT_MAX_URL + 64 ? HEAD_URL_TOO_LONG : HEAD_MORE;
  {
    const char *sp1 = memchr (buf, ' ', eol - buf);
    const char *sp2 = sp1 ? g_strrstr_len (sp1 + 1, eol - sp1 - 1, " ") : NULL;
    if (sp1 && sp2 && sp2 - sp1 - 1 > PCMBN_DISTRICT_MAX_URL)
      return HEAD_URL_TOO_LONG;
  }
  for (p = eol + 1; p < buf + n;)
    {
      const char *next = memchr (p, '\n', buf + n - p);
      if (next == NULL)
        break;
      if (next == p || (next == p + 1 && *p == '\r'))
        {
          end = next + 1;
          break;
        }
      p = next + 1;
    }
  if (end == NULL)
    return n > PCMBN_DISTRICT_MAX_HEADERS ? HEAD_TOO_LARGE : HEAD_MORE;
  if (end - buf > PCMBN_DISTRICT_MAX_HEADERS)
    return HEAD_TOO_LARGE;
  for (p = eol + 1; p < end;)
    {
      const char *next = memchr (p, '\n', end - p);
      const char *colon;
      const char *line_end = next;
      if (line_end > p && line_end[-1] == '\r')
        line_end--;
      if (line_end == p)
        break;
      /* A folded line continues the previous header in a way parsers
       * disagree on: refused like any other ambiguity. */
      if (*p == ' ' || *p == '\t')
        return HEAD_BAD_FRAMING;
      colon = memchr (p, ':', line_end - p);
      if (colon == NULL)
        return HEAD_BAD_FRAMING;
      if (colon - p == 14 && g_ascii_strncasecmp (p, "Content-Length", 14) == 0)
        {
          has_length = TRUE;
          if (!parse_lengths (colon + 1, line_end - colon - 1, &length))
            return HEAD_BAD_FRAMING;
        }
      else if (colon - p == 17 && g_ascii_strncasecmp (p, "Transfer-Encoding", 17) == 0)
        chunked = TRUE;
      p = next + 1;
    }
  if (chunked && has_length)
    return HEAD_BAD_FRAMING;
  return HEAD_OK;
}

/**
 * pcmbn_district_gate_framing_error:
 * @headers: a request's headers, as libsoup parsed them
 *
 * The same framing rule for connections the gate cannot peek into (TLS).
 *
 * Returns: (nullable): why the framing is refused, or %NULL when it is sound
 */
const char *
pcmbn_district_gate_framing_error (SoupMessageHeaders *headers)
{
  const char *te = soup_message_headers_get_list (headers, "Transfer-Encoding");
  const char *cl = soup_message_headers_get_list (headers, "Content-Length");
  gint64 length = -1;

  if (te && cl)
    return "both";
  if (cl && !parse_lengths (cl, strlen (cl), &length))
    return "lengths";
  return NULL;
}

static void
hand_over (Conn *conn)
{
  PcmbnDistrictGate *gate = conn->gate;
  GSocket *socket = conn_socket (conn);
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (conn->source)
    {
      g_source_destroy (conn->source);
      g_clear_pointer (&conn->source, g_source_unref);
    }
  set_lowat (socket, 1);
  if (gate->certificate)
    {
      stream = G_IO_STREAM (
          g_tls_server_connection_new (G_IO_STREAM (conn->stream), gate->certificate, &error));
      if (stream == NULL)
        {
          g_warning ("TLS: %s", error->message);
          conn_close (conn);
          return;
        }
      g_object_set (stream, "require-close-notify", FALSE, NULL);
    }
  else
    stream = g_object_ref (G_IO_STREAM (conn->stream));
  conn->state = CONN_SOUP;
  conn->phase = PHASE_READING;
  conn->since = conn->last = g_get_monotonic_time ();
  gate->handing = conn;
  ok = soup_server_accept_iostream (gate->server, stream, local, remote, &error);
  gate->handing = NULL;
  if (!ok)
    {
      g_warning ("accept: %s", error->message);
      conn->state = CONN_PEEK;
      conn_close (conn);
      return;
    }
  /* From here on libsoup owns the connection; we learn when it lets go. */
  g_object_weak_ref (G_OBJECT (conn->stream), stream_gone, conn);
  g_object_unref (conn->stream);
}

static gboolean
peek_cb (GSocket *socket, GIOCondition condition, gpointer data)
{
  Conn *conn = data;
  PcmbnDistrictGate *gate = conn->gate;
  GInputVector vector = { gate->buffer, PCMBN_DISTRICT_MAX_HEADERS + 1 };
  int flags = G_SOCKET_MSG_PEEK;
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* Gone before it asked anything. */
      g_clear_pointer (&conn->source, g_source_unref);
      conn_close (conn);
      return G_SOURCE_REMOVE;
    }
  /* Woken with no byte more than last time: the low-water mark asks for
   * one more, so only the end of the stream wakes us now. A client gone
   * half-way through its head left the rest of it unread in the socket;
   * peeking at it again and again kept the main loop busy until the
   * timeout, at full speed. */
  if ((gsize)n <= conn->peeked)
    {
      g_clear_pointer (&conn->source, g_source_unref);
      conn_close (conn);
      return G_SOURCE_REMOVE;
    }
  conn->peeked = n;
  conn->last = g_get_monotonic_time ();
  switch (check_head (gate->buffer, n))
    {
      case HEAD_MORE:
        set_lowat (socket, n + 1);
        return G_SOURCE_CONTINUE;
      case HEAD_OK:
        hand_over (conn);
        return G_SOURCE_REMOVE;
      case HEAD_BAD_FRAMING:
        refuse (conn, 400, "bad_request",
                _ ("The request's length is ambiguous (Content-Length together with "
                   "Transfer-Encoding, or two different lengths). Send one Content-Length."));
        return G_SOURCE_REMOVE;
      case HEAD_URL_TOO_LONG:
        refuse (conn, 414, "uri_too_long", _ ("The address is longer than 8 KiB. Shorten it."));
        return G_SOURCE_REMOVE;
      case HEAD_TOO_LARGE:
        refuse (conn, 431, "headers_too_large",
                _ ("The request headers are larger than 32 KiB. Send fewer or shorter headers."));
        return G_SOURCE_REMOVE;
    }
  g_assert_not_reached ();
}

/* ---- accepting ------------------------------------------------------------ */

static void
take (PcmbnDistrictGate *gate, GSocket *socket)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->gate = gate;
  conn->link.data = conn;
  conn->state = CONN_PEEK;
  conn->since = conn->last = g_get_monotonic_time ();
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  conn->stream = g_socket_connection_factory_create_connection (socket);
  g_queue_push_tail_link (&gate->conns, &conn->link);
  if (gate->certificate)
    {
      /* Encrypted bytes cannot be peeked at: the early handler applies the
       * framing rule instead. */
      hand_over (conn);
      return;
    }
  g_socket_set_blocking (socket, FALSE);
  conn->source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->source, G_SOURCE_FUNC (peek_cb), conn, NULL);
  g_source_attach (conn->source, NULL);
}

static gboolean
accept_cb (GSocket *listener, GIOCondition condition, gpointer data)
{
  PcmbnDistrictGate *gate = data;

  for (guint i = 0; i < 64; i++)
    {
      g_autoptr (GError) error = NULL;
      GSocket *socket;

      if (gate->conns.length >= gate->max_open)
        {
          /* At the limit: the rest wait in the listen queue until a
           * connection closes (conn_free resumes). */
          g_clear_pointer (&gate->accept_source, g_source_unref);
          return G_SOURCE_REMOVE;
        }
      socket = g_socket_accept (listener, NULL, &error);
      if (socket == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          /* EMFILE and the like: stop polling a queue that cannot shrink,
           * try again shortly, instead of spinning. */
          g_clear_pointer (&gate->accept_source, g_source_unref);
          accept_resume (gate, 100);
          return G_SOURCE_REMOVE;
        }
      take (gate, socket);
      g_object_unref (socket);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
retry_cb (gpointer data)
{
  PcmbnDistrictGate *gate = data;

  g_clear_pointer (&gate->retry_source, g_source_unref);
  accept_resume (gate, 0);
  return G_SOURCE_REMOVE;
}

static void
accept_resume (PcmbnDistrictGate *gate, guint delay_ms)
{
  if (gate->stopping || gate->listener == NULL || gate->accept_source || gate->retry_source)
    return;
  if (delay_ms > 0)
    {
      gate->retry_source = g_timeout_source_new (delay_ms);
      g_source_set_callback (gate->retry_source, retry_cb, gate, NULL);
      g_source_attach (gate->retry_source, NULL);
      return;
    }
  gate->accept_source = g_socket_create_source (gate->listener, G_IO_IN, NULL);
  g_source_set_callback (gate->accept_source, G_SOURCE_FUNC (accept_cb), gate, NULL);
  g_source_attach (gate->accept_source, NULL);
}

/* ---- timeouts ------------------------------------------------------------- */

static gboolean
sweep_cb (gpointer data)
{
  PcmbnDistrictGate *gate = data;
  gint64 now = g_get_monotonic_time ();
  GList *l = gate->conns.head;

  while (l)
    {
      Conn *conn = l->data;
      l = l->next;
      switch (conn->state)
        {
          case CONN_PEEK:
          case CONN_DRAIN:
            /* Connected and silent, or a head that never ends. */
            if (now - conn->since > gate->timeout)
              conn_close (conn);
            break;
          case CONN_SOUP:
            if (conn->phase == PHASE_BUSY && conn->msg)
              break;
            if (conn->shut)
              {
                /* libsoup should have let go at once; if it does not, the
               * descriptor is closed under it rather than leaked. */
                if (now - conn->last > 3 * gate->timeout)
                  {
                    g_object_weak_unref (G_OBJECT (conn->stream), stream_gone, conn);
                    g_io_stream_close (G_IO_STREAM (conn->stream), NULL, NULL);
                    conn->stream = NULL;
                    conn_free (conn);
                  }
                break;
              }
            if (now - conn->last > gate->timeout)
              conn_shut (conn);
            else if (conn->phase == PHASE_READING && now - conn->since > 2 * gate->timeout
                     && conn->bytes < (gsize)((now - conn->since - gate->timeout) / G_USEC_PER_SEC
                                              * MIN_BODY_RATE))
              conn_shut (conn); /* a body that trickles */
            break;
        }
    }
  return G_SOURCE_CONTINUE;
}

/* ---- public ---------------------------------------------------------------- */

/**
 * pcmbn_district_gate_new:
 * @server: the libsoup server that answers the requests
 * @timeout_seconds: how long a connection may stay silent
 *
 * Returns: (transfer full): a gate, not listening yet
 */
PcmbnDistrictGate *
pcmbn_district_gate_new (SoupServer *server, guint timeout_seconds)
{
  PcmbnDistrictGate *gate = g_new0 (PcmbnDistrictGate, 1);
  guint rlimit = 1024;

#ifdef G_OS_UNIX
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    rlimit = MIN (rl.rlim_cur, 1u << 20);
#endif
  gate->server = g_object_ref (server);
  g_object_get (server, "tls-certificate", &gate->certificate, NULL);
  gate->timeout = (gint64)MAX (timeout_seconds, 1) * G_USEC_PER_SEC;
  gate->max_open = rlimit > FD_RESERVE + 16 ? rlimit - FD_RESERVE : 16;
  gate->by_msg = g_hash_table_new (NULL, NULL);
  gate->buffer = g_malloc (PCMBN_DISTRICT_MAX_HEADERS + 1);
  gate->sweep_source = g_timeout_source_new (timeout_seconds < 4 ? 250 : 1000);
  g_source_set_callback (gate->sweep_source, sweep_cb, gate, NULL);
  g_source_attach (gate->sweep_source, NULL);
  return gate;
}

/**
 * pcmbn_district_gate_listen:
 * @gate: a gate
 * @listener: a bound, listening socket
 * @error: return location for an error
 *
 * Returns: %TRUE when the gate accepts on @listener
 */
gboolean
pcmbn_district_gate_listen (PcmbnDistrictGate *gate, GSocket *listener, GError **error)
{
  g_return_val_if_fail (gate->listener == NULL, FALSE);
  g_socket_set_blocking (listener, FALSE);
  gate->listener = g_object_ref (listener);
  accept_resume (gate, 0);
  return TRUE;
}

/**
 * pcmbn_district_gate_started:
 * @gate: a gate
 * @msg: a message libsoup just started reading
 *
 * Ties @msg to its connection; call from #SoupServer::request-started.
 */
void
pcmbn_district_gate_started (PcmbnDistrictGate *gate, SoupServerMessage *msg)
{
  Conn *conn = gate->handing;

  /* libsoup starts the first (and, with "Connection: close", only) message
   * of a connection inside soup_server_accept_iostream(). */
  if (conn == NULL || conn->msg)
    return;
  conn->msg = msg;
  g_object_weak_ref (G_OBJECT (msg), msg_gone, conn);
  g_hash_table_insert (gate->by_msg, msg, conn);
}

/**
 * pcmbn_district_gate_progress:
 * @gate: a gate
 * @msg: a message
 * @bytes: body bytes that just arrived or left
 *
 * Tells the gate that @msg's connection is not stalled.
 */
void
pcmbn_district_gate_progress (PcmbnDistrictGate *gate, SoupServerMessage *msg, gsize bytes)
{
  Conn *conn = g_hash_table_lookup (gate->by_msg, msg);

  if (conn == NULL)
    return;
  conn->last = g_get_monotonic_time ();
  if (conn->phase == PHASE_READING)
    conn->bytes += bytes;
}

/**
 * pcmbn_district_gate_set_busy:
 * @gate: a gate
 * @msg: a message
 * @busy: %TRUE while a worker answers @msg
 *
 * A connection whose request is being answered never times out; once the
 * answer is written the writing must progress.
 */
void
pcmbn_district_gate_set_busy (PcmbnDistrictGate *gate, SoupServerMessage *msg, gboolean busy)
{
  Conn *conn = g_hash_table_lookup (gate->by_msg, msg);

  if (conn == NULL)
    return;
  conn->phase = busy ? PHASE_BUSY : PHASE_WRITING;
  conn->last = g_get_monotonic_time ();
}

/**
 * pcmbn_district_gate_stop:
 * @gate: a gate
 *
 * Stops accepting, closes the listening socket and the connections that
 * have not sent a whole request head. Requests under way may finish, but a
 * stalled one is cut after two seconds without progress, so that stalled
 * clients cannot delay an exit.
 */
void
pcmbn_district_gate_stop (PcmbnDistrictGate *gate)
{
  GList *l = gate->conns.head;

  gate->stopping = TRUE;
  if (gate->accept_source)
    {
      g_source_destroy (gate->accept_source);
      g_clear_pointer (&gate->accept_source, g_source_unref);
    }
  if (gate->retry_source)
    {
      g_source_destroy (gate->retry_source);
      g_clear_pointer (&gate->retry_source, g_source_unref);
    }
  if (gate->listener)
    g_socket_close (gate->listener, NULL);
  while (l)
    {
      Conn *conn = l->data;
      l = l->next;
      if (conn->state != CONN_SOUP)
        conn_close (conn);
    }
  gate->timeout = MIN (gate->timeout, STOP_TIMEOUT);
}

/**
 * pcmbn_district_gate_n_open:
 * @gate: a gate
 *
 * Returns: the connections open now
 */
guint
pcmbn_district_gate_n_open (PcmbnDistrictGate *gate)
{
  return gate->conns.length;
}

/**
 * pcmbn_district_gate_free:
 * @gate: (transfer full): a gate
 */
void
pcmbn_district_gate_free (PcmbnDistrictGate *gate)
{
  gate->stopping = TRUE;
  if (gate->accept_source)
    g_source_destroy (gate->accept_source);
  g_clear_pointer (&gate->accept_source, g_source_unref);
  if (gate->retry_source)
    g_source_destroy (gate->retry_source);
  g_clear_pointer (&gate->retry_source, g_source_unref);
  g_source_destroy (gate->sweep_source);
  g_source_unref (gate->sweep_source);
  while (gate->conns.head)
    {
      Conn *conn = gate->conns.head->data;
      if (conn->state != CONN_SOUP)
        conn_close (conn);
      else
        {
          g_object_weak_unref (G_OBJECT (conn->stream), stream_gone, conn);
          conn_free (conn);
        }
    }
  g_clear_object (&gate->listener);
  g_clear_object (&gate->certificate);
  g_object_unref (gate->server);
  g_hash_table_unref (gate->by_msg);
  g_free (gate->buffer);
  g_free (gate);
}
