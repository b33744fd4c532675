/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#ifdef G_OS_UNIX
#include <glib-unix.h>
#endif
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "pcmbn-district-backup.h"
#include "pcmbn-district-db.h"
#include "pcmbn-district-report.h"
#include "pcmbn-district-server.h"
#include "report/pcmbn-report.h"
#include "store/pcmbn-store.h"
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
  g_autoptr (PcmbnStore) store = NULL;

  if (!require (opts, "org-unit", "init --db PATH --org-unit CODE [--units FILE.csv]", error))
    return -1;
  if (opt (opts, "units") && !g_file_test (opt (opts, "units"), G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("units: cannot read the file %s"),
                   opt (opts, "units"));
      return -1;
    }
  store = pcmbn_district_open (opt (opts, "db"), TRUE, error);
  if (store == NULL
      || !pcmbn_district_init (store, opt (opts, "org-unit"), opt (opts, "units"), error))
    return -1;
  return 0;
}

static int
verb_org_units (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnStore) store = pcmbn_district_open (opt (opts, "db"), FALSE, error);
  g_autofree char *code = NULL;

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
      if (!pcmbn_district_import_units (store, text, len, &n, error))
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
      return pcmbn_district_set_unit (store, opt (opts, "set"), key_area, population, error) ? 0
                                                                                             : -1;
    }
  /* Without a change: the communes and their facts, as JSON. */
  code = pcmbn_district_get_code (store);
  {
    g_autoptr (GPtrArray) communes = pcmbn_store_communes_under (store, code);
    g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);
    g_autofree char *text = NULL;
    JsonArray *array = json_array_new ();
    for (guint i = 0; i < communes->len; i++)
      json_array_add_element (array, pcmbn_district_unit_json (communes->pdata[i]));
    json_node_take_array (root, array);
    text = json_to_string (root, TRUE);
    puts (text);
  }
  return 0;
}

static int
verb_enroll_code (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnStore) store = NULL;
  g_autofree char *code = NULL;

  if (!require (opts, "org-unit", "enroll-code --db PATH --org-unit COMMUNE_CODE", error))
    return -1;
  store = pcmbn_district_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  code = pcmbn_district_new_enrol_code (store, opt (opts, "org-unit"), error);
  if (code == NULL)
    return -1;
  puts (code);
  return 0;
}

static int
verb_devices (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnStore) store = pcmbn_district_open (opt (opts, "db"), FALSE, error);
  g_autoptr (JsonNode) list = NULL;
  g_autofree char *text = NULL;

  if (store == NULL)
    return -1;
  if (opt (opts, "revoke"))
    return pcmbn_district_revoke_device (store, opt (opts, "revoke"), error) ? 0 : -1;
  list = pcmbn_district_list_devices (store);
  text = json_to_string (list, TRUE);
  puts (text);
  return 0;
}

static int
verb_staff_token (GHashTable *opts, GError **error)
{
  g_autoptr (PcmbnStore) store = NULL;
  g_autofree char *token = NULL;

  if (!require (opts, "name", "staff-token --db PATH --name NAME", error))
    return -1;
  store = pcmbn_district_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  token = pcmbn_district_new_staff_token (store, opt (opts, "name"), error);
  if (token == NULL)
    return -1;
  puts (token);
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
  g_autoptr (PcmbnStore) store = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const char *format_name = opt (opts, "format") ? opt (opts, "format") : "json";
  PcmbnReportFormat format;
  g_autofree char *from = NULL, *to = NULL;

  if (!pcmbn_report_format_from_string (format_name, &format))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("format: must be json, csv, pdf or xlsx"));
      return -1;
    }
  /* The period first: a wrong date is a usage error even without a database. */
  if (!pcmbn_report_parse_period (opt (opts, "year"), opt (opts, "from"), opt (opts, "to"), &from,
                                  &to, error))
    return -1;
  store = pcmbn_district_open (opt (opts, "db"), FALSE, error);
  if (store == NULL)
    return -1;
  bytes = pcmbn_district_report_export (store, opt (opts, "year"), opt (opts, "from"),
                                        opt (opts, "to"), format, NULL, error);
  if (bytes == NULL)
    return -1;
  return write_output (opt (opts, "o"), bytes, error) ? 0 : 1;
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
  g_auto (GStrv) proxies = NULL;
  guint timeout = 20;
  const char *listen = opt (opts, "listen") ? opt (opts, "listen") : "127.0.0.1:8470";
  const char *colon = strrchr (listen, ':');
  guint64 port = 0;
  char *end = NULL;

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
  printf ("Listening on %s\n", url ? url : listen);
  fflush (stdout);
  serve_loop = g_main_loop_new (NULL, FALSE);
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
static const char *const serve_options[] = { "db",      "listen",        "tls-cert", "tls-key",
                                             "timeout", "trusted-proxy", NULL };
static const char *const enroll_code_options[] = { "db", "org-unit", NULL };
static const char *const devices_options[] = { "db", "revoke", NULL };
static const char *const staff_options[] = { "db", "name", NULL };
static const char *const backup_options[] = { "db", "o", NULL };
static const char *const report_options[] = { "db", "year", "from", "to", "format", "o", NULL };

static const Verb verbs[] = {
  { "init", "init --db PATH --org-unit CODE [--units FILE.csv]", init_options, verb_init },
  { "org-units",
    "org-units --db PATH [--import FILE.csv] [--set CODE --key-area yes|no --population-14-60 N]",
    org_units_options, verb_org_units },
  { "serve",
    "serve --db PATH [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--timeout SECONDS] "
    "[--trusted-proxy ADDRESS,…]",
    serve_options, verb_serve },
  { "enroll-code", "enroll-code --db PATH --org-unit COMMUNE_CODE", enroll_code_options,
    verb_enroll_code },
  { "devices", "devices --db PATH [--revoke DEVICE_ID]", devices_options, verb_devices },
  { "staff-token", "staff-token --db PATH --name NAME", staff_options, verb_staff_token },
  { "backup", "backup --db PATH -o FILE", backup_options, verb_backup },
  { "report",
    "report --db PATH [--year Y | --from DATE --to DATE] --format json|csv|pdf|xlsx [-o FILE]",
    report_options, verb_report },
};

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
  g_autoptr (GError) error = NULL;
  const char *verb_name = NULL;
  const Verb *verb = NULL;
  int status;

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
              g_printerr (_ ("%s: is given twice\n"), key);
              return 2;
            }
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
