/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-wire"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libdeflate.h>
#include <string.h>

#include "pcmbn-random.h"
#include "pcmbn-util.h"
#include "records/pcmbn-json-text.h"
#include "records/pcmbn-json-fast.h"
#include "sync/pcmbn-wire.h"

/* Everything here reads input from the network: it must survive any bytes,
 * never recurse on attacker-chosen depth and never allocate more than the
 * limits of interfaces.md. */

/* clang-format off: the quark name is stringified as written */
G_DEFINE_QUARK (pcmbn - wire - error - quark, pcmbn_wire_error)
/* clang-format on */

void
pcmbn_wire_record_free (PcmbnWireRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->uuid);
  g_free (record->org_unit);
  g_free (record->modified_at);
  g_clear_pointer (&record->data, json_object_unref);
  g_free (record->data_text);
  g_free (record->error_code);
  g_free (record->error_field);
  g_free (record->error_message);
  g_free (record);
}

static gboolean
check_json (const char *text, gsize len, gboolean *surrogates, GError **error)
{
  int depth = 0;
  gboolean in_string = FALSE, escape = FALSE;

  if (!g_utf8_validate_len (text, len, NULL))
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                   _ ("The body is not UTF-8 text."));
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      if (in_string)
        {
          if (escape)
            {
              escape = FALSE;
              /* json-glib decodes \u0000 and then cuts the text there: the
               * rest of the string would vanish without a word. Refused
               * like the control characters it already refuses raw. */
              if (c == 'u' && i + 4 < len && memcmp (text + i + 1, "0000", 4) == 0)
                {
                  g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                               _ ("The body holds \\u0000 inside a string; text may not "
                                  "contain a NUL character."));
                  return FALSE;
                }
              /* \uD800–\uDFFF: json-glib decodes a lone one into bytes that
               * are not UTF-8; the tree is checked after parsing. */
              if (c == 'u' && i + 2 < len && (text[i + 1] == 'd' || text[i + 1] == 'D')
                  && text[i + 2] != '\0' && strchr ("89abcdefABCDEF", text[i + 2]) != NULL)
                *surrogates = TRUE;
            }
          else if (c == '\\')
            escape = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > PCMBN_WIRE_MAX_DEPTH)
            {
              g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                           _ ("The body nests JSON more than %d levels deep."),
                           PCMBN_WIRE_MAX_DEPTH);
              return FALSE;
            }
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

/**
 * pcmbn_wire_check_json:
 * @text: (array length=len): bytes received
 * @len: their number
 * @error: return location for a %PCMBN_WIRE_ERROR_MALFORMED error
 *
 * The checks json-glib does not make: UTF-8, no NUL byte, and a nesting
 * depth of at most %PCMBN_WIRE_MAX_DEPTH, because its parser recurses once
 * per level and a body of brackets would overflow the stack.
 *
 * Returns: %TRUE when @text may be given to the JSON parser
 */
gboolean
pcmbn_wire_check_json (const char *text, gsize len, GError **error)
{
  gboolean surrogates = FALSE;

  return check_json (text, len, &surrogates, error);
}

/* Every member name and string is UTF-8; @node is at most
 * %PCMBN_WIRE_MAX_DEPTH deep (check_json() saw to it). */
static gboolean
text_is_valid (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, NULL) || !text_is_valid (member))
          return FALSE;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!text_is_valid (json_array_get_element (array, i)))
          return FALSE;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_utf8_validate (json_node_get_string (node), -1, NULL);
  return TRUE;
}

/**
 * pcmbn_wire_parse_json:
 * @text: (array length=len): bytes received
 * @len: their number
 * @error: return location for a %PCMBN_WIRE_ERROR_MALFORMED error
 *
 * Returns: (transfer full) (nullable): the document's root
 */
JsonNode *
pcmbn_wire_parse_json (const char *text, gsize len, GError **error)
{
  return pcmbn_wire_parse_json_spans (text, len, NULL, NULL, error);
}

