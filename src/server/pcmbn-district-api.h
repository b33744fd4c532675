/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "server/pcmbn-district-store.h"

G_BEGIN_DECLS

/* One HTTP request of the API, copied out of libsoup so that a worker
 * thread can answer it with its own database connection. */
typedef struct
{
  char *method;
  char *path;
  char *query; /* nullable */
  char *authorization;
  char *content_encoding;
  char *content_type;
  GBytes *body; /* nullable */
  char *remote;
  /* The dashboard's: its session cookie, and what a sign-in form's Origin
   * is checked against. */
  char *cookie; /* nullable */
  char *origin; /* nullable */
  char *host;   /* nullable */
  /* The languages the browser asks for: the dashboard's language. */
  char *accept_language; /* nullable */
  gboolean https;
  gboolean accepts_gzip; /* Accept-Encoding names gzip */
  char *range;           /* nullable: the Range header */
} PcmbnDistrictRequest;

typedef struct
{
  guint status;
  char *content_type;
  GBytes *body;
  char *allow; /* for 405 */
  char *error_code;
  GPtrArray *headers; /* nullable: more response headers, name then value */
} PcmbnDistrictReply;

void pcmbn_district_request_free (PcmbnDistrictRequest *request);
void pcmbn_district_reply_free (PcmbnDistrictReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDistrictRequest, pcmbn_district_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcmbnDistrictReply, pcmbn_district_reply_free)

PcmbnDistrictReply *
pcmbn_district_reply_error (guint status, const char *code, const char *message);
PcmbnDistrictReply *
pcmbn_district_api_handle (PcmbnDistrictStore *store, PcmbnDistrictRequest *request);
gboolean pcmbn_district_api_is_enroll (const char *path);
gsize pcmbn_district_api_body_limit (const char *path);

G_END_DECLS
