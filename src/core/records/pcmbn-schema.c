/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-schema"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "records/pcmbn-json-text.h"
#include "records/pcmbn-schema.h"
#include "pcmbn-util.h"

/* The six record kinds of records.md, described once. Validation, the SQL
 * columns, JSON, CSV, the forms and the report tables all read these tables;
 * adding a field to a kind is a change here and nowhere else. */

#define MIN_DATE "2016-01-01"
#define TITLE_MAX 200
#define TEXT_MAX 10000

static const char *const no_participants_needed[] = { "loudspeaker_broadcast", "press_article",
                                                      "radio_tv", "web_social_post", NULL };
static const char *const active_only[] = { "active", NULL };

#define ATTACHMENTS                                                                     \
  {                                                                                     \
    .name = "attachments", .type = PCMBN_FIELD_ATTACHMENTS, .label_vi = "Tệp đính kèm", \
    .label_en = "Attachments"                                                           \
  }
#define NOTES                                                                   \
  {                                                                             \
    .name = "notes", .type = PCMBN_FIELD_TEXT,                                  \
    .flags = PCMBN_FIELD_SEARCH | PCMBN_FIELD_MULTILINE, .label_vi = "Ghi chú", \
    .label_en = "Notes"                                                         \
  }
#define TOPICS                                                                                \
  {                                                                                           \
    .name = "topics", .type = PCMBN_FIELD_CODES, .catalogue = "topics", .label_vi = "Chủ đề", \
    .label_en = "Topics"                                                                      \
  }
#define FUNDING                                                                        \
  {                                                                                    \
    .name = "funding_source", .type = PCMBN_FIELD_CODE, .catalogue = "funding_source", \
    .label_vi = "Nguồn kinh phí", .label_en = "Funding source"                         \
  }
#define PARTICIPANTS_TOTAL(req)                                                                 \
  {                                                                                             \
    .name = "participants_total", .type = PCMBN_FIELD_INT, .flags = (req) | PCMBN_FIELD_SUMMED, \
    .label_vi = "Tổng số người tham dự", .label_en = "Participants (total)"                     \
  }
#define BREAKDOWN(field, vi, en)                                                      \
  {                                                                                   \
    .name = field, .type = PCMBN_FIELD_INT, .flags = PCMBN_FIELD_SUMMED,              \
    .le_field = "participants_total", .parent = "participants_total", .label_vi = vi, \
    .label_en = en                                                                    \
  }
#define ROLE(field, vi, en)                                                               \
  {                                                                                       \
    .name = field, .type = PCMBN_FIELD_INT, .flags = PCMBN_FIELD_SUMMED,                  \
    .sum_le_field = "participants_total", .parent = "participants_total", .label_vi = vi, \
    .label_en = en                                                                        \
  }

static const PcmbnField activity_fields[] = {
  { .name = "date",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Ngày",
    .label_en = "Date" },
  { .name = "end_date",
    .type = PCMBN_FIELD_DATE,
    .ge_field = "date",
    .label_vi = "Ngày kết thúc",
    .label_en = "End date" },
  { .name = "activity_type",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "activity_type",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Loại hoạt động",
    .label_en = "Activity type" },
  { .name = "subproject",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "subproject",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Tiểu đề án",
    .label_en = "Sub-project" },
  { .name = "title",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_REQUIRED | PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Tiêu đề",
    .label_en = "Title" },
  { .name = "location",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .label_vi = "Địa điểm",
    .label_en = "Location" },
  { .name = "target_groups",
    .type = PCMBN_FIELD_CODES,
    .catalogue = "target_groups",
    .label_vi = "Đối tượng",
    .label_en = "Target groups" },
  TOPICS,
  { .name = "participants_total",
    .type = PCMBN_FIELD_INT,
    .flags = PCMBN_FIELD_REQUIRED | PCMBN_FIELD_SUMMED,
    .unless_field = "activity_type",
    .unless_values = no_participants_needed,
    .label_vi = "Tổng số người tham dự",
    .label_en = "Participants (total)" },
  BREAKDOWN ("participants_female", "Trong đó nữ", "of whom female"),
  BREAKDOWN ("participants_14_60", "Trong đó từ 14 đến 60 tuổi", "of whom aged 14–60"),
  BREAKDOWN ("participants_under_16", "Trong đó dưới 16 tuổi", "of whom under 16"),
  BREAKDOWN (
      "participants_ethnic_minority", "Trong đó người dân tộc thiểu số", "of whom ethnic minority"),
  { .name = "outlet",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Cơ quan báo chí",
    .label_en = "Outlet" },
  { .name = "outlet_level",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "outlet_level",
    .label_vi = "Cấp cơ quan báo chí",
    .label_en = "Outlet level" },
  { .name = "materials",
    .type = PCMBN_FIELD_MATERIALS,
    .label_vi = "Tài liệu phát",
    .label_en = "Materials handed out" },
  { .name = "lead_agency",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Cơ quan chủ trì",
    .label_en = "Lead agency" },
  { .name = "partners",
    .type = PCMBN_FIELD_TEXT,
    .label_vi = "Cơ quan phối hợp",
    .label_en = "Partners" },
  FUNDING,
  NOTES,
  ATTACHMENTS,
};

static const PcmbnField training_fields[] = {
  { .name = "date",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Ngày",
    .label_en = "Date" },
  { .name = "end_date",
    .type = PCMBN_FIELD_DATE,
    .ge_field = "date",
    .label_vi = "Ngày kết thúc",
    .label_en = "End date" },
  { .name = "format",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "training_format",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Hình thức",
    .label_en = "Format" },
  { .name = "title",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_REQUIRED | PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Tiêu đề",
    .label_en = "Title" },
  { .name = "organiser",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Đơn vị tổ chức",
    .label_en = "Organiser" },
  PARTICIPANTS_TOTAL (PCMBN_FIELD_REQUIRED),
  BREAKDOWN ("participants_female", "Trong đó nữ", "of whom female"),
  ROLE ("participants_reporter_editor", "Phóng viên, biên tập viên", "Reporters and editors"),
  ROLE ("participants_culture_info_officer",
        "Cán bộ văn hóa - thông tin",
        "Culture-information officers"),
  ROLE ("participants_legal_reporter", "Báo cáo viên pháp luật", "Legal reporters"),
  ROLE ("participants_propagandist", "Tuyên truyền viên", "Propagandists"),
  ROLE ("participants_collaborator", "Cộng tác viên", "Collaborators"),
  ROLE ("participants_womens_union_officer", "Cán bộ Hội Phụ nữ", "Women's Union officers"),
  ROLE ("participants_counsellor", "Tư vấn viên", "Counsellors"),
  ROLE ("participants_other_role", "Thành phần khác", "Other roles"),
  TOPICS,
  FUNDING,
  NOTES,
  ATTACHMENTS,
};

static const PcmbnField model_fields[] = {
  { .name = "name",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_REQUIRED | PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Tên mô hình",
    .label_en = "Name" },
  { .name = "model_type",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "model_type",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Loại mô hình",
    .label_en = "Model type" },
  { .name = "model_kind",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "model_kind",
    .label_vi = "Dạng mô hình",
    .label_en = "Model kind" },
  { .name = "established_on",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Ngày thành lập",
    .label_en = "Established on" },
  { .name = "decision_ref",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Số quyết định thành lập",
    .label_en = "Decision reference" },
  { .name = "host_organisation",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Đơn vị chủ quản",
    .label_en = "Host organisation" },
  { .name = "members_total",
    .type = PCMBN_FIELD_INT,
    .flags = PCMBN_FIELD_SUMMED,
    .label_vi = "Tổng số thành viên",
    .label_en = "Members (total)" },
  { .name = "members_female",
    .type = PCMBN_FIELD_INT,
    .flags = PCMBN_FIELD_SUMMED,
    .le_field = "members_total",
    .parent = "members_total",
    .label_vi = "Trong đó nữ",
    .label_en = "of whom female" },
  { .name = "status",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "model_status",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Tình trạng",
    .label_en = "Status" },
  { .name = "status_since",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .unless_field = "status",
    .unless_values = active_only,
    .ge_field = "established_on",
    .label_vi = "Tình trạng từ ngày",
    .label_en = "Status since" },
  NOTES,
};