/**
 * pcmbn_wire_parse_json_spans:
 * @text: (array length=len): bytes received
 * @len: their number
 * @member: (nullable): see pcmbn_json_fast_parse_spans()
 * @spans: (out) (optional) (transfer full) (nullable): see
 *   pcmbn_json_fast_parse_spans(); %NULL when json-glib read @text
 * @error: return location for a %PCMBN_WIRE_ERROR_MALFORMED error
 *
 * Returns: (transfer full) (nullable): the document's root
 */
JsonNode *
pcmbn_wire_parse_json_spans (
    const char *text, gsize len, const char *member, PcmbnJsonSpans **spans, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local = NULL;
  gboolean surrogates = FALSE;
  JsonNode *root;

  /* The quick reader takes what devices and servers send (a pull page of
   * 1,000 records spent most of its parsing in json-glib's tokenizer);
   * json-glib, with the checks below, whatever it leaves. */
  root = pcmbn_json_fast_parse_spans (text, len, member, spans);
  if (root != NULL)
    return root;
  if (!check_json (text, len, &surrogates, error))
    return NULL;
  if (len == 0)
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED, _ ("The body is empty."));
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, len, &local))
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                   _ ("The body is not valid JSON: %s"), local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED, _ ("The body is empty."));
      return NULL;
    }
  /* Found by the fuzzer: a lone \uD800 became bytes that are not UTF-8,
   * which then went into error messages and the database. */
  if (surrogates && !text_is_valid (root))
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                   _ ("The body holds a \\u escape that is not a character (a lone UTF-16 "
                      "surrogate)."));
      return NULL;
    }
  return json_node_ref (root);
}

static void
record_error (PcmbnWireRecord *r, const char *code, const char *field, const char *message)
{
  if (r->error_code)
    return;
  r->error_code = g_strdup (code);
  r->error_field = g_strdup (field);
  r->error_message = g_strdup (message);
}

static gboolean
node_is_string (JsonNode *node)
{
  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static PcmbnWireRecord *
parse_record (JsonObject *o)
{
  PcmbnWireRecord *r = g_new0 (PcmbnWireRecord, 1);
  JsonNode *node;

  node = json_object_get_member (o, "uuid");
  if (node_is_string (node))
    r->uuid = g_strdup (json_node_get_string (node));
  if (!pcmbn_uuid_is_valid (r->uuid))
    record_error (
        r, "invalid_uuid", "uuid",
        _ ("is not a lowercase RFC 4122 uuid such as 5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b"));

  node = json_object_get_member (o, "kind");
  if (node_is_string (node))
    r->kind = pcmbn_schema_kind (json_node_get_string (node));
  if (r->kind == NULL)
    record_error (r, "invalid_kind", "kind", _ ("is not a kind of record"));

  node = json_object_get_member (o, "org_unit");
  if (node_is_string (node))
    r->org_unit = g_strdup (json_node_get_string (node));
  else
    record_error (r, "invalid_org_unit", "org_unit", _ ("is missing"));

  node = json_object_get_member (o, "base_version");
  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
      && json_node_get_int (node) >= 0)
    r->base_version = json_node_get_int (node);
  else
    record_error (r, "invalid_base_version", "base_version",
                  _ ("must be the server version the edit started from, 0 for a new record"));

  node = json_object_get_member (o, "deleted");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    r->deleted = FALSE;
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    r->deleted = json_node_get_boolean (node);
  else
    record_error (r, "invalid_deleted", "deleted", _ ("must be true or false"));

  node = json_object_get_member (o, "modified_at");
  if (node_is_string (node))
    {
      const char *text = json_node_get_string (node);
      g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (text, NULL);
      if (when == NULL)
        record_error (r, "invalid_modified_at", "modified_at",
                      _ ("is not a time such as 2026-11-29T09:00:00Z"));
      else
        r->modified_at = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
    }
  else if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    record_error (r, "invalid_modified_at", "modified_at",
                  _ ("is not a time such as 2026-11-29T09:00:00Z"));

  node = json_object_get_member (o, "data");
  if (node && JSON_NODE_HOLDS_OBJECT (node))
    r->data = json_object_ref (json_node_get_object (node));
  else
    record_error (r, "invalid_data", "data", _ ("must be an object of the record’s fields"));
  return r;
}

