/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcmbn-cli.h"
#include "store/pcmbn-demo.h"
#include "report/pcmbn-report.h"
#include "report/pcmbn-report-export.h"
#include "store/pcmbn-store.h"
#include "sync/pcmbn-bundle.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-sync-engine.h"
#include "pcmbn-util.h"

/* `pcmbn`: the local database from the command line. Each verb checks its
 * whole input before it writes, so that a failure changes nothing; results
 * go to stdout, messages to stderr, and the exit status says which of the
 * two kinds of failure happened (see interfaces.md). */

typedef struct
{
  const char *name;
  gboolean takes_value;
} OptionSpec;

typedef struct
{
  char **positional;
  GHashTable *options; /* name → value ("" for flags) */
} Args;

typedef int (*VerbFunc) (PcmbnStore *store, Args *args, GError **error);

typedef struct
{
  const char *name;
  guint n_positional;
  const char *usage;
  const OptionSpec *options;
  gboolean needs_store;
  VerbFunc run;
  gboolean last_optional; /* the last positional argument may be left out */
} Verb;

static void
args_clear (Args *args)
{
  g_strfreev (args->positional);
  g_clear_pointer (&args->options, g_hash_table_unref);
}

static const char *
opt (Args *args, const char *name)
{
  return g_hash_table_lookup (args->options, name);
}

/* ---- input and output --------------------------------------------------- */

static gboolean
read_input (const char *path, char **contents, gsize *len, GError **error)
{
  if (path == NULL || g_str_equal (path, "-"))
    {
      GString *s = g_string_new (NULL);
      char buf[65536];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (s, buf, n);
      *len = s->len;
      *contents = g_string_free (s, FALSE);
      return TRUE;
    }
  if (!g_file_get_contents (path, contents, len, error))
    {
      g_prefix_error (error, _ ("file: "));
      if ((*error)->domain == G_FILE_ERROR && (*error)->code == G_FILE_ERROR_NOENT)
        {
          (*error)->domain = PCMBN_ERROR;
          (*error)->code = PCMBN_ERROR_INVALID;
        }
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
read_json_object (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  if (!read_input (path, &text, &len, error))
    return NULL;
  if (!g_utf8_validate (text, len, NULL))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("json: the input is not UTF-8 text"));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, len, &local))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("json: the input is not valid JSON: %s"), local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("json: the input must be one JSON object of the record’s fields, such as "
                      "{\"date\": \"2026-07-30\", …}"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
write_output (const char *path, const char *data, gsize len, GError **error)
{
  if (path == NULL || g_str_equal (path, "-"))
    {
      if (fwrite (data, 1, len, stdout) != len || fflush (stdout) != 0)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot write the output."));
          return FALSE;
        }
      return TRUE;
    }
  /* Written beside and renamed, so that a full disk never leaves half a file. */
  if (!g_file_set_contents (path, data, len, error))
    {
      g_prefix_error (error, _ ("o: cannot write %s: "), path);
      return FALSE;
    }
  return TRUE;
}

static void
print_line (const char *text)
{
  fputs (text, stdout);
  fputc ('\n', stdout);
}

/* ---- verbs --------------------------------------------------------------- */

static int
verb_init (PcmbnStore *store, Args *args, GError **error)
{
  const char *code = opt (args, "org-unit");
  const char *profile = opt (args, "profile");

  if (code == NULL || *code == '\0')
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("org-unit: is required; give the code of your commune, such as --org-unit "
                      "00001"));
      return 2;
    }
  if (!pcmbn_store_init_commune (store, code, opt (args, "units"), profile, error))
    return -1;
  {
    g_autoptr (PcmbnOrgUnit) unit = pcmbn_store_get_unit (store, code);
    g_printerr (_ ("The logbook of %s (%s) is ready in %s.\n"), unit->full_name, code,
                pcmbn_store_get_path (store));
  }
  return 0;
}

static int
verb_add (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (JsonObject) data = NULL;
  g_autofree char *uuid = NULL;

  if (pcmbn_schema_kind (args->positional[0]) == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("kind: “%s” is not a kind of record; use one of %s"), args->positional[0],
                   pcmbn_kind_names_joined ());
      return -1;
    }
  if (!pcmbn_store_require_init (store, error))
    return -1;
  data = read_json_object (opt (args, "json"), error);
  if (data == NULL)
    return -1;
  uuid = pcmbn_store_add (store, args->positional[0], data, error);
  if (uuid == NULL)
    return -1;
  print_line (uuid);
  return 0;
}

