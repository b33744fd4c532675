/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-bundle"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "pcmbn-util.h"
#include "store/pcmbn-attachments.h"
#include "store/pcmbn-store-private.h"
#include "sync/pcmbn-bundle.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-sync-engine.h"
#include "sync/pcmbn-wire.h"

/* A bundle is what an HTTP sync would have sent or answered, in a file:
 *
 *   PCMBN-BUNDLE 1 KIND DEVICE_ID\n
 *   MAC\n                        (64 hex digits)
 *   gzip of the JSON payload
 *
 * MAC is HMAC-SHA-256 over the first line and the compressed payload, keyed
 * by SHA-256 of the device's token: the device knows its token, and the
 * server keeps exactly that hash of it (never the token). So a file changed
 * in any byte, made for another device, or made by a server that does not
 * know this device, fails the check and is refused whole before anything is
 * read from it. The payload names its device and kind again, and carries a
 * serial number, so that a reply older than one already applied is refused.
 *
 * An enrolment request has no token yet: the code authenticates it at the
 * server, as over HTTP, and the token comes back sealed (crypto_box_seal)
 * for a key pair the device made for this one enrolment. */

#define MAGIC "PCMBN-BUNDLE 1 "
#define MAC_HEX (crypto_auth_hmacsha256_BYTES * 2)
#define EXPORT_BATCH 1000

static gboolean
sodium_ready (GError **error)
{
  static gsize done = 0;
  static int result = 0;

  if (g_once_init_enter (&done))
    {
      result = sodium_init ();
      g_once_init_leave (&done, 1);
    }
  if (result < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The cryptography library could not start; bundles cannot be made here."));
      return FALSE;
    }
  return TRUE;
}

static void
bundle_invalid (GError **error, const char *message)
{
  g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, "%s", message);
}

/**
 * pcmbn_bundle_key_from_token_hash:
 * @token_hash: SHA-256 of a device token, as 64 hex digits
 * @key: (out caller-allocates) (array fixed-size=32): the bundle key
 *
 * The key that signs the bundles of the device with that token.
 */
void
pcmbn_bundle_key_from_token_hash (const char *token_hash, guint8 key[PCMBN_BUNDLE_KEY_SIZE])
{
  memset (key, 0, PCMBN_BUNDLE_KEY_SIZE);
  if (token_hash == NULL)
    return;
  sodium_hex2bin (key, PCMBN_BUNDLE_KEY_SIZE, token_hash, strlen (token_hash), NULL, NULL, NULL);
}

static void
compute_mac (const guint8 *key,
             const char *header,
             gsize header_len,
             const guint8 *payload,
             gsize payload_len,
             guint8 mac[crypto_auth_hmacsha256_BYTES])
{
  crypto_auth_hmacsha256_state state;

  crypto_auth_hmacsha256_init (&state, key, PCMBN_BUNDLE_KEY_SIZE);
  crypto_auth_hmacsha256_update (&state, (const guint8 *)header, header_len);
  crypto_auth_hmacsha256_update (&state, payload, payload_len);
  crypto_auth_hmacsha256_final (&state, mac);
}

/**
 * pcmbn_bundle_seal:
 * @kind: what the bundle holds, e.g. %PCMBN_BUNDLE_PUSH
 * @device_id: the device it is from or for ("-" before enrolment)
 * @key: (array fixed-size=32) (nullable): the device's bundle key; %NULL
 *   for an enrolment request, which the code authenticates
 * @payload: (array length=len): the JSON payload
 * @len: its length
 *
 * Returns: (transfer full): the bytes of the bundle file
 */
GBytes *
pcmbn_bundle_seal (
    const char *kind, const char *device_id, const guint8 *key, const char *payload, gsize len)
{
  static const guint8 no_key[PCMBN_BUNDLE_KEY_SIZE] = { 0 };
  g_autoptr (GBytes) compressed = pcmbn_wire_gzip (payload, len);
  g_autofree char *header = g_strdup_printf (MAGIC "%s %s\n", kind, device_id);
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char mac_hex[MAC_HEX + 1];
  gsize clen;
  const guint8 *cdata = g_bytes_get_data (compressed, &clen);
  GByteArray *out = g_byte_array_sized_new (strlen (header) + MAC_HEX + 1 + clen);

  (void)sodium_ready (NULL);
  compute_mac (key ? key : no_key, header, strlen (header), cdata, clen, mac);
  sodium_bin2hex (mac_hex, sizeof mac_hex, mac, sizeof mac);
  g_byte_array_append (out, (const guint8 *)header, strlen (header));
  g_byte_array_append (out, (const guint8 *)mac_hex, MAC_HEX);
  g_byte_array_append (out, (const guint8 *)"\n", 1);
  g_byte_array_append (out, cdata, clen);
  return g_byte_array_free_to_bytes (out);
}

