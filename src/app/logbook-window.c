/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-window"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-a11y.h"
#include "logbook-bundle.h"
#include "logbook-conflicts-page.h"
#include "logbook-deleted-page.h"
#include "logbook-key-notice.h"
#include "logbook-preferences-window.h"
#include "logbook-reports-page.h"
#include "logbook-sync.h"
#include "logbook-window-private.h"

/* The main window: a sidebar of sections and the section's page, in a
 * leaflet that folds into one column on a narrow screen. */

typedef struct
{
  const char *name;
  const char *icon;
  const char *label;
} Section;

static const Section sections[] = {
  { "overview", "view-grid-symbolic", N_ ("Overview") },
  { "activity", "audio-volume-high-symbolic", N_ ("Activities") },
  { "training", "system-users-symbolic", N_ ("Trainings") },
  { "models", "emblem-shared-symbolic", N_ ("Models") },
  { "counselling", "chat-symbolic", N_ ("Counselling") },
  { "material", "x-office-document-symbolic", N_ ("Materials") },
  { "reports", "x-office-spreadsheet-symbolic", N_ ("Reports") },
  /* Deleted records, to restore for 30 days. */
  { "deleted", "user-trash-symbolic", N_ ("Recently Deleted") },
  /* Shown only while records are in conflict. */
  { "conflicts", "dialog-warning-symbolic", N_ ("Conflicts") },
};

/* The profile decides the order: the officer's daily work first. */
static const char *const culture_order[] = { "overview",  "activity",    "material", "training",
                                             "models",    "counselling", "reports",  "deleted",
                                             "conflicts", NULL };
static const char *const womens_union_order[] = { "overview",  "counselling", "models",  "activity",
                                                  "training",  "material",    "reports", "deleted",
                                                  "conflicts", NULL };

struct _LogbookWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkStack *root_stack;
  AdwBin *setup_bin;
  AdwLeaflet *leaflet;
  AdwWindowTitle *sidebar_title;
  GtkListBox *sidebar_list;
  GtkLabel *sync_label;
  GtkWidget *content;
  AdwWindowTitle *content_title;
  GtkStack *content_stack;
  GtkWidget *sync_button;
  GtkWidget *sync_spinner;
  GtkWidget *sync_icon;
  GtkLabel *sync_button_label;
  GtkWidget *conflicts_button;
  GtkLabel *conflicts_label;

  LogbookContext *context;
  LogbookSync *sync;
  LogbookConflictsPage *conflicts_page;
  LogbookReportsPage *reports_page;
  LogbookOverviewPage *overview;
  LogbookDeletedPage *deleted_page;
  GtkStack *models_stack;
  GHashTable *record_pages; /* kind → LogbookRecordPage */
  AdwToast *last_toast;
  gboolean rebuilding;
};

G_DEFINE_FINAL_TYPE (LogbookWindow, logbook_window, ADW_TYPE_APPLICATION_WINDOW)

static const Section *
find_section (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    if (g_strcmp0 (sections[i].name, name) == 0)
      return &sections[i];
  return NULL;
}

/* The toast's widgets exist once it is shown: name its buttons then. */
static gboolean
fix_toast_a11y (gpointer user_data)
{
  LogbookWindow *self = user_data;

  logbook_a11y_fix_tree (GTK_WIDGET (self->toast_overlay));
  return G_SOURCE_REMOVE;
}

void
logbook_window_add_toast (LogbookWindow *self, AdwToast *toast)
{
  g_set_object (&self->last_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (toast));
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, fix_toast_a11y, g_object_ref (self), g_object_unref);
}

/**
 * logbook_window_get_last_toast:
 * @self: a window
 *
 * Returns: (transfer none) (nullable): the last toast shown, for tests
 */
AdwToast *
logbook_window_get_last_toast (LogbookWindow *self)
{
  return self->last_toast;
}

static void
on_page_toast (LogbookRecordPage *page, AdwToast *toast, LogbookWindow *self)
{
  logbook_window_add_toast (self, toast);
}

static void
update_conflicts_row (LogbookWindow *self)
{
  gboolean show = (self->sync && logbook_sync_get_conflicts (self->sync) > 0)
                  || g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "conflicts")
                         == 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list)); row;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (gtk_widget_get_name (row), "conflicts") == 0)
      gtk_widget_set_visible (row, show);
}

