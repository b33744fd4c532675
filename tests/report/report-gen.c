/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "records/pcmbn-catalogue.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"
#include "report-gen.h"

static const char *const commune_names[] = {
  "Phúc Xá", "Trúc Bạch", "Vĩnh Phúc", "Cống Vị",    "Liễu Giai", "Nguyễn Trung Trực", "Quán Thánh",
  "Ngọc Hà", "Điện Biên", "Đội Cấn",   "Ngọc Khánh", "Kim Mã",    "Giảng Võ",          "Thành Công",
};

static void
gen_record_free (GenRecord *r)
{
  g_free (r->uuid);
  g_free (r->kind);
  g_free (r->org_unit);
  json_object_unref (r->data);
  g_free (r);
}

GenWorld *
gen_world_new (guint n_communes)
{
  GenWorld *world = g_new0 (GenWorld, 1);
  g_autoptr (GString) csv = g_string_new ("level,code,name,full_name,unit_type,parent_code\n"
                                          "city,T1,Hà Nội Thử,Thành phố Hà Nội Thử,thành phố,\n"
                                          "district,D1,Ba Đình Thử,Quận Ba Đình Thử,quận,T1\n"
                                          "district,D2,Sóc Sơn Thử,Huyện Sóc Sơn Thử,huyện,T1\n"
                                          "commune,C90,Bắc Sơn,Xã Bắc Sơn,xã,D2\n");
  g_autofree char *units = NULL;
  g_autoptr (GError) error = NULL;

  world->dir = pcmbn_test_tmpdir ();
  world->path = g_build_filename (world->dir, "district.sqlite", NULL);
  world->records = g_ptr_array_new_with_free_func ((GDestroyNotify)gen_record_free);
  world->communes = g_ptr_array_new_with_free_func (g_free);
  world->key_area = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  world->population = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  world->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < n_communes; i++)
    {
      char *code = g_strdup_printf ("C%02u", i + 1);
      const char *name = commune_names[i % G_N_ELEMENTS (commune_names)];
      g_autofree char *unique = i < G_N_ELEMENTS (commune_names)
                                    ? g_strdup (name)
                                    : g_strdup_printf ("%s %u", name, i + 1);
      g_string_append_printf (csv, "commune,%s,%s,Phường %s,phường,D1\n", code, unique, unique);
      g_ptr_array_add (world->communes, code);
    }
  units = g_build_filename (world->dir, "units.csv", NULL);
  g_assert_true (g_file_set_contents (units, csv->str, csv->len, NULL));
  world->store = pcmbn_store_open (world->path, &error);
  g_assert_no_error (error);
  pcmbn_store_init_commune (world->store, "C01", units, NULL, &error);
  g_assert_no_error (error);
  return world;
}

void
gen_world_free (GenWorld *world)
{
  g_clear_object (&world->store);
  g_ptr_array_unref (world->records);
  g_ptr_array_unref (world->communes);
  g_hash_table_unref (world->key_area);
  g_hash_table_unref (world->population);
  g_hash_table_unref (world->targets);
  g_free (world->path);
  g_free (world->dir);
  g_free (world);
}

void
gen_world_set_facts (GenWorld *world, const char *code, gboolean key_area, gint64 population)
{
  g_autoptr (GError) error = NULL;

  pcmbn_store_set_unit_facts (world->store, code, key_area, population, &error);
  g_assert_no_error (error);
  if (key_area)
    g_hash_table_insert (world->key_area, g_strdup (code), GINT_TO_POINTER (1));
  else
    g_hash_table_remove (world->key_area, code);
  if (population >= 0)
    g_hash_table_insert (world->population, g_strdup (code),
                         g_memdup2 (&population, sizeof population));
  else
    g_hash_table_remove (world->population, code);
}

void
gen_world_set_target (GenWorld *world, int year, const char *key, double value)
{
  g_autoptr (GError) error = NULL;

  pcmbn_store_set_target (world->store, year, key, value, &error);
  g_assert_no_error (error);
  g_hash_table_insert (world->targets, g_strdup_printf ("%d/%s", year, key),
                       g_memdup2 (&value, sizeof value));
}

