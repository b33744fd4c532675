/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-record-editor"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "logbook-format.h"
#include "logbook-a11y.h"
#include "logbook-record-editor-private.h"
#include "pcmbn-util.h"

/* The one form of the app. It reads the kind's fields from the schema and
 * makes a row for each, so that a field added to the schema shows up here
 * without a line of GUI code; no kind has a hand-written form. */

typedef struct
{
  LogbookRecordEditor *editor;
  const PcmbnField *field;
  GtkWidget *row;
  GtkWidget *value;
  GtkWidget *message_row;
  GtkWidget *message;
  char *hint;
  char *error;
  gboolean touched;
  gboolean had_false;     /* BOOL: the record said false, not "not set" */
  GPtrArray *toggles;     /* CODES: one GtkToggleButton per entry */
  GPtrArray *ref_uuids;   /* REF: the uuid of each drop-down item */
  JsonArray *attachments; /* ATTACHMENTS: the current list */
} FieldView;

struct _LogbookRecordEditor
{
  AdwBin parent_instance;

  GtkLabel *title_label;
  GtkWidget *delete_button;
  GtkWidget *save_button;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkBox *groups_box;

  LogbookContext *context;
  const PcmbnKind *kind;
  char *uuid;
  char *draft_id;
  GPtrArray *views; /* FieldView, in schema order */
  GCancellable *cancellable;
  guint draft_source;
  guint validate_source;
  gboolean filling;
  gboolean busy;
  gboolean tried_save;
};

G_DEFINE_FINAL_TYPE (LogbookRecordEditor, logbook_record_editor, ADW_TYPE_BIN)

enum
{
  SAVED,
  CLOSED,
  DELETE_REQUESTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void field_changed (FieldView *fv);

static void
field_view_free (FieldView *fv)
{
  g_clear_pointer (&fv->toggles, g_ptr_array_unref);
  g_clear_pointer (&fv->ref_uuids, g_ptr_array_unref);
  g_clear_pointer (&fv->attachments, json_array_unref);
  g_free (fv->hint);
  g_free (fv->error);
  g_free (fv);
}

static FieldView *
find_view (LogbookRecordEditor *self, const char *name)
{
  for (guint i = 0; i < self->views->len; i++)
    {
      FieldView *fv = self->views->pdata[i];
      if (g_strcmp0 (fv->field->name, name) == 0)
        return fv;
    }
  return NULL;
}

static void
set_accessible_label (GtkWidget *widget, const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  /* An action row also labels its widget by its title: with both, GTK 4.8
   * reads the name twice ("Trong đó nữ Trong đó nữ"). */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

/* ---- messages ---------------------------------------------------------- */

static void
show_message (FieldView *fv, const char *error)
{
  const char *text = error ? error : fv->hint;

  g_free (fv->error);
  fv->error = g_strdup (error);
  if (error)
    gtk_widget_add_css_class (fv->row, "error");
  else
    gtk_widget_remove_css_class (fv->row, "error");
  gtk_label_set_text (GTK_LABEL (fv->message), text ? text : "");
  gtk_widget_set_visible (fv->message_row, text != NULL);
  if (error)
    {
      gtk_widget_add_css_class (fv->message, "error");
      gtk_widget_remove_css_class (fv->message, "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (fv->message, "error");
      gtk_widget_add_css_class (fv->message, "dim-label");
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (fv->value), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text ? text : "", -1);
  gtk_accessible_update_state (GTK_ACCESSIBLE (fv->value), GTK_ACCESSIBLE_STATE_INVALID,
                               error ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
}

static void
show_banner (LogbookRecordEditor *self, const char *text)
{
  gtk_label_set_text (self->banner_label, text ? text : "");
  gtk_revealer_set_reveal_child (self->banner_revealer, text != NULL);
}

/* ---- rows --------------------------------------------------------------- */

static void
on_editable_changed (GtkEditable *editable, FieldView *fv)
{
  field_changed (fv);
}

static void
on_notify_changed (GObject *object, GParamSpec *pspec, FieldView *fv)
{
  field_changed (fv);
}

static void
on_buffer_changed (GtkTextBuffer *buffer, FieldView *fv)
{
  field_changed (fv);
}

static GtkWidget *
new_message_row (FieldView *fv)
{
  /* A preferences row, so that the group keeps it in its list, right under
   * its field (other widgets go below the list). */
  GtkWidget *row = adw_preferences_row_new ();

  fv->message = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (fv->message), TRUE);
  gtk_label_set_xalign (GTK_LABEL (fv->message), 0);
  gtk_widget_add_css_class (fv->message, "caption");
  gtk_widget_set_margin_start (fv->message, 12);
  gtk_widget_set_margin_end (fv->message, 12);
  gtk_widget_set_margin_top (fv->message, 6);
  gtk_widget_set_margin_bottom (fv->message, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), fv->message);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "field-message");
  gtk_widget_set_visible (row, FALSE);
  fv->message_row = row;
  return row;
}

/* A row of the list whose content is not a single control: chips, a text
 * area, the materials handed out, attachments. */
static GtkWidget *
new_block_row (FieldView *fv, GtkWidget **box_out)
{
  GtkWidget *row = adw_preferences_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget *title = gtk_label_new (pcmbn_field_label (fv->field));

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 10);
  gtk_widget_set_margin_bottom (box, 10);
  gtk_box_append (GTK_BOX (box), title);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  *box_out = box;
  return row;
}

static GtkWidget *
label_button (const char *icon, const char *label)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), icon);
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), label);
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (button), content);
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  return button;
}

static void
setup_wrapping_label (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer unused)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
  gtk_list_item_set_child (item, label);
}

static void
bind_wrapping_label (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer unused)
{
  GObject *entry = gtk_list_item_get_item (item);

  gtk_label_set_text (
      GTK_LABEL (gtk_list_item_get_child (item)),
      GTK_IS_STRING_OBJECT (entry) ? gtk_string_object_get_string (GTK_STRING_OBJECT (entry)) : "");
}

/* Catalogue labels are long ("Tiểu đề án 1: truyền thông …"), and two of
 * them differ only at the end: the choices wrap, never cut. */
static GtkListItemFactory *
wrapping_factory (void)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_wrapping_label), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_wrapping_label), NULL);
  return factory;
}

