/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-window"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-reports-page.h"
#include "logbook-window.h"

/* The main window: a sidebar of sections and the section's page, in a
 * leaflet that folds into one column on a narrow screen. */

typedef struct
{
  const char *name;
  const char *icon;
  const char *label;
} Section;

static const Section sections[] = {
  { "overview", "view-grid-symbolic", N_("Overview") },
  { "activity", "audio-volume-high-symbolic", N_("Activities") },
  { "training", "system-users-symbolic", N_("Trainings") },
  { "models", "emblem-shared-symbolic", N_("Models") },
  { "counselling", "chat-symbolic", N_("Counselling") },
  { "material", "x-office-document-symbolic", N_("Materials") },
  { "reports", "x-office-spreadsheet-symbolic", N_("Reports") },
};

/* The profile decides the order: the officer's daily work first. */
static const char *const culture_order[] = { "overview", "activity", "material", "training", "models",
                                             "counselling", "reports", NULL };
static const char *const womens_union_order[] = { "overview", "counselling", "models", "activity",
                                                  "training", "material", "reports", NULL };

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

  LogbookContext *context;
  LogbookOverviewPage *overview;
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

void
logbook_window_add_toast (LogbookWindow *self, AdwToast *toast)
{
  g_set_object (&self->last_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (toast));
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
update_sync_label (LogbookWindow *self)
{
  gint64 dirty = logbook_context_get_initialized (self->context) ? logbook_context_count_dirty (self->context) : 0;
  g_autofree char *text = NULL;

  if (dirty == 0)
    text = g_strdup (_("Everything is synced"));
  else
    text = g_strdup_printf (g_dngettext (NULL, "%" G_GINT64_FORMAT " record waiting to sync",
                                         "%" G_GINT64_FORMAT " records waiting to sync", dirty),
                            dirty);
  gtk_label_set_text (self->sync_label, text);
}

static void
on_context_changed (LogbookContext *context, const char *kind, LogbookWindow *self)
{
  update_sync_label (self);
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
  adw_window_title_set_title (self->content_title, _(section->label));
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
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, LogbookWindow *self)
{
  if (!self->rebuilding)
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
  const char *const *order = g_str_equal (profile, "womens-union") ? womens_union_order : culture_order;
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
      GtkWidget *label = gtk_label_new (_(section->label));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (section->icon));
      gtk_box_append (GTK_BOX (box), label);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_widget_set_name (row, section->name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, _(section->label), -1);
      if (g_str_equal (section->name, "counselling") && hide_counselling)
        gtk_widget_set_visible (row, FALSE);
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

static GtkWidget *
add_record_page (LogbookWindow *self, const char *kind)
{
  LogbookRecordPage *page = logbook_record_page_new (self->context, kind);

  g_signal_connect (page, "show-toast", G_CALLBACK (on_page_toast), self);
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
  gtk_stack_page_set_title (page, _("Models"));
  page = gtk_stack_add_named (self->models_stack, add_record_page (self, "model-meeting"), "model-meeting");
  gtk_stack_page_set_title (page, _("Meetings"));
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), self->models_stack);
  gtk_widget_set_halign (switcher, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (switcher, 8);
  gtk_box_append (GTK_BOX (models_box), switcher);
  gtk_box_append (GTK_BOX (models_box), GTK_WIDGET (self->models_stack));
  gtk_stack_add_named (self->content_stack, models_box, "models");

  gtk_stack_add_named (self->content_stack, add_record_page (self, "counselling"), "counselling");
  gtk_stack_add_named (self->content_stack, add_record_page (self, "material"), "material");
  gtk_stack_add_named (self->content_stack, GTK_WIDGET (logbook_reports_page_new (self->context)), "reports");
}

static void
start_counting (LogbookWindow *self)
{
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
  g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint", G_CALLBACK (on_after_paint), self, 0);
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
  if (gtk_widget_get_realized (GTK_WIDGET (self)))
    start_counting (self);
  else
    g_signal_connect (self, "realize", G_CALLBACK (on_realize), self);
}

static void
on_first_run_done (LogbookFirstRun *first_run, LogbookWindow *self)
{
  show_main (self);
  logbook_window_add_toast (self, adw_toast_new (_("Your logbook is ready")));
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
      logbook_window_show_section (self, g_str_equal (profile, "womens-union") && !logbook_context_get_hide_counselling (self->context)
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
  gtk_widget_class_set_template_from_resource (widget_class, "/org/pcmbn/Logbook/ui/logbook-window.ui");
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

  gtk_widget_class_install_action (widget_class, "win.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save", NULL);
}

static void
logbook_window_init (LogbookWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->record_pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (self->sidebar_list, "row-activated", G_CALLBACK (on_row_activated), self);
}

LogbookWindow *
logbook_window_new (GtkApplication *app, LogbookContext *context)
{
  LogbookWindow *self = g_object_new (LOGBOOK_TYPE_WINDOW, "application", app, NULL);

  self->context = g_object_ref (context);
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
    }
  return self;
}