/**
 * pcmbn_wire_parse_push:
 * @body: (array length=len): the decompressed body of a push
 * @len: its length
 * @error: return location for a %PCMBN_WIRE_ERROR error: MALFORMED when
 *   the body is not the envelope `{"records":[…]}` (400), TOO_LARGE when it
 *   holds more than %PCMBN_WIRE_MAX_RECORDS records (413)
 *
 * A record that is an object but has a bad member comes back with its
 * error_ fields set, so that it alone is rejected.
 *
 * Returns: (transfer full) (element-type PcmbnWireRecord) (nullable): the
 *   records in order
 */
GPtrArray *
pcmbn_wire_parse_push (const char *body, gsize len, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) records = NULL;
  JsonObject *envelope;
  JsonNode *node;
  JsonArray *array;
  guint n;

  if (len > PCMBN_WIRE_MAX_BODY)
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_TOO_LARGE,
                   _ ("The body is larger than %d MiB; send fewer records at a time."),
                   PCMBN_WIRE_MAX_BODY / (1024 * 1024));
      return NULL;
    }
  root = pcmbn_wire_parse_json (body, len, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    goto malformed;
  envelope = json_node_get_object (root);
  node = json_object_get_member (envelope, "records");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    goto malformed;
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > PCMBN_WIRE_MAX_RECORDS)
    {
      g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_TOO_LARGE,
                   _ ("The push holds %u records; send at most %d at a time."), n,
                   PCMBN_WIRE_MAX_RECORDS);
      return NULL;
    }
  records = g_ptr_array_new_full (n, (GDestroyNotify)pcmbn_wire_record_free);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                       _ ("records[%u] is not a record object."), i);
          return NULL;
        }
      g_ptr_array_add (records, parse_record (json_node_get_object (element)));
    }
  return g_steal_pointer (&records);

malformed:
  g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
               _ ("The body must be a JSON object {\"records\": [ … ]}."));
  return NULL;
}

