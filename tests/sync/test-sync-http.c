/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "pcmbn-util.h"
#include "sync/pcmbn-wire.h"
#include "sync-helpers.h"

/* The HTTP contract from the outside, with hostile and broken requests
 * against a real `pcmbn-district serve`. */

#define UUID1 "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a61"
#define UUID2 "5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a62"

static char *
material_record (const char *uuid, const char *org_unit, gint64 base, int quantity)
{
  return g_strdup_printf ("{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"%s\","
                          "\"base_version\":%" G_GINT64_FORMAT ",\"deleted\":false,"
                          "\"modified_at\":\"2026-01-02T03:04:05Z\",\"data\":{\"material_type\":"
                          "\"leaflet\",\"title\":\"Tờ rơi\",\"source\":\"district\","
                          "\"received_on\":\"2025-12-10\",\"quantity_received\":%d}}",
                          uuid, org_unit, base, quantity);
}

static char *
push (SyncServer *s, const char *token, const char *body, guint *status)
{
  return sync_http (s, "POST", "/api/v1/sync/push", token, "application/json", NULL, body,
                    strlen (body), status);
}

static void
assert_error (const char *body, guint status, guint expected, const char *code)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *error;

  if (status != expected)
    g_error ("status %u, expected %u: %s", status, expected, body);
  root = sync_parse (body);
  error = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_nonnull (error);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  g_assert_cmpuint (strlen (json_object_get_string_member (error, "message")), >, 10);
  if (code)
    g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
}

static JsonArray *
results_of (JsonNode *root)
{
  return json_object_get_array_member (json_node_get_object (root), "results");
}

static void
test_idempotent_retry (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *token = NULL, *r1 = NULL, *r2 = NULL, *body = NULL;
  g_autofree char *a = NULL, *b = NULL, *digest = NULL, *again = NULL;
  guint status;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  a = material_record (UUID1, "00001", 0, 10);
  b = material_record (UUID2, "00001", 0, 20);
  body = g_strdup_printf ("{\"records\":[%s,%s]}", a, b);
  r1 = push (s, token, body, &status);
  g_assert_cmpuint (status, ==, 200);
  digest = sync_query_text (s->db, "SELECT group_concat(uuid || version || data) FROM records");
  /* The answer was lost; the device sends the same again, plain and gzipped. */
  r2 = push (s, token, body, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (r1, ==, r2);
  {
    g_autoptr (GBytes) z = pcmbn_wire_gzip (body, strlen (body));
    g_autofree char *r3 = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json",
                                     "gzip", g_bytes_get_data (z, NULL), g_bytes_get_size (z),
                                     &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (r1, ==, r3);
  }
  again = sync_query_text (s->db, "SELECT group_concat(uuid || version || data) FROM records");
  g_assert_cmpstr (digest, ==, again);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM record_versions"), ==, 2);
  {
    g_autoptr (JsonNode) root = sync_parse (r1);
    JsonObject *first = json_array_get_object_element (results_of (root), 0);
    g_assert_cmpstr (json_object_get_string_member (first, "status"), ==, "accepted");
    g_assert_cmpint (json_object_get_int_member (first, "version"), ==, 1);
  }
  /* An edit from version 1, sent twice: version 2 both times. */
  {
    g_autofree char *edit = material_record (UUID1, "00001", 1, 11);
    g_autofree char *eb = g_strdup_printf ("{\"records\":[%s]}", edit);
    g_autofree char *x = push (s, token, eb, &status);
    g_autofree char *y = push (s, token, eb, &status);
    g_assert_nonnull (strstr (x, "\"version\":2"));
    g_assert_cmpstr (x, ==, y);
    g_assert_cmpint (sync_query_int (s->db, "SELECT version FROM records WHERE uuid = '" UUID1 "'"),
                     ==, 2);
  }
  /* A stale edit is a conflict that carries the server's record. */
  {
    g_autofree char *stale = material_record (UUID1, "00001", 1, 99);
    g_autofree char *sb = g_strdup_printf ("{\"records\":[%s]}", stale);
    g_autofree char *x = push (s, token, sb, &status);
    g_autoptr (JsonNode) root = sync_parse (x);
    JsonObject *r = json_array_get_object_element (results_of (root), 0);
    JsonObject *server;
    g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, "conflict");
    server = json_object_get_object_member (r, "server");
    g_assert_cmpint (json_object_get_int_member (server, "version"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (server, "data"),
                                                 "quantity_received"),
                     ==, 11);
  }
  sync_server_free (s);
}

