/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The server's door: it accepts every TCP connection itself, checks the
 * request's framing before libsoup parses a byte, hands the connection to
 * libsoup and closes whatever stalls. Not a GObject: the server owns one. */
typedef struct _PcmbnDistrictGate PcmbnDistrictGate;

/* The longest request line and header block the gate lets through. */
#define PCMBN_DISTRICT_MAX_URL (8 * 1024)
#define PCMBN_DISTRICT_MAX_HEADERS (32 * 1024)

PcmbnDistrictGate *pcmbn_district_gate_new (SoupServer *server, guint timeout_seconds);
void pcmbn_district_gate_free (PcmbnDistrictGate *gate);
gboolean pcmbn_district_gate_listen (PcmbnDistrictGate *gate, GSocket *listener, GError **error);
void pcmbn_district_gate_started (PcmbnDistrictGate *gate, SoupServerMessage *msg);
void pcmbn_district_gate_set_busy (PcmbnDistrictGate *gate, SoupServerMessage *msg, gboolean busy);
void pcmbn_district_gate_progress (PcmbnDistrictGate *gate, SoupServerMessage *msg, gsize bytes);
void pcmbn_district_gate_stop (PcmbnDistrictGate *gate);
guint pcmbn_district_gate_n_open (PcmbnDistrictGate *gate);
const char *pcmbn_district_gate_framing_error (SoupMessageHeaders *headers);

G_END_DECLS
