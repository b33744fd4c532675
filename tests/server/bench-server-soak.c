/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "store/pcmbn-store.h"
#include "sync/pcmbn-sync-engine.h"
#include "conn-helpers.h"
#include "pcmbn-test-util.h"

/* The district server as a district runs it, sped up: 600 communes'
 * computers sync on the app's background schedule (every 30 minutes, back-off
 * from 30 s doubling to an hour after a failure), every minute of it a
 * second. Each sync pushes a few new records now and then, and pulls. The
 * dashboard is polled, a report is built every minute (the few minutes of
 * a district, sped up less), and a backup runs halfway. The server runs
 * under `ulimit -n 1024`, systemd's default. Printed: errors (must be 0),
 * the server's RSS and descriptors at the start, after a warm-up minute,
 * in the middle and at the end (must be flat: see the verdict line), and the
 * sync latency.
 *
 * PCMBN_SOAK_SECONDS (default 600) and PCMBN_SOAK_DEVICES (default 600)
 * shorten it while developing. */

#define SPEEDUP 60.0
#define INTERVAL_S (30 * 60 / SPEEDUP)
#define BACKOFF_FIRST_S (30 / SPEEDUP)
#define BACKOFF_MAX_S (3600 / SPEEDUP)
#define N_THREADS 24

#define MATERIAL                                                                       \
  "{\"material_type\":\"leaflet\",\"title\":\"Tờ rơi %u\",\"source\":\"district\"," \
  "\"received_on\":\"2025-12-10\",\"quantity_received\":%u}"

static const char *const communes[] = { "00001", "00004", "00006", "00007", "00008",
                                        "00010", "00013", "00016", "00019", "00022",
                                        "00025", "00028", "00031", "00034" };

typedef struct
{
  PcmbnStore *store;
  PcmbnSyncEngine *engine;
  gint64 due;
  guint failures;
  guint added;
} Device;

typedef struct
{
  Device *devices;
  guint n;
  gint64 until;
  GArray *latencies; /* double, seconds */
  guint syncs;
  guint errors;
  guint records;
  char *first_error;
} Client;

static gint64
jitter (double seconds)
{
  return (gint64)(seconds * g_random_double_range (0.8, 1.2) * G_USEC_PER_SEC);
}

static gpointer
client_thread (gpointer data)
{
  Client *c = data;

  for (;;)
    {
      Device *d = &c->devices[0];
      g_autoptr (GError) error = NULL;
      gint64 start, now;

      for (guint i = 1; i < c->n; i++)
        if (c->devices[i].due < d->due)
          d = &c->devices[i];
      now = g_get_monotonic_time ();
      if (d->due >= c->until)
        break;
      if (d->due > now)
        g_usleep (d->due - now);
      /* Now and then a few new records, as a commune enters its day. */
      if (g_random_boolean ())
        for (guint k = g_random_int_range (1, 4); k > 0; k--)
          {
            g_autofree char *json = g_strdup_printf (MATERIAL, d->added, d->added);
            g_autoptr (JsonObject) o = pcmbn_test_json (json);
            g_autofree char *uuid = pcmbn_store_add (d->store, "material", o, NULL);
            d->added++;
            c->records++;
          }
      start = g_get_monotonic_time ();
      if (pcmbn_sync_engine_sync (d->engine, NULL, NULL, NULL, &error))
        {
          double took = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
          g_array_append_val (c->latencies, took);
          d->failures = 0;
          d->due = g_get_monotonic_time () + jitter (INTERVAL_S);
        }
      else
        {
          c->errors++;
          if (c->first_error == NULL)
            c->first_error = g_strdup (error->message);
          d->failures++;
          d->due = g_get_monotonic_time ()
                   + (gint64)(MIN (BACKOFF_FIRST_S * (1 << MIN (d->failures - 1, 7u)),
                                   BACKOFF_MAX_S)
                              * G_USEC_PER_SEC);
        }
      c->syncs++;
    }
  return NULL;
}

typedef struct
{
  guint64 rss_kb;
  guint fds;
  guint sockets;
} Sample;

static Sample
sample (ConnServer *s)
{
  Sample out = { 0 };

  out.fds = conn_count_fds (s, &out.sockets);
  out.rss_kb = conn_status_kb (s, "VmRSS");
  return out;
}

