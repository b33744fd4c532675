/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "sync-helpers.h"

/* The dashboard and the report downloads over real HTTP: a real
 * `pcmbn-district serve` on loopback, communes that enrolled and synced
 * with the real `pcmbn`, and a libsoup client that keeps headers and does
 * not follow redirects, so that every status and cookie is seen as sent. */

#define ACTIVITY                                                                      \
  "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\",\"subproject\":"     \
  "\"community\",\"title\":\"Nói chuyện tại Tổ 5\",\"participants_total\":40," \
  "\"participants_female\":22}"
#define MATERIAL                                                   \
  "{\"material_type\":\"leaflet\",\"received_on\":\"2026-01-05\"," \
  "\"quantity_received\":500,\"deployed_on\":\"2026-02-01\",\"quantity_deployed\":300}"

typedef struct
{
  guint status;
  GBytes *body;
  SoupMessageHeaders *headers;
} Resp;

static void
resp_free (Resp *r)
{
  g_bytes_unref (r->body);
  soup_message_headers_unref (r->headers);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Resp, resp_free)

static const char *
text (Resp *r)
{
  /* Every body this test reads as text is NUL-free; the copy below ends it. */
  return g_bytes_get_data (r->body, NULL);
}

static gboolean
accept_any_cb (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

static Resp *
request (SyncServer *s,
         const char *method,
         const char *path,
         const char *cookie,
         const char *bearer,
         const char *origin,
         const char *content_type,
         const char *body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (s->url, path + 1, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  Resp *r = g_new0 (Resp, 1);
  gsize len;
  const char *data;

  g_assert_nonnull (msg);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* The TLS test's certificate is self-signed. */
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  if (cookie)
    soup_message_headers_replace (headers, "Cookie", cookie);
  if (bearer)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", bearer, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (origin)
    soup_message_headers_replace (headers, "Origin", origin);
  if (body)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  r->status = soup_message_get_status (msg);
  data = g_bytes_get_data (reply, &len);
  /* A NUL after the bytes, so that text() can hand the body to strstr(). */
  {
    char *copy = g_malloc (len + 1);
    if (len)
      memcpy (copy, data, len);
    copy[len] = '\0';
    r->body = g_bytes_new_with_free_func (copy, len, g_free, copy);
  }
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  return r;
}

/* A request whose Host header names another site, as a browser sends it
 * after DNS rebinding. */
static Resp *
request_with_host (SyncServer *s,
                   const char *method,
                   const char *path,
                   const char *host,
                   const char *origin,
                   const char *content_type,
                   const char *body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (s->url, path + 1, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  Resp *r = g_new0 (Resp, 1);

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (headers, "Host", host);
  soup_message_headers_replace (headers, "Origin", origin);
  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  r->status = soup_message_get_status (msg);
  r->body = g_bytes_new (NULL, 0);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  return r;
}

static char *
origin_of (SyncServer *s)
{
  /* s->url is "http://127.0.0.1:PORT/". */
  return g_strndup (s->url, strlen (s->url) - 1);
}

/* Signs in with @token; returns the "pcmbn_session=…" pair for a Cookie
 * header, after checking the cookie's flags. */
static char *
sign_in (SyncServer *s, const char *token)
{
  g_autofree char *origin = origin_of (s);
  g_autofree char *form = g_strconcat ("token=", token, NULL);
  g_autoptr (Resp) r = request (s, "POST", "/login", NULL, NULL, origin,
                                "application/x-www-form-urlencoded", form);
  const char *set_cookie = soup_message_headers_get_one (r->headers, "Set-Cookie");
  g_auto (GStrv) parts = NULL;

  g_assert_cmpuint (r->status, ==, 303);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Location"), ==, "/");
  g_assert_nonnull (set_cookie);
  /* A random session id, never the token itself. */
  g_assert_null (strstr (set_cookie, token));
  g_assert_nonnull (strstr (set_cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "; SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "; Path=/"));
  g_assert_true (g_str_has_prefix (set_cookie, "pcmbn_session="));
  parts = g_strsplit (set_cookie, ";", 2);
  g_assert_cmpuint (strlen (parts[0]), ==, strlen ("pcmbn_session=") + 64);
  return g_strdup (parts[0]);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

typedef struct
{
  SyncServer *s;
  char *staff;
  char *device; /* the token of 00001's logbook */
  char *logbook;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *other = NULL, *out = NULL, *err = NULL;

  f->s = sync_server_new (FALSE);
  f->staff = sync_staff_token (f->s);
  sync_server_start (f->s);
  /* Two of Ba Đình's 14 communes sync; the other 12 never do. */
  f->logbook = sync_enrolled_logbook (f->s, "00001");
  g_free (sync_add (f->logbook, "activity", ACTIVITY));
  g_free (sync_add (f->logbook, "material", MATERIAL));
  g_assert_cmpint (sync_cli (f->logbook, &out, &err, "sync", NULL), ==, 0);
  other = sync_enrolled_logbook (f->s, "00004");
  g_assert_cmpint (sync_cli (other, NULL, NULL, "sync", NULL), ==, 0);
  f->device = sync_device_token (f->logbook);
  g_assert_nonnull (f->device);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  sync_server_free (f->s);
  g_free (f->staff);
  g_free (f->device);
  g_free (f->logbook);
}

static void
test_sign_in (Fixture *f, gconstpointer data)
{
  g_autofree char *origin = origin_of (f->s);
  g_autofree char *cookie = NULL;

  /* Without a session: the sign-in page, and nothing of the district. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/", NULL, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_true (
        g_str_has_prefix (soup_message_headers_get_content_type (r->headers, NULL), "text/html"));
    g_assert_nonnull (strstr (text (r), "<html lang=\"en\">"));
    g_assert_nonnull (
        strstr (text (r), "<form class=\"signin\" method=\"post\" action=\"/login\">"));
    g_assert_nonnull (strstr (text (r), "name=\"token\" type=\"password\""));
    g_assert_null (strstr (text (r), "id=\"communes\""));
    g_assert_nonnull (soup_message_headers_get_one (r->headers, "Content-Security-Policy"));
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "X-Frame-Options"), ==, "DENY");
  }
  /* A wrong token, an empty one, a device's token: a clear message, no cookie. */
  {
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin,
                                  "application/x-www-form-urlencoded", "token=s_wrong");
    g_assert_cmpuint (r->status, ==, 401);
    g_assert_nonnull (strstr (text (r), "class=\"error\""));
    g_assert_nonnull (strstr (text (r), "not known to the district server"));
    g_assert_null (soup_message_headers_get_one (r->headers, "Set-Cookie"));
  }
  {
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin,
                                  "application/x-www-form-urlencoded", "token=+++");
    g_assert_cmpuint (r->status, ==, 400);
    g_assert_null (soup_message_headers_get_one (r->headers, "Set-Cookie"));
  }
  {
    g_autofree char *form = g_strconcat ("token=", f->device, NULL);
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin,
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 403);
    g_assert_nonnull (strstr (text (r), "device"));
    g_assert_null (soup_message_headers_get_one (r->headers, "Set-Cookie"));
  }
  /* The right token from a form on another site: refused. */
  {
    g_autofree char *form = g_strconcat ("token=", f->staff, NULL);
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, "http://evil.example",
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 403);
    g_assert_null (soup_message_headers_get_one (r->headers, "Set-Cookie"));
  }
  {
    g_autofree char *form = g_strconcat ("token=", f->staff, NULL);
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin, "text/plain", form);
    g_assert_cmpuint (r->status, ==, 415);
  }
  /* A made-up session id is no session. */
  {
    g_autoptr (Resp) r = request (
        f->s, "GET", "/",
        "pcmbn_session=0000000000000000000000000000000000000000000000000000000000000000", NULL,
        NULL, NULL, NULL);
    g_assert_nonnull (strstr (text (r), "name=\"token\""));
  }

  cookie = sign_in (f->s, f->staff);
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=2026", cookie, NULL, NULL, NULL, NULL);
    const char *page = text (r);
    const char *first_row, *synced_row;
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_nonnull (strstr (page, "Signed in as Chị Hoa"));
    g_assert_nonnull (strstr (page, "Quận Ba Đình"));
    g_assert_nonnull (strstr (page, "<table id=\"indicators\">"));
    g_assert_nonnull (strstr (page, "<table id=\"communes\">"));
    /* Every commune of the district, the silent ones first and marked. */
    g_assert_cmpuint (count (page, "<tr data-code=\""), ==, 14);
    g_assert_cmpuint (count (page, "class=\"never-synced\""), ==, 12);
    g_assert_nonnull (strstr (page, "12 have never synced"));
    first_row = strstr (page, "<tr data-code=\"");
    g_assert_nonnull (strstr (first_row, "class=\"never-synced\""));
    g_assert_true (strstr (first_row, "class=\"never-synced\"") < strstr (first_row, "</tr>"));
    synced_row = strstr (page, "<tr data-code=\"00001\">");
    g_assert_nonnull (synced_row);
    g_assert_true (synced_row > strstr (page, "<tr data-code=\"00007\"")); /* after a silent one */
    {
      g_autofree char *row = g_strndup (synced_row, strstr (synced_row, "</tr>") - synced_row);
      /* Phúc Xá: synced; one activity, one material; i1 met. */
      g_assert_nonnull (strstr (row, "Phúc Xá"));
      g_assert_nonnull (strstr (row, "<time datetime=\"2026-"));
      g_assert_nonnull (strstr (row, "<td class=\"num\">1</td>"));
      g_assert_nonnull (strstr (row, "<td class=\"yes\">yes</td>"));
    }
    /* i1: 1 of 14 communes. */
    g_assert_nonnull (strstr (page, "<td class=\"num\">1 / 14</td>"));
    /* A download link for every format. */
    g_assert_nonnull (strstr (page, "href=\"/download?year=2026&amp;format=pdf\""));
    g_assert_nonnull (strstr (page, "href=\"/download?year=2026&amp;format=xlsx\""));
    g_assert_nonnull (strstr (page, "href=\"/download?year=2026&amp;format=csv\""));
    g_assert_nonnull (strstr (page, "href=\"/download?year=2026&amp;format=json\""));
    g_assert_nonnull (strstr (page, "<option value=\"2026\" selected>"));
  }
  /* Another year: no record dated in it, the same communes. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=2024", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_nonnull (strstr (text (r), "<option value=\"2024\" selected>"));
    g_assert_cmpuint (count (text (r), "<tr data-code=\""), ==, 14);
    g_assert_nonnull (strstr (text (r), "<td class=\"num\">0 / 14</td>"));
  }
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=abc", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 400);
    g_assert_nonnull (strstr (text (r), "year: "));
  }
  /* The style sheet; methods. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/dashboard.css", NULL, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_true (
        g_str_has_prefix (soup_message_headers_get_content_type (r->headers, NULL), "text/css"));
    g_assert_nonnull (strstr (text (r), "never-synced"));
  }
  {
    g_autoptr (Resp) r = request (f->s, "POST", "/", cookie, NULL, origin,
                                  "application/x-www-form-urlencoded", "x=1");
    g_assert_cmpuint (r->status, ==, 405);
  }
  {
    g_autoptr (Resp) r = request (f->s, "DELETE", "/login", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 405);
  }

  /* Sign out: the cookie is cleared and the old session id is dead. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/logout", cookie, NULL, NULL, NULL, NULL);
    const char *set_cookie = soup_message_headers_get_one (r->headers, "Set-Cookie");
    g_assert_cmpuint (r->status, ==, 303);
    g_assert_nonnull (set_cookie);
    g_assert_nonnull (strstr (set_cookie, "Max-Age=0"));
  }
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/", cookie, NULL, NULL, NULL, NULL);
    g_assert_nonnull (strstr (text (r), "name=\"token\""));
    g_assert_null (strstr (text (r), "id=\"communes\""));
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/download?year=2026&format=pdf", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 303);
  }
}

static void
check_file (GBytes *bytes, const char *format)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_assert_cmpuint (len, >, 4);
  if (g_str_equal (format, "pdf"))
    g_assert_cmpmem (data, 5, "%PDF-", 5);
  else if (g_str_equal (format, "xlsx"))
    g_assert_cmpmem (data, 4, "PK\x03\x04", 4);
  else if (g_str_equal (format, "csv"))
    g_assert_cmpmem (data, 3, "\xEF\xBB\xBF", 3);
  else
    g_assert_cmpint (data[0], ==, '{');
}

static void
test_downloads (Fixture *f, gconstpointer data)
{
  static const char *const formats[] = { "pdf", "xlsx", "csv", "json" };
  g_autofree char *cookie = sign_in (f->s, f->staff);
  g_autofree char *api_json = NULL;

  /* The API: JSON as the contract's body, the others as attachments. */
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/api/v1/report?year=2026", NULL, f->staff, NULL, NULL, NULL);
    g_autoptr (JsonNode) root = NULL;
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==,
                     "application/json");
    g_assert_null (soup_message_headers_get_one (r->headers, "Content-Disposition"));
    root = sync_parse (text (r));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "org_unit"), ==,
                     "001");
    api_json = g_strdup (text (r));
  }
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/report?year=2026&format=%s", formats[i]);
      g_autofree char *download = g_strdup_printf ("/download?year=2026&format=%s", formats[i]);
      g_autofree char *name = g_strdup_printf ("attachment; filename=\"pcmbn-report-001-2026.%s\"",
                                               formats[i]);
      g_autoptr (Resp) api = request (f->s, "GET", path, NULL, f->staff, NULL, NULL, NULL);
      g_autoptr (Resp) page = request (f->s, "GET", download, cookie, NULL, NULL, NULL, NULL);
      g_assert_cmpuint (api->status, ==, 200);
      g_assert_cmpuint (page->status, ==, 200);
      check_file (api->body, formats[i]);
      check_file (page->body, formats[i]);
      g_assert_cmpstr (soup_message_headers_get_content_type (api->headers, NULL), ==,
                       soup_message_headers_get_content_type (page->headers, NULL));
      /* From the dashboard every format is a file to save. */
      g_assert_cmpstr (soup_message_headers_get_one (page->headers, "Content-Disposition"), ==,
                       name);
      if (!g_str_equal (formats[i], "json"))
        g_assert_cmpstr (soup_message_headers_get_one (api->headers, "Content-Disposition"), ==,
                         name);
      /* Text formats carry the same bytes however they are asked for. */
      if (g_str_equal (formats[i], "csv") || g_str_equal (formats[i], "json"))
        g_assert_true (g_bytes_equal (api->body, page->body));
      if (g_str_equal (formats[i], "json"))
        g_assert_cmpstr (text (page), ==, api_json);
    }
  /* from/to instead of a year. */
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/api/v1/report?from=2026-01-01&to=2026-06-30&format=csv", NULL,
                     f->staff, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Content-Disposition"), ==,
                     "attachment; filename=\"pcmbn-report-001-2026-01-01_2026-06-30.csv\"");
  }
  /* Bad input. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/api/v1/report?year=2026&format=docx", NULL,
                                  f->staff, NULL, NULL, NULL);
    g_autoptr (JsonNode) root = sync_parse (text (r));
    g_assert_cmpuint (r->status, ==, 400);
    g_assert_cmpstr (
        json_object_get_string_member (
            json_object_get_object_member (json_node_get_object (root), "error"), "code"),
        ==, "bad_format");
  }
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/api/v1/report?from=2026-01-01&format=pdf", NULL,
                                  f->staff, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 400);
  }
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/download?year=2026&format=docx", cookie, NULL,
                                  NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 400);
    g_assert_true (
        g_str_has_prefix (soup_message_headers_get_content_type (r->headers, NULL), "text/html"));
    g_assert_nonnull (strstr (text (r), "format: "));
  }
  /* Who may read it: a device token is forbidden, no token is unauthorized,
   * and the dashboard's cookie does not open the API. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/api/v1/report?year=2026&format=pdf", NULL,
                                  f->device, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 403);
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/api/v1/report?year=2026", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 401);
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/download?year=2026&format=csv", NULL, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 303);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Location"), ==, "/");
  }

  /* The CLI: the same report, to a file or to stdout. */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *dir = pcmbn_test_tmpdir ();
      g_autofree char *file = g_build_filename (dir, "report", NULL);
      const char *to_file[] = { "report",   "--db",     f->s->db, "--year", "2026",
                                "--format", formats[i], "-o",     file,     NULL };
      const char *to_stdout[] = { "report", "--db",     f->s->db,   "--year",
                                  "2026",   "--format", formats[i], NULL };
      g_autoptr (GBytes) out = NULL, out2 = NULL;
      g_autofree char *contents = NULL;
      gsize len;
      int status;

      out = sync_district_bytes (to_file, &status, NULL);
      g_assert_cmpint (status, ==, 0);
      g_assert_cmpuint (g_bytes_get_size (out), ==, 0);
      g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
      {
        g_autoptr (GBytes) bytes = g_bytes_new (contents, len);
        check_file (bytes, formats[i]);
        out2 = sync_district_bytes (to_stdout, &status, NULL);
        g_assert_cmpint (status, ==, 0);
        check_file (out2, formats[i]);
        if (g_str_equal (formats[i], "csv") || g_str_equal (formats[i], "json"))
          g_assert_true (g_bytes_equal (bytes, out2));
        if (g_str_equal (formats[i], "json"))
          g_assert_cmpstr (contents, ==, api_json);
      }
    }
  /* Its errors: exit 2 naming the option, 1 when the file cannot be
   * written, and no file left behind. */
  {
    g_autofree char *dir = pcmbn_test_tmpdir ();
    g_autofree char *file = g_build_filename (dir, "out.pdf", NULL);
    g_autofree char *nowhere = g_build_filename (dir, "missing", "out.pdf", NULL);
    g_autofree char *missing_db = g_build_filename (dir, "missing.sqlite", NULL);
    struct
    {
      const char *args[12];
      int status;
      const char *prefix;
    } cases[] = {
      { { "report", "--db", f->s->db, "--year", "2026", "--format", "docx", "-o", file, NULL },
        2,
        "format: " },
      { { "report", "--db", f->s->db, "--year", "20x6", "--format", "pdf", "-o", file, NULL },
        2,
        "year: " },
      { { "report", "--db", f->s->db, "--from", "2026-01-01", "--format", "pdf", "-o", file, NULL },
        2,
        "to: " },
      { { "report", "--db", f->s->db, "--from", "2026-02-30", "--to", "2026-03-01", "--format",
          "pdf", "-o", file, NULL },
        2,
        "from: " },
      { { "report", "--db", f->s->db, "--year", "2026", "--from", "2026-01-01", "--to",
          "2026-03-01", "-o", file, NULL },
        2,
        "year: " },
      { { "report", "--db", missing_db, "--year", "2026", "--format", "pdf", "-o", file, NULL },
        2,
        "db: " },
      { { "report", "--db", f->s->db, "--year", "2026", "--format", "pdf", "-o", nowhere, NULL },
        1,
        "o: " },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *err = NULL;
        int status;
        g_autoptr (GBytes) out = sync_district_bytes (cases[i].args, &status, &err);
        g_assert_cmpint (status, ==, cases[i].status);
        g_assert_cmpuint (g_bytes_get_size (out), ==, 0);
        if (!g_str_has_prefix (err, cases[i].prefix))
          g_error ("case %u: “%s” does not start with “%s”", i, err, cases[i].prefix);
        g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
      }
    g_assert_false (g_file_test (missing_db, G_FILE_TEST_EXISTS));
  }
}