static void
test_mixed_batch (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *token = NULL, *body = NULL, *reply = NULL;
  g_autofree char *good = NULL, *meeting = NULL, *model = NULL;
  guint status;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  good = material_record (UUID1, "00001", 0, 10);
  model = g_strdup (
      "{\"uuid\":\"11111111-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"model\",\"org_unit\":\"00001\","
      "\"base_version\":0,\"deleted\":false,\"data\":{\"established_on\":\"2025-01-01\","
      "\"name\":\"CLB\",\"model_type\":\"intensive\",\"model_kind\":\"anti_trafficking_club\","
      "\"host_organisation\":\"Hội\",\"members_total\":20,\"members_female\":10,\"status\":\"active\"}}");
  meeting = g_strdup (
      "{\"uuid\":\"22222222-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"model-meeting\",\"org_unit\":\"00001\","
      "\"base_version\":0,\"deleted\":false,\"data\":{\"model\":\"11111111-2f4a-4d7e-9b1a-0c2d3e4f5a6b\","
      "\"date\":\"2025-02-01\",\"participants_total\":10,\"participants_female\":5,\"topics\":[\"hotline\"]}}");
  body = g_strdup_printf (
      "{\"records\":[%s,"
      "{\"uuid\":\"5B0C6C1E-2F4A-4D7E-9B1A-0C2D3E4F5A6B\",\"kind\":\"material\",\"org_unit\":\"00001\",\"base_version\":0,\"data\":{}},"
      "{\"uuid\":\"" UUID2 "\",\"kind\":\"material\",\"org_unit\":\"00001\",\"base_version\":0,"
      "\"data\":{\"material_type\":\"leaflet\",\"title\":\"x\",\"source\":\"district\",\"received_on\":\"2025-12-10\","
      "\"quantity_received\":10,\"deployed_on\":\"2025-12-11\",\"quantity_deployed\":50}},"
      "{\"uuid\":\"33333333-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"spaceship\",\"org_unit\":\"00001\",\"base_version\":0,\"data\":{}},"
      "{\"uuid\":\"44444444-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"material\",\"org_unit\":\"00001\",\"base_version\":-3,\"data\":{}},"
      "%s,%s,"
      "{\"uuid\":\"55555555-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"model-meeting\",\"org_unit\":\"00001\","
      "\"base_version\":0,\"data\":{\"model\":\"66666666-2f4a-4d7e-9b1a-0c2d3e4f5a6b\","
      "\"date\":\"2025-02-01\",\"participants_total\":10,\"participants_female\":5,\"topics\":[\"hotline\"]}}]}",
      good, model, meeting);
  reply = push (s, token, body, &status);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autoptr (JsonNode) root = sync_parse (reply);
    JsonArray *results = results_of (root);
    static const char *const expected[] = { "accepted", "rejected", "rejected", "rejected",
                                            "rejected", "accepted", "accepted", "rejected" };
    static const char *const fields[] = { NULL,   "uuid",         "quantity_deployed",
                                          "kind", "base_version", NULL,
                                          NULL,   "model" };
    g_assert_cmpuint (json_array_get_length (results), ==, G_N_ELEMENTS (expected));
    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        JsonObject *r = json_array_get_object_element (results, i);
        g_assert_cmpstr (json_object_get_string_member (r, "status"), ==, expected[i]);
        if (fields[i])
          {
            JsonObject *e = json_object_get_object_member (r, "error");
            g_assert_cmpstr (json_object_get_string_member (e, "field"), ==, fields[i]);
            g_assert_nonnull (json_object_get_string_member (e, "message"));
          }
      }
  }
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 3);
  sync_server_free (s);
}

/* A push of @n materials, record @odd replaced by @instead when not %NULL. */
static char *
many_materials (guint n, guint odd, const char *instead)
{
  GString *body = g_string_new ("{\"records\": [\n");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *uuid = g_strdup_printf ("5b0c6c1e-2f4a-4d7e-9b1a-%012x", i);
      g_autofree char *r = material_record (uuid, "00001", 0, (int)i + 1);
      g_string_append_printf (body, "%s%s", i ? " ,\n" : "", i == odd && instead ? instead : r);
    }
  g_string_append (body, "\n] }");
  return g_string_free (body, FALSE);
}

/* A push is read record by record while it is stored (a thread reads
 * ahead of the write turn). A record that cannot be read, or that belongs
 * to another commune, far into the push, must still refuse it whole, with
 * the error the whole body's reading gives, and store nothing. */
static void
test_push_read_while_stored (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *token = NULL;
  guint status;
  struct
  {
    const char *instead;
    guint status;
    const char *says;
  } bad[] = {
    { "{\"uuid\":\"x\",}", 400, NULL },
    { "7", 400, "records[150]" },
    { "[{\"uuid\":1}]", 400, "records[150]" },
    { "{\"uuid\":\"5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b\",\"kind\":\"material\","
      "\"org_unit\":\"00002\",\"base_version\":0,\"data\":{}}",
      403, "records[150]" },
  };

  gint64 changes;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  changes = sync_query_int (s->db, "SELECT count(*) FROM changes");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *body = many_materials (200, 150, bad[i].instead);
      g_autofree char *r = push (s, token, body, &status);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) whole = pcmbn_wire_parse_push (body, strlen (body), &error);

      assert_error (r, status, bad[i].status, NULL);
      if (bad[i].says)
        g_assert_nonnull (strstr (r, bad[i].says));
      /* The same words the whole body's reading gives. */
      if (whole == NULL)
        {
          g_autofree char *message = g_strescape (error->message, "");
          g_assert_nonnull (strstr (r, message));
        }
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 0);
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM changes"), ==, changes);
    }
  /* A quote, a bracket and a comma inside a string are text: the record
   * is read whole, and only it is refused. */
  {
    g_autofree char *body = many_materials (
        200, 150,
        "{\"uuid\":\"a\\\"]},{\",\"kind\":\"material\",\"org_unit\":\"00001\","
        "\"base_version\":0,\"data\":{}}");
    g_autofree char *r = push (s, token, body, &status);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o;

    g_assert_cmpuint (status, ==, 200);
    root = sync_parse (r);
    o = json_array_get_object_element (results_of (root), 150);
    g_assert_cmpstr (json_object_get_string_member (o, "uuid"), ==, "a\"]},{");
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "rejected");
    g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 199);
  }
  /* The same push with every record right: all of them, in order. */
  {
    g_autofree char *body = many_materials (200, 0, NULL);
    g_autofree char *r = push (s, token, body, &status);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *results;

    g_assert_cmpuint (status, ==, 200);
    root = sync_parse (r);
    results = results_of (root);
    g_assert_cmpuint (json_array_get_length (results), ==, 200);
    for (guint i = 0; i < 200; i++)
      {
        JsonObject *o = json_array_get_object_element (results, i);
        g_autofree char *uuid = g_strdup_printf ("5b0c6c1e-2f4a-4d7e-9b1a-%012x", i);
        g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "accepted");
        g_assert_cmpstr (json_object_get_string_member (o, "uuid"), ==, uuid);
      }
    g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 200);
    g_assert_cmpint (sync_query_int (s->db, "SELECT sum(f_quantity_received) FROM records"), ==,
                     200 * 201 / 2);
  }
  sync_server_free (s);
}

