/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-record-page"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-format.h"
#include "logbook-a11y.h"
#include "logbook-record-page-private.h"
#include "logbook-row-list.h"
#include "logbook-row.h"
#include "pcmbn-util.h"

/* One kind's records: a column view over the core's lazy list model (never
 * copied: 100,000 rows cost what is on screen), its filters, its empty
 * state, and the form when a record is open. */

typedef enum
{
  COLUMN_DATE,
  COLUMN_TITLE,
  COLUMN_TYPE,
  COLUMN_STATE,
} ColumnId;

struct _LogbookRecordPage
{
  AdwBin parent_instance;

  GtkStack *mode_stack;
  GtkStack *content_stack;
  GtkSearchEntry *search_entry;
  GtkEntry *from_entry;
  GtkEntry *to_entry;
  GtkDropDown *type_dropdown;
  GtkColumnView *column_view;
  AdwStatusPage *empty_page;
  GtkRevealer *draft_revealer;
  GtkLabel *draft_label;

  LogbookContext *context;
  const PcmbnKind *kind;
  PcmbnRecordList *list;
  LogbookRowList *rows; /* the list as the column view holds it */
  LogbookRecordEditor *editor;
  char *pending_draft;
  int probe_column;
  guint reattach_source;
  GHashTable *model_names; /* meetings: model uuid → name, read once */
};

G_DEFINE_FINAL_TYPE (LogbookRecordPage, logbook_record_page, ADW_TYPE_BIN)

enum
{
  SHOW_TOAST,
  SHOW_CONFLICT,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
emit_toast (LogbookRecordPage *self, AdwToast *toast)
{
  g_signal_emit (self, signals[SHOW_TOAST], 0, toast);
  g_object_unref (toast);
}

/* ---- list --------------------------------------------------------------- */

static gboolean
has_filters (LogbookRecordPage *self)
{
  return *gtk_editable_get_text (GTK_EDITABLE (self->search_entry))
         || *gtk_editable_get_text (GTK_EDITABLE (self->from_entry))
         || *gtk_editable_get_text (GTK_EDITABLE (self->to_entry))
         || gtk_drop_down_get_selected (self->type_dropdown) > 0;
}

static void
update_content (LogbookRecordPage *self)
{
  guint n = self->list ? g_list_model_get_n_items (G_LIST_MODEL (self->list)) : 0;

  if (n > 0)
    gtk_stack_set_visible_child_name (self->content_stack, "list");
  else
    gtk_stack_set_visible_child_name (self->content_stack,
                                      has_filters (self) ? "no-results" : "empty");
}

static void
on_items_changed (
    GListModel *model, guint position, guint removed, guint added, LogbookRecordPage *self)
{
  update_content (self);
}

static void
update_drafts (LogbookRecordPage *self)
{
  g_autoptr (GPtrArray) drafts = logbook_context_list_drafts (self->context, self->kind->name);

  g_clear_pointer (&self->pending_draft, g_free);
  if (drafts->len > 0 && self->editor == NULL)
    {
      PcmbnDraft *draft = drafts->pdata[0];
      g_autoptr (GDateTime) utc = g_date_time_new_from_iso8601 (draft->saved_at, NULL);
      g_autoptr (GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;
      g_autofree char *when = local ? g_date_time_format (local, "%H:%M %d/%m/%Y") : g_strdup ("");
      g_autofree char *text = g_strdup_printf (_ ("A form you had not saved (%s) is waiting."),
                                               when);
      self->pending_draft = g_strdup (draft->id);
      gtk_label_set_text (self->draft_label, text);
    }
  gtk_revealer_set_reveal_child (self->draft_revealer, self->pending_draft != NULL);
}

static void on_sorter_changed (GtkSorter *sorter, GtkSorterChange change, LogbookRecordPage *self);

/* GTK 4.8's list views look at every added row when a model changes (to
 * keep widgets of rows that stayed), which would read all pages of a lazy
 * list of 100,000 records. So the view lets go of the list while it is
 * refiltered or reloaded, and takes it back, costing only the rows on
 * screen. */
static void
attach_view (LogbookRecordPage *self)
{
  g_clear_handle_id (&self->reattach_source, g_source_remove);
  if (self->list && gtk_column_view_get_model (self->column_view) == NULL)
    gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (gtk_no_selection_new (
                                                      g_object_ref (G_LIST_MODEL (self->rows)))));
}

static void
detach_view (LogbookRecordPage *self)
{
  gtk_column_view_set_model (self->column_view, NULL);
}

static gboolean
reattach_cb (gpointer user_data)
{
  LogbookRecordPage *self = user_data;

  self->reattach_source = 0;
  attach_view (self);
  return G_SOURCE_REMOVE;
}

/* A meeting's row names its model. Models are few: their names are read
 * once and again when a model changes, never per row. */
static const char *
model_name (LogbookRecordPage *self, const char *uuid)
{
  if (self->model_names == NULL)
    {
      g_autoptr (GPtrArray) models = logbook_context_list_models (self->context);
      self->model_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      for (guint i = 0; i < models->len; i++)
        g_hash_table_insert (
            self->model_names, g_strdup (pcmbn_record_get_uuid (models->pdata[i])),
            g_strdup (pcmbn_data_get_string (pcmbn_record_get_data (models->pdata[i]), "name")));
    }
  return uuid ? g_hash_table_lookup (self->model_names, uuid) : NULL;
}

static char *
row_title (LogbookRecordPage *self, PcmbnRecord *record)
{
  if (g_str_equal (self->kind->name, "model-meeting"))
    {
      const char *name = model_name (
          self, pcmbn_data_get_string (pcmbn_record_get_data (record), "model"));
      return g_strdup (name ? name : "");
    }
  return logbook_record_headline (self->kind, pcmbn_record_get_data (record));
}

static void
on_context_changed (LogbookContext *context, const char *kind, LogbookRecordPage *self)
{
  if (g_strcmp0 (kind, "model") == 0 || kind == NULL)
    g_clear_pointer (&self->model_names, g_hash_table_unref);
  /* Runs before the list reloads itself (the context listens to the store
   * first). */
  if (self->list == NULL || (kind && g_strcmp0 (kind, self->kind->name) != 0))
    return;
  /* The view reads the list through its rows, which announce only the
   * places gained or lost: it keeps the list, its widgets and its scroll
   * position. */
  if (gtk_column_view_get_model (self->column_view) != NULL)
    return;
  detach_view (self);
  if (self->reattach_source == 0)
    self->reattach_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, reattach_cb, self, NULL);
}