/* The header's sync button says where the logbook stands: synced, N
 * waiting, offline, or that it failed (the reason in its tooltip and in the
 * sidebar), with a spinner while it syncs. */
static void
update_sync_label (LogbookWindow *self)
{
  LogbookSyncState state = self->sync ? logbook_sync_get_state (self->sync)
                                      : LOGBOOK_SYNC_NOT_CONNECTED;
  gint64 waiting = self->sync ? logbook_sync_get_waiting (self->sync) : 0;
  gint64 conflicts = self->sync ? logbook_sync_get_conflicts (self->sync) : 0;
  gint64 rejected = self->sync ? logbook_sync_get_rejected (self->sync) : 0;
  const char *message = self->sync ? logbook_sync_get_message (self->sync) : NULL;
  const char *progress = self->sync ? logbook_sync_get_progress (self->sync) : NULL;
  g_autofree char *short_text = self->sync ? logbook_sync_describe (self->sync)
                                           : g_strdup (_ ("Not connected"));
  g_autofree char *a11y = NULL;
  g_autofree char *conflicts_text = NULL;
  GString *text = g_string_new (NULL);
  const char *icon = "emblem-synchronizing-symbolic";

  if (waiting == 0)
    g_string_append (text, state == LOGBOOK_SYNC_NOT_CONNECTED ? _ ("Not connected to a server")
                           : state == LOGBOOK_SYNC_SYNCED && conflicts == 0
                               ? _ ("Everything is synced")
                               : _ ("Nothing waits to be sent"));
  else
    g_string_append_printf (
        text,
        g_dngettext (NULL, "%d record waiting to sync", "%d records waiting to sync", waiting),
        (int)waiting);
  if (conflicts > 0)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text,
                              g_dngettext (NULL, "%d record in conflict: choose what to keep",
                                           "%d records in conflict: choose what to keep",
                                           conflicts),
                              (int)conflicts);
    }
  if (rejected > 0)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (
          text,
          g_dngettext (NULL, "%d record refused by the server: open it to correct it",
                       "%d records refused by the server: open them to correct them", rejected),
          (int)rejected);
    }
  if (message && (state == LOGBOOK_SYNC_OFFLINE || state == LOGBOOK_SYNC_ERROR))
    {
      g_string_append_c (text, '\n');
      g_string_append (text, message);
    }
  /* A restore of years of records, or of their photos, takes minutes on a
   * slow line: how far it is. */
  if (progress && state == LOGBOOK_SYNC_RUNNING)
    {
      g_string_append_c (text, '\n');
      g_string_append (text, progress);
    }
  gtk_label_set_text (self->sync_label, text->str);
  g_string_free (text, TRUE);

  switch (state)
    {
      case LOGBOOK_SYNC_SYNCED:
        icon = conflicts > 0 ? "dialog-warning-symbolic" : "emblem-ok-symbolic";
        break;
      case LOGBOOK_SYNC_OFFLINE:
        icon = "network-offline-symbolic";
        break;
      case LOGBOOK_SYNC_ERROR:
        icon = "dialog-error-symbolic";
        break;
      case LOGBOOK_SYNC_NOT_CONNECTED:
        icon = "network-server-symbolic";
        break;
      default:
        break;
    }
  gtk_label_set_text (self->sync_button_label, short_text);
  gtk_image_set_from_icon_name (GTK_IMAGE (self->sync_icon), icon);
  gtk_widget_set_visible (self->sync_icon, state != LOGBOOK_SYNC_RUNNING);
  gtk_widget_set_visible (self->sync_spinner, state == LOGBOOK_SYNC_RUNNING);
  gtk_spinner_set_spinning (GTK_SPINNER (self->sync_spinner), state == LOGBOOK_SYNC_RUNNING);
  if (state == LOGBOOK_SYNC_ERROR)
    gtk_widget_add_css_class (self->sync_button, "error");
  else
    gtk_widget_remove_css_class (self->sync_button, "error");
  gtk_widget_set_tooltip_text (
      self->sync_button, message && (state == LOGBOOK_SYNC_OFFLINE || state == LOGBOOK_SYNC_ERROR)
                             ? message
                         : state == LOGBOOK_SYNC_NOT_CONNECTED ? _ ("Connect to a server")
                                                               : _ ("Sync now"));
  a11y = g_strdup_printf (_ ("Sync: %s"), short_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->sync_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  a11y, -1);

  conflicts_text = g_strdup_printf (g_dngettext (NULL, "%d conflict", "%d conflicts", conflicts),
                                    (int)conflicts);
  gtk_label_set_text (self->conflicts_label, conflicts_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->conflicts_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, conflicts_text, -1);
  gtk_widget_set_visible (self->conflicts_button, conflicts > 0);
  update_conflicts_row (self);
}