/* `pcmbn get UUID | pcmbn update UUID --json -` must work: a whole record,
 * as `get` prints it, stands for its `data`, once it is shown to be the
 * same record. */
static JsonObject *
patch_from_input (PcmbnRecord *record, JsonObject *input, GError **error)
{
  JsonNode *data = json_object_get_member (input, "data");
  const char *uuid;

  if (!json_object_has_member (input, "uuid") || data == NULL)
    return json_object_ref (input);
  uuid = JSON_NODE_HOLDS_VALUE (json_object_get_member (input, "uuid"))
             ? json_object_get_string_member (input, "uuid")
             : NULL;
  if (g_strcmp0 (uuid, pcmbn_record_get_uuid (record)) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("uuid: the input is the record %s, not %s; give the record’s own JSON or "
                      "only its fields"),
                   uuid ? uuid : "?", pcmbn_record_get_uuid (record));
      return NULL;
    }
  if (json_object_has_member (input, "kind")
      && g_strcmp0 (json_object_get_string_member (input, "kind"),
                    pcmbn_record_get_kind (record)->name)
             != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("kind: the input is a %s, but the record is a %s"),
                   json_object_get_string_member (input, "kind"),
                   pcmbn_record_get_kind (record)->name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (data))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("data: must be an object of the record’s fields"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (data));
}

static int
verb_update (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (JsonObject) input = NULL;
  g_autoptr (JsonObject) data = NULL;
  g_autoptr (PcmbnRecord) record = pcmbn_store_get (store, args->positional[0], error);

  if (record == NULL)
    return -1;
  input = read_json_object (opt (args, "json"), error);
  if (input == NULL || (data = patch_from_input (record, input, error)) == NULL
      || !pcmbn_store_update (store, args->positional[0], data, error))
    return -1;
  return 0;
}

static void
print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);
  print_line (text);
}

static int
verb_get (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (PcmbnRecord) record = pcmbn_store_get (store, args->positional[0], error);
  g_autoptr (JsonNode) node = NULL;

  if (record == NULL)
    return -1;
  node = pcmbn_record_to_json (record, TRUE);
  print_json (node);
  return 0;
}

static gboolean
check_format (const char *format, const char *const *allowed, GError **error)
{
  if (format != NULL && g_strv_contains (allowed, format))
    return TRUE;
  {
    g_autofree char *list = g_strjoinv ("|", (char **)allowed);
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("format: must be one of %s"), list);
  }
  return FALSE;
}

/* ---- progress on a terminal ---------------------------------------------- */

/* Long work shows how far it is on stderr, on one line rewritten in place,
 * at most ten times a second; nothing at all when stderr is not a terminal,
 * so that scripts and logs stay clean. */
typedef struct
{
  const char *what; /* translated */
  gboolean files;   /* counts attachments, not records */
  gint64 started;
  gint64 shown;
  gboolean any;
} Progress;

static Progress *
progress_new (const char *what)
{
  Progress *p;

  if (!isatty (STDERR_FILENO))
    return NULL;
  p = g_new0 (Progress, 1);
  p->what = what;
  p->started = g_get_monotonic_time ();
  return p;
}

static Progress *
progress_new_files (const char *what)
{
  Progress *p = progress_new (what);

  if (p)
    p->files = TRUE;
  return p;
}

static void
progress_show (Progress *p, guint done, guint total)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *line = NULL;
  double rate;

  if (p == NULL || (now - p->shown < G_USEC_PER_SEC / 10 && done != total))
    return;
  p->shown = now;
  p->any = TRUE;
  rate = done / MAX ((now - p->started) / 1e6, 1e-3);
  if (total > 0 && p->files)
    /* TRANSLATORS: progress: what, attachments done, of how many, files per second */
    line = g_strdup_printf (_ ("%s: %u of %u files (%.0f a second)"), p->what, done, total, rate);
  else if (total > 0)
    /* TRANSLATORS: progress: what, records done, of how many, records per second */
    line = g_strdup_printf (_ ("%s: %u of %u records (%.0f a second)"), p->what, done, total, rate);
  else
    line = g_strdup_printf (_ ("%s: %u records (%.0f a second)"), p->what, done, rate);
  /* Back to the start of the line; blanks cover a longer line before. */
  g_printerr ("\r%s   ", line);
}

static void
progress_free (Progress *p)
{
  if (p && p->any)
    g_printerr ("\n");
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Progress, progress_free)

/* CSV import and export: one line per phase, each on its own line. */
typedef struct
{
  Progress *phase[3];
  const char *what[3];
} StoreProgress;

