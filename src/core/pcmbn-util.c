/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-util"

#include "config.h"

#include "pcmbn-gettext.h"
#include <locale.h>
#include <nettle/sha2.h>
#include <string.h>

#include "pcmbn-util.h"

/* clang-format off: the quark name is stringified as written */
G_DEFINE_QUARK (pcmbn - error - quark, pcmbn_error)
/* clang-format on */

static const char *state_names[] = { "draft", "dirty", "synced", "conflict", "rejected" };

const char *
pcmbn_state_to_string (PcmbnState state)
{
  g_return_val_if_fail (state <= PCMBN_STATE_REJECTED, "dirty");
  return state_names[state];
}

gboolean
pcmbn_state_from_string (const char *str, PcmbnState *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (str, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

/**
 * pcmbn_date_parse:
 * @iso: (nullable): a date written `YYYY-MM-DD`
 *
 * Strict on purpose: "2026-7-3" or "2026-02-30" are refused, so that what is
 * stored is always the canonical form and sorts as text.
 *
 * Returns: the day number (1 = 0001-01-01), or -1 when @iso is not a date.
 */
gint64
pcmbn_date_parse (const char *iso)
{
  static const guint8 month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int y = 0, m, d;
  gboolean leap;
  gint64 era_y, era, yoe, doy, doe;

  /* Every date of every record written is read here, several times: by
   * hand rather than through GDate, the same day numbers (a test compares
   * them with g_date_get_julian()) in a twentieth of the time. */
  if (iso == NULL)
    return -1;
  /* In order, so that a shorter text stops at its end. */
  for (int i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? iso[i] != '-' : !g_ascii_isdigit (iso[i]))
      return -1;
  if (iso[10] != '\0')
    return -1;
  for (int i = 0; i < 4; i++)
    y = y * 10 + (iso[i] - '0');
  m = (iso[5] - '0') * 10 + (iso[6] - '0');
  d = (iso[8] - '0') * 10 + (iso[9] - '0');
  leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days[m - 1] + (m == 2 && leap))
    return -1;
  /* Days from the civil calendar (H. Hinnant's algorithm), from 0001-01-01
   * as day 1, as GDate counts them. */
  era_y = m <= 2 ? y - 1 : y;
  era = era_y / 400;
  yoe = era_y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 305;
}

/**
 * pcmbn_date_format:
 * @days: a day number from pcmbn_date_parse()
 *
 * Returns: (transfer full): the date as `YYYY-MM-DD`
 */
char *
pcmbn_date_format (gint64 days)
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_julian (&date, (guint32)days);
  return g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (&date), g_date_get_month (&date),
                          g_date_get_day (&date));
}

/**
 * pcmbn_today:
 *
 * The local date. `PCMBN_TODAY` (an ISO date) overrides it, so that tests of
 * the "not in the future" rule do not depend on the day they run.
 *
 * Returns: today's day number
 */
gint64
pcmbn_today (void)
{
  /* Asked for every date a record holds: remember the answer for a minute
   * rather than reading the clock and the time zone each time. */
  static gint64 cached_day, cached_at = G_MININT64;
  static GMutex lock;
  const char *env = g_getenv ("PCMBN_TODAY");
  gint64 now_us = g_get_monotonic_time ();
  gint64 day = env ? pcmbn_date_parse (env) : -1;

  if (day > 0)
    return day;
  g_mutex_lock (&lock);
  if (cached_at == G_MININT64 || now_us - cached_at > 60 * G_USEC_PER_SEC)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *iso = g_date_time_format (now, "%Y-%m-%d");
      cached_day = pcmbn_date_parse (iso);
      cached_at = now_us;
    }
  day = cached_day;
  g_mutex_unlock (&lock);
  return day;
}

/**
 * pcmbn_now_utc:
 *
 * Returns: (transfer full): the current time as `YYYY-MM-DDTHH:MM:SSZ`
 */