static GtkWidget *
new_combo (const char *const *labels)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr (GtkStringList) list = gtk_string_list_new (labels);
  g_autoptr (GtkListItemFactory) factory = wrapping_factory ();

  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (list));
  adw_combo_row_set_factory (ADW_COMBO_ROW (row), factory);
  return row;
}

/* ---- field types -------------------------------------------------------- */

/* Each field type is one entry of `behaviours` below: how its control is
 * made, how it shows a value, what value it holds, and how typed text
 * becomes a value. The form itself (build_form(), collect, set_data)
 * knows no type. */

static const char *
editable_text (GtkWidget *widget)
{
  return gtk_editable_get_text (GTK_EDITABLE (widget));
}

static JsonNode *
string_node (const char *text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, text);
  return node;
}

static gboolean
node_is_string (JsonNode *node)
{
  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* A list control holds a list: an empty one is "not set". */
static JsonNode *
array_node_or_null (JsonArray *array)
{
  JsonNode *node;

  if (json_array_get_length (array) == 0)
    {
      json_array_unref (array);
      return NULL;
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

/* TEXT, INT and DATE: the text as typed, a value only once the core has
 * read it (parse_typed()). A draft keeps it as it is. */
static JsonNode *
collect_typed (FieldView *fv)
{
  g_autofree char *text = NULL;
  g_autofree char *stripped = NULL;

  if (GTK_IS_TEXT_VIEW (fv->value))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (fv->value));
      GtkTextIter start, end;
      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  else
    text = g_strdup (editable_text (fv->value));
  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    return NULL;
  return string_node (text);
}

static JsonNode *
parse_typed (FieldView *fv, JsonNode *typed, GError **error)
{
  return pcmbn_field_parse_text (fv->field, json_node_get_string (typed), error);
}

/* TEXT: one line, a text area (MULTILINE), or a pseudonym with a button
 * that makes one. */

static void
on_generate_clicked (GtkButton *button, FieldView *fv)
{
  g_autofree char *code = logbook_pseudonym_generate (NULL);
  gtk_editable_set_text (GTK_EDITABLE (fv->value), code);
}

static void
build_text_area (FieldView *fv)
{
  GtkWidget *box = NULL;
  GtkWidget *frame = gtk_frame_new (NULL);

  fv->row = new_block_row (fv, &box);
  fv->value = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (fv->value), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (fv->value), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (fv->value), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (fv->value), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (fv->value), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (fv->value), 6);
  gtk_widget_set_size_request (fv->value, -1, 88);
  gtk_frame_set_child (GTK_FRAME (frame), fv->value);
  gtk_box_append (GTK_BOX (box), frame);
  g_signal_connect (gtk_text_view_get_buffer (GTK_TEXT_VIEW (fv->value)), "changed",
                    G_CALLBACK (on_buffer_changed), fv);
}

static void
build_text (FieldView *fv)
{
  if (fv->field->flags & PCMBN_FIELD_MULTILINE)
    build_text_area (fv);
  else
    {
      fv->row = adw_entry_row_new ();
      fv->value = fv->row;
      g_signal_connect (fv->value, "changed", G_CALLBACK (on_editable_changed), fv);
    }
  if (fv->field->flags & PCMBN_FIELD_PSEUDONYM && ADW_IS_ENTRY_ROW (fv->row))
    {
      GtkWidget *generate = gtk_button_new_from_icon_name ("view-refresh-symbolic");
      gtk_widget_set_valign (generate, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (generate, "flat");
      gtk_widget_set_tooltip_text (generate, _ ("Generate a pseudonym"));
      set_accessible_label (generate, _ ("Generate a pseudonym"));
      g_signal_connect (generate, "clicked", G_CALLBACK (on_generate_clicked), fv);
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (fv->row), generate);
      fv->hint = g_strdup (_ ("A code you choose, never a name: 3 to 20 of A–Z, 0–9 and “-”."));
    }
  if (fv->field->flags & PCMBN_FIELD_SENSITIVE)
    {
      g_free (fv->hint);
      fv->hint = g_strdup (_ ("Stays on this computer: it is never sent to the server."));
    }
}

static void
fill_text (FieldView *fv, JsonNode *node)
{
  const char *text = node_is_string (node) ? json_node_get_string (node) : "";

  if (GTK_IS_TEXT_VIEW (fv->value))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (fv->value)), text, -1);
  else
    gtk_editable_set_text (GTK_EDITABLE (fv->value), text);
}

/* INT: a spin button that may stay empty. */

static gboolean
on_spin_output (GtkSpinButton *spin, gpointer user_data)
{
  /* Keep an empty box empty: "not set" is not 0. */
  return *gtk_editable_get_text (GTK_EDITABLE (spin)) == '\0'
         && gtk_spin_button_get_value (spin) == 0;
}

static void
build_int (FieldView *fv)
{
  fv->row = adw_action_row_new ();
  fv->value = gtk_spin_button_new_with_range (0, G_MAXINT32, 1);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (fv->value), FALSE);
  gtk_widget_set_valign (fv->value, GTK_ALIGN_CENTER);
  g_signal_connect (fv->value, "output", G_CALLBACK (on_spin_output), NULL);
  /* A new form's counts start empty, not 0: a 0 is a value, and "0
   * deployed" without a date was refused before anything was typed. */
  gtk_editable_set_text (GTK_EDITABLE (fv->value), "");
  adw_action_row_add_suffix (ADW_ACTION_ROW (fv->row), fv->value);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (fv->row), fv->value);
  g_signal_connect (fv->value, "changed", G_CALLBACK (on_editable_changed), fv);
}

static void
fill_int (FieldView *fv, JsonNode *node)
{
  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (fv->value), (double)json_node_get_int (node));
      gtk_editable_set_text (GTK_EDITABLE (fv->value), text);
    }
  else
    {
      /* A draft may hold what was typed, not yet a number. */
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (fv->value), 0);
      gtk_editable_set_text (GTK_EDITABLE (fv->value),
                             node_is_string (node) ? json_node_get_string (node) : "");
    }
}

/* DATE: typed day first, or picked in a calendar. */