static void
test_error_statuses (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *token = NULL, *staff = NULL, *before = NULL, *after = NULL;
  g_autofree char *good = NULL, *body = NULL;
  guint status;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  staff = sync_staff_token (s);
  good = material_record (UUID1, "00001", 0, 10);
  body = g_strdup_printf ("{\"records\":[%s]}", good);

  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/health", NULL, NULL, NULL, NULL, 0, &status);
    g_autoptr (JsonNode) root = sync_parse (r);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "org_unit"), ==,
                     "001");
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "protocol"), ==, 1);
  }

  before = pcmbn_test_db_digest (s->db);
  /* 401 */
  {
    g_autofree char *r = push (s, NULL, body, &status);
    assert_error (r, status, 401, NULL);
  }
  {
    g_autofree char *r = push (s, "d_0000", body, &status);
    assert_error (r, status, 401, NULL);
  }
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/sync/pull?since=0", "nope", NULL, NULL, NULL,
                                    0, &status);
    assert_error (r, status, 401, NULL);
  }
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/report?year=2025", NULL, NULL, NULL, NULL, 0,
                                    &status);
    assert_error (r, status, 401, NULL);
  }
  {
    const char *e = "{\"code\":\"AAAAA-AAAAA\",\"device_name\":\"x\"}";
    g_autofree char *r = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL, e,
                                    strlen (e), &status);
    assert_error (r, status, 401, NULL);
  }
  /* 400 */
  {
    static const char *const bad[] = { "not json",         "[]",
                                       "{\"records\":5}",  "{\"records\":[1]}",
                                       "{\"recs\":[]}",    "\"records\"",
                                       "{\"records\":[{}", "" };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json",
                                        NULL, bad[i], strlen (bad[i]), &status);
        assert_error (r, status, 400, NULL);
      }
  }
  {
    /* Deep nesting must not overflow the parser's stack. */
    GString *deep = g_string_new ("{\"records\":");
    for (int i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    {
      g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json",
                                      NULL, deep->str, deep->len, &status);
      assert_error (r, status, 400, NULL);
    }
    g_string_free (deep, TRUE);
  }
  {
    const char *bytes = "{\"records\":[\xff\xfe]}";
    g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json", NULL,
                                    bytes, strlen (bytes), &status);
    assert_error (r, status, 400, NULL);
  }
  {
    /* A lone UTF-16 surrogate escape decodes to bytes that are not UTF-8
     * (found by tests/fuzz/fuzz-push): refused whole, in a name or a value,
     * in a push or an enrolment. */
    g_autofree char *in_name = g_strdup_printf (
        "{\"records\":[{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"00001\","
        "\"base_version\":0,\"data\":{\"\\ud800title\":\"x\"}}]}",
        UUID1);
    g_autofree char *in_value = g_strdup_printf (
        "{\"records\":[{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"00001\","
        "\"base_version\":0,\"data\":{\"title\":\"a\\uDC00b\"}}]}",
        UUID1);
    const char *enrol = "{\"code\":\"AAAAA-AAAAA\",\"device_name\":\"\\ud83d\"}";
    g_autofree char *r1 = push (s, token, in_name, &status);
    assert_error (r1, status, 400, NULL);
    {
      g_autofree char *r2 = push (s, token, in_value, &status);
      assert_error (r2, status, 400, NULL);
    }
    {
      g_autofree char *r3 = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL,
                                       enrol, strlen (enrol), &status);
      assert_error (r3, status, 400, NULL);
    }
  }
  {
    /* \u0000 inside a string: json-glib would cut the text there and
     * store the rest silently; refused whole like any control character,
     * in a name or a value, in a push or an enrolment, with the JSON error. */
    g_autofree char *in_value = g_strdup_printf (
        "{\"records\":[{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"00001\","
        "\"base_version\":0,\"data\":{\"title\":\"Tờ\\u0000rơi\"}}]}",
        UUID1);
    g_autofree char *in_name = g_strdup_printf (
        "{\"records\":[{\"uuid\":\"%s\",\"kind\":\"material\",\"org_unit\":\"00001\","
        "\"base_version\":0,\"data\":{\"ti\\u0000tle\":\"x\"}}]}",
        UUID1);
    const char *enrol = "{\"code\":\"AAAAA-AAAAA\",\"device_name\":\"M\\u0000y\"}";
    g_autofree char *r1 = push (s, token, in_value, &status);
    g_autofree char *r2 = NULL, *r3 = NULL;
    assert_error (r1, status, 400, "bad_request");
    g_assert_nonnull (strstr (r1, "u0000"));
    r2 = push (s, token, in_name, &status);
    assert_error (r2, status, 400, "bad_request");
    r3 = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL, enrol,
                    strlen (enrol), &status);
    assert_error (r3, status, 400, "bad_request");
  }
  {
    const char *broken = "\x1f\x8b\x08\x00garbage";
    g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json",
                                    "gzip", broken, 12, &status);
    assert_error (r, status, 400, NULL);
  }
  {
    static const char *const since[] = { "abc", "-1", "1.5", "", "99999999999999999999", "1e3" };
    for (guint i = 0; i < G_N_ELEMENTS (since); i++)
      {
        g_autofree char *path = g_strdup_printf ("/api/v1/sync/pull?since=%s", since[i]);
        g_autofree char *r = sync_http (s, "GET", path, token, NULL, NULL, NULL, 0, &status);
        assert_error (r, status, 400, NULL);
      }
    {
      g_autofree char *r = sync_http (s, "GET", "/api/v1/sync/pull", token, NULL, NULL, NULL, 0,
                                      &status);
      assert_error (r, status, 400, NULL);
    }
    {
      g_autofree char *r = sync_http (s, "GET", "/api/v1/sync/pull?since=0&limit=0", token, NULL,
                                      NULL, NULL, 0, &status);
      assert_error (r, status, 400, NULL);
    }
  }
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/report?year=abc", staff, NULL, NULL, NULL, 0,
                                    &status);
    assert_error (r, status, 400, NULL);
  }
  /* 403 */
  {
    g_autofree char *other = material_record (UUID2, "00004", 0, 10);
    g_autofree char *mixed = g_strdup_printf ("{\"records\":[%s,%s]}", good, other);
    g_autofree char *r = push (s, token, mixed, &status);
    assert_error (r, status, 403, NULL);
  }
  {
    g_autofree char *r = push (s, staff, body, &status);
    assert_error (r, status, 403, NULL);
  }
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/report?year=2025", token, NULL, NULL, NULL,
                                    0, &status);
    assert_error (r, status, 403, NULL);
  }
  /* 413 */
  {
    GString *many = g_string_new ("{\"records\":[");
    for (int i = 0; i < 1001; i++)
      {
        g_autofree char *uuid = g_uuid_string_random ();
        g_autofree char *rec = material_record (uuid, "00001", 0, 1);
        g_string_append_printf (many, "%s%s", i ? "," : "", rec);
      }
    g_string_append (many, "]}");
    {
      g_autofree char *r = push (s, token, many->str, &status);
      assert_error (r, status, 413, NULL);
    }
    g_string_free (many, TRUE);
  }
  {
    /* A gzip bomb: 17 MiB of blanks in a few kilobytes. */
    gsize n = 17 * 1024 * 1024;
    char *big = g_malloc (n);
    g_autoptr (GBytes) z = NULL;
    memset (big, ' ', n);
    memcpy (big, "{\"records\":[", 12);
    memcpy (big + n - 2, "]}", 2);
    z = pcmbn_wire_gzip (big, n);
    g_assert_cmpuint (g_bytes_get_size (z), <, 200 * 1024);
    {
      g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json",
                                      "gzip", g_bytes_get_data (z, NULL), g_bytes_get_size (z),
                                      &status);
      assert_error (r, status, 413, NULL);
    }
    {
      g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json",
                                      NULL, big, n, &status);
      assert_error (r, status, 413, NULL);
    }
    g_free (big);
  }
  /* 415 */
  {
    g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "text/plain", NULL, body,
                                    strlen (body), &status);
    assert_error (r, status, 415, NULL);
  }
  {
    g_autofree char *r = sync_http (s, "POST", "/api/v1/sync/push", token, "application/json", "br",
                                    body, strlen (body), &status);
    assert_error (r, status, 415, NULL);
  }
  /* 404, 405 */
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/nothing", token, NULL, NULL, NULL, 0,
                                    &status);
    assert_error (r, status, 404, NULL);
  }
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/sync/push", token, NULL, NULL, NULL, 0,
                                    &status);
    assert_error (r, status, 405, NULL);
  }
  {
    g_autofree char *r = sync_http (s, "DELETE", "/api/v1/health", token, NULL, NULL, NULL, 0,
                                    &status);
    assert_error (r, status, 405, NULL);
  }
  /* None of these stored anything. */
  after = pcmbn_test_db_digest (s->db);
  g_assert_cmpstr (before, ==, after);

  /* The staff token reads the report. */
  {
    g_autofree char *r = sync_http (s, "GET", "/api/v1/report?year=2025", staff, NULL, NULL, NULL,
                                    0, &status);
    g_autoptr (JsonNode) root = sync_parse (r);
    g_assert_cmpuint (status, ==, 200);
    g_assert_true (json_object_has_member (json_node_get_object (root), "indicators"));
  }

  /* Blobs: 400, 422, 201, 200, HEAD 200/404. */
  {
    const char *content = "a photo of the meeting";
    g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, content, -1);
    g_autofree char *path = g_strconcat ("/api/v1/blobs/", sha, NULL);
    g_autofree char *other = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "other", -1);
    g_autofree char *other_path = g_strconcat ("/api/v1/blobs/", other, NULL);
    g_autofree char *r = NULL;

    r = sync_http (s, "PUT", "/api/v1/blobs/XYZ", token, "application/octet-stream", NULL, content,
                   strlen (content), &status);
    assert_error (r, status, 400, NULL);
    g_free (r);
    r = sync_http (s, "PUT", other_path, token, "application/octet-stream", NULL, content,
                   strlen (content), &status);
    assert_error (r, status, 422, NULL);
    g_free (r);
    r = sync_http (s, "PUT", path, NULL, "application/octet-stream", NULL, content,
                   strlen (content), &status);
    assert_error (r, status, 401, NULL);
    g_free (r);
    r = sync_http (s, "HEAD", path, token, NULL, NULL, NULL, 0, &status);
    g_assert_cmpuint (status, ==, 404);
    g_free (r);
    r = sync_http (s, "PUT", path, token, "application/octet-stream", NULL, content,
                   strlen (content), &status);
    g_assert_cmpuint (status, ==, 201);
    g_free (r);
    r = sync_http (s, "PUT", path, token, "application/octet-stream", NULL, content,
                   strlen (content), &status);
    g_assert_cmpuint (status, ==, 200);
    g_free (r);
    r = sync_http (s, "HEAD", path, token, NULL, NULL, NULL, 0, &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM blobs"), ==, 1);
    g_free (r);
    /* Another commune's device cannot learn that 00001 holds the file; it
     * may send the same file for itself, stored once. */
    {
      g_autofree char *other_db = sync_enrolled_logbook (s, "00004");
      g_autofree char *other_token = sync_device_token (other_db);
      r = sync_http (s, "HEAD", path, other_token, NULL, NULL, NULL, 0, &status);
      g_assert_cmpuint (status, ==, 404);
      g_free (r);
      r = sync_http (s, "PUT", path, other_token, "application/octet-stream", NULL, content,
                     strlen (content), &status);
      g_assert_cmpuint (status, ==, 201);
      g_free (r);
      r = sync_http (s, "HEAD", path, other_token, NULL, NULL, NULL, 0, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM blobs"), ==, 1);
      g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM blob_scopes"), ==, 2);
    }
  }

  /* Pull pages: since, next, more. */
  {
    g_autofree char *r = push (s, token, body, &status);
    gint64 since = 0;
    guint records = 0, units = 0, pages = 0;
    gboolean more = TRUE;
    g_assert_cmpuint (status, ==, 200);
    while (more)
      {
        g_autofree char *path = g_strdup_printf (
            "/api/v1/sync/pull?since=%" G_GINT64_FORMAT "&limit=1", since);
        g_autofree char *page = sync_http (s, "GET", path, token, NULL, NULL, NULL, 0, &status);
        g_autoptr (JsonNode) root = sync_parse (page);
        JsonObject *o = json_node_get_object (root);
        JsonArray *changes = json_object_get_array_member (o, "changes");
        g_assert_cmpuint (status, ==, 200);
        g_assert_cmpuint (json_array_get_length (changes), <=, 1);
        for (guint i = 0; i < json_array_get_length (changes); i++)
          {
            JsonObject *c = json_array_get_object_element (changes, i);
            if (json_object_has_member (c, "record"))
              {
                JsonObject *rec = json_object_get_object_member (c, "record");
                g_assert_cmpint (json_object_get_int_member (rec, "version"), ==, 1);
                g_assert_cmpstr (json_object_get_string_member (rec, "org_unit"), ==, "00001");
                records++;
              }
            else
              {
                g_assert_cmpstr (json_object_get_string_member (
                                     json_object_get_object_member (c, "org_unit"), "code"),
                                 ==, "00001");
                units++;
              }
          }
        g_assert_cmpint (json_object_get_int_member (o, "next"), >=, since);
        since = json_object_get_int_member (o, "next");
        more = json_object_get_boolean_member (o, "more");
        g_assert_cmpuint (++pages, <, 10);
      }
    g_assert_cmpuint (records, ==, 1);
    g_assert_cmpuint (units, ==, 1);
  }

  /* Revoked while the server runs: 401 at once. */
  {
    g_autofree char *id = sync_query_text (db,
                                           "SELECT value FROM meta WHERE key = 'sync_device_id'");
    const char *argv[] = { "devices", "--db", s->db, "--revoke", id, NULL };
    const char *bad_argv[] = { "devices", "--db", s->db, "--revoke", "no-such-device", NULL };
    g_autofree char *list = NULL, *r = NULL, *out = NULL, *err = NULL, *revoked = NULL;
    g_assert_cmpint (sync_district (argv, &revoked, NULL), ==, 0);
    /* The contract: `devices --revoke` prints the JSON array of devices. */
    {
      g_autoptr (JsonNode) array = sync_parse (revoked);
      JsonArray *devices = json_node_get_array (array);
      gboolean seen = FALSE;
      for (guint i = 0; i < json_array_get_length (devices); i++)
        {
          JsonObject *d = json_array_get_object_element (devices, i);
          if (g_str_equal (json_object_get_string_member (d, "id"), id))
            {
              seen = TRUE;
              g_assert_true (json_object_get_boolean_member (d, "revoked"));
            }
        }
      g_assert_true (seen);
    }
    g_assert_cmpint (sync_district (bad_argv, NULL, NULL), ==, 2);
    r = push (s, token, body, &status);
    assert_error (r, status, 401, "revoked");
    g_assert_cmpint (sync_cli (db, &out, &err, "sync", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "revoked"));
    {
      const char *list_argv[] = { "devices", "--db", s->db, NULL };
      g_autoptr (JsonNode) root = NULL;
      g_assert_cmpint (sync_district (list_argv, &list, NULL), ==, 0);
      gboolean found = FALSE;
      root = sync_parse (list);
      for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
        {
          JsonObject *d = json_array_get_object_element (json_node_get_array (root), i);
          if (g_str_equal (json_object_get_string_member (d, "id"), id))
            {
              found = TRUE;
              g_assert_true (json_object_get_boolean_member (d, "revoked"));
            }
        }
      g_assert_true (found);
    }
    /* No token is stored in the clear. */
    g_assert_cmpint (
        sync_query_int (s->db, "SELECT count(*) FROM devices WHERE token_hash = (SELECT 1)"), ==,
        0);
    {
      g_autofree char *sql = g_strdup_printf (
          "SELECT count(*) FROM devices WHERE token_hash = '%s'", token);
      g_assert_cmpint (sync_query_int (s->db, sql), ==, 0);
    }
  }
  sync_server_free (s);
}