char *
pcmbn_now_utc (void)
{
  /* A push of a thousand records stamps each row two or three times:
   * formatted once a second per thread. */
  typedef struct
  {
    gint64 second;
    char text[32];
  } Stamp;
  static GPrivate last = G_PRIVATE_INIT (g_free);
  Stamp *stamp = g_private_get (&last);
  gint64 second = g_get_real_time () / G_USEC_PER_SEC;

  if (stamp == NULL)
    {
      stamp = g_new0 (Stamp, 1);
      stamp->second = -1;
      g_private_set (&last, stamp);
    }
  if (stamp->second != second)
    {
      g_autoptr (GDateTime) now = g_date_time_new_from_unix_utc (second);
      g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
      g_strlcpy (stamp->text, text, sizeof stamp->text);
      stamp->second = second;
    }
  return g_strdup (stamp->text);
}

/**
 * pcmbn_uuid_new:
 *
 * A new time-ordered (version 7, RFC 9562) uuid: the first 48 bits are the
 * time in milliseconds, then a 12-bit counter that keeps the uuids of one
 * process in increasing order within a millisecond, then 62 random bits
 * that keep two devices' uuids apart. A record's uuid is the key of a
 * unique index in every store: uuids made one after another land next to
 * each other at the end of that index instead of at random places all over
 * it, so a bulk load, a push and a restore each write a few pages instead
 * of one per record (`bench-store 100000 bulk`: the rows' insert 1.50 s ->
 * 1.28 s). The time it reveals is the record's creation, which the record
 * holds anyway.
 *
 * Returns: (transfer full): the uuid, in lower case
 */
char *
pcmbn_uuid_new (void)
{
  static GMutex lock;
  static guint64 last_ms;
  static guint counter;
  static const char hex[] = "0123456789abcdef";
  guint64 now_ms = (guint64)(g_get_real_time () / 1000);
  guint8 bytes[16];
  char *uuid = g_malloc (37);
  char *p = uuid;

  g_mutex_lock (&lock);
  if (now_ms > last_ms)
    {
      last_ms = now_ms;
      /* From a random start in the lower half: two processes' counters
       * rarely agree, and the upper half leaves room to count. */
      counter = g_random_int_range (0, 2048);
    }
  else if (++counter > 0xFFF)
    {
      last_ms++;
      counter = 0;
    }
  /* A clock set back, or more than 4,096 uuids in a millisecond, moves
   * the stamp on from the last one rather than back. */
  now_ms = last_ms;
  bytes[6] = 0x70 | (counter >> 8); /* version 7 */
  bytes[7] = counter & 0xFF;
  g_mutex_unlock (&lock);
  for (guint i = 0; i < 6; i++)
    bytes[i] = (now_ms >> (40 - 8 * i)) & 0xFF;
  for (guint i = 0; i < 2; i++)
    {
      guint32 r = g_random_int ();
      memcpy (bytes + 8 + 4 * i, &r, 4);
    }
  bytes[8] = (bytes[8] & 0x3F) | 0x80; /* the RFC 4122 variant */
  for (guint i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        *p++ = '-';
      *p++ = hex[bytes[i] >> 4];
      *p++ = hex[bytes[i] & 0x0F];
    }
  *p = '\0';
  return uuid;
}

/**
 * pcmbn_uuid_is_valid:
 * @uuid: (nullable): text to check
 *
 * Only the lowercase RFC 4122 text form is accepted: it is the key of every
 * record and must compare equal byte for byte on every device.
 *
 * Returns: whether @uuid is a lowercase RFC 4122 UUID
 */
gboolean
pcmbn_uuid_is_valid (const char *uuid)
{
  if (uuid == NULL || strlen (uuid) != 36)
    return FALSE;
  for (int i = 0; i < 36; i++)
    {
      char c = uuid[i];
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (c != '-')
            return FALSE;
        }
      else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return FALSE;
    }
  return g_uuid_string_is_valid (uuid);
}

