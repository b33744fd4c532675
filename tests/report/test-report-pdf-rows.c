/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The PDF's page breaks in a table (issue 11: two lone rows stood at the top
 * of a page). pcmbn_report_rows_on_page() decides how many rows a page takes;
 * each case below failed with the old rule, which filled a page and carried
 * over whatever was left. */
#include "config.h"

#include "report/pcmbn-report-export-private.h"
#include "pcmbn-test-util.h"

#define PAGE 100.0

/* Splits @n rows of height 10 over pages of PAGE, the first with @first
 * left, and returns how many each page took, as "a,b,c". */
static char *
split (guint n, double first)
{
  g_autofree double *heights = g_new (double, n);
  GString *out = g_string_new (NULL);
  double space = first;

  for (guint i = 0; i < n; i++)
    heights[i] = 10.0;
  for (guint r = 0, pages = 0; r < n && pages < 100; pages++)
    {
      guint k = pcmbn_report_rows_on_page (heights + r, n - r, space, PAGE, 3);
      g_string_append_printf (out, "%s%u", out->len ? "," : "", k);
      r += k;
      space = PAGE;
    }
  return g_string_free (out, FALSE);
}

static void
test_rows_together (void)
{
  struct
  {
    guint n;
    double first;
    const char *pages;
  } cases[] = {
    { 5, PAGE, "5" },        /* all fit */
    { 10, PAGE, "10" },      /* exactly a page */
    { 12, PAGE, "9,3" },     /* not 10 and 2 lone rows */
    { 11, PAGE, "8,3" },     /* not 10 and 1 */
    { 13, PAGE, "10,3" },    /* 3 carry over anyway */
    { 8, 25.0, "0,8" },      /* 2 rows at a page's foot: all go over */
    { 8, 35.0, "3,5" },      /* 3 may stand at a foot */
    { 5, 45.0, "0,5" },      /* 4 here would leave 1 alone: 2 and 3 won't do either */
    { 25, 55.0, "5,10,10" }, /* a long table */
    { 2, 15.0, "0,2" },      /* a short table starts where it fits whole */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *pages = split (cases[i].n, cases[i].first);
      if (g_strcmp0 (pages, cases[i].pages) != 0)
        g_error ("%u rows, %g left: pages took %s, expected %s", cases[i].n, cases[i].first, pages,
                 cases[i].pages);
    }
}

/* A row taller than a page is drawn on a page of its own, never looped on. */
static void
test_tall_row (void)
{
  double heights[] = { 150.0, 10.0 };

  g_assert_cmpuint (pcmbn_report_rows_on_page (heights, 2, PAGE, PAGE, 3), ==, 1);
  g_assert_cmpuint (pcmbn_report_rows_on_page (heights, 2, 50.0, PAGE, 3), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/pdf-rows/together", test_rows_together);
  g_test_add_func ("/report/pdf-rows/tall-row", test_tall_row);
  return g_test_run ();
}
