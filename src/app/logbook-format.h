/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "records/pcmbn-schema.h"

G_BEGIN_DECLS

/* The app's logic that needs no widget: how values are written and read
 * back in the forms and lists. Kept apart so that it is tested headless. */

char *logbook_date_parse_input (const char *text);
char *logbook_date_to_display (const char *iso);
char *logbook_date_to_input (const char *iso);
const char *logbook_state_label (PcmbnState state);
const char *logbook_state_css_class (PcmbnState state);
char *logbook_pseudonym_generate (GRand *rand);
char *logbook_format_indicator (const char *key, JsonObject *indicator);
double logbook_indicator_progress (const char *key, JsonObject *indicator);
const char *logbook_indicator_title (const char *key);
char *logbook_format_count (gint64 n);
char *logbook_record_headline (const PcmbnKind *kind, JsonObject *data);
char *logbook_record_type_label (const PcmbnKind *kind, JsonObject *data);
char *logbook_file_name_slug (const char *text);
char *logbook_report_file_name (const char *org_unit,
                                const char *from,
                                const char *to,
                                const char *extension);
JsonObject *logbook_update_patch (const PcmbnKind *kind, JsonObject *input);

G_END_DECLS
