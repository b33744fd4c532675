/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-first-run"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-first-run-private.h"

/* The first start: which commune this logbook belongs to, and who uses it.
 * Nothing is written until the person presses Start. */

struct _LogbookFirstRun
{
  AdwBin parent_instance;

  LogbookContext *context;
  GtkWidget *search_entry;
  GtkWidget *results;
  GtkWidget *culture_check;
  GtkWidget *womens_union_check;
  GtkWidget *start_button;
  GtkWidget *error_label;
  char *code;
};

G_DEFINE_FINAL_TYPE (LogbookFirstRun, logbook_first_run, ADW_TYPE_BIN)

enum
{
  DONE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
update_start (LogbookFirstRun *self)
{
  gtk_widget_set_sensitive (self->start_button, self->code != NULL);
}

static void
on_search_changed (GtkSearchEntry *entry, LogbookFirstRun *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autoptr (GPtrArray) units = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->results)))
    gtk_list_box_remove (GTK_LIST_BOX (self->results), child);
  g_clear_pointer (&self->code, g_free);
  update_start (self);
  if (*query == '\0')
    {
      gtk_widget_set_visible (self->results, FALSE);
      return;
    }
  units = logbook_context_find_communes (self->context, query, 8);
  for (guint i = 0; i < units->len; i++)
    {
      PcmbnOrgUnit *unit = units->pdata[i];
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *mark = gtk_image_new_from_icon_name ("object-select-symbolic");
      g_autofree char *parent = logbook_context_dup_parent_name (self->context, unit->code);
      /* The unit above tells "Vạn Phúc" from "Vân Phúc". */
      g_autofree char *subtitle = parent
                                      ? g_strdup_printf ("%s · %s · %s",
                                                         unit->full_name ? unit->full_name
                                                                         : unit->name,
                                                         parent, unit->code)
                                      : g_strdup_printf (
                                          "%s · %s", unit->full_name ? unit->full_name : unit->name,
                                          unit->code);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), unit->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      /* The chosen commune shows a check mark as well as the highlight. */
      gtk_widget_add_css_class (mark, "chosen-mark");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), mark);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "code", g_strdup (unit->code), g_free);
      gtk_list_box_append (GTK_LIST_BOX (self->results), row);
    }
  if (units->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("No commune has this name"));
      gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_list_box_append (GTK_LIST_BOX (self->results), row);
    }
  gtk_widget_set_visible (self->results, TRUE);
}

static void
on_row_selected (GtkListBox *box, GtkListBoxRow *row, LogbookFirstRun *self)
{
  g_clear_pointer (&self->code, g_free);
  if (row)
    self->code = g_strdup (g_object_get_data (G_OBJECT (row), "code"));
  update_start (self);
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, LogbookFirstRun *self)
{
  gtk_list_box_select_row (box, row);
  gtk_widget_grab_focus (self->culture_check);
}

/* Enter in the search picks the first match, as a launcher does. */
static void
on_search_activate (GtkSearchEntry *entry, LogbookFirstRun *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->results), 0);

  if (first && g_object_get_data (G_OBJECT (first), "code"))
    on_row_activated (GTK_LIST_BOX (self->results), first, self);
}

/* Down moves from the search into the results. */
static gboolean
on_search_key (GtkEventControllerKey *controller,
               guint keyval,
               guint keycode,
               GdkModifierType state,
               LogbookFirstRun *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->results), 0);

  if ((keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down) || first == NULL
      || !gtk_widget_get_visible (self->results))
    return FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (first));
  return TRUE;
}

static void
on_start (GtkButton *button, LogbookFirstRun *self)
{
  g_autoptr (GError) error = NULL;
  const char *profile = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->womens_union_check))
                            ? "womens-union"
                            : "culture";

  if (self->code == NULL)
    return;
  if (!logbook_context_init_commune (self->context, self->code, profile, &error))
    {
      gtk_label_set_text (GTK_LABEL (self->error_label), error->message);
      gtk_widget_set_visible (self->error_label, TRUE);
      return;
    }
  g_signal_emit (self, signals[DONE], 0);
}

static GtkWidget *
profile_row (GtkWidget **check, GtkWidget *group_with, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  *check = gtk_check_button_new ();
  if (group_with)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (*check), GTK_CHECK_BUTTON (group_with));
  gtk_accessible_update_property (GTK_ACCESSIBLE (*check), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), *check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), *check);
  return row;
}