static void
store_progress (PcmbnStorePhase phase, guint done, guint total, gpointer user_data)
{
  StoreProgress *p = user_data;

  for (guint i = 0; i < phase; i++)
    g_clear_pointer (&p->phase[i], progress_free);
  if (p->phase[phase] == NULL && p->what[phase] != NULL)
    {
      p->phase[phase] = progress_new (p->what[phase]);
      p->what[phase] = NULL;
    }
  progress_show (p->phase[phase], done, total);
}

static void
store_progress_begin (PcmbnStore *store, StoreProgress *p)
{
  p->what[PCMBN_STORE_PHASE_CHECK] = _ ("Checking rows");
  p->what[PCMBN_STORE_PHASE_WRITE] = _ ("Saving");
  p->what[PCMBN_STORE_PHASE_EXPORT] = _ ("Exporting");
  if (isatty (STDERR_FILENO))
    pcmbn_store_set_progress (store, store_progress, p);
}

static void
store_progress_end (PcmbnStore *store, StoreProgress *p)
{
  pcmbn_store_set_progress (store, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (p->phase); i++)
    g_clear_pointer (&p->phase[i], progress_free);
}

static int
verb_list (PcmbnStore *store, Args *args, GError **error)
{
  static const char *const formats[] = { "json", "csv", NULL };
  const char *format = opt (args, "format") ? opt (args, "format") : "json";
  g_autofree char *out = NULL;
  gsize len = 0;

  if (!check_format (format, formats, error))
    return -1;
  if (g_str_equal (format, "csv"))
    out = pcmbn_store_export_csv_range (store, args->positional[0], opt (args, "from"),
                                        opt (args, "to"), &len, error);
  else
    {
      out = pcmbn_store_export_json (store, args->positional[0], opt (args, "from"),
                                     opt (args, "to"), error);
      if (out)
        {
          char *with_newline = g_strconcat (out, "\n", NULL);
          g_free (out);
          out = with_newline;
          len = strlen (out);
        }
    }
  if (out == NULL)
    return -1;
  return write_output (NULL, out, len, error) ? 0 : 1;
}

static int
verb_import (PcmbnStore *store, Args *args, GError **error)
{
  g_autofree char *text = NULL;
  gsize len;
  guint n = 0;

  if (pcmbn_schema_kind (args->positional[0]) == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("kind: “%s” is not a kind of record; use one of %s"), args->positional[0],
                   pcmbn_kind_names_joined ());
      return -1;
    }
  if (!pcmbn_store_require_init (store, error)
      || !read_input (args->positional[1], &text, &len, error))
    return -1;
  {
    StoreProgress progress = { 0 };
    gboolean ok;

    store_progress_begin (store, &progress);
    ok = pcmbn_store_import_csv (store, args->positional[0], text, len, &n, error);
    store_progress_end (store, &progress);
    if (!ok)
      return -1;
  }
  g_printerr (g_dngettext (GETTEXT_PACKAGE, "Imported %u record.\n", "Imported %u records.\n", n),
              n);
  return 0;
}

static int
verb_export (PcmbnStore *store, Args *args, GError **error)
{
  static const char *const formats[] = { "csv", "json", NULL };
  const char *format = opt (args, "format");
  g_autofree char *out = NULL;
  gsize len = 0;

  StoreProgress progress = { 0 };

  if (!check_format (format, formats, error))
    return -1;
  store_progress_begin (store, &progress);
  if (g_str_equal (format, "csv"))
    out = pcmbn_store_export_csv (store, args->positional[0], &len, error);
  else if ((out = pcmbn_store_export_json (store, args->positional[0], NULL, NULL, error)))
    len = strlen (out);
  store_progress_end (store, &progress);
  if (out == NULL)
    return -1;
  return write_output (opt (args, "o"), out, len, error) ? 0 : 1;
}

static int
verb_delete (PcmbnStore *store, Args *args, GError **error)
{
  return pcmbn_store_delete (store, args->positional[0], error) ? 0 : -1;
}

static int
verb_deleted (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  if (args->positional[0] && pcmbn_schema_kind (args->positional[0]) == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("kind: “%s” is not a kind of record; use one of %s"), args->positional[0],
                   pcmbn_kind_names_joined ());
      return -1;
    }
  records = pcmbn_store_list_deleted (store, args->positional[0], NULL, error);
  if (records == NULL)
    return -1;
  for (guint i = 0; i < records->len; i++)
    json_array_add_element (array, pcmbn_record_to_json (records->pdata[i], TRUE));
  json_node_set_array (node, array);
  print_json (node);
  return 0;
}

