/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include "pcmbn-gettext.h"
#include <stdlib.h>
#include <string.h>

#include "pcmbn-district-dashboard.h"
#include "pcmbn-district-charts.h"
#include "pcmbn-district-report.h"
#include "server/pcmbn-district-chain.h"
#include "pcmbn-util.h"
#include "records/pcmbn-schema.h"
#include "report/pcmbn-report-communes.h"
#include "report/pcmbn-report.h"
#include "server/pcmbn-district-store.h"
#include "sync/pcmbn-wire.h"

/* The district at a glance, as plain server-rendered HTML: no script, no
 * font or file from the internet, one small style sheet from this server.
 *
 * Sign-in: staff type a staff token once into a form (the only POST). The
 * server answers with a cookie holding a fresh random session id, never the
 * token. The district store keeps the session by the id's SHA-256 with the
 * staff token's hash only, so that sessions survive a restart while a copy
 * of the database signs nobody in, and a revoked staff token ends its
 * sessions at their next request. The cookie is HttpOnly and
 * SameSite=Strict (Secure under HTTPS), so another site can neither read it
 * nor make the browser send it; downloads are plain GETs with the cookie.
 * After 5 refused sign-ins from one address within 10 minutes, that address
 * waits (429), counted from the audit. */

#define SIGNIN_FAILURES 5
#define SIGNIN_WINDOW (10 * 60)

/* ---- replies ---------------------------------------------------------------- */

static PcmbnDistrictReply *
reply_new (guint status, const char *content_type, GBytes *body)
{
  PcmbnDistrictReply *reply = g_new0 (PcmbnDistrictReply, 1);

  reply->status = status;
  reply->content_type = g_strdup (content_type);
  reply->body = body ? body : g_bytes_new (NULL, 0);
  reply->headers = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

static void
reply_add_header (PcmbnDistrictReply *reply, const char *name, const char *value)
{
  if (reply->headers == NULL)
    reply->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (reply->headers, g_strdup (name));
  g_ptr_array_add (reply->headers, g_strdup (value));
}

/* Pages render only what this server sends: no script at all, styles from
 * /dashboard.css, forms posting here, no framing by another site. */
static PcmbnDistrictReply *
reply_html (guint status, char *html)
{
  PcmbnDistrictReply *reply = reply_new (status, "text/html; charset=utf-8",
                                         g_bytes_new_take (html, strlen (html)));

  reply_add_header (reply, "Content-Security-Policy",
                    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action"
                    " 'self'; frame-ancestors 'none'; base-uri 'none'");
  reply_add_header (reply, "X-Frame-Options", "DENY");
  reply_add_header (reply, "X-Content-Type-Options", "nosniff");
  /* Not no-referrer: under it browsers send "Origin: null" with the sign-in
   * form, and the origin check below could not tell it from another site. */
  reply_add_header (reply, "Referrer-Policy", "same-origin");
  /* The page is in the browser's language: a cache must not give one
   * person's page to another who reads another language. */
  reply_add_header (reply, "Vary", "Accept-Language");
  reply_add_header (reply, "Content-Language", pcmbn_lang_to_string (pcmbn_lang_current ()));
  return reply;
}

static PcmbnDistrictReply *
reply_redirect (const char *location)
{
  PcmbnDistrictReply *reply = reply_new (303, "text/plain; charset=utf-8", NULL);

  reply_add_header (reply, "Location", location);
  return reply;
}

static PcmbnDistrictReply *
method_not_allowed (const char *allow)
{
  PcmbnDistrictReply *reply = pcmbn_district_reply_error (
      405, "method_not_allowed", _ ("This address does not take that method."));
  reply->allow = g_strdup (allow);
  return reply;
}

/* ---- HTML helpers ------------------------------------------------------------ */

/* Text and attribute values alike: & < > " ' all escaped, whatever the
 * commune's name holds. */
static void
append_escaped (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);
  g_string_append (out, escaped);
}

G_GNUC_PRINTF (2, 3)
static void
append_escaped_printf (GString *out, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  append_escaped (out, text);
}

/* The page's tables are written by one writer, so that every one has the
 * same head, row headers and numbers that the tests and the page's script
 * find by the same selectors. */
typedef struct
{
  const char *label;
  const char *class_name; /* nullable */
} TableColumn;

/* `<table>` up to its head's fixed columns; more head cells may follow
 * before append_table_body(). */
static void
append_table_head (GString *out, const char *id, const TableColumn *columns, guint n_columns)
{
  g_string_append (out, "<table");
  if (id)
    g_string_append_printf (out, " id=\"%s\"", id);
  g_string_append (out, ">\n<thead><tr>");
  for (guint c = 0; c < n_columns; c++)
    {
      g_string_append (out, "<th scope=\"col\"");
      if (columns[c].class_name)
        g_string_append_printf (out, " class=\"%s\"", columns[c].class_name);
      g_string_append (out, ">");
      append_escaped (out, columns[c].label);
      g_string_append (out, "</th>");
    }
}

/* A head cell for each indicator: its short label, the whole on hover. */
static void
append_indicator_heads (GString *out, const char *class_name)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);

  for (guint i = 0; i < n_indicators; i++)
    {
      g_string_append_printf (out, "<th scope=\"col\" class=\"%s\" title=\"", class_name);
      append_escaped (out, pcmbn_indicator_label (&indicators[i]));
      g_string_append (out, "\">");
      append_escaped (out, pcmbn_indicator_short_label (&indicators[i]));
      g_string_append (out, "</th>");
    }
}

static void
append_table_body (GString *out)
{
  g_string_append (out, "</tr></thead>\n<tbody>\n");
}

/* A row named by `data-@attr` and its header cell, left open for the
 * name; @extra: more attributes of the row, or "". */
static void
append_row_head (GString *out, const char *attr, const char *code, const char *extra)
{
  g_string_append_printf (out, "<tr data-%s=\"", attr);
  append_escaped (out, code);
  g_string_append_printf (out, "\"%s><th scope=\"row\">", extra);
}

/* The row header's end and the code cell that follows it. */
static void
append_code_cell (GString *out, const char *code)
{
  g_string_append (out, "</th><td>");
  append_escaped (out, code);
  g_string_append (out, "</td>");
}

static void
append_fraction (GString *out, JsonObject *ind, const char *separator)
{
  append_escaped_printf (out, "%" G_GINT64_FORMAT "%s%" G_GINT64_FORMAT,
                         ind ? json_object_get_int_member_with_default (ind, "numerator", 0) : 0,
                         separator,
                         ind ? json_object_get_int_member_with_default (ind, "denominator", 0) : 0);
}

static const char *
page_lang (void)
{
  /* TRANSLATORS: the code of your language; Vietnamese is "vi". */
  return C_ ("language-code", "en");
}

