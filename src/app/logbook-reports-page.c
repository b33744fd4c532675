/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-reports-page"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-format.h"
#include "logbook-reports-page.h"
#include "pcmbn-report.h"

/* The commune's report for a chosen year, as a table of the indicators and
 * of activities by type. File exports come from the core later. */

struct _LogbookReportsPage
{
  AdwBin parent_instance;

  LogbookContext *context;
  GCancellable *cancellable;
  GtkWidget *year_spin;
  GtkWidget *grid;
  GtkWidget *activities_grid;
};

G_DEFINE_FINAL_TYPE (LogbookReportsPage, logbook_reports_page, ADW_TYPE_BIN)

static GtkWidget *
cell (const char *text, gboolean header, float xalign)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  if (header)
    gtk_widget_add_css_class (label, "heading");
  return label;
}

static void
clear_grid (GtkWidget *grid)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (grid)))
    gtk_grid_remove (GTK_GRID (grid), child);
}

static char *
number_text (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return g_strdup_printf ("%.2f", json_node_get_double (node));
  return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
}

static void
report_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookReportsPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) report = logbook_context_report_finish (LOGBOOK_CONTEXT (source), result, &error);
  JsonObject *root, *indicators, *tables;
  JsonArray *activities;
  const char *headers[] = { N_("Indicator"), N_("Value"), N_("Numerator"), N_("Denominator"), N_("Target") };
  const char *members[] = { "value", "numerator", "denominator", "target" };
  const char *act_headers[] = { N_("Activity type"), N_("Count"), N_("Participants"), N_("Female"), N_("Aged 14–60") };
  const char *act_members[] = { "count", "participants_total", "participants_female", "participants_14_60" };
  const PcmbnCatalogue *types = pcmbn_catalogue_lookup ("activity_type");

  if (report == NULL)
    return;
  root = json_node_get_object (report);
  indicators = json_object_get_object_member (root, "indicators");
  clear_grid (self->grid);
  for (int c = 0; c < 5; c++)
    gtk_grid_attach (GTK_GRID (self->grid), cell (_(headers[c]), TRUE, c ? 1 : 0), c, 0, 1, 1);
  for (int i = 0; pcmbn_indicator_keys[i]; i++)
    {
      JsonObject *ind = json_object_get_object_member (indicators, pcmbn_indicator_keys[i]);
      gtk_grid_attach (GTK_GRID (self->grid), cell (logbook_indicator_title (pcmbn_indicator_keys[i]), FALSE, 0), 0, i + 1, 1, 1);
      for (int c = 0; c < 4 && ind; c++)
        {
          g_autofree char *text = number_text (ind, members[c]);
          gtk_grid_attach (GTK_GRID (self->grid), cell (text, FALSE, 1), c + 1, i + 1, 1, 1);
        }
    }
  clear_grid (self->activities_grid);
  tables = json_object_get_object_member (root, "tables");
  activities = tables && json_object_has_member (tables, "activities_by_type")
                 ? json_object_get_array_member (tables, "activities_by_type")
                 : NULL;
  for (int c = 0; c < 5; c++)
    gtk_grid_attach (GTK_GRID (self->activities_grid), cell (_(act_headers[c]), TRUE, c ? 1 : 0), c, 0, 1, 1);
  for (guint r = 0; activities && r < json_array_get_length (activities); r++)
    {
      JsonObject *row = json_array_get_object_element (activities, r);
      const char *code = json_object_get_string_member_with_default (row, "activity_type", "");
      gtk_grid_attach (GTK_GRID (self->activities_grid),
                       cell (pcmbn_catalogue_label (types, code), FALSE, 0), 0, r + 1, 1, 1);
      for (int c = 0; c < 4; c++)
        {
          g_autofree char *text = number_text (row, act_members[c]);
          gtk_grid_attach (GTK_GRID (self->activities_grid), cell (text, FALSE, 1), c + 1, r + 1, 1, 1);
        }
    }
}

static void
refresh (LogbookReportsPage *self)
{
  if (!logbook_context_get_initialized (self->context))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  logbook_context_report_async (self->context,
                                gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->year_spin)),
                                self->cancellable, report_done, self);
}

static void
on_year_changed (GtkSpinButton *spin, LogbookReportsPage *self)
{
  refresh (self);
}

static void
logbook_reports_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (logbook_reports_page_parent_class)->map (widget);
  refresh (LOGBOOK_REPORTS_PAGE (widget));
}

static void
logbook_reports_page_dispose (GObject *object)
{
  LogbookReportsPage *self = LOGBOOK_REPORTS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_reports_page_parent_class)->dispose (object);
}

static void
logbook_reports_page_class_init (LogbookReportsPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = logbook_reports_page_dispose;
  GTK_WIDGET_CLASS (klass)->map = logbook_reports_page_map;
}

static GtkWidget *
new_table (void)
{
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_widget_add_css_class (grid, "card");
  gtk_widget_add_css_class (grid, "indicator-card");
  return grid;
}

static void
logbook_reports_page_init (LogbookReportsPage *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *year_label = gtk_label_new_with_mnemonic (_("_Year"));
  GtkWidget *title = gtk_label_new (_("Activities by type"));

  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  self->year_spin = gtk_spin_button_new_with_range (2016, 2100, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->year_spin), g_date_time_get_year (now));
  gtk_label_set_mnemonic_widget (GTK_LABEL (year_label), self->year_spin);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->year_spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Year of the report"), -1);
  g_signal_connect (self->year_spin, "value-changed", G_CALLBACK (on_year_changed), self);
  gtk_box_append (GTK_BOX (bar), year_label);
  gtk_box_append (GTK_BOX (bar), self->year_spin);
  gtk_box_append (GTK_BOX (box), bar);
  self->grid = new_table ();
  gtk_box_append (GTK_BOX (box), self->grid);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);
  self->activities_grid = new_table ();
  gtk_box_append (GTK_BOX (box), self->activities_grid);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  adw_bin_set_child (ADW_BIN (self), scroller);
}

LogbookReportsPage *
logbook_reports_page_new (LogbookContext *context)
{
  LogbookReportsPage *self = g_object_new (LOGBOOK_TYPE_REPORTS_PAGE, NULL);
  self->context = g_object_ref (context);
  return self;
}