/* Splits a bundle file into its first line's fields, its MAC and its
 * payload, without trusting any of them. */
static gboolean
split (GBytes *file,
       char **kind,
       char **device_id,
       gsize *header_len,
       const char **mac_hex,
       const guint8 **payload,
       gsize *payload_len,
       GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (file, &len);
  const char *nl, *nl2;
  g_autofree char *line = NULL;
  g_auto (GStrv) parts = NULL;

  if (len < strlen (MAGIC) || memcmp (data, MAGIC, strlen (MAGIC)) != 0)
    {
      bundle_invalid (error, _ ("This file is not a PCMBN sync bundle. Nothing was changed."));
      return FALSE;
    }
  nl = memchr (data, '\n', MIN (len, 256));
  if (nl == NULL || (gsize)(nl + 1 - data) + MAC_HEX + 1 > len || nl[1 + MAC_HEX] != '\n')
    {
      bundle_invalid (error, _ ("The bundle is damaged: its first lines are incomplete. Nothing "
                                "was changed; copy it again from the stick or make it again."));
      return FALSE;
    }
  nl2 = nl + 1 + MAC_HEX;
  line = g_strndup (data + strlen (MAGIC), nl - data - strlen (MAGIC));
  parts = g_strsplit (line, " ", -1);
  if (g_strv_length (parts) != 2 || !g_utf8_validate (line, -1, NULL))
    {
      bundle_invalid (error, _ ("The bundle is damaged: its first line cannot be read. Nothing "
                                "was changed; make the bundle again."));
      return FALSE;
    }
  if (kind)
    *kind = g_strdup (parts[0]);
  if (device_id)
    *device_id = g_strdup (parts[1]);
  if (header_len)
    *header_len = nl + 1 - data;
  if (mac_hex)
    *mac_hex = nl + 1;
  if (payload)
    *payload = (const guint8 *)nl2 + 1;
  if (payload_len)
    *payload_len = len - (nl2 + 1 - data);
  return TRUE;
}

/**
 * pcmbn_bundle_peek:
 * @file: a bundle file's bytes
 * @kind: (out) (optional) (transfer full): what it says it holds
 * @device_id: (out) (optional) (transfer full): the device it names
 * @error: return location for an error
 *
 * Reads the first line only, to find the key to check the bundle with.
 * Nothing it gives is trusted until pcmbn_bundle_open() has checked it.
 *
 * Returns: %TRUE when the file looks like a bundle
 */
gboolean
pcmbn_bundle_peek (GBytes *file, char **kind, char **device_id, GError **error)
{
  return split (file, kind, device_id, NULL, NULL, NULL, NULL, error);
}

/**
 * pcmbn_bundle_open:
 * @file: a bundle file's bytes
 * @kind: the kind expected
 * @device_id: the device expected
 * @key: (array fixed-size=32) (nullable): that device's bundle key, %NULL
 *   for an enrolment request
 * @error: return location for an error (%PCMBN_ERROR_INVALID when the
 *   bundle is damaged, changed, or for another device)
 *
 * Checks the MAC over the whole file before it reads the payload.
 *
 * Returns: (transfer full) (nullable): the payload
 */