static void
page_start (GString *out, const char *title)
{
  g_string_append_printf (
      out,
      "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>",
      page_lang ());
  append_escaped (out, title);
  g_string_append (
      out, "</title>\n<link rel=\"stylesheet\" href=\"/dashboard.css\">\n</head>\n<body>\n");
}

static void
page_end (GString *out)
{
  g_string_append (out, "</body>\n</html>\n");
}

/* Vietnamese writes 45,5%; English 45.5%. */
static char *
format_percent (double fraction)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.1f", fraction * 100.0);
  if (pcmbn_is_vietnamese ())
    g_strdelimit (buf, ".", ',');
  return g_strdup_printf ("%s%%", buf);
}

/* A sync's local date and time (pcmbn_district_format_time()); a time
 * that does not parse is shown as it came. */
#define SYNC_TIME "%d/%m/%Y %H:%M"

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
member_is_number (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  return node && JSON_NODE_HOLDS_VALUE (node)
         && (json_node_get_value_type (node) == G_TYPE_INT64
             || json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

static char *
format_indicator_value (JsonObject *ind, const char *member, gboolean is_count)
{
  if (!member_is_number (ind, member))
    return g_strdup ("—");
  if (is_count)
    return g_strdup_printf ("%" G_GINT64_FORMAT,
                            (gint64)(json_object_get_double_member (ind, member) + 0.5));
  return format_percent (json_object_get_double_member (ind, member));
}

/* ---- the pages ---------------------------------------------------------------- */

static void
append_signin_form (GString *out, const char *message)
{
  g_string_append (out, "<form class=\"signin\" method=\"post\" action=\"/login\">\n");
  if (message)
    {
      g_string_append (out, "<p class=\"error\" id=\"signin-error\" role=\"alert\">");
      append_escaped (out, message);
      g_string_append (out, "</p>\n");
    }
  g_string_append (out, "<label for=\"token\">");
  append_escaped (out, _ ("Staff token"));
  g_string_append (out, "</label>\n<input id=\"token\" name=\"token\" type=\"password\" "
                        "autocomplete=\"current-password\" required autofocus>\n"
                        "<button type=\"submit\" id=\"signin\">");
  append_escaped (out, _ ("Sign in"));
  g_string_append (out, "</button>\n</form>\n<p class=\"hint\">");
  append_escaped (out, _ ("The district’s administrator makes a staff token with "
                          "“pcmbn-district staff-token --db PATH --name NAME”."));
  g_string_append (out, "</p>\n");
}

static char *
render_signin (PcmbnDistrictStore *store, const char *message)
{
  GString *out = g_string_new (NULL);
  g_autofree char *name = pcmbn_district_store_get_name (store);

  page_start (out, _ ("District dashboard — sign in"));
  g_string_append (out, "<main class=\"narrow\">\n<h1>");
  append_escaped (out, _ ("District dashboard"));
  g_string_append (out, "</h1>\n<p class=\"unit\">");
  append_escaped (out, name);
  g_string_append (out, "</p>\n");
  append_signin_form (out, message);
  g_string_append (out, "</main>\n");
  page_end (out);
  return g_string_free (out, FALSE);
}

static char *
render_message (const char *title, const char *message)
{
  GString *out = g_string_new (NULL);

  page_start (out, title);
  g_string_append (out, "<main class=\"narrow\">\n<h1>");
  append_escaped (out, title);
  g_string_append (out, "</h1>\n<p class=\"error\" role=\"alert\">");
  append_escaped (out, message);
  g_string_append (out, "</p>\n<p><a href=\"/\">");
  append_escaped (out, _ ("Back to the dashboard"));
  g_string_append (out, "</a></p>\n</main>\n");
  page_end (out);
  return g_string_free (out, FALSE);
}

static void
append_indicators (GString *out, JsonObject *report_indicators)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);

  const TableColumn columns[] = {
    { _ ("Indicator"), NULL }, { _ ("Value"), "num" },     { _ ("Numerator / denominator"), "num" },
    { _ ("Target"), "num" },   { _ ("Assessment"), NULL },
  };

  append_table_head (out, "indicators", columns, G_N_ELEMENTS (columns));
  append_table_body (out);
  for (guint i = 0; i < n_indicators; i++)
    {
      JsonObject *ind = object_member (report_indicators, indicators[i].key);
      gboolean is_count = pcmbn_indicator_is_count (&indicators[i]);
      g_autofree char *value = format_indicator_value (ind, "value", is_count);
      g_autofree char *target = format_indicator_value (ind, "target", is_count);
      const char *mark_class, *mark;

      if (!member_is_number (ind, "value"))
        mark_class = "none", mark = _ ("No data");
      else if (!member_is_number (ind, "target"))
        mark_class = "none", mark = _ ("No target");
      /* Targets are doubles: 0.3 is met by 3 of 10. */
      else if (json_object_get_double_member (ind, "value")
               >= json_object_get_double_member (ind, "target") - 1e-9)
        mark_class = "met", mark = _ ("Met");
      else
        mark_class = "not-met", mark = _ ("Not met");

      g_string_append_printf (out,
                              "<tr data-indicator=\"%s\"><th scope=\"row\"><span class=\"key\">",
                              indicators[i].key);
      append_escaped (out, pcmbn_indicator_short_label (&indicators[i]));
      g_string_append (out, "</span> ");
      append_escaped (out, pcmbn_indicator_label (&indicators[i]));
      g_string_append (out, "</th><td class=\"num value\">");
      append_escaped (out, value);
      g_string_append (out, "</td><td class=\"num\">");
      append_fraction (out, ind, " / ");
      g_string_append (out, "</td><td class=\"num\">");
      append_escaped (out, target);
      g_string_append_printf (out, "</td><td class=\"mark %s\">", mark_class);
      if (g_str_equal (mark_class, "met"))
        g_string_append (out, "✓ ");
      else if (g_str_equal (mark_class, "not-met"))
        g_string_append (out, "✗ ");
      append_escaped (out, mark);
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</tbody>\n</table>\n");
}

/* A commune's cell for one indicator: yes/no for the communes counted, the
 * months for I3, the share for I4, a dash where the commune does not count
 * (I2a and I4 outside the key areas or without a known population). */
/* The report's breakdown by the units right under this server's (the
 * districts of a city, the communes of a district): a row per unit with
 * its records and each indicator of the table, as its own report gives
 * them. Nothing when there is none. */
static void
append_children (GString *out, JsonArray *children, int year)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);
  const TableColumn columns[] = {
    { _ ("Unit"), NULL },
    { _ ("Code"), NULL },
    { _ ("Records"), "num" },
  };

  if (children == NULL || json_array_get_length (children) == 0)
    return;
  g_string_append (out, "<section id=\"children\">\n<h2>");
  append_escaped_printf (out, _ ("Units under this one, %d"), year);
  g_string_append (out, "</h2>\n<div class=\"scroll\">");
  append_table_head (out, "children-table", columns, G_N_ELEMENTS (columns));
  append_indicator_heads (out, "num ind");
  append_table_body (out);
  for (guint c = 0; c < json_array_get_length (children); c++)
    {
      JsonObject *row = json_array_get_object_element (children, c);
      JsonObject *records = object_member (row, "records");
      JsonObject *row_indicators = object_member (row, "indicators");
      gint64 total = 0;

      if (records)
        {
          g_autoptr (GList) members = json_object_get_members (records);
          for (GList *m = members; m; m = m->next)
            total += json_object_get_int_member (records, m->data);
        }
      append_row_head (out, "unit", json_object_get_string_member (row, "org_unit"), "");
      append_escaped (out, json_object_get_string_member (row, "name"));
      append_code_cell (out, json_object_get_string_member (row, "org_unit"));
      g_string_append_printf (out, "<td class=\"num records\">%" G_GINT64_FORMAT "</td>", total);
      for (guint i = 0; i < n_indicators; i++)
        {
          JsonObject *ind = object_member (row_indicators, indicators[i].key);
          g_autofree char *value = format_indicator_value (
              ind, "value", pcmbn_indicator_is_count (&indicators[i]));
          g_string_append_printf (out, "<td class=\"num\" data-indicator=\"%s\">",
                                  indicators[i].key);
          append_escaped (out, value);
          g_string_append (out, " <span class=\"hint\">");
          append_fraction (out, ind, "/");
          g_string_append (out, "</span></td>");
        }
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody>\n</table></div>\n<p class=\"legend\">");
  append_escaped (out, _ ("Each unit counted over the communes under it, as its own report "
                          "counts it: the value, then numerator/denominator; — where none of "
                          "its communes counts."));
  g_string_append (out, "</p>\n</section>\n");
}

