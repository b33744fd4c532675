/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#ifdef G_OS_UNIX
#include <glib-unix.h>
#endif
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

#include "server/pcmbn-district-backup.h"
#include "pcmbn-district-dashboard.h"
#include "pcmbn-district-report.h"
#include "pcmbn-district-server.h"
#include "server/pcmbn-district-store.h"
#include "report/pcmbn-report.h"
#include "report/pcmbn-targets.h"
#include "server/pcmbn-district-chain.h"
#include "store/pcmbn-store.h"
#include "sync/pcmbn-bundle.h"
#include "pcmbn-allocator.h"
#include "pcmbn-util.h"

/* `pcmbn-district`: the district server and its admin verbs. Like `pcmbn`:
 * results on stdout, messages on stderr, exit 0 success, 1 operational
 * failure, 2 bad input or usage. The admin verbs work while `serve` runs on
 * the same file (WAL mode), and the server reads them at its next request. */

typedef struct
{
  const char *name;
  const char *usage;
  const char *const *options; /* that take a value */
  int (*run) (GHashTable *opts, GError **error);
} Verb;

static const char *
opt (GHashTable *opts, const char *name)
{
  return g_hash_table_lookup (opts, name);
}

static gboolean
require (GHashTable *opts, const char *name, const char *usage, GError **error)
{
  if (opt (opts, name) && *opt (opts, name))
    return TRUE;
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
               _ ("%s: is required; usage: pcmbn-district %s"), name, usage);
  return FALSE;
}

static int
status_for (GError *error)
{
  if (error->domain == PCMBN_ERROR
      && (error->code == PCMBN_ERROR_INVALID || error->code == PCMBN_ERROR_NOT_FOUND
          || error->code == PCMBN_ERROR_USAGE || error->code == PCMBN_ERROR_NOT_INITIALIZED))
    return 2;
  return 1;
}

static int
verb_init (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;

  if (!require (opts, "org-unit", "init --db PATH --org-unit CODE [--units FILE.csv]", error))
    return -1;
  if (opt (opts, "units") && !g_file_test (opt (opts, "units"), G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("units: cannot read the file %s"),
                   opt (opts, "units"));
      return -1;
    }
  store = pcmbn_district_store_open (opt (opts, "db"), TRUE, error);
  if (store == NULL
      || !pcmbn_district_store_initialize (store, opt (opts, "org-unit"), opt (opts, "units"),
                                           error))
    return -1;
  return 0;
}

static int
verb_org_units (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  if (opt (opts, "import"))
    {
      g_autofree char *text = NULL;
      gsize len;
      guint n = 0;
      if (!g_file_get_contents (opt (opts, "import"), &text, &len, error))
        {
          (*error)->domain = PCMBN_ERROR;
          (*error)->code = PCMBN_ERROR_INVALID;
          g_prefix_error (error, _ ("import: "));
          return -1;
        }
      if (!g_utf8_validate (text, len, NULL))
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("import: the file is not UTF-8 text"));
          return -1;
        }
      if (!pcmbn_district_store_import_units (store, text, len, &n, error))
        return -1;
      g_printerr (_ ("%u communes updated.\n"), n);
      return 0;
    }
  if (opt (opts, "set"))
    {
      const char *key = opt (opts, "key-area");
      const char *pop = opt (opts, "population-14-60");
      int key_area = -1;
      gint64 population = -2;
      if (key == NULL && pop == NULL)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                       _ ("set: give --key-area yes|no and/or --population-14-60 N"));
          return -1;
        }
      if (key)
        {
          if (g_ascii_strcasecmp (key, "yes") == 0 || g_str_equal (key, "1")
              || g_ascii_strcasecmp (key, "true") == 0)
            key_area = 1;
          else if (g_ascii_strcasecmp (key, "no") == 0 || g_str_equal (key, "0")
                   || g_ascii_strcasecmp (key, "false") == 0)
            key_area = 0;
          else
            {
              g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                           _ ("key-area: must be yes or no"));
              return -1;
            }
        }
      if (pop)
        {
          char *end = NULL;
          if (*pop == '\0')
            population = -1;
          else
            {
              population = g_ascii_strtoll (pop, &end, 10);
              if (!g_ascii_isdigit (*pop) || *end != '\0' || population < 0)
                {
                  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                               _ ("population-14-60: must be a whole number of people"));
                  return -1;
                }
            }
        }
      return pcmbn_district_store_set_unit (store, opt (opts, "set"), key_area, population, error)
                 ? 0
                 : -1;
    }
  /* Without a change: the communes and their facts, as JSON. */
  {
    g_autoptr (JsonNode) root = pcmbn_district_store_list_communes (store);
    g_autofree char *text = json_to_string (root, TRUE);
    puts (text);
  }
  pcmbn_district_store_audit (store, "admin", "org-units", "list", NULL, TRUE);
  return 0;
}

