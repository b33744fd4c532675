/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Included by the file holding main() of each program (and of bench-store
 * and test-allocator, which are linked as the programs are), and by
 * nothing else: it adds an entry to the program's start-up (see below). */

#ifdef PCMBN_MIMALLOC
#include <glib.h>
#include <mimalloc.h>

/* GLib 2.74's slice allocator (every json-glib node and object, every hash
 * table and list cell) keeps per-thread magazines in front of its own
 * slabs; with mimalloc behind malloc it is the slower of the two, and a
 * restore's reading thread spent a tenth of its time in it (10,000
 * records: 0.52 -> 0.46 CPU-s, wall 0.62 -> 0.57 s). GLib 2.76 gave the
 * slices to malloc for good; here the same is asked for. The setting is read once,
 * at the first slice, which GObject's start-up makes before main(): this
 * runs earlier still, from the program's pre-initialisation array, which
 * the dynamic linker calls before any library's constructor. It only
 * writes a static of GLib's, so GLib need not be started yet. The call is
 * deprecated as a debugging aid (G_SLICE=always-malloc in the environment
 * is its other form, read too early to set from here); GLib 2.76 and later
 * accept it and ignore it, their slices being malloc's already. */
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
pcmbn_allocator_preinit (int argc, char **argv, char **envp)
{
  (void)argc;
  (void)argv;
  (void)envp;
  g_slice_set_config (G_SLICE_CONFIG_ALWAYS_MALLOC, TRUE);
}
G_GNUC_END_IGNORE_DEPRECATIONS

__attribute__ ((section (".preinit_array"),
                used)) static void (*const pcmbn_allocator_preinit_entry) (int, char **, char **) =
    pcmbn_allocator_preinit;
#endif

/* For the main() of a program linked with mimalloc (see meson.build): names
 * the library, so that the linker keeps it (it drops one nothing names);
 * its malloc then serves the whole process. Does nothing otherwise. */
static inline void
pcmbn_allocator_keep (void)
{
#ifdef PCMBN_MIMALLOC
  (void)mi_version ();
#endif
}
