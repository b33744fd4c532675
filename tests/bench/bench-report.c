/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "report/pcmbn-report-export.h"
#include "report/pcmbn-report.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* Benchmarks of the report engine, run by `meson test --benchmark`:
 *  - the district's JSON report over 1,000,000 records, against one
 *    covering-index GROUP BY over the same rows in the same run (aim: ≤ 20×),
 *    and against the same report over 100,000 records;
 *  - the report of 100,000 records exported to XLSX (and the other files).
 * The databases are filled with raw SQL in one transaction, in the same
 * columns the store writes, since only the reading is measured. Times are
 * printed, never asserted. PCMBN_BENCH_RECORDS changes the large size;
 * PCMBN_BENCH_DIR keeps the databases in that folder and uses them again on
 * the next run (filling a million records takes minutes), to profile. */

#define N_COMMUNES 20

typedef struct
{
  PcmbnStore *store;
  char *dir;
  char *path;
} Bench;

static const char *const insert_sql =
    "INSERT INTO records (uuid, kind, org_unit, data, rdate, rtype, created_at, modified_at,"
    " version, state, dirty, f_date, f_activity_type, f_subproject, f_participants_total,"
    " f_participants_female, f_participants_14_60, f_participants_under_16,"
    " f_participants_ethnic_minority, f_outlet_level, f_format, f_participants_propagandist,"
    " f_model_type, f_model_kind, f_established_on, f_members_total, f_members_female, f_status,"
    " f_status_since, f_model, f_channel, f_client_type, f_material_type, f_received_on,"
    " f_quantity_received, f_deployed_on, f_quantity_deployed)"
    " VALUES (?1, ?2, ?3, '{}', ?4, ?5, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1,"
    " 'synced', 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
    " ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)";

static const char *
pick (GRand *rand, const char *catalogue)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (catalogue);
  return cat->entries[g_rand_int_range (rand, 0, cat->n_entries)].code;
}

static void
bind_text (sqlite3_stmt *stmt, int at, const char *text)
{
  sqlite3_bind_text (stmt, at, text, -1, SQLITE_TRANSIENT);
}

