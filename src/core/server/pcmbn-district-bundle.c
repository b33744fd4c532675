/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "pcmbn-util.h"
#include "server/pcmbn-district-store.h"
#include "sync/pcmbn-bundle.h"
#include "sync/pcmbn-wire.h"

/* The server's side of sync by USB stick: a device's bundle is applied
 * exactly like an HTTP push from that device (the same validation, results,
 * conflicts, quarantine and audit, through pcmbn_district_store_push()), and
 * the reply holds the results and every change the device lacks, signed for
 * that device. See sync/pcmbn-bundle.c for the file and its signature. */

#define PULL_PAGE 5000

static char *
meta_key (const char *what, const char *device_id)
{
  return g_strconcat (what, ":", device_id, NULL);
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

/* Every change of the commune after @since, as one array. */
static gboolean
all_changes (PcmbnDistrictStore *self,
             const char *org_unit,
             gint64 since,
             GString *out,
             gint64 *next,
             GError **error)
{
  gboolean first = TRUE;

  g_string_append_c (out, '[');
  *next = since;
  for (;;)
    {
      g_autofree char *page = pcmbn_district_store_changes_since (self, org_unit, *next, PULL_PAGE,
                                                                  error);
      g_autoptr (JsonNode) node = NULL;
      JsonObject *object;
      JsonArray *changes;
      gint64 page_next;

      if (page == NULL)
        return FALSE;
      node = pcmbn_wire_parse_json (page, strlen (page), error);
      if (node == NULL)
        return FALSE;
      object = json_node_get_object (node);
      changes = pcmbn_wire_get_array (object, "changes");
      page_next = pcmbn_wire_get_int (object, "next", *next);
      for (guint i = 0; changes && i < json_array_get_length (changes); i++)
        {
          g_autofree char *text = pcmbn_wire_to_string (json_array_get_element (changes, i));
          if (!first)
            g_string_append_c (out, ',');
          g_string_append (out, text);
          first = FALSE;
        }
      if (!pcmbn_wire_get_bool (object, "more", FALSE) || page_next <= *next)
        {
          *next = MAX (page_next, *next);
          break;
        }
      *next = page_next;
    }
  g_string_append_c (out, ']');
  return TRUE;
}

/* Keeps each attachment of the bundle whose content matches its name. */
static guint
put_blobs (PcmbnDistrictStore *self, JsonArray *blobs, PcmbnDistrictPrincipal *device)
{
  guint n = 0;

  for (guint i = 0; blobs && i < json_array_get_length (blobs); i++)
    {
      JsonNode *node = json_array_get_element (blobs, i);
      JsonObject *blob = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *sha = blob ? pcmbn_wire_get_string (blob, "sha256") : NULL;
      const char *data = blob ? pcmbn_wire_get_string (blob, "data") : NULL;
      g_autofree guchar *bytes = NULL;
      g_autofree char *hash = NULL;
      g_autoptr (GBytes) content = NULL;
      gsize len = 0;

      if (sha == NULL || data == NULL)
        continue;
      bytes = g_base64_decode (data, &len);
      hash = pcmbn_sha256_hex (bytes, len);
      if (!g_str_equal (hash, sha) || len > PCMBN_BUNDLE_MAX_SIZE)
        {
          g_warning ("a bundle's attachment does not match its hash %s; skipped", sha);
          continue;
        }
      content = g_bytes_new_take (g_steal_pointer (&bytes), len);
      if (pcmbn_district_store_put_blob (self, sha, content, device, NULL))
        n++;
    }
  return n;
}

static GBytes *
answer_push (
    PcmbnDistrictStore *self, GBytes *file, const char *device_id, guint *n_records, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autofree char *token_hash = NULL, *serial_key = NULL, *reply_key = NULL;
  g_autofree char *revs_text = NULL, *now = NULL;
  g_autoptr (PcmbnDistrictPrincipal) device = NULL;
  g_autoptr (JsonObject) bundle = NULL;
  g_autoptr (GString) result_list = g_string_new (NULL);
  g_autoptr (GString) payload = g_string_new (NULL);
  guint8 key[PCMBN_BUNDLE_KEY_SIZE];
  JsonArray *revs, *all_records;
  guint n;
  gint64 serial, since, next, reply_serial;
  GBytes *out;

  token_hash = pcmbn_district_store_device_token_hash (self, device_id, error);
  if (token_hash == NULL)
    return NULL;
  pcmbn_bundle_key_from_token_hash (token_hash, key);
  bundle = pcmbn_bundle_open (file, PCMBN_BUNDLE_PUSH, device_id, key, error);
  if (bundle == NULL)
    {
      g_autofree char *actor = g_strconcat ("device:", device_id, NULL);
      pcmbn_district_store_audit (self, actor, "bundle", NULL, "bundle", FALSE);
      return NULL;
    }
  device = pcmbn_district_store_authenticate_hash (self, token_hash, error);
  if (device == NULL)
    return NULL;
  if (device->kind != PCMBN_DISTRICT_TOKEN_DEVICE || device->revoked)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("Device %s was revoked by the district office; its bundles are not "
                      "accepted. Enrol the logbook again."),
                   device_id);
      return NULL;
    }

  serial = pcmbn_wire_get_int (bundle, "serial", 0);
  since = MAX (pcmbn_wire_get_int (bundle, "since", 0), 0);
  serial_key = meta_key ("bundle_serial", device_id);
  reply_key = meta_key ("bundle_reply", device_id);
  if (serial <= 0 || pcmbn_wire_get_array (bundle, "records") == NULL
      || pcmbn_wire_get_array (bundle, "revs") == NULL)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("The bundle is incomplete; make it again on the commune’s computer."));
      return NULL;
    }
  if (serial < meta_int (store, serial_key))
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("This bundle (number %lld) is older than one already applied from device "
                      "%s. Nothing was changed; use the newest bundle."),
                   (long long)serial, device_id);
      return NULL;
    }

  revs = pcmbn_wire_get_array (bundle, "revs");
  all_records = pcmbn_wire_get_array (bundle, "records");
  n = json_array_get_length (all_records);
  if (json_array_get_length (revs) != n)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("The bundle is incomplete; make it again on the commune’s computer."));
      return NULL;
    }
  put_blobs (self, pcmbn_wire_get_array (bundle, "blobs"), device);

  /* The records go through the very path of an HTTP push, in pushes of
   * the size HTTP allows. A failure part way leaves the earlier pushes
   * stored; the same bundle applied again finds them as retries. */
  g_string_append_c (result_list, '[');
  for (guint start = 0; start < n; start += PCMBN_WIRE_MAX_RECORDS)
    {
      g_autoptr (GString) body = g_string_new ("{\"records\":[");
      g_autoptr (GPtrArray) records = NULL;
      g_autoptr (JsonNode) answer = NULL;
      g_autofree char *results = NULL;
      JsonArray *list;

      for (guint i = start; i < MIN (n, start + PCMBN_WIRE_MAX_RECORDS); i++)
        {
          g_autofree char *text = pcmbn_wire_to_string (json_array_get_element (all_records, i));
          if (i > start)
            g_string_append_c (body, ',');
          g_string_append (body, text);
        }
      g_string_append (body, "]}");
      records = pcmbn_wire_parse_push (body->str, body->len, error);
      if (records == NULL)
        return NULL;
      results = pcmbn_district_store_push (self, device, records, error);
      if (results == NULL)
        return NULL;
      answer = pcmbn_wire_parse_json (results, strlen (results), error);
      if (answer == NULL)
        return NULL;
      list = pcmbn_wire_get_array (json_node_get_object (answer), "results");
      for (guint i = 0; list && i < json_array_get_length (list); i++)
        {
          g_autofree char *text = pcmbn_wire_to_string (json_array_get_element (list, i));
          if (result_list->len > 1)
            g_string_append_c (result_list, ',');
          g_string_append (result_list, text);
        }
    }
  g_string_append_c (result_list, ']');

  reply_serial = meta_int (store, reply_key) + 1;
  now = pcmbn_now_utc ();
  g_string_append (payload, "{\"format\":1,\"kind\":\"" PCMBN_BUNDLE_REPLY "\",\"device\":");
  pcmbn_wire_append_string (payload, device_id);
  revs_text = pcmbn_wire_to_string (json_object_get_member (bundle, "revs"));
  g_string_append_printf (
      payload,
      ",\"serial\":%" G_GINT64_FORMAT ",\"bundle_serial\":%" G_GINT64_FORMAT
      ",\"created_at\":\"%s\",\"results\":%s,\"revs\":%s,\"since\":%" G_GINT64_FORMAT
      ",\"changes\":",
      reply_serial, serial, now, result_list->str, revs_text, since);
  if (!all_changes (self, device->org_unit, since, payload, &next, error))
    return NULL;
  g_string_append_printf (payload, ",\"next\":%" G_GINT64_FORMAT ",\"blobs\":[]}", next);

  if (!pcmbn_store_begin (store, error))
    return NULL;
  if (!set_meta_int (store, serial_key, serial, error)
      || !set_meta_int (store, reply_key, reply_serial, error)
      || !pcmbn_district_store_note_bundle (self, device->org_unit, error))
    {
      pcmbn_store_rollback (store);
      return NULL;
    }
  if (!pcmbn_store_commit (store, error))
    return NULL;
  {
    g_autofree char *object = g_strdup_printf ("%u records, bundle %" G_GINT64_FORMAT, n, serial);
    pcmbn_district_store_audit (self, device->actor, "bundle", object, "bundle", TRUE);
  }
  out = pcmbn_bundle_seal (PCMBN_BUNDLE_REPLY, device_id, key, payload->str, payload->len);
  sodium_memzero (key, sizeof key);
  if (n_records)
    *n_records = n;
  return out;
}

