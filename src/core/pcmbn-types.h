/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Errors of the core. The CLI maps INVALID, NOT_FOUND and USAGE to exit
 * status 2 (bad input) and the rest to 1 (operational failure). */
#define PCMBN_ERROR (pcmbn_error_quark ())
GQuark pcmbn_error_quark (void);

typedef enum
{
  PCMBN_ERROR_FAILED,
  PCMBN_ERROR_INVALID,
  PCMBN_ERROR_NOT_FOUND,
  PCMBN_ERROR_USAGE,
  PCMBN_ERROR_NOT_INITIALIZED,
  PCMBN_ERROR_CONFLICT,
  PCMBN_ERROR_NETWORK,
  PCMBN_ERROR_KEY_MISSING, /* the data key is not on this computer */
} PcmbnError;

/* Local state of a record, as shown in lists and in `pcmbn get`. */
typedef enum
{
  PCMBN_STATE_DRAFT,
  PCMBN_STATE_DIRTY,
  PCMBN_STATE_SYNCED,
  PCMBN_STATE_CONFLICT,
  PCMBN_STATE_REJECTED,
} PcmbnState;

const char *pcmbn_state_to_string (PcmbnState state);
gboolean pcmbn_state_from_string (const char *str, PcmbnState *state);

typedef struct _PcmbnKind PcmbnKind;
typedef struct _PcmbnField PcmbnField;
typedef struct _PcmbnCatalogue PcmbnCatalogue;
typedef struct _PcmbnFieldError PcmbnFieldError;

G_END_DECLS
