/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real windows under Xvfb, driven the way a person does: text typed into
 * entries, rows chosen, buttons and shortcuts activated. The store is only
 * read to check what the window did. */
#include "config.h"

#include <string.h>

#include "logbook-application.h"
#include "logbook-deleted-page.h"
#include "logbook-format.h"
#include "logbook-record-editor-private.h"
#include "logbook-window.h"
#include "logbook-deleted-page-private.h"
#include "logbook-first-run-private.h"
#include "logbook-overview-page-private.h"
#include "logbook-record-page-private.h"
#include "logbook-reports-page-private.h"
#include "logbook-window-private.h"
#include "store/pcmbn-demo.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-test-util.h"
#include "pcmbn-util.h"

typedef struct
{
  char *path;
  PcmbnStore *store;
  LogbookContext *context;
  LogbookWindow *window;
} Fixture;

static void
open_window (Fixture *f)
{
  f->window = logbook_window_new (NULL, f->context);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->window)));
}

static void
close_window (Fixture *f)
{
  if (f->window)
    gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->store = pcmbn_test_store_new (&f->path);
  f->context = logbook_context_new (f->store);
  open_window (f);
}

static void
setup_empty (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = pcmbn_test_tmpdir ();
  g_autoptr (GError) error = NULL;

  f->path = g_build_filename (dir, "new.sqlite", NULL);
  f->store = pcmbn_store_open (f->path, &error);
  g_assert_no_error (error);
  f->context = logbook_context_new (f->store);
  open_window (f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  close_window (f);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  g_free (f->path);
}

static LogbookRecordPage *
show_page (Fixture *f, const char *kind)
{
  LogbookRecordPage *page = logbook_window_get_record_page (f->window, kind);

  g_assert_nonnull (page);
  if (g_str_has_prefix (kind, "model"))
    {
      logbook_window_show_section (f->window, "models");
      gtk_stack_set_visible_child (GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (page))),
                                   GTK_WIDGET (page));
    }
  else
    logbook_window_show_section (f->window, kind);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (page)));
  return page;
}

static JsonObject *
demo_data (Fixture *f, const char *kind, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) models = pcmbn_store_list (f->store, "model", NULL, NULL, NULL);
  PcmbnRecord *model = models && models->len ? models->pdata[0] : NULL;
  gint64 today = pcmbn_today ();
  JsonObject *data = pcmbn_demo_make (kind, rand, today - 200, today - 1,
                                      model ? pcmbn_record_get_data (model) : NULL,
                                      model ? pcmbn_record_get_uuid (model) : NULL);
  /* Lists of materials and files are filled by their own buttons. */
  json_object_remove_member (data, "materials");
  json_object_remove_member (data, "attachments");
  return data;
}

/* Sets every field through its control, as typing and clicking would. */
static void
fill_like_a_person (LogbookRecordEditor *editor, const PcmbnKind *kind, JsonObject *data)
{
  for (guint i = 0; i < kind->n_fields; i++)
    {
      const PcmbnField *field = &kind->fields[i];
      GtkWidget *w = logbook_record_editor_get_field_widget (editor, field->name);
      JsonNode *node = json_object_get_member (data, field->name);

      g_assert_nonnull (w);
      switch (field->type)
        {
          case PCMBN_FIELD_TEXT:
            if (GTK_IS_TEXT_VIEW (w))
              gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (w)),
                                        node ? json_node_get_string (node) : "", -1);
            else
              gtk_editable_set_text (GTK_EDITABLE (w), node ? json_node_get_string (node) : "");
            break;
          case PCMBN_FIELD_INT:
            {
              g_autofree char *text = node ? g_strdup_printf ("%" G_GINT64_FORMAT,
                                                              json_node_get_int (node))
                                           : g_strdup ("");
              gtk_editable_set_text (GTK_EDITABLE (w), text);
            }
            break;
          case PCMBN_FIELD_DATE:
            {
              g_autofree char *text = logbook_date_to_input (node ? json_node_get_string (node)
                                                                  : NULL);
              gtk_editable_set_text (GTK_EDITABLE (w), text);
            }
            break;
          case PCMBN_FIELD_CODE:
            {
              const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
              guint selected = 0;
              for (guint c = 0; node && c < cat->n_entries; c++)
                if (g_str_equal (cat->entries[c].code, json_node_get_string (node)))
                  selected = c + 1;
              adw_combo_row_set_selected (ADW_COMBO_ROW (w), selected);
            }
            break;
          case PCMBN_FIELD_CODES:
            {
              const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
              JsonArray *array = node ? json_node_get_array (node) : NULL;
              for (guint c = 0; c < cat->n_entries; c++)
                {
                  GtkFlowBoxChild *child = gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (w), c);
                  gboolean on = FALSE;
                  for (guint j = 0; array && j < json_array_get_length (array); j++)
                    on = on
                         || g_str_equal (json_array_get_string_element (array, j),
                                         cat->entries[c].code);
                  gtk_toggle_button_set_active (
                      GTK_TOGGLE_BUTTON (gtk_flow_box_child_get_child (child)), on);
                }
            }
            break;
          case PCMBN_FIELD_BOOL:
            gtk_switch_set_active (GTK_SWITCH (w), node && json_node_get_boolean (node));
            break;
          case PCMBN_FIELD_REF:
            /* The only model of the test commune is the first entry. */
            adw_combo_row_set_selected (ADW_COMBO_ROW (w), node ? 1 : 0);
            break;
          default:
            break;
        }
    }
}

static JsonObject *
normalized (const PcmbnKind *kind, JsonObject *data)
{
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  JsonObject *out = pcmbn_schema_normalize (kind, data, NULL, errors);
  g_assert_cmpuint (errors->len, ==, 0);
  return out;
}

static void
assert_same_data (JsonObject *a, JsonObject *b)
{
  g_autoptr (JsonNode) na = json_node_init_object (json_node_alloc (), a);
  g_autoptr (JsonNode) nb = json_node_init_object (json_node_alloc (), b);

  if (!json_node_equal (na, nb))
    {
      g_autofree char *sa = json_to_string (na, FALSE);
      g_autofree char *sb = json_to_string (nb, FALSE);
      g_error ("data differ:\n%s\n%s", sa, sb);
    }
}

static guint
find_position_now (GListModel *model, const char *uuid)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (PcmbnRecord) record = g_list_model_get_item (model, i);
      if (g_str_equal (pcmbn_record_get_uuid (record), uuid))
        return i;
    }
  return G_MAXUINT;
}

