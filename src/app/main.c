/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "logbook-application.h"
#include "pcmbn-allocator.h"
#include "pcmbn-util.h"

/* Run from the build tree (`packaging/dev.sh run`), the app finds the
 * schema compiled there, so that it needs no environment. It must be set
 * before anything asks GSettings for its schemas: the list is read once. */
static void
use_build_tree_schema (const char *argv0)
{
  g_autofree char *compiled = g_build_filename (LOGBOOK_BUILDDIR, "data", "gschemas.compiled",
                                                NULL);
  g_autofree char *exe = NULL;
  g_autofree char *canonical = NULL;

  if (g_getenv ("GSETTINGS_SCHEMA_DIR") || !g_file_test (compiled, G_FILE_TEST_IS_REGULAR))
    return;
    /* Only for the program built there, not for an installed copy. */
#ifdef __linux__
  exe = g_file_read_link ("/proc/self/exe", NULL);
#endif
  if (exe == NULL)
    exe = g_strdup (argv0);
  canonical = g_canonicalize_filename (exe, NULL);
  if (!g_str_has_prefix (canonical, LOGBOOK_BUILDDIR G_DIR_SEPARATOR_S))
    return;
  g_setenv ("GSETTINGS_SCHEMA_DIR", LOGBOOK_BUILDDIR G_DIR_SEPARATOR_S "data", FALSE);
}

int
main (int argc, char **argv)
{
  g_autoptr (LogbookApplication) app = NULL;

  pcmbn_allocator_keep ();
  use_build_tree_schema (argv[0]);
  pcmbn_i18n_init ();
  app = logbook_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
