/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "logbook-application.h"
#include "pcmbn-util.h"

int
main (int argc, char **argv)
{
  g_autoptr (LogbookApplication) app = NULL;

  pcmbn_i18n_init ();
  app = logbook_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
