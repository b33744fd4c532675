/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-a11y.h"
#include "logbook-preferences-window.h"
#include "logbook-sync.h"

/* The preferences: the language, the profile, whether Counselling shows on
 * a shared computer, and the connection to the district server. */

struct _LogbookPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  LogbookContext *context;
  GtkWidget *language_row;
  GtkWidget *profile_row;
  GtkWidget *hide_switch;
  GtkWidget *sync_page;
  GtkWidget *server_row;
  GtkWidget *code_row;
  GtkWidget *connect_button;
  GtkWidget *connect_spinner;
  GtkLabel *connect_status;
  GtkWidget *interval_spin;
  GCancellable *cancellable;
  gboolean connecting;
};

G_DEFINE_FINAL_TYPE (LogbookPreferencesWindow,
                     logbook_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

static const char *const languages[] = { "", "vi", "en" };
static const char *const profiles[] = { "culture", "womens-union" };

static void
on_language (AdwComboRow *row, GParamSpec *pspec, LogbookPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (selected >= G_N_ELEMENTS (languages))
    return;
  logbook_context_set_language (self->context, languages[selected]);
  adw_preferences_window_add_toast (
      ADW_PREFERENCES_WINDOW (self),
      adw_toast_new (_ ("The language changes the next time the Logbook starts")));
}

static void
on_profile (AdwComboRow *row, GParamSpec *pspec, LogbookPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (selected < G_N_ELEMENTS (profiles))
    logbook_context_set_profile (self->context, profiles[selected]);
}

static void
on_hide (GtkSwitch *sw, GParamSpec *pspec, LogbookPreferencesWindow *self)
{
  logbook_context_set_hide_counselling (self->context, gtk_switch_get_active (sw));
}

static void
update_connection (LogbookPreferencesWindow *self)
{
  LogbookSync *sync = logbook_context_get_sync (self->context);
  g_autofree char *server = logbook_sync_dup_server (sync);
  g_autofree char *name = logbook_sync_dup_server_name (sync);
  g_autofree char *where = NULL;
  g_autofree char *text = NULL;

  if (self->connecting)
    return;
  if (logbook_sync_get_enrolled (sync))
    {
      where = g_strdup_printf ("%s (%s)", name, server ? server : "");
      text = g_strdup_printf (
          _ ("Connected to %s. Records are sent and received when you press the sync "
             "button, and by themselves while a network is available."),
          where);
      gtk_label_set_text (self->connect_status, text);
      gtk_widget_remove_css_class (GTK_WIDGET (self->connect_status), "error");
      if (server && !*gtk_editable_get_text (GTK_EDITABLE (self->server_row)))
        gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
    }
}

static void
enroll_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *connected = NULL;

  self->connecting = FALSE;
  if (self->context == NULL)
    return;
  gtk_widget_set_sensitive (self->connect_button, TRUE);
  gtk_spinner_set_spinning (GTK_SPINNER (self->connect_spinner), FALSE);
  gtk_widget_set_visible (self->connect_spinner, FALSE);
  if (!logbook_sync_enroll_finish (LOGBOOK_SYNC (source), result, &error))
    {
      gtk_label_set_text (self->connect_status, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->connect_status), "error");
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), "");
  update_connection (self);
  name = logbook_sync_dup_server_name (LOGBOOK_SYNC (source));
  /* TRANSLATORS: %s is the server's name, such as “Server of Thành phố Hà Nội” */
  connected = g_strdup_printf (_ ("This logbook is connected to %s"), name);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (connected));
}

static void
on_connect (GtkButton *button, LogbookPreferencesWindow *self)
{
  if (self->connecting)
    return;
  self->connecting = TRUE;
  gtk_widget_set_sensitive (self->connect_button, FALSE);
  gtk_widget_set_visible (self->connect_spinner, TRUE);
  gtk_spinner_set_spinning (GTK_SPINNER (self->connect_spinner), TRUE);
  gtk_label_set_text (self->connect_status, _ ("Connecting…"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->connect_status), "error");
  logbook_sync_enroll_async (logbook_context_get_sync (self->context),
                             gtk_editable_get_text (GTK_EDITABLE (self->server_row)),
                             gtk_editable_get_text (GTK_EDITABLE (self->code_row)),
                             self->cancellable, enroll_done, g_object_ref (self));
}

