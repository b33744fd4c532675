/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-records"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "records/pcmbn-json-fast.h"

/* A reader for the plain JSON that clients send, several times faster than
 * json-glib's tokenizer, which cost a fifth of a push on the server. It
 * builds the same tree json-glib's parser would for the input it takes (not
 * sealed: see pcmbn_json_fast_parse()); anything else (an error, a fraction
 * or exponent, a huge integer, a lone surrogate, \u0000, a repeated member,
 * a control character, too deep a nesting) it leaves to json-glib, whose
 * answers and error messages stay the reference. */

typedef struct
{
  JsonObject *object;
  gsize start;
  gsize len;
} Span;

struct _PcmbnJsonSpans
{
  const char *text; /* the document, borrowed */
  GArray *spans;    /* Span, by object */
};

typedef struct
{
  const char *p;
  const char *end;
  int depth;
  GString *scratch;
  /* When set, where each object lies that is the value of a member named
   * @member and whose text is the one pcmbn_json_object_to_text() writes
   * for it: counted in @irregular is everything it would write otherwise
   * (white space between tokens, an escape other than \" and \\, a raw
   * DEL, -0). */
  const char *start;
  const char *member;
  PcmbnJsonSpans *spans;
  guint irregular;
} Reader;

static JsonNode *read_value (Reader *r);

static void
skip_space (Reader *r)
{
  const char *from = r->p;

  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
  if (r->p != from)
    r->irregular++;
}

static int
hex4 (const char *s)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (s[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* A string at r->p (its opening quote) into r->scratch; FALSE to give up. */
static gboolean
read_string (Reader *r)
{
  const char *p = r->p + 1;

  g_string_truncate (r->scratch, 0);
  for (;;)
    {
      const char *run = p;
      while (p < r->end && *p != '"' && *p != '\\' && (guchar)*p >= 0x20 && *p != 0x7F)
        p++;
      if (p >= r->end || (guchar)*p < 0x20)
        return FALSE;
      if (p > run)
        {
          if (!g_utf8_validate_len (run, p - run, NULL))
            return FALSE;
          g_string_append_len (r->scratch, run, p - run);
        }
      if (*p == '"')
        {
          r->p = p + 1;
          return TRUE;
        }
      if (*p == 0x7F)
        {
          /* Taken as it is, but the writer leaves it to json-glib. */
          g_string_append_c (r->scratch, *p++);
          r->irregular++;
          continue;
        }
      /* An escape; only \" and \\ are the writer's own. */
      if (p + 1 >= r->end)
        return FALSE;
      if (p[1] != '"' && p[1] != '\\')
        r->irregular++;
      switch (p[1])
        {
          case '"':
          case '\\':
          case '/':
            g_string_append_c (r->scratch, p[1]);
            p += 2;
            break;
          case 'b':
            g_string_append_c (r->scratch, '\b');
            p += 2;
            break;
          case 'f':
            g_string_append_c (r->scratch, '\f');
            p += 2;
            break;
          case 'n':
            g_string_append_c (r->scratch, '\n');
            p += 2;
            break;
          case 'r':
            g_string_append_c (r->scratch, '\r');
            p += 2;
            break;
          case 't':
            g_string_append_c (r->scratch, '\t');
            p += 2;
            break;
          case 'u':
            {
              int c;
              if (r->end - p < 6 || (c = hex4 (p + 2)) <= 0)
                return FALSE; /* \u0000 and bad hex: json-glib says why */
              p += 6;
              if (c >= 0xD800 && c <= 0xDBFF)
                {
                  int low;
                  if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u' || (low = hex4 (p + 2)) < 0xDC00
                      || low > 0xDFFF)
                    return FALSE;
                  c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                  p += 6;
                }
              else if (c >= 0xDC00 && c <= 0xDFFF)
                return FALSE;
              g_string_append_unichar (r->scratch, c);
              break;
            }
          default:
            return FALSE;
        }
    }
}

/* Integers only, as json-glib reads them (gint64); fractions and exponents
 * go to json-glib so that a double is read exactly as before. */
static JsonNode *
read_number (Reader *r)
{
  const char *p = r->p;
  gboolean negative = FALSE;
  gint64 v = 0;
  int digits = 0;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p < r->end && *p == '0')
    {
      p++;
      digits = 1;
    }
  else
    while (p < r->end && g_ascii_isdigit (*p))
      {
        v = v * 10 + (*p++ - '0');
        if (++digits > 18)
          return NULL;
      }
  if (digits == 0 || (p < r->end && (*p == '.' || *p == 'e' || *p == 'E' || g_ascii_isdigit (*p))))
    return NULL;
  if (negative && v == 0)
    r->irregular++; /* -0, written 0 */
  r->p = p;
  return json_node_init_int (json_node_alloc (), negative ? -v : v);
}

