/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pcmbn-util.h"
#include "records/pcmbn-json-text.h"
#include "records/pcmbn-schema.h"
#include "records/pcmbn-json-fast.h"
#include "sync/pcmbn-wire.h"

/* The quick JSON reader of pushes gives the very tree json-glib gives, or
 * leaves the text to json-glib; the quick writer of records writes the very
 * bytes json-glib writes. */

static char *
glib_text (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_to_string (json_parser_get_root (parser), FALSE);
}

static void
same_tree (const char *text)
{
  g_autoptr (JsonNode) fast = pcmbn_json_fast_parse (text, strlen (text));
  g_autofree char *ours = NULL;
  g_autofree char *theirs = glib_text (text);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  g_assert_nonnull (fast);
  ours = json_to_string (fast, FALSE);
  g_assert_cmpstr (ours, ==, theirs);
  /* Same types too: json_node_equal() tells an int from a string. */
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  g_assert_true (json_node_equal (fast, json_parser_get_root (parser)));
}

static void
test_same_as_json_glib (void)
{
  same_tree ("{\"records\":[]}");
  same_tree ("  {\"a\" : 1 ,\n\t\"b\":[true,false,null,-12,0,\"x\"], \"c\":{}}  ");
  same_tree (
      "{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"base_version\":0,\"deleted\":false,"
      "\"data\":{\"title\":\"Nói chuyện chuyên đề\",\"quantity\":123456789012345678}}");
  same_tree ("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u00e9\\u1EA1\\uD83D\\uDE00\"]");
  same_tree ("\"plain\"");
  same_tree ("[[[[]]],[{}]]");
  /* Names longer than the reader keeps on its stack, and names that are
   * read while the value of an outer member is being read. */
  same_tree ("{\"a_name_of_more_than_sixty_four_bytes_which_no_field_has_today_xxxxxxxxx\":"
             "{\"inner\":\"v\",\"another_name_of_more_than_sixty_four_bytes_yyyyyyyyyyyyyyyyyyyy"
             "yyyy\":[{\"k\":1}]},\"b\":2}");
}

static void
left_to_json_glib (const char *text)
{
  g_autoptr (JsonNode) fast = pcmbn_json_fast_parse (text, strlen (text));

  g_assert_null (fast);
}

static void
test_leaves_the_rest (void)
{
  /* Wrong JSON: json-glib says what is wrong. */
  left_to_json_glib ("");
  left_to_json_glib ("{");
  left_to_json_glib ("{\"a\":1,}");
  left_to_json_glib ("[1 2]");
  left_to_json_glib ("{\"a\":1} x");
  left_to_json_glib ("{'a':1}");
  left_to_json_glib ("[01]");
  left_to_json_glib ("[tru]");
  left_to_json_glib ("[\"a\\x\"]");
  left_to_json_glib ("[\"cut");
  /* Right, but read by json-glib as before. */
  left_to_json_glib ("[1.5]");
  left_to_json_glib ("[1e3]");
  left_to_json_glib ("[1234567890123456789]");
  left_to_json_glib ("{\"a\":1,\"a\":2}");
  left_to_json_glib ("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}");
  left_to_json_glib ("[{\"a_name_of_more_than_sixty_four_bytes_which_no_field_has_today_xxxxx\":1,"
                     "\"a_name_of_more_than_sixty_four_bytes_which_no_field_has_today_xxxxx\":2}]");
  left_to_json_glib ("[\"\\u0000\"]");
  left_to_json_glib ("[\"\\uD800\"]");
  left_to_json_glib ("[\"\\uDC00\\uD800\"]");
  left_to_json_glib ("[\"tab\there\"]");
  left_to_json_glib ("[\"\xc3\x28\"]");
}

