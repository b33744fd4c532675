/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-deleted-page"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-deleted-page-private.h"
#include "logbook-format.h"

/* Records deleted in the last 30 days, each with a Restore button. The
 * toast's Undo lasts five seconds, too short for a screen reader's pace or
 * a second thought the next morning; this page has no timer. */

struct _LogbookDeletedPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkListBox *list;

  LogbookContext *context;
  GCancellable *cancellable;
  guint n_records;
  guint refresh_source;
  gboolean loaded;
};

G_DEFINE_FINAL_TYPE (LogbookDeletedPage, logbook_deleted_page, ADW_TYPE_BIN)

enum
{
  SHOW_TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
toast (LogbookDeletedPage *self, const char *text)
{
  g_autoptr (AdwToast) toast = adw_toast_new (text);

  g_signal_emit (self, signals[SHOW_TOAST], 0, toast);
}

static void
restore_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookDeletedPage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!logbook_context_delete_finish (LOGBOOK_CONTEXT (source), result, &error))
    {
      g_autofree char *text = g_strdup_printf (_ ("The record cannot be restored: %s"),
                                               error->message);
      toast (self, text);
      logbook_deleted_page_refresh (self);
      return;
    }
  toast (self, _ ("Record restored; it goes to the server with the next sync"));
  /* The store's "changed" refreshes the list. */
}

static void
on_restore_clicked (GtkButton *button, LogbookDeletedPage *self)
{
  const char *uuid = g_object_get_data (G_OBJECT (button), "uuid");

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  logbook_context_delete_async (self->context, uuid, TRUE, restore_done, g_object_ref (self));
}

/* "02/12/2026 12:46", local time, from the store's UTC time. */
static char *
format_deleted_at (const char *iso)
{
  g_autoptr (GDateTime) utc = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  return local ? g_date_time_format (local, "%d/%m/%Y %H:%M") : g_strdup (iso ? iso : "");
}

static GtkWidget *
make_row (LogbookDeletedPage *self, PcmbnRecord *record)
{
  const PcmbnKind *kind = pcmbn_record_get_kind (record);
  g_autofree char *headline = logbook_record_headline (kind, pcmbn_record_get_data (record));
  g_autofree char *escaped = g_markup_escape_text (headline, -1);
  g_autofree char *when = format_deleted_at (pcmbn_record_get_modified_at (record));
  /* TRANSLATORS: a deleted record's kind, then when it was deleted */
  g_autofree char *subtitle = g_strdup_printf (_ ("%s · deleted %s"), pcmbn_kind_label (kind),
                                               when);
  /* TRANSLATORS: the accessible name of a Restore button; %s is the record */
  g_autofree char *a11y = g_strdup_printf (_ ("Restore “%s”"), headline);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_label (_ ("Restore"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  g_object_set_data_full (G_OBJECT (button), "uuid", g_strdup (pcmbn_record_get_uuid (record)),
                          g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_restore_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  g_object_set_data_full (G_OBJECT (row), "uuid", g_strdup (pcmbn_record_get_uuid (record)),
                          g_free);
  g_object_set_data (G_OBJECT (row), "restore-button", button);
  return row;
}

static void
list_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookDeletedPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray)
      records = logbook_context_list_deleted_finish (LOGBOOK_CONTEXT (source), result, &error);
  GtkWidget *child;

  if (records == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot list the deleted records: %s", error->message);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))))
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < records->len; i++)
    gtk_list_box_append (self->list, make_row (self, records->pdata[i]));
  self->n_records = records->len;
  gtk_stack_set_visible_child_name (self->stack, records->len ? "list" : "empty");
  self->loaded = TRUE;
}

/**
 * logbook_deleted_page_refresh:
 * @self: a page
 *
 * Reads the list again, in a worker thread.
 */
void
logbook_deleted_page_refresh (LogbookDeletedPage *self)
{
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loaded = FALSE;
  logbook_context_list_deleted_async (self->context, self->cancellable, list_done, self);
}

static gboolean
refresh_idle (gpointer user_data)
{
  LogbookDeletedPage *self = user_data;

  self->refresh_source = 0;
  logbook_deleted_page_refresh (self);
  return G_SOURCE_REMOVE;
}

/* Deletions come from every list; a burst (an import, a sync) reads once. */
static void
on_context_changed (LogbookContext *context, const char *kind, LogbookDeletedPage *self)
{
  if (self->refresh_source == 0)
    self->refresh_source = g_idle_add (refresh_idle, self);
}

static void
on_map (GtkWidget *widget, LogbookDeletedPage *self)
{
  logbook_deleted_page_refresh (self);
}

static void
logbook_deleted_page_dispose (GObject *object)
{
  LogbookDeletedPage *self = LOGBOOK_DELETED_PAGE (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_deleted_page_parent_class)->dispose (object);
}

static void
logbook_deleted_page_class_init (LogbookDeletedPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = logbook_deleted_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-deleted-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookDeletedPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LogbookDeletedPage, list);

  /**
   * LogbookDeletedPage::show-toast:
   * @toast: what to tell the person
   */
  signals[SHOW_TOAST] = g_signal_new ("show-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
}

static void
logbook_deleted_page_init (LogbookDeletedPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self, "map", G_CALLBACK (on_map), self);
}

LogbookDeletedPage *
logbook_deleted_page_new (LogbookContext *context)
{
  LogbookDeletedPage *self = g_object_new (LOGBOOK_TYPE_DELETED_PAGE, NULL);

  self->context = g_object_ref (context);
  g_signal_connect (context, "changed", G_CALLBACK (on_context_changed), self);
  return self;
}

gboolean
logbook_deleted_page_get_loaded (LogbookDeletedPage *self)
{
  return self->loaded;
}

guint
logbook_deleted_page_get_n_records (LogbookDeletedPage *self)
{
  return self->n_records;
}

/**
 * logbook_deleted_page_get_restore_button:
 * @self: a page
 * @uuid: a deleted record
 *
 * Returns: (transfer none) (nullable): the record's Restore button
 */
GtkWidget *
logbook_deleted_page_get_restore_button (LogbookDeletedPage *self, const char *uuid)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "uuid"), uuid) == 0)
      return g_object_get_data (G_OBJECT (row), "restore-button");
  return NULL;
}