static void
on_sync_notify (LogbookSync *sync, GParamSpec *pspec, LogbookWindow *self)
{
  update_sync_label (self);
}

static void
on_context_changed (LogbookContext *context, const char *kind, LogbookWindow *self)
{
  /* The counts come back from the sync object, counted in a thread. */
}

const char *
logbook_window_get_section (LogbookWindow *self)
{
  return gtk_stack_get_visible_child_name (self->content_stack);
}

void
logbook_window_show_section (LogbookWindow *self, const char *name)
{
  const Section *section = find_section (name);

  if (section == NULL)
    return;
  gtk_stack_set_visible_child_name (self->content_stack, name);
  adw_window_title_set_title (self->content_title, _ (section->label));
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list)); row;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (gtk_widget_get_name (row), name) == 0
        && gtk_list_box_get_selected_row (self->sidebar_list) != GTK_LIST_BOX_ROW (row))
      {
        self->rebuilding = TRUE;
        gtk_list_box_select_row (self->sidebar_list, GTK_LIST_BOX_ROW (row));
        self->rebuilding = FALSE;
      }
  adw_leaflet_set_visible_child (self->leaflet, self->content);
  update_conflicts_row (self);
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, LogbookWindow *self)
{
  if (!self->rebuilding)
    logbook_window_show_section (self, gtk_widget_get_name (GTK_WIDGET (row)));
}

/* Unfolded, choosing a row shows its section, as in GNOME Settings: arrow
 * keys and a screen reader's "select" both work. Folded, the row must be
 * activated, or moving through the list would leave it. */
static void
on_row_selected (GtkListBox *box, GtkListBoxRow *row, LogbookWindow *self)
{
  if (row && !self->rebuilding && !adw_leaflet_get_folded (self->leaflet))
    logbook_window_show_section (self, gtk_widget_get_name (GTK_WIDGET (row)));
}

gboolean
logbook_window_section_visible (LogbookWindow *self, const char *name)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list)); row;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (gtk_widget_get_name (row), name) == 0)
      return gtk_widget_get_visible (row);
  return FALSE;
}

static void
rebuild_sidebar (LogbookWindow *self)
{
  g_autofree char *profile = logbook_context_dup_profile (self->context);
  const char *const *order = g_str_equal (profile, "womens-union") ? womens_union_order
                                                                   : culture_order;
  gboolean hide_counselling = logbook_context_get_hide_counselling (self->context);
  const char *current = gtk_stack_get_visible_child_name (self->content_stack);
  GtkWidget *child;

  self->rebuilding = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list))))
    gtk_list_box_remove (self->sidebar_list, child);
  for (guint i = 0; order[i]; i++)
    {
      const Section *section = find_section (order[i]);
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *label = gtk_label_new (_ (section->label));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (section->icon));
      gtk_box_append (GTK_BOX (box), label);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_widget_set_name (row, section->name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _ (section->label), -1);
      if (g_str_equal (section->name, "counselling") && hide_counselling)
        gtk_widget_set_visible (row, FALSE);
      if (g_str_equal (section->name, "conflicts"))
        gtk_widget_set_visible (row, self->sync && logbook_sync_get_conflicts (self->sync) > 0);
      gtk_list_box_append (self->sidebar_list, row);
    }
  self->rebuilding = FALSE;
  if (current == NULL || (hide_counselling && g_strcmp0 (current, "counselling") == 0))
    current = "overview";
  logbook_window_show_section (self, current);
}