static void
append_commune_indicator (GString *out, JsonObject *ind, const PcmbnIndicator *indicator)
{
  gint64 den = ind ? json_object_get_int_member_with_default (ind, "denominator", 0) : 0;
  gint64 num = ind ? json_object_get_int_member_with_default (ind, "numerator", 0) : 0;

  if (pcmbn_indicator_is_count (indicator))
    {
      g_string_append_printf (out, "<td class=\"num\">%" G_GINT64_FORMAT "</td>", num);
      return;
    }
  if (den == 0)
    {
      g_string_append (out, "<td class=\"na\" title=\"");
      append_escaped (out, _ ("Does not count for this indicator"));
      g_string_append (out, "\">—</td>");
      return;
    }
  if (indicator->count == PCMBN_INDICATOR_SUM)
    {
      g_autofree char *text = format_percent ((double)num / (double)den);
      g_string_append (out, "<td class=\"num\">");
      append_escaped (out, text);
      g_string_append (out, "</td>");
      return;
    }
  if (num > 0)
    {
      g_string_append (out, "<td class=\"yes\">");
      append_escaped (out, _ ("yes"));
    }
  else
    {
      g_string_append (out, "<td class=\"no\">");
      append_escaped (out, _ ("no"));
    }
  g_string_append (out, "</td>");
}

/* A commune without a network syncs by USB bundle: say when it last did. */
static void
append_bundle_sync (PcmbnDistrictStore *store, GString *out, const char *code)
{
  g_autofree char *last = pcmbn_district_store_last_bundle (store, code);
  g_autofree char *when = last ? pcmbn_district_format_time (last, SYNC_TIME, last) : NULL;

  if (last == NULL)
    return;
  g_string_append (out, " <span class=\"badge bundle\">");
  append_escaped (out, _ ("by USB bundle"));
  g_string_append (out, " <time datetime=\"");
  append_escaped (out, last);
  g_string_append (out, "\">");
  append_escaped (out, when);
  g_string_append (out, "</time></span>");
}

static gint
never_synced_first (gconstpointer a, gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode **)a);
  JsonObject *y = json_node_get_object (*(JsonNode **)b);
  gboolean nx = json_object_get_null_member (x, "last_sync");
  gboolean ny = json_object_get_null_member (y, "last_sync");

  if (nx != ny)
    return nx ? -1 : 1;
  return g_strcmp0 (json_object_get_string_member (x, "org_unit"),
                    json_object_get_string_member (y, "org_unit"));
}

static void
append_communes (PcmbnDistrictStore *store, GString *out, JsonArray *communes)
{
  guint n_kinds, n = json_array_get_length (communes), never = 0, n_indicators;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);
  g_autoptr (GPtrArray) sorted = g_ptr_array_sized_new (n);
  const TableColumn columns[] = {
    { _ ("Commune"), NULL },
    { _ ("Code"), NULL },
    { _ ("Last sync"), NULL },
  };

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (communes, i);
      g_ptr_array_add (sorted, node);
      if (json_object_get_null_member (json_node_get_object (node), "last_sync"))
        never++;
    }
  g_ptr_array_sort (sorted, never_synced_first);

  g_string_append (out, "<p class=\"summary\" id=\"commune-summary\">");
  {
    g_autofree char *text = g_strdup_printf (
        ngettext ("%u commune in scope", "%u communes in scope", n), n);
    append_escaped (out, text);
  }
  g_string_append (out, "; ");
  if (never > 0)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u has never synced (listed first)",
                                                         "%u have never synced (listed first)",
                                                         never),
                                               never);
      g_string_append (out, "<strong class=\"never-count\">");
      append_escaped (out, text);
      g_string_append (out, "</strong>");
    }
  else
    append_escaped (out, _ ("every commune has synced"));
  g_string_append (out, ".</p>\n<div class=\"scroll\">\n");
  append_table_head (out, "communes", columns, G_N_ELEMENTS (columns));
  for (guint k = 0; k < n_kinds; k++)
    {
      g_string_append_printf (out, "<th scope=\"col\" class=\"num\" data-kind=\"%s\">",
                              kinds[k]->name);
      append_escaped (out, pcmbn_kind_label (kinds[k]));
      g_string_append (out, "</th>");
    }
  append_indicator_heads (out, "ind");
  append_table_body (out);

  for (guint i = 0; i < sorted->len; i++)
    {
      JsonObject *row = json_node_get_object (sorted->pdata[i]);
      JsonObject *records = object_member (row, "records");
      JsonObject *inds = object_member (row, "indicators");
      const char *code = json_object_get_string_member (row, "org_unit");
      const char *last_sync = json_object_get_null_member (row, "last_sync")
                                  ? NULL
                                  : json_object_get_string_member (row, "last_sync");

      append_row_head (out, "code", code, last_sync ? "" : " class=\"never-synced\"");
      append_escaped (out, json_object_get_string_member_with_default (row, "name", ""));
      if (json_object_get_boolean_member_with_default (row, "key_area", FALSE))
        {
          g_string_append (out, " <span class=\"badge key-area\">");
          append_escaped (out, _ ("key area"));
          g_string_append (out, "</span>");
        }
      append_code_cell (out, code);
      if (last_sync)
        {
          g_autofree char *when = pcmbn_district_format_time (last_sync, SYNC_TIME, last_sync);
          g_string_append (out, "<td class=\"sync\"><time datetime=\"");
          append_escaped (out, last_sync);
          g_string_append (out, "\">");
          append_escaped (out, when);
          g_string_append (out, "</time>");
          append_bundle_sync (store, out, code);
          g_string_append (out, "</td>");
        }
      else
        {
          g_string_append (out, "<td class=\"sync\"><span class=\"badge never\">");
          append_escaped (out, _ ("Never synced"));
          g_string_append (out, "</span></td>");
        }
      for (guint k = 0; k < n_kinds; k++)
        g_string_append_printf (
            out, "<td class=\"num\">%" G_GINT64_FORMAT "</td>",
            records ? json_object_get_int_member_with_default (records, kinds[k]->name, 0) : 0);
      for (guint k = 0; k < n_indicators; k++)
        append_commune_indicator (out, object_member (inds, indicators[k].key), &indicators[k]);
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody>\n</table>\n</div>\n");
}