static void
test_depth (void)
{
  g_autoptr (GString) deep = g_string_new (NULL);

  for (int i = 0; i < PCMBN_WIRE_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < PCMBN_WIRE_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  same_tree (deep->str);
  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  left_to_json_glib (deep->str);
}

static void
test_push_reads_the_same (void)
{
  /* A push read through the quick reader and one through json-glib alone
   * (a fraction sends it there) give the same records. */
  const char *fast = "{\"records\":[{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":"
                     "\"material\",\"org_unit\":\"00001\",\"base_version\":0,\"deleted\":false,"
                     "\"data\":{\"title\":\"T\\u1EDD r\\u01A1i\",\"quantity_received\":10}}]}";
  const char *slow = "{\"records\":[{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":"
                     "\"material\",\"org_unit\":\"00001\",\"base_version\":0,\"deleted\":false,"
                     "\"data\":{\"title\":\"T\\u1EDD r\\u01A1i\",\"quantity_received\":10}}],"
                     "\"x\":0.5}";
  g_autoptr (GPtrArray) a = pcmbn_wire_parse_push (fast, strlen (fast), NULL);
  g_autoptr (GPtrArray) b = pcmbn_wire_parse_push (slow, strlen (slow), NULL);
  PcmbnWireRecord *ra, *rb;
  g_autofree char *da = NULL, *db = NULL;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint (a->len, ==, 1);
  g_assert_cmpuint (b->len, ==, 1);
  ra = a->pdata[0];
  rb = b->pdata[0];
  g_assert_null (ra->error_code);
  g_assert_cmpstr (ra->uuid, ==, rb->uuid);
  da = pcmbn_wire_object_to_string (ra->data);
  db = pcmbn_wire_object_to_string (rb->data);
  g_assert_cmpstr (da, ==, db);
  g_assert_nonnull (strstr (da, "Tờ rơi"));
}

static void
split_as_whole (const char *body)
{
  g_autoptr (GArray) spans = pcmbn_wire_split_push (body, strlen (body));
  g_autoptr (GPtrArray) whole = pcmbn_wire_parse_push (body, strlen (body), NULL);

  g_assert_nonnull (spans);
  g_assert_nonnull (whole);
  g_assert_cmpuint (spans->len, ==, whole->len);
  for (guint i = 0; i < spans->len; i++)
    {
      PcmbnWireSpan *span = &g_array_index (spans, PcmbnWireSpan, i);
      g_autoptr (PcmbnWireRecord)
          one = pcmbn_wire_parse_push_record (body + span->start, span->len);
      PcmbnWireRecord *w = whole->pdata[i];
      g_autofree char *a = NULL, *b = NULL;

      g_assert_nonnull (one);
      g_assert_cmpstr (one->uuid, ==, w->uuid);
      g_assert_cmpstr (one->error_code, ==, w->error_code);
      g_assert_true (one->kind == w->kind);
      if (w->data)
        {
          a = pcmbn_wire_object_to_string (one->data);
          b = pcmbn_wire_object_to_string (w->data);
          g_assert_cmpstr (a, ==, b);
        }
    }
}

static void
split_as_whole_count (const char *body)
{
  g_autoptr (GArray) spans = pcmbn_wire_split_push (body, strlen (body));

  g_assert_nonnull (spans);
  g_assert_cmpuint (spans->len, ==, 1);
}

static void
not_split (const char *body)
{
  g_autoptr (GArray) spans = pcmbn_wire_split_push (body, strlen (body));

  g_assert_null (spans);
}

static void
test_split_push (void)
{
  /* What devices send, and the same with white space: records found where
   * the whole body's reading finds them. Brackets, commas and escaped
   * quotes inside strings are text. */
  split_as_whole ("{\"records\":[]}");
  split_as_whole (" {\n \"records\" : [ ] } \n");
  split_as_whole ("{\"records\":[{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":"
                  "\"material\",\"org_unit\":\"00001\",\"base_version\":0,\"data\":{\"title\":"
                  "\"a],}{[\\\"b\"}} ,\n {\"uuid\":\"x\",\"data\":[1,{\"c\":\"]\"}]},{}]}");
  /* Any other envelope is left to the whole reading. */
  not_split ("");
  not_split ("[]");
  not_split ("{\"records\":[],\"x\":1}");
  not_split ("{\"x\":1,\"records\":[]}");
  not_split ("{\"records\":{}}");
  not_split ("{\"records\":[{}] } x");
  not_split ("{\"records\":[{},]}");
  not_split ("{\"records\":[,{}]}");
  not_split ("{\"records\":[{\"a\":\"cut]}");
  not_split ("{\"records\":[{}}");
  not_split ("{\"recs\":[]}");
  /* Found by the fuzzer: two values with nothing between them. */
  not_split ("{\"records\":[{\"a\":1}{\"b\":2}]}");
  not_split ("{\"records\":[{} {}]}");
  not_split ("{\"records\":[\"a\"\"b\"]}");
  not_split ("{\"records\":[1 2]}");
  /* A record as deep as a whole body may be is too deep inside one. */
  {
    g_autoptr (GString) deep = g_string_new ("{\"records\":[");
    for (int i = 0; i < PCMBN_WIRE_MAX_DEPTH - 2; i++)
      g_string_append (deep, "{\"a\":");
    g_string_append_c (deep, '1');
    for (int i = 0; i < PCMBN_WIRE_MAX_DEPTH - 2; i++)
      g_string_append_c (deep, '}');
    g_string_append (deep, "]}");
    g_assert_nonnull (pcmbn_wire_parse_push (deep->str, deep->len, NULL));
    split_as_whole_count (deep->str);
    g_string_insert (deep, strlen ("{\"records\":["), "{\"a\":");
    g_string_insert_c (deep, deep->len - 2, '}');
    g_assert_null (pcmbn_wire_parse_push (deep->str, deep->len, NULL));
    not_split (deep->str);
  }
  /* Split, and then not readable alone: the caller reads the whole body. */
  {
    const char *body = "{\"records\":[{\"a\":1,}]}";
    g_autoptr (GArray) spans = pcmbn_wire_split_push (body, strlen (body));
    PcmbnWireSpan *span;

    g_assert_nonnull (spans);
    g_assert_cmpuint (spans->len, ==, 1);
    span = &g_array_index (spans, PcmbnWireSpan, 0);
    g_assert_null (pcmbn_wire_parse_push_record (body + span->start, span->len));
    g_assert_null (pcmbn_wire_parse_push (body, strlen (body), NULL));
  }
}

/* ---- the writer --------------------------------------------------------- */

/* The same bytes as json-glib; written by the quick writer itself when
 * @quick (no fraction, no control character). */
static void
same_text (JsonNode *node, gboolean quick)
{
  g_autofree char *ours = pcmbn_json_node_to_text (node);
  g_autofree char *theirs = json_to_string (node, FALSE);
  g_autoptr (GString) out = g_string_new ("x");

  g_assert_cmpstr (ours, ==, theirs);
  g_assert_cmpint (pcmbn_json_append (out, node), ==, quick);
  g_assert_cmpint (out->str[0], ==, 'x');
  g_string_erase (out, 0, 1);
  g_assert_cmpstr (out->str, ==, quick ? theirs : "");
}

static gboolean
has_control (const char *text)
{
  for (const guchar *p = (const guchar *)text; *p; p++)
    if (*p < 0x20 || *p == 0x7F)
      return TRUE;
  return FALSE;
}

/* A text of @len characters drawn from @alphabet (UTF-8, one per entry). */
static char *
random_text (GRand *rand, const char *const *alphabet, guint n_alphabet, guint len)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < len; i++)
    g_string_append (s, alphabet[g_rand_int_range (rand, 0, n_alphabet)]);
  return g_string_free (s, FALSE);
}

