/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "store/pcmbn-store.h"

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
char *sync_add_attached (const char *db, const char *file_path);

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

/* A TCP proxy between clients and a server, to cut connections at a chosen
 * byte (the fault test), to count the bytes on the wire and to play a slow
 * link (bandwidth and latency in each direction). */
enum
{
  SYNC_PROXY_UP,   /* client → server */
  SYNC_PROXY_DOWN, /* server → client */
};

typedef struct
{
  GMutex lock;
  GSocket *listener;
  guint16 port;
  GInetSocketAddress *upstream;
  GCancellable *cancel;
  GThread *accept_thread;
  GPtrArray *sockets; /* every socket opened, for the shutdown at the end */
  GPtrArray *threads; /* relay threads, joined at the end */
  /* The plan of the armed window. */
  int cut_dir;      /* -1: pass everything */
  guint64 cut_at;   /* bytes in cut_dir before the cut */
  guint64 bytes[2]; /* counted since the window opened */
  gboolean cut_done;
  guint connections; /* accepted since the window opened */
  /* The link: 0 for as fast as loopback. */
  guint bits_per_second;
  guint latency_ms;
} SyncProxy;

SyncProxy *sync_proxy_new (const char *server_url);
char *sync_proxy_url (SyncProxy *p);
void sync_proxy_arm (SyncProxy *p, int dir, guint64 at);
void sync_proxy_set_link (SyncProxy *p, guint bits_per_second, guint latency_ms);
void sync_proxy_free (SyncProxy *p);

/* An HTTP server on loopback in a thread of the test, answering with
 * @handler (called in that thread). */
typedef struct _SyncThreadServer SyncThreadServer;
SyncThreadServer *sync_thread_server_new (SoupServerCallback handler, gpointer user_data);
const char *sync_thread_server_url (SyncThreadServer *ts);
void sync_thread_server_free (SyncThreadServer *ts);

/* For the benchmarks. */
double sync_now_s (void);
double sync_median (double *v, guint n);
char *sync_note (void);
PcmbnStore *sync_fill_logbook (char **path_out, int n, int n_attachments, gsize attachment_size);

G_END_DECLS
