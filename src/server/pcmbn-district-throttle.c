/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-district"

#include "config.h"

#include "pcmbn-district-throttle.h"

/* Exact under concurrency: an attempt takes a slot before a worker sees it
 * and gives it back when the answer is known. Counting only finished
 * failures let one attempt per worker through at once; with slots, 60
 * simultaneous wrong codes give exactly max_failures answers and the rest
 * wait. An attempt in flight counts as a failure until it is known. */

typedef struct
{
  GArray *failures; /* gint64 monotonic µs, within the window */
  guint pending;
  gint64 blocked_until;
} Entry;

struct _PcmbnDistrictThrottle
{
  guint max_failures;
  gint64 window;
  GHashTable *entries; /* address → Entry */
};

static void
entry_free (Entry *entry)
{
  g_array_unref (entry->failures);
  g_free (entry);
}

/**
 * pcmbn_district_throttle_new:
 * @max_failures: wrong attempts an address may make within @window_usec
 * @window_usec: the window, and how long a blocked address waits
 *
 * Returns: (transfer full): a throttle
 */
PcmbnDistrictThrottle *
pcmbn_district_throttle_new (guint max_failures, gint64 window_usec)
{
  PcmbnDistrictThrottle *throttle = g_new0 (PcmbnDistrictThrottle, 1);

  throttle->max_failures = max_failures;
  throttle->window = window_usec;
  throttle->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)entry_free);
  return throttle;
}

/**
 * pcmbn_district_throttle_free:
 * @throttle: (transfer full): a throttle
 */
void
pcmbn_district_throttle_free (PcmbnDistrictThrottle *throttle)
{
  g_hash_table_unref (throttle->entries);
  g_free (throttle);
}

static void
forget_old (PcmbnDistrictThrottle *throttle, Entry *entry, gint64 now)
{
  guint keep = 0;

  for (guint i = 0; i < entry->failures->len; i++)
    if (now - g_array_index (entry->failures, gint64, i) < throttle->window)
      g_array_index (entry->failures, gint64, keep++) = g_array_index (entry->failures, gint64, i);
  g_array_set_size (entry->failures, keep);
}

/**
 * pcmbn_district_throttle_begin:
 * @throttle: a throttle
 * @address: the client's address
 *
 * Takes a slot for one attempt. Every %TRUE must be followed by one
 * pcmbn_district_throttle_end().
 *
 * Returns: %FALSE when the address must wait (answer 429)
 */
gboolean
pcmbn_district_throttle_begin (PcmbnDistrictThrottle *throttle, const char *address)
{
  Entry *entry = g_hash_table_lookup (throttle->entries, address);
  gint64 now = g_get_monotonic_time ();

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      entry->failures = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (throttle->entries, g_strdup (address), entry);
    }
  if (entry->blocked_until > now)
    return FALSE;
  forget_old (throttle, entry, now);
  if (entry->failures->len + entry->pending >= throttle->max_failures)
    return FALSE;
  entry->pending++;
  return TRUE;
}

/**
 * pcmbn_district_throttle_end:
 * @throttle: a throttle
 * @address: the address given to pcmbn_district_throttle_begin()
 * @failed: whether the attempt was wrong
 */
void
pcmbn_district_throttle_end (PcmbnDistrictThrottle *throttle, const char *address, gboolean failed)
{
  Entry *entry = g_hash_table_lookup (throttle->entries, address);
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (entry != NULL && entry->pending > 0);
  entry->pending--;
  if (!failed)
    return;
  forget_old (throttle, entry, now);
  g_array_append_val (entry->failures, now);
  if (entry->failures->len >= throttle->max_failures)
    {
      entry->blocked_until = now + throttle->window;
      g_array_set_size (entry->failures, 0);
    }
}

/**
 * pcmbn_district_throttle_prune:
 * @throttle: a throttle
 *
 * Forgets addresses with nothing left to remember, so that the table stays
 * small on a server that runs for months.
 */
void
pcmbn_district_throttle_prune (PcmbnDistrictThrottle *throttle)
{
  GHashTableIter iter;
  Entry *entry;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, throttle->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&entry))
    {
      forget_old (throttle, entry, now);
      if (entry->pending == 0 && entry->failures->len == 0 && entry->blocked_until <= now)
        g_hash_table_iter_remove (&iter);
    }
}