/* Names come from data: whatever they hold is shown, never obeyed. */
static void
test_escaping (Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = sign_in (f->s, f->staff);

  sync_exec (
      f->s->db,
      "UPDATE org_units SET name = '<script>alert(1)</script> & \"Q''s\"' WHERE code = '00007'");
  sync_exec (f->s->db, "UPDATE staff_tokens SET name = '<img src=x onerror=alert(2)>'");
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_null (strstr (text (r), "<script"));
    g_assert_null (strstr (text (r), "<img"));
    g_assert_nonnull (
        strstr (text (r), "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Q&apos;s&quot;"));
    g_assert_nonnull (strstr (text (r), "&lt;img src=x onerror=alert(2)&gt;"));
  }
}

/* A revoked staff token ends its sessions at their next request. */
static void
test_revoked (Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = sign_in (f->s, f->staff);

  {
    g_autoptr (Resp) r = request (f->s, "GET", "/", cookie, NULL, NULL, NULL, NULL);
    g_assert_nonnull (strstr (text (r), "id=\"communes\""));
  }
  sync_exec (f->s->db, "UPDATE staff_tokens SET revoked_at = '2026-11-29T00:00:00Z'");
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/", cookie, NULL, NULL, NULL, NULL);
    g_assert_null (strstr (text (r), "id=\"communes\""));
    g_assert_nonnull (strstr (text (r), "name=\"token\""));
  }
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/download?year=2026&format=json", cookie, NULL,
                                  NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 303);
  }
}

