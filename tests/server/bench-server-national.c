/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "conn-helpers.h"
#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* The whole country on one server: one computer for each of Vietnam's
 * 3,321 communes (since July 2025), 100 records each, against one real
 * `pcmbn-district serve` on loopback under `ulimit -n 1024`. Every device
 * enrols, pushes its 100 records in one request through the real HTTP API
 * and pulls its commune back, many at once; then every device syncs again
 * with nothing new (a pull from its cursor that must bring nothing).
 * Printed: errors (must be 0), the records on the server (exactly 332,100,
 * counted both in the database and by the pulls), the server's peak RSS
 * (goal: at most 256 MiB), push and no-op latencies, and the time taken.
 *
 * The server runs behind a reverse proxy on loopback (--trusted-proxy), so
 * that each commune is throttled by its own address as in the field.
 *
 * The devices speak the wire format themselves rather than each keeping a
 * logbook database: what is measured is the server, and 3,321 client
 * databases would only measure this machine's disk.
 *
 * PCMBN_NATIONAL_DEVICES (default 3321) and PCMBN_NATIONAL_THREADS (default
 * 24) change the scale while developing. */

#define N_COMMUNES 3321
#define N_RECORDS 100
#define RSS_GOAL_MIB 256

typedef struct
{
  char *commune;
  char *code;
  char *token;
  char *address; /* its own, as a reverse proxy tells it */
  gint64 cursor;
} Device;

typedef struct
{
  Device *devices;
  guint n;
  const char *url;
  gboolean noop;
  gint next; /* atomic: the next device to run */
  GMutex lock;
  GArray *latencies; /* double, seconds: a push, or a whole no-op sync */
  guint errors;
  guint64 pulled; /* records that came back in pulls */
  char *first_error;
} Run;

static void
fail (Run *run, const char *what, guint status, GBytes *body)
{
  g_mutex_lock (&run->lock);
  run->errors++;
  if (run->first_error == NULL)
    {
      gsize len = 0;
      const char *data = body ? g_bytes_get_data (body, &len) : NULL;
      run->first_error = g_strdup_printf ("%s: HTTP %u %.*s", what, status, (int)MIN (len, 300),
                                          data ? data : "");
    }
  g_mutex_unlock (&run->lock);
}

static JsonObject *
parse (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (!json_parser_load_from_data (parser, data, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
push_body (Device *d)
{
  GString *out = g_string_new ("{\"records\":[");
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");

  for (guint i = 0; i < N_RECORDS; i++)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_string_append_printf (
          out,
          "%s{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"%s\",\"base_version\":0,"
          "\"deleted\":false,\"modified_at\":\"%s\",\"data\":{\"material_type\":\"leaflet\","
          "\"title\":\"Tờ rơi %u của xã %s\",\"source\":\"district\","
          "\"received_on\":\"2025-12-10\",\"quantity_received\":%u}}",
          i ? "," : "", uuid, d->commune, when, i, d->commune, i + 1);
    }
  g_string_append (out, "]}");
  return g_string_free (out, FALSE);
}

/* Pulls from the device's cursor until the server has no more; returns the
 * records that came, or -1. */
static gint64
pull (Run *run, SoupSession *session, Device *d)
{
  gint64 records = 0;

  for (;;)
    {
      g_autofree char *url = g_strdup_printf ("%sapi/v1/sync/pull?since=%" G_GINT64_FORMAT,
                                              run->url, d->cursor);
      guint status;
      g_autoptr (GBytes)
          body = conn_http (session, "GET", url, d->token, NULL, d->address, &status);
      g_autoptr (JsonObject) o = NULL;
      JsonArray *changes;

      if (status != 200 || (o = parse (body)) == NULL
          || (changes = json_object_get_array_member (o, "changes")) == NULL)
        {
          fail (run, "pull", status, body);
          return -1;
        }
      for (guint i = 0; i < json_array_get_length (changes); i++)
        if (json_object_has_member (json_array_get_object_element (changes, i), "record"))
          records++;
      d->cursor = json_object_get_int_member (o, "next");
      if (!json_object_get_boolean_member (o, "more"))
        return records;
    }
}

static void
first_sync (Run *run, SoupSession *session, Device *d)
{
  g_autofree char *enrol = g_strdup_printf ("{\"code\":\"%s\",\"device_name\":\"máy xã %s\"}",
                                            d->code, d->commune);
  g_autofree char *enrol_url = g_strconcat (run->url, "api/v1/enroll", NULL);
  g_autofree char *push_url = g_strconcat (run->url, "api/v1/sync/push", NULL);
  g_autofree char *records = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) o = NULL;
  JsonArray *results;
  guint status, accepted = 0;
  gint64 start, pulled;
  double took;

  body = conn_http (session, "POST", enrol_url, NULL, enrol, d->address, &status);
  if (status != 200 || (o = parse (body)) == NULL || !json_object_has_member (o, "token"))
    {
      fail (run, "enrol", status, body);
      return;
    }
  d->token = g_strdup (json_object_get_string_member (o, "token"));
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&body, g_bytes_unref);

  records = push_body (d);
  start = g_get_monotonic_time ();
  body = conn_http (session, "POST", push_url, d->token, records, d->address, &status);
  took = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  if (status != 200 || (o = parse (body)) == NULL
      || (results = json_object_get_array_member (o, "results")) == NULL)
    {
      fail (run, "push", status, body);
      return;
    }
  for (guint i = 0; i < json_array_get_length (results); i++)
    if (g_strcmp0 (
            json_object_get_string_member (json_array_get_object_element (results, i), "status"),
            "accepted")
        == 0)
      accepted++;
  if (accepted != N_RECORDS)
    {
      fail (run, "push accepted fewer records", status, body);
      return;
    }
  /* The rest of a first sync: the commune's records come down. */
  pulled = pull (run, session, d);
  g_mutex_lock (&run->lock);
  g_array_append_val (run->latencies, took);
  if (pulled > 0)
    run->pulled += pulled;
  g_mutex_unlock (&run->lock);
}