static int
verb_restore (PcmbnStore *store, Args *args, GError **error)
{
  if (!pcmbn_store_undelete (store, args->positional[0], error))
    return -1;
  g_printerr (_ ("Restored %s; it goes to the server with the next sync.\n"), args->positional[0]);
  return 0;
}

static void
demo_progress (guint done, guint total, gpointer user_data)
{
  progress_show (user_data, done, total);
}

static void
report_progress (double fraction, gpointer user_data)
{
  progress_show (user_data, (guint)(fraction * 100), 100);
}

static int
verb_demo (PcmbnStore *store, Args *args, GError **error)
{
  const char *records = opt (args, "records");
  gint64 n = 600;

  if (records)
    {
      char *end = NULL;
      n = g_ascii_strtoll (records, &end, 10);
      if (end == NULL || *end != '\0' || n < 1 || n > 10000000)
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                       _ ("records: must be a whole number from 1 to 10000000"));
          return -1;
        }
    }
  {
    g_autoptr (Progress) progress = progress_new (_ ("Adding sample records"));
    if (!pcmbn_demo_fill (store, n, 20260730, progress ? demo_progress : NULL, progress, error))
      return -1;
  }
  g_printerr (_ ("Added %d sample records to %s.\n"), (int)n, pcmbn_store_get_path (store));
  return 0;
}

static int
verb_report (PcmbnStore *store, Args *args, GError **error)
{
  static const char *const formats[] = { "json", "csv", "pdf", "xlsx", NULL };
  const char *format = opt (args, "format") ? opt (args, "format") : "json";
  g_autofree char *from = NULL, *to = NULL;
  g_autoptr (JsonNode) report = NULL;
  PcmbnLang lang;

  if (!check_format (format, formats, error))
    return -1;
  /* Vietnamese unless asked: the report is an official document, whatever
   * the locale the command runs in. */
  if (!pcmbn_lang_parse_option (opt (args, "lang"), &lang, error))
    return -1;
  if (!pcmbn_report_parse_period (opt (args, "year"), opt (args, "from"), opt (args, "to"), &from,
                                  &to, error))
    return -1;
  if (!pcmbn_store_require_init (store, error))
    return -1;
  report = pcmbn_report_build (store, pcmbn_store_get_org_unit (store), from, to,
                               PCMBN_REPORT_DEFAULT, error);
  if (report == NULL)
    return -1;
  /* Every format, JSON included, comes from the one export function. */
  {
    PcmbnReportFormat report_format = PCMBN_REPORT_FORMAT_JSON;
    g_autoptr (GBytes) bytes = NULL;
    g_autoptr (Progress) progress = progress_new (_ ("Writing the report (per cent)"));
    pcmbn_report_format_from_string (format, &report_format);
    bytes = pcmbn_report_export_in (report, report_format, lang, progress ? report_progress : NULL,
                                    progress, NULL, error);
    if (bytes == NULL)
      return 1;
    return write_output (opt (args, "o"), g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                         error)
               ? 0
               : 1;
  }
}

static int
verb_enroll (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (PcmbnSyncEngine) engine = pcmbn_sync_engine_new (store);

  if (opt (args, "server") == NULL || opt (args, "code") == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("%s: is required; usage: pcmbn enroll --server URL --code CODE"),
                   opt (args, "server") == NULL ? "server" : "code");
      return -1;
    }
  if (!pcmbn_sync_engine_enroll (engine, opt (args, "server"), opt (args, "code"), NULL, NULL,
                                 error))
    return -1;
  g_printerr (_ ("This logbook is now connected to the district server. Run “pcmbn sync” to send "
                 "and receive records.\n"));
  return 0;
}

typedef struct
{
  Progress *push;
  Progress *pull;
  Progress *attachments;
} SyncProgress;

static void
sync_progress (PcmbnSyncPhase phase, guint done, guint total, gpointer user_data)
{
  SyncProgress *p = user_data;

  if (phase == PCMBN_SYNC_PHASE_PUSH)
    progress_show (p->push, done, total);
  else if (phase == PCMBN_SYNC_PHASE_PULL)
    {
      /* The sending is over: its line stays as it ended. A pull that
       * found nothing new says nothing. */
      g_clear_pointer (&p->push, progress_free);
      if (done > 0)
        progress_show (p->pull, done, total);
    }
  else
    {
      g_clear_pointer (&p->push, progress_free);
      g_clear_pointer (&p->pull, progress_free);
      progress_show (p->attachments, done, total);
    }
}