/* The page's language follows the server's: lang="vi" under Vietnamese. */
static void
test_language (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autoptr (Resp) r = NULL;

  g_setenv ("LANGUAGE", "vi", TRUE);
  sync_server_start (s);
  g_unsetenv ("LANGUAGE");
  r = request (s, "GET", "/", NULL, NULL, NULL, NULL, NULL);
  g_assert_nonnull (strstr (text (r), "<html lang=\"vi\">"));
  sync_server_free (s);
}

/* Under HTTPS the cookie is also Secure; the origin check knows the scheme. */
static void
test_tls (void)
{
  SyncServer *s = sync_server_new (TRUE);
  g_autofree char *staff = NULL, *origin = NULL, *form = NULL, *http_origin = NULL;

  if (s->cert == NULL)
    {
      sync_server_free (s);
      g_test_skip ("openssl could not make a certificate");
      return;
    }
  staff = sync_staff_token (s);
  sync_server_start (s);
  g_assert_true (g_str_has_prefix (s->url, "https://"));
  origin = origin_of (s);
  form = g_strconcat ("token=", staff, NULL);
  {
    g_autoptr (Resp) r = request (s, "POST", "/login", NULL, NULL, origin,
                                  "application/x-www-form-urlencoded", form);
    const char *set_cookie = soup_message_headers_get_one (r->headers, "Set-Cookie");
    g_assert_cmpuint (r->status, ==, 303);
    g_assert_nonnull (set_cookie);
    g_assert_nonnull (strstr (set_cookie, "; Secure"));
    /* Under TLS the browser is told to stay on HTTPS. */
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Strict-Transport-Security"), ==,
                     "max-age=31536000");
  }
  {
    g_autoptr (Resp) r = request (s, "GET", "/", NULL, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_nonnull (soup_message_headers_get_one (r->headers, "Strict-Transport-Security"));
  }
  /* The same host and port over plain http is another origin. */
  http_origin = g_strconcat ("http://", origin + strlen ("https://"), NULL);
  {
    g_autoptr (Resp) r = request (s, "POST", "/login", NULL, NULL, http_origin,
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 403);
  }
  sync_server_free (s);
}

