/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-keyring"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>
#include <sys/stat.h>

#include "store/pcmbn-keyring.h"
#include "pcmbn-types.h"

/* The Secret Service is asked only when it runs or can be started: a
 * session without one (a server, a test under dbus-run-session, a
 * console login) must fall back to the key file at once, never wait on a
 * D-Bus timeout or start a bus of its own. */

#define SECRETS_NAME "org.freedesktop.secrets"
#define PROBE_TIMEOUT_MS 1500
/* A keyring that asks to be unlocked shows a prompt: time enough for a
 * person to type a password, not forever (a prompt on a screen nobody
 * watches, as under Xvfb, would otherwise hang the program). */
#define KEYRING_TIMEOUT_S 25

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GCancellable *cancellable;
  GThread *thread;
} Watchdog;

static gpointer
watchdog_run (gpointer data)
{
  Watchdog *w = data;
  gint64 end = g_get_monotonic_time () + KEYRING_TIMEOUT_S * G_TIME_SPAN_SECOND;

  g_mutex_lock (&w->lock);
  while (!w->done)
    if (!g_cond_wait_until (&w->cond, &w->lock, end))
      break;
  if (!w->done)
    g_cancellable_cancel (w->cancellable);
  g_mutex_unlock (&w->lock);
  return NULL;
}

/* Cancels the keyring call under way unless watchdog_stop() comes first. */
static Watchdog *
watchdog_start (void)
{
  Watchdog *w = g_new0 (Watchdog, 1);

  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->cancellable = g_cancellable_new ();
  w->thread = g_thread_new ("pcmbn-keyring-watchdog", watchdog_run, w);
  return w;
}

static void
watchdog_stop (Watchdog *w)
{
  g_mutex_lock (&w->lock);
  w->done = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);
  g_object_unref (w->cancellable);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

struct _PcmbnKeyring
{
  GObject parent_instance;

  PcmbnKeyBackend backend;
};

G_DEFINE_FINAL_TYPE (PcmbnKeyring, pcmbn_keyring, G_TYPE_OBJECT)

static const SecretSchema *
key_schema (void)
{
  static const SecretSchema schema = {
    "org.pcmbn.Logbook.DataKey",
    SECRET_SCHEMA_NONE,
    {
        { "key-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { NULL, 0 },
    },
  };
  return &schema;
}

static void
pcmbn_keyring_class_init (PcmbnKeyringClass *klass)
{
}

static void
pcmbn_keyring_init (PcmbnKeyring *self)
{
}

static gboolean
bus_has_name (GDBusConnection *bus, const char *method, const char *name)
{
  g_autoptr (GVariant) reply = NULL;

  if (g_str_equal (method, "NameHasOwner"))
    {
      gboolean owned = FALSE;
      reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", method,
                                           g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                           G_DBUS_CALL_FLAGS_NONE, PROBE_TIMEOUT_MS, NULL, NULL);
      if (reply)
        g_variant_get (reply, "(b)", &owned);
      return owned;
    }
  else
    {
      g_autofree const char **names = NULL;
      reply = g_dbus_connection_call_sync (
          bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
          NULL, G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, PROBE_TIMEOUT_MS, NULL, NULL);
      if (reply == NULL)
        return FALSE;
      g_variant_get (reply, "(^a&s)", &names);
      return g_strv_contains (names, name);
    }
}

static gboolean
secret_service_present (void)
{
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  g_autoptr (GDBusConnection) bus = NULL;

  /* Without an address GDBus would try to autolaunch a bus: not ours to do. */
  if (address == NULL || *address == '\0')
    return FALSE;
  bus = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, NULL);
  if (bus == NULL)
    return FALSE;
  return bus_has_name (bus, "NameHasOwner", SECRETS_NAME)
         || bus_has_name (bus, "ListActivatableNames", SECRETS_NAME);
}

/**
 * pcmbn_keyring_new:
 *
 * Chooses where keys live for this process: `PCMBN_KEY_BACKEND` (`file` or
 * `keyring`) when set, else the keyring when a Secret Service answers.
 *
 * Returns: (transfer full): the keyring
 */
PcmbnKeyring *
pcmbn_keyring_new (void)
{
  PcmbnKeyring *self = g_object_new (PCMBN_TYPE_KEYRING, NULL);
  const char *forced = g_getenv ("PCMBN_KEY_BACKEND");

  if (g_strcmp0 (forced, "file") == 0)
    self->backend = PCMBN_KEY_BACKEND_FILE;
  else if (g_strcmp0 (forced, "keyring") == 0)
    self->backend = PCMBN_KEY_BACKEND_KEYRING;
  else
    self->backend = secret_service_present () ? PCMBN_KEY_BACKEND_KEYRING : PCMBN_KEY_BACKEND_FILE;
  return self;
}

/**
 * pcmbn_keyring_get_backend:
 * @self: a keyring
 *
 * Returns: where new keys go
 */
PcmbnKeyBackend
pcmbn_keyring_get_backend (PcmbnKeyring *self)
{
  return self->backend;
}

static const char *
config_dir (void)
{
  /* Read each time rather than through g_get_user_config_dir(), which
   * caches the first value: tests play several accounts in one process. */
  const char *dir = g_getenv ("XDG_CONFIG_HOME");
  return dir && *dir ? dir : g_get_user_config_dir ();
}

/**
 * pcmbn_keyring_key_file_path:
 * @key_id: a database's key id
 *
 * Returns: (transfer full): where the key file of @key_id is
 */