static const PcmbnField meeting_fields[] = {
  { .name = "model",
    .type = PCMBN_FIELD_REF,
    .ref_kind = "model",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Mô hình",
    .label_en = "Model" },
  { .name = "date",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .ref_field = "model",
    .ref_target = "established_on",
    .label_vi = "Ngày sinh hoạt",
    .label_en = "Date" },
  PARTICIPANTS_TOTAL (PCMBN_FIELD_REQUIRED),
  BREAKDOWN ("participants_female", "Trong đó nữ", "of whom female"),
  TOPICS,
  NOTES,
};

static const PcmbnField counselling_fields[] = {
  { .name = "date",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Ngày tư vấn",
    .label_en = "Date" },
  { .name = "channel",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "channel",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Hình thức tư vấn",
    .label_en = "Channel" },
  { .name = "client_code",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_REQUIRED | PCMBN_FIELD_PSEUDONYM | PCMBN_FIELD_SEARCH,
    .max_length = 20,
    .label_vi = "Mã đối tượng (bí danh)",
    .label_en = "Client code (pseudonym)" },
  { .name = "client_type",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "client_type",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Nhóm đối tượng",
    .label_en = "Client type" },
  { .name = "client_sex",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "client_sex",
    .label_vi = "Giới tính",
    .label_en = "Sex" },
  { .name = "client_age_band",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "client_age_band",
    .label_vi = "Nhóm tuổi",
    .label_en = "Age band" },
  { .name = "client_ethnic_minority",
    .type = PCMBN_FIELD_BOOL,
    .label_vi = "Người dân tộc thiểu số",
    .label_en = "Ethnic minority" },
  { .name = "topics",
    .type = PCMBN_FIELD_CODES,
    .catalogue = "counselling_topics",
    .label_vi = "Nội dung tư vấn",
    .label_en = "Topics" },
  { .name = "referrals",
    .type = PCMBN_FIELD_CODES,
    .catalogue = "referrals",
    .exclusive = "none",
    .label_vi = "Chuyển gửi",
    .label_en = "Referrals" },
  { .name = "follow_up_on",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_FUTURE_OK,
    .ge_field = "date",
    .max_years_after = 1,
    .label_vi = "Ngày theo dõi tiếp",
    .label_en = "Follow up on" },
  { .name = "counsellor",
    .type = PCMBN_FIELD_TEXT,
    .max_length = TITLE_MAX,
    .label_vi = "Người tư vấn",
    .label_en = "Counsellor" },
  { .name = "case_notes",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SENSITIVE | PCMBN_FIELD_MULTILINE,
    .max_length = 20000,
    .label_vi = "Ghi chép ca tư vấn",
    .label_en = "Case notes" },
};

static const PcmbnField material_fields[] = {
  { .name = "material_type",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "material_type",
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Loại tài liệu",
    .label_en = "Material type" },
  { .name = "title",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH,
    .max_length = TITLE_MAX,
    .label_vi = "Tên tài liệu",
    .label_en = "Title" },
  { .name = "source",
    .type = PCMBN_FIELD_CODE,
    .catalogue = "material_source",
    .label_vi = "Nguồn",
    .label_en = "Source" },
  { .name = "received_on",
    .type = PCMBN_FIELD_DATE,
    .flags = PCMBN_FIELD_REQUIRED,
    .label_vi = "Ngày nhận",
    .label_en = "Received on" },
  { .name = "quantity_received",
    .type = PCMBN_FIELD_INT,
    .flags = PCMBN_FIELD_SUMMED,
    .label_vi = "Số lượng nhận",
    .label_en = "Quantity received" },
  { .name = "deployed_on",
    .type = PCMBN_FIELD_DATE,
    .ge_field = "received_on",
    .label_vi = "Ngày triển khai",
    .label_en = "Deployed on" },
  { .name = "quantity_deployed",
    .type = PCMBN_FIELD_INT,
    .flags = PCMBN_FIELD_SUMMED,
    .le_field = "quantity_received",
    .together_with = "deployed_on",
    .label_vi = "Số lượng đã triển khai",
    .label_en = "Quantity deployed" },
  { .name = "deployment_notes",
    .type = PCMBN_FIELD_TEXT,
    .flags = PCMBN_FIELD_SEARCH | PCMBN_FIELD_MULTILINE,
    .label_vi = "Ghi chú triển khai",
    .label_en = "Deployment notes" },
};

#define KIND(id, vi, en, fields, date, type, title)              \
  {                                                              \
    id, vi, en, fields, G_N_ELEMENTS (fields), date, type, title \
  }

static const PcmbnKind kinds[] = {
  KIND ("activity",
        "Hoạt động truyền thông",
        "Activity",
        activity_fields,
        "date",
        "activity_type",
        "title"),
  KIND ("training", "Tập huấn, hội nghị", "Training", training_fields, "date", "format", "title"),
  KIND ("model", "Mô hình", "Model", model_fields, "established_on", "model_type", "name"),
  KIND ("model-meeting", "Sinh hoạt mô hình", "Model meeting", meeting_fields, "date", NULL, NULL),
  KIND (
      "counselling", "Tư vấn", "Counselling", counselling_fields, "date", "channel", "client_code"),
  KIND ("material",
        "Tài liệu truyền thông",
        "Material",
        material_fields,
        "received_on",
        "material_type",
        "title"),
};

/**
 * pcmbn_schema_kinds:
 * @n_kinds: (out): the number of kinds
 *
 * Returns: (transfer none): the six record kinds, in the order of records.md
 */
const PcmbnKind *const *
pcmbn_schema_kinds (guint *n_kinds)
{
  static const PcmbnKind *list[G_N_ELEMENTS (kinds)];

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    list[i] = &kinds[i];
  *n_kinds = G_N_ELEMENTS (kinds);
  return list;
}

/**
 * pcmbn_schema_kind:
 * @name: (nullable): a kind's name, such as "model-meeting"
 *
 * Returns: (transfer none) (nullable): the kind, or %NULL when unknown
 */
const PcmbnKind *
pcmbn_schema_kind (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

/**
 * pcmbn_kind_names_joined:
 *
 * Returns: (transfer none): "activity, training, …" for usage messages
 */
const char *
pcmbn_kind_names_joined (void)
{
  return "activity, training, model, model-meeting, counselling, material";
}

/**
 * pcmbn_kind_field:
 * @kind: a kind
 * @name: (nullable): a field name
 *
 * Returns: (transfer none) (nullable): the field, or %NULL
 */
const PcmbnField *
pcmbn_kind_field (const PcmbnKind *kind, const char *name)
{
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < kind->n_fields; i++)
    if (g_str_equal (kind->fields[i].name, name))
      return &kind->fields[i];
  return NULL;
}

/**
 * pcmbn_kind_label:
 * @kind: a kind
 *
 * Returns: (transfer none): the kind's name in the user's language
 */
const char *
pcmbn_kind_label (const PcmbnKind *kind)
{
  return pcmbn_is_vietnamese () ? kind->label_vi : kind->label_en;
}

/**
 * pcmbn_field_label:
 * @field: a field
 *
 * Returns: (transfer none): the field's label in the user's language
 */
const char *
pcmbn_field_label (const PcmbnField *field)
{
  return pcmbn_is_vietnamese () ? field->label_vi : field->label_en;
}

/**
 * pcmbn_field_is_summed:
 * @field: a field
 *
 * Returns: whether reports add the field up (a count, never an age or money)
 */