static void
on_prefs_changed (LogbookContext *context, GParamSpec *pspec, LogbookWindow *self)
{
  if (g_hash_table_size (self->record_pages) > 0)
    rebuild_sidebar (self);
}

static void
on_conflict_resolved (LogbookConflictsPage *page,
                      const char *uuid,
                      const char *message,
                      LogbookWindow *self)
{
  g_autoptr (AdwToast) toast = adw_toast_new (message);
  logbook_window_add_toast (self, toast);
}

static void
on_show_conflict (LogbookRecordPage *page, const char *uuid, LogbookWindow *self)
{
  logbook_conflicts_page_select (self->conflicts_page, uuid);
  logbook_window_show_section (self, "conflicts");
}

static GtkWidget *
add_record_page (LogbookWindow *self, const char *kind)
{
  LogbookRecordPage *page = logbook_record_page_new (self->context, kind);

  g_signal_connect (page, "show-toast", G_CALLBACK (on_page_toast), self);
  g_signal_connect (page, "show-conflict", G_CALLBACK (on_show_conflict), self);
  g_hash_table_insert (self->record_pages, g_strdup (kind), page);
  return GTK_WIDGET (page);
}

static void
build_pages (LogbookWindow *self)
{
  GtkWidget *models_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *switcher = gtk_stack_switcher_new ();
  GtkStackPage *page;

  self->overview = logbook_overview_page_new (self->context);
  gtk_stack_add_named (self->content_stack, GTK_WIDGET (self->overview), "overview");
  gtk_stack_add_named (self->content_stack, add_record_page (self, "activity"), "activity");
  gtk_stack_add_named (self->content_stack, add_record_page (self, "training"), "training");

  /* Models and their meetings are one section with two lists. */
  self->models_stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->models_stack), TRUE);
  page = gtk_stack_add_named (self->models_stack, add_record_page (self, "model"), "model");
  gtk_stack_page_set_title (page, _ ("Models"));
  page = gtk_stack_add_named (self->models_stack, add_record_page (self, "model-meeting"),
                              "model-meeting");
  gtk_stack_page_set_title (page, _ ("Meetings"));
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), self->models_stack);
  gtk_widget_set_halign (switcher, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (switcher, 8);
  gtk_box_append (GTK_BOX (models_box), switcher);
  gtk_box_append (GTK_BOX (models_box), GTK_WIDGET (self->models_stack));
  gtk_stack_add_named (self->content_stack, models_box, "models");

  gtk_stack_add_named (self->content_stack, add_record_page (self, "counselling"), "counselling");
  gtk_stack_add_named (self->content_stack, add_record_page (self, "material"), "material");
  self->reports_page = logbook_reports_page_new (self->context);
  g_signal_connect (self->reports_page, "show-toast", G_CALLBACK (on_page_toast), self);
  gtk_stack_add_named (self->content_stack, GTK_WIDGET (self->reports_page), "reports");
  self->deleted_page = logbook_deleted_page_new (self->context);
  g_signal_connect (self->deleted_page, "show-toast", G_CALLBACK (on_page_toast), self);
  gtk_stack_add_named (self->content_stack, GTK_WIDGET (self->deleted_page), "deleted");
  self->conflicts_page = logbook_conflicts_page_new (self->context);
  g_signal_connect (self->conflicts_page, "resolved", G_CALLBACK (on_conflict_resolved), self);
  gtk_stack_add_named (self->content_stack, GTK_WIDGET (self->conflicts_page), "conflicts");
}

static void
start_counting (LogbookWindow *self)
{
  /* The sync starts with the window on screen, never before its first
   * frame. */
  if (self->sync == NULL)
    {
      self->sync = g_object_ref (logbook_context_get_sync (self->context));
      g_signal_connect (self->sync, "notify", G_CALLBACK (on_sync_notify), self);
    }
  update_sync_label (self);
  logbook_overview_page_refresh (self->overview);
}

/* Counting 100,000 records waits until the window is on screen, so that it
 * opens as fast as an empty one. */
static void
on_after_paint (GdkFrameClock *clock, LogbookWindow *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  start_counting (self);
}

