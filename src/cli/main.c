/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#ifdef PCMBN_MIMALLOC
#include <mimalloc.h>
#endif

#include "pcmbn-cli.h"

int
main (int argc, char **argv)
{
#ifdef PCMBN_MIMALLOC
  /* Named so that the linker keeps the library (it drops one nothing
   * names): its malloc then serves the whole process. See meson.build. */
  (void)mi_version ();
#endif
  return pcmbn_cli_main (argc, argv);
}