gboolean
pcmbn_field_is_summed (const PcmbnField *field)
{
  return field->type == PCMBN_FIELD_INT && (field->flags & PCMBN_FIELD_SUMMED) != 0;
}

static gboolean
field_is_column (const PcmbnField *field)
{
  switch (field->type)
    {
      case PCMBN_FIELD_DATE:
      case PCMBN_FIELD_INT:
      case PCMBN_FIELD_CODE:
      case PCMBN_FIELD_BOOL:
      case PCMBN_FIELD_REF:
        return TRUE;
      default:
        return FALSE;
    }
}

/**
 * pcmbn_schema_columns:
 * @n_columns: (out): their number
 *
 * The fields the store keeps as real, indexable columns (`f_NAME`): every
 * date, number, code, flag and reference, so that reports group and sum
 * over columns and never over JSON. A name shared by several kinds is one
 * column; the schema test checks that they agree on the type.
 *
 * Returns: (transfer none): the column fields, each name once
 */
const PcmbnField *const *
pcmbn_schema_columns (guint *n_columns)
{
  static GPtrArray *columns;

  if (g_once_init_enter (&columns))
    {
      GPtrArray *list = g_ptr_array_new ();
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        for (guint f = 0; f < kinds[k].n_fields; f++)
          {
            const PcmbnField *field = &kinds[k].fields[f];
            gboolean seen = FALSE;
            if (!field_is_column (field))
              continue;
            for (guint i = 0; i < list->len && !seen; i++)
              seen = g_str_equal (((PcmbnField *)list->pdata[i])->name, field->name);
            if (!seen)
              g_ptr_array_add (list, (gpointer)field);
          }
      g_once_init_leave (&columns, list);
    }
  *n_columns = columns->len;
  return (const PcmbnField *const *)columns->pdata;
}

/* The index in pcmbn_schema_columns() of the column called @name, or -1. */
static int
column_named (const char *name)
{
  guint n;
  const PcmbnField *const *columns = pcmbn_schema_columns (&n);

  for (guint i = 0; i < n; i++)
    if (g_str_equal (columns[i]->name, name))
      return i;
  return -1;
}

/**
 * pcmbn_schema_column_index:
 * @field: a field of any kind
 *
 * Returns: the index of its column in pcmbn_schema_columns(), or -1 when
 *   the field is not stored as a column
 */
int
pcmbn_schema_column_index (const PcmbnField *field)
{
  /* By the field itself (every kind's fields are static), not by its name:
   * every row written asks for each of its fields. */
  static GHashTable *index;
  gpointer at;

  if (g_once_init_enter (&index))
    {
      GHashTable *table = g_hash_table_new (NULL, NULL);
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        for (guint f = 0; f < kinds[k].n_fields; f++)
          if (field_is_column (&kinds[k].fields[f]))
            g_hash_table_insert (table, (gpointer)&kinds[k].fields[f],
                                 GINT_TO_POINTER (column_named (kinds[k].fields[f].name)));
      g_once_init_leave (&index, table);
    }
  if (!field_is_column (field))
    return -1;
  /* A field that is not one of the kinds' own: by its name. */
  if (!g_hash_table_lookup_extended (index, field, NULL, &at))
    return column_named (field->name);
  return GPOINTER_TO_INT (at);
}

/**
 * pcmbn_field_sql_type:
 * @field: a column field
 *
 * Returns: (transfer none): the SQLite type of its column
 */
const char *
pcmbn_field_sql_type (const PcmbnField *field)
{
  return (field->type == PCMBN_FIELD_INT || field->type == PCMBN_FIELD_BOOL) ? "INTEGER" : "TEXT";
}

/**
 * pcmbn_field_error_new:
 * @field: (nullable): the field key the error is about
 * @row: the CSV line, or 0
 * @format: printf format of the message, in the user's language
 *
 * Returns: (transfer full): a new error
 */
PcmbnFieldError *
pcmbn_field_error_new (const char *field, guint row, const char *format, ...)
{
  PcmbnFieldError *error = g_new0 (PcmbnFieldError, 1);
  va_list args;

  va_start (args, format);
  error->message = g_strdup_vprintf (format, args);
  va_end (args);
  error->field = g_strdup (field);
  error->row = row;
  return error;
}

void
pcmbn_field_error_free (PcmbnFieldError *error)
{
  if (error == NULL)
    return;
  g_free (error->field);
  g_free (error->message);
  g_free (error->text);
  g_free (error);
}

/**
 * pcmbn_field_error_get_text:
 * @error: an error about a field
 *
 * Returns: (transfer none): the message for a person, where other fields
 *   are named by their labels (“Tổng số người tham dự”) rather than by their
 *   keys; without the field's own key, which the caller shows its own way
 */
const char *
pcmbn_field_error_get_text (const PcmbnFieldError *error)
{
  return error->text ? error->text : error->message;
}

/**
 * pcmbn_field_errors_to_string:
 * @errors: (element-type PcmbnFieldError): errors
 *
 * One line each: `row N, FIELD: message` or `FIELD: message`, the field key
 * first so that scripts can find it.
 *
 * Returns: (transfer full): the lines
 */
char *
pcmbn_field_errors_to_string (GPtrArray *errors)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < errors->len; i++)
    {
      PcmbnFieldError *e = errors->pdata[i];
      if (i > 0)
        g_string_append_c (out, '\n');
      if (e->row > 0)
        /* TRANSLATORS: the start of a CSV error, "row 12, " */
        g_string_append_printf (out, _ ("row %u, "), e->row);
      if (e->field != NULL)
        g_string_append_printf (out, "%s: ", e->field);
      g_string_append (out, e->message);
    }
  return g_string_free (out, FALSE);
}

/**
 * pcmbn_set_field_errors:
 * @error: (out) (optional): where to put the error
 * @errors: (element-type PcmbnFieldError): a non-empty list of problems
 *
 * Sets a %PCMBN_ERROR_INVALID error whose message lists @errors, one
 * `field: message` a line as the CLI prints it; pcmbn_error_get_field_errors()
 * reads them back one by one.
 */
void
pcmbn_set_field_errors (GError **error, GPtrArray *errors)
{
  g_autofree char *text = pcmbn_field_errors_to_string (errors);
  g_set_error_literal (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, text);
}