static void
on_day_selected (GtkCalendar *calendar, FieldView *fv)
{
  g_autoptr (GDateTime) date = gtk_calendar_get_date (calendar);
  g_autofree char *text = g_date_time_format (date, "%d/%m/%Y");
  GtkWidget *popover = gtk_widget_get_ancestor (GTK_WIDGET (calendar), GTK_TYPE_POPOVER);

  gtk_editable_set_text (GTK_EDITABLE (fv->value), text);
  if (popover)
    gtk_popover_popdown (GTK_POPOVER (popover));
}

static void
on_calendar_show (GtkWidget *popover, FieldView *fv)
{
  GtkCalendar *calendar = GTK_CALENDAR (gtk_popover_get_child (GTK_POPOVER (popover)));
  g_autofree char *iso = pcmbn_date_from_input (editable_text (fv->value));
  g_autoptr (GDateTime) date = NULL;

  if (iso)
    {
      g_autoptr (GTimeZone) tz = g_time_zone_new_local ();
      date = g_date_time_new (tz, atoi (iso), atoi (iso + 5), atoi (iso + 8), 12, 0, 0);
    }
  else
    date = g_date_time_new_now_local ();
  g_signal_handlers_block_by_func (calendar, on_day_selected, fv);
  gtk_calendar_select_day (calendar, date);
  g_signal_handlers_unblock_by_func (calendar, on_day_selected, fv);
}

static void
build_date (FieldView *fv)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *calendar = gtk_calendar_new ();
  /* The format to type, always in sight: an entry row has no placeholder,
   * and day-first is not every computer's habit. */
  GtkWidget *hint = gtk_label_new (_ ("dd/mm/yyyy"));

  fv->row = adw_entry_row_new ();
  fv->value = fv->row;
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_widget_set_valign (hint, GTK_ALIGN_CENTER);
  gtk_widget_set_name (hint, "date-format-hint");
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (fv->row), hint);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "x-office-calendar-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _ ("Choose a date"));
  set_accessible_label (button, _ ("Choose a date"));
  gtk_popover_set_child (GTK_POPOVER (popover), calendar);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
  g_signal_connect (popover, "show", G_CALLBACK (on_calendar_show), fv);
  g_signal_connect (calendar, "day-selected", G_CALLBACK (on_day_selected), fv);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (fv->row), button);
  g_signal_connect (fv->value, "changed", G_CALLBACK (on_editable_changed), fv);
}

static void
fill_date (FieldView *fv, JsonNode *node)
{
  g_autofree char *text = logbook_date_to_input (node_is_string (node) ? json_node_get_string (node)
                                                                       : NULL);
  gtk_editable_set_text (GTK_EDITABLE (fv->value), text);
}

/* CODE: a drop-down of the catalogue, "not set" first. */

static void
build_code (FieldView *fv)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  g_ptr_array_add (labels,
                   (fv->field->flags & PCMBN_FIELD_REQUIRED) ? _ ("Choose…") : _ ("Not set"));
  for (guint i = 0; i < cat->n_entries; i++)
    g_ptr_array_add (labels, (gpointer)pcmbn_catalogue_entry_label (&cat->entries[i]));
  g_ptr_array_add (labels, NULL);
  fv->row = new_combo ((const char *const *)labels->pdata);
  fv->value = fv->row;
  g_signal_connect (fv->value, "notify::selected", G_CALLBACK (on_notify_changed), fv);
}

static void
fill_code (FieldView *fv, JsonNode *node)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);
  guint selected = 0;

  for (guint i = 0; node_is_string (node) && i < cat->n_entries; i++)
    if (g_str_equal (cat->entries[i].code, json_node_get_string (node)))
      selected = i + 1;
  adw_combo_row_set_selected (ADW_COMBO_ROW (fv->value), selected);
}

static JsonNode *
collect_code (FieldView *fv)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);
  guint selected = adw_combo_row_get_selected (ADW_COMBO_ROW (fv->value));

  if (selected == 0 || selected > cat->n_entries)
    return NULL;
  return string_node (cat->entries[selected - 1].code);
}

/* CODES: a chip for each entry of the catalogue. */

static void
on_chip_toggled (GtkToggleButton *toggle, FieldView *fv)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);

  gtk_accessible_update_state (GTK_ACCESSIBLE (toggle), GTK_ACCESSIBLE_STATE_CHECKED,
                               gtk_toggle_button_get_active (toggle)
                                   ? GTK_ACCESSIBLE_TRISTATE_TRUE
                                   : GTK_ACCESSIBLE_TRISTATE_FALSE,
                               -1);
  /* An entry that "stands alone" (no referral) clears the others, and
   * choosing another clears it. */
  if (fv->field->exclusive && gtk_toggle_button_get_active (toggle) && !fv->editor->filling)
    {
      guint index = 0;
      g_ptr_array_find (fv->toggles, toggle, &index);
      for (guint t = 0; t < fv->toggles->len; t++)
        {
          gboolean is_exclusive = g_str_equal (cat->entries[t].code, fv->field->exclusive);
          gboolean chose_exclusive = g_str_equal (cat->entries[index].code, fv->field->exclusive);
          if (t != index && (chose_exclusive || is_exclusive))
            gtk_toggle_button_set_active (fv->toggles->pdata[t], FALSE);
        }
    }
  field_changed (fv);
}

static void
build_codes (FieldView *fv)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);
  GtkWidget *box = NULL;

  fv->row = new_block_row (fv, &box);
  fv->value = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (fv->value), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (fv->value), 4);
  /* One per line in a narrow window: long Vietnamese labels side by side
   * would be wider than the window. */
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (fv->value), 1);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (fv->value), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (fv->value), 6);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (fv->value), FALSE);
  fv->toggles = g_ptr_array_new ();
  for (guint i = 0; i < cat->n_entries; i++)
    {
      /* A chip is chosen or not: GTK 4.8 has no toggle-button role, so it
       * is a check box to a screen reader, with its state. */
      GtkWidget *toggle = g_object_new (GTK_TYPE_TOGGLE_BUTTON, "label",
                                        pcmbn_catalogue_entry_label (&cat->entries[i]),
                                        "accessible-role", GTK_ACCESSIBLE_ROLE_CHECKBOX, NULL);
      gtk_accessible_update_state (GTK_ACCESSIBLE (toggle), GTK_ACCESSIBLE_STATE_CHECKED,
                                   GTK_ACCESSIBLE_TRISTATE_FALSE, -1);
      gtk_widget_add_css_class (toggle, "chip");
      gtk_widget_set_halign (toggle, GTK_ALIGN_START);
      g_signal_connect (toggle, "toggled", G_CALLBACK (on_chip_toggled), fv);
      gtk_flow_box_append (GTK_FLOW_BOX (fv->value), toggle);
      gtk_widget_set_focusable (gtk_widget_get_parent (toggle), FALSE);
      g_ptr_array_add (fv->toggles, toggle);
    }
  gtk_box_append (GTK_BOX (box), fv->value);
}