static int
verb_enroll_code (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;
  g_autofree char *code = NULL;

  if (!require (opts, "org-unit", "enroll-code --db PATH --org-unit COMMUNE_CODE", error))
    return -1;
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  code = pcmbn_district_store_new_enrol_code (store, opt (opts, "org-unit"), error);
  if (code == NULL)
    return -1;
  puts (code);
  return 0;
}

static int
verb_devices (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  g_autoptr (JsonNode) list = NULL;
  g_autofree char *text = NULL;

  if (store == NULL)
    return -1;
  /* After a revocation too, the list (as the contract says): the admin
   * sees the device marked revoked. */
  if (opt (opts, "revoke")
      && !pcmbn_district_store_revoke_device (store, opt (opts, "revoke"), error))
    return -1;
  list = pcmbn_district_store_list_devices (store);
  text = json_to_string (list, TRUE);
  puts (text);
  pcmbn_district_store_audit (store, "admin", "devices", "list", NULL, TRUE);
  return 0;
}

static int
verb_staff_token (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;
  g_autofree char *token = NULL;

  if (!require (opts, "name", "staff-token --db PATH --name NAME", error))
    return -1;
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  token = pcmbn_district_store_new_staff_token (store, opt (opts, "name"), error);
  if (token == NULL)
    return -1;
  puts (token);
  return 0;
}

static int
verb_bundle (GHashTable *opts, GError **error)
{
  static const char *const usage = "bundle --db PATH --in FILE --out REPLY";
  g_autoptr (PcmbnDistrictStore) store = NULL;
  g_autoptr (GBytes) in = NULL;
  g_autoptr (GBytes) reply = NULL;
  guint n = 0;

  if (!require (opts, "in", usage, error) || !require (opts, "out", usage, error))
    return -1;
  in = pcmbn_bundle_read_file (opt (opts, "in"), error);
  if (in == NULL)
    return -1;
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  reply = pcmbn_district_store_answer_bundle (store, in, opt (opts, "server-url"), &n, error);
  if (reply == NULL)
    return -1;
  if (!pcmbn_bundle_write_file (opt (opts, "out"), reply, error))
    {
      g_prefix_error (error, "out: ");
      return -1;
    }
  g_printerr (_ ("%u records applied; the reply for the commune is in %s.\n"), n,
              opt (opts, "out"));
  return 0;
}

/* Writes the whole file or nothing: a partial report must never look like
 * a finished one. Without -o (or with -o -), the bytes go to stdout. */
static gboolean
write_output (const char *path, GBytes *bytes, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (path == NULL || g_str_equal (path, "-"))
    {
      if (fwrite (data, 1, len, stdout) != len || fflush (stdout) != 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                       _ ("o: cannot write the report to the standard output"));
          return FALSE;
        }
      return TRUE;
    }
  if (!g_file_set_contents (path, data, len, error))
    {
      g_prefix_error (error, _ ("o: "));
      return FALSE;
    }
  return TRUE;
}

static int
verb_report (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const char *format_name = opt (opts, "format") ? opt (opts, "format") : "json";
  PcmbnReportFormat format;
  PcmbnLang lang;
  g_autofree char *from = NULL, *to = NULL, *object = NULL;

  if (!pcmbn_report_format_from_string (format_name, &format))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("format: must be json, csv, pdf or xlsx"));
      return -1;
    }
  if (!pcmbn_lang_parse_option (opt (opts, "lang"), &lang, error))
    return -1;
  /* The period first: a wrong date is a usage error even without a database. */
  if (!pcmbn_report_parse_period (opt (opts, "year"), opt (opts, "from"), opt (opts, "to"), &from,
                                  &to, error))
    return -1;
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  bytes = pcmbn_district_report_export_unit (store, opt (opts, "org-unit"), opt (opts, "year"),
                                             opt (opts, "from"), opt (opts, "to"), format, lang,
                                             NULL, error);
  object = g_strdup_printf ("report from=%s to=%s format=%s", from, to, format_name);
  pcmbn_district_store_audit (store, "admin", "report", object, NULL, bytes != NULL);
  if (bytes == NULL)
    return -1;
  return write_output (opt (opts, "o"), bytes, error) ? 0 : 1;
}