static gboolean
is_field_key (const char *start, const char *end)
{
  if (start == end)
    return FALSE;
  for (const char *p = start; p < end; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/**
 * pcmbn_error_get_field_errors:
 * @error: (nullable): an error
 *
 * The problems of a record the store refused, as pcmbn_set_field_errors()
 * wrote them: each field key apart from its message, so that a form shows
 * each problem beside its field. Lines of CSV rows ("row N, …") and lines
 * about no field are left out.
 *
 * Returns: (transfer full) (nullable) (element-type PcmbnFieldError): the
 *   problems, or %NULL when @error is not about fields
 */
GPtrArray *
pcmbn_error_get_field_errors (const GError *error)
{
  g_autoptr (GPtrArray) errors = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_error_matches (error, PCMBN_ERROR, PCMBN_ERROR_INVALID))
    return NULL;
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  lines = g_strsplit (error->message, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *colon = strstr (lines[i], ": ");
      if (colon && is_field_key (lines[i], colon))
        {
          g_autofree char *key = g_strndup (lines[i], colon - lines[i]);
          g_ptr_array_add (errors, pcmbn_field_error_new (key, 0, "%s", colon + 2));
        }
    }
  return errors->len > 0 ? g_steal_pointer (&errors) : NULL;
}

/**
 * pcmbn_error_get_field:
 * @error: (nullable): an error
 * @message: (out) (optional) (transfer full): what is wrong with that
 *   field, without its key
 *
 * Returns: (transfer full) (nullable): the key of the first field @error is
 *   about, or %NULL when it is about no field
 */
char *
pcmbn_error_get_field (const GError *error, char **message)
{
  g_autoptr (GPtrArray) errors = pcmbn_error_get_field_errors (error);
  PcmbnFieldError *first = errors ? errors->pdata[0] : NULL;

  if (message)
    *message = first ? g_strdup (first->message) : NULL;
  return first ? g_strdup (first->field) : NULL;
}

static void
add_error (GPtrArray *errors, const char *field, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
add_error (GPtrArray *errors, const char *field, const char *format, ...)
{
  PcmbnFieldError *error = g_new0 (PcmbnFieldError, 1);
  va_list args;

  va_start (args, format);
  error->message = g_strdup_vprintf (format, args);
  va_end (args);
  error->field = g_strdup (field);
  g_ptr_array_add (errors, error);
}

/* Stand for other fields' names in a rule's message: their keys in the
 * message scripts and the CLI read, their labels in the one a person reads.
 * Control characters, so that no name or value in a message holds them. */
#define NAME_A "\x1a"
#define NAME_B "\x1b"

static void add_error_naming (GPtrArray *errors,
                              const char *field,
                              const char *const names[4],
                              const char *format,
                              ...) G_GNUC_PRINTF (4, 5);

/* @names: the key and the label of the name NAME_A stands for, then of
 * NAME_B's (%NULL when the message has no NAME_B). */
static void
add_error_naming (
    GPtrArray *errors, const char *field, const char *const names[4], const char *format, ...)
{
  PcmbnFieldError *error = g_new0 (PcmbnFieldError, 1);
  g_autofree char *raw = NULL;
  GString *message, *text;
  va_list args;

  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  message = g_string_new (raw);
  text = g_string_new (raw);
  for (guint i = 0; i < 2 && names[2 * i]; i++)
    {
      const char *mark = i == 0 ? NAME_A : NAME_B;
      g_autofree char *quoted = g_strdup_printf ("“%s”", names[2 * i + 1]);
      g_string_replace (message, mark, names[2 * i], 0);
      g_string_replace (text, mark, quoted, 0);
    }
  error->field = g_strdup (field);
  error->message = g_string_free (message, FALSE);
  error->text = g_string_free (text, FALSE);
  g_ptr_array_add (errors, error);
}

/* The key and label of @key, a field of @kind, for add_error_naming(). */
#define FIELD_NAME(kind, key) (key), pcmbn_field_label (pcmbn_kind_field ((kind), (key)))

static gboolean
has_error_for (GPtrArray *errors, const char *field)
{
  for (guint i = 0; i < errors->len; i++)
    if (g_strcmp0 (((PcmbnFieldError *)errors->pdata[i])->field, field) == 0)
      return TRUE;
  return FALSE;
}

static char *
catalogue_codes (const PcmbnCatalogue *catalogue)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < catalogue->n_entries; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      g_string_append (s, catalogue->entries[i].code);
    }
  return g_string_free (s, FALSE);
}

static void
check_text (const PcmbnField *field, const char *text, GPtrArray *errors)
{
  guint max = field->max_length ? field->max_length : TEXT_MAX;
  gsize length;
  gboolean control;

  if (!pcmbn_utf8_scan (text, &length, &control))
    {
      add_error (errors, field->name, _ ("is not valid UTF-8 text"));
      return;
    }
  /* Every code point of category Cc: C0, DEL and the C1 block. */
  if (control)
    {
      add_error (errors, field->name,
                 _ ("contains a control character; only letters, digits, punctuation, "
                    "new lines and tabs are allowed"));
      return;
    }
  if (length > max)
    {
      add_error (errors, field->name, _ ("is too long: at most %u characters"), max);
      return;
    }
  if (field->flags & PCMBN_FIELD_PSEUDONYM)
    {
      gsize len = strlen (text);
      gboolean ok = len >= 3 && len <= 20;
      for (const char *p = text; *p && ok; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-';
      if (!ok)
        add_error (errors, field->name,
                   _ ("must be a pseudonym of 3 to 20 characters from A–Z, 0–9 and “-”, "
                      "never a name"));
    }
}

static gboolean
node_is_int (JsonNode *node, gint64 *value)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static void
check_materials (const PcmbnField *field, JsonNode *node, GPtrArray *errors)
{
  const PcmbnCatalogue *types = pcmbn_catalogue_lookup ("material_type");
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *obj;
      JsonNode *type, *qty;
      gint64 n;
      if (!JSON_NODE_HOLDS_OBJECT (item))
        goto bad;
      obj = json_node_get_object (item);
      type = json_object_get_member (obj, "material_type");
      qty = json_object_get_member (obj, "quantity");
      if (json_object_get_size (obj) != 2 || type == NULL || qty == NULL
          || !JSON_NODE_HOLDS_VALUE (type) || json_node_get_value_type (type) != G_TYPE_STRING
          || pcmbn_catalogue_find (types, json_node_get_string (type)) == NULL
          || !node_is_int (qty, &n) || n < 0)
        goto bad;
    }
  return;

bad:
  add_error (errors, field->name,
             _ ("must be a list of {\"material_type\": a material type, \"quantity\": a whole "
                "number}"));
}

static void
check_attachments (const PcmbnField *field, JsonNode *node, GPtrArray *errors)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *obj;
      JsonNode *sha, *name, *size;
      gint64 n;
      const char *hex;
      if (!JSON_NODE_HOLDS_OBJECT (item))
        goto bad;
      obj = json_node_get_object (item);
      sha = json_object_get_member (obj, "sha256");
      name = json_object_get_member (obj, "name");
      size = json_object_get_member (obj, "size");
      if (json_object_get_size (obj) != 3 || sha == NULL || name == NULL || size == NULL
          || json_node_get_value_type (sha) != G_TYPE_STRING
          || json_node_get_value_type (name) != G_TYPE_STRING || !node_is_int (size, &n) || n < 0)
        goto bad;
      hex = json_node_get_string (sha);
      if (strlen (hex) != 64)
        goto bad;
      for (const char *p = hex; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
          goto bad;
      if (*json_node_get_string (name) == '\0' || strlen (json_node_get_string (name)) > 255
          || strpbrk (json_node_get_string (name), "/\\:") != NULL)
        goto bad;
    }
  return;

bad:
  add_error (errors, field->name,
             _ ("must be a list of {\"sha256\": 64 hex digits, \"name\": a file name, \"size\": "
                "bytes}"));
}

