/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-conflicts-page"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-conflicts-page-private.h"
#include "logbook-format.h"
#include "logbook-sync.h"
#include "sync/pcmbn-conflict.h"
#include "sync/pcmbn-store-sync.h"

/* Records edited here and at the district at the same time. Each is shown
 * as its two versions side by side, field by field with the schema's
 * labels; the person keeps one whole, or picks each field and saves the
 * merge. Nothing is decided for them. */

struct _LogbookConflictsPage
{
  AdwBin parent_instance;

  LogbookContext *context;
  GCancellable *cancellable;
  GtkStack *stack;
  GtkListBox *list;
  GtkLabel *title;
  GtkLabel *note;
  GtkGrid *grid;
  GtkLabel *error_label;
  GtkWidget *mine_button;
  GtkWidget *theirs_button;
  GtkWidget *merge_button;
  GtkWidget *detail;

  JsonArray *conflicts; /* from pcmbn_store_sync_conflicts() */
  char *selected;       /* uuid */
  char *pending_select; /* asked for before the list was loaded */
  GHashTable *choices;  /* field name → its "theirs" GtkCheckButton */
  GHashTable *mine_choices;
  gboolean loaded;
  gboolean busy;
  gboolean reload_again;
};

G_DEFINE_FINAL_TYPE (LogbookConflictsPage, logbook_conflicts_page, ADW_TYPE_BIN)

enum
{
  RESOLVED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static JsonObject *
find_conflict (LogbookConflictsPage *self, const char *uuid)
{
  for (guint i = 0; self->conflicts && uuid && i < json_array_get_length (self->conflicts); i++)
    {
      JsonObject *c = json_array_get_object_element (self->conflicts, i);
      if (g_strcmp0 (json_object_get_string_member (c, "uuid"), uuid) == 0)
        return c;
    }
  return NULL;
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))))
    gtk_grid_remove (grid, child);
}

static GtkWidget *
heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  return label;
}

static GtkWidget *
choice (const char *text, const char *accessible)
{
  GtkWidget *check = gtk_check_button_new_with_label (text);
  GtkWidget *label = gtk_widget_get_last_child (check);

  if (GTK_IS_LABEL (label))
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
    }
  gtk_widget_set_hexpand (check, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  accessible, -1);
  return check;
}

static void
show_detail (LogbookConflictsPage *self)
{
  JsonObject *c = find_conflict (self, self->selected);
  const PcmbnKind *kind;
  JsonObject *mine, *theirs;
  gboolean mine_deleted, theirs_deleted;
  g_autoptr (GPtrArray) fields = NULL;
  g_autofree char *headline = NULL;
  g_autofree char *title = NULL;
  g_autofree char *server_heading = logbook_sync_dup_server_name (
      logbook_context_get_sync (self->context));
  guint shown = 0;

  g_hash_table_remove_all (self->choices);
  g_hash_table_remove_all (self->mine_choices);
  clear_grid (self->grid);
  gtk_label_set_text (self->error_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_widget_set_visible (self->detail, c != NULL);
  if (c == NULL)
    return;
  kind = pcmbn_schema_kind (json_object_get_string_member (c, "kind"));
  mine = json_object_get_object_member (c, "mine");
  theirs = json_object_get_object_member (c, "theirs");
  mine_deleted = json_object_get_boolean_member_with_default (c, "mine_deleted", FALSE);
  theirs_deleted = json_object_get_boolean_member_with_default (c, "theirs_deleted", FALSE);
  headline = logbook_record_headline (kind, mine);
  title = g_strdup_printf ("%s: %s", pcmbn_kind_label (kind), headline);
  gtk_label_set_text (self->title, title);

  gtk_grid_attach (self->grid, heading (_ ("Field")), 0, 0, 1, 1);
  gtk_grid_attach (self->grid, heading (_ ("This computer")), 1, 0, 1, 1);
  gtk_grid_attach (self->grid, heading (server_heading), 2, 0, 1, 1);
  fields = pcmbn_conflict_diff (kind, mine, theirs);
  for (guint i = 0; i < fields->len; i++)
    {
      const PcmbnField *field = fields->pdata[i];
      g_autofree char *mine_text = NULL;
      g_autofree char *theirs_text = NULL;
      g_autofree char *mine_a11y = NULL;
      g_autofree char *theirs_a11y = NULL;
      GtkWidget *label, *mine_check, *theirs_check;

      /* Case notes never leave this computer: the server has none, which
       * is not a difference. */
      if ((field->flags & PCMBN_FIELD_SENSITIVE) && !json_object_has_member (theirs, field->name))
        continue;
      mine_text = pcmbn_conflict_field_text (field, mine);
      theirs_text = pcmbn_conflict_field_text (field, theirs);
      mine_a11y = g_strdup_printf (_ ("%s on this computer"), pcmbn_field_label (field));
      theirs_a11y = g_strdup_printf (_ ("%s on the server"), pcmbn_field_label (field));
      label = gtk_label_new (pcmbn_field_label (field));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_valign (label, GTK_ALIGN_START);
      gtk_widget_add_css_class (label, "dim-label");
      mine_check = choice (mine_text, mine_a11y);
      theirs_check = choice (theirs_text, theirs_a11y);
      gtk_check_button_set_group (GTK_CHECK_BUTTON (theirs_check), GTK_CHECK_BUTTON (mine_check));
      gtk_check_button_set_active (GTK_CHECK_BUTTON (mine_check), TRUE);
      gtk_grid_attach (self->grid, label, 0, shown + 1, 1, 1);
      gtk_grid_attach (self->grid, mine_check, 1, shown + 1, 1, 1);
      gtk_grid_attach (self->grid, theirs_check, 2, shown + 1, 1, 1);
      g_hash_table_insert (self->choices, (gpointer)field->name, theirs_check);
      g_hash_table_insert (self->mine_choices, (gpointer)field->name, mine_check);
      shown++;
    }

  if (mine_deleted || theirs_deleted)
    gtk_label_set_text (
        self->note,
        mine_deleted
            ? _ ("You deleted this record here, while it was changed on the server. "
                 "Keep yours to delete it there too, or keep the server’s to bring it back.")
            : _ ("The server deleted this record, while you changed it here. "
                 "Keep yours to bring it back, or keep the server’s to delete it here too."));
  else if (shown == 0)
    gtk_label_set_text (self->note, _ ("Both versions hold the same values; keep either."));
  else
    gtk_label_set_text (self->note,
                        _ ("Choose, for each field, the value to keep, then save the merge. "
                           "Or keep one version whole."));
  /* A merge of a deleted record means nothing: one side is kept whole. */
  gtk_widget_set_visible (self->merge_button, !mine_deleted && !theirs_deleted && shown > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->grid), shown > 0);
}