/* A sign-in form is accepted from the server's configured public URL
 * only, never from whatever Host the request names: a site that points its
 * own name at the server (DNS rebinding) sends matching Origin and Host. */
static void
test_origin (void)
{
  SyncServer *s = sync_server_new (FALSE);
  g_autofree char *staff = sync_staff_token (s);
  g_autofree char *form = g_strconcat ("token=", staff, NULL);
  g_autofree char *listen_origin = NULL, *port_part = NULL, *evil = NULL, *host = NULL;

  sync_server_start (s);
  listen_origin = origin_of (s);
  port_part = g_strdup (strrchr (listen_origin, ':'));
  evil = g_strconcat ("http://evil.example", port_part, NULL);
  host = g_strconcat ("evil.example", port_part, NULL);
  {
    g_autoptr (Resp) r = request_with_host (s, "POST", "/login", host, evil,
                                            "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 403);
    g_assert_null (soup_message_headers_get_one (r->headers, "Set-Cookie"));
  }
  /* The loopback names of a loopback server are all its own. */
  {
    g_autofree char *localhost = g_strconcat ("http://localhost", port_part, NULL);
    g_autoptr (Resp) r = request (s, "POST", "/login", NULL, NULL, localhost,
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 303);
  }
  g_assert_cmpint (sync_server_stop (s), ==, 0);

  /* Behind a reverse proxy: the public URL, and nothing else. */
  s->public_url = "https://pcmbn.example.gov.vn";
  sync_server_start (s);
  {
    g_autoptr (Resp) r = request (s, "POST", "/login", NULL, NULL, "https://pcmbn.example.gov.vn",
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 303);
  }
  {
    g_autoptr (Resp)
        r = request (s, "POST", "/login", NULL, NULL, "https://PCMBN.example.gov.vn:443",
                     "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 303);
  }
  g_free (listen_origin);
  listen_origin = origin_of (s);
  {
    g_autoptr (Resp) r = request (s, "POST", "/login", NULL, NULL, listen_origin,
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 403);
  }
  g_assert_cmpint (sync_server_stop (s), ==, 0);

  /* A public URL that is not one: exit 2, naming the option. */
  {
    const char *argv[] = { "serve", "--db", s->db, "--public-url", "pcmbn.example.gov.vn", NULL };
    g_autofree char *err = NULL;
    g_assert_cmpint (sync_district (argv, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "public-url"));
  }
  s->public_url = NULL;
  sync_server_free (s);
}

/* Five wrong tokens from one address: the sixth attempt waits, even with
 * the right token; the refusals are in the audit. A restart changes
 * nothing, and a signed-in session survives it. */
static void
test_throttle_and_restart (Fixture *f, gconstpointer data)
{
  g_autofree char *origin = origin_of (f->s);
  g_autofree char *cookie = sign_in (f->s, f->staff);
  g_autofree char *form = g_strconcat ("token=", f->staff, NULL);
  g_autofree char *out = NULL;

  /* Not counted: no token guessed. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, "http://evil.example",
                                    "application/x-www-form-urlencoded", "token=s_x");
      g_assert_cmpuint (r->status, ==, 403);
    }
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin,
                                    "application/x-www-form-urlencoded", "token=s_wrong");
      g_assert_cmpuint (r->status, ==, 401);
    }
  g_assert_cmpint (sync_server_stop (f->s), ==, 0);
  sync_server_start (f->s);
  g_free (origin);
  origin = origin_of (f->s); /* a new port */
  {
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin,
                                  "application/x-www-form-urlencoded", form);
    g_assert_cmpuint (r->status, ==, 429);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Retry-After"), ==, "600");
    g_assert_nonnull (strstr (text (r), "Wait 10 minutes"));
    g_assert_null (soup_message_headers_get_one (r->headers, "Set-Cookie"));
  }
  /* The session made before the restart still reads the dashboard. */
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=2026", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_nonnull (strstr (text (r), "Signed in as Chị Hoa"));
    g_assert_nonnull (strstr (text (r), "<table id=\"communes\">"));
  }
  /* The audit holds the refusals, not the tokens. */
  {
    const char *argv[] = { "audit", "--db", f->s->db, NULL };
    g_assert_cmpint (sync_district (argv, &out, NULL), ==, 0);
    g_assert_null (strstr (out, f->staff));
    g_assert_null (strstr (out, "s_wrong"));
    g_assert_nonnull (strstr (out, "dashboard: another origin"));
  }
}