JsonObject *
pcmbn_bundle_open (
    GBytes *file, const char *kind, const char *device_id, const guint8 *key, GError **error)
{
  static const guint8 no_key[PCMBN_BUNDLE_KEY_SIZE] = { 0 };
  g_autofree char *file_kind = NULL, *file_device = NULL;
  const char *mac_hex;
  const guint8 *payload;
  gsize header_len, payload_len;
  guint8 mac[crypto_auth_hmacsha256_BYTES], expected[crypto_auth_hmacsha256_BYTES];
  g_autoptr (GBytes) compressed = NULL;
  g_autoptr (GBytes) text = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *object;
  gsize text_len;
  const char *text_data;

  if (!sodium_ready (error))
    return NULL;
  if (!split (file, &file_kind, &file_device, &header_len, &mac_hex, &payload, &payload_len, error))
    return NULL;
  if (!g_str_equal (file_kind, kind))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("This bundle holds “%s”, not “%s”. Nothing was changed; check that you "
                      "chose the right file."),
                   file_kind, kind);
      return NULL;
    }
  if (!g_str_equal (file_device, device_id))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("This bundle was made for another logbook (device %s, this one is %s). "
                      "Nothing was changed."),
                   file_device, device_id);
      return NULL;
    }
  compute_mac (key ? key : no_key, g_bytes_get_data (file, NULL), header_len, payload, payload_len,
               expected);
  if (sodium_hex2bin (mac, sizeof mac, mac_hex, MAC_HEX, NULL, NULL, NULL) != 0
      || sodium_memcmp (mac, expected, sizeof mac) != 0)
    {
      bundle_invalid (error, _ ("The bundle’s signature does not match: it was changed or "
                                "damaged after it was made, or made by another server. Nothing "
                                "was changed; make the bundle again."));
      return NULL;
    }
  compressed = g_bytes_new_static (payload, payload_len);
  text = pcmbn_wire_gunzip (compressed, PCMBN_BUNDLE_MAX_SIZE, error);
  if (text == NULL)
    return NULL;
  text_data = g_bytes_get_data (text, &text_len);
  node = pcmbn_wire_parse_json (text_data, text_len, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bundle_invalid (error, _ ("The bundle’s contents cannot be read."));
      return NULL;
    }
  object = json_node_get_object (node);
  if (g_strcmp0 (pcmbn_wire_get_string (object, "kind"), kind) != 0
      || g_strcmp0 (pcmbn_wire_get_string (object, "device"), device_id) != 0)
    {
      bundle_invalid (error, _ ("The bundle’s contents do not match its first line."));
      return NULL;
    }
  return json_object_ref (object);
}

/**
 * pcmbn_bundle_write_file:
 * @path: where to write
 * @bytes: the bundle
 * @error: return location for an error
 *
 * Writes through a temporary file and a rename, so that a stick pulled out
 * during the copy leaves no half bundle under the name.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_bundle_write_file (const char *path, GBytes *bytes, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/**
 * pcmbn_bundle_read_file:
 * @path: a bundle file
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): its bytes
 */
GBytes *
pcmbn_bundle_read_file (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GError) local = NULL;

  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("%s: cannot be read: %s"), path,
                   local->message);
      return NULL;
    }
  if (g_mapped_file_get_length (mapped) > PCMBN_BUNDLE_MAX_SIZE)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("%s: is too large to be a bundle"),
                   path);
      return NULL;
    }
  return g_mapped_file_get_bytes (mapped);
}

/* ---- the device's side ---------------------------------------------------- */

static gboolean
device_key (PcmbnStore *store, char **device_id, guint8 key[PCMBN_BUNDLE_KEY_SIZE], GError **error)
{
  g_autofree char *token = pcmbn_store_get_meta (store, PCMBN_SYNC_META_TOKEN);
  g_autofree char *device = pcmbn_store_get_meta (store, PCMBN_SYNC_META_DEVICE);
  g_autofree char *hash = NULL;

  if (token == NULL || device == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_NOT_INITIALIZED,
                   _ ("This logbook is not enrolled with a server yet. Ask the office for an "
                      "enrolment code, then use “pcmbn bundle enroll --code CODE -o FILE”."));
      return FALSE;
    }
  hash = pcmbn_sha256_hex ((const guint8 *)token, strlen (token));
  pcmbn_bundle_key_from_token_hash (hash, key);
  *device_id = g_steal_pointer (&device);
  return TRUE;
}

static gint64
meta_int (PcmbnStore *store, const char *key)
{
  g_autofree char *text = pcmbn_store_get_meta (store, key);

  return text ? g_ascii_strtoll (text, NULL, 10) : 0;
}

static gboolean
set_meta_int (PcmbnStore *store, const char *key, gint64 value, GError **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  return pcmbn_store_set_meta (store, key, text, error);
}

/* Adds each attachment that a record names and this computer holds, once. */
static void
add_blobs (PcmbnStore *store, JsonObject *record, GHashTable *seen, JsonBuilder *b)
{
  JsonObject *data = pcmbn_wire_get_object (record, "data");
  JsonArray *attachments = data ? pcmbn_wire_get_array (data, "attachments") : NULL;

  for (guint i = 0; attachments && i < json_array_get_length (attachments); i++)
    {
      JsonNode *node = json_array_get_element (attachments, i);
      const char *sha = JSON_NODE_HOLDS_OBJECT (node)
                            ? pcmbn_wire_get_string (json_node_get_object (node), "sha256")
                            : NULL;
      g_autofree char *path = NULL, *contents = NULL, *encoded = NULL;
      gsize len;

      if (sha == NULL || g_hash_table_contains (seen, sha))
        continue;
      path = pcmbn_attachments_path (store, sha);
      if (path == NULL || !g_file_get_contents (path, &contents, &len, NULL))
        continue;
      g_hash_table_add (seen, g_strdup (sha));
      encoded = g_base64_encode ((const guchar *)contents, len);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sha256");
      json_builder_add_string_value (b, sha);
      json_builder_set_member_name (b, "data");
      json_builder_add_string_value (b, encoded);
      json_builder_end_object (b);
    }
}