static GBytes *
answer_enrolment (PcmbnDistrictStore *self, GBytes *file, const char *server_url, GError **error)
{
  PcmbnStore *store = pcmbn_district_store_get_store (self);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (PcmbnDistrictEnrolment) enrolment = NULL;
  g_autoptr (JsonNode) reference = NULL;
  g_autoptr (GString) payload = g_string_new (NULL);
  g_autofree char *token_hash = NULL, *reference_text = NULL, *reply_key = NULL;
  g_autofree guint8 *sealed = NULL;
  g_autofree char *sealed_hex = NULL;
  guint8 pk[crypto_box_PUBLICKEYBYTES], key[PCMBN_BUNDLE_KEY_SIZE];
  const char *pk_hex;
  gsize token_len, sealed_len;
  gint64 next;
  GBytes *out;

  request = pcmbn_bundle_open (file, PCMBN_BUNDLE_ENROL, "-", NULL, error);
  if (request == NULL)
    return NULL;
  pk_hex = pcmbn_wire_get_string (request, "public_key");
  if (pk_hex == NULL || pcmbn_wire_get_string (request, "code") == NULL
      || sodium_hex2bin (pk, sizeof pk, pk_hex, strlen (pk_hex), NULL, NULL, NULL) != 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("The enrolment bundle is incomplete; make it again on the commune’s "
                      "computer."));
      return NULL;
    }
  enrolment = pcmbn_district_store_enroll (
      self, pcmbn_wire_get_string (request, "code"), pcmbn_wire_get_string (request, "device_name"),
      pcmbn_wire_get_string (request, "org_unit"), "bundle", error);
  if (enrolment == NULL)
    return NULL;

  token_len = strlen (enrolment->token);
  sealed_len = token_len + crypto_box_SEALBYTES;
  sealed = g_malloc (sealed_len);
  crypto_box_seal (sealed, (const guint8 *)enrolment->token, token_len, pk);
  sealed_hex = g_malloc (sealed_len * 2 + 1);
  sodium_bin2hex (sealed_hex, sealed_len * 2 + 1, sealed, sealed_len);
  reference = pcmbn_district_store_reference (self, enrolment->org_unit);
  reference_text = reference ? pcmbn_wire_to_string (reference) : g_strdup ("null");

  g_string_append (payload, "{\"format\":1,\"kind\":\"" PCMBN_BUNDLE_ENROL_REPLY "\",\"device\":");
  pcmbn_wire_append_string (payload, enrolment->device_id);
  g_string_append (payload, ",\"org_unit\":");
  pcmbn_wire_append_string (payload, enrolment->org_unit);
  if (server_url)
    {
      g_string_append (payload, ",\"server_url\":");
      pcmbn_wire_append_string (payload, server_url);
    }
  g_string_append_printf (payload,
                          ",\"sealed_token\":\"%s\",\"reference\":%s,\"serial\":1,\"results\":[],"
                          "\"revs\":[],\"since\":0,\"changes\":",
                          sealed_hex, reference_text);
  if (!all_changes (self, enrolment->org_unit, 0, payload, &next, error))
    return NULL;
  g_string_append_printf (payload, ",\"next\":%" G_GINT64_FORMAT ",\"blobs\":[]}", next);
  reply_key = meta_key ("bundle_reply", enrolment->device_id);
  if (!set_meta_int (store, reply_key, 1, error))
    return NULL;

  token_hash = pcmbn_district_hash_secret (enrolment->token);
  pcmbn_bundle_key_from_token_hash (token_hash, key);
  out = pcmbn_bundle_seal (PCMBN_BUNDLE_ENROL_REPLY, enrolment->device_id, key, payload->str,
                           payload->len);
  sodium_memzero (key, sizeof key);
  sodium_memzero (enrolment->token, token_len);
  return out;
}