static void
test_writer_same_as_json_glib (void)
{
  static const char *const alphabet[] = {
    "a",    "Z", "0", " ",  "\"",           "\\", "/",        "'",  "{",    "}",    "[",
    "]",    ":", ",", "\n", "\t",           "\r", "\b",       "\f", "\x01", "\x1e", "\x1f",
    "\x7f", "é", "ạ", "Đ",  "\xe2\x80\xa8", "😀",  "\xc2\x85", "~"
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (JsonNode) fractions = json_from_string ("{\"a\":[1.5,-0.25,1e300]}", NULL);

  /* Every character on its own, in a value and in a name. */
  for (guint c = 1; c < 0x80; c++)
    {
      char text[2] = { (char)c, 0 };
      g_autoptr (JsonObject) o = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      json_object_set_string_member (o, text, text);
      node = json_node_init_object (json_node_alloc (), o);
      same_text (node, !has_control (text));
    }
  /* Records as they come, and odd shapes. */
  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (JsonObject) o = json_object_new ();
      g_autoptr (JsonNode) node = NULL;
      JsonArray *list = json_array_new ();
      JsonObject *inner = json_object_new ();
      guint n = g_rand_int_range (rand, 0, 8);
      gboolean control = FALSE;

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *name = random_text (rand, alphabet, G_N_ELEMENTS (alphabet), 1 + i);
          g_autofree char *text = random_text (rand, alphabet, G_N_ELEMENTS (alphabet),
                                               g_rand_int_range (rand, 0, 100));
          control |= has_control (name) || has_control (text);
          json_object_set_string_member (o, name, text);
          json_array_add_string_element (list, text);
        }
      json_object_set_int_member (o, "n", (gint64)g_rand_int (rand) - G_MAXINT32);
      json_object_set_int_member (o, "min", G_MININT64);
      json_object_set_int_member (o, "max", G_MAXINT64);
      json_object_set_int_member (o, "zero", 0);
      json_object_set_boolean_member (o, "yes", TRUE);
      json_object_set_boolean_member (o, "no", FALSE);
      json_object_set_null_member (o, "none");
      json_array_add_int_element (list, round);
      json_array_add_array_element (list, json_array_new ());
      json_array_add_object_element (list, json_object_new ());
      json_object_set_array_member (inner, "list", list);
      json_object_set_object_member (o, "inner", inner);
      node = json_node_init_object (json_node_alloc (), o);
      same_text (node, !control);
    }
  /* Fractions are json-glib's to write. */
  same_text (fractions, FALSE);
  {
    g_autofree char *text = pcmbn_json_object_to_text (json_node_get_object (fractions));
    g_autofree char *theirs = json_to_string (fractions, FALSE);
    g_assert_cmpstr (text, ==, theirs);
  }
}