/* Type and range of one value, on its own. */
static void
check_value (const PcmbnField *field, JsonNode *node, GPtrArray *errors)
{
  gint64 n;

  switch (field->type)
    {
      case PCMBN_FIELD_DATE:
        {
          gint64 day = -1;
          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            day = pcmbn_date_parse (json_node_get_string (node));
          if (day < 0)
            add_error (errors, field->name,
                       _ ("must be a date written YYYY-MM-DD, such as 2026-07-30"));
          else if (day < pcmbn_date_parse (MIN_DATE))
            {
              g_autofree char *min = pcmbn_date_to_input (MIN_DATE);
              add_error (errors, field->name, _ ("must not be before %s"), min);
            }
          else if (!(field->flags & PCMBN_FIELD_FUTURE_OK) && day > pcmbn_today () + 1)
            add_error (errors, field->name, _ ("must not be in the future"));
        }
        break;

      case PCMBN_FIELD_INT:
        if (!node_is_int (node, &n) || n < 0)
          add_error (errors, field->name, _ ("must be a whole number, 0 or more"));
        else if (n > G_MAXINT32)
          add_error (errors, field->name, _ ("is too large"));
        break;

      case PCMBN_FIELD_TEXT:
        if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
          add_error (errors, field->name, _ ("must be text"));
        else
          check_text (field, json_node_get_string (node), errors);
        break;

      case PCMBN_FIELD_BOOL:
        if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
          add_error (errors, field->name, _ ("must be true or false"));
        break;

      case PCMBN_FIELD_REF:
        if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
            || !pcmbn_uuid_is_valid (json_node_get_string (node)))
          add_error (errors, field->name, _ ("must be the uuid of a record"));
        break;

      case PCMBN_FIELD_CODE:
        {
          const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
              || pcmbn_catalogue_find (cat, json_node_get_string (node)) == NULL)
            {
              g_autofree char *codes = catalogue_codes (cat);
              add_error (errors, field->name, _ ("must be one of: %s"), codes);
            }
        }
        break;

      case PCMBN_FIELD_CODES:
        {
          const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
          JsonArray *array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
          guint len = array ? json_array_get_length (array) : 0;
          g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

          for (guint i = 0; array != NULL && i < len; i++)
            {
              JsonNode *item = json_array_get_element (array, i);
              const char *code;
              if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING
                  || pcmbn_catalogue_find (cat, json_node_get_string (item)) == NULL)
                {
                  array = NULL;
                  break;
                }
              code = json_node_get_string (item);
              if (!g_hash_table_add (seen, (gpointer)code))
                {
                  add_error (errors, field->name, _ ("lists “%s” twice"), code);
                  return;
                }
            }
          if (array == NULL)
            {
              g_autofree char *codes = catalogue_codes (cat);
              add_error (errors, field->name, _ ("must be a list of codes from: %s"), codes);
            }
          else if (field->exclusive && len > 1 && g_hash_table_contains (seen, field->exclusive))
            add_error (errors, field->name, _ ("“%s” cannot be combined with other entries"),
                       field->exclusive);
        }
        break;

      case PCMBN_FIELD_MATERIALS:
        check_materials (field, node, errors);
        break;

      case PCMBN_FIELD_ATTACHMENTS:
        check_attachments (field, node, errors);
        break;
    }
}

/**
 * pcmbn_data_get_int:
 * @data: a record's data
 * @name: a field
 *
 * Returns: the field's value, 0 when it is not set (as sums count it)
 */
gint64
pcmbn_data_get_int (JsonObject *data, const char *name)
{
  JsonNode *node = json_object_get_member (data, name);
  gint64 n = 0;
  if (node != NULL && node_is_int (node, &n))
    return n;
  return 0;
}

/**
 * pcmbn_data_get_string:
 * @data: a record's data
 * @name: a field
 *
 * Returns: (transfer none) (nullable): the field's text, or %NULL
 */
const char *
pcmbn_data_get_string (JsonObject *data, const char *name)
{
  JsonNode *node = json_object_get_member (data, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
value_in (const char *value, const char *const *values)
{
  for (guint i = 0; values && values[i]; i++)
    if (g_strcmp0 (value, values[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The same day @years later; 29 February becomes 28 February. */
static gint64
add_years (gint64 day, guint years)
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_julian (&date, (guint32)day);
  g_date_add_years (&date, years);
  return g_date_get_julian (&date);
}

static gboolean
kind_has_sums (const PcmbnKind *kind)
{
  for (guint i = 0; i < kind->n_fields; i++)
    if (kind->fields[i].sum_le_field != NULL)
      return TRUE;
  return FALSE;
}

/**
 * pcmbn_schema_has_sensitive:
 * @kind: the record's kind
 * @data: its fields
 *
 * Returns: whether @data holds a field that never leaves the device and is
 *   sealed at rest (a case note)
 */
gboolean
pcmbn_schema_has_sensitive (const PcmbnKind *kind, JsonObject *data)
{
  for (guint f = 0; f < kind->n_fields; f++)
    if ((kind->fields[f].flags & PCMBN_FIELD_SENSITIVE)
        && json_object_has_member (data, kind->fields[f].name))
      return TRUE;
  return FALSE;
}

/**
 * pcmbn_kind_has_references:
 * @kind: a kind
 *
 * Whether pcmbn_schema_validate() asks its resolver about a record of this
 * kind: without references, validating it reads no other record, so it
 * may run away from the store (the server does it before the write turn).
 *
 * Returns: %TRUE when a field names another record or compares with one
 */
gboolean
pcmbn_kind_has_references (const PcmbnKind *kind)
{
  for (guint i = 0; i < kind->n_fields; i++)
    if (kind->fields[i].type == PCMBN_FIELD_REF || kind->fields[i].ref_field != NULL)
      return TRUE;
  return FALSE;
}

/**
 * pcmbn_schema_validate:
 * @kind: the record's kind
 * @data: the record's data, as pcmbn_schema_normalize() returns it
 * @resolver: (nullable) (scope call): finds referenced records
 * @resolver_data: (closure): data for @resolver
 * @errors: (element-type PcmbnFieldError): where problems are appended
 *
 * Checks every rule of records.md that involves more than one value: required
 * fields, comparisons between fields and references to other records. A rule
 * between two fields reports the field named first in it.
 */
void
pcmbn_schema_validate (const PcmbnKind *kind,
                       JsonObject *data,
                       PcmbnRefResolver resolver,
                       gpointer resolver_data,
                       GPtrArray *errors)
{
  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];
      gboolean set = json_object_has_member (data, field->name);

      if (!set)
        {
          gboolean required;
          /* A value refused by pcmbn_schema_normalize() is not in @data;
           * its message says enough without "is required" after it. */
          if (has_error_for (errors, field->name))
            continue;
          required = (field->flags & PCMBN_FIELD_REQUIRED) != 0;
          if (required && field->unless_field != NULL
              && value_in (pcmbn_data_get_string (data, field->unless_field), field->unless_values))
            required = FALSE;
          if (required)
            add_error (errors, field->name, _ ("is required"));
          else if (field->together_with && json_object_has_member (data, field->together_with))
            add_error_naming (errors, field->name,
                              (const char *const[4]){ FIELD_NAME (kind, field->together_with) },
                              _ ("must be set together with %s"), NAME_A);
          continue;
        }
      if (has_error_for (errors, field->name))
        continue;

      if (field->le_field && json_object_has_member (data, field->le_field)
          && !has_error_for (errors, field->le_field)
          && pcmbn_data_get_int (data, field->name) > pcmbn_data_get_int (data, field->le_field))
        add_error_naming (errors, field->name,
                          (const char *const[4]){ FIELD_NAME (kind, field->le_field) },
                          _ ("must not be greater than %s (%d)"), NAME_A,
                          (int)pcmbn_data_get_int (data, field->le_field));

      if (field->ge_field && json_object_has_member (data, field->ge_field)
          && !has_error_for (errors, field->ge_field))
        {
          gint64 day = pcmbn_date_parse (pcmbn_data_get_string (data, field->name));
          gint64 other = pcmbn_date_parse (pcmbn_data_get_string (data, field->ge_field));
          const char *const names[4] = { FIELD_NAME (kind, field->ge_field) };
          if (day < other)
            {
              g_autofree char *shown = pcmbn_date_to_input (
                  pcmbn_data_get_string (data, field->ge_field));
              add_error_naming (errors, field->name, names, _ ("must not be before %s (%s)"),
                                NAME_A, shown);
            }
          else if (field->max_days_after && day > other + field->max_days_after)
            add_error_naming (errors, field->name, names, _ ("must be within %u days after %s"),
                              field->max_days_after, NAME_A);
          else if (field->max_years_after && day > add_years (other, field->max_years_after))
            add_error_naming (errors, field->name, names, _ ("must be within one year after %s"),
                              NAME_A);
        }

      if (field->together_with && !json_object_has_member (data, field->together_with))
        add_error_naming (errors, field->name,
                          (const char *const[4]){ FIELD_NAME (kind, field->together_with) },
                          _ ("must be set together with %s"), NAME_A);

      if (field->type == PCMBN_FIELD_REF && resolver != NULL)
        {
          JsonObject *target = resolver (pcmbn_data_get_string (data, field->name), field->ref_kind,
                                         resolver_data);
          if (target == NULL)
            add_error_naming (
                errors, field->name,
                (const char *const[4]){ field->ref_kind,
                                        pcmbn_kind_label (pcmbn_schema_kind (field->ref_kind)) },
                _ ("there is no %s with this uuid in this commune"), NAME_A);
          else
            json_object_unref (target);
        }

      if (field->ref_field && resolver != NULL && !has_error_for (errors, field->ref_field))
        {
          const PcmbnField *ref = pcmbn_kind_field (kind, field->ref_field);
          const char *uuid = pcmbn_data_get_string (data, field->ref_field);
          JsonObject *target = uuid ? resolver (uuid, ref->ref_kind, resolver_data) : NULL;
          if (target != NULL)
            {
              const char *limit = pcmbn_data_get_string (target, field->ref_target);
              if (limit != NULL
                  && pcmbn_date_parse (pcmbn_data_get_string (data, field->name))
                         < pcmbn_date_parse (limit))
                {
                  g_autofree char *shown = pcmbn_date_to_input (limit);
                  add_error_naming (
                      errors, field->name,
                      (const char *const[4]){
                          FIELD_NAME (kind, field->ref_field),
                          FIELD_NAME (pcmbn_schema_kind (ref->ref_kind), field->ref_target) },
                      _ ("must not be before the %s’s %s (%s)"), NAME_A, NAME_B, shown);
                }
              json_object_unref (target);
            }
        }
    }

  /* Sums: fields naming the same sum_le_field together stay within it, and
   * the error is reported on the total they exceed. Only the kinds that
   * have such fields look: this runs for every record written. */
  if (kind_has_sums (kind))
    for (guint i = 0; i < kind->n_fields; i++)
      {
        const PcmbnField *total = &kind->fields[i];
        gint64 sum = 0;
        gboolean any = FALSE;

        for (guint j = 0; j < kind->n_fields; j++)
          if (kind->fields[j].sum_le_field != NULL
              && g_str_equal (kind->fields[j].sum_le_field, total->name))
            {
              any = TRUE;
              sum += pcmbn_data_get_int (data, kind->fields[j].name);
            }
        if (any && json_object_has_member (data, total->name)
            && !has_error_for (errors, total->name) && sum > pcmbn_data_get_int (data, total->name))
          add_error (errors, total->name, _ ("is smaller than the sum of the counts by role (%d)"),
                     (int)sum);
      }
}

static int
code_order (const PcmbnCatalogue *cat, const char *code)
{
  for (guint i = 0; i < cat->n_entries; i++)
    if (g_str_equal (cat->entries[i].code, code))
      return i;
  return G_MAXINT;
}

static gint
compare_codes (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const PcmbnCatalogue *cat = user_data;
  return code_order (cat, json_node_get_string (*(JsonNode **)a))
         - code_order (cat, json_node_get_string (*(JsonNode **)b));
}

/* A set of codes is kept in catalogue order, so that two equal sets are
 * equal JSON and comparing versions in a sync never sees a false change. */
static JsonNode *
canonical_codes (const PcmbnField *field, JsonNode *node)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
  JsonArray *array = json_node_get_array (node);
  g_autoptr (GPtrArray) items = g_ptr_array_new ();
  JsonArray *sorted = json_array_new ();
  JsonNode *out = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (items, json_array_get_element (array, i));
  g_ptr_array_sort_with_data (items, compare_codes, (gpointer)cat);
  for (guint i = 0; i < items->len; i++)
    json_array_add_element (sorted, json_node_copy (items->pdata[i]));
  json_node_take_array (out, sorted);
  return out;
}

/* What pcmbn_schema_normalize() does with a given field (0: not given). */
enum
{
  KEEP = 1,
  SORT,
  DROP
};

/* Whether a set of codes is in catalogue order already. */
static gboolean
codes_in_order (const PcmbnField *field, JsonNode *node)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
  JsonArray *array = json_node_get_array (node);
  guint n = json_array_get_length (array);

  for (guint i = 1; i < n; i++)
    if (code_order (cat, json_array_get_string_element (array, i - 1))
        > code_order (cat, json_array_get_string_element (array, i)))
      return FALSE;
  return TRUE;
}

/* Whether @input's members, all of them fields (@given), come in the
 * schema's order, so that its JSON text is the canonical one. */
static gboolean
in_field_order (const PcmbnKind *kind, JsonObject *input, JsonNode **given)
{
  JsonObjectIter iter;
  const char *name; /* json-glib 1.6 writes it even when not wanted */
  JsonNode *node;
  guint next = 0;

  json_object_iter_init_ordered (&iter, input);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      while (next < kind->n_fields && given[next] != node)
        next++;
      if (next == kind->n_fields)
        return FALSE;
      next++;
    }
  return TRUE;
}

