/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "server/pcmbn-district-store.h"

G_BEGIN_DECLS

/* The reporting chain: a server under a parent server (pcmbn-district-chain.c
 * the parent's side, pcmbn-district-upstream.c the child's). */

typedef struct
{
  guint pushed;
  guint pulled; /* record changes applied here: none, records only move up */
  guint conflicts;
  guint rejected;
} PcmbnDistrictChainStats;

/* Parent's side */
gboolean
pcmbn_district_store_is_child_server (PcmbnDistrictStore *self, PcmbnDistrictPrincipal *principal);
gboolean pcmbn_district_store_is_child_unit (PcmbnDistrictStore *self, const char *code);
char *pcmbn_district_store_push_chain (PcmbnDistrictStore *self,
                                       PcmbnDistrictPrincipal *child,
                                       const char *body,
                                       gsize len,
                                       GError **error);
char *pcmbn_district_store_changes_chain (PcmbnDistrictStore *self,
                                          PcmbnDistrictPrincipal *child,
                                          gint64 since,
                                          gint64 limit,
                                          GError **error);
gboolean pcmbn_district_store_targets_changed (PcmbnDistrictStore *self, int year, GError **error);
gboolean pcmbn_district_append_targets_change (PcmbnStore *store, GString *out, const char *marker);
JsonNode *pcmbn_district_store_child_servers (PcmbnDistrictStore *self);

/* Child's side */
gboolean pcmbn_district_store_enroll_parent (PcmbnDistrictStore *self,
                                             const char *url,
                                             const char *code,
                                             GError **error);
gboolean pcmbn_district_store_has_parent (PcmbnDistrictStore *self);
gboolean pcmbn_district_store_sync_parent (PcmbnDistrictStore *self,
                                           PcmbnDistrictChainStats *stats,
                                           GError **error);

G_END_DECLS
