/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-first-run"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-a11y.h"
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
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = logbook_first_run_dispose;
  signals[DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-first-run.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookFirstRun, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LogbookFirstRun, results);
  gtk_widget_class_bind_template_child (widget_class, LogbookFirstRun, culture_check);
  gtk_widget_class_bind_template_child (widget_class, LogbookFirstRun, womens_union_check);
  gtk_widget_class_bind_template_child (widget_class, LogbookFirstRun, start_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookFirstRun, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_search_key);
  gtk_widget_class_bind_template_callback (widget_class, on_row_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_start);
}

static void
logbook_first_run_init (LogbookFirstRun *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The profile check boxes are named and labelled by their rows: one name. */
  logbook_a11y_fix_tree (GTK_WIDGET (self));
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