/* The charts beside the tables, from the same numbers (see
 * pcmbn-district-charts.c for the drawing). */
static void
append_charts (GString *out,
               PcmbnDistrictStore *store,
               JsonObject *report_indicators,
               JsonArray *communes,
               int year)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);
  g_autofree PcmbnChartIndicator *bars = g_new0 (PcmbnChartIndicator, n_indicators);
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (PcmbnChartCommune));
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  guint n_kinds, months[12];
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  for (guint i = 0; i < n_indicators; i++)
    {
      JsonObject *ind = object_member (report_indicators, indicators[i].key);
      gboolean is_count = pcmbn_indicator_is_count (&indicators[i]);
      bars[i] = (PcmbnChartIndicator){
        .key = indicators[i].key,
        .short_label = pcmbn_indicator_short_label (&indicators[i]),
        .label = pcmbn_indicator_label (&indicators[i]),
        .has_value = member_is_number (ind, "value"),
        .value = member_is_number (ind, "value") ? json_object_get_double_member (ind, "value") : 0,
        .has_target = member_is_number (ind, "target"),
        .target = member_is_number (ind, "target") ? json_object_get_double_member (ind, "target")
                                                   : 0,
        .is_count = is_count,
        .full = is_count && ind ? json_object_get_int_member_with_default (ind, "denominator", 12)
                                : 1.0,
      };
    }
  pcmbn_store_count_by_month (pcmbn_district_store_get_store (store), "activity", year, months);
  for (guint i = 0; i < json_array_get_length (communes); i++)
    g_ptr_array_add (sorted, json_array_get_element (communes, i));
  g_ptr_array_sort (sorted, never_synced_first);
  for (guint i = 0; i < sorted->len; i++)
    {
      JsonObject *row = json_node_get_object (sorted->pdata[i]);
      JsonObject *records = object_member (row, "records");
      PcmbnChartCommune c = {
        .code = json_object_get_string_member_with_default (row, "org_unit", ""),
        .name = json_object_get_string_member_with_default (row, "name", ""),
        .last_sync = json_object_get_null_member (row, "last_sync")
                         ? NULL
                         : json_object_get_string_member (row, "last_sync"),
      };
      for (guint k = 0; records && k < n_kinds; k++)
        c.records += json_object_get_int_member_with_default (records, kinds[k]->name, 0);
      g_array_append_val (rows, c);
    }

  g_string_append (out, "<section class=\"charts\">\n<h2>");
  append_escaped_printf (out, _ ("At a glance, %d"), year);
  g_string_append (out, "</h2>\n");
  pcmbn_district_chart_indicators (out, bars, n_indicators);
  pcmbn_district_chart_months (out, year, months);
  pcmbn_district_chart_communes (out, (PcmbnChartCommune *)(gpointer)rows->data, rows->len, now);
  g_string_append (out, "</section>\n");
}

/* The servers enrolled under this one (the reporting chain), above the
 * communes: when each last synced and how many records each of its
 * communes has here. */
static void
append_child_servers (GString *out, PcmbnDistrictStore *store)
{
  g_autoptr (JsonNode) children = pcmbn_district_store_child_servers (store);
  JsonArray *list = json_node_get_array (children);
  const TableColumn columns[] = {
    { _ ("Server"), NULL },
    { _ ("Unit"), NULL },
    { _ ("Last sync"), NULL },
    { _ ("Records per commune"), NULL },
  };

  if (json_array_get_length (list) == 0)
    return;
  g_string_append (out, "<section id=\"child-servers\">\n<h2>");
  append_escaped (out, _ ("Servers under this one"));
  g_string_append (out, "</h2>\n");
  append_table_head (out, NULL, columns, G_N_ELEMENTS (columns));
  append_table_body (out);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *child = json_array_get_object_element (list, i);
      JsonArray *communes = json_object_get_array_member (child, "communes");
      const char *last = json_object_get_null_member (child, "last_sync")
                             ? NULL
                             : json_object_get_string_member (child, "last_sync");
      append_row_head (out, "child", json_object_get_string_member (child, "org_unit"), "");
      append_escaped (out, json_object_get_string_member (child, "name"));
      append_code_cell (out, json_object_get_string_member (child, "org_unit"));
      g_string_append (out, "<td class=\"sync\">");
      if (last)
        {
          g_autofree char *when = pcmbn_district_format_time (last, SYNC_TIME, last);
          append_escaped (out, when);
        }
      else
        append_escaped (out, _ ("Never synced"));
      g_string_append (out, "</td><td><ul class=\"child-communes\">");
      for (guint c = 0; c < json_array_get_length (communes); c++)
        {
          JsonObject *row = json_array_get_object_element (communes, c);
          g_string_append (out, "<li data-code=\"");
          append_escaped (out, json_object_get_string_member (row, "org_unit"));
          g_string_append (out, "\">");
          append_escaped_printf (out, "%s: %" G_GINT64_FORMAT,
                                 json_object_get_string_member (row, "name"),
                                 json_object_get_int_member (row, "records"));
          g_string_append (out, "</li>");
        }
      g_string_append (out, "</ul></td></tr>\n");
    }
  g_string_append (out, "</tbody>\n</table>\n</section>\n");
}

/**
 * pcmbn_district_dashboard_render:
 * @store: a server database
 * @year: (nullable): the year shown, the current one when %NULL
 * @staff_name: (nullable): who is signed in
 * @error: return location for an error naming `year`
 *
 * Returns: (transfer full) (nullable): the dashboard page
 */