/* Filters set before the list existed (the page was never shown). */
static void
apply_filters (LogbookRecordPage *self)
{
  const PcmbnField *field = pcmbn_kind_field (self->kind, self->kind->type_field);
  g_autofree char *from = logbook_date_parse_input (
      gtk_editable_get_text (GTK_EDITABLE (self->from_entry)));
  g_autofree char *to = logbook_date_parse_input (
      gtk_editable_get_text (GTK_EDITABLE (self->to_entry)));
  guint selected = gtk_drop_down_get_selected (self->type_dropdown);

  pcmbn_record_list_set_search (self->list,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  pcmbn_record_list_set_range (self->list, from, to);
  if (field && selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    pcmbn_record_list_set_type (
        self->list, pcmbn_catalogue_lookup (field->catalogue)->entries[selected - 1].code);
}

static void
ensure_list (LogbookRecordPage *self)
{
  if (self->list || self->context == NULL)
    return;
  self->list = logbook_context_new_list (self->context, self->kind->name);
  self->rows = logbook_row_list_new (G_LIST_MODEL (self->list));
  apply_filters (self);
  pcmbn_record_list_set_minimal_changes (self->list, TRUE);
  g_signal_connect_object (self->list, "items-changed", G_CALLBACK (on_items_changed), self, 0);
  /* No selection model that remembers a row: GtkSingleSelection looks for
   * its selected item among all the rows a filter brings back, which reads
   * every page of the lazy list. Rows are opened by activation. */
  attach_view (self);
  update_content (self);
  update_drafts (self);
}

static void
logbook_record_page_map (GtkWidget *widget)
{
  /* The list is made when the page is first shown, so that starting the
   * app costs the same with 100,000 records as with none. */
  ensure_list (LOGBOOK_RECORD_PAGE (widget));
  GTK_WIDGET_CLASS (logbook_record_page_parent_class)->map (widget);
}

static void
on_search_changed (GtkSearchEntry *entry, LogbookRecordPage *self)
{
  ensure_list (self);
  pcmbn_record_list_set_search (self->list, gtk_editable_get_text (GTK_EDITABLE (entry)));
  attach_view (self);
  update_content (self);
}

static void
on_range_changed (GtkEditable *editable, LogbookRecordPage *self)
{
  const char *from_text = gtk_editable_get_text (GTK_EDITABLE (self->from_entry));
  const char *to_text = gtk_editable_get_text (GTK_EDITABLE (self->to_entry));
  g_autofree char *from = logbook_date_parse_input (from_text);
  g_autofree char *to = logbook_date_parse_input (to_text);
  gboolean from_ok = *from_text == '\0' || from != NULL;
  gboolean to_ok = *to_text == '\0' || to != NULL;

  if (from_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->from_entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->from_entry), "error");
  if (to_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->to_entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->to_entry), "error");
  /* A half-typed date leaves the filter as it was until it is a date. */
  if (!from_ok || !to_ok)
    return;
  ensure_list (self);
  pcmbn_record_list_set_range (self->list, from, to);
  attach_view (self);
  update_content (self);
}