static void
fill_codes (FieldView *fv, JsonNode *node)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);
  JsonArray *array = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  for (guint t = 0; t < fv->toggles->len; t++)
    {
      gboolean active = FALSE;
      for (guint j = 0; array && j < json_array_get_length (array); j++)
        if (g_strcmp0 (json_array_get_string_element (array, j), cat->entries[t].code) == 0)
          active = TRUE;
      gtk_toggle_button_set_active (fv->toggles->pdata[t], active);
    }
}

static JsonNode *
collect_codes (FieldView *fv)
{
  const PcmbnCatalogue *cat = pcmbn_catalogue_lookup (fv->field->catalogue);
  JsonArray *array = json_array_new ();

  for (guint t = 0; t < fv->toggles->len; t++)
    if (gtk_toggle_button_get_active (fv->toggles->pdata[t]))
      json_array_add_string_element (array, cat->entries[t].code);
  return array_node_or_null (array);
}

/* BOOL: a switch. */

static void
build_bool (FieldView *fv)
{
  fv->row = adw_action_row_new ();
  fv->value = gtk_switch_new ();
  gtk_widget_set_valign (fv->value, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (fv->row), fv->value);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (fv->row), fv->value);
  g_signal_connect (fv->value, "notify::active", G_CALLBACK (on_notify_changed), fv);
}

static void
fill_bool (FieldView *fv, JsonNode *node)
{
  gboolean has = node && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_BOOLEAN;

  fv->had_false = has && !json_node_get_boolean (node);
  gtk_switch_set_active (GTK_SWITCH (fv->value), has && json_node_get_boolean (node));
}

static JsonNode *
collect_bool (FieldView *fv)
{
  JsonNode *node;

  /* Off is "not set", unless the record said false. */
  if (!gtk_switch_get_active (GTK_SWITCH (fv->value)) && !fv->had_false)
    return NULL;
  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_boolean (node, gtk_switch_get_active (GTK_SWITCH (fv->value)));
  return node;
}

/* REF: a drop-down of the records it may point to (models). */

static void
build_ref (FieldView *fv)
{
  g_autoptr (GPtrArray) models = logbook_context_list_models (fv->editor->context);
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);

  fv->ref_uuids = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (labels, g_strdup (_ ("Choose…")));
  g_ptr_array_add (fv->ref_uuids, g_strdup (""));
  for (guint i = 0; i < models->len; i++)
    {
      PcmbnRecord *model = models->pdata[i];
      g_ptr_array_add (labels, logbook_record_headline (pcmbn_record_get_kind (model),
                                                        pcmbn_record_get_data (model)));
      g_ptr_array_add (fv->ref_uuids, g_strdup (pcmbn_record_get_uuid (model)));
    }
  g_ptr_array_add (labels, NULL);
  fv->row = new_combo ((const char *const *)labels->pdata);
  fv->value = fv->row;
  adw_combo_row_set_use_subtitle (ADW_COMBO_ROW (fv->row), FALSE);
  if (models->len == 0)
    fv->hint = g_strdup (_ ("There is no model yet: add the model first, under Models."));
  g_signal_connect (fv->value, "notify::selected", G_CALLBACK (on_notify_changed), fv);
}

static void
fill_ref (FieldView *fv, JsonNode *node)
{
  guint selected = 0;

  for (guint i = 1; node_is_string (node) && i < fv->ref_uuids->len; i++)
    if (g_str_equal (fv->ref_uuids->pdata[i], json_node_get_string (node)))
      selected = i;
  adw_combo_row_set_selected (ADW_COMBO_ROW (fv->value), selected);
}

static JsonNode *
collect_ref (FieldView *fv)
{
  guint selected = adw_combo_row_get_selected (ADW_COMBO_ROW (fv->value));

  if (selected == 0 || selected >= fv->ref_uuids->len)
    return NULL;
  return string_node (fv->ref_uuids->pdata[selected]);
}

/* MATERIALS: a line of type and quantity for each material handed out. */

static void
on_material_remove (GtkButton *button, FieldView *fv)
{
  GtkWidget *line = gtk_widget_get_parent (GTK_WIDGET (button));
  gtk_box_remove (GTK_BOX (fv->value), line);
  field_changed (fv);
}

static void
add_material_line (FieldView *fv, const char *type, gint64 quantity)
{
  const PcmbnCatalogue *types = pcmbn_catalogue_lookup ("material_type");
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autoptr (GtkListItemFactory) factory = wrapping_factory ();
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *dropdown, *spin, *remove;
  guint selected = 0;

  for (guint i = 0; i < types->n_entries; i++)
    {
      g_ptr_array_add (labels, (gpointer)pcmbn_catalogue_entry_label (&types->entries[i]));
      if (g_strcmp0 (types->entries[i].code, type) == 0)
        selected = i;
    }
  g_ptr_array_add (labels, NULL);
  dropdown = gtk_drop_down_new_from_strings ((const char *const *)labels->pdata);
  gtk_drop_down_set_list_factory (GTK_DROP_DOWN (dropdown), factory);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), selected);
  gtk_widget_set_hexpand (dropdown, TRUE);
  logbook_a11y_name_drop_down (dropdown, _ ("Material type"));
  spin = gtk_spin_button_new_with_range (0, G_MAXINT32, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), (double)quantity);
  set_accessible_label (spin, _ ("Quantity"));
  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _ ("Remove this material"));
  set_accessible_label (remove, _ ("Remove this material"));
  g_signal_connect (remove, "clicked", G_CALLBACK (on_material_remove), fv);
  g_signal_connect (dropdown, "notify::selected", G_CALLBACK (on_notify_changed), fv);
  g_signal_connect (spin, "value-changed", G_CALLBACK (on_notify_changed), fv);
  g_object_set_data (G_OBJECT (line), "dropdown", dropdown);
  g_object_set_data (G_OBJECT (line), "spin", spin);
  gtk_box_append (GTK_BOX (line), dropdown);
  gtk_box_append (GTK_BOX (line), spin);
  gtk_box_append (GTK_BOX (line), remove);
  gtk_box_append (GTK_BOX (fv->value), line);
}

