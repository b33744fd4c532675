/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-report"

#include "config.h"

#include "report/pcmbn-indicators.h"
#include "pcmbn-util.h"

/* The indicators of indicators.md, described once. The commune's report,
 * the district's, the per-commune and per-child tables, the exports, the
 * dashboard and the app all read this table: a new indicator is one entry
 * here (tests/check-indicators-once.sh keeps the keys out of every other
 * source file). */

static const PcmbnIndicatorTarget plan_i1[] = { { 2018, 0.75 }, { 2020, 1.0 } };
static const PcmbnIndicatorTarget plan_i2a[] = { { 2020, 0.30 } };
static const PcmbnIndicatorTarget plan_i2b[] = { { 2020, 0.50 } };
/* i3's target is every month of the period, in 2018 as in 2020. */
static const PcmbnIndicatorTarget plan_i3[] = { { 2018, 1.0 } };
static const PcmbnIndicatorTarget plan_i4[] = { { 2020, 0.75 } };

/* A model alive at the end of the period. */
#define MODEL_LIVING                                                                 \
  "r.rdate <= ?3 AND NOT (r.f_status = 'dissolved' AND r.f_status_since <= ?3) AND " \
  "r.f_model_type = "

static const PcmbnIndicator indicators[] = {
  {
      .key = "i1_materials_deployed",
      .short_vi = "CT1",
      .short_en = "I1",
      .label_vi = "Xã, phường đã nhận và triển khai tài liệu truyền thông",
      .label_en = "Communes that have deployed the communication materials",
      .title_vi = "Đã nhận và triển khai tài liệu",
      .title_en = "Materials received and deployed",
      .count = PCMBN_INDICATOR_COMMUNES_WITH,
      .kind = "material",
      .span = PCMBN_INDICATOR_UNTIL_END,
      .records = "r.f_deployed_on IS NOT NULL AND r.f_deployed_on <= ?3",
      .targets = plan_i1,
      .n_targets = G_N_ELEMENTS (plan_i1),
  },
  {
      .key = "i2a_intensive_model_key_areas",
      .short_vi = "CT2a",
      .short_en = "I2a",
      .label_vi = "Xã, phường trọng điểm có mô hình chuyên sâu",
      .label_en = "Key-area communes with an intensive model",
      .title_vi = "Mô hình chuyên sâu (địa bàn trọng điểm)",
      .title_en = "Intensive model (key areas)",
      .count = PCMBN_INDICATOR_COMMUNES_WITH,
      .kind = "model",
      .span = PCMBN_INDICATOR_UNTIL_END,
      .records = MODEL_LIVING "'intensive'",
      .communes = "c.key_area = 1",
      .targets = plan_i2a,
      .n_targets = G_N_ELEMENTS (plan_i2a),
  },
  {
      .key = "i2b_integrated_model",
      .short_vi = "CT2b",
      .short_en = "I2b",
      .label_vi = "Xã, phường có mô hình lồng ghép",
      .label_en = "Communes with an integrated model",
      .title_vi = "Mô hình lồng ghép",
      .title_en = "Integrated model",
      .count = PCMBN_INDICATOR_COMMUNES_WITH,
      .kind = "model",
      .span = PCMBN_INDICATOR_UNTIL_END,
      .records = MODEL_LIVING "'integrated'",
      .targets = plan_i2b,
      .n_targets = G_N_ELEMENTS (plan_i2b),
  },
  {
      .key = "i3_press_months",
      .short_vi = "CT3",
      .short_en = "I3",
      .label_vi = "Số tháng có tin, bài trên báo chí, phát thanh, truyền hình cấp thành phố",
      .label_en = "Months with a city-level press article or radio/TV programme",
      .title_vi = "Số tháng có tin, bài cấp thành phố",
      .title_en = "Months with city press coverage",
      .count = PCMBN_INDICATOR_MONTHS_WITH,
      .kind = "activity",
      .span = PCMBN_INDICATOR_IN_PERIOD,
      .records = "r.rtype IN ('press_article', 'radio_tv') AND r.f_outlet_level = 'city'",
      .targets = plan_i3,
      .n_targets = G_N_ELEMENTS (plan_i3),
  },
  {
      .key = "i4_reach_14_60_key_areas",
      .short_vi = "CT4",
      .short_en = "I4",
      .label_vi = "Người từ 14 đến 60 tuổi ở địa bàn trọng điểm được tiếp cận (lượt người)",
      .label_en = "People aged 14–60 reached in key areas (person-times)",
      .title_vi = "Người 14–60 tuổi được tiếp cận (lượt người)",
      .title_en = "People aged 14–60 reached (person-times)",
      .unit = "person-times",
      .count = PCMBN_INDICATOR_SUM,
      .kind = "activity",
      .span = PCMBN_INDICATOR_IN_PERIOD,
      .communes = "c.key_area = 1 AND c.population_14_60 IS NOT NULL",
      .sum_field = "participants_14_60",
      .denominator_column = "population_14_60",
      .targets = plan_i4,
      .n_targets = G_N_ELEMENTS (plan_i4),
  },
};