static void
on_row_selected (GtkListBox *box, GtkListBoxRow *row, LogbookConflictsPage *self)
{
  if (row == NULL)
    return;
  g_free (self->selected);
  self->selected = g_strdup (gtk_widget_get_name (GTK_WIDGET (row)));
  show_detail (self);
}

static void
rebuild (LogbookConflictsPage *self)
{
  GtkWidget *child;
  GtkListBoxRow *select = NULL;
  guint n = self->conflicts ? json_array_get_length (self->conflicts) : 0;

  g_signal_handlers_block_by_func (self->list, on_row_selected, self);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))))
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (self->conflicts, i);
      const PcmbnKind *kind = pcmbn_schema_kind (json_object_get_string_member (c, "kind"));
      g_autofree char *headline = kind ? logbook_record_headline (
                                      kind, json_object_get_object_member (c, "mine"))
                                       : NULL;
      GtkWidget *row = adw_action_row_new ();

      if (kind == NULL)
        continue;
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), headline);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), pcmbn_kind_label (kind));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_widget_set_name (row, json_object_get_string_member (c, "uuid"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, headline,
                                      -1);
      gtk_list_box_append (self->list, row);
      if (g_strcmp0 (json_object_get_string_member (c, "uuid"), self->selected) == 0
          || select == NULL)
        select = GTK_LIST_BOX_ROW (row);
    }
  g_signal_handlers_unblock_by_func (self->list, on_row_selected, self);
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "conflicts" : "empty");
  g_free (self->selected);
  self->selected = select ? g_strdup (gtk_widget_get_name (GTK_WIDGET (select))) : NULL;
  if (select)
    {
      g_signal_handlers_block_by_func (self->list, on_row_selected, self);
      gtk_list_box_select_row (self->list, select);
      g_signal_handlers_unblock_by_func (self->list, on_row_selected, self);
    }
  show_detail (self);
}

/* ---- loading ------------------------------------------------------------ */

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_task_return_pointer (task, pcmbn_store_sync_conflicts (PCMBN_STORE (task_data)),
                         (GDestroyNotify)json_node_unref);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (JsonNode) node = g_task_propagate_pointer (G_TASK (result), NULL);
  LogbookConflictsPage *self;

  if (node == NULL)
    return;
  self = LOGBOOK_CONFLICTS_PAGE (source);
  g_clear_pointer (&self->conflicts, json_array_unref);
  self->conflicts = json_array_ref (json_node_get_array (node));
  self->busy = FALSE;
  if (self->pending_select && find_conflict (self, self->pending_select))
    {
      g_free (self->selected);
      self->selected = g_steal_pointer (&self->pending_select);
    }
  g_clear_pointer (&self->pending_select, g_free);
  rebuild (self);
  self->loaded = TRUE;
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      logbook_conflicts_page_reload (self);
    }
}