static JsonObject *
normalize (const PcmbnKind *kind,
           JsonObject *input,
           JsonObject *base,
           gboolean any_order,
           GPtrArray *errors)
{
  JsonObject *out;
  g_autofree JsonNode **given = g_new (JsonNode *, kind->n_fields);
  g_autofree char *decision = g_new0 (char, kind->n_fields);
  guint n_given = 0;
  gboolean stored_form;
  JsonNode *node;

  for (guint i = 0; i < kind->n_fields; i++)
    if ((given[i] = json_object_get_member (input, kind->fields[i].name)) != NULL)
      n_given++;
  /* Members that are no field: looked for only when some are not fields
   * (this runs for every record written). */
  if (n_given != json_object_get_size (input))
    {
      JsonObjectIter iter;
      const char *name;

      json_object_iter_init (&iter, input);
      while (json_object_iter_next (&iter, &name, &node))
        if (pcmbn_kind_field (kind, name) == NULL)
          add_error (errors, name, _ ("is not a field of %s records"), kind->name);
    }

  /* What becomes of each given field: decided once, then either the input
   * is already the stored form (as a record read back from a sync or a
   * file usually is) and is returned itself, or the stored form is built. */
  stored_form = base == NULL && n_given == json_object_get_size (input);
  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];
      node = given[i];

      if (node == NULL)
        continue;
      /* null clears; an empty text clears an optional field, and for a
       * required one the "is required" rule gives the message. */
      if (JSON_NODE_HOLDS_NULL (node)
          || (field->type == PCMBN_FIELD_TEXT && JSON_NODE_HOLDS_VALUE (node)
              && json_node_get_value_type (node) == G_TYPE_STRING
              && *json_node_get_string (node) == '\0'))
        {
          decision[i] = DROP;
          stored_form = FALSE;
          continue;
        }
      {
        guint before = errors->len;
        check_value (field, node, errors);
        if (errors->len != before)
          {
            decision[i] = DROP;
            stored_form = FALSE;
            continue;
          }
      }
      decision[i] = field->type == PCMBN_FIELD_CODES && !codes_in_order (field, node) ? SORT : KEEP;
      if (decision[i] == SORT)
        stored_form = FALSE;
    }
  if (stored_form && (any_order || in_field_order (kind, input, given)))
    return json_object_ref (input);

  /* Built in the schema's field order, so that stored JSON is canonical. */
  out = json_object_new ();
  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];
      node = given[i];

      if (node == NULL)
        {
          JsonNode *old = base ? json_object_get_member (base, field->name) : NULL;
          if (old != NULL)
            json_object_set_member (out, field->name, json_node_copy (old));
          continue;
        }
      if (decision[i] == SORT)
        json_object_set_member (out, field->name, canonical_codes (field, node));
      else if (decision[i] == KEEP)
        json_object_set_member (out, field->name, json_node_copy (node));
    }
  return out;
}

/**
 * pcmbn_schema_normalize:
 * @kind: the record's kind
 * @input: the fields given by a person, a file or a client
 * @base: (nullable): the record's current data, for an update
 * @errors: (element-type PcmbnFieldError): where problems are appended
 *
 * Turns input into the stored form: `null` and empty optional text mean
 * "not set" (and clear the field of @base), unknown fields and values of the
 * wrong type are refused, sets of codes are put in catalogue order.
 *
 * Returns: (transfer full): the new data, or @input itself (a new reference)
 *   when it is the stored form already: copy it before changing it;
 *   meaningful only when no error was appended
 */
