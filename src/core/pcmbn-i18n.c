/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-i18n"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pcmbn-i18n.h"
#include "pcmbn-util.h"

/* A compiled catalogue, read whole and never changed once built: any number
 * of threads may look messages up in it without a lock. */
typedef struct
{
  GBytes *data;
  GHashTable *messages; /* msgid (with "context\004" when it has one) → msgstr, into data */
} Catalogue;

struct _PcmbnLangScope
{
  gpointer previous;
};

/* The thread's document language, as PcmbnLang + 1; NULL when none is set. */
static GPrivate document_lang = G_PRIVATE_INIT (NULL);

#define MO_MAGIC 0x950412deU

static guint32
mo_word (const guint8 *base, gsize offset, gboolean swap)
{
  guint32 w;

  memcpy (&w, base + offset, sizeof w);
  return swap ? GUINT32_SWAP_LE_BE (w) : w;
}

/* The string of a table entry, or NULL when the entry points outside the
 * file or its string is not NUL-terminated (a damaged file must not make
 * the server read beyond it). */
static const char *
mo_string (const guint8 *base, gsize size, gsize table, guint32 i, gboolean swap)
{
  gsize entry = table + (gsize)i * 8;
  guint32 len, off;

  if (entry + 8 > size)
    return NULL;
  len = mo_word (base, entry, swap);
  off = mo_word (base, entry + 4, swap);
  if ((gsize)off + len >= size || base[off + len] != '\0')
    return NULL;
  return (const char *)base + off;
}

static Catalogue *
catalogue_load (const char *path)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GError) error = NULL;
  Catalogue *cat = g_new0 (Catalogue, 1);
  const guint8 *base;
  gsize size;
  guint32 n, originals, translations;
  gboolean swap;

  cat->messages = g_hash_table_new (g_str_hash, g_str_equal);
  file = g_mapped_file_new (path, FALSE, &error);
  if (file == NULL)
    {
      g_warning ("No Vietnamese messages (%s): documents come out in English. Install the "
                 "package that holds %s.",
                 error->message, path);
      return cat;
    }
  cat->data = g_mapped_file_get_bytes (file);
  base = g_bytes_get_data (cat->data, &size);
  if (size < 28 || (mo_word (base, 0, FALSE) != MO_MAGIC && mo_word (base, 0, TRUE) != MO_MAGIC))
    {
      g_warning ("%s is not a compiled message catalogue: documents come out in English.", path);
      return cat;
    }
  swap = mo_word (base, 0, FALSE) != MO_MAGIC;
  n = mo_word (base, 8, swap);
  originals = mo_word (base, 12, swap);
  translations = mo_word (base, 16, swap);
  for (guint32 i = 0; i < n; i++)
    {
      const char *msgid = mo_string (base, size, originals, i, swap);
      const char *msgstr = mo_string (base, size, translations, i, swap);

      if (msgid == NULL || msgstr == NULL)
        {
          g_warning ("%s is damaged at message %u: the rest is not used.", path, i);
          break;
        }
      /* The empty msgid is the catalogue's header, not a message. */
      if (*msgid != '\0' && *msgstr != '\0')
        g_hash_table_insert (cat->messages, (gpointer)msgid, (gpointer)msgstr);
    }
  return cat;
}

static gpointer
load_vietnamese (gpointer unused)
{
  /* Where pcmbn_i18n_init() bound the domain: the installed catalogues, or
   * the build tree's when running uninstalled. */
  const char *dir = bindtextdomain (GETTEXT_PACKAGE, NULL);
  g_autofree char *path = g_build_filename (dir, "vi", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  return catalogue_load (path);
}

static const char *
lookup (PcmbnLang lang, const char *key)
{
  static GOnce once = G_ONCE_INIT;
  Catalogue *cat;

  /* The English messages are the msgids themselves. */
  if (lang != PCMBN_LANG_VI)
    return NULL;
  cat = g_once (&once, load_vietnamese, NULL);
  return g_hash_table_lookup (cat->messages, key);
}

/**
 * pcmbn_lang_from_string:
 * @code: (nullable): "vi" or "en"
 * @lang: (out): the language
 *
 * Returns: %TRUE when @code names a language the documents are written in
 */
gboolean
pcmbn_lang_from_string (const char *code, PcmbnLang *lang)
{
  if (g_strcmp0 (code, "vi") == 0)
    *lang = PCMBN_LANG_VI;
  else if (g_strcmp0 (code, "en") == 0)
    *lang = PCMBN_LANG_EN;
  else
    return FALSE;
  return TRUE;
}

/**
 * pcmbn_lang_parse_option:
 * @value: (nullable): the value of a `--lang` option or `lang` parameter;
 *   %NULL when it was not given
 * @lang: (out): the language; Vietnamese when @value is %NULL, because a
 *   report is an official document
 * @error: return location for a usage error naming `lang`
 *
 * Returns: %TRUE when @value is absent, "vi" or "en"
 */
gboolean
pcmbn_lang_parse_option (const char *value, PcmbnLang *lang, GError **error)
{
  if (value == NULL)
    {
      *lang = PCMBN_LANG_VI;
      return TRUE;
    }
  if (pcmbn_lang_from_string (value, lang))
    return TRUE;
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
               _ ("lang: “%s” is not a language of the reports; write vi or en"), value);
  return FALSE;
}

/**
 * pcmbn_lang_to_string:
 * @lang: a language
 *
 * Returns: (transfer none): its code, "vi" or "en"
 */
const char *
pcmbn_lang_to_string (PcmbnLang lang)
{
  return lang == PCMBN_LANG_EN ? "en" : "vi";
}