/* The list reloads before the next frame, not within the save. */
static guint
find_position (GListModel *model, const char *uuid)
{
  guint position;

  WAIT_UNTIL ((position = find_position_now (model, uuid)) != G_MAXUINT);
  return position;
  g_error ("record %s is not listed", uuid);
  return 0;
}

static const char *
editable_text_field (const PcmbnKind *kind)
{
  for (guint i = 0; i < kind->n_fields; i++)
    if (kind->fields[i].type == PCMBN_FIELD_TEXT
        && !(kind->fields[i].flags & (PCMBN_FIELD_PSEUDONYM | PCMBN_FIELD_MULTILINE)))
      return kind->fields[i].name;
  return "notes";
}

static void
set_text (GtkWidget *w, const char *text)
{
  if (GTK_IS_TEXT_VIEW (w))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (w)), text, -1);
  else
    gtk_editable_set_text (GTK_EDITABLE (w), text);
}

/* Create, edit, delete and undo one record of each kind through the form. */
static void
test_every_kind (Fixture *f, gconstpointer unused)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);

  for (guint k = 0; k < n_kinds; k++)
    {
      const PcmbnKind *kind = kinds[k];
      LogbookRecordPage *page = show_page (f, kind->name);
      g_autoptr (JsonObject) data = demo_data (f, kind->name, 100 + k);
      g_autoptr (JsonObject) expected = normalized (kind, data);
      gint64 n0 = pcmbn_store_count (f->store, kind->name);
      LogbookRecordEditor *editor;
      g_autoptr (GPtrArray) recent = NULL;
      g_autoptr (PcmbnRecord) saved = NULL;
      g_autoptr (PcmbnRecord) edited = NULL;
      g_autofree char *uuid = NULL;
      const char *text_field = editable_text_field (kind);
      AdwToast *toast;

      g_test_message ("kind %s", kind->name);
      /* New (the button and Ctrl+N run this action). */
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL));
      editor = logbook_record_page_get_editor (page);
      g_assert_nonnull (editor);
      g_assert_cmpstr (logbook_record_page_get_visible_state (page), ==, "editor");
      fill_like_a_person (editor, kind, data);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL));
      WAIT_UNTIL (logbook_record_page_get_editor (page) == NULL);
      g_assert_cmpint (pcmbn_store_count (f->store, kind->name), ==, n0 + 1);
      recent = pcmbn_store_recent (f->store, 1);
      saved = g_object_ref (recent->pdata[0]);
      uuid = g_strdup (pcmbn_record_get_uuid (saved));
      g_assert_cmpstr (pcmbn_record_get_kind (saved)->name, ==, kind->name);
      assert_same_data (pcmbn_record_get_data (saved), expected);
      g_assert_cmpstr (adw_toast_get_title (logbook_window_get_last_toast (f->window)), ==,
                       "Record added");
      /* Its row says it waits to sync. */
      {
        g_autofree char *row = logbook_record_page_describe_row (
            page, find_position (logbook_record_page_get_model (page), uuid));
        g_assert_nonnull (strstr (row, "Waiting to sync"));
      }

      /* Edit: the row is activated, one field retyped, saved. */
      g_signal_emit_by_name (logbook_record_page_get_column_view (page), "activate",
                             find_position (logbook_record_page_get_model (page), uuid));
      editor = logbook_record_page_get_editor (page);
      g_assert_nonnull (editor);
      g_assert_cmpstr (logbook_record_editor_get_uuid (editor), ==, uuid);
      set_text (logbook_record_editor_get_field_widget (editor, text_field), "Edited in the test");
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL));
      WAIT_UNTIL (logbook_record_page_get_editor (page) == NULL);
      edited = pcmbn_store_get (f->store, uuid, NULL);
      g_assert_cmpstr (pcmbn_data_get_string (pcmbn_record_get_data (edited), text_field), ==,
                       "Edited in the test");
      g_assert_cmpint (pcmbn_store_count (f->store, kind->name), ==, n0 + 1);

      /* Delete, then Undo from the toast. */
      g_signal_emit_by_name (logbook_record_page_get_column_view (page), "activate",
                             find_position (logbook_record_page_get_model (page), uuid));
      editor = logbook_record_page_get_editor (page);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (editor), "editor.delete", NULL));
      WAIT_UNTIL (pcmbn_store_count (f->store, kind->name) == n0);
      WAIT_UNTIL (logbook_record_page_get_editor (page) == NULL);
      toast = logbook_window_get_last_toast (f->window);
      g_assert_cmpstr (adw_toast_get_title (toast), ==, "Record deleted");
      g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");
      g_signal_emit_by_name (toast, "button-clicked");
      WAIT_UNTIL (pcmbn_store_count (f->store, kind->name) == n0 + 1);
      g_assert_nonnull (pcmbn_store_get (f->store, uuid, NULL));
      g_object_unref (pcmbn_store_get (f->store, uuid, NULL));
    }
}

/* Form ↔ record: every kind's sample data goes into the form and comes
 * back out equal, over every field type (materials and files included). */
static void
test_form_mapping (Fixture *f, gconstpointer unused)
{
  guint n_kinds;
  const PcmbnKind *const *kinds = pcmbn_schema_kinds (&n_kinds);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *model_uuid = NULL;
  gint64 today = pcmbn_today ();

  model = pcmbn_demo_make ("model", rand, today - 300, today - 200, NULL, NULL);
  model_uuid = pcmbn_store_add (f->store, "model", model, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < n_kinds; k++)
    for (guint32 seed = 0; seed < 8; seed++)
      {
        g_autoptr (GRand) r = g_rand_new_with_seed (seed * 31 + k);
        g_autoptr (JsonObject)
            data = pcmbn_demo_make (kinds[k]->name, r, today - 150, today - 1, model, model_uuid);
        g_autoptr (JsonObject) expected = normalized (kinds[k], data);
        LogbookRecordEditor *editor = g_object_ref_sink (
            logbook_record_editor_new (f->context, kinds[k]->name, NULL));
        g_autoptr (JsonObject) back = NULL;

        if (g_str_equal (kinds[k]->name, "activity") && seed == 0)
          {
            /* Lists: materials handed out and a file. */
            g_autoptr (JsonObject) extra = pcmbn_test_json (
                "{\"materials\":[{\"material_type\":\"poster\",\"quantity\":12},"
                "{\"material_type\":\"leaflet\",\"quantity\":300}],"
                "\"attachments\":[{\"sha256\":\""
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                "\",\"name\":\"list.pdf\",\"size\":2048}]}");
            json_object_set_member (expected, "materials",
                                    json_node_copy (json_object_get_member (extra, "materials")));
            json_object_set_member (expected, "attachments",
                                    json_node_copy (json_object_get_member (extra, "attachments")));
            g_clear_pointer (&expected, json_object_unref);
            json_object_set_member (data, "materials",
                                    json_node_copy (json_object_get_member (extra, "materials")));
            json_object_set_member (data, "attachments",
                                    json_node_copy (json_object_get_member (extra, "attachments")));
            expected = normalized (kinds[k], data);
          }
        logbook_record_editor_set_data (editor, expected);
        back = logbook_record_editor_collect (editor, FALSE, NULL);
        assert_same_data (back, expected);
        /* What the form collects is valid as it is. */
        g_assert_true (logbook_record_editor_validate (editor, TRUE));
        g_object_unref (editor);
      }
}