/**
 * pcmbn_indicators:
 * @n_indicators: (out): how many there are
 *
 * Returns: (transfer none) (array length=n_indicators): every indicator,
 *   in the order of the report
 */
const PcmbnIndicator *
pcmbn_indicators (guint *n_indicators)
{
  *n_indicators = G_N_ELEMENTS (indicators);
  return indicators;
}

/**
 * pcmbn_indicator_lookup:
 * @key: an indicator key
 *
 * Returns: (transfer none) (nullable): the indicator, or %NULL
 */
const PcmbnIndicator *
pcmbn_indicator_lookup (const char *key)
{
  for (guint i = 0; key && i < G_N_ELEMENTS (indicators); i++)
    if (g_str_equal (indicators[i].key, key))
      return &indicators[i];
  return NULL;
}

/**
 * pcmbn_indicator_keys_get:
 *
 * Returns: (transfer none) (array zero-terminated=1): the keys, in order
 */
const char *const *
pcmbn_indicator_keys_get (void)
{
  static const char *keys[G_N_ELEMENTS (indicators) + 1];
  static gsize filled;

  /* Filled once from the table; the same values on every call. */
  if (g_once_init_enter (&filled))
    {
      for (guint i = 0; i < G_N_ELEMENTS (indicators); i++)
        keys[i] = indicators[i].key;
      g_once_init_leave (&filled, 1);
    }
  return keys;
}

/**
 * pcmbn_indicator_is_count:
 * @indicator: an indicator
 *
 * Returns: whether its value is a count (of months) rather than a fraction
 */
gboolean
pcmbn_indicator_is_count (const PcmbnIndicator *indicator)
{
  return indicator->count == PCMBN_INDICATOR_MONTHS_WITH;
}

/**
 * pcmbn_indicator_short_label:
 * @indicator: an indicator
 *
 * Returns: (transfer none): "CT1" or "I1", in the messages' language
 */
const char *
pcmbn_indicator_short_label (const PcmbnIndicator *indicator)
{
  return pcmbn_is_vietnamese () ? indicator->short_vi : indicator->short_en;
}

/**
 * pcmbn_indicator_label:
 * @indicator: an indicator
 *
 * Returns: (transfer none): its official wording, in the messages' language
 */
const char *
pcmbn_indicator_label (const PcmbnIndicator *indicator)
{
  return pcmbn_is_vietnamese () ? indicator->label_vi : indicator->label_en;
}

/**
 * pcmbn_indicator_title:
 * @indicator: an indicator
 *
 * Returns: (transfer none): its short headline, in the messages' language
 */
const char *
pcmbn_indicator_title (const PcmbnIndicator *indicator)
{
  return pcmbn_is_vietnamese () ? indicator->title_vi : indicator->title_en;
}

/**
 * pcmbn_indicator_default_target:
 * @indicator: an indicator
 * @year: the report's year
 * @months: months the period touches
 * @target: (out): the plan's target
 *
 * Returns: %TRUE when the plan sets one for @year
 */
gboolean
pcmbn_indicator_default_target (const PcmbnIndicator *indicator,
                                int year,
                                gint64 months,
                                double *target)
{
  for (guint t = indicator->n_targets; t > 0; t--)
    if (year >= indicator->targets[t - 1].from_year)
      {
        *target = indicator->targets[t - 1].value;
        if (pcmbn_indicator_is_count (indicator))
          *target *= (double)months;
        return TRUE;
      }
  return FALSE;
}

