/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pcmbn-district-report.h"
#include "report/pcmbn-report.h"
#include "pcmbn-util.h"

/* The district's report, the one way `pcmbn-district report`,
 * GET /api/v1/report and the dashboard's downloads all make it: the scope
 * is the server's district (or city) or any unit under it, counselling
 * counts below 5 are suppressed, and every format comes from
 * pcmbn_report_export_in(), in the language asked for (Vietnamese unless
 * told otherwise: an official document, even from a service running in
 * the C locale). */

/**
 * pcmbn_district_report_export:
 * @store: a server database
 * @year: (nullable): a year, as `--year`
 * @from: (nullable): the first day, as `--from`
 * @to: (nullable): the last day, as `--to`
 * @format: the file format
 * @lang: the document's language, whatever the server's locale
 * @out_filename: (out) (optional) (transfer full): a file name for a
 *   download, ASCII only
 * @error: return location for an error; %PCMBN_ERROR_USAGE or
 *   %PCMBN_ERROR_INVALID naming the option when the period is wrong
 *
 * Returns: (transfer full) (nullable): the report file's bytes
 */
GBytes *
pcmbn_district_report_export (PcmbnDistrictStore *store,
                              const char *year,
                              const char *from,
                              const char *to,
                              PcmbnReportFormat format,
                              PcmbnLang lang,
                              char **out_filename,
                              GError **error)
{
  return pcmbn_district_report_export_unit (store, NULL, year, from, to, format, lang, out_filename,
                                            error);
}

/**
 * pcmbn_district_report_export_unit:
 * @store: a server database
 * @org_unit: (nullable): the unit to report on, the server's own or one
 *   under it; %NULL for the server's own
 * @year: (nullable): a year, as `--year`
 * @from: (nullable): the first day, as `--from`
 * @to: (nullable): the last day, as `--to`
 * @format: the file format
 * @lang: the document's language, whatever the server's locale
 * @out_filename: (out) (optional) (transfer full): a file name for a download
 * @error: return location for an error; %PCMBN_ERROR_NOT_FOUND naming
 *   org_unit when it is not the server's unit or under it
 *
 * Returns: (transfer full) (nullable): the report file's bytes
 */
GBytes *
pcmbn_district_report_export_unit (PcmbnDistrictStore *store,
                                   const char *org_unit,
                                   const char *year,
                                   const char *from,
                                   const char *to,
                                   PcmbnReportFormat format,
                                   PcmbnLang lang,
                                   char **out_filename,
                                   GError **error)
{
  g_autofree char *first = NULL, *last = NULL, *code = NULL;
  g_autoptr (JsonNode) report = NULL;
  GBytes *bytes;

  if (!pcmbn_report_parse_period (year, from, to, &first, &last, error))
    return NULL;
  code = pcmbn_district_store_get_code (store);
  if (code == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                   _ ("db: this is not a district server database yet; run “pcmbn-district init”"));
      return NULL;
    }
  if (org_unit && !g_str_equal (org_unit, code))
    {
      if (!pcmbn_store_unit_is_within (pcmbn_district_store_get_store (store), org_unit, code))
        {
          g_autoptr (PcmbnOrgUnit)
              unit = pcmbn_store_get_unit (pcmbn_district_store_get_store (store), org_unit);
          if (unit == NULL)
            g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                         _ ("org_unit: no unit has the code %s"), org_unit);
          else
            g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_FOUND,
                         _ ("org_unit: %s is not under this server’s unit %s; ask the server "
                            "that serves it"),
                         org_unit, code);
          return NULL;
        }
      g_free (code);
      code = g_strdup (org_unit);
    }
  report = pcmbn_report_build (pcmbn_district_store_get_store (store), code, first, last,
                               PCMBN_REPORT_SUPPRESS_SMALL, error);
  if (report == NULL)
    return NULL;
  bytes = pcmbn_report_export_in (report, format, lang, NULL, NULL, NULL, error);
  if (bytes && out_filename)
    {
      /* A whole year reads better as the year alone. */
      gboolean whole_year = g_str_has_suffix (first, "-01-01") && g_str_has_suffix (last, "-12-31")
                            && strncmp (first, last, 4) == 0;
      g_autofree char *period = whole_year ? g_strndup (first, 4)
                                           : g_strdup_printf ("%s_%s", first, last);
      g_autofree char *safe_code = g_strcanon (g_strdup (code),
                                               "0123456789abcdefghijklmnopqrstuvwxyz"
                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
                                               '_');
      *out_filename = g_strdup_printf ("pcmbn-report-%s-%s.%s", safe_code, period,
                                       pcmbn_report_format_to_string (format));
    }
  return bytes;
}