static void
test_validation (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page = show_page (f, "activity");
  LogbookRecordEditor *editor;
  g_autofree char *digest = pcmbn_test_db_digest (f->path);
  g_autofree char *after = NULL;
  const char *message;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new", NULL);
  editor = logbook_record_page_get_editor (page);
  g_assert_nonnull (editor);
  /* Nothing is wrong before the person typed anything. */
  g_assert_null (logbook_record_editor_get_message (editor, "title"));

  gtk_editable_set_text (
      GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "participants_total")), "5");
  gtk_editable_set_text (
      GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "participants_female")), "9");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "participants_female") != NULL);
  message = logbook_record_editor_get_message (editor, "participants_female");
  g_assert_nonnull (strstr (message, "must not be greater than"));
  /* The other field is named by its label, not its key. */
  g_assert_nonnull (strstr (message, "Participants (total)"));

  gtk_editable_set_text (GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "date")),
                         "31/02/2026");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "date") != NULL);
  g_assert_nonnull (strstr (logbook_record_editor_get_message (editor, "date"), "dd/mm/yyyy"));

  gtk_editable_set_text (GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "end_date")),
                         "01/01/2017");
  gtk_editable_set_text (GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "date")),
                         "02/01/2017");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "end_date") != NULL);
  g_assert_null (logbook_record_editor_get_message (editor, "date"));

  /* Save is refused with the reason, and nothing is written. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.save", NULL);
  g_assert_nonnull (logbook_record_editor_get_banner (editor));
  g_assert_nonnull (strstr (logbook_record_editor_get_banner (editor), "Not saved"));
  g_assert_nonnull (logbook_record_editor_get_message (editor, "title"));
  g_assert_nonnull (strstr (logbook_record_editor_get_message (editor, "title"), "required"));
  g_assert_nonnull (logbook_record_page_get_editor (page));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (pcmbn_store_count (f->store, "activity"), ==, 0);

  /* Fixing the numbers clears their message. */
  gtk_editable_set_text (
      GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "participants_female")), "3");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "participants_female") == NULL);

  /* Cancel (Escape) closes the form and forgets its draft. */
  gtk_widget_activate_action (GTK_WIDGET (editor), "editor.cancel", NULL);
  g_assert_null (logbook_record_page_get_editor (page));
  {
    g_autoptr (PcmbnDraft) draft = logbook_context_get_draft (f->context, "new-activity");
    g_assert_null (draft);
  }
  after = pcmbn_test_db_digest (f->path);
  g_assert_cmpstr (digest, ==, after);
}

static JsonObject *
activity (const char *date, const char *type, const char *title)
{
  g_autofree char *json = g_strdup_printf (
      "{\"date\":\"%s\",\"activity_type\":\"%s\",\"subproject\":"
      "\"community\",\"title\":\"%s\",\"participants_total\":10}",
      date, type, title);
  return pcmbn_test_json (json);
}

static void
add (Fixture *f, JsonObject *data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = pcmbn_store_add (f->store, "activity", data, &error);
  g_assert_no_error (error);
  json_object_unref (data);
}

static void
test_filter (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page;
  GListModel *model;
  GtkWidget *search;
  g_autofree char *row = NULL;

  page = show_page (f, "activity");
  g_assert_cmpstr (logbook_record_page_get_visible_state (page), ==, "empty");
  add (f, activity ("2026-01-10", "community_talk", "Nói chuyện ở thôn Đông"));
  add (f, activity ("2026-02-10", "school_session", "Buổi học ở trường Tiểu học"));
  add (f, activity ("2026-03-10", "community_talk", "Họp tổ dân phố số 3"));
  model = logbook_record_page_get_model (page);
  WAIT_UNTIL (g_list_model_get_n_items (model) == 3);
  g_assert_cmpstr (logbook_record_page_get_visible_state (page), ==, "list");

  /* Ctrl+F puts the cursor in the search entry. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  search = logbook_record_page_get_search_entry (page);
  g_assert_true (gtk_widget_has_focus (search)
                 || gtk_widget_has_focus (gtk_widget_get_first_child (search))
                 || gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (f->window)), search));
  gtk_editable_set_text (GTK_EDITABLE (search), "thon dong");
  WAIT_UNTIL (g_list_model_get_n_items (model) == 1);
  row = logbook_record_page_describe_row (page, 0);
  g_assert_nonnull (strstr (row, "Nói chuyện ở thôn Đông"));

  gtk_editable_set_text (GTK_EDITABLE (search), "no such words here");
  WAIT_UNTIL (g_list_model_get_n_items (model) == 0);
  g_assert_cmpstr (logbook_record_page_get_visible_state (page), ==, "no-results");
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  WAIT_UNTIL (g_list_model_get_n_items (model) == 3);
}

static GtkWidget *
find_named (GtkWidget *root, GType type, guint nth)
{
  guint seen = 0;
  GtkWidget *found = NULL;
  g_autoptr (GPtrArray) queue = g_ptr_array_new ();

  g_ptr_array_add (queue, root);
  for (guint i = 0; i < queue->len && !found; i++)
    {
      GtkWidget *w = queue->pdata[i];
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && seen++ == nth)
        found = w;
      for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
        g_ptr_array_add (queue, c);
    }
  return found;
}

static void
test_range_and_type_filters (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page = show_page (f, "activity");
  GListModel *model = logbook_record_page_get_model (page);
  GtkWidget *from = find_named (GTK_WIDGET (page), GTK_TYPE_ENTRY, 0);
  GtkWidget *to = find_named (GTK_WIDGET (page), GTK_TYPE_ENTRY, 1);
  GtkWidget *type = find_named (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN, 0);

  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (from)), ==, "From");
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (to)), ==, "To");
  add (f, activity ("2026-01-10", "community_talk", "A"));
  add (f, activity ("2026-02-10", "school_session", "B"));
  add (f, activity ("2026-03-10", "community_talk", "C"));
  WAIT_UNTIL (g_list_model_get_n_items (model) == 3);
  gtk_editable_set_text (GTK_EDITABLE (from), "01/02/2026");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  gtk_editable_set_text (GTK_EDITABLE (to), "28/02/2026");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  /* A half-typed date marks the entry and keeps the filter. */
  gtk_editable_delete_text (GTK_EDITABLE (to), 8, 10); /* two backspaces: "28/02/20" */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (to)), ==, "28/02/20");
  g_assert_true (gtk_widget_has_css_class (to, "error"));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (to), "");
  gtk_editable_set_text (GTK_EDITABLE (from), "");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  /* Type: the drop-down lists "All types" then the catalogue. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (type), 1); /* community_talk */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (type), 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
}