/**
 * pcmbn_bundle_export:
 * @store: an enrolled logbook
 * @path: the bundle file to write
 * @n_records: (out) (optional): the records it holds
 * @error: return location for an error
 *
 * Writes everything the server has not acknowledged, the attachments those
 * records name, and this device's pull position, signed for this device.
 * The records stay in the outbox until the reply says they arrived.
 *
 * Returns: %TRUE when the file was written
 */
gboolean
pcmbn_bundle_export (PcmbnStore *store, const char *path, guint *n_records, GError **error)
{
  g_autofree char *device = NULL, *created = pcmbn_now_utc (), *allow = NULL;
  guint8 key[PCMBN_BUNDLE_KEY_SIZE];
  g_autoptr (GString) payload = g_string_new (NULL);
  g_autoptr (GString) revs = g_string_new ("[");
  g_autoptr (JsonBuilder) blobs = json_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonNode) blobs_node = NULL;
  g_autofree char *blobs_text = NULL;
  g_autoptr (GBytes) file = NULL;
  gboolean with_sensitive;
  gint64 after = 0, serial;
  guint n = 0;

  if (!sodium_ready (error) || !device_key (store, &device, key, error))
    return FALSE;
  allow = pcmbn_store_get_meta (store, PCMBN_SYNC_META_CASE_NOTES);
  with_sensitive = g_strcmp0 (allow, "yes") == 0;
  serial = meta_int (store, PCMBN_BUNDLE_META_SERIAL) + 1;

  g_string_append (payload, "{\"format\":1,\"kind\":\"" PCMBN_BUNDLE_PUSH "\",\"device\":");
  pcmbn_wire_append_string (payload, device);
  g_string_append_printf (payload,
                          ",\"serial\":%" G_GINT64_FORMAT ",\"since\":%" G_GINT64_FORMAT
                          ",\"created_at\":\"%s\",\"records\":[",
                          serial, MAX (meta_int (store, PCMBN_SYNC_META_CURSOR), 0), created);
  json_builder_begin_array (blobs);
  for (;;)
    {
      g_autoptr (GPtrArray) items = pcmbn_store_sync_outbox (store, after, EXPORT_BATCH, G_MAXSIZE,
                                                             with_sensitive, error);
      if (items == NULL)
        return FALSE;
      if (items->len == 0)
        break;
      for (guint i = 0; i < items->len; i++)
        {
          PcmbnOutboxItem *item = items->pdata[i];
          g_autoptr (JsonNode) record = pcmbn_wire_parse_json (item->record, item->size, NULL);

          if (n > 0)
            {
              g_string_append_c (payload, ',');
              g_string_append_c (revs, ',');
            }
          g_string_append_len (payload, item->record, item->size);
          g_string_append_printf (revs, "%" G_GINT64_FORMAT, item->local_rev);
          if (record && JSON_NODE_HOLDS_OBJECT (record))
            add_blobs (store, json_node_get_object (record), seen, blobs);
          n++;
        }
      after = ((PcmbnOutboxItem *)items->pdata[items->len - 1])->id;
    }
  json_builder_end_array (blobs);
  blobs_node = json_builder_get_root (blobs);
  blobs_text = json_to_string (blobs_node, FALSE);
  g_string_append_printf (payload, "],\"revs\":%s],\"blobs\":%s}", revs->str, blobs_text);

  /* The serial is kept before the file exists: a serial is never used for
   * two different bundles, even when writing the file fails. */
  if (!set_meta_int (store, PCMBN_BUNDLE_META_SERIAL, serial, error))
    return FALSE;
  file = pcmbn_bundle_seal (PCMBN_BUNDLE_PUSH, device, key, payload->str, payload->len);
  sodium_memzero (key, sizeof key);
  if (!pcmbn_bundle_write_file (path, file, error))
    return FALSE;
  if (n_records)
    *n_records = n;
  return TRUE;
}

/**
 * pcmbn_bundle_export_enrolment:
 * @store: a logbook that was never enrolled
 * @code: the enrolment code from the office
 * @device_name: (nullable): a name for this computer
 * @path: the bundle file to write
 * @error: return location for an error
 *
 * Writes an enrolment request. A key pair made for it stays in the logbook
 * until the reply, whose token is sealed for it, is imported.
 *
 * Returns: %TRUE when the file was written
 */