char *
pcmbn_district_dashboard_render (PcmbnDistrictStore *store,
                                 const char *year,
                                 const char *staff_name,
                                 GError **error)
{
  g_autofree char *from = NULL, *to = NULL, *code = NULL, *name = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (JsonNode) communes = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  int shown, this_year;

  if (!pcmbn_report_parse_period (year, NULL, NULL, &from, &to, error))
    return NULL;
  shown = atoi (from);
  {
    g_autofree char *today = pcmbn_date_format (pcmbn_today ());
    this_year = atoi (today);
  }
  code = pcmbn_district_store_get_code (store);
  name = pcmbn_district_store_get_name (store);
  /* The same report the downloads carry, so the page and the files agree. */
  report = pcmbn_report_build (pcmbn_district_store_get_store (store), code, from, to,
                               PCMBN_REPORT_SUPPRESS_SMALL, error);
  if (report == NULL)
    return NULL;
  communes = pcmbn_report_build_communes (pcmbn_district_store_get_store (store), code, from, to,
                                          error);
  if (communes == NULL)
    return NULL;

  page_start (out, _ ("District dashboard"));
  g_string_append (out, "<header>\n<div>\n<h1>");
  append_escaped (out, _ ("District dashboard"));
  g_string_append (out, "</h1>\n<p class=\"unit\" id=\"unit\">");
  append_escaped (out, name);
  g_string_append (out, "</p>\n</div>\n<nav>");
  if (staff_name)
    {
      g_autofree char *who = g_strdup_printf (_ ("Signed in as %s"), staff_name);
      g_string_append (out, "<span class=\"who\">");
      append_escaped (out, who);
      g_string_append (out, "</span> ");
    }
  g_string_append (out, "<a href=\"/logout\" id=\"signout\">");
  append_escaped (out, _ ("Sign out"));
  g_string_append (out, "</a></nav>\n</header>\n<main>\n");

  /* A plain GET form: no script needed to change the year. */
  g_string_append (out,
                   "<form class=\"period\" method=\"get\" action=\"/\">\n<label for=\"year\">");
  append_escaped (out, _ ("Year"));
  g_string_append (out, "</label>\n<select id=\"year\" name=\"year\">\n");
  for (int y = MAX (this_year, shown); y >= MIN (2018, shown); y--)
    g_string_append_printf (out, "<option value=\"%d\"%s>%d</option>\n", y,
                            y == shown ? " selected" : "", y);
  g_string_append (out, "</select>\n<button type=\"submit\">");
  append_escaped (out, _ ("Show"));
  g_string_append (out, "</button>\n</form>\n");

  g_string_append (out, "<section class=\"downloads\">\n<h2>");
  append_escaped (out, _ ("Download the report"));
  g_string_append (out, "</h2>\n<ul>\n");
  {
    static const struct
    {
      const char *format;
      const char *label;
    } downloads[] = {
      { "pdf", N_ ("PDF (to sign and send)") },
      { "xlsx", N_ ("Excel (XLSX)") },
      { "csv", N_ ("CSV") },
      { "json", N_ ("JSON") },
    };
    for (guint i = 0; i < G_N_ELEMENTS (downloads); i++)
      {
        g_string_append_printf (
            out,
            "<li><a id=\"download-%s\" href=\"/download?year=%d&amp;format=%s&amp;lang=%s\" "
            "download>",
            downloads[i].format, shown, downloads[i].format,
            pcmbn_lang_to_string (pcmbn_lang_current ()));
        append_escaped (out, _ (downloads[i].label));
        g_string_append (out, "</a></li>\n");
      }
  }
  g_string_append (out, "</ul>\n</section>\n");

  g_string_append (out, "<section>\n<h2>");
  append_escaped_printf (out, _ ("Indicators against targets, %d"), shown);
  g_string_append (out, "</h2>\n");
  append_indicators (out, object_member (json_node_get_object (report), "indicators"));
  g_string_append (out, "</section>\n");
  {
    JsonObject *top = json_node_get_object (report);
    append_children (out,
                     json_object_has_member (top, "children")
                         ? json_object_get_array_member (top, "children")
                         : NULL,
                     shown);
  }
  append_charts (out, store, object_member (json_node_get_object (report), "indicators"),
                 json_node_get_array (communes), shown);
  append_child_servers (out, store);
  g_string_append (out, "<section>\n<h2>");
  append_escaped_printf (out, _ ("Communes, %d"), shown);
  g_string_append (out, "</h2>\n");
  append_communes (store, out, json_node_get_array (communes));
  g_string_append (out, "<p class=\"legend\">");
  append_escaped (out,
                  _ ("Records of each kind dated in the year. Indicators for each commune "
                     "alone: yes or no, months for I3, the share reached for I4; — where the "
                     "commune does not count (outside the key areas, or no known population)."));
  g_string_append (out, "</p>\n</section>\n</main>\n");
  page_end (out);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const char dashboard_css[] =
    ":root{color-scheme:light;--fg:#1d1d1f;--muted:#5e5e66;--line:#d8d8de;--head:#f2f2f5;"
    "--accent:#1c5fb8;--met:#17692e;--notmet:#b3261e;--never:#fff1c2;--never-line:#c98a00}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.45 system-ui,\"Noto Sans\",\"DejaVu "
    "Sans\",sans-serif;color:var(--fg);"
    "background:#fff}\n"
    "header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:flex-end;gap:"
    "1em;"
    "padding:1em 1.5em;border-bottom:1px solid var(--line);background:var(--head)}\n"
    "h1{margin:0;font-size:1.5em}h2{font-size:1.15em;margin:1.6em 0 .6em}\n"
    ".unit{margin:.2em 0 0;color:var(--muted)}\n"
    "main{padding:0 1.5em 2em}main.narrow{max-width:32em;margin:3em auto}\n"
    "a{color:var(--accent)}nav .who{color:var(--muted);margin-right:.8em}\n"
    "form.period{margin:1.2em 0 0;display:flex;gap:.6em;align-items:center}\n"
    "select,input,button{font:inherit;padding:.35em .6em}\n"
    "button{border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;"
    "cursor:pointer}\n"
    "form.signin{display:flex;flex-direction:column;gap:.5em;margin:1.5em 0}\n"
    ".error{color:var(--notmet);font-weight:600}.hint,.legend{color:var(--muted);font-size:.9em}"
    "\n"
    ".downloads ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.6em}\n"
    ".downloads a{display:inline-block;padding:.35em .8em;border:1px solid var(--accent);"
    "border-radius:4px;text-decoration:none}\n"
    "table{border-collapse:collapse}th,td{padding:.3em .6em;border-bottom:1px solid var(--line);"
    "text-align:left;vertical-align:top}\n"
    "thead th{background:var(--head);position:sticky;top:0;font-weight:600}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "#indicators tbody th{font-weight:400}.key{font-weight:700;margin-right:.3em}\n"
    ".mark.met,.yes{color:var(--met)}.mark.not-met,.no{color:var(--notmet)}\n"
    ".mark{font-weight:600}.na{color:var(--muted);text-align:center}\n"
    ".scroll{overflow:auto;max-height:75vh;border:1px solid var(--line)}\n"
    "#communes th[scope=row]{font-weight:400;white-space:nowrap}th.ind{text-align:center}\n"
    "#communes td.yes,#communes td.no{text-align:center}\n"
    "tr.never-synced{background:var(--never)}\n"
    "tr.never-synced th[scope=row]{border-left:4px solid var(--never-line)}\n"
    ".badge{display:inline-block;font-size:.8em;padding:0 .45em;border-radius:3px;"
    "border:1px solid var(--line);color:var(--muted)}\n"
    ".badge.never{border-color:var(--never-line);color:#6b4800;font-weight:700;background:#"
    "ffe08a}\n"
    ".summary .never-count{color:#6b4800}\n"
    ".chart{margin:1em 0 1.6em}.chart svg{max-width:100%;height:auto}"
    ".chart figcaption{color:var(--muted);font-size:.9em}\n"
    "@media print{header nav,form.period,.downloads{display:none}.scroll{max-height:none;"
    "overflow:visible}}\n";

/* ---- sessions ------------------------------------------------------------------ */

static const char *
cookie_value (const char *header, const char *name)
{
  gsize name_len = strlen (name);

  for (const char *p = header; p && *p;)
    {
      while (*p == ' ' || *p == ';')
        p++;
      if (strncmp (p, name, name_len) == 0 && p[name_len] == '=')
        return p + name_len + 1;
      p = strchr (p, ';');
    }
  return NULL;
}

/* The session id from the cookie, or NULL. */
static char *
session_id (PcmbnDistrictRequest *req)
{
  const char *value = cookie_value (req->cookie, PCMBN_DASHBOARD_COOKIE);
  gsize len = 0;

  if (value == NULL)
    return NULL;
  while (g_ascii_isxdigit (value[len]))
    len++;
  if (len != 64)
    return NULL;
  return g_strndup (value, len);
}

/* Who a token hash belongs to; NULL when the database failed. */
static PcmbnDistrictPrincipal *
token_owner (PcmbnDistrictStore *store, const char *token_hash)
{
  g_autoptr (GError) error = NULL;
  PcmbnDistrictPrincipal *who = pcmbn_district_store_authenticate_hash (store, token_hash, &error);

  if (who == NULL)
    g_warning ("Cannot read the staff tokens: %s", error->message);
  return who;
}

/* The staff member of a live session, or NULL: expired, unknown, or its
 * token revoked since. */
static PcmbnDistrictPrincipal *
session_staff (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  g_autofree char *id = session_id (req);
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;
  g_autoptr (GError) error = NULL;

  if (id == NULL)
    return NULL;
  who = pcmbn_district_store_session_staff (store, id, &error);
  if (who == NULL)
    g_warning ("Cannot read the dashboard sessions: %s", error->message);
  if (who == NULL || who->kind != PCMBN_DISTRICT_TOKEN_STAFF)
    return NULL;
  who->address = g_strdup (req->remote);
  return g_steal_pointer (&who);
}

static void
session_end (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  g_autofree char *id = session_id (req);

  if (id)
    pcmbn_district_store_end_session (store, id);
}

static char *
cookie_header (PcmbnDistrictRequest *req, const char *value, int max_age)
{
  return g_strdup_printf ("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
                          PCMBN_DASHBOARD_COOKIE, value, max_age, req->https ? "; Secure" : "");
}

/* ---- handlers -------------------------------------------------------------------- */

static GHashTable *
parse_query (const char *query)
{
  GHashTable *params = NULL;

  if (query)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  return params ? params : g_hash_table_new (g_str_hash, g_str_equal);
}

/* The origins a sign-in form may come from, set once before the server
 * answers anything: the configured public URL, or the address it listens
 * on. Never the request's own Host: a site that points its own name at this
 * server (DNS rebinding) would pass that check. */
static GStrv allowed_origins;

/* scheme://host:port, lower case, the port always written, an IPv6 host in
 * brackets: two spellings of one origin compare equal. */
static char *
origin_key (const char *text)
{
  g_autoptr (GUri) uri = text ? g_uri_parse (text, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autofree char *scheme = NULL, *host = NULL;
  int port;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (!g_str_equal (scheme, "http") && !g_str_equal (scheme, "https"))
    return NULL;
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);
  if (port <= 0)
    port = g_str_equal (scheme, "https") ? 443 : 80;
  return strchr (host, ':') ? g_strdup_printf ("%s://[%s]:%d", scheme, host, port)
                            : g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

/**
 * pcmbn_district_dashboard_set_origins:
 * @public_url: (nullable): the address staff type in their browsers
 *   (`serve --public-url`), such as https://pcmbn.badinh.hanoi.gov.vn
 * @listen_url: (nullable): the address the server listens on
 *
 * Sets where a sign-in form may come from, before the server answers its
 * first request: @public_url when given, else @listen_url (and, for a
 * loopback address, its other loopback names). A server listening on every
 * interface without @public_url accepts no browser sign-in: it cannot know
 * the name browsers use.
 *
 * Returns: %FALSE when @public_url is not an http:// or https:// address
 */
gboolean
pcmbn_district_dashboard_set_origins (const char *public_url, const char *listen_url)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *url = public_url ? public_url : listen_url;
  g_autofree char *key = origin_key (url);

  if (public_url && key == NULL)
    return FALSE;
  if (key)
    {
      g_autoptr (GUri) uri = g_uri_parse (key, G_URI_FLAGS_NONE, NULL);
      const char *host = g_uri_get_host (uri);
      static const char *const loopback[] = { "127.0.0.1", "localhost", "[::1]" };
      static const char *const wildcard[] = { "0.0.0.0", "::", "" };

      if (public_url == NULL && g_strv_contains (wildcard, host))
        ; /* every interface: no name to trust */
      else if (public_url == NULL
               && (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "localhost")
                   || g_str_equal (host, "::1")))
        for (guint i = 0; i < G_N_ELEMENTS (loopback); i++)
          {
            g_autofree char *name = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
                                                     loopback[i], g_uri_get_port (uri));
            g_strv_builder_add (builder, name);
          }
      else
        g_strv_builder_add (builder, key);
    }
  g_clear_pointer (&allowed_origins, g_strfreev);
  allowed_origins = g_strv_builder_end (builder);
  return TRUE;
}

