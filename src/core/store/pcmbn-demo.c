/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-demo"

#include "config.h"

#include "store/pcmbn-demo.h"
#include "store/pcmbn-store-batch.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* Sample data that looks like a real commune's year: talks in villages,
 * loudspeaker broadcasts, school sessions around 30 July, clubs and their
 * meetings, counselling with pseudonyms, leaflets received and handed out.
 * Every record goes through the same validation as a person's input. */

static const char *const villages[] = {
  "Thôn Đông",
  "Thôn Đoài",
  "Thôn Trung",
  "Tổ dân phố số 1",
  "Tổ dân phố số 3",
  "Tổ dân phố số 7",
  "Nhà văn hóa tổ 5",
  "Trường THCS Phúc Xá",
  "Trường Tiểu học Phúc Xá",
  "Hội trường UBND phường",
  "Chợ Long Biên",
  "Khu tập thể Phúc Xá",
};

static const char *const talk_titles[] = {
  "Nói chuyện chuyên đề phòng, chống mua bán người",
  "Tuyên truyền pháp luật về phòng, chống mua bán người",
  "Hưởng ứng Ngày toàn dân phòng, chống mua bán người 30/7",
  "Cảnh giác với thủ đoạn lừa đảo việc nhẹ lương cao",
  "Di cư an toàn và đi làm việc ở nước ngoài hợp pháp",
  "Phòng ngừa mua bán người qua mạng xã hội",
  "Kết hôn có yếu tố nước ngoài: quyền và nghĩa vụ",
  "Giới thiệu Tổng đài 18001567 bảo vệ trẻ em",
};

static const char *const outlets[] = {
  "Báo Hànộimới",
  "Đài Phát thanh và Truyền hình Hà Nội",
  "Báo Kinh tế và Đô thị",
  "Cổng thông tin điện tử phường",
  "Trang Facebook UBND phường",
};

static const char *const activity_types[] = {
  "community_talk",
  "community_talk",
  "community_talk",
  "school_session",
  "loudspeaker_broadcast",
  "loudspeaker_broadcast",
  "loudspeaker_broadcast",
  "press_article",
  "radio_tv",
  "web_social_post",
  "web_social_post",
  "material_distribution",
  "video_screening",
  "contest",
  "drama_sketch",
  "forum_dialogue",
  "campaign_event",
};

static const char *const counsellors[] = { "Nguyễn Thị Hoa", "Trần Thị Lan", "Lê Thị Mai",
                                           "Phạm Văn Nam" };

static const char *
pick (GRand *rand, const char *const *items, guint n)
{
  return items[g_rand_int_range (rand, 0, n)];
}

#define PICK(rand, array) pick (rand, array, G_N_ELEMENTS (array))

static const char *
pick_code (GRand *rand, const char *catalogue)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (catalogue);
  return cat->entries[g_rand_int_range (rand, 0, cat->n_entries)].code;
}

static void
set_date (JsonObject *o, const char *name, gint64 day)
{
  g_autofree char *iso = pcmbn_date_format (day);
  json_object_set_string_member (o, name, iso);
}

static void
add_codes (JsonObject *o, GRand *rand, const char *name, const char *catalogue, guint max)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (catalogue);
  JsonArray *array = json_array_new ();
  guint n = g_rand_int_range (rand, 1, max + 1);
  guint start = g_rand_int_range (rand, 0, cat->n_entries);

  for (guint i = 0; i < n && i < cat->n_entries; i++)
    json_array_add_string_element (array, cat->entries[(start + i) % cat->n_entries].code);
  json_object_set_array_member (o, name, array);
}

static gint64
random_day (GRand *rand, gint64 first, gint64 last)
{
  return first + g_rand_int_range (rand, 0, (gint32)(last - first + 1));
}

static void
set_breakdown (JsonObject *o, GRand *rand, gint64 total)
{
  json_object_set_int_member (o, "participants_total", total);
  json_object_set_int_member (o, "participants_female",
                              total * g_rand_int_range (rand, 40, 75) / 100);
  json_object_set_int_member (o, "participants_14_60",
                              total * g_rand_int_range (rand, 55, 95) / 100);
  json_object_set_int_member (o, "participants_under_16",
                              total * g_rand_int_range (rand, 0, 20) / 100);
  json_object_set_int_member (o, "participants_ethnic_minority",
                              total * g_rand_int_range (rand, 0, 5) / 100);
}

/**
 * pcmbn_demo_make:
 * @kind: a kind's name
 * @rand: the random source
 * @first_day: the earliest date to use
 * @last_day: the latest date to use
 * @model: (nullable): for a model-meeting, the model's data
 * @model_uuid: (nullable): for a model-meeting, the model's uuid
 *
 * Returns: (transfer full): one valid record's data
 */