/* The entry of @entries with this actor, action and object (prefix),
 * or NULL. */
static JsonObject *
find_entry (JsonArray *entries, const char *actor, const char *action, const char *object)
{
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);
      const char *o = json_object_get_null_member (e, "object")
                          ? NULL
                          : json_object_get_string_member (e, "object");
      if ((actor == NULL || g_strcmp0 (json_object_get_string_member (e, "actor"), actor) == 0)
          && g_str_equal (json_object_get_string_member (e, "action"), action)
          && (object == NULL || (o && g_str_has_prefix (o, object))))
        return e;
    }
  return NULL;
}

/* Every read of commune data, every sign-in and enrolment attempt and every
 * admin verb reach `pcmbn-district audit`; no token and no enrolment code
 * reach the audit or the server's log. */
static void
test_audit (Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = sign_in (f->s, f->staff);
  g_autofree char *origin = origin_of (f->s);
  g_autofree char *code = sync_enrol_code (f->s, "00007");
  g_autofree char *out = NULL, *err = NULL, *log = NULL, *wrong = NULL, *enrol = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *entries;
  JsonObject *e;

  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=2026", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
    /* Plain HTTP: no HSTS, which would only be ignored. */
    g_assert_null (soup_message_headers_get_one (r->headers, "Strict-Transport-Security"));
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/download?year=2026&format=csv", cookie, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/api/v1/report?year=2026", NULL, f->staff, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 200);
  }
  {
    g_autoptr (Resp) r = request (f->s, "POST", "/login", NULL, NULL, origin,
                                  "application/x-www-form-urlencoded", "token=s_wrong");
    g_assert_cmpuint (r->status, ==, 401);
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "GET", "/api/v1/sync/pull?since=0", NULL, "d_unknown", NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 401);
  }
  /* A wrong code, then the right one. */
  wrong = g_strdup_printf ("{\"code\":\"%c%s\",\"device_name\":\"Máy 7\"}",
                           code[0] == 'A' ? 'B' : 'A', code + 1);
  enrol = g_strdup_printf ("{\"code\":\"%s\",\"device_name\":\"Máy 7\"}", code);
  {
    g_autoptr (Resp)
        r = request (f->s, "POST", "/api/v1/enroll", NULL, NULL, NULL, "application/json", wrong);
    g_assert_cmpuint (r->status, ==, 401);
  }
  {
    g_autoptr (Resp)
        r = request (f->s, "POST", "/api/v1/enroll", NULL, NULL, NULL, "application/json", enrol);
    g_assert_cmpuint (r->status, ==, 200);
  }

  {
    const char *argv[] = { "audit", "--db", f->s->db, NULL };
    g_assert_cmpint (sync_district (argv, &out, &err), ==, 0);
  }
  root = sync_parse (out);
  entries = json_node_get_array (root);
  /* The download, by whom and what, without the token. */
  e = find_entry (entries, "staff:Chị Hoa", "download", "report year=2026 format=csv");
  g_assert_nonnull (e);
  g_assert_true (json_object_get_boolean_member (e, "ok"));
  g_assert_cmpstr (json_object_get_string_member (e, "address"), ==, "127.0.0.1");
  g_assert_nonnull (find_entry (entries, "staff:Chị Hoa", "report", "report year=2026"));
  g_assert_nonnull (find_entry (entries, "staff:Chị Hoa", "sign-in", "dashboard"));
  g_assert_nonnull (find_entry (entries, "staff:Chị Hoa", "view", "dashboard year=2026"));
  /* The refused ones. */
  e = find_entry (entries, "unknown", "sign-in", "dashboard");
  g_assert_nonnull (e);
  g_assert_false (json_object_get_boolean_member (e, "ok"));
  e = find_entry (entries, "unknown", "sign-in", "/api/v1/sync/pull");
  g_assert_nonnull (e);
  g_assert_false (json_object_get_boolean_member (e, "ok"));
  e = find_entry (entries, "unknown", "enroll", NULL);
  g_assert_nonnull (e);
  g_assert_false (json_object_get_boolean_member (e, "ok"));
  e = find_entry (entries, NULL, "enroll", "00007");
  g_assert_nonnull (e);
  g_assert_true (json_object_get_boolean_member (e, "ok"));
  /* The fixture's syncs and admin verbs. */
  g_assert_nonnull (find_entry (entries, NULL, "pull", "00001"));
  g_assert_nonnull (find_entry (entries, NULL, "create", NULL));
  g_assert_nonnull (find_entry (entries, "admin", "staff-token", "Chị Hoa"));
  g_assert_nonnull (find_entry (entries, "admin", "enroll-code", "00007"));
  g_assert_nonnull (find_entry (entries, "admin", "serve", NULL));
  /* Oldest first. */
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (entries, 0), "action"), ==,
      "init");

  /* No secret anywhere a person reads. */
  g_assert_true (g_file_get_contents (f->s->log, &log, NULL, NULL));
  for (guint i = 0; i < 2; i++)
    {
      const char *where = i == 0 ? out : log;
      g_assert_null (strstr (where, f->staff));
      g_assert_null (strstr (where, f->device));
      g_assert_null (strstr (where, code));
      g_assert_null (strstr (where, code + 6));
      g_assert_null (strstr (where, "s_wrong"));
      g_assert_null (strstr (where, "d_unknown"));
    }

  /* Reading the audit is audited; --limit keeps the most recent. */
  g_clear_pointer (&out, g_free);
  {
    const char *argv[] = { "audit", "--db", f->s->db, "--limit", "1", NULL };
    g_assert_cmpint (sync_district (argv, &out, NULL), ==, 0);
  }
  g_clear_pointer (&root, json_node_unref);
  root = sync_parse (out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (
                       json_array_get_object_element (json_node_get_array (root), 0), "action"),
                   ==, "audit");
  g_clear_pointer (&out, g_free);
  {
    const char *argv[] = { "audit", "--db", f->s->db, "--since", "2999-01-01", NULL };
    g_assert_cmpint (sync_district (argv, &out, NULL), ==, 0);
  }
  g_clear_pointer (&root, json_node_unref);
  root = sync_parse (out);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 0);

  /* Bad values: exit 2, naming the option. */
  {
    static const char *const bad[][2] = {
      { "--since", "yesterday" }, { "--since", "2026-02-30" }, { "--limit", "0" },
      { "--limit", "-3" },        { "--limit", "ten" },        { "--limit", "" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        const char *argv[] = { "audit", "--db", f->s->db, bad[i][0], bad[i][1], NULL };
        g_autofree char *message = NULL;
        g_assert_cmpint (sync_district (argv, NULL, &message), ==, 2);
        g_assert_nonnull (strstr (message, bad[i][0] + 2));
      }
  }
}

