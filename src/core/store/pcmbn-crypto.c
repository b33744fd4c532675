/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-crypto"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "store/pcmbn-crypto.h"
#include "pcmbn-types.h"

/* libsodium's XChaCha20-Poly1305 (IETF): a random 24-byte nonce per value
 * is safe at any number of values, and the tag makes a changed byte or a
 * value moved to another row fail to open instead of reading as garbage.
 * A sealed value is one version byte, the nonce, then the ciphertext. */

#define SEAL_VERSION 1
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define TEXT_PREFIX "sealed1:"
#define WRAP_PREFIX "pcmbn-recovery1:"
#define CHECK_PLAIN "pcmbn-key-check"
/* Crockford's base32: no I, L, O or U to misread when typing the code. */
#define CODE_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define CODE_BYTES 20 /* 160 bits: 32 characters */

struct _PcmbnCrypto
{
  GObject parent_instance;

  guint8 *key; /* sodium_malloc: locked in memory, never swapped */
};

G_DEFINE_FINAL_TYPE (PcmbnCrypto, pcmbn_crypto, G_TYPE_OBJECT)

static void
pcmbn_crypto_finalize (GObject *object)
{
  PcmbnCrypto *self = PCMBN_CRYPTO (object);

  sodium_free (self->key);
  G_OBJECT_CLASS (pcmbn_crypto_parent_class)->finalize (object);
}

static void
pcmbn_crypto_class_init (PcmbnCryptoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pcmbn_crypto_finalize;
}

static void
pcmbn_crypto_init (PcmbnCrypto *self)
{
}

/**
 * pcmbn_crypto_init_library:
 * @error: return location for an error
 *
 * Initializes libsodium once; safe to call from any thread, any number of
 * times.
 *
 * Returns: %TRUE when the cryptography is usable
 */
gboolean
pcmbn_crypto_init_library (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The encryption library (libsodium) could not start."));
      return FALSE;
    }
  return TRUE;
}

static PcmbnCrypto *
crypto_new (void)
{
  PcmbnCrypto *self;

  if (!pcmbn_crypto_init_library (NULL))
    g_error ("libsodium could not start");
  self = g_object_new (PCMBN_TYPE_CRYPTO, NULL);
  self->key = sodium_malloc (PCMBN_CRYPTO_KEY_BYTES);
  g_assert (self->key != NULL);
  return self;
}

/**
 * pcmbn_crypto_new_random:
 *
 * Returns: (transfer full): a new data key
 */
PcmbnCrypto *
pcmbn_crypto_new_random (void)
{
  PcmbnCrypto *self = crypto_new ();

  crypto_aead_xchacha20poly1305_ietf_keygen (self->key);
  return self;
}

/**
 * pcmbn_crypto_new_from_text:
 * @text: a key as pcmbn_crypto_to_text() wrote it (surrounding space is ignored)
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the key, or %NULL when @text is not one
 */