static void
on_realize (GtkWidget *widget, LogbookWindow *self)
{
  g_signal_handlers_disconnect_by_func (widget, on_realize, self);
  g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                           G_CALLBACK (on_after_paint), self, 0);
}

static void
show_main (LogbookWindow *self)
{
  g_autofree char *name = logbook_context_dup_commune_name (self->context);

  adw_window_title_set_subtitle (self->sidebar_title, name);
  if (gtk_widget_get_first_child (GTK_WIDGET (self->content_stack)) == NULL)
    build_pages (self);
  rebuild_sidebar (self);
  gtk_stack_set_visible_child_name (self->root_stack, "main");
  logbook_a11y_fix_tree (GTK_WIDGET (self));
  if (gtk_widget_get_realized (GTK_WIDGET (self)))
    start_counting (self);
  else
    g_signal_connect (self, "realize", G_CALLBACK (on_realize), self);
}

static void
on_first_run_done (LogbookFirstRun *first_run, LogbookWindow *self)
{
  show_main (self);
  logbook_window_add_toast (self, adw_toast_new (_ ("Your logbook is ready")));
  logbook_key_notice_show_recovery (GTK_WINDOW (self), logbook_context_get_store (self->context));
}

LogbookRecordPage *
logbook_window_get_record_page (LogbookWindow *self, const char *kind)
{
  return g_hash_table_lookup (self->record_pages, kind);
}

/**
 * logbook_window_get_current_record_page:
 * @self: a window
 *
 * Returns: (transfer none) (nullable): the list shown, if a list is shown
 */
LogbookRecordPage *
logbook_window_get_current_record_page (LogbookWindow *self)
{
  GtkWidget *child = gtk_stack_get_visible_child (self->content_stack);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "models") == 0)
    child = gtk_stack_get_visible_child (self->models_stack);
  return LOGBOOK_IS_RECORD_PAGE (child) ? LOGBOOK_RECORD_PAGE (child) : NULL;
}

LogbookFirstRun *
logbook_window_get_first_run (LogbookWindow *self)
{
  GtkWidget *child = adw_bin_get_child (self->setup_bin);
  return LOGBOOK_IS_FIRST_RUN (child) ? LOGBOOK_FIRST_RUN (child) : NULL;
}

LogbookOverviewPage *
logbook_window_get_overview (LogbookWindow *self)
{
  return self->overview;
}

static void
new_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);
  LogbookRecordPage *page = logbook_window_get_current_record_page (self);

  if (!logbook_context_get_initialized (self->context))
    return;
  if (page == NULL)
    {
      /* From the overview, Ctrl+N writes the profile's first kind. */
      g_autofree char *profile = logbook_context_dup_profile (self->context);
      logbook_window_show_section (self,
                                   g_str_equal (profile, "womens-union")
                                           && !logbook_context_get_hide_counselling (self->context)
                                       ? "counselling"
                                       : "activity");
      page = logbook_window_get_current_record_page (self);
    }
  logbook_record_page_new_record (page);
}

static void
search_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookRecordPage *page = logbook_window_get_current_record_page (LOGBOOK_WINDOW (widget));

  if (page)
    logbook_record_page_focus_search (page);
}

static void
save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookRecordPage *page = logbook_window_get_current_record_page (LOGBOOK_WINDOW (widget));
  LogbookRecordEditor *editor = page ? logbook_record_page_get_editor (page) : NULL;

  if (editor)
    logbook_record_editor_save (editor);
}

static void
connect_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);
  LogbookPreferencesWindow *prefs = logbook_preferences_window_new (self->context,
                                                                    GTK_WINDOW (self));

  logbook_preferences_window_show_sync (prefs);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
sync_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);

  if (self->sync == NULL || !logbook_sync_get_enrolled (self->sync))
    connect_action (widget, name, param);
  else
    logbook_sync_now (self->sync);
}

static void
bundle_export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);
  logbook_bundle_export (GTK_WINDOW (self), self->context);
}

static void
bundle_import_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);
  logbook_bundle_import (GTK_WINDOW (self), self->context);
}

static void
conflicts_action (GtkWidget *widget, const char *name, GVariant *param)
{
  logbook_window_show_section (LOGBOOK_WINDOW (widget), "conflicts");
}

