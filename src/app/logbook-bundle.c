/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "logbook-bundle.h"
#include "pcmbn-util.h"
#include "sync/pcmbn-bundle.h"

/* "Export sync bundle…" and "Import reply bundle…": a file chooser that
 * opens on the USB stick when one is plugged in, a dialog that shows the
 * work going on (a large bundle takes seconds) and then says, in words for
 * the officer, what happened and what to do next. The work itself runs in
 * the core's worker thread. */

typedef struct
{
  GtkWindow *parent;
  LogbookContext *context;
  GtkFileChooserNative *chooser;
  AdwMessageDialog *dialog;
  GtkProgressBar *progress;
  guint pulse_id;
  gboolean exporting;
} BundleRun;

static void
bundle_run_free (BundleRun *run)
{
  g_clear_handle_id (&run->pulse_id, g_source_remove);
  g_clear_object (&run->parent);
  g_clear_object (&run->context);
  g_clear_object (&run->chooser);
  g_clear_object (&run->dialog);
  g_free (run);
}

/**
 * logbook_bundle_default_folder:
 *
 * The first removable drive that is mounted (a USB stick), else the
 * person's home folder: bundles are carried on sticks.
 *
 * Returns: (transfer full): a folder
 */
GFile *
logbook_bundle_default_folder (void)
{
  g_autoptr (GVolumeMonitor) monitor = g_volume_monitor_get ();
  GList *mounts = g_volume_monitor_get_mounts (monitor);
  GFile *folder = NULL;

  for (GList *l = mounts; l && folder == NULL; l = l->next)
    {
      GMount *mount = l->data;
      g_autoptr (GDrive) drive = g_mount_get_drive (mount);

      if (g_mount_is_shadowed (mount))
        continue;
      if ((drive && g_drive_is_removable (drive)) || g_mount_can_eject (mount))
        folder = g_mount_get_root (mount);
    }
  g_list_free_full (mounts, g_object_unref);
  return folder ? folder : g_file_new_for_path (g_get_home_dir ());
}

/**
 * logbook_bundle_suggested_name:
 * @context: the app's context
 *
 * A name that survives a stick, an email and Windows, and says what the
 * file is: `goi-dong-bo-00001-2026-12-02.pcmbn`.
 *
 * Returns: (transfer full): a file name
 */
char *
logbook_bundle_suggested_name (LogbookContext *context)
{
  PcmbnStore *store = logbook_context_get_store (context);
  const char *unit = pcmbn_store_get_org_unit (store);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");

  return g_strdup_printf ("goi-dong-bo-%s-%s.pcmbn", unit ? unit : "xa", date);
}

static gboolean
pulse_cb (gpointer user_data)
{
  BundleRun *run = user_data;

  gtk_progress_bar_pulse (run->progress);
  return G_SOURCE_CONTINUE;
}

/* The dialog that stays while the work runs, then shows the outcome. */
static void
show_working (BundleRun *run, const char *heading)
{
  run->dialog = g_object_ref (
      ADW_MESSAGE_DIALOG (adw_message_dialog_new (run->parent, heading, NULL)));
  run->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (run->progress), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  heading, -1);
  adw_message_dialog_set_extra_child (run->dialog, GTK_WIDGET (run->progress));
  run->pulse_id = g_timeout_add (120, pulse_cb, run);
  gtk_window_present (GTK_WINDOW (run->dialog));
}

/* The outcome in a dialog of its own, sized for its text: the working
 * dialog goes away. */
static void
show_outcome (BundleRun *run, const char *heading, const char *body)
{
  AdwMessageDialog *dialog;

  g_clear_handle_id (&run->pulse_id, g_source_remove);
  gtk_window_destroy (GTK_WINDOW (run->dialog));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (run->parent, heading, body));
  adw_message_dialog_add_response (dialog, "close", _ ("Close"));
  adw_message_dialog_set_default_response (dialog, "close");
  adw_message_dialog_set_close_response (dialog, "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
exported_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BundleRun *run = user_data;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  if (!pcmbn_bundle_export_finish (PCMBN_STORE (source), result, &n, &error))
    show_outcome (run, _ ("The Sync Bundle Was Not Made"), error->message);
  else
    {
      g_autofree char *body = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE,
                       "%u record is in the bundle. Take the file to the office; bring back the "
                       "reply it makes and choose “Import Reply Bundle…”.",
                       "%u records are in the bundle. Take the file to the office; bring back the "
                       "reply it makes and choose “Import Reply Bundle…”.",
                       n),
          n);
      show_outcome (run, _ ("Sync Bundle Exported"), body);
    }
  bundle_run_free (run);
}