static void
test_throttle (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *code = NULL, *right = NULL;
  guint status;

  sync_server_start (s);
  code = sync_enrol_code (s, "00001");
  for (int i = 0; i < 5; i++)
    {
      const char *wrong = "{\"code\":\"WRONG-CODE0\",\"device_name\":\"x\"}";
      g_autofree char *r = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL,
                                      wrong, strlen (wrong), &status);
      assert_error (r, status, 401, NULL);
    }
  right = g_strdup_printf ("{\"code\":\"%s\",\"device_name\":\"x\"}", code);
  {
    g_autofree char *r = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL,
                                    right, strlen (right), &status);
    assert_error (r, status, 429, NULL);
  }
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM devices"), ==, 0);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM enrol_codes WHERE used_at IS NULL"),
                   ==, 1);
  /* A restart forgets the block (it lives in memory); the code still works
   * once, in lower case and without its dash. */
  g_assert_cmpint (sync_server_stop (s), ==, 0);
  sync_server_start (s);
  {
    g_autofree char *lower = g_ascii_strdown (code, -1);
    g_autofree char *typed = NULL;
    g_autofree char *r = NULL;
    lower[5] = ' ';
    typed = g_strdup_printf ("{\"code\":\"%s\",\"device_name\":\"x\"}", lower);
    r = sync_http (s, "POST", "/api/v1/enroll", NULL, "application/json", NULL, typed,
                   strlen (typed), &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (strstr (r, "\"token\""));
  }
  sync_server_free (s);
}

