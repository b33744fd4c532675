/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-attachments"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "store/pcmbn-attachments.h"
#include "pcmbn-util.h"

/* Attachments (photos, scanned attendance lists) live next to the database,
 * named by the SHA-256 of their content: the same photo added twice is kept
 * once, and sync can ask the server for a blob by that name. */

/**
 * pcmbn_attachments_dir:
 * @store: a store
 *
 * Returns: (transfer full): the folder of the store's attachments
 */
char *
pcmbn_attachments_dir (PcmbnStore *store)
{
  g_autofree char *dir = g_path_get_dirname (pcmbn_store_get_path (store));
  return g_build_filename (dir, "attachments", NULL);
}

static gboolean
is_sha256 (const char *hex)
{
  if (hex == NULL || strlen (hex) != 64)
    return FALSE;
  for (const char *p = hex; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return FALSE;
  return TRUE;
}

/**
 * pcmbn_attachments_path:
 * @store: a store
 * @sha256: 64 lowercase hex digits
 *
 * Returns: (transfer full) (nullable): where that content is kept, or %NULL
 *   when @sha256 is not a hash
 */
char *
pcmbn_attachments_path (PcmbnStore *store, const char *sha256)
{
  g_autofree char *dir = NULL;

  if (!is_sha256 (sha256))
    return NULL;
  dir = pcmbn_attachments_dir (store);
  return g_build_filename (dir, sha256, NULL);
}

/**
 * pcmbn_attachments_add_file:
 * @store: a store
 * @file: the file a person chose
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Copies @file into the store's folder under its hash. Blocks on the disk:
 * the app calls pcmbn_attachments_add_file_async().
 *
 * Returns: (transfer full) (nullable): `{"sha256", "name", "size"}` for the
 *   record's `attachments`, or %NULL on error
 */
JsonObject *
pcmbn_attachments_add_file (PcmbnStore *store,
                            GFile *file,
                            GCancellable *cancellable,
                            GError **error)
{
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  JsonObject *entry;
  gsize size;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_SIZE
                            "," G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME
                            "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (info == NULL)
    return NULL;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID, _ ("attachments: %s is not a file"),
                   g_file_info_get_display_name (info));
      return NULL;
    }
  if (g_file_info_get_size (info) > PCMBN_ATTACHMENT_MAX_SIZE)
    {
      g_set_error (error, PCMBN_ERROR, PCMBN_ERROR_INVALID,
                   _ ("attachments: %s is larger than 20 MB; scan it at a lower resolution"),
                   g_file_info_get_display_name (info));
      return NULL;
    }
  bytes = g_file_load_bytes (file, cancellable, NULL, error);
  if (bytes == NULL)
    return NULL;
  size = g_bytes_get_size (bytes);
  sha = pcmbn_sha256_hex (g_bytes_get_data (bytes, NULL), size);
  dir = pcmbn_attachments_dir (store);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int err = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   _ ("Cannot create the folder %s: %s"), dir, g_strerror (err));
      return NULL;
    }
  path = g_build_filename (dir, sha, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      /* Written under a temporary name and renamed, so that a crash never
       * leaves a file whose content does not match its name. */
      g_autofree char *tmp = g_strconcat (path, ".part", NULL);
      if (!g_file_set_contents_full (tmp, g_bytes_get_data (bytes, NULL), size,
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return NULL;
      if (g_rename (tmp, path) != 0)
        {
          int err = errno;
          g_unlink (tmp);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s", path,
                       g_strerror (err));
          return NULL;
        }
    }
  name = g_file_get_basename (file);
  entry = json_object_new ();
  json_object_set_string_member (entry, "sha256", sha);
  json_object_set_string_member (entry, "name", name);
  json_object_set_int_member (entry, "size", (gint64)size);
  return entry;
}

static void
add_file_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  JsonObject *entry = pcmbn_attachments_add_file (source, task_data, cancellable, &error);

  if (entry)
    g_task_return_pointer (task, entry, (GDestroyNotify)json_object_unref);
  else
    g_task_return_error (task, error);
}

/**
 * pcmbn_attachments_add_file_async:
 * @store: a store
 * @file: the file to add
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * pcmbn_attachments_add_file() in a worker thread.
 */
void
pcmbn_attachments_add_file_async (PcmbnStore *store,
                                  GFile *file,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, pcmbn_attachments_add_file_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, add_file_thread);
}

/**
 * pcmbn_attachments_add_file_finish:
 * @store: a store
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the attachment entry
 */
JsonObject *
pcmbn_attachments_add_file_finish (PcmbnStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