PcmbnCrypto *
pcmbn_crypto_new_from_text (const char *text, GError **error)
{
  g_autoptr (PcmbnCrypto) self = crypto_new ();
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  gsize len = 0;

  if (sodium_base642bin (self->key, PCMBN_CRYPTO_KEY_BYTES, trimmed, strlen (trimmed), NULL, &len,
                         NULL, sodium_base64_VARIANT_ORIGINAL)
          != 0
      || len != PCMBN_CRYPTO_KEY_BYTES)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("the key is damaged (it is not 32 bytes in base64)"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * pcmbn_crypto_to_text:
 * @self: a key
 *
 * Returns: (transfer full): the key in base64, for the keyring or the key
 *   file; free it with g_free() after clearing it
 */
char *
pcmbn_crypto_to_text (PcmbnCrypto *self)
{
  gsize size = sodium_base64_ENCODED_LEN (PCMBN_CRYPTO_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
  char *text = g_malloc (size);

  sodium_bin2base64 (text, size, self->key, PCMBN_CRYPTO_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
  return text;
}

static GBytes *
seal_with (const guint8 *key, const char *ad, const void *plain, gsize len)
{
  gsize size = 1 + NONCE_BYTES + len + TAG_BYTES;
  guint8 *out = g_malloc (size);
  unsigned long long clen = 0;

  out[0] = SEAL_VERSION;
  randombytes_buf (out + 1, NONCE_BYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt (out + 1 + NONCE_BYTES, &clen, plain, len,
                                              (const guint8 *)ad, ad ? strlen (ad) : 0, NULL,
                                              out + 1, key);
  g_assert (clen == len + TAG_BYTES);
  return g_bytes_new_take (out, size);
}

static char *
open_with (const guint8 *key, const char *ad, const guint8 *blob, gsize len, gsize *out_len)
{
  char *plain;
  unsigned long long plen = 0;

  if (blob == NULL || len < 1 + NONCE_BYTES + TAG_BYTES || blob[0] != SEAL_VERSION)
    return NULL;
  plain = g_malloc (len - 1 - NONCE_BYTES - TAG_BYTES + 1);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt (
          (guint8 *)plain, &plen, NULL, blob + 1 + NONCE_BYTES, len - 1 - NONCE_BYTES,
          (const guint8 *)ad, ad ? strlen (ad) : 0, blob + 1, key)
      != 0)
    {
      g_free (plain);
      return NULL;
    }
  plain[plen] = '\0';
  if (out_len)
    *out_len = plen;
  return plain;
}

/**
 * pcmbn_crypto_seal:
 * @self: a key
 * @ad: where the value belongs, such as `records.sealed:UUID`; opening it
 *   needs the same
 * @plain: (array length=len): the value
 * @len: its length
 *
 * Returns: (transfer full): the sealed value
 */
GBytes *
pcmbn_crypto_seal (PcmbnCrypto *self, const char *ad, const void *plain, gsize len)
{
  g_return_val_if_fail (PCMBN_IS_CRYPTO (self), NULL);
  return seal_with (self->key, ad, plain, len);
}

/**
 * pcmbn_crypto_open:
 * @self: a key
 * @ad: what pcmbn_crypto_seal() was given
 * @blob: (array length=len): a sealed value
 * @len: its length
 * @out_len: (out) (optional): the length of the value
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the value, NUL-terminated, or %NULL
 *   when @blob was sealed with another key, for another place, or changed
 */
char *
pcmbn_crypto_open (
    PcmbnCrypto *self, const char *ad, const void *blob, gsize len, gsize *out_len, GError **error)
{
  char *plain;

  g_return_val_if_fail (PCMBN_IS_CRYPTO (self), NULL);
  plain = open_with (self->key, ad, blob, len, out_len);
  if (plain == NULL)
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                 _ ("An encrypted value (%s) does not open with this logbook’s key: it was "
                    "changed or made with another key."),
                 ad ? ad : "");
  return plain;
}

/**
 * pcmbn_crypto_is_sealed_text:
 * @value: (nullable): a text value
 *
 * Returns: whether @value was written by pcmbn_crypto_seal_text()
 */
gboolean
pcmbn_crypto_is_sealed_text (const char *value)
{
  return value != NULL && g_str_has_prefix (value, TEXT_PREFIX);
}

/**
 * pcmbn_crypto_seal_text:
 * @self: a key
 * @ad: where the value belongs
 * @text: the value
 *
 * Returns: (transfer full): `sealed1:` and the sealed value in base64, for
 *   text columns such as the meta table
 */
char *
pcmbn_crypto_seal_text (PcmbnCrypto *self, const char *ad, const char *text)
{
  g_autoptr (GBytes) blob = pcmbn_crypto_seal (self, ad, text, strlen (text));
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));

  return g_strconcat (TEXT_PREFIX, b64, NULL);
}

/**
 * pcmbn_crypto_open_text:
 * @self: a key
 * @ad: what pcmbn_crypto_seal_text() was given
 * @sealed: its result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the value
 */
char *
pcmbn_crypto_open_text (PcmbnCrypto *self, const char *ad, const char *sealed, GError **error)
{
  g_autofree guint8 *blob = NULL;
  gsize len = 0;

  if (!pcmbn_crypto_is_sealed_text (sealed))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("%s: the value is not encrypted"),
                   ad);
      return NULL;
    }
  blob = g_base64_decode (sealed + strlen (TEXT_PREFIX), &len);
  return pcmbn_crypto_open (self, ad, blob, len, NULL, error);
}

/**
 * pcmbn_crypto_make_check:
 * @self: a key
 *
 * Returns: (transfer full): a value that only this key opens, kept beside
 *   the data so that a wrong key is told apart from a missing one
 */
char *
pcmbn_crypto_make_check (PcmbnCrypto *self)
{
  return pcmbn_crypto_seal_text (self, "key-check", CHECK_PLAIN);
}

/**
 * pcmbn_crypto_verify_check:
 * @self: a key
 * @check: what pcmbn_crypto_make_check() returned for the database's key
 *
 * Returns: whether @self is that key
 */
gboolean
pcmbn_crypto_verify_check (PcmbnCrypto *self, const char *check)
{
  g_autofree char *plain = pcmbn_crypto_open_text (self, "key-check", check, NULL);
  return g_strcmp0 (plain, CHECK_PLAIN) == 0;
}

/* ---- the recovery code ------------------------------------------------------ */

/**
 * pcmbn_crypto_new_recovery_code:
 *
 * Returns: (transfer full): 160 random bits as eight groups of four
 *   characters, such as `7KQ2-…`, easy to copy onto paper
 */
char *
pcmbn_crypto_new_recovery_code (void)
{
  guint8 bytes[CODE_BYTES];
  GString *code = g_string_new (NULL);
  guint bits = 0, acc = 0, n = 0;

  pcmbn_crypto_init_library (NULL);
  randombytes_buf (bytes, sizeof bytes);
  for (guint i = 0; i < sizeof bytes; i++)
    {
      acc = (acc << 8) | bytes[i];
      bits += 8;
      while (bits >= 5)
        {
          bits -= 5;
          if (n > 0 && n % 4 == 0)
            g_string_append_c (code, '-');
          g_string_append_c (code, CODE_ALPHABET[(acc >> bits) & 31]);
          n++;
        }
    }
  sodium_memzero (bytes, sizeof bytes);
  return g_string_free (code, FALSE);
}