static void
on_add_material (GtkButton *button, FieldView *fv)
{
  add_material_line (fv, NULL, 0);
  field_changed (fv);
}

static void
build_materials (FieldView *fv)
{
  GtkWidget *box = NULL;
  GtkWidget *add = label_button ("list-add-symbolic", _ ("Add a _material"));

  fv->row = new_block_row (fv, &box);
  fv->value = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  set_accessible_label (add, _ ("Add a material"));
  g_signal_connect (add, "clicked", G_CALLBACK (on_add_material), fv);
  gtk_box_append (GTK_BOX (box), fv->value);
  gtk_box_append (GTK_BOX (box), add);
}

static void
remove_children (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)))
    gtk_box_remove (GTK_BOX (box), child);
}

static void
fill_materials (FieldView *fv, JsonNode *node)
{
  JsonArray *array = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  remove_children (fv->value);
  for (guint j = 0; array && j < json_array_get_length (array); j++)
    {
      JsonObject *item = json_array_get_object_element (array, j);
      if (item)
        add_material_line (fv, pcmbn_data_get_string (item, "material_type"),
                           pcmbn_data_get_int (item, "quantity"));
    }
}

static JsonNode *
collect_materials (FieldView *fv)
{
  const PcmbnCatalogue *types = pcmbn_catalogue_lookup ("material_type");
  JsonArray *array = json_array_new ();

  for (GtkWidget *line = gtk_widget_get_first_child (fv->value); line;
       line = gtk_widget_get_next_sibling (line))
    {
      GtkWidget *dropdown = g_object_get_data (G_OBJECT (line), "dropdown");
      GtkWidget *spin = g_object_get_data (G_OBJECT (line), "spin");
      guint selected;
      JsonObject *item;
      if (dropdown == NULL)
        continue;
      selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (dropdown));
      if (selected >= types->n_entries)
        continue;
      item = json_object_new ();
      json_object_set_string_member (item, "material_type", types->entries[selected].code);
      json_object_set_int_member (item, "quantity",
                                  gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)));
      json_array_add_object_element (array, item);
    }
  return array_node_or_null (array);
}

/* ATTACHMENTS: files copied into the logbook's folder, a line each. */

static void rebuild_attachments (FieldView *fv);

static void
on_attachment_remove (GtkButton *button, FieldView *fv)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index"));

  if (index < json_array_get_length (fv->attachments))
    json_array_remove_element (fv->attachments, index);
  rebuild_attachments (fv);
  field_changed (fv);
}

static void
rebuild_attachments (FieldView *fv)
{
  remove_children (fv->value);
  for (guint i = 0; i < json_array_get_length (fv->attachments); i++)
    {
      JsonObject *item = json_array_get_object_element (fv->attachments, i);
      g_autofree char *size = g_format_size (pcmbn_data_get_int (item, "size"));
      g_autofree char *text = g_strdup_printf ("%s (%s)", pcmbn_data_get_string (item, "name"),
                                               size);
      GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *label = gtk_label_new (text);
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _ ("Remove this attachment"));
      set_accessible_label (remove, _ ("Remove this attachment"));
      g_object_set_data (G_OBJECT (remove), "index", GUINT_TO_POINTER (i));
      g_signal_connect (remove, "clicked", G_CALLBACK (on_attachment_remove), fv);
      gtk_box_append (GTK_BOX (line), gtk_image_new_from_icon_name ("mail-attachment-symbolic"));
      gtk_box_append (GTK_BOX (line), label);
      gtk_box_append (GTK_BOX (line), remove);
      gtk_box_append (GTK_BOX (fv->value), line);
    }
}

static void
attachment_added (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FieldView *fv = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject)
      entry = logbook_context_add_attachment_finish (LOGBOOK_CONTEXT (source), result, &error);

  if (entry == NULL)
    {
      show_message (fv, error->message);
      return;
    }
  for (guint i = 0; i < json_array_get_length (fv->attachments); i++)
    if (g_strcmp0 (
            pcmbn_data_get_string (json_array_get_object_element (fv->attachments, i), "sha256"),
            pcmbn_data_get_string (entry, "sha256"))
        == 0)
      return;
  json_array_add_object_element (fv->attachments, json_object_ref (entry));
  rebuild_attachments (fv);
  field_changed (fv);
}

static void
on_file_chosen (GtkNativeDialog *dialog, int response, FieldView *fv)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr (GFile) file = g_list_model_get_item (files, i);
          logbook_context_add_attachment_async (fv->editor->context, file, attachment_added, fv);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_add_attachment (GtkButton *button, FieldView *fv)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_ ("Add Attachments"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Add"), _ ("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_file_chosen), fv);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
build_attachments (FieldView *fv)
{
  GtkWidget *box = NULL;
  GtkWidget *add = label_button ("document-open-symbolic", _ ("Add _files…"));

  fv->row = new_block_row (fv, &box);
  fv->value = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  fv->attachments = json_array_new ();
  set_accessible_label (add, _ ("Add photos or scanned attendance lists"));
  g_signal_connect (add, "clicked", G_CALLBACK (on_add_attachment), fv);
  gtk_box_append (GTK_BOX (box), fv->value);
  gtk_box_append (GTK_BOX (box), add);
}

/* The list the form changes is its own: a record's data, a draft or a
 * save on its way are not changed with it. */
static JsonArray *
array_copy (JsonArray *array)
{
  JsonArray *copy = json_array_new ();

  for (guint i = 0; array && i < json_array_get_length (array); i++)
    json_array_add_element (copy, json_node_copy (json_array_get_element (array, i)));
  return copy;
}

static void
fill_attachments (FieldView *fv, JsonNode *node)
{
  g_clear_pointer (&fv->attachments, json_array_unref);
  fv->attachments = array_copy (node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node)
                                                                     : NULL);
  rebuild_attachments (fv);
}

static JsonNode *
collect_attachments (FieldView *fv)
{
  return array_node_or_null (array_copy (fv->attachments));
}

/* ---- the table ---------------------------------------------------------- */