/* A commune that syncs by USB bundle shows it, with when. */
static void
test_bundle_sync (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_path_get_dirname (f->logbook);
  g_autofree char *bundle = g_build_filename (dir, "b.pcmbn", NULL);
  g_autofree char *reply = g_build_filename (dir, "r.pcmbn", NULL);
  g_autofree char *cookie = NULL;
  const char *argv[] = { "bundle", "--db", f->s->db, "--in", bundle, "--out", reply, NULL };

  cookie = sign_in (f->s, f->staff);
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=2026", cookie, NULL, NULL, NULL, NULL);
    g_assert_null (strstr (text (r), "by USB bundle"));
  }
  g_free (sync_add (f->logbook, "activity", ACTIVITY));
  g_assert_cmpint (sync_cli (f->logbook, NULL, NULL, "bundle", "export", "-o", bundle, NULL), ==,
                   0);
  g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 0);
  {
    g_autoptr (Resp) r = request (f->s, "GET", "/?year=2026", cookie, NULL, NULL, NULL, NULL);
    const char *row = strstr (text (r), "<tr data-code=\"00001\"");
    const char *other = strstr (text (r), "<tr data-code=\"00004\"");
    g_assert_nonnull (row);
    g_assert_nonnull (other);
    g_assert_nonnull (strstr (row, "by USB bundle"));
    g_assert_true (strstr (row, "by USB bundle") < strstr (row, "</tr>"));
    g_assert_true (strstr (other, "by USB bundle") == NULL
                   || strstr (other, "by USB bundle") > strstr (other, "</tr>"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/dashboard-http/sign-in", Fixture, NULL, fixture_set_up, test_sign_in,
              fixture_tear_down);
  g_test_add ("/dashboard-http/bundle-sync", Fixture, NULL, fixture_set_up, test_bundle_sync,
              fixture_tear_down);
  g_test_add ("/dashboard-http/downloads", Fixture, NULL, fixture_set_up, test_downloads,
              fixture_tear_down);
  g_test_add ("/dashboard-http/escaping", Fixture, NULL, fixture_set_up, test_escaping,
              fixture_tear_down);
  g_test_add ("/dashboard-http/revoked", Fixture, NULL, fixture_set_up, test_revoked,
              fixture_tear_down);
  g_test_add ("/dashboard-http/audit", Fixture, NULL, fixture_set_up, test_audit,
              fixture_tear_down);
  g_test_add ("/dashboard-http/throttle-and-restart", Fixture, NULL, fixture_set_up,
              test_throttle_and_restart, fixture_tear_down);
  g_test_add_func ("/dashboard-http/origin", test_origin);
  g_test_add_func ("/dashboard-http/language", test_language);
  g_test_add_func ("/dashboard-http/tls", test_tls);
  return g_test_run ();
}