/* The form's origin must be this server: a sign-in form on another site
 * cannot sign a browser in as someone else. Browsers send Origin with every
 * POST; a client that sends none is not a browser and is let through. */
static gboolean
same_origin (PcmbnDistrictRequest *req)
{
  g_autofree char *key = NULL;

  if (req->origin == NULL)
    return TRUE;
  key = origin_key (req->origin);
  return key && allowed_origins && g_strv_contains ((const char *const *)allowed_origins, key);
}

/* Every sign-in attempt is audited, with whose token it was when known;
 * never the token. Only a token that was tried and refused (object
 * "dashboard") counts towards the throttle: a form from another origin or
 * without a token guesses nothing. */
static PcmbnDistrictReply *
signin_refused (PcmbnDistrictStore *store,
                PcmbnDistrictRequest *req,
                PcmbnDistrictPrincipal *who,
                const char *object,
                PcmbnDistrictReply *reply)
{
  const char *actor = who && who->kind != PCMBN_DISTRICT_TOKEN_UNKNOWN ? who->actor : "unknown";

  pcmbn_district_store_audit (store, actor, "sign-in", object, req->remote, FALSE);
  return reply;
}

static PcmbnDistrictReply *
handle_login (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  g_autoptr (GHashTable) form = NULL;
  g_autofree char *token = NULL, *hash = NULL, *id = NULL, *cookie = NULL;
  g_autoptr (PcmbnDistrictPrincipal) who = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  PcmbnDistrictReply *reply;
  const char *raw;

  if (pcmbn_district_store_count_refused (store, "sign-in", "dashboard", req->remote, SIGNIN_WINDOW)
      >= SIGNIN_FAILURES)
    return signin_refused (
        store, req, NULL, "dashboard",
        reply_html (429, render_signin (store, _ ("Too many wrong sign-ins came from this "
                                                  "address. Wait 10 minutes, then sign in with "
                                                  "the right staff token."))));
  if (req->origin && (allowed_origins == NULL || allowed_origins[0] == NULL))
    return signin_refused (
        store, req, NULL, "dashboard: another origin",
        reply_html (403, render_message (
                             _ ("Sign in"),
                             _ ("This server listens on every address and does not know the one "
                                "your browser uses. The administrator starts it with "
                                "“--public-url” and the dashboard’s address, such as "
                                "https://pcmbn.example.gov.vn."))));
  if (!same_origin (req))
    return signin_refused (
        store, req, NULL, "dashboard: another origin",
        reply_html (403, render_message (_ ("Sign in"),
                                         _ ("This sign-in form did not come from this server. "
                                            "Open the dashboard’s own address and sign in "
                                            "there."))));
  if (req->content_type
      && !g_str_has_prefix (req->content_type, "application/x-www-form-urlencoded"))
    return signin_refused (
        store, req, NULL, "dashboard: not a form",
        reply_html (415, render_signin (store, _ ("Send the sign-in form as a web form."))));
  if (req->body)
    text = g_strndup (g_bytes_get_data (req->body, NULL), g_bytes_get_size (req->body));
  form = text ? g_uri_parse_params (text, -1, "&", G_URI_PARAMS_WWW_FORM, NULL) : NULL;
  raw = form ? g_hash_table_lookup (form, "token") : NULL;
  token = g_strstrip (g_strdup (raw ? raw : ""));
  if (*token == '\0' || !g_utf8_validate (token, -1, NULL))
    return signin_refused (
        store, req, NULL, "dashboard: no token",
        reply_html (400, render_signin (store, _ ("Type your staff token, then sign in."))));
  hash = pcmbn_district_hash_secret (token);
  who = token_owner (store, hash);
  if (who == NULL)
    return pcmbn_district_reply_error (500, "internal", _ ("The server database cannot be read."));
  if (who->kind != PCMBN_DISTRICT_TOKEN_STAFF)
    {
      if (who->kind == PCMBN_DISTRICT_TOKEN_DEVICE)
        return signin_refused (
            store, req, who, "dashboard",
            reply_html (403, render_signin (store, _ ("This is a commune device’s token, not a "
                                                      "staff token. Use the staff token the "
                                                      "district’s administrator gave you."))));
      return signin_refused (
          store, req, who, "dashboard",
          reply_html (401, render_signin (store, _ ("This staff token is not known to the "
                                                    "district server, or it was revoked. Check "
                                                    "it and try again, or ask the administrator "
                                                    "for a new one."))));
    }
  id = pcmbn_district_store_new_session (store, hash, PCMBN_DASHBOARD_SESSION_SECONDS, &error);
  if (id == NULL)
    return pcmbn_district_reply_error (500, "internal", error->message);
  pcmbn_district_store_audit (store, who->actor, "sign-in", "dashboard", req->remote, TRUE);
  reply = reply_redirect ("/");
  cookie = cookie_header (req, id, PCMBN_DASHBOARD_SESSION_SECONDS);
  reply_add_header (reply, "Set-Cookie", cookie);
  return reply;
}