static void
test_state_display (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page = show_page (f, "activity");
  GListModel *model = logbook_record_page_get_model (page);
  g_autofree char *row = NULL;
  g_autofree char *row2 = NULL;

  add (f, activity ("2026-01-10", "community_talk", "Synced one"));
  add (f, activity ("2026-01-11", "community_talk", "Refused one"));
  WAIT_UNTIL (g_list_model_get_n_items (model) == 2);
  /* As a sync would leave them. */
  pcmbn_store_exec (
      pcmbn_store_get_db (f->store),
      "UPDATE records SET state = 'synced', dirty = 0, version = 1 WHERE rtitle LIKE 'synced%';"
      "UPDATE records SET state = 'rejected', problem = 'title: too short' WHERE rtitle LIKE 'refused%';",
      NULL);
  pcmbn_record_list_refresh (PCMBN_RECORD_LIST (model));
  row = logbook_record_page_describe_row (page, 0);
  row2 = logbook_record_page_describe_row (page, 1);
  g_assert_nonnull (strstr (row, "Refused one"));
  g_assert_nonnull (strstr (row, "Rejected by the server"));
  g_assert_nonnull (strstr (row2, "Synced"));
}

static void
test_first_run (Fixture *f, gconstpointer unused)
{
  LogbookFirstRun *first_run = logbook_window_get_first_run (f->window);
  GtkWidget *search, *results, *start;
  GtkListBoxRow *row;

  g_assert_nonnull (first_run);
  g_assert_false (logbook_context_get_initialized (f->context));
  start = logbook_first_run_get_start_button (first_run);
  g_assert_false (gtk_widget_get_sensitive (start));
  search = logbook_first_run_get_search_entry (first_run);
  results = logbook_first_run_get_results (first_run);
  /* Without diacritics. */
  gtk_editable_set_text (GTK_EDITABLE (search), "phuc xa");
  WAIT_UNTIL (gtk_list_box_get_row_at_index (GTK_LIST_BOX (results), 0) != NULL
              && g_object_get_data (
                  G_OBJECT (gtk_list_box_get_row_at_index (GTK_LIST_BOX (results), 0)), "code"));
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (results), 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Phúc Xá");
  /* The unit above tells same-named communes apart (issue 11). */
  {
    g_autofree char *parent = logbook_context_dup_parent_name (f->context, "00001");
    g_assert_nonnull (parent);
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), parent));
  }
  /* Enter in the search picks the first match. */
  g_signal_emit_by_name (search, "activate");
  WAIT_UNTIL (gtk_widget_get_sensitive (start));
  g_assert_true (gtk_list_box_get_selected_row (GTK_LIST_BOX (results)) == row);
  /* "Start" is whole on a 1024×720 screen, at the foot of the window. */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 720);
  WAIT_UNTIL (gtk_widget_get_height (GTK_WIDGET (f->window)) <= 720
              && gtk_widget_get_mapped (start));
  {
    graphene_rect_t bounds;
    g_assert_true (gtk_widget_compute_bounds (start, GTK_WIDGET (f->window), &bounds));
    g_assert_cmpfloat (bounds.origin.y, >=, 0);
    g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=,
                       gtk_widget_get_height (GTK_WIDGET (f->window)));
  }
  gtk_check_button_set_active (
      GTK_CHECK_BUTTON (logbook_first_run_get_profile_check (first_run, "womens-union")), TRUE);
  gtk_widget_activate (start);
  WAIT_UNTIL (logbook_context_get_initialized (f->context));
  g_assert_cmpstr (pcmbn_store_get_org_unit (f->store), ==, "00001");
  {
    g_autofree char *profile = pcmbn_store_get_meta (f->store, "profile");
    g_assert_cmpstr (profile, ==, "womens-union");
  }
  /* The Women's Union sees Counselling; it is not hidden for them. */
  g_assert_true (logbook_window_section_visible (f->window, "counselling"));
  g_assert_cmpstr (logbook_window_get_section (f->window), ==, "overview");
  /* Ctrl+N from the overview opens the profile's first kind. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new", NULL);
  g_assert_cmpstr (logbook_window_get_section (f->window), ==, "counselling");
  g_assert_nonnull (
      logbook_record_page_get_editor (logbook_window_get_record_page (f->window, "counselling")));
}

static void
test_first_run_no_match (Fixture *f, gconstpointer unused)
{
  LogbookFirstRun *first_run = logbook_window_get_first_run (f->window);
  GtkWidget *results = logbook_first_run_get_results (first_run);

  gtk_editable_set_text (GTK_EDITABLE (logbook_first_run_get_search_entry (first_run)), "zzzz qqq");
  WAIT_UNTIL (gtk_list_box_get_row_at_index (GTK_LIST_BOX (results), 0) != NULL);
  g_assert_null (g_object_get_data (
      G_OBJECT (gtk_list_box_get_row_at_index (GTK_LIST_BOX (results), 0)), "code"));
  g_assert_false (gtk_widget_get_sensitive (logbook_first_run_get_start_button (first_run)));
  gtk_widget_activate (logbook_first_run_get_start_button (first_run));
  g_assert_false (logbook_context_get_initialized (f->context));
}

static void
test_draft_survives (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page = show_page (f, "training");
  LogbookRecordEditor *editor;
  PcmbnDraft *draft = NULL;

  gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL);
  editor = logbook_record_page_get_editor (page);
  gtk_editable_set_text (GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "title")),
                         "Unsaved training");
  gtk_editable_set_text (GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "date")),
                         "31/02/20");
  WAIT_UNTIL ((draft = logbook_context_get_draft (f->context, "new-training")) != NULL);
  pcmbn_draft_free (draft);

  /* The window goes away without saving, as in a crash. */
  close_window (f);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  f->store = pcmbn_store_open (f->path, NULL);
  f->context = logbook_context_new (f->store);
  open_window (f);
  page = show_page (f, "training");
  gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL);
  editor = logbook_record_page_get_editor (page);
  g_assert_cmpstr (gtk_editable_get_text (
                       GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "title"))),
                   ==, "Unsaved training");
  /* Even half-typed input comes back as typed. */
  g_assert_cmpstr (gtk_editable_get_text (
                       GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "date"))),
                   ==, "31/02/20");
  g_assert_cmpint (pcmbn_store_count (f->store, "training"), ==, 0);
}

