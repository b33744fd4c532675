/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include "store/pcmbn-crypto.h"

G_BEGIN_DECLS

/* Where a database's data key lives, outside the database file: the
 * user's keyring (the Secret Service, through libsecret) when one runs,
 * else a key file `$XDG_CONFIG_HOME/pcmbn-logbook/keys/KEY_ID.key` of mode
 * 0600. `PCMBN_KEY_BACKEND=file` forces the file (tests, scripts). */

#define PCMBN_TYPE_KEYRING (pcmbn_keyring_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnKeyring, pcmbn_keyring, PCMBN, KEYRING, GObject)

typedef enum
{
  PCMBN_KEY_BACKEND_FILE,
  PCMBN_KEY_BACKEND_KEYRING,
} PcmbnKeyBackend;

PcmbnKeyring *pcmbn_keyring_new (void);
PcmbnKeyBackend pcmbn_keyring_get_backend (PcmbnKeyring *self);
char *pcmbn_keyring_key_file_path (const char *key_id);
PcmbnCrypto *
pcmbn_keyring_lookup (PcmbnKeyring *self, const char *key_id, char **found_in, GError **error);
gboolean pcmbn_keyring_store (PcmbnKeyring *self,
                              const char *key_id,
                              PcmbnCrypto *crypto,
                              const char *db_path,
                              GError **error);
void pcmbn_keyring_forget (PcmbnKeyring *self, const char *key_id);

G_END_DECLS
