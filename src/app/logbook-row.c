/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-row"

#include "config.h"

#include "logbook-row.h"

/* One row of a record list as a view holds it: a place in the list, not a
 * record. When a search changes which record is at that place, the row
 * stays the same object and only says that its record changed, so GTK 4.8's
 * list view keeps the row's widgets (it makes new ones for every new item
 * object, five widgets a row, some 200 rows at each keystroke) and the
 * cells only set their text again. */

struct _LogbookRow
{
  GObject parent_instance;

  guint position;
  PcmbnRecord *record;
};

G_DEFINE_FINAL_TYPE (LogbookRow, logbook_row, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_RECORD,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static void
logbook_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LogbookRow *self = LOGBOOK_ROW (object);

  switch (prop_id)
    {
      case PROP_RECORD:
        g_value_set_object (value, self->record);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
logbook_row_finalize (GObject *object)
{
  g_clear_object (&LOGBOOK_ROW (object)->record);
  G_OBJECT_CLASS (logbook_row_parent_class)->finalize (object);
}

static void
logbook_row_class_init (LogbookRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = logbook_row_get_property;
  object_class->finalize = logbook_row_finalize;
  props[PROP_RECORD] = g_param_spec_object ("record", NULL, NULL, PCMBN_TYPE_RECORD,
                                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
logbook_row_init (LogbookRow *self)
{
}

/**
 * logbook_row_new:
 * @position: the row's place in its list
 * @record: (nullable): the record there
 *
 * Returns: (transfer full): a row
 */
LogbookRow *
logbook_row_new (guint position, PcmbnRecord *record)
{
  LogbookRow *self = g_object_new (LOGBOOK_TYPE_ROW, NULL);

  self->position = position;
  g_set_object (&self->record, record);
  return self;
}

/**
 * logbook_row_get_record:
 * @self: a row
 *
 * Returns: (transfer none) (nullable): the record the row shows
 */
PcmbnRecord *
logbook_row_get_record (LogbookRow *self)
{
  return self->record;
}

/**
 * logbook_row_set_record:
 * @self: a row
 * @record: (nullable): the record now at the row's place
 *
 * Notifies "record" only when it is another object: an unchanged record
 * read again is the same object (see pcmbn_record_list_refresh()).
 */
void
logbook_row_set_record (LogbookRow *self, PcmbnRecord *record)
{
  if (g_set_object (&self->record, record))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RECORD]);
}

guint
logbook_row_get_position (LogbookRow *self)
{
  return self->position;
}

void
logbook_row_set_position (LogbookRow *self, guint position)
{
  self->position = position;
}