static void
test_sigterm_during_push (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db = NULL, *token = NULL, *body = NULL, *head = NULL, *rec = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = NULL;
  GString *reply = g_string_new (NULL);
  GInputStream *in;
  GOutputStream *out;
  char buf[4096];
  gssize n;

  sync_server_start (s);
  db = sync_enrolled_logbook (s, "00001");
  token = sync_device_token (db);
  rec = material_record (UUID1, "00001", 0, 10);
  body = g_strdup_printf ("{\"records\":[%s]}", rec);
  uri = g_uri_parse (s->url, G_URI_FLAGS_NONE, &error);
  conn = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri), NULL,
                                          &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  /* With "Expect: 100-continue" the server says when it has the headers:
   * from then on the request is in flight. */
  head = g_strdup_printf (
      "POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
      "Expect: 100-continue\r\n\r\n",
      token, strlen (body));
  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  while (strstr (reply->str, "\r\n\r\n") == NULL)
    {
      n = g_input_stream_read (in, buf, sizeof buf, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (reply, buf, n);
    }
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 100"));
  g_subprocess_send_signal (s->proc, SIGTERM);
  g_string_truncate (reply, 0);
  g_output_stream_write_all (out, body, strlen (body), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    {
      g_string_append_len (reply, buf, n);
      if (strstr (reply->str, "\"results\"") && g_str_has_suffix (reply->str, "]}"))
        break;
    }
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (reply->str, "\"accepted\""));
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_true (g_subprocess_get_if_exited (s->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (s->proc), ==, 0);
  g_clear_object (&s->proc);
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM records"), ==, 1);
  g_string_free (reply, TRUE);
  sync_server_free (s);
}

static void
test_admin_verbs (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *csv = g_build_filename (dir, "units.csv", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.csv", NULL);
  g_autofree char *out = NULL, *err = NULL, *before = NULL, *after = NULL;

  g_assert_true (g_file_set_contents (
      csv, "code,key_area,population_14_60\n00001,yes,1200\n00004,no,\n", -1, NULL));
  g_assert_true (g_file_set_contents (
      bad, "code,key_area,population_14_60\n00001,yes,1200\n00004,maybe,-3\n99999,no,1\n", -1,
      NULL));
  {
    const char *argv[] = { "org-units", "--db", s->db, "--import", csv, NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 0);
  }
  g_assert_cmpint (
      sync_query_int (s->db, "SELECT population_14_60 FROM org_units WHERE code = '00001'"), ==,
      1200);
  g_assert_cmpint (sync_query_int (s->db, "SELECT key_area FROM org_units WHERE code = '00001'"),
                   ==, 1);
  before = pcmbn_test_db_digest (s->db);
  {
    const char *argv[] = { "org-units", "--db", s->db, "--import", bad, NULL };
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "key_area"));
    g_assert_nonnull (strstr (err, "population_14_60"));
    g_assert_nonnull (strstr (err, "3"));
    g_assert_nonnull (strstr (err, "4"));
  }
  {
    const char *argv[] = { "org-units", "--db",       s->db,     "--set",
                           "00001",     "--key-area", "perhaps", NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 2);
  }
  {
    const char *argv[] = { "enroll-code", "--db", s->db, "--org-unit", "001", NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 2);
  }
  {
    const char *argv[] = { "serve", "--db", s->db, "--listen", "nowhere", NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 2);
  }
  after = pcmbn_test_db_digest (s->db);
  g_assert_cmpstr (before, ==, after);
  {
    g_autofree char *missing = g_build_filename (dir, "missing.sqlite", NULL);
    const char *argv[] = { "devices", "--db", missing, NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 2);
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }
  /* `report` is tested with the reports (tests/report). */
  sync_server_free (s);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

/* The uuids of the records among a pull page's changes, sorted. */
static char *
pulled_uuids (const char *page)
{
  g_autoptr (JsonNode) root = sync_parse (page);
  JsonArray *changes = json_object_get_array_member (json_node_get_object (root), "changes");
  g_autoptr (GPtrArray) uuids = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *c = json_array_get_object_element (changes, i);
      if (json_object_has_member (c, "record"))
        g_ptr_array_add (uuids, (gpointer)json_object_get_string_member (
                                    json_object_get_object_member (c, "record"), "uuid"));
    }
  g_ptr_array_sort (uuids, compare_strings);
  g_ptr_array_add (uuids, NULL);
  return g_strjoinv (" ", (char **)uuids->pdata);
}

