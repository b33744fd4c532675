/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn-helpers.h"
#include "pcmbn-test-util.h"

/* The district server under every client behaviour that used to leak a
 * descriptor: a real server on loopback, raw sockets, /proc/PID/fd counted.
 * Sockets are compared with the baseline exactly; SQLite's files come and go
 * with the worker threads, so the total is only bounded. */

#define HEALTH "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

static guint
n_connections (void)
{
  const char *env = g_getenv ("PCMBN_TEST_CONNECTIONS");
  return env ? (guint)g_ascii_strtoull (env, NULL, 10) : 5000;
}

/* Reads one response whole (headers and Content-Length bytes), without
 * waiting for the server to close: the client is the one that closes. */
static guint
read_response (int fd)
{
  GString *text = g_string_new (NULL);
  g_autofree char *all = NULL;
  char buf[4096];
  const char *end = NULL;
  gsize want = 0;
  guint status;

  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      g_string_append_len (text, buf, n);
      if (end == NULL && (end = strstr (text->str, "\r\n\r\n")))
        {
          const char *cl = g_strstr_len (text->str, end - text->str, "Content-Length: ");
          want = (end - text->str) + 4 + (cl ? g_ascii_strtoull (cl + 16, NULL, 10) : 0);
        }
      if (end && text->len >= want)
        break;
    }
  all = g_string_free (text, FALSE);
  status = conn_status (all);
  return status;
}

typedef struct
{
  ConnServer *server;
  guint count;
  gboolean mid;
  guint ok;
} Worker;

static gpointer
keepalive_worker (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; i < w->count; i++)
    {
      int fd = conn_connect (w->server);
      if (w->mid)
        {
          /* Half a head, or a head and part of the body, then gone. */
          conn_send (fd, i % 2 ? "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Le"
                               : "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\n"
                                 "Content-Length: 1000\r\n\r\n{\"records\":");
          w->ok++;
        }
      else
        {
          conn_send (fd,
                     "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
          if (read_response (fd) == 200)
            w->ok++;
        }
      close (fd);
    }
  return NULL;
}

static void
run_workers (ConnServer *s, guint total, gboolean mid)
{
  Worker workers[4];
  GThread *threads[4];
  guint ok = 0;

  for (guint i = 0; i < 4; i++)
    {
      workers[i] = (Worker){ s, total / 4 + (i < total % 4), mid, 0 };
      threads[i] = g_thread_new ("client", keepalive_worker, &workers[i]);
    }
  for (guint i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      ok += workers[i].ok;
    }
  g_assert_cmpuint (ok, ==, total);
}

/* Opens @batch connections at a time that never finish their request; the
 * server must close each of them by itself. With @trickle, each sends a
 * head and then one body byte a second. */
