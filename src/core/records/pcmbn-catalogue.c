/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-catalogue"

#include "config.h"

#include "records/pcmbn-catalogue.h"
#include "pcmbn-util.h"

/* The catalogues of records.md, each entry with a stable code and its
 * Vietnamese and English labels. This table is the only place they are
 * written down: validation, forms, CSV and reports all look them up here. */

#define CATALOGUE(id, array)        \
  {                                 \
    id, array, G_N_ELEMENTS (array) \
  }

static const PcmbnCatalogueEntry topics[] = {
  { "sexual_exploitation", "Bóc lột tình dục", "Sexual exploitation" },
  { "forced_labour", "Cưỡng bức lao động", "Forced labour" },
  { "illegal_marriage_brokerage", "Môi giới kết hôn trái phép", "Illegal marriage brokerage" },
  { "cross_border_labour", "Lao động qua biên giới", "Cross-border labour" },
  { "organ_trafficking", "Mua bán bộ phận cơ thể người", "Organ trafficking" },
  { "online_safety", "An toàn trên mạng, thông tin cá nhân", "Online safety" },
  { "safe_migration", "Di cư an toàn", "Safe migration" },
  { "hotline", "Đường dây nóng", "Hotline" },
  { "law_policy", "Pháp luật, chính sách", "Law and policy" },
  { "victim_support", "Hỗ trợ nạn nhân", "Victim support" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogueEntry target_groups[] = {
  { "women", "Phụ nữ", "Women" },
  { "children_pupils", "Trẻ em, học sinh", "Children and pupils" },
  { "youth", "Thanh niên", "Young people" },
  { "freelance_workers", "Lao động tự do", "Freelance workers" },
  { "ethnic_minorities", "Đồng bào dân tộc thiểu số", "Ethnic minorities" },
  { "labour_migrants", "Người có ý định đi làm việc ở nước ngoài", "Labour migrants" },
  { "foreign_marriage", "Phụ nữ có ý định kết hôn với người nước ngoài",
    "Women marrying foreigners" },
  { "returned_victims_families", "Nạn nhân trở về và gia đình", "Returned victims and families" },
  { "officials", "Cán bộ, công chức", "Officials" },
  { "general_public", "Nhân dân", "General public" },
};

static const PcmbnCatalogueEntry funding_source[] = {
  { "state_budget", "Ngân sách nhà nước", "State budget" },
  { "integrated_programme", "Lồng ghép chương trình khác", "Integrated programme" },
  { "donor", "Tài trợ", "Donor" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogueEntry activity_type[] = {
  { "community_talk", "Nói chuyện chuyên đề tại cộng đồng", "Community talk" },
  { "school_session", "Buổi truyền thông tại trường học", "School session" },
  { "loudspeaker_broadcast", "Phát thanh trên loa truyền thanh", "Loudspeaker broadcast" },
  { "press_article", "Bài báo", "Press article" },
  { "radio_tv", "Phát thanh, truyền hình", "Radio or TV" },
  { "web_social_post", "Tin bài trên trang web, mạng xã hội", "Web or social media post" },
  { "material_distribution", "Phát tờ rơi, tài liệu", "Material distribution" },
  { "video_screening", "Chiếu phim, video", "Video screening" },
  { "contest", "Hội thi tìm hiểu", "Knowledge contest" },
  { "drama_sketch", "Tiểu phẩm", "Drama sketch" },
  { "forum_dialogue", "Diễn đàn, đối thoại", "Forum or dialogue" },
  { "campaign_event", "Sự kiện hưởng ứng, chiến dịch", "Campaign event" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogueEntry subproject[] = {
  { "mass_media", "Tiểu đề án 1: truyền thông đại chúng", "Sub-project 1: mass media" },
  { "community", "Tiểu đề án 2: truyền thông tại cộng đồng", "Sub-project 2: community" },
};

static const PcmbnCatalogueEntry outlet_level[] = {
  { "central", "Trung ương", "Central" },
  { "city", "Thành phố", "City" },
  { "district", "Quận, huyện", "District" },
  { "commune", "Xã, phường", "Commune" },
};

static const PcmbnCatalogueEntry material_type[] = {
  { "leaflet", "Tờ rơi", "Leaflet" },
  { "folded_leaflet", "Tờ gấp", "Folded leaflet" },
  { "poster", "Áp phích", "Poster" },
  { "handbook", "Sổ tay", "Handbook" },
  { "video_clip", "Video clip", "Video clip" },
  { "guidance_document", "Tài liệu hướng dẫn", "Guidance document" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogueEntry training_format[] = {
  { "training_course", "Lớp tập huấn", "Training course" },
  { "conference", "Hội nghị", "Conference" },
  { "workshop", "Hội thảo", "Workshop" },
};

static const PcmbnCatalogueEntry model_type[] = {
  { "intensive", "Mô hình chuyên sâu", "Intensive model" },
  { "integrated", "Mô hình lồng ghép", "Integrated model" },
};

static const PcmbnCatalogueEntry model_kind[] = {
  { "women_and_law_club", "Câu lạc bộ Phụ nữ và pháp luật", "Women and law club" },
  { "anti_trafficking_club", "Câu lạc bộ phòng, chống mua bán người", "Anti-trafficking club" },
  { "trusted_address", "Địa chỉ tin cậy tại cộng đồng", "Trusted address" },
  { "community_detection_group", "Tổ phát hiện, tố giác tại cộng đồng",
    "Community detection group" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogueEntry model_status[] = {
  { "active", "Đang hoạt động", "Active" },
  { "paused", "Tạm dừng", "Paused" },
  { "dissolved", "Đã giải thể", "Dissolved" },
};

static const PcmbnCatalogueEntry channel[] = {
  { "home_visit", "Tại nhà", "Home visit" },   { "office", "Tại trụ sở", "At the office" },
  { "phone", "Qua điện thoại", "By phone" },   { "online", "Trực tuyến", "Online" },
  { "group", "Tư vấn nhóm", "Group session" },
};

static const PcmbnCatalogueEntry client_type[] = {
  { "returned_victim", "Nạn nhân trở về", "Returned victim" },
  { "victim_family", "Gia đình nạn nhân", "Victim's family" },
  { "at_risk_woman", "Phụ nữ có nguy cơ", "Woman at risk" },
  { "planning_labour_migration", "Người có ý định đi lao động nước ngoài",
    "Planning to work abroad" },
  { "planning_foreign_marriage", "Người có ý định kết hôn với người nước ngoài",
    "Planning to marry a foreigner" },
  { "community_member", "Người dân", "Community member" },
};

static const PcmbnCatalogueEntry client_sex[] = {
  { "female", "Nữ", "Female" },
  { "male", "Nam", "Male" },
  { "unspecified", "Không xác định", "Unspecified" },
};

static const PcmbnCatalogueEntry client_age_band[] = {
  { "under_16", "Dưới 16 tuổi", "Under 16" }, { "16_17", "16–17 tuổi", "16–17" },
  { "18_29", "18–29 tuổi", "18–29" },         { "30_44", "30–44 tuổi", "30–44" },
  { "45_60", "45–60 tuổi", "45–60" },         { "over_60", "Trên 60 tuổi", "Over 60" },
};

static const PcmbnCatalogueEntry counselling_topics[] = {
  { "labour_migration", "Di cư lao động", "Labour migration" },
  { "foreign_marriage", "Kết hôn với người nước ngoài", "Marriage with a foreigner" },
  { "adoption", "Nuôi con nuôi", "Adoption" },
  { "civil_status", "Hộ tịch", "Civil status" },
  { "reintegration", "Tái hòa nhập cộng đồng", "Reintegration" },
  { "legal_rights", "Quyền lợi hợp pháp", "Legal rights" },
  { "livelihood_loans", "Sinh kế, vay vốn", "Livelihood and loans" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogueEntry referrals[] = {
  { "hotline_18001567", "Tổng đài 18001567", "Hotline 18001567" },
  { "social_protection_centre", "Trung tâm bảo trợ xã hội", "Social protection centre" },
  { "police", "Công an", "Police" },
  { "legal_aid", "Trợ giúp pháp lý", "Legal aid" },
  { "health", "Cơ sở y tế", "Health services" },
  { "vocational_loan", "Học nghề, vay vốn", "Vocational training or loan" },
  { "none", "Không chuyển gửi", "None" },
};

static const PcmbnCatalogueEntry material_source[] = {
  { "ministry", "Bộ", "Ministry" },
  { "city", "Thành phố", "City" },
  { "district", "Quận, huyện", "District" },
  { "central_womens_union", "Trung ương Hội LHPN Việt Nam", "Central Women's Union" },
  { "other", "Khác", "Other" },
};

static const PcmbnCatalogue catalogues[] = {
  CATALOGUE ("topics", topics),
  CATALOGUE ("target_groups", target_groups),
  CATALOGUE ("funding_source", funding_source),
  CATALOGUE ("activity_type", activity_type),
  CATALOGUE ("subproject", subproject),
  CATALOGUE ("outlet_level", outlet_level),
  CATALOGUE ("material_type", material_type),
  CATALOGUE ("training_format", training_format),
  CATALOGUE ("model_type", model_type),
  CATALOGUE ("model_kind", model_kind),
  CATALOGUE ("model_status", model_status),
  CATALOGUE ("channel", channel),
  CATALOGUE ("client_type", client_type),
  CATALOGUE ("client_sex", client_sex),
  CATALOGUE ("client_age_band", client_age_band),
  CATALOGUE ("counselling_topics", counselling_topics),
  CATALOGUE ("referrals", referrals),
  CATALOGUE ("material_source", material_source),
};

/**
 * pcmbn_catalogue_lookup:
 * @name: a catalogue name such as "topics"
 *
 * Returns: (transfer none) (nullable): the catalogue, or %NULL
 */
const PcmbnCatalogue *
pcmbn_catalogue_lookup (const char *name)
{
  /* The schema's fields name their catalogue with these very strings, most
   * often: every code of every record written comes here. */
  for (guint i = 0; i < G_N_ELEMENTS (catalogues); i++)
    if (catalogues[i].name == name)
      return &catalogues[i];
  for (guint i = 0; i < G_N_ELEMENTS (catalogues); i++)
    if (g_strcmp0 (catalogues[i].name, name) == 0)
      return &catalogues[i];
  return NULL;
}

/**
 * pcmbn_catalogue_list:
 * @n_catalogues: (out): the number of catalogues
 *
 * Returns: (transfer none): every catalogue
 */
const PcmbnCatalogue *const *
pcmbn_catalogue_list (guint *n_catalogues)
{
  static const PcmbnCatalogue *list[G_N_ELEMENTS (catalogues)];

  for (guint i = 0; i < G_N_ELEMENTS (catalogues); i++)
    list[i] = &catalogues[i];
  *n_catalogues = G_N_ELEMENTS (catalogues);
  return list;
}

/**
 * pcmbn_catalogue_find:
 * @catalogue: a catalogue
 * @code: (nullable): a code
 *
 * Returns: (transfer none) (nullable): the entry for @code, or %NULL
 */
const PcmbnCatalogueEntry *
pcmbn_catalogue_find (const PcmbnCatalogue *catalogue, const char *code)
{
  if (code == NULL)
    return NULL;
  for (guint i = 0; i < catalogue->n_entries; i++)
    if (g_str_equal (catalogue->entries[i].code, code))
      return &catalogue->entries[i];
  return NULL;
}

/**
 * pcmbn_catalogue_entry_label:
 * @entry: an entry
 *
 * Returns: (transfer none): the label in the user's language
 */
const char *
pcmbn_catalogue_entry_label (const PcmbnCatalogueEntry *entry)
{
  return pcmbn_is_vietnamese () ? entry->label_vi : entry->label_en;
}

/**
 * pcmbn_catalogue_label:
 * @catalogue: a catalogue
 * @code: a code
 *
 * Returns: (transfer none): the label of @code in the user's language, or
 *   @code itself when it is unknown
 */
const char *
pcmbn_catalogue_label (const PcmbnCatalogue *catalogue, const char *code)
{
  const PcmbnCatalogueEntry *entry = pcmbn_catalogue_find (catalogue, code);
  return entry ? pcmbn_catalogue_entry_label (entry) : code;
}
