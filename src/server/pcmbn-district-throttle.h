/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Wrong enrolment codes per address: after a few, the address waits. Not a
 * GObject; used on the main loop only. */
typedef struct _PcmbnDistrictThrottle PcmbnDistrictThrottle;

PcmbnDistrictThrottle *pcmbn_district_throttle_new (guint max_failures, gint64 window_usec);
void pcmbn_district_throttle_free (PcmbnDistrictThrottle *throttle);
gboolean pcmbn_district_throttle_begin (PcmbnDistrictThrottle *throttle, const char *address);
void
pcmbn_district_throttle_end (PcmbnDistrictThrottle *throttle, const char *address, gboolean failed);
void pcmbn_district_throttle_prune (PcmbnDistrictThrottle *throttle);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDistrictThrottle, pcmbn_district_throttle_free)

G_END_DECLS