typedef struct
{
  /* Makes fv->row, the row of the list, and fv->value, the control a
   * person uses (the same widget for an entry row or a combo row), sets a
   * hint when the field needs one, and calls field_changed() on a change. */
  void (*build) (FieldView *fv);
  /* Shows @node, the field's value in a record or a draft; %NULL empties
   * the control. */
  void (*fill) (FieldView *fv, JsonNode *node);
  /* Returns (transfer full) (nullable) what the control holds, %NULL when
   * nothing: a value, or for a typed box its text. */
  JsonNode *(*collect) (FieldView *fv);
  /* For a typed box: turns its text into a value with the core's reading,
   * or says why it is none. %NULL when the control holds values only. */
  JsonNode *(*validate) (FieldView *fv, JsonNode *typed, GError **error);
} FieldBehaviour;

static const FieldBehaviour behaviours[] = {
  [PCMBN_FIELD_DATE] = { build_date, fill_date, collect_typed, parse_typed },
  [PCMBN_FIELD_INT] = { build_int, fill_int, collect_typed, parse_typed },
  [PCMBN_FIELD_TEXT] = { build_text, fill_text, collect_typed, parse_typed },
  [PCMBN_FIELD_CODE] = { build_code, fill_code, collect_code, NULL },
  [PCMBN_FIELD_CODES] = { build_codes, fill_codes, collect_codes, NULL },
  [PCMBN_FIELD_BOOL] = { build_bool, fill_bool, collect_bool, NULL },
  [PCMBN_FIELD_REF] = { build_ref, fill_ref, collect_ref, NULL },
  [PCMBN_FIELD_MATERIALS] = { build_materials, fill_materials, collect_materials, NULL },
  [PCMBN_FIELD_ATTACHMENTS] = { build_attachments, fill_attachments, collect_attachments, NULL },
};
G_STATIC_ASSERT (G_N_ELEMENTS (behaviours) == PCMBN_FIELD_ATTACHMENTS + 1);

static const FieldBehaviour *
behaviour_of (FieldView *fv)
{
  return &behaviours[fv->field->type];
}

/* ---- form --------------------------------------------------------------- */

static void
build_field (FieldView *fv, AdwPreferencesGroup *group)
{
  const PcmbnField *field = fv->field;
  const char *label = pcmbn_field_label (field);
  /* "Required unless…" depends on another field: its message says when. */
  g_autofree char *title = (field->flags & PCMBN_FIELD_REQUIRED) && field->unless_field == NULL
                               ? g_strdup_printf ("%s *", label)
                               : g_strdup (label);

  behaviour_of (fv)->build (fv);
  if (ADW_IS_PREFERENCES_ROW (fv->row))
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (fv->row), title);
  if (fv->value != fv->row || !ADW_IS_PREFERENCES_ROW (fv->row))
    set_accessible_label (fv->value, label);
  gtk_widget_set_name (fv->value, field->name);
  if (field->parent)
    gtk_widget_add_css_class (fv->row, "breakdown");
  adw_preferences_group_add (group, fv->row);
  adw_preferences_group_add (group, new_message_row (fv));
  show_message (fv, NULL);
}

static gboolean
is_parent (const PcmbnKind *kind, const char *name)
{
  for (guint i = 0; i < kind->n_fields; i++)
    if (g_strcmp0 (kind->fields[i].parent, name) == 0)
      return TRUE;
  return FALSE;
}

static void
build_form (LogbookRecordEditor *self)
{
  AdwPreferencesGroup *group = NULL;
  const char *current_parent = NULL;

  for (guint i = 0; i < self->kind->n_fields; i++)
    {
      const PcmbnField *field = &self->kind->fields[i];
      FieldView *fv = g_new0 (FieldView, 1);
      gboolean starts_block = is_parent (self->kind, field->name);

      fv->editor = self;
      fv->field = field;
      /* A total and its breakdown (of whom female, by role, …) form one
       * group titled after the total; the other fields flow in groups
       * between them. */
      if (group == NULL || starts_block
          || (current_parent && g_strcmp0 (field->parent, current_parent) != 0)
          || field->type == PCMBN_FIELD_ATTACHMENTS)
        {
          group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
          if (starts_block)
            adw_preferences_group_set_title (group, pcmbn_field_label (field));
          if (field->type == PCMBN_FIELD_ATTACHMENTS)
            adw_preferences_group_set_description (
                group, _ ("Photos, scanned attendance lists; kept in the logbook’s folder."));
          if (i == 0 && g_str_equal (self->kind->name, "counselling"))
            adw_preferences_group_set_description (
                group,
                _ ("Never write the client’s name: the client is known here only by a code."));
          gtk_box_append (self->groups_box, GTK_WIDGET (group));
          current_parent = starts_block ? field->name : NULL;
        }
      build_field (fv, group);
      g_ptr_array_add (self->views, fv);
    }
}

/* ---- form ↔ data -------------------------------------------------------- */

/**
 * logbook_record_editor_collect:
 * @self: an editor
 * @raw: keep text that is not yet a value (a half-typed date) as text, for
 *   a draft
 * @errors: (nullable) (element-type PcmbnFieldError): where to add the
 *   problems of typed text that is not a value
 *
 * Returns: (transfer full): the record's fields as the form holds them; a
 *   field left empty is absent
 */
JsonObject *
logbook_record_editor_collect (LogbookRecordEditor *self, gboolean raw, GPtrArray *errors)
{
  JsonObject *input = json_object_new ();

  for (guint i = 0; i < self->views->len; i++)
    {
      FieldView *fv = self->views->pdata[i];
      const FieldBehaviour *behaviour = behaviour_of (fv);
      g_autoptr (JsonNode) held = behaviour->collect (fv);
      g_autoptr (JsonNode) value = NULL;
      g_autoptr (GError) error = NULL;

      if (held == NULL)
        continue;
      if (behaviour->validate == NULL)
        value = g_steal_pointer (&held);
      else
        value = behaviour->validate (fv, held, &error);
      if (value && !JSON_NODE_HOLDS_NULL (value))
        json_object_set_member (input, fv->field->name, g_steal_pointer (&value));
      else if (value == NULL && raw)
        json_object_set_member (input, fv->field->name, g_steal_pointer (&held));
      else if (value == NULL && errors)
        g_ptr_array_add (errors, pcmbn_field_error_new (fv->field->name, 0, "%s", error->message));
    }
  return input;
}