static const char *
skip_space (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* Just past the value at @p, an element of an array: brackets are only
 * counted and strings skipped, the element's own reading checks the rest.
 * A value ends where its bracket or string closes (what follows must be a
 * comma or the array's end), a bare word or number at white space, a comma
 * or a bracket. */
static const char *
skip_element (const char *p, const char *end)
{
  gsize depth = 0;

  while (p < end)
    {
      char c = *p;
      if (c == '"')
        {
          for (p++; p < end && *p != '"'; p++)
            if (*p == '\\')
              p++;
          if (p >= end)
            return NULL;
          p++;
          if (depth == 0)
            return p;
        }
      else if (c == '{' || c == '[')
        {
          /* Two levels lie around it in the body (the envelope and its
           * array): deeper than the whole body may be, it is read whole. */
          if (++depth > PCMBN_WIRE_MAX_DEPTH - 2)
            return NULL;
          p++;
        }
      else if (c == '}' || c == ']')
        {
          if (depth == 0)
            return p;
          p++;
          if (--depth == 0)
            return p;
        }
      else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'))
        return p;
      else
        p++;
    }
  return NULL;
}

/**
 * pcmbn_wire_split_push:
 * @body: (array length=len): the decompressed body of a push
 * @len: its length
 *
 * Finds the records of a push without reading them, so that a server can
 * read and store them side by side. Only the envelope devices send is
 * taken: exactly `{"records":[…]}`, white space aside. The records' text is
 * not checked here: pcmbn_wire_parse_push_record() reads each, and when
 * one cannot be read the body must be read whole with
 * pcmbn_wire_parse_push(), which says what is wrong.
 *
 * Returns: (transfer full) (nullable) (element-type PcmbnWireSpan): where
 *   each record lies, in order; %NULL for any other shape of body
 */
GArray *
pcmbn_wire_split_push (const char *body, gsize len)
{
  static const char head[] = "\"records\"";
  const char *p = body, *end = body + len;
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (PcmbnWireSpan));

  p = skip_space (p, end);
  if (p == end || *p++ != '{')
    return NULL;
  p = skip_space (p, end);
  if ((gsize)(end - p) < strlen (head) || memcmp (p, head, strlen (head)) != 0)
    return NULL;
  p = skip_space (p + strlen (head), end);
  if (p == end || *p++ != ':')
    return NULL;
  p = skip_space (p, end);
  if (p == end || *p++ != '[')
    return NULL;
  p = skip_space (p, end);
  if (p < end && *p == ']')
    p++;
  else
    for (;;)
      {
        const char *stop = skip_element (p, end);
        PcmbnWireSpan span = { p - body, 0 };

        if (stop == NULL || stop == p)
          return NULL;
        span.len = stop - p;
        g_array_append_val (spans, span);
        p = skip_space (stop, end);
        if (p == end)
          return NULL;
        if (*p == ']')
          {
            p++;
            break;
          }
        if (*p != ',')
          return NULL;
        p = skip_space (p + 1, end);
      }
  p = skip_space (p, end);
  if (p == end || *p++ != '}')
    return NULL;
  if (skip_space (p, end) != end)
    return NULL;
  return g_steal_pointer (&spans);
}

/**
 * pcmbn_wire_parse_push_record:
 * @text: (array length=len): one element of a push's records, as
 *   pcmbn_wire_split_push() found it
 * @len: its length
 *
 * Returns: (transfer full) (nullable): the record, as pcmbn_wire_parse_push()
 *   reads it (with its error_ fields set when a member is wrong); %NULL
 *   when @text is not a JSON object
 */
PcmbnWireRecord *
pcmbn_wire_parse_push_record (const char *text, gsize len)
{
  g_autoptr (PcmbnJsonSpans) spans = NULL;
  g_autoptr (JsonNode) node = pcmbn_wire_parse_json_spans (text, len, "data", &spans, NULL);
  PcmbnWireRecord *r;
  const char *data_text;
  gsize data_len;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  r = parse_record (json_node_get_object (node));
  /* A device sends the text its store wrote: the server need not write
   * it again to store it and hash it. */
  data_text = pcmbn_json_spans_lookup (spans, r->data, &data_len);
  if (data_text)
    r->data_text = g_strndup (data_text, data_len);
  return r;
}

/**
 * pcmbn_wire_gunzip:
 * @compressed: a gzip stream; what follows its first member is ignored
 * @limit: the most bytes to produce
 * @error: return location for an error; TOO_LARGE once @limit is passed,
 *   so that a small bomb never fills the memory
 *
 * libdeflate's, not zlib's: three times faster here on a page of a pull,
 * and every body of a sync goes through it.
 *
 * Returns: (transfer full) (nullable): the decompressed bytes
 */
GBytes *
pcmbn_wire_gunzip (GBytes *compressed, gsize limit, GError **error)
{
  gsize len, used = 0, got = 0, cap;
  const guint8 *in = g_bytes_get_data (compressed, &len);
  struct libdeflate_decompressor *d;
  enum libdeflate_result res;
  guint8 *out = NULL;
  guint32 hint = 0;

  /* A member ends with its size modulo 4 GiB: the buffer's first size
   * when the stream is one member, as ours are. Only a hint (a stream
   * may lie), never more than @limit; too small, the buffer grows. */
  if (len >= 4)
    memcpy (&hint, in + len - 4, 4);
  cap = CLAMP ((gsize)GUINT32_FROM_LE (hint), 1, MAX (limit, 1));
  d = libdeflate_alloc_decompressor ();
  if (d == NULL)
    g_error ("libdeflate: out of memory");
  for (;;)
    {
      /* A try that ran out of room is done again from the start. */
      g_free (out);
      out = g_malloc (cap);
      res = libdeflate_gzip_decompress_ex (d, in, len, out, cap, &used, &got);
      if (res != LIBDEFLATE_INSUFFICIENT_SPACE || cap >= limit)
        break;
      cap = cap > limit / 2 ? limit : cap * 2;
    }
  libdeflate_free_decompressor (d);
  if (res == LIBDEFLATE_SUCCESS && got <= limit)
    return g_bytes_new_take (g_realloc (out, got), got);
  g_free (out);
  if (res == LIBDEFLATE_SUCCESS || res == LIBDEFLATE_INSUFFICIENT_SPACE)
    g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_TOO_LARGE,
                 _ ("The body is larger than %u MiB once decompressed."),
                 (guint)(limit / (1024 * 1024)));
  else
    g_set_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED,
                 _ ("The gzip body is damaged or cut short."));
  return NULL;
}

