/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A real `pcmbn-district serve` on loopback, a free port, its own database. */
typedef struct
{
  GSubprocess *proc;
  char *dir;
  char *db;
  char *url; /* with a trailing slash */
  char *log;
  char *cert;             /* PEM, when TLS */
  const char *public_url; /* nullable: `serve --public-url` */
  char **extra_args;      /* more options for serve, such as --parent-interval */
} SyncServer;

SyncServer *sync_server_new (gboolean tls);
void sync_server_start (SyncServer *s);
int sync_server_stop (SyncServer *s);
void sync_server_free (SyncServer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyncServer, sync_server_free)
int sync_district (const char *const *argv, char **out, char **err);
GBytes *sync_district_bytes (const char *const *argv, int *status, char **err);
char *sync_enrol_code (SyncServer *s, const char *commune);
char *sync_staff_token (SyncServer *s);

/* `pcmbn --db DB ARGS…`; returns the exit status. */
int sync_cli (const char *db, char **out, char **err, ...) G_GNUC_NULL_TERMINATED;
char *sync_new_logbook (const char *commune);
char *sync_enrolled_logbook (SyncServer *s, const char *commune);
char *sync_add (const char *db, const char *kind, const char *json);

/* One raw HTTP request; returns the body and sets @status. */
char *sync_http (SyncServer *s,
                 const char *method,
                 const char *path,
                 const char *token,
                 const char *content_type,
                 const char *encoding,
                 const void *body,
                 gsize len,
                 guint *status);
JsonNode *sync_parse (const char *text);
gint64 sync_query_int (const char *db, const char *sql);
char *sync_query_text (const char *db, const char *sql);
void sync_exec (const char *db, const char *sql);
char *sync_device_token (const char *db);

G_END_DECLS