/* ---- audit ---------------------------------------------------------------- */

static int
verb_audit (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;
  g_autoptr (JsonNode) entries = NULL;
  g_autofree char *text = NULL, *object = NULL;
  const char *since = opt (opts, "since");
  const char *limit_text = opt (opts, "limit");
  gint64 limit = 0;

  /* Bad options are usage errors even without a database. */
  if (since && pcmbn_date_parse (since) < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("since: “%s” is not a date such as 2026-11-29"), since);
      return -1;
    }
  if (limit_text)
    {
      char *end = NULL;
      limit = g_ascii_strtoll (limit_text, &end, 10);
      if (!g_ascii_isdigit (*limit_text) || *end != '\0' || limit < 1 || limit > G_MAXINT32)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                       _ ("limit: give a whole number of entries, 1 or more"));
          return -1;
        }
    }
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  entries = pcmbn_district_store_read_audit (store, since, limit, error);
  if (entries == NULL)
    return -1;
  text = json_to_string (entries, TRUE);
  puts (text);
  /* Reading the audit is an admin verb like the others: the next reader
   * sees this one. */
  object = g_strdup_printf ("audit since=%s limit=%s", since ? since : "",
                            limit_text ? limit_text : "");
  pcmbn_district_store_audit (store, "admin", "audit", object, NULL, TRUE);
  return 0;
}

/* A year's targets, set once at the city and moved down the chain. Values
 * of a repeated option arrive joined by REPEAT_SEP. */
#define REPEAT_SEP "\x1f"

static int
verb_targets (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;
  g_autoptr (JsonNode) json = NULL;
  g_autofree char *text = NULL;
  int year = 0;

  if (opt (opts, "year"))
    {
      char *end = NULL;
      gint64 y = g_ascii_strtoll (opt (opts, "year"), &end, 10);
      if (end == NULL || *end != '\0' || y < 2000 || y > 2100)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("year: “%s” is not a year; write it like 2026"), opt (opts, "year"));
          return -1;
        }
      year = (int)y;
    }
  if (opt (opts, "set") && year == 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("year: is required with --set; usage: pcmbn-district targets --db PATH "
                      "--year Y --set INDICATOR=VALUE ..."));
      return -1;
    }
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  if (opt (opts, "set"))
    {
      g_auto (GStrv) sets = g_strsplit (opt (opts, "set"), REPEAT_SEP, -1);
      g_autofree char *joined = g_strjoinv (" ", sets);
      g_autofree char *object = g_strdup_printf ("targets year=%d %s", year, joined);
      gboolean ok = pcmbn_targets_set (pcmbn_district_store_get_store (store), year,
                                       (const char *const *)sets, error)
                    && pcmbn_district_store_targets_changed (store, year, error);
      pcmbn_district_store_audit (store, "admin", "targets", object, NULL, ok);
      if (!ok)
        return -1;
    }
  json = pcmbn_targets_to_json (pcmbn_district_store_get_store (store), year);
  text = json_to_string (json, TRUE);
  puts (text);
  return 0;
}

/* ---- the reporting chain: this server under a parent ------------------------ */

static int
verb_enroll (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = NULL;

  if (!require (opts, "parent", "enroll --db PATH --parent URL --code CODE", error)
      || !require (opts, "code", "enroll --db PATH --parent URL --code CODE", error))
    return -1;
  store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  if (store == NULL
      || !pcmbn_district_store_enroll_parent (store, opt (opts, "parent"), opt (opts, "code"),
                                              error))
    return -1;
  g_printerr (_ ("Enrolled under %s.\n"), opt (opts, "parent"));
  return 0;
}

