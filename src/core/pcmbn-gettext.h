/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `_()`, `C_()` and `ngettext()` that follow the language of the document
 * the thread renders (pcmbn_lang_scope_new()), and gettext otherwise.
 * Include it instead of <glib/gi18n-lib.h>, after config.h, in code that
 * renders documents; never from a header. */

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-i18n.h"

#undef _
#define _(String) ((char *)pcmbn_gettext (String))
#undef C_
#define C_(Context, String) pcmbn_pgettext (Context "\004" String, strlen (Context) + 1)
#undef ngettext
#define ngettext(Msgid, Plural, N) pcmbn_ngettext ((Msgid), (Plural), (N))