/**
 * pcmbn_lang_from_accept_language:
 * @header: (nullable): an HTTP `Accept-Language` value
 *
 * The language a browser prefers among those the documents are written in,
 * by quality value and then by order. Vietnamese when it names neither,
 * because the documents are Vietnamese ones first.
 *
 * Returns: the language
 */
PcmbnLang
pcmbn_lang_from_accept_language (const char *header)
{
  g_auto (GStrv) ranges = NULL;
  PcmbnLang best = PCMBN_LANG_VI;
  double best_q = 0.0;

  if (header == NULL)
    return best;
  ranges = g_strsplit (header, ",", -1);
  for (guint i = 0; ranges[i]; i++)
    {
      g_auto (GStrv) parts = g_strsplit (ranges[i], ";", -1);
      g_autofree char *tag = g_ascii_strdown (g_strstrip (parts[0]), -1);
      double q = 1.0;
      PcmbnLang lang;

      for (guint p = 1; parts[p]; p++)
        {
          const char *param = g_strstrip (parts[p]);
          if (g_ascii_strncasecmp (param, "q=", 2) == 0)
            q = g_ascii_strtod (param + 2, NULL);
        }
      /* "vi", "vi-VN", "en-GB": the primary subtag decides. */
      if (strchr (tag, '-'))
        *strchr (tag, '-') = '\0';
      if (!pcmbn_lang_from_string (tag, &lang))
        continue;
      /* Earlier ranges win ties: that is the browser's own order. */
      if (q > best_q)
        {
          best = lang;
          best_q = q;
        }
    }
  return best;
}

/**
 * pcmbn_lang_current:
 *
 * Returns: the language of the document this thread renders, or else that
 *   of the process's messages
 */
PcmbnLang
pcmbn_lang_current (void)
{
  gpointer set = g_private_get (&document_lang);

  if (set != NULL)
    return GPOINTER_TO_INT (set) - 1;
  return pcmbn_is_vietnamese () ? PCMBN_LANG_VI : PCMBN_LANG_EN;
}

/**
 * pcmbn_lang_gettext:
 * @lang: a language
 * @msgid: an English message
 *
 * Safe from any thread: the catalogue is read once and never changed.
 *
 * Returns: (transfer none): @msgid in @lang, or @msgid itself when it has no
 *   translation
 */
const char *
pcmbn_lang_gettext (PcmbnLang lang, const char *msgid)
{
  const char *found = lookup (lang, msgid);

  return found ? found : msgid;
}

/**
 * pcmbn_lang_scope_new:
 * @lang: the language of the document about to be rendered
 *
 * Until the scope is freed, `_()` and the schema's labels give @lang in the
 * calling thread, and only there. Scopes nest.
 *
 * Returns: (transfer full): the scope; free it with pcmbn_lang_scope_free()
 *   in the same thread
 */
PcmbnLangScope *
pcmbn_lang_scope_new (PcmbnLang lang)
{
  PcmbnLangScope *scope = g_new (PcmbnLangScope, 1);

  scope->previous = g_private_get (&document_lang);
  g_private_set (&document_lang, GINT_TO_POINTER (lang + 1));
  return scope;
}

/**
 * pcmbn_lang_scope_free:
 * @scope: (transfer full): a scope
 *
 * Gives the thread back the language it had before @scope.
 */
void
pcmbn_lang_scope_free (PcmbnLangScope *scope)
{
  g_private_set (&document_lang, scope->previous);
  g_free (scope);
}

/**
 * pcmbn_gettext:
 * @msgid: an English message
 *
 * What `_()` calls where pcmbn-i18n.h is included.
 *
 * Returns: (transfer none): @msgid in the thread's document language when one
 *   is set, else as gettext translates it
 */
const char *
pcmbn_gettext (const char *msgid)
{
  gpointer set = g_private_get (&document_lang);

  if (set == NULL)
    return g_dgettext (GETTEXT_PACKAGE, msgid);
  return pcmbn_lang_gettext (GPOINTER_TO_INT (set) - 1, msgid);
}

/**
 * pcmbn_pgettext:
 * @msgctxtid: the context, `\004`, and the message
 * @msgidoffset: where the message starts in @msgctxtid
 *
 * What `C_()` calls where pcmbn-i18n.h is included.
 *
 * Returns: (transfer none): the message in the thread's document language
 */
const char *
pcmbn_pgettext (const char *msgctxtid, gsize msgidoffset)
{
  gpointer set = g_private_get (&document_lang);
  const char *found;

  if (set == NULL)
    return g_dpgettext (GETTEXT_PACKAGE, msgctxtid, msgidoffset);
  found = lookup (GPOINTER_TO_INT (set) - 1, msgctxtid);
  return found ? found : msgctxtid + msgidoffset;
}

/**
 * pcmbn_ngettext:
 * @msgid: the English singular
 * @msgid_plural: the English plural
 * @n: the number
 *
 * What `ngettext()` calls where pcmbn-i18n.h is included. Vietnamese has
 * one plural form.
 *
 * Returns: (transfer none): the message for @n
 */
const char *
pcmbn_ngettext (const char *msgid, const char *msgid_plural, gulong n)
{
  gpointer set = g_private_get (&document_lang);
  const char *found;

  if (set == NULL)
    return g_dngettext (GETTEXT_PACKAGE, msgid, msgid_plural, n);
  found = lookup (GPOINTER_TO_INT (set) - 1, msgid);
  if (found)
    return found;
  return n == 1 ? msgid : msgid_plural;
}