static int
verb_sync (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictStore) store = pcmbn_district_store_open (opt (opts, "db"), FALSE, error);
  PcmbnDistrictChainStats stats = { 0 };
  gboolean ok;

  if (store == NULL)
    return -1;
  ok = pcmbn_district_store_sync_parent (store, &stats, error);
  pcmbn_district_store_audit (store, "admin", "sync", "parent", NULL, ok);
  if (!ok)
    {
      /* Not a usage error once enrolled: the next run resumes. */
      if ((*error)->domain == PCMBN_ERROR && (*error)->code == PCMBN_ERROR_USAGE)
        return -1;
      return 1;
    }
  printf ("pushed %u, pulled %u, conflicts %u, rejected %u\n", stats.pushed, stats.pulled,
          stats.conflicts, stats.rejected);
  return 0;
}

/* `serve --parent-interval`: the same exchange in the background, on its
 * own connection, with the devices' back-off after a failure (30 s,
 * doubling, at most an hour). */
#define PARENT_BACKOFF_FIRST_S 30
#define PARENT_BACKOFF_MAX_S 3600

typedef struct
{
  char *db;
  guint interval;
  guint failures;
  gboolean running;
} ParentSync;

static void parent_schedule (ParentSync *ps, guint seconds);

static void
parent_sync_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ParentSync *ps = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnDistrictStore) store = pcmbn_district_store_open (ps->db, FALSE, &error);
  PcmbnDistrictChainStats stats = { 0 };

  if (store && pcmbn_district_store_sync_parent (store, &stats, &error))
    {
      g_print ("parent sync: pushed %u, pulled %u, conflicts %u, rejected %u\n", stats.pushed,
               stats.pulled, stats.conflicts, stats.rejected);
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
parent_sync_done (GObject *source, GAsyncResult *result, gpointer data)
{
  ParentSync *ps = data;
  g_autoptr (GError) error = NULL;

  ps->running = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      ps->failures = 0;
      parent_schedule (ps, ps->interval);
      return;
    }
  ps->failures++;
  g_printerr (_ ("parent sync failed: %s\n"), error ? error->message : "?");
  parent_schedule (ps, MIN ((guint)PARENT_BACKOFF_FIRST_S << MIN (ps->failures - 1, 7u),
                            (guint)PARENT_BACKOFF_MAX_S));
}

static gboolean
parent_tick (gpointer data)
{
  ParentSync *ps = data;
  g_autoptr (GTask) task = NULL;

  if (ps->running)
    return G_SOURCE_REMOVE;
  ps->running = TRUE;
  task = g_task_new (NULL, NULL, parent_sync_done, ps);
  g_task_set_task_data (task, ps, NULL);
  g_task_run_in_thread (task, parent_sync_thread);
  return G_SOURCE_REMOVE;
}

static void
parent_schedule (ParentSync *ps, guint seconds)
{
  g_timeout_add_seconds (seconds, parent_tick, ps);
}

/* A consistent copy while `serve` runs: see pcmbn-district-backup.c. */
static int
verb_backup (GHashTable *opts, GError **error)
{
  g_autoptr (GHashTable) counts = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GList) tables = NULL;

  if (!require (opts, "o", "backup --db PATH -o FILE", error))
    return -1;
  if (!pcmbn_district_backup (opt (opts, "db"), opt (opts, "o"), &counts, error))
    return -1;
  /* What the copy holds, table by table, for the district's records. */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, opt (opts, "o"));
  json_builder_set_member_name (b, "integrity_check");
  json_builder_add_string_value (b, "ok");
  json_builder_set_member_name (b, "rows");
  json_builder_begin_object (b);
  tables = g_list_sort (g_hash_table_get_keys (counts), (GCompareFunc)g_strcmp0);
  for (GList *l = tables; l; l = l->next)
    {
      json_builder_set_member_name (b, l->data);
      json_builder_add_int_value (b, GPOINTER_TO_SIZE (g_hash_table_lookup (counts, l->data)));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  puts (text);
  return 0;
}

/* ---- serve ---------------------------------------------------------------- */

static GMainLoop *serve_loop;

#ifdef G_OS_UNIX
/* SIGTERM (systemd) and SIGINT stop the server once the requests under way
 * are answered. There are no such signals on Windows, where the server is
 * not a target; there Ctrl+C simply ends the process. */
