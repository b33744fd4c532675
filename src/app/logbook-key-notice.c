/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-key-notice"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "logbook-a11y.h"
#include "logbook-key-notice.h"

/* The two things a person must hear about the key that protects the case
 * notes, each once: at set-up, the recovery code (and, without a keyring,
 * that the key is kept in a file); on a computer where the key is missing,
 * that case notes and sync are locked, with a field for the recovery code.
 * The core does the work (pcmbn_store_*_key); these are only the words. */

typedef struct
{
  GtkWindow *parent;
  PcmbnStore *store;
  char *code;
} Notice;

static void
notice_free (Notice *n)
{
  if (n->code)
    memset (n->code, 0, strlen (n->code));
  g_free (n->code);
  g_clear_object (&n->store);
  g_clear_object (&n->parent);
  g_free (n);
}

static void show_code (Notice *n);

static void
draw_page (GtkPrintOperation *op, GtkPrintContext *context, int page_nr, Notice *n)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  g_autoptr (PangoLayout) layout = gtk_print_context_create_pango_layout (context);
  g_autofree char *text = g_strdup_printf (
      _ ("PCMBN Logbook — recovery code\n\nLogbook: %s\n\n%s\n\nKeep this sheet apart from the "
         "computer. It opens the case notes when the key is lost:\n"
         "pcmbn key recover --code CODE"),
      pcmbn_store_get_path (n->store), n->code);
  PangoFontDescription *font = pango_font_description_from_string ("Monospace 12");

  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, gtk_print_context_get_width (context) * PANGO_SCALE);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
}

static void
print_code (Notice *n)
{
  g_autoptr (GtkPrintOperation) op = gtk_print_operation_new ();

  gtk_print_operation_set_n_pages (op, 1);
  g_signal_connect (op, "draw-page", G_CALLBACK (draw_page), n);
  gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, n->parent, NULL);
}

static void
on_code_response (AdwMessageDialog *dialog, const char *response, Notice *n)
{
  /* Closing after a response may respond again (the close response). */
  g_signal_handlers_disconnect_by_data (dialog, n);
  if (g_strcmp0 (response, "print") == 0)
    {
      print_code (n);
      /* The dialog closed with the response: show the code again. */
      show_code (n);
      return;
    }
  notice_free (n);
}

static void
show_code (Notice *n)
{
  g_autofree char *where = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  GtkWidget *label;

  if (pcmbn_store_key_in_file (n->store))
    where = g_strdup_printf (_ ("No keyring is running on this computer, so the key is kept in "
                                "the file %s, readable only by you."),
                             pcmbn_store_get_key_location (n->store));
  else
    where = g_strdup (_ ("The key is kept in your keyring."));
  body = g_strdup_printf (
      _ ("Case notes and counselling drafts are encrypted with a key that is not in the logbook "
         "file. %s If that key is lost (a new account, a reinstalled computer), this code opens "
         "them again. Write it on paper or print it, and keep it apart from this computer: it is "
         "shown only now."),
      where);
  dialog = adw_message_dialog_new (n->parent, _ ("Write Down Your Recovery Code"), body);
  label = gtk_label_new (n->code);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "title-2");
  gtk_widget_add_css_class (label, "monospace");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), label);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "print", _ ("_Print…"), "done",
                                    _ ("I Have _Written It Down"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "done",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "done");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "done");
  g_signal_connect (dialog, "response", G_CALLBACK (on_code_response), n);
  /* The answers are mnemonic buttons: without this a screen reader hears
   * "I Have _Written It Down I Have Written It Down". */
  logbook_a11y_fix_tree (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * logbook_key_notice_show_recovery:
 * @parent: the window
 * @store: the logbook
 *
 * Shows the recovery code made with the logbook's new key, once.
 *
 * Returns: whether there was one to show
 */
gboolean
logbook_key_notice_show_recovery (GtkWindow *parent, PcmbnStore *store)
{
  char *code = pcmbn_store_take_recovery_code (store);
  Notice *n;

  if (code == NULL)
    return FALSE;
  n = g_new0 (Notice, 1);
  n->parent = g_object_ref (parent);
  n->store = g_object_ref (store);
  n->code = code;
  show_code (n);
  return TRUE;
}

static void show_locked (Notice *n, const char *error_text);

static void
on_locked_response (AdwMessageDialog *dialog, const char *response, Notice *n)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
  const char *code = gtk_editable_get_text (GTK_EDITABLE (entry));

  g_signal_handlers_disconnect_by_data (dialog, n);
  if (g_strcmp0 (response, "restore") != 0)
    {
      notice_free (n);
      return;
    }
  if (!pcmbn_store_recover_key (n->store, code, &error))
    {
      show_locked (n, error->message);
      return;
    }
  {
    GtkWidget *done = adw_message_dialog_new (
        n->parent, _ ("The Key Is Back"),
        _ ("Case notes, counselling drafts and sync work again on this computer."));
    adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (done), "close", _ ("_Close"));
    gtk_window_present (GTK_WINDOW (done));
  }
  notice_free (n);
}

static void
show_locked (Notice *n, const char *error_text)
{
  g_autofree char *body = g_strdup_printf (
      "%s%s%s",
      _ ("The key that opens the case notes of this logbook is not on this computer (this happens "
         "when the file was copied from another account or computer, or the keyring was reset). "
         "Case notes, counselling drafts and the connection to the district stay locked until it "
         "is back. Type the recovery code written down when the logbook was set up."),
      error_text ? "\n\n" : "", error_text ? error_text : "");
  GtkWidget *dialog = adw_message_dialog_new (n->parent, _ ("The Key of This Logbook Is Missing"),
                                              body);
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "later", _ ("_Not Now"), "restore",
                                    _ ("_Restore"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "restore",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "restore");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "later");
  g_signal_connect (dialog, "response", G_CALLBACK (on_locked_response), n);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_map (GtkWidget *window, PcmbnStore *store)
{
  g_signal_handlers_disconnect_by_func (window, on_map, store);
  if (!pcmbn_store_has_key (store) && pcmbn_store_get_key_problem (store) != NULL)
    {
      Notice *n = g_new0 (Notice, 1);
      n->parent = g_object_ref (GTK_WINDOW (window));
      n->store = g_object_ref (store);
      show_locked (n, NULL);
    }
  else if (pcmbn_store_get_org_unit (store) != NULL)
    /* An existing logbook whose key this start made (sealed in place). */
    logbook_key_notice_show_recovery (GTK_WINDOW (window), store);
  g_object_unref (store);
}

/**
 * logbook_key_notice_watch:
 * @window: the main window, not yet shown
 * @store: its logbook
 *
 * When the window first shows: says that the key is missing, or shows the
 * recovery code of a key this start made for an existing logbook. A new
 * logbook shows its code when the set-up is done
 * (logbook_key_notice_show_recovery()).
 */
void
logbook_key_notice_watch (GtkWindow *window, PcmbnStore *store)
{
  g_signal_connect (window, "map", G_CALLBACK (on_map), g_object_ref (store));
}
