/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

typedef enum
{
  PCMBN_SORT_DATE_DESC,
  PCMBN_SORT_DATE_ASC,
  PCMBN_SORT_TITLE_ASC,
  PCMBN_SORT_TITLE_DESC,
  PCMBN_SORT_TYPE_ASC,
  PCMBN_SORT_TYPE_DESC,
  PCMBN_SORT_STATE_ASC,
  PCMBN_SORT_STATE_DESC,
} PcmbnSort;

#define PCMBN_TYPE_RECORD_LIST (pcmbn_record_list_get_type ())
G_DECLARE_FINAL_TYPE (PcmbnRecordList, pcmbn_record_list, PCMBN, RECORD_LIST, GObject)

PcmbnRecordList *pcmbn_record_list_new (PcmbnStore *store, const char *kind);
void pcmbn_record_list_set_search (PcmbnRecordList *self, const char *search);
void pcmbn_record_list_set_range (PcmbnRecordList *self, const char *from, const char *to);
void pcmbn_record_list_set_type (PcmbnRecordList *self, const char *type_code);
void pcmbn_record_list_set_sort (PcmbnRecordList *self, PcmbnSort sort);
void pcmbn_record_list_refresh (PcmbnRecordList *self);
void pcmbn_record_list_set_minimal_changes (PcmbnRecordList *self, gboolean minimal);
guint pcmbn_record_list_get_cached_pages (PcmbnRecordList *self);

G_END_DECLS