static void
drained_cb (gpointer user_data)
{
  g_main_loop_quit (serve_loop);
}

static gboolean
terminate_cb (gpointer user_data)
{
  PcmbnDistrictServer *server = user_data;

  g_printerr ("%s\n", _ ("Stopping: finishing the requests under way…"));
  pcmbn_district_server_stop (server, G_CALLBACK (drained_cb), NULL);
  return G_SOURCE_CONTINUE;
}
#endif

/* The district office reads Vietnamese: a service started with no language
 * at all (a bare systemd environment) serves the dashboard in Vietnamese.
 * Any LANGUAGE, LC_ALL, LC_MESSAGES or LANG given wins. gettext ignores
 * LANGUAGE under the plain C locale, hence C.UTF-8. */
static void
default_to_vietnamese (void)
{
  static const char *const vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    if (g_getenv (vars[i]) && *g_getenv (vars[i]))
      return;
  if (setlocale (LC_ALL, "C.UTF-8") != NULL)
    g_setenv ("LANGUAGE", "vi", TRUE);
}

static int
verb_serve (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnDistrictServer) server = NULL;
  g_autoptr (GTlsCertificate) cert = NULL;
  g_autofree char *host = NULL, *url = NULL;
  const char *listen = opt (opts, "listen") ? opt (opts, "listen") : "127.0.0.1:8470";
  const char *colon = strrchr (listen, ':');
  guint64 port = 0;
  char *end = NULL;
  static ParentSync parent;
  g_auto (GStrv) proxies = NULL;
  guint timeout = 20;

  if (colon == NULL || colon == listen)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("listen: “%s” must be HOST:PORT, such as 127.0.0.1:8470"), listen);
      return -1;
    }
  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (*(colon + 1) == '\0' || *end != '\0' || port > 65535)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("listen: “%s” must be HOST:PORT, such as 127.0.0.1:8470"), listen);
      return -1;
    }
  host = g_strndup (listen, colon - listen);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  /* Checked before anything listens: the dashboard trusts this origin. */
  if (opt (opts, "public-url")
      && !pcmbn_district_dashboard_set_origins (opt (opts, "public-url"), NULL))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("public-url: “%s” must be the dashboard’s address as browsers open it, "
                      "such as https://pcmbn.example.gov.vn"),
                   opt (opts, "public-url"));
      return -1;
    }
  if ((opt (opts, "tls-cert") == NULL) != (opt (opts, "tls-key") == NULL))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("tls-cert: give both --tls-cert FILE and --tls-key FILE"));
      return -1;
    }
  if (opt (opts, "tls-cert"))
    {
      cert = g_tls_certificate_new_from_files (opt (opts, "tls-cert"), opt (opts, "tls-key"),
                                               error);
      if (cert == NULL)
        {
          g_prefix_error (error, _ ("tls-cert: "));
          (*error)->domain = PCMBN_ERROR;
          (*error)->code = PCMBN_ERROR_INVALID;
          return -1;
        }
    }
  if (opt (opts, "parent-interval"))
    {
      const char *text = opt (opts, "parent-interval");
      guint64 seconds = g_ascii_strtoull (text, &end, 10);
      if (!g_ascii_isdigit (*text) || *end != '\0' || seconds < 1 || seconds > 7 * 24 * 3600)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                       _ ("parent-interval: “%s” must be a number of seconds from 1 to 604800"),
                       text);
          return -1;
        }
      parent.db = (char *)opt (opts, "db");
      parent.interval = (guint)seconds;
    }
  if (opt (opts, "timeout"))
    {
      guint64 seconds;
      if (!g_ascii_string_to_unsigned (opt (opts, "timeout"), 10, 1, 3600, &seconds, NULL))
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                       _ ("timeout: must be a number of seconds from 1 to 3600"));
          return -1;
        }
      timeout = seconds;
    }
  if (opt (opts, "trusted-proxy"))
    {
      proxies = g_strsplit (opt (opts, "trusted-proxy"), ",", -1);
      for (guint i = 0; proxies[i]; i++)
        {
          g_autoptr (GInetAddress)
              address = g_inet_address_new_from_string (g_strstrip (proxies[i]));
          if (address == NULL)
            {
              g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                           _ ("trusted-proxy: “%s” is not an IP address; give the addresses of "
                              "your reverse proxies, separated by commas"),
                           proxies[i]);
              return -1;
            }
        }
    }
  default_to_vietnamese ();
  server = pcmbn_district_server_new (opt (opts, "db"), cert, error);
  if (server == NULL)
    return -1;
  pcmbn_district_server_set_timeout (server, timeout);
  pcmbn_district_server_set_proxies (server, (const char *const *)proxies);
  if (!pcmbn_district_server_listen (server, host, port, error))
    return -1;
  url = pcmbn_district_server_get_url (server);
  pcmbn_district_dashboard_set_origins (opt (opts, "public-url"), url);
  {
    g_autoptr (PcmbnDistrictStore)
        store = pcmbn_district_store_open (opt (opts, "db"), FALSE, NULL);
    if (store)
      pcmbn_district_store_audit (store, "admin", "serve", url ? url : listen, NULL, TRUE);
  }
  printf ("Listening on %s\n", url ? url : listen);
  fflush (stdout);
  serve_loop = g_main_loop_new (NULL, FALSE);
  /* The first exchange soon after start, then every interval. */
  if (parent.interval > 0)
    parent_schedule (&parent, 1);