/**
 * logbook_record_editor_set_data:
 * @self: an editor
 * @data: a record's data, or a draft's
 *
 * Fills every field; a field absent from @data is emptied.
 */
void
logbook_record_editor_set_data (LogbookRecordEditor *self, JsonObject *data)
{
  self->filling = TRUE;
  for (guint i = 0; i < self->views->len; i++)
    {
      FieldView *fv = self->views->pdata[i];
      behaviour_of (fv)->fill (fv, json_object_get_member (data, fv->field->name));
    }
  self->filling = FALSE;
  logbook_record_editor_validate (self, FALSE);
}

/* ---- validation -------------------------------------------------------- */

/* Shows each of @errors beside its field; a field without one shows its
 * hint. Problems of fields the person has not reached yet wait, unless
 * @all. */
static void
show_field_errors (LogbookRecordEditor *self, GPtrArray *errors, JsonObject *input, gboolean all)
{
  for (guint i = 0; i < self->views->len; i++)
    {
      FieldView *fv = self->views->pdata[i];
      const char *text = NULL;
      for (guint e = 0; e < errors->len && text == NULL; e++)
        {
          PcmbnFieldError *error = errors->pdata[e];
          if (g_strcmp0 (error->field, fv->field->name) == 0)
            text = pcmbn_field_error_get_text (error);
        }
      if (!(all || fv->touched || json_object_has_member (input, fv->field->name)))
        text = NULL;
      show_message (fv, text);
    }
}

/**
 * logbook_record_editor_validate:
 * @self: an editor
 * @all: show every problem, also on fields not touched yet (after Save)
 *
 * Checks the form with the core's rules, the ones the store applies on
 * save, and shows each problem beside its field.
 *
 * Returns: %TRUE when the form would save
 */
gboolean
logbook_record_editor_validate (LogbookRecordEditor *self, gboolean all)
{
  g_autoptr (GPtrArray)
      errors = g_ptr_array_new_with_free_func ((GDestroyNotify)pcmbn_field_error_free);
  g_autoptr (JsonObject) input = logbook_record_editor_collect (self, FALSE, errors);
  g_autoptr (JsonObject) data = pcmbn_schema_normalize (self->kind, input, NULL, errors);

  g_clear_handle_id (&self->validate_source, g_source_remove);
  pcmbn_schema_validate (self->kind, data, logbook_context_resolve_ref, self->context, errors);
  show_field_errors (self, errors, input, all || self->tried_save);
  if (errors->len == 0)
    show_banner (self, NULL);
  return errors->len == 0;
}

static gboolean
validate_cb (gpointer user_data)
{
  LogbookRecordEditor *self = user_data;

  self->validate_source = 0;
  logbook_record_editor_validate (self, FALSE);
  return G_SOURCE_REMOVE;
}

static gboolean
draft_cb (gpointer user_data)
{
  LogbookRecordEditor *self = user_data;
  g_autoptr (JsonObject) input = logbook_record_editor_collect (self, TRUE, NULL);

  self->draft_source = 0;
  logbook_context_save_draft (self->context, self->draft_id, self->kind->name, self->uuid, input);
  return G_SOURCE_REMOVE;
}

static void
field_changed (FieldView *fv)
{
  LogbookRecordEditor *self = fv->editor;

  if (self->filling)
    return;
  fv->touched = TRUE;
  /* Validation as the person types, without re-checking every keystroke. */
  if (self->validate_source == 0)
    self->validate_source = g_timeout_add (150, validate_cb, self);
  /* Autosave: a crash or a power cut loses at most the last half second. */
  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_source = g_timeout_add (400, draft_cb, self);
}

/* ---- actions ------------------------------------------------------------ */

/* Says in the banner why the form was not saved, naming the first wrong
 * field by its label, and puts the focus there. */
static gboolean
show_first_problem (LogbookRecordEditor *self)
{
  for (guint i = 0; i < self->views->len; i++)
    {
      FieldView *fv = self->views->pdata[i];
      if (fv->error)
        {
          g_autofree char *text = g_strdup_printf (_ ("Not saved: %s %s"),
                                                   pcmbn_field_label (fv->field), fv->error);
          show_banner (self, text);
          gtk_widget_grab_focus (fv->value);
          return TRUE;
        }
    }
  return FALSE;
}

static void
save_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LogbookRecordEditor) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *uuid = logbook_context_save_finish (LOGBOOK_CONTEXT (source), result, &error);

  self->busy = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->groups_box), TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", TRUE);
  if (uuid == NULL)
    {
      g_autoptr (GPtrArray) field_errors = pcmbn_error_get_field_errors (error);
      g_autofree char *text = NULL;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The store's own check refused what the form let through (a model
       * deleted meanwhile): the form checks again, and each problem goes
       * beside its field, in the person's words when the form finds it
       * too, else in the store's. */
      if (field_errors)
        {
          if (logbook_record_editor_validate (self, TRUE))
            {
              g_autoptr (JsonObject) input = logbook_record_editor_collect (self, FALSE, NULL);
              show_field_errors (self, field_errors, input, TRUE);
            }
          if (show_first_problem (self))
            return;
        }
      text = g_strdup_printf (_ ("Not saved: %s"), error->message);
      show_banner (self, text);
      return;
    }
  g_clear_handle_id (&self->draft_source, g_source_remove);
  logbook_context_delete_draft (self->context, self->draft_id);
  g_signal_emit (self, signals[SAVED], 0, uuid);
}

/**
 * logbook_record_editor_save:
 * @self: an editor
 *
 * Saves when the form is valid. Otherwise shows every problem, says why in
 * the banner and puts the focus on the first wrong field.
 */
void
logbook_record_editor_save (LogbookRecordEditor *self)
{
  g_autoptr (JsonObject) input = NULL;

  if (self->busy)
    return;
  self->tried_save = TRUE;
  if (!logbook_record_editor_validate (self, TRUE))
    {
      show_first_problem (self);
      return;
    }
  input = logbook_record_editor_collect (self, FALSE, NULL);
  self->busy = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", FALSE);
  logbook_context_save_async (self->context, self->kind->name, self->uuid, input, self->cancellable,
                              save_done, g_object_ref (self));
}

/**
 * logbook_record_editor_cancel:
 * @self: an editor
 *
 * Closes without saving and forgets the draft.
 */