void
logbook_conflicts_page_reload (LogbookConflictsPage *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->busy)
    {
      self->reload_again = TRUE;
      return;
    }
  self->busy = TRUE;
  self->loaded = FALSE;
  task = g_task_new (self, self->cancellable, load_done, NULL);
  g_task_set_task_data (task, g_object_ref (logbook_context_get_store (self->context)),
                        g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

/* ---- resolving ---------------------------------------------------------- */

typedef struct
{
  PcmbnStore *store;
  char *uuid;
  char *keep;         /* "mine", "theirs" or "merge" */
  JsonObject *merged; /* for "merge" */
} Resolve;

static void
resolve_free (Resolve *r)
{
  g_clear_object (&r->store);
  g_free (r->uuid);
  g_free (r->keep);
  g_clear_pointer (&r->merged, json_object_unref);
  g_free (r);
}

static void
resolve_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Resolve *r = task_data;
  GError *error = NULL;
  gboolean ok = g_str_equal (r->keep, "merge")
                    ? pcmbn_conflict_resolve_merged (r->store, r->uuid, r->merged, &error)
                    : pcmbn_store_sync_resolve (r->store, r->uuid, r->keep, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
set_buttons_sensitive (LogbookConflictsPage *self, gboolean sensitive)
{
  gtk_widget_set_sensitive (self->mine_button, sensitive);
  gtk_widget_set_sensitive (self->theirs_button, sensitive);
  gtk_widget_set_sensitive (self->merge_button, sensitive);
}

static void
resolve_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LogbookConflictsPage *self = LOGBOOK_CONFLICTS_PAGE (source);
  Resolve *r = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_buttons_sensitive (self, TRUE);
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  set_buttons_sensitive (self, TRUE);
  g_signal_emit (self, signals[RESOLVED], 0, r->uuid,
                 g_str_equal (r->keep, "theirs") ? _ ("The server’s version was kept")
                 : g_str_equal (r->keep, "mine")
                     ? _ ("Your version was kept; it is sent at the next sync")
                     : _ ("The merge was saved; it is sent at the next sync"));
  g_clear_pointer (&self->selected, g_free);
  logbook_conflicts_page_reload (self);
}

static void
resolve (LogbookConflictsPage *self, const char *keep)
{
  JsonObject *c = find_conflict (self, self->selected);
  Resolve *r;
  g_autoptr (GTask) task = NULL;

  if (c == NULL)
    return;
  r = g_new0 (Resolve, 1);
  r->store = g_object_ref (logbook_context_get_store (self->context));
  r->uuid = g_strdup (self->selected);
  r->keep = g_strdup (keep);
  if (g_str_equal (keep, "merge"))
    {
      const PcmbnKind *kind = pcmbn_schema_kind (json_object_get_string_member (c, "kind"));
      g_autoptr (GPtrArray) take = g_ptr_array_new ();
      GHashTableIter iter;
      gpointer name, check;

      g_hash_table_iter_init (&iter, self->choices);
      while (g_hash_table_iter_next (&iter, &name, &check))
        if (gtk_check_button_get_active (check))
          g_ptr_array_add (take, name);
      g_ptr_array_add (take, NULL);
      r->merged = pcmbn_conflict_merge_data (kind, json_object_get_object_member (c, "mine"),
                                             json_object_get_object_member (c, "theirs"),
                                             (const char *const *)take->pdata);
    }
  set_buttons_sensitive (self, FALSE);
  task = g_task_new (self, self->cancellable, resolve_done, NULL);
  g_task_set_task_data (task, r, (GDestroyNotify)resolve_free);
  g_task_run_in_thread (task, resolve_thread);
}

static void
on_keep_mine (GtkButton *button, LogbookConflictsPage *self)
{
  resolve (self, "mine");
}

static void
on_keep_theirs (GtkButton *button, LogbookConflictsPage *self)
{
  resolve (self, "theirs");
}

static void
on_merge (GtkButton *button, LogbookConflictsPage *self)
{
  resolve (self, "merge");
}

static void
on_context_changed (LogbookContext *context, const char *kind, LogbookConflictsPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    logbook_conflicts_page_reload (self);
}

/* ---- widget ------------------------------------------------------------- */

static void
logbook_conflicts_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (logbook_conflicts_page_parent_class)->map (widget);
  logbook_conflicts_page_reload (LOGBOOK_CONFLICTS_PAGE (widget));
}