#ifdef G_OS_UNIX
  g_unix_signal_add (SIGTERM, terminate_cb, server);
  g_unix_signal_add (SIGINT, terminate_cb, server);
#endif
  g_main_loop_run (serve_loop);
  g_clear_pointer (&serve_loop, g_main_loop_unref);
  return 0;
}

static const char *const init_options[] = { "db", "org-unit", "units", NULL };
static const char *const org_units_options[] = { "db",       "import",           "set",
                                                 "key-area", "population-14-60", NULL };
static const char *const serve_options[] = { "db",      "listen",        "tls-cert",
                                             "tls-key", "public-url",    "parent-interval",
                                             "timeout", "trusted-proxy", NULL };
static const char *const backup_options[] = { "db", "o", NULL };
static const char *const enroll_options[] = { "db", "parent", "code", NULL };
static const char *const sync_options[] = { "db", NULL };
static const char *const enroll_code_options[] = { "db", "org-unit", NULL };
static const char *const devices_options[] = { "db", "revoke", NULL };
static const char *const staff_options[] = { "db", "name", NULL };
static const char *const bundle_options[] = { "db", "in", "out", "server-url", NULL };
static const char *const report_options[] = { "db", "year",     "from", "to", "format",
                                              "o",  "org-unit", "lang", NULL };
static const char *const targets_options[] = { "db", "year", "set", NULL };
static const char *const audit_options[] = { "db", "since", "limit", NULL };

static const Verb verbs[] = {
  { "init", "init --db PATH --org-unit CODE [--units FILE.csv]", init_options, verb_init },
  { "org-units",
    "org-units --db PATH [--import FILE.csv] [--set CODE --key-area yes|no --population-14-60 N]",
    org_units_options, verb_org_units },
  { "serve",
    "serve --db PATH [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--public-url URL]"
    " [--parent-interval SECONDS] [--timeout SECONDS] [--trusted-proxy ADDRESS,…]",
    serve_options, verb_serve },
  { "enroll-code", "enroll-code --db PATH --org-unit COMMUNE_CODE", enroll_code_options,
    verb_enroll_code },
  { "devices", "devices --db PATH [--revoke DEVICE_ID]", devices_options, verb_devices },
  { "staff-token", "staff-token --db PATH --name NAME", staff_options, verb_staff_token },
  { "backup", "backup --db PATH -o FILE", backup_options, verb_backup },
  { "bundle", "bundle --db PATH --in FILE --out REPLY [--server-url URL]", bundle_options,
    verb_bundle },
  { "report",
    "report --db PATH [--year Y | --from DATE --to DATE] [--org-unit CODE] --format "
    "json|csv|pdf|xlsx [-o FILE] [--lang vi|en]",
    report_options, verb_report },
  { "audit", "audit --db PATH [--since DATE] [--limit N]", audit_options, verb_audit },
  { "targets", "targets --db PATH [--year Y] [--set INDICATOR=VALUE ...]", targets_options,
    verb_targets },
  { "enroll", "enroll --db PATH --parent URL --code CODE", enroll_options, verb_enroll },
  { "sync", "sync --db PATH", sync_options, verb_sync },
};

