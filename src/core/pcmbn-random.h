/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean pcmbn_random_bytes (void *buffer, gsize n_bytes);

G_END_DECLS
