/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-overview-page"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-bar-chart.h"
#include "logbook-format.h"
#include "logbook-overview-page-private.h"
#include "report/pcmbn-indicators.h"
#include "report/pcmbn-report.h"

/* The commune at a glance: its indicators toward their targets, activities
 * per month, what waits to sync, what changed last. Everything is counted
 * in worker threads; the page draws first and fills in. */

typedef struct
{
  const char *key; /* the core's indicator table owns it */
  GtkWidget *value;
  GtkWidget *bar;
  GtkWidget *caption;
} Card;

struct _LogbookOverviewPage
{
  AdwBin parent_instance;

  LogbookContext *context;
  GCancellable *cancellable;
  GtkWidget *heading;
  GtkWidget *cards_box;
  GArray *cards; /* of Card: one per entry of the core's indicator table */
  GtkWidget *chart;
  GtkWidget *chart_title;
  GtkWidget *dirty_label;
  GtkWidget *recent_list;
  guint refresh_source;
  gint64 dirty;
  guint pending;
  gboolean loaded;
  gboolean stale;
  int year;
};

G_DEFINE_FINAL_TYPE (LogbookOverviewPage, logbook_overview_page, ADW_TYPE_BIN)

static void
report_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookOverviewPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode)
      report = logbook_context_report_finish (LOGBOOK_CONTEXT (source), result, &error);
  JsonObject *indicators;

  if (report == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot build the report: %s", error->message);
      return;
    }
  indicators = json_object_get_object_member (json_node_get_object (report), "indicators");
  for (guint i = 0; i < self->cards->len; i++)
    {
      Card *card = &g_array_index (self->cards, Card, i);
      const char *key = card->key;
      JsonObject *indicator = indicators ? json_object_get_object_member (indicators, key) : NULL;
      g_autofree char *value = logbook_format_indicator (key, indicator);
      g_autofree char *caption = NULL;
      if (indicator)
        caption = g_strdup_printf (
            "%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
            json_object_get_int_member_with_default (indicator, "numerator", 0),
            json_object_get_int_member_with_default (indicator, "denominator", 0));
      gtk_label_set_text (GTK_LABEL (card->value), value);
      gtk_label_set_text (GTK_LABEL (card->caption), caption ? caption : "");
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (card->bar),
                                     logbook_indicator_progress (key, indicator));
    }
  if (--self->pending == 0)
    self->loaded = TRUE;
}

static void
overview_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookOverviewPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LogbookOverviewData)
      data = logbook_context_overview_finish (LOGBOOK_CONTEXT (source), result, &error);
  GtkWidget *child;
  g_autofree char *dirty = NULL;

  if (data == NULL)
    return;
  logbook_bar_chart_set_values (LOGBOOK_BAR_CHART (self->chart), data->months);
  self->dirty = data->dirty;
  dirty = logbook_format_count (data->dirty);
  gtk_label_set_text (GTK_LABEL (self->dirty_label), dirty);
  while ((child = gtk_widget_get_first_child (self->recent_list)))
    gtk_list_box_remove (GTK_LIST_BOX (self->recent_list), child);
  for (guint i = 0; i < data->recent->len; i++)
    {
      PcmbnRecord *record = data->recent->pdata[i];
      const PcmbnKind *kind = pcmbn_record_get_kind (record);
      g_autofree char *title = logbook_record_headline (kind, pcmbn_record_get_data (record));
      g_autofree char *date = logbook_date_to_display (pcmbn_record_get_date (record));
      g_autofree char *subtitle = g_strdup_printf (
          "%s · %s · %s", pcmbn_kind_label (kind), date,
          logbook_state_label (pcmbn_record_get_state (record)));
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *escaped = g_markup_escape_text (title, -1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (GTK_LIST_BOX (self->recent_list), row);
    }
  if (data->recent->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Nothing recorded yet"));
      gtk_list_box_append (GTK_LIST_BOX (self->recent_list), row);
    }
  if (--self->pending == 0)
    self->loaded = TRUE;
}

void
logbook_overview_page_refresh (LogbookOverviewPage *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *heading = NULL;
  g_autofree char *chart_title = NULL;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (!logbook_context_get_initialized (self->context))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->year = g_date_time_get_year (now);
  heading = g_strdup_printf (_ ("Indicators for %d"), self->year);
  gtk_label_set_text (GTK_LABEL (self->heading), heading);
  chart_title = g_strdup_printf (_ ("Activities per month, %d"), self->year);
  gtk_label_set_text (GTK_LABEL (self->chart_title), chart_title);
  self->loaded = FALSE;
  self->stale = FALSE;
  self->pending = 2;
  logbook_context_report_async (self->context, self->year, self->cancellable, report_done, self);
  logbook_context_overview_async (self->context, self->year, self->cancellable, overview_done,
                                  self);
}