static int
verb_sync (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (PcmbnSyncEngine) engine = pcmbn_sync_engine_new (store);
  PcmbnSyncStats stats = { 0 };
  g_autofree char *line = NULL;
  SyncProgress progress = { progress_new (_ ("Sending")), progress_new (_ ("Receiving")),
                            progress_new_files (_ ("Attachments")) };
  gboolean ok;

  if (progress.push)
    pcmbn_sync_engine_set_progress (engine, sync_progress, &progress);
  ok = pcmbn_sync_engine_sync (engine, opt (args, "server"), NULL, &stats, error);
  g_clear_pointer (&progress.push, progress_free);
  g_clear_pointer (&progress.pull, progress_free);
  g_clear_pointer (&progress.attachments, progress_free);

  if (stats.clock_skew > 3600 || stats.clock_skew < -3600)
    g_printerr (_ ("Warning: this computer’s clock is %d minutes off the district server’s. Set "
                   "the right date and time, or records will show wrong times.\n"),
                (int)(ABS (stats.clock_skew) / 60));
  if (stats.rejected > 0)
    g_printerr (_ ("%u records were refused by the district server; “pcmbn list KIND” shows them "
                   "with state “rejected” and the reason. Correct them and sync again.\n"),
                stats.rejected);
  if (pcmbn_store_sync_count_state (store, "conflict") > 0)
    g_printerr (_ ("Some records were changed here and at the district: “pcmbn conflicts” lists "
                   "them and “pcmbn resolve UUID --keep mine|theirs” settles each.\n"));
  line = g_strdup_printf ("pushed %u, pulled %u, conflicts %u, rejected %u", stats.pushed,
                          stats.pulled, stats.conflicts, stats.rejected);
  print_line (line);
  return ok ? 0 : 1;
}

static int
verb_bundle_export (PcmbnStore *store, Args *args, GError **error)
{
  g_autofree char *line = NULL;
  guint n = 0;

  if (opt (args, "o") == NULL || *opt (args, "o") == '\0')
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("o: is required; usage: pcmbn bundle export -o FILE"));
      return -1;
    }
  if (!pcmbn_bundle_export (store, opt (args, "o"), &n, error))
    return -1;
  line = g_strdup_printf (_ ("%u records in %s. Take the file to the office; bring back its "
                             "reply and run “pcmbn bundle import REPLY”."),
                          n, opt (args, "o"));
  g_printerr ("%s\n", line);
  return 0;
}

static int
verb_bundle_enrol (PcmbnStore *store, Args *args, GError **error)
{
  if (opt (args, "code") == NULL || opt (args, "o") == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("%s: is required; usage: pcmbn bundle enroll --code CODE -o FILE"),
                   opt (args, "code") == NULL ? "code" : "o");
      return -1;
    }
  if (!pcmbn_bundle_export_enrolment (store, opt (args, "code"), NULL, opt (args, "o"), error))
    return -1;
  g_printerr (_ ("The enrolment request is in %s. Take it to the office; bring back its reply "
                 "and run “pcmbn bundle import REPLY”.\n"),
              opt (args, "o"));
  return 0;
}

static int
verb_bundle_import (PcmbnStore *store, Args *args, GError **error)
{
  PcmbnSyncStats stats = { 0 };
  gboolean already = FALSE;
  g_autofree char *line = NULL;

  if (!pcmbn_bundle_import (store, args->positional[0], &stats, &already, error))
    return -1;
  if (already)
    g_printerr (_ ("This reply was applied before; nothing changed.\n"));
  if (pcmbn_store_sync_count_state (store, "conflict") > 0)
    g_printerr (_ ("Some records were changed here and at the district: “pcmbn conflicts” lists "
                   "them and “pcmbn resolve UUID --keep mine|theirs” settles each.\n"));
  line = g_strdup_printf ("pushed %u, pulled %u, conflicts %u, rejected %u", stats.pushed,
                          stats.pulled, stats.conflicts, stats.rejected);
  print_line (line);
  return 0;
}

static int
verb_conflicts (PcmbnStore *store, Args *args, GError **error)
{
  g_autoptr (JsonNode) list = pcmbn_store_sync_conflicts (store);
  g_autofree char *text = json_to_string (list, TRUE);

  print_line (text);
  return 0;
}

static int
verb_resolve (PcmbnStore *store, Args *args, GError **error)
{
  if (opt (args, "keep") == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("keep: is required; usage: pcmbn resolve UUID --keep mine|theirs"));
      return -1;
    }
  return pcmbn_store_sync_resolve (store, args->positional[0], opt (args, "keep"), error) ? 0 : -1;
}