/* A pull after a push leaves out what that push sent (from the push's
 * first_seq on, and only this device's own changes); without mine_from
 * everything comes; a page is gzipped for a client that accepts it. */
static void
test_pull_mine_and_gzip (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db_a = NULL, *db_b = NULL, *token_a = NULL, *token_b = NULL;
  g_autofree char *rec_a = NULL, *rec_b = NULL, *body_a = NULL, *body_b = NULL;
  g_autofree char *answer = NULL, *path = NULL, *page = NULL, *uuids = NULL, *bad = NULL;
  g_autoptr (JsonNode) root = NULL;
  gint64 first_seq;
  guint status;

  sync_server_start (s);
  db_a = sync_enrolled_logbook (s, "00001");
  db_b = sync_enrolled_logbook (s, "00001");
  token_a = sync_device_token (db_a);
  token_b = sync_device_token (db_b);
  rec_a = material_record (UUID1, "00001", 0, 10);
  rec_b = material_record (UUID2, "00001", 0, 20);
  body_a = g_strdup_printf ("{\"records\":[%s]}", rec_a);
  body_b = g_strdup_printf ("{\"records\":[%s]}", rec_b);

  answer = push (s, token_a, body_a, &status);
  g_assert_cmpuint (status, ==, 200);
  root = sync_parse (answer);
  first_seq = json_object_get_int_member (json_node_get_object (root), "first_seq");
  g_assert_cmpint (first_seq, >, 0);
  g_free (push (s, token_b, body_b, &status));
  g_assert_cmpuint (status, ==, 200);

  /* A's pull after its push: B's record only. */
  path = g_strdup_printf ("/api/v1/sync/pull?since=0&mine_from=%" G_GINT64_FORMAT, first_seq);
  page = sync_http (s, "GET", path, token_a, NULL, NULL, NULL, 0, &status);
  g_assert_cmpuint (status, ==, 200);
  uuids = pulled_uuids (page);
  g_assert_cmpstr (uuids, ==, UUID2);
  g_free (page);
  g_free (uuids);
  /* The same for changes written before they named their device (server
   * schema 4): told from the record's versions. */
  g_assert_cmpint (
      sync_query_int (s->db, "SELECT count(*) FROM changes WHERE device_id IS NOT NULL"), ==, 2);
  sync_exec (s->db, "UPDATE changes SET device_id = NULL");
  page = sync_http (s, "GET", path, token_a, NULL, NULL, NULL, 0, &status);
  uuids = pulled_uuids (page);
  g_assert_cmpstr (uuids, ==, UUID2);
  /* B's pull with the same mine_from: A's record is not B's own. */
  g_free (page);
  g_free (uuids);
  page = sync_http (s, "GET", path, token_b, NULL, NULL, NULL, 0, &status);
  uuids = pulled_uuids (page);
  g_assert_cmpstr (uuids, ==, UUID1);
  /* A's own changes before mine_from still come back. */
  g_free (path);
  g_free (page);
  g_free (uuids);
  path = g_strdup_printf ("/api/v1/sync/pull?since=0&mine_from=%" G_GINT64_FORMAT, first_seq + 1);
  page = sync_http (s, "GET", path, token_a, NULL, NULL, NULL, 0, &status);
  uuids = pulled_uuids (page);
  g_assert_cmpstr (uuids, ==, UUID1 " " UUID2);
  g_free (page);
  g_free (uuids);
  page = sync_http (s, "GET", "/api/v1/sync/pull?since=0", token_a, NULL, NULL, NULL, 0, &status);
  uuids = pulled_uuids (page);
  g_assert_cmpstr (uuids, ==, UUID1 " " UUID2);
  bad = sync_http (s, "GET", "/api/v1/sync/pull?since=0&mine_from=x", token_a, NULL, NULL, NULL, 0,
                   &status);
  assert_error (bad, status, 400, "bad_mine_from");

  /* Gzip on the wire, the same JSON inside, for a page over 1 KB. */
  {
    GString *more = g_string_new ("{\"records\":[");
    for (int i = 0; i < 20; i++)
      {
        g_autofree char *uuid = g_uuid_string_random ();
        g_autofree char *rec = material_record (uuid, "00001", 0, i + 1);
        g_string_append_printf (more, "%s%s", i ? "," : "", rec);
      }
    g_string_append (more, "]}");
    g_free (push (s, token_b, more->str, &status));
    g_assert_cmpuint (status, ==, 200);
    g_string_free (more, TRUE);
    g_free (page);
    page = sync_http (s, "GET", "/api/v1/sync/pull?since=0", token_a, NULL, NULL, NULL, 0, &status);
    g_assert_cmpuint (strlen (page), >, 1024);
  }
  {
    g_autoptr (SoupSession) session = soup_session_new ();
    g_autofree char *url = g_strconcat (s->url, "api/v1/sync/pull?since=0", NULL);
    g_autofree char *auth = g_strconcat ("Bearer ", token_a, NULL);
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr (GBytes) wire = NULL;
    g_autoptr (GBytes) plain = NULL;
    g_autoptr (GError) error = NULL;

    /* Read the bytes as they travel. */
    soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Encoding",
                                  "gzip");
    wire = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpstr (
        soup_message_headers_get_one (soup_message_get_response_headers (msg), "Content-Encoding"),
        ==, "gzip");
    plain = pcmbn_wire_gunzip (wire, 1 << 24, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), page, strlen (page));
    g_assert_cmpuint (g_bytes_get_size (wire), <, strlen (page));
  }
  sync_server_free (s);
}

