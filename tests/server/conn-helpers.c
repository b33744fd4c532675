/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "conn-helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/pcmbn-district-store.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"

ConnServer *
conn_server_new (void)
{
  ConnServer *s = g_new0 (ConnServer, 1);
  g_autofree char *err = NULL;

  s->dir = pcmbn_test_tmpdir ();
  s->db = g_build_filename (s->dir, "district.sqlite", NULL);
  s->log = g_build_filename (s->dir, "serve.log", NULL);
  {
    const char *argv[] = { "init", "--db", s->db, "--org-unit", "001", NULL };
    g_assert_cmpint (conn_district (argv, NULL, &err), ==, 0);
  }
  return s;
}

int
conn_district (const char *const *argv, char **out, char **err)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (args, (gpointer)g_getenv ("PCMBN_DISTRICT"));
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (gpointer)argv[i]);
  g_ptr_array_add (args, NULL);
  proc = g_subprocess_newv ((const char *const *)args->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (proc);
}

typedef struct
{
  guint nofile;
} ChildSetup;

static void
child_setup (gpointer user_data)
{
  ChildSetup *setup = user_data;
  struct rlimit rl = { setup->nofile, setup->nofile };

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (setup->nofile)
    setrlimit (RLIMIT_NOFILE, &rl);
}

void
conn_server_start (ConnServer *s, guint nofile, const char *const *extra_args)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  static ChildSetup setup;

  g_ptr_array_add (args, (gpointer)g_getenv ("PCMBN_DISTRICT"));
  g_ptr_array_add (args, (gpointer) "serve");
  g_ptr_array_add (args, (gpointer) "--db");
  g_ptr_array_add (args, s->db);
  g_ptr_array_add (args, (gpointer) "--listen");
  g_ptr_array_add (args, (gpointer) "127.0.0.1:0");
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (args, (gpointer)extra_args[i]);
  g_ptr_array_add (args, NULL);
  g_unlink (s->log);
  g_subprocess_launcher_set_stdout_file_path (launcher, s->log);
  setup.nofile = nofile;
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  g_clear_object (&s->proc);
  s->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *)args->pdata, &error);
  g_assert_no_error (error);
  s->port = 0;
  for (int i = 0; i < 3000 && s->port == 0; i++)
    {
      g_autofree char *text = NULL;
      const char *colon;
      if (g_file_get_contents (s->log, &text, NULL, NULL)
          && g_str_has_prefix (text, "Listening on http://127.0.0.1:") && strchr (text, '\n'))
        {
          colon = strrchr (strchr (text, '\n') - 8, ':');
          s->port = (guint16)g_ascii_strtoull (colon + 1, NULL, 10);
        }
      else
        g_usleep (10000);
    }
  g_assert_cmpuint (s->port, !=, 0);
}

void
conn_server_free (ConnServer *s)
{
  if (s->proc)
    {
      g_subprocess_force_exit (s->proc);
      g_subprocess_wait (s->proc, NULL, NULL);
    }
  g_clear_object (&s->proc);
  g_free (s->dir);
  g_free (s->db);
  g_free (s->log);
  g_free (s);
}

guint
conn_count_fds (ConnServer *s, guint *sockets)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (s->proc));
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0, socks = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *link = g_build_filename (path, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      n++;
      if (target && g_str_has_prefix (target, "socket:"))
        socks++;
    }
  if (sockets)
    *sockets = socks;
  return n;
}

gboolean
conn_wait_sockets (ConnServer *s, guint sockets, guint seconds)
{
  guint now = 0;

  for (guint i = 0; i < seconds * 20; i++)
    {
      conn_count_fds (s, &now);
      if (now == sockets)
        return TRUE;
      g_usleep (50000);
    }
  g_test_message ("server sockets: %u, expected %u", now, sockets);
  return FALSE;
}

int
conn_connect (ConnServer *s)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (s->port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  while (connect (fd, (struct sockaddr *)&addr, sizeof addr) != 0)
    {
      g_assert_cmpint (errno, ==, EINTR);
    }
  return fd;
}

void
conn_send (int fd, const char *text)
{
  gsize len = strlen (text), done = 0;

  while (done < len)
    {
      ssize_t n = send (fd, text + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return; /* the server may close first; the answer tells */
      done += n;
    }
}

char *
conn_read_all (int fd, guint seconds)
{
  GString *out = g_string_new (NULL);
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      char buf[4096];
      gint64 left = (until - g_get_monotonic_time ()) / 1000;
      ssize_t n;
      if (left <= 0 || poll (&p, 1, (int)left) <= 0)
        break;
      n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      g_string_append_len (out, buf, n);
    }
  return g_string_free (out, FALSE);
}

guint
conn_status (const char *response)
{
  if (!g_str_has_prefix (response, "HTTP/1.1 ") && !g_str_has_prefix (response, "HTTP/1.0 "))
    return 0;
  return (guint)g_ascii_strtoull (response + 9, NULL, 10);
}

guint
conn_request (ConnServer *s, const char *request, char **response)
{
  int fd = conn_connect (s);
  g_autofree char *text = NULL;
  guint status;

  conn_send (fd, request);
  text = conn_read_all (fd, 10);
  close (fd);
  status = conn_status (text);
  if (response)
    *response = g_steal_pointer (&text);
  return status;
}

guint
conn_env_uint (const char *name, guint fallback)
{
  const char *v = g_getenv (name);
  return v && *v ? (guint)g_ascii_strtoull (v, NULL, 10) : fallback;
}

void
conn_raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

char **
conn_enrol_codes (ConnServer *s, const char *const *communes, guint n_communes, guint n_devices)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictStore) store = pcmbn_district_store_open (s->db, FALSE, &error);
  char **codes = g_new0 (char *, n_devices + 1);

  g_assert_no_error (error);
  /* This set-up connection only: nothing to lose in a crash. */
  g_assert_true (pcmbn_store_exec (pcmbn_store_get_db (pcmbn_district_store_get_store (store)),
                                   "PRAGMA synchronous = OFF", NULL));
  for (guint i = 0; i < n_devices; i++)
    {
      codes[i] = pcmbn_district_store_new_enrol_code (store, communes[i % n_communes], &error);
      g_assert_no_error (error);
    }
  return codes;
}

guint64
conn_status_kb (ConnServer *s, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status",
                                           g_subprocess_get_identifier (s->proc));
  g_autofree char *text = NULL;
  g_autofree char *label = g_strconcat (field, ":", NULL);
  const char *at;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (at = strstr (text, label)) == NULL)
    return 0;
  return g_ascii_strtoull (at + strlen (label), NULL, 10);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void
conn_sort_latencies (GArray *latencies)
{
  g_array_sort (latencies, compare_double);
}

double
conn_percentile (GArray *sorted, double p)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, double, MIN ((guint)floor (sorted->len * p), sorted->len - 1));
}

GBytes *
conn_http (SoupSession *session,
           const char *method,
           const char *url,
           const char *token,
           const char *body,
           const char *from,
           guint *status)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  GBytes *reply;

  if (from)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For", from);
  if (token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  *status = reply ? soup_message_get_status (msg) : 0;
  return reply;
}