/* `pcmbn key status|recover|recovery-code`: the data key outside the file. */
static int
verb_key (PcmbnStore *store, Args *args, GError **error)
{
  const char *action = args->positional[0];

  if (g_str_equal (action, "status"))
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      const char *location = pcmbn_store_get_key_location (store);
      const char *problem = pcmbn_store_get_key_problem (store);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, pcmbn_store_has_key (store) ? "present" : "missing");
      json_builder_set_member_name (b, "location");
      if (location)
        json_builder_add_string_value (b, pcmbn_store_key_in_file (store) ? location : "keyring");
      else
        json_builder_add_null_value (b);
      if (problem)
        {
          json_builder_set_member_name (b, "problem");
          json_builder_add_string_value (b, problem);
        }
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      print_json (node);
      return pcmbn_store_has_key (store) ? 0 : 1;
    }
  if (g_str_equal (action, "recover"))
    {
      const char *code = opt (args, "code");
      if (code == NULL || *code == '\0')
        {
          g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                       _ ("code: is required; usage: pcmbn key recover --code CODE"));
          return -1;
        }
      if (pcmbn_store_has_key (store))
        {
          g_printerr ("%s\n", _ ("This logbook already has its key on this computer; nothing "
                                 "was changed."));
          return 0;
        }
      if (!pcmbn_store_recover_key (store, code, error))
        return -1;
      g_printerr (_ ("The key is back (kept in %s). Case notes and sync work again.\n"),
                  pcmbn_store_key_in_file (store) ? pcmbn_store_get_key_location (store)
                                                  : _ ("the keyring"));
      return 0;
    }
  if (g_str_equal (action, "recovery-code"))
    {
      g_autofree char *code = pcmbn_store_new_recovery_code (store, error);
      if (code == NULL)
        return -1;
      print_line (code);
      g_printerr ("%s\n", _ ("This is the new recovery code; the old one no longer works. Write "
                             "it on paper and keep it apart from this computer."));
      return 0;
    }
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
               _ ("key: “%s” is not an action; use status, recover or recovery-code"), action);
  return -1;
}

/* Once, when this run made the logbook's key: the recovery code, and where
 * the key is kept when no keyring runs. */
static void
print_new_key_notice (PcmbnStore *store)
{
  g_autofree char *code = pcmbn_store_take_recovery_code (store);

  if (code == NULL)
    return;
  if (pcmbn_store_key_in_file (store))
    g_printerr (_ ("No keyring is running: the key that protects the case notes is kept in the "
                   "file %s, readable only by you. Do not copy it next to the database.\n"),
                pcmbn_store_get_key_location (store));
  g_printerr (_ ("Recovery code: %s\nWrite it on paper and keep it apart from this computer. "
                 "If the key is lost (a new account, a reinstalled computer), “pcmbn key recover "
                 "--code CODE” opens the case notes again. It is shown only now.\n"),
              code);
}

static const OptionSpec init_opts[] = {
  { "org-unit", TRUE }, { "units", TRUE }, { "profile", TRUE }, { NULL }
};
static const OptionSpec json_opts[] = { { "json", TRUE }, { NULL } };
static const OptionSpec no_opts[] = { { NULL } };
static const OptionSpec list_opts[] = {
  { "from", TRUE }, { "to", TRUE }, { "format", TRUE }, { NULL }
};
static const OptionSpec export_opts[] = { { "format", TRUE }, { "o", TRUE }, { NULL } };
static const OptionSpec demo_opts[] = { { "records", TRUE }, { NULL } };
static const OptionSpec report_opts[] = { { "year", TRUE }, { "from", TRUE },
                                          { "to", TRUE },   { "format", TRUE },
                                          { "o", TRUE },    { "lang", TRUE },
                                          { NULL } };
static const OptionSpec enroll_opts[] = { { "server", TRUE }, { "code", TRUE }, { NULL } };
static const OptionSpec sync_opts[] = { { "server", TRUE }, { NULL } };
static const OptionSpec resolve_opts[] = { { "keep", TRUE }, { NULL } };
static const OptionSpec bundle_export_opts[] = { { "o", TRUE }, { NULL } };
static const OptionSpec bundle_enrol_opts[] = { { "code", TRUE }, { "o", TRUE }, { NULL } };
static const OptionSpec key_opts[] = { { "code", TRUE }, { NULL } };