static void
bench_fill (Bench *bench, gint64 n)
{
  sqlite3 *db = pcmbn_store_get_db (bench->store);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20260730);
  gint64 lo = pcmbn_date_parse ("2024-01-01"), hi = pcmbn_date_parse ("2026-11-28");
  sqlite3_stmt *stmt, *codes;
  GArray *models[N_COMMUNES + 1];
  char uuid[40];

  for (guint c = 0; c <= N_COMMUNES; c++)
    models[c] = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* Only the setup: a large cache keeps the indexes in memory. */
  g_assert_true (pcmbn_store_exec (db, "PRAGMA cache_size = -400000", NULL));
  g_assert_true (pcmbn_store_exec (db, "BEGIN", NULL));
  g_assert_cmpint (sqlite3_prepare_v2 (db, insert_sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO record_codes (record_id, field, code)"
                                       " VALUES (?, ?, ?)",
                                       -1, &codes, NULL),
                   ==, SQLITE_OK);
  for (gint64 i = 0; i < n; i++)
    {
      /* The last commune of D1 never sends anything; C90 is elsewhere. */
      guint c = g_rand_int_range (rand, 0, N_COMMUNES);
      g_autofree char *unit = c == N_COMMUNES - 1 ? g_strdup ("C90")
                                                  : g_strdup_printf ("C%02u", c + 1);
      g_autofree char *day = pcmbn_date_format (lo + g_rand_int_range (rand, 0, (gint32)(hi - lo)));
      int which = g_rand_int_range (rand, 0, 100);
      const char *kind;

      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      g_snprintf (uuid, sizeof uuid, "%08x-0000-4000-8000-%012" G_GINT64_MODIFIER "x",
                  (guint)(i >> 20), i);
      bind_text (stmt, 1, uuid);
      bind_text (stmt, 3, unit);
      bind_text (stmt, 4, day);
      if (which < 50)
        {
          const char *type = pick (rand, "activity_type");
          gint64 total = g_rand_int_range (rand, 0, 300);
          kind = "activity";
          bind_text (stmt, 5, type);
          bind_text (stmt, 6, day);
          bind_text (stmt, 7, type);
          bind_text (stmt, 8, pick (rand, "subproject"));
          sqlite3_bind_int64 (stmt, 9, total);
          sqlite3_bind_int64 (stmt, 10, total / 2);
          sqlite3_bind_int64 (stmt, 11, total * 3 / 4);
          sqlite3_bind_int64 (stmt, 12, total / 10);
          sqlite3_bind_int64 (stmt, 13, total / 20);
          bind_text (stmt, 14, pick (rand, "outlet_level"));
        }
      else if (which < 55)
        {
          const char *format = pick (rand, "training_format");
          kind = "training";
          bind_text (stmt, 5, format);
          bind_text (stmt, 6, day);
          bind_text (stmt, 15, format);
          sqlite3_bind_int64 (stmt, 9, 40);
          sqlite3_bind_int64 (stmt, 10, 20);
          sqlite3_bind_int64 (stmt, 16, 10);
        }
      else if (which < 57)
        {
          const char *type = pick (rand, "model_type");
          gboolean dissolved = g_rand_int_range (rand, 0, 5) == 0;
          gint64 id;
          kind = "model";
          bind_text (stmt, 5, type);
          bind_text (stmt, 17, type);
          bind_text (stmt, 18, pick (rand, "model_kind"));
          bind_text (stmt, 19, day);
          sqlite3_bind_int64 (stmt, 20, 30);
          sqlite3_bind_int64 (stmt, 21, 20);
          bind_text (stmt, 22, dissolved ? "dissolved" : "active");
          if (dissolved)
            bind_text (stmt, 23, day);
          id = i;
          g_array_append_val (models[c], id);
        }
      else if (which < 70 && models[c]->len > 0)
        {
          gint64 model = g_array_index (models[c], gint64,
                                        g_rand_int_range (rand, 0, models[c]->len));
          char model_uuid[40];
          kind = "model-meeting";
          g_snprintf (model_uuid, sizeof model_uuid,
                      "%08x-0000-4000-8000-%012" G_GINT64_MODIFIER "x", (guint)(model >> 20),
                      model);
          bind_text (stmt, 6, day);
          bind_text (stmt, 24, model_uuid);
          sqlite3_bind_int64 (stmt, 9, 15);
        }
      else if (which < 90)
        {
          const char *channel = pick (rand, "channel");
          kind = "counselling";
          bind_text (stmt, 5, channel);
          bind_text (stmt, 6, day);
          bind_text (stmt, 25, channel);
          bind_text (stmt, 26, pick (rand, "client_type"));
        }
      else
        {
          const char *type = pick (rand, "material_type");
          kind = "material";
          bind_text (stmt, 5, type);
          bind_text (stmt, 27, type);
          bind_text (stmt, 28, day);
          sqlite3_bind_int64 (stmt, 29, 500);
          if (g_rand_boolean (rand))
            {
              bind_text (stmt, 30, day);
              sqlite3_bind_int64 (stmt, 31, 300);
            }
        }
      sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      if (g_str_equal (kind, "counselling"))
        {
          sqlite3_int64 id = sqlite3_last_insert_rowid (db);
          const char *pairs[][2] = { { "topics", pick (rand, "counselling_topics") },
                                     { "referrals", pick (rand, "referrals") } };
          for (guint p = 0; p < G_N_ELEMENTS (pairs); p++)
            {
              sqlite3_reset (codes);
              sqlite3_bind_int64 (codes, 1, id);
              sqlite3_bind_text (codes, 2, pairs[p][0], -1, SQLITE_STATIC);
              sqlite3_bind_text (codes, 3, pairs[p][1], -1, SQLITE_STATIC);
              g_assert_cmpint (sqlite3_step (codes), ==, SQLITE_DONE);
            }
        }
    }
  sqlite3_finalize (stmt);
  sqlite3_finalize (codes);
  g_assert_true (pcmbn_store_exec (db, "COMMIT", NULL));
  /* Back to the cache every store connection opens with (pcmbn-store.c). */
  g_assert_true (pcmbn_store_exec (db, "PRAGMA cache_size = -16000", NULL));
  for (guint c = 0; c <= N_COMMUNES; c++)
    g_array_unref (models[c]);
}