static void
test_counselling_privacy (Fixture *f, gconstpointer unused)
{
  g_autofree char *profile = logbook_context_dup_profile (f->context);
  LogbookRecordPage *page;
  LogbookRecordEditor *editor;
  GtkWidget *code;
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  /* The culture profile orders the sections; it hides none (issue 11). */
  g_assert_cmpstr (profile, ==, "culture");
  g_assert_true (logbook_window_section_visible (f->window, "counselling"));
  page = show_page (f, "counselling");
  GtkWidget *generate;

  gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL);
  editor = logbook_record_page_get_editor (page);
  code = logbook_record_editor_get_field_widget (editor, "client_code");
  /* No field asks for a name. */
  for (guint i = 0; i < pcmbn_schema_kind ("counselling")->n_fields; i++)
    g_assert_null (strstr (pcmbn_schema_kind ("counselling")->fields[i].name, "name"));
  gtk_editable_set_text (GTK_EDITABLE (code), "Nguyen Thi A");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "client_code") != NULL);
  g_assert_nonnull (
      strstr (logbook_record_editor_get_message (editor, "client_code"), "never a name"));
  for (guint i = 0; (generate = find_named (code, GTK_TYPE_BUTTON, i)); i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (generate), "Generate a pseudonym") == 0)
      break;
  g_assert_nonnull (generate);
  gtk_widget_activate (generate);
  WAIT_UNTIL (g_str_has_prefix (gtk_editable_get_text (GTK_EDITABLE (code)), "TV-"));
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "client_code") == NULL);

  /* Hiding Counselling in the preferences takes it off the sidebar. */
  logbook_context_set_hide_counselling (f->context, TRUE);
  g_assert_false (logbook_window_section_visible (f->window, "counselling"));
  logbook_context_set_hide_counselling (f->context, FALSE);
  g_assert_true (logbook_window_section_visible (f->window, "counselling"));
}

static GtkWidget *
find_by_name (GtkWidget *root, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_by_name (c, name);
      if (found)
        return found;
    }
  return NULL;
}

/* Issue 11: the form shows the core's own messages, each beside its
 * field, in the person's language, other fields named by their labels. */
static void
test_messages_vietnamese (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page;
  LogbookRecordEditor *editor;

  if (!g_test_subprocess ())
    {
      /* The child reads the catalogue from its start, as the app does. */
      g_setenv ("LANGUAGE", "vi", TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_setenv ("LANGUAGE", "en", TRUE);
      g_test_trap_assert_passed ();
      return;
    }
  g_assert_true (pcmbn_is_vietnamese ());
  page = show_page (f, "activity");
  gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL);
  editor = logbook_record_page_get_editor (page);

  gtk_editable_set_text (
      GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "participants_total")), "5");
  gtk_editable_set_text (
      GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "participants_female")), "9");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "participants_female") != NULL);
  g_assert_cmpstr (logbook_record_editor_get_message (editor, "participants_female"), ==,
                   "không được lớn hơn “Tổng số người tham dự” (5)");
  g_assert_null (logbook_record_editor_get_message (editor, "participants_total"));

  gtk_editable_set_text (
      GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "participants_14_60")), "abc");
  gtk_editable_set_text (GTK_EDITABLE (logbook_record_editor_get_field_widget (editor, "date")),
                         "31/02/2026");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "date") != NULL);
  g_assert_cmpstr (logbook_record_editor_get_message (editor, "date"), ==,
                   "phải là ngày viết dạng dd/mm/yyyy, ví dụ 30/07/2026");
  WAIT_UNTIL (logbook_record_editor_get_message (editor, "participants_14_60") != NULL);
  g_assert_cmpstr (logbook_record_editor_get_message (editor, "participants_14_60"), ==,
                   "phải là số nguyên từ 0 trở lên");

  /* Save names the first wrong field by its label, without its key. */
  gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL);
  g_assert_nonnull (logbook_record_editor_get_banner (editor));
  g_assert_null (strstr (logbook_record_editor_get_banner (editor), "date"));
  g_assert_nonnull (strstr (logbook_record_editor_get_banner (editor), "Ngày"));
}

/* Issue 11: date fields showed no hint of the day-first format. */
static void
test_date_hint (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page = show_page (f, "activity");
  LogbookRecordEditor *editor;
  GtkWidget *hint;

  gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL);
  editor = logbook_record_page_get_editor (page);
  hint = find_by_name (logbook_record_editor_get_field_widget (editor, "date"), "date-format-hint");
  g_assert_nonnull (hint);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (hint)), ==, "dd/mm/yyyy");
  g_assert_nonnull (find_by_name (logbook_record_editor_get_field_widget (editor, "end_date"),
                                  "date-format-hint"));
  /* A new form's counts start empty: a 0 is a value ("0 deployed" without a
   * date was refused before anything was typed). */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (
                       logbook_record_editor_get_field_widget (editor, "participants_female"))),
                   ==, "");
}

static GtkWidget *
find_label (GtkWidget *root, const char *text)
{
  if (GTK_IS_LABEL (root) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_label (c, text);
      if (found)
        return found;
    }
  return NULL;
}

/* Issue 11: "Tiểu đề án 1: truyền thô…" and "Tiểu đề án 2: truyền thô…"
 * could not be told apart. Every catalogue label shows whole, wrapped. */