static gboolean
read_word (Reader *r, const char *word)
{
  gsize n = strlen (word);

  if ((gsize)(r->end - r->p) < n || memcmp (r->p, word, n) != 0)
    return FALSE;
  r->p += n;
  return TRUE;
}

static JsonNode *
read_object (Reader *r)
{
  g_autoptr (JsonObject) object = json_object_new ();

  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == '}')
    {
      r->p++;
      return json_node_init_object (json_node_alloc (), object);
    }
  for (guint size = 0;; size++)
    {
      /* The name is kept here only while the value is read (which reuses
       * the scratch buffer); json_object_set_member() copies it. Names are
       * short: on the stack, but for a long one. */
      char short_name[64];
      g_autofree char *long_name = NULL;
      const char *name, *from;
      JsonNode *member;
      guint irregular;

      if (r->p >= r->end || *r->p != '"' || !read_string (r))
        return NULL;
      if (r->scratch->len < sizeof short_name)
        name = memcpy (short_name, r->scratch->str, r->scratch->len + 1);
      else
        name = long_name = g_strndup (r->scratch->str, r->scratch->len);
      skip_space (r);
      if (r->p >= r->end || *r->p != ':')
        return NULL;
      r->p++;
      skip_space (r);
      from = r->p;
      irregular = r->irregular;
      member = read_value (r);
      if (member == NULL)
        return NULL;
      if (r->spans && r->irregular == irregular && JSON_NODE_HOLDS_OBJECT (member)
          && strcmp (name, r->member) == 0)
        {
          Span span = { json_node_get_object (member), from - r->start, r->p - from };
          g_array_append_val (r->spans->spans, span);
        }
      json_object_set_member (object, name, member);
      /* A repeated member replaced the first one instead of adding to the
       * size: json-glib's rule decides which one stays. Counted rather than
       * looked up, since every member of every record comes through here. */
      if (json_object_get_size (object) != size + 1)
        return NULL;
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          skip_space (r);
          continue;
        }
      if (r->p < r->end && *r->p == '}')
        {
          r->p++;
          return json_node_init_object (json_node_alloc (), object);
        }
      return NULL;
    }
}

static JsonNode *
read_array (Reader *r)
{
  g_autoptr (JsonArray) array = json_array_new ();

  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == ']')
    {
      r->p++;
      return json_node_init_array (json_node_alloc (), array);
    }
  for (;;)
    {
      JsonNode *element = read_value (r);

      if (element == NULL)
        return NULL;
      json_array_add_element (array, element);
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          skip_space (r);
          continue;
        }
      if (r->p < r->end && *r->p == ']')
        {
          r->p++;
          return json_node_init_array (json_node_alloc (), array);
        }
      return NULL;
    }
}

static JsonNode *
read_value (Reader *r)
{
  JsonNode *node = NULL;

  if (r->p >= r->end)
    return NULL;
  switch (*r->p)
    {
      case '{':
      case '[':
        if (++r->depth > PCMBN_JSON_FAST_MAX_DEPTH)
          return NULL;
        node = *r->p == '{' ? read_object (r) : read_array (r);
        r->depth--;
        return node;
      case '"':
        if (!read_string (r))
          return NULL;
        return json_node_init_string (json_node_alloc (), r->scratch->str);
      case 't':
        return read_word (r, "true") ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
      case 'f':
        return read_word (r, "false") ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
      case 'n':
        return read_word (r, "null") ? json_node_init_null (json_node_alloc ()) : NULL;
      default:
        if (*r->p == '-' || g_ascii_isdigit (*r->p))
          return read_number (r);
        return NULL;
    }
}

/**
 * pcmbn_json_fast_parse:
 * @text: (array length=len): bytes received
 * @len: their number
 *
 * Reads plain JSON quickly. %NULL does not mean that @text is wrong, only
 * that this reader leaves it to pcmbn_wire_parse_json(), which then accepts
 * it or says what is wrong.
 *
 * Returns: (transfer full) (nullable): the document's root, not sealed:
 *   sealing hashes every object once more, and nothing reads that hash
 */