static gboolean
refresh_cb (gpointer user_data)
{
  LogbookOverviewPage *self = user_data;

  self->refresh_source = 0;
  logbook_overview_page_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
on_changed (LogbookContext *context, const char *kind, LogbookOverviewPage *self)
{
  /* A hidden overview is counted again when it is shown: the report walks
   * every record, and a save in a list must not wait for it. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->stale = TRUE;
      return;
    }
  /* Many changes at once (an import, a sync) refresh once. */
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (300, refresh_cb, self);
}

static GtkWidget *
label_with (const char *text, const char *css)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  if (css)
    gtk_widget_add_css_class (label, css);
  return label;
}

/* One card per indicator of the core's table (pcmbn-indicators.c), in its
 * order: a new indicator there is a new card here, with nothing to add. */
static void
add_indicator_cards (LogbookOverviewPage *self, GtkWidget *flow)
{
  guint n_indicators;
  const PcmbnIndicator *indicators = pcmbn_indicators (&n_indicators);

  self->cards = g_array_sized_new (FALSE, TRUE, sizeof (Card), n_indicators);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow), MAX (n_indicators, 1));
  for (guint i = 0; i < n_indicators; i++)
    {
      const char *heading = logbook_indicator_title (indicators[i].key);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
      GtkWidget *title = label_with (heading, "caption-heading");
      Card card = { .key = indicators[i].key };

      gtk_widget_add_css_class (box, "card");
      gtk_widget_add_css_class (box, "indicator-card");
      gtk_label_set_lines (GTK_LABEL (title), 2);
      card.value = label_with ("…", "title-3");
      card.bar = gtk_progress_bar_new ();
      card.caption = label_with ("", "caption");
      gtk_widget_add_css_class (card.caption, "dim-label");
      gtk_widget_set_vexpand (title, TRUE);
      gtk_widget_set_valign (title, GTK_ALIGN_START);
      gtk_accessible_update_property (GTK_ACCESSIBLE (card.bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      heading, -1);
      gtk_box_append (GTK_BOX (box), title);
      gtk_box_append (GTK_BOX (box), card.value);
      gtk_box_append (GTK_BOX (box), card.bar);
      gtk_box_append (GTK_BOX (box), card.caption);
      gtk_flow_box_append (GTK_FLOW_BOX (flow), box);
      gtk_widget_set_focusable (gtk_widget_get_parent (box), FALSE);
      g_array_append_val (self->cards, card);
    }
}

static void
logbook_overview_page_map (GtkWidget *widget)
{
  LogbookOverviewPage *self = LOGBOOK_OVERVIEW_PAGE (widget);

  GTK_WIDGET_CLASS (logbook_overview_page_parent_class)->map (widget);
  if (self->stale)
    logbook_overview_page_refresh (self);
}

static void
logbook_overview_page_dispose (GObject *object)
{
  LogbookOverviewPage *self = LOGBOOK_OVERVIEW_PAGE (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_overview_page_parent_class)->dispose (object);
}

static void
logbook_overview_page_finalize (GObject *object)
{
  LogbookOverviewPage *self = LOGBOOK_OVERVIEW_PAGE (object);

  g_clear_pointer (&self->cards, g_array_unref);
  G_OBJECT_CLASS (logbook_overview_page_parent_class)->finalize (object);
}

static void
logbook_overview_page_class_init (LogbookOverviewPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = logbook_overview_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = logbook_overview_page_finalize;
  widget_class->map = logbook_overview_page_map;
  g_type_ensure (LOGBOOK_TYPE_BAR_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookOverviewPage, heading);
  gtk_widget_class_bind_template_child (widget_class, LogbookOverviewPage, cards_box);
  gtk_widget_class_bind_template_child (widget_class, LogbookOverviewPage, chart_title);
  gtk_widget_class_bind_template_child (widget_class, LogbookOverviewPage, chart);
  gtk_widget_class_bind_template_child (widget_class, LogbookOverviewPage, dirty_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookOverviewPage, recent_list);
}

static void
logbook_overview_page_init (LogbookOverviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* One card per entry of the core's indicator table, so these are made
   * here rather than in the template. */
  add_indicator_cards (self, self->cards_box);
}

LogbookOverviewPage *
logbook_overview_page_new (LogbookContext *context)
{
  LogbookOverviewPage *self = g_object_new (LOGBOOK_TYPE_OVERVIEW_PAGE, NULL);

  self->context = g_object_ref (context);
  g_signal_connect (context, "changed", G_CALLBACK (on_changed), self);
  /* The window starts the first count after its first frame. */
  return self;
}

gboolean
logbook_overview_page_get_loaded (LogbookOverviewPage *self)
{
  return self->loaded;
}

gint64
logbook_overview_page_get_dirty (LogbookOverviewPage *self)
{
  return self->dirty;
}