static Bench *
bench_new (gint64 n)
{
  Bench *bench = g_new0 (Bench, 1);
  g_autoptr (GString) csv = g_string_new ("level,code,name,full_name,unit_type,parent_code\n"
                                          "city,T1,Hà Nội,Thành phố Hà Nội,thành phố,\n"
                                          "district,D1,Ba Đình,Quận Ba Đình,quận,T1\n"
                                          "district,D2,Sóc Sơn,Huyện Sóc Sơn,huyện,T1\n"
                                          "commune,C90,Bắc Sơn,Xã Bắc Sơn,xã,D2\n");
  g_autofree char *units = NULL, *name = NULL;
  g_autoptr (GError) error = NULL;
  const char *keep_dir = g_getenv ("PCMBN_BENCH_DIR");
  gint64 start;

  for (guint c = 1; c <= N_COMMUNES; c++)
    g_string_append_printf (csv, "commune,C%02u,Phường %u,Phường %u,phường,D1\n", c, c, c);
  name = g_strdup_printf ("district-%" G_GINT64_FORMAT ".sqlite", n);
  if (keep_dir)
    {
      bench->dir = g_strdup (keep_dir);
      bench->path = g_build_filename (bench->dir, name, NULL);
      if (g_file_test (bench->path, G_FILE_TEST_EXISTS))
        {
          bench->store = pcmbn_store_open (bench->path, &error);
          g_assert_no_error (error);
          g_print ("reused %s\n", bench->path);
          return bench;
        }
    }
  else
    {
      bench->dir = g_dir_make_tmp ("pcmbn-bench-XXXXXX", &error);
      g_assert_no_error (error);
      bench->path = g_build_filename (bench->dir, name, NULL);
    }
  units = g_build_filename (bench->dir, "units.csv", NULL);
  g_assert_true (g_file_set_contents (units, csv->str, csv->len, NULL));
  bench->store = pcmbn_store_open (bench->path, &error);
  g_assert_no_error (error);
  pcmbn_store_init_commune (bench->store, "C01", units, NULL, &error);
  g_assert_no_error (error);
  for (guint c = 1; c <= N_COMMUNES; c += 2)
    {
      g_autofree char *code = g_strdup_printf ("C%02u", c);
      pcmbn_store_set_unit_facts (bench->store, code, 1, c % 4 == 1 ? 20000 : -1, &error);
      g_assert_no_error (error);
    }
  start = g_get_monotonic_time ();
  bench_fill (bench, n);
  g_print ("filled %" G_GINT64_FORMAT " records in %.2f s\n", n,
           (g_get_monotonic_time () - start) / 1e6);
  g_unlink (units);
  return bench;
}

