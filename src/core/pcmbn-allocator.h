/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#ifdef PCMBN_MIMALLOC
#include <mimalloc.h>
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
