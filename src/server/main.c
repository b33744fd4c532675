/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "pcmbn-store.h"
#include "pcmbn-util.h"

/* The district server arrives with its own issue; until then it only says so. */
int
main (int argc, char **argv)
{
  pcmbn_i18n_init ();
  if (argc > 1 && g_str_equal (argv[1], "--version"))
    {
      puts ("pcmbn-district " PACKAGE_VERSION);
      return 0;
    }
  g_printerr ("%s\n", _("pcmbn-district is not available yet in this version."));
  return 1;
}
