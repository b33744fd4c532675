/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pcmbn-i18n.h"

G_BEGIN_DECLS

/* The files a report is written to. Every format renders the same report
 * JSON (pcmbn_report_build()), so that they all carry the same numbers. */
typedef enum
{
  PCMBN_REPORT_FORMAT_JSON,
  PCMBN_REPORT_FORMAT_CSV,
  PCMBN_REPORT_FORMAT_PDF,
  PCMBN_REPORT_FORMAT_XLSX,
} PcmbnReportFormat;

/* Called with the share of the work done, from 0.0 to 1.0. */
typedef void (*PcmbnReportProgress) (double fraction, gpointer user_data);

gboolean pcmbn_report_format_from_string (const char *name, PcmbnReportFormat *format);
const char *pcmbn_report_format_to_string (PcmbnReportFormat format);
const char *pcmbn_report_format_content_type (PcmbnReportFormat format);

GBytes *pcmbn_report_export (JsonNode *report,
                             PcmbnReportFormat format,
                             PcmbnReportProgress progress,
                             gpointer progress_data,
                             GCancellable *cancellable,
                             GError **error);

GBytes *pcmbn_report_export_in (JsonNode *report,
                                PcmbnReportFormat format,
                                PcmbnLang lang,
                                PcmbnReportProgress progress,
                                gpointer progress_data,
                                GCancellable *cancellable,
                                GError **error);

void pcmbn_report_export_async (JsonNode *report,
                                PcmbnReportFormat format,
                                GFile *destination,
                                PcmbnReportProgress progress,
                                gpointer progress_data,
                                GDestroyNotify progress_data_free,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
GBytes *pcmbn_report_export_finish (GAsyncResult *result, GError **error);

G_END_DECLS
