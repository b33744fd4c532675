/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-reports-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "logbook-format.h"
#include "logbook-a11y.h"
#include "logbook-reports-page-private.h"
#include "report/pcmbn-report-preview.h"
#include "report/pcmbn-report.h"
#include "pcmbn-util.h"

/* The commune's report for a year or a period: the indicators against
 * their targets, met or not, and the report's tables, exactly as the
 * exported files show them. Exports run in a worker thread with a progress
 * bar; the file can be opened when it is written. */

struct _LogbookReportsPage
{
  AdwBin parent_instance;

  LogbookContext *context;
  GCancellable *cancellable;        /* the preview */
  GCancellable *export_cancellable; /* the export */
  GtkWidget *mode_dropdown;
  GtkWidget *year_spin;
  GtkWidget *range_box;
  GtkWidget *from_entry;
  GtkWidget *to_entry;
  GtkLabel *message_label;
  GtkWidget *export_bar;
  GtkWidget *export_buttons[4];
  GtkWidget *progress_revealer;
  GtkProgressBar *progress_bar;
  GtkWidget *cancel_button;
  GtkWidget *tables_box;
  GtkWidget *loading;

  JsonNode *report;
  JsonNode *preview;
  GFile *last_export;
  GtkFileChooserNative *chooser;
  gboolean loaded;
};

G_DEFINE_FINAL_TYPE (LogbookReportsPage, logbook_reports_page, ADW_TYPE_BIN)

enum
{
  SHOW_TOAST,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static const char *const extensions[] = { "json", "csv", "pdf", "xlsx" };

static void
emit_toast (LogbookReportsPage *self, AdwToast *toast)
{
  g_signal_emit (self, signals[SHOW_TOAST], 0, toast);
  g_object_unref (toast);
}

static void
set_message (LogbookReportsPage *self, const char *text)
{
  gtk_label_set_text (self->message_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), text != NULL);
}

/* ---- preview ------------------------------------------------------------ */

static GtkWidget *
cell_label (const char *text, gboolean header, gboolean number)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), number ? 1 : 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), !header);
  gtk_widget_set_can_focus (label, FALSE);
  if (header)
    gtk_widget_add_css_class (label, "heading");
  return label;
}

static void
show_preview (LogbookReportsPage *self)
{
  GtkWidget *child;
  JsonArray *tables = json_node_get_array (self->preview);

  while ((child = gtk_widget_get_first_child (self->tables_box)))
    gtk_box_remove (GTK_BOX (self->tables_box), child);
  for (guint t = 0; t < json_array_get_length (tables); t++)
    {
      JsonObject *table = json_array_get_object_element (tables, t);
      JsonArray *columns = json_object_get_array_member (table, "columns");
      JsonArray *rows = json_object_get_array_member (table, "rows");
      gboolean has_total = json_object_get_boolean_member_with_default (table, "has_total", FALSE);
      GtkWidget *title = gtk_label_new (json_object_get_string_member (table, "title"));
      GtkWidget *grid = gtk_grid_new ();
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_label_set_wrap (GTK_LABEL (title), TRUE);
      gtk_widget_add_css_class (title, "heading");
      gtk_widget_set_margin_top (title, 12);
      gtk_box_append (GTK_BOX (self->tables_box), title);
      gtk_widget_set_name (grid, json_object_get_string_member (table, "key"));
      gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
      gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
      gtk_widget_add_css_class (grid, "report-table");
      gtk_accessible_update_property (GTK_ACCESSIBLE (grid), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      json_object_get_string_member (table, "title"), -1);
      for (guint c = 0; c < json_array_get_length (columns); c++)
        gtk_grid_attach (GTK_GRID (grid),
                         cell_label (json_array_get_string_element (columns, c), TRUE, c > 0), c, 0,
                         1, 1);
      for (guint r = 0; r < json_array_get_length (rows); r++)
        {
          JsonArray *row = json_array_get_array_element (rows, r);
          for (guint c = 0; c < json_array_get_length (row); c++)
            {
              JsonObject *cell = json_array_get_object_element (row, c);
              const char *mark = json_object_get_string_member_with_default (cell, "mark", NULL);
              g_autofree char *text = mark
                                          ? g_strdup_printf (
                                              "%s %s", g_str_equal (mark, "met") ? "✓" : "✗",
                                              json_object_get_string_member (cell, "text"))
                                          : g_strdup (json_object_get_string_member (cell, "text"));
              GtkWidget *label = cell_label (
                  text, FALSE, json_object_get_boolean_member_with_default (cell, "number", FALSE));
              if (mark)
                gtk_widget_add_css_class (label, g_str_equal (mark, "met") ? "success" : "error");
              if (has_total && r + 1 == json_array_get_length (rows))
                gtk_widget_add_css_class (label, "heading");
              gtk_grid_attach (GTK_GRID (grid), label, c, r + 1, 1, 1);
            }
        }
      /* Labels wrap, so that a table fits a narrow window. */
      gtk_widget_add_css_class (grid, "card");
      gtk_widget_add_css_class (grid, "indicator-card");
      gtk_box_append (GTK_BOX (self->tables_box), grid);
    }
}