/* The qualifying records of @indicator, a predicate on `r`. */
static char *
records_predicate (const PcmbnIndicator *indicator)
{
  return g_strdup_printf ("r.kind = '%s' AND r.deleted = 0 AND %s AND (%s)", indicator->kind,
                          indicator->span == PCMBN_INDICATOR_IN_PERIOD ? "r.rdate BETWEEN ?2 AND ?3"
                                                                       : "r.rdate <= ?3",
                          indicator->records ? indicator->records : "1");
}

/**
 * pcmbn_indicator_months_sql:
 * @indicator: an indicator that counts months (%PCMBN_INDICATOR_MONTHS_WITH)
 * @scope_cte: as pcmbn_indicator_sql()
 *
 * The months with a qualifying record, for every group in one pass: rows
 * of (group, `YYYY-MM`), each once. Groups share months, so their counts
 * do not add up to a wider group's; the months themselves do.
 *
 * Returns: (transfer full): the SQL
 */
char *
pcmbn_indicator_months_sql (const PcmbnIndicator *indicator, const char *scope_cte)
{
  g_autofree char *records = records_predicate (indicator);

  g_return_val_if_fail (indicator->count == PCMBN_INDICATOR_MONTHS_WITH, NULL);
  return g_strdup_printf ("%s SELECT c.grp, substr(r.rdate, 1, 7) FROM communes c CROSS JOIN"
                          " records r WHERE r.org_unit = c.code AND (%s) AND %s GROUP BY 1, 2",
                          scope_cte, indicator->communes ? indicator->communes : "1", records);
}

/**
 * pcmbn_indicator_sql:
 * @indicator: an indicator
 * @scope_cte: a `WITH` clause that defines `communes (code, key_area,
 *   population_14_60, grp)`, the communes counted and the group each falls in
 *
 * The query counts the indicator for every group in one pass. It takes ?1
 * scope, ?2 first day and ?3 last day, and gives rows of (group, numerator,
 * denominator); a group without a row has both 0. The denominator of a
 * count of months is 0: it is the period's months.
 *
 * Returns: (transfer full): the SQL
 */
char *
pcmbn_indicator_sql (const PcmbnIndicator *indicator, const char *scope_cte)
{
  const char *communes = indicator->communes ? indicator->communes : "1";
  g_autofree char *records = records_predicate (indicator);

  switch (indicator->count)
    {
      case PCMBN_INDICATOR_COMMUNES_WITH:
        /* EXISTS stops at a commune's first record. The communes come first
         * in every query (CROSS JOIN fixes the order): each one's records are
         * then a range of the kind's covering index (pcmbn-store.c). */
        return g_strdup_printf (
            "%s SELECT c.grp, sum(CASE WHEN (%s) AND EXISTS (SELECT 1 FROM records r WHERE"
            " r.org_unit = c.code AND %s) THEN 1 ELSE 0 END), sum(CASE WHEN (%s) THEN 1 ELSE 0"
            " END) FROM communes c GROUP BY c.grp",
            scope_cte, communes, records, communes);
      case PCMBN_INDICATOR_MONTHS_WITH:
        return g_strdup_printf ("%s SELECT c.grp, count(DISTINCT substr(r.rdate, 1, 7)), 0 FROM"
                                " communes c CROSS JOIN records r WHERE r.org_unit = c.code AND"
                                " (%s) AND %s GROUP BY c.grp",
                                scope_cte, communes, records);
      case PCMBN_INDICATOR_SUM:
        return g_strdup_printf (
            "%s SELECT d.grp, coalesce(n.v, 0), d.den FROM (SELECT c.grp AS grp, sum(CASE WHEN"
            " (%s) THEN c.%s ELSE 0 END) AS den FROM communes c GROUP BY c.grp) d LEFT JOIN"
            " (SELECT c.grp AS grp, sum(r.f_%s) AS v FROM communes c CROSS JOIN records r WHERE"
            " r.org_unit = c.code AND (%s) AND %s GROUP BY c.grp) n ON n.grp = d.grp",
            scope_cte, communes, indicator->denominator_column, indicator->sum_field, communes,
            records);
      default:
        g_assert_not_reached ();
    }
}