JsonObject *
pcmbn_schema_normalize (const PcmbnKind *kind,
                        JsonObject *input,
                        JsonObject *base,
                        GPtrArray *errors)
{
  return normalize (kind, input, base, FALSE, errors);
}

/**
 * pcmbn_schema_normalize_any_order:
 * @kind: the record's kind
 * @input: the fields given by a person, a file or a client
 * @errors: (element-type PcmbnFieldError): where problems are appended
 *
 * As pcmbn_schema_normalize() for a new record, but the members of what
 * it returns may come in any order: @input itself whenever its values are
 * already in their stored form, however it orders them, instead of a copy
 * in the schema's order (most of what normalizing a record from a file
 * cost). Write it with pcmbn_schema_data_text(), which puts the members in
 * the schema's order.
 *
 * Returns: (transfer full): the stored form of @input's valid fields
 */
JsonObject *
pcmbn_schema_normalize_any_order (const PcmbnKind *kind, JsonObject *input, GPtrArray *errors)
{
  return normalize (kind, input, NULL, TRUE, errors);
}

/* @data's members of one part (the sensitive fields, or the rest): the
 * fields in the schema's order, then, in clear, any member that is no
 * field (a tombstone's data is not checked), in @data's order. Names at
 * even places of @out, their nodes after them; nothing is copied. */
static void
part_members (const PcmbnKind *kind, JsonObject *data, gboolean sensitive, GPtrArray *out)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  guint n_fields = 0;

  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];

      if ((node = json_object_get_member (data, field->name)) == NULL)
        continue;
      n_fields++;
      if (((field->flags & PCMBN_FIELD_SENSITIVE) != 0) != sensitive)
        continue;
      g_ptr_array_add (out, (gpointer)field->name);
      g_ptr_array_add (out, node);
    }
  if (sensitive || n_fields == json_object_get_size (data))
    return;
  json_object_iter_init_ordered (&iter, data);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    if (pcmbn_kind_field (kind, name) == NULL)
      {
        g_ptr_array_add (out, (gpointer)name);
        g_ptr_array_add (out, node);
      }
}

/**
 * pcmbn_schema_data_text:
 * @kind: the record's kind
 * @data: a record's data, its members in any order
 * @sensitive: %TRUE for the fields marked sensitive only, %FALSE for the
 *   others
 * @n_members: (out) (optional): how many members were written
 *
 * The canonical JSON text of @data's part: the fields in the schema's
 * order, then any member that is no field (in clear), in @data's order.
 * For data in the schema's order it is what pcmbn_json_object_to_text()
 * writes.
 *
 * Returns: (transfer full): the text
 */
char *
pcmbn_schema_data_text (const PcmbnKind *kind,
                        JsonObject *data,
                        gboolean sensitive,
                        guint *n_members)
{
  g_autoptr (GPtrArray) members = g_ptr_array_sized_new (2 * kind->n_fields);
  g_autoptr (JsonObject) ordered = NULL;
  GString *out;
  guint i;

  part_members (kind, data, sensitive, members);
  if (n_members)
    *n_members = members->len / 2;
  out = g_string_sized_new (1024);
  g_string_append_c (out, '{');
  for (i = 0; i < members->len; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      if (!pcmbn_json_append_member (out, members->pdata[i], members->pdata[i + 1]))
        break;
    }
  if (i >= members->len)
    {
      g_string_append_c (out, '}');
      return g_string_free (out, FALSE);
    }
  g_string_free (out, TRUE);
  /* A value json-glib writes its own way: the same members, in the same
   * order, in an object of their own. */
  ordered = json_object_new ();
  for (i = 0; i < members->len; i += 2)
    json_object_set_member (ordered, members->pdata[i], json_node_copy (members->pdata[i + 1]));
  return pcmbn_json_object_to_text (ordered);
}

/**
 * pcmbn_schema_check:
 * @kind: the record's kind
 * @input: the given fields
 * @base: (nullable): the current data, for an update
 * @resolver: (nullable) (scope call): finds referenced records
 * @resolver_data: (closure): data for @resolver
 * @out_data: (out) (transfer full) (optional): the stored form
 * @error: return location for a %PCMBN_ERROR_INVALID error listing every problem
 *
 * Normalizes and validates in one step.
 *
 * Returns: %TRUE when @input is a valid record
 */
gboolean
pcmbn_schema_check (const PcmbnKind *kind,
                    JsonObject *input,
                    JsonObject *base,
                    PcmbnRefResolver resolver,
                    gpointer resolver_data,
                    JsonObject **out_data,
                    GError **error)
{
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  JsonObject *data = pcmbn_schema_normalize (kind, input, base, errors);

  pcmbn_schema_validate (kind, data, resolver, resolver_data, errors);
  if (errors->len > 0)
    {
      json_object_unref (data);
      pcmbn_set_field_errors (error, errors);
      return FALSE;
    }
  if (out_data)
    *out_data = data;
  else
    json_object_unref (data);
  return TRUE;
}

/**
 * pcmbn_field_to_text:
 * @field: a field
 * @data: a record's data
 *
 * The value as a CSV cell: codes sets joined with ";", booleans as
 * "yes"/"no", lists as compact JSON. Not set is the empty string.
 *
 * Returns: (transfer full): the cell text
 */
char *
pcmbn_field_to_text (const PcmbnField *field, JsonObject *data)
{
  JsonNode *node = json_object_get_member (data, field->name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  switch (field->type)
    {
      case PCMBN_FIELD_INT:
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      case PCMBN_FIELD_BOOL:
        return g_strdup (json_node_get_boolean (node) ? "yes" : "no");
      case PCMBN_FIELD_CODES:
        {
          JsonArray *array = json_node_get_array (node);
          GString *s = g_string_new (NULL);
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              if (i > 0)
                g_string_append_c (s, ';');
              g_string_append (s, json_array_get_string_element (array, i));
            }
          return g_string_free (s, FALSE);
        }
      case PCMBN_FIELD_MATERIALS:
      case PCMBN_FIELD_ATTACHMENTS:
        return pcmbn_json_node_to_text (node);
      default:
        return g_strdup (json_node_get_string (node));
    }
}

/**
 * pcmbn_field_from_text:
 * @field: a field
 * @text: a CSV cell
 * @problem: (out) (transfer full) (optional): why @text is not a value
 *
 * The inverse of pcmbn_field_to_text(). An empty cell is JSON `null`, that is
 * "not set". The value still goes through pcmbn_schema_normalize().
 *
 * Returns: (transfer full) (nullable): the value, or %NULL with @problem set
 */