static void
report_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode)
      report = logbook_context_report_finish (LOGBOOK_CONTEXT (source), result, &error);
  LogbookReportsPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  gtk_widget_set_visible (self->loading, FALSE);
  if (report == NULL)
    {
      set_message (self, error->message);
      return;
    }
  g_clear_pointer (&self->preview, json_node_unref);
  self->preview = pcmbn_report_preview (report, &error);
  if (self->preview == NULL)
    {
      set_message (self, error->message);
      return;
    }
  g_clear_pointer (&self->report, json_node_unref);
  self->report = g_steal_pointer (&report);
  show_preview (self);
  self->loaded = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (self->export_buttons); i++)
    gtk_widget_set_sensitive (self->export_buttons[i], TRUE);
}

/* The period the selector shows, or %FALSE with the reason shown. */
static gboolean
get_period (LogbookReportsPage *self, char **from, char **to)
{
  g_autoptr (GError) error = NULL;

  if (gtk_drop_down_get_selected (GTK_DROP_DOWN (self->mode_dropdown)) == 0)
    {
      g_autofree char *year = g_strdup_printf (
          "%d", gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->year_spin)));
      if (!pcmbn_report_parse_period (year, NULL, NULL, from, to, &error))
        {
          set_message (self, error->message);
          return FALSE;
        }
    }
  else
    {
      const char *from_text = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));
      const char *to_text = gtk_editable_get_text (GTK_EDITABLE (self->to_entry));
      g_autofree char *from_iso = logbook_date_parse_input (from_text);
      g_autofree char *to_iso = logbook_date_parse_input (to_text);

      gtk_widget_remove_css_class (self->from_entry, "error");
      gtk_widget_remove_css_class (self->to_entry, "error");
      if (from_iso == NULL || to_iso == NULL)
        {
          if (from_iso == NULL)
            gtk_widget_add_css_class (self->from_entry, "error");
          if (to_iso == NULL)
            gtk_widget_add_css_class (self->to_entry, "error");
          set_message (self, _ ("Write the first and the last day of the period as dd/mm/yyyy."));
          return FALSE;
        }
      /* The core's message names its option ("to: …") for the CLI; a
       * person here sees the two boxes. */
      if (pcmbn_date_parse (to_iso) < pcmbn_date_parse (from_iso))
        {
          g_autofree char *first = logbook_date_to_input (from_iso);
          g_autofree char *text = g_strdup_printf (
              _ ("The last day of the period comes before its first day, %s."), first);
          gtk_widget_add_css_class (self->to_entry, "error");
          set_message (self, text);
          return FALSE;
        }
      if (!pcmbn_report_parse_period (NULL, from_iso, to_iso, from, to, &error))
        {
          gtk_widget_add_css_class (self->to_entry, "error");
          set_message (self, error->message);
          return FALSE;
        }
    }
  set_message (self, NULL);
  return TRUE;
}

/**
 * logbook_reports_page_refresh:
 * @self: the page
 *
 * Builds the report of the chosen period again, in a worker thread.
 */
void
logbook_reports_page_refresh (LogbookReportsPage *self)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  if (!logbook_context_get_initialized (self->context))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->loaded = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (self->export_buttons); i++)
    gtk_widget_set_sensitive (self->export_buttons[i], FALSE);
  if (!get_period (self, &from, &to))
    return;
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_visible (self->loading, TRUE);
  logbook_context_report_range_async (self->context, from, to, self->cancellable, report_done,
                                      self);
}

static void
on_period_changed (LogbookReportsPage *self)
{
  gboolean range = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->mode_dropdown)) == 1;

  gtk_widget_set_visible (self->year_spin, !range);
  gtk_widget_set_visible (self->range_box, range);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    logbook_reports_page_refresh (self);
}

/* A typed period applies once both days are dates; Enter says what is
 * wrong with a half-typed one. */
static void
on_date_typed (LogbookReportsPage *self)
{
  g_autofree char *from = logbook_date_parse_input (
      gtk_editable_get_text (GTK_EDITABLE (self->from_entry)));
  g_autofree char *to = logbook_date_parse_input (
      gtk_editable_get_text (GTK_EDITABLE (self->to_entry)));

  if (from && to && gtk_widget_get_mapped (GTK_WIDGET (self)))
    logbook_reports_page_refresh (self);
}

/* ---- export ------------------------------------------------------------- */

