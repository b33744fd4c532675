/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The data key of one database and what it does: seal and open small
 * values (case notes, a counselling draft, the device token) with
 * XChaCha20-Poly1305, each bound to where it belongs (the associated data
 * names the table, field and row), and wrap the key for the recovery code.
 * The key itself never reaches the database file. */

#define PCMBN_CRYPTO_KEY_BYTES 32

#define PCMBN_TYPE_CRYPTO (pcmbn_crypto_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnCrypto, pcmbn_crypto, PCMBN, CRYPTO, GObject)

gboolean pcmbn_crypto_init_library (GError **error);
PcmbnCrypto *pcmbn_crypto_new_random (void);
PcmbnCrypto *pcmbn_crypto_new_from_text (const char *text, GError **error);
char *pcmbn_crypto_to_text (PcmbnCrypto *self);

GBytes *pcmbn_crypto_seal (PcmbnCrypto *self, const char *ad, const void *plain, gsize len);
char *pcmbn_crypto_open (
    PcmbnCrypto *self, const char *ad, const void *blob, gsize len, gsize *out_len, GError **error);
char *pcmbn_crypto_seal_text (PcmbnCrypto *self, const char *ad, const char *text);
char *
pcmbn_crypto_open_text (PcmbnCrypto *self, const char *ad, const char *sealed, GError **error);
gboolean pcmbn_crypto_is_sealed_text (const char *value);

char *pcmbn_crypto_make_check (PcmbnCrypto *self);
gboolean pcmbn_crypto_verify_check (PcmbnCrypto *self, const char *check);

char *pcmbn_crypto_new_recovery_code (void);
char *pcmbn_crypto_wrap_for_recovery (PcmbnCrypto *self, const char *code, GError **error);
PcmbnCrypto *pcmbn_crypto_unwrap_recovery (const char *wrapped, const char *code, GError **error);

G_END_DECLS