static void
imported_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BundleRun *run = user_data;
  g_autoptr (GError) error = NULL;
  PcmbnSyncStats stats = { 0 };
  gboolean already = FALSE;

  if (!pcmbn_bundle_import_finish (PCMBN_STORE (source), result, &stats, &already, &error))
    show_outcome (run, _ ("The Reply Was Not Imported"), error->message);
  else if (already)
    show_outcome (run, _ ("Reply Already Imported"),
                  _ ("This reply was imported before; nothing changed."));
  else
    {
      g_autofree char *body = g_strdup_printf (
          _ ("Sent: %u. Received: %u. Conflicts: %u. Refused by the server: %u."), stats.pushed,
          stats.pulled, stats.conflicts, stats.rejected);
      show_outcome (run, _ ("Reply Imported"), body);
    }
  bundle_run_free (run);
}

/**
 * logbook_bundle_run:
 * @parent: the window
 * @context: the app's context
 * @exporting: %TRUE to write a bundle, %FALSE to import a reply
 * @path: the file chosen
 *
 * Does the work with a dialog that shows it going on, then shows its
 * outcome in a dialog with a Close button.
 */
void
logbook_bundle_run (GtkWindow *parent,
                    LogbookContext *context,
                    gboolean exporting,
                    const char *path)
{
  BundleRun *run = g_new0 (BundleRun, 1);

  run->parent = g_object_ref (parent);
  run->context = g_object_ref (context);
  run->exporting = exporting;
  if (exporting)
    {
      show_working (run, _ ("Exporting the Sync Bundle…"));
      pcmbn_bundle_export_async (logbook_context_get_store (context), path, NULL, exported_cb, run);
    }
  else
    {
      show_working (run, _ ("Importing the Reply…"));
      pcmbn_bundle_import_async (logbook_context_get_store (context), path, NULL, imported_cb, run);
    }
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  BundleRun *run = user_data;
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  path = file ? g_file_get_path (file) : NULL;
  if (path != NULL)
    logbook_bundle_run (run->parent, run->context, run->exporting, path);
  bundle_run_free (run);
}

static void
choose (GtkWindow *parent, LogbookContext *context, gboolean exporting)
{
  BundleRun *run = g_new0 (BundleRun, 1);
  g_autoptr (GFile) folder = logbook_bundle_default_folder ();
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  run->parent = g_object_ref (parent);
  run->context = g_object_ref (context);
  run->exporting = exporting;
  run->chooser = gtk_file_chooser_native_new (
      exporting ? _ ("Export Sync Bundle") : _ ("Import Reply Bundle"), parent,
      exporting ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
      exporting ? _ ("_Export") : _ ("_Import"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (run->chooser), TRUE);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (run->chooser), folder, NULL);
  if (exporting)
    {
      g_autofree char *name = logbook_bundle_suggested_name (context);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (run->chooser), name);
    }
  gtk_file_filter_set_name (filter, _ ("Sync bundles"));
  gtk_file_filter_add_pattern (filter, "*.pcmbn");
  gtk_file_filter_add_pattern (filter, "*.bundle");
  gtk_file_filter_add_pattern (filter, "*.reply");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (run->chooser), filter);
  g_signal_connect (run->chooser, "response", G_CALLBACK (chooser_response_cb), run);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (run->chooser));
}

/**
 * logbook_bundle_export:
 * @parent: the window
 * @context: the app's context
 *
 * Asks where to write the bundle, then writes it.
 */
void
logbook_bundle_export (GtkWindow *parent, LogbookContext *context)
{
  choose (parent, context, TRUE);
}

/**
 * logbook_bundle_import:
 * @parent: the window
 * @context: the app's context
 *
 * Asks for the reply the office made, then applies it.
 */
void
logbook_bundle_import (GtkWindow *parent, LogbookContext *context)
{
  choose (parent, context, FALSE);
}
