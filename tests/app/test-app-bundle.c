/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app's two steps of sync by USB stick, in a real window: the bundle
 * it writes is answered by the real pcmbn-district, and the reply it
 * imports marks the records sent. A changed reply is refused with the
 * reason, and nothing changes. */
#include "config.h"

#include <string.h>

#include "logbook-bundle.h"
#include "logbook-window.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"
#include "store/pcmbn-store.h"
#include "sync-helpers.h"

static char *
office_code (const char *server)
{
  const char *argv[] = { "enroll-code", "--db", server, "--org-unit", "00001", NULL };
  char *out = NULL;

  g_assert_cmpint (sync_district (argv, &out, NULL), ==, 0);
  return g_strstrip (out);
}

static void
office_answer (const char *server, const char *in, const char *out)
{
  const char *argv[] = { "bundle", "--db", server, "--in", in, "--out", out, NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (sync_district (argv, NULL, &err), ==, 0);
}

/* With PCMBN_TEST_SHOTS set, saves what @widget shows, to look at. */
static void
shot (GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("PCMBN_TEST_SHOTS");
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (dir == NULL)
    return;
  for (int i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

/* The dialog that says how a step ended: it has a Close button. */
static AdwMessageDialog *
find_outcome (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (w)
          && adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (w), "close"))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* Runs one step in the window and waits for its outcome. */
static AdwMessageDialog *
run_step (GtkWindow *window, LogbookContext *context, gboolean exporting, const char *path)
{
  AdwMessageDialog *dialog;

  logbook_bundle_run (window, context, exporting, path);
  WAIT_UNTIL ((dialog = find_outcome ()) != NULL);
  return g_object_ref (dialog);
}

/* Without a portal, GtkFileChooserNative shows GTK's own dialog. */
static GtkWidget *
find_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_FILE_CHOOSER_DIALOG (w) && gtk_widget_get_visible (w))
        return w;
    }
  return NULL;
}

static void
close_dialog (AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "close");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

static void
test_both_steps (void)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autofree char *server = g_build_filename (dir, "district.sqlite", NULL);
  g_autofree char *db = g_build_filename (dir, "logbook.sqlite", NULL);
  g_autofree char *request = g_build_filename (dir, "enrol.pcmbn", NULL);
  g_autofree char *enrolled = g_build_filename (dir, "enrol-reply.pcmbn", NULL);
  g_autofree char *bundle = g_build_filename (dir, "goi.pcmbn", NULL);
  g_autofree char *reply = g_build_filename (dir, "phan-hoi.pcmbn", NULL);
  g_autofree char *bad = g_build_filename (dir, "hong.pcmbn", NULL);
  g_autofree char *code = NULL, *contents = NULL;
  g_autoptr (PcmbnStore) store = NULL;
  g_autoptr (LogbookContext) context = NULL;
  g_autoptr (GError) error = NULL;
  LogbookWindow *window;
  AdwMessageDialog *dialog;
  GtkWidget *chooser;
  gsize len;

  {
    const char *argv[] = { "init", "--db", server, "--org-unit", "001", NULL };
    g_assert_cmpint (sync_district (argv, NULL, NULL), ==, 0);
  }
  code = office_code (server);
  g_assert_cmpint (
      sync_cli (db, NULL, NULL, "bundle", "enroll", "--code", code, "-o", request, NULL), ==, 0);
  office_answer (server, request, enrolled);
  g_assert_cmpint (sync_cli (db, NULL, NULL, "bundle", "import", enrolled, NULL), ==, 0);
  g_free (
      sync_add (db, "activity",
                "{\"date\":\"2026-03-10\",\"activity_type\":\"community_talk\",\"subproject\":"
                "\"community\",\"title\":\"Nói chuyện ở thôn Đông\",\"participants_total\":30}"));
  g_free (
      sync_add (db, "activity",
                "{\"date\":\"2026-03-11\",\"activity_type\":\"community_talk\",\"subproject\":"
                "\"community\",\"title\":\"Nói chuyện ở thôn Tây\",\"participants_total\":20}"));

  store = pcmbn_store_open (db, &error);
  g_assert_no_error (error);
  context = logbook_context_new (store);
  window = logbook_window_new (NULL, context);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  /* The menu's action opens a chooser on the suggested file name; cancelling
   * it writes nothing */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bundle-export", NULL));
  WAIT_UNTIL ((chooser = find_chooser ()) != NULL);
  {
    g_autofree char *name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
    g_assert_true (g_str_has_prefix (name, "goi-dong-bo-00001-"));
  }
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  WAIT_UNTIL (find_chooser () == NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bundle-import", NULL));
  WAIT_UNTIL ((chooser = find_chooser ()) != NULL);
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==,
                   GTK_FILE_CHOOSER_ACTION_OPEN);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  WAIT_UNTIL (find_chooser () == NULL);

  dialog = run_step (GTK_WINDOW (window), context, TRUE, bundle);
  shot (GTK_WIDGET (dialog), "bundle-exported.png");
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Sync Bundle Exported");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "2 records"));
  close_dialog (dialog);
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 2);

  office_answer (server, bundle, reply);

  /* A reply changed in one byte: refused with the reason, nothing changes */
  g_assert_true (g_file_get_contents (reply, &contents, &len, NULL));
  contents[len - 10] ^= 0x10;
  g_assert_true (g_file_set_contents (bad, contents, len, NULL));
  dialog = run_step (GTK_WINDOW (window), context, FALSE, bad);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The Reply Was Not Imported");
  shot (GTK_WIDGET (dialog), "bundle-refused.png");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "signature does not match"));
  close_dialog (dialog);
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 2);

  dialog = run_step (GTK_WINDOW (window), context, FALSE, reply);
  shot (GTK_WIDGET (dialog), "bundle-imported.png");
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Reply Imported");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "Sent: 2. Received: 0. Conflicts: 0. Refused by the server: 0.");
  close_dialog (dialog);
  g_assert_cmpint (pcmbn_store_count_dirty (store), ==, 0);
  g_assert_cmpint (sync_query_int (server, "SELECT count(*) FROM records"), ==, 2);

  dialog = run_step (GTK_WINDOW (window), context, FALSE, reply);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Reply Already Imported");
  close_dialog (dialog);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_suggested_name (void)
{
  g_autoptr (PcmbnStore) store = pcmbn_test_store_new (NULL);
  g_autoptr (LogbookContext) context = logbook_context_new (store);
  g_autofree char *name = logbook_bundle_suggested_name (context);
  g_autoptr (GFile) folder = logbook_bundle_default_folder ();

  /* ASCII, no spaces, says what it is */
  g_assert_true (g_str_has_prefix (name, "goi-dong-bo-"));
  g_assert_true (g_str_has_suffix (name, ".pcmbn"));
  for (const char *p = name; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '.');
  g_assert_true (g_file_query_exists (folder, NULL));
}

int
main (int argc, char **argv)
{
  /* The translations, as the app loads them (LANGUAGE=en in the suite). */
  pcmbn_i18n_init ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/app-bundle/both-steps", test_both_steps);
  g_test_add_func ("/app-bundle/suggested-name", test_suggested_name);
  return g_test_run ();
}