static void
test_choices_whole (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page = show_page (f, "activity");
  const PcmbnField *field = pcmbn_kind_field (pcmbn_schema_kind ("activity"), "subproject");
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (field->catalogue);
  LogbookRecordEditor *editor;
  GtkWidget *row, *label;

  gtk_widget_activate_action (GTK_WIDGET (page), "page.new", NULL);
  editor = logbook_record_page_get_editor (page);
  row = logbook_record_editor_get_field_widget (editor, "subproject");
  for (guint i = 0; i < cat->n_entries; i++)
    {
      const char *text = pcmbn_catalogue_entry_label (&cat->entries[i]);
      adw_combo_row_set_selected (ADW_COMBO_ROW (row), i + 1); /* after "Choose…" */
      WAIT_UNTIL ((label = find_label (row, text)) != NULL && gtk_widget_get_mapped (label));
      g_assert_cmpint (gtk_label_get_ellipsize (GTK_LABEL (label)), ==, PANGO_ELLIPSIZE_NONE);
      g_assert_true (gtk_label_get_wrap (GTK_LABEL (label)));
    }
}

static const char *
column_title (LogbookRecordPage *page, guint index)
{
  GListModel *columns = gtk_column_view_get_columns (
      GTK_COLUMN_VIEW (logbook_record_page_get_column_view (page)));
  g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, index);

  return column ? gtk_column_view_column_get_title (column) : NULL;
}

/* Issue 11: the meetings list did not say which model a meeting belongs to,
 * and the models list called its names "Title". Each kind's second column is
 * named after the field it shows (records.md). */
static void
test_list_columns (Fixture *f, gconstpointer unused)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) m = pcmbn_test_json (
      "{\"name\":\"CLB Phòng chống mua bán người\",\"model_type\":\"intensive\","
      "\"established_on\":\"2020-05-01\",\"status\":\"active\"}");
  g_autofree char *model = pcmbn_store_add (f->store, "model", m, &error);
  g_autofree char *json = g_strdup_printf (
      "{\"model\":\"%s\",\"date\":\"2026-03-10\",\"participants_total\":12}", model);
  g_autoptr (JsonObject) mm = pcmbn_test_json (json);
  g_autofree char *meeting = pcmbn_store_add (f->store, "model-meeting", mm, &error);
  LogbookRecordPage *page;
  gboolean found = FALSE;

  g_assert_no_error (error);
  page = show_page (f, "model");
  g_assert_cmpstr (column_title (page, 1), ==, "Name");
  page = show_page (f, "model-meeting");
  g_assert_cmpstr (column_title (page, 1), ==, "Model");
  WAIT_UNTIL (g_list_model_get_n_items (logbook_record_page_get_model (page)) > 0);
  for (guint i = 0; i < g_list_model_get_n_items (logbook_record_page_get_model (page)); i++)
    {
      g_autofree char *row = logbook_record_page_describe_row (page, i);
      found = found || strstr (row, "| CLB Phòng chống mua bán người |") != NULL;
    }
  g_assert_true (found);
  page = show_page (f, "activity");
  g_assert_cmpstr (column_title (page, 1), ==, "Title");
  page = show_page (f, "counselling");
  g_assert_cmpstr (
      column_title (page, 1), ==,
      pcmbn_field_label (pcmbn_kind_field (pcmbn_schema_kind ("counselling"), "client_code")));
}

/* Every icon name in the app's sources and templates resolves in the theme
 * the app runs with: Debian 12's Adwaita plus the icons it bundles. */
static void
test_icons (Fixture *f, gconstpointer unused)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (
      gtk_widget_get_display (GTK_WIDGET (f->window)));
  g_autofree char *app_dir = g_build_filename (g_getenv ("PCMBN_SOURCE_ROOT"), "src", "app", NULL);
  g_autofree char *ui_dir = g_build_filename (g_getenv ("PCMBN_SOURCE_ROOT"), "data", "ui", NULL);
  const char *dirs[] = { app_dir, ui_dir };
  g_autoptr (GRegex) regex = g_regex_new ("[\"> ]([a-z][a-z0-9-]*-symbolic)[\"<]", 0, 0, NULL);
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) missing = g_string_new (NULL);
  GHashTableIter iter;
  gpointer name;

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs[d], 0, NULL);
      const char *file;

      g_assert_nonnull (dir);
      while ((file = g_dir_read_name (dir)))
        {
          g_autofree char *path = g_build_filename (dirs[d], file, NULL);
          g_autofree char *text = NULL;
          g_autoptr (GMatchInfo) match = NULL;

          if (!g_str_has_suffix (file, ".c") && !g_str_has_suffix (file, ".ui"))
            continue;
          g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
          for (g_regex_match (regex, text, 0, &match); g_match_info_matches (match);
               g_match_info_next (match, NULL))
            g_hash_table_add (names, g_match_info_fetch (match, 1));
        }
    }
  /* The sidebar's Counselling icon, missing from Debian 12 (issue 11). */
  g_assert_true (g_hash_table_contains (names, "chat-symbolic"));
  g_assert_cmpuint (g_hash_table_size (names), >, 10);
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!gtk_icon_theme_has_icon (theme, name))
      g_string_append_printf (missing, " %s", (char *)name);
  g_assert_cmpstr (missing->str, ==, "");
}

/* Issue 11: a deletion's only way back was a five-second toast. The page of
 * recently deleted records has no timer: restore long after the toast. */