static PcmbnDistrictReply *
handle_logout (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  PcmbnDistrictReply *reply = reply_redirect ("/");
  g_autofree char *cookie = cookie_header (req, "", 0);
  g_autoptr (PcmbnDistrictPrincipal) staff = session_staff (store, req);

  if (staff)
    pcmbn_district_store_audit (store, staff->actor, "sign-out", "dashboard", staff->address, TRUE);
  session_end (store, req);
  reply_add_header (reply, "Set-Cookie", cookie);
  return reply;
}

/* What a report request asked for, for the audit: the known parameters
 * only, so that nothing else a client put in the address is kept. */
static char *
report_object (GHashTable *params)
{
  static const char *const names[] = { "year", "from", "to", "format", "lang", "org_unit" };
  GString *out = g_string_new ("report");

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = g_hash_table_lookup (params, names[i]);
      if (value && strlen (value) <= 32 && g_utf8_validate (value, -1, NULL))
        g_string_append_printf (out, " %s=%s", names[i], value);
    }
  return g_string_free (out, FALSE);
}

/**
 * pcmbn_district_report_reply:
 * @store: a server database
 * @staff: the staff member asking, already authenticated
 * @action: the audit's name for the read: "report" (the API) or "download"
 *   (the dashboard)
 * @query: (nullable): the query string: `year` or `from` and `to`,
 *   `format` (json when absent) and `lang` (vi when absent)
 * @attachment: whether JSON too comes as a file to save
 *
 * The report for a caller already known to be staff, audited. JSON comes
 * back as the API's body (unless @attachment); the other formats always as
 * a download (Content-Disposition: attachment).
 *
 * Returns: (transfer full): the reply
 */