gboolean
pcmbn_bundle_export_enrolment (
    PcmbnStore *store, const char *code, const char *device_name, const char *path, GError **error)
{
  guint8 pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  char pk_hex[sizeof pk * 2 + 1], sk_hex[sizeof sk * 2 + 1];
  g_autoptr (GString) payload = g_string_new (NULL);
  g_autoptr (GBytes) file = NULL;
  g_autofree char *token = pcmbn_store_get_meta (store, PCMBN_SYNC_META_TOKEN);
  const char *own = pcmbn_store_get_org_unit (store);

  if (!sodium_ready (error))
    return FALSE;
  if (code == NULL || *code == '\0')
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("code: give the enrolment code from the district office"));
      return FALSE;
    }
  if (token != NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_USAGE,
                   _ ("This logbook is enrolled already; “pcmbn bundle export” makes its "
                      "bundles."));
      return FALSE;
    }
  crypto_box_keypair (pk, sk);
  sodium_bin2hex (pk_hex, sizeof pk_hex, pk, sizeof pk);
  sodium_bin2hex (sk_hex, sizeof sk_hex, sk, sizeof sk);
  sodium_memzero (sk, sizeof sk);

  g_string_append (payload, "{\"format\":1,\"kind\":\"" PCMBN_BUNDLE_ENROL "\",\"device\":\"-\","
                            "\"code\":");
  pcmbn_wire_append_string (payload, code);
  g_string_append (payload, ",\"device_name\":");
  pcmbn_wire_append_string (payload, device_name ? device_name : g_get_host_name ());
  if (own)
    {
      g_string_append (payload, ",\"org_unit\":");
      pcmbn_wire_append_string (payload, own);
    }
  g_string_append_printf (payload, ",\"public_key\":\"%s\"}", pk_hex);

  if (!pcmbn_store_set_meta (store, PCMBN_BUNDLE_META_ENROL_KEY, sk_hex, error))
    {
      sodium_memzero (sk_hex, sizeof sk_hex);
      return FALSE;
    }
  sodium_memzero (sk_hex, sizeof sk_hex);
  file = pcmbn_bundle_seal (PCMBN_BUNDLE_ENROL, "-", NULL, payload->str, payload->len);
  return pcmbn_bundle_write_file (path, file, error);
}

/* Keeps each attachment of the reply whose content matches its name. */
static guint
save_blobs (PcmbnStore *store, JsonArray *blobs)
{
  g_autofree char *dir = pcmbn_attachments_dir (store);
  guint saved = 0;

  for (guint i = 0; blobs && i < json_array_get_length (blobs); i++)
    {
      JsonNode *node = json_array_get_element (blobs, i);
      JsonObject *blob = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *sha = blob ? pcmbn_wire_get_string (blob, "sha256") : NULL;
      const char *data = blob ? pcmbn_wire_get_string (blob, "data") : NULL;
      g_autofree guchar *bytes = NULL;
      g_autofree char *hash = NULL, *path = NULL;
      gsize len = 0;

      if (sha == NULL || data == NULL)
        continue;
      path = pcmbn_attachments_path (store, sha);
      if (path == NULL || g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      bytes = g_base64_decode (data, &len);
      hash = pcmbn_sha256_hex (bytes, len);
      if (!g_str_equal (hash, sha))
        {
          g_warning ("an attachment of the reply does not match its hash %s; skipped", sha);
          continue;
        }
      g_mkdir_with_parents (dir, 0700);
      if (g_file_set_contents_full (path, (const char *)bytes, len, G_FILE_SET_CONTENTS_CONSISTENT,
                                    0600, NULL))
        saved++;
    }
  return saved;
}

static gboolean
apply_reply (
    PcmbnStore *store, JsonObject *reply, PcmbnSyncStats *stats, gboolean *already, GError **error)
{
  gint64 serial = pcmbn_wire_get_int (reply, "serial", 0);
  gint64 applied = meta_int (store, PCMBN_BUNDLE_META_REPLY);
  JsonArray *results = pcmbn_wire_get_array (reply, "results");
  JsonArray *revs = pcmbn_wire_get_array (reply, "revs");
  JsonArray *changes = pcmbn_wire_get_array (reply, "changes");
  g_autofree PcmbnSentRecord *sent = NULL;
  g_autofree char *now = pcmbn_now_utc ();
  guint n;

  if (serial <= 0 || results == NULL || revs == NULL || changes == NULL
      || json_array_get_length (results) != json_array_get_length (revs))
    {
      bundle_invalid (error, _ ("The reply is incomplete; ask the office to make it again."));
      return FALSE;
    }
  if (serial == applied)
    {
      *already = TRUE;
      return TRUE;
    }
  if (serial < applied)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("This reply (number %lld) is older than one already applied (number "
                      "%lld). Nothing was changed; import the newest reply."),
                   (long long)serial, (long long)applied);
      return FALSE;
    }

  n = json_array_get_length (results);
  sent = g_new0 (PcmbnSentRecord, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (results, i);
      JsonObject *result = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      sent[i].uuid = result ? pcmbn_wire_get_string (result, "uuid") : NULL;
      sent[i].local_rev = json_array_get_int_element (revs, i);
    }

  /* The whole reply, its serial and the pull position, or nothing. */
  if (!pcmbn_store_begin (store, error))
    return FALSE;
  if (!pcmbn_sync_apply_results (store, sent, n, results, stats, error)
      || !pcmbn_sync_apply_changes (store, changes, NULL, pcmbn_wire_get_int (reply, "since", 0),
                                    pcmbn_wire_get_int (reply, "next", 0), stats, error)
      || !set_meta_int (store, PCMBN_BUNDLE_META_REPLY, serial, error)
      || !pcmbn_store_set_meta (store, PCMBN_BUNDLE_META_LAST, now, error)
      || !pcmbn_store_set_meta (store, PCMBN_SYNC_META_LAST, now, error))
    {
      pcmbn_store_rollback (store);
      return FALSE;
    }
  if (!pcmbn_store_commit (store, error))
    return FALSE;
  save_blobs (store, pcmbn_wire_get_array (reply, "blobs"));
  return TRUE;
}

