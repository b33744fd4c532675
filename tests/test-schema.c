/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The schema against records.md: one test per rule, each with records
 * that keep the rule and records that break it, and the field the error
 * must name. Expected limits and required fields are written out here
 * rather than read from the schema, so that a change to the schema that
 * breaks the contract makes a test fail. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "pcmbn-test-util.h"
#include "records/pcmbn-json-text.h"
#include "pcmbn-util.h"

#define TODAY "2026-07-30"
#define TOMORROW "2026-07-31"
#define DAY_AFTER_TOMORROW "2026-08-01"

/* Bases written with ' for " to stay readable. */
#define ACTIVITY                                                                    \
  "{'date':'2026-03-10','activity_type':'community_talk','subproject':'community'," \
  "'title':'Nói chuyện chuyên đề phòng, chống mua bán người','participants_total':40}"
#define TRAINING                                                                  \
  "{'date':'2026-03-10','format':'workshop','title':'Hội thảo tập huấn'," \
  "'participants_total':30}"
#define MODEL                                                                              \
  "{'name':'CLB Phụ nữ với pháp luật','model_type':'intensive','established_on':" \
  "'2020-05-01','status':'active'}"
#define MEETING                                                          \
  "{'model':'5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b','date':'2026-03-10'," \
  "'participants_total':12}"
#define COUNSELLING                                                 \
  "{'date':'2026-03-10','channel':'office','client_code':'HV-001'," \
  "'client_type':'at_risk_woman'}"
#define MATERIAL "{'material_type':'leaflet','received_on':'2026-01-05'}"

typedef struct
{
  const char *kind;
  const char *base;
} KindBase;

static const KindBase bases[] = {
  { "activity", ACTIVITY },     { "training", TRAINING },       { "model", MODEL },
  { "model-meeting", MEETING }, { "counselling", COUNSELLING }, { "material", MATERIAL },
};

/* ---- helpers ------------------------------------------------------------ */

static JsonObject *
json_q (const char *quoted)
{
  g_autofree char *text = g_strdup (quoted);

  g_strdelimit (text, "'", '"');
  return pcmbn_test_json (text);
}

/* @base with every member of @patch put over it. */
static JsonObject *
merged (const char *base, const char *patch)
{
  JsonObject *out = json_q (base);

  if (patch != NULL)
    {
      g_autoptr (JsonObject) p = json_q (patch);
      g_autoptr (GList) members = json_object_get_members (p);
      for (GList *l = members; l; l = l->next)
        json_object_set_member (out, l->data, json_node_copy (json_object_get_member (p, l->data)));
    }
  return out;
}

static const char *
base_of (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (bases); i++)
    if (g_str_equal (bases[i].kind, kind))
      return bases[i].base;
  g_assert_not_reached ();
}

static GPtrArray *
run_check (const char *kind_name, JsonObject *input, JsonObject *base, JsonObject **out)
{
  const PcmbnKind *kind = pcmbn_schema_kind (kind_name);
  GPtrArray *errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  JsonObject *data;

  g_assert_nonnull (kind);
  data = pcmbn_schema_normalize (kind, input, base, errors);
  pcmbn_schema_validate (kind, data, NULL, NULL, errors);
  if (out)
    *out = data;
  else
    json_object_unref (data);
  return errors;
}

/* The distinct fields the errors name, sorted and joined with ",". */
static char *
error_fields (GPtrArray *errors)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < errors->len; i++)
    {
      const char *f = ((PcmbnFieldError *)errors->pdata[i])->field;
      gboolean seen = FALSE;
      for (guint j = 0; j < names->len; j++)
        seen = seen || g_strcmp0 (names->pdata[j], f) == 0;
      if (!seen)
        g_ptr_array_add (names, (gpointer)(f ? f : "(none)"));
    }
  for (guint i = 0; i < names->len; i++)
    {
      for (guint j = i + 1; j < names->len; j++)
        if (strcmp (names->pdata[j], names->pdata[i]) < 0)
          {
            gpointer t = names->pdata[i];
            names->pdata[i] = names->pdata[j];
            names->pdata[j] = t;
          }
    }
  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, names->pdata[i]);
    }
  return g_string_free (s, FALSE);
}

/* Checks @input of @kind (over @update_base when updating) and compares the
 * fields named by the errors with @expected ("" when it must be valid). */
static void
expect_obj (const char *kind, JsonObject *input, JsonObject *update_base, const char *expected)
{
  g_autoptr (GPtrArray) errors = run_check (kind, input, update_base, NULL);
  g_autofree char *got = error_fields (errors);

  if (!g_str_equal (got, expected))
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), input);
      g_autofree char *text = json_to_string (node, FALSE);
      g_autofree char *messages = pcmbn_field_errors_to_string (errors);
      g_test_message ("%s %s gave: %s", kind, text, messages);
    }
  g_assert_cmpstr (got, ==, expected);
}

static void
expect (const char *kind, const char *patch, const char *expected)
{
  g_autoptr (JsonObject) input = merged (base_of (kind), patch);
  expect_obj (kind, input, NULL, expected);
}

/* A field set to a JSON value given as text. */
static JsonObject *
with_value (const char *kind, const char *field, const char *json_value)
{
  g_autofree char *patch = g_strdup_printf ("{\"%s\": %s}", field, json_value);
  g_autoptr (JsonObject) p = pcmbn_test_json (patch);
  JsonObject *out = json_q (base_of (kind));

  json_object_set_member (out, field, json_node_copy (json_object_get_member (p, field)));
  return out;
}

static void
expect_value (const char *kind, const char *field, const char *json_value, const char *expected)
{
  g_autoptr (JsonObject) input = with_value (kind, field, json_value);
  expect_obj (kind, input, NULL, expected);
}

/* A string member set without going through a JSON parser, so that it can
 * hold bytes a parser would refuse. */
static void
expect_text (const char *kind, const char *field, const char *text, const char *expected)
{
  g_autoptr (JsonObject) input = json_q (base_of (kind));
  json_object_set_string_member (input, field, text);
  expect_obj (kind, input, NULL, expected);
}

/* @n code points of Vietnamese text, most of them two or three bytes. */
static char *
vi_text (guint n)
{
  static const char chunk[] = "Tuyên truyền phòng, chống mua bán người ở Phường Phúc Xá; ";
  GString *s = g_string_new (NULL);

  while ((guint)g_utf8_strlen (s->str, -1) < n)
    g_string_append (s, chunk);
  {
    char *out = g_utf8_substring (s->str, 0, n);
    g_string_free (s, TRUE);
    return out;
  }
}

static gboolean
has_message (GPtrArray *errors, const char *field, const char *message)
{
  for (guint i = 0; i < errors->len; i++)
    {
      PcmbnFieldError *e = errors->pdata[i];
      if (g_strcmp0 (e->field, field) == 0 && g_strcmp0 (e->message, message) == 0)
        return TRUE;
    }
  return FALSE;
}

/* ---- required fields ---------------------------------------------------- */

static const char *const activity_required[] = { "date",  "activity_type",      "subproject",
                                                 "title", "participants_total", NULL };
static const char *const training_required[] = { "date", "format", "title", "participants_total",
                                                 NULL };
static const char *const model_required[] = { "name", "model_type", "established_on", "status",
                                              NULL };
static const char *const meeting_required[] = { "model", "date", "participants_total", NULL };
static const char *const counselling_required[] = { "date", "channel", "client_code", "client_type",
                                                    NULL };
static const char *const material_required[] = { "material_type", "received_on", NULL };

static void
check_required (const char *kind, const char *const *required)
{
  g_autoptr (GString) all = g_string_new (NULL);
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  gboolean has_status = FALSE;

  expect (kind, NULL, "");
  for (guint i = 0; required[i]; i++)
    {
      g_autoptr (JsonObject) absent = json_q (base_of (kind));
      g_autoptr (JsonObject) null = json_q (base_of (kind));
      g_autoptr (GPtrArray) errors = NULL;

      /* Without a status, status_since is required as well: it is only
       * optional while the model is active. */
      const char *expected = g_str_equal (required[i], "status") ? "status,status_since"
                                                                 : required[i];

      g_assert_true (json_object_has_member (absent, required[i]));
      json_object_remove_member (absent, required[i]);
      expect_obj (kind, absent, NULL, expected);
      errors = run_check (kind, absent, NULL, NULL);
      g_assert_true (has_message (errors, required[i], "is required"));
      /* One message per field: not "is required" twice. */
      g_assert_cmpuint (errors->len, ==, g_str_equal (required[i], "status") ? 2 : 1);

      json_object_set_null_member (null, required[i]);
      expect_obj (kind, null, NULL, expected);
      g_ptr_array_add (sorted, (gpointer)required[i]);
      has_status = has_status || g_str_equal (required[i], "status");
    }
  if (has_status)
    g_ptr_array_add (sorted, (gpointer) "status_since");
  /* An empty object names every required field at once. */
  for (guint i = 0; i < sorted->len; i++)
    for (guint j = i + 1; j < sorted->len; j++)
      if (strcmp (sorted->pdata[j], sorted->pdata[i]) < 0)
        {
          gpointer t = sorted->pdata[i];
          sorted->pdata[i] = sorted->pdata[j];
          sorted->pdata[j] = t;
        }
  for (guint i = 0; i < sorted->len; i++)
    g_string_append_printf (all, "%s%s", i ? "," : "", (char *)sorted->pdata[i]);
  {
    g_autoptr (JsonObject) empty = json_object_new ();
    expect_obj (kind, empty, NULL, all->str);
  }
}

static void
test_required_activity (void)
{
  check_required ("activity", activity_required);
}

static void
test_required_training (void)
{
  check_required ("training", training_required);
}

static void
test_required_model (void)
{
  check_required ("model", model_required);
}

static void
test_required_meeting (void)
{
  check_required ("model-meeting", meeting_required);
}

static void
test_required_counselling (void)
{
  check_required ("counselling", counselling_required);
}

static void
test_required_material (void)
{
  check_required ("material", material_required);
}

/* ---- activity ----------------------------------------------------------- */

static void
test_activity_participants_required (void)
{
  static const char *const exempt[] = { "loudspeaker_broadcast", "press_article", "radio_tv",
                                        "web_social_post", NULL };
  const PcmbnCatalogue *types = pcmbn_catalogue_lookup ("activity_type");

  g_assert_cmpuint (types->n_entries, ==, 13);
  for (guint i = 0; i < types->n_entries; i++)
    {
      const char *type = types->entries[i].code;
      g_autofree char *without = g_strdup_printf ("{'activity_type':'%s','subproject':"
                                                  "'mass_media','participants_total':null}",
                                                  type);
      g_autofree char *with = g_strdup_printf ("{'activity_type':'%s','participants_total':0}",
                                               type);
      gboolean is_exempt = g_strv_contains (exempt, type);

      expect ("activity", without, is_exempt ? "" : "participants_total");
      expect ("activity", with, "");
    }
  /* Given anyway for a broadcast, it is checked like any count. */
  expect ("activity", "{'activity_type':'radio_tv','participants_total':-1}", "participants_total");
  /* Changing the type of an existing broadcast makes the count required. */
  {
    g_autoptr (JsonObject) broadcast = merged (ACTIVITY, "{'activity_type':'radio_tv',"
                                                         "'participants_total':null}");
    g_autoptr (JsonObject) patch = json_q ("{'activity_type':'community_talk'}");
    g_autoptr (GPtrArray) errors = NULL;
    g_autoptr (JsonObject) stored = NULL;

    errors = run_check ("activity", broadcast, NULL, &stored);
    g_assert_cmpuint (errors->len, ==, 0);
    expect_obj ("activity", patch, stored, "participants_total");
  }
}

static void
test_breakdowns (void)
{
  static const char *const activity_breakdowns[] = { "participants_female", "participants_14_60",
                                                     "participants_under_16",
                                                     "participants_ethnic_minority", NULL };

  for (guint i = 0; activity_breakdowns[i]; i++)
    {
      g_autofree char *equal = g_strdup_printf ("{'%s':40}", activity_breakdowns[i]);
      g_autofree char *over = g_strdup_printf ("{'%s':41}", activity_breakdowns[i]);
      g_autofree char *zero_total = g_strdup_printf ("{'%s':1,'participants_total':0}",
                                                     activity_breakdowns[i]);
      expect ("activity", equal, "");
      expect ("activity", over, activity_breakdowns[i]);
      expect ("activity", zero_total, activity_breakdowns[i]);
    }
  /* All four at the total at once are fine: they overlap. */
  expect ("activity",
          "{'participants_female':40,'participants_14_60':40,'participants_under_16':40,"
          "'participants_ethnic_minority':40}",
          "");
  expect ("training", "{'participants_female':30}", "");
  expect ("training", "{'participants_female':31}", "participants_female");
  expect ("model-meeting", "{'participants_female':12}", "");
  expect ("model-meeting", "{'participants_female':13}", "participants_female");
}

