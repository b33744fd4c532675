/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-preferences-window.h"

/* Settings that belong to this logbook, kept in its database: the language,
 * the profile, and whether Counselling shows on a shared computer. */

struct _LogbookPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  LogbookContext *context;
  GtkWidget *language_row;
  GtkWidget *profile_row;
  GtkWidget *hide_switch;
};

G_DEFINE_FINAL_TYPE (LogbookPreferencesWindow, logbook_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const languages[] = { "", "vi", "en" };
static const char *const profiles[] = { "culture", "womens-union" };

static void
on_language (AdwComboRow *row, GParamSpec *pspec, LogbookPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (selected >= G_N_ELEMENTS (languages))
    return;
  logbook_context_set_language (self->context, languages[selected]);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("The language changes the next time the Logbook starts")));
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
logbook_preferences_window_dispose (GObject *object)
{
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

LogbookPreferencesWindow *
logbook_preferences_window_new (LogbookContext *context, GtkWindow *parent)
{
  LogbookPreferencesWindow *self = g_object_new (LOGBOOK_TYPE_PREFERENCES_WINDOW, "transient-for", parent,
                                                 "modal", TRUE, NULL);
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *general = adw_preferences_group_new ();
  GtkWidget *privacy = adw_preferences_group_new ();
  GtkWidget *hide_row = adw_action_row_new ();
  const char *language_labels[] = { _("Follow the system"), "Tiếng Việt", "English", NULL };
  const char *profile_labels[] = { _("Culture-information officer"), _("Women’s Union branch"), NULL };
  g_autofree char *language = NULL;
  g_autofree char *profile = NULL;

  self->context = g_object_ref (context);
  language = logbook_context_dup_language (context);
  profile = logbook_context_dup_profile (context);

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (page), _("General"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (page), "preferences-system-symbolic");
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (general), _("This Logbook"));
  self->language_row = combo (_("Language"), language_labels);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->language_row), _("Applies the next time the Logbook starts"));
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->language_row),
                              g_strcmp0 (language, "vi") == 0 ? 1 : g_strcmp0 (language, "en") == 0 ? 2 : 0);
  self->profile_row = combo (_("Profile"), profile_labels);
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->profile_row),
                              g_strcmp0 (profile, "womens-union") == 0 ? 1 : 0);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (general), self->language_row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (general), self->profile_row);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (privacy), _("Privacy"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (privacy),
                                         _("On a computer shared with other staff, hide the counselling records."));
  self->hide_switch = gtk_switch_new ();
  gtk_widget_set_valign (self->hide_switch, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (self->hide_switch), logbook_context_get_hide_counselling (context));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->hide_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Hide Counselling"), -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (hide_row), _("Hide Counselling"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (hide_row), self->hide_switch);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (hide_row), self->hide_switch);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (privacy), hide_row);

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (general));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (privacy));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), ADW_PREFERENCES_PAGE (page));

  g_signal_connect (self->language_row, "notify::selected", G_CALLBACK (on_language), self);
  g_signal_connect (self->profile_row, "notify::selected", G_CALLBACK (on_profile), self);
  g_signal_connect (self->hide_switch, "notify::active", G_CALLBACK (on_hide), self);
  return self;
}