/* One code point folded, or 0 when it goes (a combining mark). */
static gunichar
fold_char (gunichar c)
{
  gunichar parts[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  GUnicodeType t;
  gsize n;

  if (c < 0x80)
    return g_ascii_tolower ((char)c);
  if (c == 0x0110 || c == 0x0111) /* Đ đ */
    return 'd';
  n = g_unichar_fully_decompose (c, FALSE, parts, G_N_ELEMENTS (parts));
  t = g_unichar_type (parts[0]);
  if (n == 0 || t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK
      || t == G_UNICODE_ENCLOSING_MARK)
    return 0;
  return g_unichar_tolower (parts[0]);
}

/* Vietnamese letters lie below U+1F00 (Latin, its supplements and
 * extensions): folded once into a table, not decomposed again for every
 * letter of every record written. ASCII has a table of bytes of its own for
 * each way of folding: the plain one, and the search text's, in which
 * punctuation is a space (so that "phong chong" finds "Phòng, chống"). */
#define FOLD_TABLE_END 0x1F00

typedef struct
{
  gunichar letters[FOLD_TABLE_END];
  char ascii[2][0x80];
} FoldTables;

static const FoldTables *
fold_tables (void)
{
  static FoldTables *tables;

  if (g_once_init_enter (&tables))
    {
      FoldTables *t = g_new (FoldTables, 1);
      for (gunichar c = 0; c < FOLD_TABLE_END; c++)
        t->letters[c] = fold_char (c);
      for (int c = 0; c < 0x80; c++)
        {
          t->ascii[FALSE][c] = g_ascii_tolower ((char)c);
          t->ascii[TRUE][c] = g_ascii_ispunct ((char)c) ? ' ' : g_ascii_tolower ((char)c);
        }
      g_once_init_leave (&tables, t);
    }
  return tables;
}

/* The code point at @p and its length in bytes, or 0 for a sequence that
 * is not UTF-8: a continuation byte is checked before the next is read, so
 * nothing past the text's end (its NUL is never one) is ever read. */
static inline guint
decode_utf8 (const guchar *p, gunichar *c)
{
  if (p[0] >= 0xC2 && p[0] < 0xE0 && (p[1] & 0xC0) == 0x80)
    {
      *c = ((gunichar)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
      return 2;
    }
  if (p[0] >= 0xE0 && p[0] < 0xF0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
    {
      *c = ((gunichar)(p[0] & 0x0F) << 12) | ((gunichar)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
      return 3;
    }
  if (p[0] >= 0xF0 && p[0] < 0xF5 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80
      && (p[3] & 0xC0) == 0x80)
    {
      *c = ((gunichar)(p[0] & 0x07) << 18) | ((gunichar)(p[1] & 0x3F) << 12)
           | ((gunichar)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
      return 4;
    }
  return 0;
}

/**
 * pcmbn_fold_append:
 * @out: where to append
 * @text: UTF-8 text; a byte that does not begin a well-formed sequence is
 *   left out
 * @search: whether ASCII punctuation becomes a space, as in a record's
 *   search text
 *
 * pcmbn_fold() of @text, appended to @out without a copy of its own. It
 * does not check @text first: the search text of every record written is
 * made of fields that normalizing checked already.
 */
void
pcmbn_fold_append (GString *out, const char *text, gboolean search)
{
  const FoldTables *tables = fold_tables ();
  const char *ascii = tables->ascii[search != FALSE];
  gsize len = strlen (text);
  gsize n = out->len;
  char *buf;

  /* Written straight into the string's buffer, growing only for a letter
   * whose folded form is longer than itself (a rare case: a few capitals
   * lowercase to a letter of three bytes). */
  g_string_set_size (out, n + len);
  buf = out->str;
  for (const guchar *p = (const guchar *)text; *p;)
    {
      gunichar c, folded;
      guint step;
      gsize rest;

      /* Most of any text is ASCII: a byte for a byte. */
      if (*p < 0x80)
        {
          buf[n++] = ascii[*p++];
          continue;
        }
      step = decode_utf8 (p, &c);
      p += step ? step : 1;
      if (step == 0)
        continue;
      folded = c < FOLD_TABLE_END ? tables->letters[c] : fold_char (c);
      if (folded == 0)
        continue;
      if (folded < 0x80)
        {
          buf[n++] = ascii[folded];
          continue;
        }
      /* Room for this letter and every byte still to read (none folds
       * longer than itself but for such a letter, checked here again). */
      rest = len - (gsize)(p - (const guchar *)text);
      if (n + 6 + rest > out->len)
        {
          g_string_set_size (out, n + 6 + rest + len / 8);
          buf = out->str;
        }
      n += g_unichar_to_utf8 (folded, buf + n);
    }
  g_string_truncate (out, n);
}

/**
 * pcmbn_fold:
 * @text: (nullable): UTF-8 text
 *
 * Lowercases and strips Vietnamese diacritics ("Phúc Xá" → "phuc xa", "Đ" →
 * "d"), so that people can search without typing accents.
 *
 * Returns: (transfer full): the folded text; empty when @text is not UTF-8
 */
char *
pcmbn_fold (const char *text)
{
  GString *out;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return g_strdup ("");
  out = g_string_sized_new (strlen (text) + 1);
  pcmbn_fold_append (out, text, FALSE);
  return g_string_free (out, FALSE);
}

/**
 * pcmbn_is_vietnamese:
 *
 * Whether the messages are shown in Vietnamese. It asks gettext itself, so
 * that labels kept in the schema follow exactly the language of the
 * translated messages, including a language forced with `LANGUAGE`.
 *
 * Returns: %TRUE when the user's language is Vietnamese
 */
gboolean
pcmbn_is_vietnamese (void)
{
  /* TRANSLATORS: the code of your language; Vietnamese is "vi". */
  return g_str_equal (C_ ("language-code", "en"), "vi");
}

/**
 * pcmbn_i18n_init:
 *
 * Sets the locale and binds the translation domain: the installed one, or
 * the one in the build tree when running uninstalled.
 */
void
pcmbn_i18n_init (void)
{
  g_autofree char *installed = NULL;
  const char *dir = LOCALEDIR;

#ifdef G_OS_WIN32
  /* An installed Windows folder can move: find share\locale beside the
   * program instead of the path fixed at build time. */
  g_autofree char *top = g_win32_get_package_installation_directory_of_module (NULL);
  g_autofree char *relocated = g_build_filename (top, "share", "locale", NULL);
  dir = relocated;
#endif

  setlocale (LC_ALL, "");
  installed = g_build_filename (dir, "vi", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  if (g_getenv ("PCMBN_LOCALEDIR") != NULL)
    dir = g_getenv ("PCMBN_LOCALEDIR");
  else if (!g_file_test (installed, G_FILE_TEST_EXISTS))
    dir = BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/* The digest so far of @ctx, in lowercase hex. */
static char *
sha256_ctx_hex (struct sha256_ctx *ctx)
{
  static const char hex[] = "0123456789abcdef";
  guint8 digest[SHA256_DIGEST_SIZE];
  char *out = g_malloc (2 * SHA256_DIGEST_SIZE + 1);

  sha256_digest (ctx, sizeof digest, digest);
  for (guint i = 0; i < SHA256_DIGEST_SIZE; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[2 * SHA256_DIGEST_SIZE] = '\0';
  return out;
}

/**
 * pcmbn_sha256_hex_parts:
 * @parts: (array length=n_parts): the pieces of the message, in order
 * @lengths: (array length=n_parts): their lengths in bytes
 * @n_parts: how many there are
 *
 * The SHA-256 of the pieces one after the other, with no copy to join
 * them. Nettle's, not GChecksum's: it uses the processor's SHA
 * instructions where there are some, and every record a device pushes is
 * hashed (seven times faster here on 1 KB).
 *
 * Returns: (transfer full): the lowercase hex digest
 */
char *
pcmbn_sha256_hex_parts (const void *const *parts, const gsize *lengths, guint n_parts)
{
  struct sha256_ctx ctx;

  sha256_init (&ctx);
  for (guint i = 0; i < n_parts; i++)
    sha256_update (&ctx, lengths[i], parts[i]);
  return sha256_ctx_hex (&ctx);
}

struct _PcmbnSha256
{
  struct sha256_ctx ctx;
};

/**
 * pcmbn_sha256_new:
 *
 * A SHA-256 of bytes that come in pieces over time, such as a download
 * written as it arrives.
 *
 * Returns: (transfer full): a hash of nothing yet; free with
 *   pcmbn_sha256_free()
 */
PcmbnSha256 *
pcmbn_sha256_new (void)
{
  PcmbnSha256 *self = g_new (PcmbnSha256, 1);

  sha256_init (&self->ctx);
  return self;
}

/**
 * pcmbn_sha256_update:
 * @self: a hash
 * @data: (array length=len): the next bytes
 * @len: their number
 */
void
pcmbn_sha256_update (PcmbnSha256 *self, const void *data, gsize len)
{
  sha256_update (&self->ctx, len, data);
}

/**
 * pcmbn_sha256_reset:
 * @self: a hash
 *
 * Starts again from nothing.
 */
void
pcmbn_sha256_reset (PcmbnSha256 *self)
{
  sha256_init (&self->ctx);
}

/**
 * pcmbn_sha256_finish_hex:
 * @self: a hash
 *
 * Returns: (transfer full): the lowercase hex digest of every byte given;
 *   @self starts again from nothing
 */
char *
pcmbn_sha256_finish_hex (PcmbnSha256 *self)
{
  /* nettle's digest resets the context. */
  return sha256_ctx_hex (&self->ctx);
}

/**
 * pcmbn_sha256_free:
 * @self: (nullable) (transfer full): a hash
 */
void
pcmbn_sha256_free (PcmbnSha256 *self)
{
  g_free (self);
}

/**
 * pcmbn_sha256_hex:
 * @data: (array length=len): bytes
 * @len: their number
 *
 * Returns: (transfer full): the lowercase hex SHA-256 of @data
 */
char *
pcmbn_sha256_hex (const guint8 *data, gsize len)
{
  const void *parts[] = { data };

  return pcmbn_sha256_hex_parts (parts, &len, 1);
}

/**
 * pcmbn_utf8_length:
 * @text: valid UTF-8
 *
 * Returns: the number of Unicode code points
 */
glong
pcmbn_utf8_length (const char *text)
{
  return g_utf8_strlen (text, -1);
}

/* What pcmbn_utf8_scan() makes of each byte. */
enum
{
  UTF8_PLAIN,   /* ASCII but control characters */
  UTF8_CONTROL, /* C0 but new line and tab, and DEL */
  UTF8_LEAD_C2, /* U+0080–U+00BF: C1 controls among them */
  UTF8_LEAD2,   /* the rest of two bytes */
  UTF8_LEAD3,   /* three bytes */
  UTF8_LEAD4,   /* four bytes */
  UTF8_INVALID, /* a continuation byte alone, C0, C1, F5–FF */
};

static const guint8 utf8_bytes[256] = {
  /* New line (0x0A) and tab (0x09) are plain text. */
  [0x00 ... 0x08] = UTF8_CONTROL, [0x0B ... 0x1F] = UTF8_CONTROL, [0x7F] = UTF8_CONTROL,
  [0x80 ... 0xC1] = UTF8_INVALID, [0xC2] = UTF8_LEAD_C2,          [0xC3 ... 0xDF] = UTF8_LEAD2,
  [0xE0 ... 0xEF] = UTF8_LEAD3,   [0xF0 ... 0xF4] = UTF8_LEAD4,   [0xF5 ... 0xFF] = UTF8_INVALID,
};

/**
 * pcmbn_utf8_scan:
 * @text: NUL-terminated bytes
 * @length: (out): the number of code points, when @text is UTF-8
 * @control: (out): whether @text holds a code point of category Cc other
 *   than new line and tab (C0, DEL, C1), when it is UTF-8
 *
 * g_utf8_validate(), the length in code points and a look for control
 * characters in one pass over the bytes, a table look-up each. Every text
 * field of every record written is checked for the three; three passes
 * over it took a tenth of a restore's writing thread (and of a server's
 * reading of a push). It accepts exactly what g_utf8_validate() accepts
 * (no overlong form, no surrogate, nothing above U+10FFFF); a test
 * compares the two on every sequence of up to three bytes.
 *
 * Returns: whether @text is valid UTF-8
 */
gboolean
pcmbn_utf8_scan (const char *text, gsize *length, gboolean *control)
{
  const guchar *p = (const guchar *)text;
  gsize n = 0;
  gboolean cc = FALSE;

  for (;;)
    {
      const guchar *run = p;
      guchar lo = 0x80, hi = 0xBF;

      /* Most of any text is plain ASCII: a tight loop (NUL is not plain). */
      while (utf8_bytes[*p] == UTF8_PLAIN)
        p++;
      n += (gsize)(p - run);
      if (*p == 0)
        break;
      n++;
      switch (utf8_bytes[*p])
        {
          case UTF8_CONTROL:
            cc = TRUE;
            p++;
            continue;
          case UTF8_LEAD_C2:
            cc = cc || p[1] <= 0x9F;
            G_GNUC_FALLTHROUGH;
          case UTF8_LEAD2:
            if ((p[1] & 0xC0) != 0x80)
              return FALSE;
            p += 2;
            continue;
          case UTF8_LEAD3:
            /* No overlong form (E0 80–9F), no surrogate (ED A0–BF). */
            if (*p == 0xE0)
              lo = 0xA0;
            else if (*p == 0xED)
              hi = 0x9F;
            /* Each byte is read only after the one before it was a
             * continuation byte: never past the NUL. */
            if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
              return FALSE;
            p += 3;
            continue;
          case UTF8_LEAD4:
            /* No overlong form (F0 80–8F), nothing above U+10FFFF (F4 90–). */
            if (*p == 0xF0)
              lo = 0x90;
            else if (*p == 0xF4)
              hi = 0x8F;
            if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
              return FALSE;
            p += 4;
            continue;
          default:
            return FALSE;
        }
    }
  *length = n;
  *control = cc;
  return TRUE;
}

/**
 * pcmbn_invoke_in_context:
 * @context: the context of the thread that owns the objects concerned
 * @owner: the thread that created them
 * @func: the function
 * @data: its data
 *
 * Runs @func at once when called from @owner (or from a thread iterating
 * @context), else from an idle source in @context. Unlike
 * g_main_context_invoke(), it never runs @func in a worker thread just
 * because nobody iterates @context at that moment: signals of the core
 * must reach widgets in their own thread.
 */
void
pcmbn_invoke_in_context (GMainContext *context, GThread *owner, GSourceFunc func, gpointer data)
{
  GSource *source;

  if (g_thread_self () == owner || g_main_context_is_owner (context))
    {
      func (data);
      return;
    }
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
}

typedef struct
{
  gpointer data;
  GDestroyNotify destroy;
} Garbage;

static void
free_garbage (gpointer item, gpointer user_data)
{
  Garbage *g = item;

  g->destroy (g->data);
  g_free (g);
}

/**
 * pcmbn_free_later:
 * @data: (transfer full) (nullable): what to free; nobody else may use it
 * @destroy: how to free it
 *
 * Frees @data on a thread of its own. A server request parses thousands of
 * records into trees of nodes, and freeing them took as long as parsing:
 * the answer need not wait for it.
 */
void
pcmbn_free_later (gpointer data, GDestroyNotify destroy)
{
  static GThreadPool *pool;
  Garbage *g;

  if (data == NULL)
    return;
  /* A thread of its own (an exclusive pool): a shared one would move
   * between this pool and the server's workers, each of which keeps its
   * own database connection, and the server would open ever more. */
  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (free_garbage, NULL, 1, TRUE, NULL));
  g = g_new (Garbage, 1);
  g->data = data;
  g->destroy = destroy;
  g_thread_pool_push (pool, g, NULL);
}