static void
test_end_date (void)
{
  const char *const kinds[] = { "activity", "training" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      expect (kinds[i], "{'end_date':'2026-03-10'}", "");
      expect (kinds[i], "{'end_date':'2026-03-12'}", "");
      expect (kinds[i], "{'end_date':'2026-03-09'}", "end_date");
      expect (kinds[i], "{'date':'2026-04-01','end_date':'2026-03-31'}", "end_date");
    }
}

static void
test_title_length (void)
{
  static const struct
  {
    const char *kind, *field;
  } titles[] = {
    { "activity", "title" },
    { "training", "title" },
    { "model", "name" },
    { "material", "title" },
    /* names of organisations and people count as names */
    { "activity", "outlet" },
    { "activity", "lead_agency" },
    { "training", "organiser" },
    { "model", "host_organisation" },
    { "counselling", "counsellor" },
  };
  g_autofree char *ok = vi_text (200);
  g_autofree char *too_long = vi_text (201);

  /* Code points, not bytes: 200 of them are far more than 200 bytes. */
  g_assert_cmpuint (strlen (ok), >, 250);
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr (JsonObject) input = json_q (base_of (titles[i].kind));
      g_autoptr (GPtrArray) errors = NULL;

      expect_text (titles[i].kind, titles[i].field, ok, "");
      expect_text (titles[i].kind, titles[i].field, too_long, titles[i].field);
      json_object_set_string_member (input, titles[i].field, too_long);
      errors = run_check (titles[i].kind, input, NULL, NULL);
      g_assert_true (has_message (errors, titles[i].field, "is too long: at most 200 characters"));
    }
  /* A title of "ệ" (three bytes each) */
  {
    GString *s = g_string_new (NULL);
    for (int i = 0; i < 200; i++)
      g_string_append (s, "ệ");
    expect_text ("activity", "title", s->str, "");
    g_string_append (s, "ệ");
    expect_text ("activity", "title", s->str, "title");
    g_string_free (s, TRUE);
  }
}

static void
test_text_length (void)
{
  static const struct
  {
    const char *kind, *field;
  } texts[] = {
    { "activity", "location" },
    { "activity", "partners" },
    { "activity", "notes" },
    { "training", "notes" },
    { "model", "notes" },
    { "model-meeting", "notes" },
    { "material", "deployment_notes" },
  };
  g_autofree char *ok = vi_text (10000);
  g_autofree char *too_long = vi_text (10001);

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      expect_text (texts[i].kind, texts[i].field, ok, "");
      expect_text (texts[i].kind, texts[i].field, too_long, texts[i].field);
    }
}

static void
test_case_notes_length (void)
{
  g_autofree char *ok = vi_text (20000);
  g_autofree char *too_long = vi_text (20001);

  expect_text ("counselling", "case_notes", ok, "");
  expect_text ("counselling", "case_notes", too_long, "case_notes");
}

static void
test_control_characters (void)
{
  static const char *const bad[] = { "a\001b",
                                     "a\033[31mb",
                                     "a\177b",
                                     "a\rb",
                                     "a\r\nb",
                                     "a\302\205b" /* U+0085 NEL */,
                                     "a\302\237b" /* U+009F */,
                                     "a\302\200b" /* U+0080 */,
                                     "\037",
                                     NULL };
  /* Around them: U+00A0 and U+00C2 share a lead byte with the C1 block. */
  static const char *const good[] = { "dòng một\ndòng hai", "cột\tcột",    "a\n\n\tb",
                                      "a\302\240b",         "Â\302\277 ~", NULL };
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  guint n_checked = 0;

  for (guint k = 0; k < n_kinds; k++)
    for (guint f = 0; f < kinds[k]->n_fields; f++)
      {
        const PcmbnField *field = &kinds[k]->fields[f];
        if (field->type != PCMBN_FIELD_TEXT)
          continue;
        for (guint i = 0; bad[i]; i++)
          expect_text (kinds[k]->name, field->name, bad[i], field->name);
        if (field->flags & PCMBN_FIELD_PSEUDONYM)
          continue;
        for (guint i = 0; good[i]; i++)
          expect_text (kinds[k]->name, field->name, good[i], "");
        n_checked++;
      }
  g_assert_cmpuint (n_checked, >=, 15);
  /* A pseudonym is one line of A–Z 0–9 -: no new line or tab either. */
  expect_text ("counselling", "client_code", "HV\n001", "client_code");
  expect_text ("counselling", "client_code", "HV\t001", "client_code");
}

static void
test_invalid_utf8 (void)
{
  static const char *const bad[] = { "Ph\xfa\x63 X\xe1", "\xc3", "abc\xed\xa0\x80", "\xff\xfe",
                                     NULL };

  for (guint i = 0; bad[i]; i++)
    {
      expect_text ("activity", "title", bad[i], "title");
      expect_text ("activity", "notes", bad[i], "notes");
      expect_text ("counselling", "case_notes", bad[i], "case_notes");
      expect_text ("model", "name", bad[i], "name");
    }
}

static void
test_unknown_field (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bases); i++)
    {
      expect (bases[i].kind, "{'colour':'red'}", "colour");
      expect (bases[i].kind, "{'colour':null}", "colour");
      /* bookkeeping keys are not data fields */
      expect (bases[i].kind, "{'uuid':'5b0c6c1e-2f4a-4d7e-9b1a-0c2d3e4f5a6b'}", "uuid");
      /* keys are case sensitive */
      if (g_str_equal (bases[i].kind, "model"))
        expect (bases[i].kind, "{'Name':'X'}", "Name");
      else if (!g_str_equal (bases[i].kind, "material"))
        expect (bases[i].kind, "{'Date':'2026-03-10'}", "Date");
    }
  /* A field of another kind is unknown to this one. */
  expect ("material", "{'participants_total':3}", "participants_total");
  expect ("activity", "{'case_notes':'x'}", "case_notes");
}

static void
test_null_means_not_set (void)
{
  g_autoptr (GPtrArray) errors = NULL;
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (JsonObject) input = merged (ACTIVITY, "{'location':null,'topics':null,"
                                                   "'participants_female':null,'end_date':null,"
                                                   "'materials':null,'outlet_level':null}");

  errors = run_check ("activity", input, NULL, &stored);
  g_assert_cmpuint (errors->len, ==, 0);
  for (const char *const *f =
           (const char *const[]){ "location", "topics", "participants_female", "end_date",
                                  "materials", "outlet_level", NULL };
       *f; f++)
    g_assert_false (json_object_has_member (stored, *f));

  /* In an update, null clears a field and leaves the others. */
  {
    g_autoptr (JsonObject) full = merged (ACTIVITY, "{'location':'Tổ dân phố 5','topics':["
                                                    "'hotline'],'participants_female':20}");
    g_autoptr (JsonObject) base = NULL;
    g_autoptr (JsonObject) patch = json_q ("{'location':null,'participants_female':null}");
    g_autoptr (JsonObject) after = NULL;
    g_autoptr (GPtrArray) e1 = run_check ("activity", full, NULL, &base);
    g_autoptr (GPtrArray) e2 = run_check ("activity", patch, base, &after);

    g_assert_cmpuint (e1->len, ==, 0);
    g_assert_cmpuint (e2->len, ==, 0);
    g_assert_false (json_object_has_member (after, "location"));
    g_assert_false (json_object_has_member (after, "participants_female"));
    g_assert_true (json_object_has_member (after, "topics"));
    g_assert_cmpstr (json_object_get_string_member (after, "title"), ==,
                     json_object_get_string_member (base, "title"));
    g_assert_cmpint (json_object_get_int_member (after, "participants_total"), ==, 40);

    /* Clearing a required field in an update is refused. */
    {
      g_autoptr (JsonObject) clear_title = json_q ("{'title':null}");
      g_autoptr (JsonObject) clear_total = json_q ("{'participants_total':null}");
      expect_obj ("activity", clear_title, base, "title");
      expect_obj ("activity", clear_total, base, "participants_total");
    }
  }
}

static void
test_empty_text (void)
{
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (JsonObject) input = merged (ACTIVITY, "{'location':'','notes':'','partners':''}");
  g_autoptr (GPtrArray) errors = run_check ("activity", input, NULL, &stored);

  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_false (json_object_has_member (stored, "location"));
  g_assert_false (json_object_has_member (stored, "notes"));
  g_assert_false (json_object_has_member (stored, "partners"));

  /* Required: the message is "is required", not "too short". */
  for (const char *const *p =
           (const char *const[]){ "activity", "title", "training", "title", "model", "name",
                                  "counselling", "client_code", NULL };
       *p; p += 2)
    {
      g_autoptr (JsonObject) empty = json_q (base_of (p[0]));
      g_autoptr (GPtrArray) e = NULL;
      json_object_set_string_member (empty, p[1], "");
      e = run_check (p[0], empty, NULL, NULL);
      g_assert_cmpuint (e->len, ==, 1);
      g_assert_true (has_message (e, p[1], "is required"));
    }

  /* In an update an empty optional text clears it. */
  {
    g_autoptr (JsonObject) full = merged (ACTIVITY, "{'location':'Trường THCS Phúc Xá'}");
    g_autoptr (JsonObject) base = NULL, after = NULL;
    g_autoptr (JsonObject) patch = json_q ("{'location':''}");
    g_autoptr (GPtrArray) e1 = run_check ("activity", full, NULL, &base);
    g_autoptr (GPtrArray) e2 = run_check ("activity", patch, base, &after);
    g_assert_cmpuint (e1->len + e2->len, ==, 0);
    g_assert_true (json_object_has_member (base, "location"));
    g_assert_false (json_object_has_member (after, "location"));
  }
}

/* ---- codes -------------------------------------------------------------- */

static void
test_code_catalogue (void)
{
  guint n_kinds, n_checked = 0;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  for (guint k = 0; k < n_kinds; k++)
    for (guint f = 0; f < kinds[k]->n_fields; f++)
      {
        const PcmbnField *field = &kinds[k]->fields[f];
        const PcmbnCatalogue *cat;
        const char *want;
        if (field->type != PCMBN_FIELD_CODE)
          continue;
        cat = pcmbn_catalogue_lookup (field->catalogue);
        g_assert_nonnull (cat);
        for (guint i = 0; i < cat->n_entries; i++)
          {
            g_autofree char *v = g_strdup_printf ("\"%s\"", cat->entries[i].code);
            g_autoptr (JsonObject) input = with_value (kinds[k]->name, field->name, v);
            /* Some types make other fields required; only this one matters. */
            g_autoptr (GPtrArray) errors = run_check (kinds[k]->name, input, NULL, NULL);
            for (guint e = 0; e < errors->len; e++)
              g_assert_cmpstr (((PcmbnFieldError *)errors->pdata[e])->field, !=, field->name);
          }
        /* A model whose status is not known needs status_since: only an
         * active one does without. */
        want = g_str_equal (field->name, "status") ? "status,status_since" : field->name;
        expect_value (kinds[k]->name, field->name, "\"not_a_code\"", want);
        expect_value (kinds[k]->name, field->name, "\"\"", want);
        expect_value (kinds[k]->name, field->name, "3", want);
        expect_value (kinds[k]->name, field->name, "[\"other\"]", want);
        expect_value (kinds[k]->name, field->name, "true", want);
        /* The label is not the code */
        {
          g_autofree char *label = g_strdup_printf ("\"%s\"", cat->entries[0].label_en);
          expect_value (kinds[k]->name, field->name, label, want);
        }
        /* Nor the code in capitals */
        {
          g_autofree char *up = g_ascii_strup (cat->entries[0].code, -1);
          g_autofree char *v = g_strdup_printf ("\"%s\"", up);
          expect_value (kinds[k]->name, field->name, v, want);
        }
        n_checked++;
      }
  g_assert_cmpuint (n_checked, ==, 15);
  /* A code of another catalogue */
  expect ("activity", "{'activity_type':'leaflet'}", "activity_type");
  expect ("material", "{'material_type':'community_talk'}", "material_type");
  expect ("counselling", "{'channel':'radio_tv'}", "channel");
}

static void
test_codes_duplicates (void)
{
  expect ("activity", "{'topics':['hotline','hotline']}", "topics");
  expect ("activity", "{'topics':['hotline','law_policy','hotline']}", "topics");
  expect ("activity", "{'target_groups':['women','youth','women']}", "target_groups");
  expect ("training", "{'topics':['other','other']}", "topics");
  expect ("counselling", "{'referrals':['police','police']}", "referrals");
  expect ("counselling", "{'topics':['adoption','adoption']}", "topics");
  expect ("model-meeting", "{'topics':['hotline','hotline']}", "topics");
}

