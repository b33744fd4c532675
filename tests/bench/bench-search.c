/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <sys/resource.h>

#include "store/pcmbn-demo.h"
#include "store/pcmbn-record-list-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

/* Filtering 100,000 records as a person types, through the trigram index
 * against the scan of the folded search text it replaced, side by side in
 * one run on the same file: what the list model does for each keystroke
 * (count the matches, read the first screen). Prints ratios; never fails
 * on time. PCMBN_BENCH_RECORDS changes the number of records. */

#define SCREEN 30
#define RUNS 7

static double
cpu_ms (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The median CPU time of a keystroke: the list gets the words, counts and
 * reads the rows a window shows. */
static double
keystroke_ms (PcmbnRecordList *list, const char *words, guint *n)
{
  double t[RUNS];

  for (int r = 0; r < RUNS; r++)
    {
      double t0;
      pcmbn_record_list_set_search (list, NULL);
      t0 = cpu_ms ();
      pcmbn_record_list_set_search (list, words);
      *n = g_list_model_get_n_items (G_LIST_MODEL (list));
      for (guint i = 0; i < MIN (*n, SCREEN); i++)
        g_object_unref (g_list_model_get_item (G_LIST_MODEL (list), i));
      t[r] = cpu_ms () - t0;
    }
  qsort (t, RUNS, sizeof *t, compare_double);
  return t[RUNS / 2];
}

int
main (int argc, char **argv)
{
  static const char *const typed[] = { "t",     "tr",        "tru",     "truong",    "phong chong",
                                       "xyzzy", "Hưởng ứng", "dan pho", "thon dong", "dan p" };
  const char *env = g_getenv ("PCMBN_BENCH_RECORDS");
  gint64 n_records = env ? g_ascii_strtoll (env, NULL, 10) : 100000;
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "search.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (path, &error);
  g_autoptr (PcmbnRecordList) indexed = NULL, scanned = NULL;
  double sum_index = 0, sum_scan = 0, worst_index = 0, worst_scan = 0;

  g_assert_no_error (error);
  pcmbn_store_init_commune (store, "00001", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (pcmbn_demo_fill (store, n_records, 20260730, NULL, NULL, &error));
  g_assert_no_error (error);
  indexed = pcmbn_record_list_new (store, "activity");
  scanned = pcmbn_record_list_new (store, "activity");
  pcmbn_record_list_set_search_index (scanned, FALSE);
  g_print ("%" G_GINT64_FORMAT " records, %u activities; CPU ms per keystroke, median of %d\n",
           n_records, g_list_model_get_n_items (G_LIST_MODEL (indexed)), RUNS);
  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    {
      guint n_index, n_scan;
      double index = keystroke_ms (indexed, typed[i], &n_index);
      double scan = keystroke_ms (scanned, typed[i], &n_scan);

      g_assert_cmpuint (n_index, ==, n_scan);
      g_print ("“%s”: %u rows; index %.1f ms, scan %.1f ms, ratio scan/index %.1f\n", typed[i],
               n_index, index, scan, scan / MAX (index, 0.01));
      sum_index += index;
      sum_scan += scan;
      worst_index = MAX (worst_index, index);
      worst_scan = MAX (worst_scan, scan);
    }
  g_print ("all keystrokes: index %.1f ms, scan %.1f ms, ratio %.2f; slowest: index %.1f ms, "
           "scan %.1f ms\n",
           sum_index, sum_scan, sum_scan / sum_index, worst_index, worst_scan);
  return 0;
}