static void
on_type_selected (GtkDropDown *dropdown, GParamSpec *pspec, LogbookRecordPage *self)
{
  const PcmbnField *field = pcmbn_kind_field (self->kind, self->kind->type_field);
  guint selected = gtk_drop_down_get_selected (dropdown);
  const PcmbnCatalogue *cat;

  if (field == NULL)
    return;
  cat = pcmbn_catalogue_lookup (field->catalogue);
  if (self->list == NULL)
    return;
  pcmbn_record_list_set_type (self->list, selected > 0 && selected <= cat->n_entries
                                              ? cat->entries[selected - 1].code
                                              : NULL);
  attach_view (self);
  update_content (self);
}

/* ---- columns ------------------------------------------------------------ */

/* A cell's text is a GtkInscription, not a GtkLabel: its size comes from
 * the font and a number of characters, never from the text, so the 200 rows
 * a GTK 4.8 list view keeps are not laid out letter by letter at every
 * keystroke of a search (a third less time until the window is drawn). */
static void
setup_label (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  ColumnId column = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (label), 0);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (label),
                                     GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  /* Wide enough for the longest state ("Đã đồng bộ", "Bị từ chối"). */
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (label), column == COLUMN_STATE ? 14 : 24);
  g_object_set_data (G_OBJECT (label), "page", g_object_get_data (G_OBJECT (factory), "page"));
  g_object_set_data (G_OBJECT (label), "column", user_data);
  gtk_list_item_set_child (item, label);
}

/* A cell shows its row's record, and the record put in its place when a
 * search changes the list (the row, and so the cell, stays). */
static void
show_record (GtkListItem *item)
{
  GtkWidget *label = gtk_list_item_get_child (item);
  LogbookRecordPage *self = g_object_get_data (G_OBJECT (label), "page");
  ColumnId column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (label), "column"));
  LogbookRow *row = gtk_list_item_get_item (item);
  PcmbnRecord *record = row ? logbook_row_get_record (row) : NULL;
  g_autofree char *text = NULL;

  if (record == NULL)
    {
      gtk_inscription_set_text (GTK_INSCRIPTION (label), NULL);
      return;
    }
  switch (column)
    {
      case COLUMN_DATE:
        text = logbook_date_to_display (pcmbn_record_get_date (record));
        break;
      case COLUMN_TITLE:
        text = row_title (self, record);
        break;
      case COLUMN_TYPE:
        text = logbook_record_type_label (self->kind, pcmbn_record_get_data (record));
        break;
      case COLUMN_STATE:
        {
          PcmbnState state = pcmbn_record_get_state (record);
          for (PcmbnState s = PCMBN_STATE_DRAFT; s <= PCMBN_STATE_REJECTED; s++)
            gtk_widget_remove_css_class (label, logbook_state_css_class (s));
          gtk_widget_add_css_class (label, logbook_state_css_class (state));
          text = g_strdup (logbook_state_label (state));
          /* Setting a tooltip asks the X server where the pointer is: only
         * when there is something to say, or something to take away. */
          if (pcmbn_record_get_problem (record) || gtk_widget_get_has_tooltip (label))
            gtk_widget_set_tooltip_text (label, pcmbn_record_get_problem (record));
        }
        break;
    }
  gtk_inscription_set_text (GTK_INSCRIPTION (label), text);
  /* GTK 4.8 names an unnamed cell "GtkColumnViewCell" to a screen reader. */
  if (gtk_widget_get_parent (label))
    gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_parent (label)),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, text ? text : "", -1);
}

