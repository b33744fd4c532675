/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

void logbook_key_notice_watch (GtkWindow *window, PcmbnStore *store);
gboolean logbook_key_notice_show_recovery (GtkWindow *parent, PcmbnStore *store);

G_END_DECLS