static const Verb verbs[] = {
  { "init", 0, "init --org-unit CODE [--units FILE.csv] [--profile culture|womens-union]",
    init_opts, TRUE, verb_init },
  { "add", 1, "add KIND [--json FILE|-]", json_opts, TRUE, verb_add },
  { "update", 1, "update UUID [--json FILE|-]", json_opts, TRUE, verb_update },
  { "get", 1, "get UUID", no_opts, TRUE, verb_get },
  { "list", 1, "list KIND [--from DATE] [--to DATE] [--format json|csv]", list_opts, TRUE,
    verb_list },
  { "import", 2, "import KIND FILE.csv", no_opts, TRUE, verb_import },
  { "export", 1, "export KIND --format csv|json [-o FILE]", export_opts, TRUE, verb_export },
  { "delete", 1, "delete UUID", no_opts, TRUE, verb_delete },
  { "deleted", 1, "deleted [KIND]", no_opts, TRUE, verb_deleted, TRUE },
  { "restore", 1, "restore UUID", no_opts, TRUE, verb_restore },
  { "enroll", 0, "enroll --server URL --code CODE", enroll_opts, TRUE, verb_enroll },
  { "sync", 0, "sync [--server URL]", sync_opts, TRUE, verb_sync },
  { "bundle export", 0, "bundle export -o FILE", bundle_export_opts, TRUE, verb_bundle_export },
  { "bundle import", 1, "bundle import REPLY", no_opts, TRUE, verb_bundle_import },
  { "bundle enroll", 0, "bundle enroll --code CODE -o FILE", bundle_enrol_opts, TRUE,
    verb_bundle_enrol },
  { "conflicts", 0, "conflicts", no_opts, TRUE, verb_conflicts },
  { "resolve", 1, "resolve UUID --keep mine|theirs", resolve_opts, TRUE, verb_resolve },
  { "report", 0,
    "report [--year Y | --from DATE --to DATE] --format json|csv|pdf|xlsx [-o FILE] "
    "[--lang vi|en]",
    report_opts, TRUE, verb_report },
  { "demo", 0, "demo [--records N]", demo_opts, TRUE, verb_demo },
  { "key", 1, "key status|recover --code CODE|recovery-code", key_opts, TRUE, verb_key },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _ ("Usage: pcmbn [--db PATH] VERB [ARGUMENTS]"));
  fprintf (out, "%s\n", _ ("Record the commune’s work against human trafficking (PCMBN)."));
  fprintf (out, "\n%s\n", _ ("Verbs:"));
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    fprintf (out, "  pcmbn %s\n", verbs[i].usage);
  fprintf (out, "\n%s %s\n", _ ("KIND is one of"), pcmbn_kind_names_joined ());
  fprintf (out, "%s\n", _ ("Exit status: 0 success, 1 operational failure, 2 bad input or usage."));
}

static gboolean
parse_args (const Verb *verb, GPtrArray *rest, Args *args, GError **error)
{
  g_autoptr (GPtrArray) positional = g_ptr_array_new_with_free_func (g_free);

  args->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < rest->len; i++)
    {
      const char *arg = rest->pdata[i];
      if (arg[0] == '-' && arg[1] != '\0')
        {
          const char *name = arg + (arg[1] == '-' ? 2 : 1);
          g_autofree char *key = NULL;
          const char *eq = strchr (name, '=');
          const char *value = NULL;
          const OptionSpec *spec = NULL;

          key = eq ? g_strndup (name, eq - name) : g_strdup (name);
          for (guint o = 0; verb->options[o].name; o++)
            if (g_str_equal (verb->options[o].name, key))
              spec = &verb->options[o];
          if (spec == NULL)
            {
              g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                           _ ("%s: is not an option of “pcmbn %s”; usage: pcmbn %s"), key,
                           verb->name, verb->usage);
              return FALSE;
            }
          if (eq)
            value = eq + 1;
          else if (spec->takes_value)
            {
              if (i + 1 >= rest->len)
                {
                  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("%s: needs a value"), key);
                  return FALSE;
                }
              value = rest->pdata[++i];
            }
          if (g_hash_table_contains (args->options, key))
            {
              g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("%s: is given twice"), key);
              return FALSE;
            }
          g_hash_table_insert (args->options, g_steal_pointer (&key),
                               g_strdup (value ? value : ""));
        }
      else
        g_ptr_array_add (positional, g_strdup (arg));
    }
  if (positional->len != verb->n_positional
      && !(verb->last_optional && positional->len + 1 == verb->n_positional))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE, _ ("usage: pcmbn %s"), verb->usage);
      return FALSE;
    }
  g_ptr_array_add (positional, NULL);
  args->positional = (char **)g_ptr_array_free (g_steal_pointer (&positional), FALSE);
  return TRUE;
}

