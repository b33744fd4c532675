/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "records/pcmbn-json-text.h"

/* Compact JSON text, byte for byte what json_to_string (node, FALSE) writes,
 * in a third of the time: every record written (the store's `data` column,
 * a push's edit hash on the server) is serialised, and json-glib's generator
 * was a tenth of a bulk load. It writes what records hold: objects, arrays,
 * text, whole numbers, booleans and null. A fraction, or a control
 * character in a text (which json-glib escapes its own way), is left to
 * json-glib, whose output stays the reference; a test compares the two. */

static gboolean append_node (GString *out, JsonNode *node);

/* Whether none of the eight bytes of @w needs a look of its own: a control
 * character (below 0x20, or 0x7F), a quote or a backslash. Each test is
 * the classic "has a zero byte" (or "has a byte below n") on the word,
 * exact as a yes or no; the bytes of UTF-8 sequences (0x80 and up) pass. */
static inline gboolean
plain_word (guint64 w)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  guint64 quote = w ^ (ones * '"');
  guint64 slash = w ^ (ones * '\\');
  guint64 del = w ^ (ones * 0x7F);
  guint64 hit = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)
                | ((del - ones) & ~del);

  return (hit & (ones * 0x80)) == 0;
}

static gboolean
append_text (GString *out, const char *text)
{
  const guchar *p, *end;
  const char *run = text;

  if (text == NULL)
    return FALSE;
  p = (const guchar *)text;
  end = p + strlen (text);
  g_string_append_c (out, '"');
  /* Eight bytes at a time while none needs escaping: a record's texts are
   * mostly plain, and this loop was most of a record's serialisation. */
  while (p < end)
    {
      guint64 w;
      const guchar *stop;

      if (end - p >= 8)
        {
          memcpy (&w, p, sizeof w);
          if (plain_word (w))
            {
              p += 8;
              continue;
            }
          stop = p + 8;
        }
      else
        stop = end;
      for (; p < stop; p++)
        {
          if (*p < 0x20 || *p == 0x7F)
            return FALSE;
          if (*p == '"' || *p == '\\')
            {
              g_string_append_len (out, run, (const char *)p - run);
              g_string_append_c (out, '\\');
              run = (const char *)p; /* the character itself starts the next run */
            }
        }
    }
  g_string_append_len (out, run, (const char *)end - run);
  g_string_append_c (out, '"');
  return TRUE;
}

static void
append_int (GString *out, gint64 value)
{
  char buf[24];
  char *end = buf + sizeof buf;
  char *p = end;
  guint64 magnitude = value < 0 ? (guint64)0 - (guint64)value : (guint64)value;

  do
    {
      *--p = (char)('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude > 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, end - p);
}

static gboolean
append_object (GString *out, JsonObject *object)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  /* In the order the members were set, as the generator writes them. */
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      if (!append_text (out, name))
        return FALSE;
      g_string_append_c (out, ':');
      if (!append_node (out, member))
        return FALSE;
    }
  g_string_append_c (out, '}');
  return TRUE;
}

static gboolean
append_node (GString *out, JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
      case JSON_NODE_OBJECT:
        return append_object (out, json_node_get_object (node));
      case JSON_NODE_ARRAY:
        {
          JsonArray *array = json_node_get_array (node);
          guint n = json_array_get_length (array);

          g_string_append_c (out, '[');
          for (guint i = 0; i < n; i++)
            {
              if (i > 0)
                g_string_append_c (out, ',');
              if (!append_node (out, json_array_get_element (array, i)))
                return FALSE;
            }
          g_string_append_c (out, ']');
          return TRUE;
        }
      case JSON_NODE_NULL:
        g_string_append (out, "null");
        return TRUE;
      case JSON_NODE_VALUE:
        switch (json_node_get_value_type (node))
          {
            case G_TYPE_STRING:
              return append_text (out, json_node_get_string (node));
            case G_TYPE_INT64:
              append_int (out, json_node_get_int (node));
              return TRUE;
            case G_TYPE_BOOLEAN:
              g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
              return TRUE;
            default:
              return FALSE;
          }
      default:
        return FALSE;
    }
}

/**
 * pcmbn_json_append:
 * @out: where to write
 * @node: a JSON node
 *
 * Appends @node as compact JSON text, when it holds only what this writer
 * writes as json-glib does.
 *
 * Returns: %FALSE, with @out as it was, when @node is json-glib's to write
 */
gboolean
pcmbn_json_append (GString *out, JsonNode *node)
{
  gsize len = out->len;

  if (append_node (out, node))
    return TRUE;
  g_string_truncate (out, len);
  return FALSE;
}

/**
 * pcmbn_json_append_member:
 * @out: where the text goes
 * @name: a member's name
 * @value: its value
 *
 * Appends `"name":value` as pcmbn_json_append() would write it inside an
 * object, for a caller that chooses the members' order itself.
 *
 * Returns: %TRUE, or %FALSE with @out unchanged when json-glib must write
 *   it (see pcmbn_json_append())
 */
gboolean
pcmbn_json_append_member (GString *out, const char *name, JsonNode *value)
{
  gsize len = out->len;

  if (append_text (out, name))
    {
      g_string_append_c (out, ':');
      if (append_node (out, value))
        return TRUE;
    }
  g_string_truncate (out, len);
  return FALSE;
}

/**
 * pcmbn_json_node_to_text:
 * @node: a JSON node
 *
 * Returns: (transfer full): @node as compact JSON text, the same bytes as
 *   json_to_string (@node, %FALSE)
 */
char *
pcmbn_json_node_to_text (JsonNode *node)
{
  GString *out = g_string_sized_new (1024);

  if (pcmbn_json_append (out, node))
    return g_string_free (out, FALSE);
  g_string_free (out, TRUE);
  return json_to_string (node, FALSE);
}

/**
 * pcmbn_json_object_to_text:
 * @object: a JSON object
 *
 * Returns: (transfer full): @object as compact JSON text, the form the store
 *   keeps in its `data` column
 */
char *
pcmbn_json_object_to_text (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return pcmbn_json_node_to_text (node);
}