static void
on_row_record (LogbookRow *row, GParamSpec *pspec, GtkListItem *item)
{
  show_record (item);
}

static void
bind_label (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  LogbookRow *row = gtk_list_item_get_item (item);

  if (row)
    g_signal_connect (row, "notify::record", G_CALLBACK (on_row_record), item);
  show_record (item);
}

static void
unbind_label (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  LogbookRow *row = gtk_list_item_get_item (item);

  if (row)
    g_signal_handlers_disconnect_by_func (row, on_row_record, item);
}

/* GTK 4.8 cannot tell which column a column view sorts by. Each column has
 * a sorter that notes when it is asked; comparing two probe records that
 * differ in every column asks the primary column only, and the sign of the
 * answer gives the direction. The rows themselves are sorted by SQLite. */
static int
probe_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  LogbookRecordPage *self = g_object_get_data (G_OBJECT (user_data), "page");
  ColumnId column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (user_data), "column"));
  const char *x = NULL, *y = NULL;

  self->probe_column = column;
  switch (column)
    {
      case COLUMN_DATE:
        x = pcmbn_record_get_date ((PcmbnRecord *)a);
        y = pcmbn_record_get_date ((PcmbnRecord *)b);
        break;
      case COLUMN_TITLE:
        x = pcmbn_record_get_title ((PcmbnRecord *)a);
        y = pcmbn_record_get_title ((PcmbnRecord *)b);
        break;
      case COLUMN_TYPE:
        x = pcmbn_record_get_type_code ((PcmbnRecord *)a);
        y = pcmbn_record_get_type_code ((PcmbnRecord *)b);
        break;
      case COLUMN_STATE:
        return pcmbn_record_get_state ((PcmbnRecord *)a)
               - pcmbn_record_get_state ((PcmbnRecord *)b);
    }
  return g_strcmp0 (x, y) < 0 ? -1 : g_strcmp0 (x, y) > 0;
}

static PcmbnRecord *
probe_record (LogbookRecordPage *self, gboolean second)
{
  g_autoptr (JsonObject) data = json_object_new ();
  const PcmbnField *type = pcmbn_kind_field (self->kind, self->kind->type_field);
  PcmbnRecord *record;

  json_object_set_string_member (data, self->kind->date_field,
                                 second ? "2021-01-01" : "2020-01-01");
  if (self->kind->title_field)
    json_object_set_string_member (data, self->kind->title_field, second ? "b" : "a");
  if (type)
    json_object_set_string_member (data, type->name, second ? "b" : "a");
  record = pcmbn_record_new (self->kind, "00000000-0000-4000-8000-000000000000", "0", data);
  pcmbn_record_set_bookkeeping (record, 0, second ? PCMBN_STATE_SYNCED : PCMBN_STATE_DRAFT, FALSE,
                                "", NULL);
  return record;
}