/* GET of a blob: body, status and Content-Range (nullable). */
static GBytes *
get_blob (SyncServer *s,
          const char *token,
          const char *sha,
          const char *range,
          guint *status,
          char **content_range)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (s->url, "api/v1/blobs/", sha, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  GBytes *body;

  if (token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (range)
    soup_message_headers_replace (headers, "Range", range);
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  g_assert_nonnull (body);
  *status = soup_message_get_status (msg);
  if (content_range)
    *content_range = g_strdup (
        soup_message_headers_get_one (soup_message_get_response_headers (msg), "Content-Range"));
  return body;
}

/* Attachments come back: the whole blob, or a range of it to resume an
 * interrupted download; to the devices of its commune and to staff only. */
static void
test_blob_get_range (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *db_a = NULL, *db_c = NULL, *token_a = NULL, *token_c = NULL, *staff = NULL;
  g_autofree char *sha = NULL, *path = NULL, *r = NULL;
  gsize size = 200 * 1024;
  g_autofree guchar *content = g_malloc (size);
  guint status;

  for (gsize i = 0; i < size; i++)
    content[i] = (guchar)(i * 7 + i / 251);
  sha = pcmbn_sha256_hex (content, size);
  sync_server_start (s);
  db_a = sync_enrolled_logbook (s, "00001");
  db_c = sync_enrolled_logbook (s, "00004");
  token_a = sync_device_token (db_a);
  token_c = sync_device_token (db_c);
  staff = sync_staff_token (s);
  path = g_strconcat ("/api/v1/blobs/", sha, NULL);
  r = sync_http (s, "PUT", path, token_a, "application/octet-stream", NULL, content, size, &status);
  g_assert_cmpuint (status, ==, 201);

  {
    g_autoptr (GBytes) whole = get_blob (s, token_a, sha, NULL, &status, NULL);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpmem (g_bytes_get_data (whole, NULL), g_bytes_get_size (whole), content, size);
  }
  {
    /* Resumed after 150,000 bytes. */
    g_autofree char *cr = NULL;
    g_autoptr (GBytes) rest = get_blob (s, token_a, sha, "bytes=150000-", &status, &cr);
    g_autofree char *expect = g_strdup_printf ("bytes 150000-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT,
                                               size - 1, size);
    g_assert_cmpuint (status, ==, 206);
    g_assert_cmpstr (cr, ==, expect);
    g_assert_cmpmem (g_bytes_get_data (rest, NULL), g_bytes_get_size (rest), content + 150000,
                     size - 150000);
  }
  {
    g_autofree char *cr = NULL;
    g_autoptr (GBytes) part = get_blob (s, token_a, sha, "bytes=10-19", &status, &cr);
    g_assert_cmpuint (status, ==, 206);
    g_assert_cmpstr (cr, ==, "bytes 10-19/204800");
    g_assert_cmpmem (g_bytes_get_data (part, NULL), g_bytes_get_size (part), content + 10, 10);
  }
  {
    g_autoptr (GBytes) tail = get_blob (s, token_a, sha, "bytes=-100", &status, NULL);
    g_assert_cmpuint (status, ==, 206);
    g_assert_cmpmem (g_bytes_get_data (tail, NULL), g_bytes_get_size (tail), content + size - 100,
                     100);
  }
  /* Ranges that cannot be met: 416, with the size. */
  {
    static const char *const bad[] = { "bytes=300000-", "bytes=20-10", "bytes=0-1,5-6", "items=0-1",
                                       "bytes=x-" };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *cr = NULL;
        g_autoptr (GBytes) b = get_blob (s, token_a, sha, bad[i], &status, &cr);
        g_autofree char *text = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
        assert_error (text, status, 416, "range_not_satisfiable");
        g_assert_cmpstr (cr, ==, "bytes */204800");
      }
  }
  /* Staff may read it; another commune's device, nobody and a missing hash
   * may not. */
  {
    g_autoptr (GBytes) b = get_blob (s, staff, sha, NULL, &status, NULL);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpuint (g_bytes_get_size (b), ==, size);
  }
  {
    g_autoptr (GBytes) b = get_blob (s, token_c, sha, NULL, &status, NULL);
    g_autofree char *text = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
    assert_error (text, status, 404, "not_found");
  }
  {
    g_autoptr (GBytes) b = get_blob (s, NULL, sha, NULL, &status, NULL);
    g_assert_cmpuint (status, ==, 401);
  }
  {
    g_autofree char *missing = pcmbn_sha256_hex ((const guchar *)"x", 1);
    g_autoptr (GBytes) b = get_blob (s, token_a, missing, NULL, &status, NULL);
    g_assert_cmpuint (status, ==, 404);
  }
  g_assert_cmpint (sync_query_int (s->db, "SELECT count(*) FROM audit WHERE action = 'blob-read'"),
                   >=, 5);
  sync_server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync-http/idempotent-retry", test_idempotent_retry);
  g_test_add_func ("/sync-http/mixed-batch", test_mixed_batch);
  g_test_add_func ("/sync-http/error-statuses", test_error_statuses);
  g_test_add_func ("/sync-http/push-read-while-stored", test_push_read_while_stored);
  g_test_add_func ("/sync-http/throttle", test_throttle);
  g_test_add_func ("/sync-http/sigterm-during-push", test_sigterm_during_push);
  g_test_add_func ("/sync-http/admin-verbs", test_admin_verbs);
  g_test_add_func ("/sync-http/pull-mine-and-gzip", test_pull_mine_and_gzip);
  g_test_add_func ("/sync-http/blob-get-range", test_blob_get_range);
  return g_test_run ();
}
