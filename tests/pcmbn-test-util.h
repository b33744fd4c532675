/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* A fresh folder under the test's temporary directory, removed at exit. */
char *pcmbn_test_tmpdir (void);

/* Runs `pcmbn` with @argv (NULL-terminated, without the program name),
 * feeding @input on stdin. Returns the exit status. */
int pcmbn_test_run_cli (const char *const *argv, const char *input, char **out, char **err);
/* The same with extra environment variables: @env is NAME, VALUE, …, NULL. */
int pcmbn_test_run_cli_env (
    const char *const *argv, const char *const *env, const char *input, char **out, char **err);

/* A digest of every row of every table but the district server's audit:
 * equal digests mean nothing was written. */
char *pcmbn_test_db_digest (const char *path);

/* The first column of the first row @sql gives in the file @path, opened
 * read-only, or -1 when there is no row. */
gint64 pcmbn_test_query_int (const char *path, const char *sql);
/* The same as text; %NULL when there is no row or the value is NULL. */
char *pcmbn_test_query_text (const char *path, const char *sql);

/* A database made the logbook of commune 00001 (Phúc Xá). */
PcmbnStore *pcmbn_test_store_new (char **path_out);

JsonObject *pcmbn_test_json (const char *text);
char *pcmbn_test_read_text (const char *path);

/* Runs the main loop until @cond holds; fails the test, naming the line,
 * after 30 s. For windows and anything else that answers asynchronously:
 * never a fixed sleep. */
#define WAIT_UNTIL(cond)                                                  \
  G_STMT_START                                                            \
  {                                                                       \
    gint64 deadline_ = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;     \
    while (!(cond))                                                       \
      {                                                                   \
        if (g_get_monotonic_time () > deadline_)                          \
          g_error ("line %d: timed out waiting for %s", __LINE__, #cond); \
        if (!g_main_context_iteration (NULL, FALSE))                      \
          g_usleep (1000);                                                \
      }                                                                   \
  }                                                                       \
  G_STMT_END

G_END_DECLS