static void
test_codes_canonical (void)
{
  g_autoptr (JsonObject) a = merged (ACTIVITY, "{'topics':['victim_support','hotline',"
                                               "'sexual_exploitation'],'target_groups':["
                                               "'general_public','women']}");
  g_autoptr (JsonObject) b = merged (ACTIVITY, "{'topics':['sexual_exploitation',"
                                               "'victim_support','hotline'],'target_groups':["
                                               "'women','general_public']}");
  g_autoptr (JsonObject) sa = NULL, sb = NULL;
  g_autoptr (GPtrArray) ea = run_check ("activity", a, NULL, &sa);
  g_autoptr (GPtrArray) eb = run_check ("activity", b, NULL, &sb);
  g_autoptr (JsonNode) na = NULL, nb = NULL;
  g_autofree char *ta = NULL, *tb = NULL;

  g_assert_cmpuint (ea->len + eb->len, ==, 0);
  na = json_node_init_object (json_node_alloc (), sa);
  nb = json_node_init_object (json_node_alloc (), sb);
  ta = json_to_string (na, FALSE);
  tb = json_to_string (nb, FALSE);
  /* Equal sets are equal text, so that syncs see no false changes. */
  g_assert_cmpstr (ta, ==, tb);
  g_assert_true (json_node_equal (na, nb));
  {
    JsonArray *topics = json_object_get_array_member (sa, "topics");
    g_assert_cmpuint (json_array_get_length (topics), ==, 3);
    g_assert_cmpstr (json_array_get_string_element (topics, 0), ==, "sexual_exploitation");
    g_assert_cmpstr (json_array_get_string_element (topics, 1), ==, "hotline");
    g_assert_cmpstr (json_array_get_string_element (topics, 2), ==, "victim_support");
  }
  /* An empty set is kept as an empty set */
  {
    g_autoptr (JsonObject) c = merged (ACTIVITY, "{'topics':[]}");
    g_autoptr (JsonObject) sc = NULL;
    g_autoptr (GPtrArray) ec = run_check ("activity", c, NULL, &sc);
    g_assert_cmpuint (ec->len, ==, 0);
  }
}

static void
test_codes_unknown (void)
{
  expect ("activity", "{'topics':['hotline','bogus']}", "topics");
  expect ("activity", "{'topics':'hotline'}", "topics");
  expect ("activity", "{'topics':[1,2]}", "topics");
  expect ("activity", "{'topics':[null]}", "topics");
  expect ("activity", "{'topics':[['hotline']]}", "topics");
  expect ("activity", "{'topics':{'hotline':true}}", "topics");
  expect ("activity", "{'target_groups':['Women']}", "target_groups");
  /* Catalogues are per field: counselling topics are not activity topics */
  expect ("counselling", "{'topics':['hotline']}", "topics");
  expect ("activity", "{'topics':['adoption']}", "topics");
  expect ("counselling", "{'topics':['adoption','legal_rights']}", "");
}

static void
test_referrals_none (void)
{
  expect ("counselling", "{'referrals':['none']}", "");
  expect ("counselling", "{'referrals':['police','legal_aid','hotline_18001567']}", "");
  expect ("counselling", "{'referrals':['none','police']}", "referrals");
  expect ("counselling", "{'referrals':['health','none']}", "referrals");
  expect ("counselling", "{'referrals':[]}", "");
}

/* ---- training, model ---------------------------------------------------- */

static void
test_training_roles (void)
{
  static const char *const roles[] = {
    "participants_reporter_editor", "participants_culture_info_officer",
    "participants_legal_reporter",  "participants_propagandist",
    "participants_collaborator",    "participants_womens_union_officer",
    "participants_counsellor",      "participants_other_role",
  };
  GString *exact = g_string_new ("{");
  GString *over = g_string_new ("{");

  /* 8 roles × 3 = 24, then 7 × 3 + 10 = 31 > 30 */
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_string_append_printf (exact, "%s'%s':3", i ? "," : "", roles[i]);
      g_string_append_printf (over, "%s'%s':%d", i ? "," : "", roles[i], i == 7 ? 10 : 3);
    }
  g_string_append (exact, "}");
  g_string_append (over, "}");
  expect ("training", exact->str, "");
  /* The sum exceeds the total: reported on participants_total, no role */
  expect ("training", over->str, "participants_total");
  {
    g_autoptr (JsonObject) input = merged (TRAINING, over->str);
    g_autoptr (GPtrArray) errors = run_check ("training", input, NULL, NULL);
    g_assert_cmpuint (errors->len, ==, 1);
    g_assert_cmpstr (((PcmbnFieldError *)errors->pdata[0])->message, ==,
                     "is smaller than the sum of the counts by role (31)");
  }
  /* Exactly the total */
  expect ("training", "{'participants_reporter_editor':10,'participants_propagandist':20}", "");
  expect ("training", "{'participants_reporter_editor':10,'participants_propagandist':21}",
          "participants_total");
  /* One role alone above the total */
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autofree char *one = g_strdup_printf ("{'%s':31}", roles[i]);
      g_autofree char *at = g_strdup_printf ("{'%s':30}", roles[i]);
      expect ("training", one, "participants_total");
      expect ("training", at, "");
    }
  /* Roles and female are different breakdowns: female is not in the sum */
  expect ("training", "{'participants_female':30,'participants_other_role':30}", "");
  g_string_free (exact, TRUE);
  g_string_free (over, TRUE);
}

static void
test_model_status_since (void)
{
  expect ("model", "{'status':'active'}", "");
  expect ("model", "{'status':'active','status_since':'2021-01-01'}", "");
  expect ("model", "{'status':'paused'}", "status_since");
  expect ("model", "{'status':'dissolved'}", "status_since");
  expect ("model", "{'status':'dissolved','status_since':null}", "status_since");
  expect ("model", "{'status':'paused','status_since':'2024-02-01'}", "");
  expect ("model", "{'status':'dissolved','status_since':'2020-05-01'}", "");
  expect ("model", "{'status':'dissolved','status_since':'2020-04-30'}", "status_since");
  expect ("model", "{'status':'active','status_since':'2019-12-31'}", "status_since");
}

static void
test_model_members (void)
{
  expect ("model", "{'members_total':25,'members_female':25}", "");
  expect ("model", "{'members_total':25,'members_female':18}", "");
  expect ("model", "{'members_total':25,'members_female':26}", "members_female");
  expect ("model", "{'members_total':0,'members_female':1}", "members_female");
  expect ("model", "{'members_total':25}", "");
}

/* ---- model meetings (with a real store) --------------------------------- */

static char *
add_ok (PcmbnStore *store, const char *kind, const char *json)
{
  g_autoptr (JsonObject) data = json_q (json);
  g_autoptr (GError) error = NULL;
  char *uuid = pcmbn_store_add (store, kind, data, &error);

  g_assert_no_error (error);
  g_assert_nonnull (uuid);
  return uuid;
}

/* Adds and expects a refusal naming @field first on a line. */
static void
add_refused (PcmbnStore *store, const char *kind, const char *json, const char *field)
{
  g_autoptr (JsonObject) data = json_q (json);
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = pcmbn_store_add (store, kind, data, &error);
  g_autofree char *prefix = g_strconcat (field, ": ", NULL);

  g_assert_null (uuid);
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  if (!g_str_has_prefix (error->message, prefix))
    g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  if (strchr (error->message, '\n'))
    g_test_message ("%s", error->message);
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_meeting_model_ref (void)
{
  g_autofree char *path = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (&path);
  g_autofree char *model = add_ok (store, "model", MODEL);
  g_autofree char *activity = add_ok (store, "activity", ACTIVITY);
  g_autofree char *gone = add_ok (store, "model", MODEL);
  g_autofree char *meeting = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GError) error = NULL;
  const char *other_uuid = "0d1e2f30-4152-4637-8899-aabbccddeeff";

  json = g_strdup_printf ("{'model':'%s','date':'2026-03-10','participants_total':12}", model);
  meeting = add_ok (store, "model-meeting", json);
  g_clear_pointer (&json, g_free);

  /* No record with this uuid */
  add_refused (store, "model-meeting",
               "{'model':'9f0e1d2c-3b4a-4c5d-8e7f-a0b1c2d3e4f5','date':'2026-03-10',"
               "'participants_total':12}",
               "model");
  /* A record, but not a model */
  json = g_strdup_printf ("{'model':'%s','date':'2026-03-10','participants_total':12}", activity);
  add_refused (store, "model-meeting", json, "model");
  g_clear_pointer (&json, g_free);
  /* Not a uuid at all, or not in lowercase */
  add_refused (store, "model-meeting",
               "{'model':'CLB-1','date':'2026-03-10','participants_total':12}", "model");
  {
    g_autofree char *upper = g_ascii_strup (model, -1);
    json = g_strdup_printf ("{'model':'%s','date':'2026-03-10','participants_total':12}", upper);
    add_refused (store, "model-meeting", json, "model");
    g_clear_pointer (&json, g_free);
  }
  /* A deleted model */
  pcmbn_store_delete (store, gone, &error);
  g_assert_no_error (error);
  json = g_strdup_printf ("{'model':'%s','date':'2026-03-10','participants_total':12}", gone);
  add_refused (store, "model-meeting", json, "model");
  g_clear_pointer (&json, g_free);

  /* A model of another commune, in the same file */
  {
    sqlite3 *db = NULL;
    g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db,
                                   "INSERT INTO records (uuid, kind, org_unit, data, modified_at)"
                                   " VALUES ('0d1e2f30-4152-4637-8899-aabbccddeeff', 'model',"
                                   " '00004', '{\"name\":\"CLB\",\"model_type\":\"intensive\","
                                   "\"established_on\":\"2020-05-01\",\"status\":\"active\"}',"
                                   " '2026-01-01T00:00:00Z')",
                                   NULL, NULL, NULL),
                     ==, SQLITE_OK);
    sqlite3_close (db);
    json = g_strdup_printf ("{'model':'%s','date':'2026-03-10','participants_total':12}",
                            other_uuid);
    add_refused (store, "model-meeting", json, "model");
    g_clear_pointer (&json, g_free);
  }

  /* Updating a meeting to point elsewhere is checked too */
  {
    g_autoptr (JsonObject) patch = json_q ("{'model':'9f0e1d2c-3b4a-4c5d-8e7f-a0b1c2d3e4f5'}");
    g_assert_false (pcmbn_store_update (store, meeting, patch, &error));
    g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, "model: "));
    g_clear_error (&error);
  }
  g_assert_cmpint (pcmbn_store_count (store, "model-meeting"), ==, 1);
}

static void
test_meeting_date_after_model (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autofree char *model = add_ok (store, "model", MODEL); /* established 2020-05-01 */
  g_autofree char *json = NULL;
  g_autofree char *meeting = NULL;
  g_autoptr (GError) error = NULL;

  json = g_strdup_printf ("{'model':'%s','date':'2020-05-01','participants_total':12}", model);
  meeting = add_ok (store, "model-meeting", json);
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{'model':'%s','date':'2020-04-30','participants_total':12}", model);
  add_refused (store, "model-meeting", json, "date");
  g_clear_pointer (&json, g_free);

  /* Moving the meeting before the model's start is refused in an update */
  {
    g_autoptr (JsonObject) patch = json_q ("{'date':'2019-06-01'}");
    g_assert_false (pcmbn_store_update (store, meeting, patch, &error));
    g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, "date: "));
    g_clear_error (&error);
  }
  /* A model that starts later than the meeting, even by one day */
  {
    g_autofree char *late = add_ok (store, "model",
                                    "{'name':'Tổ tự quản','model_type':'integrated',"
                                    "'established_on':'2026-03-11','status':"
                                    "'active'}");
    json = g_strdup_printf ("{'model':'%s','date':'2026-03-10','participants_total':5}", late);
    add_refused (store, "model-meeting", json, "date");
    g_clear_pointer (&json, g_free);
    json = g_strdup_printf ("{'model':'%s','date':'2026-03-11','participants_total':5}", late);
    g_free (add_ok (store, "model-meeting", json));
  }
}

/* ---- counselling -------------------------------------------------------- */

static void
test_client_code (void)
{
  static const char *const good[] = { "ABC",   "HV-001", "2026-0001",
                                      "A-B-C", "---",    "ABCDEFGHIJ0123456789",
                                      NULL };
  static const char *const bad[] = { "AB",
                                     "ABCDEFGHIJ01234567890",
                                     "hv-001",
                                     "HV 001",
                                     "HV_001",
                                     "Nguyễn Thị A",
                                     "NGUYEN THI A",
                                     "NguyenThiA",
                                     "ĐỖ-01",
                                     "HV-001 ",
                                     "HV.001",
                                     "Ａ01",
                                     NULL };

  for (guint i = 0; good[i]; i++)
    expect_text ("counselling", "client_code", good[i], "");
  for (guint i = 0; bad[i]; i++)
    expect_text ("counselling", "client_code", bad[i], "client_code");
}

