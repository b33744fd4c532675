/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* For tests and benchmarks of the list model only. */

#include "store/pcmbn-record-list.h"

G_BEGIN_DECLS

void pcmbn_record_list_set_search_index (PcmbnRecordList *self, gboolean use);

G_END_DECLS
