/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The server's generation: a new one in every backup copy, so that a
 * server restored from a copy is told apart from the one devices knew. */
#define PCMBN_DISTRICT_META_GENERATION "server_generation"

gboolean pcmbn_district_backup (const char *db_path,
                                const char *out_path,
                                GHashTable **counts_out,
                                GError **error);

G_END_DECLS
