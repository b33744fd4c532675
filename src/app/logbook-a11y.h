/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void logbook_a11y_name_drop_down (GtkWidget *drop_down, const char *label);
void logbook_a11y_fix_tree (GtkWidget *root);

G_END_DECLS