static void
on_sorter_changed (GtkSorter *sorter, GtkSorterChange change, LogbookRecordPage *self)
{
  static const PcmbnSort asc[] = { PCMBN_SORT_DATE_ASC, PCMBN_SORT_TITLE_ASC, PCMBN_SORT_TYPE_ASC,
                                   PCMBN_SORT_STATE_ASC };
  static const PcmbnSort desc[] = { PCMBN_SORT_DATE_DESC, PCMBN_SORT_TITLE_DESC,
                                    PCMBN_SORT_TYPE_DESC, PCMBN_SORT_STATE_DESC };
  g_autoptr (PcmbnRecord) a = probe_record (self, FALSE);
  g_autoptr (PcmbnRecord) b = probe_record (self, TRUE);
  GtkOrdering order;

  self->probe_column = -1;
  order = gtk_sorter_compare (sorter, a, b);
  if (self->list == NULL)
    return;
  detach_view (self);
  if (order == GTK_ORDERING_EQUAL || self->probe_column < 0)
    pcmbn_record_list_set_sort (self->list, PCMBN_SORT_DATE_DESC);
  else
    pcmbn_record_list_set_sort (self->list, order == GTK_ORDERING_SMALLER
                                                ? asc[self->probe_column]
                                                : desc[self->probe_column]);
  attach_view (self);
}

static GtkColumnViewColumn *
add_column (LogbookRecordPage *self, ColumnId id, const char *title, gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;
  GtkSorter *sorter = GTK_SORTER (gtk_custom_sorter_new (probe_compare, NULL, NULL));

  g_object_set_data (G_OBJECT (factory), "page", self);
  g_object_set_data (G_OBJECT (sorter), "page", self);
  g_object_set_data (G_OBJECT (sorter), "column", GINT_TO_POINTER (id));
  gtk_custom_sorter_set_sort_func (GTK_CUSTOM_SORTER (sorter), probe_compare, sorter, NULL);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_label), GINT_TO_POINTER (id));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_label), GINT_TO_POINTER (id));
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_label), GINT_TO_POINTER (id));
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (sorter);
  g_object_unref (column);
  return column;
}

/* ---- editor ------------------------------------------------------------- */

static void close_editor (LogbookRecordPage *self);

static void
on_editor_saved (LogbookRecordEditor *editor, const char *uuid, LogbookRecordPage *self)
{
  gboolean was_new = logbook_record_editor_get_uuid (editor) == NULL;

  close_editor (self);
  emit_toast (self, adw_toast_new (was_new ? _ ("Record added") : _ ("Changes saved")));
}

static void
on_editor_closed (LogbookRecordEditor *editor, LogbookRecordPage *self)
{
  close_editor (self);
}

static void
undelete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookRecordPage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!logbook_context_delete_finish (LOGBOOK_CONTEXT (source), result, &error))
    emit_toast (self, adw_toast_new (error->message));
}

static void
on_undo_clicked (AdwToast *toast, LogbookRecordPage *self)
{
  const char *uuid = g_object_get_data (G_OBJECT (toast), "uuid");
  logbook_context_delete_async (self->context, uuid, TRUE, undelete_done, g_object_ref (self));
}

static void
delete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookRecordPage) self = user_data;
  g_autoptr (GError) error = NULL;
  const char *uuid;
  AdwToast *toast;

  if (!logbook_context_delete_finish (LOGBOOK_CONTEXT (source), result, &error))
    {
      emit_toast (self, adw_toast_new (error->message));
      return;
    }
  uuid = self->editor ? logbook_record_editor_get_uuid (self->editor) : NULL;
  toast = adw_toast_new (_ ("Record deleted"));
  g_object_set_data_full (G_OBJECT (toast), "uuid", g_strdup (uuid), g_free);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_undo_clicked), self, 0);
  close_editor (self);
  emit_toast (self, toast);
}

static void
on_delete_requested (LogbookRecordEditor *editor, const char *uuid, LogbookRecordPage *self)
{
  logbook_context_delete_async (self->context, uuid, FALSE, delete_done, g_object_ref (self));
}