/* The code as typed (any case, spaces or dashes, O for 0, I and L for 1)
 * in its one canonical form, or NULL when it cannot be a code. */
static char *
normalize_code (const char *code)
{
  GString *s = g_string_new (NULL);

  for (const char *p = code ? code : ""; *p; p++)
    {
      char c = g_ascii_toupper (*p);
      if (c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
        continue;
      if (c == 'O')
        c = '0';
      else if (c == 'I' || c == 'L')
        c = '1';
      if (strchr (CODE_ALPHABET, c) == NULL || c == '\0')
        {
          g_string_free (s, TRUE);
          return NULL;
        }
      g_string_append_c (s, c);
    }
  if (s->len != CODE_BYTES * 8 / 5)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return g_string_free (s, FALSE);
}

static gboolean
derive (guint8 out[PCMBN_CRYPTO_KEY_BYTES], const char *code, const guint8 *salt, GError **error)
{
  g_autofree char *canonical = normalize_code (code);

  if (canonical == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("code: this is not a recovery code; it has 32 letters and digits in groups "
                      "of four, such as 7KQ2-M9XD-…"));
      return FALSE;
    }
  /* The code has 160 random bits, far beyond guessing: the memory-hard
   * hash is a second line only, so its limits stay modest (every new
   * logbook wraps its key once, an old laptop included). They are part of
   * the "pcmbn-recovery1" format. */
  if (crypto_pwhash (out, PCMBN_CRYPTO_KEY_BYTES, canonical, strlen (canonical), salt,
                     crypto_pwhash_OPSLIMIT_INTERACTIVE, 16 * 1024 * 1024,
                     crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("Not enough memory to check the recovery code; close other programs and "
                      "try again."));
      return FALSE;
    }
  return TRUE;
}

/**
 * pcmbn_crypto_wrap_for_recovery:
 * @self: a data key
 * @code: a recovery code from pcmbn_crypto_new_recovery_code()
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the data key sealed with a key
 *   derived from @code (Argon2id), as text for the database's meta table
 */
char *
pcmbn_crypto_wrap_for_recovery (PcmbnCrypto *self, const char *code, GError **error)
{
  guint8 salt[crypto_pwhash_SALTBYTES];
  guint8 *kek = sodium_malloc (PCMBN_CRYPTO_KEY_BYTES);
  g_autoptr (GBytes) sealed = NULL;
  g_autoptr (GByteArray) all = g_byte_array_new ();
  g_autofree char *b64 = NULL;

  randombytes_buf (salt, sizeof salt);
  if (!derive (kek, code, salt, error))
    {
      sodium_free (kek);
      return NULL;
    }
  sealed = seal_with (kek, "recovery-wrap", self->key, PCMBN_CRYPTO_KEY_BYTES);
  sodium_free (kek);
  g_byte_array_append (all, salt, sizeof salt);
  g_byte_array_append (all, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  b64 = g_base64_encode (all->data, all->len);
  return g_strconcat (WRAP_PREFIX, b64, NULL);
}

/**
 * pcmbn_crypto_unwrap_recovery:
 * @wrapped: what pcmbn_crypto_wrap_for_recovery() returned
 * @code: the recovery code as the person typed it
 * @error: return location for an error; %PCMBN_ERROR_INVALID for a wrong code
 *
 * Returns: (transfer full) (nullable): the data key
 */
PcmbnCrypto *
pcmbn_crypto_unwrap_recovery (const char *wrapped, const char *code, GError **error)
{
  g_autofree guint8 *all = NULL;
  g_autoptr (PcmbnCrypto) self = NULL;
  g_autofree char *key = NULL;
  guint8 *kek;
  gsize len = 0, key_len = 0;

  if (!pcmbn_crypto_init_library (error))
    return NULL;
  if (wrapped == NULL || !g_str_has_prefix (wrapped, WRAP_PREFIX))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("This logbook holds no recovery copy of its key."));
      return NULL;
    }
  all = g_base64_decode (wrapped + strlen (WRAP_PREFIX), &len);
  if (len < crypto_pwhash_SALTBYTES)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The recovery copy of the key in this logbook is damaged."));
      return NULL;
    }
  kek = sodium_malloc (PCMBN_CRYPTO_KEY_BYTES);
  if (!derive (kek, code, all, error))
    {
      sodium_free (kek);
      return NULL;
    }
  key = open_with (kek, "recovery-wrap", all + crypto_pwhash_SALTBYTES,
                   len - crypto_pwhash_SALTBYTES, &key_len);
  sodium_free (kek);
  if (key == NULL || key_len != PCMBN_CRYPTO_KEY_BYTES)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("code: this recovery code does not open this logbook; check each group "
                      "of four against the paper (nothing was changed)"));
      return NULL;
    }
  self = crypto_new ();
  memcpy (self->key, key, PCMBN_CRYPTO_KEY_BYTES);
  sodium_memzero (key, key_len);
  return g_steal_pointer (&self);
}
