/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The key in a real keyring: gnome-keyring's Secret Service on a private
 * D-Bus session (dbus-run-session), unlocked as a login would, and real
 * `pcmbn` processes with no PCMBN_KEY_BACKEND. Then a keyring that cannot
 * be used (it would need a prompt nobody can answer): the key goes to the
 * key file at once. Skipped where gnome-keyring is not installed. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pcmbn-test-util.h"

#define COUNSELLING                                                              \
  "{\"date\":\"2025-12-03\",\"channel\":\"office\",\"client_code\":\"KH-3862\"," \
  "\"client_type\":\"planning_labour_migration\",\"client_sex\":\"male\","       \
  "\"client_age_band\":\"over_60\",\"topics\":[\"labour_migration\"],"           \
  "\"referrals\":[\"none\"],\"counsellor\":\"Tran Thi Lan\","                    \
  "\"case_notes\":\"KEYRING-NOTE-3b7d\"}"

/* Runs @script with bash on a private session bus, in @dir as HOME. */
static int
run_session (const char *dir, const char *script, char **out)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *run = g_build_filename (dir, "run", NULL);

  g_mkdir_with_parents (run, 0700);
  g_subprocess_launcher_unsetenv (launcher, "PCMBN_KEY_BACKEND");
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_setenv (launcher, "HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", run, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "COUNSELLING", COUNSELLING, TRUE);
  g_subprocess_launcher_set_cwd (launcher, dir);
  proc = g_subprocess_launcher_spawn (launcher, &error, "timeout", "120", "dbus-run-session", "--",
                                      "bash", "-c", script, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s", *out);
  return g_subprocess_get_exit_status (proc);
}

static void
test_in_keyring (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *keys = g_build_filename (dir, "pcmbn-logbook", "keys", NULL);
  const char *script =
      "set -e\n"
      "eval \"$(printf pw | gnome-keyring-daemon --unlock --components=secrets)\"\n"
      "\"$PCMBN_CLI\" --db a.sqlite init --org-unit 00001 2>init.err\n"
      "grep -q 'Recovery code' init.err\n"
      "if grep -q 'No keyring' init.err; then echo KEY-IN-FILE; fi\n"
      "\"$PCMBN_CLI\" --db a.sqlite key status | tr -d ' \\n'; echo\n"
      "uuid=$(printf %s \"$COUNSELLING\" | \"$PCMBN_CLI\" --db a.sqlite add counselling)\n"
      "\"$PCMBN_CLI\" --db a.sqlite get \"$uuid\" | grep -o KEYRING-NOTE-3b7d\n"
      "if grep -aq KEYRING-NOTE-3b7d a.sqlite*; then echo NOTE-IN-FILE; fi\n"
      "echo DONE\n";

  g_assert_cmpint (run_session (dir, script, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"key\":\"present\",\"location\":\"keyring\""));
  g_assert_nonnull (strstr (out, "KEYRING-NOTE-3b7d\nDONE"));
  g_assert_null (strstr (out, "KEY-IN-FILE"));
  g_assert_null (strstr (out, "NOTE-IN-FILE"));
  /* The key is in the keyring only. */
  g_assert_false (g_file_test (keys, G_FILE_TEST_EXISTS));
}

static void
test_keyring_unusable (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *out = NULL;
  /* gnome-keyring is started on demand, has no login keyring and cannot
   * show the prompt that would make one: the file, without waiting. */
  const char *script = "set -e\n"
                       "start=$(date +%s)\n"
                       "\"$PCMBN_CLI\" --db b.sqlite init --org-unit 00001 2>init.err\n"
                       "end=$(date +%s)\n"
                       "echo SECONDS=$((end - start))\n"
                       "grep -q 'No keyring' init.err && echo SAID-ONCE\n"
                       "\"$PCMBN_CLI\" --db b.sqlite key status | tr -d ' \\n'; echo\n"
                       "\"$PCMBN_CLI\" --db b.sqlite list activity 2>list.err >/dev/null\n"
                       "if grep -q 'No keyring' list.err; then echo SAID-TWICE; fi\n"
                       "echo DONE\n";
  /* No hang: the session runs under `timeout 120`, and the keyring calls
   * give up after 25 s at worst; the time taken is in the log. */
  g_assert_cmpint (run_session (dir, script, &out), ==, 0);
  g_assert_nonnull (strstr (out, "SAID-ONCE"));
  g_assert_null (strstr (out, "SAID-TWICE"));
  g_assert_nonnull (strstr (out, "\"key\":\"present\",\"location\":\"/"));
}

int
main (int argc, char **argv)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *session = g_find_program_in_path ("dbus-run-session");

  g_test_init (&argc, &argv, NULL);
  if (daemon == NULL || session == NULL)
    {
      g_test_skip ("gnome-keyring-daemon or dbus-run-session is not installed");
      return 77;
    }
  g_test_add_func ("/keyring/in-keyring", test_in_keyring);
  g_test_add_func ("/keyring/unusable", test_keyring_unusable);
  return g_test_run ();
}