static void
close_editor (LogbookRecordPage *self)
{
  if (self->editor == NULL)
    return;
  gtk_stack_set_visible_child_name (self->mode_stack, "list");
  gtk_stack_remove (self->mode_stack, GTK_WIDGET (self->editor));
  g_clear_object (&self->editor);
  update_drafts (self);
  /* The focus must not be lost with the form: the list's rows are made at
   * the next frame (and the list may be empty), so the search takes it;
   * Down goes on into the list, Ctrl+N to a new form. */
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
show_editor (LogbookRecordPage *self, LogbookRecordEditor *editor)
{
  if (self->editor)
    {
      gtk_stack_remove (self->mode_stack, GTK_WIDGET (self->editor));
      g_clear_object (&self->editor);
    }
  self->editor = g_object_ref_sink (editor);
  g_signal_connect (editor, "saved", G_CALLBACK (on_editor_saved), self);
  g_signal_connect (editor, "closed", G_CALLBACK (on_editor_closed), self);
  g_signal_connect (editor, "delete-requested", G_CALLBACK (on_delete_requested), self);
  gtk_stack_add_named (self->mode_stack, GTK_WIDGET (editor), "editor");
  gtk_stack_set_visible_child (self->mode_stack, GTK_WIDGET (editor));
  gtk_revealer_set_reveal_child (self->draft_revealer, FALSE);
  logbook_record_editor_focus_first (editor);
}

/**
 * logbook_record_page_new_record:
 * @self: a page
 *
 * Opens an empty form, or the unsaved one of this kind when there is one.
 */
void
logbook_record_page_new_record (LogbookRecordPage *self)
{
  g_autofree char *draft_id = g_strdup_printf ("new-%s", self->kind->name);
  g_autoptr (PcmbnDraft) draft = logbook_context_get_draft (self->context, draft_id);
  LogbookRecordEditor *editor = logbook_record_editor_new (self->context, self->kind->name, NULL);

  if (draft)
    logbook_record_editor_set_data (editor, draft->data);
  show_editor (self, editor);
  if (draft)
    emit_toast (self, adw_toast_new (_ ("Your unsaved input was restored")));
}

void
logbook_record_page_open (LogbookRecordPage *self, PcmbnRecord *record)
{
  g_autofree char *draft_id = g_strdup_printf ("edit-%s", pcmbn_record_get_uuid (record));
  g_autoptr (PcmbnDraft) draft = logbook_context_get_draft (self->context, draft_id);
  LogbookRecordEditor *editor = logbook_record_editor_new (self->context, self->kind->name, record);

  if (draft)
    logbook_record_editor_set_data (editor, draft->data);
  show_editor (self, editor);
}

static void
on_activate (GtkColumnView *view, guint position, LogbookRecordPage *self)
{
  g_autoptr (PcmbnRecord) record = g_list_model_get_item (G_LIST_MODEL (self->list), position);

  if (record == NULL)
    return;
  /* Two versions wait for a choice: the conflicts page shows both. */
  if (pcmbn_record_get_state (record) == PCMBN_STATE_CONFLICT)
    g_signal_emit (self, signals[SHOW_CONFLICT], 0, pcmbn_record_get_uuid (record));
  else
    logbook_record_page_open (self, record);
}

/* Enter in the search opens the first match, as a launcher does; Down moves
 * into the list, so that the keyboard never needs the mouse. */
static void
on_search_activate (GtkSearchEntry *entry, LogbookRecordPage *self)
{
  if (self->list && g_list_model_get_n_items (G_LIST_MODEL (self->list)) > 0)
    on_activate (self->column_view, 0, self);
}

static gboolean
on_search_key (GtkEventControllerKey *controller,
               guint keyval,
               guint keycode,
               GdkModifierType state,
               LogbookRecordPage *self)
{
  if ((keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down) || self->list == NULL
      || g_list_model_get_n_items (G_LIST_MODEL (self->list)) == 0)
    return FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
  return TRUE;
}

static void
new_action (GtkWidget *widget, const char *name, GVariant *param)
{
  logbook_record_page_new_record (LOGBOOK_RECORD_PAGE (widget));
}

static void
resume_draft_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookRecordPage *self = LOGBOOK_RECORD_PAGE (widget);
  g_autoptr (PcmbnDraft)
      draft = self->pending_draft ? logbook_context_get_draft (self->context, self->pending_draft)
                                  : NULL;
  g_autoptr (PcmbnRecord) record = NULL;
  LogbookRecordEditor *editor;

  if (draft == NULL)
    return;
  if (draft->record_uuid)
    {
      record = logbook_context_get_record (self->context, draft->record_uuid, NULL);
      if (record == NULL)
        {
          logbook_context_delete_draft (self->context, draft->id);
          update_drafts (self);
          return;
        }
    }
  editor = logbook_record_editor_new (self->context, self->kind->name, record);
  logbook_record_editor_set_data (editor, draft->data);
  show_editor (self, editor);
}

