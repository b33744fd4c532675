/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sync/pcmbn-json-fast.h"
#include "sync/pcmbn-wire.h"

/* The quick JSON reader of pushes gives the very tree json-glib gives, or
 * leaves the text to json-glib. */

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
  g_assert_true (json_node_is_immutable (fast));
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-fast/same-as-json-glib", test_same_as_json_glib);
  g_test_add_func ("/json-fast/leaves-the-rest", test_leaves_the_rest);
  g_test_add_func ("/json-fast/depth", test_depth);
  g_test_add_func ("/json-fast/push-reads-the-same", test_push_reads_the_same);
  g_test_add_func ("/json-fast/split-push", test_split_push);
  return g_test_run ();
}