PcmbnDistrictReply *
pcmbn_district_report_reply (PcmbnDistrictStore *store,
                             PcmbnDistrictPrincipal *staff,
                             const char *action,
                             const char *query,
                             gboolean attachment)
{
  g_autoptr (GHashTable) params = parse_query (query);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *object = report_object (params);
  const char *format_name = g_hash_table_lookup (params, "format");
  PcmbnReportFormat format = PCMBN_REPORT_FORMAT_JSON;
  PcmbnLang lang;
  PcmbnDistrictReply *reply;

  if (format_name && !pcmbn_report_format_from_string (format_name, &format))
    {
      pcmbn_district_store_audit (store, staff->actor, action, object, staff->address, FALSE);
      return pcmbn_district_reply_error (400, "bad_format",
                                         _ ("format: must be json, csv, pdf or xlsx"));
    }
  if (!pcmbn_lang_parse_option (g_hash_table_lookup (params, "lang"), &lang, &error))
    {
      pcmbn_district_store_audit (store, staff->actor, action, object, staff->address, FALSE);
      return pcmbn_district_reply_error (400, "bad_lang", error->message);
    }
  bytes = pcmbn_district_report_export_unit (
      store, g_hash_table_lookup (params, "org_unit"), g_hash_table_lookup (params, "year"),
      g_hash_table_lookup (params, "from"), g_hash_table_lookup (params, "to"), format, lang,
      &filename, &error);
  pcmbn_district_store_audit (store, staff->actor, action, object, staff->address, bytes != NULL);
  if (bytes == NULL)
    {
      if (error->domain == PCMBN_ERROR && error->code == PCMBN_ERROR_NOT_FOUND)
        return pcmbn_district_reply_error (403, "outside_unit", error->message);
      if (error->domain == PCMBN_ERROR && error->code == PCMBN_ERROR_INVALID
          && g_str_has_prefix (error->message, "org_unit:"))
        return pcmbn_district_reply_error (400, "bad_org_unit", error->message);
      if (error->domain == PCMBN_ERROR
          && (error->code == PCMBN_ERROR_USAGE || error->code == PCMBN_ERROR_INVALID))
        return pcmbn_district_reply_error (400, "bad_period", error->message);
      return pcmbn_district_reply_error (500, "internal", error->message);
    }
  reply = reply_new (200, pcmbn_report_format_content_type (format), g_steal_pointer (&bytes));
  if (attachment || format != PCMBN_REPORT_FORMAT_JSON)
    {
      g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", filename);
      reply_add_header (reply, "Content-Disposition", disposition);
    }
  return reply;
}

static PcmbnDistrictReply *
handle_download (PcmbnDistrictStore *store,
                 PcmbnDistrictRequest *req,
                 PcmbnDistrictPrincipal *staff)
{
  PcmbnDistrictReply *reply;
  g_autofree char *message = NULL;
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *error;
  guint status;

  if (staff == NULL)
    return reply_redirect ("/");
  /* From the dashboard, JSON too is a file to save. */
  reply = pcmbn_district_report_reply (store, staff, "download", req->query, TRUE);
  if (reply->status == 200)
    return reply;
  /* A person clicked a link: answer with a page, not the API's JSON. */
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, g_bytes_get_data (reply->body, NULL),
                                  g_bytes_get_size (reply->body), NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
      && (error = object_member (json_node_get_object (json_parser_get_root (parser)), "error")))
    message = g_strdup (json_object_get_string_member_with_default (error, "message", ""));
  else
    message = g_strdup (_ ("The report could not be made."));
  status = reply->status;
  pcmbn_district_reply_free (reply);
  return reply_html (status, render_message (_ ("Download the report"), message));
}

static PcmbnDistrictReply *
handle_page (PcmbnDistrictStore *store, PcmbnDistrictRequest *req, PcmbnDistrictPrincipal *staff)
{
  g_autoptr (GHashTable) params = parse_query (req->query);
  g_autoptr (GError) error = NULL;
  g_autofree char *object = NULL;
  const char *year;
  char *html;

  if (staff == NULL)
    return reply_html (200, render_signin (store, NULL));
  year = g_hash_table_lookup (params, "year");
  html = pcmbn_district_dashboard_render (store, year, staff->id, &error);
  /* The page shows every commune's figures: a read like a download. */
  object = g_strdup_printf ("dashboard year=%.8s", year ? year : "");
  pcmbn_district_store_audit (store, staff->actor, "view", object, staff->address, html != NULL);
  if (html == NULL)
    {
      gboolean bad_input = error->domain == PCMBN_ERROR
                           && (error->code == PCMBN_ERROR_USAGE
                               || error->code == PCMBN_ERROR_INVALID);
      return reply_html (bad_input ? 400 : 500,
                         render_message (_ ("District dashboard"), error->message));
    }
  return reply_html (200, html);
}

/**
 * pcmbn_district_dashboard_owns:
 * @path: a request's path
 *
 * Returns: whether the dashboard answers @path
 */
gboolean
pcmbn_district_dashboard_owns (const char *path)
{
  static const char *const paths[] = {
    "/", "/login", "/logout", "/download", "/dashboard.css", NULL
  };

  return path && g_strv_contains (paths, path);
}

static PcmbnDistrictReply *
route (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  const char *path = req->path;
  gboolean get = g_str_equal (req->method, "GET") || g_str_equal (req->method, "HEAD");
  g_autoptr (PcmbnDistrictPrincipal) staff = NULL;
  /* Each browser gets its own language, from this worker thread only:
   * the process locale stays as it is for every other request. */
  g_autoptr (PcmbnLangScope)
      lang = pcmbn_lang_scope_new (pcmbn_lang_from_accept_language (req->accept_language));

  if (g_str_equal (path, "/dashboard.css"))
    {
      PcmbnDistrictReply *reply;
      if (!get)
        return method_not_allowed ("GET, HEAD");
      reply = reply_new (200, "text/css; charset=utf-8",
                         g_bytes_new_static (dashboard_css, sizeof dashboard_css - 1));
      reply_add_header (reply, "X-Content-Type-Options", "nosniff");
      return reply;
    }
  if (g_str_equal (path, "/login"))
    {
      if (g_str_equal (req->method, "POST"))
        return handle_login (store, req);
      return get ? reply_redirect ("/") : method_not_allowed ("GET, HEAD, POST");
    }
  if (!get)
    return method_not_allowed ("GET, HEAD");
  if (g_str_equal (path, "/logout"))
    return handle_logout (store, req);
  staff = session_staff (store, req);
  if (g_str_equal (path, "/download"))
    return handle_download (store, req, staff);
  return handle_page (store, req, staff);
}

/**
 * pcmbn_district_dashboard_handle:
 * @store: this thread's connection to the server database
 * @request: a request whose path pcmbn_district_dashboard_owns()
 *
 * Returns: (transfer full): the answer
 */
PcmbnDistrictReply *
pcmbn_district_dashboard_handle (PcmbnDistrictStore *store, PcmbnDistrictRequest *req)
{
  PcmbnDistrictReply *reply = route (store, req);

  /* Under TLS, the browser keeps to HTTPS for a year: a later visit typed
   * as http:// cannot be intercepted before the session cookie goes out. */
  if (req->https)
    reply_add_header (reply, "Strict-Transport-Security", "max-age=31536000");
  return reply;
}