static void
test_follow_up (void)
{
  /* date 2026-03-10; one year later is 2027-03-10 */
  expect ("counselling", "{'follow_up_on':'2026-03-10'}", "");
  expect ("counselling", "{'follow_up_on':'2026-03-09'}", "follow_up_on");
  expect ("counselling", "{'follow_up_on':'2027-03-10'}", "");
  expect ("counselling", "{'follow_up_on':'2027-03-11'}", "follow_up_on");
  expect ("counselling", "{'follow_up_on':'2028-03-10'}", "follow_up_on");
  /* Across a 29 February: 2027-07-01 + 1 year = 2028-07-01, 366 days */
  expect ("counselling", "{'date':'2026-07-01','follow_up_on':'2027-07-01'}", "");
  expect ("counselling", "{'date':'2026-07-01','follow_up_on':'2027-07-02'}", "follow_up_on");
  /* It may lie in the future, beyond today + 1 (today is " TODAY ") */
  expect ("counselling", "{'date':'" TODAY "','follow_up_on':'2027-01-15'}", "");
  expect ("counselling", "{'date':'" TODAY "','follow_up_on':'2027-07-30'}", "");
  expect ("counselling", "{'date':'" TODAY "','follow_up_on':'2027-07-31'}", "follow_up_on");
  /* but is a date like any other */
  expect ("counselling", "{'follow_up_on':'2026-3-20'}", "follow_up_on");
  expect ("counselling", "{'follow_up_on':'2026-02-30'}", "follow_up_on");
}

static void
test_follow_up_leap_year (void)
{
  /* 2027-03-10 → 2028-03-10 is 366 days (29 February 2028 in between) */
  g_autofree char *saved = g_strdup (g_getenv ("PCMBN_TODAY"));

  g_setenv ("PCMBN_TODAY", "2027-06-01", TRUE);
  expect ("counselling", "{'date':'2027-03-10','follow_up_on':'2028-03-10'}", "");
  expect ("counselling", "{'date':'2027-03-10','follow_up_on':'2028-03-11'}", "follow_up_on");
  /* From 29 February to 28 February */
  g_setenv ("PCMBN_TODAY", "2028-03-01", TRUE);
  expect ("counselling", "{'date':'2028-02-29','follow_up_on':'2029-02-28'}", "");
  expect ("counselling", "{'date':'2028-02-29','follow_up_on':'2029-03-01'}", "follow_up_on");
  g_setenv ("PCMBN_TODAY", saved, TRUE);
}

/* ---- every date ---------------------------------------------------------- */

/* Records that set every date field; all of them are filled with @day. */
static JsonObject *
all_dates (const char *kind, const char *day)
{
  JsonObject *out = json_q (base_of (kind));
  const PcmbnKind *k = pcmbn_schema_kind (kind);

  for (guint f = 0; f < k->n_fields; f++)
    if (k->fields[f].type == PCMBN_FIELD_DATE)
      json_object_set_string_member (out, k->fields[f].name, day);
  if (g_str_equal (kind, "material"))
    {
      json_object_set_int_member (out, "quantity_received", 100);
      json_object_set_int_member (out, "quantity_deployed", 50);
    }
  return out;
}

static void
test_dates_range (void)
{
  guint n_kinds, n_checked = 0;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  g_assert_cmpint (pcmbn_today (), ==, pcmbn_date_parse (TODAY));
  for (guint k = 0; k < n_kinds; k++)
    {
      const char *kind = kinds[k]->name;
      for (guint f = 0; f < kinds[k]->n_fields; f++)
        {
          const PcmbnField *field = &kinds[k]->fields[f];
          static const struct
          {
            const char *day;
            gboolean ok;
          } days[] = {
            { TOMORROW, TRUE },      { TODAY, TRUE },
            { "2016-01-01", TRUE },  { DAY_AFTER_TOMORROW, FALSE },
            { "2015-12-31", FALSE }, { "2030-01-01", FALSE },
            { "1999-05-05", FALSE },
          };
          if (field->type != PCMBN_FIELD_DATE || g_str_equal (field->name, "follow_up_on"))
            continue;
          g_assert_false (field->flags & PCMBN_FIELD_FUTURE_OK);
          for (guint d = 0; d < G_N_ELEMENTS (days); d++)
            {
              /* Boundary values: all dates of the record on the same day keep
               * every "≥" rule between them. */
              const char *fill = days[d].ok ? days[d].day
                                 : g_str_equal (days[d].day, "2015-12-31")
                                         || g_str_equal (days[d].day, "1999-05-05")
                                     ? "2016-01-01"
                                     : TOMORROW;
              g_autoptr (JsonObject) input = all_dates (kind, fill);
              json_object_set_string_member (input, field->name, days[d].day);
              /* a date earlier than the others breaks "≥" rules of later
               * fields too; compare only this field's errors then */
              if (days[d].ok)
                expect_obj (kind, input, NULL, "");
              else
                {
                  g_autoptr (GPtrArray) errors = run_check (kind, input, NULL, NULL);
                  gboolean found = FALSE;
                  for (guint e = 0; e < errors->len; e++)
                    found = found
                            || g_str_equal (((PcmbnFieldError *)errors->pdata[e])->field,
                                            field->name);
                  if (!found)
                    g_test_message ("%s.%s = %s was accepted", kind, field->name, days[d].day);
                  g_assert_true (found);
                }
            }
          /* Not dates */
          for (const char *const *bad =
                   (const char *const[]){ "\"2026-7-3\"", "\"2026-02-30\"", "\"30/07/2026\"",
                                          "20260730", "\"2026-07-30T00:00:00Z\"", "\" 2026-07-30\"",
                                          "\"\"", "true", "[\"2026-07-30\"]", NULL };
               *bad; bad++)
            {
              g_autoptr (JsonObject) input = all_dates (kind, "2026-03-10");
              g_autoptr (JsonObject) p = NULL;
              g_autofree char *patch = g_strdup_printf ("{\"%s\": %s}", field->name, *bad);
              g_autoptr (GPtrArray) errors = NULL;
              gboolean found = FALSE;
              p = pcmbn_test_json (patch);
              json_object_set_member (input, field->name,
                                      json_node_copy (json_object_get_member (p, field->name)));
              errors = run_check (kind, input, NULL, NULL);
              for (guint e = 0; e < errors->len; e++)
                found = found
                        || g_str_equal (((PcmbnFieldError *)errors->pdata[e])->field, field->name);
              if (!found)
                g_test_message ("%s.%s = %s was accepted", kind, field->name, *bad);
              g_assert_true (found);
            }
          n_checked++;
        }
    }
  g_assert_cmpuint (n_checked, ==, 10);
  /* The exact message of the future rule names no other field. */
  expect ("activity", "{'date':'" DAY_AFTER_TOMORROW "'}", "date");
  expect ("activity", "{'end_date':'" DAY_AFTER_TOMORROW "'}", "end_date");
}

static void
test_dates_today_moves (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("PCMBN_TODAY"));

  /* "Today" comes from PCMBN_TODAY; the same record flips with it */
  g_setenv ("PCMBN_TODAY", "2026-03-08", TRUE);
  expect ("activity", NULL, "date");
  g_setenv ("PCMBN_TODAY", "2026-03-09", TRUE);
  expect ("activity", NULL, "");
  g_setenv ("PCMBN_TODAY", saved, TRUE);
}

/* ---- numbers and booleans ----------------------------------------------- */

static void
test_int_values (void)
{
  guint n_kinds, n_checked = 0;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  static const char *const bad[] = { "-1",        "1.5",  "\"3\"",      "true",
                                     "3.0",       "1e3",  "\"\"",       "[3]",
                                     "{\"n\":3}", "-0.5", "2147483648", "99999999999999",
                                     NULL };

  for (guint k = 0; k < n_kinds; k++)
    for (guint f = 0; f < kinds[k]->n_fields; f++)
      {
        const PcmbnField *field = &kinds[k]->fields[f];
        if (field->type != PCMBN_FIELD_INT)
          continue;
        for (guint i = 0; bad[i]; i++)
          {
            g_autoptr (JsonObject) input = with_value (kinds[k]->name, field->name, bad[i]);
            g_autoptr (GPtrArray) errors = NULL;
            expect_obj (kinds[k]->name, input, NULL, field->name);
            /* one message for one wrong value */
            errors = run_check (kinds[k]->name, input, NULL, NULL);
            if (!g_str_equal (field->name, "quantity_deployed"))
              g_assert_cmpuint (errors->len, ==, 1);
          }
        /* 0 is a count like any other */
        if (!g_str_equal (field->name, "quantity_deployed"))
          expect_value (kinds[k]->name, field->name, "0", "");
        n_checked++;
      }
  g_assert_cmpuint (n_checked, ==, 21);
  expect ("activity", "{'participants_total':2147483647}", "");
  expect ("model", "{'members_total':1000000}", "");
}

static void
test_bool_values (void)
{
  expect ("counselling", "{'client_ethnic_minority':true}", "");
  expect ("counselling", "{'client_ethnic_minority':false}", "");
  expect ("counselling", "{'client_ethnic_minority':null}", "");
  for (const char *const *bad =
           (const char *const[]){ "\"yes\"", "\"true\"", "1", "0", "\"\"", "[true]", NULL };
       *bad; bad++)
    expect_value ("counselling", "client_ethnic_minority", *bad, "client_ethnic_minority");
}

/* ---- material ----------------------------------------------------------- */

static void
test_material_quantities (void)
{
  expect ("material",
          "{'quantity_received':500,'deployed_on':'2026-02-01',"
          "'quantity_deployed':500}",
          "");
  expect ("material",
          "{'quantity_received':500,'deployed_on':'2026-02-01',"
          "'quantity_deployed':501}",
          "quantity_deployed");
  expect ("material",
          "{'quantity_received':0,'deployed_on':'2026-02-01',"
          "'quantity_deployed':1}",
          "quantity_deployed");
  /* Set together with deployed_on, in both directions the error is on
   * quantity_deployed, the field named first in the rule. */
  expect ("material", "{'quantity_received':500,'quantity_deployed':100}", "quantity_deployed");
  expect ("material", "{'quantity_received':500,'deployed_on':'2026-02-01'}", "quantity_deployed");
  expect ("material", "{'deployed_on':'2026-02-01'}", "quantity_deployed");
  expect ("material", "{'quantity_received':500}", "");
  {
    g_autoptr (JsonObject) input = merged (MATERIAL, "{'deployed_on':'2026-02-01'}");
    g_autoptr (GPtrArray) errors = run_check ("material", input, NULL, NULL);
    g_assert_cmpuint (errors->len, ==, 1);
  }
  /* Clearing one of the pair in an update */
  {
    g_autoptr (JsonObject) full = merged (MATERIAL, "{'quantity_received':500,'deployed_on':"
                                                    "'2026-02-01','quantity_deployed':400}");
    g_autoptr (JsonObject) base = NULL;
    g_autoptr (GPtrArray) e = run_check ("material", full, NULL, &base);
    g_autoptr (JsonObject) p1 = json_q ("{'deployed_on':null}");
    g_autoptr (JsonObject) p2 = json_q ("{'quantity_deployed':null}");
    g_autoptr (JsonObject) p3 = json_q ("{'quantity_deployed':null,'deployed_on':null}");
    g_autoptr (JsonObject) p4 = json_q ("{'quantity_received':399}");
    g_assert_cmpuint (e->len, ==, 0);
    expect_obj ("material", p1, base, "quantity_deployed");
    expect_obj ("material", p2, base, "quantity_deployed");
    expect_obj ("material", p3, base, "");
    expect_obj ("material", p4, base, "quantity_deployed");
  }
}

static void
test_material_deployed_on (void)
{
  expect ("material", "{'deployed_on':'2026-01-05','quantity_deployed':1}", "");
  expect ("material", "{'deployed_on':'2026-01-04','quantity_deployed':1}", "deployed_on");
  expect ("material", "{'deployed_on':'2025-12-01','quantity_deployed':1}", "deployed_on");
}

