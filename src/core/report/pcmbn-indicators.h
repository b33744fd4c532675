/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How an indicator counts (indicators.md). */
typedef enum
{
  /* Communes in scope (those passing `communes`) with at least one
   * qualifying record, over those communes: a fraction. */
  PCMBN_INDICATOR_COMMUNES_WITH,
  /* Calendar months of the period with at least one qualifying record,
   * over the months the period touches. The value is the count of months,
   * not a fraction ("i3 is a count"). */
  PCMBN_INDICATOR_MONTHS_WITH,
  /* The sum of `sum_field` over the qualifying records, over the sum of
   * `denominator_column` of the communes passing `communes`. */
  PCMBN_INDICATOR_SUM,
} PcmbnIndicatorCount;

/* Which records of the kind qualify by date. */
typedef enum
{
  PCMBN_INDICATOR_IN_PERIOD, /* dated within the period */
  PCMBN_INDICATOR_UNTIL_END, /* dated up to the period's end: earlier years count */
} PcmbnIndicatorSpan;

typedef struct
{
  int from_year; /* applies from this year on, until the next entry's */
  double value;  /* for a count of months: the share of the period's months */
} PcmbnIndicatorTarget;

typedef struct
{
  const char *key;
  const char *short_vi, *short_en; /* "CT1" / "I1" */
  const char *label_vi, *label_en; /* the official wording */
  const char *title_vi, *title_en; /* a card's headline in the app */
  const char *unit;                /* extra "unit" member of the JSON, or NULL */
  PcmbnIndicatorCount count;
  const char *kind; /* the record kind that qualifies */
  PcmbnIndicatorSpan span;
  const char *records;            /* SQL predicate on `r`, the qualifying records */
  const char *communes;           /* SQL predicate on `c`, the communes counted, or NULL */
  const char *sum_field;          /* SUM: the record field added up */
  const char *denominator_column; /* SUM: the commune column added up */
  /* The plan's targets, newest last; none before the first. */
  const PcmbnIndicatorTarget *targets;
  guint n_targets;
} PcmbnIndicator;

const PcmbnIndicator *pcmbn_indicators (guint *n_indicators);
const PcmbnIndicator *pcmbn_indicator_lookup (const char *key);
const char *const *pcmbn_indicator_keys_get (void);
/* The keys, NULL-terminated: derived from the table, never listed by hand. */
#define pcmbn_indicator_keys (pcmbn_indicator_keys_get ())
gboolean pcmbn_indicator_is_count (const PcmbnIndicator *indicator);
const char *pcmbn_indicator_short_label (const PcmbnIndicator *indicator);
const char *pcmbn_indicator_label (const PcmbnIndicator *indicator);
const char *pcmbn_indicator_title (const PcmbnIndicator *indicator);
gboolean pcmbn_indicator_default_target (const PcmbnIndicator *indicator,
                                         int year,
                                         gint64 months,
                                         double *target);
char *pcmbn_indicator_sql (const PcmbnIndicator *indicator, const char *scope_cte);
char *pcmbn_indicator_months_sql (const PcmbnIndicator *indicator, const char *scope_cte);

G_END_DECLS