/**
 * pcmbn_district_store_answer_bundle:
 * @self: a server database
 * @file: the bytes of a device's bundle
 * @server_url: (nullable): this server's public address, which a device
 *   enrolled by bundle keeps for a later sync over the network
 * @n_records: (out) (optional): the records the bundle held
 * @error: return location for an error; %PCMBN_ERROR_INVALID when the
 *   bundle is damaged, changed, from an unknown or revoked device, or older
 *   than one already applied (nothing is stored then)
 *
 * Applies a device's bundle like a push from it, or an enrolment request
 * like an enrolment, and makes the reply for that device.
 *
 * Returns: (transfer full) (nullable): the reply file's bytes
 */
GBytes *
pcmbn_district_store_answer_bundle (PcmbnDistrictStore *self,
                                    GBytes *file,
                                    const char *server_url,
                                    guint *n_records,
                                    GError **error)
{
  g_autofree char *kind = NULL, *device_id = NULL;

  if (sodium_init () < 0)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The cryptography library could not start."));
      return NULL;
    }
  if (n_records)
    *n_records = 0;
  if (!pcmbn_bundle_peek (file, &kind, &device_id, error))
    return NULL;
  if (g_str_equal (kind, PCMBN_BUNDLE_PUSH))
    return answer_push (self, file, device_id, n_records, error);
  if (g_str_equal (kind, PCMBN_BUNDLE_ENROL))
    return answer_enrolment (self, file, server_url, error);
  if (g_str_equal (kind, PCMBN_BUNDLE_REPLY) || g_str_equal (kind, PCMBN_BUNDLE_ENROL_REPLY))
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                 _ ("This file is a server’s reply, not a commune’s bundle. Give the server the "
                    "file that “pcmbn bundle export” or “pcmbn bundle enroll” made."));
  else
    g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                 _ ("The bundle is damaged: its first line cannot be read. Nothing was changed; "
                    "make the bundle again."));
  return NULL;
}