/* ---- lists -------------------------------------------------------------- */

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void
test_attachments (void)
{
  static const char *const good[] = {
    "[]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"danh-sách điểm danh.jpg\",\"size\":123456}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.pdf\",\"size\":0},{\"name\":\"b.png\",\"size\":1,"
    "\"sha256\":\"" SHA "\"}]",
    NULL,
  };
  static const char *const bad[] = {
    "{}",
    "\"a.jpg\"",
    "[\"" SHA "\"]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.jpg\"}]",
    "[{\"sha256\":\"" SHA "\",\"size\":1}]",
    "[{\"name\":\"a.jpg\",\"size\":1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.jpg\",\"size\":-1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.jpg\",\"size\":1.5}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.jpg\",\"size\":\"1\"}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.jpg\",\"size\":1,\"mime\":\"image/jpeg\"}]",
    "[{\"sha256\":\"" SHA "0\",\"name\":\"a.jpg\",\"size\":1}]",
    "[{\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0\",\"name\":"
    "\"a.jpg\",\"size\":1}]",
    "[{\"sha256\":\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\",\"name\":"
    "\"a.jpg\",\"size\":1}]",
    "[{\"sha256\":\"zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"name\":"
    "\"a.jpg\",\"size\":1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"\",\"size\":1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"../../etc/passwd\",\"size\":1}]",
    /* Separators on Windows too: a name never becomes a path. */
    "[{\"sha256\":\"" SHA "\",\"name\":\"..\\\\win.ini\",\"size\":1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"C:boot.ini\",\"size\":1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":3,\"size\":1}]",
    "[{\"sha256\":null,\"name\":\"a.jpg\",\"size\":1}]",
    "[{\"sha256\":\"" SHA "\",\"name\":\"a.jpg\",\"size\":1},null]",
    NULL,
  };

  for (guint i = 0; good[i]; i++)
    {
      expect_value ("activity", "attachments", good[i], "");
      expect_value ("training", "attachments", good[i], "");
    }
  for (guint i = 0; bad[i]; i++)
    {
      expect_value ("activity", "attachments", bad[i], "attachments");
      expect_value ("training", "attachments", bad[i], "attachments");
    }
  /* Only kinds that keep files have them */
  expect_value ("counselling", "attachments", "[]", "attachments");
}

static void
test_activity_materials (void)
{
  static const char *const good[] = {
    "[]",
    "[{\"material_type\":\"leaflet\",\"quantity\":100}]",
    "[{\"material_type\":\"leaflet\",\"quantity\":100},{\"quantity\":0,\"material_type\":"
    "\"poster\"}]",
    NULL,
  };
  static const char *const bad[] = {
    "{}",
    "\"leaflet\"",
    "[\"leaflet\"]",
    "[{\"material_type\":\"flyer\",\"quantity\":100}]",
    "[{\"material_type\":\"Leaflet\",\"quantity\":100}]",
    "[{\"material_type\":\"leaflet\",\"quantity\":-1}]",
    "[{\"material_type\":\"leaflet\",\"quantity\":1.5}]",
    "[{\"material_type\":\"leaflet\",\"quantity\":\"100\"}]",
    "[{\"material_type\":\"leaflet\"}]",
    "[{\"quantity\":100}]",
    "[{\"material_type\":\"leaflet\",\"quantity\":100,\"title\":\"x\"}]",
    "[{\"material_type\":null,\"quantity\":100}]",
    "[[\"leaflet\",100]]",
    NULL,
  };

  for (guint i = 0; good[i]; i++)
    expect_value ("activity", "materials", good[i], "");
  for (guint i = 0; bad[i]; i++)
    expect_value ("activity", "materials", bad[i], "materials");
}

/* ---- messages ----------------------------------------------------------- */

static void
test_messages_start_with_field (void)
{
  g_autoptr (JsonObject)
      input = merged (ACTIVITY, "{'title':null,'participants_female':41,'topics':["
                                "'x'],'colour':1,'end_date':'2026-03-01','date':"
                                "'2026-03-10','materials':3,'outlet_level':'moon'}");
  g_autoptr (GPtrArray) errors = run_check ("activity", input, NULL, NULL);
  g_autofree char *text = pcmbn_field_errors_to_string (errors);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) out = NULL;

  g_assert_cmpuint (errors->len, ==, 7);
  g_assert_cmpuint (g_strv_length (lines), ==, errors->len);
  for (guint i = 0; i < errors->len; i++)
    {
      PcmbnFieldError *e = errors->pdata[i];
      g_autofree char *prefix = g_strconcat (e->field, ": ", NULL);
      g_assert_true (g_str_has_prefix (lines[i], prefix));
      g_assert_cmpuint (strlen (lines[i]), >, strlen (prefix) + 5);
    }
  /* The same lines come back as the GError of pcmbn_schema_check() */
  g_assert_false (
      pcmbn_schema_check (pcmbn_schema_kind ("activity"), input, NULL, NULL, NULL, &out, &error));
  g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, text);
  g_assert_null (out);

  /* With a row: "row 3, field: message" */
  {
    g_autoptr (GPtrArray)
        rows = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
    g_autofree char *t = NULL;
    g_ptr_array_add (rows, pcmbn_field_error_new ("participants_female", 3, "must not be %s", "x"));
    g_ptr_array_add (rows, pcmbn_field_error_new ("title", 0, "is required"));
    t = pcmbn_field_errors_to_string (rows);
    g_assert_cmpstr (t, ==, "row 3, participants_female: must not be x\ntitle: is required");
  }

  /* A valid record passes pcmbn_schema_check() and comes out in field order */
  {
    g_autoptr (JsonObject) good = merged (ACTIVITY, "{'notes':'Ghi chú','location':'Tổ 5'}");
    g_autoptr (JsonObject) stored = NULL;
    g_autoptr (GError) e2 = NULL;
    g_autoptr (GList) members = NULL;
    const PcmbnKind *kind = pcmbn_schema_kind ("activity");
    guint last = 0;
    g_assert_true (pcmbn_schema_check (kind, good, NULL, NULL, NULL, &stored, &e2));
    g_assert_no_error (e2);
    members = json_object_get_members (stored);
    for (GList *l = members; l; l = l->next)
      {
        guint at = (guint)(pcmbn_kind_field (kind, l->data) - kind->fields);
        g_assert_cmpuint (at, >=, last);
        last = at;
      }
  }
}

static void
test_messages_vietnamese (void)
{
  g_autofree char *dir = NULL, *out_path = NULL, *out = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr (JsonObject) input = merged (ACTIVITY, "{'title':null,'participants_female':41}");
      g_autoptr (GPtrArray) errors = NULL;
      g_autofree char *text = NULL;
      const char *path = g_getenv ("PCMBN_TEST_VI_OUT");

      g_setenv ("LANGUAGE", "vi", TRUE);
      g_setenv ("LC_ALL", "vi_VN.UTF-8", TRUE);
      pcmbn_i18n_init ();
      if (!pcmbn_is_vietnamese ())
        {
          /* Without a vi_VN locale, C.UTF-8 still lets LANGUAGE choose */
          g_setenv ("LC_ALL", "C.UTF-8", TRUE);
          pcmbn_i18n_init ();
        }
      if (!pcmbn_is_vietnamese ())
        text = g_strdup ("NOT-VIETNAMESE");
      else
        {
          errors = run_check ("activity", input, NULL, NULL);
          text = pcmbn_field_errors_to_string (errors);
        }
      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      return;
    }

  dir = pcmbn_test_tmpdir ();
  out_path = g_build_filename (dir, "vi.txt", NULL);
  g_setenv ("PCMBN_TEST_VI_OUT", out_path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  out = pcmbn_test_read_text (out_path);
  if (g_str_equal (out, "NOT-VIETNAMESE"))
    {
      g_test_skip ("the Vietnamese catalogue (po/vi.po) is not built or not translated yet");
      return;
    }
  /* Field keys stay as they are; the explanations are Vietnamese */
  g_assert_true (g_str_has_prefix (out, "participants_female: ")
                 || g_str_has_prefix (out, "title: "));
  g_assert_nonnull (strstr (out, "title: "));
  g_assert_nonnull (strstr (out, "participants_female: "));
  if (strstr (out, "is required") != NULL || strstr (out, "must not be greater") != NULL)
    {
      g_test_skip ("po/vi.po does not translate the validation messages yet");
      return;
    }
  g_assert_true (g_utf8_validate (out, -1, NULL));
  /* Vietnamese uses letters beyond ASCII in nearly every sentence */
  {
    gboolean non_ascii = FALSE;
    for (const char *p = out; *p; p++)
      non_ascii = non_ascii || (guchar)*p >= 0x80;
    g_assert_true (non_ascii);
  }
}

/* ---- the schema itself -------------------------------------------------- */

static void
assert_field_of (const PcmbnKind *kind, const char *name, const char *what, PcmbnFieldType type)
{
  const PcmbnField *f;

  if (name == NULL)
    return;
  f = pcmbn_kind_field (kind, name);
  if (f == NULL)
    g_test_message ("%s: %s names %s, not a field of the kind", kind->name, what, name);
  g_assert_nonnull (f);
  if ((int)type >= 0)
    g_assert_cmpint (f->type, ==, type);
}

static void
test_schema_self_check (void)
{
  guint n_kinds, n_columns;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  const PcmbnField *const *columns = pcmbn_schema_columns (&n_columns);
  static const char *const names[] = { "activity",      "training",    "model",
                                       "model-meeting", "counselling", "material" };

  g_assert_cmpuint (n_kinds, ==, 6);
  for (guint k = 0; k < n_kinds; k++)
    {
      g_assert_cmpstr (kinds[k]->name, ==, names[k]);
      g_assert_true (pcmbn_schema_kind (names[k]) == kinds[k]);
      g_assert_nonnull (strstr (pcmbn_kind_names_joined (), names[k]));
    }
  g_assert_null (pcmbn_schema_kind ("activities"));
  g_assert_null (pcmbn_schema_kind (NULL));

  for (guint k = 0; k < n_kinds; k++)
    {
      const PcmbnKind *kind = kinds[k];
      assert_field_of (kind, kind->date_field, "date_field", PCMBN_FIELD_DATE);
      assert_field_of (kind, kind->type_field, "type_field", PCMBN_FIELD_CODE);
      assert_field_of (kind, kind->title_field, "title_field", PCMBN_FIELD_TEXT);
      g_assert_true (kind->label_vi && *kind->label_vi && kind->label_en && *kind->label_en);

      for (guint f = 0; f < kind->n_fields; f++)
        {
          const PcmbnField *field = &kind->fields[f];

          /* names are unique within a kind, lowercase ASCII */
          g_assert_true (pcmbn_kind_field (kind, field->name) == field);
          for (const char *p = field->name; *p; p++)
            g_assert_true ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
          g_assert_true (field->label_vi && *field->label_vi && field->label_en
                         && *field->label_en);

          if (field->type == PCMBN_FIELD_CODE || field->type == PCMBN_FIELD_CODES)
            {
              const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
              if (cat == NULL)
                g_test_message ("%s.%s: no catalogue %s", kind->name, field->name,
                                field->catalogue);
              g_assert_nonnull (cat);
              g_assert_cmpuint (cat->n_entries, >, 0);
              for (guint i = 0; i < cat->n_entries; i++)
                {
                  for (const char *p = cat->entries[i].code; *p; p++)
                    g_assert_true ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
                                   || *p == '_');
                  g_assert_true (*cat->entries[i].label_vi && *cat->entries[i].label_en);
                  g_assert_true (pcmbn_catalogue_find (cat, cat->entries[i].code)
                                 == &cat->entries[i]);
                }
              if (field->exclusive)
                g_assert_nonnull (pcmbn_catalogue_find (cat, field->exclusive));
            }
          else
            {
              g_assert_null (field->catalogue);
              g_assert_null (field->exclusive);
            }

          assert_field_of (kind, field->le_field, "le_field", PCMBN_FIELD_INT);
          assert_field_of (kind, field->sum_le_field, "sum_le_field", PCMBN_FIELD_INT);
          assert_field_of (kind, field->ge_field, "ge_field", PCMBN_FIELD_DATE);
          assert_field_of (kind, field->together_with, "together_with", -1);
          assert_field_of (kind, field->unless_field, "unless_field", PCMBN_FIELD_CODE);
          assert_field_of (kind, field->ref_field, "ref_field", PCMBN_FIELD_REF);
          assert_field_of (kind, field->parent, "parent", -1);
          if (field->le_field || field->sum_le_field)
            g_assert_cmpint (field->type, ==, PCMBN_FIELD_INT);
          if (field->ge_field || field->ref_field)
            g_assert_cmpint (field->type, ==, PCMBN_FIELD_DATE);
          if (field->unless_field)
            {
              const PcmbnField *u = pcmbn_kind_field (kind, field->unless_field);
              const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (u->catalogue);
              g_assert_nonnull (field->unless_values);
              for (guint i = 0; field->unless_values[i]; i++)
                g_assert_nonnull (pcmbn_catalogue_find (cat, field->unless_values[i]));
            }
          if (field->type == PCMBN_FIELD_REF)
            {
              const PcmbnKind *target = pcmbn_schema_kind (field->ref_kind);
              g_assert_nonnull (target);
            }
          if (field->ref_field)
            {
              const PcmbnField *ref = pcmbn_kind_field (kind, field->ref_field);
              const PcmbnKind *target = pcmbn_schema_kind (ref->ref_kind);
              assert_field_of (target, field->ref_target, "ref_target", PCMBN_FIELD_DATE);
            }
        }
    }

  /* Fields sharing a name share a type in every kind, so that one column
   * f_NAME can hold them all. */
  for (guint a = 0; a < n_kinds; a++)
    for (guint fa = 0; fa < kinds[a]->n_fields; fa++)
      for (guint b = a + 1; b < n_kinds; b++)
        {
          const PcmbnField *x = &kinds[a]->fields[fa];
          const PcmbnField *y = pcmbn_kind_field (kinds[b], x->name);
          if (y == NULL)
            continue;
          if (x->type != y->type)
            g_test_message ("%s.%s and %s.%s differ in type", kinds[a]->name, x->name,
                            kinds[b]->name, y->name);
          g_assert_cmpint (x->type, ==, y->type);
        }

  /* Columns: one per distinct date/int/code/bool/ref field name */
  {
    guint expected = 0;
    g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint k = 0; k < n_kinds; k++)
      for (guint f = 0; f < kinds[k]->n_fields; f++)
        {
          PcmbnFieldType t = kinds[k]->fields[f].type;
          if ((t == PCMBN_FIELD_DATE || t == PCMBN_FIELD_INT || t == PCMBN_FIELD_CODE
               || t == PCMBN_FIELD_BOOL || t == PCMBN_FIELD_REF)
              && g_hash_table_add (seen, (gpointer)kinds[k]->fields[f].name))
            expected++;
        }
    g_assert_cmpuint (n_columns, ==, expected);
    for (guint i = 0; i < n_columns; i++)
      {
        g_assert_true (g_hash_table_contains (seen, columns[i]->name));
        for (guint j = i + 1; j < n_columns; j++)
          g_assert_cmpstr (columns[i]->name, !=, columns[j]->name);
        g_assert_cmpstr (pcmbn_field_sql_type (columns[i]), ==,
                         columns[i]->type == PCMBN_FIELD_INT || columns[i]->type == PCMBN_FIELD_BOOL
                             ? "INTEGER"
                             : "TEXT");
      }
  }

  /* The catalogues of records.md */
  {
    static const struct
    {
      const char *name;
      guint n;
    } cats[] = {
      { "topics", 11 },         { "target_groups", 10 },  { "funding_source", 4 },
      { "activity_type", 13 },  { "subproject", 2 },      { "outlet_level", 4 },
      { "training_format", 3 }, { "model_type", 2 },      { "model_kind", 5 },
      { "model_status", 3 },    { "channel", 5 },         { "client_type", 6 },
      { "client_sex", 3 },      { "client_age_band", 6 }, { "counselling_topics", 8 },
      { "referrals", 7 },       { "material_type", 7 },   { "material_source", 5 },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cats); i++)
      {
        const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (cats[i].name);
        g_assert_nonnull (cat);
        g_assert_cmpuint (cat->n_entries, ==, cats[i].n);
      }
  }
}