static gboolean
import_enrolment (PcmbnStore *store,
                  GBytes *file,
                  const char *device_id,
                  PcmbnSyncStats *stats,
                  gboolean *already,
                  GError **error)
{
  g_autofree char *sk_hex = pcmbn_store_get_meta (store, PCMBN_BUNDLE_META_ENROL_KEY);
  g_autofree char *token_now = pcmbn_store_get_meta (store, PCMBN_SYNC_META_TOKEN);
  g_autofree char *device_now = pcmbn_store_get_meta (store, PCMBN_SYNC_META_DEVICE);
  guint8 sk[crypto_box_SECRETKEYBYTES], pk[crypto_box_PUBLICKEYBYTES];
  guint8 key[PCMBN_BUNDLE_KEY_SIZE];
  g_autoptr (JsonObject) reply = NULL;
  g_autofree guint8 *sealed = NULL;
  g_autofree char *token = NULL, *hash = NULL;
  const char *org_unit, *sealed_hex, *own = pcmbn_store_get_org_unit (store);
  JsonObject *reference;
  JsonArray *units;
  gsize sealed_len;

  if (token_now != NULL && g_strcmp0 (device_now, device_id) == 0)
    {
      *already = TRUE;
      return TRUE;
    }
  if (sk_hex == NULL || token_now != NULL)
    {
      bundle_invalid (error, _ ("This logbook did not ask for this enrolment. Import the reply "
                                "on the computer that made the enrolment bundle."));
      return FALSE;
    }
  if (sodium_hex2bin (sk, sizeof sk, sk_hex, strlen (sk_hex), NULL, NULL, NULL) != 0)
    {
      bundle_invalid (error, _ ("The enrolment key of this logbook is damaged; make a new "
                                "enrolment bundle."));
      return FALSE;
    }
  crypto_scalarmult_base (pk, sk);

  /* The token is needed to check the signature: open the seal first, and
   * trust nothing else of the payload until the signature holds. */
  {
    g_autoptr (GBytes) text = NULL;
    g_autoptr (JsonNode) node = NULL;
    const guint8 *payload;
    gsize payload_len;
    g_autoptr (GBytes) compressed = NULL;

    if (!split (file, NULL, NULL, NULL, NULL, &payload, &payload_len, error))
      return FALSE;
    compressed = g_bytes_new_static (payload, payload_len);
    text = pcmbn_wire_gunzip (compressed, PCMBN_BUNDLE_MAX_SIZE, error);
    if (text == NULL)
      return FALSE;
    node = pcmbn_wire_parse_json (g_bytes_get_data (text, NULL), g_bytes_get_size (text), error);
    if (node == NULL)
      return FALSE;
    sealed_hex = JSON_NODE_HOLDS_OBJECT (node)
                     ? pcmbn_wire_get_string (json_node_get_object (node), "sealed_token")
                     : NULL;
    sealed_len = sealed_hex ? strlen (sealed_hex) / 2 : 0;
    if (sealed_len <= crypto_box_SEALBYTES)
      {
        bundle_invalid (error, _ ("The enrolment reply is incomplete."));
        return FALSE;
      }
    sealed = g_malloc (sealed_len);
    token = g_malloc0 (sealed_len - crypto_box_SEALBYTES + 1);
    if (sodium_hex2bin (sealed, sealed_len, sealed_hex, strlen (sealed_hex), NULL, NULL, NULL) != 0
        || crypto_box_seal_open ((guint8 *)token, sealed, sealed_len, pk, sk) != 0)
      {
        sodium_memzero (sk, sizeof sk);
        bundle_invalid (error, _ ("The enrolment reply was made for another enrolment bundle. "
                                  "Nothing was changed."));
        return FALSE;
      }
    sodium_memzero (sk, sizeof sk);
  }
  hash = pcmbn_sha256_hex ((const guint8 *)token, strlen (token));
  pcmbn_bundle_key_from_token_hash (hash, key);
  reply = pcmbn_bundle_open (file, PCMBN_BUNDLE_ENROL_REPLY, device_id, key, error);
  sodium_memzero (key, sizeof key);
  if (reply == NULL)
    return FALSE;
  org_unit = pcmbn_wire_get_string (reply, "org_unit");
  if (org_unit == NULL)
    {
      bundle_invalid (error, _ ("The enrolment reply is incomplete."));
      return FALSE;
    }
  if (own && !g_str_equal (own, org_unit))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("The code is for commune %s but this logbook belongs to %s. Ask the district "
                      "office for a code for %s."),
                   org_unit, own, own);
      return FALSE;
    }

  if (!pcmbn_store_begin (store, error))
    return FALSE;
  if (own == NULL)
    {
      g_autoptr (GError) local = NULL;
      if (!pcmbn_store_init_commune (store, org_unit, NULL, NULL, &local)
          && (!pcmbn_store_set_meta (store, "org_unit", org_unit, error)
              || !pcmbn_store_set_meta (store, "profile", "culture", error)))
        goto fail;
    }
  reference = pcmbn_wire_get_object (reply, "reference");
  units = reference ? pcmbn_wire_get_array (reference, "org_units") : NULL;
  for (guint i = 0; units && i < json_array_get_length (units); i++)
    {
      JsonNode *node = json_array_get_element (units, i);
      if (JSON_NODE_HOLDS_OBJECT (node)
          && !pcmbn_store_sync_apply_unit (store, json_node_get_object (node), error))
        goto fail;
    }
  if (!pcmbn_store_set_meta (store, PCMBN_SYNC_META_TOKEN, token, error)
      || !pcmbn_store_set_meta (store, PCMBN_SYNC_META_DEVICE, device_id, error)
      || !pcmbn_store_set_meta (store, PCMBN_SYNC_META_CURSOR, "0", error)
      || !pcmbn_store_set_meta (store, PCMBN_BUNDLE_META_ENROL_KEY, NULL, error))
    goto fail;
  {
    const char *server = pcmbn_wire_get_string (reply, "server_url");
    if (server && !pcmbn_store_set_meta (store, PCMBN_SYNC_META_SERVER, server, error))
      goto fail;
  }
  if (!apply_reply (store, reply, stats, already, error))
    goto fail;
  sodium_memzero (token, strlen (token));
  return pcmbn_store_commit (store, error);