static void
test_recently_deleted (Fixture *f, gconstpointer unused)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) data = activity ("2026-01-10", "community_talk", "Deleted talk");
  g_autofree char *uuid = pcmbn_store_add (f->store, "activity", data, &error);
  LogbookDeletedPage *page = logbook_window_get_deleted_page (f->window);
  g_autoptr (PcmbnRecord) back = NULL;
  GtkWidget *restore;

  g_assert_no_error (error);
  g_assert_true (logbook_window_section_visible (f->window, "deleted"));
  logbook_window_show_section (f->window, "deleted");
  WAIT_UNTIL (logbook_deleted_page_get_loaded (page));
  g_assert_cmpuint (logbook_deleted_page_get_n_records (page), ==, 0);

  g_assert_true (pcmbn_store_delete (f->store, uuid, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (logbook_deleted_page_get_loaded (page)
              && logbook_deleted_page_get_n_records (page) == 1);
  restore = logbook_deleted_page_get_restore_button (page, uuid);
  g_assert_nonnull (restore);
  g_assert_null (logbook_deleted_page_get_restore_button (page, "no-such-uuid"));
  gtk_widget_activate (restore);
  WAIT_UNTIL ((back = pcmbn_store_get (f->store, uuid, NULL)) != NULL);
  g_assert_cmpint (pcmbn_record_get_state (back), ==, PCMBN_STATE_DIRTY);
  WAIT_UNTIL (logbook_deleted_page_get_loaded (page)
              && logbook_deleted_page_get_n_records (page) == 0);
  WAIT_UNTIL (logbook_window_get_last_toast (f->window) != NULL
              && g_str_has_prefix (adw_toast_get_title (logbook_window_get_last_toast (f->window)),
                                   "Record restored"));

  /* Bad input: a meeting whose model is deleted stays deleted, and says why. */
  {
    g_autoptr (JsonObject)
        m = pcmbn_test_json ("{\"name\":\"CLB\",\"model_type\":\"intensive\",\"established_on\":"
                             "\"2020-05-01\",\"status\":\"active\"}");
    g_autofree char *model = pcmbn_store_add (f->store, "model", m, &error);
    g_autofree char *json = g_strdup_printf (
        "{\"model\":\"%s\",\"date\":\"2026-03-10\",\"participants_total\":12}", model);
    g_autoptr (JsonObject) mm = pcmbn_test_json (json);
    g_autofree char *meeting = pcmbn_store_add (f->store, "model-meeting", mm, &error);
    g_autoptr (PcmbnRecord) still = NULL;

    g_assert_no_error (error);
    g_assert_true (pcmbn_store_delete (f->store, meeting, &error));
    g_assert_true (pcmbn_store_delete (f->store, model, &error));
    WAIT_UNTIL (logbook_deleted_page_get_loaded (page)
                && logbook_deleted_page_get_restore_button (page, meeting) != NULL);
    gtk_widget_activate (logbook_deleted_page_get_restore_button (page, meeting));
    WAIT_UNTIL (g_str_has_prefix (adw_toast_get_title (logbook_window_get_last_toast (f->window)),
                                  "The record cannot be restored: uuid: this meeting’s model"));
    still = pcmbn_store_get (f->store, meeting, NULL);
    g_assert_null (still);
  }
}

static void
test_overview (Fixture *f, gconstpointer unused)
{
  LogbookOverviewPage *overview = logbook_window_get_overview (f->window);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");

  WAIT_UNTIL (logbook_overview_page_get_loaded (overview));
  g_assert_cmpint (logbook_overview_page_get_dirty (overview), ==, 0);
  add (f, activity (date, "community_talk", "Today"));
  WAIT_UNTIL (logbook_overview_page_get_loaded (overview)
              && logbook_overview_page_get_dirty (overview) == 1);
}

static void
test_reports (Fixture *f, gconstpointer unused)
{
  LogbookReportsPage *page = logbook_window_get_reports_page (f->window);
  g_autofree char *dir = pcmbn_test_tmpdir ();
  const char *const formats[] = { "json", "csv", "pdf", "xlsx" };
  const char *const magic[] = { "{", "\xef\xbb\xbf", "%PDF", "PK" };
  g_autofree char *header = NULL;
  g_autofree char *count = NULL;
  GtkWidget *mode, *from, *to;

  add (f, activity ("2025-03-04", "community_talk", "Talk one"));
  add (f, activity ("2025-05-06", "community_talk", "Talk two"));
  add (f, activity ("2025-07-08", "school_session", "School"));
  logbook_window_show_section (f->window, "reports");
  WAIT_UNTIL (logbook_reports_page_get_loaded (page));
  /* This year has no activities; 2025 has three. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (logbook_reports_page_get_widget (page, "year")),
                             2025);
  WAIT_UNTIL (logbook_reports_page_get_loaded (page));
  header = logbook_reports_page_get_cell (page, "indicators", 0, 0);
  g_assert_cmpstr (header, ==, "Indicator");
  count = logbook_reports_page_get_cell (page, "activities_by_type", 1, 1);
  g_assert_cmpstr (count, ==, "2");
  /* Every indicator shows its assessment: met, not met, or why not. */
  for (guint r = 1; r <= 5; r++)
    {
      g_autofree char *assessment = logbook_reports_page_get_cell (page, "indicators", r, 5);
      g_assert_nonnull (assessment);
      g_assert_cmpuint (strlen (assessment), >, 0);
    }

  /* Every format, written off the main thread to a file. */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strconcat ("report.", formats[i], NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autofree char *contents = NULL;
      gsize len = 0;
      PcmbnReportFormat format;
      AdwToast *toast;

      g_assert_true (pcmbn_report_format_from_string (formats[i], &format));
      g_assert_true (gtk_widget_get_sensitive (logbook_reports_page_get_widget (page, formats[i])));
      logbook_reports_page_export_to (page, format, file);
      g_assert_true (logbook_reports_page_get_exporting (page));
      WAIT_UNTIL (!logbook_reports_page_get_exporting (page));
      g_assert_null (logbook_reports_page_get_message (page));
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_cmpuint (len, >, 100);
      g_assert_true (g_str_has_prefix (contents, magic[i]));
      /* A toast offers to open it. */
      toast = logbook_window_get_last_toast (f->window);
      g_assert_nonnull (toast);
      g_assert_cmpstr (adw_toast_get_action_name (toast), ==, "reports.open-export");
      g_assert_true (g_file_equal (logbook_reports_page_get_last_export (page), file));
    }

  /* Bad input: a folder that does not exist; the reason is shown. */
  {
    g_autofree char *path = g_build_filename (dir, "no-such-folder", "report.pdf", NULL);
    g_autoptr (GFile) file = g_file_new_for_path (path);

    logbook_reports_page_export_to (page, PCMBN_REPORT_FORMAT_PDF, file);
    WAIT_UNTIL (!logbook_reports_page_get_exporting (page));
    g_assert_nonnull (logbook_reports_page_get_message (page));
    g_assert_nonnull (strstr (logbook_reports_page_get_message (page), "not saved"));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }

  /* A period: typed dates, a wrong one refused with the reason. */
  mode = logbook_reports_page_get_widget (page, "mode");
  from = logbook_reports_page_get_widget (page, "from");
  to = logbook_reports_page_get_widget (page, "to");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (mode), 1);
  g_assert_true (gtk_widget_get_visible (from));
  gtk_editable_set_text (GTK_EDITABLE (from), "31/02/2025");
  g_signal_emit_by_name (from, "activate"); /* Enter */
  WAIT_UNTIL (logbook_reports_page_get_message (page) != NULL);
  g_assert_true (gtk_widget_has_css_class (from, "error"));
  g_assert_false (gtk_widget_get_sensitive (logbook_reports_page_get_widget (page, "pdf")));
  gtk_editable_set_text (GTK_EDITABLE (from), "01/08/2025");
  gtk_editable_set_text (GTK_EDITABLE (to), "01/01/2025");
  g_signal_emit_by_name (to, "activate");
  WAIT_UNTIL (logbook_reports_page_get_message (page) != NULL);
  /* Said as the boxes write dates, naming no option of the CLI (issue 11). */
  g_assert_cmpstr (logbook_reports_page_get_message (page), ==,
                   "The last day of the period comes before its first day, 01/08/2025.");
  g_assert_true (gtk_widget_has_css_class (to, "error"));
  gtk_editable_set_text (GTK_EDITABLE (from), "01/05/2025");
  gtk_editable_set_text (GTK_EDITABLE (to), "31/12/2025");
  WAIT_UNTIL (logbook_reports_page_get_loaded (page));
  g_assert_null (logbook_reports_page_get_message (page));
  {
    /* May to December: one talk and the school session. */
    g_autofree char *talks = logbook_reports_page_get_cell (page, "activities_by_type", 1, 1);
    g_assert_cmpstr (talks, ==, "1");
  }
}

