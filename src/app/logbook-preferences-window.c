/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-a11y.h"
#include "logbook-preferences-window-private.h"
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

/* Escape closes the window from wherever the focus is, as it closes a
 * dialog. libadwaita 1.2 binds it on the window too, but in the bubble
 * phase, after the focused widget: once a toast's button or an entry row
 * had the focus, Escape went there and the window stayed. Two places keep
 * Escape: the search entry (in the header bar in 1.2, no GtkSearchBar),
 * where it ends the search first, and an open drop-down (a native of its
 * own), which it closes. */
static gboolean
on_key_pressed (LogbookPreferencesWindow *self,
                guint keyval,
                guint keycode,
                GdkModifierType state,
                GtkEventControllerKey *controller)
{
  GtkWidget *focus;

  if (keyval != GDK_KEY_Escape || (state & gtk_accelerator_get_default_mod_mask ()) != 0)
    return GDK_EVENT_PROPAGATE;
  focus = gtk_root_get_focus (GTK_ROOT (self));
  if (focus != NULL
      && (gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY) != NULL
          || GTK_WIDGET (gtk_widget_get_native (focus)) != GTK_WIDGET (self)))
    return GDK_EVENT_PROPAGATE;
  gtk_window_close (GTK_WINDOW (self));
  return GDK_EVENT_STOP;
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
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = logbook_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (
      widget_class, "/org/pcmbn/Logbook/ui/logbook-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, language_row);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, profile_row);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, hide_switch);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, sync_page);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, code_row);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, connect_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, connect_spinner);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, connect_status);
  gtk_widget_class_bind_template_child (widget_class, LogbookPreferencesWindow, interval_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_connect);
}

static void
logbook_preferences_window_init (LogbookPreferencesWindow *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
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
  g_autofree char *language = NULL;
  g_autofree char *profile = NULL;

  self->context = g_object_ref (context);
  language = logbook_context_dup_language (context);
  profile = logbook_context_dup_profile (context);

  /* The values first, then the handlers, so that showing a value saves
   * nothing. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->language_row),
                              g_strcmp0 (language, "vi") == 0   ? 1
                              : g_strcmp0 (language, "en") == 0 ? 2
                                                                : 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (self->profile_row),
                              g_strcmp0 (profile, "womens-union") == 0 ? 1 : 0);
  gtk_switch_set_active (GTK_SWITCH (self->hide_switch),
                         logbook_context_get_hide_counselling (context));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->interval_spin),
                             logbook_context_get_sync_interval (context));
  update_connection (self);

  g_signal_connect (self->language_row, "notify::selected", G_CALLBACK (on_language), self);
  g_signal_connect (self->profile_row, "notify::selected", G_CALLBACK (on_profile), self);
  g_signal_connect (self->hide_switch, "notify::active", G_CALLBACK (on_hide), self);
  g_signal_connect (self->interval_spin, "value-changed", G_CALLBACK (on_interval), self);
  logbook_a11y_fix_tree (GTK_WIDGET (self));
  return self;
}