fail:
  sodium_memzero (token, strlen (token));
  pcmbn_store_rollback (store);
  return FALSE;
}

/**
 * pcmbn_bundle_import:
 * @store: the logbook the reply is for
 * @path: the reply file the server made
 * @stats: (out caller-allocates): what applying it did
 * @already_applied: (out) (optional): set when this very reply was applied
 *   before, which changes nothing
 * @error: return location for an error; %PCMBN_ERROR_INVALID when the
 *   reply is damaged, changed, for another device, or older than one applied
 *
 * Applies a server's reply like the end of a sync: the results of the
 * push, then the changes this device lacked, then the attachments. All of it
 * or none of it.
 *
 * Returns: %TRUE when the reply was applied (or had been already)
 */
gboolean
pcmbn_bundle_import (PcmbnStore *store,
                     const char *path,
                     PcmbnSyncStats *stats,
                     gboolean *already_applied,
                     GError **error)
{
  g_autoptr (GBytes) file = NULL;
  g_autofree char *kind = NULL, *device = NULL, *own = NULL;
  g_autoptr (JsonObject) reply = NULL;
  guint8 key[PCMBN_BUNDLE_KEY_SIZE];
  gboolean already = FALSE, ok;

  memset (stats, 0, sizeof *stats);
  if (!sodium_ready (error))
    return FALSE;
  file = pcmbn_bundle_read_file (path, error);
  if (file == NULL || !pcmbn_bundle_peek (file, &kind, &device, error))
    return FALSE;
  if (g_str_equal (kind, PCMBN_BUNDLE_ENROL_REPLY))
    ok = import_enrolment (store, file, device, stats, &already, error);
  else if (!g_str_equal (kind, PCMBN_BUNDLE_REPLY))
    {
      bundle_invalid (error, _ ("This bundle is not a reply from the server; a reply is the "
                                "file the office made from this logbook’s bundle."));
      return FALSE;
    }
  else
    {
      if (!device_key (store, &own, key, error))
        return FALSE;
      reply = pcmbn_bundle_open (file, PCMBN_BUNDLE_REPLY, own, key, error);
      sodium_memzero (key, sizeof key);
      ok = reply != NULL && apply_reply (store, reply, stats, &already, error);
    }
  if (ok && !already)
    pcmbn_store_emit_changed (store, NULL);
  if (already_applied)
    *already_applied = already;
  return ok;
}

