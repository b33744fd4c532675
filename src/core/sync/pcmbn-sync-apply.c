/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-sync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pcmbn-util.h"
#include "sync/pcmbn-store-sync.h"
#include "sync/pcmbn-sync-apply.h"
#include "sync/pcmbn-sync-engine.h"
#include "sync/pcmbn-wire.h"

/* The end of a sync, whichever way the server's answer came: the results
 * of a push and the pages of a pull, applied to the local store. The HTTP
 * engine and the USB bundles share these, so that a bundle is applied
 * exactly like a sync. */

/**
 * pcmbn_sync_apply_results:
 * @store: the local store
 * @sent: (array length=n_sent): the records sent, in the order sent
 * @n_sent: their number
 * @results: the server's `results`, one per record sent
 * @stats: (inout): counts to add to
 * @error: return location for an error
 *
 * Marks each record accepted, in conflict or rejected, in one transaction.
 * A result that does not name the record sent at its place is ignored, so
 * that the record stays in the outbox.
 *
 * Returns: %TRUE when the answer was applied
 */
gboolean
pcmbn_sync_apply_results (PcmbnStore *store,
                          const PcmbnSentRecord *sent,
                          guint n_sent,
                          JsonArray *results,
                          PcmbnSyncStats *stats,
                          GError **error)
{
  if (results == NULL || json_array_get_length (results) != n_sent)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_FAILED,
                   _ ("The district server’s answer to the push does not match what was sent. "
                      "Nothing was lost; try again later."));
      return FALSE;
    }
  if (!pcmbn_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < n_sent; i++)
    {
      JsonNode *node = json_array_get_element (results, i);
      JsonObject *result = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *state = result ? pcmbn_wire_get_string (result, "status") : NULL;
      gboolean ok = TRUE;

      /* Only an answer that names this very record counts. */
      if (result == NULL || g_strcmp0 (pcmbn_wire_get_string (result, "uuid"), sent[i].uuid) != 0)
        continue;
      if (g_strcmp0 (state, "accepted") == 0 && pcmbn_wire_get_int (result, "version", 0) > 0)
        {
          ok = pcmbn_store_sync_mark_accepted (store, sent[i].uuid, sent[i].local_rev,
                                               pcmbn_wire_get_int (result, "version", 0), error);
          stats->pushed++;
        }
      else if (g_strcmp0 (state, "conflict") == 0 && pcmbn_wire_get_object (result, "server"))
        {
          ok = pcmbn_store_sync_mark_conflict (store, sent[i].uuid,
                                               pcmbn_wire_get_object (result, "server"), error);
          stats->conflicts++;
        }
      else if (g_strcmp0 (state, "rejected") == 0)
        {
          JsonObject *e = pcmbn_wire_get_object (result, "error");
          const char *field = e ? pcmbn_wire_get_string (e, "field") : NULL;
          const char *message = e ? pcmbn_wire_get_string (e, "message") : NULL;
          g_autofree char *problem = g_strdup_printf (
              "%s%s%s", field ? field : "", field ? ": " : "",
              message ? message : _ ("refused by the district server"));
          ok = pcmbn_store_sync_mark_rejected (store, sent[i].uuid, sent[i].local_rev, problem,
                                               error);
          stats->rejected++;
        }
      if (!ok)
        {
          pcmbn_store_rollback (store);
          return FALSE;
        }
    }
  return pcmbn_store_commit (store, error);
}

/**
 * pcmbn_sync_apply_changes:
 * @store: the local store
 * @changes: one page of the server's `changes`
 * @spans: (nullable): where the page's objects lie in the text it was read
 *   from (pcmbn_json_fast_parse_spans()): a record's data is then not
 *   written again
 * @since: the pull position the page was asked from
 * @next: the position after the page
 * @stats: (inout): counts to add to
 * @error: return location for an error
 *
 * Applies the page and saves the position after it in one transaction, so
 * that an interrupted pull resumes where it stopped. The position never
 * moves back: a page older than what is here (a bundle's reply that an HTTP
 * sync overtook) is applied, which changes nothing that is newer here.
 *
 * Returns: %TRUE when the page was applied
 */
gboolean
pcmbn_sync_apply_changes (PcmbnStore *store,
                          JsonArray *changes,
                          PcmbnJsonSpans *spans,
                          gint64 since,
                          gint64 next,
                          PcmbnSyncStats *stats,
                          GError **error)
{
  g_autofree char *cursor_text = pcmbn_store_get_meta (store, PCMBN_SYNC_META_CURSOR);
  gint64 here = cursor_text ? g_ascii_strtoll (cursor_text, NULL, 10) : 0;
  g_autofree char *next_text = NULL;

  if (!pcmbn_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonNode *node = json_array_get_element (changes, i);
      JsonObject *change = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *record = change ? pcmbn_wire_get_object (change, "record") : NULL;
      JsonObject *unit = change ? pcmbn_wire_get_object (change, "org_unit") : NULL;
      JsonObject *targets = change ? pcmbn_wire_get_object (change, "targets") : NULL;
      g_autoptr (GError) local = NULL;

      if (record)
        {
          PcmbnPullResult r = pcmbn_store_sync_apply_record (store, record, spans, &local);
          if (local)
            {
              pcmbn_store_rollback (store);
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          if (r == PCMBN_PULL_APPLIED)
            {
              JsonObject *data = pcmbn_wire_get_object (record, "data");
              JsonArray *attachments = data ? pcmbn_wire_get_array (data, "attachments") : NULL;
              stats->pulled++;
              if (attachments && json_array_get_length (attachments) > 0)
                stats->pulled_attachments++;
            }
          else if (r == PCMBN_PULL_CONFLICT)
            stats->conflicts++;
        }
      else if ((unit && !pcmbn_store_sync_apply_unit (store, unit, error))
               || (targets && !pcmbn_store_sync_apply_targets (store, targets, error)))
        {
          pcmbn_store_rollback (store);
          return FALSE;
        }
    }
  next_text = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (MAX (next, since), here));
  if (!pcmbn_store_set_meta (store, PCMBN_SYNC_META_CURSOR, next_text, error))
    {
      pcmbn_store_rollback (store);
      return FALSE;
    }
  return pcmbn_store_commit (store, error);
}
