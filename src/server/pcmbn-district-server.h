/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PCMBN_TYPE_DISTRICT_SERVER (pcmbn_district_server_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnDistrictServer, pcmbn_district_server, PCMBN, DISTRICT_SERVER, GObject)

PcmbnDistrictServer *
pcmbn_district_server_new (const char *db_path, GTlsCertificate *certificate, GError **error);
gboolean pcmbn_district_server_listen (PcmbnDistrictServer *self,
                                       const char *host,
                                       guint port,
                                       GError **error);
char *pcmbn_district_server_get_url (PcmbnDistrictServer *self);
void pcmbn_district_server_set_timeout (PcmbnDistrictServer *self, guint seconds);
void pcmbn_district_server_set_proxies (PcmbnDistrictServer *self, const char *const *addresses);
guint pcmbn_district_server_get_n_connections (PcmbnDistrictServer *self);
void pcmbn_district_server_stop (PcmbnDistrictServer *self, GCallback drained, gpointer user_data);

G_END_DECLS