/* ---- async ---------------------------------------------------------------- */

typedef struct
{
  char *path;
  guint n_records;
  PcmbnSyncStats stats;
  gboolean already;
} BundleTask;

static void
bundle_task_free (BundleTask *t)
{
  g_free (t->path);
  g_free (t);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  BundleTask *t = task_data;
  GError *error = NULL;

  if (pcmbn_bundle_export (PCMBN_STORE (source), t->path, &t->n_records, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  BundleTask *t = task_data;
  GError *error = NULL;

  if (pcmbn_bundle_import (PCMBN_STORE (source), t->path, &t->stats, &t->already, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_bundle_task (PcmbnStore *store,
                 const char *path,
                 GTaskThreadFunc func,
                 gpointer tag,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (store, cancellable, callback, user_data);
  BundleTask *t = g_new0 (BundleTask, 1);

  t->path = g_strdup (path);
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, t, (GDestroyNotify)bundle_task_free);
  g_task_run_in_thread (task, func);
}

/**
 * pcmbn_bundle_export_async:
 * @store: an enrolled logbook
 * @path: the bundle file to write
 * @cancellable: (nullable): a cancellable
 * @callback: called in the caller's thread when the file is written
 * @user_data: data for @callback
 *
 * pcmbn_bundle_export() in a worker thread.
 */
void
pcmbn_bundle_export_async (PcmbnStore *store,
                           const char *path,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  run_bundle_task (store, path, export_thread, pcmbn_bundle_export_async, cancellable, callback,
                   user_data);
}

/**
 * pcmbn_bundle_export_finish:
 * @store: the logbook
 * @result: the result given to the callback
 * @n_records: (out) (optional): the records the bundle holds
 * @error: return location for an error
 *
 * Returns: %TRUE when the file was written
 */
gboolean
pcmbn_bundle_export_finish (PcmbnStore *store,
                            GAsyncResult *result,
                            guint *n_records,
                            GError **error)
{
  BundleTask *t = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (n_records)
    *n_records = t->n_records;
  return TRUE;
}

/**
 * pcmbn_bundle_import_async:
 * @store: the logbook the reply is for
 * @path: the reply file
 * @cancellable: (nullable): a cancellable
 * @callback: called in the caller's thread when the reply is applied
 * @user_data: data for @callback
 *
 * pcmbn_bundle_import() in a worker thread.
 */
void
pcmbn_bundle_import_async (PcmbnStore *store,
                           const char *path,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  run_bundle_task (store, path, import_thread, pcmbn_bundle_import_async, cancellable, callback,
                   user_data);
}

/**
 * pcmbn_bundle_import_finish:
 * @store: the logbook
 * @result: the result given to the callback
 * @stats: (out caller-allocates) (optional): what applying it did
 * @already_applied: (out) (optional): whether the reply had been applied
 * @error: return location for an error
 *
 * Returns: %TRUE when the reply was applied (or had been already)
 */
gboolean
pcmbn_bundle_import_finish (PcmbnStore *store,
                            GAsyncResult *result,
                            PcmbnSyncStats *stats,
                            gboolean *already_applied,
                            GError **error)
{
  BundleTask *t = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (stats)
    *stats = t->stats;
  if (already_applied)
    *already_applied = t->already;
  return TRUE;
}