static void
logbook_first_run_dispose (GObject *object)
{
  LogbookFirstRun *self = LOGBOOK_FIRST_RUN (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->code, g_free);
  G_OBJECT_CLASS (logbook_first_run_parent_class)->dispose (object);
}

static void
logbook_first_run_class_init (LogbookFirstRunClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = logbook_first_run_dispose;
  signals[DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 0);
}

static void
logbook_first_run_init (LogbookFirstRun *self)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *status = adw_status_page_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *profiles = adw_preferences_group_new ();
  GtkWidget *heading = gtk_label_new (_ ("Your commune"));

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "x-office-address-book-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (status), _ ("Welcome to the PCMBN Logbook"));
  adw_status_page_set_description (
      ADW_STATUS_PAGE (status),
      _ ("Choose the commune this logbook belongs to. Everything stays on this computer until you sync with the server."));
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 520);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (box), heading);

  self->search_entry = gtk_search_entry_new ();
  g_object_set (self->search_entry, "placeholder-text", _ ("Name of your commune, e.g. phuc xa"),
                NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search_entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Find your commune"), -1);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (on_search_activate), self);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();
    g_signal_connect (keys, "key-pressed", G_CALLBACK (on_search_key), self);
    gtk_widget_add_controller (self->search_entry, keys);
  }
  gtk_box_append (GTK_BOX (box), self->search_entry);

  self->results = gtk_list_box_new ();
  gtk_widget_add_css_class (self->results, "boxed-list");
  gtk_widget_add_css_class (self->results, "commune-results");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->results), GTK_SELECTION_SINGLE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->results), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Communes found"), -1);
  gtk_widget_set_visible (self->results, FALSE);
  g_signal_connect (self->results, "row-selected", G_CALLBACK (on_row_selected), self);
  g_signal_connect (self->results, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_box_append (GTK_BOX (box), self->results);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (profiles), _ ("Who uses this logbook"));
  adw_preferences_group_set_description (
      ADW_PREFERENCES_GROUP (profiles),
      _ ("This decides which sections come first. All stay reachable."));
  gtk_widget_set_margin_top (profiles, 12);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (profiles),
                             profile_row (&self->culture_check, NULL,
                                          _ ("Culture-information officer"),
                                          _ ("Communication activities, materials, trainings")));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (profiles),
                             profile_row (&self->womens_union_check, self->culture_check,
                                          _ ("Women’s Union branch"),
                                          _ ("Counselling, models and their meetings")));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->culture_check), TRUE);
  gtk_box_append (GTK_BOX (box), profiles);

  self->error_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->error_label), TRUE);
  gtk_widget_add_css_class (self->error_label, "error");
  gtk_widget_set_visible (self->error_label, FALSE);
  gtk_box_append (GTK_BOX (box), self->error_label);

  self->start_button = gtk_button_new_with_mnemonic (_ ("_Start"));
  gtk_widget_add_css_class (self->start_button, "pill");
  gtk_widget_add_css_class (self->start_button, "suggested-action");
  gtk_widget_set_halign (self->start_button, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (self->start_button, 12);
  gtk_widget_set_margin_bottom (self->start_button, 12);
  g_signal_connect (self->start_button, "clicked", G_CALLBACK (on_start), self);
  update_start (self);

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  adw_status_page_set_child (ADW_STATUS_PAGE (status), clamp);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), status);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  /* Start stays below the scrolled part, whole at 1024×720 and on a
   * netbook: it was half off-screen at the end of the page. */
  {
    GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
    gtk_box_append (GTK_BOX (page), scroller);
    gtk_box_append (GTK_BOX (page), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
    gtk_box_append (GTK_BOX (page), self->start_button);
    adw_bin_set_child (ADW_BIN (self), page);
  }
}

LogbookFirstRun *
logbook_first_run_new (LogbookContext *context)
{
  LogbookFirstRun *self = g_object_new (LOGBOOK_TYPE_FIRST_RUN, NULL);

  self->context = g_object_ref (context);
  return self;
}

GtkWidget *
logbook_first_run_get_search_entry (LogbookFirstRun *self)
{
  return self->search_entry;
}

GtkWidget *
logbook_first_run_get_results (LogbookFirstRun *self)
{
  return self->results;
}

GtkWidget *
logbook_first_run_get_profile_check (LogbookFirstRun *self, const char *profile)
{
  return g_strcmp0 (profile, "womens-union") == 0 ? self->womens_union_check : self->culture_check;
}

GtkWidget *
logbook_first_run_get_start_button (LogbookFirstRun *self)
{
  return self->start_button;
}