static void
logbook_conflicts_page_dispose (GObject *object)
{
  LogbookConflictsPage *self = LOGBOOK_CONFLICTS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_conflicts_page_parent_class)->dispose (object);
}

static void
logbook_conflicts_page_finalize (GObject *object)
{
  LogbookConflictsPage *self = LOGBOOK_CONFLICTS_PAGE (object);

  g_clear_pointer (&self->conflicts, json_array_unref);
  g_clear_pointer (&self->choices, g_hash_table_unref);
  g_clear_pointer (&self->mine_choices, g_hash_table_unref);
  g_free (self->selected);
  g_free (self->pending_select);
  G_OBJECT_CLASS (logbook_conflicts_page_parent_class)->finalize (object);
}

static void
logbook_conflicts_page_class_init (LogbookConflictsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = logbook_conflicts_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = logbook_conflicts_page_finalize;
  GTK_WIDGET_CLASS (klass)->map = logbook_conflicts_page_map;

  /**
   * LogbookConflictsPage::resolved:
   * @uuid: the record
   * @message: what was done, for a toast
   */
  signals[RESOLVED] = g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-conflicts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, list);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, title);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, note);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, grid);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, mine_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, theirs_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, merge_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookConflictsPage, detail);
  gtk_widget_class_bind_template_callback (widget_class, on_row_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_keep_mine);
  gtk_widget_class_bind_template_callback (widget_class, on_keep_theirs);
  gtk_widget_class_bind_template_callback (widget_class, on_merge);
}

static void
logbook_conflicts_page_init (LogbookConflictsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->choices = g_hash_table_new (g_str_hash, g_str_equal);
  self->mine_choices = g_hash_table_new (g_str_hash, g_str_equal);
}

LogbookConflictsPage *
logbook_conflicts_page_new (LogbookContext *context)
{
  LogbookConflictsPage *self = g_object_new (LOGBOOK_TYPE_CONFLICTS_PAGE, NULL);

  self->context = g_object_ref (context);
  g_signal_connect (context, "changed", G_CALLBACK (on_context_changed), self);
  return self;
}

/**
 * logbook_conflicts_page_select:
 * @self: the page
 * @uuid: a record in conflict
 *
 * Shows that record's two versions, once the list is loaded.
 */
void
logbook_conflicts_page_select (LogbookConflictsPage *self, const char *uuid)
{
  if (self->loaded && find_conflict (self, uuid))
    {
      g_free (self->selected);
      self->selected = g_strdup (uuid);
      rebuild (self);
    }
  else
    {
      g_free (self->pending_select);
      self->pending_select = g_strdup (uuid);
    }
}

gboolean
logbook_conflicts_page_get_loaded (LogbookConflictsPage *self)
{
  return self->loaded;
}

guint
logbook_conflicts_page_get_n_conflicts (LogbookConflictsPage *self)
{
  return self->conflicts ? json_array_get_length (self->conflicts) : 0;
}

const char *
logbook_conflicts_page_get_selected (LogbookConflictsPage *self)
{
  return self->selected;
}

/**
 * logbook_conflicts_page_get_choice:
 * @self: the page
 * @field: a field that differs
 * @theirs: the district's value rather than this computer's
 *
 * Returns: (transfer none) (nullable): the check button that picks it
 */
GtkWidget *
logbook_conflicts_page_get_choice (LogbookConflictsPage *self, const char *field, gboolean theirs)
{
  return g_hash_table_lookup (theirs ? self->choices : self->mine_choices, field);
}

/**
 * logbook_conflicts_page_get_button:
 * @self: the page
 * @which: "mine", "theirs" or "merge"
 *
 * Returns: (transfer none) (nullable): the button
 */
GtkWidget *
logbook_conflicts_page_get_button (LogbookConflictsPage *self, const char *which)
{
  if (g_strcmp0 (which, "mine") == 0)
    return self->mine_button;
  if (g_strcmp0 (which, "theirs") == 0)
    return self->theirs_button;
  if (g_strcmp0 (which, "merge") == 0)
    return self->merge_button;
  return NULL;
}

/**
 * logbook_conflicts_page_get_error:
 * @self: the page
 *
 * Returns: (nullable): why the last choice could not be saved
 */
const char *
logbook_conflicts_page_get_error (LogbookConflictsPage *self)
{
  const char *text = gtk_label_get_text (self->error_label);
  return text && *text ? text : NULL;
}