static void
on_interval (GtkSpinButton *spin, LogbookPreferencesWindow *self)
{
  logbook_context_set_sync_interval (self->context, gtk_spin_button_get_value_as_int (spin));
}

static void
logbook_preferences_window_dispose (GObject *object)
{
  LogbookPreferencesWindow *self = LOGBOOK_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&LOGBOOK_PREFERENCES_WINDOW (object)->context);
  G_OBJECT_CLASS (logbook_preferences_window_parent_class)->dispose (object);
}

static void
logbook_preferences_window_class_init (LogbookPreferencesWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = logbook_preferences_window_dispose;
}

static void
logbook_preferences_window_init (LogbookPreferencesWindow *self)
{
}

static GtkWidget *
combo (const char *title, const char *const *labels)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr (GtkStringList) list = gtk_string_list_new (labels);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (list));
  return row;
}

/* The district server: its address and the one-time code the district
 * office gives, read over the phone if need be. */
static void
build_sync_page (LogbookPreferencesWindow *self)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *server = adw_preferences_group_new ();
  GtkWidget *auto_group = adw_preferences_group_new ();
  GtkWidget *interval_row = adw_action_row_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  self->cancellable = g_cancellable_new ();
  self->sync_page = page;
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (page), _ ("Sync"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (page), "emblem-synchronizing-symbolic");
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (server), _ ("Server"));
  adw_preferences_group_set_description (
      ADW_PREFERENCES_GROUP (server),
      _ ("The office that runs the server gives its address and a code "
         "for this computer. The code works once, for 7 days."));
  /* An entry row is named by its title; a label as well would be read
   * twice. */
  self->server_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->server_row), _ ("Server address"));
  self->code_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->code_row), _ ("Enrolment code"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (server), self->server_row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (server), self->code_row);
  /* Enter in the code connects; not swapped: on_connect takes the window
   * second, and swapped it read the row as the window. */
  g_signal_connect (self->code_row, "entry-activated", G_CALLBACK (on_connect), self);

  self->connect_spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->connect_spinner, FALSE);
  self->connect_button = gtk_button_new_with_mnemonic (_ ("_Connect"));
  gtk_widget_add_css_class (self->connect_button, "suggested-action");
  g_signal_connect (self->connect_button, "clicked", G_CALLBACK (on_connect), self);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_widget_set_margin_top (buttons, 12);
  gtk_box_append (GTK_BOX (buttons), self->connect_spinner);
  gtk_box_append (GTK_BOX (buttons), self->connect_button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (server), buttons);
  self->connect_status = GTK_LABEL (gtk_label_new (_ ("Not connected to a server yet.")));
  gtk_label_set_wrap (self->connect_status, TRUE);
  gtk_label_set_xalign (self->connect_status, 0);
  gtk_widget_set_margin_top (GTK_WIDGET (self->connect_status), 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->connect_status),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Connection status"), -1);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (server), GTK_WIDGET (self->connect_status));

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (auto_group), _ ("Automatic Sync"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (interval_row), _ ("Minutes between syncs"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (interval_row),
                               _ ("0 syncs only when you press the sync button"));
  self->interval_spin = gtk_spin_button_new_with_range (0, 1440, 5);
  gtk_widget_set_valign (self->interval_spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->interval_spin),
                             logbook_context_get_sync_interval (self->context));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->interval_spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Minutes between syncs"), -1);
  g_signal_connect (self->interval_spin, "value-changed", G_CALLBACK (on_interval), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (interval_row), self->interval_spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (interval_row), self->interval_spin);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (auto_group), interval_row);

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (server));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (auto_group));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), ADW_PREFERENCES_PAGE (page));
  update_connection (self);
}

static void
focus_server_on_map (LogbookPreferencesWindow *self, gpointer unused)
{
  g_signal_handlers_disconnect_by_func (self, focus_server_on_map, unused);
  gtk_widget_grab_focus (self->server_row);
}

