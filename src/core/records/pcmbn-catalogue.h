/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include "pcmbn-types.h"

G_BEGIN_DECLS

typedef struct
{
  const char *code;
  const char *label_vi;
  const char *label_en;
} PcmbnCatalogueEntry;

struct _PcmbnCatalogue
{
  const char *name;
  const PcmbnCatalogueEntry *entries;
  guint n_entries;
};

const PcmbnCatalogue *pcmbn_catalogue_lookup (const char *name);
const PcmbnCatalogueEntry *pcmbn_catalogue_find (const PcmbnCatalogue *catalogue, const char *code);
const char *pcmbn_catalogue_label (const PcmbnCatalogue *catalogue, const char *code);
const char *pcmbn_catalogue_entry_label (const PcmbnCatalogueEntry *entry);
const PcmbnCatalogue *const *pcmbn_catalogue_list (guint *n_catalogues);

G_END_DECLS