/**
 * pcmbn_wire_gzip:
 * @data: (array length=len): bytes
 * @len: their number
 *
 * Returns: (transfer full): @data as a gzip stream of one member
 */
GBytes *
pcmbn_wire_gzip (const void *data, gsize len)
{
  /* Level 1 of libdeflate: smaller than zlib's level 1 and a third faster
   * (a 10,000-record push 0.031 of its JSON). Both ends of a sync share
   * two cores with everything else; the network is rarely what waits. */
  struct libdeflate_compressor *c = libdeflate_alloc_compressor (1);
  gsize cap, n;
  guint8 *out;

  if (c == NULL)
    g_error ("libdeflate: out of memory");
  cap = libdeflate_gzip_compress_bound (c, len);
  out = g_malloc (cap);
  n = libdeflate_gzip_compress (c, data, len, out, cap);
  libdeflate_free_compressor (c);
  /* The bound is never too small. */
  g_assert (n > 0);
  return g_bytes_new_take (g_realloc (out, n), n);
}

/**
 * pcmbn_wire_to_string:
 * @node: a JSON node
 *
 * Returns: (transfer full): compact JSON text
 */
char *
pcmbn_wire_to_string (JsonNode *node)
{
  return pcmbn_json_node_to_text (node);
}

/**
 * pcmbn_wire_error_body:
 * @code: a short machine-readable code
 * @message: what happened, in words a person can act on
 *
 * Returns: (transfer full): `{"error":{"code":…,"message":…}}`
 */
