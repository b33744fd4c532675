/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records/pcmbn-schema.h"
#include "sync/pcmbn-wire.h"

/* libFuzzer target for what the district server does with a push body
 * before it touches the database: gunzip (when the bytes are gzip), the
 * envelope and record parser, strip of case notes, the shared schema's
 * normalize and validate, the edit hash, and the RESULT text written back.
 * Built only with -Dfuzzing=true (clang):
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined
 *   ninja -C build-fuzz tests/fuzz/fuzz-push
 *   build-fuzz/tests/fuzz/fuzz-push -dict=tests/fuzz/push.dict NEW_DIR tests/fuzz/corpus
 *
 * Besides the sanitizers, it checks that every answer it writes is JSON. */

#define FUZZ_GUNZIP_LIMIT (1024 * 1024)

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* A critical warning is a bug found. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static JsonObject *
no_refs (const char *uuid, const char *kind, gpointer user_data)
{
  return NULL; /* no record exists on this server */
}

static void
assert_json (GString *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text->str, text->len, NULL))
    {
      g_printerr ("an answer is not JSON: %s\n", text->str);
      abort ();
    }
}

static void
check_record (PcmbnWireRecord *r, GString *answer)
{
  g_autoptr (JsonObject) input = NULL;
  g_autoptr (JsonObject) data = NULL;
  g_autoptr (GPtrArray) errors = NULL;
  g_autofree char *text = NULL, *hash = NULL, *message = NULL;

  g_string_append (answer, "{\"uuid\":");
  pcmbn_wire_append_string (answer, r->uuid);
  if (r->error_code)
    {
      g_string_append (answer, ",\"error\":");
      pcmbn_wire_append_string (answer, r->error_message);
      g_string_append (answer, ",\"field\":");
      pcmbn_wire_append_string (answer, r->error_field);
      g_string_append_c (answer, '}');
      return;
    }
  g_assert (r->kind != NULL && r->data != NULL && r->org_unit != NULL);
  input = pcmbn_wire_strip_sensitive (r->kind, r->data, NULL);
  g_assert (!pcmbn_schema_has_sensitive (r->kind, input));
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  data = pcmbn_schema_normalize (r->kind, input, NULL, errors);
  if (!r->deleted)
    pcmbn_schema_validate (r->kind, data, no_refs, NULL, errors);
  if (errors->len > 0)
    message = pcmbn_field_errors_to_string (errors);
  text = pcmbn_wire_object_to_string (data);
  hash = pcmbn_wire_edit_hash_text (r->kind, r->base_version, r->deleted, text);
  g_assert (strlen (hash) == 64);
  g_string_append (answer, ",\"org_unit\":");
  pcmbn_wire_append_string (answer, r->org_unit);
  g_string_append (answer, ",\"modified_at\":");
  pcmbn_wire_append_string (answer, r->modified_at);
  g_string_append (answer, ",\"error\":");
  pcmbn_wire_append_string (answer, message);
  /* The normalized data goes out verbatim in pulls: it must be JSON too. */
  g_string_append (answer, ",\"data\":");
  g_string_append (answer, text);
  g_string_append_c (answer, '}');
}

/* The server reads a push record by record when the body splits
 * (pcmbn_wire_split_push()), and whole when it does not or a record cannot
 * be read: when every record reads, the whole body must read the same. */
static void
check_split (const char *body, gsize len, GPtrArray *whole)
{
  g_autoptr (GArray) spans = pcmbn_wire_split_push (body, len);
  g_autoptr (GPtrArray)
      alone = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_wire_record_free);

  if (spans == NULL || spans->len > PCMBN_WIRE_MAX_RECORDS)
    return;
  for (guint i = 0; i < spans->len; i++)
    {
      PcmbnWireSpan *span = &g_array_index (spans, PcmbnWireSpan, i);
      PcmbnWireRecord *r;

      g_assert (span->start + span->len <= len);
      r = pcmbn_wire_parse_push_record (body + span->start, span->len);
      if (r == NULL)
        return; /* the server reads this body whole */
      g_ptr_array_add (alone, r);
    }
  if (whole == NULL || whole->len != alone->len)
    {
      g_printerr ("the body splits into %u readable records but reads as %d\n", alone->len,
                  whole ? (int)whole->len : -1);
      abort ();
    }
  for (guint i = 0; i < alone->len; i++)
    {
      PcmbnWireRecord *a = alone->pdata[i], *w = whole->pdata[i];
      if (g_strcmp0 (a->uuid, w->uuid) != 0 || g_strcmp0 (a->error_code, w->error_code) != 0)
        {
          g_printerr ("record %u reads otherwise alone than in the whole body\n", i);
          abort ();
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) plain = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) answer = g_string_new ("{\"results\":[");
  const char *body = (const char *)data;
  gsize len = size;

  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    {
      g_autoptr (GBytes) compressed = g_bytes_new (data, size);
      plain = pcmbn_wire_gunzip (compressed, FUZZ_GUNZIP_LIMIT, &error);
      if (plain == NULL)
        {
          g_assert (error != NULL && error->domain == PCMBN_WIRE_ERROR);
          return 0;
        }
      g_assert (g_bytes_get_size (plain) <= FUZZ_GUNZIP_LIMIT);
      body = g_bytes_get_data (plain, &len);
    }
  records = pcmbn_wire_parse_push (body ? body : "", len, &error);
  if (len <= PCMBN_WIRE_MAX_BODY)
    check_split (body ? body : "", len, records);
  if (records == NULL)
    {
      g_assert (error != NULL && error->domain == PCMBN_WIRE_ERROR);
      return 0;
    }
  g_assert (error == NULL);
  g_assert (records->len <= PCMBN_WIRE_MAX_RECORDS);
  for (guint i = 0; i < records->len; i++)
    {
      if (i > 0)
        g_string_append_c (answer, ',');
      check_record (records->pdata[i], answer);
    }
  g_string_append (answer, "]}");
  assert_json (answer);
  return 0;
}