JsonObject *
pcmbn_demo_make (const char *kind,
                 GRand *rand,
                 gint64 first_day,
                 gint64 last_day,
                 JsonObject *model,
                 const char *model_uuid)
{
  JsonObject *o = json_object_new ();
  gint64 day = random_day (rand, first_day, last_day);

  if (g_str_equal (kind, "activity"))
    {
      const char *type = PICK (rand, activity_types);
      gboolean media = g_str_equal (type, "press_article") || g_str_equal (type, "radio_tv")
                       || g_str_equal (type, "web_social_post");
      set_date (o, "date", day);
      json_object_set_string_member (o, "activity_type", type);
      json_object_set_string_member (o, "subproject", media ? "mass_media" : "community");
      json_object_set_string_member (o, "title", PICK (rand, talk_titles));
      if (media)
        {
          json_object_set_string_member (o, "outlet", PICK (rand, outlets));
          json_object_set_string_member (o, "outlet_level",
                                         g_rand_boolean (rand) ? "city" : "commune");
        }
      else if (!g_str_equal (type, "loudspeaker_broadcast"))
        {
          json_object_set_string_member (o, "location", PICK (rand, villages));
          set_breakdown (o, rand, g_rand_int_range (rand, 12, 90));
        }
      else
        json_object_set_string_member (o, "location", "Hệ thống loa truyền thanh cơ sở");
      add_codes (o, rand, "topics", "topics", 3);
      add_codes (o, rand, "target_groups", "target_groups", 2);
      if (g_str_equal (type, "material_distribution"))
        {
          JsonArray *materials = json_array_new ();
          JsonObject *m = json_object_new ();
          json_object_set_string_member (m, "material_type", "leaflet");
          json_object_set_int_member (m, "quantity", g_rand_int_range (rand, 50, 500));
          json_array_add_object_element (materials, m);
          json_object_set_array_member (o, "materials", materials);
        }
      json_object_set_string_member (o, "lead_agency", "UBND phường");
      json_object_set_string_member (o, "funding_source", "state_budget");
    }
  else if (g_str_equal (kind, "training"))
    {
      gint64 total = g_rand_int_range (rand, 20, 120);
      set_date (o, "date", day);
      json_object_set_string_member (o, "format", pick_code (rand, "training_format"));
      json_object_set_string_member (o, "title",
                                     "Tập huấn kỹ năng truyền thông phòng, chống mua bán người");
      json_object_set_string_member (o, "organiser", "Phòng Văn hóa - Thông tin quận");
      json_object_set_int_member (o, "participants_total", total);
      json_object_set_int_member (o, "participants_female", total / 2);
      json_object_set_int_member (o, "participants_culture_info_officer", total / 4);
      json_object_set_int_member (o, "participants_propagandist", total / 4);
      json_object_set_int_member (o, "participants_womens_union_officer", total / 5);
      json_object_set_int_member (o, "participants_collaborator", total / 10);
      add_codes (o, rand, "topics", "topics", 2);
      json_object_set_string_member (o, "funding_source", "state_budget");
    }
  else if (g_str_equal (kind, "model"))
    {
      gboolean intensive = g_rand_boolean (rand);
      gint64 members = g_rand_int_range (rand, 15, 60);
      set_date (o, "established_on", first_day);
      json_object_set_string_member (o, "name",
                                     intensive ? "Câu lạc bộ phòng, chống mua bán người"
                                               : "Câu lạc bộ Phụ nữ và pháp luật");
      json_object_set_string_member (o, "model_type", intensive ? "intensive" : "integrated");
      json_object_set_string_member (o, "model_kind",
                                     intensive ? "anti_trafficking_club" : "women_and_law_club");
      json_object_set_string_member (o, "host_organisation", "Hội Liên hiệp Phụ nữ phường");
      json_object_set_int_member (o, "members_total", members);
      json_object_set_int_member (o, "members_female", members * 4 / 5);
      json_object_set_string_member (o, "status", "active");
    }
  else if (g_str_equal (kind, "model-meeting"))
    {
      gint64 total = g_rand_int_range (rand, 10, 45);
      gint64 since = pcmbn_date_parse (pcmbn_data_get_string (model, "established_on"));
      json_object_set_string_member (o, "model", model_uuid);
      set_date (o, "date", MAX (day, since));
      json_object_set_int_member (o, "participants_total", total);
      json_object_set_int_member (o, "participants_female", total * 3 / 4);
      add_codes (o, rand, "topics", "topics", 2);
    }
  else if (g_str_equal (kind, "counselling"))
    {
      set_date (o, "date", day);
      json_object_set_string_member (o, "channel", pick_code (rand, "channel"));
      {
        char code[16];
        g_snprintf (code, sizeof code, "KH-%04u", g_rand_int_range (rand, 1, 9999));
        json_object_set_string_member (o, "client_code", code);
      }
      json_object_set_string_member (o, "client_type", pick_code (rand, "client_type"));
      json_object_set_string_member (o, "client_sex",
                                     g_rand_int_range (rand, 0, 5) ? "female" : "male");
      json_object_set_string_member (o, "client_age_band", pick_code (rand, "client_age_band"));
      add_codes (o, rand, "topics", "counselling_topics", 2);
      {
        JsonArray *referrals = json_array_new ();
        json_array_add_string_element (referrals,
                                       g_rand_boolean (rand) ? "hotline_18001567" : "none");
        json_object_set_array_member (o, "referrals", referrals);
      }
      if (g_rand_boolean (rand))
        set_date (o, "follow_up_on", day + g_rand_int_range (rand, 7, 60));
      json_object_set_string_member (o, "counsellor", PICK (rand, counsellors));
      json_object_set_string_member (o, "case_notes",
                                     "Đã tư vấn về các thủ đoạn lừa đảo và cung cấp số Tổng đài "
                                     "18001567. Hẹn gặp lại.");
    }
  else if (g_str_equal (kind, "material"))
    {
      gint64 received = g_rand_int_range (rand, 50, 1000);
      set_date (o, "received_on", day);
      json_object_set_string_member (o, "material_type", pick_code (rand, "material_type"));
      json_object_set_string_member (o, "title",
                                     "Tài liệu tuyên truyền phòng, chống mua bán người");
      json_object_set_string_member (o, "source", pick_code (rand, "material_source"));
      json_object_set_int_member (o, "quantity_received", received);
      if (day + 3 <= last_day)
        {
          set_date (o, "deployed_on", day + g_rand_int_range (rand, 1, 4));
          json_object_set_int_member (o, "quantity_deployed",
                                      received * g_rand_int_range (rand, 50, 100) / 100);
        }
    }
  return o;
}

