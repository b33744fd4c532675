/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app and the key that protects the case notes, in real windows under
 * Xvfb: the recovery code shown once when a new logbook is set up, and the
 * locked logbook (a file copied to another account) opened again with it. */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "logbook-context.h"
#include "logbook-first-run.h"
#include "logbook-window.h"
#include "logbook-first-run-private.h"
#include "logbook-window-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

#define COUNSELLING                                                                            \
  "{'date':'2025-12-03','channel':'office','client_code':'KH-3862',"                           \
  "'client_type':'planning_labour_migration','client_sex':'male','client_age_band':'over_60'," \
  "'topics':['labour_migration'],'referrals':['none'],'counsellor':'Trần Thị Lan',"        \
  "'case_notes':'GHI-CHEP-APP-91c2'}"

/* The message dialog on screen whose heading is @heading, if any. */
static AdwMessageDialog *
find_dialog (const char *heading)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w))
          && g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (w)), heading) == 0)
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* What a click on the response's button does: respond, then close. */
static void
respond (AdwMessageDialog *dialog, const char *response)
{
  g_object_ref (dialog);
  adw_message_dialog_response (dialog, response);
  gtk_window_close (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_first_run_code (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "new.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = pcmbn_store_open (path, &error);
  g_autoptr (LogbookContext) context = NULL;
  g_autofree char *code = NULL;
  AdwMessageDialog *dialog;
  LogbookWindow *window;
  LogbookFirstRun *first_run;

  g_assert_no_error (error);
  context = logbook_context_new (store);
  window = logbook_window_new (NULL, context);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  drain ();
  /* Not before the commune is chosen. */
  g_assert_null (find_dialog ("Write Down Your Recovery Code"));
  first_run = logbook_window_get_first_run (window);
  g_assert_nonnull (first_run);
  g_assert_true (pcmbn_store_init_commune (store, "00001", NULL, NULL, &error));
  g_signal_emit_by_name (first_run, "done");
  WAIT_UNTIL ((dialog = find_dialog ("Write Down Your Recovery Code")) != NULL);
  code = g_strdup (gtk_label_get_text (GTK_LABEL (adw_message_dialog_get_extra_child (dialog))));
  g_assert_cmpuint (strlen (code), ==, 39);
  /* No keyring in the tests: it says where the key file is. */
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "pcmbn-logbook/keys/"));
  respond (dialog, "done");
  drain ();
  gtk_window_destroy (GTK_WINDOW (window));
  drain ();
  /* Once: a second window says nothing. */
  window = logbook_window_new (NULL, context);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  drain ();
  g_assert_null (find_dialog ("Write Down Your Recovery Code"));
  gtk_window_destroy (GTK_WINDOW (window));
  drain ();

  /* And the code shown opens a copy of the file on another account. */
  {
    g_autofree char *other = pcmbn_test_tmpdir ();
    const char *env[] = { "XDG_CONFIG_HOME", other, NULL };
    const char *argv[] = { "--db", path, "key", "recover", "--code", code, NULL };
    g_autofree char *err = NULL;
    g_assert_cmpint (pcmbn_test_run_cli_env (argv, env, NULL, NULL, &err), ==, 0);
  }
}

static void
test_locked (void)
{
  g_autofree char *path = NULL, *code = NULL, *uuid = NULL;
  g_autofree char *mine = g_strdup (g_getenv ("XDG_CONFIG_HOME"));
  g_autofree char *other = pcmbn_test_tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (PcmbnStore) store = NULL;
  g_autoptr (LogbookContext) context = NULL;
  g_autoptr (PcmbnRecord) record = NULL;
  AdwMessageDialog *dialog;
  LogbookWindow *window;

  {
    g_autoptr (PcmbnStore) first = pcmbn_test_store_new (&path);
    g_autoptr (JsonObject) data = pcmbn_test_json (COUNSELLING);
    uuid = pcmbn_store_add (first, "counselling", data, &error);
    g_assert_no_error (error);
    code = pcmbn_store_new_recovery_code (first, &error);
    g_assert_no_error (error);
  }
  /* Another account: another config folder, no key there. */
  g_setenv ("XDG_CONFIG_HOME", other, TRUE);
  store = pcmbn_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_false (pcmbn_store_has_key (store));
  context = logbook_context_new (store);
  window = logbook_window_new (NULL, context);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL ((dialog = find_dialog ("The Key of This Logbook Is Missing")) != NULL);

  /* A wrong code: said, and asked again; nothing changes. */
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)),
                         "7KQ2-M9XD-7KQ2-M9XD-7KQ2-M9XD-7KQ2-M9XD");
  respond (dialog, "restore");
  drain ();
  WAIT_UNTIL ((dialog = find_dialog ("The Key of This Logbook Is Missing")) != NULL
              && strstr (adw_message_dialog_get_body (dialog), "does not open") != NULL);
  g_assert_false (pcmbn_store_has_key (store));

  /* The right one: the notes are back. */
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), code);
  respond (dialog, "restore");
  WAIT_UNTIL (find_dialog ("The Key Is Back") != NULL);
  g_assert_true (pcmbn_store_has_key (store));
  record = pcmbn_store_get (store, uuid, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pcmbn_data_get_string (pcmbn_record_get_data (record), "case_notes"), ==,
                   "GHI-CHEP-APP-91c2");
  respond (find_dialog ("The Key Is Back"), "close");
  gtk_window_destroy (GTK_WINDOW (window));
  drain ();
  g_setenv ("XDG_CONFIG_HOME", mine, TRUE);
}

int
main (int argc, char **argv)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display; run under xvfb-run\n");
      return 77;
    }
  pcmbn_i18n_init ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/app-key/first-run-code", test_first_run_code);
  g_test_add_func ("/app-key/locked", test_locked);
  return g_test_run ();
}