/* Removes a database file this run created, with SQLite's side files. */
static void
remove_new_database (const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

/**
 * pcmbn_cli_exit_status:
 * @error: a failure
 *
 * Returns: 2 for bad input or usage, 1 for an operational failure
 */
int
pcmbn_cli_exit_status (const GError *error)
{
  if (error->domain == PCMBN_ERROR
      && (error->code == PCMBN_ERROR_INVALID || error->code == PCMBN_ERROR_NOT_FOUND
          || error->code == PCMBN_ERROR_USAGE || error->code == PCMBN_ERROR_NOT_INITIALIZED))
    return 2;
  return 1;
}

int
pcmbn_cli_main (int argc, char **argv)
{
  g_autoptr (GPtrArray) rest = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = NULL;
  g_autofree char *db_path = NULL;
  const char *verb_name = NULL;
  g_autofree char *bundle_verb = NULL;
  const Verb *verb = NULL;
  Args args = { 0 };
  gboolean existed;
  int status;

  pcmbn_i18n_init ();

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--db") || g_str_has_prefix (argv[i], "--db="))
        {
          const char *value = argv[i][4] == '=' ? argv[i] + 5 : (i + 1 < argc ? argv[++i] : NULL);
          if (value == NULL || *value == '\0')
            {
              g_printerr ("%s\n", _ ("db: needs the path of a database file"));
              return 2;
            }
          g_free (db_path);
          db_path = g_strdup (value);
        }
      else if (verb_name == NULL
               && (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h")))
        {
          print_usage (stdout);
          return 0;
        }
      else if (verb_name == NULL && g_str_equal (argv[i], "--version"))
        {
          print_line ("pcmbn " PACKAGE_VERSION);
          return 0;
        }
      else if (verb_name == NULL && argv[i][0] != '-')
        verb_name = argv[i];
      else
        g_ptr_array_add (rest, argv[i]);
    }
  if (verb_name == NULL)
    {
      print_usage (stderr);
      return 2;
    }
  /* `bundle` takes what to do with the bundle as its first word. */
  if (g_str_equal (verb_name, "bundle"))
    {
      for (guint i = 0; i < rest->len; i++)
        if (((char *)rest->pdata[i])[0] != '-')
          {
            bundle_verb = g_strconcat ("bundle ", (char *)rest->pdata[i], NULL);
            g_ptr_array_remove_index (rest, i);
            break;
          }
      verb_name = bundle_verb ? bundle_verb : "bundle export";
    }
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (verbs[i].name, verb_name))
      verb = &verbs[i];
  if (verb == NULL)
    {
      g_printerr (_ ("“%s” is not a verb of pcmbn.\n"), verb_name);
      print_usage (stderr);
      return 2;
    }
  if (!parse_args (verb, rest, &args, &error))
    {
      g_printerr ("%s\n", error->message);
      args_clear (&args);
      return 2;
    }
  if (db_path == NULL)
    db_path = pcmbn_store_default_path ();
  existed = g_file_test (db_path, G_FILE_TEST_EXISTS);
  store = pcmbn_store_open (db_path, &error);
  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      args_clear (&args);
      if (!existed)
        remove_new_database (db_path);
      return 1;
    }
  /* Every verb but init and demo (which makes a sample commune) works on
   * the logbook of a commune. */
  /* A copied file (or a lost key): every verb says so, and how to recover. */
  if (verb->run != verb_key && pcmbn_store_get_key_problem (store) != NULL)
    g_printerr ("%s\n", pcmbn_store_get_key_problem (store));
  if (verb->run != verb_init && verb->run != verb_demo && verb->run != verb_enroll
      && verb->run != verb_bundle_enrol && verb->run != verb_bundle_import && verb->run != verb_key
      && !pcmbn_store_require_init (store, &error))
    status = -1;
  else
    status = verb->run (store, &args, &error);
  if (status != 0 && error != NULL)
    {
      g_printerr ("%s\n", error->message);
      if (status < 0)
        status = pcmbn_cli_exit_status (error);
    }
  else if (status < 0)
    status = 1;
  args_clear (&args);
  /* Nothing is written on a failure: not even the file a first command
   * made, such as an init with a wrong commune code. */
  if (status == 0)
    print_new_key_notice (store);
  if (status != 0 && !existed)
    {
      pcmbn_store_forget_new_key (store);
      g_clear_object (&store);
      remove_new_database (db_path);
    }
  return status;
}