void
logbook_record_editor_cancel (LogbookRecordEditor *self)
{
  g_clear_handle_id (&self->draft_source, g_source_remove);
  logbook_context_delete_draft (self->context, self->draft_id);
  g_signal_emit (self, signals[CLOSED], 0);
}

static void
save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  logbook_record_editor_save (LOGBOOK_RECORD_EDITOR (widget));
}

static void
cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  logbook_record_editor_cancel (LOGBOOK_RECORD_EDITOR (widget));
}

static void
delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LogbookRecordEditor *self = LOGBOOK_RECORD_EDITOR (widget);

  if (self->uuid == NULL)
    return;
  g_clear_handle_id (&self->draft_source, g_source_remove);
  logbook_context_delete_draft (self->context, self->draft_id);
  g_signal_emit (self, signals[DELETE_REQUESTED], 0, self->uuid);
}

/* ---- object ------------------------------------------------------------- */

static void
logbook_record_editor_dispose (GObject *object)
{
  LogbookRecordEditor *self = LOGBOOK_RECORD_EDITOR (object);

  /* Closing the window with a pending autosave still writes it. */
  if (self->draft_source)
    {
      g_clear_handle_id (&self->draft_source, g_source_remove);
      draft_cb (self);
    }
  g_clear_handle_id (&self->validate_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (logbook_record_editor_parent_class)->dispose (object);
}

static void
logbook_record_editor_finalize (GObject *object)
{
  LogbookRecordEditor *self = LOGBOOK_RECORD_EDITOR (object);

  g_ptr_array_unref (self->views);
  g_free (self->uuid);
  g_free (self->draft_id);
  G_OBJECT_CLASS (logbook_record_editor_parent_class)->finalize (object);
}

static void
logbook_record_editor_class_init (LogbookRecordEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = logbook_record_editor_dispose;
  object_class->finalize = logbook_record_editor_finalize;

  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 0);
  signals[DELETE_REQUESTED] = g_signal_new ("delete-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                            G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/pcmbn/Logbook/ui/logbook-record-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordEditor, title_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordEditor, delete_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordEditor, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordEditor, banner_label);
  gtk_widget_class_bind_template_child (widget_class, LogbookRecordEditor, groups_box);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "editor.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "editor.delete", NULL, delete_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "editor.cancel", NULL);
}

static void
logbook_record_editor_init (LogbookRecordEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->views = g_ptr_array_new_with_free_func ((GDestroyNotify)field_view_free);
  self->cancellable = g_cancellable_new ();
}

/**
 * logbook_record_editor_new:
 * @context: the app's context
 * @kind: the kind of record
 * @record: (nullable): the record to edit, %NULL for a new one
 *
 * Returns: (transfer floating): a form for @kind
 */
LogbookRecordEditor *
logbook_record_editor_new (LogbookContext *context, const char *kind, PcmbnRecord *record)
{
  LogbookRecordEditor *self = g_object_new (LOGBOOK_TYPE_RECORD_EDITOR, NULL);
  g_autofree char *title = NULL;

  self->context = g_object_ref (context);
  self->kind = pcmbn_schema_kind (kind);
  g_return_val_if_fail (self->kind != NULL, self);
  build_form (self);
  if (record)
    {
      g_autofree char *headline = logbook_record_headline (self->kind,
                                                           pcmbn_record_get_data (record));
      self->uuid = g_strdup (pcmbn_record_get_uuid (record));
      self->draft_id = g_strdup_printf ("edit-%s", self->uuid);
      title = g_strdup_printf ("%s: %s", pcmbn_kind_label (self->kind), headline);
      logbook_record_editor_set_data (self, pcmbn_record_get_data (record));
      gtk_widget_set_visible (self->delete_button, TRUE);
      /* The server's reason, until the person corrects the record: saving
       * sends it again. */
      if (pcmbn_record_get_state (record) == PCMBN_STATE_REJECTED)
        {
          g_autofree char *text = g_strdup_printf (
              _ ("The server refused this record: %s. Correct it and "
                 "save; it is sent again at the next sync."),
              pcmbn_record_get_problem (record) ? pcmbn_record_get_problem (record)
                                                : _ ("no reason given"));
          show_banner (self, text);
        }
    }
  else
    {
      self->draft_id = g_strdup_printf ("new-%s", kind);
      /* TRANSLATORS: the title of a form, "New Activity" */
      title = g_strdup_printf (_ ("New: %s"), pcmbn_kind_label (self->kind));
    }
  gtk_label_set_text (self->title_label, title);
  logbook_a11y_fix_tree (GTK_WIDGET (self));
  return self;
}

const char *
logbook_record_editor_get_kind (LogbookRecordEditor *self)
{
  return self->kind->name;
}

const char *
logbook_record_editor_get_uuid (LogbookRecordEditor *self)
{
  return self->uuid;
}

const char *
logbook_record_editor_get_draft_id (LogbookRecordEditor *self)
{
  return self->draft_id;
}

gboolean
logbook_record_editor_get_busy (LogbookRecordEditor *self)
{
  return self->busy;
}

/**
 * logbook_record_editor_get_field_widget:
 * @self: an editor
 * @name: a field's name
 *
 * Returns: (transfer none) (nullable): the control a person uses for that
 *   field (an entry row, a spin button, a combo row, a flow box of toggles…)
 */
GtkWidget *
logbook_record_editor_get_field_widget (LogbookRecordEditor *self, const char *name)
{
  FieldView *fv = find_view (self, name);
  return fv ? fv->value : NULL;
}

/**
 * logbook_record_editor_get_message:
 * @self: an editor
 * @name: a field's name
 *
 * Returns: (transfer none) (nullable): the problem shown beside the field
 */
const char *
logbook_record_editor_get_message (LogbookRecordEditor *self, const char *name)
{
  FieldView *fv = find_view (self, name);
  return fv ? fv->error : NULL;
}

const char *
logbook_record_editor_get_banner (LogbookRecordEditor *self)
{
  if (!gtk_revealer_get_reveal_child (self->banner_revealer))
    return NULL;
  return gtk_label_get_text (self->banner_label);
}

void
logbook_record_editor_focus_first (LogbookRecordEditor *self)
{
  if (self->views->len > 0)
    gtk_widget_grab_focus (((FieldView *)self->views->pdata[0])->value);
}