/* The edit hash is stored by the server and compared with the next push's:
 * it must stay what GChecksum made before nettle computed it, or a retry
 * after an upgrade would be taken for a new edit. Lengths cross SHA-256's
 * 64-byte blocks and its padding boundary (55/56 bytes). */
static void
test_sha256_same_as_glib (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  guint8 data[1100];
  const PcmbnKind *kind = pcmbn_schema_kind ("training");
  g_autofree char *abc = pcmbn_sha256_hex ((const guint8 *)"abc", 3);

  g_assert_cmpstr (abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (gsize i = 0; i < sizeof data; i++)
    data[i] = g_rand_int_range (rand, 1, 256);
  for (gsize len = 0; len <= sizeof data; len += len < 200 ? 1 : 97)
    {
      g_autofree char *ours = pcmbn_sha256_hex (data, len);
      g_autofree char *theirs = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
      g_assert_cmpstr (ours, ==, theirs);
    }
  for (gsize len = 0; len < 300; len += 7)
    {
      g_autofree char *text = g_strnfill (len, 'x');
      g_autofree char *ours = pcmbn_wire_edit_hash_text (kind, 42, len % 2, text);
      g_autofree char *joined = g_strdup_printf ("training\n42\n%d\n%s", (int)(len % 2), text);
      g_autofree char *theirs = g_compute_checksum_for_string (G_CHECKSUM_SHA256, joined, -1);
      g_assert_cmpstr (ours, ==, theirs);
    }
}

static GBytes *
zlib_convert (GConverter *converter, const void *data, gsize len)
{
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (mem, converter);

  g_assert_true (g_output_stream_write_all (out, data, len, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

/* Bodies and bundles are gzip with libdeflate: what zlib (libsoup, an
 * older logbook, a bundle written before) makes is read, what is made
 * zlib reads, and a damaged, cut or oversized stream is refused with the
 * error the HTTP layer turns into 400 or 413. */
static void
test_gzip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  static const gsize sizes[] = { 0, 1, 100, 70000, 1 << 20 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize n = sizes[i];
      g_autofree char *text = g_malloc (n + 1);
      g_autoptr (GBytes) ours = NULL, back = NULL, theirs = NULL, again = NULL;
      g_autoptr (GZlibDecompressor) unz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
      g_autoptr (GError) error = NULL;

      /* Words that repeat, as JSON does, and noise, which does not. */
      for (gsize k = 0; k < n; k++)
        text[k] = k % 7 ? "{\"ab\":1}"[k % 8] : (char)g_rand_int_range (rand, 32, 127);
      ours = pcmbn_wire_gzip (text, n);
      back = zlib_convert (G_CONVERTER (unz), g_bytes_get_data (ours, NULL),
                           g_bytes_get_size (ours));
      g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), text, n);
      theirs = zlib_convert (G_CONVERTER (z), text, n);
      again = pcmbn_wire_gunzip (theirs, n, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (again, NULL), g_bytes_get_size (again), text, n);
      if (n > 0)
        {
          g_autoptr (GBytes) over = pcmbn_wire_gunzip (theirs, n - 1, &error);
          g_assert_null (over);
          g_assert_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_TOO_LARGE);
        }
    }
  {
    /* A stream whose last four bytes lie about its size either way; one
     * with more after it; one cut short; one that is not gzip at all. */
    gsize n = 300000;
    g_autofree char *text = g_strnfill (n, 'x');
    g_autoptr (GBytes) z = pcmbn_wire_gzip (text, n);
    gsize zlen = g_bytes_get_size (z);
    g_autofree guint8 *edit = g_malloc (zlen + 5);
    static const guint32 lies[] = { 1, 0xffffffff };

    memcpy (edit, g_bytes_get_data (z, NULL), zlen);
    for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
      {
        guint32 le = GUINT32_TO_LE (lies[i]);
        g_autoptr (GBytes) lying = NULL, plain = NULL;
        g_autoptr (GError) error = NULL;

        memcpy (edit + zlen - 4, &le, 4);
        lying = g_bytes_new (edit, zlen);
        plain = pcmbn_wire_gunzip (lying, 1 << 24, &error);
        /* The size is checked against the data: a lie is damage. */
        g_assert_null (plain);
        g_assert_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED);
      }
    memcpy (edit, g_bytes_get_data (z, NULL), zlen);
    memcpy (edit + zlen, "junk!", 5);
    {
      g_autoptr (GBytes) trailing = g_bytes_new (edit, zlen + 5);
      g_autoptr (GBytes) cut = g_bytes_new (edit, zlen - 9);
      g_autoptr (GBytes) none = g_bytes_new_static ("{\"records\":[]}", 14);
      g_autoptr (GBytes) plain = NULL, nothing = NULL, other = NULL;
      g_autoptr (GError) error = NULL, error2 = NULL;

      plain = pcmbn_wire_gunzip (trailing, 1 << 24, NULL);
      g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), text, n);
      nothing = pcmbn_wire_gunzip (cut, 1 << 24, &error);
      g_assert_null (nothing);
      g_assert_error (error, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED);
      other = pcmbn_wire_gunzip (none, 1 << 24, &error2);
      g_assert_null (other);
      g_assert_error (error2, PCMBN_WIRE_ERROR, PCMBN_WIRE_ERROR_MALFORMED);
    }
  }
}

