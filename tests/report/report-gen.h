/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Generated districts for the report tests: a units list with a city, two
 * districts and their communes, seeded random records of every kind stored
 * through the store's public entry points, and the report's numbers
 * computed again here, in C over the records kept in memory — never with
 * the engine's SQL. */

#include "report/pcmbn-report.h"
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

typedef struct
{
  char *uuid;
  char *kind;
  char *org_unit;
  JsonObject *data;
  gboolean deleted;
} GenRecord;

typedef struct
{
  char *dir;
  char *path;
  PcmbnStore *store;
  GPtrArray *records;     /* (element-type GenRecord) */
  GPtrArray *communes;    /* (element-type utf8) codes under D1, the scope */
  GHashTable *key_area;   /* code → GINT_TO_POINTER (1) */
  GHashTable *population; /* code → gint64 * */
  GHashTable *targets;    /* "YEAR/KEY" → double *, set in the reference data */
} GenWorld;

/* The store belongs to commune C01 of district D1 ("Quận Ba Đình Thử");
 * D1 has @n_communes communes C01…, district D2 has one, C90, whose records
 * must never count in D1's report. */
GenWorld *gen_world_new (guint n_communes);
void gen_world_free (GenWorld *world);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GenWorld, gen_world_free)

void gen_world_set_facts (GenWorld *world, const char *code, gboolean key_area, gint64 population);
void gen_world_set_target (GenWorld *world, int year, const char *key, double value);
const char *
gen_world_add (GenWorld *world, const char *org_unit, const char *kind, const char *json);
void gen_world_delete (GenWorld *world, const char *uuid);

/* @per_commune random records of every kind in each commune but the last
 * of D1 (which stays silent) and in C90, with about 8% deleted. */
void gen_world_fill (GenWorld *world, guint32 seed, guint per_commune);

/* Checks @report (from pcmbn_report_build() over @scope, which is D1 or one
 * commune) against the numbers computed from the records in memory. */
void gen_world_check_report (
    GenWorld *world, JsonNode *report, const char *scope, const char *from, const char *to);

JsonNode *gen_report (
    GenWorld *world, const char *scope, const char *from, const char *to, PcmbnReportFlags flags);
double gen_indicator_value (JsonNode *report, const char *key, const char *member);
gboolean gen_indicator_is_null (JsonNode *report, const char *key, const char *member);

G_END_DECLS
