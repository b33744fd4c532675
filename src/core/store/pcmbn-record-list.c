/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-record-list"

#include "config.h"

#include "store/pcmbn-record-list-private.h"
#include "store/pcmbn-store-private.h"
#include "pcmbn-util.h"

/* A GListModel over a query. It knows the number of rows from one COUNT
 * through an index and loads rows a page at a time when a view asks for
 * them, keeping only a few pages: a list of 100,000 records costs what is on
 * screen, not what is in the table. */

#define PAGE_SIZE 64
#define MAX_PAGES 12

struct _PcmbnRecordList
{
  GObject parent_instance;

  PcmbnStore *store;
  const PcmbnKind *kind;
  char *search;
  char *from;
  char *to;
  char *type_code;
  PcmbnSort sort;
  guint n_items;
  GHashTable *pages; /* page index → GPtrArray of PcmbnRecord */
  GHashTable *kept;  /* uuid → PcmbnRecord: the rows read before the last refresh */
  GQueue lru;        /* page indexes, most recent first */
  gulong changed_id;
  gboolean minimal_changes;
  gboolean scan_only; /* tests and benchmarks: never the trigram index */
  guint refresh_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcmbnRecordList,
                               pcmbn_record_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static const char *const order_by[] = {
  [PCMBN_SORT_DATE_DESC] = "rdate DESC, id DESC",
  [PCMBN_SORT_DATE_ASC] = "rdate ASC, id ASC",
  [PCMBN_SORT_TITLE_ASC] = "rtitle ASC, id ASC",
  [PCMBN_SORT_TITLE_DESC] = "rtitle DESC, id DESC",
  [PCMBN_SORT_TYPE_ASC] = "rtype ASC, rdate DESC, id DESC",
  [PCMBN_SORT_TYPE_DESC] = "rtype DESC, rdate DESC, id DESC",
  [PCMBN_SORT_STATE_ASC] = "state ASC, rdate DESC, id DESC",
  [PCMBN_SORT_STATE_DESC] = "state DESC, rdate DESC, id DESC",
};

#define MAX_WORDS 6

/* Each word of the search must appear, in any order, with or without
 * diacritics: the words become LIKE patterns over the folded search text. */
static GPtrArray *
like_patterns (const char *search)
{
  g_autofree char *folded = pcmbn_fold (search);
  GPtrArray *patterns = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) words = NULL;

