/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pcmbn-allocator.h"
#include "pcmbn-cli.h"

int
main (int argc, char **argv)
{
  pcmbn_allocator_keep ();
  return pcmbn_cli_main (argc, argv);
}