static void
discard_draft_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookRecordPage *self = LOGBOOK_RECORD_PAGE (widget);

  if (self->pending_draft)
    logbook_context_delete_draft (self->context, self->pending_draft);
  update_drafts (self);
}

static void
logbook_record_page_dispose (GObject *object)
{
  LogbookRecordPage *self = LOGBOOK_RECORD_PAGE (object);

  /* Removing the columns changes the sorter; the page is going away. */
  if (self->column_view)
    g_signal_handlers_disconnect_by_data (gtk_column_view_get_sorter (self->column_view), self);
  g_clear_handle_id (&self->reattach_source, g_source_remove);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->editor);
  g_clear_object (&self->rows);
  g_clear_object (&self->list);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_record_page_parent_class)->dispose (object);
}

static void
logbook_record_page_finalize (GObject *object)
{
  LogbookRecordPage *self = LOGBOOK_RECORD_PAGE (object);

  g_free (self->pending_draft);
  g_clear_pointer (&self->model_names, g_hash_table_unref);
  G_OBJECT_CLASS (logbook_record_page_parent_class)->finalize (object);
}

static void
logbook_record_page_class_init (LogbookRecordPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = logbook_record_page_dispose;
  object_class->finalize = logbook_record_page_finalize;
  widget_class->map = logbook_record_page_map;

  /**
   * LogbookRecordPage::show-toast:
   * @toast: the toast
   */
  signals[SHOW_TOAST] = g_signal_new ("show-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  /**
   * LogbookRecordPage::show-conflict:
   * @uuid: a record in conflict, activated in the list
   */
  signals[SHOW_CONFLICT] = g_signal_new ("show-conflict", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-record-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, mode_stack);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, from_entry);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, to_entry);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, draft_revealer);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordPage, draft_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_range_changed);

  gtk_widget_class_install_action (widget_class, "page.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "page.resume-draft", NULL, resume_draft_action);
  gtk_widget_class_install_action (widget_class, "page.discard-draft", NULL, discard_draft_action);
}

static void
logbook_record_page_init (LogbookRecordPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

LogbookRecordPage *
logbook_record_page_new (LogbookContext *context, const char *kind)
{
  LogbookRecordPage *self = g_object_new (LOGBOOK_TYPE_RECORD_PAGE, NULL);
  const PcmbnField *type;
  GtkColumnViewColumn *date_column;
  g_autofree char *empty_description = NULL;

  self->context = g_object_ref (context);
  self->kind = pcmbn_schema_kind (kind);
  g_return_val_if_fail (self->kind != NULL, self);
  gtk_widget_set_name (GTK_WIDGET (self), kind);
  g_signal_connect (context, "changed", G_CALLBACK (on_context_changed), self);

  date_column = add_column (self, COLUMN_DATE, _ ("Date"), FALSE);
  gtk_column_view_column_set_fixed_width (date_column, 130);
  /* The headline's column is named after its field: the Models list showed
   * "Title" over the models' names, and meetings list their model. */
  if (g_str_equal (self->kind->name, "model-meeting"))
    add_column (self, COLUMN_TITLE, pcmbn_field_label (pcmbn_kind_field (self->kind, "model")),
                TRUE);
  else if (self->kind->title_field)
    add_column (self, COLUMN_TITLE,
                pcmbn_field_label (pcmbn_kind_field (self->kind, self->kind->title_field)), TRUE);
  else
    {
      /* The headline falls back on the first text a list may show. */
      const char *label = _ ("Record");
      for (guint i = 0; i < self->kind->n_fields; i++)
        if (self->kind->fields[i].type == PCMBN_FIELD_TEXT
            && !(self->kind->fields[i].flags & PCMBN_FIELD_SENSITIVE))
          {
            label = pcmbn_field_label (&self->kind->fields[i]);
            break;
          }
      add_column (self, COLUMN_TITLE, label, TRUE);
    }
  type = pcmbn_kind_field (self->kind, self->kind->type_field);
  if (type)
    {
      const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (type->catalogue);
      g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);
      GtkColumnViewColumn *column = add_column (self, COLUMN_TYPE, pcmbn_field_label (type), FALSE);
      gtk_column_view_column_set_fixed_width (column, 220);
      gtk_string_list_append (labels, _ ("All types"));
      for (guint i = 0; i < cat->n_entries; i++)
        gtk_string_list_append (labels, pcmbn_catalogue_entry_label (&cat->entries[i]));
      gtk_drop_down_set_model (self->type_dropdown, G_LIST_MODEL (labels));
      logbook_a11y_name_drop_down (GTK_WIDGET (self->type_dropdown), _ ("Type filter"));
      g_signal_connect (self->type_dropdown, "notify::selected", G_CALLBACK (on_type_selected),
                        self);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->type_dropdown), FALSE);
  add_column (self, COLUMN_STATE, _ ("State"), FALSE);
  gtk_column_view_sort_by_column (self->column_view, date_column, GTK_SORT_DESCENDING);
  g_signal_connect (gtk_column_view_get_sorter (self->column_view), "changed",
                    G_CALLBACK (on_sorter_changed), self);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (on_activate), self);
  /* A row opens with a single click or Enter, as GNOME lists do. */
  gtk_column_view_set_single_click_activate (self->column_view, TRUE);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (on_search_activate), self);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();
    g_signal_connect (keys, "key-pressed", G_CALLBACK (on_search_key), self);
    gtk_widget_add_controller (GTK_WIDGET (self->search_entry), keys);
  }

  adw_status_page_set_title (self->empty_page, _ ("Nothing Recorded Yet"));
  empty_description = g_strdup_printf (_ ("Records of the kind “%s” will be listed here."),
                                       pcmbn_kind_label (self->kind));
  adw_status_page_set_description (self->empty_page, empty_description);
  return self;
}