  for (char *p = folded; *p; p++)
    if (g_ascii_ispunct (*p) && *p != '%' && *p != '_')
      *p = ' ';
  words = g_strsplit_set (folded, " \t\n", -1);
  for (guint i = 0; words[i] && patterns->len < MAX_WORDS; i++)
    {
      GString *s;
      if (*words[i] == '\0')
        continue;
      s = g_string_new ("%");
      for (const char *p = words[i]; *p; p++)
        {
          if (*p == '%' || *p == '_' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '%');
      g_ptr_array_add (patterns, g_string_free (s, FALSE));
    }
  return patterns;
}

/* Above this many matches, a page is read by walking the date index and
 * testing the text (it meets 64 matches soon); below, from the matches the
 * trigram index gives (fewer rows than that walk would test). */
#define FTS_PAGE_LIMIT 4096

/* The search as a query of the kind's trigram index: every word as a
 * quoted string, all required. NULL when a word is shorter than three
 * characters, which a trigram index cannot look up: the folded text is
 * scanned then. */
static char *
fts_query (const char *search)
{
  g_autofree char *folded = NULL;
  g_auto (GStrv) words = NULL;
  GString *q;
  guint n = 0;

  if (search == NULL || *search == '\0')
    return NULL;
  folded = pcmbn_fold (search);
  /* As like_patterns() and the search text itself: punctuation is space. */
  for (char *p = folded; *p; p++)
    if (g_ascii_ispunct (*p) && *p != '%' && *p != '_')
      *p = ' ';
  words = g_strsplit_set (folded, " \t\n", -1);
  q = g_string_new (NULL);
  for (guint i = 0; words[i] && n < MAX_WORDS; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (g_utf8_strlen (words[i], -1) < 3)
        {
          g_string_free (q, TRUE);
          return NULL;
        }
      if (n++ > 0)
        g_string_append (q, " AND ");
      g_string_append_c (q, '"');
      for (const char *p = words[i]; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (q, '"');
          g_string_append_c (q, *p);
        }
      g_string_append_c (q, '"');
    }
  if (n == 0)
    return g_string_free (q, TRUE);
  return g_string_free (q, FALSE);
}

/* A query through the kind's trigram index, or NULL (and the caller scans)
 * when the search cannot use it. */
static sqlite3_stmt *
prepare_fts (PcmbnRecordList *self, const char *what, const char *tail, gboolean count_only)
{
  g_autofree char *query = fts_query (self->search);
  g_autofree char *table = NULL, *sql = NULL;
  sqlite3_stmt *stmt = NULL;

  if (query == NULL || self->scan_only)
    return NULL;
  table = pcmbn_store_search_table (self->kind);
  if (count_only && self->from == NULL && self->to == NULL && self->type_code == NULL)
    /* The index holds only live records of the kind: counting reads
     * nothing else. */
    sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE %s MATCH ?11", table, table);
  else
    sql = g_strdup_printf (
        "SELECT %s FROM records WHERE id IN (SELECT rowid FROM %s WHERE %s MATCH ?11)"
        " AND kind = ?1 AND deleted = 0 AND (?2 IS NULL OR rdate >= ?2)"
        " AND (?3 IS NULL OR rdate <= ?3) AND (?4 IS NULL OR rtype = ?4) %s",
        what, table, table, tail);
  /* A kind added to the schema after the index was made has none yet. */
  if (sqlite3_prepare_v2 (pcmbn_store_get_db (self->store), sql, -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  if (sqlite3_bind_parameter_index (stmt, "?1") > 0)
    {
      sqlite3_bind_text (stmt, 1, self->kind->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, self->from, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, self->to, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, self->type_code, -1, SQLITE_TRANSIENT);
    }
  sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, "?11"), query, -1, SQLITE_TRANSIENT);
  return stmt;
}

static sqlite3_stmt *
prepare (PcmbnRecordList *self, const char *what, const char *tail)
{
  gboolean searching = self->search != NULL && *self->search != '\0';
  /* Without statistics the planner prefers an index without the search text
   * and reads every record's row to test it (60-70 ms over 100,000);
   * records_search holds the text, so a typed word reads only the index. */
  g_autofree char *sql = g_strdup_printf (
      "SELECT %s FROM records%s WHERE kind = ?1 AND deleted = 0 AND (?2 IS NULL OR rdate >= ?2)"
      " AND (?3 IS NULL OR rdate <= ?3) AND (?4 IS NULL OR rtype = ?4)"
      " AND (?5 IS NULL OR search LIKE ?5 ESCAPE '\\') AND (?6 IS NULL OR search LIKE ?6 ESCAPE '\\')"
      " AND (?7 IS NULL OR search LIKE ?7 ESCAPE '\\') AND (?8 IS NULL OR search LIKE ?8 ESCAPE '\\')"
      " AND (?9 IS NULL OR search LIKE ?9 ESCAPE '\\') AND (?10 IS NULL OR search LIKE ?10 ESCAPE '\\')"
      " %s",
      what, searching ? " INDEXED BY records_search" : "", tail);
  sqlite3_stmt *stmt = NULL;
  g_autoptr (GPtrArray) patterns = NULL;

  if (sqlite3_prepare_v2 (pcmbn_store_get_db (self->store), sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("list query: %s", sqlite3_errmsg (pcmbn_store_get_db (self->store)));
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, self->kind->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, self->from, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, self->to, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, self->type_code, -1, SQLITE_TRANSIENT);
  if (self->search && *self->search)
    {
      patterns = like_patterns (self->search);
      for (guint i = 0; i < patterns->len; i++)
        sqlite3_bind_text (stmt, 5 + i, patterns->pdata[i], -1, SQLITE_TRANSIENT);
    }
  return stmt;
}

static guint
count_rows (PcmbnRecordList *self)
{
  sqlite3_stmt *stmt;
  guint n = 0;

  pcmbn_store_lock (self->store);
  if (self->from == NULL && self->to == NULL && self->type_code == NULL
      && (self->search == NULL || *self->search == '\0'))
    {
      /* Unfiltered: the count the store keeps, not a walk over the index. */
      sqlite3_prepare_v2 (pcmbn_store_get_db (self->store),
                          "SELECT coalesce((SELECT live FROM record_counts WHERE kind = ?), 0)", -1,
                          &stmt, NULL);
      sqlite3_bind_text (stmt, 1, self->kind->name, -1, SQLITE_STATIC);
    }
  else
    {
      stmt = prepare_fts (self, "count(*)", "", TRUE);
      if (stmt == NULL)
        stmt = prepare (self, "count(*)", "");
    }
  if (stmt && sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self->store);
  return n;
}

/* Whether a row read again is the record a view already shows. */
static gboolean
same_record (PcmbnRecord *a, PcmbnRecord *b)
{
  return pcmbn_record_get_version (a) == pcmbn_record_get_version (b)
         && pcmbn_record_get_state (a) == pcmbn_record_get_state (b)
         && pcmbn_record_get_deleted (a) == pcmbn_record_get_deleted (b)
         && g_strcmp0 (pcmbn_record_get_modified_at (a), pcmbn_record_get_modified_at (b)) == 0
         && g_strcmp0 (pcmbn_record_get_problem (a), pcmbn_record_get_problem (b)) == 0
         && json_object_equal (pcmbn_record_get_data (a), pcmbn_record_get_data (b));
}

static GPtrArray *
load_page (PcmbnRecordList *self, guint page)
{
  GPtrArray *records = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *tail = g_strdup_printf ("ORDER BY %s LIMIT %d OFFSET %u", order_by[self->sort],
                                           PAGE_SIZE, page * PAGE_SIZE);
  sqlite3_stmt *stmt;

  pcmbn_store_lock (self->store);
  /* Few matches, or deep in many: the index's matches cost less than the
   * rows a walk in date order would test to reach them. */
  stmt = (self->n_items <= FTS_PAGE_LIMIT || page * PAGE_SIZE >= FTS_PAGE_LIMIT)
             ? prepare_fts (self, PCMBN_RECORD_COLUMNS, tail, FALSE)
             : NULL;
  if (stmt == NULL)
    stmt = prepare (self, PCMBN_RECORD_COLUMNS, tail);
  while (stmt && sqlite3_step (stmt) == SQLITE_ROW)
    {
      PcmbnRecord *record = pcmbn_store_record_from_stmt (stmt, 0);
      PcmbnRecord *before = self->kept
                                ? g_hash_table_lookup (self->kept, pcmbn_record_get_uuid (record))
                                : NULL;
      /* A row that was on screen before a refresh, unchanged, is the same
       * object: a list view finds it among the rows it had and keeps its
       * widgets, instead of making them again (each typed letter of a
       * search keeps most of the rows on screen). */
      if (before && same_record (before, record))
        g_set_object (&record, before);
      g_ptr_array_add (records, record);
    }
  sqlite3_finalize (stmt);
  pcmbn_store_unlock (self->store);
  return records;
}

static GType
get_item_type (GListModel *model)
{
  return PCMBN_TYPE_RECORD;
}

static guint
get_n_items (GListModel *model)
{
  return PCMBN_RECORD_LIST (model)->n_items;
}

static gpointer
get_item (GListModel *model, guint position)
{
  PcmbnRecordList *self = PCMBN_RECORD_LIST (model);
  guint page = position / PAGE_SIZE;
  GPtrArray *records;

  if (position >= self->n_items)
    return NULL;
  records = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (records == NULL)
    {
      records = load_page (self, page);
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), records);
      g_queue_push_head (&self->lru, GUINT_TO_POINTER (page));
      while (g_queue_get_length (&self->lru) > MAX_PAGES)
        g_hash_table_remove (self->pages, g_queue_pop_tail (&self->lru));
    }
  else if (g_queue_peek_head (&self->lru) != GUINT_TO_POINTER (page))
    {
      g_queue_remove (&self->lru, GUINT_TO_POINTER (page));
      g_queue_push_head (&self->lru, GUINT_TO_POINTER (page));
    }
  if (position % PAGE_SIZE >= records->len || records->pdata[position % PAGE_SIZE] == NULL)
    return NULL;
  return g_object_ref (records->pdata[position % PAGE_SIZE]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/**
 * pcmbn_record_list_refresh:
 * @self: a list
 *
 * Reloads after the records or the filter changed.
 */
void
pcmbn_record_list_refresh (PcmbnRecordList *self)
{
  guint old = self->n_items;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  /* The rows read last, for load_page() to give out again; two refreshes
   * in a row (a search and a range set together) keep the earlier ones. */
  if (g_hash_table_size (self->pages) > 0)
    {
      GHashTableIter iter;
      gpointer value;

      g_clear_pointer (&self->kept, g_hash_table_unref);
      self->kept = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
      g_hash_table_iter_init (&iter, self->pages);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        for (guint i = 0; i < ((GPtrArray *)value)->len; i++)
          {
            PcmbnRecord *record = ((GPtrArray *)value)->pdata[i];
            g_hash_table_replace (self->kept, (gpointer)pcmbn_record_get_uuid (record),
                                  g_object_ref (record));
          }
    }
  g_hash_table_remove_all (self->pages);
  g_queue_clear (&self->lru);
  self->n_items = count_rows (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->n_items);
}

/**
 * pcmbn_record_list_set_minimal_changes:
 * @self: a list
 * @minimal: whether the store's changes are applied once per burst
 *
 * With @minimal, the store's changes (a sync's pull, an import) reload the
 * list once, in an idle callback, instead of once per change. A refresh
 * announces every row as replaced: a GTK 4.8 list view must not read the
 * list directly (it reads every added row of such a change), but through a
 * list that keeps one row object per place and announces only the places
 * gained or lost (the app's LogbookRowList).
 */
void
pcmbn_record_list_set_minimal_changes (PcmbnRecordList *self, gboolean minimal)
{
  self->minimal_changes = minimal;
}

static gboolean
refresh_cb (gpointer user_data)
{
  PcmbnRecordList *self = user_data;

  self->refresh_source = 0;
  pcmbn_record_list_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
on_store_changed (PcmbnStore *store, const char *kind, PcmbnRecordList *self)
{
  if (kind != NULL && g_strcmp0 (kind, self->kind->name) != 0)
    return;
  /* A view's list reloads once for a burst of changes (a sync's pull, an
   * import), before the next frame. */
  if (self->minimal_changes)
    {
      if (self->refresh_source == 0)
        self->refresh_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, refresh_cb, self, NULL);
      return;
    }
  pcmbn_record_list_refresh (self);
}

static void
pcmbn_record_list_dispose (GObject *object)
{
  PcmbnRecordList *self = PCMBN_RECORD_LIST (object);

  g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (pcmbn_record_list_parent_class)->dispose (object);
}

static void
pcmbn_record_list_finalize (GObject *object)
{
  PcmbnRecordList *self = PCMBN_RECORD_LIST (object);

  g_hash_table_unref (self->pages);
  g_clear_pointer (&self->kept, g_hash_table_unref);
  g_queue_clear (&self->lru);
  g_free (self->search);
  g_free (self->from);
  g_free (self->to);
  g_free (self->type_code);
  G_OBJECT_CLASS (pcmbn_record_list_parent_class)->finalize (object);
}

static void
pcmbn_record_list_class_init (PcmbnRecordListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pcmbn_record_list_dispose;
  object_class->finalize = pcmbn_record_list_finalize;
}

static void
pcmbn_record_list_init (PcmbnRecordList *self)
{
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
  g_queue_init (&self->lru);
}

/**
 * pcmbn_record_list_new:
 * @store: the store
 * @kind: a kind's name
 *
 * Returns: (transfer full): a list of that kind's records, newest first
 */
PcmbnRecordList *
pcmbn_record_list_new (PcmbnStore *store, const char *kind)
{
  PcmbnRecordList *self = g_object_new (PCMBN_TYPE_RECORD_LIST, NULL);

  self->store = g_object_ref (store);
  self->kind = pcmbn_schema_kind (kind);
  g_return_val_if_fail (self->kind != NULL, self);
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (on_store_changed), self);
  self->n_items = count_rows (self);
  return self;
}

static gboolean
replace (char **slot, const char *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;
  g_free (*slot);
  *slot = (value && *value) ? g_strdup (value) : NULL;
  return TRUE;
}

/**
 * pcmbn_record_list_set_search:
 * @self: a list
 * @search: (nullable): words, with or without diacritics
 */
/* The words a search looks for, as the queries see them: folded, split at
 * spaces and punctuation. */
static char *
search_words (const char *search)
{
  g_autofree char *folded = pcmbn_fold (search ? search : "");
  g_auto (GStrv) words = NULL;
  GString *key = g_string_new (NULL);

  for (char *p = folded; *p; p++)
    if (g_ascii_ispunct (*p) && *p != '%' && *p != '_')
      *p = ' ';
  words = g_strsplit_set (folded, " \t\n", -1);
  for (guint i = 0, n = 0; words[i] && n < MAX_WORDS; i++)
    if (*words[i] != '\0')
      g_string_append_printf (key, n++ ? " %s" : "%s", words[i]);
  return g_string_free (key, FALSE);
}

void
pcmbn_record_list_set_search (PcmbnRecordList *self, const char *search)
{
  g_autofree char *before = search_words (self->search);
  g_autofree char *after = search_words (search);

  /* A typed space or comma ends a word but finds the same rows: nothing to
   * read again, nothing for a view to redraw. */
  if (replace (&self->search, search) && g_strcmp0 (before, after) != 0)
    pcmbn_record_list_refresh (self);
}

/**
 * pcmbn_record_list_set_range:
 * @self: a list
 * @from: (nullable): first date
 * @to: (nullable): last date
 */
void
pcmbn_record_list_set_range (PcmbnRecordList *self, const char *from, const char *to)
{
  gboolean a = replace (&self->from, from);
  gboolean b = replace (&self->to, to);
  if (a || b)
    pcmbn_record_list_refresh (self);
}

/**
 * pcmbn_record_list_set_type:
 * @self: a list
 * @type_code: (nullable): only records of this type
 */
void
pcmbn_record_list_set_type (PcmbnRecordList *self, const char *type_code)
{
  if (replace (&self->type_code, type_code))
    pcmbn_record_list_refresh (self);
}

void
pcmbn_record_list_set_sort (PcmbnRecordList *self, PcmbnSort sort)
{
  g_return_if_fail (sort < G_N_ELEMENTS (order_by));
  if (self->sort == sort)
    return;
  self->sort = sort;
  pcmbn_record_list_refresh (self);
}

/**
 * pcmbn_record_list_get_cached_pages:
 * @self: a list
 *
 * Returns: how many pages of rows are in memory, for tests of laziness
 */
guint
pcmbn_record_list_get_cached_pages (PcmbnRecordList *self)
{
  return g_hash_table_size (self->pages);
}

/**
 * pcmbn_record_list_set_search_index:
 * @self: a list
 * @use: whether a search may go through the trigram index
 *
 * For tests and benchmarks, which compare the index with a scan of the
 * folded text: both must find the same rows in the same order.
 */
void
pcmbn_record_list_set_search_index (PcmbnRecordList *self, gboolean use)
{
  if (self->scan_only == !use)
    return;
  self->scan_only = !use;
  pcmbn_record_list_refresh (self);
}