static void
run_stalled (ConnServer *s, guint total, gboolean trickle)
{
  const guint batch = 150;
  guint closed_by_server = 0;

  for (guint done = 0; done < total;)
    {
      guint n = MIN (batch, total - done);
      g_autofree int *fds = g_new (int, n);
      g_autofree gboolean *open = g_new (gboolean, n);
      guint left = n;
      gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
      gint64 next_byte = 0;

      for (guint i = 0; i < n; i++)
        {
          fds[i] = conn_connect (s);
          open[i] = TRUE;
          if (trickle)
            conn_send (fds[i], "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 100000\r\n\r\n");
        }
      while (left > 0 && g_get_monotonic_time () < until)
        {
          g_autofree struct pollfd *p = g_new0 (struct pollfd, n);
          if (trickle && g_get_monotonic_time () >= next_byte)
            {
              for (guint i = 0; i < n; i++)
                if (open[i])
                  send (fds[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
              next_byte = g_get_monotonic_time () + G_USEC_PER_SEC;
            }
          for (guint i = 0; i < n; i++)
            p[i] = (struct pollfd){ open[i] ? fds[i] : -1, POLLIN, 0 };
          if (poll (p, n, 200) <= 0)
            continue;
          for (guint i = 0; i < n; i++)
            if (open[i] && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
              {
                char buf[512];
                ssize_t r = recv (fds[i], buf, sizeof buf, MSG_DONTWAIT);
                if (r <= 0 && !(r < 0 && errno == EAGAIN))
                  {
                    open[i] = FALSE;
                    left--;
                    closed_by_server++;
                  }
              }
        }
      for (guint i = 0; i < n; i++)
        close (fds[i]);
      g_assert_cmpuint (left, ==, 0);
      done += n;
    }
  g_assert_cmpuint (closed_by_server, ==, total);
}

static void
assert_healthy (ConnServer *s, guint sockets, const char *after)
{
  guint total;

  g_test_message ("after %s", after);
  g_assert_true (conn_wait_sockets (s, sockets, 10));
  g_assert_cmpuint (conn_request (s, HEALTH, NULL), ==, 200);
  g_assert_true (conn_wait_sockets (s, sockets, 10));
  total = conn_count_fds (s, NULL);
  g_test_message ("descriptors: %u, sockets: %u", total, sockets);
  /* Whatever else is open: the listener, SQLite's files of at most eight
   * workers, the log and the main loop's own. */
  g_assert_cmpuint (total, <, 64);
}

static void
test_descriptors (void)
{
  ConnServer *s = conn_server_new ();
  const char *args[] = { "--timeout", "1", NULL };
  guint n = n_connections ();
  guint sockets;

  conn_server_start (s, 256, args);
  g_assert_cmpuint (conn_request (s, HEALTH, NULL), ==, 200);
  g_assert_true (conn_wait_sockets (s, 1, 10));
  conn_count_fds (s, &sockets);
  g_assert_cmpuint (sockets, ==, 1); /* the listener */

  run_workers (s, n, FALSE);
  assert_healthy (s, sockets, "keep-alive then close");
  run_workers (s, n, TRUE);
  assert_healthy (s, sockets, "close in the middle of a request");
  run_stalled (s, n, FALSE);
  assert_healthy (s, sockets, "idle for ever");
  run_stalled (s, n, TRUE);
  assert_healthy (s, sockets, "a body byte a second");
  conn_server_free (s);
}

static void
assert_refused (ConnServer *s, const char *request, guint status)
{
  int fd = conn_connect (s);
  gint64 start = g_get_monotonic_time ();
  g_autofree char *response = NULL;

  conn_send (fd, request);
  /* The server closes the connection: reading ends long before 10 s. */
  response = conn_read_all (fd, 10);
  close (fd);
  g_assert_cmpuint (conn_status (response), ==, status);
  g_assert_nonnull (strstr (response, "Connection: close"));
  g_assert_nonnull (strstr (response, "{\"error\":{\"code\":"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* A client that sends half a request head and closes its side: the rest
 * of the head can never come, and the server closes the connection at once
 * rather than at the end of its 20 s timeout (it used to peek at the
 * same bytes again and again until then, keeping its main loop busy). */
static void
test_half_head_then_eof (void)
{
  ConnServer *s = conn_server_new ();
  struct timeval wait = { 5, 0 };
  char buf[64];
  ssize_t n;
  int fd;

  conn_server_start (s, 0, NULL);
  fd = conn_connect (s);
  conn_send (fd, "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Le");
  g_assert_cmpint (shutdown (fd, SHUT_WR), ==, 0);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait), ==, 0);
  do
    n = recv (fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  /* Closed by the server: an end of stream, or a reset (it closed with
   * the unread half head still in its buffer). EAGAIN would mean the
   * connection was still open after 5 s. */
  if (n < 0)
    g_assert_cmpint (errno, ==, ECONNRESET);
  else
    g_assert_cmpint (n, ==, 0);
  close (fd);
  g_assert_cmpuint (conn_request (s, HEALTH, NULL), ==, 200);
  conn_server_free (s);
}

static void
test_framing (void)
{
  ConnServer *s = conn_server_new ();
  g_autofree char *url = g_strnfill (9000, 'a');
  g_autofree char *header = g_strnfill (40000, 'b');
  g_autofree char *long_url = g_strdup_printf ("GET /api/v1/health?%s HTTP/1.1\r\nHost: x\r\n\r\n",
                                               url);
  g_autofree char *long_head = g_strdup_printf (
      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", header);
  g_autofree char *log = NULL;

  conn_server_start (s, 0, NULL);
  /* No token on purpose: the framing is refused before authentication. */
  assert_refused (s,
                  "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  400);
  assert_refused (s,
                  "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "content-length: 5\r\n\r\n0\r\n\r\n",
                  400);
  assert_refused (s,
                  "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Content-Length: 5\r\n\r\nhello",
                  400);
  assert_refused (
      s, "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello", 400);
  assert_refused (s, long_url, 414);
  assert_refused (s, long_head, 431);
  /* Sound requests still pass, including a length given twice alike. */
  g_assert_cmpuint (conn_request (s, HEALTH, NULL), ==, 200);
  g_assert_cmpuint (conn_request (s,
                                  "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
                                  NULL),
                    ==, 401);
  /* Nothing of the refused requests reached the API: the only push the log
   * names is the last, sound one. */
  log = pcmbn_test_read_text (s->log);
  g_assert_nonnull (strstr (log, "POST /api/v1/sync/push 401"));
  g_assert_null (strstr (log, "POST /api/v1/sync/push 400"));
  g_assert_nonnull (strstr (log, " 414 refused"));
  g_assert_nonnull (strstr (log, " 431 refused"));
  conn_server_free (s);
}

/* Requests that libsoup refuses by itself, before any handler runs: they
 * too get the JSON error body, and the connection is closed. */
static void
test_error_bodies (void)
{
  ConnServer *s = conn_server_new ();
  const struct
  {
    const char *request;
    guint status;
  } cases[] = {
    /* A blob name that decodes to a path. */
    { "GET /api/v1/blobs/..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    { "PUT /api/v1/blobs/..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 5\r\n\r\nhello",
      400 },
    { "GET /api/v1/blobs/%2E%2E%2Fsecret HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    /* A NUL once decoded. */
    { "GET /api/v1/blobs/abc%00def HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
    /* Dot segments that the URL parser itself removes: what is left is
     * no address of ours. */
    { "GET /api/v1/blobs/%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n", 404 },
  };

  conn_server_start (s, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *response = NULL;
      guint status = conn_request (s, cases[i].request, &response);

      g_test_message ("%s", cases[i].request);
      g_assert_cmpuint (status, ==, cases[i].status);
      g_assert_nonnull (strstr (response, "Content-Type: application/json"));
      g_assert_nonnull (strstr (response, "Connection: close"));
      g_assert_nonnull (strstr (response, "\r\n\r\n{\"error\":{\"code\":\""));
    }
  /* The server is none the worse. */
  g_assert_cmpuint (conn_request (s, HEALTH, NULL), ==, 200);
  conn_server_free (s);
}

/* Sends @n enrolment attempts with wrong codes at once, each from the
 * address @forwarded claims (NULL: none); counts the answers. */
static void
enrol_at_once (ConnServer *s, guint n, const char *forwarded, guint *n401, guint *n429)
{
  g_autofree int *fds = g_new (int, n);
  const char *body = "{\"code\":\"WRONG-CODE-1234\",\"device_name\":\"test\"}";

  *n401 = *n429 = 0;
  for (guint i = 0; i < n; i++)
    fds[i] = conn_connect (s);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *xff = forwarded ? g_strdup_printf ("X-Forwarded-For: %s\r\n", forwarded)
                                       : g_strdup ("");
      g_autofree char *request = g_strdup_printf ("POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\n"
                                                  "Content-Type: application/json\r\n%s"
                                                  "Content-Length: %zu\r\n\r\n%s",
                                                  xff, strlen (body), body);
      conn_send (fds[i], request);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *response = conn_read_all (fds[i], 30);
      guint status = conn_status (response);
      close (fds[i]);
      if (status == 401)
        (*n401)++;
      else if (status == 429)
        (*n429)++;
      else
        g_test_message ("unexpected: %s", response);
    }
}

static void
test_throttle (void)
{
  ConnServer *s = conn_server_new ();
  guint n401, n429;

  conn_server_start (s, 0, NULL);
  enrol_at_once (s, 60, NULL, &n401, &n429);
  g_assert_cmpuint (n401, ==, 5);
  g_assert_cmpuint (n429, ==, 55);
  conn_server_free (s);
}

static void
test_forwarded (void)
{
  ConnServer *s = conn_server_new ();
  const char *args[] = { "--trusted-proxy", "127.0.0.1", NULL };
  guint n401, n429;

  /* Behind the named proxy, each client has its own count. */
  conn_server_start (s, 0, args);
  enrol_at_once (s, 8, "10.0.0.1", &n401, &n429);
  g_assert_cmpuint (n401, ==, 5);
  g_assert_cmpuint (n429, ==, 3);
  enrol_at_once (s, 1, "10.0.0.2", &n401, &n429);
  g_assert_cmpuint (n401, ==, 1);
  /* A forged hop left of the proxy's own does not help. */
  enrol_at_once (s, 1, "10.0.0.2, 10.0.0.1", &n401, &n429);
  g_assert_cmpuint (n429, ==, 1);
  g_subprocess_force_exit (s->proc);
  g_subprocess_wait (s->proc, NULL, NULL);

  /* Without a named proxy the header is the client's word: ignored. */
  conn_server_start (s, 0, NULL);
  enrol_at_once (s, 5, "10.0.0.3", &n401, &n429);
  g_assert_cmpuint (n401, ==, 5);
  enrol_at_once (s, 1, "10.0.0.4", &n401, &n429);
  g_assert_cmpuint (n429, ==, 1);
  conn_server_free (s);
}

static void
test_sigterm (void)
{
  ConnServer *s = conn_server_new ();
  int fds[40];
  gint64 start;
  gboolean exited = FALSE;

  /* The default timeout (20 s): the stalled clients are still there when
   * the signal comes. */
  conn_server_start (s, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      fds[i] = conn_connect (s);
      if (i % 2)
        conn_send (fds[i], "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 100000\r\n\r\n{\"rec");
    }
  g_usleep (300000);
  start = g_get_monotonic_time ();
  g_subprocess_send_signal (s->proc, SIGTERM);
  while (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/stat",
                                               g_subprocess_get_identifier (s->proc));
      g_autofree char *stat = NULL;
      if (!g_file_get_contents (path, &stat, NULL, NULL) || strstr (stat, ") Z "))
        {
          exited = TRUE;
          break;
        }
      g_usleep (50000);
    }
  g_assert_true (exited);
  g_subprocess_wait (s->proc, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (s->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (s->proc), ==, 0);
  g_test_message ("exited %.1f s after SIGTERM",
                  (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
  g_clear_object (&s->proc);
  conn_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/connections/framing", test_framing);
  g_test_add_func ("/server/connections/half-head-then-eof", test_half_head_then_eof);
  g_test_add_func ("/server/connections/error-bodies", test_error_bodies);
  g_test_add_func ("/server/connections/throttle", test_throttle);
  g_test_add_func ("/server/connections/forwarded", test_forwarded);
  g_test_add_func ("/server/connections/sigterm", test_sigterm);
  g_test_add_func ("/server/connections/descriptors", test_descriptors);
  return g_test_run ();
}