/* The store's reader of a record's data: the quick reader's object, or
 * json-glib's for what the quick reader leaves (a fraction here), or
 * nothing for what is not an object. */
static void
test_parse_object (void)
{
  g_autoptr (JsonObject) plain = pcmbn_json_parse_object ("{\"a\":\"Tờ rơi\",\"n\":[1,2]}");
  g_autoptr (JsonObject) fraction = pcmbn_json_parse_object ("{\"x\":1.5}");
  g_autoptr (JsonObject) list = pcmbn_json_parse_object ("[1,2]");
  g_autoptr (JsonObject) broken = pcmbn_json_parse_object ("{\"a\":");

  g_assert_nonnull (plain);
  g_assert_cmpstr (json_object_get_string_member (plain, "a"), ==, "Tờ rơi");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (plain, "n")), ==, 2);
  g_assert_nonnull (fraction);
  g_assert_cmpfloat (json_object_get_double_member (fraction, "x"), ==, 1.5);
  g_assert_null (list);
  g_assert_null (broken);
  g_assert_null (pcmbn_json_parse_object (NULL));
}

/* Every object of @node that has a span: its text there is the writer's.
 * Counts those with one and those without. */
static void
check_spans (const char *text, PcmbnJsonSpans *spans, JsonNode *node, guint *with, guint *without)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      gsize len;
      const char *span = pcmbn_json_spans_lookup (spans, object, &len);
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      if (span)
        {
          g_autofree char *written = pcmbn_json_object_to_text (object);
          g_assert_true (span >= text && span + len <= text + strlen (text));
          g_assert_cmpmem (span, len, written, strlen (written));
          (*with)++;
        }
      else
        (*without)++;
      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &member))
        check_spans (text, spans, member, with, without);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        check_spans (text, spans, json_array_get_element (array, i), with, without);
    }
}