static void
bench_free (Bench *bench)
{
  g_autofree char *wal = g_strconcat (bench->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (bench->path, "-shm", NULL);

  g_clear_object (&bench->store);
  if (g_getenv ("PCMBN_BENCH_DIR"))
    {
      g_print ("kept %s\n", bench->path);
      g_free (bench->path);
      g_free (bench->dir);
      g_free (bench);
      return;
    }
  g_unlink (bench->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (bench->dir);
  g_free (bench->path);
  g_free (bench->dir);
  g_free (bench);
}

/* The best of a few runs: the first one also warms the page cache. */
static double
time_report (Bench *bench, JsonNode **out)
{
  double best = G_MAXDOUBLE;

  for (int run = 0; run < 3; run++)
    {
      g_autoptr (GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      JsonNode *report = pcmbn_report_build (bench->store, "D1", "2025-01-01", "2025-12-31",
                                             PCMBN_REPORT_SUPPRESS_SMALL, &error);
      double took = (g_get_monotonic_time () - start) / 1e6;
      g_assert_no_error (error);
      best = MIN (best, took);
      if (out && *out == NULL)
        *out = report;
      else
        json_node_unref (report);
    }
  return best;
}

static double
time_group_by (Bench *bench, const char *sql, gint64 *rows_out)
{
  sqlite3 *db = pcmbn_store_get_db (bench->store);
  double best = G_MAXDOUBLE;

  for (int run = 0; run < 3; run++)
    {
      sqlite3_stmt *stmt;
      gint64 start = g_get_monotonic_time (), rows = 0;
      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_text (stmt, 1, "2025-01-01", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, "2025-12-31", -1, SQLITE_STATIC);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        rows += sqlite3_column_int64 (stmt, 1);
      sqlite3_finalize (stmt);
      best = MIN (best, (g_get_monotonic_time () - start) / 1e6);
      *rows_out = rows;
    }
  return best;
}

static double
bench_district_report (gint64 n)
{
  Bench *bench = bench_new (n);
  g_autoptr (JsonNode) report = NULL;
  double t_report, t_activity, t_all;
  gint64 activities = 0, all = 0;

  t_report = time_report (bench, &report);
  /* The baselines: what one table of the report costs at the least. */
  t_activity = time_group_by (bench,
                              "SELECT rtype, count(*), sum(f_participants_total) FROM records"
                              " WHERE kind = 'activity' AND deleted = 0 AND rdate BETWEEN ?1 AND ?2"
                              " GROUP BY rtype",
                              &activities);
  t_all = time_group_by (
      bench,
      "SELECT kind, count(*) FROM records INDEXED BY records_search WHERE kind IN"
      " ('activity', 'training', 'model', 'model-meeting', 'counselling',"
      " 'material') AND deleted = 0 AND rdate BETWEEN ?1 AND ?2 GROUP BY kind",
      &all);
  g_print ("district report, %" G_GINT64_FORMAT " records (%" G_GINT64_FORMAT
           " in 2025, %" G_GINT64_FORMAT " activities):\n",
           n, all, activities);
  g_print ("  pcmbn_report_build (D1, 2025):                 %8.1f ms\n", t_report * 1e3);
  g_print ("  GROUP BY activity type (records_type index):   %8.1f ms   ratio %.1fx\n",
           t_activity * 1e3, t_report / t_activity);
  g_print ("  GROUP BY kind over every record of the year:   %8.1f ms   ratio %.1fx"
           " (covering index, the baseline; aim <= 20x)\n",
           t_all * 1e3, t_report / t_all);
  bench_free (bench);
  return t_report;
}

static double
bench_export (gint64 n)
{
  Bench *bench = bench_new (n);
  g_autoptr (JsonNode) report = NULL;
  double t_report = time_report (bench, &report);

  g_print ("report of %" G_GINT64_FORMAT " records: built in %.1f ms\n", n, t_report * 1e3);
  for (guint f = PCMBN_REPORT_FORMAT_JSON; f <= PCMBN_REPORT_FORMAT_XLSX; f++)
    {
      double best = G_MAXDOUBLE;
      gsize size = 0;
      for (int run = 0; run < 3; run++)
        {
          g_autoptr (GError) error = NULL;
          gint64 start = g_get_monotonic_time ();
          g_autoptr (GBytes) bytes = pcmbn_report_export (report, f, NULL, NULL, NULL, &error);
          g_assert_no_error (error);
          best = MIN (best, (g_get_monotonic_time () - start) / 1e6);
          size = g_bytes_get_size (bytes);
        }
      g_print ("  export %-4s %8.1f ms  (%" G_GSIZE_FORMAT " bytes)   build + export %.1f ms\n",
               pcmbn_report_format_to_string (f), best * 1e3, size, (t_report + best) * 1e3);
    }
  bench_free (bench);
  return t_report;
}

int
main (int argc, char **argv)
{
  const char *env = g_getenv ("PCMBN_BENCH_RECORDS");
  gint64 large = env ? g_ascii_strtoll (env, NULL, 10) : 1000000;
  gint64 n_large = large > 0 ? large : 1000000, n_small = MIN (n_large, 100000);
  double t_large, t_small;

  g_setenv ("PCMBN_TODAY", "2026-11-29", TRUE);
  t_large = bench_district_report (n_large);
  t_small = bench_export (n_small);
  g_print ("report over %" G_GINT64_FORMAT " records vs over %" G_GINT64_FORMAT
           ": %.1f ms vs %.1f ms, ratio %.1fx for %.0fx the records\n",
           n_large, n_small, t_large * 1e3, t_small * 1e3, t_large / t_small,
           (double)n_large / (double)n_small);
  return 0;
}