/**
 * pcmbn_demo_fill:
 * @store: the database; made the logbook of Phúc Xá when it has no commune
 * @n_records: how many records to add
 * @seed: the random seed, so that a demo can be made again
 * @progress: (nullable) (scope call): told how far it got
 * @user_data: data for @progress
 * @error: return location for an error
 *
 * Adds a year of records ending today, in one transaction.
 *
 * Returns: %TRUE on success
 */
gboolean
pcmbn_demo_fill (PcmbnStore *store,
                 guint n_records,
                 guint32 seed,
                 PcmbnDemoProgress progress,
                 gpointer user_data,
                 GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  g_autoptr (GPtrArray) model_uuids = g_ptr_array_new_with_free_func (g_free);
  gint64 last = pcmbn_today ();
  gint64 first = last - 364;
  guint n_models = MAX (3, n_records / 50);
  PcmbnStoreBatch *batch;

  if (pcmbn_store_get_org_unit (store) == NULL)
    {
      if (!pcmbn_store_init_commune (store, PCMBN_DEMO_ORG_UNIT, NULL, "culture", error))
        return FALSE;
      /* A key area with a known population, so that every indicator shows. */
      if (!pcmbn_store_set_unit_facts (store, PCMBN_DEMO_ORG_UNIT, 1, 16500, error))
        return FALSE;
    }
  if (!pcmbn_store_load_begin (store, error))
    return FALSE;
  /* Checked and written as pcmbn_store_add() would, on both cores. */
  batch = pcmbn_store_batch_new (store);
  for (guint i = 0; i < n_records; i++)
    {
      g_autoptr (JsonObject) data = NULL;
      const char *kind, *uuid;
      guint r = g_rand_int_range (rand, 0, 100);

      if (i < n_models && i < n_records)
        kind = "model";
      else if (r < 45)
        kind = "activity";
      else if (r < 53)
        kind = "training";
      else if (r < 68)
        kind = "model-meeting";
      else if (r < 88)
        kind = "counselling";
      else
        kind = "material";

      if (g_str_equal (kind, "model-meeting") && models->len > 0)
        {
          guint m = g_rand_int_range (rand, 0, models->len);
          data = pcmbn_demo_make (kind, rand, first, last, models->pdata[m], model_uuids->pdata[m]);
        }
      else if (g_str_equal (kind, "model-meeting"))
        data = pcmbn_demo_make ("activity", rand, first, last, NULL, NULL), kind = "activity";
      else
        data = pcmbn_demo_make (kind, rand, first, last, NULL, NULL);

      /* The batch reads the data on another thread: the reference kept
       * here is taken before it has the data. */
      if (g_str_equal (kind, "model"))
        g_ptr_array_add (models, json_object_ref (data));
      uuid = pcmbn_store_batch_add (batch, pcmbn_schema_kind (kind), NULL, g_steal_pointer (&data),
                                    0);
      if (g_str_equal (kind, "model"))
        g_ptr_array_add (model_uuids, g_strdup (uuid));
      /* The records written, not those handed to the batch. */
      if (progress && i % 1000 == 999)
        progress (pcmbn_store_batch_get_written (batch), n_records, user_data);
    }
  if (!pcmbn_store_batch_finish (batch, error))
    {
      pcmbn_store_load_abort (store);
      return FALSE;
    }
  if (progress)
    progress (n_records, n_records, user_data);
  return pcmbn_store_load_end (store, error);
}
