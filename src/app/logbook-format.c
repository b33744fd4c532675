/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-format"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "logbook-format.h"
#include "report/pcmbn-indicators.h"
#include "pcmbn-util.h"

/**
 * logbook_date_parse_input:
 * @text: what a person typed: `30/7/2026`, `30-07-2026`, `30.07.2026` or
 *   ISO `2026-07-30`
 *
 * Day first, as Vietnamese write dates, whatever the locale: a form must
 * not read 03/04 as March in one office and April in another.
 *
 * Returns: (transfer full) (nullable): the ISO date, or %NULL when @text is
 *   not a date
 */
char *
logbook_date_parse_input (const char *text)
{
  /* The core reads the forms' dates too: one reading for every box. */
  return pcmbn_date_from_input (text);
}

/**
 * logbook_date_to_input:
 * @iso: (nullable): an ISO date
 *
 * Returns: (transfer full): the date as the form shows it, `dd/mm/yyyy`;
 *   text that is not an ISO date is returned as it is (a draft may hold
 *   what was typed)
 */
char *
logbook_date_to_input (const char *iso)
{
  return pcmbn_date_to_input (iso);
}

/**
 * logbook_date_to_display:
 * @iso: (nullable): an ISO date
 *
 * Returns: (transfer full): the date for a list: `30/07/2026` in Vietnamese,
 *   `30 Jul 2026` otherwise
 */
char *
logbook_date_to_display (const char *iso)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autoptr (GTimeZone) utc = NULL;

  if (iso == NULL || pcmbn_date_parse (iso) < 0)
    return g_strdup ("");
  if (pcmbn_is_vietnamese ())
    return logbook_date_to_input (iso);
  utc = g_time_zone_new_utc ();
  dt = g_date_time_new (utc, atoi (iso), atoi (iso + 5), atoi (iso + 8), 12, 0, 0);
  /* TRANSLATORS: a date in a list, strftime format */
  return g_date_time_format (dt, _ ("%e %b %Y"));
}

/**
 * logbook_state_label:
 * @state: a record's state
 *
 * Returns: (transfer none): what a row says about it
 */
const char *
logbook_state_label (PcmbnState state)
{
  switch (state)
    {
      case PCMBN_STATE_DRAFT:
        return _ ("Draft");
      case PCMBN_STATE_DIRTY:
        return _ ("Waiting to sync");
      case PCMBN_STATE_SYNCED:
        return _ ("Synced");
      case PCMBN_STATE_CONFLICT:
        return _ ("Conflict");
      case PCMBN_STATE_REJECTED:
        return _ ("Rejected by the server");
      default:
        return "";
    }
}

/**
 * logbook_state_css_class:
 * @state: a record's state
 *
 * Returns: (transfer none): the style class of its badge
 */
const char *
logbook_state_css_class (PcmbnState state)
{
  switch (state)
    {
      case PCMBN_STATE_SYNCED:
        return "success";
      case PCMBN_STATE_CONFLICT:
      case PCMBN_STATE_REJECTED:
        return "error";
      case PCMBN_STATE_DIRTY:
        return "accent";
      default:
        return "dim-label";
    }
}

/**
 * logbook_pseudonym_generate:
 * @rand: (nullable): a random source, %NULL for the global one
 *
 * A client code that cannot be a name: `TV-` and six of A–Z and 2–9,
 * without the letters and digits people confuse (O/0, I/1).
 *
 * Returns: (transfer full): the code
 */
char *
logbook_pseudonym_generate (GRand *rand)
{
  static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  GString *s = g_string_new ("TV-");

  for (int i = 0; i < 6; i++)
    {
      guint32 n = rand ? (guint32)g_rand_int_range (rand, 0, sizeof alphabet - 1)
                       : (guint32)g_random_int_range (0, sizeof alphabet - 1);
      g_string_append_c (s, alphabet[n]);
    }
  return g_string_free (s, FALSE);
}

/**
 * logbook_indicator_title:
 * @key: an indicator key of indicators.md
 *
 * Returns: (transfer none): its short title
 */
const char *
logbook_indicator_title (const char *key)
{
  const PcmbnIndicator *indicator = pcmbn_indicator_lookup (key);

  return indicator ? pcmbn_indicator_title (indicator) : key;
}

static gboolean
member_double (JsonObject *obj, const char *name, double *value)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  *value = json_node_get_double (node);
  return TRUE;
}

/**
 * logbook_format_indicator:
 * @key: the indicator's key
 * @indicator: its object in the report JSON
 *
 * Returns: (transfer full): its value as a card shows it
 */
char *
logbook_format_indicator (const char *key, JsonObject *indicator)
{
  double value, target;
  gboolean has_target = member_double (indicator, "target", &target);

  if (!member_double (indicator, "value", &value))
    return g_strdup (_ ("No data"));
  if (pcmbn_indicator_lookup (key) && pcmbn_indicator_is_count (pcmbn_indicator_lookup (key)))
    {
      if (has_target)
        /* TRANSLATORS: months with press coverage, "7 of 12 months" */
        return g_strdup_printf (_ ("%d of %d months"), (int)value, (int)target);
      return g_strdup_printf (_ ("%d months"), (int)value);
    }
  if (has_target)
    /* TRANSLATORS: an indicator and its target, "45% (target 50%)" */
    return g_strdup_printf (_ ("%.0f%% (target %.0f%%)"), value * 100, target * 100);
  return g_strdup_printf ("%.0f%%", value * 100);
}