JsonNode *
pcmbn_field_from_text (const PcmbnField *field, const char *text, char **problem)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  JsonNode *node;

  if (*trimmed == '\0' && field->type != PCMBN_FIELD_TEXT)
    return json_node_new (JSON_NODE_NULL);
  switch (field->type)
    {
      case PCMBN_FIELD_INT:
        {
          char *end = NULL;
          gint64 n;
          gboolean digits = TRUE;
          for (const char *p = trimmed; *p; p++)
            digits = digits && g_ascii_isdigit (*p);
          n = g_ascii_strtoll (trimmed, &end, 10);
          if (!digits || end == NULL || *end != '\0' || strlen (trimmed) > 10)
            {
              if (problem)
                *problem = g_strdup (_ ("must be a whole number, 0 or more"));
              return NULL;
            }
          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_int (node, n);
          return node;
        }
      case PCMBN_FIELD_BOOL:
        {
          g_autofree char *low = g_ascii_strdown (trimmed, -1);
          gboolean value;
          if (value_in (low, (const char *const[]){ "yes", "true", "1", "có", NULL }))
            value = TRUE;
          else if (value_in (low, (const char *const[]){ "no", "false", "0", "không", NULL }))
            value = FALSE;
          else
            {
              if (problem)
                *problem = g_strdup (_ ("must be yes or no"));
              return NULL;
            }
          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_boolean (node, value);
          return node;
        }
      case PCMBN_FIELD_CODES:
        {
          g_auto (GStrv) parts = g_strsplit (trimmed, ";", -1);
          JsonArray *array = json_array_new ();
          for (guint i = 0; parts[i]; i++)
            {
              g_strstrip (parts[i]);
              if (*parts[i])
                json_array_add_string_element (array, parts[i]);
            }
          node = json_node_new (JSON_NODE_ARRAY);
          json_node_take_array (node, array);
          return node;
        }
      case PCMBN_FIELD_MATERIALS:
      case PCMBN_FIELD_ATTACHMENTS:
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          if (!json_parser_load_from_data (parser, trimmed, -1, NULL))
            {
              if (problem)
                *problem = g_strdup (_ ("must be a JSON list"));
              return NULL;
            }
          return json_node_copy (json_parser_get_root (parser));
        }
      case PCMBN_FIELD_TEXT:
        node = json_node_new (JSON_NODE_VALUE);
        /* Free text keeps its inner spaces and new lines; only the ends go. */
        json_node_set_string (node, trimmed);
        return node;
      default:
        node = json_node_new (JSON_NODE_VALUE);
        json_node_set_string (node, trimmed);
        return node;
    }
}

/**
 * pcmbn_schema_search_text:
 * @kind: a kind
 * @data: a record's data
 *
 * Returns: (transfer full): the folded text of the searchable fields and the
 *   labels of its type, for accent-insensitive search in lists
 */
char *
pcmbn_schema_search_text (const PcmbnKind *kind, JsonObject *data)
{
  GString *s = g_string_sized_new (256);

  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];
      gboolean type = field->type == PCMBN_FIELD_CODE
                      && g_strcmp0 (field->name, kind->type_field) == 0;
      const char *text;
      /* The search column is kept in clear: never a sensitive field. Only
       * the fields it holds are looked up: this runs for every record
       * written. */
      if ((field->flags & PCMBN_FIELD_SENSITIVE) || !((field->flags & PCMBN_FIELD_SEARCH) || type)
          || (text = pcmbn_data_get_string (data, field->name)) == NULL)
        continue;
      /* Folded as it is appended, punctuation as a space, so that "phong
       * chong" finds "Phòng, chống". */
      if (field->flags & PCMBN_FIELD_SEARCH)
        {
          pcmbn_fold_append (s, text, TRUE);
          g_string_append_c (s, '\n');
        }
      else
        {
          const PcmbnCatalogueEntry *e = pcmbn_catalogue_find (
              pcmbn_catalogue_lookup (field->catalogue), text);
          if (e)
            {
              pcmbn_fold_append (s, e->label_vi, TRUE);
              g_string_append_c (s, '\n');
              pcmbn_fold_append (s, e->label_en, TRUE);
              g_string_append_c (s, '\n');
            }
        }
    }
  return g_string_free (s, FALSE);
}

/**
 * pcmbn_date_to_input:
 * @iso: (nullable): an ISO date
 *
 * The inverse of pcmbn_date_from_input(): a date as a person reads and
 * types it, day first. Messages use it, so that "must not be before"
 * names the date the way the form shows it; data (JSON, CSV, the HTTP
 * API) stays ISO.
 *
 * Returns: (transfer full): `dd/mm/yyyy`; text that is not an ISO date is
 *   returned as it is, %NULL as an empty string
 */
char *
pcmbn_date_to_input (const char *iso)
{
  if (iso == NULL)
    return g_strdup ("");
  if (pcmbn_date_parse (iso) < 0)
    return g_strdup (iso);
  return g_strdup_printf ("%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

/**
 * pcmbn_date_from_input:
 * @text: (nullable): what a person typed: `30/7/2026`, `30-07-2026`,
 *   `30.07.2026` or ISO `2026-07-30`
 *
 * Day first, as Vietnamese write dates, whatever the locale: a form must
 * not read 03/04 as March in one office and April in another.
 *
 * Returns: (transfer full) (nullable): the ISO date, or %NULL when @text is
 *   not a day of the calendar
 */
char *
pcmbn_date_from_input (const char *text)
{
  g_autofree char *trimmed = NULL;
  g_auto (GStrv) parts = NULL;
  int d, m, y;

  if (text == NULL)
    return NULL;
  trimmed = g_strstrip (g_strdup (text));
  if (pcmbn_date_parse (trimmed) > 0)
    return g_steal_pointer (&trimmed);
  parts = g_regex_split_simple ("[/.-]", trimmed, 0, 0);
  if (g_strv_length (parts) != 3)
    return NULL;
  for (guint i = 0; i < 3; i++)
    {
      if (*parts[i] == '\0' || strlen (parts[i]) > 4)
        return NULL;
      for (const char *p = parts[i]; *p; p++)
        if (!g_ascii_isdigit (*p))
          return NULL;
    }
  if (strlen (parts[2]) != 4 || strlen (parts[0]) > 2 || strlen (parts[1]) > 2)
    return NULL;
  d = atoi (parts[0]);
  m = atoi (parts[1]);
  y = atoi (parts[2]);
  if (!g_date_valid_dmy (d, m, y))
    return NULL;
  return g_strdup_printf ("%04d-%02d-%02d", y, m, d);
}

static void
set_parse_error (GError **error, const char *message)
{
  /* The message alone, without "key: ": a form shows it beside the field
   * it asked about. */
  g_set_error_literal (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, message);
}

/**
 * pcmbn_field_parse_text:
 * @field: a field
 * @text: what a person typed in the field's box
 * @error: return location for a %PCMBN_ERROR_INVALID error in the user's
 *   language; its message says what is wrong without the field's key
 *
 * Reads a value as a form's box holds it: a date day first (dd/mm/yyyy, see
 * pcmbn_date_from_input()), a count in digits, a text without the spaces at
 * its ends; other types as pcmbn_field_from_text() reads a CSV cell. Whether
 * the value is allowed (a date in the future, a text too long, a count above
 * the total) is for pcmbn_schema_normalize() and pcmbn_schema_validate().
 *
 * Returns: (transfer full) (nullable): the value, JSON `null` for an empty
 *   box ("not set"); %NULL with @error set when @text is no value of
 *   @field's type
 */
JsonNode *
pcmbn_field_parse_text (const PcmbnField *field, const char *text, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  g_autofree char *problem = NULL;
  JsonNode *node;

  if (*trimmed == '\0')
    return json_node_new (JSON_NODE_NULL);
  switch (field->type)
    {
      case PCMBN_FIELD_DATE:
        {
          g_autofree char *iso = pcmbn_date_from_input (trimmed);
          if (iso == NULL)
            {
              set_parse_error (error, _ ("must be a date written dd/mm/yyyy, such as 30/07/2026"));
              return NULL;
            }
          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (node, iso);
          return node;
        }
      case PCMBN_FIELD_INT:
        {
          for (const char *p = trimmed; *p; p++)
            if (!g_ascii_isdigit (*p))
              {
                set_parse_error (error, _ ("must be a whole number, 0 or more"));
                return NULL;
              }
          /* More digits than any count, and more than gint64 holds. */
          if (strlen (trimmed) > 10 || g_ascii_strtoll (trimmed, NULL, 10) > G_MAXINT32)
            {
              set_parse_error (error, _ ("is too large"));
              return NULL;
            }
          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_int (node, g_ascii_strtoll (trimmed, NULL, 10));
          return node;
        }
      default:
        node = pcmbn_field_from_text (field, trimmed, &problem);
        if (node == NULL)
          set_parse_error (error, problem);
        return node;
    }
}