/* Options a verb takes more than once. */
static gboolean
repeatable (const char *verb, const char *key)
{
  return g_strcmp0 (verb, "targets") == 0 && g_str_equal (key, "set");
}

static void
usage (FILE *out)
{
  fprintf (out, "%s\n\n", _ ("Usage: pcmbn-district VERB --db PATH [OPTIONS]"));
  fprintf (out, "%s\n\n", _ ("The district server of PCMBN Logbook and its admin commands."));
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    fprintf (out, "  pcmbn-district %s\n", verbs[i].usage);
  fprintf (out, "\n%s\n",
           _ ("Exit status: 0 success, 1 operational failure, 2 bad input or usage."));
}

int
main (int argc, char **argv)
{
  g_autoptr (GHashTable) opts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) twice = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  const char *verb_name = NULL;
  const Verb *verb = NULL;
  int status;

#if defined(__GLIBC__) && !defined(PCMBN_MIMALLOC)
  /* glibc gives every thread that allocates under contention an arena of
   * its own (up to 8 per core), and a freed block returns only to its own
   * arena: with the server's eight workers, each burst left its garbage
   * spread over many heaps and the resident size crept up for hours. Two
   * arenas are plenty for workers that mostly wait on SQLite. It must be
   * set before any thread exists. */
  mallopt (M_ARENA_MAX, 2);
#endif
  pcmbn_i18n_init ();
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
        {
          usage (stdout);
          return 0;
        }
      if (g_str_equal (arg, "--version"))
        {
          puts ("pcmbn-district " PACKAGE_VERSION);
          return 0;
        }
      if (arg[0] == '-' && arg[1] != '\0')
        {
          const char *name = arg + (arg[1] == '-' ? 2 : 1);
          const char *eq = strchr (name, '=');
          g_autofree char *key = eq ? g_strndup (name, eq - name) : g_strdup (name);
          const char *value;
          if (eq)
            value = eq + 1;
          else if (i + 1 < argc)
            value = argv[++i];
          else
            {
              g_printerr (_ ("%s: needs a value\n"), key);
              return 2;
            }
          if (g_hash_table_contains (opts, key))
            {
              /* Whether the verb takes it again is known once the verb is. */
              char *joined = g_strconcat (opt (opts, key), REPEAT_SEP, value, NULL);
              g_hash_table_add (twice, g_strdup (key));
              g_hash_table_insert (opts, g_steal_pointer (&key), joined);
            }
          else
            g_hash_table_insert (opts, g_steal_pointer (&key), g_strdup (value));
        }
      else if (verb_name == NULL)
        verb_name = arg;
      else
        {
          g_printerr (_ ("“%s”: unexpected argument\n"), arg);
          return 2;
        }
    }
  if (verb_name == NULL)
    {
      usage (stderr);
      return 2;
    }
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (verbs[i].name, verb_name))
      verb = &verbs[i];
  if (verb == NULL)
    {
      g_printerr (_ ("“%s” is not a verb of pcmbn-district.\n"), verb_name);
      usage (stderr);
      return 2;
    }
  {
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init (&iter, twice);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!repeatable (verb->name, key))
        {
          g_printerr (_ ("%s: is given twice\n"), (const char *)key);
          return 2;
        }
    g_hash_table_iter_init (&iter, opts);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_strv_contains (verb->options, key))
        {
          g_printerr (_ ("%s: is not an option of “pcmbn-district %s”; usage: pcmbn-district %s\n"),
                      (const char *)key, verb->name, verb->usage);
          return 2;
        }
  }
  if (opt (opts, "db") == NULL || *opt (opts, "db") == '\0')
    {
      g_printerr (_ ("db: is required; usage: pcmbn-district %s\n"), verb->usage);
      return 2;
    }
  status = verb->run (opts, &error);
  if (status != 0)
    {
      if (error)
        {
          g_printerr ("%s\n", error->message);
          if (status < 0)
            status = status_for (error);
        }
      else
        status = 1;
    }
  return status;
}