/* Nothing new on either side: no push (the outbox is empty), one pull from
 * the cursor that must bring nothing. */
static void
noop_sync (Run *run, SoupSession *session, Device *d)
{
  gint64 start = g_get_monotonic_time ();
  gint64 pulled = pull (run, session, d);
  double took = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;

  if (pulled != 0)
    {
      if (pulled > 0)
        fail (run, "a no-op sync pulled records", 200, NULL);
      return;
    }
  g_mutex_lock (&run->lock);
  g_array_append_val (run->latencies, took);
  g_mutex_unlock (&run->lock);
}

static gpointer
device_thread (gpointer data)
{
  Run *run = data;
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 120, NULL);

  for (;;)
    {
      gint i = g_atomic_int_add (&run->next, 1);
      Device *d;
      if ((guint)i >= run->n)
        break;
      d = &run->devices[i];
      if (run->noop)
        {
          if (d->token)
            noop_sync (run, session, d);
        }
      else
        first_sync (run, session, d);
    }
  return NULL;
}

/* Runs every device once, @n_threads at a time; returns the seconds taken. */
static double
run_all (Run *run, guint n_threads)
{
  g_autofree GThread **threads = g_new (GThread *, n_threads);
  gint64 start = g_get_monotonic_time ();

  run->next = 0;
  for (guint t = 0; t < n_threads; t++)
    threads[t] = g_thread_new ("device", device_thread, run);
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);
  conn_sort_latencies (run->latencies);
  return (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

int
main (int argc, char **argv)
{
  guint n_devices = MIN (conn_env_uint ("PCMBN_NATIONAL_DEVICES", N_COMMUNES), N_COMMUNES);
  guint n_threads = MAX (conn_env_uint ("PCMBN_NATIONAL_THREADS", 24), 1);
  ConnServer *s = g_new0 (ConnServer, 1);
  g_autofree Device *devices = g_new0 (Device, n_devices);
  g_autofree char *units = NULL, *url = NULL, *err = NULL;
  g_autoptr (GString) csv = g_string_new ("level,code,name,full_name,unit_type,parent_code\n"
                                          "city,99,Cả nước,Cả nước (thử),thành phố trực thuộc "
                                          "trung ương,\n");
  Run first = { 0 }, again = { 0 };
  double setup_s, first_s, again_s, total_s;
  gint64 started = g_get_monotonic_time (), on_server;
  guint64 expected = (guint64)n_devices * N_RECORDS;
  guint64 peak_kb, end_kb;
  g_autoptr (GPtrArray) communes = g_ptr_array_new ();
  g_auto (GStrv) codes = NULL;
  gboolean ok;

  g_test_init (&argc, &argv, NULL);
  conn_raise_nofile ();

  /* A synthetic country: 3,321 communes under one root, two tiers as
   * since July 2025. */
  s->dir = pcmbn_test_tmpdir ();
  s->db = g_build_filename (s->dir, "district.sqlite", NULL);
  s->log = g_build_filename (s->dir, "serve.log", NULL);
  units = g_build_filename (s->dir, "communes.csv", NULL);
  for (guint i = 0; i < N_COMMUNES; i++)
    g_string_append_printf (csv, "commune,%05u,Xã %u,Xã %u,xã,99\n", 90001 + i, i + 1, i + 1);
  g_assert_true (g_file_set_contents (units, csv->str, csv->len, NULL));
  {
    const char *args[] = { "init", "--db", s->db, "--org-unit", "99", "--units", units, NULL };
    g_assert_cmpint (conn_district (args, NULL, &err), ==, 0);
  }
  /* The codes in one go through the server's data layer: 3,321 runs of
   * `enroll-code` would measure process start-up. */
  for (guint i = 0; i < n_devices; i++)
    {
      devices[i].commune = g_strdup_printf ("%05u", 90001 + i);
      /* Every commune from its own address (198.18.0.0/15 is the
       * benchmarking range; nothing is sent there, it is only a header). */
      devices[i].address = g_strdup_printf ("198.18.%u.%u", i / 250, 1 + i % 250);
      g_ptr_array_add (communes, devices[i].commune);
    }
  codes = conn_enrol_codes (s, (const char *const *)communes->pdata, n_devices, n_devices);
  for (guint i = 0; i < n_devices; i++)
    devices[i].code = g_steal_pointer (&codes[i]);
  /* Behind the district's reverse proxy, as a national server would be:
   * each commune's enrolment is throttled by its own address, not all
   * together by the proxy's. */
  {
    const char *args[] = { "--trusted-proxy", "127.0.0.1", NULL };
    conn_server_start (s, 1024, args);
  }
  url = g_strdup_printf ("http://127.0.0.1:%u/", s->port);
  setup_s = (g_get_monotonic_time () - started) / (double)G_USEC_PER_SEC;
  g_print ("%u communes, %u enrolment codes ready in %.1f s; server RSS %.1f MiB\n", N_COMMUNES,
           n_devices, setup_s, conn_status_kb (s, "VmRSS") / 1024.0);

  first = (Run){ devices, n_devices, url, FALSE };
  first.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  g_mutex_init (&first.lock);
  first_s = run_all (&first, n_threads);
  g_print ("first sync of every device (enrol, push %u, pull): %.1f s, server RSS %.1f MiB\n",
           N_RECORDS, first_s, conn_status_kb (s, "VmRSS") / 1024.0);

  again = (Run){ devices, n_devices, url, TRUE };
  again.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  g_mutex_init (&again.lock);
  again_s = run_all (&again, n_threads);

  on_server = sync_query_int (s->db, "SELECT count(*) FROM records");
  end_kb = conn_status_kb (s, "VmRSS");
  peak_kb = conn_status_kb (s, "VmHWM");
  total_s = (g_get_monotonic_time () - started) / (double)G_USEC_PER_SEC;

  g_print ("\nNational scale: %u devices x %u records, %u at once, server under ulimit -n 1024\n",
           n_devices, N_RECORDS, n_threads);
  if (first.first_error)
    g_print ("first error: %s\n", first.first_error);
  if (again.first_error)
    g_print ("first error of the no-op sync: %s\n", again.first_error);
  g_print ("errors: %u\n", first.errors + again.errors);
  g_print ("records on the server: %" G_GINT64_FORMAT " (expected %" G_GUINT64_FORMAT
           "), pulled back by the devices: %" G_GUINT64_FORMAT "\n",
           on_server, expected, first.pulled);
  g_print ("server RSS: max %.1f MiB, at the end %.1f MiB (goal: max <= %u MiB)\n",
           peak_kb / 1024.0, end_kb / 1024.0, RSS_GOAL_MIB);
  g_print ("push latency (s, %u records): p50 %.3f  p95 %.3f  max %.3f\n", N_RECORDS,
           conn_percentile (first.latencies, 0.5), conn_percentile (first.latencies, 0.95),
           conn_percentile (first.latencies, 1.0));
  g_print ("no-op sync latency (s): p50 %.3f  p95 %.3f  max %.3f\n",
           conn_percentile (again.latencies, 0.5), conn_percentile (again.latencies, 0.95),
           conn_percentile (again.latencies, 1.0));
  g_print ("time: setup %.1f s, first syncs %.1f s (%.0f records/s), no-op syncs %.1f s, total "
           "%.1f s\n",
           setup_s, first_s, expected / MAX (first_s, 0.001), again_s, total_s);
  ok = first.errors + again.errors == 0 && on_server == (gint64)expected && first.pulled == expected
       && peak_kb <= RSS_GOAL_MIB * 1024;
  g_print ("verdict: %s\n",
           ok ? "met (0 errors, every record there, RSS within the goal)" : "NOT MET");

  for (guint i = 0; i < n_devices; i++)
    {
      g_free (devices[i].commune);
      g_free (devices[i].code);
      g_free (devices[i].token);
      g_free (devices[i].address);
    }
  g_array_unref (first.latencies);
  g_array_unref (again.latencies);
  g_free (first.first_error);
  g_free (again.first_error);
  g_mutex_clear (&first.lock);
  g_mutex_clear (&again.lock);
  g_unlink (units);
  conn_server_free (s);
  return ok ? 0 : 1;
}
