/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "records/pcmbn-json-fast.h"
#include "store/pcmbn-store.h"

G_BEGIN_DECLS

/* What one exchange with the server did, over HTTP or by bundle. */
typedef struct
{
  guint pushed;             /* records (deletions included) the server accepted */
  guint pulled;             /* record changes from the server applied here */
  guint pulled_attachments; /* of those, records that name attachments */
  guint conflicts;
  guint rejected;
  gint64 clock_skew; /* seconds this computer is ahead of the server */
} PcmbnSyncStats;

/* One record as it was sent: the server's answer names it by uuid, and a
 * later edit (a higher local revision) keeps it dirty. */
typedef struct
{
  const char *uuid;
  gint64 local_rev;
} PcmbnSentRecord;

gboolean pcmbn_sync_apply_results (PcmbnStore *store,
                                   const PcmbnSentRecord *sent,
                                   guint n_sent,
                                   JsonArray *results,
                                   PcmbnSyncStats *stats,
                                   GError **error);
gboolean pcmbn_sync_apply_changes (PcmbnStore *store,
                                   JsonArray *changes,
                                   PcmbnJsonSpans *spans,
                                   gint64 since,
                                   gint64 next,
                                   PcmbnSyncStats *stats,
                                   GError **error);

G_END_DECLS
