/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "pcmbn-util.h"

int
main (int argc, char **argv)
{
  g_autoptr (AdwApplication) app = NULL;

  pcmbn_i18n_init ();
  app = adw_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