/* Issue 11: the form read numbers and dates itself. The core reads what a
 * person typed, and says what is wrong without the field's key. */
static void
test_parse_text (void)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("activity");
  const PcmbnField *date = pcmbn_kind_field (kind, "date");
  const PcmbnField *total = pcmbn_kind_field (kind, "participants_total");
  const PcmbnField *title = pcmbn_kind_field (kind, "title");
  static const struct
  {
    const char *in, *iso;
  } dates[] = {
    { "30/07/2026", "2026-07-30" }, { "30/7/2026", "2026-07-30" },  { " 1.2.2026 ", "2026-02-01" },
    { "29-02-2024", "2024-02-29" }, { "2026-07-30", "2026-07-30" },
  };
  static const char *const bad_dates[] = { "31/02/2026", "29/02/2026", "07/30/2026", "30/07/26",
                                           "30/07",      "hôm nay",    "32/01/2026", "1/1/2026/1" };
  static const char *const bad_counts[] = { "abc", "-5", "1.5", "12 người", "+3", "0x10" };

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) node = pcmbn_field_parse_text (date, dates[i].in, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_node_get_string (node), ==, dates[i].iso);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_dates); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) node = pcmbn_field_parse_text (date, bad_dates[i], &error);
      g_assert_null (node);
      g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
      /* The format to use, and not the key: the form shows it beside the
       * field. */
      g_assert_nonnull (strstr (error->message, "dd/mm/yyyy"));
      g_assert_false (g_str_has_prefix (error->message, "date"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_counts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) node = pcmbn_field_parse_text (total, bad_counts[i], &error);
      g_assert_null (node);
      g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
      g_assert_cmpstr (error->message, ==, "must be a whole number, 0 or more");
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) node = pcmbn_field_parse_text (total, "99999999999", &error);
    g_assert_null (node);
    g_assert_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, "is too large");
  }
  {
    g_autoptr (JsonNode) node = pcmbn_field_parse_text (total, " 0042 ", NULL);
    g_assert_cmpint (json_node_get_int (node), ==, 42);
  }
  {
    /* A text keeps its inner spaces; an empty box is "not set". */
    g_autoptr (JsonNode) text = pcmbn_field_parse_text (title, "  Nói  chuyện ", NULL);
    g_autoptr (JsonNode) empty = pcmbn_field_parse_text (title, "   ", NULL);
    g_autoptr (JsonNode) no_date = pcmbn_field_parse_text (date, "", NULL);
    g_assert_cmpstr (json_node_get_string (text), ==, "Nói  chuyện");
    g_assert_true (JSON_NODE_HOLDS_NULL (empty));
    g_assert_true (JSON_NODE_HOLDS_NULL (no_date));
  }
  {
    g_autofree char *iso = pcmbn_date_from_input ("3/4/2026");
    g_assert_cmpstr (iso, ==, "2026-04-03");
    g_assert_null (pcmbn_date_from_input (NULL));
  }
}

/* Issue 11: a rule between two fields names the other one by its key for
 * the CLI, by its label for a person; a store error gives each field's
 * problem apart from its key. */
static void
test_messages_for_people (void)
{
  g_autoptr (JsonObject)
      input = merged (ACTIVITY, "{'participants_total':5,'participants_female':9,"
                                "'end_date':'2026-03-01','title':null}");
  g_autoptr (GPtrArray) errors = run_check ("activity", input, NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) back = NULL;
  g_autofree char *message = NULL;
  g_autofree char *key = NULL;
  gboolean seen_female = FALSE, seen_end = FALSE;

  for (guint i = 0; i < errors->len; i++)
    {
      PcmbnFieldError *e = errors->pdata[i];
      if (g_str_equal (e->field, "participants_female"))
        {
          seen_female = TRUE;
          g_assert_cmpstr (e->message, ==, "must not be greater than participants_total (5)");
          g_assert_cmpstr (pcmbn_field_error_get_text (e), ==,
                           "must not be greater than “Participants (total)” (5)");
        }
      else if (g_str_equal (e->field, "end_date"))
        {
          seen_end = TRUE;
          g_assert_cmpstr (e->message, ==, "must not be before date (10/03/2026)");
          g_assert_cmpstr (pcmbn_field_error_get_text (e), ==,
                           "must not be before “Date” (10/03/2026)");
        }
      else
        /* A message naming no other field is the same for both. */
        g_assert_cmpstr (pcmbn_field_error_get_text (e), ==, e->message);
    }
  g_assert_true (seen_female && seen_end);

  g_assert_false (
      pcmbn_schema_check (pcmbn_schema_kind ("activity"), input, NULL, NULL, NULL, NULL, &error));
  back = pcmbn_error_get_field_errors (error);
  g_assert_nonnull (back);
  g_assert_cmpuint (back->len, ==, errors->len);
  for (guint i = 0; i < back->len; i++)
    {
      PcmbnFieldError *a = errors->pdata[i], *b = back->pdata[i];
      g_assert_cmpstr (a->field, ==, b->field);
      g_assert_cmpstr (a->message, ==, b->message);
    }
  key = pcmbn_error_get_field (error, &message);
  g_assert_cmpstr (key, ==, ((PcmbnFieldError *)errors->pdata[0])->field);
  g_assert_cmpstr (message, ==, ((PcmbnFieldError *)errors->pdata[0])->message);

  /* An error about no field has none. */
  {
    g_autoptr (GError) other = g_error_new_literal (PCMBN_ERROR, PCMBN_ERROR_FAILED, "disk full");
    g_autofree char *none = pcmbn_error_get_field (other, NULL);
    g_assert_null (pcmbn_error_get_field_errors (other));
    g_assert_null (none);
    g_assert_null (pcmbn_error_get_field_errors (NULL));
  }
}

/* Issue 11: a message names a date as a person reads it, day first; the
 * data itself stays ISO. */
static JsonObject *
late_model (const char *uuid, const char *kind, gpointer user_data)
{
  return json_q ("{'name':'Tổ tự quản','model_type':'integrated',"
                 "'established_on':'2026-03-11','status':'active'}");
}

static void
test_messages_dates_day_first (void)
{
  const PcmbnKind *meeting = pcmbn_schema_kind ("model-meeting");
  g_autoptr (JsonObject) old = merged (ACTIVITY, "{'date':'2015-12-31'}");
  g_autoptr (GPtrArray) errors = run_check ("activity", old, NULL, NULL);
  g_autoptr (GPtrArray)
      before_model = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  g_autoptr (JsonObject) input = json_q ("{'model':'6f1c2a52-7d2e-4e9b-9a53-3f0c3f1f8a10',"
                                         "'date':'2026-03-10','participants_total':5}");
  g_autoptr (JsonObject) data = NULL;
  g_autofree char *shown = pcmbn_date_to_input ("2026-03-10");
  g_autofree char *not_a_date = pcmbn_date_to_input ("10/03/2026");
  g_autofree char *none = pcmbn_date_to_input (NULL);

  g_assert_cmpstr (shown, ==, "10/03/2026");
  g_assert_cmpstr (not_a_date, ==, "10/03/2026");
  g_assert_cmpstr (none, ==, "");

  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_cmpstr (((PcmbnFieldError *)errors->pdata[0])->message, ==,
                   "must not be before 01/01/2016");

  data = pcmbn_schema_normalize (meeting, input, NULL, before_model);
  pcmbn_schema_validate (meeting, data, late_model, NULL, before_model);
  g_assert_cmpuint (before_model->len, ==, 1);
  g_assert_cmpstr (((PcmbnFieldError *)before_model->pdata[0])->field, ==, "date");
  g_assert_true (
      g_str_has_suffix (((PcmbnFieldError *)before_model->pdata[0])->message, " (11/03/2026)"));
  g_assert_true (
      g_str_has_suffix (pcmbn_field_error_get_text (before_model->pdata[0]), " (11/03/2026)"));
}

/* Search folds case and Vietnamese diacritics; letters below U+1F00 come
 * from a table, the rest are decomposed as they come: both the same way. */
/* pcmbn_date_parse() gives GDate's day numbers for every day of the years
 * records use and some far ones, and refuses what is no date. */
static void
test_date_parse (void)
{
  static const char *const refused[] = { "",           "2026",       "2026-02-29", "2025-13-01",
                                         "2025-00-10", "2025-04-31", "2025-4-30",  "2025-04-300",
                                         "0000-01-01", "2025/04/30", "2025-04-3a", "１２３４-01-01",
                                         "1900-02-29", "2025-04-30 " };
  GDate date;
  guint n = 0;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 1, 1, 1);
  for (guint32 j = g_date_get_julian (&date); n < 3000000; j++, n++)
    {
      char iso[16];
      /* 0001 to about 8200, every day. */
      g_date_set_julian (&date, j);
      g_snprintf (iso, sizeof iso, "%04d-%02d-%02d", g_date_get_year (&date),
                  g_date_get_month (&date), g_date_get_day (&date));
      if (pcmbn_date_parse (iso) != (gint64)j)
        g_error ("%s: %" G_GINT64_FORMAT ", GDate %u", iso, pcmbn_date_parse (iso), j);
    }
  g_assert_cmpint (pcmbn_date_parse ("9999-12-31"), ==, 3652059);
  g_assert_cmpint (pcmbn_date_parse (NULL), ==, -1);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_assert_cmpint (pcmbn_date_parse (refused[i]), ==, -1);
}

/* pcmbn_uuid_new() makes valid version 7 uuids of the RFC variant, each
 * after the one before (as text, which is how the stores' index compares
 * them), stamped with the time they were made, never twice, also from two
 * threads at once. */
typedef struct
{
  char *uuids[20000];
} UuidRun;

static gpointer
make_uuids (gpointer data)
{
  UuidRun *run = data;

  for (guint i = 0; i < G_N_ELEMENTS (run->uuids); i++)
    run->uuids[i] = pcmbn_uuid_new ();
  return NULL;
}

static guint64
uuid_ms (const char *uuid)
{
  g_autofree char *hex = g_strndup (uuid, 13);

  memmove (hex + 8, hex + 9, 5); /* the first dash */
  return g_ascii_strtoull (hex, NULL, 16);
}