static const char *
add_object (GenWorld *world, const char *org_unit, const char *kind, JsonObject *data)
{
  g_autoptr (GError) error = NULL;
  char *uuid;
  GenRecord *r;

  /* The store's own commune goes through the ordinary entry point. */
  if (g_str_equal (org_unit, pcmbn_store_get_org_unit (world->store)))
    uuid = pcmbn_store_add (world->store, kind, data, &error);
  else
    uuid = pcmbn_store_add_for_unit (world->store, org_unit, kind, NULL, data, &error);
  g_assert_no_error (error);
  g_assert_nonnull (uuid);
  r = g_new0 (GenRecord, 1);
  r->uuid = uuid;
  r->kind = g_strdup (kind);
  r->org_unit = g_strdup (org_unit);
  r->data = json_object_ref (data);
  g_ptr_array_add (world->records, r);
  return r->uuid;
}

const char *
gen_world_add (GenWorld *world, const char *org_unit, const char *kind, const char *json)
{
  g_autoptr (JsonObject) data = pcmbn_test_json (json);
  return add_object (world, org_unit, kind, data);
}

void
gen_world_delete (GenWorld *world, const char *uuid)
{
  g_autoptr (GError) error = NULL;

  pcmbn_store_delete (world->store, uuid, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < world->records->len; i++)
    {
      GenRecord *r = world->records->pdata[i];
      if (g_str_equal (r->uuid, uuid))
        r->deleted = TRUE;
    }
}

/* ---- random records ------------------------------------------------------ */

static const char *
pick (GRand *rand, const char *catalogue)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (catalogue);
  g_assert_nonnull (cat);
  return cat->entries[g_rand_int_range (rand, 0, cat->n_entries)].code;
}

static void
set_day (JsonObject *o, const char *name, gint64 day)
{
  g_autofree char *iso = pcmbn_date_format (day);
  json_object_set_string_member (o, name, iso);
}

static gint64
random_day (GRand *rand, gint64 lo, gint64 hi)
{
  return lo >= hi ? lo : lo + g_rand_int_range (rand, 0, (gint32)(hi - lo + 1));
}

static void
add_code_set (JsonObject *o,
              GRand *rand,
              const char *name,
              const char *catalogue,
              guint max,
              const char *skip)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (catalogue);
  JsonArray *array = json_array_new ();
  guint n = g_rand_int_range (rand, 0, max + 1);
  guint start = g_rand_int_range (rand, 0, cat->n_entries);

  for (guint i = 0; i < cat->n_entries && json_array_get_length (array) < n; i++)
    {
      const char *code = cat->entries[(start + i) % cat->n_entries].code;
      if (skip == NULL || !g_str_equal (code, skip))
        json_array_add_string_element (array, code);
    }
  if (json_array_get_length (array) == 0)
    json_array_unref (array);
  else
    json_object_set_array_member (o, name, array);
}

static JsonObject *
random_activity (GRand *rand, gint64 lo, gint64 hi)
{
  JsonObject *o = json_object_new ();
  const char *type = pick (rand, "activity_type");
  gboolean media = g_str_equal (type, "press_article") || g_str_equal (type, "radio_tv")
                   || g_str_equal (type, "loudspeaker_broadcast")
                   || g_str_equal (type, "web_social_post");

  /* Press and radio often, so that i3 has months to find. */
  if (g_rand_int_range (rand, 0, 4) == 0)
    type = g_rand_boolean (rand) ? "press_article" : "radio_tv", media = TRUE;
  set_day (o, "date", random_day (rand, lo, hi));
  json_object_set_string_member (o, "activity_type", type);
  json_object_set_string_member (o, "subproject", pick (rand, "subproject"));
  json_object_set_string_member (o, "title", "Tuyên truyền phòng, chống mua bán người");
  if (!media || g_rand_boolean (rand))
    {
      gint64 total = g_rand_int_range (rand, 0, 300);
      static const char *const parts[] = { "participants_female", "participants_14_60",
                                           "participants_under_16",
                                           "participants_ethnic_minority" };
      json_object_set_int_member (o, "participants_total", total);
      for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
        if (g_rand_int_range (rand, 0, 5) > 0)
          json_object_set_int_member (o, parts[i], g_rand_int_range (rand, 0, (gint32)total + 1));
    }
  if (media && g_rand_int_range (rand, 0, 4) > 0)
    json_object_set_string_member (o, "outlet_level",
                                   g_rand_boolean (rand) ? "city" : pick (rand, "outlet_level"));
  add_code_set (o, rand, "topics", "topics", 2, NULL);
  return o;
}

