/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "report/pcmbn-report-export.h"
#include "server/pcmbn-district-store.h"

G_BEGIN_DECLS

GBytes *pcmbn_district_report_export (PcmbnDistrictStore *store,
                                      const char *year,
                                      const char *from,
                                      const char *to,
                                      PcmbnReportFormat format,
                                      PcmbnLang lang,
                                      char **out_filename,
                                      GError **error);

GBytes *pcmbn_district_report_export_unit (PcmbnDistrictStore *store,
                                           const char *org_unit,
                                           const char *year,
                                           const char *from,
                                           const char *to,
                                           PcmbnReportFormat format,
                                           PcmbnLang lang,
                                           char **out_filename,
                                           GError **error);

G_END_DECLS