static void
on_progress (double fraction, gpointer user_data)
{
  LogbookReportsPage *self = user_data;

  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
}

static void
set_exporting (LogbookReportsPage *self, gboolean exporting)
{
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->progress_revealer), exporting);
  for (guint i = 0; i < G_N_ELEMENTS (self->export_buttons); i++)
    gtk_widget_set_sensitive (self->export_buttons[i], !exporting && self->loaded);
}

static void
export_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookReportsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = pcmbn_report_export_finish (result, &error);
  AdwToast *toast;

  g_clear_object (&self->export_cancellable);
  if (self->context == NULL)
    return;
  set_exporting (self, FALSE);
  if (bytes == NULL)
    {
      g_clear_object (&self->last_export);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_ ("The report was not saved: %s"),
                                                   error->message);
          set_message (self, text);
        }
      return;
    }
  set_message (self, NULL);
  toast = adw_toast_new (_ ("The report was saved"));
  adw_toast_set_button_label (toast, _ ("_Open"));
  adw_toast_set_action_name (toast, "reports.open-export");
  adw_toast_set_timeout (toast, 10);
  emit_toast (self, toast);
}

/**
 * logbook_reports_page_export_to:
 * @self: the page
 * @format: the file's format
 * @file: where to write it
 *
 * Writes the report shown to @file in a worker thread, with progress; a
 * toast then offers to open it.
 */
void
logbook_reports_page_export_to (LogbookReportsPage *self, PcmbnReportFormat format, GFile *file)
{
  if (self->report == NULL || self->export_cancellable)
    return;
  g_set_object (&self->last_export, file);
  self->export_cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  set_exporting (self, TRUE);
  pcmbn_report_export_async (self->report, format, file, on_progress, self, NULL,
                             self->export_cancellable, export_done, g_object_ref (self));
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, LogbookReportsPage *self)
{
  PcmbnReportFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "format"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      logbook_reports_page_export_to (self, format, file);
    }
  g_clear_object (&self->chooser);
}

static char *
suggested_name (LogbookReportsPage *self, PcmbnReportFormat format)
{
  JsonObject *root = json_node_get_object (self->report);
  JsonObject *period = json_object_get_object_member (root, "period");

  return logbook_report_file_name (
      json_object_get_string_member_with_default (root, "org_unit", ""),
      json_object_get_string_member_with_default (period, "from", ""),
      json_object_get_string_member_with_default (period, "to", ""), extensions[format]);
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookReportsPage *self = LOGBOOK_REPORTS_PAGE (widget);
  PcmbnReportFormat format;
  g_autofree char *file_name = NULL;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  GtkRoot *root = gtk_widget_get_root (widget);

  if (!pcmbn_report_format_from_string (g_variant_get_string (param, NULL), &format)
      || self->report == NULL || self->chooser)
    return;
  self->chooser = gtk_file_chooser_native_new (
      _ ("Save the Report"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));
  file_name = suggested_name (self, format);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), file_name);
  gtk_file_filter_add_mime_type (filter, pcmbn_report_format_content_type (format));
  gtk_file_filter_add_suffix (filter, extensions[format]);
  gtk_file_filter_set_name (filter, extensions[format]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "format", GINT_TO_POINTER (format));
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
open_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookReportsPage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) && self->context)
    {
      g_autofree char *text = g_strdup_printf (_ ("The report cannot be opened: %s"),
                                               error->message);
      set_message (self, text);
    }
}

static void
open_export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookReportsPage *self = LOGBOOK_REPORTS_PAGE (widget);
  g_autofree char *uri = NULL;

  if (self->last_export == NULL)
    return;
  uri = g_file_get_uri (self->last_export);
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, open_done, g_object_ref (self));
}

static void
cancel_export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookReportsPage *self = LOGBOOK_REPORTS_PAGE (widget);

  if (self->export_cancellable)
    g_cancellable_cancel (self->export_cancellable);
}

/* ---- widget ------------------------------------------------------------- */

static void
logbook_reports_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (logbook_reports_page_parent_class)->map (widget);
  logbook_reports_page_refresh (LOGBOOK_REPORTS_PAGE (widget));
}

static void
logbook_reports_page_dispose (GObject *object)
{
  LogbookReportsPage *self = LOGBOOK_REPORTS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->export_cancellable)
    g_cancellable_cancel (self->export_cancellable);
  if (self->chooser)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_reports_page_parent_class)->dispose (object);
}

static void
logbook_reports_page_finalize (GObject *object)
{
  LogbookReportsPage *self = LOGBOOK_REPORTS_PAGE (object);

  g_clear_object (&self->export_cancellable);
  g_clear_pointer (&self->report, json_node_unref);
  g_clear_pointer (&self->preview, json_node_unref);
  g_clear_object (&self->last_export);
  G_OBJECT_CLASS (logbook_reports_page_parent_class)->finalize (object);
}

