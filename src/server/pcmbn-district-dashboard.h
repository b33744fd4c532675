/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pcmbn-district-api.h"

G_BEGIN_DECLS

/* The district dashboard: `GET /` and its sign-in, sign-out and download
 * addresses, answered like the API (in a worker thread, with that thread's
 * connection). */

#define PCMBN_DASHBOARD_COOKIE "pcmbn_session"
#define PCMBN_DASHBOARD_SESSION_SECONDS (12 * 60 * 60)

gboolean pcmbn_district_dashboard_owns (const char *path);
gboolean pcmbn_district_dashboard_set_origins (const char *public_url, const char *listen_url);
PcmbnDistrictReply *
pcmbn_district_dashboard_handle (PcmbnDistrictStore *store, PcmbnDistrictRequest *request);
PcmbnDistrictReply *pcmbn_district_report_reply (PcmbnDistrictStore *store,
                                                 PcmbnDistrictPrincipal *staff,
                                                 const char *action,
                                                 const char *query,
                                                 gboolean attachment);
char *pcmbn_district_dashboard_render (PcmbnDistrictStore *store,
                                       const char *year,
                                       const char *staff_name,
                                       GError **error);

G_END_DECLS