/* SHA-256 in pieces (a download as it arrives) equals the hash of the
 * whole, the known answer included, and starts again after each digest. */
static void
test_sha256_in_pieces (void)
{
  static const char abc[] = "abc";
  g_autoptr (PcmbnSha256) hash = pcmbn_sha256_new ();
  g_autofree guint8 *data = g_malloc (100000);
  g_autofree char *whole = NULL, *pieces = NULL, *again = NULL, *known = NULL;

  for (gsize i = 0; i < 100000; i++)
    data[i] = (guint8)(i * 7 + i / 251);
  whole = pcmbn_sha256_hex (data, 100000);
  for (gsize at = 0; at < 100000; at += 4099)
    pcmbn_sha256_update (hash, data + at, MIN (4099, 100000 - at));
  pieces = pcmbn_sha256_finish_hex (hash);
  g_assert_cmpstr (pieces, ==, whole);
  pcmbn_sha256_update (hash, abc, 3);
  known = pcmbn_sha256_finish_hex (hash);
  g_assert_cmpstr (known, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  pcmbn_sha256_update (hash, data, 10);
  pcmbn_sha256_reset (hash);
  pcmbn_sha256_update (hash, abc, 3);
  again = pcmbn_sha256_finish_hex (hash);
  g_assert_cmpstr (again, ==, known);
}

static void
test_uuid_new (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree UuidRun *runs = g_new0 (UuidRun, 2);
  guint64 before = g_get_real_time () / 1000, after;
  GThread *other;
  guint variants = 0;

  other = g_thread_new ("uuids", make_uuids, &runs[1]);
  make_uuids (&runs[0]);
  g_thread_join (other);
  after = g_get_real_time () / 1000;
  for (guint r = 0; r < 2; r++)
    for (guint i = 0; i < G_N_ELEMENTS (runs[r].uuids); i++)
      {
        const char *uuid = runs[r].uuids[i];

        g_assert_true (pcmbn_uuid_is_valid (uuid));
        g_assert_true (g_uuid_string_is_valid (uuid));
        g_assert_cmpint (uuid[14], ==, '7');
        g_assert_nonnull (strchr ("89ab", uuid[19]));
        variants |= 1u << (g_ascii_xdigit_value (uuid[19]) - 8);
        g_assert_true (g_hash_table_add (seen, (gpointer)uuid));
        g_assert_cmpuint (uuid_ms (uuid), >=, before);
        /* Ahead of the clock only by what the counter overflowed. */
        g_assert_cmpuint (uuid_ms (uuid), <=, after + 20);
        if (i > 0)
          g_assert_cmpstr (runs[r].uuids[i - 1], <, uuid);
      }
  /* All four variants' digits turn up: the bits around them are random. */
  g_assert_cmpuint (variants, ==, 0xF);
  for (guint r = 0; r < 2; r++)
    for (guint i = 0; i < G_N_ELEMENTS (runs[r].uuids); i++)
      g_free (runs[r].uuids[i]);
}

/* Every column field of every kind finds its column, by itself or by a
 * copy of itself (a field that is not the kind's own). */
static void
test_column_index (void)
{
  guint n_kinds, n_columns;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  const PcmbnField *const *columns = pcmbn_schema_columns (&n_columns);
  guint found = 0;

  for (guint k = 0; k < n_kinds; k++)
    for (guint f = 0; f < kinds[k]->n_fields; f++)
      {
        const PcmbnField *field = &kinds[k]->fields[f];
        PcmbnField copy = *field;
        int at = pcmbn_schema_column_index (field);

        g_assert_cmpint (pcmbn_schema_column_index (&copy), ==, at);
        if (at < 0)
          continue;
        found++;
        g_assert_cmpint (at, <, (int)n_columns);
        g_assert_cmpstr (columns[at]->name, ==, field->name);
      }
  g_assert_cmpuint (found, >=, n_columns);
}

static void
test_fold (void)
{
  static const struct
  {
    const char *text, *folded;
  } cases[] = {
    { "Phúc Xá", "phuc xa" },
    { "ĐỒNG XUÂN đường", "dong xuan duong" },
    { "Nguyễn Thị Hường", "nguyen thi huong" },
    { "Tờ rơi, ÁP PHÍCH!", "to roi, ap phich!" },
    { "e\xcc\x81 combining", "e combining" },
    { "\xe1\xbc\x88\xe1\xbd\xb3 Greek above the table", "\xce\xb1\xce\xb5 greek above the table" },
    { "ﬁ Ｆ", "ﬁ ｆ" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *folded = pcmbn_fold (cases[i].text);
      g_assert_cmpstr (folded, ==, cases[i].folded);
    }
  {
    g_autofree char *bad = pcmbn_fold ("\xff\xfe");
    g_assert_cmpstr (bad, ==, "");
  }
  /* Every ASCII character, control characters too, folds to its lower case. */
  {
    char ascii[128];
    g_autofree char *folded = NULL;
    g_autofree char *lower = NULL;

    for (guint c = 1; c < 128; c++)
      ascii[c - 1] = (char)c;
    ascii[127] = '\0';
    folded = pcmbn_fold (ascii);
    lower = g_ascii_strdown (ascii, -1);
    g_assert_cmpstr (folded, ==, lower);
  }
  /* Letters of four bytes pass as they are; a capital whose lower case is
   * longer than itself (U+023A, two bytes, folds to U+2C65, three), many
   * times over and followed by much ASCII, still fits. */
  {
    g_autoptr (GString) text = g_string_new ("\xf0\x9f\x98\x80 ");
    g_autoptr (GString) expected = g_string_new ("\xf0\x9f\x98\x80 ");
    g_autofree char *folded = NULL;

    for (guint i = 0; i < 100; i++)
      {
        g_string_append (text, "\xc8\xba");
        g_string_append (expected, "\xe2\xb1\xa5");
      }
    g_string_append (text, " ĐÃ XONG");
    g_string_append (expected, " da xong");
    for (guint i = 0; i < 1000; i++)
      {
        g_string_append (text, " AB");
        g_string_append (expected, " ab");
      }
    folded = pcmbn_fold (text->str);
    g_assert_cmpstr (folded, ==, expected->str);
  }
  /* Text folds as its letters fold one by one, across every code point of
   * one, two, three and four bytes up to U+11000. */
  {
    g_autoptr (GString) text = g_string_new (NULL);
    g_autoptr (GString) expected = g_string_new (NULL);
    g_autofree char *folded = NULL;

    for (gunichar c = 1; c < 0x11000; c++)
      {
        char one[8] = { 0 };
        g_autofree char *alone = NULL;

        if (c >= 0xD800 && c <= 0xDFFF)
          continue;
        g_unichar_to_utf8 (c, one);
        alone = pcmbn_fold (one);
        g_string_append (text, one);
        g_string_append (expected, alone);
        if (c < 0x80)
          g_assert_cmpuint (strlen (alone), ==, 1);
      }
    folded = pcmbn_fold (text->str);
    g_assert_cmpstr (folded, ==, expected->str);
  }
  /* Appended for a search text: the same letters, every ASCII punctuation
   * a space, ASCII that folding made of a letter too (U+FF01 is "!"). */
  {
    g_autoptr (GString) out = g_string_new ("kept|");
    pcmbn_fold_append (out, "Tờ rơi, ÁP-PHÍCH! (2025)\n\tĐã", TRUE);
    g_assert_cmpstr (out->str, ==, "kept|to roi  ap phich   2025 \n\tda");
    g_string_truncate (out, 0);
    for (guint c = 1; c < 128; c++)
      {
        char one[2] = { (char)c, 0 };
        pcmbn_fold_append (out, one, TRUE);
        g_assert_cmpint (out->str[c - 1], ==,
                         g_ascii_ispunct ((char)c) ? ' ' : g_ascii_tolower ((char)c));
      }
    g_assert_cmpuint (out->len, ==, 127);
  }
  /* Text that is not UTF-8 (a search text is made of checked fields, so it
   * is not checked again): each byte that begins no whole sequence is left
   * out, and a sequence cut short by the end is never read past it. */
  {
    static const struct
    {
      const char *text, *folded;
    } bad[] = {
      { "a\xff\xfe"
        "b",
        "ab" },
      { "\x80\xbfÁ", "a" },
      { "x\xc3", "x" },
      { "x\xe1\xba", "x" },
      { "x\xf0\x9f\x98", "x" },
      { "\xc3(\xe1\xbaz", "(z" },
      { "\xc0\xaf\xf5\x80\x80\x80", "" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (GString) out = g_string_new (NULL);
        /* A copy of its own length, so that a read past it is seen by
         * AddressSanitizer. */
        g_autofree char *text = g_strdup (bad[i].text);
        pcmbn_fold_append (out, text, FALSE);
        g_assert_cmpstr (out->str, ==, bad[i].folded);
      }
  }
}

/* What pcmbn_utf8_scan() must say of @text: g_utf8_validate()'s verdict,
 * and for valid text its code points and whether one is a control. */
static void
assert_scan (const char *text)
{
  gsize length = 0;
  gboolean control = FALSE;
  gboolean valid = pcmbn_utf8_scan (text, &length, &control);

  if (valid != g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *hex = NULL;
      GString *s = g_string_new (NULL);
      for (const guchar *p = (const guchar *)text; *p; p++)
        g_string_append_printf (s, "%02X ", *p);
      hex = g_string_free (s, FALSE);
      g_error ("pcmbn_utf8_scan() says %d of %s", valid, hex);
    }
  if (valid)
    {
      gboolean cc = FALSE;
      for (const char *p = text; *p; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);
          cc = cc || (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c <= 0x9F);
        }
      g_assert_cmpuint (length, ==, g_utf8_strlen (text, -1));
      g_assert_cmpint (control, ==, cc);
    }
}

/* The one pass that checks every text field agrees with GLib on every
 * string of one to three bytes, on the edges of every four-byte form, and
 * on longer random text. */
static void
test_utf8_scan (void)
{
  char text[16] = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261204);
  static const guchar edges[] = { 0x01, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF };

  for (guint a = 1; a < 256; a++)
    {
      text[0] = (char)a;
      text[1] = 0;
      assert_scan (text);
      for (guint b = 1; b < 256; b++)
        {
          text[1] = (char)b;
          text[2] = 0;
          assert_scan (text);
          for (guint c = 1; c < 256; c++)
            {
              text[2] = (char)c;
              text[3] = 0;
              assert_scan (text);
            }
        }
    }
  for (guint a = 0xF0; a < 256; a++)
    for (guint b = 1; b < 256; b++)
      for (guint c = 0; c < G_N_ELEMENTS (edges); c++)
        for (guint d = 0; d < G_N_ELEMENTS (edges); d++)
          {
            text[0] = (char)a;
            text[1] = (char)b;
            text[2] = (char)edges[c];
            text[3] = (char)edges[d];
            text[4] = 0;
            assert_scan (text);
          }
  /* Runs of letters of every length, whole or cut, in any order. */
  for (guint i = 0; i < 200000; i++)
    {
      guint n = g_rand_int_range (rand, 1, sizeof text);
      for (guint k = 0; k < n; k++)
        {
          static const guchar common[] = { 'a',  ' ',  '\n', 0x1F, 0xC2, 0xC3, 0xA1, 0x85,
                                           0xE1, 0xBA, 0xBB, 0xED, 0xF0, 0x9F, 0xF4, 0x8F };
          text[k] = (char)(g_rand_boolean (rand) ? common[g_rand_int_range (rand, 0, 16)]
                                                 : g_rand_int_range (rand, 1, 256));
        }
      text[n] = 0;
      assert_scan (text);
    }
}

/* A record's search text is its searchable fields and its type's labels,
 * each folded, one per line, punctuation as space: what folding the whole
 * joined text and then blanking its punctuation gives. */
static void
test_search_text (void)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("activity");
  g_autoptr (JsonObject) data = pcmbn_test_json (
      "{\"date\":\"2025-12-03\",\"activity_type\":\"loudspeaker_broadcast\","
      "\"title\":\"Nói chuyện: PHÒNG, CHỐNG mua bán người!\",\"location\":\"Nhà văn hóa "
      "(thôn Đông)\",\"notes\":\"Ghi chú — dài, có \\\"ngoặc\\\" và Đ.\"}");
  g_autoptr (GString) joined = g_string_new (NULL);
  g_autofree char *text = pcmbn_schema_search_text (kind, data);
  g_autofree char *expected = NULL;

  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];
      const char *value = pcmbn_data_get_string (data, field->name);

      if (value == NULL || (field->flags & PCMBN_FIELD_SENSITIVE))
        continue;
      if (field->flags & PCMBN_FIELD_SEARCH)
        g_string_append_printf (joined, "%s\n", value);
      else if (g_strcmp0 (field->name, kind->type_field) == 0)
        {
          const PcmbnCatalogueEntry *e = pcmbn_catalogue_find (
              pcmbn_catalogue_lookup (field->catalogue), value);
          g_assert_nonnull (e);
          g_string_append_printf (joined, "%s\n%s\n", e->label_vi, e->label_en);
        }
    }
  expected = pcmbn_fold (joined->str);
  for (char *p = expected; *p; p++)
    if (g_ascii_ispunct (*p))
      *p = ' ';
  g_assert_nonnull (strstr (text, "phong  chong mua ban nguoi "));
  g_assert_nonnull (strstr (text, "thon dong"));
  g_assert_cmpstr (text, ==, expected);
}