static JsonObject *
random_training (GRand *rand, gint64 lo, gint64 hi)
{
  JsonObject *o = json_object_new ();
  static const char *const roles[] = {
    "participants_reporter_editor", "participants_culture_info_officer",
    "participants_legal_reporter",  "participants_propagandist",
    "participants_collaborator",    "participants_womens_union_officer",
    "participants_counsellor",      "participants_other_role",
  };
  gint64 total = g_rand_int_range (rand, 1, 120), left = total;

  set_day (o, "date", random_day (rand, lo, hi));
  json_object_set_string_member (o, "format", pick (rand, "training_format"));
  json_object_set_string_member (o, "title", "Tập huấn kỹ năng truyền thông");
  json_object_set_int_member (o, "participants_total", total);
  json_object_set_int_member (o, "participants_female",
                              g_rand_int_range (rand, 0, (gint32)total + 1));
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    if (g_rand_boolean (rand))
      {
        gint64 n = g_rand_int_range (rand, 0, (gint32)left / 2 + 1);
        json_object_set_int_member (o, roles[i], n);
        left -= n;
      }
  return o;
}

static JsonObject *
random_model (GRand *rand, gint64 lo, gint64 hi)
{
  JsonObject *o = json_object_new ();
  gint64 established = random_day (rand, lo, hi);
  int status = g_rand_int_range (rand, 0, 20);

  json_object_set_string_member (o, "name", "Câu lạc bộ phụ nữ với pháp luật");
  json_object_set_string_member (o, "model_type", pick (rand, "model_type"));
  if (g_rand_int_range (rand, 0, 5) > 0)
    json_object_set_string_member (o, "model_kind", pick (rand, "model_kind"));
  set_day (o, "established_on", established);
  if (g_rand_int_range (rand, 0, 10) > 0)
    {
      gint64 members = g_rand_int_range (rand, 0, 60);
      json_object_set_int_member (o, "members_total", members);
      json_object_set_int_member (o, "members_female",
                                  g_rand_int_range (rand, 0, (gint32)members + 1));
    }
  if (status < 11)
    json_object_set_string_member (o, "status", "active");
  else
    {
      json_object_set_string_member (o, "status", status < 14 ? "paused" : "dissolved");
      set_day (o, "status_since", random_day (rand, established, hi));
    }
  return o;
}

static JsonObject *
random_meeting (GRand *rand, GenRecord *model, gint64 hi)
{
  JsonObject *o = json_object_new ();
  gint64 since = pcmbn_date_parse (json_object_get_string_member (model->data, "established_on"));
  gint64 total = g_rand_int_range (rand, 1, 60);

  json_object_set_string_member (o, "model", model->uuid);
  set_day (o, "date", random_day (rand, since, hi));
  json_object_set_int_member (o, "participants_total", total);
  json_object_set_int_member (o, "participants_female",
                              g_rand_int_range (rand, 0, (gint32)total + 1));
  return o;
}

static JsonObject *
random_counselling (GRand *rand, gint64 lo, gint64 hi)
{
  JsonObject *o = json_object_new ();
  g_autofree char *client = g_strdup_printf ("KH-%04d", g_rand_int_range (rand, 0, 10000));

  set_day (o, "date", random_day (rand, lo, hi));
  json_object_set_string_member (o, "channel", pick (rand, "channel"));
  json_object_set_string_member (o, "client_code", client);
  json_object_set_string_member (o, "client_type", pick (rand, "client_type"));
  add_code_set (o, rand, "topics", "counselling_topics", 3, NULL);
  if (g_rand_int_range (rand, 0, 4) == 0)
    {
      JsonArray *none = json_array_new ();
      json_array_add_string_element (none, "none");
      json_object_set_array_member (o, "referrals", none);
    }
  else
    add_code_set (o, rand, "referrals", "referrals", 2, "none");
  return o;
}

static JsonObject *
random_material (GRand *rand, gint64 lo, gint64 hi)
{
  JsonObject *o = json_object_new ();
  gint64 received = random_day (rand, lo, hi);
  gint64 quantity = g_rand_int_range (rand, 0, 2000);

  json_object_set_string_member (o, "material_type", pick (rand, "material_type"));
  set_day (o, "received_on", received);
  json_object_set_int_member (o, "quantity_received", quantity);
  if (g_rand_int_range (rand, 0, 10) < 6)
    {
      set_day (o, "deployed_on", random_day (rand, received, hi));
      json_object_set_int_member (o, "quantity_deployed",
                                  g_rand_int_range (rand, 0, (gint32)quantity + 1));
    }
  return o;
}