JsonNode *
pcmbn_json_fast_parse (const char *text, gsize len)
{
  return pcmbn_json_fast_parse_spans (text, len, NULL, NULL);
}

static int
compare_spans (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;

  return (x->object > y->object) - (x->object < y->object);
}

/**
 * pcmbn_json_fast_parse_spans:
 * @text: (array length=len): bytes received
 * @len: their number
 * @member: (nullable): the name of the members whose objects to find
 * @spans: (out) (optional) (transfer full): where each object lies in
 *   @text that is the value of a member named @member and whose text is
 *   exactly what pcmbn_json_object_to_text() writes for it; %NULL when the
 *   document is not read or no @member is named. It points into @text:
 *   keep @text while it lives
 *
 * As pcmbn_json_fast_parse(), and tells which objects need not be written
 * again: a record's data as the store or a server wrote it comes back in
 * their very form, and writing it was a tenth of a restore.
 *
 * Returns: (transfer full) (nullable): the document's root
 */
JsonNode *
pcmbn_json_fast_parse_spans (const char *text,
                             gsize len,
                             const char *member,
                             PcmbnJsonSpans **spans)
{
  g_autoptr (GString) scratch = g_string_sized_new (1024);
  g_autoptr (PcmbnJsonSpans) found = NULL;
  Reader r = { text, text + len, 0, scratch, text, member, NULL, 0 };
  JsonNode *root;

  if (spans)
    *spans = NULL;
  if (spans && member)
    {
      found = g_new0 (PcmbnJsonSpans, 1);
      found->text = text;
      found->spans = g_array_sized_new (FALSE, FALSE, sizeof (Span), 8);
      r.spans = found;
    }
  skip_space (&r);
  root = read_value (&r);
  if (root == NULL)
    return NULL;
  skip_space (&r);
  if (r.p != r.end)
    {
      json_node_unref (root);
      return NULL;
    }
  /* Sorted by object here, on the thread that read the text (a pull's
   * reading thread, not the one that writes), so that a lookup only reads
   * the spans: an array costs less to fill than a hash table, and a page
   * has thousands of objects. */
  if (found)
    g_array_sort (found->spans, compare_spans);
  if (spans)
    *spans = g_steal_pointer (&found);
  return root;
}

/**
 * pcmbn_json_spans_lookup:
 * @spans: (nullable): what pcmbn_json_fast_parse_spans() found
 * @object: (nullable): an object of the document it read
 * @len: (out): the length of its text
 *
 * Returns: (nullable) (transfer none): @object's text in the document,
 *   not ended by a NUL; %NULL when it is not the writer's text (or
 *   @object is not of the document)
 */
const char *
pcmbn_json_spans_lookup (PcmbnJsonSpans *spans, JsonObject *object, gsize *len)
{
  const Span *span;
  Span key = { object, 0, 0 };

  *len = 0;
  if (spans == NULL || object == NULL)
    return NULL;
  span = bsearch (&key, spans->spans->data, spans->spans->len, sizeof (Span), compare_spans);
  if (span == NULL)
    return NULL;
  *len = span->len;
  return spans->text + span->start;
}

/**
 * pcmbn_json_spans_free:
 * @spans: (nullable): what pcmbn_json_fast_parse_spans() found
 */
void
pcmbn_json_spans_free (PcmbnJsonSpans *spans)
{
  if (spans == NULL)
    return;
  g_array_unref (spans->spans);
  g_free (spans);
}

/**
 * pcmbn_json_parse_object:
 * @text: JSON text the store wrote (a record's data)
 *
 * Reads a JSON object with this reader, or with json-glib when this reader
 * leaves it (see pcmbn_json_fast_parse()): the store reads a record's data
 * for every row it shows, exports or names, and json-glib's parser cost
 * several times as much.
 *
 * Returns: (transfer full) (nullable): the object, %NULL when @text is not
 *   one
 */
JsonObject *
pcmbn_json_parse_object (const char *text)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonParser) parser = NULL;

  if (text == NULL)
    return NULL;
  root = pcmbn_json_fast_parse (text, strlen (text));
  if (root != NULL)
    return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}