/**
 * logbook_preferences_window_show_sync:
 * @self: the preferences
 *
 * Opens on the district server's page, with the focus on its address.
 */
void
logbook_preferences_window_show_sync (LogbookPreferencesWindow *self)
{
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (self),
                                           ADW_PREFERENCES_PAGE (self->sync_page));
  gtk_widget_grab_focus (self->server_row);
  /* Before the window is shown the page may not take the focus yet; the
   * address typed then started the window's search instead. */
  g_signal_connect (self, "map", G_CALLBACK (focus_server_on_map), NULL);
}

/**
 * logbook_preferences_window_get_widget:
 * @self: the preferences
 * @name: "server", "code", "connect", "status" or "interval"
 *
 * Returns: (transfer none) (nullable): that control, for tests
 */
GtkWidget *
logbook_preferences_window_get_widget (LogbookPreferencesWindow *self, const char *name)
{
  if (g_strcmp0 (name, "server") == 0)
    return self->server_row;
  if (g_strcmp0 (name, "code") == 0)
    return self->code_row;
  if (g_strcmp0 (name, "connect") == 0)
    return self->connect_button;
  if (g_strcmp0 (name, "status") == 0)
    return GTK_WIDGET (self->connect_status);
  if (g_strcmp0 (name, "interval") == 0)
    return self->interval_spin;
  if (g_strcmp0 (name, "hide-counselling") == 0)
    return self->hide_switch;
  return NULL;
}

LogbookPreferencesWindow *
logbook_preferences_window_new (LogbookContext *context, GtkWindow *parent)
{
  LogbookPreferencesWindow *self = g_object_new (LOGBOOK_TYPE_PREFERENCES_WINDOW, "transient-for",
                                                 parent, "modal", TRUE, NULL);
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *general = adw_preferences_group_new ();
  GtkWidget *privacy = adw_preferences_group_new ();
  GtkWidget *hide_row = adw_action_row_new ();
  const char *language_labels[] = { _ ("Follow the system"), "Tiếng Việt", "English", NULL };
  const char *profile_labels[] = { _ ("Culture-information officer"), _ ("Women’s Union branch"),
                                   NULL };
  g_autofree char *language = NULL;
  g_autofree char *profile = NULL;

  self->context = g_object_ref (context);
  language = logbook_context_dup_language (context);
  profile = logbook_context_dup_profile (context);

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (page), _ ("General"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (page), "preferences-system-symbolic");
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (general), _ ("This Logbook"));
  self->language_row = combo (_ ("Language"), language_labels);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->language_row),
                               _ ("Applies the next time the Logbook starts"));
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->language_row),
                              g_strcmp0 (language, "vi") == 0   ? 1
                              : g_strcmp0 (language, "en") == 0 ? 2
                                                                : 0);
  self->profile_row = combo (_ ("Profile"), profile_labels);
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->profile_row),
                              g_strcmp0 (profile, "womens-union") == 0 ? 1 : 0);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (general), self->language_row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (general), self->profile_row);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (privacy), _ ("Privacy"));
  adw_preferences_group_set_description (
      ADW_PREFERENCES_GROUP (privacy),
      _ ("On a computer shared with other staff, hide the counselling records."));
  self->hide_switch = gtk_switch_new ();
  gtk_widget_set_valign (self->hide_switch, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (self->hide_switch),
                         logbook_context_get_hide_counselling (context));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->hide_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Hide Counselling"), -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (hide_row), _ ("Hide Counselling"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (hide_row), self->hide_switch);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (hide_row), self->hide_switch);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (privacy), hide_row);

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (general));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (privacy));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), ADW_PREFERENCES_PAGE (page));
  build_sync_page (self);

  g_signal_connect (self->language_row, "notify::selected", G_CALLBACK (on_language), self);
  g_signal_connect (self->profile_row, "notify::selected", G_CALLBACK (on_profile), self);
  g_signal_connect (self->hide_switch, "notify::active", G_CALLBACK (on_hide), self);
  logbook_a11y_fix_tree (GTK_WIDGET (self));
  return self;
}