/* The dashboard as a browser sees it: signed in once, then its page. */
static SoupSession *
dashboard_session (const char *url, const char *token)
{
  SoupSession *session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *login = g_strconcat (url, "login", NULL);
  g_autofree char *origin = g_strndup (url, strlen (url) - 1);

  soup_session_add_feature_by_type (session, SOUP_TYPE_COOKIE_JAR);
  msg = soup_message_new_from_encoded_form ("POST", login, soup_form_encode ("token", token, NULL));
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  g_assert_nonnull (body);
  g_assert_cmpuint (soup_message_get_status (msg), <, 400);
  return session;
}

static guint
get_status (SoupSession *session, const char *url, const char *token)
{
  guint status;
  g_autoptr (GBytes) body = conn_http (session, "GET", url, token, NULL, NULL, &status);

  return status;
}

int
main (int argc, char **argv)
{
  guint seconds = conn_env_uint ("PCMBN_SOAK_SECONDS", 600);
  guint n_devices = conn_env_uint ("PCMBN_SOAK_DEVICES", 600);
  ConnServer *s;
  g_autofree char *url = NULL, *staff = NULL, *err = NULL, *copy = NULL;
  g_autofree Device *devices = g_new0 (Device, n_devices);
  g_auto (GStrv) codes = NULL;
  Client clients[N_THREADS];
  GThread *threads[N_THREADS];
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (SoupSession) dashboard = NULL;
  g_autoptr (SoupSession) api = soup_session_new ();
  Sample at_start, at_warm = { 0 }, at_middle = { 0 }, at_end;
  gboolean warmed = FALSE, flat;
  double growth_mib, allowed_mib;
  guint errors = 0, syncs = 0, records = 0, polls = 0, reports = 0, backup_status = 1;
  double backup_took = 0;
  gint64 start, until, next_poll, next_report, next_sample, warm_up;
  gboolean backed_up = FALSE;

  g_test_init (&argc, &argv, NULL);
  /* The 600 simulated computers keep their logbooks open, as the app does:
   * the bench needs more descriptors than the server it measures. */
  conn_raise_nofile ();
  s = conn_server_new ();
  conn_server_start (s, 1024, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/", s->port);
  {
    const char *args[] = { "staff-token", "--db", s->db, "--name", "Soak", NULL };
    g_assert_cmpint (conn_district (args, &staff, &err), ==, 0);
    g_strstrip (staff);
  }

  g_print ("Enrolling %u devices…\n", n_devices);
  /* The codes through the server's data layer in one go: 600 runs of
   * `enroll-code` measured nothing but process start-up. */
  codes = conn_enrol_codes (s, communes, G_N_ELEMENTS (communes), n_devices);
  for (guint i = 0; i < n_devices; i++)
    {
      const char *commune = communes[i % G_N_ELEMENTS (communes)];
      g_autofree char *dir = pcmbn_test_tmpdir ();
      g_autofree char *db = g_build_filename (dir, "logbook.sqlite", NULL);
      const char *code = codes[i];
      g_autofree char *name = g_strdup_printf ("device %u", i);
      g_autoptr (GError) error = NULL;

      devices[i].store = pcmbn_store_open (db, &error);
      g_assert_no_error (error);
      g_assert_true (pcmbn_store_init_commune (devices[i].store, commune, NULL, NULL, &error));
      devices[i].engine = pcmbn_sync_engine_new (devices[i].store);
      g_assert_true (pcmbn_sync_engine_enroll (devices[i].engine, url, code, name, NULL, &error));
    }
  dashboard = dashboard_session (url, staff);

  start = g_get_monotonic_time ();
  until = start + (gint64)seconds * G_USEC_PER_SEC;
  /* The first minute fills what a server fills once (worker threads and
   * their SQLite connections, caches, libsoup's buffers): the baseline is
   * taken after it. */
  warm_up = start + MIN ((gint64)60, (gint64)seconds / 4) * G_USEC_PER_SEC;
  at_start = sample (s);
  for (guint t = 0; t < N_THREADS; t++)
    {
      guint from = t * n_devices / N_THREADS, to = (t + 1) * n_devices / N_THREADS;
      clients[t] = (Client){
        devices + from, to - from, until, g_array_new (FALSE, FALSE, sizeof (double)), 0, 0, 0, NULL
      };
      /* The first syncs spread over one interval, as computers start
       * their day at different times. */
      for (guint i = from; i < to; i++)
        devices[i].due = start + (gint64)(g_random_double () * INTERVAL_S * G_USEC_PER_SEC);
      threads[t] = g_thread_new ("device", client_thread, &clients[t]);
    }

  next_poll = start;
  next_report = start;
  next_sample = start + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      gint64 now = g_get_monotonic_time ();
      if (now >= next_poll)
        {
          if (get_status (dashboard, url, NULL) != 200)
            errors++;
          polls++;
          next_poll = now + 2 * G_USEC_PER_SEC;
        }
      if (now >= next_report)
        {
          g_autofree char *report = g_strconcat (url, "api/v1/report?year=2025&format=json", NULL);
          if (get_status (api, report, staff) != 200)
            errors++;
          reports++;
          next_report = now + 60 * G_USEC_PER_SEC;
        }
      if (!warmed && now >= warm_up)
        {
          at_warm = sample (s);
          warmed = TRUE;
        }
      if (now >= next_sample)
        {
          /* The trend, not only three points: caches fill, leaks climb. */
          Sample at = sample (s);
          g_print ("t=%3us  server RSS %.1f MiB  fds %u  sockets %u\n",
                   (guint)((now - start) / G_USEC_PER_SEC), at.rss_kb / 1024.0, at.fds, at.sockets);
          next_sample = now + 60 * G_USEC_PER_SEC;
        }
      if (!backed_up && now >= start + (until - start) / 2)
        {
          gint64 t0;
          at_middle = sample (s);
          copy = g_build_filename (s->dir, "soak-backup.sqlite", NULL);
          t0 = g_get_monotonic_time ();
          {
            const char *args[] = { "backup", "--db", s->db, "-o", copy, NULL };
            g_autofree char *out = NULL, *berr = NULL;
            backup_status = conn_district (args, &out, &berr);
            if (backup_status != 0)
              g_print ("backup failed: %s\n", berr);
          }
          backup_took = (g_get_monotonic_time () - t0) / (double)G_USEC_PER_SEC;
          if (backup_status != 0)
            errors++;
          backed_up = TRUE;
        }
      g_usleep (100000);
    }
  for (guint t = 0; t < N_THREADS; t++)
    {
      g_thread_join (threads[t]);
      errors += clients[t].errors;
      syncs += clients[t].syncs;
      records += clients[t].records;
      g_array_append_vals (all, clients[t].latencies->data, clients[t].latencies->len);
      if (clients[t].first_error)
        g_print ("device error: %s\n", clients[t].first_error);
      g_array_unref (clients[t].latencies);
      g_free (clients[t].first_error);
    }
  /* The last answers leave; then what stays open is what the server keeps. */
  conn_wait_sockets (s, 1, 30);
  at_end = sample (s);
  conn_sort_latencies (all);

  g_print ("\nSoak: %u devices, %u s, server under ulimit -n 1024\n", n_devices, seconds);
  g_print ("syncs: %u (%u records pushed), dashboard polls: %u, reports: %u\n", syncs, records,
           polls, reports);
  g_print ("backup halfway: %s in %.2f s\n", backup_status == 0 ? "ok" : "FAILED", backup_took);
  g_print ("errors: %u\n", errors);
  g_print ("server RSS (MiB):  start %.1f  after warm-up %.1f  middle %.1f  end %.1f\n",
           at_start.rss_kb / 1024.0, at_warm.rss_kb / 1024.0, at_middle.rss_kb / 1024.0,
           at_end.rss_kb / 1024.0);
  g_print ("server fds:        start %u  middle %u  end %u (sockets %u / %u / %u)\n", at_start.fds,
           at_middle.fds, at_end.fds, at_start.sockets, at_middle.sockets, at_end.sockets);
  if (all->len > 0)
    g_print ("sync latency (s):  p50 %.3f  p95 %.3f  max %.3f\n", conn_percentile (all, 0.5),
             conn_percentile (all, 0.95), conn_percentile (all, 1.0));

  for (guint i = 0; i < n_devices; i++)
    {
      g_object_unref (devices[i].engine);
      g_object_unref (devices[i].store);
    }
  /* Flat: from the middle to the end (the second half, long after the
   * warm-up) the server grew by at most 4 MiB or 10 %, whichever is more. */
  growth_mib = ((double)at_end.rss_kb - (double)at_middle.rss_kb) / 1024.0;
  allowed_mib = MAX (4.0, at_middle.rss_kb / 1024.0 * 0.10);
  flat = growth_mib <= allowed_mib;
  g_print ("RSS verdict: %s (end - middle = %+.1f MiB, allowed %.1f MiB; end - after warm-up "
           "(%u s) = %+.1f MiB)\n",
           flat ? "flat" : "NOT FLAT", growth_mib, allowed_mib,
           (guint)((warm_up - start) / G_USEC_PER_SEC),
           ((double)at_end.rss_kb - (double)at_warm.rss_kb) / 1024.0);
  conn_server_free (s);
  return errors == 0 && at_end.sockets == 1 && flat ? 0 : 1;
}
