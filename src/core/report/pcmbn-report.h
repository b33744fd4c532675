/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "report/pcmbn-indicators.h"
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

typedef enum
{
  PCMBN_REPORT_DEFAULT = 0,
  /* District exports: counselling cells between 1 and 4 become "<5". */
  PCMBN_REPORT_SUPPRESS_SMALL = 1 << 0,
} PcmbnReportFlags;

gboolean pcmbn_report_parse_period (const char *year,
                                    const char *from,
                                    const char *to,
                                    char **out_from,
                                    char **out_to,
                                    GError **error);
gboolean
pcmbn_report_default_target (const char *indicator, int year, gint64 months, double *target);
JsonNode *pcmbn_report_build (PcmbnStore *store,
                              const char *scope,
                              const char *from,
                              const char *to,
                              PcmbnReportFlags flags,
                              GError **error);

G_END_DECLS