void
gen_world_fill (GenWorld *world, guint32 seed, guint per_commune)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) units = g_ptr_array_new ();
  gint64 lo = pcmbn_date_parse ("2023-01-01"), hi = pcmbn_date_parse ("2026-11-28");
  gint64 old = pcmbn_date_parse ("2016-01-01");
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i + 1 < world->communes->len; i++)
    g_ptr_array_add (units, world->communes->pdata[i]);
  g_ptr_array_add (units, (gpointer) "C90");

  pcmbn_store_begin (world->store, &error);
  g_assert_no_error (error);
  for (guint u = 0; u < units->len; u++)
    {
      const char *unit = units->pdata[u];
      g_autoptr (GPtrArray) models = g_ptr_array_new ();
      for (guint n = 0; n < per_commune; n++)
        {
          int which = g_rand_int_range (rand, 0, 100);
          g_autoptr (JsonObject) data = NULL;
          const char *kind;
          if (which < 40)
            kind = "activity", data = random_activity (rand, lo, hi);
          else if (which < 48)
            kind = "training", data = random_training (rand, lo, hi);
          else if (which < 56)
            kind = "model", data = random_model (rand, old, hi);
          else if (which < 68 && models->len > 0)
            kind = "model-meeting",
            data = random_meeting (rand, models->pdata[g_rand_int_range (rand, 0, models->len)],
                                   hi);
          else if (which < 88)
            kind = "counselling", data = random_counselling (rand, lo, hi);
          else
            /* Materials from every year, since i1 is cumulative. */
            kind = "material", data = random_material (rand, old, hi);
          add_object (world, unit, kind, data);
          if (g_str_equal (kind, "model"))
            g_ptr_array_add (models, world->records->pdata[world->records->len - 1]);
        }
    }
  pcmbn_store_commit (world->store, &error);
  g_assert_no_error (error);

  /* Some records are deleted: they must vanish from every number. A model
   * with meetings cannot be deleted, so only models without any are. */
  for (guint i = 0; i < world->records->len; i++)
    {
      GenRecord *r = world->records->pdata[i];
      gboolean has_meetings = FALSE;
      if (g_rand_int_range (rand, 0, 100) >= 8)
        continue;
      if (g_str_equal (r->kind, "model"))
        for (guint j = 0; j < world->records->len && !has_meetings; j++)
          {
            GenRecord *m = world->records->pdata[j];
            has_meetings = g_str_equal (m->kind, "model-meeting") && !m->deleted
                           && g_str_equal (json_object_get_string_member (m->data, "model"),
                                           r->uuid);
          }
      if (!has_meetings)
        gen_world_delete (world, r->uuid);
    }
}

/* ---- the independent computation ----------------------------------------- */

static const char *
str (GenRecord *r, const char *name)
{
  return json_object_get_string_member_with_default (r->data, name, NULL);
}

static gint64
num (GenRecord *r, const char *name)
{
  return json_object_get_int_member_with_default (r->data, name, 0);
}

static gboolean
in_period (const char *date, const char *from, const char *to)
{
  return date != NULL && strcmp (date, from) >= 0 && strcmp (date, to) <= 0;
}

static gboolean
model_alive (GenRecord *r, const char *to)
{
  const char *since = str (r, "status_since");

  if (strcmp (str (r, "established_on"), to) > 0)
    return FALSE;
  return !(g_strcmp0 (str (r, "status"), "dissolved") == 0 && since && strcmp (since, to) <= 0);
}

static void
add (GHashTable *expected, const char *table, const char *group, const char *column, gint64 n)
{
  g_autofree char *key = g_strdup_printf ("%s/%s/%s", table, group, column);
  gint64 *value = g_hash_table_lookup (expected, key);

  if (value == NULL)
    {
      value = g_new0 (gint64, 1);
      g_hash_table_insert (expected, g_steal_pointer (&key), value);
    }
  *value += n;
}

static const char *
date_of (GenRecord *r)
{
  if (g_str_equal (r->kind, "model"))
    return str (r, "established_on");
  if (g_str_equal (r->kind, "material"))
    return str (r, "received_on");
  return str (r, "date");
}