const char *
logbook_record_page_get_kind (LogbookRecordPage *self)
{
  return self->kind->name;
}

void
logbook_record_page_focus_search (LogbookRecordPage *self)
{
  if (self->editor)
    return;
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/**
 * logbook_record_page_get_editor:
 * @self: a page
 *
 * Returns: (transfer none) (nullable): the open form
 */
LogbookRecordEditor *
logbook_record_page_get_editor (LogbookRecordPage *self)
{
  return self->editor;
}

/**
 * logbook_record_page_get_model:
 * @self: a page
 *
 * Returns: (transfer none): the lazy list the column view shows
 */
GListModel *
logbook_record_page_get_model (LogbookRecordPage *self)
{
  ensure_list (self);
  return G_LIST_MODEL (self->list);
}

GtkWidget *
logbook_record_page_get_search_entry (LogbookRecordPage *self)
{
  return GTK_WIDGET (self->search_entry);
}

GtkWidget *
logbook_record_page_get_column_view (LogbookRecordPage *self)
{
  return GTK_WIDGET (self->column_view);
}

/**
 * logbook_record_page_get_visible_state:
 * @self: a page
 *
 * Returns: (transfer none): "list", "empty", "no-results" or "editor"
 */
const char *
logbook_record_page_get_visible_state (LogbookRecordPage *self)
{
  if (self->editor)
    return "editor";
  return gtk_stack_get_visible_child_name (self->content_stack);
}

/**
 * logbook_record_page_describe_row:
 * @self: a page
 * @position: a row
 *
 * Returns: (transfer full): the row's cells as the columns show them,
 *   joined with " | ", for tests
 */
char *
logbook_record_page_describe_row (LogbookRecordPage *self, guint position)
{
  g_autoptr (PcmbnRecord)
      record = g_list_model_get_item (logbook_record_page_get_model (self), position);
  g_autofree char *date = NULL, *title = NULL, *type = NULL;

  if (record == NULL)
    return NULL;
  date = logbook_date_to_display (pcmbn_record_get_date (record));
  title = row_title (self, record);
  type = logbook_record_type_label (self->kind, pcmbn_record_get_data (record));
  return g_strdup_printf ("%s | %s | %s | %s", date, title, type,
                          logbook_state_label (pcmbn_record_get_state (record)));
}