static void
logbook_reports_page_class_init (LogbookReportsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = logbook_reports_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = logbook_reports_page_finalize;
  widget_class->map = logbook_reports_page_map;

  /**
   * LogbookReportsPage::show-toast:
   * @toast: the toast
   */
  signals[SHOW_TOAST] = g_signal_new ("show-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  gtk_widget_class_install_action (widget_class, "reports.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "reports.open-export", NULL, open_export_action);
  gtk_widget_class_install_action (widget_class, "reports.cancel-export", NULL,
                                   cancel_export_action);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-reports-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, mode_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, year_spin);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, range_box);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, from_entry);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, to_entry);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, loading);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, export_bar);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookReportsPage, tables_box);
  /* The export buttons, in the order of PcmbnReportFormat. */
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      g_autofree char *id = g_strdup_printf ("%s_button", extensions[i]);
      gtk_widget_class_bind_template_child_full (
          widget_class, id, FALSE,
          G_STRUCT_OFFSET (LogbookReportsPage, export_buttons) + i * sizeof (GtkWidget *));
    }
  gtk_widget_class_bind_template_callback (widget_class, on_period_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_date_typed);
}

static void
logbook_reports_page_init (LogbookReportsPage *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *first = g_date_time_format (now, "01/01/%Y");
  g_autofree char *today = g_date_time_format (now, "%d/%m/%Y");

  gtk_widget_init_template (GTK_WIDGET (self));
  logbook_a11y_name_drop_down (self->mode_dropdown, _ ("A year or a period"));
  /* Not mapped yet: these fill the selector without building a report. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->year_spin), g_date_time_get_year (now));
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), first);
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), today);
  /* Flow box children take the focus themselves; only the buttons should. */
  for (GtkWidget *child = gtk_widget_get_first_child (self->export_bar); child;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_focusable (child, FALSE);
}

LogbookReportsPage *
logbook_reports_page_new (LogbookContext *context)
{
  LogbookReportsPage *self = g_object_new (LOGBOOK_TYPE_REPORTS_PAGE, NULL);
  self->context = g_object_ref (context);
  return self;
}

gboolean
logbook_reports_page_get_loaded (LogbookReportsPage *self)
{
  return self->loaded;
}

gboolean
logbook_reports_page_get_exporting (LogbookReportsPage *self)
{
  return self->export_cancellable != NULL;
}

/**
 * logbook_reports_page_get_last_export:
 * @self: the page
 *
 * Returns: (transfer none) (nullable): the file last written
 */
GFile *
logbook_reports_page_get_last_export (LogbookReportsPage *self)
{
  return self->last_export;
}

/**
 * logbook_reports_page_get_message:
 * @self: the page
 *
 * Returns: (nullable): the problem shown (a period, a failed export)
 */
const char *
logbook_reports_page_get_message (LogbookReportsPage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->message_label))
             ? gtk_label_get_text (self->message_label)
             : NULL;
}

/**
 * logbook_reports_page_get_cell:
 * @self: the page
 * @table: a table's key ("indicators", "activities_by_type", …)
 * @row: a row, 0 for the column labels
 * @column: a column
 *
 * Returns: (transfer full) (nullable): the text shown there
 */
char *
logbook_reports_page_get_cell (LogbookReportsPage *self, const char *table, guint row, guint column)
{
  for (GtkWidget *grid = gtk_widget_get_first_child (self->tables_box); grid;
       grid = gtk_widget_get_next_sibling (grid))
    {
      GtkWidget *child;

      if (!GTK_IS_GRID (grid) || g_strcmp0 (gtk_widget_get_name (grid), table) != 0)
        continue;
      child = gtk_grid_get_child_at (GTK_GRID (grid), column, row);
      return child ? g_strdup (gtk_label_get_text (GTK_LABEL (child))) : NULL;
    }
  return NULL;
}

/**
 * logbook_reports_page_get_widget:
 * @self: the page
 * @name: "mode", "year", "from", "to", "progress", or a format's name for
 *   its export button
 *
 * Returns: (transfer none) (nullable): that control, for tests
 */
GtkWidget *
logbook_reports_page_get_widget (LogbookReportsPage *self, const char *name)
{
  PcmbnReportFormat format;

  if (g_strcmp0 (name, "mode") == 0)
    return self->mode_dropdown;
  if (g_strcmp0 (name, "year") == 0)
    return self->year_spin;
  if (g_strcmp0 (name, "from") == 0)
    return self->from_entry;
  if (g_strcmp0 (name, "to") == 0)
    return self->to_entry;
  if (g_strcmp0 (name, "progress") == 0)
    return self->progress_revealer;
  if (pcmbn_report_format_from_string (name, &format))
    return self->export_buttons[format];
  return NULL;
}