static gboolean
expected_default_target (const char *key, int year, gint64 months, double *target)
{
  /* The plan: 2020 targets from 2020 on, 2018 targets for 2018–2019. */
  static const struct
  {
    const char *key;
    double t2018, t2020; /* -1: none; -2: the months of the period */
  } plan[] = {
    { "i1_materials_deployed", 0.75, 1.0 },   { "i2a_intensive_model_key_areas", -1, 0.30 },
    { "i2b_integrated_model", -1, 0.50 },     { "i3_press_months", -2, -2 },
    { "i4_reach_14_60_key_areas", -1, 0.75 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (plan); i++)
    if (g_str_equal (plan[i].key, key))
      {
        double t = year >= 2020 ? plan[i].t2020 : year >= 2018 ? plan[i].t2018 : -1;
        if (t == -1)
          return FALSE;
        *target = t == -2 ? (double)months : t;
        return TRUE;
      }
  g_assert_not_reached ();
}

static void
check_indicator (JsonObject *indicators,
                 const char *key,
                 gint64 n,
                 gint64 d,
                 gboolean is_count,
                 GenWorld *world,
                 int year,
                 gint64 months)
{
  JsonObject *ind = json_object_get_object_member (indicators, key);
  JsonNode *value, *target;
  g_autofree char *target_key = g_strdup_printf ("%d/%s", year, key);
  double *set = g_hash_table_lookup (world->targets, target_key);
  double expected_target;
  gboolean has_target;

  g_assert_nonnull (ind);
  g_test_message ("%s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, key, n, d);
  g_assert_cmpint (json_object_get_int_member (ind, "numerator"), ==, n);
  g_assert_cmpint (json_object_get_int_member (ind, "denominator"), ==, d);
  value = json_object_get_member (ind, "value");
  if (is_count)
    g_assert_cmpint (json_node_get_int (value), ==, n);
  else if (d == 0)
    g_assert_true (JSON_NODE_HOLDS_NULL (value));
  else
    g_assert_cmpfloat_with_epsilon (json_node_get_double (value), (double)n / d, 1e-12);

  target = json_object_get_member (ind, "target");
  g_assert_nonnull (target);
  has_target = set ? (expected_target = *set, TRUE)
                   : expected_default_target (key, year, months, &expected_target);
  if (!has_target)
    g_assert_true (JSON_NODE_HOLDS_NULL (target));
  else
    {
      g_assert_false (JSON_NODE_HOLDS_NULL (target));
      g_assert_cmpfloat_with_epsilon (json_node_get_double (target), expected_target, 1e-9);
    }
}

void
gen_world_check_report (
    GenWorld *world, JsonNode *report, const char *scope, const char *from, const char *to)
{
  JsonObject *root = json_node_get_object (report);
  JsonObject *tables = json_object_get_object_member (root, "tables");
  g_autoptr (GHashTable) in_scope = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable)
      months_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) has_material = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) has_intensive = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) has_integrated = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) visited = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 reach = 0, population = 0, n_key = 0, n_i2a = 0;
  int fy = atoi (from), fm = atoi (from + 5), ty = atoi (to), tm = atoi (to + 5);
  gint64 months = (ty - fy) * 12 + (tm - fm) + 1;
  GHashTableIter iter;
  gpointer k;

  g_assert_cmpstr (json_object_get_string_member (root, "org_unit"), ==, scope);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (root, "period"), "from"), ==,
      from);
  if (g_str_equal (scope, "D1"))
    for (guint i = 0; i < world->communes->len; i++)
      g_hash_table_add (in_scope, world->communes->pdata[i]);
  else
    g_hash_table_add (in_scope, (gpointer)scope);

  for (guint i = 0; i < world->records->len; i++)
    {
      GenRecord *r = world->records->pdata[i];
      const char *date = date_of (r);
      gboolean period = in_period (date, from, to);
      if (r->deleted || !g_hash_table_contains (in_scope, r->org_unit))
        continue;
      if (period)
        add (expected, "per_commune", r->org_unit, r->kind, 1);
      if (g_str_equal (r->kind, "activity"))
        {
          static const char *const sums[] = { "participants_total", "participants_female",
                                              "participants_14_60", "participants_under_16",
                                              "participants_ethnic_minority" };
          const char *type = str (r, "activity_type");
          if (!period)
            continue;
          add (expected, "activities_by_type", type, "count", 1);
          for (guint s = 0; s < G_N_ELEMENTS (sums); s++)
            add (expected, "activities_by_type", type, sums[s], num (r, sums[s]));
          if ((g_str_equal (type, "press_article") || g_str_equal (type, "radio_tv"))
              && g_strcmp0 (str (r, "outlet_level"), "city") == 0)
            g_hash_table_add (months_seen, g_strndup (date, 7));
          if (g_hash_table_contains (world->key_area, r->org_unit)
              && g_hash_table_contains (world->population, r->org_unit))
            reach += num (r, "participants_14_60");
        }
      else if (g_str_equal (r->kind, "training"))
        {
          static const char *const sums[] = {
            "participants_total",           "participants_female",
            "participants_reporter_editor", "participants_culture_info_officer",
            "participants_legal_reporter",  "participants_propagandist",
            "participants_collaborator",    "participants_womens_union_officer",
            "participants_counsellor",      "participants_other_role",
          };
          if (!period)
            continue;
          add (expected, "trainings_by_format", str (r, "format"), "count", 1);
          for (guint s = 0; s < G_N_ELEMENTS (sums); s++)
            add (expected, "trainings_by_format", str (r, "format"), sums[s], num (r, sums[s]));
        }
      else if (g_str_equal (r->kind, "model"))
        {
          g_autofree char *group = NULL;
          gint64 meetings = 0;
          if (!model_alive (r, to))
            continue;
          if (g_str_equal (str (r, "model_type"), "intensive"))
            g_hash_table_add (has_intensive, r->org_unit);
          else
            g_hash_table_add (has_integrated, r->org_unit);
          group = g_strdup_printf ("%s+%s", str (r, "model_type"),
                                   str (r, "model_kind") ? str (r, "model_kind") : "other");
          for (guint j = 0; j < world->records->len; j++)
            {
              GenRecord *m = world->records->pdata[j];
              if (!m->deleted && g_str_equal (m->kind, "model-meeting")
                  && g_str_equal (str (m, "model"), r->uuid)
                  && in_period (str (m, "date"), from, to))
                meetings++;
            }
          add (expected, "models_by_type", group, "count", 1);
          add (expected, "models_by_type", group, "members_total", num (r, "members_total"));
          add (expected, "models_by_type", group, "members_female", num (r, "members_female"));
          add (expected, "models_by_type", group, "meetings", meetings);
        }
      else if (g_str_equal (r->kind, "counselling"))
        {
          static const char *const sets[][2] = { { "topics", "counselling_by_topic" },
                                                 { "referrals", "counselling_by_referral" } };
          if (!period)
            continue;
          add (expected, "counselling_by_channel", str (r, "channel"), "count", 1);
          add (expected, "counselling_by_client_type", str (r, "client_type"), "count", 1);
          for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
            if (json_object_has_member (r->data, sets[s][0]))
              {
                JsonArray *codes = json_object_get_array_member (r->data, sets[s][0]);
                for (guint c = 0; c < json_array_get_length (codes); c++)
                  add (expected, sets[s][1], json_array_get_string_element (codes, c), "count", 1);
              }
        }
      else if (g_str_equal (r->kind, "material"))
        {
          const char *type = str (r, "material_type");
          const char *deployed = str (r, "deployed_on");
          if (strcmp (date, to) > 0)
            continue;
          if (deployed && strcmp (deployed, to) <= 0)
            g_hash_table_add (has_material, r->org_unit);
          if (period)
            {
              add (expected, "materials_by_type", type, "received_records", 1);
              add (expected, "materials_by_type", type, "quantity_received",
                   num (r, "quantity_received"));
            }
          if (in_period (deployed, from, to))
            add (expected, "materials_by_type", type, "quantity_deployed",
                 num (r, "quantity_deployed"));
        }
    }

  g_hash_table_iter_init (&iter, in_scope);
  while (g_hash_table_iter_next (&iter, &k, NULL))
    if (g_hash_table_contains (world->key_area, k))
      {
        gint64 *pop = g_hash_table_lookup (world->population, k);
        n_key++;
        if (g_hash_table_contains (has_intensive, k))
          n_i2a++;
        if (pop)
          population += *pop;
      }

  {
    JsonObject *indicators = json_object_get_object_member (root, "indicators");
    gint64 n_communes = g_hash_table_size (in_scope);
    check_indicator (indicators, "i1_materials_deployed", g_hash_table_size (has_material),
                     n_communes, FALSE, world, ty, months);
    check_indicator (indicators, "i2a_intensive_model_key_areas", n_i2a, n_key, FALSE, world, ty,
                     months);
    check_indicator (indicators, "i2b_integrated_model", g_hash_table_size (has_integrated),
                     n_communes, FALSE, world, ty, months);
    check_indicator (indicators, "i3_press_months", g_hash_table_size (months_seen), months, TRUE,
                     world, ty, months);
    check_indicator (indicators, "i4_reach_14_60_key_areas", reach, population, FALSE, world, ty,
                     months);
  }

  /* Every number of every table, and nothing expected left unseen. */
  {
    g_autoptr (GList) names = json_object_get_members (tables);
    for (GList *t = names; t; t = t->next)
      {
        JsonArray *rows = json_object_get_array_member (tables, t->data);
        gboolean per_commune = g_str_equal (t->data, "per_commune");
        if (per_commune)
          g_assert_cmpuint (json_array_get_length (rows), ==, g_hash_table_size (in_scope));
        for (guint r = 0; r < json_array_get_length (rows); r++)
          {
            JsonObject *row = json_array_get_object_element (rows, r);
            JsonObject *values = per_commune ? json_object_get_object_member (row, "records") : row;
            g_autoptr (GString) group = g_string_new (NULL);
            g_autoptr (GList) members = NULL;
            if (per_commune)
              {
                g_string_append (group, json_object_get_string_member (row, "org_unit"));
                g_assert_true (g_hash_table_contains (in_scope, group->str));
              }
            else
              {
                g_autoptr (GList) keys = json_object_get_members (row);
                for (GList *m = keys; m; m = m->next)
                  {
                    JsonNode *node = json_object_get_member (row, m->data);
                    if (!g_str_equal (m->data, "count")
                        && json_node_get_value_type (node) == G_TYPE_STRING)
                      g_string_append_printf (group, "%s%s", group->len ? "+" : "",
                                              json_node_get_string (node));
                  }
              }
            members = json_object_get_members (values);
            for (GList *m = members; m; m = m->next)
              {
                JsonNode *node = json_object_get_member (values, m->data);
                g_autofree char *key = NULL;
                gint64 *want;
                if (json_node_get_value_type (node) != G_TYPE_INT64)
                  continue;
                key = g_strdup_printf ("%s/%s/%s", (char *)t->data, group->str, (char *)m->data);
                want = g_hash_table_lookup (expected, key);
                if (json_node_get_int (node) != (want ? *want : 0))
                  g_error ("%s: the report says %" G_GINT64_FORMAT
                           ", the records say %" G_GINT64_FORMAT,
                           key, json_node_get_int (node), want ? *want : 0);
                if (want)
                  g_hash_table_add (
                      visited, g_hash_table_lookup_extended (expected, key, &k, NULL) ? k : NULL);
              }
          }
      }
  }
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &k, NULL))
    if (!g_hash_table_contains (visited, k))
      g_error ("%s: in the records but not in the report", (char *)k);
}

JsonNode *
gen_report (
    GenWorld *world, const char *scope, const char *from, const char *to, PcmbnReportFlags flags)
{
  g_autoptr (GError) error = NULL;
  JsonNode *report = pcmbn_report_build (world->store, scope, from, to, flags, &error);

  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

static JsonNode *
member (JsonNode *report, const char *key, const char *name)
{
  JsonObject *indicators = json_object_get_object_member (json_node_get_object (report),
                                                          "indicators");
  JsonObject *ind = json_object_get_object_member (indicators, key);

  g_assert_nonnull (ind);
  g_assert_true (json_object_has_member (ind, name));
  return json_object_get_member (ind, name);
}

double
gen_indicator_value (JsonNode *report, const char *key, const char *name)
{
  JsonNode *node = member (report, key, name);
  g_assert_false (JSON_NODE_HOLDS_NULL (node));
  return json_node_get_double (node);
}

gboolean
gen_indicator_is_null (JsonNode *report, const char *key, const char *name)
{
  return JSON_NODE_HOLDS_NULL (member (report, key, name));
}