/* A record in stored form but out of the schema's order is taken as it is
 * by pcmbn_schema_normalize_any_order(); pcmbn_schema_data_text() writes
 * it in the schema's order, the same bytes as the ordered copy that
 * pcmbn_schema_normalize() makes. Sensitive fields go apart; a member that
 * is no field comes last, in clear; a value json-glib writes its own way
 * (a control character) comes out as json-glib writes it. */
static void
test_data_text_any_order (void)
{
  const PcmbnKind *activity = pcmbn_schema_kind ("activity");
  const PcmbnKind *counselling = pcmbn_schema_kind ("counselling");
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  g_autoptr (JsonObject) reversed = json_q (
      "{'topics':['sexual_exploitation','forced_labour'],'title':'Nói \\\"chuyện\\\"',"
      "'subproject':'community','activity_type':'community_talk','date':'2026-03-10'}");
  g_autoptr (JsonObject) taken = pcmbn_schema_normalize_any_order (activity, reversed, errors);
  g_autoptr (JsonObject) ordered = pcmbn_schema_normalize (activity, reversed, NULL, errors);
  g_autofree char *want = pcmbn_json_object_to_text (ordered);
  g_autofree char *have = pcmbn_schema_data_text (activity, taken, FALSE, NULL);
  g_autofree char *none = NULL, *clear = NULL, *secret = NULL, *odd = NULL;
  guint n = 99;

  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_true (taken == reversed);
  g_assert_true (ordered != reversed);
  g_assert_cmpstr (have, ==, want);
  g_assert_true (g_str_has_prefix (have, "{\"date\":"));
  none = pcmbn_schema_data_text (activity, taken, TRUE, &n);
  g_assert_cmpstr (none, ==, "{}");
  g_assert_cmpuint (n, ==, 0);
  /* Out of order, but a value still to change: a copy, in order. */
  {
    g_autoptr (JsonObject) cleared = json_q ("{'title':'Nói chuyện','location':'','date':"
                                             "'2026-03-10','activity_type':'community_talk',"
                                             "'subproject':'community'}");
    g_autoptr (JsonObject) out = pcmbn_schema_normalize_any_order (activity, cleared, errors);
    g_autofree char *text = pcmbn_schema_data_text (activity, out, FALSE, NULL);
    g_assert_true (out != cleared);
    g_assert_null (strstr (text, "location"));
    g_assert_true (g_str_has_prefix (text, "{\"date\":"));
  }

  {
    g_autoptr (JsonObject) data = json_q ("{'case_notes':'Ghi chú','client_type':'at_risk_woman',"
                                          "'date':'2026-03-10','channel':'office',"
                                          "'client_code':'HV-001','zz_not_a_field':1}");
    clear = pcmbn_schema_data_text (counselling, data, FALSE, &n);
    g_assert_cmpuint (n, ==, 5);
    g_assert_null (strstr (clear, "case_notes"));
    g_assert_true (g_str_has_prefix (clear, "{\"date\":\"2026-03-10\",\"channel\""));
    g_assert_true (g_str_has_suffix (clear, ",\"zz_not_a_field\":1}"));
    secret = pcmbn_schema_data_text (counselling, data, TRUE, &n);
    g_assert_cmpuint (n, ==, 1);
    g_assert_cmpstr (secret, ==, "{\"case_notes\":\"Ghi chú\"}");
  }
  {
    /* A control character: json-glib's own escape, the order kept. */
    g_autoptr (JsonObject) data = json_object_new ();
    g_autoptr (JsonObject) in_order = json_object_new ();
    g_autoptr (JsonNode) node = NULL;
    g_autofree char *reference = NULL;
    json_object_set_string_member (data, "title", "a\001b");
    json_object_set_string_member (data, "date", "2026-03-10");
    json_object_set_string_member (in_order, "date", "2026-03-10");
    json_object_set_string_member (in_order, "title", "a\001b");
    node = json_node_init_object (json_node_alloc (), in_order);
    reference = json_to_string (node, FALSE);
    odd = pcmbn_schema_data_text (activity, data, FALSE, &n);
    g_assert_cmpstr (odd, ==, reference);
    g_assert_cmpuint (n, ==, 2);
  }
}

/* An input already in the stored form (as a record read back from a sync
 * or a file is) comes back itself; any other input is built again into the
 * stored form, and both give the same canonical text. */
static void
test_normalize_stored_form (void)
{
  const PcmbnKind *kind = pcmbn_schema_kind ("activity");
  static const char *const rebuilt[] = {
    /* Members out of the schema's order. */
    "{'title':'Nói chuyện','date':'2026-03-10','activity_type':'community_talk',"
    "'subproject':'community'}",
    /* Codes out of catalogue order. */
    "{'date':'2026-03-10','activity_type':'community_talk','subproject':'community',"
    "'title':'Nói chuyện','topics':['forced_labour','sexual_exploitation']}",
    /* A null and an empty text, which clear. */
    "{'date':'2026-03-10','end_date':null,'activity_type':'community_talk',"
    "'subproject':'community','title':'Nói chuyện','location':''}",
  };
  g_autoptr (JsonObject) stored = json_q (
      "{'date':'2026-03-10','activity_type':'community_talk','subproject':'community',"
      "'title':'Nói chuyện','topics':['sexual_exploitation','forced_labour']}");
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  g_autoptr (JsonObject) same = pcmbn_schema_normalize (kind, stored, NULL, errors);
  g_autofree char *stored_text = pcmbn_json_object_to_text (stored);

  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_true (same == stored);

  for (guint i = 0; i < G_N_ELEMENTS (rebuilt); i++)
    {
      g_autoptr (JsonObject) input = json_q (rebuilt[i]);
      g_autoptr (JsonObject) out = pcmbn_schema_normalize (kind, input, NULL, errors);
      g_autofree char *text = pcmbn_json_object_to_text (out);
      g_autoptr (JsonObject) again = NULL;

      g_assert_cmpuint (errors->len, ==, 0);
      g_assert_true (out != input);
      /* The stored form it gives is itself returned as it is. */
      again = pcmbn_schema_normalize (kind, out, NULL, errors);
      g_assert_true (again == out);
      if (i == 1)
        g_assert_cmpstr (text, ==, stored_text);
      else
        {
          g_assert_null (strstr (text, "end_date"));
          g_assert_null (strstr (text, "location"));
        }
    }

  /* Not for an update (the base's fields are kept), nor with a member that
   * is no field (an error). */
  {
    g_autoptr (JsonObject) base = json_q (ACTIVITY);
    g_autoptr (JsonObject) out = pcmbn_schema_normalize (kind, stored, base, errors);
    g_assert_true (out != stored);
    g_assert_cmpint (json_object_get_int_member (out, "participants_total"), ==, 40);
  }
  {
    g_autoptr (JsonObject) extra = json_q (
        "{'date':'2026-03-10','activity_type':'community_talk','subproject':'community',"
        "'title':'Nói chuyện','colour':'red'}");
    g_autoptr (JsonObject) out = pcmbn_schema_normalize (kind, extra, NULL, errors);
    g_assert_true (out != extra);
    g_assert_cmpuint (errors->len, ==, 1);
  }
}

/* Only a kind that names other records needs the store to be validated:
 * the server validates the others before its write turn. */
static void
test_kinds_with_references (void)
{
  guint n;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n);
  guint with = 0;

  for (guint i = 0; i < n; i++)
    {
      gboolean names = FALSE;
      for (guint f = 0; f < kinds[i]->n_fields; f++)
        names |= kinds[i]->fields[f].ref_kind != NULL || kinds[i]->fields[f].ref_field != NULL;
      g_assert_cmpint (pcmbn_kind_has_references (kinds[i]), ==, names);
      with += names;
    }
  g_assert_true (pcmbn_kind_has_references (pcmbn_schema_kind ("model-meeting")));
  g_assert_false (pcmbn_kind_has_references (pcmbn_schema_kind ("activity")));
  g_assert_cmpuint (with, ==, 1);
}

int
main (int argc, char **argv)
{
  /* Pin "today" so that the date rules do not depend on the day of the run */
  g_setenv ("PCMBN_TODAY", TODAY, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/schema/fold", test_fold);
  g_test_add_func ("/schema/search-text", test_search_text);
  g_test_add_func ("/schema/utf8-scan", test_utf8_scan);
  g_test_add_func ("/schema/uuid-new", test_uuid_new);
  g_test_add_func ("/schema/sha256-in-pieces", test_sha256_in_pieces);
  g_test_add_func ("/schema/date-parse", test_date_parse);
  g_test_add_func ("/schema/column-index", test_column_index);
  g_test_add_func ("/schema/normalize-stored-form", test_normalize_stored_form);
  g_test_add_func ("/schema/data-text-any-order", test_data_text_any_order);
  g_test_add_func ("/schema/kinds-with-references", test_kinds_with_references);
  g_test_add_func ("/schema/required/activity", test_required_activity);
  g_test_add_func ("/schema/required/training", test_required_training);
  g_test_add_func ("/schema/required/model", test_required_model);
  g_test_add_func ("/schema/required/model-meeting", test_required_meeting);
  g_test_add_func ("/schema/required/counselling", test_required_counselling);
  g_test_add_func ("/schema/required/material", test_required_material);
  g_test_add_func ("/schema/activity/participants-total-required",
                   test_activity_participants_required);
  g_test_add_func ("/schema/breakdown-at-most-total", test_breakdowns);
  g_test_add_func ("/schema/end-date-not-before-date", test_end_date);
  g_test_add_func ("/schema/text/title-200-code-points", test_title_length);
  g_test_add_func ("/schema/text/other-10000", test_text_length);
  g_test_add_func ("/schema/text/case-notes-20000", test_case_notes_length);
  g_test_add_func ("/schema/text/control-characters", test_control_characters);
  g_test_add_func ("/schema/text/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/schema/unknown-field", test_unknown_field);
  g_test_add_func ("/schema/null-means-not-set", test_null_means_not_set);
  g_test_add_func ("/schema/empty-text", test_empty_text);
  g_test_add_func ("/schema/codes/catalogue-only", test_code_catalogue);
  g_test_add_func ("/schema/codes/duplicates-refused", test_codes_duplicates);
  g_test_add_func ("/schema/codes/order-canonical", test_codes_canonical);
  g_test_add_func ("/schema/codes/unknown-refused", test_codes_unknown);
  g_test_add_func ("/schema/codes/referrals-none-alone", test_referrals_none);
  g_test_add_func ("/schema/training/role-sum", test_training_roles);
  g_test_add_func ("/schema/model/status-since", test_model_status_since);
  g_test_add_func ("/schema/model/members-female", test_model_members);
  g_test_add_func ("/schema/model-meeting/model-of-this-commune", test_meeting_model_ref);
  g_test_add_func ("/schema/model-meeting/date-after-established", test_meeting_date_after_model);
  g_test_add_func ("/schema/counselling/client-code", test_client_code);
  g_test_add_func ("/schema/counselling/follow-up", test_follow_up);
  g_test_add_func ("/schema/counselling/follow-up-leap-year", test_follow_up_leap_year);
  g_test_add_func ("/schema/dates/range", test_dates_range);
  g_test_add_func ("/schema/dates/today-from-env", test_dates_today_moves);
  g_test_add_func ("/schema/int-values", test_int_values);
  g_test_add_func ("/schema/bool-values", test_bool_values);
  g_test_add_func ("/schema/material/quantities", test_material_quantities);
  g_test_add_func ("/schema/material/deployed-on", test_material_deployed_on);
  g_test_add_func ("/schema/attachments", test_attachments);
  g_test_add_func ("/schema/activity/materials", test_activity_materials);
  g_test_add_func ("/schema/messages/field-key-first", test_messages_start_with_field);
  g_test_add_func ("/schema/messages/vietnamese", test_messages_vietnamese);
  g_test_add_func ("/schema/self-check", test_schema_self_check);
  g_test_add_func ("/schema/forms/parse-text", test_parse_text);
  g_test_add_func ("/schema/forms/messages-for-people", test_messages_for_people);
  g_test_add_func ("/schema/messages/dates-day-first", test_messages_dates_day_first);

  return g_test_run ();
}
