/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Messages in a language chosen per document, whatever the process locale.
 *
 * An official report is Vietnamese unless asked otherwise, even from a
 * server running in the C locale, and a dashboard follows each browser's
 * Accept-Language, several at once in the server's threads. gettext cannot
 * do that: its language comes from the process locale (and LANGUAGE is
 * ignored under C), and changing either from one thread changes it for all.
 * So the core reads the compiled catalogue (.mo) itself, once, into a table
 * that never changes afterwards and needs no lock, and a thread may set the
 * language of the document it renders for as long as it renders it.
 *
 * Code that renders documents includes pcmbn-gettext.h instead of
 * <glib/gi18n-lib.h>: its `_()`, `C_()` and `ngettext()` follow the thread's
 * document language when one is set, and gettext otherwise. */

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PCMBN_LANG_VI,
  PCMBN_LANG_EN,
} PcmbnLang;

gboolean pcmbn_lang_from_string (const char *code, PcmbnLang *lang);
gboolean pcmbn_lang_parse_option (const char *value, PcmbnLang *lang, GError **error);
const char *pcmbn_lang_to_string (PcmbnLang lang);
PcmbnLang pcmbn_lang_from_accept_language (const char *header);
PcmbnLang pcmbn_lang_current (void);

const char *pcmbn_lang_gettext (PcmbnLang lang, const char *msgid) G_GNUC_FORMAT (2);

/* The language of the document this thread renders; see
 * pcmbn_lang_scope_new(). */
typedef struct _PcmbnLangScope PcmbnLangScope;
PcmbnLangScope *pcmbn_lang_scope_new (PcmbnLang lang);
void pcmbn_lang_scope_free (PcmbnLangScope *scope);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnLangScope, pcmbn_lang_scope_free)

const char *pcmbn_gettext (const char *msgid) G_GNUC_FORMAT (1);
const char *pcmbn_pgettext (const char *msgctxtid, gsize msgidoffset) G_GNUC_FORMAT (1);
const char *
pcmbn_ngettext (const char *msgid, const char *msgid_plural, gulong n) G_GNUC_FORMAT (1);

G_END_DECLS