/* Parses @text with spans of "data" members; every span found must be the
 * writer's text, and exactly @expect objects have one. */
static void
spans_case (const char *text, guint expect)
{
  g_autoptr (PcmbnJsonSpans) spans = NULL;
  g_autoptr (JsonNode) root = pcmbn_json_fast_parse_spans (text, strlen (text), "data", &spans);
  guint with = 0, without = 0;

  g_assert_nonnull (root);
  g_assert_nonnull (spans);
  check_spans (text, spans, root, &with, &without);
  g_assert_cmpuint (with, ==, expect);
}

/* A record's data read from a page keeps its text when that text is the
 * writer's own: only then, or the store would keep other bytes than the
 * ones it writes itself. */
static void
test_spans (void)
{
  /* The writer's text: the data has its span, no other object. */
  spans_case ("{\"changes\":[{\"record\":{\"uuid\":\"u\",\"data\":{\"title\":\"Tờ rơi \\\"A\\\" "
              "\\\\\",\"n\":-5,\"ok\":true,\"no\":null,\"codes\":[\"a\",\"b\"],\"e\":{}}}}]}",
              1);
  spans_case ("{\"changes\":[{\"record\":{\"data\":{\"a\":1}}},{\"record\":{\"data\":{}}}]}", 2);
  /* White space inside a data object takes its span, not its siblings';
   * white space around it does not. */
  spans_case ("{\"data\":{\"x\": 1},\"b\":{\"data\":{\"y\":2}}}", 1);
  spans_case ("{\"data\":{\"x\":[1, 2]},\"b\":{\"data\":{\"y\":2}}}", 1);
  spans_case ("{\"data\":{\"x\":{\"z\":\"a\" }},\"b\":{\"data\":{\"y\":2}}}", 1);
  spans_case ("  {\"data\" : {\"x\":1} ,\"b\":{\"data\":{\"y\":2}}}\n", 2);
  /* A data inside a data: each on its own. */
  spans_case ("{\"data\":{\"data\":{\"y\":1}, \"z\":1}}", 1);
  spans_case ("{\"data\":{\"data\":{\"y\":1},\"z\":1}}", 2);
  /* Escapes the writer does not make, a raw DEL, -0. */
  spans_case ("{\"data\":{\"x\":\"\\u00e9\"},\"b\":{\"data\":{\"y\":\"é\"}}}", 1);
  spans_case ("{\"data\":{\"x\":\"a\\/b\"},\"b\":{\"data\":{}}}", 1);
  spans_case ("{\"data\":{\"x\":\"a\\nb\"},\"b\":{\"data\":{}}}", 1);
  spans_case ("{\"data\":{\"x\\t\":1},\"b\":{\"data\":{}}}", 1);
  spans_case ("{\"data\":{\"x\":\"a\x7f\"},\"b\":{\"data\":{}}}", 1);
  spans_case ("{\"data\":{\"x\":-0},\"b\":{\"data\":{\"y\":0}}}", 1);
  spans_case ("{\"data\":{\"x\":[-0]},\"b\":{\"data\":{\"y\":-7}}}", 1);
  /* Only objects. */
  spans_case ("{\"data\":[{\"x\":1}],\"b\":{\"data\":\"t\"}}", 0);

  /* A pushed record keeps its data's text only when it is the writer's. */
  {
    static const char plain[] =
        "{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":"
        "\"activity\",\"base_version\":0,\"data\":{\"title\":\"Tờ\",\"n\":[1]}}";
    static const char spaced[] =
        "{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":"
        "\"activity\",\"base_version\":0,\"data\":{\"title\":\"Tờ\", \"n\":[1]}}";
    g_autoptr (PcmbnWireRecord) a = pcmbn_wire_parse_push_record (plain, strlen (plain));
    g_autoptr (PcmbnWireRecord) b = pcmbn_wire_parse_push_record (spaced, strlen (spaced));

    g_assert_cmpstr (a->data_text, ==, "{\"title\":\"Tờ\",\"n\":[1]}");
    g_assert_nonnull (b->data);
    g_assert_null (b->data_text);
  }

  /* What the reader leaves to json-glib has no spans at all, and the plain
   * reader takes none. */
  {
    PcmbnJsonSpans *spans = (PcmbnJsonSpans *)1;
    g_assert_null (pcmbn_json_fast_parse_spans ("{\"x\":1.5}", 9, "data", &spans));
    g_assert_null (spans);
    {
      /* No member named, nothing looked for. */
      g_autoptr (JsonNode) empty = pcmbn_json_fast_parse_spans ("{}", 2, NULL, &spans);
      g_assert_nonnull (empty);
      g_assert_null (spans);
    }
    gsize len = 1;
    g_assert_null (pcmbn_json_spans_lookup (NULL, NULL, &len));
    g_assert_cmpuint (len, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-fast/same-as-json-glib", test_same_as_json_glib);
  g_test_add_func ("/json-fast/leaves-the-rest", test_leaves_the_rest);
  g_test_add_func ("/json-fast/depth", test_depth);
  g_test_add_func ("/json-fast/push-reads-the-same", test_push_reads_the_same);
  g_test_add_func ("/json-fast/split-push", test_split_push);
  g_test_add_func ("/json-fast/parse-object", test_parse_object);
  g_test_add_func ("/json-fast/spans", test_spans);
  g_test_add_func ("/json-text/same-as-json-glib", test_writer_same_as_json_glib);
  g_test_add_func ("/wire/sha256-same-as-glib", test_sha256_same_as_glib);
  g_test_add_func ("/wire/gzip", test_gzip);
  return g_test_run ();
}
