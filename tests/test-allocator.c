/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>

/* As the programs' main.c: what including it does to a process. */
#include "pcmbn-allocator.h"

/* A program linked with mimalloc hands GLib's slices to malloc from its
 * pre-initialisation array (see pcmbn-allocator.h): asked for after GLib
 * has started, the setting would be refused, so this checks that the entry
 * ran before GLib's start-up, and that malloc is mimalloc's. */
static void
test_slices_use_malloc (void)
{
#ifdef PCMBN_MIMALLOC
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_NULL);
  void *block = malloc (24);

  pcmbn_allocator_keep ();
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_assert_cmpint (g_slice_get_config (G_SLICE_CONFIG_ALWAYS_MALLOC), ==, 1);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_assert_true (mi_is_in_heap_region (block));
  /* A json-glib node is a slice: it now comes from mimalloc's heap. */
  g_assert_true (mi_is_in_heap_region (node));
  free (block);
#else
  g_test_skip ("built without mimalloc (a sanitizer, or -Dmimalloc=disabled)");
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/allocator/slices-use-malloc", test_slices_use_malloc);
  return g_test_run ();
}