/* An edit saved while the list is scrolled keeps the list where it was,
 * and does not read every row to do so. */
static void
test_scroll_kept (Fixture *f, gconstpointer unused)
{
  LogbookRecordPage *page;
  GtkWidget *view;
  GtkAdjustment *adj;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) patch = pcmbn_test_json ("{\"title\": \"Edited while scrolled\"}");
  g_autoptr (PcmbnRecord) record = NULL;
  double before;

  g_assert_true (pcmbn_store_begin (f->store, NULL));
  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *title = g_strdup_printf ("Talk %u", i);
      g_autofree char *date = g_strdup_printf ("2025-%02u-%02u", 1 + i % 12, 1 + i % 28);
      add (f, activity (date, "community_talk", title));
    }
  g_assert_true (pcmbn_store_commit (f->store, NULL));
  page = show_page (f, "activity");
  WAIT_UNTIL (g_list_model_get_n_items (logbook_record_page_get_model (page)) == 2000);
  view = logbook_record_page_get_column_view (page);
  adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  WAIT_UNTIL (gtk_adjustment_get_page_size (adj) > 0);
  WAIT_UNTIL (gtk_adjustment_get_upper (adj) > 10 * gtk_adjustment_get_page_size (adj));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 2);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  before = gtk_adjustment_get_value (adj);
  g_assert_cmpfloat (before, >, 0);

  /* An edit elsewhere in the list: the count is the same. */
  record = g_list_model_get_item (logbook_record_page_get_model (page), 3);
  g_assert_true (pcmbn_store_update (f->store, pcmbn_record_get_uuid (record), patch, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, before / 2);
  g_assert_cmpuint (
      pcmbn_record_list_get_cached_pages (PCMBN_RECORD_LIST (logbook_record_page_get_model (page))),
      <=, 12);
  {
    g_autoptr (PcmbnRecord) again = g_list_model_get_item (logbook_record_page_get_model (page), 3);
    g_assert_cmpstr (pcmbn_record_get_title (again), ==, "Edited while scrolled");
  }

  /* A new record: one more row, still where it was. */
  add (f, activity ("2025-06-15", "community_talk", "One more"));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (g_list_model_get_n_items (logbook_record_page_get_model (page)), ==, 2001);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, before / 2);
}

/* Help opens the guide in the interface's language: installed, else the
 * one built in the build tree. */
static void
test_guide (void)
{
  g_autofree char *guide = logbook_application_find_guide ();

  g_assert_nonnull (guide);
  g_assert_true (g_str_has_suffix (guide, G_DIR_SEPARATOR_S "guide" G_DIR_SEPARATOR_S "en.html"));
  g_assert_true (g_file_test (guide, G_FILE_TEST_IS_REGULAR));
}

int
main (int argc, char **argv)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display; run under xvfb-run\n");
      return 77;
    }
  pcmbn_i18n_init ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add ("/app-window/every-kind", Fixture, NULL, setup, test_every_kind, teardown);
  g_test_add ("/app-window/form-mapping", Fixture, NULL, setup, test_form_mapping, teardown);
  g_test_add ("/app-window/validation", Fixture, NULL, setup, test_validation, teardown);
  g_test_add ("/app-window/filter", Fixture, NULL, setup, test_filter, teardown);
  g_test_add ("/app-window/range-and-type", Fixture, NULL, setup, test_range_and_type_filters,
              teardown);
  g_test_add ("/app-window/state-display", Fixture, NULL, setup, test_state_display, teardown);
  g_test_add ("/app-window/first-run", Fixture, NULL, setup_empty, test_first_run, teardown);
  g_test_add ("/app-window/first-run-no-match", Fixture, NULL, setup_empty, test_first_run_no_match,
              teardown);
  g_test_add ("/app-window/draft-survives", Fixture, NULL, setup, test_draft_survives, teardown);
  g_test_add ("/app-window/recently-deleted", Fixture, NULL, setup, test_recently_deleted,
              teardown);
  g_test_add ("/app-window/choices-whole", Fixture, NULL, setup, test_choices_whole, teardown);
  g_test_add ("/app-window/date-hint", Fixture, NULL, setup, test_date_hint, teardown);
  g_test_add ("/app-window/messages-vietnamese", Fixture, NULL, setup, test_messages_vietnamese,
              teardown);
  g_test_add ("/app-window/list-columns", Fixture, NULL, setup, test_list_columns, teardown);
  g_test_add ("/app-window/icons", Fixture, NULL, setup, test_icons, teardown);
  g_test_add ("/app-window/counselling-privacy", Fixture, NULL, setup, test_counselling_privacy,
              teardown);
  g_test_add ("/app-window/overview", Fixture, NULL, setup, test_overview, teardown);
  g_test_add_func ("/app-window/guide", test_guide);
  g_test_add ("/app-window/reports", Fixture, NULL, setup, test_reports, teardown);
  g_test_add ("/app-window/scroll-kept", Fixture, NULL, setup, test_scroll_kept, teardown);
  return g_test_run ();
}