/* A whole day by keyboard: Alt+1… goes to the sidebar's Nth section,
 * Ctrl+Page Up/Down between the models and their meetings, F5 syncs and
 * Ctrl+E exports the report as PDF. */
static void
go_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);
  int n = g_variant_get_int32 (param);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar_list)); row;
       row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_visible (row) && --n == 0)
      {
        logbook_window_show_section (self, gtk_widget_get_name (row));
        return;
      }
}

static void
other_list_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "models") != 0)
    return;
  gtk_stack_set_visible_child_name (
      self->models_stack,
      g_strcmp0 (gtk_stack_get_visible_child_name (self->models_stack), "model") == 0
          ? "model-meeting"
          : "model");
}

static void
export_pdf_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);

  if (self->reports_page == NULL)
    return;
  logbook_window_show_section (self, "reports");
  gtk_widget_activate_action (GTK_WIDGET (self->reports_page), "reports.export", "s", "pdf");
}

static void
back_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookWindow *self = LOGBOOK_WINDOW (widget);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
logbook_window_dispose (GObject *object)
{
  LogbookWindow *self = LOGBOOK_WINDOW (object);

  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  if (self->sync)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->context);
  g_clear_object (&self->last_toast);
  g_clear_pointer (&self->record_pages, g_hash_table_unref);
  G_OBJECT_CLASS (logbook_window_parent_class)->dispose (object);
}

static void
logbook_window_class_init (LogbookWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = logbook_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, root_stack);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, setup_bin);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sidebar_list);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sync_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, content);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sync_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sync_spinner);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sync_icon);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, sync_button_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, conflicts_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookWindow, conflicts_label);

  gtk_widget_class_install_action (widget_class, "win.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.sync", NULL, sync_action);
  gtk_widget_class_install_action (widget_class, "win.conflicts", NULL, conflicts_action);
  gtk_widget_class_install_action (widget_class, "win.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "win.bundle-export", NULL, bundle_export_action);
  gtk_widget_class_install_action (widget_class, "win.bundle-import", NULL, bundle_import_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save", NULL);
  gtk_widget_class_install_action (widget_class, "win.go-to", "i", go_to_action);
  gtk_widget_class_install_action (widget_class, "win.other-list", NULL, other_list_action);
  gtk_widget_class_install_action (widget_class, "win.export-pdf", NULL, export_pdf_action);
  for (int i = 1; i <= 9; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + i, GDK_ALT_MASK, "win.go-to",
                                         "i", i);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.sync", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-pdf",
                                       NULL);
}

/* A GTK 4 list box moves Tab from row to row, and the sidebar shows the
 * section a row selects: Tab went through every section, and the open form
 * was no longer in the focus chain. The sidebar is one Tab stop; the arrows
 * move through it. */
static gboolean
on_sidebar_key (GtkEventControllerKey *controller,
                guint keyval,
                guint keycode,
                GdkModifierType state,
                LogbookWindow *self)
{
  gboolean back = (state & GDK_SHIFT_MASK) != 0 || keyval == GDK_KEY_ISO_Left_Tab;

  if (keyval != GDK_KEY_Tab && keyval != GDK_KEY_KP_Tab && keyval != GDK_KEY_ISO_Left_Tab)
    return FALSE;
  if (back)
    return gtk_widget_child_focus (self->content, GTK_DIR_TAB_BACKWARD);
  return gtk_widget_child_focus (self->content, GTK_DIR_TAB_FORWARD);
}

static void
logbook_window_init (LogbookWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->record_pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (self->sidebar_list, "row-activated", G_CALLBACK (on_row_activated), self);
  g_signal_connect (self->sidebar_list, "row-selected", G_CALLBACK (on_row_selected), self);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();
    g_signal_connect (keys, "key-pressed", G_CALLBACK (on_sidebar_key), self);
    gtk_widget_add_controller (GTK_WIDGET (self->sidebar_list), keys);
  }
  /* Ctrl+Page Down/Up switch lists as tabs do; caught before a scrolled
   * window, which would scroll sideways with them. */
  {
    GtkEventController *shortcuts = gtk_shortcut_controller_new ();
    gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
    gtk_shortcut_controller_add_shortcut (
        GTK_SHORTCUT_CONTROLLER (shortcuts),
        gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>Page_Down|<Control>Page_Up"),
                          gtk_named_action_new ("win.other-list")));
    gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
  }
}