char *
pcmbn_keyring_key_file_path (const char *key_id)
{
  g_autofree char *name = g_strconcat (key_id, ".key", NULL);
  return g_build_filename (config_dir (), "pcmbn-logbook", "keys", name, NULL);
}

static PcmbnCrypto *
lookup_file (const char *key_id, char **found_in, GError **error)
{
  g_autofree char *path = pcmbn_keyring_key_file_path (key_id);
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) lines = NULL;
  GStatBuf st;
  PcmbnCrypto *crypto;

  if (g_stat (path, &st) != 0)
    return NULL;
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("the key file %s can be read by other users, so it is not used (make it "
                      "private with “chmod 600 %s” if nobody else could read it)."),
                   path, path);
      return NULL;
    }
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("Cannot read the key file %s: %s"),
                   path, local->message);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  memset (text, 0, strlen (text));
  for (guint i = 0; lines[i]; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      crypto = pcmbn_crypto_new_from_text (lines[i], &local);
      memset (lines[i], 0, strlen (lines[i]));
      if (crypto == NULL)
        break;
      if (found_in)
        *found_in = g_steal_pointer (&path);
      return crypto;
    }
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED, _ ("the key file %s is damaged."), path);
  return NULL;
}

/**
 * pcmbn_keyring_lookup:
 * @self: a keyring
 * @key_id: a database's key id
 * @found_in: (out) (optional) (transfer full): where the key was found
 * @error: return location for an error
 *
 * Looks in the keyring (when one runs), then in the key file.
 *
 * Returns: (transfer full) (nullable): the key; %NULL without @error set
 *   when it is nowhere, with @error set when it is there but unusable
 */
PcmbnCrypto *
pcmbn_keyring_lookup (PcmbnKeyring *self, const char *key_id, char **found_in, GError **error)
{
  if (self->backend == PCMBN_KEY_BACKEND_KEYRING)
    {
      g_autoptr (GError) local = NULL;
      Watchdog *w = watchdog_start ();
      char *secret = secret_password_lookup_sync (key_schema (), w->cancellable, &local, "key-id",
                                                  key_id, NULL);
      watchdog_stop (w);
      if (secret)
        {
          PcmbnCrypto *crypto = pcmbn_crypto_new_from_text (secret, error);
          secret_password_free (secret);
          if (crypto && found_in)
            *found_in = g_strdup (_ ("the keyring"));
          return crypto;
        }
      if (local)
        g_debug ("keyring lookup failed: %s", local->message);
    }
  return lookup_file (key_id, found_in, error);
}

static gboolean
store_file (const char *key_id, PcmbnCrypto *crypto, const char *db_path, GError **error)
{
  g_autofree char *path = pcmbn_keyring_key_file_path (key_id);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *key = pcmbn_crypto_to_text (crypto);
  g_autofree char *text = NULL;
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int err = errno;
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("Cannot create the folder %s for the key: %s"), dir, g_strerror (err));
      return FALSE;
    }
  g_chmod (dir, 0700);
  text = g_strdup_printf ("# The key of the PCMBN Logbook database %s.\n"
                          "# Without it the case notes in that file cannot be read. Keep it\n"
                          "# private; never copy it next to the database.\n"
                          "%s\n",
                          db_path ? db_path : "", key);
  ok = g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  memset (key, 0, strlen (key));
  memset (text, 0, strlen (text));
  if (!ok)
    g_prefix_error (error, _ ("Cannot save the key file %s: "), path);
  return ok;
}

/**
 * pcmbn_keyring_store:
 * @self: a keyring
 * @key_id: a database's key id
 * @crypto: its key
 * @db_path: (nullable): the database, named in the label
 * @error: return location for an error
 *
 * Saves the key where this process keeps keys (pcmbn_keyring_get_backend()).
 *
 * Returns: %TRUE when the key is saved
 */
gboolean
pcmbn_keyring_store (PcmbnKeyring *self,
                     const char *key_id,
                     PcmbnCrypto *crypto,
                     const char *db_path,
                     GError **error)
{
  if (self->backend == PCMBN_KEY_BACKEND_KEYRING)
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *key = pcmbn_crypto_to_text (crypto);
      g_autofree char *label = g_strdup_printf (_ ("PCMBN Logbook key of %s"),
                                                db_path ? db_path : key_id);
      Watchdog *w = watchdog_start ();
      gboolean ok = secret_password_store_sync (key_schema (), SECRET_COLLECTION_DEFAULT, label,
                                                key, w->cancellable, &local, "key-id", key_id,
                                                NULL);
      watchdog_stop (w);
      memset (key, 0, strlen (key));
      if (ok)
        return TRUE;
      /* A keyring that refuses (locked, no default collection): the file. */
      g_debug ("keyring store failed (%s); using the key file", local->message);
      self->backend = PCMBN_KEY_BACKEND_FILE;
    }
  return store_file (key_id, crypto, db_path, error);
}

/**
 * pcmbn_keyring_forget:
 * @self: a keyring
 * @key_id: a database's key id
 *
 * Removes the key of a database that was never used (a failed first
 * command), from the keyring and the key file.
 */
void
pcmbn_keyring_forget (PcmbnKeyring *self, const char *key_id)
{
  g_autofree char *path = pcmbn_keyring_key_file_path (key_id);

  if (self->backend == PCMBN_KEY_BACKEND_KEYRING)
    {
      Watchdog *w = watchdog_start ();
      secret_password_clear_sync (key_schema (), w->cancellable, NULL, "key-id", key_id, NULL);
      watchdog_stop (w);
    }
  g_unlink (path);
}