/**
 * logbook_indicator_progress:
 * @key: the indicator's key
 * @indicator: its object in the report JSON
 *
 * Returns: how far the value is toward its target, 0 to 1
 */
double
logbook_indicator_progress (const char *key, JsonObject *indicator)
{
  double value, target;

  if (!member_double (indicator, "value", &value))
    return 0;
  if (!member_double (indicator, "target", &target) || target <= 0)
    return CLAMP (value, 0, 1);
  return CLAMP (value / target, 0, 1);
}

/**
 * logbook_format_count:
 * @n: a count
 *
 * Returns: (transfer full): @n with the locale's thousands separator
 */
char *
logbook_format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

/**
 * logbook_record_type_label:
 * @kind: a kind
 * @data: a record's data
 *
 * Returns: (transfer full): the label of the record's type, or ""
 */
char *
logbook_record_type_label (const PcmbnKind *kind, JsonObject *data)
{
  const PcmbnField *field = pcmbn_kind_field (kind, kind->type_field);
  const char *code;

  if (field == NULL)
    return g_strdup ("");
  code = pcmbn_data_get_string (data, field->name);
  if (code == NULL)
    return g_strdup ("");
  return g_strdup (pcmbn_catalogue_label (pcmbn_catalogue_lookup (field->catalogue), code));
}

/**
 * logbook_record_headline:
 * @kind: a kind
 * @data: a record's data
 *
 * The text a row shows: the title field, or for kinds without one (model
 * meetings) the first text field that is set, or the kind's name.
 *
 * Returns: (transfer full): the headline
 */
char *
logbook_record_headline (const PcmbnKind *kind, JsonObject *data)
{
  const char *title = kind->title_field ? pcmbn_data_get_string (data, kind->title_field) : NULL;

  if (title && *title)
    return g_strdup (title);
  for (guint i = 0; i < kind->n_fields; i++)
    if (kind->fields[i].type == PCMBN_FIELD_TEXT && !(kind->fields[i].flags & PCMBN_FIELD_SENSITIVE)
        && pcmbn_data_get_string (data, kind->fields[i].name))
      {
        g_autofree char *line = g_strdup (pcmbn_data_get_string (data, kind->fields[i].name));
        char *nl = strchr (line, '\n');
        if (nl)
          *nl = '\0';
        return g_steal_pointer (&line);
      }
  return g_strdup (pcmbn_kind_label (kind));
}

/**
 * logbook_update_patch:
 * @kind: a kind
 * @input: the whole form, as collected
 *
 * A form shows every field, so an update sends every field: the ones the
 * form left empty as `null`, which clears them.
 *
 * Returns: (transfer full): the patch for pcmbn_store_update()
 */
JsonObject *
logbook_update_patch (const PcmbnKind *kind, JsonObject *input)
{
  JsonObject *patch = json_object_new ();

  for (guint i = 0; i < kind->n_fields; i++)
    {
      const char *name = kind->fields[i].name;
      JsonNode *node = json_object_get_member (input, name);
      json_object_set_member (patch, name,
                              node ? json_node_copy (node) : json_node_new (JSON_NODE_NULL));
    }
  return patch;
}

/**
 * logbook_file_name_slug:
 * @text: words, in any language
 *
 * A file name must survive a USB stick formatted FAT, an email attachment
 * and Windows: no diacritics, no spaces, nothing a file system refuses.
 *
 * Returns: (transfer full): @text folded to lower-case ASCII letters and
 *   digits, runs of anything else made one `-`
 */
char *
logbook_file_name_slug (const char *text)
{
  g_autofree char *folded = pcmbn_fold (text);
  GString *out = g_string_sized_new (strlen (folded));

  for (const char *p = folded; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (out, *p);
      else if (out->len > 0 && out->str[out->len - 1] != '-')
        g_string_append_c (out, '-');
    }
  while (out->len > 0 && out->str[out->len - 1] == '-')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/**
 * logbook_report_file_name:
 * @org_unit: the unit's code
 * @from: the period's first day, ISO
 * @to: the period's last day, ISO
 * @extension: the file's extension, without the dot
 *
 * Returns: (transfer full): a name that says what the file is, such as
 *   `bao-cao-PCMBN-00001-2026.pdf`
 */
char *
logbook_report_file_name (const char *org_unit,
                          const char *from,
                          const char *to,
                          const char *extension)
{
  /* TRANSLATORS: the start of a report's file name; folded to ASCII */
  g_autofree char *what = logbook_file_name_slug (_ ("report"));
  g_autofree char *unit = logbook_file_name_slug (org_unit);
  g_autofree char *span = NULL;

  if (g_str_has_suffix (from, "-01-01") && g_str_has_suffix (to, "-12-31")
      && strncmp (from, to, 4) == 0)
    span = g_strndup (from, 4);
  else
    {
      g_autofree char *raw = g_strdup_printf ("%s_%s", from, to);
      span = logbook_file_name_slug (raw);
    }
  return g_strdup_printf ("%s-PCMBN-%s-%s.%s", what, unit, span, extension);
}
