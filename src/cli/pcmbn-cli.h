/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int pcmbn_cli_main (int argc, char **argv);
int pcmbn_cli_exit_status (const GError *error);

G_END_DECLS