/* The window's size comes back as the person left it. */
static void
restore_state (LogbookWindow *self)
{
  GSettings *settings = logbook_context_get_settings (self->context);

  if (settings == NULL)
    return;
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
on_close_request (LogbookWindow *self, gpointer unused)
{
  GSettings *settings = logbook_context_get_settings (self->context);
  int width, height;

  if (settings == NULL)
    return FALSE;
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (settings);
  if (width >= 360 && height >= 294)
    {
      g_settings_set_int (settings, "window-width", width);
      g_settings_set_int (settings, "window-height", height);
    }
  g_settings_set_boolean (settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (settings);
  return FALSE;
}

/**
 * logbook_window_get_sync_button:
 * @self: a window
 *
 * Returns: (transfer none): the header's sync button
 */
GtkWidget *
logbook_window_get_sync_button (LogbookWindow *self)
{
  return self->sync_button;
}

/**
 * logbook_window_get_sync_text:
 * @self: a window
 *
 * Returns: (transfer none): what the sync button says
 */
const char *
logbook_window_get_sync_text (LogbookWindow *self)
{
  return gtk_label_get_text (self->sync_button_label);
}

/**
 * logbook_window_get_conflicts_button:
 * @self: a window
 *
 * Returns: (transfer none): the header's button to the conflicts
 */
GtkWidget *
logbook_window_get_conflicts_button (LogbookWindow *self)
{
  return self->conflicts_button;
}

LogbookConflictsPage *
logbook_window_get_conflicts_page (LogbookWindow *self)
{
  return self->conflicts_page;
}

LogbookDeletedPage *
logbook_window_get_deleted_page (LogbookWindow *self)
{
  return self->deleted_page;
}

LogbookReportsPage *
logbook_window_get_reports_page (LogbookWindow *self)
{
  return self->reports_page;
}

/**
 * logbook_window_get_sync:
 * @self: a window
 *
 * Returns: (transfer none) (nullable): the sync, once the window is shown
 */
LogbookSync *
logbook_window_get_sync (LogbookWindow *self)
{
  return self->sync;
}

/* The icons Debian 12's Adwaita lacks ship in the app's resources.
 * GtkApplication adds their folder to the theme; a window made without one
 * (a test, an embedder) adds it here, so that no icon shows as broken. */
static void
add_bundled_icons (GtkWidget *widget)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (widget));
  g_auto (GStrv) paths = gtk_icon_theme_get_resource_path (theme);

  for (guint i = 0; paths && paths[i]; i++)
    if (g_str_has_prefix (paths[i], "/org/pcmbn/Logbook/icons"))
      return;
  gtk_icon_theme_add_resource_path (theme, "/org/pcmbn/Logbook/icons");
}

LogbookWindow *
logbook_window_new (GtkApplication *app, LogbookContext *context)
{
  LogbookWindow *self = g_object_new (LOGBOOK_TYPE_WINDOW, "application", app, NULL);

  add_bundled_icons (GTK_WIDGET (self));

  self->context = g_object_ref (context);
  restore_state (self);
  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request), NULL);
  g_signal_connect (context, "changed", G_CALLBACK (on_context_changed), self);
  g_signal_connect (context, "notify::profile", G_CALLBACK (on_prefs_changed), self);
  g_signal_connect (context, "notify::hide-counselling", G_CALLBACK (on_prefs_changed), self);
  if (logbook_context_get_initialized (context))
    show_main (self);
  else
    {
      LogbookFirstRun *first_run = logbook_first_run_new (context);
      g_signal_connect (first_run, "done", G_CALLBACK (on_first_run_done), self);
      adw_bin_set_child (self->setup_bin, GTK_WIDGET (first_run));
      gtk_stack_set_visible_child_name (self->root_stack, "setup");
      logbook_a11y_fix_tree (GTK_WIDGET (self));
    }
  logbook_key_notice_watch (GTK_WINDOW (self), logbook_context_get_store (context));
  return self;
}