char *
pcmbn_wire_error_body (const char *code, const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/**
 * pcmbn_wire_kind_has_sensitive:
 * @kind: a kind of record
 *
 * Returns: whether @kind has a field that never leaves the device
 */
gboolean
pcmbn_wire_kind_has_sensitive (const PcmbnKind *kind)
{
  for (guint f = 0; f < kind->n_fields; f++)
    if (kind->fields[f].flags & PCMBN_FIELD_SENSITIVE)
      return TRUE;
  return FALSE;
}

/**
 * pcmbn_wire_text_may_have_sensitive:
 * @kind: a kind of record
 * @text: a record's data as the store writes it (pcmbn_json_object_to_text())
 *
 * Whether @text may set a field that never leaves the device, without
 * parsing it: each such field's name in quotes. The store's writer never
 * escapes the plain letters of a field's name, so a field set is always
 * found; a value that happens to quote a name only costs a parse.
 *
 * Returns: %FALSE when @text surely sets no such field
 */
gboolean
pcmbn_wire_text_may_have_sensitive (const PcmbnKind *kind, const char *text)
{
  for (guint f = 0; f < kind->n_fields; f++)
    if (kind->fields[f].flags & PCMBN_FIELD_SENSITIVE)
      {
        const char *name = kind->fields[f].name;
        gsize len = strlen (name);
        for (const char *at = strchr (text, '"'); at; at = strchr (at + 1, '"'))
          if (strncmp (at + 1, name, len) == 0 && at[1 + len] == '"')
            return TRUE;
      }
  return FALSE;
}

/**
 * pcmbn_wire_strip_sensitive:
 * @kind: the record's kind
 * @data: its fields
 * @stripped: (out) (optional): whether a field was removed
 *
 * Returns: (transfer full): @data without the fields that never leave the
 *   device (counselling case notes): a new object when one was removed,
 *   else @data itself with a new reference (most records have none, and a
 *   push of thousands should not copy them all)
 */
JsonObject *
pcmbn_wire_strip_sensitive (const PcmbnKind *kind, JsonObject *data, gboolean *stripped)
{
  JsonObject *out;
  g_autoptr (GList) members = NULL;

  if (stripped)
    *stripped = FALSE;
  if (!pcmbn_schema_has_sensitive (kind, data))
    return json_object_ref (data);
  out = json_object_new ();
  members = json_object_get_members (data);
  for (GList *l = members; l; l = l->next)
    {
      const PcmbnField *field = pcmbn_kind_field (kind, l->data);
      if (field && (field->flags & PCMBN_FIELD_SENSITIVE))
        {
          if (stripped)
            *stripped = TRUE;
          continue;
        }
      json_object_set_member (out, l->data,
                              json_node_copy (json_object_get_member (data, l->data)));
    }
  return out;
}

/**
 * pcmbn_wire_object_to_string:
 * @object: a JSON object
 *
 * Returns: (transfer full): @object as compact JSON text, the form the
 *   store keeps in its `data` column
 */
char *
pcmbn_wire_object_to_string (JsonObject *object)
{
  return pcmbn_json_object_to_text (object);
}

/**
 * pcmbn_wire_edit_hash_text:
 * @kind: the record's kind
 * @base_version: the version the edit started from
 * @deleted: whether the edit deletes
 * @data_text: the normalized fields as compact JSON text
 *
 * Two pushes of the same edit (a retry after a lost answer) have the same
 * hash, so that the server answers the second with the first's version.
 *
 * Returns: (transfer full): a hex digest
 */
char *
pcmbn_wire_edit_hash_text (const PcmbnKind *kind,
                           gint64 base_version,
                           gboolean deleted,
                           const char *data_text)
{
  char head[64];
  int n = g_snprintf (head, sizeof head, "\n%" G_GINT64_FORMAT "\n%d\n", base_version,
                      deleted ? 1 : 0);
  const void *parts[] = { kind->name, head, data_text };
  gsize lengths[] = { strlen (kind->name), (gsize)n, strlen (data_text) };

  return pcmbn_sha256_hex_parts (parts, lengths, G_N_ELEMENTS (parts));
}

/**
 * pcmbn_wire_edit_hash:
 * @kind: the record's kind
 * @base_version: the version the edit started from
 * @deleted: whether the edit deletes
 * @data: the normalized fields
 *
 * Returns: (transfer full): pcmbn_wire_edit_hash_text() of @data's text
 */
char *
pcmbn_wire_edit_hash (const PcmbnKind *kind,
                      gint64 base_version,
                      gboolean deleted,
                      JsonObject *data)
{
  g_autofree char *json = pcmbn_wire_object_to_string (data);

  return pcmbn_wire_edit_hash_text (kind, base_version, deleted, json);
}

/**
 * pcmbn_wire_append_string:
 * @out: a string being built
 * @text: (nullable): UTF-8 text; %NULL writes `null`
 *
 * Appends @text as a JSON string literal, for answers written straight
 * into a buffer instead of through a tree of nodes.
 */
void
pcmbn_wire_append_string (GString *out, const char *text)
{
  g_autofree char *valid = NULL;
  const char *run;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  /* An answer is always JSON, whatever bytes the text came from. */
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  run = text;
  for (const char *p = text; *p; p++)
    {
      guchar c = *p;
      if (c != '"' && c != '\\' && c >= 0x20)
        continue;
      g_string_append_len (out, run, p - run);
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else
        g_string_append_printf (out, "\\u%04x", c);
      run = p + 1;
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

/**
 * pcmbn_wire_append_record:
 * @out: a string being built
 * @uuid: the uuid
 * @kind: the kind's name
 * @org_unit: the commune
 * @base_version: the server version the content started from
 * @deleted: whether it is a tombstone
 * @modified_at: (nullable): when it was edited; left out when %NULL
 * @data_text: (nullable): the fields as compact JSON text, written as they
 *   are (the canonical text the store keeps); `{}` when %NULL or empty
 * @version: the server version, or -1 to leave it out
 *
 * Appends one RECORD of interfaces.md. The one writer of that envelope: the
 * client's outbox, the server's pull and its conflict answers all use it,
 * and none builds a tree of nodes for it (a pull writes thousands).
 */
void
pcmbn_wire_append_record (GString *out,
                          const char *uuid,
                          const char *kind,
                          const char *org_unit,
                          gint64 base_version,
                          gboolean deleted,
                          const char *modified_at,
                          const char *data_text,
                          gint64 version)
{
  g_string_append (out, "{\"uuid\":");
  pcmbn_wire_append_string (out, uuid);
  g_string_append (out, ",\"kind\":");
  pcmbn_wire_append_string (out, kind);
  g_string_append (out, ",\"org_unit\":");
  pcmbn_wire_append_string (out, org_unit);
  g_string_append_printf (out, ",\"base_version\":%" G_GINT64_FORMAT ",\"deleted\":%s",
                          base_version, deleted ? "true" : "false");
  if (modified_at)
    {
      g_string_append (out, ",\"modified_at\":");
      pcmbn_wire_append_string (out, modified_at);
    }
  g_string_append (out, ",\"data\":");
  g_string_append (out, data_text && *data_text ? data_text : "{}");
  if (version >= 0)
    g_string_append_printf (out, ",\"version\":%" G_GINT64_FORMAT, version);
  g_string_append_c (out, '}');
}

/**
 * pcmbn_wire_random_token:
 * @out: a buffer of 2 × @n_bytes + 1 characters
 * @n_bytes: how many random bytes, at most 64
 *
 * Fills @out with @n_bytes from the system's random source, in hex.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_wire_random_token (char *out, gsize n_bytes)
{
  guint8 buf[64];

  g_return_val_if_fail (n_bytes <= sizeof buf, FALSE);
  if (!pcmbn_random_bytes (buf, n_bytes))
    return FALSE;
  for (gsize i = 0; i < n_bytes; i++)
    g_snprintf (out + 2 * i, 3, "%02x", buf[i]);
  return TRUE;
}

/**
 * pcmbn_wire_get_string:
 * @object: a JSON object
 * @name: a member's name
 *
 * Returns: (transfer none) (nullable): the member when it is a string
 */
const char *
pcmbn_wire_get_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node_is_string (node) ? json_node_get_string (node) : NULL;
}

/**
 * pcmbn_wire_get_int:
 * @object: a JSON object
 * @name: a member's name
 * @default_value: the answer when it is missing or not an integer
 *
 * Returns: the member's value
 */
gint64
pcmbn_wire_get_int (JsonObject *object, const char *name, gint64 default_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  return default_value;
}

/**
 * pcmbn_wire_get_bool:
 * @object: a JSON object
 * @name: a member's name
 * @default_value: the answer when it is missing or not a boolean
 *
 * Returns: the member's value
 */
gboolean
pcmbn_wire_get_bool (JsonObject *object, const char *name, gboolean default_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  return default_value;
}

/**
 * pcmbn_wire_get_object:
 * @object: a JSON object
 * @name: a member's name
 *
 * Returns: (transfer none) (nullable): the member when it is an object
 */
JsonObject *
pcmbn_wire_get_object (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/**
 * pcmbn_wire_get_array:
 * @object: a JSON object
 * @name: a member's name
 *
 * Returns: (transfer none) (nullable): the member when it is an array
 */
JsonArray *
pcmbn_wire_get_array (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}
