/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-a11y"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "logbook-a11y.h"

/* GTK 4.8 names a control it cannot name after its type ("GtkToggleButton"),
 * and a button with a mnemonic gets the raw label and the label's text
 * ("_Lưu Lưu"). A screen reader reads both aloud. These helpers give such
 * controls the name a person sees. */

#define NAME_KEY "logbook-a11y-name"

static char *
strip_mnemonic (const char *label)
{
  GString *out = g_string_new (NULL);

  for (const char *p = label; *p; p++)
    {
      if (*p == '_' && p[1] == '_')
        g_string_append_c (out, *++p);
      else if (*p != '_')
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
set_name (GtkWidget *widget, const char *name)
{
  /* Once per distinct name: the tree is walked again after each change. */
  if (g_strcmp0 (g_object_get_data (G_OBJECT (widget), NAME_KEY), name) == 0)
    return;
  g_object_set_data_full (G_OBJECT (widget), NAME_KEY, g_strdup (name), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  /* GTK also labels a mnemonic button by its label child: without this it
   * would read the name twice. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static GtkWidget *
find_toggle (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;
      if (GTK_IS_TOGGLE_BUTTON (child))
        return child;
      if ((found = find_toggle (child)))
        return found;
    }
  return NULL;
}

/**
 * logbook_a11y_name_drop_down:
 * @drop_down: a #GtkDropDown
 * @label: what it chooses, as the person sees it
 *
 * Names the drop-down and the toggle button inside it, which GTK 4.8
 * otherwise calls "GtkToggleButton".
 */
void
logbook_a11y_name_drop_down (GtkWidget *drop_down, const char *label)
{
  GtkWidget *toggle = find_toggle (drop_down);

  gtk_accessible_update_property (GTK_ACCESSIBLE (drop_down), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  /* A label whose mnemonic opens it labels it too, and GTK 4.8 reads both:
   * "A year or a period Report period". */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (drop_down), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  g_object_set_data_full (G_OBJECT (drop_down), NAME_KEY, g_strdup (label), g_free);
  if (toggle)
    set_name (toggle, label);
}

static const char *
icon_button_name (GtkWidget *button)
{
  GtkWidget *child = gtk_button_get_child (GTK_BUTTON (button));
  const char *icon = gtk_button_get_icon_name (GTK_BUTTON (button));

  if (icon == NULL && GTK_IS_IMAGE (child)
      && gtk_image_get_storage_type (GTK_IMAGE (child)) == GTK_IMAGE_ICON_NAME)
    icon = gtk_image_get_icon_name (GTK_IMAGE (child));

  if (icon == NULL)
    return NULL;
  if (g_str_equal (icon, "window-close-symbolic"))
    return _ ("Close");
  if (g_str_equal (icon, "edit-find-symbolic") || g_str_equal (icon, "system-search-symbolic"))
    return _ ("Search");
  return NULL;
}

static const char *
first_label_text (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *text;
      if (GTK_IS_LABEL (child) && *gtk_label_get_text (GTK_LABEL (child)))
        return gtk_label_get_text (GTK_LABEL (child));
      if ((text = first_label_text (child)))
        return text;
    }
  return NULL;
}

/* libadwaita labels a row's control, and a button's content, by a label
 * when they are mapped; with the name the app gives as well, GTK 4.8 reads
 * both ("Server address Server address"). The name stays, the relation
 * goes, after libadwaita has set it. */
static void
drop_labelled_by (GtkWidget *widget, gpointer unused)
{
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static void
keep_one_name (GtkWidget *widget)
{
  if (g_object_get_data (G_OBJECT (widget), "logbook-a11y-one-name"))
    return;
  g_object_set_data (G_OBJECT (widget), "logbook-a11y-one-name", GINT_TO_POINTER (1));
  g_signal_connect_after (widget, "map", G_CALLBACK (drop_labelled_by), NULL);
  drop_labelled_by (widget, NULL);
}

static gboolean
inside_row (GtkWidget *widget)
{
  return gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_ROW) != NULL;
}

static void
fix_widget (GtkWidget *widget)
{
  if ((GTK_IS_SPIN_BUTTON (widget) || GTK_IS_SWITCH (widget) || GTK_IS_TEXT (widget)
       || GTK_IS_CHECK_BUTTON (widget))
      && inside_row (widget))
    keep_one_name (widget);
  if (GTK_IS_SEARCH_ENTRY (widget) && g_object_get_data (G_OBJECT (widget), NAME_KEY) == NULL
      && gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_WINDOW))
    set_name (widget, _ ("Search"));

  if (GTK_IS_BUTTON (widget) && !GTK_IS_MENU_BUTTON (gtk_widget_get_parent (widget)))
    {
      const char *label = gtk_button_get_label (GTK_BUTTON (widget));
      GtkWidget *child = gtk_button_get_child (GTK_BUTTON (widget));

      if (label && gtk_button_get_use_underline (GTK_BUTTON (widget)))
        {
          g_autofree char *name = strip_mnemonic (label);
          set_name (widget, name);
        }
      else if (child && ADW_IS_BUTTON_CONTENT (child)
               && adw_button_content_get_use_underline (ADW_BUTTON_CONTENT (child)))
        {
          g_autofree char *name = strip_mnemonic (
              adw_button_content_get_label (ADW_BUTTON_CONTENT (child)));
          set_name (widget, name);
          keep_one_name (widget);
        }
      else if (label == NULL && (child == NULL || GTK_IS_IMAGE (child)))
        {
          const char *tooltip = gtk_widget_get_tooltip_text (widget);
          const char *name = icon_button_name (widget);
          if (g_object_get_data (G_OBJECT (widget), NAME_KEY) == NULL && (name || tooltip))
            set_name (widget, name ? name : tooltip);
        }
    }
  else if (GTK_IS_DROP_DOWN (widget))
    {
      const char *name = g_object_get_data (G_OBJECT (widget), NAME_KEY);
      GtkWidget *toggle = find_toggle (widget);
      if (name && toggle)
        set_name (toggle, name);
    }
  else if (GTK_IS_FLOW_BOX_CHILD (widget))
    {
      const char *text = first_label_text (widget);
      if (text)
        set_name (widget, text);
    }
}

/**
 * logbook_a11y_fix_tree:
 * @root: a widget
 *
 * Gives every control under @root that GTK 4.8 would name after its type or
 * its raw mnemonic the name a person sees. Safe to call again after the
 * tree changed.
 */
void
logbook_a11y_fix_tree (GtkWidget *root)
{
  fix_widget (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    logbook_a11y_fix_tree (child);
}
